/**
 * The regions the waveform shows, kept in step with the store: adding them to
 * the Regions plugin, drawing each one's label, colour, outline and row, and
 * stacking and fitting the labels. Which region is selected, just drawn or
 * linked to the text is the editor's to say (`RegionViewHost`); this draws it.
 */
import type WaveSurfer from "wavesurfer.js";
import type RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";
import type { Region } from "wavesurfer.js/dist/plugins/regions.esm.js";
import { withAlpha } from "./colors";
import { el } from "./dom";
import { diffRegions, labelRows, type RegionData, type RegionStore } from "./state";
import { fromProfile, PROFILE_MARK, provenanceLines } from "./words";
import { labelFit, rowBox, rowOfLabel, stackLimit, type LabelFit, type LanesMode, type TierRow } from "./tiers";

export type RegionsApi = ReturnType<typeof RegionsPlugin.create>;

/** What the region view reads from the editor, at the moment it draws. */
export interface RegionViewHost {
  regionsApi(): RegionsApi | null;
  ws(): WaveSurfer | null;
  store(): RegionStore;
  editable(): boolean;
  /** Whether the waveform is decoded (regions are shown from then on). */
  decoded(): boolean;
  /** The file's duration: the waveform's, else the task's. */
  duration(): number;
  channels(): number;
  colorOf(r: RegionData): string;
  selectedId(): string | null;
  lastDrawnId(): string | null;
  shiftHeld(): boolean;
  /** The lanes mode (null until resolved). */
  lanes(): LanesMode | null;
  /** The rows of labels lanes. */
  tiers(): TierRow[];
  /** Recompute the rows of labels lanes (redrawing every region when they changed). */
  refreshTiers(): void;
  /** Height of one row in pixels (labels lanes). */
  rowPx(): number;
  /** The label of a region being drawn: its drag's row's, else the active one. */
  draftLabel(): string;
}

export class RegionView {
  readonly shown = new Map<string, Region>();
  /** What each shown region was last drawn from (to diff against the store). */
  readonly shownData = new Map<string, RegionData>();
  /** Set while the view itself changes regions (the plugin's events then are not the user's edits). */
  syncing = false;
  /** Regions a text span links to (their label shows a link mark), and the one highlighted from the text. */
  private linkedIds = new Set<string>();
  private highlightedId: string | null = null;
  /** How each region's label fits its width, at the last layout. */
  private readonly labelFits = new Map<string, LabelFit>();
  /** Measured label text widths (pixels), by text. */
  private readonly textWidths = new Map<string, number>();
  private measureCtx: CanvasRenderingContext2D | null = null;

  constructor(private readonly host: RegionViewHost) {}

  isLinked(id: string): boolean {
    return this.linkedIds.has(id);
  }

  /** How the label of region `id` fitted at the last layout (undefined: not laid out). */
  fitOf(id: string): LabelFit | undefined {
    return this.labelFits.get(id);
  }

  /** Forget the regions shown (the waveform they were on is gone). */
  clear(): void {
    this.shown.clear();
    this.shownData.clear();
  }

  /** Show every region of `list` (a new waveform's first drawing). */
  addAll(list: RegionData[]): void {
    this.syncing = true;
    try {
      for (const r of list) this.addShown(r);
    } finally {
      this.syncing = false;
    }
  }

  /** Take a region the plugin made (drawn by a drag) as the one shown for `data`. */
  track(id: string, region: Region, data: RegionData): void {
    this.shown.set(id, region);
    this.shownData.set(id, { ...data });
  }

  /** Redraw the regions of `ids` that are shown and in the store. */
  redecorate(ids: Iterable<string | null>): void {
    const store = this.host.store();
    for (const id of ids) {
      if (!id) continue;
      const region = this.shown.get(id);
      const data = store.get(id);
      if (region && data) this.decorate(region, data);
    }
  }

  /** Redraw every region shown (the rows changed). */
  redecorateAll(): void {
    const store = this.host.store();
    for (const [id, region] of this.shown) {
      const data = store.get(id) ?? this.shownData.get(id);
      if (data) this.decorate(region, data);
    }
  }

  /** Mark the regions linked to text spans, and highlight one (hovered or selected in the text). */
  markRegions(linked: Iterable<string>, highlighted: string | null): void {
    const next = new Set(linked);
    const touched = new Set<string>();
    for (const id of next) if (!this.linkedIds.has(id)) touched.add(id);
    for (const id of this.linkedIds) if (!next.has(id)) touched.add(id);
    if (highlighted !== this.highlightedId) {
      if (this.highlightedId) touched.add(this.highlightedId);
      if (highlighted) touched.add(highlighted);
    }
    this.linkedIds = next;
    this.highlightedId = highlighted;
    this.redecorate(touched);
  }

  addShown(r: RegionData): Region | null {
    const api = this.host.regionsApi();
    if (!api) return null;
    const editable = this.host.editable();
    const color = this.host.colorOf(r);
    const channels = this.host.channels();
    const region = api.addRegion({
      id: r.id,
      start: r.start,
      end: r.end,
      color: withAlpha(color, 0.28),
      drag: editable,
      resize: editable,
      minLength: this.host.store().minLength,
      channelIdx: channels > 1 && r.channel !== null && r.channel !== undefined ? r.channel : -1,
    });
    this.decorate(region, r);
    this.shown.set(r.id, region);
    this.shownData.set(r.id, { ...r });
    return region;
  }

  /**
   * The region's label, as text. Not the plugin's `content`: for every region
   * with content, the plugin re-measures all the others after each edit to
   * stack overlapping labels (hundreds of forced layouts per drag on long
   * files); `layoutLabels` stacks them from the times alone.
   */
  private setLabel(e: HTMLElement, r: RegionData, color: string): void {
    let lab = e.querySelector<HTMLElement>(":scope > .wf-region-label");
    if (!lab) {
      lab = el("div", { class: "wf-region-label", part: "region-content" });
      lab.style.margin = "1px 0 0 1px";
      e.appendChild(lab);
    }
    const text = this.regionLabelText(r);
    const title = [text, ...provenanceLines(r)].join("\n");
    if (lab.textContent !== text) lab.textContent = text;
    if (lab.title !== title) lab.title = title;
    lab.classList.toggle("wf-from-profile", fromProfile(r));
    if (lab.style.borderLeftColor !== color) lab.style.borderLeftColor = color;
  }

  /** A region's label as drawn: the label and its text; with labels lanes on stereo, its channel too. */
  regionLabelText(r: RegionData): string {
    // proposed from a voice profile: the mark first, so that a label cut short keeps it
    const label = fromProfile(r) ? `${PROFILE_MARK} ${r.label}` : r.label;
    const base = r.text ? `${label}: ${r.text}` : label;
    const text = this.linkedIds.has(r.id) ? `↔ ${base}` : base;   // a text span links to it
    const ch = r.channel;
    return this.host.lanes() === "labels" && this.host.channels() > 1 && ch !== null && ch !== undefined ? `${text} · ch ${ch + 1}` : text;
  }

  /** Stack the labels of overlapping regions in rows (per lane), without reading the DOM. */
  layoutLabels(): void {
    // with labels lanes, overlapping regions stack within their label's row, as far as it is tall
    const tiers = this.host.lanes() === "labels";
    if (tiers) this.host.refreshTiers();
    const list = this.host.store().list();
    const rowsOf = this.host.tiers();
    const rows = labelRows(tiers ? list.map((r) => ({ ...r, channel: rowOfLabel(rowsOf, r.label) })) : list);
    const limit = tiers ? stackLimit(this.host.rowPx()) : Infinity;
    for (const [id, row] of rows) {
      const lab = this.shown.get(id)?.element?.querySelector<HTMLElement>(":scope > .wf-region-label");
      const margin = `${1 + Math.min(row, limit - 1) * 16}px`;
      if (lab && lab.style.marginTop !== margin) lab.style.marginTop = margin;
    }
    this.fitLabels();
  }

  /** A region's top and height: its label's row with labels lanes, else its channel lane (or all of them). */
  private placeInRow(region: Region, r: RegionData): void {
    const e = region.element;
    if (!e) return;
    const tiers = this.host.tiers();
    const channels = this.host.channels();
    let box = { top: 0, height: 100 };
    if (this.host.lanes() === "labels" && tiers.length > 0) {
      box = rowBox(rowOfLabel(tiers, r.label), tiers.length, 100);
    } else if (channels > 1 && region.channelIdx >= 0 && region.channelIdx < channels) {
      box = rowBox(region.channelIdx, channels, 100);
    }
    const top = `${box.top}%`;
    const height = `${box.height}%`;
    if (e.style.top !== top) e.style.top = top;
    if (e.style.height !== height) e.style.height = height;
  }

  /** A region being drawn goes in the row its drag started on. */
  placeDraft(region: Region): void {
    const e = region.element;
    const tiers = this.host.tiers();
    if (!e || this.host.lanes() !== "labels" || tiers.length === 0 || this.syncing) return;
    const box = rowBox(rowOfLabel(tiers, this.host.draftLabel()), tiers.length, 100);
    e.style.top = `${box.top}%`;
    e.style.height = `${box.height}%`;
  }

  /**
   * Hide a region's label when the region is too narrow to show anything
   * readable (its full label is then the hover tooltip); a label a little
   * too long is cut with an ellipsis by the stylesheet.
   */
  fitLabels(): void {
    const ws = this.host.ws();
    const duration = this.host.duration();
    if (!ws || !(duration > 0)) return;
    const pps = ws.getWrapper().scrollWidth / duration;
    for (const [id, region] of this.shown) {
      const data = this.shownData.get(id);
      const lab = region.element?.querySelector<HTMLElement>(":scope > .wf-region-label");
      if (!data || !lab) continue;
      const fit = labelFit((region.end - region.start) * pps, this.textWidth(lab.textContent ?? ""));
      this.labelFits.set(id, fit);
      // a part name, not an inline style: the stylesheet's ::part rules outrank inline styles
      const part = fit === "none" ? "region-content region-label-hidden" : "region-content";
      if (lab.getAttribute("part") !== part) lab.setAttribute("part", part);
    }
  }

  /** Width of a region label's text in pixels, padding and border included (measured once per text). */
  private textWidth(text: string): number {
    let w = this.textWidths.get(text);
    if (w === undefined) {
      if (!this.measureCtx) {
        this.measureCtx = document.createElement("canvas").getContext("2d");
        if (this.measureCtx) this.measureCtx.font = `11px ${getComputedStyle(document.body).fontFamily || "sans-serif"}`;
      }
      w = (this.measureCtx ? this.measureCtx.measureText(text).width : text.length * 6) + 11;
      if (this.textWidths.size > 5000) this.textWidths.clear();
      this.textWidths.set(text, w);
    }
    return w;
  }

  decorate(region: Region, r: RegionData): void {
    const e = region.element;
    if (!e) return;
    const color = this.host.colorOf(r);
    e.style.borderLeft = `1px solid ${color}`;
    e.style.borderRight = `1px solid ${color}`;
    this.setLabel(e, r, color);
    this.placeInRow(region, r);
    e.dataset.id = r.id;
    e.dataset.label = r.label;
    const selected = r.id === this.host.selectedId();
    const drawn = !selected && r.id === this.host.lastDrawnId();
    e.style.pointerEvents = selected && !this.host.shiftHeld() ? "all" : "none";
    e.style.outline = selected ? `2px solid ${color}` : drawn ? `1px dashed ${color}` : "";
    e.style.boxShadow = r.id === this.highlightedId ? `inset 0 0 0 3px ${color}` : "";
    e.style.zIndex = selected ? "3" : "";
    e.classList.toggle("wf-selected", selected);
    e.classList.toggle("wf-last-drawn", drawn);
    if (selected) e.setAttribute("part", `region region-selected ${r.id}`);
    else if (drawn) e.setAttribute("part", `region region-last-drawn ${r.id}`);
    else e.setAttribute("part", `region ${r.id}`);
  }

  /**
   * Bring the regions shown in line with the store (removed, changed, added;
   * with `forceDecorate`, every one recoloured). Returns false when nothing is
   * shown yet (no plugin, or the waveform not decoded).
   */
  sync(forceDecorate = false): boolean {
    if (!this.host.regionsApi() || !this.host.decoded()) return false;
    const shown: RegionData[] = [];
    for (const [id, region] of this.shown) {
      const data = this.shownData.get(id);
      if (!data) continue;
      shown.push({ ...data, start: region.start, end: region.end });
    }
    const wanted = this.host.store().list();
    const diff = diffRegions(shown, wanted);
    const channels = this.host.channels();
    this.syncing = true;
    try {
      for (const id of diff.remove) {
        this.shown.get(id)?.remove();
        this.shown.delete(id);
        this.shownData.delete(id);
      }
      for (const r of diff.change) {
        const region = this.shown.get(r.id);
        if (!region) continue;
        const wantLane = channels > 1 && r.channel !== null && r.channel !== undefined ? r.channel : -1;
        if (region.channelIdx !== wantLane) {
          region.remove();
          this.shown.delete(r.id);
          this.addShown(r);
          continue;
        }
        const color = this.host.colorOf(r);
        region.setOptions({ start: r.start, end: r.end, color: withAlpha(color, 0.28) });
        this.decorate(region, r);
        this.shownData.set(r.id, { ...r });
      }
      for (const r of diff.add) this.addShown(r);
      if (forceDecorate) {
        for (const r of wanted) {
          const region = this.shown.get(r.id);
          if (!region) continue;
          const color = this.host.colorOf(r);
          region.setOptions({ color: withAlpha(color, 0.28) });
          this.decorate(region, r);
        }
      }
    } finally {
      this.syncing = false;
    }
    return true;
  }
}
