import { describe, expect, it } from "vitest";
import table from "./fixtures/timed_tokens.json";
import { tokenize } from "../src/spans";
import { RegionStore, normalizeRegion } from "../src/state";
import {
  clock,
  cleanWords,
  fromProfile,
  isLowScore,
  profileLine,
  profileTip,
  provenanceLines,
  rangeText,
  spanTime,
  timeTokens,
  wordAt,
  type Word,
} from "../src/words";
import { DEFAULT_KEYMAP, buildKeymap } from "../src/keys";

interface Case {
  why: string;
  text: string;
  words: Partial<Word>[];
  times: ([number, number] | null)[];
}

const WORDS: Word[] = [
  { start: 0.5, end: 0.9, text: "Hello," },
  { start: 1.0, end: 1.4, text: "world." },
  { start: 2.0, end: 2.3, text: "It's", score: 0.31 },
  { start: 2.3, end: 2.8, text: "fine" },
];

describe("wordAt: the word spoken at a time", () => {
  it("is the word whose start..end holds the time, start included, end not", () => {
    expect(wordAt(WORDS, 0.5)).toBe(0);
    expect(wordAt(WORDS, 0.89)).toBe(0);
    expect(wordAt(WORDS, 1.2)).toBe(1);
    expect(wordAt(WORDS, 2.3)).toBe(3); // a word ending where the next starts: the next
    expect(wordAt(WORDS, 2.79)).toBe(3);
  });
  it("is none before the first word, in a pause and after the last", () => {
    expect(wordAt(WORDS, 0)).toBe(-1);
    expect(wordAt(WORDS, 0.95)).toBe(-1);
    expect(wordAt(WORDS, 1.4)).toBe(-1);
    expect(wordAt(WORDS, 9)).toBe(-1);
    expect(wordAt([], 1)).toBe(-1);
  });
  it("agrees with a linear scan over many words", () => {
    const many: Word[] = Array.from({ length: 1000 }, (_, i) => ({ start: i * 0.3, end: i * 0.3 + 0.2, text: `w${i}` }));
    for (let k = 0; k < 2000; k++) {
      const t = (k * 0.1537) % 310;
      const linear = many.findIndex((w) => w.start <= t && t < w.end);
      expect(wordAt(many, t)).toBe(linear);
    }
  });
});

describe("cleanWords", () => {
  it("keeps words with finite times, trimmed, sorted by start, score only when a number", () => {
    expect(
      cleanWords([
        { start: 2, end: 2.5, text: " two ", score: 0.2 },
        { start: 1, end: 1.5, text: "one", score: "high" },
        { start: "x", end: 1, text: "bad" },
        null,
        { start: 3, end: 2.5 },
      ]),
    ).toEqual([
      { start: 1, end: 1.5, text: "one" },
      { start: 2, end: 2.5, text: "two", score: 0.2 },
      { start: 3, end: 3, text: "" },
    ]);
    expect(cleanWords(undefined)).toEqual([]);
  });
  it("marks words under 0.5 as unsure, and words without a score as sure", () => {
    expect(WORDS.map(isLowScore)).toEqual([false, false, true, false]);
    expect(isLowScore({ start: 0, end: 1, text: "x", score: 0.5 })).toBe(false);
  });
});

describe("timeTokens, against the table shared with Python", () => {
  for (const c of (table as unknown as { cases: Case[] }).cases) {
    it(c.why, () => {
      expect(timeTokens(tokenize(c.text), c.words)).toEqual(c.times);
    });
  }
});

describe("spanTime and how times read", () => {
  it("spans the first to the last timed token of a span, skipping tokens without a time", () => {
    const times = timeTokens(tokenize("so Hello, world. It's fine"), WORDS);
    expect(times[0]).toBeNull();
    expect(spanTime(times, 1, 4)).toEqual([0.5, 1.4]);
    expect(spanTime(times, 0, 1)).toEqual([0.5, 0.9]);
    expect(spanTime(times, 0, 0)).toBeNull();
    expect(spanTime(times, 5, 6)).toEqual([2.0, 2.8]);
  });
  it("reads m:ss.s, in file time with an offset", () => {
    expect(clock(0)).toBe("0:00.0");
    expect(clock(4.24)).toBe("0:04.2");
    expect(clock(59.96)).toBe("1:00.0");
    expect(clock(751)).toBe("12:31.0");
    expect(rangeText([1.25, 2.9])).toBe("0:01.3–0:02.9");
    expect(rangeText([1.25, 2.9], 60)).toBe("1:01.3–1:02.9");
  });
});

describe("the voice-profile mark", () => {
  const diane = { id: "r1", start: 0, end: 1, label: "Diane", profile: 0.834, score: 0.912 };
  it("says the label was proposed from the profile, with the similarity; the model's confidence too", () => {
    expect(fromProfile(diane)).toBe(true);
    expect(profileTip(diane)).toBe("label proposed from the voice profile (similarity 0.83)");
    expect(provenanceLines(diane)).toEqual([
      "label proposed from the voice profile (similarity 0.83)",
      "model confidence 0.91",
    ]);
    expect(fromProfile({ profile: null })).toBe(false);
    expect(provenanceLines({ score: 0.5 })).toEqual(["model confidence 0.50"]);
  });
  it("lists the labels proposed from profiles on one line, with their regions", () => {
    const regions = [diane, { ...diane, id: "r2" }, { ...diane, id: "r3", label: "Bob", profile: 0.7 }, { ...diane, id: "r4", label: "SPEAKER_02", profile: undefined }];
    expect(profileLine(regions)).toBe("≈ Labels proposed from the dataset's voice profiles: Diane (2 regions), Bob (1 region)");
    expect(profileLine([{ label: "A" }])).toBe("");
  });
  it("goes with a relabel and stays through a move; score stays through both", () => {
    expect(normalizeRegion(diane, 10)).toMatchObject({ profile: 0.834, score: 0.912 });
    const store = new RegionStore(10, [diane]);
    store.update("r1", { start: 0.2, end: 1.2 });
    expect(store.get("r1")).toMatchObject({ profile: 0.834, score: 0.912 });
    store.update("r1", { label: "Bob" });
    expect(store.get("r1")?.profile).toBeUndefined();
    expect(store.get("r1")?.score).toBe(0.912);
    // undo brings the label back with its mark
    store.undo();
    expect(store.get("r1")).toMatchObject({ label: "Diane", profile: 0.834 });
  });
});

describe("the key of region_from_span", () => {
  it("is r, no other action's default", () => {
    expect(DEFAULT_KEYMAP.region_from_span).toEqual(["r"]);
    const others = Object.entries(DEFAULT_KEYMAP).filter(([a]) => a !== "region_from_span").flatMap(([, k]) => k);
    expect(others).not.toContain("r");
    expect(buildKeymap().get("r")).toBe("region_from_span");
    expect(buildKeymap({ region_from_span: "g" }).get("g")).toBe("region_from_span");
  });
});
