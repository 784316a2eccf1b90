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
    (  # an unpaid order's invoice voided: the order is cancelled with it, told by this mail only
        "invoice_voided",
        re.compile(r"^Votre commande est annulée : la facture n° (?P<key>F\d{4}-\d{6}) n'a pas été réglée$"),
    ),
    ("payment_received", re.compile(r"^Nous avons bien reçu votre paiement de (?P<amount>.+)$")),
    ("payment_failed", re.compile(r"^Votre paiement de (?P<amount>.+) n'a pas abouti$")),
    ("payment_instructions", re.compile(r"^Votre paiement par (?P<method>TIP|chèque) de (?P<amount>.+) :")),
    (
        "payment_expired",
        re.compile(r"^Votre (?P<method>TIP|chèque) de (?P<amount>.+) ne nous est pas parvenu$"),
    ),
    (
        "refund_made",
        re.compile(r"^Remboursement de (?P<amount>.+) effectué \(.+ n° (?P<key>F\d{4}-\d{6})\)$"),
    ),
    (
        "surplus_paid_out",
        re.compile(r"^Votre surplus vous a été versé : (?P<amount>.+) \(.+ n° (?P<key>F\d{4}-\d{6})\)$"),
    ),
    (
        "installment_debited",
        re.compile(
            r"^Échéance (?P<number>\d+)/(?P<count>\d+) de votre échéancier (?P<year>\d{4}) prélevée : "
        ),
    ),
    (
        "installment_failed",
        re.compile(
            r"^(Le prélèvement de votre échéance (?P<retried>\d+)/\d+ a été rejeté : nouvel essai le .+"
            r"|Votre échéance (?P<final>\d+)/\d+ n'a pas pu être prélevée)$"
        ),
    ),
    ("bank_account_changed", re.compile(r"^Vos coordonnées bancaires de prélèvement ont été modifiées$")),
    (
        "renewal_reminder",
        re.compile(
            r"^Votre abonnement (?P<name>.+?)(?: « (?P<label>.+) »)? "
            r"(?P<when>sera renouvelé automatiquement le .+|expire (aujourd'hui|demain|dans \d+ jours))$"
        ),
    ),
    ("subscription_cancelled", re.compile(r"^Confirmation de la résiliation de votre abonnement .+$")),
    ("cancellation_withdrawn", re.compile(r"^Votre abonnement .+ continue$")),
    ("moved_out", re.compile(r"^Fin de votre contrat .+ : un nouvel occupant emménage$")),
    ("subscription_suspended", re.compile(r"^Votre abonnement .+ est suspendu$")),
    ("subscription_resumed", re.compile(r"^Votre abonnement .+ est rétabli$")),
    ("appointment_confirmation", re.compile(r"^Votre rendez-vous téléphonique du .+ est confirmé$")),
    ("profile_mail", re.compile(r"(mot de passe|adresse e-mail de votre compte|déjà un compte)")),
]
# mails about one subscription name it by its dossier number, in their text
_ABOUT_A_SUBSCRIPTION = {
    "subscription_cancelled",
    "cancellation_withdrawn",
    "moved_out",
    "subscription_suspended",
    "subscription_resumed",
}
# Python's email folds a long subject into RFC 2047 encoded words and can drop the space between
# two of them ("1/12 a été" arrives as "1/12a été"): a space in a pattern may be missing.
_SUBJECTS = [(name, re.compile(pattern.pattern.replace(" ", " ?"))) for name, pattern in _SUBJECTS]
_STAGES = {"Rappel": 1, "Deuxièmerappel": 2, "Dernieravisavantsuspension": 3}  # without their spaces
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
            return Kind(name, groups["key"], detail=str(_STAGES[groups["stage"].replace(" ", "")]))
        if name in ("payment_received", "payment_failed", "payment_instructions", "payment_expired"):
            # the invoices paid are in the text: "Facture réglée : F2027-000012"
            return Kind(
                name, ",".join(sorted(set(INVOICE_NUMBER.findall(mail.text)))), detail=groups["amount"]
            )
        if name == "installment_debited":
            return Kind(name, f"{groups['year']}#{int(groups['number']):02d}")
        if name == "installment_failed":
            retried = groups.get("retried")
            number = int(retried or groups["final"])
            return Kind(name, f"{number:02d}", detail="retry" if retried else "final")
        if name == "renewal_reminder":
            renews = RENEWS_ON.search(mail.text)
            period = renews.group(1) if renews else ""
            return Kind(name, _dossier(mail), detail=_milestone(groups["when"]), period=period)
        if name in _ABOUT_A_SUBSCRIPTION:
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
