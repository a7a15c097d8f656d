"""Files an export writes: names that stay in their folder, contents that appear whole.

Every name an export builds from data (a dataset, a task's `file` or `path`,
an annotator's session, a clip) goes through `safe_component`: one path
component, never `..`, a separator, a leading dot or a control character.
`NameAllocator` keeps two files whose names sanitise alike apart, and
`inside` refuses any path that would resolve outside its folder (a symlink
planted in it, say).

`atomic_open` writes to a temporary file beside the target and renames it
over the target only once the content is complete: an export that fails or
is killed leaves the previous file as it was. The temporary file is hidden
(`.NAME.PID.XXXX.partial`), deleted when the write fails, and, when a killed
process left one, deleted by the next write of the same target.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

#: A component is at most this many characters and UTF-8 bytes (file systems allow 255 bytes;
#: a suffix, an annotator and a counter still have to fit).
MAX_COMPONENT_CHARS = 100
MAX_COMPONENT_BYTES = 160
# Letters, digits and marks of any script, and these: kept as they are.
_KEPT_PUNCTUATION = set("-_.,+=@()[] ")
_PARTIAL = ".partial"
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$")


class UnsafePathError(ValueError):
    """A path built for an export that would land outside its folder."""


def safe_component(name: object, fallback: str | None = "unnamed") -> str:
    """`name` as one safe file-name component (see the module docstring).

    Characters other than letters, digits, marks (any script) and a few
    punctuation marks become `_`; leading dots, dashes and spaces and trailing
    dots and spaces go; the result is cut to `MAX_COMPONENT_CHARS` characters and
    `MAX_COMPONENT_BYTES` bytes. An empty result is `fallback` (itself made safe).
    """
    text = unicodedata.normalize("NFC", str(name if name is not None else ""))
    kept = "".join(c if c in _KEPT_PUNCTUATION or unicodedata.category(c)[0] in "LNM" else "_"
                   for c in text)
    # no leading dot (hidden, or `..`) and no leading dash (read as an option by shell commands)
    kept = re.sub(r"_{2,}", "_", re.sub(r"\s+", " ", kept)).lstrip(". -").rstrip(". ")
    kept = kept[:MAX_COMPONENT_CHARS]
    while len(kept.encode("utf-8")) > MAX_COMPONENT_BYTES:
        kept = kept[:-1]
    kept = kept.rstrip(". ")
    if not kept or set(kept) == {"_"}:
        return "unnamed" if fallback is None else safe_component(fallback, None)
    if _WINDOWS_RESERVED.match(kept):
        kept = "_" + kept
    return kept


class NameAllocator:
    """File names in one folder, each used once: a second `rec.vtt` becomes `rec-2.vtt`.

    Names are compared case-folded, so that two files never overwrite each
    other on a case-insensitive file system either.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, stem: str, suffix: str) -> str:
        n = 1
        while True:
            name = f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}"
            if name.casefold() not in self.used:
                self.used.add(name.casefold())
                return name
            n += 1


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused unless it resolves to a direct child of `folder`."""
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise UnsafePathError(f"{name!r} is not a file name")
    target = folder / name
    root = folder.resolve()
    resolved = target.resolve()
    if not resolved.is_relative_to(root) or resolved.parent != root:
        raise UnsafePathError(f"{target} would be written outside {root} (as {resolved})")
    return target


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open `path` for writing whole: the target changes only when the block ends without error.

    `mode` is "w" (text, with `encoding` and `newline`) or "wb". A target that
    is not a regular file (`/dev/stdout`, a pipe) is written directly: it
    cannot be replaced, and there is no previous content to keep.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes with 'w' or 'wb', not {mode!r}")
    target = Path(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if stat.S_ISDIR(existing.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
        with open(target, mode, encoding=None if mode == "wb" else encoding,
                  newline=None if mode == "wb" else newline) as fh:
            yield fh
        return
    permissions = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    directory = target.parent if str(target.parent) else Path(".")
    fd, temp_name = _temporary(directory, target.name, permissions)
    fh = os.fdopen(fd, mode, encoding=None if mode == "wb" else encoding,
                   newline=None if mode == "wb" else newline)
    replaced = False
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())   # the content is on disk before the name points at it
        fh.close()
        os.replace(temp_name, target)
        replaced = True
    finally:
        if not fh.closed:
            fh.close()
        if not replaced:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _temporary(directory: Path, name: str, permissions: int) -> tuple[int, str]:
    """An open, hidden file beside the target, named after it and this process."""
    _remove_abandoned(directory, name)
    fd, temp = tempfile.mkstemp(prefix=f".{name[:80]}.{os.getpid()}.", suffix=_PARTIAL, dir=directory)
    os.fchmod(fd, permissions)
    return fd, temp


def _remove_abandoned(directory: Path, name: str) -> None:
    """Delete the temporary files that killed writes left in `directory` (their process is gone).

    Once per folder and process: a folder export writes thousands of files
    into one folder, and listing it for each would cost more than the writes.
    """
    key = str(directory.resolve())
    with _scanned_lock:
        if key in _scanned:
            return
        _scanned.add(key)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        parts = entry.name[: -len(_PARTIAL)].rsplit(".", 2) if entry.name.endswith(_PARTIAL) else []
        if (len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit()
                and _MKSTEMP_PART.fullmatch(parts[2]) and not _alive(int(parts[1]))):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


_scanned: set[str] = set()
_scanned_lock = threading.Lock()
_MKSTEMP_PART = re.compile(r"[a-z0-9_]{8}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
