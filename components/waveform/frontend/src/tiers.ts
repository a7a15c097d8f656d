/**
 * Lanes per label (tiers, as in ELAN and Praat): which row a label goes to,
 * where each row lies for a given height, which row a y position falls in,
 * and how much of a region's label fits its width. No DOM here.
 */

/** How the waveform lays out regions: over the channel lanes (the default) or one row per label. */
export type LanesMode = "channels" | "labels";

/** The `audio_lanes` setting: "labels" turns the rows on; anything else (unset included) is "channels". */
export function lanesMode(value: unknown): LanesMode {
  return value === "labels" ? "labels" : "channels";
}

/** The mode at the first task: the tab's remembered choice, else the setting. */
export function initialLanes(stored: string | null | undefined, setting: LanesMode): LanesMode {
  if (stored === "labels" || stored === "channels") return stored;
  return setting;
}

/** One row: a listed label's, or the "other" row (label null) of every label not in the list. */
export interface TierRow {
  label: string | null;
  name: string;
}

export const OTHER_ROW_NAME = "other";

/**
 * The rows: one per label of the list, in list order (a name given twice
 * counts once), then an "other" row when some region's label is not listed.
 */
export function tierRows(labels: readonly string[], regionLabels: Iterable<string>): TierRow[] {
  const rows: TierRow[] = [];
  const listed = new Set<string>();
  for (const name of labels) {
    if (listed.has(name)) continue;
    listed.add(name);
    rows.push({ label: name, name });
  }
  for (const label of regionLabels) {
    if (!listed.has(label)) {
      rows.push({ label: null, name: OTHER_ROW_NAME });
      break;
    }
  }
  return rows;
}

/** The row index of a region's label: its own row, else the "other" row (the last), else -1 when there is none. */
export function rowOfLabel(rows: readonly TierRow[], label: string): number {
  const i = rows.findIndex((r) => r.label === label);
  if (i >= 0) return i;
  const last = rows.length - 1;
  return last >= 0 && rows[last].label === null ? last : -1;
}

export interface RowBox {
  top: number;
  height: number;
}

/** Row `index` of `count` equal rows over `height` (any unit: pixels, or 100 for percents). */
export function rowBox(index: number, count: number, height: number): RowBox {
  const n = Math.max(1, Math.floor(count));
  const i = Math.max(0, Math.min(n - 1, Math.floor(index)));
  return { top: (height * i) / n, height: height / n };
}

/** Every row's box, top to bottom; together they cover `height` exactly. */
export function rowGeometry(height: number, count: number): RowBox[] {
  const n = Math.max(0, Math.floor(count));
  return Array.from({ length: n }, (_, i) => rowBox(i, n, height));
}

/** The row under `y` (from the top of rows covering `height`), clamped to the first and last row. */
export function rowAt(y: number, height: number, count: number): number {
  const n = Math.max(1, Math.floor(count));
  if (!(height > 0) || !Number.isFinite(y)) return 0;
  return Math.max(0, Math.min(n - 1, Math.floor((y / height) * n)));
}

/** The label under `y`: the row's label (null on the "other" row or when there are no rows). */
export function labelAt(rows: readonly TierRow[], y: number, height: number): string | null {
  if (rows.length === 0) return null;
  return rows[rowAt(y, height, rows.length)].label;
}

/** The least height of a row in pixels: a region's label (14 px) and the row's name stay readable. */
export const MIN_ROW_HEIGHT = 30;

/** The waveform's height with `rows` rows: the usual height, taller when the rows would be too thin. */
export function lanesHeight(base: number, rows: number): number {
  return Math.max(base, Math.max(0, Math.floor(rows)) * MIN_ROW_HEIGHT);
}

/** Below this width (pixels) a label is not drawn at all: an ellipsis alone tells nothing. */
export const MIN_LABEL_WIDTH = 22;

export type LabelFit = "full" | "truncated" | "none";

/**
 * How a region's label is drawn in a region `regionPx` wide, for a label
 * `textPx` wide (padding and border included): whole, cut with an ellipsis,
 * or not at all (the full label is then in the region's hover tooltip).
 */
export function labelFit(regionPx: number, textPx: number): LabelFit {
  if (!(regionPx >= MIN_LABEL_WIDTH)) return "none";
  return regionPx - 2 >= textPx ? "full" : "truncated";
}

/**
 * How many labels of overlapping regions a row stacks (16 px apart, 14 px
 * tall) before they would spill out of a row `rowPx` tall: at least one.
 */
export function stackLimit(rowPx: number): number {
  // the i-th label (from 0) spans 1 + 16 i to 15 + 16 i
  return Math.max(1, Math.floor((rowPx - 15) / 16) + 1);
}
