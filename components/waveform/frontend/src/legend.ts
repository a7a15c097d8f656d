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

  /** Draw the labels; `keyOf(i)` is the key combo that chooses the i-th (0-based), if any. */
  render(labels: LabelSpec[], active: string, colorOf: (label: string) => string, keyOf: (index: number) => string | undefined): void {
    this.el.replaceChildren();
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
