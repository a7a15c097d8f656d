"""The store's interface (`earmark.db.store.Backend`): the queries ask nothing else of it,
and its dialect helpers do what they say."""

from __future__ import annotations

import io
import json

import pytest

from earmark.answers import PendingAnswer, commit_answers
from earmark.audio import peaks as peaks_module
from earmark.audio.peaks import get_peaks
from earmark.db.queries import peaks as peaks_queries
from earmark.db.store import Backend, StoreError
from earmark.feed import previous_answer, progress, queue_tasks
from earmark.formats.jsonl_csv import cap_memory_for_export, export
from earmark.loading.loader import load_sources

MEMBERS = {name for name in dir(Backend) if not name.startswith("_")} | set(Backend.__annotations__)


class InterfaceOnly:
    """A store that offers only the members of `Backend`: what a second backend must have."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        if name not in MEMBERS:
            raise AttributeError(f"{name!r} is not a member of the Backend interface")
        return getattr(self._store, name)


def test_the_store_implements_the_interface(store):
    assert isinstance(store, Backend)
    assert {"cursor", "query", "write", "transaction", "conflicts", "json_text", "in_list",
            "insert_rows", "cap_memory"} <= MEMBERS
    with pytest.raises(AttributeError, match="not a member"):
        InterfaceOnly(store).close   # noqa: B018  (the wrapper refuses what the interface lacks)


def test_load_feed_answers_undo_export_and_peaks_need_only_the_interface(store, corpus):
    backend = InterfaceOnly(store)
    report = load_sources(backend, "d", [corpus / "praat" / "bobby.wav", corpus / "formats"],
                          spans=[corpus / "praat" / "bobby_words.TextGrid"])
    assert report.failures == [] and report.added >= 3
    queue = queue_tasks(backend, "d", "ann", False, 2)          # claims: a write retried on conflicts
    assert len(queue) == 2
    assert queue_tasks(backend, "d", "bob", False, 1)[0].id not in {t.id for t in queue}
    entries = [PendingAnswer("tab", 1, "d", "ann", queue[0].id, "accept",
                             regions=[{"id": "r", "start": 0.1, "end": 0.4, "label": "W"}], ts=1.0)]
    done = commit_answers(backend, entries, lambda name: ["audio_manual"])
    assert (len(done.committed), done.error, done.acked) == (1, None, {"tab": 1})
    assert commit_answers(backend, entries, lambda name: ["audio_manual"]).repeated == entries
    assert previous_answer(backend, "d", "ann").task.id == queue[0].id
    assert progress(backend, "d", "ann").session_done == 1
    cap_memory_for_export(backend)
    out = io.StringIO()
    assert export(backend, "d", out) == 1
    assert json.loads(out.getvalue())["audio_spans"] == [{"id": "r", "label": "W", "start": 0.1, "end": 0.4}]
    assert get_peaks(backend, queue[0].media_id).buckets > 0


def test_json_text_reads_a_top_level_key_and_refuses_one_it_cannot_quote(store):
    text = store.json_text("doc", "_skip_reason")
    rows = store.query(f"SELECT {text} FROM (VALUES ('{{\"_skip_reason\": \"gone\"}}'), ('{{}}')) AS t(doc)")
    assert rows == [("gone",), (None,)]
    for key in ("a'b", "a.b", "", "$.x", "a b"):
        with pytest.raises(ValueError, match="not a JSON key"):
            store.json_text("doc", key)


def test_in_list_matches_the_values_of_one_list_parameter(store):
    sql = f"SELECT x FROM (VALUES (0), (1), (2), (3), (4), (5)) AS t(x) WHERE {store.in_list('x')} ORDER BY x"
    assert store.query(sql, [[1, 4, 9]]) == [(1,), (4,)]
    assert store.query(sql, [[]]) == []


def backend(store) -> str:
    return "postgresql" if hasattr(store, "url") else "duckdb"


# what a name registered for one statement would leave behind: a DuckDB view, a temporary table
_REGISTERED = {"duckdb": "SELECT view_name FROM duckdb_views() WHERE view_name ILIKE '%{}%'",
               "postgresql": "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname ILIKE '%{}%'"}


def test_insert_rows_returns_what_the_statement_returns_and_leaves_nothing_registered(store):
    def insert(cur):
        rows = store.insert_rows(cur, "new_things", {"a": [1, 2, 3], "b": "same"},
                                 "CREATE TEMP TABLE things AS SELECT a, b FROM new_things")
        return rows, cur.execute("SELECT a, b FROM things ORDER BY a").fetchall(), cur.execute(
            _REGISTERED[backend(store)].format("new_things")).fetchall()
    rows, things, views = store.write(insert)
    assert things == [(1, "same"), (2, "same"), (3, "same")] and views == []

    tries = []

    def failing(cur):
        tries.append(1)
        store.insert_rows(cur, "new_x", {"a": [1]}, "SELECT missing_column FROM new_x")
    # the statement's own error, once: not "transaction is aborted" from the clean-up, taken for a conflict
    with pytest.raises(Exception, match="missing_column"):
        store.write(failing)
    assert tries == [1]
    assert store.query(_REGISTERED[backend(store)].format("new_x")) == []


def test_cap_memory_sets_the_limit_and_takes_only_a_size(store):
    store.cap_memory("32MB")
    if backend(store) == "duckdb":
        assert store.query_one("SELECT current_setting('memory_limit')")[0] in ("32.0 MB", "30.5 MiB", "32.0MB")
    else:   # the server bounds its own memory; the process's export stays streamed
        assert store.query_one("SELECT current_setting('work_mem')")[0] == "4MB"
    for bad in ("32MB'; DROP TABLE tasks; --", "lots", ""):
        with pytest.raises(ValueError, match="not a memory size"):
            store.cap_memory(bad)


def test_conflicts_name_the_errors_of_a_write_that_lost_to_another(store):
    if backend(store) == "duckdb":
        import duckdb
        assert set(store.conflicts) == {duckdb.TransactionException, duckdb.ConstraintException}
        unique = duckdb.ConstraintException
    else:
        import psycopg.errors as pg
        assert set(store.conflicts) == {pg.SerializationFailure, pg.DeadlockDetected, pg.UniqueViolation}
        unique = pg.UniqueViolation
    tries = []

    def insert_twice(cur):
        tries.append(1)
        cur.execute("INSERT INTO claims VALUES ('d', 1, 's', 0)")
        if len(tries) == 1:
            cur.execute("INSERT INTO claims VALUES ('d', 1, 's', 0)")   # the key again: a conflict
    store.write(insert_twice, retry_on=store.conflicts)
    assert len(tries) == 2 and store.query("SELECT task_id FROM claims") == [(1,)]
    with pytest.raises(unique):
        store.write(lambda cur: cur.execute("INSERT INTO claims VALUES ('d', 1, 's', 0)"))  # not retried


def test_reading_stored_peaks_writes_nothing(store, corpus, monkeypatch):
    [task_id] = load_sources(store, "d", [corpus / "praat" / "bobby.wav"]).task_ids
    media_id = store.query_one("SELECT media_id FROM tasks WHERE id = ?", [task_id])[0]
    assert peaks_queries.read_peaks(store, media_id)[0] == 100

    def no_write(*args, **kwargs):
        raise AssertionError("a read wrote")
    monkeypatch.setattr(store, "write", no_write)
    monkeypatch.setattr(peaks_module, "compute_peaks", no_write)
    assert get_peaks(store, media_id).rate == 100


def test_peaks_missing_are_computed_and_kept_once(store, corpus, monkeypatch):
    [task_id] = load_sources(store, "d", [corpus / "praat" / "bobby.wav"], peaks=False).task_ids
    media_id = store.query_one("SELECT media_id FROM tasks WHERE id = ?", [task_id])[0]
    assert peaks_queries.read_peaks(store, media_id) is None
    assert peaks_queries.media_with_peaks(store, [media_id, "other"]) == set()
    first = get_peaks(store, media_id)
    assert peaks_queries.media_with_peaks(store, [media_id, "other"]) == {media_id}
    assert peaks_queries.read_peaks(store, media_id)[3] == first.to_bytes()
    store.write(lambda cur: cur.execute("DELETE FROM peaks"))

    def full(*args, **kwargs):
        raise StoreError("the database could not be written: no space left on the device")
    monkeypatch.setattr(store, "write", full)
    with pytest.raises(StoreError):   # missing again, and the disk full: the cache write's error is raised
        get_peaks(store, media_id)
