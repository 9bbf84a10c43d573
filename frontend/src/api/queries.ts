// Query and mutation hooks over the generated client: the only place that knows the URLs.
import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  api,
  call,
  type CalendarItem,
  type Chore,
  type ChoreCreate,
  type ChoreUpdate,
  type Completion,
  type DueItem,
  type Household,
  type Invite,
  type InviteCreated,
  type InvitePreview,
  type Language,
  type Member,
  type Role,
  type Schemas,
  type Stats,
  type User,
} from "./client";
import { allPages } from "./paging";
import { saved } from "./saved";

export type DueWindow = "overdue" | "today" | "tomorrow" | "week" | "month";

export const keys = {
  me: ["me"] as const,
  households: ["households"] as const,
  household: (id: number) => ["household", id] as const,
};

// The reads of the first screen, as options: the hooks use them, and main.tsx starts them all
// at once on a page load (otherwise each waits for the screen above it to mount).
export function meQuery() {
  const { save, ...initial } = saved<User>(keys.me);
  return queryOptions({
    queryKey: keys.me,
    queryFn: () => call<User>(api.GET("/api/auth/me")).then(save),
    ...initial,
    retry: false,
    staleTime: 60_000,
  });
}

export function householdsQuery() {
  const { save, ...initial } = saved<Household[]>(keys.households);
  return queryOptions({
    queryKey: keys.households,
    queryFn: () => call<Household[]>(api.GET("/api/households")).then(save),
    ...initial,
    staleTime: 30_000,
  });
}

const hh = (id: number) => ({ params: { path: { household_id: id } } });

export function membersQuery(id: number) {
  return queryOptions({
    queryKey: [...keys.household(id), "members"],
    queryFn: () =>
      call<Member[]>(api.GET("/api/households/{household_id}/members", hh(id))),
    staleTime: 30_000,
  });
}

export function dueQuery(id: number, window: DueWindow, mine: boolean) {
  const queryKey = [...keys.household(id), "due", window, mine];
  const { save, ...initial } = saved<DueItem[]>(queryKey);
  return queryOptions({
    queryKey,
    queryFn: () =>
      call<DueItem[]>(
        api.GET("/api/households/{household_id}/due", {
          params: {
            path: { household_id: id },
            query: { window, ...(mine ? { assignee: "me" } : {}) },
          },
        }),
      ).then(save),
    ...initial,
    // The answer of a page load's prefetch serves the screen mounting right after it.
    staleTime: 5_000,
  });
}

export function useMe() {
  return useQuery(meQuery());
}

export function useHouseholds(enabled = true) {
  return useQuery({ ...householdsQuery(), enabled });
}

export function useMembers(id: number) {
  return useQuery(membersQuery(id));
}

export function useDue(id: number, window: DueWindow, mine: boolean) {
  return useQuery(dueQuery(id, window, mine));
}

export function useChores(id: number, archived: boolean, enabled = true) {
  const queryKey = [...keys.household(id), "chores", archived];
  const { save, ...initial } = saved<Chore[]>(queryKey);
  return useQuery({
    enabled,
    queryKey,
    queryFn: () =>
      call<Chore[]>(
        api.GET("/api/households/{household_id}/chores", {
          params: { path: { household_id: id }, query: { archived } },
        }),
      ).then(save),
    ...initial,
  });
}

export function useChore(id: number, choreId: number | null) {
  return useQuery({
    queryKey: [...keys.household(id), "chore", choreId],
    queryFn: () =>
      call<Chore>(
        api.GET("/api/households/{household_id}/chores/{chore_id}", {
          params: { path: { household_id: id, chore_id: choreId ?? 0 } },
        }),
      ),
    enabled: choreId !== null,
  });
}

export function useCalendar(id: number, from: string, to: string) {
  return useQuery({
    queryKey: [...keys.household(id), "calendar", from, to],
    queryFn: () =>
      call<CalendarItem[]>(
        api.GET("/api/households/{household_id}/calendar", {
          params: { path: { household_id: id }, query: { from, to } },
        }),
      ),
  });
}

// The API answers the history a page at a time (keyset: after the last entry of the page).
const HISTORY_PAGE = 500;

function wholeHistory(id: number, from: string, to: string): Promise<Completion[]> {
  return allPages(
    (last) =>
      call<Completion[]>(
        api.GET("/api/households/{household_id}/completions", {
          params: {
            path: { household_id: id },
            query: {
              from,
              to,
              limit: HISTORY_PAGE,
              ...(last ? { before_at: last.done_at, before_id: last.id } : {}),
            },
          },
        }),
      ),
    HISTORY_PAGE,
  );
}

export function useHistory(id: number, from: string, to: string) {
  return useQuery({
    queryKey: [...keys.household(id), "history", from, to],
    queryFn: () => wholeHistory(id, from, to),
  });
}

export function useStats(id: number, from: string, to: string) {
  return useQuery({
    queryKey: [...keys.household(id), "stats", from, to],
    queryFn: () =>
      call<Stats>(
        api.GET("/api/households/{household_id}/stats", {
          params: { path: { household_id: id }, query: { from, to } },
        }),
      ),
  });
}

export function useInvites(id: number, enabled: boolean) {
  return useQuery({
    queryKey: [...keys.household(id), "invites"],
    queryFn: () =>
      call<Invite[]>(api.GET("/api/households/{household_id}/invites", hh(id))),
    enabled,
  });
}

/** A mutation that refreshes everything of the household (or everything) when it succeeds. */
function useAction<TArgs, TResult>(
  fn: (args: TArgs) => Promise<TResult>,
  scope: readonly unknown[] | null,
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    // Not awaited: the caller's own callbacks run at once, before the list refetches and
    // possibly unmounts the component that started the mutation.
    onSuccess: () => {
      void (scope ? client.invalidateQueries({ queryKey: scope }) : client.invalidateQueries());
    },
  });
}

const chorePath = (id: number, choreId: number) => ({ household_id: id, chore_id: choreId });

/** What a row of Today does: 完了 and skip (fewer hooks for a list's every row). */
export function useChoreTaps(id: number) {
  const scope = keys.household(id);
  const path = (choreId: number) => chorePath(id, choreId);
  return {
    complete: useAction(
      (a: { choreId: number; doneBy?: number; doneAt?: string }) =>
        call<Completion>(
          api.POST("/api/households/{household_id}/chores/{chore_id}/complete", {
            params: { path: path(a.choreId) },
            body: { done_by: a.doneBy ?? null, done_at: a.doneAt ?? null },
          }),
        ),
      scope,
    ),
    skip: useAction(
      (a: { choreId: number; doneAt?: string }) =>
        call<Completion>(
          api.POST("/api/households/{household_id}/chores/{chore_id}/skip", {
            params: { path: path(a.choreId) },
            body: { done_at: a.doneAt ?? null },
          }),
        ),
      scope,
    ),
  };
}

export function useChoreActions(id: number) {
  const scope = keys.household(id);
  const path = (choreId: number) => chorePath(id, choreId);
  return {
    ...useChoreTaps(id),
    undo: useAction(
      (choreId: number) =>
        call<Chore>(
          api.POST("/api/households/{household_id}/chores/{chore_id}/undo", {
            params: { path: path(choreId) },
          }),
        ),
      scope,
    ),
    create: useAction(
      (body: ChoreCreate) =>
        call<Chore>(api.POST("/api/households/{household_id}/chores", { ...hh(id), body })),
      scope,
    ),
    update: useAction(
      (a: { choreId: number; body: ChoreUpdate }) =>
        call<Chore>(
          api.PATCH("/api/households/{household_id}/chores/{chore_id}", {
            params: { path: path(a.choreId) },
            body: a.body,
          }),
        ),
      scope,
    ),
    remove: useAction(
      (choreId: number) =>
        call<unknown>(
          api.DELETE("/api/households/{household_id}/chores/{chore_id}", {
            params: { path: path(choreId) },
          }),
        ),
      scope,
    ),
    importCsv: useAction(
      (file: File) =>
        call<Schemas["ImportResult"]>(
          api.POST("/api/households/{household_id}/chores/import", {
            ...hh(id),
            body: { file: file as unknown as string },
            bodySerializer: (body) => {
              const form = new FormData();
              form.append("file", body.file as unknown as Blob);
              return form;
            },
          }),
        ),
      scope,
    ),
  };
}

export function useCompletionActions(id: number) {
  const scope = keys.household(id);
  return {
    update: useAction(
      (a: { completionId: number; doneBy?: number; doneAt?: string }) =>
        call<Completion>(
          api.PATCH("/api/households/{household_id}/completions/{completion_id}", {
            params: { path: { household_id: id, completion_id: a.completionId } },
            body: { done_by: a.doneBy ?? null, done_at: a.doneAt ?? null },
          }),
        ),
      scope,
    ),
    remove: useAction(
      (completionId: number) =>
        call<unknown>(
          api.DELETE("/api/households/{household_id}/completions/{completion_id}", {
            params: { path: { household_id: id, completion_id: completionId } },
          }),
        ),
      scope,
    ),
  };
}

export function useHouseholdActions(id: number) {
  const scope = keys.household(id);
  const client = useQueryClient();
  return {
    update: useAction(
      (body: { name?: string; time_zone?: string; language?: Language }) =>
        call<Household>(api.PATCH("/api/households/{household_id}", { ...hh(id), body })),
      null,
    ),
    remove: useAction(
      () => call<unknown>(api.DELETE("/api/households/{household_id}", hh(id))),
      null,
    ),
    invite: useAction(
      (body: { role: Role; expires_in_hours?: number }) =>
        call<InviteCreated>(
          api.POST("/api/households/{household_id}/invites", { ...hh(id), body }),
        ),
      scope,
    ),
    revokeInvite: useAction(
      (inviteId: number) =>
        call<unknown>(
          api.DELETE("/api/households/{household_id}/invites/{invite_id}", {
            params: { path: { household_id: id, invite_id: inviteId } },
          }),
        ),
      scope,
    ),
    changeRole: useAction(
      (a: { userId: number; role: Role }) =>
        call<Member>(
          api.PATCH("/api/households/{household_id}/members/{user_id}", {
            params: { path: { household_id: id, user_id: a.userId } },
            body: { role: a.role },
          }),
        ),
      scope,
    ),
    removeMember: useAction(
      (userId: number) =>
        call<unknown>(
          api.DELETE("/api/households/{household_id}/members/{user_id}", {
            params: { path: { household_id: id, user_id: userId } },
          }),
        ),
      null,
    ),
    feed: useMutation({
      mutationFn: (includeUnassigned: boolean) =>
        call<{ url: string }>(
          api.POST("/api/households/{household_id}/calendar-feed", {
            ...hh(id),
            body: { include_unassigned: includeUnassigned },
          }),
        ),
    }),
    revokeFeed: useMutation({
      mutationFn: () => call<unknown>(api.DELETE("/api/households/{household_id}/calendar-feed", hh(id))),
    }),
    client,
  };
}

export function useAccountActions() {
  return {
    register: useAction(
      (body: { email: string; password: string; display_name: string; language?: Language }) =>
        call<User>(api.POST("/api/auth/register", { body })),
      null,
    ),
    login: useAction(
      (body: { email: string; password: string }) =>
        call<User>(api.POST("/api/auth/login", { body })),
      null,
    ),
    logout: useAction(() => call<unknown>(api.POST("/api/auth/logout")), null),
    updateMe: useAction(
      (body: { display_name?: string; language?: Language | null }) =>
        call<User>(api.PATCH("/api/auth/me", { body })),
      null,
    ),
    changePassword: useAction(
      (body: { current_password: string; new_password: string }) =>
        call<unknown>(api.POST("/api/auth/password", { body })),
      null,
    ),
    createHousehold: useAction(
      (body: { name: string; time_zone?: string; language: Language }) =>
        call<Household>(api.POST("/api/households", { body })),
      keys.households,
    ),
    accept: useAction(
      (code: string) =>
        call<Household>(api.POST("/api/invites/{code}/accept", { params: { path: { code } } })),
      // Not everything: the invite's own preview would now answer 410 (used).
      keys.households,
    ),
  };
}

/** What the server offers before login: whether it mails reset links to those who ask. */
export function useAuthOptions() {
  return useQuery({
    queryKey: ["auth-options"],
    queryFn: () => call<Schemas["AuthOptionsOut"]>(api.GET("/api/auth/options")),
    staleTime: Infinity,
    retry: false,
  });
}

/** Which household an invite is from (answered before login too); `household_id` is set when
 * the caller is already a member there. */
export function useInvitePreview(code: string | null) {
  return useQuery({
    queryKey: ["invite", code],
    queryFn: () =>
      call<InvitePreview>(api.GET("/api/invites/{code}", { params: { path: { code: code ?? "" } } })),
    enabled: code !== null,
    retry: false,
  });
}
