"""Fixtures for the waveform component's browser tests.

A session-wide `streamlit run tests/browser/waveform_app.py` on a free
loopback port with its own database, one headless Chromium, and a `wf`
helper per test that opens a scenario and drives the component like a user
(mouse drags on the waveform, keys in its frame), reading back what Python
received from the app's state block.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for apprunner
from apprunner import RunningApp  # noqa: E402
from programs import require, unavailable  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("EARMARK_CORPUS", ROOT.parent / "shared" / "corpus"))
APP = Path(__file__).with_name("waveform_app.py")
CHROMIUM = os.environ.get("EARMARK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
FRAME = 'iframe[title*="waveform"]'


def corpus_or_skip() -> Path:
    if not (CORPUS / "diarization" / "trn01.wav").exists():
        unavailable(f"the reference corpus is not at {CORPUS} (../shared/corpus; set EARMARK_CORPUS)")
    return CORPUS


class Server(RunningApp):
    """`streamlit run` of the test app on a free loopback port, with its own database."""

    def __init__(self, workdir: Path, scenarios: dict[str, Any] | None = None, extra_env: dict | None = None):
        workdir.mkdir(parents=True, exist_ok=True)
        env: dict[str, str | None] = {"EARMARK_WAVEFORM_DEV_URL": None}
        if scenarios:
            path = workdir / "scenarios.json"
            path.write_text(json.dumps(scenarios), encoding="utf-8")
            env["WF_SCENARIOS"] = str(path)
        env.update(extra_env or {})
        super().__init__(APP, workdir / "wf.duckdb", env=env, flags=["--server.fileWatcherType", "none"])


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: scripts/test.sh installs it (apt-get install chromium)",
                    pytrace=False)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def make_long_wav(out: Path, seconds: int) -> Path:
    """A long recording made at test time by looping a corpus file (never committed)."""
    require("ffmpeg")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1",
                    "-i", str(CORPUS / "diarization" / "trn01.wav"), "-t", str(seconds),
                    "-c:a", "pcm_s16le", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def wf_server(tmp_path_factory):
    corpus_or_skip()
    work = tmp_path_factory.mktemp("wf-server")
    long_wav = make_long_wav(work / "long20min.wav", 1200)
    scenarios = {"long": {
        "labels": [{"name": "SPEECH"}, {"name": "NOISE"}],
        "tasks": [{"id": "t-long", "path": str(long_wav), "regions": [
            {"id": f"L{i}", "start": 60.0 * i + 5, "end": 60.0 * i + 20, "label": "SPEECH"} for i in range(20)]}],
    }}
    scenarios["long_spectro"] = {**scenarios["long"], "spectrogram": True,
                                 "settings": {"show_audio_spectrogram": True}}
    server = Server(work, scenarios)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wf_playwright():
    import playwright.sync_api as sync_api  # pinned in requirements.txt
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def wf_browser(wf_playwright):
    browser = launch_chromium(wf_playwright)
    yield browser
    browser.close()


class WF:
    """Drives the waveform component of the test app in one browser page."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.frame = page.frame_locator(FRAME)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    # -- page and state ----------------------------------------------------
    def open(self, scenario: str, ready: bool = True) -> "WF":
        self.page.goto(f"{self.base_url}/?scenario={scenario}")
        self.wait_idle()
        if ready:
            self.wait_ready()
        return self

    def wait_idle(self, timeout: float = 30_000) -> None:
        self.page.locator("[data-test-script-state=notRunning]").first.wait_for(state="attached", timeout=timeout)
        self.page.locator(".st-key-wf_state [data-testid='stText']").first.wait_for(timeout=timeout)

    def wait_ready(self, timeout: float = 30_000) -> None:
        self.frame.locator("body[data-ready]").wait_for(state="attached", timeout=timeout)

    def wait_task(self, task_id: str, timeout: float = 30_000) -> None:
        """Wait until the frame shows `task_id`, drawn and playable."""
        self.frame.locator(f"body[data-task-id='{task_id}'][data-ready]").wait_for(state="attached", timeout=timeout)

    def state(self) -> dict:
        for _ in range(50):
            try:
                text = self.page.locator(".st-key-wf_state [data-testid='stText']").first.inner_text(timeout=10_000)
                return json.loads(text)
            except (json.JSONDecodeError, Exception):  # mid-rerun: try again
                time.sleep(0.1)
        raise AssertionError("could not read the app state")

    def wait_state(self, pred: Callable[[dict], bool], timeout: float = 10.0, what: str = "") -> dict:
        deadline = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < deadline:
            try:
                last = self.state()
                if pred(last):
                    return last
            except AssertionError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or 'state'}; last state: {json.dumps(last)[:3000]}")

    def wait_log(self, n: int, timeout: float = 10.0) -> dict:
        """Wait until Python has received at least `n` values in total, and the app is idle."""
        self.wait_state(lambda s: s["log_size"] >= n, timeout, f"{n} values received")
        self.wait_idle()
        return self.state()

    def body(self, name: str) -> str | None:
        return self.frame.locator("body").get_attribute(f"data-{name}")

    def frame_eval(self, js: str, arg: Any = None) -> Any:
        return self.frame.locator("body").evaluate(js, arg)

    # -- geometry ----------------------------------------------------------
    def geometry(self) -> dict:
        """Page coordinates of the waveform and its time scale."""
        box = self.frame.locator(".wf-wave").bounding_box()
        info = self.frame_eval(
            """() => {
                const host = document.querySelector('.wf-wave > div');
                const root = host.shadowRoot;
                const scroll = root.querySelector('.scroll');
                const wrapper = root.querySelector('.wrapper');
                return {scroll: scroll.scrollLeft, width: wrapper.scrollWidth,
                        height: wrapper.getBoundingClientRect().height,
                        duration: Number(document.body.dataset.duration),
                        channels: Number(document.body.dataset.channels)};
            }"""
        )
        info["x"], info["y"] = box["x"], box["y"]
        info["view_width"] = box["width"]
        info["pps"] = info["width"] / info["duration"]
        return info

    def x_of(self, t: float, g: dict | None = None) -> float:
        g = g or self.geometry()
        return g["x"] + t * g["pps"] - g["scroll"]

    def y_of(self, lane: int | None = None, g: dict | None = None, frac: float = 0.5) -> float:
        g = g or self.geometry()
        if lane is None:
            return g["y"] + g["height"] * frac
        lane_h = g["height"] / g["channels"]
        return g["y"] + lane_h * (lane + frac)

    def drag(self, t0: float, t1: float, lane: int | None = None, dx0: float = 0.0,
             modifiers: list[str] | None = None, frac: float = 0.5) -> None:
        g = self.geometry()
        y = self.y_of(lane, g, frac)
        x0 = self.x_of(t0, g) + dx0
        x1 = self.x_of(t1, g) + dx0
        m = self.page.mouse
        for k in modifiers or []:
            self.page.keyboard.down(k)
        m.move(x0, y)
        m.down()
        m.move(x1, y, steps=15)
        m.up()
        for k in modifiers or []:
            self.page.keyboard.up(k)

    def click_at(self, t: float, lane: int | None = None, frac: float = 0.5) -> None:
        g = self.geometry()
        self.page.mouse.click(self.x_of(t, g), self.y_of(lane, g, frac))

    def press(self, key: str) -> None:
        """A key pressed with the focus inside the component's frame."""
        self.page.keyboard.press(key)

    def focus_frame(self) -> None:
        self.frame.locator(".wf-time").click()

    def regions_shown(self) -> list[dict]:
        return self.frame_eval(
            """() => {
                const root = document.querySelector('.wf-wave > div').shadowRoot;
                return [...root.querySelectorAll('[part~="region"]')].map(e => ({
                    id: e.dataset.id, label: e.dataset.label,
                    text: (e.querySelector('[part~="region-content"]') || {}).textContent || ''}));
            }"""
        )


@pytest.fixture
def wf(wf_server, wf_browser):
    context = wf_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    helper = WF(page, wf_server.url)
    yield helper
    context.close()


@pytest.fixture
def wf_driver():
    """`WF(page, base_url)` for tests that drive the component inside the real app."""
    return WF
