"""The access grant: signed expiring media tokens, the server secret, throttling
wrong codes, and the routes that refuse a request without a valid token."""

from __future__ import annotations

import http.client
import json
import stat

import pytest

from apprunner import fetch
from earmark.db.media import register_media
from earmark.db.store import Store
from earmark.web import access
from earmark.web.access import Grant, Throttle, mint, token_problem

SECRET = b"k" * 64
MEDIA = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
SESSION = "abcdefghijklmnop"


# -- tokens ----------------------------------------------------------------------
def test_a_minted_token_opens_its_media_until_it_expires():
    token = mint(SECRET, MEDIA, SESSION, 2_000)
    assert token.startswith(f"{SESSION}.2000.")
    assert all(c.isalnum() or c in "-_." for c in token)  # URL-safe as it is
    assert token_problem(SECRET, token, MEDIA, now=1_999) is None
    assert token_problem(SECRET, token, MEDIA, now=2_000) is None
    assert token_problem(SECRET, token, MEDIA, now=2_001) == "expired"


def test_another_media_id_session_expiry_or_secret_is_refused():
    token = mint(SECRET, MEDIA, SESSION, 2_000)
    session, expires, mac = token.split(".")
    assert token_problem(SECRET, token, OTHER, now=0) == "invalid"
    assert token_problem(b"another secret", token, MEDIA, now=0) == "invalid"
    assert token_problem(SECRET, f"zyxwvutsrqponmlk.{expires}.{mac}", MEDIA, now=0) == "invalid"
    assert token_problem(SECRET, f"{session}.9999999.{mac}", MEDIA, now=0) == "invalid"   # a later expiry
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    assert token_problem(SECRET, f"{session}.{expires}.{flipped}", MEDIA, now=0) == "invalid"
    # the token of another session is not this one's either
    assert mint(SECRET, MEDIA, "another-session-id", 2_000) != token


@pytest.mark.parametrize("token, problem", [
    (None, "missing"), ("", "missing"), ("abc", "malformed"), ("a.b.c.d", "malformed"),
    (f"{SESSION}.-5.mac", "malformed"), (f"{SESSION}.12x.mac", "malformed"),
    ("short.2000.mac", "malformed"), (f"{SESSION}.2000.\u00e9\u00e9", "invalid"),
])
def test_malformed_tokens_are_refused_by_name(token, problem):
    assert token_problem(SECRET, token, MEDIA, now=0) == problem


def test_a_grant_signs_urls_with_or_without_a_query_and_renews_near_its_expiry():
    grant = Grant(SESSION, 100_000)
    url = grant.sign(f"/api/media/{MEDIA}/spectrogram?channel=1", MEDIA, SECRET)
    assert url.startswith(f"/api/media/{MEDIA}/spectrogram?channel=1&token={SESSION}.100000.")
    assert grant.sign(f"/api/media/{MEDIA}", MEDIA, SECRET).startswith(f"/api/media/{MEDIA}?token=")
    assert grant.renewed(now=50_000) is grant           # the same URLs while far from the expiry
    later = grant.renewed(now=99_000)
    assert later.session == SESSION and later.expires == 99_000 + access.TOKEN_HOURS * 3600
    fresh = Grant.new(now=0)
    assert fresh.expires == access.TOKEN_HOURS * 3600 and len(fresh.session) >= 16
    assert Grant.new().session != Grant.new().session


def test_the_server_secret_is_made_once_beside_the_database_for_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.setattr(access, "_secrets_by_db", {})
    db = tmp_path / "e.duckdb"
    first = access.server_secret(db)
    path = access.secret_path(db)
    assert path == tmp_path / "e.duckdb.token-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 64 and first not in (b"", b"s3cret")
    monkeypatch.setattr(access, "_secrets_by_db", {})   # a restarted server reads the same one
    assert access.server_secret(db) == first
    assert not list(tmp_path.glob("*.tmp"))
    # st.secrets' token_secret wins over the file
    monkeypatch.setattr(access, "_secret_setting", lambda name: "configured-secret" if name == "token_secret" else None)
    assert access.server_secret(db) == b"configured-secret"


def test_an_empty_secret_file_is_named_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(access, "_secrets_by_db", {})
    db = tmp_path / "e.duckdb"
    access.secret_path(db).write_text("\n")
    with pytest.raises(ValueError, match="e.duckdb.token-secret holds no secret"):
        access.server_secret(db)


# -- throttling ------------------------------------------------------------------
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_three_wrong_codes_then_an_exponential_lockout():
    clock = Clock()
    limiter = Throttle(clock=clock, free=3, base=2.0, cap=60.0)
    keys = ["session:a", "address:1.2.3.4"]
    assert [limiter.attempt(keys) for _ in range(3)] == [0, 0, 0]   # three codes are checked at once
    assert limiter.locked_for(keys) == 2.0                          # then a 2 s wait
    assert limiter.attempt(keys) == 2.0                             # refused, and not counted
    clock.now += 1
    assert limiter.attempt(keys) == 1.0
    clock.now += 1
    assert limiter.attempt(keys) == 0 and limiter.locked_for(keys) == 4.0
    clock.now += 4
    assert limiter.attempt(keys) == 0 and limiter.locked_for(keys) == 8.0
    for _ in range(10):
        clock.now += 100
        limiter.attempt(keys)
    assert limiter.locked_for(keys) == 60.0      # capped


def test_codes_tried_in_parallel_are_counted_before_any_is_checked():
    import threading
    limiter = Throttle(clock=Clock())
    admitted = []
    barrier = threading.Barrier(20)

    def guess():
        barrier.wait()
        admitted.append(limiter.attempt(["address:5.5.5.5"]) == 0)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 3


def test_the_address_is_locked_for_a_new_browser_session_too():
    clock = Clock()
    limiter = Throttle(clock=clock)
    for _ in range(3):
        limiter.attempt(["session:a", "address:9.9.9.9"])
    assert limiter.locked_for(["session:b", "address:9.9.9.9"]) > 0   # a reload is a new session
    assert limiter.locked_for(["session:c", "address:8.8.8.8"]) == 0


def test_a_right_code_clears_and_a_quiet_key_is_forgotten():
    clock = Clock()
    limiter = Throttle(clock=clock, forget=900)
    keys = ["session:a"]
    limiter.attempt(keys)
    limiter.attempt(keys)
    limiter.succeeded(keys)                      # the second was right
    limiter.attempt(keys)
    limiter.attempt(keys)
    assert limiter.locked_for(keys) == 0         # counting started again
    clock.now += 901
    limiter.attempt(keys)
    assert limiter.locked_for(keys) == 0         # 15 quiet minutes: a fresh start


def test_the_throttle_holds_a_bounded_number_of_keys():
    limiter = Throttle(clock=Clock(), max_keys=100)
    for i in range(1000):
        limiter.attempt([f"address:{i}"])
    assert len(limiter._keys) <= 100


# -- the routes ------------------------------------------------------------------
@pytest.fixture
def guarded(corpus, tmp_path, run_app):
    """A running app with an access code, one registered WAV and a token for it."""
    db = tmp_path / "guarded.duckdb"
    (tmp_path / "earmark.json").write_text(json.dumps({"access_code": "open-sesame"}))
    store = Store(db)
    wav = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    media = register_media(store, wav)
    other = register_media(store, corpus / "diarization" / "trn01.wav")
    store.close()
    app = run_app(db)
    secret = access.server_secret(db)   # the file the app reads too
    grant = Grant.new()
    return app, media, other, wav.read_bytes(), secret, grant


def _urls(media_id: str) -> list[str]:
    return [f"/api/media/{media_id}", f"/api/media/{media_id}/clip?start=0.25&end=0.75&channel=1",
            f"/api/media/{media_id}/spectrogram?start=0&end=1&width=200&height=80"]


def test_without_a_token_every_media_route_answers_403_and_no_bytes(guarded):
    app, media, other, _, secret, grant = guarded
    expired = mint(secret, media.id, grant.session, 1_000)
    foreign = grant.sign("", other.id, secret).split("token=")[1]     # another file's token
    for url in _urls(media.id):
        sep = "&" if "?" in url else "?"
        for suffix, why in [("", "missing"), (f"{sep}token={expired}", "expired"),
                            (f"{sep}token={foreign}", "invalid"), (f"{sep}token=x.1.y", "malformed")]:
            status, headers, body = fetch(app.url + url + suffix)
            assert (status, body) == (403, b""), (url, suffix)
            assert headers["x-earmark-refused"] == f"token {why}"
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        conn.request("HEAD", url)
        response = conn.getresponse()
        assert response.status == 403 and response.read() == b""
    # an unknown id is refused the same way: a stranger cannot tell which ids exist
    status, _, body = fetch(f"{app.url}/api/media/{'0' * 32}")
    assert (status, body) == (403, b"")


def test_with_the_sessions_token_media_clip_and_spectrogram_are_served_with_ranges(guarded):
    app, media, _, data, secret, grant = guarded
    whole, clip, spectrogram = (app.url + grant.sign(u, media.id, secret) for u in _urls(media.id))
    status, headers, body = fetch(whole)
    assert status == 200 and body == data and headers["accept-ranges"] == "bytes"
    status, headers, body = fetch(whole, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == data[1000:2000]
    status, headers, body = fetch(clip)
    assert status == 200 and headers["content-type"] == "audio/wav"
    status, _, part = fetch(clip, {"Range": "bytes=44-1043"})
    assert status == 206 and part == body[44:1044]
    status, headers, body = fetch(spectrogram)
    assert status == 200 and body.startswith(b"\x89PNG")
    # a window or channel the component adds after the token keeps working
    status, _, body = fetch(app.url + grant.sign(f"/api/media/{media.id}/spectrogram", media.id, secret)
                            + "&channel=0&start=0&end=1&width=100&height=50&max_freq=4000")
    assert status == 200 and body.startswith(b"\x89PNG")
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("HEAD", grant.sign(f"/api/media/{media.id}", media.id, secret))
    response = conn.getresponse()
    assert response.status == 200 and int(response.getheader("content-length")) == len(data)


def test_without_an_access_code_the_routes_stay_open_and_the_bridge_keeps_its_own_token(corpus, tmp_path,
                                                                                        run_app):
    db = tmp_path / "open.duckdb"
    store = Store(db)
    media = register_media(store, corpus / "formats" / "bobby_16bit_16khz_2ch.wav")
    store.close()
    app = run_app(db)
    assert fetch(f"{app.url}/api/media/{media.id}")[0] == 200
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("POST", "/api/cli", body=json.dumps({"argv": ["stats", "x"]}),
                 headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 403


def test_the_code_and_the_signing_key_may_come_from_st_secrets(corpus, tmp_path, run_app):
    db = tmp_path / "secrets.duckdb"
    store = Store(db)
    media = register_media(store, corpus / "formats" / "bobby_16bit_16khz_2ch.wav")
    store.close()
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('access_code = "from-secrets"\ntoken_secret = "a-long-secret-from-the-secrets-file"\n')
    app = run_app(db, env={"STREAMLIT_SECRETS_FILES": str(secrets_file)})
    assert fetch(f"{app.url}/api/media/{media.id}")[0] == 403
    grant = Grant.new()
    url = grant.sign(f"/api/media/{media.id}", media.id, b"a-long-secret-from-the-secrets-file")
    assert fetch(app.url + url)[0] == 200
    assert not access.secret_path(db).exists()     # no key file when st.secrets has one


def test_unreadable_settings_refuse_the_media_rather_than_open_them(guarded, tmp_path):
    app, media, _, data, secret, grant = guarded
    (tmp_path / "earmark.json").write_text('{"access_code": ')   # a half-written edit
    status, _, body = fetch(f"{app.url}/api/media/{media.id}")
    assert status == 500 and b"earmark.json" in body and data[:100] not in body
