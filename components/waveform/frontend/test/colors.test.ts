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
    // over the UTF-8 bytes, without normalisation: é (c3 a9) and e + combining acute (65 cc 81) differ
    expect(fnv1a("\u00e9")).toBe(0x1e9de8c1);
    expect(fnv1a("e\u0301")).toBe(0xfa9bc71f);
  });

  it("gives a name the palette entry at its FNV-1a hash modulo 16", () => {
    // hashes computed by hand from the FNV-1a definition (offset 0x811c9dc5, prime 0x01000193)
    const known: [string, number, string][] = [
      ["SPEECH", 0x00d0b057, "#17becf"], // 0x...7 -> 7, cyan
      ["SPEAKER_A", 0x4178af32, "#2ca02c"], // 2, green
      ["SPEAKER_B", 0x4078ad9f, "#637939"], // 15, moss
      ["SPEAKER_0", 0x32789795, "#8c564b"], // 5, brown
      ["A", 0xc40bf6cc, "#7b4173"], // 12, plum
      ["<img src=x onerror=alert(1)>", 0x7f20c86f, "#637939"], // 15
    ];
    for (const [name, hash, color] of known) {
      expect(fnv1a(name)).toBe(hash);
      expect(hash % 16).toBe(PALETTE.indexOf(color));
      expect(labelColor(name)).toBe(color);
    }
    expect(PALETTE.length).toBe(16);
    expect(new Set(PALETTE).size).toBe(16);
  });

  it("gives two labels of a dataset different colours, even when their names hash alike", () => {
    // SPEAKER_A and SPEAKER_1 both hash to index 2 (#2ca02c). Python colours the
    // dataset's labels (label_colors: the second takes the next free entry, #d62728)
    // and the editor keeps the colours it is given.
    const listed = resolveLabelColors([
      { name: "SPEAKER_A", color: "#2ca02c" },
      { name: "SPEAKER_1", color: "#d62728" },
    ]);
    expect(Object.fromEntries(listed)).toEqual({ SPEAKER_A: "#2ca02c", SPEAKER_1: "#d62728" });
    // a label only a pre-annotation has takes the next colour no listed label has:
    // "C" hashes to 2 as well; 2 and 3 are taken, so 4 (#9467bd)
    const taken = new Set([...listed.values()]);
    expect(freeColor("C", taken)).toBe("#9467bd");
    // one entry taken: the next one
    expect(freeColor("C", new Set(["#2ca02c"]))).toBe("#d62728");
    // the search wraps around the palette: "SPEAKER_B" hashes to the last entry (15)
    expect(freeColor("SPEAKER_B", new Set(["#637939"]))).toBe("#1f77b4");
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

  it("is the shared 16-colour palette, in this order (components/waveform/__init__.py PALETTE)", () => {
    expect(PALETTE).toEqual([
      "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
      "#bcbd22", "#393b79", "#e6550d", "#31a354", "#7b4173", "#3182bd", "#ad494a", "#637939",
    ]);
  });

  it("makes translucent fills of six-digit hex colours as rgba, clamping the opacity", () => {
    expect(withAlpha(" #1F77B4 ", 0.5)).toBe("rgba(31, 119, 180, 0.5)");
    expect(withAlpha("#000000", 2)).toBe("rgba(0, 0, 0, 1)");
    expect(withAlpha("#ffffff", -1)).toBe("rgba(255, 255, 255, 0)");
    expect(withAlpha("#ff000080", 0.5)).toBe("color-mix(in srgb, #ff000080 50%, transparent)");
    expect(withAlpha("x#ff0000", 0.5)).toBe("color-mix(in srgb, x#ff0000 50%, transparent)");
  });

  it("makes translucent fills from any CSS colour", () => {
    expect(withAlpha("#ff0000", 0.25)).toBe("rgba(255, 0, 0, 0.25)");
    expect(withAlpha("red", 0.3)).toBe("color-mix(in srgb, red 30%, transparent)");
  });
});
