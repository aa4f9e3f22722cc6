//! Parsing `cron(...)` text into field sets.

use super::CronField;

/// First and last year the year field accepts.
pub(super) const YEAR_MIN: i32 = 1970;
pub(super) const YEAR_MAX: i32 = 2199;

/// A set of small integers (0..256). Years are stored as `year - YEAR_MIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ValueSet([u64; 4]);

impl ValueSet {
    pub(super) fn insert(&mut self, v: u32) {
        if v < 256 {
            self.0[(v / 64) as usize] |= 1 << (v % 64);
        }
    }

    pub(super) fn contains(&self, v: u32) -> bool {
        v < 256 && self.0[(v / 64) as usize] & (1 << (v % 64)) != 0
    }

    /// Smallest member `>= v`.
    pub(super) fn next_from(&self, v: u32) -> Option<u32> {
        let mut word = (v / 64) as usize;
        if word >= 4 {
            return None;
        }
        let mut bits = self.0[word] & (u64::MAX << (v % 64));
        loop {
            if bits != 0 {
                return Some(word as u32 * 64 + bits.trailing_zeros());
            }
            word += 1;
            bits = *self.0.get(word)?;
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..256).filter(|&v| self.contains(v))
    }
}

/// Which days of a month fire. Exactly one of day-of-month and day-of-week is
/// in use, so one enum covers both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DaySpec {
    /// Day-of-month numbers (1-31).
    MonthDays(ValueSet),
    /// `L`: the last day of the month.
    LastDay,
    /// `LW`: the last weekday (Mon-Fri) of the month.
    LastWeekday,
    /// `15W`: the weekday nearest the given day, within the same month.
    NearestWeekday(u32),
    /// Day-of-week numbers, 1 = Sunday.
    WeekDays(ValueSet),
    /// `5L`: the last such weekday of the month.
    LastWeekdayOf(u32),
    /// `3#2`: the `nth` such weekday of the month.
    NthWeekday { weekday: u32, nth: u32 },
}

/// A parsed expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Spec {
    pub(super) minutes: ValueSet,
    pub(super) hours: ValueSet,
    pub(super) days: DaySpec,
    pub(super) months: ValueSet,
    /// `year - YEAR_MIN`.
    pub(super) years: ValueSet,
}

/// A parse failure before the expression text is attached.
#[derive(Debug)]
pub(super) struct FieldError {
    pub(super) field: Option<CronField>,
    pub(super) text: Option<String>,
    pub(super) message: String,
}

fn whole(message: impl Into<String>) -> FieldError {
    FieldError {
        field: None,
        text: None,
        message: message.into(),
    }
}

struct FieldDef {
    field: CronField,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Appended to range errors.
    hint: &'static str,
    /// Whether `a-b` with `a > b` wraps around (day-of-week only).
    wraps: bool,
    /// Subtracted before storing in a `ValueSet` (years only).
    stored_from: u32,
}

const MONTH_NAMES: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAY_NAMES: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const fn def(field: CronField, min: u32, max: u32) -> FieldDef {
    FieldDef {
        field,
        min,
        max,
        names: &[],
        hint: "",
        wraps: false,
        stored_from: 0,
    }
}

const MINUTES: FieldDef = def(CronField::Minutes, 0, 59);
const HOURS: FieldDef = def(CronField::Hours, 0, 23);
const DAY_OF_MONTH: FieldDef = def(CronField::DayOfMonth, 1, 31);
const MONTH: FieldDef = FieldDef {
    names: MONTH_NAMES,
    hint: " (or JAN-DEC)",
    ..def(CronField::Month, 1, 12)
};
const DAY_OF_WEEK: FieldDef = FieldDef {
    names: DAY_NAMES,
    hint: " (1 = Sunday, 7 = Saturday)",
    wraps: true,
    ..def(CronField::DayOfWeek, 1, 7)
};
const YEAR: FieldDef = FieldDef {
    stored_from: YEAR_MIN as u32,
    ..def(CronField::Year, YEAR_MIN as u32, YEAR_MAX as u32)
};

const BOTH_UNSPECIFIED: &str =
    "day-of-month and day-of-week are both \"?\"; exactly one of them must be \"?\"";

/// Parses `cron(min hour dom month dow year)`.
pub(super) fn parse_expression(expr: &str) -> Result<Spec, FieldError> {
    let text = expr.trim();
    if text.is_empty() {
        return Err(whole("empty schedule expression"));
    }
    let starts_with = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    if starts_with("rate(") {
        return Err(whole(
            "rate expressions are not supported by AWS Backup; use cron(...)",
        ));
    }
    let inner = match text.split_at_checked("cron(".len()) {
        Some((_, rest)) if starts_with("cron(") => rest.strip_suffix(')'),
        _ => None,
    };
    let Some(inner) = inner else {
        return Err(whole(
            "expected cron(minutes hours day-of-month month day-of-week year)",
        ));
    };
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        let hint = if fields.len() == 5 {
            " (AWS cron has a sixth, year field: add \"*\")"
        } else {
            ""
        };
        return Err(whole(format!(
            "expected 6 fields (minutes hours day-of-month month day-of-week year), found {}{hint}",
            fields.len()
        )));
    }

    let minutes = plain_field(&MINUTES, fields[0])?;
    let hours = plain_field(&HOURS, fields[1])?;
    let dom = day_of_month(fields[2]).map_err(|m| at(&DAY_OF_MONTH, fields[2], m))?;
    let months = plain_field(&MONTH, fields[3])?;
    let dow = day_of_week(fields[4]).map_err(|m| at(&DAY_OF_WEEK, fields[4], m))?;
    let years = plain_field(&YEAR, fields[5])?;

    let (dom_text, dow_text) = (fields[2], fields[4]);
    let days = match (dom, dow) {
        (Some(days), None) | (None, Some(days)) => days,
        (None, None) => return Err(whole(BOTH_UNSPECIFIED)),
        (Some(_), Some(_)) => {
            return Err(whole(format!(
                "day-of-month {dom_text:?} and day-of-week {dow_text:?} are both specified; \
                 one of them must be \"?\""
            )))
        }
    };
    Ok(Spec {
        minutes,
        hours,
        days,
        months,
        years,
    })
}

fn at(def: &FieldDef, text: &str, message: String) -> FieldError {
    FieldError {
        field: Some(def.field),
        text: Some(text.to_owned()),
        message,
    }
}

/// Minutes, hours, month, year: lists of values, ranges and steps only.
fn plain_field(def: &FieldDef, text: &str) -> Result<ValueSet, FieldError> {
    let upper = text.to_ascii_uppercase();
    let misplaced = if upper.contains('?') {
        Some("\"?\" is only allowed in day-of-month or day-of-week")
    } else if upper.contains('#') {
        Some("\"#\" is only allowed in day-of-week")
    } else if def.names.is_empty() && (upper.contains('L') || upper.contains('W')) {
        Some("\"L\" and \"W\" are only allowed in day-of-month or day-of-week")
    } else {
        None
    };
    if let Some(message) = misplaced {
        return Err(at(def, text, message.to_owned()));
    }
    value_list(def, text).map_err(|m| at(def, text, m))
}

/// `None` for `?`.
fn day_of_month(text: &str) -> Result<Option<DaySpec>, String> {
    let upper = text.to_ascii_uppercase();
    if upper == "?" {
        return Ok(None);
    }
    if upper.contains('?') {
        return Err("\"?\" must be the whole field".to_owned());
    }
    if upper.contains('#') {
        return Err("\"#\" is only allowed in day-of-week".to_owned());
    }
    if !(upper.contains('L') || upper.contains('W')) {
        return value_list(&DAY_OF_MONTH, text).map(|set| Some(DaySpec::MonthDays(set)));
    }
    if upper.contains(',') {
        return Err("\"L\" and \"W\" must be the only value in day-of-month (no lists)".to_owned());
    }
    match upper.as_str() {
        "L" => return Ok(Some(DaySpec::LastDay)),
        "LW" => return Ok(Some(DaySpec::LastWeekday)),
        _ => {}
    }
    if upper.starts_with("L-") {
        return Err(
            "offsets from the last day (like L-3) are not documented for AWS cron".to_owned(),
        );
    }
    if upper.ends_with('W') {
        // Upper-casing keeps byte offsets, so slice the original for messages.
        let day = &text[..text.len() - 1];
        if day.contains(['-', '/', '*']) {
            return Err("\"W\" needs a single day such as 15W, not a range or step".to_owned());
        }
        return value(&DAY_OF_MONTH, day).map(|d| Some(DaySpec::NearestWeekday(d)));
    }
    Err("expected L, LW or a day followed by W (like 15W)".to_owned())
}

/// `None` for `?`.
fn day_of_week(text: &str) -> Result<Option<DaySpec>, String> {
    let upper = text.to_ascii_uppercase();
    if upper == "?" {
        return Ok(None);
    }
    if upper.contains('?') {
        return Err("\"?\" must be the whole field".to_owned());
    }
    if upper.contains('W') && !DAY_NAMES.iter().any(|n| upper.contains(n)) {
        return Err("\"W\" is only allowed in day-of-month".to_owned());
    }
    if let Some((day, nth)) = text.split_once('#') {
        if upper.contains(',') {
            return Err(
                "with \"#\", only one expression is allowed in day-of-week (like 3#2, not 3#1,6#3)"
                    .to_owned(),
            );
        }
        let weekday = single_day(day, "#", "3#2")?;
        let nth = match nth.parse::<u32>() {
            Ok(n @ 1..=5) => n,
            Ok(n) => return Err(format!("occurrence {n} after \"#\" out of range 1-5")),
            Err(_) => return Err(format!("{nth:?} after \"#\" is not a number 1-5")),
        };
        return Ok(Some(DaySpec::NthWeekday { weekday, nth }));
    }
    if upper.contains('L') {
        if upper.contains(',') {
            return Err(
                "\"L\" must be the only value in day-of-week (like 6L, no lists)".to_owned(),
            );
        }
        if upper == "L" {
            // Quartz reads a bare L in day-of-week as the last day of the week.
            let mut saturday = ValueSet::default();
            saturday.insert(7);
            return Ok(Some(DaySpec::WeekDays(saturday)));
        }
        if !upper.ends_with('L') {
            return Err("expected a day followed by L (like 6L for the last Friday)".to_owned());
        }
        let day = &text[..text.len() - 1];
        return single_day(day, "L", "6L").map(|d| Some(DaySpec::LastWeekdayOf(d)));
    }
    value_list(&DAY_OF_WEEK, text).map(|set| Some(DaySpec::WeekDays(set)))
}

fn single_day(text: &str, marker: &str, example: &str) -> Result<u32, String> {
    if text.contains(['-', '/', '*']) {
        return Err(format!(
            "{marker:?} needs a single day (like {example}), not a range or step"
        ));
    }
    value(&DAY_OF_WEEK, text)
}

/// Comma-separated `*`, `a`, `a-b`, each optionally followed by `/step`.
fn value_list(def: &FieldDef, text: &str) -> Result<ValueSet, String> {
    let mut set = ValueSet::default();
    for item in text.split(',') {
        if item.is_empty() {
            return Err("empty element in list".to_owned());
        }
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(parse_step(def, step)?)),
            None => (item, None),
        };
        let (start, end) = if base == "*" {
            (def.min, def.max)
        } else if let Some((a, b)) = base.split_once('-') {
            let (a, b) = (value(def, a)?, value(def, b)?);
            if a > b && !def.wraps {
                return Err(format!(
                    "range {a}-{b} runs backwards, which AWS does not document for this field; \
                     write it as two ranges ({a}-{max},{min}-{b})",
                    max = def.max,
                    min = def.min
                ));
            }
            (a, b)
        } else {
            let a = value(def, base)?;
            // `a/step` runs from `a` to the end of the field.
            (a, if step.is_some() { def.max } else { a })
        };
        let span = def.max - def.min + 1;
        // Offset of `end` from `start`, walking forward with wrap-around.
        let length = if start <= end {
            end - start
        } else {
            end + span - start
        };
        for offset in (0..=length).step_by(step.unwrap_or(1) as usize) {
            let v = start + offset;
            let v = if v > def.max { v - span } else { v };
            set.insert(v - def.stored_from);
        }
    }
    Ok(set)
}

fn parse_step(def: &FieldDef, text: &str) -> Result<u32, String> {
    let span = def.max - def.min + 1;
    match text.parse::<u32>() {
        Ok(0) => Err("step 0 after \"/\" must be at least 1".to_owned()),
        Ok(n) if n > span => Err(format!(
            "step {n} after \"/\" is larger than the field's range {}-{}",
            def.min, def.max
        )),
        Ok(n) => Ok(n),
        Err(_) if text.is_empty() => Err("missing step after \"/\"".to_owned()),
        Err(_) => Err(format!("step {text:?} after \"/\" is not a number")),
    }
}

/// A number or (for month and day-of-week) a name, checked against the range.
fn value(def: &FieldDef, text: &str) -> Result<u32, String> {
    if text.is_empty() {
        return Err("missing value".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(v) if (def.min..=def.max).contains(&v) => Ok(v),
            Ok(v) => Err(format!(
                "value {v} out of range {}-{}{}",
                def.min, def.max, def.hint
            )),
            Err(_) => Err(format!(
                "value {text} out of range {}-{}{}",
                def.min, def.max, def.hint
            )),
        };
    }
    if let Some(i) = def.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(i as u32 + def.min);
    }
    Err(match def.field {
        CronField::Month => format!("{text:?} is not a month number or name (JAN-DEC)"),
        CronField::DayOfWeek => {
            format!("{text:?} is not a day number or name (1-7 or SUN-SAT, 1 = Sunday)")
        }
        _ => format!("{text:?} is not a number"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(expr: &str) -> Spec {
        match parse_expression(expr) {
            Ok(s) => s,
            Err(e) => panic!("{expr}: {e:?}"),
        }
    }

    fn set(values: &[u32]) -> ValueSet {
        let mut s = ValueSet::default();
        values.iter().for_each(|&v| s.insert(v));
        s
    }

    fn members(s: ValueSet) -> Vec<u32> {
        s.iter().collect()
    }

    /// (field, field text, message) of a rejected expression.
    fn err(expr: &str) -> (Option<CronField>, Option<String>, String) {
        match parse_expression(expr) {
            Ok(s) => panic!("{expr} parsed: {s:?}"),
            Err(e) => (e.field, e.text, e.message),
        }
    }

    fn field_err(expr: &str, field: CronField) -> String {
        let (f, _, message) = err(expr);
        assert_eq!(f, Some(field), "{expr}: {message}");
        message
    }

    #[test]
    fn value_set_basics() {
        let s = set(&[0, 5, 63, 64, 200, 255]);
        assert_eq!(s.next_from(0), Some(0));
        assert_eq!(s.next_from(6), Some(63));
        assert_eq!(s.next_from(65), Some(200));
        assert_eq!(s.next_from(256), None);
        assert_eq!(s.iter().count(), 6);
        assert!(s.contains(255) && !s.contains(256) && !s.contains(1));
    }

    #[test]
    fn default_and_aws_examples() {
        let s = spec("cron(0 5 ? * * *)");
        assert_eq!(members(s.minutes), [0]);
        assert_eq!(members(s.hours), [5]);
        assert_eq!(s.days, DaySpec::WeekDays(set(&[1, 2, 3, 4, 5, 6, 7])));
        assert_eq!(members(s.months), (1..=12).collect::<Vec<_>>());
        assert_eq!(s.years.iter().count(), 230);
        assert_eq!(members(spec("cron(15 * ? * * *)").hours).len(), 24);
        let s = spec("cron(0 12 * * ? *)");
        assert_eq!(
            s.days,
            DaySpec::MonthDays(set(&(1..=31).collect::<Vec<_>>()))
        );
    }

    #[test]
    fn lists_ranges_and_steps() {
        assert_eq!(
            members(spec("cron(0/15 * ? * * *)").minutes),
            [0, 15, 30, 45]
        );
        assert_eq!(members(spec("cron(*/20 * ? * * *)").minutes), [0, 20, 40]);
        assert_eq!(
            members(spec("cron(10-50/10 * ? * * *)").minutes),
            [10, 20, 30, 40, 50]
        );
        assert_eq!(members(spec("cron(7/25 * ? * * *)").minutes), [7, 32, 57]);
        assert_eq!(
            members(spec("cron(1,3,5-7 * ? * * *)").minutes),
            [1, 3, 5, 6, 7]
        );
        assert_eq!(members(spec("cron(0 */12 ? * * *)").hours), [0, 12]);
        assert_eq!(members(spec("cron(0/60 0 ? * * *)").minutes), [0]);
        assert_eq!(
            spec("cron(0 0 1/10 * ? *)").days,
            DaySpec::MonthDays(set(&[1, 11, 21, 31]))
        );
        assert_eq!(members(spec("cron(0 0 1 */3 ? *)").months), [1, 4, 7, 10]);
        let years: Vec<u32> = members(spec("cron(0 0 1 1 ? 2024-2030/3)").years);
        assert_eq!(years, [54, 57, 60]); // 2024, 2027, 2030
        assert_eq!(members(spec("cron(0 0 1 1 ? 2198/1)").years), [228, 229]);
        assert_eq!(
            members(spec("cron(05 007 ? * * *)").hours),
            [7],
            "leading zeros"
        );
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(
            members(spec("cron(0 0 1 jan-Mar,DEC ? *)").months),
            [1, 2, 3, 12]
        );
        assert_eq!(
            spec("cron(0 5 ? * mon-FRI *)").days,
            DaySpec::WeekDays(set(&[2, 3, 4, 5, 6]))
        );
        assert_eq!(
            spec("cron(0 5 ? * MON-FRI *)").days,
            spec("cron(0 5 ? * 2-6 *)").days,
            "1 = Sunday"
        );
        assert_eq!(
            spec("CRON(0 5 ? * sun *)").days,
            DaySpec::WeekDays(set(&[1]))
        );
        assert_eq!(spec("cron(0 0 1 jul ? *)").months, set(&[7]));
    }

    #[test]
    fn day_of_week_wraps_and_steps() {
        assert_eq!(
            spec("cron(0 5 ? * FRI-MON *)").days,
            DaySpec::WeekDays(set(&[6, 7, 1, 2]))
        );
        assert_eq!(
            spec("cron(0 5 ? * SAT-SUN *)").days,
            DaySpec::WeekDays(set(&[7, 1]))
        );
        assert_eq!(
            spec("cron(0 5 ? * 6-2/2 *)").days,
            DaySpec::WeekDays(set(&[6, 1]))
        );
        assert_eq!(
            spec("cron(0 5 ? * 2/2 *)").days,
            DaySpec::WeekDays(set(&[2, 4, 6]))
        );
        assert_eq!(
            spec("cron(0 5 ? * */3 *)").days,
            DaySpec::WeekDays(set(&[1, 4, 7]))
        );
    }

    #[test]
    fn special_days() {
        assert_eq!(spec("cron(0 5 L * ? *)").days, DaySpec::LastDay);
        assert_eq!(spec("cron(0 5 lw * ? *)").days, DaySpec::LastWeekday);
        assert_eq!(
            spec("cron(0 5 15W * ? *)").days,
            DaySpec::NearestWeekday(15)
        );
        assert_eq!(spec("cron(0 5 1w * ? *)").days, DaySpec::NearestWeekday(1));
        assert_eq!(spec("cron(0 5 ? * 5L *)").days, DaySpec::LastWeekdayOf(5));
        assert_eq!(spec("cron(0 5 ? * friL *)").days, DaySpec::LastWeekdayOf(6));
        assert_eq!(spec("cron(0 5 ? * L *)").days, DaySpec::WeekDays(set(&[7])));
        assert_eq!(
            spec("cron(0 5 ? * 3#2 *)").days,
            DaySpec::NthWeekday { weekday: 3, nth: 2 }
        );
        assert_eq!(
            spec("cron(0 5 ? * FRI#5 *)").days,
            DaySpec::NthWeekday { weekday: 6, nth: 5 }
        );
    }

    #[test]
    fn whitespace_and_wrapper() {
        spec("  cron( 0  5 ? * * * )  ");
        spec("cron(0\t5 ? * * *)");
        let (f, _, m) = err("0 5 ? * * *");
        assert_eq!(
            (f, m.as_str()),
            (
                None,
                "expected cron(minutes hours day-of-month month day-of-week year)"
            )
        );
        assert!(err("cron(0 5 ? * * *").2.starts_with("expected cron("));
        assert_eq!(err("   ").2, "empty schedule expression");
    }

    #[test]
    fn rate_expressions_are_rejected() {
        let (f, _, m) = err("rate(1 day)");
        assert_eq!(f, None);
        assert_eq!(
            m,
            "rate expressions are not supported by AWS Backup; use cron(...)"
        );
        assert!(err("RATE(12 hours)").2.starts_with("rate expressions"));
    }

    #[test]
    fn wrong_field_count() {
        assert_eq!(
            err("cron(0 5 * * ?)").2,
            "expected 6 fields (minutes hours day-of-month month day-of-week year), found 5 \
             (AWS cron has a sixth, year field: add \"*\")"
        );
        assert!(err("cron(0 0 5 ? * * *)").2.ends_with("found 7"));
        assert!(err("cron()").2.ends_with("found 0"));
    }

    #[test]
    fn question_mark_rule() {
        let (f, _, m) = err("cron(0 5 * * MON *)");
        assert_eq!(f, None);
        assert_eq!(
            m,
            "day-of-month \"*\" and day-of-week \"MON\" are both specified; one of them must be \"?\""
        );
        assert!(err("cron(0 5 * * * *)").2.contains("both specified"));
        assert_eq!(
            err("cron(0 5 ? * ? *)").2,
            "day-of-month and day-of-week are both \"?\"; exactly one of them must be \"?\""
        );
        let m = field_err("cron(? 5 ? * * *)", CronField::Minutes);
        assert_eq!(m, "\"?\" is only allowed in day-of-month or day-of-week");
        field_err("cron(0 5 ? ? * *)", CronField::Month);
        field_err("cron(0 5 1,? * ? *)", CronField::DayOfMonth);
    }

    #[test]
    fn out_of_range_values() {
        let (f, text, m) = err("cron(0 5 ? * 8 *)");
        assert_eq!(
            (f, text.as_deref()),
            (Some(CronField::DayOfWeek), Some("8"))
        );
        assert_eq!(m, "value 8 out of range 1-7 (1 = Sunday, 7 = Saturday)");
        assert_eq!(
            field_err("cron(0 5 ? * 0 *)", CronField::DayOfWeek),
            "value 0 out of range 1-7 (1 = Sunday, 7 = Saturday)"
        );
        assert_eq!(
            field_err("cron(60 5 ? * * *)", CronField::Minutes),
            "value 60 out of range 0-59"
        );
        assert_eq!(
            field_err("cron(0 24 ? * * *)", CronField::Hours),
            "value 24 out of range 0-23"
        );
        assert_eq!(
            field_err("cron(0 5 0 * ? *)", CronField::DayOfMonth),
            "value 0 out of range 1-31"
        );
        assert_eq!(
            field_err("cron(0 5 32W * ? *)", CronField::DayOfMonth),
            "value 32 out of range 1-31"
        );
        assert_eq!(
            field_err("cron(0 5 1 13 ? *)", CronField::Month),
            "value 13 out of range 1-12 (or JAN-DEC)"
        );
        assert_eq!(
            field_err("cron(0 5 1 1 ? 1969)", CronField::Year),
            "value 1969 out of range 1970-2199"
        );
        assert_eq!(
            field_err("cron(0 5 1 1 ? 2200)", CronField::Year),
            "value 2200 out of range 1970-2199"
        );
        assert_eq!(
            field_err("cron(99999999999 5 1 1 ? *)", CronField::Minutes),
            "value 99999999999 out of range 0-59"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 3#0 *)", CronField::DayOfWeek),
            "occurrence 0 after \"#\" out of range 1-5"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 3#6 *)", CronField::DayOfWeek),
            "occurrence 6 after \"#\" out of range 1-5"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 8#1 *)", CronField::DayOfWeek),
            "value 8 out of range 1-7 (1 = Sunday, 7 = Saturday)"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 9L *)", CronField::DayOfWeek),
            "value 9 out of range 1-7 (1 = Sunday, 7 = Saturday)"
        );
    }

    #[test]
    fn unknown_names_and_junk() {
        assert_eq!(
            field_err("cron(0 5 ? * FOO *)", CronField::DayOfWeek),
            "\"FOO\" is not a day number or name (1-7 or SUN-SAT, 1 = Sunday)"
        );
        assert_eq!(
            field_err("cron(0 5 1 JANUARY ? *)", CronField::Month),
            "\"JANUARY\" is not a month number or name (JAN-DEC)"
        );
        assert_eq!(
            field_err("cron(0 5 1 MON ? *)", CronField::Month),
            "\"MON\" is not a month number or name (JAN-DEC)"
        );
        assert_eq!(
            field_err("cron(0 5 ? * JAN *)", CronField::DayOfWeek),
            "\"JAN\" is not a day number or name (1-7 or SUN-SAT, 1 = Sunday)"
        );
        assert_eq!(
            field_err("cron(x 5 ? * * *)", CronField::Minutes),
            "\"x\" is not a number"
        );
        assert_eq!(
            field_err("cron(-5 5 ? * * *)", CronField::Minutes),
            "missing value"
        );
        assert_eq!(
            field_err("cron(1,,2 5 ? * * *)", CronField::Minutes),
            "empty element in list"
        );
        assert_eq!(
            field_err("cron(1, 5 ? * * *)", CronField::Minutes),
            "empty element in list"
        );
        assert_eq!(
            field_err("cron(1-2-3 5 ? * * *)", CronField::Minutes),
            "\"2-3\" is not a number"
        );
        assert_eq!(
            field_err("cron(0 L ? * * *)", CronField::Hours),
            "\"L\" and \"W\" are only allowed in day-of-month or day-of-week"
        );
        assert_eq!(
            field_err("cron(0 5 1 1 ? 3#1)", CronField::Year),
            "\"#\" is only allowed in day-of-week"
        );
        assert_eq!(
            field_err("cron(0 5 3#1 * ? *)", CronField::DayOfMonth),
            "\"#\" is only allowed in day-of-week"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 3W *)", CronField::DayOfWeek),
            "\"W\" is only allowed in day-of-month"
        );
    }

    #[test]
    fn non_ascii_is_rejected_not_panicking() {
        assert_eq!(
            field_err("cron(0 5 ? * MÖN *)", CronField::DayOfWeek),
            "\"MÖN\" is not a day number or name (1-7 or SUN-SAT, 1 = Sunday)"
        );
        field_err("cron(0 5 1éW * ? *)", CronField::DayOfMonth);
        field_err("cron(0 5 ? * éL *)", CronField::DayOfWeek);
        assert!(err("crön(0 5 ? * * *)").2.starts_with("expected cron("));
        assert!(err("é").2.starts_with("expected cron("));
    }

    #[test]
    fn bad_steps() {
        assert_eq!(
            field_err("cron(0/0 5 ? * * *)", CronField::Minutes),
            "step 0 after \"/\" must be at least 1"
        );
        assert_eq!(
            field_err("cron(0/61 5 ? * * *)", CronField::Minutes),
            "step 61 after \"/\" is larger than the field's range 0-59"
        );
        assert_eq!(
            field_err("cron(0/ 5 ? * * *)", CronField::Minutes),
            "missing step after \"/\""
        );
        assert_eq!(
            field_err("cron(0/x 5 ? * * *)", CronField::Minutes),
            "step \"x\" after \"/\" is not a number"
        );
        assert_eq!(
            field_err("cron(0/5/2 5 ? * * *)", CronField::Minutes),
            "step \"5/2\" after \"/\" is not a number"
        );
        assert_eq!(
            field_err("cron(/5 5 ? * * *)", CronField::Minutes),
            "missing value"
        );
    }

    #[test]
    fn backwards_ranges_outside_day_of_week() {
        assert_eq!(
            field_err("cron(0 22-2 ? * * *)", CronField::Hours),
            "range 22-2 runs backwards, which AWS does not document for this field; \
             write it as two ranges (22-23,0-2)"
        );
        field_err("cron(50-10 5 ? * * *)", CronField::Minutes);
        field_err("cron(0 5 28-3 * ? *)", CronField::DayOfMonth);
        field_err("cron(0 5 1 NOV-FEB ? *)", CronField::Month);
        field_err("cron(0 5 1 1 ? 2030-2020)", CronField::Year);
    }

    #[test]
    fn misplaced_l_w_and_hash() {
        assert_eq!(
            field_err("cron(0 5 1-5W * ? *)", CronField::DayOfMonth),
            "\"W\" needs a single day such as 15W, not a range or step"
        );
        assert_eq!(
            field_err("cron(0 5 1W,15 * ? *)", CronField::DayOfMonth),
            "\"L\" and \"W\" must be the only value in day-of-month (no lists)"
        );
        field_err("cron(0 5 L,15 * ? *)", CronField::DayOfMonth);
        assert_eq!(
            field_err("cron(0 5 L-3 * ? *)", CronField::DayOfMonth),
            "offsets from the last day (like L-3) are not documented for AWS cron"
        );
        assert_eq!(
            field_err("cron(0 5 5L * ? *)", CronField::DayOfMonth),
            "expected L, LW or a day followed by W (like 15W)"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 3#1,6#3 *)", CronField::DayOfWeek),
            "with \"#\", only one expression is allowed in day-of-week (like 3#2, not 3#1,6#3)"
        );
        field_err("cron(0 5 ? * 2,3#1 *)", CronField::DayOfWeek);
        assert_eq!(
            field_err("cron(0 5 ? * 2-4#1 *)", CronField::DayOfWeek),
            "\"#\" needs a single day (like 3#2), not a range or step"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 3#x *)", CronField::DayOfWeek),
            "\"x\" after \"#\" is not a number 1-5"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 5L,6 *)", CronField::DayOfWeek),
            "\"L\" must be the only value in day-of-week (like 6L, no lists)"
        );
        assert_eq!(
            field_err("cron(0 5 ? * 2-6L *)", CronField::DayOfWeek),
            "\"L\" needs a single day (like 6L), not a range or step"
        );
        assert_eq!(
            field_err("cron(0 5 ? * L5 *)", CronField::DayOfWeek),
            "expected a day followed by L (like 6L for the last Friday)"
        );
    }
}
