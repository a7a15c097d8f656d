"""The page script: opens the store, seeds the demo, checks access, runs the pages.

`streamlit run app.py -- mark DATASET SOURCE... --label A,B --view V` loads
SOURCE into DATASET once per server start and opens straight into annotating,
like Prodigy's `mark`.
"""

from __future__ import annotations

import argparse
import logging
import hmac
import math
import sys
from pathlib import Path

import streamlit as st

from earmark.datasets import DatasetError
from earmark.demo import ensure_demo
from earmark.loading.loader import LoadReport, load_sources
from earmark.settings import SettingsError, load_config
from earmark.db.store import StoreError, get_store
from earmark.web import access
from earmark.web.access import access_code, client_keys, grant_session, is_granted
from earmark.web.text import md_text

log = logging.getLogger(__name__)

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
def _seed_demo(db_key: str) -> bool:
    """Once per server and database: load the demo clips into an empty database."""
    ensure_demo(get_store())
    return True


@st.cache_resource(show_spinner="Loading the recordings to annotate...")
def _mark(dataset: str, sources: tuple[str, ...], labels: str | None, view: str | None) -> LoadReport:
    label_list = [x.strip() for x in labels.split(",") if x.strip()] if labels else None
    report = load_sources(get_store(), dataset, list(sources), view=view or "audio_manual",
                          labels=label_list)
    # once per server start, in the terminal that started it, as `earmark load` says it
    total, details = report.summary(dataset)
    for line in [*details, total]:
        print(f"mark: {line}", file=sys.stderr)
    return report


def _too_many(wait: float) -> str:
    return f"Too many wrong codes; try again in {math.ceil(wait)} s."


def _check_code(code: str) -> None:
    """The code field's callback: each entry is checked once, then the field is emptied."""
    entered = str(st.session_state.get("access_code_input") or "")
    st.session_state.access_code_input = ""
    if not entered:
        return
    keys = client_keys()
    wait = access.THROTTLE.attempt(keys)
    if wait > 0:  # refused unchecked, a right code too, until the window passes
        st.session_state.access_message = _too_many(wait)
        return
    if hmac.compare_digest(entered.encode("utf-8"), code.encode("utf-8")):
        access.THROTTLE.succeeded(keys)
        grant_session()
        return
    wait = access.THROTTLE.locked_for(keys)
    st.session_state.access_message = "That access code is not right." + (f" {_too_many(wait)}" if wait else "")


def _access_granted(config: dict) -> bool:
    """Ask for the access code, once per browser session, when one is set.

    The page the URL names is already chosen (st.navigation ran), and the
    code is checked in the field's callback, so the same run goes on to that
    page with its query parameters once the code is right.
    """
    code = access_code(config)
    if code is None or is_granted():
        return True
    st.title("Earmark")
    st.text_input("Access code", type="password", key="access_code_input", on_change=_check_code, args=(code,))
    message = st.session_state.pop("access_message", None)
    wait = access.THROTTLE.locked_for(client_keys())
    if message:
        st.error(message)
    elif wait > 0:
        st.error(_too_many(wait))
    return False


def _annotator_allowed(config: dict) -> bool:
    """With `allowed_sessions` set, every page needs a listed name (from `?session=`
    or picked here once): an unlisted one opens no page and corrects nothing."""
    allowed = [str(n) for n in config.get("allowed_sessions") or []]
    if not allowed:
        return True
    name = st.query_params.get("session") or st.session_state.get("annotator")
    if name in allowed:
        st.session_state.annotator = name
        return True
    st.title("Earmark")
    if name:
        st.error(f"{md_text(name)} is not on the list of annotators of this server.")
        st.session_state.pop("annotator", None)
    picked = st.selectbox("Who is annotating?", allowed, index=None, key="session_pick")
    if picked:
        st.session_state.annotator = picked
        st.query_params["session"] = picked
        st.rerun()
    return False


def _commit_card_answers() -> None:
    """Commit the answers the annotation card sent, before anything is drawn.

    While answers come faster than a run of the script takes, each new value
    stops the run at its next drawing call and starts it again: answers
    committed before the first drawing call are committed in every run, however
    fast they come. The Annotate page commits again (finding the receipts) and
    says what could not be saved. Only for a session that holds the access grant."""
    from earmark.web.annotate import CARD_KEY, commit_card_value
    try:
        value = st.session_state.get(CARD_KEY)
        if not isinstance(value, dict) or not value.get("pending"):
            return
        config = load_config()
        if access_code(config) is not None and not is_granted():
            return
        commit_card_value(get_store(), config, value)
    except Exception:  # noqa: BLE001  (the page commits again and says what went wrong)
        log.exception("committing the card's answers before the page failed")


def run() -> None:
    _commit_card_answers()
    st.set_page_config(page_title="Earmark", page_icon=":material/graphic_eq:", layout="wide")
    # Streamlit leaves 6rem above a page's title: on a laptop's 800 px that is the card's last row
    st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }</style>")
    try:
        config = load_config()
        get_store()
    except (StoreError, SettingsError) as exc:
        st.error(md_text(str(exc)))
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
    # Navigation first, hidden until the checks pass: the page the URL names
    # (and its query) stays chosen while the access code or the name is asked.
    granted = access_code(config) is None or is_granted()
    selected = st.navigation(pages, position="sidebar" if granted else "hidden")
    if not _access_granted(config) or not _annotator_allowed(config):
        st.stop()
    mark = parse_mark_args(sys.argv[1:])
    try:  # both write to the database: a full disk is a message, and tried again next time
        if mark is not None:
            try:
                report = _mark(mark.dataset, tuple(mark.sources), mark.label, mark.view)
            except DatasetError as exc:   # a name that breaks the rule, or a bad --view
                st.error(f"mark: {md_text(str(exc))}")
                st.stop()
            if "mark_dataset" not in st.session_state:   # a browser session's first run: said once
                st.session_state.mark_dataset = mark.dataset
                total, details = report.summary(mark.dataset)
                st.session_state.mark_summary = {"total": total, "details": details}
        else:
            _seed_demo(get_store().key)
    except StoreError as exc:
        st.error(md_text(str(exc)))
        st.stop()
    selected.run()
