/**
 * A timeline under the waveform that only ever builds the ticks in view.
 * wavesurfer's own Timeline plugin builds one node per tick over the whole
 * duration and forces a layout for each, which does not scale to hour-long
 * recordings at the zoom needed to place boundaries; this keeps at most about
 * a hundred nodes, positioned from the same scroll and zoom as the waveform.
 */
import BasePlugin, { type BasePluginEvents } from "wavesurfer.js/dist/base-plugin.js";
import { chooseTicks, decimalsFor, formatTime, ticksInRange, type TickPlan } from "./ticks";

export interface TimelineOptions {
  /** Where the ticks go (under the waveform). */
  container: HTMLElement;
  /** The task's duration, until wavesurfer knows it. */
  duration: number;
  /** File time at the view's 0 (a segment's clip): ticks fall on round file times and say them. */
  offset?: number;
}

/**
 * A wavesurfer plugin: registered with `ws.registerPlugin(TimelinePlugin.create(…))`,
 * it follows the waveform's scroll and zoom and goes when wavesurfer is destroyed.
 */
export class TimelinePlugin extends BasePlugin<BasePluginEvents, TimelineOptions> {
  readonly el: HTMLElement;
  private pool: HTMLElement[] = [];
  private frame = 0;
  plan: TickPlan | null = null;

  static create(options: TimelineOptions): TimelinePlugin {
    return new TimelinePlugin(options);
  }

  constructor(options: TimelineOptions) {
    super(options);
    this.el = document.createElement("div");
    this.el.className = "wf-timeline";
    this.el.setAttribute("part", "timeline");
  }

  protected onInit(): void {
    const ws = this.wavesurfer;
    if (!ws) return;
    this.options.container.appendChild(this.el);
    const schedule = () => this.schedule();
    for (const ev of ["scroll", "zoom", "redraw", "resize"] as const) this.subscriptions.push(ws.on(ev, schedule));
    this.schedule();
  }

  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Lay out the ticks in view now. */
  render(): void {
    const ws = this.wavesurfer;
    if (!ws) return;
    const duration = ws.getDuration() || this.options.duration;
    if (!(duration > 0)) return;
    const width = ws.getWidth() || this.el.clientWidth;
    const total = ws.getWrapper().scrollWidth || width;
    const pps = total / duration;
    const scroll = ws.getScroll();
    const plan = chooseTicks(duration, pps, width);
    this.plan = plan;
    const margin = plan.interval;
    const off = this.options.offset ?? 0;
    const ticks = ticksInRange(off + scroll / pps - margin, off + Math.min(duration, (scroll + width) / pps + margin), plan);
    const decimals = decimalsFor(plan.labelInterval);
    while (this.pool.length < ticks.length) {
      const d = document.createElement("div");
      this.el.appendChild(d);
      this.pool.push(d);
    }
    ticks.forEach((t, i) => {
      const node = this.pool[i];
      node.style.display = "";
      node.style.transform = `translateX(${Math.round((t.time - off) * pps - scroll)}px)`;
      const cls = t.label ? "wf-tick wf-tick-label" : "wf-tick";
      if (node.className !== cls) node.className = cls;
      const text = t.label ? formatTime(t.time, decimals) : "";
      if (node.textContent !== text) node.textContent = text;
    });
    for (let i = ticks.length; i < this.pool.length; i++) this.pool[i].style.display = "none";
    this.el.dataset.interval = String(plan.interval);
    this.el.dataset.ticks = String(ticks.length);
  }

  destroy(): void {
    if (this.destroyed) return;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.el.remove();
    super.destroy();
  }
}
