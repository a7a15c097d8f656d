"""Datasets: a named queue of tasks with its view, labels and settings."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from earmark.db.queries import datasets as queries
from earmark.db.store import Store
from earmark.views import view_names

DEFAULT_VIEW = "audio_manual"
NAME_MAX = 64
NAME_RULE = (f"1 to {NAME_MAX} characters: letters (any script), digits, '_', '-', '.' and spaces, "
             "not starting with '.'")


class DatasetError(ValueError):
    """A dataset request that cannot be honoured; the message says why."""


@dataclass
class Dataset:
    name: str
    view: str
    labels: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    created: float = 0.0


def name_problem(name: object) -> str | None:
    """Why `name` breaks the dataset-name rule of design.md, or None when it keeps it.

    Letters are every Unicode letter with its combining marks (so "Aufnahmen März"
    and "音声" pass however the keyboard composed them); digits are decimal digits
    of any script. A name of spaces only is refused too: nobody can tell it apart.
    """
    if not isinstance(name, str) or not name:
        return "it is empty"
    if len(name) > NAME_MAX:
        return f"it has {len(name)} characters, more than {NAME_MAX}"
    if name.startswith("."):
        return "it starts with '.'"
    if not name.strip(" "):
        return "it holds only spaces"
    for char in name:
        if char in "_-. " or unicodedata.category(char)[0] in "LM" or unicodedata.category(char) == "Nd":
            continue
        return f"it holds {_describe(char)}"
    return None


def _describe(char: str) -> str:
    if char in "/\\":
        return f"the path separator {char!r}"
    if not char.isprintable():
        return f"the control character U+{ord(char):04X}"
    return f"the character {char!r}"


def check_dataset_name(name: str) -> str:
    """Return `name` when it is a valid dataset name; raise DatasetError quoting it otherwise.

    The one place the rule lives: a name is checked before a dataset is created
    (ensure_dataset), and before the command line or the Datasets page act on
    one that does not exist yet. A dataset that an older version created under a
    name the rule now refuses stays usable (listed, loaded into, exported,
    dropped), so that its annotations can always be got out.
    """
    problem = name_problem(name)
    if problem:
        raise DatasetError(f"dataset name {name!r} is refused: {problem} "
                           f"(a dataset name has {NAME_RULE})")
    return name


def _check_view(view: str) -> None:
    if view not in view_names():
        raise DatasetError(f"unknown view {view!r}; choose one of {', '.join(view_names())}")


def get_dataset(store: Store, name: str) -> Dataset | None:
    row = queries.dataset_row(store, name)
    return Dataset(**row) if row else None


def list_datasets(store: Store) -> list[Dataset]:
    return [Dataset(**row) for row in queries.dataset_rows(store)]


def ensure_dataset(store: Store, name: str, view: str | None = None,
                   labels: list[str] | None = None, settings: dict | None = None) -> Dataset:
    """Get the dataset, creating it when new; given view/labels/settings update it.

    A new dataset's name must keep the naming rule (check_dataset_name); an
    existing one is used under the name it has.
    """
    if view is not None:
        _check_view(view)
    queries.save_dataset(store, name, view, labels, settings, default_view=DEFAULT_VIEW,
                         check_new_name=check_dataset_name)
    found = get_dataset(store, name)
    assert found is not None
    return found


def add_labels(store: Store, name: str, labels: list[str]) -> list[str]:
    """Append to the dataset's labels those of `labels` it lacks; return them."""
    return queries.add_labels(store, name, labels)


def drop_dataset(store: Store, name: str) -> bool:
    """Delete a dataset with its tasks and annotations; False when it did not exist."""
    return queries.drop_dataset(store, name)
