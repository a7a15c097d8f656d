import { describe, expect, it } from "vitest";
import {
  byStartTime,
  edgePreview,
  nudgedEdge,
  placeMark,
  scrollToShow,
  stepSelection,
  type Span,
} from "../src/selection";

const R = (id: string, start: number, end: number): Span => ({ id, start, end });
// listed out of time order on purpose
const three = [R("c", 20, 25), R("a", 2, 4), R("b", 10, 12)];

describe("tab / shift+tab", () => {
  it("orders by start time, then end, then as listed", () => {
    const tied = [R("x", 5, 9), R("y", 5, 7), R("z", 1, 2), R("w", 5, 7)];
    expect(byStartTime(tied).map((r) => r.id)).toEqual(["z", "y", "w", "x"]);
    expect(tied.map((r) => r.id)).toEqual(["x", "y", "z", "w"]); // not sorted in place
  });

  it("steps to the next and previous region by start time, wrapping", () => {
    expect(stepSelection(three, "a", 1)).toBe("b");
    expect(stepSelection(three, "b", 1)).toBe("c");
    expect(stepSelection(three, "c", 1)).toBe("a");
    expect(stepSelection(three, "a", -1)).toBe("c");
    expect(stepSelection(three, "c", -1)).toBe("b");
    expect(stepSelection(three, "b", -1)).toBe("a");
  });

  it("steps through ties in a stable order, both ways", () => {
    const tied = [R("p", 3, 6), R("q", 3, 6), R("r", 3, 6)];
    const forward = [stepSelection(tied, "p", 1), stepSelection(tied, "q", 1), stepSelection(tied, "r", 1)];
    expect(forward).toEqual(["q", "r", "p"]);
    expect([stepSelection(tied, "p", -1), stepSelection(tied, "q", -1), stepSelection(tied, "r", -1)]).toEqual(["r", "p", "q"]);
  });

  it("with nothing selected takes the region just drawn", () => {
    expect(stepSelection(three, null, 1, { drawn: "b", time: 0 })).toBe("b");
    expect(stepSelection(three, null, -1, { drawn: "b", time: 30 })).toBe("b");
    // a region just drawn that is gone counts for nothing
    expect(stepSelection(three, null, 1, { drawn: "gone", time: 0 })).toBe("a");
    // the selected region wins over the one drawn
    expect(stepSelection(three, "a", 1, { drawn: "c" })).toBe("b");
  });

  it("else goes from the playhead: tab the first starting at or after it, shift+tab the last at or before it", () => {
    expect(stepSelection(three, null, 1)).toBe("a");
    expect(stepSelection(three, null, 1, { time: 3 })).toBe("b");
    expect(stepSelection(three, null, 1, { time: 10 })).toBe("b");
    expect(stepSelection(three, null, 1, { time: 21 })).toBe("a"); // wraps
    expect(stepSelection(three, null, -1, { time: 11 })).toBe("b");
    expect(stepSelection(three, null, -1, { time: 10 })).toBe("b");
    expect(stepSelection(three, null, -1, { time: 1 })).toBe("c"); // wraps
    expect(stepSelection(three, null, -1, { time: 30 })).toBe("c");
  });

  it("an unknown selection counts as none; no regions selects nothing", () => {
    expect(stepSelection(three, "gone", 1, { time: 15 })).toBe("c");
    expect(stepSelection([], null, 1)).toBe(null);
    expect(stepSelection([], "a", -1)).toBe(null);
    expect(stepSelection([R("only", 1, 2)], "only", 1)).toBe("only");
  });
});

describe("i / o marks", () => {
  it("the first mark is pending; the other edge makes the region, in either order", () => {
    const first = placeMark(null, "in", 2.5, 30, 0.02);
    expect(first).toEqual({ mark: { edge: "in", time: 2.5 }, region: null });
    expect(placeMark(first.mark, "out", 4.25, 30, 0.02)).toEqual({ mark: null, region: { start: 2.5, end: 4.25 } });
    const out = placeMark(null, "out", 9, 30, 0.02);
    expect(out.mark).toEqual({ edge: "out", time: 9 });
    expect(placeMark(out.mark, "in", 6, 30, 0.02)).toEqual({ mark: null, region: { start: 6, end: 9 } });
    // marked backwards: still a region between the two
    expect(placeMark({ edge: "in", time: 8 }, "out", 5, 30, 0.02).region).toEqual({ start: 5, end: 8 });
  });

  it("the same edge again moves the pending mark", () => {
    expect(placeMark({ edge: "in", time: 2 }, "in", 3, 30, 0.02)).toEqual({ mark: { edge: "in", time: 3 }, region: null });
    expect(placeMark({ edge: "out", time: 2 }, "out", 1, 30, 0.02)).toEqual({ mark: { edge: "out", time: 1 }, region: null });
  });

  it("a second mark at the same time makes no region and stays pending", () => {
    expect(placeMark({ edge: "in", time: 4 }, "out", 4, 30, 0.02)).toEqual({ mark: { edge: "out", time: 4 }, region: null });
    expect(placeMark({ edge: "in", time: 4 }, "out", 4.0002, 30, 0.02).region).toBe(null);
  });

  it("clamps to the file and keeps the minimum length", () => {
    expect(placeMark(null, "in", -1, 30, 0.02).mark).toEqual({ edge: "in", time: 0 });
    expect(placeMark(null, "out", 31, 30, 0.02).mark).toEqual({ edge: "out", time: 30 });
    expect(placeMark({ edge: "in", time: 29 }, "out", 40, 30, 0.02).region).toEqual({ start: 29, end: 30 });
    // shorter than the minimum: grown at its end
    const short = placeMark({ edge: "in", time: 5 }, "out", 5.01, 30, 0.1).region!;
    expect(short.start).toBe(5);
    expect(short.end).toBeCloseTo(5.1, 9);
    // and at its start against the end of the file
    const atEnd = placeMark({ edge: "out", time: 30 }, "in", 29.99, 30, 0.1).region!;
    expect(atEnd.end).toBe(30);
    expect(atEnd.start).toBeCloseTo(29.9, 9);
    // no duration known: nothing to clamp to above
    expect(placeMark({ edge: "in", time: 1 }, "out", 50, 0, 0.02).region).toEqual({ start: 1, end: 50 });
  });
});

describe("scrolling a region into view", () => {
  it("leaves a region in full view alone", () => {
    expect(scrollToShow(12, 14, 10, 20, 100)).toBe(null);
    expect(scrollToShow(10, 20, 10, 20, 100)).toBe(null);
  });

  it("brings a region after the view in at the view's end, one before it at the start, with a margin", () => {
    expect(scrollToShow(30, 32, 10, 20, 100)).toBeCloseTo(23, 9); // 32 + 1 - 10
    expect(scrollToShow(18, 22, 10, 20, 100)).toBeCloseTo(13, 9);
    expect(scrollToShow(4, 6, 10, 20, 100)).toBeCloseTo(3, 9);
  });

  it("shows a region wider than the view from its start, and never scrolls past either end", () => {
    expect(scrollToShow(30, 60, 10, 20, 100)).toBeCloseTo(29, 9);
    expect(scrollToShow(0.5, 1, 10, 20, 100)).toBe(0);
    expect(scrollToShow(99, 100, 10, 20, 100)).toBe(90);
    expect(scrollToShow(1, 2, 5, 5, 100)).toBe(null);
  });
});

describe("nudges", () => {
  const r = R("n", 5, 6);
  it("moves one edge by the step, inside the file and never closer than the minimum to the other", () => {
    expect(nudgedEdge(r, "start", 0.01, 0.02, 30)).toBeCloseTo(5.01, 9);
    expect(nudgedEdge(r, "start", -0.01, 0.02, 30)).toBeCloseTo(4.99, 9);
    expect(nudgedEdge(r, "end", 0.01, 0.02, 30)).toBeCloseTo(6.01, 9);
    expect(nudgedEdge(r, "end", -0.01, 0.02, 30)).toBeCloseTo(5.99, 9);
    expect(nudgedEdge(R("s", 5, 5.025), "start", 0.01, 0.02, 30)).toBeCloseTo(5.005, 9);
    expect(nudgedEdge(R("s", 5, 5.025), "end", -0.01, 0.02, 30)).toBeCloseTo(5.02, 9);
    expect(nudgedEdge(R("z", 0.005, 1), "start", -0.01, 0.02, 30)).toBe(0);
    expect(nudgedEdge(R("z", 1, 29.995), "end", 0.01, 0.02, 30)).toBe(30);
  });

  it("plays the quarter second either side of the edge, inside the file", () => {
    expect(edgePreview(5, 30)).toEqual({ start: 4.75, end: 5.25 });
    expect(edgePreview(0.1, 30)).toEqual({ start: 0, end: 0.35 });
    expect(edgePreview(29.9, 30).end).toBe(30);
    expect(edgePreview(2, 0, 0.5)).toEqual({ start: 1.5, end: 2.5 });
  });
});
