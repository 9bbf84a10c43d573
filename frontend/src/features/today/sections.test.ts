import type { DueItem } from "../../api/client";
import { sectionOf, visibleItems } from "./TodayPage";

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

describe("visibleItems", () => {
  const item = (id: number, assignee: number | null) =>
    ({
      due_date: "2025-12-31",
      days_overdue: 0,
      chore: { id, assignee: assignee === null ? null : { user_id: assignee, display_name: `u${assignee}` } },
    }) as unknown as DueItem;
  const items = [item(1, 7), item(2, null), item(3, 8)];

  it("keeps the user's own and the unassigned chores for “mine + anyone's”", () => {
    expect(visibleItems(items, "mineAndAnyone", 7).map((i) => i.chore.id)).toEqual([1, 2]);
  });

  it("leaves the other filters to the API", () => {
    expect(visibleItems(items, "everyone", 7)).toBe(items);
    expect(visibleItems(items, "mine", 7)).toBe(items);
  });
});
