/**
 * Recognised words on the card: which word is spoken at a time, the times of
 * alignment tokens, and how a time range and a voice-profile mark read. Pure:
 * no DOM (word_strip.ts draws the words).
 *
 * Word times are in the card's time, as its regions are (Python shifts a
 * segment task's words by the clip's start, as it shifts the regions).
 */
import { tokenize, type Token } from "./spans";
import type { RegionData } from "./state";

export interface Word {
  start: number;
  end: number;
  text: string;
  /** the recogniser's probability of the word, 0..1 */
  score?: number;
}

/** Words below this probability are marked as unsure. */
export const LOW_SCORE = 0.5;

/** How many word tokens past the last match a token may match (earmark/loading/tokenize.py's LOOKAHEAD). */
export const LOOKAHEAD = 8;

function finite(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** The words with times, in time order (as card.py sends them; a task's JSON may not be). */
export function cleanWords(words: unknown): Word[] {
  if (!Array.isArray(words)) return [];
  const out: Word[] = [];
  for (const w of words) {
    if (!w || typeof w !== "object") continue;
    const { start, end, text, score } = w as Record<string, unknown>;
    if (!finite(start) || !finite(end)) continue;
    const word: Word = { start, end: Math.max(start, end), text: typeof text === "string" ? text.trim() : "" };
    if (finite(score)) word.score = score;
    out.push(word);
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/**
 * The index of the word spoken at time `t` (words sorted by start): the last
 * word starting at or before `t`, if `t` is before its end; -1 in a pause,
 * before the first word and after the last. Binary search: called on every
 * time update while playing.
 */
export function wordAt(words: readonly Word[], t: number): number {
  let lo = 0;
  let hi = words.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (words[mid].start <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && t < words[found].end ? found : -1;
}

/** Whether a word is marked as unsure (a probability under LOW_SCORE). */
export function isLowScore(w: Word): boolean {
  return w.score !== undefined && w.score < LOW_SCORE;
}

/** A token's audio time: [start, end], or null when it matched no word. */
export type TokenTime = [number, number] | null;

/**
 * The audio time of each token of a text (`tokenize(text)`), from the words:
 * each token matching the next word tokens in order (exact text, at most
 * LOOKAHEAD ahead) takes the time of the word it lies in. The same algorithm
 * as `earmark.loading.tokenize.timed_tokens` (table test/fixtures/timed_tokens.json).
 */
export function timeTokens(tokens: readonly Pick<Token, "text">[], words: readonly Partial<Word>[]): TokenTime[] {
  const targets: { text: string; word: Partial<Word> }[] = [];
  for (const w of words) {
    if (!w || !finite(w.start) || !finite(w.end)) continue;
    for (const t of tokenize(typeof w.text === "string" ? w.text.trim() : "")) targets.push({ text: t.text, word: w });
  }
  const out: TokenTime[] = [];
  let j = 0;
  for (const token of tokens) {
    let time: TokenTime = null;
    const stop = Math.min(targets.length, j + LOOKAHEAD);
    for (let k = j; k < stop; k++) {
      if (targets[k].text === token.text) {
        time = [targets[k].word.start as number, targets[k].word.end as number];
        j = k + 1;
        break;
      }
    }
    out.push(time);
  }
  return out;
}

/**
 * The audio time of the tokens `first`..`last` (inclusive): from the first
 * timed token's start to the last timed token's end among them; null when none
 * of them has a time.
 */
export function spanTime(times: readonly TokenTime[], first: number, last: number): [number, number] | null {
  let start = Infinity;
  let end = -Infinity;
  for (let i = Math.max(0, first); i <= last && i < times.length; i++) {
    const t = times[i];
    if (!t) continue;
    start = Math.min(start, t[0]);
    end = Math.max(end, t[1]);
  }
  return end >= start ? [start, end] : null;
}

/** A time as m:ss.s (0:04.2, 12:31.0). */
export function clock(t: number): string {
  const tenths = Math.round(Math.max(0, t) * 10);
  const m = Math.floor(tenths / 600);
  const s = (tenths - m * 600) / 10;
  return `${m}:${s < 10 ? "0" : ""}${s.toFixed(1)}`;
}

/** A time range as m:ss.s-m:ss.s (in file time: `offset` is the file time of the card's 0). */
export function rangeText(range: readonly [number, number], offset = 0): string {
  return `${clock(range[0] + offset)}–${clock(range[1] + offset)}`;
}

/** The symbol after the label of a region whose label was proposed from a voice profile. */
export const PROFILE_MARK = "≈";

/** Whether a region's label was proposed from a voice profile (it carries the similarity). */
export function fromProfile(r: Pick<RegionData, "profile">): boolean {
  return finite(r.profile);
}

/** The tooltip of a region's voice-profile mark. */
export function profileTip(r: Pick<RegionData, "profile">): string {
  return finite(r.profile) ? `label proposed from the voice profile (similarity ${r.profile.toFixed(2)})` : "";
}

/** A region's tooltip lines about where its label came from: the profile's similarity, the model's confidence. */
export function provenanceLines(r: Pick<RegionData, "profile" | "score">): string[] {
  const lines: string[] = [];
  if (finite(r.profile)) lines.push(profileTip(r));
  if (finite(r.score)) lines.push(`model confidence ${r.score.toFixed(2)}`);
  return lines;
}

/**
 * The card's line about voice profiles: the labels proposed from them, each
 * with how many regions; empty when none was.
 */
export function profileLine(regions: readonly Pick<RegionData, "label" | "profile">[]): string {
  const counts = new Map<string, number>();
  for (const r of regions) if (fromProfile(r)) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  if (!counts.size) return "";
  const parts = [...counts].map(([label, n]) => `${label} (${n} region${n === 1 ? "" : "s"})`);
  return `${PROFILE_MARK} Labels proposed from the dataset's voice profiles: ${parts.join(", ")}`;
}
