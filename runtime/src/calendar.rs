//! Days of the civil calendar in UTC, counted from 1970: the dates a
//! crontab walks (`crate::cron`), and the text JavaScript's
//! `Date.prototype.toISOString` gives a time (`IsoDate`), which Node-RED's
//! `date` values in the `iso` format carry. A device has no time zone, and
//! needs none for either.

use core::fmt::{self, Write};

use crate::encoding::Str;
use crate::text::SliceWriter;
use crate::{Msg, MsgError, PathSegment};

pub(crate) const SECONDS_PER_DAY: u64 = 86_400;

/// A day of the civil (proleptic Gregorian) calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Date {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
}

/// The date `days` days after 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: u64) -> Date {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date { year, month, day }
}

/// The days from 1970-01-01 to a date; `None` before 1970.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> Option<u64> {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    u64::try_from(era * 146_097 + day_of_era - 719_468).ok()
}

/// A time in milliseconds since 1970 written as `toISOString` writes it:
/// `2023-11-14T22:13:20.000Z`, in UTC, the year with four digits, or with
/// a sign and six past 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsoDate(pub u64);

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seconds, ms) = (self.0 / 1000, self.0 % 1000);
        let (days, second_of_day) = (seconds / SECONDS_PER_DAY, seconds % SECONDS_PER_DAY);
        let date = civil_from_days(days);
        if date.year > 9999 {
            write!(f, "+{:06}", date.year)?;
        } else {
            write!(f, "{:04}", date.year)?;
        }
        write!(
            f,
            "-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            date.month,
            date.day,
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
            ms
        )
    }
}

/// The longest text of an `IsoDate` (a year of more than six digits is
/// past any time a `u64` of milliseconds reaches within 300 million years).
const ISO_LEN: usize = 32;

/// The buffer an `IsoDate`'s text is written into.
pub type IsoBuffer = [u8; ISO_LEN];

/// A value that is the time as `toISOString` writes it, holding the
/// formatter it is written with: a device links the formatter only where
/// a value of its flow names it ([`IsoText::UTC`]), not in every node that
/// could give such a value.
#[derive(Clone, Copy)]
pub struct IsoText(pub for<'a> fn(u64, &'a mut IsoBuffer) -> &'a str);

impl IsoText {
    /// The one formatter: UTC, as `toISOString`.
    pub const UTC: IsoText = IsoText(utc_text);

    /// Sets the property at `path` to the text of the time `ms`.
    pub(crate) fn set<const N: usize>(
        self,
        ms: u64,
        msg: &mut Msg<N>,
        path: &[PathSegment<'_>],
    ) -> Result<(), MsgError> {
        let mut buffer = IsoDate::buffer();
        msg.set(path, &Str((self.0)(ms, &mut buffer)))
    }
}

fn utc_text(ms: u64, buffer: &mut IsoBuffer) -> &str {
    IsoDate(ms).write_into(buffer)
}

/// There is one formatter: every `IsoText` is the same value.
impl PartialEq for IsoText {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for IsoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IsoText::UTC")
    }
}

impl IsoDate {
    /// Writes the text into `buffer`, and gives it.
    pub fn write_into(self, buffer: &mut IsoBuffer) -> &str {
        let mut writer = SliceWriter::new(buffer);
        // Every time fits; a write that does not gives the empty text.
        if write!(writer, "{self}").is_err() {
            return "";
        }
        core::str::from_utf8(writer.written()).unwrap_or_default()
    }

    /// An empty buffer for `write_into`.
    pub const fn buffer() -> IsoBuffer {
        [0; ISO_LEN]
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn dates_are_the_calendars() {
        for days in (0..200_000).step_by(7) {
            let date = civil_from_days(days);
            let expected = time::Date::from_julian_day(2_440_588 + days as i32).unwrap();
            assert_eq!(
                (date.year, date.month, date.day),
                (
                    i64::from(expected.year()),
                    u32::from(u8::from(expected.month())),
                    u32::from(expected.day())
                )
            );
            assert_eq!(days_from_civil(date.year, date.month, date.day), Some(days));
        }
    }

    /// Times and the text Node.js's `new Date(ms).toISOString()` gives them.
    #[test]
    fn iso_text_is_javascripts() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_700_000_000_000, "2023-11-14T22:13:20.000Z"),
            (1_700_000_000_020, "2023-11-14T22:13:20.020Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (8_640_000_000_000_000, "+275760-09-13T00:00:00.000Z"),
        ] {
            assert_eq!(IsoDate(ms).to_string(), text, "{ms}");
            assert_eq!(IsoDate(ms).write_into(&mut IsoDate::buffer()), text);
        }
    }

    /// Each field of the text is the `time` crate's, a day and a bit apart
    /// over three centuries.
    #[test]
    fn iso_fields_are_the_calendars() {
        let format = time::format_description::well_known::Rfc3339;
        for ms in (0..10_000_000_000_000u64).step_by(86_400_000 + 3_723_001) {
            let moment =
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .unwrap();
            let expected = moment.format(&format).unwrap();
            // The `time` crate leaves out a fraction of zero and writes
            // nanoseconds; JavaScript writes milliseconds always.
            let (whole, _) = expected.split_once(['.', 'Z']).unwrap();
            let text = IsoDate(ms).to_string();
            assert_eq!(&text[..19], whole, "{ms}");
            assert_eq!(&text[19..], std::format!(".{:03}Z", ms % 1000), "{ms}");
        }
    }
}
