import { lazy, Suspense, useDeferredValue, useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, Outlet, Route, Routes, useLocation } from "react-router";
import { ApiError } from "./api/client";
import { useHouseholds, useMe } from "./api/queries";
import { Spinner } from "./components/Feedback";
import { ConnectionBanner, Layout } from "./components/Layout";
import { ScreenBoundary } from "./components/ScreenBoundary";
import { SignupPage } from "./features/auth/SignupPage";
import { HouseholdRoute } from "./features/household/HouseholdRoute";
import { HouseholdsPage } from "./features/household/HouseholdsPage";
import { TodayPage } from "./features/today/TodayPage";

// Secondary screens are loaded on demand to keep the first download small.
const screens = {
  account: () => import("./features/auth/AccountPage"),
  acceptInvite: () => import("./features/household/AcceptInvitePage"),
  settings: () => import("./features/household/SettingsPage"),
  chores: () => import("./features/chores/ChoresPage"),
  choreEdit: () => import("./features/chores/ChoreEditPage"),
  calendar: () => import("./features/history/CalendarPage"),
  history: () => import("./features/history/HistoryPage"),
  stats: () => import("./features/stats/StatsPage"),
  reminders: () => import("./features/reminders/RemindersPage"),
  resetPassword: () => import("./features/auth/ResetPasswordPage"),
  forgotPassword: () => import("./features/auth/ForgotPasswordPage"),
};
const AccountPage = lazy(screens.account);
const AcceptInvitePage = lazy(screens.acceptInvite);
const SettingsPage = lazy(screens.settings);
const ChoresPage = lazy(screens.chores);
const ChoreEditPage = lazy(screens.choreEdit);
const CalendarPage = lazy(screens.calendar);
const HistoryPage = lazy(screens.history);
const StatsPage = lazy(screens.stats);
const RemindersPage = lazy(screens.reminders);
const ResetPasswordPage = lazy(screens.resetPassword);
const ForgotPasswordPage = lazy(screens.forgotPassword);

/** Signed-in area: without a session, go to the login page and come back afterwards. */
function RequireUser() {
  const me = useMe();
  // The signed-in frame renders in the background, a slice at a time between other work (a
  // transition): on a page load it comes with all its data at once, and rendered in one go it
  // would hold the page for a long task.
  const user = useDeferredValue(me.data, null);
  const location = useLocation();
  if (me.isPending || (me.data && !user)) return <Spinner />;
  if (me.error instanceof ApiError && me.error.status === 401) {
    return <ToLogin next={location.pathname + location.search} />;
  }
  return (
    <Layout>
      {/* Keyed by path: moving to another screen clears a failure. */}
      <ScreenBoundary key={location.pathname}>
        <Suspense fallback={<Spinner />}>
          <Outlet />
        </Suspense>
      </ScreenBoundary>
    </Layout>
  );
}

/** The login page is a document of its own (login.html, without React): a page load, not a
 * route of this app. */
function ToLogin({ next }: { next: string }) {
  useEffect(() => location.replace(`/login?next=${encodeURIComponent(next)}`), [next]);
  return <Spinner />;
}

/** "/": the first household's today screen, or the household list when there is none. */
function Home() {
  const households = useHouseholds();
  if (households.isPending) return <Spinner />;
  const first = households.data?.[0];
  return <Navigate to={first ? `/h/${first.id}/today` : "/households"} replace />;
}

function NotFound() {
  const { t } = useTranslation();
  return <p className="empty">{t("common.notFound")}</p>;
}

export default function App() {
  return (
    <>
      <ConnectionBanner />
      <Routes>
      <Route path="/signup" element={<SignupPage />} />
      <Route
        path="/reset-password"
        element={
          <Suspense fallback={<Spinner />}>
            <ResetPasswordPage />
          </Suspense>
        }
      />
      <Route
        path="/forgot-password"
        element={
          <Suspense fallback={<Spinner />}>
            <ForgotPasswordPage />
          </Suspense>
        }
      />
      <Route element={<RequireUser />}>
        <Route index element={<Home />} />
        <Route path="households" element={<HouseholdsPage />} />
        <Route path="account" element={<AccountPage />} />
        <Route path="invite/:code" element={<AcceptInvitePage />} />
        <Route path="h/:householdId" element={<HouseholdRoute />}>
          <Route index element={<Navigate to="today" replace />} />
          <Route path="today" element={<TodayPage />} />
          <Route path="chores" element={<ChoresPage />} />
          <Route path="chores/new" element={<ChoreEditPage />} />
          <Route path="chores/:choreId" element={<ChoreEditPage />} />
          <Route path="calendar" element={<CalendarPage />} />
          <Route path="history" element={<HistoryPage />} />
          <Route path="stats" element={<StatsPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="reminders" element={<RemindersPage />} />
        </Route>
        <Route path="*" element={<NotFound />} />
      </Route>
      </Routes>
    </>
  );
}
