"""The SQL of Earmark, by concern: one module per part of the app that reads or writes.

Every function takes the store (or, inside a transaction the caller holds, its
cursor) and plain values or typed records (`earmark.records`); none returns a
database type. What differs between SQL databases goes through the store's
dialect methods (`json_text`, `in_list`, `insert_rows`, `conflicts`).
"""

CURRENT_ANNOTATIONS = (
    "SELECT * FROM annotations a WHERE NOT EXISTS "
    "(SELECT 1 FROM annotations b WHERE b.supersedes = a.id)"
)
"""SQL: the annotations no later version supersedes (exports and statistics use these)."""


def skipped(store, alias: str) -> str:
    """SQL: the annotation aliased `alias` records a skip (a task that could not be annotated)."""
    return f"{store.json_text(f'{alias}.annotation', '_skip_reason')} IS NOT NULL"
