"""Dataset names (design.md, "Command line"): the rule, where it is applied, and
what happens to a dataset an older version created under a name it refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from earmark.datasets import DatasetError, ensure_dataset, get_dataset, list_datasets

GOOD = ["talks", "Aufnahmen März", "Aufnahme\u0308n März", "音声", "録音 2026", "a", "a" * 64,
        "v1.2", "my-set_3", "trailing.", "x " * 32, "١٢٣", "ΦΩνή"]
BAD = ["", "a" * 65, ".hidden", ".", "..", "a/b", "../x", "../../../../tmp/x", "/abs", "a\\b",
       "x\ny", "a\tb", "a\0b", "a\rb", "   ", "a:b", "a*b", "a;b", "emoji 🎧", "a\u00a0b", "x\u200by"]


@pytest.mark.parametrize("name", GOOD)
def test_names_of_the_rule_are_accepted(store, name):
    from earmark.datasets import check_dataset_name
    assert check_dataset_name(name) == name
    assert ensure_dataset(store, name).name == name


@pytest.mark.parametrize("name", BAD)
def test_other_names_are_refused_quoting_them_and_nothing_is_created(store, name):
    from earmark.datasets import check_dataset_name
    with pytest.raises(DatasetError) as refused:
        check_dataset_name(name)
    assert repr(name) in str(refused.value)
    assert "letters (any script), digits, '_', '-', '.' and spaces" in str(refused.value)
    with pytest.raises(DatasetError, match="refused"):
        ensure_dataset(store, name, view="audio")
    assert list_datasets(store) == []


def test_the_reason_names_what_is_wrong():
    from earmark.datasets import name_problem
    assert name_problem("a" * 65) == "it has 65 characters, more than 64"
    assert name_problem(".x") == "it starts with '.'"
    assert name_problem("a/b") == "it holds the path separator '/'"
    assert name_problem("x\ny") == "it holds the control character U+000A"
    assert name_problem("a:b") == "it holds the character ':'"


def legacy(store, name: str) -> None:
    """A dataset as an older version, which checked no name, could have created it."""
    store.write(lambda cur: cur.execute(
        "INSERT INTO datasets (name, view, labels, settings, created) VALUES (?, 'audio_manual', '[]', '{}', ?)",
        [name, time.time()]))


def test_a_dataset_made_before_the_rule_stays_usable(store, corpus):
    from earmark.loading.loader import load_sources
    legacy(store, "../old")
    assert [d.name for d in list_datasets(store)] == ["../old"]
    assert ensure_dataset(store, "../old", labels=["A"]).labels == ["A"]
    report = load_sources(store, "../old", [corpus / "praat" / "bobby.wav"])
    assert report.added == 1
    from earmark.datasets import drop_dataset
    assert drop_dataset(store, "../old") and get_dataset(store, "../old") is None
    with pytest.raises(DatasetError, match="refused"):
        ensure_dataset(store, "../old")        # gone: now it would be a new dataset


@pytest.fixture
def run(tmp_path, root):
    """`python -m earmark ARGS --db tmp/n.duckdb`, from a scratch folder."""
    def call(*args, db=None):
        env = {**os.environ, "PYTHONPATH": str(root), "EARMARK_CONFIG": str(tmp_path / "earmark.json")}
        env.pop("EARMARK_DB", None)
        return subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db or tmp_path / "n.duckdb")],
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    return call


def test_the_command_line_refuses_a_path_as_a_new_dataset_before_creating_anything(run, tmp_path, corpus):
    wav = str(corpus / "praat" / "bobby.wav")
    done = run("load", "../x", wav)
    assert done.returncode != 0
    assert "'../x'" in done.stderr and "refused" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "n.duckdb").exists() and not (tmp_path / "media").exists()
    assert not (tmp_path.parent / "x").exists()
    # with a database: refused all the same, and no dataset is made
    assert run("load", "ok", wav).returncode == 0
    for args in (["load", "a/b", wav], ["load", ".hidden", wav], ["load", "x\ny", wav],
                 ["export", "../../../../tmp/x"], ["stats", "a\\b"], ["drop", "../x"]):
        done = run(*args)
        assert done.returncode == 2, (args, done)
        assert repr(args[1]) in done.stderr and "refused" in done.stderr, (args, done.stderr)
    assert run("datasets").stdout.split("\t")[0] == "ok"
    # a name of the rule that does not exist is simply not there
    missing = run("export", "nope")
    assert missing.returncode == 2 and "no dataset named 'nope'" in missing.stderr


def test_the_command_line_takes_unicode_names(run, corpus):
    wav = str(corpus / "praat" / "bobby.wav")
    assert run("load", "Aufnahmen März", wav).returncode == 0
    assert run("load", "音声", wav).returncode == 0
    assert [line.split("\t")[0] for line in run("datasets").stdout.splitlines()] == ["Aufnahmen März", "音声"]
    assert json.loads(run("stats", "音声", "--json").stdout)["tasks"] == 1


def test_the_command_line_still_reaches_a_dataset_made_before_the_rule(run, tmp_path, corpus):
    from earmark.db.store import Store
    db = tmp_path / "old.duckdb"
    store = Store(db)
    legacy(store, "../../../../tmp/x")
    store.close()
    listing = run("datasets", db=db)
    assert listing.stdout.startswith("../../../../tmp/x\t")
    assert "'../../../../tmp/x' has a name new datasets cannot have" in listing.stderr
    assert run("load", "../../../../tmp/x", str(corpus / "praat" / "bobby.wav"), db=db).returncode == 0
    assert json.loads(run("stats", "../../../../tmp/x", "--json", db=db).stdout)["tasks"] == 1
    exported = run("export", "../../../../tmp/x", "--all", db=db)
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 1
    assert run("drop", "../../../../tmp/x", db=db).returncode == 0
    assert run("datasets", db=db).stdout == ""
