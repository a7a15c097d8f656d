"""The app's side of earmark.cli.bridge: run a command-line command sent by
`python -m earmark` on the app's own database connection, streaming its
output back as JSON lines while it runs."""

from __future__ import annotations

import hmac
import json
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TextIO, cast

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from earmark.cli.bridge import TOKEN_HEADER, AppAddress, advertise, withdraw

_CHUNK = 1 << 16           # characters gathered before a message is sent
_QUEUE_MESSAGES = 64       # bounded: a slow reader slows the command, not memory
_STALLED_SECONDS = 300     # nobody read the output for this long: the caller is gone
_address: AppAddress | None = None


@asynccontextmanager
async def bridge_lifespan(app) -> AsyncIterator[None]:
    """While the server runs: hold the database and leave the address file.

    The database is opened at start (not at the first visit) so that a
    command run before anyone visits finds the app, not an unlocked file it
    would lock itself.
    """
    global _address
    import streamlit as st

    from earmark.db.store import StoreError, get_store
    try:
        store = get_store()
    except StoreError:
        yield None   # the page explains the problem to whoever visits
        return
    if not store.bridged:   # PostgreSQL: the command line opens the database itself
        yield None
        return
    host = st.get_option("server.address") or "127.0.0.1"
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    url = f"http://{host}:{st.get_option('server.port')}" + (f"/{base}" if base else "")
    _address = advertise(store.path, url)
    try:
        yield None
    finally:
        withdraw(store.path, _address)
        _address = None


class _StreamWriter:
    """A text stream whose writes become messages `{key: text}` on a queue."""

    def __init__(self, messages: queue.Queue, key: str, cancelled: threading.Event):
        self.messages, self.key, self.cancelled = messages, key, cancelled
        self.buffer: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        self.buffer.append(text)
        self.size += len(text)
        if self.size >= _CHUNK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if not self.buffer:
            return
        message = {self.key: "".join(self.buffer)}
        self.buffer, self.size = [], 0
        _put(self.messages, message, self.cancelled)


def _put(messages: queue.Queue, message: object, cancelled: threading.Event) -> None:
    """Queue a message unless the caller has gone (then BrokenPipeError, which
    ends a command as `export | head` does)."""
    deadline = time.monotonic() + _STALLED_SECONDS
    while not cancelled.is_set() and time.monotonic() < deadline:
        try:
            messages.put(message, timeout=0.5)
            return
        except queue.Full:
            continue
    raise BrokenPipeError("the caller went away")


async def run_cli(request: Request) -> Response:
    shown = request.headers.get(TOKEN_HEADER, "")
    if _address is None or not hmac.compare_digest(shown.encode(), _address.token.encode()):
        return PlainTextResponse("a valid token is needed", status_code=403)
    try:
        argv = (await request.json())["argv"]
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return PlainTextResponse('expected {"argv": [command, arguments...]}', status_code=400)
    from earmark.cli import build_parser
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        return PlainTextResponse(f"not a valid command: {' '.join(argv)}", status_code=400)
    return StreamingResponse(_run(args), media_type="application/x-ndjson")


def _run(args) -> Iterator[bytes]:
    from earmark.cli import run_command
    from earmark.db.store import get_store
    messages: queue.Queue = queue.Queue(_QUEUE_MESSAGES)
    cancelled = threading.Event()
    out = _StreamWriter(messages, "o", cancelled)
    err = _StreamWriter(messages, "e", cancelled)
    done = object()

    def work() -> None:
        code = 2
        try:
            code = run_command(get_store(), args, cast(TextIO, out), cast(TextIO, err))
            out.flush()
            err.flush()
        except BrokenPipeError:
            return
        except Exception as exc:  # reported to the caller, not lost in the app's log
            err.write(f"error: {type(exc).__name__}: {exc}\n")
            err.flush()
        try:
            _put(messages, {"exit": code}, cancelled)
            _put(messages, done, cancelled)
        except BrokenPipeError:
            pass

    worker = threading.Thread(target=work, name="earmark-cli", daemon=True)
    worker.start()
    try:
        while True:
            message = messages.get()
            if message is done:
                return
            yield (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
    finally:
        cancelled.set()   # the caller hung up early: stop the command at its next write
