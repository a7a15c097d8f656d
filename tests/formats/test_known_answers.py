"""Readers and writers against hand-written files: each constant and condition of the
formats shows in one answer here (times, rounding, defaults, skipped lines, layouts)."""

from __future__ import annotations

import pytest

from earmark.formats import audacity, read_spans_file, rttm, subtitles, textgrid


def spans_of(read, stem: str) -> list[dict]:
    assert read.problems == [], [str(p) for p in read.problems]
    return [{k: v for k, v in s.items() if k != "id"} for s in read.spans[stem]]


# -- RTTM ---------------------------------------------------------------------------------------

def test_rttm_reads_a_bom_comments_short_lines_and_rounds_to_the_millisecond(tmp_path):
    source = tmp_path / "x.rttm"
    source.write_bytes("\ufeffSPEAKER talk 1 0.1234 0.5 <NA> <NA> A <NA> <NA>\n"   # a BOM before the first line
                       ";; a comment\n"
                       "# another\n"
                       "SPKR-INFO talk 1 <NA> <NA> <NA> unknown B <NA> <NA>\n"        # not a turn
                       "\n"
                       "SPEAKER talk 1 2 1 <NA> <NA> B\n".encode("utf-8"))           # 8 fields: enough
    assert spans_of(rttm.read(source), "talk") == [{"start": 0.123, "end": 0.623, "label": "A"},
                                                   {"start": 2.0, "end": 3.0, "label": "B"}]


def test_rttm_problems_name_their_line_and_later_lines_still_load(tmp_path):
    source = tmp_path / "x.rttm"
    source.write_bytes(b"SPEAKER talk 1 -0.5 1 <NA> <NA> A <NA> <NA>\n"
                       b"SPEAKER talk 1 0.5 -1 <NA> <NA> A <NA> <NA>\n"
                       b"SPEAKER talk 1 nan 1 <NA> <NA> A <NA> <NA>\n"
                       b"SPEAKER talk 1 1 2 <NA> <NA> \xff <NA> <NA>\n"
                       b"SPEAKER talk 1 1 2 <NA> <NA>\n"
                       b"SPEAKER talk 1 4 0 <NA> <NA> POINT <NA> <NA>\n")
    read = rttm.read(source)
    assert [str(p) for p in read.problems] == [
        f"{source}:1: negative onset or duration (-0.5, 1.0)",
        f"{source}:2: negative onset or duration (0.5, -1.0)",
        f"{source}:3: onset 'nan' or duration '1' is not a finite number of seconds",
        f"{source}:4: this line is not UTF-8 text; skipped",
        f"{source}:5: an RTTM SPEAKER line has 10 fields, this one 7"]
    assert [{k: v for k, v in s.items() if k != "id"} for s in read.spans["talk"]] == [
        {"start": 4.0, "end": 4.0, "label": "POINT"}]
    assert read.where[read.spans["talk"][0]["id"]] == f"{source}:6"


def test_rttm_writer_names_an_empty_file_id_and_sorts_by_start_then_end():
    assert rttm.write("", [{"start": 1.0, "end": 3.0, "label": "B"}, {"start": 1.0, "end": 2.0, "label": "A"},
                           {"start": 0.125, "end": 0.25, "label": ""}]) == (
        "SPEAKER <NA> 1 0.125 0.125 <NA> <NA> speaker <NA> <NA>\n"
        "SPEAKER <NA> 1 1.000 1.000 <NA> <NA> A <NA> <NA>\n"
        "SPEAKER <NA> 1 1.000 2.000 <NA> <NA> B <NA> <NA>\n")


# -- Audacity -------------------------------------------------------------------------------------

def test_audacity_labels_points_and_spectral_lines(tmp_path):
    source = tmp_path / "x.txt"
    source.write_text("0.5\t1.25\tSPEECH words\r\n"
                      "\\\t100.0\t2000.0\n"        # the frequency line of a spectral selection
                      "2\t2\n"                     # a point with no label
                      "\n"
                      "3.0004\t4\tNoise\textra\n", encoding="utf-8")
    assert spans_of(audacity.read(source), "x") == [
        {"start": 0.5, "end": 1.25, "label": "SPEECH words"},
        {"start": 2.0, "end": 2.0, "label": ""},
        {"start": 3.0, "end": 4.0, "label": "Noise"}]


def test_audacity_writer_sorts_and_writes_six_decimals():
    assert audacity.write([{"start": 2.0, "end": 2.0, "label": "P"}, {"start": 0.1234567, "end": 1.0, "label": None}]) == (
        "0.123457\t1.000000\t\n2.000000\t2.000000\tP\n")


# -- WebVTT and SRT ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds,vtt", [(0.0, "00:00:00.000"), (1.0005, "00:00:01.000"), (59.9996, "00:01:00.000"),
                                         (3723.004, "01:02:03.004"), (36000.5, "10:00:00.500")])
def test_subtitle_time_stamps(seconds, vtt):
    assert subtitles.stamp(seconds, ".") == vtt
    assert subtitles.stamp(seconds, ",") == vtt.replace(".", ",")


def test_vtt_times_voices_classes_and_tags_read_by_hand(tmp_path):
    source = tmp_path / "x.vtt"
    source.write_text("WEBVTT\n\n"
                      "00:01.5 --> 00:02.05\n<v.loud Ann Lee>Hi <i>there</i> &amp; you\n\n"
                      "note\n01:02:03.004 --> 01:02:04,000 align:start\nplain\nsecond line\n\n"
                      "00:00:05.000 --> 00:00:04.000\nbackwards\n", encoding="utf-8")
    read = subtitles.read(source)
    assert [str(p) for p in read.problems] == [f"{source}:11: cue ends (4.0) before it starts (5.0)"]
    assert [{k: v for k, v in s.items() if k != "id"} for s in read.spans["x"]] == [
        {"start": 1.5, "end": 2.05, "label": "Ann Lee", "text": "Hi there & you"},
        {"start": 3723.004, "end": 3724.0, "label": "SPEECH", "text": "plain\nsecond line"}]


def test_srt_text_is_not_unescaped(tmp_path):
    source = tmp_path / "x.srt"
    source.write_text("1\n00:00:01,000 --> 00:00:02,000\nfish &amp; chips\n", encoding="utf-8")
    assert spans_of(subtitles.read(source), "x") == [
        {"start": 1.0, "end": 2.0, "label": "SPEECH", "text": "fish &amp; chips"}]


def test_vtt_writer_leaves_the_default_label_unvoiced_and_sorts():
    assert subtitles.write_vtt([{"start": 2.0, "end": 3.0, "label": "Ann", "text": "b"},
                                {"start": 0.0, "end": 1.0, "label": "SPEECH", "text": "a"},
                                {"start": 1.0, "end": 2.0, "label": "", "text": "x\n\ny"}]) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\na\n\n00:00:01.000 --> 00:00:02.000\nx\ny\n\n"
        "00:00:02.000 --> 00:00:03.000\n<v Ann>b\n")
    assert subtitles.write_srt([{"start": 2.0, "end": 3.0, "text": "b --> c"}, {"start": 0.0, "end": 1.0, "text": ""}]) == (
        "1\n00:00:00,000 --> 00:00:01,000\n\n\n2\n00:00:02,000 --> 00:00:03,000\nb -> c\n")


# -- TextGrid ---------------------------------------------------------------------------------------

SHORT = '''File type = "ooTextFile"
Object class = "TextGrid"

0
2
<exists>
2
"IntervalTier"
"Words"
0
2
3
0
0.5
""
0.5
1
"hi"
1
2
""
"IntervalTier"
"Empty"
0
2
1
0
2
""
'''


def test_a_short_layout_textgrid_is_written_back_short_with_its_empty_tier(tmp_path):
    source = tmp_path / "g.TextGrid"
    source.write_text(SHORT, encoding="utf-8")
    read = textgrid.read(source)
    assert spans_of(read, "g") == [{"start": 0.5, "end": 1.0, "label": "Words", "text": "hi"}]
    assert read.tiers["g"] == [{"name": "Words", "type": "interval"}, {"name": "Empty", "type": "interval"}]
    assert read.grid_format["g"] == "short_textgrid"
    assert textgrid.write(read.spans["g"], 2.0, read.tiers["g"], read.grid_format["g"]) == SHORT


def test_textgrid_tiers_keep_the_imported_order_then_new_labels_and_span_the_last_region():
    tiers = [{"name": "Second", "type": "interval"}, {"name": "First", "type": "point"}]
    spans = [{"start": 0.25, "end": 0.25, "label": "First", "text": "p"},
             {"start": 0.5, "end": 1.5, "label": "New", "text": "n"},
             {"start": 0.0, "end": 0.5, "label": "Second", "text": "s"}]
    # duration 1.0 but a region ends at 1.5: the grid ends at 1.5
    assert textgrid.write(spans, 1.0, tiers, "short_textgrid") == (
        'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n1.5\n<exists>\n3\n'
        '"IntervalTier"\n"Second"\n0\n1.5\n2\n0\n0.5\n"s"\n0.5\n1.5\n""\n'
        '"TextTier"\n"First"\n0\n1.5\n1\n0.25\n"p"\n'
        '"IntervalTier"\n"New"\n0\n1.5\n2\n0\n0.5\n""\n0.5\n1.5\n"n"\n')


def test_an_unknown_spans_suffix_is_named(tmp_path):
    from earmark.formats import FormatError
    with pytest.raises(FormatError, match=r"unknown spans format '\.csv'; use one of \.eaf, \.json, \.jsonl, \.rttm, \.srt, "
                                          r"\.textgrid, \.txt, \.vtt"):
        read_spans_file(tmp_path / "x.csv")
