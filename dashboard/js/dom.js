// Small DOM helpers: elements built with textContent only, so API strings are never parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const INTEGER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// Every number on the page goes through these, so a test can format the API's answer the same way.
export function count(value) {
  return value === null || value === undefined ? "—" : INTEGER.format(value);
}
export function decimal(value) {
  return value === null || value === undefined ? "—" : ONE_DECIMAL.format(value);
}
export function percent(value) {
  return value === null || value === undefined ? "—" : `${ONE_DECIMAL.format(value)}%`;
}
export function minutes(value) {
  return value === null || value === undefined ? "—" : `${ONE_DECIMAL.format(value)} min`;
}
export function seconds(value) {
  return value === null || value === undefined ? "—" : `${ONE_DECIMAL.format(value)} s`;
}
export function bytes(value) {
  if (value === null || value === undefined) return "—";
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${ONE_DECIMAL.format(value / 1024)} KB`;
  return `${ONE_DECIMAL.format(value / 1024 / 1024)} MB`;
}
export function when(iso) {
  return iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "—";
}

// A table whose headers sort it (click or Enter/Space on the header's button); `columns`: {key, label, format, numeric}.
export function table(columns, rows, { caption, sortable = false, testid } = {}) {
  let order = { key: null, descending: false };
  const body = h("tbody");
  const heads = columns.map((column) => {
    const label = sortable
      ? h("button", { type: "button", class: "sort", onclick: () => sortBy(column.key) }, column.label)
      : column.label;
    return h("th", { scope: "col", class: column.numeric ? "num" : null, dataset: { key: column.key } }, label);
  });
  const fill = () => {
    const sorted = [...rows];
    if (order.key !== null) {
      sorted.sort((a, b) => compare(a[order.key], b[order.key]) * (order.descending ? -1 : 1));
    }
    clear(
      body,
      sorted.map((row) =>
        h(
          "tr",
          {},
          columns.map((column) =>
            h(
              "td",
              { class: column.numeric ? "num" : null, dataset: { key: column.key } },
              column.format ? column.format(row[column.key], row) : row[column.key] ?? "—",
            ),
          ),
        ),
      ),
    );
    heads.forEach((th, index) => {
      const key = columns[index].key;
      th.setAttribute("aria-sort", key === order.key ? (order.descending ? "descending" : "ascending") : "none");
    });
  };
  const sortBy = (key) => {
    order = { key, descending: order.key === key ? !order.descending : true };
    fill();
  };
  fill();
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || "table" },
    h("table", { dataset: testid ? { testid } : {} }, caption ? h("caption", {}, caption) : null, h("thead", {}, h("tr", {}, heads)), body),
  );
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}
