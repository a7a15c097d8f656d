"""The media, clip and /annotate routes, answered in this process.

The app's routes are mounted on a bare Starlette application and called
through ASGI directly (no server, no child process), over a real database
found the way the app finds it (`EARMARK_DB`). Every expected answer is
worked out by hand here: the bytes of a file written by the test, the
header of a WAV clip, the Content-Range of each kind of Range request.
"""

from __future__ import annotations

import asyncio
import json
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from starlette.applications import Starlette

from earmark.db.media import MediaInfo, content_hash, insert_media
from earmark.web import access
from earmark.web.access import Grant
from earmark.web.routes import bytes_with_range, clip_url, routes

RATE = 8000
FRAMES = 8000          # one second
# channel 0 counts up from 0, channel 1 down from -1: every sample of the file is distinct
LEFT = np.arange(FRAMES, dtype="<i2")
RIGHT = -1 - np.arange(FRAMES, dtype="<i2")


def _wav_header(channels: int, data_size: int, rate: int = RATE) -> bytes:
    """The 44-byte header of a 16-bit PCM WAV file, field by field."""
    return (b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", data_size))


def _stereo_wav() -> bytes:
    frames = np.stack([LEFT, RIGHT], axis=1).astype("<i2").tobytes()
    return _wav_header(2, len(frames)) + frames


class Site:
    """The routes over a fresh database, and a way to ask them."""

    def __init__(self, tmp_path: Path, store):
        self.tmp_path, self.store = tmp_path, store
        self.app = Starlette(routes=routes())

    def add(self, name: str, data: bytes, *, format: str = "wav", duration: float | None = 1.0,
            sample_rate: int | None = RATE, channels: int | None = 2) -> MediaInfo:
        """Write `data` to `name` and register it under its content hash (the row as a load writes it)."""
        path = self.tmp_path / name
        path.write_bytes(data)
        media = MediaInfo(id=content_hash(path), path=str(path), format=format, duration=duration,
                          sample_rate=sample_rate, channels=channels, size=len(data))
        self.store.write(lambda cur: insert_media(cur, [media]))
        return media

    def ask(self, method: str, path: str, query: str = "", headers: dict[str, str] | None = None):
        """(status, headers with lower-case names, body) of one request."""
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": query.encode(), "client": ("127.0.0.1", 50000),
                 "server": ("testserver", 80),
                 "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                             for k, v in (headers or {}).items()]}
        sent: list[dict] = []

        asked = []

        async def receive():   # the request's (empty) body, then a client that stays until answered
            if not asked:
                asked.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()

        async def send(message):
            sent.append(message)

        # on a thread of its own: a test run that drove the browser before this still has
        # Playwright's event loop running on the main thread, where asyncio.run refuses
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, self.app(scope, receive, send)).result()
        start = sent[0]
        assert start["type"] == "http.response.start"
        names = [k.decode("latin-1") for k, _ in start["headers"]]
        assert len(names) == len(set(names)), names     # no header sent twice
        got = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
        body = b"".join(m.get("body", b"") for m in sent[1:] if m["type"] == "http.response.body")
        return start["status"], got, body

    def get(self, path: str, query: str = "", **headers):
        return self.ask("GET", path, query, {k.replace("_", "-"): v for k, v in headers.items()})


@pytest.fixture
def site(tmp_path, monkeypatch):
    from earmark.db import store as store_module
    db = tmp_path / "routes.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))   # none yet: no access code
    monkeypatch.delenv("STREAMLIT_SECRETS_FILES", raising=False)
    store = store_module.open_store(db)
    yield Site(tmp_path, store)
    store.close()
    store_module._stores.pop(db.resolve(), None)


def _code(site: Site, code: str = "open-sesame") -> bytes:
    """Set an access code; the key tokens are signed with."""
    (site.tmp_path / "earmark.json").write_text(json.dumps({"access_code": code}))
    return access.server_secret(site.tmp_path / "routes.duckdb")


# -- the whole file ------------------------------------------------------------------

MIME = [("a.wav", "audio/wav"), ("a.mp3", "audio/mpeg"), ("a.flac", "audio/flac"), ("a.ogg", "audio/ogg"),
        ("a.opus", "audio/ogg"), ("a.m4a", "audio/mp4"), ("a.aac", "audio/aac"), ("a.webm", "audio/webm"),
        ("LOUD.WAV", "audio/wav"), ("Mixed.Mp3", "audio/mpeg"),
        # not an audio extension Earmark names: bytes, never a page the browser would render
        ("page.html", "application/octet-stream"), ("notes.txt", "application/octet-stream"),
        ("odd.zzq", "application/octet-stream")]


@pytest.mark.parametrize("name, mime", MIME)
def test_the_whole_file_with_its_type_and_a_day_of_private_caching(site, name, mime):
    data = bytes(range(256)) * 3 + name.encode()
    media = site.add(name, data)
    status, headers, body = site.get(f"/api/media/{media.id}")
    assert status == 200 and body == data
    assert headers["content-type"] == mime
    assert headers["cache-control"] == "private, max-age=86400"
    assert headers["content-length"] == str(len(data))
    assert headers["accept-ranges"] == "bytes"


def test_head_on_the_media_route_gives_the_headers_and_no_bytes(site):
    data = b"\x01\x02" * 500
    media = site.add("head.mp3", data)
    status, headers, body = site.ask("HEAD", f"/api/media/{media.id}")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == "1000"
    assert headers["content-type"] == "audio/mpeg"
    assert headers["cache-control"] == "private, max-age=86400"


def test_ranges_of_the_media_file_are_its_bytes(site):
    data = bytes(i % 251 for i in range(5000))
    media = site.add("ranges.wav", data)
    url = f"/api/media/{media.id}"
    status, headers, body = site.get(url, range="bytes=100-199")
    assert status == 206 and body == data[100:200]
    assert headers["content-range"] == "bytes 100-199/5000"
    status, headers, body = site.get(url, range="bytes=4990-")
    assert (status, body, headers["content-range"]) == (206, data[4990:], "bytes 4990-4999/5000")
    status, headers, body = site.get(url, range="bytes=-7")
    assert (status, body, headers["content-range"]) == (206, data[4993:], "bytes 4993-4999/5000")
    status, headers, _ = site.get(url, range="bytes=5000-")
    assert status == 416 and headers["content-range"] == "bytes */5000"


# -- what is refused -------------------------------------------------------------------

@pytest.mark.parametrize("media_id", [
    "app.py", "a" * 31, "a" * 33, "A" * 32, "g" * 32, "0" * 31 + "/", "..", "etc/passwd", "0" * 16 + "/" + "0" * 15,
])
def test_anything_but_32_lowercase_hex_digits_is_not_a_media_id(site, media_id):
    site.add("there.wav", b"RIFF-there")
    status, headers, body = site.get(f"/api/media/{media_id}")
    assert (status, body) == (400, b"not a media id")
    assert headers["content-type"].startswith("text/plain")


def test_an_id_of_the_right_shape_that_is_not_registered_is_unknown(site):
    site.add("there.wav", b"RIFF-there")
    for path in [f"/api/media/{'f' * 32}", f"/api/media/{'f' * 32}/clip", f"/api/media/{'f' * 32}/spectrogram"]:
        status, _, body = site.get(path, "start=0&end=1&width=10&height=10")
        assert (status, body) == (404, b"unknown media id"), path


def test_a_registered_file_gone_from_the_server_is_410_on_every_media_route(site):
    media = site.add("gone.wav", _stereo_wav())
    Path(media.path).unlink()
    for path, query in [(f"/api/media/{media.id}", ""), (f"/api/media/{media.id}/clip", "start=0&end=0.5"),
                        (f"/api/media/{media.id}/spectrogram", "start=0&end=1&width=40&height=20")]:
        status, _, body = site.get(path, query)
        assert (status, body) == (410, b"the media file is gone from the server"), path
    # a folder where the file was is not the file either
    Path(media.path).mkdir()
    status, _, body = site.get(f"/api/media/{media.id}")
    assert (status, body) == (410, b"the media file is gone from the server")


# -- clips -------------------------------------------------------------------------

def _clip_of(channel: int | None, first: int, last: int) -> bytes:
    """The WAV of frames [first, last) of the stereo file: one channel or both."""
    if channel is None:
        frames = np.stack([LEFT[first:last], RIGHT[first:last]], axis=1).astype("<i2").tobytes()
        return _wav_header(2, len(frames)) + frames
    pcm = (LEFT if channel == 0 else RIGHT)[first:last].astype("<i2").tobytes()
    return _wav_header(1, len(pcm)) + pcm


@pytest.mark.parametrize("query, channel, first, last", [
    ("start=0.25&end=0.5", None, 2000, 4000),
    ("start=0.25&end=0.5&channel=0", 0, 2000, 4000),
    ("start=0.25&end=0.5&channel=1", 1, 2000, 4000),
    ("start=0.9&end=5&channel=1", 1, 7200, 8000),          # cut at the file's end
])
def test_a_clip_is_its_window_of_its_channel_as_wav(site, query, channel, first, last):
    media = site.add("stereo.wav", _stereo_wav())
    status, headers, body = site.get(f"/api/media/{media.id}/clip", query)
    assert status == 200
    assert body == _clip_of(channel, first, last)
    assert headers["content-type"] == "audio/wav"
    assert headers["accept-ranges"] == "bytes"
    assert headers["cache-control"] == "private, max-age=3600"
    assert headers["content-length"] == str(len(body))
    assert "content-range" not in headers


@pytest.mark.parametrize("query, message", [
    ("end=0.5", "bad clip request: 'start'"),
    ("start=0.25", "bad clip request: 'end'"),
    ("", "bad clip request: 'start'"),
    ("start=soon&end=0.5", "bad clip request: could not convert string to float: 'soon'"),
    ("start=0&end=", "bad clip request: could not convert string to float: ''"),
    ("start=0&end=0.5&channel=left", "bad clip request: invalid literal for int() with base 10: 'left'"),
    ("start=0&end=0.5&channel=2", "bad clip request: channel 2 of a 2-channel file"),
    ("start=0&end=0.5&channel=-1", "bad clip request: channel -1 of a 2-channel file"),
    ("start=0.5&end=0.5", "bad clip request: empty window 0.500-0.500 s of a 1.000 s file"),
    ("start=nan&end=0.5", "bad clip request: start and end must be finite numbers of seconds, not nan and 0.5"),
])
def test_a_clip_request_that_cannot_be_cut_is_400_with_the_reason(site, query, message):
    media = site.add("stereo.wav", _stereo_wav())
    status, headers, body = site.get(f"/api/media/{media.id}/clip", query)
    assert (status, body.decode()) == (400, message)
    assert headers["content-type"].startswith("text/plain")


def test_a_range_of_a_clip_is_those_bytes_of_the_clip(site):
    media = site.add("stereo.wav", _stereo_wav())
    whole = _clip_of(1, 2000, 4000)             # 44 + 4000 bytes
    status, headers, body = site.get(f"/api/media/{media.id}/clip", "start=0.25&end=0.5&channel=1",
                                     range="bytes=44-1043")
    assert status == 206 and body == whole[44:1044]
    assert headers["content-range"] == "bytes 44-1043/4044"
    assert headers["content-type"] == "audio/wav"
    status, headers, _ = site.get(f"/api/media/{media.id}/clip", "start=0.25&end=0.5&channel=1",
                                  range="bytes=4044-")
    assert status == 416 and headers["content-range"] == "bytes */4044"


# -- bytes_with_range: every form of Range --------------------------------------------

DATA = bytes(range(100, 200))      # 100 bytes: byte i is 100 + i


@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-9", 0, 9),
    ("bytes=10-19", 10, 19),
    ("bytes=5-5", 5, 5),              # one byte
    ("bytes=0-0", 0, 0),
    ("bytes=99-99", 99, 99),          # the last byte
    ("bytes=90-", 90, 99),            # to the end
    ("bytes=0-", 0, 99),
    ("bytes=95-1000", 95, 99),        # an end beyond the data is cut to it
    ("bytes=0-99", 0, 99),
    ("bytes=-1", 99, 99),             # the last n bytes
    ("bytes=-30", 70, 99),
    ("bytes=-100", 0, 99),
    ("bytes=-250", 0, 99),            # more than there is: all of it
    ("  bytes=3-4 ", 3, 4),           # spaces around are no matter
])
def test_a_satisfiable_range_is_206_with_those_bytes(header, first, last):
    response = bytes_with_range(DATA, header, "audio/wav")
    assert response.status_code == 206
    assert response.body == bytes(range(100 + first, 100 + last + 1))
    assert response.headers["content-range"] == f"bytes {first}-{last}/100"
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "private, max-age=3600"
    assert response.headers["content-length"] == str(last - first + 1)


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=5000-", "bytes=10-5", "bytes=1-0",
                                    "bytes=-0"])
def test_a_range_past_the_end_or_backwards_is_416_naming_the_size(header):
    response = bytes_with_range(DATA, header, "audio/wav")
    assert response.status_code == 416
    assert response.body == b""
    assert response.headers["content-range"] == "bytes */100"


@pytest.mark.parametrize("header", [None, "", "bytes=-", "bytes=a-b", "bytes=0-1,5-6", "items=0-9",
                                    "BYTES=0-9", "bytes 0-9", "bytes=0-9x", "bytes=+1-2"])
def test_no_range_an_empty_one_or_a_malformed_one_gives_the_whole_data(header):
    response = bytes_with_range(DATA, header, "audio/ogg")
    assert response.status_code == 200
    assert response.body == DATA
    assert response.headers["content-type"] == "audio/ogg"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "private, max-age=3600"
    assert "content-range" not in response.headers


def test_any_range_of_no_data_is_416():
    for header in ["bytes=0-", "bytes=-5", "bytes=0-0"]:
        response = bytes_with_range(b"", header, "audio/wav")
        assert (response.status_code, response.headers["content-range"]) == (416, "bytes */0"), header


# -- /annotate and the route table ----------------------------------------------------

def test_annotate_redirects_to_the_home_page_keeping_the_query(site):
    status, headers, body = site.get("/annotate")
    assert (status, headers["location"], body) == (307, "./", b"")
    status, headers, _ = site.get("/annotate", "dataset=birds&task=3")
    assert (status, headers["location"]) == (307, "./?dataset=birds&task=3")
    status, headers, _ = site.ask("HEAD", "/annotate", "dataset=birds")
    assert (status, headers["location"]) == (307, "./?dataset=birds")


def test_the_route_table_names_each_path_its_handler_and_methods():
    from earmark.web.cli_route import run_cli
    from earmark.web.routes import home_alias, serve_clip, serve_media
    from earmark.web.spectrogram_route import serve_spectrogram
    table = [(r.path, r.endpoint, r.methods) for r in routes()]
    # the media route takes the rest of the path: it comes after clip and spectrogram
    assert table == [
        ("/annotate", home_alias, {"GET", "HEAD"}),
        ("/api/cli", run_cli, {"POST"}),
        ("/api/media/{media_id}/clip", serve_clip, {"GET", "HEAD"}),
        ("/api/media/{media_id}/spectrogram", serve_spectrogram, {"GET", "HEAD"}),
        ("/api/media/{media_id:path}", serve_media, {"GET", "HEAD"}),
    ]


def test_each_route_answers_its_methods_and_refuses_others(site):
    media = site.add("stereo.wav", _stereo_wav())
    assert site.ask("POST", "/annotate")[0] == 405
    assert site.ask("PUT", f"/api/media/{media.id}")[0] == 405
    assert site.ask("DELETE", f"/api/media/{media.id}/clip", "start=0&end=0.5")[0] == 405
    assert site.ask("POST", f"/api/media/{media.id}/spectrogram")[0] == 405
    assert site.ask("GET", "/api/cli")[0] == 405
    # the bridge answers a POST, and without its token refuses it
    assert site.ask("POST", "/api/cli")[:3:2] == (403, b"a valid token is needed")
    # a clip and a spectrogram reach their own handlers, not the media route
    status, headers, body = site.get(f"/api/media/{media.id}/clip", "start=0&end=0.25&channel=0")
    assert (status, body) == (200, _clip_of(0, 0, 2000))
    status, headers, body = site.get(f"/api/media/{media.id}/spectrogram", "start=0&end=1&width=40&height=20")
    assert status == 200 and headers["content-type"] == "image/png" and body.startswith(b"\x89PNG\r\n\x1a\n")
    status, headers, _ = site.ask("HEAD", f"/api/media/{media.id}/clip", "start=0&end=0.25")
    assert status == 200 and headers["content-type"] == "audio/wav"


# -- with an access code ---------------------------------------------------------------

def _routes_of(media_id: str) -> list[tuple[str, str]]:
    return [(f"/api/media/{media_id}", ""), (f"/api/media/{media_id}/clip", "start=0.25&end=0.5&channel=1"),
            (f"/api/media/{media_id}/spectrogram", "start=0&end=1&width=40&height=20")]


def test_with_an_access_code_no_token_no_bytes_on_every_media_route(site):
    media = site.add("stereo.wav", _stereo_wav())
    other = site.add("other.wav", _stereo_wav() + b"\0\0\0\0")
    secret = _code(site)
    grant = Grant.new()
    foreign = grant.sign("", other.id, secret).split("token=")[1]       # the other file's token
    for path, query in _routes_of(media.id):
        for token, why in [("", "missing"), (f"token={foreign}", "invalid"), ("token=x.1.y", "malformed")]:
            q = "&".join(p for p in (query, token) if p)
            for method in ("GET", "HEAD"):
                status, headers, body = site.ask(method, path, q)
                assert (status, body) == (403, b""), (method, path, q)
                assert headers["x-earmark-refused"] == f"token {why}"
    # an unknown id and a malformed one are refused alike: nothing is told of what exists
    assert site.get(f"/api/media/{'f' * 32}")[:3:2] == (403, b"")
    assert site.get("/api/media/app.py")[:3:2] == (403, b"")


def test_with_an_access_code_a_valid_token_opens_media_clip_and_spectrogram(site):
    data = _stereo_wav()
    media = site.add("stereo.wav", data)
    secret = _code(site)
    token = Grant.new().sign("", media.id, secret).split("?token=")[1]
    whole, clip, spectrogram = [(path, "&".join(p for p in (query, f"token={token}") if p))
                                for path, query in _routes_of(media.id)]
    status, headers, body = site.get(*whole)
    assert (status, body, headers["content-type"]) == (200, data, "audio/wav")
    status, headers, body = site.get(*whole, range="bytes=44-47")
    assert (status, body) == (206, data[44:48])
    status, _, body = site.get(*clip)
    assert (status, body) == (200, _clip_of(1, 2000, 4000))
    status, headers, body = site.get(*clip, range="bytes=-4")
    assert (status, body, headers["content-range"]) == (206, _clip_of(1, 2000, 4000)[-4:], "bytes 4040-4043/4044")
    status, headers, body = site.get(*spectrogram)
    assert status == 200 and body.startswith(b"\x89PNG\r\n\x1a\n")
    # a token opens the file it was minted for, gone or not: its 410 is told to its holder
    Path(media.path).unlink()
    assert site.get(*whole)[:3:2] == (410, b"the media file is gone from the server")


def test_settings_that_cannot_be_read_refuse_the_media_rather_than_open_it(site):
    media = site.add("stereo.wav", _stereo_wav())
    (site.tmp_path / "earmark.json").write_text('{"access_code": ')      # half written
    for path, query in _routes_of(media.id):
        status, _, body = site.get(path, query)
        assert (status, body) == (500, b"the server's settings (earmark.json) cannot be read"), path


def test_a_clip_url_names_its_window_to_the_millisecond_and_its_channel_when_one_is_asked():
    media_id = "0123456789abcdef" * 2
    base = f"/api/media/{media_id}/clip?start=1.500&end=2.250"
    assert clip_url(media_id, 1.5, 2.25) == base                  # both channels
    assert clip_url(media_id, 1.5, 2.25, 0) == base + "&channel=0"  # channel 0 is a channel
    assert clip_url(media_id, 1.5, 2.25, 1) == base + "&channel=1"
    assert clip_url(media_id, 0.0004, 2.0006) == f"/api/media/{media_id}/clip?start=0.000&end=2.001"
