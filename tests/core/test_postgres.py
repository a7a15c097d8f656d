"""PostgreSQL as the team's database: opening by URL, migrations from two processes
at once, replicas sharing one queue, the command line beside running apps, and
`earmark migrate` both ways with identical exports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from earmark.annotations import save_annotation
from earmark.db.schema import SCHEMA_VERSION
from earmark.db.store import Store, StoreError, open_store
from earmark.feed import next_task
from earmark.formats.jsonl_csv import export
from earmark.loading.loader import load_sources

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("EARMARK_DATA", str(tmp_path / "shared"))
    return postgres_url


def test_a_url_opens_one_postgres_store_per_process_and_a_bad_one_is_named(pg):
    from earmark.db.postgres import PostgresStore
    store = open_store(pg)
    try:
        assert isinstance(store, PostgresStore) and open_store(pg) is store
        assert store.query_one("SELECT max(version) FROM schema_version") == (SCHEMA_VERSION,)
        # what every Annotate page run asks of a large dataset has its index (migration 5)
        indexes = {r[0] for r in store.query("SELECT indexname FROM pg_indexes WHERE tablename = 'annotations' "
                                             "AND schemaname = current_schema()")}
        assert {"annotations_supersedes", "annotations_session", "annotations_dataset_task"} <= indexes
        assert store.path.parent == Path(os.environ["EARMARK_DATA"]).resolve()   # media/ and the secret
    finally:
        store.close()
        from earmark.db import store as store_module
        store_module._stores.pop(pg, None)
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://earmark:hunter2@127.0.0.1:1/nowhere")
    message = str(caught.value)
    assert "could not be opened" in message and "127.0.0.1" in message and "hunter2" not in message


def test_two_processes_opening_an_empty_database_at_once_apply_each_migration_once(pg):
    code = ("import sys; from earmark.db.postgres import PostgresStore; "
            "s = PostgresStore(sys.argv[1]); print(s.query_one('SELECT count(*) FROM tasks')[0])")
    procs = [subprocess.Popen([sys.executable, "-c", code, pg], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    import psycopg
    with psycopg.connect(pg) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_two_replicas_sharing_one_queue_never_hand_one_task_to_two_annotators(pg, corpus):
    """Two stores (as two app processes would hold) and eight annotators, overlap off:
    every task answered once, none handed to two sessions."""
    from earmark.db.postgres import PostgresStore
    replicas = [PostgresStore(pg, pool_size=4), PostgresStore(pg, pool_size=4)]
    try:
        load_sources(replicas[0], "q", [corpus / "formats", corpus / "diarization", corpus / "praat"], peaks=False)
        tasks = replicas[0].query_one("SELECT count(*) FROM tasks")[0]
        answered: dict[str, list[int]] = {}
        errors: list[BaseException] = []

        def annotate(session: str, store) -> None:
            try:
                mine = answered.setdefault(session, [])
                while (task := next_task(store, "q", session, overlap=False)) is not None:
                    mine.append(task.id)
                    save_annotation(store, task, "accept", session)
            except BaseException as exc:   # noqa: BLE001  (reported below)
                errors.append(exc)
        threads = [threading.Thread(target=annotate, args=(f"s{i}", replicas[i % 2])) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        given = [i for ids in answered.values() for i in ids]
        assert sorted(given) == sorted(set(given)) and len(given) == tasks
        rows = replicas[1].query("SELECT task_id, count(*) FROM annotations GROUP BY 1 HAVING count(*) > 1")
        assert rows == []
    finally:
        for r in replicas:
            r.close()


def _cli(*args: str, env_db: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if env_db:
        env["EARMARK_DB"] = env_db
    return subprocess.run([sys.executable, "-m", "earmark", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120)


def test_the_command_line_works_on_postgres_beside_a_running_store(pg, corpus, tmp_path):
    """No lock and no bridge: an app's store stays open while the command line loads,
    exports and counts, and both see the same rows."""
    from earmark.db.postgres import PostgresStore
    app = PostgresStore(pg, pool_size=2)      # as a running app holds it
    try:
        loaded = _cli("load", "d", str(corpus / "formats"), "--db", pg)
        assert loaded.returncode == 0, loaded.stderr
        assert loaded.stdout == "d: added 5, skipped 0 duplicates, failed 0\n"
        task = next_task(app, "d", "ann", overlap=False)
        save_annotation(app, task, "accept", "ann", timestamp=1700000000.0)
        out = _cli("export", "d", env_db=pg)
        assert out.returncode == 0, out.stderr
        [record] = [json.loads(line) for line in out.stdout.splitlines()]
        assert record["answer"] == "accept" and record["_session_id"] == "ann"
        stats = json.loads(_cli("stats", "d", "--json", "--db", pg).stdout)
        assert stats["tasks"] == 5 and stats["answers"] == {"accept": 1}
    finally:
        app.close()


def _big_store(path: Path, annotations: int) -> Store:
    """A DuckDB store with `annotations` answers (one region each) over 1,000 tasks."""
    store = Store(path)
    tasks = 1000
    created = 1_700_000_000.0

    def fill(cur):
        cur.execute("INSERT INTO datasets VALUES ('big', 'audio_manual', '[\"A\", \"B\"]', '{}', ?)", [created])
        store.insert_rows(cur, "new_tasks", {
            "id": list(range(1, tasks + 1)), "input_hash": list(range(1, tasks + 1)),
            "task_hash": list(range(1, tasks + 1)),
            "task": [json.dumps({"audio": f"a{i}.wav", "text": f"tâche {i} <&>"}) for i in range(1, tasks + 1)],
        }, "INSERT INTO tasks (id, dataset, input_hash, task_hash, task, added) "
           f"SELECT id, 'big', input_hash, task_hash, task, {created} FROM new_tasks")
        ids = list(range(1, annotations + 1))
        task_of = [(i - 1) % tasks + 1 for i in ids]
        session = [f"s{(i - 1) // tasks}" for i in ids]
        answer = ["accept" if i % 3 else "reject" for i in ids]
        store.insert_rows(cur, "new_annotations", {
            "id": ids, "task_id": task_of, "session": session, "answer": answer,
            "created": [created + i for i in ids],
            "annotation": [json.dumps({"audio": f"a{t}.wav", "answer": a, "_session_id": s,
                                       "_timestamp": int(created + i),
                                       "audio_spans": [{"id": f"r{i}", "start": 0.5, "end": 1.25, "label": "A"}]})
                           for i, t, s, a in zip(ids, task_of, session, answer)],
        }, "INSERT INTO annotations (id, dataset, task_id, input_hash, task_hash, session, view, answer, "
           "created, annotation) SELECT id, 'big', task_id, task_id, task_id, session, 'audio_manual', answer, "
           "created, annotation FROM new_annotations")
        cur.execute("INSERT INTO spans SELECT id, 'big', session, answer, NULL, 'r' || id, 'A', 0.5, 1.25, "
                    "NULL, NULL FROM annotations")
    store.write(fill)
    return store


def _jsonl(store) -> bytes:
    out = io.StringIO()
    export(store, "big", out)
    return out.getvalue().encode()


def test_migrate_both_ways_keeps_every_row_and_the_exports_are_identical(pg, tmp_path):
    n = 100_000
    duck = _big_store(tmp_path / "big.duckdb", n)
    before = _jsonl(duck)
    assert before.count(b"\n") == n
    duck.close()

    started = time.perf_counter()
    there = _cli("migrate", "--from", str(tmp_path / "big.duckdb"), "--to", pg)
    assert there.returncode == 0, there.stderr
    assert "annotations\t100000 rows" in there.stdout and "spans\t100000 rows" in there.stdout
    assert "tasks\t1000 rows" in there.stdout
    seconds = time.perf_counter() - started
    from earmark.db.postgres import PostgresStore
    pgstore = PostgresStore(pg, pool_size=2)
    try:
        assert _jsonl(pgstore) == before
        # the planner knows the copied tables' sizes at once, without waiting for autovacuum
        analysed = dict(pgstore.query("SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                                      "WHERE schemaname = current_schema()"))
        assert analysed["annotations"] and analysed["tasks"] and analysed["spans"]
        back = _cli("migrate", "--from", pg, "--to", str(tmp_path / "back.duckdb"))
        assert back.returncode == 0, back.stderr
        # ids go on after the copied ones: a new answer is not a copied one's id
        task = next_task(pgstore, "big", "newcomer", overlap=True)
        assert save_annotation(pgstore, task, "accept", "newcomer") == n + 1
    finally:
        pgstore.close()
    again = Store(tmp_path / "back.duckdb")
    try:
        assert _jsonl(again) == before
        task = next_task(again, "big", "newcomer", overlap=True)
        assert save_annotation(again, task, "accept", "newcomer") > n
    finally:
        again.close()
    assert seconds < 120


def test_migrate_refuses_a_target_that_holds_rows_and_a_missing_source(pg, tmp_path, corpus):
    full = Store(tmp_path / "full.duckdb")
    load_sources(full, "d", [corpus / "formats"], peaks=False)
    full.close()
    first = _cli("migrate", "--from", str(tmp_path / "full.duckdb"), "--to", pg)
    assert first.returncode == 0, first.stderr
    second = _cli("migrate", "--from", str(tmp_path / "full.duckdb"), "--to", pg)
    assert second.returncode == 2 and "is not empty" in second.stderr and "tasks" in second.stderr
    missing = _cli("migrate", "--from", str(tmp_path / "nope.duckdb"), "--to", pg)
    assert missing.returncode == 2 and "nope.duckdb does not exist" in missing.stderr
