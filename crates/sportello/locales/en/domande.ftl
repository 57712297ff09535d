# Online applications: citizen pages, back office (case handling), error messages.

domande-stato-bozza = Draft
domande-stato-presentata = Filed
domande-stato-in-istruttoria = Being examined
domande-stato-richiesta-integrazione = Documents needed
domande-stato-integrata = Documents sent
domande-stato-accolta = Granted
domande-stato-respinta = Rejected
domande-stato-ritirata = Withdrawn

domande-presentatore-cittadino = The citizen
domande-presentatore-delegato = A delegate
domande-presentatore-intermediario = An intermediary (patronato or professional)
domande-presentatore-operatore-pue = An operator of the assisted desk (Punto Utente Evoluto)

domande-list-heading = My applications
domande-list-intro = Here are the applications you filed and those you started filling in. For each one you see where it stands.
domande-list-empty = You have no applications yet.
domande-list-caption = Your applications, newest first
domande-col-title = Application
domande-col-protocol = Protocol number
domande-col-state = State
domande-col-date = Date
domande-col-citizen = Citizen
domande-col-assignee = Assigned to
domande-no-protocol-yet = Not filed yet
domande-offers-heading = File a new application
domande-closed-badge = Cannot be filed now
domande-back-to-list = Back to my applications
domande-back-to-queue = Back to the list of applications
domande-notice-deleted = The draft was deleted.

domande-start-steps = What we ask you
domande-start-drafts = Every step is saved: you can stop and go on whenever you like, also from another device. Before sending you will see a summary.
domande-start-opens = You can send the application from
domande-start-closed = The application cannot be sent in this period. You can still fill it in.
domande-start-button = Start filling in

domande-step = Step
domande-step-of = of
domande-required = required
domande-required-note = Fields marked "required" must be filled in.
domande-next = Save and continue
domande-to-summary = Save and see the summary
domande-back = Back to the previous step
domande-save-exit = Save and exit
domande-choose = Choose
domande-si = Yes
domande-no = No
domande-file-attached = Attached file:
domande-group-row = row
domande-group-add = Add another row
domande-solo-se = Fill in only if you answered { $risposta } to “{ $domanda }”.
domande-solo-se-compilato = Fill in only if you answered “{ $domanda }”.
domande-solo-se-vuoto = Fill in only if you left “{ $domanda }” empty.
domande-oppure = or
domande-indirizzo-via = Street and number
domande-indirizzo-cap = Postcode (CAP)
domande-indirizzo-comune = Municipality
domande-indirizzo-provincia = Province (two letters)

domande-summary-heading = Summary
domande-summary-intro = Check your data. If something is wrong, go back to the step and correct it. When everything is right, send the application.
domande-summary-fix = Before sending, correct these data
domande-edit-step = Change step
domande-no-answers = No data in this step.
domande-filing-as-self = You are sending the application in your own name.
domande-filing-for = You are sending the application on behalf of
domande-file-declaration = By sending the application you declare that the data are true. You will get a protocol number and the receipt.
domande-file-button = Send the application
domande-delete-draft = Delete the draft
domande-notice-form-updated = The form was updated while you were filling it in. We kept your data: check them and send again.

domande-notice-filed = Application sent. Protocol number:
domande-notice-withdrawn = The application was withdrawn.
domande-notice-integrated = We received the documents. The office goes on examining the application.
domande-filed-at = Filed on
domande-filed-by = Filed by
domande-filed-by-cittadino = The citizen
domande-appeal-of = Appeal against the application
domande-integration-due = Documents due by
domande-decision-reason = Reason
domande-receipt-download = Download the receipt (PDF)
domande-timeline = What happened
domande-answers-heading = The application's data
domande-integrate-heading = Send the documents asked for
domande-integrate-files = Documents
domande-integrate-files-hint = PDF, JPEG or PNG files, at most 5 MB each, up to 5 files.
domande-integrate-note = Note for the office (optional)
domande-integrate-submit = Send the documents
domande-integrate-serve-dispositivo = To send the documents you need to log in with SPID, CIE or a PIN dispositivo. Someone you have delegated, or a patronato you gave a mandate to, can also send them for you.
domande-sent-files = Documents you sent
domande-appeal-heading = Do you disagree?
domande-appeal-intro = You can appeal against the decision within 90 days.
domande-appeal-button = File an appeal
domande-withdraw-heading = Withdraw the application
domande-withdraw-intro = If you no longer want to go on, you can withdraw the application until the office has decided. A withdrawal cannot be undone.
domande-withdraw-button = Withdraw the application

domande-verify-heading = Checking a receipt
domande-verify-genuine = The receipt is genuine: the application was filed.
domande-verify-unknown = We cannot find an application with this protocol number and this check code. Make sure you copied the receipt's address correctly.

domande-queue-heading = Applications to examine
domande-queue-all = Applications of every office
domande-queue-caption = Filed applications: open ones first, oldest first
domande-queue-empty = No application matches these filters.
domande-filter-any = Any
domande-filter-mine = Only mine
domande-filter-free = Only unassigned
domande-filter-apply = Filter
domande-nobody = Nobody
domande-take = Take the case
domande-release = Release the case
domande-act-heading = Decide or ask for documents
domande-act-reason = Reason or documents asked for
domande-act-reason-hint = Required to ask for documents and to decide. The citizen reads it: write simply.
domande-act-deadline = Deadline for the documents
domande-act-deadline-hint = Only when asking for documents: a date within 90 days.
domande-atto-avvia-istruttoria = Start examining
domande-atto-chiedi-integrazione = Ask for documents
domande-atto-accogli = Grant
domande-atto-respingi = Reject
domande-files = Attachments
domande-notes-heading = Internal notes
domande-notes-intro = Notes are seen by staff only, never by the citizen.
domande-note-label = New note
domande-note-add = Add the note
domande-notice-office-fatto = Done. The citizen gets a letter in the mailbox.
domande-notice-office-nota = Note added.
domande-notice-office-assegnata = Assignment updated.

domande-solo-cittadini = Applications are filed from the citizen's personal area.
domande-mandato-non-copre = The mandate you were given does not cover applications.
domande-modulo-sconosciuto = This form does not exist.
domande-ricorso-non-ammesso = An appeal can only be filed against a rejected application.
domande-troppe-bozze = You have too many open drafts. Complete or delete those you do not need.
domande-gia-presentata = The application was already sent and can no longer be changed.
domande-bozza-modificata = The draft was changed meanwhile (perhaps from another device). Reload the page and try again.
domande-serve-dispositivo = Sending the application needs a login with SPID, CIE or PIN dispositivo.
domande-non-ancora-aperto = The period for sending this application has not started yet.
domande-modulo-chiuso = The period for sending this application is over.
domande-cambiata = The application changed meanwhile. Reload the page and try again.
domande-gia-conclusa = The application is concluded: it can no longer change.
domande-fuori-sequenza = This cannot be done in the application's present state.
domande-integrazione-vuota = Attach at least one document or write a note.
domande-atto-sconosciuto = Choose a valid action.
domande-chiave-non-valida = The Idempotency-Key header must have 8 to 100 visible characters.
domande-motivazione-vuota = Write the reason.
domande-motivazione-lunga = The text is too long: at most 5,000 characters.
domande-motivazione-caratteri = The text contains characters that are not allowed.
domande-scadenza-non-valida = Give a deadline between tomorrow and 90 days from today.

problem-modulo-sconosciuto = No such form
problem-ricorso-non-ammesso = Appeal not allowed
problem-troppe-bozze = Too many open drafts
problem-domanda-gia-presentata = Application already sent
problem-bozza-modificata = Draft changed meanwhile
problem-pin-dispositivo-richiesto = SPID, CIE or PIN dispositivo needed
problem-modulo-non-ancora-aperto = Applications not open yet
problem-modulo-chiuso = Applications closed
problem-domanda-cambiata = The application changed meanwhile
problem-domanda-conclusa = Application already concluded
problem-domanda-fuori-sequenza = Not possible in this state
problem-integrazione-vuota = No document sent
problem-atto-sconosciuto = Unknown action
problem-chiave-non-valida = Invalid idempotency key
problem-modulo-aggiornato = Form updated: check the data

# Waiting room (click day): more requests than the site can serve right now.
error-busy-title = Waiting room: many people are applying
error-busy-detail = Many people are using the service right now. Your request was not lost and was not recorded: try again shortly. There is no need to try several times.
busy-detail = There are about { $ahead } { $ahead ->
    [one] person
   *[other] people
} ahead of you. Try again in { $seconds } { $seconds ->
    [one] second
   *[other] seconds
}.
problem-sala-d-attesa = Too many requests right now: try again after the time given
error-busy-resend = Send again
error-busy-resend-hint = When the time shown has passed, press the button: your request is sent again as it was, without filling in the form again.

# The personal area's entry to applications.
area-domande-heading = Your applications
area-domande-link = Applications filed and drafts
area-domande-new = File a new application
