"""The card's queue from the feed: several tasks ahead, claimed, shared fairly at the end."""

from __future__ import annotations

from earmark.annotations import save_annotation
from earmark.feed import FAIR_FLOOR, queue_tasks
from earmark.db.store import open_store


def dataset_of(tmp_path, n: int):
    from earmark.datasets import ensure_dataset
    store = open_store(tmp_path / "q.duckdb")
    ensure_dataset(store, "d", view="audio")
    for i in range(n):
        store.write(lambda cur, i=i: cur.execute(
            "INSERT INTO tasks (dataset, input_hash, task_hash, task, added) VALUES ('d', ?, ?, ?, 0)",
            [i + 1, i + 1, f'{{"audio": "x{i}.wav", "_input_hash": {i + 1}, "_task_hash": {i + 1}}}']))
    ids = [r[0] for r in store.query("SELECT id FROM tasks ORDER BY id")]
    return store, ids


def ids_of(tasks):
    return [t.id for t in tasks]


def test_a_lone_annotator_gets_the_whole_queue_in_order_and_keeps_it(tmp_path):
    store, ids = dataset_of(tmp_path, 25)
    assert ids_of(queue_tasks(store, "d", "ann", False, 20)) == ids[:20]
    # asked again (every run of the page): the same tasks, the held ones first
    assert ids_of(queue_tasks(store, "d", "ann", False, 20)) == ids[:20]
    save_annotation(store, queue_tasks(store, "d", "ann", False, 1)[0], "accept", "ann")
    assert ids_of(queue_tasks(store, "d", "ann", False, 20)) == ids[1:21]


def test_a_second_annotator_gets_free_tasks_then_takes_over_the_first_ones_queue_beyond_its_floor(tmp_path):
    store, ids = dataset_of(tmp_path, 5)
    assert ids_of(queue_tasks(store, "d", "ann", False, 20)) == ids
    bob = ids_of(queue_tasks(store, "d", "bob", False, 20))
    assert bob == ids[FAIR_FLOOR:]                     # nothing was free: ann keeps her first three
    assert ids_of(queue_tasks(store, "d", "ann", False, 20)) == ids[:FAIR_FLOOR]
    assert ids_of(queue_tasks(store, "d", "bob", False, 20)) == bob   # and nobody takes back and forth


def test_with_overlap_every_annotator_gets_every_task(tmp_path):
    store, ids = dataset_of(tmp_path, 4)
    assert ids_of(queue_tasks(store, "d", "ann", True, 3)) == ids[:3]
    assert ids_of(queue_tasks(store, "d", "bob", True, 10)) == ids
    save_annotation(store, queue_tasks(store, "d", "ann", True, 1)[0], "accept", "ann")
    assert ids_of(queue_tasks(store, "d", "ann", True, 10)) == ids[1:]
    assert ids_of(queue_tasks(store, "d", "bob", True, 10)) == ids
