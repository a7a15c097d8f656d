"""The settings cascade and earmark.json's rules, each with the answer written out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earmark import settings as settings_module
from earmark.datasets import Dataset
from earmark.settings import (DEFAULTS, SettingsError, config_path, configured_models, effective_settings,
                              load_config)


def test_the_config_file_is_earmark_json_in_the_working_directory_unless_earmark_config_names_one(monkeypatch):
    monkeypatch.delenv("EARMARK_CONFIG", raising=False)
    assert config_path() == Path("earmark.json")
    monkeypatch.setenv("EARMARK_CONFIG", "")          # empty counts as unset
    assert config_path() == Path("earmark.json")
    monkeypatch.setenv("EARMARK_CONFIG", "/etc/team/earmark.json")
    assert config_path() == Path("/etc/team/earmark.json")


def test_load_config_reads_the_named_file_or_the_configured_one(tmp_path, monkeypatch):
    named = tmp_path / "named.json"
    named.write_text('{"audio_rate": 1.25, "label": "café"}', encoding="utf-8")
    assert load_config(named) == {"audio_rate": 1.25, "label": "café"}
    configured = tmp_path / "configured.json"
    configured.write_text('{"audio_loop": true}', encoding="utf-8")
    monkeypatch.setenv("EARMARK_CONFIG", str(configured))
    assert load_config() == {"audio_loop": True}
    assert load_config(tmp_path / "absent.json") == {}


def test_a_config_that_cannot_be_used_names_the_file_and_the_reason(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "audio_rate": 1.5,\n  "audio_loop": tru\n}\n', encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_config(broken)
    assert str(err.value) == f"{broken}, line 3: invalid JSON (Expecting value)"

    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_config(listed)
    assert str(err.value) == f"{listed} must hold a JSON object"

    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"label": "caf\xe9"}')
    with pytest.raises(SettingsError) as err:
        load_config(latin1)
    assert str(err.value).startswith(f"cannot read {latin1}: 'utf-8' codec can't decode byte 0xe9")

    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(SettingsError) as err:
        load_config(folder)
    assert str(err.value).startswith(f"cannot read {folder}: ")
    assert "Is a directory" in str(err.value)


def test_configured_models_are_trimmed_and_every_bad_entry_is_named(tmp_path, monkeypatch):
    where = tmp_path / "earmark.json"
    monkeypatch.setenv("EARMARK_CONFIG", str(where))
    assert configured_models({}) == {}
    assert configured_models({"models": None}) == {}
    assert configured_models({"models": {"Team VAD": "  team.vad:detect "}}) == {"Team VAD": "team.vad:detect"}

    with pytest.raises(SettingsError) as err:
        configured_models({"models": ["team.vad:detect"]})
    assert str(err.value) == (f'{where}: `models` must be an object of {{"name": "module:function"}}, '
                              "not list")
    bad = {"no colon": "team.vad", "no module": ":detect", "no function": "team.vad: ",
           " ": "team.vad:detect", "not text": 3}
    for name, target in bad.items():
        with pytest.raises(SettingsError) as err:
            configured_models({"models": {"Good": "a:b", name: target}})
        assert str(err.value) == f'{where}: models.{name}: give "module:function", not {json.dumps(target)}'


def test_the_cascade_defaults_then_file_then_its_dataset_entry_then_the_dataset(tmp_path, monkeypatch):
    config = {
        "audio_rate": 1.5,                                   # file overrides a default
        "custom_theme": {"labels": {"SPK1": "#ff0000"}, "accent": "blue"},
        "datasets": {"talks": {"audio_loop": True, "audio_rate": 2.0,
                               "custom_theme": {"labels": {"SPK2": "#00ff00"}}},
                     "other": {"audio_rate": 0.5}},
    }
    talks = Dataset("talks", "audio_manual", settings={"audio_rate": 0.75,
                                                        "custom_theme": {"labels": {"SPK1": "#0000ff"}}})
    got = effective_settings(talks, config)
    want = dict(DEFAULTS)
    want.update(audio_rate=0.75, audio_loop=True,
                custom_theme={"labels": {"SPK1": "#0000ff", "SPK2": "#00ff00"}, "accent": "blue"})
    assert got == want
    assert "datasets" not in got

    # A dataset without an entry of its own gets the file's settings; no dataset, the same.
    plain = dict(DEFAULTS)
    plain.update(audio_rate=1.5, custom_theme={"labels": {"SPK1": "#ff0000"}, "accent": "blue"})
    assert effective_settings(Dataset("fresh", "audio_manual"), config) == plain
    assert effective_settings(None, config) == plain
    assert effective_settings(Dataset("fresh", "audio_manual"), {"datasets": None}) == DEFAULTS

    # Nothing given: earmark.json is read.
    file = tmp_path / "earmark.json"
    file.write_text('{"audio_autoplay": true}', encoding="utf-8")
    monkeypatch.setenv("EARMARK_CONFIG", str(file))
    assert effective_settings(None) == {**DEFAULTS, "audio_autoplay": True}
    # An empty config given is used as given, not replaced by the file.
    assert effective_settings(None, {}) == DEFAULTS


def test_merging_replaces_a_dict_by_a_value_and_never_changes_what_it_merges():
    base = {"keymap": {"accept": "a"}, "custom_theme": {"labels": {"A": "#111111"}}}
    override = {"keymap": "vim", "custom_theme": {"labels": {"B": "#222222"}}}
    before = json.dumps([base, override, DEFAULTS], sort_keys=True)
    assert settings_module._merge(base, override) == {
        "keymap": "vim", "custom_theme": {"labels": {"A": "#111111", "B": "#222222"}}}
    assert settings_module._merge({"keymap": "vim"}, {"keymap": {"accept": "a"}}) == {"keymap": {"accept": "a"}}
    effective_settings(Dataset("d", "audio_manual", settings=override), {"custom_theme": {"x": 1}})
    assert json.dumps([base, override, DEFAULTS], sort_keys=True) == before
