"""Task hashes are a stored contract: a database loaded by an earlier version
dedupes against them, so the bytes hashed are written out here by hand."""

from __future__ import annotations

import hashlib

from earmark.loading.hashing import input_hash, stable_hash, task_hash


def blake53(payload: str) -> int:
    """The first 8 bytes of BLAKE2b over the UTF-8 payload, big-endian, top 53 bits."""
    return int.from_bytes(hashlib.blake2b(payload.encode("utf-8"), digest_size=8).digest(), "big") >> 11


def test_the_hashed_payload_is_compact_sorted_json_that_keeps_non_ascii_text():
    assert stable_hash({"text": "Grüße", "audio": "m1"}) == blake53('{"audio":"m1","text":"Grüße"}')
    assert stable_hash([1, {"b": None, "a": [2.5]}]) == blake53('[1,{"a":[2.5],"b":null}]')
    assert 0 <= stable_hash("x") < 2 ** 53


def test_the_input_hash_covers_the_audio_window_channel_and_text():
    task = {"audio": "clip.wav", "path": "/data/clip.wav", "segment": [1.5, 3.0], "text": "hallo",
            "meta": {"channel": 0, "speaker": "A"}, "audio_spans": [{"start": 0, "end": 1}]}
    assert input_hash(task, "abc123") == blake53(
        '{"audio":"abc123","channel":0,"segment":[1.5,3.0],"text":"hallo"}')
    # without a media id: the task's audio, else its path; absent keys are left out
    assert input_hash({"audio": "https://x/a.mp3", "path": "/p"}, None) == blake53('{"audio":"https://x/a.mp3"}')
    assert input_hash({"path": "/p/a.wav", "text": None, "meta": None}, None) == blake53('{"audio":"/p/a.wav"}')
    assert input_hash({}, None) == blake53('{"audio":null}')


def test_the_task_hash_adds_what_was_proposed_to_the_input_hash():
    task = {"audio": "a", "label": "SPK1", "options": [{"id": 1}], "transcript": "hi",
            "spans": [], "audio_spans": [{"start": 0.5, "end": 1, "label": "SPK1"}], "text": "ignored"}
    assert task_hash(task, 42) == blake53(
        '{"audio_spans":[{"end":1,"label":"SPK1","start":0.5}],"input":42,"label":"SPK1",'
        '"options":[{"id":1}],"spans":[],"transcript":"hi"}')
    assert task_hash({"audio": "a", "label": None}, 7) == blake53('{"input":7}')
