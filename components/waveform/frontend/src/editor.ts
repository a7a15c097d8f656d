/**
 * The waveform region editor: wavesurfer.js with its Regions, Minimap, Zoom
 * and Hover plugins, a virtualised timeline, a label legend, a toolbar and
 * keyboard control. Talks to Python through `send` (committed edits and
 * forwarded answer keys only) and `render` (args from Python).
 */
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin, { type Region } from "wavesurfer.js/dist/plugins/regions.esm.js";
import MinimapPlugin from "wavesurfer.js/dist/plugins/minimap.esm.js";
import ZoomPlugin from "wavesurfer.js/dist/plugins/zoom.esm.js";
import HoverPlugin from "wavesurfer.js/dist/plugins/hover.esm.js";

import { isAnswerAction, isNamedAction, type ActionTable, type AnswerAction } from "./actions";
import { freeColor, labelColor, resolveLabelColors, withAlpha, type LabelSpec } from "./colors";
import { buildKeymap, eventCombo, isTextTarget, labelIndex, PAGE_FOCUS_COMBOS } from "./keys";
import {
  decideRender,
  decodePeaks,
  maxOfChannels,
  overviewFromBytes,
  fileNameOf,
  RATES,
  resolveSettings,
  stepRate,
  type Args,
  type EventInfo,
  type ResolvedSettings,
  type Value,
} from "./protocol";
import { SpectrogramLane, type LaneOptions } from "./spectrogram";
import { initiallyShown, laneShowsRegion, spectrogramLanes } from "./spectrogram_view";
import { edgePreview, nudgedEdge, scrollToShow, stepSelection } from "./selection";
import { RegionStore, type RegionData } from "./state";
import { clockText, formatTime } from "./ticks";
import { rowAt, rowOfLabel } from "./tiers";
import { TimelinePlugin } from "./timeline";
import { enableHooks, expose } from "./testhooks";
import { el, readStored, writeStored } from "./dom";
import { Gestures } from "./gestures";
import { drawnLabel, Lanes } from "./lanes";
import { Zoom } from "./zoom";
import { MarksView } from "./marks_view";
import { Hover } from "./hover";
import { RegionView, type RegionsApi } from "./region_view";
import { Legend } from "./legend";
import { SelectionBar } from "./selection_bar";
import { Toolbar, type DrawMode } from "./toolbar";
import { barHeight, normalisingPeak, stepVerticalZoom, viewPeak } from "./gain";

export interface Transport {
  send(value: Value): void;
  setHeight(): void;
  /** The annotation card answers (accept, reject, ignore, undo) itself: keys go here, not to Python. */
  answer?(action: string): void;
  /** The region the annotator selected changed (the card links text spans to it). */
  selected?(regionId: string | null): void;
  /** The annotator clicked a region (the card links the text span selected to it). */
  regionClicked?(regionId: string): void;
  /** The pointer entered or left a region (the card highlights its text spans). */
  hovered?(regionId: string | null): void;
  /** The active label changed (a number key or a legend click). */
  labelChosen?(label: string): void;
  /** The playhead moved (the card's time): while playing, and after a seek. */
  time?(t: number): void;
  /** `region_from_span` (key `r`): the card makes the region of the text span selected; whether it did. */
  regionFromSpan?(): boolean;
}

/** How long a nudge key must rest before the audio around the moved edge plays. */
const EDGE_PREVIEW_DEBOUNCE_MS = 120;
const PAGE_CONTROLS = new Set(["BUTTON", "A", "SELECT", "INPUT", "TEXTAREA", "SUMMARY", "IFRAME", "LABEL"]);
/** Points per channel of the overview drawn first for long files (a few times any screen's width). */
const OVERVIEW_POINTS = 4096;
/** Where the tab remembers whether the spectrogram is on (annotators switch it on once). */
const SPECTROGRAM_KEY = "earmark.spectrogram";

export function newId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      /* insecure context: fall through */
    }
  }
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class Editor {
  private readonly root: HTMLElement;
  private readonly transport: Transport;
  private readonly mountId = newId().slice(0, 8);
  private seq = 0;

  // what Python last gave
  private args: Args | null = null;
  private settings: ResolvedSettings = resolveSettings({});
  private taskId: string | null = null;
  private revision = 0;
  private buildSignature = "";

  // editor state
  private store: RegionStore = new RegionStore(0);
  private selectedId: string | null = null;
  private decoratedSelected: string | null = null;
  private activeLabel = "";
  private labelColors = new Map<string, string>();
  /** Colours given to labels outside the list, kept apart from the listed ones'. */
  private otherColors = new Map<string, string>();
  private keymap = buildKeymap();
  private loopOn = false;
  private rate = 1;
  private drawMode: DrawMode = "all";
  private shiftHeld = false;
  /**
   * The region just made (by a drag or by marks): outlined as such and removed
   * by delete / backspace, but not selected, so that number keys choose the
   * label of the next region instead of relabelling it. Any selection (click,
   * tab, escape) ends it.
   */
  private lastDrawnId: string | null = null;
  private decoratedDrawn: string | null = null;
  /** The pending `i` / `o` mark and the region a pair makes. */
  private readonly marksView: MarksView = new MarksView({
    ws: () => this.ws,
    canMark: () => !!this.args?.editable && this.flags.decoded,
    taskId: () => this.taskId,
    duration: () => this.duration(),
    minLength: () => this.store.minLength,
    channels: () => this.channels,
    lane: () => (this.channels > 1 && this.drawMode === "lane" ? (this.gestures.lastLane ?? 0) : null),
    color: () => this.labelColors.get(this.activeLabel) ?? labelColor(this.activeLabel),
    makeRegion: (start, end, lane) => this.markedRegion(start, end, lane),
  });
  /** Zoom, its slider, and the full-resolution peaks once zoomed in far enough. */
  private readonly zoom: Zoom = new Zoom({
    ws: () => this.ws,
    wave: () => this.wave,
    argsDuration: () => this.args?.duration,
    maxZoom: () => this.settings.audio_max_zoom,
    media: () => this.media,
    peaksChannels: () => this.args?.peaks_channels,
    showZoom: (fraction) => this.toolbar.updateZoom(fraction),
    fitLabels: () => this.regionView.fitLabels(),
  });
  /** The debounced play of the audio around a nudged edge. */
  private previewTimer: ReturnType<typeof setTimeout> | null = null;

  // wavesurfer and its parts, rebuilt per task
  private ws: WaveSurfer | null = null;
  private regionsApi: RegionsApi | null = null;
  /** The regions shown on the waveform, in step with the store. */
  private readonly regionView: RegionView = new RegionView({
    regionsApi: () => this.regionsApi,
    ws: () => this.ws,
    store: () => this.store,
    editable: () => !!this.args?.editable,
    decoded: () => this.flags.decoded,
    duration: () => this.ws?.getDuration() || this.args?.duration || 0,
    channels: () => this.channels,
    colorOf: (r) => this.colorOf(r),
    selectedId: () => this.selectedId,
    lastDrawnId: () => this.lastDrawnId,
    shiftHeld: () => this.shiftHeld,
    lanes: () => this.lanes.mode,
    tiers: () => this.lanes.rows,
    refreshTiers: () => this.lanes.refreshTiers(),
    rowPx: () => this.lanes.rowPx(),
    draftLabel: () => this.gestures.rowLabel ?? this.activeLabel,
  });
  private disableDrag: (() => void) | null = null;
  private gestures!: Gestures;
  /** The spectrogram lanes shown: one, or one per channel lane of the waveform. */
  private spectrograms: SpectrogramLane[] = [];
  /** What the lanes were made for (their URLs and heights): another layout rebuilds them. */
  private spectrogramLayout = "";
  /** The region a drag is drawing, before the Regions plugin hands it over as created. */
  private draft: Region | null = null;
  /** Whether the spectrogram lane is on; null until the first task's settings say. */
  private spectrogramOn: boolean | null = null;
  private media: HTMLAudioElement | null = null;
  private maxPeak = 0;
  /** The annotator's vertical zoom (kept from task to task in this tab) and the setting it started from. */
  private verticalZoom = 1;
  private verticalZoomSetting: number | null = null;
  /** What the waveform is drawn with now: the peak it is normalised to and its bar height. */
  private drawnGain = { peak: 0, bar: 0 };
  private gainFrame = 0;
  /** Set when an answer key is forwarded; cleared by the next render from Python. */
  private answerLockUntil = 0;
  private pendingEvent: Omit<EventInfo, "seq" | "id" | "time"> | null = null;
  private regionsAdded = false;
  private channels = 1;
  private buildToken = 0;
  private flags = { decoded: false, drawn: false, playable: false };
  private marks: Record<string, number> = {};
  private renderStart = 0;
  private timeFrame = 0;
  private preloaded: HTMLAudioElement | null = null;

  // DOM
  private toolbar!: Toolbar;
  private legend!: Legend;
  private selBar!: SelectionBar;
  /** Channel lanes or lanes per label: the mode, the rows, the waveform's height. */
  private lanes!: Lanes;
  private hover!: Hover;
  private errorBox!: HTMLElement;
  private errorText!: HTMLElement;
  private waveBox!: HTMLElement;
  private wave!: HTMLElement;
  private timelineBox!: HTMLElement;
  private minimapBox!: HTMLElement;

  constructor(root: HTMLElement, transport: Transport) {
    this.root = root;
    this.transport = transport;
    this.buildDom();
    document.addEventListener("keydown", (e) => this.onKeyDown(e, false), true);
    document.addEventListener("keyup", (e) => this.onKeyUp(e), true);
    window.addEventListener("blur", () => this.setShift(false));
    this.listenToParentKeys();
    // for tests and benchmarks: the playback position
    expose("__wfCurrentTime", () => this.ws?.getCurrentTime() ?? 0);
    expose("__wfDebug", () => ({
      taskId: this.taskId,
      revision: this.revision,
      store: this.store.list(),
      args: this.args ? { task_id: this.args.task_id, regions: this.args.regions } : null,
      shown: [...this.regionView.shown.keys()],
      selected: this.selectedId,
    }));
  }

  // ------------------------------------------------------------------ DOM

  private buildDom(): void {
    const root = this.root;
    root.className = "wf";
    root.replaceChildren();

    this.toolbar = new Toolbar({
      playPause: () => this.playPause(),
      setRate: (rate) => this.setRate(rate),
      toggleLoop: () => this.toggleLoop(),
      toggleSpectrogram: () => this.toggleSpectrogram(),
      toggleLanes: () => this.lanes.toggleLanes(),
      zoom: (fraction) => this.zoom.zoomToFraction(fraction),
      drawMode: (mode) => {
        this.drawMode = mode;
      },
      undo: () => this.undoEdit(),
      redo: () => this.redoEdit(),
      reload: () => this.reload(),
    });
    this.legend = new Legend((i) => this.chooseLabel(i));

    this.errorBox = el("div", { class: "wf-error", role: "alert", hidden: "" });
    this.errorText = el("span", { class: "wf-error-text" });
    const errReload = el("button", { type: "button", class: "wf-error-reload" }, "Reload");
    errReload.addEventListener("click", () => this.reload());
    this.errorBox.append(this.errorText, errReload);

    this.waveBox = el("div", { class: "wf-wavebox" });
    this.wave = el("div", { class: "wf-wave", id: "wave" });
    this.lanes = new Lanes(this.root, this.wave, {
      ws: () => this.ws,
      args: () => this.args,
      setting: () => this.settings.audio_lanes,
      channels: () => this.channels,
      regionLabels: () => this.store.list().map((r) => r.label),
      listedColor: (label) => this.labelColors.get(label),
      labelColor: (label) => this.labelColors.get(label) ?? labelColor(label),
      showMode: (mode) => this.toolbar.updateLanes(mode),
      redecorateAll: () => this.regionView.redecorateAll(),
      layoutLabels: () => this.regionView.layoutLabels(),
      scheduleSpectrograms: () => this.scheduleSpectrograms(),
      setHeight: () => this.transport.setHeight(),
    });
    this.gestures = new Gestures(this.wave, {
      ws: () => this.ws,
      channels: () => this.channels,
      rows: () => (this.lanes.mode === "labels" ? this.lanes.rows : []),
      drawMode: () => this.drawMode,
      activeLabel: () => this.activeLabel,
      labelColor: (label) => this.labelColors.get(label) ?? labelColor(label),
      minLength: () => this.store.minLength,
      canDraw: () => !!this.disableDrag && this.flags.decoded,
    });
    this.hover = new Hover(this.wave, {
      ws: () => this.ws,
      decoded: () => this.flags.decoded,
      timeAt: (clientX) => this.gestures.timeAt(clientX),
      showCursorTime: () => this.settings.show_audio_cursor_time,
      waveBox: () => this.waveBox,
      timelineBox: () => this.timelineBox,
      store: () => this.store,
      channels: () => this.channels,
      rowsByLabel: () => (this.lanes.byLabel ? this.lanes.rows : null),
      labelFull: (id) => this.regionView.fitOf(id) === "full",
      labelText: (r) => this.regionView.regionLabelText(r),
      isLinked: (id) => this.regionView.isLinked(id),
      listensToHover: () => !!this.transport.hovered,
      hovered: (id) => this.transport.hovered?.(id),
    });
    this.timelineBox = el("div", { class: "wf-timeline-box" });
    this.minimapBox = el("div", { class: "wf-minimap" });
    this.waveBox.append(this.wave, this.timelineBox, this.minimapBox, this.hover.time);

    this.selBar = new SelectionBar({
      play: () => this.playSelected(),
      commitText: (text) => this.commitText(text),
      remove: () => this.deleteSelected(),
    });

    root.append(this.toolbar.el, this.legend.el, this.errorBox, this.waveBox, this.selBar.el);
  }

  // --------------------------------------------------------------- links

  /** A segment task: shade the context before and after the segment, so the part to annotate stands out. */
  private shadeContext(): void {
    const seg = this.args?.segment;
    const duration = Number(this.args?.duration) || 0;
    const wrapper = this.ws?.getWrapper();
    if (!seg || !wrapper || !(duration > 0)) return;
    const pct = (t: number) => `${(100 * Math.max(0, Math.min(duration, t))) / duration}%`;
    for (const [a, b] of [[0, seg.start], [seg.end, duration]]) {
      if (!(b > a)) continue;
      const shade = el("div", { class: "wf-context", part: "context" });
      Object.assign(shade.style, {
        position: "absolute", top: "0", bottom: "0", left: pct(a), width: `calc(${pct(b)} - ${pct(a)})`,
        background: "rgba(120, 120, 120, 0.28)", pointerEvents: "none", zIndex: "2",
      });
      wrapper.appendChild(shade);
    }
    document.body.dataset.context = `${seg.start}-${seg.end}`;
  }

  /** Mark the regions linked to text spans, and highlight one (hovered or selected in the text). */
  markRegions(linked: Iterable<string>, highlighted: string | null): void {
    this.regionView.markRegions(linked, highlighted);
    document.body.dataset.highlighted = highlighted ?? "";
  }

  /** The regions as they are now (the card reads them when an answer is given). */
  regions(): RegionData[] {
    return this.store.list();
  }

  // --------------------------------------------------------------- render

  /**
   * Apply args from Python (or from the card, one task at a time). `media`, when
   * given, is an audio element already loading `args.audio` (the card preloads
   * the next tasks' audio): a new task then starts from what it has buffered.
   */
  render(args: Args, media?: HTMLAudioElement | null): void {
    this.preloaded = media ?? null;
    enableHooks(args.test_hooks);
    this.answerLockUntil = 0;
    const pending = this.pendingEvent;
    this.pendingEvent = null;
    const decision = decideRender(this.taskId === null ? null : { taskId: this.taskId, revision: this.revision }, args);
    const prevArgs = this.args;
    this.args = args;
    this.settings = resolveSettings(args.settings);
    if (this.settings.audio_vertical_zoom !== this.verticalZoomSetting) {
      this.verticalZoomSetting = this.settings.audio_vertical_zoom;
      this.verticalZoom = this.verticalZoomSetting;
    }
    this.applyLabels(args.labels ?? []);
    this.keymap = buildKeymap(args.keymap ?? {}, (args.labels ?? []).map((l) => l.key));
    this.root.classList.toggle("wf-readonly", !args.editable);
    document.body.dataset.editable = args.editable ? "1" : "0";

    if (decision === "reset") {
      this.taskId = String(args.task_id);
      this.revision = Number(args.revision) || 0;
      this.store = new RegionStore(Number(args.duration) || 0, args.regions ?? [], this.settings.audio_min_region);
      this.selectedId = null;
      this.loopOn = this.settings.audio_loop;
      this.rate = this.settings.audio_rate;
      this.zoom.pps = 0;
      this.renderStart = performance.now();
      this.build();
    } else {
      if (decision === "replace") {
        this.revision = Number(args.revision) || 0;
        this.store.reset(args.regions ?? []);
        if (this.selectedId && !this.store.get(this.selectedId)) this.selectedId = null;
      }
      this.store.minLength = this.settings.audio_min_region;
      if (this.signature(args) !== this.buildSignature) this.build();
      else {
        this.syncRegions(prevArgs !== null && labelsChanged(prevArgs.labels, args.labels));
        this.applyEditable();
        this.applySpectrogram();
        this.lanes.applyLanes();
      }
    }
    this.updateToolbar();
    this.transport.setHeight();
    if (pending && decision !== "reset") this.send(pending);
  }

  /** What, when changed, needs the waveform rebuilt. */
  private signature(args: Args): string {
    const s = this.settings;
    return JSON.stringify([
      args.audio,
      args.duration,
      args.peaks ? args.peaks.length : 0,
      args.peaks_channels ?? 1,
      args.wave_height ?? null,
      s.show_audio_cursor,
      s.show_audio_cursor_time,
      s.show_audio_timeline,
      s.show_audio_minimap,
      s.audio_bar_width,
      s.audio_bar_height,
      s.audio_bar_gap,
      s.audio_bar_radius,
      s.audio_max_zoom,
    ]);
  }

  private applyLabels(labels: LabelSpec[]): void {
    this.labelColors = resolveLabelColors(labels, this.settings.theme_labels);
    this.otherColors.clear();
    if (!labels.some((l) => l.name === this.activeLabel)) this.activeLabel = labels[0]?.name ?? "";
    this.renderLegend();
  }

  private colorOf(r: RegionData): string {
    return r.color || this.labelColors.get(r.label) || this.settings.theme_labels[r.label] || this.otherColor(r.label);
  }

  /** A label outside the list gets a colour no listed label has (while the palette lasts). */
  private otherColor(label: string): string {
    let color = this.otherColors.get(label);
    if (!color) {
      const taken = new Set([...this.labelColors.values(), ...this.otherColors.values()].map((c) => c.toLowerCase()));
      color = freeColor(label, taken);
      this.otherColors.set(label, color);
    }
    return color;
  }

  private renderLegend(): void {
    this.legend.render(
      this.args?.labels ?? [],
      this.activeLabel,
      (name) => this.labelColors.get(name) ?? labelColor(name),
      (i) => [...this.keymap.entries()].find(([, a]) => a === `label_${i + 1}`)?.[0],
      this.args?.editable ?? true,
    );
  }

  // ---------------------------------------------------------------- build

  /** (Re)create wavesurfer for the current task from the committed regions. */
  private build(): void {
    const args = this.args;
    if (!args) return;
    const token = ++this.buildToken;
    this.teardown();
    this.buildSignature = this.signature(args);
    this.flags = { decoded: false, drawn: false, playable: false };
    this.marks = { build: performance.now() - this.renderStart };
    const body = document.body;
    delete body.dataset.ready;
    delete body.dataset.drawn;
    delete body.dataset.error;
    body.dataset.taskId = String(args.task_id);
    body.dataset.duration = String(args.duration);
    body.dataset.audio = args.audio.startsWith("data:") ? "data:" : args.audio;
    this.hideError();
    this.status("Loading…");

    // Start streaming the audio before anything else: the media element is ours,
    // given to wavesurfer, so its first Range request goes out right away.
    const audioUrl = absoluteUrl(args.audio);
    const given = this.preloaded;
    this.preloaded = null;
    const reuse = !!given && given.src === audioUrl && !given.error;
    const media = reuse ? (given as HTMLAudioElement) : document.createElement("audio");
    media.preload = "auto";
    media.autoplay = this.settings.audio_autoplay;
    const token0 = token;
    const onPlayable = () => {
      if (token0 !== this.buildToken) return;
      if (!this.flags.playable) this.marks.playable = performance.now() - this.renderStart;
      this.flags.playable = true;
      this.checkReady();
    };
    media.addEventListener("canplay", onPlayable);
    media.addEventListener("loadeddata", onPlayable);
    for (const ev of ["loadstart", "loadedmetadata", "loadeddata", "canplay", "canplaythrough"]) {
      media.addEventListener(ev, () => {
        if (token0 === this.buildToken && this.marks[ev] === undefined) this.marks[ev] = performance.now() - this.renderStart;
      });
    }
    media.addEventListener("error", () => {
      if (token0 !== this.buildToken) return;
      this.showError(new Error(describeMediaError(media.error)));
      // ask the server what it says about the file, for a clearer message
      fetch(audioUrl, { method: "HEAD" })
        .then((r) => {
          if (token0 !== this.buildToken) return;
          if (!r.ok) this.showError(new Error(`the server answered HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ""}`));
        })
        .catch(() => undefined);
    });
    if (!reuse) media.src = audioUrl;
    this.media = media;
    if (reuse && media.readyState >= 2) onPlayable();

    // The frame shares the page's main thread: drawing first would hold back the
    // media element's events. Let it load the metadata (a few ms when the thread
    // is free), then draw while it buffers; never wait long for it.
    let started = false;
    const go = () => {
      if (started || token !== this.buildToken) return;
      started = true;
      this.marks.wave = performance.now() - this.renderStart;
      this.buildWave(args, token);
    };
    if (reuse && media.readyState >= 1) {
      go(); // preloaded: its metadata is there, draw now
      return;
    }
    for (const ev of ["loadedmetadata", "canplay", "loadeddata", "error"]) media.addEventListener(ev, go, { once: true });
    setTimeout(go, 80);
  }

  private buildWave(args: Args, token: number): void {
    const body = document.body;
    const media = this.media!;
    const audioUrl = media.src;
    const s = this.settings;
    // A long file's peaks are far more than the width shows: draw an overview
    // (the max of each group, taken on the bytes) first, and decode the full
    // resolution only when zooming in needs it.
    const bytes = args.peaks && args.peaks.length > 0 ? args.peaks : null;
    const nch = Math.max(1, args.peaks_channels ?? 1);
    let full: Float32Array[] | null = null;
    let overview: Float32Array[] | undefined;
    if (bytes) {
      const n = Math.floor(bytes.length / nch);
      if (args.peaks_overview && args.peaks_overview.length > 0) overview = decodePeaks(args.peaks_overview, nch);
      else if (n > OVERVIEW_POINTS * 1.5) overview = overviewFromBytes(bytes, nch, OVERVIEW_POINTS);
      else overview = full = decodePeaks(bytes, nch);
    }
    const peaks = overview;
    this.maxPeak = overview ? maxOfChannels(overview) : 0;
    const usingOverview = !!overview && full === null;
    this.zoom.usePeaks(bytes, usingOverview, overview ? overview[0].length : 0);
    this.regionsAdded = false;
    body.dataset.peaks = usingOverview ? "overview" : "full";
    this.marks.peaks = performance.now() - this.renderStart;
    this.channels = peaks ? peaks.length : 1;
    body.dataset.channels = String(this.channels);
    this.toolbar.updateChannels(this.channels);
    const laneHeight = this.lanes.laneHeightFor(args);
    const waveColor = "#8c96a8";
    const progressColor = "#4a5670";
    const barOpts = {
      barWidth: s.audio_bar_width || undefined,
      barGap: s.audio_bar_width ? s.audio_bar_gap : undefined,
      barRadius: s.audio_bar_width ? s.audio_bar_radius : undefined,
      barHeight: barHeight(s.audio_bar_height, this.verticalZoom),
    };
    this.drawnGain = { peak: this.maxPeak, bar: barOpts.barHeight };
    document.body.dataset.verticalZoom = String(this.verticalZoom);

    const plugins = [];
    this.regionsApi = RegionsPlugin.create();
    plugins.push(this.regionsApi);
    plugins.push(
      ZoomPlugin.create({ scale: 0.5, maxZoom: s.audio_max_zoom, exponentialZooming: true, iterations: 24 }),
    );
    if (s.show_audio_cursor || s.show_audio_cursor_time) {
      plugins.push(
        HoverPlugin.create({
          lineColor: s.show_audio_cursor ? "rgba(220, 40, 40, 0.6)" : "transparent",
          lineWidth: 1,
          // the time is shown below the wave (wf-hover-time), where it covers no region's label
          labelBackground: "transparent",
          labelColor: "transparent",
          labelSize: 11,
          formatTimeCallback: (t: number) => formatTime(t, 2),
        }),
      );
    }
    this.minimapBox.hidden = !s.show_audio_minimap;


    const ws = WaveSurfer.create({
      container: this.wave,
      height: laneHeight,
      splitChannels:
        this.channels > 1
          ? Array.from({ length: this.channels }, () => ({ height: laneHeight, waveColor, progressColor }))
          : undefined,
      waveColor,
      progressColor,
      cursorColor: "#d62728",
      cursorWidth: s.show_audio_cursor ? 2 : 0,
      ...barOpts,
      minPxPerSec: 0,
      fillParent: true,
      autoScroll: true,
      autoCenter: true,
      interact: true,
      dragToSeek: false,
      normalize: true,
      // known from the peaks: spares wavesurfer a scan of every value on each redraw
      maxPeak: this.maxPeak > 0 ? this.maxPeak : undefined,
      url: audioUrl,
      media,
      peaks,
      duration: Number(args.duration) || undefined,
      audioRate: this.rate,
      autoplay: s.audio_autoplay,
      plugins,
    });
    this.ws = ws;
    this.marks.created = performance.now() - this.renderStart;
    for (let c = 1; c < this.channels; c++) {
      const sep = el("div", { class: "wf-lane-sep", "aria-hidden": "true" });
      sep.style.top = `${c * laneHeight}px`;
      this.wave.appendChild(sep);
    }
    // each channel lane named as the spectrogram's lanes are ("channel 1", "channel 2")
    if (this.channels > 1) {
      for (let c = 0; c < this.channels; c++) {
        const name = el("div", { class: "wf-lane-name", "data-channel": String(c) }, `channel ${c + 1}`);
        name.style.top = `${c * laneHeight + 2}px`;
        this.wave.appendChild(name);
      }
    }
    ws.on("error", (err: Error) => {
      if (token !== this.buildToken) return;
      this.showError(err);
    });
    ws.on("decode", () => {
      if (token !== this.buildToken) return;
      this.flags.decoded = true;
      this.marks.decoded = performance.now() - this.renderStart;
      this.afterDecode();
    });
    ws.on("redrawcomplete", () => {
      if (token !== this.buildToken) return;
      if (!this.flags.drawn) this.marks.drawn = performance.now() - this.renderStart;
      this.flags.drawn = true;
      document.body.dataset.drawn = "1";
      this.checkReady();
    });
    ws.on("play", () => this.updatePlayButton());
    ws.on("pause", () => this.updatePlayButton());
    ws.on("finish", () => {
      this.updatePlayButton();
      if (this.loopOn && !this.selectedRegion()) this.ws?.play(0);
    });
    ws.on("timeupdate", (t: number) => this.onTimeUpdate(t));
    ws.on("zoom", (pps: number) => {
      this.zoom.onZoom(pps);
      this.scheduleGain();
    });
    ws.on("scroll", () => this.scheduleGain());
    ws.on("click", (relX: number, relY: number) => this.onWaveClick(relX, relY));
    ws.on("dblclick", () => {
      if (this.selectedId) this.playSelected();
    });

    if (s.show_audio_timeline) {
      ws.registerPlugin(
        TimelinePlugin.create({
          container: this.timelineBox,
          duration: Number(args.duration) || 0,
          offset: args.file_time ? Number(args.spectrogram_offset) || 0 : 0,
        }),
      );
    }
    this.timelineBox.hidden = !s.show_audio_timeline;
    this.applySpectrogram();
    this.lanes.applyLanes();
    this.marks.built = performance.now() - this.renderStart;
  }

  private afterDecode(): void {
    const ws = this.ws;
    const api = this.regionsApi;
    if (!ws || !api) return;
    if (this.regionsAdded) return; // full-resolution peaks replacing the overview
    this.regionsAdded = true;
    this.shadeContext();
    this.regionView.addAll(this.store.list());
    api.on("region-created", (region: Region) => this.onRegionCreated(region));
    api.on("region-clicked", (region: Region) => this.transport.regionClicked?.(region.id));
    api.on("region-updated", (region: Region) => this.onRegionUpdated(region));
    // the spectrogram lanes' copy of the regions follows a drag as it happens,
    // a region being drawn too (the plugin reports it only once it is created)
    api.on("region-initialized", (region: Region) => {
      this.draft = region;
      this.regionView.placeDraft(region);
      region.on("update", () => this.scheduleSpectrograms());
    });
    api.on("region-update", () => this.scheduleSpectrograms());
    api.on("region-removed", () => this.scheduleSpectrograms());
    this.applyEditable();
    this.applySelection();
    this.regionView.layoutLabels();
    document.body.dataset.regionCount = String(this.store.size);
    this.applyGain();
    this.checkReady();
  }

  // ---------------------------------------------------------- vertical zoom

  private scheduleGain(): void {
    if (this.gainFrame) return;
    this.gainFrame = requestAnimationFrame(() => {
      this.gainFrame = 0;
      this.applyGain();
    });
  }

  /**
   * Draw the waveform to the loudest peak in view, times the vertical zoom:
   * zoomed into quiet speech it fills the lanes. Redraws only when either
   * changed (the peak moves in quarter octaves, see gain.ts).
   */
  private applyGain(): void {
    const ws = this.ws;
    const data = ws?.getDecodedData();
    const duration = this.duration();
    if (!ws || !data || !(duration > 0)) return;
    const total = ws.getWrapper().scrollWidth || ws.getWidth() || 1;
    const from = (ws.getScroll() / total) * duration;
    const to = ((ws.getScroll() + ws.getWidth()) / total) * duration;
    const channels = Array.from({ length: data.numberOfChannels }, (_, c) => data.getChannelData(c));
    const peak = normalisingPeak(viewPeak(channels, duration, from, to), this.maxPeak);
    const bar = barHeight(this.settings.audio_bar_height, this.verticalZoom);
    document.body.dataset.verticalZoom = String(this.verticalZoom);
    document.body.dataset.viewPeak = peak.toFixed(4);
    if (Math.abs(peak - this.drawnGain.peak) < 1e-9 && Math.abs(bar - this.drawnGain.bar) < 1e-9) return;
    this.drawnGain = { peak, bar };
    ws.setOptions({ maxPeak: peak, barHeight: bar });
  }

  private stepVerticalZoom(dir: 1 | -1): boolean {
    if (!this.ws) return false;
    this.verticalZoom = stepVerticalZoom(this.verticalZoom, dir);
    this.applyGain();
    return true;
  }

  /** The minimap: built once the waveform is ready, so it never delays it. */
  private addMinimap(): void {
    const ws = this.ws;
    const s = this.settings;
    if (!ws || !s.show_audio_minimap) return;
    ws.registerPlugin(
      MinimapPlugin.create({
        container: this.minimapBox,
        height: 28,
        waveColor: "#b8c0cc",
        progressColor: "#7d889c",
        overlayColor: "rgba(80, 120, 200, 0.25)",
        cursorWidth: 0,
        normalize: true,
        maxPeak: this.maxPeak || undefined,
        barHeight: s.audio_bar_height,
      }),
    );
    this.updateMinimapOverlay();
    for (const ev of ["scroll", "zoom", "resize", "redrawcomplete"] as const) ws.on(ev, () => this.updateMinimapOverlay());
  }

  /**
   * The minimap's shading is the part of the file in view: shown whenever the
   * view is zoomed in (from the moment the minimap is drawn, not only after
   * the next scroll), and never when the whole file is in view.
   */
  private updateMinimapOverlay(): void {
    const ws = this.ws;
    const overlay = this.minimapBox.querySelector<HTMLElement>('[part~="minimap-overlay"]');
    if (!ws || !overlay) return;
    const total = ws.getWrapper().scrollWidth || 1;
    const width = ws.getWidth();
    const whole = total <= width + 1;
    this.minimapBox.classList.toggle("wf-minimap-whole", whole);
    document.body.dataset.minimapWindow = whole ? "" : "1";
    if (whole) return;
    const left = Math.max(0, Math.min(1, ws.getScroll() / total));
    overlay.style.left = `${100 * left}%`;
    overlay.style.width = `${Math.min(100 * (width / total), 100 - 100 * left)}%`;
  }

  private checkReady(): void {
    const f = this.flags;
    if (!(f.decoded && f.drawn && f.playable)) return;
    if (document.body.dataset.ready) return;
    const ms = performance.now() - this.renderStart;
    document.body.dataset.ready = "1";
    document.body.dataset.readyMs = ms.toFixed(1);
    document.body.dataset.readyAt = String(Date.now());
    expose("__wfTimings", { ...this.marks, ready: ms, task: this.taskId });
    this.status("");
    this.zoom.updateZoomSlider();
    this.transport.setHeight();
    const token = this.buildToken;
    setTimeout(() => {
      if (token === this.buildToken) this.addMinimap();
    }, 0);
  }

  private teardown(): void {
    this.disableDrag?.();
    this.disableDrag = null;
    this.draft = null;
    // its plugins (the timeline, the spectrogram lanes) go with it
    if (this.ws) {
      try {
        this.ws.destroy();
      } catch {
        /* already gone */
      }
    }
    this.ws = null;
    this.spectrograms = [];
    this.spectrogramLayout = "";
    if (this.media) {
      // ours, not wavesurfer's: stop it and abort its download
      this.media.pause();
      this.media.removeAttribute("src");
      this.media.load();
      this.media = null;
    }
    this.regionsApi = null;
    this.regionView.clear();
    this.wave.replaceChildren();
    this.minimapBox.replaceChildren();
  }

  /** Rebuild the card from the last committed state (the reload control). */
  reload(): void {
    if (!this.args) return;
    this.renderStart = performance.now();
    this.build();
  }

  // ------------------------------------------------------------ regions

  private syncRegions(forceDecorate = false): void {
    if (!this.regionView.sync(forceDecorate)) return;
    if (this.selectedId && !this.store.get(this.selectedId)) this.selectedId = null;
    this.applySelection();
    this.regionView.layoutLabels();
    document.body.dataset.regionCount = String(this.store.size);
  }

  private onRegionCreated(region: Region): void {
    if (region === this.draft) this.draft = null; // from here on in `shown`, or removed below
    if (this.regionView.syncing) return;
    if (!this.args?.editable) {
      region.remove();
      return;
    }
    const id = newId();
    // The plugin starts a new region 5 px wide and then adds the pointer's moves,
    // which leaves its far edge 5 px past the pointer: use the pointer's own times.
    let start = region.start;
    let end = region.end;
    const g = this.gestures.takeDrag();
    if (g && g.up !== null && Math.abs(g.up - g.down) > 0) {
      start = Math.min(g.down, g.up);
      end = Math.max(g.down, g.up);
    }
    // a drag begun on a label's row gives the region that label, which becomes the active one
    const label = drawnLabel(g?.rowLabel ?? null, this.args?.labels, this.activeLabel);
    if (label !== this.activeLabel) {
      this.activeLabel = label;
      this.renderLegend();
    }
    const data = this.store.create({
      id,
      start,
      end,
      label,
      channel: this.channels > 1 && region.channelIdx >= 0 ? region.channelIdx : null,
    });
    this.regionView.syncing = true;
    try {
      const color = this.colorOf(data);
      region.setOptions({ id, start: data.start, end: data.end, color: withAlpha(color, 0.28) });
    } finally {
      this.regionView.syncing = false;
    }
    this.regionView.track(id, region, data);
    this.selectedId = null;
    this.lastDrawnId = id;
    this.regionView.decorate(region, data);
    this.applySelection();
    this.regionView.layoutLabels();
    document.body.dataset.regionCount = String(this.store.size);
    this.commit("created", id);
  }

  private onRegionUpdated(region: Region): void {
    if (this.regionView.syncing) return;
    const id = region.id;
    if (!this.store.get(id)) return;
    if (!this.args?.editable) {
      this.syncRegions();
      return;
    }
    const updated = this.store.update(id, { start: region.start, end: region.end });
    const data = this.store.get(id)!;
    if (Math.abs(region.start - data.start) > 1e-9 || Math.abs(region.end - data.end) > 1e-9) {
      this.regionView.syncing = true;
      region.setOptions({ start: data.start, end: data.end });
      this.regionView.syncing = false;
    }
    this.regionView.shownData.set(id, { ...data });
    // finishing the region just drawn (a resize) does not select it; editing another one does
    if (id !== this.lastDrawnId) {
      this.selectedId = id;
      this.lastDrawnId = null;
    }
    this.applySelection();
    if (updated) this.regionView.layoutLabels();
    if (updated) this.commit("updated", id);
  }

  private selectedRegion(): RegionData | undefined {
    return this.selectedId ? this.store.get(this.selectedId) : undefined;
  }

  private select(id: string | null): void {
    // a choice of the annotator's (click, tab, escape) ends "just drawn"
    const hadDrawn = this.lastDrawnId !== null;
    this.lastDrawnId = null;
    if (this.selectedId === id && !hadDrawn) return;
    this.selectedId = id;
    this.applySelection();
  }

  /** The region just drawn, while it still exists and is not the selected one. */
  private drawnRegion(): RegionData | undefined {
    return this.lastDrawnId && this.lastDrawnId !== this.selectedId ? this.store.get(this.lastDrawnId) : undefined;
  }

  private applySelection(): void {
    this.scheduleSpectrograms();
    // only the regions whose selection changed are restyled (hundreds may be shown)
    this.regionView.redecorate(new Set([this.decoratedSelected, this.selectedId, this.decoratedDrawn, this.lastDrawnId]));
    if (this.decoratedSelected !== this.selectedId) this.transport.selected?.(this.selectedId);
    this.decoratedSelected = this.selectedId;
    this.decoratedDrawn = this.lastDrawnId;
    const r = this.selectedRegion();
    document.body.dataset.selected = r ? r.id : "";
    document.body.dataset.lastDrawn = this.drawnRegion()?.id ?? "";
    if (this.marksView.held && !this.marksView.currentMark()) this.marksView.clearMark(); // its waveform (or task) is gone
    this.selBar.show(r, r ? this.colorOf(r) : "", !!this.args?.editable);
    this.transport.setHeight();
  }

  private applyEditable(): void {
    const editable = !!this.args?.editable;
    const api = this.regionsApi;
    if (!api || !this.flags.decoded) return;
    this.gestures.dragOptions.minLength = this.store.minLength;
    if (editable && !this.disableDrag) {
      this.disableDrag = api.enableDragSelection(this.gestures.dragOptions, 3);
    } else if (!editable && this.disableDrag) {
      this.disableDrag();
      this.disableDrag = null;
    }
    for (const region of this.regionView.shown.values()) {
      if (region.drag !== editable || region.resize !== editable) region.setOptions({ drag: editable, resize: editable });
    }
  }

  /** A click on a spectrogram lane: seek there and select as a click on that channel's waveform would. */
  private onSpectrogramClick(t: number, channel: number | null): void {
    this.ws?.setTime(t);
    this.selectAt(t, this.channels > 1 ? channel : null);
  }

  private onWaveClick(relX: number, relY: number): void {
    const duration = this.ws?.getDuration() || this.args?.duration || 0;
    if (this.lanes.byLabel) {
      this.selectAt(relX * duration, null, rowAt(relY, 1, this.lanes.rows.length));
      return;
    }
    const lane = this.channels > 1 ? Math.max(0, Math.min(this.channels - 1, Math.floor(relY * this.channels))) : null;
    this.selectAt(relX * duration, lane);
  }

  /**
   * Select the region at `t` on `lane` (null: any) and, with labels lanes, in
   * `row` (null: any), the narrowest first; clicking again cycles through overlaps.
   */
  private selectAt(t: number, lane: number | null, row: number | null = null): void {
    const duration = this.ws?.getDuration() || this.args?.duration || 0;
    const inRow = (ids: string[]) =>
      row === null ? ids : ids.filter((id) => rowOfLabel(this.lanes.rows, this.store.get(id)?.label ?? "") === row);
    let hits = inRow(this.store.hitTest(t, lane));
    if (hits.length === 0) {
      // a region narrower than a few pixels is still clickable
      const pps = (this.ws?.getWrapper().scrollWidth || 1) / Math.max(duration, 1e-6);
      hits = inRow(this.store.hitTest(t, lane, 4 / pps));
    }
    if (hits.length === 0) {
      this.select(null);
      return;
    }
    const i = this.selectedId ? hits.indexOf(this.selectedId) : -1;
    this.select(i >= 0 && hits.length > 1 ? hits[(i + 1) % hits.length] : i >= 0 ? this.selectedId : hits[0]);
    if (this.selectedId) this.transport.regionClicked?.(this.selectedId);
  }

  // ------------------------------------------------------------- commits

  private commit(type: string, regionId?: string): void {
    this.updateToolbar();
    const event: Omit<EventInfo, "seq" | "id" | "time"> = { type };
    if (regionId) event.region_id = regionId;
    this.send(event);
  }

  private send(partial: Omit<EventInfo, "seq" | "id" | "time">): void {
    if (this.taskId === null) return;
    if (performance.now() < this.answerLockUntil) {
      this.pendingEvent = partial; // sent when Python has seen the answer, if still on this task
      return;
    }
    this.seq += 1;
    const event: EventInfo = { ...partial, seq: this.seq, id: `${this.mountId}-${this.seq}`, time: Date.now() / 1000 };
    const value: Value = { task_id: this.taskId, revision: this.revision, regions: this.store.list(), event };
    document.body.dataset.lastSeq = String(this.seq);
    this.transport.send(value);
  }

  private deleteSelected(): boolean {
    if (!this.args?.editable || !this.selectedId) return false;
    const id = this.selectedId;
    if (!this.store.remove(id)) return false;
    this.selectedId = null;
    this.syncRegions();
    this.commit("removed", id);
    return true;
  }

  private chooseLabel(index: number): void {
    const label = this.args?.labels?.[index];
    if (!label) return;
    this.activeLabel = label.name;
    this.renderLegend();
    this.transport.labelChosen?.(label.name);
    const mark = this.marksView.currentMark();
    if (mark) this.marksView.showMark(mark); // in the colour of the region it will make
    const sel = this.selectedRegion();
    if (sel && this.args?.editable && sel.label !== label.name) {
      this.store.update(sel.id, { label: label.name, color: null });
      this.syncRegions();
      this.commit("relabelled", sel.id);
    }
  }

  private commitText(text: string): void {
    const sel = this.selectedRegion();
    if (!sel || !this.args?.editable) return;
    if ((sel.text ?? "") === text) return;
    this.store.update(sel.id, { text });
    this.syncRegions();
    this.commit("updated", sel.id);
  }

  private undoEdit(): void {
    if (!this.args?.editable || !this.store.undo()) return;
    this.syncRegions();
    this.commit("undo");
  }

  private redoEdit(): void {
    if (!this.args?.editable || !this.store.redo()) return;
    this.syncRegions();
    this.commit("redo");
  }

  /**
   * Keyboard-only boundary editing: move an edge of the selected region by
   * 10 ms, commit it (one `updated` value per key press, each its own undo
   * step), and play the half second around the moved edge once the key rests.
   */
  private nudge(edge: "start" | "end", dir: 1 | -1): boolean {
    const r = this.selectedRegion();
    if (!r || !this.args?.editable) return false;
    const t = nudgedEdge(r, edge, 0.01 * dir, this.store.minLength, this.duration());
    if (!this.store.update(r.id, edge === "start" ? { start: t } : { end: t })) return true;
    this.syncRegions();
    const now = this.store.get(r.id);
    if (now) this.previewEdge(edge === "start" ? now.start : now.end);
    this.commit("updated", r.id);
    return true;
  }

  /**
   * Play 0.25 s either side of an edge at `t`, debounced: a key held down
   * (auto-repeat) moves the edge without restarting the audio at every step,
   * and the edge is heard where it rests. Not while a loop of the region plays
   * (the loop already plays it).
   */
  private previewEdge(t: number): void {
    if (this.previewTimer !== null) clearTimeout(this.previewTimer);
    const ws = this.ws;
    if (!ws) return;
    if (this.loopOn && ws.isPlaying()) return;
    this.previewTimer = setTimeout(() => {
      this.previewTimer = null;
      if (this.ws !== ws) return;
      const span = edgePreview(t, this.duration());
      document.body.dataset.preview = `${span.start.toFixed(3)}-${span.end.toFixed(3)}`;
      document.body.dataset.previews = String(Number(document.body.dataset.previews || 0) + 1);
      void ws.play(span.start, span.end).catch(() => undefined);
    }, EDGE_PREVIEW_DEBOUNCE_MS);
  }

  private duration(): number {
    return this.ws?.getDuration() || Number(this.args?.duration) || 0;
  }

  /** Delete / backspace: the selected region, else the one just drawn. */
  private deleteTarget(): boolean {
    if (!this.selectedId) {
      const drawn = this.drawnRegion();
      if (!drawn || !this.args?.editable) return false;
      this.selectedId = drawn.id;
      this.lastDrawnId = null;
    }
    return this.deleteSelected();
  }

  /** The region a pair of `i` / `o` marks makes, by the same path as a drawn one (undo, a `created` value). */
  private markedRegion(start: number, end: number, lane: number | null): void {
    const data = this.store.create({ id: newId(), start, end, label: this.activeLabel, channel: lane });
    this.selectedId = null;
    this.lastDrawnId = data.id;
    this.syncRegions();
    this.commit("created", data.id);
  }


  /** `tab` / `shift+tab`: select the next / previous region by start time, and scroll it into view. */
  private selectStep(dir: 1 | -1): boolean {
    const id = stepSelection(this.store.list(), this.selectedRegion()?.id ?? null, dir, {
      drawn: this.drawnRegion()?.id ?? null,
      time: this.ws?.getCurrentTime() ?? 0,
    });
    if (id === null) return false;
    this.select(id);
    this.scrollIntoView(id);
    return true;
  }

  /** When zoomed in, scroll the view so that the region is in it. */
  private scrollIntoView(id: string): void {
    const ws = this.ws;
    const r = this.store.get(id);
    const duration = this.duration();
    if (!ws || !r || duration <= 0) return;
    const total = ws.getWrapper().scrollWidth;
    const width = ws.getWidth();
    if (total <= width + 1) return; // the whole file is in view
    const pps = total / duration;
    const from = ws.getScroll() / pps;
    const to = scrollToShow(r.start, r.end, from, from + width / pps, duration);
    if (to !== null) ws.setScrollTime(to);
  }

  /** Escape: no selection, no region just drawn, no pending mark. */
  private clearSelection(): void {
    this.marksView.clearMark();
    this.select(null);
  }

  // ------------------------------------------------------------ playback

  private playPause(): void {
    if (!this.ws) return;
    void this.ws.playPause().catch(() => undefined);
  }

  private playSelected(): void {
    const r = this.selectedRegion();
    if (!r || !this.ws) return;
    void this.ws.play(r.start, this.loopOn ? undefined : r.end).catch(() => undefined);
  }

  private toggleLoop(): void {
    this.loopOn = !this.loopOn;
    this.updateToolbar();
    if (this.loopOn && this.selectedRegion() && this.ws && !this.ws.isPlaying()) this.playSelected();
  }

  /** Move the playhead to `t` (the card's time), playing on if it was playing (a click on a word). */
  seekTo(t: number): void {
    const ws = this.ws;
    if (!ws) return;
    const d = ws.getDuration() || this.args?.duration || 0;
    this.seek(Math.max(0, Math.min(d, t)) - ws.getCurrentTime());
  }

  /**
   * A region of the active label from `start` to `end` (the card's time), made as a
   * drawn one is (undo, a `created` value, "just drawn"); its id, or null when regions
   * cannot be edited here.
   */
  createRegion(start: number, end: number): string | null {
    if (!this.args?.editable) return null;
    const data = this.store.create({ id: newId(), start, end, label: this.activeLabel, channel: null });
    this.selectedId = null;
    this.lastDrawnId = data.id;
    this.syncRegions();
    this.commit("created", data.id);
    return data.id;
  }

  private onTimeUpdate(t: number): void {
    this.transport.time?.(t);
    if (this.loopOn && this.ws?.isPlaying()) {
      const r = this.selectedRegion();
      if (r && (t >= r.end || t < r.start - 0.25)) this.ws.setTime(r.start);
    }
    if (this.timeFrame) return;
    this.timeFrame = requestAnimationFrame(() => {
      this.timeFrame = 0;
      this.updateTime();
    });
  }

  private updateTime(): void {
    const ws = this.ws;
    const cur = ws ? ws.getCurrentTime() : 0;
    const dur = ws?.getDuration() || this.args?.duration || 0;
    this.toolbar.updateTime(clockText(cur, dur, this.settings.show_audio_cursor_time));
  }

  private setRate(rate: number): void {
    this.rate = Math.max(0.5, Math.min(2, rate));
    this.ws?.setPlaybackRate(this.rate, true);
    this.updateToolbar();
  }

  private seek(delta: number): void {
    const ws = this.ws;
    if (!ws) return;
    const d = ws.getDuration();
    const t = Math.max(0, Math.min(d, ws.getCurrentTime() + delta));
    ws.setTime(t);
    // While the media element is still seeking, wavesurfer keeps the new time
    // as pending and drops it when the earlier seek's `seeking` event comes:
    // quick presses would be lost (three rights gave 1 s, not 3 s, before a
    // mark). Setting the element's own time too makes every press count.
    const media = this.media;
    if (media && media.readyState >= 1 && Math.abs(media.currentTime - t) > 1e-4) media.currentTime = t;
  }

  // --------------------------------------------------------- spectrogram

  /** Each lane's arguments from Python's: empty when this task has no spectrogram. */
  private spectrogramOptions(): LaneOptions[] {
    const args = this.args;
    if (!args?.spectrogram) return [];
    return spectrogramLanes(args.spectrogram, this.channels).map(({ channel, url, height }) => ({
      url,
      channel,
      height,
      offset: Number(args.spectrogram_offset) || 0,
      maxFreq: this.settings.audio_spectrogram_max_freq,
      duration: Number(args.duration) || 0,
      regions: () => this.laneRegions(channel),
      onPointerDown: (e: PointerEvent) => this.gestures.fromSpectrogram(e, channel),
      onClick: (t: number) => this.onSpectrogramClick(t, channel),
    }));
  }

  /** Show, update or remove the lanes to match the toggle and this task's arguments. */
  private applySpectrogram(): void {
    const lanes = this.spectrogramOptions();
    const available = lanes.length > 0;
    if (this.spectrogramOn === null) this.spectrogramOn = initiallyShown(readStored(SPECTROGRAM_KEY), this.settings.show_audio_spectrogram);
    this.toolbar.updateSpectrogram(available, this.spectrogramOn);
    const ws = this.ws;
    const wanted = available && this.spectrogramOn && !!ws;
    document.body.dataset.spectrogram = !available ? "none" : this.spectrogramOn ? "on" : "off";
    const layout = JSON.stringify(lanes.map((l) => [l.url, l.height]));
    if (!wanted || !ws) {
      this.destroySpectrograms();
    } else if (this.spectrograms.length > 0 && layout === this.spectrogramLayout) {
      this.spectrograms.forEach((lane, i) => lane.configure(lanes[i]));
    } else {
      this.destroySpectrograms();
      this.spectrogramLayout = layout;
      // under the waveform, above the timeline (the time axis of both), in channel order
      this.spectrograms = lanes.map((opts) =>
        ws.registerPlugin(SpectrogramLane.create({ container: this.waveBox, before: this.timelineBox }, opts)),
      );
    }
    this.transport.setHeight();
  }

  private destroySpectrograms(): void {
    this.spectrograms.forEach((lane) => lane.destroy());
    this.spectrograms = [];
    this.spectrogramLayout = "";
  }

  /** Redraw the lanes' regions at the next frame. */
  private scheduleSpectrograms(): void {
    this.spectrograms.forEach((lane) => lane.schedule());
  }

  private toggleSpectrogram(): boolean {
    if (!this.args?.spectrogram) return false;
    this.spectrogramOn = !this.spectrogramOn;
    writeStored(SPECTROGRAM_KEY, this.spectrogramOn ? "1" : "0");
    this.applySpectrogram();
    return true;
  }

  /**
   * The regions as the waveform shows them now (mid-drag too, and one being
   * drawn), for the lane of `channel` (null: all): that channel's and the
   * all-channel ones, as the waveform's channel lanes show them.
   */
  private laneRegions(channel: number | null): { start: number; end: number; color: string; selected: boolean }[] {
    const out = [];
    for (const [id, region] of this.regionView.shown) {
      const data = this.regionView.shownData.get(id);
      if (!data || !laneShowsRegion(channel, this.channels > 1 ? data.channel : null)) continue;
      out.push({ start: region.start, end: region.end, color: this.colorOf(data), selected: id === this.selectedId });
    }
    const draft = this.draft;
    if (draft && !this.regionView.shown.has(draft.id) && laneShowsRegion(channel, draft.channelIdx >= 0 ? draft.channelIdx : null)) {
      const color = this.labelColors.get(this.activeLabel) ?? labelColor(this.activeLabel);
      out.push({ start: draft.start, end: draft.end, color, selected: false });
    }
    return out;
  }

  // ---------------------------------------------------------------- keys

  private listenToParentKeys(): void {
    // Keys pressed on the page itself (focus on its body, not in a field or on a button)
    // still drive the player; answer keys there belong to the page.
    try {
      const parentDoc = window.parent !== window ? window.parent.document : null;
      if (!parentDoc) return;
      const listener = (e: KeyboardEvent) => {
        // not while a control of the page has the focus (a button's space, a field's typing)
        const active = parentDoc.activeElement as HTMLElement | null;
        if (active && (isTextTarget(active) || PAGE_CONTROLS.has(active.tagName) || active.getAttribute("role") === "button")) return;
        if (isTextTarget(e.target as HTMLElement | null)) return;
        this.onKeyDown(e, true);
      };
      parentDoc.addEventListener("keydown", listener);
      window.addEventListener("pagehide", () => parentDoc.removeEventListener("keydown", listener));
    } catch {
      /* cross-origin parent: only keys inside the frame work */
    }
  }

  private setShift(held: boolean): void {
    if (this.shiftHeld === held) return;
    this.shiftHeld = held;
    // while shift is held a drag inside the selected region draws a new one
    const sel = this.selectedId ? this.regionView.shown.get(this.selectedId) : undefined;
    if (sel?.element) sel.element.style.pointerEvents = held ? "none" : "all";
  }

  private onKeyUp(e: KeyboardEvent): void {
    if (e.key === "Shift") this.setShift(false);
  }

  private onKeyDown(e: KeyboardEvent, fromParent: boolean): void {
    if (e.key === "Shift") this.setShift(true);
    if (e.defaultPrevented || e.isComposing) return;
    if (isTextTarget(e.target as Element | null)) return;
    if (!fromParent && isTextTarget(document.activeElement)) return;
    const combo = eventCombo(e);
    if (!combo) return;
    let action = this.keymap.get(combo);
    if (!action) return;
    if (fromParent && isAnswerAction(action) && !this.transport.answer) return;
    if (fromParent && PAGE_FOCUS_COMBOS.has(combo)) return; // tab on the page moves the page's focus
    // enter or space on a focused button of the frame is that button's own click
    if ((combo === "enter" || combo === "space") && isButtonTarget(e.target as Element | null)) return;
    if (action === "undo" && (this.selectedId || this.drawnRegion()) && this.args?.editable && combo === "backspace")
      action = "delete_region";
    // alt+left / alt+right are also the browser's back and forward: in the frame
    // they never leave the page, even with no region to nudge
    const handled = this.runAction(action) || (!fromParent && action.startsWith("nudge_"));
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  /** What each named action does; returns whether it applied (the key is then consumed). */
  private readonly actions: ActionTable = {
    accept: () => this.answerKey("accept"),
    reject: () => this.answerKey("reject"),
    ignore: () => this.answerKey("ignore"),
    undo: () => this.answerKey("undo"),
    play_pause: () => done(this.playPause()),
    play_region: () => done(this.playSelected()),
    delete_region: () => this.deleteTarget(),
    undo_edit: () => done(this.undoEdit()),
    redo_edit: () => done(this.redoEdit()),
    zoom_in: () => done(this.zoom.zoomBy(2)),
    zoom_out: () => done(this.zoom.zoomBy(0.5)),
    vertical_zoom_in: () => this.stepVerticalZoom(1),
    vertical_zoom_out: () => this.stepVerticalZoom(-1),
    seek_back: () => done(this.seek(-1)),
    seek_forward: () => done(this.seek(1)),
    seek_back_long: () => done(this.seek(-5)),
    seek_forward_long: () => done(this.seek(5)),
    rate_down: () => done(this.setRate(stepRate(this.rate, -1))),
    rate_up: () => done(this.setRate(stepRate(this.rate, 1))),
    loop: () => done(this.toggleLoop()),
    toggle_spectrogram: () => this.toggleSpectrogram(),
    deselect: () => done(this.clearSelection()),
    mark_in: () => this.marksView.mark("in"),
    mark_out: () => this.marksView.mark("out"),
    select_next: () => this.selectStep(1),
    select_previous: () => this.selectStep(-1),
    region_from_span: () => this.transport.regionFromSpan?.() ?? false,
    nudge_start_back: () => this.nudge("start", -1),
    nudge_start_forward: () => this.nudge("start", 1),
    nudge_end_back: () => this.nudge("end", -1),
    nudge_end_forward: () => this.nudge("end", 1),
  };

  /** Run a keymap action (a named one, or `label_N`); returns whether it applied. */
  runAction(action: string): boolean {
    const li = labelIndex(action);
    if (li !== null) {
      if (!this.args?.labels?.[li]) return false;
      this.chooseLabel(li);
      return true;
    }
    return isNamedAction(action) ? this.actions[action]() : false;
  }

  /** An answer key: the card's when there is one, else forwarded to Python. */
  private answerKey(action: AnswerAction): boolean {
    if (this.transport.answer) {
      this.transport.answer(action);
      return true;
    }
    // Streamlit keeps only the latest value: until Python has run with this
    // answer, nothing else is sent that could replace it.
    this.send({ type: "key", action });
    this.answerLockUntil = performance.now() + 2000;
    const task = this.taskId;
    setTimeout(() => {
      // no render came back in time: send what was held, if still on the same task
      if (this.answerLockUntil === 0 || performance.now() < this.answerLockUntil) return;
      this.answerLockUntil = 0;
      const pending = this.pendingEvent;
      this.pendingEvent = null;
      if (pending && this.taskId === task) this.send(pending);
    }, 2050);
    return true;
  }

  // ------------------------------------------------------------- chrome

  private updatePlayButton(): void {
    const playing = !!this.ws?.isPlaying();
    this.toolbar.updatePlaying(playing);
    document.body.dataset.playing = playing ? "1" : "0";
  }

  private updateToolbar(): void {
    this.toolbar.updateRate(this.rate);
    document.body.dataset.rate = String(this.rate);
    this.toolbar.updateLoop(this.loopOn);
    document.body.dataset.loop = this.loopOn ? "1" : "0";
    const editable = !!this.args?.editable;
    this.toolbar.updateHistory(editable, this.store.canUndo(), this.store.canRedo());
    this.updatePlayButton();
    this.updateTime();
  }

  private status(text: string): void {
    this.toolbar.status(text);
  }

  private showError(err: unknown): void {
    const name = this.args?.file_name || fileNameOf(this.args?.audio ?? "");
    const detail = err instanceof Error ? err.message : String(err ?? "");
    this.errorText.textContent = `Could not load the audio “${name}”${detail ? `: ${detail}` : ""}.`;
    this.errorBox.hidden = false;
    this.toolbar.updatePlayable(false);
    document.body.dataset.error = "1";
    this.status("");
    this.transport.setHeight();
  }

  private hideError(): void {
    this.errorBox.hidden = true;
    this.toolbar.updatePlayable(true);
    this.errorText.textContent = "";
  }
}

/** An action that always applies once run. */
function done(_: void): true {
  return true;
}

function isButtonTarget(t: Element | null): boolean {
  if (!t) return false;
  const tag = t.tagName;
  return tag === "BUTTON" || tag === "SELECT" || tag === "A" || tag === "SUMMARY" || t.getAttribute("role") === "button";
}

function describeMediaError(err: MediaError | null): string {
  switch (err?.code) {
    case 1:
      return "loading was aborted";
    case 2:
      return "a network error stopped the download";
    case 3:
      return "the audio could not be decoded";
    case 4:
      return "the file is missing or its format is not supported by this browser";
    default:
      return "the audio could not be loaded";
  }
}

export function absoluteUrl(url: string): string {
  try {
    return new URL(url, document.baseURI).href;
  } catch {
    return url;
  }
}

function labelsChanged(a: LabelSpec[] | undefined, b: LabelSpec[] | undefined): boolean {
  return JSON.stringify(a ?? []) !== JSON.stringify(b ?? []);
}
