// The UI's languages and how a page picks one before anyone is signed in: plain code, shared by
// the app and the login page (which loads no React and no i18next).
export const LANGUAGES = ["ja", "en"] as const;
export type Lang = (typeof LANGUAGES)[number];

// A language picked on a signed-out page (login, sign-up) holds for this tab's other signed-out
// pages, which are separate documents, and becomes the new account's choice.
const PICKED = "signed-out-language";

/** The browser's preference when neither the household nor the account names a language. */
export function browserLanguage(languages: readonly string[] = navigator.languages ?? []): Lang {
  for (const tag of languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "ja" || base === "en") return base;
  }
  return "ja";
}

/** The language picked on a signed-out page of this tab, if any. */
export function pickedLanguage(): Lang | null {
  try {
    const picked = sessionStorage.getItem(PICKED);
    return picked === "ja" || picked === "en" ? picked : null;
  } catch {
    return null;
  }
}

export function pickLanguageSignedOut(language: Lang): void {
  try {
    sessionStorage.setItem(PICKED, language);
  } catch {
    // Without storage the pick holds for this page only.
  }
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
