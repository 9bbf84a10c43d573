import i18n from "i18next";
import { ApiError } from "./client";
import { errorMessage } from "./errors";

const en = i18n.getFixedT("en");
const ja = i18n.getFixedT("ja");

describe("errorMessage", () => {
  it("translates the backend's stable codes", () => {
    const error = new ApiError(409, { detail: "This invite has already been used", code: "invite_used" });
    expect(errorMessage(en, error)).toBe("This invite has already been used.");
    expect(errorMessage(ja, error)).toBe("この招待は既に使われています。");
  });

  it("lists the fields of a validation error", () => {
    const error = new ApiError(422, {
      detail: "Invalid input: name: too short",
      code: "validation_error",
      errors: [{ loc: ["name"], msg: "String should have at least 1 character", type: "string_too_short" }],
    });
    expect(errorMessage(ja, error)).toBe(
      "入力内容を確認してください。 name: String should have at least 1 character",
    );
  });

  it("reads FastAPI's plain 422 list too", () => {
    const error = new ApiError(422, { detail: [{ loc: ["body", "email"], msg: "bad" }] });
    expect(error.code).toBe("validation_error");
    expect(errorMessage(en, error)).toBe("Please check the input. email: bad");
  });

  it("falls back to the detail for an unknown code", () => {
    const error = new ApiError(418, { detail: "I'm a teapot", code: "teapot" });
    expect(errorMessage(en, error)).toBe("Something went wrong: I'm a teapot");
  });

  it("calls a gateway error unreachable", () => {
    expect(new ApiError(502, "<html>Bad Gateway</html>").code).toBe("unreachable");
    expect(errorMessage(ja, new ApiError(504, null))).toBe("サーバーに接続できません。");
  });

  it("keeps the rows of an invalid import", () => {
    const error = new ApiError(422, {
      detail: "2 rows are invalid",
      code: "import_invalid",
      rows: [{ row: 3, errors: ["frequency must be a whole number of days"] }],
    });
    expect(error.rows).toEqual([{ row: 3, errors: ["frequency must be a whole number of days"] }]);
    expect(errorMessage(en, error)).toBe("The file has errors; nothing was imported.");
  });
});
