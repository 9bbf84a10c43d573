import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { useAccountActions, useHouseholds } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";
import { LANGUAGES, type Lang } from "../../i18n";

/** The household switcher: every household of the user, a new one, or joining by code. */
export function HouseholdsPage() {
  const { t, i18n } = useTranslation();
  const households = useHouseholds();
  const navigate = useNavigate();
  const { createHousehold } = useAccountActions();
  const [name, setName] = useState("");
  const [language, setLanguage] = useState<Lang>(i18n.language === "en" ? "en" : "ja");
  const [code, setCode] = useState("");

  function create(event: FormEvent) {
    event.preventDefault();
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    createHousehold.mutate(
      { name, language, ...(timeZone ? { time_zone: timeZone } : {}) },
      { onSuccess: (household) => void navigate(`/h/${household.id}/today`) },
    );
  }

  function join(event: FormEvent) {
    event.preventDefault();
    const trimmed = code.trim();
    // Accept the whole link as well as the bare code.
    const bare = trimmed.includes("/invite/") ? trimmed.split("/invite/")[1] ?? "" : trimmed;
    if (bare) void navigate(`/invite/${encodeURIComponent(bare)}`);
  }

  if (households.isPending) return <Spinner />;
  return (
    <section className="page">
      <h1>{t("household.switchTitle")}</h1>
      <ErrorText error={households.error} />
      {households.data && households.data.length === 0 && (
        <p className="empty">{t("household.none")}</p>
      )}
      <ul className="list">
        {households.data?.map((h) => (
          <li key={h.id} className="row">
            <Link to={`/h/${h.id}/today`} className="grow">
              <strong>{h.name}</strong>
            </Link>
            <span className="badge">{t(`roles.${h.role}`)}</span>
          </li>
        ))}
      </ul>
      <form className="card form" onSubmit={create}>
        <h2>{t("household.create")}</h2>
        <label>
          {t("household.name")}
          <input name="household_name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t("household.language")}
          <select value={language} onChange={(e) => setLanguage(e.target.value as Lang)}>
            {LANGUAGES.map((lng) => (
              <option key={lng} value={lng}>
                {t(`languages.${lng}`)}
              </option>
            ))}
          </select>
        </label>
        <ErrorText error={createHousehold.error} />
        <button type="submit" className="primary" disabled={createHousehold.isPending}>
          {t("household.create")}
        </button>
      </form>
      <form className="card form" onSubmit={join}>
        <h2>{t("invite.joinTitle")}</h2>
        <label>
          {t("invite.code")}
          <input name="invite_code" required value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <button type="submit">{t("invite.continue")}</button>
      </form>
    </section>
  );
}
