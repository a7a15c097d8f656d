/**
 * The `i` / `o` marks: the pending one, drawn as a line on the waveform (on
 * its lane when drawing per channel), and the region the second mark of a
 * pair makes (`placeMark` in `selection.ts` decides which). The region itself
 * is made by the editor, by the same path as a drawn one.
 */
import type WaveSurfer from "wavesurfer.js";
import { el } from "./dom";
import { placeMark, type Mark, type MarkEdge } from "./selection";

/** What the marks read from the editor and ask of it. */
export interface MarksHost {
  ws(): WaveSurfer | null;
  /** Whether marks may make regions now (editable, the waveform decoded). */
  canMark(): boolean;
  taskId(): string | null;
  duration(): number;
  minLength(): number;
  channels(): number;
  /** The channel lane marks go on (drawing per channel on a stereo file), else null. */
  lane(): number | null;
  /** The active label's colour (the region the marks will make). */
  color(): string;
  /** Make the region between a pair of marks. */
  makeRegion(start: number, end: number, lane: number | null): void;
}

export class MarksView {
  /** The pending mark, of the task it was made on, and the line that shows it. */
  private pendingMark: { mark: Mark; taskId: string | null; line: HTMLElement } | null = null;

  constructor(private readonly host: MarksHost) {}

  /**
   * `i` / `o`: mark in or out at the playhead. The second mark of a pair makes
   * a region of the active label between the two (either order), by the same
   * path as a drawn one (undo, a `created` value); on a stereo file drawn per
   * channel it goes on the lane of the last pointerdown (lane 0 before any).
   */
  mark(edge: MarkEdge): boolean {
    const ws = this.host.ws();
    if (!ws || !this.host.canMark()) return false;
    const pending = this.currentMark();
    const out = placeMark(pending, edge, ws.getCurrentTime(), this.host.duration(), this.host.minLength());
    if (out.mark) {
      this.showMark(out.mark);
      return true;
    }
    this.clearMark();
    this.host.makeRegion(out.region.start, out.region.end, this.host.lane());
    return true;
  }

  /** Whether a mark is held (even one whose waveform or task is gone). */
  get held(): boolean {
    return this.pendingMark !== null;
  }

  /** The pending mark, if it belongs to this task and is still shown. */
  currentMark(): Mark | null {
    const p = this.pendingMark;
    if (!p || p.taskId !== this.host.taskId() || !p.line.isConnected) return null;
    return p.mark;
  }

  /** Show a pending mark as a line on the waveform (on its lane when drawing per channel). */
  showMark(mark: Mark): void {
    this.clearMark();
    const ws = this.host.ws();
    if (!ws) return;
    const duration = this.host.duration();
    const color = this.host.color();
    const channels = this.host.channels();
    const line = el("div", { class: "wf-mark", part: `mark mark-${mark.edge}`, "data-edge": mark.edge, "aria-hidden": "true" });
    const lane = this.host.lane();
    Object.assign(line.style, {
      position: "absolute",
      left: `${(duration > 0 ? mark.time / duration : 0) * 100}%`,
      top: lane === null ? "0" : `${(lane / channels) * 100}%`,
      height: lane === null ? "100%" : `${100 / channels}%`,
      width: "0",
      borderLeft: `2px solid ${color}`,
      marginLeft: "-1px",
      zIndex: "5",
      pointerEvents: "none",
    });
    const tag = el("span", {}, mark.edge === "in" ? "in ▸" : "◂ out");
    Object.assign(tag.style, {
      position: "absolute",
      top: "0",
      [mark.edge === "in" ? "left" : "right"]: "0",
      font: "11px/14px sans-serif",
      padding: "0 3px",
      background: color,
      color: "#fff",
      borderRadius: "2px",
      whiteSpace: "nowrap",
    });
    line.appendChild(tag);
    ws.getWrapper().appendChild(line);
    this.pendingMark = { mark, taskId: this.host.taskId(), line };
    document.body.dataset.mark = `${mark.edge}:${mark.time.toFixed(3)}`;
  }

  clearMark(): void {
    this.pendingMark?.line.remove();
    this.pendingMark = null;
    document.body.dataset.mark = "";
  }
}
