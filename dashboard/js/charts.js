// Charts as inline SVG (no library): a line, horizontal bars and a weekday × hour heatmap. Each chart has a
// title for screen readers and comes with its numbers in a table (charts alone are not accessible).
import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

// points: [{label, value}] oldest first.
export function lineChart(points, { title, format = String }) {
  const width = 960, height = 220, left = 44, right = 12, top = 12, bottom = 28;
  const values = points.map((point) => point.value ?? 0);
  const max = Math.max(...values, 1);
  const min = Math.min(...values, 0);
  const x = (index) => left + (points.length === 1 ? (width - left - right) / 2 : (index * (width - left - right)) / (points.length - 1));
  const y = (value) => top + (height - top - bottom) * (1 - (value - min) / (max - min || 1));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart" }, s("title", {}, title));
  for (const tick of [min, (min + max) / 2, max]) {
    svg.append(s("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
    svg.append(s("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, format(tick)));
  }
  svg.append(s("polyline", { points: points.map((point, index) => `${x(index)},${y(point.value ?? 0)}`).join(" "), class: "line" }));
  points.forEach((point, index) => {
    const dot = s("circle", { cx: x(index), cy: y(point.value ?? 0), r: 3, class: "dot" }, s("title", {}, `${point.label}: ${format(point.value)}`));
    svg.append(dot);
  });
  if (points.length) {
    svg.append(s("text", { x: left, y: height - 8, class: "axis" }, points[0].label));
    svg.append(s("text", { x: width - right, y: height - 8, "text-anchor": "end", class: "axis" }, points[points.length - 1].label));
  }
  return h("figure", { class: "chart-figure" }, svg);
}

// items: [{label, value, text}] drawn as bars scaled to the largest value. The width is set through the CSSOM:
// the page's Content-Security-Policy refuses style attributes.
function bar(fraction) {
  const el = h("span", { class: "bar" });
  el.style.width = `${100 * fraction}%`;
  return el;
}

export function barChart(items, { title }) {
  const max = Math.max(...items.map((item) => item.value || 0), 1);
  return h(
    "figure",
    { class: "bars", role: "group", "aria-label": title },
    items.map((item) =>
      h(
        "div",
        { class: "bar-row", dataset: { label: item.label } },
        h("span", { class: "bar-label" }, item.label),
        h("span", { class: "bar-track", "aria-hidden": "true" }, bar((item.value || 0) / max)),
        h("span", { class: "bar-value" }, item.text ?? String(item.value)),
      ),
    ),
  );
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

// cells: [{day_of_week 1..7 (ISO), hour 0..23, call_count}]: a 7 × 24 grid, darker is busier.
export function heatmap(cells, { title }) {
  const grid = new Map(cells.map((cell) => [`${cell.day_of_week}:${cell.hour}`, cell.call_count]));
  const max = Math.max(...cells.map((cell) => cell.call_count), 1);
  const size = 22, left = 40, top = 18;
  const svg = s("svg", { viewBox: `0 0 ${left + 24 * size} ${top + 7 * size}`, role: "img", class: "heatmap" }, s("title", {}, title));
  for (let hour = 0; hour < 24; hour += 3) svg.append(s("text", { x: left + hour * size + 2, y: 12, class: "axis" }, String(hour).padStart(2, "0")));
  WEEKDAYS.forEach((name, row) => {
    svg.append(s("text", { x: 0, y: top + row * size + 15, class: "axis" }, name));
    for (let hour = 0; hour < 24; hour += 1) {
      const value = grid.get(`${row + 1}:${hour}`) || 0;
      const cell = s("rect", {
        x: left + hour * size, y: top + row * size, width: size - 2, height: size - 2, rx: 3,
        class: "cell", "fill-opacity": value ? 0.15 + (0.85 * value) / max : 0.04,
        "data-day": row + 1, "data-hour": hour, "data-count": value,
      }, s("title", {}, `${name} ${String(hour).padStart(2, "0")}:00: ${value} calls`));
      svg.append(cell);
    }
  });
  return h("figure", { class: "chart-figure heatmap-figure" }, svg);
}
