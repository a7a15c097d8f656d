"""Lanes per label (tiers) in the waveform component, in headless Chromium.

With `audio_lanes: "labels"` (or the toolbar's Lanes toggle) each label of the
list gets a row, regions of labels not in the list an "other" row at the
bottom; a region is drawn in its label's row only, a drag on a row makes a
region of that row's label. Geometry is read from the frame's shadow DOM.
"""

from __future__ import annotations

import time

import pytest

XSS_LABEL = "<img src=x onerror=alert(1)>"  # the label of waveform_app.py's xss scenarios

pytestmark = pytest.mark.timeout(180)

ROWS_JS = """() => [...document.querySelectorAll('.wf-tier-names .wf-tier-slot')].map(e => {
    const r = e.getBoundingClientRect();
    return {label: e.dataset.label ?? null, name: e.textContent, top: r.top, bottom: r.bottom,
            visible: !!e.offsetParent};
})"""

REGIONS_JS = """() => {
    const root = document.querySelector('.wf-wave > div').shadowRoot;
    return [...root.querySelectorAll('[part~="region"]')].map(e => {
        const r = e.getBoundingClientRect();
        const lab = e.querySelector(':scope > .wf-region-label');
        const lr = lab ? lab.getBoundingClientRect() : null;
        return {id: e.dataset.id, label: e.dataset.label, top: r.top, bottom: r.bottom,
                left: r.left, right: r.right,
                text: lab ? lab.textContent : null,
                label_part: lab ? lab.getAttribute('part') : null,
                label_shown: !!lab && getComputedStyle(lab).display !== 'none' && lr.width > 0,
                label_box: lr && {top: lr.top, bottom: lr.bottom, left: lr.left, right: lr.right}};
    });
}"""


def rows(wf) -> list[dict]:
    return wf.frame_eval(ROWS_JS)


def regions(wf) -> dict[str, dict]:
    return {r["id"]: r for r in wf.frame_eval(REGIONS_JS)}


def row_of(rows_: list[dict], label: str | None) -> dict:
    return next(r for r in rows_ if r["label"] == label)


def inside(box: dict, row: dict, slack: float = 1.0) -> bool:
    return box["top"] >= row["top"] - slack and box["bottom"] <= row["bottom"] + slack


def drag_on_row(wf, row: int, t0: float, t1: float) -> None:
    n = len(rows(wf))
    wf.drag(t0, t1, frac=(row + 0.5) / n)


def active_label(wf) -> str:
    return wf.frame.locator(".wf-label[aria-pressed='true']").get_attribute("data-label")


def test_each_label_has_a_row_in_list_order_and_each_region_lies_in_its_labels_row(wf):
    wf.open("lanes")
    assert wf.body("lanes") == "labels"
    assert wf.frame.locator(".wf-lanes-toggle").get_attribute("aria-pressed") == "true"
    rs = rows(wf)
    # the list's labels in order, then "other" for LAUGH (not in the list)
    assert [r["name"] for r in rs] == ["SPEECH", "NOISE", "MUSIC", "other"]
    assert [r["label"] for r in rs] == ["SPEECH", "NOISE", "MUSIC", None]
    assert all(r["visible"] for r in rs)
    for a, b in zip(rs, rs[1:]):
        assert abs(a["bottom"] - b["top"]) < 1.0 and a["bottom"] - a["top"] >= 29
    shown = regions(wf)
    assert set(shown) == {"r1", "r2", "r3", "r4", "r5", "r6"}
    expected = {"r1": "SPEECH", "r2": "NOISE", "r3": "MUSIC", "r4": "SPEECH", "r5": None, "r6": "NOISE"}
    for rid, label in expected.items():
        row = row_of(rs, label)
        assert inside(shown[rid], row), (rid, shown[rid], row)
        # the whole row, not a part of it
        assert shown[rid]["bottom"] - shown[rid]["top"] > (row["bottom"] - row["top"]) - 2
    # overlapping regions of different labels do not overlap on screen
    assert shown["r1"]["bottom"] <= shown["r2"]["top"] + 1 <= shown["r3"]["top"] + 1
    assert not wf.errors


def test_a_drag_on_the_second_row_makes_a_region_of_the_second_label_and_makes_it_active(wf):
    wf.open("lanes")
    assert active_label(wf) == "SPEECH"
    drag_on_row(wf, 1, 22.0, 26.0)
    st = wf.wait_log(1)
    new = [r for r in st["regions"] if r["id"] not in {"r1", "r2", "r3", "r4", "r5", "r6"}]
    assert len(new) == 1, st["regions"]
    assert new[0]["label"] == "NOISE"
    assert abs(new[0]["start"] - 22.0) < 0.15 and abs(new[0]["end"] - 26.0) < 0.15
    assert st["log"][-1]["event"]["type"] == "created"
    assert active_label(wf) == "NOISE"
    rs = rows(wf)
    assert inside(regions(wf)[new[0]["id"]], row_of(rs, "NOISE"))
    # and on the third row, a MUSIC region, whatever label was active
    drag_on_row(wf, 2, 23.0, 27.0)
    st = wf.wait_log(2)
    labels = sorted(r["label"] for r in st["regions"] if r["id"] not in {"r1", "r2", "r3", "r4", "r5", "r6"})
    assert labels == ["MUSIC", "NOISE"]
    assert active_label(wf) == "MUSIC"


def test_a_click_selects_in_the_row_under_it_and_moving_a_region_keeps_it_in_its_row(wf):
    wf.open("lanes")
    # at 7 s SPEECH (r1), NOISE (r2) and MUSIC (r3) overlap: the MUSIC row's click picks r3
    wf.click_at(7.0, frac=2.5 / 4)
    wf.frame.locator("body[data-selected='r3']").wait_for(state="attached")
    wf.click_at(7.0, frac=1.5 / 4)
    wf.frame.locator("body[data-selected='r2']").wait_for(state="attached")
    # drag the selected region's body: it moves in time, not out of its row
    g = wf.geometry()
    y = wf.y_of(None, g, frac=1.5 / 4)
    x0 = wf.x_of(8.0, g)
    m = wf.page.mouse
    m.move(x0, y)
    m.down()
    m.move(x0 + 3 * g["pps"], y + 60, steps=15)  # 3 s right, and down over other rows
    m.up()
    st = wf.wait_log(1)
    r2 = next(r for r in st["regions"] if r["id"] == "r2")
    assert r2["label"] == "NOISE" and abs(r2["start"] - 7.0) < 0.2
    assert inside(regions(wf)["r2"], row_of(rows(wf), "NOISE"))


def test_toggling_lanes_keeps_regions_undo_and_selection_and_is_remembered(wf):
    wf.open("lanes")
    drag_on_row(wf, 0, 22.0, 25.0)  # an edit to undo later
    st = wf.wait_log(1)
    assert len(st["regions"]) == 7
    wf.click_at(7.0, frac=2.5 / 4)
    wf.frame.locator("body[data-selected='r3']").wait_for(state="attached")

    toggle = wf.frame.locator(".wf-lanes-toggle")
    assert toggle.inner_text() == "Lanes: labels"
    toggle.click()
    wf.frame.locator("body[data-lanes='channels']").wait_for(state="attached")
    assert toggle.get_attribute("aria-pressed") == "false"
    assert toggle.inner_text() == "Lanes: channels"
    assert wf.body("selected") == "r3"
    assert not any(r["visible"] for r in rows(wf))
    shown = regions(wf)
    assert len(shown) == 7
    # today's layout: every region over the whole (mono) wave
    tops = {round(r["top"]) for r in shown.values()}
    bottoms = {round(r["bottom"]) for r in shown.values()}
    assert len(tops) == 1 and len(bottoms) == 1
    assert wf.geometry()["height"] == pytest.approx(150, abs=1)
    # nothing was sent for a change of layout
    assert wf.state()["log_size"] == 1

    # the undo history survived: ctrl+z removes the region drawn before the toggle
    wf.focus_frame()
    wf.press("Control+z")
    st = wf.wait_log(2)
    assert len(st["regions"]) == 6 and st["log"][-1]["event"]["type"] == "undo"

    toggle.click()
    wf.frame.locator("body[data-lanes='labels']").wait_for(state="attached")
    assert wf.body("selected") == "r3"
    shown = regions(wf)
    assert inside(shown["r3"], row_of(rows(wf), "MUSIC"))
    assert inside(shown["r1"], row_of(rows(wf), "SPEECH"))

    # the tab remembers the choice over the setting
    toggle.click()
    wf.frame.locator("body[data-lanes='channels']").wait_for(state="attached")
    wf.open("lanes")
    assert wf.body("lanes") == "channels"
    wf.frame.locator(".wf-lanes-toggle").click()
    wf.frame.locator("body[data-lanes='labels']").wait_for(state="attached")


def test_the_hover_time_shows_below_the_wave_never_over_a_label_and_leaves_with_the_pointer(wf):
    wf.open("lanes")
    g = wf.geometry()
    hover = wf.frame.locator(".wf-hover-time")
    page = wf.page
    for t, frac in ((5.0, 0.05), (6.5, 0.3), (10.0, 0.55), (17.0, 0.8)):
        page.mouse.move(wf.x_of(t, g), wf.y_of(None, g, frac))
        hover.wait_for(state="visible")
        time.sleep(0.1)
        box = hover.evaluate("e => { const r = e.getBoundingClientRect(); "
                             "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, text: e.textContent}; }")
        wave = wf.frame_eval("() => document.querySelector('.wf-wave > div').shadowRoot"
                             ".querySelector('.wrapper').getBoundingClientRect().bottom")
        assert box["top"] >= wave - 0.5, (box, wave)
        assert box["text"].startswith(f"0:{int(t):02d}"), box
        for r in regions(wf).values():
            lb = r["label_box"]
            if not r["label_shown"]:
                continue
            overlaps = lb["left"] < box["right"] and box["left"] < lb["right"] and \
                lb["top"] < box["bottom"] and box["top"] < lb["bottom"]
            assert not overlaps, (r, box)
    # the plugin's own label (over the wave's top, where the labels are) is not drawn
    plugin_label = wf.frame_eval(
        "() => { const l = document.querySelector('.wf-wave > div').shadowRoot"
        ".querySelector('[part~=\"hover-label\"]'); return l ? getComputedStyle(l).display : null; }")
    assert plugin_label == "none"

    # out of the wave onto the toolbar: gone
    tb = wf.frame.locator(".wf-toolbar").bounding_box()
    page.mouse.move(tb["x"] + 5, tb["y"] + 5, steps=5)
    hover.wait_for(state="hidden", timeout=2000)
    # back in, then out of the frame altogether (onto the page above it)
    page.mouse.move(wf.x_of(12.0, g), wf.y_of(None, g, 0.5), steps=5)
    hover.wait_for(state="visible")
    page.mouse.move(wf.x_of(12.0, g), 5, steps=3)
    hover.wait_for(state="hidden", timeout=2000)


def test_a_short_region_hides_its_label_and_gives_the_full_label_on_hover(wf):
    wf.open("lanes")
    shown = regions(wf)
    # 60 ms at about 37 px/s: two pixels, no room for any of "NOISE"
    assert shown["r6"]["right"] - shown["r6"]["left"] < 5
    assert not shown["r6"]["label_shown"] and "region-label-hidden" in shown["r6"]["label_part"]
    # a wide region shows its whole label
    assert shown["r1"]["label_shown"] and shown["r1"]["text"] == "SPEECH"
    g = wf.geometry()
    wf.page.mouse.move(wf.x_of(20.03, g), wf.y_of(None, g, 1.5 / 4))
    wf.page.wait_for_function(
        "() => { const f = document.querySelector('iframe[title*=\"waveform\"]');"
        " return f.contentDocument.querySelector('.wf-wave').title === 'NOISE'; }", timeout=3000)
    # over a region whose label is shown whole: no tooltip
    wf.page.mouse.move(wf.x_of(3.0, g), wf.y_of(None, g, 0.5 / 4))
    wf.page.wait_for_function(
        "() => { const f = document.querySelector('iframe[title*=\"waveform\"]');"
        " return !f.contentDocument.querySelector('.wf-wave').hasAttribute('title'); }", timeout=3000)
    # zoomed in, the short region is wide enough for its label again
    wf.frame_eval("() => { const i = document.querySelector('.wf-zoom input'); i.value = '800';"
                  " i.dispatchEvent(new Event('input')); }")
    wf.frame.locator("body").evaluate("() => new Promise(r => setTimeout(r, 300))")
    g = wf.geometry()
    assert 0.06 * g["pps"] > 40, g
    wf.frame_eval("(_body, pps) => { const s = document.querySelector('.wf-wave > div').shadowRoot.querySelector('.scroll');"
                  " s.scrollLeft = 20 * pps - 300; }", g["pps"])
    wf.frame.locator("body").evaluate("() => new Promise(r => setTimeout(r, 300))")
    r6 = regions(wf)["r6"]
    assert r6["label_shown"] and "region-label-hidden" not in r6["label_part"], r6


def test_row_names_are_text_never_html(wf):
    wf.open("lanes_xss")
    rs = rows(wf)
    assert [r["name"] for r in rs] == [XSS_LABEL, "SPEECH"]
    assert wf.frame_eval("() => document.querySelectorAll('.wf-tier-names img, .wf-tiers img').length") == 0
    assert inside(regions(wf)["r1"], row_of(rs, XSS_LABEL))
    assert not wf.dialogs


def test_stereo_rows_span_the_channels_and_regions_keep_their_channel(wf):
    wf.open("lanes_stereo")
    assert wf.body("channels") == "2"
    rs = rows(wf)
    assert [r["name"] for r in rs] == ["SPEECH", "NOISE", "MUSIC"]
    g = wf.geometry()
    assert rs[0]["bottom"] - rs[0]["top"] == pytest.approx(g["height"] / 3, abs=1)
    shown = regions(wf)
    assert inside(shown["r1"], row_of(rs, "NOISE")) and inside(shown["r2"], row_of(rs, "SPEECH"))
    assert shown["r1"]["text"] == "NOISE · ch 2"  # its channel, which the rows no longer show
    # "Draw on: all channels": a region on a row has no channel
    drag_on_row(wf, 2, 0.95, 1.1)
    st = wf.wait_log(1)
    new = [r for r in st["regions"] if r["id"] not in ("r1", "r2")]
    assert len(new) == 1 and new[0]["label"] == "MUSIC" and new[0]["channel"] is None
    # back to channel lanes: r1 in the second channel's lane again
    wf.frame.locator(".wf-lanes-toggle").click()
    wf.frame.locator("body[data-lanes='channels']").wait_for(state="attached")
    g = wf.geometry()
    r1 = regions(wf)["r1"]
    lane_top = wf.frame_eval("() => document.querySelector('.wf-wave > div').shadowRoot"
                             ".querySelector('.wrapper').getBoundingClientRect().top") + g["height"] / 2
    assert r1["top"] == pytest.approx(lane_top, abs=1)
    assert r1["text"] == "NOISE"
    assert next(r for r in wf.state()["regions"] if r["id"] == "r1")["channel"] == 1


def test_many_labels_make_the_wave_taller_and_the_toggle_gives_it_back_its_height(wf):
    wf.open("lanes_many")
    rs = rows(wf)
    assert [r["name"] for r in rs] == [f"SPK{i}" for i in range(1, 9)]
    assert all(r["bottom"] - r["top"] >= 29.5 for r in rs)
    assert wf.geometry()["height"] == pytest.approx(8 * 30, abs=1)
    shown = regions(wf)
    for i in range(1, 9):
        assert inside(shown[f"m{i}"], row_of(rs, f"SPK{i}"))
    toggle = wf.frame.locator(".wf-lanes-toggle")
    toggle.click()
    wf.frame.locator("body[data-lanes='channels']").wait_for(state="attached")
    assert wf.geometry()["height"] == pytest.approx(150, abs=1)
    assert len(regions(wf)) == 8
    toggle.click()
    wf.frame.locator("body[data-lanes='labels']").wait_for(state="attached")
    assert wf.geometry()["height"] == pytest.approx(240, abs=1)
    shown = regions(wf)
    rs = rows(wf)
    for i in range(1, 9):
        assert inside(shown[f"m{i}"], row_of(rs, f"SPK{i}"))
    # drawing on the last row still gives its label
    drag_on_row(wf, 7, 20.0, 24.0)
    st = wf.wait_log(1)
    assert [r["label"] for r in st["regions"] if not r["id"].startswith("m")] == ["SPK8"]
