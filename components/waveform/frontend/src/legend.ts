/**
 * The label legend: a button per label (its colour, name and key), the active
 * one pressed. A click chooses that label (`onChoose` with its index).
 */
import type { LabelSpec } from "./colors";
import { el } from "./dom";

export class Legend {
  readonly el: HTMLElement;

  constructor(private readonly onChoose: (index: number) => void) {
    this.el = el("div", { class: "wf-legend", role: "group", "aria-label": "Labels" });
  }

  /**
   * Draw the labels; `keyOf(i)` is the key combo that chooses the i-th (0-based), if any.
   * With read-only regions (the `audio` view) there is nothing to choose: the labels are
   * the question the task asks ("GOOD_QUALITY?"), plain text, each with its colour.
   */
  render(
    labels: LabelSpec[],
    active: string,
    colorOf: (label: string) => string,
    keyOf: (index: number) => string | undefined,
    editable = true,
  ): void {
    this.el.replaceChildren();
    this.el.classList.toggle("wf-legend-question", !editable);
    this.el.setAttribute("role", editable ? "group" : "heading");
    this.el.setAttribute("aria-label", editable ? "Labels" : questionText(labels));
    if (!editable) {
      labels.forEach((label, i) => {
        const part = el("span", { class: "wf-question-label", "data-label": label.name });
        const sw = el("span", { class: "wf-swatch", "aria-hidden": "true" });
        sw.style.background = colorOf(label.name);
        const name = el("span", { class: "wf-label-name" }, label.name);
        if (i < labels.length - 1) name.append(el("span", { class: "wf-question-or" }, " or "));
        else name.append(el("span", { class: "wf-question-mark" }, "?"));
        part.append(sw, name);
        this.el.appendChild(part);
      });
      this.el.hidden = labels.length === 0;
      return;
    }
    labels.forEach((label, i) => {
      const btn = el("button", { type: "button", class: "wf-label", "data-label": label.name });
      btn.setAttribute("aria-pressed", label.name === active ? "true" : "false");
      const sw = el("span", { class: "wf-swatch" });
      sw.style.background = colorOf(label.name);
      const name = el("span", { class: "wf-label-name" }, label.name);
      const keyCombo = keyOf(i);
      btn.append(sw, name);
      if (keyCombo) btn.append(el("kbd", {}, keyCombo));
      btn.title = keyCombo ? `${label.name} (${keyCombo})` : label.name;
      btn.addEventListener("click", () => this.onChoose(i));
      this.el.appendChild(btn);
    });
    this.el.hidden = labels.length === 0;
  }
}

/** The question a read-only task asks: "GOOD_QUALITY?", or "SPEECH or NOISE?". */
export function questionText(labels: LabelSpec[]): string {
  return labels.length ? `${labels.map((l) => l.name).join(" or ")}?` : "";
}
