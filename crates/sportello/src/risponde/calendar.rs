//! Italian working days, for the service levels of the questions ("entro 5 giorni lavorativi").
//!
//! National holidays are those of legge 27 maggio 1949 n. 260 as amended; legge 8 ottobre
//! 2025 n. 151 (in force from 1 January 2026) added 4 October, San Francesco d'Assisi. A sede
//! may also close on its comune's patron saint's day. Saturdays and Sundays are never working
//! days. Pure functions over civil dates: no clock, no time zone.

use jiff::civil::{Date, Weekday};

/// A month and day that recur every year (a patron saint's day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDay {
    pub month: i8,
    pub day: i8,
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian computus,
/// "Meeus/Jones/Butcher"). Valid for every year jiff can represent.
pub fn easter(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// Whether `date` is a national holiday in Italy.
pub fn is_national_holiday(date: Date) -> bool {
    let fixed = matches!(
        (date.month(), date.day()),
        (1, 1) | (1, 6) | (4, 25) | (5, 1) | (6, 2) | (8, 15) | (11, 1) | (12, 8) | (12, 25) | (12, 26)
    );
    // Legge 151/2025: 4 October is a national holiday again from 2026.
    let san_francesco = date.year() >= 2026 && date.month() == 10 && date.day() == 4;
    let easter_monday = easter(date.year())
        .and_then(|easter| easter.tomorrow().ok())
        .is_some_and(|monday| monday == date);
    fixed || san_francesco || easter_monday
}

/// Whether offices (with this patron saint's day, if any) are open on `date`.
pub fn is_working_day(date: Date, patron: Option<MonthDay>) -> bool {
    let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
    let patron_day = patron.is_some_and(|p| date.month() == p.month && date.day() == p.day);
    !weekend && !patron_day && !is_national_holiday(date)
}

/// The `n`-th working day after `start` (`start` itself never counts; `n = 0` gives `start`).
/// `None` only past the end of jiff's calendar.
pub fn add_working_days(start: Date, n: u32, patron: Option<MonthDay>) -> Option<Date> {
    let mut date = start;
    let mut left = n;
    while left > 0 {
        date = date.tomorrow().ok()?;
        if is_working_day(date, patron) {
            left -= 1;
        }
    }
    Some(date)
}

/// The patron saint's day of some comuni where a sede may be (the sede's comune, any case).
/// Others have none here: the sede is then open every national working day.
pub fn patron_of(comune: &str) -> Option<MonthDay> {
    let (month, day) = match comune.trim().to_lowercase().as_str() {
        "roma" => (6, 29),
        "milano" => (12, 7),
        "torino" | "firenze" | "genova" => (6, 24),
        "napoli" => (9, 19),
        "bologna" => (10, 4),
        "venezia" => (4, 25),
        "palermo" => (7, 15),
        "bari" => (12, 6),
        "cagliari" => (10, 30),
        "trieste" => (11, 3),
        _ => return None,
    };
    Some(MonthDay { month, day })
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;

    const ROME: Option<MonthDay> = Some(MonthDay { month: 6, day: 29 });

    #[test]
    fn easter_falls_on_the_known_sundays() {
        assert_eq!(easter(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter(2038), Some(date(2038, 4, 25)));
        assert_eq!(easter(1818), Some(date(1818, 3, 22)));
    }

    #[test]
    fn national_holidays_are_known() {
        for holiday in [
            date(2025, 1, 1),
            date(2025, 1, 6),
            date(2025, 4, 21), // Easter Monday
            date(2025, 4, 25),
            date(2025, 5, 1),
            date(2025, 6, 2),
            date(2025, 8, 15),
            date(2025, 11, 1),
            date(2025, 12, 8),
            date(2025, 12, 25),
            date(2025, 12, 26),
            date(2026, 4, 6), // Easter Monday
            date(2026, 10, 4),
            date(2027, 3, 29), // Easter Monday
            date(2027, 10, 4),
        ] {
            assert!(is_national_holiday(holiday), "{holiday}");
        }
        // San Francesco is a holiday only from 2026 (legge 151/2025).
        assert!(!is_national_holiday(date(2025, 10, 4)));
        assert!(!is_national_holiday(date(2024, 4, 1).yesterday().unwrap()));
        assert!(!is_national_holiday(date(2026, 4, 7)));
    }

    #[test]
    fn working_days_skip_weekends_holidays_and_the_patron() {
        // Monday 4 October 2027 is San Francesco.
        assert!(!is_working_day(date(2027, 10, 4), None));
        assert!(is_working_day(date(2027, 10, 5), None));
        // Monday 29 June 2026: Santi Pietro e Paolo, closed in Rome only.
        assert!(!is_working_day(date(2026, 6, 29), ROME));
        assert!(is_working_day(date(2026, 6, 29), None));
        assert!(!is_working_day(date(2026, 6, 27), None)); // Saturday
        // Thursday 2 April 2026 + 5 working days: Fri 3, (Easter) Tue 7, Wed 8, Thu 9, Fri 10.
        assert_eq!(
            add_working_days(date(2026, 4, 2), 5, None),
            Some(date(2026, 4, 10))
        );
        // Friday 24 April 2026 + 1: Saturday, Sunday, then Monday 27 (25 April is a Saturday).
        assert_eq!(
            add_working_days(date(2026, 4, 24), 1, None),
            Some(date(2026, 4, 27))
        );
        // Friday 26 June 2026 + 1 in Rome: Monday 29 is the patron, so Tuesday 30.
        assert_eq!(
            add_working_days(date(2026, 6, 26), 1, ROME),
            Some(date(2026, 6, 30))
        );
        assert_eq!(
            add_working_days(date(2026, 6, 26), 1, None),
            Some(date(2026, 6, 29))
        );
        // Christmas week 2025: Tue 23 + 2 → Wed 24, then Mon 29 (25, 26 holidays, weekend).
        assert_eq!(
            add_working_days(date(2025, 12, 23), 2, None),
            Some(date(2025, 12, 29))
        );
        assert_eq!(
            add_working_days(date(2025, 12, 23), 0, None),
            Some(date(2025, 12, 23))
        );
    }

    #[test]
    fn patrons_are_known_for_some_comuni() {
        assert_eq!(patron_of("Milano"), Some(MonthDay { month: 12, day: 7 }));
        assert_eq!(patron_of(" roma "), ROME);
        assert_eq!(patron_of("Vattelapesca"), None);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1990i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d))
    }

    fn any_patron() -> impl Strategy<Value = Option<MonthDay>> {
        prop::option::of((1i8..=12, 1i8..=28).prop_map(|(month, day)| MonthDay { month, day }))
    }

    proptest! {
        #[test]
        fn the_result_is_a_later_working_day(start in any_date(), n in 1u32..40, patron in any_patron()) {
            let due = add_working_days(start, n, patron).unwrap();
            prop_assert!(is_working_day(due, patron));
            prop_assert!(due > start);
            // n working days never take more than n weeks plus the holidays' worth.
            prop_assert!(start.until(due).unwrap().get_days() <= i32::try_from(n).unwrap() * 7 + 14);
        }

        #[test]
        fn more_days_never_end_earlier(start in any_date(), n in 0u32..40, patron in any_patron()) {
            let a = add_working_days(start, n, patron).unwrap();
            let b = add_working_days(start, n + 1, patron).unwrap();
            prop_assert!(b > a);
        }

        #[test]
        fn a_later_start_never_ends_earlier(start in any_date(), n in 0u32..40, gap in 0i32..30) {
            let later = start.checked_add(jiff::Span::new().days(gap)).unwrap();
            prop_assert!(add_working_days(later, n, None).unwrap() >= add_working_days(start, n, None).unwrap());
        }

        #[test]
        fn easter_is_a_sunday_in_spring(year in 1583i16..4000) {
            let easter = easter(year).unwrap();
            prop_assert_eq!(easter.weekday(), Weekday::Sunday);
            prop_assert!(easter >= date(year, 3, 22) && easter <= date(year, 4, 25));
        }
    }
}
