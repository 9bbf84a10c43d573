import { shiftDate, spreadDue } from "../../lib/dates";

// A preview of a CSV import, made in the browser before anything is sent: which rows are new
// chores, which the household already has as they are (same category and name, same rule and
// details) and which it has with something changed, so that re-importing the app's own export
// does not double every chore. Only the rows the person keeps are uploaded.

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

export type RowStatus = "new" | "same" | "changed";
export type PreviewRow = {
  line: number;
  cells: string[];
  category: string;
  name: string;
  status: RowStatus;
  known: boolean;
};
export type Preview = { header: string[]; rows: PreviewRow[] };

/** A chore the household has, as the API lists it: what a row is compared with. */
export type Existing = {
  category: string;
  name: string;
  notes?: string;
  estimated_minutes?: number | null;
  points?: number;
  archived?: boolean;
  recurrence?: {
    kind: string;
    every: number;
    unit: string;
    weekdays: number[];
    month_day?: number | null;
    anchor: string;
  };
  assignment?: { mode: string };
};

const DAYS_PER_UNIT: Record<string, number> = { day: 1, week: 7 };

/** The export's cells of a chore (app/services/chore_csv.py), for the columns that describe it:
 * not its dates, which an export and the household's chore part with by themselves. */
function exportedCells(chore: Existing): Record<string, string> | null {
  const rule = chore.recurrence;
  if (!rule) return null;
  return {
    notes: chore.notes ?? "",
    estimated_minutes: chore.estimated_minutes ? String(chore.estimated_minutes) : "",
    points: String(chore.points ?? ""),
    recurrence: rule.kind,
    every: String(rule.every),
    unit: rule.unit,
    weekdays: rule.weekdays.join(";"),
    month_day: rule.month_day ? String(rule.month_day) : "",
    anchor: rule.anchor,
    assignment: chore.assignment?.mode ?? "",
    archived: chore.archived ? "true" : "false",
  };
}

/** Whether the row says what the household's chore already is. */
function sameAs(chore: Existing, header: string[], cells: string[]): boolean {
  const cell = (column: string) => restore(cells[header.indexOf(column)] ?? "").trim();
  if (header.includes("task_name")) {
    // The original app's rows: every N days.
    const rule = chore.recurrence;
    if (!rule) return true;
    const days = DAYS_PER_UNIT[rule.unit];
    return rule.kind === "interval" && days !== undefined && String(rule.every * days) === cell("frequency");
  }
  const exported = exportedCells(chore);
  if (!exported) return true;
  return Object.entries(exported).every(([column, value]) => !header.includes(column) || cell(column) === value);
}

/** The file's rows with whether the household already has each, as it is or changed (null: not
 * a file we read). */
export function preview(text: string, existing: Existing[]): Preview | null {
  const [head, ...body] = parseCsv(text.replace(/^\uFEFF/, ""));
  if (!head) return null;
  const header = head.map((h) => h.trim().toLowerCase());
  const nameColumn = header.includes("task_name") ? header.indexOf("task_name") : header.indexOf("name");
  const categoryColumn = header.indexOf("category");
  if (nameColumn < 0) return null;
  const key = (category: string, name: string) => `${category.trim()}\u0000${name.trim()}`;
  const known = new Map(existing.map((c) => [key(c.category, c.name), c]));
  const rows: PreviewRow[] = [];
  body.forEach((cells, index) => {
    if (cells.every((cell) => !cell.trim())) return;
    const name = restore(cells[nameColumn] ?? "").trim();
    const category = categoryColumn < 0 ? "" : restore(cells[categoryColumn] ?? "").trim();
    const chore = known.get(key(category, name));
    const status: RowStatus = !chore ? "new" : sameAs(chore, header, cells) ? "same" : "changed";
    rows.push({ line: index + 2, cells, category, name, status, known: status !== "new" });
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
