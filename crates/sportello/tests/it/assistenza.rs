//! Assistance at the desk (Punto Utente Evoluto): an operatore PUE, with the citizen present
//! and their document checked, works in the citizen's personal area for them, files a domanda
//! in their name, and the citizen sees every act on their activity page. The assistance is
//! refused without the document or the citizen's presence, to other roles, and to any other
//! operator; it ends at "Termina l'assistenza", after its hour, and when the operator starts
//! assisting someone else.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use sportello::identity::accounts::Role;

use crate::domande::profile;
use crate::helpers::{self, Backend, TestApp};
use crate::kit::{Browser, Reply, audited, citizen, exec, operator, scalar, text, two_sedi};
use crate::on_both_backends;

const ANNA_CF: &str = "BNCNNA52T45F205Q";
const MARIO_CF: &str = "RSSMRA80A01H501U";

/// A JSON call with the browser's cookies.
async fn api(app: &TestApp, who: &Browser, method: &str, path: &str, body: Option<&Value>) -> Reply {
    let client = helpers::client();
    let url = app.url(path);
    let mut request = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    }
    .header(COOKIE, who.cookie_header());
    if let Some(body) = body {
        request = request
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
    }
    Reply::read(request.send().await.expect("request")).await
}

/// `POST /backoffice/cittadini/{id}/assistenza` with the card's CSRF token.
async fn assist(desk: &mut Browser, citizen_id: &str, fields: &[(&str, &str)]) -> Reply {
    let card = desk.get(&format!("/backoffice/cittadini/{citizen_id}")).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.body);
    let token = card.csrf();
    let mut form = vec![("_csrf", token.as_str())];
    form.extend_from_slice(fields);
    desk.post(&format!("/backoffice/cittadini/{citizen_id}/assistenza"), &form)
        .await
}

/// Whether the page shows `words` (apostrophes as the templates escape them).
fn says(page: &Reply, words: &str) -> bool {
    page.body.replace("&#39;", "'").contains(words)
}

const PRESENT: &[(&str, &str)] = &[("documento", "Carta d'identità CA12345AB"), ("presente", "si")];

async fn open_assistances(app: &TestApp) -> i64 {
    scalar(&app.db, "SELECT COUNT(*) FROM assistenze WHERE ended_at IS NULL").await
}

async fn a_desk_operator_files_for_a_present_citizen_and_the_citizen_sees_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    two_sedi(&app).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    profile(&app, &anna).await;
    let (galli, mut desk) = operator(&app, "marco.galli", "Marco Galli", Role::OperatorePue, None).await;
    let (_, mut other_desk) = operator(&app, "sara.neri", "Sara Neri", Role::OperatorePue, None).await;
    let (_, mut sede) = operator(&app, "luca.sede", "Luca Sede", Role::OperatoreSede, None).await;

    // The card offers the assistance to a PUE operator only.
    let card = desk.get(&format!("/backoffice/cittadini/{}", anna.id)).await;
    assert!(
        card.has("/assistenza") && card.has("campo-presente"),
        "{}",
        card.body
    );
    let card = sede.get(&format!("/backoffice/cittadini/{}", anna.id)).await;
    assert!(!card.has("/assistenza"));

    // Refused, nothing written: no presence, no usable document, no CSRF token, wrong role.
    let no_presence = assist(
        &mut desk,
        &anna.id,
        &[("documento", "Carta d'identità CA12345AB")],
    )
    .await;
    assert_eq!(no_presence.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_presence.has("presente allo sportello"), "{}", no_presence.body);
    let no_document = assist(&mut desk, &anna.id, &[("documento", " - "), ("presente", "si")]).await;
    assert_eq!(no_document.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_document.has("tipo e il numero del documento"),
        "{}",
        no_document.body
    );
    let forged = desk
        .post(&format!("/backoffice/cittadini/{}/assistenza", anna.id), PRESENT)
        .await;
    assert!(forged.status.is_client_error(), "{}", forged.status);
    let wrong_role = assist(&mut sede, &anna.id, PRESENT).await;
    assert_eq!(wrong_role.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("assistenze").await, 0);
    assert_eq!(audited(&app.db, "assistenza.inizio", None).await, 0);
    // Without an assistance the operator has no citizen area.
    assert_eq!(desk.get("/area-personale").await.status, StatusCode::FORBIDDEN);

    // Started: a new session id, Anna's area with the banner, audited with the document.
    let staff_session = desk.session().unwrap();
    let started = assist(&mut desk, &anna.id, PRESENT).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    assert_eq!(started.location(), "/area-personale");
    assert_ne!(desk.session().unwrap(), staff_session, "the session id changes");
    assert_eq!(
        Browser::holding(&app, &format!("sportello={staff_session}"))
            .whoami()
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the session id from before is gone"
    );
    let area = desk.get("/area-personale").await;
    assert_eq!(area.status, StatusCode::OK, "{}", area.body);
    assert!(area.has("Stai operando per conto di") && area.has("Anna Bianchi") && area.has(ANNA_CF));
    assert!(says(&area, "Termina l'assistenza"), "{}", area.body);
    assert_eq!(area.header("cache-control"), Some("no-store"));
    assert!(
        area.has("href=\"/area-personale/domande\""),
        "the area leads to her applications"
    );
    assert_eq!(open_assistances(&app).await, 1);
    assert_eq!(audited(&app.db, "assistenza.inizio", Some(&anna.id)).await, 1);
    assert!(
        text(
            &app.db,
            "SELECT detail FROM audit_log WHERE action = 'assistenza.inizio'"
        )
        .await
        .contains("CA12345AB")
    );
    // Never the citizen's own credentials: security and delegations stay hers.
    assert_eq!(
        desk.get("/area-personale/sicurezza").await.status,
        StatusCode::FORBIDDEN
    );

    // The operator files a certificato in Anna's name; it records who filed it and as what.
    let filed = api(
        &app,
        &desk,
        "POST",
        "/api/v1/domande",
        Some(&json!({"modulo": "certificato-residenza", "invia": true,
            "risposte": {"intestatario": "se-stesso", "uso": "bollo", "copie": "1", "email": "anna@example.it"}})),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let id = filed.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT account_id || '|' || submitted_as || '|' || submitted_by_name FROM domande WHERE id = '{id}'")
        )
        .await,
        format!("{}|operatore-pue|Marco Galli", anna.id)
    );
    assert_eq!(
        scalar(
            &app.db,
            &format!("SELECT COUNT(*) FROM domande WHERE account_id = '{galli}'")
        )
        .await,
        0,
        "nothing is filed in the operator's own name"
    );

    // Another operator cannot ride on this assistance, even holding its row's basis.
    let sara = other_desk.whoami().await;
    assert_eq!(sara.status, StatusCode::OK);
    let basis = text(&app.db, "SELECT 'pue:' || id FROM assistenze").await;
    exec(
        &app.db,
        &format!(
            "UPDATE sessions SET acting_for = '{}', acting_basis = '{basis}'
              WHERE account_id = (SELECT id FROM accounts WHERE display_name = 'Sara Neri')",
            anna.id
        ),
    )
    .await;
    assert_eq!(
        other_desk.get("/area-personale").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api(&app, &other_desk, "GET", &format!("/api/v1/domande/{id}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // "Termina l'assistenza": back to Anna's card, the assistance closed and audited, no area.
    let token = desk.token().await;
    let ended = desk.post("/per-conto/termina", &[("_csrf", &token)]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(ended.location(), format!("/backoffice/cittadini/{}", anna.id));
    assert_eq!(open_assistances(&app).await, 0);
    assert_eq!(audited(&app.db, "assistenza.fine", Some(&anna.id)).await, 1);
    assert_eq!(desk.get("/area-personale").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api(&app, &desk, "GET", &format!("/api/v1/domande/{id}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Anna sees the filing in her list and every desk act on her activity page, in words.
    let mut own = Browser::logged_in(&app, &anna).await;
    let list = api(&app, &own, "GET", "/api/v1/domande", None).await;
    assert!(list.has(&id), "{}", list.body);
    let activity = own.get("/area-personale/attivita").await;
    assert_eq!(activity.status, StatusCode::OK);
    for line in [
        "Ha iniziato ad assisterti allo sportello",
        "Ha presentato una domanda per tuo conto",
        "Ha terminato l'assistenza allo sportello",
        "Marco Galli",
    ] {
        assert!(says(&activity, line), "{line}: {}", activity.body);
    }
    assert!(
        !activity.has("domanda.presentata"),
        "no action codes: {}",
        activity.body
    );

    // The hour runs out: the acting ends on the next request, on its own.
    assist(&mut desk, &anna.id, PRESENT).await;
    assert_eq!(desk.get("/area-personale").await.status, StatusCode::OK);
    exec(
        &app.db,
        "UPDATE assistenze SET ends_at = started_at WHERE ended_at IS NULL",
    )
    .await;
    assert_eq!(desk.get("/area-personale").await.status, StatusCode::FORBIDDEN);

    // One citizen at a desk at a time: assisting Mario ends the assistance to Anna.
    assist(&mut desk, &anna.id, PRESENT).await;
    let mario_started = assist(&mut desk, &mario.id, PRESENT).await;
    assert_eq!(mario_started.status, StatusCode::SEE_OTHER);
    assert_eq!(open_assistances(&app).await, 1);
    assert_eq!(
        text(
            &app.db,
            "SELECT citizen_id FROM assistenze WHERE ended_at IS NULL"
        )
        .await,
        mario.id
    );
    let area = desk.get("/area-personale").await;
    assert!(area.has("Mario Rossi") && !area.has(ANNA_CF), "{}", area.body);
}

on_both_backends!(a_desk_operator_files_for_a_present_citizen_and_the_citizen_sees_it);
