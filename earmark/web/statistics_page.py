"""The Statistics page."""

from __future__ import annotations

import streamlit as st

from earmark.datasets import DEFAULT_VIEW, Dataset, get_dataset, list_datasets
from earmark.agreement import agreement
from earmark.db.queries.statistics import (OUTCOMES, annotations_per_hour, dataset_stats, dataset_version,
                                            label_totals, progress_by_annotator, proposal_comparison,
                                            region_durations, tasks_done)
from earmark.settings import effective_settings
from earmark.db.store import get_store, open_store
from earmark.web.filters import default_dataset_index
from earmark.web.label_colors import dataset_label_colors
from earmark.web.text import md_text


def count_axis(title: str):
    """A y axis of counts: whole numbers only (no 0.2 of a region)."""
    import altair as alt
    return alt.Axis(title=title, tickMinStep=1, format="d")


def duration_histogram(durations, colors: dict[str, str]):
    """Stacked bars on a true seconds axis (a plain bar chart would space the
    bins as categories and label them with odd bin starts) over the bins there
    are, from the first bin's start to the last one's end, in the labels'
    waveform colours."""
    import altair as alt
    domain = [float(durations["seconds"].min()), float(durations["upto"].max())]
    return alt.Chart(durations).mark_bar().encode(
        x=alt.X("seconds:Q", title="duration (s)", scale=alt.Scale(domain=domain, nice=False, zero=False)),
        x2="upto:Q",
        y=alt.Y("sum(regions):Q", stack="zero", axis=count_axis("regions")),
        color=alt.Color("label:N", title="label",
                        scale=alt.Scale(domain=list(colors), range=list(colors.values()))),
        tooltip=["label", "regions", alt.Tooltip("seconds:Q", title="from (s)"),
                 alt.Tooltip("upto:Q", title="to (s)")])


def pace_chart(pace):
    """Current answers per hour, stacked by annotator, on a time axis."""
    import altair as alt
    return alt.Chart(pace).mark_bar().encode(
        x=alt.X("yearmonthdatehours(hour):O", title="hour"),
        y=alt.Y("sum(annotations):Q", stack="zero", axis=count_axis("answers")),
        color=alt.Color("annotator:N", title="annotator"),
        tooltip=[alt.Tooltip("yearmonthdatehours(hour):O", title="hour"), "annotator", "annotations"])


@st.cache_data(max_entries=32, show_spinner=False)
def _figures(db_key: str, dataset: str, version: tuple) -> dict:
    """Every figure of the page, computed once per state of the dataset.

    `version` (newest annotation id, annotation and task counts) changes with
    every answer, correction or load, so a cached figure is never stale.
    """
    store = open_store(db_key)
    return {
        "stats": dataset_stats(store, dataset),
        "done": tasks_done(store, dataset),
        "progress": progress_by_annotator(store, dataset),
        "labels": label_totals(store, dataset),
        "durations": region_durations(store, dataset),
        "pace": annotations_per_hour(store, dataset),
        "agreement": agreement(store, dataset),
        "proposals": proposal_comparison(store, dataset),
    }


# what became of the proposed regions, in colours that read as such (kept green, removed red)
OUTCOME_COLORS = {"kept": "#2e7d32", "moved": "#f9a825", "relabelled": "#6a1b9a", "added": "#1565c0",
                  "removed": "#c62828"}


def proposals_table(comparison: dict):
    """The comparison's rows as a table: one row per hour or day of the answers."""
    import pandas as pd
    frame = pd.DataFrame(comparison["rows"])
    if not len(frame):
        return frame
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame = frame.rename(columns={"start": comparison["bucket"], "answers": "accepted answers",
                                  "word_edits": "word edits", "words": "words answered"})
    return frame


def proposals_chart(comparison: dict):
    """Proposed regions per hour or day, stacked by what the answers did with them."""
    import altair as alt
    import pandas as pd
    unit = comparison["bucket"]
    long = pd.DataFrame([{"start": row["start"], "outcome": name, "regions": row[name]}
                         for row in comparison["rows"] for name in OUTCOMES])
    long["start"] = pd.to_datetime(long["start"], utc=True)
    time_unit = "yearmonthdatehours" if unit == "hour" else "yearmonthdate"
    return alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{time_unit}(start):O", title=unit),
        y=alt.Y("sum(regions):Q", stack="zero", axis=count_axis("regions")),
        color=alt.Color("outcome:N", title="proposed region",
                        scale=alt.Scale(domain=list(OUTCOME_COLORS), range=list(OUTCOME_COLORS.values())),
                        sort=list(OUTCOMES)),
        tooltip=[alt.Tooltip(f"{time_unit}(start):O", title=unit), "outcome", "regions"])


def render_page() -> None:
    st.title("Statistics")
    st.caption("How far a dataset has come: answers by annotator, regions by label, the pace, and "
               "how far annotators agree.")
    store = get_store()
    datasets = [d.name for d in list_datasets(store)]
    if not datasets:
        st.info("No dataset yet.")
        return
    name = st.columns(4)[0].selectbox("Dataset", datasets, index=default_dataset_index(datasets),
                                      key="stats_dataset")   # as wide as the other pages' Dataset box
    figures = _figures(store.key, name, dataset_version(store, name))
    stats, done = figures["stats"], figures["done"]
    cols = st.columns(6)
    cols[0].metric("Tasks", stats["tasks"])
    cols[1].metric("Tasks done", done)
    cols[2].metric("Answers", stats["answered"])
    for col, answer in zip(cols[3:], ("accept", "reject", "ignore")):
        col.metric(answer.capitalize(), stats["answers"].get(answer, 0))
    st.caption(f"{stats['audio_seconds'] / 60:.1f} minutes of audio")

    st.subheader("Progress by annotator")
    st.dataframe(figures["progress"], hide_index=True, width="stretch")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Labels")
        totals = figures["labels"]
        if len(totals):
            # st.table renders its cells as Markdown: labels are shown as text
            shown_totals = totals.assign(label=totals["label"].map(md_text))
            st.table(shown_totals.set_index("label").style.format(precision=2))
        else:
            st.caption("No regions yet.")
    with right:
        st.subheader("Region durations")
        durations = figures["durations"]
        if len(durations):
            # a dataset dropped since the page listed it still gets its labels' colours
            dataset = get_dataset(store, name) or Dataset(name, DEFAULT_VIEW)
            shown = set(durations["label"])
            colors = dataset_label_colors(dataset, effective_settings(dataset), shown)
            colors = {label: color for label, color in colors.items() if label in shown}
            st.altair_chart(duration_histogram(durations, colors), width="stretch")
        else:
            st.caption("No regions yet.")
    st.subheader("Annotations per hour")
    pace = figures["pace"]
    if len(pace):
        st.altair_chart(pace_chart(pace), width="stretch")
    else:
        st.caption("No answers yet.")
    st.subheader("Proposals and answers")
    comparison = figures["proposals"]
    if comparison["rows"]:
        st.altair_chart(proposals_chart(comparison), width="stretch")
        st.dataframe(proposals_table(comparison), hide_index=True, width="stretch")
        st.caption("What accepted answers did with the proposed regions, per "
                   f"{comparison['bucket']}: kept (same times within 10 ms, same label), moved (times "
                   "changed), relabelled (label changed; a region moved and relabelled counts in both), "
                   "added (drawn by the annotator), removed (a proposal the answer dropped). Word edits: "
                   "words substituted, inserted or deleted from the pre-filled transcript. Rejected and "
                   "ignored answers are left out.")
    else:
        st.caption("No accepted answer of a task with proposals yet (from `--model`, `--spans` or the "
                   "tasks' own regions).")
    st.subheader("Agreement on shared tasks")
    agree = figures["agreement"]
    if len(agree):
        st.dataframe(agree, hide_index=True, width="stretch")
        st.caption("F1 per label: seconds labelled alike by both (time overlap). "
                   "Kappa: Cohen's kappa on accept/reject of the tasks both answered.")
    else:
        st.caption("No task has been answered by two annotators yet.")
