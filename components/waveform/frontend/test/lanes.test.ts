import { describe, expect, it } from "vitest";
import { drawnLabel } from "../src/lanes";

describe("drawnLabel", () => {
  const labels = [{ name: "speech" }, { name: "music" }];

  it("gives a region drawn on a listed label's row that label", () => {
    expect(drawnLabel("music", labels, "speech")).toBe("music");
    expect(drawnLabel("speech", labels, "speech")).toBe("speech");
  });

  it("gives the active label off the rows, on the other row, or with no labels", () => {
    expect(drawnLabel(null, labels, "speech")).toBe("speech");
    expect(drawnLabel("laughter", labels, "music")).toBe("music");
    expect(drawnLabel("music", undefined, "speech")).toBe("speech");
    expect(drawnLabel("music", [], "")).toBe("");
  });
});
