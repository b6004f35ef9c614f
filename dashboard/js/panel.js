// A panel: a titled section with its own loading state, the API's detail on error, and an empty state saying why.
import { clear, h } from "./dom.js";

export function panel(title, { id, wide = false, note } = {}) {
  const body = h("div", { class: "panel-body" });
  const heading = h("h2", { id: `${id}-title` }, title);
  const el = h(
    "section",
    { class: wide ? "panel wide" : "panel", id, "aria-labelledby": `${id}-title`, dataset: { panel: id } },
    heading,
    note ? h("p", { class: "note" }, note) : null,
    body,
  );
  return {
    el,
    body,
    // `render(body)` draws the panel; it may throw (shown) or return false-y after calling `empty`.
    async load(render) {
      el.setAttribute("aria-busy", "true");
      el.dataset.state = "loading";
      clear(body, h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading…"));
      try {
        // Drawn aside, then swapped in: the loading state stays until the panel is complete.
        const fresh = h("div");
        await render(fresh);
        body.replaceChildren(...fresh.childNodes);
        el.dataset.state = fresh.dataset.empty ? "empty" : "ready";
      } catch (error) {
        el.dataset.state = "error";
        clear(body, h("p", { class: "error", role: "alert" }, error.status ? `${error.status}: ` : "", error.message));
      } finally {
        el.removeAttribute("aria-busy");
      }
    },
  };
}

export function empty(body, reason) {
  body.dataset.empty = "true";
  clear(body, h("p", { class: "empty" }, reason));
}

export function kpi(label, value, { key, change } = {}) {
  return h(
    "div",
    { class: "kpi", dataset: key ? { kpi: key } : {} },
    h("div", { class: "kpi-label" }, label),
    h("div", { class: "kpi-value" }, value),
    change ? h("div", { class: `kpi-change ${change.tone}`, dataset: { change: key } }, change.text) : null,
  );
}
