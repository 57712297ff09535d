//! Questions: the "Risponde" service (a citizen asks, the contact center answers or routes
//! the question to the competent sede) and "Scrivi alla sede" (straight to the citizen's
//! sede), with a timeline, service levels in Italian working days, ratings, and the back
//! office's queues.

pub mod api;
pub mod backoffice;
pub mod calendar;
pub mod competenze;
pub mod model;
pub mod pages;
pub mod store;

use crate::jobs::{Handlers, JobContext, JobError, NewJob};
use crate::storage::{Db, StorageError};

/// Largest request body on the question pages: three attachments of 5 MB and the text.
pub const BODY_BYTES_MAX: usize = model::ATTACHMENTS_MAX * model::ATTACHMENT_BYTES_MAX + 256 * 1024;

/// The mandate service code that lets an intermediary ask questions for a citizen.
pub const SERVICE: &str = "risponde";

/// The job that files a letter in the mailbox and alerts the citizen.
pub const JOB_LETTER: &str = "risponde.lettera";

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

/// What the letter job carries: the letter and the mailbox id it will have, chosen when the
/// job is queued so that a job run twice files one letter.
#[derive(Debug, Clone, serde::Deserialize)]
struct LetterPayload {
    id: String,
    account_id: String,
    kind: String,
    subject: String,
    sender_office: String,
    paragraphs: Vec<String>,
    reference: Option<String>,
}

impl MailboxLetter {
    /// The durable job that files this letter: queue it in the transaction of the change that
    /// causes it (see [`store::Change::jobs`]). Its dedupe key is the letter's mailbox id.
    pub fn job(&self) -> NewJob {
        let id = uuid::Uuid::now_v7().to_string();
        let payload = serde_json::json!({
            "id": id,
            "account_id": self.account_id,
            "kind": self.kind,
            "subject": self.subject,
            "sender_office": self.sender_office,
            "paragraphs": self.paragraphs,
            "reference": self.reference,
        });
        NewJob::new(JOB_LETTER, payload)
            .dedupe(format!("{JOB_LETTER}:{id}"))
            .max_attempts(10)
    }
}

/// Queues a letter for the citizen's mailbox on its own, for a letter that no state change
/// carries. The job files it and alerts the citizen; an outage is retried with backoff.
pub async fn to_mailbox(app: &crate::app::AppState, letter: &MailboxLetter) -> Result<(), StorageError> {
    crate::jobs::enqueue(&app.db, letter.job()).await.map(|_| ())
}

/// Runs a letter job: renders the PDF, files it in the mailbox under the id chosen at
/// enqueue time (once, however many times the job runs), then alerts the citizen on their
/// channels. A letter that can never be filed (bad content) is a permanent failure.
pub async fn run_letter_job(
    ctx: &JobContext,
    config: &crate::config::Config,
    payload: &serde_json::Value,
) -> Result<(), JobError> {
    use crate::cassetta::{self, CassettaError, MessageKind, NewMessage};
    use crate::notify::alerts::{self, Alert};
    let letter: LetterPayload = serde_json::from_value(payload.clone())
        .map_err(|e| JobError::permanent(format!("letter payload: {e}")))?;
    let kind = match letter.kind.as_str() {
        "risposta" => MessageKind::Risposta,
        _ => MessageKind::Comunicazione,
    };
    let message = NewMessage {
        account_id: letter.account_id.clone(),
        kind,
        subject: letter.subject,
        sender_office: letter.sender_office,
        paragraphs: letter.paragraphs,
        reference: letter.reference,
    };
    match cassetta::deliver_as(&ctx.db, &ctx.files, &letter.id, &message).await {
        Ok(_) => {}
        Err(CassettaError::Invalid(why)) => return Err(JobError::permanent(why)),
        Err(err) => return Err(JobError::transient(err.to_string())),
    }
    // Also on a retry after a failed alert: the letter is filed, the citizen still needs to know.
    let alert = match kind {
        MessageKind::Risposta => Alert::QuestionAnswered,
        _ => Alert::NewMessage,
    };
    alerts::alert(&ctx.db, config, &letter.account_id, alert)
        .await
        .map_err(|e| JobError::transient(format!("alert: {e}")))
}

/// Registers the letter job's handler.
pub fn register_handlers(handlers: &mut Handlers, config: &crate::config::Config) {
    let config = std::sync::Arc::new(config.clone());
    handlers.register(JOB_LETTER, move |ctx, payload| {
        let config = config.clone();
        async move { run_letter_job(&ctx, &config, &payload).await }
    });
}

/// Demo data: canned answers for every topic; Anna Bianchi (resident in Rome) has one
/// answered question and one waiting at the contact center.
pub async fn load_demo(db: &Db, anna_id: &str, operator_id: &str) -> Result<(), StorageError> {
    use crate::audit::Entry;
    use crate::storage::now_ms;

    let now = now_ms();
    for topic in model::TOPICS {
        let (title, body) = demo_canned(topic.code);
        store::save_canned(db, None, topic.code, title, body, None, now).await?;
    }
    demo_competences(db).await?;
    let sede = store::competent_sede(db, anna_id, "pensioni").await?;
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

/// Demo routing: Rome serves its province and is the national default; Milan serves its
/// province and, for the whole country, contributions and unemployment benefits. So a
/// question of Anna (Rome) on pensions goes to Rome, one on contributions to Milan.
async fn demo_competences(db: &Db) -> Result<(), StorageError> {
    use crate::audit::Entry;
    crate::write_pool!(db, |pool| sqlx::query(
        "UPDATE sedi SET provincia = 'RM' WHERE codice = 'RM-001'"
    )
    .execute(pool)
    .await
    .map(|_| ()))?;
    crate::identity::staff::create_sede_in(db, "MI-001", "Sede di Milano", "Milano", Some("MI"), None)
        .await?;
    let ids: Vec<(String, String)> = crate::read_pool!(db, |pool| sqlx::query_as(
        "SELECT codice, id FROM sedi WHERE codice IN ('RM-001', 'MI-001')"
    )
    .fetch_all(pool)
    .await)?;
    let id_of = |codice: &str| ids.iter().find(|(c, _)| c == codice).map(|(_, id)| id.clone());
    let (Some(roma), Some(milano)) = (id_of("RM-001"), id_of("MI-001")) else {
        return Ok(());
    };
    let entry = Entry::new("sede.competenza.aggiunta");
    for (sede, topic, provincia) in [
        (&roma, "*", "RM"),
        (&roma, "*", "*"),
        (&milano, "*", "MI"),
        (&milano, "contributi", "*"),
        (&milano, "disoccupazione", "*"),
    ] {
        competenze::add(db, sede, topic, provincia, &entry).await?;
    }
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
