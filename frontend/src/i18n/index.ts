import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en, { type Catalog } from "./en";
import ja from "./ja";

export const LANGUAGES = ["ja", "en"] as const;
export type Lang = (typeof LANGUAGES)[number];

declare module "i18next" {
  interface CustomTypeOptions {
    resources: { translation: Catalog };
  }
}

/** The browser's preference when neither the household nor the account names a language. */
export function browserLanguage(languages: readonly string[] = navigator.languages ?? []): Lang {
  for (const tag of languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "ja" || base === "en") return base;
  }
  return "ja";
}

/** The account's own choice, else the household's default, else the browser. */
export function pickLanguage(
  account: string | null | undefined,
  household: string | null | undefined,
  browser: Lang,
): Lang {
  for (const candidate of [account, household]) {
    if (candidate === "ja" || candidate === "en") return candidate;
  }
  return browser;
}

export const MISSING_KEY_PREFIX = "i18n: missing key";

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: browserLanguage(),
  fallbackLng: "en",
  supportedLngs: LANGUAGES,
  interpolation: { escapeValue: false },
  returnNull: false,
  saveMissing: true,
  missingKeyHandler: (_lngs, _ns, key) => {
    console.error(`${MISSING_KEY_PREFIX} ${key}`);
  },
});

i18n.on("languageChanged", (lng) => {
  document.documentElement.lang = lng;
});
document.documentElement.lang = i18n.language;

export default i18n;
