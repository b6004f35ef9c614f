// The shell: hash routing (#/page?from=…&to=…&tz=…), navigation by role, the range picker, session expiry.
import { clear, h } from "./dom.js";
import { readRange, validZone } from "./range.js";
import { current, hadSession, isAdmin, onSessionExpired, signOut } from "./session.js";
import { signInPage } from "./pages/signin.js";
import { conversationsPage } from "./pages/conversations.js";
import { voicePage } from "./pages/voice.js";
import { overviewPage } from "./pages/overview.js";
import { helpCenterPage } from "./pages/helpcenter.js";
import { searchPage } from "./pages/search.js";
import { exportsPage } from "./pages/exports.js";
import { apiKeysPage } from "./pages/apikeys.js";

const PAGES = [
  { path: "conversations", title: "Conversations", render: conversationsPage },
  { path: "voice", title: "Voice", render: voicePage },
  { path: "overview", title: "Unified overview", render: overviewPage },
  { path: "help-center", title: "Help center & email", render: helpCenterPage },
  { path: "search", title: "Phone search", render: searchPage },
  { path: "exports", title: "Exports", render: exportsPage, admin: true },
  { path: "api-keys", title: "API keys", render: apiKeysPage, admin: true },
];

const app = document.getElementById("app");
let stopPage = () => {};

export function location() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  return { path: path || "conversations", params: new URLSearchParams(query) };
}

export function go(path, params) {
  const query = params && [...params].length ? `?${params}` : "";
  window.location.hash = `#/${path}${query}`;
}

function rangeQuery(range) {
  return new URLSearchParams({ from: range.from, to: range.to, tz: range.tz });
}

function toSignIn(reason) {
  const { path, params } = location();
  const next = path === "signin" ? params.get("next") : `${path}${[...params].length ? `?${params}` : ""}`;
  const query = new URLSearchParams();
  if (reason) query.set("reason", reason);
  if (next) query.set("next", next);
  go("signin", query);
}

function navigation(session, active, range) {
  const links = PAGES.filter((page) => !page.admin || isAdmin(session)).map((page) =>
    h("li", {}, h("a", { href: `#/${page.path}?${rangeQuery(range)}`, "aria-current": page.path === active ? "page" : null }, page.title)),
  );
  return h("nav", { "aria-label": "Pages" }, h("ul", {}, links));
}

function rangePicker(path, range) {
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const from = h("input", { type: "date", name: "from", value: range.from, required: true, id: "range-from" });
  const to = h("input", { type: "date", name: "to", value: range.to, required: true, id: "range-to" });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const tz = h("input", { type: "text", name: "tz", value: range.tz, list: "zones", id: "range-tz", autocomplete: "off", spellcheck: "false" });
  const submit = (event) => {
    event.preventDefault();
    message.hidden = true;
    if (!from.value || !to.value || from.value > to.value) {
      message.hidden = false;
      message.textContent = "The start date must be on or before the end date.";
      return;
    }
    if (!validZone(tz.value)) {
      message.hidden = false;
      message.textContent = `${tz.value} is not an IANA time zone (e.g. Europe/Paris).`;
      return;
    }
    go(path, rangeQuery({ from: from.value, to: to.value, tz: tz.value }));
  };
  return h(
    "form",
    { class: "range", onsubmit: submit, "aria-label": "Date range and time zone" },
    h("label", { for: "range-from" }, "From", from),
    h("label", { for: "range-to" }, "To", to),
    h("label", { for: "range-tz" }, "Time zone", tz),
    h("datalist", { id: "zones" }, zones.map((zone) => h("option", { value: zone }))),
    h("button", { type: "submit" }, "Apply"),
    message,
  );
}

async function render(event) {
  const moved = Boolean(event);
  stopPage();
  stopPage = () => {};
  const { path, params } = location();
  if (path === "signin") {
    clear(app, await signInPage(params, (next) => go(...splitNext(next))));
    return;
  }
  const session = current();
  if (!session) {
    toSignIn(hadSession() ? "expired" : null);
    return;
  }
  const page = PAGES.find((candidate) => candidate.path === path);
  const range = readRange(params);
  if (params.get("from") !== range.from || params.get("to") !== range.to || params.get("tz") !== range.tz) {
    // The defaults (last 30 days in the browser's zone) go into the URL too, so every view can be shared as is.
    for (const [key, value] of rangeQuery(range)) params.set(key, value);
    history.replaceState(null, "", `#/${path}?${params}`);
  }
  const main = h("main", { id: "main", tabindex: "-1" });
  const header = h(
    "header",
    { class: "top" },
    h("div", { class: "brand" }, "Aurion Analytics"),
    h(
      "div",
      { class: "who" },
      h("span", { dataset: { testid: "who" } }, `${session.tenantName || session.tenantSlug || session.tenantId} · ${session.role}`),
      h("button", { type: "button", class: "link", onclick: () => { signOut(); toSignIn("signed-out"); } }, "Sign out"),
    ),
  );
  clear(app, header, navigation(session, path, range), rangePicker(path, range), main);
  // On a phone the navigation scrolls sideways: keep the current page's link in sight.
  app.querySelector('nav a[aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "nearest" });
  document.title = `${page ? page.title : "Not found"} · Aurion Analytics`;
  if (!page) {
    main.append(h("h1", {}, "Not found"), h("p", { class: "empty" }, `There is no page “${path}”.`));
    return;
  }
  main.append(h("h1", {}, page.title));
  if (page.admin && !isAdmin(session)) {
    main.append(h("p", { class: "empty", dataset: { testid: "forbidden" } },
      `${page.title} are for admin roles only (super_admin, tenant_admin); you are signed in as ${session.role}.`));
    return;
  }
  const stop = await page.render(main, { range, params, session });
  if (typeof stop === "function") stopPage = stop;
  // After a navigation inside the app, the keyboard and screen readers continue at the new page, not the old link.
  if (moved) main.focus();
}

function splitNext(next) {
  const [path, query = ""] = (next || "conversations").split("?");
  return [path, new URLSearchParams(query)];
}

onSessionExpired(() => {
  if (location().path !== "signin") toSignIn("expired");
});
window.addEventListener("hashchange", render);
render(null);
