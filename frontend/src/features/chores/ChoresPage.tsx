import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, call, type Chore } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { keys, useChoreActions, useChores } from "../../api/queries";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { formatDay, todayIn } from "../../lib/dates";
import { clock } from "../../lib/clock";
import { useHousehold } from "../household/HouseholdRoute";
import { groupByCategory } from "./choreForm";
import { RecurrenceText } from "./RecurrenceText";
import { describeRowProblem } from "../../api/validation";
import { preview, readText, selection, STARTS, type Preview, type RowStatus, type Start } from "./csvPreview";

export default function ChoresPage() {
  const { t, i18n } = useTranslation();
  const { household, canWrite } = useHousehold();
  const [archived, setArchived] = useState(false);
  const chores = useChores(household.id, archived);
  const base = `/h/${household.id}`;

  return (
    <section className="page">
      <div className="title-row">
        <h1>{t("chores.title")}</h1>
        {canWrite && (
          <Link to={`${base}/chores/new`} className="button primary">
            {t("chores.new")}
          </Link>
        )}
      </div>
      <div className="segmented small" role="group" aria-label={t("chores.show")}>
        <button type="button" aria-pressed={!archived} onClick={() => setArchived(false)}>
          {t("chores.active")}
        </button>
        <button type="button" aria-pressed={archived} onClick={() => setArchived(true)}>
          {t("chores.archived")}
        </button>
      </div>
      <ErrorText error={chores.error} />
      {chores.isPending && <Spinner />}
      {chores.data?.length === 0 && <p className="empty">{t("chores.none")}</p>}
      {groupByCategory(chores.data ?? [], i18n.language).map(([category, items]) => (
        <div key={category}>
          <h2 className="section">{category || t("chores.noCategory")}</h2>
          <ul className="list">
            {items.map((chore) => (
              <ChoreRow key={chore.id} chore={chore} base={base} />
            ))}
          </ul>
        </div>
      ))}
      <CsvPanel />
    </section>
  );
}

function ChoreRow({ chore, base }: { chore: Chore; base: string }) {
  const { t, i18n } = useTranslation();
  const { canWrite } = useHousehold();
  const body = (
    <>
      <strong>{chore.name}</strong>
      <div className="meta">
        <RecurrenceText recurrence={chore.recurrence} />
        <span>
          {chore.next_due ? t("chores.nextDue", { date: formatDay(chore.next_due, i18n.language) }) : t("chores.finished")}
        </span>
        {chore.due_time && <span>{t("dueTime.by", { time: clock(chore.due_time) })}</span>}
        <span>{chore.assignee ? chore.assignee.display_name : t("chores.unassigned")}</span>
      </div>
    </>
  );
  return (
    <li className="row">
      {canWrite ? (
        <Link to={`${base}/chores/${chore.id}`} className="grow">
          {body}
        </Link>
      ) : (
        <div className="grow">{body}</div>
      )}
    </li>
  );
}

function CsvPanel() {
  const { t } = useTranslation();
  const { household, canWrite } = useHousehold();
  const { importCsv } = useChoreActions(household.id);
  const active = useChores(household.id, false);
  const archived = useChores(household.id, true);
  const client = useQueryClient();
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  const card = useRef<HTMLDivElement>(null);
  const { hash } = useLocation();
  const [file, setFile] = useState<{ blob: File; preview: Preview | null } | null>(null);
  const [skipKnown, setSkipKnown] = useState(true);
  const [start, setStart] = useState<Start>("spread");
  const [lines, setLines] = useState<Map<number, number>>(new Map());
  const error = importCsv.error;
  // Linked from the empty household's guidance (#import): the browser cannot scroll to a part
  // that is rendered after the page loaded.
  useEffect(() => {
    if (hash === "#import") card.current?.scrollIntoView();
  }, [hash]);

  const everything = [...(active.data ?? []), ...(archived.data ?? [])];
  const count = (status: RowStatus) => file?.preview?.rows.filter((row) => row.status === status).length ?? 0;
  const [fresh, same, changed] = [count("new"), count("same"), count("changed")];
  const known = same + changed;

  async function choose(blob: File | undefined) {
    importCsv.reset();
    if (!blob) return setFile(null);
    setFile({ blob, preview: preview(await readText(blob), everything) });
  }

  /** Deletes what one import created, and nothing added since. */
  async function undoImport(created: number[]) {
    const path = { household_id: household.id };
    for (const id of created) {
      await call(
        api.DELETE("/api/households/{household_id}/chores/{chore_id}", { params: { path: { ...path, chore_id: id } } }),
      );
    }
    void client.invalidateQueries({ queryKey: keys.household(household.id) });
    toast.show(t("chores.importUndone"));
  }

  function upload() {
    if (!file) return;
    let upload: File = file.blob;
    if (file.preview) {
      const chosen = selection(file.preview, skipKnown, start, todayIn(household.time_zone));
      if (chosen.lines.size === 0) return toast.show(t("chores.importNothing"));
      upload = new File([chosen.csv], file.blob.name, { type: "text/csv" });
      setLines(chosen.lines);
    } else setLines(new Map());
    importCsv.mutate(upload, {
      onSuccess: (result) => {
        toast.show(t("chores.imported", { count: result.created }), {
          label: t("today.undo"),
          run: () => void undoImport(result.chore_ids).catch((failure: unknown) => toast.show(errorMessage(t, failure))),
        });
        setFile(null);
        if (input.current) input.current.value = "";
      },
    });
  }

  return (
    <div className="card" id="import" ref={card}>
      <h2>{t("chores.csvTitle")}</h2>
      <p>
        <a href={`/api/households/${household.id}/chores/export.csv`} download>
          {t("chores.export")}
        </a>
      </p>
      {canWrite && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            upload();
          }}
        >
          <label>
            {t("chores.importFile")}
            <input
              ref={input}
              type="file"
              name="csv"
              accept=".csv,text/csv"
              required
              onChange={(e) => void choose(e.target.files?.[0])}
            />
            <small>{t("chores.importHint")}</small>
          </label>
          {file?.preview && (
            <div className="import-preview">
              <p>{t("chores.previewSummary", { fresh, same, changed })}</p>
              {known > 0 && (
                <label className="check">
                  <input type="checkbox" checked={skipKnown} onChange={(e) => setSkipKnown(e.target.checked)} />
                  {t("chores.skipKnown")}
                </label>
              )}
              {changed > 0 && skipKnown && <p className="meta">{t("chores.changedKept")}</p>}
              <label>
                {t("chores.startLabel")}
                <select name="start" value={start} onChange={(e) => setStart(e.target.value as Start)}>
                  {STARTS.map((s) => (
                    <option key={s} value={s}>
                      {t(`chores.starts.${s}`)}
                    </option>
                  ))}
                </select>
              </label>
              <ul className="list">
                {file.preview.rows.map((row) => (
                  <li key={row.line} className={row.known && skipKnown ? "row skipped" : "row"}>
                    <span className="grow">
                      <strong>{row.name}</strong> {row.category && <span className="badge">{row.category}</span>}
                    </span>
                    <span className={row.known ? "badge skipped" : "badge"}>{t(`chores.preview.${row.status}`)}</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <button type="submit" disabled={importCsv.isPending}>
            {t("chores.import")}
          </button>
          <ErrorText error={error} />
          {error instanceof ApiError && error.rows.length > 0 && (
            <table className="table">
              <caption>{t("chores.rowErrors")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("chores.row")}</th>
                  <th scope="col">{t("chores.problems")}</th>
                </tr>
              </thead>
              <tbody>
                {error.rows.map((row) => (
                  <tr key={row.row}>
                    {/* The line in the person's file, not in the upload without skipped rows. */}
                    <td>{lines.get(row.row) ?? row.row}</td>
                    <td>
                      {row.errors.map((problem) => (
                        <div key={problem}>{describeRowProblem(t, problem)}</div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </form>
      )}
    </div>
  );
}
