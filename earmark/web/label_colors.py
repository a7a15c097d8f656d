"""The colour of each label of a dataset, the same on every page.

The dataset's labels come first, in their order, so they keep their colours
whatever other labels (from pre-annotations) a page also shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from components.waveform import label_colors
from earmark.datasets import Dataset


def dataset_label_colors(dataset: Dataset, settings: dict, extra: Iterable[str] = ()) -> dict[str, str]:
    """`settings`: the dataset's effective settings (its `custom_theme.labels` win)."""
    theme = (settings.get("custom_theme") or {}).get("labels") or {}
    others = sorted(set(extra) - set(dataset.labels))
    return label_colors([*dataset.labels, *others], theme)
