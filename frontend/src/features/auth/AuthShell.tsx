import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { useInvitePreview } from "../../api/queries";
import { LANGUAGES, pickLanguageSignedOut } from "../../i18n/languages";
import { inviteCode, nextPath } from "./next";

/** The frame of the signed-out pages, with a language toggle (no household to ask yet). On the
 * way to an invite, it says which household invites, before the person logs in or signs up. */
export function AuthShell({ title, children }: { title: string; children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const [search] = useSearchParams();
  const invite = useInvitePreview(inviteCode(nextPath(search)));
  return (
    <main className="auth">
      <h1 className="brand">{t("app.name")}</h1>
      <div className="card">
        <h2>{title}</h2>
        {invite.data && (
          <p className="invited">
            {t("invite.invitedTo", {
              household: invite.data.household_name,
              role: t(`roles.${invite.data.role}`),
            })}
          </p>
        )}
        {children}
      </div>
      <p className="langs">
        {LANGUAGES.map((lng) => (
          <button
            key={lng}
            type="button"
            className="link"
            aria-pressed={i18n.language === lng}
            onClick={() => {
              pickLanguageSignedOut(lng);
              void i18n.changeLanguage(lng);
            }}
          >
            {t(`languages.${lng}`)}
          </button>
        ))}
      </p>
    </main>
  );
}
