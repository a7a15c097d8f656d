"""The Export page: JSONL or CSV downloads, with the filters of Review."""

from __future__ import annotations

import io
import shlex

import streamlit as st

from earmark.formats.jsonl_csv import FORMATS as RECORD_FORMATS
from earmark.formats.jsonl_csv import ExportFilter, export
from earmark.formats.export import export_archive
from earmark.formats.registry import format_named, get_format, plugin_problems, writers
from earmark.formats.outfiles import safe_component
from earmark.db.queries.review import count_annotations, filter_sql
from earmark.db.store import get_store
from earmark.web.filters import filter_bar
from earmark.web.text import md_text


def export_formats() -> list[str]:
    """The formats offered, in the registry's order."""
    return [f.name for f in writers()]


def format_name(name: str) -> str:
    fmt = get_format(name)
    return fmt.label if fmt else name


def _with_code(text: str) -> str:
    """Markdown of `text` whose `backticked` parts are code (a field's name) and the rest plain text."""
    parts = text.split("`")
    if len(parts) % 2 == 0:          # an unpaired backtick: all of it as text
        return md_text(text)
    return "".join(f"`{p}`" if i % 2 else md_text(p) for i, p in enumerate(parts))


def render_page() -> None:
    st.title("Export")
    st.caption("The answers of a dataset as a file, in the format your tools read; the filters choose "
               "which.")
    store = get_store()
    filt = filter_bar(store, "export")
    if filt is None or filt.dataset is None:
        return
    for problem in plugin_problems():   # a plug-in that failed to load, named; the rest are offered
        st.warning(md_text(problem))
    cols = st.columns(3)
    fmt = cols[0].selectbox("Format", export_formats(), key="export_format", format_func=format_name)
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

    chosen = format_named(fmt)   # the select box offers registered names only
    if fmt in RECORD_FORMATS:
        def build() -> bytes:
            # Runs only when the button is clicked (on its own thread), not on every rerun.
            out = io.StringIO()
            export(store, dataset, out, fmt, options)
            return out.getvalue().encode("utf-8")
    else:
        def build() -> bytes:
            return export_archive(store, dataset, fmt, options)[0]
    if chosen.archived:
        name, mime = f"{file_stem}-{fmt}.zip", "application/zip"
    else:
        name, mime = f"{file_stem}{chosen.file_suffix}", chosen.mime
    if chosen.help:
        st.caption(f"{md_text(chosen.title)}: {md_text(chosen.help)}."
                   + (f" Channels: {_with_code(chosen.channels)}." if chosen.channels else ""))
    # on_click="ignore": a rerun on click replaces the deferred `build` while the
    # browser is fetching it, and the download is lost now and then.
    st.download_button(f"Download {md_text(name)}", build, file_name=name, mime=mime,
                       type="primary", key="export_download", on_click="ignore")
