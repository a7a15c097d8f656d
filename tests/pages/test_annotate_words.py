"""The Annotate page gives the card a task's recognised words in the card's time, as its regions."""

from __future__ import annotations

import json

from earmark.db.store import open_store
from earmark.loading.loader import load_sources

WORDS = [{"start": 2.5, "end": 3.0, "text": " Okay,", "score": 0.92}, {"start": 3.2, "end": 3.6, "text": " does"}]


def test_a_segment_task_s_words_reach_the_card_in_clip_time_beside_its_regions(tmp_path, monkeypatch, corpus,
                                                                             page):
    db = tmp_path / "words.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    task = {"path": str(corpus / "diarization" / "trn01.wav"), "segment": {"start": 2.0, "end": 8.0},
            "transcript": "Okay, does", "words": WORDS,
            "audio_spans": [{"id": "r", "start": 2.5, "end": 3.6, "label": "Diane", "profile": 0.83}]}
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(json.dumps(task) + "\n", encoding="utf-8")
    store = open_store(db)
    assert load_sources(store, "words", [jsonl], view="transcript", labels=["Diane"]).added == 1
    at = page("annotate", dataset="words", session="ann")
    at.run()
    (item,) = at.session_state["ann_queue_items"]
    # the clip starts 1 s before the segment: words and regions both 1 s earlier
    assert item["words"] == [{"start": 1.5, "end": 2.0, "text": "Okay,", "score": 0.92},
                             {"start": 2.2, "end": 2.6, "text": "does"}]
    assert [(r["start"], r["end"], r.get("profile")) for r in item["regions"]] == [(1.5, 2.6, 0.83)]
