import { describe, expect, it } from "vitest";
import table from "./fixtures/tokens.json";
import {
  addSpan,
  codePointLength,
  keepLinks,
  linkSpan,
  normalizeSpans,
  removeSpan,
  sameSpans,
  sliceCodePoints,
  spanAt,
  spanFromTokens,
  spansAfterTextEdit,
  tokenAt,
  tokenize,
  tokenizePlaced,
  tokensOf,
  type TextSpan,
} from "../src/spans";

interface Table {
  tokens: { why: string; text: string; tokens: [string, number, number, boolean][] }[];
  spans: {
    text: string;
    token_start: number;
    token_end: number;
    label: string;
    audio_span_id?: string;
    span: TextSpan;
    covers: string;
  }[];
}

// The same table tests/core/test_tokenize_js_parity.py checks earmark/loading/tokenize.py against.
const TABLE = table as unknown as Table;

describe("tokenize, against the table shared with Python", () => {
  for (const c of TABLE.tokens) {
    it(c.why, () => {
      const expected = c.tokens.map(([text, start, end, ws], id) => ({ text, start, end, id, ws }));
      expect(tokenize(c.text)).toEqual(expected);
      for (const t of expected) expect(sliceCodePoints(c.text, t.start, t.end)).toBe(t.text);
    });
  }

  it("counts code points, not UTF-16 units, after an emoji", () => {
    const text = "naïve 😀 café-au-lait don't, 12.5";
    expect(text.length).toBe(33); // UTF-16
    expect(codePointLength(text)).toBe(32); // Python's len
    const cafe = tokenize(text)[2];
    expect(cafe).toEqual({ text: "café-au-lait", start: 8, end: 20, id: 2, ws: true });
    // the UTF-16 place is kept apart, for drawing
    const placed = tokenizePlaced(text)[2];
    expect([placed.u16Start, placed.u16End]).toEqual([9, 21]);
    expect(text.slice(placed.u16Start, placed.u16End)).toBe("café-au-lait");
  });

  it("gives the same tokens when called again (no regex state left over)", () => {
    expect(tokenize("a b")).toEqual(tokenize("a b"));
    tokenize("one two three");
    expect(tokenize("x").length).toBe(1);
  });
});

describe("spanFromTokens, against the shared table", () => {
  for (const c of TABLE.spans) {
    it(`covers “${c.covers}”`, () => {
      const span = spanFromTokens(tokenize(c.text), c.token_start, c.token_end, c.label, c.audio_span_id);
      expect(span).toEqual(c.span);
      expect(Object.keys(span)).toEqual(Object.keys(c.span)); // no audio_span_id key when unlinked
      expect(sliceCodePoints(c.text, span.start, span.end)).toBe(c.covers);
    });
  }
});

// "the cat sat on the mat": the0 cat1 sat2 on3 the4 mat5
const TEXT = "the cat sat on the mat";
const TOKS = tokenize(TEXT);
const sp = (a: number, b: number, label = "A", link?: string) => spanFromTokens(TOKS, a, b, label, link);

describe("addSpan: a new span replaces the spans it overlaps", () => {
  it("adds and keeps the list sorted by position", () => {
    let spans = addSpan([], sp(4, 5));
    spans = addSpan(spans, sp(0, 1, "B"));
    expect(spans).toEqual([
      { start: 0, end: 7, token_start: 0, token_end: 1, label: "B" },
      { start: 15, end: 22, token_start: 4, token_end: 5, label: "A" },
    ]);
  });

  it("replaces every span it overlaps, keeps the others", () => {
    const spans = [sp(0, 0), sp(1, 2, "B", "r1"), sp(3, 3), sp(5, 5)];
    const out = addSpan(spans, sp(2, 3, "C"));
    expect(out).toEqual([sp(0, 0), sp(2, 3, "C"), sp(5, 5)]);
  });

  it("spans that only touch do not overlap", () => {
    const out = addSpan([sp(0, 1)], sp(2, 2, "B"));
    expect(out.length).toBe(2);
  });

  it("the exact tokens of a linked span again with another label relabel it and keep the link", () => {
    const out = addSpan([sp(1, 2, "A", "r1")], sp(1, 2, "B"));
    expect(out).toEqual([sp(1, 2, "B", "r1")]);
  });

  it("a new span with a link of its own keeps its own link", () => {
    expect(addSpan([sp(1, 2, "A", "r1")], sp(1, 2, "B", "r2"))).toEqual([sp(1, 2, "B", "r2")]);
  });

  it("a wider span over a linked one does not inherit the link", () => {
    expect(addSpan([sp(1, 2, "A", "r1")], sp(1, 3, "A"))).toEqual([sp(1, 3, "A")]);
  });

  it("the same span again changes nothing", () => {
    const spans = [sp(1, 2, "A", "r1")];
    expect(sameSpans(addSpan(spans, sp(1, 2, "A")), spans)).toBe(true);
  });

  it("does not change its input", () => {
    const spans = [sp(1, 2)];
    addSpan(spans, sp(2, 3));
    expect(spans).toEqual([sp(1, 2)]);
  });
});

describe("remove, link, find", () => {
  it("removes by index", () => {
    expect(removeSpan([sp(0, 0), sp(2, 2)], 0)).toEqual([sp(2, 2)]);
    expect(removeSpan([sp(0, 0)], 5)).toEqual([sp(0, 0)]);
  });

  it("links and unlinks without leaving an undefined key", () => {
    const linked = linkSpan([sp(0, 0), sp(2, 2)], 1, "r9");
    expect(linked[1].audio_span_id).toBe("r9");
    expect(linked[0]).not.toHaveProperty("audio_span_id");
    const unlinked = linkSpan(linked, 1, null);
    expect(unlinked[1]).not.toHaveProperty("audio_span_id");
  });

  it("spanAt finds the span covering a token", () => {
    const spans = [sp(1, 2), sp(4, 5)];
    expect([0, 1, 2, 3, 4, 5].map((i) => spanAt(spans, i))).toEqual([-1, 0, 0, -1, 1, 1]);
  });

  it("tokenAt finds the token containing an offset; spaces and the end give -1", () => {
    // t0 h1 e2 _3 c4 a5 t6 _7 ...
    expect([0, 2, 3, 4, 6, 7, 21, 22, -1].map((o) => tokenAt(TOKS, o))).toEqual([0, 0, -1, 1, 1, -1, 5, -1, -1]);
  });

  it("tokensOf maps offsets on token edges to token indices", () => {
    expect(tokensOf(TOKS, 4, 11)).toEqual([1, 2]);
    expect(tokensOf(TOKS, 4, 10)).toBe(null);
    expect(tokensOf(TOKS, 5, 11)).toBe(null);
    expect(tokensOf(TOKS, 4, 99)).toBe(null);
  });

  it("keepLinks drops links to regions that are gone", () => {
    const { spans, unlinked } = keepLinks([sp(0, 0, "A", "r1"), sp(2, 2, "A", "r2"), sp(4, 4)], new Set(["r2"]));
    expect(spans).toEqual([sp(0, 0), sp(2, 2, "A", "r2"), sp(4, 4)]);
    expect(unlinked).toEqual([sp(0, 0, "A", "r1")]);
  });
});

describe("normalizeSpans: spans from storage fitted to the tokens", () => {
  it("works out token indices from the offsets (which Python slices by)", () => {
    const stored = { start: 4, end: 11, token_start: 7, token_end: 9, label: "A" };
    expect(normalizeSpans(TOKS, [stored])).toEqual({ spans: [sp(1, 2)], snapped: [], dropped: [] });
  });

  it("snaps offsets inside words out to whole words", () => {
    const stored = { start: 5, end: 9, token_start: 1, token_end: 2, label: "A" }; // "at s"
    const out = normalizeSpans(TOKS, [stored]);
    expect(out.spans).toEqual([sp(1, 2)]);
    expect(out.snapped).toEqual([sp(1, 2)]);
  });

  it("drops a span over spaces only, and one overlapping a span before it", () => {
    const space = { start: 3, end: 4, token_start: 0, token_end: 0, label: "A" };
    const out = normalizeSpans(TOKS, [sp(2, 3, "B"), space, sp(3, 4, "C"), sp(0, 0)]);
    expect(out.spans).toEqual([sp(0, 0), sp(2, 3, "B")]);
    expect(out.dropped.map((s) => s.label)).toEqual(["A", "C"]);
  });

  it("keeps offsets in code points past an emoji", () => {
    const text = "😀 hi there";
    const toks = tokenize(text);
    const out = normalizeSpans(toks, [{ start: 2, end: 4, token_start: 0, token_end: 0, label: "A" }]);
    expect(out.spans).toEqual([{ start: 2, end: 4, token_start: 1, token_end: 1, label: "A" }]);
  });
});

describe("spansAfterTextEdit", () => {
  // the0 cat1 sat2 on3 the4 mat5; spans: "cat"(4-7), "the mat"(15-22)
  const spans = [sp(1, 1, "A", "r1"), sp(4, 5, "B")];

  it("keeps everything when the text is the same", () => {
    expect(spansAfterTextEdit(TEXT, TEXT, spans)).toEqual({ spans, dropped: [] });
  });

  it("keeps spans before an edit at their offsets, moves spans after it with the text", () => {
    const edited = "the cat sat down on the mat"; // " down" after "sat"
    const out = spansAfterTextEdit(TEXT, edited, spans);
    expect(out.dropped).toEqual([]);
    expect(out.spans).toEqual([
      { start: 4, end: 7, token_start: 1, token_end: 1, label: "A", audio_span_id: "r1" },
      { start: 20, end: 27, token_start: 5, token_end: 6, label: "B" },
    ]);
    expect(out.spans.map((s) => sliceCodePoints(edited, s.start, s.end))).toEqual(["cat", "the mat"]);
  });

  it("drops a span whose words were edited", () => {
    const out = spansAfterTextEdit(TEXT, "the dog sat on the mat", spans);
    expect(out.spans).toEqual([sp(4, 5, "B")]);
    expect(out.dropped).toEqual([sp(1, 1, "A", "r1")]);
  });

  it("drops a span whose word grew (it no longer ends on a token edge)", () => {
    const out = spansAfterTextEdit(TEXT, "the cats sat on the mat", spans);
    expect(out.dropped.map((s) => s.label)).toEqual(["A"]);
    expect(out.spans).toEqual([{ start: 16, end: 23, token_start: 4, token_end: 5, label: "B" }]);
  });

  it("drops a span when a word is joined to its start", () => {
    const out = spansAfterTextEdit(TEXT, "the cat sat on xthe mat", spans);
    expect(out.spans.map((s) => s.label)).toEqual(["A"]);
    expect(out.dropped.map((s) => s.label)).toEqual(["B"]);
  });

  it("moves spans by code points when an emoji is typed before them", () => {
    const out = spansAfterTextEdit(TEXT, "😀 " + TEXT, spans);
    expect(out.spans).toEqual([
      { start: 6, end: 9, token_start: 2, token_end: 2, label: "A", audio_span_id: "r1" },
      { start: 17, end: 24, token_start: 5, token_end: 6, label: "B" },
    ]);
  });

  it("an emptied text drops every span", () => {
    expect(spansAfterTextEdit(TEXT, "", spans)).toEqual({ spans: [], dropped: spans });
  });

  it("a repeated letter typed (ambiguous edit) keeps the spans whose text is still there", () => {
    // "aa bb" -> "aa bbb": prefix 5 and suffix 0 (suffix may not overlap the prefix)
    const t = tokenize("aa bb");
    const out = spansAfterTextEdit("aa bb", "aa bbb", [spanFromTokens(t, 0, 0, "A"), spanFromTokens(t, 1, 1, "B")]);
    expect(out.spans.map((s) => s.label)).toEqual(["A"]);
  });
});
