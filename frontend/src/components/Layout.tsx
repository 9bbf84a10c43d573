import { useEffect, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, matchPath, NavLink, useMatch } from "react-router";
import type { Household, User } from "../api/client";
import { useHouseholds, useMe } from "../api/queries";
import { browserLanguage, pickLanguage, type Lang } from "../i18n";
import { errorMessage } from "../api/errors";
import { onRejected, usePending } from "../offline/sync";
import { ToastProvider, useToast } from "./Feedback";
import { Icon } from "./Icon";
import { useConnection } from "./useOnline";

/** The household the URL names, if the user belongs to it. */
export function useCurrentHousehold() {
  const match = useMatch("/h/:householdId/*");
  const households = useHouseholds();
  const id = Number(match?.params.householdId);
  return households.data?.find((h) => h.id === id) ?? null;
}

const LAST_HOUSEHOLD = "last-household";

function lastHouseholdId(): number {
  try {
    return Number(localStorage.getItem(LAST_HOUSEHOLD));
  } catch {
    return 0;
  }
}

function rememberHousehold(id: number): void {
  try {
    localStorage.setItem(LAST_HOUSEHOLD, String(id));
  } catch {
    // Private modes may refuse storage; the first household is used instead.
  }
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

/** Tells about offline taps the server refused once they were sent (the chore was deleted...). */
function SyncNotices() {
  const { t } = useTranslation();
  const toast = useToast();
  useEffect(
    () =>
      onRejected((rejected) => {
        for (const { action, error } of rejected) {
          toast.show(t("today.rejected", { name: action.choreName, reason: errorMessage(t, error) }));
        }
      }),
    [t, toast],
  );
  return null;
}

/** The household a page is about: the one its URL names, else (outside a household: /account,
 * /households) the last one visited, else the first. It gives the tabs and the language, so that
 * neither changes between pages. */
function aroundHousehold(households: Household[] | undefined, current: Household | null) {
  const last = lastHouseholdId();
  return current ?? households?.find((h) => h.id === last) ?? households?.[0];
}

/** The UI's language for a page of `path`: the person's choice, else the household's. */
export function uiLanguage(me: User | undefined, households: Household[] | undefined, path: string): Lang {
  const id = Number(matchPath("/h/:householdId/*", path)?.params.householdId);
  const current = households?.find((h) => h.id === id) ?? null;
  return pickLanguage(me?.language, aroundHousehold(households, current)?.language, browserLanguage());
}

export function Layout({ children }: { children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const household = useCurrentHousehold();
  const households = useHouseholds();
  const around = aroundHousehold(households.data, household);
  const language = pickLanguage(me.data?.language, around?.language, browserLanguage());
  useEffect(() => {
    if (household) rememberHousehold(household.id);
  }, [household]);
  useEffect(() => {
    if (i18n.language !== language) void i18n.changeLanguage(language);
  }, [i18n, language]);

  const queued = usePending().length;
  const base = around ? `/h/${around.id}` : null;
  const tabs = [
    ["today", t("nav.today")],
    ["chores", t("nav.chores")],
    ["calendar", t("nav.calendar")],
    ["history", t("nav.history")],
    ["stats", t("nav.stats")],
  ] as const;
  return (
    <ToastProvider>
      <SyncNotices />
      <div className={base ? "app with-nav" : "app"}>
        <header className="topbar">
          <Link to="/households" className="switcher" title={t("nav.switchHousehold")}>
            <Icon name="home" /> {household?.name ?? t("nav.households")}
          </Link>
          {queued > 0 && (
            <span className="pending" role="status" title={t("today.pendingTitle")}>
              {t("today.pending", { count: queued })}
            </span>
          )}
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
