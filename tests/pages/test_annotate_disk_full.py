"""A disk that fills while annotating, and a full or read-only disk at start."""

from __future__ import annotations

import json
import re

import duckdb
from diskfull import SimulatedDisk
from streamlit.testing.v1 import AppTest

from earmark.store import open_store

REGION = {"id": "r1", "start": 1.25, "end": 3.5, "label": "SPK1", "channel": None}
NOT_SAVED = ("the database could not be written: no space left on the device; "
             "your last answer is not saved")


def texts(elements) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", e.value) for e in elements]


def test_a_full_disk_keeps_the_answer_on_screen_until_it_can_be_saved_once(talks, page, component_value,
                                                                           monkeypatch):
    store, ids = talks
    disk = SimulatedDisk(store, monkeypatch)
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    first = at.session_state["ann_current"]
    at.session_state["annotate_waveform"] = component_value(first, [REGION])
    at.run()
    disk.full = True
    at.button(key="btn_accept").click().run()
    assert not at.exception, at.exception
    assert any(NOT_SAVED in e.lower() for e in texts(at.error)), texts(at.error)
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 0
    assert at.session_state["ann_current"] == first              # the same task stays
    assert at.session_state["ann_draft"].regions == [REGION]     # with the annotator's edits
    at.run()                                                     # reruns (claims cannot be written either)
    assert not at.exception and at.session_state["ann_current"] == first
    assert at.button(key="btn_accept")                           # the answer can be given again
    disk.full = False
    at.button(key="btn_accept").click().run()
    assert not at.exception
    rows = store.query("SELECT task_id, answer, annotation FROM annotations")
    assert [(t, a) for t, a, _ in rows] == [(first, "accept")]   # saved exactly once
    assert json.loads(rows[0][2])["audio_spans"] == [REGION]
    assert at.session_state["ann_current"] == ids[1]
    assert not at.error


def test_a_full_disk_before_any_task_is_shown_is_a_message(talks, page, monkeypatch):
    store, _ = talks
    disk = SimulatedDisk(store, monkeypatch)
    disk.full = True   # the claim of the first task cannot be written
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert any("the database could not be written: no space left on the device" in e for e in texts(at.error))
    disk.full = False
    at.run()
    assert not at.error and at.session_state["ann_current"] is not None


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
