/**
 * The alignment text panel: the transcript's tokens, labelled text spans over
 * them (Prodigy's `ner_manual`), and links from spans to audio regions.
 *
 * - Drag over words (mousedown on a token, move, mouseup), or click one word,
 *   to make a span with the active label, snapped to whole tokens. A new span
 *   replaces the spans it overlaps (see spans.ts); the new span is selected.
 * - Shift+click extends the selected span to the clicked word (keeping its
 *   label and link), or, with none selected, spans from the last word clicked.
 * - Click a span to select it; `delete` / `backspace` (focus in the panel)
 *   or its × button removes it; `escape` clears the selection.
 * - With a span selected, the card calls `linkSelected(regionId)` when a region
 *   is chosen: the link is the span's `audio_span_id`. A linked span shows a
 *   mark in the region's colour (click it to unlink) and the region's label
 *   and times on hover.
 * - Hovering or selecting a linked span calls `onHighlightRegion`; the card
 *   calls `highlightRegion` for the other direction.
 *
 * - With recognised words (a recogniser's `words`), the tokens have audio times
 *   (words.ts `timeTokens`), the word being spoken underlined (`time(t)`): a span over timed tokens shows its time
 *   (m:ss.s–m:ss.s, file time) on hover and in its title, and, not linked
 *   yet, a "+ region" button (or the `region_from_span` key, `r`) that makes
 *   the region of its time with the active label and links the span to it.
 *
 * User strings (text, labels, region labels) only ever reach the DOM as text.
 */

import { freeColor, textOn } from "./colors";
import { rangeText, spanTime, timeTokens, wordAt, type TokenTime, type Word } from "./words";
import { isTextTarget } from "./keys";
import {
  addSpan,
  copySpan,
  keepLinks,
  linkSpan,
  normalizeSpans,
  removeSpan,
  sameSpans,
  sliceCodePoints,
  spanAt,
  spanFromTokens,
  spansAfterTextEdit,
  tokenizePlaced,
  type PlacedToken,
  type TextSpan,
} from "./spans";

export type { TextSpan } from "./spans";

export interface PanelRegion {
  id: string;
  label: string;
  start: number;
  end: number;
  color: string;
}

export interface TextPanelOptions {
  labels: { name: string; color: string }[];
  /** after every add/remove/link/unlink, and when an edit of the text or of the regions changed the spans */
  onChange(spans: TextSpan[]): void;
  /** hover/select of a linked span: its region's id; null when no linked span is hovered or selected */
  onHighlightRegion(regionId: string | null): void;
  /**
   * Make the region from `start` to `end` (the card's time) for a span over timed
   * words: the new region's id, or null when none could be made.
   */
  makeRegion?(start: number, end: number): string | null;
}

/** "SPK1 1.20–2.50 s", as the Python page names a region; in file time (`offset`: the file time of the card's 0). */
export function regionName(region: PanelRegion, offset = 0): string {
  return `${region.label || "(no label)"} ${(region.start + offset).toFixed(2)}–${(region.end + offset).toFixed(2)} s`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export class TextPanel {
  private readonly root: HTMLDivElement;
  private readonly textEl: HTMLDivElement;
  private readonly hintEl: HTMLDivElement;
  private readonly statusEl: HTMLDivElement;
  private readonly opts: TextPanelOptions;
  private readonly colors = new Map<string, string>();

  private text = "";
  private tokens: PlacedToken[] = [];
  private list: TextSpan[] = [];
  private regions = new Map<string, PanelRegion>();
  private editable = false;
  private activeLabel: string;
  /** the recognised words, and each token's audio time from them */
  private words: Word[] = [];
  private times: TokenTime[] = [];
  /** file time of the card's 0 (times are shown in file time) */
  private offset = 0;
  /** the tokens lit as the word being spoken (while playing), and that word's index */
  private nowTokens: number[] = [];
  private nowWord = -1;

  private tokenEls: HTMLElement[] = [];
  private gapNodes: (Text | null)[] = [];
  private tailGap: Text | null = null;
  private spanEls: HTMLElement[] = [];
  private selected = -1;
  private hovered = -1;
  private regionHl: string | null = null;
  private emitted: string | null = null;
  private drag: { anchor: number; current: number } | null = null;
  private dragShown: [number, number] | null = null;
  private lastToken = -1;

  private readonly onKey = (e: KeyboardEvent) => this.keydown(e);
  private readonly onUp = () => this.finishDrag();

  constructor(host: HTMLElement, opts: TextPanelOptions) {
    this.opts = opts;
    for (const l of opts.labels) this.colors.set(l.name, l.color);
    this.activeLabel = opts.labels[0]?.name ?? "SPAN";

    this.root = document.createElement("div");
    this.root.className = "tp";
    this.root.tabIndex = 0;
    this.root.setAttribute("role", "group");
    this.root.setAttribute("aria-label", "Transcript words and labelled spans");
    this.textEl = document.createElement("div");
    this.textEl.className = "tp-text";
    this.hintEl = document.createElement("div");
    this.hintEl.className = "tp-hint";
    this.statusEl = document.createElement("div");
    this.statusEl.className = "tp-status";
    this.statusEl.setAttribute("role", "status");
    this.statusEl.hidden = true;
    this.root.append(this.textEl, this.hintEl, this.statusEl);
    host.append(this.root);

    this.root.addEventListener("mousedown", (e) => this.mousedown(e));
    this.root.addEventListener("mouseover", (e) => this.pointerAt(e));
    this.root.addEventListener("mousemove", (e) => this.pointerAt(e));
    this.root.addEventListener("mouseleave", () => this.setHover(-1));
    this.root.addEventListener("click", (e) => this.click(e));
    // Capture on window runs before the editor's capture listener on document, so a
    // delete/backspace that removes a span never also undoes an answer or a region.
    window.addEventListener("keydown", this.onKey, true);
    window.addEventListener("mouseup", this.onUp);
    this.setActiveLabel(this.activeLabel);
  }

  // ---- the interface the card uses --------------------------------------------------------

  /** A new task or a new text: spans fitted to the tokens, links to unknown regions dropped. */
  load(text: string, spans: TextSpan[], regions: PanelRegion[], editable: boolean, words: Word[] = [],
    offset = 0): void {
    this.text = text;
    this.tokens = tokenizePlaced(text);
    this.words = words;
    this.offset = offset;
    this.times = timeTokens(this.tokens, words);
    this.buildTokens();
    this.editable = editable;
    this.regions = new Map(regions.map((r) => [r.id, r]));
    this.selected = -1;
    this.hovered = -1;
    this.regionHl = null;
    this.drag = null;
    this.dragShown = null;
    this.lastToken = -1;
    const given = spans.map(copySpan);
    const fitted = normalizeSpans(this.tokens, given);
    const linked = keepLinks(fitted.spans, new Set(this.regions.keys()));
    this.list = linked.spans;
    const notes: string[] = [];
    if (fitted.snapped.length) notes.push(`${plural(fitted.snapped.length, "span", "spans")} moved onto whole words`);
    if (fitted.dropped.length)
      notes.push(`${plural(fitted.dropped.length, "span", "spans")} left out (no word under it, or over another span)`);
    if (linked.unlinked.length) notes.push(`${plural(linked.unlinked.length, "link", "links")} to a missing region dropped`);
    this.setStatus(notes.join("; "));
    this.render();
    this.emitHighlight();
    if (!sameSpans(given, this.list)) this.opts.onChange(this.spans());
  }

  /** The transcript was edited: spans whose text is unchanged are kept (moved with the text), the others dropped. */
  setText(text: string): void {
    if (text === this.text) return;
    const before = this.list;
    const after = spansAfterTextEdit(this.text, text, before);
    const names = after.dropped.map((s) => `${s.label} “${sliceCodePoints(this.text, s.start, s.end)}”`);
    this.text = text;
    this.tokens = tokenizePlaced(text);
    this.times = timeTokens(this.tokens, this.words);   // the words left as they were keep their times
    this.buildTokens();
    this.list = after.spans;
    this.selected = -1;
    this.hovered = -1;
    this.drag = null;
    this.dragShown = null;
    this.lastToken = -1;
    if (after.dropped.length) {
      this.setStatus(`Transcript edited: ${plural(after.dropped.length, "span", "spans")} dropped, the words under them changed: ${names.join(", ")}`);
    }
    this.render();
    this.emitHighlight();
    if (!sameSpans(before, this.list)) this.opts.onChange(this.spans());
  }

  /** The label of the next span made. */
  setActiveLabel(name: string): void {
    this.activeLabel = name;
    this.root.style.setProperty("--tp-active", this.colorOf(name));
    this.renderHint();
  }

  /** The regions changed on the waveform: a link to a removed region is dropped. */
  setRegions(regions: PanelRegion[]): void {
    this.regions = new Map(regions.map((r) => [r.id, r]));
    const linked = keepLinks(this.list, new Set(this.regions.keys()));
    const changed = linked.unlinked.length > 0;
    this.list = linked.spans;
    if (changed) this.setStatus(`${plural(linked.unlinked.length, "link", "links")} dropped: the region was removed`);
    this.render();
    this.emitHighlight();
    if (changed) this.opts.onChange(this.spans());
  }

  /** Link the selected span to a known region; true when linked. The selection is cleared. */
  linkSelected(regionId: string): boolean {
    if (!this.editable || this.selected < 0 || !this.regions.has(regionId)) return false;
    const index = this.selected;
    const changed = this.list[index].audio_span_id !== regionId;
    this.list = linkSpan(this.list, index, regionId);
    this.selected = -1;
    this.render();
    this.emitHighlight();
    if (changed) this.opts.onChange(this.spans());
    return true;
  }

  /** The playhead moved to `t` (the card's time): the tokens of the word being spoken are lit. */
  time(t: number): void {
    const i = wordAt(this.words, t);
    if (i === this.nowWord) return;
    this.nowWord = i;
    for (const k of this.nowTokens) this.tokenEls[k]?.classList.remove("tp-now");
    const w = this.words[i];
    this.nowTokens = [];
    if (w) {
      this.times.forEach((time, k) => {
        if (time && time[0] === w.start && time[1] === w.end) this.nowTokens.push(k);
      });
    }
    for (const k of this.nowTokens) this.tokenEls[k]?.classList.add("tp-now");
  }

  /** The audio time of span `index` (the card's time), from its timed tokens; null: none. */
  spanTime(index: number): [number, number] | null {
    const span = this.list[index];
    return span ? spanTime(this.times, span.token_start, span.token_end) : null;
  }

  /**
   * Make the region of the selected span's time (its words' times) and link the span
   * to it; whether it was made. The region is made through the waveform's state
   * (undo, a `created` value), the link through the spans' (the answer carries it).
   */
  regionFromSelected(): boolean {
    return this.selected >= 0 ? this.regionFor(this.selected) : false;
  }

  private regionFor(index: number): boolean {
    const range = this.spanTime(index);
    if (!this.editable || !range || !this.opts.makeRegion) return false;
    const id = this.opts.makeRegion(range[0], range[1]);
    if (!id) return false;
    if (!this.regions.has(id)) {   // the card passes the new region on after it is made; until then, known here
      this.regions.set(id, { id, label: this.activeLabel, start: range[0], end: range[1], color: this.colorOf(this.activeLabel) });
    }
    this.commit(linkSpan(this.list, index, id), null);
    return true;
  }

  /** A region hovered or selected on the waveform (null: none): its spans are highlighted. */
  highlightRegion(regionId: string | null): void {
    this.regionHl = regionId;
    this.paintStates();
  }

  /** The spans as they stand, sorted by position (copies). */
  spans(): TextSpan[] {
    return this.list.map(copySpan);
  }

  destroy(): void {
    window.removeEventListener("keydown", this.onKey, true);
    window.removeEventListener("mouseup", this.onUp);
    this.root.remove();
  }

  // ---- drawing ----------------------------------------------------------------------------

  private colorOf(label: string): string {
    const own = this.colors.get(label);
    if (own) return own;
    const made = freeColor(label, new Set([...this.colors.values()].map((c) => c.toLowerCase())));
    this.colors.set(label, made);
    return made;
  }

  private setStatus(message: string): void {
    this.statusEl.textContent = message;
    this.statusEl.hidden = !message;
  }

  private renderHint(): void {
    this.hintEl.replaceChildren();
    this.hintEl.hidden = false;
    if (!this.tokens.length) {
      this.hintEl.textContent = this.editable ? "Type a transcript to label spans of it." : "No transcript.";
      return;
    }
    if (!this.editable) {
      this.hintEl.hidden = true;
      return;
    }
    const chip = document.createElement("span");
    chip.className = "tp-hint-label";
    chip.style.setProperty("--tp-color", this.colorOf(this.activeLabel));
    chip.style.setProperty("--tp-on", textOn(this.colorOf(this.activeLabel)));
    chip.textContent = this.activeLabel;
    this.hintEl.append("Drag over words to label them ", chip, "; click a span, then a region, to link them.");
  }

  /** The token elements and the text between them, made once per text and reused by every render. */
  private buildTokens(): void {
    this.nowTokens = [];
    this.nowWord = -1;
    this.tokenEls = [];
    this.gapNodes = [];
    let pos = 0; // UTF-16
    for (const t of this.tokens) {
      this.gapNodes.push(t.u16Start > pos ? document.createTextNode(this.text.slice(pos, t.u16Start)) : null);
      const el = document.createElement("span");
      el.className = "tp-tok";
      el.dataset.i = String(t.id);
      el.textContent = t.text;
      const time = this.times[t.id];
      if (time) {
        el.classList.add("tp-timed");
        el.dataset.start = String(time[0]);
      }
      this.tokenEls.push(el);
      pos = t.u16End;
    }
    this.tailGap = this.text.length > pos ? document.createTextNode(this.text.slice(pos)) : null;
  }

  private render(): void {
    const frag = document.createDocumentFragment();
    this.spanEls = [];
    let i = 0;
    const put = (k: number, into: Node) => {
      const gap = this.gapNodes[k];
      if (gap) into.appendChild(gap);
      into.appendChild(this.tokenEls[k]);
    };
    for (let s = 0; s < this.list.length; s++) {
      const span = this.list[s];
      for (; i < span.token_start; i++) put(i, frag);
      const before = this.gapNodes[i];
      if (before) frag.appendChild(before); // the space before a span stays outside its mark
      const mark = this.spanElement(s, span);
      const words = mark.firstChild as HTMLElement;
      words.appendChild(this.tokenEls[i++]);
      for (; i <= span.token_end; i++) put(i, words);
      frag.appendChild(mark);
      this.spanEls.push(mark);
    }
    for (; i < this.tokens.length; i++) put(i, frag);
    if (this.tailGap) frag.appendChild(this.tailGap);
    this.textEl.replaceChildren(frag);
    this.root.classList.toggle("tp-editable", this.editable);
    this.renderHint();
    this.paintStates();
  }

  private spanElement(index: number, span: TextSpan): HTMLElement {
    const mark = document.createElement("mark");
    mark.className = "tp-span";
    mark.dataset.s = String(index);
    mark.dataset.label = span.label;
    mark.style.setProperty("--tp-color", this.colorOf(span.label));
    mark.style.setProperty("--tp-on", textOn(this.colorOf(span.label)));
    const words = document.createElement("span");
    words.className = "tp-words";
    const tags = document.createElement("span"); // label and buttons wrap as one
    tags.className = "tp-tags";
    const label = document.createElement("span");
    label.className = "tp-label";
    label.textContent = span.label;
    tags.append(label);
    mark.append(words, tags);
    const region = span.audio_span_id ? this.regions.get(span.audio_span_id) : undefined;
    const time = spanTime(this.times, span.token_start, span.token_end);
    const timeText = time ? rangeText(time, this.offset) : "";
    if (time) {
      mark.dataset.time = timeText;
      mark.title = `${span.label} ${timeText}`;
    }
    if (time && !region && this.editable && this.opts.makeRegion) {
      const make = document.createElement("button");
      make.type = "button";
      make.tabIndex = -1;
      make.className = "tp-make-region";
      make.textContent = "+ region";
      make.title = `Make the region of these words, ${timeText}, with the active label, and link it (r)`;
      make.setAttribute("aria-label", make.title);
      tags.append(make);
    }
    if (time && !region) {
      const tip = document.createElement("span");
      tip.className = "tp-tip";
      tip.textContent = timeText;
      mark.append(tip);
    }
    if (region) {
      mark.classList.add("tp-linked");
      mark.dataset.region = region.id;
      const link = document.createElement(this.editable ? "button" : "span");
      link.className = "tp-link";
      if (link instanceof HTMLButtonElement) {
        link.type = "button";
        link.tabIndex = -1; // keys: tab belongs to the regions, delete to the selected span
      }
      link.style.setProperty("--tp-region", region.color);
      link.textContent = "↔";
      const name = regionName(region, this.offset);
      link.title = this.editable ? `Linked to ${name}; click to unlink` : `Linked to ${name}`;
      link.setAttribute("aria-label", link.title);
      const tip = document.createElement("span");
      tip.className = "tp-tip";
      tip.textContent = time ? `${timeText} · ${name}` : name;
      tags.append(link);
      mark.append(tip);
    }
    if (this.editable) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.tabIndex = -1;
      remove.className = "tp-remove";
      remove.textContent = "×";
      remove.title = `Remove the ${span.label} span`;
      remove.setAttribute("aria-label", remove.title);
      tags.append(remove);
    }
    return mark;
  }

  /** Selection, hover and region-highlight classes, without redrawing. */
  private paintStates(): void {
    this.spanEls.forEach((el, s) => {
      el.classList.toggle("tp-selected", s === this.selected);
      el.classList.toggle("tp-hover", s === this.hovered);
      const link = this.list[s].audio_span_id;
      el.classList.toggle("tp-hl", this.regionHl !== null && link === this.regionHl);
    });
    this.root.classList.toggle("tp-has-selection", this.selected >= 0);
  }

  private paintDrag(): void {
    const range = this.drag ? ([Math.min(this.drag.anchor, this.drag.current), Math.max(this.drag.anchor, this.drag.current)] as [number, number]) : null;
    if (this.dragShown) for (let k = this.dragShown[0]; k <= this.dragShown[1]; k++) this.tokenEls[k]?.classList.remove("tp-drag");
    if (range) for (let k = range[0]; k <= range[1]; k++) this.tokenEls[k]?.classList.add("tp-drag");
    this.dragShown = range;
  }

  // ---- state changes ----------------------------------------------------------------------

  private emitHighlight(): void {
    const of = (k: number) => (k >= 0 && k < this.list.length ? this.list[k].audio_span_id ?? null : null);
    const region = of(this.hovered) ?? of(this.selected);
    const known = region !== null && this.regions.has(region) ? region : null;
    if (known === this.emitted) return;
    this.emitted = known;
    this.opts.onHighlightRegion(known);
  }

  private select(index: number): void {
    this.selected = index;
    this.paintStates();
    this.emitHighlight();
  }

  private setHover(index: number): void {
    if (index === this.hovered) return;
    this.hovered = index;
    this.paintStates();
    this.emitHighlight();
  }

  /** Replace the spans with `next` (from a gesture); select `select`'s equal in it. */
  private commit(next: TextSpan[], select: TextSpan | null): void {
    const changed = !sameSpans(this.list, next);
    this.list = next;
    this.selected = select ? next.findIndex((s) => s.token_start === select.token_start && s.token_end === select.token_end) : -1;
    this.hovered = -1;
    this.render();
    this.emitHighlight();
    if (changed) this.opts.onChange(this.spans());
  }

  private makeSpan(first: number, last: number, label: string, link?: string): void {
    const a = Math.min(first, last);
    const b = Math.max(first, last);
    const span = spanFromTokens(this.tokens, a, b, label, link);
    this.commit(addSpan(this.list, span), span);
  }

  private removeAt(index: number): void {
    if (index < 0 || index >= this.list.length) return;
    this.commit(removeSpan(this.list, index), null);
  }

  // ---- events -----------------------------------------------------------------------------

  private tokenOf(target: EventTarget | null): number {
    const el = target instanceof Element ? target.closest(".tp-tok") : null;
    return el instanceof HTMLElement ? Number(el.dataset.i) : -1;
  }

  private spanOf(target: EventTarget | null): number {
    const el = target instanceof Element ? target.closest(".tp-span") : null;
    return el instanceof HTMLElement && this.root.contains(el) ? Number(el.dataset.s) : -1;
  }

  private mousedown(e: MouseEvent): void {
    if (e.button !== 0) return;
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest(".tp-remove, .tp-link, .tp-make-region")) {
      // their click does the work; the focus stays on the panel, not on a button about to go
      e.preventDefault();
      this.root.focus({ preventScroll: true });
      return;
    }
    const token = this.tokenOf(target);
    const span = this.spanOf(target);
    if (token >= 0 || span >= 0) {
      e.preventDefault(); // no native text selection; focus by hand instead
      this.root.focus({ preventScroll: true });
    }
    if (!this.editable || token < 0) {
      this.select(span);
      return;
    }
    if (e.shiftKey) {
      this.extendTo(token);
      return;
    }
    this.drag = { anchor: token, current: token };
    this.paintDrag();
  }

  private extendTo(token: number): void {
    const sel = this.selected >= 0 ? this.list[this.selected] : null;
    if (sel) {
      this.makeSpan(Math.min(sel.token_start, token), Math.max(sel.token_end, token), sel.label, sel.audio_span_id);
    } else {
      this.makeSpan(this.lastToken >= 0 ? this.lastToken : token, token, this.activeLabel);
    }
    this.lastToken = token;
  }

  private pointerAt(e: MouseEvent): void {
    this.setHover(this.spanOf(e.target));
    if (!this.drag) return;
    const token = this.tokenOf(e.target);
    if (token >= 0 && token !== this.drag.current) {
      this.drag.current = token;
      this.paintDrag();
    }
  }

  private finishDrag(): void {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    this.paintDrag();
    this.lastToken = drag.anchor;
    if (drag.anchor === drag.current) {
      const inside = spanAt(this.list, drag.anchor);
      if (inside >= 0) {
        this.select(inside);
        return;
      }
    }
    this.makeSpan(drag.anchor, drag.current, this.activeLabel);
  }

  private click(e: MouseEvent): void {
    const target = e.target instanceof Element ? e.target : null;
    if (!target || !this.editable) return;
    const index = this.spanOf(target);
    if (index < 0) return;
    if (target.closest(".tp-remove")) {
      e.preventDefault();
      this.removeAt(index);
    } else if (target.closest(".tp-link")) {
      e.preventDefault();
      this.commit(linkSpan(this.list, index, null), null);
    } else if (target.closest(".tp-make-region")) {
      e.preventDefault();
      this.regionFor(index);
    }
  }

  private keydown(e: KeyboardEvent): void {
    const target = e.target instanceof Node ? e.target : null;
    if (!target || !this.root.contains(target) || isTextTarget(target as HTMLElement)) return;
    if (this.selected < 0) return;
    if ((e.key === "Delete" || e.key === "Backspace") && this.editable && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      e.stopPropagation();
      this.removeAt(this.selected);
    } else if (e.key === "Escape") {
      this.select(-1);
    }
  }
}
