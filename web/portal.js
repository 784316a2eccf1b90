// Guichet web portal: the customer's pages over the public API (API.md). No build step, no
// framework: every piece of data reaches the page through textContent, never as HTML.

const TEXT = {
  fr: {
    login: "Connexion", register: "Créer un compte", account: "Mon compte", logout: "Se déconnecter",
    login_title: "Accéder à mon espace client", login_name: "Identifiant client, e-mail ou téléphone",
    password: "Mot de passe", submit_login: "Se connecter", forgot: "Mot de passe oublié ?",
    no_account: "Pas encore de compte ?", email: "Adresse e-mail", first_name: "Prénom", last_name: "Nom",
    phone: "Téléphone", company: "Société", language: "Langue", backup_email: "E-mail de secours",
    line1: "Adresse", line2: "Complément", postal_code: "Code postal", city: "Ville", country: "Pays (FR, IT…)",
    submit_register: "Créer mon compte",
    registered: "Compte créé. Ouvrez le lien reçu par e-mail pour l'activer ; votre identifiant client y figure.",
    verifying: "Vérification de votre adresse…", verified: "Adresse confirmée : vous pouvez vous connecter.",
    forgot_title: "Mot de passe oublié", send_link: "Recevoir un lien",
    reset_title: "Choisir un nouveau mot de passe", new_password: "Nouveau mot de passe",
    current_password: "Mot de passe actuel", save: "Enregistrer", password_changed: "Mot de passe modifié.",
    refuse_title: "Refuser le changement d'adresse e-mail", refuse: "Refuser ce changement",
    refused: "Le changement d'adresse e-mail est annulé.",
    profile: "Mes coordonnées", customer_id: "Identifiant client", edit: "Modifier", saved: "Enregistré.",
    change_password: "Changer de mot de passe", email_change: "Changer d'adresse e-mail",
    new_email: "Nouvelle adresse", request_code: "Recevoir un code", code: "Code de validation",
    confirm: "Valider", cancel_change: "Annuler la demande",
    pending_change: (to, at) => `Changement vers ${to} en attente : appliqué le ${at} sans réponse de votre part.`,
    code_sent: "Un code a été envoyé à votre adresse actuelle.",
    contacts: "Mes contacts", name: "Nom", roles: "Rôles", add: "Ajouter", remove: "Supprimer",
    sessions: "Mes sessions", device: "Appareil", last_used: "Dernière activité", this_device: "cet appareil",
    revoke: "Fermer", none: "—",
    role_admin: "administratif", role_billing: "facturation", role_technical: "technique",
  },
  en: {
    login: "Log in", register: "Create an account", account: "My account", logout: "Log out",
    login_title: "Access my customer area", login_name: "Customer ID, email or phone",
    password: "Password", submit_login: "Log in", forgot: "Forgot your password?",
    no_account: "No account yet?", email: "Email address", first_name: "First name", last_name: "Last name",
    phone: "Phone", company: "Company", language: "Language", backup_email: "Backup email",
    line1: "Address", line2: "Address line 2", postal_code: "Postal code", city: "City", country: "Country (FR, IT…)",
    submit_register: "Create my account",
    registered: "Account created. Open the link we emailed you to activate it; your customer ID is in it.",
    verifying: "Checking your address…", verified: "Address confirmed: you can log in.",
    forgot_title: "Forgotten password", send_link: "Send me a link",
    reset_title: "Choose a new password", new_password: "New password",
    current_password: "Current password", save: "Save", password_changed: "Password changed.",
    refuse_title: "Refuse the email change", refuse: "Refuse this change",
    refused: "The email change is cancelled.",
    profile: "My details", customer_id: "Customer ID", edit: "Edit", saved: "Saved.",
    change_password: "Change my password", email_change: "Change my email address",
    new_email: "New address", request_code: "Send me a code", code: "Validation code",
    confirm: "Confirm", cancel_change: "Cancel the request",
    pending_change: (to, at) => `Change to ${to} pending: applied on ${at} unless you answer.`,
    code_sent: "A code was sent to your current address.",
    contacts: "My contacts", name: "Name", roles: "Roles", add: "Add", remove: "Remove",
    sessions: "My sessions", device: "Device", last_used: "Last used", this_device: "this device",
    revoke: "Close", none: "—",
    role_admin: "admin", role_billing: "billing", role_technical: "technical",
  },
  it: {
    login: "Accedi", register: "Crea un account", account: "Il mio account", logout: "Esci",
    login_title: "Accedere all'Area Clienti", login_name: "Codice cliente, email o telefono",
    password: "Password", submit_login: "Accedi", forgot: "Password dimenticata?",
    no_account: "Non ha ancora un account?", email: "Indirizzo email", first_name: "Nome", last_name: "Cognome",
    phone: "Telefono", company: "Società", language: "Lingua", backup_email: "Email di riserva",
    line1: "Indirizzo", line2: "Complemento", postal_code: "CAP", city: "Città", country: "Paese (IT, FR…)",
    submit_register: "Crea il mio account",
    registered: "Account creato. Apra il link ricevuto via email per attivarlo; contiene il Suo codice cliente.",
    verifying: "Verifica dell'indirizzo…", verified: "Indirizzo confermato: può accedere.",
    forgot_title: "Password dimenticata", send_link: "Ricevere un link",
    reset_title: "Scegliere una nuova password", new_password: "Nuova password",
    current_password: "Password attuale", save: "Salva", password_changed: "Password modificata.",
    refuse_title: "Rifiutare il cambio di email", refuse: "Rifiutare questo cambio",
    refused: "Il cambio di indirizzo email è annullato.",
    profile: "Dati anagrafici", customer_id: "Codice cliente", edit: "Modifica", saved: "Salvato.",
    change_password: "Cambia password", email_change: "Cambia indirizzo email",
    new_email: "Nuovo indirizzo", request_code: "Ricevere un codice", code: "Codice di convalida",
    confirm: "Conferma", cancel_change: "Annulla la richiesta",
    pending_change: (to, at) => `Cambio verso ${to} in attesa: applicato il ${at} senza risposta.`,
    code_sent: "Un codice è stato inviato al Suo indirizzo attuale.",
    contacts: "I miei contatti", name: "Nome", roles: "Ruoli", add: "Aggiungi", remove: "Elimina",
    sessions: "Le mie sessioni", device: "Dispositivo", last_used: "Ultimo utilizzo", this_device: "questo dispositivo",
    revoke: "Chiudi", none: "—",
    role_admin: "amministrativo", role_billing: "fatturazione", role_technical: "tecnico",
  },
};

const store = window.sessionStorage;
let language = localStorage.getItem("guichet.language") || (navigator.language || "fr").slice(0, 2);
if (!TEXT[language]) language = "fr";
const t = (key, ...args) => {
  const value = TEXT[language][key] ?? TEXT.fr[key] ?? key;
  return typeof value === "function" ? value(...args) : value;
};

// h("p", {class: "x"}, "text", child) — text always goes in as text.
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child != null).map((child) =>
    child instanceof Node ? child : document.createTextNode(String(child))));
  return element;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.fields = body?.error?.fields || {};
  }
}

async function api(method, path, body, { auth = false, retried = false } = {}) {
  const headers = { "Accept-Language": language };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) headers.Authorization = `Bearer ${store.getItem("guichet.access")}`;
  const answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status === 401 && auth && !retried && (await refresh())) {
    return api(method, path, body, { auth, retried: true });
  }
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

async function refresh() {
  const token = store.getItem("guichet.refresh");
  if (!token) return false;
  try {
    keep(await api("POST", "/auth/refresh", { refresh_token: token }));
    return true;
  } catch {
    forget();
    return false;
  }
}

function keep(tokens) {
  store.setItem("guichet.access", tokens.access_token);
  store.setItem("guichet.refresh", tokens.refresh_token);
}
function forget() {
  store.removeItem("guichet.access");
  store.removeItem("guichet.refresh");
}
const loggedIn = () => Boolean(store.getItem("guichet.refresh"));

function go(path) {
  history.pushState({}, "", path);
  render();
}

function notice(kind, message) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
}

function errorText(error) {
  const fields = Object.entries(error.fields || {}).map(([name, problem]) => `${t(name)}: ${problem}`);
  return [error.message, ...fields].join(" — ");
}

// A form whose submit calls `action(values)`; shows the error or `done(result)` above it.
function form(fields, submitLabel, action, done, { inline = false } = {}) {
  const status = h("div");
  const element = h("form", { class: inline ? "inline" : "", novalidate: true },
    fields.map(([name, type = "text", extra = {}]) => type === "select"
      ? h("label", {}, t(name), h("select", { name }, extra.options.map(([value, label]) =>
          h("option", { value, selected: value === extra.value }, label))))
      : h("label", {}, t(name), h("input", { name, type, autocomplete: extra.autocomplete || "off",
          value: extra.value ?? "", required: extra.required }))),
    h("button", { class: "primary", type: "submit" }, submitLabel));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(element).entries());
    status.replaceChildren();
    try {
      const result = await action(values);
      const after = done(result);
      if (after) status.replaceChildren(after);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });
  return h("div", {}, status, element);
}

const token = () => new URLSearchParams(location.search).get("token") || "";
const card = (title, ...content) => h("section", { class: "card" }, h("h2", {}, title), ...content);
const orNone = (value) => value || t("none");
const compact = (values) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ""));

const pages = {
  "/login": () => card(t("login_title"),
    form([["login_name", "text", { autocomplete: "username" }], ["password", "password", { autocomplete: "current-password" }]],
      t("submit_login"),
      ({ login_name, password }) => api("POST", "/auth/login", { login: login_name, password }),
      (tokens) => { keep(tokens); go("/account"); }),
    h("p", {}, h("a", { href: "/forgot-password" }, t("forgot"))),
    h("p", { class: "muted" }, t("no_account"), " ", h("a", { href: "/register" }, t("register")))),

  "/register": () => card(t("register"),
    form([["email", "email", { autocomplete: "email" }], ["password", "password", { autocomplete: "new-password" }],
      ["first_name"], ["last_name"], ["phone", "tel"],
      ["language", "select", { value: language, options: [["fr", "Français"], ["en", "English"], ["it", "Italiano"]] }]],
      t("submit_register"),
      (values) => api("POST", "/auth/register", compact(values)),
      () => notice("ok", t("registered")))),

  "/verify-email": () => {
    const status = h("div", {}, t("verifying"));
    api("POST", "/auth/verify-email", { token: token() })
      .then(() => status.replaceChildren(notice("ok", t("verified")), h("a", { href: "/login" }, t("login"))))
      .catch((error) => status.replaceChildren(notice("error", errorText(error))));
    return card(t("email"), status);
  },

  "/forgot-password": () => card(t("forgot_title"),
    form([["login_name"]], t("send_link"),
      ({ login_name }) => api("POST", "/auth/password/forgot", { login: login_name }),
      (answer) => notice("ok", answer.message))),

  "/reset-password": () => card(t("reset_title"),
    form([["new_password", "password", { autocomplete: "new-password" }]], t("save"),
      ({ new_password }) => api("POST", "/auth/password/reset", { token: token(), new_password }),
      () => h("div", {}, notice("ok", t("password_changed")), h("a", { href: "/login" }, t("login"))))),

  "/email-change/refuse": () => card(t("refuse_title"),
    form([], t("refuse"), () => api("POST", "/auth/email-change/refuse", { token: token() }),
      () => notice("ok", t("refused")))),

  "/account": accountPage,
};

async function accountPage() {
  if (!loggedIn()) {
    go("/login");
    return h("div");
  }
  const me = await api("GET", "/auth/me", undefined, { auth: true });
  document.getElementById("nav").prepend(h("span", { class: "customer-id", title: t("customer_id") }, me.customer_id));
  const authed = (method, path, body) => api(method, path, body, { auth: true });
  const reload = () => render();
  const address = me.address || {};
  return h("div", {},
    card(t("profile"),
      h("dl", { class: "profile" },
        [["customer_id", me.customer_id], ["email", me.email], ["first_name", me.first_name], ["last_name", me.last_name],
         ["phone", me.phone], ["backup_email", me.backup_email], ["company", me.company],
         ["line1", [address.line1, address.line2, address.postal_code, address.city, address.country].filter(Boolean).join(", ")]]
          .map(([key, value]) => [h("dt", {}, t(key)), h("dd", { "data-field": key }, orNone(value))])),
      h("details", {}, h("summary", {}, t("edit")),
        form([["first_name", "text", { value: me.first_name }], ["last_name", "text", { value: me.last_name }],
          ["phone", "tel", { value: me.phone || "" }], ["backup_email", "email", { value: me.backup_email || "" }],
          ["company", "text", { value: me.company || "" }],
          ["language", "select", { value: me.language, options: [["fr", "Français"], ["en", "English"], ["it", "Italiano"]] }],
          ["line1", "text", { value: address.line1 || "" }], ["line2", "text", { value: address.line2 || "" }],
          ["postal_code", "text", { value: address.postal_code || "" }], ["city", "text", { value: address.city || "" }],
          ["country", "text", { value: address.country || "" }]],
          t("save"),
          ({ line1, line2, postal_code, city, country, phone, backup_email, company, ...rest }) => authed("PATCH", "/auth/me", {
            ...rest,
            phone: phone || null, backup_email: backup_email || null, company: company || null,
            address: line1 ? { line1, line2: line2 || null, postal_code, city, country } : null,
          }),
          reload))),
    card(t("email_change"),
      me.pending_email_change
        ? h("div", {},
            h("p", {}, t("pending_change", me.pending_email_change.new_email, me.pending_email_change.expires_at)),
            form([["code", "text", { autocomplete: "one-time-code" }]], t("confirm"),
              ({ code }) => authed("POST", "/auth/me/email-change/confirm", { code }), reload, { inline: true }),
            h("p", {}, h("button", { class: "link danger", onclick: async () => {
              await authed("DELETE", "/auth/me/email-change"); reload();
            } }, t("cancel_change"))))
        : form([["new_email", "email"], ["password", "password", { autocomplete: "current-password" }]], t("request_code"),
            (values) => authed("POST", "/auth/me/email-change", values), reload)),
    card(t("change_password"),
      form([["current_password", "password", { autocomplete: "current-password" }],
        ["new_password", "password", { autocomplete: "new-password" }]], t("save"),
        (values) => authed("POST", "/auth/password/change", values), () => notice("ok", t("password_changed")))),
    await contactsCard(authed, reload),
    await sessionsCard(authed, reload));
}

async function contactsCard(authed, reload) {
  const { items } = await authed("GET", "/auth/me/contacts");
  const roles = [["admin", t("role_admin")], ["billing", t("role_billing")], ["technical", t("role_technical")]];
  return card(t("contacts"),
    h("table", {}, h("tr", {}, [t("name"), t("email"), t("phone"), t("roles"), ""].map((title) => h("th", {}, title))),
      items.map((contact) => h("tr", {},
        h("td", {}, contact.name), h("td", {}, orNone(contact.email)), h("td", {}, orNone(contact.phone)),
        h("td", {}, contact.roles.map((role) => t(`role_${role}`)).join(", ")),
        h("td", {}, h("button", { class: "link danger", onclick: async () => {
          await authed("DELETE", `/auth/me/contacts/${encodeURIComponent(contact.contact_id)}`); reload();
        } }, t("remove")))))),
    form([["name"], ["email", "email"], ["phone", "tel"], ["roles", "select", { value: "billing", options: roles }]], t("add"),
      ({ name, email, phone, roles: role }) => authed("POST", "/auth/me/contacts", compact({ name, email, phone, roles: [role] })),
      reload, { inline: true }));
}

async function sessionsCard(authed, reload) {
  const { items } = await authed("GET", "/auth/me/sessions");
  return card(t("sessions"),
    h("table", {}, h("tr", {}, [t("device"), t("last_used"), ""].map((title) => h("th", {}, title))),
      items.map((session) => h("tr", {},
        h("td", {}, orNone(session.user_agent), session.current ? h("span", { class: "muted" }, ` (${t("this_device")})`) : null),
        h("td", {}, session.last_used_at),
        h("td", {}, session.current ? null : h("button", { class: "link danger", onclick: async () => {
          await authed("DELETE", `/auth/me/sessions/${encodeURIComponent(session.session_id)}`); reload();
        } }, t("revoke")))))));
}

function navigation() {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...(loggedIn()
    ? [h("a", { href: "/account" }, t("account")), h("button", { onclick: async () => {
        const refreshToken = store.getItem("guichet.refresh");
        forget();
        await api("POST", "/auth/logout", { refresh_token: refreshToken }).catch(() => {});
        go("/login");
      } }, t("logout"))]
    : [h("a", { href: "/login" }, t("login")), h("a", { href: "/register" }, t("register"))]));
}

async function render() {
  document.documentElement.lang = language;
  navigation();
  const path = location.pathname === "/" ? (loggedIn() ? "/account" : "/login") : location.pathname;
  const page = pages[path] || pages["/login"];
  const main = document.getElementById("page");
  try {
    main.replaceChildren(await page());
  } catch (error) {
    main.replaceChildren(notice("error", errorText(error)));
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/']");
  if (!link || link.hasAttribute("data-local") || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  go(link.getAttribute("href"));
});
window.addEventListener("popstate", render);
document.getElementById("language").value = language;
document.getElementById("language").addEventListener("change", (event) => {
  language = event.target.value;
  localStorage.setItem("guichet.language", language);
  render();
});
render();
