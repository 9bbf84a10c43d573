import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { LANGUAGES } from "../../i18n";

/** The frame of the signed-out pages, with a language toggle (no household to ask yet). */
export function AuthShell({ title, children }: { title: string; children: ReactNode }) {
  const { t, i18n } = useTranslation();
  return (
    <main className="auth">
      <h1 className="brand">{t("app.name")}</h1>
      <div className="card">
        <h2>{title}</h2>
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

/** Where to go after signing in: the `next` parameter when it is a path of this site. */
export function nextPath(search: URLSearchParams): string {
  const next = search.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
