"""How proposals compare with the answers, per hour or day: counts worked out by hand."""

from __future__ import annotations

import json

import pytest

from earmark.annotations import save_annotation
from earmark.cli import main
from earmark.datasets import ensure_dataset
from earmark.db.queries.statistics import compare_answer, proposal_comparison, word_edits
from earmark.db.queries.tasks import get_task, insert_tasks
from earmark.db.store import open_store

H = 3600.0
T0 = 1_790_000_000.0 - 1_790_000_000.0 % 86400 + 9 * H   # 09:00 UTC on some day


def region(rid: str, start: float, end: float, label: str) -> dict:
    return {"id": rid, "start": start, "end": end, "label": label}


PROPOSED = [region("a", 0.0, 1.0, "SPEAKER_00"), region("b", 1.0, 2.0, "SPEAKER_01"),
            region("c", 2.0, 3.0, "SPEAKER_00"), region("d", 3.0, 4.0, "SPEAKER_01")]


def test_word_edits_is_the_word_level_edit_distance():
    assert word_edits([], []) == 0
    assert word_edits("the cat sat".split(), "the cat sat".split()) == 0
    assert word_edits("the cat sat".split(), "the bat sat".split()) == 1          # substitution
    assert word_edits("the cat sat".split(), "the cat sat down".split()) == 1     # insertion
    assert word_edits("the cat sat".split(), "cat sat".split()) == 1              # deletion
    assert word_edits("a b c d".split(), "x a c d y".split()) == 3               # a b c d -> x a c d y
    assert word_edits("kitten sitting".split(), []) == 2
    assert word_edits("one two three four five".split(), "five four three two one".split()) == 4


def test_one_answer_by_hand():
    task = {"audio_spans": PROPOSED, "transcript": "hello there how are you"}
    answer = {"audio_spans": [
        region("a", 0.005, 1.009, "SPEAKER_00"),   # within 10 ms, same label: kept
        region("b", 1.2, 2.0, "SPEAKER_01"),       # start moved 0.2 s: moved
        region("c", 2.0, 3.0, "Diane"),            # relabelled
        # d removed
        region("e", 4.0, 5.0, "Diane"),            # added
    ], "transcript": "hello there how are they today"}
    assert compare_answer(task, answer) == {"kept": 1, "moved": 1, "relabelled": 1, "added": 1, "removed": 1,
                                            "word_edits": 2, "words": 6}
    # moved and relabelled at once counts in both
    both = {"audio_spans": [region("a", 0.5, 1.0, "Bob")]}
    assert compare_answer({"audio_spans": PROPOSED}, both) == {
        "kept": 0, "moved": 1, "relabelled": 1, "added": 0, "removed": 3, "word_edits": 0, "words": 0}
    # 10 ms exactly is still kept; 11 ms is moved
    assert compare_answer({"audio_spans": PROPOSED[:1]},
                          {"audio_spans": [region("a", 0.010, 0.990, "SPEAKER_00")]})["kept"] == 1
    assert compare_answer({"audio_spans": PROPOSED[:1]},
                          {"audio_spans": [region("a", 0.011, 1.0, "SPEAKER_00")]})["moved"] == 1


@pytest.fixture
def answered(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    store = open_store(db)
    ensure_dataset(store, "d", view="audio_manual")
    tasks = [({"audio": f"{n}.wav", "_input_hash": n, "_task_hash": n,
               **({"audio_spans": PROPOSED} if n != 4 else {}),
               **({"transcript": "one two three"} if n in (2, 4) else {})}, None) for n in range(1, 7)]
    ids = store.write(lambda cur: insert_tasks(cur, "d", tasks, 0.0))
    t = [get_task(store, i) for i in ids]

    def answer(k, verdict, regions, at, session="ann", transcript=None, supersedes=None):
        edits = {"audio_spans": regions, **({"transcript": transcript} if transcript is not None else {})}
        return save_annotation(store, t[k], verdict, session, edits=edits, timestamp=at, supersedes=supersedes)

    # hour 09: task 1 accepted untouched (4 kept); task 2 one moved, one relabelled, the
    # transcript one word changed and one added (2 edits over 4 words)
    answer(0, "accept", PROPOSED, T0 + 60)
    answer(1, "accept", [region("a", 0.3, 1.0, "SPEAKER_00"), region("b", 1.0, 2.0, "Diane"), *PROPOSED[2:]],
           T0 + 120, transcript="one two tree four")
    # hour 10: task 3 rejected (left out); task 4 had no regions proposed, only a transcript:
    # the added region is not counted, the transcript is (0 edits over 3 words)
    answer(2, "reject", [], T0 + H + 60)
    answer(3, "accept", [region("z", 0.0, 1.0, "Diane")], T0 + H + 120, transcript="one two three")
    # task 5: first accepted with everything removed, then (undo) answered again: only the
    # current answer counts, one region added and the rest kept
    first = answer(4, "accept", [], T0 + H + 180)
    answer(4, "accept", [*PROPOSED, region("n", 5.0, 6.0, "Diane")], T0 + H + 240, supersedes=first)
    # hour 11: task 6 by another annotator: two removed, one moved by its end
    answer(5, "accept", [PROPOSED[0], region("b", 1.0, 2.5, "SPEAKER_01")], T0 + 2 * H + 10, session="bob")
    monkeypatch.setenv("EARMARK_DB", str(db))
    return store, db


def test_the_comparison_per_hour_by_hand(answered):
    store, _ = answered
    got = proposal_comparison(store, "d")
    assert got["bucket"] == "hour"
    zero = {"kept": 0, "moved": 0, "relabelled": 0, "added": 0, "removed": 0, "word_edits": 0, "words": 0}
    assert got["rows"] == [
        {"start": "2026-09-21T09:00:00+00:00", **zero, "answers": 2, "kept": 6, "moved": 1, "relabelled": 1,
         "word_edits": 2, "words": 4},
        {"start": "2026-09-21T10:00:00+00:00", **zero, "answers": 2, "kept": 4, "added": 1, "words": 3},
        {"start": "2026-09-21T11:00:00+00:00", **zero, "answers": 1, "kept": 1, "moved": 1, "removed": 2},
    ]


def test_answers_spread_over_days_are_counted_per_day(answered):
    store, _ = answered
    task = get_task(store, store.query_one("SELECT max(id) FROM tasks")[0])
    save_annotation(store, task, "accept", "cy", edits={"audio_spans": PROPOSED[:2]}, timestamp=T0 + 3 * 86400)
    got = proposal_comparison(store, "d")
    assert got["bucket"] == "day"
    assert [(r["start"], r["answers"], r["kept"], r["removed"]) for r in got["rows"]] == [
        ("2026-09-21T00:00:00+00:00", 5, 11, 2), ("2026-09-24T00:00:00+00:00", 1, 2, 2)]


def test_stats_says_how_the_proposals_fared_and_its_json_keeps_its_keys(answered, capsys):
    _, db = answered
    assert main(["stats", "d", "--db", str(db)]) == 0
    assert "proposals in 5 accepted answers: 11 kept, 2 moved, 1 relabelled, 1 added, 2 removed; " \
        "2 word edits in 7 words" in capsys.readouterr().out
    assert main(["stats", "d", "--json", "--db", str(db)]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"tasks", "answered", "answers", "labels", "audio_seconds"}
