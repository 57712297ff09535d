//! Isolation under load: a thousand citizens at once, each sees only their own data, and no
//! authenticated response is something a shared cache would keep (the INPS failure of
//! 1 April 2020). Grows with every feature that shows a citizen their data: sessions and
//! pages, drafts (read, change, file, delete), filed applications and their receipts, questions
//! (read, list, write into), the mailbox's letters (API, page, PDF).

use std::sync::Arc;

use reqwest::header::{CACHE_CONTROL, COOKIE, VARY};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_thousand_citizens_each_see_only_their_own_data,
    behind_a_careless_caching_proxy_nobody_sees_anyone_else
);

/// How many citizens: 1,000 in the test command; more for a long run
/// (`SPORTELLO_TEST_CITIZENS=20000`, docs/testing.md).
fn citizens() -> usize {
    std::env::var("SPORTELLO_TEST_CITIZENS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
        .max(2)
}

/// A well-formed codice fiscale for citizen `n` (born in Rome, distinct birth dates).
fn codice_fiscale(n: usize) -> String {
    const MONTHS: &[u8] = b"ABCDEHLMPRST";
    const ODD: [usize; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
    ];
    let year = 30 + n % 70;
    let month = char::from(MONTHS[(n / 70) % 12]);
    let day = 1 + (n / 840) % 28;
    let body = format!("RSSMRA{year:02}{month}{day:02}H501");
    let sum: usize = body
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            let v = usize::from(if c.is_ascii_digit() { c - b'0' } else { c - b'A' });
            if i % 2 == 0 { ODD[v] } else { v }
        })
        .sum();
    format!("{body}{}", char::from(b'A' + (sum % 26) as u8))
}

fn assert_private(headers: &reqwest::header::HeaderMap, what: &str) {
    let cache = headers[CACHE_CONTROL].to_str().unwrap();
    assert!(cache.contains("no-store"), "{what}: {cache}");
    assert!(
        !cache.contains("public") && !cache.contains("s-maxage"),
        "{what}: {cache}"
    );
    assert!(
        headers
            .get_all(VARY)
            .iter()
            .any(|v| v.to_str().unwrap().contains("Cookie")),
        "{what}: Vary"
    );
}

async fn a_thousand_citizens_each_see_only_their_own_data(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("database_max_connections", "16")]).await;
    let count = citizens();
    let mut citizens = Vec::with_capacity(count);
    for n in 0..count {
        let cf = codice_fiscale(n);
        let name = format!("Cittadino Numero {n:04}");
        let cookie = app.login_as(&cf, &name).await;
        citizens.push((cf, name, cookie));
    }
    let mut distinct: Vec<_> = citizens.iter().map(|(cf, _, _)| cf.clone()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), count, "all different people");

    // One shared client: its pool keeps connections alive and hands them from one citizen's
    // request to another's, as a proxy or a crowded office network would.
    let client = app.client.clone();
    let gate = Arc::new(Semaphore::new(64));
    let citizens = Arc::new(citizens);
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, base) = (
            client.clone(),
            gate.clone(),
            citizens.clone(),
            app.base_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let (cf, name, cookie) = &citizens[n];
            for round in 0..2 {
                let api = client
                    .get(format!("{base}/api/v1/sessione"))
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(api.status(), 200, "citizen {n} round {round}");
                assert_private(api.headers(), "api");
                let body: Value = api.json().await.unwrap();
                assert_eq!(
                    body["codice_fiscale"],
                    cf.as_str(),
                    "citizen {n} got someone else's session"
                );
                assert_eq!(body["nome"], name.as_str());

                let page = client
                    .get(format!("{base}/"))
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(page.status(), 200);
                assert_private(page.headers(), "page");
                let html = page.text().await.unwrap();
                // Every codice fiscale or name of this test's citizens on the page must be theirs.
                for (marker, own) in [("RSSMRA", cf.as_str()), ("Cittadino Numero ", name.as_str())] {
                    for (at, _) in html.match_indices(marker) {
                        assert!(
                            html[at..].starts_with(own),
                            "citizen {n} saw someone else: {}",
                            &html[at..at + 24]
                        );
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    // Drafts: every citizen opens one at once; then each sees exactly their own, and nobody
    // reads, changes, files or deletes a neighbour's (the other INPS failure of that night).
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, base) = (
            client.clone(),
            gate.clone(),
            citizens.clone(),
            app.base_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let created = client
                .post(format!("{base}/api/v1/domande"))
                .header(COOKIE, &citizens[n].2)
                .json(&serde_json::json!({ "modulo": "certificato-residenza" }))
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), 201, "citizen {n} opens a draft");
            assert_private(created.headers(), "new draft");
            let body: Value = created.json().await.unwrap();
            body["id"].as_str().unwrap().to_owned()
        }));
    }
    let mut drafts = Vec::with_capacity(count);
    for task in tasks {
        drafts.push(task.await.unwrap());
    }
    let drafts = Arc::new(drafts);
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, drafts, base) = (
            client.clone(),
            gate.clone(),
            citizens.clone(),
            drafts.clone(),
            app.base_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let cookie = &citizens[n].2;
            let list = client
                .get(format!("{base}/api/v1/domande"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert_private(list.headers(), "drafts");
            let list: Value = list.json().await.unwrap();
            let ids: Vec<&str> = list
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|d| d["id"].as_str())
                .collect();
            assert_eq!(
                ids,
                vec![drafts[n].as_str()],
                "citizen {n} sees exactly their draft"
            );
            let neighbour = &drafts[(n + 1) % drafts.len()];
            let attempts = [
                client.get(format!("{base}/api/v1/domande/{neighbour}")),
                client
                    .put(format!("{base}/api/v1/domande/{neighbour}/passi/1"))
                    .json(&serde_json::json!({ "risposte": { "copie": 1 } })),
                client.post(format!("{base}/api/v1/domande/{neighbour}/invio")),
                client.delete(format!("{base}/api/v1/domande/{neighbour}")),
                client.get(format!("{base}/area-personale/domande/{neighbour}/riepilogo")),
            ];
            for attempt in attempts {
                let reply = attempt.header(COOKIE, cookie).send().await.unwrap();
                assert_eq!(reply.status(), 404, "citizen {n} reaches a neighbour's draft");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let left: i64 = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM domande WHERE state = 'bozza' AND revision = 0"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        left,
        i64::try_from(count).unwrap(),
        "every draft untouched by the others"
    );

    // Filed applications, receipts, questions and the letters filing puts in the mailbox.
    // Every citizen (raised to a PIN dispositivo, as SPID would give) files a certificato and
    // asks a question at once; then each reads their own receipt, question and letters, and
    // reaches none of a neighbour's.
    let raised: u64 = sportello::write_pool!(&app.db, |pool| sqlx::query(
        "UPDATE sessions SET auth_level = 'dispositivo'"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(raised, u64::try_from(count).unwrap());
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, base) = (
            client.clone(),
            gate.clone(),
            citizens.clone(),
            app.base_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let (_, name, cookie) = &citizens[n];
            let filed = client
                .post(format!("{base}/api/v1/domande"))
                .header(COOKIE, cookie)
                .json(&serde_json::json!({
                    "modulo": "certificato-residenza",
                    "invia": true,
                    "risposte": {"intestatario": "se-stesso", "uso": "bollo", "copie": "1",
                                 "email": format!("cittadino{n}@example.it")}
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(filed.status(), 201, "citizen {n} files");
            assert_private(filed.headers(), "filing");
            let filed: Value = filed.json().await.unwrap();
            let asked = client
                .post(format!("{base}/api/v1/quesiti"))
                .header(COOKIE, cookie)
                .json(&serde_json::json!({
                    "argomento": "contributi",
                    "oggetto": format!("Estratto conto di {name}"),
                    "testo": format!("Sono {name} e chiedo il mio estratto conto contributivo."),
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(asked.status(), 201, "citizen {n} asks");
            assert_private(asked.headers(), "question");
            let asked: Value = asked.json().await.unwrap();
            (
                filed["id"].as_str().unwrap().to_owned(),
                asked["id"].as_str().unwrap().to_owned(),
            )
        }));
    }
    let mut owned = Vec::with_capacity(count);
    for task in tasks {
        owned.push(task.await.unwrap());
    }
    // The filings' letters arrive through the job queue: wait until every mailbox has one.
    let everyone = i64::try_from(count).unwrap();
    // Two minutes for the test command's thousand; longer runs get time in proportion.
    let patience = std::time::Duration::from_secs(120.max(count as u64 / 10));
    let delivered = crate::helpers::eventually(patience, || {
        let db = app.db.clone();
        async move {
            let with_letter: i64 = sportello::read_pool!(&db, |pool| sqlx::query_scalar(
                "SELECT COUNT(DISTINCT account_id) FROM mailbox_messages"
            )
            .fetch_one(pool)
            .await)
            .unwrap();
            with_letter >= everyone
        }
    })
    .await;
    assert!(delivered, "every citizen gets the filing's letter");
    let owned = Arc::new(owned);
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, owned, base) = (
            client.clone(),
            gate.clone(),
            citizens.clone(),
            owned.clone(),
            app.base_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let (cf, name, cookie) = &citizens[n];
            let get = |path: String| {
                client
                    .get(format!("{base}{path}"))
                    .header(COOKIE, cookie.as_str())
                    .send()
            };
            let (domanda, quesito) = &owned[n];

            // Their own: the application, its receipt, the question, the letters.
            let mine = get(format!("/api/v1/domande/{domanda}")).await.unwrap();
            assert_eq!(mine.status(), 200);
            assert_private(mine.headers(), "application");
            only_own(&mine.text().await.unwrap(), cf, name, n);
            let receipt = get(format!("/api/v1/domande/{domanda}/ricevuta")).await.unwrap();
            assert_eq!(receipt.status(), 200, "citizen {n}'s receipt");
            assert_private(receipt.headers(), "receipt");
            let question = get(format!("/api/v1/quesiti/{quesito}")).await.unwrap();
            assert_eq!(question.status(), 200);
            assert_private(question.headers(), "question");
            let text = question.text().await.unwrap();
            assert!(
                text.contains(name.as_str()),
                "citizen {n} reads their own question"
            );
            only_own(&text, cf, name, n);
            let questions = get("/api/v1/quesiti".to_owned()).await.unwrap();
            assert_private(questions.headers(), "questions");
            let questions: Value = questions.json().await.unwrap();
            let ids: Vec<&str> = questions
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|q| q["id"].as_str())
                .collect();
            assert_eq!(
                ids,
                vec![quesito.as_str()],
                "citizen {n} lists exactly their question"
            );
            let mailbox = get("/api/v1/cassetta".to_owned()).await.unwrap();
            assert_eq!(mailbox.status(), 200);
            assert_private(mailbox.headers(), "mailbox");
            let mailbox: Value = mailbox.json().await.unwrap();
            let letters: Vec<String> = mailbox["messaggi"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect();
            assert!(!letters.is_empty(), "citizen {n} has the filing's letter");
            for letter in &letters {
                let read = get(format!("/api/v1/cassetta/{letter}")).await.unwrap();
                assert_eq!(read.status(), 200);
                assert_private(read.headers(), "letter");
                only_own(&read.text().await.unwrap(), cf, name, n);
                let page = get(format!("/area-personale/cassetta/{letter}")).await.unwrap();
                assert_eq!(page.status(), 200);
                assert_private(page.headers(), "letter page");
                only_own(&page.text().await.unwrap(), cf, name, n);
            }

            // A neighbour's: exactly like something that does not exist.
            let next = (n + 1) % owned.len();
            let (their_domanda, their_quesito) = &owned[next];
            for path in [
                format!("/api/v1/domande/{their_domanda}"),
                format!("/api/v1/domande/{their_domanda}/ricevuta"),
                format!("/area-personale/domande/{their_domanda}"),
                format!("/area-personale/domande/{their_domanda}/ricevuta.pdf"),
                format!("/api/v1/quesiti/{their_quesito}"),
                format!("/area-personale/quesiti/{their_quesito}"),
            ] {
                let reply = get(path.clone()).await.unwrap();
                assert_eq!(reply.status(), 404, "citizen {n} reaches {path}");
            }
            let reply = client
                .post(format!("{base}/api/v1/quesiti/{their_quesito}/messaggi"))
                .header(COOKIE, cookie.as_str())
                .json(&serde_json::json!({ "testo": "Scrivo nel quesito di un altro." }))
                .send()
                .await
                .unwrap();
            assert_eq!(
                reply.status(),
                404,
                "citizen {n} writes in a neighbour's question"
            );
            letters
        }));
    }
    let mut letters_of = Vec::with_capacity(count);
    for task in tasks {
        letters_of.push(task.await.unwrap());
    }
    // Letters: every citizen tries a neighbour's, by API and page, whole and as PDF.
    let letters_of = Arc::new(letters_of);
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, letters_of, base) = (
            client.clone(),
            gate.clone(),
            citizens.clone(),
            letters_of.clone(),
            app.base_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let cookie = &citizens[n].2;
            let theirs = &letters_of[(n + 1) % letters_of.len()][0];
            for path in [
                format!("/api/v1/cassetta/{theirs}"),
                format!("/api/v1/cassetta/{theirs}/pdf"),
                format!("/area-personale/cassetta/{theirs}"),
                format!("/area-personale/cassetta/{theirs}/pdf"),
            ] {
                let reply = client
                    .get(format!("{base}{path}"))
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status(), 404, "citizen {n} reaches {path}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Nothing an intruder sent was kept: each question still has only its asker's message.
    let messages: i64 = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM question_messages"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(messages, everyone, "one message per question, the asker's");
}

/// Every codice fiscale or name of this test's citizens in `text` must be citizen `n`'s own.
fn only_own(text: &str, cf: &str, name: &str, n: usize) {
    for (marker, own) in [("RSSMRA", cf), ("Cittadino Numero ", name)] {
        for (at, _) in text.match_indices(marker) {
            assert!(
                text[at..].starts_with(own),
                "citizen {n} saw someone else: {}",
                &text[at..(at + 24).min(text.len())]
            );
        }
    }
}

/// nginx as a careless CDN: caches every 200 for ten minutes under a key that ignores cookies,
/// ignoring `Vary` and `Set-Cookie`. Only `Cache-Control` stands between one citizen's page
/// and the next citizen: exactly the situation of INPS on 1 April 2020.
fn careless_cdn_config(dir: &std::path::Path, listen: u16, origin: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;\n\
           uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           proxy_cache_path {d}/cache levels=1:2 keys_zone=cdn:10m max_size=200m inactive=10m use_temp_path=off;\n\
           upstream origin {{ server {origin}; keepalive 32; }}\n\
           server {{\n    listen 127.0.0.1:{listen};\n    location / {{\n\
               proxy_pass http://origin;\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
               proxy_cache cdn;\n      proxy_cache_key $request_uri;\n      proxy_cache_valid 200 10m;\n\
               proxy_ignore_headers Set-Cookie Vary;\n      add_header X-Cache-Status $upstream_cache_status always;\n\
             }}\n  }}\n}}\n"
    )
}

async fn behind_a_careless_caching_proxy_nobody_sees_anyone_else(backend: Backend) {
    // Provided by scripts/test (Debian's nginx); missing is a failure, never a skip.
    let nginx = std::env::var("SPORTELLO_TEST_NGINX")
        .unwrap_or_else(|_| panic!("SPORTELLO_TEST_NGINX is not set: run the suite with scripts/test"));
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let origin = app.base_url.trim_start_matches("http://").to_owned();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, careless_cdn_config(dir.path(), port, &origin)).unwrap();
    let _nginx = tokio::process::Command::new(&nginx)
        .args([
            "-c",
            conf.to_str().unwrap(),
            "-p",
            dir.path().to_str().unwrap(),
            "-e",
            "stderr",
        ])
        .kill_on_drop(true)
        .spawn()
        .expect("start nginx");
    let proxy = format!("http://127.0.0.1:{port}");
    let client = app.client.clone();
    let up = crate::helpers::eventually(std::time::Duration::from_secs(10), || {
        let (client, url) = (client.clone(), format!("{proxy}/healthz"));
        async move { client.get(url).send().await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    assert!(up, "nginx answers");

    // The proxy does cache what it may: a static asset is a HIT the second time. Without this,
    // the rest of the test would prove nothing.
    let html = client
        .get(format!("{proxy}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html.find("/static/").unwrap();
    let asset = &html[start..start + html[start..].find('"').unwrap()];
    client.get(format!("{proxy}{asset}")).send().await.unwrap();
    // nginx may still be writing the first copy to its cache when the next request comes.
    let cached = crate::helpers::eventually(std::time::Duration::from_secs(5), || {
        let (client, url) = (client.clone(), format!("{proxy}{asset}"));
        async move {
            let again = client.get(url).send().await.unwrap();
            again.headers()["x-cache-status"] == "HIT"
        }
    })
    .await;
    assert!(cached, "the proxy caches what it is allowed to");

    let count = citizens().min(300);
    let mut citizens = Vec::new();
    for n in 0..count {
        let (cf, name) = (codice_fiscale(n), format!("Cittadino Numero {n:04}"));
        let cookie = app.login_as(&cf, &name).await;
        citizens.push((cf, name, cookie));
    }
    let citizens = Arc::new(citizens);
    let gate = Arc::new(Semaphore::new(32));
    let mut tasks = Vec::new();
    for n in 0..count {
        let (client, gate, citizens, proxy) = (client.clone(), gate.clone(), citizens.clone(), proxy.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let (cf, name, cookie) = &citizens[n];
            for path in ["/api/v1/sessione", "/area-personale", "/"] {
                let response = client
                    .get(format!("{proxy}{path}"))
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "citizen {n} {path}");
                // The home page is public: anonymous visitors get it with `public, max-age`
                // and `Vary: Cookie`, which this proxy ignores, so a logged-in citizen may get
                // the anonymous copy from it (the body checks below prove it holds nobody's
                // data). Personal pages must never come from the cache.
                if path != "/" {
                    assert_ne!(
                        response.headers()["x-cache-status"],
                        "HIT",
                        "citizen {n} got a cached {path}"
                    );
                }
                let body = response.text().await.unwrap();
                for (marker, own) in [("RSSMRA", cf.as_str()), ("Cittadino Numero ", name.as_str())] {
                    for (at, _) in body.match_indices(marker) {
                        assert!(
                            body[at..].starts_with(own),
                            "citizen {n} saw someone else through the proxy"
                        );
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}
