// Dates in the household's time zone. Due dates are plain calendar dates (YYYY-MM-DD); instants
// are ISO 8601 with an offset. The platform's Intl does the IANA time-zone arithmetic and the
// formatting: no date library in Today's first download.

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const isoDay = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

type WallClock = { year: number; month: number; day: number; hour: number; minute: number; second: number };
const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `timeZone` at `instant`. */
function wallClock(instant: Date, timeZone: string): WallClock {
  let formatter = wallFormats.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    wallFormats.set(timeZone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant)) parts[part.type] = Number(part.value);
  return parts as WallClock;
}

/** How far `timeZone` is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(new Date(instant), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

const localInput = (w: WallClock) => `${isoDay(w.year, w.month, w.day)}T${pad(w.hour)}:${pad(w.minute)}`;

/** Today's date in `timeZone`, as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const w = wallClock(now, timeZone);
  return isoDay(w.year, w.month, w.day);
}

/** A plain date moved by `days` (calendar arithmetic, no time zone involved). */
export function shiftDate(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The first due date of the n-th of several new chores repeating every `days`: spread over the
 * interval (3 days apart, wrapping), so that a new list does not make everything due today. */
export function spreadDue(today: string, index: number, days: number): string {
  return shiftDate(today, days <= 1 ? 0 : (index * 3) % days);
}

/** Now in `timeZone` as the value of an <input type="datetime-local">. */
export function localNowInput(timeZone: string, now: Date = new Date()): string {
  return localInput(wallClock(now, timeZone));
}

/** An instant as a datetime-local value in `timeZone`. */
export function instantToInput(instant: string, timeZone: string): string {
  return localInput(wallClock(new Date(instant), timeZone));
}

/** A wall-clock time in `timeZone` ("2025-03-30T02:30") as ISO 8601 with that zone's offset; a
 * time skipped by a clock change moves forward by the change, as the clock did. */
export function inputToInstant(local: string, timeZone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) throw new Error(`not a local date-time: ${local}`);
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  // The offset near the time, then again at the instant it gives (a clock change in between).
  let instant = asUtc - offsetAt(asUtc, timeZone);
  const offset = offsetAt(instant, timeZone);
  instant = asUtc - offset;
  const final = offsetAt(instant, timeZone);
  const minutes = Math.round(Math.abs(final) / 60_000);
  const zone = final === 0 ? "Z" : `${final < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  return `${localNowInput(timeZone, new Date(instant))}:00${zone}`;
}

const locales: Record<string, string> = { ja: "ja-JP", en: "en-GB" };

// Making a formatter costs far more than using one, and a list formats a date on every row.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** A plain date for display: "11月26日(水)" / "Wed 26 Nov". */
export function formatDay(isoDate: string, language: string, withYear = false): string {
  const [y, m, d] = isoDate.split("-").map(Number) as [number, number, number];
  const key = `${language} ${withYear}`;
  let formatter = dayFormats.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locales[language] ?? language, {
      timeZone: "UTC",
      weekday: "short",
      month: "short",
      day: "numeric",
      ...(withYear ? { year: "numeric" } : {}),
    });
    dayFormats.set(key, formatter);
  }
  return formatter.format(new Date(Date.UTC(y, m - 1, d)));
}

/** An instant for display in the household's time zone. */
export function formatInstant(instant: string, timeZone: string, language: string): string {
  return new Intl.DateTimeFormat(locales[language] ?? language, {
    timeZone,
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(instant));
}

/** ISO weekday (1 = Monday .. 7 = Sunday) of a plain date. */
export function isoWeekday(isoDate: string): number {
  const [y, m, d] = isoDate.split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return day === 0 ? 7 : day;
}

/** Weekday names, Monday first, in `language`. */
export function weekdayNames(language: string): string[] {
  const formatter = new Intl.DateTimeFormat(locales[language] ?? language, {
    weekday: "short",
    timeZone: "UTC",
  });
  // 2024-01-01 was a Monday.
  return Array.from({ length: 7 }, (_, i) => formatter.format(new Date(Date.UTC(2024, 0, 1 + i))));
}
