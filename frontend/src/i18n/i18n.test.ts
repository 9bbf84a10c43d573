import i18n from "i18next";
import openapi from "../api/openapi.json";
import en from "./en";
import { browserLanguage, pickLanguage } from "./index";
import ja from "./ja";

function leaves(tree: object, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [k, v] of leaves(value as object, path)) out.set(k, v);
  }
  return out;
}

describe("catalogs", () => {
  const english = leaves(en);
  const japanese = leaves(ja);

  it("have exactly the same keys", () => {
    expect([...japanese.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it("have no empty texts, and Japanese texts are not left in English", () => {
    for (const [key, text] of japanese) {
      expect(text.trim(), key).not.toBe("");
      expect(english.get(key)?.trim(), key).not.toBe("");
    }
    const untranslated = [...japanese].filter(
      ([key, text]) => text === english.get(key) && !key.startsWith("languages."),
    );
    expect(untranslated).toEqual([]);
  });

  it("use the same placeholders in both languages", () => {
    const placeholders = (text: string) => [...text.matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort();
    for (const [key, text] of english) {
      expect(placeholders(japanese.get(key) ?? ""), key).toEqual(placeholders(text));
    }
  });

  it("explain every error code the API sends, in both languages", () => {
    const codes = openapi.components.schemas.ErrorCode.enum;
    expect(codes).toEqual(expect.arrayContaining(["busy", "http_error", "validation_error"]));
    for (const code of [...codes, "unreachable", "unknown"]) {
      expect(english.get(`errors.${code}`), code).toBeTruthy();
      expect(japanese.get(`errors.${code}`), code).toBeTruthy();
    }
  });
});

describe("language choice", () => {
  it("prefers the account's choice, then the household, then the browser", () => {
    expect(pickLanguage("en", "ja", "ja")).toBe("en");
    expect(pickLanguage("ja", "en", "en")).toBe("ja");
    expect(pickLanguage(null, "en", "ja")).toBe("en");
    expect(pickLanguage(undefined, null, "en")).toBe("en");
    expect(pickLanguage(undefined, undefined, "ja")).toBe("ja");
  });

  it("reads the browser's first supported language and defaults to Japanese", () => {
    expect(browserLanguage(["fr-FR", "en-US", "ja"])).toBe("en");
    expect(browserLanguage(["ja-JP"])).toBe("ja");
    expect(browserLanguage(["de"])).toBe("ja");
  });

  it("pluralizes English and keeps Japanese counts plain", async () => {
    const en1 = i18n.getFixedT("en")("today.daysOverdue", { count: 1 });
    const en3 = i18n.getFixedT("en")("today.daysOverdue", { count: 3 });
    const ja3 = i18n.getFixedT("ja")("today.daysOverdue", { count: 3 });
    expect([en1, en3, ja3]).toEqual(["1 day late", "3 days late", "3日遅れ"]);
  });
});
