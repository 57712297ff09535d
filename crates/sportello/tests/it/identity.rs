//! Identity and access, end to end: PIN login and lockout, CSRF, activation, app tokens,
//! abuse limits, delegations and mandates, the audit chain, staff login, a walk over every
//! route that takes an id, and the demo data.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, RETRY_AFTER};
use serde_json::{Value, json};
use sportello::identity::accounts::Role;
use sportello::limits::LOGIN_PER_CLIENT;
use sportello::storage::now_ms;

use crate::helpers::{Backend, TestApp};
use crate::kit::*;
use crate::on_both_backends;

on_both_backends!(
    pin_login_opens_a_new_session_with_a_safe_cookie,
    five_wrong_pins_lock_the_pin_and_unknown_people_look_the_same,
    forms_without_the_right_csrf_token_change_nothing,
    pin_activation_is_single_use_and_time_limited,
    the_app_gets_bearer_tokens_that_only_work_as_bearer_tokens,
    too_many_logins_from_one_client_are_refused_on_every_node,
    delegations_let_a_trusted_adult_act_within_their_window_and_no_further,
    mandates_let_an_intermediary_act_until_they_expire,
    the_audit_chain_is_append_only_and_names_the_entry_that_was_changed,
    staff_log_in_with_password_and_a_single_use_code,
    no_id_in_any_url_reaches_another_citizens_data,
    the_demo_people_can_log_in_and_act_as_printed,
);

const MARIO_CF: &str = "RSSMRA80A01H501U";
const ANNA_CF: &str = "BNCNNA52T45F205Q";

// ---------------------------------------------------------------------------------------
// 1. PIN login

async fn pin_login_opens_a_new_session_with_a_safe_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;

    // The browser already holds a session (someone else's, on a shared computer).
    let earlier = app.login_as(ANNA_CF, "Anna Bianchi").await;
    assert_eq!(whoami_with_cookie(&app, &earlier).await, StatusCode::OK);
    let mut browser = Browser::holding(&app, &earlier);
    let form = browser.get("/accedi").await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.csrf();
    // Lower case and spaces in the codice fiscale are fine.
    let done = browser
        .post(
            "/accedi",
            &[
                ("_csrf", &token),
                ("codice_fiscale", " rssmra80a01h501u "),
                ("pin", &mario.pin),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/area-personale");
    let set = done.set_cookie("sportello").expect("session cookie set");
    let value = set.split(';').next().unwrap().trim_start_matches("sportello=");
    assert_eq!(value.len(), 64, "{set}");
    assert_eq!(
        set,
        format!("sportello={value}; Path=/; HttpOnly; SameSite=Lax"),
        "no Secure over plain HTTP in tests, everything else in place"
    );
    // A new session id: the one the browser came with is dead on the server.
    assert_ne!(format!("sportello={value}"), earlier);
    assert_eq!(
        whoami_with_cookie(&app, &earlier).await,
        StatusCode::UNAUTHORIZED,
        "the session held before login must end at login"
    );
    let me = browser.whoami().await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["nome"], "Mario Rossi");
    assert_eq!(me.json()["codice_fiscale"], MARIO_CF);
    assert_eq!(audited(&app.db, "login.ok", Some(&mario.id)).await, 1);

    // Authenticated pages are never stored by a cache.
    for path in [
        "/area-personale",
        "/area-personale/sicurezza",
        "/area-personale/deleghe",
        "/area-personale/attivita",
        "/api/v1/sessione",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.header(CACHE_CONTROL.as_str()), Some("no-store"), "{path}");
    }
    let area = browser.get("/area-personale").await;
    assert!(area.has("Mario Rossi") && area.has(MARIO_CF), "{}", area.body);

    // Logging in again (spaced, lower case) rotates once more.
    let first = browser.session_cookie();
    let again = browser
        .login_pin("rssmra 80a01 h501u", &mario.pin.to_lowercase())
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let second = browser.session_cookie();
    assert_ne!(first, second);
    assert_eq!(whoami_with_cookie(&app, &first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami_with_cookie(&app, &second).await, StatusCode::OK);

    // Logging out ends the session on the server.
    let token = browser.token().await;
    let out = browser.post("/esci", &[("_csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.set_cookie("sportello").unwrap().contains("Max-Age=0"));
    assert_eq!(whoami_with_cookie(&app, &second).await, StatusCode::UNAUTHORIZED);
    app.stop().await;

    // Over HTTPS the cookie is Secure and bound to the host.
    let app = TestApp::spawn_with(backend, &[("cookie_secure", "true")]).await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let mut browser = Browser::new(&app);
    let done = browser.login_pin(MARIO_CF, &mario.pin).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let set = done
        .set_cookie("__Host-sportello")
        .unwrap_or_else(|| panic!("__Host- cookie: {:?}", done.set_cookies()));
    assert!(set.ends_with("; Path=/; HttpOnly; SameSite=Lax; Secure"), "{set}");
    assert!(done.set_cookie("sportello").is_none());
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 2. Lockout

async fn five_wrong_pins_lock_the_pin_and_unknown_people_look_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let wrong = other_pin(&mario.pin);
    let mut browser = Browser::new(&app);
    let mut first_wrong = None;
    for attempt in 1..=4 {
        let reply = browser.login_pin(MARIO_CF, &wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        let alert = reply.alert().expect("an error message");
        assert!(alert.contains("Codice fiscale o PIN non corretti"), "{alert}");
        first_wrong.get_or_insert(alert);
        assert!(browser.session().is_none());
    }
    let fifth = browser.login_pin(MARIO_CF, &wrong).await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    let alert = fifth.alert().unwrap();
    assert!(
        alert.contains("Il PIN è bloccato") && alert.contains("Potrai riprovare dal "),
        "the time to retry is given: {alert}"
    );
    assert!(fifth.header(RETRY_AFTER.as_str()).is_some());
    assert_eq!(audited(&app.db, "pin.bloccato", Some(&mario.id)).await, 1);
    let sixth = browser.login_pin(MARIO_CF, &wrong).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.alert().unwrap().contains("Il PIN è bloccato"));

    // While locked, even the right PIN is refused.
    let sessions = app.count("sessions").await;
    let right = browser.login_pin(MARIO_CF, &mario.pin).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.alert().unwrap().contains("Il PIN è bloccato"));
    assert!(browser.session().is_none());
    assert_eq!(app.count("sessions").await, sessions);
    let pin_row = format!("FROM pins WHERE account_id = '{}'", mario.id);
    assert_eq!(
        scalar(
            &app.db,
            &format!("SELECT CAST(failed_attempts AS BIGINT) {pin_row}")
        )
        .await,
        5
    );

    // The lock runs out: the right PIN works and the count starts again.
    exec(
        &app.db,
        &format!(
            "UPDATE pins SET locked_until = {} WHERE account_id = '{}'",
            a_moment_ago(),
            mario.id
        ),
    )
    .await;
    let right = browser.login_pin(MARIO_CF, &mario.pin).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(
        scalar(
            &app.db,
            &format!("SELECT CAST(failed_attempts AS BIGINT) {pin_row}")
        )
        .await,
        0
    );
    assert_eq!(
        scalar_opt(&app.db, &format!("SELECT locked_until {pin_row}")).await,
        None
    );

    // Someone who does not exist gets the same answers, and locks the same way.
    let mut stranger = Browser::new(&app);
    for attempt in 1..=4 {
        let reply = stranger.login_pin("VRDGNN90A01H501L", &wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert_eq!(reply.alert(), first_wrong, "no enumeration");
    }
    let fifth = stranger.login_pin("VRDGNN90A01H501L", &wrong).await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    let alert = fifth.alert().unwrap();
    assert!(
        alert.contains("Il PIN è bloccato") && alert.contains("Potrai riprovare dal "),
        "{alert}"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 3. CSRF

/// Rows that a form post could write.
async fn footprint(app: &TestApp) -> [i64; 3] {
    [
        app.count("sessions").await,
        app.count("deleghe").await,
        app.count("audit_log").await,
    ]
}

async fn forms_without_the_right_csrf_token_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mut mine = Browser::logged_in(&app, &mario).await;
    let mut theirs = Browser::logged_in(&app, &anna).await;
    let my_token = mine.token().await;
    let their_token = theirs.token().await;
    assert_ne!(my_token, their_token);

    // Login: no token, a token of another browser, or a token without its cookie.
    let mut anonymous = Browser::new(&app);
    let form = anonymous.get("/accedi").await;
    let own = form.csrf();
    let other_anonymous = Browser::new(&app).get("/accedi").await.csrf();
    let before = footprint(&app).await;
    for token in [None, Some(other_anonymous.as_str()), Some(their_token.as_str())] {
        let mut fields = vec![("codice_fiscale", MARIO_CF), ("pin", mario.pin.as_str())];
        if let Some(token) = token {
            fields.push(("_csrf", token));
        }
        let reply = anonymous.post("/accedi", &fields).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(anonymous.session().is_none());
    }
    let cookieless = Browser::new(&app)
        .post(
            "/accedi",
            &[("_csrf", &own), ("codice_fiscale", MARIO_CF), ("pin", &mario.pin)],
        )
        .await;
    assert_eq!(
        cookieless.status,
        StatusCode::FORBIDDEN,
        "a token the browser never had"
    );
    assert_eq!(footprint(&app).await, before, "nothing written");

    // Logged-in forms: none, or another session's token.
    let tomorrow = rome_date(1);
    let later = rome_date(30);
    let cases: [(&str, Vec<(&str, &str)>); 3] = [
        ("/esci", vec![]),
        (
            "/area-personale/deleghe",
            vec![("delegato", ANNA_CF), ("dal", &tomorrow), ("al", &later)],
        ),
        ("/area-personale/sicurezza/esci-ovunque", vec![]),
    ];
    for (path, fields) in &cases {
        for token in [None, Some(their_token.as_str()), Some(other_anonymous.as_str())] {
            let mut form = fields.clone();
            if let Some(token) = token {
                form.push(("_csrf", token));
            }
            let reply = mine.post(path, &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
            assert_eq!(
                footprint(&app).await,
                before,
                "{path} with {token:?} wrote something"
            );
            assert_eq!(
                mine.whoami().await.status,
                StatusCode::OK,
                "{path}: still logged in"
            );
            assert_eq!(theirs.whoami().await.status, StatusCode::OK);
        }
    }

    // With the right token each of them works (so the refusals above were the token's).
    let mut fields = cases[1].1.clone();
    fields.push(("_csrf", &my_token));
    let made = mine.post("/area-personale/deleghe", &fields).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(app.count("deleghe").await, before[1] + 1);
    let out = mine
        .post("/area-personale/sicurezza/esci-ovunque", &[("_csrf", &my_token)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(mine.whoami().await.status, StatusCode::UNAUTHORIZED);
    let out = theirs.post("/esci", &[("_csrf", &their_token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(theirs.whoami().await.status, StatusCode::UNAUTHORIZED);
    let login = anonymous
        .post(
            "/accedi",
            &[("_csrf", &own), ("codice_fiscale", MARIO_CF), ("pin", &mario.pin)],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 4. PIN activation

async fn activate(browser: &mut Browser, cf: &str, first: &str, second: &str) -> Reply {
    let form = browser.get("/accedi/attiva-pin").await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.csrf();
    browser
        .post(
            "/accedi/attiva-pin",
            &[
                ("_csrf", &token),
                ("codice_fiscale", cf),
                ("prima_parte", first),
                ("seconda_parte", second),
            ],
        )
        .await
}

async fn pin_activation_is_single_use_and_time_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (lucia, first, second) = citizen_to_activate(&app, "VRDLCU75C50L219L", "Lucia Verdi").await;

    // The whole PIN does not log in before activation.
    let mut browser = Browser::new(&app);
    let early = browser.login_pin(&lucia.cf, &lucia.pin).await;
    assert_eq!(early.status, StatusCode::UNAUTHORIZED);
    assert!(
        early.alert().unwrap().contains("non è ancora attivo"),
        "{}",
        early.body
    );

    // A wrong half counts as a failure.
    let wrong_second = &other_pin(&lucia.pin)[8..];
    let sessions = app.count("sessions").await;
    let wrong = activate(&mut browser, &lucia.cf, &first, wrong_second).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .alert()
            .unwrap()
            .contains("Codice fiscale o PIN non corretti")
    );
    let failures = format!(
        "SELECT CAST(failed_attempts AS BIGINT) FROM pins WHERE account_id = '{}'",
        lucia.id
    );
    assert_eq!(scalar(&app.db, &failures).await, 1);
    assert_eq!(
        audited(&app.db, "pin.attivazione.fallita", Some(&lucia.id)).await,
        1
    );
    assert_eq!(app.count("sessions").await, sessions);
    // Someone unknown gets the same answer, and locks after as many tries (no enumeration).
    let mut stranger = Browser::new(&app);
    for attempt in 1..=4 {
        let reply = activate(&mut stranger, "VRDGNN90A01H501L", &first, wrong_second).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert_eq!(reply.alert(), wrong.alert());
    }
    let fifth = activate(&mut stranger, "VRDGNN90A01H501L", &first, wrong_second).await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        fifth.alert().unwrap().contains("Il PIN è bloccato"),
        "{}",
        fifth.body
    );

    // Both halves (as copied from paper: grouped, lower case) activate and log in.
    let grouped = |half: &str| format!("{} {}", &half[..4], &half[4..]).to_lowercase();
    let done = activate(&mut browser, &lucia.cf, &grouped(&first), &grouped(&second)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/area-personale?pin=attivato");
    let me = browser.whoami().await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["nome"], "Lucia Verdi");
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT state FROM pins WHERE account_id = '{}'", lucia.id)
        )
        .await,
        "attivo"
    );
    assert_eq!(scalar(&app.db, &failures).await, 0, "activation resets the count");

    // The halves work once.
    let mut again = Browser::new(&app);
    let sessions = app.count("sessions").await;
    let reused = activate(&mut again, &lucia.cf, &first, &second).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert!(
        reused.alert().unwrap().contains("già stato attivato"),
        "{}",
        reused.body
    );
    assert!(again.session().is_none());
    assert_eq!(app.count("sessions").await, sessions);
    // …and the whole PIN now logs in.
    let login = again.login_pin(&lucia.cf, &lucia.pin).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);

    // Past the activation window the halves are void.
    let (giulia, first, second) = citizen_to_activate(&app, "GLLGLI85E50F205G", "Giulia Galli").await;
    exec(
        &app.db,
        &format!(
            "UPDATE pins SET activate_by = {} WHERE account_id = '{}'",
            a_moment_ago(),
            giulia.id
        ),
    )
    .await;
    let mut late = Browser::new(&app);
    let sessions = app.count("sessions").await;
    let refused = activate(&mut late, &giulia.cf, &first, &second).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.alert().unwrap().contains("non valgono più"),
        "{}",
        refused.body
    );
    assert!(late.session().is_none());
    assert_eq!(app.count("sessions").await, sessions);
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT state FROM pins WHERE account_id = '{}'", giulia.id)
        )
        .await,
        "da_attivare"
    );

    // An active PIN past its expiry does not log in.
    exec(
        &app.db,
        &format!(
            "UPDATE pins SET expires_at = {} WHERE account_id = '{}'",
            a_moment_ago(),
            lucia.id
        ),
    )
    .await;
    let mut expired = Browser::new(&app);
    let refused = expired.login_pin(&lucia.cf, &lucia.pin).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.alert().unwrap().contains("Il tuo PIN è scaduto"),
        "{}",
        refused.body
    );
    assert!(expired.session().is_none());
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 5. The app's bearer tokens

/// A problem without its per-request id.
fn without_request_id(mut problem: Value) -> Value {
    problem.as_object_mut().unwrap().remove("request_id");
    problem
}

async fn the_app_gets_bearer_tokens_that_only_work_as_bearer_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;

    let created = api_login(
        &app,
        &json!({"codice_fiscale": "rssmra80a01h501u", "pin": mario.pin, "dispositivo": "Telefono di Mario"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = created.json();
    assert_eq!(body["tipo"], "Bearer");
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert!(body["scade_il_ms"].as_i64().unwrap() > now_ms());
    assert!(created.set_cookies().is_empty(), "the API sets no cookie");

    let me = whoami_bearer(&app, &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["nome"], "Mario Rossi");
    // The token is not a cookie, and a cookie is not a token.
    assert_eq!(
        whoami_with_cookie(&app, &format!("sportello={token}")).await,
        StatusCode::UNAUTHORIZED
    );
    let mut browser = Browser::logged_in(&app, &mario).await;
    let cookie_token = browser.session().unwrap();
    assert_eq!(
        whoami_bearer(&app, &cookie_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(browser.whoami().await.status, StatusCode::OK);

    // Wrong credentials: the same problem whether or not the person exists.
    let wrong = other_pin(&mario.pin);
    let known = api_login(&app, &json!({"codice_fiscale": MARIO_CF, "pin": wrong})).await;
    let unknown = api_login(&app, &json!({"codice_fiscale": "VRDGNN90A01H501L", "pin": wrong})).await;
    for reply in [&known, &unknown] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    }
    assert_eq!(known.json()["code"], "credenziali-errate");
    assert_eq!(
        without_request_id(known.json()),
        without_request_id(unknown.json())
    );

    // Malformed input: 422 naming the field.
    let bad_cf = api_login(&app, &json!({"codice_fiscale": "abc", "pin": mario.pin})).await;
    assert_eq!(bad_cf.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_cf.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        bad_cf.json()["errors"],
        json!([{"field": "codice_fiscale", "code": "cf-lunghezza"}])
    );
    let bad_pin = api_login(&app, &json!({"codice_fiscale": MARIO_CF, "pin": "ABC"})).await;
    assert_eq!(bad_pin.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad_pin.json()["errors"],
        json!([{"field": "pin", "code": "pin-lunghezza"}])
    );
    let missing = api_login(&app, &json!({"codice_fiscale": MARIO_CF})).await;
    assert_eq!(
        missing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        missing.body
    );
    assert_eq!(missing.header("content-type"), Some("application/problem+json"));

    // The token shows on the security page and ends with DELETE.
    let security = browser.get("/area-personale/sicurezza").await;
    assert!(security.has("Telefono di Mario"), "{}", security.body);
    assert!(security.has(&format!("/sessioni/{}/termina", public_id(&token))));
    let ended = app
        .client
        .delete(app.url("/api/v1/sessione"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(whoami_bearer(&app, &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        browser.whoami().await.status,
        StatusCode::OK,
        "only the token ended"
    );
    let security = browser.get("/area-personale/sicurezza").await;
    assert!(!security.has(&public_id(&token)));

    // Ending it from the security page.
    let login = |label: &'static str| {
        let pin = mario.pin.clone();
        let app = &app;
        async move {
            let reply = api_login(
                app,
                &json!({"codice_fiscale": MARIO_CF, "pin": pin, "dispositivo": label}),
            )
            .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
            reply.json()["token"].as_str().unwrap().to_owned()
        }
    };
    let tablet = login("Tablet").await;
    let security = browser.get("/area-personale/sicurezza").await;
    assert!(security.has("Tablet"));
    let csrf = security.csrf();
    let path = format!(
        "/area-personale/sicurezza/sessioni/{}/termina",
        public_id(&tablet)
    );
    let done = browser.post(&path, &[("_csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        whoami_bearer(&app, &tablet).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(browser.whoami().await.status, StatusCode::OK);

    // "Esci da tutti i dispositivi" ends browser sessions and app tokens alike.
    let phone = login("Telefono").await;
    let mut other_browser = Browser::logged_in(&app, &mario).await;
    assert_eq!(whoami_bearer(&app, &phone).await.status, StatusCode::OK);
    let csrf = browser.token().await;
    let all = browser
        .post("/area-personale/sicurezza/esci-ovunque", &[("_csrf", &csrf)])
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    assert_eq!(whoami_bearer(&app, &phone).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(other_browser.whoami().await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        whoami_with_cookie(&app, &format!("sportello={cookie_token}")).await,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 6. Abuse limits

async fn too_many_logins_from_one_client_are_refused_on_every_node(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let other = TestApp::spawn_on(&app.database_url, dir.path().join("files"), &[]).await;
    let mut on_a = Browser::new(&app);
    let token = on_a.get("/accedi").await.csrf();
    let mut on_b = on_a.at(&other.base_url);
    // Malformed attempts: they count against the client, touch no account.
    let attempt = [("_csrf", token.as_str()), ("codice_fiscale", "x"), ("pin", "y")];
    let max = LOGIN_PER_CLIENT.max;
    assert!(max >= 2);
    for i in 0..max {
        let browser = if i % 2 == 0 { &mut on_a } else { &mut on_b };
        let reply = browser.post("/accedi", &attempt).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    // Each node saw half of them; together they are at the limit.
    for browser in [&mut on_a, &mut on_b] {
        let reply = browser.post("/accedi", &attempt).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = reply
            .header(RETRY_AFTER.as_str())
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let alert = reply.alert().unwrap();
        assert!(
            alert.contains("Hai fatto troppi tentativi in poco tempo"),
            "{alert}"
        );
    }
    // The API says the same in problem+json.
    let api = Reply::read(
        app.client
            .post(other.url("/api/v1/auth/pin"))
            .json(&json!({"codice_fiscale": MARIO_CF, "pin": "ABCDEFGHJKLMNPQR"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(api.header(RETRY_AFTER.as_str()).is_some());
    assert_eq!(api.json()["code"], "troppe-richieste");
    assert!(
        api.json()["detail"]
            .as_str()
            .unwrap()
            .contains("Hai fatto troppi tentativi")
    );
    other.stop().await;
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 7. Delegations and mandates

/// The rows of the activity page: (who, what).
fn activity_rows(page: &Reply) -> Vec<(String, String)> {
    page.body
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| {
            let cells: Vec<&str> = row
                .split("</tr>")
                .next()?
                .split("<td>")
                .map(|c| c.trim_end_matches("</td>"))
                .collect();
            // `when</td>`, `who`, `what`
            Some((cells.get(1)?.to_string(), cells.get(2)?.to_string()))
        })
        .collect()
}

const ACTING_BANNER: &str = "Stai operando per conto di";
const NOT_IN_FORCE: &str = "Non hai una delega o un mandato in vigore";

/// Asks to act for `citizen_id`; returns the answer.
async fn act_for(browser: &mut Browser, citizen_id: &str) -> Reply {
    let token = browser.token().await;
    browser
        .post(&format!("/per-conto/{citizen_id}"), &[("_csrf", &token)])
        .await
}

/// The personal area shows `who`'s own data, with no acting banner.
async fn shows_own_data(browser: &mut Browser, who: &Person, not: &Person) {
    let area = browser.get("/area-personale").await;
    assert_eq!(area.status, StatusCode::OK);
    assert!(!area.has(ACTING_BANNER), "{}", area.body);
    assert!(area.has(&format!("{} – ", who.name)) && area.has(&who.cf));
    assert!(!area.has(&not.cf), "{}", area.body);
}

async fn delegations_let_a_trusted_adult_act_within_their_window_and_no_further(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let carla = citizen(&app, "CRLVRD70A41H501W", "Carla Verdi").await;
    let mut a = Browser::logged_in(&app, &anna).await;
    let mut b = Browser::logged_in(&app, &mario).await;

    // Delegations nobody can receive: a stranger's codice fiscale, oneself.
    let form = a.get("/area-personale/deleghe").await;
    let token = form.csrf();
    let (tomorrow, in_a_month) = (rome_date(1), rome_date(30));
    for delegate in ["ZZZZZZ00A01H501K", ANNA_CF, "not a cf"] {
        let refused = a
            .post(
                "/area-personale/deleghe",
                &[
                    ("_csrf", &token),
                    ("delegato", delegate),
                    ("dal", &tomorrow),
                    ("al", &in_a_month),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{delegate}");
        assert!(
            refused
                .alert()
                .unwrap()
                .contains("Non possiamo delegare questa persona")
        );
    }
    assert_eq!(app.count("deleghe").await, 0);

    // Anna delegates Mario from tomorrow.
    let made = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", &token),
                ("delegato", "rssmra80a01h501u"),
                ("dal", &tomorrow),
                ("al", &in_a_month),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let delega = text(
        &app.db,
        &format!("SELECT id FROM deleghe WHERE citizen_id = '{}'", anna.id),
    )
    .await;
    assert!(a.get("/area-personale/deleghe").await.has("Mario Rossi"));

    // Before it starts: refused, and Mario stays himself.
    let early = act_for(&mut b, &anna.id).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    assert!(early.has(NOT_IN_FORCE), "{}", early.body);
    shows_own_data(&mut b, &mario, &anna).await;

    // The start arrives: Mario acts for Anna, under a new session id.
    exec(
        &app.db,
        &format!(
            "UPDATE deleghe SET starts_at = {} WHERE id = '{delega}'",
            now_ms() - 60_000
        ),
    )
    .await;
    let before = b.session_cookie();
    let started = act_for(&mut b, &anna.id).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    assert_eq!(started.location(), "/area-personale");
    assert_ne!(b.session_cookie(), before, "a new session id for a new privilege");
    assert_eq!(whoami_with_cookie(&app, &before).await, StatusCode::UNAUTHORIZED);
    let area = b.get("/area-personale").await;
    assert_eq!(area.status, StatusCode::OK);
    assert!(
        area.has(&format!("{ACTING_BANNER} Anna Bianchi")),
        "{}",
        area.body
    );
    assert!(area.has("Anna Bianchi – ") && area.has(ANNA_CF));

    // …and no further: security, delegations, activity, acting for someone else.
    for path in [
        "/area-personale/sicurezza",
        "/area-personale/deleghe",
        "/area-personale/attivita",
    ] {
        assert_eq!(b.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let token = b.token().await;
    let deleghe = app.count("deleghe").await;
    let sneaky = b
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", &token),
                ("delegato", carla.cf.as_str()),
                ("dal", &tomorrow),
                ("al", &in_a_month),
            ],
        )
        .await;
    assert_eq!(sneaky.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("deleghe").await, deleghe);
    let revoke_own = b
        .post("/area-personale/sicurezza/pin/revoca", &[("_csrf", &token)])
        .await;
    assert_eq!(revoke_own.status, StatusCode::FORBIDDEN);
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT state FROM pins WHERE account_id = '{}'", anna.id)
        )
        .await,
        "attivo"
    );
    assert_eq!(act_for(&mut b, &carla.id).await.status, StatusCode::FORBIDDEN);

    // Anna sees what Mario did on her behalf.
    let activity = a.get("/area-personale/attivita").await;
    let rows = activity_rows(&activity);
    for what in [
        "Ha iniziato a operare per tuo conto",
        "Ha consultato la tua area personale",
    ] {
        assert!(
            rows.iter()
                .any(|(who, w)| who.starts_with("Mario Rossi") && w == what),
            "{what}: {rows:?}"
        );
    }

    // Back to his own data, under a new session id.
    let token = b.token().await;
    let acting = b.session_cookie();
    let stop = b.post("/per-conto/termina", &[("_csrf", &token)]).await;
    assert_eq!(stop.status, StatusCode::SEE_OTHER);
    assert_ne!(b.session_cookie(), acting);
    shows_own_data(&mut b, &mario, &anna).await;
    // Carla never delegated him.
    assert_eq!(act_for(&mut b, &carla.id).await.status, StatusCode::FORBIDDEN);

    // Anna revokes while Mario is acting: his very next request is his own again.
    assert_eq!(act_for(&mut b, &anna.id).await.status, StatusCode::SEE_OTHER);
    assert!(b.get("/area-personale").await.has(ANNA_CF));
    let token = a.token().await;
    let revoked = a
        .post(
            &format!("/area-personale/deleghe/{delega}/revoca"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    shows_own_data(&mut b, &mario, &anna).await;
    let late = act_for(&mut b, &anna.id).await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert!(late.has(NOT_IN_FORCE));

    // A new delegation from today; it ends while Mario is acting.
    let made = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", &token),
                ("delegato", MARIO_CF),
                ("dal", &rome_date(0)),
                ("al", &rome_date(10)),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(act_for(&mut b, &anna.id).await.status, StatusCode::SEE_OTHER);
    assert!(b.get("/area-personale").await.has(ANNA_CF));
    exec(
        &app.db,
        &format!(
            "UPDATE deleghe SET ends_at = {} WHERE citizen_id = '{}' AND revoked_at IS NULL",
            a_moment_ago(),
            anna.id
        ),
    )
    .await;
    shows_own_data(&mut b, &mario, &anna).await;
    assert_eq!(act_for(&mut b, &anna.id).await.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn mandates_let_an_intermediary_act_until_they_expire(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let giuseppe = citizen(&app, "SPSGPP45M10F839P", "Giuseppe Esposito").await;
    let lucia = citizen(&app, "VRDLCU75C50L219L", "Lucia Verdi").await;
    let patronato = person(
        &app,
        "FRRCRL70D55H501R",
        "Carla Ferri (Patronato)",
        Role::Intermediario,
    )
    .await;
    let mut g = Browser::logged_in(&app, &giuseppe).await;
    let mut p = Browser::logged_in(&app, &patronato).await;

    // Only a registered intermediary can hold a mandate.
    let token = g.get("/area-personale/deleghe").await.csrf();
    let refused = g
        .post(
            "/area-personale/mandati",
            &[
                ("_csrf", &token),
                ("intermediario", lucia.cf.as_str()),
                ("al", &rome_date(30)),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("mandati").await, 0);

    // Before any mandate the patronato cannot act.
    assert_eq!(act_for(&mut p, &giuseppe.id).await.status, StatusCode::FORBIDDEN);
    let granted = g
        .post(
            "/area-personale/mandati",
            &[
                ("_csrf", &token),
                ("intermediario", "frrcrl70d55h501r"),
                ("servizio", ""),
                ("al", &rome_date(30)),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    let mandato = text(
        &app.db,
        &format!("SELECT id FROM mandati WHERE citizen_id = '{}'", giuseppe.id),
    )
    .await;

    // The patronato sees the mandate and acts.
    assert!(
        p.get("/area-personale")
            .await
            .has(&format!("/per-conto/{}", giuseppe.id))
    );
    let before = p.session_cookie();
    let started = act_for(&mut p, &giuseppe.id).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    assert_ne!(p.session_cookie(), before);
    let area = p.get("/area-personale").await;
    assert!(
        area.has(&format!("{ACTING_BANNER} Giuseppe Esposito")),
        "{}",
        area.body
    );
    assert!(area.has(&giuseppe.cf));
    assert_eq!(
        p.get("/area-personale/sicurezza").await.status,
        StatusCode::FORBIDDEN
    );
    // Not for someone who gave no mandate.
    assert_eq!(act_for(&mut p, &lucia.id).await.status, StatusCode::FORBIDDEN);

    // Giuseppe sees it, with the patronato's name.
    let rows = activity_rows(&g.get("/area-personale/attivita").await);
    assert!(
        rows.iter()
            .any(|(who, what)| who.starts_with("Carla Ferri (Patronato)")
                && what == "Ha iniziato a operare per tuo conto"),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(
            |(who, what)| who.starts_with("Carla Ferri") && what == "Ha consultato la tua area personale"
        ),
        "{rows:?}"
    );

    // The mandate expires while acting: the next request shows nothing of Giuseppe's.
    exec(
        &app.db,
        &format!(
            "UPDATE mandati SET ends_at = {} WHERE id = '{mandato}'",
            a_moment_ago()
        ),
    )
    .await;
    shows_own_data(&mut p, &patronato, &giuseppe).await;
    assert_eq!(act_for(&mut p, &giuseppe.id).await.status, StatusCode::FORBIDDEN);

    // A revoked mandate does not work either.
    let granted = g
        .post(
            "/area-personale/mandati",
            &[
                ("_csrf", &token),
                ("intermediario", patronato.cf.as_str()),
                ("servizio", "assegno-unico"),
                ("al", &rome_date(30)),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    let second = text(
        &app.db,
        &format!(
            "SELECT id FROM mandati WHERE citizen_id = '{}' AND id <> '{mandato}'",
            giuseppe.id
        ),
    )
    .await;
    assert_eq!(act_for(&mut p, &giuseppe.id).await.status, StatusCode::SEE_OTHER);
    let revoked = g
        .post(
            &format!("/area-personale/mandati/{second}/revoca"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    shows_own_data(&mut p, &patronato, &giuseppe).await;
    assert_eq!(act_for(&mut p, &giuseppe.id).await.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 8. The audit chain

/// `sportello audit verify --database-url <url>`.
async fn verify_audit(database_url: &str) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["audit", "verify", "--database-url", database_url])
        .env_remove("SPORTELLO_CONFIG")
        .output()
        .await
        .expect("run sportello audit verify")
}

async fn the_audit_chain_is_append_only_and_names_the_entry_that_was_changed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Some audited activity: PINs issued, logins, a failure, a delegation, a logout.
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let mut a = Browser::logged_in(&app, &anna).await;
    assert_eq!(
        Browser::new(&app)
            .login_pin(MARIO_CF, &other_pin(&mario.pin))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let token = a.token().await;
    let made = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", &token),
                ("delegato", MARIO_CF),
                ("dal", &rome_date(0)),
                ("al", &rome_date(5)),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.post("/esci", &[("_csrf", &token)]).await.status,
        StatusCode::SEE_OTHER
    );
    let entries = app.count("audit_log").await;
    assert!(entries >= 6, "{entries}");

    let intact = verify_audit(&app.database_url).await;
    let stdout = String::from_utf8_lossy(&intact.stdout);
    assert!(intact.status.success(), "{intact:?}");
    assert!(
        stdout.contains(&format!("audit log intact: {entries} entries")),
        "{stdout}"
    );

    // While the triggers stand, the table refuses changes and removals.
    let middle = entries / 2;
    let original = text(
        &app.db,
        &format!("SELECT detail FROM audit_log WHERE seq = {middle}"),
    )
    .await;
    let change = format!("UPDATE audit_log SET detail = '{{\"client\":\"altrove\"}}' WHERE seq = {middle}");
    assert!(
        try_exec(&app.db, &change).await.is_err(),
        "UPDATE must be refused"
    );
    assert!(
        try_exec(&app.db, &format!("DELETE FROM audit_log WHERE seq = {middle}"))
            .await
            .is_err(),
        "DELETE must be refused"
    );
    assert_eq!(app.count("audit_log").await, entries);
    assert_eq!(
        text(
            &app.db,
            &format!("SELECT detail FROM audit_log WHERE seq = {middle}")
        )
        .await,
        original
    );

    // Someone with the owner's rights removes the guard and edits one entry in the middle.
    let disarm = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    };
    exec(&app.db, disarm).await;
    assert_eq!(exec(&app.db, &change).await, 1);
    let broken = verify_audit(&app.database_url).await;
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(1), "{broken:?}");
    assert!(
        stderr.contains(&format!("audit log broken at entry {middle}: ")) && stderr.contains("changed"),
        "names entry {middle}: {stderr}"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 9. Staff

const STAFF_WRONG: &str = "Nome utente, password o codice non corretti.";

async fn staff_log_in_with_password_and_a_single_use_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let paolo = staff_member(&app, "paolo.conti", "Paolo Conti", Role::OperatoreContactCenter).await;
    let elisa = staff_member(&app, "elisa.marino", "Elisa Marino", Role::OperatoreSede).await;
    let luigi = staff_member(&app, "luigi.neri", "Luigi Neri", Role::Amministratore).await;

    // Password and current code: in.
    let code = totp_now();
    let mut operator = Browser::new(&app);
    let done = operator.login_staff("paolo.conti", STAFF_PASSWORD, &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/backoffice");
    let home = operator.get("/backoffice").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.has(&paolo.name));

    // The same code again: refused, even with the right password.
    let sessions = app.count("sessions").await;
    let mut replay = Browser::new(&app);
    let refused = replay.login_staff("paolo.conti", STAFF_PASSWORD, &code).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.alert().unwrap().contains(STAFF_WRONG));
    let failures = format!(
        "SELECT CAST(failed_attempts AS BIGINT) FROM staff_credentials WHERE account_id = '{}'",
        paolo.id
    );
    assert_eq!(
        scalar(&app.db, &failures).await,
        1,
        "refused for the replayed code"
    );
    assert!(replay.session().is_none());
    assert_eq!(app.count("sessions").await, sessions);

    // A wrong password and an unknown username get the same generic answer.
    let wrong = Browser::new(&app)
        .login_staff("elisa.marino", "password-sbagliata", &totp_now())
        .await;
    let unknown = Browser::new(&app)
        .login_staff("nessuno.qui", STAFF_PASSWORD, &totp_now())
        .await;
    for reply in [&wrong, &unknown] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.alert().unwrap(), STAFF_WRONG);
    }
    // Five failures lock the account (the wrong password above was the first).
    let mut locked = None;
    for attempt in 2..=5 {
        let reply = Browser::new(&app)
            .login_staff("elisa.marino", "password-sbagliata", "000000")
            .await;
        if attempt < 5 {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        } else {
            locked = Some(reply);
        }
    }
    let locked = locked.unwrap();
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.alert().unwrap().contains("bloccato"), "{}", locked.body);
    let mut right = Browser::new(&app);
    let still = right
        .login_staff("elisa.marino", STAFF_PASSWORD, &totp_now())
        .await;
    assert_eq!(
        still.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right credentials"
    );
    assert!(right.session().is_none());
    let until = format!(
        "SELECT locked_until FROM staff_credentials WHERE account_id = '{}'",
        elisa.id
    );
    assert!(scalar_opt(&app.db, &until).await.is_some_and(|t| t > now_ms()));

    // The contact center opens Mario's card: audited, and Mario sees it.
    let card = operator.get(&format!("/backoffice/cittadini/{}", mario.id)).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.has("Mario Rossi") && card.has(MARIO_CF));
    let looked = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'staff.consultazione' AND actor_id = '{}' AND subject_id = '{}'",
        paolo.id, mario.id
    );
    assert_eq!(scalar(&app.db, &looked).await, 1);
    let mut citizen_browser = Browser::logged_in(&app, &mario).await;
    let rows = activity_rows(&citizen_browser.get("/area-personale/attivita").await);
    assert!(
        rows.iter()
            .any(|(who, what)| who.starts_with("Paolo Conti") && what == "Ha consultato i tuoi dati"),
        "{rows:?}"
    );
    // A citizen never gets into the back office.
    for path in [
        "/backoffice".to_owned(),
        "/backoffice/personale".to_owned(),
        "/backoffice/cittadini".to_owned(),
        format!("/backoffice/cittadini/{}", mario.id),
        "/backoffice/lettere".to_owned(),
    ] {
        assert_eq!(
            citizen_browser.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // Staff are not citizens on the citizens' side.
    assert_eq!(
        operator.get("/area-personale").await.status,
        StatusCode::FORBIDDEN
    );

    // An administrator creates a staff member and sees the TOTP secret once.
    let mut admin = staff_browser(&app, &luigi).await;
    let page = admin.get("/backoffice/personale").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.csrf();
    let created = admin
        .post(
            "/backoffice/personale",
            &[
                ("_csrf", &token),
                ("username", "nuova.operatrice"),
                ("nome", "Nuova Operatrice"),
                ("ruolo", "operatore_pue"),
                ("sede", ""),
                ("password", "una-password-nuova-lunga"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = text(
        &app.db,
        "SELECT totp_secret FROM staff_credentials WHERE username = 'nuova.operatrice'",
    )
    .await;
    assert!(
        created.has(&secret) && created.has("otpauth://"),
        "{}",
        created.body
    );
    let again = admin.get("/backoffice/personale").await;
    assert!(again.has("Nuova Operatrice") && !again.has(&secret), "shown once");
    // The new member logs in with it.
    let code = sportello::identity::staff::current_code(&secret).unwrap();
    let first = Browser::new(&app)
        .login_staff("nuova.operatrice", "una-password-nuova-lunga", &code)
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    // Only administrators manage staff.
    assert_eq!(
        operator.get("/backoffice/personale").await.status,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 10. Changing an id in any URL never reaches another citizen's data

/// Whether a route that takes an id is scoped to who may see or change the object.
enum Scope {
    /// Ownership or role decides; the walk below tries it with someone else's ids.
    Guarded,
    /// The id names nothing personal (why).
    Public(&'static str),
}

/// Every route of `src/app.rs` that takes an id. A new one fails the test until it has a case.
const ID_ROUTES: &[(&str, Scope)] = &[
    ("/area-personale/sicurezza/sessioni/{id}/termina", Scope::Guarded),
    ("/area-personale/deleghe/{id}/revoca", Scope::Guarded),
    ("/area-personale/mandati/{id}/revoca", Scope::Guarded),
    ("/per-conto/{citizen_id}", Scope::Guarded),
    ("/backoffice/cittadini/{id}", Scope::Guarded),
    ("/backoffice/cittadini/{id}/dispositivo", Scope::Guarded),
    ("/backoffice/cittadini/{id}/pin", Scope::Guarded),
    ("/backoffice/cittadini/{id}/pin/revoca", Scope::Guarded),
    ("/backoffice/cittadini/{id}/deleghe", Scope::Guarded),
    ("/backoffice/cittadini/{id}/assistenza", Scope::Guarded),
    ("/backoffice/lettere/{file}", Scope::Guarded),
    ("/api/v1/dispositivi/{id}", Scope::Guarded),
    ("/area-personale/cassetta/{id}", Scope::Guarded),
    ("/area-personale/cassetta/{id}/pdf", Scope::Guarded),
    ("/api/v1/cassetta/{id}", Scope::Guarded),
    ("/api/v1/cassetta/{id}/pdf", Scope::Guarded),
    ("/area-personale/quesiti/{id}", Scope::Guarded),
    ("/area-personale/quesiti/{id}/messaggi", Scope::Guarded),
    ("/area-personale/quesiti/{id}/riapri", Scope::Guarded),
    ("/area-personale/quesiti/{id}/valutazione", Scope::Guarded),
    ("/area-personale/quesiti/{id}/allegati/{allegato}", Scope::Guarded),
    ("/backoffice/risponde/{id}", Scope::Guarded),
    ("/backoffice/risponde/{id}/assegna", Scope::Guarded),
    ("/backoffice/risponde/{id}/nota", Scope::Guarded),
    ("/backoffice/risponde/{id}/risposta", Scope::Guarded),
    ("/backoffice/risponde/{id}/inoltra", Scope::Guarded),
    ("/backoffice/risponde/{id}/unisci", Scope::Guarded),
    ("/backoffice/risponde/{id}/chiudi", Scope::Guarded),
    ("/backoffice/risponde/{id}/allegati/{allegato}", Scope::Guarded),
    ("/api/v1/quesiti/{id}", Scope::Guarded),
    ("/api/v1/quesiti/{id}/messaggi", Scope::Guarded),
    ("/api/v1/quesiti/{id}/valutazione", Scope::Guarded),
    ("/area-personale/domande/{id}", Scope::Guarded),
    ("/area-personale/domande/{id}/passo/{passo}", Scope::Guarded),
    ("/area-personale/domande/{id}/riepilogo", Scope::Guarded),
    ("/area-personale/domande/{id}/invio", Scope::Guarded),
    ("/area-personale/domande/{id}/elimina", Scope::Guarded),
    ("/area-personale/domande/{id}/ritiro", Scope::Guarded),
    ("/area-personale/domande/{id}/ricorso", Scope::Guarded),
    ("/area-personale/domande/{id}/integrazione", Scope::Guarded),
    ("/area-personale/domande/{id}/ricevuta.pdf", Scope::Guarded),
    ("/area-personale/domande/{id}/allegati/{allegato}", Scope::Guarded),
    ("/backoffice/domande/{id}", Scope::Guarded),
    ("/backoffice/domande/{id}/assegna", Scope::Guarded),
    ("/backoffice/domande/{id}/atto", Scope::Guarded),
    ("/backoffice/domande/{id}/note", Scope::Guarded),
    ("/backoffice/domande/{id}/allegati/{allegato}", Scope::Guarded),
    ("/backoffice/domande/{id}/ricevuta.pdf", Scope::Guarded),
    ("/api/v1/domande/{id}", Scope::Guarded),
    ("/api/v1/domande/{id}/passi/{passo}", Scope::Guarded),
    ("/api/v1/domande/{id}/invio", Scope::Guarded),
    ("/api/v1/domande/{id}/ritiro", Scope::Guarded),
    ("/api/v1/domande/{id}/ricevuta", Scope::Guarded),
    (
        "/api/v1/moduli/{codice}",
        Scope::Public("the institution's forms: the same definition for everyone"),
    ),
    (
        "/verifica/{protocollo}",
        Scope::Public(
            "answers only with the receipt's secret code, and then only what the receipt says, never whose it is (domande.rs)",
        ),
    ),
    (
        "/backoffice/risponde/risposte-tipo/{id}",
        Scope::Public(
            "the institution's canned answers, no citizen's data; administrators only (risponde.rs)",
        ),
    ),
    (
        "/backoffice/risponde/risposte-tipo/{id}/elimina",
        Scope::Public(
            "the institution's canned answers, no citizen's data; administrators only (risponde.rs)",
        ),
    ),
    (
        "/backoffice/sedi/{id}/competenze",
        Scope::Public("which topics a sede handles, no citizen's data; administrators only (risponde.rs)"),
    ),
    (
        "/backoffice/sedi/{id}/competenze/{competenza}/elimina",
        Scope::Public("which topics a sede handles, no citizen's data; administrators only (risponde.rs)"),
    ),
    (
        "/api/v1/codice-fiscale/{code}",
        Scope::Public("a pure function of the code in the URL: no stored data behind it"),
    ),
    (
        "/servizi/{slug}",
        Scope::Public("published service cards: the same page for everyone"),
    ),
    (
        "/notizie/{slug}",
        Scope::Public("published news: the same page for everyone"),
    ),
    (
        "/bandi/{slug}",
        Scope::Public("published calls: the same page for everyone"),
    ),
    (
        "/avvisi/{slug}",
        Scope::Public("published scam alerts: the same page for everyone"),
    ),
    (
        "/api/v1/servizi/{slug}",
        Scope::Public("published service cards: the same data for everyone"),
    ),
    (
        "/backoffice/contenuti/{id}",
        Scope::Public("the institution's pages, no citizen's data; editors only (catalog.rs tests the role)"),
    ),
    (
        "/backoffice/contenuti/{id}/pubblicazione",
        Scope::Public("the institution's pages, no citizen's data; editors only (catalog.rs tests the role)"),
    ),
    (
        "/backoffice/contenuti/{id}/versioni",
        Scope::Public("the institution's pages, no citizen's data; editors only (catalog.rs tests the role)"),
    ),
    (
        "/backoffice/contenuti/{id}/versioni/{number}/ripristina",
        Scope::Public("the institution's pages, no citizen's data; editors only (catalog.rs tests the role)"),
    ),
    (
        "/lingua/{code}",
        Scope::Public("a language code: the same two choices for everyone"),
    ),
    (
        "/static/{hash}/{*path}",
        Scope::Public("public, content-addressed assets (CSS, fonts, icons)"),
    ),
];

/// The route patterns with an id declared in `src/app.rs`.
fn routes_with_ids() -> std::collections::BTreeSet<String> {
    let source = include_str!("../../src/app.rs");
    let mut found = std::collections::BTreeSet::new();
    for piece in source.split(".route(").skip(1) {
        let piece = piece.trim_start();
        let Some(rest) = piece.strip_prefix('"') else {
            continue; // a computed path (the text pages): no literal to check
        };
        let path = &rest[..rest.find('"').expect("closing quote")];
        if path.contains('{') {
            found.insert(path.to_owned());
        }
    }
    found
}

/// Someone who should not reach Anna's objects, with their own valid form token.
struct Intruder {
    label: &'static str,
    browser: Browser,
    token: String,
}

impl Intruder {
    async fn new(label: &'static str, mut browser: Browser) -> Intruder {
        let token = browser.token().await;
        Intruder {
            label,
            browser,
            token,
        }
    }

    /// Tries `path`: refused (403/404) and nothing of Anna's in the answer.
    async fn tries(&mut self, method: &str, path: &str, fields: &[(&str, &str)]) {
        let reply = if method == "GET" {
            self.browser.get(path).await
        } else {
            let mut form = fields.to_vec();
            form.push(("_csrf", &self.token));
            self.browser.post(path, &form).await
        };
        assert!(
            matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{} {method} {path}: {} {}",
            self.label,
            reply.status,
            reply.body
        );
        assert!(
            !reply.has("Anna Bianchi") && !reply.has(ANNA_CF),
            "{} {method} {path} shows Anna's data: {}",
            self.label,
            reply.body
        );
    }
}

/// A question of Anna's at a sede of its own, with an attachment: ids of both.
async fn anna_question(app: &TestApp, anna_id: &str) -> (String, String) {
    use sportello::risponde::{model, store};
    let sede = sportello::identity::staff::create_sede(&app.db, "NA-001", "Sede di Napoli", "Napoli", None)
        .await
        .unwrap()
        .unwrap();
    let created = store::create(
        &app.db,
        &store::NewQuestion {
            account_id: anna_id.to_owned(),
            asked_by: anna_id.to_owned(),
            topic: model::topic("pensioni").unwrap(),
            to_sede: true,
            subject: "Quesito di Anna Bianchi".to_owned(),
            application_ref: None,
            message: store::NewMessage {
                author_id: anna_id.to_owned(),
                author_role: "cittadino".to_owned(),
                body: "Il testo del quesito di Anna".to_owned(),
                internal: false,
                attachments: vec![store::NewAttachment {
                    file_key: "quesiti/0000".to_owned(),
                    name: "documento.pdf".to_owned(),
                    mime: "application/pdf".to_owned(),
                    size: 10,
                }],
            },
            sede: store::sede(&app.db, &sede).await.unwrap(),
        },
        &sportello::audit::Entry::new("test"),
        sportello::storage::now_ms(),
    )
    .await
    .unwrap();
    let allegato = text(&app.db, "SELECT id FROM question_attachments").await;
    (created.id, allegato)
}

/// Anna's applications, made through the API: a draft with an attachment and a filed
/// certificato. Returns (draft, its attachment, filed). Her session goes back to ordinario.
async fn anna_applications(app: &TestApp, a: &mut Browser, anna_id: &str) -> (String, String, String) {
    let raise =
        |level: &str| format!("UPDATE sessions SET auth_level = '{level}' WHERE account_id = '{anna_id}'");
    exec(&app.db, &raise("dispositivo")).await;
    let call = |path: &str, body: serde_json::Value| {
        app.client
            .post(app.url(path))
            .header("cookie", a.cookie_header())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let draft = Reply::read(
        call("/api/v1/domande", json!({"modulo": "bando-locazione-popolare"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    let draft = draft.json()["id"].as_str().unwrap().to_owned();
    let filed = Reply::read(
        call(
            "/api/v1/domande",
            json!({"modulo": "certificato-residenza", "invia": true, "risposte": {
                "intestatario": "se-stesso", "uso": "bollo", "copie": "1", "email": "anna@example.it"
            }}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let filed = filed.json()["id"].as_str().unwrap().to_owned();
    let token = a.token().await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let up = post_multipart(
        app,
        a,
        &format!("/area-personale/domande/{draft}/passo/3"),
        &[
            Part::Field("_csrf", &token),
            Part::Field("sfratto", "si"),
            Part::File("file:provvedimento_sfratto", "sfratto-anna.pdf", pdf),
        ],
    )
    .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    exec(&app.db, &raise("ordinario")).await;
    let file = text(&app.db, "SELECT id FROM domanda_attachments").await;
    (draft, file, filed)
}

/// Everything about applications an intruder could change, in one comparable value.
async fn domande_state(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM domande",
        "SELECT CAST(COALESCE(SUM(revision), 0) AS BIGINT) FROM domande",
        "SELECT COUNT(*) FROM domanda_events",
        "SELECT COUNT(*) FROM domanda_notes",
        "SELECT COUNT(*) FROM domanda_attachments",
        "SELECT COUNT(*) FROM domande WHERE assigned_to IS NOT NULL",
    ] {
        out.push(scalar(&app.db, sql).await.to_string());
    }
    out
}

fn test_letter(account_id: &str) -> sportello::letters::Letter {
    use sportello::letters::{Letter, LetterCode, PostalAddress};
    Letter {
        account_id: Some(account_id.to_owned()),
        sender: vec!["Comune di Prova".to_owned()],
        recipient: PostalAddress {
            name: "Anna Bianchi".to_owned(),
            street: "Via dei Mille 12".to_owned(),
            cap: "00185".to_owned(),
            comune: "Roma".to_owned(),
            provincia: "RM".to_owned(),
        },
        kind: "pin".to_owned(),
        subject: "La seconda metà del tuo PIN".to_owned(),
        paragraphs: vec!["Ecco la seconda metà del PIN.".to_owned()],
        reference: "PIN-PROVA".to_owned(),
        confidential: true,
        code: Some(LetterCode {
            label: "Seconda metà del PIN:".to_owned(),
            value: "K7Q2M9XA".to_owned(),
        }),
    }
}

async fn no_id_in_any_url_reaches_another_citizens_data(backend: Backend) {
    let declared = routes_with_ids();
    let covered: std::collections::BTreeSet<String> =
        ID_ROUTES.iter().map(|(path, _)| (*path).to_owned()).collect();
    assert_eq!(
        declared, covered,
        "every route of src/app.rs that takes an id needs a case in ID_ROUTES (and only those)"
    );

    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let dario = citizen(&app, "DRAMNC60A01F205U", "Dario Mancini").await;
    let patronato = person(
        &app,
        "FRRCRL70D55H501R",
        "Carla Ferri (Patronato)",
        Role::Intermediario,
    )
    .await;
    let other_patronato = person(&app, "CAFSTD80A01H501P", "CAF Studio Uno", Role::Intermediario).await;

    // Anna's objects: her session, a delegation, a mandate, her account, a letter batch.
    let mut a = Browser::logged_in(&app, &anna).await;
    let security = a.get("/area-personale/sicurezza").await;
    let own_session = public_id(&a.session().unwrap());
    assert!(security.has(&format!("/sessioni/{own_session}/termina")));
    let token = a.token().await;
    let made = a
        .post(
            "/area-personale/deleghe",
            &[
                ("_csrf", &token),
                ("delegato", dario.cf.as_str()),
                ("dal", &rome_date(0)),
                ("al", &rome_date(30)),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let granted = a
        .post(
            "/area-personale/mandati",
            &[
                ("_csrf", &token),
                ("intermediario", other_patronato.cf.as_str()),
                ("al", &rome_date(30)),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    let delega = text(
        &app.db,
        &format!("SELECT id FROM deleghe WHERE citizen_id = '{}'", anna.id),
    )
    .await;
    let mandato = text(
        &app.db,
        &format!("SELECT id FROM mandati WHERE citizen_id = '{}'", anna.id),
    )
    .await;
    let queued = sportello::letters::queue_letter(&app.db, &app.files, &test_letter(&anna.id))
        .await
        .unwrap();
    sportello::letters::close_open_batch(&app.db, &app.files, "cli")
        .await
        .unwrap()
        .expect("a batch to close");
    let batch_pdf = format!("{}.pdf", queued.batch_id);
    let letter_for_anna = sportello::cassetta::deliver(
        &app.db,
        &app.files,
        &sportello::cassetta::NewMessage {
            account_id: anna.id.clone(),
            kind: sportello::cassetta::MessageKind::Decisione,
            subject: "Decisione per Anna Bianchi".to_owned(),
            sender_office: "Sede di Roma Centro".to_owned(),
            paragraphs: vec![format!("Codice fiscale {ANNA_CF}: domanda accolta.")],
            reference: None,
        },
    )
    .await
    .unwrap();

    // The people who try: another citizen, an intermediary without Anna's mandate, and staff
    // whose role does not allow the action.
    let staff = |cf: &'static str, name: &'static str, role: Role| {
        let app = &app;
        async move { Browser::holding(app, &app.login_as_role(cf, name, role).await) }
    };
    let mut mario_b = Intruder::new("citizen", Browser::logged_in(&app, &mario).await).await;
    let mut broker = Intruder::new("intermediary", Browser::logged_in(&app, &patronato).await).await;
    let mut contact = Intruder::new(
        "contact center",
        staff("PLACNT70A01H501Q", "Paolo Conti", Role::OperatoreContactCenter).await,
    )
    .await;
    let mut sede = Intruder::new(
        "sede",
        staff("LSAMRN70A41H501U", "Elisa Marino", Role::OperatoreSede).await,
    )
    .await;
    let mut editor = Intruder::new(
        "redattore",
        staff("SRARCC70A41H501S", "Sara Ricci", Role::Redattore).await,
    )
    .await;
    let mut admin = Intruder::new(
        "amministratore",
        staff("LGUNRI70A01H501P", "Luigi Neri", Role::Amministratore).await,
    )
    .await;
    // Anna's question at a sede none of the intruders works at, with an attachment.
    let (quesito, allegato) = anna_question(&app, &anna.id).await;
    // Anna's applications: a draft with an attachment, and a filed one (filing needs a PIN
    // dispositivo, lent to her session for the purpose).
    let (draft, draft_file, filed) = anna_applications(&app, &mut a, &anna.id).await;
    let looked_before = audited(&app.db, "staff.consultazione", Some(&anna.id)).await;
    let deleghe_before = app.count("deleghe").await;
    let downloads = "SELECT CAST(download_count AS BIGINT) FROM print_batches";

    for (pattern, scope) in ID_ROUTES {
        match *pattern {
            "/area-personale/sicurezza/sessioni/{id}/termina" => {
                let path = format!("/area-personale/sicurezza/sessioni/{own_session}/termina");
                for who in [&mut mario_b, &mut broker, &mut contact] {
                    who.tries("POST", &path, &[]).await;
                }
                assert_eq!(
                    a.whoami().await.status,
                    StatusCode::OK,
                    "Anna's session still open"
                );
            }
            "/area-personale/deleghe/{id}/revoca" => {
                let path = format!("/area-personale/deleghe/{delega}/revoca");
                for who in [&mut mario_b, &mut broker, &mut contact] {
                    who.tries("POST", &path, &[]).await;
                }
                let sql = format!("SELECT revoked_at FROM deleghe WHERE id = '{delega}'");
                assert_eq!(scalar_opt(&app.db, &sql).await, None);
            }
            "/area-personale/mandati/{id}/revoca" => {
                let path = format!("/area-personale/mandati/{mandato}/revoca");
                for who in [&mut mario_b, &mut broker, &mut contact] {
                    who.tries("POST", &path, &[]).await;
                }
                let sql = format!("SELECT revoked_at FROM mandati WHERE id = '{mandato}'");
                assert_eq!(scalar_opt(&app.db, &sql).await, None);
            }
            "/per-conto/{citizen_id}" => {
                let path = format!("/per-conto/{}", anna.id);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut admin] {
                    who.tries("POST", &path, &[]).await;
                }
                let area = mario_b.browser.get("/area-personale").await;
                assert!(!area.has(ANNA_CF) && !area.has(ACTING_BANNER));
            }
            "/backoffice/cittadini/{id}" => {
                let path = format!("/backoffice/cittadini/{}", anna.id);
                for who in [&mut mario_b, &mut broker, &mut editor, &mut admin] {
                    who.tries("GET", &path, &[]).await;
                }
                assert_eq!(
                    audited(&app.db, "staff.consultazione", Some(&anna.id)).await,
                    looked_before
                );
            }
            "/backoffice/cittadini/{id}/dispositivo" => {
                let path = format!("/backoffice/cittadini/{}/dispositivo", anna.id);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut editor, &mut admin] {
                    who.tries("POST", &path, &[("documento", "CI AB1234567")]).await;
                }
                let sql = format!("SELECT level FROM pins WHERE account_id = '{}'", anna.id);
                assert_eq!(text(&app.db, &sql).await, "ordinario");
            }
            "/backoffice/cittadini/{id}/pin" => {
                // Only the contact center issues a PIN by phone: nobody else replaces Anna's.
                let path = format!("/backoffice/cittadini/{}/pin", anna.id);
                let sql = format!(
                    "SELECT id FROM pins WHERE account_id = '{}' AND state = 'attivo'",
                    anna.id
                );
                let pin_before = text(&app.db, &sql).await;
                for who in [&mut mario_b, &mut broker, &mut sede, &mut editor, &mut admin] {
                    who.tries("POST", &path, &[("identita_verificata", "si")]).await;
                }
                assert_eq!(text(&app.db, &sql).await, pin_before);
            }
            "/backoffice/cittadini/{id}/pin/revoca" => {
                let path = format!("/backoffice/cittadini/{}/pin/revoca", anna.id);
                for who in [&mut mario_b, &mut broker, &mut editor, &mut admin] {
                    who.tries("POST", &path, &[]).await;
                }
                let sql = format!("SELECT state FROM pins WHERE account_id = '{}'", anna.id);
                assert_eq!(text(&app.db, &sql).await, "attivo");
            }
            "/backoffice/cittadini/{id}/deleghe" => {
                let path = format!("/backoffice/cittadini/{}/deleghe", anna.id);
                let (from, to) = (rome_date(40), rome_date(50));
                let fields = [
                    ("delegato", MARIO_CF),
                    ("dal", from.as_str()),
                    ("al", to.as_str()),
                    ("consenso", "consenso firmato allo sportello"),
                ];
                for who in [
                    &mut mario_b,
                    &mut broker,
                    &mut contact,
                    &mut sede,
                    &mut editor,
                    &mut admin,
                ] {
                    who.tries("POST", &path, &fields).await;
                }
                assert_eq!(app.count("deleghe").await, deleghe_before);
            }
            "/backoffice/cittadini/{id}/assistenza" => {
                // Only an operatore PUE assists at the desk: nobody else opens an assistance,
                // and nobody's session starts acting for Anna.
                let path = format!("/backoffice/cittadini/{}/assistenza", anna.id);
                let fields = [("documento", "Carta d'identità CA12345AB"), ("presente", "si")];
                for who in [
                    &mut mario_b,
                    &mut broker,
                    &mut contact,
                    &mut sede,
                    &mut editor,
                    &mut admin,
                ] {
                    who.tries("POST", &path, &fields).await;
                }
                assert_eq!(app.count("assistenze").await, 0);
                let acting = format!("SELECT COUNT(*) FROM sessions WHERE acting_for = '{}'", anna.id);
                assert_eq!(scalar(&app.db, &acting).await, 0);
            }
            "/backoffice/lettere/{file}" => {
                let path = format!("/backoffice/lettere/{batch_pdf}");
                for who in [&mut mario_b, &mut broker, &mut contact, &mut editor] {
                    who.tries("GET", &path, &[]).await;
                }
                assert_eq!(scalar(&app.db, downloads).await, 0);
            }
            "/area-personale/cassetta/{id}"
            | "/area-personale/cassetta/{id}/pdf"
            | "/api/v1/cassetta/{id}"
            | "/api/v1/cassetta/{id}/pdf" => {
                // Another citizen and an intermediary without Anna's mandate find nothing (404);
                // staff have no mailbox here (403).
                let path = pattern.replace("{id}", &letter_for_anna);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut sede, &mut admin] {
                    who.tries("GET", &path, &[]).await;
                }
                let sql = format!("SELECT read_at FROM mailbox_messages WHERE id = '{letter_for_anna}'");
                assert_eq!(scalar_opt(&app.db, &sql).await, None, "still unread");
                assert_eq!(audited(&app.db, "cassetta.letta", Some(&anna.id)).await, 0);
            }
            "/area-personale/quesiti/{id}"
            | "/area-personale/quesiti/{id}/messaggi"
            | "/area-personale/quesiti/{id}/riapri"
            | "/area-personale/quesiti/{id}/valutazione"
            | "/area-personale/quesiti/{id}/allegati/{allegato}"
            | "/backoffice/risponde/{id}"
            | "/backoffice/risponde/{id}/assegna"
            | "/backoffice/risponde/{id}/nota"
            | "/backoffice/risponde/{id}/risposta"
            | "/backoffice/risponde/{id}/inoltra"
            | "/backoffice/risponde/{id}/unisci"
            | "/backoffice/risponde/{id}/chiudi"
            | "/backoffice/risponde/{id}/allegati/{allegato}" => {
                let path = pattern.replace("{id}", &quesito).replace("{allegato}", &allegato);
                let method = if path.ends_with(&allegato) || path.ends_with(&quesito) {
                    "GET"
                } else {
                    "POST"
                };
                let fields = [
                    ("testo", "Testo di un estraneo, abbastanza lungo"),
                    ("a", "me"),
                    ("numero", "Q-2026-000001"),
                    ("velocita", "1"),
                    ("completezza", "1"),
                    ("chiarezza", "1"),
                    ("utilita", "1"),
                    ("risolto", "si"),
                    ("motivo", "Chiuso da un estraneo"),
                ];
                let intruders: Vec<&mut Intruder> = if path.starts_with("/backoffice") {
                    vec![&mut mario_b, &mut broker, &mut contact, &mut sede, &mut editor]
                } else {
                    vec![&mut mario_b, &mut broker, &mut contact, &mut admin]
                };
                let opened = audited(&app.db, "quesito.aperto", Some(&anna.id)).await;
                for who in intruders {
                    who.tries(method, &path, &fields).await;
                }
                assert_eq!(audited(&app.db, "quesito.aperto", Some(&anna.id)).await, opened);
                assert_eq!(app.count("question_messages").await, 1);
                assert_eq!(app.count("question_ratings").await, 0);
                let sql = format!("SELECT state FROM questions WHERE id = '{quesito}'");
                assert_eq!(text(&app.db, &sql).await, "inviata");
            }
            "/api/v1/quesiti/{id}" | "/api/v1/quesiti/{id}/messaggi" | "/api/v1/quesiti/{id}/valutazione" => {
                let path = pattern.replace("{id}", &quesito);
                let body = serde_json::json!({
                    "testo": "Testo di un estraneo, abbastanza lungo",
                    "velocita": 1, "completezza": 1, "chiarezza": 1, "utilita": 1, "risolto": true
                });
                for who in [&mut mario_b, &mut broker, &mut contact, &mut admin] {
                    let request = if *pattern == "/api/v1/quesiti/{id}" {
                        app.client.get(app.url(&path))
                    } else {
                        app.client
                            .post(app.url(&path))
                            .header("content-type", "application/json")
                            .body(body.to_string())
                    };
                    let reply = Reply::read(
                        request
                            .header("cookie", who.browser.cookie_header())
                            .send()
                            .await
                            .unwrap(),
                    )
                    .await;
                    assert!(
                        matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                        "{} {path}: {}",
                        who.label,
                        reply.status
                    );
                    assert!(!reply.has("Anna Bianchi") && !reply.has(ANNA_CF) && !reply.has("Q-"));
                }
                assert_eq!(app.count("question_messages").await, 1);
                assert_eq!(app.count("question_ratings").await, 0);
            }
            "/area-personale/domande/{id}"
            | "/area-personale/domande/{id}/passo/{passo}"
            | "/area-personale/domande/{id}/riepilogo"
            | "/area-personale/domande/{id}/invio"
            | "/area-personale/domande/{id}/elimina"
            | "/area-personale/domande/{id}/ritiro"
            | "/area-personale/domande/{id}/ricorso"
            | "/area-personale/domande/{id}/integrazione"
            | "/area-personale/domande/{id}/ricevuta.pdf"
            | "/area-personale/domande/{id}/allegati/{allegato}"
            | "/backoffice/domande/{id}"
            | "/backoffice/domande/{id}/assegna"
            | "/backoffice/domande/{id}/atto"
            | "/backoffice/domande/{id}/note"
            | "/backoffice/domande/{id}/allegati/{allegato}"
            | "/backoffice/domande/{id}/ricevuta.pdf" => {
                let before = domande_state(&app).await;
                let opened = audited(&app.db, "domanda.aperta", Some(&anna.id)).await;
                // The draft for the citizen's paths that act on drafts, the filed one otherwise.
                let on_draft = ["/passo/", "/riepilogo", "/invio", "/elimina", "/allegati/"]
                    .iter()
                    .any(|p| pattern.contains(p))
                    && !pattern.starts_with("/backoffice");
                let id = if on_draft { &draft } else { &filed };
                let path = pattern
                    .replace("{id}", id)
                    .replace("{passo}", "1")
                    .replace("{allegato}", &draft_file);
                let intruders: Vec<&mut Intruder> = if path.starts_with("/backoffice") {
                    vec![&mut mario_b, &mut broker, &mut contact, &mut sede, &mut editor]
                } else {
                    vec![&mut mario_b, &mut broker, &mut contact, &mut admin]
                };
                let fields = [
                    ("atto", "accogli"),
                    ("motivazione", "Decisione di un estraneo"),
                    ("testo", "Nota di un estraneo"),
                    ("assegnatario", "me"),
                ];
                for who in intruders {
                    let multipart = path.contains("/passo/") || path.ends_with("/integrazione");
                    if multipart {
                        let reply = post_multipart(
                            &app,
                            &who.browser,
                            &path,
                            &[Part::Field("_csrf", &who.token), Part::Field("sfratto", "no")],
                        )
                        .await;
                        assert!(
                            matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                            "{} POST {path}: {}",
                            who.label,
                            reply.status
                        );
                        assert!(!reply.has("Anna Bianchi") && !reply.has(ANNA_CF));
                    }
                    let method = if path.ends_with(".pdf")
                        || path.contains("/allegati/")
                        || path.ends_with("/riepilogo")
                        || path.ends_with(id.as_str())
                        || path.contains("/passo/")
                    {
                        "GET"
                    } else {
                        "POST"
                    };
                    if !(multipart && method == "POST") {
                        who.tries(method, &path, &fields).await;
                    }
                }
                assert_eq!(domande_state(&app).await, before, "{path}");
                assert_eq!(audited(&app.db, "domanda.aperta", Some(&anna.id)).await, opened);
            }
            "/api/v1/domande/{id}"
            | "/api/v1/domande/{id}/passi/{passo}"
            | "/api/v1/domande/{id}/invio"
            | "/api/v1/domande/{id}/ritiro"
            | "/api/v1/domande/{id}/ricevuta" => {
                let before = domande_state(&app).await;
                for id in [&draft, &filed] {
                    let path = pattern.replace("{id}", id).replace("{passo}", "3");
                    let methods: &[&str] = match *pattern {
                        "/api/v1/domande/{id}" => &["GET", "DELETE"],
                        "/api/v1/domande/{id}/passi/{passo}" => &["PUT"],
                        "/api/v1/domande/{id}/ricevuta" => &["GET"],
                        _ => &["POST"],
                    };
                    for method in methods {
                        for who in [&mut mario_b, &mut broker, &mut contact, &mut admin] {
                            let request = match *method {
                                "GET" => app.client.get(app.url(&path)),
                                "DELETE" => app.client.delete(app.url(&path)),
                                "PUT" => app
                                    .client
                                    .put(app.url(&path))
                                    .header("content-type", "application/json")
                                    .body(json!({"risposte": {"sfratto": "no"}}).to_string()),
                                _ => app.client.post(app.url(&path)),
                            };
                            let reply = Reply::read(
                                request
                                    .header("cookie", who.browser.cookie_header())
                                    .send()
                                    .await
                                    .unwrap(),
                            )
                            .await;
                            assert!(
                                matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                                "{} {method} {path}: {}",
                                who.label,
                                reply.status
                            );
                            assert!(!reply.has("Anna") && !reply.has(ANNA_CF) && !reply.has("COMUNE."));
                        }
                    }
                }
                assert_eq!(domande_state(&app).await, before);
            }
            "/api/v1/moduli/{codice}" | "/verifica/{protocollo}" => {
                let Scope::Public(why) = scope else {
                    panic!("{pattern} is listed as public")
                };
                assert!(!why.is_empty());
                let protocol = text(
                    &app.db,
                    &format!("SELECT protocol FROM domande WHERE id = '{filed}'"),
                )
                .await;
                let path = pattern
                    .replace("{codice}", "certificato-residenza")
                    .replace("{protocollo}", &protocol);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut admin] {
                    let reply = who.browser.get(&path).await;
                    assert!(!reply.has("Anna") && !reply.has(ANNA_CF), "{path}");
                    if path.starts_with("/verifica") {
                        assert_eq!(reply.status, StatusCode::NOT_FOUND, "without the receipt's code");
                    }
                }
            }
            "/backoffice/sedi/{id}/competenze" | "/backoffice/sedi/{id}/competenze/{competenza}/elimina" => {
                let Scope::Public(why) = scope else {
                    panic!("{pattern} is listed as public")
                };
                assert!(!why.is_empty());
                let napoli = text(&app.db, "SELECT id FROM sedi WHERE codice = 'NA-001'").await;
                let competence = sportello::risponde::competenze::ANY;
                sportello::risponde::competenze::add(
                    &app.db,
                    &napoli,
                    "pensioni",
                    "NA",
                    &sportello::audit::Entry::new("test"),
                )
                .await
                .unwrap();
                let existing = text(&app.db, "SELECT id FROM sede_competenze").await;
                let path = pattern
                    .replace("{id}", &napoli)
                    .replace("{competenza}", &existing);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut sede, &mut editor] {
                    if !path.ends_with("/elimina") {
                        who.tries("GET", &path, &[]).await;
                    }
                    who.tries("POST", &path, &[("argomento", competence), ("provincia", "RM")])
                        .await;
                }
                assert_eq!(app.count("sede_competenze").await, 1);
                exec(&app.db, "DELETE FROM sede_competenze").await;
            }
            "/backoffice/risponde/risposte-tipo/{id}" | "/backoffice/risponde/risposte-tipo/{id}/elimina" => {
                let Scope::Public(why) = scope else {
                    panic!("{pattern} is listed as public")
                };
                assert!(!why.is_empty());
                let path = pattern.replace("{id}", &quesito);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut sede, &mut editor] {
                    who.tries(
                        "POST",
                        &path,
                        &[
                            ("argomento", "altro"),
                            ("titolo", "x"),
                            ("testo", "abbastanza lungo"),
                        ],
                    )
                    .await;
                }
                assert_eq!(app.count("canned_answers").await, 0);
            }
            "/api/v1/dispositivi/{id}" => {
                // Anna's phone: nobody else removes it (the DELETE carries their session cookie).
                let phone = sportello::notify::devices::register(
                    &app.db,
                    &anna.id,
                    "fcm-anna-idor",
                    sportello::notify::Platform::Android,
                    "Telefono di Anna",
                )
                .await
                .unwrap();
                let path = format!("/api/v1/dispositivi/{}", phone.id);
                for who in [&mut mario_b, &mut broker, &mut contact, &mut sede, &mut admin] {
                    let reply = Reply::read(
                        app.client
                            .delete(app.url(&path))
                            .header(reqwest::header::COOKIE, who.browser.cookie_header())
                            .send()
                            .await
                            .unwrap(),
                    )
                    .await;
                    assert!(
                        matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                        "{} DELETE {path}: {}",
                        who.label,
                        reply.status
                    );
                    assert!(!reply.has("Anna") && !reply.has(ANNA_CF));
                }
                let sql = format!("SELECT COUNT(*) FROM push_devices WHERE id = '{}'", phone.id);
                assert_eq!(scalar(&app.db, &sql).await, 1);
            }
            "/api/v1/codice-fiscale/{code}" | "/lingua/{code}" | "/static/{hash}/{*path}" => {
                let Scope::Public(why) = scope else {
                    panic!("{pattern} is listed as public")
                };
                assert!(!why.is_empty());
                let path = pattern
                    .replace("codice-fiscale/{code}", &format!("codice-fiscale/{ANNA_CF}"))
                    .replace("{code}", "en")
                    .replace("{hash}/{*path}", "0000/x.css");
                let reply = mario_b.browser.get(&path).await;
                // The codice fiscale endpoint echoes the code it was given (that is its job);
                // it must not add anything stored about the person.
                let echoes_input = pattern.contains("codice-fiscale");
                assert!(
                    !reply.has("Anna Bianchi") && (echoes_input || !reply.has(ANNA_CF)),
                    "{path}"
                );
            }
            "/servizi/{slug}"
            | "/notizie/{slug}"
            | "/bandi/{slug}"
            | "/avvisi/{slug}"
            | "/api/v1/servizi/{slug}"
            | "/backoffice/contenuti/{id}"
            | "/backoffice/contenuti/{id}/pubblicazione"
            | "/backoffice/contenuti/{id}/versioni"
            | "/backoffice/contenuti/{id}/versioni/{number}/ripristina" => {
                let Scope::Public(why) = scope else {
                    panic!("{pattern} is listed as public")
                };
                assert!(!why.is_empty());
                // Public content, or editors' pages: nothing of any citizen behind them.
                let path = pattern
                    .replace("{slug}", "naspi")
                    .replace("{id}", &anna.id)
                    .replace("{number}", "1");
                for who in [&mut mario_b, &mut broker, &mut contact] {
                    let reply = who.browser.get(&path).await;
                    assert!(!reply.has("Anna Bianchi") && !reply.has(ANNA_CF), "{path}");
                    if path.starts_with("/backoffice") {
                        assert!(
                            matches!(
                                reply.status,
                                StatusCode::FORBIDDEN
                                    | StatusCode::NOT_FOUND
                                    | StatusCode::METHOD_NOT_ALLOWED
                            ),
                            "{} {path}: {}",
                            who.label,
                            reply.status
                        );
                    }
                }
            }
            other => panic!("no case for {other}"),
        }
    }

    // Anna's objects are all still hers and in force, and the rightful people can use them
    // (so the refusals above were about who asked, not broken routes).
    assert_eq!(a.whoami().await.status, StatusCode::OK);
    let mut d = Browser::logged_in(&app, &dario).await;
    assert_eq!(act_for(&mut d, &anna.id).await.status, StatusCode::SEE_OTHER);
    let mut caf = Browser::logged_in(&app, &other_patronato).await;
    assert_eq!(act_for(&mut caf, &anna.id).await.status, StatusCode::SEE_OTHER);
    let card = contact
        .browser
        .get(&format!("/backoffice/cittadini/{}", anna.id))
        .await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.has(ANNA_CF));
    let upgraded = sede
        .browser
        .post(
            &format!("/backoffice/cittadini/{}/dispositivo", anna.id),
            &[("_csrf", &sede.token), ("documento", "CI AB1234567")],
        )
        .await;
    assert_eq!(upgraded.status, StatusCode::OK);
    let sql = format!("SELECT level FROM pins WHERE account_id = '{}'", anna.id);
    assert_eq!(text(&app.db, &sql).await, "dispositivo");
    let download = sede
        .browser
        .get(&format!("/backoffice/lettere/{batch_pdf}"))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(scalar(&app.db, downloads).await, 1);
    let token = a.token().await;
    for path in [
        format!("/area-personale/mandati/{mandato}/revoca"),
        format!("/area-personale/deleghe/{delega}/revoca"),
        format!("/area-personale/sicurezza/sessioni/{own_session}/termina"),
    ] {
        let done = a.post(&path, &[("_csrf", &token)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{path}: {}", done.body);
    }
    assert_eq!(a.whoami().await.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// 11. The demo data

async fn the_demo_people_can_log_in_and_act_as_printed(backend: Backend) {
    use sportello::demo::{CITIZENS, DemoPin, STAFF, STAFF_PASSWORD as DEMO_PASSWORD, STAFF_TOTP};
    use sportello::identity::{accounts, pins, staff};

    let app = TestApp::spawn(backend).await;
    let key = pins::load_key(&app.db, None).await.unwrap();
    assert!(
        sportello::demo::load_if_empty(&app.db, &app.files, &key, "Comune di Prova")
            .await
            .unwrap()
    );
    assert!(
        !sportello::demo::load_if_empty(&app.db, &app.files, &key, "Comune di Prova")
            .await
            .unwrap(),
        "loaded once only"
    );
    // Mario Rossi's mailbox: six letters of different kinds, the decision unread.
    let mario_id: String = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT id FROM accounts WHERE codice_fiscale = $1"
    )
    .bind(CITIZENS[0].codice_fiscale)
    .fetch_one(pool)
    .await)
    .unwrap();
    let letters = sportello::cassetta::list(&app.db, &mario_id, &Default::default(), 50)
        .await
        .unwrap();
    assert_eq!(letters.len(), 6);
    let kinds: std::collections::BTreeSet<&str> = letters.iter().map(|m| m.kind.code()).collect();
    assert!(kinds.len() >= 5, "{kinds:?}");
    let unread: Vec<_> = letters.iter().filter(|m| m.read_at.is_none()).collect();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0].kind, sportello::cassetta::MessageKind::Decisione);
    for letter in &letters {
        let pdf = sportello::cassetta::pdf(&app.files, letter).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
    let id_of = |cf: &'static str| {
        let db = app.db.clone();
        async move {
            accounts::find_by_codice_fiscale(&db, cf)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let pin_of = |index: usize| match CITIZENS[index].pin {
        DemoPin::Active { pin, .. } => pin,
        DemoPin::ToActivate { .. } => panic!("{} has an active PIN", CITIZENS[index].name),
    };
    let (mario, anna, giuseppe, lucia, carla) = (
        &CITIZENS[0],
        &CITIZENS[1],
        &CITIZENS[2],
        &CITIZENS[3],
        &CITIZENS[4],
    );
    assert_eq!(
        (mario.name, anna.name, giuseppe.name, lucia.name, carla.role),
        (
            "Mario Rossi",
            "Anna Bianchi",
            "Giuseppe Esposito",
            "Lucia Verdi",
            Role::Intermediario
        )
    );

    // Mario logs in with the printed PIN and acts for Anna.
    let mut m = Browser::new(&app);
    let done = m.login_pin(mario.codice_fiscale, pin_of(0)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let area = m.get("/area-personale").await;
    assert!(
        area.has("Mario Rossi") && area.has("dispositivo"),
        "{}",
        area.body
    );
    let anna_id = id_of(anna.codice_fiscale).await;
    assert!(area.has(&format!("/per-conto/{anna_id}")));
    assert_eq!(act_for(&mut m, &anna_id).await.status, StatusCode::SEE_OTHER);
    let acting = m.get("/area-personale").await;
    assert!(acting.has(&format!("{ACTING_BANNER} Anna Bianchi")) && acting.has(anna.codice_fiscale));

    // Anna's own PIN works too.
    let mut a = Browser::new(&app);
    assert_eq!(
        a.login_pin(anna.codice_fiscale, pin_of(1)).await.status,
        StatusCode::SEE_OTHER
    );

    // Carla (patronato) acts for Giuseppe under his mandate.
    let mut c = Browser::new(&app);
    let done = c.login_pin(carla.codice_fiscale, pin_of(4)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let giuseppe_id = id_of(giuseppe.codice_fiscale).await;
    assert_eq!(act_for(&mut c, &giuseppe_id).await.status, StatusCode::SEE_OTHER);
    assert!(c.get("/area-personale").await.has(giuseppe.codice_fiscale));
    // …and for nobody else.
    assert_eq!(act_for(&mut c, &anna_id).await.status, StatusCode::FORBIDDEN);

    // Lucia activates her PIN with the printed halves.
    let DemoPin::ToActivate { first, second } = lucia.pin else {
        panic!("Lucia's PIN waits for activation")
    };
    let mut l = Browser::new(&app);
    let done = activate(&mut l, lucia.codice_fiscale, first, second).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(l.whoami().await.json()["nome"], "Lucia Verdi");

    // Every demo staff member logs in with the shared password and the TOTP of the printed
    // secret (each account uses its code once).
    for member in STAFF {
        let mut s = Browser::new(&app);
        let code = staff::current_code(STAFF_TOTP).unwrap();
        let done = s.login_staff(member.username, DEMO_PASSWORD, &code).await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            member.username,
            done.body
        );
        let home = s.get("/backoffice").await;
        assert_eq!(home.status, StatusCode::OK, "{}", member.username);
        assert!(home.has(member.name), "{}", member.username);
    }
    app.stop().await;
}
