"""The store: the database file, its schema and migrations, and the media registry."""
