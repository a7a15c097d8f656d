/**
 * The card's side of the Python bridge: the args it is given and the value it
 * sends (design.md, component protocol, "Answers"). Event names are typed here
 * so that Python and the card agree on them.
 */
import type { LabelSpec } from "./colors";
import type { PendingAnswer } from "./pending";
import type { Settings } from "./protocol";
import type { RegionData } from "./state";

/** One queued task as Python sends it; `peaks`/`overview` are [offset, length] in `queue_peaks`. */
export interface CardItem {
  task_id: string;
  title?: string;
  details?: string[];
  caption?: string | null;
  audio?: string;
  duration?: number;
  peaks?: [number, number] | null;
  overview?: [number, number] | null;
  peaks_channels?: number;
  peaks_rate?: number;
  regions?: RegionData[];
  transcript?: string | null;
  text?: string | null;
  spans?: unknown[] | null;
  /** the recognised words, `{start, end, text, score?}` in the card's time (as the regions) */
  words?: unknown[] | null;
  spectrogram?: string | null;
  spectrogram_offset?: number;
  segment?: { start: number; end: number } | null;
  problem?: string | null;
  /** for `previous`: the answer it was given */
  answer?: string | null;
  // filled in by the card from `queue_peaks`
  peaksBytes?: Uint8Array | null;
  overviewBytes?: Uint8Array | null;
}

export interface CardArgs {
  mode: "card";
  dataset: string;
  session: string;
  queue: CardItem[];
  previous: CardItem | null;
  queue_peaks: Uint8Array | null;
  exhausted: boolean;
  labels: LabelSpec[];
  blocks: string[];
  editable: boolean;
  settings: Settings;
  keymap: Record<string, string | string[]>;
  /** the highest committed answer number per client id */
  acked: Record<string, number>;
  progress: { tasks: number; done: number; session_done: number };
  refused: { client: string; seq: number; task_id: number | null; reason: string }[];
  error: string | null;
  focus: number;
  /** put the test hooks on `window` (EARMARK_TEST_HOOKS=1 on the server) */
  test_hooks?: boolean;
}

/** Why a value is sent: an answer given, answers sent again, or the first value after a reload. */
export type CardEventType = "answer" | "resend";

export interface CardValue {
  client: string;
  dataset: string;
  session: string;
  pending: PendingAnswer[];
  event: { type: CardEventType | string; id: string; time: number };
}

export function bridgeValue(client: string, args: Pick<CardArgs, "dataset" | "session">, pending: PendingAnswer[],
  type: string, n: number): CardValue {
  return {
    client,
    dataset: args.dataset,
    session: args.session,
    pending,
    event: { type, id: `${client}-${n}`, time: Date.now() / 1000 },
  };
}

export function isCardArgs(args: unknown): args is CardArgs {
  return !!args && (args as { mode?: unknown }).mode === "card";
}
