// Hooks of the reminders, API tokens and password-reset endpoints (the settings' later
// additions), beside queries.ts so that only the screens using them load them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "./client";
import { keys } from "./queries";

export type ReminderSettings = Schemas["ReminderSettingsOut"];
export type ReminderInput = Schemas["ReminderSettingsIn"];
export type ReminderChannel = Schemas["ReminderChannelOut"];
export type TestDelivery = Schemas["TestDeliveryOut"];
export type ApiToken = Schemas["ApiTokenOut"];
export type ApiTokenCreated = Schemas["ApiTokenCreatedOut"];
export type PasswordResetLink = Schemas["PasswordResetOut"];
export type HouseholdChannel = Schemas["HouseholdChannelOut"];
export type HouseholdChannelInput = Schemas["HouseholdChannelIn"];

const hh = (id: number) => ({ params: { path: { household_id: id } } });
const remindersKey = (id: number) => [...keys.household(id), "reminders"] as const;
const tokensKey = (id: number) => [...keys.household(id), "tokens"] as const;
const channelKey = (id: number) => [...keys.household(id), "channel"] as const;

export function useReminders(id: number) {
  return useQuery({
    queryKey: remindersKey(id),
    queryFn: () => call<ReminderSettings>(api.GET("/api/households/{household_id}/reminders", hh(id))),
  });
}

export function useReminderActions(id: number) {
  const client = useQueryClient();
  // The answer of a save is the new state: shown at once, no second read.
  const keep = (data: ReminderSettings) => client.setQueryData(remindersKey(id), data);
  const refresh = () => void client.invalidateQueries({ queryKey: remindersKey(id) });
  return {
    save: useMutation({
      mutationFn: (body: ReminderInput) =>
        call<ReminderSettings>(api.PUT("/api/households/{household_id}/reminders", { ...hh(id), body })),
      onSuccess: keep,
    }),
    test: useMutation({
      mutationFn: () => call<TestDelivery[]>(api.POST("/api/households/{household_id}/reminders/test", hh(id))),
      // A failed push subscription is forgotten by the server: the channel list changes.
      onSuccess: refresh,
    }),
    subscribe: useMutation({
      mutationFn: (body: Schemas["PushSubscriptionIn"]) =>
        call<Schemas["PushSubscriptionOut"]>(
          api.POST("/api/households/{household_id}/reminders/push", { ...hh(id), body }),
        ),
      onSuccess: refresh,
    }),
    unsubscribe: useMutation({
      mutationFn: (subscriptionId: number) =>
        call<unknown>(
          api.DELETE("/api/households/{household_id}/reminders/push/{subscription_id}", {
            params: { path: { household_id: id, subscription_id: subscriptionId } },
          }),
        ),
      onSuccess: refresh,
    }),
  };
}

/** The household's channel (admins only): null when none is set. */
export function useHouseholdChannel(id: number, enabled: boolean) {
  return useQuery({
    queryKey: channelKey(id),
    queryFn: () =>
      call<HouseholdChannel | null>(api.GET("/api/households/{household_id}/channel", hh(id))),
    enabled,
  });
}

export function useHouseholdChannelActions(id: number) {
  const client = useQueryClient();
  const keep = (data: HouseholdChannel | null) => client.setQueryData(channelKey(id), data);
  return {
    save: useMutation({
      mutationFn: (body: HouseholdChannelInput) =>
        call<HouseholdChannel>(api.PUT("/api/households/{household_id}/channel", { ...hh(id), body })),
      onSuccess: keep,
    }),
    remove: useMutation({
      mutationFn: () => call<unknown>(api.DELETE("/api/households/{household_id}/channel", hh(id))),
      onSuccess: () => keep(null),
    }),
    test: useMutation({
      mutationFn: () => call<TestDelivery>(api.POST("/api/households/{household_id}/channel/test", hh(id))),
    }),
  };
}

export function useTokens(id: number) {
  return useQuery({
    queryKey: tokensKey(id),
    queryFn: () => call<ApiToken[]>(api.GET("/api/households/{household_id}/tokens", hh(id))),
  });
}

export function useTokenActions(id: number) {
  const client = useQueryClient();
  const refresh = () => void client.invalidateQueries({ queryKey: tokensKey(id) });
  return {
    create: useMutation({
      mutationFn: (body: Schemas["ApiTokenCreateIn"]) =>
        call<ApiTokenCreated>(api.POST("/api/households/{household_id}/tokens", { ...hh(id), body })),
      onSuccess: refresh,
    }),
    revoke: useMutation({
      mutationFn: (tokenId: number) =>
        call<unknown>(
          api.DELETE("/api/households/{household_id}/tokens/{token_id}", {
            params: { path: { household_id: id, token_id: tokenId } },
          }),
        ),
      onSuccess: refresh,
    }),
  };
}

export function usePasswordResetLink(id: number) {
  return useMutation({
    mutationFn: (userId: number) =>
      call<PasswordResetLink>(
        api.POST("/api/households/{household_id}/members/{user_id}/password-reset", {
          params: { path: { household_id: id, user_id: userId } },
        }),
      ),
  });
}

export function useRedeemPasswordReset() {
  return useMutation({
    mutationFn: (body: { token: string; new_password: string }) =>
      call<unknown>(api.POST("/api/auth/password-reset", { body })),
  });
}

/** Asks for a reset link by mail: the answer is the same whether or not the address has an
 * account. */
export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: (email: string) =>
      call<unknown>(api.POST("/api/auth/password-reset-request", { body: { email } })),
  });
}
