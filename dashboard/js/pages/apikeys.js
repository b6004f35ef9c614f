// Public API keys: the tenant's opt-in switch, its keys by prefix, a new key shown once, revocation.
import { request } from "../api.js";
import { h, table, when } from "../dom.js";
import { panel } from "../panel.js";

const BASE = "/api/v2/analytics/api-keys";

export async function apiKeysPage(main) {
  const access = panel("Access", { id: "key-access", wide: true });
  const keys = panel("Keys", { id: "keys", wide: true });
  main.append(h("div", { class: "grid" }, access.el, keys.el));
  const refresh = () => {
    access.load(async (body) => {
      const { data } = await request(`${BASE}/access`);
      const toggle = h("button", { type: "button", onclick: async () => {
        toggle.disabled = true;
        try {
          await request(`${BASE}/access`, { method: "PUT", body: { enabled: !data.enabled } });
        } finally {
          refresh();
        }
      } }, data.enabled ? "Switch API-key access off" : "Switch API-key access on");
      body.append(h("p", { dataset: { testid: "key-access" } }, data.enabled ? "API-key access is on: keys may read the analytics GET routes." : "API-key access is off: a request with only X-API-Key gets 403."), toggle);
    });
    keys.load(async (body) => {
      const { data } = await request(BASE);
      const name = h("input", { id: "key-name", name: "name", required: true, maxlength: 200 });
      const shown = h("div", { class: "created-key", role: "status" });
      const form = h("form", { class: "inline", onsubmit: async (event) => {
        event.preventDefault();
        try {
          const { data: created } = await request(BASE, { method: "POST", body: { name: name.value } });
          refresh();
          keys.el.before(h("section", { class: "panel wide notice", dataset: { testid: "new-key" } },
            h("h2", {}, `Key “${created.name}” created`),
            h("p", {}, "Copy it now: it is shown this once and never again."), h("code", { class: "secret" }, created.api_key)));
        } catch (error) {
          shown.textContent = error.message;
          shown.className = "error";
        }
      } }, h("label", { for: "key-name" }, "New key's name", name), h("button", { type: "submit" }, "Create key"), shown);
      body.append(form);
      const live = data.keys.filter((key) => !key.revoked_at);
      if (!data.keys.length) {
        body.append(h("p", { class: "empty" }, data.enabled ? "No key yet: create one above." : "No key yet; switch access on to create one."));
        return;
      }
      body.append(table([
        { key: "name", label: "Name" },
        { key: "prefix", label: "Prefix", format: (value) => h("code", {}, `${value}…`) },
        { key: "role", label: "Role" },
        { key: "created_at", label: "Created", format: when },
        { key: "last_used_at", label: "Last used", format: when },
        { key: "revoked_at", label: "Revoked", format: (value, row) => value ? when(value) : h("button", { type: "button", onclick: async () => {
          await request(`${BASE}/${row.key_id}`, { method: "DELETE" }).catch((error) => alert(error.message));
          refresh();
        } }, `Revoke ${row.name}`) },
      ], data.keys, { caption: `${live.length} active of ${data.keys.length}`, testid: "keys-table" }));
    });
  };
  refresh();
}
