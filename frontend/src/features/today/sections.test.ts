import { sectionOf } from "./TodayPage";

describe("sectionOf", () => {
  const today = "2025-12-31";
  it.each([
    [{ due_date: "2025-12-29", days_overdue: 2 }, "overdue"],
    [{ due_date: "2025-12-31", days_overdue: 0 }, "today"],
    [{ due_date: "2026-01-01", days_overdue: 0 }, "tomorrow"],
    [{ due_date: "2026-01-05", days_overdue: 0 }, "later"],
  ] as const)("puts %o under %s", (item, section) => {
    expect(sectionOf(item, today)).toBe(section);
  });
});
