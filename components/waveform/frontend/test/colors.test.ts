import { describe, expect, it } from "vitest";
import { fnv1a, labelColor, PALETTE, resolveLabelColors, withAlpha } from "../src/colors";

describe("label colours", () => {
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
