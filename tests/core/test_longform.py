"""Long recordings at load: channels, segments, pre-annotation; times stay in file time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.loading.loader import load_sources
from earmark.loading.longform import LongformOptions
from earmark.models.registry import ModelError, resolve_model
from earmark.loading.segment import parse_segment_spec
from programs import require


def tasks_of(store, dataset="d") -> list[dict]:
    return [json.loads(t) for (t,) in store.query("SELECT task FROM tasks WHERE dataset = ? ORDER BY id", [dataset])]


@pytest.fixture
def joined(corpus, tmp_path):
    """Three corpus recordings with 2 s of silence between them (about 96 s)."""
    require("sox")
    out = tmp_path / "joined.wav"
    parts = [str(corpus / "diarization" / n) for n in ("trn01.wav", "trn02.wav", "trn03.wav")]
    cmd = ["sox", parts[0], "-r", "16000", "-b", "16", "-c", "1", str(tmp_path / "a.wav")]
    subprocess.run(cmd, check=True)
    args = ["sox", str(tmp_path / "a.wav")]
    for p in parts[1:]:
        args += ["|sox -n -r 16000 -b 16 -c 1 -p trim 0 2", f"|sox {p} -r 16000 -b 16 -c 1 -p"]
    subprocess.run([*args, str(out)], check=True)
    return out


def test_split_channels_makes_one_task_per_channel(store, corpus):
    stereo = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    report = load_sources(store, "d", [stereo], longform=LongformOptions(split_channels=True))
    assert report.added == 2
    tasks = tasks_of(store)
    assert [t["meta"]["channel"] for t in tasks] == [0, 1]
    assert tasks[0]["_input_hash"] != tasks[1]["_input_hash"]
    again = load_sources(store, "d", [stereo], longform=LongformOptions(split_channels=True))
    assert again.skipped == 2 and again.added == 0


def test_segments_keep_file_time_and_spans_come_back_in_file_time(store, joined):
    spec = parse_segment_spec("silence:thresh=-60,min_silence=1.5,min=1,max=40")
    report = load_sources(store, "d", [joined], longform=LongformOptions(segment=spec))
    tasks = tasks_of(store)
    assert report.added == len(tasks) >= 3
    starts = [t["segment"]["start"] for t in tasks]
    assert starts == sorted(starts)
    assert all(t["path"] == str(joined) for t in tasks)          # no copies: the parent file
    assert len({t["_input_hash"] for t in tasks}) == len(tasks)
    second = tasks[1]
    # the second recording starts after 30 s of trn01 and 2 s of silence
    assert 31.5 < second["segment"]["start"] < 32.1
    task = get_task(store, report.task_ids[1])
    region = {"id": "r", "start": second["segment"]["start"] + 1.25, "end": second["segment"]["start"] + 2.5,
              "label": "SPEECH"}
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": [region]})
    from earmark.formats.export import export_rttm
    import io
    out = io.StringIO()
    export_rttm(store, "d", out)
    fields = out.getvalue().split()
    assert float(fields[3]) == pytest.approx(region["start"], abs=0.001)


def test_the_speech_model_pre_labels_each_segment(store, joined):
    spec = parse_segment_spec("window:40")
    report = load_sources(store, "d", [joined], longform=LongformOptions(segment=spec, model=resolve_model("speech")))
    tasks = tasks_of(store)
    assert report.failures == [] and len(tasks) == 3
    for t in tasks:
        for span in t.get("audio_spans", []):
            assert span["label"] == "SPEECH" and span["id"]
            assert t["segment"]["start"] <= span["start"] < span["end"] <= t["segment"]["end"] + 1e-6
    # the 2 s silences between recordings are not speech
    all_spans = [s for t in tasks for s in t.get("audio_spans", [])]
    assert all_spans
    assert not any(s["start"] < 31.0 and s["end"] > 31.4 for s in all_spans)


def test_a_users_model_plugs_in_and_its_failures_are_named(store, corpus, tmp_path, monkeypatch):
    (tmp_path / "my_model.py").write_text(
        "def first_second(task):\n"
        "    if task['file'] == 'trn02.wav':\n"
        "        raise RuntimeError('cannot handle this one')\n"
        "    return [{'start': 0.0, 'end': 1.0, 'label': 'FIRST'}]\n"
        "def bad(task):\n"
        "    return [{'start': 2.0, 'end': 1.0}]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    model = resolve_model("my_model:first_second")
    report = load_sources(store, "d", [corpus / "diarization"],
                          longform=LongformOptions(model=model, model_name="my_model:first_second"))
    assert [f.origin.rsplit("/", 1)[-1] for f in report.failures] == ["trn02.wav"]
    assert "RuntimeError: cannot handle this one" in report.failures[0].reason
    assert report.added == 4
    assert all(t["audio_spans"][0]["label"] == "FIRST" for t in tasks_of(store))
    report = load_sources(store, "e", [corpus / "praat" / "bobby.wav"],
                          longform=LongformOptions(model=resolve_model("my_model:bad")))
    assert "end 1.0 before start 2.0" in report.failures[0].reason
    with pytest.raises(ModelError, match="has no function 'nope'"):
        resolve_model("my_model:nope")
    with pytest.raises(ModelError, match="cannot import"):
        resolve_model("no_such_module_here:f")


def test_cli_segment_split_model_and_transcript_export(corpus, tmp_path, root, joined):
    db = tmp_path / "cli.duckdb"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db)],
                              capture_output=True, text=True, cwd=root)
    bad = cli("load", "d", str(joined), "--segment", "silence:foo=1")
    assert bad.returncode == 2 and "unknown option 'foo'" in bad.stderr
    done = cli("load", "d", str(joined), "--segment", "window:30:5", "--model", "speech", "--view", "transcript")
    assert done.returncode == 0, done.stderr
    assert "added 4" in done.stdout
    from earmark.db.store import Store
    store = Store(db)
    for n, task_id in enumerate(i for (i,) in store.query("SELECT id FROM tasks ORDER BY id DESC")):
        save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"transcript": f"part {n}"})
    store.close()
    out = tmp_path / "txt"
    assert cli("export", "d", "--format", "transcript", "--out", str(out)).returncode == 0
    text = (out / "joined.transcript.txt").read_text()
    assert text.splitlines() == ["[00:00:00.000 --> 00:00:30.000] part 3",
                                 "[00:00:25.000 --> 00:00:55.000] part 2",
                                 "[00:00:50.000 --> 00:01:20.000] part 1",
                                 "[00:01:15.000 --> 00:01:34.000] part 0"]


def test_a_model_region_after_the_end_of_the_file_is_refused():
    from earmark.models.registry import run_model
    with pytest.raises(ModelError, match=r"ends at 99\.0 s, after the end of the file \(1\.200 s\)"):
        run_model(lambda task: [{"start": 0.5, "end": 99.0, "label": "S"}], {}, 1.2)
    # header durations are rounded: a millisecond past the end is the end
    assert run_model(lambda task: [{"start": 0.5, "end": 1.2005, "label": "S"}], {}, 1.2)[0]["end"] == 1.2
