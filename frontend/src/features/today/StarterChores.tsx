import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, call, type ChoreCreate } from "../../api/client";
import { keys } from "../../api/queries";
import { ErrorText, useToast } from "../../components/Feedback";
import { spreadDue, todayIn } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";

type Unit = ChoreCreate["recurrence"]["unit"];

/** Common Japanese household chores: catalog key, room, and how often (every N units). */
export const STARTERS: { key: StarterKey; every: number; unit: Unit; minutes: number }[] = [
  { key: "dishes", every: 1, unit: "day", minutes: 15 },
  { key: "laundry", every: 1, unit: "day", minutes: 20 },
  { key: "trash", every: 3, unit: "day", minutes: 5 },
  { key: "vacuum", every: 3, unit: "day", minutes: 20 },
  { key: "bath", every: 2, unit: "day", minutes: 15 },
  { key: "toilet", every: 1, unit: "week", minutes: 10 },
  { key: "plants", every: 3, unit: "day", minutes: 5 },
  { key: "sheets", every: 2, unit: "week", minutes: 15 },
  { key: "futon", every: 1, unit: "week", minutes: 10 },
  { key: "fridge", every: 1, unit: "month", minutes: 20 },
  { key: "aircon", every: 1, unit: "month", minutes: 20 },
  { key: "rangehood", every: 3, unit: "month", minutes: 40 },
];
type StarterKey = "dishes" | "laundry" | "trash" | "vacuum" | "bath" | "toilet" | "plants" | "sheets" | "futon" | "fridge" | "aircon" | "rangehood";

const DAYS: Record<Unit, number> = { day: 1, week: 7, month: 30 };

/** The first due date of the n-th picked chore, spread over its interval (daily ones today). */
export function firstDue(today: string, index: number, every: number, unit: Unit): string {
  return spreadDue(today, index, every * DAYS[unit]);
}

/** A new household picks its first chores from a starter list instead of typing them. */
export function StarterChores() {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const client = useQueryClient();
  const toast = useToast();
  const [picked, setPicked] = useState<Set<StarterKey>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // One request per chore, and the screens refreshed once at the end: refreshing after the
  // first would replace this (no longer empty) household's guidance while it still adds.
  async function add() {
    setBusy(true);
    setError(null);
    const today = todayIn(household.time_zone);
    const chosen = STARTERS.filter((s) => picked.has(s.key));
    try {
      for (const [index, starter] of chosen.entries()) {
        const body: ChoreCreate = {
          name: t(`starter.items.${starter.key}.name`),
          category: t(`starter.items.${starter.key}.room`),
          notes: "",
          points: 1,
          estimated_minutes: starter.minutes,
          recurrence: { kind: "interval", every: starter.every, unit: starter.unit, anchor: "completion" },
          start_date: firstDue(today, index, starter.every, starter.unit),
        };
        const params = { path: { household_id: household.id } };
        await call(api.POST("/api/households/{household_id}/chores", { params, body }));
      }
      toast.show(t("chores.imported", { count: chosen.length }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
      void client.invalidateQueries({ queryKey: keys.household(household.id) });
    }
  }

  return (
    <fieldset className="starter">
      <legend>{t("starter.title")}</legend>
      <div className="checks vertical">
        {STARTERS.map((s) => (
          <label key={s.key} className="check">
            <input
              type="checkbox"
              checked={picked.has(s.key)}
              onChange={(e) => {
                const next = new Set(picked);
                if (e.target.checked) next.add(s.key);
                else next.delete(s.key);
                setPicked(next);
              }}
            />
            <span>
              {t(`starter.items.${s.key}.name`)}
              <small className="block">
                {t(`starter.items.${s.key}.room`)} ·{" "}
                {s.every === 1 ? t(`recurrence.each.${s.unit}`) : t(`recurrence.every_${s.unit}`, { count: s.every })}
              </small>
            </span>
          </label>
        ))}
      </div>
      <ErrorText error={error} />
      <button type="button" className="primary" disabled={busy || picked.size === 0} onClick={() => void add()}>
        {t("starter.add", { count: picked.size })}
      </button>
    </fieldset>
  );
}
