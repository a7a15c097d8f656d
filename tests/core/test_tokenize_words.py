"""Alignment tokens from recognised words: times on the tokens, offsets of the tokenizer.

`components/waveform/frontend/test/fixtures/timed_tokens.json` holds cases worked
out by hand; `test/words.test.ts` checks the card's `timeTokens` against the same
table, so a text span has the same audio time in the browser and in the answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.waveform.card import card_task
from earmark.annotations import Task
from earmark.answers import PendingAnswer, View, answer_edits
from earmark.loading.tokenize import timed_tokens, tokenize, words_text
from earmark.views import card_fields, view_blocks

FIXTURE = Path(__file__).resolve().parents[2] / "components/waveform/frontend/test/fixtures/timed_tokens.json"
TABLE = json.loads(FIXTURE.read_text(encoding="utf-8"))
WORDS = [{"start": 1.25, "end": 1.5, "text": " Well,", "score": 0.9}, {"start": 1.5, "end": 1.75, "text": " I"},
         {"start": 1.8, "end": 2.2, "text": " don't", "score": 0.4}, {"start": 2.2, "end": 2.9, "text": " know."}]


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda c: c["why"][:40])
def test_timed_tokens_against_the_table_shared_with_the_card(case):
    tokens = timed_tokens(case["text"], case["words"])
    got = [[t["audio_start"], t["audio_end"]] if "audio_start" in t else None for t in tokens]
    assert got == case["times"]
    # the offsets are the tokenizer's, whatever the words
    assert [{k: t[k] for k in ("text", "start", "end", "id", "ws")} for t in tokens] == tokenize(case["text"])


def test_words_text_joins_the_words_and_its_tokens_slice_it():
    text = words_text(WORDS)
    assert text == "Well, I don't know."
    tokens = timed_tokens(text, WORDS)
    assert [(text[t["start"]:t["end"]], t["audio_start"], t["audio_end"]) for t in tokens] == [
        ("Well", 1.25, 1.5), (",", 1.25, 1.5), ("I", 1.5, 1.75), ("don't", 1.8, 2.2), ("know", 2.2, 2.9),
        (".", 2.2, 2.9)]
    assert words_text([{"start": 0, "end": 1, "text": "  "}, {"start": 1, "end": 2}]) == ""


def sent(**fields) -> PendingAnswer:
    return PendingAnswer(**{"client": "c1", "seq": 1, "dataset": "d", "session": "ann", "task_id": 1,
                            "answer": "accept", **fields})


def test_an_alignment_answer_on_a_task_with_words_has_timed_tokens_and_the_words_text():
    task = Task(1, "d", None, {"audio": "1.wav", "words": WORDS})
    # the card shows the words' text when the task has no transcript nor text
    shown = card_fields(view_blocks(["alignment"]), task.data)
    assert (shown["transcript"], shown["text"]) == ("Well, I don't know.", None)
    span = {"start": 6, "end": 18, "token_start": 2, "token_end": 4, "label": "A", "audio_span_id": "r"}
    edits = answer_edits(task, sent(regions=[{"id": "r", "start": 1.5, "end": 2.9, "label": "A"}],
                                    transcript="Well, I don't know.", spans=[span]), ["alignment"], View())
    assert edits["text"] == "Well, I don't know."
    assert [(t["text"], t.get("audio_start")) for t in edits["tokens"]] == [
        ("Well", 1.25), (",", 1.25), ("I", 1.5), ("don't", 1.8), ("know", 2.2), (".", 2.2)]
    assert edits["spans"] == [span] and edits["audio_spans"][0]["start"] == 1.5
    # an edited transcript keeps the times of the words left as they were
    edited = answer_edits(task, sent(transcript="Well, I do know."), ["alignment"], View())
    assert [(t["text"], t.get("audio_start")) for t in edited["tokens"]] == [
        ("Well", 1.25), (",", 1.25), ("I", 1.5), ("do", None), ("know", 2.2), (".", 2.2)]
    # a task without words: tokens as ever, no times
    plain = answer_edits(Task(2, "d", None, {"audio": "2.wav", "text": "no words"}), sent(), ["alignment"], View())
    assert plain["tokens"] == tokenize("no words")


def test_the_card_task_carries_the_words_checked_in_time_order():
    item = card_task(task_id=1, title="t", audio_url="/a", duration=3.0, peaks=None,
                     words=[{"start": 2.0, "end": 2.5, "text": " two ", "score": 0.25},
                            {"start": 0.5, "end": 0.75, "text": "one", "extra": 1},
                            {"start": "x", "end": 1, "text": "bad"}, {"start": True, "end": 1, "text": "bool"}],
                     regions=[{"id": "r", "start": 0, "end": 1, "label": "Diane", "score": 0.91, "profile": 0.834},
                              {"id": "s", "start": 1, "end": 2, "label": "B", "profile": True}])
    assert item.data["words"] == [{"start": 0.5, "end": 0.75, "text": "one"},
                                  {"start": 2.0, "end": 2.5, "text": "two", "score": 0.25}]
    # a region's model confidence and voice-profile similarity reach the card (the card marks the latter)
    assert item.data["regions"][0]["score"] == 0.91 and item.data["regions"][0]["profile"] == 0.834
    assert "profile" not in item.data["regions"][1]


def test_an_answer_keeps_the_region_profile_and_score_the_card_sends():
    task = Task(1, "d", None, {"audio": "1.wav"})
    region = {"id": "r", "start": 0.0, "end": 1.0, "label": "Diane", "score": 0.9, "profile": 0.834}
    edits = answer_edits(task, sent(regions=[region, {"id": "s", "start": 1, "end": 2, "label": "B",
                                                      "profile": "high"}]), ["audio_manual"], View())
    assert edits["audio_spans"][0] == region
    assert "profile" not in edits["audio_spans"][1]
