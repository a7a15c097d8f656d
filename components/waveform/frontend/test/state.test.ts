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
    const d = diffRegions([r("a", 1, 2), r("b", 3, 4), r("same", 7, 8)], [r("b", 3, 4.5), r("c", 5, 6), r("same", 7, 8)]);
    expect(d).toEqual({ add: [r("c", 5, 6)], remove: ["a"], change: [r("b", 3, 4.5)] });
    expect(diffRegions([r("a", 1, 2)], [r("a", 1, 2)])).toEqual({ add: [], remove: [], change: [] });
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

describe("normalisation of what the editor is given", () => {
  it("mends times that are not numbers", () => {
    expect(normalizeRegion(r("a", NaN, 2), 10)).toEqual({ id: "a", start: 0, end: 2, label: "A", channel: null });
    expect(normalizeRegion(r("a", 1, "x" as unknown as number), 10)).toEqual({ id: "a", start: 1, end: 1, label: "A", channel: null });
    expect(normalizeRegion(r("a", "1.5" as unknown as number, "2.25" as unknown as number), 10)).toMatchObject({ start: 1.5, end: 2.25 });
  });

  it("does not clamp when the duration is not known yet (0)", () => {
    expect(normalizeRegion(r("a", 1, 2), 0)).toMatchObject({ start: 1, end: 2 });
    expect(normalizeRegion(r("a", 5, 5), 0, 0.1)).toMatchObject({ start: 5, end: 5.1 });
  });

  it("keeps colour and text, and adds neither when absent", () => {
    expect(normalizeRegion(r("a", 1, 2, "A", { color: "#123456", text: "" }), 10)).toEqual({
      id: "a", start: 1, end: 2, label: "A", color: "#123456", channel: null, text: "",
    });
    expect(normalizeRegion(r("a", 1, 2, "A", { color: "", text: null }), 10)).toEqual({
      id: "a", start: 1, end: 2, label: "A", channel: null,
    });
    expect(normalizeRegion({ id: 7 as unknown as string, start: 1, end: 2, label: undefined as unknown as string }, 10)).toEqual({
      id: "7", start: 1, end: 2, label: "", channel: null,
    });
  });

  it("compares every field", () => {
    const base = { id: "a", start: 1, end: 2, label: "A", color: "#111111", channel: 1, text: "t" };
    expect(regionsEqual(base, { ...base })).toBe(true);
    for (const change of [{ id: "b" }, { start: 1.5 }, { end: 3 }, { label: "B" }, { color: "#222222" }, { channel: 2 }, { text: "u" }])
      expect([change, regionsEqual(base, { ...base, ...change })]).toEqual([change, false]);
    expect(regionsEqual({ ...base, color: undefined, text: undefined }, { ...base, color: null, text: null })).toBe(true);
  });
});

describe("the region store", () => {
  it("starts empty, with nothing to undo or redo", () => {
    const s = new RegionStore(30);
    expect(s.list()).toEqual([]);
    expect(s.size).toBe(0);
    expect(s.undo()).toBe(false);
    expect(s.redo()).toBe(false);
    expect(s.list()).toEqual([]);
  });

  it("counts its regions and hands out copies", () => {
    const s = new RegionStore(30, [r("a", 1, 2), r("b", 3, 4)]);
    expect(s.size).toBe(2);
    s.get("a")!.start = 9;
    s.list()[1].end = 9;
    expect(s.list()).toEqual([
      { id: "a", start: 1, end: 2, label: "A", channel: null },
      { id: "b", start: 3, end: 4, label: "A", channel: null },
    ]);
    expect(s.get("nope")).toBe(undefined);
  });

  it("names the id of a duplicate region", () => {
    const s = new RegionStore(30, [r("a", 1, 2)]);
    expect(() => s.create(r("a", 3, 4))).toThrow("duplicate region id a");
  });

  it("updates and removes only the region asked for; unknown ids change nothing", () => {
    const s = new RegionStore(30, [r("a", 1, 2), r("b", 3, 4)]);
    expect(s.update("nope", { start: 5 })).toBe(null);
    expect(s.remove("nope")).toBe(null);
    expect(s.canUndo()).toBe(false);
    expect(s.remove("b")).toEqual({ id: "b", start: 3, end: 4, label: "A", channel: null });
    expect(s.list().map((x) => x.id)).toEqual(["a"]);
    expect(s.update("a", { label: "B", text: "hello" })).toEqual({ id: "a", start: 1, end: 2, label: "B", channel: null, text: "hello" });
  });

  it("hit-tests with the edges included and a tolerance on both sides", () => {
    const s = new RegionStore(30, [r("a", 1, 2)]);
    expect(s.hitTest(1, null)).toEqual(["a"]);
    expect(s.hitTest(2, null)).toEqual(["a"]);
    expect(s.hitTest(0.999, null)).toEqual([]);
    expect(s.hitTest(2.001, null)).toEqual([]);
    expect(s.hitTest(0.95, null, 0.1)).toEqual(["a"]);
    expect(s.hitTest(2.05, null, 0.1)).toEqual(["a"]);
    expect(s.hitTest(0.85, null, 0.1)).toEqual([]);
    expect(s.hitTest(2.15, null, 0.1)).toEqual([]);
  });
});

describe("label rows", () => {
  it("are assigned in start order whatever the input order, the longer of two equal starts first", () => {
    const rows = labelRows([r("late", 5, 6), r("short", 0, 2), r("long", 0, 10)]);
    expect(Object.fromEntries(rows)).toEqual({ long: 0, short: 1, late: 1 });
  });

  it("stop at the sixth row", () => {
    const nested = Array.from({ length: 8 }, (_, i) => r(`n${i}`, i, 20 - i));
    expect(nested.map((x) => labelRows(nested).get(x.id))).toEqual([0, 1, 2, 3, 4, 5, 5, 5]);
  });
});
