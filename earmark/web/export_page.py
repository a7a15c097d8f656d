"""The Export page: JSONL or CSV downloads, with the filters of Review."""

from __future__ import annotations

import io
import shlex

import streamlit as st

from earmark.formats.jsonl_csv import ExportFilter, export
from earmark.formats.export import export_archive
from earmark.formats.outfiles import safe_component
from earmark.db.queries.review import count_annotations, filter_sql
from earmark.db.store import get_store
from earmark.web.filters import filter_bar
from earmark.web.text import md_text

EXPORT_FORMATS = ["jsonl", "csv", "rttm", "textgrid", "vtt", "srt", "audacity", "transcript", "clips"]
FORMAT_NAMES = {"jsonl": "JSONL (Prodigy tasks)", "csv": "CSV (a row per region)", "rttm": "RTTM",
                "textgrid": "Praat TextGrid (zip)", "vtt": "WebVTT (zip)", "srt": "SRT (zip)",
                "audacity": "Audacity labels (zip)", "transcript": "Transcripts (zip)",
                "clips": "Audio clips + metadata.csv (zip)"}


def render_page() -> None:
    st.title("Export")
    store = get_store()
    filt = filter_bar(store, "export")
    if filt is None or filt.dataset is None:
        return
    cols = st.columns(3)
    fmt = cols[0].selectbox("Format", EXPORT_FORMATS, key="export_format",
                            format_func=lambda f: FORMAT_NAMES.get(f, f))
    drop_b64 = cols[1].checkbox("Drop base64 audio", value=True, key="export_drop_b64")
    unanswered = cols[2].checkbox("Include unanswered tasks", value=False, key="export_all")
    count = count_annotations(store, filt)
    st.caption(f"{count} annotations" + (" plus the unanswered tasks" if unanswered else "")
               + " · the download is built in memory; for very large exports, "
               f"{md_text(f'python -m earmark export {shlex.quote(filt.dataset)}')} streams to a file, "
               "also while this app runs")
    options = ExportFilter(include_unanswered=unanswered, keep_base64=not drop_b64,
                           where=filter_sql(filt))
    dataset = filt.dataset
    file_stem = safe_component(dataset, "export")   # the name offered to the browser

    if fmt in ("jsonl", "csv"):
        def build() -> bytes:
            # Runs only when the button is clicked (on its own thread), not on every rerun.
            out = io.StringIO()
            export(store, dataset, out, fmt, options)
            return out.getvalue().encode("utf-8")
        name = f"{file_stem}.{fmt}"
        mime = "application/jsonl" if fmt == "jsonl" else "text/csv"
    else:
        def build() -> bytes:
            return export_archive(store, dataset, fmt, options)[0]
        name = f"{file_stem}.rttm" if fmt == "rttm" else f"{file_stem}-{fmt}.zip"
        mime = "text/plain" if fmt == "rttm" else "application/zip"
        if fmt == "clips":
            st.caption("Clips: one WAV per region of the accepted annotations, with metadata.csv "
                       "(Hugging Face audiofolder layout).")
    # on_click="ignore": a rerun on click replaces the deferred `build` while the
    # browser is fetching it, and the download is lost now and then.
    st.download_button(f"Download {md_text(name)}", build, file_name=name, mime=mime,
                       type="primary", key="export_download", on_click="ignore")
