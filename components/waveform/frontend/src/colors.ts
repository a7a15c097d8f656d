/**
 * Label colours. Python colours every label of the list it sends
 * (`label_colors` in components/waveform/__init__.py: distinct, stable, the
 * theme's kept). A label outside that list (a region's only) gets a palette
 * colour by a hash of its name, the next free one when a listed label has it;
 * the Python helper `label_color` computes the same hash, and the tests of
 * both sides check the same vectors.
 */

/**
 * The label palette of components/waveform/__init__.py (PALETTE), in its order:
 * every two at least 21 apart in CIEDE2000, each 3:1 or more against white.
 */
export const PALETTE: readonly string[] = [
  "#1f77b4",
  "#909c00",
  "#fc0000",
  "#720066",
  "#06482a",
  "#fc30fc",
  "#603600",
  "#00a290",
  "#a27e84",
  "#cc7e00",
  "#900c24",
  "#6636fc",
  "#303c54",
  "#7e7254",
  "#008424",
  "#968ad8",
  "#e40072",
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

/** Black or white, whichever reads better on `color` (a six-digit hex colour; else white). */
export function textOn(color: string): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (!hex) return "#fff";
  const n = parseInt(hex[1], 16);
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const y = 0.2126 * lin(((n >> 16) & 255) / 255) + 0.7152 * lin(((n >> 8) & 255) / 255) + 0.0722 * lin((n & 255) / 255);
  return (y + 0.05) / 0.05 > 1.05 / (y + 0.05) ? "#000" : "#fff";
}
