"""The Annotate page, with the annotation card's values simulated through session_state.

The card (components/waveform/card.py, frontend src/card.ts) draws the task in
the browser: the header line, the caption, the answer buttons, the notices
("Accepted empty.wav.", "Reopened ..."), the text panel that turns a token
selection into character offsets. Here the page is checked for what it gives
the card (`ann_queue`, `ann_queue_items`, `ann_previous`, the card's args) and
for what it commits of the answers the card's value carries.
"""

from __future__ import annotations

import json

from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.datasets import ensure_dataset

REGION = {"id": "r1", "start": 0.25, "end": 0.75, "label": "SPK1", "channel": None}   # empty.wav is 1 s
STORED = {"id": "r1", "start": 0.25, "end": 0.75, "label": "SPK1"}   # REGION as the task format keeps it


def current(store) -> list[tuple]:
    return store.query(f"SELECT task_id, answer, session FROM ({CURRENT_ANNOTATIONS}) a ORDER BY task_id")


def test_asks_for_a_name_then_keeps_it_in_the_url(talks, page, card):
    at = page("annotate", dataset="talks")
    at.run()
    assert not at.exception
    assert not at.get("component_instance")            # no card before a name is given
    at.text_input(key="annotator_pick").input("maria").run()
    assert at.query_params["session"] == "maria"
    # the first task in file order (empty.wav sorts before the trn* files), with its duration:
    # the card draws "empty.wav · 1.0 s" from these
    first = at.session_state["ann_queue_items"][0]
    assert (first["title"], first["details"]) == ("empty.wav", ["1.0 s"])
    assert at.session_state["ann_queue"] == talks[1]
    args = card.args(at)
    assert (args["dataset"], args["session"]) == ("talks", "maria")
    assert [q["task_id"] for q in args["queue"]] == [str(i) for i in talks[1]]


def test_accept_then_reject_each_with_its_own_regions_committed_once(talks, page, card):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["ann_queue"][0] == ids[0]
    c = card()
    c.send(at, c.answer(ids[0], "accept", regions=[REGION]))
    saved = store.query(f"SELECT task_id, answer, session, annotation FROM ({CURRENT_ANNOTATIONS}) a")
    assert [(t, a, s) for t, a, s, _ in saved] == [(ids[0], "accept", "ann")]
    assert json.loads(saved[0][3])["audio_spans"] == [STORED]
    assert at.session_state["ann_queue"] == ids[1:]   # the answered task leaves the queue
    assert card.args(at)["acked"] == {"c1": 1}
    # the second value still carries the first answer (not acked yet in the browser):
    # only the new one is committed, with its own regions
    c.send(at, c.answer(ids[1], "reject", regions=[dict(REGION, id="r2", label="SPK2")]))
    rows = store.query("SELECT task_id, answer, annotation FROM annotations ORDER BY id")
    assert [(t, a) for t, a, _ in rows] == [(ids[0], "accept"), (ids[1], "reject")]
    assert [r["id"] for r in json.loads(rows[1][2])["audio_spans"]] == ["r2"]
    assert json.loads(rows[0][2])["audio_spans"] == [STORED]
    assert at.session_state["ann_queue"] == ids[2:]
    assert card.args(at)["acked"] == {"c1": 2}
    # the same value seen again on a later rerun is not committed twice
    at.run()
    c.send(at, c.value("resend"))
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 2
    assert store.query_one("SELECT count(*) FROM answer_receipts")[0] == 2
    assert card.args(at)["progress"] == {"tasks": 5, "done": 2, "session_done": 2}


def test_the_same_value_twice_commits_once_and_repeated_entries_only_the_new_ones(talks, page, card):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    c = card()
    c.entry(ids[0], "accept")
    value = c.answer(ids[1], "reject")
    c.send(at, value)
    c.send(at, value)                                   # the same value, run twice
    assert store.query("SELECT task_id, answer FROM annotations ORDER BY id") == [
        (ids[0], "accept"), (ids[1], "reject")]
    # acknowledged: the card drops them; a later value carries only the new answer
    assert c.ack(at) == 2 and c.log == []
    c.send(at, c.answer(ids[2], "ignore"))
    # the tab reloaded before it saw the ack: its stored log sends all three again, none is new
    c2 = card()
    for task_id, answer in ((ids[0], "accept"), (ids[1], "reject"), (ids[2], "ignore")):
        c2.entry(task_id, answer)
    c2.send(at, c2.value("resend"))
    assert store.query("SELECT task_id, answer FROM annotations ORDER BY id") == [
        (ids[0], "accept"), (ids[1], "reject"), (ids[2], "ignore")]
    assert store.query("SELECT client, seq, task_id FROM answer_receipts ORDER BY seq") == [
        ("c1", 1, ids[0]), ("c1", 2, ids[1]), ("c1", 3, ids[2])]


def test_refused_entries_get_a_receipt_and_later_entries_still_commit(talks, page, card, tmp_path, corpus):
    from earmark.loading.loader import load_sources
    store, ids = talks
    [other_task] = load_sources(store, "other", [corpus / "diarization" / "trn01.wav"], labels=["A"]).task_ids
    (tmp_path / "earmark.json").write_text(json.dumps({"allowed_sessions": ["ann", "bob"]}))
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    c = card()
    c.entry(other_task, "accept")                       # a task of another dataset
    c.entry(ids[0], "accept", dataset="nowhere")        # a dataset that does not exist
    c.entry(ids[0], "accept", session="mallory")        # not an annotator of this server
    c.entry(ids[0], "maybe")                            # not an answer
    c.send(at, c.answer(ids[1], "reject"))
    assert current(store) == [(ids[1], "reject", "ann")]
    rows = store.query("SELECT session, seq, task_id, annotation_id IS NULL, problem FROM answer_receipts "
                       "ORDER BY seq")
    assert [r[:4] for r in rows] == [("ann", 1, other_task, True), ("ann", 2, ids[0], True),
                                     ("mallory", 3, ids[0], True), ("ann", 4, ids[0], True),
                                     ("ann", 5, ids[1], False)]
    assert rows[0][4] == f"task {other_task} is not a task of 'talks'"
    assert rows[1][4] == "there is no dataset 'nowhere'"
    assert rows[2][4] == "'mallory' is not an annotator of this server"
    assert rows[3][4].startswith("'maybe' is not an answer")
    args = card.args(at)
    assert args["acked"] == {"c1": 5}                   # refused ones are acknowledged too: never re-sent
    # the card names the refused answers (mallory's receipt is hers, but the tab's all the same)
    assert [(r["client"], r["seq"], r["task_id"], r["reason"]) for r in args["refused"]] == [
        ("c1", seq, task_id, problem) for _, seq, task_id, _, problem in rows[:4]]
    c.send(at, c.value("resend"))
    assert store.query_one("SELECT count(*) FROM answer_receipts")[0] == 5
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 1


def test_undo_reopens_with_edits_and_a_new_answer_replaces_the_old(talks, page, card):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert at.session_state["ann_previous"] is None     # nothing to undo yet
    c = card()
    c.send(at, c.answer(ids[0], "accept", regions=[REGION]))
    # what undo reopens after a reload: the task with its answer and regions (card time)
    reloaded = page("annotate", dataset="talks", session="ann")
    reloaded.run()
    previous = reloaded.session_state["ann_previous"]
    assert (previous["task_id"], previous["answer"]) == (str(ids[0]), "accept")
    assert previous["regions"] == [REGION]
    assert card.args(reloaded)["previous"]["task_id"] == str(ids[0])
    # undo in the card, then answer again: a new entry on the same task supersedes the old
    moved = dict(REGION, start=0.5)
    c.send(at, c.answer(ids[0], "reject", regions=[moved]))
    now = store.query(f"SELECT id, task_id, answer, annotation FROM ({CURRENT_ANNOTATIONS}) a")
    assert [(t, a) for _, t, a, _ in now] == [(ids[0], "reject")]
    assert json.loads(now[0][3])["audio_spans"][0]["start"] == 0.5
    rows = store.query("SELECT id, answer, supersedes FROM annotations ORDER BY id")
    assert len(rows) == 2 and rows[1][2] == rows[0][0]  # history kept, the new one names the old
    assert at.session_state["ann_queue"][0] == ids[1]
    assert at.session_state["ann_previous"]["answer"] == "reject"
    assert at.session_state["ann_previous"]["regions"][0]["start"] == 0.5


def test_transcript_view_saves_the_text(talks, page, card):
    store, ids = talks
    ensure_dataset(store, "talks", view="transcript")
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert at.session_state["ann_queue_items"][0]["transcript"] == ""   # the card shows a text field
    assert card.args(at)["blocks"] == ["transcript"]
    c = card()
    c.send(at, c.answer(ids[0], "accept", transcript="hello there"))
    saved = json.loads(store.query_one("SELECT annotation FROM annotations")[0])
    assert saved["transcript"] == "hello there" and saved["_view_id"] == "transcript"


def test_alignment_links_a_text_span_to_a_region(talks, page, card):
    """The text panel (src/text_panel.ts, src/spans.ts; vitest) turns the selection of
    tokens 1-3 into characters 5-13; the page stores the span, the text and its tokens."""
    store, ids = talks
    ensure_dataset(store, "talks", view="alignment")
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    item = at.session_state["ann_queue_items"][0]
    assert (item["transcript"], item["text"], item["spans"]) == ("", None, [])
    assert card.args(at)["editable"] is True
    c = card()
    span = {"start": 5, "end": 13, "token_start": 1, "token_end": 3, "label": "SPK2", "audio_span_id": "r1"}
    c.send(at, c.answer(ids[0], "accept", regions=[REGION], transcript="well I do not know", spans=[span]))
    saved = json.loads(store.query_one("SELECT annotation FROM annotations")[0])
    assert saved["spans"] == [span]
    assert saved["text"][5:13] == "I do not"
    assert [t["text"] for t in saved["tokens"]] == ["well", "I", "do", "not", "know"]
    assert saved["audio_spans"] == [STORED]


def test_skip_records_the_reason(talks, page, card):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    c = card()
    c.send(at, c.skip(ids[0], "audio failed to load"))
    answer, doc = store.query_one("SELECT answer, annotation FROM annotations")
    assert answer == "ignore" and json.loads(doc)["_skip_reason"] == "audio failed to load"
    assert ids[0] not in at.session_state["ann_queue"]


def test_allowed_annotators_and_remapped_answer_keys(talks, page, tmp_path, card):
    """The keys are read in the browser (src/keys.ts; vitest keys.test.ts): the page passes the keymap."""
    (tmp_path / "earmark.json").write_text(json.dumps({
        "allowed_sessions": ["ann", "bob"], "keymap": {"accept": "k", "undo": "ctrl+z"}}))
    at = page("annotate", dataset="talks", session="mallory")
    at.run()
    assert any("not on the list" in e.value for e in at.error)
    assert at.selectbox(key="annotator_pick").options == ["ann", "bob"]
    assert not at.get("component_instance")
    at.selectbox(key="annotator_pick").set_value("bob").run()
    assert at.query_params["session"] == "bob"
    assert card.args(at)["keymap"] == {"accept": "k", "undo": "ctrl+z"}


def test_shared_queue_keeps_two_annotators_apart(talks, page, card, monkeypatch):
    store, ids = talks
    monkeypatch.setattr("earmark.web.annotate.QUEUE_SIZE", 2)
    a = page("annotate", dataset="talks", session="ann")
    b = page("annotate", dataset="talks", session="bob")
    a.run()
    b.run()
    assert a.session_state["ann_queue"] == ids[0:2] and b.session_state["ann_queue"] == ids[2:4]
    assert not a.session_state["ann_exhausted"] and not b.session_state["ann_exhausted"]
    # ann answers her first: her queue moves on to the next free task, never one of bob's
    ca = card(session="ann")
    ca.send(a, ca.answer(ids[0], "accept"))
    assert a.session_state["ann_queue"] == [ids[1], ids[4]]
    b.run()
    assert b.session_state["ann_queue"] == ids[2:4]
    # bob answers his: nothing of ann's comes to him
    cb = card(session="bob", client="c2")
    cb.send(b, cb.answer(ids[2], "reject"))
    assert b.session_state["ann_queue"] == [ids[3]] and b.session_state["ann_exhausted"]
    assert current(store) == [(ids[0], "accept", "ann"), (ids[2], "reject", "bob")]


def test_segment_and_channel_tasks_work_in_clip_time_and_store_file_time(tmp_path, monkeypatch, corpus,
                                                                        page, card):
    from earmark.loading.loader import load_sources
    from earmark.loading.longform import LongformOptions
    from earmark.loading.segment import parse_segment_spec
    from earmark.db.store import open_store
    db = tmp_path / "seg.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    store = open_store(db)
    load_sources(store, "seg", [corpus / "diarization" / "trn01.wav"], labels=["SPEECH"],
                 longform=LongformOptions(segment=parse_segment_spec("window:10")))
    load_sources(store, "ch", [corpus / "formats" / "bobby_16bit_16khz_2ch.wav"], labels=["SPEECH"],
                 longform=LongformOptions(split_channels=True))
    at = page("annotate", dataset="seg", session="ann")
    at.run()
    first, second = at.session_state["ann_queue"][:2]
    assert first != second
    item = at.session_state["ann_queue_items"][1]
    assert "segment 10.00–20.00 s" in item["details"]
    # the card works in the clip's time: 9-21 s of the file (1 s of context)
    assert item["segment"] == {"start": 1.0, "end": 11.0}
    c = card(dataset="seg")
    c.entry(first, "accept")                                        # segment 0-10 s
    c.send(at, c.answer(second, "accept", regions=[{"id": "r", "start": 2.0, "end": 3.5,
                                                    "label": "SPEECH", "channel": None}]))
    stored = json.loads(store.query_one("SELECT annotation FROM annotations WHERE task_id = ?", [second])[0])
    assert stored["audio_spans"] == [{"id": "r", "start": 11.0, "end": 12.5, "label": "SPEECH"}]
    # and back in card time for undo
    assert at.session_state["ann_previous"]["task_id"] == str(second)
    assert at.session_state["ann_previous"]["regions"] == [
        {"id": "r", "start": 2.0, "end": 3.5, "label": "SPEECH", "channel": None}]

    at = page("annotate", dataset="ch", session="ann")
    at.run()
    left, right = at.session_state["ann_queue"]
    assert "channel 2" in at.session_state["ann_queue_items"][1]["details"]
    c = card(dataset="ch", client="c2")
    c.entry(left, "accept")                                         # channel 1 of 2
    c.send(at, c.answer(right, "accept", regions=[{"id": "c", "start": 0.1, "end": 0.4,
                                                   "label": "SPEECH", "channel": None}]))
    stored = json.loads(store.query_one("SELECT annotation FROM annotations WHERE task_id = ?", [right])[0])
    assert stored["audio_spans"] == [{"id": "c", "start": 0.1, "end": 0.4, "label": "SPEECH", "channel": 1}]
    # the clip holds only its channel: the card gets the region without one
    assert at.session_state["ann_previous"]["regions"] == [
        {"id": "c", "start": 0.1, "end": 0.4, "label": "SPEECH", "channel": None}]


def test_channel_0_is_stored_as_0_from_a_split_channel_task_and_from_lane_0(tmp_path, monkeypatch, corpus,
                                                                           page, card):
    """Channel 0 (falsy) is the first channel everywhere, never "all channels": on the
    split-channel task of channel 0, and for a region drawn on lane 0 of a stereo file."""
    from earmark.loading.loader import load_sources
    from earmark.loading.longform import LongformOptions
    from earmark.db.store import open_store
    db = tmp_path / "ch0.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    store = open_store(db)
    stereo = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    [left, _] = load_sources(store, "ch", [stereo], labels=["SPEECH"],
                             longform=LongformOptions(split_channels=True)).task_ids
    [whole] = load_sources(store, "both", [stereo], labels=["SPEECH"]).task_ids

    at = page("annotate", dataset="ch", session="ann")
    at.run()
    assert at.session_state["ann_queue"][0] == left
    assert "channel 1" in at.session_state["ann_queue_items"][0]["details"]
    c = card(dataset="ch")
    c.send(at, c.answer(left, "accept", regions=[{"id": "l", "start": 0.1, "end": 0.4,
                                                  "label": "SPEECH", "channel": None}]))

    at = page("annotate", dataset="both", session="ann")
    at.run()
    assert at.session_state["ann_queue"] == [whole]
    assert at.session_state["ann_queue_items"][0]["peaks_channels"] == 2   # two lanes
    regions = [{"id": "w0", "start": 0.2, "end": 0.5, "label": "SPEECH", "channel": 0},
               {"id": "w1", "start": 0.3, "end": 0.6, "label": "SPEECH", "channel": 1}]
    c = card(dataset="both", client="c2")
    c.send(at, c.answer(whole, "accept", regions=regions))

    stored = {t: json.loads(a)["audio_spans"] for t, a in store.query("SELECT task_id, annotation FROM annotations")}
    assert stored == {left: [{"id": "l", "start": 0.1, "end": 0.4, "label": "SPEECH", "channel": 0}],
                      whole: regions}
    assert store.query("SELECT span_id, channel FROM spans ORDER BY span_id") == [("l", 0), ("w0", 0), ("w1", 1)]


def test_an_alignment_task_with_its_own_text_and_spans_is_accepted_unchanged(talks, page, card):
    """A task that comes with `text` (and spans over it) but no `transcript`: the card's
    text field edits the text, so it starts with the text, and an answer that leaves it
    as it is keeps the text and the spans."""
    store, ids = talks
    ensure_dataset(store, "talks", view="alignment")
    task = json.loads(store.query_one("SELECT task FROM tasks WHERE id = ?", [ids[0]])[0])
    span = {"start": 5, "end": 13, "token_start": 1, "token_end": 3, "label": "SPK2"}
    task.update({"text": "well I do not know", "spans": [span]})
    store.write(lambda cur: cur.execute("UPDATE tasks SET task = ? WHERE id = ?", [json.dumps(task), ids[0]]))
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    item = at.session_state["ann_queue_items"][0]
    assert (item["transcript"], item["text"], item["spans"]) == ("well I do not know", "well I do not know", [span])
    c = card()
    # what the card sends for a task answered as shown: its text field and its spans
    c.send(at, c.answer(ids[0], "accept", transcript=item["transcript"], spans=item["spans"]))
    saved = store.query_one("SELECT annotation FROM annotations")
    assert saved is not None, store.query("SELECT problem FROM answer_receipts")
    saved = json.loads(saved[0])
    assert (saved["text"], saved["spans"]) == ("well I do not know", [span])


def test_answers_of_another_dataset_or_before_a_name_is_chosen_are_committed_all_the_same(talks, page, card,
                                                                                           corpus):
    """A tab's stored log may hold answers given on another dataset, or come back on a
    page that has no annotator yet: they belong to their own dataset and session."""
    from earmark.loading.loader import load_sources
    store, ids = talks
    [other_task] = load_sources(store, "other", [corpus / "diarization" / "trn01.wav"], labels=["A"]).task_ids
    at = page("annotate", dataset="talks")              # no session chosen yet
    c = card(dataset="other")
    c.entry(other_task, "accept")
    at.session_state["annotate_card"] = c.answer(ids[0], "reject", dataset="talks")
    at.run()
    assert not at.exception, at.exception
    assert not at.get("component_instance")
    assert current(store) == [(ids[0], "reject", "ann"), (other_task, "accept", "ann")]
    at.text_input(key="annotator_pick").input("ann").run()
    assert card.args(at)["acked"] == {"c1": 2} and at.session_state["ann_queue"] == ids[1:]
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 2
