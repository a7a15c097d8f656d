"""Fixtures for AppTest page tests: a database with the diarization corpus loaded."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from earmark.loader import load_sources
from earmark.store import open_store


@pytest.fixture
def talks(tmp_path, monkeypatch, corpus):
    """EARMARK_DB set to a fresh database holding dataset 'talks' (5 diarization files)."""
    db = tmp_path / "pages.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(db)
    report = load_sources(store, "talks", [corpus / "diarization"], view="audio_manual",
                          labels=["SPK1", "SPK2"])
    assert report.added == 5
    return store, report.task_ids


@pytest.fixture
def page(root):
    def make(name: str, **query) -> AppTest:
        at = AppTest.from_file(str(root / "pages" / f"{name}.py"), default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = v
        return at
    return make


def _component_value(task_id: int, regions: list[dict], event_type: str = "created",
                    action: str | None = None, event_id: str = "e1", revision: int = 0) -> dict:
    """What the waveform component sends, as the page receives it."""
    event = {"type": event_type, "id": event_id, "seq": 1, "time": 0}
    if action:
        event["action"] = action
    return {"task_id": str(task_id), "revision": revision, "regions": regions, "event": event}


@pytest.fixture
def component_value():
    return _component_value
