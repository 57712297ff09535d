//! The online mailbox: delivery (PDF + row), the list with search, filters and older pages,
//! read state and the header badge, downloads, isolation between citizens, delegates (seen and
//! audited) and mandates for other services (refused), the masked copy of PIN letters, and bad
//! input that never reaches a 500.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE};
use sportello::cassetta::{self, Message, MessageKind, NewMessage};
use sportello::identity::accounts::Role;
use sportello::letters::{Letter, LetterCode, PostalAddress};
use sportello::storage::files::FileKey;

use crate::helpers::{Backend, TestApp};
use crate::kit::{Browser, Person, Reply, audited, citizen, person, scalar};
use crate::on_both_backends;

on_both_backends!(
    delivery_files_a_real_pdf_and_a_row,
    the_list_searches_filters_and_pages_newest_first,
    opening_marks_read_and_the_badge_counts_unread,
    the_pdf_downloads_as_an_attachment,
    nobody_reaches_another_citizens_letters,
    a_delegate_sees_the_mailbox_and_is_audited,
    a_mandate_for_another_service_does_not_open_the_mailbox,
    pin_letters_leave_a_masked_copy,
    bad_input_gets_a_page_or_a_4xx_never_a_500,
    the_api_lists_opens_and_downloads,
);

const ANNA_CF: &str = "BNCNNA52T45F205Q";
const MARIO_CF: &str = "RSSMRA80A01H501U";
const PATRONATO_CF: &str = "FRRCRL70D55H501R";
/// 2026-05-03 UTC, and one message a minute after it.
const BASE_MS: i64 = 1_777_777_777_000;

fn new_message(account_id: &str, subject: &str) -> NewMessage {
    NewMessage {
        account_id: account_id.to_owned(),
        kind: MessageKind::Decisione,
        subject: subject.to_owned(),
        sender_office: "Sede di Roma Centro".to_owned(),
        paragraphs: vec![
            "Gentile cittadina,".to_owned(),
            "la sua domanda di assegno unico è stata accolta: riceverà l'importo ogni mese.".to_owned(),
        ],
        reference: Some("AU-2026-000123".to_owned()),
    }
}

/// Inserts a row directly (no PDF), as the benchmark does: the list needs none.
async fn seed(app: &TestApp, account_id: &str, n: i64, kind: MessageKind, read: bool) -> Message {
    let message = Message {
        id: uuid::Uuid::now_v7().to_string(),
        account_id: account_id.to_owned(),
        kind,
        subject: format!("Oggetto numero {n:03}"),
        sender_office: "Sede di Milano".to_owned(),
        reference: Some(format!("RIF-{n:03}")),
        file_key: FileKey::generate("cassetta").as_str().to_owned(),
        size_bytes: 1234,
        created_at: BASE_MS + n * 60_000,
        read_at: read.then_some(BASE_MS + n * 60_000 + 1),
    };
    cassetta::insert(&app.db, &message).await.unwrap();
    message
}

/// The links to messages in a list page, in order.
fn message_links(page: &Reply) -> Vec<String> {
    page.body
        .split("href=\"/area-personale/cassetta/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.len() == 36)
        .map(str::to_owned)
        .collect()
}

/// The href of the link with `rel="next"`, unescaped.
fn older_link(page: &Reply) -> Option<String> {
    let at = page.body.find("rel=\"next\"")?;
    let before = &page.body[..at];
    let start = before.rfind("href=\"")? + 6;
    let href = &before[start..];
    Some(
        href[..href.find('"')?]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

/// The number on the header's "Nuovo" badge (0 when there is none).
fn badge(page: &Reply) -> i64 {
    let Some(at) = page.body.find("sp-mailbox") else {
        return 0;
    };
    let rest = &page.body[at..];
    let start = rest.find("badge bg-danger\">").unwrap() + "badge bg-danger\">".len();
    rest[start..start + rest[start..].find('<').unwrap()]
        .parse()
        .unwrap()
}

async fn delivery_files_a_real_pdf_and_a_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let message = new_message(&anna.id, "Domanda di assegno unico accolta");
    let id = cassetta::deliver(&app.db, &app.files, &message).await.unwrap();

    let stored = cassetta::find_for_account(&app.db, &anna.id, &id)
        .await
        .unwrap()
        .expect("the row");
    assert_eq!(stored.subject, "Domanda di assegno unico accolta");
    assert_eq!(stored.kind, MessageKind::Decisione);
    assert_eq!(stored.reference.as_deref(), Some("AU-2026-000123"));
    assert!(stored.read_at.is_none());
    assert!(stored.file_key.starts_with("cassetta/"), "{}", stored.file_key);
    let pdf = cassetta::pdf(&app.files, &stored).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(stored.size_bytes, pdf.len() as i64);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lettera.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text: String = crate::letters::read_pdf(&path)
        .into_iter()
        .map(|page| page.text)
        .collect();
    for expected in [
        "Sede di Roma Centro",
        "Domanda di assegno unico accolta",
        "è stata accolta",
        "AU-2026-000123",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }

    // Nothing half-written: an invalid message and an unknown account leave no row and no file.
    let files_before = count_files(&app).await;
    let mut bad = new_message(&anna.id, "Riga uno\nriga due");
    assert!(cassetta::deliver(&app.db, &app.files, &bad).await.is_err());
    bad.subject = "x".repeat(151);
    assert!(cassetta::deliver(&app.db, &app.files, &bad).await.is_err());
    let nobody = new_message("0196a1b2-0000-7000-8000-00000000dead", "Per nessuno");
    assert!(cassetta::deliver(&app.db, &app.files, &nobody).await.is_err());
    assert_eq!(app.count("mailbox_messages").await, 1);
    assert_eq!(count_files(&app).await, files_before);
}

/// Files in the store's `cassetta` folder (local store).
async fn count_files(app: &TestApp) -> usize {
    let rows: Vec<String> = sportello::read_pool!(&app.db, |pool| sqlx::query_scalar(
        "SELECT file_key FROM mailbox_messages"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    let mut present = 0;
    for key in rows {
        if app.files.get(&FileKey::parse(&key).unwrap()).await.is_ok() {
            present += 1;
        }
    }
    // Also every file at all under cassetta/: none may be orphaned.
    let root =
        std::path::PathBuf::from(app.files.description().trim_start_matches("local:")).join("cassetta");
    let on_disk = std::fs::read_dir(&root).map(|d| d.count()).unwrap_or(0);
    assert_eq!(on_disk, present, "orphaned files under {}", root.display());
    present
}

async fn the_list_searches_filters_and_pages_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mut all = Vec::new();
    for n in 0..45 {
        let kind = match n % 3 {
            0 => MessageKind::Decisione,
            1 => MessageKind::AvvisoPagamento,
            _ => MessageKind::Pin,
        };
        all.push(seed(&app, &anna.id, n, kind, n % 2 == 0).await);
    }
    let newest_first: Vec<String> = all.iter().rev().map(|m| m.id.clone()).collect();
    let mut b = Browser::logged_in(&app, &anna).await;

    // Three pages of 20, 20 and 5, newest first, through the "older" links.
    let first = b.get("/area-personale/cassetta").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.has("Oggetto numero 044") && first.has("Sede di Milano") && first.has("RIF-044"));
    assert!(first.has("Avviso di pagamento") && first.has("Lettera del PIN"));
    assert_eq!(message_links(&first), newest_first[..20]);
    let second = b.get(&older_link(&first).expect("an older page")).await;
    assert_eq!(message_links(&second), newest_first[20..40]);
    assert!(second.has("Torna alle più recenti"));
    let third = b.get(&older_link(&second).expect("a third page")).await;
    assert_eq!(message_links(&third), newest_first[40..]);
    assert!(older_link(&third).is_none());

    // Two messages in the same millisecond still page without loss or repeat.
    let twin_a = seed(&app, &anna.id, 100, MessageKind::Risposta, false).await;
    let mut twin_b = twin_a.clone();
    twin_b.id = uuid::Uuid::now_v7().to_string();
    cassetta::insert(&app.db, &twin_b).await.unwrap();
    let mut seen = Vec::new();
    let mut url = Some("/area-personale/cassetta".to_owned());
    while let Some(next) = url {
        let page = b.get(&next).await;
        seen.extend(message_links(&page));
        url = older_link(&page);
    }
    assert_eq!(seen.len(), 47);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 47, "no message twice");

    // Search in the subject and in the reference; case does not matter.
    let found = b.get("/area-personale/cassetta?q=numero+007").await;
    assert_eq!(message_links(&found), vec![all[7].id.clone()]);
    let found = b.get("/area-personale/cassetta?q=rif-01").await;
    assert_eq!(message_links(&found).len(), 10, "RIF-010 … RIF-019");
    let found = b.get("/area-personale/cassetta?q=OGGETTO+NUMERO+044").await;
    assert_eq!(message_links(&found), vec![all[44].id.clone()]);
    // LIKE wildcards are literal.
    let none = b.get("/area-personale/cassetta?q=%25").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(message_links(&none).is_empty() && none.has("Nessuna lettera corrisponde"));

    // Filters by kind and read state, together and with search.
    let pins = b.get("/area-personale/cassetta?tipo=pin").await;
    let ids = message_links(&pins);
    assert_eq!(ids.len(), 15);
    assert!(
        all.iter()
            .filter(|m| m.kind == MessageKind::Pin)
            .all(|m| ids.contains(&m.id))
    );
    let unread = b.get("/area-personale/cassetta?stato=da-leggere").await;
    let unread_ids = message_links(&unread);
    assert_eq!(
        unread_ids.len(),
        20,
        "22 unread of 45 + 2 twins: a full first page"
    );
    let unread_all: Vec<&Message> = all.iter().filter(|m| m.read_at.is_none()).collect();
    assert!(
        unread_all
            .iter()
            .rev()
            .take(18)
            .all(|m| unread_ids.contains(&m.id))
    );
    let read = b.get("/area-personale/cassetta?stato=letti&tipo=decisione").await;
    let read_ids = message_links(&read);
    let expected: Vec<String> = all
        .iter()
        .rev()
        .filter(|m| m.kind == MessageKind::Decisione && m.read_at.is_some())
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(read_ids, expected);
    // The filters survive into the "older" link.
    let older = older_link(&unread).expect("more unread");
    assert!(
        older.contains("stato=da-leggere") && older.contains("prima_di="),
        "{older}"
    );
    let rest = b.get(&older).await;
    assert_eq!(message_links(&rest).len(), 4);
}

async fn opening_marks_read_and_the_badge_counts_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mut b = Browser::logged_in(&app, &anna).await;
    let area = b.get("/area-personale").await;
    assert_eq!(badge(&area), 0, "no badge without letters");
    assert!(
        area.has("href=\"/area-personale/cassetta\""),
        "the personal area links the mailbox"
    );

    let old = seed(&app, &anna.id, 1, MessageKind::Risposta, true).await;
    let first = cassetta::deliver(&app.db, &app.files, &new_message(&anna.id, "Prima lettera"))
        .await
        .unwrap();
    let second = cassetta::deliver(&app.db, &app.files, &new_message(&anna.id, "Seconda lettera"))
        .await
        .unwrap();
    let home = b.get("/").await;
    assert_eq!(badge(&home), 2, "the header counts unread letters on any page");
    let list = b.get("/area-personale/cassetta").await;
    assert_eq!(
        list.body.matches(">Nuovo</span>").count(),
        2 + 1,
        "two rows and the header"
    );

    let opened = b.get(&format!("/area-personale/cassetta/{first}")).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(opened.has("Prima lettera") && opened.has("Sede di Roma Centro") && opened.has("AU-2026-000123"));
    assert!(opened.has(&format!("/area-personale/cassetta/{first}/pdf")));
    assert_eq!(badge(&opened), 1);
    let read_at = cassetta::find_for_account(&app.db, &anna.id, &first)
        .await
        .unwrap()
        .unwrap()
        .read_at
        .expect("marked read");
    // Opening again keeps the first reading time.
    b.get(&format!("/area-personale/cassetta/{first}")).await;
    let again = cassetta::find_for_account(&app.db, &anna.id, &first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.read_at, Some(read_at));
    assert_eq!(cassetta::unread_count(&app.db, &anna.id).await.unwrap(), 1);
    let unread = b.get("/area-personale/cassetta?stato=da-leggere").await;
    assert_eq!(message_links(&unread), vec![second.clone()]);
    let read = b.get("/area-personale/cassetta?stato=letti").await;
    assert_eq!(message_links(&read), vec![first.clone(), old.id.clone()]);
    b.get(&format!("/area-personale/cassetta/{second}")).await;
    assert_eq!(badge(&b.get("/area-personale").await), 0);
    // A citizen's own reading is not audited.
    assert_eq!(audited(&app.db, "cassetta.letta", Some(&anna.id)).await, 0);
    assert_eq!(audited(&app.db, "cassetta.elenco", Some(&anna.id)).await, 0);
}

async fn the_pdf_downloads_as_an_attachment(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let id = cassetta::deliver(
        &app.db,
        &app.files,
        &new_message(&anna.id, "Lettera da scaricare"),
    )
    .await
    .unwrap();
    let b = Browser::logged_in(&app, &anna).await;
    let response = app
        .client
        .get(app.url(&format!("/area-personale/cassetta/{id}/pdf")))
        .header(COOKIE, b.session_cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "application/pdf");
    let disposition = header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"decisione-") && disposition.ends_with(".pdf\""),
        "{disposition}"
    );
    assert!(header("cache-control").contains("no-store"));
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let stored = cassetta::find_for_account(&app.db, &anna.id, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes.len() as i64, stored.size_bytes);
}

async fn nobody_reaches_another_citizens_letters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let annas = cassetta::deliver(
        &app.db,
        &app.files,
        &new_message(&anna.id, "Lettera riservata di Anna"),
    )
    .await
    .unwrap();
    let marios = cassetta::deliver(&app.db, &app.files, &new_message(&mario.id, "Lettera di Mario"))
        .await
        .unwrap();
    let mut m = Browser::logged_in(&app, &mario).await;
    let list = m.get("/area-personale/cassetta").await;
    assert_eq!(message_links(&list), vec![marios.clone()]);
    assert!(!list.has("Lettera riservata di Anna"));
    let found = m.get("/area-personale/cassetta?q=riservata").await;
    assert!(message_links(&found).is_empty());
    for path in [
        format!("/area-personale/cassetta/{annas}"),
        format!("/area-personale/cassetta/{annas}/pdf"),
        format!("/api/v1/cassetta/{annas}"),
        format!("/api/v1/cassetta/{annas}/pdf"),
        "/area-personale/cassetta/0196a1b2-0000-7000-8000-000000000000".to_owned(),
        "/api/v1/cassetta/0196a1b2-0000-7000-8000-000000000000/pdf".to_owned(),
    ] {
        let reply = m.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        assert!(
            !reply.has("Lettera riservata di Anna") && !reply.has("%PDF"),
            "{path}"
        );
    }
    let api = m.get("/api/v1/cassetta").await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(!api.has(&annas) && api.has(&marios));
    let still = cassetta::find_for_account(&app.db, &anna.id, &annas)
        .await
        .unwrap()
        .unwrap();
    assert!(
        still.read_at.is_none(),
        "Mario's tries did not mark Anna's letter read"
    );

    // Staff have no mailbox of their own and cannot open a citizen's here.
    let staff = app
        .login_as_role("PLACNT70A01H501Q", "Paolo Conti", Role::OperatoreContactCenter)
        .await;
    let mut s = Browser::holding(&app, &staff);
    for path in [
        "/area-personale/cassetta".to_owned(),
        format!("/area-personale/cassetta/{annas}"),
        format!("/api/v1/cassetta/{annas}/pdf"),
    ] {
        let reply = s.get(&path).await;
        assert!(
            matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {}",
            reply.status
        );
        assert!(!reply.has("Lettera riservata di Anna"));
    }
    // No session: 401 on the API (problem+json), the login page's way forward on pages.
    let anonymous = Reply::read(app.get("/api/v1/cassetta").await).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("content-type"), Some("application/problem+json"));
    assert_eq!(anonymous.json()["code"], "non-autenticato");
    let page = Reply::read(app.get(&format!("/area-personale/cassetta/{annas}")).await).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(!page.has("Lettera riservata di Anna"));
}

/// Starts acting for `citizen_id`; checks that it worked.
async fn act_for(browser: &mut Browser, citizen_id: &str) {
    let token = browser.token().await;
    let reply = browser
        .post(&format!("/per-conto/{citizen_id}"), &[("_csrf", &token)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
}

async fn a_delegate_sees_the_mailbox_and_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let mario = citizen(&app, MARIO_CF, "Mario Rossi").await;
    let id = cassetta::deliver(&app.db, &app.files, &new_message(&anna.id, "Lettera per Anna"))
        .await
        .unwrap();
    cassetta::deliver(&app.db, &app.files, &new_message(&mario.id, "Lettera per Mario"))
        .await
        .unwrap();
    let anna_account = sportello::identity::accounts::find(&app.db, &anna.id)
        .await
        .unwrap()
        .unwrap();
    let now = sportello::storage::now_ms();
    sportello::identity::delega::create(
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
    .expect("delegation");

    let mut m = Browser::logged_in(&app, &mario).await;
    act_for(&mut m, &anna.id).await;
    let list = m.get("/area-personale/cassetta").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(message_links(&list), vec![id.clone()]);
    assert!(
        !list.has("Lettera per Mario"),
        "the delegate sees Anna's mailbox, not his own"
    );
    assert_eq!(
        badge(&list),
        1,
        "the badge counts Anna's letters while acting for her"
    );
    assert_eq!(audited(&app.db, "cassetta.elenco", Some(&anna.id)).await, 1);
    let opened = m.get(&format!("/area-personale/cassetta/{id}")).await;
    assert_eq!(opened.status, StatusCode::OK);
    let pdf = m.get(&format!("/area-personale/cassetta/{id}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(audited(&app.db, "cassetta.letta", Some(&anna.id)).await, 2);
    let actor = crate::kit::text(
        &app.db,
        &format!(
            "SELECT actor_id FROM audit_log WHERE action = 'cassetta.letta' AND subject_id = '{}' LIMIT 1",
            anna.id
        ),
    )
    .await;
    assert_eq!(actor, mario.id);
    // Anna sees it on her activity page.
    let mut a = Browser::logged_in(&app, &anna).await;
    let activity = a.get("/area-personale/attivita").await;
    assert!(
        activity.has("Ha aperto una lettera della tua cassetta postale"),
        "{}",
        activity.body
    );
    // Her own reading adds nothing.
    a.get("/area-personale/cassetta").await;
    a.get(&format!("/area-personale/cassetta/{id}")).await;
    assert_eq!(audited(&app.db, "cassetta.letta", Some(&anna.id)).await, 2);
    assert_eq!(audited(&app.db, "cassetta.elenco", Some(&anna.id)).await, 1);
}

async fn a_mandate_for_another_service_does_not_open_the_mailbox(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let patronato = person(&app, PATRONATO_CF, "Carla Ferri (Patronato)", Role::Intermediario).await;
    let other = person(&app, "CAFSTD80A01H501P", "CAF Studio Uno", Role::Intermediario).await;
    let id = cassetta::deliver(&app.db, &app.files, &new_message(&anna.id, "Lettera per Anna"))
        .await
        .unwrap();
    let anna_account = sportello::identity::accounts::find(&app.db, &anna.id)
        .await
        .unwrap()
        .unwrap();
    let until = sportello::storage::now_ms() + 86_400_000;
    for (holder, service) in [(&patronato, "pensioni"), (&other, "cassetta")] {
        sportello::identity::delega::grant_mandate(
            &app.db,
            &anna_account,
            &holder.cf,
            service,
            until,
            &anna.id,
        )
        .await
        .unwrap()
        .expect("mandate");
    }

    let mut p = Browser::logged_in(&app, &patronato).await;
    act_for(&mut p, &anna.id).await;
    let area = p.get("/area-personale").await;
    assert_eq!(badge(&area), 0);
    assert!(
        !area.has("href=\"/area-personale/cassetta\""),
        "no link to a mailbox it cannot open"
    );
    for path in [
        "/area-personale/cassetta".to_owned(),
        format!("/area-personale/cassetta/{id}"),
        format!("/area-personale/cassetta/{id}/pdf"),
        "/api/v1/cassetta".to_owned(),
        format!("/api/v1/cassetta/{id}"),
    ] {
        let reply = p.get(&path).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {}", reply.body);
        // (The id may come back in the page's own links: it was in the request.)
        assert!(
            !reply.has("Lettera per Anna") && !reply.has("Sede di Roma Centro"),
            "{path}"
        );
    }
    assert_eq!(audited(&app.db, "cassetta.elenco", Some(&anna.id)).await, 0);
    assert_eq!(audited(&app.db, "cassetta.letta", Some(&anna.id)).await, 0);
    let unread = cassetta::find_for_account(&app.db, &anna.id, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(unread.read_at.is_none());

    // A mandate that names the mailbox opens it (and is audited).
    let mut o = Browser::logged_in(&app, &other).await;
    act_for(&mut o, &anna.id).await;
    let list = o.get("/area-personale/cassetta").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(message_links(&list), vec![id.clone()]);
    assert_eq!(audited(&app.db, "cassetta.elenco", Some(&anna.id)).await, 1);
}

async fn pin_letters_leave_a_masked_copy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    let letter = Letter {
        account_id: Some(anna.id.clone()),
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
    };
    sportello::letters::queue_letter(&app.db, &app.files, &letter)
        .await
        .unwrap();
    assert_eq!(app.count("letters").await, 1, "the paper letter is queued");
    let copies = cassetta::list(&app.db, &anna.id, &Default::default(), 10)
        .await
        .unwrap();
    assert_eq!(copies.len(), 1);
    let copy = &copies[0];
    assert_eq!(copy.kind, MessageKind::Pin);
    assert_eq!(copy.subject, "La seconda metà del tuo PIN");
    assert_eq!(copy.reference.as_deref(), Some("PIN-PROVA"));
    assert_eq!(copy.sender_office, "Comune di Prova");
    let pdf = cassetta::pdf(&app.files, copy).await.unwrap();
    assert!(
        !pdf.windows(8).any(|w| w == b"K7Q2M9XA"),
        "the mailbox never holds the PIN"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copia.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text: String = crate::letters::read_pdf(&path)
        .into_iter()
        .map(|page| page.text)
        .collect();
    assert!(text.contains("Seconda metà del PIN: ••••••••"), "{text}");
    assert!(
        !text.contains("K7Q2M9XA") && !text.contains("Via dei Mille"),
        "{text}"
    );
    let row = format!("{copy:?}");
    assert!(!row.contains("K7Q2M9XA"));
    // The page and the API show the copy, not the code.
    let mut b = Browser::logged_in(&app, &anna).await;
    let page = b.get(&format!("/area-personale/cassetta/{}", copy.id)).await;
    assert!(page.has("La seconda metà del tuo PIN") && !page.has("K7Q2M9XA"));

    // A letter for no account leaves no copy.
    let mut anonymous = letter.clone();
    anonymous.account_id = None;
    sportello::letters::queue_letter(&app.db, &app.files, &anonymous)
        .await
        .unwrap();
    assert_eq!(app.count("mailbox_messages").await, 1);
}

async fn bad_input_gets_a_page_or_a_4xx_never_a_500(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    seed(&app, &anna.id, 1, MessageKind::Pin, false).await;
    let mut b = Browser::logged_in(&app, &anna).await;
    let huge = "a".repeat(10_000);
    let cases = [
        format!("?q={huge}"),
        "?q=%00".to_owned(),
        "?q=%FF%FE".to_owned(),
        "?tipo=multa".to_owned(),
        "?tipo=%27%3B+DROP+TABLE+mailbox_messages%3B--".to_owned(),
        "?stato=tutti".to_owned(),
        "?prima_di=ieri".to_owned(),
        "?prima_di=99999999999999999999_x".to_owned(),
        "?prima_di=-1_0196a1b2-0000-7000-8000-000000000001".to_owned(),
        "?tipo=pin&tipo=decisione".to_owned(),
        "?q=%27+OR+1%3D1--".to_owned(),
        "?q=<script>alert(1)</script>".to_owned(),
    ];
    for base in ["/area-personale/cassetta", "/api/v1/cassetta"] {
        for case in &cases {
            let path = format!("{base}{case}");
            let reply = b.get(&path).await;
            assert!(
                reply.status == StatusCode::OK || reply.status.is_client_error(),
                "{path}: {}",
                reply.status
            );
            assert!(!reply.has("<script>alert(1)</script>"), "{path} echoes markup");
            if reply.status.is_client_error() && base.starts_with("/api") {
                assert_eq!(
                    reply.header("content-type"),
                    Some("application/problem+json"),
                    "{path}"
                );
            }
        }
    }
    let unknown = b.get("/area-personale/cassetta?tipo=multa").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.has("Il tipo di lettera scelto non esiste"),
        "{}",
        unknown.body
    );
    let problem = b.get("/api/v1/cassetta?prima_di=ieri").await;
    assert_eq!(problem.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem.json()["code"], "cassetta-filtro-non-valido");
    assert_eq!(problem.json()["errors"][0]["field"], "prima_di");
    // Ids that cannot exist.
    for id in ["x", "..%2F..%2Fetc%2Fpasswd", &"f".repeat(500), "%00"] {
        for path in [
            format!("/area-personale/cassetta/{id}"),
            format!("/area-personale/cassetta/{id}/pdf"),
            format!("/api/v1/cassetta/{id}"),
        ] {
            let reply = b.get(&path).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        }
    }
    assert_eq!(app.count("mailbox_messages").await, 1);
    // English when asked.
    let en = app
        .client
        .get(app.url("/api/v1/cassetta?stato=boh"))
        .header(COOKIE, b.session_cookie())
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let en = Reply::read(en).await;
    assert_eq!(en.json()["title"], "Invalid filter");
}

async fn the_api_lists_opens_and_downloads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna: Person = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    for n in 0..25 {
        seed(&app, &anna.id, n, MessageKind::AvvisoPagamento, false).await;
    }
    let id = cassetta::deliver(&app.db, &app.files, &new_message(&anna.id, "Lettera via app"))
        .await
        .unwrap();
    // The app logs in with a bearer token.
    let login = crate::kit::api_login(
        &app,
        &serde_json::json!({"codice_fiscale": anna.cf, "pin": anna.pin}),
    )
    .await;
    assert_eq!(login.status, StatusCode::CREATED, "{}", login.body);
    let token = login.json()["token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let app = &app;
        let token = token.clone();
        async move {
            Reply::read(
                app.client
                    .get(app.url(&path))
                    .header(AUTHORIZATION, format!("Bearer {token}"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let first = get("/api/v1/cassetta".to_owned()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let json = first.json();
    let items = json["messaggi"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["tipo"], "decisione");
    assert_eq!(items[0]["oggetto"], "Lettera via app");
    assert_eq!(items[0]["mittente"], "Sede di Roma Centro");
    assert_eq!(items[0]["riferimento"], "AU-2026-000123");
    assert_eq!(items[0]["letto"], false);
    assert!(jiff::Timestamp::from_str_rfc3339(
        items[1]["data"].as_str().unwrap()
    ));
    let cursor = json["prima_di"].as_str().expect("a next page");
    let second = get(format!("/api/v1/cassetta?prima_di={cursor}")).await.json();
    assert_eq!(second["messaggi"].as_array().unwrap().len(), 6);
    assert!(second["prima_di"].is_null());
    let filtered = get("/api/v1/cassetta?tipo=decisione&stato=da-leggere".to_owned())
        .await
        .json();
    assert_eq!(filtered["messaggi"].as_array().unwrap().len(), 1);

    let one = get(format!("/api/v1/cassetta/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["letto"], true, "opening marks read");
    assert_eq!(one.json()["pdf"], format!("/api/v1/cassetta/{id}/pdf"));
    let unread = get("/api/v1/cassetta?stato=da-leggere&tipo=decisione".to_owned())
        .await
        .json();
    assert!(unread["messaggi"].as_array().unwrap().is_empty());
    let pdf = app
        .client
        .get(app.url(&format!("/api/v1/cassetta/{id}/pdf")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(
        scalar(
            &app.db,
            "SELECT COUNT(*) FROM mailbox_messages WHERE read_at IS NULL"
        )
        .await,
        25
    );

    // The OpenAPI document lists the three operations.
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for path in [
        "/api/v1/cassetta",
        "/api/v1/cassetta/{id}",
        "/api/v1/cassetta/{id}/pdf",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
}

trait Rfc3339 {
    fn from_str_rfc3339(text: &str) -> bool;
}

impl Rfc3339 for jiff::Timestamp {
    /// Whether `text` reads as an RFC 3339 instant.
    fn from_str_rfc3339(text: &str) -> bool {
        text.parse::<jiff::Timestamp>().is_ok() && text.contains('T')
    }
}
