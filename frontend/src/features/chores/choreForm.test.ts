import type { Chore } from "../../api/client";
import { emptyForm, formFromChore, groupByCategory, toggleMember, toPayload } from "./choreForm";

const base = emptyForm("2025-11-26");

describe("toPayload", () => {
  it("sends an interval with its unit", () => {
    const body = toPayload({ ...base, name: " Trash ", kind: "interval", every: "2", unit: "week" });
    expect(body.name).toBe("Trash");
    expect(body.recurrence).toEqual({ kind: "interval", every: 2, unit: "week", anchor: "schedule" });
    expect(body.start_date).toBe("2025-11-26");
  });

  it("keeps every and unit neutral for weekly and monthly rules", () => {
    expect(toPayload({ ...base, kind: "weekly", weekdays: [4, 1], anchor: "completion" }).recurrence).toEqual({
      kind: "weekly",
      every: 1,
      unit: "day",
      weekdays: [1, 4],
      anchor: "completion",
    });
    expect(toPayload({ ...base, kind: "monthly", monthDay: "31" }).recurrence).toEqual({
      kind: "monthly",
      every: 1,
      unit: "day",
      month_day: 31,
      anchor: "schedule",
    });
  });

  it("never sends a completion anchor for a one-off chore", () => {
    expect(toPayload({ ...base, kind: "once", anchor: "completion" }).recurrence?.anchor).toBe("schedule");
  });

  it("sends the members for a rotation in the chosen order, none when unassigned", () => {
    expect(toPayload({ ...base, mode: "round_robin", members: [7, 3] }).assignment).toEqual({
      mode: "round_robin",
      members: [7, 3],
    });
    expect(toPayload({ ...base, mode: "none", members: [7] }).assignment).toEqual({ mode: "none", members: [] });
    expect(toPayload({ ...base, mode: "fixed", members: [7, 3] }).assignment?.members).toEqual([7]);
  });

  it("leaves out empty minutes", () => {
    expect(toPayload(base).estimated_minutes).toBeNull();
    expect(toPayload({ ...base, estimatedMinutes: "15" }).estimated_minutes).toBe(15);
  });
});

describe("toggleMember", () => {
  it("appends in order of choice and removes on a second tap", () => {
    const form = { ...base, mode: "round_robin" as const, members: [2] };
    expect(toggleMember(form, 5)).toEqual([2, 5]);
    expect(toggleMember(form, 2)).toEqual([]);
  });

  it("replaces the one member of a fixed assignment", () => {
    expect(toggleMember({ ...base, mode: "fixed", members: [2] }, 5)).toEqual([5]);
  });
});

describe("formFromChore", () => {
  const chore: Chore = {
    id: 1,
    name: "Bath",
    category: "Bathroom",
    notes: "",
    estimated_minutes: 20,
    points: 2,
    archived: false,
    recurrence: { kind: "weekly", every: 1, unit: "day", weekdays: [6], month_day: null, anchor: "schedule" },
    assignment: { mode: "least_done", members: [1, 2] },
    assignee: { user_id: 1, display_name: "A" },
    start_date: "2025-11-01",
    next_due: "2025-11-29",
    due_time: null,
    last_done_at: null,
    created_at: "2025-11-01T00:00:00+00:00",
  };

  it("round-trips through the payload", () => {
    const body = toPayload(formFromChore(chore));
    expect(body.recurrence).toEqual({ kind: "weekly", every: 1, unit: "day", weekdays: [6], anchor: "schedule" });
    expect(body.assignment).toEqual(chore.assignment);
    expect([body.estimated_minutes, body.points, body.start_date]).toEqual([20, 2, "2025-11-01"]);
  });

  it("keeps a due time as HH:MM and sends null to clear it", () => {
    const form = formFromChore({ ...chore, due_time: "08:00:00" });
    expect(form.dueTime).toBe("08:00");
    expect(toPayload(form).due_time).toBe("08:00");
    expect(toPayload({ ...form, dueTime: "" }).due_time).toBeNull();
  });
});

describe("groupByCategory", () => {
  it("sorts categories and names, uncategorized last", () => {
    const groups = groupByCategory(
      [
        { category: "", name: "b" },
        { category: "Kitchen", name: "z" },
        { category: "Bath", name: "x" },
        { category: "Kitchen", name: "a" },
      ],
      "en",
    );
    expect(groups.map(([c, items]) => [c, items.map((i) => i.name)])).toEqual([
      ["Bath", ["x"]],
      ["Kitchen", ["a", "z"]],
      ["", ["b"]],
    ]);
  });
});
