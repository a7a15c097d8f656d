"""Annotate: the next task of the chosen dataset for this annotator."""

from earmark.web.annotate import render_page

render_page()
