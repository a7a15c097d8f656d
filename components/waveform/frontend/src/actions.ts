/**
 * The editor's actions: the names a key (keys.ts, the `keymap` setting) or a
 * control can invoke. The editor runs them from a table, one handler per
 * name (`ActionTable`), rather than from a switch: a name added here without
 * a handler does not type-check.
 */

/** Every action with a fixed name, in the order of design.md's keys section. */
export const ACTIONS = [
  "play_pause",
  "play_region",
  "accept",
  "reject",
  "ignore",
  "undo",
  "delete_region",
  "undo_edit",
  "redo_edit",
  "zoom_in",
  "zoom_out",
  "vertical_zoom_in",
  "vertical_zoom_out",
  "seek_back",
  "seek_forward",
  "seek_back_long",
  "seek_forward_long",
  "rate_down",
  "rate_up",
  "loop",
  "deselect",
  "nudge_start_back",
  "nudge_start_forward",
  "nudge_end_back",
  "nudge_end_forward",
  "toggle_spectrogram",
  "mark_in",
  "mark_out",
  "select_next",
  "select_previous",
  "region_from_span",
] as const;

export type NamedAction = (typeof ACTIONS)[number];
/** Choose the Nth label (1-based) for the next region, or relabel the selected one. */
export type LabelAction = `label_${number}`;
export type Action = NamedAction | LabelAction;

/** Actions that answer the task (the card's, or forwarded to Python as events). */
export type AnswerAction = "accept" | "reject" | "ignore" | "undo";
export const ANSWER_ACTIONS: ReadonlySet<string> = new Set<AnswerAction>(["accept", "reject", "ignore", "undo"]);

/** A handler per named action: returns whether the action applied (the key is then consumed). */
export type ActionTable = Record<NamedAction, () => boolean>;

const NAMED: ReadonlySet<string> = new Set(ACTIONS);

export function isNamedAction(name: string): name is NamedAction {
  return NAMED.has(name);
}

export function isAnswerAction(name: string): name is AnswerAction {
  return ANSWER_ACTIONS.has(name);
}
