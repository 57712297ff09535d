//! The mailbox pages: `/area-personale/cassetta` (list, search, filters, older pages),
//! `/area-personale/cassetta/{id}` (one message, marked read) and `…/{id}/pdf` (the letter).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Filter, Message, MessageKind, service};
use crate::app::AppState;
use crate::http::error::AppError;
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, local_time};

/// The list's query string (`?q=&tipo=&stato=&prima_di=`), all optional.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub q: Option<String>,
    pub tipo: Option<String>,
    pub stato: Option<String>,
    pub prima_di: Option<String>,
}

impl ListParams {
    pub fn filter(&self) -> Result<Filter, AppError> {
        Ok(Filter::parse(
            self.q.as_deref(),
            self.tipo.as_deref(),
            self.stato.as_deref(),
            self.prima_di.as_deref(),
        )?)
    }
}

/// One line of the list.
pub struct Row {
    pub id: String,
    pub date: String,
    /// RFC 3339, for `<time datetime>`.
    pub datetime: String,
    pub subject: String,
    pub sender: String,
    pub kind_id: &'static str,
    pub reference: String,
    pub unread: bool,
}

impl From<&Message> for Row {
    fn from(m: &Message) -> Self {
        Row {
            id: m.id.clone(),
            date: local_time(m.created_at),
            datetime: rfc3339(m.created_at),
            subject: m.subject.clone(),
            sender: m.sender_office.clone(),
            kind_id: m.kind.label_id(),
            reference: m.reference.clone().unwrap_or_default(),
            unread: m.read_at.is_none(),
        }
    }
}

/// An instant as RFC 3339 (UTC).
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "cassetta/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<Row>,
    pub q: String,
    pub tipo: String,
    pub stato: String,
    /// (code, Fluent id) of every kind, for the filter.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub filtered: bool,
    /// The next, older page.
    pub older_url: Option<String>,
    /// Back to the newest messages, when on an older page.
    pub newest_url: Option<String>,
}

/// The list URL with the given filters (empty ones left out).
fn list_url(q: &str, tipo: &str, stato: &str, cursor: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [("q", q), ("tipo", tipo), ("stato", stato)] {
        if !value.is_empty() {
            query.append_pair(key, value);
        }
    }
    if let Some(cursor) = cursor {
        query.append_pair("prima_di", cursor);
    }
    let query = query.finish();
    if query.is_empty() {
        "/area-personale/cassetta".to_owned()
    } else {
        format!("/area-personale/cassetta?{query}")
    }
}

/// `GET /area-personale/cassetta`.
pub async fn list(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(session): RequireSession,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let filter = params.filter()?;
    let listing = service::list(&app, &session, &filter).await?;
    let q = filter.text.clone().unwrap_or_default();
    let tipo = filter.kind.map(MessageKind::code).unwrap_or_default().to_owned();
    let stato = match filter.read {
        Some(false) => "da-leggere",
        Some(true) => "letti",
        None => "",
    }
    .to_owned();
    let older_url = listing
        .next
        .as_ref()
        .map(|cursor| list_url(&q, &tipo, &stato, Some(&cursor.encode())));
    let newest_url = filter.before.is_some().then(|| list_url(&q, &tipo, &stato, None));
    let view = ListPage {
        page,
        rows: listing.messages.iter().map(Row::from).collect(),
        filtered: filter.text.is_some() || filter.kind.is_some() || filter.read.is_some(),
        q,
        tipo,
        stato,
        kinds: MessageKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_id()))
            .collect(),
        older_url,
        newest_url,
    };
    Ok(page::render(&view)?.into_response())
}

#[derive(Template)]
#[template(path = "cassetta/message.html")]
pub struct MessagePage {
    pub page: PageContext,
    pub row: Row,
    pub size_kb: i64,
    pub file_name: String,
}

/// `GET /area-personale/cassetta/{id}`: the message, marked read.
pub async fn show(
    State(app): State<AppState>,
    mut page: PageContext,
    RequireSession(session): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (message, first) = service::open(&app, &session, &id).await?;
    if first {
        // The badge was counted before this letter was opened.
        page.mailbox_opened_one();
    }
    let view = MessagePage {
        page,
        size_kb: (message.size_bytes + 1023) / 1024,
        file_name: message.file_name(),
        row: Row::from(&message),
    };
    Ok(page::render(&view)?.into_response())
}

/// `GET /area-personale/cassetta/{id}/pdf`: the letter as a PDF download.
pub async fn pdf(
    State(app): State<AppState>,
    RequireSession(session): RequireSession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (message, pdf) = service::download(&app, &session, &id).await?;
    service::pdf_response(&message, pdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_urls_keep_the_filters_and_encode_them() {
        assert_eq!(list_url("", "", "", None), "/area-personale/cassetta");
        assert_eq!(
            list_url("isee 2026&x", "pin", "letti", Some("1_a")),
            "/area-personale/cassetta?q=isee+2026%26x&tipo=pin&stato=letti&prima_di=1_a"
        );
    }
}
