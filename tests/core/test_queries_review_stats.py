"""The queries of Review, Statistics and datasets (earmark.db.queries) against a
small store built here, whose answers are worked out by hand:

dataset "d", four tasks (a.wav a window 0-4 s, b.wav a window 10-13 s, c.wav,
d.wav; no media, so only the windows count as audio), and dataset "other":
- ann accepts a.wav with SPEECH 0-1.5 and NOISE 2-2.25 on 2 March, then corrects
  it to SPEECH 0-2 (the current version); rejects b.wav with SPEECH 10-10.5;
- bob accepts a.wav with SPEECH 0.5-1 and ignores c.wav, on 5 March;
- carol accepts the task of "other" with MUSIC 0-3 and a region without a label 3-4.
"""

from __future__ import annotations

import datetime as dt

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.db.queries import datasets as dq
from earmark.db.queries.review import (ReviewFilter, agreement_answer_rows, agreement_overlap_rows,
                                       annotation_history, annotation_keys, annotations_of_task, annotators,
                                       count_annotations, labels_in_use, review_table)
from earmark.db.queries.statistics import (annotations_per_hour, count_tasks, dataset_stats, dataset_version,
                                           label_totals, nice_bins, progress_by_annotator, region_durations,
                                           tasks_done)
from tests.core.crafted import load_tasks

MARCH_2 = dt.datetime(2026, 3, 2, 10, 15).timestamp()   # local time, as the filter bar's dates
MARCH_5 = dt.datetime(2026, 3, 5, 16, 40).timestamp()


def regions(*spans: tuple[str | None, float, float]) -> dict:
    return {"audio_spans": [{"id": f"r{i}", "start": s, "end": e, "label": label}
                            for i, (label, s, e) in enumerate(spans)]}


def task(file: str, segment: tuple[float, float] | None = None) -> dict:
    t = {"audio": f"https://example.org/{file}", "file": file, "meta": {"duration": 20.0}}
    if segment:
        t["segment"] = {"start": segment[0], "end": segment[1]}
    return t


@pytest.fixture
def small(store, tmp_path):
    a, b, c, _d = load_tasks(store, tmp_path, [task("a.wav", (0.0, 4.0)), task("b.wav", (10.0, 13.0)),
                                               task("c.wav"), task("d.wav")])
    (x,) = load_tasks(store, tmp_path, [task("x.wav", (0.0, 5.0))], dataset="other", name="other")

    def answer(task_id: int, answer: str, who: str, when: float, edits: dict | None = None,
               supersedes: int | None = None) -> int:
        return save_annotation(store, get_task(store, task_id), answer, who, edits=edits or {},
                               timestamp=when, supersedes=supersedes)
    ids = {}
    ids["ann_a_first"] = answer(a, "accept", "ann", MARCH_2, regions(("SPEECH", 0.0, 1.5), ("NOISE", 2.0, 2.25)))
    ids["ann_a"] = answer(a, "accept", "ann", MARCH_2 + 60, regions(("SPEECH", 0.0, 2.0)),
                          supersedes=ids["ann_a_first"])
    ids["ann_b"] = answer(b, "reject", "ann", MARCH_2 + 120, regions(("SPEECH", 10.0, 10.5)))
    ids["bob_a"] = answer(a, "accept", "bob", MARCH_5, regions(("SPEECH", 0.5, 1.0)))
    ids["bob_c"] = answer(c, "ignore", "bob", MARCH_5 + 30)
    ids["carol_x"] = answer(x, "accept", "carol", MARCH_5, regions(("MUSIC", 0.0, 3.0), (None, 3.0, 4.0)))
    return store, {"a": a, "b": b, "c": c, "x": x}, ids


# -- statistics ----------------------------------------------------------------
def test_dataset_stats_counts_current_versions_and_labelled_seconds(small):
    store, _, _ = small
    assert dataset_stats(store, "d") == {
        "tasks": 4, "answered": 4, "answers": {"accept": 2, "ignore": 1, "reject": 1},
        "labels": {"SPEECH": {"regions": 3, "seconds": 3.0}},   # NOISE only in the corrected version
        "audio_seconds": 7.0}
    every = dataset_stats(store)
    assert (every["tasks"], every["answered"], every["audio_seconds"]) == (5, 5, 12.0)
    assert every["labels"] == {"": {"regions": 1, "seconds": 1.0}, "MUSIC": {"regions": 1, "seconds": 3.0},
                               "SPEECH": {"regions": 3, "seconds": 3.0}}


def test_label_totals_and_region_durations_per_label(small):
    store, _, _ = small
    totals = label_totals(store, "d")
    assert totals.to_dict("records") == [{"label": "SPEECH", "regions": 3, "seconds": 3.0, "mean_seconds": 1.0}]
    bins = region_durations(store, "d")
    assert bins.groupby("label")["regions"].sum().to_dict() == {"SPEECH": 3}
    assert bins["upto"].max() == 2.0     # the longest region closes the last bin


@pytest.mark.parametrize("low,high,bins", [
    (0.5, 2.0, (0.5, 0.1, 15)),           # from the shortest, not from 0
    (0.25, 2.0, (0.2, 0.1, 18)),          # the first bin starts at a multiple of the width
    (5.2, 5.9, (5.2, 0.05, 14)),          # long regions only: no empty bins from 0 to 5 s
    (0.5, 6.1, (0.5, 0.5, 12)),
    (0.1, 3600.0, (0.0, 200.0, 18)),
    (1.5, 1.5, (0.7, 0.1, 16)),           # one length: bins over half of it either side
    (0.0, 0.0, (0.0, 0.001, 5)),
])
def test_nice_bins_cover_the_lengths_there_are(low, high, bins):
    start, width, count = nice_bins(low, high)
    assert (start, width, count) == pytest.approx(bins)
    assert start <= low and high <= start + count * width + 1e-9 and count <= 20


def test_region_durations_bin_from_the_shortest_to_the_longest(store, tmp_path):
    (t,) = load_tasks(store, tmp_path, [task("long.wav")])
    save_annotation(store, get_task(store, t), "accept", "eve",
                    edits=regions(("A", 0.0, 5.2), ("A", 6.0, 11.9), ("B", 12.0, 17.5)))
    bins = region_durations(store, "d")
    assert bins[["seconds", "upto", "label", "regions"]].values.tolist() == [
        [5.2, 5.25, "A", 1], [5.5, 5.55, "B", 1], [5.85, 5.9, "A", 1]]   # 5.9 closes the last bin
    assert region_durations(store, "other").empty


def test_progress_per_annotator_counts_answers_of_current_versions(small):
    store, _, _ = small
    progress = progress_by_annotator(store, "d").set_index("annotator")
    assert progress[["answered", "accept", "reject", "ignore", "skipped"]].to_dict("index") == {
        "ann": {"answered": 2, "accept": 1, "reject": 1, "ignore": 0, "skipped": 0},
        "bob": {"answered": 2, "accept": 1, "reject": 0, "ignore": 1, "skipped": 0}}


def test_annotations_per_hour_count_current_answers(small):
    store, _, _ = small
    pace = annotations_per_hour(store, "d")
    got = [(row.hour.strftime("%Y-%m-%d %H"), row.annotator, row.annotations) for row in pace.itertuples()]
    hour = [dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H") for t in (MARCH_2, MARCH_5)]
    assert got == [(hour[0], "ann", 2), (hour[1], "bob", 2)]     # ann's replaced first version of a.wav apart


def test_a_task_undone_and_answered_again_counts_once_per_hour(store, tmp_path):
    tasks = load_tasks(store, tmp_path, [task(f"{n}.wav") for n in "abc"])
    first = save_annotation(store, get_task(store, tasks[0]), "accept", "eve", edits={}, timestamp=MARCH_2)
    save_annotation(store, get_task(store, tasks[1]), "accept", "eve", edits={}, timestamp=MARCH_2 + 10)
    # undo the first answer, answer it again: it replaces the first version
    save_annotation(store, get_task(store, tasks[0]), "reject", "eve", edits={}, timestamp=MARCH_2 + 20,
                    supersedes=first)
    save_annotation(store, get_task(store, tasks[2]), "accept", "eve", edits={}, timestamp=MARCH_2 + 30)
    pace = annotations_per_hour(store, "d")
    assert pace["annotations"].tolist() == [3] and pace["annotator"].tolist() == ["eve"]



def test_task_counts_and_the_version_that_keys_the_statistics_cache(small):
    store, tasks, ids = small
    assert (count_tasks(store, "d"), tasks_done(store, "d"), count_tasks(store, "other")) == (4, 3, 1)
    before = dataset_version(store, "d")
    assert before == (ids["bob_c"], 5, 4)
    save_annotation(store, get_task(store, tasks["b"]), "accept", "bob", edits={})
    assert dataset_version(store, "d")[1:] == (6, 4) and dataset_version(store, "d") != before
    assert dataset_version(store, "other") == (ids["carol_x"], 1, 1)


# -- review --------------------------------------------------------------------
@pytest.mark.parametrize("filt,files", [
    (dict(), ["c.wav", "a.wav", "b.wav", "a.wav"]),                  # newest first, current versions
    (dict(sessions=["bob"]), ["c.wav", "a.wav"]),
    (dict(answers=["accept"]), ["a.wav", "a.wav"]),
    (dict(sessions=["ann"], answers=["reject"]), ["b.wav"]),
    (dict(labels=["SPEECH"]), ["a.wav", "b.wav", "a.wav"]),
    (dict(labels=["NOISE"]), []),                                    # only the corrected version had it
    (dict(file="B.W"), ["b.wav"]),                                   # a substring, any case
    (dict(since=dt.date(2026, 3, 5)), ["c.wav", "a.wav"]),
    (dict(until=dt.date(2026, 3, 2)), ["b.wav", "a.wav"]),
    (dict(since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 4)), []),
])
def test_the_review_filter_by_annotator_answer_label_file_and_date(small, filt, files):
    store, _, _ = small
    f = ReviewFilter(dataset="d", **filt)
    frame, count = review_table(store, f)
    assert frame["file"].tolist() == files
    assert count == count_annotations(store, f) == len(files)


def test_the_review_table_rows_and_its_limit(small):
    store, tasks, ids = small
    frame, count = review_table(store, ReviewFilter(dataset="d"), limit=3)
    assert count == 4 and len(frame) == 3
    oldest_shown = frame.drop(columns=["saved"]).iloc[2].to_dict()
    assert oldest_shown == {"id": ids["ann_b"], "dataset": "d", "annotator": "ann", "answer": "reject", "file": "b.wav",
                     "skipped_because": "", "regions": 1, "labels": "SPEECH", "channel": "", "corrected": False,
                     "task_id": tasks["b"]}
    bob = frame.set_index("id").loc[ids["bob_a"]]
    assert (bob["corrected"], bob["regions"], bob["labels"]) == (False, 1, "SPEECH")
    assert frame["id"].tolist() == [ids["bob_c"], ids["bob_a"], ids["ann_b"]]
    assert review_table(store, ReviewFilter())[1] == 5       # no dataset: all of them
    (mine,) = review_table(store, ReviewFilter(dataset="d", sessions=["ann"], answers=["accept"]))[0] \
        .itertuples()
    # ann answered a.wav again herself (undo, then a new answer): not a correction
    assert (mine.id, mine.corrected, mine.labels) == (ids["ann_a"], False, "SPEECH")


def test_corrected_means_changed_by_a_reviewer_or_another_annotator(small):
    store, tasks, ids = small

    def corrected() -> dict[int, bool]:
        frame, _ = review_table(store, ReviewFilter(dataset="d"))
        return dict(zip(frame["id"], frame["corrected"]))
    assert set(corrected().values()) == {False}       # ann's own second answer of a.wav included
    # a reviewer corrects bob's c.wav in Review: saved under bob, marked by the reviewer
    reviewed = save_annotation(store, get_task(store, tasks["c"]), "accept", "bob",
                               edits={"_reviewed_by": "rita"}, supersedes=ids["bob_c"])
    # another annotator's version replaces ann's b.wav
    other = save_annotation(store, get_task(store, tasks["b"]), "accept", "bob", edits={},
                            supersedes=ids["ann_b"])
    # ann answers her corrected a.wav again: the chain keeps its earlier versions, none by anyone else
    again = save_annotation(store, get_task(store, tasks["a"]), "reject", "ann", edits={}, supersedes=ids["ann_a"])
    assert corrected() == {reviewed: True, other: True, again: False, ids["bob_a"]: False}
    # a reviewed version answered again by its annotator stays corrected: a reviewer changed it once
    after = save_annotation(store, get_task(store, tasks["c"]), "ignore", "bob", edits={}, supersedes=reviewed)
    assert corrected()[after] is True


def test_an_annotations_history_keys_and_the_task_of_every_annotator(small):
    store, tasks, ids = small
    history = annotation_history(store, ids["ann_a"])
    assert [v["id"] for v in history] == [ids["ann_a"], ids["ann_a_first"]]
    assert [[r["label"] for r in v["annotation"]["audio_spans"]] for v in history] == [["SPEECH"], ["SPEECH", "NOISE"]]
    assert history[1]["created"] == MARCH_2
    assert annotation_history(store, 10_000) == []
    assert annotation_keys(store, ids["bob_c"]) == {"task_id": tasks["c"], "session": "bob", "dataset": "d"}
    assert annotation_keys(store, 10_000) is None
    others = annotations_of_task(store, tasks["a"])
    assert [(who, a["audio_spans"][0]["end"]) for who, a in others] == [("ann", 2.0), ("bob", 1.0)]


def test_the_filter_bars_choices(small):
    store, _, _ = small
    assert annotators(store, "d") == ["ann", "bob"]
    assert labels_in_use(store, "d") == ["NOISE", "SPEECH"]     # every version's
    assert (annotators(store, "other"), labels_in_use(store, "other")) == (["carol"], ["MUSIC"])  # not None


def test_agreement_rows_of_the_one_shared_task(small):
    store, _, _ = small
    # a.wav: both accepted; ann's current SPEECH 0-2 against bob's 0.5-1
    assert agreement_answer_rows(store, "d") == [("ann", "bob", 1, 1, 1, 1, 1)]
    assert agreement_overlap_rows(store, "d") == [("ann", "bob", "SPEECH", 2.0, 0.5, 0.5)]
    assert agreement_answer_rows(store, "other") == [] and agreement_overlap_rows(store, "other") == []


# -- datasets ------------------------------------------------------------------
def test_dataset_rows_are_created_updated_and_dropped(small):
    store, _, _ = small
    assert dq.has_datasets(store)
    assert [row["name"] for row in dq.dataset_rows(store)] == ["d", "other"]
    checked: list[str] = []
    dq.save_dataset(store, "new", None, ["A"], {"audio_loop": True}, default_view="audio",
                    check_new_name=checked.append)
    row = dq.dataset_row(store, "new")
    assert (row["view"], row["labels"], row["settings"], checked) == ("audio", ["A"], {"audio_loop": True}, ["new"])
    dq.save_dataset(store, "new", "transcript", None, None, default_view="audio", check_new_name=checked.append)
    row = dq.dataset_row(store, "new")
    assert (row["view"], row["labels"], row["settings"], checked) == ("transcript", ["A"], {"audio_loop": True},
                                                                       ["new"])   # not checked again
    dq.save_dataset(store, "made", "alignment", None, None, default_view="audio", check_new_name=checked.append)
    row = dq.dataset_row(store, "made")
    assert (row["view"], row["labels"], row["settings"], checked) == ("alignment", [], {}, ["new", "made"])
    assert row["created"] > MARCH_5
    dq.drop_dataset(store, "made")

    def refuse(name: str) -> None:
        raise ValueError(f"no {name}")
    with pytest.raises(ValueError, match="no bad"):
        dq.save_dataset(store, "bad", "audio", None, None, default_view="audio", check_new_name=refuse)
    assert dq.dataset_row(store, "bad") is None
    assert dq.add_labels(store, "new", ["A", "B", "C"]) == ["B", "C"]
    assert dq.dataset_row(store, "new")["labels"] == ["A", "B", "C"]
    assert dq.drop_dataset(store, "d") is True and dq.drop_dataset(store, "d") is False
    assert (count_tasks(store, "d"), dataset_stats(store, "d")["answered"], labels_in_use(store, "d")) == (0, 0, [])
    assert dataset_stats(store, "other")["answered"] == 1
    assert [row["name"] for row in dq.dataset_rows(store)] == ["new", "other"]


def test_an_empty_store_has_no_dataset(store):
    assert not dq.has_datasets(store) and dq.dataset_rows(store) == [] and dq.dataset_row(store, "d") is None
