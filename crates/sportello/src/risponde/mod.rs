//! Questions: the "Risponde" service (a citizen asks, the contact center answers or routes
//! the question to the competent sede) and "Scrivi alla sede" (straight to the citizen's
//! sede), with a timeline, service levels in Italian working days, ratings, and the back
//! office's queues.

pub mod api;
pub mod backoffice;
pub mod calendar;
pub mod model;
pub mod pages;
pub mod store;

use crate::storage::Db;

/// Largest request body on the question pages: three attachments of 5 MB and the text.
pub const BODY_BYTES_MAX: usize = model::ATTACHMENTS_MAX * model::ATTACHMENT_BYTES_MAX + 256 * 1024;

/// The mandate service code that lets an intermediary ask questions for a citizen.
pub const SERVICE: &str = "risponde";

/// A letter for the citizen's mailbox (cassetta postale).
#[derive(Debug, Clone)]
pub struct MailboxLetter {
    pub account_id: String,
    /// `risposta` for answers, `comunicazione` for acknowledgements, forwards and closures.
    pub kind: &'static str,
    pub subject: String,
    pub sender_office: String,
    pub paragraphs: Vec<String>,
    pub reference: Option<String>,
}

/// Files a letter in the citizen's mailbox (which also alerts the citizen on their channels).
/// Never fails the request that triggered it: the question is already stored, and the letter
/// is a copy of what the question page shows; a failure is logged.
pub async fn to_mailbox(app: &crate::app::AppState, letter: &MailboxLetter) {
    use crate::cassetta::{self, MessageKind, NewMessage};
    use crate::notify::alerts::Alert;
    let kind = match letter.kind {
        "risposta" => MessageKind::Risposta,
        _ => MessageKind::Comunicazione,
    };
    let message = NewMessage {
        account_id: letter.account_id.clone(),
        kind,
        subject: letter.subject.clone(),
        sender_office: letter.sender_office.clone(),
        paragraphs: letter.paragraphs.clone(),
        reference: letter.reference.clone(),
    };
    let alert = match kind {
        MessageKind::Risposta => Alert::QuestionAnswered,
        _ => Alert::NewMessage,
    };
    if let Err(err) = cassetta::deliver_and_alert(&app.db, &app.files, &app.config, &message, alert).await {
        tracing::error!(
            error = %err,
            reference = letter.reference.as_deref().unwrap_or_default(),
            "quesito: the letter could not be filed in the mailbox"
        );
    }
}

/// Demo data: canned answers for every topic; Anna Bianchi (resident in Rome) has one
/// answered question and one waiting at the contact center.
pub async fn load_demo(
    db: &Db,
    anna_id: &str,
    operator_id: &str,
) -> Result<(), crate::storage::StorageError> {
    use crate::audit::Entry;
    use crate::storage::now_ms;

    let now = now_ms();
    for topic in model::TOPICS {
        let (title, body) = demo_canned(topic.code);
        store::save_canned(db, None, topic.code, title, body, None, now).await?;
    }
    crate::write_pool!(db, |pool| sqlx::query(
        "UPDATE sedi SET provincia = 'RM' WHERE codice = 'RM-001'"
    )
    .execute(pool)
    .await
    .map(|_| ()))?;
    let sede = store::competent_sede(db, anna_id).await?;
    let question = |subject: &str, body: &str, topic: &str| store::NewQuestion {
        account_id: anna_id.to_owned(),
        asked_by: anna_id.to_owned(),
        topic: model::topic(topic).unwrap_or(model::TOPICS[0]),
        to_sede: false,
        subject: subject.to_owned(),
        application_ref: None,
        message: store::NewMessage {
            author_id: anna_id.to_owned(),
            author_role: "cittadino".to_owned(),
            body: body.to_owned(),
            internal: false,
            attachments: Vec::new(),
        },
        sede: sede.clone(),
    };
    let entry = Entry::new("quesito.inviato").actor(anna_id).subject(anna_id);
    let day = 86_400_000;
    let answered = store::create(
        db,
        &question(
            "Quando viene pagata la pensione a gennaio?",
            "Buongiorno, vorrei sapere in che giorno di gennaio viene pagata la pensione.",
            "pensioni",
        ),
        &entry,
        now - 6 * day,
    )
    .await?;
    if let Some(q) = store::find(db, &answered.id).await? {
        let mut change = store::Change::new(
            &q,
            model::State::Risposta,
            Entry::new("quesito.risposto").actor(operator_id).subject(anna_id),
            now - 5 * day,
        );
        change.message = Some(store::NewMessage {
            author_id: operator_id.to_owned(),
            author_role: "contact-center".to_owned(),
            body: demo_canned("pensioni").1.to_owned(),
            internal: false,
            attachments: Vec::new(),
        });
        change.answered = true;
        change.assign = Some(Some(operator_id.to_owned()));
        change.event = Some(("risposta", String::new()));
        store::apply(db, &change).await?;
    }
    store::create(
        db,
        &question(
            "Certificazione Unica non disponibile",
            "Non trovo la Certificazione Unica di quest'anno nell'area personale. Come posso averla?",
            "certificati",
        ),
        &entry,
        now - day,
    )
    .await?;
    Ok(())
}

fn demo_canned(topic: &str) -> (&'static str, &'static str) {
    match topic {
        "pensioni" => (
            "Date di pagamento delle pensioni",
            "Le pensioni sono pagate il primo giorno bancabile del mese. A gennaio il pagamento avviene il secondo giorno bancabile. Trova le date nell'area personale, alla voce Pagamenti.",
        ),
        "famiglia" => (
            "Assegno unico: quando arriva",
            "L'assegno unico è pagato nella seconda metà del mese. Se la domanda è nuova, il primo pagamento arriva alla fine del mese successivo alla domanda.",
        ),
        "disoccupazione" => (
            "NASpI: entro quando fare domanda",
            "La domanda di NASpI va presentata entro 68 giorni dalla fine del rapporto di lavoro, online o tramite un patronato.",
        ),
        "invalidita" => (
            "Stato della domanda di invalidità",
            "Puoi seguire la domanda di invalidità civile nell'area personale. Dopo la visita medica, il verbale arriva nella cassetta postale.",
        ),
        "contributi" => (
            "Estratto conto contributivo",
            "L'estratto conto contributivo si scarica dall'area personale, alla voce Contributi. Se manca un periodo, puoi chiedere la correzione online.",
        ),
        "certificati" => (
            "Certificazione Unica",
            "La Certificazione Unica è disponibile dal 16 marzo nell'area personale, alla voce Certificati. Puoi scaricarla e stamparla.",
        ),
        "pagamenti" => (
            "Cambio dell'IBAN",
            "Per cambiare l'IBAN su cui ricevi i pagamenti, entra nell'area personale con un accesso dispositivo e aggiorna i dati di pagamento.",
        ),
        "accesso-servizi" => (
            "PIN, SPID e CIE",
            "Puoi entrare con SPID, CIE o con il PIN. Se hai perso il PIN, chiedine uno nuovo dalla pagina di accesso o al contact center.",
        ),
        _ => (
            "Risposta generica",
            "Grazie per averci scritto. Per rispondere con precisione ci servono qualche dettaglio in più: rispondi a questo messaggio.",
        ),
    }
}
