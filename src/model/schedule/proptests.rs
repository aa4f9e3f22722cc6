//! Property tests: `next_after` against a minute-by-minute oracle, and the
//! fast worst-gap scan against a run-by-run one.
//!
//! Expressions are generated as a structured model, rendered to text (numbers
//! or names, random case) and parsed; the oracle evaluates the model itself,
//! so the parser and the evaluator are both checked against independent code.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::interval::{scan, tests::scan_run_by_run};
use super::Schedule;

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
const DOW: Bounds = Bounds {
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};
const YEARS: Bounds = Bounds {
    min: 1970,
    max: 2199,
    names: &[],
};

#[derive(Debug, Clone)]
enum Item {
    Star,
    StarStep(u32),
    Value(u32),
    ValueStep(u32, u32),
    /// Backwards ranges only for day-of-week, where they wrap.
    Range(u32, u32, Option<u32>),
}

impl Item {
    fn contains(&self, b: Bounds, v: u32) -> bool {
        match *self {
            Item::Star => true,
            Item::StarStep(s) => (v - b.min).is_multiple_of(s),
            Item::Value(a) => v == a,
            Item::ValueStep(a, s) => v >= a && (v - a).is_multiple_of(s),
            Item::Range(a, e, step) => {
                // Position of v in the sequence a, a+1, ..., e (wrapping).
                let position = if a <= e {
                    (a..=e).contains(&v).then(|| v - a)
                } else if v >= a {
                    Some(v - a)
                } else if v <= e {
                    Some(b.max - a + 1 + v - b.min)
                } else {
                    None
                };
                position.is_some_and(|p| p % step.unwrap_or(1) == 0)
            }
        }
    }
}

#[derive(Debug, Clone)]
struct List(Vec<Item>);

/// How values are written: names where the field has them, lower case.
#[derive(Debug, Clone, Copy)]
struct Style {
    names: bool,
    lower: bool,
}

impl List {
    fn contains(&self, b: Bounds, v: u32) -> bool {
        self.0.iter().any(|i| i.contains(b, v))
    }

    fn render(&self, b: Bounds, style: Style) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|item| match *item {
                Item::Star => "*".to_owned(),
                Item::StarStep(s) => format!("*/{s}"),
                Item::Value(a) => value(b, style, a),
                Item::ValueStep(a, s) => format!("{}/{s}", value(b, style, a)),
                Item::Range(a, e, None) => format!("{}-{}", value(b, style, a), value(b, style, e)),
                Item::Range(a, e, Some(s)) => {
                    format!("{}-{}/{s}", value(b, style, a), value(b, style, e))
                }
            })
            .collect();
        items.join(",")
    }
}

fn value(b: Bounds, style: Style, v: u32) -> String {
    match b.names.get((v - b.min) as usize) {
        Some(name) if style.names && style.lower => name.to_ascii_lowercase(),
        Some(name) if style.names => (*name).to_owned(),
        _ => v.to_string(),
    }
}

#[derive(Debug, Clone)]
enum Day {
    MonthDays(List),
    Last,
    LastWeekday,
    Nearest(u32),
    WeekDays(List),
    LastOf(u32),
    Nth(u32, u32),
}

#[derive(Debug, Clone)]
struct Model {
    minutes: List,
    hours: List,
    day: Day,
    months: List,
    years: List,
    style: Style,
}

fn month_length(date: NaiveDate) -> u32 {
    (28..=31)
        .filter(|&d| NaiveDate::from_ymd_opt(date.year(), date.month(), d).is_some())
        .max()
        .unwrap_or(28)
}

/// 1 = Sunday.
fn dow(date: NaiveDate) -> u32 {
    date.weekday().num_days_from_sunday() + 1
}

impl Model {
    fn render(&self) -> String {
        let s = self.style;
        let (dom, dow) = match &self.day {
            Day::MonthDays(l) => (l.render(DOM, s), "?".to_owned()),
            Day::Last => ("L".to_owned(), "?".to_owned()),
            Day::LastWeekday => ("LW".to_owned(), "?".to_owned()),
            Day::Nearest(d) => (format!("{d}W"), "?".to_owned()),
            Day::WeekDays(l) => ("?".to_owned(), l.render(DOW, s)),
            Day::LastOf(w) => ("?".to_owned(), format!("{}L", value(DOW, s, *w))),
            Day::Nth(w, n) => ("?".to_owned(), format!("{}#{n}", value(DOW, s, *w))),
        };
        let text = format!(
            "cron({} {} {dom} {} {dow} {})",
            self.minutes.render(MINUTES, s),
            self.hours.render(HOURS, s),
            self.months.render(MONTHS, s),
            self.years.render(YEARS, s),
        );
        if s.lower {
            text.to_ascii_lowercase()
        } else {
            text
        }
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        if !self.months.contains(MONTHS, date.month()) {
            return false;
        }
        let year = u32::try_from(date.year()).unwrap_or(0);
        if !self.years.contains(YEARS, year) || !(1970..=2199).contains(&year) {
            return false;
        }
        let (day, last) = (date.day(), month_length(date));
        let weekday_of = |d: u32| NaiveDate::from_ymd_opt(date.year(), date.month(), d).map(dow);
        let is_weekday = |d: u32| weekday_of(d).is_some_and(|w| (2..=6).contains(&w));
        match &self.day {
            Day::MonthDays(l) => l.contains(DOM, day),
            Day::Last => day == last,
            Day::LastWeekday => is_weekday(day) && !(day + 1..=last).any(is_weekday),
            // The weekday of this month closest to `n`.
            Day::Nearest(n) => {
                *n <= last
                    && (1..=last)
                        .filter(|&d| is_weekday(d))
                        .min_by_key(|&d| d.abs_diff(*n))
                        == Some(day)
            }
            Day::WeekDays(l) => l.contains(DOW, dow(date)),
            Day::LastOf(w) => dow(date) == *w && day + 7 > last,
            Day::Nth(w, n) => dow(date) == *w && (day - 1) / 7 + 1 == *n,
        }
    }

    fn matches(&self, local: NaiveDateTime) -> bool {
        self.day_matches(local.date())
            && self.hours.contains(HOURS, local.hour())
            && self.minutes.contains(MINUTES, local.minute())
    }
}

/// Steps through UTC minutes after `t`; a minute fires if its local time
/// matches and the same local time did not already occur earlier (the second
/// pass of a fall-back overlap, 30 min to 2 h long). Days that cannot match are
/// skipped up to 3 h before local midnight, a margin wider than any offset
/// change, so no matching minute is jumped over.
fn oracle(model: &Model, tz: Tz, t: DateTime<Utc>, bound: Duration) -> Option<DateTime<Utc>> {
    let end = t + bound;
    let mut u = t.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
    while u <= end {
        let local = u.with_timezone(&tz).naive_local();
        if !model.day_matches(local.date()) {
            let left = 1440 - i64::from(local.hour() * 60 + local.minute());
            u += Duration::minutes((left - 180).max(1));
            continue;
        }
        let repeat = [30, 60, 120]
            .iter()
            .any(|&m| (u - Duration::minutes(m)).with_timezone(&tz).naive_local() == local);
        if model.matches(local) && !repeat {
            return Some(u);
        }
        u += Duration::minutes(1);
    }
    None
}

/// `hot` values are drawn more often (hours around DST changes).
fn item(b: Bounds, wraps: bool, hot: (u32, u32)) -> impl Strategy<Value = Item> {
    let v = prop_oneof![b.min..=b.max, hot.0..=hot.1];
    let step = 1..=(b.max - b.min + 1);
    prop_oneof![
        1 => Just(Item::Star),
        1 => step.clone().prop_map(Item::StarStep),
        3 => v.clone().prop_map(Item::Value),
        1 => (v.clone(), step.clone()).prop_map(|(a, s)| Item::ValueStep(a, s)),
        2 => (v.clone(), v, proptest::option::of(step)).prop_map(move |(a, e, s)| {
            let (a, e) = if wraps || a <= e { (a, e) } else { (e, a) };
            Item::Range(a, e, s)
        }),
    ]
}

fn list(b: Bounds, wraps: bool, max_items: usize) -> impl Strategy<Value = List> {
    list_hot(b, wraps, max_items, (b.min, b.max))
}

fn list_hot(
    b: Bounds,
    wraps: bool,
    max_items: usize,
    hot: (u32, u32),
) -> impl Strategy<Value = List> {
    proptest::collection::vec(item(b, wraps, hot), 1..=max_items).prop_map(List)
}

fn dense_list(b: Bounds) -> impl Strategy<Value = List> {
    prop_oneof![3 => Just(List(vec![Item::Star])), 1 => list(b, false, 3)]
}

fn years() -> impl Strategy<Value = List> {
    let near = 1998u32..=2042;
    prop_oneof![
        4 => Just(List(vec![Item::Star])),
        1 => (near.clone(), near.clone(), proptest::option::of(1u32..=3)).prop_map(|(a, e, s)| {
            List(vec![Item::Range(a.min(e), a.max(e), s)])
        }),
        1 => proptest::collection::vec(near.prop_map(Item::Value), 1..=4).prop_map(List),
    ]
}

fn day() -> impl Strategy<Value = Day> {
    let every = || List(vec![Item::Star]);
    prop_oneof![
        2 => Just(Day::MonthDays(every())),
        2 => Just(Day::WeekDays(every())),
        3 => list(DOM, false, 3).prop_map(Day::MonthDays),
        1 => Just(Day::Last),
        1 => Just(Day::LastWeekday),
        2 => (1u32..=31).prop_map(Day::Nearest),
        3 => list(DOW, true, 3).prop_map(Day::WeekDays),
        1 => (1u32..=7).prop_map(Day::LastOf),
        2 => (1u32..=7, 1u32..=5).prop_map(|(w, n)| Day::Nth(w, n)),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    model_of(
        list_hot(HOURS, false, 2, (0, 4)),
        day(),
        dense_list(MONTHS),
        years(),
    )
}

/// Fires every day in the small hours, where offset changes happen.
fn small_hours_model() -> impl Strategy<Value = Model> {
    let star = || Just(List(vec![Item::Star]));
    let hours = proptest::collection::vec(
        prop_oneof![(0u32..=4).prop_map(Item::Value), Just(Item::Value(23))],
        1..=3,
    );
    let day = prop_oneof![
        Just(Day::MonthDays(List(vec![Item::Star]))),
        Just(Day::WeekDays(List(vec![Item::Star])))
    ];
    model_of(hours.prop_map(List), day, star(), star())
}

fn model_of(
    hours: impl Strategy<Value = List>,
    day: impl Strategy<Value = Day>,
    months: impl Strategy<Value = List>,
    years: impl Strategy<Value = List>,
) -> impl Strategy<Value = Model> {
    (
        list(MINUTES, false, 2),
        hours,
        day,
        months,
        years,
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(minutes, hours, day, months, years, (names, lower))| Model {
                minutes,
                hours,
                day,
                months,
                years,
                style: Style { names, lower },
            },
        )
}

const ZONES: &[Tz] = &[
    Tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Pacific::Apia,
];

/// Instants in 2000-2040, half of them in the months where DST usually changes.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let any_time = (946_684_800i64..2_208_988_800).prop_map(|s| DateTime::from_timestamp(s, 0));
    let near_dst = (
        2000i32..2040,
        prop::sample::select(vec![2u32, 3, 4, 9, 10, 11]),
        1u32..=28,
        0i64..86_400,
    )
        .prop_map(|(y, m, d, s)| {
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc() + Duration::seconds(s))
        });
    prop_oneof![any_time, near_dst].prop_map(|t| t.unwrap_or_default())
}

/// UTC-offset changes of `tz` during `year`, to the minute.
fn transitions(tz: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let offset = |t: DateTime<Utc>| t.with_timezone(&tz).offset().fix();
    let Some(start) = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return Vec::new();
    };
    let start = start.and_utc();
    let mut found = Vec::new();
    for day in 0..366 {
        let (mut lo, mut hi) = (start + Duration::days(day), start + Duration::days(day + 1));
        if offset(lo) == offset(hi) {
            continue;
        }
        // Invariant: offset(lo) differs from offset(hi); narrow to a minute.
        while hi - lo > Duration::minutes(1) {
            let mid = lo + (hi - lo) / 2;
            if offset(mid) == offset(lo) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        found.push(hi);
    }
    found
}

/// A zone and an instant up to `before` seconds before one of its offset
/// changes (any instant for zones without changes that year).
fn near_change(before: std::ops::Range<i64>) -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
    (
        prop::sample::select(ZONES),
        2000i32..2040,
        0usize..4,
        before,
    )
        .prop_map(|(tz, year, pick, before)| {
            let changes = transitions(tz, year);
            let at = match changes.get(pick % changes.len().max(1)) {
                Some(&t) => t,
                None => {
                    DateTime::from_timestamp(0, 0).unwrap_or_default() + Duration::days(365 * 40)
                }
            };
            (tz, at - Duration::seconds(before))
        })
}

fn zone_and_instant() -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
    prop_oneof![
        (prop::sample::select(ZONES), instant()),
        near_change(0..172_800)
    ]
}

fn parse(model: &Model, tz: Tz) -> Result<Schedule, TestCaseError> {
    let text = model.render();
    Schedule::parse(&text, Some(tz.name())).map_err(|e| TestCaseError::fail(e.to_string()))
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Regression files would land next to the source, in the main repo.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `next_after` from `t` and from each of the next few runs equals the oracle.
fn check_runs(
    model: &Model,
    tz: Tz,
    mut t: DateTime<Utc>,
    runs: usize,
) -> Result<(), TestCaseError> {
    let schedule = parse(model, tz)?;
    let bound = Duration::days(400);
    for _ in 0..runs {
        let expected = oracle(model, tz, t, bound);
        let actual = schedule.next_after(t);
        match expected {
            Some(next) => {
                prop_assert_eq!(
                    actual,
                    expected,
                    "{} in {} after {}",
                    model.render(),
                    tz.name(),
                    t
                );
                t = next;
            }
            None => {
                prop_assert!(
                    actual.is_none_or(|a| a > t + bound),
                    "{} gave {:?}",
                    model.render(),
                    actual
                );
                break;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn next_after_matches_minute_oracle(model in model(), (tz, t) in zone_and_instant()) {
        check_runs(&model, tz, t, 3)?;
    }

    #[test]
    fn next_after_matches_oracle_across_offset_changes(
        model in small_hours_model(),
        (tz, t) in near_change(0..21_600),
    ) {
        check_runs(&model, tz, t, 8)?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn fast_scan_matches_run_by_run(
        model in prop_oneof![model(), small_hours_model()],
        (tz, t) in zone_and_instant(),
    ) {
        let schedule = parse(&model, tz)?;
        let window = Duration::days(12);
        prop_assert_eq!(scan(&schedule, t, window), scan_run_by_run(&schedule, t, window));
    }

    #[test]
    fn junk_never_panics(fields in proptest::collection::vec(junk_field(), 4..=7), t in instant()) {
        let text = format!("cron({})", fields.join(" "));
        match Schedule::parse(&text, None) {
            Ok(s) => {
                let _ = s.next_after(t);
                let _ = s.worst_case_interval(t);
            }
            Err(e) => {
                prop_assert!(e.to_string().starts_with("invalid schedule"));
                prop_assert!(!e.message.is_empty());
            }
        }
    }
}

/// One to three cron-ish tokens glued together.
fn junk_field() -> impl Strategy<Value = String> {
    const TOKENS: &[&str] = &[
        "0", "1", "5", "7", "12", "15", "31", "59", "60", "*", "?", "L", "W", "LW", "#", "/", "-",
        ",", "MON", "jan", "2030", "3#2", "5L", "x",
    ];
    proptest::collection::vec(prop::sample::select(TOKENS), 1..=3).prop_map(|t| t.concat())
}
