import { useEffect, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, NavLink, useMatch } from "react-router";
import { useHouseholds, useMe } from "../api/queries";
import { browserLanguage, pickLanguage } from "../i18n";
import { ToastProvider } from "./Feedback";
import { Icon } from "./Icon";
import { useConnection } from "./useOnline";

/** The household the URL names, if the user belongs to it. */
export function useCurrentHousehold() {
  const match = useMatch("/h/:householdId/*");
  const households = useHouseholds();
  const id = Number(match?.params.householdId);
  return households.data?.find((h) => h.id === id) ?? null;
}

export function ConnectionBanner() {
  const { t } = useTranslation();
  const { online, serverReachable } = useConnection();
  if (online && serverReachable) return null;
  return (
    <div className="banner" role="alert">
      {online ? t("connection.serverDown") : t("connection.offline")}
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const household = useCurrentHousehold();
  const language = pickLanguage(household?.language, me.data?.language, browserLanguage());
  useEffect(() => {
    if (i18n.language !== language) void i18n.changeLanguage(language);
  }, [i18n, language]);

  const base = household ? `/h/${household.id}` : null;
  const tabs = [
    ["today", t("nav.today")],
    ["chores", t("nav.chores")],
    ["calendar", t("nav.calendar")],
    ["history", t("nav.history")],
    ["stats", t("nav.stats")],
  ] as const;
  return (
    <ToastProvider>
      <div className="app">
        <header className="topbar">
          <Link to="/households" className="switcher" title={t("nav.switchHousehold")}>
            <Icon name="home" /> {household?.name ?? t("nav.households")}
          </Link>
          <nav className="topnav" aria-label={t("nav.account")}>
            {base && (
              <NavLink to={`${base}/settings`} aria-label={t("nav.settings")}>
                <Icon name="gear" />
                <span className="wide-only"> {t("nav.settings")}</span>
              </NavLink>
            )}
            <NavLink to="/account" aria-label={t("nav.account")}>
              <Icon name="person" />
              <span className="wide-only"> {me.data?.display_name}</span>
            </NavLink>
          </nav>
        </header>
        <main className="content">{children}</main>
        {base && (
          <nav className="tabbar" aria-label={t("nav.main")}>
            {tabs.map(([path, label]) => (
              <NavLink key={path} to={`${base}/${path}`} className="tab">
                {label}
              </NavLink>
            ))}
          </nav>
        )}
      </div>
    </ToastProvider>
  );
}
