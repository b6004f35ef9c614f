// The date range and time zone of every page, kept in the URL's hash (#/page?from=…&to=…&tz=…) so a view can be shared.

const DAY_MS = 86400000;

export function todayIn(tz) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function validZone(tz) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// The zone's offset from UTC at an instant, in ms.
function offsetAt(instant, tz) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(instant)).map((part) => [part.type, part.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

// The UTC instant of a wall-clock time in the zone (twice, so a DST change between guess and answer is honoured).
export function zonedInstant(isoDate, time, tz) {
  const wall = Date.parse(`${isoDate}T${time}Z`);
  let instant = wall - offsetAt(wall, tz);
  instant = wall - offsetAt(instant, tz);
  return new Date(instant).toISOString().replace(".000Z", "Z");
}

export function readRange(params) {
  let tz = params.get("tz") || browserZone();
  if (!validZone(tz)) tz = "UTC";
  const isDate = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value || "");
  const to = isDate(params.get("to")) ? params.get("to") : todayIn(tz);
  const from = isDate(params.get("from")) ? params.get("from") : addDays(to, -29);
  return { from, to, tz };
}

// v2 conversation routes take instants: the range's first and last second in the chosen zone.
export function v2Params(range) {
  return { date_from: zonedInstant(range.from, "00:00:00", range.tz), date_to: zonedInstant(range.to, "23:59:59", range.tz) };
}

// v1 voice routes take local dates and the zone that buckets them.
export function v1Params(range) {
  return { start_date: range.from, end_date: range.to, tz: range.tz };
}

// The period of the same length just before: what the KPIs' change compares with.
export function previousRange(range) {
  const length = daysBetween(range.from, range.to) + 1;
  return { from: addDays(range.from, -length), to: addDays(range.from, -1), tz: range.tz };
}
