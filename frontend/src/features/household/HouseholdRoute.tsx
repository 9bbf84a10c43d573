import { createContext, useContext } from "react";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useParams } from "react-router";
import type { Household, User } from "../../api/client";
import { useHouseholds, useMe } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";

export type HouseholdScope = {
  household: Household;
  me: User;
  /** Members and admins change things; viewers only look. */
  canWrite: boolean;
  isAdmin: boolean;
};

const HouseholdContext = createContext<HouseholdScope | null>(null);

export function useHousehold(): HouseholdScope {
  const scope = useContext(HouseholdContext);
  if (!scope) throw new Error("useHousehold outside a household route");
  return scope;
}

export const HouseholdProvider = HouseholdContext.Provider;

export function HouseholdRoute() {
  const { t } = useTranslation();
  const { householdId } = useParams();
  const households = useHouseholds();
  const me = useMe();
  if (households.isPending || me.isPending) return <Spinner />;
  // Saved data (offline) is shown even when refreshing it failed.
  if (!households.data || !me.data) return <ErrorText error={households.error ?? me.error} />;
  const household = households.data.find((h) => h.id === Number(householdId));
  if (!household || !me.data) {
    return (
      <p className="empty">
        {t("household.notFound")} <Link to="/households">{t("nav.households")}</Link>
      </p>
    );
  }
  const scope: HouseholdScope = {
    household,
    me: me.data,
    canWrite: household.role !== "viewer",
    isAdmin: household.role === "admin",
  };
  return (
    <HouseholdProvider value={scope}>
      <Outlet />
    </HouseholdProvider>
  );
}
