import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useRequestPasswordReset } from "../../api/reminders";
import { ErrorText } from "../../components/Feedback";
import { AuthShell } from "./AuthShell";

/** /forgot-password: a reset link by mail. The server answers alike whether or not the address
 * has an account, so the page says what happens in either case. */
export default function ForgotPasswordPage() {
  const { t } = useTranslation();
  const request = useRequestPasswordReset();
  const [email, setEmail] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    request.mutate(email.trim());
  }

  return (
    <AuthShell title={t("forgotPassword.title")}>
      {request.isSuccess ? (
        <p role="status">{t("forgotPassword.sent", { email: request.variables })}</p>
      ) : (
        <form onSubmit={submit} className="form">
          <p>{t("forgotPassword.intro")}</p>
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
          <ErrorText error={request.error} />
          <button type="submit" className="primary" disabled={request.isPending}>
            {t("forgotPassword.submit")}
          </button>
        </form>
      )}
      <p>
        <a href="/login">{t("forgotPassword.back")}</a>
      </p>
    </AuthShell>
  );
}
