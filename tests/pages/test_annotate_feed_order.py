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
