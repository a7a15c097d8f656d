"""The queue: next task per session, shared or overlapping, resume and undo."""

from __future__ import annotations

import threading

from earmark.annotations import save_annotation
from earmark.feed import next_task, previous_answer, progress
from earmark.loading.loader import load_sources


def load(store, corpus):
    return load_sources(store, "q", [corpus / "formats"], peaks=False).task_ids


def test_overlap_every_session_sees_every_task(store, corpus):
    ids = load(store, corpus)
    for session in ("ann", "bob"):
        seen = []
        while (task := next_task(store, "q", session, overlap=True)) is not None:
            seen.append(task.id)
            save_annotation(store, task, "accept", session)
        assert seen == ids


def test_shared_queue_gives_disjoint_tasks_and_resumes(store, corpus):
    ids = load(store, corpus)
    a = next_task(store, "q", "ann", overlap=False)
    b = next_task(store, "q", "bob", overlap=False)
    assert a.id != b.id
    # a reload asks again: the same task comes back while it is unanswered
    assert next_task(store, "q", "ann", overlap=False).id == a.id
    save_annotation(store, a, "accept", "ann")
    a2 = next_task(store, "q", "ann", overlap=False)
    assert a2.id not in (a.id, b.id)
    seen = {a.id, b.id, a2.id}
    save_annotation(store, a2, "reject", "ann")
    save_annotation(store, b, "accept", "bob")
    while (t := next_task(store, "q", "bob", overlap=False)) is not None:
        assert t.id not in seen
        seen.add(t.id)
        save_annotation(store, t, "accept", "bob")
    assert seen == set(ids)
    assert next_task(store, "q", "ann", overlap=False) is None


def test_concurrent_claims_never_hand_out_a_task_twice(store, corpus):
    load(store, corpus)
    got: dict[str, int | None] = {}

    def take(session: str) -> None:
        task = next_task(store, "q", session, overlap=False)
        got[session] = task.id if task else None

    threads = [threading.Thread(target=take, args=(f"s{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handed = [v for v in got.values() if v is not None]
    assert len(handed) == 4 and len(set(handed)) == 4


def test_undo_walks_back_through_the_sessions_answers(store, corpus):
    ids = load(store, corpus)
    for task_id in ids[:3]:
        task = next_task(store, "q", "ann", overlap=True)
        save_annotation(store, task, "accept", "ann",
                        edits={"audio_spans": [{"id": f"r{task_id}", "start": 0, "end": 1, "label": "A"}]})
    last = previous_answer(store, "q", "ann")
    assert last.task.id == ids[2] and last.annotation["audio_spans"][0]["id"] == f"r{ids[2]}"
    before = previous_answer(store, "q", "ann", before=last.created)
    assert before is not None and before.task.id == ids[1]
    # answering the reopened task again replaces the old answer
    save_annotation(store, last.task, "reject", "ann", supersedes=last.annotation_id)
    p = progress(store, "q", "ann")
    assert (p.tasks, p.done, p.session_done) == (len(ids), 3, 3)
    assert previous_answer(store, "q", "ann").annotation["answer"] == "reject"


def test_a_task_answered_ignore_never_comes_back_to_that_annotator_with_overlap(store, corpus):
    """With `feed_overlap` on, ann's `ignore` is her answer: she never gets the task again,
    while bob, who has not seen it, still does (every annotator sees every task)."""
    ids = load(store, corpus)
    first = next_task(store, "q", "ann", overlap=True)
    assert first.id == ids[0]
    save_annotation(store, first, "ignore", "ann")
    seen = []
    while (task := next_task(store, "q", "ann", overlap=True)) is not None:
        seen.append(task.id)
        save_annotation(store, task, "accept", "ann")
    assert seen == ids[1:]
    assert next_task(store, "q", "bob", overlap=True).id == ids[0]


def test_a_task_answered_ignore_never_comes_back_in_the_shared_queue(store, corpus):
    """With `feed_overlap` off an ignored task is answered: nobody receives it again,
    neither the annotator who ignored it (after a reload) nor anyone else."""
    ids = load(store, corpus)
    first = next_task(store, "q", "ann", overlap=False)
    assert first.id == ids[0]
    save_annotation(store, first, "ignore", "ann")
    assert next_task(store, "q", "ann", overlap=False).id == ids[1]   # ann now holds the second
    handed = []
    for session in ("bob", "cy", "ann"):
        while (task := next_task(store, "q", session, overlap=False)) is not None:
            handed.append(task.id)
            save_annotation(store, task, "accept", session)
    assert sorted(handed) == ids[1:]


def test_channel_0_of_a_region_is_saved_and_read_back_as_0_not_none(store, corpus):
    """Channel 0 is the first lane, not "no channel": falsy, and easily lost."""
    load(store, corpus)
    task = next_task(store, "q", "ann", overlap=True)
    regions = [{"id": "left", "start": 0.1, "end": 0.4, "label": "A", "channel": 0},
               {"id": "right", "start": 0.2, "end": 0.6, "label": "B", "channel": 1},
               {"id": "both", "start": 0.5, "end": 0.9, "label": "A"}]
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": regions})
    assert store.query('SELECT span_id, channel FROM spans ORDER BY span_id') == [
        ("both", None), ("left", 0), ("right", 1)]
    reopened = previous_answer(store, "q", "ann")
    assert reopened.annotation["audio_spans"] == regions
    assert [r.get("channel", "absent") for r in reopened.annotation["audio_spans"]] == [0, 1, "absent"]


def test_tasks_come_in_the_order_asked_for_missing_ones_left_out_in_as_many_queries_as_needed(
        store, corpus, monkeypatch):
    from earmark.db.queries import tasks as queries
    ids = load(store, corpus)
    assert len(ids) >= 3
    asked = [ids[2], 10_000_000, ids[0], ids[1], ids[0]]
    seen = []
    query = store.query
    monkeypatch.setattr(store, "query", lambda sql, params=None: seen.append(len(params)) or query(sql, params))
    monkeypatch.setattr(queries, "IDS_PER_QUERY", 2)
    got = queries.get_tasks(store, asked)
    assert [t.id for t in got] == [ids[2], ids[0], ids[1], ids[0]]
    assert seen == [2, 2, 1] and all(t.dataset == "q" for t in got)
    assert queries.get_task(store, 10_000_000) is None and queries.get_tasks(store, []) == []
