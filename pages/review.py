"""Review: filter annotations, listen, correct (as a new version), compare annotators."""

from earmark.web.review_page import render_page

render_page()
