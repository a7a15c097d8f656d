"""A full disk for tests: simulated in the store's cursor, or real on a small tmpfs.

What DuckDB 2.0 raised when the disk filled (measured on a 2 MB tmpfs):
a commit whose write-ahead log cannot grow raises TransactionException with
the message below and keeps nothing of the transaction; the simulation raises
exactly that.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb

ENOSPC_COMMIT = ('TransactionContext Error: Failed to commit: Could not write file "{path}.wal": '
                 "No space left on device")


class _FullDiskCursor:
    """A cursor whose COMMIT fails as DuckDB's does on a full disk, while `disk.full`."""

    def __init__(self, cur, disk: "SimulatedDisk"):
        self._cur, self._disk = cur, disk

    def execute(self, sql, params=None):
        if self._disk.full and sql.strip().upper() == "COMMIT":
            self._disk.failed_commits += 1
            self._cur.execute("ROLLBACK")  # DuckDB rolls the transaction back itself
            raise duckdb.TransactionException(ENOSPC_COMMIT.format(path=self._disk.path))
        return self._cur.execute(sql) if params is None else self._cur.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self._cur, name)


class SimulatedDisk:
    """Makes every commit of `store` fail with ENOSPC while `full` is true."""

    def __init__(self, store, monkeypatch):
        self.path, self.full, self.failed_commits = store.path, False, 0
        real = store.cursor
        monkeypatch.setattr(store, "cursor", lambda: _FullDiskCursor(real(), self))


class Tmpfs:
    """A small tmpfs mounted for a test (needs root), and a file that fills it."""

    def __init__(self, where: Path, size: str = "64m"):
        self.where = where
        where.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
        self.mounted = done.returncode == 0
        self.error = done.stderr.strip()
        self.filler = where / "filler"

    def fill(self) -> None:
        """Leave no free block (unbuffered writes until ENOSPC)."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 20, 1 << 12, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.where)], capture_output=True)
