"""The PDF documents of a subscription: its contract, the general terms of sale, a proof of address.

reportlab (~120 ms to import) and xml.sax.saxutils (~40 ms: it pulls in urllib.request) are
imported inside the functions that draw: only the document routes need them, so importing this
module for its titles keeps a short cold start.
"""

from __future__ import annotations

import datetime
import io
import unicodedata
from functools import lru_cache
from typing import Any

KINDS = ("contract", "terms", "proof_of_address")
LANGUAGES = ("fr", "en", "it")
DEFAULT_LANGUAGE = "fr"

_TITLES = {
    "fr": {
        "contract": "Contrat d'abonnement",
        "terms": "Conditions générales de vente",
        "proof_of_address": "Justificatif de domicile (attestation)",
    },
    "en": {
        "contract": "Subscription contract",
        "terms": "General terms of sale",
        "proof_of_address": "Proof of address (certificate)",
    },
    "it": {
        "contract": "Contratto di abbonamento",
        "terms": "Condizioni generali di contratto",
        "proof_of_address": "Attestazione di domicilio",
    },
}

_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "customer_id": "Identifiant client",
        "colon": " :",
        "dossier": "N° de dossier",
        "issued_on": "Édité le",
        "holder": "Titulaire",
        "email": "E-mail",
        "phone": "Téléphone",
        "subscription": "Abonnement souscrit",
        "product": "Produit",
        "label": "Libellé",
        "family": "Service",
        "status": "Statut",
        "price": "Prix",
        "commitment": "Engagement",
        "no_commitment": "Sans engagement",
        "months_one": "{n} mois",
        "months_many": "{n} mois",
        "started_on": "Date de début",
        "renews_on": "Prochain renouvellement",
        "cancel_at": "Fin de l'abonnement",
        "auto_renew": "Renouvellement automatique",
        "yes": "Oui",
        "no": "Non",
        "month": "mois",
        "year": "an",
        "energy": "Fourniture d'électricité",
        "contract_number": "N° de contrat",
        "offer": "Offre",
        "pdl": "Point de livraison (PDL)",
        "power": "Puissance souscrite",
        "off_peak": "Heures creuses",
        "tariff_option": "Option tarifaire",
        "tariff_base": "Base",
        "tariff_off_peak": "Heures pleines / heures creuses",
        "payment_mode": "Mode de paiement",
        "pay_monthly": "Mensualisation (prélèvement mensuel)",
        "pay_per_invoice": "Paiement à réception de chaque facture",
        "page": "Page {n}",
        "contract_intro": (
            "Le présent contrat est conclu entre {provider}, ci-après « le fournisseur », et le titulaire "
            "désigné ci-dessous. Il est régi par les conditions générales de vente de {provider}, que le "
            "titulaire déclare avoir lues et acceptées, et par les conditions particulières ci-dessous."
        ),
        "term_heading": "Durée et renouvellement",
        "renewal_auto": (
            "À son échéance, l'abonnement est renouvelé automatiquement pour une période identique, sauf "
            "résiliation par le titulaire depuis son espace client. Un rappel est envoyé par e-mail 30, 7 "
            "et 1 jours avant le renouvellement."
        ),
        "renewal_manual": (
            "Le renouvellement automatique est désactivé : sans renouvellement par le titulaire, "
            "l'abonnement prend fin à la date indiquée ci-dessus. Un rappel est envoyé par e-mail 30, 7 "
            "et 1 jours avant cette date."
        ),
        "cancelled": "Résiliation demandée : fin de l'abonnement le {date}.",
        "acceptance": "Acceptation",
        "accepted": "Accepté électroniquement le {date} par {name}.",
        "not_accepted": "En attente d'acceptation électronique par {name}.",
        "particular": "Conditions particulières",
        "terms_intro": (
            "Les conditions générales ci-dessous s'appliquent à l'abonnement suivant, souscrit auprès "
            "de {provider}."
        ),
        "general": "Conditions générales",
        "article": "Article {n}",
        "terms_version": "Version en vigueur au {date}.",
        "proof_certifies": "{provider} atteste par la présente que :",
        "proof_holds": (
            "est titulaire, à cette adresse, de l'abonnement « {product} » (dossier n° {dossier}){since}."
        ),
        "proof_holds_energy": (
            "est titulaire, à cette adresse, du contrat de fourniture d'électricité n° {contract} (point "
            "de livraison {pdl}), abonnement « {product} » (dossier n° {dossier}){since}."
        ),
        "proof_since": " depuis le {date}",
        "proof_purpose": (
            "La présente attestation est délivrée à la demande du titulaire pour servir et valoir ce que "
            "de droit."
        ),
        "references": "Références",
        "done_on": "Fait le {date}.",
        "signed_for": "Pour {provider}, le service clients",
        "signed_electronically": "Document établi et signé électroniquement.",
    },
    "en": {
        "customer_id": "Customer ID",
        "colon": ":",
        "dossier": "Dossier number",
        "issued_on": "Issued on",
        "holder": "Holder",
        "email": "Email",
        "phone": "Phone",
        "subscription": "Subscription",
        "product": "Product",
        "label": "Label",
        "family": "Service",
        "status": "Status",
        "price": "Price",
        "commitment": "Commitment",
        "no_commitment": "No commitment",
        "months_one": "{n} month",
        "months_many": "{n} months",
        "started_on": "Start date",
        "renews_on": "Next renewal",
        "cancel_at": "End of subscription",
        "auto_renew": "Automatic renewal",
        "yes": "Yes",
        "no": "No",
        "month": "month",
        "year": "year",
        "energy": "Electricity supply",
        "contract_number": "Contract number",
        "offer": "Offer",
        "pdl": "Delivery point (PDL)",
        "power": "Subscribed power",
        "off_peak": "Off-peak hours",
        "tariff_option": "Tariff option",
        "tariff_base": "Base",
        "tariff_off_peak": "Peak / off-peak",
        "payment_mode": "Payment mode",
        "pay_monthly": "Monthly instalments (direct debit)",
        "pay_per_invoice": "Payment of each invoice",
        "page": "Page {n}",
        "contract_intro": (
            "This contract is made between {provider} (the “Provider”) and the holder named below. It is "
            "governed by the general terms of sale of {provider}, which the holder declares having read "
            "and accepted, and by the particular conditions below."
        ),
        "term_heading": "Term and renewal",
        "renewal_auto": (
            "At its end date the subscription renews automatically for an identical period, unless the "
            "holder cancels it from the customer area. Reminders are emailed 30, 7 and 1 days before the "
            "renewal."
        ),
        "renewal_manual": (
            "Automatic renewal is off: unless the holder renews it, the subscription ends on the date "
            "shown above. Reminders are emailed 30, 7 and 1 days before that date."
        ),
        "cancelled": "Cancellation requested: the subscription ends on {date}.",
        "acceptance": "Acceptance",
        "accepted": "Electronically accepted on {date} by {name}.",
        "not_accepted": "Awaiting electronic acceptance by {name}.",
        "particular": "Particular conditions",
        "terms_intro": (
            "The general terms below apply to the following subscription, taken out with {provider}."
        ),
        "general": "General terms",
        "article": "Article {n}",
        "terms_version": "Version in force on {date}.",
        "proof_certifies": "{provider} hereby certifies that:",
        "proof_holds": "holds, at this address, the subscription “{product}” (dossier {dossier}){since}.",
        "proof_holds_energy": (
            "holds, at this address, the electricity supply contract no. {contract} (delivery point "
            "{pdl}), subscription “{product}” (dossier {dossier}){since}."
        ),
        "proof_since": " since {date}",
        "proof_purpose": "This certificate is issued at the holder's request for all lawful purposes.",
        "references": "References",
        "done_on": "Issued on {date}.",
        "signed_for": "For {provider}, Customer service",
        "signed_electronically": "Electronically issued and signed document.",
    },
    "it": {
        "customer_id": "Codice cliente",
        "colon": ":",
        "dossier": "N. pratica",
        "issued_on": "Emesso il",
        "holder": "Titolare",
        "email": "E-mail",
        "phone": "Telefono",
        "subscription": "Abbonamento sottoscritto",
        "product": "Prodotto",
        "label": "Etichetta",
        "family": "Servizio",
        "status": "Stato",
        "price": "Prezzo",
        "commitment": "Vincolo",
        "no_commitment": "Nessun vincolo",
        "months_one": "{n} mese",
        "months_many": "{n} mesi",
        "started_on": "Data di attivazione",
        "renews_on": "Prossimo rinnovo",
        "cancel_at": "Fine dell'abbonamento",
        "auto_renew": "Rinnovo automatico",
        "yes": "Sì",
        "no": "No",
        "month": "mese",
        "year": "anno",
        "energy": "Fornitura di energia elettrica",
        "contract_number": "N. contratto",
        "offer": "Offerta",
        "pdl": "Punto di prelievo (PDL)",
        "power": "Potenza impegnata",
        "off_peak": "Ore a tariffa ridotta",
        "tariff_option": "Opzione tariffaria",
        "tariff_base": "Monoraria",
        "tariff_off_peak": "Bioraria (fasce orarie)",
        "payment_mode": "Modalità di pagamento",
        "pay_monthly": "Rate mensili (addebito mensile)",
        "pay_per_invoice": "Pagamento a ogni fattura",
        "page": "Pagina {n}",
        "contract_intro": (
            "Il presente contratto è concluso tra {provider} (il «Fornitore») e il titolare indicato di "
            "seguito. È regolato dalle condizioni generali di contratto di {provider}, che il titolare "
            "dichiara di aver letto e accettato, e dalle condizioni particolari riportate di seguito."
        ),
        "term_heading": "Durata e rinnovo",
        "renewal_auto": (
            "Alla scadenza l'abbonamento si rinnova automaticamente per un periodo identico, salvo disdetta "
            "del titolare dall'Area Clienti. Un promemoria viene inviato via e-mail 30, 7 e 1 giorno prima "
            "del rinnovo."
        ),
        "renewal_manual": (
            "Il rinnovo automatico è disattivato: senza rinnovo da parte del titolare, l'abbonamento "
            "termina alla data indicata sopra. Un promemoria viene inviato via e-mail 30, 7 e 1 giorno "
            "prima di tale data."
        ),
        "cancelled": "Disdetta richiesta: fine dell'abbonamento il {date}.",
        "acceptance": "Accettazione",
        "accepted": "Accettato elettronicamente il {date} da {name}.",
        "not_accepted": "In attesa di accettazione elettronica da parte di {name}.",
        "particular": "Condizioni particolari",
        "terms_intro": (
            "Le condizioni generali che seguono si applicano al seguente abbonamento, sottoscritto con "
            "{provider}."
        ),
        "general": "Condizioni generali",
        "article": "Articolo {n}",
        "terms_version": "Versione in vigore al {date}.",
        "proof_certifies": "{provider} attesta che:",
        "proof_holds": (
            "è titolare, presso questo indirizzo, dell'abbonamento «{product}» (pratica n. {dossier}){since}."
        ),
        "proof_holds_energy": (
            "è titolare, presso questo indirizzo, del contratto di fornitura di energia elettrica "
            "n. {contract} (punto di prelievo {pdl}), abbonamento «{product}» (pratica n. {dossier}){since}."
        ),
        "proof_since": " dal {date}",
        "proof_purpose": (
            "La presente attestazione è rilasciata su richiesta del titolare per gli usi consentiti dalla "
            "legge."
        ),
        "references": "Riferimenti",
        "done_on": "Emessa il {date}.",
        "signed_for": "Per {provider}, il Servizio Clienti",
        "signed_electronically": "Documento emesso e firmato elettronicamente.",
    },
}

_FAMILIES = {
    "fr": {
        "domain": "Nom de domaine",
        "website": "Site web",
        "hosting": "Hébergement",
        "internet": "Accès internet",
        "mobile": "Téléphonie mobile",
        "electricity": "Électricité",
    },
    "en": {
        "domain": "Domain name",
        "website": "Website",
        "hosting": "Hosting",
        "internet": "Internet access",
        "mobile": "Mobile",
        "electricity": "Electricity",
    },
    "it": {
        "domain": "Nome a dominio",
        "website": "Sito web",
        "hosting": "Hosting",
        "internet": "Accesso a internet",
        "mobile": "Telefonia mobile",
        "electricity": "Energia elettrica",
    },
}

_STATUSES = {
    "fr": {
        "pending_confirmation": "En attente de confirmation",
        "to_configure": "À configurer",
        "active": "Actif",
        "suspended": "Suspendu",
        "expired": "Expiré",
        "cancelled": "Résilié",
    },
    "en": {
        "pending_confirmation": "Pending confirmation",
        "to_configure": "To configure",
        "active": "Active",
        "suspended": "Suspended",
        "expired": "Expired",
        "cancelled": "Cancelled",
    },
    "it": {
        "pending_confirmation": "In attesa di conferma",
        "to_configure": "Da configurare",
        "active": "Attivo",
        "suspended": "Sospeso",
        "expired": "Scaduto",
        "cancelled": "Disdetto",
    },
}

# Country names for the codes the address may carry (ISO 3166-1 alpha-2); others print as given.
_COUNTRIES = {
    "fr": {
        "FR": "France",
        "IT": "Italie",
        "BE": "Belgique",
        "CH": "Suisse",
        "LU": "Luxembourg",
        "MC": "Monaco",
        "DE": "Allemagne",
        "ES": "Espagne",
        "PT": "Portugal",
        "NL": "Pays-Bas",
        "GB": "Royaume-Uni",
        "SM": "Saint-Marin",
    },
    "en": {
        "FR": "France",
        "IT": "Italy",
        "BE": "Belgium",
        "CH": "Switzerland",
        "LU": "Luxembourg",
        "MC": "Monaco",
        "DE": "Germany",
        "ES": "Spain",
        "PT": "Portugal",
        "NL": "Netherlands",
        "GB": "United Kingdom",
        "SM": "San Marino",
    },
    "it": {
        "FR": "Francia",
        "IT": "Italia",
        "BE": "Belgio",
        "CH": "Svizzera",
        "LU": "Lussemburgo",
        "MC": "Monaco",
        "DE": "Germania",
        "ES": "Spagna",
        "PT": "Portogallo",
        "NL": "Paesi Bassi",
        "GB": "Regno Unito",
        "SM": "San Marino",
    },
}

# The general terms: (heading, text) per article; "{provider}" is replaced by the provider's name.
_TERMS = {
    "fr": [
        (
            "Objet",
            "Les présentes conditions générales de vente (les « CGV ») régissent les relations entre "
            "{provider} (le « fournisseur ») et toute personne, consommateur ou professionnel, qui souscrit "
            "l'un de ses services (le « client ») : nom de domaine, hébergement, site web, accès internet, "
            "téléphonie mobile ou fourniture d'électricité. Les conditions particulières de chaque "
            "abonnement et la description du service au catalogue complètent les CGV et prévalent sur "
            "elles en cas de contradiction.",
        ),
        (
            "Souscription et durée",
            "L'abonnement est souscrit en ligne depuis l'espace client. Le contrat est formé à la "
            "confirmation de la commande par le client ; un numéro de dossier lui est alors attribué. "
            "L'abonnement est conclu pour la période de facturation choisie (mois ou année) et, le cas "
            "échéant, pour la durée d'engagement minimale indiquée dans les conditions particulières. Le "
            "service est mis à disposition après paiement de la commande et, si nécessaire, après sa "
            "configuration par le client.",
        ),
        (
            "Prix et paiement",
            "Les prix sont ceux du catalogue en vigueur au jour de la commande ; pour les consommateurs, "
            "ils s'entendent toutes taxes comprises. Ils sont payables d'avance pour chaque période, par "
            "carte bancaire, prélèvement SEPA ou tout autre moyen proposé dans l'espace client. Pour "
            "l'électricité, la consommation est facturée selon l'offre souscrite, par mensualités ou à "
            "chaque facture selon le mode de paiement choisi. Un retard de paiement peut entraîner, après "
            "une relance restée sans effet, la suspension du service. Toute modification de prix est "
            "notifiée au client au moins un mois avant son application ; le client peut alors résilier "
            "sans frais.",
        ),
        (
            "Renouvellement et résiliation",
            "Sauf désactivation du renouvellement automatique par le client, l'abonnement est reconduit à "
            "son échéance pour une période identique. {provider} adresse au client un rappel par e-mail "
            "30 jours, 7 jours et 1 jour avant la date de renouvellement. Le client peut résilier à tout "
            "moment depuis son espace client, soit à la fin de la période en cours — le service reste alors "
            "actif jusqu'à cette date —, soit immédiatement. Pendant la durée d'engagement, une résiliation "
            "anticipée rend exigibles les sommes restant dues jusqu'au terme de l'engagement, sauf motif "
            "légitime et dans les limites prévues par la loi. Les sommes versées pour une période commencée "
            "ne sont pas remboursées, sauf disposition légale contraire.",
        ),
        (
            "Obligations du fournisseur",
            "{provider} met en œuvre les moyens nécessaires pour fournir un service conforme à sa "
            "description et disponible de façon continue, hors opérations de maintenance, annoncées à "
            "l'avance lorsque cela est possible. Il assure une assistance depuis l'espace client, par "
            "e-mail et par téléphone sur rendez-vous. Sa responsabilité est limitée aux dommages directs "
            "et prévisibles ; elle ne peut être engagée en cas de force majeure ou de faute du client.",
        ),
        (
            "Obligations du client",
            "Le client fournit des informations exactes et les tient à jour dans son espace client, en "
            "particulier son adresse e-mail et son adresse postale. Il garde confidentiels son identifiant "
            "client et son mot de passe et reste responsable de l'usage fait de son compte. Il utilise les "
            "services dans le respect des lois en vigueur et s'interdit toute utilisation abusive ou "
            "frauduleuse.",
        ),
        (
            "Données personnelles",
            "{provider} traite les données personnelles du client, en qualité de responsable de "
            "traitement, pour la gestion du compte, l'exécution des contrats, la facturation et le respect "
            "de ses obligations légales, conformément au règlement (UE) 2016/679 (RGPD). Les données sont "
            "conservées pendant la relation contractuelle puis pendant les délais de prescription légaux. "
            "Le client dispose des droits d'accès, de rectification, d'effacement, de limitation, "
            "d'opposition et de portabilité, qu'il exerce depuis son espace client ou auprès du service "
            "clients, et peut introduire une réclamation auprès de l'autorité de contrôle compétente.",
        ),
        (
            "Droit de rétractation",
            "Le client consommateur dispose d'un délai de quatorze (14) jours à compter de la conclusion "
            "du contrat pour se rétracter, sans avoir à motiver sa décision, depuis son espace client ou "
            "par e-mail au service clients. S'il a demandé que le service commence avant la fin de ce "
            "délai, il paie le montant correspondant au service fourni jusqu'à sa rétractation. Les sommes "
            "versées sont remboursées dans les quatorze jours suivant la rétractation.",
        ),
        (
            "Modification des conditions générales",
            "{provider} peut modifier les présentes CGV. Le client en est informé par e-mail au moins un "
            "mois avant leur entrée en vigueur et peut résilier sans frais avant cette date. La version en "
            "vigueur peut être téléchargée à tout moment depuis l'espace client.",
        ),
        (
            "Droit applicable, litiges et médiation",
            "Les présentes CGV sont soumises au droit du pays du siège de {provider}, sans priver le "
            "consommateur de la protection des dispositions impératives de son pays de résidence. Toute "
            "réclamation est d'abord adressée au service clients. À défaut de solution dans un délai de "
            "deux mois, le client consommateur peut saisir gratuitement un médiateur de la consommation "
            "(pour l'électricité, le médiateur de l'énergie compétent). À défaut d'accord, le litige est "
            "porté devant les juridictions compétentes.",
        ),
    ],
    "en": [
        (
            "Purpose",
            "These general terms of sale (the “Terms”) govern the relationship between {provider} (the "
            "“Provider”) and any person, consumer or business, who subscribes to one of its services (the "
            "“Customer”): domain names, hosting, websites, internet access, mobile telephony or electricity "
            "supply. The particular conditions of each subscription and the service description in the "
            "catalogue complete these Terms and prevail over them in case of conflict.",
        ),
        (
            "Subscription and term",
            "Subscriptions are taken out online from the customer area. The contract is formed when the "
            "Customer confirms the order, and a dossier number is then assigned. The subscription runs for "
            "the chosen billing period (month or year) and, where applicable, for the minimum commitment "
            "stated in the particular conditions. The service is made available once the order is paid "
            "and, where needed, configured by the Customer.",
        ),
        (
            "Prices and payment",
            "Prices are those of the catalogue in force on the day of the order; for consumers they include "
            "all taxes. They are payable in advance for each period, by card, SEPA direct debit or any "
            "other means offered in the customer area. For electricity, consumption is billed according to "
            "the subscribed offer, by monthly instalments or per invoice depending on the chosen payment "
            "mode. Late payment may, after an unanswered reminder, lead to the suspension of the service. "
            "Any price change is notified at least one month before it applies, and the Customer may then "
            "terminate at no cost.",
        ),
        (
            "Renewal and termination",
            "Unless the Customer turns automatic renewal off, the subscription renews at its end date for "
            "an identical period. {provider} emails the Customer a reminder 30 days, 7 days and 1 day "
            "before the renewal date. The Customer may cancel at any time from the customer area, either "
            "at the end of the current period — the service then stays active until that date — or "
            "immediately. During a commitment period, early termination makes the amounts due until the "
            "end of the commitment payable, save for a legitimate reason and within the limits set by law. "
            "Amounts paid for a period already started are not refunded, unless the law provides otherwise.",
        ),
        (
            "Provider's obligations",
            "{provider} uses the means needed to deliver a service that matches its description and is "
            "continuously available, except for maintenance, announced in advance whenever possible. It "
            "provides support from the customer area, by email and by phone appointment. Its liability is "
            "limited to direct and foreseeable damage and does not arise in case of force majeure or fault "
            "of the Customer.",
        ),
        (
            "Customer's obligations",
            "The Customer provides accurate information and keeps it up to date in the customer area, in "
            "particular their email and postal addresses. The Customer keeps their customer ID and "
            "password confidential and remains responsible for the use made of their account. The Customer "
            "uses the services in compliance with the law and refrains from any abusive or fraudulent use.",
        ),
        (
            "Personal data",
            "{provider} processes the Customer's personal data as controller to manage the account, "
            "perform the contracts, invoice and meet its legal obligations, in accordance with Regulation "
            "(EU) 2016/679 (GDPR). Data are kept for the duration of the contractual relationship and then "
            "for the statutory limitation periods. The Customer has the rights of access, rectification, "
            "erasure, restriction, objection and portability, exercised from the customer area or with "
            "customer service, and may lodge a complaint with the competent supervisory authority.",
        ),
        (
            "Right of withdrawal",
            "A consumer Customer may withdraw within fourteen (14) days of the conclusion of the contract, "
            "without giving any reason, from the customer area or by email to customer service. If the "
            "Customer asked for the service to start before the end of that period, they pay for the "
            "service provided until the withdrawal. Amounts paid are refunded within fourteen days of the "
            "withdrawal.",
        ),
        (
            "Changes to the Terms",
            "{provider} may amend these Terms. The Customer is informed by email at least one month before "
            "the changes take effect and may terminate at no cost before that date. The version in force "
            "can be downloaded at any time from the customer area.",
        ),
        (
            "Governing law, disputes and mediation",
            "These Terms are governed by the law of the country of {provider}'s registered office, without "
            "depriving consumers of the protection of the mandatory rules of their country of residence. "
            "Any complaint is first addressed to customer service. If no solution is found within two "
            "months, a consumer Customer may refer the matter free of charge to a consumer mediator (for "
            "electricity, the competent energy ombudsman). Failing agreement, the dispute is brought before "
            "the competent courts.",
        ),
    ],
    "it": [
        (
            "Oggetto",
            "Le presenti condizioni generali di contratto (le «Condizioni») regolano i rapporti tra "
            "{provider} (il «Fornitore») e ogni persona, consumatore o professionista, che sottoscrive uno "
            "dei suoi servizi (il «Cliente»): nomi a dominio, hosting, siti web, accesso a internet, "
            "telefonia mobile o fornitura di energia elettrica. Le condizioni particolari di ciascun "
            "abbonamento e la descrizione del servizio a catalogo integrano le Condizioni e prevalgono su "
            "di esse in caso di contrasto.",
        ),
        (
            "Sottoscrizione e durata",
            "L'abbonamento si sottoscrive online dall'Area Clienti. Il contratto si conclude con la "
            "conferma dell'ordine da parte del Cliente, al quale viene attribuito un numero di pratica. "
            "L'abbonamento ha la durata del periodo di fatturazione scelto (mese o anno) e, se previsto, "
            "del vincolo minimo indicato nelle condizioni particolari. Il servizio è reso disponibile dopo "
            "il pagamento dell'ordine e, se necessario, dopo la configurazione da parte del Cliente.",
        ),
        (
            "Prezzi e pagamento",
            "I prezzi sono quelli del catalogo in vigore alla data dell'ordine e, per i consumatori, "
            "comprendono tutte le imposte. Sono pagabili in anticipo per ciascun periodo con carta di "
            "pagamento, addebito diretto SEPA o altro mezzo proposto nell'Area Clienti. Per l'energia "
            "elettrica i consumi sono fatturati secondo l'offerta sottoscritta, a rate mensili o a ogni "
            "fattura secondo la modalità di pagamento scelta. Il ritardo nel pagamento può comportare, dopo "
            "un sollecito rimasto senza esito, la sospensione del servizio. Ogni variazione di prezzo è "
            "comunicata con almeno un mese di anticipo e il Cliente può allora recedere senza costi.",
        ),
        (
            "Rinnovo e disdetta",
            "Salvo disattivazione del rinnovo automatico da parte del Cliente, l'abbonamento si rinnova "
            "alla scadenza per un periodo identico. {provider} invia al Cliente un promemoria via e-mail "
            "30 giorni, 7 giorni e 1 giorno prima della data di rinnovo. Il Cliente può disdire in "
            "qualsiasi momento dall'Area Clienti, alla fine del periodo in corso — il servizio resta allora "
            "attivo fino a tale data — oppure con effetto immediato. Durante il periodo di vincolo, la "
            "disdetta anticipata rende esigibili gli importi dovuti fino al termine del vincolo, salvo "
            "giustificato motivo e nei limiti di legge. Gli importi versati per un periodo già iniziato non "
            "sono rimborsati, salvo diversa disposizione di legge.",
        ),
        (
            "Obblighi del Fornitore",
            "{provider} adotta i mezzi necessari per erogare un servizio conforme alla sua descrizione e "
            "disponibile in modo continuativo, salvo interventi di manutenzione, annunciati in anticipo "
            "quando possibile. Fornisce assistenza dall'Area Clienti, via e-mail e per telefono su "
            "appuntamento. La sua responsabilità è limitata ai danni diretti e prevedibili e non sussiste "
            "in caso di forza maggiore o di colpa del Cliente.",
        ),
        (
            "Obblighi del Cliente",
            "Il Cliente fornisce informazioni esatte e le mantiene aggiornate nell'Area Clienti, in "
            "particolare l'indirizzo e-mail e l'indirizzo postale. Custodisce con riservatezza il proprio "
            "codice cliente e la password e resta responsabile dell'uso del proprio account. Utilizza i "
            "servizi nel rispetto della legge e si astiene da qualsiasi uso abusivo o fraudolento.",
        ),
        (
            "Dati personali",
            "{provider} tratta i dati personali del Cliente, in qualità di titolare del trattamento, per la "
            "gestione dell'account, l'esecuzione dei contratti, la fatturazione e l'adempimento degli "
            "obblighi di legge, ai sensi del Regolamento (UE) 2016/679 (GDPR). I dati sono conservati per "
            "la durata del rapporto contrattuale e successivamente per i termini di prescrizione previsti "
            "dalla legge. Il Cliente ha diritto di accesso, rettifica, cancellazione, limitazione, "
            "opposizione e portabilità, esercitabili dall'Area Clienti o presso il Servizio Clienti, e può "
            "proporre reclamo all'autorità di controllo competente.",
        ),
        (
            "Diritto di recesso",
            "Il Cliente consumatore può recedere entro quattordici (14) giorni dalla conclusione del "
            "contratto, senza indicarne il motivo, dall'Area Clienti o via e-mail al Servizio Clienti. Se "
            "ha chiesto che il servizio inizi prima della fine di tale periodo, paga l'importo "
            "corrispondente al servizio fornito fino al recesso. Gli importi versati sono rimborsati entro "
            "quattordici giorni dal recesso.",
        ),
        (
            "Modifica delle Condizioni",
            "{provider} può modificare le presenti Condizioni. Il Cliente ne è informato via e-mail almeno "
            "un mese prima della loro entrata in vigore e può recedere senza costi prima di tale data. La "
            "versione in vigore è scaricabile in qualsiasi momento dall'Area Clienti.",
        ),
        (
            "Legge applicabile, controversie e conciliazione",
            "Le presenti Condizioni sono regolate dalla legge del paese in cui ha sede {provider}, ferma "
            "restando la tutela delle norme imperative del paese di residenza del consumatore. Ogni reclamo "
            "va rivolto in primo luogo al Servizio Clienti. In mancanza di soluzione entro due mesi, il "
            "Cliente consumatore può ricorrere gratuitamente a un organismo di conciliazione (per l'energia "
            "elettrica, il servizio di conciliazione competente). In mancanza di accordo, la controversia è "
            "devoluta al foro competente.",
        ),
    ],
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
# Letters that Unicode does not decompose into a base letter plus accent.
_TRANSLITERATIONS = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H"})
_DASH = "—"
_PAGE_WIDTH = 595.2755905511812  # A4 in points, as reportlab.lib.pagesizes.A4
_MARGIN = 18 * 72 / 25.4  # 18 mm
_FRAME_PADDING = 6  # platypus frames keep 6 points inside the margins


class AddressMissing(ValueError):
    """A proof of address was asked for a customer without a postal address (the caller answers 409)."""

    def __init__(self) -> None:
        super().__init__("address")


def title(kind: str, language: str) -> str:
    """The document's title in the customer's language (fr when the language is unknown)."""
    if kind not in KINDS:
        raise ValueError("kind")
    return _TITLES[_language(language)][kind]


def render(
    kind: str,
    *,
    subscription: dict[str, Any],
    customer: dict[str, Any],
    provider_name: str,
    language: str,
    today: datetime.date,
) -> bytes:
    """One document of a subscription as PDF bytes.

    Raises ValueError("kind") for an unknown kind and AddressMissing, a ValueError("address"),
    for a proof of address of a customer without a postal address.
    """
    if kind not in KINDS:
        raise ValueError("kind")
    if kind == "proof_of_address" and not _has_address(customer):
        raise AddressMissing()
    writer = _Writer(
        kind=kind,
        subscription=subscription,
        customer=customer,
        provider=_printable(provider_name),
        language=_language(language),
        today=today,
    )
    return writer.build()


def _language(language: str | None) -> str:
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def _has_address(customer: dict[str, Any]) -> bool:
    address = customer.get("address") or {}
    return bool(str(address.get("line1") or "").strip() and str(address.get("city") or "").strip())


def _printable(value: Any) -> str:
    """Text the built-in PDF fonts can draw: WinAnsi (cp1252) covers French and Italian.

    Other accented letters lose their accent (Dvořák → Dvorak) rather than print as black boxes,
    and control characters become spaces.
    """
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    return "".join(_winansi(char) for char in text.translate(_TRANSLITERATIONS))


def _winansi(char: str) -> str:
    try:
        char.encode("cp1252")
        return char
    except UnicodeEncodeError:
        pass
    base = "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
    try:
        base.encode("cp1252")
    except UnicodeEncodeError:
        return "?"
    return base or "?"


def format_money(cents: int, currency: str, language: str) -> str:
    """12,99 € in French and Italian, €12.99 in English."""
    language = _language(language)
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    if language == "en":
        number = f"{units:,}.{rest:02d}"
    else:
        grouped = f"{units:,}".replace(",", " " if language == "fr" else ".")
        number = f"{grouped},{rest:02d}"
    code = (currency or "EUR").upper()
    symbol = _CURRENCY_SYMBOLS.get(code)
    if language == "en":
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"
    return f"{sign}{number} {symbol or code}"


def format_date(value: datetime.date | str | None, language: str) -> str:
    """23/11/2026 in French and Italian, 23 Nov 2026 in English; a dash when there is no date."""
    if value is None or value == "":
        return _DASH
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return _printable(value)
    if _language(language) == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return value.strftime("%d/%m/%Y")


def _format_number(value: Any, language: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _printable(value)
    text = f"{int(number)}" if number.is_integer() else f"{number:g}"
    return text if language == "en" else text.replace(".", ",")


class _Writer:
    """Lays out one document: a header, the holder, the body of its kind, a footer on every page."""

    def __init__(
        self,
        *,
        kind: str,
        subscription: dict[str, Any],
        customer: dict[str, Any],
        provider: str,
        language: str,
        today: datetime.date,
    ) -> None:
        self.kind = kind
        self.subscription = subscription
        self.contract = subscription.get("contract") or {}
        self.customer = customer
        self.provider = provider
        self.language = language
        self.today = today
        self.text = _LABELS[language]
        self.title = _TITLES[language][kind]
        self.styles = _styles()
        self.width = _PAGE_WIDTH - 2 * _MARGIN - 2 * _FRAME_PADDING

    # Values shown on the documents, already made printable (not yet escaped).

    def value(self, raw: Any) -> str:
        printable = _printable(raw).strip()
        return printable or _DASH

    @property
    def customer_name(self) -> str:
        name = " ".join(
            part for part in (self.customer.get("first_name"), self.customer.get("last_name")) if part
        )
        return _printable(name).strip() or self.value(
            self.customer.get("company") or self.customer.get("email")
        )

    @property
    def price(self) -> str:
        amount = format_money(
            int(self.subscription.get("price_cents") or 0),
            self.subscription.get("currency") or "EUR",
            self.language,
        )
        period = self.text["year" if self.subscription.get("billing_period") == "year" else "month"]
        return f"{amount} / {period}"

    @property
    def commitment(self) -> str:
        months = int(self.subscription.get("commitment_months") or 0)
        if months <= 0:
            return self.text["no_commitment"]
        return self.text["months_one" if months == 1 else "months_many"].format(n=months)

    @property
    def is_electricity(self) -> bool:
        return self.subscription.get("family") == "electricity" or bool(self.contract.get("pdl"))

    def date(self, value: Any) -> str:
        return format_date(value, self.language)

    def address_lines(self) -> list[str]:
        address = self.customer.get("address") or {}
        city = " ".join(_printable(address.get(key)).strip() for key in ("postal_code", "city"))
        country = str(address.get("country") or "").strip()
        country = _COUNTRIES[self.language].get(country.upper(), country)
        lines = [address.get("line1"), address.get("line2"), city, country]
        return [_printable(line).strip() for line in lines if line and _printable(line).strip()]

    # Flowables.

    def paragraph(self, text: str, style: str = "body") -> Any:
        """A paragraph of plain text: customer data may hold <, > or &, shown as they are."""
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        return Paragraph(escape(text), self.styles[style])

    def lines(self, lines: list[tuple[str, str]]) -> Any:
        """One paragraph of several lines, each (text, "b" for bold or "" for normal)."""
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        markup = "<br/>".join(
            f"<b>{escape(text)}</b>" if weight == "b" else escape(text) for text, weight in lines
        )
        return Paragraph(markup, self.styles["body"])

    def cell(self, text: str, style: str, width: float) -> Any:
        """A table cell: the plain string when it fits on one line, else a wrapping paragraph.

        A plain string is drawn as is (no markup, so no escaping) and costs a tenth of a
        Paragraph, which matters with some forty cells per document.
        """
        from reportlab.pdfbase.pdfmetrics import stringWidth

        font = self.styles[style]
        if stringWidth(text, font.fontName, font.fontSize) <= width:
            return text
        return self.paragraph(text, style)

    def heading(self, text: str) -> Any:
        return self.paragraph(text, "heading")

    def facts(self, rows: list[tuple[str, str]]) -> Any:
        """A two-column table of label and value."""
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Table, TableStyle

        label_width, value_width = 55 * mm, self.width - 55 * mm
        data = [
            [self.cell(label, "label", label_width - 8), self.cell(value, "value", value_width - 8)]
            for label, value in rows
        ]
        # splitInRow: a value longer than a page (a pasted label, say) continues on the next one
        table = Table(data, colWidths=[label_width, value_width], hAlign="LEFT", splitInRow=1)
        table.setStyle(
            TableStyle(
                [
                    *self.cell_fonts("label", (0, 0), (0, -1)),
                    *self.cell_fonts("value", (1, 0), (1, -1)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d5dd")),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def cell_fonts(self, style: str, start: tuple[int, int], stop: tuple[int, int]) -> list[tuple[Any, ...]]:
        """Table style commands that draw plain string cells like the paragraph style."""
        font = self.styles[style]
        return [
            ("FONTNAME", start, stop, font.fontName),
            ("FONTSIZE", start, stop, font.fontSize),
            ("LEADING", start, stop, font.leading),
            ("TEXTCOLOR", start, stop, font.textColor),
        ]

    def header(self) -> list[Any]:
        """Provider and title on the left; customer id, dossier number and date top right."""
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer, Table, TableStyle

        label_width, value_width = 30 * mm, 42 * mm
        rows = [
            (self.text["customer_id"], self.customer_id),
            (self.text["dossier"], self.dossier),
            (self.text["issued_on"], self.date(self.today)),
        ]
        reference = Table(
            [
                [
                    self.cell(label, "label", label_width - 12),
                    self.cell(value, "key" if i == 0 else "value", value_width - 12),
                ]
                for i, (label, value) in enumerate(rows)
            ],
            colWidths=[label_width, value_width],
            hAlign="RIGHT",
        )
        reference.setStyle(
            TableStyle(
                [
                    *self.cell_fonts("label", (0, 0), (0, -1)),
                    *self.cell_fonts("value", (1, 0), (1, -1)),
                    *self.cell_fonts("key", (1, 0), (1, 0)),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f2f4f7")),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#d0d5dd")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        left = [self.paragraph(self.provider, "provider"), self.paragraph(self.title, "title")]
        header = Table([[left, reference]], colWidths=[self.width - 74 * mm, 74 * mm])
        header.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return [header, Spacer(1, 6 * mm)]

    @property
    def customer_id(self) -> str:
        return self.value(self.customer.get("customer_id"))

    @property
    def dossier(self) -> str:
        return self.value(self.subscription.get("dossier_number"))

    def holder(self) -> list[Any]:
        lines = [(self.customer_name, "b")]
        if self.customer.get("company"):
            lines.append((self.value(self.customer["company"]), "b"))
        lines += [(line, "") for line in self.address_lines()]
        contact = [self.customer.get("email"), self.customer.get("phone")]
        lines += [(_printable(item), "") for item in contact if item]
        return [self.heading(self.text["holder"]), self.lines(lines)]

    def subscription_rows(self, *, full: bool) -> list[tuple[str, str]]:
        family = str(self.subscription.get("family") or "")
        status = str(self.subscription.get("status") or "")
        rows = [
            (self.text["product"], self.value(self.subscription.get("name"))),
            (self.text["dossier"], self.dossier),
        ]
        if full and self.subscription.get("label"):
            rows.append((self.text["label"], self.value(self.subscription["label"])))
        rows += [
            (self.text["family"], _FAMILIES[self.language].get(family, self.value(family))),
            (self.text["status"], _STATUSES[self.language].get(status, self.value(status))),
            (self.text["price"], self.price),
            (self.text["commitment"], self.commitment),
            (self.text["started_on"], self.date(self.subscription.get("started_on"))),
        ]
        if full and self.subscription.get("cancel_at"):
            rows.append((self.text["cancel_at"], self.date(self.subscription["cancel_at"])))
        elif full:
            rows += [
                (self.text["renews_on"], self.date(self.subscription.get("renews_on"))),
                (self.text["auto_renew"], self.text["yes" if self.subscription.get("auto_renew") else "no"]),
            ]
        if self.contract.get("contract_number") and not (full and self.is_electricity):
            rows.append((self.text["contract_number"], self.value(self.contract["contract_number"])))
        if self.is_electricity and not full:
            rows.append((self.text["pdl"], self.value(self.contract.get("pdl"))))
        return rows

    def energy_rows(self) -> list[tuple[str, str]]:
        contract = self.contract
        power = contract.get("subscribed_power_kva")
        hours = ", ".join(
            f"{_printable(slot.get('start'))}–{_printable(slot.get('end'))}"
            for slot in contract.get("off_peak_hours") or []
        )
        payment = {"monthly": self.text["pay_monthly"], "per_invoice": self.text["pay_per_invoice"]}
        mode = str(contract.get("payment_mode") or "")
        rows = [
            (self.text["contract_number"], self.value(contract.get("contract_number"))),
            (self.text["offer"], self.value(contract.get("offer"))),
            (self.text["pdl"], self.value(contract.get("pdl"))),
            (self.text["power"], f"{_format_number(power, self.language)} kVA" if power else _DASH),
        ]
        option = str(contract.get("tariff_option") or "")
        if option:
            options = {"base": self.text["tariff_base"], "off_peak": self.text["tariff_off_peak"]}
            rows.append((self.text["tariff_option"], options.get(option, self.value(option))))
        rows += [
            (self.text["off_peak"], hours or _DASH),
            (self.text["payment_mode"], payment.get(mode, self.value(mode))),
        ]
        return rows

    # The three kinds.

    def contract_body(self) -> list[Any]:
        story = [self.paragraph(self.text["contract_intro"].format(provider=self.provider))]
        story += self.holder()
        story += [self.heading(self.text["subscription"]), self.facts(self.subscription_rows(full=True))]
        if self.is_electricity:
            story += [self.heading(self.text["energy"]), self.facts(self.energy_rows())]
        cancel_at = self.subscription.get("cancel_at")
        if cancel_at:
            term = self.text["cancelled"].format(date=self.date(cancel_at))
        else:
            term = self.text["renewal_auto" if self.subscription.get("auto_renew") else "renewal_manual"]
        story += [self.heading(self.text["term_heading"]), self.paragraph(term)]
        started_on = self.subscription.get("started_on")
        acceptance = (
            self.text["accepted"].format(date=self.date(started_on), name=self.customer_name)
            if started_on
            else self.text["not_accepted"].format(name=self.customer_name)
        )
        story += [self.heading(self.text["acceptance"]), self.paragraph(acceptance, "signature")]
        return story

    def terms_body(self) -> list[Any]:
        story = [self.heading(self.text["particular"])]
        story.append(self.paragraph(self.text["terms_intro"].format(provider=self.provider)))
        story += self.holder()
        story += [self.facts(self.subscription_rows(full=False)), self.heading(self.text["general"])]
        for number, (heading, text) in enumerate(_TERMS[self.language], start=1):
            article = self.text["article"].format(n=number)
            story.append(self.paragraph(f"{article} — {heading}", "article"))
            story.append(self.paragraph(text.format(provider=self.provider), "justified"))
        story.append(self.paragraph(self.text["terms_version"].format(date=self.date(self.today)), "note"))
        return story

    def proof_body(self) -> list[Any]:
        from reportlab.lib.units import mm
        from reportlab.platypus import Indenter, Spacer

        lines = [(self.customer_name, "b")]
        if self.customer.get("company"):
            lines.append((self.value(self.customer["company"]), "b"))
        lines += [(line, "") for line in self.address_lines()]
        lines.append((f"{self.text['customer_id']}{self.text['colon']} {self.customer_id}", ""))
        started_on = self.subscription.get("started_on")
        since = self.text["proof_since"].format(date=self.date(started_on)) if started_on else ""
        product = self.value(self.subscription.get("name"))
        if self.is_electricity:
            holds = self.text["proof_holds_energy"].format(
                contract=self.value(self.contract.get("contract_number")),
                pdl=self.value(self.contract.get("pdl")),
                product=product,
                dossier=self.dossier,
                since=since,
            )
        else:
            holds = self.text["proof_holds"].format(product=product, dossier=self.dossier, since=since)
        return [
            Spacer(1, 4 * mm),
            self.paragraph(self.text["proof_certifies"].format(provider=self.provider)),
            Indenter(left=12 * mm),
            self.lines(lines),
            Indenter(left=-12 * mm),
            self.paragraph(holds),
            self.paragraph(self.text["proof_purpose"]),
            self.heading(self.text["references"]),
            self.facts(self.subscription_rows(full=False)),
            Spacer(1, 8 * mm),
            self.paragraph(self.text["done_on"].format(date=self.date(self.today))),
            self.paragraph(self.text["signed_for"].format(provider=self.provider), "signature"),
            self.paragraph(self.text["signed_electronically"], "note"),
        ]

    # The document.

    def decorate_page(self, canvas: Any, doc: Any) -> None:
        from reportlab.lib import colors
        from reportlab.lib.units import mm

        if doc.page == 1:  # dated the day it is issued, not the fixed date of invariant mode
            canvas.setDateFormatter(lambda *_: f"D:{self.today:%Y%m%d}000000+00'00'")
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#667085"))
        left = f"{self.provider} — {self.title} — {self.text['dossier']} {self.dossier}"
        left_edge = doc.leftMargin + _FRAME_PADDING
        right_edge = doc.pagesize[0] - doc.rightMargin - _FRAME_PADDING
        canvas.drawString(left_edge, 10 * mm, left)
        canvas.drawRightString(right_edge, 10 * mm, self.text["page"].format(n=doc.page))
        if doc.page > 1:  # the customer id stays top right on every page, as on the first one
            canvas.drawRightString(
                right_edge,
                doc.pagesize[1] - 10 * mm,
                f"{self.text['customer_id']}{self.text['colon']} {self.customer_id}",
            )
        canvas.restoreState()

    def build(self) -> bytes:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        body = {"contract": self.contract_body, "terms": self.terms_body, "proof_of_address": self.proof_body}
        story = self.header() + body[self.kind]()
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            author=self.provider,
            subject=f"{self.title} — {self.dossier} — {self.customer_id}",
            creator="Guichet",
            producer="Guichet",
            lang=self.language,
            displayDocTitle=1,
            invariant=1,  # no clock time nor random id: the same input gives the same bytes
        )
        document.build(story, onFirstPage=self.decorate_page, onLaterPages=self.decorate_page)
        return buffer.getvalue()


@lru_cache(maxsize=1)
def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle

    ink = colors.HexColor("#101828")
    accent = colors.HexColor("#1f4e79")
    muted = colors.HexColor("#667085")
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=13, textColor=ink, spaceAfter=4)
    return {
        "body": body,
        "justified": ParagraphStyle("justified", parent=body, alignment=TA_JUSTIFY),
        "provider": ParagraphStyle(
            "provider", parent=body, fontName="Helvetica-Bold", fontSize=17, leading=21, textColor=accent
        ),
        "title": ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=17),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=10.5,
            leading=14,
            textColor=accent,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "article": ParagraphStyle(
            "article", parent=body, fontName="Helvetica-Bold", spaceBefore=5, spaceAfter=2, keepWithNext=1
        ),
        "label": ParagraphStyle(
            "label", parent=body, fontSize=8.5, leading=11, textColor=muted, spaceAfter=0
        ),
        "value": ParagraphStyle("value", parent=body, leading=12, spaceAfter=0),
        "key": ParagraphStyle("key", parent=body, fontName="Helvetica-Bold", leading=12, spaceAfter=0),
        "signature": ParagraphStyle("signature", parent=body, fontName="Helvetica-Bold", spaceBefore=2),
        "note": ParagraphStyle(
            "note", parent=body, fontName="Helvetica-Oblique", fontSize=8.5, textColor=muted, spaceBefore=6
        ),
    }
