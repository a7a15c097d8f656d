"""Fixtures for AppTest page tests: a database with the diarization corpus loaded."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from earmark.loading.loader import load_sources
from earmark.db.store import open_store


@pytest.fixture
def talks(request, tmp_path, monkeypatch, corpus):
    """EARMARK_DB set to a fresh database holding dataset 'talks' (5 diarization files):
    a DuckDB file, or (parametrised) a fresh schema of the PostgreSQL test cluster."""
    db: object = tmp_path / "pages.duckdb"
    if getattr(request, "param", "duckdb") == "postgresql":
        db = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("EARMARK_DATA", str(tmp_path))
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(db)
    report = load_sources(store, "talks", [corpus / "diarization"], view="audio_manual",
                          labels=["SPK1", "SPK2"])
    assert report.added == 5
    yield store, report.task_ids
    if isinstance(db, str):   # the process keeps one store per database: this one goes
        from earmark.db import store as store_module
        store_module._stores.pop(db, None)
        store.close()


@pytest.fixture
def page(root):
    def make(name: str, **query) -> AppTest:
        at = AppTest.from_file(str(root / "pages" / f"{name}.py"), default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = v
        return at
    return make


class Card:
    """The annotation card's side of the protocol (design.md, "Answers"), as the page receives it.

    `answer(...)` adds an entry to the pending log (the next `seq`) and returns
    the value the card would send then: every answer not yet acknowledged.
    `ack(at)` drops what the page acknowledged in the args it gave the card.
    `send(at, value)` sets the value and runs the page; `Card.args(at)` is what
    the page gave the card on its last run."""

    def __init__(self, dataset: str = "talks", session: str = "ann", client: str = "c1"):
        self.dataset, self.session, self.client = dataset, session, client
        self.log: list[dict] = []
        self.seq = 0
        self.events = 0

    def entry(self, task_id, answer: str, regions=(), transcript=None, spans=None, skip_reason=None,
              dataset: str | None = None, session: str | None = None, ts: float | None = None) -> dict:
        self.seq += 1
        entry = {"client": self.client, "seq": self.seq, "dataset": dataset or self.dataset,
                 "session": session or self.session, "task_id": str(task_id), "answer": answer,
                 "regions": [dict(r) for r in regions], "transcript": transcript,
                 "spans": None if spans is None else [dict(s) for s in spans],
                 "ts": 1_700_000_000.0 + self.seq if ts is None else ts}
        if skip_reason is not None:
            entry["skip_reason"] = skip_reason
        self.log.append(entry)
        return entry

    def answer(self, task_id, answer: str, **kwargs) -> dict:
        self.entry(task_id, answer, **kwargs)
        return self.value()

    def skip(self, task_id, reason: str) -> dict:
        return self.answer(task_id, "ignore", skip_reason=reason)

    def value(self, event: str = "answer") -> dict:
        self.events += 1
        return {"client": self.client, "dataset": self.dataset, "session": self.session,
                "pending": [dict(e) for e in self.log],
                "event": {"type": event, "id": f"{self.client}-{self.events}", "time": 0}}

    def ack(self, at) -> int:
        """Drop the entries the page acknowledged; returns the acked seq (0: none)."""
        upto = self.args(at)["acked"].get(self.client, 0)
        self.log = [e for e in self.log if e["seq"] > upto]
        return upto

    @staticmethod
    def send(at, value: dict) -> None:
        at.session_state["annotate_card"] = value
        at.run()
        assert not at.exception, at.exception

    @staticmethod
    def args(at) -> dict:
        """The JSON args the page gave the card on its last run (one card on the page)."""
        [element] = at.get("component_instance")
        return json.loads(element.proto.json_args)


@pytest.fixture
def card():
    return Card
