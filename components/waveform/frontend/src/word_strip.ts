/**
 * The recognised words under the waveform (the transcript view): the words in
 * reading order, wrapping; the word being spoken highlighted while playing;
 * a click on a word seeks there (playing on if it was playing). Unsure words
 * (a probability under 0.5) are underlined dotted.
 *
 * The strip shows the words as they were recognised: the transcript field
 * beside it is the annotator's, and editing it never changes the strip.
 * Words only ever reach the DOM as text.
 */
import { el } from "./dom";
import { clock, isLowScore, rangeText, wordAt, type Word } from "./words";

export interface WordStripOptions {
  /** seek the audio to `t` (the card's time) */
  seek(t: number): void;
}

export class WordStrip {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private words: Word[] = [];
  private els: HTMLElement[] = [];
  private current = -1;

  constructor(private readonly opts: WordStripOptions) {
    this.root = el("div", { class: "card-words", hidden: "" });
    const head = el("div", { class: "card-words-head" });
    head.append(
      el("span", { class: "card-words-title" }, "recognised words"),
      el("span", { class: "card-words-hint" }, " · as the recogniser heard them (editing the transcript leaves them as they are) · click a word to play from it"),
    );
    this.list = el("div", { class: "card-words-list", role: "list", "aria-label": "Recognised words" });
    this.list.addEventListener("mousedown", (e) => {
      if ((e.target as Element | null)?.closest?.(".cw-word")) e.preventDefault(); // the focus stays on the card
    });
    this.list.addEventListener("click", (e) => {
      const w = (e.target as Element | null)?.closest?.(".cw-word");
      if (!(w instanceof HTMLElement)) return;
      const word = this.words[Number(w.dataset.i)];
      if (word) this.opts.seek(word.start);
    });
    this.root.append(head, this.list);
  }

  /** The words of a new task (sorted by start, in the card's time); `offset` is the file time of the card's 0. */
  load(words: Word[], offset: number): void {
    this.words = words;
    this.current = -1;
    this.els = words.map((w, i) => {
      const span = el("span", { class: "cw-word", role: "listitem", "data-i": String(i) }, w.text || "…");
      const sure = w.score !== undefined ? ` · probability ${w.score.toFixed(2)}` : "";
      span.title = `${rangeText([w.start, w.end], offset)}${sure}`;
      span.dataset.start = clock(w.start + offset);
      if (isLowScore(w)) span.classList.add("cw-unsure");
      return span;
    });
    const frag = document.createDocumentFragment();
    this.els.forEach((e, i) => {
      if (i) frag.append(" ");
      frag.append(e);
    });
    this.list.replaceChildren(frag);
    this.root.hidden = words.length === 0;
  }

  hide(): void {
    this.root.hidden = true;
  }

  /** The playhead moved to `t`: only the word that stops or starts being spoken changes class. */
  time(t: number): void {
    if (this.root.hidden) return;
    const i = wordAt(this.words, t);
    if (i === this.current) return;
    this.els[this.current]?.classList.remove("cw-now");
    const now = this.els[i];
    now?.classList.add("cw-now");
    this.current = i;
    // a long transcript scrolls in its box: keep the word spoken in view (the box, not the page)
    const list = this.list;
    if (now && list.scrollHeight > list.clientHeight) {
      const top = now.offsetTop;
      if (top < list.scrollTop || top + now.offsetHeight > list.scrollTop + list.clientHeight) {
        list.scrollTop = Math.max(0, top - list.clientHeight / 3);
      }
    }
    this.root.dataset.now = String(i);
  }
}
