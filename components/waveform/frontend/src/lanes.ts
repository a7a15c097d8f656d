/**
 * Lanes per label: whether regions lie over the channel lanes or one row per
 * label, the rows shown (the labels' list, then "other" when needed), the
 * waveform's height that gives each row room, and the rows' stripes and names
 * (`tier_overlay.ts`). The geometry is `tiers.ts`'s; this keeps the mode and
 * the rows in step with the task and the toggle.
 */
import type WaveSurfer from "wavesurfer.js";
import type { LabelSpec } from "./colors";
import { readStored, writeStored } from "./dom";
import type { Args } from "./protocol";
import { TierOverlay } from "./tier_overlay";
import { initialLanes, lanesHeight, tierRows, type LanesMode, type TierRow } from "./tiers";

/** Where the tab remembers the lanes chosen with the toolbar toggle ("channels" or "labels"). */
const LANES_KEY = "earmark.lanes";

/** What the lanes read from the editor and ask of it. */
export interface LanesHost {
  ws(): WaveSurfer | null;
  args(): Args | null;
  /** The `audio_lanes` setting (used until the toggle is pressed in this tab). */
  setting(): LanesMode;
  channels(): number;
  /** The labels of the regions now. */
  regionLabels(): string[];
  /** A listed label's colour, if it has one. */
  listedColor(label: string): string | undefined;
  /** A label's colour as drawn (listed, else derived from its name). */
  labelColor(label: string): string;
  /** The toolbar's lanes toggle shows `mode`. */
  showMode(mode: LanesMode): void;
  /** Redraw every region shown (each into its row). */
  redecorateAll(): void;
  layoutLabels(): void;
  scheduleSpectrograms(): void;
  setHeight(): void;
}

/**
 * The label of a region the user drew: the row's label when the drag began
 * on a label's row, else the active label.
 */
export function drawnLabel(rowLabel: string | null, labels: readonly LabelSpec[] | undefined, active: string): string {
  if (rowLabel === null || !labels?.some((l) => l.name === rowLabel)) return active;
  return rowLabel;
}

export class Lanes {
  /** Regions over the channel lanes, or one row per label; null until the first task's settings say. */
  private lanes: LanesMode | null = null;
  /** The rows shown in labels lanes (the labels' list, then "other" when needed). */
  private tiers: TierRow[] = [];
  /** What the rows overlay was drawn for (names and count): another set redraws it. */
  private tiersDrawn = "";
  /** Labels lanes' rows: stripes under the waveform, names over it. */
  private readonly tierOverlay = new TierOverlay();

  constructor(
    private readonly root: HTMLElement,
    private readonly wave: HTMLElement,
    private readonly host: LanesHost,
  ) {}

  /** The mode as last resolved (null before the first task). */
  get mode(): LanesMode | null {
    return this.lanes;
  }

  /** The rows of labels lanes (empty in channel lanes once refreshed). */
  get rows(): TierRow[] {
    return this.tiers;
  }

  /** Whether regions lie in rows per label now (and there are rows). */
  get byLabel(): boolean {
    return this.lanes === "labels" && this.tiers.length > 0;
  }

  /** The lanes mode, resolved once: the tab's remembered choice, else the `audio_lanes` setting. */
  lanesNow(): LanesMode {
    if (this.lanes === null) this.lanes = initialLanes(readStored(LANES_KEY), this.host.setting());
    return this.lanes;
  }

  /** The rows labels lanes show now: the labels' list, then "other" when a region's label is not in it. */
  private currentTiers(): TierRow[] {
    return tierRows(
      (this.host.args()?.labels ?? []).map((l) => l.name),
      this.host.regionLabels(),
    );
  }

  /** Height of one channel lane of the waveform: taller with labels lanes when their rows would be too thin. */
  laneHeightFor(args: Args): number {
    const channels = Math.max(1, this.host.channels());
    const total = args.wave_height && args.wave_height > 40 ? args.wave_height : channels > 1 ? 100 * channels : 150;
    const lane = Math.max(30, Math.floor(total / channels));
    if (this.lanesNow() !== "labels") return lane;
    return Math.ceil(lanesHeight(lane * channels, this.currentTiers().length) / channels);
  }

  /** Height of one row in pixels (labels lanes). */
  rowPx(): number {
    const total = (Number(this.host.ws()?.options.height) || 150) * Math.max(1, this.host.channels());
    return total / Math.max(1, this.tiers.length);
  }

  /** Show the lanes chosen: the toggle, the rows and their names, each region in its row, the waveform's height. */
  applyLanes(): void {
    const mode = this.lanesNow();
    this.host.showMode(mode);
    document.body.dataset.lanes = mode;
    this.root.classList.toggle("wf-lanes-labels", mode === "labels");
    if (!this.host.ws()) return;
    this.tierOverlay.attach(this.wave);
    this.tierOverlay.show(mode === "labels");
    this.refreshTiers();
    this.applyWaveHeight();
    this.host.layoutLabels();
  }

  toggleLanes(): boolean {
    this.lanes = this.lanesNow() === "labels" ? "channels" : "labels";
    writeStored(LANES_KEY, this.lanes);
    this.applyLanes();
    return true;
  }

  /**
   * Recompute the rows; when they changed (the mode, the labels' list, an
   * "other" row coming or going), redraw their names and move every region
   * shown into its row. Returns whether they changed.
   */
  refreshTiers(): boolean {
    const rows = this.lanes === "labels" ? this.currentTiers() : [];
    this.tiers = rows;
    const drawn = JSON.stringify([this.lanes, rows.map((r) => [r.label, r.name, r.label !== null && this.host.listedColor(r.label)])]);
    if (drawn === this.tiersDrawn) return false;
    this.tiersDrawn = drawn;
    this.tierOverlay.draw(rows, (label) => this.host.labelColor(label));
    this.host.redecorateAll();
    this.applyWaveHeight();
    return true;
  }

  /** Give the waveform the height the lanes need (rows at least MIN_ROW_HEIGHT tall), keeping its regions. */
  private applyWaveHeight(): void {
    const ws = this.host.ws();
    const args = this.host.args();
    if (!ws || !args) return;
    const lane = this.laneHeightFor(args);
    this.tierOverlay.setHeight(lane * this.host.channels());
    if (Number(ws.options.height) === lane) return;
    const split = ws.options.splitChannels;
    ws.setOptions({ height: lane, splitChannels: Array.isArray(split) ? split.map((c) => ({ ...c, height: lane })) : split });
    this.wave.querySelectorAll<HTMLElement>(":scope > .wf-lane-sep").forEach((sep, i) => {
      sep.style.top = `${(i + 1) * lane}px`;
    });
    this.wave.querySelectorAll<HTMLElement>(":scope > .wf-lane-name").forEach((name, i) => {
      name.style.top = `${i * lane + 2}px`;
    });
    this.host.scheduleSpectrograms();
    this.host.setHeight();
  }
}
