import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { CalendarItem } from "../../api/client";
import { useCalendar } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";
import { formatDay, isoWeekday, shiftDate, todayIn, weekdayNames } from "../../lib/dates";
import { clock } from "../../lib/clock";
import { useHousehold } from "../household/HouseholdRoute";
import { FeedCard } from "./FeedCard";

const DAYS = 28;
const VIEWS = ["list", "month"] as const;
type View = (typeof VIEWS)[number];

/** Monday of the week of a plain date. */
function mondayOf(day: string): string {
  return shiftDate(day, 1 - isoWeekday(day));
}

/** The weeks (Monday first) that cover start..end, as rows of seven plain dates. */
export function weeksCovering(start: string, end: string): string[][] {
  const weeks: string[][] = [];
  for (let monday = mondayOf(start); monday <= end; monday = shiftDate(monday, 7)) {
    weeks.push(Array.from({ length: 7 }, (_, i) => shiftDate(monday, i)));
  }
  return weeks;
}

type GridProps = {
  start: string;
  end: string;
  days: Map<string, CalendarItem[]>;
  selected: string;
  onSelect: (day: string) => void;
};

/** A month-like grid of the shown weeks: each day with how many chores fall on it. */
function MonthGrid({ start, end, days, selected, onSelect }: GridProps) {
  const { t, i18n } = useTranslation();
  return (
    <div className="month" role="grid">
      <div role="row" className="month-row">
        {weekdayNames(i18n.language).map((name) => (
          <span key={name} role="columnheader" className="month-head">
            {name}
          </span>
        ))}
      </div>
      {weeksCovering(start, end).map((week) => (
        <div key={week[0]} role="row" className="month-row">
          {week.map((day) => {
            const count = days.get(day)?.length ?? 0;
            const inRange = day >= start && day <= end;
            return (
              <span key={day} role="gridcell">
                <button
                  type="button"
                  className="month-day"
                  disabled={!inRange}
                  aria-pressed={day === selected}
                  aria-label={t("calendar.dayLabel", { day: formatDay(day, i18n.language), count })}
                  onClick={() => onSelect(day)}
                >
                  <span>{Number(day.slice(8))}</span>
                  {count > 0 && <span className="month-count">{count}</span>}
                </button>
              </span>
            );
          })}
        </div>
      ))}
    </div>
  );
}

function DayList({ day, items }: { day: string; items: CalendarItem[] }) {
  const { t, i18n } = useTranslation();
  return (
    <div>
      <h2 className="section">{formatDay(day, i18n.language)}</h2>
      <ul className="list">
        {items.map((item) => (
          <li key={`${item.chore_id}-${item.date}`} className="row">
            <span className="grow">
              <strong>{item.name}</strong>
              {item.category && <span className="badge">{item.category}</span>}
            </span>
            <span className="meta">
              {item.due_time && <span>{t("dueTime.by", { time: clock(item.due_time) })}</span>}
              <span>{item.assignee?.display_name ?? t("chores.unassigned")}</span>
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export default function CalendarPage() {
  const { t, i18n } = useTranslation();
  const { household, canWrite } = useHousehold();
  const today = todayIn(household.time_zone);
  const [start, setStart] = useState(today);
  const [view, setView] = useState<View>("list");
  const [selected, setSelected] = useState<string | null>(null);
  const end = shiftDate(start, DAYS - 1);
  const calendar = useCalendar(household.id, start, end);

  const days = new Map<string, CalendarItem[]>();
  for (const item of calendar.data ?? []) days.set(item.date, [...(days.get(item.date) ?? []), item]);

  return (
    <section className="page">
      <h1>{t("calendar.title")}</h1>
      <div className="buttons">
        <button type="button" onClick={() => {
            setStart(shiftDate(start, -DAYS));
            setSelected(null);
          }} disabled={start <= today}>
          ← {t("calendar.previous")}
        </button>
        <button type="button" onClick={() => {
            setStart(shiftDate(start, DAYS));
            setSelected(null);
          }}>
          {t("calendar.next")} →
        </button>
      </div>
      <p className="meta">
        {formatDay(start, i18n.language, true)} – {formatDay(end, i18n.language, true)}
      </p>
      <ErrorText error={calendar.error} />
      {calendar.isPending && <Spinner />}
      {calendar.data?.length === 0 && <p className="empty">{t("calendar.none")}</p>}
      {calendar.data && calendar.data.length > 0 && (
        <div className="segmented small" role="group" aria-label={t("calendar.view")}>
          {VIEWS.map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
              {t(`calendar.views.${v}`)}
            </button>
          ))}
        </div>
      )}
      {view === "month" && calendar.data && calendar.data.length > 0 && (
        <MonthGrid start={start} end={end} days={days} selected={selected ?? start} onSelect={setSelected} />
      )}
      {[...days.entries()]
        .filter(([day]) => view === "list" || day === (selected ?? start))
        .map(([day, items]) => (
          <DayList key={day} day={day} items={items} />
        ))}
      {canWrite && <FeedCard />}
    </section>
  );
}
