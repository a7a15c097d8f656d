"""Praat TextGrid, read and written with praatio: a tier is a label."""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path

from praatio import textgrid
from praatio.utilities.errors import PraatioException

from earmark.formats import FormatError, SpansFile, finite_seconds, ms


def read(path: Path) -> SpansFile:
    result = SpansFile()
    try:
        # empty entries too: an empty point is a point (Praat keeps it); empty intervals,
        # the gaps Praat fills a tier with, are left out below
        grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=True, reportingMode="silence")
    except (PraatioException, ValueError, IndexError, UnicodeDecodeError) as exc:
        result.problems.append(FormatError(str(path), f"not a readable TextGrid: {exc}"))
        return result
    except Exception as exc:  # praatio's parser raises other kinds on hostile files
        result.problems.append(FormatError(str(path), f"not a readable TextGrid: {type(exc).__name__}: {exc}"))
        return result
    stem = path.stem
    tiers = []
    for name in grid.tierNames:
        tier = grid.getTier(name)
        points = isinstance(tier, textgrid.PointTier)
        tiers.append({"name": name, "type": "point" if points else "interval"})
        for entry in tier.entries:
            if not points and entry.label == "":
                continue   # a gap between intervals
            times = (entry.time, entry.time) if points else (entry.start, entry.end)
            if not finite_seconds(*times) or times[0] < 0 or times[1] < times[0]:
                result.problems.append(FormatError(f"{path} (tier {name!r})", f"interval {times[0]}-{times[1]} "
                                                   "is not a pair of finite times, start <= end, >= 0"))
                continue
            span = {"id": str(uuid.uuid4()), "start": ms(times[0]), "end": ms(times[1]), "label": name}
            if entry.label not in ("", name):   # its tier's name: what `write` gives a region without text
                span["text"] = entry.label
            result.add(stem, span, f"{path} (tier {name!r})")
    result.tiers[stem] = tiers
    # Written back in the same layout: praatio reads quotes inside multi-line
    # labels differently in the two layouts, and Praat reads both. Read as praatio
    # did: UTF-16 if the file starts with its mark (Praat writes that as soon as a
    # text is not ASCII), else UTF-8.
    # Only the head is read: praatio has just read the whole file.
    try:
        with path.open(encoding="utf-16") as grid_file:
            head = grid_file.read(400)
    except UnicodeError:
        with path.open(encoding="utf-8") as grid_file:
            head = grid_file.read(400)
    result.grid_format[stem] = "long_textgrid" if "xmin =" in head else "short_textgrid"
    return result


_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def tier_name(label: object) -> str:
    """A label as a tier name: one line (praatio reads a name only up to its first line break).

    Texts keep their line breaks: Praat and praatio read them inside the quotes,
    and praatio doubles the quotes in names and texts as Praat's syntax wants.
    """
    return _LINE_BREAK.sub(" ", str(label or ""))


def write(spans: list[dict], duration: float, tiers: list[dict] | None = None,
          layout: str = "long_textgrid") -> str:
    """A TextGrid (Praat's long layout unless told); tiers in the imported order, then new labels."""
    order = [tier_name(t["name"]) for t in tiers or []]
    kinds = {tier_name(t["name"]): t["type"] for t in tiers or []}
    for s in spans:
        label = tier_name(s.get("label"))
        if label not in kinds:
            order.append(label)
            kinds[label] = "point" if s["end"] == s["start"] else "interval"
    end = max([duration, *(s["end"] for s in spans)])
    grid = textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=end)
    for name in order:
        mine = sorted((s for s in spans if tier_name(s.get("label")) == name), key=lambda s: s["start"])
        # A region without text is written with its label as text: an empty interval
        # is a gap to Praat (and to any reader), and the region would be lost.
        if kinds[name] == "point":
            points = [(s["start"], s.get("text") or name) for s in mine]
            grid.addTier(textgrid.PointTier(name, points, 0.0, end))
        else:
            entries = [(s["start"], s["end"], s.get("text") or name) for s in mine]
            grid.addTier(textgrid.IntervalTier(name, entries, 0.0, end))
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.TextGrid"
        grid.save(str(target), format=layout if layout in ("long_textgrid", "short_textgrid") else "long_textgrid", includeBlankSpaces=True, reportingMode="silence")
        return target.read_text(encoding="utf-8")


def write_records(records: list[dict]) -> str:
    """One audio file's records as a TextGrid: its length, tiers and layout from the task's meta."""
    from earmark.formats.export import spans_of
    given = records[0].get("meta")
    meta = given if isinstance(given, dict) else {}
    return write(spans_of(records), float(meta.get("duration") or 0), meta.get("tiers"),
                 meta.get("textgrid_format") or "long_textgrid")


def register_formats():
    from earmark.formats.registry import NOT_CARRIED, Format
    return Format("textgrid", "Praat TextGrid", (".textgrid",), read, write_records, per_file=True,
                  file_suffix=".TextGrid", help="a TextGrid per audio file, a tier per label",
                  channels=NOT_CARRIED)
