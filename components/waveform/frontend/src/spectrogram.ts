/**
 * The spectrogram lane under the waveform. The server draws an image of the
 * window in view (earmark/web/spectrogram_route.py); the lane places it from
 * the waveform's own scroll and zoom, so it stays aligned at every zoom, and
 * asks for a new image once the view has stopped changing. Until it arrives
 * the previous image stays, stretched to where its times now are: scrolling
 * never shows an empty lane. Regions (shading and edges) and the playback
 * cursor are drawn over it, only those in view. The lane draws no regions of
 * its own: the editor is told of each pointerdown and click (`onPointerDown`,
 * `onClick`) and makes them the waveform's. A stereo file gets one lane per
 * channel (spectrogram_view.spectrogramLanes). Each lane is a wavesurfer
 * plugin (`ws.registerPlugin(SpectrogramLane.create(…))`): it follows the
 * waveform's events and goes when wavesurfer is destroyed, or on its own
 * (`destroy()`) when the lane is switched off.
 */
import BasePlugin, { type BasePluginEvents } from "wavesurfer.js/dist/base-plugin.js";
import type WaveSurfer from "wavesurfer.js";
import {
  formatFrequency,
  frequencyTicks,
  imageSize,
  imageUrl,
  placement,
  visibleWindow,
  type ImageRequest,
  type TimeWindow,
} from "./spectrogram_view";
import { withAlpha } from "./colors";

/** Where a lane goes: in `container`, before `before` (the timeline: the time axis of both). */
export interface LanePlacement {
  container: HTMLElement;
  before: Node | null;
}

export interface LaneRegion {
  start: number;
  end: number;
  color: string;
  selected: boolean;
}

export interface LaneOptions {
  /** the route's URL for this task's media (and channel) */
  url: string;
  /** the channel this lane draws, for its label (null: the URL's own: mixed, or the task's channel) */
  channel: number | null;
  /** CSS pixels */
  height: number;
  /** file time of the component's time 0 */
  offset: number;
  maxFreq: number;
  duration: number;
  regions: () => LaneRegion[];
  /** a pointer went down on the lane (a drag may follow) */
  onPointerDown: (e: PointerEvent) => void;
  /** a click with no drag, at this time */
  onClick: (t: number) => void;
}

/** Quiet time after the last scroll or zoom before an image is asked for... */
const DEBOUNCE_MS = 150;
/** ...or at most this long while the view keeps moving (playback scrolling the view). */
const MAX_WAIT_MS = 600;

interface Shown extends TimeWindow {
  url: string;
}

export class SpectrogramLane extends BasePlugin<BasePluginEvents, LanePlacement> {
  readonly el: HTMLElement;
  private readonly images: [HTMLImageElement, HTMLImageElement];
  private front = 0; // index of the image on screen
  private readonly overlay: HTMLElement;
  private readonly cursor: HTMLElement;
  private readonly axis: HTMLElement;
  private readonly message: HTMLElement;
  private pool: HTMLElement[] = [];
  private frame = 0;
  private timer = 0;
  private firstChange = 0;      // when the view started changing since the last request
  private shown: Shown | null = null;
  private wanted = "";          // URL of the image asked for last
  private abort: AbortController | null = null;
  private objectUrls: [string | null, string | null] = [null, null];
  private requests = 0;
  private axisMax = 0;

  /** The waveform this lane follows (set when registered). */
  private ws!: WaveSurfer;
  private opts: LaneOptions;

  static create(placement: LanePlacement, opts: LaneOptions): SpectrogramLane {
    return new SpectrogramLane(placement, opts);
  }

  constructor(placement: LanePlacement, opts: LaneOptions) {
    super(placement);
    this.opts = opts;
    this.el = document.createElement("div");
    this.el.className = "wf-spectro";
    this.el.style.height = `${opts.height}px`;
    this.el.setAttribute("part", "spectrogram");
    if (opts.channel !== null) this.el.dataset.channel = String(opts.channel);
    this.images = [this.makeImage(), this.makeImage()];
    this.overlay = div("wf-spectro-regions");
    this.cursor = div("wf-spectro-cursor");
    this.axis = div("wf-spectro-axis");
    this.message = div("wf-spectro-message");
    this.message.hidden = true;
    this.el.append(...this.images, this.overlay, this.cursor, this.axis, this.message);
    if (opts.channel !== null) {
      const name = div("wf-spectro-channel");
      name.textContent = `channel ${opts.channel + 1}`;
      this.el.appendChild(name);
    }
    this.el.addEventListener("pointerdown", (e) => this.opts.onPointerDown(e));
    // (a click that ends a drag never arrives: the Regions plugin swallows it)
    this.el.addEventListener("click", (e) => {
      const view = this.view();
      if (!view) return;
      const rect = this.el.getBoundingClientRect();
      const t = view.start + ((e.clientX - rect.left) / Math.max(1, rect.width)) * (view.end - view.start);
      this.opts.onClick(Math.max(0, Math.min(this.duration(), t)));
    });
  }

  protected onInit(): void {
    const ws = this.wavesurfer;
    if (!ws) return;
    this.ws = ws;
    this.options.container.insertBefore(this.el, this.options.before);
    const schedule = () => this.schedule();
    for (const ev of ["scroll", "zoom", "redraw", "resize", "decode"] as const) this.subscriptions.push(ws.on(ev, schedule));
    this.subscriptions.push(ws.on("timeupdate", () => this.placeCursor()));
    this.drawAxis(this.opts.maxFreq);
    document.body.dataset.spectrogramRequests ??= "0";
    this.schedule();
  }

  /** New arguments for the same waveform (another URL, offset or top frequency). */
  configure(opts: LaneOptions): void {
    const changed = opts.url !== this.opts.url || opts.offset !== this.opts.offset || opts.maxFreq !== this.opts.maxFreq;
    this.opts = opts;
    if (changed) {
      this.wanted = "";
      this.drawAxis(opts.maxFreq);
    }
    this.schedule();
  }

  /** Redraw at the next frame (regions or the view changed); ask for an image once the view settles. */
  schedule(): void {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.render();
      });
    }
    const now = performance.now();
    if (!this.firstChange) this.firstChange = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, this.firstChange + MAX_WAIT_MS - now));
    this.timer = window.setTimeout(() => {
      this.firstChange = 0;
      this.request();
    }, wait);
  }

  destroy(): void {
    if (this.destroyed) return;
    if (this.frame) cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    this.abort?.abort();
    for (const u of this.objectUrls) if (u) URL.revokeObjectURL(u);
    this.el.remove();
    delete document.body.dataset.spectrogramLoaded;
    delete document.body.dataset.spectrogramRequested;
    delete document.body.dataset.spectrogramError;
    super.destroy();
  }

  // ------------------------------------------------------------ geometry

  private duration(): number {
    return this.ws.getDuration() || this.opts.duration;
  }

  private pps(): number {
    const d = this.duration();
    return d > 0 ? this.ws.getWrapper().scrollWidth / d : 0;
  }

  private view(): TimeWindow | null {
    return visibleWindow(this.ws.getScroll(), this.ws.getWidth() || this.el.clientWidth, this.ws.getWrapper().scrollWidth, this.duration());
  }

  /** Place the image(s), regions and cursor for the view now. */
  render(): void {
    const view = this.view();
    const pps = this.pps();
    if (!view || !(pps > 0)) return;
    const img = this.images[this.front];
    if (this.shown) {
      const p = placement(this.shown, view, pps);
      img.style.transform = `translateX(${p.left}px)`;
      img.style.width = `${p.width}px`;
    }
    this.drawRegions(view, pps);
    this.placeCursor();
  }

  private placeCursor(): void {
    const pps = this.pps();
    if (!(pps > 0)) return;
    const x = this.ws.getCurrentTime() * pps - this.ws.getScroll();
    const width = this.el.clientWidth;
    this.cursor.hidden = x < -2 || x > width + 2;
    this.cursor.style.transform = `translateX(${Math.round(x)}px)`;
  }

  private drawRegions(view: TimeWindow, pps: number): void {
    const width = this.el.clientWidth;
    const inView = this.opts.regions().filter((r) => r.end >= view.start && r.start <= view.end);
    while (this.pool.length < inView.length) {
      const d = div("wf-spectro-region");
      this.overlay.appendChild(d);
      this.pool.push(d);
    }
    inView.forEach((r, i) => {
      const node = this.pool[i];
      // clipped to just outside the lane: a region hours long at a deep zoom is millions of pixels
      const left = Math.max(-4, (r.start - view.start) * pps);
      const right = Math.min(width + 4, (r.end - view.start) * pps);
      node.style.display = "";
      node.style.transform = `translateX(${left}px)`;
      node.style.width = `${Math.max(1, right - left)}px`;
      node.style.background = withAlpha(r.color, r.selected ? 0.3 : 0.18);
      node.style.borderColor = r.color;
      node.classList.toggle("wf-spectro-selected", r.selected);
    });
    for (let i = inView.length; i < this.pool.length; i++) this.pool[i].style.display = "none";
    this.el.dataset.regions = String(inView.length);
  }

  private drawAxis(maxFreq: number): void {
    if (maxFreq === this.axisMax) return;
    this.axisMax = maxFreq;
    this.axis.replaceChildren(
      ...frequencyTicks(maxFreq).map((f) => {
        const tick = div("wf-spectro-tick");
        tick.style.bottom = `${(f / maxFreq) * 100}%`;
        tick.textContent = formatFrequency(f);
        return tick;
      }),
    );
    const unit = div("wf-spectro-tick wf-spectro-unit");
    unit.textContent = "Hz";
    this.axis.appendChild(unit);
  }

  // ------------------------------------------------------------- images

  private request(): void {
    const view = this.view();
    const size = imageSize(this.el.clientWidth, this.el.clientHeight, window.devicePixelRatio || 1);
    if (!view || !size) return;
    const req: ImageRequest = { ...view, ...size };
    const url = imageUrl(this.opts.url, this.opts.offset, req, this.opts.maxFreq);
    if (url === this.wanted) return;
    this.wanted = url;
    this.abort?.abort(); // an older view's image is no use any more
    const abort = (this.abort = new AbortController());
    this.requests += 1;
    // per lane on the lane; the body's (for tests) counts every lane's and names the latest
    this.el.dataset.requests = String(this.requests);
    this.el.dataset.requested = url;
    const body = document.body.dataset;
    body.spectrogramRequests = String(Number(body.spectrogramRequests ?? 0) + 1);
    body.spectrogramRequested = url;
    fetch(url, { signal: abort.signal })
      .then(async (response) => {
        if (!response.ok) {
          const text = (await response.text()).trim().slice(0, 200);
          throw new Error(`the server answered ${response.status}${text ? `: ${text}` : ""}`);
        }
        const top = Number(response.headers.get("X-Spectrogram-Max-Freq"));
        const blob = await response.blob();
        if (abort.signal.aborted) return;
        await this.show(blob, { start: view.start, end: view.end, url }, top > 0 ? top : this.opts.maxFreq, abort);
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        this.fail(err);
      });
  }

  /** Decode the new image off screen, then swap it in: no blank frame between the two. */
  private async show(blob: Blob, shown: Shown, maxFreq: number, abort: AbortController): Promise<void> {
    const back = 1 - this.front;
    const img = this.images[back];
    const objectUrl = URL.createObjectURL(blob);
    img.src = objectUrl;
    try {
      await img.decode();
    } catch {
      URL.revokeObjectURL(objectUrl);
      if (!abort.signal.aborted) this.fail(new Error("the image could not be decoded"));
      return;
    }
    if (abort.signal.aborted) {
      URL.revokeObjectURL(objectUrl);
      return;
    }
    const old = this.objectUrls[back];
    if (old) URL.revokeObjectURL(old);
    this.objectUrls[back] = objectUrl;
    this.shown = shown;
    this.images[this.front].hidden = true;
    this.front = back;
    img.hidden = false;
    this.render();
    this.drawAxis(maxFreq);
    this.message.hidden = true;
    delete document.body.dataset.spectrogramError;
    delete this.el.dataset.error;
    this.el.dataset.loaded = shown.url;
    document.body.dataset.spectrogramLoaded = shown.url;
  }

  private fail(err: unknown): void {
    // the editor goes on; the lane says why it has no picture
    this.message.textContent = `No spectrogram: ${err instanceof Error ? err.message : String(err)}`;
    this.message.hidden = false;
    document.body.dataset.spectrogramError = "1";
    this.el.dataset.error = "1";
    this.wanted = ""; // the next view change tries again
  }

  private makeImage(): HTMLImageElement {
    const img = document.createElement("img");
    img.className = "wf-spectro-img";
    img.alt = "";
    img.draggable = false;
    img.decoding = "async";
    img.hidden = true;
    return img;
  }
}

function div(className: string): HTMLElement {
  const d = document.createElement("div");
  d.className = className;
  return d;
}
