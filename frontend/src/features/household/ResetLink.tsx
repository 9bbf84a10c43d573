import { useTranslation } from "react-i18next";
import type { Member } from "../../api/client";
import { usePasswordResetLink } from "../../api/reminders";
import { ErrorText, useToast } from "../../components/Feedback";
import { formatInstant } from "../../lib/dates";
import { useHousehold } from "./HouseholdRoute";

/** An admin's single-use password reset link for a member (no mail server needed): made on a
 * tap, shown whole with its expiry, to be handed over in person or by a message app. */
export function ResetLink({ member }: { member: Member }) {
  const { t, i18n } = useTranslation();
  const { household } = useHousehold();
  const make = usePasswordResetLink(household.id);
  const toast = useToast();
  const name = member.display_name;
  const url = make.data ? `${window.location.origin}${make.data.url}` : "";
  const copy = () =>
    void navigator.clipboard.writeText(url).then(
      () => toast.show(t("passwordReset.copied")),
      () => undefined,
    );
  return (
    <>
      <button
        type="button"
        className="small"
        aria-label={t("passwordReset.makeFor", { name })}
        disabled={make.isPending}
        onClick={() => make.mutate(member.user_id)}
      >
        {t("passwordReset.make")}
      </button>
      {make.data && (
        <div className="reset-link form">
          <p>
            {t("passwordReset.share", {
              name,
              when: formatInstant(make.data.expires_at, household.time_zone, i18n.language),
            })}
          </p>
          <input className="copy" readOnly value={url} aria-label={t("passwordReset.linkFor", { name })} onFocus={(e) => e.target.select()} />
          <div className="buttons">
            <button type="button" className="primary" onClick={copy}>
              {t("passwordReset.copy")}
            </button>
          </div>
        </div>
      )}
      {make.error ? (
        <div className="reset-link">
          <ErrorText error={make.error} />
        </div>
      ) : null}
    </>
  );
}
