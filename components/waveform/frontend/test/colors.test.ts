import { describe, expect, it } from "vitest";
import { fnv1a, freeColor, labelColor, PALETTE, resolveLabelColors, textOn, withAlpha } from "../src/colors";

describe("label colours", () => {
  it("gives a label outside the list a colour no listed label has", () => {
    // NOISE and SPEAKER_1 hash to the same entry (15); the second takes the next one
    expect(labelColor("SPEAKER_1")).toBe(labelColor("NOISE"));
    const taken = new Set([labelColor("NOISE")]);
    expect(freeColor("SPEAKER_1", taken)).toBe("#e40072");
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

  it("gives a name the palette entry at its FNV-1a hash modulo 17", () => {
    // hashes computed by hand from the FNV-1a definition (offset 0x811c9dc5, prime 0x01000193)
    const known: [string, number, string][] = [
      ["SPEECH", 0x00d0b057, "#303c54"], // 13678679 % 17 = 12
      ["SPEAKER_A", 0x4178af32, "#fc0000"], // 2
      ["SPEAKER_B", 0x4078ad9f, "#603600"], // 6
      ["SPEAKER_0", 0x32789795, "#6636fc"], // 11
      ["A", 0xc40bf6cc, "#6636fc"], // 11
      ["<img src=x onerror=alert(1)>", 0x7f20c86f, "#6636fc"], // 11
    ];
    for (const [name, hash, color] of known) {
      expect(fnv1a(name)).toBe(hash);
      expect(hash % 17).toBe(PALETTE.indexOf(color));
      expect(labelColor(name)).toBe(color);
    }
    expect(PALETTE.length).toBe(17);
    expect(new Set(PALETTE).size).toBe(17);
  });

  it("keeps the colours Python gave the listed labels", () => {
    // Python colours the dataset's labels (label_colors: palette order, CIEDE2000 >= 20 apart)
    const listed = resolveLabelColors([
      { name: "SPEAKER_1", color: "#1f77b4" },
      { name: "SPEAKER_2", color: "#909c00" },
    ]);
    expect(Object.fromEntries(listed)).toEqual({ SPEAKER_1: "#1f77b4", SPEAKER_2: "#909c00" });
    // a label only a pre-annotation has takes the next colour no listed label has:
    // "SPEAKER_A" hashes to 2, free
    expect(freeColor("SPEAKER_A", new Set([...listed.values()]))).toBe("#fc0000");
    // "MUSIC" hashes to 1, taken: the next one
    expect(freeColor("MUSIC", new Set([...listed.values()]))).toBe("#fc0000");
    // the search wraps around the palette: "SPEAKER_1" hashes to 15, 15 and 16 taken
    expect(freeColor("SPEAKER_1", new Set(["#968ad8", "#e40072"]))).toBe("#1f77b4");
  });

  it("matches the Python helper on fixed vectors", () => {
    // computed by components.waveform.label_color; see tests/browser/test_component_python.py
    expect(labelColor("SPEECH")).toBe("#303c54");
    expect(labelColor("NOISE")).toBe("#968ad8");
    expect(labelColor("MUSIC")).toBe("#909c00");
    expect(labelColor("trñ")).toBe("#1f77b4");
    expect(labelColor("LAUGHTER")).toBe("#06482a");
  });

  it("spreads common label sets over distinct colours", () => {
    const names = ["SPEECH", "NOISE", "MUSIC", "LAUGHTER"];
    expect(new Set(names.map(labelColor)).size).toBeGreaterThanOrEqual(3);
  });

  it("writes chip text in black or white, whichever contrasts more with the colour", () => {
    expect(textOn("#1f77b4")).toBe("#fff");
    expect(textOn("#909c00")).toBe("#000");   // olive: white would be 3:1 only
    expect(textOn("#ffff00")).toBe("#000");
    expect(textOn("#303c54")).toBe("#fff");
    expect(textOn("red")).toBe("#fff");       // not six-digit hex: white, as before
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

  it("is the shared palette, in this order (components/waveform/__init__.py PALETTE)", () => {
    expect(PALETTE).toEqual([
      "#1f77b4", "#909c00", "#fc0000", "#720066", "#06482a", "#fc30fc", "#603600", "#00a290",
      "#a27e84", "#cc7e00", "#900c24", "#6636fc", "#303c54", "#7e7254", "#008424", "#968ad8",
      "#e40072",
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
