# Notifiche: come avvisiamo il cittadino, i telefoni con l'app, i messaggi non consegnati.

area-notifiche-link = Notifiche: come ti avvisiamo
backoffice-notifiche-link = Notifiche non consegnate

notifiche-heading = Notifiche
notifiche-intro = Scegli come vuoi sapere che ti abbiamo scritto. Negli avvisi non scriviamo mai i tuoi dati: solo che c'è un messaggio per te e il link alla tua cassetta postale.
notifiche-saved = Preferenze salvate.
notifiche-errors-title = Correggi questi errori:
notifiche-contacts-heading = I recapiti che ci hai dato
notifiche-contact-email = Email
notifiche-contact-mobile = Cellulare
notifiche-contact-none = non indicato
notifiche-contacts-hint = Per cambiare email o cellulare rivolgiti a una sede o al contact center.
notifiche-devices-heading = Telefoni con l'app
notifiche-devices-none = Nessun telefono. Per ricevere notifiche sull'app, accedi all'app dal telefono.
notifiche-device-since = dal
notifiche-channels-legend = Come vuoi essere avvisato
notifiche-channels-hint = Puoi sceglierne più di uno, oppure nessuno: i messaggi restano comunque nella tua cassetta postale.
notifiche-channel-email = Email
notifiche-channel-sms = SMS
notifiche-channel-push = Notifica sull'app
notifiche-lang-legend = Lingua degli avvisi
notifiche-lang-it = Italiano
notifiche-lang-en = Inglese (English)
notifiche-submit = Salva le preferenze
notifiche-back = Torna all'area personale
notifiche-error-no-email = Non abbiamo un tuo indirizzo email: togli la scelta «Email».
notifiche-error-no-mobile = Non abbiamo un tuo numero di cellulare: togli la scelta «SMS».
notifiche-error-no-device = Non hai ancora attivato l'app su un telefono: togli la scelta «Notifica sull'app», oppure accedi prima all'app.
notifiche-error-lang = Scegli la lingua degli avvisi: italiano o inglese.
notifiche-acting-not-allowed = Solo la persona interessata può scegliere come essere avvisata.

notifiche-api-app-only = Un telefono si registra solo dall'app.
notifiche-api-bad-token = Il token del telefono manca o non è valido (da 1 a 4096 caratteri, senza spazi).
notifiche-api-bad-platform = La piattaforma deve essere «android» o «ios».
notifiche-api-bad-label = Il nome del telefono può avere al massimo 60 caratteri.
problem-dispositivo-non-valido = Dati del telefono non validi

# Gli avvisi: nessun dato personale, solo il link alla cassetta postale.
notifiche-alert-new-message-subject = hai un nuovo messaggio
notifiche-alert-new-message-text = Hai un nuovo messaggio nella tua cassetta postale.
notifiche-alert-question-answered-subject = c'è una risposta per te
notifiche-alert-question-answered-text = C'è una risposta alla tua domanda nella tua cassetta postale.
notifiche-alert-application-status-subject = novità su una tua pratica
notifiche-alert-application-status-text = C'è una novità su una tua pratica nella tua cassetta postale.
notifiche-alert-read = Per leggerlo, accedi alla tua area personale:
notifiche-alert-open = Apri la cassetta postale
notifiche-alert-footer = Messaggio automatico di { $institution }: non rispondere. Per sicurezza non contiene i tuoi dati. Puoi cambiare come ti avvisiamo nell'area personale, alla voce Notifiche.

# Back office
notifiche-bo-heading = Notifiche non consegnate
notifiche-bo-intro = Email, SMS e notifiche sull'app che non sono arrivate: rifiutate dal server o dal gateway, oppure finiti i tentativi. «Riprova» le rimette in coda; l'operazione è registrata.
notifiche-bo-counts-caption = Messaggi per canale e stato
notifiche-bo-dead-caption = Messaggi non consegnati, dal più recente
notifiche-bo-col-channel = Canale
notifiche-bo-col-state = Stato
notifiche-bo-col-count = Quanti
notifiche-bo-col-created = Creato il
notifiche-bo-col-recipient = Destinatario
notifiche-bo-col-attempts = Tentativi
notifiche-bo-col-error = Ultimo errore
notifiche-bo-col-action = Azione
notifiche-state-queued = in coda
notifiche-state-sent = inviato
notifiche-state-failed = rifiutato
notifiche-bo-refused = Rifiutato:
notifiche-bo-retry = Riprova
notifiche-bo-empty = Nessun messaggio non consegnato.
notifiche-bo-requeued = Il messaggio è di nuovo in coda: partirà a breve.
notifiche-bo-no-text = Questo messaggio non si può rinviare: dopo il rifiuto il testo è stato cancellato per sicurezza. Chiedi all'ufficio che lo ha inviato di mandarlo di nuovo.
notifiche-bo-no-text-short = Testo cancellato
notifiche-bo-not-dead = Il messaggio non era più da rinviare (già in coda o inviato).
