"""Regenerate the README's page screenshots (docs/screenshots/*.png).

    .venv/bin/python scripts/screenshots.py

Loads the corpus's diarization recordings with their reference RTTM into a
temporary database, answers a few tasks as two annotators (so Review,
Statistics and the comparison have something to show), and one transcript
task with recognised words (those the bundled tiny English model gave for the
recording: start, end, text, probability), starts the app and photographs each
page in headless Chromium (/usr/bin/chromium), and the transcript view while
it plays.
"""

from __future__ import annotations

import json
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
# what `--model transcribe` (tiny.en) recognised in trñ00.wav: (start, end, text, probability)
WORDS = [
    (9.88, 10.52, 'Okay.', 0.24), (10.52, 10.84, 'Okay.', 0.37), (11.32, 11.34, 'Does', 0.65),
    (11.34, 11.52, 'anyone', 0.91), (11.52, 11.84, 'want', 0.99), (11.84, 11.98, 'to', 1.0),
    (11.98, 12.3, 'see', 0.97), (12.3, 13.18, "Steve's", 0.94), (13.18, 13.34, 'feedback', 1.0),
    (13.34, 14.86, 'from', 0.96), (14.86, 14.88, 'the', 0.68), (14.88, 15.28, 'specification?', 0.97),
    (17.02, 17.02, 'Is', 0.27), (17.02, 17.16, 'there', 0.85), (17.16, 17.38, 'much', 0.99),
    (17.38, 17.6, 'more', 0.99), (17.6, 17.9, 'in', 0.9), (17.9, 17.9, 'there', 0.46), (17.9, 18.52, 'than', 0.56),
    (18.52, 20.06, 'he', 0.62), (20.06, 20.22, 'said', 0.9), (20.22, 20.72, 'yesterday?', 0.9),
    (21.58, 21.82, 'Not', 0.72), (21.82, 22.34, 'really.', 0.99), (23.22, 23.44, 'Just', 0.68),
    (23.44, 23.56, 'what', 0.85), (23.56, 23.72, "he's", 0.83), (23.72, 24.02, 'talking', 0.98),
    (24.02, 24.4, 'about,', 0.99), (24.42, 24.42, 'like', 0.51), (24.42, 24.88, 'duplication', 0.61),
    (24.88, 25.12, 'of', 0.97), (25.12, 25.54, 'effort.', 0.94), (27.8, 28.36, 'Like', 0.07),
    (28.36, 28.82, 'duplication', 0.36), (28.82, 29.1, 'of', 0.97), (29.1, 29.3, 'effort', 0.99),
    (29.3, 29.6, 'and', 0.94), (29.6, 29.86, 'stuff.', 0.99)
]
PAGES = {"annotate": "", "datasets": "datasets", "review": "review", "statistics": "statistics",
         "export": "export"}


def build_database(db: Path) -> None:
    subprocess.run([sys.executable, "-m", "earmark", "load", "--db", str(db), "meetings", str(CORPUS),
                    "--spans", str(CORPUS / "reference.rttm"), "--label", "OTHER"],
                   check=True, cwd=ROOT, capture_output=True)
    heard = {"path": str(CORPUS / "trñ00.wav"), "transcript": " ".join(w[2] for w in WORDS),
             "words": [{"start": a, "end": b, "text": t, "score": p} for a, b, t, p in WORDS]}
    tasks = db.with_name("transcripts.jsonl")
    tasks.write_text(json.dumps(heard) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "earmark", "load", "--db", str(db), "transcripts", str(tasks),
                    "--view", "transcript"], check=True, cwd=ROOT, capture_output=True)
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
                # the transcript view with recognised words, playing from "Steve's": the word spoken lit
                page = browser.new_page(viewport={"width": 1280, "height": 900})   # the lanes as they start
                page.goto(f"{app.url}/?dataset=transcripts&session=maria")
                page.wait_for_selector("[data-test-script-state=notRunning]", timeout=30000)
                frame = page.frame_locator('iframe[title*="waveform"]')
                frame.locator("body[data-ready]").wait_for(state="attached", timeout=30000)
                frame.locator(".cw-word", has_text="Steve's").click()
                page.keyboard.press("Space")
                page.wait_for_timeout(1300)
                page.screenshot(path=str(OUT / "annotate-words.png"), full_page=True)
                page.keyboard.press("Space")
                print(f"wrote {OUT / 'annotate-words.png'}")
                browser.close()
        finally:
            app.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
