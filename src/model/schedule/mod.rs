//! AWS Backup schedules: parsing `ScheduleExpression`, finding the next run, and
//! measuring the worst-case gap between runs.
//!
//! AWS Backup uses the EventBridge six-field cron,
//! `cron(minutes hours day-of-month month day-of-week year)`:
//!
//! | Field        | Values                              | Syntax            |
//! |--------------|-------------------------------------|-------------------|
//! | minutes      | 0-59                                | `, - * /`         |
//! | hours        | 0-23                                | `, - * /`         |
//! | day-of-month | 1-31                                | `, - * ? / L W`   |
//! | month        | 1-12 or JAN-DEC                     | `, - * /`         |
//! | day-of-week  | 1-7 or SUN-SAT, **1 = Sunday**      | `, - * ? L #`     |
//! | year         | 1970-2199                           | `, - * /`         |
//!
//! Exactly one of day-of-month and day-of-week must be `?`. Names are
//! case-insensitive. `rate(...)` expressions are rejected: AWS Backup does not
//! accept them.
//!
//! # Decisions on behaviour AWS does not document
//!
//! * **Backwards ranges** (`FRI-MON`) wrap around in day-of-week only
//!   (FRI, SAT, SUN, MON). In every other field a range whose start exceeds its
//!   end is rejected, because nothing says what AWS does with `22-2`.
//! * **`/` in day-of-week** (`2/2` = MON, WED, FRI) is accepted with the
//!   obvious meaning although the AWS table omits it.
//! * **`L`, `LW`, `15W`, `5L` and `3#2` must be the whole field** (no lists,
//!   ranges or steps around them). `L-3` (offset from the last day) is rejected.
//!   `L` alone in day-of-week means Saturday (7), as in Quartz.
//! * **`nW` past the end of the month** (`31W` in April) does not fire that
//!   month, like a plain `31`. `W` never crosses into another month: `1W` on a
//!   Saturday fires Monday the 3rd, `31W` on a Sunday fires Friday the 29th.
//! * **`n#5`** fires only in months that have a fifth such weekday.
//! * **Time zones and daylight saving time** (AWS Backup's behaviour is
//!   undocumented; these choices never understate a gap). Runs are computed
//!   in local time of `ScheduleExpressionTimezone` (UTC when absent or empty):
//!   - a local time that does not exist (spring-forward gap) is **skipped**, it
//!     does not move to the next valid instant;
//!   - an ambiguous local time (fall-back overlap) fires **once, at the earlier
//!     instant**.
//!
//!   So `cron(30 2 * * ? *)` in America/New_York skips the spring-forward day
//!   (a 47 h gap), and an hourly cron has a 2 h gap on the fall-back night.

mod interval;
mod next;
mod parse;
#[cfg(test)]
mod proptests;

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

pub use interval::SCAN_WINDOW_DAYS;

/// The expression AWS Backup uses when a rule has no `ScheduleExpression`:
/// daily at 05:00 (UTC unless a time zone is set).
pub const DEFAULT_EXPRESSION: &str = "cron(0 5 ? * * *)";

/// One of the six cron fields, for error reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl CronField {
    /// The field's name as users read it in error messages.
    pub fn name(self) -> &'static str {
        match self {
            CronField::Minutes => "minutes",
            CronField::Hours => "hours",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
            CronField::Year => "year",
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a schedule expression or time zone was rejected.
///
/// Displays as, for example:
/// `invalid schedule "cron(0 5 ? * 8 *)": day-of-week field "8": value 8 out of range 1-7 (1 = Sunday, 7 = Saturday)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    /// The expression as given.
    pub expression: String,
    /// The field at fault; `None` for whole-expression problems (wrapper,
    /// field count, the `?` rule, time zone).
    pub field: Option<CronField>,
    /// The text of the faulty field, when `field` is set.
    pub field_text: Option<String>,
    /// What is wrong, for users.
    pub message: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid schedule {:?}: ", self.expression)?;
        if let (Some(field), Some(text)) = (self.field, &self.field_text) {
            write!(f, "{field} field {text:?}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScheduleError {}

/// A parsed AWS Backup schedule: cron fields plus time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    expression: String,
    tz: Tz,
    spec: parse::Spec,
}

/// Worst-case spacing of a schedule's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// The largest gap between consecutive runs, and how many runs the scan
    /// covered (see [`Schedule::worst_case_interval`]).
    Every {
        max_gap: Duration,
        runs_sampled: usize,
    },
    /// No run after the scan start (year field in the past, or a date that
    /// never exists such as `30 2`).
    NeverRuns,
    /// Runs stop for good (year field exhausted) within the scanned window;
    /// `last_run` is the final one, and `max_gap` the largest gap between the
    /// runs left (`None` when only one run is left).
    StopsRunning {
        last_run: DateTime<Utc>,
        max_gap: Option<Duration>,
    },
}

impl Schedule {
    /// Parses `expr` as AWS stores it, e.g. `"cron(0 5 ? * MON-FRI *)"`, with
    /// `tz` an IANA time zone name (`None` or empty means UTC).
    pub fn parse(expr: &str, tz: Option<&str>) -> Result<Schedule, ScheduleError> {
        let error =
            |field: Option<CronField>, field_text: Option<String>, message: String| ScheduleError {
                expression: expr.to_owned(),
                field,
                field_text,
                message,
            };
        let spec = parse::parse_expression(expr).map_err(|e| error(e.field, e.text, e.message))?;
        let tz = match tz.map(str::trim) {
            None | Some("") => Tz::UTC,
            Some(name) => name.parse::<Tz>().map_err(|_| {
                // IANA names are case-sensitive; whether AWS reads `utc` as `UTC` is not
                // documented, so the name is not guessed, only suggested.
                let hint = match chrono_tz::TZ_VARIANTS
                    .iter()
                    .find(|z| z.name().eq_ignore_ascii_case(name))
                {
                    Some(z) => format!("names are case-sensitive: {:?}?", z.name()),
                    None => "expected an IANA name such as \"Europe/Paris\"".to_owned(),
                };
                error(None, None, format!("unknown time zone {name:?} ({hint})"))
            })?,
        };
        Ok(Schedule {
            expression: expr.to_owned(),
            tz,
            spec,
        })
    }

    /// The expression as given to [`Schedule::parse`].
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone runs are computed in.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The first run strictly after `t`, or `None` if the schedule never fires
    /// again (year field exhausted, or a day that never occurs).
    ///
    /// See the module docs for how daylight-saving transitions are handled.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next::next_after(&self.spec, self.tz, t)
    }

    /// The worst-case (largest) gap between consecutive runs over a full
    /// calendar cycle of runs strictly after `from`.
    ///
    /// Every pair of consecutive runs whose first run falls within
    /// [`SCAN_WINDOW_DAYS`] (28 years) of `from` is examined, including the gap
    /// from the last run in the window to the next one after it (so a rare
    /// run, e.g. a fifth Friday in February, still yields its real gap). The
    /// Gregorian weekday/date calendar repeats every 28 years between 1901 and
    /// 2099, so this covers every day-of-month, day-of-week, `L`/`W`/`#` and
    /// leap-year pattern, and every DST transition of those years.
    ///
    /// [`Interval::StopsRunning`] is returned when the runs run out within the
    /// window (a year field ending before `from` + 28 years); a `*` year field
    /// ending in 2199 is not reported unless `from` is that close.
    ///
    /// Cost: days with several runs are measured in one step each (only days
    /// with a UTC-offset change are walked run by run), so any cron takes about
    /// 10-30k cheap steps: 3-30 ms in release builds, 40-150 ms in debug.
    pub fn worst_case_interval(&self, from: DateTime<Utc>) -> Interval {
        let scan = interval::scan(self, from, Duration::days(SCAN_WINDOW_DAYS));
        let max_gap = scan.worst_gap.map(|(a, b)| b - a);
        match (scan.last_run, max_gap) {
            (None, _) => Interval::NeverRuns,
            (Some(last_run), _) if scan.exhausted => Interval::StopsRunning { last_run, max_gap },
            (Some(_), Some(max_gap)) => Interval::Every {
                max_gap,
                runs_sampled: scan.runs,
            },
            // A single run with nothing after it means the runs stop.
            (Some(last_run), None) => Interval::StopsRunning {
                last_run,
                max_gap: None,
            },
        }
    }

    /// The very last run, for a schedule whose runs stop in the last year its
    /// year field names; `None` when that year has no run (e.g. `30 2`). With
    /// a `*` year field that is a run in 2199.
    ///
    /// Only that year is scanned (a few hundred steps), so a schedule whose
    /// last year has no matching day reports `None` rather than searching
    /// earlier years.
    pub fn final_run(&self) -> Option<DateTime<Utc>> {
        let year = self.spec.years.iter().last()? as i32 + parse::YEAR_MIN;
        // Start two days early: a run on 1 January local time can be on 31
        // December in UTC (offsets reach 14 hours).
        let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)?
            .and_hms_opt(0, 0, 0)?
            .and_utc()
            - Duration::days(2);
        let scan = interval::scan(self, start, Duration::days(370));
        scan.exhausted.then_some(scan.last_run).flatten()
    }

    /// The two consecutive runs (start, end) that form the worst-case gap of
    /// [`Schedule::worst_case_interval`], for evidence text. `None` unless that
    /// returns [`Interval::Every`].
    pub fn worst_gap(&self, from: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let scan = interval::scan(self, from, Duration::days(SCAN_WINDOW_DAYS));
        if scan.exhausted {
            return None;
        }
        scan.worst_gap
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)?;
        if self.tz != Tz::UTC {
            write!(f, " ({})", self.tz.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_expression_parses_to_daily_0500_utc() {
        let s = Schedule::parse(DEFAULT_EXPRESSION, None).expect("default parses");
        assert_eq!(s.timezone(), Tz::UTC);
        assert_eq!(s.expression(), "cron(0 5 ? * * *)");
        assert_eq!(s.to_string(), "cron(0 5 ? * * *)");
    }

    #[test]
    fn time_zone_names() {
        let s = Schedule::parse(DEFAULT_EXPRESSION, Some("America/New_York")).expect("valid tz");
        assert_eq!(s.timezone(), chrono_tz::America::New_York);
        assert_eq!(s.to_string(), "cron(0 5 ? * * *) (America/New_York)");
        let s = Schedule::parse(DEFAULT_EXPRESSION, Some(" ")).expect("blank tz is UTC");
        assert_eq!(s.timezone(), Tz::UTC);
        assert_eq!(
            Schedule::parse(DEFAULT_EXPRESSION, Some("Etc/UTC"))
                .expect("Etc/UTC")
                .timezone(),
            Tz::Etc__UTC
        );
    }

    #[test]
    fn unknown_time_zone_is_reported() {
        let e = Schedule::parse(DEFAULT_EXPRESSION, Some("Mars/Olympus_Mons")).unwrap_err();
        assert_eq!(e.field, None);
        assert_eq!(
            e.to_string(),
            "invalid schedule \"cron(0 5 ? * * *)\": unknown time zone \"Mars/Olympus_Mons\" \
             (expected an IANA name such as \"Europe/Paris\")"
        );
    }

    #[test]
    fn a_time_zone_in_the_wrong_case_is_not_guessed_but_named() {
        let e = Schedule::parse(DEFAULT_EXPRESSION, Some("utc")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid schedule \"cron(0 5 ? * * *)\": unknown time zone \"utc\" \
             (names are case-sensitive: \"UTC\"?)"
        );
    }

    #[test]
    fn error_display_names_field_and_reason() {
        let e = Schedule::parse("cron(0 5 ? * 8 *)", None).unwrap_err();
        assert_eq!(e.field, Some(CronField::DayOfWeek));
        assert_eq!(
            e.to_string(),
            "invalid schedule \"cron(0 5 ? * 8 *)\": day-of-week field \"8\": \
             value 8 out of range 1-7 (1 = Sunday, 7 = Saturday)"
        );
    }
}
