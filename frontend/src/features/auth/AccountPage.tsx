import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { forgetSaved } from "../../api/saved";
import { useAccountActions, useMe } from "../../api/queries";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { LANGUAGES, type Lang } from "../../i18n";
import { MIN_PASSWORD } from "./SignupPage";

export default function AccountPage() {
  const { t } = useTranslation();
  const me = useMe();
  const toast = useToast();
  const { updateMe, changePassword, logout } = useAccountActions();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");

  if (!me.data) return <Spinner />;
  const user = me.data;

  function saveName(event: FormEvent) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    updateMe.mutate(
      { display_name: String(form.get("display_name") ?? "").trim() },
      { onSuccess: () => toast.show(t("account.nameSaved")) },
    );
  }

  function savePassword(event: FormEvent) {
    event.preventDefault();
    changePassword.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent("");
          setNext("");
          toast.show(t("account.passwordChanged"));
        },
      },
    );
  }

  return (
    <section className="page">
      <h1>{t("account.title")}</h1>
      <div className="card form">
        <form className="form" onSubmit={saveName}>
          <label>
            {t("auth.displayName")}
            <input name="display_name" autoComplete="nickname" required maxLength={100} defaultValue={user.display_name} />
            <small>{user.email}</small>
          </label>
          <button type="submit" className="primary" disabled={updateMe.isPending}>
            {t("common.save")}
          </button>
        </form>
        <label>
          {t("account.language")}
          <select
            value={user.language ?? ""}
            onChange={(e) =>
              updateMe.mutate({ language: (e.target.value || null) as Lang | null })
            }
          >
            <option value="">{t("account.languageBrowser")}</option>
            {LANGUAGES.map((lng) => (
              <option key={lng} value={lng}>
                {t(`languages.${lng}`)}
              </option>
            ))}
          </select>
          <small>{t("account.languageHint")}</small>
        </label>
        <ErrorText error={updateMe.error} />
      </div>
      <form className="card form" onSubmit={savePassword}>
        <h2>{t("account.changePassword")}</h2>
        <label>
          {t("account.currentPassword")}
          <input
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          {t("account.newPassword")}
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <ErrorText error={changePassword.error} />
        <button type="submit" className="primary" disabled={changePassword.isPending}>
          {t("common.save")}
        </button>
      </form>
      <button
        type="button"
        onClick={() =>
          logout.mutate(undefined, {
            onSettled: () => {
              forgetSaved();
              // The login page is its own document: what this one holds goes with it.
              location.replace("/login");
            },
          })
        }
      >
        {t("auth.logout")}
      </button>
    </section>
  );
}
