"""Statistics: progress, labels, durations, pace and agreement."""

from earmark.web.guard import run_page
from earmark.web.statistics_page import render_page

run_page(render_page, "Statistics")
