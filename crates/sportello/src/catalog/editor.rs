//! The editors' back office: pages in Markdown with a preview, versions with a diff and
//! restore, scheduled publication and withdrawal, review dates, the readability index, the
//! synonyms of search, searches with no results, and the page-feedback report.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::feedback::{self, PageStats};
use super::model::{
    Alert, Audience, Call, Channel, Content, ContentError, Faq, Kind, LifeEvent, News, ServiceCard, Slug,
    Video,
};
use super::search::Synonyms;
use super::store::{self, EditorRow, Publication};
use super::text;
use crate::app::AppState;
use crate::http::csrf::FIELD as CSRF_FIELD;
use crate::http::error::AppError;
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, local_date, local_time, see_other};
use crate::identity::accounts::Role;
use crate::identity::backoffice::require;
use crate::identity::session::Session;
use crate::storage::{StorageError, now_ms};

/// Who edits content: editors, and administrators who oversee them.
pub const EDITORS: &[Role] = &[Role::Redattore, Role::Amministratore];

fn editor(session: RequireSession) -> Result<Session, AppError> {
    require(session.0, EDITORS)
}

/// A urlencoded body as pairs (checkbox groups repeat their name).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Checks the session's CSRF token.
    fn check_csrf(&self, session: &Session) -> Result<(), AppError> {
        let sent = self.get(CSRF_FIELD);
        if !sent.is_empty()
            && crate::http::csrf::constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes())
        {
            Ok(())
        } else {
            Err(AppError::FormExpired)
        }
    }
}

/// FAQ as editors type them: a line starting with `?` is a question, the lines after it its
/// answer.
pub fn parse_faq(text: &str) -> Vec<Faq> {
    let mut faq: Vec<Faq> = Vec::new();
    for line in text.lines() {
        if let Some(question) = line.trim_start().strip_prefix('?') {
            faq.push(Faq {
                question: question.trim().to_owned(),
                answer: String::new(),
            });
        } else if let Some(last) = faq.last_mut() {
            last.answer.push_str(line);
            last.answer.push('\n');
        }
    }
    for item in &mut faq {
        item.answer = item.answer.trim().to_owned();
    }
    faq
}

pub fn faq_text(faq: &[Faq]) -> String {
    faq.iter()
        .map(|f| format!("? {}\n{}\n", f.question, f.answer))
        .collect::<Vec<_>>()
        .join("\n")
}

fn date_field(
    fields: &Fields,
    name: &'static str,
    errors: &mut Vec<ContentError>,
) -> Option<jiff::civil::Date> {
    let text = fields.get(name).trim();
    if text.is_empty() {
        errors.push(ContentError {
            field: name,
            code: "content-error-required",
        });
        return None;
    }
    text.parse().ok().or_else(|| {
        errors.push(ContentError {
            field: name,
            code: "content-error-date",
        });
        None
    })
}

fn slug_field(fields: &Fields, name: &'static str, errors: &mut Vec<ContentError>) -> Option<Slug> {
    let text = fields.get(name).trim();
    if text.is_empty() {
        return None;
    }
    Slug::parse(text).or_else(|| {
        errors.push(ContentError {
            field: name,
            code: "content-error-slug",
        });
        None
    })
}

/// The editor's form, read into content of `kind` (then validated).
pub fn content_from_form(kind: Kind, fields: &Fields) -> Result<Content, Vec<ContentError>> {
    let mut errors = Vec::new();
    let title = fields.get("title").to_owned();
    let summary = fields.get("summary").to_owned();
    let body = fields.get("body").to_owned();
    let fallback = jiff::civil::Date::constant(2000, 1, 1);
    let content = match kind {
        Kind::Servizio => Content::Servizio(ServiceCard {
            title,
            summary,
            audiences: fields.all("audiences").filter_map(Audience::parse).collect(),
            life_events: fields.all("life_events").filter_map(LifeEvent::parse).collect(),
            channels: fields.all("channels").filter_map(Channel::parse).collect(),
            keywords: fields
                .get("keywords")
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
            application: slug_field(fields, "application", &mut errors),
            description: fields.get("description").to_owned(),
            requirements: fields.get("requirements").to_owned(),
            documents: fields.get("documents").to_owned(),
            how_to_apply: fields.get("how_to_apply").to_owned(),
            deadlines: fields.get("deadlines").to_owned(),
            cost: fields.get("cost").to_owned(),
            legal: fields.get("legal").to_owned(),
            faq: parse_faq(fields.get("faq")),
        }),
        Kind::Notizia => Content::Notizia(News {
            title,
            summary,
            date: date_field(fields, "date", &mut errors).unwrap_or(fallback),
            body,
        }),
        Kind::Bando => Content::Bando(Call {
            title,
            summary,
            opens: date_field(fields, "opens", &mut errors).unwrap_or(fallback),
            closes: date_field(fields, "closes", &mut errors).unwrap_or(fallback),
            service: slug_field(fields, "service", &mut errors),
            body,
        }),
        Kind::Avviso => Content::Avviso(Alert {
            title,
            summary,
            date: date_field(fields, "date", &mut errors).unwrap_or(fallback),
            until: date_field(fields, "until", &mut errors).unwrap_or(fallback),
            body,
        }),
        Kind::Video => Content::Video(Video {
            title,
            summary,
            url: fields.get("url").to_owned(),
            minutes: fields.get("minutes").trim().parse().unwrap_or_else(|_| {
                errors.push(ContentError {
                    field: "minutes",
                    code: "content-error-number",
                });
                0
            }),
            service: slug_field(fields, "service", &mut errors),
        }),
    };
    match content.validated() {
        Ok(content) if errors.is_empty() => Ok(content),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// The form's values for a content (to fill the editor).
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub audiences: Vec<Audience>,
    pub life_events: Vec<LifeEvent>,
    pub channels: Vec<Channel>,
    pub keywords: String,
    pub application: String,
    pub sections: Vec<(&'static str, &'static str, String)>,
    pub faq: String,
    pub date: String,
    pub opens: String,
    pub closes: String,
    pub until: String,
    pub service: String,
    pub url: String,
    pub minutes: String,
}

const CARD_FIELDS: [(&str, &str); 7] = [
    ("description", "card-description"),
    ("requirements", "card-requirements"),
    ("documents", "card-documents"),
    ("how_to_apply", "card-how-to-apply"),
    ("deadlines", "card-deadlines"),
    ("cost", "card-cost"),
    ("legal", "card-legal"),
];

impl FormValues {
    pub fn of(content: &Content) -> Self {
        let mut v = FormValues {
            title: content.title().to_owned(),
            summary: content.summary().to_owned(),
            ..Self::default()
        };
        match content {
            Content::Servizio(c) => {
                v.audiences = c.audiences.clone();
                v.life_events = c.life_events.clone();
                v.channels = c.channels.clone();
                v.keywords = c.keywords.join(", ");
                v.application = c.application.as_ref().map(Slug::to_string).unwrap_or_default();
                let texts = [
                    &c.description,
                    &c.requirements,
                    &c.documents,
                    &c.how_to_apply,
                    &c.deadlines,
                    &c.cost,
                    &c.legal,
                ];
                v.sections = CARD_FIELDS
                    .iter()
                    .zip(texts)
                    .map(|((f, l), t)| (*f, *l, t.clone()))
                    .collect();
                v.faq = faq_text(&c.faq);
            }
            Content::Notizia(n) => {
                v.date = n.date.to_string();
                v.body = n.body.clone();
            }
            Content::Bando(c) => {
                v.opens = c.opens.to_string();
                v.closes = c.closes.to_string();
                v.service = c.service.as_ref().map(Slug::to_string).unwrap_or_default();
                v.body = c.body.clone();
            }
            Content::Avviso(a) => {
                v.date = a.date.to_string();
                v.until = a.until.to_string();
                v.body = a.body.clone();
            }
            Content::Video(vid) => {
                v.url = vid.url.clone();
                v.minutes = vid.minutes.to_string();
                v.service = vid.service.as_ref().map(Slug::to_string).unwrap_or_default();
            }
        }
        v
    }

    /// What the editor typed, kept as typed when the form is shown again.
    pub fn from_fields(kind: Kind, fields: &Fields) -> Self {
        let mut v = FormValues {
            title: fields.get("title").to_owned(),
            summary: fields.get("summary").to_owned(),
            body: fields.get("body").to_owned(),
            audiences: fields.all("audiences").filter_map(Audience::parse).collect(),
            life_events: fields.all("life_events").filter_map(LifeEvent::parse).collect(),
            channels: fields.all("channels").filter_map(Channel::parse).collect(),
            keywords: fields.get("keywords").to_owned(),
            application: fields.get("application").to_owned(),
            faq: fields.get("faq").to_owned(),
            date: fields.get("date").to_owned(),
            opens: fields.get("opens").to_owned(),
            closes: fields.get("closes").to_owned(),
            until: fields.get("until").to_owned(),
            service: fields.get("service").to_owned(),
            url: fields.get("url").to_owned(),
            minutes: fields.get("minutes").to_owned(),
            sections: Vec::new(),
        };
        if kind == Kind::Servizio {
            v.sections = CARD_FIELDS
                .iter()
                .map(|(f, l)| (*f, *l, fields.get(f).to_owned()))
                .collect();
        }
        v
    }
}

/// A checkbox of a vocabulary.
#[derive(Debug, Clone)]
pub struct Check {
    pub code: &'static str,
    pub label_id: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "catalog/editor_list.html")]
pub struct ListView {
    pub page: PageContext,
    pub rows: Vec<RowView>,
    pub overdue: Vec<RowView>,
    pub kinds: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Clone)]
pub struct RowView {
    pub id: String,
    pub kind_label_id: &'static str,
    pub title: String,
    pub state_id: &'static str,
    pub review_by: String,
    pub updated: String,
    pub public_path: Option<String>,
}

fn state_id(row: &EditorRow, now: i64) -> &'static str {
    if row.unpublish_at.is_some_and(|at| at <= now) {
        "content-state-withdrawn"
    } else if row.scheduled_version.is_some() && row.publish_at.is_some_and(|at| at > now) {
        "content-state-scheduled"
    } else if row.live_version.is_some() || row.scheduled_version.is_some() {
        if row.live_version == Some(row.latest) || row.scheduled_version == Some(row.latest) {
            "content-state-published"
        } else {
            "content-state-draft-changes"
        }
    } else {
        "content-state-draft"
    }
}

impl RowView {
    fn of(row: &EditorRow, now: i64) -> Self {
        Self {
            id: row.id.clone(),
            kind_label_id: row.kind.label_id(),
            title: row.title.clone(),
            state_id: state_id(row, now),
            review_by: row
                .review_by
                .map(|d| d.strftime("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            updated: local_time(row.updated_at),
            public_path: row
                .live_version
                .map(|_| format!("/{}/{}", row.kind.section(), row.slug)),
        }
    }
}

/// `GET /backoffice/contenuti`: every page, and those past their review date.
pub async fn list(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
) -> Result<Response, AppError> {
    editor(session)?;
    let rows = store::editor_list(&app.db).await?;
    let now = now_ms();
    let today = crate::identity::cf_api::today();
    let mut overdue: Vec<&EditorRow> = rows
        .iter()
        .filter(|r| r.review_by.is_some_and(|d| d < today))
        .collect();
    overdue.sort_by_key(|r| r.review_by);
    Ok(page::render(&ListView {
        page,
        overdue: overdue.into_iter().map(|r| RowView::of(r, now)).collect(),
        rows: rows.iter().map(|r| RowView::of(r, now)).collect(),
        kinds: Kind::ALL.iter().map(|k| (k.code(), k.label_id())).collect(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "catalog/editor_form.html")]
pub struct FormView {
    pub page: PageContext,
    pub csrf: String,
    /// None while creating.
    pub id: Option<String>,
    pub kind: Kind,
    pub slug: String,
    pub values: FormValues,
    pub review_by: String,
    pub errors: Vec<(String, String)>,
    pub preview: Option<String>,
    pub gulpease: Option<u8>,
    pub saved: bool,
    pub row: Option<RowView>,
    pub latest: i64,
    pub live_version: Option<i64>,
    pub schedule: Option<String>,
    pub withdraw: Option<String>,
}

impl FormView {
    pub fn audience_checks(&self) -> Vec<Check> {
        Audience::ALL
            .iter()
            .map(|a| Check {
                code: a.code(),
                label_id: a.label_id(),
                checked: self.values.audiences.contains(a),
            })
            .collect()
    }

    pub fn event_checks(&self) -> Vec<Check> {
        LifeEvent::ALL
            .iter()
            .map(|e| Check {
                code: e.code(),
                label_id: e.label_id(),
                checked: self.values.life_events.contains(e),
            })
            .collect()
    }

    pub fn channel_checks(&self) -> Vec<Check> {
        Channel::ALL
            .iter()
            .map(|c| Check {
                code: c.code(),
                label_id: c.label_id(),
                checked: self.values.channels.contains(c),
            })
            .collect()
    }

    pub fn has_body(&self) -> bool {
        matches!(self.kind, Kind::Notizia | Kind::Bando | Kind::Avviso)
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kind.code() == kind
    }

    pub fn hard_to_read(&self) -> bool {
        self.gulpease.is_some_and(|g| g < text::GULPEASE_WARNING)
    }

    pub fn error_for(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }

    pub fn action(&self) -> String {
        match &self.id {
            Some(id) => format!("/backoffice/contenuti/{id}"),
            None => "/backoffice/contenuti/nuovo".to_owned(),
        }
    }
}

/// The readability of a content: its summary and text, as plain text.
pub fn readability(content: &Content) -> Option<u8> {
    let text = format!(
        "{}\n{}",
        content.summary(),
        text::markdown_to_text(&content.plain_text())
    );
    text::gulpease(&text)
}

fn error_views(page: &PageContext, errors: &[ContentError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.field.to_owned(), page.t(e.code)))
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    tipo: Option<String>,
}

/// `GET /backoffice/contenuti/nuovo?tipo=servizio`
pub async fn new_form(
    page: PageContext,
    session: RequireSession,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let kind = query
        .tipo
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Servizio);
    let mut values = FormValues::default();
    if kind == Kind::Servizio {
        values.sections = CARD_FIELDS.iter().map(|(f, l)| (*f, *l, String::new())).collect();
    }
    Ok(page::render(&FormView {
        page,
        csrf: session.csrf_token,
        id: None,
        kind,
        slug: String::new(),
        values,
        review_by: String::new(),
        errors: Vec::new(),
        preview: None,
        gulpease: None,
        saved: false,
        row: None,
        latest: 0,
        live_version: None,
        schedule: None,
        withdraw: None,
    })?
    .into_response())
}

fn review_date(fields: &Fields, errors: &mut Vec<ContentError>) -> Option<jiff::civil::Date> {
    let text = fields.get("review_by").trim();
    if text.is_empty() {
        return None;
    }
    text.parse().ok().or_else(|| {
        errors.push(ContentError {
            field: "review_by",
            code: "content-error-date",
        });
        None
    })
}

/// Renders the form again with what was typed, the errors and (maybe) a preview.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site per outcome; a struct would only rename them"
)]
async fn form_again(
    app: &AppState,
    page: PageContext,
    session: &Session,
    id: Option<String>,
    kind: Kind,
    fields: &Fields,
    errors: &[ContentError],
    preview: Option<String>,
    gulpease: Option<u8>,
) -> Result<Response, AppError> {
    let row = match &id {
        Some(id) => store::editor_page(&app.db, id).await?,
        None => None,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = FormView {
        errors: error_views(&page, errors),
        csrf: session.csrf_token.clone(),
        slug: row
            .as_ref()
            .map_or_else(|| fields.get("slug").to_owned(), |r| r.slug.clone()),
        values: FormValues::from_fields(kind, fields),
        review_by: fields.get("review_by").to_owned(),
        preview,
        gulpease,
        saved: false,
        latest: row.as_ref().map_or(0, |r| r.latest),
        live_version: row.as_ref().and_then(|r| r.live_version),
        schedule: None,
        withdraw: None,
        row: row.as_ref().map(|r| RowView::of(r, now_ms())),
        id,
        kind,
        page,
    };
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

/// A preview of the content as the public will see it (its sections in HTML).
fn preview_html(content: &Content) -> String {
    let mut html = format!("<p class=\"lead\">{}</p>", escape(content.summary()));
    for (_, markdown) in content.sections() {
        html.push_str(&text::markdown_to_html(markdown));
    }
    if let Content::Servizio(card) = content {
        for faq in &card.faq {
            html.push_str(&format!("<h3>{}</h3>", escape(&faq.question)));
            html.push_str(&text::markdown_to_html(&faq.answer));
        }
    }
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `POST /backoffice/contenuti/nuovo`: creates the page (unpublished) or previews it.
pub async fn create(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    body: Bytes,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let fields = Fields::parse(&body);
    fields.check_csrf(&session)?;
    let kind = Kind::parse(fields.get("kind")).ok_or(AppError::Invalid(Vec::new()))?;
    let mut errors = Vec::new();
    let review_by = review_date(&fields, &mut errors);
    let slug_text = fields.get("slug").trim();
    let slug = if slug_text.is_empty() {
        Slug::from_title(fields.get("title"))
    } else {
        Slug::parse(slug_text)
    };
    if slug.is_none() {
        errors.push(ContentError {
            field: "slug",
            code: "content-error-slug",
        });
    }
    let content = content_from_form(kind, &fields);
    let content = match content {
        Ok(content) if errors.is_empty() => content,
        Ok(_) => return form_again(&app, page, &session, None, kind, &fields, &errors, None, None).await,
        Err(more) => {
            errors.extend(more);
            return form_again(&app, page, &session, None, kind, &fields, &errors, None, None).await;
        }
    };
    if fields.get("azione") == "anteprima" {
        let gulpease = readability(&content);
        return form_again(
            &app,
            page,
            &session,
            None,
            kind,
            &fields,
            &[],
            Some(preview_html(&content)),
            gulpease,
        )
        .await;
    }
    let Some(slug) = slug else {
        return Err(AppError::Invalid(Vec::new()));
    };
    match store::create(
        &app.db,
        kind,
        &slug,
        &content,
        Some(&session.account.id),
        review_by,
    )
    .await
    {
        Ok(id) => Ok(see_other(&format!("/backoffice/contenuti/{id}?salvato=1"))),
        Err(StorageError::Duplicate(_)) => {
            let errors = [ContentError {
                field: "slug",
                code: "content-error-slug-taken",
            }];
            form_again(&app, page, &session, None, kind, &fields, &errors, None, None).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    salvato: Option<String>,
}

/// `GET /backoffice/contenuti/{id}`: the latest version in the form, with its state.
pub async fn edit(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    Path(id): Path<String>,
    Query(query): Query<EditQuery>,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let row = store::editor_page(&app.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = store::versions(&app.db, &id).await?;
    let latest = versions.first().ok_or(AppError::NotFound)?;
    let now = now_ms();
    Ok(page::render(&FormView {
        csrf: session.csrf_token,
        id: Some(id),
        kind: row.kind,
        slug: row.slug.clone(),
        values: FormValues::of(&latest.content),
        review_by: row.review_by.map(|d| d.to_string()).unwrap_or_default(),
        errors: Vec::new(),
        preview: None,
        gulpease: readability(&latest.content),
        saved: query.salvato.is_some(),
        latest: row.latest,
        live_version: row.live_version,
        schedule: row
            .scheduled_version
            .zip(row.publish_at.filter(|at| *at > now))
            .map(|(n, at)| format!("{n} – {}", local_time(at))),
        withdraw: row.unpublish_at.map(local_time),
        row: Some(RowView::of(&row, now)),
        page,
    })?
    .into_response())
}

/// `POST /backoffice/contenuti/{id}`: saves a new version (a draft) or previews it.
pub async fn save(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let fields = Fields::parse(&body);
    fields.check_csrf(&session)?;
    let row = store::editor_page(&app.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let review_by = review_date(&fields, &mut errors);
    let content = match content_from_form(row.kind, &fields) {
        Ok(content) if errors.is_empty() => content,
        Ok(_) => {
            return form_again(
                &app,
                page,
                &session,
                Some(id),
                row.kind,
                &fields,
                &errors,
                None,
                None,
            )
            .await;
        }
        Err(more) => {
            errors.extend(more);
            return form_again(
                &app,
                page,
                &session,
                Some(id),
                row.kind,
                &fields,
                &errors,
                None,
                None,
            )
            .await;
        }
    };
    if fields.get("azione") == "anteprima" {
        let gulpease = readability(&content);
        let preview = Some(preview_html(&content));
        return form_again(
            &app,
            page,
            &session,
            Some(id),
            row.kind,
            &fields,
            &[],
            preview,
            gulpease,
        )
        .await;
    }
    let note = fields.get("note").trim().chars().take(200).collect::<String>();
    store::save_version(
        &app.db,
        &id,
        &content,
        Some(&session.account.id),
        &note,
        review_by,
    )
    .await?;
    Ok(see_other(&format!("/backoffice/contenuti/{id}?salvato=1")))
}

/// An instant typed in `<input type="datetime-local">` (Rome time).
fn parse_local_datetime(text: &str) -> Option<i64> {
    let datetime: jiff::civil::DateTime = text.trim().parse().ok()?;
    Some(datetime.in_tz("Europe/Rome").ok()?.timestamp().as_millisecond())
}

/// `POST /backoffice/contenuti/{id}/pubblicazione`: publish a version now or at a time,
/// withdraw now or at a time, or cancel what is scheduled.
pub async fn publication(
    State(app): State<AppState>,
    session: RequireSession,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let fields = Fields::parse(&body);
    fields.check_csrf(&session)?;
    let when = fields.get("quando").trim();
    let at = if when.is_empty() {
        None
    } else {
        Some(parse_local_datetime(when).ok_or(AppError::InvalidValue {
            field: "quando",
            code: "data-non-valida",
            detail: crate::http::error::Message::new("content-error-date"),
        })?)
    };
    let version = fields.get("versione").trim().parse::<i64>().ok();
    let action = match (fields.get("azione"), version, at) {
        ("pubblica", Some(n), None) => Publication::Now(n),
        ("pubblica", Some(n), Some(at)) => Publication::At(n, at),
        ("ritira", _, at) => Publication::Withdraw(at.unwrap_or_else(now_ms)),
        ("annulla", _, _) => Publication::CancelSchedule,
        _ => return Err(AppError::Invalid(Vec::new())),
    };
    if !store::publish(&app.db, &id, action, &session.account.id).await? {
        return Err(AppError::NotFound);
    }
    // This node shows the change at once; the others within `catalog_refresh_ms`.
    super::refresh_now(&app).await;
    Ok(see_other(&format!("/backoffice/contenuti/{id}")))
}

/// A version's changes: (its number, the number it is compared with, lines as (sign, text)).
pub type Diff = (i64, i64, Vec<(char, String)>);

#[derive(Template)]
#[template(path = "catalog/editor_versions.html")]
pub struct VersionsView {
    pub page: PageContext,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub versions: Vec<VersionView>,
    /// The diff shown: (number, against, lines as (sign, text)).
    pub diff: Option<Diff>,
    pub live_version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct VersionView {
    pub number: i64,
    pub author: String,
    pub note: String,
    pub created: String,
}

impl VersionsView {
    pub fn is_live(&self, number: &i64) -> bool {
        self.live_version == Some(*number)
    }
}

/// A content as lines of text for a diff (its TOML form: one field per line, text as typed).
pub fn diff_text(content: &Content) -> String {
    toml::to_string_pretty(content).unwrap_or_default()
}

/// The changed lines from `old` to `new`, with a little context.
pub fn diff_lines(old: &str, new: &str) -> Vec<(char, String)> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for group in diff.grouped_ops(2) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                lines.push((sign, change.value().trim_end_matches('\n').to_owned()));
            }
        }
        lines.push(('…', String::new()));
    }
    lines.pop();
    lines
}

#[derive(Debug, Deserialize)]
pub struct VersionsQuery {
    /// Show the changes of this version against the one before.
    v: Option<i64>,
}

/// `GET /backoffice/contenuti/{id}/versioni?v=3`
pub async fn versions(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    Path(id): Path<String>,
    Query(query): Query<VersionsQuery>,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let row = store::editor_page(&app.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = store::versions(&app.db, &id).await?;
    let diff = query.v.and_then(|n| {
        let new = versions.iter().find(|v| v.number == n)?;
        let old = versions.iter().filter(|v| v.number < n).max_by_key(|v| v.number);
        let old_text = old.map(|v| diff_text(&v.content)).unwrap_or_default();
        Some((
            n,
            old.map_or(0, |v| v.number),
            diff_lines(&old_text, &diff_text(&new.content)),
        ))
    });
    Ok(page::render(&VersionsView {
        page,
        csrf: session.csrf_token,
        id,
        title: row.title,
        versions: versions
            .iter()
            .map(|v| VersionView {
                number: v.number,
                author: v.author.clone().unwrap_or_default(),
                note: v.note.clone(),
                created: local_time(v.created_at),
            })
            .collect(),
        diff,
        live_version: row.live_version,
    })?
    .into_response())
}

/// `POST /backoffice/contenuti/{id}/versioni/{n}/ripristina`: a new version with version n's text.
pub async fn restore(
    State(app): State<AppState>,
    session: RequireSession,
    Path((id, number)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let fields = Fields::parse(&body);
    fields.check_csrf(&session)?;
    let row = store::editor_page(&app.db, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = store::versions(&app.db, &id).await?;
    let old = versions
        .iter()
        .find(|v| v.number == number)
        .ok_or(AppError::NotFound)?;
    let note = format!("ripristino della versione {number}");
    store::save_version(
        &app.db,
        &id,
        &old.content,
        Some(&session.account.id),
        &note,
        row.review_by,
    )
    .await?;
    Ok(see_other(&format!("/backoffice/contenuti/{id}?salvato=1")))
}

#[derive(Template)]
#[template(path = "catalog/editor_synonyms.html")]
pub struct SynonymsView {
    pub page: PageContext,
    pub csrf: String,
    pub text: String,
    pub error: Option<String>,
    pub saved: bool,
    pub misses: Vec<(String, i64, String)>,
}

/// `GET /backoffice/sinonimi`: the synonyms of search, and what people searched in vain.
pub async fn synonyms(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    Query(query): Query<EditQuery>,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let (_, text) = store::state(&app.db).await?;
    let misses = store::misses(&app.db, 100).await?;
    Ok(page::render(&SynonymsView {
        page,
        csrf: session.csrf_token,
        text,
        error: None,
        saved: query.salvato.is_some(),
        misses: misses
            .into_iter()
            .map(|(q, n, at)| (q, n, local_date(at)))
            .collect(),
    })?
    .into_response())
}

/// `POST /backoffice/sinonimi`
pub async fn save_synonyms(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    body: Bytes,
) -> Result<Response, AppError> {
    let session = editor(session)?;
    let fields = Fields::parse(&body);
    fields.check_csrf(&session)?;
    let text = fields.get("sinonimi");
    match Synonyms::parse(text) {
        Ok(parsed) => {
            store::set_synonyms(&app.db, &parsed.to_text(), Some(&session.account.id)).await?;
            super::refresh_now(&app).await;
            Ok(see_other("/backoffice/sinonimi?salvato=1"))
        }
        Err(err) => {
            let misses = store::misses(&app.db, 100).await?;
            let error = page.message(
                &crate::http::error::Message::new("synonyms-error")
                    .arg("line", err.line.to_string())
                    .arg("reason", page.t(synonym_reason_id(err.reason))),
            );
            let mut response = page::render(&SynonymsView {
                page,
                csrf: session.csrf_token,
                text: text.to_owned(),
                error: Some(error),
                saved: false,
                misses: misses
                    .into_iter()
                    .map(|(q, n, at)| (q, n, local_date(at)))
                    .collect(),
            })?
            .into_response();
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// The message id that explains a synonyms error in the editor's language.
fn synonym_reason_id(reason: &str) -> &'static str {
    if reason.starts_with("missing ':'") {
        "synonyms-error-colon"
    } else if reason.starts_with("empty term") {
        "synonyms-error-empty-term"
    } else if reason.starts_with("no alternatives") {
        "synonyms-error-no-alternatives"
    } else if reason.contains("no searchable word") {
        "synonyms-error-no-words"
    } else if reason.starts_with("line longer") {
        "synonyms-error-too-long"
    } else if reason.starts_with("too many lines") {
        "synonyms-error-too-many"
    } else {
        "synonyms-error-other"
    }
}

#[derive(Template)]
#[template(path = "catalog/editor_feedback.html")]
pub struct FeedbackView {
    pub page: PageContext,
    pub from: String,
    pub to: String,
    pub stats: Vec<StatsView>,
    pub error: bool,
}

#[derive(Debug, Clone)]
pub struct StatsView {
    pub path: String,
    pub answers: i64,
    pub found_rate: String,
    pub partly: i64,
    pub clear: String,
    pub complete: String,
    pub up_to_date: String,
    pub easy_to_find: String,
    pub comments: Vec<(String, String)>,
}

fn one_decimal(value: Option<f64>) -> String {
    value
        .map(|v| format!("{v:.1}").replace('.', ","))
        .unwrap_or_else(|| "–".to_owned())
}

impl StatsView {
    fn of(stats: &PageStats) -> Self {
        Self {
            path: stats.path.clone(),
            answers: stats.answers,
            found_rate: stats
                .found_rate()
                .map(|r| format!("{r:.0}%"))
                .unwrap_or_else(|| "–".to_owned()),
            partly: stats.found_partly,
            clear: one_decimal(stats.clear),
            complete: one_decimal(stats.complete),
            up_to_date: one_decimal(stats.up_to_date),
            easy_to_find: one_decimal(stats.easy_to_find),
            comments: stats
                .comments
                .iter()
                .map(|(at, c)| (local_date(*at), c.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    dal: Option<String>,
    al: Option<String>,
}

/// `GET /backoffice/valutazioni?dal=2026-11-01&al=2026-11-30`: per page, the found rate and the
/// four averages, worst first, with comments. The default period is the last 30 days.
pub async fn feedback_report(
    State(app): State<AppState>,
    page: PageContext,
    session: RequireSession,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    editor(session)?;
    let today = crate::identity::cf_api::today();
    let parse = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<jiff::civil::Date>())
    };
    let (from, to, error) = match (parse(&query.dal), parse(&query.al)) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => {
            (today.saturating_sub(jiff::Span::new().days(30)), today, true)
        }
        (from, to) => (
            from.and_then(Result::ok)
                .unwrap_or_else(|| today.saturating_sub(jiff::Span::new().days(30))),
            to.and_then(Result::ok).unwrap_or(today),
            false,
        ),
    };
    let start = page::parse_local_date(&from.to_string()).unwrap_or(0);
    let end = page::parse_local_date(&to.tomorrow().unwrap_or(to).to_string()).unwrap_or(i64::MAX);
    let stats = feedback::report(&app.db, start, end).await?;
    let mut response = page::render(&FeedbackView {
        page,
        from: from.to_string(),
        to: to.to_string(),
        stats: stats.iter().map(StatsView::of).collect(),
        error,
    })?
    .into_response();
    if error {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faq_round_trips_through_the_text_form() {
        let faq = parse_faq(
            "? Posso lavorare?\nSì, entro certi limiti.\n\nAnche part-time.\n? Quanto dura?\nFino a due anni.\n",
        );
        assert_eq!(faq.len(), 2);
        assert_eq!(faq[0].answer, "Sì, entro certi limiti.\n\nAnche part-time.");
        assert_eq!(parse_faq(&faq_text(&faq)), faq);
        assert!(parse_faq("testo senza domanda").is_empty());
    }

    #[test]
    fn the_form_becomes_content_or_says_what_is_wrong() {
        let body = b"title=Bonus+nido&summary=Un+aiuto.&audiences=famiglie&audiences=cittadini&channels=online&description=Testo&faq=%3F+Chi%3F%0ATutti";
        let content = content_from_form(Kind::Servizio, &Fields::parse(body)).unwrap();
        let Content::Servizio(card) = &content else {
            panic!()
        };
        assert_eq!(card.audiences, vec![Audience::Cittadini, Audience::Famiglie]);
        assert_eq!(card.faq.len(), 1);
        let errors = content_from_form(
            Kind::Bando,
            &Fields::parse(b"title=X&summary=Y&opens=2026-13-01&body=b"),
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert!(
            fields.contains(&"opens") && fields.contains(&"closes"),
            "{fields:?}"
        );
    }

    #[test]
    fn diffs_show_changed_lines() {
        let lines = diff_lines("a\nb\nc\n", "a\nB\nc\n");
        assert!(lines.contains(&('-', "b".to_owned())));
        assert!(lines.contains(&('+', "B".to_owned())));
        assert!(diff_lines("same\n", "same\n").is_empty());
    }
}
