"""What a web user sends never becomes code the server runs, nor a path it writes.

An upload is kept only when it is audio (an audio extension and bytes that
probe as audio), under a name no `import` can load; the web UI resolves only
the models it offers; an upload's name is reduced to its base name.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import json
import sys
import tempfile
from pathlib import Path

import pytest

from earmark.loading.loader import load_uploads
from earmark.models.registry import ModelError, resolve_model
from earmark.audio.probe import AUDIO_EXTENSIONS
from earmark.settings import SettingsError

EVIL = ("import pathlib\n"
        "pathlib.Path(__file__).with_name('RAN').write_text('the upload ran')\n"
        "def f(task):\n"
        "    return []\n").encode()


def media_files(store) -> list[Path]:
    folder = store.path.parent / "media"
    return sorted(folder.iterdir()) if folder.exists() else []


def assert_nothing_importable(folder: Path) -> None:
    """Every file kept ends in an audio extension, none in a suffix Python imports."""
    python_suffixes = tuple(importlib.machinery.all_suffixes()) + (".pth",)
    for file in folder.iterdir() if folder.exists() else ():
        assert file.is_file(), f"{file}: a folder in media/ could be a package"
        assert file.name.lower().endswith(AUDIO_EXTENSIONS), file
        assert not file.name.lower().endswith(python_suffixes), file
        assert not file.name.startswith(".incoming-"), f"{file}: a temporary file was left behind"


def test_an_uploaded_python_file_is_not_kept_and_cannot_be_imported(store, corpus, tmp_path, monkeypatch):
    wav = (corpus / "praat" / "bobby.wav").read_bytes()
    report = load_uploads(store, "up", [("evil.py", EVIL), ("wav_renamed.py", wav), ("call.wav", wav),
                                        ("fake.wav", EVIL), ("evil.pyc", EVIL), ("lib.so", wav)])
    reasons = {f.origin: f.reason for f in report.failures}
    assert set(reasons) == {"evil.py", "wav_renamed.py", "fake.wav", "evil.pyc", "lib.so"}
    assert "not an audio file" in reasons["evil.py"] and "not kept" in reasons["evil.py"]
    assert "not readable audio" in reasons["fake.wav"]
    assert report.added == 1
    kept = media_files(store)
    assert [f.name for f in kept] == [hashlib.blake2b(wav, digest_size=16).hexdigest() + ".wav"]
    assert_nothing_importable(store.path.parent / "media")
    # the attack of the report: the media folder's parent on the path, the hash known
    digest = hashlib.blake2b(EVIL, digest_size=16).hexdigest()
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelError, match="cannot import"):
        resolve_model(f"media.{digest}:f")
    assert not (store.path.parent / "media" / "RAN").exists()


def test_an_uploads_name_is_reduced_to_its_base_name(store, corpus):
    wav = (corpus / "praat" / "bobby.wav").read_bytes()
    stereo = (corpus / "formats" / "bobby_16bit_16khz_2ch.wav").read_bytes()
    report = load_uploads(store, "up", [("../../victim/x.wav", wav), ("C:\\Users\\me\\y.wav", stereo),
                                        ("/etc/..", b"x"), ("a\nb.py", EVIL)])
    tasks = [json.loads(t) for (t,) in store.query("SELECT task FROM tasks ORDER BY id")]
    assert [(t["file"], t["path"], t["audio"], t["meta"]["file"]) for t in tasks] == [
        ("x.wav",) * 4, ("y.wav",) * 4]
    # no upload name reaches a failure or a task with a separator or a control character in it
    assert sorted(f.origin for f in report.failures) == ["a_b.py", "upload"]


def test_base64_audio_that_is_not_audio_is_not_kept(store, tmp_path, corpus):
    wav = (corpus / "praat" / "bobby.wav").read_bytes()
    lines = [{"audio": "data:audio/wav;base64," + base64.b64encode(EVIL).decode()},
             {"audio": "data:text/x-python;base64," + base64.b64encode(EVIL).decode()},
             {"audio": "data:application/octet-stream;base64," + base64.b64encode(wav).decode()},
             {"audio": "data:audio/mpeg;base64," + base64.b64encode(wav).decode()}]   # WAV bytes, .mp3: audio
    source = tmp_path / "tasks.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    from earmark.loading.loader import load_sources
    report = load_sources(store, "b", [source])
    reasons = {int(f.origin.rsplit(":", 1)[1]): f.reason for f in report.failures}
    assert set(reasons) == {1, 2, 3}
    assert "not readable audio" in reasons[1]
    assert "'text/x-python'" in reasons[2] and "'application/octet-stream'" in reasons[3]
    assert report.added == 1
    assert [f.suffix for f in media_files(store)] == [".mp3"]
    assert_nothing_importable(store.path.parent / "media")


def test_jsonl_uploads_are_read_outside_the_media_folder_and_removed(store, corpus, monkeypatch, tmp_path):
    wav = (corpus / "praat" / "bobby.wav").read_bytes()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    lines = [json.dumps({"audio": "data:audio/wav;base64," + base64.b64encode(wav).decode(),
                         "meta": {"note": "uploaded"}}),
             "{broken",
             json.dumps({"audio": "https://example.org/a.mp3"})]
    report = load_uploads(store, "j", [("../../tasks.jsonl", ("\n".join(lines) + "\n").encode()),
                                       ("more.jsonl", (lines[2].replace("a.mp3", "b.mp3") + "\n").encode())])
    assert report.added == 3
    # failures name the upload and its line, not a temporary path
    assert [f.origin for f in report.failures] == ["tasks.jsonl:2"]
    assert list(scratch.iterdir()) == []          # the temporary folder is gone
    assert [f.suffix for f in media_files(store)] == [".wav"]
    assert_nothing_importable(store.path.parent / "media")


def test_the_web_resolves_only_offered_models_and_never_from_cwd_or_media(store, tmp_path, monkeypatch):
    from earmark.models.registry import offered_models, resolve_offered
    media = store.path.parent / "media"
    media.mkdir()
    (media / "old_upload.py").write_text(EVIL.decode())   # as an older version could have kept it
    (tmp_path / "cwd_model.py").write_text("def f(task):\n    return []\n")
    monkeypatch.chdir(tmp_path)
    # a run earlier in this process (mutmut's, a repeated test) imported them below
    for name in ("cwd_model", "media", "media.old_upload"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    path_before = list(sys.path)
    configured = {"mine": "cwd_model:f", "hidden": "media.old_upload:f"}
    assert offered_models(configured) == ["speech", "speakers", "transcribe", "mine", "hidden"]
    with pytest.raises(ModelError, match="not offered"):
        resolve_offered("media.old_upload:f", configured, media)
    with pytest.raises(ModelError, match="not offered"):
        resolve_offered("cwd_model:f", configured, media)
    with pytest.raises(ModelError, match="cannot import 'cwd_model'"):
        resolve_offered("mine", configured, media)          # the working directory is not importable
    assert sys.path == path_before
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelError, match="lies in the media folder"):
        resolve_offered("hidden", configured, media)        # even when the admin's entry points there
    assert not (media / "RAN").exists()
    assert resolve_offered("mine", configured, media)({}) == []
    assert resolve_offered("speech", configured, media).__name__ == "speech"


@pytest.mark.parametrize("models, problem", [
    (["speech"], "must be an object"),
    ({"x": "no_colon"}, "models.x"),
    ({"x": 3}, "models.x"),
    ({"x": ":f"}, "models.x"),
    ({" ": "m:f"}, "models. "),
])
def test_bad_models_entries_are_named(models, problem):
    from earmark.settings import configured_models
    with pytest.raises(SettingsError, match=problem.replace(".", r"\.")):
        configured_models({"models": models})


def test_models_entries_are_read():
    from earmark.settings import configured_models
    assert configured_models({}) == {}
    assert configured_models({"models": {"first": " pkg.mod:first "}}) == {"first": "pkg.mod:first"}


def test_the_command_line_takes_module_function_and_configured_names(tmp_path, root, corpus):
    import subprocess
    (tmp_path / "cli_model.py").write_text(
        "def first(task):\n    return [{'start': 0.0, 'end': 1.0, 'label': 'FIRST'}]\n")
    (tmp_path / "earmark.json").write_text(json.dumps({"models": {"Team first": "cli_model:first"}}))
    media = tmp_path / "media"
    media.mkdir()
    (media / "old.py").write_text(EVIL.decode())   # as an older version could have kept an upload
    env = {**__import__("os").environ, "PYTHONPATH": str(root), "EARMARK_CONFIG": str(tmp_path / "earmark.json")}
    env.pop("EARMARK_DB", None)

    def load(dataset, model):
        return subprocess.run([sys.executable, "-m", "earmark", "load", dataset, str(corpus / "praat" / "bobby.wav"),
                               "--model", model, "--db", str(tmp_path / "c.duckdb")],
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)

    assert load("by module", "cli_model:first").returncode == 0
    assert load("by name", "Team first").returncode == 0
    refused = load("from media", "media.old:f")
    assert refused.returncode == 2 and "lies in the media folder" in refused.stderr
    assert not (media / "RAN").exists()
    unknown = load("unknown", "nothing")
    assert unknown.returncode == 2 and "a name listed under `models`" in unknown.stderr
