import i18n from "i18next";
import { ApiError } from "../../api/client";
import type { ReminderSettings } from "../../api/reminders";
import { resetToken } from "../auth/ResetPasswordPage";
import { firstPostponeDate } from "../today/Postpone";
import { keyBytes } from "./push";
import { formFromSettings, problemsByField, toPayload, withSaved } from "./reminderForm";

const en = i18n.getFixedT("en");
const ja = i18n.getFixedT("ja");

const saved: ReminderSettings = {
  scope: "mine",
  before_minutes: 45,
  digest_hour: 7,
  nag_minutes: null,
  quiet_start: "22:00:00",
  quiet_end: "07:00:00",
  channels: [],
  push_public_key: null,
};

describe("the reminder form", () => {
  it("round-trips the saved choices, times as HH:MM", () => {
    const form = formFromSettings(saved);
    expect(form).toMatchObject({ beforeMinutes: "45", digestHour: "7", nagMinutes: "", quietStart: "22:00" });
    expect(toPayload(form)).toEqual({
      scope: "mine",
      before_minutes: 45,
      digest_hour: 7,
      nag_minutes: null,
      quiet_start: "22:00",
      quiet_end: "07:00",
    });
  });

  it("keeps the saved URL unless a new one is typed", () => {
    const form = formFromSettings(saved);
    expect(toPayload(form)).not.toHaveProperty("apprise_url");
    expect(toPayload({ ...form, appriseUrl: "  json://127.0.0.1/hook " }).apprise_url).toBe("json://127.0.0.1/hook");
  });

  it("offers a value set elsewhere among its choices, in order", () => {
    expect(withSaved([0, 5, 60], 45)).toEqual([0, 5, 45, 60]);
    expect(withSaved([0, 5, 60], 5)).toEqual([0, 5, 60]);
    expect(withSaved([0, 5], null)).toEqual([0, 5]);
  });
});

describe("problemsByField", () => {
  it("puts each 422 problem beside its field, in the user's language", () => {
    const error = new ApiError(422, {
      code: "validation_error",
      errors: [
        { loc: ["body", "nag_minutes"], msg: "Input should be greater than or equal to 5", type: "greater_than_equal" },
        {
          loc: ["body", "quiet_start"],
          msg: "Value error, must be a time of day in whole minutes, such as 08:00, without a zone",
          type: "value_error",
        },
        { loc: ["body"], msg: "Field required", type: "missing" },
      ],
    });
    expect(problemsByField(ja, error)).toEqual({
      fields: { nag_minutes: "5以上にしてください", quiet_start: "08:00 のような時刻を入力してください" },
      rest: "入力してください",
    });
    expect(problemsByField(en, error).fields.nag_minutes).toBe("must be at least 5");
  });

  it("shows a URL Apprise does not understand at the URL field", () => {
    const error = new ApiError(422, { code: "bad_notify_url", detail: "Not a notification URL that Apprise understands" });
    const { fields, rest } = problemsByField(ja, error);
    expect(fields.apprise_url).toMatch(/^Appriseが扱える通知先URLではありません/);
    expect(rest).toBeNull();
  });

  it("leaves other failures to the form's foot", () => {
    expect(problemsByField(en, new ApiError(0, { code: "unreachable" }))).toEqual({
      fields: {},
      rest: "The server cannot be reached.",
    });
    expect(problemsByField(en, null)).toEqual({ fields: {}, rest: null });
  });
});

describe("push", () => {
  it("decodes the VAPID key from base64url", () => {
    expect([...keyBytes("AQL_-w")]).toEqual([1, 2, 255, 251]);
    expect(keyBytes("BP" + "A".repeat(85)).length).toBe(65);
  });

});

describe("postpone and reset links", () => {
  it("first offers the day after the later of today and the due date", () => {
    expect(firstPostponeDate("2025-03-01", "2025-03-10")).toBe("2025-03-11");
    expect(firstPostponeDate("2025-03-31", "2025-03-10")).toBe("2025-04-01");
  });

  it("reads the token from the link's fragment", () => {
    expect(resetToken("#abc-DEF_123")).toBe("abc-DEF_123");
    expect(resetToken("")).toBe("");
  });
});
