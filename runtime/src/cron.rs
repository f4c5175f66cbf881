//! A crontab schedule as a device keeps it: which seconds, minutes, hours,
//! days and months match, as bitsets that psosc fills when it reads the
//! crontab, and the next matching second after a time on the wall clock,
//! found without allocating. Times are UTC: a device has no time zone.

/// The seconds since 1970 of the first matching second is found in at most
/// this many steps; a schedule that matches nothing in that search (psosc
/// refuses those it can tell never match) gives none.
const MAX_STEPS: u32 = 4096;

use crate::calendar::{civil_from_days, days_from_civil, Date, SECONDS_PER_DAY};

/// When a crontab fires, as cronosjs (which Node-RED's inject node uses)
/// reads one: bit `n` of a set stands for the value `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Seconds 0 to 59 (a five-field crontab fires at second 0).
    pub seconds: u64,
    /// Minutes 0 to 59.
    pub minutes: u64,
    /// Hours 0 to 23.
    pub hours: u32,
    /// Days of the month 1 to 31. A day matches when its day of the month or
    /// its day of the week is in its set, as in cron.
    pub days_of_month: u32,
    /// Days of the week, 0 (Sunday) to 6.
    pub days_of_week: u8,
    /// Months 1 to 12.
    pub months: u16,
}

impl Schedule {
    /// The first matching time strictly after `after_ms` (milliseconds since
    /// 1970, UTC), in milliseconds since 1970; `None` if none was found.
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        let mut at = (after_ms / 1000).checked_add(1)?;
        for _ in 0..MAX_STEPS {
            let days = at / SECONDS_PER_DAY;
            let date = civil_from_days(days);
            let day_start = days * SECONDS_PER_DAY;
            if !has(u64::from(self.months), date.month) {
                let (year, month) = if date.month == 12 {
                    (date.year + 1, 1)
                } else {
                    (date.year, date.month + 1)
                };
                at = days_from_civil(year, month, 1)? * SECONDS_PER_DAY;
                continue;
            }
            if !self.day_matches(date, days) {
                at = day_start + SECONDS_PER_DAY;
                continue;
            }
            // Within a matching day: the hour, then the minute, then the
            // second, each in the span the one before it matched.
            let levels = [
                (u64::from(self.hours), 3600, 23),
                (self.minutes, 60, 59),
                (self.seconds, 1, 59),
            ];
            let (mut start, mut end) = (day_start, day_start + SECONDS_PER_DAY);
            let mut later = None;
            for (set, length, last) in levels {
                let value = ((at - start) / length) as u32;
                match next_set(set, value, last) {
                    None => later = Some(end),
                    Some(found) if found > value => {
                        later = Some(start + u64::from(found) * length);
                    }
                    Some(_) => {
                        start += u64::from(value) * length;
                        end = start + length;
                        continue;
                    }
                }
                break;
            }
            match later {
                Some(later) => at = later,
                None => return at.checked_mul(1000),
            }
        }
        None
    }

    fn day_matches(&self, date: Date, days: u64) -> bool {
        // 1970-01-01 was a Thursday.
        let weekday = ((days + 4) % 7) as u32;
        has(u64::from(self.days_of_month), date.day) || has(u64::from(self.days_of_week), weekday)
    }
}

fn has(set: u64, value: u32) -> bool {
    value < 64 && set & (1 << value) != 0
}

/// The smallest member of `set` from `from` to `last`.
fn next_set(set: u64, from: u32, last: u32) -> Option<u32> {
    (from..=last).find(|value| has(set, *value))
}

#[cfg(all(test, feature = "std"))]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const EVERY_DAY: u32 = !1;
    const EVERY_MONTH: u16 = ((1 << 13) - 1) & !1;

    fn at_zero(minutes: u64, hours: u32) -> Schedule {
        Schedule {
            seconds: 1,
            minutes,
            hours,
            days_of_month: EVERY_DAY,
            days_of_week: 0,
            months: EVERY_MONTH,
        }
    }

    /// Milliseconds since 1970 of a UTC date and time, by the `time` crate.
    fn utc(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> u64 {
        let month = time::Month::try_from(month).unwrap();
        let date = time::Date::from_calendar_date(year, month, day).unwrap();
        let moment = date.with_hms(hour, minute, second).unwrap().assume_utc();
        u64::try_from(moment.unix_timestamp()).unwrap() * 1000
    }

    /// Whether a moment matches, judged with the `time` crate's calendar.
    fn matches(schedule: &Schedule, ms: u64) -> bool {
        let moment = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).unwrap();
        let weekday = u32::from(moment.weekday().number_days_from_sunday());
        has(schedule.seconds, u32::from(moment.second()))
            && has(schedule.minutes, u32::from(moment.minute()))
            && has(u64::from(schedule.hours), u32::from(moment.hour()))
            && has(
                u64::from(schedule.months),
                u32::from(u8::from(moment.month())),
            )
            && (has(u64::from(schedule.days_of_month), u32::from(moment.day()))
                || has(u64::from(schedule.days_of_week), weekday))
    }

    #[test]
    fn a_daily_time_is_the_next_one() {
        // "30 12 * * *", as the editor writes "at 12:30 every day".
        let schedule = at_zero(1 << 30, 1 << 12);
        let before = utc(2026, 11, 26, 11, 12, 0);
        assert_eq!(
            schedule.next_after(before),
            Some(utc(2026, 11, 26, 12, 30, 0))
        );
        let on_it = utc(2026, 11, 26, 12, 30, 0);
        assert_eq!(
            schedule.next_after(on_it),
            Some(utc(2026, 11, 27, 12, 30, 0))
        );
        let end_of_year = utc(2026, 12, 31, 13, 0, 0);
        assert_eq!(
            schedule.next_after(end_of_year),
            Some(utc(2027, 1, 1, 12, 30, 0))
        );
    }

    /// February the 29th waits for a leap year (2100 is none); the 31st
    /// never comes.
    #[test]
    fn a_day_february_has_only_in_leap_years_or_never() {
        let midnight_on = |day: u32| Schedule {
            days_of_month: 1 << day,
            months: 1 << 2,
            ..at_zero(1, 1)
        };
        let after = utc(2097, 3, 1, 0, 0, 0);
        assert_eq!(
            midnight_on(29).next_after(after),
            Some(utc(2104, 2, 29, 0, 0, 0))
        );
        assert_eq!(midnight_on(31).next_after(0), None);
    }

    /// Each schedule against a minute-by-minute (or second-by-second) walk
    /// over the calendar of the `time` crate.
    #[test]
    fn the_next_time_is_the_first_that_matches() {
        let schedules = [
            // "*/5 9-17 * * 1,2,3,4,5": every 5 minutes in working hours.
            Schedule {
                days_of_month: 0,
                days_of_week: 0b011_1110,
                ..at_zero(0x0084_2108_4210_8421, 0x3_fe00)
            },
            // "0 22-23,0-1 * * 0": hours across midnight on Sundays.
            Schedule {
                days_of_month: 0,
                days_of_week: 1,
                ..at_zero(1, 0xc0_0003)
            },
            // "15 6 1,15 * 3": the 1st, the 15th and Wednesdays.
            Schedule {
                days_of_month: (1 << 1) | (1 << 15),
                days_of_week: 1 << 3,
                ..at_zero(1 << 15, 1 << 6)
            },
            // "0 0 31 * *": months with a 31st.
            Schedule {
                days_of_month: 1 << 31,
                ..at_zero(1, 1)
            },
            // "*/20 * * * * *" in the six-field form, every 20 s.
            Schedule {
                seconds: (1 << 0) | (1 << 20) | (1 << 40),
                ..at_zero(u64::MAX >> 4, 0xff_ffff)
            },
        ];
        let start = utc(2027, 12, 27, 23, 58, 30);
        for schedule in schedules {
            // Minutes for 200 days, or seconds for two days.
            let (step, end) = if schedule.seconds == 1 {
                (60_000, start + 200 * 86_400_000)
            } else {
                (1000, start + 2 * 86_400_000)
            };
            let expected: Vec<u64> = ((start / step + 1) * step..end)
                .step_by(step as usize)
                .filter(|moment| matches(&schedule, *moment))
                .collect();
            assert!(expected.len() > 3, "{schedule:?}");
            let found: Vec<u64> =
                std::iter::successors(schedule.next_after(start), |at| schedule.next_after(*at))
                    .take_while(|at| *at < end)
                    .collect();
            assert_eq!(found, expected, "{schedule:?}");
        }
    }
}
