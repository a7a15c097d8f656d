import { Streamlit } from "streamlit-component-lib/dist/streamlit";
import { Editor } from "./editor";
import { Card } from "./card";
import { isCardArgs } from "./bridge";
import type { Args } from "./protocol";
import "./style.css";

const root = document.getElementById("root") as HTMLElement;
let lastHeight = -1;
const setHeight = () => {
  const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (h !== lastHeight) {
    lastHeight = h;
    Streamlit.setFrameHeight(h);
  }
};
// The same component serves two modes: the region editor alone (Review), or
// the annotation card around it (Annotate). The first args decide which.
let editor: Editor | null = null;
let card: Card | null = null;
new ResizeObserver(setHeight).observe(document.body);

Streamlit.events.addEventListener(Streamlit.RENDER_EVENT, (event: Event) => {
  const detail = (event as CustomEvent<{ args: unknown; disabled: boolean }>).detail;
  try {
    if (isCardArgs(detail.args)) {
      card ??= new Card(root, { send: (value) => Streamlit.setComponentValue(value), setHeight });
      card.render(detail.args);
    } else {
      editor ??= new Editor(root, { send: (value) => Streamlit.setComponentValue(value), setHeight });
      editor.render(detail.args as Args);
    }
  } catch (err) {
    // never a blank frame: say what went wrong
    console.error("waveform: render failed", err);
    document.body.dataset.error = "1";
    const box = document.createElement("div");
    box.className = "wf-error";
    box.setAttribute("role", "alert");
    box.textContent = `The waveform editor failed: ${err instanceof Error ? err.message : String(err)}. Reload the page.`;
    root.replaceChildren(box);
  }
});
Streamlit.setComponentReady();
setHeight();
