"""Bad input is named with its reason, and never stops the rest from loading."""

from __future__ import annotations

import base64
import json
import shutil

from earmark.loading.loader import load_sources


def test_bad_files_are_named_and_good_ones_load(corpus, store, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "zero.wav").write_bytes(b"")
    good = corpus / "formats" / "bobby_16bit_16khz.wav"
    (folder / "truncated.wav").write_bytes(good.read_bytes()[:3000])
    (folder / "notes.mp3").write_text("these are meeting notes, not audio\n")
    (folder / "header_only.wav").write_bytes(good.read_bytes()[:44])
    shutil.copy(good, folder / "good.wav")
    shutil.copy(corpus / "diarization" / "trn02.wav", folder / "sub_good.wav")
    (folder / "readme.txt").write_text("ignored: not an audio extension")

    report = load_sources(store, "d", [folder])
    reasons = {f.origin.rsplit("/", 1)[-1]: f.reason for f in report.failures}
    assert set(reasons) == {"zero.wav", "truncated.wav", "notes.mp3", "header_only.wav"}
    assert "empty" in reasons["zero.wav"]
    assert "truncated" in reasons["truncated.wav"]
    assert "not a readable audio file" in reasons["notes.mp3"]
    # 44 bytes: the header alone, announcing the original's 19114 16-bit frames
    assert "truncated WAV: the header announces 38228 bytes of audio, the file holds 0" \
        in reasons["header_only.wav"]
    assert report.added == 2
    files = {json.loads(t)["file"] for (t,) in store.query("SELECT task FROM tasks")}
    assert files == {"good.wav", "sub_good.wav"}


def test_broken_jsonl_lines_are_named_by_line(corpus, store, tmp_path):
    audio = corpus / "formats" / "bobby_16bit_16khz.wav"
    b64 = base64.b64encode((corpus / "formats" / "bobby_16bit_48khz.wav").read_bytes()).decode()
    lines = [
        json.dumps({"audio": str(audio), "meta": {"note": "ok"}}),            # 1 good
        '{"audio": "x.wav", ',                                                 # 2 broken JSON
        json.dumps(["not", "an", "object"]),                                   # 3 not an object
        "",                                                                    # 4 blank: skipped silently
        json.dumps({"audio": "missing/file.wav"}),                             # 5 missing file
        json.dumps({"audio": "data:audio/wav;base64," + b64}),                 # 6 good, base64
        json.dumps({"audio": "data:audio/wav;base64,@@@"}),                    # 7 bad base64
        json.dumps({"text": "no audio at all"}),                               # 8 no audio
        json.dumps({"audio": "https://example.org/a.mp3", "audio_spans": [{"start": 2, "end": 1}]}),  # 9 bad span
        json.dumps({"audio": "https://example.org/b.mp3"}),                    # 10 good, URL
    ]
    source = tmp_path / "tasks.jsonl"
    source.write_text("\n".join(lines) + "\n")
    report = load_sources(store, "j", [source])
    failed = {int(f.origin.rsplit(":", 1)[1]): f.reason for f in report.failures}
    assert set(failed) == {2, 3, 5, 7, 8, 9}
    # the column of the line the user sees: past its end, not on a line after it
    assert failed[2] == "invalid JSON: Expecting property name enclosed in double quotes at column 20"
    assert "JSON object" in failed[3]
    assert "not found" in failed[5]
    assert "base64" in failed[7]
    assert "no `audio`" in failed[8]
    assert "before start" in failed[9]
    assert report.added == 3
    tasks = [json.loads(t) for (t,) in store.query("SELECT task FROM tasks ORDER BY id")]
    assert tasks[0]["meta"]["note"] == "ok"
    # base64 audio is written once to the media folder and dropped from the task
    assert "audio" not in tasks[1] and tasks[1]["meta"]["sample_rate"] == 48000
    assert len(list((store.path.parent / "media").iterdir())) == 1
    assert tasks[2]["audio"] == "https://example.org/b.mp3"


def test_keep_base64_when_asked(corpus, store, tmp_path):
    b64 = base64.b64encode((corpus / "formats" / "bobby_16bit_16khz.wav").read_bytes()).decode()
    source = tmp_path / "t.jsonl"
    source.write_text(json.dumps({"audio": "data:audio/wav;base64," + b64}) + "\n")
    load_sources(store, "k", [source], keep_base64=True)
    task = json.loads(store.query_one("SELECT task FROM tasks")[0])
    assert task["audio"].startswith("data:audio/wav;base64,")


def test_duplicates_are_skipped_across_loads(corpus, store):
    first = load_sources(store, "d", [corpus / "praat" / "bobby.wav"])
    again = load_sources(store, "d", [corpus / "praat" / "bobby.wav", corpus / "formats"])
    assert first.added == 1
    # formats/bobby_16bit_48khz.wav holds the same bytes as praat/bobby.wav
    assert again.skipped == 2 and again.added == 4


def test_a_missing_source_is_reported(store, tmp_path):
    report = load_sources(store, "d", [tmp_path / "nope"])
    assert [str(f) for f in report.failures] == [f"{tmp_path / 'nope'}: no such file or directory"]


def test_uploaded_bytes_are_stored_once_and_loaded(corpus, store):
    from earmark.loading.loader import load_uploads
    data = (corpus / "formats" / "bobby_16bit_16khz_2ch.wav").read_bytes()
    report = load_uploads(store, "up", [("call.wav", data), ("again.wav", data),
                                        ("empty.mp3", b""), ("junk.ogg", b"not audio")])
    assert report.added == 1 and report.skipped == 1
    assert sorted(f.origin for f in report.failures) == ["empty.mp3", "junk.ogg"]
    task = json.loads(store.query_one("SELECT task FROM tasks")[0])
    assert task["file"] == "call.wav" and task["meta"]["channels"] == 2
    stored = list((store.path.parent / "media").iterdir())
    assert len(stored) == 1  # the audio once; the junk bytes that failed to probe are not kept


def test_a_file_that_probes_but_does_not_decode_is_taken_out(corpus, store, monkeypatch):
    from earmark.loading import loader
    from earmark.audio.peaks import PeaksError
    real = loader.compute_peaks

    def flaky(path, *args, **kwargs):
        if path.endswith("trn02.wav"):
            raise PeaksError("ffmpeg could not decode trn02.wav: Invalid data found")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loader, "compute_peaks", flaky)
    report = load_sources(store, "d", [corpus / "diarization"])
    assert [f.origin.rsplit("/", 1)[-1] for f in report.failures] == ["trn02.wav"]
    assert "could not decode" in report.failures[0].reason
    assert report.added == 4 and len(report.task_ids) == 4
    files = {json.loads(t)["file"] for (t,) in store.query("SELECT task FROM tasks")}
    assert "trn02.wav" not in files and len(files) == 4
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 4
