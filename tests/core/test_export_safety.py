"""Exports that cannot be hijacked or half-written: every file lands whole, under a
safe name, inside its folder; every format escapes or folds what its syntax cannot carry."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from earmark.formats import jsonl_csv as export_module
from earmark.annotations import get_task, save_annotation
from earmark.cli import build_parser, run_command
from earmark.formats import export as formats_export
from earmark.formats import subtitles
from earmark.formats.export import export_archive, export_files
from earmark.loading.loader import load_sources
from earmark.formats.outfiles import UnsafePathError, atomic_open, safe_component

HOSTILE = "A --> B\n\n00:00:01.000 --> 00:00:05.000\nFAKE <script>alert(1)</script> & co"


def add_tasks(store, tmp_path: Path, tasks: list[dict], answers: list[str] | None = None,
              session: str = "ann", dataset: str = "d") -> list[int]:
    """Load `tasks` (JSONL, no audio needed) and answer each as given (default: accept)."""
    source = tmp_path / f"in-{time.monotonic_ns()}.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    report = load_sources(store, dataset, [source])
    assert report.failures == [] and report.added == len(tasks), report.failures
    for task_id, answer in zip(report.task_ids, answers or ["accept"] * len(tasks)):
        if answer is not None:
            save_annotation(store, get_task(store, task_id), answer, session)
    return report.task_ids


def task(file: str, *spans: dict, **more) -> dict:
    return {"audio": f"https://example.org/{len(spans)}/{abs(hash(file))}.wav", "file": file,
            "audio_spans": list(spans), **more}


def span(start: float, end: float, label: str, text: str | None = None, **more) -> dict:
    out = {"id": f"{label[:8]}-{start}", "start": start, "end": end, "label": label, **more}
    if text is not None:
        out["text"] = text
    return out


def rename_dataset(store, old: str, new: str) -> None:
    """A name the current rules refuse, as a database written before them may hold it."""
    def rename(cur):
        cur.execute("UPDATE datasets SET name = ? WHERE name = ?", [new, old])
        for table in ("tasks", "annotations", "spans"):
            cur.execute(f"UPDATE {table} SET dataset = ? WHERE dataset = ?", [new, old])
    store.write(rename)


def cli(store, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_command(store, build_parser().parse_args(list(argv)), out, err)
    return code, out.getvalue(), err.getvalue()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- names -----------------------------------------------------------------------------

@pytest.mark.parametrize("name,expected", [
    ("../../../../tmp/x", "_.._.._.._tmp_x"),
    ("../../victim/authorized_keys", "_.._victim_authorized_keys"),
    (".bashrc", "bashrc"),
    ("..", "fallback"),
    ("", "fallback"),
    ("a\nb\x00c\x1b[31m", "a_b_c_[31m"),
    ("trñ00", "trñ00"),
    ("日本語 録音", "日本語 録音"),
    ("a/b\\c", "a_b_c"),
    ("\u202eexe.txt", "_exe.txt"),
    ("CON", "_CON"),
    ("-rf *.wav", "rf _.wav"),
])
def test_names_become_one_safe_component(name, expected):
    assert safe_component(name, "fallback") == expected


def test_long_names_are_bounded_in_characters_and_bytes():
    assert len(safe_component("x" * 1000)) == 100
    assert len(safe_component("é" * 1000).encode("utf-8")) <= 160


def test_the_archive_of_a_dataset_named_like_a_path_stays_in_its_folder(store, tmp_path, monkeypatch):
    add_tasks(store, tmp_path, [task("rec.wav", span(0.5, 1.0, "A", "hello"))])
    bad = "../../../victim"
    rename_dataset(store, "d", bad)
    scratch = tmp_path / "scratch" / "deeper"
    scratch.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(scratch))   # the archive is built under here
    before = tree(tmp_path)
    folder = safe_component(bad)
    assert folder == "_.._.._victim"
    # what each download holds, written out by hand: the one region, 0.5-1.0 s, label A, text "hello"
    expected = {"vtt": {f"{folder}/rec.vtt": "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\n<v A>hello\n"},
                "srt": {f"{folder}/rec.srt": "1\n00:00:00,500 --> 00:00:01,000\nhello\n"},
                "audacity": {f"{folder}/rec.txt": "0.500000\t1.000000\tA\n"},
                "transcript": {f"{folder}/rec.transcript.txt": ""}}      # no transcript typed
    for fmt in ("vtt", "srt", "textgrid", "audacity", "transcript", "rttm"):
        data, name = export_archive(store, bad, fmt)
        assert name == safe_component(name) and name.startswith("_.._.._victim")   # a name, not a path
        if fmt == "rttm":
            assert name == f"{folder}.rttm"
            assert data.decode("utf-8") == "SPEAKER rec 1 0.500 0.500 <NA> <NA> A <NA> <NA>\n"
            continue
        assert name == f"{folder}-{fmt}.zip"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.namelist()
            assert members and all(m.startswith(folder + "/") for m in members), members
            assert all(".." not in Path(m).parts for m in members)
            contents = {m: archive.read(m).decode("utf-8") for m in members}
        if fmt == "textgrid":
            from praatio import textgrid
            assert members == [f"{folder}/rec.TextGrid"]
            grid = tmp_path / "scratch" / "back.TextGrid"
            grid.write_text(contents[members[0]], encoding="utf-8")
            back = textgrid.openTextgrid(str(grid), includeEmptyIntervals=False)
            assert list(back.tierNames) == ["A"] and [tuple(e) for e in back.getTier("A").entries] == [
                (0.5, 1.0, "hello")]
            grid.unlink()
            continue
        assert contents == expected[fmt], fmt
    assert tree(tmp_path) == before                       # nothing written beside the tmp folder
    assert not (tmp_path / "victim").exists() and not (tmp_path.parent / "victim").exists()


def test_file_names_from_the_data_are_safe_and_never_collide(store, tmp_path):
    add_tasks(store, tmp_path, [
        task("../../victim/authorized_keys.wav", span(0, 1, "A", "one")),
        task(".bashrc", span(0, 1, "A", "two")),
        task("line\nbreak.wav", span(0, 1, "A", "three")),
        task("x/rec.wav", span(0, 1, "A", "four"), path="/data/x/rec.wav"),
        task("y/rec.wav", span(0, 1, "A", "five"), path="/data/y/rec.wav"),   # same stem, other file
        task("REC.wav", span(0, 1, "A", "six")),                              # same name, case-folded
    ])
    out = tmp_path / "out" / "vtt"
    written = export_files(store, "d", "vtt", out)
    names = sorted(p.name for p in written)
    assert names == sorted(["authorized_keys.vtt", "bashrc.vtt", "line_break.vtt", "rec.vtt", "rec-2.vtt",
                            "REC-3.vtt"]), names
    assert sorted(os.listdir(out)) == names                  # six files: nothing overwritten
    assert all(p.parent == out for p in written)
    texts = sorted(p.read_text().rstrip("\n").rsplit("\n", 1)[-1].removeprefix("<v A>") for p in written)
    assert texts == sorted(["one", "two", "three", "four", "five", "six"])


def test_two_annotators_whose_names_sanitise_alike_get_two_files(store, tmp_path):
    ids = add_tasks(store, tmp_path, [task("rec.wav", span(0, 1, "A", "by a/b"))], answers=[None])
    save_annotation(store, get_task(store, ids[0]), "accept", "a/b")
    save_annotation(store, get_task(store, ids[0]), "accept", "a_b",
                    edits={"audio_spans": [span(0, 1, "A", "by a_b")]})
    written = export_files(store, "d", "srt", tmp_path / "srt")
    assert sorted(p.name for p in written) == ["rec.a_b-2.srt", "rec.a_b.srt"]
    assert sorted(p.read_text().splitlines()[2] for p in written) == ["by a/b", "by a_b"]


def test_a_symlink_planted_in_the_folder_is_not_followed(store, tmp_path):
    add_tasks(store, tmp_path, [task("rec.wav", span(0, 1, "A", "text"))])
    victim = tmp_path / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA good\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "rec.vtt").symlink_to(victim)
    with pytest.raises(UnsafePathError, match="outside"):
        export_files(store, "d", "vtt", out)
    assert victim.read_text() == "ssh-ed25519 AAAA good\n"
    code, _, err = cli(store, "export", "d", "--format", "vtt", "--out", str(out))
    assert code == 2 and err.startswith("error: ") and "outside" in err and "Traceback" not in err


def test_clip_names_and_metadata_are_safe(store, tmp_path, corpus):
    from earmark.annotations import get_task as get
    report = load_sources(store, "c", [corpus / "formats" / "bobby_16bit_16khz.wav"])
    save_annotation(store, get(store, report.task_ids[0]), "accept", "=cmd|' /C calc'!A0", edits={
        "file": "../../.evil\nname.wav",
        "audio_spans": [span(0.1, 0.4, "=HYPERLINK(\"http://x\")", "@SUM(1)"), span(0.5, 0.6, "B")]})
    out = tmp_path / "clips"
    assert formats_export.export_clips(store, "c", out) == 2
    names = sorted(os.listdir(out / "train"))
    assert names == ["evil_name_000001.wav", "evil_name_000002.wav", "metadata.csv"], names
    rows = list(csv.reader(open(out / "train" / "metadata.csv", encoding="utf-8")))
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")" and rows[1][2] == "'@SUM(1)"
    assert rows[1][7] == "'=cmd|' /C calc'!A0"


def test_clips_are_cut_from_registered_media_only(store, tmp_path, corpus):
    secret = tmp_path / "secret.wav"
    secret.write_bytes((corpus / "formats" / "bobby_16bit_16khz.wav").read_bytes())
    add_tasks(store, tmp_path, [task("x.wav", span(0.1, 0.3, "A"), path=str(secret))])
    assert formats_export.export_clips(store, "d", tmp_path / "clips") == 0   # the task names a path; no media


# -- whole files or none ------------------------------------------------------------------

def failing_after(records_before_failure: int, real):
    def iterate(*args, **kwargs):
        for n, record in enumerate(real(*args, **kwargs)):
            if n == records_before_failure:
                raise RuntimeError("the export failed half way")
            yield record
    return iterate


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "rttm"])
def test_a_failing_export_leaves_the_previous_file_and_no_partial(store, tmp_path, monkeypatch, fmt):
    add_tasks(store, tmp_path, [task(f"f{i}.wav", span(0, 1, "A", "x")) for i in range(5)])
    target = tmp_path / "out" / f"d.{fmt}"
    assert cli(store, "export", "d", "--format", fmt, "--out", str(target))[0] == 0
    previous = target.read_bytes()
    assert previous.count(b"\n") >= 5
    add_tasks(store, tmp_path, [task(f"g{i}.wav", span(0, 1, "B", "y")) for i in range(5)])
    monkeypatch.setattr(export_module, "iter_records", failing_after(7, export_module.iter_records))
    monkeypatch.setattr(formats_export, "iter_records", failing_after(7, formats_export.iter_records))
    with pytest.raises(RuntimeError, match="half way"):
        cli(store, "export", "d", "--format", fmt, "--out", str(target))
    assert target.read_bytes() == previous
    assert os.listdir(target.parent) == [target.name]


@pytest.mark.parametrize("fmt", ["vtt", "srt", "textgrid", "audacity", "transcript"])
def test_a_folder_export_that_fails_keeps_each_file_whole(store, tmp_path, monkeypatch, fmt):
    add_tasks(store, tmp_path, [task(f"f{i}.wav", span(0, 1, f"old {i}", f"old {i}"), transcript=f"old {i}")
                                for i in range(3)])
    out = tmp_path / "out"
    export_files(store, "d", fmt, out)
    before = tree(out)
    real_render = formats_export.render
    calls = []

    def render(fmt_, records):
        calls.append(1)
        text = real_render(fmt_, records).replace("old", "new")
        # the second file fails while it is being written (its text cannot be encoded)
        return text + "\ud800" if len(calls) == 2 else text
    monkeypatch.setattr(formats_export, "render", render)
    with pytest.raises(UnicodeEncodeError):
        export_files(store, "d", fmt, out)
    after = tree(out)
    assert sorted(after) == sorted(before)                       # no temporary file left
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == 1 and b"new" in after[changed[0]]    # the first file, whole
    assert all(after[n] == before[n] for n in after if n not in changed)


def test_atomic_open_keeps_permissions_and_writes_through_devices(tmp_path):
    target = tmp_path / "kept.txt"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_open(target) as fh:
        fh.write("new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640
    with atomic_open("/dev/null") as fh:         # not a regular file: written as it is
        fh.write("anything")
    with pytest.raises(IsADirectoryError):
        with atomic_open(tmp_path) as fh:
            fh.write("x")


KILL_SCRIPT = r"""
import sys, time
from earmark.formats import jsonl_csv as export
real = export.write_jsonl
def slow(records, out):
    def paced():
        for n, record in enumerate(records):
            if n == 3:
                out.flush()
                print("HALF", flush=True)
                time.sleep(60)
            yield record
    return real(paced(), out)
export.write_jsonl = slow
from earmark.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_export_leaves_the_previous_file_intact(tmp_path, root):
    db = tmp_path / "kill.duckdb"
    from earmark.db.store import Store
    store = Store(db)
    add_tasks(store, tmp_path, [task(f"f{i}.wav", span(0, 1, "A", "x")) for i in range(8)])
    store.close()
    target = tmp_path / "out.jsonl"
    target.write_text("the previous export\n")
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, "export", "d", "--db", str(db), "--out", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == b"HALF", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert target.read_text() == "the previous export\n"
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(".out.jsonl.")]
    assert all(n.endswith(".partial") for n in leftovers) and len(leftovers) == 1   # hidden, never the target
    # the next export of the same file removes what the killed one left
    done = subprocess.run([sys.executable, "-m", "earmark", "export", "d", "--db", str(db), "--out", str(target)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert target.read_text().count("\n") == 8
    assert [n for n in os.listdir(tmp_path) if n.startswith(".out.jsonl.")] == []


def test_export_errors_are_one_clear_line(store, tmp_path):
    add_tasks(store, tmp_path, [task("a.wav", span(0, 1, "A"))])
    folder = tmp_path / "folder"
    folder.mkdir()
    code, _, err = cli(store, "export", "d", "--out", str(folder))
    assert code == 2 and err.startswith("error: ") and "folder" in err and "Traceback" not in err
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli(store, "export", "d", "--format", "vtt", "--out", str(blocker))
    assert code == 2 and err.startswith("error: ") and str(blocker) in err
    code, _, err = cli(store, "export", "d", "--format", "srt")
    assert code == 2 and "--out DIR" in err


# -- what each syntax cannot carry ----------------------------------------------------------

def export_one(store, tmp_path, fmt: str) -> str:
    (written,) = export_files(store, "d", fmt, tmp_path / fmt)
    return written.read_text(encoding="utf-8")


def blocks(text: str) -> list[str]:
    return [b.strip("\n") for b in text.split("\n\n") if b.strip()]


def test_webvtt_text_and_voices_cannot_make_cues_or_markup(store, tmp_path):
    add_tasks(store, tmp_path, [task("v.wav", span(1.0, 2.0, HOSTILE, HOSTILE), span(3.0, 4.0, "<b>", "x"))])
    text = export_one(store, tmp_path, "vtt")
    cues = blocks(text)[1:]                                         # after the WEBVTT header
    assert len(cues) == 2, text
    for cue in cues:
        timing, *payload = cue.split("\n")
        assert timing.count("-->") == 1 and all("-->" not in line for line in payload)
    assert "<script" not in text and "<b>" not in text and "&lt;script&gt;" in text
    assert cues[0].split("\n")[1].startswith("<v A --&gt; B 00:00:01.000 --&gt; 00:00:05.000 FAKE &lt;script&gt;")
    vtt = tmp_path / "v.vtt"
    vtt.write_text(text, encoding="utf-8")
    back = subtitles.read(vtt).spans["v"]
    assert [s["text"] for s in back] == ["A --> B\n00:00:01.000 --> 00:00:05.000\nFAKE <script>alert(1)</script> & co", "x"]
    assert back[0]["label"] == " ".join(HOSTILE.split()) and back[1]["label"] == "<b>"


def test_srt_cues_are_never_split(store, tmp_path):
    add_tasks(store, tmp_path, [task("s.wav", span(1.0, 2.0, "A", HOSTILE), span(3.0, 4.0, "A", "\n\nsecond\r\n\r\n"))])
    text = export_one(store, tmp_path, "srt")
    cues = blocks(text)
    assert len(cues) == 2 and [c.split("\n")[0] for c in cues] == ["1", "2"], text
    assert all(line.count("-->") == 0 for c in cues for line in c.split("\n")[2:])
    assert cues[1].split("\n")[2:] == ["second"]


def test_rttm_lines_always_have_ten_fields(store, tmp_path):
    add_tasks(store, tmp_path, [task("my file\nname.wav", span(0, 1, "two words\nand\tmore\u2028x"), span(1, 2, " "))])
    code, out, _ = cli(store, "export", "d", "--format", "rttm")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert all(len(line.split()) == 10 for line in lines), lines
    assert lines[0].split()[1] == "my_file_name" and lines[0].split()[7] == "two_words_and_more_x"
    assert lines[1].split()[7] == "speaker"
    assert out == ("SPEAKER my_file_name 1 0.000 1.000 <NA> <NA> two_words_and_more_x <NA> <NA>\n"
                   "SPEAKER my_file_name 1 1.000 1.000 <NA> <NA> speaker <NA> <NA>\n")


def test_audacity_labels_stay_on_their_line(store, tmp_path):
    add_tasks(store, tmp_path, [task("a.wav", span(0, 1, "tab\there\nnew line"), span(2, 3, "ok"))])
    lines = export_one(store, tmp_path, "audacity").split("\n")
    assert lines[:2] == ["0.000000\t1.000000\ttab here new line", "2.000000\t3.000000\tok"]


def test_textgrid_quotes_and_line_breaks_survive(store, tmp_path):
    from praatio import textgrid
    add_tasks(store, tmp_path, [task("t.wav", span(0.5, 1.0, 'say "hi"\nthere', 'he said "no"\nthen left'),
                                     meta={"duration": 2.0})])
    text = export_one(store, tmp_path, "textgrid")
    assert 'name = "say ""hi"" there"' in text and 'text = "he said ""no""\nthen left"' in text
    grid = textgrid.openTextgrid(str(tmp_path / "textgrid" / "t.TextGrid"), includeEmptyIntervals=False)
    assert list(grid.tierNames) == ['say "hi" there']
    assert [e.label for e in grid.getTier('say "hi" there').entries] == ['he said "no"\nthen left']


FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]


def test_csv_text_cells_never_start_a_formula(store, tmp_path):
    add_tasks(store, tmp_path, [task(formula, span(0.25, 0.5, formula, formula), transcript=formula)
                                for formula in FORMULAS])
    out = io.StringIO()
    export_module.export(store, "d", out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(FORMULAS)
    for row, formula in zip(rows, FORMULAS):
        for column in ("file", "label", "text", "transcript"):
            assert row[column] == "'" + formula, (column, row[column])
        assert row["start"] == "0.25" and row["end"] == "0.5"           # numbers stay numbers
    assert export_module.csv_cell(-3) == -3 and export_module.csv_cell("plain") == "plain"


def test_transcripts_are_one_line_per_segment(store, tmp_path):
    add_tasks(store, tmp_path, [
        task("t.wav", segment={"start": 0.0, "end": 2.0}, transcript="first\n\nline\twith breaks"),
        task("t.wav", segment={"start": 2.0, "end": 4.0}, transcript="second\u2028one")])
    lines = export_one(store, tmp_path, "transcript").splitlines()
    assert lines == ["[00:00:00.000 --> 00:00:02.000] first line with breaks",
                     "[00:00:02.000 --> 00:00:04.000] second one"]


# -- ignored segments and the WebVTT voice ----------------------------------------------------

def test_ignored_segments_are_left_out_of_subtitles_and_transcripts(store, tmp_path):
    add_tasks(store, tmp_path, [
        task("t.wav", span(0, 2, "A", "kept"), segment={"start": 0.0, "end": 2.0}, transcript="kept"),
        task("t.wav", span(2, 4, "A", "ignored"), segment={"start": 2.0, "end": 4.0}, transcript="ignored"),
        task("t.wav", span(4, 6, "A", "rejected"), segment={"start": 4.0, "end": 6.0}, transcript="rejected"),
    ], answers=["accept", "ignore", "reject"])
    for fmt in ("vtt", "srt", "transcript"):
        text = export_one(store, tmp_path, fmt)
        assert "kept" in text and "rejected" in text and "ignored" not in text, (fmt, text)
    # the formats of regions keep them: an ignored answer is still an answer
    assert "ignored" in export_one(store, tmp_path, "textgrid")


def test_the_webvtt_voice_is_the_regions_label_never_the_transcript_placeholder(store, tmp_path):
    ids = add_tasks(store, tmp_path, [
        task("t.wav", segment={"start": 0.0, "end": 2.0}),
        task("t.wav", span(2.0, 3.5, "SPEAKER_01"), segment={"start": 2.0, "end": 4.0}),
        task("t.wav", span(4.0, 5.0, "TRANSCRIPT", "a label that is TRANSCRIPT"), segment={"start": 4.0, "end": 6.0}),
    ], answers=[None, None, None])
    # what Annotate saves for a typed segment transcript without regions
    save_annotation(store, get_task(store, ids[0]), "accept", "ann", edits={
        "transcript": "hello there", "audio_spans": [
            {"id": f"segment-{ids[0]}", "start": 0.0, "end": 2.0, "label": "TRANSCRIPT", "text": "hello there"}]})
    # a diarized segment whose transcript was typed: one cue, voiced by its speaker
    save_annotation(store, get_task(store, ids[1]), "accept", "ann", edits={"transcript": "second <turn>"})
    save_annotation(store, get_task(store, ids[2]), "accept", "ann")
    cues = blocks(export_one(store, tmp_path, "vtt"))[1:]
    assert cues == ["00:00:00.000 --> 00:00:02.000\nhello there",
                    "00:00:02.000 --> 00:00:04.000\n<v SPEAKER_01>second &lt;turn&gt;",
                    "00:00:04.000 --> 00:00:05.000\n<v TRANSCRIPT>a label that is TRANSCRIPT"]


def test_a_clip_source_that_cannot_be_decoded_is_one_clear_error(store, tmp_path, corpus):
    audio = tmp_path / "gone_bad.wav"
    audio.write_bytes((corpus / "formats" / "bobby_16bit_16khz.wav").read_bytes())
    report = load_sources(store, "c", [audio])
    save_annotation(store, get_task(store, report.task_ids[0]), "accept", "ann",
                    edits={"audio_spans": [span(0.1, 0.4, "A")]})
    audio.write_bytes(b"RIFF this is no longer audio" * 100)
    code, _, err = cli(store, "export", "c", "--format", "clips", "--out", str(tmp_path / "clips"))
    assert code == 2 and err.startswith(f"error: cannot cut clips from {audio}") and "Traceback" not in err
