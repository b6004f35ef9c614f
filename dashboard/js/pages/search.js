// Phone search: rate limited per user and audited; the API redacts the numbers it answers with.
import { request } from "../api.js";
import { count, h, seconds, table, when } from "../dom.js";
import { panel } from "../panel.js";
import { v1Params } from "../range.js";

export async function searchPage(main, { range }) {
  const results = panel("Results", { id: "search-results", wide: true });
  const phone = h("input", { id: "phone", name: "phone", type: "search", minlength: 4, required: true, autocomplete: "off", inputmode: "tel" });
  const limit = h("input", { id: "limit", name: "limit", type: "number", min: 1, max: 100, value: 50 });
  const form = h(
    "form",
    { class: "card inline", onsubmit: (event) => {
      event.preventDefault();
      results.load(async (body) => {
        const query = new URLSearchParams({ ...v1Params(range), phone: phone.value, limit: limit.value });
        const { data } = await request(`/api/v1/analytics/search?${query}`);
        body.append(h("p", { dataset: { testid: "search-summary" } },
          `${count(data.total_count)} calls for `, h("code", {}, data.search_term_redacted),
          data.results.length < data.total_count ? ` (showing the first ${count(data.results.length)})` : ""));
        if (!data.results.length) {
          body.append(h("p", { class: "empty" }, `No call from or to ${data.search_term_redacted} between ${range.from} and ${range.to}.`));
          return;
        }
        body.append(table([
          { key: "phone_number_redacted", label: "Number" },
          { key: "start_time", label: "Started", format: when },
          { key: "duration_seconds", label: "Duration", numeric: true, format: seconds },
          { key: "outcome", label: "Outcome" },
          { key: "status", label: "Status" },
        ], data.results, { sortable: true, caption: "Calls", testid: "search-table" }));
      });
    } },
    h("label", { for: "phone" }, "Phone number (at least 4 characters)", phone),
    h("label", { for: "limit" }, "Results (1–100)", limit),
    h("button", { type: "submit" }, "Search"),
  );
  main.append(
    h("p", { class: "note", dataset: { testid: "search-limit" } },
      "Limited to 10 searches per minute per user (and a daily budget); every search is audited. Numbers are redacted in the answer: only the last four digits show."),
    form,
    h("div", { class: "grid" }, results.el),
  );
  results.body.append(h("p", { class: "empty" }, "Enter a phone number (or its last digits) and search."));
}
