"""CSV import and export of chores and of the history.

Import accepts the original app's `category,task_name,frequency` (every N days, counted from
the completion, due now) and this app's own export format. All rows are checked first: if any
row is invalid nothing is written and every row's errors are reported.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.core.reads import Reads
from app.domain.errors import ErrorCode, InvalidError, TooLargeError
from app.domain.views import CompletionView
from app.models import Chore, Membership, User
from app.schemas.chores import ImportedChoreIn
from app.services import chores
from app.services.access import Member

MAX_BYTES = 1_000_000
MAX_ROWS = 2_000
ORIGINAL_COLUMNS = ("category", "task_name", "frequency")
CHORE_COLUMNS = (
    "name",
    "category",
    "notes",
    "estimated_minutes",
    "points",
    "recurrence",
    "every",
    "unit",
    "weekdays",
    "month_day",
    "anchor",
    "assignment",
    "assignees",
    "start_date",
    "next_due",
    "archived",
)
HISTORY_COLUMNS = (
    "done_at",
    "kind",
    "chore",
    "category",
    "due_date",
    "done_by",
    "recorded_by",
    "points",
    "minutes",
)


# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"):
# the export quotes it with a leading apostrophe, which spreadsheets show as text. The
# apostrophe itself is quoted too, so that the import strips exactly what the export added.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralize(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + cell
    return cell


def restore(cell: str | None) -> str | None:
    if cell and cell.startswith(QUOTE) and cell[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return cell[1:]
    return cell


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise TooLargeError(ErrorCode.FILE_TOO_LARGE, f"The file is larger than {MAX_BYTES} bytes")
    # Spreadsheets on Japanese Windows still save CSV as Shift_JIS (cp932).
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidError(ErrorCode.BAD_ENCODING, "The file is neither UTF-8 nor Shift_JIS text")


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _original_row(row: dict[str, str | None]) -> dict[str, object]:
    return {
        "name": row.get("task_name") or "",
        "category": row.get("category") or "",
        "recurrence": {
            "kind": "interval",
            "every": _blank_to_none(row.get("frequency")),
            "unit": "day",
            "anchor": "completion",
        },
    }


def _own_row(
    row: dict[str, str | None], emails: dict[str, int]
) -> tuple[dict[str, object], list[str]]:
    problems: list[str] = []
    members: list[int] = []
    for email in filter(None, (e.strip().lower() for e in (row.get("assignees") or "").split(";"))):
        if email in emails:
            members.append(emails[email])
        else:
            problems.append(f"assignees: {email} is not a member of this household")
    recurrence: dict[str, object] = {
        key: value
        for key in ("every", "unit", "month_day", "anchor")
        if (value := _blank_to_none(row.get(key))) is not None
    }
    recurrence["kind"] = _blank_to_none(row.get("recurrence"))
    weekdays = _blank_to_none(row.get("weekdays"))
    if weekdays:
        recurrence["weekdays"] = [day.strip() for day in weekdays.split(";")]
    data: dict[str, object] = {
        "name": row.get("name") or "",
        "category": row.get("category") or "",
        "notes": row.get("notes") or "",
        "recurrence": recurrence,
        "assignment": {"mode": _blank_to_none(row.get("assignment")) or "none", "members": members},
    }
    for key in ("estimated_minutes", "points", "start_date"):
        if (value := _blank_to_none(row.get(key))) is not None:
            data[key] = value
    return data, problems


def _messages(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in error['loc']) or 'row'}: {error['msg']}"
        for error in exc.errors()
    ]


def import_chores(db: Session, member: Member, raw: bytes) -> tuple[list[int], str]:
    """The ids of the chores created, in the file's order, and the file's format."""
    reader = csv.DictReader(io.StringIO(decode(raw), newline=""))
    header = tuple((name or "").strip().lower() for name in reader.fieldnames or ())
    reader.fieldnames = list(header)
    if header == ORIGINAL_COLUMNS:
        kind = "original"
    elif "name" in header and set(header) <= set(CHORE_COLUMNS):
        kind = "export"
    else:
        raise InvalidError(
            ErrorCode.BAD_HEADER,
            "Unrecognized header: expected 'category,task_name,frequency' or the export's columns "
            f"({','.join(CHORE_COLUMNS)})",
        )
    emails = dict(
        db.execute(
            select(User.email, User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.household_id == member.household.id)
        ).all()
    )
    today = chores.today(member.household)
    new: list[Chore] = []
    errors: list[dict[str, object]] = []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise TooLargeError(
                ErrorCode.TOO_MANY_ROWS, f"At most {MAX_ROWS} rows can be imported at once"
            )
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        if None in row:
            errors.append({"row": number, "errors": ["row: more values than columns"]})
            continue
        row = {key: restore(value) for key, value in row.items()}
        problems: list[str] = []
        if kind == "original":
            data = _original_row(row)
        else:
            data, problems = _own_row(row, emails)
        for key in ("next_due", "archived"):
            if (value := _blank_to_none(row.get(key))) is not None:
                data[key] = value
        try:
            chore_in = ImportedChoreIn.model_validate(data)
        except ValidationError as exc:
            problems.extend(_messages(exc))
        if problems:
            errors.append({"row": number, "errors": problems})
            continue
        chore = chores.build(member.household, chore_in, today)
        chore.archived = chore_in.archived
        if chore_in.next_due is not None:
            chore.next_due = chore_in.next_due
        new.append(chore)
    if errors:
        raise InvalidError(
            ErrorCode.IMPORT_INVALID,
            f"{len(errors)} row(s) are invalid; nothing was imported",
            extra={"rows": errors},
        )
    if not new:
        raise InvalidError(ErrorCode.IMPORT_EMPTY, "The file holds no chores")
    db.add_all(new)
    db.flush()
    ids = [chore.id for chore in new]
    db.commit()
    return ids, kind


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    # A byte order mark: without it, Excel in Japan reads UTF-8 as Shift_JIS (mojibake).
    out = io.StringIO("\ufeff")
    out.seek(0, io.SEEK_END)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralize(cell) for cell in row] for row in rows)
    return out.getvalue()


_EMAILS = (
    select(User.id, User.email)
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.household_id == bindparam("household_id"))
)


async def export_chores(reads: Reads, member: Member) -> str:
    rows = await chores.list_chores(reads, member, archived=None)
    household_id = {"household_id": member.household.id}
    emails = {row.id: row.email for row in await reads.all(_EMAILS, household_id)}
    return _csv(
        CHORE_COLUMNS,
        (
            (
                c.name,
                c.category,
                c.notes,
                c.estimated_minutes or "",
                c.points,
                c.recurrence.kind,
                c.recurrence.every,
                c.recurrence.unit,
                ";".join(str(day) for day in c.recurrence.weekdays),
                c.recurrence.month_day or "",
                c.recurrence.anchor,
                c.assignment.mode,
                ";".join(emails[m] for m in c.assignment.members if m in emails),
                c.start_date.isoformat(),
                c.next_due.isoformat() if c.next_due else "",
                "true" if c.archived else "false",
            )
            for c in rows
        ),
    )


def export_history(entries: Iterable[CompletionView], time_zone: str) -> str:
    """The history with its times in the household's zone, as a spreadsheet reads a date and
    time ("2026-11-30 08:15:00"), not UTC ISO 8601."""
    zone = ZoneInfo(time_zone)
    return _csv(
        HISTORY_COLUMNS,
        (
            (
                e.done_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                e.kind,
                e.chore_name,
                e.category,
                e.due_date.isoformat(),
                e.done_by.display_name if e.done_by else "",
                e.recorded_by.display_name if e.recorded_by else "",
                e.points,
                e.minutes,
            )
            for e in entries
        ),
    )
