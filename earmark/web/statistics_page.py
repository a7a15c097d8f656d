"""The Statistics page."""

from __future__ import annotations

import streamlit as st

from earmark.datasets import list_datasets
from earmark.review import agreement, annotations_per_hour, label_totals, progress_by_annotator, region_durations
from earmark.stats import dataset_stats
from earmark.store import get_store
from earmark.web.filters import default_dataset_index


def render_page() -> None:
    st.title("Statistics")
    store = get_store()
    datasets = [d.name for d in list_datasets(store)]
    if not datasets:
        st.info("No dataset yet.")
        return
    name = st.selectbox("Dataset", datasets, index=default_dataset_index(datasets), key="stats_dataset")
    stats = dataset_stats(store, name)
    cols = st.columns(5)
    cols[0].metric("Tasks", stats["tasks"])
    cols[1].metric("Answered", stats["answered"])
    for col, answer in zip(cols[2:], ("accept", "reject", "ignore")):
        col.metric(answer.capitalize(), stats["answers"].get(answer, 0))
    st.caption(f"{stats['audio_seconds'] / 60:.1f} minutes of audio")

    st.subheader("Progress by annotator")
    st.dataframe(progress_by_annotator(store, name), hide_index=True, width="stretch")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Labels")
        totals = label_totals(store, name)
        if len(totals):
            st.table(totals.set_index("label"))
        else:
            st.caption("No regions yet.")
    with right:
        st.subheader("Region durations")
        durations = region_durations(store, name)
        if len(durations):
            st.bar_chart(durations, x="seconds", y="regions", color="label", x_label="duration (s)",
                         y_label="regions")
        else:
            st.caption("No regions yet.")
    st.subheader("Annotations per hour")
    pace = annotations_per_hour(store, name)
    if len(pace):
        st.bar_chart(pace, x="hour", y="annotations", color="annotator")
    st.subheader("Agreement on shared tasks")
    agree = agreement(store, name)
    if len(agree):
        st.dataframe(agree, hide_index=True, width="stretch")
        st.caption("F1 per label: seconds labelled alike by both (time overlap). "
                   "Kappa: Cohen's kappa on accept/reject of the tasks both answered.")
    else:
        st.caption("No task has been answered by two annotators yet.")
