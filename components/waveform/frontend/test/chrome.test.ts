import { afterEach, describe, expect, it } from "vitest";
import { Legend } from "../src/legend";
import { SelectionBar } from "../src/selection_bar";
import { Toolbar, type ToolbarCallbacks } from "../src/toolbar";

afterEach(() => document.body.replaceChildren());

function toolbar(): { bar: Toolbar; calls: string[] } {
  const calls: string[] = [];
  const cb: ToolbarCallbacks = {
    playPause: () => calls.push("play"),
    setRate: (r) => calls.push(`rate ${r}`),
    toggleLoop: () => calls.push("loop"),
    toggleSpectrogram: () => calls.push("spectrogram"),
    toggleLanes: () => calls.push("lanes"),
    zoom: (f) => calls.push(`zoom ${f}`),
    drawMode: (m) => calls.push(`draw ${m}`),
    undo: () => calls.push("undo"),
    redo: () => calls.push("redo"),
    reload: () => calls.push("reload"),
  };
  const bar = new Toolbar(cb);
  document.body.appendChild(bar.el);
  return { bar, calls };
}

const q = <T extends Element>(sel: string) => document.querySelector<T>(sel)!;

describe("Toolbar", () => {
  it("calls back for each control", () => {
    const { calls } = toolbar();
    for (const sel of [".wf-play", ".wf-loop", ".wf-spectro-toggle", ".wf-lanes-toggle", ".wf-undo", ".wf-redo", ".wf-reload"])
      q<HTMLButtonElement>(sel).click();
    const zoom = q<HTMLInputElement>(".wf-zoom input");
    zoom.value = "250";
    zoom.dispatchEvent(new Event("input"));
    const draw = q<HTMLSelectElement>(".wf-draw select");
    draw.value = "lane";
    draw.dispatchEvent(new Event("change"));
    const rate = q<HTMLSelectElement>(".wf-rate select");
    rate.value = "1.5";
    rate.dispatchEvent(new Event("change"));
    expect(calls).toEqual(["play", "loop", "spectrogram", "lanes", "undo", "redo", "reload", "zoom 0.25", "draw lane", "rate 1.5"]);
  });

  it("shows what it is told", () => {
    const { bar } = toolbar();
    bar.updatePlaying(true);
    expect(q(".wf-play").textContent).toBe("⏸");
    expect(q(".wf-play").getAttribute("aria-label")).toBe("Pause");
    bar.updatePlaying(false);
    expect(q(".wf-play").textContent).toBe("▶");
    expect(q(".wf-play").getAttribute("aria-label")).toBe("Play");
    bar.updateLoop(true);
    expect(q(".wf-loop").getAttribute("aria-pressed")).toBe("true");
    bar.updateLanes("labels");
    expect(q(".wf-lanes-toggle").textContent).toBe("Lanes: labels");
    expect(q(".wf-lanes-toggle").getAttribute("aria-pressed")).toBe("true");
    bar.updateSpectrogram(false, true);
    expect(q<HTMLElement>(".wf-spectro-toggle").hidden).toBe(true);
    bar.updateSpectrogram(true, false);
    expect(q<HTMLElement>(".wf-spectro-toggle").hidden).toBe(false);
    expect(q(".wf-spectro-toggle").getAttribute("aria-pressed")).toBe("false");
    bar.updateHistory(true, true, false);
    expect(q<HTMLButtonElement>(".wf-undo").disabled).toBe(false);
    expect(q<HTMLButtonElement>(".wf-redo").disabled).toBe(true);
    bar.updateHistory(false, true, true);
    expect(q<HTMLElement>(".wf-undo").hidden).toBe(true);
    bar.updateZoom(2);
    expect(q<HTMLInputElement>(".wf-zoom input").value).toBe("1000");
    bar.updateZoom(0.1234);
    expect(q<HTMLInputElement>(".wf-zoom input").value).toBe("123");
    bar.updateChannels(1);
    expect(q<HTMLElement>(".wf-draw").hidden).toBe(true);
    bar.updateChannels(2);
    expect(q<HTMLElement>(".wf-draw").hidden).toBe(false);
    bar.updateTime("0:01.000 / 0:02.000");
    expect(q(".wf-time").textContent).toBe("0:01.000 / 0:02.000");
    bar.status("Loading…");
    expect(q(".wf-status").textContent).toBe("Loading…");
    bar.updatePlayable(false);
    expect(q<HTMLButtonElement>(".wf-play").disabled).toBe(true);
  });

  it("adds a rate that is not one of the choices", () => {
    const { bar } = toolbar();
    bar.updateRate(1.3);
    const sel = q<HTMLSelectElement>(".wf-rate select");
    expect(sel.value).toBe("1.3");
    const n = sel.options.length;
    bar.updateRate(1.3);
    expect(sel.options.length).toBe(n);
  });
});

describe("Legend", () => {
  it("draws a button per label, the active one pressed, and chooses by index", () => {
    const chosen: number[] = [];
    const legend = new Legend((i) => chosen.push(i));
    document.body.appendChild(legend.el);
    legend.render([{ name: "SPK1" }, { name: "SPK2" }], "SPK2", () => "#ff0000", (i) => (i === 0 ? "1" : undefined));
    const buttons = [...legend.el.querySelectorAll<HTMLButtonElement>(".wf-label")];
    expect(buttons.map((b) => b.getAttribute("aria-pressed"))).toEqual(["false", "true"]);
    expect(buttons.map((b) => b.title)).toEqual(["SPK1 (1)", "SPK2"]);
    expect(buttons[0].querySelector("kbd")?.textContent).toBe("1");
    buttons[1].click();
    expect(chosen).toEqual([1]);
    legend.render([], "", () => "", () => undefined);
    expect(legend.el.hidden).toBe(true);
  });
});

describe("Legend of read-only regions", () => {
  it("asks the question in plain text, no button to press", () => {
    const legend = new Legend(() => undefined);
    document.body.appendChild(legend.el);
    legend.render([{ name: "GOOD_QUALITY" }], "GOOD_QUALITY", () => "#00aa00", () => "1", false);
    expect(legend.el.textContent).toBe("GOOD_QUALITY?");
    expect(legend.el.querySelectorAll("button, kbd, [aria-pressed]").length).toBe(0);
    expect(legend.el.getAttribute("aria-label")).toBe("GOOD_QUALITY?");
    legend.render([{ name: "SPEECH" }, { name: "NOISE" }], "SPEECH", () => "#00aa00", () => undefined, false);
    expect(legend.el.textContent).toBe("SPEECH or NOISE?");
    legend.render([{ name: "SPEECH" }], "SPEECH", () => "#00aa00", () => "1", true);
    expect(legend.el.querySelectorAll("button.wf-label").length).toBe(1);
    expect(legend.el.classList.contains("wf-legend-question")).toBe(false);
  });
});

describe("SelectionBar", () => {
  it("shows the selected region and commits its text", () => {
    const calls: string[] = [];
    const bar = new SelectionBar({ play: () => calls.push("play"), commitText: (t) => calls.push(`text ${t}`), remove: () => calls.push("remove") });
    document.body.appendChild(bar.el);
    expect(bar.el.hidden).toBe(true);
    bar.show({ id: "r", start: 1, end: 2.5, label: "SPK1", channel: 1, text: "hi" }, "#00ff00", true);
    expect(bar.el.hidden).toBe(false);
    expect(q(".wf-sel-label").textContent).toBe("SPK1");
    expect(q(".wf-sel-times").textContent).toBe("0:01.000 – 0:02.500 (1.500 s) · channel 2");
    const input = q<HTMLInputElement>(".wf-sel-text");
    expect(input.value).toBe("hi");
    input.value = "hello";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    q<HTMLButtonElement>(".wf-sel-play").click();
    q<HTMLButtonElement>(".wf-sel-delete").click();
    expect(calls).toEqual(["text hello", "play", "remove"]);
    bar.show({ id: "r", start: 1, end: 2.5, label: "", channel: null }, "#00ff00", false);
    expect(q(".wf-sel-label").textContent).toBe("(no label)");
    expect(input.disabled).toBe(true);
    expect(q<HTMLElement>(".wf-sel-delete").hidden).toBe(true);
    bar.show(undefined, "", true);
    expect(bar.el.hidden).toBe(true);
  });
});
