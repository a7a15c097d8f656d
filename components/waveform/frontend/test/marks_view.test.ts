import { describe, expect, it } from "vitest";
import type WaveSurfer from "wavesurfer.js";
import { MarksView, type MarksHost } from "../src/marks_view";

/** A host with a fake waveform whose playhead the test moves. */
function setup(over: Partial<MarksHost> = {}) {
  const wrapper = document.createElement("div");
  document.body.appendChild(wrapper);
  const state = { time: 0, task: "t1" as string | null };
  const made: [number, number, number | null][] = [];
  const ws = { getCurrentTime: () => state.time, getWrapper: () => wrapper } as unknown as WaveSurfer;
  const host: MarksHost = {
    ws: () => ws,
    canMark: () => true,
    taskId: () => state.task,
    duration: () => 10,
    minLength: () => 0.02,
    channels: () => 1,
    lane: () => null,
    color: () => "rgb(255, 0, 0)",
    makeRegion: (start, end, lane) => made.push([start, end, lane]),
    ...over,
  };
  return { view: new MarksView(host), wrapper, state, made };
}

describe("MarksView", () => {
  it("shows the first mark as a line and makes a region from the second, either order", () => {
    const { view, wrapper, state, made } = setup();
    state.time = 4;
    expect(view.mark("out")).toBe(true);
    const line = wrapper.querySelector<HTMLElement>(".wf-mark")!;
    expect(line.dataset.edge).toBe("out");
    expect(line.style.left).toBe("40%");
    expect(line.style.borderLeft).toContain("rgb(255, 0, 0)");
    expect(view.currentMark()).toEqual({ edge: "out", time: 4 });
    expect(document.body.dataset.mark).toBe("out:4.000");
    state.time = 1.5;
    expect(view.mark("in")).toBe(true);
    expect(made).toEqual([[1.5, 4, null]]);
    expect(wrapper.querySelector(".wf-mark")).toBeNull();
    expect(view.held).toBe(false);
    expect(document.body.dataset.mark).toBe("");
  });

  it("draws the line on its channel lane", () => {
    const { view, wrapper } = setup({ channels: () => 2, lane: () => 1 });
    view.mark("in");
    const line = wrapper.querySelector<HTMLElement>(".wf-mark")!;
    expect(line.style.top).toBe("50%");
    expect(line.style.height).toBe("50%");
  });

  it("forgets a mark of another task, and marks nothing when it may not", () => {
    const { view, state } = setup();
    view.mark("in");
    state.task = "t2";
    expect(view.currentMark()).toBeNull();
    expect(view.held).toBe(true);
    const off = setup({ canMark: () => false });
    expect(off.view.mark("in")).toBe(false);
    expect(off.view.held).toBe(false);
  });
});
