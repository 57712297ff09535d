//! The catalogue: public pages from the demo content, search, the finder, caching, the
//! editors' back office (versions, publication, synonyms) and page feedback.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use serde_json::Value;
use sportello::identity::accounts::Role;

use crate::helpers::{Backend, TestApp, eventually, open};
use crate::kit::{Browser, Reply, scalar, staff_browser, staff_member};
use crate::on_both_backends;

on_both_backends!(
    demo_content_makes_the_public_pages,
    search_understands_typos_synonyms_and_odd_input,
    public_pages_are_shared_and_personal_ones_are_not,
    editors_write_preview_version_publish_and_restore,
    feedback_is_anonymous_masked_and_limited,
    the_municipal_widget_speaks_the_validators_words,
);

/// A node that notices catalogue changes quickly.
async fn spawn(backend: Backend, extra: &[(&'static str, &str)]) -> TestApp {
    let mut settings = vec![("catalog_refresh_ms", "50")];
    settings.extend_from_slice(extra);
    TestApp::spawn_with(backend, &settings).await
}

/// Loads the demo catalogue and waits until the node serves it.
async fn with_demo_content(app: &TestApp) {
    let added = sportello::catalog::load_demo(&app.db)
        .await
        .expect("demo content");
    assert!(added >= 40, "only {added} pages");
    let ready = eventually(Duration::from_secs(10), || async {
        app.get("/servizi/naspi").await.status() == StatusCode::OK
    })
    .await;
    assert!(ready, "the node never picked up the new content");
}

async fn page(app: &TestApp, path: &str) -> Reply {
    Reply::read(app.get(path).await).await
}

fn titles_in_order(html: &str) -> Vec<String> {
    html.split("<h3 class=\"h5\"><a href=\"")
        .skip(1)
        .filter_map(|piece| piece.split('"').next().map(str::to_owned))
        .collect()
}

async fn demo_content_makes_the_public_pages(backend: Backend) {
    let app = spawn(backend, &[]).await;
    assert_eq!(
        page(&app, "/servizi/naspi").await.status,
        StatusCode::NOT_FOUND,
        "empty catalogue"
    );
    with_demo_content(&app).await;

    let home = page(&app, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.has("I servizi più usati"), "most used");
    let most_used = titles_in_order(&home.body);
    assert_eq!(
        most_used.first().map(String::as_str),
        Some("/servizi/assegno-unico"),
        "{most_used:?}"
    );
    assert!(
        home.has("/avvisi/sms-falsi-rimborso-iban"),
        "active scam alert on the home page"
    );
    assert!(home.has("href=\"/notizie/"), "news on the home page");
    assert!(home.has("action=\"/cerca\""), "a search box");

    let all = page(&app, "/servizi").await;
    let cards = titles_in_order(&all.body);
    assert!(cards.len() >= 40, "{} cards", cards.len());
    assert!(all.has("data-element=\"service-link\""));
    let families = page(&app, "/servizi?per=famiglie&evento=nascita-figlio").await;
    let family_cards = titles_in_order(&families.body);
    assert!(
        family_cards.contains(&"/servizi/assegno-unico".to_owned()),
        "{family_cards:?}"
    );
    assert!(!family_cards.contains(&"/servizi/naspi".to_owned()));
    assert!(family_cards.len() < cards.len());
    let odd = page(&app, "/servizi?per=marziani").await;
    assert_eq!(odd.status, StatusCode::OK);
    assert!(odd.has("non esiste più"), "an unknown filter is said, not a 500");

    let card = page(&app, "/servizi/naspi").await;
    assert_eq!(card.status, StatusCode::OK);
    assert_eq!(card.body.matches("<h1").count(), 1);
    assert!(card.has("<meta name=\"description\" content=\""), "description");
    assert!(card.has("aria-label=\"Percorso di navigazione\""), "breadcrumbs");
    for heading in [
        "Che cos&#39;è",
        "A chi è rivolto",
        "Come fare domanda",
        "Domande frequenti",
        "Dove fare domanda",
    ] {
        assert!(card.has(heading), "{heading}");
    }
    assert!(
        card.has("<details class=\"sp-faq\">"),
        "FAQ work without JavaScript"
    );
    assert!(
        card.has("Aiutaci a migliorare questa pagina"),
        "the feedback widget"
    );
    assert!(
        !card.has("<script>") && !card.has("style=\""),
        "no inline script or style"
    );
    assert_eq!(
        page(&app, "/servizi/non-esiste").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        page(&app, "/notizie/naspi").await.status,
        StatusCode::NOT_FOUND,
        "a card is not a news item"
    );

    for list in ["/notizie", "/bandi", "/avvisi", "/video"] {
        let reply = page(&app, list).await;
        assert_eq!(reply.status, StatusCode::OK, "{list}");
    }
    let call = page(&app, "/bandi/bando-case-popolari-2026").await;
    assert!(call.has("Scadenza:") && call.has("31/01/2027"), "the deadline");

    let finder = page(&app, "/trova-la-prestazione").await;
    assert!(finder.has("name=\"per\""), "first question");
    let second = page(&app, "/trova-la-prestazione?per=lavoratori").await;
    assert!(
        second.has("name=\"evento\"") && second.has("Perdita del lavoro"),
        "second question"
    );
    let results = page(&app, "/trova-la-prestazione?per=lavoratori&evento=perdita-lavoro").await;
    assert!(
        titles_in_order(&results.body).contains(&"/servizi/naspi".to_owned()),
        "{}",
        results.body
    );

    let sitemap = page(&app, "/sitemap.xml").await;
    assert!(
        sitemap
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/xml")
    );
    for path in cards
        .iter()
        .chain(["/servizi".to_owned(), "/notizie".to_owned()].iter())
    {
        assert!(
            sitemap.has(&format!("{path}<")),
            "{path} missing from the sitemap"
        );
    }
    let robots = page(&app, "/robots.txt").await;
    assert!(robots.has("Sitemap: ") && robots.has("/sitemap.xml") && robots.has("Disallow: /area-personale"));

    // The same content over the API.
    let api: Value = app.get("/api/v1/servizi/naspi").await.json().await.unwrap();
    assert_eq!(api["slug"], "naspi");
    assert_eq!(api["domanda_online"], "naspi");
    assert!(api["faq"].as_array().is_some_and(|f| !f.is_empty()));
    let listed: Value = app
        .get("/api/v1/servizi?per=famiglie")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v["slug"] == "assegno-unico"))
    );
    let bad = app.get("/api/v1/servizi?evento=vacanze").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    let alerts: Value = app.get("/api/v1/avvisi").await.json().await.unwrap();
    assert!(alerts.as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(
        app.get("/api/v1/servizi/non-esiste").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn search_understands_typos_synonyms_and_odd_input(backend: Backend) {
    let app = spawn(backend, &[]).await;
    with_demo_content(&app).await;
    let first = |json: Value| {
        json["risultati"][0]["percorso"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let search = |q: &'static str| {
        let app = &app;
        async move {
            let url = format!("/api/v1/search?q={}", urlencode(q));
            app.get(&url).await.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(first(search("naspi").await), "/servizi/naspi");
    assert_eq!(first(search("dissoccupazione").await), "/servizi/naspi", "a typo");
    assert_eq!(
        first(search("asilo nido").await),
        "/servizi/bonus-asilo-nido",
        "a synonym phrase"
    );
    assert_eq!(
        first(search("invalidita civile").await),
        "/servizi/invalidita-civile",
        "without accents"
    );
    assert!(
        search("zzzqqqxxx").await["risultati"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // The page works without JavaScript and echoes the query safely.
    let html = page(&app, "/cerca?q=%3Cb%3Eqqqzzz%3C%2Fb%3E").await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(
        !html.has("<b>qqqzzz") && html.has("&#60;b&#62;qqqzzz"),
        "the query is escaped"
    );
    assert!(html.has("Nessun risultato"));
    let found = page(&app, "/cerca?q=pensione").await;
    assert!(found.has("Risultati trovati"));

    // Odd input: empty, 10 KB, query syntax, odd Unicode, NUL. Never a 500.
    let long = "pensione ".repeat(1200);
    for q in [
        "",
        "   ",
        long.as_str(),
        "\"(+-*:~^AND OR NOT",
        "\u{202e}\u{0301}😀\u{0000}",
        "a\u{0000}b",
        "%%%",
    ] {
        let url = format!("/cerca?q={}", urlencode(q));
        assert_eq!(page(&app, &url).await.status, StatusCode::OK, "{q:?}");
        let api = app.get(&format!("/api/v1/search?q={}", urlencode(q))).await;
        assert_eq!(api.status(), StatusCode::OK, "{q:?}");
        let suggest = app.get(&format!("/api/v1/suggerimenti?q={}", urlencode(q))).await;
        assert_eq!(suggest.status(), StatusCode::OK, "{q:?}");
    }
    let suggestions: Value = app
        .get("/api/v1/suggerimenti?q=assegno%20u")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        suggestions
            .as_array()
            .is_some_and(|s| s.iter().any(|v| v["slug"] == "assegno-unico")),
        "{suggestions}"
    );

    // Searches with no results are kept for editors, without personal data.
    page(&app, "/cerca?q=quokka%20volante").await;
    page(&app, "/cerca?q=RSSMRA80A01H501U").await;
    page(&app, "/cerca?q=mario.rossi%40example.it").await;
    let url = app.database_url.clone();
    let dir = app.stop().await; // the node writes its counts as it stops
    let db = open(&url).await;
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM search_misses WHERE query = 'quokka volante'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM search_misses WHERE query LIKE '%rssmra%' OR query LIKE '%@%'"
        )
        .await,
        0,
        "personal data never reaches the log"
    );
    drop(dir);
}

fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn public_pages_are_shared_and_personal_ones_are_not(backend: Backend) {
    let app = spawn(backend, &[]).await;
    with_demo_content(&app).await;
    for path in ["/", "/servizi", "/servizi/naspi", "/notizie", "/sitemap.xml"] {
        let first = app.get(path).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=60", "{path}");
        let etag = first.headers()[ETAG].clone();
        let again = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[ETAG], etag);
    }
    // A query string (a search, a filter) or a session: rendered, never shared.
    let search = app.get("/cerca?q=pensione").await;
    assert_eq!(search.headers()[CACHE_CONTROL], "no-store");
    let cookie = app.login_as("BNCNNA52T45F205Q", "Anna Bianchi").await;
    let personal = app
        .client
        .get(app.url("/servizi/naspi"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(personal.headers()[CACHE_CONTROL], "no-store");
    let html = personal.text().await.unwrap();
    assert!(html.contains("Anna Bianchi"), "the header shows who is logged in");
    let anonymous = app.get("/servizi/naspi").await.text().await.unwrap();
    assert!(
        !anonymous.contains("Anna Bianchi"),
        "and the shared page never does"
    );
}

/// Logs in a new editor and returns the browser with a CSRF token.
async fn editor(app: &TestApp) -> (Browser, String) {
    let member = staff_member(app, "giulia.redattrice", "Giulia Redattrice", Role::Redattore).await;
    let mut browser = staff_browser(app, &member).await;
    let token = browser.token().await;
    (browser, token)
}

async fn editors_write_preview_version_publish_and_restore(backend: Backend) {
    let app = spawn(backend, &[]).await;
    with_demo_content(&app).await;
    // Citizens and other staff do not edit.
    let cookie = app.login_as("BNCNNA52T45F205Q", "Anna Bianchi").await;
    let mut citizen = Browser::holding(&app, &cookie);
    assert_eq!(
        citizen.get("/backoffice/contenuti").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        Browser::new(&app).get("/backoffice/contenuti").await.status,
        StatusCode::UNAUTHORIZED
    );

    let (mut ed, token) = editor(&app).await;
    let list = ed.get("/backoffice/contenuti").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.has("Pagine da rivedere"), "pages past their review date");
    assert!(
        list.has("Bonus asilo nido") || list.has("bonus-asilo-nido"),
        "a card past its review date"
    );

    let card = [
        ("_csrf", token.as_str()),
        ("kind", "servizio"),
        ("slug", "bonus-prova"),
        ("title", "Bonus di prova"),
        ("summary", "Un aiuto di prova per le famiglie."),
        ("audiences", "famiglie"),
        ("audiences", "cittadini"),
        ("life_events", "nascita-figlio"),
        ("channels", "online"),
        (
            "description",
            "Il bonus aiuta le famiglie. <script>alert(1)</script>",
        ),
        ("faq", "? Chi può chiederlo?\nTutte le famiglie."),
        ("review_by", "2027-06-30"),
    ];
    // Preview: the page as the public will see it, and its readability; nothing stored.
    let mut preview = card.to_vec();
    preview.push(("azione", "anteprima"));
    let shown = ed.post("/backoffice/contenuti/nuovo", &preview).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.has("Anteprima") && shown.has("indice Gulpease"));
    assert!(
        shown.has("&lt;script&gt;") && !shown.has("<script>alert"),
        "Markdown is rendered safely"
    );
    assert_eq!(
        scalar(
            &app.db,
            "SELECT COUNT(*) FROM contents WHERE slug = 'bonus-prova'"
        )
        .await,
        0
    );
    // Missing fields: said next to each, nothing stored.
    let empty = ed
        .post(
            "/backoffice/contenuti/nuovo",
            &[("_csrf", &token), ("kind", "servizio"), ("title", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.has("campo-title") && empty.has("è obbligatorio"));
    // Without the form token: refused.
    let forged = ed.post("/backoffice/contenuti/nuovo", &card[1..]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let mut save = card.to_vec();
    save.push(("azione", "salva"));
    let created = ed.post("/backoffice/contenuti/nuovo", &save).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let edit_path = created
        .location()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let taken = ed.post("/backoffice/contenuti/nuovo", &save).await;
    assert!(taken.has("esiste già"), "the slug is taken");
    assert_eq!(
        page(&app, "/servizi/bonus-prova").await.status,
        StatusCode::NOT_FOUND,
        "a draft is not public"
    );

    // Publish version 1 now.
    let published = ed
        .post(
            &format!("{edit_path}/pubblicazione"),
            &[("_csrf", &token), ("versione", "1"), ("azione", "pubblica")],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER, "{}", published.body);
    let public = page(&app, "/servizi/bonus-prova").await;
    assert_eq!(
        public.status,
        StatusCode::OK,
        "published pages show at once on this node"
    );
    assert!(public.has("Bonus di prova"));
    let search: Value = app
        .get("/api/v1/search?q=bonus%20prova")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        search["risultati"][0]["percorso"], "/servizi/bonus-prova",
        "and are searchable"
    );

    // A second version is a draft: the public still sees the first.
    let mut second = save.clone();
    second.retain(|(k, _)| *k != "title" && *k != "slug");
    second.push(("title", "Bonus di prova, nuova versione"));
    second.push(("note", "nuovo titolo"));
    let saved = ed.post(&edit_path, &second).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let public = page(&app, "/servizi/bonus-prova").await;
    assert!(public.has("Bonus di prova<") && !public.has("nuova versione"));
    let versions = ed.get(&format!("{edit_path}/versioni?v=2")).await;
    assert!(versions.has("nuovo titolo"), "the note");
    assert!(
        versions.has("sp-removed") && versions.has("sp-added") && versions.has("nuova versione"),
        "the diff"
    );

    // Publication scheduled in the past (a minute ago) takes effect; a withdrawal in the future does not yet.
    let rome = jiff::tz::TimeZone::get("Europe/Rome").unwrap();
    let past = (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60))
        .to_zoned_datetime(rome)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    ed.post(
        &format!("{edit_path}/pubblicazione"),
        &[
            ("_csrf", &token),
            ("versione", "2"),
            ("azione", "pubblica"),
            ("quando", &past),
        ],
    )
    .await;
    assert!(page(&app, "/servizi/bonus-prova").await.has("nuova versione"));
    ed.post(
        &format!("{edit_path}/pubblicazione"),
        &[
            ("_csrf", &token),
            ("azione", "ritira"),
            ("quando", "2099-01-01T10:00"),
        ],
    )
    .await;
    assert_eq!(page(&app, "/servizi/bonus-prova").await.status, StatusCode::OK);
    let bad_time = ed
        .post(
            &format!("{edit_path}/pubblicazione"),
            &[("_csrf", &token), ("azione", "ritira"), ("quando", "domani")],
        )
        .await;
    assert_eq!(bad_time.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Restore version 1 as version 3.
    let restored = ed
        .post(
            &format!("{edit_path}/versioni/1/ripristina"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    let form = ed.get(&edit_path).await;
    assert!(
        form.has("value=\"Bonus di prova\""),
        "the form holds version 1's title again"
    );
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM content_versions v JOIN contents c ON c.id = v.content_id WHERE c.slug = 'bonus-prova'").await, 3);

    // Withdraw now: gone from the site and from search.
    ed.post(
        &format!("{edit_path}/pubblicazione"),
        &[("_csrf", &token), ("azione", "ritira")],
    )
    .await;
    assert_eq!(
        page(&app, "/servizi/bonus-prova").await.status,
        StatusCode::NOT_FOUND
    );

    // Synonyms: a bad list is refused with its line; a good one changes search at once.
    let bad = ed
        .post(
            "/backoffice/sinonimi",
            &[
                ("_csrf", &token),
                ("sinonimi", "naspi: disoccupazione\nsenza due punti"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("Riga 2"), "{}", bad.body);
    let good = ed
        .post(
            "/backoffice/sinonimi",
            &[("_csrf", &token), ("sinonimi", "stipendio pensione: cedolino")],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    let search: Value = app
        .get("/api/v1/search?q=stipendio%20pensione")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(search["risultati"][0]["percorso"], "/servizi/cedolino-pensione");
    assert!(
        scalar(
            &app.db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'contenuto.%' OR action = 'ricerca.sinonimi'"
        )
        .await
            >= 4,
        "editorial changes are audited"
    );
}

async fn feedback_is_anonymous_masked_and_limited(backend: Backend) {
    let app = spawn(backend, &[("feedback_limit_per_hour", "4")]).await;
    with_demo_content(&app).await;
    let mut visitor = Browser::new(&app);
    let sent = visitor
        .post(
            "/valutazione",
            &[
                ("pagina", "/servizi/naspi"),
                ("trovato", "no"),
                ("chiaro", "2"),
                ("aggiornato", "1"),
                (
                    "commento",
                    "<b>Non capisco</b>, sono RSSMRA80A01H501U, scrivete a mario@example.it o al 347 1234567",
                ),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location(), "/servizi/naspi?valutazione=grazie#valutazione");
    let thanks = visitor.get("/servizi/naspi?valutazione=grazie").await;
    assert!(thanks.has("Grazie!"));
    visitor
        .post(
            "/valutazione",
            &[("pagina", "/servizi/naspi"), ("trovato", "si"), ("chiaro", "4")],
        )
        .await;
    visitor
        .post(
            "/valutazione",
            &[
                ("pagina", "/servizi/assegno-unico"),
                ("trovato", "si"),
                ("facile", "5"),
            ],
        )
        .await;

    // Refusals write nothing.
    let before = app.count("page_feedback").await;
    let incomplete = visitor
        .post("/valutazione", &[("pagina", "/servizi/naspi")])
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.has("Scegli se hai trovato"), "a clear message");
    let no_page = visitor.post("/valutazione", &[("trovato", "si")]).await;
    assert_eq!(no_page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = visitor
        .post(
            "/valutazione",
            &[("pagina", "/area-personale"), ("trovato", "si")],
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only public pages are rated"
    );
    let cross_site = app
        .client
        .post(app.url("/valutazione"))
        .header("origin", "https://evil.example")
        .form(&[("pagina", "/servizi/naspi"), ("trovato", "si")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        StatusCode::FORBIDDEN,
        "another site cannot post it"
    );
    let fetch_cross = app
        .client
        .post(app.url("/valutazione"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("pagina", "/servizi/naspi"), ("trovato", "si")])
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("page_feedback").await, before);

    // The stored comment has no personal data; the HTML stays text.
    let stored: String = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT comment FROM page_feedback WHERE comment IS NOT NULL"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        stored,
        "<b>Non capisco</b>, sono [codice fiscale], scrivete a [email] o al [numero]"
    );

    // The API, for the app; then the limit (4 per hour here) answers 429.
    let api = app
        .client
        .post(app.url("/api/v1/valutazioni"))
        .json(&serde_json::json!({"pagina": "/", "trovato": "in-parte", "completo": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::CREATED);
    let limited = visitor
        .post("/valutazione", &[("pagina", "/"), ("trovato", "si")])
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);

    // Editors see the worst page first, with its comments escaped.
    let (mut ed, _) = editor(&app).await;
    let report = ed.get("/backoffice/valutazioni").await;
    assert_eq!(report.status, StatusCode::OK);
    let naspi = report.body.find("href=\"/servizi/naspi\"").expect("naspi row");
    let assegno = report
        .body
        .find("href=\"/servizi/assegno-unico\"")
        .expect("assegno row");
    assert!(
        naspi < assegno,
        "worst first: naspi (50% found) before assegno unico (100%)"
    );
    assert!(
        report.has("50%") && report.has("&#60;b&#62;Non capisco"),
        "{}",
        report.body
    );
    let period = ed
        .get("/backoffice/valutazioni?dal=2000-01-01&al=2000-12-31")
        .await;
    assert!(period.has("Nessuna valutazione"));
    let bad_period = ed.get("/backoffice/valutazioni?dal=ieri").await;
    assert_eq!(bad_period.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_municipal_widget_speaks_the_validators_words(backend: Backend) {
    let app = spawn(backend, &[("municipality", "true")]).await;
    with_demo_content(&app).await;
    for path in ["/", "/servizi", "/servizi/certificato-residenza"] {
        let html = page(&app, path).await;
        assert_eq!(
            html.body.matches("data-element=\"feedback\"").count(),
            1,
            "{path}: exactly one component"
        );
        assert!(html.has(
            "data-element=\"feedback-title\">Quanto sono chiare le informazioni su questa pagina?</h2>"
        ));
        for n in 1..=5 {
            assert!(
                html.has(&format!("data-element=\"feedback-rate-{n}\"")),
                "{path}: star {n}"
            );
        }
        for text in [
            ">Quali sono stati gli aspetti che hai preferito?<",
            ">Dove hai incontrato le maggiori difficoltà?<",
            "data-element=\"feedback-rating-answer\">Capivo sempre che stavo procedendo correttamente<",
            "data-element=\"feedback-rating-answer\">A volte non capivo se stavo procedendo correttamente<",
            "data-element=\"feedback-input-text\"",
        ] {
            assert!(html.has(text), "{path}: {text}");
        }
    }
    let mut visitor = Browser::new(&app);
    let sent = visitor
        .post(
            "/valutazione",
            &[
                ("pagina", "/servizi"),
                ("rating", "2"),
                ("aspect_positive", "chiare"),
                ("aspect_negative", "problemi-tecnici"),
                ("details", "Troppi passaggi"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let thanks = visitor.get("/servizi?valutazione=grazie").await;
    assert!(thanks.has("Grazie, il tuo parere ci aiuterà a migliorare il servizio!"));
    let (clear, aspect): (i64, String) = sportello::read_pool!(&app.db, |pool| sqlx::query_as(
        "SELECT clear, aspect FROM page_feedback"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        (clear, aspect.as_str()),
        (2, "problemi-tecnici"),
        "only the answer that matches the stars"
    );
    let no_stars = visitor
        .post("/valutazione", &[("pagina", "/servizi"), ("details", "x")])
        .await;
    assert_eq!(no_stars.status, StatusCode::UNPROCESSABLE_ENTITY);
}
