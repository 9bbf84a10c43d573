import type { TFunction } from "i18next";
import { ApiError } from "./client";

// Every stable error code the backend sends (app/core/errors.py, app/services/*.py), plus the
// generic ones of the error handlers (validation_error, method_not_allowed, too_large), plus the
// client's own: unreachable (network or gateway) and unknown.
export const ERROR_CODES = [
  "not_authenticated",
  "invalid_credentials",
  "too_many_attempts",
  "email_taken",
  "wrong_password",
  "not_found",
  "forbidden",
  "last_admin",
  "already_member",
  "invite_used",
  "invite_expired",
  "not_a_member",
  "done_in_future",
  "chore_archived",
  "chore_finished",
  "nothing_to_undo",
  "bad_range",
  "import_invalid",
  "import_empty",
  "bad_header",
  "bad_encoding",
  "file_too_large",
  "too_many_rows",
  "csrf_rejected",
  "database_unavailable",
  "conflict",
  "validation_error",
  "method_not_allowed",
  "too_large",
  "unreachable",
] as const;

const KNOWN = new Set<string>(ERROR_CODES);

/** The message to show for a failed request, in the user's language. */
export function errorMessage(t: TFunction, error: unknown): string {
  if (!(error instanceof ApiError)) return t("errors.unknown", { detail: String(error) });
  if (error.code === "validation_error") {
    // Field names and pydantic's messages are shown as sent (English); the lead is translated.
    const fields = error.fields
      .map((item) => {
        const field = (item.loc ?? []).filter((part) => part !== "body").join(".");
        return field ? `${field}: ${item.msg ?? ""}` : (item.msg ?? "");
      })
      .filter(Boolean)
      .join("; ");
    return `${t("errors.validation_error")} ${fields}`.trim();
  }
  if (KNOWN.has(error.code)) return t(`errors.${error.code as (typeof ERROR_CODES)[number]}`);
  return t("errors.unknown", { detail: error.message });
}
