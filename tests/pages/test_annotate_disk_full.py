"""A disk that fills while annotating, and a full or read-only disk at start."""

from __future__ import annotations

import json
import re

import duckdb
from diskfull import SimulatedDisk
from streamlit.testing.v1 import AppTest

from earmark.db.store import open_store

REGION = {"id": "r1", "start": 0.25, "end": 0.75, "label": "SPK1", "channel": None}
NO_SPACE = "the database could not be written: no space left on the device"


def texts(elements) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", e.value) for e in elements]


def test_a_full_disk_keeps_the_answers_pending_until_they_can_be_saved_once_in_order(talks, page, card,
                                                                                    monkeypatch):
    """The card keeps the answers in the browser's storage until acked; Python says why
    they wait and commits them, once each and in order, when the disk has room."""
    store, ids = talks
    disk = SimulatedDisk(store, monkeypatch)
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert at.session_state["ann_queue"][0] == ids[0]
    c = card()
    disk.full = True
    c.send(at, c.answer(ids[0], "accept", regions=[REGION]))
    assert not at.exception, at.exception
    error = at.session_state["ann_error"]
    assert error.startswith("The database could not be written: no space left on the device"), error
    assert "1 answer not saved yet" in error
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 0
    assert store.query_one("SELECT count(*) FROM answer_receipts")[0] == 0
    args = card.args(at)
    assert args["error"] == error and args["acked"] == {}       # nothing acked: the card keeps them
    # the annotator goes on (the card shows its next queued task); the value carries both
    c.send(at, c.answer(ids[1], "reject", regions=[dict(REGION, id="r2")]))
    assert "2 answers not saved yet" in at.session_state["ann_error"]
    at.run()                                                    # reruns (claims cannot be written either)
    assert not at.exception and store.query_one("SELECT count(*) FROM annotations")[0] == 0
    assert disk.failed_commits >= 3
    disk.full = False
    c.send(at, c.value("resend"))                               # the same value, the disk has room
    rows = store.query("SELECT task_id, answer, annotation FROM annotations ORDER BY id")
    assert [(t, a) for t, a, _ in rows] == [(ids[0], "accept"), (ids[1], "reject")]   # once each, in order
    assert [json.loads(d)["audio_spans"][0]["id"] for _, _, d in rows] == ["r1", "r2"]
    assert json.loads(rows[0][2])["audio_spans"] == [{k: v for k, v in REGION.items() if k != "channel"}]
    assert at.session_state["ann_error"] is None and card.args(at)["acked"] == {"c1": 2}
    assert at.session_state["ann_queue"] == ids[2:]
    assert not at.error
    c.send(at, c.value("resend"))
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 2


def test_a_disk_that_fills_in_the_middle_of_a_batch_keeps_the_rest_pending(talks, page, card, monkeypatch):
    store, ids = talks
    disk = SimulatedDisk(store, monkeypatch)
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    c = card()
    for task_id in ids[:3]:
        c.entry(task_id, "accept")
    real_write = store.write
    writes = []

    def fill_after_one(fn, *args, **kwargs):
        writes.append(fn)
        if len(writes) == 2:        # the first answer is written, then the disk is full
            disk.full = True
        return real_write(fn, *args, **kwargs)
    monkeypatch.setattr(store, "write", fill_after_one)
    c.send(at, c.value())
    assert store.query("SELECT task_id FROM annotations") == [(ids[0],)]
    assert "2 answers not saved yet" in at.session_state["ann_error"]
    assert card.args(at)["acked"] == {"c1": 1}                  # the card may drop the first one
    assert c.ack(at) == 1 and [e["seq"] for e in c.log] == [2, 3]
    disk.full = False
    c.send(at, c.value("resend"))
    assert store.query("SELECT task_id FROM annotations ORDER BY id") == [(i,) for i in ids[:3]]
    assert at.session_state["ann_error"] is None


def test_a_full_disk_before_any_task_is_shown_is_a_message(talks, page, monkeypatch, card):
    store, _ = talks
    disk = SimulatedDisk(store, monkeypatch)
    disk.full = True   # the claim of the first task cannot be written
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["ann_error"] == f"{NO_SPACE[0].upper()}{NO_SPACE[1:]}; no new tasks until it can be written."
    assert card.args(at)["error"] == at.session_state["ann_error"]   # the card shows it
    assert at.session_state["ann_queue"] == []
    disk.full = False
    at.run()
    assert not at.error and at.session_state["ann_error"] is None and at.session_state["ann_queue"]


def _app(root, tmp_path, monkeypatch, db):
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    # app.py's page script as the server runs it (under AppTest, app.py's folder
    # with pages/ makes every run after the first one run the page's file alone)
    at = AppTest.from_string("from earmark.web.main import run\nrun()\n", default_timeout=60)
    at.query_params["session"] = "maria"
    return at


def test_the_app_starts_with_a_message_on_a_full_disk(tmp_path, monkeypatch, root):
    real = duckdb.connect

    def full(path, *args, **kwargs):
        raise duckdb.IOException(f'IO Error: Could not write file "{path}": No space left on device')
    monkeypatch.setattr(duckdb, "connect", full)
    db = tmp_path / "full.duckdb"
    at = _app(root, tmp_path, monkeypatch, db)
    at.run()
    assert not at.exception, at.exception
    assert texts(at.error) == [f"the database could not be created: no space left on the device ({db})"]
    monkeypatch.setattr(duckdb, "connect", real)   # space returns: the next visit starts normally
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="annotate_dataset").value == "demo"


def test_the_app_starts_with_a_message_in_a_read_only_place(tmp_path, monkeypatch, root):
    def read_only(path, *args, **kwargs):
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Read-only file system')
    monkeypatch.setattr(duckdb, "connect", read_only)
    db = tmp_path / "ro.duckdb"
    at = _app(root, tmp_path, monkeypatch, db)
    at.run()
    assert not at.exception, at.exception
    assert texts(at.error) == [f"the database could not be created: the file system is read-only ({db})"]


def test_the_app_starts_with_a_message_when_the_demo_cannot_be_written(tmp_path, monkeypatch, root):
    db = tmp_path / "empty.duckdb"
    store = open_store(db)
    disk = SimulatedDisk(store, monkeypatch)
    disk.full = True
    at = _app(root, tmp_path, monkeypatch, db)
    at.run()
    assert not at.exception, at.exception
    assert any("the database could not be written: no space left on the device" in e for e in texts(at.error))
    disk.full = False
    at.run()
    assert not at.exception and at.selectbox(key="annotate_dataset").value == "demo"
