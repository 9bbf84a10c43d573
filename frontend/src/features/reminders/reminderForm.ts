// The reminder form's state, its request body, and a refusal's problems by field (pure;
// unit-tested).
import type { TFunction } from "i18next";
import type { ReminderInput, ReminderSettings } from "../../api/reminders";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { describeProblem } from "../../api/validation";
import { clock } from "../../lib/clock";

export type Scope = ReminderSettings["scope"];
export const SCOPES: Scope[] = ["mine", "mine_and_anyone", "all"];

/** Select values: "" is off; numbers as strings (a <select> holds strings). */
export type ReminderFormState = {
  scope: Scope;
  beforeMinutes: string;
  digestHour: string;
  nagMinutes: string;
  quietStart: string;
  quietEnd: string;
  /** A new URL; empty keeps the saved one (the API never sends it back: it holds secrets). */
  appriseUrl: string;
};

export const BEFORE_CHOICES = [0, 5, 10, 15, 30, 60, 120, 1440];
export const NAG_CHOICES = [5, 10, 15, 30, 60, 120];

/** The choices offered, with the saved value too when it is not one of them (set by the API). */
export function withSaved(choices: number[], saved: number | null): number[] {
  if (saved === null || choices.includes(saved)) return choices;
  return [...choices, saved].sort((a, b) => a - b);
}

const text = (n: number | null) => (n === null ? "" : String(n));
const number = (s: string) => (s === "" ? null : Number(s));

export function formFromSettings(settings: ReminderSettings): ReminderFormState {
  return {
    scope: settings.scope,
    beforeMinutes: text(settings.before_minutes),
    digestHour: text(settings.digest_hour),
    nagMinutes: text(settings.nag_minutes),
    quietStart: clock(settings.quiet_start),
    quietEnd: clock(settings.quiet_end),
    appriseUrl: "",
  };
}

export function toPayload(form: ReminderFormState): ReminderInput {
  const url = form.appriseUrl.trim();
  return {
    scope: form.scope,
    before_minutes: number(form.beforeMinutes),
    digest_hour: number(form.digestHour),
    nag_minutes: number(form.nagMinutes),
    quiet_start: form.quietStart || null,
    quiet_end: form.quietEnd || null,
    // Left out, the saved URL stays.
    ...(url ? { apprise_url: url } : {}),
  };
}

export type FieldName = keyof ReminderInput;
const FIELDS = new Set<string>([
  "scope",
  "before_minutes",
  "digest_hour",
  "nag_minutes",
  "quiet_start",
  "quiet_end",
  "apprise_url",
]);

/** A refused save's messages: per field, to show beside it, and the rest for the form's foot. */
export function problemsByField(
  t: TFunction,
  error: unknown,
): { fields: Partial<Record<FieldName, string>>; rest: string | null } {
  if (!error) return { fields: {}, rest: null };
  if (error instanceof ApiError && error.code === "bad_notify_url") {
    return { fields: { apprise_url: t("errors.bad_notify_url") }, rest: null };
  }
  if (!(error instanceof ApiError) || error.code !== "validation_error" || error.fields.length === 0) {
    return { fields: {}, rest: errorMessage(t, error) };
  }
  const fields: Partial<Record<FieldName, string>> = {};
  const rest: string[] = [];
  for (const problem of error.fields) {
    const name = [...(problem.loc ?? [])].reverse().find((part) => typeof part === "string" && FIELDS.has(part));
    // Beside its field the field's name goes without saying: the problem alone.
    const message = describeProblem(t, { ...problem, loc: [] });
    if (name) fields[name as FieldName] ??= message;
    else rest.push(describeProblem(t, problem));
  }
  return { fields, rest: rest.length ? rest.join(" ") : null };
}
