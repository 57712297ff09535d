//! Asking for a PIN, end to end: the form, the first half through a real SMTP server, the
//! second half in a printed letter read back by PDFium, activation, and the answers that must
//! not tell who is already registered.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, eventually};
use crate::letters::read_pdf;
use crate::notify::{received_for, smtp_server, unique_address};
use crate::on_both_backends;

on_both_backends!(
    a_citizen_registers_receives_both_halves_and_activates,
    asking_again_sends_the_new_pin_to_the_contacts_on_file,
    data_that_contradicts_the_codice_fiscale_is_refused_field_by_field,
    a_contact_center_operator_reads_out_the_first_half_and_the_second_goes_by_post,
    a_procuratore_asks_for_a_pin_that_reaches_only_the_citizen,
    only_an_adult_can_be_the_trusted_person,
);

/// A browser that keeps cookies and does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("form has a CSRF field") + marker.len();
    html[start..start + 64].to_owned()
}

async fn mail_app(backend: Backend, extra: &[(&'static str, &str)]) -> TestApp {
    let (addr, _) = smtp_server();
    let smtp = format!("smtp://{addr}");
    let mut config: Vec<(&'static str, &str)> = vec![
        ("smtp_url", smtp.as_str()),
        ("mail_from", "\"Comune di Prova\" <noreply@prova.example.it>"),
        ("public_url", "https://servizi.example.it"),
    ];
    config.extend_from_slice(extra);
    TestApp::spawn_with(backend, &config).await
}

/// Posts the registration form as a browser would; returns the response.
async fn register(app: &TestApp, client: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = client
        .get(app.url("/registrati"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url("/registrati"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn mario(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("codice_fiscale", "rssmra 80a01 h501u".to_owned()),
        ("nome", "Mario".to_owned()),
        ("cognome", "Rossi".to_owned()),
        ("data_nascita", "1980-01-01".to_owned()),
        ("email", email.to_owned()),
        ("canale", "email".to_owned()),
        ("indirizzo", "Via dei Mille 12".to_owned()),
        ("cap", "00185".to_owned()),
        ("comune", "Roma".to_owned()),
        ("provincia", "rm".to_owned()),
    ]
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The first half in an email body: the 4+4 characters after "PIN: ".
fn first_half_in(body: &str) -> String {
    let marker = "prima parte del tuo PIN: ";
    let start = body.find(marker).expect("the email carries the first half") + marker.len();
    body[start..start + 9].replace(' ', "")
}

/// The second half printed in the account's letter, read back from the PDF by PDFium.
async fn second_half_for(app: &TestApp, account_id: &str) -> String {
    let letter_id: String = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT id FROM letters WHERE account_id = $1 ORDER BY created_at DESC LIMIT 1"
    )
    .bind(account_id)
    .fetch_one(pool)
    .await)
    .unwrap();
    let pdf = sportello::letters::letter_pdf(&app.db, &app.files, &letter_id)
        .await
        .unwrap()
        .expect("the letter's PDF is stored");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lettera.pdf");
    std::fs::write(&path, pdf).unwrap();
    let pages = read_pdf(&path);
    let text: String = pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("Via dei Mille 12"),
        "the letter goes to the address given: {text}"
    );
    // The code is printed after its label, grouped in fours.
    let after =
        &text[text.rfind("Seconda parte del PIN").expect("labelled code") + "Seconda parte del PIN".len()..];
    let code: String = after
        .chars()
        .filter(|c| sportello::identity::pin::ALPHABET.contains(&(*c as u8)) && c.is_ascii())
        .take(8)
        .collect();
    assert_eq!(code.len(), 8, "second half in: {after}");
    code
}

async fn account_id(app: &TestApp, cf: &str) -> String {
    sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT id FROM accounts WHERE codice_fiscale = $1"
    )
    .bind(cf)
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn email_for(to: &str) -> String {
    let (_, dir) = smtp_server();
    let arrived = eventually(Duration::from_secs(20), || {
        let (dir, to) = (dir.clone(), to.to_owned());
        async move { received_for(&dir, &to).is_some() }
    })
    .await;
    assert!(arrived, "an email reaches {to}");
    let (decoded, _) = received_for(&dir, to).unwrap();
    decoded["text"].as_str().unwrap_or_default().to_owned()
}

async fn a_citizen_registers_receives_both_halves_and_activates(backend: Backend) {
    let app = mail_app(backend, &[]).await;
    let client = browser();
    let email = unique_address("mario");
    let response = register(&app, &client, &as_refs(&mario(&email))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/registrati/richiesta-ricevuta");

    let body = email_for(&email).await;
    let first = first_half_in(&body);
    assert!(
        body.contains("https://servizi.example.it/accedi/attiva-pin"),
        "{body}"
    );
    let id = account_id(&app, "RSSMRA80A01H501U").await;
    let second = second_half_for(&app, &id).await;
    assert!(!body.contains(&second), "the email never carries the second half");

    // Activation with the two halves logs the citizen in.
    let html = client
        .get(app.url("/accedi/attiva-pin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let activated = client
        .post(app.url("/accedi/attiva-pin"))
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("codice_fiscale", "RSSMRA80A01H501U"),
            ("prima_parte", first.as_str()),
            ("seconda_parte", second.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        activated.status(),
        StatusCode::SEE_OTHER,
        "{}",
        activated.text().await.unwrap()
    );
    let me: serde_json::Value = client
        .get(app.url("/api/v1/sessione"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["codice_fiscale"], "RSSMRA80A01H501U");
    assert_eq!(me["nome"], "Mario Rossi");
}

async fn asking_again_sends_the_new_pin_to_the_contacts_on_file(backend: Backend) {
    let app = mail_app(backend, &[]).await;
    let original = unique_address("mario");
    let first = register(&app, &browser(), &as_refs(&mario(&original))).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let _ = email_for(&original).await;

    // Someone else types Mario's data with their own email: same answer, but the PIN goes to
    // Mario's address on file, never to the one just typed.
    let intruder = unique_address("intruso");
    let again = register(&app, &browser(), &as_refs(&mario(&intruder))).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()["location"], "/registrati/richiesta-ricevuta");
    let (_, dir) = smtp_server();
    let second_mail = eventually(Duration::from_secs(20), || {
        let dir = dir.clone();
        let original = original.clone();
        async move {
            std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .filter(|text| text.contains(&original))
                        .count()
                        >= 2
                })
                .unwrap_or(false)
        }
    })
    .await;
    assert!(second_mail, "the re-issued PIN went to the original address");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        received_for(&dir, &intruder).is_none(),
        "nothing goes to the address just typed"
    );
    assert_eq!(app.count("accounts").await, 1);
    let live: i64 = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM pins WHERE state IN ('da_attivare', 'attivo')"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(live, 1, "the new PIN replaced the old one");
}

async fn data_that_contradicts_the_codice_fiscale_is_refused_field_by_field(backend: Backend) {
    let app = mail_app(backend, &[("pin_restricted", "true")]).await;
    let email = unique_address("mario");
    let mut fields = mario(&email);
    fields[2].1 = "Verdi".to_owned(); // VRD, not RSS ("Russo" would match: RSS too)
    fields[3].1 = "1980-02-01".to_owned();
    let response = register(&app, &browser(), &as_refs(&fields)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Il cognome non corrisponde al codice fiscale"),
        "{html}"
    );
    assert!(html.contains("La data di nascita non corrisponde"), "{html}");
    assert!(
        html.contains("Scegli perché non puoi avere SPID o CIE"),
        "restricted: {html}"
    );
    assert!(html.contains("Via dei Mille 12"), "what was typed is kept");
    assert_eq!(app.count("accounts").await, 0, "nothing written");

    // A wrong check character is explained precisely.
    let mut fields = mario(&email);
    fields[0].1 = "RSSMRA80A01H501A".to_owned();
    let html = register(&app, &browser(), &as_refs(&fields))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("dovrebbe essere «U», non «A»"), "{html}");

    // A minor needs no declaration while PINs are restricted.
    let today = sportello::identity::cf_api::today();
    let born = today.checked_sub(jiff::Span::new().years(10)).unwrap();
    let data = sportello::identity::codice_fiscale::PersonalData {
        surname: "Bianchi".to_owned(),
        given_name: "Sara".to_owned(),
        sex: sportello::identity::codice_fiscale::Sex::F,
        birth_date: born,
        birthplace_code: "H501".to_owned(),
    };
    let cf = sportello::identity::codice_fiscale::encode(&data).unwrap();
    let mut fields = mario(&unique_address("sara"));
    fields[0].1 = cf.as_str().to_owned();
    fields[1].1 = "Sara".to_owned();
    fields[2].1 = "Bianchi".to_owned();
    fields[3].1 = born.to_string();
    let response = register(&app, &browser(), &as_refs(&fields)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("accounts").await, 1);
}

/// The INPS way for people without email: the operator checks the caller, issues a PIN and
/// reads out the first half; the second half goes by post to the address on file.
async fn a_contact_center_operator_reads_out_the_first_half_and_the_second_goes_by_post(backend: Backend) {
    use crate::kit::{Browser, staff_browser, staff_member};
    use sportello::identity::accounts::Role;

    let app = mail_app(backend, &[]).await;
    // Mario registered earlier (so there is an address on file).
    let email = unique_address("mario");
    assert_eq!(
        register(&app, &browser(), &as_refs(&mario(&email)))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let _ = email_for(&email).await;
    let mario_id = account_id(&app, "RSSMRA80A01H501U").await;

    let operator = staff_member(&app, "paolo.conti", "Paolo Conti", Role::OperatoreContactCenter).await;
    let mut desk = staff_browser(&app, &operator).await;
    let card = desk.get(&format!("/backoffice/cittadini/{mario_id}")).await;
    assert_eq!(card.status, StatusCode::OK);
    let token = card.csrf();
    let path = format!("/backoffice/cittadini/{mario_id}/pin");

    // Without the identity check ticked, nothing is issued.
    let refused = desk.post(&path, &[("_csrf", token.as_str())]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let letters_before = app.count("letters").await;

    let issued = desk
        .post(&path, &[("_csrf", token.as_str()), ("identita_verificata", "si")])
        .await;
    assert_eq!(issued.status, StatusCode::OK);
    let marker = "id=\"prima-parte\">";
    let start = issued
        .body
        .find(marker)
        .expect("the first half is shown to read out")
        + marker.len();
    let first: String = issued.body[start..start + 9].replace(' ', "");
    assert_eq!(first.len(), 8);
    assert_eq!(
        app.count("letters").await,
        letters_before + 1,
        "the second half goes by post"
    );
    let second = second_half_for(&app, &mario_id).await;
    let channel: String = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT channel FROM pins WHERE account_id = $1 AND state = 'da_attivare'"
    )
    .bind(&mario_id)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(channel, "telefono");

    // Mario activates with what he heard and what the postman brought.
    let mut mario = Browser::new(&app);
    let form = mario.get("/accedi/attiva-pin").await.csrf();
    let activated = mario
        .post(
            "/accedi/attiva-pin",
            &[
                ("_csrf", form.as_str()),
                ("codice_fiscale", "RSSMRA80A01H501U"),
                ("prima_parte", first.as_str()),
                ("seconda_parte", second.as_str()),
            ],
        )
        .await;
    assert_eq!(activated.status, StatusCode::SEE_OTHER);
    // And sees who issued it on the activity page.
    let activity = mario.get("/area-personale/attivita").await;
    assert!(activity.has("Paolo Conti"), "{}", activity.body);
}

/// A procuratore with a mandate asks for a PIN for the citizen: it goes to the citizen's own
/// email and address, never to the procuratore; a delegate (not a mandate) cannot ask.
async fn a_procuratore_asks_for_a_pin_that_reaches_only_the_citizen(backend: Backend) {
    use crate::kit::{Browser, person};
    use sportello::identity::accounts::Role;

    let app = mail_app(backend, &[]).await;
    let email = unique_address("mario");
    assert_eq!(
        register(&app, &browser(), &as_refs(&mario(&email)))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let _ = email_for(&email).await;
    let mario_id = account_id(&app, "RSSMRA80A01H501U").await;
    let mario = sportello::identity::accounts::find(&app.db, &mario_id)
        .await
        .unwrap()
        .unwrap();
    let carla = person(&app, "FRRCRL70D55H501R", "Carla Ferri", Role::Intermediario).await;
    let year = 365 * 86_400_000;
    sportello::identity::delega::grant_mandate(
        &app.db,
        &mario,
        "FRRCRL70D55H501R",
        "*",
        sportello::storage::now_ms() + year,
        &mario.id,
    )
    .await
    .unwrap()
    .unwrap();

    let mut patronato = Browser::logged_in(&app, &carla).await;
    // Not acting for anyone yet: refused.
    let token = patronato.token().await;
    let refused = patronato
        .post("/per-conto/richiedi-pin", &[("_csrf", token.as_str())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let token = patronato.token().await;
    let acting = patronato
        .post(&format!("/per-conto/{mario_id}"), &[("_csrf", token.as_str())])
        .await;
    assert_eq!(acting.status, StatusCode::SEE_OTHER);
    let token = patronato.token().await;
    let asked = patronato
        .post("/per-conto/richiedi-pin", &[("_csrf", token.as_str())])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);

    let requested_by: Option<String> = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT requested_by FROM pins WHERE account_id = $1 AND state = 'da_attivare'"
    )
    .bind(&mario_id)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(requested_by.as_deref(), Some(carla.id.as_str()));
    // Two emails to Mario (registration, then this PIN), none to anyone else.
    let (_, dir) = smtp_server();
    let two = eventually(Duration::from_secs(20), || {
        let (dir, email) = (dir.clone(), email.clone());
        async move {
            std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .filter(|text| text.contains(&email))
                        .count()
                        == 2
                })
                .unwrap_or(false)
        }
    })
    .await;
    assert!(two, "the new first half went to Mario's own email");
    let letter_for: String = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT recipient_name FROM letters WHERE account_id = $1 ORDER BY created_at DESC LIMIT 1"
    )
    .bind(&mario_id)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        letter_for, "Mario Rossi",
        "the second half goes to Mario, not the patronato"
    );
}

/// The delega dell'identità digitale names a trusted *adult*: a minor's codice fiscale is refused.
async fn only_an_adult_can_be_the_trusted_person(backend: Backend) {
    use crate::kit::{Browser, citizen};
    use sportello::identity::codice_fiscale::{PersonalData, Sex, encode};

    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, "BNCNNA52T45F205Q", "Anna Bianchi").await;
    let today = sportello::identity::cf_api::today();
    let minor_born = today.checked_sub(jiff::Span::new().years(17)).unwrap();
    let minor_cf = encode(&PersonalData {
        surname: "Bianchi".to_owned(),
        given_name: "Luca".to_owned(),
        sex: Sex::M,
        birth_date: minor_born,
        birthplace_code: "F205".to_owned(),
    })
    .unwrap();
    citizen(&app, minor_cf.as_str(), "Luca Bianchi").await;
    let adult_cf = "RSSMRA80A01H501U";
    citizen(&app, adult_cf, "Mario Rossi").await;

    let mut a = Browser::logged_in(&app, &anna).await;
    let token = a.token().await;
    let from = crate::kit::rome_date(0);
    let to = crate::kit::rome_date(30);
    let refused = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", token.as_str()),
                ("delegato", minor_cf.as_str()),
                ("dal", &from),
                ("al", &to),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("deve essere maggiorenne"), "{}", refused.body);
    assert_eq!(app.count("deleghe").await, 0);
    let token = a.token().await;
    let accepted = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", token.as_str()),
                ("delegato", adult_cf),
                ("dal", &from),
                ("al", &to),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("deleghe").await, 1);
}
