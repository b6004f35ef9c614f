// Conversations: overview KPIs against the previous period of the same length, volume, channels, SLA, CSAT,
// agents and teams, topics, busiest hours.
import { get } from "../api.js";
import { barChart, lineChart } from "../charts.js";
import { count, decimal, h, minutes, percent, table } from "../dom.js";
import { empty, kpi, panel } from "../panel.js";
import { previousRange, v2Params } from "../range.js";

const OVERVIEW = "/api/v2/analytics/conversations/overview";

// Counts change by a percentage of the earlier value, rates by percentage points, durations by minutes.
function change(now, before, kind, lowerIsBetter = false) {
  if (now === null || before === null || now === undefined || before === undefined) return { text: "no earlier data to compare", tone: "flat" };
  const delta = now - before;
  const tone = delta === 0 ? "flat" : (delta > 0) !== lowerIsBetter ? "good" : "bad";
  const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
  if (kind === "count") {
    if (before === 0) return { text: `${sign}${count(Math.abs(delta))} (none before)`, tone };
    return { text: `${sign}${decimal(Math.abs((100 * delta) / before))}% vs previous period`, tone };
  }
  if (kind === "rate") return { text: `${sign}${decimal(Math.abs(delta))} pp vs previous period`, tone };
  return { text: `${sign}${decimal(Math.abs(delta))} min vs previous period`, tone };
}

export async function conversationsPage(main, { range }) {
  const previous = previousRange(range);
  const kpis = panel("Overview", { id: "overview", wide: true, note: `Change against ${previous.from} – ${previous.to} (same length, just before).` });
  const volume = panel("Volume trend", { id: "volume", wide: true, note: "Conversations with a resolution target, per UTC day created (insights' sla_breach_trend)." });
  const channels = panel("Channel split", { id: "channels" });
  const sla = panel("SLA compliance", { id: "sla" });
  const slaPriority = panel("SLA by priority", { id: "sla-priority" });
  const slaTeam = panel("SLA by team", { id: "sla-team" });
  const csat = panel("CSAT distribution", { id: "csat" });
  const csatTrend = panel("CSAT trend", { id: "csat-trend", note: "Average rating per UTC day, last 30 days of the range." });
  const agents = panel("Agents", { id: "agents", wide: true, note: "Sort by any column: click or press Enter on its header." });
  const teams = panel("Teams", { id: "teams", wide: true });
  const topics = panel("Top topics", { id: "topics" });
  const hours = panel("Busiest hours (UTC)", { id: "hours" });
  main.append(h("div", { class: "grid" }, [kpis, volume, channels, sla, slaPriority, slaTeam, csat, csatTrend, agents, teams, topics, hours].map((item) => item.el)));

  const params = v2Params(range);
  const overview = get(OVERVIEW, params);
  const insights = get("/api/v2/analytics/conversations/insights", params);
  const compliance = get("/api/v2/analytics/conversations/sla-compliance", params);

  kpis.load(async (body) => {
    const [now, before] = await Promise.all([overview, get(OVERVIEW, v2Params(previous))]);
    if (now.total_conversations === 0) return empty(body, "No conversations were created in this range.");
    body.append(
      h(
        "div",
        { class: "kpis" },
        kpi("Conversations", count(now.total_conversations), { key: "total_conversations", change: change(now.total_conversations, before.total_conversations, "count") }),
        kpi("AI resolution rate", percent(now.ai_resolution_rate), { key: "ai_resolution_rate", change: change(now.ai_resolution_rate, before.ai_resolution_rate, "rate") }),
        kpi("AI resolved", count(now.ai_resolved_count), { key: "ai_resolved_count", change: change(now.ai_resolved_count, before.ai_resolved_count, "count") }),
        kpi("Human resolved", count(now.human_resolved_count), { key: "human_resolved_count", change: change(now.human_resolved_count, before.human_resolved_count, "count") }),
        kpi("Escalation rate", percent(now.escalation_rate), { key: "escalation_rate", change: change(now.escalation_rate, before.escalation_rate, "rate", true) }),
        kpi("First response (avg)", minutes(now.first_response_minutes_avg), { key: "first_response_minutes_avg", change: change(now.first_response_minutes_avg, before.first_response_minutes_avg, "minutes", true) }),
        kpi("Resolution (median)", minutes(now.resolution_minutes_median), { key: "resolution_minutes_median", change: change(now.resolution_minutes_median, before.resolution_minutes_median, "minutes", true) }),
      ),
    );
  });

  volume.load(async (body) => {
    const trend = (await insights).sla_breach_trend;
    if (!trend.length) return empty(body, "No conversation with a resolution target was created in this range.");
    body.append(lineChart(trend.map((day) => ({ label: day.day, value: day.tracked })), { title: "Conversations per day", format: count }));
    body.append(h("details", {}, h("summary", {}, "Numbers"), table(
      [{ key: "day", label: "Day" }, { key: "tracked", label: "Conversations", numeric: true, format: count }, { key: "breached", label: "Breached", numeric: true, format: count }, { key: "compliance_rate", label: "Compliance", numeric: true, format: percent }],
      trend, { caption: "Per day", testid: "volume-table" },
    )));
  });

  channels.load(async (body) => {
    const split = (await overview).channel_distribution;
    if (!split.length) return empty(body, "No conversations in this range, so no channels.");
    body.append(barChart(split.map((item) => ({ label: item.channel, value: item.conversation_count, text: count(item.conversation_count) })), { title: "Conversations per channel" }));
  });

  sla.load(async (body) => {
    const answer = await compliance;
    if (!answer.first_response.tracked && !answer.resolution.tracked) return empty(body, "No conversation in this range has an SLA target.");
    body.append(h("div", { class: "kpis" },
      kpi("First response met", percent(answer.first_response.compliance_rate), { key: "sla_first_response" }),
      kpi("Resolution met", percent(answer.resolution.compliance_rate), { key: "sla_resolution" }),
      kpi("Breached (resolution)", count(answer.resolution.breached), { key: "sla_resolution_breached" }),
    ));
  });

  const bucketColumns = [
    { key: "tracked", label: "Tracked", numeric: true, format: count },
    { key: "met", label: "Met", numeric: true, format: count },
    { key: "breached", label: "Breached", numeric: true, format: count },
    { key: "compliance_rate", label: "Compliance", numeric: true, format: percent },
  ];
  slaPriority.load(async (body) => {
    const rows = (await compliance).by_priority;
    if (!rows.length) return empty(body, "No conversation with an SLA target in this range.");
    body.append(table([{ key: "priority", label: "Priority" }, ...bucketColumns], rows, { sortable: true, caption: "Resolution SLA by priority", testid: "sla-priority-table" }));
  });
  slaTeam.load(async (body) => {
    const rows = (await compliance).by_team;
    if (!rows.length) return empty(body, "No conversation assigned to a team has an SLA target in this range.");
    body.append(table([{ key: "team_name", label: "Team" }, ...bucketColumns], rows, { sortable: true, caption: "Resolution SLA by team", testid: "sla-team-table" }));
  });

  csat.load(async (body) => {
    const answer = (await insights).csat;
    if (!answer.rated_responses) return empty(body, "No rated CSAT response in this range.");
    body.append(h("div", { class: "kpis" },
      kpi("Average rating", decimal(answer.avg_rating), { key: "csat_avg_rating" }),
      kpi("Positive", percent(answer.positive_rate), { key: "csat_positive_rate" }),
      kpi("Responses", count(answer.total_responses), { key: "csat_total_responses" }),
    ));
    body.append(barChart(answer.distribution.map((item) => ({ label: `${item.rating} ★`, value: item.response_count, text: count(item.response_count) })), { title: "Responses per rating" }));
  });
  csatTrend.load(async (body) => {
    const trend = (await insights).csat.trend;
    if (!trend.length) return empty(body, "No CSAT response in the last 30 days of this range.");
    body.append(lineChart(trend.map((day) => ({ label: day.day, value: day.avg_rating })), { title: "Average rating per day", format: decimal }));
  });

  agents.load(async (body) => {
    const rows = (await insights).agent_performance;
    if (!rows.length) return empty(body, "No conversation was assigned to an agent in this range.");
    body.append(table([
      { key: "assignee_name", label: "Agent" },
      { key: "assigned_count", label: "Assigned", numeric: true, format: count },
      { key: "resolved_count", label: "Resolved", numeric: true, format: count },
      { key: "resolution_rate", label: "Resolution rate", numeric: true, format: percent },
      { key: "avg_first_response_minutes", label: "First response", numeric: true, format: minutes },
      { key: "avg_resolution_minutes", label: "Resolution", numeric: true, format: minutes },
    ], rows, { sortable: true, caption: "Agent performance", testid: "agents-table" }));
  });
  teams.load(async (body) => {
    const rows = (await insights).team_performance;
    if (!rows.length) return empty(body, "No conversation was assigned to a team in this range.");
    body.append(table([
      { key: "team_name", label: "Team" },
      { key: "assigned_count", label: "Assigned", numeric: true, format: count },
      { key: "resolved_count", label: "Resolved", numeric: true, format: count },
      { key: "resolution_rate", label: "Resolution rate", numeric: true, format: percent },
      { key: "avg_resolution_minutes", label: "Resolution", numeric: true, format: minutes },
    ], rows, { sortable: true, caption: "Team performance", testid: "teams-table" }));
  });

  topics.load(async (body) => {
    const rows = (await insights).top_topics;
    if (!rows.length) return empty(body, "No conversation in this range has a topic.");
    body.append(barChart(rows.map((item) => ({ label: item.topic, value: item.conversation_count, text: `${count(item.conversation_count)} · ${percent(item.share)}` })), { title: "Top topics" }));
  });
  hours.load(async (body) => {
    const rows = (await insights).busiest_hours;
    if (!rows.length) return empty(body, "No conversations in this range.");
    const byHour = [...rows].sort((a, b) => a.hour_utc - b.hour_utc);
    body.append(barChart(byHour.map((item) => ({ label: `${String(item.hour_utc).padStart(2, "0")}:00`, value: item.conversation_count, text: count(item.conversation_count) })), { title: "Conversations created per UTC hour" }));
  });
}
