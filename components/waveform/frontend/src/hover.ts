/**
 * What the pointer is over on the waveform: the time under it (shown just
 * below the waveform, never over a region's label), the full label of the
 * region under it as the wave's tooltip when its own is cut or hidden, and
 * which region it is over (the card highlights that region's text spans).
 */
import type WaveSurfer from "wavesurfer.js";
import { el } from "./dom";
import type { RegionData, RegionStore } from "./state";
import { formatTime } from "./ticks";
import { rowAt, rowOfLabel, type TierRow } from "./tiers";

/** What the hover readout reads from the editor, at each pointer move. */
export interface HoverHost {
  ws(): WaveSurfer | null;
  decoded(): boolean;
  /** The time under a pointer at `clientX`. */
  timeAt(clientX: number): number;
  showCursorTime(): boolean;
  waveBox(): HTMLElement;
  timelineBox(): HTMLElement;
  store(): RegionStore;
  channels(): number;
  /** The rows of labels lanes when regions lie in them, else null. */
  rowsByLabel(): TierRow[] | null;
  /** Whether the label of region `id` shows in full. */
  labelFull(id: string): boolean;
  labelText(r: RegionData): string;
  isLinked(id: string): boolean;
  /** Whether anyone listens to which region the pointer is over. */
  listensToHover(): boolean;
  /** Told which region the pointer is over (null: none). */
  hovered(regionId: string | null): void;
}

export class Hover {
  /** The time under the pointer, shown below the waveform. */
  readonly time: HTMLElement = el("div", { class: "wf-hover-time", "aria-hidden": "true", hidden: "" });
  private hoveredId: string | null = null;

  constructor(
    private readonly wave: HTMLElement,
    private readonly host: HoverHost,
  ) {
    // which region the pointer is over (regions let pointer events through to allow drawing over them)
    wave.addEventListener("pointermove", (e) => this.onWaveHover(e.clientX));
    wave.addEventListener("pointerleave", () => this.setHovered(null));
    this.listenToHover();
  }

  private listenToHover(): void {
    let frame = 0;
    let last: PointerEvent | null = null;
    const hide = () => {
      last = null;
      this.time.hidden = true;
      if (this.wave.hasAttribute("title")) this.wave.removeAttribute("title");
    };
    this.wave.addEventListener("pointermove", (e) => {
      last = e;
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (last) this.onHover(last);
      });
    });
    // leaving the wave, into the page around the frame too, fires pointerleave here
    this.wave.addEventListener("pointerleave", hide);
    window.addEventListener("blur", hide);
  }

  /**
   * Under the pointer: the time, shown just below the waveform (over the
   * time axis), never over a region's label; and the full label of the region
   * under it as the wave's tooltip when its own label is cut or hidden.
   */
  private onHover(e: PointerEvent): void {
    const ws = this.host.ws();
    if (!ws || !this.host.decoded()) return;
    const wrapper = ws.getWrapper().getBoundingClientRect();
    const view = this.wave.getBoundingClientRect();
    const waveBox = this.host.waveBox();
    const timelineBox = this.host.timelineBox();
    const box = waveBox.getBoundingClientRect();
    const t = this.host.timeAt(e.clientX);
    if (this.host.showCursorTime()) {
      const x = e.clientX - box.left;
      this.time.textContent = formatTime(t, 2);
      // over the time axis (under the spectrogram lanes when they show), else just below the wave
      const below = timelineBox.hidden ? wrapper.bottom : timelineBox.getBoundingClientRect().top;
      this.time.style.top = `${below - box.top}px`;
      this.time.style.transform = x > box.width - 70 ? `translateX(${x}px) translateX(-100%)` : `translateX(${x}px)`;
      this.time.hidden = e.clientX < view.left || e.clientX > view.right;
    }
    if (e.buttons) return; // dragging: no tooltip
    let tip = "";
    const rel = e.clientY - wrapper.top;
    const store = this.host.store();
    const channels = this.host.channels();
    const tiers = this.host.rowsByLabel();
    let hits: string[];
    if (tiers) {
      const row = rowAt(rel, wrapper.height, tiers.length);
      hits = store.hitTest(t, null).filter((id) => rowOfLabel(tiers, store.get(id)?.label ?? "") === row);
    } else {
      const lane = channels > 1 ? rowAt(rel, wrapper.height, channels) : null;
      hits = store.hitTest(t, lane);
    }
    const id = hits[0];
    if (id && !this.host.labelFull(id)) {
      const r = store.get(id);
      if (r) tip = this.host.labelText(r);
    }
    if (tip) {
      if (this.wave.title !== tip) this.wave.title = tip;
    } else if (this.wave.hasAttribute("title")) this.wave.removeAttribute("title");
  }

  private onWaveHover(clientX: number): void {
    if (!this.host.listensToHover() || !this.host.ws()) return;
    const t = this.host.timeAt(clientX);
    const over = this.host.store().list().filter((r) => r.start <= t && t <= r.end);
    // a linked region first: it is the one whose text the annotator wants to see
    const hit = over.find((r) => this.host.isLinked(r.id)) ?? over[0];
    this.setHovered(hit ? hit.id : null);
  }

  private setHovered(id: string | null): void {
    if (id === this.hoveredId) return;
    this.hoveredId = id;
    this.host.hovered(id);
  }
}
