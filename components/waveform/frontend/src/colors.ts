/**
 * Label colours. A label with no colour of its own gets one from a fixed
 * palette, chosen by a hash of its name, so the same name has the same colour
 * in every task, page and export. The Python helper `label_color` in
 * components/waveform/__init__.py implements the same function; the tests of
 * both sides check the same vectors.
 */

/** Saturated colours that stay distinct as translucent region fills on white. */
export const PALETTE: readonly string[] = [
  "#1f77b4", // blue
  "#ff7f0e", // orange
  "#2ca02c", // green
  "#d62728", // red
  "#9467bd", // purple
  "#8c564b", // brown
  "#e377c2", // pink
  "#17becf", // cyan
  "#bcbd22", // olive
  "#393b79", // navy
  "#e6550d", // dark orange
  "#31a354", // dark green
  "#7b4173", // plum
  "#3182bd", // steel blue
  "#ad494a", // brick
  "#637939", // moss
];

/** 32-bit FNV-1a over the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  const bytes = new TextEncoder().encode(text);
  let hash = 0x811c9dc5;
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The stable default colour of a label name. */
export function labelColor(name: string): string {
  return PALETTE[fnv1a(name) % PALETTE.length];
}

/**
 * The colour of a label that is not in the label list (a pre-annotation's):
 * its own hashed colour unless a listed label has it, else the next free one
 * in palette order, as `label_colors` does in Python. All taken: its own.
 */
export function freeColor(name: string, taken: ReadonlySet<string>): string {
  const first = fnv1a(name) % PALETTE.length;
  for (let k = 0; k < PALETTE.length; k++) {
    const color = PALETTE[(first + k) % PALETTE.length];
    if (!taken.has(color.toLowerCase())) return color;
  }
  return PALETTE[first];
}

export interface LabelSpec {
  name: string;
  color?: string | null;
  key?: string | null;
}

/**
 * The colour of each label: its own colour, else the theme's
 * (`custom_theme.labels`), else the hashed default.
 */
export function resolveLabelColors(
  labels: LabelSpec[],
  themeLabels: Record<string, string> = {},
): Map<string, string> {
  const out = new Map<string, string>();
  for (const label of labels) {
    out.set(label.name, label.color || themeLabels[label.name] || labelColor(label.name));
  }
  return out;
}

/** A CSS colour with the given opacity, for any CSS colour syntax. */
export function withAlpha(color: string, alpha: number): string {
  const pct = Math.round(Math.max(0, Math.min(1, alpha)) * 100);
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${pct / 100})`;
  }
  return `color-mix(in srgb, ${color} ${pct}%, transparent)`;
}
