"""Agreement measures, the tokenizer and the settings cascade."""

from __future__ import annotations

import json

import pytest

from earmark.agreement import cohen_kappa, label_f1, merge_intervals, overlap
from earmark.datasets import Dataset
from earmark.settings import SettingsError, effective_settings, load_config
from earmark.loading.tokenize import span_from_tokens, tokenize


def test_interval_overlap_and_f1():
    assert merge_intervals([(3, 4), (0, 1), (0.5, 2)]) == [(0, 2), (3, 4)]
    assert overlap([(0, 2), (3, 4)], [(1, 3.5)]) == pytest.approx(1.5)
    a = {(1, "SPEECH", None): [(0, 2)], (1, "NOISE", None): [(5, 6)]}
    b = {(1, "SPEECH", None): [(1, 4)]}
    f1 = label_f1(a, b)
    # unequal lengths, so that F1 differs from precision and recall: overlap 1 s of
    # A's 2 s and B's 3 s; P = 1/3, R = 1/2, F1 = 2PR / (P + R) = (1/3) / (5/6) = 0.4
    assert f1["SPEECH"] == pytest.approx(0.4)
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


def test_sql_agreement_matches_the_python_definitions(tmp_path, corpus):
    """Statistics computes agreement in SQL; it must equal earmark.agreement's functions."""
    import random

    from earmark.annotations import get_task, save_annotation
    from earmark.loading.loader import load_sources
    from earmark.agreement import agreement
    from earmark.db.store import Store
    store = Store(tmp_path / "agree.duckdb")
    ids = load_sources(store, "d", [corpus / "formats", corpus / "diarization"], peaks=False).task_ids
    rng = random.Random(7)
    sessions = ["ann", "bob", "cat"]
    saved: dict[tuple[int, str], tuple[str, list]] = {}
    for task_id in ids:
        for session in rng.sample(sessions, rng.randint(1, 3)):
            spans = []
            for i in range(rng.randint(0, 4)):
                start = round(rng.uniform(0, 8), 3)
                spans.append({"id": f"{session}{i}", "start": start, "end": round(start + rng.uniform(0.1, 3), 3),
                              "label": rng.choice(["A", "B"]), "channel": rng.choice([None, 0])})
            answer = rng.choice(["accept", "accept", "reject", "ignore"])
            save_annotation(store, get_task(store, task_id), answer, session, edits={"audio_spans": spans})
            saved[(task_id, session)] = (answer, spans)
    table = agreement(store, "d").set_index(["annotator A", "annotator B"])
    for i, a in enumerate(sessions):
        for b in sessions[i + 1:]:
            shared = [t for t in ids if (t, a) in saved and (t, b) in saved]
            if not shared:
                continue
            row = table.loc[(a, b)]
            assert row["shared tasks"] == len(shared)
            pairs = [(saved[(t, a)][0], saved[(t, b)][0]) for t in shared
                     if {saved[(t, a)][0], saved[(t, b)][0]} <= {"accept", "reject"}]
            kappa = cohen_kappa([p[0] for p in pairs], [p[1] for p in pairs])
            got = row["kappa (accept/reject)"]
            assert (kappa is None and (got is None or got != got)) or got == pytest.approx(round(kappa, 3))
            regions: tuple[dict, dict] = ({}, {})
            for t in shared:
                for side, who in enumerate((a, b)):
                    for s in saved[(t, who)][1]:
                        regions[side].setdefault((t, s["label"], s["channel"]), []).append((s["start"], s["end"]))
            for label, value in label_f1(*regions).items():
                assert row[f"F1 {label}"] == pytest.approx(round(value, 3), abs=1e-3), (a, b, label)
    store.close()
