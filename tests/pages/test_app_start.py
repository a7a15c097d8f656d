"""The app: demo dataset on an empty database, navigation, access code, `mark`."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from earmark.db.store import open_store
from earmark.web.main import parse_mark_args


def test_empty_database_gets_the_demo_dataset(tmp_path, monkeypatch, root):
    db = tmp_path / "app.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.query_params["session"] = "maria"
    at.run()
    assert not at.exception, at.exception
    # the default page is Annotate, on the demo's first clip
    assert at.selectbox(key="annotate_dataset").value == "demo"
    first = at.session_state["ann_queue_items"][0]
    assert first["title"].endswith(".wav") and first["problem"] is None and first["audio"]
    assert len(at.session_state["ann_queue"]) == 5
    at.switch_page("pages/datasets.py").run()
    assert at.title[0].value == "Datasets"
    table = at.dataframe[0].value
    assert table["dataset"].tolist() == ["demo"] and table["tasks"].tolist() == [5]
    store = open_store(db)
    channels = sorted(c for (c,) in store.query(
        "SELECT m.channels FROM tasks t JOIN media m ON m.id = t.media_id WHERE t.dataset = 'demo'"))
    assert channels == [1, 1, 1, 1, 2]
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 5


def test_access_code_is_asked_before_any_page(tmp_path, monkeypatch, root):
    monkeypatch.setenv("EARMARK_DB", str(tmp_path / "a.duckdb"))
    config = tmp_path / "earmark.json"
    config.write_text(json.dumps({"access_code": "s3cret"}))
    monkeypatch.setenv("EARMARK_CONFIG", str(config))
    # app.py's page script as the server runs it (under AppTest, app.py's folder
    # with pages/ makes every run after the first one run the page's file alone)
    at = AppTest.from_string("from earmark.web.main import run\nrun()\n", default_timeout=60)
    at.run()
    assert [t.label for t in at.text_input] == ["Access code"]
    assert not at.selectbox  # no page rendered
    at.text_input(key="access_code_input").input("wrong").run()
    assert "not right" in at.error[0].value
    at.text_input(key="access_code_input").input("s3cret").run()
    assert at.selectbox(key="annotate_dataset").value == "demo"


def test_mark_arguments():
    args = parse_mark_args(["mark", "calls", "/data/calls", "--label", "A,B", "--view", "audio"])
    assert (args.dataset, args.sources, args.label, args.view) == ("calls", ["/data/calls"], "A,B", "audio")
    assert parse_mark_args([]) is None
