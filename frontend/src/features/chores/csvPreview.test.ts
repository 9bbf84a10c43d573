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
