/**
 * Zoom: pixels per second between "the file fits the width" and the
 * `audio_max_zoom` setting, the toolbar's slider (0 fits, 1 is the closest),
 * and the swap from the overview peaks drawn first on long files to the full
 * resolution once the zoom shows more than the overview holds.
 */
import type WaveSurfer from "wavesurfer.js";
import { decodePeaks } from "./protocol";

/** What the zoom reads from the editor and asks of it. */
export interface ZoomHost {
  ws(): WaveSurfer | null;
  /** The waveform's container (its width is the fit). */
  wave(): HTMLElement;
  /** The task's duration, when the waveform has none yet. */
  argsDuration(): number | undefined;
  maxZoom(): number;
  media(): HTMLAudioElement | null;
  peaksChannels(): number | undefined;
  /** The toolbar's slider shows `fraction`. */
  showZoom(fraction: number): void;
  /** Labels fit their regions anew (the widths changed). */
  fitLabels(): void;
}

export class Zoom {
  /** Pixels per second; 0 = fit to width. */
  pps = 0;
  private peakBytes: Uint8Array | null = null;
  private usingOverview = false;
  private overviewLength = 0;

  constructor(private readonly host: ZoomHost) {}

  /** The peaks of a new waveform: its bytes, and whether an overview of `overviewLength` points is drawn from them. */
  usePeaks(bytes: Uint8Array | null, usingOverview: boolean, overviewLength: number): void {
    this.peakBytes = bytes;
    this.usingOverview = usingOverview;
    this.overviewLength = overviewLength;
  }

  private fitPps(): number {
    const d = this.host.ws()?.getDuration() || this.host.argsDuration() || 1;
    return Math.max(1e-3, (this.host.wave().clientWidth || 600) / d);
  }

  zoomTo(pps: number): void {
    const ws = this.host.ws();
    if (!ws) return;
    const fit = this.fitPps();
    const max = Math.max(fit, this.host.maxZoom());
    const target = Math.max(fit, Math.min(max, pps));
    const t = ws.getCurrentTime();
    ws.zoom(target <= fit * 1.0001 ? 0 : target);
    this.pps = target <= fit * 1.0001 ? 0 : target;
    const visible = ws.getWidth() / (this.pps || fit);
    ws.setScrollTime(Math.max(0, t - visible / 2));
    this.updateZoomSlider();
  }

  zoomBy(factor: number): void {
    this.zoomTo((this.pps || this.fitPps()) * factor);
  }

  /** The zoom slider: 0 fits the file to the width, 1 is the closest zoom. */
  zoomToFraction(v: number): void {
    const fit = this.fitPps();
    const max = Math.max(fit, this.host.maxZoom());
    this.zoomTo(fit * Math.pow(max / fit, v));
  }

  /** Wavesurfer's `zoom` event (the zoom plugin's ctrl+wheel too). */
  onZoom(pps: number): void {
    this.pps = pps;
    this.updateZoomSlider();
    this.host.fitLabels();
    this.maybeUpgradePeaks();
  }

  /** Swap the overview for the full-resolution peaks once the zoom shows more than the overview holds. */
  private maybeUpgradePeaks(): void {
    const ws = this.host.ws();
    const media = this.host.media();
    if (!ws || !this.peakBytes || !this.usingOverview || !media) return;
    const width = ws.getWrapper().scrollWidth;
    if (width < this.overviewLength / 2) return;
    this.usingOverview = false;
    const full = decodePeaks(this.peakBytes, Math.max(1, this.host.peaksChannels() ?? 1));
    const scroll = ws.getScroll();
    document.body.dataset.peaks = "full";
    ws.once("redrawcomplete", () => ws.setScroll(scroll));
    ws.load(media.src, full, ws.getDuration()).catch(() => undefined);
  }

  updateZoomSlider(): void {
    const fit = this.fitPps();
    const max = Math.max(fit * 1.0001, this.host.maxZoom());
    const pps = Math.max(fit, this.pps || fit);
    const v = Math.log(pps / fit) / Math.log(max / fit);
    this.host.showZoom(v);
    document.body.dataset.pxPerSec = (this.pps || fit).toFixed(3);
  }
}
