//! An inject node's `crontab`, read as cronosjs (the library Node-RED's
//! inject node schedules with) reads it, into the bitsets a device keeps
//! (`psos::cron::Schedule`). Five fields (minute hour day month weekday),
//! six with seconds first, seven with years last; `*`, numbers, ranges
//! (wrapping round where cronosjs lets them), steps, lists, month and day
//! names, `?`, and `@hourly` and its kin. What a device cannot do
//! (`L`, `W`, `#`, years) is refused, and so is a schedule that never fires.

use psos::cron::Schedule;

/// Why a crontab cannot run on a device.
#[derive(Debug, PartialEq, Eq)]
pub enum CrontabError {
    /// cronosjs refuses it too: Node-RED's inject would fail to start.
    Invalid(String),
    /// cronosjs reads it, a device cannot keep it.
    Unsupported(String),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One item of a field (`*/5`, `9-17`, `30`), as cronosjs's `FieldItem`.
struct Item {
    /// `None` for `*`; `to` is `None` for `N/step` (to the field's last).
    range: Option<(u32, Option<u32>)>,
    step: u32,
}

impl Item {
    /// `*` without a step: cronosjs leaves such items out of the days.
    fn is_any(&self) -> bool {
        self.range.is_none() && self.step == 1
    }

    /// The values, as cronosjs's `FieldItem.values` counts them.
    fn values(&self, first: u32, last: u32) -> u64 {
        let start = self.range.map_or(first, |(from, _)| from);
        let end = self.range.and_then(|(_, to)| to).unwrap_or(last);
        let length = if end < start {
            (last - start) + (end - first) + 1
        } else {
            end - start
        };
        let span = last - first + 1;
        (0..=length / self.step).fold(0, |set, index| {
            set | 1 << (first + (start - first + self.step * index) % span)
        })
    }
}

/// Parses one item: `^(\*|[0-9]+|[0-9]+-[0-9]+)(/[1-9][0-9]*)?$`, with
/// `transform` applied to numbers (weekday 7 is Sunday).
fn item(
    text: &str,
    first: u32,
    last: u32,
    wrap: bool,
    transform: fn(u32) -> u32,
) -> Result<Item, CrontabError> {
    let invalid = || CrontabError::Invalid(format!("{text:?} is not a field item cron reads"));
    let (body, step) = match text.split_once('/') {
        Some((body, step)) => {
            let digits = !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit());
            if !digits || step.starts_with('0') {
                return Err(invalid());
            }
            // Digits only, so only a step too large to count fails to
            // parse; any step past the field's range gives its start alone.
            (body, Some(step.parse::<u32>().unwrap_or(u32::MAX)))
        }
        None => (text, None),
    };
    let number = |digits: &str| -> Result<u32, CrontabError> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        Ok(transform(digits.parse::<u32>().unwrap_or(u32::MAX)))
    };
    let out_of_range = || {
        CrontabError::Invalid(format!(
            "{text:?} is out of the field's range, {first} to {last}"
        ))
    };
    let range = if body == "*" {
        None
    } else if let Some((from, to)) = body.split_once('-') {
        let (from, to) = (number(from)?, number(to)?);
        if !(first..=last).contains(&from) || !(first..=last).contains(&to) {
            return Err(out_of_range());
        }
        if to < from && !wrap {
            return Err(CrontabError::Invalid(format!(
                "{text:?} runs backwards, which this field does not allow"
            )));
        }
        Some((from, Some(to)))
    } else {
        let from = number(body)?;
        if !(first..=last).contains(&from) {
            return Err(out_of_range());
        }
        Some((from, if step.is_some() { None } else { Some(from) }))
    };
    Ok(Item {
        range,
        step: step.unwrap_or(1),
    })
}

fn same(value: u32) -> u32 {
    value
}

fn sunday_is_zero(value: u32) -> u32 {
    if value == 7 {
        0
    } else {
        value
    }
}

/// A field of numbers: the union of its items' values.
fn field(
    text: &str,
    first: u32,
    last: u32,
    transform: fn(u32) -> u32,
) -> Result<u64, CrontabError> {
    text.split(',').try_fold(0, |set, text| {
        Ok(set | item(text, first, last, true, transform)?.values(first, last))
    })
}

/// Replaces names (`jan`, `mon`) by their numbers, from `base`, as
/// cronosjs's regular expressions do anywhere in the field.
fn replace_names(text: &str, names: &[&str], base: usize) -> String {
    let mut text = text.to_string();
    for (index, name) in names.iter().enumerate() {
        text = text.replace(name, &(index + base).to_string());
    }
    text
}

/// Reads a crontab as cronosjs does.
pub fn parse(crontab: &str) -> Result<Schedule, CrontabError> {
    let lower = crontab.trim().to_lowercase();
    let expression = match lower.as_str() {
        "@yearly" | "@annually" => "0 0 0 1 1 * *",
        "@monthly" => "0 0 0 1 * * *",
        "@weekly" => "0 0 0 * * 0 *",
        "@daily" | "@midnight" => "0 0 0 * * * *",
        "@hourly" => "0 0 * * * * *",
        other => other,
    };
    let mut fields: Vec<&str> = expression.split_whitespace().collect();
    if !(5..=7).contains(&fields.len()) {
        return Err(CrontabError::Invalid(format!(
            "a crontab has 5 to 7 fields, this one {}",
            fields.len()
        )));
    }
    if fields.len() == 5 {
        fields.insert(0, "0");
    }
    if let Some(years) = fields.get(6).filter(|years| **years != "*") {
        return Err(CrontabError::Unsupported(format!(
            "the year field {years:?}: a device's schedule repeats every year"
        )));
    }
    let [seconds, minutes, hours, days, months, weekdays, ..] = fields[..] else {
        return Err(CrontabError::Invalid(
            "a crontab has 5 to 7 fields".to_string(),
        ));
    };
    let seconds = field(seconds, 0, 59, same)?;
    let minutes = field(minutes, 0, 59, same)?;
    let hours = field(hours, 0, 23, same)?;
    let months = field(&replace_names(months, &MONTHS, 1), 1, 12, same)?;
    let (days_of_month, days_of_week) = day_fields(days, weekdays)?;
    let schedule = Schedule {
        seconds,
        minutes,
        hours: hours as u32,
        days_of_month: days_of_month as u32,
        days_of_week: days_of_week as u8,
        months: months as u16,
    };
    if !ever_fires(&schedule) {
        return Err(CrontabError::Invalid(
            "no month of the schedule has any of its days, so it never fires".to_string(),
        ));
    }
    Ok(schedule)
}

/// The days of the month and of the week, as cronosjs's `DaysField`: items
/// that are plain `*` are left out, unless both fields are only that.
fn day_fields(days: &str, weekdays: &str) -> Result<(u64, u64), CrontabError> {
    let unsupported = |item: &str, what: &str| {
        CrontabError::Unsupported(format!("{item:?} ({what}) is not supported on a device"))
    };
    let mut day_items = Vec::new();
    for text in days.split(',') {
        let text = if text == "?" { "*" } else { text };
        if text == "l" || text == "lw" || text.ends_with('w') {
            return Err(unsupported(text, "the last day or the nearest weekday"));
        }
        day_items.push(item(text, 1, 31, false, same)?);
    }
    let weekdays = replace_names(weekdays, &WEEKDAYS, 0);
    let mut weekday_items = Vec::new();
    for text in weekdays.split(',') {
        let text = if text == "?" { "*" } else { text };
        if text.ends_with('l') || text.contains('#') {
            return Err(unsupported(text, "the last or nth weekday of a month"));
        }
        weekday_items.push(item(text, 0, 6, true, sunday_is_zero)?);
    }
    let all_days = matches!(day_items.as_slice(), [only] if only.is_any())
        && matches!(weekday_items.as_slice(), [only] if only.is_any());
    if all_days {
        return Ok((
            Item {
                range: None,
                step: 1,
            }
            .values(1, 31),
            0,
        ));
    }
    let union = |items: &[Item], first, last| {
        items
            .iter()
            .filter(|item| !item.is_any())
            .fold(0, |set, item| set | item.values(first, last))
    };
    Ok((union(&day_items, 1, 31), union(&weekday_items, 0, 6)))
}

/// Whether some month of the schedule has one of its days (February with
/// its 29th), or it names a day of the week.
fn ever_fires(schedule: &Schedule) -> bool {
    const MONTH_DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if schedule.days_of_week != 0 {
        return true;
    }
    let first_day = schedule.days_of_month.trailing_zeros();
    (1..=12u32)
        .zip(MONTH_DAYS)
        .any(|(month, length)| schedule.months & (1 << month) != 0 && first_day <= length)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crontab's schedule, each set written as its members.
    fn check(crontab: &str, expect: &str) {
        let members = |set: u64, first: u32, last: u32| {
            let values: Vec<String> = (first..=last)
                .filter(|value| set & (1 << value) != 0)
                .map(|value| value.to_string())
                .collect();
            values.join(",")
        };
        let found = match parse(crontab) {
            Ok(s) => format!(
                "s {} | m {} | h {} | dom {} | mon {} | dow {}",
                members(s.seconds, 0, 59),
                members(s.minutes, 0, 59),
                members(u64::from(s.hours), 0, 23),
                members(u64::from(s.days_of_month), 1, 31),
                members(u64::from(s.months), 1, 12),
                members(u64::from(s.days_of_week), 0, 6),
            ),
            Err(CrontabError::Invalid(why)) => format!("invalid: {why}"),
            Err(CrontabError::Unsupported(why)) => format!("unsupported: {why}"),
        };
        assert_eq!(found, expect, "{crontab}");
    }

    const ALL_MONTHS: &str = "1,2,3,4,5,6,7,8,9,10,11,12";
    const ALL_DAYS: &str =
        "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31";

    #[test]
    fn the_editors_at_a_time_form() {
        check(
            "30 12 * * 1,2,3,4,5",
            &format!("s 0 | m 30 | h 12 | dom  | mon {ALL_MONTHS} | dow 1,2,3,4,5"),
        );
        check(
            "05 07 * * *",
            &format!("s 0 | m 5 | h 7 | dom {ALL_DAYS} | mon {ALL_MONTHS} | dow "),
        );
    }

    #[test]
    fn the_editors_interval_between_times_form() {
        check(
            "*/15 9-16 * * 1,5",
            &format!(
                "s 0 | m 0,15,30,45 | h 9,10,11,12,13,14,15,16 | dom  | mon {ALL_MONTHS} | dow 1,5"
            ),
        );
        check(
            "*/20 22-23,0-5 * * *",
            &format!(
                "s 0 | m 0,20,40 | h 0,1,2,3,4,5,22,23 | dom {ALL_DAYS} | mon {ALL_MONTHS} | dow "
            ),
        );
        check(
            "0 8 * * 0",
            &format!("s 0 | m 0 | h 8 | dom  | mon {ALL_MONTHS} | dow 0"),
        );
    }

    #[test]
    fn cronosjs_forms_beyond_the_editor() {
        // Six fields: seconds first. Names, wrapping ranges, N/step, 7 as Sunday.
        check(
            "*/20 0 12 1,15 jan-mar sat-sun",
            "s 0,20,40 | m 0 | h 12 | dom 1,15 | mon 1,2,3 | dow 0,6",
        );
        check(
            "0 50/5 22-1 ? NOV-feb 7",
            "s 0 | m 50,55 | h 0,1,22,23 | dom  | mon 1,2,11,12 | dow 0",
        );
        check(
            "@hourly",
            &format!("s 0 | m 0 | h 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 | dom {ALL_DAYS} | mon {ALL_MONTHS} | dow "),
        );
        check(
            "0 0 0 */10 * * *",
            &format!("s 0 | m 0 | h 0 | dom 1,11,21,31 | mon {ALL_MONTHS} | dow "),
        );
    }

    #[test]
    fn what_cronosjs_refuses_is_invalid() {
        check(
            "* * * *",
            "invalid: a crontab has 5 to 7 fields, this one 4",
        );
        check(
            "60 * * * *",
            "invalid: \"60\" is out of the field's range, 0 to 59",
        );
        check(
            "*/0 * * * *",
            "invalid: \"*/0\" is not a field item cron reads",
        );
        check(
            "0 0 20-10 * *",
            "invalid: \"20-10\" runs backwards, which this field does not allow",
        );
        check(
            "0 0 30 2 *",
            "invalid: no month of the schedule has any of its days, so it never fires",
        );
        check("a * * * *", "invalid: \"a\" is not a field item cron reads");
    }

    /// psosc never panics on input: random texts of crontab characters.
    #[test]
    fn any_text_is_read_or_refused() {
        const ALPHABET: &[u8] = b"0123456789*/-,? LlWw#@janmonsunt7";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for index in 0..(state % 40) {
                let pick = (state >> (index % 50)) as usize + index as usize * 7;
                text.push(char::from(ALPHABET[pick % ALPHABET.len()]));
            }
            if let Ok(schedule) = parse(&text) {
                assert!(schedule.next_after(0).is_some(), "{text:?}");
            }
        }
    }

    #[test]
    fn what_a_device_cannot_keep_is_unsupported() {
        check(
            "0 0 L * *",
            "unsupported: \"l\" (the last day or the nearest weekday) is not supported on a device",
        );
        check("0 0 * * 5#2", "unsupported: \"5#2\" (the last or nth weekday of a month) is not supported on a device");
        check(
            "0 0 0 * * * 2030",
            "unsupported: the year field \"2030\": a device's schedule repeats every year",
        );
    }
}
