"""Agreement against answers worked out by hand, for both paths: earmark.agreement's
definitions (Python) and the Statistics page's SQL (earmark.agreement.agreement).

Intervals of unequal length on purpose: when both sides label as many seconds,
F1, precision and recall are one number and a formula that mixes them up passes.
"""

from __future__ import annotations

import json

import pytest

from earmark.agreement import cohen_kappa, label_f1, merge_intervals, overlap
from earmark.annotations import get_task, save_annotation
from earmark.loading.loader import load_sources
from earmark.agreement import agreement

# Worked by hand. Annotator A and annotator B, three tasks:
#   task 1  SPEECH  A 0-3          B 2-4            shared 1 s; A 3 s, B 2 s
#           NOISE   A 5-6 (ch 0)   B 5-6 (ch 1)     other channels: shared 0; A 1 s, B 1 s
#   task 2  SPEECH  A 0-1 + 0.5-2  B 1-2            A's merge to 0-2: shared 1 s; A 2 s, B 1 s
#           MUSIC   -              B 3-4            shared 0; A 0 s, B 1 s
#   task 3  (no regions)
# SPEECH over the tasks: shared 2, |A| 5, |B| 3. With B scored against A,
# precision P = 2/3, recall R = 2/5, F1 = 2PR / (P + R) = (8/15) / (16/15) = 0.5,
# the same as 2 * shared / (|A| + |B|) = 4 / 8. Not P (0.667), not R (0.4), and not the
# mean of the per-task F1s (0.4 and 2/3: 0.533).
REGIONS_A = {1: [(0.0, 3.0, "SPEECH", None), (5.0, 6.0, "NOISE", 0)],
             2: [(0.0, 1.0, "SPEECH", None), (0.5, 2.0, "SPEECH", None)],
             3: []}
REGIONS_B = {1: [(2.0, 4.0, "SPEECH", None), (5.0, 6.0, "NOISE", 1)],
             2: [(1.0, 2.0, "SPEECH", None), (3.0, 4.0, "MUSIC", None)],
             3: []}
F1 = {"MUSIC": 0.0, "NOISE": 0.0, "SPEECH": 0.5}
# Answers: A accept, accept, reject; B accept, reject, reject.
# Observed agreement 2/3; A accepts 2/3, B 1/3; chance (2/3)(1/3) + (1/3)(2/3) = 4/9;
# kappa = (2/3 - 4/9) / (1 - 4/9) = (2/9) / (5/9) = 0.4.
ANSWERS_A = {1: "accept", 2: "accept", 3: "reject"}
ANSWERS_B = {1: "accept", 2: "reject", 3: "reject"}
KAPPA = 0.4


def keyed(regions: dict) -> dict:
    out: dict = {}
    for task, spans in regions.items():
        for start, end, label, channel in spans:
            out.setdefault((task, label, channel), []).append((start, end))
    return out


def test_python_f1_is_2pr_over_p_plus_r_on_unequal_intervals():
    assert label_f1(keyed(REGIONS_A), keyed(REGIONS_B)) == pytest.approx(F1)
    assert label_f1(keyed(REGIONS_B), keyed(REGIONS_A)) == pytest.approx(F1)    # symmetric


def test_python_f1_of_one_pair_of_intervals():
    # A 0-3, B 2-4: overlap 1 s; precision 1/2, recall 1/3; F1 = (1/3) / (5/6) = 0.4
    assert label_f1({(1, "X", None): [(0.0, 3.0)]}, {(1, "X", None): [(2.0, 4.0)]}) == {"X": pytest.approx(0.4)}
    # B inside A: precision 1, recall 1/4; F1 = (1/2) / (5/4) = 0.4
    assert label_f1({(1, "X", None): [(0.0, 4.0)]}, {(1, "X", None): [(1.0, 2.0)]}) == {"X": pytest.approx(0.4)}


def test_merging_overlap_and_kappa_by_hand():
    assert merge_intervals([(0.5, 2.0), (0.0, 1.0), (2.0, 2.5), (4.0, 5.0)]) == [(0.0, 2.5), (4.0, 5.0)]
    assert overlap([(0.0, 3.0)], [(2.0, 4.0)]) == pytest.approx(1.0)
    assert overlap([(0.0, 1.0), (2.0, 3.0)], [(0.5, 2.5)]) == pytest.approx(1.0)
    assert overlap([(0.0, 1.0)], [(1.0, 2.0)]) == 0.0      # touching is not overlapping
    tasks = sorted(ANSWERS_A)
    assert cohen_kappa([ANSWERS_A[t] for t in tasks], [ANSWERS_B[t] for t in tasks]) == pytest.approx(KAPPA)


def spans_of(regions: list[tuple], who: str) -> list[dict]:
    out = []
    for i, (start, end, label, channel) in enumerate(regions):
        span = {"id": f"{who}{i}", "start": start, "end": end, "label": label}
        if channel is not None:
            span["channel"] = channel
        out.append(span)
    return out


def test_sql_agreement_gives_the_hand_computed_answers(store, tmp_path):
    source = tmp_path / "tasks.jsonl"
    source.write_text("".join(json.dumps({"audio": f"https://example.org/t{n}.wav", "meta": {"duration": 10.0}})
                              + "\n" for n in (1, 2, 3)), encoding="utf-8")
    report = load_sources(store, "d", [source])
    assert report.failures == [] and report.added == 3
    task_of = dict(zip((1, 2, 3), report.task_ids))
    for n, task_id in task_of.items():
        task = get_task(store, task_id)
        first_b = None
        if n == 1:
            # B's first version labelled 0-4; corrected (a new version) to 2-4: the old one must not count
            first_b = save_annotation(store, task, "reject", "bob",
                                      edits={"audio_spans": spans_of([(0.0, 4.0, "SPEECH", None)], "old")})
        save_annotation(store, task, ANSWERS_A[n], "ann", edits={"audio_spans": spans_of(REGIONS_A[n], "a")})
        save_annotation(store, task, ANSWERS_B[n], "bob", edits={"audio_spans": spans_of(REGIONS_B[n], "b")},
                        supersedes=first_b)
    # a third annotator on task 3 only: one more pair per annotator, one shared task each
    save_annotation(store, get_task(store, task_of[3]), "accept", "cat",
                    edits={"audio_spans": spans_of([(0.0, 2.0, "SPEECH", None)], "c")})
    table = agreement(store, "d")
    rows = {(r["annotator A"], r["annotator B"]): r for r in table.to_dict("records")}
    assert sorted(rows) == [("ann", "bob"), ("ann", "cat"), ("bob", "cat")]
    pair = rows[("ann", "bob")]
    assert pair["shared tasks"] == 3
    assert pair["kappa (accept/reject)"] == KAPPA
    assert {k: pair[k] for k in ("F1 MUSIC", "F1 NOISE", "F1 SPEECH")} == {f"F1 {k}": v for k, v in F1.items()}
    # ann and cat share task 3 only: ann has no SPEECH there, cat 2 s: F1 0
    assert rows[("ann", "cat")]["shared tasks"] == 1 and rows[("ann", "cat")]["F1 SPEECH"] == 0.0
