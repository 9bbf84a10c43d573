import { shiftDate, spreadDue } from "../../lib/dates";

// A preview of a CSV import, made in the browser before anything is sent: which rows are new
// chores and which the household already has (same category and name), so that re-importing the
// app's own export does not double every chore. Only the rows the person keeps are uploaded.

/** RFC 4180 fields: commas, quotes doubled inside quoted fields, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function toCsv(rows: string[][]): string {
  return rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}

/** Undoes the export's apostrophe before a formula-like cell (app/services/chore_csv.py). */
function restore(cell: string): string {
  return /^'[=+\-@\t\r']/.test(cell) ? cell.slice(1) : cell;
}

export type PreviewRow = { line: number; cells: string[]; category: string; name: string; known: boolean };
export type Preview = { header: string[]; rows: PreviewRow[] };

/** The file's rows with whether the household already has each (null: not a file we read). */
export function preview(text: string, existing: { category: string; name: string }[]): Preview | null {
  const [head, ...body] = parseCsv(text.replace(/^\uFEFF/, ""));
  if (!head) return null;
  const header = head.map((h) => h.trim().toLowerCase());
  const nameColumn = header.includes("task_name") ? header.indexOf("task_name") : header.indexOf("name");
  const categoryColumn = header.indexOf("category");
  if (nameColumn < 0) return null;
  const key = (category: string, name: string) => `${category.trim()}\u0000${name.trim()}`;
  const known = new Set(existing.map((c) => key(c.category, c.name)));
  const rows: PreviewRow[] = [];
  body.forEach((cells, index) => {
    if (cells.every((cell) => !cell.trim())) return;
    const name = restore(cells[nameColumn] ?? "").trim();
    const category = categoryColumn < 0 ? "" : restore(cells[categoryColumn] ?? "").trim();
    rows.push({ line: index + 2, cells, category, name, known: known.has(key(category, name)) });
  });
  return { header: head, rows };
}

/** When imported chores are first due: all today (as the server would), spread over their
 * interval, or one interval from today. */
export const STARTS = ["spread", "interval", "today"] as const;
export type Start = (typeof STARTS)[number];

const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30 };

/** The rows as the export's columns, which can carry a first due date: the original app's
 * `category,task_name,frequency` (every N days, counted from completion) is rewritten. */
function asExport(file: Preview): { header: string[]; rows: string[][] } {
  const header = file.header.map((h) => h.trim().toLowerCase());
  if (!header.includes("task_name")) {
    const withDue = header.includes("next_due") ? header : [...header, "next_due"];
    return { header: withDue, rows: file.rows.map((row) => withDue.map((_, i) => row.cells[i] ?? "")) };
  }
  const at = (row: PreviewRow, column: string) => row.cells[header.indexOf(column)] ?? "";
  return {
    header: ["name", "category", "recurrence", "every", "unit", "anchor", "next_due"],
    rows: file.rows.map((row) => [at(row, "task_name"), at(row, "category"), "interval", at(row, "frequency"), "day", "completion", ""]),
  };
}

/** The CSV to upload, and for each of its data rows (numbered from 2) the line of the file. */
export function selection(
  file: Preview,
  skipKnown: boolean,
  start: Start = "today",
  today = "",
): { csv: string; lines: Map<number, number> } {
  const keep = file.rows.map((row) => !(skipKnown && row.known));
  const lines = new Map(file.rows.filter((_, i) => keep[i]).map((row, index) => [index + 2, row.line]));
  if (start === "today") {
    return { csv: toCsv([file.header, ...file.rows.filter((_, i) => keep[i]).map((row) => row.cells)]), lines };
  }
  const { header, rows } = asExport(file);
  const column = (name: string) => header.indexOf(name);
  const kept = rows.filter((_, i) => keep[i]);
  kept.forEach((cells, index) => {
    const every = Number(cells[column("every")] || "1");
    const unit = UNIT_DAYS[cells[column("unit")] || "day"];
    // Only plain intervals without a date of their own: weekly and monthly rules know theirs.
    if ((cells[column("recurrence")] ?? "") !== "interval" || cells[column("next_due")]) return;
    if (!Number.isInteger(every) || every < 1 || !unit) return;
    const days = every * unit;
    cells[column("next_due")] = start === "spread" ? spreadDue(today, index, days) : shiftDate(today, days);
  });
  return { csv: toCsv([header, ...kept]), lines };
}

/** UTF-8 first (with or without a BOM), else Shift_JIS, as the backend reads it. */
export async function readText(file: Blob): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("shift_jis").decode(bytes);
  }
}
