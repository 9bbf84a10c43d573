// Dates in the household's time zone. Due dates are plain calendar dates (YYYY-MM-DD); instants
// are ISO 8601 with an offset. @date-fns/tz does the IANA time-zone arithmetic; Intl formats.
import { TZDate } from "@date-fns/tz";
import { addDays, format, parseISO } from "date-fns";

/** Today's date in `timeZone`, as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return format(new TZDate(now, timeZone), "yyyy-MM-dd");
}

/** A plain date moved by `days` (calendar arithmetic, no time zone involved). */
export function shiftDate(isoDate: string, days: number): string {
  return format(addDays(parseISO(isoDate), days), "yyyy-MM-dd");
}

/** The first due date of the n-th of several new chores repeating every `days`: spread over the
 * interval (3 days apart, wrapping), so that a new list does not make everything due today. */
export function spreadDue(today: string, index: number, days: number): string {
  return shiftDate(today, days <= 1 ? 0 : (index * 3) % days);
}

/** Now in `timeZone` as the value of an <input type="datetime-local">. */
export function localNowInput(timeZone: string, now: Date = new Date()): string {
  return format(new TZDate(now, timeZone), "yyyy-MM-dd'T'HH:mm");
}

/** An instant as a datetime-local value in `timeZone`. */
export function instantToInput(instant: string, timeZone: string): string {
  return format(new TZDate(new Date(instant), timeZone), "yyyy-MM-dd'T'HH:mm");
}

/** A wall-clock time in `timeZone` ("2025-03-30T02:30") as ISO 8601 with that zone's offset. */
export function inputToInstant(local: string, timeZone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) throw new Error(`not a local date-time: ${local}`);
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  return format(new TZDate(y, mo - 1, d, h, mi, 0, timeZone), "yyyy-MM-dd'T'HH:mm:ssXXX");
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
  const day = parseISO(isoDate).getDay();
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
