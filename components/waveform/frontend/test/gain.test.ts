import { describe, expect, it } from "vitest";
import {
  barHeight,
  clampVerticalZoom,
  drawnFraction,
  MAX_VIEW_GAIN,
  normalisingPeak,
  stepVerticalZoom,
  viewPeak,
} from "../src/gain";

// 10 s, 10 peaks per second: quiet speech (0.05) but for one loud second (0.8) at 6 s
const quiet = Float32Array.from({ length: 100 }, (_, i) => (i >= 60 && i < 70 ? 0.8 : 0.05));

describe("the peak of the view", () => {
  it("is the loudest value between the view's edges, over every channel", () => {
    expect(viewPeak([quiet], 10, 0, 10)).toBeCloseTo(0.8);
    expect(viewPeak([quiet], 10, 0, 5)).toBeCloseTo(0.05);
    expect(viewPeak([quiet], 10, 5.5, 6.05)).toBeCloseTo(0.8);
    const right = Float32Array.from({ length: 100 }, () => 0.3);
    expect(viewPeak([quiet, right], 10, 0, 5)).toBeCloseTo(0.3);
    expect(viewPeak([], 10, 0, 5)).toBe(0);
    expect(viewPeak([quiet], 0, 0, 5)).toBe(0);
  });
});

describe("normalising to the view", () => {
  it("fills the height with the view's peak, zooming into a quiet part drawing it taller", () => {
    const file = 0.8;
    const whole = normalisingPeak(viewPeak([quiet], 10, 0, 10), file);
    const part = normalisingPeak(viewPeak([quiet], 10, 0, 5), file);
    expect(whole).toBeCloseTo(0.8);
    expect(drawnFraction(0.8, whole, 1)).toBeCloseTo(1);
    // the quiet part's peak reaches at least 84 % of the height (a quarter octave of rounding)
    expect(drawnFraction(0.05, part, 1)).toBeGreaterThan(0.84);
    expect(drawnFraction(0.05, part, 1)).toBeLessThanOrEqual(1);
    expect(drawnFraction(0.05, part, 1)).toBeGreaterThan(10 * drawnFraction(0.05, whole, 1));
  });

  it("never blows silence up past MAX_VIEW_GAIN times the file's scale, and never draws below it", () => {
    expect(normalisingPeak(0, 0.8)).toBeCloseTo(0.8 / MAX_VIEW_GAIN);
    expect(normalisingPeak(0.0001, 0.8)).toBeCloseTo(0.8 / MAX_VIEW_GAIN);
    expect(normalisingPeak(0.9, 0.8)).toBeCloseTo(0.8);
    expect(normalisingPeak(0.5, 0)).toBeCloseTo(0.5); // no file peak known: 1 is the top
  });

  it("moves in quarter octaves, so small changes of loudness while scrolling redraw nothing", () => {
    expect(normalisingPeak(0.2, 1)).toBe(normalisingPeak(0.19, 1));
    expect(normalisingPeak(0.25, 1)).toBeCloseTo(0.25);
    expect(normalisingPeak(0.3, 1)).toBeGreaterThan(normalisingPeak(0.25, 1));
  });
});

describe("vertical zoom", () => {
  it("multiplies the bar height setting, within its range", () => {
    expect(barHeight(1, 1)).toBe(1);
    expect(barHeight(2, 2)).toBe(4);
    expect(barHeight(1, 100)).toBe(16);
    expect(barHeight(1, 0)).toBe(1);
    expect(clampVerticalZoom(0.01)).toBe(0.25);
    expect(clampVerticalZoom(Number.NaN)).toBe(1);
  });

  it("steps by √2 a key press, back to 1 exactly, and stops at the ends", () => {
    let z = 1;
    z = stepVerticalZoom(z, 1);
    expect(z).toBeCloseTo(Math.SQRT2);
    expect(stepVerticalZoom(z, 1)).toBe(2);
    z = stepVerticalZoom(stepVerticalZoom(z, 1), 1);
    expect(z).toBeCloseTo(2 * Math.SQRT2);
    for (let i = 0; i < 3; i++) z = stepVerticalZoom(z, -1);
    expect(z).toBe(1);
    for (let i = 0; i < 20; i++) z = stepVerticalZoom(z, 1);
    expect(z).toBe(16);
    for (let i = 0; i < 20; i++) z = stepVerticalZoom(z, -1);
    expect(z).toBe(0.25);
    expect(stepVerticalZoom(1.5, 1)).toBeCloseTo(1.5 * Math.SQRT2);
  });

  it("draws a peak twice as tall at twice the zoom (clipped past the lane's edge)", () => {
    expect(drawnFraction(0.4, 0.8, barHeight(1, 2))).toBeCloseTo(1);
    expect(drawnFraction(0.2, 0.8, barHeight(1, 2))).toBeCloseTo(2 * drawnFraction(0.2, 0.8, barHeight(1, 1)));
  });
});
