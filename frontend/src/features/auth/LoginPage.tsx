import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useSearchParams } from "react-router";
import { forgetSaved, useAccountActions, useAuthOptions } from "../../api/queries";
import { ErrorText } from "../../components/Feedback";
import { AuthShell, nextPath } from "./AuthShell";

export function LoginPage() {
  const { t } = useTranslation();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { login } = useAccountActions();
  // Not awaited: the form paints at once, the link appears when the server says it mails.
  const options = useAuthOptions();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate(
      { email, password },
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
    <AuthShell title={t("auth.login")}>
      <form onSubmit={submit} className="form">
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
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorText error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          {t("auth.login")}
        </button>
      </form>
      {options.data?.password_reset_by_mail && (
        <p className="forgot">
          <Link to="/forgot-password">{t("forgotPassword.link")}</Link>
        </p>
      )}
      <p>
        {t("auth.noAccount")} <Link to={`/signup?${search.toString()}`}>{t("auth.signup")}</Link>
      </p>
    </AuthShell>
  );
}
