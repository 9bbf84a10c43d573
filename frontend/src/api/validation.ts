// Validation problems in the user's language, field by field. The backend sends pydantic's
// English (`msg`) with its `type` for a 422, and "field: message" strings for CSV rows; neither
// is ever shown as sent: the field becomes its form label and the problem a catalog message.
import type { TFunction } from "i18next";
import en from "../i18n/en";

type Field = keyof typeof en.validation.fields;
type Problem = keyof typeof en.validation.problems;
export type FieldProblem = { loc?: (string | number)[]; msg?: string; type?: string };

const FIELDS = new Set<string>(Object.keys(en.validation.fields));

// pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/).
const BY_TYPE: Record<string, Problem> = {
  missing: "missing",
  string_too_short: "tooShort",
  too_short: "tooShort",
  string_too_long: "tooLong",
  too_long: "tooMany",
  greater_than_equal: "atLeast",
  greater_than: "atLeast",
  less_than_equal: "atMost",
  less_than: "atMost",
  int_parsing: "integer",
  int_type: "integer",
  int_from_float: "integer",
  float_parsing: "number",
  float_type: "number",
  date_parsing: "date",
  date_type: "date",
  date_from_datetime_parsing: "date",
  datetime_parsing: "date",
  datetime_type: "date",
  datetime_from_date_parsing: "date",
  literal_error: "choice",
  enum: "choice",
  bool_parsing: "boolean",
  bool_type: "boolean",
  time_parsing: "clockTime",
  time_type: "clockTime",
};

// The backend's own rules (ValueError texts in app/schemas, app/domain/recurrence.py and the
// CSV import), recognised by a phrase that stays stable; pydantic's English for the CSV rows,
// which carry no type.
const BY_TEXT: [RegExp, Problem][] = [
  [/weekdays must name at least one day/, "weekdaysRequired"],
  [/month_day is required/, "monthDayRequired"],
  [/email address/, "email"],
  [/time zone/, "timeZone"],
  [/NUL character/, "nul"],
  [/time of day in whole minutes/, "clockTime"],
  [/must be between \d{4}-\d\d-\d\d/, "dateRange"],
  [/members must not repeat/, "membersRepeat"],
  [/unassigned chore lists no members/, "unassignedMembers"],
  [/fixed assignment names exactly one/, "fixedOne"],
  [/rotation needs at least one/, "rotationMember"],
  [/is not a member of this household/, "notMember"],
  [/more values than columns/, "extraColumns"],
  [/^Field required/, "missing"],
  [/valid integer/, "integer"],
  [/valid number/, "number"],
  [/valid date/, "date"],
  [/valid boolean/, "boolean"],
  [/String should have at least/, "tooShort"],
  [/String should have at most/, "tooLong"],
  [/should have at most/, "tooMany"],
  [/greater than/, "atLeast"],
  [/less than/, "atMost"],
  [/between 1 and/, "atMost"],
  [/^Input should be '/, "choice"],
  [/must be one of/, "choice"],
];

function problemOf(type: string | undefined, msg: string): Problem {
  const byText = BY_TEXT.find(([pattern]) => pattern.test(msg));
  if (type === "value_error" || type === "assertion_error" || !type) return byText?.[1] ?? "invalid";
  return BY_TYPE[type] ?? byText?.[1] ?? "invalid";
}

/** The innermost part of `loc` that names a known field (`recurrence.every` → every). */
function fieldOf(loc: (string | number)[]): Field | null {
  for (const part of [...loc].reverse()) {
    if (typeof part === "string" && FIELDS.has(part)) return part as Field;
  }
  return null;
}

/** One line per problem: "繰り返しの間隔: 1以上にしてください". */
export function describeProblem(t: TFunction, problem: FieldProblem): string {
  const msg = problem.msg ?? "";
  const kind = problemOf(problem.type, msg);
  // The limit pydantic states ("at most 100 characters", "greater than or equal to 1").
  const limit = /(-?\d+)(?!.*\d)/.exec(msg)?.[1] ?? "";
  const text = t(`validation.problems.${kind}`, { limit });
  const field = fieldOf(problem.loc ?? []);
  return field ? t("validation.line", { field: t(`validation.fields.${field}`), problem: text }) : text;
}

/** A CSV row's problem, sent as "recurrence.every: Input should be a valid integer…". */
export function describeRowProblem(t: TFunction, text: string): string {
  const split = /^([\w.]+): (.*)$/s.exec(text);
  const loc = split?.[1]?.split(".") ?? [];
  return describeProblem(t, { loc, msg: split?.[2] ?? text });
}
