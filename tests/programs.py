"""The programs tests call: installed by scripts/test.sh, so a missing one is a failure.

A skip would hide a machine that the README's test command did not set up:
the suite must fail there, not pass with less tested.
"""

from __future__ import annotations

import shutil

import pytest

# what scripts/setup.sh --dev installs, by the Debian package that brings it
PACKAGES = {"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "sox": "sox", "soxi": "sox", "chromium": "chromium"}
# on every Debian machine of this kind before anything is installed
BASE_SYSTEM = {"git", "sh", "bash", "mount", "umount", "su", "kill"}


def require(program: str) -> str:
    """The path of `program`, or a failed test naming the package that brings it."""
    found = shutil.which(program)
    if found is None:
        pytest.fail(f"{program} is not installed: scripts/test.sh installs it "
                    f"(apt-get install {PACKAGES.get(program, program)})", pytrace=False)
    return found
