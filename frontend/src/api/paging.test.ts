import { describe, expect, it } from "vitest";
import { allPages } from "./paging";

// A history of `total` entries, newest (highest id) first, served a page at a time after a cursor.
function server(total: number) {
  const rows = Array.from({ length: total }, (_, i) => ({ id: total - i }));
  const asked: (number | undefined)[] = [];
  const page = (size: number) => async (after: { id: number } | undefined) => {
    asked.push(after?.id);
    return rows.filter((row) => after === undefined || row.id < after.id).slice(0, size);
  };
  return { rows, asked, page };
}

describe("allPages", () => {
  it("follows the cursor to the end and keeps every entry once, in order", async () => {
    const history = server(7);
    expect(await allPages(history.page(3), 3)).toEqual(history.rows);
    expect(history.asked).toEqual([undefined, 5, 2]);
  });

  it("asks once more when the last page is exactly full", async () => {
    const history = server(6);
    expect((await allPages(history.page(3), 3)).map((row) => row.id)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(history.asked).toEqual([undefined, 4, 1]);
  });

  it("stops at an empty first page", async () => {
    const history = server(0);
    expect(await allPages(history.page(3), 3)).toEqual([]);
    expect(history.asked).toEqual([undefined]);
  });
});
