import { parseCsv, preview, selection, toCsv } from "./csvPreview";

describe("parseCsv and toCsv", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, and writes them back", () => {
    const text = 'name,notes\r\n"a, b","say ""hi""\nagain"\r\nc,\r\n';
    const rows = parseCsv(text);
    expect(rows).toEqual([
      ["name", "notes"],
      ["a, b", 'say "hi"\nagain'],
      ["c", ""],
    ]);
    expect(toCsv(rows)).toBe(text);
  });
});

describe("preview", () => {
  const existing = [
    { category: "キッチン", name: "皿洗い" },
    { category: "", name: "=SUM" },
  ];

  it("marks the rows of the app's own export that the household already has", () => {
    const text = "\uFEFFname,category,points\n皿洗い,キッチン,1\n窓拭き,リビング,2\n'=SUM,,1\n\n";
    const file = preview(text, existing);
    expect(file?.rows.map((r) => [r.line, r.name, r.known])).toEqual([
      [2, "皿洗い", true],
      [3, "窓拭き", false],
      [4, "=SUM", true],
    ]);
  });

  it("tells a chore the household has as it is from one whose rule or details changed", () => {
    const weekly = { kind: "interval", every: 1, unit: "week", weekdays: [], month_day: null, anchor: "due" };
    const chores = [
      { category: "玄関", name: "ゴミ出し", notes: "", estimated_minutes: 10, points: 1, archived: false, recurrence: weekly, assignment: { mode: "fixed" } },
      { category: "浴室", name: "カビ取り", notes: "", estimated_minutes: null, points: 1, archived: false, recurrence: { ...weekly, every: 4 }, assignment: { mode: "none" } },
    ];
    const exported = [
      "name,category,notes,estimated_minutes,points,recurrence,every,unit,weekdays,month_day,anchor,assignment,assignees,start_date,next_due,archived",
      "ゴミ出し,玄関,,10,1,interval,1,week,,,due,fixed,a@example.jp,2026-01-01,2026-12-01,false",
      "カビ取り,浴室,,,1,interval,2,week,,,due,none,,2026-01-01,2026-12-01,false",
      "窓拭き,リビング,,,1,interval,1,month,,,due,none,,2026-01-01,,false",
    ].join("\n");
    expect(preview(exported, chores)?.rows.map((r) => [r.name, r.status])).toEqual([
      ["ゴミ出し", "same"],
      ["カビ取り", "changed"],
      ["窓拭き", "new"],
    ]);
    // The original app's "every N days": 7 is the same as every week, 3 is not.
    const original = "category,task_name,frequency\n玄関,ゴミ出し,7\n浴室,カビ取り,3\n";
    expect(preview(original, chores)?.rows.map((r) => r.status)).toEqual(["same", "changed"]);
  });

  it("reads the original app's columns too", () => {
    const file = preview("category,task_name,frequency\nキッチン,皿洗い,1\nキッチン,冷蔵庫,30\n", existing);
    expect(file?.rows.map((r) => r.known)).toEqual([true, false]);
  });

  it("uploads only the new rows and remembers their lines in the file", () => {
    const file = preview("name,category\n皿洗い,キッチン\n\n窓拭き,リビング\n", existing);
    expect(file).not.toBeNull();
    const { csv, lines } = selection(file!, true);
    expect(csv).toBe("name,category\r\n窓拭き,リビング\r\n");
    expect([...lines]).toEqual([[2, 4]]);
    expect(selection(file!, false).csv).toBe("name,category\r\n皿洗い,キッチン\r\n窓拭き,リビング\r\n");
  });

  it("refuses a file without a name column", () => {
    expect(preview("a,b\n1,2\n", existing)).toBeNull();
  });
});

describe("first due dates of an import", () => {
  const original = "category,task_name,frequency\nキッチン,皿洗い,1\n浴室,カビ取り,30\n寝室,衣替え,180\n";

  it("rewrites the original app's rows as the export's columns with a spread first date", () => {
    const file = preview(original, [])!;
    expect(selection(file, true, "spread", "2026-11-30").csv).toBe(
      "name,category,recurrence,every,unit,anchor,next_due\r\n" +
        "皿洗い,キッチン,interval,1,day,completion,2026-11-30\r\n" +
        "カビ取り,浴室,interval,30,day,completion,2026-12-03\r\n" +
        "衣替え,寝室,interval,180,day,completion,2026-12-06\r\n",
    );
  });

  it("can start every chore one interval from today", () => {
    const file = preview(original, [])!;
    const rows = selection(file, true, "interval", "2026-11-30").csv.trim().split("\r\n").slice(1);
    expect(rows.map((row) => row.split(",").at(-1))).toEqual(["2026-12-01", "2026-12-30", "2027-05-29"]);
  });

  it("keeps the export's own dates and the rules that know their days", () => {
    const text =
      "name,category,recurrence,every,unit,weekdays,next_due\n" +
      "a,,interval,2,week,,\nb,,weekly,,,1;4,\nc,,interval,1,month,,2027-01-05\n";
    const rows = selection(preview(text, [])!, true, "interval", "2026-11-30").csv.trim().split("\r\n");
    expect(rows).toEqual([
      "name,category,recurrence,every,unit,weekdays,next_due",
      "a,,interval,2,week,,2026-12-14",
      "b,,weekly,,,1;4,",
      "c,,interval,1,month,,2027-01-05",
    ]);
  });

  it("leaves a bad interval for the server to name", () => {
    const file = preview("category,task_name,frequency\nキッチン,皿洗い,毎日\n", [])!;
    expect(selection(file, true, "spread", "2026-11-30").csv).toContain("皿洗い,キッチン,interval,毎日,day,completion,\r\n");
  });
});
