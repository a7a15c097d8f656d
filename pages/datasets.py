"""Datasets: create one from a server folder, uploads or JSONL; edit labels and settings."""

from earmark.web.datasets_page import render_page
from earmark.web.guard import run_page

run_page(render_page, "Datasets")
