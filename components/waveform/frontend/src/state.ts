/**
 * Region state of one task and its undo stack. Every committed edit
 * (create, move/resize at drag end, remove, relabel, text) takes a snapshot;
 * undo and redo move between snapshots. Pure: no DOM.
 */

export interface RegionData {
  id: string;
  start: number;
  end: number;
  label: string;
  color?: string | null;
  channel?: number | null;
  text?: string | null;
  /** a model's confidence in the region, 0..1 (kept, shown in the region's tooltip) */
  score?: number | null;
  /**
   * the cosine similarity to the dataset's voice profile whose label the region
   * took: its label was proposed from the profile. Dropped when the annotator
   * relabels the region (the label is then theirs), kept when it is moved or
   * resized (the label still is the profile's proposal).
   */
  profile?: number | null;
}

export type EditType = "created" | "updated" | "removed" | "relabelled" | "undo" | "redo";

/** Seconds rounded to the millisecond. */
export function ms(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A region made valid: ms precision, start <= end, inside [0, duration], other keys than the task format's dropped. */
export function normalizeRegion(r: RegionData, duration: number, minLength = 0): RegionData {
  let start = Number(r.start);
  let end = Number(r.end);
  if (!Number.isFinite(start)) start = 0;
  if (!Number.isFinite(end)) end = start;
  if (end < start) [start, end] = [end, start];
  if (duration > 0) {
    start = Math.max(0, Math.min(duration, start));
    end = Math.max(0, Math.min(duration, end));
  }
  if (minLength > 0 && end - start < minLength) {
    end = start + minLength;
    if (duration > 0 && end > duration) {
      end = duration;
      start = Math.max(0, end - minLength);
    }
  }
  const out: RegionData = { id: String(r.id), start: ms(start), end: ms(end), label: String(r.label ?? "") };
  if (r.color) out.color = String(r.color);
  if (r.channel !== undefined && r.channel !== null && Number.isInteger(Number(r.channel)))
    out.channel = Number(r.channel);
  else out.channel = null;
  if (r.text !== undefined && r.text !== null) out.text = String(r.text);
  for (const key of ["score", "profile"] as const) {
    const v = r[key];
    if (typeof v === "number" && Number.isFinite(v)) out[key] = v;
  }
  return out;
}

export function regionsEqual(a: RegionData, b: RegionData): boolean {
  return (
    a.id === b.id &&
    a.start === b.start &&
    a.end === b.end &&
    a.label === b.label &&
    (a.color ?? null) === (b.color ?? null) &&
    (a.channel ?? null) === (b.channel ?? null) &&
    (a.text ?? null) === (b.text ?? null) &&
    (a.score ?? null) === (b.score ?? null) &&
    (a.profile ?? null) === (b.profile ?? null)
  );
}

export class RegionStore {
  private regions: RegionData[] = [];
  private undoStack: RegionData[][] = [];
  private redoStack: RegionData[][] = [];
  readonly maxUndo: number;
  duration: number;
  minLength: number;

  constructor(duration: number, initial: RegionData[] = [], minLength = 0, maxUndo = 500) {
    this.duration = duration;
    this.minLength = minLength;
    this.maxUndo = maxUndo;
    this.reset(initial);
  }

  /** Replace every region and forget the undo history (new task or new revision from Python). */
  reset(regions: RegionData[]): void {
    const seen = new Set<string>();
    this.regions = [];
    for (const r of regions) {
      const n = normalizeRegion(r, this.duration);
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      this.regions.push(n);
    }
    this.undoStack = [];
    this.redoStack = [];
  }

  list(): RegionData[] {
    return this.regions.map((r) => ({ ...r }));
  }

  get(id: string): RegionData | undefined {
    const r = this.regions.find((x) => x.id === id);
    return r ? { ...r } : undefined;
  }

  get size(): number {
    return this.regions.length;
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  private snapshot(): void {
    this.undoStack.push(this.list());
    if (this.undoStack.length > this.maxUndo) this.undoStack.shift();
    this.redoStack = [];
  }

  /** Add a region; returns it normalised (never shorter than minLength). */
  create(r: RegionData): RegionData {
    if (this.regions.some((x) => x.id === r.id)) throw new Error(`duplicate region id ${r.id}`);
    const n = normalizeRegion(r, this.duration, this.minLength);
    this.snapshot();
    this.regions.push(n);
    return { ...n };
  }

  /** Change times/label/text/channel of a region; returns null when nothing changed. */
  update(id: string, changes: Partial<Omit<RegionData, "id">>): RegionData | null {
    const i = this.regions.findIndex((x) => x.id === id);
    if (i < 0) return null;
    const merged: RegionData = { ...this.regions[i], ...changes, id };
    // a new label is the annotator's: it no longer comes from a voice profile
    if (changes.label !== undefined && changes.label !== this.regions[i].label && !("profile" in changes)) {
      delete merged.profile;
    }
    const next = normalizeRegion(merged, this.duration, this.minLength);
    if (regionsEqual(next, this.regions[i])) return null;
    this.snapshot();
    this.regions[i] = next;
    return { ...next };
  }

  remove(id: string): RegionData | null {
    const i = this.regions.findIndex((x) => x.id === id);
    if (i < 0) return null;
    this.snapshot();
    const [r] = this.regions.splice(i, 1);
    return r;
  }

  undo(): boolean {
    const prev = this.undoStack.pop();
    if (!prev) return false;
    this.redoStack.push(this.list());
    this.regions = prev;
    return true;
  }

  redo(): boolean {
    const next = this.redoStack.pop();
    if (!next) return false;
    this.undoStack.push(this.list());
    this.regions = next;
    return true;
  }

  /** Ids of regions containing time t (on the given lane), shortest first. */
  hitTest(t: number, lane: number | null, tolerance = 0): string[] {
    return this.regions
      .filter(
        (r) =>
          r.start - tolerance <= t &&
          t <= r.end + tolerance &&
          (lane === null || r.channel === null || r.channel === undefined || r.channel === lane),
      )
      .sort((a, b) => a.end - a.start - (b.end - b.start))
      .map((r) => r.id);
  }
}

/** Differences between what is shown and what should be shown. */
export function diffRegions(
  shown: RegionData[],
  wanted: RegionData[],
): { add: RegionData[]; remove: string[]; change: RegionData[] } {
  const shownById = new Map(shown.map((r) => [r.id, r]));
  const wantedIds = new Set(wanted.map((r) => r.id));
  const add: RegionData[] = [];
  const change: RegionData[] = [];
  for (const w of wanted) {
    const s = shownById.get(w.id);
    if (!s) add.push(w);
    else if (!regionsEqual(s, w)) change.push(w);
  }
  const remove = shown.filter((s) => !wantedIds.has(s.id)).map((s) => s.id);
  return { add, remove, change };
}

/** Row of each region's label: greedy interval partitioning by start time, per lane. */
export function labelRows(regions: RegionData[]): Map<string, number> {
  const out = new Map<string, number>();
  const byLane = new Map<number, RegionData[]>();
  for (const r of regions) {
    const lane = r.channel ?? 0;
    if (!byLane.has(lane)) byLane.set(lane, []);
    byLane.get(lane)!.push(r);
  }
  for (const list of byLane.values()) {
    list.sort((a, b) => a.start - b.start || b.end - a.end);
    const rowEnds: number[] = [];
    for (const r of list) {
      let row = rowEnds.findIndex((end) => end <= r.start);
      if (row < 0) {
        row = rowEnds.length;
        rowEnds.push(r.end);
      } else rowEnds[row] = r.end;
      out.set(r.id, Math.min(row, 5));
    }
  }
  return out;
}
