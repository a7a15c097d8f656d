"""The spectrogram lane in headless Chromium, against tests/browser/waveform_app.py.

The lane shows and hides by button and key, asks the server for the window
in view (after zooming and scrolling too) at no more pixels than it has,
lines up with the waveform and its regions, and a failing image leaves the
editor working.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.timeout(180)

LANE = ".wf-spectro"


def query(url: str) -> dict[str, float]:
    return {k: float(v[0]) for k, v in parse_qs(urlparse(url).query).items()}


def wait_loaded(wf, previous: str | None = None, timeout: float = 15.0) -> str:
    """Wait until the lane shows the image it asked for last (and not `previous`); return its URL."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loaded, requested = wf.body("spectrogram-loaded"), wf.body("spectrogram-requested")
        if loaded and loaded == requested and loaded != previous:
            return loaded
        time.sleep(0.05)
    raise AssertionError(f"no image loaded: requested {wf.body('spectrogram-requested')}, "
                         f"loaded {wf.body('spectrogram-loaded')}")


def visible_window(wf) -> tuple[float, float]:
    g = wf.geometry()
    return g["scroll"] / g["pps"], min(g["duration"], (g["scroll"] + g["view_width"]) / g["pps"])


def lane_box(wf) -> dict:
    return wf.frame.locator(LANE).bounding_box()


def lane_inner(wf) -> dict:
    """The lane's drawing area in CSS pixels (inside its border)."""
    return wf.frame_eval("() => { const l = document.querySelector('.wf-spectro');"
                         " return {width: l.clientWidth, height: l.clientHeight}; }")


def shown_image_box(wf) -> dict:
    return wf.frame.locator(f"{LANE} img.wf-spectro-img:not([hidden])").bounding_box()


def test_the_button_and_the_s_key_show_and_hide_the_lane(wf):
    wf.open("spectro")
    button = wf.frame.locator("button.wf-spectro-toggle")
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
    assert wf.body("spectrogram") == "off" and wf.frame.locator(LANE).count() == 0
    button.click()
    assert wf.body("spectrogram") == "on" and button.get_attribute("aria-pressed") == "true"
    url = wait_loaded(wf)
    assert url.startswith("/api/media/") and "/spectrogram?" in url
    # the lane sits under the waveform, as wide as it
    wave, lane = wf.frame.locator(".wf-wave").bounding_box(), lane_box(wf)
    assert lane["y"] >= wave["y"] + wave["height"] - 1
    assert abs(lane["x"] - wave["x"]) < 1.5 and abs(lane["width"] - wave["width"]) < 1.5
    wf.focus_frame()
    wf.press("s")
    assert wf.body("spectrogram") == "off" and wf.frame.locator(LANE).count() == 0
    wf.press("s")
    assert wf.body("spectrogram") == "on"
    wait_loaded(wf)
    # not while typing: in the page's text field, nor in the region text field of the frame
    wf.page.get_by_label("Notes").click()
    wf.page.keyboard.type("ss")
    assert wf.body("spectrogram") == "on"
    wf.click_at(7.0)   # select r1: its text field appears
    wf.frame.locator("body[data-selected='r1']").wait_for(state="attached")
    wf.frame.locator(".wf-sel-text").click()
    wf.page.keyboard.type("s")
    assert wf.body("spectrogram") == "on"
    assert wf.errors == []


def test_no_spectrogram_url_means_no_button_and_no_key(wf):
    wf.open("basic")
    assert wf.frame.locator("button.wf-spectro-toggle").is_hidden()
    assert wf.body("spectrogram") == "none"
    wf.focus_frame()
    wf.press("s")
    time.sleep(0.3)
    assert wf.frame.locator(LANE).count() == 0 and wf.body("spectrogram") == "none"


def test_the_setting_shows_the_lane_at_first_with_its_top_frequency(wf):
    wf.open("spectro_on")
    assert wf.body("spectrogram") == "on"
    q = query(wait_loaded(wf))
    assert q["max_freq"] == 4000
    assert q["start"] == 0 and abs(q["end"] - 30.0) < 0.01
    labels = wf.frame.locator(".wf-spectro-tick").all_inner_texts()
    assert "2k" in labels and "Hz" in labels


def test_the_request_carries_the_visible_window_after_zooming_and_scrolling(wf):
    wf.open("long_spectro")
    q = query(wait_loaded(wf))
    lane = lane_inner(wf)
    assert q["start"] == 0 and abs(q["end"] - 1200) < 0.01      # fitted: the whole 20 minutes
    assert q["width"] == int(lane["width"]) and q["height"] == int(lane["height"])
    # zoom in around the start, then scroll to the middle
    wf.focus_frame()
    for _ in range(6):
        wf.press("+")
    url = wait_loaded(wf, previous=wf.body("spectrogram-loaded"))
    start, end = visible_window(wf)
    q = query(url)
    assert end - start < 60, (start, end)
    assert abs(q["start"] - start) < 0.02 and abs(q["end"] - end) < 0.02, (q, start, end)
    wf.frame_eval("""() => {
        const scroll = document.querySelector('.wf-wave > div').shadowRoot.querySelector('.scroll');
        scroll.scrollLeft = scroll.scrollWidth / 2;
    }""")
    url = wait_loaded(wf, previous=url)
    start, end = visible_window(wf)
    q = query(url)
    assert 550 < start < 620, start
    assert abs(q["start"] - start) < 0.02 and abs(q["end"] - end) < 0.02, (q, start, end)
    # the image now covers the lane exactly
    img, lane = shown_image_box(wf), lane_box(wf)
    assert abs(img["x"] - lane["x"]) < 1.5 and abs(img["width"] - lane["width"]) < 1.5
    assert wf.errors == []


def test_the_lane_follows_zoom_and_its_regions_line_up_with_the_waveforms(wf):
    wf.open("spectro")
    wf.frame.locator("button.wf-spectro-toggle").click()
    first = wait_loaded(wf)
    # hold the next images back: meanwhile the old one is kept, stretched to its times
    held = []
    wf.page.route("**/spectrogram?*", lambda route: held.append(route))
    wf.focus_frame()
    wf.press("+")
    wf.press("+")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        wf.page.wait_for_timeout(50)
    assert held and wf.body("spectrogram-loaded") == first
    g = wf.geometry()
    img = shown_image_box(wf)
    q = query(first)
    assert g["pps"] > 3 * g["view_width"] / 30
    assert abs(img["width"] - (q["end"] - q["start"]) * g["pps"]) < 2       # stretched 4x
    assert abs(img["x"] - wf.x_of(q["start"], g)) < 2
    for route in held:
        try:
            route.continue_()
        except PlaywrightError:  # a request the lane has aborted for a newer one
            pass
    wf.page.unroute("**/spectrogram?*")
    wait_loaded(wf, previous=first)
    # regions drawn in the lane where the waveform draws them
    wave_regions = wf.frame_eval("""() => [...document.querySelector('.wf-wave > div').shadowRoot
        .querySelectorAll('[part~="region"]')].map(e => e.getBoundingClientRect())
        .filter(r => r.width > 0).map(r => [r.left, r.right])""")
    lane_regions = wf.frame_eval("""() => [...document.querySelectorAll('.wf-spectro-region')]
        .filter(e => e.style.display !== 'none').map(e => e.getBoundingClientRect())
        .map(r => [r.left, r.right])""")
    lane = lane_box(wf)
    frame_x = wf.frame.locator("body").bounding_box()["x"]
    clip = lambda x: min(max(x, lane["x"] - frame_x - 4), lane["x"] - frame_x + lane["width"] + 4)  # noqa: E731
    visible = [[clip(a), clip(b)] for a, b in wave_regions if clip(b) - clip(a) > 1]
    assert len(visible) == len(lane_regions) >= 1
    for (a, b), (c, d) in zip(sorted(visible), sorted(lane_regions)):
        assert abs(a - c) < 2 and abs(b - d) < 2, (visible, lane_regions)


def test_a_deep_zoom_asks_for_no_more_pixels_than_the_lane_has(wf_server, wf_browser, wf_driver):
    context = wf_browser.new_context(viewport={"width": 1000, "height": 800}, device_scale_factor=2)
    try:
        wf = wf_driver(context.new_page(), wf_server.url)
        wf.open("long_spectro")
        q = query(wait_loaded(wf))
        lane = lane_inner(wf)
        assert q["width"] == int(lane["width"] * 2) and q["height"] == int(lane["height"] * 2)
        fitted = wf.body("spectrogram-loaded")
        wf.frame.locator("input[aria-label='Zoom']").fill("1000")   # the deepest zoom
        q = query(wait_loaded(wf, previous=fitted))
        assert q["width"] <= lane["width"] * 2 and q["end"] - q["start"] < 1.0
    finally:
        context.close()


def test_fast_zooming_shows_the_last_view_only(wf):
    wf.open("long_spectro")
    first = wait_loaded(wf)
    requests_before = int(wf.body("spectrogram-requests"))
    wf.focus_frame()
    for _ in range(8):
        wf.press("+")
    last = wait_loaded(wf, previous=first)
    time.sleep(0.5)
    assert wf.body("spectrogram-loaded") == wf.body("spectrogram-requested") == last
    start, end = visible_window(wf)
    q = query(last)
    assert abs(q["start"] - start) < 0.02 and abs(q["end"] - end) < 0.02
    assert int(wf.body("spectrogram-requests")) - requests_before <= 3   # debounced, not one per key


def test_the_toggle_is_kept_across_tasks_and_reloads_of_the_tab(wf):
    wf.open("spectro")
    wf.frame.locator("button.wf-spectro-toggle").click()
    first = wait_loaded(wf)
    wf.page.get_by_role("button", name="Next task").click()
    wf.wait_task("t-spectro-2")
    assert wf.body("spectrogram") == "on"
    second = wait_loaded(wf, previous=first)
    assert urlparse(second).path != urlparse(first).path          # the second task's media
    wf.page.reload()
    wf.wait_idle()
    wf.wait_ready()
    assert wf.body("spectrogram") == "on"


def test_an_image_that_fails_leaves_the_editor_working(wf):
    wf.open("spectro_broken")
    wf.frame.locator("body[data-spectrogram-error='1']").wait_for(state="attached", timeout=15_000)
    assert "No spectrogram" in wf.frame.locator(".wf-spectro-message").inner_text()
    wf.drag(5.0, 9.0)
    st = wf.wait_log(1)
    assert st["value"]["event"]["type"] == "created"
    assert wf.errors == []


def test_a_server_error_then_a_good_image(wf):
    wf.open("spectro")
    wf.page.route("**/spectrogram?**", lambda route: route.fulfill(status=500, body="broken"))
    wf.frame.locator("button.wf-spectro-toggle").click()
    wf.frame.locator("body[data-spectrogram-error='1']").wait_for(state="attached", timeout=15_000)
    wf.page.unroute("**/spectrogram?**")
    wf.focus_frame()
    wf.press("+")                          # the next view asks again, and gets its image
    wait_loaded(wf)
    assert wf.body("spectrogram-error") is None
    assert wf.frame.locator(".wf-spectro-message").is_hidden()


# -- drawing and selecting on the lane ----------------------------------------------

TOL = 0.15   # seconds: how close a dragged boundary comes back to Python


def lane_drag(wf, t0: float, t1: float, lane: int = 0) -> None:
    """A mouse drag across spectrogram lane `lane`, from time t0 to t1 (the lane shares the waveform's x)."""
    g = wf.geometry()
    box = wf.frame.locator(LANE).nth(lane).bounding_box()
    y = box["y"] + box["height"] * 0.5
    m = wf.page.mouse
    m.move(wf.x_of(t0, g), y)
    m.down()
    m.move(wf.x_of(t1, g), y, steps=15)
    m.up()


def lane_click(wf, t: float, lane: int = 0) -> None:
    box = wf.frame.locator(LANE).nth(lane).bounding_box()
    wf.page.mouse.click(wf.x_of(t), box["y"] + box["height"] * 0.5)


def test_a_drag_on_the_lane_creates_a_region_and_ctrl_z_removes_it(wf):
    wf.open("spectro_on")
    wait_loaded(wf)
    wf.frame.locator("button.wf-label[data-label='NOISE']").click()    # the selected label
    g, box = wf.geometry(), lane_box(wf)
    y = box["y"] + box["height"] / 2
    wf.page.mouse.move(wf.x_of(3.0, g), y)
    wf.page.mouse.down()
    wf.page.mouse.move(wf.x_of(5.0, g), y, steps=10)
    # mid-drag: the lane shades the region being drawn, and nothing is sent yet
    wf.frame.locator(f"{LANE}[data-regions='1']").wait_for(state="attached", timeout=2_000)
    assert wf.state()["log_size"] == 0
    wf.page.mouse.move(wf.x_of(6.5, g), y, steps=5)
    wf.page.mouse.up()
    st = wf.wait_log(1)
    value = st["value"]
    assert value["event"]["type"] == "created"
    [r] = value["regions"]
    assert abs(r["start"] - 3.0) <= TOL and abs(r["end"] - 6.5) <= TOL, r
    assert r["label"] == "NOISE" and r["channel"] is None
    assert st["regions"] == value["regions"]
    # the waveform shows it, as the region just drawn, and the lane shades it
    assert [x["id"] for x in wf.regions_shown()] == [r["id"]]
    assert wf.body("last-drawn") == r["id"]
    assert wf.frame.locator(LANE).get_attribute("data-regions") == "1"
    wf.press("Control+z")          # the drag left the focus in the frame: no click needed
    st = wf.wait_log(2)
    assert st["value"]["event"]["type"] == "undo" and st["regions"] == []
    assert wf.regions_shown() == []
    assert wf.errors == []


def test_a_short_drag_on_the_lane_gets_the_minimum_length(wf):
    wf.open("spectro_on")
    fitted = wait_loaded(wf)
    wf.frame.locator("input[aria-label='Zoom']").fill("1000")   # 5000 px/s: 5 px are 1 ms
    wait_loaded(wf, previous=fitted)
    start, end = visible_window(wf)
    t = (start + end) / 2
    box = lane_box(wf)
    x, y = wf.x_of(t), box["y"] + box["height"] / 2
    wf.page.mouse.move(x, y)
    wf.page.mouse.down()
    wf.page.mouse.move(x + 5, y, steps=5)       # past the drag threshold (3 px)
    wf.page.mouse.up()
    [r] = wf.wait_log(1)["value"]["regions"]
    assert abs(r["end"] - r["start"] - 0.02) < 1e-6, r    # audio_min_region, as on the waveform
    assert abs(r["start"] - t) < 0.01, (r, t)


def test_a_click_on_a_region_in_the_lane_selects_it_and_a_plain_click_seeks(wf):
    wf.open("spectro")
    wf.frame.locator("button.wf-spectro-toggle").click()
    wait_loaded(wf)
    assert wf.body("selected") in (None, "")
    lane_click(wf, 17.0)                       # on r2's shading
    wf.frame.locator("body[data-selected='r2']").wait_for(state="attached", timeout=5_000)
    assert wf.frame.locator(".wf-spectro-selected").count() == 1
    lane_click(wf, 12.0)                       # between the regions: seeks, selects nothing
    wf.frame.locator("body[data-selected='']").wait_for(state="attached", timeout=5_000)
    assert abs(wf.frame_eval("() => window.__wfCurrentTime()") - 12.0) < 0.15
    time.sleep(0.3)
    st = wf.state()
    assert st["log_size"] == 0 and len(st["regions"]) == 2    # clicks send nothing, create nothing
    assert wf.errors == []


# -- a stereo file shown as channel lanes ------------------------------------------------

def lane_urls(wf, timeout: float = 15.0) -> list[str]:
    """Each lane's loaded image URL, once every lane shows the image it asked for last."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        urls = wf.frame_eval("""() => [...document.querySelectorAll('.wf-spectro')]
            .map(l => l.dataset.loaded && l.dataset.loaded === l.dataset.requested ? l.dataset.loaded : null)""")
        if urls and all(urls):
            return urls
        time.sleep(0.05)
    raise AssertionError("the lanes did not all load")


def test_a_stereo_file_gets_one_lane_per_channel(wf_server, wf_browser, wf_driver):
    context = wf_browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=2)
    try:
        wf = wf_driver(context.new_page(), wf_server.url)
        wf.open("spectro_stereo")
        assert wf.frame.locator(LANE).count() == 2
        urls = lane_urls(wf)
        assert [parse_qs(urlparse(u).query)["channel"] for u in urls] == [["0"], ["1"]]
        for i, url in enumerate(urls):
            q, inner = query(url), wf.frame.locator(LANE).nth(i).evaluate("l => [l.clientWidth, l.clientHeight]")
            assert q["width"] <= inner[0] * 2 and q["height"] <= inner[1] * 2
        # the lanes stack under the waveform, each at least readable
        boxes = [wf.frame.locator(LANE).nth(i).bounding_box() for i in range(2)]
        assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"] - 1
        assert all(b["height"] >= 90 for b in boxes)
        # r1 is on channel 1: shown in the second lane only
        assert [wf.frame.locator(LANE).nth(i).get_attribute("data-regions") for i in range(2)] == ["0", "1"]
        assert wf.errors == []
    finally:
        context.close()


def test_drawing_on_the_second_lane_gives_its_channel(wf):
    wf.open("spectro_stereo")
    lane_urls(wf)
    wf.frame.locator(".wf-draw select").select_option("lane")
    lane_drag(wf, 0.7, 1.0, lane=1)
    value = wf.wait_log(1)["value"]
    new = {r["id"]: r for r in value["regions"]}[value["event"]["region_id"]]
    assert new["channel"] == 1 and abs(new["start"] - 0.7) <= TOL and abs(new["end"] - 1.0) <= TOL, new
    assert [wf.frame.locator(LANE).nth(i).get_attribute("data-regions") for i in range(2)] == ["0", "2"]
    # drawing on all channels: the region shows in both lanes
    wf.frame.locator(".wf-draw select").select_option("all")
    lane_drag(wf, 0.05, 0.15, lane=0)
    value = wf.wait_log(2)["value"]
    new = {r["id"]: r for r in value["regions"]}[value["event"]["region_id"]]
    assert new["channel"] is None
    assert [wf.frame.locator(LANE).nth(i).get_attribute("data-regions") for i in range(2)] == ["1", "3"]
    assert wf.errors == []


def test_a_read_only_lane_draws_nothing_but_still_seeks(wf):
    wf.open("spectro_readonly")
    wait_loaded(wf)
    lane_drag(wf, 2.0, 4.0)
    lane_click(wf, 7.0)
    wf.frame.locator("body[data-selected='r1']").wait_for(state="attached", timeout=5_000)
    time.sleep(0.3)
    assert wf.state()["log_size"] == 0 and wf.regions_shown() == [{"id": "r1", "label": "SPEECH", "text": "SPEECH"}]
