import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TextPanel, type PanelRegion, type TextSpan } from "../src/text_panel";

const LABELS = [
  { name: "SPK1", color: "#1f77b4" },
  { name: "SPK2", color: "#ff7f0e" },
];
const REGIONS: PanelRegion[] = [
  { id: "r1", label: "SPK1", start: 1.2, end: 2.5, color: "#1f77b4" },
  { id: "r2", label: "SPK2", start: 3, end: 4.25, color: "#ff7f0e" },
];
const TEXT = "naïve 😀 café-au-lait don't, 12.5";
// tokens: naïve0 😀1 café-au-lait2 don't3 ,4 12(5) .6 5(7)

let host: HTMLElement;
let panel: TextPanel;
let changes: TextSpan[][];
let highlights: (string | null)[];

function make(labels = LABELS): TextPanel {
  panel?.destroy();
  changes = [];
  highlights = [];
  panel = new TextPanel(host, {
    labels,
    onChange: (spans) => changes.push(spans),
    onHighlightRegion: (id) => highlights.push(id),
  });
  return panel;
}

const tok = (i: number) => host.querySelector<HTMLElement>(`.tp-tok[data-i="${i}"]`)!;
const marks = () => [...host.querySelectorAll<HTMLElement>(".tp-span")];
const mouse = (el: Element, type: string, init: MouseEventInit = {}) =>
  el.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, button: 0, ...init }));
function drag(from: number, to: number): void {
  mouse(tok(from), "mousedown");
  const step = from <= to ? 1 : -1;
  for (let i = from; i !== to + step; i += step) {
    mouse(tok(i), "mouseover");
    mouse(tok(i), "mousemove");
  }
  mouse(tok(to), "mouseup");
}
function click(el: Element, init: MouseEventInit = {}): void {
  mouse(el, "mousedown", init);
  mouse(el, "mouseup", init);
  mouse(el, "click", init);
}
const key = (el: Element, k: string) =>
  el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
const root = () => host.querySelector<HTMLElement>(".tp")!;
/** The transcript as drawn: tokens and the text between them, without labels and buttons. */
function shownText(): string {
  const copy = host.querySelector(".tp-text")!.cloneNode(true) as HTMLElement;
  copy.querySelectorAll(".tp-label, .tp-link, .tp-tip, .tp-remove").forEach((el) => el.remove());
  return copy.textContent!;
}

beforeEach(() => {
  host = document.createElement("div");
  document.body.append(host);
  make();
});
afterEach(() => {
  panel.destroy();
  host.remove();
});

describe("drawing", () => {
  it("draws every token, and the text between them, as text", () => {
    panel.load(TEXT, [], REGIONS, true);
    expect(host.querySelectorAll(".tp-tok").length).toBe(8);
    expect(host.querySelector(".tp-text")!.textContent).toBe(TEXT);
    expect(tok(2).textContent).toBe("café-au-lait");
  });

  it("keeps line breaks and repeated spaces of the transcript", () => {
    panel.load("one  two\nthree", [], [], true);
    expect(host.querySelector(".tp-text")!.textContent).toBe("one  two\nthree");
  });

  it("shows a span in its label's colour with its label", () => {
    panel.load(TEXT, [{ start: 8, end: 20, token_start: 2, token_end: 2, label: "SPK2" }], REGIONS, true);
    const [m] = marks();
    expect(m.querySelector(".tp-words")!.textContent).toBe("café-au-lait");
    expect(m.querySelector(".tp-label")!.textContent).toBe("SPK2");
    expect(m.style.getPropertyValue("--tp-color")).toBe("#ff7f0e");
    expect(changes).toEqual([]); // a clean load is not an edit
  });

  it("puts user strings in the DOM as text, never as markup", () => {
    const evil = "<img src=x onerror=alert(1)>";
    make([{ name: evil, color: "#123456" }]);
    const regions = [{ id: "r1", label: evil, start: 0, end: 1, color: "#000000" }];
    panel.load(`${evil} and <b>bold</b>`, [{ start: 0, end: 4, token_start: 0, token_end: 0, label: evil, audio_span_id: "r1" }], regions, true);
    expect(host.querySelector("img")).toBe(null);
    expect(host.querySelector("b")).toBe(null);
    expect(marks()[0].querySelector(".tp-label")!.textContent).toBe(evil);
    expect(marks()[0].querySelector(".tp-tip")!.textContent).toBe(`${evil} 0.00–1.00 s`);
    expect(host.querySelector(".tp-hint-label")!.textContent).toBe(evil);
    expect(host.querySelector(".tp-text")!.textContent).toContain("<b>bold</b>");
  });
});

describe("making spans with the mouse", () => {
  beforeEach(() => panel.load(TEXT, [], REGIONS, true));

  it("a drag over three tokens gives one span with Python's offsets (code points)", () => {
    drag(1, 3);
    const expected = { start: 6, end: 26, token_start: 1, token_end: 3, label: "SPK1" };
    expect(panel.spans()).toEqual([expected]);
    expect(changes).toEqual([[expected]]);
    expect(marks()[0].querySelector(".tp-words")!.textContent).toBe("😀 café-au-lait don't");
    expect(shownText()).toBe(TEXT);
  });

  it("a drag backwards gives the same span, with the active label", () => {
    panel.setActiveLabel("SPK2");
    drag(7, 5);
    expect(panel.spans()).toEqual([{ start: 28, end: 32, token_start: 5, token_end: 7, label: "SPK2" }]);
  });

  it("marks the tokens under the drag while it goes on, and unmarks them after", () => {
    mouse(tok(2), "mousedown");
    mouse(tok(4), "mouseover");
    expect([0, 1, 2, 3, 4, 5].map((i) => tok(i).classList.contains("tp-drag"))).toEqual([false, false, true, true, true, false]);
    mouse(tok(3), "mouseover");
    expect(tok(4).classList.contains("tp-drag")).toBe(false);
    expect(changes).toEqual([]); // nothing is made while dragging
    window.dispatchEvent(new MouseEvent("mouseup")); // released outside the panel
    expect(panel.spans().map((s) => [s.token_start, s.token_end])).toEqual([[2, 3]]);
    expect(host.querySelectorAll(".tp-drag").length).toBe(0);
  });

  it("a click on one token makes a one-token span", () => {
    click(tok(0));
    expect(panel.spans()).toEqual([{ start: 0, end: 5, token_start: 0, token_end: 0, label: "SPK1" }]);
  });

  it("shift+click extends the selected span, keeping its label", () => {
    panel.setActiveLabel("SPK2");
    click(tok(2)); // SPK2 span over token 2, selected
    panel.setActiveLabel("SPK1");
    click(tok(4), { shiftKey: true });
    expect(panel.spans()).toEqual([{ start: 8, end: 27, token_start: 2, token_end: 4, label: "SPK2" }]);
    click(tok(0), { shiftKey: true });
    expect(panel.spans()).toEqual([{ start: 0, end: 27, token_start: 0, token_end: 4, label: "SPK2" }]);
  });

  it("shift+click with nothing selected spans from the last token clicked", () => {
    click(tok(1));
    click(marks()[0].querySelector(".tp-remove")!); // removed: nothing selected now
    expect(panel.spans()).toEqual([]);
    click(tok(3), { shiftKey: true });
    expect(panel.spans().map((s) => [s.token_start, s.token_end])).toEqual([[1, 3]]);
  });

  it("a new span over existing ones replaces them", () => {
    drag(0, 1);
    drag(3, 4);
    panel.setActiveLabel("SPK2");
    drag(1, 3);
    expect(panel.spans()).toEqual([{ start: 6, end: 26, token_start: 1, token_end: 3, label: "SPK2" }]);
    expect(marks().length).toBe(1);
  });

  it("does nothing when not editable", () => {
    panel.load(TEXT, [], REGIONS, false);
    drag(0, 2);
    click(tok(3));
    expect(panel.spans()).toEqual([]);
    expect(changes).toEqual([]);
    expect(host.querySelector(".tp-remove")).toBe(null);
  });
});

describe("selecting, removing, linking", () => {
  const linkedAndNot: TextSpan[] = [
    { start: 0, end: 5, token_start: 0, token_end: 0, label: "SPK1", audio_span_id: "r1" },
    { start: 8, end: 20, token_start: 2, token_end: 2, label: "SPK2" },
  ];
  beforeEach(() => panel.load(TEXT, linkedAndNot, REGIONS, true));

  it("a click on a span selects it without changing the spans", () => {
    click(tok(2));
    expect(marks()[1].classList.contains("tp-selected")).toBe(true);
    expect(marks()[0].classList.contains("tp-selected")).toBe(false);
    expect(changes).toEqual([]);
    click(marks()[0].querySelector(".tp-label")!); // its label selects it too
    expect(marks()[0].classList.contains("tp-selected")).toBe(true);
  });

  it("click a span, then linkSelected: the link is stored on the span", () => {
    expect(panel.linkSelected("r2")).toBe(false); // nothing selected
    click(tok(2));
    expect(panel.linkSelected("nope")).toBe(false); // no such region
    expect(panel.linkSelected("r2")).toBe(true);
    expect(panel.spans()[1]).toEqual({ start: 8, end: 20, token_start: 2, token_end: 2, label: "SPK2", audio_span_id: "r2" });
    expect(changes.length).toBe(1);
    expect(changes[0][1].audio_span_id).toBe("r2");
    // the selection ends with the link: a second region click does not relink
    expect(panel.linkSelected("r1")).toBe(false);
    const m = marks()[1];
    expect(m.classList.contains("tp-linked")).toBe(true);
    expect(m.querySelector(".tp-tip")!.textContent).toBe("SPK2 3.00–4.25 s");
    expect(m.querySelector<HTMLElement>(".tp-link")!.style.getPropertyValue("--tp-region")).toBe("#ff7f0e");
  });

  it("a newly made span is selected, so the next region chosen links it", () => {
    drag(5, 7);
    expect(panel.linkSelected("r2")).toBe(true);
    expect(panel.spans()[2]).toEqual({ start: 28, end: 32, token_start: 5, token_end: 7, label: "SPK1", audio_span_id: "r2" });
  });

  it("delete and backspace remove the selected span when the focus is in the panel", () => {
    click(tok(2));
    const ev = new KeyboardEvent("keydown", { key: "Delete", bubbles: true, cancelable: true });
    root().dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    expect(panel.spans().map((s) => s.label)).toEqual(["SPK1"]);
    click(tok(0));
    key(root(), "Backspace");
    expect(panel.spans()).toEqual([]);
    expect(changes.length).toBe(2);
  });

  it("delete in the panel does not reach the editor's key handler", () => {
    let reached = 0;
    const listener = () => reached++;
    document.addEventListener("keydown", listener, true); // as editor.ts listens
    click(tok(2));
    key(root(), "Backspace");
    expect(panel.spans().length).toBe(1);
    expect(reached).toBe(0);
    key(root(), "Backspace"); // nothing selected now: the key goes on to the editor (undo)
    expect(reached).toBe(1);
    expect(panel.spans().length).toBe(1);
    document.removeEventListener("keydown", listener, true);
  });

  it("keys outside the panel, or in a text field, leave the spans alone", () => {
    const field = document.createElement("textarea");
    document.body.append(field);
    click(tok(2));
    key(field, "Delete");
    key(document.body, "Backspace");
    expect(panel.spans().length).toBe(2);
    field.remove();
  });

  it("escape clears the selection", () => {
    click(tok(2));
    key(root(), "Escape");
    expect(host.querySelectorAll(".tp-selected").length).toBe(0);
    key(root(), "Delete");
    expect(panel.spans().length).toBe(2);
  });

  it("the × button removes its span, and the focus stays in the panel", () => {
    click(marks()[1].querySelector(".tp-remove")!);
    expect(panel.spans().map((s) => s.label)).toEqual(["SPK1"]);
    expect(changes).toEqual([[linkedAndNot[0]]]);
    expect(document.activeElement).toBe(root());
    expect(marks()[0].querySelector<HTMLElement>(".tp-remove")!.tabIndex).toBe(-1);
  });

  it("the link mark unlinks its span", () => {
    click(marks()[0].querySelector(".tp-link")!);
    expect(panel.spans()[0]).toEqual({ start: 0, end: 5, token_start: 0, token_end: 0, label: "SPK1" });
    expect(changes.length).toBe(1);
    expect(host.querySelector(".tp-link")).toBe(null);
  });
});

describe("highlighting both ways", () => {
  const spans: TextSpan[] = [
    { start: 0, end: 5, token_start: 0, token_end: 0, label: "SPK1", audio_span_id: "r1" },
    { start: 8, end: 20, token_start: 2, token_end: 2, label: "SPK2" },
    { start: 28, end: 32, token_start: 5, token_end: 7, label: "SPK1", audio_span_id: "r1" },
  ];
  beforeEach(() => panel.load(TEXT, spans, REGIONS, true));

  it("hovering a linked span highlights its region; leaving it ends that", () => {
    mouse(tok(0), "mouseover");
    expect(highlights).toEqual(["r1"]);
    mouse(tok(0), "mousemove"); // no repeats while the pointer stays
    expect(highlights).toEqual(["r1"]);
    mouse(tok(2), "mouseover"); // an unlinked span
    expect(highlights).toEqual(["r1", null]);
    mouse(tok(5), "mouseover");
    root().dispatchEvent(new MouseEvent("mouseleave"));
    expect(highlights).toEqual(["r1", null, "r1", null]);
  });

  it("selecting a linked span highlights its region until it is deselected", () => {
    click(tok(6));
    expect(highlights).toEqual(["r1"]);
    root().dispatchEvent(new MouseEvent("mouseleave"));
    expect(highlights).toEqual(["r1"]); // still selected
    key(root(), "Escape");
    expect(highlights).toEqual(["r1", null]);
  });

  it("a read-only panel still highlights: hover and click select, nothing changes", () => {
    panel.load(TEXT, spans, REGIONS, false);
    mouse(tok(0), "mouseover");
    click(tok(6));
    root().dispatchEvent(new MouseEvent("mouseleave"));
    expect(highlights).toEqual(["r1"]);
    expect(marks()[2].classList.contains("tp-selected")).toBe(true);
    key(root(), "Delete");
    expect(panel.linkSelected("r2")).toBe(false);
    expect(panel.spans()).toEqual(spans);
    expect(changes).toEqual([]);
    expect(host.querySelector(".tp-link")!.tagName).toBe("SPAN"); // no unlink button
  });

  it("highlightRegion marks every span linked to the region, and only those", () => {
    panel.highlightRegion("r1");
    expect(marks().map((m) => m.classList.contains("tp-hl"))).toEqual([true, false, true]);
    panel.highlightRegion("r2");
    expect(marks().map((m) => m.classList.contains("tp-hl"))).toEqual([false, false, false]);
    panel.highlightRegion(null);
    expect(host.querySelectorAll(".tp-hl").length).toBe(0);
    expect(highlights).toEqual([]); // no echo back to the waveform
  });
});

describe("text and region changes", () => {
  const spans: TextSpan[] = [
    { start: 0, end: 5, token_start: 0, token_end: 0, label: "SPK1", audio_span_id: "r1" }, // naïve
    { start: 8, end: 20, token_start: 2, token_end: 2, label: "SPK2" }, // café-au-lait
    { start: 28, end: 32, token_start: 5, token_end: 7, label: "SPK1", audio_span_id: "r2" }, // 12.5
  ];
  beforeEach(() => panel.load(TEXT, spans, REGIONS, true));

  it("setText keeps spans whose words are unchanged and drops the others, saying so", () => {
    panel.setText("naïve 😀 café-au-lait do not, 12.75");
    expect(panel.spans()).toEqual(spans.slice(0, 2));
    expect(changes).toEqual([spans.slice(0, 2)]);
    const status = host.querySelector<HTMLElement>(".tp-status")!;
    expect(status.hidden).toBe(false);
    expect(status.textContent).toContain("1 span dropped");
    expect(status.textContent).toContain("SPK1 “12.5”");
    expect(shownText()).toBe("naïve 😀 café-au-lait do not, 12.75");
  });

  it("setText moves spans after an edit with their words", () => {
    panel.setText("so naïve 😀 café-au-lait don't, 12.5");
    expect(shownText()).toBe("so naïve 😀 café-au-lait don't, 12.5");
    expect(panel.spans()).toEqual([
      { start: 3, end: 8, token_start: 1, token_end: 1, label: "SPK1", audio_span_id: "r1" },
      { start: 11, end: 23, token_start: 3, token_end: 3, label: "SPK2" },
      { start: 31, end: 35, token_start: 6, token_end: 8, label: "SPK1", audio_span_id: "r2" },
    ]);
    expect(host.querySelector<HTMLElement>(".tp-status")!.hidden).toBe(true);
    expect(marks().map((m) => m.querySelector(".tp-words")!.textContent)).toEqual(["naïve", "café-au-lait", "12.5"]);
  });

  it("setText with the same text changes nothing", () => {
    panel.setText(TEXT);
    expect(changes).toEqual([]);
  });

  it("setRegions drops a link to a removed region and says so", () => {
    panel.setRegions([REGIONS[1]]);
    expect(panel.spans()[0]).not.toHaveProperty("audio_span_id");
    expect(panel.spans()[2].audio_span_id).toBe("r2");
    expect(changes.length).toBe(1);
    expect(host.querySelector(".tp-status")!.textContent).toContain("1 link dropped");
    panel.setRegions([{ ...REGIONS[1], label: "SPK9", start: 5 }]); // moved and relabelled: the tip follows
    expect(changes.length).toBe(1);
    expect(marks()[2].querySelector(".tp-tip")!.textContent).toBe("SPK9 5.00–4.25 s");
  });

  it("load fits stored spans to the tokens and reports what it changed", () => {
    make();
    panel.load(
      TEXT,
      [
        { start: 9, end: 12, token_start: 0, token_end: 0, label: "SPK1" }, // inside café-au-lait
        { start: 10, end: 26, token_start: 2, token_end: 3, label: "SPK2" }, // overlaps the first
        { start: 28, end: 30, token_start: 5, token_end: 5, label: "SPK1", audio_span_id: "gone" },
      ],
      REGIONS,
      true,
    );
    expect(panel.spans()).toEqual([
      { start: 8, end: 20, token_start: 2, token_end: 2, label: "SPK1" },
      { start: 28, end: 30, token_start: 5, token_end: 5, label: "SPK1" },
    ]);
    expect(changes.length).toBe(1);
    const status = host.querySelector(".tp-status")!.textContent!;
    expect(status).toContain("1 span moved onto whole words");
    expect(status).toContain("1 span left out");
    expect(status).toContain("1 link to a missing region dropped");
  });

  it("a label not in the list gets a colour of its own", () => {
    make();
    panel.load(TEXT, [{ start: 0, end: 5, token_start: 0, token_end: 0, label: "OTHER" }], [], true);
    const color = marks()[0].style.getPropertyValue("--tp-color");
    expect(color).toMatch(/^#[0-9a-f]{6}$/);
    expect(color).not.toBe("");
  });

  it("destroy removes the panel and its window listeners", () => {
    click(tok(2));
    panel.destroy();
    expect(host.querySelector(".tp")).toBe(null);
    const count = panel.spans().length;
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Delete" }));
    expect(panel.spans().length).toBe(count);
  });
});
