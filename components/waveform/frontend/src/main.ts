import { Streamlit } from "streamlit-component-lib/dist/streamlit";
import { Editor } from "./editor";
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
const editor = new Editor(root, {
  send: (value) => Streamlit.setComponentValue(value),
  setHeight,
});
new ResizeObserver(setHeight).observe(document.body);

Streamlit.events.addEventListener(Streamlit.RENDER_EVENT, (event: Event) => {
  const detail = (event as CustomEvent<{ args: Args; disabled: boolean }>).detail;
  try {
    editor.render(detail.args);
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
