//! Calendar months in the site's time zone: a donation at 23:30 on 31 July in New York is
//! July's, though it is already August in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a month: use YYYY-MM, e.g. 2020-07")]
pub struct MonthError(pub String);

impl Month {
    /// "2020-07".
    pub fn parse(s: &str) -> Result<Month, MonthError> {
        let error = || MonthError(s.to_owned());
        let (year, month) = s.split_once('-').ok_or_else(error)?;
        let digits = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(error());
        }
        let (year, month) = (year.parse().map_err(|_| error())?, month.parse().map_err(|_| error())?);
        if !(1..=12).contains(&month) {
            return Err(error());
        }
        Ok(Month { year, month })
    }

    /// The month that `at` falls in, in time zone `tz`.
    pub fn containing(at: DateTime<Utc>, tz: Tz) -> Month {
        let local = at.with_timezone(&tz);
        Month { year: local.year(), month: local.month() }
    }

    /// The instant this month begins in `tz` (midnight on the 1st, local time).
    pub fn start(self, tz: Tz) -> DateTime<Utc> {
        let midnight = self.first_day().and_time(chrono::NaiveTime::MIN);
        // Where clocks go back over midnight it happens twice: the month begins at the
        // first. Where they spring forward over it (Asunción, 1 October 2017) it never
        // happens: the month begins when the clocks resume, at the first minute that exists.
        // No zone has skipped two days, so the search ends.
        (0..=2 * 24 * 60)
            .find_map(|minutes| tz.from_local_datetime(&(midnight + Duration::minutes(minutes))).earliest())
            .expect("a time zone skips less than two days")
            .with_timezone(&Utc)
    }

    pub fn next(self) -> Month {
        match self.month {
            12 => Month { year: self.year + 1, month: 1 },
            m => Month { year: self.year, month: m + 1 },
        }
    }

    pub fn previous(self) -> Month {
        match self.month {
            1 => Month { year: self.year - 1, month: 12 },
            m => Month { year: self.year, month: m - 1 },
        }
    }

    /// For people, in English: "July 2020".
    pub fn name(self) -> String {
        format!("{} {}", self.first_day().format("%B"), self.year)
    }

    /// The fields are public, so a `Month` may have been built by hand: one outside 1 to 12
    /// (or a year beyond chrono's range) is a bug in the caller, not a reader's mistake.
    fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .unwrap_or_else(|| panic!("not a month: year {}, month {}", self.year, self.month))
    }
}

/// "2020-07": the form stored in the database and used in URLs and the CLI.
impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(year: i32, month: u32) -> Month {
        Month { year, month }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parse_accepts_yyyy_mm() {
        assert_eq!(Month::parse("2020-07"), Ok(m(2020, 7)));
        assert_eq!(Month::parse("1999-12"), Ok(m(1999, 12)));
        assert_eq!(Month::parse("2021-01"), Ok(m(2021, 1)));
    }

    #[test]
    fn parse_refuses_anything_else() {
        for s in [
            "",
            "2020",
            "2020-",
            "2020-7",
            "2020-007",
            "20-07",
            "02020-07",
            "2020-00",
            "2020-13",
            "2020-99",
            "2020/07",
            "2020-07-01",
            " 2020-07",
            "2020-07 ",
            "-202-07",
            "+2020-07",
            "2020--7",
            "2020-+7",
            "abcd-ef",
            "２０２０-07",
        ] {
            assert_eq!(Month::parse(s), Err(MonthError(s.to_owned())), "{s:?}");
        }
        assert_eq!(
            Month::parse("2020-13").unwrap_err().to_string(),
            "\"2020-13\" is not a month: use YYYY-MM, e.g. 2020-07"
        );
    }

    #[test]
    fn display_round_trips_through_parse() {
        for month in [m(2020, 7), m(2020, 12), m(1, 1), m(9999, 10)] {
            assert_eq!(Month::parse(&month.to_string()), Ok(month));
        }
        assert_eq!(m(2020, 7).to_string(), "2020-07");
    }

    #[test]
    fn months_order_by_year_then_month() {
        assert!(m(2020, 12) < m(2021, 1));
        assert!(m(2020, 2) < m(2020, 10));
    }

    #[test]
    fn containing_uses_the_local_calendar() {
        let ny = chrono_tz::America::New_York;
        // 23:30 on 31 July in New York (EDT, UTC-4).
        assert_eq!(Month::containing(utc("2020-08-01T03:30:00Z"), ny), m(2020, 7));
        assert_eq!(Month::containing(utc("2020-08-01T03:59:59Z"), ny), m(2020, 7));
        assert_eq!(Month::containing(utc("2020-08-01T04:00:00Z"), ny), m(2020, 8));
        // Winter, EST (UTC-5).
        assert_eq!(Month::containing(utc("2021-01-01T04:59:59Z"), ny), m(2020, 12));
        assert_eq!(Month::containing(utc("2021-01-01T05:00:00Z"), ny), m(2021, 1));
    }

    #[test]
    fn containing_ahead_of_utc() {
        let auckland = chrono_tz::Pacific::Auckland;
        // NZST (UTC+12) in July: already August at noon UTC on 31 July.
        assert_eq!(Month::containing(utc("2020-07-31T11:59:59Z"), auckland), m(2020, 7));
        assert_eq!(Month::containing(utc("2020-07-31T12:00:00Z"), auckland), m(2020, 8));
        // NZDT (UTC+13) at new year.
        assert_eq!(Month::containing(utc("2020-12-31T11:00:00Z"), auckland), m(2021, 1));
        assert_eq!(Month::containing(utc("2020-12-31T10:59:59Z"), auckland), m(2020, 12));
    }

    #[test]
    fn containing_in_utc() {
        assert_eq!(Month::containing(utc("2020-07-31T23:59:59Z"), Tz::UTC), m(2020, 7));
        assert_eq!(Month::containing(utc("2020-08-01T00:00:00Z"), Tz::UTC), m(2020, 8));
    }

    #[test]
    fn start_is_local_midnight_on_the_first() {
        assert_eq!(m(2020, 8).start(chrono_tz::America::New_York), utc("2020-08-01T04:00:00Z"));
        assert_eq!(m(2020, 1).start(chrono_tz::America::New_York), utc("2020-01-01T05:00:00Z"));
        assert_eq!(m(2020, 8).start(chrono_tz::Pacific::Auckland), utc("2020-07-31T12:00:00Z"));
        assert_eq!(m(2021, 1).start(chrono_tz::Pacific::Auckland), utc("2020-12-31T11:00:00Z"));
        assert_eq!(m(2020, 8).start(Tz::UTC), utc("2020-08-01T00:00:00Z"));
        assert_eq!(m(2019, 7).start(chrono_tz::Asia::Kolkata), utc("2019-06-30T18:30:00Z"));
    }

    #[test]
    fn start_and_containing_agree() {
        for tz in [
            Tz::UTC,
            chrono_tz::America::New_York,
            chrono_tz::Pacific::Auckland,
            chrono_tz::America::Asuncion,
        ] {
            for month in [m(2017, 10), m(2020, 3), m(2020, 11), m(2021, 1)] {
                let start = month.start(tz);
                assert_eq!(Month::containing(start, tz), month, "{tz} {month}");
                assert_eq!(
                    Month::containing(start - Duration::seconds(1), tz),
                    month.previous(),
                    "{tz} {month}"
                );
            }
        }
    }

    #[test]
    fn start_when_midnight_is_skipped() {
        // Asunción sprang forward from 00:00 (UTC-4) to 01:00 (UTC-3) on 1 October 2017:
        // October began at 01:00 local, 04:00 UTC. (Checked with Python's zoneinfo.)
        let asuncion = chrono_tz::America::Asuncion;
        let midnight = NaiveDate::from_ymd_opt(2017, 10, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(asuncion.from_local_datetime(&midnight).earliest(), None, "the case under test");
        assert_eq!(m(2017, 10).start(asuncion), utc("2017-10-01T04:00:00Z"));
        assert_eq!(Month::containing(utc("2017-10-01T03:59:59Z"), asuncion), m(2017, 9));
    }

    #[test]
    fn start_when_midnight_happens_twice() {
        // Havana fell back from 01:00 (UTC-4) to 00:00 (UTC-5) on 1 November 2020: the
        // first midnight, 04:00 UTC, begins November. (Checked with Python's zoneinfo.)
        let midnight = NaiveDate::from_ymd_opt(2020, 11, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert!(
            chrono_tz::America::Havana.from_local_datetime(&midnight).single().is_none(),
            "the case under test"
        );
        assert_eq!(m(2020, 11).start(chrono_tz::America::Havana), utc("2020-11-01T04:00:00Z"));
    }

    #[test]
    fn next_and_previous_cross_years() {
        assert_eq!(m(2020, 7).next(), m(2020, 8));
        assert_eq!(m(2020, 12).next(), m(2021, 1));
        assert_eq!(m(2020, 7).previous(), m(2020, 6));
        assert_eq!(m(2021, 1).previous(), m(2020, 12));
        for month in (1..=12).map(|i| m(2020, i)) {
            assert_eq!(month.next().previous(), month);
            assert_eq!(month.previous().next(), month);
        }
    }

    #[test]
    fn name_in_english() {
        assert_eq!(m(2020, 7).name(), "July 2020");
        assert_eq!(m(2021, 1).name(), "January 2021");
        assert_eq!(m(1999, 12).name(), "December 1999");
    }

    #[test]
    #[should_panic(expected = "not a month")]
    fn a_hand_built_impossible_month_is_a_bug() {
        m(2020, 13).name();
    }
}
