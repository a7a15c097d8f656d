/**
 * The editor's toolbar: play, the time, rate, loop, the spectrogram and lanes
 * toggles, zoom, "Draw on", undo / redo / reload and a status line. It builds
 * its own DOM and holds no state of the editor's: a control calls back, and
 * the editor tells it what to show through its `update…` methods.
 */
import { el } from "./dom";
import { RATES } from "./protocol";
import type { LanesMode } from "./tiers";

export type DrawMode = "all" | "lane";

export interface ToolbarCallbacks {
  playPause(): void;
  setRate(rate: number): void;
  toggleLoop(): void;
  toggleSpectrogram(): void;
  toggleLanes(): void;
  /** The zoom slider moved: 0 is the whole file, 1 the closest zoom. */
  zoom(fraction: number): void;
  drawMode(mode: DrawMode): void;
  undo(): void;
  redo(): void;
  reload(): void;
}

const ZOOM_STEPS = 1000;

export class Toolbar {
  readonly el: HTMLElement;
  private readonly playBtn: HTMLButtonElement;
  private readonly timeText: HTMLElement;
  private readonly rateSel: HTMLSelectElement;
  private readonly loopBtn: HTMLButtonElement;
  private readonly spectroBtn: HTMLButtonElement;
  private readonly lanesBtn: HTMLButtonElement;
  private readonly zoomInput: HTMLInputElement;
  private readonly drawWrap: HTMLElement;
  private readonly drawSel: HTMLSelectElement;
  private readonly undoBtn: HTMLButtonElement;
  private readonly redoBtn: HTMLButtonElement;
  private readonly statusText: HTMLElement;

  constructor(cb: ToolbarCallbacks) {
    this.el = el("div", { class: "wf-toolbar", role: "toolbar" });
    // icons with their names as titles and labels: the toolbar fits one line of the page's column, stereo controls too
    this.playBtn = el("button", { type: "button", class: "wf-play wf-icon", title: "Play / pause (space)", "aria-label": "Play" }, "▶");
    this.playBtn.addEventListener("click", () => cb.playPause());
    this.timeText = el("span", { class: "wf-time" }, "0:00.0");
    const rateLabel = el("label", { class: "wf-rate", title: "Playback rate ([ and ])" });
    this.rateSel = el("select", { "aria-label": "Playback rate" });
    for (const r of RATES) this.rateSel.appendChild(el("option", { value: String(r) }, `${r}×`));
    this.rateSel.addEventListener("change", () => cb.setRate(Number(this.rateSel.value)));
    rateLabel.appendChild(this.rateSel);
    this.loopBtn = el("button", { type: "button", class: "wf-loop wf-icon", "aria-pressed": "false", title: "Loop (l)", "aria-label": "Loop" }, "⟲");
    this.loopBtn.addEventListener("click", () => cb.toggleLoop());
    this.spectroBtn = el("button", { type: "button", class: "wf-spectro-toggle", "aria-pressed": "false", title: "Spectrogram (s)" }, "Spectrogram");
    this.spectroBtn.addEventListener("click", () => cb.toggleSpectrogram());
    this.lanesBtn = el(
      "button",
      { type: "button", class: "wf-lanes-toggle", "aria-pressed": "false", title: "Lanes: regions over the channels, or one row per label" },
      "Lanes: channels",
    );
    this.lanesBtn.addEventListener("click", () => cb.toggleLanes());
    const zoomLabel = el("label", { class: "wf-zoom", title: "Zoom (+ and -, ctrl+wheel; the wheel scrolls when zoomed in). Vertical zoom: shift+up and shift+down" });
    this.zoomInput = el("input", { type: "range", min: "0", max: String(ZOOM_STEPS), value: "0", "aria-label": "Zoom" });
    this.zoomInput.addEventListener("input", () => cb.zoom(Number(this.zoomInput.value) / ZOOM_STEPS));
    zoomLabel.appendChild(this.zoomInput);
    this.drawWrap = el("label", { class: "wf-draw", title: "Draw new regions on all channels or on the lane under the pointer (alt inverts)" });
    this.drawSel = el("select", { "aria-label": "Draw on" });
    this.drawSel.appendChild(el("option", { value: "all" }, "✎ all channels"));
    this.drawSel.appendChild(el("option", { value: "lane" }, "✎ one channel"));
    this.drawSel.addEventListener("change", () => {
      cb.drawMode(this.drawSel.value === "lane" ? "lane" : "all");
      this.drawSel.blur();
    });
    this.drawWrap.appendChild(this.drawSel);
    this.undoBtn = el("button", { type: "button", class: "wf-undo wf-icon", title: "Undo region edit (ctrl+z)", "aria-label": "Undo region edit" }, "↶");
    this.undoBtn.addEventListener("click", () => cb.undo());
    this.redoBtn = el("button", { type: "button", class: "wf-redo wf-icon", title: "Redo region edit (ctrl+shift+z)", "aria-label": "Redo region edit" }, "↷");
    this.redoBtn.addEventListener("click", () => cb.redo());
    const reloadBtn = el("button", { type: "button", class: "wf-reload wf-icon", title: "Reload the audio and the regions as last saved", "aria-label": "Reload" }, "⟳");
    reloadBtn.addEventListener("click", () => cb.reload());
    this.statusText = el("span", { class: "wf-status", "aria-live": "polite" });
    this.el.append(
      this.playBtn,
      this.timeText,
      rateLabel,
      this.loopBtn,
      this.spectroBtn,
      this.lanesBtn,
      zoomLabel,
      this.drawWrap,
      this.undoBtn,
      this.redoBtn,
      reloadBtn,
      this.statusText,
    );
  }

  updatePlaying(playing: boolean): void {
    this.playBtn.textContent = playing ? "⏸" : "▶";
    this.playBtn.setAttribute("aria-label", playing ? "Pause" : "Play");
  }

  /** The play button is disabled while the audio could not be loaded. */
  updatePlayable(playable: boolean): void {
    this.playBtn.disabled = !playable;
  }

  updateTime(text: string): void {
    this.timeText.textContent = text;
  }

  /** Show `rate`, adding it to the choices when it is not one of them (a setting's). */
  updateRate(rate: number): void {
    this.rateSel.value = String(rate);
    if (this.rateSel.value !== String(rate)) {
      this.rateSel.appendChild(el("option", { value: String(rate) }, `${rate}×`));
      this.rateSel.value = String(rate);
    }
  }

  updateLoop(on: boolean): void {
    this.loopBtn.setAttribute("aria-pressed", on ? "true" : "false");
  }

  /** Undo and redo show only when the regions are editable, enabled when there is a step to take. */
  updateHistory(editable: boolean, canUndo: boolean, canRedo: boolean): void {
    this.undoBtn.disabled = !editable || !canUndo;
    this.redoBtn.disabled = !editable || !canRedo;
    this.undoBtn.hidden = !editable;
    this.redoBtn.hidden = !editable;
  }

  /** The spectrogram toggle shows only when the task has a spectrogram. */
  updateSpectrogram(available: boolean, on: boolean): void {
    this.spectroBtn.hidden = !available;
    this.spectroBtn.setAttribute("aria-pressed", on ? "true" : "false");
  }

  updateLanes(mode: LanesMode): void {
    this.lanesBtn.setAttribute("aria-pressed", mode === "labels" ? "true" : "false");
    this.lanesBtn.textContent = `Lanes: ${mode}`;
  }

  /** The zoom slider at `fraction` (0: whole file, 1: closest zoom; clamped). */
  updateZoom(fraction: number): void {
    this.zoomInput.value = String(Math.round(Math.max(0, Math.min(1, fraction)) * ZOOM_STEPS));
  }

  /** "Draw on" shows only for files with more than one channel. */
  updateChannels(channels: number): void {
    this.drawWrap.hidden = channels < 2;
  }

  status(text: string): void {
    this.statusText.textContent = text;
  }
}
