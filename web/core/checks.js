// What a form checks before sending: declarative rules on each field, each broken one said as a
// catalog message. The rules never refuse what the API takes; the API still checks everything (its
// own answers are placed the same way, forms.js). The numbers are the APIs' own: LIMITS mirrors
// what their OpenAPI documents say (tests/test_portal_limits.py compares them to the served
// documents), and the password's is the auth service's policy (services/auth/chalicelib/passwords.py).
//
// A field's rules: {required, minLength, maxLength, pattern: [RegExp, message key], min, max,
// integer, email, phone, frenchMobile, country (ISO 3166 alpha-2), iban, bic, holder, pdl, postalCode: country or (values) =>
// country, minItems, maxItems (a list of lines), date: {min, max} (YYYY-MM-DD or YYYY-MM; the bounds
// as strings or (values) => string)}. `required` may be (values) => boolean, or
// name its own message instead of check_required.

export const LIMITS = {
  // auth: Registration, ProfileChanges, AddressBody, ContactBody, EmailChangeRequest, CodeBody
  name: { maxLength: 100 },
  login: { maxLength: 254 },
  email: { maxLength: 254 },
  phone: { maxLength: 32 },
  company_id: { maxLength: 32 }, // siren, siret, vat_number (their check digits are the API's)
  postal_code: { maxLength: 16 },
  new_password: { minLength: 12, maxLength: 256 },
  code: { pattern: "^[0-9]{6}$" },
  customer_id: { maxLength: 32 }, // RecoveryRequest
  recovery_message: { maxLength: 2000 },
  // invoices: BankAccountBody (the holder's 2 to 70 as bank_details.py checks them, in its pattern)
  iban: { maxLength: 64 },
  bic: { maxLength: 16 },
  holder: { minLength: 2, maxLength: 70 },
  card_token: { maxLength: 64 }, // PaymentRequest, MultiPaymentRequest
  // subscriptions: SupportMessageRequest, AppointmentRequest, Cancellation, OrderItem, RenewRequest
  subject: { maxLength: 200 },
  message: { maxLength: 5000 },
  topic: { maxLength: 200 },
  reason: { maxLength: 500 },
  label: { maxLength: 100 },
  periods: { minimum: 1, maximum: 10 },
  expiring_within_days: { minimum: 0, maximum: 3660 }, // GET /subscriptions's query
  // subscriptions: an order line's and a subscription's technical settings (technical_settings.py)
  wifi_password: { minLength: 8, maxLength: 63 },
  consumption_alert_kwh: { minimum: 1, maximum: 1000000 },
  dns_servers: { minItems: 2, maxItems: 6 },
  ssh_public_keys: { maxItems: 10 },
};

// Named rules, for the fields every form has in common.
export const RULES = {
  name: { required: true, maxLength: LIMITS.name.maxLength },
  login: { required: true, maxLength: LIMITS.login.maxLength },
  optionalText: { maxLength: LIMITS.name.maxLength },
  email: { email: true, maxLength: LIMITS.email.maxLength },
  phone: { phone: true, maxLength: LIMITS.phone.maxLength },
  newPassword: { required: true, minLength: LIMITS.new_password.minLength, maxLength: LIMITS.new_password.maxLength },
  code: { required: true, pattern: [new RegExp(LIMITS.code.pattern), "check_code"] },
};

const empty = (value) => value == null || value === "" || value === false || (Array.isArray(value) && value.length === 0);
const compactText = (value) => String(value).replace(/[\s.\-()/]/g, "");
const length = (value) => [...String(value)].length; // code points, as the services count

// Email: one @, something before, a dot after: what no mail server takes; the API says the rest.
const EMAIL = /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@.]+$/;
// Phone numbers, separators left out: a national French number (0 and nine digits), or an
// international one (+ or 00, then 7 to 15 digits): what libphonenumber could take, French by default.
const PHONE = /^(0[1-9][0-9]{8}|(\+|00)[1-9][0-9]{6,14})$/;
const BIC = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;
// a bank account holder's name: letters, digits, spaces and ' - . & (bank_details.py)
const HOLDER = /^[\p{L}\p{M}\p{N} '.&-]+$/u;
// French postal codes as the subscriptions service takes them (never 00…), Italian CAP
const POSTAL = { FR: /^(?!00)[0-9]{5}$/, IT: /^[0-9]{5}$/ };
// a French mobile number, for a number brought along (technical_settings.py)
const FRENCH_MOBILE = /^(\+33|0033|0)(6[0-9]|7[3-9])[0-9]{7}$/;

// The IBAN's check digits (ISO 13616, mod 97): its first four characters moved to the end, each
// letter as two digits (A = 10 … Z = 35), the number's remainder by 97 is 1.
export function ibanValid(text) {
  const iban = String(text).replace(/\s/g, "").toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  let rest = 0;
  for (const char of iban.slice(4) + iban.slice(0, 4)) {
    const digits = /[A-Z]/.test(char) ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of digits) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest === 1;
}

const bound = (value, values) => typeof value === "function" ? value(values) : value;

// The first broken rule of one value, as [message key, ...its arguments], or null.
export function problem(value, rules = {}, values = {}) {
  if (empty(value) || (typeof value === "string" && !value.trim())) {
    return bound(rules.required, values) ? ["check_required"] : null;
  }
  if (Array.isArray(value)) {
    if (rules.minItems && value.length < rules.minItems) return ["check_min_items", rules.minItems];
    if (rules.maxItems && value.length > rules.maxItems) return ["check_max_items", rules.maxItems];
    return null;
  }
  const text = String(value);
  if (rules.minLength && length(text) < rules.minLength) return ["check_too_short", rules.minLength];
  if (rules.maxLength && length(text) > rules.maxLength) return ["check_too_long", rules.maxLength];
  if (rules.email && !EMAIL.test(text)) return ["check_email"];
  if (rules.phone && !PHONE.test(compactText(text))) return ["check_phone"];
  if (rules.frenchMobile && !FRENCH_MOBILE.test(compactText(text))) return ["check_french_mobile"];
  if (rules.pdl && !/^[0-9]{14}$/.test(text.replace(/\s/g, ""))) return ["check_pdl"];
  if (rules.iban && !ibanValid(text)) return ["check_iban"];
  if (rules.bic && !BIC.test(text.replace(/\s/g, "").toUpperCase())) return ["check_bic"];
  if (rules.holder && !HOLDER.test(text)) return ["check_holder"];
  if (rules.country && !/^[A-Za-z]{2}$/.test(text)) return ["check_country"];
  const country = bound(rules.postalCode, values);
  if (country && POSTAL[String(country).toUpperCase()] && !POSTAL[String(country).toUpperCase()].test(text)) {
    return ["check_postal_code"];
  }
  if (rules.pattern && !rules.pattern[0].test(text)) return [rules.pattern[1]];
  if (rules.integer || rules.min != null || rules.max != null) {
    const number = Number(value);
    if (!Number.isFinite(number) || (rules.integer && !Number.isInteger(number))) return ["check_number"];
    if (rules.min != null && number < rules.min) return ["check_min", rules.min];
    if (rules.max != null && number > rules.max) return ["check_max", rules.max];
  }
  if (rules.date) {
    const day = /^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$/.test(text) && !Number.isNaN(Date.parse(text)) ? text : null;
    if (!day) return ["check_date"];
    const [first, last] = [bound(rules.date.min, values), bound(rules.date.max, values)];
    if (first && day < first.slice(0, day.length)) return ["check_date_after", first.slice(0, day.length)];
    if (last && day > last.slice(0, day.length)) return ["check_date_before", last.slice(0, day.length)];
  }
  return null;
}

// Every broken rule of a form's values: {name: [message key, ...arguments]}.
export function problems(values, rulesByName) {
  const found = {};
  for (const [name, rules] of Object.entries(rulesByName)) {
    const broken = problem(values[name], rules, values);
    if (broken) found[name] = broken;
  }
  return found;
}
