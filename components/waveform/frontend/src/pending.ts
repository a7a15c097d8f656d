/**
 * The pending log: answers given in this tab that Python has not acknowledged.
 *
 * design.md (component protocol, "Answers"): every answer gets the tab's next
 * number `seq` and joins the log; every value sent carries the whole log; an
 * answer leaves it only when Python's `acked` for this tab's client id reaches
 * its number. The log lives in the browser's storage, so a reload, a lost
 * connection or a server restart loses nothing: the answers are sent again and
 * Python, keyed by session, client and seq, commits each once.
 *
 * The client id is per tab (kept in sessionStorage, so a reload keeps it and a
 * second tab gets its own); the log is in localStorage under that id. A log
 * whose tab is gone (closed before its answers were acknowledged) is adopted
 * by the next tab that starts: its entries keep their own client and seq, so
 * sending them twice (from two tabs) still commits them once.
 */

export interface PendingAnswer {
  client: string;
  seq: number;
  dataset: string;
  session: string;
  task_id: string;
  answer: string;
  regions: unknown[];
  transcript: string | null;
  spans: unknown[] | null;
  ts: number;
  skip_reason?: string;
}

/** The part of the Web Storage API the log uses (a Map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

export const LOG_PREFIX = "earmark.pending.";
export const ALIVE_PREFIX = "earmark.alive.";
const CLIENT_KEY = "earmark.client";
/** A tab that has not said it is alive for this long is gone: its log may be adopted. */
export const ORPHAN_AFTER_MS = 15_000;

interface StoredLog {
  seq: number;
  entries: PendingAnswer[];
}

export function makeClientId(random: () => number = Math.random): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += Math.floor(random() * 36).toString(36);
  return s;
}

function readLog(store: KeyValueStore, client: string): StoredLog {
  try {
    const raw = store.getItem(LOG_PREFIX + client);
    if (!raw) return { seq: 0, entries: [] };
    const parsed = JSON.parse(raw) as Partial<StoredLog>;
    const entries = Array.isArray(parsed.entries) ? parsed.entries.filter(isEntry) : [];
    const seq = Number.isInteger(parsed.seq) ? Number(parsed.seq) : 0;
    return { seq: Math.max(seq, ...entries.filter((e) => e.client === client).map((e) => e.seq)), entries };
  } catch {
    return { seq: 0, entries: [] };
  }
}

function isEntry(e: unknown): e is PendingAnswer {
  const x = e as PendingAnswer;
  return !!x && typeof x.client === "string" && Number.isInteger(x.seq) && x.seq > 0;
}

export class PendingLog {
  readonly client: string;
  private seq: number;
  private entries: PendingAnswer[];

  constructor(
    private readonly local: KeyValueStore | null,
    tab: KeyValueStore | null,
    private readonly now: () => number = () => Date.now(),
    random: () => number = Math.random,
  ) {
    let client = safeGet(tab, CLIENT_KEY);
    if (!client) {
      client = makeClientId(random);
      safeSet(tab, CLIENT_KEY, client);
    }
    this.client = client;
    const own = this.local ? readLog(this.local, client) : { seq: 0, entries: [] };
    this.seq = own.seq;
    this.entries = own.entries;
    this.heartbeat();
    this.adoptOrphans();
  }

  /** Add an answer; returns it with its number. It is stored before this returns. */
  add(answer: Omit<PendingAnswer, "client" | "seq" | "ts">): PendingAnswer {
    this.seq += 1;
    const entry: PendingAnswer = { ...answer, client: this.client, seq: this.seq, ts: this.now() / 1000 };
    this.entries.push(entry);
    this.save();
    return entry;
  }

  /** Every answer not acknowledged yet, oldest first (what each value carries). */
  all(): PendingAnswer[] {
    return [...this.entries];
  }

  get size(): number {
    return this.entries.length;
  }

  /** The answer numbers Python committed, per client: those entries leave the log. */
  ack(acked: Record<string, number> | null | undefined): PendingAnswer[] {
    if (!acked) return [];
    const gone: PendingAnswer[] = [];
    this.entries = this.entries.filter((e) => {
      const upTo = acked[e.client];
      if (typeof upTo === "number" && e.seq <= upTo) {
        gone.push(e);
        return false;
      }
      return true;
    });
    if (gone.length) this.save();
    return gone;
  }

  /** Say this tab is alive (call every few seconds), so no other tab adopts its log. */
  heartbeat(): void {
    safeSet(this.local, ALIVE_PREFIX + this.client, String(this.now()));
  }

  /** Take over the entries of logs whose tabs are gone. Returns how many were taken. */
  adoptOrphans(): number {
    const store = this.local;
    if (!store) return 0;
    let taken = 0;
    const keys: string[] = [];
    for (let i = 0; i < store.length; i++) {
      const k = store.key(i);
      if (k && k.startsWith(LOG_PREFIX)) keys.push(k);
    }
    const have = new Set(this.entries.map((e) => `${e.client}/${e.seq}`));
    for (const k of keys) {
      const other = k.slice(LOG_PREFIX.length);
      if (other === this.client) continue;
      const alive = Number(safeGet(store, ALIVE_PREFIX + other) ?? 0);
      if (this.now() - alive < ORPHAN_AFTER_MS) continue;
      const log = readLog(store, other);
      for (const e of log.entries) {
        if (have.has(`${e.client}/${e.seq}`)) continue;
        have.add(`${e.client}/${e.seq}`);
        this.entries.push(e);
        taken += 1;
      }
      // the other tab's log is now part of this one (saved below), its own copy can go
      store.removeItem(k);
      store.removeItem(ALIVE_PREFIX + other);
    }
    if (taken) {
      this.entries.sort((a, b) => a.ts - b.ts || (a.client < b.client ? -1 : a.client > b.client ? 1 : a.seq - b.seq));
    }
    this.save();
    return taken;
  }

  private save(): void {
    safeSet(this.local, LOG_PREFIX + this.client, JSON.stringify({ seq: this.seq, entries: this.entries }));
  }
}

function safeGet(store: KeyValueStore | null, key: string): string | null {
  try {
    return store ? store.getItem(key) : null;
  } catch {
    return null;
  }
}

function safeSet(store: KeyValueStore | null, key: string, value: string): void {
  try {
    store?.setItem(key, value);
  } catch {
    /* storage full or refused: the answers stay in memory and in every value sent */
  }
}

/** A KeyValueStore over a Map, for tests and for browsers that refuse storage. */
export class MemoryStore implements KeyValueStore {
  private map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.has(key) ? (this.map.get(key) as string) : null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, String(value));
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  get length(): number {
    return this.map.size;
  }
}
