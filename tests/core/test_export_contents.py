"""What an export holds, compared whole with text written out by hand: the current
version of each annotation only (after a Review correction, after undo and
answering again), every record once and in order whatever the id windows, and
every task that differs in its text or segment.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import zipfile

import pytest

from earmark.db.queries import export as export_queries
from earmark.annotations import get_task, save_annotation
from earmark.formats.jsonl_csv import ExportFilter, export
from earmark.feed import previous_answer
from earmark.formats.export import PER_FILE, export_archive, export_clips
from earmark.loading.loader import load_sources
from tests.core.crafted import load_tasks as load

RTTM_ETC = ("rttm", *PER_FILE)


def jsonl(store, dataset: str = "d", **filt) -> list[dict]:
    out = io.StringIO()
    export(store, dataset, out, "jsonl", ExportFilter(**filt))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def csv_table(store, dataset: str = "d") -> list[dict]:
    out = io.StringIO()
    export(store, dataset, out, "csv")
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def archive(store, fmt: str, dataset: str = "d") -> dict[str, str]:
    """Each member of the format's download (the Export page's button), as text."""
    data, name = export_archive(store, dataset, fmt)
    if fmt == "rttm":
        assert name == f"{dataset}.rttm"
        return {name: data.decode("utf-8")}
    assert name == f"{dataset}-{fmt}.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {member: undated(z.read(member).decode("utf-8")) for member in z.namelist()}


def undated(text: str) -> str:
    """An EAF's DATE (required, the time it was written) as `WHEN`; any other text as it is."""
    return re.sub(r'(<ANNOTATION_DOCUMENT [^>]*DATE=")[^"]*"', r'\1WHEN"', text, count=1)


def one_task(file: str = "talk.wav") -> dict:
    return {"audio": f"https://example.org/{file}", "file": file, "meta": {"duration": 3.0}}


FIRST = {"audio_spans": [{"id": "f", "start": 0.5, "end": 1.0, "label": "KEEP", "text": "first try"}],
         "transcript": "first try"}
FIXED = {"audio_spans": [{"id": "x", "start": 1.0, "end": 2.0, "label": "FIXED", "text": "second try"}],
         "transcript": "second try"}

# The files of the corrected version alone, written out by hand.
ONLY_FIXED = {
    "rttm": {"d.rttm": "SPEAKER talk 1 1.000 1.000 <NA> <NA> FIXED <NA> <NA>\n"},
    "vtt": {"d/talk.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v FIXED>second try\n"},
    "srt": {"d/talk.srt": "1\n00:00:01,000 --> 00:00:02,000\nsecond try\n"},
    "audacity": {"d/talk.txt": "1.000000\t2.000000\tFIXED\n"},
    "transcript": {"d/talk.transcript.txt": "second try\n"},
    "eaf": {"d/talk.eaf": '''<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="Earmark" DATE="WHEN" VERSION="2.8" FORMAT="2.8" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv2.8.xsd">
	<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
		<MEDIA_DESCRIPTOR MEDIA_URL="https://example.org/talk.wav" RELATIVE_MEDIA_URL="./talk.wav" MIME_TYPE="audio/x-wav" />
		<PROPERTY NAME="lastUsedAnnotation">2</PROPERTY>
		</HEADER>
	<TIME_ORDER>
		<TIME_SLOT TIME_SLOT_ID="ts2" TIME_VALUE="1000" />
		<TIME_SLOT TIME_SLOT_ID="ts3" TIME_VALUE="2000" />
		</TIME_ORDER>
	<TIER TIER_ID="FIXED" LINGUISTIC_TYPE_REF="default-lt">
		<ANNOTATION>
			<ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts3">
				<ANNOTATION_VALUE>second try</ANNOTATION_VALUE>
				</ALIGNABLE_ANNOTATION>
			</ANNOTATION>
		</TIER>
	<LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="default-lt" TIME_ALIGNABLE="true" GRAPHIC_REFERENCES="false" />
	<CONSTRAINT STEREOTYPE="Time_Subdivision" DESCRIPTION="Time subdivision of parent annotation's time interval, no time gaps allowed within this interval" />
	<CONSTRAINT STEREOTYPE="Symbolic_Subdivision" DESCRIPTION="Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered" />
	<CONSTRAINT STEREOTYPE="Symbolic_Association" DESCRIPTION="1-1 association with a parent annotation" />
	<CONSTRAINT STEREOTYPE="Included_In" DESCRIPTION="Time alignable annotations within the parent annotation's time interval, gaps are allowed" />
	</ANNOTATION_DOCUMENT>
'''},
    "textgrid": {"d/talk.TextGrid": '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0 
xmax = 3 
tiers? <exists> 
size = 1 
item []: 
    item [1]:
        class = "IntervalTier" 
        name = "FIXED" 
        xmin = 0 
        xmax = 3 
        intervals: size = 3 
        intervals [1]:
            xmin = 0 
            xmax = 1 
            text = "" 
        intervals [2]:
            xmin = 1 
            xmax = 2 
            text = "second try" 
        intervals [3]:
            xmin = 2 
            xmax = 3 
            text = "" 
'''},
}


def assert_only_the_corrected_version(store, answer: str, session: str) -> None:
    (record,) = jsonl(store)
    assert record["answer"] == answer and record["_session_id"] == session
    assert record["audio_spans"] == FIXED["audio_spans"] and record["transcript"] == "second try"
    assert [(r["answer"], r["span_id"], r["label"], r["start"], r["end"], r["text"]) for r in csv_table(store)] == [
        (answer, "x", "FIXED", "1.0", "2.0", "second try")]
    for fmt in RTTM_ETC:
        assert archive(store, fmt) == ONLY_FIXED[fmt], fmt


def test_a_review_correction_exports_only_the_new_version(store, tmp_path):
    (task_id,) = load(store, tmp_path, [one_task()])
    task = get_task(store, task_id)
    first = save_annotation(store, task, "accept", "ann", edits=FIRST)
    # what the Review page saves: the same annotator's answer as a new version
    save_annotation(store, task, "reject", "ann", edits={**FIXED, "_reviewed_by": "rev"}, supersedes=first)
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 2   # the history is kept
    assert_only_the_corrected_version(store, "reject", "ann")
    assert jsonl(store, answers=["accept"]) == []                        # the accept is no longer current
    assert [r["_reviewed_by"] for r in jsonl(store, answers=["reject"])] == ["rev"]


def test_undo_and_answer_again_exports_only_the_new_answer(store, tmp_path):
    (task_id,) = load(store, tmp_path, [one_task()])
    save_annotation(store, get_task(store, task_id), "accept", "ann", edits=FIRST, timestamp=1000.0)
    # what Annotate's Undo does: reopen the session's latest answer, then answer it again
    reopened = previous_answer(store, "d", "ann")
    assert reopened is not None and reopened.task.id == task_id and reopened.annotation["answer"] == "accept"
    save_annotation(store, reopened.task, "reject", "ann", edits=FIXED, supersedes=reopened.annotation_id,
                    timestamp=1001.0)
    assert_only_the_corrected_version(store, "reject", "ann")
    # undone and answered once more: still one record, the newest
    again = previous_answer(store, "d", "ann")
    assert again.annotation["answer"] == "reject"
    save_annotation(store, again.task, "accept", "ann", edits=FIXED, supersedes=again.annotation_id,
                    timestamp=1002.0)
    assert [(r["answer"], r["audio_spans"]) for r in jsonl(store)] == [("accept", FIXED["audio_spans"])]


def test_another_annotators_answer_is_not_a_version_of_it(store, tmp_path):
    (task_id,) = load(store, tmp_path, [one_task()])
    task = get_task(store, task_id)
    first = save_annotation(store, task, "accept", "ann", edits=FIRST)
    save_annotation(store, task, "reject", "ann", edits=FIXED, supersedes=first)
    save_annotation(store, task, "accept", "bob", edits=FIRST)
    assert [(r["_session_id"], r["answer"], r["audio_spans"][0]["label"]) for r in jsonl(store)] == [
        ("ann", "reject", "FIXED"), ("bob", "accept", "KEEP")]
    assert archive(store, "audacity") == {"d/talk.ann.txt": "1.000000\t2.000000\tFIXED\n",
                                          "d/talk.bob.txt": "0.500000\t1.000000\tKEEP\n"}


def test_clips_follow_the_corrected_answer(store, tmp_path, stereo_speech_left):
    report = load_sources(store, "c", [stereo_speech_left])
    task = get_task(store, report.task_ids[0])
    regions = [{"id": "l", "start": 0.1, "end": 0.5, "label": "LEFT", "channel": 0}]
    first = save_annotation(store, task, "accept", "ann", edits={"audio_spans": regions})
    assert export_clips(store, "c", tmp_path / "before") == 1
    second = save_annotation(store, task, "reject", "ann", edits={"audio_spans": regions}, supersedes=first)
    assert export_clips(store, "c", tmp_path / "rejected") == 0                   # no longer accepted
    assert (tmp_path / "rejected" / "train" / "metadata.csv").read_bytes() == \
        b"file_name,label,text,start,end,channel,source,annotator\r\n"          # the header alone
    moved = [{"id": "m", "start": 0.2, "end": 0.3, "label": "MOVED", "channel": 1}]
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": moved}, supersedes=second)
    out = tmp_path / "accepted"
    assert export_clips(store, "c", out) == 1
    rows = list(csv.reader(open(out / "train" / "metadata.csv", encoding="utf-8", newline="")))
    assert [r[:6] for r in rows[1:]] == [["speech_left_000001.wav", "MOVED", "", "0.2", "0.3", "2"]]


# -- id windows -----------------------------------------------------------------------------

@pytest.fixture
def window(monkeypatch):
    """Export with windows of `n` ids (the default, 5000, hides every edge in a small test)."""
    real = export_queries._in_id_windows

    def set_window(n: int) -> None:
        monkeypatch.setattr(export_queries, "_in_id_windows", functools.partial(real, window=n))
    return set_window


@pytest.mark.parametrize("size", [1, 2, 3])
def test_three_annotations_export_as_three_records_in_any_window(store, tmp_path, window, size):
    ids = load(store, tmp_path, [one_task(f"f{i}.wav") for i in range(3)])
    for n, task_id in enumerate(ids):
        save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"audio_spans": [
            {"id": f"r{n}", "start": n + 0.25, "end": n + 0.75, "label": f"L{n}"}]})
    window(size)
    assert [r["file"] for r in jsonl(store)] == ["f0.wav", "f1.wav", "f2.wav"]
    assert [(r["file"], r["span_id"]) for r in csv_table(store)] == [("f0.wav", "r0"), ("f1.wav", "r1"),
                                                                   ("f2.wav", "r2")]
    assert archive(store, "rttm") == {"d.rttm": "SPEAKER f0 1 0.250 0.500 <NA> <NA> L0 <NA> <NA>\n"
                                                "SPEAKER f1 1 1.250 0.500 <NA> <NA> L1 <NA> <NA>\n"
                                                "SPEAKER f2 1 2.250 0.500 <NA> <NA> L2 <NA> <NA>\n"}
    assert archive(store, "audacity") == {"d/f0.txt": "0.250000\t0.750000\tL0\n",
                                          "d/f1.txt": "1.250000\t1.750000\tL1\n",
                                          "d/f2.txt": "2.250000\t2.750000\tL2\n"}


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5000])
def test_windows_over_ids_with_gaps_export_each_record_once_in_id_order(store, tmp_path, window, size):
    # Tasks and annotations of another dataset, superseded versions and a deleted task
    # leave gaps in this dataset's ids, some wider than a window.
    d1 = load(store, tmp_path, [one_task(f"a{i}.wav") for i in range(4)], name="d1")
    e = load(store, tmp_path, [one_task(f"e{i}.wav") for i in range(5)], dataset="e", name="e")
    d2 = load(store, tmp_path, [one_task(f"b{i}.wav") for i in range(4)], name="d2")
    expected = []
    for n, task_id in enumerate([*d1[:2], *d2[:2]]):
        task = get_task(store, task_id)
        for other in e:        # the other dataset's annotations in between
            save_annotation(store, get_task(store, other), "accept", "ann")
        previous = save_annotation(store, task, "accept", "ann",
                                   edits={"audio_spans": [{"id": "s", "start": 0.0, "end": 1.0, "label": f"L{n}"}]})
        if n % 2:              # corrected: the current version has a larger id, the old one is a gap
            previous = save_annotation(store, task, "reject", "ann", supersedes=previous,
                                       edits={"audio_spans": [{"id": "s", "start": 0.0, "end": 1.0, "label": f"C{n}"}]})
        expected.append((task.data["file"], "reject" if n % 2 else "accept", f"C{n}" if n % 2 else f"L{n}"))
    store.write(lambda cur: cur.execute("DELETE FROM tasks WHERE id = ?", [d1[3]]))   # as a load whose media failed
    window(size)
    assert [(r["file"], r["answer"], r["audio_spans"][0]["label"]) for r in jsonl(store)] == expected
    assert archive(store, "rttm")["d.rttm"] == (
        "SPEAKER a0 1 0.000 1.000 <NA> <NA> L0 <NA> <NA>\n"
        "SPEAKER a1 1 0.000 1.000 <NA> <NA> C1 <NA> <NA>\n"
        "SPEAKER b0 1 0.000 1.000 <NA> <NA> L2 <NA> <NA>\n"
        "SPEAKER b1 1 0.000 1.000 <NA> <NA> C3 <NA> <NA>\n")
    everything = jsonl(store, include_unanswered=True)
    assert [(r["file"], r.get("answer")) for r in everything] == [
        *((f, a) for f, a, _ in expected), ("a2.wav", None), ("b2.wav", None), ("b3.wav", None)]
    assert [r["file"] for r in jsonl(store, "e")] == [f"e{i}.wav" for i in range(5)] * 4


# -- tasks that differ only in their text or their segment ----------------------------------------

def test_tasks_differing_only_in_text_or_segment_all_load_and_export(store, tmp_path):
    audio = "https://example.org/same.wav"
    tasks = [{"audio": audio, "text": "the first sentence"},
             {"audio": audio, "text": "the second sentence"},
             {"audio": audio, "segment": {"start": 0.0, "end": 1.5}},
             {"audio": audio, "segment": {"start": 1.5, "end": 3.0}},
             {"audio": audio, "meta": {"channel": 0}},
             {"audio": audio, "meta": {"channel": 1}}]
    ids = load(store, tmp_path, tasks)
    again = load_sources(store, "d", [tmp_path / "in.jsonl"])
    assert again.added == 0                                     # the very same tasks are duplicates
    for task_id in ids:
        save_annotation(store, get_task(store, task_id), "accept", "ann")
    records = jsonl(store)
    assert [(r.get("text"), r.get("segment"), r.get("meta")) for r in records] == [
        ("the first sentence", None, None), ("the second sentence", None, None),
        (None, {"start": 0.0, "end": 1.5}, None), (None, {"start": 1.5, "end": 3.0}, None),
        (None, None, {"channel": 0}), (None, None, {"channel": 1})]
    assert len({r["_input_hash"] for r in records}) == 6
    rows = csv_table(store)
    assert [r["_input_hash"] for r in rows] == [str(r["_input_hash"]) for r in records]
    assert [(r["segment_start"], r["segment_end"]) for r in rows] == [
        ("", ""), ("", ""), ("0.0", "1.5"), ("1.5", "3.0"), ("", ""), ("", "")]


# -- what each per-file export puts together -------------------------------------------------------

def test_a_files_transcript_is_in_segment_order_whatever_the_load_order(store, tmp_path):
    # one recording behind signed URLs (the query differs per task): one file, by the URL's path
    base = "https://example.org/calls/rec7.wav"
    ids = load(store, tmp_path, [
        {"audio": f"{base}?sig=3", "segment": {"start": 4.0, "end": 6.0}},
        {"audio": f"{base}?sig=1", "segment": {"start": 0.0, "end": 2.0}},
        {"audio": f"{base}?sig=2", "segment": {"start": 2.0, "end": 4.0}}])
    for task_id, text in zip(ids, ["third", "first", "second"]):
        save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"transcript": text})
    assert archive(store, "transcript") == {"d/rec7.transcript.txt": (
        "[00:00:00.000 --> 00:00:02.000] first\n"
        "[00:00:02.000 --> 00:00:04.000] second\n"
        "[00:00:04.000 --> 00:00:06.000] third\n")}
    assert archive(store, "srt") == {"d/rec7.srt": (
        "1\n00:00:00,000 --> 00:00:02,000\nfirst\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\nsecond\n\n"
        "3\n00:00:04,000 --> 00:00:06,000\nthird\n")}


def test_clips_are_of_accepted_regions_with_a_duration_whatever_the_filter(store, tmp_path, stereo_speech_left):
    report = load_sources(store, "c", [stereo_speech_left])
    task = get_task(store, report.task_ids[0])
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": [
        {"id": "m", "start": 0.3, "end": 0.3, "label": "MARK"},                 # a marker: no clip
        {"id": "r", "start": 0.25, "end": 0.5, "label": "R", "channel": 0}]})
    save_annotation(store, task, "reject", "bob", edits={"audio_spans": [
        {"id": "x", "start": 0.0, "end": 1.0, "label": "NO"}]})
    out = tmp_path / "clips"
    assert export_clips(store, "c", out, ExportFilter(answers=["reject"])) == 1   # accepted only, still
    rows = list(csv.reader(open(out / "train" / "metadata.csv", encoding="utf-8", newline="")))
    assert [r[:6] + [r[7]] for r in rows[1:]] == [["speech_left_000001.wav", "R", "", "0.25", "0.5", "1", "ann"]]


def test_csv_counts_records_and_keeps_urls_but_not_inline_audio(store, tmp_path):
    from earmark.formats.jsonl_csv import csv_rows
    (task_id,) = load(store, tmp_path, [one_task()])
    save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"audio_spans": [
        {"id": "a", "start": 0.0, "end": 1.0, "label": "A"}, {"id": "b", "start": 1.0, "end": 2.0, "label": "B"}]})
    out = io.StringIO()
    assert export(store, "d", out, "csv") == 1                                 # one record, two rows
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["audio"], r["span_id"]) for r in rows] == [("https://example.org/talk.wav", "a"),
                                                          ("https://example.org/talk.wav", "b")]
    (inline,) = csv_rows({"audio": "data:audio/wav;base64,UklGRg==", "answer": "accept"})
    assert inline["audio"] is None and inline["answer"] == "accept"


@pytest.mark.parametrize("call,message", [
    (lambda store: export(store, "d", io.StringIO(), "xml"), "unknown export format 'xml'; choose one of jsonl, csv"),
    (lambda store: export_archive(store, "d", "xml"),
     "unknown format 'xml'; choose one of rttm, textgrid, eaf, vtt, srt, audacity, nemo, transcript, clips"),
])
def test_an_unknown_export_format_is_named(store, call, message):
    from earmark.formats.jsonl_csv import ExportError
    with pytest.raises(ExportError) as caught:
        call(store)
    assert str(caught.value) == message


def test_the_export_pages_review_filter_selects_current_versions_only(store, tmp_path):
    from earmark.db.queries.review import ReviewFilter, filter_sql
    one, two = load(store, tmp_path, [one_task("one.wav"), one_task("two.wav")])

    def region(label: str) -> dict:
        return {"audio_spans": [{"id": label, "start": 0.0, "end": 1.0, "label": label}]}
    first = save_annotation(store, get_task(store, one), "accept", "ann", edits=region("A"))
    save_annotation(store, get_task(store, one), "accept", "ann", edits=region("B"), supersedes=first)  # A became B
    save_annotation(store, get_task(store, two), "reject", "bob", edits=region("B"))

    def picked(**review) -> list[tuple]:
        where = filter_sql(ReviewFilter(dataset="d", **review))
        return [(r["file"], r["answer"], r["audio_spans"][0]["label"]) for r in jsonl(store, where=where)]
    assert picked(labels=["A"]) == []                       # only the superseded version had A
    assert picked(labels=["B"]) == [("one.wav", "accept", "B"), ("two.wav", "reject", "B")]
    assert picked(file="two") == [("two.wav", "reject", "B")]
    assert picked(sessions=["ann"], answers=["accept"]) == [("one.wav", "accept", "B")]
    data, _ = export_archive(store, "d", "rttm", ExportFilter(where=filter_sql(ReviewFilter(dataset="d", sessions=["bob"]))))
    assert data.decode("utf-8") == "SPEAKER two 1 0.000 1.000 <NA> <NA> B <NA> <NA>\n"


def test_a_typed_transcript_is_one_cue_over_its_segment_regions_or_file(store, tmp_path):
    a, b, c, d = load(store, tmp_path, [one_task("whole.wav"), one_task("two.wav"), one_task("one.wav"),
                                        {"audio": "https://example.org/nolength.wav"}])
    save_annotation(store, get_task(store, a), "accept", "ann", edits={"transcript": "the whole file"})
    save_annotation(store, get_task(store, b), "accept", "ann", edits={"transcript": "two voices", "audio_spans": [
        {"id": "1", "start": 0.5, "end": 1.0, "label": "A"}, {"id": "2", "start": 1.5, "end": 2.5, "label": "B"}]})
    save_annotation(store, get_task(store, c), "accept", "ann", edits={"transcript": "one voice", "audio_spans": [
        {"id": "1", "start": 0.25, "end": 1.0, "label": "SPK"}, {"id": "2", "start": 2.0, "end": 2.75, "label": "SPK"}]})
    save_annotation(store, get_task(store, d), "accept", "ann", edits={"transcript": "nowhere to put it"})
    assert archive(store, "vtt") == {
        "d/whole.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nthe whole file\n",       # the file's 3 s
        "d/two.vtt": "WEBVTT\n\n00:00:00.500 --> 00:00:02.500\ntwo voices\n",            # its regions, no voice
        "d/one.vtt": "WEBVTT\n\n00:00:00.250 --> 00:00:02.750\n<v SPK>one voice\n",      # their one label
        "d/nolength.vtt": "WEBVTT\n\n"}                                                   # no time to give it


def test_clips_of_a_registered_file_gone_from_disk_are_an_error_not_left_out(store, tmp_path, stereo_speech_left):
    from earmark.cli import build_parser, run_command
    from earmark.formats.jsonl_csv import ExportError
    audio = tmp_path / "moved.wav"
    audio.write_bytes(stereo_speech_left.read_bytes())
    report = load_sources(store, "c", [audio])
    save_annotation(store, get_task(store, report.task_ids[0]), "accept", "ann",
                    edits={"audio_spans": [{"id": "r", "start": 0.1, "end": 0.5, "label": "R"}]})
    audio.unlink()
    with pytest.raises(ExportError) as caught:
        export_clips(store, "c", tmp_path / "clips")
    assert str(caught.value) == (f"cannot cut clips from {audio}: the file is no longer there "
                                 "(restore it, or export the other formats)")
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(["export", "c", "--format", "clips", "--out", str(tmp_path / "cli")])
    assert run_command(store, args, out, err) == 2
    assert err.getvalue().startswith(f"error: cannot cut clips from {audio}: the file is no longer there")
    assert not (tmp_path / "cli" / "train" / "metadata.csv").exists()          # no half export to take for whole


def test_inline_audio_is_dropped_from_exports_unless_kept(store, tmp_path, corpus):
    import base64
    uri = "data:audio/wav;base64," + base64.b64encode((corpus / "formats" / "bobby_16bit_16khz.wav").read_bytes()).decode()
    source = tmp_path / "inline.jsonl"
    source.write_text(json.dumps({"audio": uri, "meta": {"note": "inline"}}) + "\n", encoding="utf-8")
    assert load_sources(store, "d", [source], keep_base64=True).added == 1
    (dropped,) = jsonl(store, include_unanswered=True)
    assert "audio" not in dropped and dropped["meta"]["note"] == "inline"
    (kept,) = jsonl(store, include_unanswered=True, keep_base64=True)
    assert kept["audio"] == uri
    out = io.StringIO()
    export(store, "d", out, "csv", ExportFilter(include_unanswered=True, keep_base64=True))
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["audio"] == "" and row["_input_hash"] == str(kept["_input_hash"])   # never megabytes in a cell


def test_a_windows_path_names_its_file_by_the_last_component(store, tmp_path):
    (task_id,) = load(store, tmp_path, [{"audio": "https://example.org/x.wav", "file": "C:\\calls\\2024\\rec9.wav"}])
    save_annotation(store, get_task(store, task_id), "accept", "ann",
                    edits={"audio_spans": [{"id": "r", "start": 1.0, "end": 2.0, "label": "A"}]})
    assert archive(store, "audacity") == {"d/rec9.txt": "1.000000\t2.000000\tA\n"}
    assert archive(store, "rttm") == {"d.rttm": "SPEAKER rec9 1 1.000 1.000 <NA> <NA> A <NA> <NA>\n"}
