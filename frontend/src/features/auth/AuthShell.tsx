import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { useInvitePreview } from "../../api/queries";
import { LANGUAGES } from "../../i18n";

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
            onClick={() => void i18n.changeLanguage(lng)}
          >
            {t(`languages.${lng}`)}
          </button>
        ))}
      </p>
    </main>
  );
}

/** The invite code of an invite page's path, else null. */
export function inviteCode(path: string): string | null {
  const match = /^\/invite\/([^/?#]+)$/.exec(path);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/** Where to go after signing in: the `next` parameter when it is a path of this site. */
export function nextPath(search: URLSearchParams): string {
  const next = search.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
