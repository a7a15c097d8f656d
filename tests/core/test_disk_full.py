"""A full disk, a read-only file system, no permission: StoreError in words, and recovery."""

from __future__ import annotations

import errno
import os

import duckdb
import pytest
from diskfull import SimulatedDisk, Tmpfs

from earmark.annotations import get_task, save_annotation
from earmark.loading.loader import load_sources
from earmark.db.store import Store, StoreError, io_reason

FULL = "the database could not be written: no space left on the device"


@pytest.fixture
def loaded(store, corpus):
    ids = load_sources(store, "d", [corpus / "formats"], peaks=False).task_ids
    return store, get_task(store, ids[0])


def test_a_commit_on_a_full_disk_is_one_store_error_and_keeps_nothing(loaded, monkeypatch):
    store, task = loaded
    disk = SimulatedDisk(store, monkeypatch)
    disk.full = True
    with pytest.raises(StoreError) as caught:
        save_annotation(store, task, "accept", "ann", edits={"audio_spans": [
            {"id": "r", "start": 0.1, "end": 0.2, "label": "A"}]})
    assert caught.value.message == FULL and caught.value.reason == "no space left on the device"
    assert str(caught.value) == f"{FULL} ({store.path})"
    assert disk.failed_commits == 1  # not retried as if it were a conflict between threads
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 0
    disk.full = False                # space returns: the same answer saves, once
    save_annotation(store, task, "accept", "ann", edits={"audio_spans": [
        {"id": "r", "start": 0.1, "end": 0.2, "label": "A"}]})
    assert store.query("SELECT count(*) FROM annotations") == [(1,)]
    assert store.query("SELECT count(*) FROM spans") == [(1,)]


def test_a_durable_commit_whose_checkpoint_failed_counts_as_saved(loaded, monkeypatch):
    """DuckDB: "COMMIT succeeded and is durable, but the autocheckpoint failed"; it
    also invalidates the database until reopened. The answer is saved, once."""
    store, task = loaded
    real = store.cursor
    state = {"fail": True}

    class CheckpointFails:
        def __init__(self, cur):
            self._cur = cur

        def execute(self, sql, params=None):
            result = self._cur.execute(sql) if params is None else self._cur.execute(sql, params)
            if sql == "COMMIT" and state["fail"]:
                state["fail"] = False
                raise duckdb.FatalException(
                    "FATAL Error: Transaction COMMIT succeeded and is durable, but the autocheckpoint "
                    "failed. Reopen the database instance to recover. Failed to create checkpoint because "
                    f'of error: Could not write file "{store.path}": No space left on device')
            return result

        def __getattr__(self, name):
            return getattr(self._cur, name)
    monkeypatch.setattr(store, "cursor", lambda: CheckpointFails(real()))
    generation = store._generation
    annotation_id = save_annotation(store, task, "accept", "ann")
    assert store._generation == generation + 1  # the connection was reopened
    assert store.query("SELECT id FROM annotations") == [(annotation_id,)]


@pytest.mark.parametrize("exc,words", [
    (OSError(errno.ENOSPC, "No space left on device"), "no space left on the device"),
    (OSError(errno.EROFS, "Read-only file system"), "the file system is read-only"),
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    (duckdb.IOException('IO Error: Could not write file "x.duckdb": No space left on device'),
     "no space left on the device"),
    (duckdb.IOException('IO Error: Cannot open file "x.duckdb": Read-only file system'),
     "the file system is read-only"),
    (duckdb.IOException('IO Error: Cannot open file "x.duckdb": Permission denied'), "permission denied"),
    (duckdb.ConstraintException("Duplicate key"), None),
])
def test_io_reasons_in_words(exc, words):
    assert io_reason(exc) == words


def test_opening_in_a_read_only_place_is_a_store_error(tmp_path, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Read-only file system')
    monkeypatch.setattr(duckdb, "connect", refuse)
    with pytest.raises(StoreError, match="^the database could not be created: the file system is read-only"):
        Store(tmp_path / "ro.duckdb")


def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))
    monkeypatch.setattr("pathlib.Path.mkdir", refuse)
    with pytest.raises(StoreError, match="^the database could not be created: permission denied"):
        Store(tmp_path / "no" / "x.duckdb")


@pytest.fixture
def tmpfs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    fs = Tmpfs(tmp_path / "small")
    if not fs.mounted:
        pytest.skip(f"cannot mount a tmpfs here: {fs.error}")
    yield fs
    fs.unmount()


def test_a_real_full_disk(tmpfs, corpus):
    """On a real full file system: start, answer, recover; nothing lost, nothing twice."""
    db = tmpfs.where / "real.duckdb"
    store = Store(db)
    task = get_task(store, load_sources(store, "d", [corpus / "formats"], peaks=False).task_ids[0])
    tmpfs.fill()
    failures = 0
    for n in range(50):   # a few answers may still fit in the last blocks of the WAL
        try:
            save_annotation(store, task, "accept", f"s{n}", edits={"transcript": "x" * 20_000})
        except StoreError as exc:
            assert exc.message == FULL
            failures += 1
            break
    assert failures == 1
    saved = store.query_one("SELECT count(*) FROM annotations")[0]
    assert saved == n, (saved, n)
    # a second database cannot even be created: a clear error, and no empty file left behind
    with pytest.raises(StoreError, match="^the database could not be created: no space left on the device"):
        Store(tmpfs.where / "new.duckdb")
    assert not (tmpfs.where / "new.duckdb").exists()
    tmpfs.free()
    save_annotation(store, task, "accept", f"s{n}", edits={"transcript": "x" * 20_000})
    assert store.query_one("SELECT count(*) FROM annotations")[0] == n + 1
    store.close()
    reopened = Store(db)
    assert reopened.query_one("SELECT count(DISTINCT session) FROM annotations")[0] == n + 1
    reopened.close()
    Store(tmpfs.where / "new.duckdb").close()  # and now it can be created


def test_a_real_checkpoint_that_fails_on_a_full_disk(tmpfs, corpus):
    """A checkpoint that cannot grow the file invalidates DuckDB's database until
    it is reopened: the store reopens it, says the answer is not saved (it is
    not), and saves again once there is space."""
    store = Store(tmpfs.where / "ckpt.duckdb")
    task = get_task(store, load_sources(store, "d", [corpus / "formats"], peaks=False).task_ids[0])
    store.cursor().execute("CHECKPOINT")
    store.cursor().execute("SET checkpoint_threshold = '1KB'")  # every commit checkpoints
    tmpfs.fill()
    os.truncate(tmpfs.filler, tmpfs.filler.stat().st_size - 64 * 1024)  # room for the WAL, not a block
    with pytest.raises(StoreError, match=f"^{FULL}"):
        save_annotation(store, task, "accept", "first")
    assert store._generation == 1  # reopened
    assert store.query("SELECT count(*) FROM annotations") == [(0,)]  # reads work again, nothing kept
    tmpfs.free()
    save_annotation(store, task, "accept", "first")
    assert store.query("SELECT session FROM annotations") == [("first",)]
    store.close()
