import { describe, expect, it } from "vitest";
import { wheelScroll } from "../src/gestures";

const wheel = (deltaY: number, deltaX = 0, deltaMode = 0) => ({ deltaX, deltaY, deltaMode });

describe("a plain wheel", () => {
  it("scrolls the zoomed view by the larger delta, lines and pages counted in pixels", () => {
    expect(wheelScroll(100, 4000, 1000, wheel(120))).toBe(220);
    expect(wheelScroll(100, 4000, 1000, wheel(-50))).toBe(50);
    expect(wheelScroll(100, 4000, 1000, wheel(10, -80))).toBe(20);
    expect(wheelScroll(100, 4000, 1000, wheel(3, 0, 1))).toBe(148);
    expect(wheelScroll(0, 4000, 1000, wheel(1, 0, 2))).toBe(1000);
  });

  it("leaves the page its scroll when the whole file is in view or the view is at that end", () => {
    expect(wheelScroll(0, 1000, 1000, wheel(120))).toBeNull();
    expect(wheelScroll(3000, 4000, 1000, wheel(120))).toBeNull();
    expect(wheelScroll(0, 4000, 1000, wheel(-120))).toBeNull();
    expect(wheelScroll(2950, 4000, 1000, wheel(120))).toBe(3000);
    expect(wheelScroll(10, 4000, 1000, wheel(0))).toBeNull();
  });
});
