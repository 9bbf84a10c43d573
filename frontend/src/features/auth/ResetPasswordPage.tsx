import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { ApiError } from "../../api/client";
import { forgetSaved } from "../../api/saved";
import { useRedeemPasswordReset } from "../../api/reminders";
import { ErrorText } from "../../components/Feedback";
import { AuthShell } from "./AuthShell";
import { MIN_PASSWORD } from "./SignupPage";

/** The token of a reset link: after "#", so that it never reaches a server's logs. */
export function resetToken(hash: string): string {
  return decodeURIComponent(hash.replace(/^#/, "")).trim();
}

/** /reset-password#<token>: an admin's link, redeemed with a new password (then logged in). */
export default function ResetPasswordPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const redeem = useRedeemPasswordReset();
  const [token] = useState(() => resetToken(window.location.hash));
  const [password, setPassword] = useState("");
  // The API's "wrong credentials" means, here, a link that no longer works.
  const invalid = redeem.error instanceof ApiError && redeem.error.code === "invalid_credentials";

  function submit(event: FormEvent) {
    event.preventDefault();
    redeem.mutate(
      { token, new_password: password },
      {
        onSuccess: () => {
          // Another account may have been logged in on this device.
          client.clear();
          forgetSaved();
          void navigate("/", { replace: true });
        },
      },
    );
  }

  return (
    <AuthShell title={t("passwordReset.title")}>
      {token.length < 20 ? (
        <p className="error" role="alert">
          {t("passwordReset.missingLink")}
        </p>
      ) : (
        <form onSubmit={submit} className="form">
          <p>{t("passwordReset.intro")}</p>
          <label>
            {t("account.newPassword")}
            <input
              type="password"
              name="new_password"
              autoComplete="new-password"
              required
              minLength={MIN_PASSWORD}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <small>{t("auth.passwordHint", { count: MIN_PASSWORD })}</small>
          </label>
          {invalid ? (
            <p className="error" role="alert">
              {t("passwordReset.invalidLink")}
            </p>
          ) : (
            <ErrorText error={redeem.error} />
          )}
          <button type="submit" className="primary" disabled={redeem.isPending}>
            {t("passwordReset.submit")}
          </button>
        </form>
      )}
    </AuthShell>
  );
}
