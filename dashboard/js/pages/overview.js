// The unified overview: one block per product of the tenant's profile (voice, platform or complete).
import { get } from "../api.js";
import { count, h, minutes, percent, seconds, decimal } from "../dom.js";
import { empty, kpi, panel } from "../panel.js";
import { v2Params } from "../range.js";

export async function overviewPage(main, { range }) {
  const profile = panel("Profile", { id: "profile", wide: true });
  const voice = panel("Voice", { id: "unified-voice" });
  const cs = panel("Helpdesk", { id: "unified-cs" });
  const cross = panel("Across products", { id: "unified-cross" });
  const kb = panel("Knowledge base", { id: "unified-kb" });
  main.append(h("div", { class: "grid" }, [profile, voice, cs, cross, kb].map((item) => item.el)));
  const answer = get("/api/v2/analytics/unified-overview", v2Params(range));
  const absent = (name, what) => `No ${what} block: ${name} is not part of this tenant's products (profile “%p”).`;

  profile.load(async (body) => {
    const { profile: name } = await answer;
    body.append(h("p", {}, "Product profile: ", h("strong", { dataset: { testid: "profile" } }, name)));
  });
  voice.load(async (body) => {
    const a = await answer;
    if (!a.voice) return empty(body, absent("voice", "voice").replace("%p", a.profile));
    body.append(h("div", { class: "kpis" },
      kpi("Calls", count(a.voice.total_calls), { key: "voice_total_calls" }),
      kpi("Completed", count(a.voice.completed_calls), { key: "voice_completed_calls" }),
      kpi("Average duration", seconds(a.voice.avg_duration_seconds), { key: "voice_avg_duration_seconds" }),
      kpi("First-call resolution", percent(a.voice.first_call_resolution_rate), { key: "voice_first_call_resolution_rate" }),
    ));
  });
  cs.load(async (body) => {
    const a = await answer;
    if (!a.cs) return empty(body, absent("the helpdesk", "helpdesk").replace("%p", a.profile));
    body.append(h("div", { class: "kpis" },
      kpi("Conversations", count(a.cs.total_conversations), { key: "cs_total_conversations" }),
      kpi("AI resolution rate", percent(a.cs.ai_resolution_rate), { key: "cs_ai_resolution_rate" }),
      kpi("First response (avg)", minutes(a.cs.first_response_minutes_avg), { key: "cs_first_response_minutes_avg" }),
      kpi("CSAT (avg)", decimal(a.cs.csat_avg), { key: "cs_csat_avg" }),
    ));
  });
  cross.load(async (body) => {
    const a = await answer;
    if (!a.cross_product) return empty(body, `Only with voice and the helpdesk together (profile “${a.profile}”).`);
    body.append(h("div", { class: "kpis" },
      kpi("Interactions", count(a.cross_product.total_interactions), { key: "cross_total_interactions" }),
      kpi("Blended resolution", percent(a.cross_product.blended_resolution_rate), { key: "cross_blended_resolution_rate" }),
      kpi("Voice share", percent(a.cross_product.voice_share), { key: "cross_voice_share" }),
      kpi("Helpdesk share", percent(a.cross_product.cs_share), { key: "cross_cs_share" }),
    ));
  });
  kb.load(async (body) => {
    const a = await answer;
    if (!a.kb) return empty(body, absent("the knowledge base", "knowledge base").replace("%p", a.profile));
    body.append(h("div", { class: "kpis" },
      kpi("Published articles", count(a.kb.total_published), { key: "kb_total_published" }),
      kpi("Views", count(a.kb.total_views), { key: "kb_total_views" }),
      kpi("Helpfulness", percent(a.kb.helpfulness_rate), { key: "kb_helpfulness_rate" }),
      kpi("AI resolutions", count(a.kb.ai_resolutions), { key: "kb_ai_resolutions" }),
    ));
  });
}
