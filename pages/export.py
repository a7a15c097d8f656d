"""Export: download JSONL or CSV with the filters of Review."""

from earmark.web.export_page import render_page
from earmark.web.guard import run_page

run_page(render_page, "Export")
