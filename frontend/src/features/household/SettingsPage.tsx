import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import type { InviteCreated, Role } from "../../api/client";
import { useHouseholdActions, useInvites, useMembers } from "../../api/queries";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { LANGUAGES, type Lang } from "../../i18n";
import { formatInstant } from "../../lib/dates";
import { FeedCard } from "../history/FeedCard";
import { useHousehold } from "./HouseholdRoute";
import { ResetLink } from "./ResetLink";
import TokensCard from "./TokensCard";

const ROLES: Role[] = ["admin", "member", "viewer"];

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["Asia/Tokyo", "UTC"];
  }
}

export default function SettingsPage() {
  const { t } = useTranslation();
  const { isAdmin, canWrite } = useHousehold();
  return (
    <section className="page">
      <h1>{t("settings.title")}</h1>
      <HouseholdForm />
      <RemindersLink />
      <Members />
      {canWrite && <FeedCard />}
      <TokensCard />
      {isAdmin && <Invites />}
      {isAdmin && <DangerZone />}
      {!isAdmin && <p className="meta">{t("settings.adminOnly")}</p>}
    </section>
  );
}

function RemindersLink() {
  const { t } = useTranslation();
  const { household } = useHousehold();
  return (
    <Link to={`/h/${household.id}/reminders`} className="card link-card">
      <strong>{t("reminders.link")}</strong>
      <span className="meta">{t("reminders.linkHint")}</span>
    </Link>
  );
}

function HouseholdForm() {
  const { t } = useTranslation();
  const { household, isAdmin } = useHousehold();
  const { update } = useHouseholdActions(household.id);
  const toast = useToast();
  const [name, setName] = useState(household.name);
  const [zone, setZone] = useState(household.time_zone);
  const [language, setLanguage] = useState<Lang>(household.language);

  function save(event: FormEvent) {
    event.preventDefault();
    update.mutate(
      { name, time_zone: zone, language },
      { onSuccess: () => toast.show(t("settings.saved")) },
    );
  }
  return (
    <form className="card form" onSubmit={save}>
      <h2>{t("settings.household")}</h2>
      <fieldset disabled={!isAdmin}>
        <label>
          {t("household.name")}
          <input name="household_name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t("household.timeZone")}
          <select name="time_zone" value={zone} onChange={(e) => setZone(e.target.value)}>
            {[...new Set([zone, ...timeZones()])].map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("household.language")}
          <select name="language" value={language} onChange={(e) => setLanguage(e.target.value as Lang)}>
            {LANGUAGES.map((lng) => (
              <option key={lng} value={lng}>
                {t(`languages.${lng}`)}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <ErrorText error={update.error} />
      {isAdmin && (
        <button type="submit" className="primary" disabled={update.isPending}>
          {t("common.save")}
        </button>
      )}
    </form>
  );
}

function Members() {
  const { t } = useTranslation();
  const { household, me, isAdmin } = useHousehold();
  const members = useMembers(household.id);
  const actions = useHouseholdActions(household.id);
  const navigate = useNavigate();
  return (
    <div className="card">
      <h2>{t("settings.members")}</h2>
      {members.isPending && <Spinner />}
      <ul className="list">
        {members.data?.map((m) => (
          <li key={m.user_id} className="row member">
            <span className="grow">
              <strong>{m.display_name}</strong>
              <span className="meta"> {m.email}</span>
            </span>
            {isAdmin ? (
              <select
                aria-label={t("settings.roleOf", { name: m.display_name })}
                value={m.role}
                onChange={(e) => actions.changeRole.mutate({ userId: m.user_id, role: e.target.value as Role })}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t(`roles.${r}`)}
                  </option>
                ))}
              </select>
            ) : (
              <span className="badge">{t(`roles.${m.role}`)}</span>
            )}
            {(isAdmin || m.user_id === me.id) && (
              <button
                type="button"
                className="danger small"
                onClick={() => {
                  const self = m.user_id === me.id;
                  const question = self ? t("settings.confirmLeave") : t("settings.confirmRemove", { name: m.display_name });
                  if (!window.confirm(question)) return;
                  actions.removeMember.mutate(m.user_id, {
                    onSuccess: () => {
                      if (self) void navigate("/households");
                    },
                  });
                }}
              >
                {m.user_id === me.id ? t("settings.leave") : t("settings.remove")}
              </button>
            )}
            {isAdmin && m.user_id !== me.id && <ResetLink member={m} />}
          </li>
        ))}
      </ul>
      <ErrorText error={members.error ?? actions.changeRole.error ?? actions.removeMember.error} />
    </div>
  );
}

function Invites() {
  const { t, i18n } = useTranslation();
  const { household } = useHousehold();
  const invites = useInvites(household.id, true);
  const actions = useHouseholdActions(household.id);
  const [role, setRole] = useState<Role>("member");
  const [hours, setHours] = useState("72");
  const [created, setCreated] = useState<InviteCreated | null>(null);
  const link = created ? `${window.location.origin}/invite/${created.code}` : "";

  return (
    <div className="card">
      <h2>{t("invite.title")}</h2>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          actions.invite.mutate({ role, expires_in_hours: Number(hours) }, { onSuccess: setCreated });
        }}
      >
        <div className="pair">
          <label>
            {t("invite.role")}
            <select name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("invite.validFor")}
            <select name="expires_in_hours" value={hours} onChange={(e) => setHours(e.target.value)}>
              {["24", "72", "168"].map((h) => (
                <option key={h} value={h}>
                  {t("invite.hours", { count: Number(h) })}
                </option>
              ))}
            </select>
          </label>
        </div>
        <button type="submit" className="primary" disabled={actions.invite.isPending}>
          {t("invite.create")}
        </button>
        <ErrorText error={actions.invite.error} />
      </form>
      {created && (
        <div className="invite-result">
          <p>{t("invite.share")}</p>
          <input className="copy" name="invite_link" readOnly value={link} aria-label={t("invite.link")} onFocus={(e) => e.target.select()} />
          <p>
            {t("invite.code")}: <code className="invite-code">{created.code}</code>
          </p>
        </div>
      )}
      <ul className="list">
        {invites.data?.map((invite) => (
          <li key={invite.id} className="row">
            <span className="grow">
              {t(`roles.${invite.role}`)} ·{" "}
              {invite.used_at
                ? t("invite.used")
                : t("invite.expires", { when: formatInstant(invite.expires_at, household.time_zone, i18n.language) })}
            </span>
            {!invite.used_at && (
              <button type="button" className="small" onClick={() => actions.revokeInvite.mutate(invite.id)}>
                {t("invite.revoke")}
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorText error={invites.error ?? actions.revokeInvite.error} />
    </div>
  );
}

function DangerZone() {
  const { t } = useTranslation();
  const { household } = useHousehold();
  const { remove } = useHouseholdActions(household.id);
  const navigate = useNavigate();
  return (
    <div className="card">
      <button
        type="button"
        className="danger"
        onClick={() => {
          if (window.confirm(t("settings.confirmDelete", { name: household.name }))) {
            remove.mutate(undefined, { onSuccess: () => void navigate("/households") });
          }
        }}
      >
        {t("settings.deleteHousehold")}
      </button>
      <ErrorText error={remove.error} />
    </div>
  );
}
