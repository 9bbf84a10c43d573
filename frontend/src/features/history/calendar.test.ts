import { weeksCovering } from "./CalendarPage";

describe("weeksCovering", () => {
  it("lays 28 days from a Monday-to-Sunday grid, starting on the week of the first day", () => {
    // 2026-11-30 is a Monday; 28 days end on Sunday 2026-12-27.
    const weeks = weeksCovering("2026-11-30", "2026-12-27");
    expect(weeks).toHaveLength(4);
    expect(weeks[0]).toEqual(["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"]);
    expect(weeks[3]?.[6]).toBe("2026-12-27");
  });

  it("adds the days before and after a range that starts mid-week", () => {
    // Wednesday 2026-12-02 to Tuesday 2026-12-29: five rows, from Monday 11-30 to Sunday 01-03.
    const weeks = weeksCovering("2026-12-02", "2026-12-29");
    expect(weeks).toHaveLength(5);
    expect(weeks[0]?.[0]).toBe("2026-11-30");
    expect(weeks[4]?.[6]).toBe("2027-01-03");
  });
});
