import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { errorMessage } from "../../api/errors";
import {
  useHouseholdChannel,
  useHouseholdChannelActions,
  useReminderActions,
  useReminders,
  type HouseholdChannel,
  type ReminderChannel,
  type ReminderSettings,
  type TestDelivery,
} from "../../api/reminders";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { formatInstant } from "../../lib/dates";
import { useHousehold } from "../household/HouseholdRoute";
import { currentSubscription, PermissionDenied, pushSupported, rememberChannel, rememberedChannel, subscribePush } from "./push";
import {
  BEFORE_CHOICES,
  NAG_CHOICES,
  SCOPES,
  formFromSettings,
  problemsByField,
  toPayload,
  withSaved,
  type FieldName,
  type ReminderFormState,
  type Scope,
} from "./reminderForm";

export default function RemindersPage() {
  const { t } = useTranslation();
  const { household, isAdmin } = useHousehold();
  const reminders = useReminders(household.id);
  return (
    <section className="page reminders">
      <div className="title-row">
        <h1>{t("reminders.title")}</h1>
        <Link to={`/h/${household.id}/settings`}>{t("nav.settings")}</Link>
      </div>
      {reminders.isPending && <Spinner />}
      <ErrorText error={reminders.error} />
      {reminders.data && (
        <>
          {/* Fresh from what was saved; a change of the channels alone keeps what is typed. */}
          <ChoicesForm key={formKey(reminders.data)} settings={reminders.data} />
          <Channels settings={reminders.data} />
        </>
      )}
      {isAdmin && <HouseholdChannelCard />}
    </section>
  );
}

const formKey = (settings: ReminderSettings) =>
  JSON.stringify([withoutChannels(settings), settings.channels.find((c) => c.kind === "apprise")?.target]);

const hour = (h: number) => `${String(h).padStart(2, "0")}:00`;

function Field({ label, name, problems, children }: { label: string; name: FieldName; problems: Partial<Record<FieldName, string>>; children: ReactNode }) {
  return (
    <label>
      {label}
      {children}
      {problems[name] && (
        <small className="error field-error" role="alert">
          {problems[name]}
        </small>
      )}
    </label>
  );
}

function ChoicesForm({ settings }: { settings: ReminderSettings }) {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const { save } = useReminderActions(household.id);
  const toast = useToast();
  const [form, setForm] = useState<ReminderFormState>(() => formFromSettings(settings));
  const set = <K extends keyof ReminderFormState>(key: K, value: ReminderFormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const { fields, rest } = problemsByField(t, save.error);
  const apprise = settings.channels.find((c) => c.kind === "apprise");
  const beforeLabel = (m: number) =>
    m === 0
      ? t("reminders.atDue")
      : m % 60 === 0
        ? t("reminders.hoursBefore", { count: m / 60 })
        : t("reminders.minutesBefore", { count: m });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(toPayload(form), { onSuccess: () => toast.show(t("reminders.saved")) });
  }

  return (
    <form className="card form" onSubmit={submit} noValidate>
      <h2>{t("reminders.choices")}</h2>
      <fieldset>
        <legend>{t("reminders.scope")}</legend>
        <div className="radios" role="radiogroup" aria-label={t("reminders.scope")}>
          {SCOPES.map((scope: Scope) => (
            <label key={scope} className="check">
              <input type="radio" name="scope" checked={form.scope === scope} onChange={() => set("scope", scope)} />
              {t(`reminders.scopes.${scope}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label={t("reminders.before")} name="before_minutes" problems={fields}>
        <select name="before_minutes" value={form.beforeMinutes} onChange={(e) => set("beforeMinutes", e.target.value)}>
          <option value="">{t("reminders.beforeOff")}</option>
          {withSaved(BEFORE_CHOICES, settings.before_minutes).map((m) => (
            <option key={m} value={m}>
              {beforeLabel(m)}
            </option>
          ))}
        </select>
        <small>{t("reminders.beforeHint")}</small>
      </Field>
      <Field label={t("reminders.nag")} name="nag_minutes" problems={fields}>
        <select name="nag_minutes" value={form.nagMinutes} onChange={(e) => set("nagMinutes", e.target.value)}>
          <option value="">{t("reminders.nagOff")}</option>
          {withSaved(NAG_CHOICES, settings.nag_minutes).map((m) => (
            <option key={m} value={m}>
              {t("reminders.nagEvery", { count: m })}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t("reminders.digest")} name="digest_hour" problems={fields}>
        <select name="digest_hour" value={form.digestHour} onChange={(e) => set("digestHour", e.target.value)}>
          <option value="">{t("reminders.digestOff")}</option>
          {Array.from({ length: 24 }, (_, h) => (
            <option key={h} value={h}>
              {t("reminders.digestAt", { time: hour(h) })}
            </option>
          ))}
        </select>
      </Field>
      <fieldset>
        <legend>{t("reminders.quiet")}</legend>
        <div className="pair">
          <Field label={t("reminders.quietStart")} name="quiet_start" problems={fields}>
            <input name="quiet_start" type="time" value={form.quietStart} onChange={(e) => set("quietStart", e.target.value)} />
          </Field>
          <Field label={t("reminders.quietEnd")} name="quiet_end" problems={fields}>
            <input name="quiet_end" type="time" value={form.quietEnd} onChange={(e) => set("quietEnd", e.target.value)} />
          </Field>
        </div>
        <small>{t("reminders.quietHint")}</small>
      </fieldset>
      <Field label={t("reminders.apprise")} name="apprise_url" problems={fields}>
        <input
          name="apprise_url"
          className="copy"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          maxLength={2000}
          aria-invalid={fields.apprise_url ? true : undefined}
          placeholder="ntfy://ntfy.sh/my-topic"
          value={form.appriseUrl}
          onChange={(e) => set("appriseUrl", e.target.value)}
        />
        <small>{apprise ? t("reminders.appriseKeep", { target: apprise.target }) : t("reminders.appriseHint")}</small>
      </Field>
      {rest && (
        <p className="error" role="alert">
          {rest}
        </p>
      )}
      <button type="submit" className="primary" disabled={save.isPending}>
        {t("common.save")}
      </button>
    </form>
  );
}

/** A channel's last outcome: working, or why and when it failed. */
function ChannelState({ channel }: { channel: { failure: string | null; failed_at: string | null } }) {
  const { t, i18n } = useTranslation();
  const { household } = useHousehold();
  if (!channel.failure) return <div className="meta">{t("reminders.working")}</div>;
  return (
    <div className="error" role="alert">
      <strong>
        {channel.failed_at
          ? t("reminders.failedAt", { when: formatInstant(channel.failed_at, household.time_zone, i18n.language) })
          : t("reminders.failed")}
      </strong>
      <div className="reason">{channel.failure}</div>
    </div>
  );
}

function Channels({ settings }: { settings: ReminderSettings }) {
  const { t } = useTranslation();
  const { household, me } = useHousehold();
  const actions = useReminderActions(household.id);
  const toast = useToast();
  const [results, setResults] = useState<TestDelivery[] | null>(null);
  const own = rememberedChannel(me.id);
  const name = (channel: ReminderChannel) =>
    channel.kind === "push"
      ? t("reminders.pushOf", { where: channel.id === own ? t("reminders.thisBrowser") : channel.target })
      : `${channel.service}: ${channel.target}`;

  function remove(channel: ReminderChannel) {
    const label = name(channel);
    if (!window.confirm(t("reminders.confirmRemove", { name: label }))) return;
    const done = { onSuccess: () => toast.show(t("reminders.removed", { name: label })) };
    if (channel.kind === "push" && channel.id !== null) {
      actions.unsubscribe.mutate(channel.id, done);
      if (channel.id === own) {
        rememberChannel(me.id, null);
        void currentSubscription().then((subscription) => subscription?.unsubscribe());
      }
    } else {
      // Saving the same choices without the URL removes it.
      actions.save.mutate({ ...withoutChannels(settings), apprise_url: null }, done);
    }
  }

  return (
    <div className="card form">
      <h2>{t("reminders.channels")}</h2>
      {settings.push_public_key && pushSupported() && <PushSwitch settings={settings} />}
      {settings.channels.length === 0 ? (
        <p className="meta">{t("reminders.noChannels")}</p>
      ) : (
        <ul className="list">
          {settings.channels.map((channel) => {
            const label = name(channel);
            return (
              <li key={`${channel.kind}-${channel.id ?? 0}`} className="row channel">
                <div className="grow">
                  <strong>{label}</strong>
                  <ChannelState channel={channel} />
                </div>
                <button type="button" className="small" aria-label={t("reminders.removeNamed", { name: label })} onClick={() => remove(channel)}>
                  {t("reminders.remove")}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="buttons">
        <button
          type="button"
          disabled={actions.test.isPending}
          onClick={() => actions.test.mutate(undefined, { onSuccess: setResults })}
        >
          {t("reminders.test")}
        </button>
      </div>
      {results && <TestResults results={results} />}
      <ErrorText error={actions.test.error ?? actions.unsubscribe.error ?? actions.save.error} />
    </div>
  );
}

/** The household's channel (admins): one Apprise URL that gets the daily summary of every
 * chore due, such as the family's group chat. */
function HouseholdChannelCard() {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const channel = useHouseholdChannel(household.id, true);
  return (
    <section className="card form household-channel" aria-labelledby="household-channel">
      <h2 id="household-channel">{t("householdChannel.title")}</h2>
      <p className="meta">{t("householdChannel.hint")}</p>
      {channel.isPending && <Spinner />}
      <ErrorText error={channel.error} />
      {/* Fresh from what was saved: after a save the typed URL is cleared (it is not sent back). */}
      {channel.data !== undefined && <HouseholdChannelForm key={JSON.stringify(channel.data)} channel={channel.data} />}
    </section>
  );
}

// Until an admin picks one: a morning summary.
const DEFAULT_DIGEST_HOUR = 7;

function HouseholdChannelForm({ channel }: { channel: HouseholdChannel | null }) {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const actions = useHouseholdChannelActions(household.id);
  const toast = useToast();
  const [url, setUrl] = useState("");
  const [digestHour, setDigestHour] = useState(channel?.digest_hour ?? DEFAULT_DIGEST_HOUR);
  const [result, setResult] = useState<TestDelivery | null>(null);
  const { fields, rest } = problemsByField(t, actions.save.error);
  const label = channel ? `${channel.service}: ${channel.target}` : "";

  function submit(event: FormEvent) {
    event.preventDefault();
    actions.save.mutate(
      { apprise_url: url.trim(), digest_hour: digestHour },
      { onSuccess: () => toast.show(t("householdChannel.saved")) },
    );
  }

  function remove() {
    if (!window.confirm(t("reminders.confirmRemove", { name: label }))) return;
    actions.remove.mutate(undefined, { onSuccess: () => toast.show(t("reminders.removed", { name: label })) });
  }

  return (
    <form onSubmit={submit} noValidate className="form">
      {channel && (
        <div className="row channel">
          <div className="grow">
            <strong>{label}</strong>
            <div className="meta">
              {t("householdChannel.setBy", { name: channel.set_by.display_name, time: hour(channel.digest_hour) })}
            </div>
            <ChannelState channel={channel} />
          </div>
          <button type="button" className="small" aria-label={t("reminders.removeNamed", { name: label })} onClick={remove}>
            {t("reminders.remove")}
          </button>
        </div>
      )}
      <Field label={t("reminders.apprise")} name="apprise_url" problems={fields}>
        <input
          name="household_apprise_url"
          className="copy"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          maxLength={2000}
          aria-invalid={fields.apprise_url ? true : undefined}
          placeholder="discord://webhook-id/token"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <small>{channel ? t("householdChannel.urlAgain") : t("reminders.appriseHint")}</small>
      </Field>
      <Field label={t("householdChannel.hour")} name="digest_hour" problems={fields}>
        <select name="household_digest_hour" value={digestHour} onChange={(e) => setDigestHour(Number(e.target.value))}>
          {Array.from({ length: 24 }, (_, h) => (
            <option key={h} value={h}>
              {t("reminders.digestAt", { time: hour(h) })}
            </option>
          ))}
        </select>
      </Field>
      {rest && (
        <p className="error" role="alert">
          {rest}
        </p>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={actions.save.isPending}>
          {t("common.save")}
        </button>
        {channel && (
          <button
            type="button"
            disabled={actions.test.isPending}
            onClick={() => actions.test.mutate(undefined, { onSuccess: setResult })}
          >
            {t("reminders.test")}
          </button>
        )}
      </div>
      {result && <TestResults results={[result]} />}
      <ErrorText error={actions.test.error ?? actions.remove.error} />
    </form>
  );
}

function withoutChannels(settings: ReminderSettings) {
  const { scope, before_minutes, digest_hour, nag_minutes, quiet_start, quiet_end } = settings;
  return { scope, before_minutes, digest_hour, nag_minutes, quiet_start, quiet_end };
}

function TestResults({ results }: { results: TestDelivery[] }) {
  const { t } = useTranslation();
  if (results.length === 0) return <p className="meta">{t("reminders.testNothing")}</p>;
  return (
    <ul className="test-results" aria-live="polite">
      {results.map((result, index) => (
        <li key={index} className={result.ok ? "ok" : "error"}>
          <span className="target">{result.kind === "push" ? t("reminders.push") : result.target}</span>{" "}
          {result.ok ? `✓ ${t("reminders.testOk")}` : `✗ ${t("reminders.testFailed", { reason: result.error ?? "" })}`}
        </li>
      ))}
    </ul>
  );
}

/** Notifications in this browser: on (permission, subscription, handed to the API) or off. */
function PushSwitch({ settings }: { settings: ReminderSettings }) {
  const { t } = useTranslation();
  const { household, me } = useHousehold();
  const { subscribe, unsubscribe } = useReminderActions(household.id);
  const toast = useToast();
  const [subscribed, setSubscribed] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const own = rememberedChannel(me.id);
  const listed = settings.channels.some((c) => c.kind === "push" && c.id === own);

  useEffect(() => {
    let live = true;
    void currentSubscription().then(
      (subscription) => live && setSubscribed(subscription !== null),
      () => live && setSubscribed(false),
    );
    return () => {
      live = false;
    };
  }, [settings]);

  const on = subscribed === true && listed && Notification.permission === "granted";

  async function turnOn() {
    setProblem(null);
    setBusy(true);
    try {
      const json = await subscribePush(settings.push_public_key as string);
      const channel = await subscribe.mutateAsync({
        endpoint: json.endpoint ?? "",
        expirationTime: json.expirationTime ?? null,
        keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
      });
      rememberChannel(me.id, channel.id);
      setSubscribed(true);
      toast.show(t("reminders.pushTurnedOn"));
    } catch (error) {
      setProblem(
        error instanceof PermissionDenied
          ? t("reminders.pushDenied")
          : error instanceof DOMException
            ? t("reminders.pushFailed", { reason: error.message })
            : errorMessage(t, error),
      );
    } finally {
      setBusy(false);
    }
  }

  async function turnOff() {
    setProblem(null);
    setBusy(true);
    try {
      if (own !== null && listed) await unsubscribe.mutateAsync(own);
      rememberChannel(me.id, null);
      await (await currentSubscription())?.unsubscribe();
      setSubscribed(false);
      toast.show(t("reminders.pushTurnedOff"));
    } catch (error) {
      setProblem(errorMessage(t, error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="push-switch">
      <p>{on ? t("reminders.pushIsOn") : t("reminders.pushIsOff")}</p>
      <button type="button" className={on ? "" : "primary"} disabled={busy || subscribed === null} onClick={() => void (on ? turnOff() : turnOn())}>
        {on ? t("reminders.pushOff") : t("reminders.pushOn")}
      </button>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
