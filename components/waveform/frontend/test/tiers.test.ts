import { describe, expect, it } from "vitest";
import {
  initialLanes,
  labelAt,
  labelFit,
  lanesHeight,
  lanesMode,
  MIN_LABEL_WIDTH,
  MIN_ROW_HEIGHT,
  OTHER_ROW_NAME,
  rowAt,
  rowBox,
  rowGeometry,
  rowOfLabel,
  stackLimit,
  tierRows,
} from "../src/tiers";

describe("the lanes setting", () => {
  it("is labels only when asked for by name; anything else keeps the channel lanes", () => {
    expect(lanesMode("labels")).toBe("labels");
    expect(lanesMode("channels")).toBe("channels");
    for (const v of [undefined, null, "", "Labels", "label", true, 1, {}]) expect(lanesMode(v)).toBe("channels");
  });

  it("starts from the tab's remembered choice, else the setting", () => {
    expect(initialLanes("labels", "channels")).toBe("labels");
    expect(initialLanes("channels", "labels")).toBe("channels");
    expect(initialLanes(null, "labels")).toBe("labels");
    expect(initialLanes(undefined, "channels")).toBe("channels");
    expect(initialLanes("1", "labels")).toBe("labels");
  });
});

describe("rows", () => {
  it("are the list's labels in order, once each, with no other row when every label is listed", () => {
    const rows = tierRows(["B", "A", "C", "A"], ["A", "C", "C"]);
    expect(rows).toEqual([
      { label: "B", name: "B" },
      { label: "A", name: "A" },
      { label: "C", name: "C" },
    ]);
  });

  it("end with one 'other' row for every label not in the list", () => {
    const rows = tierRows(["A", "B"], ["A", "X", "Y", "B"]);
    expect(rows.map((r) => r.name)).toEqual(["A", "B", OTHER_ROW_NAME]);
    expect(rows[2].label).toBeNull();
    expect(rowOfLabel(rows, "A")).toBe(0);
    expect(rowOfLabel(rows, "B")).toBe(1);
    expect(rowOfLabel(rows, "X")).toBe(2);
    expect(rowOfLabel(rows, "Y")).toBe(2);
    expect(rowOfLabel(rows, "")).toBe(2);
  });

  it("keep a label named like the other row apart from it", () => {
    const rows = tierRows(["other"], ["other", "Z"]);
    expect(rows).toEqual([
      { label: "other", name: "other" },
      { label: null, name: OTHER_ROW_NAME },
    ]);
    expect(rowOfLabel(rows, "other")).toBe(0);
    expect(rowOfLabel(rows, "Z")).toBe(1);
  });

  it("give -1 for an unlisted label when there is no other row", () => {
    const rows = tierRows(["A"], []);
    expect(rowOfLabel(rows, "Q")).toBe(-1);
    expect(rowOfLabel([], "A")).toBe(-1);
    expect(tierRows([], [])).toEqual([]);
    expect(tierRows([], ["A"])).toEqual([{ label: null, name: OTHER_ROW_NAME }]);
    // no list at all: every region in the one "other" row
    expect(rowOfLabel(tierRows([], ["A"]), "A")).toBe(0);
    expect(OTHER_ROW_NAME).toBe("other");
  });
});

describe("row geometry", () => {
  it("splits the height into equal rows that cover it exactly", () => {
    const boxes = rowGeometry(150, 4);
    expect(boxes).toHaveLength(4);
    expect(boxes[0]).toEqual({ top: 0, height: 37.5 });
    expect(boxes[3]).toEqual({ top: 112.5, height: 37.5 });
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].top).toBeCloseTo(boxes[i - 1].top + boxes[i - 1].height, 9);
    expect(boxes[3].top + boxes[3].height).toBeCloseTo(150, 9);
    expect(rowGeometry(100, 3).map((b) => b.top)).toEqual([0, 100 / 3, 200 / 3]);
  });

  it("has no rows for no labels, and clamps a row index", () => {
    expect(rowGeometry(150, 0)).toEqual([]);
    expect(rowBox(-1, 3, 90)).toEqual({ top: 0, height: 30 });
    expect(rowBox(7, 3, 90)).toEqual({ top: 60, height: 30 });
    expect(rowBox(0, 0, 90)).toEqual({ top: 0, height: 90 });
  });

  it("finds the row under a y position, clamped to the first and last", () => {
    expect(rowAt(0, 150, 3)).toBe(0);
    expect(rowAt(49.9, 150, 3)).toBe(0);
    expect(rowAt(50, 150, 3)).toBe(1);
    expect(rowAt(99.9, 150, 3)).toBe(1);
    expect(rowAt(100, 150, 3)).toBe(2);
    expect(rowAt(150, 150, 3)).toBe(2);
    expect(rowAt(-5, 150, 3)).toBe(0);
    expect(rowAt(500, 150, 3)).toBe(2);
    expect(rowAt(NaN, 150, 3)).toBe(0);
    expect(rowAt(10, 0, 3)).toBe(0);
    expect(rowAt(0.7, 1, 4)).toBe(2); // a relative y
  });

  it("gives the label at a y position, null on the other row", () => {
    const rows = tierRows(["A", "B"], ["X"]);
    expect(labelAt(rows, 10, 90)).toBe("A");
    expect(labelAt(rows, 45, 90)).toBe("B");
    expect(labelAt(rows, 89, 90)).toBeNull();
    expect(labelAt([], 10, 90)).toBeNull();
  });

  it("makes the wave taller only when the rows would be thinner than the least row height", () => {
    expect(lanesHeight(150, 3)).toBe(150);
    expect(lanesHeight(150, 5)).toBe(150);
    expect(lanesHeight(150, 6)).toBe(6 * MIN_ROW_HEIGHT);
    expect(lanesHeight(150, 9)).toBe(9 * MIN_ROW_HEIGHT);
    expect(lanesHeight(150, 0)).toBe(150);
  });

  it("stacks as many labels as a row has room for, at least one", () => {
    expect(stackLimit(14)).toBe(1);
    expect(stackLimit(30)).toBe(1);
    expect(stackLimit(31)).toBe(2);
    expect(stackLimit(46)).toBe(2);
    expect(stackLimit(47)).toBe(3);
    expect(stackLimit(150)).toBe(9);
  });
});

describe("a region's label", () => {
  it("is whole when the region is wide enough, cut when a little too narrow, hidden when tiny", () => {
    expect(labelFit(100, 50)).toBe("full");
    expect(labelFit(52, 50)).toBe("full");
    expect(labelFit(51.9, 50)).toBe("truncated");
    expect(labelFit(MIN_LABEL_WIDTH, 50)).toBe("truncated");
    expect(labelFit(MIN_LABEL_WIDTH - 0.1, 10)).toBe("none");
    expect(labelFit(2, 50)).toBe("none");
    expect(labelFit(NaN, 50)).toBe("none");
  });
});
