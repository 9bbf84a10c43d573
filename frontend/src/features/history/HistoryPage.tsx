import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Completion, Member } from "../../api/client";
import { useCompletionActions, useHistory, useMembers } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";
import { formatDay, formatInstant, inputToInstant, instantToInput, shiftDate, todayIn } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";
import { RangePicker } from "../stats/RangePicker";

export default function HistoryPage() {
  const { t, i18n } = useTranslation();
  const { household } = useHousehold();
  const today = todayIn(household.time_zone);
  const [range, setRange] = useState({ from: shiftDate(today, -29), to: today });
  const history = useHistory(household.id, range.from, range.to);
  const members = useMembers(household.id);

  const days = new Map<string, Completion[]>();
  for (const entry of history.data ?? []) {
    const day = instantToInput(entry.done_at, household.time_zone).slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), entry]);
  }
  return (
    <section className="page">
      <h1>{t("history.title")}</h1>
      <RangePicker value={range} onChange={setRange} />
      <p>
        <a href={`/api/households/${household.id}/completions/export.csv?from=${range.from}&to=${range.to}`} download>
          {t("history.export")}
        </a>
      </p>
      <ErrorText error={history.error} />
      {history.isPending && <Spinner />}
      {history.data?.length === 0 && <p className="empty">{t("history.none")}</p>}
      {[...days.entries()].map(([day, entries]) => (
        <div key={day}>
          <h2 className="section">{formatDay(day, i18n.language)}</h2>
          <ul className="list">
            {entries.map((entry) => (
              <HistoryRow key={entry.id} entry={entry} members={members.data ?? []} />
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

function HistoryRow({ entry, members }: { entry: Completion; members: Member[] }) {
  const { t, i18n } = useTranslation();
  const { household, canWrite } = useHousehold();
  const actions = useCompletionActions(household.id);
  const [editing, setEditing] = useState(false);
  const [doneBy, setDoneBy] = useState(entry.done_by?.user_id ?? 0);
  const [when, setWhen] = useState(() => instantToInput(entry.done_at, household.time_zone));

  return (
    <li className="history">
      <div className="row">
        <div className="grow">
          <strong>{entry.chore_name}</strong>
          <div className="meta">
            <span className={`badge ${entry.kind}`}>{t(`history.kinds.${entry.kind === "skipped" ? "skipped" : "done"}`)}</span>
            <span className="who">{entry.done_by?.display_name ?? t("history.formerMember")}</span>
            <span>{formatInstant(entry.done_at, household.time_zone, i18n.language)}</span>
            {entry.recorded_by && entry.recorded_by.user_id !== entry.done_by?.user_id && (
              <span className="recorded-by">{t("history.recordedBy", { name: entry.recorded_by.display_name })}</span>
            )}
          </div>
        </div>
        {canWrite && (
          <button type="button" className="icon" aria-expanded={editing} aria-label={t("history.editNamed", { name: entry.chore_name })} onClick={() => setEditing(!editing)}>
            ✎
          </button>
        )}
      </div>
      {editing && canWrite && (
        <div className="menu">
          <label>
            {t("today.doneBy")}
            <select value={doneBy} onChange={(e) => setDoneBy(Number(e.target.value))}>
              {members.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.display_name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("today.doneAt")}
            <input type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />
          </label>
          <div className="buttons">
            <button
              type="button"
              className="primary"
              disabled={actions.update.isPending || !when}
              onClick={() =>
                actions.update.mutate(
                  {
                    completionId: entry.id,
                    ...(doneBy ? { doneBy } : {}),
                    doneAt: inputToInstant(when, household.time_zone),
                  },
                  { onSuccess: () => setEditing(false) },
                )
              }
            >
              {t("common.save")}
            </button>
            <button
              type="button"
              className="danger"
              disabled={actions.remove.isPending}
              onClick={() => {
                if (window.confirm(t("history.confirmDelete"))) actions.remove.mutate(entry.id);
              }}
            >
              {t("common.delete")}
            </button>
          </div>
          <ErrorText error={actions.update.error ?? actions.remove.error} />
        </div>
      )}
    </li>
  );
}
