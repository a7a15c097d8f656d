"""The Python tokenizer against the table the TypeScript one is tested on.

`components/waveform/frontend/test/fixtures/tokens.json` holds tokenization and
text-span cases worked out by hand; `test/spans.test.ts` checks the browser's
tokenizer against the same file, so both sides give the same tokens and the
same offsets (code points) for every case, emoji and odd whitespace included.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from earmark.loading.tokenize import span_from_tokens, tokenize

FIXTURE = Path(__file__).resolve().parents[2] / "components/waveform/frontend/test/fixtures/tokens.json"
TABLE = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", TABLE["tokens"], ids=lambda c: c["why"][:40])
def test_tokens_match_the_shared_table(case):
    text = case["text"]
    expected = [{"text": t, "start": s, "end": e, "id": i, "ws": ws}
                for i, (t, s, e, ws) in enumerate(case["tokens"])]
    assert tokenize(text) == expected
    for token in expected:
        assert text[token["start"]:token["end"]] == token["text"]


@pytest.mark.parametrize("case", TABLE["spans"], ids=lambda c: c["covers"])
def test_spans_match_the_shared_table(case):
    tokens = tokenize(case["text"])
    span = span_from_tokens(tokens, case["token_start"], case["token_end"], case["label"],
                            case.get("audio_span_id"))
    assert span == case["span"]
    assert case["text"][span["start"]:span["end"]] == case["covers"]


def test_the_table_covers_what_differs_between_the_two_regex_engines():
    """The cases where a naive JavaScript port would differ are in the table."""
    texts = "".join(case["text"] for case in TABLE["tokens"])
    assert any(ord(ch) > 0xFFFF for ch in texts)          # UTF-16 surrogate pairs
    assert "\u001c" in texts and "\u0085" in texts        # spaces to Python, not to JS \s
    assert "\ufeff" in texts                              # a space to JS \s, not to Python
    assert "\u0308" in texts                              # a combining mark: not \w in Python
    # The whitespace the TypeScript side spells out is exactly Python's \s.
    spaces = {chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and re.match(r"\s", chr(c))}
    assert spaces == set("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                         + "".join(chr(c) for c in range(0x2000, 0x200B)))
