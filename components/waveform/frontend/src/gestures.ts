/**
 * Pointer gestures on the waveform, its rows and the spectrogram lanes, for
 * the regions the annotator draws: at each pointerdown, the options of the
 * region a drag may create (the colour of the label it will get, the minimum
 * length, the channel lane when drawing per channel); the times under the
 * pointer where the drag began and ended (the Regions plugin leaves its far
 * edge a few pixels past the pointer); and, with labels lanes, the label of
 * the row it began on. Clicks (selection) stay the editor's.
 */
import type WaveSurfer from "wavesurfer.js";
import { withAlpha } from "./colors";
import { rowAt, type TierRow } from "./tiers";
import type { DrawMode } from "./toolbar";

/** What the gestures read from the editor, at the moment of each event. */
export interface GestureHost {
  ws(): WaveSurfer | null;
  channels(): number;
  /** The rows of labels lanes; empty in channel lanes. */
  rows(): TierRow[];
  drawMode(): DrawMode;
  activeLabel(): string;
  labelColor(label: string): string;
  minLength(): number;
  /** Whether a drag draws a region now (editable, the waveform decoded). */
  canDraw(): boolean;
}

/** A drag: the times under the pointer at its start and end, and the label of the row it began on. */
export interface Drag {
  down: number;
  up: number | null;
  rowLabel: string | null;
}

/** The options the Regions plugin gives a region drawn by dragging (`enableDragSelection`). */
export interface DragOptions {
  color: string;
  minLength: number;
  channelIdx: number;
  drag: boolean;
  resize: boolean;
}

export class Gestures {
  /** Handed once to the Regions plugin, which reads it at each drag: updated in place at each pointerdown. */
  readonly dragOptions: DragOptions = { color: "rgba(0,0,0,0.1)", minLength: 0.02, channelIdx: -1, drag: true, resize: true };
  /** The channel lane of the last pointerdown (marks on a stereo file drawn per channel use it). */
  lastLane: number | null = null;
  private drag: Drag | null = null;

  constructor(
    private readonly wave: HTMLElement,
    private readonly host: GestureHost,
  ) {
    // ctrl+wheel (and a pinch) zooms; a plain wheel scrolls the view when zoomed in,
    // and the page when the whole file is in view (or the view is at its end)
    wave.addEventListener(
      "wheel",
      (e) => {
        if (e.ctrlKey || e.metaKey) return;
        e.stopPropagation();
        this.onWheel(e);
      },
      { capture: true, passive: false },
    );
    // choose the lane of a new region before the drag starts
    wave.addEventListener("pointerdown", (e) => this.onWavePointerDown(e), { capture: true });
    // where the gesture ended, read before the plugin's own (bubbling) pointerup handler
    window.addEventListener(
      "pointerup",
      (e) => {
        if (this.drag) this.drag.up = this.timeAt(e.clientX);
      },
      { capture: true },
    );
  }

  /** A plain wheel: scroll the zoomed view sideways by the larger of the two deltas. */
  private onWheel(e: WheelEvent): void {
    const ws = this.host.ws();
    if (!ws) return;
    const next = wheelScroll(ws.getScroll(), ws.getWrapper().scrollWidth, ws.getWidth(), e);
    if (next === null) return;
    e.preventDefault();
    ws.setScroll(next);
  }

  /** The time under `clientX` on the waveform (0 while there is none). */
  timeAt(clientX: number): number {
    const ws = this.host.ws();
    if (!ws) return 0;
    const rect = ws.getWrapper().getBoundingClientRect();
    const d = ws.getDuration();
    return Math.max(0, Math.min(d, ((clientX - rect.left) / Math.max(1, rect.width)) * d));
  }

  /** The label of the row under `clientY` (labels lanes; null on the "other" row or in channel lanes). */
  rowLabelAt(clientY: number): string | null {
    const ws = this.host.ws();
    const rows = this.host.rows();
    if (!ws || rows.length === 0) return null;
    const rect = ws.getWrapper().getBoundingClientRect();
    return rows[rowAt(clientY - rect.top, rect.height, rows.length)].label;
  }

  /** The label of the row the drag under way began on (null: none, or not on a label's row). */
  get rowLabel(): string | null {
    return this.drag?.rowLabel ?? null;
  }

  /** The drag that ended in the region just created, if any; it is over from here on. */
  takeDrag(): Drag | null {
    const drag = this.drag;
    this.drag = null;
    return drag;
  }

  /**
   * A pointerdown on a spectrogram lane (of `channel`; null: all) is handed to
   * the Regions plugin as if it were on the waveform, at the same x: the drag
   * that follows creates the region by the waveform's own path (label, minimum
   * length, the value sent at drag end, undo).
   */
  fromSpectrogram(e: PointerEvent, channel: number | null): void {
    const ws = this.host.ws();
    if (!ws || !this.host.canDraw() || e.button !== 0) return;
    this.begin(e, channel, null);
    ws.getWrapper().dispatchEvent(
      new PointerEvent("pointerdown", {
        pointerId: e.pointerId,
        pointerType: e.pointerType,
        isPrimary: e.isPrimary,
        button: e.button,
        buttons: e.buttons,
        clientX: e.clientX,
        clientY: e.clientY,
        altKey: e.altKey,
        shiftKey: e.shiftKey,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
      }),
    );
  }

  private onWavePointerDown(e: PointerEvent): void {
    const ws = this.host.ws();
    const channels = this.host.channels();
    let lane: number | null = null;
    if (channels > 1 && ws) {
      const rect = ws.getWrapper().getBoundingClientRect();
      const rel = (e.clientY - rect.top) / Math.max(1, rect.height);
      lane = Math.max(0, Math.min(channels - 1, Math.floor(rel * channels)));
    }
    this.begin(e, lane, this.rowLabelAt(e.clientY));
  }

  /**
   * Set up the drag-selection options for the region this gesture may create:
   * the label's colour, the minimum length, and the channel under the pointer
   * (`lane`) when drawing is per channel ("Draw on"; alt inverts it); with
   * labels lanes, `rowLabel` is the label of the row under the pointer.
   */
  private begin(e: PointerEvent, lane: number | null, rowLabel: string | null): void {
    this.drag = { down: this.timeAt(e.clientX), up: null, rowLabel };
    if (lane !== null) this.lastLane = lane;
    const label = rowLabel ?? this.host.activeLabel();
    const opts = this.dragOptions;
    opts.color = withAlpha(this.host.labelColor(label), 0.28);
    opts.minLength = this.host.minLength();
    const perLane = (this.host.drawMode() === "lane") !== e.altKey;
    opts.channelIdx = this.host.channels() > 1 && perLane && lane !== null ? lane : -1;
  }
}

/** Pixels of a wheel event's delta (lines and pages as browsers count them). */
function wheelPixels(delta: number, mode: number, page: number): number {
  return mode === 1 ? delta * 16 : mode === 2 ? delta * page : delta;
}

/**
 * Where a plain wheel moves the view's scroll (`scroll` of `total` px, `width`
 * shown), or null when the page should scroll instead: the whole file is in
 * view, or the view is already at the end it would move towards.
 */
export function wheelScroll(
  scroll: number,
  total: number,
  width: number,
  e: { deltaX: number; deltaY: number; deltaMode: number },
): number | null {
  const max = Math.max(0, total - width);
  if (max <= 1) return null;
  const dx = wheelPixels(e.deltaX, e.deltaMode, width);
  const dy = wheelPixels(e.deltaY, e.deltaMode, width);
  const d = Math.abs(dx) > Math.abs(dy) ? dx : dy;
  if (d === 0) return null;
  const next = Math.max(0, Math.min(max, scroll + d));
  return Math.abs(next - scroll) < 0.5 ? null : next;
}
