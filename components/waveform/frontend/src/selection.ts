/**
 * Keyboard-only region work, as pure functions: which region `tab` /
 * `shift+tab` select, how the `i` / `o` marks pair into a region, where the
 * view scrolls to show a region, and the edges of a nudge and of the audio
 * played around the moved edge. No DOM.
 */

export interface Span {
  id: string;
  start: number;
  end: number;
}

/** Times closer than this (seconds) are the same time. */
export const SAME_TIME = 0.0005;

/** Regions in start-time order; equal starts by end, then in their given order (stable). */
export function byStartTime<T extends Span>(regions: readonly T[]): T[] {
  return regions
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.start - b.r.start || a.r.end - b.r.end || a.i - b.i)
    .map((x) => x.r);
}

/**
 * The region `tab` (dir 1) or `shift+tab` (dir -1) selects, in start-time
 * order, wrapping at either end. From the selected region (`current`) it steps
 * to its neighbour. With none selected it takes the region just drawn
 * (`drawn`), so that a region made by marks or a drag is one key away; else
 * the first region starting at or after `time` (the playhead) for tab, the
 * last starting at or before it for shift+tab, wrapping when there is none.
 * Null when there are no regions.
 */
export function stepSelection(
  regions: readonly Span[],
  current: string | null,
  dir: 1 | -1,
  from: { drawn?: string | null; time?: number } = {},
): string | null {
  const order = byStartTime(regions);
  const n = order.length;
  if (n === 0) return null;
  const at = current === null ? -1 : order.findIndex((r) => r.id === current);
  if (at >= 0) return order[(at + dir + n) % n].id;
  if (from.drawn && order.some((r) => r.id === from.drawn)) return from.drawn;
  const t = from.time ?? 0;
  if (dir === 1) {
    const next = order.find((r) => r.start >= t - SAME_TIME);
    return (next ?? order[0]).id;
  }
  let prev: Span | undefined;
  for (const r of order) if (r.start <= t + SAME_TIME) prev = r;
  return (prev ?? order[n - 1]).id;
}

export type MarkEdge = "in" | "out";

export interface Mark {
  edge: MarkEdge;
  time: number;
}

/** A pending mark, or the region the second mark of a pair makes. */
export type MarkOutcome = { mark: Mark; region: null } | { mark: null; region: { start: number; end: number } };

/**
 * Place an `in` or `out` mark at `time` (clamped to [0, duration]). The
 * second of a pair (the other edge) makes a region between the two, in
 * either order, at least `minLength` long (grown at its end, or at its
 * start against the end of the file). The same edge again moves the
 * pending mark; a second mark at the same time as the first makes nothing
 * and stays pending in its place.
 */
export function placeMark(
  pending: Mark | null,
  edge: MarkEdge,
  time: number,
  duration: number,
  minLength: number,
): MarkOutcome {
  const t = clamp(time, 0, duration > 0 ? duration : Number.POSITIVE_INFINITY);
  if (!pending || pending.edge === edge || Math.abs(pending.time - t) < SAME_TIME) return { mark: { edge, time: t }, region: null };
  let start = Math.min(pending.time, t);
  let end = Math.max(pending.time, t);
  if (minLength > 0 && end - start < minLength) {
    end = start + minLength;
    if (duration > 0 && end > duration) {
      end = duration;
      start = Math.max(0, end - minLength);
    }
  }
  return { mark: null, region: { start, end } };
}

/**
 * Where the view must start (seconds) to show [start, end] when it shows
 * [viewStart, viewEnd], or null when the region is already in full view. A
 * region wider than the view is shown from its start; a margin of a tenth of
 * the view is left before it.
 */
export function scrollToShow(
  start: number,
  end: number,
  viewStart: number,
  viewEnd: number,
  duration: number,
): number | null {
  const span = viewEnd - viewStart;
  if (span <= 0) return null;
  if (start >= viewStart && end <= viewEnd) return null;
  const margin = span / 10;
  const target = end - start <= span - 2 * margin && end > viewEnd ? end + margin - span : start - margin;
  const latest = duration > 0 ? Math.max(0, duration - span) : Number.POSITIVE_INFINITY;
  return clamp(target, 0, latest);
}

/**
 * The new time of one edge of `r` after a nudge by `step` seconds (negative:
 * earlier): inside [0, duration] and never closer than `minLength` to the
 * other edge.
 */
export function nudgedEdge(r: Span, edge: "start" | "end", step: number, minLength: number, duration: number): number {
  const hi = duration > 0 ? duration : Number.POSITIVE_INFINITY;
  if (edge === "start") return clamp(Math.min(r.start + step, r.end - minLength), 0, hi);
  return clamp(Math.max(r.end + step, r.start + minLength), 0, hi);
}

/** The audio played around an edge at `t`: `half` seconds each side, inside the file. */
export function edgePreview(t: number, duration: number, half = 0.25): { start: number; end: number } {
  const hi = duration > 0 ? duration : Number.POSITIVE_INFINITY;
  return { start: clamp(t - half, 0, hi), end: clamp(t + half, 0, hi) };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}
