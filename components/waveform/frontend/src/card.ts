/**
 * The annotation card (design.md, component protocol, "Answers"): the task's
 * header, the waveform editor, the transcript field, the answer buttons and the
 * progress line, over a queue of tasks and a pending log of answers.
 *
 * A key, a click and the text typed are one event in one place: an answer reads
 * the regions, the transcript and the text spans of the task on screen when it
 * is given, shows the next queued task at once, and joins the pending log,
 * which every value sent to Python carries until Python acknowledges it.
 */
import { absoluteUrl, Editor } from "./editor";
import { PendingLog, type KeyValueStore, type PendingAnswer } from "./pending";
import type { Args, Settings, Value } from "./protocol";
import type { LabelSpec } from "./colors";
import type { RegionData } from "./state";
import { TaskQueue, type Edits, type QueueItem } from "./queue";
import { TextPanel, type TextSpan } from "./text_panel";
import { bridgeValue, type CardArgs, type CardItem } from "./bridge";
import { enableHooks, expose } from "./testhooks";
import { el } from "./dom";
import { WordStrip } from "./word_strip";
import { cleanWords, profileLine } from "./words";

const SEND_GAP_MS = 200;       // values at most this often (each carries every pending answer)
const RESEND_MS = 3000;        // answers not acknowledged by then are sent again
const HEARTBEAT_MS = 5000;
const PRELOAD = 2;             // next tasks whose audio starts loading ahead
const DONE: Record<string, string> = { accept: "Accepted", reject: "Rejected", ignore: "Ignored" };

export interface CardTransport {
  send(value: unknown): void;
  setHeight(): void;
}

interface ShownItem extends QueueItem, CardItem {}

function storage(kind: "localStorage" | "sessionStorage"): KeyValueStore | null {
  try {
    const s = window[kind];
    s.getItem("earmark.probe");
    return s;
  } catch {
    return null;
  }
}

export class Card {
  private args: CardArgs | null = null;
  private queue = new TaskQueue<ShownItem>();
  private readonly pending: PendingLog;
  private readonly editor: Editor;
  private drafts = new Map<string, Edits>();
  private shownId: string | null = null;
  private eventNo = 0;
  private lastSent = 0;
  private sendTimer: number | null = null;
  private lastAckAt = Date.now();
  private lastFocus = -1;
  private reanswered = new Set<string>();
  private preloaded = new Map<string, HTMLAudioElement>();
  private refusedShown = new Set<string>();
  private textPanel: TextPanel;
  private readonly wordStrip: WordStrip;
  /** (task, answer) of each answer given in this tab, in order (tests and benchmarks read it). */
  private answerLog: { task_id: string; answer: string; at: number }[] = [];

  // DOM
  private head!: HTMLElement;
  private title!: HTMLElement;
  private details!: HTMLElement;
  private reopenedTag!: HTMLElement;
  private caption!: HTMLElement;
  private problemBox!: HTMLElement;
  private problemText!: HTMLElement;
  private editorBox!: HTMLElement;
  private transcriptBox!: HTMLElement;
  private transcript!: HTMLTextAreaElement;
  private textBox!: HTMLElement;
  private profilesLine!: HTMLElement;
  private answers!: HTMLElement;
  private buttons: Record<string, HTMLButtonElement> = {};
  private cannotPlay!: HTMLButtonElement;
  private progressBar!: HTMLElement;
  private progressText!: HTMLElement;
  private saving!: HTMLElement;
  private notice!: HTMLElement;
  private errorBox!: HTMLElement;
  private doneBox!: HTMLElement;

  constructor(private readonly root: HTMLElement, private readonly transport: CardTransport) {
    this.pending = new PendingLog(storage("localStorage"), storage("sessionStorage"));
    this.wordStrip = new WordStrip({ seek: (t) => this.editor.seekTo(t) });
    this.buildDom();
    this.editor = new Editor(this.editorBox, {
      send: (value) => this.onEditorValue(value),
      setHeight: () => this.transport.setHeight(),
      answer: (action) => this.answer(action),
      selected: (id) => this.onRegionSelected(id),
      regionClicked: (id) => this.onRegionClicked(id),
      hovered: (id) => this.textPanel.highlightRegion(id ?? this.selectedRegion),
      labelChosen: (label) => this.textPanel.setActiveLabel(label),
      time: (t) => {
        this.wordStrip.time(t);
        if (!this.textBox.hidden) this.textPanel.time(t);
      },
      regionFromSpan: () => !this.textBox.hidden && this.textPanel.regionFromSelected(),
    });
    this.textPanel = this.newTextPanel([]);
    window.setInterval(() => this.tick(), 500);
    document.body.dataset.card = "1";
    expose("__cardDebug", () => ({
      client: this.pending.client,
      pending: this.pending.all(),
      current: this.queue.current?.task_id ?? null,
      next: this.queue.next.map((t) => t.task_id),
      log: this.answerLog,
    }));
  }

  // ------------------------------------------------------------------ DOM

  private buildDom(): void {
    const root = this.root;
    root.className = "card";
    root.tabIndex = -1;
    this.head = el("div", { class: "card-head" });
    this.title = el("span", { class: "card-title" });
    this.details = el("span", { class: "card-details" });
    this.reopenedTag = el("span", { class: "card-reopened", hidden: "" });
    this.head.append(this.title, this.details, this.reopenedTag);
    this.caption = el("div", { class: "card-caption", hidden: "" });
    this.problemBox = el("div", { class: "card-problem", role: "alert", hidden: "" });
    this.problemText = el("span", { class: "card-problem-text" });
    const skip = el("button", { type: "button", class: "card-skip primary" }, "Skip this task");
    skip.addEventListener("click", () => this.skipCurrent(this.queue.current?.problem ?? "it cannot be shown"));
    this.problemBox.append(this.problemText, skip);
    this.editorBox = el("div", { class: "card-editor" });
    this.transcriptBox = el("label", { class: "card-transcript", hidden: "" });
    this.transcriptBox.append(el("span", { class: "card-transcript-label" }, "Transcript"));
    this.transcript = el("textarea", {
      class: "card-transcript-text",
      rows: "3",
      placeholder: "Type what is said. Keys do not fire while you type; escape leaves the field, ctrl+enter accepts.",
      "aria-label": "Transcript",
    });
    this.transcript.addEventListener("input", () => this.onTranscript());
    this.transcript.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.transcript.blur();
        this.root.focus();
      } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.answer("accept");
      }
      e.stopPropagation();
    });
    this.transcriptBox.append(this.transcript);
    this.textBox = el("div", { class: "card-text", hidden: "" });
    this.profilesLine = el("div", { class: "card-profiles", hidden: "" });

    this.answers = el("div", { class: "card-answers", role: "group", "aria-label": "Answer" });
    const names: [string, string][] = [
      ["accept", "✓ Accept"],
      ["reject", "✕ Reject"],
      ["ignore", "⊘ Ignore"],
      ["undo", "↶ Undo"],
    ];
    for (const [action, label] of names) {
      const b = el("button", { type: "button", class: `card-answer card-${action}`, "data-action": action }, label);
      b.addEventListener("click", (e) => {
        // a mouse click leaves the focus on the card, so that the next key is not this button's enter
        if ((e as MouseEvent).detail > 0) {
          b.blur();
          this.root.focus();
        }
        this.answer(action);
      });
      this.buttons[action] = b;
      this.answers.append(b);
    }
    const cannot = (this.cannotPlay = el("button", { type: "button", class: "card-answer card-cannot-play", title: "Set this task aside for everyone, with the reason" }, "Audio does not play: skip"));
    cannot.addEventListener("click", () => this.skipCurrent("the audio did not play in the browser"));
    this.answers.append(cannot);

    const progress = el("div", { class: "card-progress" });
    const bar = el("div", { class: "card-progress-track" });
    this.progressBar = el("div", { class: "card-progress-bar" });
    bar.append(this.progressBar);
    this.progressText = el("span", { class: "card-progress-text" });
    this.saving = el("span", { class: "card-saving", "aria-live": "polite" });
    progress.append(bar, this.progressText, this.saving);
    this.notice = el("div", { class: "card-notice", "aria-live": "polite" });
    this.errorBox = el("div", { class: "card-error", role: "alert", hidden: "" });
    this.doneBox = el("div", { class: "card-done", hidden: "" });
    root.append(this.head, this.caption, this.problemBox, this.editorBox, this.profilesLine, this.wordStrip.root,
      this.transcriptBox, this.textBox,
      this.answers, progress, this.errorBox, this.notice, this.doneBox);
  }

  // --------------------------------------------------------------- render

  /** Args from Python. */
  render(args: CardArgs): void {
    enableHooks(args.test_hooks);
    const first = this.args === null;
    const switched = !first && (this.args?.dataset !== args.dataset || this.args?.session !== args.session);
    this.args = args;
    if (switched) this.resetQueue();
    this.pending.ack(args.acked);
    if (Object.keys(args.acked ?? {}).length) this.lastAckAt = Date.now();
    const items = (args.queue ?? []).map((q) => this.withPeaks(q)) as ShownItem[];
    this.queue.offer(items);
    const prev = args.previous ? (this.withPeaks(args.previous) as ShownItem) : null;
    this.queue.offerPrevious(prev, prev?.answer ?? null,
      prev ? { regions: prev.regions ?? [], transcript: prev.transcript ?? null, spans: prev.spans ?? null } : null);
    if ((this.queue.current?.task_id ?? null) !== this.shownId) this.show();
    else this.chrome();
    this.preload();
    if (args.focus !== this.lastFocus) {
      this.lastFocus = args.focus;
      if (!first || args.focus > 0) this.takeFocus();
    }
    // answers kept from before a reload or a restart go out at once
    if (first && this.pending.size) this.sendSoon("resend");
  }

  private resetQueue(): void {
    // another dataset or annotator: the tasks on screen and queued were theirs
    this.queue = new TaskQueue<ShownItem>();
    this.shownId = null;
    this.drafts.clear();
  }

  private withPeaks(item: CardItem): CardItem & QueueItem {
    const blob = this.args?.queue_peaks ?? null;
    const slice = (r: [number, number] | null | undefined) => (blob && r ? blob.subarray(r[0], r[0] + r[1]) : null);
    return { ...item, task_id: String(item.task_id), peaksBytes: slice(item.peaks), overviewBytes: slice(item.overview) };
  }

  /** Draw the task on screen (or the end of the queue). */
  private show(): void {
    const item = this.queue.current;
    this.shownId = item?.task_id ?? null;
    const reopened = this.queue.reopened;
    document.body.dataset.cardTask = item ? item.task_id : "";
    if (!item) {
      this.head.hidden = true;
      this.caption.hidden = true;
      this.problemBox.hidden = true;
      this.editorBox.hidden = true;
      this.transcriptBox.hidden = true;
      this.textBox.hidden = true;
      this.wordStrip.hide();
      this.showProfiles([]);
      this.chrome();
      return;
    }
    this.head.hidden = false;
    this.title.textContent = item.title ?? `task ${item.task_id}`;
    this.details.textContent = (item.details ?? []).map((d) => ` · ${d}`).join("");
    this.reopenedTag.hidden = !reopened;
    this.reopenedTag.textContent = reopened ? ` · reopened by undo (answered ${reopened.answer}): answer again to replace it` : "";
    this.caption.hidden = !item.caption;
    this.caption.textContent = item.caption ?? "";
    const edits = this.draftOf(item);
    const args = this.args as CardArgs;
    const blocks = args.blocks ?? [];
    if (item.problem) {
      this.problemBox.hidden = false;
      this.problemText.textContent = `${item.title ?? "This task"} cannot be shown: ${item.problem}. Skip it to go on; the reason is recorded with the skip, and the task is given to nobody else.`;
      this.editorBox.hidden = true;
      this.transcriptBox.hidden = true;
      this.textBox.hidden = true;
      this.wordStrip.hide();
      this.showProfiles([]);
    } else {
      this.problemBox.hidden = true;
      this.editorBox.hidden = false;
      const media = this.preloaded.get(item.task_id) ?? null;
      this.preloaded.delete(item.task_id);
      this.editor.render(this.editorArgs(item, edits), media);
      const transcribing = this.transcribing();
      this.transcriptBox.hidden = !transcribing;
      if (transcribing) this.transcript.value = edits.transcript ?? "";
      const aligning = blocks.includes("alignment");
      const words = cleanWords(item.words);
      const offset = item.spectrogram_offset ?? 0;   // file time of the card's 0
      this.textBox.hidden = !aligning;
      if (aligning) {
        this.textPanel = this.textPanelFor(args);
        this.textPanel.load(edits.transcript ?? item.text ?? "", (edits.spans ?? []) as TextSpan[],
          this.panelRegions(edits.regions as RegionData[]), !!args.editable, words, offset);
      }
      // the transcript view shows the recognised words (the alignment view has them as its tokens)
      if (blocks.includes("transcript") && !aligning) this.wordStrip.load(words, offset);
      else this.wordStrip.hide();
      this.showProfiles(edits.regions as RegionData[]);
      this.editor.markRegions(this.linkedRegionIds(), null);
    }
    this.chrome();
  }

  private panelLabels = "";

  /** The text panel, made again when the dataset's labels change (they are fixed per panel). */
  private textPanelFor(args: CardArgs): TextPanel {
    const labels = (args.labels ?? []).map((l) => ({ name: l.name, color: l.color ?? "#888888" }));
    const key = JSON.stringify(labels);
    if (key !== this.panelLabels) {
      this.panelLabels = key;
      this.textPanel.destroy();
      this.textPanel = this.newTextPanel(labels);
    }
    return this.textPanel;
  }

  private newTextPanel(labels: { name: string; color: string }[]): TextPanel {
    return new TextPanel(this.textBox, {
      labels,
      onChange: (spans) => this.onSpans(spans),
      onHighlightRegion: (id) => this.editor.markRegions(this.linkedRegionIds(), id),
      makeRegion: (start, end) => this.editor.createRegion(start, end),
    });
  }

  /** Whether the dataset's view has a transcript field (the transcript and alignment views). */
  private transcribing(): boolean {
    const blocks = this.args?.blocks ?? [];
    return blocks.includes("transcript") || blocks.includes("alignment");
  }

  private editorArgs(item: ShownItem, edits: Edits): Args {
    const args = this.args as CardArgs;
    return {
      task_id: item.task_id,
      audio: item.audio ?? "",
      file_name: item.title ?? null,
      duration: item.duration ?? 0,
      peaks: item.peaksBytes ?? null,
      peaks_overview: item.overviewBytes ?? null,
      peaks_channels: item.peaks_channels ?? 1,
      peaks_rate: item.peaks_rate ?? 100,
      regions: edits.regions as RegionData[],
      labels: args.labels ?? [],
      editable: !!args.editable,
      settings: args.settings ?? ({} as Settings),
      keymap: args.keymap ?? {},
      revision: 0,
      wave_height: null,
      spectrogram: item.spectrogram ?? null,
      spectrogram_offset: item.spectrogram_offset ?? 0,
      segment: item.segment ?? null,
      file_time: true,
    };
  }

  private draftOf(item: ShownItem): Edits {
    let d = this.drafts.get(item.task_id);
    if (!d) {
      const reopened = this.queue.reopened;
      d = reopened && reopened.item.task_id === item.task_id
        ? { regions: [...reopened.edits.regions], transcript: reopened.edits.transcript, spans: reopened.edits.spans ? [...reopened.edits.spans] : null }
        : { regions: [...(item.regions ?? [])], transcript: item.transcript ?? null, spans: item.spans ? [...item.spans] : null };
      this.drafts.set(item.task_id, d);
    }
    return d;
  }

  /** The progress line, buttons, notices: everything but the task itself. */
  private chrome(): void {
    const args = this.args;
    if (!args) return;
    const p = args.progress ?? { tasks: 0, done: 0, session_done: 0 };
    const mine = this.pending.all().filter((e) => e.dataset === args.dataset && e.session === args.session);
    const fresh = new Set(mine.filter((e) => !this.reanswered.has(`${e.client}/${e.seq}`)).map((e) => e.task_id)).size;
    const done = Math.min(p.tasks, p.done + fresh);
    this.progressBar.style.width = p.tasks ? `${(100 * done) / p.tasks}%` : "100%";
    this.progressText.textContent = `${done} of ${p.tasks} tasks done · ${p.session_done + fresh} by ${args.session}`;
    this.saving.textContent = this.pending.size ? ` · saving ${this.pending.size}…` : " · all saved";
    document.body.dataset.pending = String(this.pending.size);
    const item = this.queue.current;
    for (const a of ["accept", "reject", "ignore"]) this.buttons[a].disabled = !item || !!item.problem;
    this.buttons.undo.disabled = !this.queue.canUndo();
    this.cannotPlay.disabled = !item || !!item.problem;
    this.errorBox.hidden = !args.error;
    this.errorBox.textContent = args.error ?? "";
    const refused = (args.refused ?? []).filter((r) => !this.refusedShown.has(`${r.client}/${r.seq}`));
    if (refused.length) {
      for (const r of refused) this.refusedShown.add(`${r.client}/${r.seq}`);
      this.say(refused.map((r) => `An answer on task ${r.task_id ?? "?"} could not be saved: ${r.reason}.`).join(" "));
    }
    const finished = !item && args.exhausted && this.queue.next.length === 0;
    this.doneBox.hidden = !!item;
    this.doneBox.textContent = finished
      ? `No more tasks in ${args.dataset} for ${args.session}. Thank you!`
      : item ? "" : "Loading the next tasks…";
    document.body.dataset.cardDone = finished ? "1" : "0";
    this.transport.setHeight();
  }

  private say(text: string): void {
    this.notice.textContent = text;
  }

  // -------------------------------------------------------------- answers

  /** An answer key or button: accept, reject, ignore, or undo. */
  answer(action: string): void {
    if (action === "undo") {
      this.undo();
      return;
    }
    const item = this.queue.current;
    if (!item || !this.args) return;     // no task on screen: keys do nothing
    if (item.problem) {
      if (action === "ignore") this.skipCurrent(item.problem);
      return;
    }
    this.give(item, action, null);
  }

  private skipCurrent(reason: string): void {
    const item = this.queue.current;
    if (!item || !this.args) return;
    this.give(item, "ignore", reason);
  }

  private give(item: ShownItem, answer: string, skipReason: string | null): void {
    const args = this.args as CardArgs;
    const edits = this.currentEdits(item);
    const entry: Omit<PendingAnswer, "client" | "seq" | "ts"> = {
      dataset: args.dataset,
      session: args.session,
      task_id: item.task_id,
      answer,
      regions: edits.regions,
      transcript: edits.transcript,
      spans: edits.spans,
    };
    if (skipReason !== null) entry.skip_reason = skipReason;
    const wasReopened = !!this.queue.reopened;
    const added = this.pending.add(entry);
    if (wasReopened) this.reanswered.add(`${added.client}/${added.seq}`);
    if (this.answerLog.length < 1000) this.answerLog.push({ task_id: item.task_id, answer, at: performance.now() });
    this.queue.answer(answer, edits);
    this.drafts.delete(item.task_id);
    this.say(`${skipReason !== null ? "Skipped" : DONE[answer] ?? answer} ${item.title ?? `task ${item.task_id}`}.`);
    this.show();
    this.preload();
    this.sendSoon("answer");
  }

  /** What the annotator has on screen for `item` now: regions, the text field as typed, the spans. */
  private currentEdits(item: ShownItem): Edits {
    const d = this.draftOf(item);
    const blocks = this.args?.blocks ?? [];
    const transcript = this.transcribing() ? this.transcript.value : d.transcript;
    const spans = blocks.includes("alignment") ? this.textPanel.spans() : d.spans;
    return { regions: [...d.regions], transcript, spans: spans ? [...spans] : null };
  }

  private undo(): void {
    const item = this.queue.current;
    if (item) this.drafts.set(item.task_id, this.currentEdits(item)); // the edits on screen wait for it
    const reopened = this.queue.undo();
    if (!reopened) {
      this.say("Nothing to undo.");
      this.chrome();
      return;
    }
    this.drafts.delete(reopened.item.task_id);
    this.say(`Reopened ${reopened.item.title ?? `task ${reopened.item.task_id}`} (answered ${reopened.answer}): answer again to replace it.`);
    this.show();
  }

  // ------------------------------------------------------------- edits

  private onEditorValue(value: Value): void {
    const item = this.queue.current;
    if (!item || String(value.task_id) !== item.task_id) return;
    const d = this.draftOf(item);
    d.regions = value.regions;
    if (!this.textBox.hidden) this.textPanel.setRegions(this.panelRegions(value.regions));
    this.showProfiles(value.regions);
  }

  /** The line naming the labels proposed from the dataset's voice profiles (hidden when none was). */
  private showProfiles(regions: RegionData[]): void {
    const line = profileLine(regions ?? []);
    if (this.profilesLine.textContent !== line) this.profilesLine.textContent = line;
    this.profilesLine.hidden = !line;
    this.profilesLine.title = line ? "Each region marked ≈ took its label from the voice profile nearest its voice; relabel it to correct it (the mark then goes)." : "";
  }

  private onTranscript(): void {
    const item = this.queue.current;
    if (!item) return;
    const d = this.draftOf(item);
    d.transcript = this.transcript.value;
    if (!this.textBox.hidden) this.textPanel.setText(this.transcript.value);
  }

  private onSpans(spans: TextSpan[]): void {
    const item = this.queue.current;
    if (!item) return;
    this.draftOf(item).spans = spans as unknown[];
    this.editor.markRegions(this.linkedRegionIds(), null);
  }

  private selectedRegion: string | null = null;

  /** A region selected on the waveform: linked to the text span selected, if any; its spans highlighted. */
  /**
   * A region selected on the waveform (a click, or `tab` from the keyboard): the
   * text span selected, if any, is linked to it; its spans are highlighted. A
   * region just drawn is not selected, so drawing never links by itself.
   */
  private onRegionSelected(id: string | null): void {
    this.selectedRegion = id;
    if (this.textBox.hidden) return;
    if (id) this.onRegionClicked(id);
    this.textPanel.highlightRegion(id);
  }

  private onRegionClicked(id: string): void {
    if (this.textBox.hidden) return;
    const item = this.queue.current;
    if (item) this.textPanel.setRegions(this.panelRegions(this.draftOf(item).regions as RegionData[]));
    this.textPanel.linkSelected(id);
  }

  private linkedRegionIds(): string[] {
    if (this.textBox.hidden) return [];
    return this.textPanel.spans().map((s) => s.audio_span_id).filter((x): x is string => !!x);
  }

  private panelRegions(regions: RegionData[]): { id: string; label: string; start: number; end: number; color: string }[] {
    const colors = new Map((this.args?.labels ?? []).map((l: LabelSpec) => [l.name, l.color ?? "#888888"]));
    return (regions ?? []).map((r) => ({ id: r.id, label: r.label, start: r.start, end: r.end, color: r.color || colors.get(r.label) || "#888888" }));
  }

  // --------------------------------------------------------- to Python

  private sendSoon(type: string): void {
    const wait = this.lastSent + SEND_GAP_MS - Date.now();
    if (wait <= 0) {
      this.sendNow(type);
      return;
    }
    if (this.sendTimer !== null) return; // the value sent then carries this answer too
    this.sendTimer = window.setTimeout(() => {
      this.sendTimer = null;
      this.sendNow(type);
    }, wait);
  }

  private sendNow(type: string): void {
    if (!this.args) return;
    this.lastSent = Date.now();
    this.eventNo += 1;
    this.transport.send(bridgeValue(this.pending.client, this.args, this.pending.all(), type, this.eventNo));
  }

  private tick(): void {
    const now = Date.now();
    if (now % HEARTBEAT_MS < 500) this.pending.heartbeat();
    // answers not acknowledged for a while (a lost connection, a database that refused them) go again
    if (this.pending.size && now - this.lastSent > RESEND_MS && now - this.lastAckAt > RESEND_MS) this.sendNow("resend");
  }

  // ------------------------------------------------------------- helpers

  private preload(): void {
    const want = this.queue.next.filter((t) => !t.problem && t.audio).slice(0, PRELOAD);
    const ids = new Set(want.map((t) => t.task_id));
    for (const [id, media] of this.preloaded) {
      if (!ids.has(id)) {
        media.removeAttribute("src");
        media.load();
        this.preloaded.delete(id);
      }
    }
    for (const t of want) {
      if (this.preloaded.has(t.task_id)) continue;
      const media = document.createElement("audio");
      media.preload = "auto";
      media.src = absoluteUrl(t.audio as string);
      this.preloaded.set(t.task_id, media);
    }
  }

  private takeFocus(): void {
    try {
      const parent = window.parent !== window ? window.parent.document : null;
      (parent?.activeElement as HTMLElement | null)?.blur?.();
    } catch {
      /* cross-origin parent */
    }
    window.focus();
    this.root.focus({ preventScroll: true });
  }
}
