"""WebVTT, SRT and TextGrid rules by known answers: what the readers accept, how each
bad cue or interval is named (file and line, or file and tier) while the ones after it
still load, and the writers' exact text (timestamps, numbering, escapes, layouts)."""

from __future__ import annotations

import uuid

import pytest

from earmark.formats import subtitles, textgrid


def plain(read, stem: str) -> list[dict]:
    """The spans of one stem without their random ids."""
    return [{k: v for k, v in s.items() if k != "id"} for s in read.spans[stem]]


def problems(read) -> list[str]:
    return [str(p) for p in read.problems]


# -- WebVTT and SRT: reading ----------------------------------------------------------------------

def test_vtt_accepts_identifiers_notes_settings_optional_hours_and_both_separators(tmp_path):
    source = tmp_path / "talk.vtt"
    source.write_text(
        "WEBVTT - a title\n\n"
        "NOTE a comment block\nspread over two lines\n\n"
        "intro\n"                                      # a cue identifier
        "00:00.999 --> 00:01,001 align:start line:0\n"  # no hours, comma or dot, cue settings
        "first\n\n"
        "1:02:03.999 --> 100:00:00.5\n"                # one-digit and three-digit hours, one-digit fraction
        "<v Tom &amp; Jerry>two\nlines\n", encoding="utf-8")
    read = subtitles.read(source)
    assert problems(read) == []
    assert plain(read, "talk") == [
        {"start": 0.999, "end": 1.001, "label": "SPEECH", "text": "first"},
        {"start": 3723.999, "end": 360000.5, "label": "Tom & Jerry", "text": "two\nlines"}]


def test_a_file_that_starts_with_its_first_cue_keeps_it(tmp_path):
    source = tmp_path / "bare.srt"
    source.write_bytes(b"\xef\xbb\xbf00:00:01,250 --> 00:00:02,000\nno number, a BOM\n")
    read = subtitles.read(source)
    assert problems(read) == []
    assert plain(read, "bare") == [{"start": 1.25, "end": 2.0, "label": "SPEECH", "text": "no number, a BOM"}]


def test_cue_text_is_kept_as_written_inside_and_crlf_is_a_line_end(tmp_path):
    # only the line ends (\r\n) and the cue's outer blanks go: spaces inside and a
    # trailing letter (here an X) stay
    source = tmp_path / "crlf.vtt"
    source.write_bytes(b"WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\nMax X  \r\nTAX\r\n\r\n"
                       b"00:00:03.000 --> 00:00:04.000\r\n  REX\r\n")
    read = subtitles.read(source)
    assert problems(read) == []
    assert plain(read, "crlf") == [{"start": 1.0, "end": 2.0, "label": "SPEECH", "text": "Max X  \nTAX"},
                                   {"start": 3.0, "end": 4.0, "label": "SPEECH", "text": "REX"}]


def test_a_line_that_is_not_utf8_is_named_and_the_next_cue_still_loads(tmp_path):
    source = tmp_path / "bad.srt"
    source.write_bytes(b"\xff1\n"                                   # line 1: the cue number
                       b"00:00:00,500 --> 00:00:01,000\nzero\n\n"
                       b"\xfe\xfe\n"                                # line 5, just before a timing line
                       b"00:00:01,000 --> 00:00:02,000\none\n\n"
                       b"00:00:03,000 --> 00:00:04,000\ntwo\n")
    read = subtitles.read(source)
    assert problems(read) == [f"{source}:1: this line is not UTF-8 text; skipped",
                              f"{source}:5: this line is not UTF-8 text; skipped"]
    assert plain(read, "bad") == [{"start": 0.5, "end": 1.0, "label": "SPEECH", "text": "zero"},
                                  {"start": 1.0, "end": 2.0, "label": "SPEECH", "text": "one"},
                                  {"start": 3.0, "end": 4.0, "label": "SPEECH", "text": "two"}]
    assert all(isinstance(p.where, str) for p in read.problems)


def test_a_cue_with_text_that_is_not_utf8_is_skipped_named_by_its_first_bad_line(tmp_path):
    source = tmp_path / "cue.vtt"
    source.write_bytes(b"WEBVTT\n\n"
                       b"00:00:01.000 --> 00:00:02.000\n"   # line 3
                       b"fine\n\xff\n\xfe\n\n"               # lines 4-6: 5 is the first bad one
                       b"00:00:03.000 --> 00:00:04.000\nafter\n")
    read = subtitles.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [
        (f"{source}:5", "this cue's text is not UTF-8; the cue is skipped")]
    assert plain(read, "cue") == [{"start": 3.0, "end": 4.0, "label": "SPEECH", "text": "after"}]


def test_an_unreadable_timing_line_is_named_and_the_next_cue_still_loads(tmp_path):
    source = tmp_path / "t.vtt"
    source.write_text("WEBVTT\n\n"
                      "00:01 --> 00:02  \nlost\n\n"            # line 3: no fraction
                      "00:00:03.000 --> 00:00:04.000\nkept\n", encoding="utf-8")
    read = subtitles.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [
        (f"{source}:3", "cannot read the cue timing '00:01 --> 00:02'")]
    assert plain(read, "t") == [{"start": 3.0, "end": 4.0, "label": "SPEECH", "text": "kept"}]


@pytest.mark.parametrize("timing", ["00:99.000 --> 01:40.000", "00:00:05.000 --> 00:60:00.000",
                                    "00:00:60,000 --> 00:01:01,000"])
def test_minutes_and_seconds_past_59_are_an_unreadable_timing(tmp_path, timing):
    # 00:99.000 is no time a subtitle tool writes: a typo, named, not read as 99 s
    source = tmp_path / "t.srt"
    source.write_text(f"1\n{timing}\nlost\n\n2\n00:00:03,000 --> 00:00:04,000\nkept\n", encoding="utf-8")
    read = subtitles.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [
        (f"{source}:2", f"cannot read the cue timing {timing!r}")]
    assert plain(read, "t") == [{"start": 3.0, "end": 4.0, "label": "SPEECH", "text": "kept"}]


def test_a_backwards_cue_is_named_a_zero_length_cue_is_kept_and_later_cues_load(tmp_path):
    source = tmp_path / "b.srt"
    source.write_text("1\n00:00:05,000 --> 00:00:04,000\nbackwards\n\n"
                      "2\n00:00:06,000 --> 00:00:06,000\ninstant\n\n"
                      "3\n00:00:07,000 --> 00:00:08,000\nlast\n", encoding="utf-8")
    read = subtitles.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [
        (f"{source}:2", "cue ends (4.0) before it starts (5.0)")]
    assert plain(read, "b") == [{"start": 6.0, "end": 6.0, "label": "SPEECH", "text": "instant"},
                                {"start": 7.0, "end": 8.0, "label": "SPEECH", "text": "last"}]


def test_each_cue_has_its_own_id_and_is_traced_to_its_timing_line(tmp_path):
    source = tmp_path / "w.vtt"
    source.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n\nid\n00:00:03.000 --> 00:00:04.000\nb\n",
                      encoding="utf-8")
    read = subtitles.read(source)
    first, second = (s["id"] for s in read.spans["w"])
    assert first != second and str(uuid.UUID(first)) == first and str(uuid.UUID(second)) == second
    assert read.where == {first: f"{source}:3", second: f"{source}:7"}


def test_a_cue_without_text_is_a_region_with_empty_text(tmp_path):
    source = tmp_path / "e.vtt"
    source.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:03.000 --> 00:00:04.000\n<v Ann>\n",
                      encoding="utf-8")
    read = subtitles.read(source)
    assert problems(read) == []
    assert plain(read, "e") == [{"start": 1.0, "end": 2.0, "label": "SPEECH", "text": ""},
                                {"start": 3.0, "end": 4.0, "label": "Ann", "text": ""}]


# -- WebVTT and SRT: writing ----------------------------------------------------------------------

def test_vtt_writer_escapes_text_and_voice_and_folds_the_voice_onto_one_line():
    spans = [{"start": 1.0, "end": 2.5, "label": "A&B <x>\nLee", "text": "fish & chips <b>\n-->"}]
    assert subtitles.write_vtt(spans) == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v A&amp;B &lt;x&gt; Lee>fish &amp; chips &lt;b&gt;\n--&gt;\n")


def test_vtt_writer_writes_no_text_for_a_region_without_one():
    spans = [{"start": 0.0, "end": 1.0, "label": "Ann"}, {"start": 1.0, "end": 2.0, "text": None},
             {"start": 3661.0015, "end": 3662.9994, "label": None, "text": ""}]
    assert subtitles.write_vtt(spans) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Ann>\n\n00:00:01.000 --> 00:00:02.000\n\n\n"
        "01:01:01.002 --> 01:01:02.999\n\n")


def test_srt_writer_numbers_cues_in_time_order_and_keeps_markup_as_text():
    spans = [{"start": 2.0, "end": 3.0, "label": "Ann", "text": "a & <b>"},
             {"start": 0.0, "end": 1.0},
             {"start": 0.0, "end": 0.5, "text": "x-->y\n\n-->"}]
    assert subtitles.write_srt(spans) == (
        "1\n00:00:00,000 --> 00:00:00,500\nx->y\n->\n\n"
        "2\n00:00:00,000 --> 00:00:01,000\n\n\n"
        "3\n00:00:02,000 --> 00:00:03,000\na & <b>\n")


# -- TextGrid: reading ---------------------------------------------------------------------------

def short_grid(tiers: list[tuple[str, str, list[tuple]]], xmax: str = "2") -> str:
    """Praat's short layout: each entry its times then its text."""
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", xmax, "<exists>", str(len(tiers))]
    for kind, name, entries in tiers:
        out += [f'"{kind}"', f'"{name}"', "0", xmax, str(len(entries))]
        for *times, text in entries:
            out += [*times, f'"{text}"']
    return "\n".join(out) + "\n"


def test_intervals_and_points_outside_the_rules_are_named_and_the_rest_load(tmp_path, capsys):
    source = tmp_path / "g.TextGrid"
    source.write_text(short_grid([
        ("IntervalTier", "W", [("-0.5", "0.25", "neg"), ("0.25", "0.5", ""), ("0.5", "1", "ok")]),
        ("IntervalTier", "Z", [("0", "0.5", "zero"), ("0.5", "nan", "nan"), ("1", "2", "late")]),
        ("TextTier", "P", [("-1", "negp"), ("1", "okp")])]), encoding="utf-8")
    read = textgrid.read(source)
    rule = "is not a pair of finite times, start <= end, >= 0"
    assert [(p.where, p.reason) for p in read.problems] == [
        (f"{source} (tier 'W')", f"interval -0.5-0.25 {rule}"),
        (f"{source} (tier 'Z')", f"interval 0.5-nan {rule}"),
        (f"{source} (tier 'P')", f"interval -1.0--1.0 {rule}")]
    assert plain(read, "g") == [{"start": 0.5, "end": 1.0, "label": "W", "text": "ok"},
                                {"start": 0.0, "end": 0.5, "label": "Z", "text": "zero"},
                                {"start": 1.0, "end": 2.0, "label": "Z", "text": "late"},
                                {"start": 1.0, "end": 1.0, "label": "P", "text": "okp"}]
    assert read.tiers["g"] == [{"name": "W", "type": "interval"}, {"name": "Z", "type": "interval"},
                               {"name": "P", "type": "point"}]
    # the problems are the report: nothing printed beside it, in the middle of a load's summary
    assert capsys.readouterr() == ("", "")


def test_each_entry_has_its_own_id_and_is_traced_to_its_tier(tmp_path):
    source = tmp_path / "t.TextGrid"
    source.write_text(short_grid([("IntervalTier", "A", [("0", "1", "x"), ("1", "2", "y")]),
                                  ("TextTier", "B", [("0.5", "p")])]), encoding="utf-8")
    read = textgrid.read(source)
    ids = [s["id"] for s in read.spans["t"]]
    assert len(set(ids)) == 3 and all(str(uuid.UUID(i)) == i for i in ids)
    assert read.where == {ids[0]: f"{source} (tier 'A')", ids[1]: f"{source} (tier 'A')",
                          ids[2]: f"{source} (tier 'B')"}


@pytest.mark.parametrize("content,reason", [
    # praatio's own refusals: a byte that is not UTF-8 (and no UTF-16 mark), overlapping intervals
    (b'File type = "ooTextFile"\n\xe9\n',
     "not a readable TextGrid: 'utf-8' codec can't decode byte 0xe9 in position 25: invalid continuation byte"),
    (short_grid([("IntervalTier", "W", [("0", "1.5", "a"), ("1", "2", "b")])]).encode(),
     "not a readable TextGrid: Two intervals in the same tier overlap in time:\n(0.0, 1.5, a) and (1.0, 2.0, b)"),
    # a file praatio takes for its JSON form and then trips on: named with the kind of error
    (b"[1]", "not a readable TextGrid: AttributeError: 'list' object has no attribute 'keys'"),
    (b'{"tiers": []}', "not a readable TextGrid: KeyError: 'xmin'"),
])
def test_a_file_praatio_cannot_read_is_one_problem_naming_the_file(tmp_path, content, reason):
    source = tmp_path / "h.TextGrid"
    source.write_bytes(content)
    read = textgrid.read(source)
    assert [(p.where, p.reason) for p in read.problems] == [(str(source), reason)]
    assert (read.spans, read.tiers, read.grid_format) == ({}, {}, {})


LONG_CAFE = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0 
xmax = 2 
tiers? <exists> 
size = 1 
item []: 
    item [1]:
        class = "IntervalTier" 
        name = "W" 
        xmin = 0 
        xmax = 2 
        intervals: size = 2 
        intervals [1]:
            xmin = 0 
            xmax = 1 
            text = "café" 
        intervals [2]:
            xmin = 1 
            xmax = 2 
            text = "" 
'''


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_textgrid_keeps_its_text_and_its_long_layout(tmp_path, encoding):
    # Praat writes UTF-16 (with a byte order mark) as soon as a text is not ASCII
    source = tmp_path / "u.TextGrid"
    mark = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    source.write_bytes(mark + LONG_CAFE.encode(encoding))
    read = textgrid.read(source)
    assert problems(read) == []
    assert plain(read, "u") == [{"start": 0.0, "end": 1.0, "label": "W", "text": "café"}]
    assert read.grid_format["u"] == "long_textgrid"


def test_a_utf16_short_textgrid_stays_short(tmp_path):
    source = tmp_path / "s.TextGrid"
    source.write_bytes(b"\xff\xfe" + short_grid([("IntervalTier", "W", [("0", "2", "né")])]).encode("utf-16-le"))
    read = textgrid.read(source)
    assert plain(read, "s") == [{"start": 0.0, "end": 2.0, "label": "W", "text": "né"}]
    assert read.grid_format["s"] == "short_textgrid"


# -- TextGrid: writing ---------------------------------------------------------------------------

def test_an_unknown_layout_is_written_long_and_a_region_without_label_goes_to_an_unnamed_tier():
    assert textgrid.write([{"start": 0.5, "end": 1.0, "text": "t"}], 1.0, layout="json") == (
        'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0 \nxmax = 1 \ntiers? <exists> \n'
        'size = 1 \nitem []: \n    item [1]:\n        class = "IntervalTier" \n        name = "" \n'
        '        xmin = 0 \n        xmax = 1 \n        intervals: size = 2 \n'
        '        intervals [1]:\n            xmin = 0 \n            xmax = 0.5 \n            text = "" \n'
        '        intervals [2]:\n            xmin = 0.5 \n            xmax = 1 \n            text = "t" \n')


def test_a_label_with_line_breaks_is_one_tier_name_and_the_text_keeps_its_lines():
    spans = [{"start": 0.0, "end": 1.0, "label": "Ann\nLee", "text": 'say "hi"\nthen go'},
             {"start": 0.25, "end": 0.25, "label": "Ann\r\nLee!", "text": "p"}]
    assert textgrid.write(spans, 1.0, layout="short_textgrid") == (
        'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n1\n<exists>\n2\n'
        '"IntervalTier"\n"Ann Lee"\n0\n1\n1\n0\n1\n"say ""hi""\nthen go"\n'
        '"TextTier"\n"Ann Lee!"\n0\n1\n1\n0.25\n"p"\n')


def test_the_writer_prints_nothing(capsys):
    # the grid and every tier start at 0: praatio has nothing to adjust or warn about
    # (it prints its warnings on stdout, where the command line's own output goes)
    spans = [{"start": 0.5, "end": 1.0, "label": "A", "text": "a"}, {"start": 1.5, "end": 1.5, "label": "B"}]
    written = textgrid.write(spans, 2.0, [{"name": "C", "type": "interval"}], "short_textgrid")
    assert written.startswith('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n2\n<exists>\n3\n')
    assert capsys.readouterr().out == ""
