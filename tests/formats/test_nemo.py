"""NeMo manifests: a JSON line per accepted region or segment, `audio_filepath`, `offset`,
`duration`, `text` (and `label`); what was not accepted is left out; read back as regions."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.formats import nemo, read_spans_file
from earmark.formats.export import export_archive
from earmark.formats.jsonl_csv import ExportFilter
from earmark.loading.loader import load_sources
from tests.core.crafted import load_tasks


def answer(store, task_id: int, ans: str = "accept", session: str = "ann", **edits) -> int:
    return save_annotation(store, get_task(store, task_id), ans, session, edits=edits, timestamp=1000.0)


def manifest(store, dataset: str = "d", filt: ExportFilter | None = None) -> str:
    out = io.StringIO()
    count = nemo.export_manifest(store, dataset, out, filt)
    assert count == len(out.getvalue().splitlines())
    return out.getvalue()


@pytest.fixture
def odd_named(corpus, tmp_path):
    """A corpus recording under a folder and name with spaces and letters beyond ASCII."""
    folder = tmp_path / "my talks"
    folder.mkdir()
    target = folder / "Grüße ñ 01.wav"
    shutil.copyfile(corpus / "diarization" / "trn01.wav", target)
    return target


def test_accepted_regions_are_lines_and_the_rest_is_left_out(store, odd_named):
    (task_id,) = load_sources(store, "d", [odd_named]).task_ids
    answer(store, task_id, audio_spans=[
        {"id": "a", "start": 0.5, "end": 1.25, "label": "SPK", "text": 'He said "hi"\nthen left \\ €'},
        {"id": "b", "start": 2.0, "end": 2.3, "label": "NOISE"},                      # no text
        {"id": "m", "start": 3.0, "end": 3.0, "label": "CLICK", "text": "a marker"}])  # no audio: left out
    answer(store, task_id, "reject", "bob", audio_spans=[{"id": "r", "start": 4, "end": 5, "label": "SPK"}])
    answer(store, task_id, "ignore", "cy", audio_spans=[{"id": "i", "start": 6, "end": 7, "label": "SPK"}])
    path = str(odd_named.resolve())
    text = manifest(store)
    assert text == (
        json.dumps({"audio_filepath": path, "offset": 0.5, "duration": 0.75, "text": 'He said "hi"\nthen left \\ €',
                    "label": "SPK"}, ensure_ascii=False) + "\n"
        + json.dumps({"audio_filepath": path, "offset": 2.0, "duration": 0.3, "text": "", "label": "NOISE"},
                     ensure_ascii=False) + "\n")
    first = text.splitlines()[0]
    assert '"text": "He said \\"hi\\"\\nthen left \\\\ €"' in first and "Grüße ñ 01.wav" in first
    # `--answer reject` or `--all` do not let anything but accepted annotations in
    assert manifest(store, filt=ExportFilter(answers=["reject"], include_unanswered=True)) == text


def test_a_segments_transcript_is_one_line_over_the_segment(store, tmp_path):
    talk = {"audio": "https://example.org/talk.wav?sig=abc", "file": "talk.wav", "meta": {"duration": 9.0}}
    seg, whole, regions, pending = load_tasks(store, tmp_path, [
        {**talk, "segment": {"start": 1.0, "end": 2.5}},
        {"audio": "https://example.org/whole.wav", "meta": {"duration": 3.0}},
        {**talk, "segment": {"start": 4.0, "end": 6.0}},
        {**talk, "segment": {"start": 7.0, "end": 8.0},      # pre-annotated, never answered: left out
         "audio_spans": [{"id": "p", "start": 7.0, "end": 7.5, "label": "SPK", "text": "proposed"}]}])
    answer(store, seg, transcript="first segment, \u2028 said\twith a tab")
    answer(store, whole, transcript="the whole file")
    # the placeholder region Annotate makes of a typed transcript: not a label
    answer(store, regions, transcript="two voices", audio_spans=[
        {"id": "segment-1", "start": 4.0, "end": 6.0, "label": "TRANSCRIPT"}])
    lines = manifest(store, filt=ExportFilter(include_unanswered=True)).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"audio_filepath": "https://example.org/talk.wav?sig=abc", "offset": 1.0, "duration": 1.5,
         "text": "first segment, \u2028 said\twith a tab"},
        {"audio_filepath": "https://example.org/whole.wav", "offset": 0.0, "duration": 3.0, "text": "the whole file"},
        {"audio_filepath": "https://example.org/talk.wav?sig=abc", "offset": 4.0, "duration": 2.0,
         "text": "two voices"}]
    assert "\\u2028" in lines[0]          # one line whatever the text: a line separator is escaped
    assert "proposed" not in "".join(lines) and get_task(store, pending).data["audio_spans"]


def test_the_download_is_one_manifest(store, tmp_path):
    (task_id,) = load_tasks(store, tmp_path, [{"audio": "https://example.org/a.wav"}])
    answer(store, task_id, audio_spans=[{"id": "a", "start": 0.25, "end": 1.0, "label": "A", "text": "x"}])
    data, name = export_archive(store, "d", "nemo")
    assert name == "d.json"
    assert json.loads(data) == {"audio_filepath": "https://example.org/a.wav", "offset": 0.25, "duration": 0.75,
                                "text": "x", "label": "A"}


def test_a_manifest_reads_back_as_regions_of_its_files(tmp_path):
    source = tmp_path / "train_manifest.json"
    source.write_text(
        '{"audio_filepath": "/data/a b/talk.wav", "offset": 1.5, "duration": 2.25, "text": "hello", "label": "SPK"}\n'
        '{"audio_filepath": "https://example.org/other.wav?x=1", "duration": 1.0, "text": ""}\n'
        "\n"
        "not json\n"
        '{"offset": 1, "duration": 1}\n'
        '{"audio_filepath": "talk.wav", "offset": 1, "duration": -1}\n'
        '{"audio_filepath": "talk.wav", "offset": "1", "duration": 2}\n'
        '["a list"]\n', encoding="utf-8")
    read = read_spans_file(source)                  # `.json`, through the registry
    assert {stem: [{k: v for k, v in s.items() if k != "id"} for s in spans] for stem, spans in read.spans.items()} == {
        "talk": [{"start": 1.5, "end": 3.75, "label": "SPK", "text": "hello"}],
        "other": [{"start": 0.0, "end": 1.0, "label": "SPEECH"}]}
    problems = [str(p) for p in read.problems]
    assert problems[0].startswith(f"{source}:4: ")
    assert problems[1:] == [
        f"{source}:5: no `audio_filepath` to match the audio by",
        f"{source}:6: `offset` 1 and `duration` -1 are not seconds >= 0",
        f"{source}:7: `offset` '1' and `duration` 2 are not seconds >= 0",
        f"{source}:8: a manifest line is a JSON object"]


def test_the_command_line_exports_a_manifest_that_loads_back(root, odd_named, tmp_path):
    db = tmp_path / "n.duckdb"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db)],
                              capture_output=True, text=True, cwd=root)
    spans = tmp_path / f"{odd_named.stem}.vtt"
    spans.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Ann>Grüße, \"Welt\"\n\n"
                     "00:00:03.000 --> 00:00:04.000\n<v Bo>zwei\nZeilen\n", encoding="utf-8")
    assert "failed 0" in cli("load", "n", str(odd_named), "--spans", str(spans)).stdout
    store_db = tmp_path / "n.duckdb"
    from earmark.db.store import Store
    store = Store(store_db)
    (task_id,) = [i for (i,) in store.query("SELECT id FROM tasks")]
    task = get_task(store, task_id)
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": task.data["audio_spans"]})
    store.close()
    out = tmp_path / "manifest.json"
    done = cli("export", "n", "--format", "nemo", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("wrote 2 lines as a NeMo manifest")
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == [
        {"audio_filepath": str(odd_named.resolve()), "offset": 1.0, "duration": 1.5, "text": 'Grüße, "Welt"',
         "label": "Ann"},
        {"audio_filepath": str(odd_named.resolve()), "offset": 3.0, "duration": 1.0, "text": "zwei\nZeilen",
         "label": "Bo"}]
    done = cli("load", "back", str(odd_named), "--spans", str(out))
    assert "failed 0" in done.stdout, done.stderr
    again = tmp_path / "again.json"
    assert cli("export", "back", "--all", "--format", "jsonl", "--out", str(again)).returncode == 0
    (record,) = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    assert [(s["start"], s["end"], s["label"], s["text"]) for s in record["audio_spans"]] == [
        (1.0, 2.5, "Ann", 'Grüße, "Welt"'), (3.0, 4.0, "Bo", "zwei\nZeilen")]
