import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { DueItem } from "../../api/client";
import { useChoreActions } from "../../api/queries";
import { ErrorText, useToast } from "../../components/Feedback";
import { formatDay, shiftDate, todayIn } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";

/** The day after the later of today and the due date: the first date worth postponing to. */
export function firstPostponeDate(dueDate: string, today: string): string {
  return shiftDate(dueDate > today ? dueDate : today, 1);
}

/** 延期: moves this occurrence to a chosen day (today or later); the rule stays as it is. */
export function Postpone({ item, onDone }: { item: DueItem; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const { household } = useHousehold();
  const { update } = useChoreActions(household.id);
  const toast = useToast();
  const today = todayIn(household.time_zone);
  const [date, setDate] = useState(() => firstPostponeDate(item.due_date, today));
  const chore = item.chore;

  function postpone() {
    update.mutate(
      { choreId: chore.id, body: { next_due: date } },
      {
        onSuccess: () => {
          onDone();
          toast.show(t("postpone.done", { name: chore.name, date: formatDay(date, i18n.language) }));
        },
      },
    );
  }

  return (
    <div className="postpone">
      <label>
        {t("postpone.to")}
        <input type="date" name="postpone_to" min={today} required value={date} onChange={(e) => setDate(e.target.value)} />
        <small>{t("postpone.hint")}</small>
      </label>
      <button
        type="button"
        disabled={update.isPending || !date || date < today}
        aria-label={t("postpone.named", { name: chore.name })}
        onClick={postpone}
      >
        {t("postpone.action")}
      </button>
      <ErrorText error={update.error} />
    </div>
  );
}
