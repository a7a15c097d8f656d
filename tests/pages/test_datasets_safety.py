"""The Datasets page: uploads that are not audio are not kept, models come from a
fixed list (built-in and earmark.json's `models`), dataset names keep the rule."""

from __future__ import annotations

import json
import re

import pytest
import streamlit
from streamlit.proto.Common_pb2 import FileURLs
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

from earmark.audio.probe import AUDIO_EXTENSIONS
from shown import shown

EVIL = ("import pathlib\n"
        "pathlib.Path(__file__).with_name('RAN').write_text('the upload ran')\n"
        "def f(task):\n"
        "    return []\n").encode()


@pytest.fixture
def uploads(monkeypatch):
    """Make the page's file uploader return these (name, bytes) as Streamlit's UploadedFiles.

    AppTest cannot drive a file uploader; the page calls `st.file_uploader`
    at run time, in this process, so replacing it stands in for the browser.
    """
    chosen: list[tuple[str, bytes]] = []
    real = streamlit.file_uploader

    def fake(label, *args, key=None, **kwargs):
        if key != "new_uploads":
            return real(label, *args, key=key, **kwargs)
        real(label, *args, key=key, **kwargs)   # the widget is still drawn
        return [UploadedFile(UploadedFileRec(f"id{i}", name, "application/octet-stream", data),
                             FileURLs(file_id=f"id{i}", upload_url="", delete_url=""))
                for i, (name, data) in enumerate(chosen)] or None

    monkeypatch.setattr(streamlit, "file_uploader", fake)
    return chosen


def media_names(store) -> list[str]:
    folder = store.path.parent / "media"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_uploaded_python_is_not_kept_and_audio_is(talks, page, uploads, corpus):
    store, _ = talks
    wav = (corpus / "praat" / "bobby.wav").read_bytes()
    uploads += [("evil.py", EVIL), ("evil_wav.py", wav), ("bobby.wav", wav), ("../../x.wav", wav)]
    at = page("datasets")
    at.run()
    at.text_input(key="new_name").input("up")
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 1 tasks, skipped 1 duplicates, failed 2" in at.success[0].value
    failures = at.dataframe[-1].value
    assert failures["source"].tolist() == ["evil.py", "evil_wav.py"]
    assert all("not an audio file" in r for r in failures["reason"])
    kept = media_names(store)
    assert len(kept) == 1 and kept[0].endswith(".wav") and kept[0].endswith(AUDIO_EXTENSIONS)
    assert not any(n.endswith((".py", ".pyc", ".so")) for n in kept)
    task = json.loads(store.query_one("SELECT task FROM tasks WHERE dataset = 'up'")[0])
    assert task["file"] == "bobby.wav" and task["path"] == "bobby.wav"


def test_a_jsonl_upload_is_not_left_in_the_media_folder(talks, page, uploads, corpus):
    store, _ = talks
    line = json.dumps({"audio": str(corpus / "praat" / "bobby.wav"), "meta": {"from": "upload"}})
    uploads += [("../../tasks.jsonl", (line + "\n{bad\n").encode())]
    at = page("datasets")
    at.run()
    at.text_input(key="new_name").input("from jsonl")
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 1 tasks, skipped 0 duplicates, failed 1" in at.success[0].value
    assert at.dataframe[-1].value["source"].tolist() == ["tasks.jsonl:2"]
    assert media_names(store) == []


def test_the_page_offers_no_free_text_model_field(talks, page):
    at = page("datasets")
    at.run()
    assert not at.exception, at.exception
    assert all(t.key != "new_model" and "module" not in (t.placeholder or "") for t in at.text_input)
    assert at.selectbox(key="new_model").options == ["(none)", "speech", "speakers", "transcribe"]


def test_a_configured_model_is_offered_and_runs(talks, page, tmp_path, monkeypatch, corpus):
    store, _ = talks
    models = tmp_path / "models"
    models.mkdir()
    (models / "team_model.py").write_text(
        "def first(task):\n"
        "    return [{'start': 0.0, 'end': 1.0, 'label': 'FIRST'}]\n")
    monkeypatch.syspath_prepend(str(models))   # installed on the server, as a package would be
    (tmp_path / "earmark.json").write_text(json.dumps({"models": {"First second": "team_model:first"}}))
    at = page("datasets")
    at.run()
    assert at.selectbox(key="new_model").options == ["(none)", "speech", "speakers", "transcribe", "First second"]
    at.text_input(key="new_name").input("pre")
    at.text_input(key="new_folder").input(str(corpus / "praat" / "bobby.wav"))
    at.selectbox(key="new_model").select("First second")
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 1 tasks" in at.success[0].value
    task = json.loads(store.query_one("SELECT task FROM tasks WHERE dataset = 'pre'")[0])
    assert [(s["start"], s["end"], s["label"]) for s in task["audio_spans"]] == [(0.0, 1.0, "FIRST")]


def test_a_broken_models_entry_is_named_and_the_built_ins_stay(talks, page, tmp_path):
    (tmp_path / "earmark.json").write_text(json.dumps({"models": {"x": "no colon"}}))
    at = page("datasets")
    at.run()
    assert not at.exception, at.exception
    assert "models.x" in at.warning[0].value
    assert at.selectbox(key="new_model").options == ["(none)", "speech", "speakers", "transcribe"]


@pytest.mark.parametrize("name", ["../../../../tmp/x", "a/b", ".hidden"])
def test_a_name_that_breaks_the_rule_is_refused_by_name(talks, page, corpus, name):
    store, _ = talks
    at = page("datasets")
    at.run()
    at.text_input(key="new_name").input(name)
    at.text_input(key="new_folder").input(str(corpus / "praat" / "bobby.wav"))
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert repr(name) in shown(at.error[0].value) and "refused" in at.error[0].value
    assert [n for (n,) in store.query("SELECT name FROM datasets")] == ["talks"]


def test_a_unicode_name_is_taken(talks, page, corpus):
    store, _ = talks
    at = page("datasets")
    at.run()
    at.text_input(key="new_name").input("Aufnahmen März")
    at.text_input(key="new_folder").input(str(corpus / "praat" / "bobby.wav"))
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 1 tasks" in at.success[0].value


def test_mark_with_a_name_that_breaks_the_rule_is_a_message(tmp_path, monkeypatch, root, corpus):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("EARMARK_DB", str(tmp_path / "m.duckdb"))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    monkeypatch.setattr("sys.argv", ["app.py", "mark", "../x", str(corpus / "praat" / "bobby.wav")])
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert "'../x'" in shown(at.error[0].value) and "refused" in at.error[0].value


def test_labels_from_an_upload_show_as_text(talks, page, uploads, corpus):
    """A pre-annotation label is the uploader's string: it must not draw an image."""
    wav = corpus / "praat" / "bobby.wav"
    label = "![x](http://attacker.example/p.png)"
    task = {"audio": str(wav), "audio_spans": [{"start": 0.1, "end": 0.5, "label": label}]}
    uploads.append(("tasks.jsonl", (json.dumps(task) + "\n").encode()))
    at = page("datasets")
    at.run()
    at.text_input(key="new_name").input("labelled")
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    labels = [i.value for i in at.info if "Labels added" in i.value]
    assert labels and not re.search(r"(?<!\\)!\[", labels[0]), labels
    assert label in shown(labels[0])
