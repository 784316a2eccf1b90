"""The mails the services send, told apart by their subjects.

Simulated customers register in French, so every mail comes from a `fr/<name>.j2` template of a
service; its subject names the template and, most often, what the mail is about (an order id, an
invoice number...). `classify` gives each mail its kind and that key, read from the subject and
the text. A subject matched by none of the patterns below is kind "other": the invariants report
it rather than ignore it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .world import Mail

INVOICE_NUMBER = re.compile(r"F\d{4}-\d{6}")
DOSSIER = re.compile(r"dossier n° (\w+)")
RENEWS_ON = re.compile(r"(?:expire le|automatiquement le) (\d{1,2} \w+ \d{4})")

# (kind, pattern on the subject), first match wins: order matters where subjects share words.
_SUBJECTS: list[tuple[str, re.Pattern[str]]] = [
    ("verify_email", re.compile(r"^Bienvenue sur Guichet : confirmez votre adresse e-mail$")),
    ("order_received", re.compile(r"^Nous avons bien reçu votre commande n° (?P<key>\S+)$")),
    ("order_completed", re.compile(r"^Votre commande n° (?P<key>\S+) est terminée$")),
    ("invoice_issued", re.compile(r"^Votre (?P<what>.+) n° (?P<key>F\d{4}-\d{6}) est disponible$")),
    (
        "overdue_reminder",
        re.compile(
            r"^(?P<stage>Dernier avis avant suspension|Deuxième rappel|Rappel) : "
            r"votre facture n° (?P<key>F\d{4}-\d{6}) (reste impayée|est en attente de paiement)$"
        ),
    ),
    ("payment_received", re.compile(r"^Nous avons bien reçu votre paiement de (?P<amount>.+)$")),
    ("payment_failed", re.compile(r"^Votre paiement de (?P<amount>.+) n'a pas abouti$")),
    ("payment_instructions", re.compile(r"^Votre paiement par (?P<method>TIP|chèque) de (?P<amount>.+) :")),
    (
        "installment_debited",
        re.compile(
            r"^Échéance (?P<number>\d+)/(?P<count>\d+) de votre échéancier (?P<year>\d{4}) prélevée : "
        ),
    ),
    # a failed installment: no template yet (docs/LIFECYCLE.md, "Not there yet"); any subject
    # naming an installment that did not go through counts as one
    ("installment_failed", re.compile(r"^Échéance .*(rejet|impay|n'a pas|échou)", re.IGNORECASE)),
    ("bank_account_changed", re.compile(r"^Vos coordonnées bancaires de prélèvement ont été modifiées$")),
    (
        "renewal_reminder",
        re.compile(
            r"^Votre abonnement (?P<name>.+?)(?: « (?P<label>.+) »)? "
            r"(?P<when>sera renouvelé automatiquement le .+|expire (aujourd'hui|demain|dans \d+ jours))$"
        ),
    ),
    (
        "subscription_cancelled",
        re.compile(r"^Confirmation de la résiliation de votre abonnement (?P<name>.+)$"),
    ),
    # no template yet either: any subject announcing a suspension or a resumption
    ("subscription_suspended", re.compile(r"\bsuspendu", re.IGNORECASE)),
    ("subscription_resumed", re.compile(r"\b(rétabli|réactivé)", re.IGNORECASE)),
    ("appointment_confirmation", re.compile(r"^Votre rendez-vous téléphonique du .+ est confirmé$")),
    ("profile_mail", re.compile(r"(mot de passe|adresse e-mail de votre compte|déjà un compte)")),
]
_STAGES = {"Rappel": 1, "Deuxième rappel": 2, "Dernier avis avant suspension": 3}
_DAYS_LEFT = re.compile(r"dans (\d+) jours")


@dataclass(frozen=True)
class Kind:
    """What a mail is: its kind and the key of what it is about (empty when it names nothing)."""

    name: str
    key: str = ""
    detail: str = ""  # the reminder's stage or milestone, the amount paid
    period: str = ""  # the renewal day a renewal reminder announces, as written


def classify(mail: Mail) -> Kind:
    for name, pattern in _SUBJECTS:
        found = pattern.search(mail.subject)
        if found is None:
            continue
        groups = found.groupdict()
        if name == "overdue_reminder":
            return Kind(name, groups["key"], detail=str(_STAGES[groups["stage"]]))
        if name in ("payment_received", "payment_failed", "payment_instructions"):
            # the invoices paid are in the text: "Facture réglée : F2027-000012"
            return Kind(
                name, ",".join(sorted(set(INVOICE_NUMBER.findall(mail.text)))), detail=groups["amount"]
            )
        if name == "installment_debited":
            return Kind(name, f"{groups['year']}#{int(groups['number']):02d}")
        if name == "renewal_reminder":
            renews = RENEWS_ON.search(mail.text)
            period = renews.group(1) if renews else ""
            return Kind(name, _dossier(mail), detail=_milestone(groups["when"]), period=period)
        if name == "subscription_cancelled":
            return Kind(name, _dossier(mail))
        return Kind(name, groups.get("key") or "")
    return Kind("other", detail=mail.subject)


def _dossier(mail: Mail) -> str:
    found = DOSSIER.search(mail.text)
    return found.group(1) if found else ""


def _milestone(when: str) -> str:
    if when.startswith("sera renouvelé"):
        return "7"  # an auto-renewed subscription is reminded once, 7 days before
    if "demain" in when:
        return "1"
    if "aujourd'hui" in when:
        return "0"
    found = _DAYS_LEFT.search(when)
    return found.group(1) if found else when
