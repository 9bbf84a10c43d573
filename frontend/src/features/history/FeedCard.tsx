import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useHouseholdActions } from "../../api/queries";
import { ErrorText, useToast } from "../../components/Feedback";
import { useHousehold } from "../household/HouseholdRoute";

// The API shows a feed's secret link only when it is created: this device keeps it to show it
// again (per household and person).
const storageKey = (householdId: number, userId: number) => `calendar-feed:${householdId}:${userId}`;

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, url: string | null): void {
  try {
    if (url) localStorage.setItem(key, url);
    else localStorage.removeItem(key);
  } catch {
    // Without storage the link is shown until the page is left.
  }
}

/** The private iCal link: create (replacing the old one), show, copy, turn off. */
export function FeedCard() {
  const { t } = useTranslation();
  const { household, me } = useHousehold();
  const { feed, revokeFeed } = useHouseholdActions(household.id);
  const toast = useToast();
  const key = storageKey(household.id, me.id);
  const [url, setUrl] = useState(() => stored(key));
  const [anyone, setAnyone] = useState(false);

  const create = () =>
    feed.mutate(anyone, {
      onSuccess: (created) => {
        const full = `${window.location.origin}${created.url}`;
        store(key, full);
        setUrl(full);
      },
    });
  const revoke = () =>
    revokeFeed.mutate(undefined, {
      onSuccess: () => {
        store(key, null);
        setUrl(null);
        toast.show(t("calendar.feedRevoked"));
      },
    });
  const copy = () =>
    void navigator.clipboard.writeText(url ?? "").then(
      () => toast.show(t("calendar.feedCopied")),
      () => undefined,
    );

  return (
    <div className="card form" id="calendar-feed">
      <h2>{t("calendar.feedTitle")}</h2>
      <p>{t("calendar.feedHint")}</p>
      {url && (
        <>
          <input className="copy" name="feed_url" readOnly value={url} aria-label={t("calendar.feedUrl")} onFocus={(e) => e.target.select()} />
          <small>{t("calendar.feedSaved")}</small>
          <div className="buttons">
            <button type="button" className="primary" onClick={copy}>
              {t("calendar.feedCopy")}
            </button>
            <a className="button" href={url.replace(/^https?:/, "webcal:")}>
              {t("calendar.subscribe")}
            </a>
          </div>
        </>
      )}
      <label className="check">
        <input type="checkbox" checked={anyone} onChange={(e) => setAnyone(e.target.checked)} />
        {t("calendar.feedAnyone")}
      </label>
      <div className="buttons">
        <button type="button" onClick={create} disabled={feed.isPending}>
          {url ? t("calendar.feedRenew") : t("calendar.feedCreate")}
        </button>
        <button type="button" className="danger" onClick={revoke} disabled={revokeFeed.isPending}>
          {t("calendar.feedRevoke")}
        </button>
      </div>
      <ErrorText error={feed.error ?? revokeFeed.error} />
    </div>
  );
}
