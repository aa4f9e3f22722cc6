//! Worst-case gap between consecutive runs.

use chrono::{DateTime, Duration, LocalResult, Offset, TimeZone, Timelike, Utc};

use super::parse::Spec;
use super::Schedule;

/// How far [`Schedule::worst_case_interval`] looks ahead: 28 Gregorian years
/// (7 of them leap). Dates fall on the same weekdays every 28 years between
/// 1901 and 2099, so this is a full cycle of every day-of-month, day-of-week
/// and leap-year pattern.
pub const SCAN_WINDOW_DAYS: i64 = 28 * 365 + 7;

/// What a scan over a window found.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Scan {
    /// Runs examined, including the first one after the window.
    pub(super) runs: usize,
    pub(super) last_run: Option<DateTime<Utc>>,
    /// The first widest pair of consecutive runs.
    pub(super) worst_gap: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// No run follows `last_run`, ever.
    pub(super) exhausted: bool,
}

impl Scan {
    fn record(&mut self, gap: (DateTime<Utc>, DateTime<Utc>)) {
        if self.worst_gap.is_none_or(|(a, b)| gap.1 - gap.0 > b - a) {
            self.worst_gap = Some(gap);
        }
    }
}

/// The run times every firing day shares, in minutes after local midnight.
struct DaySlots {
    first: u32,
    last: u32,
    count: usize,
    /// The first widest pair of consecutive slots, if there are two or more.
    widest: Option<(u32, u32)>,
}

impl DaySlots {
    fn of(spec: &Spec) -> DaySlots {
        let slots: Vec<u32> = spec
            .hours
            .iter()
            .flat_map(|h| spec.minutes.iter().map(move |m| h * 60 + m))
            .collect();
        let mut widest: Option<(u32, u32)> = None;
        for pair in slots.windows(2) {
            if widest.is_none_or(|(a, b)| pair[1] - pair[0] > b - a) {
                widest = Some((pair[0], pair[1]));
            }
        }
        DaySlots {
            first: slots.first().copied().unwrap_or(0),
            last: slots.last().copied().unwrap_or(0),
            count: slots.len(),
            widest,
        }
    }
}

/// Examines every gap between consecutive runs after `from` until the first
/// run past `from + window` (that gap included).
///
/// Cost: a day with several runs is measured in one step when it is "plain":
/// `run` is the day's first slot and the last slot maps to an instant with the
/// same UTC offset. The zone then has no transition in between (tzdb never has
/// two in one day), so every slot fires and the day's gaps are its slot gaps.
/// Days with a DST transition are walked run by run. A per-minute cron thus
/// costs a few lookups per day, like a daily one.
pub(super) fn scan(schedule: &Schedule, from: DateTime<Utc>, window: Duration) -> Scan {
    let end = from
        .checked_add_signed(window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut scan = Scan {
        runs: 0,
        last_run: None,
        worst_gap: None,
        exhausted: false,
    };
    let Some(mut prev) = schedule.next_after(from) else {
        return scan;
    };
    scan.runs = 1;
    let slots = DaySlots::of(&schedule.spec);
    loop {
        if let Some(day) = plain_day(schedule, &slots, prev).filter(|d| d.last <= end) {
            if let Some(widest) = day.widest {
                scan.record(widest);
            }
            scan.runs += slots.count - 1;
            prev = day.last;
        }
        let Some(next) = schedule.next_after(prev) else {
            scan.exhausted = true;
            break;
        };
        scan.record((prev, next));
        scan.runs += 1;
        prev = next;
        if next > end {
            break;
        }
    }
    scan.last_run = Some(prev);
    scan
}

struct PlainDay {
    last: DateTime<Utc>,
    widest: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

fn plain_day(schedule: &Schedule, slots: &DaySlots, run: DateTime<Utc>) -> Option<PlainDay> {
    if slots.count < 2 {
        return None;
    }
    let local = run.with_timezone(&schedule.tz);
    let naive = local.naive_local();
    if naive.hour() * 60 + naive.minute() != slots.first || naive.second() != 0 {
        return None;
    }
    let last_local = naive
        .date()
        .and_hms_opt(slots.last / 60, slots.last % 60, 0)?;
    let LocalResult::Single(last) = schedule.tz.from_local_datetime(&last_local) else {
        return None;
    };
    if last.offset().fix() != local.offset().fix() {
        return None;
    }
    let at = |slot: u32| run + Duration::minutes(i64::from(slot - slots.first));
    Some(PlainDay {
        last: last.with_timezone(&Utc),
        widest: slots.widest.map(|(a, b)| (at(a), at(b))),
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::Interval;
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

    /// Reference for [`scan`]: every run, one by one.
    pub(in super::super) fn scan_run_by_run(
        schedule: &Schedule,
        from: DateTime<Utc>,
        window: Duration,
    ) -> Scan {
        let end = from + window;
        let mut scan = Scan {
            runs: 0,
            last_run: None,
            worst_gap: None,
            exhausted: false,
        };
        let Some(mut prev) = schedule.next_after(from) else {
            return scan;
        };
        scan.runs = 1;
        loop {
            let Some(next) = schedule.next_after(prev) else {
                scan.exhausted = true;
                break;
            };
            scan.record((prev, next));
            scan.runs += 1;
            prev = next;
            if next > end {
                break;
            }
        }
        scan.last_run = Some(prev);
        scan
    }

    fn gap(expr: &str, tz: Option<&str>, from: &str) -> Duration {
        match schedule(expr, tz).worst_case_interval(utc(from)) {
            Interval::Every { max_gap, .. } => max_gap,
            other => panic!("{expr}: {other:?}"),
        }
    }

    const FROM: &str = "2026-01-01T00:00:00Z";

    #[test]
    fn daily_weekly_monthly() {
        assert_eq!(gap("cron(0 5 ? * * *)", None, FROM), Duration::hours(24));
        assert_eq!(gap("cron(0 5 * * ? *)", None, FROM), Duration::hours(24));
        assert_eq!(
            gap("cron(0 5 ? * MON-FRI *)", None, FROM),
            Duration::hours(72)
        );
        assert_eq!(gap("cron(0 5 ? * 2-6 *)", None, FROM), Duration::hours(72));
        assert_eq!(gap("cron(0 5 ? * 1 *)", None, FROM), Duration::days(7));
        assert_eq!(gap("cron(0 5 1 * ? *)", None, FROM), Duration::days(31));
        assert_eq!(gap("cron(0 */12 ? * * *)", None, FROM), Duration::hours(12));
        assert_eq!(gap("cron(15 * ? * * *)", None, FROM), Duration::hours(1));
        assert_eq!(gap("cron(0 1,22 ? * * *)", None, FROM), Duration::hours(21));
        assert_eq!(gap("cron(0 5 L * ? *)", None, FROM), Duration::days(31));
    }

    #[test]
    fn sparse_calendars() {
        assert_eq!(
            gap("cron(0 5 29 2 ? *)", None, FROM),
            Duration::days(4 * 365 + 1)
        );
        // Years 2026, 2036, ...: ten years apart, 2036-2046 with three leap days.
        assert_eq!(
            gap("cron(0 5 1 1 ? 2026/10)", None, "2025-06-01T00:00:00Z"),
            Duration::days(3653)
        );
        // Fifth Friday of February: only in leap years starting on a Friday.
        assert_eq!(
            gap("cron(0 5 ? 2 6#5 *)", None, FROM),
            Duration::days(28 * 365 + 7)
        );
        // 31W skips 30-day months and February: from Friday the 29th (the
        // 31st being a Sunday) to a weekday 31st two months later.
        assert_eq!(gap("cron(0 5 31W * ? *)", None, FROM), Duration::days(63));
    }

    #[test]
    fn fifth_weekdays_match_run_by_run() {
        for expr in [
            "cron(0 5 ? * 6#5 *)",
            "cron(0 5 ? * 2#5 *)",
            "cron(0 5 15W * ? *)",
            "cron(0 5 31W * ? *)",
            "cron(0 5 ? * 5L *)",
            "cron(0 5 LW * ? *)",
        ] {
            let s = schedule(expr, None);
            let window = Duration::days(SCAN_WINDOW_DAYS);
            let fast = scan(&s, utc(FROM), window);
            assert_eq!(fast, scan_run_by_run(&s, utc(FROM), window), "{expr}");
            assert!(fast.worst_gap.is_some());
        }
    }

    #[test]
    fn worst_gap_names_the_runs() {
        let s = schedule("cron(0 5 ? * MON-FRI *)", None);
        assert_eq!(
            s.worst_gap(utc(FROM)),
            Some((utc("2026-01-02T05:00:00Z"), utc("2026-01-05T05:00:00Z")))
        );
        assert_eq!(
            schedule("cron(0 5 1 1 ? 2020)", None).worst_gap(utc(FROM)),
            None
        );
    }

    #[test]
    fn schedules_that_end() {
        let s = schedule("cron(0 5 ? * * 2020-2025)", None);
        assert_eq!(s.worst_case_interval(utc(FROM)), Interval::NeverRuns);
        assert_eq!(
            schedule("cron(0 5 30 2 ? *)", None).worst_case_interval(utc(FROM)),
            Interval::NeverRuns
        );
        let s = schedule("cron(0 5 ? * * 2026-2027)", None);
        assert_eq!(
            s.worst_case_interval(utc(FROM)),
            Interval::StopsRunning {
                last_run: utc("2027-12-31T05:00:00Z"),
                max_gap: Some(Duration::hours(24))
            }
        );
        let s = schedule("cron(0 5 1 1 ? 2027)", None);
        assert_eq!(
            s.worst_case_interval(utc(FROM)),
            Interval::StopsRunning {
                last_run: utc("2027-01-01T05:00:00Z"),
                max_gap: None
            }
        );
        // The final run, once it is past.
        assert_eq!(
            schedule("cron(0 5 ? * * 2020-2025)", None).final_run(),
            Some(utc("2025-12-31T05:00:00Z"))
        );
        assert_eq!(schedule("cron(0 5 30 2 ? 2025)", None).final_run(), None);
        assert_eq!(
            schedule("cron(59 23 31 12 ? 2024)", Some("Etc/GMT+12")).final_run(),
            Some(utc("2025-01-01T11:59:00Z"))
        );
        // Ending after the window is not reported.
        assert!(matches!(
            schedule("cron(0 5 ? * * 2026-2150)", None).worst_case_interval(utc(FROM)),
            Interval::Every { .. }
        ));
        let s = schedule("cron(0 5 ? * * *)", None);
        assert_eq!(
            s.worst_case_interval(utc("2190-01-01T00:00:00Z")),
            Interval::StopsRunning {
                last_run: utc("2199-12-31T05:00:00Z"),
                max_gap: Some(Duration::hours(24))
            }
        );
    }

    #[test]
    fn dst_never_understates() {
        let ny = Some("America/New_York");
        assert_eq!(gap("cron(0 5 ? * * *)", ny, FROM), Duration::hours(25));
        assert_eq!(gap("cron(30 2 * * ? *)", ny, FROM), Duration::hours(47));
        // Fall-back night: 01:00 EDT, (01:00 EST skipped), 02:00 EST.
        assert_eq!(gap("cron(0 * * * ? *)", ny, FROM), Duration::hours(2));
        assert_eq!(gap("cron(* * * * ? *)", ny, FROM), Duration::minutes(61));
        assert_eq!(gap("cron(*/15 * * * ? *)", ny, FROM), Duration::minutes(75));
        assert_eq!(
            gap("cron(0 5 ? * MON-FRI *)", ny, FROM),
            Duration::hours(73)
        );
        // Lord Howe shifts by 30 minutes.
        assert_eq!(
            gap("cron(0 * * * ? *)", Some("Australia/Lord_Howe"), FROM),
            Duration::minutes(90)
        );
    }

    #[test]
    fn per_minute_is_cheap_and_exact() {
        let s = schedule("cron(* * ? * * *)", None);
        let from = utc(FROM);
        match s.worst_case_interval(from) {
            Interval::Every {
                max_gap,
                runs_sampled,
            } => {
                assert_eq!(max_gap, Duration::minutes(1));
                // Every minute of the window plus the first run after it.
                assert_eq!(runs_sampled as i64, SCAN_WINDOW_DAYS * 1440 + 1);
            }
            other => panic!("{other:?}"),
        }
        let window = Duration::days(3);
        assert_eq!(scan(&s, from, window), scan_run_by_run(&s, from, window));
    }

    #[test]
    fn plain_days_match_run_by_run_across_dst() {
        let window = Duration::days(70);
        for (expr, tz, from) in [
            (
                "cron(*/7 1-3,22 ? * * *)",
                "America/New_York",
                "2026-10-01T00:00:00Z",
            ),
            (
                "cron(*/7 1-3,22 ? * * *)",
                "America/New_York",
                "2026-02-20T00:00:00Z",
            ),
            (
                "cron(0,30 * ? * 2-6 *)",
                "Australia/Lord_Howe",
                "2026-09-01T00:00:00Z",
            ),
            (
                "cron(15 0-2 * * ? *)",
                "America/Sao_Paulo",
                "2018-10-01T00:00:00Z",
            ),
        ] {
            let s = schedule(expr, Some(tz));
            let fast = scan(&s, utc(from), window);
            assert_eq!(fast, scan_run_by_run(&s, utc(from), window), "{expr} {tz}");
        }
    }
}
