import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { CalendarItem } from "../../api/client";
import { useCalendar } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";
import { formatDay, shiftDate, todayIn } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";
import { FeedCard } from "./FeedCard";

const DAYS = 28;

export default function CalendarPage() {
  const { t, i18n } = useTranslation();
  const { household, canWrite } = useHousehold();
  const today = todayIn(household.time_zone);
  const [start, setStart] = useState(today);
  const end = shiftDate(start, DAYS - 1);
  const calendar = useCalendar(household.id, start, end);

  const days = new Map<string, CalendarItem[]>();
  for (const item of calendar.data ?? []) days.set(item.date, [...(days.get(item.date) ?? []), item]);

  return (
    <section className="page">
      <h1>{t("calendar.title")}</h1>
      <div className="buttons">
        <button type="button" onClick={() => setStart(shiftDate(start, -DAYS))} disabled={start <= today}>
          ← {t("calendar.previous")}
        </button>
        <button type="button" onClick={() => setStart(shiftDate(start, DAYS))}>
          {t("calendar.next")} →
        </button>
      </div>
      <p className="meta">
        {formatDay(start, i18n.language, true)} – {formatDay(end, i18n.language, true)}
      </p>
      <ErrorText error={calendar.error} />
      {calendar.isPending && <Spinner />}
      {calendar.data?.length === 0 && <p className="empty">{t("calendar.none")}</p>}
      {[...days.entries()].map(([day, items]) => (
        <div key={day}>
          <h2 className="section">{formatDay(day, i18n.language)}</h2>
          <ul className="list">
            {items.map((item) => (
              <li key={`${item.chore_id}-${item.date}`} className="row">
                <span className="grow">
                  <strong>{item.name}</strong>
                  {item.category && <span className="badge">{item.category}</span>}
                </span>
                <span className="meta">{item.assignee?.display_name ?? t("chores.unassigned")}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
      {canWrite && <FeedCard />}
    </section>
  );
}
