// Exports: create one for the range, watch it run (status, rows written), download it, cancel or delete it;
// and the schedules that create them.
import { request } from "../api.js";
import { bytes, count, h, table, when } from "../dom.js";
import { empty, panel } from "../panel.js";

const FORMATS = ["csv", "json", "pdf", "xlsx"];
const SCOPES = ["voice", "conversations", "all", "sla_quality", "resolution_rates", "performance"];
const ACTIVE = ["queued", "running"];
const POLL_MS = 2000;

function select(id, options, value) {
  return h("select", { id, name: id }, options.map((option) => h("option", { value: option, selected: option === value }, option)));
}
function checkbox(id, label, checked) {
  const input = h("input", { type: "checkbox", id, name: id, checked });
  return { input, el: h("label", { for: id, class: "check" }, input, label) };
}

// The API answers 200 {"url"} (Accept: application/json) for a finished export; navigating to the presigned URL
// lets the browser save the file (S3 sends Content-Disposition: attachment), without reading it through CORS.
async function download(exportId) {
  const { status, data } = await request(`/api/v1/analytics/export/${exportId}/download`, { accept: "application/json" });
  if (status === 202) throw new Error(data.detail);
  const link = h("a", { href: data.url, download: "" });
  document.body.append(link);
  link.click();
  link.remove();
}

export async function exportsPage(main, { range }) {
  const create = panel("New export", { id: "export-create", wide: true, note: `Period ${range.from} – ${range.to}, days in ${range.tz}. Personal data is redacted in every export.` });
  const list = panel("Recent exports", { id: "export-list", wide: true, note: "The last 24 hours; the status refreshes by itself while an export runs." });
  const schedules = panel("Schedules", { id: "schedules", wide: true });
  main.append(h("div", { class: "grid" }, create.el, list.el, schedules.el));
  let timer = null;
  let stopped = false;

  const format = select("format", FORMATS, "csv");
  const scope = select("scope", SCOPES, "voice");
  const details = checkbox("include_call_details", "Call details", true);
  const transcripts = checkbox("include_transcripts", "Transcripts", false);
  const conversations = checkbox("include_conversations", "Conversations", false);
  const message = h("p", { role: "status" });
  create.load(async (body) => {
    body.append(h("form", { class: "inline", onsubmit: async (event) => {
      event.preventDefault();
      message.className = "";
      message.textContent = "Creating…";
      try {
        const { data } = await request("/api/v1/analytics/export", { method: "POST", body: {
          format: format.value, scope: scope.value, start_date: range.from, end_date: range.to, tz: range.tz,
          include_call_details: details.input.checked, include_transcripts: transcripts.input.checked, include_conversations: conversations.input.checked,
        } });
        message.textContent = `Export ${data.export_id} queued; it can be downloaded until ${when(data.expires_at)}.`;
        refreshList();
      } catch (error) {
        message.className = "error";
        message.textContent = `${error.status}: ${error.message}`;
      }
    } },
    h("label", { for: "format" }, "Format", format), h("label", { for: "scope" }, "Scope", scope),
    h("fieldset", {}, h("legend", {}, "Include"), details.el, transcripts.el, conversations.el),
    h("button", { type: "submit" }, "Create export"), message));
  });

  const action = (label, run) => h("button", { type: "button", onclick: async (event) => {
    event.target.disabled = true;
    try {
      await run();
    } catch (error) {
      alert(`${error.status || ""} ${error.message}`);
    } finally {
      event.target.disabled = false;
    }
  } }, label);

  const refreshList = (quiet = false) => {
    clearTimeout(timer);
    const render = async (body) => {
      const { data } = await request("/api/v1/analytics/exports");
      body.replaceChildren();
      if (!data.exports.length) return empty(body, "No export in the last 24 hours: create one above.");
      body.append(table([
        { key: "created_at", label: "Created", format: when },
        { key: "status", label: "Status", format: (value, row) => h("span", { class: `status ${value}`, dataset: { status: row.export_id } }, value, row.failure_reason ? ` (${row.failure_reason})` : "") },
        { key: "rows_written", label: "Rows", numeric: true, format: (value, row) => row.status === "succeeded" ? count(row.row_count) : value === null ? "—" : `${count(value)} so far` },
        { key: "export_id", label: "Actions", format: (id, row) => h("span", { class: "actions" },
          row.status === "succeeded" ? action("Download", () => download(id)) : null,
          ACTIVE.includes(row.status) ? action("Cancel", async () => { await request(`/api/v1/analytics/exports/${id}/cancel`, { method: "POST" }); refreshList(); }) : null,
          !ACTIVE.includes(row.status) && row.status !== "deleted" ? action("Delete", async () => { await request(`/api/v1/analytics/exports/${id}`, { method: "DELETE" }); refreshList(); }) : null) },
        { key: "format", label: "Format" },
        { key: "scope", label: "Scope" },
        { key: "start_date", label: "Period", format: (value, row) => `${value} – ${row.end_date}` },
        { key: "size_bytes", label: "Size", numeric: true, format: bytes },
      ], data.exports, { caption: "Exports", testid: "exports-table" }));
      if (!stopped && data.exports.some((item) => ACTIVE.includes(item.status))) timer = setTimeout(() => refreshList(true), POLL_MS);
    };
    if (quiet) render(list.body).catch(() => list.load(render));
    else list.load(render);
  };
  refreshList();

  const refreshSchedules = () => schedules.load(async (body) => {
    const { data } = await request("/api/v1/analytics/export-schedules");
    body.append(scheduleForm(refreshSchedules, range));
    if (!data.schedules.length) {
      body.append(h("p", { class: "empty" }, "No schedule yet: a schedule creates an export of the period before each run."));
      return;
    }
    body.append(table([
      { key: "name", label: "Name" },
      { key: "cadence", label: "Cadence", format: (value, row) => `${value}${row.weekday ? ` (${row.weekday})` : ""}${row.day_of_month ? ` (day ${row.day_of_month})` : ""} at ${row.time_of_day} ${row.tz}` },
      { key: "format", label: "Format" },
      { key: "scope", label: "Scope" },
      { key: "next_run_at", label: "Next run", format: when },
      { key: "last_run_at", label: "Last run", format: when },
      { key: "schedule_id", label: "Actions", format: (id, row) => h("span", { class: "actions" },
        action(row.enabled ? "Pause" : "Resume", async () => { await request(`/api/v1/analytics/export-schedules/${id}`, { method: "PATCH", body: { enabled: !row.enabled } }); refreshSchedules(); }),
        action("Delete", async () => { await request(`/api/v1/analytics/export-schedules/${id}`, { method: "DELETE" }); refreshSchedules(); })) },
    ], data.schedules, { caption: "Export schedules", testid: "schedules-table" }));
  });
  refreshSchedules();

  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function scheduleForm(done, range) {
  const name = h("input", { id: "schedule-name", required: true, maxlength: 200 });
  const cadence = select("cadence", ["daily", "weekly", "monthly"], "weekly");
  const weekday = select("weekday", ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], "monday");
  const day = h("input", { id: "day_of_month", type: "number", min: 1, max: 28, value: 1 });
  const time = h("input", { id: "time_of_day", type: "time", value: "07:00", required: true });
  const format = select("schedule-format", FORMATS, "csv");
  const scope = select("schedule-scope", SCOPES, "voice");
  const message = h("p", { role: "status" });
  return h("form", { class: "inline", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await request("/api/v1/analytics/export-schedules", { method: "POST", body: {
        name: name.value, cadence: cadence.value, time_of_day: time.value, tz: range.tz, format: format.value, scope: scope.value,
        weekday: cadence.value === "weekly" ? weekday.value : null, day_of_month: cadence.value === "monthly" ? Number(day.value) : null,
      } });
      done();
    } catch (error) {
      message.className = "error";
      message.textContent = `${error.status}: ${error.message}`;
    }
  } },
  h("label", { for: "schedule-name" }, "Name", name), h("label", { for: "cadence" }, "Cadence", cadence),
  h("label", { for: "weekday" }, "Weekday (weekly)", weekday), h("label", { for: "day_of_month" }, "Day (monthly)", day),
  h("label", { for: "time_of_day" }, `Time (${range.tz})`, time), h("label", { for: "schedule-format" }, "Format", format),
  h("label", { for: "schedule-scope" }, "Scope", scope), h("button", { type: "submit" }, "Add schedule"), message);
}
