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
mod tests;
