"""The annotation card in headless Chromium: answers at an annotator's speed,
transcripts whichever way the answer is given, a server killed with answers
pending, undo after a reload, and alignment of text spans with regions.

Each test runs the real app on its own database, reads what the card did
from the frame, and reads the database only after the server has stopped
(DuckDB lets one process hold the file).
"""

from __future__ import annotations

import json
import time

import pytest

from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.loading.loader import load_sources
from earmark.db.store import Store

FRAME = 'iframe[title*="waveform"]'


def segment_tasks(path, n: int, length: float = 0.4, **extra) -> list[str]:
    return [json.dumps({"path": str(path), "segment": {"start": round(i * 0.5, 3),
                        "end": round(i * 0.5 + length, 3)}, **extra}) for i in range(n)]


def make_db(tmp_path, name: str, lines: list[str], view: str, labels=None) -> tuple:
    jsonl = tmp_path / f"{name}.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / f"{name}.duckdb"
    store = Store(db)
    report = load_sources(store, name, [jsonl], view=view, labels=labels)
    store.close()
    assert report.added == len(lines)
    return db, report.task_ids


def rows(db, sql: str, params=None) -> list[tuple]:
    store = Store(db)
    try:
        return store.query(sql, params or [])
    finally:
        store.close()


class CardPage:
    def __init__(self, page, url: str):
        self.page, self.url = page, url
        self.frame = page.frame_locator(FRAME)

    def open(self, dataset: str, session: str = "ann") -> "CardPage":
        self.page.goto(f"{self.url}/?dataset={dataset}&session={session}")
        self.wait_task()
        return self

    def body(self, name: str) -> str | None:
        return self.frame.locator("body").get_attribute(f"data-{name}")

    def wait_task(self, task_id: int | None = None, timeout: float = 30_000) -> None:
        sel = f"body[data-card-task='{task_id}']" if task_id is not None else "body[data-card-task]:not([data-card-task=''])"
        self.frame.locator(sel).wait_for(state="attached", timeout=timeout)
        self.frame.locator("body[data-ready]").wait_for(state="attached", timeout=timeout)

    def debug(self) -> dict:
        return self.frame.locator("body").evaluate("() => window.__cardDebug()")

    def wait_saved(self, timeout: float = 30.0) -> None:
        """Until Python has acknowledged every answer of this tab."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.body("pending") == "0":
                return
            time.sleep(0.1)
        raise AssertionError(f"answers still pending: {self.debug()['pending']}")


@pytest.fixture
def chromium_page(wf_browser):
    contexts = []

    def make():
        context = wf_browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()
    yield make
    for c in contexts:
        c.close()


def test_answer_keys_50_ms_apart_over_20_tasks_give_20_answers_in_press_order(
        tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "quick", segment_tasks(corpus / "diarization" / "trn01.wav", 24), "audio")
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("quick")
    keys = ["a", "x", "Enter", "a", "a", "x", "a", "Enter", "x", "a"] * 2
    names = {"a": "accept", "x": "reject", "Enter": "ignore"}
    for key in keys:
        card.page.keyboard.press(key)
        card.page.wait_for_timeout(50)
    log = card.debug()["log"]
    # each key answered the task on screen when it was pressed: the queue's order, one each
    assert [(int(e["task_id"]), e["answer"]) for e in log] == list(zip(ids[:20], [names[k] for k in keys]))
    card.wait_task(ids[20])
    card.wait_saved()
    app.stop()
    saved = rows(db, "SELECT task_id, answer FROM annotations ORDER BY id")
    assert saved == list(zip(ids[:20], [names[k] for k in keys]))
    assert rows(db, "SELECT count(*), count(DISTINCT seq) FROM answer_receipts") == [(20, 20)]


def test_a_transcript_is_saved_whichever_way_the_answer_is_given(tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "words", segment_tasks(corpus / "diarization" / "trn02.wav", 6, 1.0), "transcript")
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("words")
    page, frame = card.page, card.frame
    text = frame.locator(".card-transcript-text")

    def type_in(words: str) -> None:
        text.click()
        page.keyboard.type(words, delay=20)

    type_in("clicked accept")                 # 1: click the Accept button
    frame.locator(".card-accept").click()
    card.wait_task(ids[1])
    assert text.input_value() == ""            # the next task's own (empty) transcript
    type_in("escape then a")                  # 2: leave the field, press the accept key
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    card.wait_task(ids[2])
    type_in("tab enter")                      # 3: tab to the focused Accept, press enter
    page.keyboard.press("Tab")
    assert frame.locator(":focus").get_attribute("data-action") == "accept"
    page.keyboard.press("Enter")
    card.wait_task(ids[3])
    type_in("tab tab enter")                  # 4: enter on a focused Reject is a reject, not ignore
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert frame.locator(":focus").get_attribute("data-action") == "reject"
    page.keyboard.press("Enter")
    card.wait_task(ids[4])
    type_in("a x and enter typed")            # 5: keys do not fire while typing; ctrl+enter accepts
    assert card.body("card-task") == str(ids[4])
    page.keyboard.press("Control+Enter")
    card.wait_task(ids[5])
    card.wait_saved()
    app.stop()
    saved = rows(db, "SELECT task_id, answer, json_extract_string(annotation, '$.transcript') "
                     "FROM annotations ORDER BY id")
    assert saved == [(ids[0], "accept", "clicked accept"), (ids[1], "accept", "escape then a"),
                     (ids[2], "accept", "tab enter"), (ids[3], "reject", "tab tab enter"),
                     (ids[4], "accept", "a x and enter typed")]
    # segment by segment: the text carries the segment's times
    spans = rows(db, "SELECT json_extract(annotation, '$.audio_spans') FROM annotations ORDER BY id LIMIT 1")
    (region,) = json.loads(spans[0][0])
    assert (region["start"], region["end"], region["text"]) == (0.0, 1.0, "clicked accept")


def test_answers_pending_when_the_server_is_killed_are_saved_once_after_restart_and_reload(
        tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "crash", segment_tasks(corpus / "diarization" / "trn03.wav", 12), "audio")
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("crash")
    for key in ("a", "x"):
        card.page.keyboard.press(key)
        card.page.wait_for_timeout(100)
    card.wait_saved()
    app.kill()                                 # SIGKILL: no shutdown, no cleanup
    for key in ("a", "a", "x", "Enter", "a"):  # answered while nothing can commit them
        card.page.keyboard.press(key)
        card.page.wait_for_timeout(100)
    assert card.body("pending") == "5"
    assert card.body("card-task") == str(ids[7])
    again = run_app(db, port=app.port)
    card.page.reload()
    card.wait_task()
    card.wait_saved(timeout=60)
    again.stop()
    saved = rows(db, "SELECT task_id, answer FROM annotations ORDER BY id")
    assert saved == list(zip(ids[:7], ["accept", "reject", "accept", "accept", "reject", "ignore", "accept"]))
    assert rows(db, "SELECT count(*) FROM answer_receipts") == [(7,)]


def test_undo_after_a_reload_reopens_the_last_answer_and_a_new_answer_replaces_it(
        tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "undo", segment_tasks(corpus / "diarization" / "trn01.wav", 5), "audio")
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("undo")
    card.page.keyboard.press("a")
    card.wait_task(ids[1])
    card.page.keyboard.press("a")
    card.wait_task(ids[2])
    card.wait_saved()
    card.page.reload()
    card.wait_task(ids[2])
    card.page.keyboard.press("Backspace")      # nothing selected: undo the last answer
    card.wait_task(ids[1])
    assert "reopened by undo (answered accept)" in card.frame.locator(".card-head").inner_text()
    card.page.keyboard.press("x")
    card.wait_task(ids[2])                      # back to where the annotator was
    card.wait_saved()
    app.stop()
    current = rows(db, f"SELECT task_id, answer FROM ({CURRENT_ANNOTATIONS}) a ORDER BY task_id")
    assert current == [(ids[0], "accept"), (ids[1], "reject")]
    history = rows(db, "SELECT task_id, answer, supersedes IS NOT NULL FROM annotations ORDER BY id")
    assert history == [(ids[0], "accept", False), (ids[1], "accept", False), (ids[1], "reject", True)]


def alignment_card(tmp_path, corpus, run_app, chromium_page, wf_driver, name: str):
    """An alignment task (segment 2-6 s of trn01, a six-word transcript) with one region drawn
    at 2.5-4.0 s of card time (the clip starts 1 s before the segment)."""
    line = json.dumps({"path": str(corpus / "diarization" / "trn01.wav"), "segment": {"start": 2.0, "end": 6.0},
                       "transcript": "so we met at the station"})
    db, _ = make_db(tmp_path, name, [line], "alignment", labels=["PLACE", "PERSON"])
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open(name)
    wf = wf_driver(card.page, app.url)
    wf.drag(2.5, 4.0)
    card.page.wait_for_timeout(300)
    (region,) = wf.regions_shown()
    return db, app, card, wf, region["id"]


def test_alignment_drag_over_words_link_to_a_region_both_ways(tmp_path, corpus, run_app, chromium_page,
                                                             wf_driver):
    db, app, card, wf, region_id = alignment_card(tmp_path, corpus, run_app, chromium_page, wf_driver, "align")
    page, frame = card.page, card.frame
    # drag over "the station" (tokens 4 and 5) with the second label
    page.keyboard.press("2")
    start = frame.locator(".tp-tok[data-i='4']").bounding_box()
    end = frame.locator(".tp-tok[data-i='5']").bounding_box()
    page.mouse.move(start["x"] + 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] - 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()
    span = frame.locator("mark.tp-span")
    assert span.count() == 1 and span.get_attribute("data-label") == "PERSON"
    # the new span is selected: clicking the region links them
    wf.click_at(3.2)
    frame.locator("mark.tp-span[data-region]").wait_for(timeout=5000)
    assert span.get_attribute("data-region") == region_id
    assert any(r["text"].startswith("↔ ") for r in wf.regions_shown())
    # hovering the span highlights its region; hovering the region highlights the span
    span.hover()
    assert card.body("highlighted") == region_id
    page.mouse.move(wf.x_of(3.2), wf.y_of())
    frame.locator("mark.tp-span.tp-hl").wait_for(timeout=5000)
    page.keyboard.press("a")
    card.wait_saved()
    app.stop()
    (doc,) = rows(db, "SELECT annotation FROM annotations")
    annotation = json.loads(doc[0])
    assert annotation["spans"] == [{"start": 13, "end": 24, "label": "PERSON", "token_start": 4, "token_end": 5,
                                    "audio_span_id": region_id}]
    (stored,) = annotation["audio_spans"]
    assert abs(stored["start"] - 3.5) <= 0.15 and abs(stored["end"] - 5.0) <= 0.15   # file time


def test_keys_after_the_last_task_answer_nothing_and_the_end_is_said(tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "short", segment_tasks(corpus / "diarization" / "trn01.wav", 3), "audio")
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("short")
    for key in ("a", "a", "a", "a", "x", "Enter"):
        card.page.keyboard.press(key)
        card.page.wait_for_timeout(50)
    card.wait_saved()
    card.frame.get_by_text("No more tasks in short for ann. Thank you!").wait_for(timeout=15_000)
    assert [e["task_id"] for e in card.debug()["log"]] == [str(i) for i in ids]
    app.stop()
    assert rows(db, "SELECT task_id, answer FROM annotations ORDER BY id") == [(i, "accept") for i in ids]


def test_after_choosing_a_dataset_the_keys_go_to_the_card(tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "first", segment_tasks(corpus / "diarization" / "trn01.wav", 2), "audio")
    store = Store(db)
    second = load_sources(store, "second", [corpus / "diarization" / "trn02.wav"], view="audio").task_ids
    store.close()
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("first")
    page = card.page
    box = page.get_by_label("Dataset", exact=True)
    box.click()
    page.get_by_role("option", name="second").click()
    card.wait_task(second[0])
    page.wait_for_timeout(300)
    page.keyboard.press("a")                      # not typed into the dataset box: an answer
    card.frame.get_by_text("No more tasks in second for ann. Thank you!").wait_for(timeout=15_000)
    card.wait_saved()
    app.stop()
    assert rows(db, "SELECT dataset, task_id, answer FROM annotations") == [("second", second[0], "accept")]


def test_answers_given_while_the_server_restarts_are_sent_again_without_a_reload(
        tmp_path, corpus, run_app, chromium_page):
    db, ids = make_db(tmp_path, "blip", segment_tasks(corpus / "diarization" / "trn01.wav", 6), "audio")
    app = run_app(db)
    card = CardPage(chromium_page(), app.url).open("blip")
    app.kill()
    for key in ("a", "x", "a"):
        card.page.keyboard.press(key)
        card.page.wait_for_timeout(100)
    assert card.body("pending") == "3"
    again = run_app(db, port=app.port)
    card.wait_saved(timeout=90)                   # the tab reconnects by itself; the card sends its log again
    again.stop()
    assert rows(db, "SELECT task_id, answer FROM annotations ORDER BY id") == \
        list(zip(ids[:3], ["accept", "reject", "accept"]))


def test_a_text_span_is_linked_to_the_region_tab_selects(tmp_path, corpus, run_app, chromium_page, wf_driver):
    db, app, card, wf, region_id = alignment_card(tmp_path, corpus, run_app, chromium_page, wf_driver, "alignkeys")
    page, frame = card.page, card.frame
    assert card.body("selected") == ""                  # drawing selects nothing, so links nothing
    word = frame.locator(".tp-tok[data-i='1']")          # "we": a click makes a one-word span, selected
    word.click()
    span = frame.locator("mark.tp-span")
    assert span.count() == 1 and span.get_attribute("data-region") is None
    page.keyboard.press("Tab")                           # select the region by keyboard: the span links to it
    frame.locator("mark.tp-span[data-region]").wait_for(timeout=5000)
    assert span.get_attribute("data-region") == region_id
    page.keyboard.press("a")
    card.wait_saved()
    app.stop()
    (doc,) = rows(db, "SELECT annotation FROM annotations")
    assert [s["audio_span_id"] for s in json.loads(doc[0])["spans"]] == [region_id]
