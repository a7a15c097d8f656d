"""Review: filter annotations, listen, correct (as a new version), compare annotators."""

from earmark.web.guard import run_page
from earmark.web.review_page import render_page

run_page(render_page, "Review")
