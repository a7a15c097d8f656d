"""A plain tokenizer for transcripts: words (with inner ' and -), numbers, punctuation.

Tokens carry character offsets, as Prodigy's `tokens` do, so that labelled
text spans can be stored as character ranges and token ranges at once.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[dict]:
    """`[{"text", "start", "end", "id", "ws"}]` for `text` (ws: a space follows)."""
    tokens = []
    for i, match in enumerate(_TOKEN.finditer(text)):
        end = match.end()
        tokens.append({"text": match.group(), "start": match.start(), "end": end, "id": i,
                       "ws": end < len(text) and text[end].isspace()})
    return tokens


def span_from_tokens(tokens: list[dict], token_start: int, token_end: int, label: str,
                     audio_span_id: str | None = None) -> dict:
    """A text span covering tokens `token_start`..`token_end` (inclusive)."""
    span = {"start": tokens[token_start]["start"], "end": tokens[token_end]["end"],
            "token_start": token_start, "token_end": token_end, "label": label}
    if audio_span_id:
        span["audio_span_id"] = audio_span_id
    return span
