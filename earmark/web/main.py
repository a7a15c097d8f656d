"""The page script: opens the store, seeds the demo, and runs the navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from earmark.demo import ensure_demo
from earmark.store import StoreError, get_store

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "pages"


@st.cache_resource(show_spinner="Preparing the demo dataset...")
def _seed_demo() -> bool:
    ensure_demo(get_store())
    return True


def run() -> None:
    st.set_page_config(page_title="Earmark", page_icon=":material/graphic_eq:", layout="wide")
    try:
        get_store()
    except StoreError as exc:
        st.error(str(exc))
        st.stop()
    _seed_demo()
    pages = [st.Page(str(PAGES_DIR / "datasets.py"), title="Datasets",
                     icon=":material/library_music:", default=True)]
    st.navigation(pages).run()
