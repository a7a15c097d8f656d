"""Annotations survive a killed server, and concurrent writers lose nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.loading.loader import load_sources
from earmark.db.store import Store, StoreLockedError

CHILD = textwrap.dedent("""
    import sys
    from earmark.annotations import get_task, save_annotation
    from earmark.db.store import Store
    store = Store(sys.argv[1])
    task_ids = [int(t) for t in sys.argv[2].split(",")]
    n = 0
    while True:
        task = get_task(store, task_ids[n % len(task_ids)])
        edits = {"audio_spans": [{"id": f"s{n}", "start": n / 1000, "end": n / 1000 + 0.5, "label": "A"}]}
        annotation_id = save_annotation(store, task, "accept", f"child-{n}", edits=edits)
        print(f"saved {annotation_id} {n}", flush=True)
        n += 1
""")


@pytest.mark.parametrize("round_", range(3))
def test_every_reported_annotation_survives_sigkill(corpus, tmp_path, round_, root):
    db = tmp_path / "crash.duckdb"
    store = Store(db)
    task_ids = load_sources(store, "d", [corpus / "formats"], peaks=False).task_ids
    store.close()
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), ",".join(map(str, task_ids))],
                             stdout=subprocess.PIPE, text=True, env=env)
    reported: dict[int, int] = {}
    kill_after = random.Random(round_).uniform(0.3, 1.5)
    deadline = time.monotonic() + 30

    def read() -> None:
        for line in child.stdout:  # type: ignore[union-attr]
            _, annotation_id, n = line.split()
            reported[int(annotation_id)] = int(n)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while len(reported) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(timeout=5)
    assert len(reported) >= 5, "the child saved too few annotations to test anything"

    store = Store(db)
    rows = dict(store.query("SELECT id, session FROM annotations"))
    spans = dict(store.query("SELECT annotation_id, span_id FROM spans"))
    for annotation_id, n in reported.items():
        assert rows.get(annotation_id) == f"child-{n}", f"annotation {annotation_id} was lost"
        assert spans.get(annotation_id) == f"s{n}", f"the region of annotation {annotation_id} was lost"
    # Whatever the kill interrupted (reported or not): no half-saved answer, either way round.
    assert_no_orphans(store)
    store.close()


def assert_no_orphans(store: Store) -> None:
    """Every annotation has exactly the regions its JSON lists, and every region an annotation."""
    regions_of: dict[int, list[str]] = {}
    for annotation_id, span_id in store.query("SELECT annotation_id, span_id FROM spans ORDER BY span_id"):
        regions_of.setdefault(annotation_id, []).append(span_id)
    annotations = store.query("SELECT id, annotation FROM annotations")
    assert annotations, "no annotation survived to check"
    without_regions = [i for i, doc in annotations
                       if regions_of.get(i, []) != sorted(s["id"] for s in json.loads(doc)["audio_spans"])]
    assert without_regions == [], f"annotations without their regions: {without_regions}"
    known = {i for i, _ in annotations}
    orphans = sorted(set(regions_of) - known)
    assert orphans == [], f"regions of annotations that do not exist: {orphans}"


def test_eight_threads_submitting_lose_nothing(corpus, store):
    task_ids = load_sources(store, "d", [corpus / "formats"], peaks=False).task_ids
    errors: list[BaseException] = []

    def annotate(worker: int) -> None:
        try:
            for i in range(200):
                task = get_task(store, task_ids[(worker + i) % len(task_ids)])
                edits = {"audio_spans": [{"id": f"{worker}-{i}", "start": 0.0, "end": 0.5, "label": "A"}]}
                save_annotation(store, task, "accept", f"annotator-{worker}", edits=edits)
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=annotate, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 1600
    assert store.query_one("SELECT count(DISTINCT span_id) FROM spans")[0] == 1600
    per_session = store.query("SELECT session, count(*) FROM annotations GROUP BY 1")
    assert sorted(n for _, n in per_session) == [200] * 8
    assert_no_orphans(store)


def test_a_second_process_gets_a_clear_message(tmp_path, root):
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from earmark.db.store import Store; import time; s = Store({str(db)!r}); "
         "print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        assert holder.stdout.readline().strip() == "open"  # type: ignore[union-attr]
        with pytest.raises(StoreLockedError, match=f"in use by another program \\(process {holder.pid}\\)"):
            Store(db)
        # An address left by an app that crashed (its process is gone) is not followed.
        (tmp_path / "locked.duckdb.app.json").write_text(
            '{"url": "http://127.0.0.1:9", "pid": 4194311, "token": "x"}')
        cli = subprocess.run([sys.executable, "-m", "earmark", "stats", "--db", str(db)],
                             capture_output=True, text=True, cwd=root)
        assert cli.returncode == 2
        assert "is in use by another program" in cli.stderr and "Traceback" not in cli.stderr
    finally:
        holder.kill()
        holder.wait()


def test_schema_is_versioned_and_migrates_once(tmp_path):
    from earmark.db.schema import SCHEMA_VERSION
    db = tmp_path / "v.duckdb"
    Store(db).close()
    store = Store(db)  # a second open applies nothing again
    assert store.query("SELECT version FROM schema_version") == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    store.close()
