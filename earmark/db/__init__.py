"""The one way in to the database.

`store.py` holds the database file (DuckDB) behind the `Backend` interface the
queries use; `schema.py` the schema and its migrations; `queries/` the SQL, one
module per concern (tasks and the feed, annotations and receipts, export rows,
media, peaks, ...); `media.py` the media registry. Modules outside this package
call the functions of `queries/` with plain values and the typed records of
`earmark.records`, and hold no SQL (tests/core/test_sql_only_in_db.py).
"""
