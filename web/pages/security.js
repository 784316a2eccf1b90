// "Sécurité du compte": the second factor (an authenticator app with its recovery codes, passkeys),
// the login's second step, a login by passkey alone, and the step-up a sensitive action asks for
// (docs/API.md, "Second factor and passkeys").

import { api, authed, keep } from "../core/api.js";
import { actionButton, card, h, notice, orNone, pageTitle } from "../core/dom.js";
import { moment } from "../core/format.js";
import { form } from "../core/forms.js";
import { t } from "../core/i18n.js";
import { render } from "../core/router.js";

const reload = () => render();

// --- WebAuthn: the API speaks JSON (base64url), the browser its own objects --------------------

export const passkeysAvailable = () => Boolean(globalThis.PublicKeyCredential?.parseRequestOptionsFromJSON);

async function createPasskey(options) {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  return (await navigator.credentials.create({ publicKey })).toJSON();
}

export async function usePasskey(options) {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  return (await navigator.credentials.get({ publicKey })).toJSON();
}

// A code field's value: an app's six digits, else a recovery code.
export const proofOf = (code) => (/^\d{6}$/.test(code.replace(/\s/g, ""))
  ? { code: code.replace(/\s/g, "") } : { recovery_code: code });

const codeField = (extra = {}) => ({ name: "code", label: t("mfa_code"), hint: t("mfa_code_hint"), required: true,
  autocomplete: "one-time-code", attributes: { inputmode: "text", spellcheck: "false" }, ...extra });

// --- the login's second step ------------------------------------------------------------------

// What a login asking for a second factor shows: the app's code (or a recovery code), or the passkey.
export function secondFactorStep(challenge, done) {
  const methods = challenge.methods;
  const send = (proof) => api("POST", "/auth/login/second-factor", { mfa_token: challenge.mfa_token, ...proof });
  return card(t("mfa_title"),
    h("p", {}, t("mfa_intro")),
    methods.includes("passkey") && passkeysAvailable()
      ? h("p", {}, actionButton(t("mfa_use_passkey"), async () => {
        const tokens = await send({ passkey: await usePasskey(challenge.passkey_options) });
        keep(tokens);
        done();
      }, { className: "primary" }))
      : null,
    methods.includes("totp")
      ? form({
        fields: [codeField()],
        submit: t("mfa_verify"),
        action: ({ code }) => send(proofOf(code)).then((tokens) => { keep(tokens); return tokens; }),
        done,
      })
      : null);
}

// A login by passkey alone (a discoverable credential), the session in the cookie.
export async function passkeyLogIn(remember) {
  const options = await api("POST", "/auth/login/passkey/options", {});
  const credential = await usePasskey(options);
  const tokens = await api("POST", "/auth/login/passkey", { credential, cookie: true, remember: Boolean(remember) });
  keep(tokens);
  return tokens;
}

// --- step-up ----------------------------------------------------------------------------------

// Run `action`; when the API asks to authenticate again (403 step_up_required), ask the code or the
// passkey in a dialog, then run it again with the fresh access token.
export async function withStepUp(action) {
  try {
    return await action();
  } catch (error) {
    if (error?.code !== "step_up_required") throw error;
    await stepUpDialog();
    return action();
  }
}

function stepUpDialog() {
  return new Promise((resolve, reject) => {
    const dialog = h("dialog", { class: "step-up", "aria-labelledby": "step-up-title" });
    const finish = (tokens) => {
      keep(tokens);
      dialog.close();
      dialog.remove();
      resolve(tokens);
    };
    const cancel = () => {
      dialog.close();
      dialog.remove();
      reject(new Error(t("step_up_cancelled")));
    };
    dialog.addEventListener("cancel", cancel);
    dialog.append(
      h("h2", { id: "step-up-title" }, t("step_up_title")),
      h("p", {}, t("step_up_intro")),
      form({
        fields: [codeField()],
        submit: t("mfa_verify"),
        action: ({ code }) => authed("POST", "/auth/step-up", proofOf(code)),
        done: finish,
      }),
      passkeysAvailable() ? h("p", {}, actionButton(t("mfa_use_passkey"), async () => {
        const options = await authed("POST", "/auth/step-up/passkey-options", {});
        finish(await authed("POST", "/auth/step-up", { passkey: await usePasskey(options) }));
      })) : null,
      h("p", {}, h("button", { type: "button", class: "link", onclick: cancel }, t("cancel"))));
    document.body.append(dialog);
    dialog.showModal();
  });
}

// --- the security page ------------------------------------------------------------------------

function recoveryCodesNotice(codes) {
  return h("div", { class: "recovery-codes" },
    notice("ok", t("totp_enabled_now")),
    h("p", {}, t("recovery_codes_intro")),
    h("ul", { "data-field": "recovery_codes", "aria-label": t("recovery_codes_list") }, codes.map((code) => h("li", {}, h("code", {}, code)))));
}

function enrolment(started) {
  const place = h("div", {});
  place.append(
    h("p", {}, t("totp_scan")),
    h("img", { src: started.qr_code, alt: t("totp_qr_alt"), class: "qr", width: 200, height: 200 }),
    h("p", {}, t("totp_secret"), " ", h("code", { "data-field": "totp_secret" }, started.secret)),
    form({
      fields: [codeField({ label: t("totp_first_code"), hint: null }),
        { name: "password", label: t("password"), type: "password", autocomplete: "current-password", hint: t("totp_password_hint") }],
      submit: t("totp_enable"),
      action: ({ code, password }) => authed("POST", "/auth/me/totp/confirm", { code, ...(password ? { password } : {}) }),
      done: (answer) => {
        place.replaceChildren(recoveryCodesNotice(answer.recovery_codes));
      },
    }));
  return place;
}

function totpCard(totp) {
  if (totp.enabled) {
    return card(t("totp_title"),
      notice("ok", t("totp_on", moment(totp.enabled_at))),
      h("p", {}, t("recovery_codes_left", totp.recovery_codes_left)),
      h("p", {}, actionButton(t("totp_remove"), () => withStepUp(() => authed("DELETE", "/auth/me/totp", {})).then(reload),
        { className: "link danger", confirm: t("totp_remove_confirm") })));
  }
  const place = h("div", {}, h("p", {}, t("totp_intro")));
  place.append(h("p", {}, actionButton(t("totp_start"), async () => {
    const started = await authed("POST", "/auth/me/totp", {});
    place.replaceChildren(enrolment(started));
  }, { className: "primary" })));
  return card(t("totp_title"), place);
}

function passkeysCard(passkeys) {
  const rows = passkeys.map((passkey) => h("tr", { "data-passkey": passkey.passkey_id },
    h("td", {}, passkey.name), h("td", {}, moment(passkey.created_at)), h("td", {}, orNone(passkey.last_used_at && moment(passkey.last_used_at))),
    h("td", {},
      actionButton(t("rename"), async () => {
        const name = globalThis.prompt(t("passkey_new_name"), passkey.name);
        if (!name) return;
        await authed("PATCH", `/auth/me/passkeys/${encodeURIComponent(passkey.passkey_id)}`, { name });
        reload();
      }),
      " ",
      actionButton(t("remove"), () => withStepUp(() => authed("DELETE", `/auth/me/passkeys/${encodeURIComponent(passkey.passkey_id)}`, {}))
        .then(reload), { className: "link danger", confirm: t("passkey_remove_confirm", passkey.name) }))));
  return card(t("passkeys_title"),
    h("p", {}, t("passkeys_intro")),
    passkeys.length
      ? h("table", {}, h("tr", {}, [t("name"), t("passkey_created"), t("last_used"), ""].map((title) => h("th", {}, title))), rows)
      : h("p", { class: "muted" }, t("no_passkeys")),
    passkeysAvailable()
      ? form({
        fields: [{ name: "name", label: t("passkey_name"), value: t("passkey_default_name"), required: true },
          { name: "password", label: t("password"), type: "password", autocomplete: "current-password", hint: t("totp_password_hint") }],
        submit: t("passkey_add"),
        className: "inline",
        action: async ({ name, password }) => withStepUp(async () => {
          const options = await authed("POST", "/auth/me/passkeys/options", {});
          const credential = await createPasskey(options);
          return authed("POST", "/auth/me/passkeys", { credential, name, ...(password ? { password } : {}) });
        }),
        done: reload,
      })
      : notice("info", t("passkeys_unsupported")));
}

export async function securityPage() {
  const factors = await authed("GET", "/auth/me/second-factors");
  return h("div", {}, pageTitle(t("security_title")), totpCard(factors.totp), passkeysCard(factors.passkeys));
}
