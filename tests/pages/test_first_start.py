"""What a newcomer sees first: the Annotate page's title, guide and name change,
the Datasets page's follow-through after Load, and `mark`'s load summary."""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest
from streamlit.testing.v1 import AppTest

from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.datasets import ensure_dataset
from earmark.web.text import md_text

CARD = "annotate_card"


def unescape(markdown: str) -> str:
    """The text a Markdown body with backslash escapes (and bold) shows."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*\*", "", markdown))


def guide(at) -> str:
    [caption] = [c.value for c in at.caption if "Keys:" in c.value]
    return unescape(caption)


def current(store) -> list[tuple]:
    return store.query(f"SELECT task_id, answer, session FROM ({CURRENT_ANNOTATIONS}) a ORDER BY task_id")


@pytest.mark.parametrize("view, labels, asks", [
    ("audio_manual", ["SPEECH", "NOISE"], "Draw regions for SPEECH, NOISE, then accept."),
    ("audio", ["GOOD_QUALITY"], "Accept or reject: GOOD_QUALITY? Keys:"),
    ("transcript", [], "Type the transcript, then accept."),
    ("alignment", ["SPK1"], "Draw regions for SPK1; mark text spans and link them to regions, then accept."),
])
def test_title_and_guide_say_what_the_view_asks(talks, page, view, labels, asks):
    store, _ = talks
    ensure_dataset(store, "asked", view=view, labels=labels)
    at = page("annotate", dataset="asked")
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Annotate"
    text = guide(at)   # shown before a name is given too
    assert text.startswith(asks), text
    assert "space play/pause · a accept · x reject · enter ignore · backspace undo" in text
    assert ("1–2 label" in text) == (view == "audio_manual")


def test_the_guide_shows_remapped_keys(talks, page, tmp_path):
    store, _ = talks
    (tmp_path / "earmark.json").write_text(json.dumps({"keymap": {"accept": "k", "reject": ["r", "z"]}}))
    ensure_dataset(store, "talks", settings={"keymap": {"undo": "u"}})   # a dataset's own keymap counts too
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    text = guide(at)
    assert "k accept · r / z reject · enter ignore · u undo" in text, text


def test_the_name_prompt_says_enter_confirms(talks, page):
    at = page("annotate", dataset="talks")
    at.run()
    [field] = at.text_input
    assert "Enter" in field.placeholder
    assert not [b for b in at.button if b.key == "annotator_change"]   # no button before a name


def test_changing_the_name_keeps_earlier_answers_and_switches_later_ones(talks, page, card):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert any(m.value == "Annotating as **ann**" for m in at.markdown)
    first = card(session="ann")
    # an answer the card has sent but the page has not acknowledged yet, when the button is clicked
    at.session_state[CARD] = first.answer(ids[0], "accept")
    at.button(key="annotator_change").click().run()
    assert not at.exception, at.exception
    assert "session" not in at.query_params
    assert not at.get("component_instance")      # the name is asked again
    assert current(store) == [(ids[0], "accept", "ann")]
    at.text_input(key="annotator_pick").input("bob").run()
    assert at.query_params["session"] == "bob"
    assert card.args(at)["session"] == "bob"
    assert any(m.value == "Annotating as **bob**" for m in at.markdown)
    later = card(session="bob", client="c2")
    card.send(at, later.answer(ids[1], "reject"))
    assert current(store) == [(ids[0], "accept", "ann"), (ids[1], "reject", "bob")]


@pytest.mark.parametrize("name", ["<b>x</b>", "**x**", "a\nb", "[x](http://example.org)"])
def test_a_hostile_name_is_shown_as_text(talks, page, name):
    at = page("annotate", dataset="talks", session=name)
    at.run()
    assert not at.exception, at.exception
    [line] = [m.value for m in at.markdown if m.value.startswith("Annotating as")]
    assert line == f"Annotating as **{md_text(name)}**"
    assert unescape(line).replace("\u2060", "") == "Annotating as " + name.replace("\n", " ")


def test_after_load_the_table_lists_the_new_dataset_and_a_link_annotates_it(tmp_path, monkeypatch, root):
    monkeypatch.setenv("EARMARK_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.query_params["session"] = "maria"
    at.run()
    at.switch_page("pages/datasets.py").run()
    assert at.dataframe[0].value["dataset"].tolist() == ["demo"]
    assert not at.get("page_link")
    at.text_input(key="new_name").input("calls")
    at.text_input(key="new_folder").input(str(root / "data" / "demo"))
    at.button(key="new_load").click().run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["dataset"].tolist() == ["calls", "demo"]
    [link] = at.get("page_link")
    assert (link.proto.page, link.proto.query_string, link.proto.label) == (
        "annotate", "dataset=calls&session=maria", "Annotate calls")
    at.query_params["dataset"] = "calls"   # what following the link does
    at.switch_page("pages/annotate.py").run()
    assert at.selectbox(key="annotate_dataset").value == "calls"


def test_mark_shows_the_load_summary_once_and_prints_it(tmp_path, monkeypatch, root, capfd):
    monkeypatch.setenv("EARMARK_DB", str(tmp_path / "mark.duckdb"))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    source = tmp_path / "calls"
    source.mkdir()
    shutil.copy(root / "data" / "demo" / "weather_report.wav", source / "good.wav")
    (source / "broken.wav").write_bytes(b"not audio at all")
    dataset = f"calls {tmp_path.name}"   # mark's load is cached per server: a name of this test's own
    monkeypatch.setattr(sys, "argv", ["app.py", "mark", dataset, str(source), "--label", "A,B"])
    at = AppTest.from_string("from earmark.web.main import run\nrun()\n", default_timeout=60)
    at.query_params["session"] = "maria"
    at.run()
    assert not at.exception, at.exception
    total = f"{dataset}: added 1, skipped 0 duplicates, failed 1"
    [box] = at.warning   # a warning, as something failed
    first, failure = unescape(box.value).split("  \n")
    assert first == total
    assert failure.startswith("failed: ") and "broken.wav" in failure
    assert at.selectbox(key="annotate_dataset").value == dataset
    err = capfd.readouterr().err
    assert f"mark: {total}" in err and "mark: failed: " in err and "broken.wav" in err
    at.run()
    assert not at.info and not at.warning   # said once


def test_the_guide_keys_are_the_cards_defaults(root):
    from earmark.web.annotate import GUIDE_KEYS
    source = (root / "components" / "waveform" / "frontend" / "src" / "keys.ts").read_text(encoding="utf-8")
    for action, keys in GUIDE_KEYS.items():
        [given] = re.findall(rf"^\s*{action}: (\[.*?\]),", source, flags=re.M)
        assert json.loads(given) == keys, action
