/**
 * Timeline ticks. The interval is chosen from the zoom (pixels per second,
 * itself the duration fitted into the width unless zoomed) so that at most
 * about 100 ticks are in view and ticks stay at least a few pixels apart;
 * only the ticks in view are ever built.
 */

export const NICE_INTERVALS: readonly number[] = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
  900, 1800, 3600, 7200, 14400, 28800, 86400,
];

export interface TickPlan {
  /** seconds between ticks */
  interval: number;
  /** seconds between labelled ticks (a multiple of interval) */
  labelInterval: number;
}

/**
 * Choose tick and label intervals.
 * @param duration total seconds of audio
 * @param pxPerSec current zoom; 0 or less means "fit the duration into viewWidth"
 * @param viewWidth visible width in CSS pixels
 */
export function chooseTicks(
  duration: number,
  pxPerSec: number,
  viewWidth: number,
  maxTicksInView = 100,
  minTickPx = 8,
  minLabelPx = 70,
): TickPlan {
  const width = Math.max(1, viewWidth);
  const pps = pxPerSec > 0 ? pxPerSec : width / Math.max(duration, 1e-3);
  const visibleSeconds = width / pps;
  const minInterval = Math.max(visibleSeconds / maxTicksInView, minTickPx / pps);
  const interval = NICE_INTERVALS.find((v) => v >= minInterval - 1e-12) ?? NICE_INTERVALS[NICE_INTERVALS.length - 1];
  const minLabel = minLabelPx / pps;
  let labelInterval = interval;
  for (const v of NICE_INTERVALS) {
    if (v < interval) continue;
    if (!isMultiple(v, interval)) continue;
    labelInterval = v;
    if (v >= minLabel - 1e-12) break;
  }
  return { interval, labelInterval };
}

function isMultiple(a: number, b: number): boolean {
  const r = a / b;
  return Math.abs(r - Math.round(r)) < 1e-6;
}

export interface Tick {
  time: number;
  label: boolean;
}

/** The ticks from `start` to `end` seconds (inclusive), by integer index so no drift accumulates. */
export function ticksInRange(start: number, end: number, plan: TickPlan, limit = 1000): Tick[] {
  const out: Tick[] = [];
  const first = Math.max(0, Math.ceil(start / plan.interval - 1e-9));
  const last = Math.floor(end / plan.interval + 1e-9);
  const every = Math.max(1, Math.round(plan.labelInterval / plan.interval));
  for (let i = first; i <= last && out.length < limit; i++) {
    out.push({ time: roundTo(i * plan.interval, 6), label: i % every === 0 });
  }
  return out;
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Number of decimals needed to show multiples of `step` seconds. */
export function decimalsFor(step: number): number {
  if (step >= 1) return 0;
  return Math.min(3, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
}

/** "h:mm:ss", "m:ss" or "m:ss.fff", with as many decimals as asked. */
export function formatTime(seconds: number, decimals = 0): string {
  const neg = seconds < 0;
  const f = 10 ** decimals;
  let total = Math.round(Math.abs(seconds) * f) / f;
  const h = Math.floor(total / 3600);
  total -= h * 3600;
  const m = Math.floor(total / 60);
  const s = total - m * 60;
  let sec = decimals > 0 ? s.toFixed(decimals) : String(Math.round(s));
  if (s < 10) sec = "0" + sec;
  const body = h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  return neg ? "-" + body : body;
}

/** Tenths of a second: the toolbar's clock reads steadily while playing, and as the duration does. */
const CLOCK_DECIMALS = 1;

/**
 * A time for the toolbar's clock, in the layout of `duration`'s: hours when the
 * file has them, the minutes padded to as many digits as the duration's, and
 * tenths of a second; so the current time and the duration read alike and the
 * clock keeps its width while it runs.
 */
export function clockTime(seconds: number, duration: number): string {
  const f = 10 ** CLOCK_DECIMALS;
  const split = (x: number) => {
    const total = Math.round(Math.max(0, x) * f) / f;
    const h = Math.floor(total / 3600);
    const m = Math.floor((total - h * 3600) / 60);
    return { h, m, s: total - h * 3600 - m * 60 };
  };
  const d = split(duration);
  const t = split(Math.min(Math.max(0, seconds), Math.max(0, duration)));
  const sec = t.s.toFixed(CLOCK_DECIMALS).padStart(3 + CLOCK_DECIMALS, "0");
  if (d.h > 0) return `${String(t.h).padStart(String(d.h).length, "0")}:${String(t.m).padStart(2, "0")}:${sec}`;
  return `${String(t.m).padStart(String(d.m).length, "0")}:${sec}`;
}

/** The toolbar's clock: "current / duration" (or the duration alone), both in one format. */
export function clockText(current: number, duration: number, showCurrent = true): string {
  const dur = clockTime(duration, duration);
  return showCurrent ? `${clockTime(current, duration)} / ${dur}` : dur;
}
