"""ELAN annotation files (.eaf), read and written with pympi-ling: a tier is a label.

An annotation is a region of its tier's label carrying the annotation's
value as its text (an empty value: a region without text; unlike a
TextGrid, an EAF annotation is there whether or not it has a value). A
reference annotation (a tier that depends on another, a translation say)
is a region over its parent's time. EAF has no points and no channels:
markers (start equals end) are not written, and a region's channel is not
carried, as in a TextGrid. Times are whole milliseconds, Earmark's precision.
"""

from __future__ import annotations

import re
import uuid
import warnings
from pathlib import Path, PurePosixPath

from pympi import Elan

from earmark.formats import FormatError, SpansFile, finite_seconds, ms

# What XML 1.0 cannot hold at all (a parser refuses the file): control characters but
# tab and line breaks, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A name is one line; in texts an XML parser reads CR and CRLF as LF, so they are written as LF.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_CR = re.compile(r"\r\n?")


def read(path: Path) -> SpansFile:
    result = SpansFile()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "unknown version of ELAN spec": read it all the same
            doc = Elan.Eaf(str(path))
    except Exception as exc:   # pympi raises bare Exceptions, KeyErrors and ValueErrors on broken files
        reason = str(exc) if type(exc) is Exception else f"{type(exc).__name__}: {exc}"
        result.problems.append(FormatError(str(path), f"not a readable EAF: {reason}"))
        return result
    stem = path.stem
    for name in sorted(doc.tiers, key=lambda t: doc.tiers[t][3]):   # in file order
        where = f"{path} (tier {name!r})"
        aligned, refs = doc.tiers[name][0], doc.tiers[name][1]
        entries = []
        for start_slot, end_slot, value, _ in aligned.values():
            entries.append((doc.timeslots.get(start_slot), doc.timeslots.get(end_slot), value))
        for ref_id in refs:
            try:
                start, end, value, _ = _ref_times(doc, ref_id)
            except (KeyError, TypeError, RecursionError):
                result.problems.append(FormatError(where, f"annotation {ref_id!r} refers to no annotation "
                                                   "with a time; skipped"))
                continue
            entries.append((start, end, value))
        for start, end, value in sorted(entries, key=lambda e: (e[0] is None, e[0] or 0, e[1] or 0)):
            if start is None or end is None:
                result.problems.append(FormatError(where, f"an annotation ({value!r}) without a time "
                                                   "(an unaligned time slot); skipped"))
                continue
            if not finite_seconds(start, end) or start < 0 or end < start:
                result.problems.append(FormatError(where, f"annotation {start}-{end} ms is not a pair of "
                                                   "times, start <= end, >= 0"))
                continue
            span = {"id": str(uuid.uuid4()), "start": ms(start / 1000), "end": ms(end / 1000), "label": name}
            if value:
                span["text"] = value
            result.add(stem, span, where)
    return result


def _ref_times(doc: Elan.Eaf, ref_id: str, depth: int = 0) -> tuple[int, int, str, None]:
    """A reference annotation's value over the time of the aligned annotation it refers to (at any depth)."""
    tier = doc.annotations[ref_id]
    target, value = doc.tiers[tier][1][ref_id][:2]
    while depth < 100:
        target_tier = doc.annotations[target]
        if target in doc.tiers[target_tier][0]:
            start_slot, end_slot = doc.tiers[target_tier][0][target][:2]
            return doc.timeslots[start_slot], doc.timeslots[end_slot], value, None
        target = doc.tiers[target_tier][1][target][0]
        depth += 1
    raise RecursionError(ref_id)


def tier_name(label: object) -> str:
    """A label as a tier id: one line, characters XML can hold."""
    return _NOT_XML.sub("", _LINE_BREAK.sub(" ", str(label or "")))


def annotation_text(text: object) -> str:
    """A text as an annotation value: line breaks kept (as LF), characters XML cannot hold dropped."""
    return _NOT_XML.sub("", _CR.sub("\n", str(text or "")))


def write(spans: list[dict], media: str | None = None, tiers: list[str] | None = None) -> str:
    """An EAF document: a tier per label (the imported tiers in their order, then new labels as
    they come), each region an annotation; markers are left out (an EAF annotation has a
    duration). `media` (a path or URL) is linked so that ELAN finds the recording."""
    doc = Elan.Eaf(author="Earmark")
    doc.remove_tier("default")
    doc.header = {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"}   # what ELAN writes
    spans = [s for s in spans if int(round(s["end"] * 1000)) > int(round(s["start"] * 1000))]  # markers: no
    order = [tier_name(t) for t in tiers or []]
    for s in spans:
        if tier_name(s.get("label")) not in order:
            order.append(tier_name(s.get("label")))
    for name in dict.fromkeys(order):
        # as pympi's add_tier makes a tier, which refuses an empty id: an empty label is a tier too
        doc.tiers[name] = ({}, {}, {"TIER_ID": name, "LINGUISTIC_TYPE_REF": "default-lt"}, len(doc.tiers))
    for s in sorted(spans, key=lambda s: (s["start"], s["end"])):
        start, end = int(round(s["start"] * 1000)), int(round(s["end"] * 1000))
        doc.add_annotation(tier_name(s.get("label")), start, end, annotation_text(s.get("text")))
    # ELAN numbers the annotations it adds after this one
    doc.properties = [("lastUsedAnnotation", doc.maxaid)]
    if media:
        name = PurePosixPath((media.split("?", 1)[0] if "://" in media else media).replace("\\", "/")).name
        doc.add_linked_file(_media_url(media), relpath="./" + name,
                            mimetype="audio/x-wav" if name.lower().endswith(".wav") else "audio/*")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + Elan.to_string(doc)


def _media_url(media: str) -> str:
    """A file's path as a file: URL (as ELAN writes it); a URL without its query (a token, say)."""
    if "://" in media:
        return media.split("?", 1)[0]
    path = Path(media)
    return path.as_uri() if path.is_absolute() else media


def write_records(records: list[dict]) -> str:
    """One audio file's records as an EAF, linked to the recording and in the imported tiers' order."""
    from earmark.formats.export import spans_of
    first = records[0]
    meta = first.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    audio = first.get("audio")
    audio = audio if isinstance(audio, str) and audio and not audio.startswith("data:") else None
    media = first.get("path") if isinstance(first.get("path"), str) and first.get("path") else audio
    tiers = [t["name"] for t in meta.get("tiers") or [] if isinstance(t, dict) and t.get("type") == "interval"]
    return write(spans_of(records), media, tiers)


def register_formats():
    from earmark.formats.registry import NOT_CARRIED, Format
    return Format("eaf", "ELAN", (".eaf",), read, write_records, per_file=True, file_suffix=".eaf",
                  help="an ELAN file per audio file, a tier per label, linked to the recording",
                  channels=NOT_CARRIED)
