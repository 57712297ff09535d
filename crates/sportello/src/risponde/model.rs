//! The rules of a question, as pure functions: topics and their service levels, the states
//! and which action moves a question from one to the next, the limits on what a citizen
//! writes and attaches, and the due date.

use super::calendar::{self, MonthDay};

/// A topic a citizen can ask about, and how many working days the institution gives itself
/// to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub code: &'static str,
    pub sla_days: u32,
}

impl Topic {
    /// The Fluent id of the topic's name.
    pub fn label_id(&self) -> String {
        format!("risponde-topic-{}", self.code)
    }
}

/// Every topic, in the order the form lists them.
pub const TOPICS: &[Topic] = &[
    Topic {
        code: "pensioni",
        sla_days: 5,
    },
    Topic {
        code: "famiglia",
        sla_days: 5,
    },
    Topic {
        code: "disoccupazione",
        sla_days: 3,
    },
    Topic {
        code: "invalidita",
        sla_days: 10,
    },
    Topic {
        code: "contributi",
        sla_days: 5,
    },
    Topic {
        code: "certificati",
        sla_days: 3,
    },
    Topic {
        code: "pagamenti",
        sla_days: 5,
    },
    Topic {
        code: "accesso-servizi",
        sla_days: 2,
    },
    Topic {
        code: "altro",
        sla_days: 10,
    },
];

pub fn topic(code: &str) -> Option<Topic> {
    TOPICS.iter().copied().find(|t| t.code == code)
}

/// Where a question stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Sent by the citizen, waiting for someone to take it.
    Inviata,
    /// An operator (contact center or sede) is working on it.
    PresaInCarico,
    /// Forwarded to a sede, waiting there.
    Inoltrata,
    /// Answered: the citizen may rate it, reopen it, or leave it.
    Risposta,
    /// Closed: solved, or merged into another question. No more replies.
    Chiusa,
    /// The citizen said the answer did not solve the problem.
    Riaperta,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Inviata,
        State::PresaInCarico,
        State::Inoltrata,
        State::Risposta,
        State::Chiusa,
        State::Riaperta,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inviata => "inviata",
            Self::PresaInCarico => "presa-in-carico",
            Self::Inoltrata => "inoltrata",
            Self::Risposta => "risposta",
            Self::Chiusa => "chiusa",
            Self::Riaperta => "riaperta",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Waiting for the institution: counts against the service level.
    pub fn awaits_answer(self) -> bool {
        matches!(
            self,
            Self::Inviata | Self::PresaInCarico | Self::Inoltrata | Self::Riaperta
        )
    }

    pub fn label_id(self) -> String {
        format!("risponde-state-{}", self.as_str())
    }
}

/// Something that can happen to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An operator takes it (assigns it to themselves or a colleague).
    TakeCharge,
    /// Contact center → sede, or sede → another sede.
    Forward,
    /// An operator answers.
    Answer,
    /// The citizen writes again while waiting (no change), or after an answer (reopens).
    CitizenReply,
    /// The citizen says the answer did not solve it.
    Reopen,
    /// The citizen is satisfied (a rating that says "solved"), or staff close an answered one.
    Close,
    /// Staff fold a duplicate into another question of the same citizen.
    Merge,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The question is closed: nothing more happens to it.
    Closed,
    /// Not possible in the current state (e.g. reopening a question never answered).
    NotNow,
}

/// The state after `action`, or why it cannot happen.
pub fn next(state: State, action: Action) -> Result<State, Refusal> {
    use Action as A;
    use State as S;
    if state == S::Chiusa {
        return Err(Refusal::Closed);
    }
    match (action, state) {
        (A::TakeCharge, S::Inviata | S::PresaInCarico | S::Inoltrata | S::Riaperta) => Ok(S::PresaInCarico),
        (A::Forward, S::Inviata | S::PresaInCarico | S::Inoltrata | S::Riaperta) => Ok(S::Inoltrata),
        (A::Answer, S::Inviata | S::PresaInCarico | S::Inoltrata | S::Riaperta) => Ok(S::Risposta),
        (A::CitizenReply, S::Risposta) | (A::Reopen, S::Risposta) => Ok(S::Riaperta),
        (A::CitizenReply, other) => Ok(other),
        (A::Close, S::Risposta) => Ok(S::Chiusa),
        (A::Merge, _) => Ok(S::Chiusa),
        _ => Err(Refusal::NotNow),
    }
}

/// Whether the citizen may rate now: after an answer (answered or closed after one), once.
pub fn may_rate(state: State, answered: bool, already_rated: bool) -> Result<(), RatingRefusal> {
    if already_rated {
        return Err(RatingRefusal::AlreadyRated);
    }
    if !answered || !matches!(state, State::Risposta | State::Chiusa) {
        return Err(RatingRefusal::NoAnswerYet);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingRefusal {
    AlreadyRated,
    NoAnswerYet,
}

/// A rating: 1–5 on each criterion, and whether the answer solved the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    pub velocita: i64,
    pub completezza: i64,
    pub chiarezza: i64,
    pub utilita: i64,
    pub risolto: bool,
}

impl Rating {
    /// The criteria and their form field names.
    pub const CRITERIA: [&'static str; 4] = ["velocita", "completezza", "chiarezza", "utilita"];

    pub fn new(scores: [Option<i64>; 4], risolto: Option<bool>) -> Result<Self, Vec<&'static str>> {
        let mut bad: Vec<&'static str> = Rating::CRITERIA
            .iter()
            .zip(scores)
            .filter(|(_, score)| !score.is_some_and(|s| (1..=5).contains(&s)))
            .map(|(name, _)| *name)
            .collect();
        if risolto.is_none() {
            bad.push("risolto");
        }
        match (bad.is_empty(), scores, risolto) {
            (true, [Some(velocita), Some(completezza), Some(chiarezza), Some(utilita)], Some(risolto)) => {
                Ok(Self {
                    velocita,
                    completezza,
                    chiarezza,
                    utilita,
                    risolto,
                })
            }
            _ => Err(bad),
        }
    }
}

/// Limits on what a citizen writes.
pub const SUBJECT_MAX: usize = 150;
pub const BODY_MIN: usize = 10;
pub const BODY_MAX: usize = 5000;
pub const REFERENCE_MAX: usize = 40;
/// Attachments: at most this many per message, each at most this big.
pub const ATTACHMENTS_MAX: usize = 3;
pub const ATTACHMENT_BYTES_MAX: usize = 5 * 1024 * 1024;

/// Why a field is refused; the code is the Fluent id's suffix (`risponde-error-<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldProblem {
    Missing,
    TooLong,
    TooShort,
    Unknown,
    Control,
}

impl FieldProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::TooLong => "too-long",
            Self::TooShort => "too-short",
            Self::Unknown => "unknown",
            Self::Control => "control",
        }
    }
}

/// Control characters other than line breaks and tabs have no place in a question (and
/// PostgreSQL cannot store U+0000).
fn has_bad_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The subject, trimmed: one line, 1–150 characters.
pub fn subject(raw: &str) -> Result<String, FieldProblem> {
    let text = raw.trim();
    if text.is_empty() {
        Err(FieldProblem::Missing)
    } else if text.chars().count() > SUBJECT_MAX {
        Err(FieldProblem::TooLong)
    } else if text.chars().any(char::is_control) {
        Err(FieldProblem::Control)
    } else {
        Ok(text.to_owned())
    }
}

/// A message's text, trimmed: 10–5000 characters. HTML is kept as typed: it is text, and
/// templates escape it.
pub fn body(raw: &str) -> Result<String, FieldProblem> {
    let text = raw.trim().replace("\r\n", "\n");
    let count = text.chars().count();
    if count == 0 {
        Err(FieldProblem::Missing)
    } else if count < BODY_MIN {
        Err(FieldProblem::TooShort)
    } else if count > BODY_MAX {
        Err(FieldProblem::TooLong)
    } else if has_bad_control(&text) {
        Err(FieldProblem::Control)
    } else {
        Ok(text)
    }
}

/// An optional reference to one of the citizen's applications: letters, digits, `-`, `/`.
pub fn reference(raw: &str) -> Result<Option<String>, FieldProblem> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > REFERENCE_MAX {
        return Err(FieldProblem::TooLong);
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | ' '))
    {
        return Err(FieldProblem::Unknown);
    }
    Ok(Some(text.to_owned()))
}

/// What an attachment's bytes say it is: PDF, JPEG or PNG; anything else is refused,
/// whatever its name or declared type.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A file name safe to show and to put in `Content-Disposition`: the last path part,
/// printable ASCII letters, digits and `._-` only, at most 100 characters.
pub fn safe_file_name(raw: &str, mime: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_matches('.').to_owned();
    if cleaned.is_empty() {
        let ext = match mime {
            "application/pdf" => "pdf",
            "image/jpeg" => "jpg",
            _ => "png",
        };
        format!("allegato.{ext}")
    } else {
        cleaned
    }
}

/// When the answer is due: the end (midnight, Rome time) of the `sla_days`-th working day
/// after the day `from_ms` falls on, at the sede with `patron`. Pure: the caller passes "now".
pub fn due_at(from_ms: i64, sla_days: u32, patron: Option<MonthDay>) -> i64 {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(start) = jiff::Timestamp::from_millisecond(from_ms) else {
        return from_ms;
    };
    let day = start.to_zoned_datetime(zone).date();
    calendar::add_working_days(day, sla_days, patron)
        .and_then(|due| due.tomorrow().ok())
        .and_then(|end| end.in_tz("Europe/Rome").ok())
        .map_or(from_ms, |end| end.timestamp().as_millisecond())
}

/// Is an answer late at `now_ms`?
pub fn overdue(state: State, due_at: i64, now_ms: i64) -> bool {
    state.awaits_answer() && due_at < now_ms
}

/// The year a question number is counted in, and its text: `Q-2026-000123`.
pub fn number(year: i16, sequence: i64) -> String {
    format!("Q-{year}-{sequence:06}")
}

/// The year (Rome time) of an instant.
pub fn year_of(ms: i64) -> i16 {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(zone).year())
        .unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn the_full_path_is_allowed() {
        let mut state = State::Inviata;
        for action in [
            Action::TakeCharge,
            Action::Forward,
            Action::TakeCharge,
            Action::Answer,
        ] {
            state = next(state, action).unwrap();
        }
        assert_eq!(state, State::Risposta);
        assert_eq!(next(state, Action::Reopen), Ok(State::Riaperta));
        assert_eq!(next(State::Riaperta, Action::Answer), Ok(State::Risposta));
        assert_eq!(next(State::Risposta, Action::Close), Ok(State::Chiusa));
    }

    #[test]
    fn a_closed_question_refuses_everything() {
        for action in [
            Action::TakeCharge,
            Action::Forward,
            Action::Answer,
            Action::CitizenReply,
            Action::Reopen,
            Action::Close,
            Action::Merge,
        ] {
            assert_eq!(next(State::Chiusa, action), Err(Refusal::Closed), "{action:?}");
        }
    }

    #[test]
    fn reopening_and_closing_need_an_answer() {
        for state in [
            State::Inviata,
            State::PresaInCarico,
            State::Inoltrata,
            State::Riaperta,
        ] {
            assert_eq!(next(state, Action::Reopen), Err(Refusal::NotNow));
            assert_eq!(next(state, Action::Close), Err(Refusal::NotNow));
            assert_eq!(next(state, Action::CitizenReply), Ok(state));
        }
        assert_eq!(next(State::Risposta, Action::TakeCharge), Err(Refusal::NotNow));
        assert_eq!(next(State::Risposta, Action::CitizenReply), Ok(State::Riaperta));
    }

    #[test]
    fn ratings_come_once_and_after_an_answer() {
        assert_eq!(may_rate(State::Risposta, true, false), Ok(()));
        assert_eq!(may_rate(State::Chiusa, true, false), Ok(()));
        assert_eq!(
            may_rate(State::Risposta, true, true),
            Err(RatingRefusal::AlreadyRated)
        );
        assert_eq!(
            may_rate(State::Inviata, false, false),
            Err(RatingRefusal::NoAnswerYet)
        );
        // Merged without an answer: nothing to rate.
        assert_eq!(
            may_rate(State::Chiusa, false, false),
            Err(RatingRefusal::NoAnswerYet)
        );
        assert_eq!(
            may_rate(State::Riaperta, true, false),
            Err(RatingRefusal::NoAnswerYet)
        );
        assert!(Rating::new([Some(1), Some(5), Some(3), Some(4)], Some(false)).is_ok());
        assert_eq!(
            Rating::new([Some(0), Some(6), Some(3), None], None),
            Err(vec!["velocita", "completezza", "utilita", "risolto"])
        );
    }

    #[test]
    fn text_limits() {
        assert_eq!(subject("  "), Err(FieldProblem::Missing));
        assert_eq!(subject(&"a".repeat(151)), Err(FieldProblem::TooLong));
        assert_eq!(subject("Pensione\u{0}"), Err(FieldProblem::Control));
        assert_eq!(subject(" Pensione "), Ok("Pensione".to_owned()));
        assert_eq!(body("corto"), Err(FieldProblem::TooShort));
        assert_eq!(body(&"x".repeat(100_000)), Err(FieldProblem::TooLong));
        assert_eq!(
            body("<script>alert(1)</script>"),
            Ok("<script>alert(1)</script>".to_owned())
        );
        assert_eq!(body("riga uno\r\nriga due"), Ok("riga uno\nriga due".to_owned()));
        assert_eq!(reference(""), Ok(None));
        assert_eq!(reference("INPS-2026-1"), Ok(Some("INPS-2026-1".to_owned())));
        assert_eq!(reference("<b>"), Err(FieldProblem::Unknown));
    }

    #[test]
    fn attachments_are_judged_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"MZ\x90\x00 this is an exe"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(safe_file_name("../../etc/passwd", "application/pdf"), "passwd");
        assert_eq!(
            safe_file_name("C:\\x\\référé.pdf", "application/pdf"),
            "r_f_r_.pdf"
        );
        assert_eq!(safe_file_name("..", "image/png"), "allegato.png");
    }

    #[test]
    fn due_dates_count_working_days_in_rome() {
        // Thursday 2 April 2026 at 10:00 Rome, 5 working days: Easter Monday is skipped, so
        // Friday 10 April, due by midnight between the 10th and the 11th.
        let asked = ms("2026-04-02T08:00:00Z");
        assert_eq!(due_at(asked, 5, None), ms("2026-04-10T22:00:00Z"));
        // The same question in Rome on 24 June 2026 +3: Thu 25, Fri 26, (Mon 29 patron) Tue 30.
        let rome = calendar::patron_of("Roma");
        assert_eq!(
            due_at(ms("2026-06-24T09:00:00Z"), 3, rome),
            ms("2026-06-30T22:00:00Z")
        );
        assert!(overdue(State::Inviata, 10, 11));
        assert!(!overdue(State::Risposta, 10, 11));
        assert!(!overdue(State::Inviata, 10, 10));
        assert_eq!(number(2026, 123), "Q-2026-000123");
        assert_eq!(year_of(ms("2025-12-31T23:30:00Z")), 2026);
    }

    #[test]
    fn every_topic_has_a_service_level() {
        for topic in TOPICS {
            assert!((1..=20).contains(&topic.sla_days), "{}", topic.code);
        }
        assert_eq!(super::topic("pensioni").map(|t| t.sla_days), Some(5));
        assert_eq!(super::topic("nessuno"), None);
    }

    fn any_state() -> impl Strategy<Value = State> {
        prop::sample::select(State::ALL.to_vec())
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop::sample::select(vec![
            Action::TakeCharge,
            Action::Forward,
            Action::Answer,
            Action::CitizenReply,
            Action::Reopen,
            Action::Close,
            Action::Merge,
        ])
    }

    proptest! {
        #[test]
        fn closed_is_final_and_answers_always_lead_to_risposta(
            start in any_state(),
            actions in prop::collection::vec(any_action(), 0..20),
        ) {
            let mut state = start;
            for action in actions {
                match next(state, action) {
                    Ok(after) => {
                        prop_assert_ne!(state, State::Chiusa);
                        if action == Action::Answer {
                            prop_assert_eq!(after, State::Risposta);
                        }
                        state = after;
                    }
                    Err(Refusal::Closed) => prop_assert_eq!(state, State::Chiusa),
                    Err(Refusal::NotNow) => prop_assert_ne!(state, State::Chiusa),
                }
            }
        }

        #[test]
        fn due_dates_are_later_and_grow_with_the_level(at in 1_700_000_000_000i64..2_000_000_000_000, days in 1u32..20) {
            let due = due_at(at, days, None);
            prop_assert!(due > at);
            prop_assert!(due_at(at, days + 1, None) > due);
        }
    }
}
