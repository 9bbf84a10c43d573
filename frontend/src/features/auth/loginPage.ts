// The login page (login.html): the first page on a new device and of every invited person. It is
// written without React and i18next, so what it downloads is what it runs; the app's own code
// loads after signing in (or with the sign-up page).
import { api, call, type InvitePreview, type Schemas } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { forgetSaved } from "../../api/saved";
import en from "../../i18n/en";
import ja from "../../i18n/ja";
import {
  browserLanguage,
  LANGUAGES,
  pickedLanguage,
  pickLanguageSignedOut,
  type Lang,
} from "../../i18n/languages";
import { translator } from "../../i18n/translate";
import { inviteCode, nextPath } from "./next";

const CATALOGS = { ja, en };

type State = {
  lang: Lang;
  invite: InvitePreview | null;
  resetByMail: boolean;
  error: unknown;
  pending: boolean;
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  properties: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

/** Renders the login form into `root`; signed in, it goes to `next` (or home). */
export function mountLogin(root: HTMLElement, search = new URLSearchParams(location.search)): void {
  const next = nextPath(search);
  const state: State = {
    lang: pickedLanguage() ?? browserLanguage(),
    invite: null,
    resetByMail: false,
    error: null,
    pending: false,
  };

  const brand = element("h1", { className: "brand" });
  const title = element("h2");
  const invited = element("p", { className: "invited", hidden: true });
  const email = element("input", {
    type: "email",
    name: "email",
    autocomplete: "username",
    required: true,
  });
  const password = element("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const emailLabel = new Text();
  const passwordLabel = new Text();
  const alert = element("p", { className: "error", hidden: true });
  alert.setAttribute("role", "alert");
  const submit = element("button", { type: "submit", className: "primary" });
  const form = element(
    "form",
    { className: "form" },
    element("label", {}, emailLabel, email),
    element("label", {}, passwordLabel, password),
    alert,
    submit,
  );
  const forgotLink = element("a", { href: "/forgot-password" });
  const forgot = element("p", { className: "forgot", hidden: true }, forgotLink);
  const noAccount = new Text();
  const signupLink = element("a", { href: `/signup?${search.toString()}` });
  const languages = LANGUAGES.map((lang) =>
    element("button", {
      type: "button",
      className: "link",
      onclick: () => {
        pickLanguageSignedOut(lang);
        state.lang = lang;
        paint();
      },
    }),
  );

  function paint(): void {
    const t = translator(CATALOGS[state.lang]);
    document.documentElement.lang = state.lang;
    brand.textContent = t("app.name");
    title.textContent = t("auth.login");
    submit.textContent = t("auth.login");
    emailLabel.data = t("auth.email");
    passwordLabel.data = t("auth.password");
    invited.hidden = state.invite === null;
    if (state.invite) {
      invited.textContent = t("invite.invitedTo", {
        household: state.invite.household_name,
        role: t(`roles.${state.invite.role}`),
      });
    }
    alert.hidden = !state.error;
    alert.textContent = state.error ? errorMessage(t, state.error) : "";
    submit.disabled = state.pending;
    forgot.hidden = !state.resetByMail;
    forgotLink.textContent = t("forgotPassword.link");
    noAccount.data = `${t("auth.noAccount")} `;
    signupLink.textContent = t("auth.signup");
    LANGUAGES.forEach((lang, index) => {
      const button = languages[index] as HTMLButtonElement;
      button.textContent = t(`languages.${lang}`);
      button.setAttribute("aria-pressed", String(lang === state.lang));
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.pending = true;
    state.error = null;
    paint();
    const body = { email: email.value, password: password.value };
    call(api.POST("/api/auth/login", { body }))
      .then(() => {
        // Another person may have used this device: what the app kept for them goes.
        forgetSaved();
        location.replace(next);
      })
      .catch((error: unknown) => {
        state.error = error;
        state.pending = false;
        paint();
      });
  });

  root.replaceChildren(
    element(
      "main",
      { className: "auth" },
      brand,
      element("div", { className: "card" }, title, invited, form, forgot, element("p", {}, noAccount, signupLink)),
      element("p", { className: "langs" }, ...languages),
    ),
  );
  paint();

  // Neither is awaited: the form is usable at once, these lines appear when the server answers.
  call<Schemas["AuthOptionsOut"]>(api.GET("/api/auth/options"))
    .then((options) => {
      state.resetByMail = options.password_reset_by_mail;
      paint();
    })
    .catch(() => undefined);
  const code = inviteCode(next);
  if (code !== null) {
    call<InvitePreview>(api.GET("/api/invites/{code}", { params: { path: { code } } }))
      .then((invite) => {
        state.invite = invite;
        paint();
      })
      .catch(() => undefined);
  }
}
