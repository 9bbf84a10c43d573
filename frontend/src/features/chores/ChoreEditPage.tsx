import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import type { Chore } from "../../api/client";
import { useChore, useChoreActions, useChores, useMembers } from "../../api/queries";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { todayIn, weekdayNames } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";
import {
  emptyForm,
  formFromChore,
  toggleMember,
  toPayload,
  type Anchor,
  type ChoreFormState,
  type Kind,
  type Mode,
  type Unit,
} from "./choreForm";

export default function ChoreEditPage() {
  const { choreId } = useParams();
  const { household } = useHousehold();
  const id = choreId ? Number(choreId) : null;
  const chore = useChore(household.id, id);
  if (id !== null && chore.isPending) return <Spinner />;
  if (id !== null && chore.error) return <ErrorText error={chore.error} />;
  return <ChoreEditor key={id ?? "new"} chore={chore.data ?? null} />;
}

function ChoreEditor({ chore }: { chore: Chore | null }) {
  const { t, i18n } = useTranslation();
  const { household, canWrite } = useHousehold();
  const navigate = useNavigate();
  const toast = useToast();
  const members = useMembers(household.id);
  const categories = useChores(household.id, false);
  const actions = useChoreActions(household.id);
  const [form, setForm] = useState<ChoreFormState>(() =>
    chore ? formFromChore(chore) : emptyForm(todayIn(household.time_zone)),
  );
  const set = <K extends keyof ChoreFormState>(key: K, value: ChoreFormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const back = () => void navigate(`/h/${household.id}/chores`);
  const names = weekdayNames(i18n.language);
  const writers = (members.data ?? []).filter((m) => m.role !== "viewer");
  const known = [...new Set((categories.data ?? []).map((c) => c.category).filter(Boolean))];
  const pending = actions.create.isPending || actions.update.isPending;
  const error = actions.create.error ?? actions.update.error ?? actions.remove.error;

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = toPayload(form);
    const done = () => {
      toast.show(t("chores.saved", { name: body.name }));
      back();
    };
    if (chore) {
      const update = { ...body, ...(form.nextDue && form.nextDue !== chore.next_due ? { next_due: form.nextDue } : {}) };
      actions.update.mutate({ choreId: chore.id, body: update }, { onSuccess: done });
    } else {
      actions.create.mutate(body, { onSuccess: done });
    }
  }

  if (!canWrite) return <p className="empty">{t("errors.forbidden")}</p>;
  return (
    <section className="page">
      <h1>{chore ? t("chores.edit") : t("chores.new")}</h1>
      <form className="form card" onSubmit={submit}>
        <label>
          {t("chores.name")}
          <input name="name" required maxLength={100} value={form.name} onChange={(e) => set("name", e.target.value)} />
        </label>
        <label>
          {t("chores.category")}
          <input
            name="category"
            list="categories"
            maxLength={50}
            value={form.category}
            onChange={(e) => set("category", e.target.value)}
          />
          <datalist id="categories">
            {known.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </label>
        <label>
          {t("chores.notes")}
          <textarea name="notes" maxLength={2000} rows={2} value={form.notes} onChange={(e) => set("notes", e.target.value)} />
        </label>
        <div className="pair">
          <label>
            {t("chores.minutes")}
            <input
              name="estimated_minutes"
              type="number"
              min={1}
              max={1440}
              inputMode="numeric"
              value={form.estimatedMinutes}
              onChange={(e) => set("estimatedMinutes", e.target.value)}
            />
          </label>
          <label>
            {t("chores.points")}
            <input
              name="points"
              type="number"
              min={0}
              max={1000}
              inputMode="numeric"
              value={form.points}
              onChange={(e) => set("points", e.target.value)}
            />
          </label>
        </div>

        <fieldset>
          <legend>{t("recurrence.title")}</legend>
          <label>
            {t("recurrence.kind")}
            <select name="kind" value={form.kind} onChange={(e) => set("kind", e.target.value as Kind)}>
              {(["once", "interval", "weekly", "monthly"] as const).map((k) => (
                <option key={k} value={k}>
                  {t(`recurrence.kinds.${k}`)}
                </option>
              ))}
            </select>
          </label>
          {form.kind === "interval" && (
            <div className="pair">
              <label>
                {t("recurrence.every")}
                <input
                  name="every"
                  type="number"
                  min={1}
                  max={366}
                  required
                  value={form.every}
                  onChange={(e) => set("every", e.target.value)}
                />
              </label>
              <label>
                {t("recurrence.unit")}
                <select name="unit" value={form.unit} onChange={(e) => set("unit", e.target.value as Unit)}>
                  {(["day", "week", "month"] as const).map((u) => (
                    <option key={u} value={u}>
                      {t(`recurrence.units.${u}`)}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          )}
          {form.kind === "weekly" && (
            <div className="checks" role="group" aria-label={t("recurrence.weekdays")}>
              {names.map((label, index) => {
                const day = index + 1;
                return (
                  <label key={day} className="check">
                    <input
                      type="checkbox"
                      checked={form.weekdays.includes(day)}
                      onChange={() =>
                        set(
                          "weekdays",
                          form.weekdays.includes(day)
                            ? form.weekdays.filter((d) => d !== day)
                            : [...form.weekdays, day],
                        )
                      }
                    />
                    {label}
                  </label>
                );
              })}
            </div>
          )}
          {form.kind === "monthly" && (
            <label>
              {t("recurrence.monthDay")}
              <input
                name="month_day"
                type="number"
                min={1}
                max={31}
                required
                value={form.monthDay}
                onChange={(e) => set("monthDay", e.target.value)}
              />
            </label>
          )}
          {form.kind !== "once" && (
            <div className="radios" role="radiogroup" aria-label={t("recurrence.anchor")}>
              {(["schedule", "completion"] as const).map((a: Anchor) => (
                <label key={a} className="check">
                  <input type="radio" name="anchor" checked={form.anchor === a} onChange={() => set("anchor", a)} />
                  {t(`recurrence.anchors.${a}`)}
                </label>
              ))}
            </div>
          )}
          <label>
            {t("chores.startDate")}
            <input name="start_date" type="date" value={form.startDate} onChange={(e) => set("startDate", e.target.value)} />
          </label>
          {chore && (
            <label>
              {t("chores.nextDueLabel")}
              <input name="next_due" type="date" value={form.nextDue} onChange={(e) => set("nextDue", e.target.value)} />
            </label>
          )}
          <label>
            {t("dueTime.label")}
            <input name="due_time" type="time" value={form.dueTime} onChange={(e) => set("dueTime", e.target.value)} />
            <small>{t("dueTime.hint")}</small>
          </label>
        </fieldset>

        <fieldset>
          <legend>{t("assignment.title")}</legend>
          <label>
            {t("assignment.mode")}
            <select
              name="mode"
              value={form.mode}
              onChange={(e) => {
                const mode = e.target.value as Mode;
                setForm((f) => ({
                  ...f,
                  mode,
                  members: mode === "none" ? [] : mode === "fixed" ? f.members.slice(0, 1) : f.members,
                }));
              }}
            >
              {(["none", "fixed", "round_robin", "least_done"] as const).map((m) => (
                <option key={m} value={m}>
                  {t(`assignment.modes.${m}`)}
                </option>
              ))}
            </select>
          </label>
          {form.mode !== "none" && (
            <div className="checks vertical" role="group" aria-label={t("assignment.members")}>
              {writers.map((m) => {
                const position = form.members.indexOf(m.user_id);
                return (
                  <label key={m.user_id} className="check">
                    <input
                      type="checkbox"
                      checked={position >= 0}
                      onChange={() => set("members", toggleMember(form, m.user_id))}
                    />
                    {m.display_name}
                    {position >= 0 && form.mode !== "fixed" && (
                      <span className="badge">{t("assignment.order", { n: position + 1 })}</span>
                    )}
                  </label>
                );
              })}
              {form.mode !== "fixed" && <small>{t("assignment.orderHint")}</small>}
            </div>
          )}
        </fieldset>

        <ErrorText error={error} />
        <div className="buttons">
          <button type="submit" className="primary" disabled={pending}>
            {t("common.save")}
          </button>
          <button type="button" onClick={back}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
      {chore && (
        <div className="card buttons">
          <button
            type="button"
            onClick={() =>
              actions.update.mutate(
                { choreId: chore.id, body: { archived: !chore.archived } },
                {
                  onSuccess: () => {
                    toast.show(chore.archived ? t("chores.restored", { name: chore.name }) : t("chores.archivedToast", { name: chore.name }));
                    back();
                  },
                },
              )
            }
          >
            {chore.archived ? t("chores.restore") : t("chores.archive")}
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm(t("chores.confirmDelete", { name: chore.name }))) {
                actions.remove.mutate(chore.id, { onSuccess: back });
              }
            }}
          >
            {t("common.delete")}
          </button>
        </div>
      )}
    </section>
  );
}
