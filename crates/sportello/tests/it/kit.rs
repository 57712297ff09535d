//! Helpers for the identity tests: a browser that keeps its cookies and never follows
//! redirects, citizens with a known PIN, staff with a known TOTP secret, and raw SQL for the
//! tests that move time or play the attacker.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sportello::identity::accounts::{self, NewAccount, Role};
use sportello::identity::pin::Pin;
use sportello::identity::staff::{self, NewStaff};
use sportello::identity::{pins, session};
use sportello::storage::{Db, now_ms};

use crate::helpers::{TestApp, client};

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The first CSRF token in the page (the form's, or the logout form's in the header).
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in a {} page: {}", self.status, self.body))
            + marker.len();
        self.body[start..start + 64].to_owned()
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |v| v.to_str().expect("ascii location"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ascii header"))
    }

    /// Every `Set-Cookie` of the answer.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii cookie").to_owned())
            .collect()
    }

    /// The `Set-Cookie` that sets cookie `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The text of the page's error alert, if any.
    pub fn alert(&self) -> Option<String> {
        let start = self.body.find("role=\"alert\"")?;
        let rest = &self.body[start..];
        let open = rest.find('>')? + 1;
        let close = rest.find("</div>")?;
        Some(rest[open..close].trim().to_owned())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// A browser: keeps cookies by name, sends them back, does not follow redirects.
pub struct Browser {
    base: String,
    client: Client,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser::on(&app.base_url)
    }

    pub fn on(base_url: &str) -> Browser {
        Browser {
            base: base_url.to_owned(),
            client: client(),
            cookies: BTreeMap::new(),
        }
    }

    /// A browser that already holds `cookie` (`name=value`, as `TestApp::login_as` returns).
    pub fn holding(app: &TestApp, cookie: &str) -> Browser {
        let mut browser = Browser::new(app);
        let (name, value) = cookie.split_once('=').expect("name=value");
        browser.cookies.insert(name.to_owned(), value.to_owned());
        browser
    }

    /// The same cookies, against another node.
    pub fn at(&self, base_url: &str) -> Browser {
        Browser {
            base: base_url.to_owned(),
            client: client(),
            cookies: self.cookies.clone(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The session cookie's value (plain or `__Host-`).
    pub fn session(&self) -> Option<String> {
        self.cookies
            .get("sportello")
            .or_else(|| self.cookies.get("__Host-sportello"))
            .cloned()
    }

    /// The session cookie as a `Cookie` header value.
    pub fn session_cookie(&self) -> String {
        format!("sportello={}", self.session().expect("a session cookie"))
    }

    fn keep(&mut self, reply: &Reply) {
        for cookie in reply.set_cookies() {
            let first = cookie.split(';').next().unwrap_or_default();
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, self.cookie_header())
        };
        let reply = Reply::read(request.send().await.expect("request")).await;
        self.keep(&reply);
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    /// `GET /accedi`, then `POST /accedi` with its token.
    pub async fn login_pin(&mut self, cf: &str, pin: &str) -> Reply {
        let form = self.get("/accedi").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let token = form.csrf();
        self.post(
            "/accedi",
            &[("_csrf", &token), ("codice_fiscale", cf), ("pin", pin)],
        )
        .await
    }

    /// Logs in with a PIN and checks that it worked.
    pub async fn logged_in(app: &TestApp, person: &Person) -> Browser {
        let mut browser = Browser::new(app);
        let reply = browser.login_pin(&person.cf, &person.pin).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert!(browser.session().is_some());
        browser
    }

    /// `GET /personale/accedi`, then the staff login form.
    pub async fn login_staff(&mut self, username: &str, password: &str, code: &str) -> Reply {
        let form = self.get("/personale/accedi").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let token = form.csrf();
        self.post(
            "/personale/accedi",
            &[
                ("_csrf", &token),
                ("username", username),
                ("password", password),
                ("codice", code),
            ],
        )
        .await
    }

    /// The CSRF token of this browser's session (from a page that has the header's logout form).
    pub async fn token(&mut self) -> String {
        let page = self.get("/area-personale").await;
        if page.status == StatusCode::OK {
            return page.csrf();
        }
        let page = self.get("/backoffice").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.csrf()
    }

    /// `GET /api/v1/sessione` with this browser's cookies.
    pub async fn whoami(&mut self) -> Reply {
        self.get("/api/v1/sessione").await
    }
}

/// `GET /api/v1/sessione` with exactly this `Cookie` header.
pub async fn whoami_with_cookie(app: &TestApp, cookie: &str) -> StatusCode {
    app.client
        .get(app.url("/api/v1/sessione"))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("request")
        .status()
}

/// `GET /api/v1/sessione` with a bearer token.
pub async fn whoami_bearer(app: &TestApp, token: &str) -> Reply {
    Reply::read(
        app.client
            .get(app.url("/api/v1/sessione"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// `POST /api/v1/auth/pin`.
pub async fn api_login(app: &TestApp, body: &Value) -> Reply {
    Reply::read(
        app.client
            .post(app.url("/api/v1/auth/pin"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// A person who logs in with codice fiscale and PIN.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub cf: String,
    pub name: String,
    pub pin: String,
}

/// A citizen with an active PIN.
pub async fn citizen(app: &TestApp, cf: &str, name: &str) -> Person {
    person(app, cf, name, Role::Cittadino).await
}

/// An account of `role` with an active PIN (citizens and intermediaries).
pub async fn person(app: &TestApp, cf: &str, name: &str, role: Role) -> Person {
    let (person, _) = with_pin(app, cf, name, role, true).await;
    person
}

/// A citizen whose PIN waits for activation: the person and the two halves.
pub async fn citizen_to_activate(app: &TestApp, cf: &str, name: &str) -> (Person, String, String) {
    let (person, pin) = with_pin(app, cf, name, Role::Cittadino, false).await;
    let (first, second) = pin.halves();
    (person, first.as_str().to_owned(), second.as_str().to_owned())
}

async fn with_pin(app: &TestApp, cf: &str, name: &str, role: Role, active: bool) -> (Person, Pin) {
    let id = accounts::create(
        &app.db,
        &NewAccount {
            codice_fiscale: Some(cf),
            display_name: name,
            role,
        },
    )
    .await
    .expect("account");
    let key = pins::load_key(&app.db, None).await.expect("pin key");
    let pin = Pin::generate().expect("randomness");
    pins::install(
        &app.db,
        &key,
        &id,
        &pin,
        active,
        "ordinario",
        Duration::from_secs(365 * 86_400),
    )
    .await
    .expect("pin");
    let person = Person {
        id,
        cf: cf.to_owned(),
        name: name.to_owned(),
        pin: pin.as_str().to_owned(),
    };
    (person, pin)
}

/// Another well-formed PIN than `pin`.
pub fn other_pin(pin: &str) -> String {
    loop {
        let other = Pin::generate().expect("randomness");
        if other.as_str() != pin {
            return other.as_str().to_owned();
        }
    }
}

/// Every test staff member's password and TOTP secret.
pub const STAFF_PASSWORD: &str = "password-di-prova-lunga";
pub const TOTP_SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";

/// A staff member's account id and username.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: String,
    pub username: String,
    pub name: String,
}

pub async fn staff_member(app: &TestApp, username: &str, name: &str, role: Role) -> Staff {
    let enrolment = staff::create(
        &app.db,
        &NewStaff {
            username,
            display_name: name,
            role,
            sede_id: None,
            password: STAFF_PASSWORD,
            totp_secret: Some(TOTP_SECRET),
        },
        None,
        "Comune di Prova",
    )
    .await
    .expect("storage")
    .expect("valid staff member");
    assert_eq!(enrolment.totp_secret, TOTP_SECRET);
    Staff {
        id: enrolment.account_id,
        username: username.to_owned(),
        name: name.to_owned(),
    }
}

/// The code the authenticator app shows now.
pub fn totp_now() -> String {
    staff::current_code(TOTP_SECRET).expect("code")
}

/// A staff member logged in through the form.
pub async fn staff_browser(app: &TestApp, member: &Staff) -> Browser {
    let mut browser = Browser::new(app);
    let reply = browser
        .login_staff(&member.username, STAFF_PASSWORD, &totp_now())
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.location(), "/backoffice");
    browser
}

/// The public id the security page shows for a session token.
pub fn public_id(token: &str) -> String {
    session::hash(token)[..16].to_owned()
}

/// Runs `sql` (test-only, trusted text) on the write pool.
pub async fn try_exec(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    sportello::write_pool!(db, |pool| sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
}

pub async fn exec(db: &Db, sql: &str) -> u64 {
    try_exec(db, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// One integer from `sql`.
pub async fn scalar(db: &Db, sql: &str) -> i64 {
    sportello::write_pool!(db, |pool| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql.to_owned()
    ))
    .fetch_one(pool)
    .await)
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// One optional integer from `sql` (a nullable column).
pub async fn scalar_opt(db: &Db, sql: &str) -> Option<i64> {
    sportello::write_pool!(db, |pool| sqlx::query_scalar::<_, Option<i64>>(
        sqlx::AssertSqlSafe(sql.to_owned())
    )
    .fetch_one(pool)
    .await)
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// One text from `sql`.
pub async fn text(db: &Db, sql: &str) -> String {
    sportello::write_pool!(db, |pool| sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(
        sql.to_owned()
    ))
    .fetch_one(pool)
    .await)
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// How many audit entries have `action` (and, if given, `subject`).
pub async fn audited(db: &Db, action: &str, subject: Option<&str>) -> i64 {
    let sql = match subject {
        Some(subject) => {
            format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND subject_id = '{subject}'")
        }
        None => format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"),
    };
    scalar(db, &sql).await
}

/// A millisecond instant a little in the past.
pub fn a_moment_ago() -> i64 {
    now_ms() - 1_000
}

/// A calendar date `days` from today in Rome, as `<input type="date">` sends it.
pub fn rome_date(days: i64) -> String {
    let today = jiff::Timestamp::now()
        .in_tz("Europe/Rome")
        .expect("Rome time zone")
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .expect("date")
        .to_string()
}

/// A part of a multipart body: a text field, or a file.
pub enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

/// Posts `parts` as `multipart/form-data` with the browser's cookies.
pub async fn post_multipart(app: &TestApp, browser: &Browser, path: &str, parts: &[Part<'_>]) -> Reply {
    let boundary = "----sportello-test-boundary-7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Field(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Reply::read(
        app.client
            .post(app.url(path))
            .header(COOKIE, browser.cookie_header())
            .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Two sedi: Roma (province RM) and Milano (MI); their ids.
pub async fn two_sedi(app: &TestApp) -> (String, String) {
    let roma = staff::create_sede(&app.db, "RM-001", "Sede di Roma Centro", "Roma", None)
        .await
        .unwrap()
        .unwrap();
    let milano = staff::create_sede(&app.db, "MI-001", "Sede di Milano", "Milano", None)
        .await
        .unwrap()
        .unwrap();
    exec(
        &app.db,
        &format!("UPDATE sedi SET provincia = 'RM' WHERE id = '{roma}'"),
    )
    .await;
    exec(
        &app.db,
        &format!("UPDATE sedi SET provincia = 'MI' WHERE id = '{milano}'"),
    )
    .await;
    (roma, milano)
}

/// A staff member of `role` logged in; sede operators belong to `sede`.
pub async fn operator(
    app: &TestApp,
    username: &str,
    name: &str,
    role: Role,
    sede: Option<&str>,
) -> (String, Browser) {
    let member = staff_member(app, username, name, role).await;
    if let Some(sede) = sede {
        exec(
            &app.db,
            &format!(
                "UPDATE accounts SET sede_id = '{sede}' WHERE id = '{}'",
                member.id
            ),
        )
        .await;
    }
    let browser = staff_browser(app, &member).await;
    (member.id, browser)
}
