/**
 * Keyboard handling: key specs such as "ctrl+shift+z", "space", "+" are
 * normalised into combos; a KeyboardEvent is turned into the same form; the
 * keymap maps combos to actions. Defaults follow design.md and every action
 * can be remapped by the `keymap` setting.
 */

import { ANSWER_ACTIONS, type Action, type NamedAction } from "./actions";

export { ANSWER_ACTIONS, type Action };

/** Every named action has default keys (the type says so), and so do the first nine labels. */
export const DEFAULT_KEYMAP: Readonly<
  Record<NamedAction | `label_${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`, string[]>
> = {
  play_pause: ["space"],
  play_region: ["shift+space"],
  accept: ["a"],
  reject: ["x"],
  ignore: ["enter"],
  undo: ["backspace"],
  delete_region: ["delete"],
  undo_edit: ["ctrl+z"],
  redo_edit: ["ctrl+shift+z", "ctrl+y"],
  zoom_in: ["+", "="],
  zoom_out: ["-", "_"],
  vertical_zoom_in: ["shift+up"],
  vertical_zoom_out: ["shift+down"],
  seek_back: ["left"],
  seek_forward: ["right"],
  seek_back_long: ["shift+left"],
  seek_forward_long: ["shift+right"],
  rate_down: ["["],
  rate_up: ["]"],
  loop: ["l"],
  deselect: ["escape"],
  nudge_start_back: ["alt+left"],
  nudge_start_forward: ["alt+right"],
  nudge_end_back: ["alt+shift+left"],
  nudge_end_forward: ["alt+shift+right"],
  toggle_spectrogram: ["s"],
  mark_in: ["i"],
  mark_out: ["o"],
  select_next: ["tab"],
  select_previous: ["shift+tab"],
  region_from_span: ["r"],
  label_1: ["1"],
  label_2: ["2"],
  label_3: ["3"],
  label_4: ["4"],
  label_5: ["5"],
  label_6: ["6"],
  label_7: ["7"],
  label_8: ["8"],
  label_9: ["9"],
};

/**
 * Keys that move the focus between the page's controls: pressed on the page
 * (outside the frame) they stay the page's, whatever action they are bound to.
 */
export const PAGE_FOCUS_COMBOS: ReadonlySet<string> = new Set(["tab", "shift+tab"]);

const KEY_ALIASES: Record<string, string> = {
  " ": "space",
  spacebar: "space",
  arrowleft: "left",
  arrowright: "right",
  arrowup: "up",
  arrowdown: "down",
  esc: "escape",
  return: "enter",
  del: "delete",
  plus: "+",
  minus: "-",
};

const MODIFIER_ALIASES: Record<string, "ctrl" | "alt" | "shift"> = {
  ctrl: "ctrl",
  control: "ctrl",
  cmd: "ctrl",
  command: "ctrl",
  meta: "ctrl",
  mod: "ctrl",
  alt: "alt",
  option: "alt",
  shift: "shift",
};

/** A printable symbol whose shift state depends on the keyboard layout: shift is ignored for it. */
function isLayoutSymbol(key: string): boolean {
  return key.length === 1 && !/[a-z0-9]/i.test(key) && key !== " ";
}

function combo(mods: { ctrl: boolean; alt: boolean; shift: boolean }, key: string): string {
  const parts: string[] = [];
  if (mods.ctrl) parts.push("ctrl");
  if (mods.alt) parts.push("alt");
  if (mods.shift && !isLayoutSymbol(key)) parts.push("shift");
  parts.push(key);
  return parts.join("+");
}

/** Normalise a key spec ("Ctrl+Shift+Z", "Space", "+") into a combo, or null if empty. */
export function normalizeSpec(spec: string): string | null {
  const raw = spec.trim();
  if (!raw) return null;
  let tokens: string[];
  if (raw === "+") tokens = ["+"];
  else if (raw.endsWith("++")) tokens = [...raw.slice(0, -2).split("+"), "+"];
  else tokens = raw.split("+");
  const mods = { ctrl: false, alt: false, shift: false };
  let key = "";
  for (const t of tokens) {
    const lower = t.trim().toLowerCase();
    if (!lower && t !== " ") continue;
    const mod = MODIFIER_ALIASES[lower];
    if (mod && t !== tokens[tokens.length - 1]) mods[mod] = true;
    else key = KEY_ALIASES[lower] ?? (t === " " ? "space" : lower);
  }
  if (!key) return null;
  return combo(mods, key);
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** The combo of a keyboard event, or null for a lone modifier. */
export function eventCombo(e: KeyLike): string | null {
  const lower = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  if (["control", "shift", "alt", "meta", "os", "altgraph", "capslock", "dead", "unidentified"].includes(lower))
    return null;
  const key = KEY_ALIASES[lower] ?? lower;
  return combo({ ctrl: e.ctrlKey || e.metaKey, alt: e.altKey, shift: e.shiftKey }, key);
}

/**
 * Build the combo → action table. `overrides` maps an action to one key spec
 * or a list; an overridden action loses its default keys, and a key an
 * override claims is taken from whichever default action had it. Label keys
 * (`{name, key}`) bind `label_<index>` when given.
 */
export function buildKeymap(
  overrides: Record<string, string | string[] | null | undefined> = {},
  labelKeys: (string | null | undefined)[] = [],
): Map<string, string> {
  const actionKeys = new Map<string, string[]>();
  for (const [action, keys] of Object.entries(DEFAULT_KEYMAP)) actionKeys.set(action, [...keys]);
  const claimed = new Set<string>();
  const apply = (action: string, specs: string[]) => {
    const combos = specs.map(normalizeSpec).filter((c): c is string => c !== null);
    actionKeys.set(action, combos);
    combos.forEach((c) => claimed.add(c));
  };
  labelKeys.forEach((k, i) => {
    if (k) apply(`label_${i + 1}`, [k]);
  });
  for (const [action, keys] of Object.entries(overrides)) {
    if (keys === undefined) continue;
    const list = keys === null ? [] : Array.isArray(keys) ? keys : [keys];
    apply(action, list.map(String));
  }
  const explicit = new Set([
    ...Object.keys(overrides).filter((a) => overrides[a] !== undefined),
    ...labelKeys.map((k, i) => (k ? `label_${i + 1}` : "")).filter(Boolean),
  ]);
  const table = new Map<string, string>();
  // defaults first, then explicit bindings, so explicit ones win any conflict
  for (const [action, combos] of actionKeys) {
    if (explicit.has(action)) continue;
    for (const c of combos.map((s) => normalizeSpec(s) ?? s)) if (!claimed.has(c)) table.set(c, action);
  }
  for (const [action, combos] of actionKeys) {
    if (!explicit.has(action)) continue;
    for (const c of combos) table.set(c, action);
  }
  return table;
}

interface TargetLike {
  tagName?: string;
  isContentEditable?: boolean;
  type?: string;
}

const NON_TEXT_INPUTS = new Set(["button", "checkbox", "radio", "range", "color", "submit", "reset", "file", "image"]);

/** True when keys must not fire: the focus is in a text field (or any editable element). */
export function isTextTarget(target: TargetLike | null | undefined): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName || "").toUpperCase();
  if (tag === "TEXTAREA") return true;
  if (tag === "SELECT") return true;
  if (tag === "INPUT") return !NON_TEXT_INPUTS.has((target.type || "text").toLowerCase());
  return false;
}

/** The label index (0-based) of a `label_N` action, else null. */
export function labelIndex(action: string): number | null {
  const m = /^label_(\d+)$/.exec(action);
  return m ? Number(m[1]) - 1 : null;
}
