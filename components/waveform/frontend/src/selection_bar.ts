/**
 * The bar under the waveform for the selected region: its label, times and
 * channel, play, its text (committed on change or Enter) and delete. Hidden
 * while no region is selected.
 */
import { el } from "./dom";
import type { RegionData } from "./state";
import { formatTime } from "./ticks";

export interface SelectionBarCallbacks {
  play(): void;
  /** The region's text field was committed with this text. */
  commitText(text: string): void;
  remove(): void;
}

export class SelectionBar {
  readonly el: HTMLElement;
  private readonly label: HTMLElement;
  private readonly times: HTMLElement;
  private readonly text: HTMLInputElement;
  private readonly removeBtn: HTMLButtonElement;

  constructor(cb: SelectionBarCallbacks) {
    this.el = el("div", { class: "wf-selection", hidden: "" });
    this.label = el("span", { class: "wf-sel-label" });
    this.times = el("span", { class: "wf-sel-times" });
    const play = el("button", { type: "button", class: "wf-sel-play", title: "Play the region (shift+space)" }, "▶ region");
    play.addEventListener("click", () => cb.play());
    this.text = el("input", { type: "text", class: "wf-sel-text", placeholder: "region text", "aria-label": "Region text" });
    this.text.addEventListener("change", () => cb.commitText(this.text.value));
    this.text.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        cb.commitText(this.text.value);
        this.text.blur();
      } else if (e.key === "Escape") this.text.blur();
      e.stopPropagation();
    });
    this.removeBtn = el("button", { type: "button", class: "wf-sel-delete", title: "Delete the region (delete)" }, "✕ delete");
    this.removeBtn.addEventListener("click", () => cb.remove());
    this.el.append(this.label, this.times, play, this.text, this.removeBtn);
  }

  /** Show the selected region (`undefined`: none, the bar hides). */
  show(r: RegionData | undefined, color: string, editable: boolean): void {
    if (!r) {
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    this.label.textContent = r.label || "(no label)";
    this.label.style.borderColor = color;
    const ch = r.channel === null || r.channel === undefined ? "" : ` · channel ${r.channel + 1}`;
    this.times.textContent = `${formatTime(r.start, 3)} – ${formatTime(r.end, 3)} (${(r.end - r.start).toFixed(3)} s)${ch}`;
    // not while the annotator is typing in it
    if (document.activeElement !== this.text) this.text.value = r.text ?? "";
    this.text.disabled = !editable;
    this.removeBtn.hidden = !editable;
  }
}
