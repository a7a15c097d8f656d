/**
 * A timeline under the waveform that only ever builds the ticks in view.
 * wavesurfer's own Timeline plugin builds one node per tick over the whole
 * duration and forces a layout for each, which does not scale to hour-long
 * recordings at the zoom needed to place boundaries; this keeps at most about
 * a hundred nodes, positioned from the same scroll and zoom as the waveform.
 */
import { chooseTicks, decimalsFor, formatTime, ticksInRange, type TickPlan } from "./ticks";

export interface TimelineSource {
  getScroll(): number;
  getWidth(): number;
  getWrapper(): HTMLElement;
  getDuration(): number;
  on(event: "scroll" | "zoom" | "redraw" | "resize", fn: (...args: unknown[]) => void): () => void;
}

export class Timeline {
  readonly el: HTMLElement;
  private pool: HTMLElement[] = [];
  private unsubs: (() => void)[] = [];
  private frame = 0;
  plan: TickPlan | null = null;

  constructor(
    parent: HTMLElement,
    private readonly ws: TimelineSource,
    private readonly duration: number,
    /** File time at the view's 0 (a segment's clip): ticks fall on round file times and say them. */
    private readonly offset = 0,
  ) {
    this.el = document.createElement("div");
    this.el.className = "wf-timeline";
    this.el.setAttribute("part", "timeline");
    parent.appendChild(this.el);
    const schedule = () => this.schedule();
    for (const ev of ["scroll", "zoom", "redraw", "resize"] as const) this.unsubs.push(ws.on(ev, schedule));
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
    const duration = this.ws.getDuration() || this.duration;
    if (!(duration > 0)) return;
    const width = this.ws.getWidth() || this.el.clientWidth;
    const total = this.ws.getWrapper().scrollWidth || width;
    const pps = total / duration;
    const scroll = this.ws.getScroll();
    const plan = chooseTicks(duration, pps, width);
    this.plan = plan;
    const margin = plan.interval;
    const off = this.offset;
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
    if (this.frame) cancelAnimationFrame(this.frame);
    this.unsubs.forEach((u) => u());
    this.el.remove();
  }
}
