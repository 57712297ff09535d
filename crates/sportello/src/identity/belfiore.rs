//! The Belfiore codes: the four characters of a codice fiscale that name the place of birth,
//! an Italian comune (`A001`…`M999`, including comuni that no longer exist: people born there
//! keep the code) or a foreign state (`Z…`).
//!
//! The list is `data/belfiore.csv`, compiled into the binary and parsed once on first use.
//! Where it comes from and how to refresh it: `data/BELFIORE.md` and `scripts/update-belfiore`.
//! One code can have several rows: a comune that changed name or province has one row per
//! period, so a birthplace can be named as it was on the day of birth.

use std::sync::LazyLock;

use jiff::civil::Date;

const DATA: &str = include_str!("../../data/belfiore.csv");

/// Whether a code names an Italian comune or a foreign state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// An Italian comune (municipality), current or ceased.
    Comune,
    /// A foreign state (code starting with `Z`).
    StatoEstero,
}

/// One period of a Belfiore code: its name and province from `valid_from` to `valid_to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The four-character code, e.g. `H501`.
    pub code: &'static str,
    /// The official name in that period, e.g. `Roma`, `Stati Uniti D'America`.
    pub name: &'static str,
    /// The province's sigla (`RM`) for a comune; `None` for a foreign state.
    pub province: Option<&'static str>,
    pub kind: PlaceKind,
    /// First day of the period, when the source knows it.
    pub valid_from: Option<Date>,
    /// Last day of the period (inclusive); `None` while the code is in use.
    pub valid_to: Option<Date>,
}

impl Place {
    /// Whether this period covers `date` (an unknown bound does not exclude).
    pub fn covers(&self, date: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// The parsed list: every period, sorted by code (the file's order).
#[derive(Debug)]
pub struct Table {
    places: Vec<Place>,
}

/// A line of the data file that does not parse (its 1-based line number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine(pub usize);

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let (table, bad) = Table::parse(DATA);
    if !bad.is_empty() {
        // A unit test proves the shipped file parses completely; this is a guard for a bad refresh.
        tracing::error!(lines = ?bad, "data/belfiore.csv has lines that do not parse; they are ignored");
    }
    table
});

/// The table compiled into the binary.
pub fn table() -> &'static Table {
    &TABLE
}

impl Table {
    /// Parses the CSV (`code;name;province;valid_from;valid_to`, header first). An empty name
    /// means "as on the previous row of the same code". Bad lines are skipped and returned.
    pub fn parse(text: &'static str) -> (Table, Vec<BadLine>) {
        let mut places: Vec<Place> = Vec::new();
        let mut bad = Vec::new();
        for (index, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            match parse_line(line, places.last()) {
                Some(place) if places.last().is_none_or(|prev| prev.code <= place.code) => {
                    places.push(place);
                }
                _ => bad.push(BadLine(index + 1)),
            }
        }
        (Table { places }, bad)
    }

    /// Every period of `code` (already upper case, digits not omocoded), oldest first.
    pub fn periods(&self, code: &str) -> &[Place] {
        let start = self.places.partition_point(|p| p.code < code);
        let len = self.places[start..].partition_point(|p| p.code == code);
        &self.places[start..start + len]
    }

    /// Whether the code exists (in any period).
    pub fn contains(&self, code: &str) -> bool {
        !self.periods(code).is_empty()
    }

    /// The code as stored in the table (`'static`), if it exists.
    pub fn canonical(&self, code: &str) -> Option<&'static str> {
        self.periods(code).first().map(|p| p.code)
    }

    /// The current (latest) period of a code.
    pub fn latest(&self, code: &str) -> Option<&Place> {
        self.periods(code).last()
    }

    /// The period of `code` in force on `date`. When none covers it (the sources' dates are
    /// not always exact), the first period that began after `date` (a code assigned later),
    /// else the latest one.
    pub fn at(&self, code: &str, date: Date) -> Option<&Place> {
        let periods = self.periods(code);
        periods
            .iter()
            .find(|p| p.covers(date))
            .or_else(|| {
                periods
                    .iter()
                    .find(|p| p.valid_from.is_some_and(|from| from > date))
            })
            .or_else(|| periods.last())
    }

    /// Whether some period of `code` covers `date`.
    pub fn existed_on(&self, code: &str, date: Date) -> bool {
        self.periods(code).iter().any(|p| p.covers(date))
    }

    /// Every distinct code, in order.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        let mut last = "";
        self.places.iter().filter_map(move |p| {
            let new = p.code != last;
            last = p.code;
            new.then_some(p.code)
        })
    }

    /// Number of rows (periods).
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }
}

fn parse_line(line: &'static str, previous: Option<&Place>) -> Option<Place> {
    let mut fields = line.split(';');
    let code = fields.next()?;
    let name = fields.next()?;
    let province = fields.next()?;
    let valid_from = parse_date(fields.next()?)?;
    let valid_to = parse_date(fields.next()?)?;
    if fields.next().is_some() || !is_belfiore_code(code) {
        return None;
    }
    let name = if name.is_empty() {
        previous.filter(|p| p.code == code)?.name
    } else {
        name
    };
    let foreign = code.starts_with('Z');
    let (kind, province) = match (foreign, province) {
        (true, "EE") => (PlaceKind::StatoEstero, None),
        (false, p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase()) => {
            (PlaceKind::Comune, Some(p))
        }
        _ => return None,
    };
    Some(Place {
        code,
        name,
        province,
        kind,
        valid_from,
        valid_to,
    })
}

/// `YYYYMMDD`, or empty for "unknown / still in use". `None` when malformed.
fn parse_date(field: &str) -> Option<Option<Date>> {
    if field.is_empty() {
        return Some(None);
    }
    if field.len() != 8 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = field.get(0..4)?.parse().ok()?;
    let month = field.get(4..6)?.parse().ok()?;
    let day = field.get(6..8)?.parse().ok()?;
    Date::new(year, month, day).ok().map(Some)
}

/// A letter and three digits.
fn is_belfiore_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_shipped_list_parses_completely() {
        let (table, bad) = Table::parse(DATA);
        assert_eq!(bad, Vec::new(), "lines of data/belfiore.csv that do not parse");
        let rows = DATA.lines().skip(1).filter(|l| !l.is_empty()).count();
        assert_eq!(table.len(), rows);
        let comuni = table.codes().filter(|c| !c.starts_with('Z')).count();
        let stati = table.codes().filter(|c| c.starts_with('Z')).count();
        // python-codicefiscale 0.12.1 (data to 21 February 2026). Update with the file.
        assert_eq!(comuni, 9864);
        assert_eq!(stati, 222);
        assert_eq!(table.len(), 15131 + 222);
        // About 7,900 comuni exist today; the rest ceased (merged, renamed, ceded).
        let today = date(2026, 1, 1);
        let current = table
            .codes()
            .filter(|c| !c.starts_with('Z') && table.existed_on(c, today))
            .count();
        assert!((7800..8000).contains(&current), "{current} comuni today");
    }

    #[test]
    fn well_known_codes() {
        let t = table();
        let roma = t.latest("H501").unwrap();
        assert_eq!(
            (roma.name, roma.province, roma.kind),
            ("Roma", Some("RM"), PlaceKind::Comune)
        );
        let milano = t.latest("F205").unwrap();
        assert_eq!((milano.name, milano.province), ("Milano", Some("MI")));
        let usa = t.latest("Z404").unwrap();
        assert_eq!((usa.province, usa.kind), (None, PlaceKind::StatoEstero));
        // A state that no longer exists keeps its code.
        let cs = t.latest("Z105").unwrap();
        assert_eq!(cs.name, "Cecoslovacchia");
        assert_eq!(cs.valid_to, Some(date(1993, 1, 1)));
        assert!(!t.contains("Z999"));
        assert!(!t.contains("A000"));
        assert!(!t.contains("h501"));
        assert!(!t.contains(""));
    }

    #[test]
    fn a_place_is_named_as_it_was_on_the_day() {
        let t = table();
        // Abano became Abano Terme on 14 November 1924.
        assert_eq!(t.at("A001", date(1920, 5, 1)).unwrap().name, "Abano");
        assert_eq!(t.at("A001", date(1980, 5, 1)).unwrap().name, "Abano Terme");
        // Saint-Rhémy was "San Remigio" 1939-1946, in the province of Aosta since 1927.
        let sr = t.at("H675", date(1940, 1, 1)).unwrap();
        assert_eq!((sr.name, sr.province), ("San Remigio", Some("AO")));
        let sr = t.at("H675", date(1920, 1, 1)).unwrap();
        assert_eq!((sr.name, sr.province), ("Saint Rhémy", Some("TO")));
        // Before any period: the first one; after all of them: the last one.
        assert_eq!(t.at("A001", date(1800, 1, 1)).unwrap().name, "Abano");
        assert_eq!(t.at("Z105", date(2000, 1, 1)).unwrap().name, "Cecoslovacchia");
    }

    #[test]
    fn bad_lines_are_reported_not_fatal() {
        let text = "code;name;province;valid_from;valid_to\nA001;Abano;PD;18661119;\n\
                    A002;;PD;;\nh501;Roma;RM;;\nA003;X;PD;18661340;\nZ100;Y;EE;;;\nB001;Z;PD;;\n";
        let (table, bad) = Table::parse(text);
        assert_eq!(bad, vec![BadLine(3), BadLine(4), BadLine(5), BadLine(6)]);
        assert_eq!(table.len(), 2);
        assert!(table.contains("B001"));
    }
}
