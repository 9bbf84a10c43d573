import { formatDay, inputToInstant, instantToInput, isoWeekday, shiftDate, todayIn, weekdayNames } from "./dates";

describe("dates in the household's time zone", () => {
  it("knows that Tokyo is already on the next day", () => {
    const instant = new Date("2025-03-01T16:30:00Z");
    expect(todayIn("Asia/Tokyo", instant)).toBe("2025-03-02");
    expect(todayIn("Europe/Berlin", instant)).toBe("2025-03-01");
  });

  it("turns a local wall-clock time into an instant with that zone's offset", () => {
    expect(inputToInstant("2025-03-29T10:00", "Europe/Berlin")).toBe("2025-03-29T10:00:00+01:00");
    // After the spring change Berlin is on summer time.
    expect(inputToInstant("2025-03-30T10:00", "Europe/Berlin")).toBe("2025-03-30T10:00:00+02:00");
    expect(inputToInstant("2025-01-05T23:30", "Asia/Tokyo")).toBe("2025-01-05T23:30:00+09:00");
  });

  it("shows an instant as local time of the zone", () => {
    expect(instantToInput("2025-01-05T14:30:00+00:00", "Asia/Tokyo")).toBe("2025-01-05T23:30");
  });

  it("does plain-date arithmetic across month ends", () => {
    expect(shiftDate("2025-02-28", 1)).toBe("2025-03-01");
    expect(shiftDate("2025-01-01", -1)).toBe("2024-12-31");
  });

  it("formats days and weekdays in the user's language", () => {
    expect(formatDay("2025-11-26", "ja")).toBe("11月26日(水)");
    expect(formatDay("2025-11-26", "en")).toBe("Wed 26 Nov");
    expect(weekdayNames("ja")).toEqual(["月", "火", "水", "木", "金", "土", "日"]);
    expect(isoWeekday("2025-11-30")).toBe(7);
  });
});

describe("clock changes", () => {
  it("moves a time skipped in spring forward, and keeps UTC as Z", () => {
    expect(inputToInstant("2025-03-30T02:30", "Europe/Berlin")).toBe("2025-03-30T03:30:00+02:00");
    expect(inputToInstant("2025-10-26T12:00", "UTC")).toBe("2025-10-26T12:00:00Z");
    expect(inputToInstant("2025-01-05T08:00", "America/St_Johns")).toBe("2025-01-05T08:00:00-03:30");
  });
});
