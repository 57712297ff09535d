//! Application forms in English: an English page shows a form's English texts, and the
//! Italian text of any part without one inside `lang="it"` (WCAG 2.1 SC 3.1.2); an Italian
//! page is as it always was; the API gives both texts.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sportello::domande::registry;

use crate::domande::{filer, sedi_and_profile};
use crate::helpers::{Backend, TestApp, eventually};
use crate::kit::{Browser, Part, Reply, citizen, post_multipart};
use crate::on_both_backends;

const ANNA_CF: &str = "BNCNNA52T45F205Q";

/// A one-step form with English for some texts only.
const MIXED: &str = r#"codice = "prova-lingue"
versione = 1
titolo = "Modulo bilingue"
titolo_en = "Bilingual form"
descrizione = "Descrizione solo in italiano."
ente = "inps"

[[passi]]
id = "dati"
titolo = "I tuoi dati"
titolo_en = "About you"
aiuto = "Aiuto solo in italiano."

[[passi.campi]]
id = "ha_figli"
tipo = "si_no"
etichetta = "Hai figli?"
etichetta_en = "Do you have children?"
obbligatorio = true

[[passi.campi]]
id = "quanti"
tipo = "numero"
etichetta = "Quanti figli hai?"
aiuto = "Conta anche i figli maggiorenni."
aiuto_en = "Count adult children too."
min = 1
mostra_se = { campo = "ha_figli", uguale = "si" }
obbligatorio = true

[[passi.campi]]
id = "lavoro"
tipo = "scelta"
etichetta = "Che lavoro fai?"
etichetta_en = "What work do you do?"
obbligatorio = true
opzioni = [
  { valore = "dipendente", etichetta = "Dipendente", etichetta_en = "Employee" },
  { valore = "autonomo", etichetta = "Autonomo" },
]

[[passi.campi]]
id = "attivita"
tipo = "testo"
etichetta = "Che attività hai?"
etichetta_en = "What is your business?"
mostra_se = { campo = "lavoro", uguale = "autonomo" }

[[passi.campi]]
id = "regione"
tipo = "scelta"
etichetta = "Regione"
etichetta_en = "Region"
opzioni = [
  { valore = "lazio", etichetta = "Lazio" },
  { valore = "lombardia", etichetta = "Lombardia", etichetta_en = "Lombardy" },
  { valore = "piemonte", etichetta = "Piemonte", etichetta_en = "Piedmont" },
  { valore = "toscana", etichetta = "Toscana", etichetta_en = "Tuscany" },
  { valore = "sicilia", etichetta = "Sicilia", etichetta_en = "Sicily" },
  { valore = "sardegna", etichetta = "Sardegna", etichetta_en = "Sardinia" },
  { valore = "puglia", etichetta = "Puglia", etichetta_en = "Apulia" },
]

[[passi.campi]]
id = "reddito"
tipo = "importo"
etichetta = "Reddito annuo"
etichetta_en = "Yearly income"
min = 1000
"#;

fn english(browser: &mut Browser) {
    browser.cookies.insert("lingua".to_owned(), "en".to_owned());
}

fn italian(browser: &mut Browser) {
    browser.cookies.insert("lingua".to_owned(), "it".to_owned());
}

/// The page's `<title>`: plain text, never markup.
fn title(page: &Reply) -> &str {
    let start = page.body.find("<title>").expect("a title") + "<title>".len();
    let end = page.body[start..].find("</title>").expect("a closed title");
    &page.body[start..start + end]
}

fn has_all(page: &Reply, wanted: &[&str]) {
    for text in wanted {
        assert!(page.has(text), "missing {text:?} in:\n{}", page.body);
    }
}

fn has_none(page: &Reply, unwanted: &[&str]) {
    for text in unwanted {
        assert!(!page.has(text), "unexpected {text:?} in:\n{}", page.body);
    }
}

/// Opens a draft of `code` from its start page; returns the first step's path.
async fn open(browser: &mut Browser, code: &str) -> String {
    let start = browser
        .get(&format!("/area-personale/domande/nuova?modulo={code}"))
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let token = start.csrf();
    let opened = browser
        .post("/area-personale/domande", &[("_csrf", &token), ("modulo", code)])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    opened.location().to_owned()
}

async fn forms_speak_english_and_mark_their_italian_parts(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("catalog_refresh_ms", "100")]).await;
    let anna = citizen(&app, ANNA_CF, "Anna Bianchi").await;
    sedi_and_profile(&app, &anna).await;
    registry::load_files(
        &app.db,
        &[("prova-lingue.toml".to_owned(), MIXED.to_owned())],
        None,
    )
    .await
    .unwrap();
    let served = eventually(Duration::from_secs(20), || {
        let request = app.client.get(app.url("/api/v1/moduli/prova-lingue")).send();
        async move { request.await.is_ok_and(|r| r.status() == StatusCode::OK) }
    })
    .await;
    assert!(served, "the test form is served");
    let mut a = filer(&app, &anna).await;

    // A built-in form, all translated: English texts only, nothing left in Italian.
    english(&mut a);
    let step = open(&mut a, "certificato-residenza").await;
    let page = a.get(&step).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.has("<html lang=\"en\">"));
    has_all(
        &page,
        &[
            "<h1>Request for a certificate of residence</h1>",
            "<h2 class=\"h3\">The certificate</h2>",
            "<legend class=\"sp-choice-legend\">Who is the certificate for? <span class=\"sp-required\">",
            ">For a family member who lives with me</label>",
            ">With a revenue stamp (16 euro)</label>",
            "Email address to send the certificate to",
        ],
    );
    // (The language switch is the one element in Italian.)
    has_none(
        &page,
        &[
            "<span lang=\"it\">",
            " lang=\"it\">",
            "Per chi chiedi il certificato?",
            "Per me",
        ],
    );
    // The same step in Italian: as it always was, no markup added.
    italian(&mut a);
    let page = a.get(&step).await;
    has_all(
        &page,
        &[
            "<html lang=\"it\">",
            "<h1>Richiesta di certificato di residenza</h1>",
            "<legend class=\"sp-choice-legend\">Per chi chiedi il certificato? <span class=\"sp-required\">",
            "<label class=\"form-check-label\" for=\"campo-intestatario\">Per me</label>",
        ],
    );
    has_none(
        &page,
        &["<span lang=\"it\">", "Who is the certificate for?", "For me"],
    );

    // The list of forms one can start: English titles, an Italian-only description marked.
    english(&mut a);
    let list = a.get("/area-personale/domande").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    has_all(
        &list,
        &[
            ">Application for NASpI (unemployment benefit)</a>",
            ">Bilingual form</a>",
            "<small><span lang=\"it\">Descrizione solo in italiano.</span></small>",
        ],
    );
    // The draft in the list of one's applications, by its English title.
    assert!(
        list.has(">Request for a certificate of residence</a></th>"),
        "{}",
        list.body
    );

    // The start page of the mixed form.
    let start = a.get("/area-personale/domande/nuova?modulo=prova-lingue").await;
    has_all(
        &start,
        &[
            "<h1>Bilingual form</h1>",
            "<p class=\"lead\"><span lang=\"it\">Descrizione solo in italiano.</span></p>",
            "<li>About you</li>",
        ],
    );
    assert_eq!(title(&start), "Bilingual form – Comune di Prova");

    // Its step: English where given, Italian inside lang="it" elsewhere.
    let step = open(&mut a, "prova-lingue").await;
    let page = a.get(&step).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    has_all(
        &page,
        &[
            "<h2 class=\"h3\">About you</h2>",
            "<p><span lang=\"it\">Aiuto solo in italiano.</span></p>",
            "<legend class=\"sp-choice-legend\">Do you have children? <span class=\"sp-required\">",
            // A label without English, with its English help.
            "<label class=\"active\" for=\"campo-quanti\"><span lang=\"it\">Quanti figli hai?</span> <span class=\"sp-required\">",
            ">Count adult children too.</small>",
            // The notes of conditional fields quote the questions and answers as shown.
            "Fill in only if you answered «Yes» to “Do you have children?”.",
            "Fill in only if you answered «<span lang=\"it\">Autonomo</span>» to “What work do you do?”.",
            // Radio options: a span inside the label; a drop-down option: lang on the option.
            "<label class=\"form-check-label\" for=\"campo-lavoro\">Employee</label>",
            "<label class=\"form-check-label\" for=\"campo-lavoro-1\"><span lang=\"it\">Autonomo</span></label>",
            "<option value=\"lazio\" lang=\"it\">Lazio</option>",
            "<option value=\"lombardia\">Lombardy</option>",
        ],
    );
    has_none(&page, &["&#60;span", "&lt;span"]);
    assert_eq!(title(&page), "About you – Bilingual form – Comune di Prova");

    // Mistakes: the error summary names the question, marked when it is Italian.
    let token = page.csrf();
    let refused = post_multipart(
        &app,
        &a,
        &step,
        &[
            Part::Field("_csrf", &token),
            Part::Field("ha_figli", "si"),
            Part::Field("quanti", "tre"),
            Part::Field("lavoro", "autonomo"),
            Part::Field("reddito", "999.99"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.has("<a href=\"#campo-quanti\"><span lang=\"it\">Quanti figli hai?</span> – "),
        "{}",
        refused.body
    );
    assert!(!title(&refused).contains('<'), "{}", title(&refused));
    // A bound in a message, the English way too.
    assert!(
        refused.has("The amount cannot be less than €1,000.00."),
        "{}",
        refused.body
    );

    let saved = post_multipart(
        &app,
        &a,
        &step,
        &[
            Part::Field("_csrf", &token),
            Part::Field("ha_figli", "si"),
            Part::Field("quanti", "2"),
            Part::Field("lavoro", "autonomo"),
            Part::Field("attivita", "Bottega <di> Anna"),
            Part::Field("regione", "lazio"),
            // Written the English way: commas for thousands, a point for the decimals.
            Part::Field("reddito", "12,345.60"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let summary_path = saved.location().to_owned();
    assert!(summary_path.ends_with("/riepilogo"), "{summary_path}");

    // The summary: English questions and answers, Italian-only ones marked, typed text as typed.
    let summary = a.get(&summary_path).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    has_all(
        &summary,
        &[
            "<h3 class=\"h5\">About you</h3>",
            "<dt>Do you have children?</dt>\n  <dd>Yes</dd>",
            "<dt><span lang=\"it\">Quanti figli hai?</span></dt>\n  <dd>2</dd>",
            "<dt>What work do you do?</dt>\n  <dd><span lang=\"it\">Autonomo</span></dd>",
            "<dt>What is your business?</dt>\n  <dd>Bottega &#60;di&#62; Anna</dd>",
            "<dt>Region</dt>\n  <dd><span lang=\"it\">Lazio</span></dd>",
            "<dt>Yearly income</dt>\n  <dd>€12,345.60</dd>",
        ],
    );
    // Back on the step, the amount is in the input with an English decimal point.
    let again = a.get(&step).await;
    assert!(again.has("value=\"12345.60\""), "{}", again.body);

    // And the same pages in Italian: Italian texts, no language marks.
    italian(&mut a);
    let page = a.get(&step).await;
    has_all(
        &page,
        &[
            "<h2 class=\"h3\">I tuoi dati</h2>",
            "<p>Aiuto solo in italiano.</p>",
            "<label class=\"active\" for=\"campo-quanti\">Quanti figli hai? <span class=\"sp-required\">",
            "Da compilare solo se alla domanda «Hai figli?» hai risposto «Sì».",
            "Da compilare solo se alla domanda «Che lavoro fai?» hai risposto «Autonomo».",
            "<option value=\"lazio\" selected>Lazio</option>",
            "value=\"12345,60\"",
        ],
    );
    has_none(
        &page,
        &["<span lang=\"it\">", "lang=\"it\">Lazio", "About you", "Employee"],
    );
    let summary = a.get(&summary_path).await;
    has_all(
        &summary,
        &[
            "<dt>Hai figli?</dt>\n  <dd>Sì</dd>",
            "<dt>Che lavoro fai?</dt>\n  <dd>Autonomo</dd>",
            "<dt>Reddito annuo</dt>\n  <dd>12.345,60 €</dd>",
        ],
    );
    has_none(&summary, &["<span lang=\"it\">"]);

    // The API gives the Italian texts and, next to them, the English ones the file has.
    let form: Value = app
        .client
        .get(app.url("/api/v1/moduli/prova-lingue"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["titolo"], "Modulo bilingue");
    assert_eq!(form["titolo_en"], "Bilingual form");
    assert!(form.get("descrizione_en").is_none(), "{form}");
    let passo = &form["passi"][0];
    assert_eq!(passo["titolo_en"], "About you");
    assert_eq!(passo["aiuto"], "Aiuto solo in italiano.");
    assert!(passo.get("aiuto_en").is_none(), "{form}");
    assert!(passo["campi"][1].get("etichetta_en").is_none(), "{form}");
    assert_eq!(passo["campi"][1]["aiuto_en"], "Count adult children too.");
    let opzioni = &passo["campi"][2]["opzioni"];
    assert_eq!(opzioni[0]["etichetta_en"], "Employee");
    assert_eq!(opzioni[1]["etichetta"], "Autonomo");
    assert!(opzioni[1].get("etichetta_en").is_none(), "{form}");
    let naspi: Value = app
        .client
        .get(app.url("/api/v1/moduli/naspi"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(naspi["titolo_en"], "Application for NASpI (unemployment benefit)");
}

on_both_backends!(forms_speak_english_and_mark_their_italian_parts);
