import { describe, expect, it } from "vitest";
import { ANSWER_ACTIONS, buildKeymap, eventCombo, isTextTarget, labelIndex, normalizeSpec, PAGE_FOCUS_COMBOS } from "../src/keys";

const ev = (key: string, mods: Partial<{ ctrl: boolean; shift: boolean; alt: boolean; meta: boolean }> = {}) => ({
  key,
  ctrlKey: !!mods.ctrl,
  shiftKey: !!mods.shift,
  altKey: !!mods.alt,
  metaKey: !!mods.meta,
});

describe("key specs and events", () => {
  it("normalises specs", () => {
    expect(normalizeSpec("Ctrl+Shift+Z")).toBe("ctrl+shift+z");
    expect(normalizeSpec("space")).toBe("space");
    expect(normalizeSpec(" ")).toBe(null);
    expect(normalizeSpec("+")).toBe("+");
    expect(normalizeSpec("ctrl++")).toBe("ctrl++");
    expect(normalizeSpec("cmd+z")).toBe("ctrl+z");
    expect(normalizeSpec("ArrowLeft")).toBe("left");
    expect(normalizeSpec("shift+left")).toBe("shift+left");
    expect(normalizeSpec("Enter")).toBe("enter");
  });

  it("turns events into the same combos", () => {
    expect(eventCombo(ev(" "))).toBe("space");
    expect(eventCombo(ev("Z", { ctrl: true, shift: true }))).toBe("ctrl+shift+z");
    expect(eventCombo(ev("z", { meta: true }))).toBe("ctrl+z");
    expect(eventCombo(ev("+", { shift: true }))).toBe("+"); // shift is part of typing "+"
    expect(eventCombo(ev("ArrowRight", { shift: true }))).toBe("shift+right");
    expect(eventCombo(ev("Shift", { shift: true }))).toBe(null);
    expect(eventCombo(ev("Backspace"))).toBe("backspace");
  });
});

describe("keymap", () => {
  it("has the defaults of design.md", () => {
    const km = buildKeymap();
    expect(km.get("space")).toBe("play_pause");
    expect(km.get("a")).toBe("accept");
    expect(km.get("x")).toBe("reject");
    expect(km.get("enter")).toBe("ignore");
    expect(km.get("backspace")).toBe("undo");
    expect(km.get("delete")).toBe("delete_region");
    expect(km.get("1")).toBe("label_1");
    expect(km.get("9")).toBe("label_9");
    expect(km.get("ctrl+z")).toBe("undo_edit");
    expect(km.get("ctrl+shift+z")).toBe("redo_edit");
    expect(km.get("+")).toBe("zoom_in");
    expect(km.get("-")).toBe("zoom_out");
    expect(km.get("left")).toBe("seek_back");
    expect(km.get("shift+right")).toBe("seek_forward_long");
    expect(km.get("[")).toBe("rate_down");
    expect(km.get("]")).toBe("rate_up");
    expect(km.get("l")).toBe("loop");
  });

  it("remaps: an overridden action loses its defaults, a claimed key leaves its old action", () => {
    const km = buildKeymap({ accept: "k", reject: ["a", "shift+x"] });
    expect(km.get("k")).toBe("accept");
    expect(km.get("a")).toBe("reject");
    expect(km.get("shift+x")).toBe("reject");
    expect(km.get("x")).toBe(undefined);
    const none = buildKeymap({ play_pause: null });
    expect(none.get("space")).toBe(undefined);
  });

  it("binds label keys given with the labels", () => {
    const km = buildKeymap({}, ["s", null, "a"]);
    expect(km.get("s")).toBe("label_1");
    expect(km.get("1")).toBe(undefined);
    expect(km.get("2")).toBe("label_2");
    expect(km.get("a")).toBe("label_3"); // the label's own key wins over the default accept
    expect(labelIndex("label_3")).toBe(2);
    expect(labelIndex("accept")).toBe(null);
  });

  it("never fires in text fields", () => {
    expect(isTextTarget({ tagName: "INPUT", type: "text" })).toBe(true);
    expect(isTextTarget({ tagName: "INPUT" })).toBe(true);
    expect(isTextTarget({ tagName: "INPUT", type: "range" })).toBe(false);
    expect(isTextTarget({ tagName: "TEXTAREA" })).toBe(true);
    expect(isTextTarget({ tagName: "DIV", isContentEditable: true })).toBe(true);
    expect(isTextTarget({ tagName: "BUTTON" })).toBe(false);
    expect(isTextTarget(null)).toBe(false);
  });
});

describe("the whole default keymap", () => {
  it("binds exactly these keys (design.md, plus = and _ for zoom on layouts without a shift-free + and -)", () => {
    expect(Object.fromEntries(buildKeymap())).toEqual({
      space: "play_pause",
      "shift+space": "play_region",
      a: "accept",
      x: "reject",
      enter: "ignore",
      backspace: "undo",
      delete: "delete_region",
      "ctrl+z": "undo_edit",
      "ctrl+shift+z": "redo_edit",
      "ctrl+y": "redo_edit",
      "+": "zoom_in",
      "=": "zoom_in",
      "-": "zoom_out",
      _: "zoom_out",
      "shift+up": "vertical_zoom_in",
      "shift+down": "vertical_zoom_out",
      left: "seek_back",
      right: "seek_forward",
      "shift+left": "seek_back_long",
      "shift+right": "seek_forward_long",
      "[": "rate_down",
      "]": "rate_up",
      l: "loop",
      escape: "deselect",
      "alt+left": "nudge_start_back",
      "alt+right": "nudge_start_forward",
      "alt+shift+left": "nudge_end_back",
      "alt+shift+right": "nudge_end_forward",
      s: "toggle_spectrogram",
      i: "mark_in",
      o: "mark_out",
      tab: "select_next",
      "shift+tab": "select_previous",
      r: "region_from_span",
      "1": "label_1",
      "2": "label_2",
      "3": "label_3",
      "4": "label_4",
      "5": "label_5",
      "6": "label_6",
      "7": "label_7",
      "8": "label_8",
      "9": "label_9",
    });
  });

  it("forwards exactly the answer keys to Python", () => {
    expect([...ANSWER_ACTIONS].sort()).toEqual(["accept", "ignore", "reject", "undo"]);
  });
});

describe("key spec spellings", () => {
  it("accepts the usual names of keys", () => {
    const spelled: [string, string][] = [
      ["Spacebar", "space"],
      ["ArrowUp", "up"],
      ["ArrowDown", "down"],
      ["ArrowRight", "right"],
      ["Esc", "escape"],
      ["Return", "enter"],
      ["Del", "delete"],
      ["plus", "+"],
      ["minus", "-"],
      ["ctrl+plus", "ctrl++"],
    ];
    for (const [spec, combo] of spelled) expect([spec, normalizeSpec(spec)]).toEqual([spec, combo]);
  });

  it("accepts the usual names of modifiers, in any case and spacing", () => {
    for (const m of ["ctrl", "Control", "cmd", "Command", "meta", "mod"]) expect(normalizeSpec(`${m}+k`)).toBe("ctrl+k");
    expect(normalizeSpec("alt+k")).toBe("alt+k");
    expect(normalizeSpec("Option+k")).toBe("alt+k");
    expect(normalizeSpec(" Ctrl + K ")).toBe("ctrl+k");
    expect(normalizeSpec("shift+alt+ctrl+k")).toBe("ctrl+alt+shift+k"); // one order, whatever the spelling
    expect(normalizeSpec("alt+shift+right")).toBe("alt+shift+right");
  });

  it("reads a lone modifier name as the key itself, and a spec without a key as nothing", () => {
    expect(normalizeSpec("shift")).toBe("shift");
    expect(normalizeSpec("ctrl+shift")).toBe("ctrl+shift");
    expect(normalizeSpec("ctrl+")).toBe(null);
    expect(normalizeSpec("")).toBe(null);
  });

  it("keeps shift for letters, digits and named keys, drops it for layout symbols", () => {
    expect(normalizeSpec("shift+a")).toBe("shift+a");
    expect(normalizeSpec("shift+1")).toBe("shift+1");
    expect(normalizeSpec("shift+[")).toBe("[");
    expect(eventCombo(ev("A", { shift: true }))).toBe("shift+a");
    expect(eventCombo(ev("!", { shift: true }))).toBe("!");
    expect(eventCombo(ev("Enter", { shift: true }))).toBe("shift+enter");
  });
});

describe("keyboard events", () => {
  it("are named like the specs, modifiers included", () => {
    expect(eventCombo(ev("ArrowLeft", { alt: true }))).toBe("alt+left");
    expect(eventCombo(ev("ArrowLeft", { alt: true, shift: true }))).toBe("alt+shift+left");
    expect(eventCombo(ev("ArrowUp"))).toBe("up");
    expect(eventCombo(ev("Escape"))).toBe("escape");
    expect(eventCombo(ev("Delete"))).toBe("delete");
    expect(eventCombo(ev("y", { ctrl: true, meta: true }))).toBe("ctrl+y");
  });

  it("are nothing for a key that only modifies or composes", () => {
    for (const key of ["Control", "Shift", "Alt", "Meta", "OS", "AltGraph", "CapsLock", "Dead", "Unidentified"])
      expect([key, eventCombo(ev(key))]).toEqual([key, null]);
  });
});

describe("remapping", () => {
  it("normalises override specs and keeps untouched actions", () => {
    const km = buildKeymap({ loop: "Shift+L", redo_edit: ["Ctrl+Shift+Z"] });
    expect(km.get("shift+l")).toBe("loop");
    expect(km.get("l")).toBe(undefined);
    expect(km.get("ctrl+shift+z")).toBe("redo_edit");
    expect(km.get("ctrl+y")).toBe(undefined); // an overridden action loses all its defaults
    expect(km.get("space")).toBe("play_pause");
  });

  it("skips empty specs and actions left undefined", () => {
    const km = buildKeymap({ accept: ["", "k"], reject: undefined });
    expect(km.get("k")).toBe("accept");
    expect(km.get("a")).toBe(undefined);
    expect(km.get("x")).toBe("reject");
    expect([...km.keys()]).not.toContain("");
  });

  it("gives a key claimed by an override to it, even when another default had it", () => {
    // "space" is play_pause's default; claimed by accept it no longer plays
    const km = buildKeymap({ accept: "space" });
    expect(km.get("space")).toBe("accept");
    expect([...km.entries()].filter(([, a]) => a === "play_pause")).toEqual([]);
    // a label key claims a digit from another label's default
    const labels = buildKeymap({}, [null, "1"]);
    expect(labels.get("1")).toBe("label_2");
    expect([...labels.entries()].filter(([, a]) => a === "label_1")).toEqual([]);
  });

  it("reads only label_<number> as a label action", () => {
    expect(labelIndex("label_1")).toBe(0);
    expect(labelIndex("label_12")).toBe(11);
    expect(labelIndex("label_")).toBe(null);
    expect(labelIndex("label_1x")).toBe(null);
    expect(labelIndex("xlabel_1")).toBe(null);
  });
});

describe("text fields", () => {
  it("are every input that takes text, select boxes and editable elements", () => {
    for (const type of ["text", "search", "email", "number", "password", "url", "TEXT"])
      expect([type, isTextTarget({ tagName: "input", type })]).toEqual([type, true]);
    for (const type of ["button", "checkbox", "radio", "range", "color", "submit", "reset", "file", "image"])
      expect([type, isTextTarget({ tagName: "INPUT", type })]).toEqual([type, false]);
    expect(isTextTarget({ tagName: "select" })).toBe(true);
    expect(isTextTarget({ tagName: "textarea" })).toBe(true);
    expect(isTextTarget({})).toBe(false);
    expect(isTextTarget(undefined)).toBe(false);
  });
});

describe("remapping, exactly", () => {
  const bound = (km: Map<string, string>, action: string) => [...km.entries()].filter(([, a]) => a === action).map(([c]) => c);

  it("binds nothing for an action mapped to null or to empty specs", () => {
    const km = buildKeymap({ play_pause: null, accept: ["", "k", " "] });
    expect(bound(km, "play_pause")).toEqual([]);
    expect(bound(km, "accept")).toEqual(["k"]);
  });

  it("lets an earlier action take a later action's key", () => {
    // play_pause comes before accept in the defaults: accept must still lose "a"
    const km = buildKeymap({ play_pause: "a" });
    expect(bound(km, "play_pause")).toEqual(["a"]);
    expect(bound(km, "accept")).toEqual([]);
  });

  it("treats an action left undefined as not overridden: it keeps only its unclaimed defaults", () => {
    const km = buildKeymap({ accept: "x", reject: undefined });
    expect(km.get("x")).toBe("accept");
    expect(bound(km, "reject")).toEqual([]);
  });
});

describe("keyboard-only regions", () => {
  it("binds marks and region selection, remappably", () => {
    const km = buildKeymap();
    expect(km.get(eventCombo(ev("i"))!)).toBe("mark_in");
    expect(km.get(eventCombo(ev("o"))!)).toBe("mark_out");
    expect(eventCombo(ev("Tab"))).toBe("tab");
    expect(eventCombo(ev("Tab", { shift: true }))).toBe("shift+tab");
    expect(km.get(eventCombo(ev("Tab"))!)).toBe("select_next");
    expect(km.get(eventCombo(ev("Tab", { shift: true }))!)).toBe("select_previous");
    expect(km.get(eventCombo(ev("I", { shift: true }))!)).toBe(undefined); // shift+i is not i
    const remapped = buildKeymap({ mark_in: "[", mark_out: "]", select_next: "n", select_previous: ["p", "shift+n"] });
    expect(remapped.get("[")).toBe("mark_in");
    expect(remapped.get("]")).toBe("mark_out");
    expect(remapped.get("i")).toBe(undefined);
    expect(remapped.get("tab")).toBe(undefined);
    expect(remapped.get("n")).toBe("select_next");
    expect(remapped.get("shift+n")).toBe("select_previous");
    expect(remapped.get("p")).toBe("select_previous");
    // a key the marks take leaves the rate keys that had it
    expect([...remapped.values()]).not.toContain("rate_down");
  });

  it("a label whose key is i or o takes it from the marks", () => {
    const km = buildKeymap({}, ["i", "o"]);
    expect(km.get("i")).toBe("label_1");
    expect(km.get("o")).toBe("label_2");
    expect([...km.values()]).not.toContain("mark_in");
  });

  it("leaves tab on the page to the page's focus", () => {
    expect([...PAGE_FOCUS_COMBOS].sort()).toEqual(["shift+tab", "tab"]);
  });
});

describe("vertical zoom keys", () => {
  it("are shift+up / shift+down, remappable through keymap", () => {
    expect(buildKeymap().get("shift+up")).toBe("vertical_zoom_in");
    expect(buildKeymap().get("shift+down")).toBe("vertical_zoom_out");
    const km = buildKeymap({ vertical_zoom_in: "ctrl+up", vertical_zoom_out: ["ctrl+down", "v"] });
    expect(km.get("ctrl+up")).toBe("vertical_zoom_in");
    expect(km.get("v")).toBe("vertical_zoom_out");
    expect(km.has("shift+up")).toBe(false);
  });
});
