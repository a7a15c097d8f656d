import { describe, expect, it } from "vitest";
import { diffRegions, labelRows, normalizeRegion, RegionStore, regionsEqual } from "../src/state";
import {
  decideRender,
  decimatePeaks,
  decodePeaks,
  fileNameOf,
  maxOfChannels,
  maxPeakOf,
  overviewFromBytes,
  resolveSettings,
  stepRate,
} from "../src/protocol";

const r = (id: string, start: number, end: number, label = "A", extra = {}) => ({ id, start, end, label, ...extra });

describe("regions", () => {
  it("normalises to ms, orders and clamps", () => {
    expect(normalizeRegion(r("a", 2.00049, 1.0), 10)).toEqual({ id: "a", start: 1, end: 2, label: "A", channel: null });
    expect(normalizeRegion(r("a", -1, 20), 10)).toMatchObject({ start: 0, end: 10 });
    expect(normalizeRegion(r("a", 5, 5), 10, 0.02)).toMatchObject({ start: 5, end: 5.02 });
    expect(normalizeRegion(r("a", 9.99, 9.99), 10, 0.05)).toMatchObject({ start: 9.95, end: 10 });
    expect(normalizeRegion(r("a", 1, 2, "A", { channel: 1, text: "hi" }), 10)).toMatchObject({ channel: 1, text: "hi" });
  });

  it("creates, updates, removes, with undo and redo", () => {
    const s = new RegionStore(30, [r("r1", 1, 2)], 0.02);
    expect(s.canUndo()).toBe(false);
    s.create(r("r2", 5, 6, "B"));
    s.update("r1", { start: 1.5 });
    s.update("r2", { label: "C" });
    s.remove("r1");
    expect(s.list().map((x) => x.id)).toEqual(["r2"]);
    expect(s.undo()).toBe(true);
    expect(s.get("r1")?.start).toBe(1.5);
    expect(s.undo()).toBe(true);
    expect(s.get("r2")?.label).toBe("B");
    expect(s.undo()).toBe(true);
    expect(s.get("r1")?.start).toBe(1);
    expect(s.redo()).toBe(true);
    expect(s.get("r1")?.start).toBe(1.5);
    s.create(r("r3", 7, 8)); // a new edit drops the redo branch
    expect(s.canRedo()).toBe(false);
    expect(s.undo() && s.undo() && s.undo()).toBe(true);
    expect(s.list().map((x) => x.id)).toEqual(["r1"]);
    expect(s.undo()).toBe(false);
  });

  it("ignores updates that change nothing and enforces the minimum length", () => {
    const s = new RegionStore(30, [r("r1", 1, 2)], 0.1);
    expect(s.update("r1", { start: 1.0001 })).toBe(null);
    expect(s.canUndo()).toBe(false);
    expect(s.update("r1", { end: 1.01 })?.end).toBe(1.1);
    expect(s.create(r("z", 3, 3)).end).toBe(3.1);
    expect(() => s.create(r("z", 4, 5))).toThrow();
  });

  it("reset drops the history and duplicate ids", () => {
    const s = new RegionStore(30, []);
    s.create(r("a", 1, 2));
    s.reset([r("x", 1, 2), r("x", 3, 4)]);
    expect(s.list().map((x) => x.id)).toEqual(["x"]);
    expect(s.canUndo()).toBe(false);
  });

  it("hit-tests the shortest region first, on its lane", () => {
    const s = new RegionStore(30, [r("long", 0, 10), r("short", 4, 5), r("right", 4, 6, "A", { channel: 1 })]);
    expect(s.hitTest(4.5, null)).toEqual(["short", "right", "long"]);
    expect(s.hitTest(4.5, 0)).toEqual(["short", "long"]);
    expect(s.hitTest(20, null)).toEqual([]);
  });

  it("stacks the labels of overlapping regions in rows, per lane", () => {
    const rows = labelRows([
      r("a", 0, 10),
      r("b", 2, 4),
      r("c", 5, 6),
      r("d", 3, 12),
      r("e", 10, 11),
      r("f", 2, 4, "A", { channel: 1 }),
    ]);
    expect(Object.fromEntries(rows)).toEqual({ a: 0, b: 1, c: 1, d: 2, e: 0, f: 0 });
  });

  it("diffs what is shown against what should be", () => {
    const d = diffRegions([r("a", 1, 2), r("b", 3, 4)], [r("b", 3, 4.5), r("c", 5, 6)]);
    expect(d.remove).toEqual(["a"]);
    expect(d.change.map((x) => x.id)).toEqual(["b"]);
    expect(d.add.map((x) => x.id)).toEqual(["c"]);
  });
});

describe("protocol", () => {
  it("resets on a new task, replaces on a higher revision, else keeps (no echo)", () => {
    expect(decideRender(null, { task_id: "t1", revision: 0 })).toBe("reset");
    expect(decideRender({ taskId: "t1", revision: 0 }, { task_id: "t2", revision: 0 })).toBe("reset");
    expect(decideRender({ taskId: "t1", revision: 0 }, { task_id: "t1", revision: 1 })).toBe("replace");
    expect(decideRender({ taskId: "t1", revision: 2 }, { task_id: "t1", revision: 2 })).toBe("keep");
    expect(decideRender({ taskId: "t1", revision: 2 }, { task_id: "t1", revision: 1 })).toBe("keep");
  });

  it("decodes channel-major byte peaks", () => {
    const [left, right] = decodePeaks(new Uint8Array([0, 255, 51, 102, 0, 255]), 2);
    expect(left[0]).toBe(0);
    expect(left[1]).toBe(1);
    expect(left[2]).toBeCloseTo(0.2);
    expect(right.length).toBe(3);
    expect(right[0]).toBeCloseTo(0.4);
  });

  it("decimates long peaks keeping every maximum", () => {
    const ch = Float32Array.from({ length: 1000 }, (_, i) => (i === 517 ? 0.9 : (i % 10) / 100));
    const [d] = decimatePeaks([ch], 100);
    expect(d.length).toBe(100);
    expect(d[51]).toBeCloseTo(0.9);
    expect(d[0]).toBeCloseTo(0.09);
    const short = [new Float32Array(50)];
    expect(decimatePeaks(short, 100)).toBe(short);
    expect(maxPeakOf(new Uint8Array([3, 255, 7]))).toBe(1);
  });

  it("takes the overview on the bytes, equal to decimating the decoded peaks", () => {
    const bytes = Uint8Array.from({ length: 2 * 1003 }, (_, i) => (i * 37) % 256);
    const a = overviewFromBytes(bytes, 2, 100);
    const b = decimatePeaks(decodePeaks(bytes, 2), 100);
    expect(a.length).toBe(2);
    expect(Array.from(a[1])).toEqual(Array.from(b[1]));
    expect(maxOfChannels(a)).toBe(maxOfChannels(b));
  });

  it("resolves settings with defaults and bounds", () => {
    const s = resolveSettings({ audio_rate: 7, show_audio_minimap: false, custom_theme: { labels: { A: "red" } } });
    expect(s.audio_rate).toBe(2);
    expect(s.show_audio_minimap).toBe(false);
    expect(s.show_audio_cursor).toBe(true);
    expect(s.theme_labels).toEqual({ A: "red" });
    expect(resolveSettings(null).audio_max_zoom).toBe(5000);
  });

  it("steps the rate between 0.5 and 2", () => {
    expect(stepRate(1, 1)).toBe(1.25);
    expect(stepRate(2, 1)).toBe(2);
    expect(stepRate(0.5, -1)).toBe(0.5);
    expect(stepRate(1.1, -1)).toBe(1);
  });

  it("names files from URLs", () => {
    expect(fileNameOf("/api/media/abc")).toBe("abc");
    expect(fileNameOf("http://h/x/tr%C3%B100.wav?x=1")).toBe("trñ00.wav");
    expect(fileNameOf("data:audio/wav;base64,AAA")).toBe("(embedded audio)");
  });
});

describe("channel 0 is a channel, not 'all channels'", () => {
  it("is kept by normalisation, as a number", () => {
    expect(normalizeRegion(r("a", 1, 2, "A", { channel: 0 }), 10).channel).toBe(0);
    expect(normalizeRegion(r("a", 1, 2, "A", { channel: "0" as unknown as number }), 10).channel).toBe(0);
    expect(normalizeRegion(r("a", 1, 2, "A", { channel: null }), 10).channel).toBe(null);
    expect(normalizeRegion(r("a", 1, 2), 10).channel).toBe(null);
    expect(normalizeRegion(r("a", 1, 2, "A", { channel: 1.5 }), 10).channel).toBe(null);
  });

  it("stays on channel 0 when loaded, created, moved, undone and redone", () => {
    const s = new RegionStore(30, [r("left", 1, 2, "A", { channel: 0 })]);
    expect(s.list()).toEqual([{ id: "left", start: 1, end: 2, label: "A", channel: 0 }]);
    expect(s.create(r("new", 3, 4, "B", { channel: 0 })).channel).toBe(0);
    expect(s.update("left", { start: 1.5 })).toEqual({ id: "left", start: 1.5, end: 2, label: "A", channel: 0 });
    expect(s.undo()).toBe(true);
    expect(s.get("left")).toEqual({ id: "left", start: 1, end: 2, label: "A", channel: 0 });
    expect(s.redo()).toBe(true);
    expect(s.get("left")).toEqual({ id: "left", start: 1.5, end: 2, label: "A", channel: 0 });
    expect(s.get("new")!.channel).toBe(0);
  });

  it("moving a region between channel 0 and all channels is an edit", () => {
    const s = new RegionStore(30, [r("a", 1, 2, "A", { channel: 0 })]);
    expect(s.update("a", { channel: null })).toEqual({ id: "a", start: 1, end: 2, label: "A", channel: null });
    expect(s.canUndo()).toBe(true);
    expect(s.update("a", { channel: 0 })).toEqual({ id: "a", start: 1, end: 2, label: "A", channel: 0 });
    expect(regionsEqual(r("a", 1, 2, "A", { channel: 0 }), r("a", 1, 2, "A", { channel: null }))).toBe(false);
    expect(regionsEqual(r("a", 1, 2, "A", { channel: 0 }), r("a", 1, 2, "A"))).toBe(false);
    const d = diffRegions([r("a", 1, 2, "A", { channel: null })], [r("a", 1, 2, "A", { channel: 0 })]);
    expect(d).toEqual({ add: [], remove: [], change: [r("a", 1, 2, "A", { channel: 0 })] });
  });

  it("is hit on lane 0 only; an all-channel region on every lane", () => {
    const s = new RegionStore(30, [r("left", 1, 3, "A", { channel: 0 }), r("all", 0, 10)]);
    expect(s.hitTest(2, 0)).toEqual(["left", "all"]);
    expect(s.hitTest(2, 1)).toEqual(["all"]);
    expect(s.hitTest(2, null)).toEqual(["left", "all"]);
  });

  it("stacks labels of channel 0 apart from those of channel 1", () => {
    const rows = labelRows([r("l1", 0, 5, "A", { channel: 0 }), r("l2", 1, 4, "A", { channel: 0 }), r("r1", 1, 4, "A", { channel: 1 })]);
    expect(Object.fromEntries(rows)).toEqual({ l1: 0, l2: 1, r1: 0 });
  });
});

describe("reset for a new task", () => {
  it("forgets the redo branch: replaced regions never come back", () => {
    const s = new RegionStore(30, [r("old", 1, 2)]);
    s.create(r("drawn", 3, 4));
    expect(s.undo()).toBe(true);
    expect(s.canRedo()).toBe(true);
    s.reset([r("next", 5, 6, "B")]);
    expect(s.canRedo()).toBe(false);
    expect(s.redo()).toBe(false);
    expect(s.list()).toEqual([{ id: "next", start: 5, end: 6, label: "B", channel: null }]);
    expect(s.undo()).toBe(false);
    expect(s.list()).toEqual([{ id: "next", start: 5, end: 6, label: "B", channel: null }]);
  });
});

describe("the undo cap", () => {
  it("drops the oldest snapshot: the last edits stay undoable, in order", () => {
    const s = new RegionStore(30, [], 0, 3);
    s.create(r("a", 1, 2)); // edit 1
    s.create(r("b", 3, 4)); // edit 2
    s.create(r("c", 5, 6)); // edit 3
    s.create(r("d", 7, 8)); // edit 4: the snapshot before edit 1 (no regions) is dropped
    const ids = () => s.list().map((x) => x.id);
    expect(ids()).toEqual(["a", "b", "c", "d"]);
    expect(s.undo()).toBe(true);
    expect(ids()).toEqual(["a", "b", "c"]);
    expect(s.undo()).toBe(true);
    expect(ids()).toEqual(["a", "b"]);
    expect(s.undo()).toBe(true);
    expect(ids()).toEqual(["a"]);
    expect(s.undo()).toBe(false);
    expect(ids()).toEqual(["a"]);
    expect(s.maxUndo).toBe(3);
  });

  it("defaults to 500 undoable edits", () => {
    const s = new RegionStore(1000, []);
    for (let i = 0; i < 501; i++) s.create(r(`r${i}`, i, i + 0.5));
    let undone = 0;
    while (s.undo()) undone++;
    expect(undone).toBe(500);
    expect(s.list().map((x) => x.id)).toEqual(["r0"]);
  });
});
