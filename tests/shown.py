"""What a reader sees of Markdown that pages built with earmark.web.text.md_text."""

from __future__ import annotations

import re


def shown(markdown: str) -> str:
    """The text as read: backslash escapes and the invisible joiners that stop autolinks removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
