"""The Review page: a filtered table; open one annotation to listen and correct it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from components.waveform import waveform_editor
from earmark.annotations import ANSWERS, get_task, save_annotation
from earmark.datasets import get_dataset
from earmark.db.queries.review import annotation_history, annotation_keys, annotations_of_task, review_table
from earmark.review import changes_from_pre_annotation
from earmark.profiles import schedule_update
from earmark.settings import effective_settings
from earmark.db.store import get_store
from earmark.web.filters import filter_bar
from earmark.web.task_audio import DEFAULT_CONTEXT, task_audio
from earmark.web.text import md_text
from earmark.views import Block, review_blocks


def _waveform(store, task, regions, labels, settings, editable: bool, key: str, revision: int = 0):
    """The component for one version of a task; returns its value in the file's time."""
    audio = task_audio(store, task, float(settings.get("segment_context", DEFAULT_CONTEXT)))
    value = waveform_editor(
        task_id=f"review-{task.id}", audio_url=audio.url, duration=audio.duration, peaks=audio.peaks,
        regions=audio.to_view(regions), labels=labels, editable=editable, settings=settings,
        revision=revision, key=key, file_name=audio.file_name, height=90 if not editable else None,
        spectrogram_url=audio.spectrogram_url, spectrogram_offset=audio.offset)
    if value is not None:
        value = {**value, "regions": audio.from_view(value.get("regions") or [])}
    return value


# -- the blocks' edits (earmark.views.review_blocks); the regions are the waveform's above
def _review_transcript(block: Block, annotation: dict, annotation_id: int) -> dict:
    return {"transcript": st.text_area("Transcript", value=annotation.get("transcript") or "",
                                       key=f"review-transcript-{annotation_id}")}


def _review_text_spans(block: Block, annotation: dict, annotation_id: int) -> dict:
    """The labelled text spans, each with its text and the region it is linked to."""
    raw_text = annotation.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    spans = [s for s in annotation.get("spans") or [] if isinstance(s, dict)]
    st.markdown(f"**Text spans:** {len(spans)}")
    if spans:
        # st.table renders its cells as Markdown: user text is shown as text
        st.table(pd.DataFrame([{"label": md_text(s.get("label") or ""),
                                "text": md_text(text[s["start"]:s["end"]]) if _span_in(s, text) else "",
                                "region": md_text(s.get("audio_span_id") or "")} for s in spans]))
    return {}


def _span_in(span: dict, text: str) -> bool:
    start, end = span.get("start"), span.get("end")
    return isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)


def _review_as_json(block: Block, annotation: dict, annotation_id: int) -> dict:
    """A block Review has no widget for: what it added, as it is stored."""
    added = {k: annotation[k] for k in block.adds if k in annotation and k != "audio_spans"}
    if added:
        st.markdown(f"**{md_text(block.title)}**")
        st.json(added)
    return {}


REVIEW_PARTS = {"waveform": lambda *a: {}, "regions": lambda *a: {},
                "transcript": _review_transcript, "text_spans": _review_text_spans}


def _channel_name(channel: object) -> str:
    """A region's 0-based channel as people count it: "1" is the left; "all" for every channel."""
    return str(channel + 1) if isinstance(channel, int) and not isinstance(channel, bool) else "all"


def _task_channel(task) -> str | None:
    """"channel 2" for the task of one channel (`meta.channel` 1), as the card's header says it."""
    channel = (task.data.get("meta") or {}).get("channel")
    return f"channel {channel + 1}" if isinstance(channel, int) and not isinstance(channel, bool) else None


def open_annotation(store, annotation_id: int) -> None:
    history = annotation_history(store, annotation_id)
    if not history:
        return
    current = history[0]["annotation"]
    keys = annotation_keys(store, annotation_id)
    task = get_task(store, keys["task_id"]) if keys and keys["task_id"] is not None else None
    if keys is None or task is None:
        st.warning("The task of this annotation is no longer in the database.")
        return
    dataset = get_dataset(store, keys["dataset"])
    annotator = keys["session"]
    settings = effective_settings(dataset)
    labels = list(dict.fromkeys([*(dataset.labels if dataset else []),
                                 *(r.get("label") for r in current.get("audio_spans") or [] if r.get("label"))]))
    st.subheader(" · ".join(md_text(v) for v in (current.get("file") or task.id, _task_channel(task), annotator,
                                                 current.get("answer")) if v is not None))
    value = _waveform(store, task, current.get("audio_spans") or [], labels, settings, True,
                      key="review_waveform", revision=annotation_id)
    regions = value["regions"] if value else current.get("audio_spans") or []
    corrected: dict = {}
    for block in review_blocks(current):
        corrected.update(REVIEW_PARTS.get(block.name, _review_as_json)(block, current, annotation_id))
    cols = st.columns([2, 2, 4])
    answer = cols[0].selectbox("Answer", ANSWERS, index=ANSWERS.index(current.get("answer", "accept")),
                               key=f"review-answer-{annotation_id}")
    reviewer = st.session_state.get("annotator") or "reviewer"
    if cols[1].button("Save correction", type="primary", key=f"review-save-{annotation_id}"):
        edits = {k: v for k, v in current.items() if not k.startswith("_") and k != "answer"}
        edits["audio_spans"] = regions
        edits.update(corrected)
        edits["_reviewed_by"] = reviewer
        new_id = save_annotation(store, task, answer, annotator, edits=edits, view=current.get("_view_id"),
                                 supersedes=annotation_id)
        schedule_update(store, task.dataset)   # the voice profiles learn from the correction too
        st.session_state.review_selected = new_id
        st.success("Saved as a new version; the earlier one is kept in the history.")
        st.rerun()
    proposed = task.data.get("audio_spans") or []
    if proposed:
        diff = changes_from_pre_annotation(proposed, current.get("audio_spans") or [])
        counts = {k: len(v) for k, v in diff.items()}
        with_channels = any(r.get("channel") is not None for regions in diff.values() for r in regions)
        st.markdown("**Against the pre-annotation:** " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        # st.table renders its cells as Markdown: labels are shown as text
        rows = [{"change": kind, "label": md_text(r.get("label") or ""),
                 **({"channel": _channel_name(r.get("channel"))} if with_channels else {}),
                 "start": r["start"], "end": r["end"],
                 "before": (md_text(f"{r['before'].get('label')} {r['before']['start']:.3f}–"
                                    f"{r['before']['end']:.3f}") if "before" in r else "")}
                for kind, regions in diff.items() for r in regions]
        if rows:
            st.table(pd.DataFrame(rows).style.format(precision=3))
    with st.expander(f"History: {len(history)} version(s)"):
        for version in history:
            a = version["annotation"]
            when = dt.datetime.fromtimestamp(version["created"]).strftime("%Y-%m-%d %H:%M:%S")
            st.markdown(f"**#{version['id']}** {when} · {md_text(a.get('answer'))} · "
                        f"{len(a.get('audio_spans') or [])} regions"
                        + (f" · reviewed by {md_text(a['_reviewed_by'])}" if a.get("_reviewed_by") else ""))
    others = annotations_of_task(store, task.id)
    if len(others) > 1:
        st.markdown("**Every annotator on this task**")
        for i, (session, annotation) in enumerate(others):
            st.caption(f"{md_text(session)} · {md_text(annotation.get('answer'))}")
            _waveform(store, task, annotation.get("audio_spans") or [], labels, settings, False,
                      key=f"review-compare-{i}")


def render_page() -> None:
    st.title("Review")
    st.caption("The answers given, to listen to and correct; filter them by dataset, answer, "
               "annotator, label, file or date.")
    store = get_store()
    filt = filter_bar(store, "review")
    if filt is None:
        return
    frame, count = review_table(store, filt)
    st.caption(f"{count} annotations match" + (f"; the newest {len(frame)} are listed" if count > len(frame) else "")
               + ". Select a row to listen to it and correct it.")
    event = st.dataframe(frame.drop(columns=["task_id"]), hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", key="review_table")
    rows = event.selection.rows if event and event.selection else []
    if rows:
        st.session_state.review_selected = int(frame.iloc[rows[0]]["id"])
    selected = st.session_state.get("review_selected")
    if selected is not None:
        open_annotation(store, selected)
