import { describe, expect, it } from "vitest";
import { fnv1a, freeColor, labelColor, PALETTE, resolveLabelColors, withAlpha } from "../src/colors";

describe("label colours", () => {
  it("gives a label outside the list a colour no listed label has, as Python's label_colors", () => {
    // SPEAKER_A and SPEAKER_1 hash to the same colour; Python gives SPEAKER_1 the next one.
    expect(labelColor("SPEAKER_1")).toBe(labelColor("SPEAKER_A"));
    const taken = new Set([labelColor("SPEAKER_A")]);
    expect(freeColor("SPEAKER_1", taken)).toBe("#d62728");   // label_colors(["SPEAKER_A", "SPEAKER_1"])
    expect(freeColor("SPEAKER_1", new Set())).toBe(labelColor("SPEAKER_1"));
    expect(freeColor("X", new Set(PALETTE))).toBe(labelColor("X"));   // all taken: its own
  });

  it("hashes with 32-bit FNV-1a over UTF-8", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
    expect(fnv1a("é")).toBe(fnv1a("\u00e9"));
  });

  it("gives the same name the same colour, from the palette", () => {
    for (const name of ["SPEECH", "NOISE", "MUSIC", "trñ", "<img src=x onerror=alert(1)>"]) {
      expect(labelColor(name)).toBe(labelColor(name));
      expect(PALETTE).toContain(labelColor(name));
    }
  });

  it("matches the Python helper on fixed vectors", () => {
    // computed by components.waveform.label_color; see tests/browser/test_component_python.py
    expect(labelColor("SPEECH")).toBe("#17becf");
    expect(labelColor("NOISE")).toBe("#ff7f0e");
    expect(labelColor("MUSIC")).toBe("#9467bd");
    expect(labelColor("trñ")).toBe("#d62728");
    expect(labelColor("LAUGHTER")).toBe("#393b79");
  });

  it("spreads common label sets over distinct colours", () => {
    const names = ["SPEECH", "NOISE", "MUSIC", "LAUGHTER"];
    expect(new Set(names.map(labelColor)).size).toBeGreaterThanOrEqual(3);
  });

  it("prefers the label's colour, then the theme's, then the hash", () => {
    const m = resolveLabelColors(
      [{ name: "A", color: "#123456" }, { name: "B" }, { name: "C" }],
      { B: "red", A: "blue" },
    );
    expect(m.get("A")).toBe("#123456");
    expect(m.get("B")).toBe("red");
    expect(m.get("C")).toBe(labelColor("C"));
  });

  it("makes translucent fills from any CSS colour", () => {
    expect(withAlpha("#ff0000", 0.25)).toBe("rgba(255, 0, 0, 0.25)");
    expect(withAlpha("red", 0.3)).toBe("color-mix(in srgb, red 30%, transparent)");
  });
});
