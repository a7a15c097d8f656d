/**
 * What labels lanes draw on the waveform besides the regions: a stripe per
 * row under it and the rows' names over it (text only: labels are the
 * user's strings). Where each region goes is `tiers.ts`'s geometry; this
 * holds only the two layers' DOM.
 */
import { el } from "./dom";
import { rowGeometry, type TierRow } from "./tiers";

export class TierOverlay {
  /** The rows' stripes, under the waveform. */
  readonly stripes: HTMLElement = el("div", { class: "wf-tiers", "aria-hidden": "true" });
  /** The rows' names, over it. */
  readonly names: HTMLElement = el("div", { class: "wf-tier-names" });

  /** Put both layers in `wave` (the waveform's container: wavesurfer replaces nothing there). */
  attach(wave: HTMLElement): void {
    if (this.stripes.parentElement !== wave) wave.append(this.stripes, this.names);
  }

  show(on: boolean): void {
    this.stripes.hidden = this.names.hidden = !on;
  }

  /** Both layers as tall as the waveform's lanes, in pixels. */
  setHeight(px: number): void {
    this.stripes.style.height = this.names.style.height = `${px}px`;
  }

  /** Draw `rows`, each name edged in its label's colour (`colorOf`; none for the "other" row). */
  draw(rows: TierRow[], colorOf: (label: string) => string): void {
    this.stripes.replaceChildren();
    this.names.replaceChildren();
    rowGeometry(100, rows.length).forEach((box, i) => {
      const row = rows[i];
      for (const [parent, cls] of [[this.stripes, "wf-tier"], [this.names, "wf-tier-slot"]] as const) {
        const div = el("div", { class: i % 2 ? `${cls} wf-tier-odd` : cls });
        div.style.top = `${box.top}%`;
        div.style.height = `${box.height}%`;
        if (row.label === null) div.classList.add("wf-tier-other");
        else div.dataset.label = row.label;
        if (parent === this.names) {
          const name = el("span", { class: "wf-tier-name" }, row.name);
          const color = row.label === null ? "" : colorOf(row.label);
          if (color) name.style.borderLeftColor = color;
          div.appendChild(name);
        }
        parent.appendChild(div);
      }
    });
  }
}
