import { describe, expect, it } from "vitest";
import { TierOverlay } from "../src/tier_overlay";

describe("TierOverlay", () => {
  it("draws a stripe and a name per row, the other row unlabelled, names edged in their colour", () => {
    const overlay = new TierOverlay();
    const wave = document.createElement("div");
    overlay.attach(wave);
    overlay.attach(wave);
    expect(wave.children.length).toBe(2);
    overlay.draw(
      [
        { label: "SPK1", name: "SPK1" },
        { label: "<b>x</b>", name: "<b>x</b>" },
        { label: null, name: "other" },
      ],
      (label) => (label === "SPK1" ? "rgb(255, 0, 0)" : ""),
    );
    const stripes = [...overlay.stripes.children] as HTMLElement[];
    const slots = [...overlay.names.children] as HTMLElement[];
    expect(stripes.map((d) => d.className)).toEqual(["wf-tier", "wf-tier wf-tier-odd", "wf-tier wf-tier-other"]);
    expect(slots.map((d) => d.dataset.label ?? null)).toEqual(["SPK1", "<b>x</b>", null]);
    expect(slots.map((d) => d.textContent)).toEqual(["SPK1", "<b>x</b>", "other"]);
    expect(slots[1].querySelector("b")).toBe(null);
    expect((slots[0].firstChild as HTMLElement).style.borderLeftColor).toBe("rgb(255, 0, 0)");
    const tops = stripes.map((d) => parseFloat(d.style.top));
    expect(tops[0]).toBe(0);
    expect(tops[1]).toBeGreaterThan(tops[0]);
    expect(tops[2]).toBeGreaterThan(tops[1]);
    overlay.draw([{ label: "A", name: "A" }], () => "");
    expect(overlay.stripes.children.length).toBe(1);
    overlay.setHeight(240);
    expect(overlay.names.style.height).toBe("240px");
    overlay.show(false);
    expect(overlay.stripes.hidden && overlay.names.hidden).toBe(true);
  });
});
