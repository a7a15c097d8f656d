"""The models registry (earmark.models.registry): models registered from outside the
package, their parameters, one load per process shared by threads, entry points of
installed packages (a broken one named, never raised), and what a page may choose."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from earmark.cli import main as cli_main
from earmark.db.store import open_store
from earmark.models import registry
from earmark.models.registry import (Model, ModelError, Param, model_names, model_problems, offered_models,
                                     register_model, rediscover, registered_models, resolve_model,
                                     resolve_offered, unregister_model)
from earmark.models.speech import SpeechSettings


def tick_model(name: str = "ticks", loads: list | None = None, delay: float = 0.0) -> Model:
    """A model of this test module: one region from 0 to `length` s, labelled `label`."""
    def load():
        if loads is not None:
            loads.append(threading.get_ident())
        time.sleep(delay)              # a slow load: every thread arrives while it runs

        def annotate(task: dict, params: dict) -> list[dict]:
            return [{"start": 0.0, "end": params["length"], "label": params["label"]}]
        return annotate
    return Model(name, "one tick", load, params=(Param("length", 1.0, "seconds"), Param("label", "TICK")))


@pytest.fixture
def talks(tmp_path, monkeypatch):
    """EARMARK_DB and EARMARK_CONFIG set to fresh files, as the pages read them."""
    monkeypatch.setenv("EARMARK_DB", str(tmp_path / "pages.duckdb"))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(tmp_path / "pages.duckdb")
    return store, []


@pytest.fixture
def registered():
    names = []

    def add(model):
        names.append(model.name)
        return register_model(model)
    yield add
    for name in names:
        unregister_model(name)


def spans(store, dataset: str) -> list[list[tuple]]:
    return [[(s["start"], s["end"], s["label"]) for s in json.loads(t).get("audio_spans") or []]
            for (t,) in store.query("SELECT task FROM tasks WHERE dataset = ? ORDER BY id", [dataset])]


def test_a_model_registered_outside_the_package_runs_from_load_model_with_its_parameters(
        registered, corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    registered(tick_model())
    db, wav = str(tmp_path / "m.duckdb"), str(corpus / "praat" / "bobby.wav")
    assert cli_main(["load", "plain", wav, "--model", "ticks", "--db", db, "--no-peaks"]) == 0
    assert cli_main(["load", "tuned", wav, "--model", "ticks:length=0.25,label=SHORT", "--db", db,
                     "--no-peaks"]) == 0
    assert "added 1" in capsys.readouterr().out
    store = open_store(db)
    assert spans(store, "plain") == [[(0.0, 1.0, "TICK")]]           # the defaults
    assert spans(store, "tuned") == [[(0.0, 0.25, "SHORT")]]         # the parameters reached it
    store.close()
    assert "ticks (one tick; length=1.0, label=TICK)" in _load_help()   # listed in the CLI's help


def _load_help() -> str:
    from earmark.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["load"]
    return " ".join(sub.format_help().split())


def test_parameters_are_typed_checked_and_default_to_todays_behaviour(registered):
    model = registered(tick_model())
    assert model.parameters() == {"length": 1.0, "label": "TICK"}
    assert model.parameters({"length": "2"}) == {"length": 2.0, "label": "TICK"}
    assert model.parameters({"length": 3}) == {"length": 3.0, "label": "TICK"}
    with pytest.raises(ModelError, match=r"model 'ticks' has no parameter 'size' \(its parameters: length, label\)"):
        resolve_model("ticks:size=2")
    with pytest.raises(ModelError, match=r"model 'ticks': length='long': give a number"):
        resolve_model("ticks:length=long")
    speech = registered_models()["speech"]
    assert speech.parameters() == SpeechSettings().__dict__     # defaults: the detector as it was
    assert Param("median_frames", 9).parse("11") == 11
    with pytest.raises(ValueError, match="give an integer"):
        Param("median_frames", 9).parse("1.5")
    assert Param("on", False).parse("yes") is True


def test_speech_parameters_reach_the_detector(corpus, monkeypatch):
    """Frame scores with one 0.2 s burst: kept with the default min_length, dropped with 0.5."""
    import earmark.models.speech as speech
    scores = np.zeros(200, dtype=np.float32)
    scores[50:63] = 0.95                                      # 13 frames of 16 ms
    monkeypatch.setattr(speech, "frame_scores", lambda samples: scores)
    task = {"path": str(corpus / "praat" / "bobby.wav")}
    [region] = resolve_model("speech")(task)
    assert region["label"] == "SPEECH" and region["end"] - region["start"] > 0.5   # padded by 0.3 s each side
    assert resolve_model("speech:padding=0.0,min_length=0.5")(task) == []
    [narrow] = resolve_model("speech:padding=0.0")(task)
    assert (narrow["start"], narrow["end"]) == (0.8, 1.008)


def test_a_model_is_loaded_once_when_8_threads_annotate_20_tasks(registered):
    loads: list = []
    registered(tick_model("slow_ticks", loads, delay=0.2))
    bound = resolve_model("slow_ticks:length=0.5")
    start = threading.Barrier(8)

    def annotate(i: int) -> list[dict]:
        if i < 8:
            start.wait()                   # the first 8 calls arrive together, before any load ended
        return bound({"path": f"{i}.wav"})
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(annotate, range(20)))
    assert len(loads) == 1
    assert results == [[{"start": 0.0, "end": 0.5, "label": "TICK"}]] * 20
    resolve_model("slow_ticks")({})      # another binding of the same model: still loaded
    assert len(loads) == 1


def test_a_model_that_fails_to_load_is_named(registered):
    def load():
        raise OSError("weights not found")
    registered(Model("heavy", "needs weights", load))
    with pytest.raises(ModelError, match=r"model 'heavy' cannot be loaded: OSError: weights not found"):
        resolve_model("heavy")({})


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A package installed on sys.path with three entry points in `earmark.models`: a Model,
    a plain function, and one whose module does not exist."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "ep_models.py").write_text(
        "from earmark.models.registry import Model, Param\n"
        "def _load():\n"
        "    return lambda task, params: [{'start': 0.0, 'end': params['end'], 'label': 'EP'}]\n"
        "MODEL = Model('ep_model', 'from an entry point', _load, params=(Param('end', 0.5),))\n"
        "def plain(task):\n"
        "    return [{'start': 0.0, 'end': 0.1, 'label': 'PLAIN'}]\n")
    info = site / "ep_models-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-models\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[earmark.models]\nep_model = ep_models:MODEL\nep_plain = ep_models:plain\n"
        "broken = no_such_module_for_earmark:annotate\n")
    monkeypatch.syspath_prepend(str(site))
    rediscover()
    yield site
    monkeypatch.undo()
    sys.modules.pop("ep_models", None)
    rediscover()


def test_entry_points_are_discovered_and_a_broken_one_is_named_never_raised(installed, corpus, tmp_path, root):
    assert model_names()[:1] == ["speech"]
    assert {"ep_model", "ep_plain"} <= set(model_names()) and "broken" not in model_names()
    assert resolve_model("ep_model:end=0.75")({}) == [{"start": 0.0, "end": 0.75, "label": "EP"}]
    assert resolve_model("ep_plain")({}) == [{"start": 0.0, "end": 0.1, "label": "PLAIN"}]
    problem = model_problems()["broken"]
    assert problem.startswith("entry point 'broken' (no_such_module_for_earmark:annotate) cannot be loaded: "
                              "ModuleNotFoundError")
    with pytest.raises(ModelError, match=r"--model 'broken': entry point 'broken' .* cannot be loaded"):
        resolve_model("broken")
    # the command line, in a process of its own that sees the installed package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), str(root)]),
           "EARMARK_CONFIG": str(tmp_path / "none.json")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "earmark", *a], capture_output=True, text=True,  # noqa
                                    cwd=root, env=env)
    help_text = run("load", "--help")
    assert help_text.returncode == 0 and "Traceback" not in help_text.stderr
    assert "ep_model (from an entry point; end=0.5)" in " ".join(help_text.stdout.split())
    assert "Not loadable: broken" in " ".join(help_text.stdout.split())
    db = str(tmp_path / "ep.duckdb")
    done = run("load", "d", str(corpus / "praat" / "bobby.wav"), "--model", "ep_model", "--db", db, "--no-peaks")
    assert done.returncode == 0, done.stderr
    assert "note: model entry point 'broken'" in done.stderr and "Traceback" not in done.stderr
    failed = run("load", "e", str(corpus / "praat" / "bobby.wav"), "--model", "broken", "--db", db)
    assert failed.returncode == 2 and "entry point 'broken'" in failed.stderr and "Traceback" not in failed.stderr


def test_the_datasets_page_offers_entry_points_and_names_a_broken_one(installed, talks, root):
    at = AppTest.from_file(str(root / "pages" / "datasets.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    options = at.selectbox(key="new_model").options
    assert options[:2] == ["(none)", "speech"] and {"ep_model", "ep_plain"} <= set(options)
    assert "broken" not in options
    assert any("entry point 'broken'" in w.value for w in at.warning)


def test_the_datasets_page_offers_a_registered_model_only_once_registered(registered, talks, root, corpus):
    store, _ = talks

    def datasets_page() -> AppTest:
        at = AppTest.from_file(str(root / "pages" / "datasets.py"), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        return at
    assert datasets_page().selectbox(key="new_model").options == ["(none)", "speech", "speakers", "transcribe"]
    registered(tick_model("page_ticks"))
    at = datasets_page()
    assert at.selectbox(key="new_model").options == ["(none)", "speech", "speakers", "transcribe", "page_ticks"]
    at.text_input(key="new_name").input("ticked")
    at.text_input(key="new_folder").input(str(corpus / "praat" / "bobby.wav"))
    at.selectbox(key="new_model").select("page_ticks")
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert "Added 1 tasks" in at.success[0].value
    assert spans(store, "ticked") == [[(0.0, 1.0, "TICK")]]


def test_a_page_never_resolves_a_module_path_but_earmark_json_may_name_parameters(registered, tmp_path):
    registered(tick_model())
    media = tmp_path / "media"
    configured = {"Short ticks": "ticks:length=0.2", "Strict speech": "speech:start_above=0.9"}
    assert offered_models(configured) == ["speech", "speakers", "transcribe", "ticks", "Short ticks", "Strict speech"]
    for typed in ("tests.core.test_model_registry:tick_model", "earmark.models.speech:annotate",
                  "ticks:length=5", "speech:min_length=0"):
        with pytest.raises(ModelError, match="is not offered here"):
            resolve_offered(typed, configured, media)
    assert resolve_offered("Short ticks", configured, media)({}) == [{"start": 0.0, "end": 0.2, "label": "TICK"}]
    strict = resolve_offered("Strict speech", configured, media)
    assert strict.params == {**SpeechSettings().__dict__, "start_above": 0.9}
    assert resolve_offered("ticks", configured, media).params == {"length": 1.0, "label": "TICK"}


def test_registering_a_taken_name_is_refused(registered):
    registered(tick_model())
    with pytest.raises(ModelError, match="registered already"):
        register_model(tick_model())
    with pytest.raises(ModelError, match="without ':'"):
        register_model(tick_model("a:b"))
    assert registry.BUILT_IN == {"speech": "earmark.models.speech:MODEL",
                                 "speakers": "earmark.models.speakers:MODEL",
                                 "transcribe": "earmark.models.transcribe:MODEL"}


def test_several_comma_separated_models_run_one_after_the_other(registered):
    registered(tick_model())
    assert registry.split_model_specs("ticks:length=0.5,label=X, speech,pkg.mod:fn") == [
        "ticks:length=0.5,label=X", "speech", "pkg.mod:fn"]
    chain = resolve_model("ticks:length=0.5,label=X,ticks")
    assert chain({}) == {"audio_spans": [{"start": 0.0, "end": 0.5, "label": "X"},
                                         {"start": 0.0, "end": 1.0, "label": "TICK"}]}
    with pytest.raises(ModelError, match="no function 'nope'"):
        resolve_model("ticks,earmark.models.speech:nope")


@pytest.mark.parametrize("words, problem", [
    ("the words", "words as str, not a list"),
    ([{"start": 0.0, "end": 1.0}], "word 1 without its text"),
    ([{"text": "hi", "start": 0.0}], "word 1 ('hi') without start and end"),
    ([{"text": "hi", "start": 1.0, "end": 0.5}], "word 1 ('hi') has end 0.5 before start 1.0"),
    ([{"text": "hi", "start": 0.0, "end": 2.5}], "word 1 ('hi') ends at 2.5 s, after the end of the file"),
    ([{"text": "hi", "start": 0.0, "end": 1.0, "score": 1.5}], "word 1's score 1.5"),
])
def test_a_models_bad_words_are_refused_and_named(words, problem):
    with pytest.raises(ModelError, match=re.escape(problem)):
        registry.propose(lambda task: {"audio_spans": [], "words": words}, {}, 2.0)


def test_a_models_words_come_back_in_file_order_rounded_and_inside_the_file():
    found = registry.propose(lambda task: {"transcript": "b a", "words": [
        {"text": "b", "start": 1.5, "end": 2.0004, "score": 0.51234},
        {"text": "a", "start": 0.0001, "end": 1.0}]}, {}, 2.0)
    assert found.transcript == "b a"
    assert found.words == [{"start": 0.0, "end": 1.0, "text": "a"},
                           {"start": 1.5, "end": 2.0, "text": "b", "score": 0.5123}]
