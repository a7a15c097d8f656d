"""TextGrid tiers are labels, letter for letter: `SPEECH` stays `SPEECH`, `Noise` stays
`Noise` (the corpus's tiers are all lower-case, so they cannot show a case change)."""

from __future__ import annotations

from earmark.annotations import get_task, save_annotation
from earmark.datasets import get_dataset
from earmark.formats import textgrid
from earmark.formats.export import export_files
from earmark.loading.loader import load_sources

# Praat's long text layout, written out by hand: each interval tier covers 0-2 s,
# the gaps between regions are empty intervals (Praat requires a tier to be tiled).
EXPECTED = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0 
xmax = 2 
tiers? <exists> 
size = 3 
item []: 
    item [1]:
        class = "IntervalTier" 
        name = "SPEECH" 
        xmin = 0 
        xmax = 2 
        intervals: size = 3 
        intervals [1]:
            xmin = 0 
            xmax = 0.5 
            text = "" 
        intervals [2]:
            xmin = 0.5 
            xmax = 1 
            text = "hello" 
        intervals [3]:
            xmin = 1 
            xmax = 2 
            text = "" 
    item [2]:
        class = "IntervalTier" 
        name = "Noise" 
        xmin = 0 
        xmax = 2 
        intervals: size = 2 
        intervals [1]:
            xmin = 0 
            xmax = 1.25 
            text = "" 
        intervals [2]:
            xmin = 1.25 
            xmax = 2 
            text = "Door" 
    item [3]:
        class = "TextTier" 
        name = "ClickMark" 
        xmin = 0 
        xmax = 2 
        points: size = 1 
        points [1]:
            number = 0.25 
            mark = "K" 
'''


def test_the_writer_keeps_the_case_of_tier_names():
    spans = [{"start": 0.5, "end": 1.0, "label": "SPEECH", "text": "hello"},
             {"start": 1.25, "end": 2.0, "label": "Noise", "text": "Door"},
             {"start": 0.25, "end": 0.25, "label": "ClickMark", "text": "K"}]
    assert textgrid.write(spans, 2.0) == EXPECTED


def test_the_reader_keeps_the_case_of_tier_names(tmp_path):
    source = tmp_path / "talk.TextGrid"
    source.write_text(EXPECTED, encoding="utf-8")
    read = textgrid.read(source)
    assert read.problems == []
    assert [{k: v for k, v in s.items() if k != "id"} for s in read.spans["talk"]] == [
        {"start": 0.5, "end": 1.0, "label": "SPEECH", "text": "hello"},
        {"start": 1.25, "end": 2.0, "label": "Noise", "text": "Door"},
        {"start": 0.25, "end": 0.25, "label": "ClickMark", "text": "K"}]
    assert read.tiers["talk"] == [{"name": "SPEECH", "type": "interval"}, {"name": "Noise", "type": "interval"},
                                  {"name": "ClickMark", "type": "point"}]
    assert read.grid_format["talk"] == "long_textgrid"


def test_mixed_case_tiers_load_as_labels_and_export_as_the_same_tiers(store, tmp_path, corpus):
    from praatio import textgrid as praat
    grid = tmp_path / "trn01.TextGrid"
    grid.write_text(EXPECTED, encoding="utf-8")
    report = load_sources(store, "tg", [corpus / "diarization" / "trn01.wav"], spans=[grid])
    assert report.failures == [] and report.added == 1
    task = get_task(store, report.task_ids[0])
    assert [s["label"] for s in task.data["audio_spans"]] == ["SPEECH", "Noise", "ClickMark"]
    assert get_dataset(store, "tg").labels == ["ClickMark", "Noise", "SPEECH"]   # the labels offered, sorted
    save_annotation(store, task, "accept", "ann")
    (written,) = export_files(store, "tg", "textgrid", tmp_path / "out")
    assert written.name == "trn01.TextGrid"
    back = praat.openTextgrid(str(written), includeEmptyIntervals=False)
    assert list(back.tierNames) == ["SPEECH", "Noise", "ClickMark"]
    assert [tuple(e) for e in back.getTier("SPEECH").entries] == [(0.5, 1.0, "hello")]
    assert [tuple(e) for e in back.getTier("Noise").entries] == [(1.25, 2.0, "Door")]
    assert [tuple(e) for e in back.getTier("ClickMark").entries] == [(0.25, "K")]
    assert back.maxTimestamp == 30.0       # the recording's 30 s


# -- regions without text -----------------------------------------------------------------------
# An empty interval is a gap to Praat (a tier is tiled with them) and to every reader:
# a region without text written as one would be lost. Its label is its text instead,
# and read back, an interval whose text is its tier's name is a region without text.

NO_TEXT = '''File type = "ooTextFile"
Object class = "TextGrid"

0
3
<exists>
2
"IntervalTier"
"SPK_A"
0
3
3
0
0.5
""
0.5
2
"SPK_A"
2
3
""
"TextTier"
"Click"
0
3
1
1.25
"Click"
'''


def test_regions_without_text_are_written_with_their_label_as_text():
    spans = [{"start": 0.5, "end": 2.0, "label": "SPK_A"}, {"start": 1.25, "end": 1.25, "label": "Click", "text": ""}]
    assert textgrid.write(spans, 3.0, layout="short_textgrid") == NO_TEXT


def test_an_interval_named_as_its_tier_is_a_region_without_text_and_empty_points_are_points(tmp_path):
    source = tmp_path / "g.TextGrid"
    source.write_text(NO_TEXT.replace('1.25\n"Click"\n', '1.25\n""\n'), encoding="utf-8")   # an empty point
    read = textgrid.read(source)
    assert read.problems == []
    assert [{k: v for k, v in s.items() if k != "id"} for s in read.spans["g"]] == [
        {"start": 0.5, "end": 2.0, "label": "SPK_A"}, {"start": 1.25, "end": 1.25, "label": "Click"}]


def test_speaker_turns_without_text_survive_a_textgrid_export_and_import(store, tmp_path, corpus):
    turns = [{"id": "1", "start": 0.5, "end": 2.0, "label": "SPK_A"},
             {"id": "2", "start": 1.5, "end": 4.25, "label": "SPK_B"},      # overlapping: another tier
             {"id": "3", "start": 6.0, "end": 7.5, "label": "SPK_A"},
             {"id": "4", "start": 9.0, "end": 9.0, "label": "MARK"}]        # a marker: a point tier
    report = load_sources(store, "a", [corpus / "diarization" / "trn01.wav"])
    save_annotation(store, get_task(store, report.task_ids[0]), "accept", "ann", edits={"audio_spans": turns})
    (written,) = export_files(store, "a", "textgrid", tmp_path / "out")
    again = load_sources(store, "b", [corpus / "diarization" / "trn01.wav"], spans=[written])
    assert again.failures == [] and again.added == 1
    back = get_task(store, again.task_ids[0]).data["audio_spans"]
    assert sorted(({k: v for k, v in s.items() if k != "id"} for s in back), key=lambda s: (s["start"], s["label"])) == [
        {"start": 0.5, "end": 2.0, "label": "SPK_A"}, {"start": 1.5, "end": 4.25, "label": "SPK_B"},
        {"start": 6.0, "end": 7.5, "label": "SPK_A"}, {"start": 9.0, "end": 9.0, "label": "MARK"}]
