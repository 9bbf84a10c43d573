import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useSearchParams } from "react-router";
import { forgetSaved } from "../../api/saved";
import { useAccountActions } from "../../api/queries";
import { ErrorText } from "../../components/Feedback";
import { browserLanguage, type Lang } from "../../i18n";
import { AuthShell } from "./AuthShell";
import { nextPath } from "./next";

export const MIN_PASSWORD = 10;

export function SignupPage() {
  const { t, i18n } = useTranslation();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { register } = useAccountActions();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    // Only a language the person picked on this page is their choice (it then wins over the
    // household's default); the browser's own stays unset so households can decide.
    const chosen = i18n.language === browserLanguage() ? {} : { language: i18n.language as Lang };
    register.mutate(
      { email, password, display_name: name, ...chosen },
      {
        onSuccess: () => {
          client.clear();
          forgetSaved();
          void navigate(nextPath(search), { replace: true });
        },
      },
    );
  }

  return (
    <AuthShell title={t("auth.signup")}>
      <form onSubmit={submit} className="form">
        <label>
          {t("auth.displayName")}
          <input
            name="display_name"
            autoComplete="nickname"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          {t("auth.email")}
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          {t("auth.password")}
          <input
            type="password"
            name="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <small>{t("auth.passwordHint", { count: MIN_PASSWORD })}</small>
        </label>
        <ErrorText error={register.error} />
        <button type="submit" className="primary" disabled={register.isPending}>
          {t("auth.signup")}
        </button>
      </form>
      <p>
        {t("auth.haveAccount")} <a href={`/login?${search.toString()}`}>{t("auth.login")}</a>
      </p>
    </AuthShell>
  );
}
