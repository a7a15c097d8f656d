"""The store's queries, one module per concern."""
