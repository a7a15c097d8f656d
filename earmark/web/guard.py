"""Every page renders through `run_page`: an error is a box in words, never a traceback.

An unexpected exception while a page renders is logged with its traceback on
the server, and the page shows a short reason with `st.error` instead of
Streamlit's exception box (which shows code and file paths to every visitor).
A `StoreError` (full disk, read-only file system, ...) is already in words.
Streamlit's own control flow (`st.rerun`, `st.stop`) derives from
BaseException and passes through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from earmark.db.store import StoreError
from earmark.web.text import md_text

log = logging.getLogger("earmark.web")


def short_reason(exc: BaseException, limit: int = 200) -> str:
    """One line naming the error: its type and the start of its message."""
    message = " ".join(str(exc).split())
    if len(message) > limit:
        message = message[:limit - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def run_page(render: Callable[[], None], title: str) -> None:
    try:
        render()
    except StoreError as exc:
        log.warning("the %s page: %s", title, exc)
        st.error(md_text(str(exc)), icon=":material/database:")
    except Exception as exc:  # noqa: BLE001  (the point: no traceback reaches the browser)
        log.exception("the %s page failed", title)
        st.error(f"The {title} page could not be shown: {md_text(short_reason(exc))}. "
                 "The details are in the server's log.", icon=":material/error:")
