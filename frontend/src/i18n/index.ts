import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en, { type Catalog } from "./en";
import ja from "./ja";
import { browserLanguage, LANGUAGES, pickedLanguage } from "./languages";

export { browserLanguage, LANGUAGES, pickLanguage, type Lang } from "./languages";

declare module "i18next" {
  interface CustomTypeOptions {
    resources: { translation: Catalog };
  }
}

export const MISSING_KEY_PREFIX = "i18n: missing key";

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: pickedLanguage() ?? browserLanguage(),
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
