"""Datasets: create one from a server folder, uploads or JSONL; edit labels and settings."""

from earmark.web.datasets_page import render_page

render_page()
