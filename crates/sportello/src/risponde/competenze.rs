//! Sede competences: which topics each sede handles and for which provinces. Questions are
//! routed by topic and the citizen's residence ([`super::store::competent_sede`]);
//! administrators edit the competences in the back office, every change audited.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::model::{self, TOPICS};
use crate::app::AppState;
use crate::audit::Entry;
use crate::http::csrf::Csrf;
use crate::http::error::AppError;
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext, see_other};
use crate::identity::accounts::Role;
use crate::identity::session::Session;
use crate::identity::staff;
use crate::storage::{Db, StorageError, now_ms};
use crate::{audit_append, read_pool, write_pool};

/// "Any topic" or "any province".
pub const ANY: &str = "*";

/// One competence of a sede.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Competence {
    pub id: String,
    pub sede_id: String,
    pub topic: String,
    pub provincia: String,
}

/// A sede's competences, by topic then province.
pub async fn list(db: &Db, sede_id: &str) -> Result<Vec<Competence>, StorageError> {
    let rows = read_pool!(db, |pool| {
        sqlx::query_as(
        "SELECT id, sede_id, topic, provincia FROM sede_competenze WHERE sede_id = $1 ORDER BY topic, provincia"
    )
    .bind(sede_id)
    .fetch_all(pool)
    .await
    })?;
    Ok(rows)
}

/// Adds a competence (`topic` a topic code or [`ANY`], `provincia` two capital letters or
/// [`ANY`], both already checked). `false`: the sede already has it (nothing written).
pub async fn add(
    db: &Db,
    sede_id: &str,
    topic: &str,
    provincia: &str,
    audit: &Entry,
) -> Result<bool, StorageError> {
    let id = uuid::Uuid::now_v7().to_string();
    let audit = audit
        .clone()
        .detail("sede", sede_id)
        .detail("argomento", topic)
        .detail("provincia", provincia);
    let result = write_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO sede_competenze (id, sede_id, topic, provincia, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(sede_id)
        .bind(topic)
        .bind(provincia)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        audit_append!(tx, &audit);
        tx.commit().await
    }
    .await
    });
    match result {
        Ok(()) => Ok(true),
        Err(err) => match StorageError::from(err) {
            StorageError::Duplicate(_) => Ok(false),
            other => Err(other),
        },
    }
}

/// Removes competence `id` of `sede_id`. `false`: no such competence there.
pub async fn remove(db: &Db, sede_id: &str, id: &str, audit: &Entry) -> Result<bool, StorageError> {
    let audit = audit.clone().detail("sede", sede_id).detail("competenza", id);
    let removed = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let gone = sqlx::query("DELETE FROM sede_competenze WHERE id = $1 AND sede_id = $2")
            .bind(id)
            .bind(sede_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        audit_append!(tx, &audit);
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(removed)
}

/// A topic as the form sends it: a topic code, or [`ANY`].
pub fn parse_topic(raw: &str) -> Option<&'static str> {
    match raw.trim() {
        ANY => Some(ANY),
        code => model::topic(code).map(|t| t.code),
    }
}

/// A province as the form sends it: two letters (any case), or empty / [`ANY`] for any.
pub fn parse_provincia(raw: &str) -> Option<String> {
    match raw.trim() {
        "" | ANY => Some(ANY.to_owned()),
        code => staff::parse_provincia(code),
    }
}

/// A competence as shown.
pub struct Line {
    pub id: String,
    pub topic: String,
    pub provincia: String,
}

#[derive(Template)]
#[template(path = "risponde/competenze.html")]
pub struct CompetencesPage {
    pub page: PageContext,
    pub csrf: String,
    pub sede: staff::Sede,
    pub lines: Vec<Line>,
    pub topics: Vec<(&'static str, String)>,
    pub error: Option<String>,
    pub notice: Option<String>,
}

fn require_admin(current: &Session) -> Result<(), AppError> {
    if current.account.role == Role::Amministratore {
        Ok(())
    } else {
        Err(AppError::Forbidden("role"))
    }
}

async fn sede_or_404(db: &Db, id: &str) -> Result<staff::Sede, AppError> {
    staff::sedi(db)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)
}

async fn render(
    app: &AppState,
    page: PageContext,
    current: &Session,
    sede: staff::Sede,
    error: Option<&str>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let any = page.t("competenze-any");
    let lines = list(&app.db, &sede.id)
        .await?
        .into_iter()
        .map(|c| Line {
            topic: if c.topic == ANY {
                any.clone()
            } else {
                page.t(&format!("risponde-topic-{}", c.topic))
            },
            provincia: if c.provincia == ANY {
                any.clone()
            } else {
                c.provincia
            },
            id: c.id,
        })
        .collect();
    let view = CompetencesPage {
        csrf: current.csrf_token.clone(),
        lines,
        topics: TOPICS.iter().map(|t| (t.code, page.t(&t.label_id()))).collect(),
        error: error.map(|id| page.t(id)),
        notice: notice.map(|id| page.t(id)),
        sede,
        page,
    };
    let mut response = page::render(&view)?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    fatto: Option<String>,
}

/// `GET /backoffice/sedi/{id}/competenze` (administrators).
pub async fn show(
    State(app): State<AppState>,
    page: PageContext,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ShowQuery>,
) -> Result<Response, AppError> {
    require_admin(&current)?;
    let sede = sede_or_404(&app.db, &id).await?;
    let notice = match query.fatto.as_deref() {
        Some("aggiunta") => Some("competenze-done-added"),
        Some("rimossa") => Some("competenze-done-removed"),
        _ => None,
    };
    render(&app, page, &current, sede, None, notice, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    argomento: Option<String>,
    provincia: Option<String>,
}

/// `POST /backoffice/sedi/{id}/competenze`: adds a topic (or every topic) for a province
/// (or every province).
pub async fn add_competence(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path(id): Path<String>,
    Form(form): Form<AddForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    require_admin(&current)?;
    let sede = sede_or_404(&app.db, &id).await?;
    let topic = parse_topic(form.argomento.as_deref().unwrap_or_default());
    let provincia = parse_provincia(form.provincia.as_deref().unwrap_or_default());
    let (Some(topic), Some(provincia)) = (topic, provincia) else {
        return render(
            &app,
            page,
            &current,
            sede,
            Some("competenze-error-fields"),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let entry = Entry::new("sede.competenza.aggiunta").actor(current.account.id.as_str());
    if !add(&app.db, &sede.id, topic, &provincia, &entry).await? {
        return render(
            &app,
            page,
            &current,
            sede,
            Some("competenze-error-taken"),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    }
    Ok(see_other(&format!(
        "/backoffice/sedi/{}/competenze?fatto=aggiunta",
        sede.id
    )))
}

#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// `POST /backoffice/sedi/{id}/competenze/{competenza}/elimina`.
pub async fn remove_competence(
    State(app): State<AppState>,
    csrf: Csrf,
    RequireSession(current): RequireSession,
    Path((id, competence)): Path<(String, String)>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    require_admin(&current)?;
    let sede = sede_or_404(&app.db, &id).await?;
    let entry = Entry::new("sede.competenza.rimossa").actor(current.account.id.as_str());
    if !remove(&app.db, &sede.id, &competence, &entry).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&format!(
        "/backoffice/sedi/{}/competenze?fatto=rimossa",
        sede.id
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_codes_or_any() {
        assert_eq!(parse_topic("pensioni"), Some("pensioni"));
        assert_eq!(parse_topic(" * "), Some(ANY));
        assert_eq!(parse_topic("Pensioni"), None);
        assert_eq!(parse_topic(""), None);
        assert_eq!(parse_topic("'; DROP TABLE sedi; --"), None);
    }

    #[test]
    fn provinces_are_two_letters_or_any() {
        assert_eq!(parse_provincia("rm").as_deref(), Some("RM"));
        assert_eq!(parse_provincia(" MI ").as_deref(), Some("MI"));
        assert_eq!(parse_provincia("").as_deref(), Some(ANY));
        assert_eq!(parse_provincia("*").as_deref(), Some(ANY));
        assert_eq!(parse_provincia("ROM"), None);
        assert_eq!(parse_provincia("R1"), None);
        assert_eq!(parse_provincia("è"), None);
    }

    #[test]
    fn scrivi_alla_sede_routes_by_residence_only() {
        let pensioni = model::topic("pensioni");
        assert_eq!(super::super::pages::routing_topic(false, pensioni), "pensioni");
        assert_eq!(super::super::pages::routing_topic(true, pensioni), "");
        assert_eq!(super::super::pages::routing_topic(false, None), "");
    }
}
