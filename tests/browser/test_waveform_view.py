"""What a newcomer sees of the waveform in headless Chromium: one clock format,
the minimap's shading, the wheel, the channel lanes' names and the vertical
zoom over the loudest peak in view (the test app of waveform_app.py)."""

from __future__ import annotations

import re
import time

import pytest

PAINTED = """() => {
    const root = document.querySelector('.wf-wave > div').shadowRoot;
    let n = 0;
    for (const c of root.querySelectorAll('canvas')) {
        if (!c.width || !c.height) continue;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    }
    return n;
}"""

PAGE_SCROLL = "() => window.scrollY + [...document.querySelectorAll('*')].reduce((a, e) => a + e.scrollTop, 0)"

OVERLAY = """() => {
    const box = document.querySelector('.wf-minimap');
    const o = box.querySelector('[part~="minimap-overlay"]');
    const r = o.getBoundingClientRect(), b = box.getBoundingClientRect();
    return {shown: getComputedStyle(o).display !== 'none' && r.width > 0,
            left: (r.left - b.left) / b.width, width: r.width / b.width};
}"""


def painted(wf) -> int:
    return wf.frame_eval(PAINTED)


def wait_painted_change(wf, before: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    now = before
    while time.monotonic() < deadline:
        time.sleep(0.15)
        now = painted(wf)
        if now != before:
            time.sleep(0.2)  # the last frames of the redraw
            return painted(wf)
    return now


def test_the_clock_shows_current_and_duration_in_one_format(wf):
    wf.open("basic")
    clock = wf.frame.locator(".wf-time")
    text = clock.inner_text()
    assert re.fullmatch(r"0:00\.0 / 0:\d\d\.\d", text), text
    width = clock.bounding_box()["width"]
    wf.focus_frame()
    wf.press("Shift+ArrowRight")
    wf.press("Shift+ArrowRight")
    wf.frame.locator(".wf-time:text-matches('^0:10\\\\.0 / ')").wait_for(timeout=5000)
    assert clock.bounding_box()["width"] == pytest.approx(width, abs=1)
    wf.open("stereo")  # a file of 1.2 s: the same layout, not milliseconds
    assert re.fullmatch(r"0:00\.0 / 0:01\.\d", wf.frame.locator(".wf-time").inner_text())


def test_the_minimap_shades_the_part_in_view_only_when_zoomed_in(wf):
    wf.open("basic")
    wf.frame.locator(".wf-minimap [part~='minimap-overlay']").wait_for(state="attached", timeout=5000)
    assert not wf.frame_eval(OVERLAY)["shown"]
    wf.page.set_viewport_size({"width": 1200, "height": 900})  # a redraw: still no shading of the whole file
    time.sleep(0.5)
    assert not wf.frame_eval(OVERLAY)["shown"]
    wf.focus_frame()
    wf.press("+")
    time.sleep(0.4)
    o = wf.frame_eval(OVERLAY)
    assert o["shown"] and o["width"] == pytest.approx(0.5, abs=0.03), o
    wf.press("-")
    time.sleep(0.4)
    assert not wf.frame_eval(OVERLAY)["shown"]


def test_the_wheel_scrolls_the_zoomed_view_and_leaves_the_page_its_scroll_otherwise(wf):
    wf.page.set_viewport_size({"width": 1280, "height": 420})  # the page itself scrolls
    wf.open("basic")
    fit = float(wf.body("px-per-sec"))
    g = wf.geometry()
    wf.page.mouse.move(wf.x_of(10.0, g), wf.y_of(None, g))
    page_before = wf.page.evaluate(PAGE_SCROLL)
    wf.page.mouse.wheel(0, 150)
    time.sleep(0.4)
    assert wf.page.evaluate(PAGE_SCROLL) > page_before  # the whole file is in view: the page scrolls
    assert wf.geometry()["scroll"] == 0
    wf.page.evaluate("() => document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
    wf.focus_frame()
    wf.press("+")
    wf.press("+")
    g = wf.geometry()
    assert g["scroll"] == 0
    wf.page.mouse.move(wf.x_of(2.0, g), wf.y_of(None, g))
    page_before = wf.page.evaluate(PAGE_SCROLL)
    wf.page.mouse.wheel(0, 300)
    time.sleep(0.4)
    g = wf.geometry()
    assert g["scroll"] == pytest.approx(300, abs=40), g
    assert wf.page.evaluate(PAGE_SCROLL) == page_before  # zoomed in: the view scrolls, not the page
    assert float(wf.body("px-per-sec")) == pytest.approx(fit * 4, rel=0.02)  # and nothing zooms
    wf.page.mouse.wheel(0, -200)
    time.sleep(0.4)
    assert wf.geometry()["scroll"] == pytest.approx(100, abs=40)


def test_channel_lanes_are_named_as_the_spectrogram_lanes_are(wf):
    wf.open("basic")
    assert wf.frame.locator(".wf-lane-name").count() == 0  # mono: one lane, no name
    wf.open("spectro_stereo")
    wf.frame.locator(".wf-spectro-channel").first.wait_for(timeout=10_000)
    names = wf.frame.locator(".wf-lane-name")
    assert names.all_inner_texts() == ["channel 1", "channel 2"]
    g = wf.geometry()
    lane = g["height"] / 2
    tops = [b["y"] - g["y"] for b in (names.nth(i).bounding_box() for i in range(2))]
    assert tops[0] == pytest.approx(2, abs=3) and tops[1] == pytest.approx(lane + 2, abs=3), tops
    look = """(_, sel) => { const s = getComputedStyle(document.querySelector(sel));
                         return [s.backgroundColor, s.color, s.fontSize, s.borderRadius, s.right]; }"""
    assert wf.frame_eval(look, ".wf-lane-name") == wf.frame_eval(look, ".wf-spectro-channel")


def test_shift_up_and_down_change_the_drawn_height(wf):
    wf.open("basic")
    time.sleep(0.3)
    assert wf.body("vertical-zoom") == "1"
    base = painted(wf)
    assert base > 0
    wf.focus_frame()
    wf.press("Shift+ArrowUp")
    wf.press("Shift+ArrowUp")
    taller = wait_painted_change(wf, base)
    assert float(wf.body("vertical-zoom")) == 2
    assert taller > base * 1.3, (base, taller)
    for _ in range(3):
        wf.press("Shift+ArrowDown")
    shorter = wait_painted_change(wf, taller)
    assert float(wf.body("vertical-zoom")) == pytest.approx(0.7071, abs=1e-3)
    assert shorter < base * 0.9, (base, shorter)
    assert wf.state()["log_size"] == 0  # a view change, nothing sent


def test_zooming_into_a_quiet_part_normalises_to_its_own_peak(wf):
    wf.open("basic")
    whole = float(wf.body("view-peak"))
    assert whole > 0
    wf.frame.locator(".wf-zoom input").fill("1000")  # 5000 px/s: a fifth of a second at the start
    wf.frame.locator(".wf-zoom input").dispatch_event("input")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and float(wf.body("view-peak")) == whole:
        time.sleep(0.1)
    assert float(wf.body("view-peak")) < whole / 2, (whole, wf.body("view-peak"))
