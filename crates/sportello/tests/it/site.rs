//! The web shell: pages, language, error pages, headers, assets.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    home_page_is_italian_accessible_shell,
    english_is_chosen_by_browser_or_by_switch,
    unknown_pages_get_an_italian_404_page,
    every_page_renders_with_translated_text,
    static_assets_are_cached_for_a_year,
    responses_carry_security_headers,
    cached_pages_never_mix_languages_query_strings_or_sessions,
    a_page_from_the_cache_is_answered_like_a_rendered_one,
    logging_out_is_confirmed_and_a_401_page_leads_to_the_login,
);

async fn home_page_is_italian_accessible_shell(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"it\">"), "lang attribute");
    assert!(html.contains("Comune di Prova"), "institution name from config");
    assert!(html.contains("href=\"#main-content\""), "skip link");
    assert!(html.contains("<main id=\"main-content\""), "main landmark");
    assert!(
        html.contains("<header") && html.contains("<footer") && html.contains("<nav"),
        "landmarks"
    );
    assert!(
        html.contains("href=\"/accessibilita\""),
        "accessibility statement link"
    );
    assert!(
        html.contains("href=\"/privacy\"") && html.contains("href=\"/note-legali\""),
        "legal links"
    );
    assert!(html.contains("href=\"/accedi\""), "login link");
    assert!(html.contains("/lingua/en?torna=/"), "language switch");
    assert!(html.contains("bootstrap-italia.min.css"), "Bootstrap Italia");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no third-party resources"
    );
    assert!(
        !html.contains("style=\"") && !html.contains("<style"),
        "no inline styles (CSP)"
    );
    assert_eq!(html.matches("<h1").count(), 1, "one h1");
}

async fn english_is_chosen_by_browser_or_by_switch(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let italian = app.get("/").await.text().await.unwrap();
    let by_browser = app
        .client
        .get(app.url("/"))
        .header(ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(by_browser.headers()["content-language"], "en");
    let english = by_browser.text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">"));
    assert_ne!(italian, english);

    let switch = app.get("/lingua/en?torna=/privacy").await;
    assert_eq!(switch.status(), StatusCode::SEE_OTHER);
    assert_eq!(switch.headers()[LOCATION], "/privacy");
    let cookie = switch.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("lingua=en;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let chosen = app
        .client
        .get(app.url("/privacy"))
        .header(COOKIE, "lingua=en")
        .send()
        .await
        .unwrap();
    assert!(chosen.text().await.unwrap().contains("<html lang=\"en\">"));

    // The switch never redirects off the site.
    let evil = app.get("/lingua/it?torna=//evil.example/x").await;
    assert_eq!(evil.headers()[LOCATION], "/");
    assert_eq!(app.get("/lingua/xx").await.status(), StatusCode::NOT_FOUND);
}

async fn unknown_pages_get_an_italian_404_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/non-esiste").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"it\">"));
    assert!(html.contains(&request_id), "the page shows the reference code");
    assert!(
        html.contains("href=\"/\"") && html.contains("href=\"/aiuto\""),
        "a way forward"
    );

    let english = app
        .client
        .get(app.url("/non-esiste"))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_ne!(english.text().await.unwrap(), html);

    // A method the page does not take is a 405 page, not plain text.
    let post = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        post.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

async fn every_page_renders_with_translated_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/",
        "/accessibilita",
        "/privacy",
        "/note-legali",
        "/aiuto",
        "/servizi",
        "/accedi",
        "/api/v1/docs",
    ] {
        for lang in ["it", "en"] {
            let response = app
                .client
                .get(app.url(path))
                .header(COOKIE, format!("lingua={lang}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} {lang}");
            let html = response.text().await.unwrap();
            assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{path} {lang}");
            // A missing message shows its id (e.g. "privacy-p1"): none may appear.
            for id in sportello::http::i18n::I18n::ids(sportello::http::i18n::Lang::It) {
                let shown = format!(">{id}<");
                assert!(!html.contains(&shown), "{path} {lang} shows the raw id {id}");
            }
        }
    }
    let statement = app.get("/accessibilita").await.text().await.unwrap();
    assert!(
        statement.contains("WCAG 2.1"),
        "the accessibility statement names WCAG 2.1"
    );
}

async fn static_assets_are_cached_for_a_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let html = app.get("/").await.text().await.unwrap();
    let start = html.find("/static/").expect("an asset link");
    let end = start + html[start..].find('"').unwrap();
    let url = &html[start..end];
    let css = app.get(url).await;
    assert_eq!(css.status(), StatusCode::OK, "{url}");
    assert_eq!(
        css.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        css.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.bytes().await.unwrap().len() > 1000);

    // A page rendered before a deploy asks with an old hash: it gets the file, not cached.
    let (_, path) = url["/static/".len()..].split_once('/').unwrap();
    let stale = app.get(&format!("/static/0123456789abcdef/{path}")).await;
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(stale.headers()[CACHE_CONTROL], "no-cache");
    // Browsers that take gzip get it (605 KB of CSS become about 80 KB); the bytes are the same.
    let plain = app.get(url).await.bytes().await.unwrap();
    let zipped = app
        .client
        .get(app.url(url))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "Accept-Encoding");
    assert_eq!(
        zipped.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let compressed = zipped.bytes().await.unwrap();
    assert!(
        compressed.len() * 3 < plain.len(),
        "{} vs {}",
        compressed.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain);
    let refused = app
        .client
        .get(app.url(url))
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("content-encoding").is_none());

    let missing = app.get("/static/0/nope.css").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn responses_carry_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/", "/non-esiste", "/api/v1/stato", "/api/v1/non-esiste"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        // The home page is the same for every anonymous visitor: shared caches may keep it
        // briefly. Everything else here is no-store.
        let expected = if path == "/" {
            "public, max-age=60"
        } else {
            "no-store"
        };
        assert_eq!(h[CACHE_CONTROL], expected, "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "HSTS is off by default"
        );
    }
    let hsts = TestApp::spawn_with(backend, &[("hsts", "true")]).await;
    let response = hsts.get("/").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    // A balancer's request id is kept when it is plain, replaced when it is not.
    let kept = app
        .client
        .get(app.url("/"))
        .header("x-request-id", "lb-1234567890")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-1234567890");
    let replaced = app
        .client
        .get(app.url("/"))
        .header("x-request-id", "bad id!")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "bad id!");
}

async fn cached_pages_never_mix_languages_query_strings_or_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/", "/privacy"] {
        // Fill the cache in Italian, twice, then ask in English.
        let first = app.get(path).await.text().await.unwrap();
        let second = app.get(path).await.text().await.unwrap();
        assert_eq!(first, second, "{path}");
        let english = app
            .client
            .get(app.url(path))
            .header(COOKIE, "lingua=en")
            .send()
            .await
            .unwrap();
        let english = english.text().await.unwrap();
        assert!(english.contains("<html lang=\"en\">"), "{path}");
        // A query string is rendered, so the language switch comes back to it.
        let with_query = app.get(&format!("{path}?da=ricerca")).await.text().await.unwrap();
        assert!(
            with_query.contains("torna=") && with_query.contains("%3Fda%3Dricerca"),
            "{path}"
        );
        assert!(!first.contains("ricerca"), "{path}");
    }
    // Someone logged in gets a page rendered for them, with the same no-store header.
    let cookie = app.login_as("RSSMRA80A01H501U", "Mario Rossi").await;
    let logged_in = app
        .client
        .get(app.url("/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logged_in.status(), StatusCode::OK);
    assert_eq!(logged_in.headers()[CACHE_CONTROL], "no-store");
}

/// The edge answers cached pages itself (without the inner layers and the handler): the answer
/// must be the one the handler gives, with every header, and counted in the metrics.
async fn a_page_from_the_cache_is_answered_like_a_rendered_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.get("/aiuto").await; // rendered by the handler, then kept
    let second = app.get("/aiuto").await; // answered by the edge from the cache
    assert_eq!(first.status(), second.status());
    let headers = |r: &reqwest::Response| {
        let mut names: Vec<(String, String)> = r
            .headers()
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_owned()))
            .collect();
        names.sort();
        names
    };
    assert_eq!(headers(&first), headers(&second));
    assert!(second.headers().contains_key("x-request-id"));
    assert!(second.headers().contains_key("content-security-policy"));
    assert_ne!(
        first.headers()["x-request-id"],
        second.headers()["x-request-id"],
        "each answer has its own request id"
    );
    assert_eq!(first.text().await.unwrap(), second.text().await.unwrap());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let served = metrics
        .lines()
        .find(|l| l.contains("/aiuto") && l.contains("_count") && !l.starts_with('#'))
        .unwrap_or_default()
        .to_owned();
    assert!(served.ends_with(" 2"), "both answers are counted: {served}");
}

/// After logging out the home page says so; a page that needs a login offers the way in and
/// back.
async fn logging_out_is_confirmed_and_a_401_page_leads_to_the_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let home = app.get("/?uscito=1").await.text().await.unwrap();
    assert!(
        home.contains("Sei uscito dall") && home.contains("role=\"status\""),
        "{home}"
    );
    let plain = app.get("/").await.text().await.unwrap();
    assert!(
        !plain.contains("Sei uscito"),
        "the message is only for who just logged out"
    );
    let refused = app.get("/area-personale/sicurezza").await;
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("href=\"/accedi?torna=/area-personale/sicurezza\""),
        "{body}"
    );
}
