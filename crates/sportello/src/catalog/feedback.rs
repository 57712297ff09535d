//! "Aiutaci a migliorare questa pagina": the feedback every public page asks for, and the
//! report editors read.
//!
//! Two forms of the same widget: the portal's own (found it? then four 1–5 ratings and a
//! comment) and, when the deployment is a municipality, the Designers Italia "modello Comuni"
//! component (stars, then what went well or badly, then details) with the exact texts the
//! AgID validator checks. Both post to `/valutazione` as a plain form.
//!
//! Shared public pages cannot carry a per-visitor CSRF token (they are cached and identical
//! for everyone), so this anonymous form is protected by the browser's own signals instead:
//! `Sec-Fetch-Site` and `Origin` must say the post comes from this site (see
//! `csrf::same_origin`). It writes nothing but an anonymous rating, and it is rate-limited.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::text;
use crate::app::AppState;
use crate::http::csrf;
use crate::http::error::{AppError, FieldError};
use crate::http::page::see_other;
use crate::identity::login::ClientAddr;
use crate::limits::{self, Limit};
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// The longest comment kept (the modello Comuni field allows 200).
pub const MAX_COMMENT: usize = 1000;
pub const MAX_COMUNI_DETAILS: usize = 200;

/// Did the visitor find what they were looking for?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Found {
    #[serde(rename = "si")]
    Si,
    #[serde(rename = "in-parte")]
    InParte,
    #[serde(rename = "no")]
    No,
}

impl Found {
    pub fn code(self) -> &'static str {
        match self {
            Found::Si => "si",
            Found::InParte => "in-parte",
            Found::No => "no",
        }
    }

    pub fn parse(code: &str) -> Option<Found> {
        [Found::Si, Found::InParte, Found::No]
            .into_iter()
            .find(|f| f.code() == code)
    }
}

/// The modello Comuni follow-up answers, in the validator's order. Codes are stored.
pub const COMUNI_POSITIVE: [(&str, &str); 5] = [
    ("chiare", "Le indicazioni erano chiare"),
    ("complete", "Le indicazioni erano complete"),
    (
        "procedura-chiara",
        "Capivo sempre che stavo procedendo correttamente",
    ),
    ("nessun-problema-tecnico", "Non ho avuto problemi tecnici"),
    ("altro", "Altro"),
];
pub const COMUNI_NEGATIVE: [(&str, &str); 5] = [
    ("non-chiare", "A volte le indicazioni non erano chiare"),
    ("non-complete", "A volte le indicazioni non erano complete"),
    (
        "procedura-non-chiara",
        "A volte non capivo se stavo procedendo correttamente",
    ),
    ("problemi-tecnici", "Ho avuto problemi tecnici"),
    ("altro-negativo", "Altro"),
];

/// One valid answer, ready to store (the comment already masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub path: String,
    pub found: Option<Found>,
    pub clear: Option<u8>,
    pub complete: Option<u8>,
    pub up_to_date: Option<u8>,
    pub easy_to_find: Option<u8>,
    pub aspect: Option<&'static str>,
    pub comment: Option<String>,
}

/// What the form sent: every field is text; names are the form's.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeedbackInput {
    pub pagina: Option<String>,
    pub trovato: Option<String>,
    pub chiaro: Option<String>,
    pub completo: Option<String>,
    pub aggiornato: Option<String>,
    pub facile: Option<String>,
    pub commento: Option<String>,
    /// The modello Comuni widget: 1–5 stars, the follow-up answers and details.
    pub rating: Option<String>,
    pub aspect_positive: Option<String>,
    pub aspect_negative: Option<String>,
    pub details: Option<String>,
}

/// A rating of a public page, from the mobile app.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FeedbackRequest {
    /// The page rated: the path of a public page of this site, such as `/servizi/naspi`.
    /// Any other path is answered 422 (the pages change as editors publish them).
    #[schema(max_length = 300, pattern = "^/[^\\s?#]{0,299}$", example = "/servizi/naspi")]
    pub pagina: String,
    /// Did the reader find what they were looking for?
    pub trovato: Found,
    /// 1–5: how clear the page is.
    #[schema(minimum = 1, maximum = 5)]
    pub chiaro: Option<u8>,
    /// 1–5: how complete.
    #[schema(minimum = 1, maximum = 5)]
    pub completo: Option<u8>,
    /// 1–5: how up to date.
    #[schema(minimum = 1, maximum = 5)]
    pub aggiornato: Option<u8>,
    /// 1–5: how easy it was to find.
    #[schema(minimum = 1, maximum = 5)]
    pub facile: Option<u8>,
    /// Up to 1000 characters; codici fiscali, IBANs, emails and phone numbers are masked
    /// before it is stored.
    #[schema(max_length = 1000)]
    pub commento: Option<String>,
}

impl From<FeedbackRequest> for FeedbackInput {
    fn from(r: FeedbackRequest) -> Self {
        let n = |v: Option<u8>| v.map(|n| n.to_string());
        Self {
            pagina: Some(r.pagina),
            trovato: Some(r.trovato.code().to_owned()),
            chiaro: n(r.chiaro),
            completo: n(r.completo),
            aggiornato: n(r.aggiornato),
            facile: n(r.facile),
            commento: r.commento,
            ..Self::default()
        }
    }
}

fn error(field: &str, code: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
    }
}

fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn rating(value: &Option<String>, field: &str, errors: &mut Vec<FieldError>) -> Option<u8> {
    let text = blank(value)?;
    match text.parse::<u8>() {
        Ok(n @ 1..=5) => Some(n),
        _ => {
            errors.push(error(field, "feedback-error-rating"));
            None
        }
    }
}

fn comment(value: &Option<String>, max: usize, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = blank(value)?;
    if text.chars().count() > max {
        errors.push(error(field, "feedback-error-comment-long"));
        return None;
    }
    // Control characters are dropped (they carry nothing a reader needs); HTML stays text and
    // is escaped wherever it is shown.
    let clean: String = text.chars().filter(|c| !c.is_control() || *c == '\n').collect();
    Some(text::mask_personal_data(&clean))
}

/// A page path as a feedback target: `/servizi/naspi` (query and fragment removed).
pub fn page_path(value: &Option<String>) -> Option<String> {
    let text = blank(value)?;
    let path = text.split(['?', '#']).next().unwrap_or_default();
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 300
        && !path.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| path.to_owned())
}

impl FeedbackInput {
    /// Checks the portal form (or the API): the page and whether it was found are required.
    pub fn parse(&self) -> Result<Feedback, Vec<FieldError>> {
        let mut errors = Vec::new();
        let path = page_path(&self.pagina);
        if path.is_none() {
            errors.push(error("pagina", "feedback-error-page"));
        }
        let found = match blank(&self.trovato) {
            Some(code) => Found::parse(code).or_else(|| {
                errors.push(error("trovato", "feedback-error-found"));
                None
            }),
            None => {
                errors.push(error("trovato", "feedback-error-found"));
                None
            }
        };
        let feedback = Feedback {
            path: path.unwrap_or_default(),
            found,
            clear: rating(&self.chiaro, "chiaro", &mut errors),
            complete: rating(&self.completo, "completo", &mut errors),
            up_to_date: rating(&self.aggiornato, "aggiornato", &mut errors),
            easy_to_find: rating(&self.facile, "facile", &mut errors),
            aspect: None,
            comment: comment(&self.commento, MAX_COMMENT, "commento", &mut errors),
        };
        if errors.is_empty() {
            Ok(feedback)
        } else {
            Err(errors)
        }
    }

    /// Checks the modello Comuni form: stars required; only the follow-up answer that matches
    /// the stars is kept (without CSS both questions show, and a visitor may answer both).
    pub fn parse_comuni(&self) -> Result<Feedback, Vec<FieldError>> {
        let mut errors = Vec::new();
        let path = page_path(&self.pagina);
        if path.is_none() {
            errors.push(error("pagina", "feedback-error-page"));
        }
        let stars = rating(&self.rating, "rating", &mut errors);
        if stars.is_none() && !errors.iter().any(|e| e.field == "rating") {
            errors.push(error("rating", "feedback-error-rating"));
        }
        let (answer, list) = match stars {
            Some(4..=5) => (&self.aspect_positive, &COMUNI_POSITIVE),
            _ => (&self.aspect_negative, &COMUNI_NEGATIVE),
        };
        let aspect = blank(answer).and_then(|code| list.iter().find(|(c, _)| *c == code).map(|(c, _)| *c));
        let feedback = Feedback {
            path: path.unwrap_or_default(),
            found: None,
            clear: stars,
            complete: None,
            up_to_date: None,
            easy_to_find: None,
            aspect,
            comment: comment(&self.details, MAX_COMUNI_DETAILS, "details", &mut errors),
        };
        if errors.is_empty() {
            Ok(feedback)
        } else {
            Err(errors)
        }
    }
}

/// Stores one answer.
pub async fn insert(db: &Db, feedback: &Feedback) -> Result<(), StorageError> {
    write_pool!(db, |pool| {
        sqlx::query(
        "INSERT INTO page_feedback (id, path, found, clear, complete, up_to_date, easy_to_find, aspect, comment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(&feedback.path)
    .bind(feedback.found.map(Found::code))
    .bind(feedback.clear.map(i64::from))
    .bind(feedback.complete.map(i64::from))
    .bind(feedback.up_to_date.map(i64::from))
    .bind(feedback.easy_to_find.map(i64::from))
    .bind(feedback.aspect)
    .bind(feedback.comment.as_deref())
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// One page's figures over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct PageStats {
    pub path: String,
    pub answers: i64,
    pub found_yes: i64,
    pub found_partly: i64,
    pub found_no: i64,
    pub clear: Option<f64>,
    pub complete: Option<f64>,
    pub up_to_date: Option<f64>,
    pub easy_to_find: Option<f64>,
    pub comments: Vec<(i64, String)>,
}

impl PageStats {
    /// Share of answers that said "sì" among those that answered the question (0–100).
    pub fn found_rate(&self) -> Option<f64> {
        let asked = self.found_yes + self.found_partly + self.found_no;
        (asked > 0).then(|| 100.0 * self.found_yes as f64 / asked as f64)
    }

    /// What orders the report, worst first: the found rate, else the mean of the ratings.
    fn badness(&self) -> f64 {
        let ratings: Vec<f64> = [self.clear, self.complete, self.up_to_date, self.easy_to_find]
            .into_iter()
            .flatten()
            .collect();
        let mean = if ratings.is_empty() {
            3.0
        } else {
            ratings.iter().sum::<f64>() / ratings.len() as f64
        };
        // Found rate in 0–100 dominates; the ratings (1–5) break ties.
        self.found_rate().unwrap_or(50.0) * 10.0 + mean
    }
}

/// Per page, between two instants (ms), worst first, with up to 20 recent comments each.
pub async fn report(db: &Db, from: i64, to: i64) -> Result<Vec<PageStats>, StorageError> {
    type Row = (
        String,
        i64,
        i64,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    );
    let rows: Vec<Row> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT path, COUNT(*),
                CAST(SUM(CASE WHEN found = 'si' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN found = 'in-parte' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN found = 'no' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(AVG(clear) AS DOUBLE PRECISION),
                CAST(AVG(complete) AS DOUBLE PRECISION),
                CAST(AVG(up_to_date) AS DOUBLE PRECISION),
                CAST(AVG(easy_to_find) AS DOUBLE PRECISION)
         FROM page_feedback WHERE created_at >= $1 AND created_at < $2
         GROUP BY path"
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)?;
    let mut stats: Vec<PageStats> = rows
        .into_iter()
        .map(
            |(
                path,
                answers,
                found_yes,
                found_partly,
                found_no,
                clear,
                complete,
                up_to_date,
                easy_to_find,
            )| PageStats {
                path,
                answers,
                found_yes,
                found_partly,
                found_no,
                clear,
                complete,
                up_to_date,
                easy_to_find,
                comments: Vec::new(),
            },
        )
        .collect();
    let comments: Vec<(String, i64, String)> = read_pool!(db, |pool| sqlx::query_as(
        "SELECT path, created_at, comment FROM page_feedback
         WHERE created_at >= $1 AND created_at < $2 AND comment IS NOT NULL
         ORDER BY created_at DESC"
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)?;
    for (path, at, comment) in comments {
        if let Some(page) = stats.iter_mut().find(|s| s.path == path)
            && page.comments.len() < 20
        {
            page.comments.push((at, comment));
        }
    }
    stats.sort_by(|a, b| {
        a.badness()
            .total_cmp(&b.badness())
            .then_with(|| b.answers.cmp(&a.answers))
    });
    Ok(stats)
}

/// Answers per client address and hour, from the configuration.
fn limit(app: &AppState) -> Limit {
    Limit {
        name: "feedback-client",
        max: i64::from(app.config.feedback_limit_per_hour),
        window: std::time::Duration::from_secs(3600),
    }
}

/// Checks, limits and stores one answer; `comuni` picks the modello Comuni form.
async fn accept(
    app: &AppState,
    client: &ClientAddr,
    input: &FeedbackInput,
    comuni: bool,
) -> Result<Feedback, AppError> {
    let feedback = if comuni {
        input.parse_comuni()
    } else {
        input.parse()
    }
    .map_err(AppError::Invalid)?;
    if !super::pages::is_public(&app.catalog.snapshot(), &feedback.path) {
        return Err(AppError::Invalid(vec![error("pagina", "feedback-error-page")]));
    }
    if let Err(limited) = limits::hit(&app.db, &limit(app), &client.0).await? {
        return Err(AppError::Limited(limited.retry_after));
    }
    insert(&app.db, &feedback).await?;
    Ok(feedback)
}

/// `POST /valutazione` (the form on every public page): back to the page, which thanks.
pub async fn submit(
    State(app): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    form: Result<axum::Form<FeedbackInput>, axum::extract::rejection::FormRejection>,
) -> Result<Response, AppError> {
    csrf::same_origin(&headers, &app)?;
    let axum::Form(input) =
        form.map_err(|_| AppError::Invalid(vec![error("pagina", "feedback-error-page")]))?;
    // A person gets a page that says precisely what is missing, not a list of codes.
    let feedback = accept(&app, &client, &input, app.config.municipality)
        .await
        .map_err(|err| match err {
            AppError::Invalid(errors) => AppError::Refused {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "valutazione-incompleta",
                message: crate::http::error::Message::new(errors.first().map_or(
                    "feedback-error-page",
                    |e| match e.code.as_str() {
                        "feedback-error-found" => "feedback-error-found",
                        "feedback-error-rating" => "feedback-error-rating",
                        "feedback-error-comment-long" => "feedback-error-comment-long",
                        _ => "feedback-error-page",
                    },
                )),
            },
            other => other,
        })?;
    Ok(see_other(&format!(
        "{}?valutazione=grazie#valutazione",
        feedback.path
    )))
}

/// The stored answer, as the API returns it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackReceipt {
    /// The page rated.
    pub pagina: String,
    /// Always `true`: the answer was recorded.
    pub registrata: bool,
}

/// Rate a public page (the mobile app's form of the widget).
#[utoipa::path(
    post,
    path = "/api/v1/valutazioni",
    tag = "catalogo",
    request_body = FeedbackRequest,
    responses(
        (status = 201, description = "Recorded", body = FeedbackReceipt),
        (status = 400, description = "The body is not valid JSON", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a JSON body", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or wrong (`errors` says which)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many answers from this address", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn api_submit(
    State(app): State<AppState>,
    client: ClientAddr,
    body: Result<Json<FeedbackRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = body.map_err(AppError::from)?;
    let input = FeedbackInput::from(request);
    let feedback = accept(&app, &client, &input, false).await?;
    Ok((
        StatusCode::CREATED,
        Json(FeedbackReceipt {
            pagina: feedback.path,
            registrata: true,
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> FeedbackInput {
        let json: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(json)).unwrap()
    }

    #[test]
    fn the_portal_form() {
        let ok = input(&[
            ("pagina", "/servizi/naspi?x=1#a"),
            ("trovato", "in-parte"),
            ("chiaro", "4"),
            ("facile", ""),
            ("commento", "<b>Ciao</b> sono RSSMRA80A01H501U"),
        ])
        .parse()
        .unwrap();
        assert_eq!(ok.path, "/servizi/naspi");
        assert_eq!(ok.found, Some(Found::InParte));
        assert_eq!((ok.clear, ok.easy_to_find), (Some(4), None));
        assert_eq!(ok.comment.as_deref(), Some("<b>Ciao</b> sono [codice fiscale]"));

        let errors = input(&[("trovato", "forse"), ("chiaro", "6"), ("completo", "x")])
            .parse()
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["pagina", "trovato", "chiaro", "completo"]);
        let long = "a".repeat(MAX_COMMENT + 1);
        let errors = input(&[("pagina", "/"), ("trovato", "si"), ("commento", &long)])
            .parse()
            .unwrap_err();
        assert_eq!(errors[0].code, "feedback-error-comment-long");
        for bad in ["servizi", "//evil.example/x", "/a b", "https://x/"] {
            assert!(page_path(&Some(bad.to_owned())).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_comuni_form_keeps_the_matching_answer() {
        let both = [
            ("pagina", "/"),
            ("aspect_positive", "chiare"),
            ("aspect_negative", "problemi-tecnici"),
        ];
        let mut pairs = both.to_vec();
        pairs.push(("rating", "5"));
        assert_eq!(input(&pairs).parse_comuni().unwrap().aspect, Some("chiare"));
        pairs.pop();
        pairs.push(("rating", "2"));
        let low = input(&pairs).parse_comuni().unwrap();
        assert_eq!((low.clear, low.aspect), (Some(2), Some("problemi-tecnici")));
        assert!(input(&both).parse_comuni().is_err(), "stars are required");
        let long = "d".repeat(MAX_COMUNI_DETAILS + 1);
        assert!(
            input(&[("pagina", "/"), ("rating", "3"), ("details", &long)])
                .parse_comuni()
                .is_err()
        );
    }

    #[test]
    fn the_report_puts_the_worst_first() {
        let page = |path: &str, yes, no| PageStats {
            path: path.to_owned(),
            answers: yes + no,
            found_yes: yes,
            found_partly: 0,
            found_no: no,
            clear: Some(3.0),
            complete: None,
            up_to_date: None,
            easy_to_find: None,
            comments: Vec::new(),
        };
        let good = page("/a", 9, 1);
        let bad = page("/b", 1, 9);
        assert_eq!(good.found_rate(), Some(90.0));
        assert!(bad.badness() < good.badness());
    }
}
