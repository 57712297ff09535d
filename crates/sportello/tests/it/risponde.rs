//! Questions ("Risponde", "Scrivi alla sede"): the full path citizen → contact center → sede
//! → answer → rating, service levels on a fixed clock, internal notes, merge, reopening, bad
//! input, isolation and delegates, on both backends.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::json;
use sportello::audit::Entry;
use sportello::identity::accounts::{self, Role};
use sportello::identity::delega;
use sportello::risponde::model;
use sportello::risponde::store::{self, Filter, NewMessage, NewQuestion, Scope};
use sportello::storage::now_ms;

use crate::helpers::{Backend, TestApp};
use crate::kit::{
    Browser, Part, Person, Reply, audited, citizen, exec, operator, person, post_multipart, scalar, text,
    two_sedi,
};
use crate::on_both_backends;

const ANNA_CF: &str = "BNCNNA52T45F205Q";
const MARIO_CF: &str = "RSSMRA80A01H501U";
const DARIO_CF: &str = "DRAMNC60A01F205U";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Two sedi (Roma for RM, Milano for MI) and a residence in Rome for `citizen`.
async fn sedi_and_residence(app: &TestApp, citizen: &Person) -> (String, String) {
    let (roma, milano) = two_sedi(app).await;
    exec(
        &app.db,
        &format!(
            "INSERT INTO citizen_profiles (account_id, given_name, surname, birth_date, birthplace_code,
                address_street, address_cap, address_comune, address_provincia, updated_at)
             VALUES ('{}', 'Anna', 'Bianchi', '1952-12-05', 'F205', 'Via dei Mille 12', '00185', 'Roma', 'RM', 0)",
            citizen.id
        ),
    )
    .await;
    (roma, milano)
}

/// Asks a question on pensions through the form; returns the question's id.
async fn ask(
    app: &TestApp,
    browser: &mut Browser,
    subject: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> String {
    ask_on(app, browser, "pensioni", subject, body, files).await
}

/// Asks a question on `topic` through the form; returns the question's id.
async fn ask_on(
    app: &TestApp,
    browser: &mut Browser,
    topic: &str,
    subject: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> String {
    let form = browser.get("/area-personale/quesiti/nuovo").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let token = form.csrf();
    let mut parts = vec![
        Part::Field("_csrf", &token),
        Part::Field("argomento", topic),
        Part::Field("riferimento", "INPS-2026-77"),
        Part::Field("oggetto", subject),
        Part::Field("testo", body),
    ];
    for (name, bytes) in files {
        parts.push(Part::File("allegati", name, bytes));
    }
    let reply = post_multipart(app, browser, "/area-personale/quesiti/nuovo", &parts).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.location().to_owned();
    let id = location
        .trim_start_matches("/area-personale/quesiti/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert!(!id.is_empty());
    id
}

async fn state_of(app: &TestApp, id: &str) -> String {
    text(&app.db, &format!("SELECT state FROM questions WHERE id = '{id}'")).await
}

async fn staff_post(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let token = browser.token().await;
    let mut form = fields.to_vec();
    form.push(("_csrf", &token));
    browser.post(path, &form).await
}

async fn full_path_citizen_contact_center_sede_answer_rating(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let (roma, milano) = sedi_and_residence(&app, &anna).await;
    let (cc_id, mut cc) = operator(
        &app,
        "paolo.conti",
        "Paolo Conti",
        Role::OperatoreContactCenter,
        None,
    )
    .await;
    let (_, mut sede_rm) = operator(
        &app,
        "elisa.marino",
        "Elisa Marino",
        Role::OperatoreSede,
        Some(&roma),
    )
    .await;
    let (_, mut sede_mi) = operator(&app, "gino.sala", "Gino Sala", Role::OperatoreSede, Some(&milano)).await;
    let mut a = Browser::logged_in(&app, &anna).await;

    let id = ask(
        &app,
        &mut a,
        "Quando arriva la pensione?",
        "Ho fatto domanda a marzo. <script>alert('x')</script> Quando arriva?",
        &[("cedolino.pdf", PDF)],
    )
    .await;
    let year = model::year_of(now_ms());
    let number = text(
        &app.db,
        &format!("SELECT number FROM questions WHERE id = '{id}'"),
    )
    .await;
    assert_eq!(number, format!("Q-{year}-000001"));
    assert_eq!(state_of(&app, &id).await, "inviata");
    assert_eq!(
        text(&app.db, &format!("SELECT team FROM questions WHERE id = '{id}'")).await,
        "contact-center"
    );
    // The competent sede is chosen by residence: Rome.
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT sede_id FROM questions WHERE id = '{id}'")
        )
        .await,
        roma
    );
    assert_eq!(app.count("question_attachments").await, 1);
    let shown = a.get(&format!("/area-personale/quesiti/{id}?inviato=1")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.has(&number));
    // HTML stays text, shown escaped.
    assert!(!shown.has("<script>alert"), "{}", shown.body);
    assert!(shown.has("&#60;script&#62;"), "{}", shown.body);
    let list = a.get("/area-personale/quesiti").await;
    assert!(list.has(&number) && list.has("Inviato"));

    // Contact center: in the queue; opening is audited every time.
    let queue = cc.get("/backoffice/risponde").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.has(&number));
    let before = audited(&app.db, "quesito.aperto", Some(&anna.id)).await;
    let opened = cc.get(&format!("/backoffice/risponde/{id}")).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    cc.get(&format!("/backoffice/risponde/{id}")).await;
    assert_eq!(
        audited(&app.db, "quesito.aperto", Some(&anna.id)).await,
        before + 2
    );
    // A sede's operators do not see the contact center's queue.
    assert_eq!(
        sede_rm.get(&format!("/backoffice/risponde/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!sede_rm.get("/backoffice/risponde").await.has(&number));

    let assigned = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/assegna"),
        &[("a", "me")],
    )
    .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    assert_eq!(state_of(&app, &id).await, "presa-in-carico");
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT assigned_to FROM questions WHERE id = '{id}'")
        )
        .await,
        cc_id
    );
    let noted = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/nota"),
        &[("testo", "NOTA-SEGRETA: la cittadina ha chiamato due volte")],
    )
    .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER, "{}", noted.body);
    let forwarded = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/inoltra"),
        &[
            ("sede", &roma),
            ("nota", "INOLTRO-RISERVATO: serve la posizione contributiva"),
        ],
    )
    .await;
    assert_eq!(forwarded.status, StatusCode::SEE_OTHER, "{}", forwarded.body);
    assert_eq!(state_of(&app, &id).await, "inoltrata");
    // Out of the contact center's reach now; in Rome's queue, not Milan's.
    assert_eq!(
        cc.get(&format!("/backoffice/risponde/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(sede_rm.get("/backoffice/risponde").await.has(&number));
    assert!(!sede_mi.get("/backoffice/risponde").await.has(&number));
    assert_eq!(
        sede_mi.get(&format!("/backoffice/risponde/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let page = sede_rm.get(&format!("/backoffice/risponde/{id}")).await;
    assert!(
        page.has("NOTA-SEGRETA") && page.has("INOLTRO-RISERVATO"),
        "staff see the notes"
    );
    let answered = staff_post(
        &mut sede_rm,
        &format!("/backoffice/risponde/{id}/risposta"),
        &[("testo", "La pensione arriverà il primo del mese prossimo.")],
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    assert_eq!(state_of(&app, &id).await, "risposta");

    // The citizen sees the answer and every step, never the notes.
    let shown = a.get(&format!("/area-personale/quesiti/{id}")).await;
    assert!(shown.has("La pensione arriverà il primo"));
    for step in [
        "Quesito inviato",
        "Preso in carico",
        "Inoltrato alla sede: Sede di Roma Centro",
        "Risposta inviata",
    ] {
        assert!(shown.has(step), "{step}: {}", shown.body);
    }
    assert!(
        !shown.has("NOTA-SEGRETA") && !shown.has("INOLTRO-RISERVATO"),
        "{}",
        shown.body
    );
    let api = a.get(&format!("/api/v1/quesiti/{id}")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert!(!api.body.contains("NOTA-SEGRETA") && !api.body.contains("INOLTRO-RISERVATO"));
    assert_eq!(api.json()["stato"], "risposta");
    assert_eq!(api.json()["messaggi"].as_array().unwrap().len(), 2);

    // Rating: once, after the answer; "solved" closes the question.
    let token = a.token().await;
    let rated = a
        .post(
            &format!("/area-personale/quesiti/{id}/valutazione"),
            &[
                ("_csrf", &token),
                ("velocita", "4"),
                ("completezza", "5"),
                ("chiarezza", "5"),
                ("utilita", "4"),
                ("risolto", "si"),
            ],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
    assert_eq!(state_of(&app, &id).await, "chiusa");
    let again = a
        .post(
            &format!("/area-personale/quesiti/{id}/valutazione"),
            &[
                ("_csrf", &token),
                ("velocita", "1"),
                ("completezza", "1"),
                ("chiarezza", "1"),
                ("utilita", "1"),
                ("risolto", "no"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(app.count("question_ratings").await, 1);
    let api_again = a
        .client_post_json(
            &app,
            &format!("/api/v1/quesiti/{id}/valutazione"),
            &json!({
                "velocita": 2, "completezza": 2, "chiarezza": 2, "utilita": 2, "risolto": false
            }),
        )
        .await;
    assert_eq!(api_again.status, StatusCode::CONFLICT);
    assert_eq!(api_again.json()["code"], "gia-valutato");
    assert_eq!(scalar(&app.db, "SELECT velocita FROM question_ratings").await, 4);

    // Replies to a closed question are refused, nothing written.
    let messages = app.count("question_messages").await;
    let closed_reply = post_multipart(
        &app,
        &a,
        &format!("/area-personale/quesiti/{id}/messaggi"),
        &[
            Part::Field("_csrf", &token),
            Part::Field("testo", "Un'altra domanda ancora"),
        ],
    )
    .await;
    assert_eq!(closed_reply.status, StatusCode::CONFLICT, "{}", closed_reply.body);
    let api_reply = a
        .client_post_json(
            &app,
            &format!("/api/v1/quesiti/{id}/messaggi"),
            &json!({"testo": "Un'altra domanda ancora"}),
        )
        .await;
    assert_eq!(api_reply.status, StatusCode::CONFLICT);
    assert_eq!(api_reply.json()["code"], "quesito-chiuso");
    assert!(
        api_reply
            .header("content-type")
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(app.count("question_messages").await, messages);
}

impl Browser {
    /// A JSON POST with this browser's cookies.
    async fn client_post_json(&self, app: &TestApp, path: &str, body: &serde_json::Value) -> Reply {
        Reply::read(
            app.client
                .post(app.url(path))
                .header(COOKIE, self.cookie_header())
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("request"),
        )
        .await
    }
}

fn ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn overdue_questions_are_found_on_a_fixed_clock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let new = |subject: &str| NewQuestion {
        account_id: anna.id.clone(),
        asked_by: anna.id.clone(),
        topic: model::topic("pensioni").unwrap(),
        to_sede: false,
        subject: subject.to_owned(),
        application_ref: None,
        message: NewMessage {
            author_id: anna.id.clone(),
            author_role: "cittadino".to_owned(),
            body: "Testo del quesito di prova".to_owned(),
            internal: false,
            attachments: Vec::new(),
        },
        sede: None,
    };
    // Thursday 2 April 2026, 10:00 in Rome; 5 working days with Easter Monday (6 April) in
    // the window: due at the end of Friday 10 April, not Thursday 9.
    let asked = ms("2026-04-02T08:00:00Z");
    let waiting = store::create(&app.db, &new("in attesa"), &Entry::new("test"), asked)
        .await
        .unwrap();
    let answered = store::create(&app.db, &new("risposto"), &Entry::new("test"), asked)
        .await
        .unwrap();
    assert_eq!(waiting.due_at, ms("2026-04-10T22:00:00Z"));
    assert_eq!(waiting.number, "Q-2026-000001");
    assert_eq!(answered.number, "Q-2026-000002");
    exec(
        &app.db,
        &format!(
            "UPDATE questions SET state = 'risposta' WHERE id = '{}'",
            answered.id
        ),
    )
    .await;

    let overdue = Filter {
        overdue: true,
        ..Filter::default()
    };
    let late = |now| {
        let app = &app;
        let overdue = overdue.clone();
        async move {
            store::queue(&app.db, &Scope::All, &overdue, now)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    // Thursday evening (would be late without the holiday), and the last minute of Friday.
    assert!(late(ms("2026-04-09T23:00:00Z")).await.is_empty());
    assert!(late(ms("2026-04-10T21:59:59Z")).await.is_empty());
    assert_eq!(late(ms("2026-04-10T22:00:01Z")).await, vec![waiting.id.clone()]);
    // The contact center's queue shows it too; a sede's does not.
    let cc = store::queue(
        &app.db,
        &Scope::ContactCenter,
        &overdue,
        ms("2026-04-13T08:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(cc.len(), 1);
    let sede = store::queue(
        &app.db,
        &Scope::Sede("x".to_owned()),
        &overdue,
        ms("2026-04-13T08:00:00Z"),
    )
    .await
    .unwrap();
    assert!(sede.is_empty());
    // The supervisors' page runs on the real clock: move the due date into the past.
    let (_, mut admin) = operator(&app, "luigi.neri", "Luigi Neri", Role::Amministratore, None).await;
    exec(
        &app.db,
        &format!("UPDATE questions SET due_at = 1000 WHERE id = '{}'", waiting.id),
    )
    .await;
    let page = admin.get("/backoffice/risponde?ritardo=1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.has("Q-2026-000001") && !page.has("Q-2026-000002"),
        "{}",
        page.body
    );
    // A role without a queue gets 403.
    let (_, mut editor) = operator(&app, "sara.ricci", "Sara Ricci", Role::Redattore, None).await;
    assert_eq!(
        editor.get("/backoffice/risponde?ritardo=1").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn bad_input_is_refused_clearly_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_residence(&app, &anna).await;
    let mut a = Browser::logged_in(&app, &anna).await;
    let token = a.get("/area-personale/quesiti/nuovo").await.csrf();
    let huge = "x".repeat(100 * 1024);
    let exe: Vec<u8> = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode".to_vec();
    let cases: Vec<(&str, Vec<Part<'_>>, &str)> = vec![
        (
            "empty",
            vec![
                Part::Field("_csrf", &token),
                Part::Field("argomento", ""),
                Part::Field("oggetto", ""),
                Part::Field("testo", ""),
            ],
            "Scrivi l&#39;oggetto.",
        ),
        (
            "100 KB",
            vec![
                Part::Field("_csrf", &token),
                Part::Field("argomento", "pensioni"),
                Part::Field("oggetto", "Troppo lungo"),
                Part::Field("testo", &huge),
            ],
            "Il testo può avere al massimo 5000 caratteri.",
        ),
        (
            "exe renamed pdf",
            vec![
                Part::Field("_csrf", &token),
                Part::Field("argomento", "pensioni"),
                Part::Field("oggetto", "Allegato"),
                Part::Field("testo", "Vedi allegato, grazie mille"),
                Part::File("allegati", "documento.pdf", &exe),
            ],
            "Gli allegati devono essere file PDF, JPEG o PNG",
        ),
        (
            "four files",
            vec![
                Part::Field("_csrf", &token),
                Part::Field("argomento", "pensioni"),
                Part::Field("oggetto", "Allegati"),
                Part::Field("testo", "Vedi allegati, grazie mille"),
                Part::File("allegati", "a.pdf", PDF),
                Part::File("allegati", "b.pdf", PDF),
                Part::File("allegati", "c.pdf", PDF),
                Part::File("allegati", "d.pdf", PDF),
            ],
            "Puoi allegare al massimo 3 file per messaggio.",
        ),
    ];
    for (label, parts, message) in cases {
        let reply = post_multipart(&app, &a, "/area-personale/quesiti/nuovo", &parts).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {}",
            reply.body
        );
        assert!(reply.has(message), "{label}: {}", reply.body);
        assert!(reply.has("aria-invalid=\"true\""), "{label}: the field is marked");
    }
    // A form without the CSRF token.
    let forged = post_multipart(
        &app,
        &a,
        "/area-personale/quesiti/nuovo",
        &[
            Part::Field("argomento", "pensioni"),
            Part::Field("oggetto", "x"),
            Part::Field("testo", "abbastanza lungo"),
        ],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    for table in [
        "questions",
        "question_messages",
        "question_attachments",
        "question_events",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    // The API: problem+json with the fields named.
    let api = a
        .client_post_json(
            &app,
            "/api/v1/quesiti",
            &json!({"argomento": "boh", "oggetto": "", "testo": "corto"}),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = api.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["argomento", "oggetto", "testo"]);
    assert_eq!(app.count("questions").await, 0);
    // HTML in the API stays text.
    let made = a
        .client_post_json(
            &app,
            "/api/v1/quesiti",
            &json!({"argomento": "altro", "oggetto": "<b>grassetto</b>", "testo": "<img src=x onerror=alert(1)> testo"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["oggetto"], "<b>grassetto</b>");
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let page = a.get(&format!("/area-personale/quesiti/{id}")).await;
    assert!(
        page.has("&#60;b&#62;grassetto&#60;/b&#62;") && !page.has("<img src=x"),
        "{}",
        page.body
    );
    // Rating before an answer: 409, nothing written.
    let early = a
        .client_post_json(
            &app,
            &format!("/api/v1/quesiti/{id}/valutazione"),
            &json!({
                "velocita": 5, "completezza": 5, "chiarezza": 5, "utilita": 5, "risolto": true
            }),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(app.count("question_ratings").await, 0);

    // Isolation: another citizen gets 404 everywhere, and sees nothing.
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let mut m = Browser::logged_in(&app, &mario).await;
    for path in [
        format!("/area-personale/quesiti/{id}"),
        format!("/api/v1/quesiti/{id}"),
    ] {
        let reply = m.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!reply.has("grassetto"));
    }
    let list = m.get("/api/v1/quesiti").await;
    assert_eq!(list.json().as_array().unwrap().len(), 0);
    let mtoken = m.token().await;
    let reply = post_multipart(
        &app,
        &m,
        &format!("/area-personale/quesiti/{id}/messaggi"),
        &[
            Part::Field("_csrf", &mtoken),
            Part::Field("testo", "Messaggio di un estraneo"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("question_messages").await, 1);
}

async fn notes_merge_and_reopening(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_residence(&app, &anna).await;
    let (_, mut cc) = operator(
        &app,
        "paolo.conti",
        "Paolo Conti",
        Role::OperatoreContactCenter,
        None,
    )
    .await;
    let mut a = Browser::logged_in(&app, &anna).await;
    let first = ask(
        &app,
        &mut a,
        "Assegno unico",
        "Quando arriva l'assegno unico?",
        &[],
    )
    .await;
    let second = ask(
        &app,
        &mut a,
        "Assegno unico di nuovo",
        "Quando arriva l'assegno unico? Scrivo ancora.",
        &[],
    )
    .await;
    let first_number = text(
        &app.db,
        &format!("SELECT number FROM questions WHERE id = '{first}'"),
    )
    .await;

    // Merge the duplicate: it closes, pointing to the other.
    let merged = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{second}/unisci"),
        &[("numero", &first_number)],
    )
    .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    assert_eq!(state_of(&app, &second).await, "chiusa");
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT merged_into FROM questions WHERE id = '{second}'")
        )
        .await,
        first
    );
    let shown = a.get(&format!("/area-personale/quesiti/{second}")).await;
    assert!(
        shown.has(&first_number) && shown.has("Unito al quesito"),
        "{}",
        shown.body
    );
    // A merge into a question of someone else, or into itself, is refused.
    let itself = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{first}/unisci"),
        &[("numero", &first_number)],
    )
    .await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);

    // An internal note: staff see it, the citizen never (page, API).
    staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{first}/nota"),
        &[("testo", "APPUNTO-INTERNO da non mostrare")],
    )
    .await;
    assert!(
        cc.get(&format!("/backoffice/risponde/{first}"))
            .await
            .has("APPUNTO-INTERNO")
    );
    assert!(
        !a.get(&format!("/area-personale/quesiti/{first}"))
            .await
            .has("APPUNTO-INTERNO")
    );
    assert!(
        !a.get(&format!("/api/v1/quesiti/{first}"))
            .await
            .has("APPUNTO-INTERNO")
    );

    // Answer, then the citizen reopens: the answer did not solve it.
    let answered = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{first}/risposta"),
        &[("testo", "L'assegno arriva a fine mese.")],
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let token = a.token().await;
    let short = a
        .post(
            &format!("/area-personale/quesiti/{first}/riapri"),
            &[("_csrf", &token), ("testo", "no")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app, &first).await, "risposta");
    let reopened = a
        .post(
            &format!("/area-personale/quesiti/{first}/riapri"),
            &[("_csrf", &token), ("testo", "Non è arrivato, è già fine mese.")],
        )
        .await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{}", reopened.body);
    assert_eq!(state_of(&app, &first).await, "riaperta");
    assert!(cc.get("/backoffice/risponde").await.has(&first_number));
    // Answered again; a rating that says "not solved" keeps it open to reopening.
    staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{first}/risposta"),
        &[("testo", "Ora è stato pagato, controlli.")],
    )
    .await;
    let rated = a
        .client_post_json(
            &app,
            &format!("/api/v1/quesiti/{first}/valutazione"),
            &json!({
                "velocita": 2, "completezza": 3, "chiarezza": 4, "utilita": 2, "risolto": false
            }),
        )
        .await;
    assert_eq!(rated.status, StatusCode::CREATED, "{}", rated.body);
    assert_eq!(rated.json()["stato"], "risposta");
    let page = a.get(&format!("/area-personale/quesiti/{first}")).await;
    assert!(page.has("Riapri il quesito") && page.has("Risposta valutata"));
}

async fn delegates_and_intermediaries_act_within_their_basis(backend: Backend) {
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
    let anna_account = accounts::find(&app.db, &anna.id).await.unwrap().unwrap();
    let dario_account = accounts::find(&app.db, &dario.id).await.unwrap().unwrap();
    let now = now_ms();
    delega::create(
        &app.db,
        &anna_account,
        MARIO_CF,
        now - 1000,
        now + 86_400_000,
        &anna.id,
        None,
    )
    .await
    .unwrap()
    .unwrap();
    delega::grant_mandate(
        &app.db,
        &anna_account,
        &patronato.cf,
        "pensioni",
        now + 86_400_000,
        &anna.id,
    )
    .await
    .unwrap()
    .unwrap();
    delega::grant_mandate(
        &app.db,
        &dario_account,
        &caf.cf,
        "risponde",
        now + 86_400_000,
        &dario.id,
    )
    .await
    .unwrap()
    .unwrap();

    // Mario, delegated by Anna: asks for her; the question is hers, typed by him; audited.
    let mut m = Browser::logged_in(&app, &mario).await;
    let token = m.token().await;
    let acting = m
        .post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token)])
        .await;
    assert_eq!(acting.status, StatusCode::SEE_OTHER, "{}", acting.body);
    let id = ask(
        &app,
        &mut m,
        "Per mia madre",
        "Domanda fatta dal delegato per Anna.",
        &[],
    )
    .await;
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT account_id FROM questions WHERE id = '{id}'")
        )
        .await,
        anna.id
    );
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT asked_by FROM questions WHERE id = '{id}'")
        )
        .await,
        mario.id
    );
    assert_eq!(audited(&app.db, "quesito.inviato", Some(&anna.id)).await, 1);
    let before = audited(&app.db, "quesito.consultato", Some(&anna.id)).await;
    assert_eq!(
        m.get(&format!("/area-personale/quesiti/{id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        audited(&app.db, "quesito.consultato", Some(&anna.id)).await,
        before + 1
    );
    // Anna sees it as hers, written by her delegate.
    let mut a = Browser::logged_in(&app, &anna).await;
    let page = a.get(&format!("/area-personale/quesiti/{id}")).await;
    assert!(page.has("Il tuo delegato"), "{}", page.body);

    // The patronato's mandate covers "pensioni" only, not questions: refused, nothing shown.
    let mut p = Browser::logged_in(&app, &patronato).await;
    let token = p.token().await;
    let acting = p
        .post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token)])
        .await;
    assert_eq!(acting.status, StatusCode::SEE_OTHER, "{}", acting.body);
    for path in [
        "/area-personale/quesiti".to_owned(),
        format!("/area-personale/quesiti/{id}"),
        "/api/v1/quesiti".to_owned(),
    ] {
        let reply = p.get(&path).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {}", reply.body);
        assert!(!reply.has("Per mia madre"));
    }
    // The CAF's mandate names the service: it may ask for Dario.
    let mut c = Browser::logged_in(&app, &caf).await;
    let token = c.token().await;
    c.post(&format!("/per-conto/{}", dario.id), &[("_csrf", &token)])
        .await;
    let made = c
        .client_post_json(&app, "/api/v1/quesiti", &json!({"argomento": "contributi", "oggetto": "Estratto", "testo": "Serve l'estratto contributivo."}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(
        scalar(
            &app.db,
            &format!("SELECT COUNT(*) FROM questions WHERE account_id = '{}'", dario.id)
        )
        .await,
        1
    );
    // Staff without a queue role never read questions.
    let (_, mut pue) = operator(&app, "marco.galli", "Marco Galli", Role::OperatorePue, None).await;
    assert_eq!(
        pue.get(&format!("/backoffice/risponde/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_demo_has_canned_answers_and_annas_questions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = sportello::identity::pins::load_key(&app.db, None).await.unwrap();
    assert!(
        sportello::demo::load_if_empty(&app.db, &app.files, &key, "Comune di Prova")
            .await
            .unwrap()
    );
    assert!(app.count("canned_answers").await >= 9);
    let anna = accounts::find_by_codice_fiscale(&app.db, ANNA_CF)
        .await
        .unwrap()
        .unwrap();
    let states = store::list_for_citizen(&app.db, &anna.id).await.unwrap();
    let mut states: Vec<String> = states.into_iter().map(|q| q.state).collect();
    states.sort();
    assert_eq!(states, ["inviata", "risposta"]);
    // Routing by topic and residence: Anna lives in Rome; Milan handles contributions for
    // the whole country; Mario lives in Milan.
    let sede = store::competent_sede(&app.db, &anna.id, "pensioni")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sede.nome, "Sede di Roma Centro");
    let sede = store::competent_sede(&app.db, &anna.id, "contributi")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sede.nome, "Sede di Milano");
    let mario = accounts::find_by_codice_fiscale(&app.db, MARIO_CF)
        .await
        .unwrap()
        .unwrap();
    let sede = store::competent_sede(&app.db, &mario.id, "pensioni")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sede.nome, "Sede di Milano");
    // Mario has an email on file and chose email alerts.
    let contacts = sportello::notify::preferences::contacts(&app.db, &mario.id)
        .await
        .unwrap();
    assert_eq!(contacts.email.as_deref(), Some(sportello::demo::MARIO_EMAIL));
    let chosen = sportello::notify::preferences::stored(&app.db, &mario.id)
        .await
        .unwrap()
        .unwrap();
    assert!(chosen.email);
}

/// A sede's id, by its code.
async fn sede_id(app: &TestApp, codice: &str) -> String {
    text(&app.db, &format!("SELECT id FROM sedi WHERE codice = '{codice}'")).await
}

async fn routing_by_topic_and_residence(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let nomad = citizen(&app, DARIO_CF, "Dario Mancini").await;
    let (roma, milano) = sedi_and_residence(&app, &anna).await;
    let (_, mut admin) = operator(&app, "luigi.neri", "Luigi Neri", Role::Amministratore, None).await;
    let (_, mut cc) = operator(
        &app,
        "paolo.conti",
        "Paolo Conti",
        Role::OperatoreContactCenter,
        None,
    )
    .await;
    let routed = |account: String, topic: &'static str| {
        let db = app.db.clone();
        async move {
            store::competent_sede(&db, &account, topic)
                .await
                .unwrap()
                .map(|s| s.id)
        }
    };

    // The sede creation form sets the province (two letters, checked).
    let bad = staff_post(
        &mut admin,
        "/backoffice/sedi",
        &[
            ("codice", "NA-001"),
            ("nome", "Sede di Napoli"),
            ("comune", "Napoli"),
            ("provincia", "NAP"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("due lettere"), "{}", bad.body);
    assert_eq!(app.count("sedi").await, 2);
    let created = staff_post(
        &mut admin,
        "/backoffice/sedi",
        &[
            ("codice", "NA-001"),
            ("nome", "Sede di Napoli"),
            ("comune", "Napoli"),
            ("provincia", " na "),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let napoli = sede_id(&app, "NA-001").await;
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT provincia FROM sedi WHERE id = '{napoli}'")
        )
        .await,
        "NA"
    );

    // No competences: residence alone (Anna lives in Rome); no residence: the first sede.
    assert_eq!(routed(anna.id.clone(), "contributi").await, Some(roma.clone()));
    assert_eq!(routed(nomad.id.clone(), "pensioni").await, Some(milano.clone()));

    // Only administrators edit competences; every change is audited.
    let path = format!("/backoffice/sedi/{milano}/competenze");
    assert_eq!(cc.get(&path).await.status, StatusCode::FORBIDDEN);
    let refused = staff_post(&mut cc, &path, &[("argomento", "contributi"), ("provincia", "")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("Sede di Milano") && page.has("Tutti gli argomenti"));
    for (fields, status) in [
        (
            [("argomento", "contributi"), ("provincia", "Lazio")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            [("argomento", "astrologia"), ("provincia", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            [("argomento", "<script>"), ("provincia", "RM")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let reply = staff_post(&mut admin, &path, &fields).await;
        assert_eq!(reply.status, status, "{fields:?}: {}", reply.body);
    }
    assert_eq!(app.count("sede_competenze").await, 0);
    let before = audited(&app.db, "sede.competenza.aggiunta", None).await;
    // Milan answers on contributions for the whole country.
    let added = staff_post(
        &mut admin,
        &path,
        &[("argomento", "contributi"), ("provincia", "")],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let again = staff_post(
        &mut admin,
        &path,
        &[("argomento", "contributi"), ("provincia", "*")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        audited(&app.db, "sede.competenza.aggiunta", None).await,
        before + 1
    );
    assert!(admin.get(&path).await.has("Contributi"));
    assert_eq!(routed(anna.id.clone(), "contributi").await, Some(milano.clone()));
    assert_eq!(routed(anna.id.clone(), "pensioni").await, Some(roma.clone()));
    // A question asked through the form is routed by its topic.
    let mut a = Browser::logged_in(&app, &anna).await;
    let id = ask_on(
        &app,
        &mut a,
        "contributi",
        "Buchi nei contributi",
        "Mancano due anni di contributi.",
        &[],
    )
    .await;
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT sede_id FROM questions WHERE id = '{id}'")
        )
        .await,
        milano
    );
    // Topic and province beat topic anywhere: Naples takes Rome's contributions.
    let napoli_path = format!("/backoffice/sedi/{napoli}/competenze");
    let added = staff_post(
        &mut admin,
        &napoli_path,
        &[("argomento", "contributi"), ("provincia", "rm")],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(routed(anna.id.clone(), "contributi").await, Some(napoli.clone()));
    // Every topic for a province beats residence alone.
    staff_post(
        &mut admin,
        &napoli_path,
        &[("argomento", "*"), ("provincia", "RM")],
    )
    .await;
    assert_eq!(routed(anna.id.clone(), "famiglia").await, Some(napoli.clone()));
    // The national default catches citizens without a residence.
    staff_post(&mut admin, &napoli_path, &[("argomento", "*"), ("provincia", "")]).await;
    assert_eq!(routed(nomad.id.clone(), "pensioni").await, Some(napoli.clone()));
    assert_eq!(routed(nomad.id.clone(), "contributi").await, Some(milano.clone()));

    // Removing: audited; someone else's or a missing competence is a 404.
    let competence = text(
        &app.db,
        &format!("SELECT id FROM sede_competenze WHERE sede_id = '{napoli}' AND topic = 'contributi'"),
    )
    .await;
    let wrong_sede = staff_post(
        &mut admin,
        &format!("/backoffice/sedi/{milano}/competenze/{competence}/elimina"),
        &[],
    )
    .await;
    assert_eq!(wrong_sede.status, StatusCode::NOT_FOUND);
    let removed = staff_post(
        &mut admin,
        &format!("/backoffice/sedi/{napoli}/competenze/{competence}/elimina"),
        &[],
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert_eq!(audited(&app.db, "sede.competenza.rimossa", None).await, 1);
    // Back to Milan: the topic anywhere beats every topic in the province.
    assert_eq!(routed(anna.id.clone(), "contributi").await, Some(milano.clone()));
    let missing = admin.get("/backoffice/sedi/nessuna/competenze").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Waits for the letter jobs to be done and returns how many letters Anna's mailbox holds.
async fn letters_of(app: &TestApp, account_id: &str, expected: i64) -> bool {
    let sql = format!("SELECT COUNT(*) FROM mailbox_messages WHERE account_id = '{account_id}'");
    crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
        scalar(&app.db, &sql).await == expected
    })
    .await
}

async fn staff_attach_files_close_and_delete_canned_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    sedi_and_residence(&app, &anna).await;
    let (_, mut cc) = operator(
        &app,
        "paolo.conti",
        "Paolo Conti",
        Role::OperatoreContactCenter,
        None,
    )
    .await;
    let (_, mut admin) = operator(&app, "luigi.neri", "Luigi Neri", Role::Amministratore, None).await;
    let mut a = Browser::logged_in(&app, &anna).await;
    let id = ask(
        &app,
        &mut a,
        "Modulo per il riscatto",
        "Mi serve il modulo per il riscatto.",
        &[],
    )
    .await;
    let staff_page = cc.get(&format!("/backoffice/risponde/{id}")).await;
    assert!(staff_page.has("enctype=\"multipart/form-data\"") && staff_page.has("name=\"allegati\""));
    // Not answered yet: no closing.
    assert!(!staff_page.has("/chiudi"));
    let token = cc.token().await;

    // A file of the wrong type: refused, nothing written.
    let messages = app.count("question_messages").await;
    let refused = post_multipart(
        &app,
        &cc,
        &format!("/backoffice/risponde/{id}/risposta"),
        &[
            Part::Field("_csrf", &token),
            Part::Field("testo", "Le invio il modulo in allegato."),
            Part::File("allegati", "modulo.exe", b"MZ\x90\x00 not a document"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.has("Le invio il modulo"), "the draft is kept");
    assert_eq!(app.count("question_messages").await, messages);
    assert_eq!(app.count("question_attachments").await, 0);
    assert_eq!(state_of(&app, &id).await, "inviata");
    // Without the form token: refused.
    let forged = post_multipart(
        &app,
        &cc,
        &format!("/backoffice/risponde/{id}/risposta"),
        &[Part::Field("testo", "Le invio il modulo in allegato.")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let answered = post_multipart(
        &app,
        &cc,
        &format!("/backoffice/risponde/{id}/risposta"),
        &[
            Part::Field("_csrf", &token),
            Part::Field("testo", "Le invio il modulo in allegato."),
            Part::File("allegati", "modulo riscatto.pdf", PDF),
        ],
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    assert_eq!(state_of(&app, &id).await, "risposta");
    assert_eq!(app.count("question_attachments").await, 1);
    let file = text(&app.db, "SELECT id FROM question_attachments").await;

    // The citizen sees the file in the timeline and downloads it.
    let shown = a.get(&format!("/area-personale/quesiti/{id}")).await;
    let href = format!("/area-personale/quesiti/{id}/allegati/{file}");
    assert!(shown.has(&href), "{}", shown.body);
    let bytes = app
        .client
        .get(app.url(&href))
        .header(COOKIE, a.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.status(), StatusCode::OK);
    assert_eq!(bytes.bytes().await.unwrap().as_ref(), PDF);
    // Her delegate too, audited; another citizen finds nothing.
    let anna_account = accounts::find(&app.db, &anna.id).await.unwrap().unwrap();
    let now = now_ms();
    delega::create(
        &app.db,
        &anna_account,
        MARIO_CF,
        now - 1000,
        now + 86_400_000,
        &anna.id,
        None,
    )
    .await
    .unwrap()
    .unwrap();
    let mut m = Browser::logged_in(&app, &mario).await;
    assert_eq!(m.get(&href).await.status, StatusCode::NOT_FOUND);
    let token_m = m.token().await;
    let acting = m
        .post(&format!("/per-conto/{}", anna.id), &[("_csrf", &token_m)])
        .await;
    assert_eq!(acting.status, StatusCode::SEE_OTHER, "{}", acting.body);
    let consulted = audited(&app.db, "quesito.consultato", Some(&anna.id)).await;
    assert_eq!(m.get(&href).await.status, StatusCode::OK);
    assert_eq!(
        audited(&app.db, "quesito.consultato", Some(&anna.id)).await,
        consulted + 1
    );

    // Closing: answered questions only, with a reason the citizen reads.
    assert!(cc.get(&format!("/backoffice/risponde/{id}")).await.has("/chiudi"));
    let no_reason = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/chiudi"),
        &[("motivo", " ")],
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app, &id).await, "risposta");
    let closed = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/chiudi"),
        &[("motivo", "Nessuna risposta del cittadino da 30 giorni")],
    )
    .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    assert_eq!(state_of(&app, &id).await, "chiusa");
    assert_eq!(audited(&app.db, "quesito.chiuso", Some(&anna.id)).await, 1);
    let again = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/chiudi"),
        &[("motivo", "Ancora")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let shown = a.get(&format!("/area-personale/quesiti/{id}")).await;
    assert!(
        shown.has("Chiuso: Nessuna risposta del cittadino da 30 giorni"),
        "{}",
        shown.body
    );
    // Acknowledgement, answer, closure: three letters.
    assert!(letters_of(&app, &anna.id, 3).await);

    // Canned answers: administrators delete them, audited.
    let canned = staff_post(
        &mut admin,
        "/backoffice/risponde/risposte-tipo",
        &[
            ("argomento", "pensioni"),
            ("titolo", "Risposta da togliere"),
            ("testo", "Un testo abbastanza lungo."),
        ],
    )
    .await;
    assert_eq!(canned.status, StatusCode::SEE_OTHER, "{}", canned.body);
    let canned_id = text(&app.db, "SELECT id FROM canned_answers").await;
    let delete = format!("/backoffice/risponde/risposte-tipo/{canned_id}/elimina");
    assert_eq!(
        staff_post(&mut cc, &delete, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let forged = admin.post(&delete, &[("_csrf", "falso")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("canned_answers").await, 1);
    let deleted = staff_post(&mut admin, &delete, &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(app.count("canned_answers").await, 0);
    assert_eq!(audited(&app.db, "risposta_tipo.eliminata", None).await, 1);
    assert!(admin.get(deleted.location()).await.has("Risposta tipo eliminata"));
    assert_eq!(
        staff_post(&mut admin, &delete, &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn letters_go_through_the_job_queue_and_survive_a_failing_file_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_residence(&app, &anna).await;
    exec(
        &app.db,
        &format!(
            "UPDATE citizen_profiles SET email = 'anna@example.org' WHERE account_id = '{}'",
            anna.id
        ),
    )
    .await;
    let (_, mut cc) = operator(
        &app,
        "paolo.conti",
        "Paolo Conti",
        Role::OperatoreContactCenter,
        None,
    )
    .await;
    let mut a = Browser::logged_in(&app, &anna).await;
    let id = ask(
        &app,
        &mut a,
        "Quando arriva la pensione?",
        "Ho fatto domanda a marzo.",
        &[],
    )
    .await;
    // The acknowledgement was queued with the question, and the job files it.
    assert_eq!(
        scalar(
            &app.db,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'risponde.lettera'"
        )
        .await,
        1
    );
    assert!(letters_of(&app, &anna.id, 1).await, "the acknowledgement arrives");
    let emails = "SELECT COUNT(*) FROM notify_outbox WHERE channel = 'email'";
    assert!(
        crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            scalar(&app.db, emails).await == 1
        })
        .await,
        "the citizen is alerted"
    );

    // The file store breaks: the mailbox's folder becomes a plain file.
    let dir = std::path::PathBuf::from(app.files.description().trim_start_matches("local:"));
    std::fs::rename(dir.join("cassetta"), dir.join("cassetta-da-parte")).unwrap();
    std::fs::write(dir.join("cassetta"), b"not a folder").unwrap();
    let answered = staff_post(
        &mut cc,
        &format!("/backoffice/risponde/{id}/risposta"),
        &[("testo", "La pensione arriva il primo del mese.")],
    )
    .await;
    // The answer is given at once; the letter waits.
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    assert_eq!(state_of(&app, &id).await, "risposta");
    let failed = "SELECT COUNT(*) FROM jobs WHERE kind = 'risponde.lettera' AND state = 'queued'
                    AND attempts >= 1 AND last_error IS NOT NULL";
    assert!(
        crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            scalar(&app.db, failed).await == 1
        })
        .await,
        "the attempt fails and is queued again"
    );
    assert_eq!(
        scalar(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM mailbox_messages WHERE account_id = '{}'",
                anna.id
            )
        )
        .await,
        1
    );

    // Repaired: the retry (brought forward, not waiting out the backoff) files it, once.
    std::fs::remove_file(dir.join("cassetta")).unwrap();
    std::fs::rename(dir.join("cassetta-da-parte"), dir.join("cassetta")).unwrap();
    exec(
        &app.db,
        "UPDATE jobs SET run_at = 0 WHERE kind = 'risponde.lettera' AND state = 'queued'",
    )
    .await;
    assert!(
        letters_of(&app, &anna.id, 2).await,
        "the answer arrives after the retry"
    );
    assert_eq!(
        scalar(
            &app.db,
            "SELECT COUNT(*) FROM mailbox_messages WHERE kind = 'risposta'"
        )
        .await,
        1
    );
    assert!(
        crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            scalar(&app.db, emails).await == 2
        })
        .await
    );

    // Idempotent: running a done letter job again files nothing more.
    let payload = text(
        &app.db,
        "SELECT payload FROM jobs WHERE kind = 'risponde.lettera' ORDER BY created_at DESC LIMIT 1",
    )
    .await;
    let ctx = sportello::jobs::JobContext {
        db: app.db.clone(),
        files: app.files.clone(),
    };
    let config = crate::helpers::test_config(&app.database_url, dir.clone(), &[]);
    sportello::risponde::run_letter_job(&ctx, &config, &serde_json::from_str(&payload).unwrap())
        .await
        .unwrap();
    assert_eq!(app.count("mailbox_messages").await, 2);
    // A letter that can never be filed is a permanent failure, not retried forever.
    let bad = json!({
        "id": "0196a1b2-0000-7000-8000-0000000000ff", "account_id": anna.id, "kind": "risposta",
        "subject": "", "sender_office": "Contact center", "paragraphs": ["x"], "reference": null
    });
    let err = sportello::risponde::run_letter_job(&ctx, &config, &bad)
        .await
        .unwrap_err();
    assert!(err.permanent, "{err:?}");
    assert_eq!(app.count("mailbox_messages").await, 2);
}

on_both_backends!(
    the_demo_has_canned_answers_and_annas_questions,
    routing_by_topic_and_residence,
    staff_attach_files_close_and_delete_canned_answers,
    letters_go_through_the_job_queue_and_survive_a_failing_file_store,
    full_path_citizen_contact_center_sede_answer_rating,
    overdue_questions_are_found_on_a_fixed_clock,
    bad_input_is_refused_clearly_and_writes_nothing,
    notes_merge_and_reopening,
    delegates_and_intermediaries_act_within_their_basis,
);
