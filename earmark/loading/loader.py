"""Load sources into a dataset: probe, hash, dedupe, store, compute peaks.

Files are probed and hashed by a small thread pool (ffprobe runs as a
process, hashing releases the GIL), tasks are inserted in batches, one
transaction per batch, and every file that cannot be read is reported with
its reason while the rest loads. Every task is checked against the task
format (earmark.loading.validate) with its file's length and channels before it is
stored: what a page could not show is refused here, by name.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from pathlib import Path

from earmark.loading import hashing
from earmark.datasets import add_labels, drop_dataset, ensure_dataset, get_dataset
from earmark.formats.matching import PreAnnotations
from earmark.loading.longform import EMBEDDINGS_KEY, LongformOptions, expand_task
from earmark.models.registry import ModelError
from earmark.loading.segment import SegmentError
from earmark.db.media import MediaInfo, inspect_file, insert_media, media_dir, save_media_bytes
from earmark.audio.peaks import Peaks, PeaksError, compute_peaks, store_peaks
from earmark.audio.probe import AudioInfo, ProbeError
from earmark.loading.sources import Candidate, Failure, is_utf8_path, iter_sources, upload_candidate, upload_name
from earmark.db.queries.media import follow_moved_files
from earmark.db.queries.peaks import media_with_peaks
from earmark.db.queries.profiles import insert_embeddings
from earmark.db.queries.tasks import count_tasks, delete_tasks_of_media, input_hashes, insert_tasks_by_hash
from earmark.db.store import Store
from earmark.loading.validate import spans_problem, task_problem

log = logging.getLogger(__name__)
BATCH = 500
WORKERS = 4
Progress = Callable[[int, str], None]   # (items processed so far, current origin)
# (origin, fraction of that file done 0..1, what is being done): while models run on one file
FileProgress = Callable[[str, float, str], None]


@dataclass
class LoadReport:
    added: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)
    labels_added: list[str] = field(default_factory=list)   # found in pre-annotations

    @property
    def failed(self) -> int:
        return len(self.failures)

    def summary(self, dataset: str) -> tuple[str, list[str]]:
        """What a load says: the counts in one line, and a line per failure and for labels added
        (`earmark load` prints the counts on stdout and the rest on stderr)."""
        details = [f"failed: {failure}" for failure in self.failures]
        if self.labels_added:
            details.append(f"labels added from the pre-annotations: {', '.join(self.labels_added)}")
        total = f"{dataset}: added {self.added}, skipped {self.skipped} duplicates, failed {self.failed}"
        return total, details


def load_sources(store: Store, dataset: str, sources: Iterable[str | Path], *,
                 spans: Iterable[str | Path] = (), **kwargs) -> LoadReport:
    """Add the tasks found in `sources` to `dataset` (created when new).

    `spans` names files of pre-annotations (any format of the registry that
    reads, `earmark.formats.registry`) matched to the audio files by stem.
    """
    def save(data: bytes, suffix: str) -> Path:
        return save_media_bytes(store, data, suffix)
    pre = PreAnnotations.read(list(spans)) if spans else None
    items: Iterable[Candidate | Failure] = iter_sources(list(sources), save)
    if pre is not None:
        # every audio file's stem first, so that spans go to their longest match
        items = list(items)
        pre.know_audio_stems(Path(str(name)).stem for c in items
                             if isinstance(c, Candidate) and (name := _audio_name(c)))
    report = load_candidates(store, dataset, items, pre_annotations=pre, **kwargs)
    if pre is not None:
        report.failures += pre.failures + pre.unmatched()
    return report


def load_uploads(store: Store, dataset: str, files: Iterable[tuple[str, bytes]], **kwargs) -> LoadReport:
    """Add uploaded files, given as (name, bytes), to `dataset`.

    Audio uploads are kept in the media folder when they probe as audio (a
    Failure names each one that does not); JSONL (and JSON list) uploads of
    tasks are read from a temporary folder outside the media folder, removed
    once the load is done. Only the base name of an upload is ever used.
    """
    def save(data: bytes, suffix: str) -> Path:
        return save_media_bytes(store, data, suffix)
    files = list(files)
    with tempfile.TemporaryDirectory(prefix="earmark-upload-") as folder:
        def candidates() -> Iterator[Candidate | Failure]:
            for index, (name, data) in enumerate(files):
                shown = upload_name(name)
                if not shown.lower().endswith(_TASK_SUFFIXES):
                    yield upload_candidate(name, data, save)
                    continue
                # a folder per upload: two uploads of one name stay apart
                source = Path(folder) / str(index) / shown
                source.parent.mkdir()
                source.write_bytes(data)
                for item in iter_sources([source], save):
                    yield _renamed(item, str(source), shown)
        return load_candidates(store, dataset, candidates(), **kwargs)


_TASK_SUFFIXES = (".jsonl", ".ndjson", ".json")


def _renamed(item: Candidate | Failure, temporary: str, shown: str) -> Candidate | Failure:
    """The item with the temporary file's path in its origin replaced by the upload's name."""
    if item.origin.startswith(temporary):
        return dataclasses.replace(item, origin=shown + item.origin[len(temporary):])
    return item


def load_candidates(store: Store, dataset: str, items: Iterable[Candidate | Failure], *,
                    view: str | None = None, labels: list[str] | None = None,
                    keep_base64: bool = False, peaks: bool = True,
                    progress: Progress | None = None,
                    pre_annotations: PreAnnotations | None = None,
                    longform: LongformOptions | None = None,
                    file_progress: FileProgress | None = None) -> LoadReport:
    """Store the tasks of `items`. `progress(done, origin)` is called as each item is
    reached; `file_progress(origin, fraction, detail)` while models run on one file
    (segments done, what a model reports inside a call)."""
    existed = get_dataset(store, dataset) is not None
    ensure_dataset(store, dataset, view=view, labels=labels)
    report = LoadReport()
    known = input_hashes(store, dataset)
    new_media: dict[str, tuple[MediaInfo, AudioInfo]] = {}
    # media id -> (origin, skipped as a duplicate?) of every item of this load on that file,
    # so that when the file turns out not to decode each of them is named a failure
    origins: dict[str, list[tuple[str, bool]]] = {}
    span_labels: set[str | None] = set()
    embedded = False   # whether region embeddings were stored (voice profiles may relabel the new tasks)
    done = 0
    inspect = partial(_inspect, media_dir(store))
    with ThreadPoolExecutor(WORKERS) as pool:
        for batch in _batches(items, BATCH):
            inspected = pool.map(inspect, batch)
            rows, media = [], []
            embeddings: dict[int, dict[str, list[float]]] = {}   # input hash -> region id -> vector
            for item, result in zip(batch, inspected):
                done += 1
                if progress:
                    progress(done, item.origin)
                if isinstance(result, Failure):
                    report.failures.append(result)
                    continue
                info, header = result if result is not None else (None, None)
                if pre_annotations is not None:
                    report.failures += _attach_pre_annotations(item, info, pre_annotations)
                used = False   # whether a task of this item is kept (else its file is not registered)
                for task in _expand(item, info, keep_base64, longform, report, file_progress):
                    # region embeddings are not part of a stored task: they are stored beside it
                    vectors = task.pop(EMBEDDINGS_KEY, None)
                    problem = task_problem(task, duration=info.duration if info else None,
                                           channels=info.channels if info else None)
                    if problem:
                        report.failures.append(Failure(item.origin, problem))
                        continue
                    used = True
                    ih = _hash_task(task, info)
                    duplicate = ih in known
                    if info is not None:
                        origins.setdefault(info.id, []).append((item.origin, duplicate))
                    if duplicate:
                        report.skipped += 1
                        continue
                    known.add(ih)
                    rows.append((task, info.id if info else None))
                    if isinstance(vectors, dict) and vectors:
                        embeddings[ih] = vectors
                if info is not None and used:
                    media.append(info)
                    new_media[info.id] = (info, header)  # type: ignore[assignment]
            ids = _insert(store, dataset, rows, media, embeddings)
            embedded = embedded or bool(embeddings and ids)
            report.added += len(ids)
            report.task_ids.extend(ids)
            span_labels.update(s.get("label") for task, _ in rows for s in task.get("audio_spans") or ()
                               if isinstance(s, dict))
    # Regions whose label the annotator could not pick are regions they could
    # not relabel to: pre-annotations' labels join the dataset's (speakers of an RTTM).
    span_labels.discard(None)
    span_labels.discard("")
    report.labels_added = add_labels(store, dataset, sorted(map(str, span_labels)))
    if embedded:
        _relabel_new(store, dataset, existed)
    if peaks:
        _compute_peaks(store, dataset, new_media, origins, report)
    if not existed and report.added == 0 and report.skipped == 0 and not count_tasks(store, dataset):
        drop_dataset(store, dataset)   # nothing got in: leave no empty dataset behind
    return report


def _relabel_new(store: Store, dataset: str, existed: bool) -> None:
    """Give the new tasks the names the dataset's voice profiles know (earmark.profiles)."""
    from earmark.profiles import embeddings_stored, update_profiles
    embeddings_stored(store, dataset)
    if not existed:
        return   # a new dataset has no answers yet
    try:
        update_profiles(store, dataset)
    except Exception:  # noqa: BLE001  (the tasks are loaded; the names follow with the next answer)
        log.exception("voice profiles of %s: relabelling the new tasks failed", dataset)


def _expand(item: Candidate, info: MediaInfo | None, keep_base64: bool,
            longform: LongformOptions | None, report: LoadReport,
            file_progress: FileProgress | None = None) -> list[dict]:
    """The tasks one item becomes (one per channel or segment with `longform`);
    a failure to split or pre-annotate is added to the report."""
    task = _fill_task(item, info, keep_base64)
    if not (longform and longform.active):
        return [task]
    tell = None if file_progress is None else partial(file_progress, item.origin)
    try:
        return expand_task(task, info, longform, tell)
    except (ModelError, SegmentError, PeaksError, OSError, ValueError) as exc:
        report.failures.append(Failure(item.origin, str(exc)))
    except Exception as exc:  # a user's --model may raise anything
        what = f"--model {longform.model_name} failed" if longform.model is not None else "could not be split"
        report.failures.append(Failure(item.origin, f"{what}: {type(exc).__name__}: {exc}"))
    return []


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _inspect(aliases: Path, item: Candidate | Failure) -> Failure | tuple[MediaInfo, AudioInfo] | None:
    """The media row and header facts of the item's file (kept for the peaks)."""
    if isinstance(item, Failure):
        return item
    if item.audio_file is None:
        return None
    try:
        media, header = inspect_file(item.audio_file)
        if not is_utf8_path(media.path):
            media = replace(media, path=str(_alias(aliases, media, item.audio_file)))
        return media, header
    except ProbeError as exc:
        return Failure(item.origin, str(exc))
    except OSError as exc:
        return Failure(item.origin, f"cannot read: {exc.strerror or exc}")
    except Exception as exc:  # one unreadable file never stops the others
        return Failure(item.origin, f"cannot read the header: {type(exc).__name__}: {exc}")


def _alias(folder: Path, media: MediaInfo, original: Path) -> Path:
    """A stored path for a file whose name is not UTF-8 (os.walk gives such bytes
    as lone surrogates, which the database's UTF-8 text cannot hold): a symbolic
    link in the media folder, named by the content hash, to the file. Tasks show
    the name with replacement characters; everything that opens the file goes
    through the media row, so through the link."""
    suffix = re.sub(r"[^a-z0-9.]", "", original.suffix.lower()) or ".bin"
    link = folder / f"{media.id}{suffix}"
    if link.exists() and not link.is_symlink():
        return link   # the same bytes were uploaded before: that copy serves
    target = os.fsencode(original.resolve())
    try:
        if os.readlink(link) == os.fsdecode(target):
            return link
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{media.id}.{os.getpid()}.{uuid.uuid4().hex}.link"
    os.symlink(target, tmp)
    os.replace(tmp, link)   # atomic: a reader never sees a missing link
    return link


def _fill_task(item: Candidate, media: MediaInfo | None, keep_base64: bool) -> dict:
    """The task with its path, file name and audio facts filled in."""
    task = dict(item.task)
    if media is not None:
        audio = task.get("audio")
        if isinstance(audio, str) and audio.startswith("data:"):
            if not keep_base64:
                del task["audio"]
        task.setdefault("path", task.get("audio") if isinstance(task.get("audio"), str)
                        and not task["audio"].startswith("data:") else media.path)
        task.setdefault("file", Path(task["path"]).name)
        meta = dict(task.get("meta") or {})
        meta.setdefault("file", task["file"])
        meta.setdefault("duration", round(media.duration or 0.0, 3))
        meta.setdefault("channels", media.channels)
        meta.setdefault("sample_rate", media.sample_rate)
        task["meta"] = meta
    return task


def _hash_task(task: dict, media: MediaInfo | None) -> int:
    """Set `_input_hash` and `_task_hash` (unless given) and span ids; return the input hash."""
    ih = task.get("_input_hash")
    if not isinstance(ih, int):
        ih = hashing.input_hash(task, media.id if media else None)
        task["_input_hash"] = ih
    if not isinstance(task.get("_task_hash"), int):
        task["_task_hash"] = hashing.task_hash(task, ih)
    if task.get("audio_spans"):
        task["audio_spans"] = [_with_id(span, ih, i) for i, span in enumerate(task["audio_spans"])]
    return ih


def _audio_name(item: Candidate) -> str | Path | None:
    """The name pre-annotations are matched by: the task's `file` or `path`, else its audio file."""
    return item.task.get("file") or item.task.get("path") or item.audio_file


def _attach_pre_annotations(item: Candidate, media: MediaInfo | None,
                            pre: PreAnnotations) -> list[Failure]:
    """Add the matching pre-annotations to the task; refuse spans that do not fit
    the file, each named by the spans file and line it came from."""
    name = _audio_name(item) or (media.path if media else None)
    if not name:
        return []
    spans, meta, source = pre.for_audio(Path(str(name)).stem)
    if not spans:
        return []
    duration = media.duration if media else None
    channels = media.channels if media else None
    kept, failures = [], []
    for span in spans:
        problem = spans_problem([span], duration=duration, channels=channels)
        if problem:
            where = pre.origin(span, source or item.origin)
            if problem.startswith("audio_spans[0] ends at"):   # the common case, in its own words
                problem = (f"{span.get('label')} {span['start']:.3f}-{span['end']:.3f} s lies "
                           f"outside {Path(str(name)).name} ({duration:.3f} s)")
            else:
                problem = problem.replace("audio_spans[0].", "the span's ").replace("audio_spans[0]", "the span")
                problem = f"{problem} (for {Path(str(name)).name})"
            failures.append(Failure(where, f"{problem}; refused"))
            continue
        kept.append(span)
    item.task["audio_spans"] = [*(item.task.get("audio_spans") or []), *kept]
    if meta:
        item.task["meta"] = {**(item.task.get("meta") or {}), **meta}
    return failures


def _with_id(span: dict, input_hash: int, index: int) -> dict:
    """Give a pre-annotated span a stable id, so reloads name it the same."""
    if span.get("id"):
        return span
    name = f"{input_hash}:{index}:{span.get('start')}:{span.get('end')}:{span.get('label')}"
    return {**span, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name))}


def _insert(store: Store, dataset: str, rows_in: list[tuple[dict, str | None]],
            media: list[MediaInfo], embeddings: dict[int, dict[str, list[float]]] | None = None) -> list[int]:
    """Insert new tasks (and their media, and their regions' embeddings by input hash);
    return their ids in input order."""
    if not rows_in:
        if media:   # only duplicates: their files may still have moved
            store.write(lambda cur: _follow_moved_files(cur, media))
        return []
    added = time.time()

    def insert(cur) -> list[int]:
        insert_media(cur, media)
        _follow_moved_files(cur, media)
        ids = insert_tasks_by_hash(cur, dataset, rows_in, added)
        if embeddings:   # in the same transaction: a task is never stored without its embeddings
            insert_embeddings(cur, dataset, [(ids[t["_input_hash"]], t, embeddings[t["_input_hash"]])
                                             for t, _ in rows_in
                                             if t["_input_hash"] in ids and t["_input_hash"] in embeddings])
        return [ids[t["_input_hash"]] for t, _ in rows_in if t["_input_hash"] in ids]

    return store.write(insert)


_follow_moved_files = follow_moved_files


def _compute_peaks(store: Store, dataset: str, media: dict[str, tuple[MediaInfo, AudioInfo]],
                   origins: dict[str, list[tuple[str, bool]]], report: LoadReport) -> None:
    """Peaks for the media that have none yet (a reload or another dataset may
    have made them), from the headers read at registering, stored a batch per
    transaction; a file that fails to decode is reported (every item of this
    load on it, duplicates included: a copy of an undecodable file is no
    duplicate of anything stored) and its tasks are taken out again."""
    have = media_with_peaks(store, media)
    todo = [pair for media_id, pair in media.items() if media_id not in have]

    def compute(pair: tuple[MediaInfo, AudioInfo]) -> Peaks | str:
        m, header = pair
        try:
            return compute_peaks(m.path, header)
        except (PeaksError, OSError) as exc:
            return f"could not decode: {exc}"
        except Exception as exc:  # never one file's peaks for the others'
            return f"could not decode: {type(exc).__name__}: {exc}"

    failed: list[MediaInfo] = []
    with ThreadPoolExecutor(2) as pool:
        for batch in _batches(todo, 200):
            done = []
            for (m, _), result in zip(batch, pool.map(compute, batch)):
                if isinstance(result, str):
                    items = origins.get(m.id) or [(m.path, False)]
                    for origin in dict.fromkeys(origin for origin, _ in items):
                        report.failures.append(Failure(origin, result))
                    report.skipped -= sum(skipped for _, skipped in items)
                    failed.append(m)
                else:
                    done.append((m, result))
            store.write(partial(store_peaks, computed=done))
    if not failed:
        return

    gone = set(store.write(lambda cur: delete_tasks_of_media(cur, dataset, [m.id for m in failed])))
    report.added -= len(gone)
    report.task_ids = [t for t in report.task_ids if t not in gone]
