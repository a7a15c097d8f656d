"""The media route serves registered files by id, with Range, and nothing else."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

import pytest

from apprunner import fetch
from earmark.db.media import register_media
from earmark.db.store import Store


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


NOT_AN_ID = (400, b"not a media id")
UNKNOWN = (404, b"unknown media id")
SERVER_REFUSES = (400, b"Bad Request")   # ".." in a path never reaches a route


@pytest.mark.parametrize("path, refusal", [
    ("/api/media/..%2F..%2F..%2Fetc%2Fpasswd", SERVER_REFUSES),
    ("/api/media/%2Fetc%2Fpasswd", NOT_AN_ID),
    ("/api/media//etc/passwd", NOT_AN_ID),
    ("/api/media/00000000000000000000000000000000", UNKNOWN),   # the right shape, not registered
    ("/api/media/" + "a" * 31, NOT_AN_ID),
    ("/api/media/app.py", NOT_AN_ID),
])
def test_anything_but_a_registered_id_is_refused(served, path, refusal):
    app, _, _ = served
    status, _, body = fetch(app.url + path)
    assert (status, body) == refusal, path


def test_dotdot_in_the_raw_path_is_refused(served):
    import http.client
    app, media, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", f"/api/media/../../{media.id}/../../etc/passwd")
    response = conn.getresponse()
    assert (response.status, response.read()) == SERVER_REFUSES


def test_clip_windows_channels_and_ranges(corpus, tmp_path, run_app):
    import io
    import subprocess
    import wave

    import numpy as np
    db = tmp_path / "clips.duckdb"
    store = Store(db)
    stereo = register_media(store, corpus / "formats" / "bobby_16bit_16khz_2ch.wav")
    floats = register_media(store, corpus / "diarization" / "trn01.wav")
    mp3_path = tmp_path / "bobby.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(corpus / "formats" / "bobby_16bit_16khz_2ch.wav"),
                    str(mp3_path)], check=True)
    mp3 = register_media(store, mp3_path)
    store.close()
    app = run_app(db)

    def clip(media_id, query, headers=None):
        return fetch(f"{app.url}/api/media/{media_id}/clip?{query}", headers)

    status, headers, body = clip(stereo.id, "start=0.25&end=0.75&channel=1")
    assert status == 200 and headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(body)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (1, 16000, 8000)
        got = np.frombuffer(w.readframes(8000), dtype="<i2")
    raw = np.fromfile(corpus / "formats" / "bobby_16bit_16khz_2ch.wav", dtype="<i2", offset=44).reshape(-1, 2)
    assert (got == raw[4000:12000, 1]).all()

    status, _, body = clip(floats.id, "start=10&end=12")
    with wave.open(io.BytesIO(body)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getnframes()) == (1, 2, 32000)

    status, _, body = clip(mp3.id, "start=0.2&end=0.6&channel=0")
    with wave.open(io.BytesIO(body)) as w:
        assert w.getnchannels() == 1 and abs(w.getnframes() / w.getframerate() - 0.4) < 0.03

    status, headers, part = clip(stereo.id, "start=0.25&end=0.75&channel=1", {"Range": "bytes=44-1043"})
    full = clip(stereo.id, "start=0.25&end=0.75&channel=1")[2]
    assert status == 206 and part == full[44:1044]
    assert headers["content-range"] == f"bytes 44-1043/{len(full)}"

    for bad in ("start=1&end=0.5", "start=x&end=1", "end=1", "start=0&end=1&channel=5"):
        assert clip(stereo.id, bad)[0] == 400, bad
    assert clip("0" * 32, "start=0&end=1")[0] == 404


def test_a_registered_file_gone_from_disk_is_410_and_a_stray_file_is_404(corpus, tmp_path, run_app):
    """Gone (registered, its file removed since) is 410 on the media, clip and
    spectrogram routes alike; a file lying in media/ under a 32-hex name that the
    database does not know is 404 and none of its bytes."""
    import shutil

    from earmark.db.media import content_hash, media_dir
    db = tmp_path / "gone.duckdb"
    store = Store(db)
    moved = tmp_path / "moved"
    moved.mkdir()
    wav = moved / "call.wav"
    shutil.copy(corpus / "formats" / "bobby_16bit_16khz_2ch.wav", wav)
    mp3 = moved / "call.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), str(mp3)], check=True)
    gone = [register_media(store, wav), register_media(store, mp3)]
    stray_bytes = (corpus / "formats" / "bobby_16bit_48khz.wav").read_bytes()
    stray_id = content_hash(corpus / "formats" / "bobby_16bit_48khz.wav")
    media_dir(store).mkdir(parents=True, exist_ok=True)
    (media_dir(store) / f"{stray_id}.wav").write_bytes(stray_bytes)
    assert store.query("SELECT id FROM media WHERE id = ?", [stray_id]) == []
    store.close()
    shutil.rmtree(moved)
    app = run_app(db)

    for media in gone:
        for path in ("", "/clip?start=0.1&end=0.6", "/clip?start=0.1&end=0.6&channel=0",
                     "/spectrogram?start=0&end=1&width=100&height=50"):
            status, _, body = fetch(f"{app.url}/api/media/{media.id}{path}")
            assert (status, body) == (410, b"the media file is gone from the server"), (media.format, path)
    for path in ("", "/clip?start=0.1&end=0.6", "/spectrogram?start=0&end=1&width=100&height=50"):
        status, _, body = fetch(f"{app.url}/api/media/{stray_id}{path}")
        assert (status, body) == (404, b"unknown media id"), path
    status, _, body = fetch(f"{app.url}/api/media/{stray_id}.wav")
    assert status == 400 and stray_bytes[:64] not in body


def test_the_annotate_page_name_leads_to_the_home_page_with_its_query(served):
    app, _, _ = served
    request = urllib.request.Request(f"{app.url}/annotate?dataset=demo&session=ana")

    class NoFollow(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoFollow).open(request, timeout=10)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 307
        assert e.headers["location"] == "./?dataset=demo&session=ana"
    status, _, body = fetch(f"{app.url}/annotate")      # followed: the app's page
    assert status == 200 and b"<html" in body.lower()
