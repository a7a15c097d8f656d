"""Views as blocks: the parts of the annotation card, and the views made of them.

A `Block` is one part of the card: what it draws (the waveform with read-only
regions, the region editor, the transcript field, the text-span panel), whether
the annotator edits regions with it, and what it adds to an answer. A view is a
list of blocks (`VIEWS`, the views of design.md); a dataset's view, or its
`blocks` setting (names of views or of blocks, e.g. `["audio_manual",
"transcript"]`), gives the blocks of its card. The Annotate page, the card, the
answers and Review ask the blocks; none of them names a view.

Blocks act in the order of `BLOCKS`: the waveform first (an answer keeps the
task's own regions), the region editor then replaces them with the annotator's,
so a view with both edits regions. A new view of existing blocks is one line
(`register_view("name", ["waveform", "transcript"])`, or one entry of `VIEWS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from earmark.loading.tokenize import timed_tokens, words_text

if TYPE_CHECKING:
    from earmark.annotations import Task

log = logging.getLogger(__name__)
_warned: set[str] = set()     # unknown names already logged (a `blocks` setting is read on every run)


@dataclass(frozen=True)
class CardEdits:
    """What the card sent for a task: its regions (in file time, checked), transcript and text spans."""
    regions: list[dict]
    transcript: str | None = None
    spans: list | None = None


@dataclass(frozen=True)
class Block:
    """One part of the annotation card.

    `card` is the name the card's component draws the part by (its `blocks`
    argument: "transcript" a text field, "alignment" a text field with the
    text-span panel); None for the waveform, which is always drawn, editable or
    not by `editable`. `adds` are the annotation keys its answer carries;
    `answer(task, sent, so_far)` gives them, `shows(source)` what the card shows
    of a task (or of an annotation reopened) for it, as `card_task` fields."""
    name: str
    title: str
    editable: bool
    card: str | None
    adds: tuple[str, ...]
    answer: Callable[["Task", CardEdits, dict], dict]
    shows: Callable[[dict], dict]


def whole_number(value: object) -> int | None:
    """A JSON value as an int when it is a whole number (1 or 1.0), else None (True is no number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# -- what each block adds to an answer ----------------------------------------
# What a relabelling from voice profiles changes in a region (earmark.profiles).
_NAMING_KEYS = ("label", "score", "profile", "color")


def _same_place(stored: dict, shown: dict) -> bool:
    def number(value: object) -> float | None:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    times = [(number(stored.get(k)), number(shown.get(k))) for k in ("start", "end")]
    return (all(a is not None and b is not None and abs(a - b) <= 0.0015 for a, b in times)
            and stored.get("channel") == shown.get("channel"))


def _task_regions(task: "Task", sent: CardEdits, so_far: dict) -> dict:
    """The annotator could not change them: the answer keeps the task's own, whatever was
    sent, but for the names voice profiles gave. A task queued on a card behind the two it
    may show may be relabelled there (earmark.db.queries.tasks.SHOWN_AHEAD), and answered
    in a burst before the page sends the card its new labels: a region a profile named
    (it carries `profile`) that the card showed in the same place under its former label
    is answered with the label, score and similarity the annotator saw."""
    shown = {str(r.get("id")): r for r in sent.regions if isinstance(r, dict)}
    regions = []
    for stored in task.data.get("audio_spans") or []:
        region = dict(stored)
        seen = shown.get(str(region.get("id")))
        if seen is not None and "profile" in region and _same_place(region, seen):
            for key in _NAMING_KEYS:
                region.pop(key, None)
                if key in seen:
                    region[key] = seen[key]
        regions.append(region)
    return {"audio_spans": regions}


def _edited_regions(task: "Task", sent: CardEdits, so_far: dict) -> dict:
    return {"audio_spans": list(sent.regions)}


def _typed_transcript(task: "Task", sent: CardEdits) -> str:
    return sent.transcript if sent.transcript is not None else (task.data.get("transcript") or "")


def _transcript(task: "Task", sent: CardEdits, so_far: dict) -> dict:
    transcript = _typed_transcript(task, sent)
    edits: dict = {"transcript": transcript}
    segment = task.data.get("segment")
    if segment and not so_far.get("audio_spans") and transcript.strip():
        # segment by segment transcription: the segment's times are the text's timestamps
        region = {"id": f"segment-{task.id}", "start": segment["start"], "end": segment["end"],
                  "label": "TRANSCRIPT", "text": transcript}
        channel = (task.data.get("meta") or {}).get("channel")
        if channel is not None:
            region["channel"] = channel
        edits["audio_spans"] = [region]
    return edits


def _text_spans(task: "Task", sent: CardEdits, so_far: dict) -> dict:
    # the text field edits the text the spans lie on: it is the transcript and the text
    words = task.data.get("words") if isinstance(task.data.get("words"), list) else None
    text = sent.transcript if sent.transcript is not None else (task.data.get("text") or words_text(words or []))
    spans = []
    for span in sent.spans or []:
        if not isinstance(span, dict):
            raise ValueError("a text span is not an object")
        start, end = whole_number(span.get("start")), whole_number(span.get("end"))
        if start is None or end is None or not 0 <= start <= end <= len(text):
            raise ValueError("a text span lies outside the text")
        clean = {"start": start, "end": end, "label": span.get("label")}
        for key in ("token_start", "token_end"):
            if whole_number(span.get(key)) is not None:
                clean[key] = whole_number(span[key])
        if isinstance(span.get("audio_span_id"), str):
            clean["audio_span_id"] = span["audio_span_id"]
        spans.append(clean)
    # tokens over recognised words carry the words' times (a text span then knows its audio time)
    return {"transcript": _typed_transcript(task, sent), "text": text, "tokens": timed_tokens(text, words),
            "spans": spans}


# -- what the card shows for each block ---------------------------------------
def _nothing(source: dict) -> dict:
    return {}


def _shows_transcript(source: dict) -> dict:
    return {"transcript": source.get("transcript") or ""}


def _shows_text_spans(source: dict) -> dict:
    # a task with a text and no transcript starts with its text (else an unchanged answer
    # would store an empty text, and its spans would lie outside it)
    text = source.get("text") if isinstance(source.get("text"), str) else None
    if text is None and not source.get("transcript") and isinstance(source.get("words"), list):
        text = words_text(source["words"]) or None   # recognised words and nothing else: their text
    return {"transcript": source.get("transcript") or text or "", "text": source.get("text"),
            "spans": source.get("spans") or []}


BLOCKS: dict[str, Block] = {b.name: b for b in (
    Block("waveform", "waveform with read-only regions", False, None, ("audio_spans",), _task_regions, _nothing),
    Block("regions", "region editor", True, None, ("audio_spans",), _edited_regions, _nothing),
    Block("transcript", "transcript field", False, "transcript", ("transcript",), _transcript,
          _shows_transcript),
    Block("text_spans", "text spans over the transcript's tokens, each linkable to a region", False,
          "alignment", ("transcript", "text", "tokens", "spans"), _text_spans, _shows_text_spans),
)}

# the views of design.md: name -> its blocks
VIEWS: dict[str, tuple[str, ...]] = {
    "audio": ("waveform",),
    "audio_manual": ("regions",),
    "transcript": ("waveform", "transcript"),
    "alignment": ("regions", "text_spans"),
}


def register_view(name: str, blocks: Sequence[str], *, replace: bool = False) -> None:
    """A view made of existing blocks, usable as a dataset's view from now on in this process."""
    unknown = [b for b in blocks if b not in BLOCKS]
    if unknown or not blocks:
        raise ValueError(f"view {name!r}: give blocks among {', '.join(BLOCKS)}, not {unknown or 'none'}")
    if not name or "+" in name or (name in BLOCKS and tuple(blocks) != (name,)):
        raise ValueError(f"view name {name!r}: not empty, no '+', not a block's name")
    if name in VIEWS and not replace:
        raise ValueError(f"a view named {name!r} exists already")
    VIEWS[name] = tuple(blocks)


def unregister_view(name: str) -> None:
    VIEWS.pop(name, None)


def view_names() -> list[str]:
    return list(VIEWS)


def view_blocks(names: Iterable[str]) -> list[Block]:
    """The blocks of views (or blocks) named, each once, in the order of BLOCKS; unknown names are left out."""
    wanted: set[str] = set()
    for name in names:
        if name in VIEWS:
            wanted.update(VIEWS[name])
        elif name in BLOCKS:
            wanted.add(name)
        elif name and name not in _warned:
            _warned.add(name)
            log.warning("no view or block named %r: left out", name)
    return [block for block in BLOCKS.values() if block.name in wanted]


def editable(blocks: Iterable[Block]) -> bool:
    """Whether the annotator edits regions on a card of these blocks."""
    return any(b.editable for b in blocks)


def card_parts(blocks: Iterable[Block]) -> list[str]:
    """The card component's `blocks` argument: the parts it draws besides the waveform."""
    return list(dict.fromkeys(b.card for b in blocks if b.card))


def card_fields(blocks: Iterable[Block], source: dict) -> dict:
    """What the card shows of `source` (a task, or an annotation reopened) for these blocks."""
    fields: dict = {"transcript": None, "text": None, "spans": []}
    for block in blocks:
        fields.update(block.shows(source))
    return fields


def answer_of(blocks: Iterable[Block], task: "Task", sent: CardEdits) -> dict:
    """The keys an answer adds to the task: each block's, in order (ValueError for what cannot be stored)."""
    edits: dict = {}
    for block in blocks:
        edits.update(block.answer(task, sent, edits))
    return edits


def review_blocks(annotation: dict) -> list[Block]:
    """The blocks whose edits Review shows for an annotation: those of the view it was made
    in (`_view_id`), and any other whose keys it carries."""
    made_in = {b.name for b in view_blocks(str(annotation.get("_view_id") or "").split("+"))}
    return [b for b in BLOCKS.values()
            if b.name in made_in or (b.adds and all(key in annotation for key in b.adds))]


__all__ = ["Block", "CardEdits", "BLOCKS", "VIEWS", "register_view", "unregister_view", "view_names",
           "view_blocks", "editable", "card_parts", "card_fields", "answer_of", "review_blocks"]
