// Help center deflection and the email channels (both from the insights).
import { get } from "../api.js";
import { count, h, percent, table } from "../dom.js";
import { empty, kpi, panel } from "../panel.js";
import { v2Params } from "../range.js";

export async function helpCenterPage(main, { range }) {
  const deflection = panel("Help center", { id: "help-center", wide: true });
  const articles = panel("Top articles", { id: "articles", wide: true });
  const email = panel("Email", { id: "email", wide: true });
  const channels = panel("Email channels", { id: "email-channels", wide: true });
  main.append(h("div", { class: "grid" }, [deflection, articles, email, channels].map((item) => item.el)));
  const insights = get("/api/v2/analytics/conversations/insights", v2Params(range));

  deflection.load(async (body) => {
    const d = (await insights).help_center_deflection;
    if (!d.article_count) return empty(body, "This tenant has no published help center article.");
    body.append(h("div", { class: "kpis" },
      kpi("Articles", count(d.article_count), { key: "article_count" }),
      kpi("Views", count(d.total_views), { key: "total_views" }),
      kpi("Helpful", count(d.helpful_feedback), { key: "helpful_feedback" }),
      kpi("Not helpful", count(d.not_helpful_feedback), { key: "not_helpful_feedback" }),
      kpi("Deflection rate", percent(d.deflection_rate), { key: "deflection_rate" }),
    ));
  });
  articles.load(async (body) => {
    const rows = (await insights).help_center_deflection.top_articles;
    if (!rows.length) return empty(body, "No article was viewed in this range.");
    body.append(table([
      { key: "title", label: "Article" },
      { key: "view_count", label: "Views", numeric: true, format: count },
      { key: "helpful_count", label: "Helpful", numeric: true, format: count },
      { key: "not_helpful_count", label: "Not helpful", numeric: true, format: count },
    ], rows, { sortable: true, caption: "Most viewed articles", testid: "articles-table" }));
  });
  email.load(async (body) => {
    const e = (await insights).email_channel_metrics;
    if (!e.total_channels) return empty(body, "This tenant has no email channel.");
    body.append(h("div", { class: "kpis" },
      kpi("Channels", `${count(e.active_channels)} active of ${count(e.total_channels)}`, { key: "channels" }),
      kpi("Email conversations", count(e.email_conversations), { key: "email_conversations" }),
      kpi("Inbound messages", count(e.inbound_messages), { key: "inbound_messages" }),
      kpi("Outbound messages", count(e.outbound_messages), { key: "outbound_messages" }),
      kpi("Bounced contacts", count(e.bounced_contacts), { key: "bounced_contacts" }),
      kpi("Complaints", count(e.complained_contacts), { key: "complained_contacts" }),
    ));
  });
  channels.load(async (body) => {
    const rows = (await insights).email_channel_metrics.by_channel;
    if (!rows.length) return empty(body, "This tenant has no email channel.");
    body.append(table([
      { key: "address", label: "Address" },
      { key: "status", label: "Status" },
      { key: "conversation_count", label: "Conversations", numeric: true, format: count },
    ], rows, { sortable: true, caption: "Per channel", testid: "email-channels-table" }));
  });
}
