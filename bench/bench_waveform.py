"""Benchmarks of the waveform component (issue 3), in headless Chromium on this machine.

1. Render to waveform drawn and playable, for a 5-second clip and 1-, 10- and
   60-minute MP3s (44.1 kHz stereo, 128 kbit/s, built by concatenating the
   corpus), with server peaks:
   - page: from the page's navigation start to the frame's ready flag
     (`body[data-ready]`: waveform drawn, regions added, media playable);
   - component: from the frame's render event (args received) to ready;
   - renderer: peak RSS (VmHWM) of the Chromium renderer hosting the page.
   Targets for 60 minutes: component < 150 ms, page within 0.3 s of the
   5-second clip's page, renderer < 300 MB.
2. 500 regions on the 60-minute file: frame times (requestAnimationFrame
   intervals in the frame) while dragging a region, and time from the mouse
   release to the value reaching Python (the app's receive time). Targets:
   < 16 ms per frame, < 200 ms to Python.

Also prints the size of the component's args for the one-hour stereo file.
Long files are generated into a temporary directory, never committed.

Usage: .venv/bin/python bench/bench_waveform.py [--runs N] [--keep DIR] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import zoom_waveform  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, CORPUS, FRAME, WF, Server  # noqa: E402

SOURCES = ["trn01.wav", "trn02.wav", "trn03.wav", "trñ00.wav"]


def make_files(out: Path, quick: bool) -> dict[str, Path]:
    """A 5 s clip and 1/10/60-minute MP3s (44.1 kHz stereo) from the corpus."""
    out.mkdir(parents=True, exist_ok=True)
    base = out / "base.wav"
    if not base.exists():
        lst = out / "list.txt"
        lst.write_text("".join(f"file '{CORPUS / 'diarization' / n}'\n" for n in SOURCES), encoding="utf-8")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(lst),
                        "-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le", str(base)], check=True)
    files = {"clip 5 s": out / "clip5.mp3", "1 min": out / "m1.mp3", "10 min": out / "m10.mp3"}
    if not quick:
        files["60 min"] = out / "m60.mp3"
    lengths = {"clip 5 s": 5, "1 min": 60, "10 min": 600, "60 min": 3600}
    for name, path in files.items():
        if path.exists():
            continue
        t = time.monotonic()
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(base),
                        "-t", str(lengths[name]), "-ar", "44100", "-ac", "2", "-b:a", "128k",
                        str(path)], check=True)
        print(f"  made {path.name} ({lengths[name]} s) in {time.monotonic() - t:.1f} s", flush=True)
    return files


def regions_500(duration: float) -> list[dict]:
    step = duration / 500
    labels = ["SPEECH", "NOISE", "MUSIC"]
    return [{"id": f"b{i:03d}", "start": round(i * step + 0.5, 3), "end": round(i * step + step * 0.6, 3),
             "label": labels[i % 3]} for i in range(500)]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def renderer_peak_mb() -> float:
    """Largest peak RSS (VmHWM) among the Chromium renderers started by this process."""
    best = 0.0
    for pid in descendants(os.getpid()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"--type=renderer" not in cmd:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return best


def load_once(playwright, url: str, scenario: str) -> dict:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/?scenario={scenario}")
        frame = page.frame_locator(FRAME)
        frame.locator("body[data-ready]").wait_for(state="attached", timeout=120_000)
        nav_start = page.evaluate("performance.timeOrigin")
        ready_at = float(frame.locator("body").get_attribute("data-ready-at"))
        component_ms = float(frame.locator("body").get_attribute("data-ready-ms"))
        frame_start = frame.locator("body").evaluate("() => performance.timeOrigin")
        marks = frame.locator("body").evaluate("() => window.__wfTimings")
        time.sleep(1.0)  # let anything started by the load settle before reading the peak
        return {"page_s": (ready_at - nav_start) / 1000, "component_ms": component_ms,
                "drawn_ms": marks.get("drawn", float("nan")), "metadata_ms": marks.get("loadedmetadata", float("nan")),
                "frame_s": (ready_at - frame_start) / 1000, "renderer_mb": renderer_peak_mb()}
    finally:
        browser.close()


def bench_load(playwright, url: str, files: dict[str, Path], runs: int) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name in files:
        scen = "bench_" + name.replace(" ", "_")
        load_once(playwright, url, scen)  # warm-up: peaks computed and cached, server warm
        samples = [load_once(playwright, url, scen) for _ in range(runs)]
        results[name] = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
        results[name]["runs"] = runs
        r = results[name]
        print(f"  {name:>8}: page {r['page_s']:.2f} s | component {r['component_ms']:.0f} ms "
              f"(waveform drawn at {r['drawn_ms']:.0f} ms, audio metadata at {r['metadata_ms']:.0f} ms) | "
              f"frame {r['frame_s']:.2f} s | renderer peak {r['renderer_mb']:.0f} MB", flush=True)
    return results


def bench_drag(playwright, url: str, scenario: str, zoom_pps: float | None, drags: int) -> dict:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        wf = WF(page, url)
        wf.open(scenario)
        if zoom_pps:
            zoom_waveform(wf, zoom_pps)
            time.sleep(0.5)
        frame_deltas: list[float] = []
        work_ms: list[float] = []
        after: list[float] = []
        latencies: list[float] = []
        commit_ms: list[float] = []
        for k in range(drags):
            g = wf.geometry()
            # the region nearest the middle of the view
            t_mid = (g["scroll"] + g["view_width"] / 2) / g["pps"]
            current = wf.frame_eval("() => window.__wfDebug().store")  # regions as they are now
            region = min(current, key=lambda r: abs((r["start"] + r["end"]) / 2 - t_mid))
            mid = (region["start"] + region["end"]) / 2
            if zoom_pps:  # move: select, then drag the body
                wf.click_at(mid)
                wf.frame.locator(f"body[data-selected='{region['id']}']").wait_for(state="attached")
                x0 = wf.x_of(mid, g)
            else:  # at fit the regions are a pixel or two wide: drag an edge (resize)
                x0 = wf.x_of(region["end"], g)
            n_before = wf.state()["log_size"]
            wf.frame_eval(
                """() => { window.__frames = []; window.__work = []; window.__run = true;
                    // work per frame: from the frame's start to the first task after its
                    // rendering (input, rAF callbacks, style, layout, paint)
                    const mc = new MessageChannel(); let start = 0;
                    mc.port1.onmessage = () => { window.__work.push([start, performance.now() - start]); };
                    const loop = (t) => { window.__frames.push(t); start = t; mc.port2.postMessage(null);
                                          if (window.__run) requestAnimationFrame(loop); };
                    requestAnimationFrame(loop);
                    document.addEventListener('pointerup', () => { window.__pu = Date.now();
                                                                   window.__puPerf = performance.now(); },
                                              {capture: true, once: true}); }"""
            )
            y = wf.y_of(None, g)
            dx = min(200.0, 2.5 * g["pps"]) * (1 if k % 2 == 0 else -1) if zoom_pps else 60.0
            m = page.mouse
            m.move(x0, y)
            m.down()
            for i in range(1, 61):  # ~1 s of dragging
                m.move(x0 + dx * i / 60, y)
                time.sleep(1 / 60)
            m.up()
            time.sleep(0.5)  # frames after the release too: the commit and the page's rerun
            frames, work, pu_perf = wf.frame_eval(
                "() => { window.__run = false; return [window.__frames, window.__work, window.__puPerf]; }")
            work_ms += [w for t, w in work if t <= pu_perf]
            deltas = [b - a for a, b in zip(frames[1:], frames[2:]) if b <= pu_perf]
            after += [b - a for a, b in zip(frames[1:], frames[2:]) if b > pu_perf]
            if os.environ.get("WF_BENCH_DEBUG"):
                print("   frames", len(frames), [(i, round(d)) for i, d in enumerate(deltas) if d > 25])
            frame_deltas += deltas
            st = wf.wait_state(lambda s, n=n_before: s["log_size"] > n, 10, "the drag's value")
            pu = wf.frame_eval("() => window.__pu")
            entry = st["log"][-1]
            assert entry["event"]["type"] == "updated", entry
            latencies.append(entry["received_at"] * 1000 - pu)
            commit_ms.append(entry["event"]["time"] * 1000 - pu)
            wf.wait_idle()
        frame_deltas.sort()
        q = lambda p: frame_deltas[min(len(frame_deltas) - 1, int(p * len(frame_deltas)))]  # noqa: E731
        work_ms.sort()
        w = lambda p: work_ms[min(len(work_ms) - 1, int(p * len(work_ms)))]  # noqa: E731
        return {
            "work_p50_ms": w(0.5), "work_p95_ms": w(0.95), "work_max_ms": work_ms[-1],
            "frames": len(frame_deltas), "frame_p50_ms": q(0.5), "frame_p95_ms": q(0.95),
            "frame_max_ms": frame_deltas[-1],
            "frames_over_16_7_ms_pct": 100 * sum(d > 16.7 * 1.5 for d in frame_deltas) / len(frame_deltas),
            "after_release_max_frame_ms": max(after) if after else None,
            "to_python_median_ms": statistics.median(latencies), "to_python_max_ms": max(latencies),
            "commit_median_ms": statistics.median(commit_ms), "drags": drags,
            "regions_in_dom": wf.frame_eval(
                "() => document.querySelector('.wf-wave > div').shadowRoot.querySelectorAll('[part~=\"region\"]').length"),
        }
    finally:
        browser.close()


def bench_traffic(playwright, url: str, scenario: str) -> dict:
    """Bytes on the app's websocket: the first load of the page, then one committed edit."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        got: list[int] = []
        sent: list[int] = []

        def on_ws(ws):
            ws.on("framereceived", lambda f: got.append(len(f)))
            ws.on("framesent", lambda f: sent.append(len(f)))

        page.on("websocket", on_ws)
        wf = WF(page, url)
        wf.open(scenario)
        time.sleep(1.0)
        first = sum(got)
        got.clear()
        sent.clear()
        g = wf.geometry()
        t = (g["scroll"] + g["view_width"] / 2) / g["pps"]
        wf.drag(t, t + 40 / g["pps"])  # a new region, 40 px wide
        wf.wait_log(1)
        time.sleep(1.0)
        return {"page_load_received_bytes": first, "edit_received_bytes": sum(got), "edit_sent_bytes": sum(sent)}
    finally:
        browser.close()


def args_size(files: dict[str, Path], db: Path) -> dict:
    os.environ["EARMARK_DB"] = str(db)
    from components.waveform import encode_peaks, overview_bytes, _amplitude_bytes
    from earmark.db.media import register_media
    from earmark.audio.peaks import get_peaks
    from earmark.db.store import open_store

    store = open_store(db)
    name = "60 min" if "60 min" in files else list(files)[-1]
    media = register_media(store, files[name])
    peaks = get_peaks(store, media.id)
    data, channels, _ = encode_peaks(peaks)
    overview = overview_bytes(_amplitude_bytes(peaks)) or b""
    regions = regions_500(media.duration or peaks.duration)
    json_part = len(json.dumps({"regions": regions}))
    store.close()
    return {"file": name, "channels": channels, "buckets": peaks.buckets, "peaks_bytes": len(data),
            "overview_bytes": len(overview),
            "as_base64_int16_would_be": 4 * ((peaks.minmax.nbytes + 2) // 3), "regions_500_json_bytes": json_part}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--drags", type=int, default=6)
    ap.add_argument("--keep", type=Path, help="keep generated files in this directory (reused next time)")
    ap.add_argument("--quick", action="store_true", help="skip the 60-minute file")
    opts = ap.parse_args()
    if not (CORPUS / "diarization" / "trn01.wav").exists():
        sys.exit(f"the corpus is not at {CORPUS}")
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="earmark-bench-wf-"))
    work = opts.keep or tmp / "files"
    try:
        print("Generating audio files...", flush=True)
        files = make_files(work, opts.quick)
        print("Component args for the longest file:", flush=True)
        sizes = args_size(files, tmp / "sizes.duckdb")
        print("  " + json.dumps(sizes), flush=True)
        scenarios = {}
        for name, path in files.items():
            scenarios["bench_" + name.replace(" ", "_")] = {
                "labels": [{"name": "SPEECH"}, {"name": "NOISE"}, {"name": "MUSIC"}],
                "tasks": [{"id": "b-" + name, "path": str(path), "regions": []}]}
        longest = "60 min" if "60 min" in files else "10 min"
        dur = {"60 min": 3600.0, "10 min": 600.0}[longest]
        scenarios["bench_500"] = {
            "compact_state": True,
            "labels": [{"name": "SPEECH"}, {"name": "NOISE"}, {"name": "MUSIC"}],
            "tasks": [{"id": "b-500", "path": str(files[longest]), "regions": regions_500(dur)}]}
        server = Server(tmp / "server", scenarios)
        try:
            with sync_playwright() as pw:
                print(f"Render to ready (median of {opts.runs}, fresh browser each):", flush=True)
                load = bench_load(pw, server.url, files, opts.runs)
                traffic = bench_traffic(pw, server.url, "bench_500")
                print(f"Websocket traffic, {longest} file with 500 regions: " + json.dumps(traffic), flush=True)
                print(f"500 regions on the {longest} file, dragging a region:", flush=True)
                drag = {}
                for label, pps in (("fit, resizing (all 500 regions in view)", None), ("20 px/s, moving", 20.0)):
                    drag[label] = r = bench_drag(pw, server.url, "bench_500", pps, opts.drags)
                    print(f"  {label}: work per frame p50 {r['work_p50_ms']:.1f} ms, p95 {r['work_p95_ms']:.1f} ms, "
                          f"max {r['work_max_ms']:.1f} ms; frame interval p50 {r['frame_p50_ms']:.1f} ms, "
                          f"p95 {r['frame_p95_ms']:.1f} ms, "
                          f"max {r['frame_max_ms']:.1f} ms ({r['frames']} frames, "
                          f"{r['frames_over_16_7_ms_pct']:.1f} % over 25 ms; longest frame after the release "
                          f"{r['after_release_max_frame_ms']:.0f} ms); mouse release to Python "
                          f"median {r['to_python_median_ms']:.0f} ms, max {r['to_python_max_ms']:.0f} ms "
                          f"(value sent {r['commit_median_ms']:.0f} ms after release); "
                          f"{r['regions_in_dom']} region nodes in the DOM", flush=True)
        finally:
            server.stop()
        clip = load.get("clip 5 s", {}).get("page_s")
        print("\nSummary (JSON):")
        print(json.dumps({"load": load, "drag": drag, "args": sizes, "traffic": traffic,
                          "page_vs_clip_s": {k: round(v["page_s"] - clip, 3) for k, v in load.items()}
                          if clip else None}, indent=1))
    finally:
        if opts.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(tmp / "server", ignore_errors=True)


if __name__ == "__main__":
    main()
