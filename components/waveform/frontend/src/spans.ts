/**
 * Text spans over transcript tokens, as Prodigy's `ner_manual` makes them:
 * the tokenizer of earmark/loading/tokenize.py, spans snapped to whole tokens, no
 * overlaps, and the offsets Python uses.
 *
 * Offsets are code points (Python's str indices), not UTF-16 code units: an
 * emoji outside the BMP counts 1, as in Python, so a span made here slices the
 * same text in Python. The tokenizer is Python's `\w+(?:[-'’]\w+)*|[^\w\s]`:
 * Python's Unicode `\w` is a letter (L*), a number (N*) or `_`, the same set as
 * `[\p{L}\p{N}_]` for every character of Unicode 14 (Python 3.11's tables;
 * checked over all code points); Python's `\s` differs from JavaScript's
 * (U+001C..U+001F and U+0085 are spaces to Python, U+FEFF is not), so it is
 * spelled out. Both sides are tested against test/fixtures/tokens.json.
 *
 * Overlaps: a new span replaces every span it overlaps (as in `ner_manual`,
 * where a new highlight takes over the words). A new span over exactly the
 * tokens of one existing span relabels it and keeps its link.
 */

export interface Token {
  text: string;
  start: number;
  end: number;
  id: number;
  ws: boolean;
}

export interface TextSpan {
  start: number;
  end: number;
  token_start: number;
  token_end: number;
  label: string;
  audio_span_id?: string;
}

/** Python's `\s` (str.isspace), as a character class body. */
const PY_SPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_WORD = "\\p{L}\\p{N}_";
const TOKEN_RE = new RegExp(`[${PY_WORD}]+(?:[-'’][${PY_WORD}]+)*|[^${PY_WORD}${PY_SPACE}]`, "gu");
const SPACE_RE = new RegExp(`^[${PY_SPACE}]$`, "u");

/** A token with its place in the JavaScript string too (UTF-16 units), for drawing. */
export interface PlacedToken extends Token {
  u16Start: number;
  u16End: number;
}

/** Code points in the UTF-16 units `from`..`to` of `text` (a lone surrogate counts 1, as in Python). */
function codePointsBetween(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Tokens with both their Python offsets and their UTF-16 positions. */
export function tokenizePlaced(text: string): PlacedToken[] {
  const out: PlacedToken[] = [];
  let u16 = 0;
  let cp = 0;
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(text); m; m = TOKEN_RE.exec(text)) {
    cp += codePointsBetween(text, u16, m.index);
    const start = cp;
    const u16End = m.index + m[0].length;
    cp += codePointsBetween(text, m.index, u16End);
    u16 = u16End;
    const next = text.charAt(u16End); // every Python space is in the BMP
    out.push({
      text: m[0],
      start,
      end: cp,
      id: out.length,
      ws: next !== "" && SPACE_RE.test(next),
      u16Start: m.index,
      u16End,
    });
  }
  return out;
}

/** `[{text, start, end, id, ws}]` exactly as `earmark.loading.tokenize.tokenize` gives them. */
export function tokenize(text: string): Token[] {
  return tokenizePlaced(text).map(({ text: t, start, end, id, ws }) => ({ text: t, start, end, id, ws }));
}

/** The length of `text` in code points (Python's `len`). */
export function codePointLength(text: string): number {
  return codePointsBetween(text, 0, text.length);
}

/** Python's `text[start:end]` for code point offsets (0 <= start <= end). */
export function sliceCodePoints(text: string, start: number, end: number): string {
  const cps = Array.from(text);
  return cps.slice(start, end).join("");
}

/** A span over tokens `tokenStart`..`tokenEnd` (inclusive), as `span_from_tokens` makes it. */
export function spanFromTokens(
  tokens: readonly Token[],
  tokenStart: number,
  tokenEnd: number,
  label: string,
  audioSpanId?: string | null,
): TextSpan {
  const span: TextSpan = {
    start: tokens[tokenStart].start,
    end: tokens[tokenEnd].end,
    token_start: tokenStart,
    token_end: tokenEnd,
    label,
  };
  if (audioSpanId) span.audio_span_id = audioSpanId;
  return span;
}

/** A copy of a span with only its own keys (no `audio_span_id: undefined`). */
export function copySpan(span: TextSpan): TextSpan {
  const out: TextSpan = {
    start: span.start,
    end: span.end,
    token_start: span.token_start,
    token_end: span.token_end,
    label: span.label,
  };
  if (span.audio_span_id) out.audio_span_id = span.audio_span_id;
  return out;
}

/** Whether two spans share a token. */
export function overlaps(a: TextSpan, b: TextSpan): boolean {
  return a.token_start <= b.token_end && b.token_start <= a.token_end;
}

function byStart(a: TextSpan, b: TextSpan): number {
  return a.token_start - b.token_start || a.token_end - b.token_end;
}

/**
 * `spans` with `span` added, sorted by position. Spans it overlaps are
 * replaced; if it covers exactly the tokens of one of them and has no link of
 * its own, it takes that span's link (a relabel). The same span again changes
 * nothing (the result equals the input).
 */
export function addSpan(spans: readonly TextSpan[], span: TextSpan): TextSpan[] {
  const added = copySpan(span);
  const kept: TextSpan[] = [];
  for (const s of spans) {
    if (!overlaps(s, added)) {
      kept.push(copySpan(s));
      continue;
    }
    if (s.token_start === added.token_start && s.token_end === added.token_end && !added.audio_span_id && s.audio_span_id) {
      added.audio_span_id = s.audio_span_id;
    }
  }
  kept.push(added);
  return kept.sort(byStart);
}

/** `spans` without the one at `index` (out of range: unchanged). */
export function removeSpan(spans: readonly TextSpan[], index: number): TextSpan[] {
  return spans.filter((_, i) => i !== index).map(copySpan);
}

/** `spans` with the one at `index` linked to `regionId`, or unlinked for null. */
export function linkSpan(spans: readonly TextSpan[], index: number, regionId: string | null): TextSpan[] {
  return spans.map((s, i) => {
    const c = copySpan(s);
    if (i === index) {
      if (regionId) c.audio_span_id = regionId;
      else delete c.audio_span_id;
    }
    return c;
  });
}

/** The index of the span covering token `tokenIndex`, or -1. */
export function spanAt(spans: readonly TextSpan[], tokenIndex: number): number {
  return spans.findIndex((s) => s.token_start <= tokenIndex && tokenIndex <= s.token_end);
}

/** The index of the token containing code point `offset` (start <= offset < end), or -1 (a space, or outside). */
export function tokenAt(tokens: readonly Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = tokens[mid];
    if (offset < t.start) hi = mid - 1;
    else if (offset >= t.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The token indices that begin at `start` and end at `end`, or null when the offsets are not on token edges. */
export function tokensOf(tokens: readonly Token[], start: number, end: number): [number, number] | null {
  const first = tokens.findIndex((t) => t.start === start);
  if (first < 0) return null;
  for (let i = first; i < tokens.length; i++) {
    if (tokens[i].end === end) return [first, i];
    if (tokens[i].end > end) return null;
  }
  return null;
}

export interface Normalized {
  spans: TextSpan[];
  /** spans moved onto whole tokens (their offsets were not on token edges) */
  snapped: TextSpan[];
  /** spans that cover no token, or that overlap one kept before them */
  dropped: TextSpan[];
}

/**
 * Spans from storage made fit for `tokens`: token indices worked out from the
 * offsets (which are what Python slices by); offsets not on token edges snapped
 * out to the tokens they touch; a span touching no token, or overlapping one
 * kept before it (in the given order), dropped. Sorted by position.
 */
export function normalizeSpans(tokens: readonly Token[], spans: readonly TextSpan[]): Normalized {
  const out: TextSpan[] = [];
  const snapped: TextSpan[] = [];
  const dropped: TextSpan[] = [];
  for (const s of spans) {
    let range = tokensOf(tokens, s.start, s.end);
    if (!range) {
      const touched = tokens.filter((t) => t.start < s.end && s.start < t.end);
      if (touched.length) range = [touched[0].id, touched[touched.length - 1].id];
    }
    if (!range) {
      dropped.push(copySpan(s));
      continue;
    }
    const fixed = spanFromTokens(tokens, range[0], range[1], s.label, s.audio_span_id);
    if (out.some((o) => overlaps(o, fixed))) {
      dropped.push(copySpan(s));
      continue;
    }
    if (fixed.start !== s.start || fixed.end !== s.end) snapped.push(fixed);
    out.push(fixed);
  }
  return { spans: out.sort(byStart), snapped, dropped };
}

export interface AfterEdit {
  spans: TextSpan[];
  dropped: TextSpan[];
}

/**
 * The spans that survive an edit of the text from `oldText` to `newText`.
 * The edit is taken as one changed stretch (the longest common prefix and
 * suffix stay): a span before it keeps its offsets, a span after it moves with
 * the text, and either is kept only if its text is unchanged and it still
 * begins and ends on token edges of the new text; a span touching the changed
 * stretch is dropped. Kept spans get the new token indices.
 */
export function spansAfterTextEdit(oldText: string, newText: string, spans: readonly TextSpan[]): AfterEdit {
  const a = Array.from(oldText);
  const b = Array.from(newText);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  const room = Math.min(a.length, b.length) - prefix;
  while (suffix < room && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const changedEnd = a.length - suffix; // old offsets from here on moved by `shift`
  const shift = b.length - a.length;
  const tokens = tokenize(newText);
  const kept: TextSpan[] = [];
  const dropped: TextSpan[] = [];
  for (const s of spans) {
    let start: number;
    if (s.end <= prefix) start = s.start;
    else if (s.start >= changedEnd) start = s.start + shift;
    else {
      dropped.push(copySpan(s));
      continue;
    }
    const end = start + (s.end - s.start);
    const range = a.slice(s.start, s.end).join("") === b.slice(start, end).join("") ? tokensOf(tokens, start, end) : null;
    if (!range) {
      dropped.push(copySpan(s));
      continue;
    }
    kept.push(spanFromTokens(tokens, range[0], range[1], s.label, s.audio_span_id));
  }
  return { spans: kept.sort(byStart), dropped };
}

/** `spans` with links to regions not in `regionIds` removed; `unlinked` counts them. */
export function keepLinks(spans: readonly TextSpan[], regionIds: ReadonlySet<string>): { spans: TextSpan[]; unlinked: TextSpan[] } {
  const unlinked: TextSpan[] = [];
  const out = spans.map((s) => {
    const c = copySpan(s);
    if (c.audio_span_id && !regionIds.has(c.audio_span_id)) {
      unlinked.push(copySpan(s));
      delete c.audio_span_id;
    }
    return c;
  });
  return { spans: out, unlinked };
}

/** Whether two span lists are the same (order, offsets, labels, links). */
export function sameSpans(a: readonly TextSpan[], b: readonly TextSpan[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (s, i) =>
        s.start === b[i].start &&
        s.end === b[i].end &&
        s.token_start === b[i].token_start &&
        s.token_end === b[i].token_end &&
        s.label === b[i].label &&
        (s.audio_span_id || "") === (b[i].audio_span_id || ""),
    )
  );
}
