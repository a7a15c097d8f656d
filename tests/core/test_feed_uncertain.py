"""`feed_order: uncertain`: the tasks whose proposals have the lowest score first.

A task's uncertainty is the lowest `score` of its regions and words; tasks
without scores come after every scored one, in load order. The order follows
the scores as voice profiles re-score proposals, with `feed_overlap` on and off.
"""

from __future__ import annotations

import threading

import duckdb
import pytest

from earmark.annotations import save_annotation
from earmark.datasets import ensure_dataset
from earmark.db.queries.profiles import relabel_tasks
from earmark.db.queries.tasks import insert_tasks, serving_write
from earmark.db.schema import MIGRATIONS
from earmark.db.store import Store, open_store
from earmark.feed import queue_tasks

# name -> (region scores, word scores); None: not scored
TASKS = {
    "t1": ([None], []),
    "t2": ([0.9, 0.4], []),
    "t3": ([], [0.8, 0.2]),
    "t4": ([0.7], [0.95]),
    "t5": ([], []),
    "t6": ([0.4], []),
}
UNCERTAIN = ["t3", "t2", "t6", "t4", "t1", "t5"]   # 0.2, 0.4, 0.4 (load order), 0.7, unscored by load order


def task(n: int, name: str) -> dict:
    regions, words = TASKS[name]
    out: dict = {"audio": f"{name}.wav", "_input_hash": n, "_task_hash": n, "meta": {"file": name}}
    if regions:
        out["audio_spans"] = [{"id": f"{name}-{k}", "start": k, "end": k + 0.5, "label": "SPEAKER_00",
                               **({"score": s} if s is not None else {})} for k, s in enumerate(regions)]
    if words:
        out["words"] = [{"start": k, "end": k + 0.3, "text": "w", "score": s} for k, s in enumerate(words)]
    return out


@pytest.fixture
def feed(tmp_path):
    store = open_store(tmp_path / "u.duckdb")
    ensure_dataset(store, "d", view="audio_manual")
    ids = store.write(lambda cur: insert_tasks(cur, "d", [(task(n, name), None) for n, name in
                                                          enumerate(TASKS, 1)], 0.0))
    return store, dict(zip(TASKS, ids))


def names(ids: dict, tasks) -> list[str]:
    back = {v: k for k, v in ids.items()}
    return [back[t.id] for t in tasks]


@pytest.mark.parametrize("overlap", [True, False])
def test_the_lowest_scores_come_first_and_unscored_tasks_last_in_load_order(feed, overlap):
    store, ids = feed
    assert names(ids, queue_tasks(store, "d", "ann", overlap, 10, "uncertain")) == UNCERTAIN
    # `file` stays the default: load order
    assert names(ids, queue_tasks(store, "d", "bob", True, 10)) == list(TASKS)
    assert names(ids, queue_tasks(store, "d", "cy", True, 10, "file")) == list(TASKS)
    # answered tasks leave the queue, the rest keep their order
    save_annotation(store, queue_tasks(store, "d", "ann", overlap, 1, "uncertain")[0], "accept", "ann")
    assert names(ids, queue_tasks(store, "d", "ann", overlap, 10, "uncertain")) == UNCERTAIN[1:]


def test_the_scores_are_kept_in_a_column_at_load(feed):
    store, ids = feed
    scores = dict(store.query("SELECT id, score FROM tasks"))
    assert {name: scores[i] for name, i in ids.items()} == \
        {"t1": None, "t2": 0.4, "t3": 0.2, "t4": 0.7, "t5": None, "t6": 0.4}


def rescore(store, task_id: int, score: float) -> None:
    """What voice profiles do to an unserved task: new proposals, a new score."""
    row = store.query_one("SELECT task FROM tasks WHERE id = ?", [task_id])
    import json
    data = json.loads(row[0])
    data["audio_spans"] = [{"id": "x", "start": 0, "end": 1, "label": "Diane", "score": score, "profile": 0.7}]
    assert serving_write(store, lambda cur: relabel_tasks(cur, [(task_id, data, score)])) == [task_id]


@pytest.mark.parametrize("overlap", [True, False])
def test_a_re_score_re_ranks_the_tasks_not_yet_served(feed, overlap):
    store, ids = feed
    assert names(ids, queue_tasks(store, "d", "ann", overlap, 2, "uncertain")) == ["t3", "t2"]
    rescore(store, ids["t5"], 0.05)     # the least certain now
    rescore(store, ids["t6"], 0.99)     # the most certain scored one now
    expected = ["t5", "t4", "t6", "t1"]
    if overlap:   # every annotator sees every task: ann's queue is ranked anew too
        assert names(ids, queue_tasks(store, "d", "ann", True, 10, "uncertain")) == ["t5", "t3", "t2"] + expected[1:]
        assert names(ids, queue_tasks(store, "d", "bob", True, 10, "uncertain")) == ["t5", "t3", "t2"] + expected[1:]
    else:         # ann keeps the tasks she holds, first; bob gets the free ones by the new scores
        assert names(ids, queue_tasks(store, "d", "ann", False, 2, "uncertain")) == ["t3", "t2"]
        assert names(ids, queue_tasks(store, "d", "bob", False, 4, "uncertain")) == expected


def test_a_served_task_is_not_re_scored(feed):
    store, ids = feed
    queue_tasks(store, "d", "ann", False, 1, "uncertain")   # t3 is on ann's card
    data = {"audio_spans": []}
    assert serving_write(store, lambda cur: relabel_tasks(cur, [(ids["t3"], data, 0.9)])) == []
    assert store.query_one("SELECT score FROM tasks WHERE id = ?", [ids["t3"]])[0] == 0.2


def test_two_sessions_sharing_the_queue_never_get_one_task(tmp_path):
    store = open_store(tmp_path / "many.duckdb")
    ensure_dataset(store, "d", view="audio_manual")
    n = 60
    tasks = []
    for i in range(n):
        scored = {"audio": f"{i}.wav", "_input_hash": i + 1, "_task_hash": i + 1}
        if i % 3:
            scored["audio_spans"] = [{"id": f"r{i}", "start": 0, "end": 1, "label": "S",
                                      "score": round((i * 37 % 60) / 60, 3)}]
        tasks.append((scored, None))
    store.write(lambda cur: insert_tasks(cur, "d", tasks, 0.0))
    got: dict[str, list[int]] = {"ann": [], "bob": []}
    barrier = threading.Barrier(2)

    def annotate(session: str) -> None:
        barrier.wait()
        for _ in range(5):
            got[session] += [t.id for t in queue_tasks(store, "d", session, False, 3, "uncertain")]
            for t in queue_tasks(store, "d", session, False, 3, "uncertain"):
                save_annotation(store, t, "accept", session)

    workers = [threading.Thread(target=annotate, args=(s,)) for s in got]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    answered = store.query("SELECT task_id, count(*) FROM annotations GROUP BY 1 HAVING count(*) > 1")
    assert answered == []
    assert not set(got["ann"]) & set(got["bob"])
    # together they took the least certain tasks first: 30 answered, all scored ones ranked lowest
    done = {r[0] for r in store.query("SELECT task_id FROM annotations")}
    assert len(done) == 30
    ranked = [r[0] for r in store.query("SELECT id FROM tasks ORDER BY score NULLS LAST, id")]
    assert done == set(ranked[:30])


def test_a_database_of_the_schema_before_gets_the_scores_and_served_tasks(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version in range(3):
        con.execute(MIGRATIONS[version])
        con.execute("INSERT INTO schema_version VALUES (?)", [version + 1])
    for n, name in enumerate(TASKS, 1):
        import json
        con.execute("INSERT INTO tasks (dataset, input_hash, task_hash, task, added) VALUES ('d', ?, ?, ?, 0)",
                    [n, n, json.dumps(task(n, name))])
    con.execute("INSERT INTO claims VALUES ('d', 2, 'ann', 5.0)")
    con.execute("INSERT INTO annotations (dataset, task_id, input_hash, task_hash, session, answer, created, "
                "annotation) VALUES ('d', 4, 4, 4, 'bob', 'accept', 7.0, '{}')")
    con.close()
    store = Store(path)
    try:
        rows = {r[0]: (r[1], r[2]) for r in store.query("SELECT id, score, served FROM tasks")}
        assert rows == {1: (None, None), 2: (0.4, 5.0), 3: (0.2, None), 4: (0.7, 7.0), 5: (None, None),
                        6: (0.4, None)}
    finally:
        store.close()
