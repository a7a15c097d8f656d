"""The media route serves registered files by id, with Range, and nothing else."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from earmark.media import register_media
from earmark.store import Store


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def served(corpus, tmp_path, run_app):
    db = tmp_path / "route.duckdb"
    store = Store(db)
    wav = corpus / "diarization" / "trñ00.wav"
    media = register_media(store, wav)
    store.close()
    return run_app(db), media, wav.read_bytes()


def test_whole_file_and_ranges(served):
    app, media, data = served
    status, headers, body = fetch(f"{app.url}/api/media/{media.id}")
    assert status == 200 and body == data
    assert headers["content-type"] == "audio/wav" and headers["accept-ranges"] == "bytes"
    for start, end in [(0, 99), (1000, 1_000_000), (len(data) - 10, len(data) - 1)]:
        status, headers, body = fetch(f"{app.url}/api/media/{media.id}", {"Range": f"bytes={start}-{end}"})
        assert status == 206
        assert body == data[start:end + 1]
        assert headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    status, _, body = fetch(f"{app.url}/api/media/{media.id}", {"Range": "bytes=-500"})
    assert status == 206 and body == data[-500:]
    status, _, _ = fetch(f"{app.url}/api/media/{media.id}", {"Range": f"bytes={len(data) + 5}-"})
    assert status == 416


@pytest.mark.parametrize("path", [
    "/api/media/..%2F..%2F..%2Fetc%2Fpasswd",
    "/api/media/%2Fetc%2Fpasswd",
    "/api/media//etc/passwd",
    "/api/media/00000000000000000000000000000000",
    "/api/media/" + "a" * 31,
    "/api/media/app.py",
])
def test_anything_but_a_registered_id_is_refused(served, path):
    app, _, _ = served
    status, _, body = fetch(app.url + path)
    assert status in (400, 404), (path, status)
    assert b"root:" not in body and b"import" not in body


def test_dotdot_in_the_raw_path_is_refused(served):
    import http.client
    app, media, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", f"/api/media/../../{media.id}/../../etc/passwd")
    response = conn.getresponse()
    assert response.status in (400, 404) and b"root:" not in response.read()
