// The chore form's state and its translation to and from the API (pure; unit-tested).
import type { Chore, ChoreCreate } from "../../api/client";
import { clock } from "../../lib/clock";

export type Kind = "once" | "interval" | "weekly" | "monthly";
export type Unit = "day" | "week" | "month";
export type Anchor = "schedule" | "completion";
export type Mode = "none" | "fixed" | "round_robin" | "least_done";

export type ChoreFormState = {
  name: string;
  category: string;
  notes: string;
  estimatedMinutes: string;
  points: string;
  kind: Kind;
  every: string;
  unit: Unit;
  weekdays: number[];
  monthDay: string;
  anchor: Anchor;
  mode: Mode;
  /** In rotation order: the order in which they were chosen. */
  members: number[];
  startDate: string;
  nextDue: string;
  /** "HH:MM", or empty: any time of the day. */
  dueTime: string;
};

export function emptyForm(today: string): ChoreFormState {
  return {
    name: "",
    category: "",
    notes: "",
    estimatedMinutes: "",
    points: "1",
    kind: "interval",
    every: "1",
    unit: "week",
    weekdays: [],
    monthDay: "1",
    anchor: "schedule",
    mode: "none",
    members: [],
    startDate: today,
    nextDue: "",
    dueTime: "",
  };
}

export function formFromChore(chore: Chore): ChoreFormState {
  return {
    name: chore.name,
    category: chore.category,
    notes: chore.notes,
    estimatedMinutes: chore.estimated_minutes === null ? "" : String(chore.estimated_minutes),
    points: String(chore.points),
    kind: chore.recurrence.kind,
    every: String(chore.recurrence.every),
    unit: chore.recurrence.unit,
    weekdays: [...chore.recurrence.weekdays],
    monthDay: String(chore.recurrence.month_day ?? 1),
    anchor: chore.recurrence.anchor,
    mode: chore.assignment.mode,
    members: [...chore.assignment.members],
    startDate: chore.start_date,
    nextDue: chore.next_due ?? "",
    dueTime: clock(chore.due_time),
  };
}

/** The request body; fields that do not apply to the chosen kind or mode are left out. */
export function toPayload(form: ChoreFormState): ChoreCreate {
  // The backend refuses fields that do not belong to the kind: every/unit stay 1/day outside
  // intervals, and a once rule keeps the default anchor.
  const recurrence: ChoreCreate["recurrence"] = {
    kind: form.kind,
    anchor: form.kind === "once" ? "schedule" : form.anchor,
    every: 1,
    unit: "day",
  };
  if (form.kind === "interval") {
    recurrence.every = Number(form.every);
    recurrence.unit = form.unit;
  } else if (form.kind === "weekly") {
    recurrence.weekdays = [...form.weekdays].sort((a, b) => a - b);
  } else if (form.kind === "monthly") {
    recurrence.month_day = Number(form.monthDay);
  }
  const members =
    form.mode === "none" ? [] : form.mode === "fixed" ? form.members.slice(0, 1) : form.members;
  return {
    name: form.name.trim(),
    category: form.category.trim(),
    notes: form.notes,
    estimated_minutes: form.estimatedMinutes === "" ? null : Number(form.estimatedMinutes),
    points: form.points === "" ? 1 : Number(form.points),
    recurrence,
    assignment: { mode: form.mode, members },
    start_date: form.startDate || null,
    // null: none (an edit clears it).
    due_time: form.dueTime || null,
  };
}

/** Toggling a member keeps the order of choice (the rotation order); fixed keeps only one. */
export function toggleMember(form: ChoreFormState, userId: number): number[] {
  if (form.members.includes(userId)) return form.members.filter((id) => id !== userId);
  return form.mode === "fixed" ? [userId] : [...form.members, userId];
}

/** Chores grouped by category, categories and names in alphabetical order. */
export function groupByCategory<T extends { category: string; name: string }>(
  chores: T[],
  locale: string,
): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const chore of chores) groups.set(chore.category, [...(groups.get(chore.category) ?? []), chore]);
  const compare = (a: string, b: string) => a.localeCompare(b, locale);
  return [...groups.entries()]
    .sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : compare(a, b)))
    .map(([category, items]) => [category, [...items].sort((a, b) => compare(a.name, b.name))]);
}
