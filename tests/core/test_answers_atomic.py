"""An answer is saved whole or not at all: the annotation row and its region rows
commit in one transaction, so a failure half-way leaves nothing behind and the
annotator can give the answer again."""

from __future__ import annotations

import json

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.loading.loader import load_sources

REGIONS = [{"id": "r1", "start": 0.1, "end": 0.4, "label": "A", "channel": 0},
           {"id": "r2", "start": 0.5, "end": 0.9, "label": "B", "channel": 1}]


class RegionsFail:
    """A cursor whose insert into `spans` fails, as a full disk or a crash would;
    everything else goes to the real cursor."""

    def __init__(self, cursor):
        self._cursor = cursor

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def _refuse(self, sql: str):
        if "INTO spans" in sql:
            raise RuntimeError("the regions could not be written")

    def execute(self, sql, *args, **kwargs):
        self._refuse(sql)
        return self._cursor.execute(sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        self._refuse(sql)
        return self._cursor.executemany(sql, *args, **kwargs)


def test_a_failed_regions_insert_leaves_no_annotation_and_the_answer_can_be_given_again(
        store, corpus, monkeypatch):
    [task_id] = load_sources(store, "d", [corpus / "formats" / "bobby_16bit_16khz_2ch.wav"],
                             peaks=False).task_ids
    task = get_task(store, task_id)
    real_write = store.write

    def write_with_failing_regions(fn, *args, **kwargs):
        return real_write(lambda cur: fn(RegionsFail(cur)), *args, **kwargs)

    monkeypatch.setattr(store, "write", write_with_failing_regions)
    with pytest.raises(RuntimeError, match="the regions could not be written"):
        save_annotation(store, task, "accept", "ann", edits={"audio_spans": REGIONS})
    assert store.query("SELECT id FROM annotations") == []
    assert store.query("SELECT annotation_id FROM spans") == []

    monkeypatch.setattr(store, "write", real_write)
    annotation_id = save_annotation(store, task, "accept", "ann", edits={"audio_spans": REGIONS})
    rows = store.query("SELECT id, task_id, answer, annotation FROM annotations")
    assert [(i, t, a) for i, t, a, _ in rows] == [(annotation_id, task_id, "accept")]
    assert json.loads(rows[0][3])["audio_spans"] == REGIONS
    assert store.query('SELECT annotation_id, span_id, label, start, "end", channel FROM spans '
                       "ORDER BY span_id") == [(annotation_id, "r1", "A", 0.1, 0.4, 0),
                                               (annotation_id, "r2", "B", 0.5, 0.9, 1)]


def test_a_region_that_cannot_be_stored_fails_the_whole_answer(store, corpus):
    """The same without any patching: a region whose start is not a number fails
    while the regions are inserted, after the annotation row went in."""
    [task_id] = load_sources(store, "d", [corpus / "formats" / "bobby_16bit_16khz.wav"],
                             peaks=False).task_ids
    broken = [REGIONS[0], {**REGIONS[1], "start": "soon"}]
    with pytest.raises(ValueError):
        save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"audio_spans": broken})
    assert store.query("SELECT id FROM annotations") == []
    assert store.query("SELECT annotation_id FROM spans") == []
