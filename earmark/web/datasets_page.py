"""The Datasets page."""

from __future__ import annotations

import json
from pathlib import Path

from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from earmark.datasets import Dataset, DatasetError, check_dataset_name, ensure_dataset, get_dataset, list_datasets
from earmark.loading.loader import LoadReport, load_sources, load_uploads
from earmark.loading.longform import make_options
from earmark.db.media import media_dir
from earmark.formats.registry import spans_titles
from earmark.models.registry import ModelError, model_problems, offered_models, resolve_offered
from earmark.audio.probe import AUDIO_EXTENSIONS
from earmark.loading.segment import parse_segment_spec
from earmark.settings import SettingsError, configured_models, effective_settings, load_config
from earmark.loading.sources import iter_audio_files
from earmark.db.queries.statistics import dataset_stats
from earmark.db.store import get_store
from earmark.web.main import PAGES_DIR
from earmark.web.text import md_text
from earmark.views import view_names


NO_MODEL = "(none)"


def _configured_models() -> dict[str, str]:
    """earmark.json's `models`; a broken entry is shown and only the built-ins are offered."""
    try:
        return configured_models(load_config())
    except SettingsError as exc:
        st.warning(f"Only the built-in models are offered: {md_text(exc)}")
        return {}


def _labels(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _count_items(paths: list[Path]) -> int | None:
    """How many items a load will go through, for the progress bar (None: unknown)."""
    total = 0
    for p in paths:
        if p.is_dir():
            total += sum(1 for _ in iter_audio_files(p))
        elif p.suffix.lower() in (".jsonl", ".ndjson"):
            with open(p, "rb") as fh:
                total += sum(1 for line in fh if line.strip())
        else:
            total += 1
    return total or None


def annotate_link(name: str) -> None:
    """A link that opens the Annotate page (st.navigation's, earmark/web/main.py) on dataset `name`."""
    label = f"Annotate {md_text(name)}"
    session = st.query_params.get("session") or st.session_state.get("annotator")
    query = {"dataset": name, **({"session": session} if session else {})}   # the name given stays
    try:
        st.page_link(str(PAGES_DIR / "annotate.py"), label=label, icon=":material/graphic_eq:",
                     query_params=query)
    except StreamlitPageNotFoundError:   # this page run on its own, without the app's navigation
        st.markdown(f"[{label}](annotate?{urlencode(query)})")


def show_report(report: LoadReport, name: str | None = None) -> None:
    st.success(f"Added {report.added} tasks, skipped {report.skipped} duplicates, "
               f"failed {report.failed}.")
    if name is not None and report.added + report.skipped:
        annotate_link(name)
    if report.labels_added:
        st.info("Labels added from the pre-annotations: " + ", ".join(map(md_text, report.labels_added)))
    if report.failures:
        st.error(f"{report.failed} could not be loaded:")
        st.dataframe(pd.DataFrame([{"source": f.origin, "reason": f.reason} for f in report.failures]),
                     hide_index=True, width="stretch")


def overview() -> None:
    store = get_store()
    rows = []
    for ds in list_datasets(store):
        stats = dataset_stats(store, ds.name)
        rows.append({"dataset": ds.name, "view": ds.view, "labels": ", ".join(ds.labels),
                     "tasks": stats["tasks"], "answers": stats["answered"],
                     "audio (min)": round(stats["audio_seconds"] / 60, 1)})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("No dataset yet: create one below, or with `python -m earmark load DATASET FOLDER`.")


def create_form() -> None:
    store = get_store()
    st.subheader("Add recordings")
    name = st.text_input("Dataset (new or existing)", key="new_name")
    cols = st.columns(2)
    views = view_names()
    view = cols[0].selectbox("View", views, index=views.index("audio_manual"), key="new_view")
    labels = cols[1].text_input("Labels, comma-separated", key="new_labels", placeholder="SPEECH, NOISE")
    folder = st.text_input("A folder or JSONL file on the server", key="new_folder",
                           placeholder="/data/recordings")
    # the browser's file dialog offers these; load_uploads refuses anything else anyway
    uploads = st.file_uploader("…or upload audio files or a JSONL file", accept_multiple_files=True,
                               key="new_uploads", type=[*(e.lstrip(".") for e in AUDIO_EXTENSIONS),
                                                        "jsonl", "ndjson", "json"])
    with st.expander("Long recordings and pre-annotation"):
        segment = st.text_input("Cut into segments", key="new_segment", placeholder="silence, window:30 or asr",
                                help="'silence', 'silence:min_silence=0.3,max=20', 'window:SECONDS[:OVERLAP]', "
                                     "or 'asr' (one task per recognised utterance, with its words)")
        split = st.checkbox("One task per channel", key="new_split")
        # a fixed list: a page never names a module to import (design.md, "Command line")
        configured = _configured_models()
        for problem in model_problems().values():
            st.warning(f"Not offered: model {md_text(problem)}")
        model = st.selectbox("Pre-annotate with", [NO_MODEL, *offered_models(configured)], key="new_model",
                             help="the built-in models, those of the packages installed on the server, "
                                  "and those earmark.json lists under `models`")
        spans = st.text_input("Pre-annotations on the server", key="new_spans", placeholder="/data/reference.rttm",
                              help=f"a spans file, matched to the audio by file stem: {spans_titles()}")
    if not st.button("Load", type="primary", key="new_load"):
        return
    if not name.strip():
        st.error("Give the dataset a name.")
        return
    if not folder.strip() and not uploads:
        st.error("Name a folder or JSONL file on the server, or upload files.")
        return
    existing = get_dataset(store, name.strip())
    if existing is None:
        try:
            check_dataset_name(name.strip())
        except DatasetError as exc:
            st.error(md_text(exc))
            return
    bar = st.progress(0.0, text="Reading…")
    paths = [Path(folder.strip()).expanduser()] if folder.strip() else []
    total = _count_items(paths) if paths else len(uploads or [])

    reached = [0]

    def progress(done: int, origin: str) -> None:
        reached[0] = done
        fraction = min(1.0, done / total) if total else 0.0
        bar.progress(fraction, text=f"{done} of {total or '?'} · {md_text(Path(origin).name)}")

    def file_progress(origin: str, fraction: float, detail: str) -> None:
        # inside one file while a model runs: the file's share of the bar, and what is being done
        done = reached[0] - 1 + fraction
        bar.progress(min(1.0, done / total) if total else fraction,
                     text=f"{reached[0]} of {total or '?'} · {md_text(Path(origin).name)} · {md_text(detail)}")

    chosen = model if model and model != NO_MODEL else ""
    try:
        # the models' settings (asr_model, language, ...) are the dataset's (earmark.json's for a new one)
        settings = effective_settings(existing or Dataset(name.strip(), view="")) \
            if chosen or segment.strip() else {}
        longform = make_options(
            split_channels=split, segment=parse_segment_spec(segment) if segment.strip() else None,
            model=resolve_offered(chosen, configured, media_dir(store), settings) if chosen else None,
            model_name=chosen, settings=settings)
    except (ValueError, ModelError, SettingsError) as exc:
        st.error(md_text(exc))
        return
    try:
        kwargs = dict(view=None if existing else view, labels=_labels(labels) or None, progress=progress,
                      longform=longform, file_progress=file_progress)
        if paths:
            report = load_sources(store, name.strip(), paths, spans=[spans.strip()] if spans.strip() else (),
                                  **kwargs)
        else:
            # audio is kept only when it probes as audio; JSONL is read from a temporary folder
            report = load_uploads(store, name.strip(), [(u.name, u.getvalue()) for u in uploads], **kwargs)
    except DatasetError as exc:
        st.error(md_text(exc))
        return
    bar.progress(1.0, text="Done")
    show_report(report, name.strip())


def edit_form() -> None:
    store = get_store()
    datasets = list_datasets(store)
    if not datasets:
        return
    st.subheader("Edit a dataset")
    name = st.selectbox("Dataset", [d.name for d in datasets], key="edit_name")
    ds = get_dataset(store, name)
    if ds is None:   # dropped since the list was read
        return
    with st.form(f"edit-{name}"):
        # keyed by dataset so a save, which changes the defaults, keeps the widgets
        views = list(dict.fromkeys([*view_names(), ds.view]))   # a view no longer defined stays shown
        view = st.selectbox("View", views, index=views.index(ds.view), key=f"edit-view-{name}")
        labels = st.text_input("Labels of this dataset, comma-separated", value=", ".join(ds.labels),
                               key=f"edit-labels-{name}")
        settings = st.text_area("Settings (JSON: keymap, audio_* settings, custom_theme, "
                                "feed_overlap, blocks)", value=json.dumps(ds.settings, indent=2),
                                key=f"edit-settings-{name}")
        if st.form_submit_button("Save"):
            try:
                parsed = json.loads(settings or "{}")
                if not isinstance(parsed, dict):
                    raise ValueError("settings must be a JSON object")
            except (json.JSONDecodeError, ValueError) as exc:
                st.error(f"Settings not saved: {md_text(exc)}")
                return
            ensure_dataset(store, name, view=view, labels=_labels(labels), settings=parsed)
            st.success(f"Saved {md_text(name)}.")


def render_page() -> None:
    st.title("Datasets")
    st.caption("The datasets of this server; add recordings to a new or existing one, or edit one's "
               "labels and settings.")
    table = st.container()
    left, right = st.columns(2, gap="large")
    with left:
        create_form()
    with right:
        edit_form()
    with table:   # drawn last, so that it lists what a Load or a Save just changed
        overview()
