import { describe, expect, it } from "vitest";
import { chooseTicks, decimalsFor, formatTime, NICE_INTERVALS, ticksInRange } from "../src/ticks";

describe("tick spacing", () => {
  it("keeps at most about 100 ticks in view whatever the duration and zoom", () => {
    for (const duration of [1.2, 5, 30, 300, 3600, 7200]) {
      const width = 1000;
      const fit = width / duration;
      for (const pps of [fit, fit * 4, 10, 100, 1000, 5000]) {
        if (pps < fit) continue;
        const plan = chooseTicks(duration, pps, width);
        const inView = width / pps / plan.interval;
        expect(inView).toBeLessThanOrEqual(101);
        expect(plan.interval * pps).toBeGreaterThanOrEqual(8 - 1e-9);
        expect(NICE_INTERVALS).toContain(plan.interval);
        const r = plan.labelInterval / plan.interval;
        expect(Math.abs(r - Math.round(r))).toBeLessThan(1e-6);
      }
    }
  });

  it("chooses from the duration when fitted and from the zoom when zoomed", () => {
    expect(chooseTicks(3600, 0, 1000).interval).toBe(60); // a whole hour in 1000 px
    expect(chooseTicks(30, 0, 1000).interval).toBe(0.5);
    expect(chooseTicks(3600, 100, 1000).interval).toBe(0.1); // 10 s in view
    expect(chooseTicks(3600, 5000, 1000).interval).toBe(0.002);
  });

  it("labels ticks far enough apart to read", () => {
    const plan = chooseTicks(30, 1000 / 30, 1000);
    expect(plan.labelInterval * (1000 / 30)).toBeGreaterThanOrEqual(70);
  });

  it("lists the ticks of a range by index, without drift", () => {
    const plan = { interval: 0.1, labelInterval: 0.5 };
    const ticks = ticksInRange(1000.05, 1000.55, plan);
    expect(ticks.map((t) => t.time)).toEqual([1000.1, 1000.2, 1000.3, 1000.4, 1000.5]);
    expect(ticks.filter((t) => t.label).map((t) => t.time)).toEqual([1000.5]);
    expect(ticksInRange(-5, 0.2, plan).map((t) => t.time)).toEqual([0, 0.1, 0.2]);
  });

  it("formats times", () => {
    expect(formatTime(0)).toBe("0:00");
    expect(formatTime(65)).toBe("1:05");
    expect(formatTime(3725.5, 1)).toBe("1:02:05.5");
    expect(formatTime(1.234, 3)).toBe("0:01.234");
    expect(formatTime(59.9996, 3)).toBe("1:00.000");
    expect(decimalsFor(0.5)).toBe(1);
    expect(decimalsFor(0.05)).toBe(2);
    expect(decimalsFor(0.002)).toBe(3);
    expect(decimalsFor(5)).toBe(0);
  });
});
