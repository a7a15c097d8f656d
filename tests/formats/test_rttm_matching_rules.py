"""RTTM lines read and written, the shared helpers of the spans readers, and how
pre-annotations find their audio file: every rule against answers worked out by hand.

RTTM: `SPEAKER <file id> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`,
channels counted from 1 in the file and from 0 in a region.
"""

from __future__ import annotations

import math
import unicodedata

import pytest

from earmark.formats import FormatError, SpansFile, finite_seconds, ms, not_utf8, read_spans_file, rttm, text_lines
from earmark.formats import matching
from earmark.formats.matching import PreAnnotations
from earmark.loading.sources import Failure

TURN = "SPEAKER talk 1 0.5 1 <NA> <NA> A <NA> <NA>\n"


def plain(spans: list[dict]) -> list[dict]:
    """Spans without their random ids."""
    return [{k: v for k, v in s.items() if k != "id"} for s in spans]


# -- FormatError, SpansFile ------------------------------------------------------------------

def test_a_format_error_reads_where_colon_reason():
    exc = FormatError("x.rttm:3", "bad onset")
    assert str(exc) == "x.rttm:3: bad onset"
    assert (exc.where, exc.reason) == ("x.rttm:3", "bad onset")
    assert isinstance(exc, ValueError)


def test_not_utf8_names_the_line_and_says_it_is_skipped():
    exc = not_utf8("f.txt:2")
    assert str(exc) == "f.txt:2: this line is not UTF-8 text; skipped"


def test_spans_file_add_groups_by_stem_and_keeps_where_only_for_string_ids():
    a, b = SpansFile(), SpansFile()
    a.add("s", {"id": "one", "start": 0.0}, "f:1")
    a.add("s", {"id": "two", "start": 1.0})            # no line known: nothing kept for it
    a.add("t", {"id": 7, "start": 2.0}, "f:3")         # an id that is not text is not a key
    a.add("t", {"start": 3.0}, "f:4")                  # no id at all
    assert a.spans == {"s": [{"id": "one", "start": 0.0}, {"id": "two", "start": 1.0}],
                       "t": [{"id": 7, "start": 2.0}, {"start": 3.0}]}
    assert a.where == {"one": "f:1"}
    # each SpansFile has its own containers
    assert (b.spans, b.problems, b.tiers, b.grid_format, b.where) == ({}, [], {}, {}, {})


# -- text_lines, finite_seconds, ms ----------------------------------------------------------

def test_text_lines_numbers_from_1_strips_one_leading_bom_and_keeps_line_ends(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xef\xbb\xbfone\r\n"        # BOM on line 1: dropped
                     b"\xef\xbb\xbftwo\n"          # a BOM later is text
                     b"bad \xff byte\n"
                     b"\n"
                     b"last")
    assert list(text_lines(path)) == [(1, "one\r\n"), (2, "\ufefftwo\n"), (3, None), (4, "\n"), (5, "last")]


def test_text_lines_of_a_file_that_is_only_a_bom_and_of_an_empty_file(tmp_path):
    (tmp_path / "bom").write_bytes(b"\xef\xbb\xbf")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "nobom").write_bytes(b"\xef\xbbx\n")   # two bytes of a BOM are not one: not UTF-8
    assert list(text_lines(tmp_path / "bom")) == [(1, "")]
    assert list(text_lines(tmp_path / "empty")) == []
    assert list(text_lines(tmp_path / "nobom")) == [(1, None)]


def test_finite_seconds():
    assert finite_seconds(0.0, 1.5, -2.0)
    assert finite_seconds()
    assert not finite_seconds(1.0, math.inf)
    assert not finite_seconds(math.nan, 1.0)
    assert not finite_seconds(-math.inf)


@pytest.mark.parametrize("value,want", [(1.23456, 1.235), (2.0004, 2.0), (0.1234, 0.123), (7, 7.0), ("0.5", 0.5),
                                        (-1.2346, -1.235)])
def test_ms_rounds_to_the_millisecond_and_is_a_float(value, want):
    got = ms(value)
    assert got == want and type(got) is float


# -- read_spans_file: by suffix --------------------------------------------------------------

TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

0
2
<exists>
1
"IntervalTier"
"Words"
0
2
2
0
0.5
"hi"
0.5
2
""
'''

BY_SUFFIX = [
    ("t.rttm", "SPEAKER talk 1 0.5 1 <NA> <NA> A <NA> <NA>\n", "talk", [{"start": 0.5, "end": 1.5, "label": "A"}]),
    ("T.RTTM", "SPEAKER talk 1 0.5 1 <NA> <NA> A <NA> <NA>\n", "talk", [{"start": 0.5, "end": 1.5, "label": "A"}]),
    ("g.TextGrid", TEXTGRID, "g", [{"start": 0.0, "end": 0.5, "label": "Words", "text": "hi"}]),
    ("g.textgrid", TEXTGRID, "g", [{"start": 0.0, "end": 0.5, "label": "Words", "text": "hi"}]),
    ("a.txt", "0.5\t1.25\tNoise\n", "a", [{"start": 0.5, "end": 1.25, "label": "Noise"}]),
    ("a.TXT", "0.5\t1.25\tNoise\n", "a", [{"start": 0.5, "end": 1.25, "label": "Noise"}]),
    ("v.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nfish &amp; chips\n", "v",
     [{"start": 1.0, "end": 2.0, "label": "SPEECH", "text": "fish & chips"}]),
    ("s.srt", "1\n00:00:01,000 --> 00:00:02,000\nfish &amp; chips\n", "s",
     [{"start": 1.0, "end": 2.0, "label": "SPEECH", "text": "fish &amp; chips"}]),
    ("j.jsonl", '{"file": "rec.wav", "audio_spans": [{"start": 0.25, "end": 0.5, "label": "L"}]}\n', "rec",
     [{"start": 0.25, "end": 0.5, "label": "L"}]),
]


@pytest.mark.parametrize("name,text,stem,want", BY_SUFFIX, ids=[b[0] for b in BY_SUFFIX])
def test_read_spans_file_reads_each_suffix_with_its_reader(tmp_path, name, text, stem, want):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    read = read_spans_file(str(path))          # a path given as text too
    assert read.problems == [], [str(p) for p in read.problems]
    assert list(read.spans) == [stem]
    assert plain(read.spans[stem]) == want


@pytest.mark.parametrize("name,suffix", [("notes.csv", "'.csv'"), ("README", "''"), ("x.rttm.bak", "'.bak'")])
def test_an_unknown_spans_suffix_is_a_format_error_naming_the_file(tmp_path, name, suffix):
    path = tmp_path / name
    with pytest.raises(FormatError) as raised:
        read_spans_file(path)
    assert raised.value.where == str(path)
    assert raised.value.reason == (f"unknown spans format {suffix}; use one of "
                                   ".eaf, .json, .jsonl, .rttm, .srt, .textgrid, .txt, .vtt")


# -- RTTM reader -----------------------------------------------------------------------------

def test_rttm_reader_every_field_and_skipped_line(tmp_path):
    source = tmp_path / "x.rttm"
    source.write_text("#\n"                                                   # a comment of one field
                      "EOF\n"                                                 # some other record of one field
                      "   \t \n"                                              # blank but for whitespace
                      "speaker talk 1 0 1 <NA> <NA> lower <NA> <NA>\n"       # the type is case-sensitive
                      "SPEAKER  talk\t1 0 0.25  <NA> <NA> A\t<NA> <NA>\r\n"  # any whitespace separates
                      "SPEAKER other <NA> 0.0004 0.0004 <NA> <NA> B <NA> <NA>\n"
                      "SPEAKER talk 1 1e1 5E-1 x y Ann_Lee z w\n", encoding="utf-8")
    read = rttm.read(source)
    assert read.problems == []
    assert list(read.spans) == ["talk", "other"]
    assert plain(read.spans["talk"]) == [{"start": 0.0, "end": 0.25, "label": "A"},
                                         {"start": 10.0, "end": 10.5, "label": "Ann_Lee"}]
    # the end is the onset plus the duration rounded once (0.0008 -> 0.001), not the two rounded apart (0 + 0)
    assert plain(read.spans["other"]) == [{"start": 0.0, "end": 0.001, "label": "B"}]
    ids = [s["id"] for spans in read.spans.values() for s in spans]
    assert all(isinstance(i, str) and len(i) == 36 for i in ids) and len(set(ids)) == 3
    assert read.where == {ids[0]: f"{source}:5", ids[1]: f"{source}:7", ids[2]: f"{source}:6"}


def test_rttm_reader_names_each_bad_line_and_reads_on(tmp_path):
    source = tmp_path / "bad.rttm"
    source.write_text("SPEAKER talk 1 x 0.5 <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk 1 0.5 y <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk 1 1e308 1e308 <NA> <NA> A <NA> <NA>\n"   # each finite, their sum is not
                      "SPEAKER talk 1 0 inf <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk 1 -0 1 <NA> <NA> ZERO <NA> <NA>\n"       # minus zero is no negative time
                      "SPEAKER talk 1 0 -0.001 <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk 1 0 1\n"
                      "SPEAKER talk 65536 0 1 <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk NA 0 1 <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk 1 2 1 <NA> <NA> LAST <NA> <NA>\n", encoding="utf-8")
    read = rttm.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [
        (f"{source}:1", "onset 'x' or duration '0.5' is not a number"),
        (f"{source}:2", "onset '0.5' or duration 'y' is not a number"),
        (f"{source}:3", "onset '1e308' or duration '1e308' is not a finite number of seconds"),
        (f"{source}:4", "onset '0' or duration 'inf' is not a finite number of seconds"),
        (f"{source}:6", "negative onset or duration (0.0, -0.001)"),
        (f"{source}:7", "an RTTM SPEAKER line has 10 fields, this one 5"),
        (f"{source}:8", "channel '65536' is not a channel number (1 to 65535)"),
        (f"{source}:9", "channel 'NA' is not a channel number (1 to 65535)")]
    assert plain(read.spans["talk"]) == [{"start": 0.0, "end": 1.0, "label": "ZERO"},
                                         {"start": 2.0, "end": 3.0, "label": "LAST"}]
    assert sorted(read.where.values()) == [f"{source}:10", f"{source}:5"]


def test_rttm_a_line_that_is_not_utf8_is_named_and_the_next_ones_load(tmp_path):
    source = tmp_path / "mixed.rttm"
    source.write_bytes(b"SPEAKER talk 1 0 1 <NA> <NA> Zo\xeb <NA> <NA>\n"       # Latin-1, not UTF-8
                       b"SPEAKER talk 1 3 0 <NA> <NA> POINT\n"                     # 8 fields and no duration: a point
                       b"SPEAKER talk 1 4 1 <NA> <NA> Zo\xc3\xab <NA> <NA>\n")
    read = rttm.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [(f"{source}:1", "this line is not UTF-8 text; skipped")]
    assert plain(read.spans["talk"]) == [{"start": 3.0, "end": 3.0, "label": "POINT"},
                                         {"start": 4.0, "end": 5.0, "label": "Zoë"}]


def test_rttm_channel_numbers_at_both_ends_and_channel_1_per_file_id(tmp_path):
    source = tmp_path / "ch.rttm"
    source.write_text("SPEAKER a 1 0 1 <NA> <NA> FIRST <NA> <NA>\n"
                      "SPEAKER a <NA> 0 1 <NA> <NA> ALL <NA> <NA>\n"
                      "SPEAKER a 65535 0 1 <NA> <NA> TOP <NA> <NA>\n"
                      "SPEAKER b 1 0 1 <NA> <NA> WHOLE <NA> <NA>\n"
                      "SPEAKER b <NA> 0 1 <NA> <NA> ALSO <NA> <NA>\n"
                      "SPEAKER c 002 0 1 <NA> <NA> SECOND <NA> <NA>\n"
                      "SPEAKER c 1 0 1 <NA> <NA> ONE <NA> <NA>\n", encoding="utf-8")
    read = rttm.read(source)
    assert read.problems == []
    # a: a channel above 1 makes channel 1 the first channel; <NA> stays all channels
    assert plain(read.spans["a"]) == [{"start": 0.0, "end": 1.0, "label": "FIRST", "channel": 0},
                                      {"start": 0.0, "end": 1.0, "label": "ALL"},
                                      {"start": 0.0, "end": 1.0, "label": "TOP", "channel": 65534}]
    # b: only channel 1 and <NA>: both mean the whole file (another file id's channels do not count)
    assert plain(read.spans["b"]) == [{"start": 0.0, "end": 1.0, "label": "WHOLE"},
                                      {"start": 0.0, "end": 1.0, "label": "ALSO"}]
    # c: the channel-2 turn comes first; channel 1 after it is still the first channel
    assert plain(read.spans["c"]) == [{"start": 0.0, "end": 1.0, "label": "SECOND", "channel": 1},
                                      {"start": 0.0, "end": 1.0, "label": "ONE", "channel": 0}]


def test_rttm_reader_of_a_file_with_no_turns(tmp_path):
    source = tmp_path / "none.rttm"
    source.write_text(";; nothing here\n\nSPKR-INFO talk 1 <NA> <NA> <NA> unknown A <NA> <NA>\n", encoding="utf-8")
    read = rttm.read(source)
    assert (read.spans, read.problems, read.where) == ({}, [], {})


# -- RTTM writer -----------------------------------------------------------------------------

@pytest.mark.parametrize("value,empty,want", [
    (None, "<NA>", "<NA>"), ("", "<NA>", "<NA>"), (" \t\n", "<NA>", "<NA>"), (None, "speaker", "speaker"),
    (" Ann  Lee\t", "<NA>", "Ann_Lee"), ("a\nb\r\nc\u2028d\u00a0e", "<NA>", "a_b_c_d_e"), (5, "<NA>", "5"),
    (0, "<NA>", "0"), ("<NA>", "x", "<NA>"), ("Zoë/ü;#", "<NA>", "Zoë/ü;#")])
def test_rttm_field(value, empty, want):
    assert rttm.field(value, empty) == want


def test_rttm_field_is_na_by_default():
    assert rttm.field(None) == "<NA>"
    assert rttm.field("   ") == "<NA>"


def test_rttm_writer_lines_in_order_channels_from_1_and_markers_left_out():
    spans = [{"start": 0.0, "end": 0.0, "label": "MARK"},                          # sorts first; no duration
             {"start": 2.5, "end": 4.0, "label": "Ann Lee", "channel": 1},
             {"start": 1.2344, "end": 2.2344, "label": None, "channel": 0},
             {"start": 3.0, "end": 2.0, "label": "BACKWARDS"},                      # ends before it starts
             {"start": 5.0, "end": 5.25, "label": "C", "channel": 2},
             {"start": 6.0, "end": 6.5, "label": "ALL", "channel": None}]
    assert rttm.write("my talk", spans) == (
        "SPEAKER my_talk 1 1.234 1.000 <NA> <NA> speaker <NA> <NA>\n"
        "SPEAKER my_talk 2 2.500 1.500 <NA> <NA> Ann_Lee <NA> <NA>\n"
        "SPEAKER my_talk 3 5.000 0.250 <NA> <NA> C <NA> <NA>\n"
        "SPEAKER my_talk 1 6.000 0.500 <NA> <NA> ALL <NA> <NA>\n")


def test_rttm_writer_rounds_onset_and_duration_to_three_decimals():
    assert rttm.write("f", [{"start": 10.0006, "end": 12.5, "label": "A"}]) == (
        "SPEAKER f 1 10.001 2.499 <NA> <NA> A <NA> <NA>\n")


def test_rttm_writer_of_nothing_or_only_markers_is_empty():
    assert rttm.write("f", []) == ""
    assert rttm.write("f", [{"start": 1.0, "end": 1.0, "label": "M"}]) == ""


def test_rttm_writer_then_reader_keep_every_turn(tmp_path):
    channels = [{"start": 0.1, "end": 0.6, "label": "A", "channel": 0},
                {"start": 0.2, "end": 0.9, "label": "B", "channel": 1}]
    whole = [{"start": 0.1, "end": 0.6, "label": "A"}, {"start": 1.0, "end": 1.5, "label": "C"}]
    (tmp_path / "c.rttm").write_text(rttm.write("c", channels), encoding="utf-8")
    (tmp_path / "w.rttm").write_text(rttm.write("w", whole), encoding="utf-8")
    assert plain(rttm.read(tmp_path / "c.rttm").spans["c"]) == channels
    assert plain(rttm.read(tmp_path / "w.rttm").spans["w"]) == whole


# -- Pre-annotations: matching spans files to audio files ------------------------------------

def rttm_file(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pre_annotations_match_by_exact_stem_first(tmp_path):
    turns = rttm_file(tmp_path, "t.rttm", "SPEAKER talk 1 0 1 <NA> <NA> EXACT <NA> <NA>\n"
                                          "SPEAKER talk_words 1 1 1 <NA> <NA> PREFIXED <NA> <NA>\n")
    pre = PreAnnotations.read([turns])
    assert pre.failures == []
    spans, meta, source = pre.for_audio("talk")
    assert (plain(spans), meta, source) == ([{"start": 0.0, "end": 1.0, "label": "EXACT"}], {}, str(turns))
    assert pre.used == {"talk"}
    assert pre.unmatched() == [Failure(str(turns), "no audio file matches 'talk_words' (by stem)")]


@pytest.mark.parametrize("sep", ["_", "-", ".", " "])
def test_pre_annotations_match_a_stem_prefixed_by_the_audio_stem_and_a_separator(tmp_path, sep):
    # JSONL names the audio file, so its stem can hold any separator (an RTTM file id no space)
    turns = rttm_file(tmp_path, "t.jsonl",
                      f'{{"file": "talk{sep}x.wav", "audio_spans": [{{"start": 0, "end": 1, "label": "A"}}]}}\n')
    pre = PreAnnotations.read([turns])
    spans, meta, source = pre.for_audio("talk")
    assert (plain(spans), meta, source) == ([{"start": 0.0, "end": 1.0, "label": "A"}], {}, str(turns))
    assert pre.used == {f"talk{sep}x"}
    assert pre.unmatched() == []


def test_pre_annotations_do_not_match_other_names(tmp_path):
    turns = rttm_file(tmp_path, "t.rttm", "SPEAKER talkative 1 0 1 <NA> <NA> A <NA> <NA>\n"
                                          "SPEAKER Talk 1 0 1 <NA> <NA> B <NA> <NA>\n"
                                          "SPEAKER talk+x 1 0 1 <NA> <NA> C <NA> <NA>\n"
                                          "SPEAKER my_talk 1 0 1 <NA> <NA> D <NA> <NA>\n")
    pre = PreAnnotations.read([turns])
    assert pre.for_audio("talk") == ([], {}, None)
    assert pre.used == set()
    assert pre.unmatched() == [Failure(str(turns), f"no audio file matches {s!r} (by stem)")
                               for s in ["Talk", "my_talk", "talk+x", "talkative"]]


def test_pre_annotations_several_prefixed_stems_all_go_to_the_audio(tmp_path):
    first = rttm_file(tmp_path, "a.rttm", "SPEAKER talk_b 1 0 1 <NA> <NA> B <NA> <NA>\n")
    second = rttm_file(tmp_path, "b.rttm", "SPEAKER talk-a 1 2 1 <NA> <NA> A <NA> <NA>\n")
    pre = PreAnnotations.read([first, second])
    spans, meta, source = pre.for_audio("talk")
    # in the order the stems were read; the source is the first stem's file
    assert [s["label"] for s in spans] == ["B", "A"]
    assert source == str(first)
    assert pre.used == {"talk_b", "talk-a"}


def test_pre_annotations_of_one_stem_from_two_files_add_up(tmp_path):
    first = rttm_file(tmp_path, "a.rttm", "SPEAKER talk 1 0 1 <NA> <NA> ONE <NA> <NA>\n")
    second = rttm_file(tmp_path, "b.rttm", "SPEAKER talk 1 2 1 <NA> <NA> TWO <NA> <NA>\n")
    pre = PreAnnotations.read([first, second])
    spans, _, source = pre.for_audio("talk")
    assert [s["label"] for s in spans] == ["ONE", "TWO"]
    assert source == str(second)    # the last file that named the stem
    assert pre.where == {spans[0]["id"]: f"{first}:1", spans[1]["id"]: f"{second}:1"}


def test_pre_annotations_match_decomposed_and_composed_names(tmp_path):
    nfd = unicodedata.normalize("NFD", "café")
    turns = rttm_file(tmp_path, "t.rttm", f"SPEAKER {nfd} 1 0 1 <NA> <NA> A <NA> <NA>\n"
                                          f"SPEAKER café_2 1 0 1 <NA> <NA> B <NA> <NA>\n")
    pre = PreAnnotations.read([turns])
    assert sorted(pre.spans) == ["café", "café_2"]          # kept composed
    assert [s["label"] for s in pre.for_audio(nfd)[0]] == ["A"]   # a macOS (decomposed) audio name
    assert [s["label"] for s in pre.for_audio("café_2")[0]] == ["B"]
    assert pre.unmatched() == []


def test_pre_annotations_carry_textgrid_tiers_and_layout(tmp_path):
    grid = tmp_path / "g_words.TextGrid"
    grid.write_text(TEXTGRID, encoding="utf-8")
    again = tmp_path / "g_words.textgrid"
    again.write_text(TEXTGRID, encoding="utf-8")
    pre = PreAnnotations.read([grid, again])
    assert pre.tiers == {"g_words": [{"name": "Words", "type": "interval"}]}   # the same tier once
    spans, meta, source = pre.for_audio("g")
    assert plain(spans) == [{"start": 0.0, "end": 0.5, "label": "Words", "text": "hi"}] * 2
    assert meta == {"tiers": [{"name": "Words", "type": "interval"}], "textgrid_format": "short_textgrid"}
    assert source == str(again)


def test_pre_annotations_name_bad_files_and_bad_lines_and_read_on(tmp_path, monkeypatch):
    unknown = tmp_path / "notes.csv"
    missing = tmp_path / "gone.rttm"
    bad_line = rttm_file(tmp_path, "b.rttm", "SPEAKER talk 1 x 1 <NA> <NA> A <NA> <NA>\n"
                                             "SPEAKER talk 1 0 1 <NA> <NA> KEPT <NA> <NA>\n")
    pre = PreAnnotations.read([unknown, missing, bad_line])
    assert [(f.origin, f.reason) for f in pre.failures] == [
        (str(unknown), "unknown spans format '.csv'; use one of .eaf, .json, .jsonl, .rttm, .srt, .textgrid, .txt, .vtt"),
        (str(missing), f"[Errno 2] No such file or directory: {str(missing)!r}"),
        (f"{bad_line}:1", "onset 'x' or duration '1' is not a number")]
    spans, _, source = pre.for_audio("talk")
    assert [s["label"] for s in spans] == ["KEPT"]
    assert source == str(bad_line)
    assert pre.origin(spans[0], "fallback") == f"{bad_line}:2"


def test_pre_annotations_name_an_unexpected_reader_error_and_read_on(tmp_path, monkeypatch):
    good = rttm_file(tmp_path, "good.rttm", TURN)
    real = matching.read_spans_file

    def flaky(path):
        if str(path).endswith("boom.rttm"):
            raise RuntimeError("disk on fire")
        return real(path)
    monkeypatch.setattr(matching, "read_spans_file", flaky)
    pre = PreAnnotations.read([tmp_path / "boom.rttm", good])
    assert pre.failures == [Failure(str(tmp_path / "boom.rttm"), "cannot read: RuntimeError: disk on fire")]
    assert [s["label"] for s in pre.for_audio("talk")[0]] == ["A"]


def test_pre_annotations_name_files_with_names_that_are_not_utf8(tmp_path):
    import os
    name = os.fsdecode(b"bad\xff.rttm")
    path = tmp_path / name
    try:
        path.write_text("SPEAKER talk 1 x 1 <NA> <NA> A <NA> <NA>\nSPEAKER talk 1 0 1 <NA> <NA> B <NA> <NA>\n",
                        encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system takes only UTF-8 names")
    unknown = tmp_path / os.fsdecode(b"bad\xff.csv")
    pre = PreAnnotations.read([unknown, path])
    shown = f"{tmp_path}/bad\ufffd.rttm"
    assert [(f.origin, f.reason) for f in pre.failures] == [
        (f"{tmp_path}/bad\ufffd.csv", "unknown spans format '.csv'; use one of .eaf, .json, .jsonl, .rttm, .srt, .textgrid, .txt, .vtt"),
        (f"{shown}:1", "onset 'x' or duration '1' is not a number")]
    spans, _, source = pre.for_audio("talk")
    assert source == shown
    assert pre.origin(spans[0], "fallback") == f"{shown}:2"


def test_origin_falls_back_to_the_default_for_a_span_of_no_known_line():
    pre = PreAnnotations(where={"abc": "t.rttm:4"})
    assert pre.origin({"id": "abc"}, "t.rttm") == "t.rttm:4"
    assert pre.origin({"id": "zzz"}, "t.rttm") == "t.rttm"
    assert pre.origin({"id": None}, "audio.wav") == "audio.wav"
    assert pre.origin({}, "audio.wav") == "audio.wav"


def test_for_audio_of_an_empty_pre_annotation():
    pre = PreAnnotations()
    assert pre.for_audio("talk") == ([], {}, None)
    assert (pre.used, pre.unmatched()) == (set(), [])


def test_a_stem_that_is_another_audio_files_goes_to_that_file_alone(tmp_path):
    turns = rttm_file(tmp_path, "t.rttm", "SPEAKER interview_2 1 0 1 <NA> <NA> TWO <NA> <NA>\n"
                                          "SPEAKER interview_2_words 1 1 1 <NA> <NA> WORDS <NA> <NA>\n"
                                          "SPEAKER interview_notes 1 2 1 <NA> <NA> NOTES <NA> <NA>\n")
    pre = PreAnnotations.read([turns])
    pre.know_audio_stems(["interview", "interview_2"])
    # interview_2 and its own prefixed stem are interview_2.wav's; only the rest is interview's
    assert [s["label"] for s in pre.for_audio("interview")[0]] == ["NOTES"]
    assert [s["label"] for s in pre.for_audio("interview_2")[0]] == ["TWO"]
    assert pre.used == {"interview_notes", "interview_2"}


def test_loading_two_files_whose_stems_prefix_each_other_gives_each_its_own_turns(store, tmp_path):
    import wave

    from earmark.loading.loader import load_sources
    for level, name in enumerate(("interview.wav", "interview_2.wav")):   # two contents: two files
        with wave.open(str(tmp_path / name), "wb") as out:
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
            out.writeframes(bytes([level, 0]) * 16000)
    # interview.wav's turns come from a prefixed stem (no exact one), as a words tier would
    turns = rttm_file(tmp_path, "t.rttm", "SPEAKER interview_words 1 0 1 <NA> <NA> ONE <NA> <NA>\n"
                                          "SPEAKER interview_2 1 0.5 1 <NA> <NA> TWO <NA> <NA>\n")
    report = load_sources(store, "d", [tmp_path / "interview.wav", tmp_path / "interview_2.wav"],
                          spans=[turns], view="audio_manual")
    assert (report.added, report.failures) == (2, [])
    rows = store.query("SELECT json_extract_string(task, '$.path'), task FROM tasks ORDER BY 1")
    import json
    labels = {path.rsplit("/", 1)[1]: [s["label"] for s in json.loads(task)["audio_spans"]] for path, task in rows}
    assert labels == {"interview.wav": ["ONE"], "interview_2.wav": ["TWO"]}
