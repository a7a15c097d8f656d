"""Answers from the card's pending log (earmark.answers), in process, with known answers.

parse_pending reads a component value's `pending`; commit_answers commits each
(session, client, seq) once, in order, with a receipt; answer_edits turns the
card's edits into annotation keys in file time.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from earmark.annotations import CURRENT_ANNOTATIONS, Task, get_task
from earmark.answers import (MAX_CLIENT, MAX_REGIONS, MAX_TEXT, PendingAnswer, View, acked_seqs,
                             answer_edits, commit_answers, parse_pending, refusals)

BLOCKS = {"q": ["audio_manual"], "t": ["transcript"], "al": ["alignment"]}


def add_task(store, task_id: int, data: dict, dataset: str = "q") -> Task:
    store.write(lambda cur: cur.execute(
        "INSERT INTO tasks (id, dataset, input_hash, task_hash, media_id, task, added) "
        "VALUES (?, ?, ?, ?, NULL, ?, 0)", [task_id, dataset, 1000 + task_id, 2000 + task_id, json.dumps(data)]))
    return get_task(store, task_id)


def raw(seq: int, task_id: int | str = 1, answer: str = "accept", client: str = "c1", **fields) -> dict:
    """One pending entry as the card sends it."""
    number = isinstance(seq, (int, float)) and not isinstance(seq, bool)
    return {"client": client, "seq": seq, "dataset": "q", "session": "ann",
            "task_id": str(task_id) if type(task_id) is int else task_id, "answer": answer, "regions": [],
            "transcript": None, "spans": None, "ts": 100.0 + seq if number else 100.0, **fields}


def entry(seq: int = 1, task_id: int = 1, answer: str = "accept", **fields) -> PendingAnswer:
    return PendingAnswer(**{"client": "c1", "seq": seq, "dataset": "q", "session": "ann", "task_id": task_id,
                            "answer": answer, "ts": 100.0 + seq, **fields})


def commit(store, entries, **kwargs):
    return commit_answers(store, entries, BLOCKS.get, **kwargs)


def stored(store) -> list[tuple]:
    return store.query("SELECT id, task_id, session, answer, supersedes, created FROM annotations ORDER BY id")


def receipts(store) -> list[tuple]:
    return store.query("SELECT session, client, seq, task_id, annotation_id, problem FROM answer_receipts "
                       "ORDER BY client, seq")


def region(rid: str = "r", start=0.5, end=1.0, **fields) -> dict:
    return {"id": rid, "start": start, "end": end, "label": "A", **fields}


# -- parse_pending -------------------------------------------------------------------

@pytest.mark.parametrize("items,problems", [
    (None, []),                                            # a value before any answer
    ("pending", ["`pending` must be a list, not str"]),
    ({"seq": 1}, ["`pending` must be a list, not dict"]),
    (7, ["`pending` must be a list, not int"]),
])
def test_pending_that_is_not_a_list_gives_no_entries(items, problems):
    assert parse_pending(items) == ([], problems)


def test_entries_without_a_usable_client_and_seq_are_dropped_and_named():
    items = ["x", None,
             raw(1, client=""), raw(2, client=7), raw(3, client="c" * (MAX_CLIENT + 1)),
             {k: v for k, v in raw(4).items() if k != "client"},
             {k: v for k, v in raw(5).items() if k != "seq"},
             raw(True), raw(False), raw(0), raw(-2), raw(2.5), raw("3"), raw(math.nan),
             raw(6, client="c" * MAX_CLIENT), raw(7.0)]
    entries, problems = parse_pending(items)
    assert problems == ["pending[0] is not an object", "pending[1] is not an object"] + [
        f"pending[{i}] has no usable client id and seq" for i in range(2, 14)]
    # clients by their first answer's time: the long one's seq 6 came at 106, c1's seq 7 at 107
    assert [(e.client, e.seq) for e in entries] == [("c" * MAX_CLIENT, 6), ("c1", 7)]
    assert type(entries[1].seq) is int


def test_fields_of_the_wrong_type_become_empty_and_task_ids_are_read_from_digits():
    items = [raw(1, task_id="12"), raw(2, task_id="13"), raw(3, task_id="x"), raw(4, task_id="-3"),
             raw(5, task_id=True), raw(6, task_id=4.0), raw(7, task_id=None),
             {"client": "c1", "seq": 8, "dataset": 5, "session": ["a"], "task_id": "1", "answer": 1,
              "regions": {"id": "r"}, "transcript": 3, "spans": "s", "ts": True, "skip_reason": 0}]
    entries, problems = parse_pending(items)
    assert problems == []
    assert [e.task_id for e in entries] == [12, 13, -1, -1, -1, 4, -1, 1]
    last = entries[-1]
    assert (last.dataset, last.session, last.answer, last.regions, last.transcript, last.spans, last.ts,
            last.skip_reason) == ("", "", "", [], None, None, 0.0, None)
    assert entries[0].ts == 101.0 and entries[0].regions == [] and entries[0].skip_reason is None


def test_non_finite_times_count_as_no_time():
    [e1, e2] = parse_pending([raw(1, ts=math.inf), raw(2, ts=math.nan)])[0]
    assert (e1.ts, e2.ts) == (0.0, 0.0)


def test_a_duplicate_client_and_seq_keeps_the_first_entry():
    entries, problems = parse_pending([raw(1, answer="accept"), raw(1, answer="reject"), raw(2),
                                       raw(1, answer="ignore")])
    assert problems == []
    assert [(e.seq, e.answer) for e in entries] == [(1, "accept"), (2, "accept")]


def test_entries_come_per_client_by_seq_clients_by_their_first_answer():
    items = [raw(3, client="b", ts=50), raw(2, client="a", ts=10), raw(1, client="b", ts=70),
             raw(1, client="a", ts=20), raw(2, client="b", ts=60)]
    entries, _ = parse_pending(items)
    # a's first answer is at 10, b's at 50: all of a, then all of b, each by seq (not by time)
    assert [(e.client, e.seq) for e in entries] == [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("b", 3)]


# -- commit_answers: once each, in order, with receipts ------------------------------

def test_answers_are_committed_in_seq_order_each_with_its_receipt(store):
    for i in (1, 2, 3):
        add_task(store, i, {"audio": f"{i}.wav"})
    entries, _ = parse_pending([raw(3, task_id=3, answer="ignore"), raw(1, task_id=1),
                                raw(2, task_id=2, answer="reject")])
    report = commit(store, entries)
    assert [e.seq for e in report.committed] == [1, 2, 3]
    assert (report.repeated, report.refused, report.error, report.acked) == ([], [], None, {"c1": 3})
    rows = stored(store)
    assert [(t, s, a, sup) for _, t, s, a, sup, _ in rows] == [
        (1, "ann", "accept", None), (2, "ann", "reject", None), (3, "ann", "ignore", None)]
    assert [created for *_, created in rows] == [101.0, 102.0, 103.0]   # the answer's own time
    assert receipts(store) == [("ann", "c1", seq, seq, rows[seq - 1][0], None) for seq in (1, 2, 3)]


def test_the_same_entries_again_commit_nothing_and_new_ones_only_themselves(store):
    for i in (1, 2, 3):
        add_task(store, i, {"audio": f"{i}.wav"})
    first = parse_pending([raw(1, task_id=1), raw(2, task_id=2)])[0]
    commit(store, first)
    again = commit(store, first)
    assert (again.committed, [e.seq for e in again.repeated], again.acked) == ([], [1, 2], {"c1": 2})
    later = commit(store, parse_pending([raw(1, task_id=1), raw(2, task_id=2), raw(3, task_id=3)])[0])
    assert ([e.seq for e in later.committed], [e.seq for e in later.repeated]) == ([3], [1, 2])
    assert len(stored(store)) == 3 and len(receipts(store)) == 3


def test_a_receipt_is_per_session_and_client(store):
    add_task(store, 1, {"audio": "1.wav"})
    report = commit(store, [entry(1), entry(1, session="bob"), entry(1, client="c2")])
    assert len(report.committed) == 3
    assert [(s, c, q) for s, c, q, *_ in receipts(store)] == [("ann", "c1", 1), ("bob", "c1", 1),
                                                               ("ann", "c2", 1)]
    assert report.acked == {"c1": 1, "c2": 1}


def test_an_answer_again_on_the_same_task_supersedes_the_sessions_earlier_one(store):
    add_task(store, 1, {"audio": "1.wav"})
    commit(store, [entry(1, answer="accept", regions=[region()])])
    commit(store, [entry(1, answer="accept"), entry(2, answer="reject", regions=[region(start=0.7)])])
    commit(store, [entry(1, answer="ignore", session="bob")])
    rows = stored(store)
    assert [(i, s, a, sup) for i, _, s, a, sup, _ in rows] == [
        (rows[0][0], "ann", "accept", None), (rows[1][0], "ann", "reject", rows[0][0]),
        (rows[2][0], "bob", "ignore", None)]
    now = store.query(f"SELECT session, answer, annotation FROM ({CURRENT_ANNOTATIONS}) c ORDER BY session")
    assert [(s, a) for s, a, _ in now] == [("ann", "reject"), ("bob", "ignore")]
    assert json.loads(now[0][2])["audio_spans"][0]["start"] == 0.7
    assert store.query("SELECT annotation_id, start FROM spans ORDER BY annotation_id") == [
        (rows[0][0], 0.5), (rows[1][0], 0.7)]


def test_refused_answers_get_a_receipt_with_the_reason_and_later_ones_still_commit(store):
    add_task(store, 1, {"audio": "1.wav"})
    add_task(store, 2, {"audio": "2.wav"}, dataset="other")
    entries = [
        entry(1, task_id=2),                                   # a task of another dataset
        entry(2, dataset="nowhere"),                           # no such dataset
        entry(3, dataset=""),
        entry(4, session=""),                                  # no annotator
        entry(5, answer="maybe"),
        entry(6, task_id=-1),                                  # no task id
        entry(7, task_id=99),                                  # no such task
        entry(8, session="mallory"),
        entry(9),                                              # this one is fine
    ]
    report = commit(store, entries, may_answer=lambda s: s != "mallory")
    assert [e.seq for e in report.committed] == [9] and report.error is None
    reasons = [(e.seq, why) for e, why in report.refused]
    assert reasons == [
        (1, "task 2 is not a task of 'q'"),
        (2, "there is no dataset 'nowhere'"),
        (3, "there is no dataset ''"),
        (4, "an answer needs a session (annotator) name"),
        (5, "'maybe' is not an answer (one of accept, reject, ignore)"),
        (6, "task -1 is not a task of 'q'"),
        (7, "task 99 is not a task of 'q'"),
        (8, "'mallory' is not an annotator of this server"),
    ]
    rows = receipts(store)
    assert [(q, t, a is None, p) for _, _, q, t, a, p in rows] == [
        (seq, {1: 2, 6: None, 7: 99}.get(seq, 1), True, why) for seq, why in reasons] + [(9, 1, False, None)]
    assert report.acked == {"c1": 9}
    assert [(t, a) for _, t, _, a, _, _ in stored(store)] == [(1, "accept")]
    # sent again: acknowledged, nothing new
    again = commit(store, entries, may_answer=lambda s: s != "mallory")
    assert (again.committed, again.refused, len(again.repeated)) == ([], [], 9)
    # the card names the latest refused ones, oldest first
    assert refusals(store, "c1") == [(4, 1, reasons[3][1]), (5, 1, reasons[4][1]), (6, None, reasons[5][1]),
                                     (7, 99, reasons[6][1]), (8, 1, reasons[7][1])]
    assert refusals(store, "c1", limit=1) == [(8, 1, reasons[7][1])]
    assert refusals(store, "nobody") == []


def test_a_skip_keeps_its_reason_and_stores_no_region(store):
    add_task(store, 1, {"audio": "1.wav", "audio_spans": [region()], "segment": {"start": 5.0, "end": 2.0}})
    report = commit(store, [entry(1, answer="ignore", skip_reason="it runs  from 5 s\nto 2 s",
                                  regions=[region("x")])])
    assert [e.seq for e in report.committed] == [1]
    answer, doc = store.query_one("SELECT answer, annotation FROM annotations")
    assert answer == "ignore" and json.loads(doc)["_skip_reason"] == "it runs from 5 s to 2 s"
    assert store.query("SELECT * FROM spans") == []


def test_acked_seqs_is_the_highest_receipt_per_client(store):
    add_task(store, 1, {"audio": "1.wav"})
    commit(store, [entry(1), entry(2, answer="maybe"), entry(5)])   # seq numbers may have gaps
    commit(store, [entry(1, client="c2")])
    assert acked_seqs(store, {"c1", "c2", "c3"}) == {"c1": 5, "c2": 1}
    assert acked_seqs(store, set()) == {}
    assert acked_seqs(store, {"c3"}) == {}


def test_a_failing_write_stops_the_batch_and_the_rest_commit_later_in_order(store, monkeypatch):
    for i in (1, 2, 3):
        add_task(store, i, {"audio": f"{i}.wav"})
    entries = [entry(1, task_id=1), entry(2, task_id=2), entry(3, task_id=3)]
    real = store.write
    calls = []

    def full_after_one(fn, *args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise OSError("no space left on the device")
        return real(fn, *args, **kwargs)
    monkeypatch.setattr(store, "write", full_after_one)
    report = commit(store, entries)
    assert [e.seq for e in report.committed] == [1] and isinstance(report.error, OSError)
    assert report.acked == {"c1": 1} and len(calls) == 2        # it stopped at the failing one
    monkeypatch.setattr(store, "write", real)
    report = commit(store, entries)
    assert ([e.seq for e in report.repeated], [e.seq for e in report.committed]) == ([1], [2, 3])
    assert [t for _, t, *_ in stored(store)] == [1, 2, 3]


def test_after_a_failed_write_no_later_answer_is_committed_before_it(store, monkeypatch):
    """A write that fails once (the disk full for a moment): the answers after it wait,
    so that the session's answers are stored in the order they were given."""
    for i in (1, 2, 3):
        add_task(store, i, {"audio": f"{i}.wav"})
    entries = [entry(1, task_id=1), entry(2, task_id=2), entry(3, task_id=3)]
    real = store.write
    calls = []

    def second_fails_once(fn, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("no space left on the device")
        return real(fn, *args, **kwargs)
    monkeypatch.setattr(store, "write", second_fails_once)
    report = commit(store, entries)
    assert [e.seq for e in report.committed] == [1] and report.acked == {"c1": 1}
    report = commit(store, entries)
    assert [e.seq for e in report.committed] == [2, 3]
    assert [t for _, t, *_ in stored(store)] == [1, 2, 3]


def test_a_failing_read_stops_the_batch_before_anything_is_written(store):
    add_task(store, 1, {"audio": "1.wav"})
    calls = []

    def blocks_of(name):
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return BLOCKS.get(name)
    report = commit_answers(store, [entry(1), entry(2)], blocks_of)
    assert isinstance(report.error, RuntimeError) and report.committed == [] and receipts(store) == []
    assert report.acked == {}
    report = commit_answers(store, [entry(1), entry(2)], blocks_of)   # the next value: both, in order
    assert [e.seq for e in report.committed] == [1, 2] and report.error is None


# -- answer_edits: the card's edits in file time -------------------------------------

def test_regions_come_back_in_file_time_with_only_the_task_formats_keys():
    task = Task(1, "q", None, {"audio": "1.wav"})
    e = entry(regions=[{"id": "r", "start": 2.0, "end": 3.5, "label": "A", "color": "#ff0000", "channel": None,
                        "drag": True, "score": 0.25, "text": "hi"},
                       {"id": "s", "start": 1.23449, "end": 1.2346, "label": "B", "channel": 0},
                       {"id": "t", "start": 4.0, "end": 5.0}])
    assert answer_edits(task, e, ["audio_manual"], View(9.0)) == {"audio_spans": [
        {"id": "r", "start": 11.0, "end": 12.5, "label": "A", "color": "#ff0000", "score": 0.25, "text": "hi"},
        {"id": "s", "start": 10.234, "end": 10.235, "label": "B", "channel": 0},      # ms; channel 0 is 0
        {"id": "t", "start": 13.0, "end": 14.0, "label": ""}]}


def test_a_split_channel_tasks_regions_take_its_channel_channel_0_included():
    task = Task(1, "q", None, {"audio": "1.wav", "meta": {"channel": 0}})
    e = entry(regions=[region("a", channel=None), region("b", channel=1), region("c")])
    spans = answer_edits(task, e, ["audio_manual"], View(0.0, 0))["audio_spans"]
    assert [(r["id"], r["channel"]) for r in spans] == [("a", 0), ("b", 0), ("c", 0)]
    spans = answer_edits(task, e, ["audio_manual"], View(2.5, 1))["audio_spans"]
    assert [(r["id"], r["start"], r["channel"]) for r in spans] == [("a", 3.0, 1), ("b", 3.0, 1), ("c", 3.0, 1)]


def test_reversed_times_are_put_in_order_as_the_component_does():
    task = Task(1, "q", None, {"audio": "1.wav"})
    [r] = answer_edits(task, entry(regions=[region(start=3.0, end=1.0)]), ["audio_manual"], View())["audio_spans"]
    assert (r["start"], r["end"]) == (1.0, 3.0)


@pytest.mark.parametrize("bad,reason", [
    (region(start=math.nan), "region 'r' has no finite start"),
    (region(end=math.inf), "region 'r' has no finite end"),
    (region(start="0.5"), "region 'r' has no finite start"),
    (region(end=None), "region 'r' has no finite end"),
    (region(start=True), "region 'r' has no finite start"),
    ({"start": 0.1, "end": 0.2, "label": "A"}, "a region has no id"),
    ({"id": 3, "start": 0.1, "end": 0.2}, "region id must be a string"),
    (region(label=["A"]), "region label must be a string"),
    (region(channel="left"), "region 'r' has a channel that is not an integer"),
    (region(channel=True), "region 'r' has a channel that is not an integer"),
    ("r", "a region is not an object"),
])
def test_a_bad_region_is_refused_with_the_reason(bad, reason):
    task = Task(1, "q", None, {"audio": "1.wav"})
    with pytest.raises(ValueError) as info:
        answer_edits(task, entry(regions=[region("ok"), bad]), ["audio_manual"], View())
    assert str(info.value) == reason


def test_too_many_regions_or_too_long_a_transcript_are_refused():
    task = Task(1, "q", None, {"audio": "1.wav"})
    with pytest.raises(ValueError, match=rf"^{MAX_REGIONS + 1} regions \(at most {MAX_REGIONS}\)$"):
        answer_edits(task, entry(regions=[region()] * (MAX_REGIONS + 1)), ["audio_manual"], View())
    with pytest.raises(ValueError, match=rf"^a transcript of {MAX_TEXT + 1} characters"):
        answer_edits(task, entry(transcript="x" * (MAX_TEXT + 1)), ["transcript"], View())
    assert answer_edits(task, entry(transcript="x" * MAX_TEXT), ["transcript"], View())["transcript"] == \
        "x" * MAX_TEXT


def test_bad_regions_are_refused_through_commit_with_a_receipt(store):
    add_task(store, 1, {"audio": "1.wav"})
    report = commit(store, [entry(1, regions=[region(start=math.nan)]), entry(2, regions=[region(start=-1.0)]),
                            entry(3, regions=[region(label=None, channel=-1)]), entry(4)])
    assert [(e.seq, why) for e, why in report.refused] == [
        (1, "region 'r' has no finite start"),
        (2, "audio_spans[0] has end 1.0 before start -1.0 or a negative time"),
        (3, "audio_spans[0].channel -1 is negative (it counts from 0: 0 is channel 1)")]
    assert [e.seq for e in report.committed] == [4]


def test_regions_beyond_the_file_or_its_channels_are_refused(store, corpus):
    from earmark.loading.loader import load_sources
    [task_id] = load_sources(store, "q", [corpus / "formats" / "bobby_16bit_16khz_2ch.wav"],
                             peaks=False).task_ids
    duration = store.query_one("SELECT duration FROM media")[0]
    report = commit(store, [entry(1, task_id=task_id, regions=[region(end=duration + 1)]),
                            entry(2, task_id=task_id, regions=[region(channel=2)]),
                            entry(3, task_id=task_id, regions=[region(channel=1)])])
    assert [e.seq for e, _ in report.refused] == [1, 2]
    assert report.refused[0][1] == (f"audio_spans[0] ends at {round(duration + 1, 3)} s, "
                                    f"after the end of the file ({duration:.3f} s)")
    assert report.refused[1][1] == ("audio_spans[0].channel 2 does not exist: that is channel 3 counted from 1, "
                                    "and the file has 2 channels")
    assert [e.seq for e in report.committed] == [3]


def test_a_transcript_is_the_typed_text_or_the_tasks_own():
    task = Task(1, "q", None, {"audio": "1.wav", "transcript": "pre-filled"})
    assert answer_edits(task, entry(transcript="typed"), ["transcript"], View()) == {
        "audio_spans": [], "transcript": "typed"}
    assert answer_edits(task, entry(), ["transcript"], View())["transcript"] == "pre-filled"
    assert answer_edits(Task(2, "q", None, {}), entry(), ["transcript"], View())["transcript"] == ""
    # no transcript block: the transcript is not the card's to change
    assert answer_edits(task, entry(transcript="typed"), ["audio_manual"], View()) == {"audio_spans": []}


def test_a_segments_transcript_becomes_a_region_of_the_segment():
    data = {"audio": "1.wav", "segment": {"start": 10.0, "end": 20.0}}
    task = Task(7, "q", None, data)
    edits = answer_edits(task, entry(transcript="hello there"), ["transcript"], View(9.0))
    assert edits == {"transcript": "hello there", "audio_spans": [
        {"id": "segment-7", "start": 10.0, "end": 20.0, "label": "TRANSCRIPT", "text": "hello there"}]}
    # of a split-channel task: its channel, 0 included
    task0 = Task(8, "q", None, {**data, "meta": {"channel": 0}})
    [r] = answer_edits(task0, entry(transcript="hi"), ["transcript"], View(9.0, 0))["audio_spans"]
    assert (r["id"], r["channel"], r["text"]) == ("segment-8", 0, "hi")
    # a blank transcript, drawn regions, or no segment: no such region
    assert answer_edits(task, entry(transcript=" \n"), ["transcript"], View(9.0))["audio_spans"] == []
    drawn = answer_edits(task, entry(transcript="hi", regions=[region()]), ["audio_manual", "transcript"],
                         View(9.0))["audio_spans"]
    assert [(r["id"], r["start"]) for r in drawn] == [("r", 9.5)]
    assert answer_edits(Task(9, "q", None, {"audio": "1.wav"}), entry(transcript="hi"), ["transcript"],
                        View())["audio_spans"] == []
    # the alignment view's text is not a segment transcript
    assert answer_edits(task, entry(transcript="hi"), ["alignment"], View(9.0))["audio_spans"] == []


def test_alignment_keeps_the_text_its_tokens_and_clean_spans():
    task = Task(1, "al", None, {"audio": "1.wav", "text": "the task's text"})
    spans = [{"start": 5, "end": 13, "token_start": 1, "token_end": 3, "label": "B", "audio_span_id": "r1",
              "extra": 1},
             {"start": 0, "end": 4, "label": "A", "token_start": "0", "audio_span_id": 5}]
    edits = answer_edits(task, entry(transcript="well I do not know", spans=spans, regions=[region("r1")]),
                         ["alignment"], View(1.5))
    assert edits["text"] == edits["transcript"] == "well I do not know"
    assert [(t["text"], t["start"], t["end"]) for t in edits["tokens"]] == [
        ("well", 0, 4), ("I", 5, 6), ("do", 7, 9), ("not", 10, 13), ("know", 14, 18)]
    assert edits["spans"] == [{"start": 5, "end": 13, "token_start": 1, "token_end": 3, "label": "B",
                               "audio_span_id": "r1"},
                              {"start": 0, "end": 4, "label": "A"}]
    assert edits["audio_spans"] == [{"id": "r1", "start": 2.0, "end": 2.5, "label": "A"}]
    # no transcript sent: the task's own text
    assert answer_edits(task, entry(), ["alignment"], View())["text"] == "the task's text"


@pytest.mark.parametrize("span", [
    {"start": 0, "end": 19, "label": "A"},        # past the end of the 18 characters
    {"start": -1, "end": 2, "label": "A"},
    {"start": 5, "end": 3, "label": "A"},
    {"start": "0", "end": 2, "label": "A"},
    {"start": True, "end": 2, "label": "A"},
    {"end": 2, "label": "A"},
])
def test_a_text_span_outside_the_text_is_refused(span):
    task = Task(1, "al", None, {"audio": "1.wav"})
    with pytest.raises(ValueError, match="^a text span lies outside the text$"):
        answer_edits(task, entry(transcript="well I do not know", spans=[span]), ["alignment"], View())
    with pytest.raises(ValueError, match="^a text span is not an object$"):
        answer_edits(task, entry(transcript="x", spans=["A"]), ["alignment"], View())


def test_text_that_is_not_unicode_or_a_span_without_a_label_is_refused_and_named(store):
    add_task(store, 1, {"audio": "1.wav"}, dataset="al")
    add_task(store, 2, {"audio": "2.wav"}, dataset="t")
    lone = "caf\udce9"      # a lone surrogate: no UTF-8 for it, the browser and DuckDB cannot read it
    entries = [PendingAnswer("c1", 1, "t", "ann", 2, "accept", transcript=lone),
               PendingAnswer("c1", 2, "al", "ann", 1, "accept", transcript="ok",
                             spans=[{"start": 0, "end": 2, "label": None}]),
               PendingAnswer("c1", 3, "al", "ann", 1, "accept", regions=[region(text=lone)]),
               PendingAnswer("c1", 4, "al", "ann", 1, "accept", transcript=f"un {lone}"),
               PendingAnswer("c1", 5, "al", "ann", 1, "accept", transcript="ok")]
    report = commit(store, entries)
    assert [(e.seq, why) for e, why in report.refused[:3]] == [
        (1, "`transcript` holds text that is not valid Unicode (a lone surrogate)"),
        (2, "spans[0].label must be a string, not null"),
        (3, "`audio_spans[0].text` holds text that is not valid Unicode (a lone surrogate)")]
    # the alignment view's text is in several keys (transcript, text, tokens): the first met is named
    assert report.refused[3][0].seq == 4
    assert re.fullmatch(r"`(transcript|text|tokens\[\d\]\.text)` holds text that is not valid Unicode "
                        r"\(a lone surrogate\)", report.refused[3][1]), report.refused[3][1]
    assert [e.seq for e in report.committed] == [5]
    assert json.loads(store.query_one("SELECT annotation FROM annotations")[0])["text"] == "ok"


def test_the_view_and_its_offset_come_from_the_callers_view_of(store):
    add_task(store, 1, {"audio": "1.wav", "segment": {"start": 10.0, "end": 12.0}, "meta": {"channel": 0}})
    seen = []

    def view_of(task):
        seen.append(task.id)
        return View(9.0, 0)
    commit(store, [entry(1, regions=[region(start=1.5, end=2.5)])], view_of=view_of)
    doc = json.loads(store.query_one("SELECT annotation FROM annotations")[0])
    assert seen == [1]
    assert doc["audio_spans"] == [{"id": "r", "start": 10.5, "end": 11.5, "label": "A", "channel": 0}]
    assert doc["_view_id"] == "audio_manual"
    assert store.query("SELECT span_id, start, \"end\", channel FROM spans") == [("r", 10.5, 11.5, 0)]


def test_two_runs_committing_the_same_answers_at_once_store_each_once_without_an_error(store):
    """A run of the page stopping while the next starts: both commit the same log."""
    import threading
    for i in range(1, 9):
        add_task(store, i, {"audio": f"x{i}.wav"})
    entries = [entry(seq=i, task_id=i) for i in range(1, 9)]
    reports, start = [], threading.Barrier(3)

    def run():
        start.wait()
        reports.append(commit(store, entries))
    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.error for r in reports] == [None, None, None]
    assert sum(len(r.committed) for r in reports) == 8      # each answer committed by one run
    assert sum(len(r.repeated) for r in reports) == 16      # and found stored by the two others
    assert [t for _, t, *_ in stored(store)] == list(range(1, 9))
    assert [r.acked for r in reports] == [{"c1": 8}] * 3
