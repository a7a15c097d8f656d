"""The whole annotation loop in headless Chromium, on the diarization corpus.

Create the dataset in the UI, annotate by keyboard (draw, choose the label,
accept), undo, reload and continue, then check Review, Statistics and the
downloaded JSONL; two annotators sharing the queue get disjoint tasks.
"""

from __future__ import annotations

import json
import re
import time

import pytest

TOL = 0.15


@pytest.fixture
def app(run_app, tmp_path, corpus):
    return run_app(tmp_path / "loop.duckdb")


def wait_idle(page, timeout: float = 30_000) -> None:
    page.locator("[data-test-script-state=notRunning]").first.wait_for(state="attached", timeout=timeout)


def fill(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")  # Streamlit commits a text input on blur
    wait_idle(page)


FRAME = 'iframe[title*="waveform"]'


def current_file(page) -> str:
    """The file name the card shows (the card draws its own header)."""
    frame = page.frame_locator(FRAME)
    frame.locator("body[data-card-task]:not([data-card-task=''])").wait_for(state="attached", timeout=30_000)
    return frame.locator(".card-title").inner_text()


def wait_for_file_change(page, old: str, timeout: float = 15.0) -> str:
    frame = page.frame_locator(FRAME)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        name = frame.locator(".card-title").inner_text()
        if name != old:
            return name
        time.sleep(0.05)
    raise AssertionError(f"the card still shows {old}")


def card_text(page, text: str, timeout: float = 15_000) -> None:
    page.frame_locator(FRAME).get_by_text(text).first.wait_for(timeout=timeout)


def wait_saved(page, timeout: float = 30.0) -> None:
    frame = page.frame_locator(FRAME)
    deadline = time.monotonic() + timeout
    while frame.locator("body").get_attribute("data-pending") != "0":
        assert time.monotonic() < deadline, "answers still pending"
        time.sleep(0.1)


def annotate_by_keyboard(page, wf, f0: float, f1: float, label_key: str) -> tuple[str, float, float]:
    """Press the label key, draw from fraction f0 to f1 of the file, press `a`.

    Returns the file annotated and the times drawn."""
    wf.wait_ready()
    name = current_file(page)
    duration = wf.geometry()["duration"]
    t0, t1 = round(f0 * duration, 3), round(f1 * duration, 3)
    page.keyboard.press(label_key)  # the label of the region drawn next
    wf.drag(t0, t1)
    page.wait_for_timeout(300)
    page.keyboard.press("a")
    wait_for_file_change(page, name)
    return name, t0, t1


def test_annotate_undo_reload_review_statistics_export(app, wf_browser, wf_driver, corpus):
    context = wf_browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()

    # 1. create the dataset in the UI
    page.goto(f"{app.url}/datasets")
    wait_idle(page)
    fill(page, "Dataset (new or existing)", "talks")
    fill(page, "Labels, comma-separated", "SPK1, SPK2")
    fill(page, "A folder or JSONL file on the server", str(corpus / "diarization"))
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Added 5 tasks, skipped 0 duplicates, failed 0").wait_for(timeout=60_000)

    # 2. annotate three tasks by keyboard
    page.goto(f"{app.url}/?dataset=talks&session=ann")
    wait_idle(page)
    wf = wf_driver(page, app.url)
    drawn = {}
    for f0, f1, key, label in [(0.1, 0.4, "2", "SPK2"), (0.2, 0.5, "1", "SPK1"), (0.3, 0.6, "2", "SPK2")]:
        name, t0, t1 = annotate_by_keyboard(page, wf, f0, f1, key)
        drawn[name] = (t0, t1, label)
    assert len(drawn) == 3
    card_text(page, "3 of 5 tasks done")

    # 3. undo once: the third task comes back, with its region
    third = list(drawn)[2]
    wf.wait_ready()
    page.keyboard.press("Backspace")
    card_text(page, "reopened by undo", timeout=10_000)
    assert current_file(page) == third
    # the reopened task's regions are drawn once the frame has rendered it
    deadline = time.monotonic() + 10
    while [r["label"] for r in wf.regions_shown()] != ["SPK2"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [r["label"] for r in wf.regions_shown()] == ["SPK2"]

    # 4. reload the tab and continue where the annotator was
    page.reload()
    wait_idle(page)
    card_text(page, "3 of 5 tasks done")
    # (the reopened task keeps its answer: the reload goes on with the next unanswered one)
    fourth, t0, t1 = annotate_by_keyboard(page, wf_driver(page, app.url), 0.05, 0.25, "1")
    drawn[fourth] = (t0, t1, "SPK1")
    assert fourth not in list(drawn)[:3]
    card_text(page, "4 of 5 tasks done")
    wait_saved(page)

    # 5. Review lists them
    page.goto(f"{app.url}/review?dataset=talks")
    wait_idle(page)
    page.get_by_text("4 annotations match").wait_for()

    # 6. the downloaded JSONL holds the regions drawn
    page.goto(f"{app.url}/export?dataset=talks")
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Download talks\.jsonl")).click()
    records = [json.loads(line) for line in open(download.value.path(), encoding="utf-8")]
    assert len(records) == 4
    for record in records:
        t0, t1, label = drawn[record["file"]]
        (span,) = record["audio_spans"]
        assert span["label"] == label and record["answer"] == "accept"
        assert abs(span["start"] - t0) <= TOL and abs(span["end"] - t1) <= TOL, (record["file"], span)
        assert record["_session_id"] == "ann"
    # 7. Statistics: counts and durations
    page.goto(f"{app.url}/statistics?dataset=talks")
    wait_idle(page)
    metrics = {m.locator("[data-testid=stMetricLabel]").inner_text().strip():
               m.locator("[data-testid=stMetricValue]").inner_text().strip()
               for m in page.locator("[data-testid=stMetric]").all()}
    assert metrics["Tasks"] == "5" and metrics["Answers"] == "4" and metrics["Tasks done"] == "4" and metrics["Accept"] == "4"
    table = page.locator("[data-testid=stTable]").inner_text()
    expected = {"SPK1": 0.0, "SPK2": 0.0}
    for t0, t1, label in drawn.values():
        expected[label] += t1 - t0
    for label, seconds in expected.items():
        row = re.search(rf"{label}\s+(\d+)\s+([\d.]+)", table)
        assert row, table
        assert abs(float(row.group(2)) - seconds) <= 2 * TOL, (label, table, drawn)

    context.close()


def test_two_annotators_sharing_the_queue_get_disjoint_tasks(run_app, tmp_path, corpus, wf_browser):
    from earmark.loading.loader import load_sources
    from earmark.db.store import Store
    db = tmp_path / "shared.duckdb"
    store = Store(db)
    load_sources(store, "talks", [corpus / "diarization"], labels=["SPK1", "SPK2"])
    store.close()
    app = run_app(db)
    pages = []
    for name in ("ann", "bob"):
        context = wf_browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{app.url}/?dataset=talks&session={name}")
        wait_idle(page)
        pages.append(page)
    first = [current_file(p) for p in pages]
    assert first[0] != first[1]
    # each answers; the next tasks are still disjoint and new
    for page, name in zip(pages, first):
        page.frame_locator(FRAME).locator(".card-accept").click()
        wait_for_file_change(page, name)
    second = [current_file(p) for p in pages]
    assert second[0] != second[1] and not set(second) & set(first)
    for p in pages:
        p.context.close()


def test_every_page_url_asks_for_the_access_code_first(run_app, tmp_path, wf_browser):
    """A page's own URL on a fresh session runs the app's navigation and access check,
    never the page's script alone."""
    (tmp_path / "earmark.json").write_text(json.dumps({"access_code": "open-sesame"}))
    app = run_app(tmp_path / "guarded.duckdb")
    context = wf_browser.new_context()
    page = context.new_page()
    for path in ("/review", "/statistics", "/export", "/datasets", "/"):
        page.goto(app.url + path)
        wait_idle(page)
        page.get_by_label("Access code").wait_for(timeout=15_000)
        assert page.locator("[data-testid=stTable], [data-testid=stDataFrame]").count() == 0, path
        assert "Review" not in page.locator("h1").all_inner_texts(), path
    page.get_by_label("Access code").fill("open-sesame")
    page.get_by_label("Access code").press("Enter")
    page.get_by_text("Dataset").first.wait_for(timeout=15_000)
    context.close()
