/** The component protocol of design.md: args from Python, values back. */
import type { RegionData } from "./state";
import type { LabelSpec } from "./colors";
import { lanesMode, type LanesMode } from "./tiers";
import { MAX_VERTICAL_ZOOM, MIN_VERTICAL_ZOOM } from "./gain";

export interface Settings {
  show_audio_cursor?: boolean;
  show_audio_cursor_time?: boolean;
  show_audio_timeline?: boolean;
  show_audio_minimap?: boolean;
  audio_autoplay?: boolean;
  audio_loop?: boolean;
  audio_rate?: number;
  audio_max_zoom?: number;
  audio_bar_width?: number;
  audio_bar_height?: number;
  audio_bar_gap?: number;
  audio_bar_radius?: number;
  /** the waveform's height times this (shift+up / shift+down change it), over the peak of the part in view */
  audio_vertical_zoom?: number;
  audio_min_region?: number;
  show_audio_spectrogram?: boolean;
  audio_spectrogram_max_freq?: number;
  /** "labels": one row per label (tiers); "channels" (the default): regions over the channel lanes */
  audio_lanes?: LanesMode | string;
  custom_theme?: { labels?: Record<string, string> } | null;
  [k: string]: unknown;
}

export interface Args {
  task_id: string;
  audio: string;
  file_name?: string | null;
  duration: number;
  peaks?: Uint8Array | null;
  /** for long files: the max of each group of buckets, a few thousand per channel */
  peaks_overview?: Uint8Array | null;
  peaks_channels?: number;
  peaks_rate?: number;
  channels?: number;
  regions: RegionData[];
  labels: LabelSpec[];
  editable: boolean;
  settings: Settings;
  keymap: Record<string, string | string[]>;
  revision: number;
  wave_height?: number | null;
  /** the spectrogram route of the media file (with ?channel= for one channel); none: no spectrogram */
  spectrogram?: string | null;
  /** file time of the component's time 0 (a segment's clip starts later in its file) */
  spectrogram_offset?: number;
  /** the part of a segment task to annotate, in the component's time: the context around it is shaded */
  segment?: { start: number; end: number } | null;
  /** show the timeline in file time (starting at `spectrogram_offset`) */
  file_time?: boolean;
  /** put the test hooks on `window` (EARMARK_TEST_HOOKS=1 on the server) */
  test_hooks?: boolean;
}

export interface EventInfo {
  type: string;
  region_id?: string;
  action?: string;
  seq: number;
  id: string;
  time: number;
}

export interface Value {
  task_id: string;
  revision: number;
  regions: RegionData[];
  event: EventInfo;
}

export type RenderDecision = "reset" | "replace" | "keep";

/**
 * What a render does to the regions on screen: a new task resets everything
 * (audio, regions, undo); a higher revision from Python replaces the regions;
 * anything else (Python passing back what it received) keeps the editor's own
 * state, so there is no echo loop and no flicker.
 */
export function decideRender(
  current: { taskId: string; revision: number } | null,
  args: { task_id: string; revision: number },
): RenderDecision {
  if (!current || current.taskId !== String(args.task_id)) return "reset";
  if (Number(args.revision) > current.revision) return "replace";
  return "keep";
}

/**
 * What the component shows when Python sends no settings (the bare editor):
 * the defaults of earmark/settings.py's table, which the app always sends in
 * full (tests/core/test_settings_table.py compares the two).
 */
export const DEFAULT_SETTINGS: Required<
  Pick<
    Settings,
    | "show_audio_cursor"
    | "show_audio_cursor_time"
    | "show_audio_timeline"
    | "show_audio_minimap"
    | "audio_autoplay"
    | "audio_loop"
    | "audio_rate"
    | "audio_max_zoom"
    | "audio_bar_width"
    | "audio_bar_height"
    | "audio_bar_gap"
    | "audio_bar_radius"
    | "audio_vertical_zoom"
    | "audio_min_region"
    | "show_audio_spectrogram"
    | "audio_spectrogram_max_freq"
  >
> & { audio_lanes: LanesMode } = {
  show_audio_cursor: true,
  show_audio_cursor_time: true,
  show_audio_timeline: true,
  show_audio_minimap: true,
  audio_autoplay: false,
  audio_loop: false,
  audio_rate: 1,
  audio_max_zoom: 5000,
  audio_bar_width: 0,
  audio_bar_height: 1,
  audio_bar_gap: 0,
  audio_bar_radius: 0,
  audio_vertical_zoom: 1,
  audio_min_region: 0.02,
  show_audio_spectrogram: false,
  audio_spectrogram_max_freq: 8000,
  audio_lanes: "channels",
};

export type ResolvedSettings = typeof DEFAULT_SETTINGS & { theme_labels: Record<string, string> };

function num(v: unknown, fallback: number, min: number, max: number): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n)) return fallback;
  return Math.max(min, Math.min(max, n));
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === "boolean" ? v : fallback;
}

export function resolveSettings(s: Settings | null | undefined): ResolvedSettings {
  const d = DEFAULT_SETTINGS;
  const x = s ?? {};
  const theme = x.custom_theme && typeof x.custom_theme === "object" ? x.custom_theme.labels ?? {} : {};
  return {
    show_audio_cursor: bool(x.show_audio_cursor, d.show_audio_cursor),
    show_audio_cursor_time: bool(x.show_audio_cursor_time, d.show_audio_cursor_time),
    show_audio_timeline: bool(x.show_audio_timeline, d.show_audio_timeline),
    show_audio_minimap: bool(x.show_audio_minimap, d.show_audio_minimap),
    audio_autoplay: bool(x.audio_autoplay, d.audio_autoplay),
    audio_loop: bool(x.audio_loop, d.audio_loop),
    audio_rate: num(x.audio_rate, d.audio_rate, 0.5, 2),
    audio_max_zoom: num(x.audio_max_zoom, d.audio_max_zoom, 10, 100000),
    audio_bar_width: num(x.audio_bar_width, d.audio_bar_width, 0, 50),
    audio_bar_height: num(x.audio_bar_height, d.audio_bar_height, 0.1, 20),
    audio_bar_gap: num(x.audio_bar_gap, d.audio_bar_gap, 0, 50),
    audio_bar_radius: num(x.audio_bar_radius, d.audio_bar_radius, 0, 50),
    audio_vertical_zoom: num(x.audio_vertical_zoom, d.audio_vertical_zoom, MIN_VERTICAL_ZOOM, MAX_VERTICAL_ZOOM),
    audio_min_region: num(x.audio_min_region, d.audio_min_region, 0.001, 10),
    show_audio_spectrogram: bool(x.show_audio_spectrogram, d.show_audio_spectrogram),
    audio_spectrogram_max_freq: num(x.audio_spectrogram_max_freq, d.audio_spectrogram_max_freq, 100, 200000),
    audio_lanes: lanesMode(x.audio_lanes),
    theme_labels: Object.fromEntries(
      Object.entries(theme as Record<string, unknown>).filter(([, v]) => typeof v === "string"),
    ) as Record<string, string>,
  };
}

export const RATES: readonly number[] = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

/** The next playback rate up or down the ladder, within 0.5 to 2. */
export function stepRate(rate: number, dir: 1 | -1): number {
  if (dir > 0) return RATES.find((r) => r > rate + 1e-9) ?? RATES[RATES.length - 1];
  return [...RATES].reverse().find((r) => r < rate - 1e-9) ?? RATES[0];
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Decode the peaks argument: uint8 |amplitude| per bucket, channel-major. */
export function decodePeaks(bytes: Uint8Array, channels: number): Float32Array[] {
  const ch = Math.max(1, channels | 0);
  const n = Math.floor(bytes.length / ch);
  const out: Float32Array[] = [];
  for (let c = 0; c < ch; c++) {
    const arr = new Float32Array(n);
    const src = bytes.subarray(c * n, c * n + n);
    for (let i = 0; i < n; i++) arr[i] = BYTE_TO_UNIT[src[i]];
    out.push(arr);
  }
  return out;
}

/** The largest value of the peaks argument, on the same 0..1 scale. */
export function maxPeakOf(bytes: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > m) m = bytes[i];
  return m / 255;
}

/**
 * At most about `points` values per channel, each the max of its group (so
 * no peak is lost); the input itself when it is already that short.
 */
export function decimatePeaks(channels: Float32Array[], points: number): Float32Array[] {
  const n = channels[0]?.length ?? 0;
  const group = Math.ceil(n / Math.max(1, points));
  if (group <= 1) return channels;
  const m = Math.ceil(n / group);
  return channels.map((ch) => {
    const out = new Float32Array(m);
    for (let j = 0, i = 0; j < m; j++) {
      let best = 0;
      const end = Math.min(n, i + group);
      for (; i < end; i++) if (ch[i] > best) best = ch[i];
      out[j] = best;
    }
    return out;
  });
}

/** `decimatePeaks(decodePeaks(bytes))` without decoding every value: the max is taken on the bytes. */
export function overviewFromBytes(bytes: Uint8Array, channels: number, points: number): Float32Array[] {
  const ch = Math.max(1, channels | 0);
  const n = Math.floor(bytes.length / ch);
  const group = Math.max(1, Math.ceil(n / Math.max(1, points)));
  const m = Math.ceil(n / group);
  const out: Float32Array[] = [];
  for (let c = 0; c < ch; c++) {
    const src = bytes.subarray(c * n, c * n + n);
    const arr = new Float32Array(m);
    for (let j = 0, i = 0; j < m; j++) {
      let best = 0;
      const end = Math.min(n, i + group);
      for (; i < end; i++) if (src[i] > best) best = src[i];
      arr[j] = BYTE_TO_UNIT[best];
    }
    out.push(arr);
  }
  return out;
}

export function maxOfChannels(channels: Float32Array[]): number {
  let m = 0;
  for (const ch of channels) for (let i = 0; i < ch.length; i++) if (ch[i] > m) m = ch[i];
  return m;
}

/** A file name to show for an audio URL. */
export function fileNameOf(url: string): string {
  if (!url) return "(no audio)";
  if (url.startsWith("data:")) return "(embedded audio)";
  try {
    const u = new URL(url, "http://x/");
    const parts = u.pathname.split("/").filter(Boolean);
    return decodeURIComponent(parts[parts.length - 1] || url);
  } catch {
    return url;
  }
}
