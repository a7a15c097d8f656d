"""`python -m earmark`, exactly as design.md says scripts may rely on it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.db.store import Store

from .test_hashing import documented_hash
from .wavheader import wav_header


@pytest.fixture
def cli(tmp_path, root):
    db = tmp_path / "cli.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db)],
                              capture_output=True, text=True, cwd=root)
    run.db = db  # type: ignore[attr-defined]
    return run


def test_load_reports_added_skipped_failed(cli, corpus, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.flac").write_bytes(b"fLaC" + b"\0" * 20)
    done = cli("load", "talks", str(corpus / "diarization"), str(bad), "--label", "SPK1,SPK2",
               "--view", "audio_manual")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "talks: added 5, skipped 0 duplicates, failed 1"
    assert "broken.flac" in done.stderr and "failed:" in done.stderr
    again = cli("load", "talks", str(corpus / "diarization"))
    assert again.stdout.strip() == "talks: added 0, skipped 5 duplicates, failed 0"
    listing = cli("datasets")
    assert listing.stdout.split("\t")[:3] == ["talks", "audio_manual", "5 tasks"]


def test_load_exits_non_zero_when_nothing_loads(cli, tmp_path):
    (tmp_path / "x.wav").write_bytes(b"")
    done = cli("load", "d", str(tmp_path / "x.wav"))
    assert done.returncode == 1
    assert "x.wav: empty file" in done.stderr


def test_unknown_view_is_a_clear_error(cli, corpus):
    done = cli("load", "d", str(corpus / "praat" / "bobby.wav"), "--view", "video")
    assert done.returncode == 2 and "unknown view 'video'" in done.stderr
    assert "Traceback" not in done.stderr


def test_export_stats_drop(cli, corpus, tmp_path):
    cli("load", "d", str(corpus / "formats"))
    store = Store(cli.db)
    ids = [i for (i,) in store.query("SELECT id FROM tasks ORDER BY id")]
    spans = [{"id": "a", "start": 0.1, "end": 0.4, "label": "SPEECH"},
             {"id": "b", "start": 0.5, "end": 1.0, "label": "SPEECH"},
             {"id": "c", "start": 0.0, "end": 0.25, "label": "NOISE"}]
    save_annotation(store, get_task(store, ids[0]), "accept", "ann", edits={"audio_spans": spans})
    save_annotation(store, get_task(store, ids[1]), "reject", "ann")
    store.close()

    out = cli("export", "d")
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["answer"] for r in records] == ["accept", "reject"]
    assert cli("export", "d", "--all").stdout.count("\n") == len(ids)
    target = tmp_path / "out" / "d.csv"
    done = cli("export", "d", "--format", "csv", "--out", str(target))
    assert done.returncode == 0 and target.read_text().count("\n") == 1 + 3 + 1

    stats = json.loads(cli("stats", "d", "--json").stdout)
    assert set(stats) == {"tasks", "answered", "answers", "labels", "audio_seconds"}
    assert stats["tasks"] == len(ids) and stats["answered"] == 2
    assert stats["answers"] == {"accept": 1, "reject": 1}
    assert stats["labels"] == {"NOISE": {"regions": 1, "seconds": 0.25},
                               "SPEECH": {"regions": 2, "seconds": 0.8}}
    # five files of 19114 frames at 16 or 48 kHz (1.194625 s each), rounded to the ms
    assert stats["audio_seconds"] == round(sum(wav_header(f).duration for f in (corpus / "formats").glob("*.wav")), 3)
    assert stats["audio_seconds"] == 5.973
    assert f"tasks: {len(ids)} " in cli("stats", "d").stdout

    assert cli("drop", "d").returncode == 0
    assert cli("datasets").stdout == ""
    missing = cli("export", "d")
    assert missing.returncode == 2 and "no dataset named 'd'" in missing.stderr


def test_db_from_environment(tmp_path, corpus, root):
    import os
    env = {**os.environ, "EARMARK_DB": str(tmp_path / "env.duckdb")}
    subprocess.run([sys.executable, "-m", "earmark", "load", "e", str(corpus / "praat")],
                   env=env, cwd=root, check=True, capture_output=True)
    assert (tmp_path / "env.duckdb").exists()


def test_pre_annotation_labels_join_the_dataset_labels(cli, corpus):
    """The RTTM's speakers become labels the annotator can pick; listed labels stay first."""
    rttm = corpus / "diarization" / "reference.rttm"
    speakers = sorted({line.split()[7] for line in rttm.read_text(encoding="utf-8").splitlines() if line.strip()})
    done = cli("load", "diar", str(corpus / "diarization"), "--spans", str(rttm), "--label", "NOISE")
    assert done.returncode == 0, done.stderr
    assert f"labels added from the pre-annotations: {', '.join(speakers)}" in done.stderr
    assert done.stdout.strip() == "diar: added 5, skipped 0 duplicates, failed 0"
    store = Store(cli.db)
    from earmark.datasets import get_dataset
    assert get_dataset(store, "diar").labels == ["NOISE", *speakers]
    store.close()
    again = cli("load", "diar", str(corpus / "diarization"), "--spans", str(rttm))
    assert "labels added" not in again.stderr


# -- while the app holds the database ---------------------------------------------
def test_commands_run_inside_the_app_that_holds_the_database(cli, corpus, tmp_path, run_app, root):
    """DuckDB lets one process open the file: with the app running, the command
    line sends its command to the app and prints the same output."""
    assert cli("load", "talks", str(corpus / "diarization"), "--label", "SPK1,SPK2").returncode == 0
    store = Store(cli.db)
    task = get_task(store, store.query_one("SELECT min(id) FROM tasks")[0])
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": REGIONS}, timestamp=1_700_000_000.75)
    store.close()
    direct = {name: cli(*args) for name, args in COMMANDS_TO_COMPARE.items()}
    # The direct output is the export built here by hand, so the bridged one is too.
    expected = expected_outputs(corpus / "diarization")
    for name, want in expected.items():
        assert (direct[name].returncode, direct[name].stdout) == want, name
    app = run_app(cli.db)
    address = json.loads((tmp_path / "cli.duckdb.app.json").read_text())
    assert address["url"] == app.url and len(address["token"]) > 20
    for name, args in COMMANDS_TO_COMPARE.items():
        bridged = cli(*args)
        assert (bridged.returncode, bridged.stdout) == (direct[name].returncode, direct[name].stdout), name
        assert "running the command there" in bridged.stderr
    # Relative paths are the caller's, not the app's; --label's value is not a path.
    work = tmp_path / "work"
    (work / "more").mkdir(parents=True)
    (work / "more" / "bobby.wav").write_bytes((corpus / "praat" / "bobby.wav").read_bytes())
    loaded = subprocess.run([sys.executable, "-m", "earmark", "load", "more", "--label", "A,B", "more",
                             "--db", str(cli.db)], capture_output=True, text=True, cwd=work,
                            env={**__import__("os").environ, "PYTHONPATH": str(root)})
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "more: added 1, skipped 0 duplicates, failed 0"
    exported = subprocess.run([sys.executable, "-m", "earmark", "export", "more", "--all", "--out",
                               "out/more.jsonl", "--db", str(cli.db)], capture_output=True, text=True,
                              cwd=work, env={**__import__("os").environ, "PYTHONPATH": str(root)})
    assert exported.returncode == 0, exported.stderr
    assert json.loads((work / "out" / "more.jsonl").read_text())["file"] == "bobby.wav"
    assert cli("export", "nope").returncode == 2
    # The route wants the token.
    import urllib.error
    import urllib.request
    request = urllib.request.Request(app.url + "/api/cli", data=b'{"argv": ["datasets"]}', method="POST",
                                     headers={"X-Earmark-Token": "guess"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    app.stop()
    assert not (tmp_path / "cli.duckdb.app.json").exists()
    assert cli("datasets").stdout.splitlines()[0].startswith("more\t")   # the file is free again


REGIONS = [{"id": "r1", "start": 0.1, "end": 0.4, "label": "SPK1", "channel": 0},
           {"id": "r2", "start": 0.25, "end": 0.9, "label": "SPK2"}]


def expected_outputs(folder) -> dict[str, tuple[int, str]]:
    """What each compared command must print for the 'talks' dataset: the five
    diarization files in name order, the first (empty.wav) accepted with REGIONS."""
    files = sorted(folder.glob("*.wav"))
    assert [f.name for f in files] == ["empty.wav", "trn01.wav", "trn02.wav", "trn03.wav", "trñ00.wav"]
    rows = []
    for f in files:
        path = str(f.resolve())
        input_hash = documented_hash({"audio": hashlib.blake2b(f.read_bytes(), digest_size=16).hexdigest()})
        header = wav_header(f)
        rows.append({"_input_hash": input_hash, "_task_hash": documented_hash({"input": input_hash}),
                     "audio": path, "path": path, "file": f.name,
                     "meta": {"file": f.name, "duration": round(header.duration, 3),
                              "channels": header.channels, "sample_rate": header.rate}})
    answered = {**rows[0], "audio_spans": REGIONS, "answer": "accept", "_session_id": "ann",
                "_view_id": None, "_timestamp": 1_700_000_000}
    csv_head = ("_input_hash,_task_hash,_session_id,_view_id,_timestamp,answer,audio,path,file,"
                "segment_start,segment_end,transcript,span_id,start,end,label,channel,text,color,words")
    first = f"{rows[0]['_input_hash']},{rows[0]['_task_hash']},ann,,1700000000,accept,{rows[0]['path']}," \
            f"{rows[0]['path']},empty.wav,,,"
    csv_lines = [csv_head, first + ",r1,0.1,0.4,SPK1,1,,,", first + ",r2,0.25,0.9,SPK2,,,,"]   # CSV channels from 1
    csv_lines += [f"{r['_input_hash']},{r['_task_hash']},,,,,{r['path']},{r['path']},{r['file']},,,,,,,,,,,"
                  for r in rows[1:]]
    audio_seconds = round(sum(wav_header(f).duration for f in files), 3)
    stats = {"tasks": 5, "answered": 1, "answers": {"accept": 1},
             "labels": {"SPK1": {"regions": 1, "seconds": 0.3}, "SPK2": {"regions": 1, "seconds": 0.65}},
             "audio_seconds": audio_seconds}
    return {
        "export jsonl": (0, json.dumps(answered, ensure_ascii=False) + "\n"),
        "export csv all": (0, "".join(line + "\n" for line in csv_lines)),  # read as text: \r\n is \n
        # RTTM counts channels from 1; a region on no channel is on the first
        "rttm": (0, "SPEAKER empty 1 0.100 0.300 <NA> <NA> SPK1 <NA> <NA>\n"
                    "SPEAKER empty 1 0.250 0.650 <NA> <NA> SPK2 <NA> <NA>\n"),
        "stats": (0, json.dumps(stats) + "\n"),
        "datasets": (0, "talks\taudio_manual\t5 tasks\tSPK1,SPK2\n"),
        "missing dataset": (2, ""),
    }


COMMANDS_TO_COMPARE = {
    "export jsonl": ("export", "talks"),
    "export csv all": ("export", "talks", "--format", "csv", "--all"),
    "rttm": ("export", "talks", "--format", "rttm"),
    "stats": ("stats", "talks", "--json"),
    "datasets": ("datasets",),
    "missing dataset": ("stats", "nope"),
}


def test_portable_argv_makes_the_callers_paths_absolute(tmp_path):
    from earmark.cli.bridge import portable_argv
    options = {"--db", "--label", "--view", "--spans", "--out", "--segment", "--model"}
    argv = ["load", "d", "--label", "A,B", "audio", "--db", "x.duckdb", "--spans=ref.rttm",
            "/abs/tasks.jsonl", "--segment", "silence", "--no-peaks"]
    assert portable_argv(argv, options, 1, cwd=tmp_path) == [
        "load", "d", "--label", "A,B", str(tmp_path / "audio"), "--spans", str(tmp_path / "ref.rttm"),
        "/abs/tasks.jsonl", "--segment", "silence", "--no-peaks"]
    assert portable_argv(["export", "d", "--out", "o.jsonl"], options, None, cwd=tmp_path) == [
        "export", "d", "--out", str(tmp_path / "o.jsonl")]
