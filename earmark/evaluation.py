"""Diarization error rate, for judging a diarizer's proposals against reference turns.

As the standard DER (NIST's md-eval) without a collar, on 10 ms frames: a
frame counts toward the time of each reference speaker speaking in it; with
N_ref reference and N_hyp proposed speakers active in a frame, and N_correct
of them matched under the speaker mapping,

- missed speech  = max(0, N_ref - N_hyp),
- false alarm    = max(0, N_hyp - N_ref),
- confusion      = min(N_ref, N_hyp) - N_correct,

summed over the frames and divided by the summed N_ref (the total reference
speaker time; two people talking at once count twice). The mapping is the
one-to-one assignment of proposed to reference speakers with the most frames
in common (scipy's `linear_sum_assignment`); an unmapped speaker's frames
are all confusion or false alarm. Turns are `(start, end, label)` in seconds;
a turn covers frames round(start / 0.01) up to round(end / 0.01).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Turn = tuple[float, float, str]
FRAME = 0.01


@dataclass(frozen=True)
class DiarizationError:
    missed: float          # seconds
    false_alarm: float
    confusion: float
    total: float           # reference speaker time, seconds
    mapping: dict[str, str] = field(default_factory=dict)   # proposed label -> reference label

    @property
    def rate(self) -> float:
        """(missed + false alarm + confusion) / reference time; 0 when both are empty, inf when only the reference is."""
        errors = self.missed + self.false_alarm + self.confusion
        if self.total == 0:
            return 0.0 if errors == 0 else float("inf")
        return errors / self.total


def activity(turns: Iterable[Turn], n_frames: int | None = None,
             step: float = FRAME) -> tuple[list[str], np.ndarray]:
    """(speaker labels in first-appearance order, frames x speakers booleans) of `turns`."""
    turns = list(turns)
    labels: list[str] = []
    for _, _, label in sorted(turns, key=lambda t: (t[0], t[1])):
        if label not in labels:
            labels.append(label)
    ends = [int(round(float(end) / step)) for _, end, _ in turns]
    n = n_frames if n_frames is not None else max(ends, default=0)
    active = np.zeros((n, len(labels)), dtype=bool)
    for (start, _end, label), stop in zip(turns, ends):
        active[max(0, int(round(float(start) / step))):max(0, stop), labels.index(label)] = True
    return labels, active


def diarization_error(reference: Sequence[Turn], hypothesis: Sequence[Turn],
                      step: float = FRAME) -> DiarizationError:
    """The diarization error of `hypothesis` against `reference` (see the module docstring)."""
    from scipy.optimize import linear_sum_assignment
    n = max([int(round(float(t[1]) / step)) for t in [*reference, *hypothesis]], default=0)
    ref_labels, ref = activity(reference, n, step)
    hyp_labels, hyp = activity(hypothesis, n, step)
    common = ref.T.astype(np.int64) @ hyp.astype(np.int64)       # ref x hyp: frames together
    mapping: dict[str, str] = {}
    correct = np.zeros(n, dtype=np.int64)
    if common.size:
        rows, cols = linear_sum_assignment(common, maximize=True)
        for r, c in zip(rows, cols):
            if common[r, c] > 0:
                mapping[hyp_labels[c]] = ref_labels[r]
                correct += ref[:, r] & hyp[:, c]
    n_ref, n_hyp = ref.sum(axis=1), hyp.sum(axis=1)
    return DiarizationError(
        missed=float(np.maximum(0, n_ref - n_hyp).sum() * step),
        false_alarm=float(np.maximum(0, n_hyp - n_ref).sum() * step),
        confusion=float((np.minimum(n_ref, n_hyp) - correct).sum() * step),
        total=float(n_ref.sum() * step),
        mapping=mapping)


def der(reference: Sequence[Turn], hypothesis: Sequence[Turn]) -> float:
    """The diarization error rate, 10 ms frames, no collar."""
    return diarization_error(reference, hypothesis).rate


def one_speaker(reference: Sequence[Turn], label: str = "speech") -> list[Turn]:
    """The baseline a diarizer must beat: all reference speech, as one speaker."""
    merged: list[list[float]] = []
    for start, end, _ in sorted(reference, key=lambda t: (t[0], t[1])):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b, label) for a, b in merged]


def turns_of(regions: Iterable[dict]) -> list[Turn]:
    """`(start, end, label)` of regions (`audio_spans`)."""
    return [(float(r["start"]), float(r["end"]), str(r.get("label", ""))) for r in regions]


def read_rttm(path: str | Path) -> dict[str, list[Turn]]:
    """The turns of an RTTM file by file id (Earmark's RTTM reader; a bad line raises ValueError)."""
    from earmark.formats.rttm import read
    spans = read(Path(path))
    if spans.problems:
        raise ValueError("; ".join(str(p) for p in spans.problems))
    return {stem: turns_of(regions) for stem, regions in spans.spans.items()}
