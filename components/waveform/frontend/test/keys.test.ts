import { describe, expect, it } from "vitest";
import { buildKeymap, eventCombo, isTextTarget, labelIndex, normalizeSpec } from "../src/keys";

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
