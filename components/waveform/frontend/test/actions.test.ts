import { describe, expect, it } from "vitest";
import { ACTIONS, ANSWER_ACTIONS, isAnswerAction, isNamedAction } from "../src/actions";
import { buildKeymap, DEFAULT_KEYMAP, labelIndex } from "../src/keys";

describe("actions", () => {
  it("names each action once, and every one has default keys", () => {
    expect(new Set(ACTIONS).size).toBe(ACTIONS.length);
    for (const a of ACTIONS) expect(DEFAULT_KEYMAP[a].length).toBeGreaterThan(0);
  });

  it("the default keymap binds only named actions and label_1..label_9", () => {
    const bound = new Set(buildKeymap().values());
    for (const a of bound) expect(isNamedAction(a) || labelIndex(a) !== null).toBe(true);
    for (const a of ACTIONS) expect(bound.has(a)).toBe(true);
    for (let i = 1; i <= 9; i++) expect(bound.has(`label_${i}`)).toBe(true);
  });

  it("tells named actions from anything else", () => {
    expect(isNamedAction("mark_in")).toBe(true);
    expect(isNamedAction("label_1")).toBe(false);
    expect(isNamedAction("toString")).toBe(false);
    expect(isNamedAction("")).toBe(false);
  });

  it("answer actions are the four answers, all named", () => {
    expect([...ANSWER_ACTIONS].sort()).toEqual(["accept", "ignore", "reject", "undo"]);
    for (const a of ANSWER_ACTIONS) expect(isNamedAction(a)).toBe(true);
    expect(isAnswerAction("accept")).toBe(true);
    expect(isAnswerAction("play_pause")).toBe(false);
  });
});
