"""What is stored with an answer, which task comes next, and who holds it.

Every expected value is written out by hand: the task, session, view, time and
regions an answer is stored with; the order the queue hands tasks out in; which
claims block, expire and are taken over; the counts of the progress bar. Tasks
are put into the database directly, with ids, hashes and media ids that all
differ, so that an answer stored with a neighbour's field shows.
"""

from __future__ import annotations

import json
import math
import time

import pytest

from earmark.annotations import (AnnotationError, Task, finite, get_task, save_annotation, skip_task,
                                 strip_base64)
from earmark.feed import CLAIM_SECONDS, Answered, Progress, next_task, previous_answer, progress

INLINE = "data:audio/wav;base64,UklGRiQAAABXQVZF"


def add_task(store, task_id: int, data: dict | str, *, dataset: str = "q",
             media_id: str | None = None) -> None:
    """A task row as the loader writes it: hashes 1000 + id and 2000 + id."""
    text = data if isinstance(data, str) else json.dumps(data)
    store.write(lambda cur: cur.execute(
        "INSERT INTO tasks (id, dataset, input_hash, task_hash, media_id, task, added) "
        "VALUES (?, ?, ?, ?, ?, ?, 0)",
        [task_id, dataset, 1000 + task_id, 2000 + task_id, media_id, text]))


def add_claim(store, task_id: int, session: str, claimed: float, dataset: str = "q") -> None:
    store.write(lambda cur: cur.execute("INSERT INTO claims VALUES (?, ?, ?, ?)",
                                        [dataset, task_id, session, claimed]))


def annotations(store) -> list[tuple]:
    return store.query("SELECT id, dataset, task_id, input_hash, task_hash, session, view, answer, "
                       "created, supersedes, annotation FROM annotations ORDER BY id")


def spans(store) -> list[tuple]:
    return store.query('SELECT annotation_id, dataset, session, answer, media_id, span_id, label, '
                       'start, "end", channel, text FROM spans ORDER BY annotation_id, start')


# -- reading a stored task ---------------------------------------------------------

def test_a_stored_task_comes_back_with_its_row_and_hashes(store):
    add_task(store, 7, {"audio": "talk.wav", "text": "hallo", "meta": {"n": 1}},
             dataset="talks", media_id="ab12")
    assert get_task(store, 7) == Task(7, "talks", "ab12", {
        "_input_hash": 1007, "_task_hash": 2007, "audio": "talk.wav", "text": "hallo", "meta": {"n": 1}})
    assert get_task(store, 8) is None


def test_a_task_whose_json_is_broken_or_not_an_object_says_so_and_keeps_its_hashes(store):
    add_task(store, 3, "{not json", dataset="talks", media_id="cd34")
    add_task(store, 4, "[1, 2]", dataset="talks", media_id="ef56")
    assert get_task(store, 3) == Task(3, "talks", "cd34", {"_input_hash": 1003, "_task_hash": 2003},
                                      "the stored task is not valid JSON (Expecting property name "
                                      "enclosed in double quotes: line 1 column 2 (char 1))")
    assert get_task(store, 4) == Task(4, "talks", "ef56", {"_input_hash": 1004, "_task_hash": 2004},
                                      "the stored task is a JSON list, not an object")


def test_inline_base64_audio_is_dropped_and_anything_else_kept():
    assert strip_base64({"audio": INLINE, "text": "t", "meta": {"a": 1}}) == {"text": "t", "meta": {"a": 1}}
    for kept in ({"audio": "media/talk.wav", "text": "t"}, {"audio": None, "text": "t"},
                 {"audio": 3}, {"text": "no audio"}, {"audio": "DATA:audio/wav;base64,AAAA"}):
        assert strip_base64(dict(kept)) == kept


# -- saving an answer --------------------------------------------------------------

def test_an_answer_is_stored_with_its_task_session_view_time_and_edits(store):
    add_task(store, 5, {"audio": INLINE, "text": "café", "label": "old"}, dataset="talks", media_id="m5")
    task = get_task(store, 5)
    first = save_annotation(store, task, "accept", "ann", edits={"label": "new", "extra": [1]},
                            view="audio_manual", timestamp=1700000000.75)
    second = save_annotation(store, task, "reject", "bob", supersedes=first, timestamp=1700000100.25)
    third = save_annotation(store, task, "ignore", "cy", keep_base64=True, timestamp=1700000200.0)
    assert second == first + 1 and third == first + 2
    rows = annotations(store)
    assert [r[:10] for r in rows] == [
        (first, "talks", 5, 1005, 2005, "ann", "audio_manual", "accept", 1700000000.75, None),
        (second, "talks", 5, 1005, 2005, "bob", None, "reject", 1700000100.25, first),
        (third, "talks", 5, 1005, 2005, "cy", None, "ignore", 1700000200.0, None)]
    hashes = {"_input_hash": 1005, "_task_hash": 2005}
    assert json.loads(rows[0][10]) == {**hashes, "text": "café", "label": "new", "extra": [1],
                                       "answer": "accept", "_session_id": "ann",
                                       "_view_id": "audio_manual", "_timestamp": 1700000000}
    assert json.loads(rows[1][10]) == {**hashes, "text": "café", "label": "old", "answer": "reject",
                                       "_session_id": "bob", "_view_id": None, "_timestamp": 1700000100}
    assert json.loads(rows[2][10]) == {**hashes, "audio": INLINE, "text": "café", "label": "old",
                                       "answer": "ignore", "_session_id": "cy", "_view_id": None,
                                       "_timestamp": 1700000200}
    # The text is stored as written, not escaped to \u00e9.
    assert '"text": "café"' in rows[0][10]
    # Nothing of the task itself changed.
    assert task.data["audio"] == INLINE and task.data["label"] == "old"


def test_an_answer_without_a_time_gets_the_clock_time(store):
    add_task(store, 1, {"audio": "a.wav"})
    before = time.time()
    save_annotation(store, get_task(store, 1), "accept", "ann")
    after = time.time()
    [(created, document)] = store.query("SELECT created, annotation FROM annotations")
    assert before <= created <= after
    assert json.loads(document)["_timestamp"] == int(created)


def test_the_regions_of_an_answer_are_stored_each_with_its_fields(store):
    add_task(store, 2, {"audio": "a.wav"}, dataset="talks", media_id="m2")
    regions = [{"id": "r1", "start": 0.5, "end": 1.25, "label": "SPEECH", "channel": 0, "text": "hi"},
               {"id": "r2", "start": "2", "end": 3, "label": "NOISE", "channel": 1},
               {"start": 4.0, "end": 4.5}]
    annotation_id = save_annotation(store, get_task(store, 2), "reject", "ann",
                                    edits={"audio_spans": regions}, timestamp=5.0)
    assert spans(store) == [
        (annotation_id, "talks", "ann", "reject", "m2", "r1", "SPEECH", 0.5, 1.25, 0, "hi"),
        (annotation_id, "talks", "ann", "reject", "m2", "r2", "NOISE", 2.0, 3.0, 1, None),
        (annotation_id, "talks", "ann", "reject", "m2", None, None, 4.0, 4.5, None, None)]
    # Without indexing (a task skipped unseen) the regions stay in the JSON only.
    unindexed = save_annotation(store, get_task(store, 2), "ignore", "bob",
                                edits={"audio_spans": regions}, timestamp=6.0, index_spans=False)
    assert [row[0] for row in spans(store)] == [annotation_id] * 3
    assert json.loads(annotations(store)[1][10])["audio_spans"] == regions
    assert unindexed == annotation_id + 1
    # No regions at all, or an empty list: an annotation with no region rows.
    save_annotation(store, get_task(store, 2), "accept", "cy", edits={"audio_spans": []}, timestamp=7.0)
    save_annotation(store, get_task(store, 2), "accept", "dee", timestamp=8.0)
    assert len(annotations(store)) == 4 and len(spans(store)) == 3


def test_a_task_whose_own_regions_are_accepted_unchanged_has_them_indexed(store):
    add_task(store, 9, {"audio": "a.wav", "audio_spans": [{"id": "pre", "start": 1, "end": 2, "label": "A"}]},
             media_id="m9")
    annotation_id = save_annotation(store, get_task(store, 9), "accept", "ann", timestamp=1.0)
    assert spans(store) == [(annotation_id, "q", "ann", "accept", "m9", "pre", "A", 1.0, 2.0, None, None)]


def test_an_answer_that_is_not_one_of_the_three_or_has_no_session_is_refused_and_not_stored(store):
    add_task(store, 1, {"audio": "a.wav"})
    task = get_task(store, 1)
    with pytest.raises(AnnotationError) as err:
        save_annotation(store, task, "maybe", "ann")
    assert str(err.value) == "answer must be one of accept, reject, ignore, not 'maybe'"
    with pytest.raises(AnnotationError) as err:
        save_annotation(store, task, "accept", "")
    assert str(err.value) == "an annotation needs a session (annotator) name"
    assert annotations(store) == []


# -- skipping a task ---------------------------------------------------------------

def test_a_skip_is_an_ignore_with_its_reason_in_one_line_and_no_regions(store):
    add_task(store, 4, {"audio": "gone.wav", "audio_spans": [{"id": "p", "start": 0, "end": 1}]},
             dataset="talks", media_id="m4")
    task = get_task(store, 4)
    first = skip_task(store, task, "ann", "  the file\n is   missing ", view="audio_manual")
    second = skip_task(store, task, "bob", " \n ", supersedes=first)
    rows = annotations(store)
    assert [r[:10] for r in rows] == [
        (first, "talks", 4, 1004, 2004, "ann", "audio_manual", "ignore", rows[0][8], None),
        (second, "talks", 4, 1004, 2004, "bob", None, "ignore", rows[1][8], first)]
    assert json.loads(rows[0][10])["_skip_reason"] == "the file is missing"
    assert json.loads(rows[1][10])["_skip_reason"] == "no reason given"
    assert json.loads(rows[0][10])["audio_spans"] == [{"id": "p", "start": 0, "end": 1}]
    assert spans(store) == []


def test_a_skipped_task_with_numbers_json_cannot_hold_is_stored_with_none_in_their_place(store):
    add_task(store, 6, {"audio": "a.wav"})
    task = get_task(store, 6)
    broken = Task(task.id, task.dataset, task.media_id,
                  {**task.data, "meta": {"duration": math.nan, "gain": [1.5, math.inf, -math.inf, 2]},
                   "score": 3})
    skip_task(store, broken, "ann", "cannot decode")
    [row] = annotations(store)
    assert json.loads(row[10])["meta"] == {"duration": None, "gain": [1.5, None, None, 2]}
    assert json.loads(row[10])["score"] == 3
    assert finite({"a": [math.nan, {"b": math.inf}], "c": 1.0, "d": "x", "e": 0}) == {
        "a": [None, {"b": None}], "c": 1.0, "d": "x", "e": 0}


# -- the queue with feed_overlap on --------------------------------------------------

def test_with_overlap_each_session_goes_through_its_datasets_tasks_in_id_order(store):
    add_task(store, 1, {"n": "other"}, dataset="other")
    for task_id in (2, 3, 4):
        add_task(store, task_id, {"n": task_id}, media_id=f"m{task_id}")
    assert next_task(store, "q", "ann", True) == Task(2, "q", "m2", {"_input_hash": 1002, "_task_hash": 2002,
                                                                     "n": 2})
    save_annotation(store, get_task(store, 2), "accept", "ann")
    assert next_task(store, "q", "ann", True).id == 3
    assert next_task(store, "q", "bob", True).id == 2     # ann's answer is hers only
    save_annotation(store, get_task(store, 3), "reject", "ann")
    save_annotation(store, get_task(store, 4), "ignore", "ann")
    assert next_task(store, "q", "ann", True) is None
    assert next_task(store, "other", "ann", True).id == 1
    assert store.query("SELECT * FROM claims") == []      # nothing is claimed with overlap


def test_with_overlap_a_skipped_task_goes_to_nobody_until_the_skip_is_corrected(store):
    for task_id in (1, 2, 3):
        add_task(store, task_id, {"n": task_id})
    skipped = skip_task(store, get_task(store, 1), "bob", "file missing")
    assert next_task(store, "q", "ann", True).id == 2
    # bob corrects his skip into an answer: the task is showable again for ann.
    save_annotation(store, get_task(store, 1), "accept", "bob", supersedes=skipped)
    assert next_task(store, "q", "ann", True).id == 1
    assert next_task(store, "q", "bob", True).id == 2


# -- the shared queue (feed_overlap off) ---------------------------------------------

def test_a_shared_task_is_claimed_held_across_reloads_and_released_by_its_answer(store):
    add_task(store, 1, {"n": "other"}, dataset="other")
    for task_id in (2, 3, 4):
        add_task(store, task_id, {"n": task_id}, media_id=f"m{task_id}")
    before = time.time()
    got = next_task(store, "q", "ann", False)
    after = time.time()
    assert got == Task(2, "q", "m2", {"_input_hash": 1002, "_task_hash": 2002, "n": 2})
    [(dataset, task_id, session, claimed)] = store.query("SELECT * FROM claims")
    assert (dataset, task_id, session) == ("q", 2, "ann") and before <= claimed <= after
    assert next_task(store, "q", "ann", False) == got          # a reload: the same task
    assert next_task(store, "q", "bob", False).id == 3         # bob gets the next free one
    assert next_task(store, "q", "cy", False).id == 4
    assert next_task(store, "q", "dee", False) is None          # all held
    save_annotation(store, got, "accept", "ann")
    assert next_task(store, "q", "ann", False) is None          # ann's is answered, the rest held
    assert next_task(store, "q", "bob", False).id == 3


def test_a_held_task_someone_else_answered_is_not_handed_out_again(store):
    for task_id in (1, 2):
        add_task(store, task_id, {"n": task_id})
    assert next_task(store, "q", "ann", False).id == 1
    save_annotation(store, get_task(store, 1), "accept", "bob")   # e.g. through the overlap view
    assert next_task(store, "q", "ann", False).id == 2
    assert next_task(store, "q", "cy", False) is None


def test_an_abandoned_claim_expires_and_is_taken_over_a_fresh_one_blocks(store):
    for task_id in (1, 2, 3):
        add_task(store, task_id, {"n": task_id})
    now = time.time()
    add_claim(store, 1, "bob", now - CLAIM_SECONDS - 60)          # bob left half an hour ago
    add_claim(store, 2, "cy", now - CLAIM_SECONDS + 60)           # cy is still within her time
    assert next_task(store, "q", "ann", False).id == 1
    claims = {row[1]: row for row in store.query("SELECT * FROM claims")}
    assert claims[1][:3] == ("q", 1, "ann") and claims[1][3] >= now
    assert claims[2] == ("q", 2, "cy", now - CLAIM_SECONDS + 60)
    # bob comes back: his old claim is ann's now, so he gets the one free task.
    assert next_task(store, "q", "bob", False).id == 3
    assert next_task(store, "q", "cy", False).id == 2
    assert CLAIM_SECONDS == 30 * 60


def _commit_elsewhere(store, sql, params):
    """Run `sql` on a connection of its own (another thread's, or another replica's), committed."""
    if hasattr(store, "url"):                     # PostgreSQL: another process could do this
        import psycopg

        from earmark.db.postgres import translate
        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute(translate(sql), params)
        return
    other = store._con.cursor()
    other.execute(sql, params)
    other.close()


def test_two_sessions_taking_the_same_free_task_at_once_never_share_it(store):
    """bob claims task 1 while ann's claim is under way: ann's insert meets bob's
    key, her transaction is retried from the start, and she gets task 2."""
    for task_id in (1, 2):
        add_task(store, task_id, {"n": task_id})
    real_write = store.write
    raced = []

    class Racing:
        def __init__(self, cursor):
            self._cursor = cursor

        def __getattr__(self, name):
            return getattr(self._cursor, name)

        def execute(self, sql, *args, **kwargs):
            if "INTO claims" in sql and not raced:
                raced.append(True)
                _commit_elsewhere(store, "INSERT INTO claims VALUES ('q', 1, 'bob', ?)", [time.time()])
            return self._cursor.execute(sql, *args, **kwargs)

    def racing_write(fn, *args, **kwargs):
        return real_write(lambda cur: fn(Racing(cur)), *args, **kwargs)

    store.write = racing_write
    try:
        got = next_task(store, "q", "ann", False)
    finally:
        store.write = real_write
    assert raced == [True]
    assert got.id == 2
    assert sorted(row[1:3] for row in store.query("SELECT * FROM claims")) == [(1, "bob"), (2, "ann")]


# -- undo and progress -------------------------------------------------------------

def test_undo_reopens_the_sessions_latest_current_answer_and_nothing_when_there_is_none(store):
    assert previous_answer(store, "q", "ann") is None
    for task_id in (1, 2, 3):
        add_task(store, task_id, {"n": task_id}, media_id=f"m{task_id}")
    first = save_annotation(store, get_task(store, 1), "accept", "ann", timestamp=10.0)
    save_annotation(store, get_task(store, 2), "accept", "bob", timestamp=20.0)
    add_task(store, 4, {"n": 4}, dataset="other")
    save_annotation(store, get_task(store, 4), "accept", "ann", timestamp=30.0)
    got = previous_answer(store, "q", "ann")
    assert got == Answered(first, get_task(store, 1), json.loads(annotations(store)[0][10]), 10.0)
    assert previous_answer(store, "q", "ann", before=10.0) is None
    assert previous_answer(store, "q", "cy") is None
    # An answer whose task is gone from the database cannot be reopened.
    store.write(lambda cur: cur.execute("DELETE FROM tasks WHERE id = 1"))
    assert previous_answer(store, "q", "ann") is None


def test_progress_counts_the_datasets_tasks_those_answered_and_the_sessions_current_answers(store):
    for task_id in (1, 2, 3, 4, 5):
        add_task(store, task_id, {"n": task_id})
    add_task(store, 6, {"n": 6}, dataset="other")
    assert progress(store, "q", "ann") == Progress(5, 0, 0)
    one = save_annotation(store, get_task(store, 1), "accept", "ann")
    save_annotation(store, get_task(store, 1), "reject", "ann", supersedes=one)   # a correction
    save_annotation(store, get_task(store, 2), "accept", "ann")
    save_annotation(store, get_task(store, 3), "accept", "bob")
    save_annotation(store, get_task(store, 6), "accept", "ann")
    assert progress(store, "q", "ann") == Progress(5, 3, 2)
    assert progress(store, "q", "bob") == Progress(5, 3, 1)
    assert progress(store, "other", "ann") == Progress(1, 1, 1)


def test_a_reload_returns_the_held_task_even_when_a_lower_one_has_come_free(store):
    for task_id in (1, 2, 3):
        add_task(store, task_id, {"n": task_id})
    assert next_task(store, "q", "bob", False).id == 1
    assert next_task(store, "q", "ann", False).id == 2
    # bob leaves: his claim on task 1 grows old, and task 1 is free for anyone new.
    store.write(lambda cur: cur.execute("UPDATE claims SET claimed = ? WHERE session = 'bob'",
                                        [time.time() - CLAIM_SECONDS - 60]))
    assert next_task(store, "q", "ann", False).id == 2     # ann's page still shows her task
    assert next_task(store, "q", "cy", False).id == 1


# -- settings ----------------------------------------------------------------------

def test_earmark_json_is_read_as_utf8_whatever_the_locale(tmp_path):
    """A server started with LANG=C still reads the labels and names as written."""
    import locale

    from earmark.settings import load_config
    config = tmp_path / "earmark.json"
    config.write_bytes('{"label": "café"}'.encode("utf-8"))
    old = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C")
        assert load_config(config) == {"label": "café"}
    finally:
        locale.setlocale(locale.LC_CTYPE, old)


def test_a_model_target_is_split_at_its_first_colon_as_it_is_imported(tmp_path, monkeypatch):
    """`module:function` is split at the first colon when imported, so a target that
    starts with one names no module, whatever follows."""
    from earmark.settings import SettingsError, configured_models
    where = tmp_path / "earmark.json"
    monkeypatch.setenv("EARMARK_CONFIG", str(where))
    with pytest.raises(SettingsError) as err:
        configured_models({"models": {"VAD": ":team.vad:detect"}})
    assert str(err.value) == f'{where}: models.VAD: give "module:function", not ":team.vad:detect"'
    assert configured_models({"models": {"VAD": "team.vad:detect:fast"}}) == {"VAD": "team.vad:detect:fast"}
