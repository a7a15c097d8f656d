"""What a reviewer sees beyond the stored rows: the changes an annotator made to
the proposed regions. The Review page's queries are in `earmark.db.queries.review`."""

from __future__ import annotations


def changes_from_pre_annotation(proposed: list[dict], final: list[dict], tolerance: float = 0.001) -> dict:
    """What the annotator did to the proposed regions, matched by region id.

    Returns lists under `added`, `removed`, `moved` (start or end changed;
    with `before`) and `relabelled` (with `before`).
    """
    before = {r.get("id"): r for r in proposed}
    after = {r.get("id"): r for r in final}
    moved, relabelled = [], []
    for rid in before.keys() & after.keys():
        old, new = before[rid], after[rid]
        if abs(old["start"] - new["start"]) > tolerance or abs(old["end"] - new["end"]) > tolerance:
            moved.append({**new, "before": old})
        if (old.get("label") or "") != (new.get("label") or ""):
            relabelled.append({**new, "before": old})
    return {
        "added": [after[k] for k in after if k not in before],
        "removed": [before[k] for k in before if k not in after],
        "moved": sorted(moved, key=lambda r: r["start"]),
        "relabelled": sorted(relabelled, key=lambda r: r["start"]),
    }
