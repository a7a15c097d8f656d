"""One bad item never aborts or silently shortens a load: it is named (file, or
file:line, and the reason) and everything else loads; nothing stored is a task
a page could not show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from earmark.datasets import get_dataset
from earmark.loading.loader import load_sources
from earmark.db.media import get_media
from earmark.audio.peaks import PeaksError, compute_peaks
from earmark.audio.probe import AudioInfo, ProbeError, probe
from earmark.loading.validate import task_problem

from .crafted import wav_bytes


def stored_tasks(store, dataset: str | None = None) -> list[dict]:
    rows = store.query("SELECT task FROM tasks" + (" WHERE dataset = ?" if dataset else "") + " ORDER BY id",
                       [dataset] if dataset else [])
    return [json.loads(t) for (t,) in rows]


def by_line(report) -> dict[int, str]:
    return {int(f.origin.rsplit(":", 1)[1]): f.reason for f in report.failures}


# -- file names ------------------------------------------------------------------
def test_a_file_name_that_is_not_utf8_loads_with_the_rest(store, tmp_path):
    folder = tmp_path / "calls"
    folder.mkdir()
    for i in range(40):
        (folder / f"call{i:03d}.wav").write_bytes(wav_bytes(seed=i))
    bad_name = os.fsencode(folder) + b"/caf\xe9 \xff.wav"          # Latin-1 bytes, not UTF-8
    with open(bad_name, "wb") as fh:
        fh.write(wav_bytes(seed=99))

    report = load_sources(store, "calls", [folder])
    assert report.failures == []
    assert report.added == 41
    task = next(t for t in stored_tasks(store) if t["file"].startswith("caf"))
    assert task["file"] == "caf\ufffd \ufffd.wav"                   # shown with replacement characters
    assert task["meta"]["file"] == task["file"]
    # the media row's path opens the very file (through a link named by its hash)
    media_id = store.query_one("SELECT media_id FROM tasks WHERE task LIKE '%caf%'")[0]
    media = get_media(store, media_id)
    assert open(media.path, "rb").read() == open(bad_name, "rb").read()
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 41


def test_the_cli_loads_a_folder_with_a_file_name_that_is_not_utf8(tmp_path, root):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.wav").write_bytes(wav_bytes(seed=1))
    with open(os.fsencode(folder) + b"/\xff\xfe.wav", "wb") as fh:
        fh.write(wav_bytes(seed=2))
    done = subprocess.run([sys.executable, "-m", "earmark", "load", "d", str(folder),
                           "--db", str(tmp_path / "x.duckdb")], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "added 2, skipped 0 duplicates, failed 0" in done.stdout


# -- WAV headers -------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0, 1, 999, 768001, 2 ** 31, 2 ** 32 - 1])
def test_sample_rates_outside_1khz_to_768khz_are_refused_at_probe(tmp_path, rate):
    path = tmp_path / "odd.wav"
    path.write_bytes(wav_bytes(rate=rate))
    with pytest.raises(ProbeError, match=r"outside 1 kHz to 768 kHz"):
        probe(path)


@pytest.mark.parametrize("rate", [1000, 768000])
def test_the_edges_of_the_sample_rate_range_load(tmp_path, rate):
    path = tmp_path / "edge.wav"
    path.write_bytes(wav_bytes(rate=rate, frames=4000))
    assert probe(path).sample_rate == rate
    assert compute_peaks(path).buckets >= 1


def test_zero_bits_per_sample_is_refused_with_that_reason(tmp_path):
    path = tmp_path / "zero_bits.wav"
    path.write_bytes(wav_bytes(bits=0, block_align=2))
    with pytest.raises(ProbeError) as caught:
        probe(path)
    assert "0 bits per sample" in str(caught.value)
    assert "channels at" not in str(caught.value)


def test_a_block_align_that_contradicts_the_format_is_refused(tmp_path):
    path = tmp_path / "lying.wav"
    path.write_bytes(wav_bytes(channels=2, block_align=2))
    with pytest.raises(ProbeError, match="block align 2 does not match 2 channels of 16 bits"):
        probe(path)


def test_a_folder_of_hostile_headers_loads_the_good_files_with_their_peaks(store, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(6):
        (folder / f"good{i}.wav").write_bytes(wav_bytes(seed=i))
    (folder / "one_hz.wav").write_bytes(wav_bytes(rate=1))
    (folder / "giga.wav").write_bytes(wav_bytes(rate=2 ** 31))
    (folder / "zero_bits.wav").write_bytes(wav_bytes(bits=0, block_align=2))
    (folder / "no_channels.wav").write_bytes(wav_bytes(channels=0, block_align=2))
    report = load_sources(store, "mixed", [folder])
    named = {f.origin.rsplit("/", 1)[-1]: f.reason for f in report.failures}
    assert set(named) == {"one_hz.wav", "giga.wav", "zero_bits.wav", "no_channels.wav"}
    assert "1 Hz" in named["one_hz.wav"] and "2147483648 Hz" in named["giga.wav"]
    assert "0 channels" in named["no_channels.wav"]
    assert report.added == 6
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 6


def test_peaks_raise_only_peaks_errors_for_an_impossible_header(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes())
    header = probe(path)
    lying = AudioInfo(**{**header.__dict__, "sample_rate": 1})   # what a 1 Hz header used to give
    with pytest.raises(PeaksError):
        compute_peaks(path, lying)


def test_one_files_peaks_failing_in_an_unexpected_way_leaves_the_others_their_peaks(store, tmp_path,
                                                                                   monkeypatch):
    from earmark.loading import loader
    folder = tmp_path / "f"
    folder.mkdir()
    for i in range(5):
        (folder / f"f{i}.wav").write_bytes(wav_bytes(seed=i))
    real = loader.compute_peaks

    def broken(path, *args, **kwargs):
        if path.endswith("f1.wav"):
            raise IndexError("index 1 is out of bounds for axis 0 with size 1")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loader, "compute_peaks", broken)
    report = load_sources(store, "d", [folder])
    assert [f.origin.rsplit("/", 1)[-1] for f in report.failures] == ["f1.wav"]
    assert "IndexError" in report.failures[0].reason
    assert report.added == 4
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 4
    assert store.query_one("SELECT count(*) FROM tasks WHERE media_id NOT IN "
                           "(SELECT media_id FROM peaks)")[0] == 0


def test_copies_of_an_undecodable_file_are_each_a_failure_not_a_duplicate(store, tmp_path, monkeypatch):
    from earmark.loading import loader
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "good.wav").write_bytes(wav_bytes(seed=1))
    for name in ("broken.wav", "broken_copy.wav", "broken_again.wav"):
        (folder / name).write_bytes(wav_bytes(seed=2))
    real = loader.compute_peaks

    def flaky(path, *args, **kwargs):   # the three copies are one media file: decoded once
        if "broken" in path:
            raise PeaksError("Invalid data found when processing input")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loader, "compute_peaks", flaky)
    report = load_sources(store, "d", [folder])
    named = sorted(f.origin.rsplit("/", 1)[-1] for f in report.failures)
    assert named == ["broken.wav", "broken_again.wav", "broken_copy.wav"]
    assert all("Invalid data found" in f.reason for f in report.failures)
    assert report.added == 1 and report.skipped == 0


# -- JSONL -------------------------------------------------------------------------
def test_a_bad_byte_on_line_900_names_line_900_and_the_rest_loads(store, tmp_path):
    lines = [json.dumps({"audio": f"https://example.org/{i}.mp3"}).encode() for i in range(1, 1001)]
    lines[899] = b'{"audio": "https://example.org/caf\xe9.mp3"}'
    source = tmp_path / "tasks.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    report = load_sources(store, "j", [source])
    assert list(by_line(report)) == [900]
    assert "not UTF-8" in by_line(report)[900]
    assert report.added == 999


def hostile_lines(audio: str) -> dict[str, tuple[str, str]]:
    """line text -> (what it is, a word the reason must contain)."""
    ok = {"audio": audio}
    cases = [
        ({**ok, "meta": "a string"}, "`meta` must be an object"),
        ({**ok, "meta": ["a", "list"]}, "`meta` must be an object"),
        ({**ok, "audio_spans": [{"start": 0, "end": 1, "label": {"an": "object"}}]}, "label must be a string"),
        ({**ok, "_input_hash": 2 ** 64}, "64 bits"),
        ({**ok, "_input_hash": -(2 ** 63) - 1}, "64 bits"),
        ({**ok, "_input_hash": True}, "must be an integer"),
        ({**ok, "_task_hash": 1.5}, "must be an integer"),
        ({**ok, "segment": {"start": "0", "end": 1}}, "numeric"),
        ({**ok, "segment": {"start": 0, "end": 99}}, "after the end of the file"),
        ({**ok, "audio_spans": [{"start": 0.5, "end": 99}]}, "after the end of the file"),
        ({**ok, "audio_spans": [{"start": 0, "end": 1, "channel": 1}]}, "does not exist"),
        ({**ok, "audio_spans": [{"start": 0, "end": 1, "channel": -1}]}, "negative"),
        ({**ok, "meta": {"channel": "left"}}, "meta.channel must be an integer"),
        ({**ok, "transcript": ["not", "text"]}, "`transcript` must be a string"),
        ({**ok, "file": 7}, "`file` must be a string"),
        ({**ok, "text": "hello world", "spans": [{"start": 0, "end": 5}]}, "spans[0].label must be a string"),
        ({**ok, "text": "hello world", "spans": [{"start": 0.5, "end": 5, "label": "W"}]}, "integer character"),
        ({**ok, "words": [{"start": 0.1, "end": "0.2", "text": "hi"}]}, "words[0] needs finite numeric"),
        # a recogniser's words: times inside the file, start <= end, text a string, score 0..1
        ({**ok, "words": {"start": 0.1}}, "`words` must be a list"),
        ({**ok, "words": ["hello"]}, "words[0] is not an object"),
        ({**ok, "words": [{"start": 0.1, "end": 0.2, "text": "a"}, {"start": 0.5, "end": 0.4, "text": "b"}]},
         "words[1] has end 0.4 before start 0.5"),
        ({**ok, "words": [{"start": -0.1, "end": 0.2, "text": "hi"}]}, "negative time"),
        ({**ok, "words": [{"start": 0.5, "end": 2.5, "text": "hi"}]}, "words[0] ends at 2.5 s, after the end"),
        ({**ok, "words": [{"start": 0.1, "end": 0.2}]}, "words[0].text must be a string, not null"),
        ({**ok, "words": [{"start": 0.1, "end": 0.2, "text": 7}]}, "words[0].text must be a string"),
        ({**ok, "words": [{"start": 0.1, "end": 0.2, "text": "hi", "score": 1.5}]}, "words[0].score must be"),
        ({**ok, "words": [{"start": 0.1, "end": 0.2, "text": "hi", "score": "high"}]}, "words[0].score must be"),
    ]
    out = {json.dumps(task): (task, word) for task, word in cases}
    # JSON literals that Python's json reads and a browser does not
    out['{"audio": "%s", "audio_spans": [{"start": NaN, "end": 1}]}' % audio] = ("NaN", "NaN")
    out['{"audio": "%s", "segment": {"start": 0, "end": Infinity}}' % audio] = ("Infinity", "Infinity")
    out['{"audio": "%s", "meta": {"x": -Infinity}}' % audio] = ("-Infinity", "-Infinity")
    out['{"audio": "%s", "meta": {"deep": %s}}' % (audio, "[" * 5000 + "]" * 5000)] = ("deep", "deep")
    out['{"audio": "%s", "meta": {"n": %s}}' % (audio, "9" * 5000)] = ("huge", "invalid JSON")
    out['{"audio": "%s", "meta": {"s": "\\udcff"}}' % audio] = ("surrogate", "not valid Unicode")
    return out


def test_hostile_jsonl_lines_are_each_refused_by_line_and_the_good_ones_load(store, tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(wav_bytes(frames=16000))          # 1 s, mono
    cases = hostile_lines(str(audio))
    text = [json.dumps({"audio": str(audio), "meta": {"line": 1}})]
    for line in cases:
        text.append(line)
    text.append(json.dumps({"audio": str(audio), "segment": {"start": 0.2, "end": 0.9},
                            "audio_spans": [{"start": 0.3, "end": 0.4, "label": "A", "channel": 0}],
                            "text": "hello world", "spans": [{"start": 0, "end": 5, "label": "W"}],
                            "words": [{"start": 0.3, "end": 0.4, "text": "hello", "score": 0.9}]}))
    source = tmp_path / "hostile.jsonl"
    source.write_text("\n".join(text) + "\n")
    report = load_sources(store, "h", [source])
    failed = by_line(report)
    assert sorted(failed) == list(range(2, len(cases) + 2))
    for line_no, (_, word) in zip(range(2, len(cases) + 2), cases.values()):
        assert word in failed[line_no], (line_no, failed[line_no])
    assert report.added == 2
    for task in stored_tasks(store):
        assert task_problem(task, duration=1.0, channels=1) is None


# -- spans files -------------------------------------------------------------------
def test_rttm_and_audacity_lines_with_nan_or_bad_channels_are_refused_by_line(store, tmp_path):
    audio = tmp_path / "talk.wav"
    audio.write_bytes(wav_bytes(frames=16000 * 3))
    rttm = tmp_path / "talk.rttm"
    rttm.write_bytes(b"SPEAKER talk 1 0.5 1.0 <NA> <NA> A <NA> <NA>\n"
                     b"SPEAKER talk 1 nan 1.0 <NA> <NA> B <NA> <NA>\n"
                     b"SPEAKER talk 1 0.1 inf <NA> <NA> B <NA> <NA>\n"
                     b"SPEAKER talk 1e20 0.1 0.2 <NA> <NA> C <NA> <NA>\n"
                     b"SPEAKER talk -1 0.1 0.2 <NA> <NA> C <NA> <NA>\n"
                     b"SPEAKER talk 2 0.1 0.2 <NA> <NA> D <NA> <NA>\n"      # channel 2 of a mono file
                     b"SPEAKER talk 1 0.1 0.2 <NA> <NA> \xff\xfe <NA> <NA>\n"
                     b"SPEAKER talk 1 2.0 9.0 <NA> <NA> E <NA> <NA>\n"      # past the end
                     b"SPEAKER talk 1 1.0 0.5 <NA> <NA> F <NA> <NA>\n")
    labels = tmp_path / "talk.txt"
    labels.write_text("0.1\t0.2\tok\nnan\t0.3\tx\n0.1\tinfinity\ty\n0.5\t0.6\tfine\n")
    report = load_sources(store, "s", [audio], spans=[rttm, labels])
    named = {f.origin: f.reason for f in report.failures}
    for line in (2, 3, 4, 5, 6, 7, 8):
        assert f"{rttm}:{line}" in named, line
    assert "finite" in named[f"{rttm}:2"] and "finite" in named[f"{rttm}:3"]
    assert "1e20" in named[f"{rttm}:4"] and "'-1'" in named[f"{rttm}:5"]
    assert "does not exist" in named[f"{rttm}:6"]
    assert "not UTF-8" in named[f"{rttm}:7"]
    assert "lies outside talk.wav" in named[f"{rttm}:8"]
    assert f"{labels}:2" in named and f"{labels}:3" in named
    assert len(report.failures) == 9
    (task,) = stored_tasks(store)
    assert sorted((s["label"], s["start"]) for s in task["audio_spans"]) == [
        ("A", 0.5), ("F", 1.0), ("fine", 0.5), ("ok", 0.1)]


def test_a_jsonl_spans_file_with_a_bad_byte_keeps_its_other_lines(store, tmp_path):
    audio = tmp_path / "x.wav"
    audio.write_bytes(wav_bytes(frames=16000))
    spans = tmp_path / "spans.jsonl"
    spans.write_bytes(b'{"file": "x.wav", "audio_spans": [{"start": 0.1, "end": 0.2, "label": "A"}]}\n'
                      b'{"file": "x.wav", "audio_spans": [{"start": 0.1, "end": 0.2, "label": "\xff"}]}\n'
                      b'{"file": "x.wav", "audio_spans": [{"start": NaN, "end": 0.2}]}\n'
                      b'{"file": "x.wav", "audio_spans": [{"start": 0.3, "end": 0.4, "label": "B"}]}\n')
    report = load_sources(store, "s", [audio], spans=[spans])
    assert sorted(f.origin for f in report.failures) == [f"{spans}:2", f"{spans}:3"]
    (task,) = stored_tasks(store)
    assert [s["label"] for s in task["audio_spans"]] == ["A", "B"]


# -- datasets and media rows -------------------------------------------------------
def test_a_failed_load_of_a_missing_folder_leaves_no_dataset(store, tmp_path, root):
    report = load_sources(store, "ghost", [tmp_path / "no such folder"])
    assert report.added == 0 and report.failed == 1
    assert get_dataset(store, "ghost") is None
    done = subprocess.run([sys.executable, "-m", "earmark", "load", "ghost2", str(tmp_path / "nope"),
                           "--db", str(tmp_path / "c.duckdb")], capture_output=True, text=True, cwd=root)
    assert done.returncode == 1 and "no such file or directory" in done.stderr
    listed = subprocess.run([sys.executable, "-m", "earmark", "datasets", "--db", str(tmp_path / "c.duckdb")],
                            capture_output=True, text=True, cwd=root)
    assert "ghost2" not in listed.stdout


def test_a_dataset_that_existed_stays_when_a_load_adds_nothing(store, tmp_path):
    good = tmp_path / "g.wav"
    good.write_bytes(wav_bytes())
    load_sources(store, "kept", [good])
    load_sources(store, "kept", [tmp_path / "nothing here"])
    assert get_dataset(store, "kept") is not None


def test_a_moved_recording_loaded_again_follows_its_new_path(store, tmp_path):
    old = tmp_path / "old" / "rec.wav"
    old.parent.mkdir()
    old.write_bytes(wav_bytes(seed=5))
    load_sources(store, "d", [old])
    new = tmp_path / "new" / "renamed.wav"
    new.parent.mkdir()
    shutil.move(old, new)
    again = load_sources(store, "d", [new])
    assert again.skipped == 1 and again.failures == []
    (path,) = store.query_one("SELECT path FROM media")
    assert path == str(new.resolve())
    # a path that still exists is kept: the same bytes at a second place change nothing
    second = tmp_path / "copy.wav"
    shutil.copy(new, second)
    load_sources(store, "other", [second])
    assert store.query_one("SELECT path FROM media")[0] == str(new.resolve())


def test_a_named_pipe_among_the_audio_is_refused_not_waited_on(store, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "good.wav").write_bytes(wav_bytes())
    os.mkfifo(folder / "pipe.wav")
    report = load_sources(store, "d", [folder])
    assert [(f.origin.rsplit("/", 1)[-1], "not a regular file" in f.reason) for f in report.failures] == [
        ("pipe.wav", True)]
    assert report.added == 1


def test_a_non_utf8_name_never_replaces_an_uploaded_copy_of_the_same_bytes(store, tmp_path):
    from earmark.loading.loader import load_uploads
    data = wav_bytes(seed=7)
    load_uploads(store, "up", [("call.wav", data)])
    (stored,) = [p for p in (store.path.parent / "media").iterdir() if p.suffix == ".wav"]
    folder = tmp_path / "f"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/\xff.wav", "wb") as fh:
        fh.write(data)
    report = load_sources(store, "d", [folder])
    assert report.added == 1 and report.failures == []
    assert not stored.is_symlink() and stored.read_bytes() == data


@pytest.mark.parametrize("suffix", [".flac", ".ogg"])
def test_compressed_files_outside_the_sample_rate_range_are_refused(tmp_path, suffix):
    path = tmp_path / f"low{suffix}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=100:sample_rate=800:d=1",
                    str(path)], check=True)
    with pytest.raises(ProbeError, match="800 Hz lies outside 1 kHz to 768 kHz"):
        probe(path)


def test_a_file_whose_every_task_is_refused_is_not_registered(store, tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(wav_bytes(frames=16000))
    source = tmp_path / "t.jsonl"
    source.write_text(json.dumps({"audio": str(audio), "segment": {"start": 0, "end": 5}}) + "\n")
    report = load_sources(store, "d", [source])
    assert report.added == 0 and "after the end of the file" in report.failures[0].reason
    assert store.query_one("SELECT count(*) FROM media")[0] == 0


def test_the_ffmpeg_peaks_buffer_is_bounded_whatever_the_header_claims(tmp_path, monkeypatch):
    from earmark.audio import peaks
    path = tmp_path / "a.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=100:sample_rate=16000:d=0.2",
                    str(path)], check=True)
    sizes = []

    def spy(size):
        sizes.append(size)
        return bytearray(size)

    monkeypatch.setattr(peaks, "bytearray", spy, raising=False)
    claimed = AudioInfo(format="flac", duration=0.2, sample_rate=768000, channels=8)
    result = peaks._ffmpeg_peaks(path, claimed, peaks.PEAKS_PER_SECOND)   # 123 MB of buffer before
    assert result.channels == 8
    assert sizes and max(sizes) <= 64 << 20
