"""Voice profiles: learning the speakers' names from the annotator.

A dataset's voice profile of a label is the mean embedding (renormalised to
unit length) of the regions of that label in the dataset's current accepted
answers: an answer an undo or a correction superseded no longer counts, and
rejected or ignored answers never do. A region's embedding is the one its
model gave at load (stored in `region_embeddings`) while the region is still
that proposal (same id, times within `SAME_TIME`, same channel); a region the
annotator drew or moved is embedded from its audio (`earmark.models.voice.embed`,
or the `Embedder` given), and remembered in this process.

After answers are committed (`earmark.answers.commit_answers` calls
`schedule_update` once its transactions are done), a worker thread per dataset
rebuilds the profiles and relabels the proposals of every task no card has
received yet (`tasks.served` unset, no claim, no answer) and that has stored
embeddings. Names go to the model's speakers, not to regions one by one: the
embedded regions the model gave one label (on one channel) in a task are one
speaker, whose mean embedding takes the label of its nearest profile when their
cosine similarity is at least `THRESHOLD`, and no two speakers of a task take
one profile (the nearer one does). Each region then carries `profile` (its own
similarity, 3 decimals) and a `score` re-scored from it (`profile_score`); the
regions of a speaker no profile takes get their model's label and score back.
Regions without a stored embedding and tasks without any are never touched.
Answers arriving while the worker runs make it run once more, not once per
answer. `update_profiles` does the same synchronously.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from earmark.db.queries.profiles import (AcceptedRegion, ProposedRegion, accepted_regions, has_embeddings,
                                         proposals_of, relabel_tasks, unserved_task_ids)
# SAME_TIME: a region whose start and end moved less is still its proposal (the
# embedding stored at load stands for it), as in the Statistics comparison of proposals
from earmark.db.queries.statistics import SAME_TIME
from earmark.db.queries.tasks import serving_write, task_score

log = logging.getLogger(__name__)

Embedder = Callable[[np.ndarray], np.ndarray]   # 16 kHz mono int16 -> unit vector
SAMPLE_RATE = 16000

# A region takes a profile's label from this cosine similarity up. The speaker
# encoder gave a mean cosine of 0.75 between embeddings of one speaker and 0.66
# between different speakers on the corpus (design.md): 0.70 lies between the
# two, a little nearer the cross-speaker mean, because a wrong name proposed
# costs the annotator more than a name left for them to give.
THRESHOLD = 0.70
# How fast the re-scored confidence rises above the threshold (`profile_score`):
# a similarity 0.05 above it (the same-speaker mean) gives 0.88.
SCORE_SCALE = 0.025
BATCH = 200                 # tasks written per transaction
_CACHE_SIZE = 20_000        # embeddings computed from audio, kept per process


def profile_score(similarity: float, runner_up: float | None = None) -> float:
    """The confidence of a label taken from a profile, 0 to 1 (3 decimals).

    A logistic of the similarity's margin over the threshold, or over the second
    nearest profile when that is above the threshold: 0.5 at the margin of 0 (as
    likely this voice as not, or as likely one profile as the other), 0.88 at 0.05,
    0.98 at 0.1. `feed_order: uncertain` then serves the closest calls first."""
    floor = THRESHOLD if runner_up is None else max(THRESHOLD, runner_up)
    return round(1.0 / (1.0 + math.exp(-(similarity - floor) / SCORE_SCALE)), 3)


def _unit(vector: np.ndarray) -> np.ndarray | None:
    vector = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 and math.isfinite(norm) else None


def default_embedder() -> Embedder:
    """The speaker encoder's `embed` (loaded once per process, on first use)."""
    from earmark.models.voice import embed
    return embed


# -- profiles ------------------------------------------------------------------
_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def _audio_embedding(region: AcceptedRegion, embedder: Embedder) -> np.ndarray | None:
    """The embedding of a region's audio (16 kHz mono), remembered per embedder and region."""
    if not region.path or region.end <= region.start:
        return None
    key = (id(embedder), region.media_id, region.channel, round(region.start, 3), round(region.end, 3))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    from earmark.audio.reader import read
    audio = read(region.path, region.start, region.end, channel=region.channel, sample_rate=SAMPLE_RATE,
                 mono=region.channel is None)
    vector = _unit(embedder(np.ascontiguousarray(audio.samples[:, 0])))
    if vector is not None:
        with _cache_lock:
            _cache[key] = vector
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return vector


def _still_proposed(region: AcceptedRegion) -> bool:
    if region.proposed is None or region.embedding is None:
        return False
    start, end, channel = region.proposed
    return (abs(start - region.start) <= SAME_TIME + 1e-9 and abs(end - region.end) <= SAME_TIME + 1e-9
            and (channel is None or region.channel is None or channel == region.channel))


def region_embedding(region: AcceptedRegion, embedder: Embedder | None) -> np.ndarray | None:
    """The stored embedding while the region is still its proposal, else its audio's
    (None when there is no embedder or the audio cannot be read)."""
    if _still_proposed(region):
        return _unit(region.embedding)  # type: ignore[arg-type]
    if embedder is None:
        return None
    try:
        return _audio_embedding(region, embedder)
    except Exception as exc:  # noqa: BLE001  (a file gone or unreadable: that region is left out)
        log.warning("no embedding for region %s of task %s: %s", region.region_id, region.task_id, exc)
        return None


def compute_profiles(store, dataset: str, embedder: Embedder | None = None) -> dict[str, np.ndarray]:
    """label -> unit mean embedding of the label's regions in current accepted answers."""
    sums: dict[str, list[np.ndarray]] = {}
    for region in accepted_regions(store, dataset):
        vector = region_embedding(region, embedder)
        if vector is not None:
            sums.setdefault(region.label, []).append(vector)
    profiles = {}
    for label, vectors in sums.items():
        size = max((len(v) for v in vectors), key=[len(v) for v in vectors].count)
        mean = _unit(np.mean([v for v in vectors if len(v) == size], axis=0))
        if mean is not None:
            profiles[label] = mean
    return profiles


# -- relabelling -----------------------------------------------------------------
def _speakers_to_profiles(groups: dict[tuple, np.ndarray], matrix: np.ndarray) -> dict[tuple, int]:
    """Each of the model's speakers of a task (its regions' mean embedding) -> the index of
    its profile: nearest first, one speaker per profile and one profile per speaker, at
    or above `THRESHOLD`. Per region, two speakers the model told apart could both take
    the one profile they are nearest to (the cross-speaker cosine, 0.66, lies just below
    the threshold), and two voices would be proposed under one name."""
    keys = list(groups)
    if not keys:
        return {}
    similarity = np.stack([groups[k] for k in keys]) @ matrix.T
    chosen: dict[tuple, int] = {}
    taken: set[int] = set()
    for flat in np.argsort(-similarity, axis=None, kind="stable"):
        g, p = divmod(int(flat), similarity.shape[1])
        if similarity[g, p] < THRESHOLD:
            break
        if keys[g] not in chosen and p not in taken:
            chosen[keys[g]] = p
            taken.add(p)
    return chosen


def relabelled(task: dict, proposed: list[ProposedRegion], profiles: dict[str, np.ndarray]) -> dict:
    """The task with each of the model's speakers (its embedded regions of one model label
    and channel) labelled by its profile (`_speakers_to_profiles`), each region with
    `profile` (its own similarity) and a re-scored `score`; a speaker no profile takes
    gets its model's labels and scores as loaded."""
    by_id = {p.region_id: p for p in proposed}
    labels = list(profiles)
    matrix = np.stack([profiles[label] for label in labels]) if labels else np.zeros((0, 0), np.float32)
    spans = list(task.get("audio_spans") or [])
    models = {k: by_id[str(span.get("id"))] for k, span in enumerate(spans)
              if isinstance(span, dict) and str(span.get("id")) in by_id}
    vectors: dict[int, np.ndarray] = {}
    members: dict[tuple, list[int]] = {}
    for k, model in models.items():
        vector = _unit(model.embedding)
        if vector is not None and labels and matrix.shape[1] == len(vector):
            vectors[k] = vector
            members.setdefault((model.label, spans[k].get("channel")), []).append(k)
    groups = {key: mean for key, ks in members.items()
              if (mean := _unit(np.mean([vectors[k] for k in ks], axis=0))) is not None}
    chosen = _speakers_to_profiles(groups, matrix)
    profile_of = {k: chosen[key] for key, ks in members.items() if key in chosen for k in ks}
    out_spans = []
    for k, span in enumerate(spans):
        proposal = models.get(k)
        if proposal is None:
            out_spans.append(span)
            continue
        out = {key: v for key, v in span.items() if key not in ("profile", "score")}
        if k in profile_of:
            p = profile_of[k]
            similarity = matrix @ vectors[k]
            others = np.delete(similarity, p)
            if labels[p] != span.get("label"):
                out.pop("color", None)   # the model's colour was its label's
            out["label"] = labels[p]
            out["score"] = profile_score(float(similarity[p]), float(others.max()) if len(others) else None)
            out["profile"] = round(min(max(float(similarity[p]), 0.0), 1.0), 3)
        else:
            if proposal.label is not None:
                out["label"] = proposal.label
            if proposal.score is not None:
                out["score"] = proposal.score
        out_spans.append(out)
    return {**task, "audio_spans": out_spans}


@dataclass
class UpdateReport:
    profiles: dict[str, int] = field(default_factory=dict)   # label -> regions (dimension)
    relabelled: list[int] = field(default_factory=list)      # task ids written
    left: list[int] = field(default_factory=list)            # served or answered before the write


def relabel_unserved(store, dataset: str, profiles: dict[str, np.ndarray]) -> UpdateReport:
    """Relabel the proposals of the dataset's unserved tasks by `profiles`, a transaction
    per `BATCH` tasks; a task whose proposals would not change is not written.

    The task's `_task_hash` stays: it names the task as loaded (its input and the
    pre-annotations it came with), which is what exports, reloads and the answers
    given elsewhere refer to; the relabelled proposals are Earmark's suggestion on the
    same question, and changing the hash would make the same task look like a new one."""
    report = UpdateReport(profiles={label: len(v) for label, v in profiles.items()})
    ids = unserved_task_ids(store, dataset)
    for start in range(0, len(ids), BATCH):
        changes = []
        for task_id, task, proposed in proposals_of(store, ids[start:start + BATCH]):
            new = relabelled(task, proposed, profiles)
            if new != task:
                changes.append((task_id, new, task_score(new)))
        if not changes:
            continue
        written = serving_write(store, lambda cur, changes=changes: relabel_tasks(cur, changes))
        report.relabelled += written
        report.left += sorted(set(c[0] for c in changes) - set(written))
    return report


def update_profiles(store, dataset: str, embedder: Embedder | None = None) -> UpdateReport:
    """Rebuild the dataset's voice profiles from its accepted answers and relabel the
    tasks no card has received (synchronously). A dataset without stored region
    embeddings has nothing to relabel: nothing is computed."""
    embedded = has_embeddings(store, dataset)
    _embedded[(Path(store.path), dataset)] = (embedded, time.monotonic())
    if not embedded:
        return UpdateReport()
    if embedder is None:
        try:
            embedder = default_embedder()
        except ImportError as exc:   # the speaker encoder is not there: stored embeddings only
            log.warning("voice profiles from stored embeddings only: %s", exc)
    return relabel_unserved(store, dataset, compute_profiles(store, dataset, embedder))


# -- in the background, after answers -----------------------------------------------
# whether a dataset has stored region embeddings, as last seen in this process, and when:
# a dataset seen without is looked at again after answers only when a load in this
# process stores some or `RECHECK_SECONDS` have passed (on PostgreSQL the command line
# and other replicas load beside this process), so answers to datasets no model
# pre-annotated cost no thread and no query
RECHECK_SECONDS = 30.0
_embedded: dict[tuple[Path, str], tuple[bool, float]] = {}
_workers: dict[tuple[Path, str], threading.Thread] = {}
_again: set[tuple[Path, str]] = set()
_workers_lock = threading.Lock()


def schedule_update(store, dataset: str) -> None:
    """Update the dataset's profiles in a worker thread, soon; returns at once.

    One worker per dataset: a call while it runs makes it run once more when done
    (all the answers since are in that run), never a second worker."""
    key = (Path(store.path), dataset)
    seen = _embedded.get(key)
    if seen is not None and not seen[0] and time.monotonic() - seen[1] < RECHECK_SECONDS:
        return
    with _workers_lock:
        if key in _workers:
            _again.add(key)
            return
        worker = threading.Thread(target=_work, args=(store, dataset, key), name=f"profiles-{dataset}",
                                  daemon=True)
        _workers[key] = worker
    worker.start()


def embeddings_stored(store, dataset: str) -> None:
    """A load stored region embeddings in the dataset: answers update its profiles again."""
    _embedded[(Path(store.path), dataset)] = (True, time.monotonic())


def _work(store, dataset: str, key: tuple[Path, str]) -> None:
    while True:
        try:
            update_profiles(store, dataset)
        except Exception:  # noqa: BLE001  (never the answers' problem: logged, tried again next time)
            log.exception("updating the voice profiles of %s failed", dataset)
        with _workers_lock:
            if key not in _again:
                del _workers[key]
                return
            _again.discard(key)


def wait_for_updates(timeout: float = 30.0) -> bool:
    """Wait until no profile worker runs (tests, shutdown); False on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        with _workers_lock:
            workers = list(_workers.values())
        if not workers:
            return True
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            with _workers_lock:
                return not _workers
