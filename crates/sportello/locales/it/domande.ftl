# Domande telematiche: pagine del cittadino, back office (istruttoria), messaggi di errore.

domande-stato-bozza = Bozza
domande-stato-presentata = Presentata
domande-stato-in-istruttoria = In esame
domande-stato-richiesta-integrazione = Servono documenti
domande-stato-integrata = Documenti inviati
domande-stato-accolta = Accolta
domande-stato-respinta = Respinta
domande-stato-ritirata = Ritirata

domande-presentatore-cittadino = Il cittadino
domande-presentatore-delegato = Un delegato
domande-presentatore-intermediario = Un intermediario (patronato o professionista)
domande-presentatore-operatore-pue = Un operatore del Punto Utente Evoluto

domande-list-heading = Le mie domande
domande-list-intro = Qui trovi le domande che hai presentato e quelle che hai iniziato a compilare. Per ogni domanda vedi a che punto è.
domande-list-empty = Non hai ancora domande.
domande-list-caption = Le tue domande, dalla più recente
domande-col-title = Domanda
domande-col-protocol = Numero di protocollo
domande-col-state = Stato
domande-col-date = Data
domande-col-citizen = Cittadino
domande-col-assignee = Assegnata a
domande-no-protocol-yet = Non ancora presentata
domande-offers-heading = Presenta una nuova domanda
domande-closed-badge = Ora non si può presentare
domande-back-to-list = Torna alle mie domande
domande-back-to-queue = Torna all'elenco delle domande
domande-notice-deleted = La bozza è stata eliminata.

domande-start-steps = Cosa ti chiediamo
domande-start-drafts = Ogni passo viene salvato: puoi interrompere e riprendere quando vuoi, anche da un altro dispositivo. Prima di inviare vedrai un riepilogo.
domande-start-opens = Potrai inviare la domanda dal
domande-start-closed = In questo periodo la domanda non si può inviare. Puoi comunque compilarla.
domande-start-button = Inizia la compilazione

domande-step = Passo
domande-step-of = di
domande-required = obbligatorio
domande-required-note = I campi con la scritta "obbligatorio" vanno compilati.
domande-next = Salva e continua
domande-to-summary = Salva e vai al riepilogo
domande-back = Torna al passo precedente
domande-save-exit = Salva ed esci
domande-choose = Scegli
domande-si = Sì
domande-no = No
domande-file-attached = File allegato:
domande-group-row = riga
domande-group-add = Aggiungi un'altra riga
domande-solo-se = Da compilare solo se alla domanda «{ $domanda }» hai risposto { $risposta }.
domande-solo-se-compilato = Da compilare solo se hai risposto alla domanda «{ $domanda }».
domande-solo-se-vuoto = Da compilare solo se non hai risposto alla domanda «{ $domanda }».
domande-oppure = oppure
domande-indirizzo-via = Via e numero civico
domande-indirizzo-cap = CAP
domande-indirizzo-comune = Comune
domande-indirizzo-provincia = Provincia (sigla)

domande-summary-heading = Riepilogo
domande-summary-intro = Controlla i dati. Se qualcosa non va, torna al passo e correggilo. Quando tutto è giusto, invia la domanda.
domande-summary-fix = Prima di inviare correggi questi dati
domande-edit-step = Modifica il passo
domande-no-answers = Nessun dato in questo passo.
domande-filing-as-self = Invii la domanda a tuo nome.
domande-filing-for = Invii la domanda per conto di
domande-file-declaration = Inviando la domanda dichiari che i dati sono veri. Riceverai un numero di protocollo e la ricevuta.
domande-file-button = Invia la domanda
domande-delete-draft = Elimina la bozza
domande-notice-form-updated = Il modulo è stato aggiornato mentre compilavi. Abbiamo tenuto i tuoi dati: controllali e invia di nuovo.

domande-notice-filed = Domanda inviata. Numero di protocollo:
domande-notice-withdrawn = La domanda è stata ritirata.
domande-notice-integrated = Abbiamo ricevuto i documenti. La sede riprende l'esame.
domande-filed-at = Presentata il
domande-filed-by = Presentata da
domande-filed-by-cittadino = Il cittadino
domande-appeal-of = Ricorso contro la domanda
domande-integration-due = Documenti da inviare entro il
domande-decision-reason = Motivazione
domande-receipt-download = Scarica la ricevuta (PDF)
domande-timeline = Cosa è successo
domande-answers-heading = I dati della domanda
domande-integrate-heading = Invia i documenti richiesti
domande-integrate-files = Documenti
domande-integrate-files-hint = File PDF, JPEG o PNG, al massimo 5 MB ciascuno, fino a 5 file.
domande-integrate-note = Nota per la sede (facoltativa)
domande-integrate-submit = Invia i documenti
domande-integrate-serve-dispositivo = Per inviare i documenti serve l'accesso con SPID, CIE o PIN dispositivo. Li può inviare per te anche chi ha una tua delega o un patronato a cui hai dato mandato.
domande-sent-files = Documenti che hai inviato
domande-appeal-heading = Non sei d'accordo?
domande-appeal-intro = Puoi presentare ricorso contro la decisione entro 90 giorni.
domande-appeal-button = Presenta ricorso
domande-withdraw-heading = Ritira la domanda
domande-withdraw-intro = Se non vuoi più andare avanti, puoi ritirare la domanda finché la sede non ha deciso. Il ritiro non si può annullare.
domande-withdraw-button = Ritira la domanda

domande-verify-heading = Verifica di una ricevuta
domande-verify-genuine = La ricevuta è autentica: la domanda è stata presentata.
domande-verify-unknown = Non troviamo una domanda con questo numero di protocollo e questo codice di verifica. Controlla di aver copiato bene l'indirizzo della ricevuta.

domande-queue-heading = Domande da esaminare
domande-queue-all = Domande di tutte le sedi
domande-queue-caption = Domande presentate: prima quelle aperte, dalla più vecchia
domande-queue-empty = Nessuna domanda con questi filtri.
domande-filter-any = Tutti
domande-filter-mine = Solo le mie
domande-filter-free = Solo quelle non assegnate
domande-filter-apply = Filtra
domande-nobody = Nessuno
domande-take = Prendi in carico
domande-release = Lascia la domanda
domande-act-heading = Decidi o chiedi documenti
domande-act-reason = Motivazione o documenti richiesti
domande-act-reason-hint = Obbligatoria per chiedere documenti e per decidere. Il cittadino la legge: scrivi in modo semplice.
domande-act-deadline = Scadenza per i documenti
domande-act-deadline-hint = Solo per la richiesta di documenti: una data entro 90 giorni.
domande-atto-avvia-istruttoria = Avvia l'esame
domande-atto-chiedi-integrazione = Chiedi documenti
domande-atto-accogli = Accogli
domande-atto-respingi = Respingi
domande-files = Allegati
domande-notes-heading = Note interne
domande-notes-intro = Le note sono visibili solo al personale, mai al cittadino.
domande-note-label = Nuova nota
domande-note-add = Aggiungi la nota
domande-notice-office-fatto = Fatto. Il cittadino riceve una comunicazione nella cassetta postale.
domande-notice-office-nota = Nota aggiunta.
domande-notice-office-assegnata = Assegnazione aggiornata.

domande-solo-cittadini = Le domande si presentano dall'area personale del cittadino.
domande-mandato-non-copre = Il mandato che ti è stato dato non comprende le domande.
domande-modulo-sconosciuto = Questo modulo non esiste.
domande-ricorso-non-ammesso = Si può presentare ricorso solo contro una domanda respinta.
domande-troppe-bozze = Hai troppe bozze aperte. Completa o elimina quelle che non ti servono.
domande-gia-presentata = La domanda è già stata inviata e non si può più modificare.
domande-bozza-modificata = La bozza è stata modificata nel frattempo (forse da un altro dispositivo). Ricarica la pagina e riprova.
domande-serve-dispositivo = Per inviare la domanda serve l'accesso con SPID, CIE o PIN dispositivo.
domande-non-ancora-aperto = Il periodo per inviare questa domanda non è ancora iniziato.
domande-modulo-chiuso = Il periodo per inviare questa domanda è finito.
domande-cambiata = La domanda è cambiata nel frattempo. Ricarica la pagina e riprova.
domande-gia-conclusa = La domanda è già conclusa: non si può più cambiare.
domande-fuori-sequenza = Questa operazione non si può fare nello stato attuale della domanda.
domande-integrazione-vuota = Allega almeno un documento o scrivi una nota.
domande-atto-sconosciuto = Scegli un'operazione valida.
domande-chiave-non-valida = L'intestazione Idempotency-Key deve avere da 8 a 100 caratteri visibili.
domande-motivazione-vuota = Scrivi la motivazione.
domande-motivazione-lunga = Il testo è troppo lungo: al massimo 5.000 caratteri.
domande-motivazione-caratteri = Il testo contiene caratteri non ammessi.
domande-scadenza-non-valida = Indica una scadenza tra domani e 90 giorni da oggi.

problem-modulo-sconosciuto = Modulo inesistente
problem-ricorso-non-ammesso = Ricorso non ammesso
problem-troppe-bozze = Troppe bozze aperte
problem-domanda-gia-presentata = Domanda già inviata
problem-bozza-modificata = Bozza modificata nel frattempo
problem-pin-dispositivo-richiesto = Serve SPID, CIE o PIN dispositivo
problem-modulo-non-ancora-aperto = Domande non ancora aperte
problem-modulo-chiuso = Domande chiuse
problem-domanda-cambiata = La domanda è cambiata nel frattempo
problem-domanda-conclusa = Domanda già conclusa
problem-domanda-fuori-sequenza = Operazione non possibile in questo stato
problem-integrazione-vuota = Nessun documento inviato
problem-atto-sconosciuto = Operazione sconosciuta
problem-chiave-non-valida = Chiave di idempotenza non valida
problem-modulo-aggiornato = Modulo aggiornato: controlla i dati

# Sala d'attesa (click day): più richieste di quante il sito ne possa servire in questo momento.
error-busy-title = Sala d'attesa: molte persone stanno presentando domanda
error-busy-detail = In questo momento molte persone stanno usando il servizio. La tua richiesta non è andata persa e non è stata registrata: riprova tra poco. Non serve ripetere più volte.
busy-detail = Davanti a te ci sono circa { $ahead } { $ahead ->
    [one] persona
   *[other] persone
}. Riprova tra { $seconds } { $seconds ->
    [one] secondo
   *[other] secondi
}.
problem-sala-d-attesa = Troppe richieste in questo momento: riprova dopo il tempo indicato
error-busy-resend = Invia di nuovo
error-busy-resend-hint = Quando è passato il tempo indicato, premi il pulsante: la tua richiesta viene inviata di nuovo così com'era, senza riempire di nuovo il modulo.

# The personal area's entry to applications.
area-domande-heading = Le tue domande
area-domande-link = Domande presentate e bozze
area-domande-new = Presenta una nuova domanda
