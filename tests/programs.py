"""What tests need from the machine: programs scripts/test.sh installs, and the corpus.

A skip would hide a machine that the README's test command did not set up:
a missing program fails its test everywhere, and under CI (`CI=true`) so does
a missing reference corpus; on a developer's machine without the corpus its
tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil

import pytest

# what scripts/setup.sh --dev installs, by the Debian package that brings it
PACKAGES = {"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "sox": "sox", "soxi": "sox", "chromium": "chromium",
            "espeak-ng": "espeak-ng", "initdb": "postgresql", "pg_ctl": "postgresql",
            "nginx": "nginx-light", "caddy": "caddy"}
# on every Debian machine of this kind before anything is installed
BASE_SYSTEM = {"git", "sh", "bash", "mount", "umount", "su", "kill"}


def require(program: str) -> str:
    """The path of `program`, or a failed test naming the package that brings it."""
    found = shutil.which(program)
    if found is None:
        pytest.fail(f"{program} is not installed: scripts/test.sh installs it "
                    f"(apt-get install {PACKAGES.get(program, program)})", pytrace=False)
    return found


def unavailable(reason: str) -> None:
    """Skip for `reason` on a developer's machine; fail under CI, where nothing may be missing."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: the test command must provide it)", pytrace=False)
    pytest.skip(reason)
