"""A plain tokenizer for transcripts: words (with inner ' and -), numbers, punctuation.

Tokens carry character offsets, as Prodigy's `tokens` do, so that labelled
text spans can be stored as character ranges and token ranges at once.

A task with recognised `words` (`{"start", "end", "text"}` in file time) has
tokens with times: `timed_tokens` tokenizes the text as `tokenize` does (the
card's tokenizer gives the same tokens, so offsets agree everywhere) and gives
each token that matches its word in order `audio_start` and `audio_end`, the
time of the word it lies in ("Hello," is two tokens, both with the time of the
word "Hello,"). Matching is by token text, in order, looking at most
`LOOKAHEAD` word tokens ahead, so a transcript edited after recognition keeps
the times of the words left unchanged; a token typed in has none. The card's
`timeTokens` (frontend `src/words.ts`) is the same algorithm, both tested on
`frontend/test/fixtures/timed_tokens.json`.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
# how many word tokens past the last match a token may match (a word dropped or typed over)
LOOKAHEAD = 8


def tokenize(text: str) -> list[dict]:
    """`[{"text", "start", "end", "id", "ws"}]` for `text` (ws: a space follows)."""
    tokens = []
    for i, match in enumerate(_TOKEN.finditer(text)):
        end = match.end()
        tokens.append({"text": match.group(), "start": match.start(), "end": end, "id": i,
                       "ws": end < len(text) and text[end].isspace()})
    return tokens


def _word_text(word: object) -> str:
    text = word.get("text") if isinstance(word, dict) else None
    return text.strip() if isinstance(text, str) else ""


def _has_times(word: object) -> bool:
    return isinstance(word, dict) and all(
        isinstance(word.get(k), (int, float)) and not isinstance(word.get(k), bool) for k in ("start", "end"))


def words_text(words: list[dict]) -> str:
    """The text of recognised words: their texts joined with single spaces."""
    return " ".join(t for t in (_word_text(w) for w in words) if t)


def timed_tokens(text: str, words: list[dict] | None) -> list[dict]:
    """`tokenize(text)`, each token matched to a recognised word carrying its `audio_start`/`audio_end`."""
    tokens = tokenize(text)
    if not words:
        return tokens
    targets = [(t["text"], w) for w in words if _has_times(w) for t in tokenize(_word_text(w))]
    j = 0
    for token in tokens:
        for k in range(j, min(len(targets), j + LOOKAHEAD)):
            if targets[k][0] == token["text"]:
                word = targets[k][1]
                token["audio_start"], token["audio_end"] = float(word["start"]), float(word["end"])
                j = k + 1
                break
    return tokens


def span_from_tokens(tokens: list[dict], token_start: int, token_end: int, label: str,
                     audio_span_id: str | None = None) -> dict:
    """A text span covering tokens `token_start`..`token_end` (inclusive)."""
    span = {"start": tokens[token_start]["start"], "end": tokens[token_end]["end"],
            "token_start": token_start, "token_end": token_end, "label": label}
    if audio_span_id:
        span["audio_span_id"] = audio_span_id
    return span
