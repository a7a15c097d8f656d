"""The rules of two readers users import pre-annotations from: Audacity label tracks and
JSONL spans files. What each accepts, the exact error of each bad line (file, line number,
reason), that a bad line never stops the lines after it, and the Audacity writer's output.
Every expected value is written by hand."""

from __future__ import annotations

import json
import uuid

from earmark.formats import FormatError, audacity, jsonl_spans, read_spans_file


def problems_of(read) -> list[tuple[str, str]]:
    assert all(isinstance(p, FormatError) for p in read.problems), read.problems
    return [(p.where, p.reason) for p in read.problems]


def without_ids(spans: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "id"} for s in spans]


def assert_fresh_ids(read, stem: str, lines: list[int], path) -> None:
    """Each span has its own new uuid4 id, and `where` names the line it came from."""
    ids = [s["id"] for s in read.spans[stem]]
    assert len(set(ids)) == len(ids)
    for span_id, line_no in zip(ids, lines, strict=True):
        assert uuid.UUID(span_id).version == 4 and str(uuid.UUID(span_id)) == span_id
        assert read.where[span_id] == f"{path}:{line_no}"


# -- Audacity: what is accepted --------------------------------------------------------------------

def test_audacity_keeps_labels_as_written_and_a_start_of_zero(tmp_path):
    source = tmp_path / "take 1.txt"
    source.write_bytes("\ufeff0\t0.5\tBOX  \n"          # start 0 is a time; trailing spaces and an X stay
                       "0.5\t0.5\tXX\r\n"                # a point label, CRLF
                       "   \n"                           # whitespace only: blank
                       "\\\t125.5\t4000\r\n"             # spectral selection: its frequency line
                       "1.25\t2.0004\n"                  # no label field
                       "2.5\t3\t\n"                      # an empty label field
                       "4\t5\tnaïve «text»".encode("utf-8"))  # the last line without a newline
    read = audacity.read(source)
    assert read.problems == []
    assert list(read.spans) == ["take 1"]
    assert without_ids(read.spans["take 1"]) == [
        {"start": 0.0, "end": 0.5, "label": "BOX  "},
        {"start": 0.5, "end": 0.5, "label": "XX"},
        {"start": 1.25, "end": 2.0, "label": ""},
        {"start": 2.5, "end": 3.0, "label": ""},
        {"start": 4.0, "end": 5.0, "label": "naïve «text»"}]
    assert_fresh_ids(read, "take 1", [1, 2, 5, 6, 7], source)
    assert len(read.where) == 5


def test_audacity_is_read_by_its_suffix(tmp_path):
    source = tmp_path / "LABELS.TXT"
    source.write_text("1\t2\tA\n", encoding="utf-8")
    assert without_ids(read_spans_file(source).spans["LABELS"]) == [{"start": 1.0, "end": 2.0, "label": "A"}]


# -- Audacity: each bad line, named, and the lines after it still read ------------------------------

def test_audacity_each_bad_line_is_named_and_the_next_lines_load(tmp_path):
    source = tmp_path / "x.txt"
    source.write_bytes(b"0.25\t0.75\tfirst\n"
                       b"\xff\t1\tbad byte\n"          # 2
                       b"1.5\n"                        # 3: one field
                       b"1 2 spaces not tabs\n"        # 4
                       b"a\t1\tL\n"                    # 5
                       b"1\tb\tL\n"                    # 6
                       b"nan\t1\tL\n"                  # 7
                       b"0\tinf\tL\n"                  # 8
                       b"1e400\t1e401\tL\n"            # 9: too large for a float
                       b"-0.5\t1\tL\n"                 # 10: negative start, end after it
                       b"1\t0.5\tL\n"                  # 11: end before start
                       b"-2\t-3\tL\n"                  # 12: both
                       b"6\t7\tlast\n")                # 13
    read = audacity.read(source)
    shape = "an Audacity label line reads start<TAB>end<TAB>label"
    assert problems_of(read) == [
        (f"{source}:2", "this line is not UTF-8 text; skipped"),
        (f"{source}:3", shape),
        (f"{source}:4", shape),
        (f"{source}:5", "start 'a' or end '1' is not a number"),
        (f"{source}:6", "start '1' or end 'b' is not a number"),
        (f"{source}:7", "start 'nan' or end '1' is not a finite number of seconds"),
        (f"{source}:8", "start '0' or end 'inf' is not a finite number of seconds"),
        (f"{source}:9", "start '1e400' or end '1e401' is not a finite number of seconds"),
        (f"{source}:10", "end 1.0 before start -0.5, or a negative time"),
        (f"{source}:11", "end 0.5 before start 1.0, or a negative time"),
        (f"{source}:12", "end -3.0 before start -2.0, or a negative time")]
    assert str(read.problems[1]) == f"{source}:3: {shape}"
    assert without_ids(read.spans["x"]) == [{"start": 0.25, "end": 0.75, "label": "first"},
                                            {"start": 6.0, "end": 7.0, "label": "last"}]
    assert_fresh_ids(read, "x", [1, 13], source)
    assert len(read.where) == 2


def test_audacity_bad_lines_alone_leave_no_spans(tmp_path):
    source = tmp_path / "only.txt"
    source.write_bytes(b"3\t2\tL\n")
    read = audacity.read(source)
    assert problems_of(read) == [(f"{source}:1", "end 2.0 before start 3.0, or a negative time")]
    assert read.spans == {} and read.where == {}


# -- Audacity: the writer ----------------------------------------------------------------------------

def test_audacity_writer_folds_every_line_break_and_tab_of_a_label_to_one_space():
    label = "a\tb\r\nc\rd\ne\vf\fg\x1ch\x1di\x1ej\x85k\u2028l\u2029m"
    assert audacity.write([{"start": 1, "end": 2.5, "label": label}]) == (
        "1.000000\t2.500000\ta b c d e f g h i j k l m\n")


def test_audacity_writer_keeps_other_text_and_sorts_by_start_then_end():
    spans = [{"start": 3.0, "end": 4.0, "label": "  two  spaces "},
             {"start": 1.0, "end": 3.0},                         # no label key
             {"start": 1.0, "end": 2.0, "label": "x\x1fy"},      # \x1f is not a line break
             {"start": 0.0000004, "end": 0.0000016, "label": "ünï"}]
    assert audacity.write(spans) == ("0.000000\t0.000002\tünï\n"
                                     "1.000000\t2.000000\tx\x1fy\n"
                                     "1.000000\t3.000000\t\n"
                                     "3.000000\t4.000000\t  two  spaces \n")
    assert audacity.write([]) == ""


def test_audacity_written_labels_read_back_the_same(tmp_path):
    spans = [{"start": 0.0, "end": 1.5, "label": "two\nlines "}, {"start": 2.0, "end": 2.0, "label": "point"}]
    source = tmp_path / "back.txt"
    source.write_text(audacity.write(spans), encoding="utf-8")
    read = audacity.read(source)
    assert read.problems == []
    assert without_ids(read.spans["back"]) == [{"start": 0.0, "end": 1.5, "label": "two lines "},
                                               {"start": 2.0, "end": 2.0, "label": "point"}]


# -- JSONL: what is accepted --------------------------------------------------------------------------

def write_lines(path, *lines: str | bytes) -> None:
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n"
                              for line in lines))


def test_jsonl_matches_by_file_path_or_audio_and_keeps_each_span_whole(tmp_path):
    source = tmp_path / "pre.jsonl"
    write_lines(source,
                "\ufeff" + json.dumps({"file": "data/a.wav", "path": "other/b.wav", "audio": "c.wav",
                                       "audio_spans": [{"id": "kept", "start": 0.12345, "end": 1,
                                                        "label": "SPEECH", "channel": 1, "score": 0.5,
                                                        "text": "hi", "color": "#ff0000"}]}),
                json.dumps({"path": "/abs/dir/b.flac", "audio": "c.wav",
                            "audio_spans": [{"start": 2, "end": 2.0006, "label": "P"}]}),
                "   ",
                json.dumps({"audio": "https://host/x/c.v2.mp3",
                            "audio_spans": [{"start": 0, "end": 0, "id": ""}]}),
                json.dumps({"file": "", "path": "d.wav", "audio_spans": [{"start": 1, "end": 2}]}),
                json.dumps({"file": "e.wav"}),                        # nothing to pre-annotate
                json.dumps({"file": "e.wav", "audio_spans": None}),
                json.dumps({"file": "e.wav", "audio_spans": []}))
    read = jsonl_spans.read(source)
    assert read.problems == []
    assert read.spans["a"] == [{"id": "kept", "start": 0.123, "end": 1.0, "label": "SPEECH", "channel": 1,
                                "score": 0.5, "text": "hi", "color": "#ff0000"}]
    assert without_ids(read.spans["b"]) == [{"start": 2.0, "end": 2.001, "label": "P"}]
    assert without_ids(read.spans["c.v2"]) == [{"start": 0.0, "end": 0.0}]
    assert without_ids(read.spans["d"]) == [{"start": 1.0, "end": 2.0}]
    assert list(read.spans) == ["a", "b", "c.v2", "d"]
    assert read.where == {"kept": f"{source}:1", read.spans["b"][0]["id"]: f"{source}:2",
                          read.spans["c.v2"][0]["id"]: f"{source}:4", read.spans["d"][0]["id"]: f"{source}:5"}
    assert_fresh_ids(read, "b", [2], source)
    assert_fresh_ids(read, "c.v2", [4], source)                       # an empty id gets a new one
    assert read.spans["b"][0]["id"] != read.spans["d"][0]["id"]


def test_jsonl_spans_of_one_line_keep_their_order_and_get_their_own_ids(tmp_path):
    source = tmp_path / "pre.jsonl"
    write_lines(source, json.dumps({"file": "a.wav", "audio_spans": [{"start": 3, "end": 4}, {"start": 1, "end": 2},
                                                                     {"start": 1, "end": 2, "id": "mine"}]}),
                json.dumps({"file": "A.wav", "audio_spans": [{"start": 5, "end": 6}]}),
                json.dumps({"file": "sub/a.wav", "audio_spans": [{"start": 7, "end": 8}]}))
    read = jsonl_spans.read(source)
    assert read.problems == []
    assert [(s["start"], s["end"]) for s in read.spans["a"]] == [(3.0, 4.0), (1.0, 2.0), (1.0, 2.0), (7.0, 8.0)]
    assert read.spans["a"][2]["id"] == "mine"
    assert without_ids(read.spans["A"]) == [{"start": 5.0, "end": 6.0}]
    generated = [s["id"] for s in read.spans["a"] if s["id"] != "mine"]
    for span_id in generated:
        assert uuid.UUID(span_id).version == 4
    assert len(set(generated)) == 3
    assert [read.where[s["id"]] for s in read.spans["a"]] == [f"{source}:1"] * 3 + [f"{source}:3"]


def test_jsonl_is_read_by_its_suffix(tmp_path):
    source = tmp_path / "PRE.JSONL"
    write_lines(source, json.dumps({"path": "z.wav", "audio_spans": [{"start": 1, "end": 2}]}))
    assert without_ids(read_spans_file(source).spans["z"]) == [{"start": 1.0, "end": 2.0}]


# -- JSONL: each bad line, named, and the lines after it still read ------------------------------------

def test_jsonl_each_bad_line_is_named_and_the_next_lines_load(tmp_path):
    source = tmp_path / "bad.jsonl"
    write_lines(source,
                json.dumps({"file": "a.wav", "audio_spans": [{"start": 0, "end": 1, "label": "first"}]}),
                b'{"file": "a.wav", "audio_spans": [{"start": 1, "end": 2, "label": "\xff"}]}',     # 2
                '{"file": "a.wav",, "x": 1}',                                                        # 3
                "not json",                                                                          # 4
                '{"file": "a.wav", "audio_spans": [{"start": NaN, "end": 1}]}',                      # 5
                "[1, 2]",                                                                            # 6
                '"a.wav"',                                                                           # 7
                json.dumps({"audio_spans": [{"start": 1, "end": 2}]}),                               # 8
                json.dumps({"file": 5, "audio_spans": [{"start": 1, "end": 2}]}),                    # 9
                json.dumps({"file": "", "path": "", "audio": ""}),                                   # 10
                json.dumps({"file": ["a.wav"]}),                                                     # 11
                '{"file": "a.wav", "note": "\\ud800"}',                                             # 12
                '{"file": "a.wav", "audio_spans": [{"start": 1, "end": 2, "label": "\\udfff"}]}',    # 13
                json.dumps({"file": "a.wav", "audio_spans": [{"start": 2, "end": 1}]}),              # 14
                json.dumps({"file": "a.wav", "audio_spans": [{"start": 0, "end": 1},
                                                             {"start": 1, "end": 2, "label": 7}]}),  # 15
                json.dumps({"file": "a.wav", "audio_spans": {"start": 1, "end": 2}}),                # 16
                json.dumps({"file": "a.wav", "audio_spans": [{"start": "1", "end": 2}]}),            # 17
                json.dumps({"file": "a.wav", "audio_spans": [{"start": 6, "end": 7, "label": "last"}]}))
    read = jsonl_spans.read(source)
    no_name = "no `file`, `path` or `audio` to match the audio by"
    assert problems_of(read) == [
        (f"{source}:2", "this line is not UTF-8 text; skipped"),
        (f"{source}:3", "invalid JSON: Expecting property name enclosed in double quotes at column 18"),
        (f"{source}:4", "invalid JSON: Expecting value at column 1"),
        (f"{source}:5", "NaN is not a JSON number (write a number or null)"),
        (f"{source}:6", "a line must be a JSON object"),
        (f"{source}:7", "a line must be a JSON object"),
        (f"{source}:8", no_name),
        (f"{source}:9", no_name),
        (f"{source}:10", no_name),
        (f"{source}:11", no_name),
        (f"{source}:12", "`note` holds text that is not valid Unicode (a lone surrogate)"),
        (f"{source}:13", "`audio_spans[0].label` holds text that is not valid Unicode (a lone surrogate)"),
        (f"{source}:14", "audio_spans[0] has end 1 before start 2 or a negative time"),
        (f"{source}:15", "audio_spans[1].label must be a string, not an integer"),
        (f"{source}:16", "`audio_spans` must be a list, not an object"),
        (f"{source}:17", "audio_spans[0] needs finite numeric `start` and `end` seconds (got '1' and 2)")]
    assert str(read.problems[5]) == f"{source}:7: a line must be a JSON object"
    assert without_ids(read.spans["a"]) == [{"start": 0.0, "end": 1.0, "label": "first"},
                                            {"start": 6.0, "end": 7.0, "label": "last"}]
    assert_fresh_ids(read, "a", [1, 18], source)
    assert len(read.where) == 2


def test_jsonl_a_line_with_one_bad_span_loads_none_of_its_spans(tmp_path):
    source = tmp_path / "half.jsonl"
    write_lines(source, json.dumps({"file": "a.wav", "audio_spans": [{"start": 0, "end": 1},
                                                                     {"start": -1, "end": 1}]}))
    read = jsonl_spans.read(source)
    assert problems_of(read) == [(f"{source}:1", "audio_spans[1] has end 1 before start -1 or a negative time")]
    assert read.spans == {} and read.where == {}


def test_jsonl_a_line_cut_short_is_named_at_its_own_column(tmp_path):
    # The reason points into the line as the user sees it, not past its line break.
    source = tmp_path / "cut.jsonl"
    source.write_bytes(b'{"file": "a.wav"\n'
                       b'{"file": "a.wav", "audio_spans": [\r\n'
                       b'{"file": "b.wav", "audio_spans": [{"start": 1, "end": 2}]}\r\n'
                       b'{"file": "a.wav"   \n'                  # spaces before the break count
                       b'{"file": "c.wav", "audio_spans": []}XX\n'
                       b'{"file": "a.wav"')
    read = jsonl_spans.read(source)
    assert problems_of(read) == [
        (f"{source}:1", "invalid JSON: Expecting ',' delimiter at column 17"),
        (f"{source}:2", "invalid JSON: Expecting value at column 35"),
        (f"{source}:4", "invalid JSON: Expecting ',' delimiter at column 20"),
        (f"{source}:5", "invalid JSON: Extra data at column 37"),
        (f"{source}:6", "invalid JSON: Expecting ',' delimiter at column 17")]
    assert without_ids(read.spans["b"]) == [{"start": 1.0, "end": 2.0}]
