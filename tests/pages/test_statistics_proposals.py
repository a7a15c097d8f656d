"""The Statistics page's comparison of proposals with answers."""

from __future__ import annotations

import json

from earmark.annotations import save_annotation
from earmark.datasets import ensure_dataset
from earmark.db.queries.tasks import get_task, insert_tasks
from earmark.db.store import open_store

T0 = 1_790_000_000.0 - 1_790_000_000.0 % 86400 + 9 * 3600   # 2026-09-21 09:00 UTC
PROPOSED = [{"id": "a", "start": 0.0, "end": 1.0, "label": "SPEAKER_00", "score": 0.8},
            {"id": "b", "start": 1.0, "end": 2.0, "label": "SPEAKER_01", "score": 0.6}]


def test_the_statistics_page_shows_what_answers_did_with_the_proposals(tmp_path, monkeypatch, page):
    db = tmp_path / "p.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(db)
    ensure_dataset(store, "calls", view="audio_manual", labels=["Diane"])
    ids = store.write(lambda cur: insert_tasks(cur, "calls", [
        ({"audio": f"{n}.wav", "_input_hash": n, "_task_hash": n, "audio_spans": PROPOSED}, None)
        for n in (1, 2, 3)], 0.0))
    task = [get_task(store, i) for i in ids]
    # 09:00: one kept and one renamed; 10:00: one moved, one removed, one added; a reject left out
    save_annotation(store, task[0], "accept", "ann", timestamp=T0 + 60,
                    edits={"audio_spans": [PROPOSED[0], {**PROPOSED[1], "label": "Diane"}]})
    save_annotation(store, task[1], "accept", "ann", timestamp=T0 + 3660,
                    edits={"audio_spans": [{**PROPOSED[0], "end": 1.5},
                                           {"id": "n", "start": 3.0, "end": 4.0, "label": "Diane"}]})
    save_annotation(store, task[2], "reject", "ann", timestamp=T0 + 3700)

    at = page("statistics_page")
    at.run()
    assert not at.exception, at.exception
    assert "Proposals and answers" in [h.value for h in at.subheader]
    table = next(d.value for d in at.dataframe if "kept" in d.value.columns)
    assert table[["accepted answers", "kept", "moved", "relabelled", "added", "removed"]].values.tolist() == \
        [[1, 1, 0, 1, 0, 0], [1, 0, 1, 0, 1, 1]]
    assert [str(t) for t in table["hour"]] == ["2026-09-21 09:00:00+00:00", "2026-09-21 10:00:00+00:00"]
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    proposals = next(c for c in charts if c["encoding"]["color"]["field"] == "outcome")
    assert proposals["encoding"]["color"]["scale"]["domain"] == ["kept", "moved", "relabelled", "added", "removed"]
    assert proposals["encoding"]["y"]["field"] == "regions"
    assert any("Rejected and ignored answers are left out" in c.value for c in at.caption)


def test_a_dataset_without_proposals_says_so(tmp_path, monkeypatch, page):
    db = tmp_path / "e.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(db)
    ensure_dataset(store, "plain", view="audio_manual")
    ids = store.write(lambda cur: insert_tasks(cur, "plain", [({"audio": "x.wav", "_input_hash": 1,
                                                                 "_task_hash": 1}, None)], 0.0))
    save_annotation(store, get_task(store, ids[0]), "accept", "ann",
                    edits={"audio_spans": [{"id": "n", "start": 0.0, "end": 1.0, "label": "X"}]})
    at = page("statistics_page")
    at.run()
    assert not at.exception, at.exception
    assert any("No accepted answer of a task with proposals yet" in c.value for c in at.caption)
    assert not any("kept" in d.value.columns for d in at.dataframe)
