import { afterEach, describe, expect, it } from "vitest";
import type WaveSurfer from "wavesurfer.js";
import { TimelinePlugin } from "../src/timeline";

afterEach(() => document.body.replaceChildren());

describe("TimelinePlugin", () => {
  it("draws the ticks in view once registered, and is gone with its unsubscriptions on destroy", () => {
    const listeners = new Map<string, () => void>();
    const wrapper = document.createElement("div");
    const fake = {
      getScroll: () => 0,
      getWidth: () => 600,
      getWrapper: () => wrapper,
      getDuration: () => 10,
      on: (ev: string, fn: () => void) => {
        listeners.set(ev, fn);
        return () => listeners.delete(ev);
      },
    };
    const container = document.createElement("div");
    document.body.appendChild(container);
    const plugin = TimelinePlugin.create({ container, duration: 10 });
    plugin._init(fake as unknown as WaveSurfer);
    expect(container.querySelector(".wf-timeline")).toBe(plugin.el);
    expect([...listeners.keys()].sort()).toEqual(["redraw", "resize", "scroll", "zoom"]);
    plugin.render();
    expect(Number(plugin.el.dataset.ticks)).toBeGreaterThan(0);
    expect(plugin.el.querySelector(".wf-tick-label")?.textContent).toBeTruthy();
    plugin.destroy();
    expect(plugin.el.isConnected).toBe(false);
    expect(listeners.size).toBe(0);
  });
});
