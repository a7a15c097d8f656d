"""The Annotate page: the annotation card and the answers it sends.

The card is the waveform component in card mode (`components.waveform.card`):
it draws the task (file name, waveform and regions, transcript field, text
spans, answer buttons, progress) and holds a queue of the session's next
tasks, so an answer shows the next task at once. Streamlit keeps the page
around it (dataset and annotator choice) and the database: on every run the
page commits the answers the card's value carries (`earmark.answers`: each
once, in order, with a receipt), then passes back what was acknowledged and
the refilled queue.

The views of design.md are lists of blocks (`earmark.views`): `audio`
(waveform, regions read-only), `audio_manual` (regions editable),
`transcript` (a text field) and `alignment` (editable regions plus text spans
over the transcript's tokens, each linkable to a region). A dataset's view
gives its blocks; its `blocks` setting may combine several views, e.g.
`["audio_manual", "transcript"]`. The page asks the blocks what the card
shows, whether it edits regions, and what an answer carries.

A task that cannot be shown (bad times, a file gone from the server, audio
that cannot be read) comes to the card with the reason; the card offers to
skip it, and the skip is stored as an `ignore` answer with `_skip_reason`, so
the feed gives that task to nobody again.

File names, `meta` values and other user strings reach the browser as text
(the card sets them with `textContent`); on the page they go through `md_text()`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import streamlit as st

from components.waveform.card import CardTask, annotation_card, card_task
from earmark.annotations import Task
from earmark.answers import View, commit_answers, parse_pending, refusals
from earmark.datasets import Dataset, get_dataset, list_datasets
from earmark.feed import Answered, previous_answer, progress, queue_tasks
from earmark.settings import effective_settings, load_config
from earmark.loading.showable import task_problem
from earmark.db.store import Store, StoreError, get_store
from earmark.web.guard import short_reason
from earmark.web.label_colors import dataset_label_colors
from earmark.web.task_audio import DEFAULT_CONTEXT, TaskAudio, task_audio, task_view
from earmark.web.text import md_text
from earmark.views import card_fields, card_parts, editable, view_blocks

log = logging.getLogger(__name__)

CARD_KEY = "annotate_card"
# The card's queue: enough tasks that answers 50 ms apart never find it empty
# before Python refills it, within a budget of peak bytes (a long file's peaks
# are 100 bytes a second per channel).
QUEUE_SIZE = 20
QUEUE_BYTES = 8_000_000
_CACHE_SIZE = 200


# -- who and what ------------------------------------------------------------
def _change_name() -> None:
    """The "Change name" button's callback: the name is asked again on this run.

    Answers already sent stay with the name they were given under (each pending
    entry carries its own session); later answers go under the new name."""
    st.session_state.pop("annotator", None)
    st.session_state.pop("annotator_pick", None)
    if "session" in st.query_params:
        del st.query_params["session"]


def choose_annotator(config: dict) -> str | None:
    """The annotator's name, from `?session=` or asked once; kept in the URL for reloads."""
    allowed = [str(n) for n in config.get("allowed_sessions") or []]
    name = st.query_params.get("session") or st.session_state.get("annotator")
    if name and (not allowed or name in allowed):
        st.session_state.annotator = name
        st.query_params["session"] = name
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            st.markdown(f"Annotating as **{md_text(name)}**", width="content")
            st.button("Change name", key="annotator_change", on_click=_change_name, type="tertiary",
                      icon=":material/edit:",
                      help="later answers go under the new name; those given so far keep this one")
        return name
    if name and allowed:
        st.error(f"{md_text(repr(name))} is not on the list of annotators of this server.")
    if allowed:
        picked = st.selectbox("Who is annotating?", allowed, index=None, key="annotator_pick",
                              placeholder="Choose your name")
    else:
        picked = st.text_input("Your name", key="annotator_pick", placeholder="Type your name, then press Enter",
                               help="It keeps your answers apart from others' and stays in the address "
                                    "(?session=NAME) for reloads.").strip()
    if picked:
        st.session_state.annotator = picked
        st.query_params["session"] = picked
        st.rerun()
    return None


# The keys the guide names, as the card's defaults (frontend src/keys.ts, DEFAULT_KEYMAP);
# a dataset's or earmark.json's `keymap` replaces an action's keys.
GUIDE_KEYS = {"play_pause": ["space"], "accept": ["a"], "reject": ["x"], "ignore": ["enter"],
              "undo": ["backspace"]}
_GUIDE_WORDS = {"play_pause": "play/pause", "accept": "accept", "reject": "reject", "ignore": "ignore",
                "undo": "undo"}


def guide_keys(keymap: object) -> dict[str, list[str]]:
    """The guide's actions and their keys under `keymap` (the effective `keymap` setting)."""
    keys = {action: list(default) for action, default in GUIDE_KEYS.items()}
    for action, value in (keymap.items() if isinstance(keymap, dict) else ()):
        if action in keys:
            given = [value] if isinstance(value, str) else [str(v) for v in value] \
                if isinstance(value, (list, tuple)) else []
            keys[action] = [k for k in given if k] or keys[action]
    return keys


def task_guide(blocks: list[str], labels: list[str]) -> str:
    """What a dataset of these blocks and labels asks, in one sentence (plain text)."""
    names = {b.name for b in view_blocks(blocks)}
    asks = []
    if "regions" in names:
        asks.append(f"Draw regions for {', '.join(labels)}" if labels else "Draw regions")
    if "text_spans" in names:
        asks.append("mark text spans and link them to regions")
    elif "transcript" in names:
        asks.append("type the transcript")
    if not asks:
        question = " ".join(f"{label}?" for label in labels) or "keep this recording?"
        return f"Accept or reject: {question}"
    return _sentence("; ".join(asks)) + ", then accept"


def guide_line(blocks: list[str], labels: list[str], keymap: object) -> str:
    """The guide as Markdown: the task, then the keys that matter (user strings escaped)."""
    keys = guide_keys(keymap)
    shown = " · ".join(f"**{' / '.join(md_text(k) for k in keys[a])}** {_GUIDE_WORDS[a]}" for a in GUIDE_KEYS)
    editing = "regions" in {b.name for b in view_blocks(blocks)} and labels
    label_keys = f" · **1–{min(9, len(labels))}** label" if editing and len(labels) > 1 else ""
    asks = task_guide(blocks, labels)
    return f"{md_text(asks)}{'' if asks.endswith('?') else '.'} Keys: {shown}{label_keys}"


def choose_dataset(store: Store) -> Dataset | None:
    datasets = list_datasets(store)
    if not datasets:
        st.info("No dataset yet: create one on the Datasets page.")
        return None
    names = [d.name for d in datasets]
    wanted = st.query_params.get("dataset") or st.session_state.get("mark_dataset")
    index = names.index(wanted) if wanted in names else 0
    name = st.selectbox("Dataset", names, index=index, key="annotate_dataset")
    st.query_params["dataset"] = name
    return get_dataset(store, name)


_HEADER_META = ("file", "duration", "channels", "channel")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _meta(task: Task) -> dict:
    """The task's `meta`, or {} when it is not an object (a broken task is still named and skipped)."""
    meta = task.data.get("meta")
    return meta if isinstance(meta, dict) else {}


def _label_specs(dataset: Dataset, settings: dict) -> list[dict]:
    colors = dataset_label_colors(dataset, settings)
    return [{"name": name, "color": colors[name], **({"key": str(i + 1)} if i < 9 else {})}
            for i, name in enumerate(dataset.labels)]


def header_details(task: Task) -> list[str]:
    """The card's title line after the file name: duration, segment, channel."""
    data = task.data
    meta = _meta(task)
    segment = data.get("segment")
    parts = [
        f"{meta['duration']:.1f} s" if _number(meta.get("duration")) else None,
        f"segment {segment['start']:.2f}–{segment['end']:.2f} s"
        if isinstance(segment, dict) and _number(segment.get("start")) and _number(segment.get("end")) else None,
        f"channel {meta['channel'] + 1}" if _number(meta.get("channel")) else
        (f"{meta['channels']} channels" if _number(meta.get("channels")) and meta["channels"] > 1 else None),
    ]
    return [p for p in parts if p]


def task_title(task: Task) -> str:
    meta = _meta(task)
    return str(meta.get("file") or task.data.get("file") or f"task {task.id}")


def plain_caption(task: Task) -> str | None:
    """The task's other `meta` values (design.md: shown to the annotator), as plain text."""
    meta = _meta(task)
    rest = [f"{k}: {v}" for k, v in meta.items() if k not in _HEADER_META and v not in (None, "")]
    return " · ".join(rest) or None


def _shown_words(task: Task, audio: TaskAudio) -> list[dict]:
    """The task's recognised words in the card's time (as its regions: a segment's clip starts at `offset`)."""
    words = task.data.get("words")
    if not isinstance(words, list):
        return []
    return [{**w, "start": w["start"] - audio.offset, "end": w["end"] - audio.offset} for w in words
            if isinstance(w, dict) and _number(w.get("start")) and _number(w.get("end"))]


def build_card_task(store: Store, task: Task, settings: dict, blocks: list[str],
                    source: dict | None = None, answer: str | None = None) -> CardTask:
    """What the card needs for `task` (from `source`, an annotation, when undo reopens one).

    Never raises for a task that cannot be shown: the reason goes with it."""
    source = source if source is not None else task.data
    problem: str | None = None
    audio: TaskAudio | None = None
    try:
        problem = task_problem(store, task)
        if problem is None:
            audio = task_audio(store, task, float(settings.get("segment_context", DEFAULT_CONTEXT)))
            problem = audio.problem
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001  (a header libsndfile or ffmpeg cannot read, ...)
        log.exception("task %s: preparing it failed", task.id)
        problem = f"its audio could not be read ({short_reason(exc)})"
    common: dict[str, Any] = dict(task_id=task.id, title=task_title(task), details=header_details(task),
                  caption=plain_caption(task), answer=answer)
    if problem is not None or audio is None:
        return card_task(audio_url="", duration=0.0, peaks=None, problem=problem or "it cannot be shown", **common)
    segment = task.data.get("segment")
    shown_segment = None
    if segment:
        shown_segment = {"start": round(float(segment["start"]) - audio.offset, 3),
                         "end": round(float(segment["end"]) - audio.offset, 3)}
    try:
        return card_task(
            audio_url=audio.url, duration=audio.duration, peaks=audio.peaks,
            regions=audio.to_view(source.get("audio_spans") or []),
            spectrogram_url=audio.spectrogram_url, spectrogram_offset=audio.offset,
            segment=shown_segment, words=_shown_words(task, audio), **card_fields(view_blocks(blocks), source),
            **common)
    except (ValueError, TypeError) as exc:
        log.exception("task %s: its regions cannot be drawn", task.id)
        return card_task(audio_url="", duration=0.0, peaks=None,
                         problem=f"it could not be drawn ({short_reason(exc)})", **common)


def _cached(key: tuple, build) -> CardTask:
    """`build()`, kept per browser session under `key`: the queue is sent again on every run."""
    cache: dict = st.session_state.setdefault("ann_card_cache", {})
    item = cache.get(key)
    if item is None:
        item = build()
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = item
    return item


def _cached_card_task(store: Store, task: Task, settings: dict, blocks: list[str]) -> CardTask:
    # the task's content is part of the key: a queued task relabelled from voice
    # profiles reaches the card as it is stored now
    content = json.dumps(task.data, sort_keys=True, ensure_ascii=False, default=str)
    key = (task.id, task.dataset, tuple(blocks), settings.get("segment_context", DEFAULT_CONTEXT),
           hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).digest())
    return _cached(key, lambda: build_card_task(store, task, settings, blocks))


def fill_queue(store: Store, dataset: Dataset, session: str, settings: dict, blocks: list[str],
               overlap: bool) -> tuple[list[CardTask], bool]:
    """The session's next tasks for the card, and whether the feed has no more."""
    tasks = queue_tasks(store, dataset.name, session, overlap, QUEUE_SIZE, str(settings.get("feed_order") or "file"))
    queue: list[CardTask] = []
    size = 0
    for task in tasks:
        item = _cached_card_task(store, task, settings, blocks)
        # the words of a long recording are sent with it too (some 40 bytes of JSON each)
        size += len(item.peaks or b"") + len(item.overview or b"") + 40 * len(item.data.get("words") or ())
        if queue and size > QUEUE_BYTES:
            return queue, False
        queue.append(item)
    return queue, len(tasks) < QUEUE_SIZE


def previous_card_task(store: Store, dataset: Dataset, session: str, settings: dict,
                       blocks: list[str]) -> CardTask | None:
    """The session's last committed answer, for undo after a reload."""
    previous: Answered | None = previous_answer(store, dataset.name, session)
    if previous is None:
        return None
    # an annotation never changes (a new answer is a new one): kept like the queue's tasks
    key = ("previous", previous.annotation_id, tuple(blocks), settings.get("segment_context", DEFAULT_CONTEXT))
    return _cached(key, lambda: build_card_task(store, previous.task, settings, blocks, source=previous.annotation,
                                                answer=str(previous.annotation.get("answer") or "")))


def commit_card_value(store: Store, config: dict, value: object) -> tuple[dict[str, int], str | None]:
    """Commit the pending answers of the card's value; (acked per client, error message)."""
    if not isinstance(value, dict):
        return {}, None
    entries, problems = parse_pending(value.get("pending"))
    for problem in problems:
        log.warning("card value: %s", problem)
    if not entries:
        return {}, None
    allowed = {str(n) for n in config.get("allowed_sessions") or []}
    blocks_cache: dict[str, list[str] | None] = {}
    context_cache: dict[str, float] = {}

    def blocks_of(name: str) -> list[str] | None:
        if name not in blocks_cache:
            ds = get_dataset(store, name)
            if ds is None:
                blocks_cache[name] = None
            else:
                settings = effective_settings(ds, config)
                blocks_cache[name] = list(settings.get("blocks") or [ds.view])
                context_cache[name] = float(settings.get("segment_context", DEFAULT_CONTEXT))
        return blocks_cache[name]

    def view(task: Task) -> View:
        blocks_of(task.dataset)
        return task_view(task, context_cache.get(task.dataset, DEFAULT_CONTEXT))

    report = commit_answers(store, entries, blocks_of, view,
                            may_answer=lambda session: not allowed or session in allowed)
    error = None
    if report.error is not None:
        reason = report.error.message if isinstance(report.error, StoreError) else short_reason(report.error)
        waiting = len(entries) - len(report.committed) - len(report.repeated) - len(report.refused)
        error = (f"{_sentence(reason)}: {waiting} answer{'s' if waiting != 1 else ''} not saved yet. "
                 "They are kept in this browser and saved as soon as the database takes them.")
    return report.acked, error


def render_page() -> None:
    store = get_store()
    config = load_config()
    ss = st.session_state
    st.title("Annotate")
    guide = st.empty()   # filled once the dataset is known
    summary = ss.pop("mark_summary", None)   # `mark`'s load, shown once
    if summary:   # one box, a line each: the counts, then each failure
        box = st.warning if any(line.startswith("failed:") for line in summary["details"]) else st.info
        box("  \n".join(md_text(line) for line in [summary["total"], *summary["details"]]))
    top = st.columns([2, 3], vertical_alignment="bottom")
    with top[0]:
        dataset = choose_dataset(store)
    with top[1]:
        session = choose_annotator(config)
    if dataset is not None:
        shown = effective_settings(dataset, config)
        guide.caption(guide_line(list(shown.get("blocks") or [dataset.view]), dataset.labels, shown.get("keymap")))
    value = ss.get(CARD_KEY)
    # answers the card sent are committed whatever is chosen now: they belong to their own dataset
    acked, error = commit_card_value(store, config, value)
    if dataset is None or session is None:
        return
    chosen = (dataset.name, session)
    if ss.get("ann_chosen") != chosen:
        ss.ann_chosen = chosen
        ss.ann_focus = ss.get("ann_focus", 0) + 1   # the card takes the keyboard focus back
    settings = effective_settings(dataset, config)
    blocks = list(settings.get("blocks") or [dataset.view])
    overlap = bool(settings.get("feed_overlap"))
    try:
        queue, exhausted = fill_queue(store, dataset, session, settings, blocks, overlap)
    except StoreError as exc:
        # the claims cannot be written (a full disk): the card stays, keeps its pending
        # answers and the task on screen, and says why; the queue refills when the write succeeds
        log.warning("the queue of %s/%s: %s", dataset.name, session, exc)
        queue, exhausted = [], False
        error = error or f"{_sentence(exc.message)}; no new tasks until it can be written."
    previous = previous_card_task(store, dataset, session, settings, blocks)
    prog = progress(store, dataset.name, session)
    client = value.get("client") if isinstance(value, dict) and isinstance(value.get("client"), str) else None
    refused = [{"client": client, "seq": s, "task_id": t, "reason": r} for s, t, r in refusals(store, client)] \
        if client else []
    # what the card is given, for whoever looks at the session (tests, debugging)
    ss.ann_queue = [int(item.task_id) for item in queue]
    ss.ann_queue_items = [item.data for item in queue]
    ss.ann_previous = previous.data if previous is not None else None
    ss.ann_exhausted = exhausted
    ss.ann_error = error
    annotation_card(
        key=CARD_KEY, dataset=dataset.name, session=session, queue=queue, exhausted=exhausted,
        labels=_label_specs(dataset, settings), blocks=card_parts(view_blocks(blocks)),
        editable=editable(view_blocks(blocks)), settings=settings,
        keymap=settings.get("keymap") or None, acked=acked,
        progress={"tasks": prog.tasks, "done": prog.done, "session_done": prog.session_done},
        previous=previous, refused=refused, error=error, focus=ss.get("ann_focus", 0))
