import type { QueryClient } from "@tanstack/react-query";
import { useDeferredValue, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { DueItem } from "../../api/client";
import { errorMessage } from "../../api/errors";
import {
  dueQuery,
  membersQuery,
  useChoreActions,
  useChoreTaps,
  useChores,
  useDue,
  useMembers,
  type DueWindow,
} from "../../api/queries";
import { isOffline, pending, usePending } from "../../offline/sync";
import type { PendingAction, PendingKind } from "../../offline/queue";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { formatDay, inputToInstant, localNowInput, shiftDate, todayIn } from "../../lib/dates";
import { clock } from "../../lib/clock";
import { useHousehold } from "../household/HouseholdRoute";
import { Postpone } from "./Postpone";
import { StarterChores } from "./StarterChores";

export const WINDOWS: DueWindow[] = ["overdue", "today", "tomorrow", "week", "month"];

type Section = "overdue" | "today" | "tomorrow" | "later";

/** Whose chores: everyone's, the user's own, or theirs and the unassigned ones (誰でも). */
export const WHOSE = ["everyone", "mineAndAnyone", "mine"] as const;
type Whose = (typeof WHOSE)[number];

function recall<T extends string>(key: string, allowed: readonly T[], initial: T): T {
  try {
    const stored = localStorage.getItem(key);
    return allowed.find((a) => a === stored) ?? initial;
  } catch {
    return initial;
  }
}

const windowKey = (householdId: number) => `today-window:${householdId}`;
const whoseKey = (householdId: number) => `today-whose:${householdId}`;

/** The filter row's choices, remembered per household on this device. */
function useRemembered<T extends string>(key: string, allowed: readonly T[], initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => recall(key, allowed, initial));
  useEffect(() => {
    try {
      localStorage.setItem(key, value);
    } catch {
      // Not remembered without storage.
    }
  }, [key, value]);
  return [value, setValue];
}

/** The due items one filter shows: "mine + anyone's" is everyone's list without others' chores. */
export function visibleItems(items: DueItem[], whose: Whose, me: number): DueItem[] {
  if (whose !== "mineAndAnyone") return items;
  return items.filter((item) => !item.chore.assignee || item.chore.assignee.user_id === me);
}

/** Which heading a due item goes under, relative to the household's today. */
export function sectionOf(item: Pick<DueItem, "due_date" | "days_overdue">, today: string): Section {
  if (item.days_overdue > 0 || item.due_date < today) return "overdue";
  if (item.due_date === today) return "today";
  if (item.due_date === shiftDate(today, 1)) return "tomorrow";
  return "later";
}

/** Starts this screen's reads on a page load, beside the session's and the households' (which
 * the screen would otherwise wait for before it asks). */
export function prefetchToday(client: QueryClient, householdId: number): void {
  const window = recall(windowKey(householdId), WINDOWS, "today");
  const mine = recall(whoseKey(householdId), WHOSE, "everyone") === "mine";
  void client.prefetchQuery(dueQuery(householdId, window, mine));
  void client.prefetchQuery(membersQuery(householdId));
}

export function TodayPage() {
  const { t } = useTranslation();
  const { household, me } = useHousehold();
  const [window, setWindow] = useRemembered<DueWindow>(windowKey(household.id), WINDOWS, "today");
  const [whose, setWhose] = useRemembered<Whose>(whoseKey(household.id), WHOSE, "everyone");
  const due = useDue(household.id, window, whose === "mine");
  // The list renders in the background, a slice at a time between other work (a transition), so
  // that rendering a long answer never blocks the page for long; the spinner stays until then.
  // On mount too (null first): on a page load the answer is often there when the screen mounts.
  const list = useDeferredValue(due.data, null);
  const items = visibleItems(list ?? [], whose, me.id);
  // Only asked when nothing is due: is the household empty, or merely done for now?
  const everyone = whose === "everyone";
  const chores = useChores(household.id, false, list?.length === 0 && everyone);
  // Only in everyone's view, where the list is asked for: a saved answer may be an old one.
  const empty = everyone && chores.data?.length === 0;
  const queued = usePending().filter((action) => action.householdId === household.id);
  // Undo lives here, not in the row: the row disappears once its chore is done.
  const { undo: undoAction } = useChoreActions(household.id);
  const toast = useToast();
  const undo = (choreId: number, name: string) => {
    const later = () =>
      void pending
        .add({ householdId: household.id, choreId, choreName: name, kind: "undo", doneAt: new Date().toISOString() })
        .then(() => toast.show(t("today.queuedToast", { name })));
    if (isOffline(null)) return later();
    undoAction.mutate(choreId, {
      onSuccess: () => toast.show(t("today.undone", { name })),
      onError: (error) => (isOffline(error) ? later() : toast.show(errorMessage(t, error))),
    });
  };

  return (
    <section className="page">
      <h1>{t("today.title")}</h1>
      <div className="segmented" role="group" aria-label={t("today.window")}>
        {WINDOWS.map((w) => (
          <button key={w} type="button" aria-pressed={window === w} onClick={() => setWindow(w)}>
            {t(`today.windows.${w}`)}
          </button>
        ))}
      </div>
      <div className="segmented small" role="group" aria-label={t("today.whose")}>
        {WHOSE.map((w) => (
          <button key={w} type="button" aria-pressed={whose === w} onClick={() => setWhose(w)}>
            {t(`today.${w}`)}
          </button>
        ))}
      </div>
      <ErrorText error={due.error} />
      {!list && (due.isPending || due.data) && <Spinner />}
      {list && items.length === 0 && !empty && <p className="empty">{t("today.nothingDue")}</p>}
      {list && items.length === 0 && empty && <EmptyHousehold />}
      {items.length > 0 && <DueList items={items} queued={queued} onUndo={undo} />}
    </section>
  );
}

const ORDER: Section[] = ["overdue", "today", "tomorrow", "later"];

/** The due items under their headings. Only rendered with items (in the background render):
 * the household's today needs the first date formatting, which makes ICU load its data. */
function DueList({ items, queued, onUndo }: { items: DueItem[]; queued: PendingAction[]; onUndo: RowProps["onUndo"] }) {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const today = todayIn(household.time_zone);
  const sections = new Map<Section, DueItem[]>();
  for (const item of items) {
    const key = sectionOf(item, today);
    sections.set(key, [...(sections.get(key) ?? []), item]);
  }
  return ORDER.map((key) => {
    const listed = sections.get(key);
    if (!listed?.length) return null;
    return (
      <div key={key}>
        <h2 className={`section ${key}`}>{t(`today.sections.${key}`)}</h2>
        <ul className="list">
          {listed.map((item) => (
            <DueRow
              key={item.chore.id}
              item={item}
              onUndo={onUndo}
              waiting={queued.some((a) => a.choreId === item.chore.id && a.kind !== "undo")}
            />
          ))}
        </ul>
      </div>
    );
  });
}

/** A household without chores: where to start instead of "nothing to do". */
function EmptyHousehold() {
  const { t } = useTranslation();
  const { household, canWrite } = useHousehold();
  return (
    <div className="card empty-household">
      <p>{t("today.emptyHousehold")}</p>
      {canWrite && (
        <div className="buttons">
          <Link to={`/h/${household.id}/chores/new`} className="button primary">
            {t("today.addChore")}
          </Link>
          <Link to={`/h/${household.id}/chores#import`} className="button">
            {t("today.importCsv")}
          </Link>
        </div>
      )}
      {canWrite && <StarterChores />}
    </div>
  );
}

type RowProps = {
  item: DueItem;
  onUndo: (choreId: number, name: string) => void;
  /** A tap on this chore waits on the device for the network. */
  waiting: boolean;
};

function DueRow({ item, onUndo, waiting }: RowProps) {
  const { t, i18n } = useTranslation();
  const { household, me, canWrite } = useHousehold();
  const actions = useChoreTaps(household.id);
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [doneBy, setDoneBy] = useState<number>(me.id);
  // Set when the menu opens: the time then, and no time-zone arithmetic for every row on load.
  const [when, setWhen] = useState("");
  const chore = item.chore;
  const busy = actions.complete.isPending || actions.skip.isPending;

  const undo = () => onUndo(chore.id, chore.name);

  /** Keeps the tap on the device, with its time, until the network is back. */
  function later(kind: PendingKind, doneAt: string, doneBy?: number) {
    setOpen(false);
    void pending
      .add({ householdId: household.id, choreId: chore.id, choreName: chore.name, kind, doneAt, doneBy: doneBy ?? null })
      .then((id) =>
        toast.show(t("today.queuedToast", { name: chore.name }), {
          label: t("today.undo"),
          run: () => void pending.cancel(id),
        }),
      );
  }

  function done(options?: { doneBy?: number; doneAt?: string }) {
    const tapped = options?.doneAt ?? new Date().toISOString();
    if (isOffline(null)) return later("complete", tapped, options?.doneBy);
    actions.complete.mutate(
      { choreId: chore.id, ...options },
      {
        onSuccess: () => {
          setOpen(false);
          toast.show(t("today.doneToast", { name: chore.name }), { label: t("today.undo"), run: undo });
        },
        onError: (error) => {
          if (isOffline(error)) later("complete", tapped, options?.doneBy);
        },
      },
    );
  }

  function skip() {
    const doneAt = inputToInstant(when, household.time_zone);
    if (isOffline(null)) return later("skip", doneAt);
    actions.skip.mutate(
      { choreId: chore.id, doneAt },
      {
        onSuccess: () => {
          setOpen(false);
          toast.show(t("today.skippedToast", { name: chore.name }), { label: t("today.undo"), run: undo });
        },
        onError: (error) => {
          if (isOffline(error)) later("skip", doneAt);
        },
      },
    );
  }

  return (
    <li className="due">
      <div className="row">
        <div className="grow">
          <strong>{chore.name}</strong>
          <div className="meta">
            {chore.category && <span className="badge">{chore.category}</span>}
            <span>{formatDay(item.due_date, i18n.language)}</span>
            {chore.due_time && <span>{t("dueTime.by", { time: clock(chore.due_time) })}</span>}
            {item.days_overdue > 0 && (
              <span className="overdue-days">{t("today.daysOverdue", { count: item.days_overdue })}</span>
            )}
            <span>{chore.assignee ? chore.assignee.display_name : t("chores.unassigned")}</span>
            {waiting && <span className="badge waiting">{t("today.waiting")}</span>}
          </div>
        </div>
        {canWrite && (
          <>
            <button
              type="button"
              className="primary done"
              disabled={busy || waiting}
              onClick={() => done()}
              aria-label={t("today.markDoneNamed", { name: chore.name })}
            >
              {t("today.done")}
            </button>
            <button
              type="button"
              className="icon"
              aria-expanded={open}
              aria-label={t("today.moreFor", { name: chore.name })}
              onClick={() => {
                if (!open) setWhen(localNowInput(household.time_zone));
                setOpen(!open);
              }}
            >
              ⋯
            </button>
          </>
        )}
      </div>
      {open && canWrite && (
        <div className="menu">
          <label>
            {t("today.doneBy")}
            <DoneBySelect value={doneBy} onChange={setDoneBy} />
          </label>
          <label>
            {t("today.doneAt")}
            <input
              type="datetime-local"
              value={when}
              max={localNowInput(household.time_zone)}
              onChange={(e) => setWhen(e.target.value)}
            />
          </label>
          <div className="buttons">
            <button
              type="button"
              className="primary"
              disabled={busy || !when}
              onClick={() => done({ doneBy, doneAt: inputToInstant(when, household.time_zone) })}
            >
              {t("today.markDone")}
            </button>
            <button type="button" disabled={busy || !when} onClick={skip}>
              {t("today.skip")}
            </button>
          </div>
          <Postpone item={item} onDone={() => setOpen(false)} />
        </div>
      )}
      {/* A tap that could not reach the server waits in the queue: that is not an error. */}
      <ErrorText error={[actions.complete.error, actions.skip.error].find((e) => e && !isOffline(e))} />
    </li>
  );
}

/** Who did it: read only when a row's menu opens, so the members' answer does not render the
 * whole list again on a page load. */
function DoneBySelect({ value, onChange }: { value: number; onChange: (userId: number) => void }) {
  const { household } = useHousehold();
  const members = useMembers(household.id);
  return (
    <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {(members.data ?? [])
        .filter((m) => m.role !== "viewer")
        .map((m) => (
          <option key={m.user_id} value={m.user_id}>
            {m.display_name}
          </option>
        ))}
    </select>
  );
}
