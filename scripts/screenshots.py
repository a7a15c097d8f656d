"""Regenerate the README's page screenshots (docs/screenshots/*.png).

    .venv/bin/python scripts/screenshots.py

Loads the corpus's diarization recordings with their reference RTTM into a
temporary database, answers a few tasks as two annotators (so Review,
Statistics and the comparison have something to show), starts the app and
photographs each page in headless Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from apprunner import RunningApp  # noqa: E402
from earmark.annotations import save_annotation  # noqa: E402
from earmark.feed import next_task  # noqa: E402
from earmark.db.store import Store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "diarization"
OUT = ROOT / "docs" / "screenshots"
PAGES = {"annotate": "", "datasets": "datasets", "review": "review", "statistics": "statistics",
         "export": "export"}


def build_database(db: Path) -> None:
    subprocess.run([sys.executable, "-m", "earmark", "load", "--db", str(db), "meetings", str(CORPUS),
                    "--spans", str(CORPUS / "reference.rttm"), "--label", "OTHER"],
                   check=True, cwd=ROOT, capture_output=True)
    store = Store(db)
    shuffle = random.Random(7)
    for session, tasks in (("maria", 4), ("tom", 2)):
        for _ in range(tasks):
            task = next_task(store, "meetings", session, overlap=True)
            if task is None:
                break
            # An annotator's corrections of the pre-annotation: boundaries moved a little.
            spans = [{**s, "start": round(max(0.0, s["start"] + shuffle.uniform(-0.15, 0.15)), 3)}
                     for s in task.data.get("audio_spans") or []]
            save_annotation(store, task, "accept", session, edits={"audio_spans": spans})
    store.close()


def main() -> None:
    from playwright.sync_api import sync_playwright
    work = Path(tempfile.mkdtemp(prefix="earmark-shots-"))
    try:
        db = work / "shots.duckdb"
        build_database(db)
        app = RunningApp(ROOT / "app.py", db)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                OUT.mkdir(parents=True, exist_ok=True)
                for name, path in PAGES.items():
                    # The app scrolls inside its own frame: the viewport is the picture.
                    page.set_viewport_size({"width": 1280, "height": 1900 if name == "review" else 900})
                    page.goto(f"{app.url}/{path}?dataset=meetings&session=maria")
                    page.wait_for_selector("[data-test-script-state=notRunning]", timeout=30000)
                    page.wait_for_timeout(2500)   # the waveform and charts draw after the script
                    if name == "annotate":        # the spectrogram lane on, as a phonetician would have it
                        frame = page.frame_locator('iframe[title*="waveform"]')
                        frame.get_by_role("button", name="Spectrogram").click()
                        page.wait_for_timeout(2500)
                    if name == "review":          # open the newest annotation, as a reviewer would
                        box = page.locator("[data-testid=stDataFrame]").first.bounding_box()
                        page.mouse.click(box["x"] + 14, box["y"] + 52)   # the first row's selector
                        page.wait_for_timeout(3000)
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                    print(f"wrote {OUT / f'{name}.png'}")
                    if name == "annotate":        # and a lane per speaker, as a diarization annotator would
                        frame.get_by_role("button", name="Spectrogram").click()
                        frame.locator(".wf-lanes-toggle").click()
                        page.wait_for_timeout(1500)
                        page.screenshot(path=str(OUT / "annotate-lanes.png"), full_page=True)
                        print(f"wrote {OUT / 'annotate-lanes.png'}")
                browser.close()
        finally:
            app.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
