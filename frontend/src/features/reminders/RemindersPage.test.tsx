import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import i18n from "i18next";
import { MemoryRouter } from "react-router";
import type { Household, User } from "../../api/client";
import { keys } from "../../api/queries";
import type { HouseholdChannel, ReminderSettings } from "../../api/reminders";
import { HouseholdProvider } from "../household/HouseholdRoute";
import RemindersPage from "./RemindersPage";

const household = { id: 4, name: "みどり家", time_zone: "Asia/Tokyo", language: "ja", role: "viewer" } as Household;
const me = { id: 9, display_name: "おばあちゃん" } as User;

const quiet: ReminderSettings = {
  scope: "mine",
  before_minutes: null,
  digest_hour: null,
  nag_minutes: null,
  quiet_start: null,
  quiet_end: null,
  push_public_key: null,
  channels: [],
};

function show(settings: ReminderSettings, channel?: HouseholdChannel | null) {
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  client.setQueryData([...keys.household(4), "reminders"], settings);
  const isAdmin = channel !== undefined;
  if (isAdmin) client.setQueryData([...keys.household(4), "channel"], channel);
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <HouseholdProvider value={{ household, me, canWrite: isAdmin, isAdmin }}>
          <RemindersPage />
        </HouseholdProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("RemindersPage", () => {
  beforeEach(async () => {
    await i18n.changeLanguage("ja");
  });

  it("says plainly that a channel failed, why and when", () => {
    show({
      scope: "mine_and_anyone",
      before_minutes: 0,
      digest_hour: null,
      nag_minutes: null,
      quiet_start: null,
      quiet_end: null,
      push_public_key: null,
      channels: [
        {
          kind: "apprise",
          id: null,
          service: "ntfy",
          target: "ntfy://ntfy.example/t...c",
          failure: "Sending to ntfy failed: 401 Unauthorized",
          failed_at: "2025-11-26T22:05:00Z",
        },
      ],
    });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("通知を送れませんでした");
    expect(alert.textContent).toContain("401 Unauthorized");
    // In the household's zone: 07:05 in Tokyo on the 27th.
    expect(alert.textContent).toMatch(/11月27日.*07:05/);
    expect(screen.getByText("保存済み: ntfy://ntfy.example/t...c。変えないときは空のままにします。")).toBeTruthy();
    // Without a VAPID key the push switch is not offered.
    expect(screen.queryByRole("button", { name: "このブラウザで通知を受け取る" })).toBeNull();
  });

  it("shows an admin the household channel, failing like a person's", () => {
    show(quiet, {
      service: "discord",
      target: "discord://1234/a...z",
      digest_hour: 7,
      set_by: { user_id: 9, display_name: "お母さん" },
      failure: "Sending to discord failed: 404 Not Found",
      failed_at: "2025-11-26T22:05:00Z",
    });
    const card = screen.getByRole("region", { name: "世帯のチャンネル" });
    expect(card.textContent).toContain("discord: discord://1234/a...z");
    expect(card.textContent).toContain("お母さんさんが設定・毎日 07:00");
    const alert = within(card).getByRole("alert");
    expect(alert.textContent).toMatch(/通知を送れませんでした.*11月27日.*07:05/);
    expect(alert.textContent).toContain("404 Not Found");
    expect((within(card).getByRole("combobox") as HTMLSelectElement).value).toBe("7");
    expect(within(card).getByRole("button", { name: "テスト送信" })).toBeTruthy();
  });

  it("shows no household channel to others", () => {
    show(quiet);
    expect(screen.queryByRole("region", { name: "世帯のチャンネル" })).toBeNull();
  });
});
