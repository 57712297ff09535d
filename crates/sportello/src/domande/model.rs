//! The rules of an application (domanda), as pure functions: its states and which act moves
//! it from one to the next, who may do that act, the protocol number and its format.

use std::fmt;

/// Where an application stands. Stored as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stato {
    /// Being filled in; only its citizen (or someone acting for them) sees it.
    Bozza,
    /// Filed: it has a protocol number and waits for an office.
    Presentata,
    /// An operator of the sede is examining it.
    InIstruttoria,
    /// The office asked the citizen for documents, with a deadline.
    RichiestaIntegrazione,
    /// The citizen sent what was asked; back to the office.
    Integrata,
    /// Granted. Final.
    Accolta,
    /// Rejected, with a reason. Final; an appeal (ricorso) is a new application.
    Respinta,
    /// Withdrawn by the citizen before a decision. Final.
    Ritirata,
}

impl Stato {
    pub const ALL: [Stato; 8] = [
        Self::Bozza,
        Self::Presentata,
        Self::InIstruttoria,
        Self::RichiestaIntegrazione,
        Self::Integrata,
        Self::Accolta,
        Self::Respinta,
        Self::Ritirata,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Bozza => "bozza",
            Self::Presentata => "presentata",
            Self::InIstruttoria => "in-istruttoria",
            Self::RichiestaIntegrazione => "richiesta-integrazione",
            Self::Integrata => "integrata",
            Self::Accolta => "accolta",
            Self::Respinta => "respinta",
            Self::Ritirata => "ritirata",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// No act moves it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Accolta | Self::Respinta | Self::Ritirata)
    }

    /// In the office's hands: filed, not yet decided or withdrawn.
    pub fn is_open_case(self) -> bool {
        matches!(
            self,
            Self::Presentata | Self::InIstruttoria | Self::RichiestaIntegrazione | Self::Integrata
        )
    }

    /// The Fluent id of the state's name.
    pub fn label_id(self) -> String {
        format!("domande-stato-{}", self.code())
    }
}

impl fmt::Display for Stato {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Atto {
    /// The citizen's side files the draft.
    Presenta,
    /// An operator opens the case (taking it or being assigned it).
    AvviaIstruttoria,
    /// An operator asks for documents.
    ChiediIntegrazione,
    /// The citizen's side sends the documents asked for.
    Integra,
    /// An operator grants it.
    Accogli,
    /// An operator rejects it.
    Respingi,
    /// The citizen's side withdraws it.
    Ritira,
}

impl Atto {
    pub const ALL: [Atto; 7] = [
        Self::Presenta,
        Self::AvviaIstruttoria,
        Self::ChiediIntegrazione,
        Self::Integra,
        Self::Accogli,
        Self::Respingi,
        Self::Ritira,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Presenta => "presenta",
            Self::AvviaIstruttoria => "avvia-istruttoria",
            Self::ChiediIntegrazione => "chiedi-integrazione",
            Self::Integra => "integra",
            Self::Accogli => "accogli",
            Self::Respingi => "respingi",
            Self::Ritira => "ritira",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// Done by the office; the others by the citizen's side.
    pub fn by_office(self) -> bool {
        matches!(
            self,
            Self::AvviaIstruttoria | Self::ChiediIntegrazione | Self::Accogli | Self::Respingi
        )
    }
}

/// Why an act is refused in the application's present state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rifiuto {
    /// The application is decided or withdrawn: nothing changes it any more.
    #[error("the application is in a final state")]
    GiaConclusa,
    /// The act does not follow from the present state (e.g. a decision on a draft).
    #[error("the act does not follow from the present state")]
    FuoriSequenza,
}

impl Rifiuto {
    /// The problem code and its Fluent id (`problem-<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Self::GiaConclusa => "domanda-conclusa",
            Self::FuoriSequenza => "domanda-fuori-sequenza",
        }
    }
}

/// The state an act leads to, or why it cannot be done now.
pub fn prossimo(stato: Stato, atto: Atto) -> Result<Stato, Rifiuto> {
    use Atto as A;
    use Stato as S;
    if stato.is_final() {
        return Err(Rifiuto::GiaConclusa);
    }
    match (stato, atto) {
        (S::Bozza, A::Presenta) => Ok(S::Presentata),
        (S::Presentata, A::AvviaIstruttoria) => Ok(S::InIstruttoria),
        (S::InIstruttoria | S::Integrata, A::ChiediIntegrazione) => Ok(S::RichiestaIntegrazione),
        (S::RichiestaIntegrazione, A::Integra) => Ok(S::Integrata),
        (S::InIstruttoria | S::Integrata, A::Accogli | A::Respingi) => Ok(match atto {
            A::Accogli => S::Accolta,
            _ => S::Respinta,
        }),
        (S::Presentata | S::InIstruttoria | S::RichiestaIntegrazione | S::Integrata, A::Ritira) => {
            Ok(S::Ritirata)
        }
        _ => Err(Rifiuto::FuoriSequenza),
    }
}

/// Who filed an application, as the receipt says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentatore {
    /// The citizen, with a PIN dispositivo, SPID or CIE.
    Cittadino,
    /// A trusted person with a delegation.
    Delegato,
    /// A patronato or professional with a mandate.
    Intermediario,
    /// An operator at an assisted desk (Punto Utente Evoluto).
    OperatorePue,
}

impl Presentatore {
    pub fn code(self) -> &'static str {
        match self {
            Self::Cittadino => "cittadino",
            Self::Delegato => "delegato",
            Self::Intermediario => "intermediario",
            Self::OperatorePue => "operatore-pue",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Cittadino,
            Self::Delegato,
            Self::Intermediario,
            Self::OperatorePue,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    /// From a session's acting basis (`delega:…`, `mandato:…`, `pue:…`), or the citizen.
    pub fn from_basis(basis: Option<&str>) -> Option<Self> {
        match basis.map(|b| b.split_once(':').map_or(b, |(kind, _)| kind)) {
            None => Some(Self::Cittadino),
            Some("delega") => Some(Self::Delegato),
            Some("mandato") => Some(Self::Intermediario),
            Some("pue") => Some(Self::OperatorePue),
            Some(_) => None,
        }
    }

    /// The Fluent id of how the receipt names it.
    pub fn label_id(self) -> String {
        format!("domande-presentatore-{}", self.code())
    }
}

/// A protocol number: `<ENTE>.<sede>.<anno>.<sequenza>`, e.g. `INPS.RM-001.2026.00000042`.
/// The sequence counts every application filed with the institution in that year, across
/// every sede and node, with no gaps; it has eight digits (up to 99,999,999 a year).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Protocollo {
    pub ente: String,
    pub sede: String,
    pub anno: i32,
    pub sequenza: u64,
}

impl fmt::Display for Protocollo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{:08}",
            self.ente, self.sede, self.anno, self.sequenza
        )
    }
}

impl Protocollo {
    /// Reads a protocol number as people type it (spaces around, lower case).
    pub fn parse(input: &str) -> Option<Self> {
        let text = input.trim().to_ascii_uppercase();
        let mut parts = text.split('.');
        let ente = parts.next()?;
        let sede = parts.next()?;
        let anno = parts.next()?;
        let sequenza = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let code_ok = |part: &str, max: usize| {
            !part.is_empty()
                && part.len() <= max
                && part
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        };
        if !code_ok(ente, 12) || !code_ok(sede, 12) {
            return None;
        }
        if anno.len() != 4 || sequenza.len() != 8 {
            return None;
        }
        if !anno.bytes().chain(sequenza.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let anno: i32 = anno.parse().ok()?;
        let sequenza: u64 = sequenza.parse().ok()?;
        (sequenza > 0 && (2000..=9999).contains(&anno)).then(|| Self {
            ente: ente.to_owned(),
            sede: sede.to_owned(),
            anno,
            sequenza,
        })
    }
}

/// The year (Rome time) of an instant in milliseconds.
pub fn anno_di(ms: i64) -> i32 {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| i32::from(t.to_zoned_datetime(zone).year()))
        .unwrap_or(1970)
}

/// The calendar day (Rome time) of an instant in milliseconds.
pub fn giorno_di(ms: i64) -> jiff::civil::Date {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(zone).date())
        .unwrap_or_default()
}

/// An idempotency key as clients send it: 8 to 100 visible ASCII characters (a UUID fits).
pub fn chiave_idempotenza(raw: &str) -> Option<String> {
    let key = raw.trim();
    ((8..=100).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())).then(|| key.to_owned())
}

/// The longest reason an operator may write for a decision or a request for documents.
pub const MAX_MOTIVAZIONE: usize = 5_000;

/// A decision's or request's written reason: required, trimmed, bounded, plain text.
pub fn motivazione(raw: &str) -> Result<String, &'static str> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("domande-motivazione-vuota");
    }
    if text.chars().count() > MAX_MOTIVAZIONE {
        return Err("domande-motivazione-lunga");
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("domande-motivazione-caratteri");
    }
    Ok(text.replace("\r\n", "\n"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_normal_path_and_the_integration_loop() {
        let mut stato = Stato::Bozza;
        for atto in [
            Atto::Presenta,
            Atto::AvviaIstruttoria,
            Atto::ChiediIntegrazione,
            Atto::Integra,
            Atto::ChiediIntegrazione,
            Atto::Integra,
            Atto::Accogli,
        ] {
            stato = prossimo(stato, atto).unwrap();
        }
        assert_eq!(stato, Stato::Accolta);
        assert_eq!(
            prossimo(Stato::InIstruttoria, Atto::Respingi),
            Ok(Stato::Respinta)
        );
    }

    #[test]
    fn out_of_order_acts_are_refused() {
        assert_eq!(prossimo(Stato::Bozza, Atto::Accogli), Err(Rifiuto::FuoriSequenza));
        assert_eq!(
            prossimo(Stato::Presentata, Atto::Accogli),
            Err(Rifiuto::FuoriSequenza),
            "a decision needs the case opened first"
        );
        assert_eq!(
            prossimo(Stato::Bozza, Atto::Ritira),
            Err(Rifiuto::FuoriSequenza),
            "a draft is deleted, not withdrawn"
        );
        assert_eq!(
            prossimo(Stato::RichiestaIntegrazione, Atto::Accogli),
            Err(Rifiuto::FuoriSequenza),
            "the office waits for the documents (or withdraws the request) before deciding"
        );
        assert_eq!(
            prossimo(Stato::Presentata, Atto::Presenta),
            Err(Rifiuto::FuoriSequenza)
        );
    }

    #[test]
    fn final_states_accept_nothing() {
        for stato in Stato::ALL.into_iter().filter(|s| s.is_final()) {
            for atto in Atto::ALL {
                assert_eq!(prossimo(stato, atto), Err(Rifiuto::GiaConclusa));
            }
        }
    }

    #[test]
    fn protocol_numbers_have_one_format() {
        let p = Protocollo {
            ente: "INPS".into(),
            sede: "RM-001".into(),
            anno: 2026,
            sequenza: 42,
        };
        assert_eq!(p.to_string(), "INPS.RM-001.2026.00000042");
        assert_eq!(Protocollo::parse(" inps.rm-001.2026.00000042 "), Some(p));
        for bad in [
            "",
            "INPS.RM-001.2026",
            "INPS.RM-001.2026.42",
            "INPS.RM-001.26.00000042",
            "INPS.RM 001.2026.00000042",
            "INPS.RM-001.2026.00000000",
            "INPS.RM-001.2026.00000042.1",
            "INPS..2026.00000042",
        ] {
            assert_eq!(Protocollo::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn who_filed_follows_the_acting_basis() {
        assert_eq!(Presentatore::from_basis(None), Some(Presentatore::Cittadino));
        assert_eq!(
            Presentatore::from_basis(Some("delega:abc")),
            Some(Presentatore::Delegato)
        );
        assert_eq!(
            Presentatore::from_basis(Some("mandato:abc")),
            Some(Presentatore::Intermediario)
        );
        assert_eq!(
            Presentatore::from_basis(Some("pue:abc")),
            Some(Presentatore::OperatorePue)
        );
        assert_eq!(Presentatore::from_basis(Some("altro:abc")), None);
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(motivazione("  "), Err("domande-motivazione-vuota"));
        assert_eq!(
            motivazione(&"a".repeat(MAX_MOTIVAZIONE + 1)),
            Err("domande-motivazione-lunga")
        );
        assert_eq!(motivazione("a\u{0}b"), Err("domande-motivazione-caratteri"));
        assert_eq!(motivazione(" Manca l'ISEE.\r\n "), Ok("Manca l'ISEE.".into()));
    }

    proptest! {
        #[test]
        fn every_protocol_number_reads_back(
            ente in "[A-Z]{2,8}", sede in "[A-Z]{2}-[0-9]{3}", anno in 2000i32..=9999, sequenza in 1u64..=99_999_999
        ) {
            let p = Protocollo { ente, sede, anno, sequenza };
            prop_assert_eq!(Protocollo::parse(&p.to_string()), Some(p));
        }

        #[test]
        fn no_act_leaves_a_final_state_and_only_the_office_decides(s in 0usize..8, a in 0usize..7) {
            let (stato, atto) = (Stato::ALL[s], Atto::ALL[a]);
            if let Ok(next) = prossimo(stato, atto) {
                prop_assert!(!stato.is_final());
                if matches!(next, Stato::Accolta | Stato::Respinta | Stato::InIstruttoria | Stato::RichiestaIntegrazione) {
                    prop_assert!(atto.by_office());
                } else {
                    prop_assert!(!atto.by_office());
                }
            }
        }

        #[test]
        fn state_codes_read_back(s in 0usize..8) {
            prop_assert_eq!(Stato::parse(Stato::ALL[s].code()), Some(Stato::ALL[s]));
        }
    }
}
