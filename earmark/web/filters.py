"""The filter bar shared by Review and Export."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from earmark.annotations import ANSWERS
from earmark.datasets import list_datasets
from earmark.db.queries.review import ReviewFilter, annotators, labels_in_use
from earmark.db.store import Store


def filter_bar(store: Store, prefix: str) -> ReviewFilter | None:
    datasets = [d.name for d in list_datasets(store)]
    if not datasets:
        st.info("No dataset yet.")
        return None
    cols = st.columns([2, 2, 2, 2])
    dataset = cols[0].selectbox("Dataset", datasets, index=default_dataset_index(datasets),
                                key=f"{prefix}_dataset")
    answers = cols[1].multiselect("Answer", ANSWERS, key=f"{prefix}_answers")
    chosen_sessions = cols[2].multiselect("Annotator", annotators(store, dataset), key=f"{prefix}_sessions")
    chosen_labels = cols[3].multiselect("Label", labels_in_use(store, dataset), key=f"{prefix}_labels")
    cols = st.columns([4, 2, 2])
    file = cols[0].text_input("File name contains", key=f"{prefix}_file")
    since = cols[1].date_input("From", value=None, key=f"{prefix}_since")
    until = cols[2].date_input("To", value=None, key=f"{prefix}_until")
    return ReviewFilter(dataset=dataset, answers=answers, labels=chosen_labels, sessions=chosen_sessions,
                        file=file.strip(), since=since if isinstance(since, dt.date) else None,
                        until=until if isinstance(until, dt.date) else None)


def default_dataset_index(names: list[str]) -> int:
    """The dataset named in the URL (?dataset=) or chosen on Annotate, else the first."""
    wanted = st.query_params.get("dataset") or st.session_state.get("annotate_dataset")
    return names.index(wanted) if wanted in names else 0
