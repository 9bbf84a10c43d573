import i18n from "i18next";
import { ApiError } from "./client";
import { errorMessage, fieldMessages } from "./errors";
import { describeRowProblem } from "./validation";

const en = i18n.getFixedT("en");
const ja = i18n.getFixedT("ja");

describe("errorMessage", () => {
  it("translates the backend's stable codes", () => {
    const error = new ApiError(409, { detail: "This invite has already been used", code: "invite_used" });
    expect(errorMessage(en, error)).toBe("This invite has already been used.");
    expect(errorMessage(ja, error)).toBe("この招待は既に使われています。");
  });

  it("lists the fields of a validation error in the user's language", () => {
    const error = new ApiError(422, {
      detail: "Invalid input: name: too short",
      code: "validation_error",
      errors: [
        { loc: ["name"], msg: "String should have at least 1 character", type: "string_too_short" },
        {
          loc: ["recurrence"],
          msg: "Value error, weekdays must name at least one day for a weekly rule",
          type: "value_error",
        },
        { loc: ["recurrence", "every"], msg: "Input should be greater than or equal to 1", type: "greater_than_equal" },
      ],
    });
    expect(errorMessage(ja, error)).toBe(
      "入力内容を確認してください。 名前：短すぎます（1以上） 繰り返し：曜日を1つ以上選んでください 間隔：1以上にしてください",
    );
    expect(fieldMessages(en, error)).toEqual([
      "Name: too short (at least 1)",
      "Repeats: pick at least one weekday",
      "Every: must be at least 1",
    ]);
  });

  it("never shows pydantic's English, even for an unknown problem or field", () => {
    const error = new ApiError(422, { detail: [{ loc: ["body", "colour"], msg: "Something new", type: "new_type" }] });
    expect(error.code).toBe("validation_error");
    expect(errorMessage(ja, error)).toBe("入力内容を確認してください。 正しくありません");
    expect(errorMessage(en, new ApiError(422, { detail: [{ loc: ["body", "email"], msg: "bad" }] }))).toBe(
      "Please check the input. Email: not valid",
    );
  });

  it("translates the problems of CSV rows, which come as text", () => {
    expect(describeRowProblem(ja, "recurrence.every: Input should be a valid integer, unable to parse string")).toBe(
      "間隔：整数で入力してください",
    );
    expect(describeRowProblem(ja, "name: String should have at most 100 characters")).toBe(
      "名前：長すぎます（100文字以内）",
    );
    expect(describeRowProblem(en, "assignees: x@example.jp is not a member of this household")).toBe(
      "People: not a member of this household",
    );
    expect(describeRowProblem(ja, "row: more values than columns")).toBe("行：列の数より値が多すぎます");
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
