"""The app starts on the demo dataset when the database is empty."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from earmark.store import open_store


def test_empty_database_gets_the_demo_dataset(tmp_path, monkeypatch, root):
    db = tmp_path / "app.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Datasets"
    table = at.dataframe[0].value
    assert table["dataset"].tolist() == ["demo"]
    assert table["tasks"].tolist() == [5]
    store = open_store(db)
    channels = sorted(c for (c,) in store.query(
        "SELECT m.channels FROM tasks t JOIN media m ON m.id = t.media_id WHERE t.dataset = 'demo'"))
    assert channels == [1, 1, 1, 1, 2]
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 5
