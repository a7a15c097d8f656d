"""Regions made, chosen and edited by keyboard alone, and number keys that
choose the label of the next region (design.md, Keys), in headless Chromium
against tests/browser/waveform_app.py.

Times are checked in the state the app keeps from the values Python
received, within 10 ms of what the keys imply (seeks of 1 s, nudges of 10 ms).
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.timeout(180)

MS10 = 0.010


def value_of(st: dict) -> dict:
    assert st["value"] is not None, st
    return st["value"]


def by_id(regions: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in regions}


def wait_event(wf, seq: int, type_: str) -> dict:
    """Wait until Python has the value of the frame's `seq`-th event, of type `type_`."""
    st = wf.wait_state(lambda s: s["value"] is not None and s["value"]["event"]["seq"] >= seq,
                       what=f"event {seq} ({type_})")
    wf.wait_idle()
    st = wf.state()
    assert value_of(st)["event"]["type"] == type_, value_of(st)["event"]
    return st


def playhead(wf) -> float:
    return wf.frame_eval("() => window.__wfCurrentTime()")


def selected(wf) -> str:
    return wf.body("selected") or ""


def last_drawn(wf) -> str:
    return wf.body("last-drawn") or ""


def marks_shown(wf) -> list[dict]:
    return wf.frame_eval(
        """() => [...document.querySelector('.wf-wave > div').shadowRoot.querySelectorAll('.wf-mark')]
                 .map(m => ({edge: m.dataset.edge, left: m.style.left}))"""
    )


def test_a_region_made_selected_nudged_relabelled_and_answered_by_keys_alone(wf):
    wf.open("basic")
    wf.focus_frame()
    for _ in range(3):
        wf.press("ArrowRight")
    assert abs(playhead(wf) - 3.0) < MS10
    wf.press("i")
    assert wf.body("mark") == "in:3.000"
    assert [m["edge"] for m in marks_shown(wf)] == ["in"]  # the mark is on the waveform
    assert wf.state()["log_size"] == 0  # a mark alone sends nothing
    wf.press("ArrowRight")
    wf.press("ArrowRight")
    wf.press("o")
    st = wait_event(wf, 1, "created")
    [r] = value_of(st)["regions"]
    assert value_of(st)["event"]["region_id"] == r["id"]
    assert abs(r["start"] - 3.0) <= MS10 and abs(r["end"] - 5.0) <= MS10, r
    assert r["label"] == "SPEECH" and r["channel"] is None
    assert marks_shown(wf) == [] and wf.body("mark") == ""
    # made, not selected: marked as the region just drawn
    assert last_drawn(wf) == r["id"] and selected(wf) == ""

    wf.press("Tab")
    assert selected(wf) == r["id"] and last_drawn(wf) == ""
    # tab selected a region: the focus stayed in the frame
    assert wf.page.evaluate("document.activeElement.tagName") == "IFRAME"
    assert wf.frame_eval("() => document.activeElement === document.body")

    wf.press("Alt+ArrowRight")  # start 10 ms later
    st = wait_event(wf, 2, "updated")
    wf.press("Shift+Alt+ArrowLeft")  # end 10 ms earlier
    st = wait_event(wf, 3, "updated")
    wf.press("2")  # the annotator selected it: relabel
    st = wait_event(wf, 4, "relabelled")
    [r2] = value_of(st)["regions"]
    assert r2["id"] == r["id"] and r2["label"] == "NOISE", r2
    assert abs(r2["start"] - 3.01) <= MS10 and abs(r2["end"] - 4.99) <= MS10, r2
    assert abs(r2["start"] - r["start"] - 0.01) < 1e-6 and abs(r["end"] - r2["end"] - 0.01) < 1e-6

    wf.press("a")  # and the answer: one task, one accept, with that region
    st = wf.wait_state(lambda s: s["answers"], what="the answer")
    assert st["answers"] == [{"task": "t-basic", "action": "accept"}]
    assert st["regions"] == [r2]
    assert [e["event"]["type"] for e in st["log"]][-1] == "key"


def test_marks_in_either_order_and_undo_redo_of_the_region_they_made(wf):
    wf.open("basic")
    wf.focus_frame()
    wf.frame.locator('.wf-label[data-label="MUSIC"]').click()
    wf.focus_frame()
    for _ in range(8):
        wf.press("ArrowRight")
    wf.press("o")  # out first, at 8 s
    assert wf.body("mark") == "out:8.000"
    wf.press("ArrowLeft")
    wf.press("o")  # the same edge again moves the mark
    assert wf.body("mark") == "out:7.000" and len(marks_shown(wf)) == 1
    wf.press("Shift+ArrowLeft")  # 2 s
    wf.press("i")
    st = wait_event(wf, 1, "created")
    [r] = value_of(st)["regions"]
    assert abs(r["start"] - 2.0) <= MS10 and abs(r["end"] - 7.0) <= MS10 and r["label"] == "MUSIC", r
    shown = wf.regions_shown()
    assert [(x["id"], x["label"]) for x in shown] == [(r["id"], "MUSIC")]
    wf.press("Control+z")
    st = wait_event(wf, 2, "undo")
    assert st["regions"] == [] and wf.regions_shown() == []
    wf.press("Control+Shift+z")
    st = wait_event(wf, 3, "redo")
    assert st["regions"] == [r]
    # i and o at the same playhead make nothing: the second mark stays pending
    wf.press("i")
    wf.press("o")
    assert wf.body("mark") == "out:2.000"
    time.sleep(0.5)
    assert wf.state()["log_size"] == 3


def test_escape_clears_a_pending_mark_and_the_selection(wf):
    wf.open("prefilled")
    wf.focus_frame()
    wf.press("ArrowRight")
    wf.press("i")
    assert wf.body("mark") == "in:1.000" and len(marks_shown(wf)) == 1
    wf.press("Tab")
    assert selected(wf) == "r1"
    wf.press("Escape")
    assert wf.body("mark") == "" and marks_shown(wf) == [] and selected(wf) == ""
    # the next mark starts a new pair: nothing is made
    wf.press("ArrowRight")
    wf.press("o")
    assert wf.body("mark") == "out:2.000"
    time.sleep(0.5)
    st = wf.state()
    assert st["log_size"] == 0 and len(st["regions"]) == 2


def test_number_keys_choose_the_label_of_the_next_region(wf):
    wf.open("basic")
    wf.focus_frame()
    wf.press("1")
    wf.drag(2.0, 5.0)
    st = wf.wait_log(1)
    first = value_of(st)["event"]["region_id"]
    assert last_drawn(wf) == first and selected(wf) == ""
    # finishing it (a resize of its end) keeps it "just drawn", not selected
    wf.drag(5.0, 6.0)
    st = wait_event(wf, 2, "updated")
    assert abs(by_id(value_of(st)["regions"])[first]["end"] - 6.0) <= 0.15
    assert last_drawn(wf) == first and selected(wf) == ""
    wf.press("2")
    wf.drag(8.0, 11.0)
    st = wf.wait_log(3)
    regions = by_id(value_of(st)["regions"])
    second = value_of(st)["event"]["region_id"]
    assert regions[first]["label"] == "SPEECH" and regions[second]["label"] == "NOISE", regions
    assert abs(regions[first]["start"] - 2.0) <= 0.15 and abs(regions[second]["end"] - 11.0) <= 0.15
    assert [e["event"]["type"] for e in st["log"]] == ["created", "updated", "created"]  # nothing relabelled
    assert last_drawn(wf) == second and selected(wf) == ""
    # a drawn region is outlined as such, not as selected
    parts = {x["id"]: x for x in wf.frame_eval(
        """() => [...document.querySelector('.wf-wave > div').shadowRoot.querySelectorAll('[part~="region"]')]
                 .map(e => ({id: e.dataset.id, part: e.getAttribute('part'), outline: e.style.outlineStyle}))""")}
    assert "region-last-drawn" in parts[second]["part"] and parts[second]["outline"] == "dashed"
    assert "region-last-drawn" not in parts[first]["part"] and parts[first]["outline"] == ""
    # a region the annotator selects (a click) is relabelled by the number keys
    wf.click_at(3.5)
    wf.frame.locator(f"body[data-selected='{first}']").wait_for(state="attached")
    wf.press("3")
    st = wait_event(wf, 4, "relabelled")
    assert by_id(value_of(st)["regions"])[first]["label"] == "MUSIC"
    assert by_id(value_of(st)["regions"])[second]["label"] == "NOISE"


def test_backspace_right_after_drawing_removes_the_drawn_region_not_the_last_answer(wf):
    wf.open("basic")
    wf.focus_frame()
    wf.drag(2.0, 5.0)
    wf.wait_log(1)
    wf.press("2")  # the label of the next region: nothing is sent
    time.sleep(0.5)
    assert wf.state()["log_size"] == 1
    wf.press("Backspace")
    st = wait_event(wf, 2, "removed")
    assert st["regions"] == [] and st["answers"] == []
    assert [e["event"]["type"] for e in st["log"]] == ["created", "removed"]
    assert last_drawn(wf) == ""
    # with nothing drawn or selected, backspace is the answer undo again
    wf.press("Backspace")
    st = wf.wait_state(lambda s: s["answers"], what="the undo key")
    assert st["answers"] == [{"task": "t-basic", "action": "undo"}]


def test_tab_and_shift_tab_go_by_start_time_wrapping_and_scroll_into_view(wf):
    wf.open("three")  # listed rb (10 s), ra (3 s), rc (24 s)
    wf.focus_frame()
    seen = []
    for _ in range(4):
        wf.press("Tab")
        seen.append(selected(wf))
    assert seen == ["ra", "rb", "rc", "ra"]
    back = []
    for _ in range(4):
        wf.press("Shift+Tab")
        back.append(selected(wf))
    assert back == ["rc", "rb", "ra", "rc"]
    assert wf.page.evaluate("document.activeElement.tagName") == "IFRAME"
    wf.press("Escape")
    assert selected(wf) == ""
    # with nothing selected, shift+tab goes back from the playhead
    for _ in range(15):
        wf.press("ArrowRight")
    wf.press("Shift+Tab")
    assert selected(wf) == "rb"
    wf.press("Escape")

    # zoomed in, the region tab selects is scrolled into view
    for _ in range(3):
        wf.press("+")
    g = wf.geometry()
    visible = g["view_width"] / g["pps"]
    assert 2.5 < visible < 6, visible  # the 2 s regions fit, most of the file is out of view
    wf.press("Tab")  # the first at or after the playhead: rc at 24 s
    assert selected(wf) == "rc"
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        g = wf.geometry()
        start, end = g["scroll"] / g["pps"], (g["scroll"] + g["view_width"]) / g["pps"]
        if start <= 24.0 and 26.0 <= end:
            break
        time.sleep(0.05)
    assert start <= 24.0 and 26.0 <= end, (start, end)
    wf.press("Tab")  # wraps to ra at 3 s, far before the view
    assert selected(wf) == "ra"
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        g = wf.geometry()
        start, end = g["scroll"] / g["pps"], (g["scroll"] + g["view_width"]) / g["pps"]
        if start <= 3.0 and 5.0 <= end:
            break
        time.sleep(0.05)
    assert start <= 3.0 and 5.0 <= end, (start, end)
    time.sleep(0.3)
    assert wf.state()["log_size"] == 0  # selecting sends nothing


def test_tab_never_fires_in_a_text_field_or_on_the_page(wf):
    wf.open("three")
    wf.focus_frame()
    wf.press("Tab")
    assert selected(wf) == "ra"
    field = wf.frame.locator(".wf-sel-text")
    field.click()
    wf.press("Tab")  # the browser's: the focus leaves the field
    assert selected(wf) == "ra"
    assert wf.frame_eval("() => document.activeElement && document.activeElement.className") != "wf-sel-text"
    wf.focus_frame()
    wf.press("Escape")
    wf.page.mouse.click(12, 600)  # the page's empty margin: the focus leaves the frame
    wf.page.keyboard.press("Tab")  # the page's focus moves; no region is selected
    assert selected(wf) == ""
    wf.focus_frame()
    wf.press("Tab")
    assert selected(wf) == "ra"


def test_a_nudge_plays_the_half_second_around_the_moved_edge_once_the_key_rests(wf):
    wf.open("prefilled")
    wf.click_at(7.0)
    wf.frame.locator("body[data-selected='r1']").wait_for(state="attached")
    # alt+right held down: five key events 30 ms apart, as the keyboard's auto-repeat sends them
    wf.frame_eval(
        """async () => {
            for (let i = 0; i < 5; i++) {
                document.dispatchEvent(new KeyboardEvent('keydown', {
                    key: 'ArrowRight', code: 'ArrowRight', altKey: true, repeat: i > 0, bubbles: true, cancelable: true}));
                await new Promise(r => setTimeout(r, 30));
            }
        }"""
    )  # start 5.00 -> 5.05
    wf.frame.locator("body[data-preview]").wait_for(state="attached", timeout=3_000)
    assert wf.body("preview") == "4.800-5.300"
    time.sleep(0.3)
    assert wf.body("previews") == "1"  # one play for the burst, not five
    t = playhead(wf)
    assert 4.8 - MS10 <= t <= 5.3 + MS10, t
    # it stops at the end of the half second
    time.sleep(1.0)
    assert wf.body("playing") == "0"
    assert abs(playhead(wf) - 5.3) < MS10, playhead(wf)
    st = wf.wait_state(lambda s: s["value"] and s["value"]["event"]["seq"] == 5, what="the 5th nudge")
    r1 = by_id(value_of(st)["regions"])["r1"]
    assert abs(r1["start"] - 5.05) < 1e-6 and r1["end"] == 10.0
    # the end edge: the audio around the end
    wf.press("Shift+Alt+ArrowRight")
    wf.frame.locator("body[data-preview='9.760-10.260']").wait_for(state="attached", timeout=3_000)
    assert wf.body("previews") == "2"


def test_marks_on_one_channel_of_a_stereo_file_use_the_lane_of_the_last_pointer(wf):
    wf.open("stereo")
    wf.frame.locator(".wf-draw select").select_option("lane")
    wf.focus_frame()
    # no pointer on the waveform yet: lane 0
    wf.press("i")
    wf.press("Shift+ArrowRight")  # 5 s on: the end of the 1.2 s file
    wf.press("o")
    st = wait_event(wf, 1, "created")
    [r] = value_of(st)["regions"]
    dur = st["duration"]
    assert r["channel"] == 0 and r["start"] == 0.0 and abs(r["end"] - dur) <= MS10, r
    # a click on lane 1 (it seeks there): the next pair goes on lane 1
    wf.click_at(0.2, lane=1)
    wf.focus_frame()
    t0 = playhead(wf)
    wf.press("i")
    wf.press("ArrowRight")
    wf.press("o")
    st = wait_event(wf, 2, "created")
    new = by_id(value_of(st)["regions"])[value_of(st)["event"]["region_id"]]
    assert new["channel"] == 1 and abs(new["start"] - t0) <= MS10, (new, t0)
    # drawing on all channels: a mark pair spans them
    wf.frame.locator(".wf-draw select").select_option("all")
    wf.focus_frame()
    wf.press("Shift+ArrowLeft")
    wf.press("i")
    wf.press("ArrowRight")
    wf.press("o")
    st = wait_event(wf, 3, "created")
    newer = by_id(value_of(st)["regions"])[value_of(st)["event"]["region_id"]]
    assert newer["channel"] is None and newer["start"] == 0.0, newer


def test_a_labelled_region_and_the_answer_in_three_keys_plus_the_two_marks(wf):
    """`2`, `space`, `i` … `o`, `a`: the label, play, the marks while listening, the answer."""
    wf.open("basic")
    wf.focus_frame()
    wf.press("2")
    wf.press("Space")
    wf.frame.locator("body[data-playing='1']").wait_for(state="attached", timeout=5_000)
    time.sleep(0.5)
    wf.press("i")
    t_in = float(wf.body("mark").split(":")[1])
    time.sleep(1.0)
    wf.press("o")
    t_out = playhead(wf)
    wf.press("a")
    st = wf.wait_state(lambda s: s["answers"], what="the answer")
    assert st["answers"] == [{"task": "t-basic", "action": "accept"}]
    [r] = st["regions"]
    assert r["label"] == "NOISE", r
    assert abs(r["start"] - t_in) <= MS10 and 0.8 <= r["end"] - r["start"] <= 1.6 and r["end"] <= t_out + MS10, (r, t_out)
    events = [e["event"]["type"] for e in st["log"]]
    assert events[-1] == "key" and set(events) <= {"created", "key"}, events


def test_read_only_marks_make_nothing_and_tab_still_selects(wf):
    wf.open("readonly")
    wf.focus_frame()
    wf.press("ArrowRight")
    wf.press("i")
    wf.press("ArrowRight")
    wf.press("o")
    assert wf.body("mark") in (None, "")
    wf.press("Tab")  # to play it (shift+space) or loop it
    assert selected(wf) == "r1"
    wf.press("Alt+ArrowRight")
    wf.press("2")
    time.sleep(0.5)
    st = wf.state()
    assert st["log_size"] == 0 and st["regions"] == [{"id": "r1", "start": 5.0, "end": 10.0, "label": "SPEECH"}]


def test_alt_arrows_in_the_frame_never_reach_the_browser_even_with_nothing_selected(wf):
    wf.open("prefilled")
    wf.focus_frame()
    # after the editor's own listener (same node and phase, added later)
    wf.frame_eval("""() => { window.__altSeen = [];
        document.addEventListener('keydown', e => {
            if (e.key !== 'Alt') window.__altSeen.push([e.key, e.defaultPrevented]); }, true); }""")
    wf.press("Alt+ArrowLeft")  # the browser's "back", were it let through
    wf.press("Alt+ArrowRight")
    assert wf.frame_eval("() => window.__altSeen") == [["ArrowLeft", True], ["ArrowRight", True]]
    assert wf.page.url.endswith("scenario=prefilled")
    time.sleep(0.3)
    assert wf.state()["log_size"] == 0  # nothing to nudge, nothing sent
