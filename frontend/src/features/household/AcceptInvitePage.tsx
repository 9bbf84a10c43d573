import { useTranslation } from "react-i18next";
import { Link, Navigate, useNavigate, useParams } from "react-router";
import { useAccountActions, useInvitePreview } from "../../api/queries";
import { ErrorText, Spinner } from "../../components/Feedback";
import { formatInstant } from "../../lib/dates";

export default function AcceptInvitePage() {
  const { t, i18n } = useTranslation();
  const { code = "" } = useParams();
  const navigate = useNavigate();
  const preview = useInvitePreview(code);
  const { accept } = useAccountActions();
  if (preview.isPending) return <Spinner />;
  // Reopened by a member (the invite they used, say): straight to the household.
  const home = preview.data?.household_id;
  if (home != null) return <Navigate to={`/h/${home}/today`} replace />;
  return (
    <section className="page">
      <h1>{t("invite.acceptTitle")}</h1>
      <ErrorText error={preview.error} />
      {preview.data && (
        <div className="card">
          <p>
            {t("invite.invitedTo", {
              household: preview.data.household_name,
              role: t(`roles.${preview.data.role}`),
            })}
          </p>
          <p>
            <small>
              {t("invite.expires", {
                when: formatInstant(
                  preview.data.expires_at,
                  Intl.DateTimeFormat().resolvedOptions().timeZone,
                  i18n.language,
                ),
              })}
            </small>
          </p>
          <ErrorText error={accept.error} />
          <button
            type="button"
            className="primary"
            disabled={accept.isPending}
            onClick={() =>
              accept.mutate(code, {
                onSuccess: (household) => void navigate(`/h/${household.id}/today`),
              })
            }
          >
            {t("invite.accept")}
          </button>
        </div>
      )}
      <p>
        <Link to="/households">{t("nav.households")}</Link>
      </p>
    </section>
  );
}
