"""Agreement measures, the tokenizer and the settings cascade."""

from __future__ import annotations

import json

import pytest

from earmark.agreement import cohen_kappa, label_f1, merge_intervals, overlap
from earmark.datasets import Dataset
from earmark.settings import SettingsError, effective_settings, load_config
from earmark.tokenize import span_from_tokens, tokenize


def test_interval_overlap_and_f1():
    assert merge_intervals([(3, 4), (0, 1), (0.5, 2)]) == [(0, 2), (3, 4)]
    assert overlap([(0, 2), (3, 4)], [(1, 3.5)]) == pytest.approx(1.5)
    a = {(1, "SPEECH", None): [(0, 2)], (1, "NOISE", None): [(5, 6)]}
    b = {(1, "SPEECH", None): [(1, 3)]}
    f1 = label_f1(a, b)
    assert f1["SPEECH"] == pytest.approx(2 * 1 / (2 + 2))
    assert f1["NOISE"] == 0.0
    assert label_f1(a, a) == {"NOISE": 1.0, "SPEECH": 1.0}


def test_cohen_kappa_textbook_example():
    # 50 items: both yes 20, both no 15, A yes/B no 5, A no/B yes 10 -> kappa 0.4
    a = ["accept"] * 25 + ["reject"] * 25
    b = ["accept"] * 20 + ["reject"] * 5 + ["accept"] * 10 + ["reject"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["accept"] * 3, ["accept"] * 3) is None


def test_tokenize_offsets():
    text = "Well, I don't know—maybe 3.5 km?"
    tokens = tokenize(text)
    assert [t["text"] for t in tokens] == ["Well", ",", "I", "don't", "know", "—", "maybe", "3", ".", "5", "km", "?"]
    for t in tokens:
        assert text[t["start"]:t["end"]] == t["text"]
    span = span_from_tokens(tokens, 2, 4, "HESITATION", "region-1")
    assert text[span["start"]:span["end"]] == "I don't know"
    assert span["audio_span_id"] == "region-1"


def test_settings_cascade(tmp_path):
    config = tmp_path / "earmark.json"
    config.write_text(json.dumps({"audio_rate": 1.5, "custom_theme": {"labels": {"A": "#ff0000"}},
                                  "datasets": {"d": {"audio_loop": True}}}))
    cfg = load_config(config)
    ds = Dataset("d", "audio_manual", ["A"], {"audio_rate": 0.75, "custom_theme": {"labels": {"B": "#00ff00"}}})
    s = effective_settings(ds, cfg)
    assert s["audio_rate"] == 0.75 and s["audio_loop"] is True
    assert s["custom_theme"]["labels"] == {"A": "#ff0000", "B": "#00ff00"}
    assert s["show_audio_minimap"] is True  # default
    assert effective_settings(None, cfg)["audio_rate"] == 1.5


def test_broken_config_names_file_and_line(tmp_path):
    config = tmp_path / "earmark.json"
    config.write_text('{\n  "audio_rate": 1.5,\n  oops\n}')
    with pytest.raises(SettingsError, match=r"earmark.json, line 3: invalid JSON"):
        load_config(config)
