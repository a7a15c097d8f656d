"""The Annotate page's queue follows `feed_order`."""

from __future__ import annotations

import json

import pytest

from earmark.db.queries.profiles import relabel_tasks
from earmark.db.queries.tasks import get_task, serving_write


def scored(store, task_id: int, score: float) -> None:
    data = dict(get_task(store, task_id).data)
    data["audio_spans"] = [{"id": "s", "start": 0.0, "end": 0.5, "label": "SPK1", "score": score}]
    assert serving_write(store, lambda cur: relabel_tasks(cur, [(task_id, data, score)])) == [task_id]


@pytest.mark.parametrize("overlap", [False, True])
def test_the_uncertain_order_puts_the_lowest_scores_first_on_the_card(talks, page, tmp_path, overlap):
    store, ids = talks
    scored(store, ids[3], 0.1)
    scored(store, ids[1], 0.5)
    (tmp_path / "earmark.json").write_text(json.dumps({"feed_order": "uncertain", "feed_overlap": overlap}))
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["ann_queue"] == [ids[3], ids[1], ids[0], ids[2], ids[4]]
    # the default stays load order
    (tmp_path / "earmark.json").write_text(json.dumps({"feed_overlap": overlap}))
    other = page("annotate", dataset="talks", session="bob")
    other.run()
    # sharing the queue, nothing is free: bob takes over what ann holds beyond her first three
    expected = ids if overlap else [ids[2], ids[4]]
    assert other.session_state["ann_queue"] == expected


def test_a_queued_task_relabelled_behind_the_card_reaches_it_as_stored_now(talks, page, card):
    """The card shows the first task and may be on the second: a task queued behind them
    that voice profiles relabel reaches the card anew at the next run, with its new label."""
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert [item["task_id"] for item in card.args(at)["queue"]][:3] == [str(i) for i in ids[:3]]
    served = dict(store.query("SELECT id, served FROM tasks"))
    assert served[ids[0]] is not None and served[ids[1]] is not None and served[ids[2]] is None
    data = dict(get_task(store, ids[2]).data)
    data["audio_spans"] = [{"id": "p", "start": 0.0, "end": 0.5, "label": "Diane", "score": 0.9, "profile": 0.82}]
    assert serving_write(store, lambda cur: relabel_tasks(cur, [(ids[2], data, 0.9)])) == [ids[2]]
    at.run()
    third = next(item for item in card.args(at)["queue"] if item["task_id"] == str(ids[2]))
    assert [(r["label"], r.get("profile")) for r in third["regions"]] == [("Diane", 0.82)]
