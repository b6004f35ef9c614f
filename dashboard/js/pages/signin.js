// Local sign-in: pick a demo tenant and a role; the local gateway signs the session (POST /local/session).
// Deployed there is no such route: the helpdesk opens the dashboard with #/signin?token=<session>.
import { config } from "../config.js";
import { detailOf } from "../api.js";
import { h } from "../dom.js";
import { ADMIN_ROLES, READ_ROLES, signIn } from "../session.js";

const REASONS = {
  expired: "Your session expired: sign in again.",
  "signed-out": "You are signed out.",
};
const LENGTHS = [
  [8 * 3600, "8 hours"],
  [3600, "1 hour"],
  [300, "5 minutes"],
  [20, "20 seconds (to see expiry)"],
];

export async function signInPage(params, proceed) {
  const { local_sign_in: local } = await config();
  const next = params.get("next") || "conversations";
  const reason = REASONS[params.get("reason")];
  const handed = params.get("token");
  if (handed) {
    // Out of the address bar and the tab's history at once: a session is a credential.
    history.replaceState(null, "", "#/signin");
    signIn(handed);
    proceed(next);
    return h("p", {}, "Signing in…");
  }
  const main = h("main", { id: "main", class: "signin" }, h("h1", {}, "Sign in to Aurion Analytics"));
  if (reason) main.append(h("p", { class: "notice", role: "status", dataset: { testid: "signin-reason" } }, reason));
  if (!local) {
    main.append(h("p", {}, "Open the dashboard from the helpdesk: it signs you in with your helpdesk session."));
    return main;
  }
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const tenant = h("select", { id: "tenant", name: "tenant", required: true });
  const role = h(
    "select",
    { id: "role", name: "role" },
    READ_ROLES.map((name) => h("option", { value: name, selected: name === "tenant_admin" }, ADMIN_ROLES.includes(name) ? `${name} (admin: exports, API keys)` : name)),
  );
  const ttl = h("select", { id: "ttl", name: "ttl" }, LENGTHS.map(([value, label]) => h("option", { value }, label)));
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "card", onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      message.hidden = true;
      try {
        const response = await fetch("/local/session", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ tenant: tenant.value, role: role.value, ttl_seconds: Number(ttl.value) }),
        });
        const body = await response.json().catch(() => null);
        if (!response.ok) throw new Error(detailOf(body, `${response.status} ${response.statusText}`));
        const chosen = tenant.selectedOptions[0];
        signIn(body.token, { tenantSlug: tenant.value, tenantName: chosen ? chosen.dataset.name : tenant.value });
        proceed(next);
      } catch (error) {
        message.hidden = false;
        message.textContent = error.message;
      } finally {
        submit.disabled = false;
      }
    } },
    h("p", { class: "note" }, "Local stack only: in AWS the helpdesk issues the session."),
    h("label", { for: "tenant" }, "Tenant", tenant),
    h("label", { for: "role" }, "Role", role),
    h("label", { for: "ttl" }, "Session length", ttl),
    submit,
    message,
  );
  main.append(form);
  try {
    const response = await fetch("/local/tenants");
    const body = await response.json();
    if (!response.ok) throw new Error(detailOf(body, `${response.status}`));
    if (!body.tenants.length) throw new Error("No tenants yet: `make run` seeds the demo tenants on its first start.");
    for (const item of body.tenants) {
      tenant.append(h("option", { value: item.slug, dataset: { name: item.name } }, `${item.name} (${item.slug}, ${item.plan})`));
    }
  } catch (error) {
    message.hidden = false;
    message.textContent = `Cannot list the tenants: ${error.message}`;
  }
  return main;
}
