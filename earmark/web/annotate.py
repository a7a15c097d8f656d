"""The Annotate page: one task at a time, answered by button or key.

The views of design.md are blocks: `audio` (waveform, regions read-only),
`audio_manual` (regions editable), `transcript` (a text field) and
`alignment` (editable regions plus text spans over the transcript's tokens,
each linkable to a region). A dataset's view is one block; its `blocks`
setting may combine several, e.g. `["audio_manual", "transcript"]`.

Every answer is committed to the database before the next task is shown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import streamlit as st

from components.waveform import waveform_editor
from earmark.annotations import ANSWERS, Task, save_annotation
from earmark.datasets import Dataset, get_dataset, list_datasets
from earmark.feed import Answered, next_task, previous_answer, progress
from earmark.settings import effective_settings, load_config
from earmark.store import Store, get_store
from earmark.tokenize import span_from_tokens, tokenize
from earmark.web.label_colors import dataset_label_colors
from earmark.web.task_audio import DEFAULT_CONTEXT, task_audio

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
        st.error(f"{name!r} is not on the list of annotators of this server.")
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
    return ss


def current_task(store: Store, dataset: Dataset, session: str, overlap: bool) -> Task | None:
    reopened: Answered | None = st.session_state.ann_reopened
    if reopened is not None and reopened.task.dataset == dataset.name:
        return reopened.task
    return next_task(store, dataset.name, session, overlap)


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
    ss.ann_notice = f"Saved {answer} on {task.data.get('file') or f'task {task.id}'}."


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
    ss.ann_notice = (f"Reopened {previous.task.data.get('file') or previous.task.id} "
                     f"(answered {previous.annotation.get('answer')}): answer again to replace it.")


# -- rendering ---------------------------------------------------------------
def _label_specs(dataset: Dataset, settings: dict) -> list[dict]:
    colors = dataset_label_colors(dataset, settings)
    return [{"name": name, "color": colors[name], **({"key": str(i + 1)} if i < 9 else {})}
            for i, name in enumerate(dataset.labels)]


def render_waveform(store: Store, task: Task, dataset: Dataset, settings: dict, editable: bool,
                    draft: Draft) -> dict | None:
    """The component for this task; its value comes back with times in the file's time."""
    audio = task_audio(store, task, float(settings.get("segment_context", DEFAULT_CONTEXT)))
    if audio.problem:
        st.warning(audio.problem)
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
            f"**{html.escape(span['label'])}** “{html.escape(text[span['start']:span['end']])}”"
            + (f" ↔ {html.escape(_region_name(linked))}" if linked else ""))
        if row[1].button("Remove", key=f"align-del-{task.id}-{rev}-{i}"):
            draft.text_spans.pop(i)
            st.rerun()
    linked_text = {}
    for span in draft.text_spans:
        if span.get("audio_span_id") in regions:
            linked_text.setdefault(span["audio_span_id"], []).append(text[span["start"]:span["end"]])
    if linked_text:
        st.caption("Regions and their text: " + "; ".join(
            f"{_region_name(regions[rid])} ↔ “{' / '.join(parts)}”" for rid, parts in linked_text.items()))


def highlighted_html(text: str, spans: list[dict], colors: dict[str, str]) -> str:
    """The transcript with labelled spans marked in their label's colour; everything escaped."""
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
    return f'<div class="earmark-transcript" style="font-size:1.1rem;line-height:2">{"".join(out)}</div>'


def render_page() -> None:
    store = get_store()
    config = load_config()
    ss = _state()
    for failure in ss.pop("mark_failures", None) or []:
        st.warning(f"Not loaded: {failure}")
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
                    text=f"{prog.done} of {prog.tasks} tasks done · {prog.session_done} by {session}")
    if ss.ann_notice:
        st.caption(ss.ann_notice)

    def answer(action: str) -> None:
        if action == "undo":
            undo(store, dataset, session)
        elif ss.ann_current is not None and task is not None and ss.ann_current == task.id:
            submit(store, dataset, session, task, action, blocks)

    if task is None:
        st.success(f"No more tasks in {dataset.name} for {session}. Thank you!")
        st.button("Undo the last answer", key="btn_undo", on_click=answer, args=("undo",),
                  shortcut=keys["undo"])
        return

    reopened = ss.ann_reopened
    meta = task.data.get("meta") or {}
    header = " · ".join(html.escape(str(v)) for v in (
        meta.get("file") or task.data.get("file"),
        f"{meta['duration']:.1f} s" if isinstance(meta.get("duration"), (int, float)) else None,
        (f"segment {task.data['segment']['start']:.2f}–{task.data['segment']['end']:.2f} s"
         if task.data.get("segment") else None),
        f"channel {meta['channel'] + 1}" if meta.get("channel") is not None else
        (f"{meta['channels']} channels" if (meta.get("channels") or 1) > 1 else None),
    ) if v)
    st.markdown(f"**{header}**" + (" · *reopened by undo*" if reopened else ""))

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
            if st.button("Skip this task", key=f"skip-{task.id}"):
                submit(store, dataset, session, task, "ignore", blocks, extra={"_skip_reason": reason})
                st.rerun()
