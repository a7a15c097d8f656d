"""Task identity: what makes two tasks the same (one is skipped as a duplicate)
and the documented hash values, computed here from the algorithm itself.

The documented algorithm (earmark/loading/hashing.py, Prodigy's `_input_hash`): the
input's identity {"audio": media id or URL, "segment"?, "text"?, "channel"?}
as canonical JSON (keys sorted, no spaces, UTF-8), BLAKE2b with an 8-byte
digest read big-endian, shifted right by 11 bits to fit JavaScript's 53.
The task hash is the same over {"input": input hash, plus the proposals}.
"""

from __future__ import annotations

import hashlib
import json

from earmark.loading.loader import load_sources

URL = "https://example.org/talk.mp3"


def documented_hash(value) -> int:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 11


def load_lines(store, tmp_path, tasks: list[dict], dataset: str = "h"):
    source = tmp_path / f"{dataset}.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    report = load_sources(store, dataset, [source], peaks=False)
    assert report.failures == []
    stored = [json.loads(t) for (t,) in store.query(
        "SELECT task FROM tasks WHERE dataset = ? ORDER BY id", [dataset])]
    return report, stored


def test_the_input_and_task_hashes_of_a_fixed_task_are_the_documented_values(store, tmp_path):
    # Computed once from the algorithm above (and checked here against it):
    # {"audio":"https://example.org/talk.mp3","text":"hello world"}
    assert documented_hash({"audio": URL, "text": "hello world"}) == 2181595398042114
    # {"audio":"https://example.org/talk.mp3","channel":0,"segment":{"end":3.0,"start":1.5}}
    assert documented_hash({"audio": URL, "channel": 0, "segment": {"start": 1.5, "end": 3.0}}) \
        == 8666014065692904
    spans = [{"id": "r1", "start": 0.5, "end": 1.25, "label": "SPEECH"}]
    assert documented_hash({"input": 2181595398042114, "audio_spans": spans}) == 8460744721395416

    _, stored = load_lines(store, tmp_path, [
        {"audio": URL, "text": "hello world", "audio_spans": spans, "meta": {"note": "not hashed"}},
        {"audio": URL, "segment": {"start": 1.5, "end": 3.0}, "meta": {"channel": 0}},
    ])
    assert [(t["_input_hash"], t["_task_hash"]) for t in stored][0] == (2181595398042114, 8460744721395416)
    assert stored[1]["_input_hash"] == 8666014065692904


def test_tasks_on_the_same_audio_with_different_text_are_two_tasks(store, corpus, tmp_path):
    audio = str(corpus / "formats" / "bobby_16bit_16khz.wav")
    report, stored = load_lines(store, tmp_path, [
        {"audio": audio, "text": "the first sentence"},
        {"audio": audio, "text": "the second sentence"},
        {"audio": audio, "text": "the first sentence"},        # the first again: a duplicate
    ])
    assert (report.added, report.skipped) == (2, 1)
    assert [t["text"] for t in stored] == ["the first sentence", "the second sentence"]


def test_tasks_on_the_same_audio_with_different_segments_are_two_tasks(store, corpus, tmp_path):
    audio = str(corpus / "formats" / "bobby_16bit_16khz.wav")
    report, stored = load_lines(store, tmp_path, [
        {"audio": audio, "segment": {"start": 0.0, "end": 0.5}},
        {"audio": audio, "segment": {"start": 0.5, "end": 1.0}},
        {"audio": audio, "segment": {"start": 0.0, "end": 0.5}},
    ])
    assert (report.added, report.skipped) == (2, 1)
    assert [t["segment"] for t in stored] == [{"start": 0.0, "end": 0.5}, {"start": 0.5, "end": 1.0}]


def test_channel_0_is_a_channel_of_its_own_not_the_whole_file(store, corpus, tmp_path):
    """A task on channel 0 (falsy) is neither the whole-file task nor channel 1's."""
    audio = str(corpus / "formats" / "bobby_16bit_16khz_2ch.wav")
    report, stored = load_lines(store, tmp_path, [
        {"audio": audio},
        {"audio": audio, "meta": {"channel": 0}},
        {"audio": audio, "meta": {"channel": 1}},
        {"audio": audio, "meta": {"channel": 0}},
    ])
    assert (report.added, report.skipped) == (3, 1)
    assert [t["meta"].get("channel", "whole file") for t in stored] == ["whole file", 0, 1]


def test_the_same_task_twice_is_one_task(store, corpus, tmp_path):
    audio = str(corpus / "formats" / "bobby_16bit_16khz.wav")
    task = {"audio": audio, "text": "t", "segment": {"start": 0.25, "end": 0.75}}
    report, stored = load_lines(store, tmp_path, [task, dict(task)])
    assert (report.added, report.skipped) == (1, 1)
    again, _ = load_lines(store, tmp_path, [task])       # and in a later load
    assert (again.added, again.skipped) == (0, 1)
    assert [(t["text"], t["segment"]) for t in stored] == [("t", {"start": 0.25, "end": 0.75})]
