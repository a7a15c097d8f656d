"""The access grant of design.md ("Access"): the code, signed media URLs, throttling.

With an access code set (`access_code` in `earmark.json` or `st.secrets`), a
browser session that entered the code gets a grant: a random session id and
an expiry. Every media, clip and spectrogram URL minted for that session
carries `token=<session>.<expiry>.<mac>`, the mac being HMAC-SHA256 with a
server secret over the media id, the session id and the expiry. The routes
verify the mac and the expiry alone (no session lookup): a URL copied out of
the page works for that media file until it expires, and for nothing else.

The server secret is `token_secret` in `st.secrets`, else a random one kept
beside the database with owner-only permissions: never derived from the
access code, so knowing a token says nothing about the code and a changed
code does not make old tokens predictable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TOKEN_HOURS = 12                  # how long a minted URL stays valid
_RENEW_SECONDS = 3600             # a grant this close to its expiry mints later-expiring URLs
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_GRANT_KEY = "access_grant"


# -- settings ------------------------------------------------------------------
def _secret_setting(name: str) -> str | None:
    """`name` from `st.secrets`, or None when there is no secrets file or no such key."""
    try:
        import streamlit as st
        value = st.secrets.get(name)
    except Exception:  # no secrets file: Streamlit raises its own error type
        return None
    return str(value) if value not in (None, "") else None


def access_code(config: dict) -> str | None:
    """The access code: `access_code` in earmark.json, else in `st.secrets`; None when unset."""
    code = config.get("access_code")
    if code not in (None, ""):
        return str(code)
    return _secret_setting("access_code")


# -- the server secret ---------------------------------------------------------
_secrets_by_db: dict[str, bytes] = {}
_secret_lock = threading.Lock()


def secret_path(db_path: Path) -> Path:
    return Path(db_path).with_name(Path(db_path).name + ".token-secret")


def server_secret(db_path: Path) -> bytes:
    """The key tokens are signed with: `token_secret` of st.secrets, else the
    file beside the database, made on first use (mode 0600)."""
    configured = _secret_setting("token_secret")
    if configured:
        return configured.encode("utf-8")
    key = str(Path(db_path).resolve())
    with _secret_lock:
        if key not in _secrets_by_db:
            _secrets_by_db[key] = _read_or_create_secret(secret_path(Path(key)))
        return _secrets_by_db[key]


def _read_or_create_secret(path: Path) -> bytes:
    try:
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= 32:
            return value.encode("ascii")
        raise ValueError(f"{path} holds no secret (it is shorter than 32 characters); "
                         "delete it and a new one is made")
    except FileNotFoundError:
        pass
    # Written whole to a private temporary file, then linked into place: another
    # process starting at the same time either wins (we read its secret) or loses.
    value = secrets.token_hex(32)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip().encode("ascii")
    finally:
        tmp.unlink(missing_ok=True)
    return value.encode("ascii")


# -- tokens --------------------------------------------------------------------
def _mac(secret: bytes, media_id: str, session: str, expires: int) -> str:
    digest = hmac.new(secret, f"{media_id}|{session}|{expires}".encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def mint(secret: bytes, media_id: str, session: str, expires: int) -> str:
    """The token for one media file, one session, valid until `expires` (Unix seconds)."""
    return f"{session}.{int(expires)}.{_mac(secret, media_id, session, int(expires))}"


def token_problem(secret: bytes, token: str | None, media_id: str, now: float | None = None) -> str | None:
    """Why `token` does not open `media_id` ("missing", "malformed", "expired",
    "invalid"), or None when it does."""
    if not token:
        return "missing"
    parts = token.split(".")
    if len(parts) != 3 or not _SESSION_ID.fullmatch(parts[0]) or not parts[1].isdigit() or len(parts[1]) > 12:
        return "malformed"
    session, expires, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(mac.encode("ascii", "replace"), _mac(secret, media_id, session, expires).encode()):
        return "invalid"
    if expires < (time.time() if now is None else now):
        return "expired"
    return None


@dataclass(frozen=True)
class Grant:
    """What a browser session got by entering the code: its id and the expiry its URLs carry."""
    session: str
    expires: int

    @staticmethod
    def new(now: float | None = None) -> "Grant":
        now = time.time() if now is None else now
        return Grant(secrets.token_urlsafe(12), int(now) + TOKEN_HOURS * 3600)

    def renewed(self, now: float | None = None) -> "Grant":
        """The same session with a later expiry once this one is near (URLs stay
        the same until then, so the browser's cache and the player keep them)."""
        now = time.time() if now is None else now
        if self.expires - now > _RENEW_SECONDS:
            return self
        return Grant(self.session, int(now) + TOKEN_HOURS * 3600)

    def sign(self, url: str, media_id: str, secret: bytes) -> str:
        """`url` with this session's token for `media_id` added to its query."""
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}token={mint(secret, media_id, self.session, self.expires)}"


def session_grant() -> Grant | None:
    """This browser session's grant (renewed when near its expiry), or None:
    no access code, or not inside a Streamlit script run."""
    try:
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        if get_script_run_ctx(suppress_warning=True) is None:
            return None
        grant = st.session_state.get(_GRANT_KEY)
    except Exception:  # outside a Streamlit run: no session, no grant
        return None
    if not isinstance(grant, Grant):
        return None
    renewed = grant.renewed()
    if renewed is not grant:
        st.session_state[_GRANT_KEY] = renewed
    return renewed


def grant_session() -> Grant:
    """Record that this browser session entered the code."""
    import streamlit as st
    grant = Grant.new()
    st.session_state[_GRANT_KEY] = grant
    return grant


def is_granted() -> bool:
    import streamlit as st
    return isinstance(st.session_state.get(_GRANT_KEY), Grant)


def refusal(request, media_id: str):
    """None when the request may read `media_id`; else the response that refuses it
    (403 without a body, the reason in a header, when an access code is set)."""
    from starlette.responses import PlainTextResponse, Response

    from earmark.settings import SettingsError, load_config
    from earmark.db.store import get_store
    try:
        code = access_code(load_config())
    except SettingsError:  # cannot tell whether a code is set: refuse (the pages name the problem)
        return PlainTextResponse("the server's settings (earmark.json) cannot be read", status_code=500)
    if code is None:
        return None
    problem = token_problem(server_secret(get_store().path), request.query_params.get("token"), media_id)
    if problem is None:
        return None
    return Response(status_code=403, headers={"X-Earmark-Refused": f"token {problem}",
                                              "Cache-Control": "no-store"})


# -- throttling wrong codes ----------------------------------------------------
class Throttle:
    """Slows repeated wrong codes down, per key (a browser session, a client address).

    Each code tried counts as a failure (until `succeeded` clears the keys),
    and from the `free`-th failure on the keys are locked for
    `base` * 2**(failures - free) seconds (at most `cap`). While locked, no code
    is checked, a right one neither, and none is counted. Admitting a try and
    counting it are one step, so codes sent in parallel are throttled as well.
    A key with no failure for `forget` seconds starts afresh.
    """

    def __init__(self, clock=time.monotonic, free: int = 3, base: float = 2.0, cap: float = 300.0,
                 forget: float = 900.0, max_keys: int = 10_000):
        self.clock, self.free, self.base, self.cap = clock, free, base, cap
        self.forget, self.max_keys = forget, max_keys
        self._keys: dict[str, tuple[int, float, float]] = {}  # key -> failures, last failure, locked until
        self._lock = threading.Lock()

    def locked_for(self, keys: list[str]) -> float:
        """Seconds until any of `keys` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return self._wait(keys, now)

    def attempt(self, keys: list[str]) -> float:
        """Admit one code for `keys`: 0 when it may be checked now (it is counted
        as a failure until `succeeded`), else the seconds to wait (not counted)."""
        now = self.clock()
        with self._lock:
            wait = self._wait(keys, now)
            if wait > 0:
                return wait
            for key in keys:
                failures = self._entry(key, now)[0] + 1
                lock = 0.0 if failures < self.free else min(self.cap, self.base * 2 ** (failures - self.free))
                self._keys[key] = (failures, now, now + lock)
            if len(self._keys) > self.max_keys:  # bounded: drop the longest quiet
                for key in sorted(self._keys, key=lambda k: self._keys[k][1])[:len(self._keys) - self.max_keys]:
                    del self._keys[key]
            return 0.0

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._keys.pop(key, None)

    def _wait(self, keys: list[str], now: float) -> float:
        return max([0.0, *(self._entry(k, now)[2] - now for k in keys)])

    def _entry(self, key: str, now: float) -> tuple[int, float, float]:
        entry = self._keys.get(key)
        if entry is None or (now - entry[1] > self.forget and now >= entry[2]):
            return (0, now, now)
        return entry


THROTTLE = Throttle()


def client_keys() -> list[str]:
    """The throttle's keys for this run: its browser session and its client address
    (every local client shares the address "local")."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx(suppress_warning=True)
    keys = [f"session:{ctx.session_id}"] if ctx is not None else []
    return keys + [f"address:{st.context.ip_address or 'local'}"]
