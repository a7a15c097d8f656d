"""ELAN .eaf: a tier is a label, an annotation a region with its text, as in a TextGrid.
Read, written, and read back equal, from hand-made regions and from the corpus's TextGrids."""

from __future__ import annotations

import subprocess
import sys

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.formats import eaf, read_spans_file, textgrid
from earmark.formats.export import export_files
from earmark.formats.jsonl_csv import ExportFilter
from earmark.loading.loader import load_sources


def plain(spans: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "id"} for s in spans]


def read_back(text: str, tmp_path, name: str = "rec.eaf") -> list[dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    read = eaf.read(path)
    assert read.problems == [], [str(p) for p in read.problems]
    return plain(read.spans.get(path.stem, []))


def test_labels_texts_and_times_read_back_as_written(tmp_path):
    spans = [{"start": 0.5, "end": 1.25, "label": "Sprecherin Ä", "text": "Grüße <b> & \"Anführung\"\nzweite Zeile"},
             {"start": 1.5, "end": 2.0, "label": "Sprecherin Ä", "text": "  spaces kept  "},
             {"start": 0.25, "end": 3.001, "label": "NOISE"},                          # no text
             {"start": 2.0, "end": 2.5, "label": "話者", "text": "こんにちは"}]
    assert read_back(eaf.write(spans), tmp_path) == [
        {"start": 0.5, "end": 1.25, "label": "Sprecherin Ä", "text": "Grüße <b> & \"Anführung\"\nzweite Zeile"},
        {"start": 1.5, "end": 2.0, "label": "Sprecherin Ä", "text": "  spaces kept  "},
        {"start": 0.25, "end": 3.001, "label": "NOISE"},
        {"start": 2.0, "end": 2.5, "label": "話者", "text": "こんにちは"}]


def test_what_xml_cannot_hold_is_folded_or_dropped_and_markers_are_not_written(tmp_path):
    spans = [{"start": 0.5, "end": 1.0, "label": "two\nlines", "text": "crlf\r\nand cr\rend\x01\x0b"},
             {"start": 1.0, "end": 1.0, "label": "CLICK", "text": "a marker"},
             {"start": 1.0, "end": 2.0, "label": "", "text": "no label"}]
    written = eaf.write(spans)
    assert "&lt;" not in written and "crlf\nand cr\nend</ANNOTATION_VALUE>" in written
    assert "CLICK" not in written and "a marker" not in written
    assert read_back(written, tmp_path) == [
        {"start": 0.5, "end": 1.0, "label": "two lines", "text": "crlf\nand cr\nend"},
        {"start": 1.0, "end": 2.0, "label": "", "text": "no label"}]


def test_a_channel_is_not_carried_as_in_a_textgrid(tmp_path):
    spans = [{"start": 0.1, "end": 0.5, "label": "LEFT", "channel": 0},
             {"start": 0.1, "end": 0.5, "label": "RIGHT", "channel": 1}]
    assert read_back(eaf.write(spans), tmp_path) == [{"start": 0.1, "end": 0.5, "label": "LEFT"},
                                                     {"start": 0.1, "end": 0.5, "label": "RIGHT"}]
    assert "channel" not in " ".join(textgrid.write(spans, 1.0).split()).lower()


def test_the_recording_is_linked_so_elan_opens_it():
    written = eaf.write([{"start": 0.0, "end": 1.0, "label": "A"}], "/data/my talks/Grüße.wav")
    assert ('<MEDIA_DESCRIPTOR MEDIA_URL="file:///data/my%20talks/Gr%C3%BC%C3%9Fe.wav" '
            'RELATIVE_MEDIA_URL="./Grüße.wav" MIME_TYPE="audio/x-wav" />') in written
    assert 'TIME_UNITS="milliseconds"' in written
    url = eaf.write([{"start": 0.0, "end": 1.0, "label": "A"}], "https://example.org/a.mp3?token=x")
    assert ('<MEDIA_DESCRIPTOR MEDIA_URL="https://example.org/a.mp3" RELATIVE_MEDIA_URL="./a.mp3" '
            'MIME_TYPE="audio/*" />') in url and "token" not in url


ELAN_MADE = '''<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-05-02T10:00:00+01:00" FORMAT="3.0" VERSION="3.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd">
    <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
        <MEDIA_DESCRIPTOR MEDIA_URL="file:///x/talk.wav" MIME_TYPE="audio/x-wav" RELATIVE_MEDIA_URL="./talk.wav"/>
    </HEADER>
    <TIME_ORDER>
        <TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="250"/>
        <TIME_SLOT TIME_SLOT_ID="ts2" TIME_VALUE="1500"/>
        <TIME_SLOT TIME_SLOT_ID="ts3" TIME_VALUE="2000"/>
        <TIME_SLOT TIME_SLOT_ID="ts4"/>
        <TIME_SLOT TIME_SLOT_ID="ts5" TIME_VALUE="3000"/>
        <TIME_SLOT TIME_SLOT_ID="ts6" TIME_VALUE="2500"/>
    </TIME_ORDER>
    <TIER LINGUISTIC_TYPE_REF="utterance" PARTICIPANT="Ann" TIER_ID="Ann">
        <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
            <ANNOTATION_VALUE>good morning</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
        <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="ts3" TIME_SLOT_REF2="ts4">
            <ANNOTATION_VALUE>unaligned end</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
        <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a3" TIME_SLOT_REF1="ts5" TIME_SLOT_REF2="ts6">
            <ANNOTATION_VALUE>backwards</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    </TIER>
    <TIER LINGUISTIC_TYPE_REF="translation" PARENT_REF="Ann" TIER_ID="Ann-en">
        <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="a4" ANNOTATION_REF="a1">
            <ANNOTATION_VALUE>bonjour</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
        <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="a5" ANNOTATION_REF="a99">
            <ANNOTATION_VALUE>refers to nothing</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
    </TIER>
    <LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>
    <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false"
        LINGUISTIC_TYPE_ID="translation" TIME_ALIGNABLE="false"/>
</ANNOTATION_DOCUMENT>
'''


def test_an_elan_file_reads_tiers_as_labels_and_names_what_it_cannot_read(tmp_path):
    path = tmp_path / "talk.eaf"
    path.write_text(ELAN_MADE, encoding="utf-8")
    read = read_spans_file(path)                       # by its suffix, through the registry
    assert plain(read.spans["talk"]) == [
        {"start": 0.25, "end": 1.5, "label": "Ann", "text": "good morning"},
        {"start": 0.25, "end": 1.5, "label": "Ann-en", "text": "bonjour"}]   # a reference: its parent's time
    assert [str(p) for p in read.problems] == [
        f"{path} (tier 'Ann'): an annotation ('unaligned end') without a time (an unaligned time slot); skipped",
        f"{path} (tier 'Ann'): annotation 3000-2500 ms is not a pair of times, start <= end, >= 0",
        f"{path} (tier 'Ann-en'): annotation 'a5' refers to no annotation with a time; skipped"]


@pytest.mark.parametrize("text,reason", [
    ("this is not XML", "not a readable EAF: Unable to parse eaf, can you open it in ELAN?"),
    ("<ANNOTATION_DOCUMENT><TIME_ORDER/></ANNOTATION_DOCUMENT>", "not a readable EAF: KeyError: 'VERSION'"),
    (ELAN_MADE.replace('TIME_SLOT_ID="ts1" TIME_VALUE="250"', 'TIME_SLOT_ID="ts1" TIME_VALUE="soon"'),
     "not a readable EAF: ValueError: invalid literal for int() with base 10: 'soon'"),
])
def test_a_malformed_eaf_is_named_with_its_file(store, corpus, tmp_path, text, reason):
    path = tmp_path / "trn01.eaf"
    path.write_text(text, encoding="utf-8")
    report = load_sources(store, "bad", [corpus / "diarization" / "trn01.wav"], spans=[path])
    assert report.added == 1                            # the audio loads; the file is named
    assert [str(f) for f in report.failures] == [f"{path}: {reason}"]


@pytest.mark.parametrize("name", ["bobby_words", "bobby_phones", "bobby_words_with_newlines"])
def test_the_corpus_textgrids_export_as_eaf_and_read_back_equal(store, corpus, tmp_path, name):
    source = corpus / "praat" / f"{name}.TextGrid"
    report = load_sources(store, name, [corpus / "praat" / "bobby.wav"], spans=[source])
    assert report.failures == [] and report.added == 1
    (written,) = export_files(store, name, "eaf", tmp_path / "out", ExportFilter(include_unanswered=True))
    assert written.name == "bobby.eaf"
    from_grid = [s for s in plain(textgrid.read(source).spans[name]) if s["end"] > s["start"]]
    from_eaf = plain(eaf.read(written).spans["bobby"])
    key = lambda s: (s["label"], s["start"], s["end"])   # noqa: E731 (by tier, then time)
    assert sorted(from_eaf, key=key) == sorted(from_grid, key=key) and from_eaf
    grid_tiers = [t["name"] for t in textgrid.read(source).tiers[name]]
    assert [s["label"] for s in from_eaf] == sorted((s["label"] for s in from_eaf), key=grid_tiers.index)
    if name.endswith("newlines"):
        assert any("\n" in s.get("text", "") for s in from_eaf)
        assert len(from_grid) < len(plain(textgrid.read(source).spans[name]))   # its points: not in EAF

    # and the EAF itself, imported and exported again: the same regions, the same file but its date
    again = load_sources(store, name + "-eaf", [corpus / "praat" / "bobby.wav"], spans=[written])
    assert again.failures == []
    (second,) = export_files(store, name + "-eaf", "eaf", tmp_path / "again", ExportFilter(include_unanswered=True))
    assert plain(eaf.read(second).spans["bobby"]) == from_eaf

    def undated(text: str) -> str:
        return "".join(part.split('"', 1)[-1] for part in text.split('DATE="'))
    assert undated(second.read_text(encoding="utf-8")) == undated(written.read_text(encoding="utf-8"))


def test_one_file_per_audio_file_and_annotator(store, corpus, tmp_path):
    report = load_sources(store, "d", [corpus / "diarization" / "trn01.wav", corpus / "diarization" / "trn02.wav"])
    one, two = (get_task(store, i) for i in report.task_ids)
    def region(start: float, label: str) -> dict:
        return {"audio_spans": [{"id": label, "start": start, "end": start + 1, "label": label}]}
    save_annotation(store, one, "accept", "ann", edits=region(1, "A"))
    save_annotation(store, one, "accept", "bob", edits=region(3, "B"))
    save_annotation(store, two, "reject", "ann", edits=region(5, "C"))
    written = export_files(store, "d", "eaf", tmp_path / "out")
    assert sorted(p.name for p in written) == ["trn01.ann.eaf", "trn01.bob.eaf", "trn02.eaf"]
    assert plain(eaf.read(tmp_path / "out" / "trn01.bob.eaf").spans["trn01.bob"]) == [
        {"start": 3.0, "end": 4.0, "label": "B"}]
    assert f'MEDIA_URL="{(corpus / "diarization" / "trn02.wav").resolve().as_uri()}"' in (
        tmp_path / "out" / "trn02.eaf").read_text(encoding="utf-8")


def test_the_command_line_loads_and_exports_eaf(root, corpus, tmp_path):
    db = tmp_path / "e.duckdb"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db)],
                              capture_output=True, text=True, cwd=root)
    source = tmp_path / "trn01.eaf"
    regions = [{"start": 1.0, "end": 2.5, "label": "SPK", "text": "<hello> & bye"}]
    source.write_text(eaf.write(regions), encoding="utf-8")
    done = cli("load", "e", str(corpus / "diarization" / "trn01.wav"), "--spans", str(source))
    assert done.returncode == 0 and "failed 0" in done.stdout, done.stderr
    assert "labels added from the pre-annotations: SPK" in done.stderr
    out = tmp_path / "out"
    done = cli("export", "e", "--all", "--format", "eaf", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert plain(eaf.read(out / "trn01.eaf").spans["trn01"]) == [
        {"start": 1.0, "end": 2.5, "label": "SPK", "text": "<hello> & bye"}]


def test_a_textgrid_imports_tiers_keep_their_order_and_their_empty_tiers():
    records = [{"path": "/x/talk.wav", "meta": {"tiers": [{"name": "words", "type": "interval"},
                                                         {"name": "empty", "type": "interval"},
                                                         {"name": "marks", "type": "point"}]},
                "audio_spans": [{"start": 0.0, "end": 1.0, "label": "NEW"},
                                {"start": 1.0, "end": 2.0, "label": "words", "text": "w"}]}]
    written = eaf.write_records(records)
    tiers = [line.split('TIER_ID="')[1].split('"')[0] for line in written.splitlines() if "<TIER " in line]
    assert tiers == ["words", "empty", "NEW"]        # a point tier has no EAF tier: its markers are not written
