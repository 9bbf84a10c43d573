import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useStats } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";
import { shiftDate, todayIn } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";
import { BarChart } from "./BarChart";
import { RangePicker } from "./RangePicker";

const METRICS = ["completions", "minutes", "points"] as const;
type Metric = (typeof METRICS)[number];

export default function StatsPage() {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const today = todayIn(household.time_zone);
  const [range, setRange] = useState({ from: shiftDate(today, -6), to: today });
  const [metric, setMetric] = useState<Metric>("completions");
  const stats = useStats(household.id, range.from, range.to);

  return (
    <section className="page">
      <h1>{t("stats.title")}</h1>
      <RangePicker value={range} onChange={setRange} />
      <div className="segmented small" role="group" aria-label={t("stats.metric")}>
        {METRICS.map((m) => (
          <button key={m} type="button" aria-pressed={metric === m} onClick={() => setMetric(m)}>
            {t(`stats.metrics.${m}`)}
          </button>
        ))}
      </div>
      <ErrorText error={stats.error} />
      {stats.isPending && <Spinner />}
      {stats.data && (
        <>
          <div className="card">
            <BarChart
              title={t("stats.chartTitle", { metric: t(`stats.metrics.${metric}`) })}
              bars={stats.data.members.map((m) => ({ label: m.display_name, value: m[metric] }))}
            />
          </div>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("stats.member")}</th>
                <th scope="col">{t("stats.metrics.completions")}</th>
                <th scope="col">{t("stats.skips")}</th>
                <th scope="col">{t("stats.metrics.minutes")}</th>
                <th scope="col">{t("stats.metrics.points")}</th>
              </tr>
            </thead>
            <tbody>
              {stats.data.members.map((m) => (
                <tr key={m.user_id} data-member={m.display_name}>
                  <th scope="row">{m.display_name}</th>
                  <td>{m.completions}</td>
                  <td>{m.skips}</td>
                  <td>{m.minutes}</td>
                  <td>{m.points}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {stats.data.categories.length > 0 && (
            <table className="table">
              <caption>{t("stats.byCategory")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("chores.category")}</th>
                  <th scope="col">{t("stats.metrics.completions")}</th>
                  <th scope="col">{t("stats.metrics.minutes")}</th>
                  <th scope="col">{t("stats.metrics.points")}</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.categories.map((c) => (
                  <tr key={c.category}>
                    <th scope="row">{c.category || t("chores.noCategory")}</th>
                    <td>{c.completions}</td>
                    <td>{c.minutes}</td>
                    <td>{c.points}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
