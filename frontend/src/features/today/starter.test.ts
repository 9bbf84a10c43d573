import { firstDue, STARTERS } from "./StarterChores";

describe("firstDue", () => {
  it("keeps daily chores today and spreads the others over their interval", () => {
    expect(firstDue("2026-11-30", 0, 1, "day")).toBe("2026-11-30");
    expect(firstDue("2026-11-30", 5, 1, "day")).toBe("2026-11-30");
    expect(firstDue("2026-11-30", 1, 1, "week")).toBe("2026-12-03");
    expect(firstDue("2026-11-30", 3, 1, "week")).toBe("2026-12-02");
    expect(firstDue("2026-11-30", 4, 3, "month")).toBe("2026-12-12");
  });

  it("never starts a chore later than one interval from today", () => {
    for (const [index, s] of STARTERS.entries()) {
      const days = s.every * { day: 1, week: 7, month: 30 }[s.unit];
      const due = firstDue("2026-11-30", index, s.every, s.unit);
      expect(due >= "2026-11-30").toBe(true);
      expect(Date.parse(due) - Date.parse("2026-11-30")).toBeLessThan(Math.max(days, 1) * 86_400_000);
    }
  });
});
