"""The demo dataset: synthetic speech clips shipped in `data/demo/`."""

from __future__ import annotations

from pathlib import Path

from earmark.db.queries.datasets import has_datasets
from earmark.loading.loader import LoadReport, load_sources
from earmark.db.store import Store

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
DEMO_DATASET = "demo"
DEMO_LABELS = ["SPEECH", "NOISE", "FILLER"]


def ensure_demo(store: Store) -> LoadReport | None:
    """Load the demo clips when the database has no dataset at all."""
    if has_datasets(store):
        return None
    return load_sources(store, DEMO_DATASET, [DEMO_DIR], view="audio_manual", labels=DEMO_LABELS)
