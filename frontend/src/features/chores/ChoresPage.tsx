import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "react-router";
import { ApiError, type Chore } from "../../api/client";
import { useChoreActions, useChores } from "../../api/queries";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { formatDay } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";
import { groupByCategory } from "./choreForm";
import { RecurrenceText } from "./RecurrenceText";
import { describeRowProblem } from "../../api/validation";

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
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  const card = useRef<HTMLDivElement>(null);
  const { hash } = useLocation();
  const error = importCsv.error;
  // Linked from the empty household's guidance (#import): the browser cannot scroll to a part
  // that is rendered after the page loaded.
  useEffect(() => {
    if (hash === "#import") card.current?.scrollIntoView();
  }, [hash]);

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
            const file = input.current?.files?.[0];
            if (!file) return;
            importCsv.mutate(file, {
              onSuccess: (result) => {
                toast.show(t("chores.imported", { count: result.created }));
                if (input.current) input.current.value = "";
              },
            });
          }}
        >
          <label>
            {t("chores.importFile")}
            <input ref={input} type="file" name="csv" accept=".csv,text/csv" required />
            <small>{t("chores.importHint")}</small>
          </label>
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
                    <td>{row.row}</td>
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
