"""The Export page: JSONL or CSV downloads, with the filters of Review."""

from __future__ import annotations

import io

import streamlit as st

from earmark.export import ExportFilter, export
from earmark.review import filter_sql, review_table
from earmark.store import get_store
from earmark.web.filters import filter_bar


def render_page() -> None:
    st.title("Export")
    store = get_store()
    filt = filter_bar(store, "export")
    if filt is None:
        return
    cols = st.columns(3)
    fmt = cols[0].radio("Format", ["jsonl", "csv"], horizontal=True, key="export_format")
    drop_b64 = cols[1].checkbox("Drop base64 audio", value=True, key="export_drop_b64")
    unanswered = cols[2].checkbox("Include unanswered tasks", value=False, key="export_all")
    _, count = review_table(store, filt, limit=0)
    st.caption(f"{count} annotations" + (" plus the unanswered tasks" if unanswered else ""))
    options = ExportFilter(include_unanswered=unanswered, keep_base64=not drop_b64,
                           where=filter_sql(filt))
    dataset = filt.dataset

    def build() -> bytes:
        # Runs only when the button is clicked (on its own thread), not on every rerun.
        out = io.StringIO()
        export(store, dataset, out, fmt, options)
        return out.getvalue().encode("utf-8")

    st.download_button(f"Download {dataset}.{fmt}", build, file_name=f"{dataset}.{fmt}",
                       mime="application/jsonl" if fmt == "jsonl" else "text/csv",
                       type="primary", key="export_download")
