"""Annotate: the next task of the chosen dataset for this annotator."""

from earmark.web.annotate import render_page
from earmark.web.guard import run_page

run_page(render_page, "Annotate")
