import { describe, expect, it } from "vitest";
import { chooseTicks, clockText, clockTime, decimalsFor, formatTime, NICE_INTERVALS, ticksInRange } from "../src/ticks";

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

describe("the ticks at the edges of the view", () => {
  const times = (ticks: { time: number }[]) => ticks.map((t) => t.time);
  const labelled = (ticks: { time: number; label: boolean }[]) => ticks.filter((t) => t.label).map((t) => t.time);

  it("include the tick at 0 when the view starts there", () => {
    const ticks = ticksInRange(0, 1, { interval: 0.1, labelInterval: 0.5 });
    expect(times(ticks)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(labelled(ticks)).toEqual([0, 0.5, 1]);
  });

  it("include the first tick when the start is a multiple of the interval computed in floats", () => {
    // 0.1 * 3 is 0.30000000000000004 and 0.3 / 0.1 is 2.9999999999999996: both must give the tick at 0.3
    expect(times(ticksInRange(0.1 * 3, 0.7, { interval: 0.1, labelInterval: 0.5 }))).toEqual([0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(times(ticksInRange(0.3, 0.7, { interval: 0.1, labelInterval: 0.5 }))).toEqual([0.3, 0.4, 0.5, 0.6, 0.7]);
    // 1.2 / 0.2 is 5.999999999999999: the last tick is kept too
    const fifths = ticksInRange(0.6, 1.2, { interval: 0.2, labelInterval: 1 });
    expect(times(fifths)).toEqual([0.6, 0.8, 1, 1.2]);
    expect(labelled(fifths)).toEqual([1]);
  });

  it("start at 0 for a view starting before it, and stop at the limit", () => {
    expect(times(ticksInRange(-0.25, 0.25, { interval: 0.1, labelInterval: 0.1 }))).toEqual([0, 0.1, 0.2]);
    expect(times(ticksInRange(0, 3600, { interval: 0.001, labelInterval: 0.01 }, 4))).toEqual([0, 0.001, 0.002, 0.003]);
    expect(times(ticksInRange(0.05, 0.09, { interval: 0.1, labelInterval: 0.1 }))).toEqual([]);
  });
});

describe("tick and label intervals, worked out by hand", () => {
  it("for a fitted hour, a zoomed view and a deep zoom", () => {
    // 3600 s in 1000 px: 0.278 px/s; at most 100 ticks -> 36 s, 8 px -> 28.8 s: 60 s ticks;
    // labels 70 px apart -> 252 s: the first multiple of 60 at least that is 300
    expect(chooseTicks(3600, 0, 1000)).toEqual({ interval: 60, labelInterval: 300 });
    // 30 s fitted: 0.3 s -> 0.5 s ticks; labels 2.1 s -> 5 s (2 is too close, 1.5 is not in the list)
    expect(chooseTicks(30, 0, 1000)).toEqual({ interval: 0.5, labelInterval: 5 });
    // 100 px/s: 10 s in view -> 0.1 s ticks; labels 0.7 s -> 1 s
    expect(chooseTicks(3600, 100, 1000)).toEqual({ interval: 0.1, labelInterval: 1 });
    // 5000 px/s: 0.2 s in view -> 2 ms ticks; labels 14 ms -> 20 ms (5 ms is no multiple of 2 ms)
    expect(chooseTicks(3600, 5000, 1000)).toEqual({ interval: 0.002, labelInterval: 0.02 });
    // 0.5 px/s: 2000 s in view -> 20 s -> 30 s ticks; labels 140 s -> 300 s (no 150 in the list)
    expect(chooseTicks(7200, 0.5, 1000)).toEqual({ interval: 30, labelInterval: 300 });
  });

  it("labels only multiples of the tick interval, and every tick when they are far enough apart", () => {
    // 500 px/s: 2 s in view -> 20 ms ticks; labels 20 px -> 40 ms: 50 ms is 2.5 ticks, so 100 ms
    expect(chooseTicks(60, 500, 1000, 100, 8, 20)).toEqual({ interval: 0.02, labelInterval: 0.1 });
    // 5000 px/s with labels 20 px apart -> 4 ms: 5 ms is 2.5 ticks of 2 ms, so 10 ms
    expect(chooseTicks(60, 5000, 1000, 100, 8, 20)).toEqual({ interval: 0.002, labelInterval: 0.01 });
    // labels 5 px apart at 100 px/s -> 50 ms, closer than the ticks: every tick is labelled
    expect(chooseTicks(60, 100, 1000, 100, 8, 5)).toEqual({ interval: 0.1, labelInterval: 0.1 });
  });

  it("accepts labels exactly the least distance apart", () => {
    // 70 px/s: 14.3 s in view -> 0.2 s ticks; labels 70 px -> exactly 1 s, which is enough
    expect(chooseTicks(60, 70, 1000)).toEqual({ interval: 0.2, labelInterval: 1 });
  });

  it("stops at a day for absurdly long views", () => {
    expect(chooseTicks(1e9, 0, 1000)).toEqual({ interval: 86400, labelInterval: 86400 });
  });
});

describe("time labels", () => {
  it("pad seconds to two digits, minutes too once there are hours", () => {
    expect(formatTime(10)).toBe("0:10");
    expect(formatTime(9)).toBe("0:09");
    expect(formatTime(75)).toBe("1:15");
    expect(formatTime(3600)).toBe("1:00:00");
    expect(formatTime(3600 + 9 * 60 + 9.5, 1)).toBe("1:09:09.5");
    expect(formatTime(10.25, 2)).toBe("0:10.25");
  });

  it("show the sign of a negative time", () => {
    expect(formatTime(-65)).toBe("-1:05");
    expect(formatTime(-0.5, 1)).toBe("-0:00.5");
  });

  it("carry as many decimals as the label step needs, at most 3", () => {
    expect(decimalsFor(1)).toBe(0);
    expect(decimalsFor(0.1)).toBe(1);
    expect(decimalsFor(0.2)).toBe(1);
    expect(decimalsFor(0.01)).toBe(2);
    expect(decimalsFor(0.001)).toBe(3);
    expect(decimalsFor(0.0001)).toBe(3);
  });
});

describe("the toolbar's clock", () => {
  it("shows the current time and the duration in one format, tenths of a second", () => {
    expect(clockText(0, 6.145)).toBe("0:00.0 / 0:06.1");
    expect(clockText(0, 30)).toBe("0:00.0 / 0:30.0");
    expect(clockText(3.26, 10.7)).toBe("0:03.3 / 0:10.7");
    expect(clockText(65.04, 125.5)).toBe("1:05.0 / 2:05.5");
    expect(clockText(0, 10.7, false)).toBe("0:10.7");
  });

  it("keeps one width while it runs: minutes padded as the duration's, hours when it has them", () => {
    expect(clockText(5.1, 723.4)).toBe("00:05.1 / 12:03.4");
    expect(clockText(5.1, 3723.4)).toBe("0:00:05.1 / 1:02:03.4");
    const d = 754.3;
    const widths = new Set([0, 0.05, 9.96, 59.99, 61, 599.9, 600, d].map((t) => clockTime(t, d).length));
    expect(widths).toEqual(new Set([clockTime(d, d).length]));
  });

  it("rounds to the tenth without showing 60 seconds, and never runs past the duration", () => {
    expect(clockTime(59.96, 120)).toBe("1:00.0");
    expect(clockTime(7, 6.1)).toBe("0:06.1");
    expect(clockTime(-1, 6.1)).toBe("0:00.0");
  });
});
