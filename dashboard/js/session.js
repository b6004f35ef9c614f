// The session token, kept for this tab only (sessionStorage), and what its role may see.

const KEY = "aurion.session";
// aurion/auth/roles.py EXPORT_ROLES: exports, schedules and API keys are for these roles only (the spec's table).
export const ADMIN_ROLES = ["super_admin", "tenant_admin"];
export const READ_ROLES = ["super_admin", "tenant_owner", "tenant_admin", "agent", "supervisor", "tenant_user", "tenant_readonly"];

let expiryTimer = null;
let onExpire = () => {};

function claims(token) {
  const payload = token.split(".")[1];
  const text = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(text);
}

export function current() {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    return session.exp * 1000 > Date.now() ? session : null;
  } catch {
    return null;
  }
}

// A session was stored and has run out (as opposed to never signed in).
export function hadSession() {
  return sessionStorage.getItem(KEY) !== null;
}

export function isAdmin(session = current()) {
  return Boolean(session && ADMIN_ROLES.includes(session.role));
}

export function signIn(token, extra = {}) {
  const { exp, role, tenant_id: tenantId, sub } = claims(token);
  const session = { token, exp, role, tenantId, userId: sub, ...extra };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  watch();
  return session;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  clearTimeout(expiryTimer);
}

// Calls `handler` when the token's exp passes (or at once when there is no live session).
export function onSessionExpired(handler) {
  onExpire = handler;
  watch();
}

function watch() {
  clearTimeout(expiryTimer);
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return;
  const { exp } = JSON.parse(raw);
  const left = exp * 1000 - Date.now();
  expiryTimer = setTimeout(() => expire(), Math.max(0, Math.min(left, 2 ** 31 - 1)));
}

export function expire() {
  signOut();
  onExpire();
}
