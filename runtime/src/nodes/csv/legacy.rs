//! The csv node's legacy parser (`spec` missing or not `"rfc"`), as
//! `70-CSV.js` runs it for flows made before Node-RED 4.0: a character
//! loop that toggles on quotes, templates split at separators outside
//! quotes with their quotes removed and trimmed, numbers by its own
//! pattern and `parseFloat`, and generated names that grow with the
//! widest row seen.

use core::fmt::{self, Write};

use super::{push, Csv, Failure, Reading, TypeError, QUOTE};
use crate::text::SliceWriter;
use crate::value::{is_js_white_space, parse_float};
use crate::ValueRef;

/// One name of a template as the legacy `clean` makes it: the text
/// between separators, without its quotes, trimmed.
#[derive(Clone, Copy)]
pub struct CleanName<'a>(&'a str);

impl CleanName<'_> {
    fn kept(&self) -> &str {
        let is_dropped = |char: char| char == QUOTE || is_js_white_space(char);
        let start = self
            .0
            .find(|char| !is_dropped(char))
            .unwrap_or(self.0.len());
        let end = self
            .0
            .char_indices()
            .rev()
            .find(|(_, char)| !is_dropped(*char))
            .map_or(start, |(at, char)| at + char.len_utf8());
        self.0.get(start..end.max(start)).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.kept().is_empty()
    }
}

impl fmt::Display for CleanName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kept()
            .chars()
            .filter(|char| *char != QUOTE)
            .try_for_each(|char| f.write_char(char))
    }
}

/// The names of a template as the legacy `clean(text, separator)` makes
/// them: the trimmed text split at each separator followed by an even
/// number of quotes.
pub fn clean_names(text: &str, separator: char) -> impl Iterator<Item = CleanName<'_>> + '_ {
    let text = text.trim_matches(is_js_white_space);
    let mut quotes_left = text.matches(QUOTE).count();
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let piece = rest?;
        for (at, char) in piece.char_indices() {
            if char == QUOTE {
                quotes_left -= 1;
            } else if char == separator && quotes_left.is_multiple_of(2) {
                rest = piece.get(at + char.len_utf8()..);
                return piece.get(..at).map(CleanName);
            }
        }
        rest = None;
        Some(CleanName(piece))
    })
}

/// Whether legacy `clean` gives a template (not just one empty name).
pub fn is_good_template(text: &str, separator: char) -> bool {
    let mut names = clean_names(text, separator);
    !matches!((names.next(), names.next()), (Some(name), None) if name.is_empty())
}

/// The legacy number pattern, `/^[-]?(?!E)(?!0\d)\d*\.?\d*(E-?\+?)?\d+$/i`.
fn is_number(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let bytes = body.as_bytes();
    if matches!(bytes.first(), Some(b'e' | b'E'))
        || matches!(bytes, [b'0', digit, ..] if digit.is_ascii_digit())
    {
        return false;
    }
    let plain = |part: &str| {
        part.bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'.')
            && part.matches('.').count() <= 1
    };
    match body.find(['e', 'E']) {
        Some(at) => {
            let (mantissa, exponent) = body.split_at(at);
            let exponent = exponent.get(1..).unwrap_or_default();
            let exponent = exponent.strip_prefix('-').unwrap_or(exponent);
            let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
            plain(mantissa)
                && !exponent.is_empty()
                && exponent.bytes().all(|byte| byte.is_ascii_digit())
        }
        None => plain(body) && body.ends_with(|char: char| char.is_ascii_digit()),
    }
}

/// What a first reading of a message teaches the node: where its header
/// line is, how many columns it names by number, whether a quote was
/// left open, and whether the last row has no line break after it (the
/// object Node-RED is still building when its loop ends, the only one it
/// keeps when it gathers a sequence's rows).
#[derive(Default)]
pub(super) struct Learned {
    pub header: Option<(usize, usize)>,
    pub generated: usize,
    pub unbalanced: bool,
    pub trailing_row: bool,
}

impl<const COLUMN_BYTES: usize, const GATHER_BYTES: usize> Csv<COLUMN_BYTES, GATHER_BYTES> {
    /// Reads the rows as the legacy loop does, writing the objects as JSON
    /// (all, separated by commas, or only the one numbered `only`); `cell`
    /// and `row` hold a cell's text and a row's members. On the first
    /// reading of a message (`reading.learning`) names are not written:
    /// the header line's are stored once it is done.
    pub(super) fn legacy_rows<W: Write>(
        &self,
        reading: &Reading<'_>,
        out: &mut W,
        cell: &mut [u8],
        row: &mut [u8],
        only: Option<usize>,
    ) -> Result<(usize, Learned), Failure> {
        let settings = &self.settings;
        let separator = settings.separator;
        let text = reading.text;
        let mut learned = Learned::default();
        let mut first = reading.first;
        let mut line_count = reading.line_count;
        let mut outside = true;
        let mut column = 0;
        let (mut cell_len, mut cell_null) = (0, false);
        let mut row_len = 0;
        let mut members = 0;
        let mut count = 0;
        let mut header_start = None;
        let mut previous: Option<char> = None;
        for (at, char) in text.char_indices() {
            let is_last = at + char.len_utf8() == text.len();
            let line_break = char == '\n' || char == '\r';
            if first && line_count < settings.skip as f64 {
                if char == '\n' {
                    line_count += 1.0;
                }
            } else if settings.header_in && first {
                let start = *header_start.get_or_insert(at);
                if line_break || is_last {
                    let end = if is_last { text.len() } else { at };
                    learned.header = Some((start, end));
                    first = false;
                }
            } else if char == QUOTE {
                outside = !outside;
                if previous == Some(QUOTE) && !outside {
                    push(cell, &mut cell_len, QUOTE);
                }
            } else if char == separator && outside {
                // An empty cell between separators, or after a line feed,
                // is null; Node-RED reads the character before the first
                // one, which is not there.
                match previous {
                    None => return Err(Failure::TypeError(TypeError::UndefinedMethod("includes"))),
                    Some(before) if before == separator || before == '\n' => cell_null = true,
                    Some(_) => {}
                }
                self.legacy_cell(
                    reading,
                    &mut learned,
                    column,
                    (cell, cell_len, cell_null),
                    row,
                    &mut row_len,
                    &mut members,
                )?;
                column += 1;
                (cell_len, cell_null) = (0, is_last);
            } else if line_break && outside {
                if previous == Some(separator) {
                    cell_null = true;
                }
                self.legacy_cell(
                    reading,
                    &mut learned,
                    column,
                    (cell, cell_len, cell_null),
                    row,
                    &mut row_len,
                    &mut members,
                )?;
                end_row(out, row, &mut row_len, &mut members, &mut count, only)?;
                column = 0;
                (cell_len, cell_null) = (0, false);
                outside = true;
            } else {
                push(cell, &mut cell_len, char);
            }
            previous = Some(char);
        }
        learned.unbalanced = !outside;
        self.legacy_cell(
            reading,
            &mut learned,
            column,
            (cell, cell_len, cell_null),
            row,
            &mut row_len,
            &mut members,
        )?;
        let before = count;
        end_row(out, row, &mut row_len, &mut members, &mut count, only)?;
        learned.trailing_row = count > before;
        Ok((count, learned))
    }

    /// The template's names now: the header line's, read in this reading
    /// and not yet stored, else the node's.
    fn legacy_names_good(&self, reading: &Reading<'_>, learned: &Learned) -> bool {
        match learned.header.filter(|_| reading.learning) {
            Some((start, end)) => is_good_template(
                reading.text.get(start..end).unwrap_or_default(),
                self.settings.separator,
            ),
            None => self.columns().any(),
        }
    }

    /// A cell at the end of its column (`k[j]`): a member of the row's
    /// object when its column is named and the node keeps such a value.
    #[allow(clippy::too_many_arguments)]
    fn legacy_cell(
        &self,
        reading: &Reading<'_>,
        learned: &mut Learned,
        column: usize,
        (cell, cell_len, null): (&[u8], usize, bool),
        row: &mut [u8],
        row_len: &mut usize,
        members: &mut usize,
    ) -> Result<(), Failure> {
        let settings = &self.settings;
        let good = self.legacy_names_good(reading, learned);
        if !good {
            learned.generated = learned.generated.max(column + 1);
        }
        let named = !good
            || match learned.header.filter(|_| reading.learning) {
                Some((start, end)) => clean_names(
                    reading.text.get(start..end).unwrap_or_default(),
                    settings.separator,
                )
                .nth(column)
                .is_some_and(|name| !name.is_empty()),
                None => self.columns().names_column(column),
            };
        if !named {
            return Ok(());
        }
        let content = cell
            .get(..cell_len)
            .and_then(|bytes| core::str::from_utf8(bytes).ok())
            .unwrap_or_default();
        let trimmed = content.trim_matches(is_js_white_space);
        let value = if null {
            ValueRef::Null
        } else if settings.parse_numbers && is_number(trimmed) {
            ValueRef::Number(parse_float(trimmed))
        } else {
            ValueRef::Str(content)
        };
        let keep = match value {
            ValueRef::Null => settings.include_null_values,
            ValueRef::Str("") => settings.include_empty_strings,
            _ => true,
        };
        if !keep {
            return Ok(());
        }
        if reading.learning {
            // Only counted: the names are stored after this reading.
            *members += 1;
            return Ok(());
        }
        let mut writer = crate::text::SliceWriter::new(row.get_mut(*row_len..).unwrap_or_default());
        if *members > 0 {
            writer.write_char(',')?;
        }
        if good {
            let columns = self.columns();
            let name = columns.get(column).flatten().unwrap_or_default();
            ValueRef::Str(name).write_json(&mut writer)?;
        } else {
            write!(writer, "\"col{}\"", column + 1)?;
        }
        writer.write_char(':')?;
        value.write_json(&mut writer)?;
        *row_len += writer.written().len();
        *members += 1;
        Ok(())
    }

    /// `msg.columns` as the legacy node writes it: the names that are not
    /// empty, in quotes when they hold a comma (quotes inside left as they
    /// are), joined by commas; `col1`... when the template names none.
    pub(super) fn write_legacy_column_string<W: Write>(&self, out: &mut W) -> fmt::Result {
        let mut first = true;
        let mut name = |out: &mut W, name: &str| -> fmt::Result {
            if !core::mem::take(&mut first) {
                out.write_char(',')?;
            }
            if name.contains(',') {
                write!(out, "\"{name}\"")
            } else {
                out.write_str(name)
            }
        };
        if self.columns().any() {
            for each in self
                .columns()
                .names()
                .flatten()
                .filter(|each| !each.is_empty())
            {
                name(out, each)?;
            }
        } else {
            for index in 0..self.legacy_generated {
                write!(out, "{}col{}", if index > 0 { "," } else { "" }, index + 1)?;
            }
        }
        Ok(())
    }
}

impl<const COLUMN_BYTES: usize, const GATHER_BYTES: usize> Csv<COLUMN_BYTES, GATHER_BYTES> {
    /// Objects or arrays to CSV text, as the legacy node writes them.
    pub(super) fn legacy_write_csv<const N: usize, O: crate::Outputs<N>>(
        &mut self,
        device: &crate::Device,
        msg: &mut crate::Msg<N>,
        out: &mut O,
        original: &crate::Msg<N>,
        payload: ValueRef<'_>,
    ) -> Result<(), Failure> {
        let settings = self.settings;
        let separator = settings.separator;
        let items = match payload {
            ValueRef::Array(items) => Some(items),
            _ => None,
        };
        let single = [payload];
        let rows = || -> super::PayloadRows<'_> {
            match items {
                Some(items) => super::PayloadRows::Items(items),
                None => super::PayloadRows::One(&single),
            }
        };
        let first = rows().iter().next();
        let mut text = [0; N];
        let mut writer = SliceWriter::new(&mut text);
        let mut scratch = [0; N];
        let mut line = super::line_starts(settings.line_end);
        if settings.header_out != super::CsvHeader::Never && !self.header_sent {
            if !self.columns().any() {
                match original.property("columns") {
                    Some(columns) => self.store_legacy_msg_columns::<N>(columns)?,
                    None => match first {
                        Some(ValueRef::Object(members)) => self.store_keys(&members)?,
                        Some(ValueRef::Array(items)) => self.store_indices(items.len())?,
                        Some(ValueRef::Str(text)) => {
                            self.store_indices(text.encode_utf16().count())?
                        }
                        Some(ValueRef::Null) | None => {
                            return Err(Failure::TypeError(TypeError::NullToObject))
                        }
                        Some(_) => self.store_indices(0)?,
                    },
                }
            }
            line(&mut writer)?;
            for (index, name) in self.columns().names().enumerate() {
                if index > 0 {
                    writer.write_char(separator)?;
                }
                let name = name.unwrap_or_default();
                if name.contains(separator) {
                    write!(writer, "\"{name}\"")?;
                } else {
                    writer.write_str(name)?;
                }
            }
            if settings.header_out == super::CsvHeader::Once {
                self.header_sent = true;
            }
        }
        for row in rows().iter() {
            line(&mut writer)?;
            match row {
                ValueRef::Array(_) | ValueRef::Str(_) | ValueRef::Number(_) | ValueRef::Bool(_) => {
                    // A row of values; a value among the rows makes the
                    // whole payload one row, and the last.
                    let (cells, whole) = match (row, items) {
                        (ValueRef::Array(cells), _) => (cells, false),
                        (_, Some(items)) => (items, true),
                        _ => {
                            return Err(Failure::Text(
                                "This node only handles CSV strings or js objects.",
                            ))
                        }
                    };
                    for (index, cell) in cells.iter().enumerate() {
                        if index > 0 {
                            writer.write_char(separator)?;
                        }
                        if cell == ValueRef::Null {
                            return Err(Failure::TypeError(TypeError::NullMethod("toString")));
                        }
                        legacy_quoted(&mut writer, separator, &mut scratch, false, |out| {
                            cell.write_js_text(out)
                        })?;
                    }
                    if whole {
                        break;
                    }
                }
                ValueRef::Object(members) => {
                    if !self.columns().any() {
                        if let Some(columns) = original.property("columns") {
                            self.store_legacy_msg_columns::<N>(columns)?;
                        }
                    }
                    if self.columns().any() {
                        for (index, name) in self.columns().names().enumerate() {
                            if index > 0 {
                                writer.write_char(separator)?;
                            }
                            let Some(name) = name.filter(|name| !name.is_empty()) else {
                                continue;
                            };
                            let cell = members.get(name);
                            legacy_quoted(&mut writer, separator, &mut scratch, false, |out| {
                                match cell {
                                    Some(cell) => super::write_ensure_string(out, cell),
                                    None => Ok(()),
                                }
                            })?;
                        }
                        continue;
                    }
                    if !self.warned {
                        self.warned = true;
                        self.info.log(
                            device,
                            format_args!("No columns template specified for object -> CSV."),
                        );
                    }
                    let Some(ValueRef::Object(first_members)) = first else {
                        continue;
                    };
                    let mut first_cell = true;
                    for (key, cell) in super::cells_by_keys(first_members, members) {
                        if !core::mem::take(&mut first_cell) {
                            writer.write_char(separator)?;
                        }
                        legacy_quoted(
                            &mut writer,
                            separator,
                            &mut scratch,
                            key.contains('\n'),
                            |out| cell.write_js_text(out),
                        )?;
                    }
                }
                // A `null` row: Node-RED reads its first named column, or
                // (with no template) calls its `hasOwnProperty` for each key
                // of the first row, of which a `null` first row has none.
                ValueRef::Null => {
                    let named = |name: Option<&str>| name.is_some_and(|name| !name.is_empty());
                    if let Some(index) = self.columns().names().position(named) {
                        return Err(Failure::TypeError(TypeError::NullColumn(index)));
                    }
                    if let Some(ValueRef::Object(first_members)) = first {
                        if first_members.iter().next().is_some() {
                            return Err(Failure::TypeError(TypeError::NullMethod(
                                "hasOwnProperty",
                            )));
                        }
                    }
                }
                _ => {
                    return Err(Failure::Text(
                        "a Buffer payload is not turned into CSV on a device",
                    ))
                }
            }
        }
        writer.write_str(settings.line_end)?;
        let csv = core::str::from_utf8(writer.written()).unwrap_or_default();
        msg.set_property("payload", &crate::encoding::Str(csv))
            .map_err(|_| crate::ErrorKind::Oversize)?;
        let mut columns = [0; N];
        let mut column_writer = SliceWriter::new(&mut columns);
        for (index, name) in self.columns().names().enumerate() {
            if index > 0 {
                column_writer.write_char(',')?;
            }
            let name = name.unwrap_or_default();
            if name.contains(',') {
                write!(column_writer, "\"{name}\"")?;
            } else {
                column_writer.write_str(name)?;
            }
        }
        let column_text = core::str::from_utf8(column_writer.written()).unwrap_or_default();
        msg.set_property("columns", &crate::encoding::Str(column_text))
            .map_err(|_| crate::ErrorKind::Oversize)?;
        out.send(0, msg);
        Ok(())
    }

    /// Stores the names of `msg.columns || ""` as legacy `clean` reads
    /// them, with commas.
    fn store_legacy_msg_columns<const N: usize>(
        &mut self,
        columns: ValueRef<'_>,
    ) -> Result<(), Failure> {
        let mut text = [0; N];
        let mut writer = SliceWriter::new(&mut text);
        if columns.is_truthy() {
            columns.write_js_text(&mut writer)?;
        }
        let text = core::str::from_utf8(writer.written()).unwrap_or_default();
        Ok(self.store_clean(text, ',')?)
    }
}

/// A cell as the legacy node quotes it: quotes doubled and the whole in
/// quotes when it holds one; else in quotes when it holds the separator,
/// a line feed, or (`key_has_line_feed`) its key holds one.
fn legacy_quoted<W: Write>(
    out: &mut W,
    separator: char,
    scratch: &mut [u8],
    key_has_line_feed: bool,
    write: impl FnOnce(&mut SliceWriter<'_>) -> fmt::Result,
) -> fmt::Result {
    let mut cell = SliceWriter::new(scratch);
    write(&mut cell)?;
    let cell = core::str::from_utf8(cell.written()).map_err(|_| fmt::Error)?;
    if cell.contains(QUOTE) {
        out.write_char(QUOTE)?;
        for part in cell.split_inclusive(QUOTE) {
            out.write_str(part)?;
            if part.ends_with(QUOTE) {
                out.write_char(QUOTE)?;
            }
        }
        out.write_char(QUOTE)
    } else if cell.contains(separator) || cell.contains('\n') || key_has_line_feed {
        write!(out, "\"{cell}\"")
    } else {
        out.write_str(cell)
    }
}

/// A row at its end: an object if it has members (`JSON.stringify(o) !==
/// "{}"`).
fn end_row<W: Write>(
    out: &mut W,
    row: &[u8],
    row_len: &mut usize,
    members: &mut usize,
    count: &mut usize,
    only: Option<usize>,
) -> fmt::Result {
    if core::mem::take(members) > 0 {
        if only.is_none_or(|only| only == *count) {
            if only.is_none() && *count > 0 {
                out.write_char(',')?;
            }
            out.write_char('{')?;
            out.write_str(
                row.get(..*row_len)
                    .and_then(|bytes| core::str::from_utf8(bytes).ok())
                    .unwrap_or_default(),
            )?;
            out.write_char('}')?;
        }
        *count += 1;
    }
    *row_len = 0;
    Ok(())
}
