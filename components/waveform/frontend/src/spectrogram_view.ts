/**
 * The arithmetic of the spectrogram lane, apart from the DOM: which window
 * is in view, what image to ask the server for, where an image of an
 * earlier view goes while the next one loads, and the frequency axis.
 */

/** The server's limits (earmark/audio/spectrogram.py MAX_WIDTH, MAX_HEIGHT). */
export const MAX_IMAGE_WIDTH = 4096;
export const MAX_IMAGE_HEIGHT = 1024;

export interface TimeWindow {
  start: number;
  end: number;
}

export interface ImageRequest extends TimeWindow {
  width: number;
  height: number;
}

/** The times in view, in the component's time, from the waveform's scroll and zoom (pixels). */
export function visibleWindow(scrollPx: number, viewWidthPx: number, totalWidthPx: number, duration: number): TimeWindow | null {
  if (!(duration > 0) || !(totalWidthPx > 0) || !(viewWidthPx > 0)) return null;
  const pps = totalWidthPx / duration;
  const start = Math.max(0, Math.min(duration, scrollPx / pps));
  const end = Math.max(start, Math.min(duration, (scrollPx + viewWidthPx) / pps));
  return end > start ? { start, end } : null;
}

/**
 * Image size for a lane of `cssWidth` x `cssHeight`: one image pixel per
 * device pixel, never more (an hour-long file is never drawn wider than the
 * screen) and within the server's limits. Null when the lane has no size.
 */
export function imageSize(cssWidth: number, cssHeight: number, dpr: number): { width: number; height: number } | null {
  const ratio = dpr > 0 && Number.isFinite(dpr) ? dpr : 1;
  const width = Math.min(MAX_IMAGE_WIDTH, Math.floor(cssWidth * ratio));
  const height = Math.min(MAX_IMAGE_HEIGHT, Math.floor(cssHeight * ratio));
  return width >= 1 && height >= 1 ? { width, height } : null;
}

/** Round a time to the millisecond, as sent (equal views make equal URLs, which the browser caches). */
function ms(t: number): string {
  return (Math.round(t * 1000) / 1000).toFixed(3);
}

/**
 * The URL of one image: `base` (which may already carry a query, such as the
 * task's channel) plus the window in the media file's time (`offset` is the
 * file time of the component's 0), the size, and the top frequency.
 */
export function imageUrl(base: string, offset: number, req: ImageRequest, maxFreq: number): string {
  const params = new URLSearchParams();
  params.set("start", ms(offset + req.start));
  params.set("end", ms(offset + req.end));
  params.set("width", String(req.width));
  params.set("height", String(req.height));
  params.set("max_freq", String(Math.round(maxFreq)));
  const sep = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
  return `${base}${sep}${params.toString()}`;
}

/**
 * Where an image of `shown` goes in a lane now showing `view` at `pps`
 * pixels per second: its left edge and width in CSS pixels (stretched or
 * squeezed when the zoom changed since it was drawn).
 */
export function placement(shown: TimeWindow, view: TimeWindow, pps: number): { left: number; width: number } {
  return { left: (shown.start - view.start) * pps, width: (shown.end - shown.start) * pps };
}

/** The frequencies to label on the axis: round steps, about four of them, 0 and the top excluded. */
export function frequencyTicks(maxFreq: number): number[] {
  if (!(maxFreq > 0)) return [];
  const steps = [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000];
  const step = steps.find((s) => maxFreq / s <= 5) ?? steps[steps.length - 1];
  const out: number[] = [];
  for (let f = step; f < maxFreq - step * 0.25; f += step) out.push(f);
  return out;
}

/** "500", "2k", "2.5k": a frequency as labelled on the axis. */
export function formatFrequency(hz: number): string {
  if (hz < 1000) return String(Math.round(hz));
  const k = hz / 1000;
  return `${Number.isInteger(k) ? k : k.toFixed(1)}k`;
}

/** Whether the lane shows at first: the tab's last choice, else the setting. */
export function initiallyShown(stored: string | null | undefined, setting: boolean): boolean {
  if (stored === "1") return true;
  if (stored === "0") return false;
  return setting;
}

/** Height of the lane of a mono file (or of one channel shown alone), in CSS pixels. */
export const LANE_HEIGHT = 160;
/** The least height of one channel's lane: formants stay readable with several channels. */
export const MIN_CHANNEL_LANE_HEIGHT = 100;

/** One spectrogram lane: the image route it asks and the channel whose regions it shows (null: all). */
export interface LaneLayout {
  channel: number | null;
  url: string;
  height: number;
}

/**
 * The lanes for a waveform of `channels` channel lanes: one per channel, each
 * asking for its own channel, when the waveform is split and the route is of
 * the whole file; else one lane on `base` as given (mono, or a task that is
 * one channel of its file, whose URL already names it).
 */
export function spectrogramLanes(base: string, channels: number): LaneLayout[] {
  const query = base.includes("?") ? base.slice(base.indexOf("?") + 1) : "";
  if (channels < 2 || new URLSearchParams(query).has("channel")) return [{ channel: null, url: base, height: LANE_HEIGHT }];
  const height = Math.max(MIN_CHANNEL_LANE_HEIGHT, Math.floor(LANE_HEIGHT / channels));
  const sep = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
  return Array.from({ length: channels }, (_, c) => ({ channel: c, url: `${base}${sep}channel=${c}`, height }));
}

/** Whether a lane of `laneChannel` (null: all) shows a region of `regionChannel` (null or undefined: all channels). */
export function laneShowsRegion(laneChannel: number | null, regionChannel: number | null | undefined): boolean {
  return laneChannel === null || regionChannel === null || regionChannel === undefined || regionChannel === laneChannel;
}
