"""Datasets, Review, Statistics and Export pages."""

from __future__ import annotations

import json

from earmark.annotations import get_task, save_annotation


def annotate_some(store, ids):
    spans = [{"id": "a", "start": 0.5, "end": 2.0, "label": "SPK1"},
             {"id": "b", "start": 3.0, "end": 3.5, "label": "SPK2"}]
    save_annotation(store, get_task(store, ids[0]), "accept", "ann", edits={"audio_spans": spans})
    save_annotation(store, get_task(store, ids[0]), "accept", "bob", edits={"audio_spans": spans[:1]})
    save_annotation(store, get_task(store, ids[1]), "reject", "ann")


def test_datasets_page_loads_a_server_folder_and_lists_failures(talks, page, tmp_path, corpus):
    import shutil
    folder = tmp_path / "new"
    folder.mkdir()
    shutil.copy(corpus / "praat" / "bobby.wav", folder / "bobby.wav")
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00")
    at = page("datasets")
    at.run()
    assert at.dataframe[0].value["dataset"].tolist() == ["talks"]
    at.text_input(key="new_name").input("words")
    at.text_input(key="new_labels").input("WORD, PAUSE")
    at.text_input(key="new_folder").input(str(folder))
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 1 tasks, skipped 0 duplicates, failed 1" in at.success[0].value
    failures = at.dataframe[-1].value
    assert failures["source"].str.endswith("broken.wav").tolist() == [True]
    store, _ = talks
    assert store.query_one("SELECT labels FROM datasets WHERE name = 'words'")[0] == '["WORD", "PAUSE"]'


def test_datasets_page_edits_labels_and_refuses_bad_settings(talks, page):
    store, _ = talks
    at = page("datasets")
    at.run()
    form_inputs = at.text_input
    labels_box = [t for t in form_inputs if t.label.startswith("Labels of this dataset")][0]
    labels_box.input("SPK1, SPK2, SPK3")
    at.text_area[0].input('{"feed_overlap": true}')
    at.button[-1].click().run()
    assert store.query_one("SELECT labels, settings FROM datasets WHERE name='talks'") == \
        ('["SPK1", "SPK2", "SPK3"]', '{"feed_overlap": true}')
    at.text_area[0].input("[1, 2")
    at.button[-1].click().run()
    assert "Settings not saved" in at.error[0].value


def test_review_lists_filters_and_saves_a_correction(talks, page):
    store, ids = talks
    annotate_some(store, ids)
    at = page("review")
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table["annotator"]) == {"ann", "bob"}
    at.multiselect(key="review_answers").select("reject").run()
    assert at.dataframe[0].value["answer"].tolist() == ["reject"]
    at.multiselect(key="review_answers").unselect("reject").run()
    at.multiselect(key="review_labels").select("SPK2").run()
    assert at.dataframe[0].value["annotator"].tolist() == ["ann"]
    first = int(at.dataframe[0].value["id"].iloc[0])
    at.session_state["review_selected"] = first
    at.run()
    at.selectbox(key=f"review-answer-{first}").set_value("reject")
    at.button(key=f"review-save-{first}").click().run()
    versions = store.query("SELECT id, supersedes, answer FROM annotations WHERE session='ann' AND task_id=? ORDER BY id",
                           [ids[0]])
    assert versions[-1][1] == first and versions[-1][2] == "reject"
    assert json.loads(store.query_one("SELECT annotation FROM annotations ORDER BY id DESC LIMIT 1")[0])["_reviewed_by"]
    assert any("History: 2 version(s)" in e.label for e in at.expander)


def test_statistics_counts_durations_and_agreement(talks, page):
    store, ids = talks
    annotate_some(store, ids)
    at = page("statistics_page")
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tasks"] == "5" and metrics["Answers"] == "3" and metrics["Tasks done"] == "2"
    assert metrics["Accept"] == "2" and metrics["Reject"] == "1"
    labels = at.table[0].value
    assert labels["seconds"].to_dict() == {"SPK1": 3.0, "SPK2": 0.5}
    # Region durations: bins on a seconds axis, each region in the bin holding its length.
    from earmark.db.queries.statistics import region_durations
    bins = region_durations(store, "talks").set_index("label")
    assert bins["regions"].to_dict() == {"SPK1": 2, "SPK2": 1}
    for label, seconds in (("SPK1", 1.5), ("SPK2", 0.5)):
        assert bins.loc[label, "seconds"] - 1e-9 <= seconds <= bins.loc[label, "upto"] + 1e-9
    # the lengths run from 0.5 to 1.5 s: 20 bins of 0.05 s from 0.5, not from 0
    assert (bins["upto"] - bins["seconds"]).round(3).tolist() == [0.05, 0.05]
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    chart = charts[0]
    assert chart["encoding"]["x"]["scale"]["domain"] == [0.5, 1.5]
    # whole counts on the count axes of the histogram and the answers per hour
    for spec in charts[:2]:
        axis = spec["encoding"]["y"]["axis"]
        assert (axis["tickMinStep"], axis["format"]) == (1, "d")
    assert charts[1]["encoding"]["color"]["field"] == "annotator"
    scale = chart["encoding"]["color"]["scale"]
    assert scale["domain"][:2] == ["SPK1", "SPK2"] and len(set(scale["range"][:2])) == 2
    # the colours the annotation card gives the same labels, at least 20 apart (CIEDE2000)
    from components.waveform import MIN_DISTANCE
    from components.waveform.colour_distance import ciede2000, parse_color, srgb_to_lab
    from earmark.datasets import get_dataset
    from earmark.settings import effective_settings
    from earmark.web.annotate import _label_specs
    talks = get_dataset(store, "talks")
    card = {spec["name"]: spec["color"] for spec in _label_specs(talks, effective_settings(talks))}
    assert dict(zip(scale["domain"], scale["range"])) == {label: card[label] for label in scale["domain"]}
    lab1, lab2 = (srgb_to_lab(parse_color(c)) for c in scale["range"][:2])
    assert ciede2000(lab1, lab2) >= MIN_DISTANCE
    agreement = at.dataframe[1].value
    row = agreement.iloc[0]
    assert (row["annotator A"], row["annotator B"], row["shared tasks"]) == ("ann", "bob", 1)
    assert row["F1 SPK1"] == 1.0 and row["F1 SPK2"] == 0.0


def test_export_page_counts_and_builds_filtered_files(talks, page):
    store, ids = talks
    annotate_some(store, ids)
    at = page("export")
    at.run()
    assert not at.exception, at.exception
    assert "3 annotations" in at.caption[1].value
    at.multiselect(key="export_sessions").select("ann").run()
    assert "2 annotations" in at.caption[1].value
    at.multiselect(key="export_labels").select("SPK2").run()
    assert "1 annotations" in at.caption[1].value


def test_export_filter_matches_review_filter(talks):
    import io
    from earmark.formats.jsonl_csv import ExportFilter, export
    from earmark.db.queries.review import ReviewFilter, filter_sql
    store, ids = talks
    annotate_some(store, ids)
    out = io.StringIO()
    export(store, "talks", out, "jsonl", ExportFilter(where=filter_sql(
        ReviewFilter(dataset="talks", labels=["SPK2"], sessions=["ann"]))))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["_session_id"], [s["label"] for s in r["audio_spans"]]) for r in records] == \
        [("ann", ["SPK1", "SPK2"])]


def test_review_shows_changes_against_the_pre_annotation(tmp_path, monkeypatch, corpus, page):
    from earmark.loading.loader import load_sources
    from earmark.review import changes_from_pre_annotation
    from earmark.db.store import open_store
    db = tmp_path / "pre.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    store = open_store(db)
    report = load_sources(store, "pre", [corpus / "diarization" / "trn01.wav"],
                          spans=[corpus / "diarization" / "reference.rttm"])
    task = get_task(store, report.task_ids[0])
    proposed = task.data["audio_spans"]
    assert len(proposed) == 6
    final = [dict(proposed[0], start=proposed[0]["start"] + 0.5), dict(proposed[1], label="OTHER"),
             *proposed[2:5], {"id": "new", "start": 29.0, "end": 29.5, "label": "X"}]
    annotation_id = save_annotation(store, task, "accept", "ann", edits={"audio_spans": final})
    diff = changes_from_pre_annotation(proposed, final)
    assert [r["id"] for r in diff["added"]] == ["new"]
    assert [r["id"] for r in diff["removed"]] == [proposed[5]["id"]]
    assert [r["id"] for r in diff["moved"]] == [proposed[0]["id"]]
    assert [r["before"]["label"] for r in diff["relabelled"]] == [proposed[1]["label"]]
    at = page("review")
    at.session_state["review_selected"] = annotation_id
    at.run()
    assert not at.exception, at.exception
    assert any("1 added, 1 removed, 1 moved, 1 relabelled" in m.value for m in at.markdown)


def test_export_archive_for_per_file_formats(talks, tmp_path):
    import csv
    import io
    import zipfile
    from pathlib import PurePath

    from praatio import textgrid

    from earmark.formats.export import export_archive
    store, ids = talks
    annotate_some(store, ids)
    first, second = (PurePath(get_task(store, i).data["file"]).stem for i in ids[:2])
    data, name = export_archive(store, "talks", "textgrid")
    assert name == "talks-textgrid.zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    # ann and bob both annotated the first file: one TextGrid each; ann rejected the second
    assert sorted(archive.namelist()) == sorted([f"talks/{first}.ann.TextGrid", f"talks/{first}.bob.TextGrid",
                                                 f"talks/{second}.TextGrid"])

    def tiers(member: str) -> dict:
        path = tmp_path / "member.TextGrid"
        path.write_bytes(archive.read(member))
        grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
        return {n: [tuple(e) for e in grid.getTier(n).entries] for n in grid.tierNames}
    # regions without text: their label is the interval's text (an empty interval is a gap)
    assert tiers(f"talks/{first}.ann.TextGrid") == {"SPK1": [(0.5, 2.0, "SPK1")], "SPK2": [(3.0, 3.5, "SPK2")]}
    assert tiers(f"talks/{first}.bob.TextGrid") == {"SPK1": [(0.5, 2.0, "SPK1")]}
    assert tiers(f"talks/{second}.TextGrid") == {}
    rttm, rttm_name = export_archive(store, "talks", "rttm")
    assert rttm_name == "talks.rttm"
    assert rttm.decode("utf-8") == (f"SPEAKER {first} 1 0.500 1.500 <NA> <NA> SPK1 <NA> <NA>\n"
                                    f"SPEAKER {first} 1 3.000 0.500 <NA> <NA> SPK2 <NA> <NA>\n"
                                    f"SPEAKER {first} 1 0.500 1.500 <NA> <NA> SPK1 <NA> <NA>\n")   # bob's
    clips, _ = export_archive(store, "talks", "clips")
    archive = zipfile.ZipFile(io.BytesIO(clips))
    wavs = [f"{first}_00000{n}.wav" for n in (1, 2, 3)]
    assert sorted(archive.namelist()) == sorted(["talks/train/metadata.csv", *(f"talks/train/{w}" for w in wavs)])
    rows = list(csv.reader(io.StringIO(archive.read("talks/train/metadata.csv").decode("utf-8"))))
    assert [r[:6] + [r[7]] for r in rows[1:]] == [[wavs[0], "SPK1", "", "0.5", "2.0", "", "ann"],
                                                  [wavs[1], "SPK2", "", "3.0", "3.5", "", "ann"],
                                                  [wavs[2], "SPK1", "", "0.5", "2.0", "", "bob"]]
    # the clips' samples: tests/formats/test_channels.py, on a file whose channels differ


def test_datasets_page_segments_pre_annotates_and_refuses_a_bad_spec(talks, page, corpus):
    store, _ = talks
    at = page("datasets")
    at.run()
    at.text_input(key="new_name").input("long")
    at.text_input(key="new_folder").input(str(corpus / "diarization" / "trn01.wav"))
    at.text_input(key="new_segment").input("window:10:nonsense")
    at.button(key="new_load").click().run()
    assert "window" in at.error[0].value
    at.text_input(key="new_segment").input("window:10")
    at.selectbox(key="new_model").select("speech")
    at.text_input(key="new_spans").input(str(corpus / "diarization" / "reference.rttm"))
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 3 tasks" in at.success[0].value
    tasks = [json.loads(t) for (t,) in store.query("SELECT task FROM tasks WHERE dataset = 'long' ORDER BY id")]
    assert [t["segment"] for t in tasks] == [{"start": 0.0, "end": 10.0}, {"start": 10.0, "end": 20.0},
                                             {"start": 20.0, "end": 30.0}]
    labels = {s["label"] for t in tasks for s in t.get("audio_spans", [])}
    assert "SPEECH" in labels and len(labels) > 1   # the model's regions and the RTTM's speakers
