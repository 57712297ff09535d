//! Online applications (domande telematiche), issue 8: the full path through the pages, every
//! state transition and refusal in the back office, ownership and acting for someone, the
//! API, exactly-once filing with gap-free protocol numbers (also across two nodes), forms as
//! data (reload, versions, refusals at load), pre-filling; nothing half-written on bad input.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use sportello::domande::registry::{self, Forms, LoadError};
use sportello::identity::accounts::{self, NewAccount, Role};
use sportello::identity::delega;
use sportello::identity::session::{self, Lifetime};
use sportello::storage::{Db, now_ms};

use crate::helpers::{self, Backend, Node, TestApp, eventually};
use crate::kit::{
    Browser, Part, Person, Reply, audited, citizen, exec, operator, person, post_multipart, rome_date,
    scalar, text, two_sedi,
};
use crate::on_both_backends;

const ANNA_CF: &str = "BNCNNA52T45F205Q";
const MARIO_CF: &str = "RSSMRA80A01H501U";
const DARIO_CF: &str = "DRAMNC60A01F205U";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A Windows program: `MZ` header, whatever its name says.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00program";

// ---------------------------------------------------------------------------------------
// Setup

/// Two sedi (Roma for RM, Milano for MI) and a profile in Rome (with an email) for `citizen`.
pub(crate) async fn sedi_and_profile(app: &TestApp, citizen: &Person) -> (String, String) {
    let (roma, milano) = two_sedi(app).await;
    profile(app, citizen).await;
    (roma, milano)
}

/// A profile in Rome for `citizen`, with an email.
pub(crate) async fn profile(app: &TestApp, citizen: &Person) {
    let (given, surname) = citizen.name.split_once(' ').unwrap();
    exec(
        &app.db,
        &format!(
            "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code,
                address_street, address_cap, address_comune, address_provincia, email, updated_at)
             VALUES ('{}', '{given}', '{surname}', '1952-12-05', 'F205', 'Via dei Mille 12', '00185', 'Roma', 'RM',
                     'posta.{}@example.it', 0)",
            citizen.id,
            given.to_lowercase()
        ),
    )
    .await;
}

/// Raises every session of `account` to a PIN dispositivo (what SPID or CIE would give).
async fn dispositivo(db: &Db, account: &str) {
    exec(
        db,
        &format!("UPDATE sessions SET auth_level = 'dispositivo' WHERE account_id = '{account}'"),
    )
    .await;
}

/// A citizen logged in with a PIN and raised to dispositivo.
pub(crate) async fn filer(app: &TestApp, person: &Person) -> Browser {
    let browser = Browser::logged_in(app, person).await;
    dispositivo(&app.db, &person.id).await;
    browser
}

/// A JSON call with the browser's cookies (and an Idempotency-Key, if given).
async fn api(
    app: &TestApp,
    who: &Browser,
    method: &str,
    path: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> Reply {
    api_at(&app.base_url, who, method, path, body, key).await
}

async fn api_at(
    base: &str,
    who: &Browser,
    method: &str,
    path: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> Reply {
    let client = helpers::client();
    let url = format!("{base}{path}");
    let mut request = match method {
        "GET" => client.get(url),
        "PUT" => client.put(url),
        "DELETE" => client.delete(url),
        _ => client.post(url),
    }
    .header(COOKIE, who.cookie_header());
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    Reply::read(request.send().await.expect("request")).await
}

/// Good answers to the one-step certificato di residenza.
fn certificato() -> Value {
    json!({"intestatario": "se-stesso", "uso": "bollo", "copie": "2", "email": "anna@example.it"})
}

/// Opens and files a certificato di residenza through the API; returns (id, protocol).
async fn filed_certificato(app: &TestApp, who: &Browser) -> (String, String) {
    let made = api(
        app,
        who,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "certificato-residenza", "risposte": certificato(), "invia": true})),
        None,
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let body = made.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["protocollo"].as_str().unwrap().to_owned(),
    )
}

/// Every table an application writes to, counted.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "domande",
        "domanda_events",
        "domanda_notes",
        "domanda_attachments",
        "protocol_counters",
        "form_versions",
    ] {
        out.push(app.count(table).await);
    }
    out.push(
        scalar(
            &app.db,
            "SELECT CAST(COALESCE(SUM(revision), 0) AS BIGINT) FROM domande",
        )
        .await,
    );
    out.push(
        scalar(
            &app.db,
            "SELECT CAST(COALESCE(SUM(last), 0) AS BIGINT) FROM protocol_counters",
        )
        .await,
    );
    out
}

fn year() -> i32 {
    jiff::Timestamp::now().in_tz("Europe/Rome").unwrap().year().into()
}

async fn state_of(app: &TestApp, id: &str) -> String {
    text(&app.db, &format!("SELECT state FROM domande WHERE id = '{id}'")).await
}

/// Waits until `account` has `n` letters in the mailbox.
async fn letters(app: &TestApp, account: &str, n: i64) -> bool {
    eventually(Duration::from_secs(20), || {
        let db = app.db.clone();
        let sql = format!("SELECT COUNT(*) FROM mailbox_messages WHERE account_id = '{account}'");
        async move { scalar(&db, &sql).await >= n }
    })
    .await
}

/// The id of the draft a `/area-personale/domande/{id}/…` location names.
fn id_in(location: &str) -> String {
    location
        .trim_start_matches("/area-personale/domande/")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

// ---------------------------------------------------------------------------------------
// 1. The full path through the pages

async fn pages_full_path_from_start_to_verified_receipt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_profile(&app, &anna).await;
    let mut a = filer(&app, &anna).await;

    // The form's start page; "Inizia" twice (a double click) opens one draft.
    let start = a
        .get("/area-personale/domande/nuova?modulo=bando-locazione-popolare")
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    assert!(start.has("Il nucleo familiare"));
    let marker = "name=\"chiave\" value=\"";
    let at = start.body.find(marker).expect("the start form carries a key") + marker.len();
    let key = start.body[at..at + 36].to_owned();
    let token = start.csrf();
    let fields = [
        ("_csrf", token.as_str()),
        ("modulo", "bando-locazione-popolare"),
        ("chiave", key.as_str()),
    ];
    let opened = a.post("/area-personale/domande", &fields).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    assert!(opened.location().ends_with("/passo/1"), "{}", opened.location());
    let again = a.post("/area-personale/domande", &fields).await;
    assert_eq!(again.location(), opened.location());
    assert_eq!(app.count("domande").await, 1, "a double click opens one draft");
    let id = id_in(opened.location());
    let step1 = format!("/area-personale/domande/{id}/passo/1");

    // Step 1 with mistakes: 422, messages next to the fields, a summary linking to them.
    let page = a.get(&step1).await;
    assert_eq!(page.status, StatusCode::OK);
    let before = counts(&app).await;
    let refused = post_multipart(
        &app,
        &a,
        &step1,
        &[
            Part::Field("_csrf", &token),
            Part::Field("familiari.0.nome", "Luca Bianchi"),
            Part::Field("familiari.0.codice_fiscale", "NONVALIDO"),
            Part::Field("familiari.0.parentela", "figlio"),
            Part::Field("familiari.0.invalido", "no"),
            Part::Field("azione", "avanti"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.has("aria-invalid=\"true\""));
    assert!(
        refused.has("href=\"#campo-familiari-0-codice_fiscale\""),
        "{}",
        refused.body
    );
    assert!(
        refused.has("href=\"#campo-invalidita_richiedente\""),
        "{}",
        refused.body
    );
    assert!(refused.has("id=\"campo-familiari-0-codice_fiscale\""));
    assert!(refused.has("id=\"errore-campo-invalidita_richiedente\""));
    assert!(
        refused.has("value=\"Luca Bianchi\""),
        "what was typed is shown again"
    );
    assert_eq!(counts(&app).await, before, "a refused step writes nothing");

    // Corrected: saved, on to step 2, where the address on file is pre-filled.
    let saved = post_multipart(
        &app,
        &a,
        &step1,
        &[
            Part::Field("_csrf", &token),
            Part::Field("familiari.0.nome", "Luca Bianchi"),
            Part::Field("familiari.0.codice_fiscale", MARIO_CF),
            Part::Field("familiari.0.parentela", "figlio"),
            Part::Field("familiari.0.invalido", "no"),
            Part::Field("invalidita_richiedente", "no"),
            Part::Field("azione", "avanti"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location().ends_with("/passo/2"));
    let step2 = a.get(saved.location()).await;
    assert!(step2.has("value=\"Via dei Mille 12\""), "{}", step2.body);
    assert!(step2.has("value=\"00185\""));
    let saved = post_multipart(
        &app,
        &a,
        &format!("/area-personale/domande/{id}/passo/2"),
        &[
            Part::Field("_csrf", &token),
            Part::Field("isee", "12.500,00"),
            Part::Field("anni_residenza", "12"),
            Part::Field("residenza.via", "Via dei Mille 12"),
            Part::Field("residenza.cap", "00185"),
            Part::Field("residenza.comune", "Roma"),
            Part::Field("residenza.provincia", "RM"),
            Part::Field("azione", "esci"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/area-personale/domande");

    // Later, from another device: the draft resumes at the next step.
    let mut other_device = Browser::logged_in(&app, &anna).await;
    dispositivo(&app.db, &anna.id).await;
    let resume = other_device.get(&format!("/area-personale/domande/{id}")).await;
    assert_eq!(resume.status, StatusCode::SEE_OTHER);
    assert_eq!(resume.location(), format!("/area-personale/domande/{id}/passo/3"));

    // Step 3: an eviction, with the order attached; a program named .pdf is refused.
    let step3 = format!("/area-personale/domande/{id}/passo/3");
    let token = other_device.token().await;
    let exe = post_multipart(
        &app,
        &other_device,
        &step3,
        &[
            Part::Field("_csrf", &token),
            Part::Field("sfratto", "si"),
            Part::File("file:provvedimento_sfratto", "sfratto.pdf", EXE),
        ],
    )
    .await;
    assert_eq!(exe.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", exe.body);
    assert!(exe.has("href=\"#campo-provvedimento_sfratto\""), "{}", exe.body);
    assert_eq!(app.count("domanda_attachments").await, 0);
    let saved = post_multipart(
        &app,
        &other_device,
        &step3,
        &[
            Part::Field("_csrf", &token),
            Part::Field("sfratto", "si"),
            Part::File("file:provvedimento_sfratto", "sfratto.pdf", PDF),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        format!("/area-personale/domande/{id}/riepilogo")
    );
    assert_eq!(app.count("domanda_attachments").await, 1);

    // The summary, then filing; a second click lands on the same application.
    let summary = a.get(&format!("/area-personale/domande/{id}/riepilogo")).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert!(
        summary.has("Luca Bianchi") && summary.has("sfratto.pdf"),
        "{}",
        summary.body
    );
    let token = summary.csrf();
    let filed = a
        .post(
            &format!("/area-personale/domande/{id}/invio"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let twice = a
        .post(
            &format!("/area-personale/domande/{id}/invio"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(twice.status, StatusCode::SEE_OTHER, "{}", twice.body);
    assert_eq!(twice.location(), filed.location());
    let protocol = text(
        &app.db,
        &format!("SELECT protocol FROM domande WHERE id = '{id}'"),
    )
    .await;
    assert_eq!(protocol, format!("COMUNE.RM-001.{}.00000001", year()));
    assert_eq!(app.count("domande").await, 1);
    assert_eq!(scalar(&app.db, "SELECT last FROM protocol_counters").await, 1);
    assert_eq!(
        scalar(
            &app.db,
            &format!("SELECT COUNT(*) FROM domanda_events WHERE domanda_id = '{id}'")
        )
        .await,
        1
    );
    let shown = a.get(filed.location()).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.has(&protocol), "{}", shown.body);
    // The filed application no longer takes steps.
    let late = a.get(&step3).await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);

    // The receipt, and the public check with the code printed in it.
    let pdf = a
        .client_get_bytes(&app, &format!("/area-personale/domande/{id}/ricevuta.pdf"))
        .await;
    assert!(pdf.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&pdf).contains(&protocol));
    let code = text(
        &app.db,
        &format!("SELECT verify_code FROM domande WHERE id = '{id}'"),
    )
    .await;
    assert!(String::from_utf8_lossy(&pdf).contains(&code));
    let public = Browser::new(&app)
        .get(&format!("/verifica/{protocol}?codice={code}"))
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert!(!public.has("Anna") && !public.has(ANNA_CF));
    let wrong = Browser::new(&app)
        .get(&format!("/verifica/{protocol}?codice=ABCDEFGHJKLMNPQR"))
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let none = Browser::new(&app).get(&format!("/verifica/{protocol}")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // The letter in the mailbox names the protocol.
    assert!(letters(&app, &anna.id, 1).await, "the filing letter arrives");
    let reference = text(
        &app.db,
        &format!(
            "SELECT reference FROM mailbox_messages WHERE account_id = '{}'",
            anna.id
        ),
    )
    .await;
    assert_eq!(reference, protocol);
}

impl Browser {
    /// The bytes of a download with this browser's cookies.
    async fn client_get_bytes(&self, app: &TestApp, path: &str) -> Vec<u8> {
        let response = app
            .client
            .get(app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.bytes().await.unwrap().to_vec()
    }
}

// ---------------------------------------------------------------------------------------
// 2. Every state transition and refusal, through the back office pages

/// Posts a back-office form with the browser's token.
async fn staff_post(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let token = browser.token().await;
    let mut form = fields.to_vec();
    form.push(("_csrf", &token));
    browser.post(path, &form).await
}

async fn back_office_moves_a_case_through_every_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let (roma, milano) = sedi_and_profile(&app, &anna).await;
    let (_, mut rm) = operator(
        &app,
        "elisa.marino",
        "Elisa Marino",
        Role::OperatoreSede,
        Some(&roma),
    )
    .await;
    let (_, mut mi) = operator(&app, "gino.sala", "Gino Sala", Role::OperatoreSede, Some(&milano)).await;
    let mut a = filer(&app, &anna).await;
    let (id, protocol) = filed_certificato(&app, &a).await;
    let case = format!("/backoffice/domande/{id}");
    let act = format!("{case}/atto");

    // The Roma queue has it; Milano's does not, and its operator gets 404 on every path.
    let queue = rm.get("/backoffice/domande").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.has(&protocol));
    let other = mi.get("/backoffice/domande").await;
    assert!(!other.has(&protocol));
    assert_eq!(mi.get(&case).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        staff_post(&mut mi, &act, &[("atto", "avvia-istruttoria")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        staff_post(&mut mi, &format!("{case}/note"), &[("testo", "Nota da Milano")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(audited(&app.db, "domanda.aperta", Some(&anna.id)).await, 0);

    // Opening is audited.
    let opened = rm.get(&case).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(opened.has("Anna Bianchi"));
    assert_eq!(audited(&app.db, "domanda.aperta", Some(&anna.id)).await, 1);

    // A decision on a case not yet opened: 409, nothing changes.
    let before = counts(&app).await;
    let early = staff_post(
        &mut rm,
        &act,
        &[("atto", "accogli"), ("motivazione", "Tutto in regola.")],
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(counts(&app).await, before);
    let unknown = staff_post(&mut rm, &act, &[("atto", "presenta")]).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
    assert_eq!(counts(&app).await, before);

    // presentata → in istruttoria.
    let started = staff_post(&mut rm, &act, &[("atto", "avvia-istruttoria")]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    assert_eq!(state_of(&app, &id).await, "in-istruttoria");

    // An internal note: on the office's page, never on the citizen's (page or API).
    let noted = staff_post(
        &mut rm,
        &format!("{case}/note"),
        &[("testo", "NOTA-RISERVATA: verificare la residenza")],
    )
    .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER, "{}", noted.body);
    assert!(rm.get(&case).await.has("NOTA-RISERVATA"));
    let empty_note = staff_post(&mut rm, &format!("{case}/note"), &[("testo", "   ")]).await;
    assert_eq!(empty_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("domanda_notes").await, 1);

    // A request for documents without reason or deadline: 422 with both messages.
    let before = counts(&app).await;
    let bare = staff_post(&mut rm, &act, &[("atto", "chiedi-integrazione")]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bare.body);
    assert!(
        bare.has("href=\"#campo-motivazione\"") && bare.has("href=\"#campo-scadenza\""),
        "{}",
        bare.body
    );
    let past = staff_post(
        &mut rm,
        &act,
        &[
            ("atto", "chiedi-integrazione"),
            ("motivazione", "Serve il contratto."),
            ("scadenza", &rome_date(-1)),
        ],
    )
    .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counts(&app).await, before);
    let due = rome_date(20);
    let asked = staff_post(
        &mut rm,
        &act,
        &[
            ("atto", "chiedi-integrazione"),
            ("motivazione", "Serve il contratto di affitto firmato."),
            ("scadenza", &due),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    assert_eq!(state_of(&app, &id).await, "richiesta-integrazione");

    // The citizen sees the request and its deadline, never the note.
    let mine = format!("/area-personale/domande/{id}");
    let page = a.get(&mine).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has("Serve il contratto di affitto firmato."),
        "{}",
        page.body
    );
    assert!(page.has(&sportello::domande::italian_date(&due)), "{}", page.body);
    assert!(!page.has("NOTA-RISERVATA"));
    let json = api(&app, &a, "GET", &format!("/api/v1/domande/{id}"), None, None).await;
    assert_eq!(json.json()["scadenza_integrazione"], due.as_str());
    assert!(!json.has("NOTA-RISERVATA"));

    // Documents: a program named .pdf, and an empty file, are refused with a message.
    let integrate = format!("{mine}/integrazione");
    let token = a.token().await;
    let before = counts(&app).await;
    for (name, bytes) in [("contratto.pdf", EXE), ("vuoto.pdf", &b""[..])] {
        let refused = post_multipart(
            &app,
            &a,
            &integrate,
            &[Part::Field("_csrf", &token), Part::File("documenti", name, bytes)],
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            refused.body
        );
        assert!(
            refused.has("href=\"#campo-documenti\""),
            "{name}: {}",
            refused.body
        );
        assert_eq!(counts(&app).await, before, "{name}");
    }
    let nothing = post_multipart(&app, &a, &integrate, &[Part::Field("_csrf", &token)]).await;
    assert_eq!(
        nothing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        nothing.body
    );
    assert_eq!(counts(&app).await, before);
    let sent = post_multipart(
        &app,
        &a,
        &integrate,
        &[
            Part::Field("_csrf", &token),
            Part::Field("nota", "Ecco il contratto."),
            Part::File("documenti", "contratto.pdf", PDF),
        ],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(state_of(&app, &id).await, "integrata");
    assert!(rm.get(&case).await.has("contratto.pdf"));

    // A decision without a reason: 422. With one: accolta. Deciding twice: 409.
    let before = counts(&app).await;
    let no_reason = staff_post(&mut rm, &act, &[("atto", "accogli")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counts(&app).await, before);
    let granted = staff_post(
        &mut rm,
        &act,
        &[("atto", "accogli"), ("motivazione", "Requisiti verificati.")],
    )
    .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    assert_eq!(state_of(&app, &id).await, "accolta");
    let before = counts(&app).await;
    let twice = staff_post(
        &mut rm,
        &act,
        &[("atto", "respingi"), ("motivazione", "Ripensamento.")],
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(twice.has("conclusa"), "{}", twice.body);
    assert_eq!(counts(&app).await, before);

    // Withdrawing a decided case: 409 (page and API); an appeal against a granted one: 409.
    let token = a.token().await;
    let late = a.post(&format!("{mine}/ritiro"), &[("_csrf", &token)]).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let late = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/ritiro"),
        None,
        None,
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.json()["code"], "domanda-conclusa");
    let appeal = a.post(&format!("{mine}/ricorso"), &[("_csrf", &token)]).await;
    assert_eq!(appeal.status, StatusCode::CONFLICT, "{}", appeal.body);
    assert_eq!(counts(&app).await, before);

    // A second case: withdrawn by the citizen while open.
    let (second, _) = filed_certificato(&app, &a).await;
    let withdrawn = a
        .post(
            &format!("/area-personale/domande/{second}/ritiro"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER, "{}", withdrawn.body);
    assert_eq!(state_of(&app, &second).await, "ritirata");
    let act2 = format!("/backoffice/domande/{second}/atto");
    assert_eq!(
        staff_post(&mut rm, &act2, &[("atto", "avvia-istruttoria")])
            .await
            .status,
        StatusCode::CONFLICT
    );

    // A third: rejected with a reason; the appeal is linked to it, its protocol pre-filled.
    let (third, third_protocol) = filed_certificato(&app, &a).await;
    let act3 = format!("/backoffice/domande/{third}/atto");
    staff_post(&mut rm, &act3, &[("atto", "avvia-istruttoria")]).await;
    let rejected = staff_post(
        &mut rm,
        &act3,
        &[("atto", "respingi"), ("motivazione", "Non risiedi nel Comune.")],
    )
    .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER, "{}", rejected.body);
    let page = a.get(&format!("/area-personale/domande/{third}")).await;
    assert!(page.has("Non risiedi nel Comune."));
    let appeal = a
        .post(
            &format!("/area-personale/domande/{third}/ricorso"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(appeal.status, StatusCode::SEE_OTHER, "{}", appeal.body);
    let ricorso = id_in(appeal.location());
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT appeal_of FROM domande WHERE id = '{ricorso}'")
        )
        .await,
        third
    );
    let step = a.get(appeal.location()).await;
    assert!(step.has(&format!("value=\"{third_protocol}\"")), "{}", step.body);
    // Asking again (a double click) gives the same appeal.
    let again = a
        .post(
            &format!("/area-personale/domande/{third}/ricorso"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(again.location(), appeal.location());

    // Every change reached the mailbox: 5 on the first case, 2 on the second, 3 on the third.
    assert!(
        letters(&app, &anna.id, 10).await,
        "a letter for every state change"
    );
}

// ---------------------------------------------------------------------------------------
// 3. Ownership, and acting for someone

async fn a_draft_belongs_to_its_citizen_and_acting_needs_a_basis(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let dario = citizen(&app, DARIO_CF, "Dario Mancini").await;
    let patronato = person(
        &app,
        "FRRCRL70D55H501R",
        "Carla Ferri (Patronato)",
        Role::Intermediario,
    )
    .await;
    let caf = person(&app, "CAFSTD80A01H501P", "CAF Studio Uno", Role::Intermediario).await;
    sedi_and_profile(&app, &anna).await;
    let mut a = filer(&app, &anna).await;

    // Anna's draft with an attachment, and a filed application of hers.
    let made = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "bando-locazione-popolare"})),
        None,
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let draft = made.json()["id"].as_str().unwrap().to_owned();
    let token = a.token().await;
    let up = post_multipart(
        &app,
        &a,
        &format!("/area-personale/domande/{draft}/passo/3"),
        &[
            Part::Field("_csrf", &token),
            Part::Field("sfratto", "si"),
            Part::File("file:provvedimento_sfratto", "sfratto.pdf", PDF),
        ],
    )
    .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let file = text(&app.db, "SELECT id FROM domanda_attachments").await;
    let (filed, protocol) = filed_certificato(&app, &a).await;

    // Mario, with a PIN dispositivo, reaches none of it: 404 everywhere, nothing changes.
    let mut m = filer(&app, &mario).await;
    let token = m.token().await;
    let before = counts(&app).await;
    for path in [
        format!("/area-personale/domande/{draft}"),
        format!("/area-personale/domande/{draft}/passo/1"),
        format!("/area-personale/domande/{draft}/riepilogo"),
        format!("/area-personale/domande/{draft}/allegati/{file}"),
        format!("/area-personale/domande/{filed}"),
        format!("/area-personale/domande/{filed}/ricevuta.pdf"),
    ] {
        let reply = m.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        assert!(!reply.has("Anna") && !reply.has(&protocol));
    }
    for path in [
        format!("/area-personale/domande/{draft}/invio"),
        format!("/area-personale/domande/{draft}/elimina"),
        format!("/area-personale/domande/{filed}/ritiro"),
        format!("/area-personale/domande/{filed}/ricorso"),
    ] {
        let reply = m.post(&path, &[("_csrf", &token)]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
    }
    let step = post_multipart(
        &app,
        &m,
        &format!("/area-personale/domande/{draft}/passo/3"),
        &[Part::Field("_csrf", &token), Part::Field("sfratto", "no")],
    )
    .await;
    assert_eq!(step.status, StatusCode::NOT_FOUND);
    for (method, path, body) in [
        ("GET", format!("/api/v1/domande/{draft}"), None),
        (
            "PUT",
            format!("/api/v1/domande/{draft}/passi/3"),
            Some(json!({"risposte": {"sfratto": "no"}})),
        ),
        ("POST", format!("/api/v1/domande/{draft}/invio"), None),
        ("DELETE", format!("/api/v1/domande/{draft}"), None),
        ("GET", format!("/api/v1/domande/{filed}"), None),
        ("GET", format!("/api/v1/domande/{filed}/ricevuta"), None),
        ("POST", format!("/api/v1/domande/{filed}/ritiro"), None),
    ] {
        let reply = api(&app, &m, method, &path, body.as_ref(), None).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.body
        );
        assert!(!reply.has("Anna") && !reply.has(&protocol));
    }
    let list = api(&app, &m, "GET", "/api/v1/domande", None, None).await;
    assert_eq!(list.json(), json!([]));
    assert_eq!(counts(&app).await, before, "an intruder changes nothing");

    // An ordinary PIN reads but does not file: 403 pin-dispositivo-richiesto, nothing filed.
    let mut ordinary = Browser::logged_in(&app, &anna).await;
    let token = ordinary.token().await;
    let refused = ordinary
        .post(
            &format!("/area-personale/domande/{draft}/invio"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let refused = api(
        &app,
        &ordinary,
        "POST",
        &format!("/api/v1/domande/{draft}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["code"], "pin-dispositivo-richiesto");
    let refused = api(
        &app,
        &ordinary,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "certificato-residenza", "risposte": certificato(), "invia": true})),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(counts(&app).await, before);

    // A delegate (Dario, delegated by Anna) files for her: the receipt says so.
    let anna_account = accounts::find(&app.db, &anna.id).await.unwrap().unwrap();
    let now = now_ms();
    delega::create(
        &app.db,
        &anna_account,
        DARIO_CF,
        now - 1000,
        now + 86_400_000,
        &anna.id,
        None,
    )
    .await
    .unwrap()
    .unwrap();
    let mut d = Browser::logged_in(&app, &dario).await;
    let token = d.token().await;
    let acting = d
        .post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token)])
        .await;
    assert_eq!(acting.status, StatusCode::SEE_OTHER, "{}", acting.body);
    let (by_delegate, _) = filed_certificato(&app, &d).await;
    let body = api(
        &app,
        &d,
        "GET",
        &format!("/api/v1/domande/{by_delegate}"),
        None,
        None,
    )
    .await;
    assert_eq!(body.json()["presentata_da"], "delegato");
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT account_id FROM domande WHERE id = '{by_delegate}'")
        )
        .await,
        anna.id
    );
    let pdf = d
        .client_get_bytes(
            &app,
            &format!("/area-personale/domande/{by_delegate}/ricevuta.pdf"),
        )
        .await;
    assert!(String::from_utf8_lossy(&pdf).contains("delegato: Dario Mancini"));
    assert!(audited(&app.db, "domanda.presentata", Some(&anna.id)).await >= 2);

    // A patronato with a mandate for `domande` files as intermediario.
    delega::grant_mandate(
        &app.db,
        &anna_account,
        &patronato.cf,
        "domande",
        now + 86_400_000,
        &anna.id,
    )
    .await
    .unwrap()
    .unwrap();
    let mut p = Browser::logged_in(&app, &patronato).await;
    let token = p.token().await;
    p.post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token)])
        .await;
    let (by_patronato, _) = filed_certificato(&app, &p).await;
    let body = api(
        &app,
        &p,
        "GET",
        &format!("/api/v1/domande/{by_patronato}"),
        None,
        None,
    )
    .await;
    assert_eq!(body.json()["presentata_da"], "intermediario");
    let pdf = p
        .client_get_bytes(
            &app,
            &format!("/area-personale/domande/{by_patronato}/ricevuta.pdf"),
        )
        .await;
    assert!(String::from_utf8_lossy(&pdf).contains("intermediario"));

    // A CAF whose mandate covers another service: 403, nothing of Anna's shown or filed.
    delega::grant_mandate(
        &app.db,
        &anna_account,
        &caf.cf,
        "pensioni",
        now + 86_400_000,
        &anna.id,
    )
    .await
    .unwrap()
    .unwrap();
    let mut c = Browser::logged_in(&app, &caf).await;
    let token = c.token().await;
    c.post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token)])
        .await;
    let before = counts(&app).await;
    for path in [
        "/area-personale/domande".to_owned(),
        format!("/area-personale/domande/{filed}"),
    ] {
        let reply = c.get(&path).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {}", reply.body);
        assert!(!reply.has(&protocol));
    }
    let refused = api(
        &app,
        &c,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "certificato-residenza", "risposte": certificato(), "invia": true})),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(counts(&app).await, before);

    // Anna herself deletes her draft; a filed one cannot be deleted.
    let token = a.token().await;
    let deleted = a
        .post(
            &format!("/area-personale/domande/{draft}/elimina"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let kept = a
        .post(
            &format!("/area-personale/domande/{filed}/elimina"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.body);
    assert_eq!(app.count("domanda_attachments").await, 0);
}

// ---------------------------------------------------------------------------------------
// 4. The API

async fn api_creates_once_saves_steps_files_once_withdraws_and_deletes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_profile(&app, &anna).await;
    let a = filer(&app, &anna).await;

    // The same Idempotency-Key twice: one application (201, then 200 with the same id).
    let body = json!({"modulo": "bando-locazione-popolare"});
    let key = "5b0c1d4e-0000-4000-8000-000000000001";
    let first = api(&app, &a, "POST", "/api/v1/domande", Some(&body), Some(key)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let second = api(&app, &a, "POST", "/api/v1/domande", Some(&body), Some(key)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let id = first.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(second.json()["id"], id.as_str());
    assert_eq!(app.count("domande").await, 1);
    // The draft is pre-filled with the address on file.
    assert_eq!(first.json()["risposte"]["residenza"]["comune"], "Roma");

    // Bad keys, bad answers with `invia`, unknown forms: refused, nothing stored.
    let before = counts(&app).await;
    for bad in ["corta", "con spazio dentro", &"x".repeat(101)] {
        let reply = api(&app, &a, "POST", "/api/v1/domande", Some(&body), Some(bad)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.body
        );
        assert_eq!(reply.json()["code"], "chiave-non-valida");
    }
    let wrong = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "certificato-residenza", "invia": true, "risposte": {
            "intestatario": "nessuno", "uso": "bollo", "copie": "99", "email": "non-una-email", "colore": "blu"
        }})),
        Some("chiave-della-prova-bad"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert!(
        wrong
            .header("content-type")
            .unwrap()
            .starts_with("application/problem+json")
    );
    let mut fields: Vec<String> = wrong.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["colore", "copie", "email", "intestatario"],
        "{}",
        wrong.body
    );
    let unknown = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "nessuno"})),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_json = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": 3})),
        None,
    )
    .await;
    assert!(not_json.status.is_client_error());
    assert_eq!(counts(&app).await, before, "no row for refused requests");

    // Steps: saved, refused (one error per field), stale revision, unknown step.
    let revision = first.json()["revisione"].as_i64().unwrap();
    let step1 = json!({"risposte": {
        "familiari": [{"nome": "Luca Bianchi", "codice_fiscale": MARIO_CF, "parentela": "figlio", "invalido": "no"}],
        "invalidita_richiedente": "no"
    }, "revisione": revision});
    let saved = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/1"),
        Some(&step1),
        None,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let revision = saved.json()["revisione"].as_i64().unwrap();
    let before = counts(&app).await;
    let stale = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/1"),
        Some(&step1),
        None,
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(stale.json()["code"], "bozza-modificata");
    let bad_step = json!({"risposte": {"isee": "tanti", "anni_residenza": -3}, "revisione": revision});
    let refused = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/2"),
        Some(&bad_step),
        None,
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let mut fields: Vec<String> = refused.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields.dedup();
    assert!(
        fields.contains(&"isee".to_owned()) && fields.contains(&"anni_residenza".to_owned()),
        "{fields:?}"
    );
    let nowhere = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/9"),
        Some(&bad_step),
        None,
    )
    .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    // Filing an incomplete draft: 422 naming the missing fields.
    let early = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.body);
    assert_eq!(counts(&app).await, before);

    let step2 = json!({"risposte": {
        "isee": "9800", "anni_residenza": 7,
        "residenza": {"via": "Via dei Mille 12", "cap": "00185", "comune": "Roma", "provincia": "RM"}
    }, "revisione": revision});
    let saved = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/2"),
        Some(&step2),
        None,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let step3 = json!({"risposte": {"sfratto": "no"}});
    let saved = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/3"),
        Some(&step3),
        None,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    // Filing twice: the same protocol number, one counter step.
    let filed = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    let again = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let protocol = filed.json()["protocollo"].as_str().unwrap().to_owned();
    assert_eq!(again.json()["protocollo"], protocol.as_str());
    assert_eq!(protocol, format!("COMUNE.RM-001.{}.00000001", year()));
    assert_eq!(scalar(&app.db, "SELECT last FROM protocol_counters").await, 1);
    assert_eq!(filed.json()["stato"], "presentata");
    assert_eq!(filed.json()["eventi"].as_array().unwrap().len(), 1);
    // A filed application takes no more steps and is not deleted.
    let late = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{id}/passi/3"),
        Some(&step3),
        None,
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let kept = api(&app, &a, "DELETE", &format!("/api/v1/domande/{id}"), None, None).await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.body);
    let receipt = api(
        &app,
        &a,
        "GET",
        &format!("/api/v1/domande/{id}/ricevuta"),
        None,
        None,
    )
    .await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.body.starts_with("%PDF"));

    // Withdrawn once; a second time is 409.
    let withdrawn = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/ritiro"),
        None,
        None,
    )
    .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert_eq!(withdrawn.json()["stato"], "ritirata");
    let twice = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/ritiro"),
        None,
        None,
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // A draft is deleted (204), and withdrawing a draft is 409.
    let other = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "naspi"})),
        None,
    )
    .await;
    let other = other.json()["id"].as_str().unwrap().to_owned();
    let draft_withdraw = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{other}/ritiro"),
        None,
        None,
    )
    .await;
    assert_eq!(draft_withdraw.status, StatusCode::CONFLICT);
    let no_receipt = api(
        &app,
        &a,
        "GET",
        &format!("/api/v1/domande/{other}/ricevuta"),
        None,
        None,
    )
    .await;
    assert_eq!(no_receipt.status, StatusCode::NOT_FOUND);
    let deleted = api(
        &app,
        &a,
        "DELETE",
        &format!("/api/v1/domande/{other}"),
        None,
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = api(&app, &a, "GET", &format!("/api/v1/domande/{other}"), None, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // `invia` on a form whose period has not opened: 409, no row left behind.
    let before = counts(&app).await;
    let closed = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "bonus-asilo-nido", "invia": true, "risposte": {}})),
        None,
    )
    .await;
    assert!(closed.status.is_client_error(), "{}", closed.body);
    assert_eq!(counts(&app).await, before);
}

// ---------------------------------------------------------------------------------------
// 5. Exactly once, with gap-free protocol numbers

/// A valid codice fiscale for synthetic citizen `n` (0..=55): Mario Rossi born on different days.
fn synthetic_cf(n: usize) -> String {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
    ];
    let body = format!("RSSMRA{}A{:02}H501", 80 + n / 28, 1 + n % 28);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = if b.is_ascii_digit() { b - b'0' } else { b - b'A' };
            if i % 2 == 0 {
                ODD[usize::from(v)]
            } else {
                u32::from(v)
            }
        })
        .sum();
    let check = char::from(b'A' + u8::try_from(sum % 26).unwrap());
    format!("{body}{check}")
}

/// A citizen with a dispositivo session: the cookie header.
async fn api_citizen(db: &Db, cf: &str, name: &str) -> String {
    let id = accounts::create(
        db,
        &NewAccount {
            codice_fiscale: Some(cf),
            display_name: name,
            role: Role::Cittadino,
        },
    )
    .await
    .unwrap();
    let token = session::create(
        db,
        &id,
        Lifetime {
            idle: Duration::from_secs(1800),
            absolute: Duration::from_secs(3600),
        },
    )
    .await
    .unwrap();
    dispositivo(db, &id).await;
    format!("sportello={token}")
}

fn holding(base: &str, cookie: &str) -> Browser {
    let mut browser = Browser::on(base);
    let (name, value) = cookie.split_once('=').unwrap();
    browser.cookies.insert(name.to_owned(), value.to_owned());
    browser
}

/// One citizen sends the same POST eight times at once, round robin over `bases` (a double
/// click, a retry on every node); the replies in the order they came.
async fn eight_at_once(
    bases: &[String],
    cookie: &str,
    path: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let base = bases[i % bases.len()].clone();
        let who = holding(&base, cookie);
        let (path, body, key) = (path.to_owned(), body.cloned(), key.map(str::to_owned));
        tasks.spawn(async move { api_at(&base, &who, "POST", &path, body.as_ref(), key.as_deref()).await });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.unwrap());
    }
    replies
}

/// The sequence numbers of every protocol stored, sorted.
async fn sequences(db: &Db) -> Vec<i64> {
    let protocols: Vec<String> = sportello::read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT protocol FROM domande WHERE protocol IS NOT NULL"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let mut out: Vec<i64> = protocols
        .iter()
        .map(|p| p.rsplit('.').next().unwrap().parse().unwrap())
        .collect();
    out.sort_unstable();
    out
}

/// A citizen keeps at most 30 drafts open, also when the last ones are opened in one batch of
/// the writer; a creation key used before, or twice in the batch, gives the draft made first.
async fn the_open_drafts_limit_holds_within_a_batch(backend: Backend) {
    use sportello::domande::store::{self, Drafted, NewDraft};
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_profile(&app, &anna).await;
    let a = filer(&app, &anna).await;
    let body = json!({"modulo": "certificato-residenza"});
    let keyed = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&body),
        Some("bozza-con-chiave-0001"),
    )
    .await;
    assert_eq!(keyed.status, StatusCode::CREATED, "{}", keyed.body);
    let keyed = keyed.json()["id"].as_str().unwrap().to_owned();
    for _ in 1..28 {
        let made = api(&app, &a, "POST", "/api/v1/domande", Some(&body), None).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let draft = |key: Option<&str>| NewDraft {
        id: uuid::Uuid::now_v7().to_string(),
        account_id: anna.id.clone(),
        form_code: "certificato-residenza".to_owned(),
        form_version: 1,
        created_by: anna.id.clone(),
        create_key: key.map(str::to_owned),
        answers: "{}".to_owned(),
        step: 0,
        appeal_of: None,
        now: now_ms(),
        audit: None,
    };
    let batch = [
        draft(Some("nuova-chiave-0001")),
        draft(Some("nuova-chiave-0001")),
        draft(Some("bozza-con-chiave-0001")),
        draft(None),
        draft(Some("nuova-chiave-0002")),
    ];
    let refs: Vec<&NewDraft> = batch.iter().collect();
    let drafted = store::create_drafts(&app.db, &refs).await.unwrap();
    assert_eq!(
        drafted,
        vec![
            Drafted::New(batch[0].id.clone()),
            Drafted::Existing(batch[0].id.clone()),
            Drafted::Existing(keyed.clone()),
            Drafted::New(batch[3].id.clone()),
            Drafted::TooMany,
        ]
    );
    assert_eq!(
        scalar(&app.db, "SELECT COUNT(*) FROM domande WHERE state = 'bozza'").await,
        30
    );
    let over = api(&app, &a, "POST", "/api/v1/domande", Some(&body), None).await;
    assert_eq!(over.status, StatusCode::CONFLICT, "{}", over.body);
    assert_eq!(over.json()["code"], "troppe-bozze");
    // The key of a draft already made still finds it, even at the limit.
    let again = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&body),
        Some("bozza-con-chiave-0001"),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["id"], keyed.as_str());
    // Deleting one makes room for one.
    let list = api(&app, &a, "GET", "/api/v1/domande", None, None).await;
    let first = list.json()[0]["id"].as_str().unwrap().to_owned();
    let deleted = api(
        &app,
        &a,
        "DELETE",
        &format!("/api/v1/domande/{first}"),
        None,
        None,
    )
    .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    let made = api(&app, &a, "POST", "/api/v1/domande", Some(&body), None).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let over = api(&app, &a, "POST", "/api/v1/domande", Some(&body), None).await;
    assert_eq!(over.status, StatusCode::CONFLICT, "{}", over.body);
    assert_eq!(
        scalar(&app.db, "SELECT COUNT(*) FROM domande WHERE state = 'bozza'").await,
        30
    );
    app.stop().await;
}

/// `n` citizens file at once at `bases` (round robin); one Idempotency-Key sent to every base
/// at once (eight times): every protocol number 1..=n+1, and one application for the key.
async fn file_concurrently(db: &Db, bases: &[String], n: usize) {
    let mut cookies = Vec::new();
    for i in 0..n {
        cookies.push(api_citizen(db, &synthetic_cf(i), &format!("Cittadino {i}")).await);
    }
    let body = json!({"modulo": "certificato-residenza", "risposte": certificato(), "invia": true});
    let mut tasks = tokio::task::JoinSet::new();
    for (i, cookie) in cookies.iter().enumerate() {
        let who = holding(&bases[i % bases.len()], cookie);
        let (base, body) = (bases[i % bases.len()].clone(), body.clone());
        tasks.spawn(async move { api_at(&base, &who, "POST", "/api/v1/domande", Some(&body), None).await });
    }
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let got = sequences(db).await;
    let expected: Vec<i64> = (1..=i64::try_from(n).unwrap()).collect();
    assert_eq!(got, expected, "distinct and gap-free");

    // One key, sent to every node at once by one citizen, several times: one application.
    let cookie = api_citizen(db, &synthetic_cf(n), "Cittadina con chiave").await;
    let replies = eight_at_once(
        bases,
        &cookie,
        "/api/v1/domande",
        Some(&body),
        Some("una-chiave-sola-1234"),
    )
    .await;
    let mut ids = Vec::new();
    let mut protocols = Vec::new();
    for reply in replies {
        assert!(
            matches!(reply.status, StatusCode::CREATED | StatusCode::OK),
            "{} {}",
            reply.status,
            reply.body
        );
        ids.push(reply.json()["id"].as_str().unwrap().to_owned());
        protocols.push(reply.json()["protocollo"].as_str().unwrap_or_default().to_owned());
    }
    ids.dedup();
    protocols.dedup();
    assert_eq!(ids.len(), 1, "one key, one application");
    assert_eq!(protocols.len(), 1, "one key, one protocol: {protocols:?}");
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM domande WHERE create_key = 'una-chiave-sola-1234'"
        )
        .await,
        1
    );
    let expected: Vec<i64> = (1..=i64::try_from(n + 1).unwrap()).collect();
    assert_eq!(sequences(db).await, expected);

    // Drafts filed as a browser files them (save, then "Invia"), everyone at once, through
    // the writer's batches: the numbers go on, distinct and gap-free.
    // The drafts are opened all at once too (the writer batches their opening).
    let drafted = json!({"modulo": "certificato-residenza", "risposte": certificato()});
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let cookie = api_citizen(db, &synthetic_cf(n + 1 + i), &format!("Cittadina {i}")).await;
        let (base, drafted) = (bases[i % bases.len()].clone(), drafted.clone());
        tasks.spawn(async move {
            let who = holding(&base, &cookie);
            let made = api_at(&base, &who, "POST", "/api/v1/domande", Some(&drafted), None).await;
            (base, cookie, made)
        });
    }
    let mut drafts = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        let (base, cookie, made) = reply.unwrap();
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        assert_eq!(made.json()["stato"], "bozza", "{}", made.body);
        drafts.push((base, cookie, made.json()["id"].as_str().unwrap().to_owned()));
    }
    let ids: std::collections::HashSet<&str> = drafts.iter().map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(ids.len(), n, "a draft each");
    let mut tasks = tokio::task::JoinSet::new();
    for (base, cookie, id) in drafts.clone() {
        tasks.spawn(async move {
            let who = holding(&base, &cookie);
            api_at(
                &base,
                &who,
                "POST",
                &format!("/api/v1/domande/{id}/invio"),
                None,
                None,
            )
            .await
        });
    }
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(reply.json()["protocollo"].as_str().is_some_and(|p| !p.is_empty()));
    }
    let expected: Vec<i64> = (1..=i64::try_from(2 * n + 1).unwrap()).collect();
    assert_eq!(sequences(db).await, expected, "drafts: distinct and gap-free");

    // One draft filed eight times at once (a double click, on every node): one number.
    let cookie = api_citizen(db, &synthetic_cf(2 * n + 1), "Cittadina che clicca due volte").await;
    let who = holding(&bases[0], &cookie);
    let made = api_at(&bases[0], &who, "POST", "/api/v1/domande", Some(&drafted), None).await;
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let replies = eight_at_once(bases, &cookie, &format!("/api/v1/domande/{id}/invio"), None, None).await;
    let mut protocols = Vec::new();
    for reply in replies {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        protocols.push(reply.json()["protocollo"].as_str().unwrap().to_owned());
    }
    protocols.dedup();
    assert_eq!(protocols.len(), 1, "one draft, one protocol: {protocols:?}");
    let expected: Vec<i64> = (1..=i64::try_from(2 * n + 2).unwrap()).collect();
    assert_eq!(sequences(db).await, expected);

    // One key for a draft, sent to every node at once: one draft, and the same id for all.
    let cookie = api_citizen(db, &synthetic_cf(2 * n + 2), "Cittadina che riprova").await;
    let replies = eight_at_once(
        bases,
        &cookie,
        "/api/v1/domande",
        Some(&drafted),
        Some("una-bozza-sola-5678"),
    )
    .await;
    let mut ids = Vec::new();
    let mut created = 0;
    for reply in replies {
        match reply.status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("{other}: {}", reply.body),
        }
        ids.push(reply.json()["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one key, one draft: {ids:?}");
    assert_eq!(created, 1, "made once, found seven times");
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM domande WHERE create_key = 'una-bozza-sola-5678' AND state = 'bozza'"
        )
        .await,
        1
    );
}

async fn concurrent_filings_get_gap_free_protocol_numbers(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("database_max_connections", "8")]).await;
    file_concurrently(&app.db, std::slice::from_ref(&app.base_url), 30).await;
}

/// Two `sportello serve` processes on one PostgreSQL: concurrent filings through both get
/// distinct, gap-free numbers, and one key sent to both yields one application.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_file_exactly_once_with_gap_free_numbers() {
    let url = helpers::fresh_postgres_database().await;
    let dir = tempfile::tempdir().unwrap();
    // Both start at once: both store the built-in forms at start.
    let (a, b) = tokio::join!(
        Node::start(&url, "nodo-a", dir.path(), &[]),
        Node::start(&url, "nodo-b", dir.path(), &[])
    );
    let db = helpers::open(&url).await;
    file_concurrently(&db, &[a.base_url.clone(), b.base_url.clone()], 40).await;
    a.terminate().await;
    b.terminate().await;
}

/// Another node is writing an application with the same Idempotency-Key: on PostgreSQL our
/// insert waits on the unique index, then is refused. The writer must answer with the other
/// node's application, never 500, also when its batch held that request alone. The other node
/// is played by a transaction held open here, so the race happens every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_racing_with_another_node_gets_its_application() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_profile(&app, &anna).await;
    let a = filer(&app, &anna).await;
    let sportello::storage::Db::Postgres(pool) = &app.db else {
        panic!("PostgreSQL")
    };
    for (key, body) in [
        ("corsa-in-bozza-0001", json!({"modulo": "certificato-residenza"})),
        (
            "corsa-in-invio-0001",
            json!({"modulo": "certificato-residenza", "risposte": certificato(), "invia": true}),
        ),
    ] {
        let theirs = uuid::Uuid::now_v7().to_string();
        let mut other_node = pool.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO domande (id, account_id, form_code, form_version, state, answers, step, created_by,
                create_key, created_at, updated_at, revision)
             VALUES ($1, $2, 'certificato-residenza', 1, 'bozza', '{}', 0, $2, $3, 0, 0, 0)",
        )
        .bind(&theirs)
        .bind(&anna.id)
        .bind(key)
        .execute(&mut *other_node)
        .await
        .unwrap();
        let (base, who) = (app.base_url.clone(), a.at(&app.base_url));
        let ours = tokio::spawn(async move {
            api_at(&base, &who, "POST", "/api/v1/domande", Some(&body), Some(key)).await
        });
        // Our insert is waiting on the other node's row lock before it commits.
        let waiting = eventually(Duration::from_secs(10), || async {
            scalar(
                &app.db,
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO domande%'",
            )
            .await
                > 0
        })
        .await;
        assert!(waiting, "{key}: the request waits on the other node's insert");
        other_node.commit().await.unwrap();
        let reply = ours.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK, "{key}: {}", reply.body);
        assert_eq!(reply.json()["id"], theirs.as_str(), "{key}");
        assert_eq!(
            scalar(
                &app.db,
                &format!("SELECT COUNT(*) FROM domande WHERE create_key = '{key}'")
            )
            .await,
            1
        );
    }
    // Nothing was numbered for the request that lost.
    assert_eq!(sequences(&app.db).await, Vec::<i64>::new());
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 6 and 7. Forms as data; pre-filling

/// A test form, version `version`; `extra` is appended to its one step.
fn test_form(version: u32, extra: &str, apertura: Option<&str>) -> String {
    let opens = apertura
        .map(|at| format!("apertura = {at}\n"))
        .unwrap_or_default();
    format!(
        r#"codice = "prova-moduli"
versione = {version}
titolo = "Modulo di prova"
descrizione = "Un modulo per le prove."
ente = "inps"
{opens}
[[passi]]
id = "dati"
titolo = "I tuoi dati"

[[passi.campi]]
id = "nome"
tipo = "testo"
etichetta = "Nome"
precompila = "nome"
obbligatorio = true

[[passi.campi]]
id = "cognome"
tipo = "testo"
etichetta = "Cognome"
precompila = "cognome"
obbligatorio = true

[[passi.campi]]
id = "email"
tipo = "email"
etichetta = "Email"
precompila = "email"
obbligatorio = true

[[passi.campi]]
id = "residenza"
tipo = "indirizzo"
etichetta = "Residenza"
precompila = "indirizzo"
obbligatorio = true
{extra}"#
    )
}

async fn load(app: &TestApp, name: &str, source: &str) -> Result<registry::LoadReport, LoadError> {
    registry::load_files(&app.db, &[(name.to_owned(), source.to_owned())], None).await
}

/// Waits until the server serves version `version` of the test form.
async fn served(app: &TestApp, version: u32) -> bool {
    eventually(Duration::from_secs(20), || {
        let client = app.client.clone();
        let url = app.url("/api/v1/moduli/prova-moduli");
        async move {
            match client.get(url).send().await {
                Ok(r) if r.status() == StatusCode::OK => {
                    r.json::<Value>().await.is_ok_and(|v| v["versione"] == version)
                }
                _ => false,
            }
        }
    })
    .await
}

async fn forms_are_data_reloaded_versioned_and_refused_when_wrong(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("catalog_refresh_ms", "100")]).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_profile(&app, &anna).await;
    let mut a = filer(&app, &anna).await;

    // Version 1 loaded into the running site: every node picks it up.
    let report = load(&app, "prova.toml", &test_form(1, "", None)).await.unwrap();
    assert_eq!(report.added, [("prova-moduli".to_owned(), 1)]);
    assert!(served(&app, 1).await, "the new form is served after reload");
    let forms = Forms::load(&app.db).await.unwrap();
    assert_eq!(forms.current().latest("prova-moduli").unwrap().version, 1);

    // 7. Pre-filled from the profile on the first step: name, surname, email, address.
    let start = a.get("/area-personale/domande/nuova?modulo=prova-moduli").await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let token = start.csrf();
    let opened = a
        .post(
            "/area-personale/domande",
            &[("_csrf", &token), ("modulo", "prova-moduli")],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let id = id_in(opened.location());
    let step = a.get(opened.location()).await;
    for value in [
        "Anna",
        "Bianchi",
        "posta.anna@example.it",
        "Via dei Mille 12",
        "00185",
        "Roma",
    ] {
        assert!(
            step.has(&format!("value=\"{value}\"")),
            "{value} pre-filled: {}",
            step.body
        );
    }
    let saved = post_multipart(
        &app,
        &a,
        opened.location(),
        &[
            Part::Field("_csrf", &token),
            Part::Field("nome", "Anna"),
            Part::Field("cognome", "Bianchi"),
            Part::Field("email", "posta.anna@example.it"),
            Part::Field("residenza.via", "Via dei Mille 12"),
            Part::Field("residenza.cap", "00185"),
            Part::Field("residenza.comune", "Roma"),
            Part::Field("residenza.provincia", "RM"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    // 6. A typo, or a cycle in the conditions: refused with file and line; nothing stored,
    // version 1 stays in service.
    let before = counts(&app).await;
    let revision = scalar(&app.db, "SELECT revision FROM forms_state").await;
    let typo = test_form(
        2,
        "\n[[passi.campi]]\nid = \"note\"\ntipo = \"testo\"\netichettta = \"Note\"\n",
        None,
    );
    let err = load(&app, "prova.toml", &typo).await.unwrap_err().to_string();
    let line = typo.lines().position(|l| l.starts_with("etichettta")).unwrap() + 1;
    assert!(err.contains(&format!("prova.toml:{line}:")), "{err}");
    let cycle = test_form(
        2,
        r#"
[[passi.campi]]
id = "a"
tipo = "testo"
etichetta = "A"
mostra_se = { campo = "b", compilato = true }

[[passi.campi]]
id = "b"
tipo = "testo"
etichetta = "B"
mostra_se = { campo = "a", compilato = true }
"#,
        None,
    );
    let err = load(&app, "prova.toml", &cycle).await.unwrap_err().to_string();
    assert!(err.starts_with("prova.toml:"), "{err}");
    let cycle_line = err.split(':').nth(1).unwrap().parse::<usize>().unwrap();
    assert!(cycle_line > 1, "the line of the condition: {err}");
    // The same version with other content.
    let changed = test_form(
        1,
        "\n[[passi.campi]]\nid = \"note\"\ntipo = \"testo\"\netichetta = \"Note\"\n",
        None,
    );
    let err = load(&app, "prova.toml", &changed).await.unwrap_err().to_string();
    assert!(err.contains("versione"), "{err}");
    // One bad file among good ones: nothing of the batch is stored.
    let batch = registry::load_files(
        &app.db,
        &[
            (
                "buona.toml".to_owned(),
                test_form(2, "", None).replace("prova-moduli", "altro-modulo"),
            ),
            ("prova.toml".to_owned(), typo.clone()),
        ],
        None,
    )
    .await;
    assert!(batch.is_err());
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        scalar(&app.db, "SELECT revision FROM forms_state").await,
        revision
    );
    assert!(!forms.refresh(&app.db).await.unwrap(), "nothing new to reload");
    assert_eq!(forms.current().latest("prova-moduli").unwrap().version, 1);

    // Version 2 (a new optional field): served after reload; the draft on version 1 gets
    // `modulo-aggiornato` at filing and is moved to version 2, keeping its answers.
    let v2 = test_form(
        2,
        "\n[[passi.campi]]\nid = \"note\"\ntipo = \"testo\"\netichetta = \"Note\"\n",
        None,
    );
    load(&app, "prova.toml", &v2).await.unwrap();
    assert!(forms.refresh(&app.db).await.unwrap());
    assert_eq!(forms.current().latest("prova-moduli").unwrap().version, 2);
    assert!(served(&app, 2).await);
    let stale = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(stale.json()["code"], "modulo-aggiornato");
    assert_eq!(
        scalar(
            &app.db,
            &format!("SELECT form_version FROM domande WHERE id = '{id}'")
        )
        .await,
        2
    );
    assert_eq!(
        scalar(&app.db, "SELECT COUNT(*) FROM domande WHERE protocol IS NOT NULL").await,
        0
    );
    let filed = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{id}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    assert!(
        filed.json()["protocollo"]
            .as_str()
            .unwrap()
            .starts_with("INPS.RM-001.")
    );

    // Version 3 arrives: the filed application keeps version 2, and still shows.
    load(&app, "prova.toml", &test_form(3, "", None)).await.unwrap();
    assert!(served(&app, 3).await);
    let shown = api(&app, &a, "GET", &format!("/api/v1/domande/{id}"), None, None).await;
    assert_eq!(shown.json()["versione_modulo"], 2);
    let page = a.get(&format!("/area-personale/domande/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("posta.anna@example.it"));

    // A form whose period opens in the future: filing refused, nothing filed.
    load(
        &app,
        "prova.toml",
        &test_form(4, "", Some("2099-01-01T09:00:00+01:00")),
    )
    .await
    .unwrap();
    assert!(served(&app, 4).await);
    let made = api(
        &app,
        &a,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "prova-moduli"})),
        None,
    )
    .await;
    let later = made.json()["id"].as_str().unwrap().to_owned();
    let answers = json!({"risposte": {
        "nome": "Anna", "cognome": "Bianchi", "email": "posta.anna@example.it",
        "residenza": {"via": "Via dei Mille 12", "cap": "00185", "comune": "Roma", "provincia": "RM"}
    }});
    let saved = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/domande/{later}/passi/1"),
        Some(&answers),
        None,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let before = counts(&app).await;
    let early = api(
        &app,
        &a,
        "POST",
        &format!("/api/v1/domande/{later}/invio"),
        None,
        None,
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.json()["code"], "modulo-non-ancora-aperto");
    let token = a.token().await;
    let page = a
        .post(
            &format!("/area-personale/domande/{later}/invio"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    let mut all = answers.clone();
    all["modulo"] = json!("prova-moduli");
    all["invia"] = json!(true);
    let at_once = api(&app, &a, "POST", "/api/v1/domande", Some(&all), None).await;
    assert_eq!(at_once.status, StatusCode::CONFLICT, "{}", at_once.body);
    assert_eq!(at_once.json()["code"], "modulo-non-ancora-aperto");
    assert_eq!(counts(&app).await, before, "a refused filing leaves nothing");
}

// ---------------------------------------------------------------------------------------
// Assignment, the queue's filters, an oversized document

async fn cases_are_assigned_filtered_and_oversized_documents_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let (roma, _) = sedi_and_profile(&app, &anna).await;
    let (_, mut elisa) = operator(
        &app,
        "elisa.marino",
        "Elisa Marino",
        Role::OperatoreSede,
        Some(&roma),
    )
    .await;
    let (_, mut paolo) = operator(
        &app,
        "paolo.conti",
        "Paolo Conti",
        Role::OperatoreSede,
        Some(&roma),
    )
    .await;
    let mut a = filer(&app, &anna).await;
    let (id, protocol) = filed_certificato(&app, &a).await;
    let (other, other_protocol) = filed_certificato(&app, &a).await;
    let case = format!("/backoffice/domande/{id}");

    // Elisa takes the first case: hers in "mine", gone from "free"; Paolo's stale take is 409.
    let revision = scalar(
        &app.db,
        &format!("SELECT revision FROM domande WHERE id = '{id}'"),
    )
    .await;
    let taken = staff_post(&mut elisa, &format!("{case}/assegna"), &[("assegnatario", "me")]).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    let stale = staff_post(
        &mut paolo,
        &format!("{case}/assegna"),
        &[("assegnatario", "me"), ("revisione", &revision.to_string())],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(audited(&app.db, "domanda.assegnata", Some(&anna.id)).await, 1);
    let mine = elisa.get("/backoffice/domande?mie=1").await;
    assert!(mine.has(&protocol) && !mine.has(&other_protocol), "{}", mine.body);
    let free = elisa.get("/backoffice/domande?libere=1").await;
    assert!(!free.has(&protocol) && free.has(&other_protocol), "{}", free.body);
    let by_state = elisa.get("/backoffice/domande?stato=accolta").await;
    assert!(!by_state.has(&protocol) && !by_state.has(&other_protocol));

    // Documents asked for on the other case; a file over 5 MB is refused, nothing stored.
    let act = format!("/backoffice/domande/{other}/atto");
    staff_post(&mut paolo, &act, &[("atto", "avvia-istruttoria")]).await;
    let asked = staff_post(
        &mut paolo,
        &act,
        &[
            ("atto", "chiedi-integrazione"),
            ("motivazione", "Serve l'ISEE."),
            ("scadenza", &rome_date(10)),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let mut big = PDF.to_vec();
    big.splice(9..9, std::iter::repeat_n(b' ', 5 * 1024 * 1024));
    let token = a.token().await;
    let before = counts(&app).await;
    let refused = post_multipart(
        &app,
        &a,
        &format!("/area-personale/domande/{other}/integrazione"),
        &[
            Part::Field("_csrf", &token),
            Part::File("documenti", "isee.pdf", &big),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.alert().unwrap_or_default()
    );
    assert!(refused.has("href=\"#campo-documenti\""));
    assert_eq!(counts(&app).await, before);
    assert_eq!(state_of(&app, &other).await, "richiesta-integrazione");
}

on_both_backends!(
    pages_full_path_from_start_to_verified_receipt,
    back_office_moves_a_case_through_every_state,
    a_draft_belongs_to_its_citizen_and_acting_needs_a_basis,
    api_creates_once_saves_steps_files_once_withdraws_and_deletes,
    concurrent_filings_get_gap_free_protocol_numbers,
    the_open_drafts_limit_holds_within_a_batch,
    forms_are_data_reloaded_versioned_and_refused_when_wrong,
    cases_are_assigned_filtered_and_oversized_documents_refused,
);
