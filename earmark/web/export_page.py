"""The Export page: JSONL or CSV downloads, with the filters of Review."""

from __future__ import annotations

import io

import streamlit as st

from earmark.export import ExportFilter, write_csv, write_jsonl, iter_records
from earmark.review import ReviewFilter
from earmark.store import get_store
from earmark.web.filters import filter_bar


def matches(record: dict, filt: ReviewFilter) -> bool:
    """The filters the export query does not apply itself (labels, file, dates)."""
    import datetime as dt
    if filt.labels and not {s.get("label") for s in record.get("audio_spans") or []} & set(filt.labels):
        return False
    if filt.file and filt.file.lower() not in str(record.get("file") or "").lower():
        return False
    stamp = record.get("_timestamp")
    if stamp is not None:
        day = dt.date.fromtimestamp(stamp)
        if (filt.since and day < filt.since) or (filt.until and day > filt.until):
            return False
    return True


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
    records = (r for r in iter_records(store, filt.dataset, ExportFilter(
        answers=filt.answers or None, sessions=filt.sessions or None,
        include_unanswered=unanswered, keep_base64=not drop_b64)) if matches(r, filt))
    out = io.StringIO()
    count = write_jsonl(records, out) if fmt == "jsonl" else write_csv(records, out)
    st.caption(f"{count} records")
    st.download_button(f"Download {filt.dataset}.{fmt}", out.getvalue().encode("utf-8"),
                       file_name=f"{filt.dataset}.{fmt}",
                       mime="application/jsonl" if fmt == "jsonl" else "text/csv",
                       type="primary", key="export_download")
