import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useTokenActions, useTokens, type ApiTokenCreated } from "../../api/reminders";
import { ErrorText, Spinner, useToast } from "../../components/Feedback";
import { formatInstant } from "../../lib/dates";
import { useHousehold } from "./HouseholdRoute";

type Scope = ApiTokenCreated["scope"];

/** The person's API tokens in this household: create (the secret shown once), list, revoke. */
export default function TokensCard() {
  const { t, i18n } = useTranslation();
  const { household, canWrite } = useHousehold();
  const tokens = useTokens(household.id);
  const { create, revoke } = useTokenActions(household.id);
  const toast = useToast();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>("read");
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  // A viewer's token can only read: the write choice is not offered.
  const scopes: Scope[] = canWrite ? ["read", "write"] : ["read"];

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), scope },
      {
        onSuccess: (token) => {
          setCreated(token);
          setName("");
        },
      },
    );
  }

  const copy = (secret: string) =>
    void navigator.clipboard.writeText(secret).then(
      () => toast.show(t("tokens.copied")),
      () => undefined,
    );

  return (
    <div className="card" id="api-tokens">
      <h2>{t("tokens.title")}</h2>
      <p className="meta">{t("tokens.hint")}</p>
      <form className="form" onSubmit={submit}>
        <div className="pair">
          <label>
            {t("tokens.name")}
            <input name="token_name" required maxLength={100} placeholder="Home Assistant" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            {t("tokens.scope")}
            <select name="token_scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
              {scopes.map((s) => (
                <option key={s} value={s}>
                  {t(`tokens.scopes.${s}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>
          {t("tokens.create")}
        </button>
        <ErrorText error={create.error} />
      </form>
      {created && (
        <div className="secret form">
          <p>
            <strong>{t("tokens.created")}</strong>
          </p>
          <input className="copy" name="token_secret" readOnly value={created.token} aria-label={t("tokens.secret")} onFocus={(e) => e.target.select()} />
          <div className="buttons">
            <button type="button" className="primary" onClick={() => copy(created.token)}>
              {t("tokens.copy")}
            </button>
          </div>
        </div>
      )}
      {tokens.isPending && <Spinner />}
      {tokens.data?.length === 0 && <p className="meta">{t("tokens.none")}</p>}
      <ul className="list">
        {tokens.data?.map((token) => (
          <li key={token.id} className="row member">
            <span className="grow">
              <strong>{token.name}</strong>
              <span className="meta">
                <span className="badge">{t(`tokens.scopes.${token.scope}`)}</span>
                <span>{t("tokens.createdOn", { when: formatInstant(token.created_at, household.time_zone, i18n.language) })}</span>
              </span>
            </span>
            <button
              type="button"
              className="danger small"
              aria-label={t("tokens.revokeNamed", { name: token.name })}
              disabled={revoke.isPending}
              onClick={() => {
                if (!window.confirm(t("tokens.confirmRevoke", { name: token.name }))) return;
                revoke.mutate(token.id, {
                  onSuccess: () => {
                    if (created?.id === token.id) setCreated(null);
                    toast.show(t("tokens.revoked", { name: token.name }));
                  },
                });
              }}
            >
              {t("tokens.revoke")}
            </button>
          </li>
        ))}
      </ul>
      <ErrorText error={tokens.error ?? revoke.error} />
    </div>
  );
}
