/**
 * The waveform's height: drawn to the loudest peak of the part in view (so
 * zooming into quiet speech fills the lanes), times the annotator's vertical
 * zoom (`audio_vertical_zoom`, then shift+up / shift+down). wavesurfer scales
 * each value by `barHeight / maxPeak` when `normalize` is on: this module
 * finds the two.
 */

/** A stretch of near silence is drawn at most this many times larger than the file's loudest peak would draw it. */
export const MAX_VIEW_GAIN = 16;
/** The vertical zoom's range and the step of one key press. */
export const MIN_VERTICAL_ZOOM = 0.25;
export const MAX_VERTICAL_ZOOM = 16;
export const VERTICAL_ZOOM_STEP = Math.SQRT2;

/**
 * The largest value of `channels` (per-channel peaks over `duration` seconds,
 * evenly spaced) between `start` and `end` seconds; 0 when there are none.
 */
export function viewPeak(channels: ArrayLike<number>[], duration: number, start: number, end: number): number {
  let best = 0;
  for (const ch of channels) {
    const n = ch.length;
    if (n === 0 || !(duration > 0)) continue;
    const from = Math.max(0, Math.floor((start / duration) * n));
    const to = Math.min(n, Math.ceil((end / duration) * n));
    for (let i = from; i < to; i++) {
      const v = Math.abs(ch[i]);
      if (v > best) best = v;
    }
  }
  return best;
}

/**
 * The peak the drawing divides by: the view's own, rounded up to a quarter
 * octave (so scrolling redraws only when the loudness in view changes by a
 * fifth or more, and the height never jumps back and forth), at least the
 * file's peak / MAX_VIEW_GAIN, and never more than the file's.
 */
export function normalisingPeak(view: number, file: number): number {
  const top = file > 0 ? file : 1;
  const floor = top / MAX_VIEW_GAIN;
  const v = Math.max(floor, Math.min(top, view > 0 ? view : floor));
  const stepped = 2 ** (Math.ceil(Math.log2(v) * 4 - 1e-9) / 4);
  return Math.min(top, Math.max(floor, stepped));
}

/** wavesurfer's `barHeight`: the `audio_bar_height` setting times the vertical zoom. */
export function barHeight(barHeightSetting: number, verticalZoom: number): number {
  return Math.max(0.01, barHeightSetting) * clampVerticalZoom(verticalZoom);
}

export function clampVerticalZoom(z: number): number {
  if (!Number.isFinite(z) || z <= 0) return 1;
  return Math.max(MIN_VERTICAL_ZOOM, Math.min(MAX_VERTICAL_ZOOM, z));
}

/** One key press up (1) or down (-1) from `z`, within the range. */
export function stepVerticalZoom(z: number, dir: 1 | -1): number {
  const next = clampVerticalZoom(z) * (dir > 0 ? VERTICAL_ZOOM_STEP : 1 / VERTICAL_ZOOM_STEP);
  // land on whole powers of √2 (1 is one of them) however the setting started
  const k = Math.round(Math.log(next) / Math.log(VERTICAL_ZOOM_STEP));
  const snapped = 2 ** Math.floor(k / 2) * (k % 2 === 0 ? 1 : VERTICAL_ZOOM_STEP); // 2 ** (k / 2), exact when k is even
  return clampVerticalZoom(Math.abs(snapped - next) < 1e-6 * next ? snapped : next);
}

/** How tall a value of `peak` is drawn, as a fraction of its lane's half height (1 fills it; more is clipped). */
export function drawnFraction(peak: number, normalising: number, bar: number): number {
  return normalising > 0 ? (peak * bar) / normalising : 0;
}
