//! SPID / CIE id login end to end against a real OpenID Provider: panva's `oidc-provider`
//! configured like a SPID OP (tests/oidc-op/server.js), started by scripts/test
//! (scripts/lib/oidc-provider.sh), which exports SPORTELLO_TEST_OIDC_ISSUER.
//!
//! A browser with a cookie jar walks start → provider → callback. The provider's login form
//! is replaced by query parameters on its interaction page (who logs in, at which level);
//! everything else is the provider's own code path.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, Response, StatusCode, Url, redirect};

use crate::helpers::{Backend, TestApp, client};
use crate::on_both_backends;

/// The two clients registered at the test OP (tests/oidc-op/server.js).
const CLIENT_A: &str = "https://sportello-a.test/";
const CLIENT_B: &str = "https://sportello-b.test/";

fn issuer() -> String {
    std::env::var("SPORTELLO_TEST_OIDC_ISSUER").unwrap_or_else(|_| {
        panic!(
            "SPORTELLO_TEST_OIDC_ISSUER is not set: run the suite with scripts/test, or wrap the command in \
             scripts/lib/oidc-provider.sh, which starts the test OpenID Provider"
        )
    })
}

fn key(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/oidc-op/keys")
        .join(name)
        .display()
        .to_string()
}

/// A server with SPID (client A) and CIE (client B) both pointing at the test OP.
async fn spawn(backend: Backend) -> TestApp {
    let issuer = issuer();
    let signing = key("TEST-ONLY-rp-signing.pem");
    let encryption = key("TEST-ONLY-rp-encryption.pem");
    TestApp::spawn_with(
        backend,
        &[
            ("spid_issuer", &issuer),
            ("spid_client_id", CLIENT_A),
            ("cie_issuer", &issuer),
            ("cie_client_id", CLIENT_B),
            ("oidc_signing_key_file", &signing),
            ("oidc_encryption_key_file", &encryption),
        ],
    )
    .await
}

/// A browser: cookies kept, redirects looked at one by one.
struct Browser {
    client: Client,
    jar: Arc<Jar>,
}

impl Browser {
    fn new() -> Self {
        sportello::install_crypto_provider();
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .redirect(redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Self { client, jar }
    }

    async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.expect("request")
    }

    /// The value of cookie `name` the browser would send to `url`.
    fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let header = self.jar.cookies(&Url::parse(url).unwrap())?;
        header.to_str().unwrap().split("; ").find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }

    /// Starts a login at Sportello; returns the provider's authorization URL.
    async fn start(&self, app: &TestApp, path: &str) -> Url {
        let response = self.get(&app.url(path)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "start {path}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let url = Url::parse(&location).unwrap();
        assert!(location.starts_with(&issuer()), "{location}");
        let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let has = |name: &str| params.iter().any(|(k, _)| k == name);
        assert!(
            has("request") && has("client_id") && has("scope") && has("response_type"),
            "{params:?}"
        );
        url
    }

    /// Authenticates at the provider (`knobs`: who and at which level); returns the
    /// callback URL the provider sends the browser back to.
    async fn authenticate(&self, mut url: Url, knobs: &str) -> Url {
        for _ in 0..10 {
            if url.path().starts_with("/interaction/") && url.query().is_none() {
                url.set_query(Some(knobs));
            }
            let response = self.get(url.as_str()).await;
            let status = response.status();
            let Some(location) = response.headers().get("location") else {
                panic!(
                    "provider answered {status} at {url}: {}",
                    response.text().await.unwrap()
                );
            };
            let next = url.join(location.to_str().unwrap()).unwrap();
            if next.path() == "/accedi/oidc/callback" {
                return next;
            }
            url = next;
        }
        panic!("too many redirects at the provider");
    }

    /// The whole way: start, authenticate, come back. Returns Sportello's answer.
    async fn login(&self, app: &TestApp, path: &str, knobs: &str) -> Response {
        let url = self.start(app, path).await;
        let callback = self.authenticate(url, knobs).await;
        self.get(callback.as_str()).await
    }
}

/// Why, in the words the citizen reads.
const EXPIRED: &str = "scaduta o è già stata usata";
const INVALID: &str = "non è valida";
const LEVEL: &str = "livello di sicurezza";
const CANCELLED: &str = "annullato";

async fn assert_refused(response: Response, status: StatusCode, why: &str) {
    assert_eq!(response.status(), status);
    assert!(response.headers().get_all("set-cookie").iter().all(|c| {
        let c = c.to_str().unwrap();
        !c.starts_with("sportello=")
    }));
    let body = response.text().await.unwrap();
    assert!(body.contains("Accesso non riuscito"), "{body}");
    assert!(body.contains(why), "expected “{why}” in {body}");
    assert!(!body.contains("eyJ"), "no token in the page");
}

/// Who is logged in, according to the API.
async fn whoami(app: &TestApp, browser: &Browser) -> serde_json::Value {
    let response = browser.get(&app.url("/api/v1/sessione")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn accounts_with(app: &TestApp, cf: &str) -> i64 {
    sportello::read_pool!(&app.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM accounts WHERE codice_fiscale = $1"
    )
    .bind(cf)
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn first_login_creates_the_citizen_and_the_second_finds_it(backend: Backend) {
    let app = spawn(backend).await;
    let cf = "BNCMRA85C41F205Q";
    // Someone else's session in this browser before the login: it must be replaced.
    let before = app.login_as("VRDLGU70A01H501O", "Luigi Verdi").await;
    let browser = Browser::new();
    browser
        .jar
        .add_cookie_str(&format!("{before}; Path=/"), &Url::parse(&app.base_url).unwrap());
    let old_token = before.trim_start_matches("sportello=").to_owned();

    let response = browser
        .login(
            &app,
            "/accedi/spid?torna=/servizi",
            &format!("cf={cf}&acr=SpidL2&given=Maria&family=Bianchi"),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        response.text().await
    );
    assert_eq!(response.headers()["location"], "/servizi");
    let new_token = browser
        .cookie(&app.base_url, "sportello")
        .expect("session cookie");
    assert_ne!(new_token, old_token, "the session id changes at login");
    let me = whoami(&app, &browser).await;
    assert_eq!(me["codice_fiscale"], cf);
    assert_eq!(me["nome"], "Maria Bianchi");
    assert_eq!(me["ruolo"], "cittadino");
    // The session the browser came with is over.
    let old = client()
        .get(app.url("/api/v1/sessione"))
        .header("cookie", &before)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(accounts_with(&app, cf).await, 1);

    // Second login, another browser, a higher level: same account, new session.
    let other = Browser::new();
    let response = other
        .login(
            &app,
            "/accedi/spid",
            &format!("cf={cf}&acr=SpidL3&given=Maria&family=Bianchi"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/");
    assert_eq!(whoami(&app, &other).await["codice_fiscale"], cf);
    assert_ne!(other.cookie(&app.base_url, "sportello"), Some(new_token));
    assert_eq!(accounts_with(&app, cf).await, 1);
    assert_eq!(app.count("accounts").await, 2);
}

async fn cie_login_uses_its_own_client(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let url = browser.start(&app, "/accedi/cie").await;
    assert!(url.query_pairs().any(|(k, v)| k == "client_id" && v == CLIENT_B));
    let callback = browser.authenticate(url, "cf=CRSNNA90D45L219U&acr=SpidL2").await;
    let response = browser.get(callback.as_str()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(whoami(&app, &browser).await["codice_fiscale"], "CRSNNA90D45L219U");
}

on_both_backends!(
    first_login_creates_the_citizen_and_the_second_finds_it,
    cie_login_uses_its_own_client,
    a_stored_login_is_taken_once_and_expires
);

#[tokio::test]
async fn a_lower_level_than_required_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let response = browser
        .login(&app, "/accedi/spid", "cf=RSSMRA80A02H501Z&acr=SpidL1")
        .await;
    assert_refused(response, StatusCode::FORBIDDEN, LEVEL).await;
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(app.count("accounts").await, 0);
}

#[tokio::test]
async fn an_unknown_or_missing_state_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    for query in ["?state=abcdef&code=xyz", "?code=xyz", ""] {
        let response = browser
            .get(&app.url(&format!("/accedi/oidc/callback{query}")))
            .await;
        assert_refused(response, StatusCode::BAD_REQUEST, EXPIRED).await;
    }
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let url = browser.start(&app, "/accedi/spid").await;
    let callback = browser.authenticate(url, "cf=RSSMRA80A03H501B&acr=SpidL2").await;
    // Keep the login cookie for the replay: the state itself must be what stops it.
    let login_cookie = browser.cookie(&app.base_url, "sportello-accesso").unwrap();
    let first = browser.get(callback.as_str()).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let replay = client()
        .get(callback.as_str())
        .header("cookie", format!("sportello-accesso={login_cookie}"))
        .send()
        .await
        .unwrap();
    assert_refused(replay, StatusCode::BAD_REQUEST, EXPIRED).await;
    assert_eq!(app.count("sessions").await, 1);
}

/// Single use is Sportello's own guarantee, not only the provider's (which also refuses a
/// second use of a code): the stored login is taken atomically, once.
async fn a_stored_login_is_taken_once_and_expires(backend: Backend) {
    use sportello::identity::oidc::store::{self, PendingLogin};
    let app = TestApp::spawn(backend).await;
    let login = PendingLogin {
        provider: "spid".to_owned(),
        nonce: "n".repeat(64),
        code_verifier: "v".repeat(64),
        acr: "https://www.spid.gov.it/SpidL2".to_owned(),
        return_to: "/".to_owned(),
        browser_hash: store::hash("browser"),
    };
    store::insert(&app.db, "state-1", &login).await.unwrap();
    let (a, b) = tokio::join!(
        store::consume(&app.db, "state-1"),
        store::consume(&app.db, "state-1")
    );
    let taken = [a.unwrap(), b.unwrap()];
    assert_eq!(
        taken.iter().filter(|t| t.is_some()).count(),
        1,
        "exactly one callback gets it"
    );
    assert!(store::consume(&app.db, "state-2").await.unwrap().is_none());
    // Expired rows are refused and purged.
    store::insert(&app.db, "state-3", &login).await.unwrap();
    sportello::write_pool!(&app.db, |pool| sqlx::query(
        "UPDATE oidc_logins SET expires_at = 0 WHERE used_at IS NULL"
    )
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    assert!(store::consume(&app.db, "state-3").await.unwrap().is_none());
    assert_eq!(store::purge_expired(&app.db).await.unwrap(), 1);
    assert_eq!(app.count("oidc_logins").await, 1);
}

#[tokio::test]
async fn a_callback_in_another_browser_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let url = browser.start(&app, "/accedi/spid").await;
    let callback = browser.authenticate(url, "cf=RSSMRA80A04H501D&acr=SpidL2").await;
    // Login CSRF: the attacker's own finished login, delivered to a victim's browser.
    let victim = Browser::new();
    assert_refused(
        victim.get(callback.as_str()).await,
        StatusCode::BAD_REQUEST,
        EXPIRED,
    )
    .await;
    assert_eq!(app.count("sessions").await, 0);
}

/// One login's code delivered with another login's state (so with the other's nonce and PKCE
/// verifier): the provider refuses the code for the wrong verifier before the nonce is even
/// compared; the nonce check itself is shown by `an_id_token_with_another_nonce_is_refused`.
#[tokio::test]
async fn a_code_delivered_with_another_logins_state_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let first = browser.start(&app, "/accedi/spid").await;
    let second = browser.start(&app, "/accedi/spid").await;
    let first_callback = browser
        .authenticate(first, "cf=RSSMRA80A05H501H&acr=SpidL2")
        .await;
    let second_callback = browser
        .authenticate(second, "cf=RSSMRA80A05H501H&acr=SpidL2")
        .await;
    let param = |url: &Url, name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let mut mixed = second_callback.clone();
    mixed
        .query_pairs_mut()
        .clear()
        .append_pair("code", &param(&first_callback, "code"))
        .append_pair("state", &param(&second_callback, "state"))
        .append_pair("iss", &param(&second_callback, "iss"));
    assert_refused(
        browser.get(mixed.as_str()).await,
        StatusCode::BAD_REQUEST,
        INVALID,
    )
    .await;
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let response = browser
        .login(&app, "/accedi/spid", "cf=RSSMRA80A06H501J&acr=SpidL2&forge=nonce")
        .await;
    assert_refused(response, StatusCode::BAD_REQUEST, INVALID).await;
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let response = browser
        .login(&app, "/accedi/spid", "cf=RSSMRA80A07H501L&acr=SpidL2&forge=aud")
        .await;
    assert_refused(response, StatusCode::BAD_REQUEST, INVALID).await;
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_callback_naming_another_issuer_is_refused() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let url = browser.start(&app, "/accedi/spid").await;
    let callback = browser.authenticate(url, "cf=RSSMRA80A08H501N&acr=SpidL2").await;
    let pairs: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
    assert!(
        pairs.iter().any(|(k, v)| k == "iss" && *v == issuer()),
        "the OP sends iss"
    );
    let mut forged = callback.clone();
    {
        let mut query = forged.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, if k == "iss" { "https://evil.example" } else { v });
        }
    }
    assert_refused(
        browser.get(forged.as_str()).await,
        StatusCode::BAD_REQUEST,
        INVALID,
    )
    .await;
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn the_provider_reporting_an_error_is_a_refusal() {
    let app = spawn(Backend::Sqlite).await;
    let browser = Browser::new();
    let url = browser.start(&app, "/accedi/spid").await;
    let state = {
        // The state is inside the signed request object; read it from its payload.
        let request = url
            .query_pairs()
            .find(|(k, _)| k == "request")
            .unwrap()
            .1
            .into_owned();
        let payload = request.split('.').nth(1).unwrap();
        let payload = base64_url_decode(payload);
        let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(claims["acr_values"], "https://www.spid.gov.it/SpidL2");
        assert_eq!(claims["prompt"], "consent login");
        assert_eq!(claims["code_challenge_method"], "S256");
        assert!(claims["nonce"].as_str().unwrap().len() >= 32);
        claims["state"].as_str().unwrap().to_owned()
    };
    assert!(state.len() >= 32);
    let response = browser
        .get(&app.url(&format!(
            "/accedi/oidc/callback?error=access_denied&state={state}&iss={}",
            issuer()
        )))
        .await;
    assert_refused(response, StatusCode::FORBIDDEN, CANCELLED).await;
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn the_relying_party_publishes_public_keys_and_login_buttons() {
    let app = spawn(Backend::Sqlite).await;
    let jwks: serde_json::Value = app.get("/oidc/jwks.json").await.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.get("d").is_none() && k.get("p").is_none()));
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[1]["use"], "enc");
    let entity = app.get("/.well-known/openid-federation").await;
    assert_eq!(entity.status(), StatusCode::OK);
    assert_eq!(
        entity.headers()["content-type"],
        "application/entity-statement+jwt"
    );
    let page = app.get("/accedi").await.text().await.unwrap();
    assert!(page.contains("href=\"/accedi/spid\"") && page.contains("Entra con SPID"));
    assert!(page.contains("href=\"/accedi/cie\"") && page.contains("Entra con CIE"));
}

#[tokio::test]
async fn without_configuration_there_is_no_spid_login() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.get("/accedi/spid").await.status(), StatusCode::NOT_FOUND);
    let page = app.get("/accedi").await.text().await.unwrap();
    assert!(!page.contains("/accedi/spid"));
}
