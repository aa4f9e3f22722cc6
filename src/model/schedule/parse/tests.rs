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
