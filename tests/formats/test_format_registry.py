"""The format registry: a format registered from outside the package shows in the command
line's `--format` choices, writes through `earmark export`, and is offered by the Export
page; an installed plug-in that fails to import is named and the rest work."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.cli import build_parser, run_command
from earmark.formats import FormatError, SpansFile, read_spans_file
from earmark.formats import registry
from earmark.formats.registry import Format, formats, get_format, readers, register_format, writers
from earmark.loading.loader import load_sources


def tally(records: list[dict]) -> str:
    """A writer defined here, outside the package: a line per region."""
    return "".join(f"{s['label']} {s['start']:.3f}-{s['end']:.3f}\n" for r in records for s in r["audio_spans"])


def read_tally(path) -> SpansFile:
    result = SpansFile()
    for line in path.read_text(encoding="utf-8").splitlines():
        label, times = line.split()
        start, end = times.split("-")
        result.add(path.stem, {"id": f"t{start}", "start": float(start), "end": float(end), "label": label})
    return result


TALLY = Format("tally", "Tally sheet", (".tally",), read_tally, tally, per_file=True, file_suffix=".tally.txt",
               help="a line per region")


@pytest.fixture
def fresh_registry(monkeypatch):
    """The registry as a new process finds it, restored afterwards."""
    monkeypatch.setattr(registry, "_formats", {})
    monkeypatch.setattr(registry, "_problems", [])
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "_loading", False)
    return registry


@pytest.fixture
def tally_registered(fresh_registry):
    register_format(TALLY)
    return TALLY


@pytest.fixture
def answered(store, corpus):
    report = load_sources(store, "d", [corpus / "diarization" / "trn01.wav"])
    save_annotation(store, get_task(store, report.task_ids[0]), "accept", "ann", edits={"audio_spans": [
        {"id": "a", "start": 0.5, "end": 1.25, "label": "A"}, {"id": "b", "start": 2.0, "end": 3.0, "label": "B"}]})
    return store


def test_the_built_ins_are_registered_in_the_order_they_are_listed(fresh_registry):
    assert [f.name for f in formats()][:11] == ["jsonl", "csv", "rttm", "textgrid", "eaf", "vtt", "srt",
                                                 "audacity", "nemo", "transcript", "clips"]
    assert {s: f.name for s, f in readers().items()} == {
        ".jsonl": "jsonl", ".rttm": "rttm", ".textgrid": "textgrid", ".eaf": "eaf", ".vtt": "vtt", ".srt": "srt",
        ".txt": "audacity", ".json": "nemo"}
    assert get_format("textgrid").per_file and get_format("textgrid").file_suffix == ".TextGrid"
    assert get_format("rttm").stream is not None and get_format("clips").folder is not None
    assert get_format("nope") is None


def test_a_thread_that_asks_while_another_loads_waits_for_every_format(fresh_registry, monkeypatch):
    import threading
    import time
    real, started = registry._hook_result, threading.Event()

    def slow(found):
        started.set()
        time.sleep(0.2)    # the first built-in takes its time, as an import can
        return real(found)
    monkeypatch.setattr(registry, "_hook_result", slow)
    seen = {}
    first = threading.Thread(target=lambda: seen.setdefault("first", [f.name for f in formats()]))
    first.start()
    started.wait(5)
    seen["second"] = [f.name for f in formats()]     # while the first thread is still loading
    first.join()
    assert seen["second"] == seen["first"] and "clips" in seen["second"]


def test_a_format_registered_from_outside_is_a_cli_choice_and_exports(tally_registered, answered, tmp_path):
    parser = build_parser()
    export = next(a for a in parser._subparsers._group_actions[0].choices["export"]._actions
                  if "--format" in a.option_strings)
    assert export.choices[-1] == "tally" and "tally: Tally sheet" in export.help
    args = parser.parse_args(["export", "d", "--format", "tally", "--out", str(tmp_path / "out")])
    out, err = io.StringIO(), io.StringIO()
    assert run_command(answered, args, out, err) == 0, err.getvalue()
    assert err.getvalue() == f"wrote 1 files to {tmp_path / 'out'}\n"
    assert (tmp_path / "out" / "trn01.tally.txt").read_text() == "A 0.500-1.250\nB 2.000-3.000\n"


def test_a_registered_reader_reads_spans_files_by_its_suffix(tally_registered, tmp_path):
    source = tmp_path / "rec.tally"
    source.write_text("X 1.000-2.000\n", encoding="utf-8")
    assert read_spans_file(source).spans == {"rec": [{"id": "t1.000", "start": 1.0, "end": 2.0, "label": "X"}]}
    with pytest.raises(FormatError) as raised:
        read_spans_file(tmp_path / "rec.csv")
    assert raised.value.reason.endswith("use one of .eaf, .json, .jsonl, .rttm, .srt, .tally, .textgrid, .txt, .vtt")
    help_text = build_parser()._subparsers._group_actions[0].choices["load"].format_help()
    assert "Tally sheet (.tally)" in " ".join(help_text.split())


def test_names_and_suffixes_are_taken_once(tally_registered):
    with pytest.raises(ValueError, match="a format named 'tally' is registered already"):
        register_format(TALLY)
    with pytest.raises(ValueError, match=r"\.rttm is read by 'rttm' already"):
        register_format(Format("other", "Other", (".rttm",), read_tally))
    register_format(Format("tally", "Tally v2", write=tally, per_file=True, file_suffix=".t2"), replace=True)
    assert get_format("tally").title == "Tally v2" and ".tally" not in readers()


@pytest.mark.parametrize("fields,message", [
    ({"name": "two words"}, "a format's name is one word"),
    ({"stream": lambda *a: 0}, "writes one way, not write and stream"),
    ({"per_file": False}, "`write` is for per-file formats"),
    ({"suffixes": (".TALLY",)}, "suffixes are lower case"),
    ({"read": None}, "names suffixes to read but has no `read`"),
])
def test_a_format_that_cannot_work_is_refused_when_made(fields, message):
    from dataclasses import replace
    with pytest.raises(ValueError, match=message):
        replace(TALLY, **fields)


def test_the_export_page_offers_a_registered_format(tally_registered, answered, monkeypatch, root, tmp_path):
    from streamlit.testing.v1 import AppTest
    db = answered.path
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    at = AppTest.from_file(str(root / "pages" / "export.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    box = at.selectbox(key="export_format")
    assert box.options[-1] == "Tally sheet (zip)"
    assert box.options[:3] == ["JSONL (Prodigy tasks)", "CSV (a row per region)", "RTTM"]
    box.set_value("tally").run()
    assert not at.exception, at.exception
    assert any("Tally sheet: a line per region." == c.value for c in at.caption)
    (button,) = at.get("download_button")
    assert button.proto.label == "Download d\\-tally.zip"   # the name, as Markdown text


def test_the_export_page_names_a_broken_plugin_and_offers_the_rest(fresh_registry, answered, monkeypatch, root,
                                                                   tmp_path):
    from streamlit.testing.v1 import AppTest
    broken = metadata.EntryPoint("broken_*fmt*", "earmark_missing_plugin:FORMAT", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: [broken])
    register_format(TALLY)
    monkeypatch.setenv("EARMARK_DB", str(answered.path))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    at = AppTest.from_file(str(root / "pages" / "export.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    (warning,) = at.warning
    from earmark.web.text import md_text
    assert warning.value.startswith(md_text(      # named, and shown as text (not as Markdown)
        "format plug-in 'broken_*fmt*' (earmark_missing_plugin:FORMAT) not loaded: ModuleNotFoundError"))
    assert at.selectbox(key="export_format").options[-1] == "Tally sheet (zip)"


# -- installed plug-ins: the entry-point group `earmark.formats` ---------------------------------

PLUGIN = textwrap.dedent('''
    from earmark.formats.registry import Format

    def count(store, dataset, out, filt=None):
        from earmark.formats.jsonl_csv import iter_records
        n = sum(1 for _ in iter_records(store, dataset, filt))
        out.write(f"{dataset}: {n}\\n")
        return n

    COUNT = Format("count", "Record count", stream=count, file_suffix=".count", counted="records counted")

    def register_formats():
        return [Format("alsocount", "Record count again", stream=count)]
''')
ENTRY_POINTS = textwrap.dedent('''
    [earmark.formats]
    count = earmark_count_plugin:COUNT
    broken = earmark_missing_plugin:FORMAT
    also = earmark_count_plugin
    bad_value = earmark_count_plugin:count_not_there
''')


@pytest.fixture
def plugin_path(tmp_path):
    """A folder holding an installed distribution with four entry points, two of them broken."""
    site = tmp_path / "site"
    (site / "earmark_count_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "earmark_count_plugin.py").write_text(PLUGIN, encoding="utf-8")
    (site / "earmark_count_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: earmark-count-plugin\nVersion: 1.0\n", encoding="utf-8")
    (site / "earmark_count_plugin-1.0.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return site


def test_entry_points_are_loaded_once_and_a_broken_one_is_named(fresh_registry, plugin_path, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_path))
    calls = []
    real = registry._entry_points

    def counted():
        calls.append(1)
        return real()
    monkeypatch.setattr(registry, "_entry_points", counted)
    names = [f.name for f in writers()]
    assert names[-2:] == ["count", "alsocount"] and names[0] == "jsonl"
    problems = registry.plugin_problems()
    assert len(problems) == 2
    assert problems[0].startswith("format plug-in 'broken' (earmark_missing_plugin:FORMAT) not loaded: "
                                  "ModuleNotFoundError: No module named 'earmark_missing_plugin'")
    assert problems[1].startswith("format plug-in 'bad_value' (earmark_count_plugin:count_not_there) not loaded: "
                                  "AttributeError")
    formats(), get_format("count"), readers()
    assert calls == [1]


def test_an_entry_point_that_gives_no_format_is_named(fresh_registry, monkeypatch):
    entry = metadata.EntryPoint("weird", "builtins:len", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: [entry])
    assert get_format("jsonl") is not None
    (problem,) = registry.plugin_problems()
    assert problem.startswith("format plug-in 'weird' (builtins:len) not loaded: TypeError")


def test_an_installed_plugin_works_from_the_command_line_beside_a_broken_one(plugin_path, corpus, tmp_path, root):
    import os
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    db = tmp_path / "p.duckdb"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db)],
                              capture_output=True, text=True, cwd=root, env=env)
    helped = cli("export", "--help")
    assert helped.returncode == 0
    assert "count: Record count" in " ".join(helped.stdout.split())
    assert "warning: format plug-in 'broken' (earmark_missing_plugin:FORMAT) not loaded" in helped.stderr
    assert "warning: format plug-in 'bad_value'" in helped.stderr
    assert cli("load", "d", str(corpus / "diarization" / "trn01.wav")).returncode == 0
    done = cli("export", "d", "--all", "--format", "count")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "d: 1\n"
    assert done.stderr.splitlines()[-1] == "wrote 1 records counted"
    assert cli("export", "d", "--all", "--format", "rttm").returncode == 0    # the built-ins too


def test_every_built_in_format_has_its_row_in_the_readme(fresh_registry, root):
    lines = [line.strip() for line in (root / "README.md").read_text(encoding="utf-8").splitlines()]
    start = lines.index("| `--format` | `load --spans` reads | writes | channels |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    for fmt in formats():
        (row,) = [r for r in rows if r.startswith(f"| `{fmt.name}` |")] or [None]
        assert row is not None, f"README has no row for format {fmt.name!r}"
        for suffix in fmt.suffixes:
            assert suffix in row.lower(), (fmt.name, suffix)
        # the channels column says the format's own rule (one rule: from 1 for people)
        assert row.rstrip(" |").rsplit(" | ", 1)[-1] == fmt.channels, fmt.name
