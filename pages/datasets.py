"""Datasets: what is loaded, with counts and durations."""

import pandas as pd
import streamlit as st

from earmark.datasets import list_datasets
from earmark.stats import dataset_stats
from earmark.store import get_store

st.title("Datasets")
store = get_store()
rows = []
for ds in list_datasets(store):
    stats = dataset_stats(store, ds.name)
    rows.append({
        "dataset": ds.name, "view": ds.view, "labels": ", ".join(ds.labels),
        "tasks": stats["tasks"], "answered": stats["answered"],
        "audio (min)": round(stats["audio_seconds"] / 60, 1),
    })
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
else:
    st.info("No dataset yet. Load one with `python -m earmark load DATASET FOLDER`.")
