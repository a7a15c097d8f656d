"""Agreement between annotators on the tasks they both answered.

- Regions: time-overlap F1 per label. Each annotator's regions of a label are
  merged into a set of time intervals per task; F1 = 2|A∩B| / (|A| + |B|),
  summed over tasks: 1.0 when they labelled exactly the same seconds.
- Answers: Cohen's kappa on accept/reject.

The Statistics page's table (`agreement`) applies the same definitions to sums
the store computes (`earmark.db.queries.review`); the tests check one against
the other.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from earmark.db.queries.review import agreement_answer_rows, agreement_overlap_rows
from earmark.db.store import Store

Interval = tuple[float, float]


def merge_intervals(intervals: list[Interval]) -> list[Interval]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def total(intervals: list[Interval]) -> float:
    return sum(e - s for s, e in intervals)


def overlap(a: list[Interval], b: list[Interval]) -> float:
    """Seconds covered by both merged interval lists."""
    i = j = 0
    shared = 0.0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            shared += end - start
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return shared


def label_f1(regions_a: dict, regions_b: dict) -> dict[str, float]:
    """F1 per label. Each argument maps (task, label, channel) to a list of intervals."""
    shared: defaultdict[str, float] = defaultdict(float)
    size_a: defaultdict[str, float] = defaultdict(float)
    size_b: defaultdict[str, float] = defaultdict(float)
    for key in set(regions_a) | set(regions_b):
        a = merge_intervals(regions_a.get(key, []))
        b = merge_intervals(regions_b.get(key, []))
        label = key[1]
        shared[label] += overlap(a, b)
        size_a[label] += total(a)
        size_b[label] += total(b)
    return {label: (2 * shared[label] / (size_a[label] + size_b[label])
                    if size_a[label] + size_b[label] else 1.0)
            for label in sorted(set(size_a) | set(size_b))}


def cohen_kappa(answers_a: list[str], answers_b: list[str]) -> float | None:
    """Kappa for paired answers; None when there are no pairs or chance agreement is total."""
    pairs = [(a, b) for a, b in zip(answers_a, answers_b)]
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    categories = {c for pair in pairs for c in pair}
    expected = sum((sum(a == c for a, _ in pairs) / n) * (sum(b == c for _, b in pairs) / n)
                   for c in categories)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def kappa_from_counts(n: int, same: int, a_accept: int, b_accept: int) -> float | None:
    """Cohen's kappa from the counts of a 2x2 accept/reject table (as cohen_kappa)."""
    if n == 0:
        return None
    expected = (a_accept / n) * (b_accept / n) + (1 - a_accept / n) * (1 - b_accept / n)
    if expected >= 1.0:
        return None
    return (same / n - expected) / (1 - expected)


def agreement(store: Store, dataset: str) -> pd.DataFrame:
    """Pairwise agreement on shared tasks: tasks, kappa on accept/reject, F1 per label.

    The sums come from the store in one query each: a Python version over the
    annotations took over a second for 100,000 of them.
    """
    answers = agreement_answer_rows(store, dataset)
    f1: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for a, b, label, size_a, size_b, shared in agreement_overlap_rows(store, dataset):
        f1[(a, b)][label] = 2 * shared / (size_a + size_b) if size_a + size_b else 1.0
    out = []
    for a, b, tasks, n, same, a_accept, b_accept in answers:
        kappa = kappa_from_counts(n, same, a_accept, b_accept)
        out.append({"annotator A": a, "annotator B": b, "shared tasks": tasks,
                    "kappa (accept/reject)": None if kappa is None else round(kappa, 3),
                    **{f"F1 {label or '(none)'}": round(v, 3) for label, v in sorted(f1[(a, b)].items())}})
    return pd.DataFrame(out)
