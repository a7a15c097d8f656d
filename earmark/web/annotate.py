"""The Annotate page: one task at a time, answered by button or key.

The views of design.md are blocks: `audio` (waveform, regions read-only),
`audio_manual` (regions editable), `transcript` (a text field) and
`alignment` (editable regions plus text spans over the transcript's tokens,
each linkable to a region). A dataset's view is one block; its `blocks`
setting may combine several, e.g. `["audio_manual", "transcript"]`.

Every answer is committed to the database before the next task is shown.
When it cannot be (a full disk), the page says so and keeps the annotator's
edits, so the same answer can be given again once the disk has room.

A task that cannot be shown (bad times, a file gone from the server, audio
that cannot be decoded, or any error while drawing it) is named in an error
box with a "Skip this task" button; the skip is stored as an `ignore` answer
with `_skip_reason`, and the feed gives that task to nobody again.

File names, `meta` values and other user strings go through `md_text()`:
they show as text, never as Markdown or HTML.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

import streamlit as st

from components.waveform import waveform_editor
from earmark.annotations import ANSWERS, Task, get_task, save_annotation, skip_task
from earmark.datasets import Dataset, get_dataset, list_datasets
from earmark.feed import Answered, next_task, previous_answer, progress
from earmark.settings import effective_settings, load_config
from earmark.showable import task_problem
from earmark.store import Store, StoreError, get_store
from earmark.tokenize import span_from_tokens, tokenize
from earmark.web.guard import short_reason
from earmark.web.label_colors import dataset_label_colors
from earmark.web.text import md_text
from earmark.web.task_audio import DEFAULT_CONTEXT, TaskAudio, task_audio

log = logging.getLogger(__name__)

EDITABLE_BLOCKS = ("audio_manual", "alignment")
# design.md key names -> Streamlit's button shortcut names
_SHORTCUT_NAMES = {"enter": "Enter", "backspace": "Backspace", "delete": "Delete", "space": "Space",
                   "escape": "Esc", "esc": "Esc", "tab": "Tab"}
_DEFAULT_ANSWER_KEYS = {"accept": "a", "reject": "x", "ignore": "enter", "undo": "backspace"}


@dataclass
class Draft:
    """What the annotator has changed on the task shown, not yet answered."""
    task_id: int
    regions: list[dict]
    transcript: str | None = None
    text_spans: list[dict] = field(default_factory=list)


class Unshowable(Exception):
    """The task in hand cannot be drawn; the message says why, in words."""


def shortcut(key: str | list | None) -> str | None:
    """A design.md key name ('a', 'enter', 'ctrl+z') as a Streamlit shortcut ('A', 'Enter', 'Ctrl+Z')."""
    if isinstance(key, list):
        key = key[0] if key else None
    if not key:
        return None
    parts = [p.strip() for p in str(key).split("+")]
    named = [_SHORTCUT_NAMES.get(p.lower(), p.upper() if len(p) == 1 else p.capitalize()) for p in parts]
    return "+".join(named)


def answer_keys(settings: dict) -> dict[str, str | None]:
    keymap = settings.get("keymap") or {}
    return {action: shortcut(keymap.get(action, default)) for action, default in _DEFAULT_ANSWER_KEYS.items()}


# -- who and what ------------------------------------------------------------
def choose_annotator(config: dict) -> str | None:
    """The annotator's name, from `?session=` or asked once; kept in the URL for reloads."""
    allowed = [str(n) for n in config.get("allowed_sessions") or []]
    name = st.query_params.get("session") or st.session_state.get("annotator")
    if name and (not allowed or name in allowed):
        st.session_state.annotator = name
        st.query_params["session"] = name
        return name
    if name and allowed:
        st.error(f"{md_text(repr(name))} is not on the list of annotators of this server.")
    if allowed:
        picked = st.selectbox("Who is annotating?", allowed, index=None, key="annotator_pick")
    else:
        picked = st.text_input("Your name (it keeps your answers apart from others')",
                               key="annotator_pick").strip()
    if picked:
        st.session_state.annotator = picked
        st.query_params["session"] = picked
        st.rerun()
    return None


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


# -- state of this browser session -------------------------------------------
def _state() -> st.runtime.state.SessionStateProxy:
    ss = st.session_state
    ss.setdefault("ann_handled", set())     # component event ids acted on
    ss.setdefault("ann_revision", 0)        # bumped when Python replaces regions
    ss.setdefault("ann_draft", None)        # Draft of the task shown
    ss.setdefault("ann_reopened", None)     # Answered, while undo shows an answered task
    ss.setdefault("ann_notice", None)
    ss.setdefault("ann_error", None)        # why the last answer could not be saved
    return ss


def current_task(store: Store, dataset: Dataset, session: str, overlap: bool) -> Task | None:
    """The task to show. When the claim cannot be written (a full disk), the
    task already on screen stays, so the annotator's edits are not lost."""
    ss = st.session_state
    reopened: Answered | None = ss.ann_reopened
    if reopened is not None and reopened.task.dataset == dataset.name:
        return reopened.task
    try:
        return next_task(store, dataset.name, session, overlap)
    except StoreError as exc:
        held = ss.get("ann_current")
        task = get_task(store, held) if held is not None else None
        if task is None or task.dataset != dataset.name:
            raise
        if not ss.ann_error:
            st.error(md_text(f"{_sentence(exc.message)}; the next task cannot be reserved for you."),
                     icon=":material/database:")
        return task


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def task_name(task: Task) -> str:
    name = task.data.get("file")
    return str(name) if name else f"task {task.id}"


def draft_for(task: Task) -> Draft:
    ss = st.session_state
    draft: Draft | None = ss.ann_draft
    if draft is None or draft.task_id != task.id:
        reopened: Answered | None = ss.ann_reopened
        source = reopened.annotation if reopened and reopened.task.id == task.id else task.data
        draft = Draft(task.id, [dict(r) for r in source.get("audio_spans") or []],
                      source.get("transcript"), [dict(s) for s in source.get("spans") or []])
        ss.ann_draft = draft
    return draft


# -- answering ---------------------------------------------------------------
def submit(store: Store, dataset: Dataset, session: str, task: Task, answer: str,
           blocks: list[str], extra: dict | None = None) -> None:
    ss = st.session_state
    draft = draft_for(task)
    edits: dict = {"audio_spans": draft.regions}
    if "transcript" in blocks or "alignment" in blocks:
        edits["transcript"] = draft.transcript or ""
        segment = task.data.get("segment")
        if "transcript" in blocks and segment and not draft.regions and edits["transcript"].strip():
            # segment by segment transcription: the segment's times are the text's timestamps
            region = {"id": f"segment-{task.id}", "start": segment["start"], "end": segment["end"],
                      "label": "TRANSCRIPT", "text": edits["transcript"]}
            channel = (task.data.get("meta") or {}).get("channel")
            if channel is not None:
                region["channel"] = channel
            edits["audio_spans"] = [region]
    if "alignment" in blocks:
        text = draft.transcript or task.data.get("text") or ""
        edits.update({"text": text, "tokens": tokenize(text), "spans": draft.text_spans})
    edits.update(extra or {})
    reopened: Answered | None = ss.ann_reopened
    supersedes = reopened.annotation_id if reopened and reopened.task.id == task.id else None
    save_annotation(store, task, answer, session, edits=edits, view="+".join(blocks),
                    supersedes=supersedes)
    ss.ann_reopened = None
    ss.ann_draft = None
    ss.ann_notice = f"Saved {answer} on {task_name(task)}."


def skip(store: Store, session: str, task: Task, reason: str, blocks: list[str]) -> None:
    """Set `task` aside for everyone, with the reason it could not be annotated."""
    ss = st.session_state
    reopened: Answered | None = ss.ann_reopened
    supersedes = reopened.annotation_id if reopened and reopened.task.id == task.id else None
    skip_task(store, task, session, reason, view="+".join(blocks), supersedes=supersedes)
    ss.ann_reopened = None
    ss.ann_draft = None
    ss.ann_notice = f"Skipped {task_name(task)}: {reason}."


def not_saved_message(exc: StoreError) -> str:
    return (f"{_sentence(exc.message)}; your last answer is not saved. Your edits are still on this page: "
            f"answer again once that is fixed. (database: {exc.path})")


def undo(store: Store, dataset: Dataset, session: str) -> None:
    ss = st.session_state
    reopened: Answered | None = ss.ann_reopened
    before = reopened.created if reopened else None
    previous = previous_answer(store, dataset.name, session, before=before)
    if previous is None:
        ss.ann_notice = "Nothing to undo."
        return
    ss.ann_reopened = previous
    ss.ann_draft = None
    ss.ann_revision += 1
    ss.ann_notice = (f"Reopened {task_name(previous.task)} "
                     f"(answered {previous.annotation.get('answer')}): answer again to replace it.")


# -- rendering ---------------------------------------------------------------
def _label_specs(dataset: Dataset, settings: dict) -> list[dict]:
    colors = dataset_label_colors(dataset, settings)
    return [{"name": name, "color": colors[name], **({"key": str(i + 1)} if i < 9 else {})}
            for i, name in enumerate(dataset.labels)]


def render_waveform(store: Store, task: Task, dataset: Dataset, settings: dict, editable: bool,
                    draft: Draft) -> dict | None:
    """The component for this task; its value comes back with times in the file's time."""
    audio = prepared_audio(store, task, settings)
    value = waveform_editor(
        task_id=str(task.id), audio_url=audio.url, duration=audio.duration, peaks=audio.peaks,
        regions=audio.to_view(draft.regions), labels=_label_specs(dataset, settings), editable=editable,
        settings=settings, keymap=settings.get("keymap") or None,
        revision=st.session_state.ann_revision, key="annotate_waveform", file_name=audio.file_name,
        spectrogram_url=audio.spectrogram_url, spectrogram_offset=audio.offset,
    )
    if value is not None:
        value = {**value, "regions": audio.from_view(value.get("regions") or [])}
    return value


def prepared_audio(store: Store, task: Task, settings: dict) -> TaskAudio:
    """What the component needs for `task`; `Unshowable` when the audio cannot be prepared."""
    try:
        audio = task_audio(store, task, float(settings.get("segment_context", DEFAULT_CONTEXT)))
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001  (a header libsndfile or ffmpeg cannot read, ...)
        log.exception("task %s: preparing its audio failed", task.id)
        raise Unshowable(f"its audio could not be read ({short_reason(exc)})") from exc
    if audio.problem:
        raise Unshowable(audio.problem)
    return audio


def render_transcript(task: Task, draft: Draft) -> None:
    key = f"transcript-{task.id}-{st.session_state.ann_revision}"
    if key not in st.session_state:
        st.session_state[key] = draft.transcript if draft.transcript is not None else \
            (task.data.get("transcript") or "")
    draft.transcript = st.text_area("Transcript", key=key, height=110,
                                    placeholder="Type what is said. Keys do not fire while you type.")


def _region_name(region: dict) -> str:
    return f"{region.get('label') or '(no label)'} {region['start']:.2f}–{region['end']:.2f} s"


def render_alignment(task: Task, dataset: Dataset, settings: dict, draft: Draft) -> None:
    text = draft.transcript if draft.transcript is not None else (task.data.get("text") or "")
    tokens = tokenize(text)
    regions = {r["id"]: r for r in draft.regions}
    colors = dataset_label_colors(dataset, settings, [s["label"] for s in draft.text_spans])
    st.markdown(highlighted_html(text, draft.text_spans, colors), unsafe_allow_html=True)
    if not tokens:
        st.caption("Type a transcript above to label spans of it.")
        return
    rev = st.session_state.ann_revision
    cols = st.columns([4, 2, 3, 1], vertical_alignment="bottom")
    first, last = cols[0].select_slider(
        "Tokens", options=list(range(len(tokens))), value=(0, min(len(tokens) - 1, 0)),
        format_func=lambda i: tokens[i]["text"], key=f"align-range-{task.id}-{rev}")
    label = cols[1].selectbox("Label", dataset.labels or ["SPAN"], key=f"align-label-{task.id}-{rev}")
    link = cols[2].selectbox("Linked region", [None, *regions],
                             format_func=lambda rid: "none" if rid is None else _region_name(regions[rid]),
                             key=f"align-link-{task.id}-{rev}")
    if cols[3].button("Add", key=f"align-add-{task.id}-{rev}"):
        draft.text_spans.append(span_from_tokens(tokens, first, last, label, link))
        st.rerun()
    for i, span in enumerate(draft.text_spans):
        row = st.columns([6, 1], vertical_alignment="center")
        linked = regions.get(span.get("audio_span_id"))
        row[0].markdown(
            f"**{md_text(span['label'])}** “{md_text(text[span['start']:span['end']])}”"
            + (f" ↔ {md_text(_region_name(linked))}" if linked else ""))
        if row[1].button("Remove", key=f"align-del-{task.id}-{rev}-{i}"):
            draft.text_spans.pop(i)
            st.rerun()
    linked_text = {}
    for span in draft.text_spans:
        if span.get("audio_span_id") in regions:
            linked_text.setdefault(span["audio_span_id"], []).append(text[span["start"]:span["end"]])
    if linked_text:
        st.caption("Regions and their text: " + "; ".join(
            f"{md_text(_region_name(regions[rid]))} ↔ “{md_text(' / '.join(parts))}”"
            for rid, parts in linked_text.items()))


def highlighted_html(text: str, spans: list[dict], colors: dict[str, str]) -> str:
    """The transcript with labelled spans marked in their label's colour; everything escaped.

    One line of HTML (line breaks become `<br>`): a blank line would end the
    HTML block and let the rest be read as Markdown."""
    out, pos = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["start"] < pos:
            continue  # overlapping spans are listed below, not nested here
        color = colors[span["label"]]
        out.append(html.escape(text[pos:span["start"]]))
        out.append(f'<mark style="background:{html.escape(color)}33;border-bottom:2px solid '
                   f'{html.escape(color)}">{html.escape(text[span["start"]:span["end"]])}'
                   f'<sup> {html.escape(span["label"])}</sup></mark>')
        pos = span["end"]
    out.append(html.escape(text[pos:]))
    body = "".join(out).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return f'<div class="earmark-transcript" style="font-size:1.1rem;line-height:2">{body}</div>'


_HEADER_META = ("file", "duration", "channels", "channel")


def header_markdown(task: Task, reopened: bool) -> str:
    """The card's title line: file, duration, segment, channel; user strings as text."""
    data = task.data
    meta = data.get("meta") or {}
    segment = data.get("segment")
    parts = [
        md_text(meta.get("file") or data.get("file") or f"task {task.id}"),
        f"{meta['duration']:.1f} s" if _number(meta.get("duration")) else None,
        f"segment {segment['start']:.2f}–{segment['end']:.2f} s" if segment else None,
        f"channel {meta['channel'] + 1}" if meta.get("channel") is not None else
        (f"{meta['channels']} channels" if _number(meta.get("channels")) and meta["channels"] > 1 else None),
    ]
    return f"**{' · '.join(p for p in parts if p)}**" + (" · *reopened by undo*" if reopened else "")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def meta_caption(task: Task) -> str | None:
    """The task's other `meta` values (design.md: shown to the annotator), as text."""
    meta = task.data.get("meta") or {}
    rest = [f"{md_text(k)}: {md_text(v)}" for k, v in meta.items() if k not in _HEADER_META and v not in (None, "")]
    return " · ".join(rest) or None


def render_page() -> None:
    store = get_store()
    config = load_config()
    ss = _state()
    for failure in ss.pop("mark_failures", None) or []:
        st.warning(f"Not loaded: {md_text(failure)}")
    top = st.columns([2, 2, 3])
    with top[0]:
        dataset = choose_dataset(store)
    with top[1]:
        session = choose_annotator(config)
    if dataset is None or session is None:
        return
    settings = effective_settings(dataset, config)
    blocks = list(settings.get("blocks") or [dataset.view])
    overlap = bool(settings.get("feed_overlap"))
    keys = answer_keys(settings)
    task = current_task(store, dataset, session, overlap)
    ss.ann_current = task.id if task else None

    prog = progress(store, dataset.name, session)
    with top[2]:
        st.progress(prog.done / prog.tasks if prog.tasks else 1.0,
                    text=f"{prog.done} of {prog.tasks} tasks done · {prog.session_done} by {md_text(session)}")
    if ss.ann_error:
        st.error(md_text(ss.ann_error), icon=":material/database:")
    elif ss.ann_notice:
        st.caption(md_text(ss.ann_notice))

    def guarded(act, *args) -> None:
        """Run an answer; a database that refuses it leaves the task and its edits on screen."""
        try:
            act(*args)
            ss.ann_error = None
        except StoreError as exc:
            log.warning("answer not saved: %s", exc)
            ss.ann_error = not_saved_message(exc)

    def answer(action: str) -> None:
        if action == "undo":
            guarded(undo, store, dataset, session)
        elif ss.ann_current is not None and task is not None and ss.ann_current == task.id:
            guarded(submit, store, dataset, session, task, action, blocks)

    def skip_this(reason: str) -> None:
        if ss.ann_current is not None and task is not None and ss.ann_current == task.id:
            guarded(skip, store, session, task, reason, blocks)

    if task is None:
        st.success(f"No more tasks in {md_text(dataset.name)} for {md_text(session)}. Thank you!")
        st.button("Undo the last answer", key="btn_undo", on_click=answer, args=("undo",),
                  shortcut=keys["undo"])
        return

    try:
        problem = task_problem(store, task)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001  (whatever is wrong with it, the task can be skipped)
        log.exception("task %s: checking it failed", task.id)
        problem = f"it could not be checked ({short_reason(exc)})"
    if problem is None:
        slot = st.empty()
        try:
            with slot.container():
                render_task(store, dataset, session, task, settings, blocks, keys, answer, skip_this)
            return
        except StoreError:
            raise
        except Unshowable as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001
            log.exception("task %s: drawing it failed", task.id)
            problem = f"it could not be drawn ({short_reason(exc)})"
        slot.empty()
    render_unshowable(task, problem, keys, answer, skip_this)


def render_unshowable(task: Task, problem: str, keys: dict, answer, skip_this) -> None:
    """The error box for a task that cannot be shown, and the way past it."""
    st.error(f"**{md_text(task_name(task))}** cannot be shown: {md_text(problem)}. Skip it to go on; "
             "the reason is recorded with the skip, and the task is given to nobody else.",
             icon=":material/error:")
    # keys of their own: drawing the task may have failed after its own buttons were made
    with st.container(horizontal=True, key="skip_bar"):
        st.button(":material/skip_next: Skip this task", key=f"skip-broken-{task.id}", type="primary",
                  on_click=skip_this, args=(problem,), shortcut=keys["ignore"])
        st.button(":material/undo: Undo", key="btn_undo_unshown", on_click=answer, args=("undo",),
                  shortcut=keys["undo"])


def render_task(store: Store, dataset: Dataset, session: str, task: Task, settings: dict,
                blocks: list[str], keys: dict, answer, skip_this) -> None:
    ss = st.session_state
    st.markdown(header_markdown(task, ss.ann_reopened is not None))
    caption = meta_caption(task)
    if caption:
        st.caption(caption)

    draft = draft_for(task)
    editable = any(b in EDITABLE_BLOCKS for b in blocks)
    value = render_waveform(store, task, dataset, settings, editable, draft)
    if value is not None:
        draft.regions = value.get("regions", draft.regions)
        event = value.get("event") or {}
        if event.get("id") and event["id"] not in ss.ann_handled:
            ss.ann_handled.add(event["id"])
            if event.get("type") == "key" and event.get("action") in (*ANSWERS, "undo"):
                answer(event["action"])
                st.rerun()
    if "transcript" in blocks or "alignment" in blocks:
        render_transcript(task, draft)
    if "alignment" in blocks:
        render_alignment(task, dataset, settings, draft)

    labels = {"accept": ":material/check: Accept", "reject": ":material/close: Reject",
              "ignore": ":material/block: Ignore", "undo": ":material/undo: Undo"}
    with st.container(horizontal=True, key="answer_bar"):
        for action in ("accept", "reject", "ignore", "undo"):
            st.button(labels[action], key=f"btn_{action}", on_click=answer, args=(action,),
                      shortcut=keys[action], type="primary" if action == "accept" else "secondary")
        with st.popover("Audio does not play?"):
            reason = st.text_input("What is wrong", value="audio failed to load", key=f"skip-reason-{task.id}")
            st.button("Skip this task", key=f"skip-{task.id}", on_click=lambda: skip_this(reason))
