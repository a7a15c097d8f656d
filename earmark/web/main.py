"""The page script: opens the store, seeds the demo, checks access, runs the pages.

`streamlit run app.py -- mark DATASET SOURCE... --label A,B --view V` loads
SOURCE into DATASET once per server start and opens straight into annotating,
like Prodigy's `mark`.
"""

from __future__ import annotations

import argparse
import hmac
import sys
from pathlib import Path

import streamlit as st

from earmark.datasets import DatasetError
from earmark.demo import ensure_demo
from earmark.loader import LoadReport, load_sources
from earmark.settings import SettingsError, load_config
from earmark.store import StoreError, get_store

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "pages"


def parse_mark_args(argv: list[str]) -> argparse.Namespace | None:
    """The `mark` arguments given after `--` to `streamlit run app.py`, if any."""
    if not argv or argv[0] != "mark":
        return None
    parser = argparse.ArgumentParser(prog="streamlit run app.py -- mark")
    parser.add_argument("dataset")
    parser.add_argument("sources", nargs="*")
    parser.add_argument("--label", default=None)
    parser.add_argument("--view", default=None)
    return parser.parse_args(argv[1:])


@st.cache_resource(show_spinner="Preparing the demo dataset...")
def _seed_demo(db_path: str) -> bool:
    """Once per server and database: load the demo clips into an empty database."""
    ensure_demo(get_store())
    return True


@st.cache_resource(show_spinner="Loading the recordings to annotate...")
def _mark(dataset: str, sources: tuple[str, ...], labels: str | None, view: str | None) -> LoadReport:
    label_list = [x.strip() for x in labels.split(",") if x.strip()] if labels else None
    return load_sources(get_store(), dataset, list(sources), view=view or "audio_manual",
                        labels=label_list)


def _access_granted(config: dict) -> bool:
    """Ask for the access code when `earmark.json` or `st.secrets` sets one."""
    code = config.get("access_code")
    if not code:
        try:
            code = st.secrets.get("access_code")
        except Exception:  # no secrets file: Streamlit raises its own error type
            code = None
    if not code or st.session_state.get("access_ok"):
        return True
    st.title("Earmark")
    entered = st.text_input("Access code", type="password", key="access_code_input")
    if entered:
        if hmac.compare_digest(str(entered), str(code)):
            st.session_state.access_ok = True
            st.rerun()
        st.error("That access code is not right.")
    return False


def run() -> None:
    st.set_page_config(page_title="Earmark", page_icon=":material/graphic_eq:", layout="wide")
    try:
        config = load_config()
        get_store()
    except (StoreError, SettingsError) as exc:
        st.error(str(exc))
        st.stop()
    if not _access_granted(config):
        st.stop()
    mark = parse_mark_args(sys.argv[1:])
    try:  # both write to the database: a full disk is a message, and tried again next time
        if mark is not None:
            try:
                report = _mark(mark.dataset, tuple(mark.sources), mark.label, mark.view)
            except DatasetError as exc:   # a name that breaks the rule, or a bad --view
                st.error(f"mark: {exc}")
                st.stop()
            st.session_state.setdefault("mark_dataset", mark.dataset)
            if report.failures:
                st.session_state.setdefault("mark_failures", [str(f) for f in report.failures])
        else:
            _seed_demo(str(get_store().path))
    except StoreError as exc:
        st.error(str(exc))
        st.stop()

    def page(name: str, title: str, icon: str, default: bool = False, file: str | None = None) -> st.Page:
        return st.Page(str(PAGES_DIR / f"{file or name}.py"), title=title, icon=icon, default=default,
                       url_path=name)

    pages = [
        page("annotate", "Annotate", ":material/graphic_eq:", default=True),
        page("datasets", "Datasets", ":material/library_music:"),
        page("review", "Review", ":material/fact_check:"),
        # not pages/statistics.py: run alone (AppTest) it would shadow the standard library's module
        page("statistics", "Statistics", ":material/monitoring:", file="statistics_page"),
        page("export", "Export", ":material/download:"),
    ]
    st.navigation(pages).run()
