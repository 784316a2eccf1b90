// Guichet web portal: the customer's pages over the public API (API.md). No build step, no
// framework: every piece of data reaches the page through textContent, never as HTML.

const TEXT = {
  fr: {
    login: "Connexion", register: "Créer un compte", account: "Mon compte", logout: "Se déconnecter",
    login_title: "Accéder à mon espace client", login_name: "Identifiant client, e-mail ou téléphone",
    login_to_continue: "Connectez-vous pour continuer vers la page demandée.",
    session_expired: "Votre session a expiré : reconnectez-vous pour continuer.",
    offline: "Vous semblez hors ligne : vérifiez votre connexion à Internet, puis réessayez.",
    unexpected_answer: "Le service a répondu de façon inattendue. Réessayez dans un instant.",
    not_found_title: "Page introuvable", not_found_text: "Cette adresse ne correspond à aucune page de votre espace client.",
    back_home: "Retour à l'accueil",
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
    // subscriptions area
    nav_subscriptions: "Mes abonnements", nav_order: "Commander", nav_orders: "Mes commandes", nav_appointments: "Rendez-vous",
    subscriptions_title: "Mes abonnements", loading: "Chargement…", yes: "Oui", no: "Non",
    dashboard_expiring: "Arrivent à échéance", dashboard_to_configure: "À configurer", dashboard_orders: "Commandes en cours",
    nothing_here: "Rien à signaler.", renew: "Renouveler", configure: "Paramétrer",
    due_on: (date) => `échéance le ${date}`, order_number: (id) => `Commande n° ${id}`,
    search: "Rechercher", q: "Nom, libellé ou n° de dossier", family: "Famille", status: "État",
    all_families: "Toutes", all_statuses: "Tous", expiring_within_days: "Échéance dans les … jours",
    apply_filters: "Filtrer", reset_filters: "Tout afficher",
    col_subscription: "Abonnement", col_dossier: "Numéro de dossier", col_status: "État", col_remarks: "Remarques",
    col_renews: "Échéance", col_admin: "Gestion administrative", col_technical: "Gestion technique",
    modify: "Modifier mon abonnement", confirm_subscription: "Confirmer l'abonnement", technical_settings: "Paramétrage",
    auto_renew: "Renouvellement automatique", auto_renew_short: "renouvellement automatique",
    auto_renew_on: "Renouvellement automatique activé.", auto_renew_off: "Renouvellement automatique désactivé.",
    cancel_title: "Résilier l'abonnement", cancel_reason: "Motif de la résiliation", cancel_at: "Date d'effet",
    at_end_of_period: (date) => `À l'échéance (le ${date})`, at_immediately: "Immédiatement",
    submit_cancel: "Résilier", cancelled_notice: "Votre demande de résiliation est enregistrée.",
    cancel_planned: (date) => `Résiliation prévue le ${date}`, confirmed_notice: "Abonnement confirmé.",
    see_detail: "Voir le détail", close: "Fermer",
    no_subscriptions: "Vous n'avez pas encore d'abonnement.", no_match: "Aucun abonnement ne correspond à ces critères.",
    family_domain: "Domaines", family_website: "Sites Internet", family_hosting: "Hébergements",
    family_internet: "Accès Internet", family_mobile: "Mobiles", family_electricity: "Électricité",
    family_title_domain: "Gestion de vos domaines", family_title_website: "Gestion de vos sites Internet",
    family_title_hosting: "Gestion de vos hébergements", family_title_internet: "Gestion de vos accès Internet",
    family_title_mobile: "Gestion de vos lignes mobiles", family_title_electricity: "Gestion de vos contrats d'électricité",
    status_pending_confirmation: "en attente de confirmation", status_to_configure: "à configurer",
    status_active: "opérationnel", status_suspended: "suspendu", status_expired: "expiré", status_cancelled: "résilié",
    my_subscription: "Mon abonnement", dossier_number: "Numéro de dossier", product: "Produit", label: "Libellé",
    started_on: "Souscrit le", renews_on: "Échéance", price: "Tarif", commitment: "Engagement",
    commitment_text: (months) => months ? `Engagement ${months} mois` : "Sans engagement",
    per_month: "mois", per_year: "an",
    contract_title: "Mon contrat", contract_number: "Numéro de contrat", offer: "Offre", payment_mode: "Mode de paiement",
    payment_monthly: "Mensualisé", payment_per_invoice: "À chaque facture",
    pdl: "Point de livraison (PDL)", subscribed_power_kva: "Puissance souscrite", tariff_option: "Option tarifaire",
    tariff_base: "Base", tariff_off_peak: "Heures pleines / heures creuses", off_peak_hours: "Heures creuses",
    offer_base: "Essentielle", offer_virtual_storage: "Stockage virtuel", offer_surplus_resale: "Revente du surplus",
    offer_green: "Électricité verte", appointment_cta: "Prendre rendez-vous téléphonique avec un conseiller",
    documents: "Mes documents", download: "Télécharger",
    document_link: (time) => `Lien valable jusqu'à ${time} :`, open_document: "ouvrir le document",
    settings_title: "Paramétrage technique", settings_saved: "Paramétrage enregistré.",
    settings_after_confirmation: "Le paramétrage sera possible une fois l'abonnement confirmé.",
    settings_closed: "Cet abonnement n'est plus modifiable.",
    dns_servers: "Serveurs DNS", dns_servers_hint: "Un nom de serveur par ligne, de 2 à 6.",
    redirect_to: "Redirection vers (https://…, facultatif)", domain: "Nom de domaine", cms: "Outil de gestion du site (CMS)",
    cms_none: "Aucun", database_name: "Nom de la base de données",
    database_name_hint: "3 à 64 caractères : lettres minuscules, chiffres ou _, en commençant par une lettre.",
    php_version: "Version de PHP", dotnet_version: "Version de .NET", ssh_public_keys: "Clés SSH publiques (facultatif)",
    ssh_public_keys_hint: "Une clé OpenSSH par ligne.", wifi_ssid: "Nom du réseau Wi-Fi (SSID)",
    wifi_password: "Mot de passe Wi-Fi", wifi_password_hint: "De 8 à 63 caractères.", static_ip: "Adresse IP fixe",
    apn: "Point d'accès (APN)", roaming: "Itinérance à l'étranger", voicemail: "Messagerie vocale",
    consumption_alert_kwh: "Alerte de consommation (kWh par mois, facultatif)", monthly_report: "Bilan mensuel par e-mail",
    choose_option: "— choisir —",
    renew_title: "Renouveler", periods: "Durée", renew_submit: "Renouveler",
    period_count: (count, period) => period === "year" ? (count > 1 ? `${count} ans` : "1 an") : `${count} mois`,
    renewal_ordered: "Renouvellement commandé : il prendra effet après le paiement.",
    order_title: "Commander", choose: "Choisir", chosen: "Sélectionné", your_order: "Votre commande",
    order_label: "Libellé (facultatif)", order_label_hint: "Pour reconnaître cet abonnement, par exemple « Maison » ou le nom du site.",
    submit_order: "Commander", order_placed: "Commande enregistrée. Elle sera mise en service après le paiement.",
    domain_name: "Nom de domaine", domain_name_optional: "Nom de domaine (facultatif)",
    installation_address: "Adresse d'installation", port_in_number: "Numéro mobile à conserver (facultatif)",
    pdl_hint: "Les 14 chiffres du point de livraison, indiqués sur votre facture.",
    off_peak_hint: "Huit heures au total ; sans rien indiquer : 22:00 – 06:00.",
    period_n: (n) => `Période ${n}`, start: "début", end: "fin", no_products: "Aucun produit dans cette famille.",
    storage: (size) => `${size} d'espace`, battery: (kwh) => `Batterie virtuelle de ${kwh} kWh`,
    resale: (rate) => `Rachat du surplus à ${rate}/kWh`,
    allowance_GB: (n) => n == null ? "Internet illimité" : `${n} Go d'Internet`,
    allowance_min: (n) => n == null ? "Appels illimités" : `${n} min d'appels`,
    allowance_sms: (n) => n == null ? "SMS illimités" : `${n} SMS`,
    orders_title: "Mes commandes", no_orders: "Aucune commande pour le moment.", date: "Date", order_col: "Commande",
    kind: "Type", kind_purchase: "Achat", kind_renewal: "Renouvellement", products: "Produits", total: "Total",
    follow: "Suivre", order_history: "Suivi de la commande", amount: "Montant", duration: "Durée", created_at: "Passée le",
    order_status_received: "reçue", order_status_paid: "payée", order_status_provisioning: "en cours de mise en service",
    order_status_completed: "terminée", order_status_failed: "échouée", order_status_cancelled: "annulée",
    appointments_title: "Rendez-vous téléphonique",
    appointments_intro: "Un conseiller vous appelle au créneau choisi, pour 30 minutes, du lundi au vendredi.",
    my_appointments: "Mes rendez-vous", no_appointments: "Aucun rendez-vous prévu.", book_title: "Prendre rendez-vous",
    day: "Jour", time: "Heure", when: "Date et heure", topic: "Objet de l'appel", book: "Réserver ce créneau",
    booked: (when) => `Rendez-vous réservé : ${when}.`, cancel_appointment: "Annuler le rendez-vous",
    appointment_cancelled: "Rendez-vous annulé.", no_slots: "Aucun créneau libre dans les deux semaines à venir.",
    choose_slot: "Choisissez un créneau.", slots_count: (n) => `${n} créneau${n > 1 ? "x" : ""}`,
    // invoices area
    nav_invoices: "Mes factures", invoices_title: "Mes factures", tab_invoices: "Factures", tab_schedule: "Échéancier",
    tab_billing: "Coordonnées bancaires et préférences", period_from: "Du mois", period_to: "Au mois",
    all_kinds: "Tous", invoices_consultable: "Vos factures restent consultables 24 mois après leur émission.",
    col_number: "Numéro", col_kind: "Type", col_issued: "Émise le", col_period: "Période", col_total: "Montant TTC",
    col_amount_due: "Reste à payer", col_actions: "Actions", col_select: "Sélection",
    invoice_kind_invoice: "Facture", invoice_kind_credit_note: "Avoir", invoice_kind_resale: "Facture de revente",
    invoice_kind_regularization: "Facture de régularisation",
    invoice_status_open: "à payer", invoice_status_paid: "payée", invoice_status_overdue: "en retard", invoice_status_void: "annulée",
    pdf: "PDF", pdf_label: (number) => `Télécharger la facture ${number} (PDF)`,
    duplicate: "Duplicata", duplicate_label: (number) => `Demander un duplicata de la facture ${number}`,
    duplicate_limit: "Le nombre de duplicatas par facture et par jour est limité : réessayez demain.",
    pay: "Payer", pay_label: (number) => `Payer la facture ${number}`, more: "Afficher plus",
    no_invoices: "Aucune facture sur cette période.", select_invoice: (number) => `Sélectionner la facture ${number}`,
    pay_selection_title: "Régler plusieurs factures en un seul paiement",
    pay_selection_hint: "Cochez dans la liste les factures à régler.",
    selection_summary: (n, amount) => `${n} facture${n > 1 ? "s" : ""} sélectionnée${n > 1 ? "s" : ""} : ${amount}`,
    choose_invoices: "Sélectionnez au moins une facture à régler.",
    pay_amount: (amount) => `Payer ${amount}`, payment_method: "Moyen de paiement",
    method_card: "Carte bancaire", method_direct_debit: "Prélèvement automatique", method_check: "Chèque",
    method_tip: "TIP (titre interbancaire de paiement)", method_transfer: "Virement", method_credit: "Avoir déduit",
    card_number: "Numéro de carte",
    card_sandbox_hint: "Environnement de test local : 4242 4242 4242 4242 est acceptée, 4000 0000 0000 0002 est refusée.",
    card_stripe_hint: "Votre carte est saisie chez notre prestataire de paiement (Stripe) : son numéro ne nous parvient jamais.",
    payment_confirming: "Paiement authentifié : sa confirmation par la banque arrive, la facture sera marquée payée dans un instant.",
    debit_processing: "Prélèvement transmis à votre banque : la facture sera marquée payée quand elle l'aura accepté (quelques jours).",
    decline_authentication_failed: "l'authentification de la carte (3-D Secure) a échoué.", decline_generic_decline: "la carte a été refusée.",
    direct_debit_on: (iban) => `Prélèvement sur le compte ${iban}.`,
    no_bank_account_hint: "Pour payer par prélèvement, enregistrez d'abord vos coordonnées bancaires :",
    add_bank_link: "ajouter un IBAN",
    mail_payment_hint: "Les instructions d'envoi s'affichent après validation ; la facture reste à payer jusqu'à réception du règlement.",
    payment_succeeded: (amount, method) => `Paiement de ${amount} accepté (${method}). Merci !`,
    payment_declined: (reason) => `Paiement refusé : ${reason} Rien n'a été débité et la facture reste à payer ; vous pouvez réessayer avec une autre carte ou un autre moyen de paiement.`,
    decline_card_declined: "la carte a été refusée.", decline_insufficient_funds: "les fonds sont insuffisants.",
    decline_expired_card: "la carte a expiré.", decline_incorrect_cvc: "le code de sécurité de la carte est incorrect.",
    decline_invalid_card: "la carte n'est pas valide.", decline_account_closed: "le compte bancaire est clôturé.",
    decline_invalid_account: "le numéro de compte n'est pas valide.", decline_unknown: "le paiement n'a pas abouti.",
    retry_same: "La connexion a été interrompue. Réessayez : le même paiement ne sera pas compté deux fois.",
    instructions_title_check: "Votre paiement par chèque", instructions_title_tip: "Votre paiement par TIP",
    instructions_check: (amount) => `Envoyez un chèque de ${amount} à l'ordre ci-dessous, en inscrivant la référence au dos.`,
    instructions_tip: (amount) => `Datez et signez le TIP de ${amount} imprimé au bas de votre facture (PDF) et envoyez-le, avec un RIB la première fois, à l'adresse ci-dessous.`,
    payee: "À l'ordre de", payment_reference: "Référence à indiquer", send_to: "Adresse d'envoi", send_before: "À envoyer avant le",
    instructions_note: "La facture reste « à payer » jusqu'à la réception de votre règlement.",
    invoice_heading: (kind, number) => `${kind} n° ${number}`, invoice_summary: "Récapitulatif",
    issued_on: "Date d'émission", invoice_due_on: "Date d'échéance", billing_period: "Période de facturation",
    invoice_payment_mode: "Mode de règlement", related_order: "Commande", credited_invoice: "Avoir sur la facture",
    lines_title: "Détail de la facture", col_description: "Désignation", col_quantity: "Quantité", col_unit: "Unité",
    col_unit_price: "Prix unitaire HT", col_tax_rate: "TVA", col_total_excl: "Total HT",
    unit_month: "mois", unit_year: "an", unit_kwh: "kWh", unit_unit: "unité",
    vat_title: "TVA par taux", col_rate: "Taux", col_base: "Base HT", col_vat: "Montant de TVA",
    total_excl_tax: "Total HT", tax_total: "TVA", total_incl_tax: "Total TTC", already_paid: "Déjà réglé", amount_due: "Reste à payer",
    payments_title: "Paiements", no_payments: "Aucun paiement enregistré.",
    payment_status_succeeded: "accepté", payment_status_failed: "refusé", payment_status_pending: "en attente",
    pay_title: "Payer cette facture", paid_notice: "Cette facture est réglée.",
    void_notice: "Cette facture est annulée : il n'y a rien à payer.",
    resale_notice: "Facture de revente : c'est nous qui vous payons le surplus racheté, par virement.",
    credit_note_notice: "Avoir : rien à payer.",
    direct_debit_planned: (date) => `Cette facture sera prélevée automatiquement le ${date}. Vous pouvez aussi la régler dès maintenant.`,
    schedule_title: "Mon échéancier", schedule_year: (year) => `Échéancier ${year}`,
    estimated_annual: "Montant annuel estimé", regularization_on: "Facture de régularisation prévue le",
    consumption_billed: "Consommation réelle relevée à ce jour", collected_so_far: "Déjà prélevé",
    schedule_intro: "Mensualisé, vous payez chaque mois la même somme, prélevée à la date prévue. En fin d'année, la facture de régularisation compare votre consommation réelle aux mensualités versées.",
    installments_title: "Mensualités", col_installment: "N°", col_debit_on: "Date de prélèvement",
    installment_status_scheduled: "prévue", installment_status_paid: "prélevée", installment_status_failed: "rejetée",
    no_schedule_title: "Vous n'êtes pas mensualisé",
    no_schedule: "Vous réglez votre consommation à chaque facture : vous n'avez pas d'échéancier de mensualités. Retrouvez vos factures dans l'onglet « Factures ».",
    billing_title: "Coordonnées bancaires et préférences", bank_title: "Mes coordonnées bancaires",
    no_bank_account: "Aucune coordonnée bancaire enregistrée : ajoutez un IBAN pour régler vos factures par prélèvement automatique.",
    iban: "IBAN", bic: "BIC (facultatif)", holder: "Titulaire du compte", iban_masked: "IBAN", bic_code: "BIC",
    mandate_reference: "Référence du mandat SEPA", signed_on: "Mandat signé le",
    change_bank: "Modifier mes coordonnées bancaires", add_bank: "Ajouter mes coordonnées bancaires",
    iban_hint: "Espaces permis, par exemple FR76 3000 6000 0112 3456 7890 189.",
    bank_hint: "Enregistrer un compte signe un nouveau mandat de prélèvement SEPA, daté d'aujourd'hui ; une confirmation vous est envoyée par e-mail.",
    bank_saved: "Coordonnées bancaires enregistrées : un nouveau mandat de prélèvement est signé.",
    preferences_title: "Mes préférences de facturation",
    paperless: "Facture électronique : plus de facture papier par courrier",
    notify_new_invoice: "M'avertir par e-mail à chaque nouvelle facture", preferences_saved: "Préférences enregistrées.",
    invoice_status_refunded: "remboursé", invoice_status_to_refund: "à rembourser", payment_status_expired: "non reçu",
    pending_notice: "Un paiement de cette facture est en cours (chèque ou TIP en cours d'acheminement, carte en cours d'authentification ou prélèvement à la banque) : elle lui est réservée jusqu'à son aboutissement.",
    pending_badge: "règlement en attente",
    tip_needs_slip: "Le TIP se règle avec le titre imprimé au bas de la facture : choisissez le TIP dans vos préférences pour vos prochaines factures.",
    owed_notice: (amount) => `${amount} vous sont dus.`, carried_notice: "Ils seront déduits de votre prochaine facture.",
    refund_waiting: "Le remboursement est en cours.", refund_title: "Remboursement",
    refund_status_pending: "en cours", refund_status_succeeded: "effectué", refund_status_failed: "à refaire par nos services",
    refund_method_card: "sur votre carte", refund_method_transfer: "par virement", refund_method_check: "par chèque", refund_method_manual: "par nos services",
    installment_status_retrying: "rejetée, nouvel essai prévu", installment_status_paused: "suspendue",
    installment_status_skipped: "non prélevée (contrat suspendu)", installment_status_cancelled: "annulée (fin de contrat)",
    installment_status_collecting: "en cours", retry_on: (date) => `nouvel essai le ${date}`,
    preferred_method: "Mode de paiement de mes prochaines factures",
    preferred_method_hint: "Par TIP, le titre à signer est imprimé au bas de chaque facture ; le prélèvement demande des coordonnées bancaires.",
    // consumption area
    nav_consumption: "Ma conso", nav_surplus: "Mon surplus", meter_title: (id) => `Compteur ${id}`,
    meters_label: "Mes compteurs", month: "Mois", year: "Année",
    no_meters: "Aucun compteur ni forfait mobile à suivre pour le moment.",
    steps_label: "Pas de temps", step_month: "Par mois", step_day: "Par jour", step_hour: "Par heure", step_half_hour: "Par demi-heure",
    period_shown: "Période affichée", from_day: "Du", to_day: "Au", show: "Afficher",
    previous_period: "‹ Période précédente", next_period: "Période suivante ›",
    consumed: "Consommation", peak_hours: "Heures pleines", injected: "Injection sur le réseau",
    chart_label: (step, from, to, total) => `Consommation ${step} du ${from} au ${to} : ${total} au total. Le détail est dans le tableau des valeurs.`,
    chart_table: "Voir les valeurs en tableau", no_reading: "pas de relevé", partial: "relevés incomplets",
    detail_label: (when) => `Voir le détail : ${when}`, download_csv: "Télécharger (CSV)",
    download_csv_label: (from, to) => `Télécharger les relevés par demi-heure du ${from} au ${to} (CSV)`,
    summary_title: "Bilan mois par mois", year_total: (year) => `Total ${year}`, estimated: "estimé",
    estimated_hint: "« estimé » : des relevés du mois manquent encore ; le gestionnaire de réseau les enverra ou les estimera.",
    no_months: "Aucun mois à afficher pour le moment.",
    battery_title: "Ma batterie virtuelle", battery_charge: "Niveau de charge",
    battery_intro: "Le surplus de votre production est stocké chaque mois dans votre batterie virtuelle, puis restitué sur votre consommation.",
    battery_level: (level, capacity) => `${level} sur ${capacity}`,
    stored: "Stocké", restored: "Restitué", level_end: "Niveau en fin de mois",
    kitty: "Ma cagnotte", kitty_intro: "Le surplus injecté sur le réseau vous est racheté ; votre cagnotte est mise à jour chaque mois.",
    surplus_months: "Surplus injecté mois par mois", rate_per_kwh: "Tarif par kWh", credited: "Crédité",
    no_surplus: "Vous n'avez pas d'offre de revente du surplus.",
    mobile_title: "Ma consommation mobile", usage_period: (range) => `Période en cours : ${range}`, mobile_line: (id) => `Ligne ${id}`,
    allowance_name_GB: "Internet mobile", allowance_name_min: "Appels", allowance_name_sms: "SMS",
    usage_of: (used, included) => `${used} sur ${included}`, unlimited: "illimité", remaining: (left) => `reste ${left}`,
    out_of_plan: "Hors forfait", unit_gb: "Go", unit_min: "min", unit_sms: "SMS",
  },
  en: {
    login: "Log in", register: "Create an account", account: "My account", logout: "Log out",
    login_title: "Access my customer area", login_name: "Customer ID, email or phone",
    login_to_continue: "Log in to go on to the page you asked for.",
    session_expired: "Your session has expired: log in again to go on.",
    offline: "You seem to be offline: check your Internet connection, then try again.",
    unexpected_answer: "The service gave an unexpected answer. Try again in a moment.",
    not_found_title: "Page not found", not_found_text: "This address matches no page of your customer area.",
    back_home: "Back to the home page",
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
    // subscriptions area
    nav_subscriptions: "My subscriptions", nav_order: "Order", nav_orders: "My orders", nav_appointments: "Appointments",
    subscriptions_title: "My subscriptions", loading: "Loading…", yes: "Yes", no: "No",
    dashboard_expiring: "Expiring soon", dashboard_to_configure: "To configure", dashboard_orders: "Orders in progress",
    nothing_here: "Nothing to report.", renew: "Renew", configure: "Configure",
    due_on: (date) => `due on ${date}`, order_number: (id) => `Order no. ${id}`,
    search: "Search", q: "Name, label or reference", family: "Family", status: "Status",
    all_families: "All", all_statuses: "All", expiring_within_days: "Due within … days",
    apply_filters: "Filter", reset_filters: "Show all",
    col_subscription: "Subscription", col_dossier: "Reference", col_status: "Status", col_remarks: "Remarks",
    col_renews: "Due date", col_admin: "Administration", col_technical: "Technical",
    modify: "Change my subscription", confirm_subscription: "Confirm the subscription", technical_settings: "Settings",
    auto_renew: "Automatic renewal", auto_renew_short: "automatic renewal",
    auto_renew_on: "Automatic renewal turned on.", auto_renew_off: "Automatic renewal turned off.",
    cancel_title: "Cancel the subscription", cancel_reason: "Reason for cancelling", cancel_at: "Takes effect",
    at_end_of_period: (date) => `At the end of the period (${date})`, at_immediately: "Immediately",
    submit_cancel: "Cancel it", cancelled_notice: "Your cancellation is recorded.",
    cancel_planned: (date) => `Cancellation planned on ${date}`, confirmed_notice: "Subscription confirmed.",
    see_detail: "See details", close: "Close",
    no_subscriptions: "You have no subscription yet.", no_match: "No subscription matches these criteria.",
    family_domain: "Domains", family_website: "Websites", family_hosting: "Hosting",
    family_internet: "Internet access", family_mobile: "Mobile", family_electricity: "Electricity",
    family_title_domain: "Your domains", family_title_website: "Your websites",
    family_title_hosting: "Your hosting", family_title_internet: "Your internet access",
    family_title_mobile: "Your mobile lines", family_title_electricity: "Your electricity contracts",
    status_pending_confirmation: "awaiting confirmation", status_to_configure: "to configure",
    status_active: "active", status_suspended: "suspended", status_expired: "expired", status_cancelled: "cancelled",
    my_subscription: "My subscription", dossier_number: "Reference", product: "Product", label: "Label",
    started_on: "Started on", renews_on: "Due date", price: "Price", commitment: "Commitment",
    commitment_text: (months) => months ? `${months}-month commitment` : "No commitment",
    per_month: "month", per_year: "year",
    contract_title: "My contract", contract_number: "Contract number", offer: "Offer", payment_mode: "Payment",
    payment_monthly: "Monthly instalments", payment_per_invoice: "Per invoice",
    pdl: "Delivery point (PDL)", subscribed_power_kva: "Subscribed power", tariff_option: "Tariff option",
    tariff_base: "Base", tariff_off_peak: "Peak / off-peak", off_peak_hours: "Off-peak hours",
    offer_base: "Essential", offer_virtual_storage: "Virtual storage", offer_surplus_resale: "Surplus resale",
    offer_green: "Green electricity", appointment_cta: "Book a phone appointment with an advisor",
    documents: "My documents", download: "Download",
    document_link: (time) => `Link valid until ${time}:`, open_document: "open the document",
    settings_title: "Technical settings", settings_saved: "Settings saved.",
    settings_after_confirmation: "Settings can be given once the subscription is confirmed.",
    settings_closed: "This subscription can no longer be changed.",
    dns_servers: "DNS servers", dns_servers_hint: "One server name per line, 2 to 6.",
    redirect_to: "Redirect to (https://…, optional)", domain: "Domain name", cms: "Content management system (CMS)",
    cms_none: "None", database_name: "Database name",
    database_name_hint: "3 to 64 characters: lowercase letters, digits or _, starting with a letter.",
    php_version: "PHP version", dotnet_version: ".NET version", ssh_public_keys: "SSH public keys (optional)",
    ssh_public_keys_hint: "One OpenSSH key per line.", wifi_ssid: "Wi-Fi network name (SSID)",
    wifi_password: "Wi-Fi password", wifi_password_hint: "8 to 63 characters.", static_ip: "Static IP address",
    apn: "Access point (APN)", roaming: "Roaming abroad", voicemail: "Voicemail",
    consumption_alert_kwh: "Consumption alert (kWh per month, optional)", monthly_report: "Monthly report by email",
    choose_option: "— choose —",
    renew_title: "Renew", periods: "Duration", renew_submit: "Renew",
    period_count: (count, period) => `${count} ${period === "year" ? "year" : "month"}${count > 1 ? "s" : ""}`,
    renewal_ordered: "Renewal ordered: it takes effect once paid.",
    order_title: "Order", choose: "Choose", chosen: "Selected", your_order: "Your order",
    order_label: "Label (optional)", order_label_hint: "To recognise this subscription, e.g. “Home” or the name of the site.",
    submit_order: "Place the order", order_placed: "Order placed. It is set up once paid.",
    domain_name: "Domain name", domain_name_optional: "Domain name (optional)",
    installation_address: "Installation address", port_in_number: "Mobile number to keep (optional)",
    pdl_hint: "The 14 digits of the delivery point, printed on your bill.",
    off_peak_hint: "Eight hours in all; left empty: 22:00 – 06:00.",
    period_n: (n) => `Period ${n}`, start: "start", end: "end", no_products: "No product in this family.",
    storage: (size) => `${size} of space`, battery: (kwh) => `Virtual battery of ${kwh} kWh`,
    resale: (rate) => `Surplus bought at ${rate}/kWh`,
    allowance_GB: (n) => n == null ? "Unlimited data" : `${n} GB of data`,
    allowance_min: (n) => n == null ? "Unlimited calls" : `${n} min of calls`,
    allowance_sms: (n) => n == null ? "Unlimited texts" : `${n} texts`,
    orders_title: "My orders", no_orders: "No order yet.", date: "Date", order_col: "Order",
    kind: "Type", kind_purchase: "Purchase", kind_renewal: "Renewal", products: "Products", total: "Total",
    follow: "Track", order_history: "Order tracking", amount: "Amount", duration: "Duration", created_at: "Placed on",
    order_status_received: "received", order_status_paid: "paid", order_status_provisioning: "being set up",
    order_status_completed: "completed", order_status_failed: "failed", order_status_cancelled: "cancelled",
    appointments_title: "Phone appointment",
    appointments_intro: "An advisor calls you at the chosen time, for 30 minutes, Monday to Friday.",
    my_appointments: "My appointments", no_appointments: "No appointment planned.", book_title: "Book an appointment",
    day: "Day", time: "Time", when: "Date and time", topic: "Subject of the call", book: "Book this slot",
    booked: (when) => `Appointment booked: ${when}.`, cancel_appointment: "Cancel the appointment",
    appointment_cancelled: "Appointment cancelled.", no_slots: "No free slot in the next two weeks.",
    choose_slot: "Choose a slot.", slots_count: (n) => `${n} slot${n > 1 ? "s" : ""}`,
    // invoices area
    nav_invoices: "My invoices", invoices_title: "My invoices", tab_invoices: "Invoices", tab_schedule: "Payment schedule",
    tab_billing: "Bank details and preferences", period_from: "From month", period_to: "To month",
    all_kinds: "All", invoices_consultable: "Your invoices can be consulted for 24 months after they are issued.",
    col_number: "Number", col_kind: "Type", col_issued: "Issued on", col_period: "Period", col_total: "Total incl. VAT",
    col_amount_due: "Amount due", col_actions: "Actions", col_select: "Selection",
    invoice_kind_invoice: "Invoice", invoice_kind_credit_note: "Credit note", invoice_kind_resale: "Resale invoice",
    invoice_kind_regularization: "Regularization invoice",
    invoice_status_open: "to pay", invoice_status_paid: "paid", invoice_status_overdue: "overdue", invoice_status_void: "void",
    pdf: "PDF", pdf_label: (number) => `Download invoice ${number} (PDF)`,
    duplicate: "Duplicate", duplicate_label: (number) => `Request a duplicate of invoice ${number}`,
    duplicate_limit: "Duplicates of an invoice are limited per day: try again tomorrow.",
    pay: "Pay", pay_label: (number) => `Pay invoice ${number}`, more: "Show more",
    no_invoices: "No invoice in this period.", select_invoice: (number) => `Select invoice ${number}`,
    pay_selection_title: "Pay several invoices in one payment",
    pay_selection_hint: "Tick the invoices to pay in the list.",
    selection_summary: (n, amount) => `${n} invoice${n > 1 ? "s" : ""} selected: ${amount}`,
    choose_invoices: "Select at least one invoice to pay.",
    pay_amount: (amount) => `Pay ${amount}`, payment_method: "Payment method",
    method_card: "Card", method_direct_debit: "Direct debit", method_check: "Cheque",
    method_tip: "TIP (interbank payment slip)", method_transfer: "Bank transfer", method_credit: "Credit deducted",
    card_number: "Card number",
    card_sandbox_hint: "Local sandbox: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.",
    card_stripe_hint: "Your card is entered with our payment provider (Stripe): its number never reaches us.",
    payment_confirming: "Payment authenticated: the bank's confirmation is on its way, the invoice will show paid in a moment.",
    debit_processing: "Direct debit sent to your bank: the invoice will show paid once it accepts it (a few days).",
    decline_authentication_failed: "the card's authentication (3-D Secure) failed.", decline_generic_decline: "the card was declined.",
    direct_debit_on: (iban) => `Debited from account ${iban}.`,
    no_bank_account_hint: "To pay by direct debit, first save your bank details:",
    add_bank_link: "add an IBAN",
    mail_payment_hint: "What to send, and where, is shown once you confirm; the invoice stays to pay until the payment arrives.",
    payment_succeeded: (amount, method) => `Payment of ${amount} accepted (${method}). Thank you!`,
    payment_declined: (reason) => `Payment declined: ${reason} Nothing was charged and the invoice is still to pay; you can try again with another card or another payment method.`,
    decline_card_declined: "the card was declined.", decline_insufficient_funds: "the funds are insufficient.",
    decline_expired_card: "the card has expired.", decline_incorrect_cvc: "the card's security code is incorrect.",
    decline_invalid_card: "the card is not valid.", decline_account_closed: "the bank account is closed.",
    decline_invalid_account: "the account number is not valid.", decline_unknown: "the payment did not go through.",
    retry_same: "The connection was interrupted. Try again: the same payment will not be counted twice.",
    instructions_title_check: "Your payment by cheque", instructions_title_tip: "Your payment by TIP",
    instructions_check: (amount) => `Send a cheque for ${amount} payable as below, with the reference written on the back.`,
    instructions_tip: (amount) => `Date and sign the TIP for ${amount} printed at the bottom of your invoice (PDF) and send it, with your bank details the first time, to the address below.`,
    payee: "Payable to", payment_reference: "Reference to quote", send_to: "Send to", send_before: "Send before",
    instructions_note: "The invoice stays “to pay” until your payment arrives.",
    invoice_heading: (kind, number) => `${kind} no. ${number}`, invoice_summary: "Summary",
    issued_on: "Issued on", invoice_due_on: "Due date", billing_period: "Billing period",
    invoice_payment_mode: "Payment method", related_order: "Order", credited_invoice: "Credits invoice",
    lines_title: "Invoice details", col_description: "Description", col_quantity: "Quantity", col_unit: "Unit",
    col_unit_price: "Unit price excl. VAT", col_tax_rate: "VAT", col_total_excl: "Total excl. VAT",
    unit_month: "month", unit_year: "year", unit_kwh: "kWh", unit_unit: "unit",
    vat_title: "VAT by rate", col_rate: "Rate", col_base: "Taxable amount", col_vat: "VAT amount",
    total_excl_tax: "Total excl. VAT", tax_total: "VAT", total_incl_tax: "Total incl. VAT", already_paid: "Already paid", amount_due: "Amount due",
    payments_title: "Payments", no_payments: "No payment recorded.",
    payment_status_succeeded: "succeeded", payment_status_failed: "declined", payment_status_pending: "pending",
    pay_title: "Pay this invoice", paid_notice: "This invoice is paid.",
    void_notice: "This invoice is void: there is nothing to pay.",
    resale_notice: "Resale invoice: we pay you for the surplus we buy, by bank transfer.",
    credit_note_notice: "Credit note: nothing to pay.",
    direct_debit_planned: (date) => `This invoice will be debited automatically on ${date}. You can also pay it now.`,
    schedule_title: "My payment schedule", schedule_year: (year) => `Payment schedule ${year}`,
    estimated_annual: "Estimated annual amount", regularization_on: "Regularization invoice planned on",
    consumption_billed: "Actual consumption read so far", collected_so_far: "Collected so far",
    schedule_intro: "As a monthly payer you pay the same amount each month, debited on the planned date. At the end of the year, the regularization invoice compares your actual consumption with the instalments paid.",
    installments_title: "Monthly instalments", col_installment: "No.", col_debit_on: "Debit date",
    installment_status_scheduled: "scheduled", installment_status_paid: "collected", installment_status_failed: "failed",
    no_schedule_title: "You do not pay monthly",
    no_schedule: "You pay your consumption with each invoice: you have no schedule of monthly instalments. Your invoices are under “Invoices”.",
    billing_title: "Bank details and preferences", bank_title: "My bank details",
    no_bank_account: "No bank details saved: add an IBAN to pay your invoices by direct debit.",
    iban: "IBAN", bic: "BIC (optional)", holder: "Account holder", iban_masked: "IBAN", bic_code: "BIC",
    mandate_reference: "SEPA mandate reference", signed_on: "Mandate signed on",
    change_bank: "Change my bank details", add_bank: "Add my bank details",
    iban_hint: "Spaces allowed, e.g. FR76 3000 6000 0112 3456 7890 189.",
    bank_hint: "Saving an account signs a new SEPA direct debit mandate, dated today; a confirmation is emailed to you.",
    bank_saved: "Bank details saved: a new direct debit mandate is signed.",
    preferences_title: "My billing preferences",
    paperless: "Paperless billing: no more paper invoice by post",
    notify_new_invoice: "Email me about each new invoice", preferences_saved: "Preferences saved.",
    invoice_status_refunded: "refunded", invoice_status_to_refund: "to be refunded", payment_status_expired: "not received",
    pending_notice: "A payment of this invoice is under way (a cheque or TIP on its way, a card being authenticated or a direct debit at the bank): the invoice is kept for it until it ends.",
    pending_badge: "payment on its way",
    tip_needs_slip: "A TIP is paid with the slip printed at the bottom of the invoice: choose TIP in your preferences for your next invoices.",
    owed_notice: (amount) => `${amount} is owed to you.`, carried_notice: "It will be deducted from your next invoice.",
    refund_waiting: "The refund is under way.", refund_title: "Refund",
    refund_status_pending: "under way", refund_status_succeeded: "made", refund_status_failed: "to be made again by our team",
    refund_method_card: "to your card", refund_method_transfer: "by bank transfer", refund_method_check: "by cheque", refund_method_manual: "by our team",
    installment_status_retrying: "returned, new attempt planned", installment_status_paused: "paused",
    installment_status_skipped: "not collected (contract suspended)", installment_status_cancelled: "cancelled (contract ended)",
    installment_status_collecting: "under way", retry_on: (date) => `new attempt on ${date}`,
    preferred_method: "How I pay my next invoices",
    preferred_method_hint: "By TIP, the slip to sign is printed at the bottom of each invoice; direct debit needs bank details.",
    // consumption area
    nav_consumption: "My consumption", nav_surplus: "My surplus", meter_title: (id) => `Meter ${id}`,
    meters_label: "My meters", month: "Month", year: "Year",
    no_meters: "No meter or mobile plan to follow yet.",
    steps_label: "Time step", step_month: "By month", step_day: "By day", step_hour: "By hour", step_half_hour: "By half-hour",
    period_shown: "Period shown", from_day: "From", to_day: "To", show: "Show",
    previous_period: "‹ Previous period", next_period: "Next period ›",
    consumed: "Consumption", peak_hours: "Peak hours", injected: "Fed into the grid",
    chart_label: (step, from, to, total) => `Consumption ${step} from ${from} to ${to}: ${total} in all. The values are in the table that follows.`,
    chart_table: "Show the values as a table", no_reading: "no reading", partial: "incomplete readings",
    detail_label: (when) => `See the detail: ${when}`, download_csv: "Download (CSV)",
    download_csv_label: (from, to) => `Download the half-hourly readings from ${from} to ${to} (CSV)`,
    summary_title: "Month by month", year_total: (year) => `Total ${year}`, estimated: "estimated",
    estimated_hint: "“estimated”: some readings of the month are still missing; the grid operator will send or estimate them.",
    no_months: "No month to show yet.",
    battery_title: "My virtual battery", battery_charge: "Charge level",
    battery_intro: "The surplus you produce is stored in your virtual battery each month, then given back against your consumption.",
    battery_level: (level, capacity) => `${level} of ${capacity}`,
    stored: "Stored", restored: "Given back", level_end: "Level at the end of the month",
    kitty: "My kitty", kitty_intro: "The surplus fed into the grid is bought from you; your kitty is updated every month.",
    surplus_months: "Surplus fed into the grid, month by month", rate_per_kwh: "Rate per kWh", credited: "Credited",
    no_surplus: "You have no surplus resale offer.",
    mobile_title: "My mobile usage", usage_period: (range) => `Current period: ${range}`, mobile_line: (id) => `Line ${id}`,
    allowance_name_GB: "Mobile data", allowance_name_min: "Calls", allowance_name_sms: "Texts",
    usage_of: (used, included) => `${used} of ${included}`, unlimited: "unlimited", remaining: (left) => `${left} left`,
    out_of_plan: "Out of plan", unit_gb: "GB", unit_min: "min", unit_sms: "texts",
  },
  it: {
    login: "Accedi", register: "Crea un account", account: "Il mio account", logout: "Esci",
    login_title: "Accedere all'Area Clienti", login_name: "Codice cliente, email o telefono",
    login_to_continue: "Acceda per proseguire verso la pagina richiesta.",
    session_expired: "La sessione è scaduta: acceda di nuovo per proseguire.",
    offline: "Sembra che lei sia offline: verifichi la connessione a Internet, poi riprovi.",
    unexpected_answer: "Il servizio ha risposto in modo inatteso. Riprovi tra un momento.",
    not_found_title: "Pagina non trovata", not_found_text: "Questo indirizzo non corrisponde ad alcuna pagina della sua Area Clienti.",
    back_home: "Torna alla pagina iniziale",
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
    // subscriptions area
    nav_subscriptions: "I miei abbonamenti", nav_order: "Acquista", nav_orders: "I miei ordini", nav_appointments: "Appuntamenti",
    subscriptions_title: "I miei abbonamenti", loading: "Caricamento…", yes: "Sì", no: "No",
    dashboard_expiring: "In scadenza", dashboard_to_configure: "Da configurare", dashboard_orders: "Ordini in corso",
    nothing_here: "Niente da segnalare.", renew: "Rinnova", configure: "Configura",
    due_on: (date) => `scadenza il ${date}`, order_number: (id) => `Ordine n. ${id}`,
    search: "Cerca", q: "Nome, etichetta o n. di pratica", family: "Famiglia", status: "Stato",
    all_families: "Tutte", all_statuses: "Tutti", expiring_within_days: "In scadenza entro … giorni",
    apply_filters: "Filtra i prodotti", reset_filters: "Mostra tutto",
    col_subscription: "Abbonamento", col_dossier: "Numero di pratica", col_status: "Stato", col_remarks: "Note",
    col_renews: "Scadenza", col_admin: "Gestione amministrativa", col_technical: "Gestione tecnica",
    modify: "Modifica l'abbonamento", confirm_subscription: "Conferma l'abbonamento", technical_settings: "Configurazione",
    auto_renew: "Rinnovo automatico", auto_renew_short: "rinnovo automatico",
    auto_renew_on: "Rinnovo automatico attivato.", auto_renew_off: "Rinnovo automatico disattivato.",
    cancel_title: "Disdire l'abbonamento", cancel_reason: "Motivo della disdetta", cancel_at: "Decorrenza",
    at_end_of_period: (date) => `Alla scadenza (il ${date})`, at_immediately: "Subito",
    submit_cancel: "Disdici", cancelled_notice: "La Sua disdetta è registrata.",
    cancel_planned: (date) => `Disdetta prevista il ${date}`, confirmed_notice: "Abbonamento confermato.",
    see_detail: "Vedi dettagli", close: "Chiudi",
    no_subscriptions: "Non ha ancora nessun abbonamento.", no_match: "Nessun abbonamento corrisponde a questi criteri.",
    family_domain: "Domini", family_website: "Siti Internet", family_hosting: "Hosting",
    family_internet: "Accesso Internet", family_mobile: "Mobile", family_electricity: "Elettricità",
    family_title_domain: "Gestione dei Suoi domini", family_title_website: "Gestione dei Suoi siti Internet",
    family_title_hosting: "Gestione dei Suoi hosting", family_title_internet: "Gestione dei Suoi accessi Internet",
    family_title_mobile: "Gestione delle Sue linee mobili", family_title_electricity: "Gestione dei Suoi contratti di elettricità",
    status_pending_confirmation: "in attesa di conferma", status_to_configure: "da configurare",
    status_active: "attivo", status_suspended: "sospeso", status_expired: "scaduto", status_cancelled: "disdetto",
    my_subscription: "Il mio abbonamento", dossier_number: "Numero di pratica", product: "Prodotto", label: "Etichetta",
    started_on: "Sottoscritto il", renews_on: "Scadenza", price: "Prezzo", commitment: "Vincolo",
    commitment_text: (months) => months ? `Vincolo di ${months} mesi` : "Senza vincolo",
    per_month: "mese", per_year: "anno",
    contract_title: "Il mio contratto", contract_number: "Numero di contratto", offer: "Offerta", payment_mode: "Pagamento",
    payment_monthly: "Rate mensili", payment_per_invoice: "A ogni fattura",
    pdl: "Punto di fornitura (PDL)", subscribed_power_kva: "Potenza impegnata", tariff_option: "Opzione tariffaria",
    tariff_base: "Monoraria", tariff_off_peak: "Bioraria (ore piene / ore vuote)", off_peak_hours: "Ore vuote",
    offer_base: "Essenziale", offer_virtual_storage: "Accumulo virtuale", offer_surplus_resale: "Rivendita dell'eccedenza",
    offer_green: "Elettricità verde", appointment_cta: "Prendere un appuntamento telefonico con un consulente",
    documents: "I miei documenti", download: "Scarica",
    document_link: (time) => `Link valido fino alle ${time}:`, open_document: "aprire il documento",
    settings_title: "Configurazione tecnica", settings_saved: "Configurazione salvata.",
    settings_after_confirmation: "La configurazione sarà possibile dopo la conferma dell'abbonamento.",
    settings_closed: "Questo abbonamento non è più modificabile.",
    dns_servers: "Server DNS", dns_servers_hint: "Un nome di server per riga, da 2 a 6.",
    redirect_to: "Reindirizzamento a (https://…, facoltativo)", domain: "Nome di dominio", cms: "Sistema di gestione del sito (CMS)",
    cms_none: "Nessuno", database_name: "Nome del database",
    database_name_hint: "Da 3 a 64 caratteri: lettere minuscole, cifre o _, iniziando con una lettera.",
    php_version: "Versione di PHP", dotnet_version: "Versione di .NET", ssh_public_keys: "Chiavi SSH pubbliche (facoltative)",
    ssh_public_keys_hint: "Una chiave OpenSSH per riga.", wifi_ssid: "Nome della rete Wi-Fi (SSID)",
    wifi_password: "Password Wi-Fi", wifi_password_hint: "Da 8 a 63 caratteri.", static_ip: "Indirizzo IP statico",
    apn: "Punto di accesso (APN)", roaming: "Roaming all'estero", voicemail: "Segreteria telefonica",
    consumption_alert_kwh: "Avviso di consumo (kWh al mese, facoltativo)", monthly_report: "Resoconto mensile via email",
    choose_option: "— scegliere —",
    renew_title: "Rinnova", periods: "Durata", renew_submit: "Rinnova",
    period_count: (count, period) => period === "year" ? (count > 1 ? `${count} anni` : "1 anno") : (count > 1 ? `${count} mesi` : "1 mese"),
    renewal_ordered: "Rinnovo ordinato: sarà effettivo dopo il pagamento.",
    order_title: "Acquista", choose: "Scegli", chosen: "Selezionato", your_order: "Il Suo ordine",
    order_label: "Etichetta (facoltativa)", order_label_hint: "Per riconoscere l'abbonamento, ad esempio «Casa» o il nome del sito.",
    submit_order: "Ordina", order_placed: "Ordine registrato. Sarà attivato dopo il pagamento.",
    domain_name: "Nome di dominio", domain_name_optional: "Nome di dominio (facoltativo)",
    installation_address: "Indirizzo di installazione", port_in_number: "Numero mobile da mantenere (facoltativo)",
    pdl_hint: "Le 14 cifre del punto di fornitura, indicate in bolletta.",
    off_peak_hint: "Otto ore in tutto; se vuoto: 22:00 – 06:00.",
    period_n: (n) => `Fascia ${n}`, start: "inizio", end: "fine", no_products: "Nessun prodotto in questa famiglia.",
    storage: (size) => `${size} di spazio`, battery: (kwh) => `Batteria virtuale da ${kwh} kWh`,
    resale: (rate) => `Eccedenza acquistata a ${rate}/kWh`,
    allowance_GB: (n) => n == null ? "Internet illimitato" : `${n} GB di Internet`,
    allowance_min: (n) => n == null ? "Chiamate illimitate" : `${n} min di chiamate`,
    allowance_sms: (n) => n == null ? "SMS illimitati" : `${n} SMS`,
    orders_title: "I miei ordini", no_orders: "Nessun ordine per ora.", date: "Data", order_col: "Ordine",
    kind: "Tipo", kind_purchase: "Acquisto", kind_renewal: "Rinnovo", products: "Prodotti", total: "Totale",
    follow: "Segui", order_history: "Stato dell'ordine", amount: "Importo", duration: "Durata", created_at: "Effettuato il",
    order_status_received: "ricevuto", order_status_paid: "pagato", order_status_provisioning: "in attivazione",
    order_status_completed: "completato", order_status_failed: "non riuscito", order_status_cancelled: "annullato",
    appointments_title: "Appuntamento telefonico",
    appointments_intro: "Un consulente La chiama all'orario scelto, per 30 minuti, dal lunedì al venerdì.",
    my_appointments: "I miei appuntamenti", no_appointments: "Nessun appuntamento previsto.", book_title: "Prendere un appuntamento",
    day: "Giorno", time: "Ora", when: "Data e ora", topic: "Oggetto della chiamata", book: "Prenota questo orario",
    booked: (when) => `Appuntamento prenotato: ${when}.`, cancel_appointment: "Annulla l'appuntamento",
    appointment_cancelled: "Appuntamento annullato.", no_slots: "Nessun orario libero nelle prossime due settimane.",
    choose_slot: "Scelga un orario.", slots_count: (n) => `${n} ${n > 1 ? "orari" : "orario"}`,
    // invoices area
    nav_invoices: "Le mie fatture", invoices_title: "Le mie fatture", tab_invoices: "Fatture", tab_schedule: "Piano rate",
    tab_billing: "Coordinate bancarie e preferenze", period_from: "Dal mese", period_to: "Al mese",
    all_kinds: "Tutti", invoices_consultable: "Le fatture sono consultabili per 24 mesi dopo l'emissione.",
    col_number: "Numero", col_kind: "Tipo", col_issued: "Emessa il", col_period: "Periodo", col_total: "Totale IVA incl.",
    col_amount_due: "Da pagare", col_actions: "Azioni", col_select: "Selezione",
    invoice_kind_invoice: "Fattura", invoice_kind_credit_note: "Nota di credito", invoice_kind_resale: "Fattura di rivendita",
    invoice_kind_regularization: "Fattura di conguaglio",
    invoice_status_open: "da pagare", invoice_status_paid: "pagata", invoice_status_overdue: "scaduta", invoice_status_void: "annullata",
    pdf: "PDF", pdf_label: (number) => `Scarica la fattura ${number} (PDF)`,
    duplicate: "Duplicato", duplicate_label: (number) => `Richiedi un duplicato della fattura ${number}`,
    duplicate_limit: "I duplicati di una fattura sono limitati al giorno: riprovi domani.",
    pay: "Paga", pay_label: (number) => `Paga la fattura ${number}`, more: "Mostra altre",
    no_invoices: "Nessuna fattura in questo periodo.", select_invoice: (number) => `Seleziona la fattura ${number}`,
    pay_selection_title: "Pagare più fatture con un solo pagamento",
    pay_selection_hint: "Selezioni nell'elenco le fatture da pagare.",
    selection_summary: (n, amount) => `${n} ${n > 1 ? "fatture selezionate" : "fattura selezionata"}: ${amount}`,
    choose_invoices: "Selezioni almeno una fattura da pagare.",
    pay_amount: (amount) => `Paga ${amount}`, payment_method: "Metodo di pagamento",
    method_card: "Carta di pagamento", method_direct_debit: "Addebito diretto", method_check: "Assegno",
    method_tip: "TIP (titolo interbancario di pagamento)", method_transfer: "Bonifico", method_credit: "Credito dedotto",
    card_number: "Numero della carta",
    card_sandbox_hint: "Ambiente di prova locale: 4242 4242 4242 4242 viene accettata, 4000 0000 0000 0002 viene rifiutata.",
    card_stripe_hint: "La carta viene inserita presso il nostro fornitore di pagamento (Stripe): il suo numero non ci arriva mai.",
    payment_confirming: "Pagamento autenticato: la conferma della banca è in arrivo, la fattura risulterà pagata tra un istante.",
    debit_processing: "Addebito trasmesso alla Sua banca: la fattura risulterà pagata quando lo avrà accettato (alcuni giorni).",
    decline_authentication_failed: "l'autenticazione della carta (3-D Secure) non è riuscita.", decline_generic_decline: "la carta è stata rifiutata.",
    direct_debit_on: (iban) => `Addebito sul conto ${iban}.`,
    no_bank_account_hint: "Per pagare con addebito diretto, registri prima le Sue coordinate bancarie:",
    add_bank_link: "aggiungere un IBAN",
    mail_payment_hint: "Le istruzioni di invio compaiono dopo la conferma; la fattura resta da pagare fino alla ricezione del pagamento.",
    payment_succeeded: (amount, method) => `Pagamento di ${amount} accettato (${method}). Grazie!`,
    payment_declined: (reason) => `Pagamento rifiutato: ${reason} Non è stato addebitato nulla e la fattura resta da pagare; può riprovare con un'altra carta o un altro metodo di pagamento.`,
    decline_card_declined: "la carta è stata rifiutata.", decline_insufficient_funds: "i fondi sono insufficienti.",
    decline_expired_card: "la carta è scaduta.", decline_incorrect_cvc: "il codice di sicurezza della carta non è corretto.",
    decline_invalid_card: "la carta non è valida.", decline_account_closed: "il conto bancario è chiuso.",
    decline_invalid_account: "il numero di conto non è valido.", decline_unknown: "il pagamento non è andato a buon fine.",
    retry_same: "La connessione si è interrotta. Riprovi: lo stesso pagamento non sarà contato due volte.",
    instructions_title_check: "Il Suo pagamento con assegno", instructions_title_tip: "Il Suo pagamento con TIP",
    instructions_check: (amount) => `Invii un assegno di ${amount} intestato come indicato qui sotto, scrivendo il riferimento sul retro.`,
    instructions_tip: (amount) => `Dati e firmi il TIP di ${amount} stampato in fondo alla fattura (PDF) e lo invii, con le coordinate bancarie la prima volta, all'indirizzo qui sotto.`,
    payee: "Intestato a", payment_reference: "Riferimento da indicare", send_to: "Indirizzo di invio", send_before: "Da inviare entro il",
    instructions_note: "La fattura resta «da pagare» fino alla ricezione del pagamento.",
    invoice_heading: (kind, number) => `${kind} n. ${number}`, invoice_summary: "Riepilogo",
    issued_on: "Data di emissione", invoice_due_on: "Scadenza", billing_period: "Periodo di fatturazione",
    invoice_payment_mode: "Modalità di pagamento", related_order: "Ordine", credited_invoice: "Storno della fattura",
    lines_title: "Dettaglio della fattura", col_description: "Descrizione", col_quantity: "Quantità", col_unit: "Unità",
    col_unit_price: "Prezzo unitario IVA escl.", col_tax_rate: "IVA", col_total_excl: "Totale IVA escl.",
    unit_month: "mese", unit_year: "anno", unit_kwh: "kWh", unit_unit: "unità",
    vat_title: "IVA per aliquota", col_rate: "Aliquota", col_base: "Imponibile", col_vat: "Importo IVA",
    total_excl_tax: "Totale imponibile", tax_total: "IVA", total_incl_tax: "Totale IVA inclusa", already_paid: "Già pagato", amount_due: "Da pagare",
    payments_title: "Pagamenti", no_payments: "Nessun pagamento registrato.",
    payment_status_succeeded: "riuscito", payment_status_failed: "rifiutato", payment_status_pending: "in attesa",
    pay_title: "Pagare questa fattura", paid_notice: "Questa fattura è pagata.",
    void_notice: "Questa fattura è annullata: non c'è nulla da pagare.",
    resale_notice: "Fattura di rivendita: siamo noi a pagarLe l'eccedenza acquistata, con bonifico.",
    credit_note_notice: "Nota di credito: nulla da pagare.",
    direct_debit_planned: (date) => `Questa fattura sarà addebitata automaticamente il ${date}. Può anche pagarla subito.`,
    schedule_title: "Il mio piano rate", schedule_year: (year) => `Piano rate ${year}`,
    estimated_annual: "Importo annuo stimato", regularization_on: "Fattura di conguaglio prevista il",
    consumption_billed: "Consumo effettivo rilevato finora", collected_so_far: "Già addebitato",
    schedule_intro: "Con le rate mensili paga ogni mese lo stesso importo, addebitato alla data prevista. A fine anno, la fattura di conguaglio confronta il consumo effettivo con le rate versate.",
    installments_title: "Rate mensili", col_installment: "N.", col_debit_on: "Data di addebito",
    installment_status_scheduled: "prevista", installment_status_paid: "addebitata", installment_status_failed: "respinta",
    no_schedule_title: "Non paga a rate mensili",
    no_schedule: "Paga i consumi a ogni fattura: non ha un piano di rate mensili. Trova le Sue fatture nella scheda «Fatture».",
    billing_title: "Coordinate bancarie e preferenze", bank_title: "Le mie coordinate bancarie",
    no_bank_account: "Nessuna coordinata bancaria registrata: aggiunga un IBAN per pagare le fatture con addebito diretto.",
    iban: "IBAN", bic: "BIC (facoltativo)", holder: "Intestatario del conto", iban_masked: "IBAN", bic_code: "BIC",
    mandate_reference: "Riferimento del mandato SEPA", signed_on: "Mandato firmato il",
    change_bank: "Modificare le coordinate bancarie", add_bank: "Aggiungere le coordinate bancarie",
    iban_hint: "Spazi ammessi, ad esempio IT60 X054 2811 1010 0000 0123 456.",
    bank_hint: "Registrare un conto firma un nuovo mandato di addebito SEPA, con la data di oggi; riceverà una conferma via email.",
    bank_saved: "Coordinate bancarie registrate: è firmato un nuovo mandato di addebito.",
    preferences_title: "Le mie preferenze di fatturazione",
    paperless: "Fattura elettronica: niente più fattura cartacea per posta",
    notify_new_invoice: "Avvisarmi via email a ogni nuova fattura", preferences_saved: "Preferenze salvate.",
    invoice_status_refunded: "rimborsato", invoice_status_to_refund: "da rimborsare", payment_status_expired: "non ricevuto",
    pending_notice: "Un pagamento di questa fattura è in corso (assegno o TIP in arrivo, carta in autenticazione o addebito in banca): la fattura gli è riservata fino al suo esito.",
    pending_badge: "pagamento in arrivo",
    tip_needs_slip: "Il TIP si paga con il titolo stampato in fondo alla fattura: scelga il TIP nelle preferenze per le prossime fatture.",
    owed_notice: (amount) => `Le sono dovuti ${amount}.`, carried_notice: "Saranno dedotti dalla prossima fattura.",
    refund_waiting: "Il rimborso è in corso.", refund_title: "Rimborso",
    refund_status_pending: "in corso", refund_status_succeeded: "effettuato", refund_status_failed: "da rifare dal nostro servizio",
    refund_method_card: "sulla Sua carta", refund_method_transfer: "con bonifico", refund_method_check: "con assegno", refund_method_manual: "dal nostro servizio",
    installment_status_retrying: "respinta, nuovo tentativo previsto", installment_status_paused: "sospesa",
    installment_status_skipped: "non addebitata (contratto sospeso)", installment_status_cancelled: "annullata (fine contratto)",
    installment_status_collecting: "in corso", retry_on: (date) => `nuovo tentativo il ${date}`,
    preferred_method: "Modalità di pagamento delle prossime fatture",
    preferred_method_hint: "Con il TIP, il titolo da firmare è stampato in fondo a ogni fattura; l'addebito diretto richiede le coordinate bancarie.",
    // consumption area
    nav_consumption: "I miei consumi", nav_surplus: "Il mio surplus", meter_title: (id) => `Contatore ${id}`,
    meters_label: "I miei contatori", month: "Mese", year: "Anno",
    no_meters: "Nessun contatore né piano mobile da seguire per ora.",
    steps_label: "Intervallo", step_month: "Per mese", step_day: "Per giorno", step_hour: "Per ora", step_half_hour: "Per mezz'ora",
    period_shown: "Periodo visualizzato", from_day: "Dal", to_day: "Al", show: "Mostra",
    previous_period: "‹ Periodo precedente", next_period: "Periodo successivo ›",
    consumed: "Consumo", peak_hours: "Ore piene", injected: "Immessa in rete",
    chart_label: (step, from, to, total) => `Consumi ${step} dal ${from} al ${to}: ${total} in totale. I valori sono nella tabella che segue.`,
    chart_table: "Mostra i valori in tabella", no_reading: "nessuna lettura", partial: "letture incomplete",
    detail_label: (when) => `Vedi il dettaglio: ${when}`, download_csv: "Scarica (CSV)",
    download_csv_label: (from, to) => `Scarica le letture per mezz'ora dal ${from} al ${to} (CSV)`,
    summary_title: "Mese per mese", year_total: (year) => `Totale ${year}`, estimated: "stimato",
    estimated_hint: "«stimato»: mancano ancora alcune letture del mese; il distributore le invierà o le stimerà.",
    no_months: "Nessun mese da mostrare per ora.",
    battery_title: "La mia batteria virtuale", battery_charge: "Livello di carica",
    battery_intro: "Il surplus della Sua produzione viene accumulato ogni mese nella batteria virtuale, poi restituito sui Suoi consumi.",
    battery_level: (level, capacity) => `${level} su ${capacity}`,
    stored: "Accumulato", restored: "Restituito", level_end: "Livello a fine mese",
    kitty: "Il mio salvadanaio", kitty_intro: "Il surplus immesso in rete Le viene riacquistato; il salvadanaio è aggiornato ogni mese.",
    surplus_months: "Surplus immesso in rete mese per mese", rate_per_kwh: "Tariffa per kWh", credited: "Accreditato",
    no_surplus: "Non ha un'offerta di rivendita del surplus.",
    mobile_title: "Il mio consumo mobile", usage_period: (range) => `Periodo in corso: ${range}`, mobile_line: (id) => `Linea ${id}`,
    allowance_name_GB: "Internet mobile", allowance_name_min: "Chiamate", allowance_name_sms: "SMS",
    usage_of: (used, included) => `${used} su ${included}`, unlimited: "illimitato", remaining: (left) => `restano ${left}`,
    out_of_plan: "Fuori soglia", unit_gb: "GB", unit_min: "min", unit_sms: "SMS",
  },
};

const store = window.sessionStorage;
let language = localStorage.getItem("guichet.language") || (navigator.language || "fr").slice(0, 2);
if (!TEXT[language]) language = "fr";
const t = (key, ...args) => {
  const value = TEXT[language][key] ?? TEXT.fr[key] ?? key;
  return typeof value === "function" ? value(...args) : value;
};

// h("p", {class: "x"}, "text", child) — text always goes in as text; h("svg:rect", …) makes SVG.
function h(tag, attributes = {}, ...children) {
  const element = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child != null).map((child) =>
    child instanceof Node ? child : document.createTextNode(String(child))));
  return element;
}

// No answer of the API's (the network down, or a page of something in between): the request
// may or may not have reached the service, so whatever sent it may send it again, with its key.
class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.status = 0;
    this.fields = {};
  }
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.fields = body?.error?.fields || {};
  }
}

// Where the API is: this origin (the local run), or the API's own domain, which the deployment
// writes into the page (infra/deploy.py) and the Content-Security-Policy allows.
const API_BASE = document.querySelector('meta[name="guichet-api"]')?.content || "";

// The answer's JSON; with `raw`, the successful Response itself (a file to save).
async function api(method, path, body, { auth = false, retried = false, headers: extra = {}, raw = false } = {}) {
  const headers = { ...extra, "Accept-Language": language };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) headers.Authorization = `Bearer ${store.getItem("guichet.access")}`;
  let answer;
  try {
    answer = await fetch(API_BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    // no answer at all: the network, not the service (fetch says only "Failed to fetch")
    throw new NetworkError(t("offline"));
  }
  if (answer.status === 401 && auth && !retried && (await refresh())) {
    return api(method, path, body, { auth, retried: true, headers: extra, raw });
  }
  if (raw && answer.ok) return answer;
  const text = await answer.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // a page of a proxy or a gateway in between, not the API's JSON
    throw new NetworkError(t("unexpected_answer"));
  }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

// Pages ask several routes at once: their 401s share one refresh, since a refresh token works
// once (a second use of it is taken for a theft and ends the session).
let refreshing = null;
function refresh() {
  refreshing ||= renewTokens().finally(() => { refreshing = null; });
  return refreshing;
}

async function renewTokens() {
  const token = store.getItem("guichet.refresh");
  if (!token) return false;
  try {
    keep(await api("POST", "/auth/refresh", { refresh_token: token }));
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) return false; // unreachable, not refused: the session stays
    if (error.status === 401) sessionExpired = true; // refused: the login page says why
    forget();
    return false;
  }
}
let sessionExpired = false;

function keep(tokens) {
  store.setItem("guichet.access", tokens.access_token);
  store.setItem("guichet.refresh", tokens.refresh_token);
}
function forget() {
  store.removeItem("guichet.access");
  store.removeItem("guichet.refresh");
  store.removeItem("guichet.customer");
  store.removeItem("guichet.areas");
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

// What the browser may fill each personal field with (WHATWG autofill tokens): never "off" on a
// person's name, address or contact details.
const AUTOCOMPLETE = {
  first_name: "given-name", last_name: "family-name", email: "email", new_email: "email",
  backup_email: "email", phone: "tel", company: "organization", line1: "address-line1",
  line2: "address-line2", postal_code: "postal-code", city: "address-level2", country: "country",
  name: "name", login_name: "username",
};

// A form whose submit calls `action(values)`; shows the error or `done(result)` above it.
function form(fields, submitLabel, action, done, { inline = false } = {}) {
  const status = h("div");
  const element = h("form", { class: inline ? "inline" : "", novalidate: true },
    fields.map(([name, type = "text", extra = {}]) => type === "select"
      ? h("label", {}, t(name), h("select", { name }, extra.options.map(([value, label]) =>
          h("option", { value, selected: value === extra.value }, label))))
      : h("label", {}, t(name), h("input", { name, type, autocomplete: extra.autocomplete || AUTOCOMPLETE[name] || null,
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

// A page that needs a session sends a visitor to log in, then back to it (a link in an email:
// the invoice it names). `next` is only ever one of the portal's own pages, never another site.
function toLogin() {
  if (sessionExpired) {
    flash = notice("error", t("session_expired"));
    sessionExpired = false;
  }
  const next = `${location.pathname}${location.search}`;
  go(location.pathname === "/login" ? "/login" : `/login?${new URLSearchParams({ next })}`);
}
function pageAfterLogin() {
  const next = param("next");
  if (!next.startsWith("/") || next.startsWith("//")) return "/account";
  const target = new URL(next, location.origin);
  return target.origin === location.origin && pages[target.pathname] && target.pathname !== "/login"
    ? `${target.pathname}${target.search}` : "/account";
}

const pages = {
  "/login": () => card(t("login_title"),
    param("next") ? h("p", { class: "muted" }, t("login_to_continue")) : null,
    form([["login_name", "text", { autocomplete: "username" }], ["password", "password", { autocomplete: "current-password" }]],
      t("submit_login"),
      ({ login_name, password }) => api("POST", "/auth/login", { login: login_name, password }),
      (tokens) => { keep(tokens); go(pageAfterLogin()); }),
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
    toLogin();
    return h("div");
  }
  const me = await api("GET", "/auth/me", undefined, { auth: true });
  store.setItem("guichet.customer", me.customer_id);
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

// --- the subscriptions area (API.md, "Subscriptions") ---------------------------------------

const FAMILIES = ["domain", "website", "hosting", "internet", "mobile", "electricity"];
const STATUSES = ["pending_confirmation", "to_configure", "active", "suspended", "expired", "cancelled"];
const ORDER_STEPS = ["received", "paid", "provisioning", "completed"];
const LOCALES = { fr: "fr-FR", en: "en-GB", it: "it-IT" };
const locale = () => LOCALES[language] || "fr-FR";
const authed = (method, path, body, headers) => api(method, path, body, { auth: true, headers });
const param = (name) => new URLSearchParams(location.search).get(name) || "";
const enc = encodeURIComponent;
const detailLink = (subscription, hash = "") => `/subscription?id=${enc(subscription.subscription_id)}${hash}`;
const orderLink = (order) => `/order-status?id=${enc(order.order_id)}`;

// One key per click: a retried request (after a token refresh) reuses it, a new click never does.
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Money as the invoices and emails print it: fr and it "1 234,56 €", en "€1,234.56"; `digits`
// up to 4 for a unit price such as 0,1952 €/kWh.
function amount(value, currency = "EUR", digits = 2) {
  const code = currency || "EUR";
  const fractions = { minimumFractionDigits: 2, maximumFractionDigits: Math.max(2, digits) };
  if (language === "en") return new Intl.NumberFormat("en-GB", { style: "currency", currency: code, ...fractions }).format(value);
  return `${new Intl.NumberFormat("fr-FR", fractions).format(value)}\u00a0${code === "EUR" ? "€" : code}`;
}
const money = (cents, currency) => amount(cents / 100, currency);
const price = (cents, currency, period) => `${money(cents, currency)}/${t(`per_${period}`)}`;
// A date (YYYY-MM-DD) is a calendar day: read it as local, never through UTC.
function day(iso) {
  if (!iso) return t("none");
  const [year, month, date] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long" }).format(new Date(year, month - 1, date));
}
const moment = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
const clock = (iso) => new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
const longDay = (date) => new Intl.DateTimeFormat(locale(), { weekday: "long", day: "numeric", month: "long" }).format(date);
const localDayKey = (date) =>
  `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
const size = (megabytes) => new Intl.NumberFormat(locale(), { style: "unit", unit: megabytes >= 1000 ? "gigabyte" : "megabyte" })
  .format(megabytes >= 1000 ? megabytes / 1000 : megabytes);
const statusBadge = (status) => h("span", { class: `status status-${status}` }, t(`status_${status}`));
const orderBadge = (status) => h("span", { class: `status order-${status}` }, t(`order_status_${status}`));
const pageTitle = (text, ...after) => h("div", { class: "page-title" }, h("h1", {}, text), ...after);
const definitions = (rows) => h("dl", { class: "profile" },
  rows.filter(([, value]) => value !== undefined).map(([key, value]) => [h("dt", {}, t(key)), h("dd", { "data-field": key }, value ?? t("none"))]));

// A message shown at the top of the next page rendered (after an action that reloads the page).
let flash = null;
function goWith(path, kind, message) {
  flash = notice(kind, message);
  go(path);
}
function reloadWith(kind, message) {
  flash = notice(kind, message);
  render();
}

// A button running `action`; disabled meanwhile, the API's error shown right after it.
function actionButton(label, action, { className = "link" } = {}) {
  const status = h("span", { class: "inline-status" });
  const button = h("button", { type: "button", class: className, onclick: async () => {
    button.disabled = true;
    status.replaceChildren();
    try {
      await action();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      button.disabled = false;
    }
  } }, label);
  return h("span", { class: "action" }, button, status);
}

// A form of described fields. A 422 puts each problem next to its field: `fieldOf` turns the
// API's field name (e.g. items.0.options.pdl) into the form's; the rest goes above the button.
// Field: {name, label, type: text|number|select|checkbox|lines|password|time|tel|search, value,
// options: [[value, text]], hint, required, autocomplete, attributes}; group: {group, legend, hint, fields}.
let fieldCount = 0;
function richForm({ fields, submit, action, done, fieldOf = (name) => name, className = "", submitClass = "primary" }) {
  const controls = {};
  const build = (spec) => {
    const id = `field-${++fieldCount}`;
    const error = h("span", { class: "field-error", id: `${id}-error` });
    const hint = spec.hint ? h("span", { class: "hint", id: `${id}-hint` }, spec.hint) : null;
    if (spec.group) {
      const fieldset = h("fieldset", { class: "group", "data-field": spec.group, "aria-describedby": `${hint ? `${id}-hint ` : ""}${id}-error` },
        h("legend", {}, spec.legend), hint, h("div", { class: "group-fields" }, spec.fields.map(build)), error);
      controls[spec.group] = { error, control: fieldset, group: true };
      return fieldset;
    }
    const type = spec.type || "text";
    const common = { id, name: spec.name, required: spec.required, "aria-describedby": `${hint ? `${id}-hint ` : ""}${id}-error`, ...spec.attributes };
    let control;
    if (type === "select") {
      control = h("select", common, spec.options.map(([value, text]) =>
        h("option", { value, selected: String(value) === String(spec.value ?? "") }, text)));
    } else if (type === "lines") {
      control = h("textarea", { ...common, rows: 3, autocomplete: "off" }, (spec.value || []).join("\n"));
    } else if (type === "checkbox") {
      control = h("input", { ...common, type, checked: Boolean(spec.value) });
    } else {
      control = h("input", { ...common, type, value: spec.value ?? "",
        autocomplete: spec.autocomplete || AUTOCOMPLETE[spec.name] || null });
    }
    controls[spec.name] = { error, control, type };
    return type === "checkbox"
      ? h("div", { class: "field check", "data-field": spec.name }, h("label", { for: id }, control, spec.label), hint, error)
      : h("div", { class: "field", "data-field": spec.name }, h("label", { for: id }, spec.label), control, hint, error);
  };
  const status = h("div", { class: "form-status" });
  const button = h("button", { class: submitClass, type: "submit" }, submit);
  const element = h("form", { class: `rich ${className}`, novalidate: true }, fields.map(build), status, button);
  const read = ({ control, type }) => {
    if (type === "checkbox") return control.checked;
    if (type === "lines") return control.value.split("\n").map((line) => line.trim()).filter(Boolean);
    if (type === "number") return control.value === "" ? null : Number(control.value);
    return type === "password" ? control.value : control.value.trim();
  };
  const clear = () => {
    status.replaceChildren();
    for (const { error, control } of Object.values(controls)) {
      error.textContent = "";
      control.removeAttribute("aria-invalid");
    }
  };
  const show = (error) => {
    const rest = [];
    let first = null;
    for (const [name, problem] of Object.entries(error.fields || {})) {
      // "off_peak_hours.start" belongs to the "off_peak_hours" group when no field has that name
      let path = fieldOf(name);
      while (path && !controls[path]) path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
      const target = controls[path];
      if (!target) {
        rest.push(`${name}: ${problem}`);
        continue;
      }
      target.error.textContent = target.error.textContent ? `${target.error.textContent} ; ${problem}` : problem;
      target.control.setAttribute("aria-invalid", "true");
      first = first || target.control;
    }
    status.replaceChildren(notice("error", [error.message, ...rest].join(" — ")));
    (first?.matches("fieldset") ? first.querySelector("input, select") : first)?.focus();
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const values = Object.fromEntries(Object.entries(controls).filter(([, entry]) => !entry.group)
      .map(([name, entry]) => [name, read(entry)]));
    button.disabled = true;
    try {
      const after = done(await action(values));
      if (after) status.replaceChildren(after);
    } catch (error) {
      if (error instanceof ApiError) show(error);
      else status.replaceChildren(notice("error", String(error.message || error)));
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

// Every page of a list (up to 1,000 items), following next_cursor.
async function allPages(path, filters = {}) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams(compact({ ...filters, limit: "100" }));
    if (cursor) query.set("cursor", cursor);
    const answer = await authed("GET", `${path}?${query}`);
    items.push(...answer.items);
    cursor = answer.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}

const allSubscriptions = (filters) => allPages("/subscriptions", filters);

async function renew(subscription, periods = 1) {
  const order = await authed("POST", `/subscriptions/${enc(subscription.subscription_id)}/renew`, { periods },
    { "Idempotency-Key": newKey() });
  goWith(orderLink(order), "ok", t("renewal_ordered"));
}

async function confirmSubscription(subscription) {
  await authed("POST", `/subscriptions/${enc(subscription.subscription_id)}/confirm`);
  reloadWith("ok", t("confirmed_notice"));
}

const subscriptionName = (subscription) => [
  h("a", { href: detailLink(subscription) }, subscription.name),
  subscription.label && subscription.label !== subscription.name ? h("span", { class: "label" }, subscription.label) : null,
];

function dashboardCards(dashboard) {
  const list = (items, item) => items.length
    ? h("ul", { class: "plain" }, items.map(item))
    : h("p", { class: "muted" }, t("nothing_here"));
  return h("div", { class: "dashboard" },
    h("section", { class: "card", "data-panel": "expiring" }, h("h2", {}, t("dashboard_expiring")),
      list(dashboard.expiring_soon, (subscription) => h("li", { "data-subscription": subscription.subscription_id },
        subscriptionName(subscription),
        h("span", { class: "muted" }, t("due_on", day(subscription.renews_on)),
          subscription.auto_renew ? ` · ${t("auto_renew_short")}` : ""),
        actionButton(t("renew"), () => renew(subscription), { className: "small" })))),
    h("section", { class: "card", "data-panel": "to-configure" }, h("h2", {}, t("dashboard_to_configure")),
      list(dashboard.to_configure, (subscription) => h("li", { "data-subscription": subscription.subscription_id },
        subscriptionName(subscription), statusBadge(subscription.status),
        subscription.status === "pending_confirmation"
          ? actionButton(t("confirm_subscription"), () => confirmSubscription(subscription), { className: "small" })
          : h("a", { class: "button small", href: detailLink(subscription, "#settings") }, t("configure"))))),
    h("section", { class: "card", "data-panel": "orders" }, h("h2", {}, t("dashboard_orders")),
      list(dashboard.orders_in_progress, (order) => h("li", { "data-order": order.order_id },
        h("a", { href: orderLink(order) }, t("order_number", order.order_id)),
        h("span", { class: "muted" }, order.items.map((item) => item.name).join(", ")),
        orderBadge(order.status)))));
}

function filterForm(filters) {
  const field = (name, control) => h("label", {}, t(name), control);
  const element = h("form", { class: "inline filters", role: "search", "aria-label": t("search") },
    field("q", h("input", { name: "q", type: "search", value: filters.q, maxlength: 100 })),
    field("family", h("select", { name: "family" }, h("option", { value: "" }, t("all_families")),
      FAMILIES.map((family) => h("option", { value: family, selected: filters.family === family }, t(`family_${family}`))))),
    field("status", h("select", { name: "status" }, h("option", { value: "" }, t("all_statuses")),
      STATUSES.map((status) => h("option", { value: status, selected: filters.status === status }, t(`status_${status}`))))),
    field("expiring_within_days", h("input", { name: "expiring_within_days", type: "number", min: 0, max: 3660,
      value: filters.expiring_within_days, class: "narrow" })),
    h("button", { class: "primary", type: "submit" }, t("apply_filters")),
    h("a", { href: "/my-subscriptions", class: "reset" }, t("reset_filters")));
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(compact(Object.fromEntries(new FormData(element).entries())));
    go(`/my-subscriptions${String(query) ? `?${query}` : ""}`);
  });
  return element;
}

// "Modifier mon abonnement": automatic renewal and cancellation, in the table or on the detail page.
function manageBlock(subscription) {
  const id = enc(subscription.subscription_id);
  const toggleStatus = h("span", { class: "inline-status" });
  const toggle = h("input", { type: "checkbox", name: "auto_renew", checked: subscription.auto_renew,
    disabled: Boolean(subscription.cancel_at), onchange: async () => {
      toggle.disabled = true;
      try {
        await authed("PATCH", `/subscriptions/${id}`, { auto_renew: toggle.checked });
        reloadWith("ok", t(toggle.checked ? "auto_renew_on" : "auto_renew_off"));
      } catch (error) {
        toggle.checked = !toggle.checked;
        toggle.disabled = false;
        toggleStatus.replaceChildren(notice("error", errorText(error)));
      }
    } });
  const moments = [["end_of_period", t("at_end_of_period", day(subscription.renews_on))], ["immediately", t("at_immediately")]]
    .filter(([at]) => !(subscription.cancel_at && at === "end_of_period"));
  return h("div", { class: "manage" },
    h("div", { class: "field check" }, h("label", {}, toggle, t("auto_renew")), toggleStatus),
    subscription.cancel_at ? h("p", { class: "muted" }, t("cancel_planned", day(subscription.cancel_at))) : null,
    h("h3", {}, t("cancel_title")),
    richForm({
      fields: [
        { name: "reason", label: t("cancel_reason"), required: true, attributes: { maxlength: 500 } },
        { name: "at", label: t("cancel_at"), type: "select", options: moments, value: moments[0][0] },
      ],
      submit: t("submit_cancel"),
      className: "compact",
      submitClass: "primary destructive",
      action: ({ reason, at }) => authed("POST", `/subscriptions/${id}/cancel`, { reason, at }),
      done: () => reloadWith("ok", t("cancelled_notice")),
    }));
}

function subscriptionRows(subscription) {
  const open = !["cancelled", "expired"].includes(subscription.status);
  const panelId = `manage-${subscription.subscription_id}`;
  const panel = h("tr", { class: "panel", id: panelId, hidden: true },
    h("td", { colspan: 7 }, open ? manageBlock(subscription) : null));
  const modify = h("button", { type: "button", class: "link", "aria-expanded": "false", "aria-controls": panelId,
    onclick: () => {
      panel.hidden = !panel.hidden;
      modify.setAttribute("aria-expanded", String(!panel.hidden));
    } }, t("modify"));
  const remarks = [subscription.remarks,
    subscription.cancel_at && subscription.status !== "cancelled" ? t("cancel_planned", day(subscription.cancel_at)) : null]
    .filter(Boolean).join(" · ");
  return [
    h("tr", { "data-subscription": subscription.subscription_id },
      h("td", { "data-column": "subscription" }, subscriptionName(subscription)),
      h("td", { "data-column": "dossier", class: "mono" }, subscription.dossier_number),
      h("td", { "data-column": "status" }, statusBadge(subscription.status)),
      h("td", { "data-column": "remarks" }, remarks),
      h("td", { "data-column": "renews" }, ["cancelled", "expired"].includes(subscription.status) ? t("none") : day(subscription.renews_on),
        subscription.auto_renew ? h("span", { class: "muted block" }, t("auto_renew_short")) : null),
      h("td", { "data-column": "admin" },
        subscription.status === "pending_confirmation"
          ? actionButton(t("confirm_subscription"), () => confirmSubscription(subscription))
          : open ? modify : null),
      h("td", { "data-column": "technical" }, ["to_configure", "active"].includes(subscription.status)
        ? h("a", { href: detailLink(subscription, "#settings") }, t("technical_settings")) : null)),
    panel,
  ];
}

function familyTable(family, subscriptions) {
  const headingId = `family-${family}`;
  return h("section", { class: "card family", "data-family": family, "aria-labelledby": headingId },
    h("h2", { id: headingId }, t(`family_title_${family}`)),
    h("div", { class: "table-scroll" }, h("table", { class: "subscriptions" },
      h("thead", {}, h("tr", {}, ["col_subscription", "col_dossier", "col_status", "col_remarks", "col_renews", "col_admin", "col_technical"]
        .map((key) => h("th", { scope: "col", class: key.replace("_", "-") }, t(key))))),
      h("tbody", {}, subscriptions.map(subscriptionRows)))));
}

async function subscriptionsPage() {
  const filters = Object.fromEntries(["q", "family", "status", "expiring_within_days"].map((name) => [name, param(name)]));
  const [dashboard, subscriptions] = await Promise.all([authed("GET", "/subscriptions/dashboard"), allSubscriptions(filters)]);
  const filtered = Object.values(filters).some(Boolean);
  return h("div", {},
    pageTitle(t("subscriptions_title"), h("a", { class: "button", href: "/order" }, t("nav_order"))),
    dashboardCards(dashboard),
    h("section", { class: "card" }, filterForm(filters)),
    subscriptions.length
      ? FAMILIES.map((family) => [family, subscriptions.filter((subscription) => subscription.family === family)])
          .filter(([, items]) => items.length).map(([family, items]) => familyTable(family, items))
      : h("section", { class: "card" }, h("p", {}, t(filtered ? "no_match" : "no_subscriptions")),
          filtered ? null : h("a", { class: "button", href: "/order" }, t("nav_order"))));
}

// --- one subscription -------------------------------------------------------------------------

const range = ({ start, end }) => `${start} – ${end}`;

function contractCard(subscription) {
  const contract = subscription.contract || {};
  const energy = subscription.family === "electricity";
  return h("section", { class: "card", id: "contract" }, h("h2", {}, t("contract_title")),
    definitions([
      ["contract_number", contract.contract_number],
      ["offer", contract.offer ? t(`offer_${contract.offer}`) : subscription.name],
      ["payment_mode", contract.payment_mode ? t(`payment_${contract.payment_mode}`) : null],
      ...(energy ? [
        ["pdl", contract.pdl],
        ["subscribed_power_kva", contract.subscribed_power_kva ? `${contract.subscribed_power_kva} kVA` : null],
        ["tariff_option", contract.tariff_option ? t(`tariff_${contract.tariff_option}`) : null],
        ["off_peak_hours", contract.off_peak_hours?.length ? contract.off_peak_hours.map(range).join(", ") : null],
      ] : []),
    ]),
    h("p", {}, h("a", { href: "/appointments" }, t("appointment_cta"))));
}

async function documentsCard(subscription) {
  const { items } = await authed("GET", `/subscriptions/${enc(subscription.subscription_id)}/documents`);
  return h("section", { class: "card", id: "documents" }, h("h2", {}, t("documents")),
    h("ul", { class: "plain documents" }, items.map((document) => {
      const link = h("span", { class: "document-link", "aria-live": "polite" });
      return h("li", { "data-document": document.kind }, h("span", { class: "document-title" }, document.title),
        actionButton(t("download"), async () => {
          const { url, expires_at } = await authed("GET",
            `/subscriptions/${enc(subscription.subscription_id)}/documents/${enc(document.kind)}`);
          const opened = window.open(url, "_blank");
          if (opened) opened.opener = null;
          // the link stays on the page in case the browser blocked the new tab
          link.replaceChildren(h("span", { class: "muted" }, t("document_link", clock(expires_at)), " "),
            h("a", { href: url, target: "_blank", rel: "noopener" }, t("open_document")));
        }, { className: "small" }), link);
    })));
}

const choices = (values, label = (value) => value) => [["", t("choose_option")], ...values.map((value) => [value, label(value)])];

// The technical settings each family takes (PUT settings), as fields, and the body they make.
function settingsForm(subscription) {
  const current = subscription.settings || {};
  const windows = subscription.product_id.includes("windows");
  const forms = {
    domain: [
      [{ name: "dns_servers", label: t("dns_servers"), type: "lines", value: current.dns_servers, hint: t("dns_servers_hint"), required: true },
       { name: "redirect_to", label: t("redirect_to"), type: "url", value: current.redirect_to }],
      ({ dns_servers, redirect_to }) => compact({ dns_servers, redirect_to }),
    ],
    website: [
      [{ name: "domain", label: t("domain"), value: current.domain, required: true },
       { name: "cms", label: t("cms"), type: "select", value: current.cms,
         options: choices(["none", "wordpress", "joomla", "prestashop"], (cms) => cms === "none" ? t("cms_none") : cms[0].toUpperCase() + cms.slice(1)) }],
      (values) => values,
    ],
    hosting: [
      [{ name: "database_name", label: t("database_name"), value: current.database_name, hint: t("database_name_hint"), required: true },
       windows
         ? { name: "dotnet_version", label: t("dotnet_version"), type: "select", value: current.dotnet_version, options: choices(["4.8", "8.0", "9.0"]) }
         : { name: "php_version", label: t("php_version"), type: "select", value: current.php_version, options: choices(["8.1", "8.2", "8.3", "8.4"]) },
       ...(windows ? [] : [{ name: "ssh_public_keys", label: t("ssh_public_keys"), type: "lines", value: current.ssh_public_keys, hint: t("ssh_public_keys_hint") }])],
      (values) => compact(values),
    ],
    internet: [
      [{ name: "wifi_ssid", label: t("wifi_ssid"), value: current.wifi_ssid, required: true },
       { name: "wifi_password", label: t("wifi_password"), type: "password", value: current.wifi_password, hint: t("wifi_password_hint"), autocomplete: "new-password", required: true },
       { name: "static_ip", label: t("static_ip"), type: "checkbox", value: current.static_ip }],
      (values) => values,
    ],
    mobile: [
      [{ name: "apn", label: t("apn"), type: "select", value: current.apn || "internet",
         options: ["orange.fr", "orange", "sl2sfr", "websfr", "mmsbouygtel.com", "ebouygtel.com", "free", "internet"].map((apn) => [apn, apn]) },
       { name: "roaming", label: t("roaming"), type: "checkbox", value: current.roaming },
       { name: "voicemail", label: t("voicemail"), type: "checkbox", value: current.voicemail ?? true }],
      (values) => values,
    ],
    electricity: [
      [{ name: "consumption_alert_kwh", label: t("consumption_alert_kwh"), type: "number", value: current.consumption_alert_kwh, attributes: { min: 1 } },
       { name: "monthly_report", label: t("monthly_report"), type: "checkbox", value: current.monthly_report }],
      ({ consumption_alert_kwh, monthly_report }) => consumption_alert_kwh == null ? { monthly_report } : { consumption_alert_kwh, monthly_report },
    ],
  };
  const [fields, body] = forms[subscription.family];
  return richForm({
    fields, submit: t("save"),
    action: (values) => authed("PUT", `/subscriptions/${enc(subscription.subscription_id)}/settings`, body(values)),
    done: () => reloadWith("ok", t("settings_saved")),
  });
}

function settingsCard(subscription) {
  let content;
  if (subscription.status === "pending_confirmation") {
    content = h("div", {}, h("p", {}, t("settings_after_confirmation")),
      actionButton(t("confirm_subscription"), () => confirmSubscription(subscription), { className: "primary" }));
  } else if (["cancelled", "expired"].includes(subscription.status)) {
    content = h("p", { class: "muted" }, t("settings_closed"));
  } else {
    content = settingsForm(subscription);
  }
  return h("section", { class: "card", id: "settings" }, h("h2", {}, t("settings_title")), content);
}

function renewCard(subscription) {
  const counts = subscription.billing_period === "year" ? [1, 2, 3, 5] : [1, 3, 6];
  return h("section", { class: "card", id: "renew" }, h("h2", {}, t("renew_title")),
    richForm({
      fields: [{ name: "periods", label: t("periods"), type: "select", value: "1", options: counts.map((count) =>
        [String(count), `${t("period_count", count, subscription.billing_period)} — ${money(subscription.price_cents * count, subscription.currency)}`]) }],
      submit: t("renew_submit"), className: "compact",
      action: ({ periods }) => renew(subscription, Number(periods)),
      done: () => null,
    }));
}

async function subscriptionPage() {
  const id = param("id");
  const subscription = await authed("GET", `/subscriptions/${enc(id)}`);
  const open = !["cancelled", "expired"].includes(subscription.status);
  const renewable = ["active", "suspended", "expired", "to_configure"].includes(subscription.status) && !subscription.cancel_at;
  const summary = h("section", { class: "card", id: "subscription" }, h("h2", {}, t("my_subscription")),
    definitions([
      ["dossier_number", subscription.dossier_number], ["product", subscription.name], ["label", subscription.label],
      ["status", t(`status_${subscription.status}`)], ["started_on", day(subscription.started_on)],
      ["renews_on", day(subscription.renews_on)], ["auto_renew", t(subscription.auto_renew ? "yes" : "no")],
      ["price", price(subscription.price_cents, subscription.currency, subscription.billing_period)],
      ["commitment", t("commitment_text", subscription.commitment_months)],
      ["col_remarks", [subscription.remarks, subscription.cancel_at ? t("cancel_planned", day(subscription.cancel_at)) : null]
        .filter(Boolean).join(" · ") || null],
    ]),
    subscription.status === "pending_confirmation"
      ? actionButton(t("confirm_subscription"), () => confirmSubscription(subscription), { className: "primary" }) : null);
  return h("div", { "data-subscription": subscription.subscription_id },
    h("p", { class: "breadcrumb" }, h("a", { href: "/my-subscriptions" }, t("nav_subscriptions"))),
    pageTitle([subscription.name, subscription.label && subscription.label !== subscription.name ? ` — ${subscription.label}` : ""],
      statusBadge(subscription.status)),
    h("div", { class: "detail-grid" },
      h("div", {}, summary, contractCard(subscription), await documentsCard(subscription)),
      h("div", {}, settingsCard(subscription),
        renewable ? renewCard(subscription) : null,
        open ? h("section", { class: "card", id: "manage" }, h("h2", {}, t("modify")), manageBlock(subscription)) : null)));
}

// --- ordering ---------------------------------------------------------------------------------

function productExtras(product) {
  const extras = [t("commitment_text", product.commitment_months)];
  if (product.storage_mb) extras.push(t("storage", size(product.storage_mb)));
  for (const allowance of product.allowances || []) extras.push(t(`allowance_${allowance.unit}`, allowance.included));
  if (product.battery_capacity_kwh) extras.push(t("battery", product.battery_capacity_kwh));
  if (product.resale_rate_cents_per_kwh) extras.push(t("resale", money(product.resale_rate_cents_per_kwh, product.currency)));
  return extras;
}

// The options an order line of each family needs (technical_settings.py, *Options), and their body.
function orderOptions(family) {
  const time = (period, end) => ({ name: `off_peak_${period}_${end}`, label: `${t("period_n", period)} — ${t(end)}`, type: "time" });
  const options = {
    domain: [[{ name: "domain_name", label: t("domain_name"), required: true, autocomplete: "off" }], (values) => values],
    website: [[{ name: "domain_name", label: t("domain_name_optional") }], (values) => compact(values)],
    hosting: [[{ name: "domain_name", label: t("domain_name_optional") }], (values) => compact(values)],
    mobile: [[{ name: "port_in_number", label: t("port_in_number"), type: "tel" }], (values) => compact(values)],
    internet: [
      [{ group: "installation_address", legend: t("installation_address"), fields: [
        { name: "installation_address.line1", label: t("line1"), required: true, autocomplete: "address-line1" },
        { name: "installation_address.line2", label: t("line2"), autocomplete: "address-line2" },
        { name: "installation_address.postal_code", label: t("postal_code"), required: true, autocomplete: "postal-code" },
        { name: "installation_address.city", label: t("city"), required: true, autocomplete: "address-level2" },
      ] }],
      (values) => ({ installation_address: compact(Object.fromEntries(Object.entries(values)
        .map(([name, value]) => [name.slice("installation_address.".length), value]))) }),
    ],
    electricity: [
      [{ name: "pdl", label: t("pdl"), hint: t("pdl_hint"), required: true, attributes: { inputmode: "numeric" } },
       { name: "subscribed_power_kva", label: t("subscribed_power_kva"), type: "select", value: "6",
         options: [3, 6, 9, 12, 15, 18, 24, 30, 36].map((kva) => [String(kva), `${kva} kVA`]) },
       { name: "tariff_option", label: t("tariff_option"), type: "select", value: "base",
         options: [["base", t("tariff_base")], ["off_peak", t("tariff_off_peak")]] },
       { group: "off_peak_hours", legend: t("off_peak_hours"), hint: t("off_peak_hint"), fields: [
         time(1, "start"), time(1, "end"), time(2, "start"), time(2, "end")] },
       { name: "payment_mode", label: t("payment_mode"), type: "select", value: "monthly",
         options: [["monthly", t("payment_monthly")], ["per_invoice", t("payment_per_invoice")]] }],
      (values) => ({
        pdl: values.pdl, subscribed_power_kva: Number(values.subscribed_power_kva), tariff_option: values.tariff_option,
        payment_mode: values.payment_mode,
        off_peak_hours: values.tariff_option === "off_peak"
          ? [1, 2].map((n) => ({ start: values[`off_peak_${n}_start`], end: values[`off_peak_${n}_end`] }))
              .filter((period) => period.start || period.end)
          : [],
      }),
    ],
  };
  return options[family];
}

function orderForm(product) {
  const [fields, body] = orderOptions(product.family);
  const element = richForm({
    fields: [{ name: "label", label: t("order_label"), hint: t("order_label_hint"), attributes: { maxlength: 100 } }, ...fields],
    submit: t("submit_order"),
    // items.0.options.installation_address.city -> installation_address.city; items.0.label -> label
    fieldOf: (name) => name.replace(/^items\.0\.(options\.)?/, ""),
    action: ({ label, ...options }) => authed("POST", "/subscriptions/orders",
      { items: [{ product_id: product.product_id, ...(label ? { label } : {}), options: body(options) }] },
      { "Idempotency-Key": newKey() }),
    done: (order) => goWith(orderLink(order), "ok", t("order_placed")),
  });
  const tariff = element.querySelector("select[name=tariff_option]");
  if (tariff) {
    const hours = element.querySelector("fieldset[data-field=off_peak_hours]");
    const show = () => { hours.hidden = tariff.value !== "off_peak"; };
    tariff.addEventListener("change", show);
    show();
  }
  return element;
}

async function orderPage() {
  const family = FAMILIES.includes(param("family")) ? param("family") : "domain";
  const { items } = await authed("GET", `/subscriptions/catalog?family=${enc(family)}`);
  const chosen = items.find((product) => product.product_id === param("product"));
  return h("div", {},
    pageTitle(t("order_title")),
    h("nav", { class: "tabs", "aria-label": t("family") }, FAMILIES.map((each) =>
      h("a", { href: `/order?family=${each}`, "aria-current": each === family ? "page" : false }, t(`family_${each}`)))),
    items.length
      ? h("ul", { class: "products" }, items.map((product) => h("li", {
          class: `card product${product === chosen ? " chosen" : ""}`, "data-product": product.product_id },
          h("h2", {}, product.name),
          h("p", { class: "price" }, price(product.price_cents, product.currency, product.billing_period)),
          h("p", { class: "description" }, product.description),
          h("ul", { class: "extras" }, productExtras(product).map((extra) => h("li", {}, extra))),
          product === chosen
            ? h("p", { class: "muted" }, `✓ ${t("chosen")}`)
            : h("a", { class: "button", href: `/order?family=${family}&product=${enc(product.product_id)}#order-form`,
                "aria-label": `${t("choose")} — ${product.name}` }, t("choose")))))
      : h("p", { class: "muted" }, t("no_products")),
    chosen ? h("section", { class: "card", id: "order-form" },
      h("h2", {}, t("your_order"), " — ", chosen.name),
      h("p", { class: "muted" }, price(chosen.price_cents, chosen.currency, chosen.billing_period), " · ",
        t("commitment_text", chosen.commitment_months)),
      orderForm(chosen)) : null);
}

// --- orders -----------------------------------------------------------------------------------

async function ordersPage() {
  const items = await allPages("/subscriptions/orders");
  return h("div", {},
    pageTitle(t("orders_title"), h("a", { class: "button", href: "/order" }, t("nav_order"))),
    h("section", { class: "card" }, items.length
      ? h("div", { class: "table-scroll" }, h("table", { class: "orders" },
          h("thead", {}, h("tr", {}, ["date", "order_col", "kind", "products", "total", "status"].map((key) =>
            h("th", { scope: "col", class: key === "total" ? "number" : false }, t(key))))),
          h("tbody", {}, items.map((order) => h("tr", { "data-order": order.order_id },
            h("td", {}, moment(order.created_at)),
            h("td", {}, h("a", { href: orderLink(order) }, order.order_id)),
            h("td", {}, t(`kind_${order.kind}`)),
            h("td", {}, order.items.map((item) => h("span", { class: "block" }, item.name,
              item.label && item.label !== item.name ? h("span", { class: "label" }, item.label) : null))),
            h("td", { class: "number" }, money(order.total_cents, order.currency)),
            h("td", {}, orderBadge(order.status)))))))
      : h("p", { class: "muted" }, t("no_orders"))));
}

function timeline(order) {
  const reached = new Map(order.history.map((step) => [step.status, step.at]));
  const ended = ["failed", "cancelled"].find((status) => reached.has(status));
  const steps = ended ? [...ORDER_STEPS.filter((step) => reached.has(step)), ended] : ORDER_STEPS;
  return h("ol", { class: "timeline" }, steps.map((step) => {
    const state = reached.has(step) ? (step === order.status ? "current" : "done") : "todo";
    return h("li", { class: `${state} step-${step}`, "data-status": step, "aria-current": state === "current" ? "step" : false },
      h("span", { class: "step-name" }, t(`order_status_${step}`)),
      reached.has(step) ? h("span", { class: "muted" }, moment(reached.get(step))) : null);
  }));
}

function orderView(order) {
  return h("div", { class: "order", "data-order": order.order_id, "data-status": order.status },
    pageTitle(t("order_number", order.order_id), orderBadge(order.status)),
    h("section", { class: "card" }, h("h2", {}, t("order_history")), timeline(order)),
    h("section", { class: "card" }, h("h2", {}, t(`kind_${order.kind}`)),
      definitions([["created_at", moment(order.created_at)], ["total", money(order.total_cents, order.currency)]]),
      h("div", { class: "table-scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, ["product", "label", "duration", "amount"].map((key) =>
          h("th", { scope: "col", class: key === "amount" ? "number" : false }, t(key))))),
        h("tbody", {}, order.items.map((item) => h("tr", {},
          h("td", {}, item.subscription_id ? h("a", { href: detailLink(item) }, item.name) : item.name),
          h("td", {}, item.label), h("td", {}, t("period_count", item.periods, item.billing_period)),
          h("td", { class: "number" }, money(item.total_cents, order.currency)))))))));
}

// While an order is in progress its page asks again every few seconds (for at most ten minutes).
let pollTimer = null;
async function orderStatusPage() {
  const id = param("id");
  const path = `/subscriptions/orders/${enc(id)}`;
  const order = await authed("GET", path);
  const holder = h("div", {}, orderView(order));
  let last = JSON.stringify(order);
  let rounds = 0;
  const poll = async () => {
    if (location.pathname !== "/order-status" || param("id") !== id || ++rounds > 200) return;
    try {
      const fresh = await authed("GET", path);
      if (JSON.stringify(fresh) !== last) {
        last = JSON.stringify(fresh);
        holder.replaceChildren(orderView(fresh));
        document.querySelector("#page > .notice")?.remove(); // "placed, set up once paid" is past
      }
      if (!["received", "paid", "provisioning"].includes(fresh.status)) return;
    } catch {
      // a failed read is retried at the next round
    }
    pollTimer = setTimeout(poll, 3000);
  };
  if (["received", "paid", "provisioning"].includes(order.status)) pollTimer = setTimeout(poll, 2000);
  return h("div", {}, h("p", { class: "breadcrumb" }, h("a", { href: "/orders" }, t("nav_orders"))), holder);
}

// --- phone appointments -----------------------------------------------------------------------

function slotPicker(slots) {
  const days = new Map();
  for (const slot of slots) {
    const key = localDayKey(new Date(slot.start));
    if (!days.has(key)) days.set(key, []);
    days.get(key).push(slot);
  }
  const times = h("fieldset", { class: "slots" });
  const daySelect = h("select", { name: "day", id: "slot-day" }, [...days].map(([key, daySlots]) =>
    h("option", { value: key }, `${longDay(new Date(daySlots[0].start))} (${t("slots_count", daySlots.length)})`)));
  const showDay = () => times.replaceChildren(h("legend", {}, t("time")),
    h("div", { class: "chips" }, (days.get(daySelect.value) || []).map((slot) =>
      h("label", { class: "chip" }, h("input", { type: "radio", name: "start", value: slot.start, required: true }),
        clock(slot.start)))));
  daySelect.addEventListener("change", showDay);
  showDay();
  return h("div", { class: "slot-picker" }, h("div", { class: "field" }, h("label", { for: "slot-day" }, t("day")), daySelect), times);
}

async function appointmentsPage() {
  const [slots, booked, me] = await Promise.all([
    authed("GET", "/subscriptions/appointments/slots"), allPages("/subscriptions/appointments"),
    authed("GET", "/auth/me"),
  ]);
  const now = Date.now();
  const upcoming = [...booked].sort((a, b) => a.start.localeCompare(b.start));
  let bookForm = h("p", { class: "muted" }, t("no_slots"));
  if (slots.items.length) {
    bookForm = richForm({
      fields: [
        { name: "topic", label: t("topic"), required: true, attributes: { maxlength: 200 } },
        { name: "phone", label: t("phone"), type: "tel", value: me.phone || "", required: true, autocomplete: "tel" },
      ],
      submit: t("book"),
      action: ({ topic, phone }) => {
        const start = bookForm.querySelector("input[name=start]:checked")?.value;
        if (!start) throw new ApiError(422, { error: { message: t("choose_slot") } });
        return authed("POST", "/subscriptions/appointments", { start, topic, phone });
      },
      done: (appointment) => reloadWith("ok", t("booked", moment(appointment.start))),
    });
    bookForm.prepend(slotPicker(slots.items));
  }
  return h("div", {},
    pageTitle(t("appointments_title")),
    h("p", {}, t("appointments_intro")),
    h("section", { class: "card", id: "booked" }, h("h2", {}, t("my_appointments")), upcoming.length
      ? h("table", { class: "appointments" },
          h("thead", {}, h("tr", {}, ["when", "topic", "phone", ""].map((key) => h("th", { scope: "col" }, key ? t(key) : "")))),
          h("tbody", {}, upcoming.map((appointment) => h("tr", { "data-appointment": appointment.appointment_id },
            h("td", {}, moment(appointment.start)), h("td", {}, appointment.topic), h("td", {}, appointment.phone),
            h("td", {}, new Date(appointment.start).getTime() > now
              ? actionButton(t("cancel_appointment"), async () => {
                  await authed("DELETE", `/subscriptions/appointments/${enc(appointment.appointment_id)}`);
                  reloadWith("ok", t("appointment_cancelled"));
                }, { className: "link danger" })
              : null)))))
      : h("p", { class: "muted" }, t("no_appointments"))),
    h("section", { class: "card", id: "book" }, h("h2", {}, t("book_title")), bookForm));
}

// --- the invoices area (API.md, "Invoices") -----------------------------------------------------

const INVOICE_STATUSES = ["open", "overdue", "paid", "void", "refunded"];
const INVOICE_KINDS = ["invoice", "credit_note", "resale", "regularization"];
const PAGE_SIZE = "20";
const payable = (invoice) => ["invoice", "regularization"].includes(invoice.kind)
  && ["open", "overdue"].includes(invoice.status) && invoice.amount_due_cents > 0 && !invoice.pending_payment_id;
// A credit note or a negative regularization: money owed to the customer until it is refunded.
const owedToCustomer = (invoice) => invoice.kind === "credit_note" || invoice.total_cents < 0;
const invoiceLink = (invoice) => `/invoice?id=${enc(invoice.invoice_id)}`;
const invoiceBadge = (invoice) => {
  const status = invoice.status === "open" && owedToCustomer(invoice) ? "to_refund" : invoice.status;
  return h("span", { class: `status invoice-${status}` }, t(`invoice_status_${status}`),
    invoice.pending_payment_id ? h("span", { class: "pending" }, ` (${t("pending_badge")})`) : null);
};
const calendarDay = (iso) => {
  const [year, month, date] = iso.split("-").map(Number);
  return new Date(year, month - 1, date);
};
const shortDay = (iso) => iso ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(calendarDay(iso)) : t("none");
const periodText = (invoice) => invoice.period_start && invoice.period_end
  ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).formatRange(calendarDay(invoice.period_start), calendarDay(invoice.period_end))
  : t("none");
const monthOf = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
function monthsBack(count) {
  const date = new Date();
  date.setDate(1);
  date.setMonth(date.getMonth() - count);
  return monthOf(date);
}
const monthName = (value) => {
  const [year, number] = value.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric" }).format(new Date(year, number - 1, 1));
};
const quantity = (text) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(Number(text));
const percent = (rate) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 2 }).format(Number(rate) / 100);
const known = (key) => key in TEXT.fr;
const unitName = (unit) => known(`unit_${String(unit).toLowerCase()}`) ? t(`unit_${String(unit).toLowerCase()}`) : unit;
const methodName = (method) => known(`method_${method}`) ? t(`method_${method}`) : method;
const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1);
const headCells = (keys, numeric = []) => h("thead", {}, h("tr", {}, keys.map((key) =>
  h("th", { scope: "col", class: numeric.includes(key) ? "number" : false }, t(key)))));

const invoiceTabs = () => h("nav", { class: "tabs", "aria-label": t("invoices_title") },
  [["/my-invoices", "tab_invoices"], ["/schedule", "tab_schedule"], ["/billing", "tab_billing"]].map(([href, key]) =>
    h("a", { href, "aria-current": location.pathname === href ? "page" : false }, t(key))));

// What a customer may not have (bank details, a virtual battery…): null when the API says 404.
async function optional(path) {
  try {
    return await authed("GET", path);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}
const bankAccount = () => optional("/invoices/bank-account");

// A button asking the API for a short link to a PDF: opened in a new tab, and left on the page in
// case the browser blocked the tab. Returns [button, error, link] for the caller's layout.
function pdfAction(label, ariaLabel, request, explain = errorText) {
  const link = h("span", { class: "document-link", "aria-live": "polite" });
  const status = h("span", { class: "inline-status" });
  const button = h("button", { type: "button", class: "small", "aria-label": ariaLabel, onclick: async () => {
    button.disabled = true;
    status.replaceChildren();
    try {
      const { url, expires_at } = await request();
      const opened = window.open(url, "_blank");
      if (opened) opened.opener = null;
      link.replaceChildren(h("span", { class: "muted" }, t("document_link", clock(expires_at)), " "),
        h("a", { href: url, target: "_blank", rel: "noopener" }, t("open_document")));
    } catch (error) {
      status.replaceChildren(notice("error", explain(error)));
    } finally {
      button.disabled = false;
    }
  } }, label);
  return [button, status, link];
}

const pdfButton = (invoice) => pdfAction(t("pdf"), t("pdf_label", invoice.number),
  () => authed("GET", `/invoices/${enc(invoice.invoice_id)}/pdf`));
const duplicateButton = (invoice) => pdfAction(t("duplicate"), t("duplicate_label", invoice.number),
  () => authed("POST", `/invoices/${enc(invoice.invoice_id)}/duplicate`),
  (error) => error.status === 429 ? `${error.message} ${t("duplicate_limit")}` : errorText(error));

// One Idempotency-Key per submission. A retry of the same payment whose answer was lost (network
// failure, 5xx) reuses it, so the payment is made at most once; any answer from the API ends it.
function keyedSubmission() {
  let pending = null;
  return async (body, send) => {
    const text = JSON.stringify(body);
    if (!pending || pending.body !== text) pending = { body: text, key: newKey() };
    try {
      const answer = await send(pending.key);
      pending = null;
      return answer;
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) pending = null;
      throw error;
    }
  };
}

function instructionsBlock(payment) {
  const info = payment.instructions || {};
  return h("div", { class: "notice ok instructions", role: "status", "data-payment": payment.payment_id },
    h("strong", { class: "block" }, t(`instructions_title_${payment.method}`)),
    h("p", {}, t(`instructions_${payment.method}`, money(payment.amount_cents, payment.currency))),
    definitions([
      ["payee", info.payee],
      ["payment_reference", info.reference ? h("span", { class: "mono" }, info.reference) : null],
      ["send_to", (info.address || []).map((line) => h("span", { class: "block" }, line))],
      ["send_before", info.due_on ? day(info.due_on) : null],
    ]),
    h("p", { class: "muted" }, t("instructions_note")));
}

// Which provider takes cards (GET /invoices/payment-provider), asked once per page load.
let providerAnswer = null;
const paymentProvider = () => (providerAnswer ||= authed("GET", "/invoices/payment-provider")
  .catch(() => ({ provider: "sandbox", publishable_key: null })));

// Stripe.js, loaded from Stripe (as Stripe requires) once, only on a stage whose provider is Stripe.
let stripeScript = null;
function loadStripe(publishableKey) {
  stripeScript ||= new Promise((resolve, reject) => {
    const script = h("script", { src: "https://js.stripe.com/v3/" });
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => reject(new Error("Stripe.js could not be loaded")));
    document.head.append(script);
  });
  return stripeScript.then(() => window.Stripe(publishableKey));
}

// How the form collects a card. The sandbox: the number typed, sent as is (its test cards).
// Stripe: Stripe Elements' hosted field mounted in place of the input, the card turned into a
// PaymentMethod by Stripe.js, so the page never sees the number; and 3-D Secure finished with it.
function sandboxCard(input) {
  return { provider: "sandbox", token: async () => input.value.trim(), authenticate: null };
}

async function stripeCard(config, slot) {
  const stripe = await loadStripe(config.publishable_key);
  const element = stripe.elements({ locale: language }).create("card", { hidePostalCode: true });
  element.mount(slot);
  return {
    provider: "stripe",
    token: async () => {
      const { paymentMethod, error } = await stripe.createPaymentMethod({ type: "card", card: element });
      if (error) throw Object.assign(new Error(error.message), { cardProblem: error.message });
      return paymentMethod.id;
    },
    authenticate: async (clientSecret) => !(await stripe.handleNextAction({ clientSecret })).error,
  };
}

// The payment form of one invoice or of several (`selected()` gives them when it is sent; the
// caller dispatches "change" on the form when they change). The card is collected as the
// provider wants (above): typed for the sandbox, in Stripe's hosted field for Stripe.
function paymentForm({ selected, account, done }) {
  const submitOnce = keyedSubmission();
  const group = `method-${++fieldCount}`;
  const cardId = `field-${++fieldCount}`;
  const cardError = h("span", { class: "field-error", id: `${cardId}-error` });
  const cardInput = h("input", { id: cardId, name: "card_token", type: "text", inputmode: "numeric", autocomplete: "cc-number",
    maxlength: 23, "aria-describedby": `${cardId}-hint ${cardId}-error` });
  const cardHint = h("span", { class: "hint", id: `${cardId}-hint` }, t("card_sandbox_hint"));
  const cardField = h("div", { class: "field", "data-field": "card_token" }, h("label", { for: cardId }, t("card_number")),
    cardInput, cardHint, cardError);
  let collector = sandboxCard(cardInput);
  const ready = paymentProvider().then(async (config) => {
    if (config.provider !== "stripe" || !config.publishable_key) return;
    const slot = h("div", { id: cardId, class: "stripe-card", "data-provider": "stripe" });
    cardInput.replaceWith(slot);
    cardHint.textContent = t("card_stripe_hint");
    collector = await stripeCard(config, slot);
  }).catch(() => {
    cardError.textContent = t("retry_same");
  });
  const option = (method, { disabled = false, hint = null } = {}) => h("div", { class: "method-option", "data-method": method },
    h("label", {}, h("input", { type: "radio", name: group, value: method, checked: method === "card", disabled }), methodName(method)),
    hint ? h("span", { class: "hint" }, hint) : null);
  const methods = h("fieldset", { class: "methods" }, h("legend", {}, t("payment_method")),
    option("card"),
    account
      ? option("direct_debit", { hint: t("direct_debit_on", account.iban_masked) })
      : option("direct_debit", { disabled: true, hint: [t("no_bank_account_hint"), " ", h("a", { href: "/billing" }, t("add_bank_link"))] }),
    option("check"), option("tip"));
  const mailHint = h("p", { class: "hint" }, t("mail_payment_hint"));
  const status = h("div", { class: "form-status" });
  const button = h("button", { class: "primary", type: "submit" });
  const element = h("form", { class: "rich payment", novalidate: true }, methods, cardField, mailHint, status, button);
  const method = () => element.querySelector(`input[name=${group}]:checked`)?.value || "card";
  const tipHint = h("p", { class: "hint tip-hint" }, t("tip_needs_slip"));
  methods.querySelector("[data-method=tip]").append(tipHint);
  const update = () => {
    // a TIP is the slip printed on the invoice: only invoices issued to be paid by TIP carry one
    const tipInput = methods.querySelector("[data-method=tip] input");
    const withSlip = selected().length > 0 && selected().every((invoice) => invoice.payment_mode === "tip");
    tipInput.disabled = !withSlip;
    tipHint.hidden = withSlip;
    if (!withSlip && tipInput.checked) methods.querySelector("[data-method=card] input").checked = true;
    cardField.hidden = method() !== "card";
    mailHint.hidden = !["check", "tip"].includes(method());
    const invoices = selected();
    const total = invoices.reduce((sum, invoice) => sum + invoice.amount_due_cents, 0);
    button.textContent = invoices.length ? t("pay_amount", money(total, invoices[0].currency)) : t("pay");
  };
  element.addEventListener("change", update);
  update();
  const declined = (code) => {
    const reason = known(`decline_${code}`) ? t(`decline_${code}`) : t("decline_unknown");
    status.replaceChildren(h("div", { class: "notice error payment-declined", role: "alert", "data-code": code },
      t("payment_declined", reason)));
    if (method() === "card" && collector.provider === "sandbox") cardInput.select();
  };
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    cardError.textContent = "";
    cardInput.removeAttribute("aria-invalid");
    const invoices = selected();
    if (!invoices.length) {
      status.replaceChildren(notice("error", t("choose_invoices")));
      return;
    }
    const chosen = method();
    let card = "";
    if (chosen === "card") {
      try {
        await ready;
        card = await collector.token();
      } catch (error) {
        cardError.textContent = error.cardProblem || t("retry_same");
        return;
      }
    }
    const body = { method: chosen, ...(chosen === "card" && card ? { card_token: card } : {}) };
    const [path, payload] = invoices.length === 1
      ? [`/invoices/${enc(invoices[0].invoice_id)}/payments`, body]
      : ["/invoices/payments", { invoice_ids: invoices.map((invoice) => invoice.invoice_id), ...body }];
    button.disabled = true;
    try {
      const payment = await submitOnce({ path, payload },
        (key) => authed("POST", path, payload, { "Idempotency-Key": key }));
      if (payment.status === "succeeded") {
        done(payment);
      } else if (payment.status === "failed") {
        declined(payment.failure_code);
      } else if (payment.status === "pending" && payment.action?.type === "authenticate" && collector.authenticate) {
        // 3-D Secure, in Stripe's own window; the webhook then tells the API how it ended
        if (await collector.authenticate(payment.action.client_secret)) {
          status.replaceChildren(h("div", { class: "notice ok payment-confirming", role: "status" }, t("payment_confirming")));
        } else {
          declined("authentication_failed");
        }
      } else if (payment.status === "pending" && payment.method === "direct_debit") {
        status.replaceChildren(h("div", { class: "notice ok debit-processing", role: "status" }, t("debit_processing")));
      } else {
        status.replaceChildren(instructionsBlock(payment));
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) {
        status.replaceChildren(notice("error", t("retry_same")));
      } else {
        const { card_token: cardProblem, ...others } = error.fields || {};
        if (cardProblem) {
          cardError.textContent = cardProblem;
          cardInput.setAttribute("aria-invalid", "true");
          cardInput.focus();
        }
        status.replaceChildren(notice("error", errorText({ message: error.message, fields: others })));
      }
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

const paidNotice = (payment) => t("payment_succeeded", money(payment.amount_cents, payment.currency), lowerFirst(methodName(payment.method)));

// --- the list --------------------------------------------------------------------------------

function invoiceFilters(filters, failure) {
  const problems = failure?.fields || {};
  // The months that can be consulted, newest first, named in the page's language; a month from
  // the address that is not among them is kept, for the API to say what is wrong with it.
  const months = Array.from({ length: 25 }, (_, back) => monthsBack(back));
  const month = (name, value) => {
    const id = `invoices-${name}`;
    const values = months.includes(value) || !/^\d{4}-\d{2}$/.test(value) ? months : [value, ...months];
    return h("div", { class: "field", "data-field": name }, h("label", { for: id }, t(`period_${name}`)),
      h("select", { id, name, "aria-invalid": problems[name] ? "true" : false, "aria-describedby": `${id}-error` },
        values.map((each) => h("option", { value: each, selected: each === value }, monthName(each)))),
      h("span", { class: "field-error", id: `${id}-error` }, problems[name] || ""));
  };
  const choice = (name, all, values, label) => h("div", { class: "field" }, h("label", { for: `invoices-${name}` }, t(name === "kind" ? "col_kind" : "status")),
    h("select", { id: `invoices-${name}`, name }, h("option", { value: "" }, t(all)),
      values.map((value) => h("option", { value, selected: filters[name] === value }, label(value)))));
  const element = h("form", { class: "inline filters invoice-filters", role: "search", "aria-label": t("search"), novalidate: true },
    month("from", filters.from || monthsBack(11)), month("to", filters.to || monthsBack(0)),
    choice("status", "all_statuses", INVOICE_STATUSES, (status) => t(`invoice_status_${status}`)),
    choice("kind", "all_kinds", INVOICE_KINDS, (kind) => t(`invoice_kind_${kind}`)),
    h("button", { class: "primary", type: "submit" }, t("apply_filters")),
    h("a", { href: "/my-invoices", class: "reset" }, t("reset_filters")));
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(compact(Object.fromEntries(new FormData(element).entries())));
    go(`/my-invoices${String(query) ? `?${query}` : ""}`);
  });
  return element;
}

function invoiceRow(invoice, onSelect) {
  const canPay = payable(invoice);
  const box = canPay ? h("input", { type: "checkbox", name: "selected", value: invoice.invoice_id,
    "aria-label": t("select_invoice", invoice.number), onchange: () => onSelect(invoice, box.checked) }) : null;
  return h("tr", { "data-invoice": invoice.invoice_id, "data-status": invoice.status },
    h("td", { class: "select" }, box),
    h("td", { "data-column": "number", class: "mono" }, h("a", { href: invoiceLink(invoice) }, invoice.number)),
    h("td", { "data-column": "kind" }, t(`invoice_kind_${invoice.kind}`)),
    h("td", { "data-column": "issued" }, shortDay(invoice.issued_on)),
    h("td", { "data-column": "period" }, periodText(invoice)),
    h("td", { "data-column": "total", class: "number" }, money(invoice.total_cents, invoice.currency)),
    h("td", { "data-column": "due", class: `number${invoice.status === "overdue" ? " late" : ""}` },
      money(invoice.amount_due_cents, invoice.currency)),
    h("td", { "data-column": "status" }, invoiceBadge(invoice)),
    h("td", { "data-column": "actions" }, h("div", { class: "row-actions" },
      canPay ? h("a", { class: "button pay", href: `${invoiceLink(invoice)}#pay`, "aria-label": t("pay_label", invoice.number) }, t("pay")) : null,
      pdfButton(invoice), duplicateButton(invoice))));
}

async function invoicesPage() {
  const filters = Object.fromEntries(["from", "to", "status", "kind"].map((name) => [name, param(name)]));
  const query = new URLSearchParams(compact({ ...filters, limit: PAGE_SIZE }));
  let failure = null;
  const [listing, account] = await Promise.all([
    authed("GET", `/invoices?${query}`).catch((error) => {
      if (!(error instanceof ApiError) || error.status === 401 || error.status >= 500) throw error;
      failure = error;
      return { items: [], next_cursor: null };
    }),
    bankAccount(),
  ]);
  const selected = new Map();
  const selectionText = h("p", { class: "selection-summary", "aria-live": "polite" });
  const payForm = paymentForm({ selected: () => [...selected.values()], account, done: (payment) => reloadWith("ok", paidNotice(payment)) });
  const payCard = h("section", { class: "card", id: "pay-selection", hidden: true },
    h("h2", {}, t("pay_selection_title")), selectionText, payForm);
  const showSelection = () => {
    const total = [...selected.values()].reduce((sum, invoice) => sum + invoice.amount_due_cents, 0);
    const first = selected.values().next().value;
    selectionText.textContent = selected.size ? t("selection_summary", selected.size, money(total, first.currency)) : t("pay_selection_hint");
    selectionText.classList.toggle("muted", !selected.size);
    payForm.hidden = !selected.size; // the form once there is something to pay
    payForm.dispatchEvent(new Event("change"));
  };
  const onSelect = (invoice, checked) => {
    if (checked) selected.set(invoice.invoice_id, invoice);
    else selected.delete(invoice.invoice_id);
    showSelection();
  };
  const tbody = h("tbody");
  const add = (items) => {
    // newest first; invoices of one day by number (their ids end with random digits)
    const sorted = [...items].sort((a, b) => b.issued_on.localeCompare(a.issued_on) || b.number.localeCompare(a.number));
    tbody.append(...sorted.map((invoice) => invoiceRow(invoice, onSelect)));
    if (items.some(payable)) payCard.hidden = false;
  };
  add(listing.items);
  showSelection();
  let cursor = listing.next_cursor;
  const more = h("div", { class: "more", hidden: !cursor }, actionButton(t("more"), async () => {
    const next = new URLSearchParams(query);
    next.set("cursor", cursor);
    const page = await authed("GET", `/invoices?${next}`);
    add(page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }, { className: "small" }));
  const table = h("div", { class: "table-scroll" }, h("table", { class: "invoices" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "select" }, h("span", { class: "visually-hidden" }, t("col_select"))),
      ["col_number", "col_kind", "col_issued", "col_period", "col_total", "col_amount_due", "col_status", "col_actions"].map((key) =>
        h("th", { scope: "col", class: ["col_total", "col_amount_due"].includes(key) ? "number" : false }, t(key))))),
    tbody));
  return h("div", {},
    pageTitle(t("invoices_title")),
    invoiceTabs(),
    h("section", { class: "card" }, invoiceFilters(filters, failure), h("p", { class: "hint" }, t("invoices_consultable"))),
    failure ? notice("error", failure.message) : h("section", { class: "card", id: "invoices" }, listing.items.length || cursor
      ? [table, more]
      : h("p", { class: "muted" }, t("no_invoices"))),
    payCard);
}

// --- one invoice -----------------------------------------------------------------------------

function refundsBlock(invoice) {
  const currency = invoice.currency;
  const parts = [h("p", {}, t("owed_notice", money(invoice.owed_cents ?? -invoice.total_cents, currency)),
    " ", invoice.carried ? t("carried_notice") : invoice.status === "open" ? t("refund_waiting") : "")];
  if ((invoice.refunds || []).length) {
    parts.push(h("table", { class: "refunds" },
      headCells(["date", "payment_method", "amount", "status"], ["amount"]),
      h("tbody", {}, invoice.refunds.map((refund) => h("tr", { "data-refund": refund.refund_id, "data-status": refund.status },
        h("td", {}, refund.refunded_on ? day(refund.refunded_on) : t("none")),
        h("td", {}, t(`refund_method_${refund.method}`)),
        h("td", { class: "number" }, money(refund.amount_cents, currency)),
        h("td", {}, h("span", { class: `status refund-${refund.status}` }, t(`refund_status_${refund.status}`))))))));
  }
  return parts;
}

function payCardFor(invoice, account) {
  let content;
  if (invoice.pending_payment_id && ["open", "overdue"].includes(invoice.status)) {
    content = h("p", { class: "notice pending-payment", "data-payment": invoice.pending_payment_id }, t("pending_notice"));
  } else if (owedToCustomer(invoice) && invoice.owed_cents != null) {
    content = refundsBlock(invoice);
  } else if (payable(invoice)) {
    content = [
      invoice.payment_mode === "direct_debit" && invoice.status === "open"
        ? h("p", { class: "muted" }, t("direct_debit_planned", day(invoice.due_on))) : null,
      paymentForm({ selected: () => [invoice], account, done: (payment) => reloadWith("ok", paidNotice(payment)) }),
    ];
  } else {
    const why = { resale: "resale_notice", credit_note: "credit_note_notice" }[invoice.kind]
      || (invoice.status === "void" ? "void_notice" : "paid_notice");
    content = h("p", {}, t(why));
  }
  const title = owedToCustomer(invoice) && invoice.owed_cents != null ? "refund_title" : "pay_title";
  return h("section", { class: "card", id: "pay" }, h("h2", {}, t(title)), content);
}

function linesCard(invoice) {
  const currency = invoice.currency;
  const paid = invoice.total_cents - invoice.amount_due_cents;
  const total = (key, value, className = false) => [h("dt", { class: className }, t(key)), h("dd", { class: className, "data-total": key }, value)];
  return h("section", { class: "card", id: "lines" }, h("h2", {}, t("lines_title")),
    h("div", { class: "table-scroll" }, h("table", { class: "lines" },
      headCells(["col_description", "col_quantity", "col_unit", "col_unit_price", "col_tax_rate", "col_total_excl"],
        ["col_quantity", "col_unit_price", "col_tax_rate", "col_total_excl"]),
      h("tbody", {}, invoice.lines.map((line) => h("tr", {},
        h("td", {}, line.description), h("td", { class: "number" }, quantity(line.quantity)), h("td", {}, unitName(line.unit)),
        h("td", { class: "number" }, line.unit_price != null ? amount(Number(line.unit_price), currency, 4) : money(line.unit_price_cents, currency)),
        h("td", { class: "number" }, percent(line.tax_rate)),
        h("td", { class: "number" }, money(line.total_excl_tax_cents, currency))))))),
    h("div", { class: "sums" },
      (invoice.tax_breakdown || []).length ? h("div", { class: "vat" }, h("h3", {}, t("vat_title")),
        h("table", { class: "vat" }, headCells(["col_rate", "col_base", "col_vat"], ["col_rate", "col_base", "col_vat"]),
          h("tbody", {}, invoice.tax_breakdown.map((group) => h("tr", {},
            h("td", { class: "number" }, percent(group.rate)), h("td", { class: "number" }, money(group.base_cents, currency)),
            h("td", { class: "number" }, money(group.tax_cents, currency))))))) : h("div"),
      h("dl", { class: "totals" },
        total("total_excl_tax", money(invoice.total_excl_tax_cents, currency)),
        total("tax_total", money(invoice.tax_cents, currency)),
        total("total_incl_tax", money(invoice.total_cents, currency), "grand"),
        paid > 0 && invoice.amount_due_cents > 0 ? total("already_paid", money(paid, currency)) : null,
        ["invoice", "regularization"].includes(invoice.kind) ? total("amount_due", money(invoice.amount_due_cents, currency), "grand") : null)));
}

function paymentsCard(invoice) {
  return h("section", { class: "card", id: "payments" }, h("h2", {}, t("payments_title")), invoice.payments?.length
    ? h("div", { class: "table-scroll" }, h("table", { class: "payments" },
        headCells(["date", "payment_method", "amount", "status"], ["amount"]),
        h("tbody", {}, invoice.payments.map((payment) => h("tr", { "data-payment": payment.payment_id },
          h("td", {}, moment(payment.at)), h("td", {}, methodName(payment.method)),
          h("td", { class: "number" }, money(payment.amount_cents, invoice.currency)),
          h("td", {}, h("span", { class: `status payment-${payment.status}` }, t(`payment_status_${payment.status}`))))))))
    : h("p", { class: "muted" }, t("no_payments")));
}

async function invoicePage() {
  const [invoice, account] = await Promise.all([authed("GET", `/invoices/${enc(param("id"))}`), bankAccount()]);
  const kind = t(`invoice_kind_${invoice.kind}`);
  const summary = h("section", { class: "card", id: "summary" },
    h("div", { class: "card-head" }, h("h2", {}, t("invoice_summary")),
      h("span", { class: "muted" }, t("customer_id"), " ", h("span", { class: "customer-id" }, invoice.customer_id))),
    definitions([
      ["col_kind", kind], ["issued_on", day(invoice.issued_on)], ["invoice_due_on", day(invoice.due_on)],
      ["billing_period", invoice.period_start ? periodText(invoice) : null],
      ["invoice_payment_mode", invoice.payment_mode ? methodName(invoice.payment_mode) : null],
      ["total_incl_tax", money(invoice.total_cents, invoice.currency)],
      ["amount_due", money(invoice.amount_due_cents, invoice.currency)],
      ...(invoice.order_id ? [["related_order", h("a", { href: `/order-status?id=${enc(invoice.order_id)}` }, invoice.order_id)]] : []),
      ...(invoice.credited_invoice_id
        ? [["credited_invoice", h("a", { href: `/invoice?id=${enc(invoice.credited_invoice_id)}` }, invoice.credited_invoice_id)]] : []),
    ]),
    h("div", { class: "row-actions documents-actions" }, pdfButton(invoice), duplicateButton(invoice)));
  return h("div", { class: "invoice", "data-invoice": invoice.invoice_id, "data-status": invoice.status },
    h("p", { class: "breadcrumb" }, h("a", { href: "/my-invoices" }, t("nav_invoices"))),
    pageTitle(t("invoice_heading", kind, invoice.number), invoiceBadge(invoice)),
    h("div", { class: "detail-grid" }, summary, payCardFor(invoice, account)),
    linesCard(invoice),
    paymentsCard(invoice));
}

// --- the payment schedule of a monthly payer ------------------------------------------------

async function schedulePage() {
  let schedule;
  try {
    schedule = await authed("GET", "/invoices/schedule");
  } catch (error) {
    if (error.status !== 404) throw error;
    return h("div", {}, pageTitle(t("schedule_title")), invoiceTabs(),
      h("section", { class: "card", id: "no-schedule" }, h("h2", {}, t("no_schedule_title")), h("p", {}, t("no_schedule")),
        h("a", { class: "button", href: "/my-invoices" }, t("tab_invoices"))));
  }
  // one schedule per contract paid by monthly debits (`schedules`), the running one first
  const cards = (schedule.schedules || [schedule]).flatMap((each, index) => {
    const currency = each.currency || "EUR";
    const collected = each.installments.filter((item) => item.status === "paid").reduce((sum, item) => sum + item.amount_cents, 0);
    const suffix = index ? `-${index + 1}` : "";
    return [
      h("section", { class: "card schedule", id: `schedule${suffix}`, "data-year": each.year, "data-subscription": each.subscription_id },
        h("h2", {}, t("schedule_year", each.year)),
        index ? null : h("p", {}, t("schedule_intro")),
        definitions([
          ["estimated_annual", money(each.estimated_annual_cents, currency)],
          ["collected_so_far", money(collected, currency)],
          ...(each.consumption_billed_cents ? [["consumption_billed", money(each.consumption_billed_cents, currency)]] : []),
          ["regularization_on", day(each.regularization_on)],
        ])),
      h("section", { class: "card", id: `installments${suffix}` }, h("h2", {}, t("installments_title")),
        h("div", { class: "table-scroll" }, h("table", { class: "installments" },
          headCells(["col_installment", "col_debit_on", "amount", "status"], ["amount"]),
          h("tbody", {}, each.installments.map((item, position) => h("tr", { "data-status": item.status },
            h("td", {}, item.number ?? position + 1), h("td", {}, day(item.due_on)),
            h("td", { class: "number" }, money(item.amount_cents, currency)),
            h("td", {}, h("span", { class: `status installment-${item.status}` },
              known(`installment_status_${item.status}`) ? t(`installment_status_${item.status}`) : item.status),
              item.retry_on ? h("span", { class: "muted block" }, t("retry_on", day(item.retry_on))) : null)))))))];
  });
  return h("div", {}, pageTitle(t("schedule_title")), invoiceTabs(), ...cards);
}

// --- bank details and billing preferences ----------------------------------------------------

function preferenceToggle(preferences, name) {
  const status = h("span", { class: "inline-status" });
  const box = h("input", { type: "checkbox", name, checked: Boolean(preferences[name]), onchange: async () => {
    box.disabled = true;
    status.replaceChildren();
    try {
      const saved = await authed("PATCH", "/invoices/preferences", { [name]: box.checked });
      box.checked = Boolean(saved[name]);
      status.replaceChildren(notice("ok", t("preferences_saved")));
    } catch (error) {
      box.checked = !box.checked;
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      box.disabled = false;
    }
  } });
  return h("div", { class: "field check", "data-field": name }, h("label", {}, box, t(name)), status);
}

function preferredMethod(preferences, account) {
  const status = h("span", { class: "inline-status" });
  const id = `field-${++fieldCount}`;
  const select = h("select", { id, name: "payment_method", onchange: async () => {
    select.disabled = true;
    status.replaceChildren();
    try {
      const saved = await authed("PATCH", "/invoices/preferences", { payment_method: select.value });
      select.value = saved.payment_method;
      status.replaceChildren(notice("ok", t("preferences_saved")));
    } catch (error) {
      select.value = preferences.payment_method;
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      select.disabled = false;
    }
  } }, ["card", "direct_debit", "check", "tip"].map((method) => h("option", {
    value: method, selected: preferences.payment_method === method, disabled: method === "direct_debit" && !account,
  }, methodName(method))));
  return h("div", { class: "field", "data-field": "payment_method" }, h("label", { for: id }, t("preferred_method")),
    select, h("span", { class: "hint" }, t("preferred_method_hint")), status);
}

async function billingPage() {
  const [account, preferences, me] = await Promise.all([
    bankAccount(), authed("GET", "/invoices/preferences"), authed("GET", "/auth/me")]);
  const bankForm = richForm({
    fields: [
      { name: "iban", label: t("iban"), hint: t("iban_hint"), required: true,
        attributes: { maxlength: 64, spellcheck: "false", autocapitalize: "characters" } },
      { name: "bic", label: t("bic"), attributes: { maxlength: 16, spellcheck: "false", autocapitalize: "characters" } },
      { name: "holder", label: t("holder"), required: true, autocomplete: "name",
        value: account?.holder || [me.first_name, me.last_name].filter(Boolean).join(" "), attributes: { maxlength: 140 } },
    ],
    submit: t("save"),
    className: "compact",
    action: ({ iban, bic, holder }) => authed("PUT", "/invoices/bank-account", { iban, holder, ...(bic ? { bic } : {}) }),
    done: () => reloadWith("ok", t("bank_saved")),
  });
  return h("div", {}, pageTitle(t("billing_title")), invoiceTabs(),
    h("section", { class: "card", id: "bank-account" }, h("h2", {}, t("bank_title")),
      h("div", { class: "bank-grid" },
        account
          ? definitions([
              ["iban_masked", h("span", { class: "mono nowrap" }, account.iban_masked)], ["bic_code", account.bic], ["holder", account.holder],
              ["mandate_reference", h("span", { class: "mono" }, account.mandate_reference)], ["signed_on", day(account.signed_on)],
            ])
          : h("p", { class: "muted" }, t("no_bank_account")),
        h("div", {}, h("h3", {}, t(account ? "change_bank" : "add_bank")), h("p", { class: "hint" }, t("bank_hint")), bankForm))),
    h("section", { class: "card", id: "preferences" }, h("h2", {}, t("preferences_title")),
      preferredMethod(preferences, account),
      preferenceToggle(preferences, "paperless"), preferenceToggle(preferences, "notify_new_invoice")));
}

// --- the consumption area (API.md, "Consumption") ---------------------------------------------

const STEPS = ["month", "day", "hour", "half_hour"];
const ONE_DAY_STEPS = ["hour", "half_hour"];
const isDay = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value);
const today = () => localDayKey(new Date());
const addDays = (iso, count) => {
  const date = calendarDay(iso);
  date.setDate(date.getDate() + count);
  return localDayKey(date);
};
const addMonths = (month, count) => {
  const [year, number] = month.split("-").map(Number);
  return monthOf(new Date(year, number - 1 + count, 1));
};
const monthEnd = (month) => addDays(`${addMonths(month, 1)}-01`, -1);
const measure = (value, unit) => value == null ? t("none") : `${quantity(value)}\u00a0${unitName(unit)}`;
// This page's address with some query parameters changed (null removes one).
const withParams = (changes) => {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) value == null ? query.delete(name) : query.set(name, value);
  return `${location.pathname}?${query}`;
};

// The period the chart shows, from the address: by default the last 12 months, the last 30 days,
// or yesterday (today's readings arrive tomorrow) for hours and half-hours.
function chartPeriod() {
  const step = STEPS.includes(param("step")) ? param("step") : "month";
  const to = isDay(param("to")) ? param("to") : today();
  if (ONE_DAY_STEPS.includes(step)) {
    const chosen = isDay(param("from")) ? param("from") : addDays(today(), -1);
    return { step, from: chosen, to: chosen };
  }
  const from = isDay(param("from")) ? param("from") : step === "month" ? `${addMonths(to.slice(0, 7), -11)}-01` : addDays(to, -29);
  return { step, from, to };
}

// The same length of time before or after: a day, as many days, or as many months.
function shiftedPeriod({ step, from, to }, direction) {
  if (step !== "month") {
    const days = Math.round((calendarDay(to) - calendarDay(from)) / 86400000) + 1;
    return { from: addDays(from, direction * days), to: addDays(to, direction * days) };
  }
  const [fromYear, fromMonth] = from.split("-").map(Number);
  const [toYear, toMonth] = to.split("-").map(Number);
  const months = (toYear - fromYear) * 12 + toMonth - fromMonth + 1;
  return { from: `${addMonths(from.slice(0, 7), direction * months)}-01`, to: monthEnd(addMonths(to.slice(0, 7), direction * months)) };
}

function stepTabs(period) {
  const anchor = period.to < today() ? period.to : today();
  const target = (step) => ONE_DAY_STEPS.includes(step)
    ? { step, from: anchor === today() ? addDays(anchor, -1) : anchor, to: null }
    : { step, from: null, to: anchor };
  return h("nav", { class: "tabs steps", "aria-label": t("steps_label") }, STEPS.map((step) =>
    h("a", { href: withParams(target(step)), "aria-current": step === period.step ? "page" : false, "data-step": step }, t(`step_${step}`))));
}

function periodForm(period, failure) {
  const problems = failure?.fields || {};
  const input = (name, label, type, value) => h("div", { class: "field", "data-field": name },
    h("label", { for: `period-${name}` }, label),
    h("input", { id: `period-${name}`, name, type, value, required: true, "aria-invalid": problems[name] ? "true" : false }));
  const byMonth = period.step === "month";
  const oneDay = ONE_DAY_STEPS.includes(period.step);
  const fields = oneDay ? [input("from", t("day"), "date", period.from)]
    : byMonth ? [input("from", t("period_from"), "month", period.from.slice(0, 7)), input("to", t("period_to"), "month", period.to.slice(0, 7))]
    : [input("from", t("from_day"), "date", period.from), input("to", t("to_day"), "date", period.to)];
  const previous = shiftedPeriod(period, -1);
  const next = shiftedPeriod(period, 1);
  const element = h("form", { class: "inline filters period", "aria-label": t("period_shown"), novalidate: true }, fields,
    h("button", { class: "primary", type: "submit" }, t("show")),
    h("a", { href: withParams(previous), class: "reset" }, t("previous_period")),
    next.from <= today() ? h("a", { href: withParams(next), class: "reset" }, t("next_period")) : null);
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const { from, to } = Object.fromEntries(new FormData(element).entries());
    if (byMonth) go(withParams({ from: `${from}-01`, to: /^\d{4}-\d{2}$/.test(to) ? monthEnd(to) : to }));
    else go(withParams({ from, to: oneDay ? from : to }));
  });
  return element;
}

// What one point of a series is called: its month, its day or its time (the meter's local time).
function pointName(step, start) {
  if (step === "month") return monthName(start.slice(0, 7));
  if (step === "day") return shortDay(start.slice(0, 10));
  return start.slice(11, 16);
}

const axisLabel = (step, start) => step === "month"
  ? new Intl.DateTimeFormat(locale(), { month: "short" }).format(calendarDay(start.slice(0, 10)))
  : step === "day" ? String(Number(start.slice(8, 10))) : start.slice(11, 16);

// The series as bars: consumption up (peak and off-peak stacked with the off-peak option),
// injection down when the meter produces; a point without reading has no bar.
function barChart(answer, meter, label) {
  const points = answer.points;
  const stacked = meter.tariff_option === "off_peak";
  const producing = meter.has_production;
  const high = Math.max(0, ...points.map((point) => point.value ?? 0));
  const low = producing ? Math.max(0, ...points.map((point) => point.injected ?? 0)) : 0;
  const raw = Math.max(high, low, 0.001) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const tick = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((each) => each >= raw);
  const top = Math.ceil(high / tick) * tick || tick;
  const bottom = Math.ceil(low / tick) * tick;
  const [width, height, left, right, above, below] = [800, 290, 56, 8, 26, 24];
  const plot = height - above - below;
  const y = (value) => above + (top - value) / (top + bottom) * plot;
  const band = (width - left - right) / Math.max(points.length, 1);
  const every = Math.ceil(points.length / 12);
  const rect = (className, x, from, to) => h("svg:rect", { class: className, x, width: band * 0.7,
    y: Math.min(y(from), y(to)), height: Math.max(Math.abs(y(from) - y(to)), 0) });
  const ticks = [];
  for (let index = -Math.round(bottom / tick); index <= Math.round(top / tick); index += 1) ticks.push(index * tick);
  return h("svg:svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    ticks.map((value) => h("svg:g", { class: value === 0 ? "axis zero" : "axis" },
      h("svg:line", { x1: left, x2: width - right, y1: y(value), y2: y(value) }),
      h("svg:text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" }, quantity(Math.abs(value))))),
    h("svg:text", { class: "unit", x: left - 6, y: 11, "text-anchor": "end" }, unitName(answer.unit)),
    points.map((point, index) => {
      const x = left + index * band + band * 0.15;
      const values = [[t("consumed"), point.value], ...(stacked ? [[t("peak_hours"), point.peak], [t("off_peak_hours"), point.off_peak]] : []),
        ...(producing ? [[t("injected"), point.injected]] : [])];
      return h("svg:g", { class: point.complete === false ? "bar partial" : "bar", "data-start": point.start },
        h("svg:title", {}, `${pointName(answer.step, point.start)} — ${values.map(([name, value]) =>
          `${name} : ${measure(value, answer.unit)}`).join(", ")}${point.complete === false ? ` (${t("partial")})` : ""}`),
        point.value == null ? null : stacked
          ? [rect("off-peak", x, 0, point.off_peak ?? 0), rect("peak", x, point.off_peak ?? 0, point.value)]
          : rect("consumed", x, 0, point.value),
        producing && point.injected ? rect("injected", x, -point.injected, 0) : null,
        index % every ? null : h("svg:text", { class: "label", x: x + band * 0.35, y: height - 6, "text-anchor": "middle" },
          axisLabel(answer.step, point.start)));
    }));
}

// The chart's values as a table; a day or a month leads to its own detail.
function seriesTable(answer, meter) {
  const stacked = meter.tariff_option === "off_peak";
  const columns = ["col_period", "consumed", ...(stacked ? ["peak_hours", "off_peak_hours"] : []), ...(meter.has_production ? ["injected"] : [])];
  const detail = (point) => {
    const name = pointName(answer.step, point.start);
    if (answer.step === "day") return h("a", { href: withParams({ step: "half_hour", from: point.start.slice(0, 10), to: null }), "aria-label": t("detail_label", name) }, name);
    if (answer.step === "month") {
      const month = point.start.slice(0, 7);
      return h("a", { href: withParams({ step: "day", from: `${month}-01`, to: monthEnd(month) }), "aria-label": t("detail_label", name) }, name);
    }
    return name;
  };
  return h("div", { class: "table-scroll" }, h("table", { class: "series" }, headCells(columns, columns.slice(1)),
    h("tbody", {}, answer.points.map((point) => h("tr", { "data-start": point.start },
      h("th", { scope: "row" }, detail(point), point.value == null ? h("span", { class: "muted" }, ` — ${t("no_reading")}`)
        : point.complete === false ? h("span", { class: "muted" }, ` — ${t("partial")}`) : null),
      h("td", { class: "number" }, measure(point.value, answer.unit)),
      stacked ? [h("td", { class: "number" }, measure(point.peak, answer.unit)), h("td", { class: "number" }, measure(point.off_peak, answer.unit))] : null,
      meter.has_production ? h("td", { class: "number" }, measure(point.injected, answer.unit)) : null)))));
}

// A file from the API (it needs the token, so no plain link): fetched, then saved under its name.
async function saveFile(path) {
  const answer = await api("GET", path, undefined, { auth: true, raw: true });
  const name = /filename="([^"]+)"/.exec(answer.headers.get("Content-Disposition") || "")?.[1] || "export.csv";
  const url = URL.createObjectURL(await answer.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function chartCard(meter) {
  const period = chartPeriod();
  const base = `/consumption/meters/${enc(meter.meter_id)}`;
  let answer = null;
  let failure = null;
  try {
    answer = await authed("GET", `${base}/series?${new URLSearchParams(period)}`);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401 || error.status >= 500) throw error;
    failure = error;
  }
  const stacked = meter.tariff_option === "off_peak";
  const totals = answer?.totals || {};
  const legend = [...(stacked ? [["peak", "peak_hours"], ["off-peak", "off_peak_hours"]] : [["consumed", "consumed"]]),
    ...(meter.has_production ? [["injected", "injected"]] : [])];
  const exportPath = `${base}/export.csv?${new URLSearchParams({ from: period.from, to: period.to })}`;
  return h("section", { class: "card", id: "chart", "data-meter": meter.meter_id, "data-step": period.step },
    h("div", { class: "card-head" }, h("h2", {}, t("meter_title", meter.pdl || meter.meter_id)),
      h("span", { class: "muted" }, meter.tariff_option ? t(`tariff_${meter.tariff_option}`) : null,
        meter.off_peak_hours?.length ? ` · ${t("off_peak_hours")} ${meter.off_peak_hours.map(range).join(", ")}` : null)),
    stepTabs(period),
    periodForm(period, failure),
    failure ? notice("error", errorText(failure)) : [
      definitions([["consumed", measure(totals.consumed, answer.unit)],
        ...(stacked ? [["peak_hours", measure(totals.peak, answer.unit)], ["off_peak_hours", measure(totals.off_peak, answer.unit)]] : []),
        ...(meter.has_production ? [["injected", measure(totals.injected, answer.unit)]] : [])]),
      barChart(answer, meter, t("chart_label", lowerFirst(t(`step_${answer.step}`)), shortDay(answer.from), shortDay(answer.to),
        measure(totals.consumed, answer.unit))),
      h("ul", { class: "legend", "aria-hidden": "true" }, legend.map(([className, key]) => h("li", {}, h("span", { class: `swatch ${className}` }), t(key)))),
      h("details", {}, h("summary", {}, t("chart_table")), seriesTable(answer, meter)),
    ],
    h("div", { class: "row-actions" }, actionButton(t("download_csv"), () => saveFile(exportPath), { className: "small" })));
}

async function summaryCard(meter) {
  const thisYear = Number(today().slice(0, 4));
  const first = Number(meter.active_from.slice(0, 4));
  const year = Number(param("year")) || thisYear;
  const summary = await authed("GET", `/consumption/meters/${enc(meter.meter_id)}/summary?year=${year}`);
  const unit = summary.unit || meter.unit;
  const stacked = meter.tariff_option === "off_peak";
  const columns = ["month", "consumed", ...(stacked ? ["peak_hours", "off_peak_hours"] : []), ...(meter.has_production ? ["injected"] : [])];
  const years = Array.from({ length: Math.max(thisYear - first + 1, 1) }, (_, back) => thisYear - back);
  const totalRow = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "number" }, measure(value, unit)),
    columns.slice(2).map(() => h("td")));
  return h("section", { class: "card", id: "summary", "data-year": summary.year }, h("h2", {}, t("summary_title")),
    years.length > 1 ? h("nav", { class: "tabs", "aria-label": t("year") }, years.map((each) =>
      h("a", { href: withParams({ year: each }), "aria-current": each === summary.year ? "page" : false }, each))) : null,
    summary.months.length ? h("div", { class: "table-scroll" }, h("table", { class: "summary" }, headCells(columns, columns.slice(1)),
      h("tbody", {}, summary.months.map((month) => h("tr", { "data-month": month.month, "data-estimated": String(month.estimated) },
        h("th", { scope: "row" }, h("a", { href: withParams({ step: "day", from: `${month.month}-01`, to: monthEnd(month.month) }) },
          monthName(month.month))),
        h("td", { class: "number" }, month.estimated ? [h("span", { class: "status estimated" }, t("estimated")), " "] : null,
          measure(month.consumed, unit)),
        stacked ? [h("td", { class: "number" }, measure(month.peak, unit)), h("td", { class: "number" }, measure(month.off_peak, unit))] : null,
        meter.has_production ? h("td", { class: "number" }, measure(month.injected, unit)) : null))),
      h("tfoot", {}, totalRow(t("year_total", summary.year), summary.total),
        totalRow(t("year_total", summary.year - 1), summary.previous_year_total))))
      : h("p", { class: "muted" }, t("no_months")),
    summary.months.some((month) => month.estimated) ? h("p", { class: "hint" }, t("estimated_hint")) : null);
}

// The chart and the year of one meter, with tabs when the customer has several.
async function meterBlock(meters) {
  const meter = meters.find((each) => each.meter_id === param("meter"))
    || meters.find((each) => each.status === "active") || meters[0];
  return [
    meters.length > 1 ? h("nav", { class: "tabs", "aria-label": t("meters_label") }, meters.map((each) =>
      h("a", { href: withParams({ meter: each.meter_id, year: null }), "aria-current": each === meter ? "page" : false },
        t("meter_title", each.pdl || each.meter_id)))) : null,
    ...(await Promise.all([chartCard(meter), summaryCard(meter)])),
  ];
}

function batteryCard(battery) {
  const kwh = (value) => measure(value, "kWh");
  return h("section", { class: "card", id: "battery" }, h("h2", {}, t("battery_title")),
    h("p", {}, t("battery_intro")),
    h("div", { class: "gauge" }, h("span", { id: "battery-charge", class: "gauge-name" }, t("battery_charge")),
      h("meter", { min: 0, max: battery.capacity_kwh, value: battery.level_kwh, "aria-labelledby": "battery-charge battery-level" }),
      h("span", { id: "battery-level", "data-field": "level" }, t("battery_level", kwh(battery.level_kwh), kwh(battery.capacity_kwh)),
        battery.capacity_kwh ? ` (${percent(100 * battery.level_kwh / battery.capacity_kwh)})` : null)),
    battery.months.length ? h("div", { class: "table-scroll" }, h("table", { class: "battery" },
      headCells(["month", "stored", "restored", "level_end"], ["stored", "restored", "level_end"]),
      h("tbody", {}, battery.months.map((month) => h("tr", { "data-month": month.month },
        h("th", { scope: "row" }, monthName(month.month)), h("td", { class: "number" }, kwh(month.stored_kwh)),
        h("td", { class: "number" }, kwh(month.restored_kwh)), h("td", { class: "number" }, kwh(month.level_kwh)))))))
      : h("p", { class: "muted" }, t("no_months")));
}

function usageCard(usage) {
  const name = (unit) => known(`allowance_name_${unit}`) ? t(`allowance_name_${unit}`) : unit;
  return h("section", { class: "card", id: "mobile-usage", "data-line": usage.subscription_id }, h("h2", {}, t("mobile_title")),
    usage.lines?.length > 1 ? h("nav", { class: "tabs", "aria-label": t("mobile_title") }, usage.lines.map((line) =>
      h("a", { href: withParams({ line }), "aria-current": line === usage.subscription_id ? "page" : false }, t("mobile_line", line)))) : null,
    // the line's allowance period runs from its billing day: [period_start, period_end)
    h("p", { class: "muted", "data-field": "period", "data-start": usage.period_start, "data-end": usage.period_end },
      t("usage_period", new Intl.DateTimeFormat(locale(), { dateStyle: "medium" })
        .formatRange(calendarDay(usage.period_start), calendarDay(addDays(usage.period_end, -1))))),
    h("ul", { class: "plain allowances" }, usage.allowances.map((allowance) => {
      const id = `allowance-${allowance.unit}`;
      return h("li", { "data-unit": allowance.unit },
        h("span", { class: "gauge-name", id }, name(allowance.unit)),
        allowance.included == null ? null : h("meter", { min: 0, max: allowance.included, high: allowance.included * 0.9,
          value: Math.min(allowance.used, allowance.included), "aria-labelledby": `${id} ${id}-text` }),
        h("span", { id: `${id}-text`, class: "usage" }, allowance.included == null
          ? [measure(allowance.used, allowance.unit), " — ", h("strong", {}, t("unlimited"))]
          : t("usage_of", measure(allowance.used, allowance.unit), measure(allowance.included, allowance.unit))),
        allowance.remaining == null ? null : h("span", { class: "muted" }, t("remaining", measure(allowance.remaining, allowance.unit))));
    })),
    definitions([["out_of_plan", money(usage.out_of_plan_cents, usage.currency)]]));
}

const allMeters = () => authed("GET", "/consumption/meters").then((answer) => answer.items);

async function consumptionPage() {
  const line = param("line");
  const [meters, battery, usage] = await Promise.all([allMeters(), optional("/consumption/battery"),
    optional(`/consumption/usage${line ? `?subscription_id=${enc(line)}` : ""}`)]);
  const electricity = meters.filter((meter) => meter.kind === "electricity");
  return h("div", { class: "consumption" }, pageTitle(t("nav_consumption")),
    electricity.length ? await meterBlock(electricity) : null,
    battery ? batteryCard(battery) : null,
    usage ? usageCard(usage) : null,
    electricity.length || usage ? null : h("section", { class: "card" }, h("p", {}, t("no_meters"))));
}

async function surplusPage() {
  const [meters, surplus] = await Promise.all([allMeters(), optional("/consumption/surplus")]);
  if (!surplus) return h("div", {}, pageTitle(t("nav_surplus")), h("section", { class: "card" }, h("p", {}, t("no_surplus"))));
  const producing = meters.filter((meter) => meter.meter_id === surplus.meter_id);
  const rate = (cents) => amount(cents / 100, surplus.currency, 4);
  return h("div", { class: "consumption" }, pageTitle(t("nav_surplus")),
    h("section", { class: "card", id: "kitty" }, h("h2", {}, t("kitty")),
      h("p", { class: "kitty", "data-field": "kitty" }, money(surplus.kitty_cents, surplus.currency)),
      h("p", {}, t("kitty_intro"), " ", t("resale", rate(surplus.rate_cents_per_kwh)), ".")),
    h("section", { class: "card", id: "surplus-months" }, h("h2", {}, t("surplus_months")), surplus.months.length
      ? h("div", { class: "table-scroll" }, h("table", { class: "surplus" },
          headCells(["month", "injected", "rate_per_kwh", "credited"], ["injected", "rate_per_kwh", "credited"]),
          h("tbody", {}, surplus.months.map((month) => h("tr", { "data-month": month.month },
            h("th", { scope: "row" }, monthName(month.month)), h("td", { class: "number" }, measure(month.injected_kwh, "kWh")),
            h("td", { class: "number" }, rate(month.rate_cents_per_kwh)),
            h("td", { class: "number" }, money(month.credited_cents, surplus.currency)))))))
      : h("p", { class: "muted" }, t("no_months"))),
    producing.length ? await meterBlock(producing) : null);
}

// Which consumption pages the navigation offers, asked once per session: "Ma conso" for meters
// and mobile lines, "Mon surplus" for a surplus resale (whose meter is followed there).
async function rememberAreas() {
  if (!loggedIn() || store.getItem("guichet.areas")) return;
  try {
    const [meters, surplus, usage] = await Promise.all([allMeters(), optional("/consumption/surplus"), optional("/consumption/usage")]);
    const consumption = Boolean(usage) || meters.some((meter) => meter.kind === "electricity" && meter.meter_id !== surplus?.meter_id);
    store.setItem("guichet.areas", JSON.stringify({ consumption, surplus: Boolean(surplus) }));
  } catch {
    // the navigation goes without them; asked again at the next page
  }
}

const customerOnly = (page) => async () => {
  if (!loggedIn()) {
    toLogin();
    return h("div");
  }
  return page();
};
Object.assign(pages, {
  "/my-subscriptions": customerOnly(subscriptionsPage),
  "/subscription": customerOnly(subscriptionPage),
  "/order": customerOnly(orderPage),
  "/orders": customerOnly(ordersPage),
  "/order-status": customerOnly(orderStatusPage),
  "/appointments": customerOnly(appointmentsPage),
  "/my-invoices": customerOnly(invoicesPage),
  "/invoice": customerOnly(invoicePage),
  "/schedule": customerOnly(schedulePage),
  "/billing": customerOnly(billingPage),
  "/my-consumption": customerOnly(consumptionPage),
  "/my-surplus": customerOnly(surplusPage),
});

// The area a page belongs to, for the navigation's aria-current.
const SECTIONS = {
  "/subscription": "/my-subscriptions", "/order-status": "/orders",
  "/invoice": "/my-invoices", "/schedule": "/my-invoices", "/billing": "/my-invoices",
};

function navigation() {
  const nav = document.getElementById("nav");
  if (!loggedIn()) {
    nav.replaceChildren(h("div", { class: "who" },
      h("a", { href: "/login" }, t("login")), h("a", { href: "/register" }, t("register"))));
    return;
  }
  const here = SECTIONS[location.pathname] || location.pathname;
  const link = (href, key) => h("a", { href, "aria-current": here === href ? "page" : false }, t(key));
  const customerId = store.getItem("guichet.customer");
  const areas = JSON.parse(store.getItem("guichet.areas") || "{}");
  nav.replaceChildren(
    h("div", { class: "links" }, link("/my-subscriptions", "nav_subscriptions"),
      areas.consumption ? link("/my-consumption", "nav_consumption") : null, areas.surplus ? link("/my-surplus", "nav_surplus") : null,
      link("/my-invoices", "nav_invoices"),
      link("/order", "nav_order"),
      link("/orders", "nav_orders"), link("/appointments", "nav_appointments"), link("/account", "account")),
    h("div", { class: "who" },
      customerId ? h("span", { class: "customer-id", title: t("customer_id") }, customerId) : null,
      h("button", { onclick: async () => {
        const refreshToken = store.getItem("guichet.refresh");
        forget();
        await api("POST", "/auth/logout", { refresh_token: refreshToken }).catch(() => {});
        go("/login");
      } }, t("logout"))));
}

// The customer id shown top right on every page, read once per session.
async function rememberCustomer() {
  if (!loggedIn() || store.getItem("guichet.customer")) return;
  try {
    const me = await api("GET", "/auth/me", undefined, { auth: true });
    store.setItem("guichet.customer", me.customer_id);
  } catch {
    // the page itself reports what went wrong
  }
}

const notFoundPage = () => card(t("not_found_title"), h("p", {}, t("not_found_text")),
  h("p", {}, h("a", { href: "/" }, t("back_home"))));

let generation = 0;
async function render() {
  const mine = ++generation;
  clearTimeout(pollTimer);
  const pending = flash;
  flash = null;
  document.documentElement.lang = language;
  await Promise.all([rememberCustomer(), rememberAreas()]);
  if (mine !== generation) return;
  navigation();
  const path = location.pathname === "/" ? (loggedIn() ? "/account" : "/login") : location.pathname;
  const page = pages[path] || notFoundPage;
  const main = document.getElementById("page");
  let content;
  try {
    content = await page();
  } catch (error) {
    if (error.status === 401 && !loggedIn()) {
      toLogin(); // the session ended (its refresh refused): log in again, then back here
      return;
    }
    content = notice("error", errorText(error));
  }
  if (mine !== generation) return; // another page was asked for meanwhile
  main.replaceChildren(...(pending ? [pending] : []), content);
  const heading = main.querySelector("h1, h2");
  document.title = heading ? `${heading.textContent} — Guichet` : "Guichet";
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
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
