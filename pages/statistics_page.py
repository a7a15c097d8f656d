"""Statistics: progress, labels, durations, pace and agreement."""

from earmark.web.statistics_page import render_page

render_page()
