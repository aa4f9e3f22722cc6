//! Finding runs: local calendar search, then mapping to UTC through the time zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::parse::{DaySpec, Spec, ValueSet, YEAR_MAX, YEAR_MIN};

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// 1 = Sunday ... 7 = Saturday, as in the cron day-of-week field.
fn weekday(year: i32, month: u32, day: u32) -> u32 {
    // Callers pass real dates; the fallback only avoids a panic path.
    NaiveDate::from_ymd_opt(year, month, day).map_or(1, |d| d.weekday().number_from_sunday())
}

impl Spec {
    /// The days of `year`-`month` that fire (ignoring hours and minutes).
    pub(super) fn days_of(&self, year: i32, month: u32) -> ValueSet {
        let last = days_in_month(year, month);
        let first_wd = weekday(year, month, 1);
        // Weekday of `day`, derived from the 1st to avoid repeated date maths.
        let wd = |day: u32| (first_wd - 1 + day - 1) % 7 + 1;
        let mut set = ValueSet::default();
        match self.days {
            DaySpec::MonthDays(days) => (1..=last)
                .filter(|&d| days.contains(d))
                .for_each(|d| set.insert(d)),
            DaySpec::LastDay => set.insert(last),
            DaySpec::LastWeekday => set.insert(match wd(last) {
                7 => last - 1,
                1 => last - 2,
                _ => last,
            }),
            // The nearest weekday never leaves the month; a day the month does
            // not have does not fire (like a plain `31` in April).
            DaySpec::NearestWeekday(day) if day <= last => set.insert(match wd(day) {
                7 if day == 1 => 3,
                7 => day - 1,
                1 if day == last => day - 2,
                1 => day + 1,
                _ => day,
            }),
            DaySpec::NearestWeekday(_) => {}
            DaySpec::WeekDays(weekdays) => (1..=last)
                .filter(|&d| weekdays.contains(wd(d)))
                .for_each(|d| set.insert(d)),
            DaySpec::LastWeekdayOf(target) => set.insert(last - (wd(last) + 7 - target) % 7),
            DaySpec::NthWeekday { weekday, nth } => {
                let day = 1 + (weekday + 7 - first_wd) % 7 + 7 * (nth - 1);
                if day <= last {
                    set.insert(day);
                }
            }
        }
        set
    }

    /// The first local date-time `>= from` (at minute resolution) that the
    /// fields match, ignoring whether it exists in any time zone.
    ///
    /// Walks year → month → day → hour → minute, jumping to the next member of
    /// each field, so it costs a few steps per month rather than per minute.
    pub(super) fn next_local(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let (mut year, mut month, mut day) = (from.year(), from.month(), from.day());
        let (mut hour, mut minute) = (from.hour(), from.minute());
        if year < YEAR_MIN {
            (year, month, day, hour, minute) = (YEAR_MIN, 1, 1, 0, 0);
        }
        loop {
            if year > YEAR_MAX {
                return None;
            }
            // `year` is within 1970..=2199 here, so the offset fits in u32.
            let found = self.years.next_from((year - YEAR_MIN) as u32)? as i32 + YEAR_MIN;
            if found != year {
                (year, month, day, hour, minute) = (found, 1, 1, 0, 0);
            }
            let Some(found) = self.months.next_from(month).filter(|&m| m <= 12) else {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0);
                continue;
            };
            if found != month {
                (month, day, hour, minute) = (found, 1, 0, 0);
            }
            let Some(found) = self.days_of(year, month).next_from(day) else {
                (month, day, hour, minute) = (month + 1, 1, 0, 0);
                if month > 12 {
                    (year, month) = (year + 1, 1);
                }
                continue;
            };
            if found != day {
                (day, hour, minute) = (found, 0, 0);
            }
            let Some(found) = self.hours.next_from(hour).filter(|&h| h < 24) else {
                // Past the month's end is fine: days_of has no such day.
                (day, hour, minute) = (day + 1, 0, 0);
                continue;
            };
            if found != hour {
                (hour, minute) = (found, 0);
            }
            let Some(found) = self.minutes.next_from(minute).filter(|&m| m < 60) else {
                (hour, minute) = (hour + 1, 0);
                continue;
            };
            return NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, found, 0);
        }
    }
}

/// The instant a local time fires at: `None` if it falls in a spring-forward
/// gap (skipped), the earlier instant if it is ambiguous (fall-back overlap).
fn to_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The first run strictly after `t`.
pub(super) fn next_after(spec: &Spec, tz: Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Runs lie in local years 1970-2199, so within this UTC range (offsets
    // stay under a day). Clamping to it also keeps `naive_local` from
    // overflowing at chrono's extreme instants.
    let lower = NaiveDate::from_ymd_opt(YEAR_MIN - 1, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let upper = NaiveDate::from_ymd_opt(YEAR_MAX + 1, 1, 2)?.and_hms_opt(0, 0, 0)?;
    if t > upper.and_utc() {
        return None;
    }
    let t = t.max(lower.and_utc());
    // Local times map to instants monotonically (gaps skipped, overlaps at
    // their earlier instant), so only local times after t's own local minute
    // can fire after t. Inside an overlap some of those still map before t:
    // the `> t` check skips them.
    let local = t.with_timezone(&tz).naive_local();
    let minute = local.with_second(0)?.with_nanosecond(0)?;
    let mut from = minute.checked_add_signed(Duration::minutes(1))?;
    loop {
        let candidate = spec.next_local(from)?;
        match to_instant(tz, candidate) {
            Some(instant) if instant > t => return Some(instant),
            _ => from = candidate.checked_add_signed(Duration::minutes(1))?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Interval, Schedule};
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn schedule(expr: &str, tz: Option<&str>) -> Schedule {
        match Schedule::parse(expr, tz) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// The next `n` runs after `from`, as RFC 3339 strings in UTC.
    fn runs(expr: &str, tz: Option<&str>, from: &str, n: usize) -> Vec<String> {
        let s = schedule(expr, tz);
        let mut t = utc(from);
        let mut out = Vec::new();
        for _ in 0..n {
            match s.next_after(t) {
                Some(next) => {
                    out.push(next.format("%Y-%m-%dT%H:%MZ %a").to_string());
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 12), 31);
    }

    #[test]
    fn daily_default_is_strictly_after() {
        let r = runs("cron(0 5 ? * * *)", None, "2026-03-10T05:00:00Z", 2);
        assert_eq!(r, ["2026-03-11T05:00Z Wed", "2026-03-12T05:00Z Thu"]);
        let r = runs("cron(0 5 ? * * *)", None, "2026-03-10T04:59:59.999Z", 1);
        assert_eq!(r, ["2026-03-10T05:00Z Tue"]);
    }

    #[test]
    fn weekdays_mean_monday_to_friday() {
        let r = runs("cron(0 5 ? * MON-FRI *)", None, "2026-01-01T06:00:00Z", 4);
        assert_eq!(
            r,
            [
                "2026-01-02T05:00Z Fri",
                "2026-01-05T05:00Z Mon",
                "2026-01-06T05:00Z Tue",
                "2026-01-07T05:00Z Wed"
            ]
        );
        assert_eq!(
            runs("cron(0 5 ? * 1 *)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-01-04T05:00Z Sun"]
        );
        assert_eq!(
            runs("cron(0 5 ? * L *)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-01-03T05:00Z Sat"]
        );
    }

    #[test]
    fn sub_hourly_and_rollovers() {
        let r = runs("cron(*/20 23 ? * * *)", None, "2026-12-31T23:30:00Z", 3);
        assert_eq!(
            r,
            [
                "2026-12-31T23:40Z Thu",
                "2027-01-01T23:00Z Fri",
                "2027-01-01T23:20Z Fri"
            ]
        );
        let r = runs("cron(0 0 31 * ? *)", None, "2026-01-31T00:00:00Z", 2);
        assert_eq!(r, ["2026-03-31T00:00Z Tue", "2026-05-31T00:00Z Sun"]);
        assert_eq!(
            runs("cron(0 0 29 2 ? *)", None, "2025-01-01T00:00:00Z", 2),
            ["2028-02-29T00:00Z Tue", "2032-02-29T00:00Z Sun"]
        );
        assert_eq!(
            runs("cron(0 0 30 2 ? *)", None, "2025-01-01T00:00:00Z", 1),
            Vec::<String>::new()
        );
    }

    #[test]
    fn years_bound_the_schedule() {
        assert_eq!(
            runs("cron(0 5 1 1 ? 2020-2022)", None, "2026-01-01T00:00:00Z", 1),
            Vec::<String>::new()
        );
        assert_eq!(
            runs("cron(0 5 1 1 ? 2027,2030)", None, "2026-01-01T00:00:00Z", 3),
            ["2027-01-01T05:00Z Fri", "2030-01-01T05:00Z Tue"]
        );
        assert_eq!(
            runs("cron(0 5 1 1 ? *)", None, "1900-06-01T00:00:00Z", 1),
            ["1970-01-01T05:00Z Thu"]
        );
        assert_eq!(
            runs("cron(0 5 1 1 ? *)", None, "2199-01-01T05:00:00Z", 1),
            Vec::<String>::new()
        );
        for tz in [None, Some("Asia/Kolkata"), Some("America/New_York")] {
            let s = schedule("cron(* * ? * * *)", tz);
            assert_eq!(s.next_after(DateTime::<Utc>::MAX_UTC), None);
            let first = s.next_after(DateTime::<Utc>::MIN_UTC);
            let first = first.map(|t| t.with_timezone(&s.timezone()).to_string());
            let expected = match tz {
                Some("Asia/Kolkata") => "1970-01-01 00:00:00 IST",
                Some(_) => "1970-01-01 00:00:00 EST",
                None => "1970-01-01 00:00:00 UTC",
            };
            assert_eq!(first.as_deref(), Some(expected));
        }
        // The last run, 2199-12-31 23:59 in UTC-12, is on 2200-01-01 in UTC.
        let last = "cron(59 23 31 12 ? 2199)";
        let r = runs(last, Some("Etc/GMT+12"), "2200-01-01T00:00:00Z", 1);
        assert_eq!(r, ["2200-01-01T11:59Z Wed"]);
        let s = schedule(last, Some("Etc/GMT+12"));
        assert_eq!(
            s.worst_case_interval(utc("2200-01-01T00:00:00Z")),
            Interval::StopsRunning {
                last_run: utc("2200-01-01T11:59:00Z"),
                max_gap: None
            }
        );
    }

    #[test]
    fn last_day_and_last_weekday() {
        let r = runs("cron(0 5 L * ? *)", None, "2024-01-31T06:00:00Z", 3);
        assert_eq!(
            r,
            [
                "2024-02-29T05:00Z Thu",
                "2024-03-31T05:00Z Sun",
                "2024-04-30T05:00Z Tue"
            ]
        );
        // 2026-01-31 is a Saturday, 2026-05-31 a Sunday.
        let r = runs("cron(0 5 LW * ? *)", None, "2026-01-01T00:00:00Z", 5);
        assert_eq!(
            r,
            [
                "2026-01-30T05:00Z Fri",
                "2026-02-27T05:00Z Fri",
                "2026-03-31T05:00Z Tue",
                "2026-04-30T05:00Z Thu",
                "2026-05-29T05:00Z Fri"
            ]
        );
    }

    #[test]
    fn nearest_weekday() {
        // 2026-08-15 is a Saturday, 2026-03-15 a Sunday, 2026-04-15 a Wednesday.
        assert_eq!(
            runs("cron(0 5 15W 8 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-08-14T05:00Z Fri"]
        );
        assert_eq!(
            runs("cron(0 5 15W 3 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-03-16T05:00Z Mon"]
        );
        assert_eq!(
            runs("cron(0 5 15W 4 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-04-15T05:00Z Wed"]
        );
        // 2026-08-01 is a Saturday: 1W stays in August, Monday the 3rd.
        assert_eq!(
            runs("cron(0 5 1W 8 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-08-03T05:00Z Mon"]
        );
        // 2026-02-01 is a Sunday: Monday the 2nd.
        assert_eq!(
            runs("cron(0 5 1W 2 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-02-02T05:00Z Mon"]
        );
        // 2026-05-31 is a Sunday: 31W stays in May, Friday the 29th.
        assert_eq!(
            runs("cron(0 5 31W 5 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-05-29T05:00Z Fri"]
        );
        // 2026-01-31 is a Saturday: Friday the 30th.
        assert_eq!(
            runs("cron(0 5 31W 1 ? 2026)", None, "2026-01-01T00:00:00Z", 1),
            ["2026-01-30T05:00Z Fri"]
        );
        // Months without a 31st do not fire.
        let r = runs("cron(0 5 31W * ? *)", None, "2026-03-31T06:00:00Z", 2);
        assert_eq!(r, ["2026-05-29T05:00Z Fri", "2026-07-31T05:00Z Fri"]);
        // 30W in February never fires.
        assert_eq!(
            runs("cron(0 5 30W 2 ? *)", None, "2026-01-01T00:00:00Z", 1),
            Vec::<String>::new()
        );
    }

    #[test]
    fn last_and_nth_weekday_of_month() {
        let r = runs("cron(0 5 ? * 5L *)", None, "2026-01-01T00:00:00Z", 3);
        assert_eq!(
            r,
            [
                "2026-01-29T05:00Z Thu",
                "2026-02-26T05:00Z Thu",
                "2026-03-26T05:00Z Thu"
            ]
        );
        let r = runs("cron(0 5 ? * 3#2 *)", None, "2026-01-01T00:00:00Z", 3);
        assert_eq!(
            r,
            [
                "2026-01-13T05:00Z Tue",
                "2026-02-10T05:00Z Tue",
                "2026-03-10T05:00Z Tue"
            ]
        );
        let r = runs("cron(0 5 ? * 1#1 *)", None, "2026-01-01T00:00:00Z", 2);
        assert_eq!(r, ["2026-01-04T05:00Z Sun", "2026-02-01T05:00Z Sun"]);
        // Fifth Fridays of 2026: January, May, July, October.
        let r = runs("cron(0 5 ? * 6#5 *)", None, "2026-01-01T00:00:00Z", 5);
        assert_eq!(
            r,
            [
                "2026-01-30T05:00Z Fri",
                "2026-05-29T05:00Z Fri",
                "2026-07-31T05:00Z Fri",
                "2026-10-30T05:00Z Fri",
                "2027-01-29T05:00Z Fri"
            ]
        );
    }

    #[test]
    fn new_york_spring_forward_skips_missing_times() {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist.
        let ny = Some("America/New_York");
        let r = runs("cron(30 2 * * ? *)", ny, "2026-03-07T00:00:00Z", 3);
        assert_eq!(
            r,
            [
                "2026-03-07T07:30Z Sat",
                "2026-03-09T06:30Z Mon",
                "2026-03-10T06:30Z Tue"
            ]
        );
        let r = runs("cron(0 * * * ? *)", ny, "2026-03-08T05:30:00Z", 3);
        // 00:00 EST, 01:00 EST, then 03:00 EDT (= 07:00Z).
        assert_eq!(
            r,
            [
                "2026-03-08T06:00Z Sun",
                "2026-03-08T07:00Z Sun",
                "2026-03-08T08:00Z Sun"
            ]
        );
        let s = schedule("cron(30 2 * * ? *)", ny);
        match s.worst_case_interval(utc("2026-01-01T00:00:00Z")) {
            Interval::Every { max_gap, .. } => assert_eq!(max_gap, Duration::hours(47)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn new_york_fall_back_fires_once_at_the_earlier_instant() {
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        let ny = Some("America/New_York");
        let r = runs("cron(30 1 * * ? *)", ny, "2026-10-31T12:00:00Z", 2);
        assert_eq!(r, ["2026-11-01T05:30Z Sun", "2026-11-02T06:30Z Mon"]);
        // Starting inside the second 01:xx hour does not fire 01:30 again.
        let r = runs("cron(30 1 * * ? *)", ny, "2026-11-01T06:10:00Z", 1);
        assert_eq!(r, ["2026-11-02T06:30Z Mon"]);
        let r = runs("cron(0 * * * ? *)", ny, "2026-11-01T04:30:00Z", 3);
        // 01:00 EDT, then (01:00 EST skipped) 02:00 EST.
        assert_eq!(
            r,
            [
                "2026-11-01T05:00Z Sun",
                "2026-11-01T07:00Z Sun",
                "2026-11-01T08:00Z Sun"
            ]
        );
    }

    #[test]
    fn whole_missing_day() {
        // Samoa skipped 2011-12-30 entirely when it crossed the date line.
        // Local noon on the 28th, 29th and 31st are still 24 h apart in UTC.
        let apia = Some("Pacific/Apia");
        let r = runs("cron(0 12 * * ? *)", apia, "2011-12-28T00:00:00Z", 3);
        assert_eq!(
            r,
            [
                "2011-12-28T22:00Z Wed",
                "2011-12-29T22:00Z Thu",
                "2011-12-30T22:00Z Fri"
            ]
        );
        assert_eq!(
            runs("cron(0 12 30 12 ? 2011)", apia, "2011-01-01T00:00:00Z", 1),
            Vec::<String>::new()
        );
    }

    #[test]
    fn local_search_jumps_by_field() {
        let s = schedule("cron(59 23 31 12 ? 2199)", None);
        let from = NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        let found = from.and_then(|f| s.spec.next_local(f));
        assert_eq!(
            found.map(|t| t.to_string()).as_deref(),
            Some("2199-12-31 23:59:00")
        );
    }
}
