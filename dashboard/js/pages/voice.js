// Voice: call KPIs, daily volume, outcomes, the weekday × hour heatmap in the chosen zone, LLM usage.
import { get } from "../api.js";
import { barChart, heatmap, lineChart } from "../charts.js";
import { count, decimal, h, percent, seconds, table } from "../dom.js";
import { empty, kpi, panel } from "../panel.js";
import { v1Params } from "../range.js";

export async function voicePage(main, { range }) {
  const kpis = panel("Call KPIs", { id: "call-kpis", wide: true });
  const volume = panel("Daily call volume", { id: "call-volume", wide: true, note: `Local days in ${range.tz}.` });
  const outcomes = panel("Outcomes", { id: "outcomes" });
  const peaks = panel("Peak hours", { id: "peak-hours", note: `Calls per weekday and hour in ${range.tz}.` });
  const llm = panel("LLM usage", { id: "llm", wide: true });
  main.append(h("div", { class: "grid" }, [kpis, volume, outcomes, peaks, llm].map((item) => item.el)));

  const params = v1Params(range);
  const metrics = get("/api/v1/analytics/call-metrics", params);
  const usage = get("/api/v1/analytics/usage-patterns", params);

  kpis.load(async (body) => {
    const k = (await metrics).kpis;
    if (!k.total_calls) return empty(body, "No calls in this range.");
    body.append(h("div", { class: "kpis" },
      kpi("Calls", count(k.total_calls), { key: "total_calls" }),
      kpi("Completed", count(k.completed_calls), { key: "completed_calls" }),
      kpi("Failed", count(k.failed_calls), { key: "failed_calls" }),
      kpi("Average duration", seconds(k.avg_duration_seconds), { key: "avg_duration_seconds" }),
      kpi("First-call resolution", percent(k.first_call_resolution_rate), { key: "first_call_resolution_rate" }),
      kpi("Tickets created", count(k.tickets_created), { key: "tickets_created" }),
      kpi("Escalations", count(k.escalation_count), { key: "escalation_count" }),
    ));
  });
  volume.load(async (body) => {
    const days = (await metrics).call_volume;
    if (!days.length) return empty(body, "No calls in this range.");
    body.append(lineChart(days.map((day) => ({ label: day.date, value: day.total_calls })), { title: "Calls per day", format: count }));
    body.append(h("details", {}, h("summary", {}, "Numbers"), table(
      [{ key: "date", label: "Day" }, { key: "total_calls", label: "Calls", numeric: true, format: count }, { key: "completed_calls", label: "Completed", numeric: true, format: count }, { key: "failed_calls", label: "Failed", numeric: true, format: count }],
      days, { caption: "Calls per day", testid: "call-volume-table" },
    )));
  });
  outcomes.load(async (body) => {
    const rows = (await metrics).outcome_breakdown;
    if (!rows.length) return empty(body, "No calls in this range, so no outcomes.");
    body.append(barChart(rows.map((item) => ({ label: item.outcome, value: item.count, text: `${count(item.count)} · ${percent(item.percentage)}` })), { title: "Calls per outcome" }));
  });
  peaks.load(async (body) => {
    const cells = (await metrics).peak_hours;
    if (!cells.length) return empty(body, "No calls in this range.");
    body.append(heatmap(cells, { title: `Calls per weekday and hour (${range.tz})` }));
  });
  llm.load(async (body) => {
    const answer = await usage;
    if (!answer.llm_usage.length) return empty(body, "No LLM request was recorded for calls in this range.");
    body.append(h("div", { class: "kpis" }, kpi("Tokens per call (avg)", decimal(answer.avg_tokens_per_call), { key: "avg_tokens_per_call" })));
    body.append(table([
      { key: "provider", label: "Provider" },
      { key: "total_requests", label: "Requests", numeric: true, format: count },
      { key: "total_input_tokens", label: "Input tokens", numeric: true, format: count },
      { key: "total_output_tokens", label: "Output tokens", numeric: true, format: count },
      { key: "avg_latency_ms", label: "Latency (avg ms)", numeric: true, format: decimal },
      { key: "error_count", label: "Errors", numeric: true, format: count },
    ], answer.llm_usage, { sortable: true, caption: "LLM usage per provider", testid: "llm-table" }));
  });
}
