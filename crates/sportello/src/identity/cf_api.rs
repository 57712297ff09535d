//! `GET /api/v1/codice-fiscale/{code}`: checks a codice fiscale and says what it encodes.
//!
//! Public and side-effect free. It is still answered with the default `Cache-Control:
//! no-store`: the path is personal data (a code reveals birth date, sex and birthplace), and
//! the security layer lets only static assets into shared caches. For the same reason the
//! request log shows the route pattern, not the path (`http/edge.rs`).

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::belfiore::PlaceKind;
use super::codice_fiscale::{CodiceFiscale, CodiceFiscaleError, Sex};
use crate::http::error::{AppError, Problem};
use crate::http::i18n::Message;

/// What a valid codice fiscale says about its holder.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodiceFiscaleInfo {
    /// The code normalised: upper case, no spaces. An omocode stays as given.
    #[schema(example = "RSSMRA80A01H501U")]
    pub codice_fiscale: String,
    /// Always `true`: an invalid code is answered with 422.
    pub valid: bool,
    pub sex: Sex,
    /// Date of birth, `YYYY-MM-DD`. The code has two digits of the year: the century is the
    /// latest that does not put the birth in the future (see the description).
    #[schema(value_type = String, format = Date, example = "1980-01-01")]
    pub birth_date: String,
    /// Belfiore code of the birthplace, omocode letters decoded.
    #[schema(example = "H501")]
    pub birthplace_code: String,
    /// Name of the comune or foreign state, as it was on the date of birth.
    #[schema(example = "Roma")]
    pub birthplace_name: String,
    /// Province (sigla) of the comune on the date of birth; absent for a foreign state.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "RM")]
    pub birthplace_province: Option<String>,
    pub birthplace_kind: PlaceKind,
    /// Whether the code is an omocode (letters in place of digits).
    pub omocode: bool,
}

impl CodiceFiscaleInfo {
    /// The answer for `cf`, with the century of the birth date chosen relative to `today`.
    pub fn new(cf: &CodiceFiscale, today: Date) -> Self {
        let place = cf.birthplace(today);
        Self {
            codice_fiscale: cf.as_str().to_owned(),
            valid: true,
            sex: cf.sex(),
            birth_date: cf.birth_date(today).to_string(),
            birthplace_code: cf.birthplace_code().to_owned(),
            birthplace_name: place.name.to_owned(),
            birthplace_province: place.province.map(str::to_owned),
            birthplace_kind: place.kind,
            omocode: cf.is_omocode(),
        }
    }
}

/// Today's date in Italy (codes are issued by Italian dates), or in UTC when the system has no
/// time zone database.
pub fn today() -> Date {
    let now = jiff::Timestamp::now();
    match now.in_tz("Europe/Rome") {
        Ok(zoned) => zoned.date(),
        Err(_) => now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
    }
}

impl From<CodiceFiscaleError> for AppError {
    fn from(err: CodiceFiscaleError) -> Self {
        AppError::InvalidValue {
            field: "codice_fiscale",
            code: err.code(),
            detail: Message {
                id: err.code(),
                args: err.args(),
            },
        }
    }
}

/// Checks and decodes a codice fiscale.
#[utoipa::path(
    get,
    path = "/api/v1/codice-fiscale/{code}",
    tag = "codice-fiscale",
    summary = "Check and decode a codice fiscale",
    description = "Checks a codice fiscale of a person: length, kind of every character, month \
                   letter, day (+40 for women, within the month), Belfiore code of an Italian comune \
                   (also a former one) or foreign state, check character; omocodes (letters for \
                   digits in the seven numeric positions) are accepted. Lower case and spaces are \
                   accepted; the answer is normalised. The century of the birth date is the latest \
                   that does not put the birth in the future. An invalid code gets a 422 whose `code` says what \
                   is wrong (`cf-lunghezza`, `cf-carattere`, `cf-mese`, `cf-giorno`, `cf-comune`, \
                   `cf-controllo`) and whose `detail` says where, in Italian or in English \
                   (`Accept-Language: en`). Needs no login; answers are not cached (the code is \
                   personal data).",
    params(("code" = String, Path, format = "codice-fiscale", description = "The codice fiscale, 16 characters.", example = "RSSMRA80A01H501U")),
    responses(
        (status = 200, description = "The code is valid.", body = CodiceFiscaleInfo),
        (status = 422, description = "The code is not valid; `code` and `detail` say why.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn verifica(
    code: Result<Path<String>, PathRejection>,
) -> Result<Json<CodiceFiscaleInfo>, AppError> {
    let Path(code) = code?;
    let cf = CodiceFiscale::parse(&code)?;
    Ok(Json(CodiceFiscaleInfo::new(&cf, today())))
}
