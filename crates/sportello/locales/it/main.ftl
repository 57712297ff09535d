## Sportello: testi dell'interfaccia in italiano (lingua principale).
## Stile: frasi brevi, parole semplici, si dà del tu, niente burocratese.
## Ogni id deve esistere anche in locales/en/main.ftl.

## Lingua

lang-name = Italiano
# Testo del link che porta alla versione inglese: è scritto nella lingua di destinazione.
lang-switch = English

## Struttura della pagina

skip-to-content = Vai al contenuto principale
skip-to-footer = Vai al piè di pagina
site-tagline = Il tuo sportello online
login = Accedi
nav-label = Menu principale
nav-home = Pagina iniziale
nav-services = Servizi
nav-help = Aiuto
footer-links-title = Informazioni sul sito
footer-accessibility = Dichiarazione di accessibilità
footer-privacy = Privacy e cookie
footer-legal = Note legali
footer-api = API per sviluppatori
footer-copyright = Salvo diversa indicazione, puoi riutilizzare i contenuti di questo sito citando la fonte (licenza CC BY 4.0).

## Titoli brevi delle pagine (elemento title)

page-home-title = Sportello online
page-accessibility-title = Dichiarazione di accessibilità
page-privacy-title = Privacy e cookie
page-legal-title = Note legali
page-help-title = Aiuto
page-services-title = Servizi
page-api-docs-title = Documentazione delle API

## Pagina iniziale

home-title = Ti diamo il benvenuto allo sportello online
home-lead = Qui puoi fare da casa molte delle cose che faresti allo sportello, a qualsiasi ora del giorno.
home-login-title = Entra nella tua area personale
home-login-text = Per vedere i tuoi dati e le tue pratiche devi accedere con la tua identità digitale: SPID, Carta d'Identità Elettronica (CIE) o Carta Nazionale dei Servizi (CNS).
home-login-cta = Accedi alla tua area personale
home-do-title = Cosa puoi fare qui
home-do-apply-title = Fare una domanda
home-do-apply-text = Chiedi una prestazione, un'indennità o un contributo senza andare allo sportello.
home-do-track-title = Seguire le tue pratiche
home-do-track-text = Vedi a che punto è la tua domanda e se manca qualche documento.
home-do-mailbox-title = Leggere i tuoi messaggi
home-do-mailbox-text = Trovi in un solo posto le lettere e gli avvisi che ti abbiamo mandato.
home-do-appointment-title = Prenotare un appuntamento
home-do-appointment-text = Scegli il giorno e l'ora per parlare con noi, in sede o al telefono.
home-do-pay-title = Pagare
home-do-pay-text = Paga contributi e altre somme dovute con pagoPA, in modo sicuro.
home-do-certificates-title = Scaricare certificati
home-do-certificates-text = Scarica certificati, attestati e altri documenti che ti riguardano.
home-help-title = Hai bisogno di aiuto?
home-help-text = Non devi per forza fare tutto da solo. Qualcuno può aiutarti, oppure fare le cose al posto tuo:
home-help-desk = il personale del Punto Utente Evoluto, in una nostra sede;
home-help-patronato = un patronato, che ti assiste gratuitamente;
home-help-trusted = una persona di cui ti fidi, con una delega.
home-help-link = Scopri tutti i modi per avere aiuto

## Riquadro di aiuto nelle pagine informative

help-aside-title = Hai bisogno di aiuto?
help-aside-text = Se qualcosa non ti è chiaro, puoi farti aiutare di persona, da un patronato o da una persona di fiducia.
help-aside-link = Scopri come avere aiuto

## Pagina: Dichiarazione di accessibilità (/accessibilita)

accessibility-heading = Dichiarazione di accessibilità
accessibility-p1 = Vogliamo che tutte le persone possano usare questo sito: anche chi usa un lettore di schermo, chi naviga solo con la tastiera e chi ha bisogno di ingrandire il testo.
accessibility-p2 = Questa dichiarazione segue il modello dell'Agenzia per l'Italia Digitale (AgID) e riguarda questo sito.
accessibility-p3 = Il sito è progettato per rispettare le Linee guida AgID sull'accessibilità e le regole internazionali WCAG 2.1 al livello AA. Lo controlliamo a ogni modifica, con strumenti automatici e con verifiche fatte da persone.
accessibility-p4 = Ultima revisione di questa dichiarazione: 23 novembre 2026.
accessibility-p5 = Hai trovato una parte del sito che non riesci a usare? Segnalacelo con il modulo qui sotto: indica la pagina e descrivi il problema. Se ci lasci la tua email, ti rispondiamo entro 30 giorni.
accessibility-p6 = Se non ricevi una risposta entro 30 giorni, o se la risposta non ti soddisfa, puoi rivolgerti al Difensore civico per il digitale, presso l'AgID.
accessibility-p7 = Se non riesci a usare il sito, puoi sempre ottenere lo stesso servizio in una nostra sede, al telefono o tramite un patronato.

## Pagina: Privacy (/privacy)

privacy-heading = Privacy e cookie
privacy-p1 = Il titolare del trattamento dei tuoi dati è l'ente che gestisce questo sito, indicato in alto nella pagina. Trattiamo i dati secondo il Regolamento europeo sulla protezione dei dati (GDPR, Regolamento UE 2016/679).
privacy-p2 = Usiamo i tuoi dati personali solo per darti i servizi che chiedi e per rispettare gli obblighi di legge.
privacy-p3 = Questo sito usa solo cookie tecnici, che servono a farlo funzionare: un cookie di sessione, che ti tiene collegato dopo l'accesso, e un cookie che ricorda la lingua che hai scelto. Per questi cookie non serve il tuo consenso.
privacy-p4 = Non usiamo cookie di profilazione, strumenti di tracciamento o statistiche di altre aziende. Il sito non carica nulla da siti esterni: testi, caratteri, icone e script arrivano tutti da qui.
privacy-p5 = Puoi chiedere in ogni momento di vedere, correggere o cancellare i tuoi dati, nei limiti previsti dalla legge. Per farlo, o per scrivere al Responsabile della protezione dei dati, usa i recapiti che trovi nella pagina dei contatti dell'ente.
privacy-p6 = Se pensi che i tuoi dati siano trattati in modo non corretto, puoi fare reclamo al Garante per la protezione dei dati personali.

## Pagina: Note legali (/note-legali)

legal-heading = Note legali
legal-p1 = I contenuti di questo sito sono pubblicati dall'ente indicato in alto nella pagina.
legal-p2 = Salvo diversa indicazione, puoi riutilizzare testi e dati di questo sito citando la fonte, secondo la licenza Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0).
legal-p3 = Le informazioni di questo sito servono a orientarti. Per i tuoi diritti e i tuoi obblighi fanno fede le decisioni ufficiali e le comunicazioni che ricevi dall'ente.
legal-p4 = Il software di questo sportello è open source: il codice sorgente è pubblico e chiunque può controllarlo e riutilizzarlo.

## Pagina: Aiuto (/aiuto)

help-heading = Come avere aiuto
help-p1 = Se hai difficoltà con questo sito, non preoccuparti: ci sono diversi modi per avere aiuto, anche senza usare il computer.
help-p2 = Di persona: vai al Punto Utente Evoluto in una nostra sede. Il personale ti aiuta a fare le domande e a usare i servizi online.
help-p3 = Con un patronato: i patronati ti assistono gratuitamente per pensioni, indennità e altre prestazioni, e possono presentare le domande al posto tuo.
help-p4 = Con una persona di fiducia: puoi dare una delega a un familiare o a un'altra persona di cui ti fidi, che potrà usare i servizi per tuo conto. La delega si chiede all'ente.
help-p5 = Per entrare nella tua area personale ti serve un'identità digitale: SPID, Carta d'Identità Elettronica (CIE) o Carta Nazionale dei Servizi (CNS).
help-p6 = Se una pagina ti mostra un errore, trovi un codice di riferimento. Quando chiedi assistenza, comunica quel codice: ci aiuta a capire cosa è successo.

## Pagina: Servizi (/servizi)

services-heading = Tutti i servizi

## Pagine di errore

error-not-found-title = Pagina non trovata
error-not-found-detail = La pagina che cerchi non esiste o è stata spostata. Controlla l'indirizzo, oppure riparti dalla pagina iniziale.
error-bad-request-title = Richiesta non valida
error-bad-request-detail = Non siamo riusciti a capire la richiesta. Torna indietro e riprova.
error-too-large-title = Dati troppo grandi
error-too-large-detail = Hai inviato troppi dati in una volta. Se stai caricando un file, prova con un file più piccolo.
error-method-title = Operazione non consentita
error-method-detail = Questa pagina non permette l'operazione che hai chiesto. Torna indietro e usa i pulsanti e i link della pagina.
error-unavailable-title = Servizio non disponibile in questo momento
error-unavailable-detail = Il servizio è fermo per poco tempo, per manutenzione o perché ci sono troppe richieste. Riprova tra qualche minuto.
error-internal-title = Si è verificato un errore
error-internal-detail = Qualcosa non ha funzionato da parte nostra: non è colpa tua. Riprova tra qualche minuto. Se il problema continua, chiedi assistenza.
error-what-now = Cosa puoi fare
error-go-home = Torna alla pagina iniziale
error-get-help = Scopri come avere aiuto
error-reference-hint = Se chiedi assistenza, comunica questo codice: ci aiuta a trovare il problema.
error-reference = Codice di riferimento:
error-code = Codice dell'errore:

## Titoli degli errori delle API (application/problem+json)

problem-non-trovato = Risorsa non trovata
problem-richiesta-illeggibile = Richiesta non leggibile
problem-dati-non-validi = Dati non validi
problem-non-autenticato = Accesso necessario
problem-non-consentito = Operazione non consentita
problem-troppo-grande = Richiesta troppo grande
problem-metodo-non-consentito = Metodo non consentito
problem-non-disponibile = Servizio non disponibile
problem-errore-interno = Errore interno
problem-troppe-richieste = Troppe richieste

## Documentazione delle API (/api/v1/docs)

api-docs-title = Documentazione delle API
api-docs-lead = Le API permettono ad altri programmi, per esempio quelli di un patronato o di un CAF, di usare i servizi di questo sportello. Qui trovi tutte le operazioni disponibili.
api-docs-download = Scarica la specifica OpenAPI
api-docs-contents = Operazioni disponibili
api-docs-empty = Al momento non ci sono operazioni pubblicate.
api-docs-tag = Gruppo:
api-docs-responses = Risposte possibili
api-docs-status = Codice
api-docs-description = Descrizione

# Errors added with forms
error-forbidden-title = Non puoi aprire questa pagina
error-forbidden-detail = Per vedere questa pagina devi accedere con le tue credenziali, oppure non hai i permessi necessari.
error-csrf-title = La pagina è scaduta
error-csrf-detail = Per proteggere i tuoi dati, il modulo che hai inviato non è più valido. Torna indietro, ricarica la pagina e invia di nuovo.
problem-tempo-scaduto = La richiesta ha impiegato troppo tempo
problem-modulo-scaduto = Il modulo non è più valido

# Accessibility feedback form
feedback-heading = Segnala un problema di accessibilità
feedback-intro = Scrivi cosa non riesci a fare e in quale pagina. Se vuoi una risposta, lascia il tuo indirizzo email: non è obbligatorio.
feedback-errors-title = Controlla questi campi
feedback-errors-title-prefix = Errore:
feedback-description-label = Che cosa non funziona? (obbligatorio)
feedback-description-hint = Ad esempio: «Non riesco a premere il pulsante Invia con la tastiera». Almeno 10 caratteri.
feedback-page-label = In quale pagina?
feedback-page-hint = Copia l'indirizzo della pagina, oppure lascia vuoto.
feedback-email-label = La tua email
feedback-email-hint = Ti scriviamo solo per rispondere a questa segnalazione.
feedback-submit = Invia la segnalazione
field-descrizione-breve = Descrivi il problema con almeno 10 caratteri.
field-descrizione-lunga = La descrizione è troppo lunga: usa al massimo 4000 caratteri.
field-descrizione-non-valida = La descrizione contiene caratteri che non si possono salvare. Toglili e riprova.
field-pagina-non-valida = L'indirizzo della pagina non è valido. Copialo dalla barra del browser, oppure lascia vuoto.
field-email-non-valida = L'indirizzo email non è valido. Controlla di averlo scritto bene, ad esempio nome@esempio.it.
feedback-thanks-title = Grazie, abbiamo ricevuto la tua segnalazione
feedback-thanks-text = La esaminiamo e correggiamo il problema il prima possibile. Se ci hai lasciato la tua email, ti rispondiamo entro 30 giorni.
feedback-thanks-next = Nel frattempo, se non riesci a usare un servizio, puoi ottenerlo in una nostra sede, al telefono o tramite un patronato.

# Login page (until online login is switched on)
login-heading = Accedi ai servizi online
