"""The formats Earmark reads and writes, registered like plug-ins.

A format is one `Format`: its name (`--format NAME`), a title (the Export
page, help texts), the spans-file suffixes it reads (`load --spans`), and how
it writes. The command line's choices and help, the Export page's list, the
suffixes `load --spans` accepts and its error messages all come from here.

The built-in formats are registered as a plug-in's are: each module in
`BUILT_IN` has a `register_formats()` hook returning its formats, called in
that order (the order the command line and the Export page list them in).
Installed packages add theirs through the entry-point group
`earmark.formats`; an entry point names a `Format`, a list of them, or a
function (or module with `register_formats`) returning them. Entry points
are loaded once per process; one that fails is named in `plugin_problems()`
and left out, and the rest work.

A format writes in one of three ways:
- `write` with `per_file`: the records of one audio file (and annotator)
  to the text of one file, `file_suffix` its suffix (a folder; a ZIP on the
  Export page);
- `stream`: the whole dataset to one text stream (stdout or `--out`;
  downloaded as `<dataset><file_suffix>`);
- `folder`: the whole dataset into a folder it fills itself (clips).

Channels follow one rule: counted from 1 (1 is the left) wherever people
read them, as the pages and RTTM do; 0-based only where a format says so,
as the task format (JSONL's `channel` and `meta.channel`) does. A format's
`channels` says which, and README's formats table says the same.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from earmark.db.store import Store
    from earmark.formats import SpansFile
    from earmark.formats.jsonl_csv import ExportFilter

ENTRY_POINT_GROUP = "earmark.formats"

#: A format's `channels` when it has no channel field: its regions read back on all channels.
NOT_CARRIED = "not carried"

#: The built-in formats' modules, in the order their formats are listed.
BUILT_IN = (
    "earmark.formats.jsonl_csv",
    "earmark.formats.rttm",
    "earmark.formats.textgrid",
    "earmark.formats.eaf",
    "earmark.formats.subtitles",
    "earmark.formats.audacity",
    "earmark.formats.nemo",
    "earmark.formats.export",
)


@dataclass(frozen=True)
class Format:
    name: str                                   # `--format NAME`; lower case, no spaces
    title: str                                  # "Praat TextGrid": the Export page, help texts
    suffixes: tuple[str, ...] = ()              # spans files `read` takes, lower case with the dot
    read: Callable[[Path], SpansFile] | None = None
    write: Callable[[list[dict]], str] | None = None   # per file: one audio file's records -> its text
    per_file: bool = False
    stream: Callable[[Store, str, TextIO, ExportFilter | None], int] | None = None
    folder: Callable[[Store, str, Path, ExportFilter | None], int] | None = None
    file_suffix: str = ""                       # per file: each file's; stream: the download's
    mime: str = "text/plain"                    # of a stream's download (per-file and folder: a ZIP)
    skips_ignored: bool = False                 # per file: segments answered `ignore` are left out
    export_title: str = ""                      # the Export page's name; default: title, "(zip)" if a ZIP
    help: str = ""                              # what the export holds: Export page caption, README
    counted: str = "records"                    # what a stream's count counts: "wrote N <counted>"
    channels: str = ""                          # how it numbers channels (README's formats table); "": unsaid

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip() or " " in self.name:
            raise ValueError(f"a format's name is one word, not {self.name!r}")
        ways = [w for w in ("write", "stream", "folder") if getattr(self, w) is not None]
        if len(ways) > 1:
            raise ValueError(f"format {self.name!r} writes one way, not {' and '.join(ways)}")
        if self.per_file != (self.write is not None):
            raise ValueError(f"format {self.name!r}: `write` is for per-file formats, and they need it")
        if self.suffixes and self.read is None:
            raise ValueError(f"format {self.name!r} names suffixes to read but has no `read`")
        if any(not s.startswith(".") or s != s.lower() for s in self.suffixes):
            raise ValueError(f"format {self.name!r}: suffixes are lower case and start with '.'")

    @property
    def writes(self) -> bool:
        return self.write is not None or self.stream is not None or self.folder is not None

    @property
    def archived(self) -> bool:
        """Downloaded from the Export page as a ZIP (it writes more than one file)."""
        return self.per_file or self.folder is not None

    @property
    def label(self) -> str:
        """The Export page's name for it."""
        return self.export_title or (f"{self.title} (zip)" if self.archived else self.title)


_formats: dict[str, Format] = {}
_problems: list[str] = []
_loaded = False    # set once every built-in and plug-in is in: other threads wait on the lock till then
_loading = False   # a hook that asks for the registry while it loads sees what is there so far
_lock = threading.RLock()


def register_format(fmt: Format, *, replace: bool = False) -> Format:
    """Add a format (after those already registered). A name or read suffix
    already taken is a ValueError, unless `replace` (then it takes the place
    of the format of that name)."""
    with _lock:
        _load()
        _add(fmt, replace)
    return fmt


def unregister_format(name: str) -> None:
    with _lock:
        _load()
        _formats.pop(name, None)


def get_format(name: str) -> Format | None:
    return _all().get(name)


def format_named(name: str) -> Format:
    """The format registered as `name`, for callers that offered only registered names."""
    found = _all().get(name)
    if found is None:
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(_all())}")
    return found


def formats() -> list[Format]:
    """Every registered format, in registration order."""
    return list(_all().values())


def writers() -> list[Format]:
    return [f for f in formats() if f.writes]


def readers() -> dict[str, Format]:
    """Read suffix (lower case, with the dot) -> the format that reads it."""
    return {suffix: f for f in formats() for suffix in f.suffixes}


def plugin_problems() -> list[str]:
    """A line per plug-in that could not be registered, naming it and why."""
    _all()
    return list(_problems)


def spans_titles() -> str:
    """The formats `load --spans` reads, for help texts: "RTTM (.rttm), ... or JSONL (.jsonl)"."""
    names = [f"{f.title} ({', '.join(f.suffixes)})" for f in formats() if f.suffixes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _all() -> dict[str, Format]:
    if not _loaded:
        with _lock:
            _load()
    return _formats


def _add(fmt: Format, replace: bool) -> None:
    if not isinstance(fmt, Format):
        raise ValueError(f"{fmt!r} is not a Format")
    if fmt.name in _formats and not replace:
        raise ValueError(f"a format named {fmt.name!r} is registered already")
    taken = {s: f.name for f in _formats.values() if f.name != fmt.name for s in f.suffixes}
    clash = [s for s in fmt.suffixes if s in taken]
    if clash:
        raise ValueError(f"format {fmt.name!r}: {clash[0]} is read by {taken[clash[0]]!r} already")
    _formats[fmt.name] = fmt


def _load() -> None:
    """The built-ins, then the installed plug-ins: once per process (call it holding `_lock`)."""
    global _loaded, _loading
    if _loaded or _loading:
        return
    _loading = True
    try:
        _load_all()
    finally:
        _loading = False
    _loaded = True


def _load_all() -> None:
    _formats.clear()
    _problems.clear()
    for module in BUILT_IN:
        for fmt in _hook_result(importlib.import_module(module)):
            _add(fmt, replace=False)
    for entry in _entry_points():
        try:
            found = _hook_result(entry.load())
            for fmt in found:
                _add(fmt, replace=False)
        except Exception as exc:   # a broken plug-in never stops the command line or the app
            _problems.append(f"format plug-in {entry.name!r} ({entry.value}) not loaded: "
                             f"{type(exc).__name__}: {exc}")


def _entry_points() -> list[metadata.EntryPoint]:
    try:
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception as exc:   # an unreadable installed distribution's metadata
        _problems.append(f"format plug-ins not read: {type(exc).__name__}: {exc}")
        return []


def _hook_result(found: Any) -> list[Format]:
    """What a hook gave: a Format, several, or a module or function giving them."""
    if hasattr(found, "register_formats"):
        found = found.register_formats
    if callable(found) and not isinstance(found, Format):
        found = found()
    if isinstance(found, Format):
        return [found]
    if isinstance(found, Iterable) and not isinstance(found, (str, bytes)):
        found = list(found)
        if all(isinstance(f, Format) for f in found):
            return found
    raise ValueError(f"gave {found!r}, not a Format or a list of them")
