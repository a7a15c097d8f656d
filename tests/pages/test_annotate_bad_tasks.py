"""Tasks that cannot be shown never block the queue; every page errs in words.

The broken tasks are written straight into the database (the loader refuses
such tasks now; older databases and other programs may still hold them).
The card gets such a task with its reason (`problem`) and no audio; it draws
"<title> cannot be shown: <problem>" with a Skip button in the browser
(src/card.ts), whose skip comes back as an `ignore` entry with `skip_reason`.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from earmark.datasets import ensure_dataset
from earmark.loading.loader import load_sources
from earmark.db.store import StoreError, open_store

GOOD = "good.wav"


def unescape(markdown: str) -> str:
    """The text a Markdown body with backslash escapes (and bold) shows."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*\*", "", markdown))


def error_texts(at) -> list[str]:
    return [unescape(e.value) for e in at.error]


def head(at) -> tuple[int, dict]:
    """The task the card shows first, and what it is given of it."""
    return at.session_state["ann_queue"][0], at.session_state["ann_queue_items"][0]


def assert_cannot_be_shown(item: dict) -> None:
    """Given with a reason and nothing to play or draw: the card offers only the skip."""
    assert item["problem"] and item["audio"] == "" and item["duration"] == 0.0
    assert item["regions"] == [] and item["spectrogram"] is None


@pytest.fixture
def bad(tmp_path, monkeypatch, corpus):
    """Dataset 'bad': tasks inserted by hand first, then one good task last in the queue.

    Returns (store, insert, finish): `insert(task_json, media_id=...)` adds a
    task and returns its id; `finish()` loads the good task and returns its id.
    """
    db = tmp_path / "bad.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(db)
    audio = tmp_path / "audio"
    audio.mkdir()
    shutil.copy(corpus / "diarization" / "trn01.wav", audio / GOOD)
    # the same file in another dataset first: its media row, and a task JSON to break
    load_sources(store, "other", [audio / GOOD], view="audio_manual", labels=["A"])
    media_id, template = store.query_one("SELECT media_id, task FROM tasks WHERE dataset = 'other'")
    ensure_dataset(store, "bad", view="audio_manual", labels=["A"])
    hashes = iter(range(10_000, 20_000))

    def insert(task: dict | str, media: str | None = media_id) -> int:
        document = task if isinstance(task, str) else json.dumps({**json.loads(template), **task})
        h = next(hashes)
        return store.write(lambda cur: cur.execute(
            "INSERT INTO tasks (dataset, input_hash, task_hash, media_id, task, added) "
            "VALUES ('bad', ?, ?, ?, ?, ?) RETURNING id", [h, h, media, document, time.time()]
        ).fetchall()[0][0])

    def finish() -> int:
        return load_sources(store, "bad", [audio / GOOD]).task_ids[0]

    return store, insert, finish, audio


def _media_row(store, path, media_id: str = "0" * 31 + "1") -> str:
    store.write(lambda cur: cur.execute(
        "INSERT INTO media (id, path, format, duration, sample_rate, channels, size, added) "
        "VALUES (?, ?, 'wav', 2.0, 16000, 1, ?, ?)", [media_id, str(path), path.stat().st_size if path.exists()
                                                       else 0, time.time()]))
    return media_id


CASES = {
    "segment start after its end": ({"segment": {"start": 5.0, "end": 2.0}}, "runs from 5 s to 2 s"),
    "NaN segment start": ('NAN', "has a start of nan, not a number of seconds"),
    "regions with text times": ({"audio_spans": [{"id": "r", "start": "1.0", "end": "two", "label": "A"}]},
                                "region 1 has a start of '1.0', not a number of seconds"),
    "meta that is a string": ({"meta": "hello"}, "its meta is a str, not an object"),
    "task that is not JSON": ("{not json", "the stored task is not valid JSON"),
    "channel beyond the file's": ({"meta": {"file": "x.wav", "channel": 7}},
                                  "its meta.channel 7 (counted from 0: 0 is channel 1) is not one of the file's 1 channel"),
    "segment with text times": ({"segment": {"start": "5", "end": 2.0}},
                                "its segment has a start of '5', not a number of seconds"),
    "channel that is text": ({"meta": {"file": "x.wav", "channel": "left"}},
                             "its meta.channel 'left' (counted from 0: 0 is channel 1) is not one of the file's 1 channel"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_task_is_named_skipped_and_never_returns(bad, page, card, case):
    store, insert, finish, _ = bad
    task, expected = CASES[case]
    if task == "NAN":  # json.dumps would write NaN too; written by hand to be explicit
        task = json.dumps({"file": "nan.wav", "segment": {"start": float("nan"), "end": 3.0}})
    broken = insert(task)
    good = finish()
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    assert not at.exception, at.exception
    first, item = head(at)
    assert first == broken and at.session_state["ann_queue"] == [broken, good]
    assert expected in item["problem"], item["problem"]
    assert_cannot_be_shown(item)
    assert not at.error                                      # the card says it, not a page error
    # a rerun (the page reloaded) gives the same task and reason, not a crash
    at.run()
    assert not at.exception and head(at)[0] == broken and expected in head(at)[1]["problem"]
    c = card(dataset="bad")
    c.send(at, c.skip(broken, item["problem"]))
    assert head(at)[0] == good
    assert head(at)[1]["title"] == GOOD and head(at)[1]["problem"] is None
    answer, doc = store.query_one("SELECT answer, annotation FROM annotations WHERE task_id = ?", [broken])
    assert answer == "ignore" and expected in json.loads(doc)["_skip_reason"]
    assert store.query_one("SELECT count(*) FROM spans")[0] == 0  # a skip annotates no region
    # nobody gets it again: not this annotator on a new visit, not another one
    again = page("annotate", dataset="bad", session="ann")
    again.run()
    assert again.session_state["ann_queue"] == [good]
    other = page("annotate", dataset="bad", session="bob")
    other.run()
    assert broken not in other.session_state["ann_queue"] and not other.error and not other.exception


def test_a_file_gone_from_the_server(bad, page, card, corpus):
    store, insert, finish, audio = bad
    gone = audio / "moved.wav"
    shutil.copy(corpus / "diarization" / "trn02.wav", gone)
    load_sources(store, "bad", [gone])
    gone.unlink()
    good = finish()
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    assert not at.exception, at.exception
    broken, item = head(at)
    assert broken != good
    assert item["problem"] == f"the file {gone} is no longer on the server"
    assert item["title"] == "moved.wav"
    assert_cannot_be_shown(item)
    c = card(dataset="bad")
    c.send(at, c.skip(broken, item["problem"]))
    assert head(at)[0] == good
    doc = store.query_one("SELECT annotation FROM annotations WHERE task_id = ?", [broken])[0]
    assert json.loads(doc)["_skip_reason"] == f"the file {gone} is no longer on the server"


def test_an_unreadable_header(bad, page, card, tmp_path):
    store, insert, finish, _ = bad
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(range(256)) * 8)
    broken = insert({"file": "junk.wav", "meta": {"file": "junk.wav"}}, media=_media_row(store, junk))
    good = finish()
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    assert not at.exception, at.exception
    first, item = head(at)
    assert first == broken and item["title"] == "junk.wav"
    # named with the header's fault, whichever reader meets it first
    assert "WAV header" in item["problem"] or "corrupt" in item["problem"], item["problem"]
    assert_cannot_be_shown(item)
    c = card(dataset="bad")
    c.send(at, c.skip(broken, item["problem"]))
    assert head(at)[0] == good


def test_with_feed_overlap_a_skipped_task_is_skipped_for_everyone(bad, page, card):
    store, insert, finish, _ = bad
    broken = insert({"segment": {"start": 5.0, "end": 2.0}})
    good = finish()
    ensure_dataset(store, "bad", settings={"feed_overlap": True})
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    other = page("annotate", dataset="bad", session="bob")
    other.run()
    assert other.session_state["ann_queue"] == [broken, good]   # overlap: both see both
    c = card(dataset="bad")
    c.send(at, c.skip(broken, head(at)[1]["problem"]))
    other.run()
    assert other.session_state["ann_queue"] == [good]


def test_an_error_while_drawing_a_task_offers_the_skip(bad, page, card, monkeypatch):
    store, insert, finish, _ = bad
    first = finish()
    from earmark.web import annotate
    real = annotate.card_task

    def broken_card_task(**kwargs):
        if kwargs["audio_url"]:
            raise ValueError("the component fell over")
        return real(**kwargs)
    monkeypatch.setattr("earmark.web.annotate.card_task", broken_card_task)
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    task_id, item = head(at)
    assert task_id == first
    assert item["problem"] == "it could not be drawn (ValueError: the component fell over)"
    assert_cannot_be_shown(item)
    c = card(dataset="bad")
    c.send(at, c.skip(first, item["problem"]))
    assert store.query_one("SELECT answer FROM annotations WHERE task_id = ?", [first]) == ("ignore",)


PAGES = [("annotate", "Annotate", "earmark.web.annotate"), ("datasets", "Datasets", "earmark.web.datasets_page"),
         ("review", "Review", "earmark.web.review_page"), ("export", "Export", "earmark.web.export_page"),
         ("statistics_page", "Statistics", "earmark.web.statistics_page")]


@pytest.mark.parametrize("name,title,module", PAGES)
def test_every_page_shows_an_error_in_words_not_a_traceback(talks, page, monkeypatch, name, title, module):
    def fails():
        raise KeyError("start")
    monkeypatch.setattr(f"{module}.render_page", fails)
    at = page(name)
    at.run()
    assert not at.exception, at.exception
    assert [unescape(e.value) for e in at.error] == [
        f"The {title} page could not be shown: KeyError: 'start'. The details are in the server's log."]


def test_a_store_error_on_a_page_is_its_message(talks, page, monkeypatch):
    def full():
        raise StoreError("the database could not be written: no space left on the device", "/data/x.duckdb")
    monkeypatch.setattr("earmark.web.review_page.render_page", full)
    at = page("review")
    at.run()
    assert not at.exception
    assert error_texts(at) == ["the database could not be written: no space left on the device (/data/x.duckdb)"]


def test_review_and_statistics_show_the_skip_and_its_reason(bad, page, card):
    store, insert, finish, _ = bad
    broken = insert({"segment": {"start": 5.0, "end": 2.0}})
    finish()
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    c = card(dataset="bad")
    c.send(at, c.skip(broken, head(at)[1]["problem"]))
    review = page("review")
    review.run()
    assert not review.exception, review.exception
    table = review.dataframe[0].value
    row = table[table["dataset"] == "bad"].iloc[0]
    assert row["answer"] == "ignore" and "runs from 5 s to 2 s" in row["skipped_because"]
    assert row["regions"] == 0
    from earmark.db.queries.statistics import progress_by_annotator
    progress = progress_by_annotator(store, "bad")
    assert progress[["annotator", "ignore", "skipped"]].values.tolist() == [["ann", 1, 1]]


def test_an_error_while_preparing_a_task_offers_the_skip(bad, page, card, monkeypatch):
    """An unexpected error while the task's audio is prepared (a reader failing late)
    comes to the card as the task's problem: the other tasks and the skip still work."""
    store, insert, finish, _ = bad
    first = finish()

    def late(*args, **kwargs):
        raise RuntimeError("late failure")
    monkeypatch.setattr("earmark.web.annotate.task_audio", late)
    at = page("annotate", dataset="bad", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    task_id, item = head(at)
    assert task_id == first
    assert item["problem"] == "its audio could not be read (RuntimeError: late failure)"
    assert_cannot_be_shown(item)
    assert item["peaks_channels"] == 1 and at.session_state["ann_queue"] == [first]
    c = card(dataset="bad")
    c.send(at, c.skip(first, item["problem"]))
    assert store.query_one("SELECT answer FROM annotations WHERE task_id = ?", [first]) == ("ignore",)
