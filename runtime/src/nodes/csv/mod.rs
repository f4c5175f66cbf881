//! `csv`: CSV text to objects and objects to CSV text, as Node-RED 4's
//! RFC 4180 mode does (`spec: "rfc"` in `70-CSV.js` with `lib/csv`), step
//! for step: its reader's lenient and strict rules, which rows and cells
//! make objects, its quoting, the header line, `msg.parts`. `legacy.rs` is
//! the parser of nodes without `spec`; the two share how rows become
//! messages (`send_rows`) and the columns a node remembers.
//!
//! Node-RED keeps the columns it learns (from a header line, `msg.columns`
//! or an object's keys) for later messages. A device keeps them in a
//! buffer of `COLUMN_BYTES` bytes chosen at build time; columns that do not
//! fit are an `ErrorKind::Oversize` and the message goes no further.

use core::fmt::{self, Write};

mod legacy;
pub use legacy::{clean_names, is_good_template as is_good_legacy_template};

use super::catch::error_text;
use crate::device::ErrorText;
use crate::json::value_from_json_text;
use crate::text::SliceWriter;
use crate::value::{number_from_str, Members};
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, NodeStatus, Outputs, ValueRef};

/// The quote character: Node-RED's node always uses `"`.
pub const QUOTE: char = '"';

/// Which header line goes before CSV text (Node-RED's `hdrout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvHeader {
    /// None (`"none"`).
    Never,
    /// Before every message's rows (`"all"`).
    Always,
    /// Before the first message's rows, and again after `msg.reset`
    /// (`"once"`).
    Once,
}

/// The configuration of a csv node, as the compiler reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CsvSettings {
    /// Node-RED's legacy parser (`spec` not `"rfc"`), not RFC 4180's.
    pub legacy: bool,
    /// The separator between cells (`sep`).
    pub separator: char,
    /// What ends a line of CSV the node writes (`ret`).
    pub line_end: &'static str,
    /// The column names (`temp`, read as one strict CSV row; `None` is an
    /// empty cell); empty when there are none.
    pub template: &'static [Option<&'static str>],
    /// All rows go in one message (`multi` "mult"), not one a message.
    pub all_rows: bool,
    /// The first line of CSV text names the columns (`hdrin`).
    pub header_in: bool,
    pub header_out: CsvHeader,
    /// Lines skipped at the start of CSV text (`skip`).
    pub skip: usize,
    /// Cells that read as numbers become numbers (`strings`).
    pub parse_numbers: bool,
    pub include_empty_strings: bool,
    pub include_null_values: bool,
}

/// Why CSV text did not read, with `lib/csv`'s messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvError {
    UnquotedQuote,
    DataAfterClose,
    Unclosed,
}

impl CsvError {
    /// The `toString()` of `lib/csv`'s error, its class and its message,
    /// which Node-RED's node gives catch nodes.
    pub fn shown(self) -> &'static str {
        match self {
            CsvError::UnquotedQuote => {
                "UnquotedQuoteError: Quote found in the middle of an unquoted field"
            }
            CsvError::DataAfterClose => "DataAfterCloseError: Data found after closing quote",
            CsvError::Unclosed => "ParseError: Missing quote, unclosed cell",
        }
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(error_text(self.shown()))
    }
}

/// Reads CSV text a row at a time, as `lib/csv`'s `parse` does: any line
/// break (`\r`, `\n`, `\r\n`, and `\n\n` as one) ends a row, a row with no
/// cells is no row, an empty cell is `None` unless it was quoted, and in
/// lenient mode a stray quote is kept or dropped as `parse` keeps it.
struct Rows<'t> {
    text: &'t str,
    at: usize,
    separator: char,
    strict: bool,
}

impl<'t> Rows<'t> {
    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..)?.chars().next()
    }

    /// Reads the next line, handing each cell to `cell` with its index, in
    /// `scratch` (which holds the longest cell). Returns how many cells the
    /// line had (0 for an empty line), or `None` at the end of the text.
    fn line(
        &mut self,
        scratch: &mut [u8],
        mut cell: impl FnMut(usize, Option<&str>),
    ) -> Result<Option<usize>, CsvError> {
        if self.at >= self.text.len() {
            return Ok(None);
        }
        let mut cells = 0;
        let mut len = 0;
        let (mut new_cell, mut in_quote, mut closed) = (true, false, false);
        // `finaliseCell`: an empty cell is null unless something (a pair
        // of quotes) was read for it.
        let mut finish = |scratch: &[u8], len: usize, new_cell: bool, cells: &mut usize| {
            let text = scratch
                .get(..len)
                .and_then(|bytes| core::str::from_utf8(bytes).ok())
                .unwrap_or_default();
            cell(*cells, (!text.is_empty() || !new_cell).then_some(text));
            *cells += 1;
        };
        while let Some(char) = self.char_at(self.at) {
            let next = self.char_at(self.at + char.len_utf8());
            if in_quote {
                self.at += char.len_utf8();
                if char == QUOTE && next == Some(QUOTE) {
                    push(scratch, &mut len, QUOTE);
                    self.at += 1;
                } else if char == QUOTE {
                    in_quote = false;
                    closed = true;
                    new_cell = false;
                    continue;
                } else {
                    push(scratch, &mut len, char);
                }
                new_cell = false;
                closed = false;
            } else if char == self.separator {
                finish(scratch, len, new_cell, &mut cells);
                len = 0;
                self.at += char.len_utf8();
                new_cell = true;
                closed = false;
            } else if char == QUOTE {
                if new_cell {
                    in_quote = true;
                    new_cell = false;
                    closed = false;
                    self.at += 1;
                } else if self.strict {
                    return Err(CsvError::UnquotedQuote);
                } else {
                    // Kept when more of the cell follows, and a second
                    // quote right after it is dropped.
                    self.at += 1;
                    if next
                        .is_some_and(|next| next != '\n' && next != '\r' && next != self.separator)
                    {
                        push(scratch, &mut len, QUOTE);
                        if next == Some(QUOTE) {
                            self.at += 1;
                        }
                    }
                }
            } else if char == '\n' || char == '\r' {
                self.at += if next == Some('\n') { 2 } else { 1 };
                break;
            } else if closed {
                if self.strict {
                    return Err(CsvError::DataAfterClose);
                }
                // `parse` steps back onto the closing quote, which it then
                // reads as a quote in the middle of a cell.
                self.at -= 1;
                closed = false;
            } else {
                push(scratch, &mut len, char);
                new_cell = false;
                self.at += char.len_utf8();
            }
        }
        if self.strict && in_quote {
            return Err(CsvError::Unclosed);
        }
        // `finaliseRow` finishes the last cell only if it has characters.
        if len > 0 {
            finish(scratch, len, new_cell, &mut cells);
        }
        Ok(Some(cells))
    }
}

/// Appends a character to a cell. The scratch holds the whole text, so a
/// cell, never longer, always fits.
fn push(scratch: &mut [u8], len: &mut usize, char: char) {
    let mut bytes = [0; 4];
    let encoded = char.encode_utf8(&mut bytes).as_bytes();
    if let Some(slot) = scratch.get_mut(*len..*len + encoded.len()) {
        slot.copy_from_slice(encoded);
        *len += encoded.len();
    }
}

/// Reads a column template as Node-RED reads `temp` and `msg.columns`:
/// CSV text, strictly, whose one row names the columns. Calls `name` for
/// each; returns whether there was exactly one row.
pub fn read_columns(
    text: &str,
    separator: char,
    scratch: &mut [u8],
    mut name: impl FnMut(Option<&str>),
) -> Result<bool, CsvError> {
    let mut rows = Rows {
        text,
        at: 0,
        separator,
        strict: true,
    };
    let mut n_rows = 0;
    // The first row's names are given only once it is known to be the one.
    let start = rows.at;
    while let Some(cells) = rows.line(scratch, |_, _| {})? {
        n_rows += usize::from(cells > 0);
    }
    if n_rows != 1 {
        return Ok(false);
    }
    rows.at = start;
    while let Some(cells) = rows.line(scratch, |_, cell| name(cell))? {
        if cells > 0 {
            break;
        }
    }
    Ok(true)
}

/// What a writer of CSV text calls as each line starts: the line end
/// goes between lines, so before each but the first.
fn line_starts(line_end: &str) -> impl FnMut(&mut SliceWriter<'_>) -> fmt::Result + '_ {
    let mut first = true;
    move |writer| {
        if !first {
            writer.write_str(line_end)?;
        }
        first = false;
        Ok(())
    }
}

/// Writes a cell as `lib/csv`'s `quoteCell` does: quotes doubled, and the
/// whole in quotes when it holds a quote, the separator or a line break.
fn write_quoted<W: Write>(out: &mut W, cell: &str, separator: char) -> fmt::Result {
    let quoted = cell.contains([QUOTE, separator, '\n', '\r']);
    if quoted {
        out.write_char(QUOTE)?;
    }
    for part in cell.split_inclusive(QUOTE) {
        out.write_str(part)?;
        if part.ends_with(QUOTE) {
            out.write_char(QUOTE)?;
        }
    }
    if quoted {
        out.write_char(QUOTE)?;
    }
    Ok(())
}

/// Writes `RED.util.ensureString(value)`: text as it is, a buffer as its
/// text, other objects (and `null`) as JSON, the rest as `String(value)`.
fn write_ensure_string<W: Write>(out: &mut W, value: ValueRef<'_>) -> fmt::Result {
    match value {
        ValueRef::Str(text) => out.write_str(text),
        ValueRef::Bytes(_) => value.write_js_text(out),
        ValueRef::Null | ValueRef::Array(_) | ValueRef::Object(_) => value.write_json(out),
        other => other.write_js_text(out),
    }
}

/// A cell as Node-RED writes a value it looks up: `ensureString` of it
/// (empty when missing), quoted by `quoteCell`.
fn write_cell<W: Write>(
    out: &mut W,
    separator: char,
    scratch: &mut [u8],
    cell: Option<ValueRef<'_>>,
) -> fmt::Result {
    quoted_text(out, separator, scratch, |text| match cell {
        Some(cell) => write_ensure_string(text, cell),
        None => Ok(()),
    })
}

/// A cell written as `quoteCell` writes it, from what a closure writes.
fn quoted_text<W: Write>(
    out: &mut W,
    separator: char,
    scratch: &mut [u8],
    write: impl FnOnce(&mut SliceWriter<'_>) -> fmt::Result,
) -> fmt::Result {
    let mut cell = SliceWriter::new(scratch);
    write(&mut cell)?;
    write_quoted(
        out,
        core::str::from_utf8(cell.written()).map_err(|_| fmt::Error)?,
        separator,
    )
}

/// The names Node-RED keeps as `template`: each `None` (an empty cell of a
/// template, which names no column) or a name, packed with a `u16` length
/// (`NO_NAME` for `None`).
struct ColumnStore<const BYTES: usize> {
    bytes: [u8; BYTES],
    len: usize,
}

const NO_NAME: u16 = u16::MAX;

impl<const BYTES: usize> ColumnStore<BYTES> {
    const fn new() -> Self {
        Self {
            bytes: [0; BYTES],
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn push(&mut self, name: Option<&str>) -> Result<(), ErrorKind> {
        let text = name.unwrap_or_default();
        let field = match name {
            Some(text) => u16::try_from(text.len()).ok().filter(|len| *len != NO_NAME),
            None => Some(NO_NAME),
        }
        .ok_or(ErrorKind::Oversize)?;
        let end = self.len + 2 + text.len();
        let slot = self
            .bytes
            .get_mut(self.len..end)
            .ok_or(ErrorKind::Oversize)?;
        let (head, tail) = slot.split_at_mut(2);
        head.copy_from_slice(&field.to_le_bytes());
        tail.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }

    fn names(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        let mut rest = self.bytes.get(..self.len).unwrap_or_default();
        core::iter::from_fn(move || {
            let field = u16::from_le_bytes([*rest.first()?, *rest.get(1)?]);
            let (len, name) = if field == NO_NAME {
                (0, None)
            } else {
                let len = usize::from(field);
                (len, core::str::from_utf8(rest.get(2..2 + len)?).ok())
            };
            rest = rest.get(2 + len..)?;
            Some(name)
        })
    }
}

/// Where the current column names are.
enum Columns<'a, const BYTES: usize> {
    Configured(&'static [Option<&'static str>]),
    Stored(&'a ColumnStore<BYTES>),
}

impl<const BYTES: usize> Columns<'_, BYTES> {
    fn names(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        let (configured, stored) = match self {
            Columns::Configured(names) => (Some(names.iter().copied()), None),
            Columns::Stored(store) => (None, Some(store.names())),
        };
        configured
            .into_iter()
            .flatten()
            .chain(stored.into_iter().flatten())
    }

    fn get(&self, index: usize) -> Option<Option<&str>> {
        self.names().nth(index)
    }

    fn len(&self) -> usize {
        self.names().count()
    }

    /// Whether the column at `index` has a name (not `None`, not empty).
    fn names_column(&self, index: usize) -> bool {
        self.get(index)
            .flatten()
            .is_some_and(|name| !name.is_empty())
    }

    /// Node-RED's `hasTemplate`: some names, and not just one empty one.
    fn any(&self) -> bool {
        let mut names = self.names();
        !matches!(
            (names.next(), names.next()),
            (None, _) | (Some(Some("")), None)
        )
    }

    /// `msg.columns` as Node-RED writes it: the names that are not empty,
    /// quoted for commas, joined by commas.
    fn write_column_string<W: Write>(&self, out: &mut W) -> fmt::Result {
        let mut first = true;
        for name in self.names().flatten().filter(|name| !name.is_empty()) {
            if !first {
                out.write_char(',')?;
            }
            first = false;
            write_quoted(out, name, ',')?;
        }
        Ok(())
    }
}

/// A csv node. `COLUMN_BYTES` is the room for the columns it learns;
/// `GATHER_BYTES` the room for rows gathered from several messages (with
/// `all_rows`, one line a message, until `msg.parts` says the last has
/// come), as JSON text; 0 when the node sends rows a message each.
pub struct Csv<const COLUMN_BYTES: usize, const GATHER_BYTES: usize> {
    pub info: NodeInfo,
    settings: CsvSettings,
    gathered: [u8; GATHER_BYTES],
    gathered_len: usize,
    /// Rows were lost for want of room since the last gathered message.
    gather_overflow: bool,
    /// The columns learnt at run time, when `stored` (else the template's).
    columns: ColumnStore<COLUMN_BYTES>,
    stored: bool,
    header_sent: bool,
    /// The warning about objects without columns goes out once.
    warned: bool,
    /// How many `colN` names the legacy parser has given, when its
    /// template names none.
    legacy_generated: usize,
}

/// What a message's CSV text is read as.
struct Reading<'t> {
    text: &'t str,
    /// Where the data rows start.
    at: usize,
    /// For the legacy parser, which skips lines and reads the header line
    /// itself: whether the text starts a sequence, and the lines before.
    first: bool,
    line_count: f64,
    /// The legacy parser's first reading of a message, which learns its
    /// header line.
    learning: bool,
}

impl<const COLUMN_BYTES: usize, const GATHER_BYTES: usize> Csv<COLUMN_BYTES, GATHER_BYTES> {
    pub const fn new(info: NodeInfo, settings: CsvSettings) -> Self {
        Self {
            info,
            settings,
            gathered: [0; GATHER_BYTES],
            gathered_len: 0,
            gather_overflow: false,
            columns: ColumnStore::new(),
            stored: false,
            header_sent: false,
            warned: false,
            legacy_generated: 0,
        }
    }

    fn columns(&self) -> Columns<'_, COLUMN_BYTES> {
        if self.stored {
            Columns::Stored(&self.columns)
        } else {
            Columns::Configured(self.settings.template)
        }
    }

    fn fail(&self, device: &Device, kind: ErrorKind, error: impl fmt::Display) {
        self.info.log(device, format_args!("{error}"));
        device.report(kind);
    }

    /// As [`Self::fail`], with the `toString()` of Node-RED's error,
    /// which catch nodes get; its message is logged.
    fn fail_as(&self, device: &Device, kind: ErrorKind, shown: &'static str) {
        self.info.log(device, format_args!("{}", error_text(shown)));
        device.report_error(kind, shown);
    }

    /// Stores the names a strict reading of `text` gives, as Node-RED's
    /// `columnStringToTemplateArray` does; none when it is not one row.
    fn store_column_string<const N: usize>(
        &mut self,
        text: &str,
        separator: char,
    ) -> Result<(), Failure> {
        let mut scratch = [0; N];
        let mut result = Ok(());
        self.columns.clear();
        self.stored = true;
        let columns = &mut self.columns;
        let one_row = read_columns(text, separator, &mut scratch, |name| {
            if result.is_ok() {
                result = columns.push(name);
            }
        })
        .map_err(Failure::Csv)?;
        result.map_err(Failure::Kind)?;
        if !one_row {
            self.columns.clear();
            self.columns.push(Some("")).map_err(Failure::Kind)?;
        }
        Ok(())
    }

    /// Stores the names of `msg.columns || ""`, read with commas.
    fn store_msg_columns<const N: usize>(&mut self, columns: ValueRef<'_>) -> Result<(), Failure> {
        let mut text = [0; N];
        let mut writer = SliceWriter::new(&mut text);
        if columns.is_truthy() {
            columns.write_js_text(&mut writer)?;
        }
        let text = core::str::from_utf8(writer.written()).unwrap_or_default();
        self.store_column_string::<N>(text, ',')
    }

    fn store_keys(&mut self, members: &Members<'_>) -> Result<(), ErrorKind> {
        self.columns.clear();
        self.stored = true;
        for (key, _) in members.iter() {
            self.columns.push(Some(key))?;
        }
        Ok(())
    }

    /// Stores the names legacy `clean` makes of `text`; none when it makes
    /// one empty name.
    fn store_clean(&mut self, text: &str, separator: char) -> Result<(), ErrorKind> {
        self.columns.clear();
        self.stored = true;
        self.legacy_generated = 0;
        if !legacy::is_good_template(text, separator) {
            return Ok(());
        }
        for name in clean_names(text, separator) {
            let mut bytes = [0; 256];
            let mut writer = SliceWriter::new(&mut bytes);
            write!(writer, "{name}").map_err(|_| ErrorKind::Oversize)?;
            let name = core::str::from_utf8(writer.written()).unwrap_or_default();
            self.columns.push(Some(name))?;
        }
        Ok(())
    }

    fn store_indices(&mut self, len: usize) -> Result<(), ErrorKind> {
        self.columns.clear();
        self.stored = true;
        for index in 0..len {
            let mut digits = [0u8; 20];
            let mut writer = SliceWriter::new(&mut digits);
            write!(writer, "{index}").map_err(|_| ErrorKind::Oversize)?;
            let text = core::str::from_utf8(writer.written()).unwrap_or_default();
            self.columns.push(Some(text))?;
        }
        Ok(())
    }
}

/// Node-RED's English text (`csv.errors.csv_js`) for a payload that is
/// neither text nor an object, which RFC 4180 mode shows as its status.
const NOT_CSV: &str = "This node only handles CSV strings or js objects.";

/// Node-RED's English text (`csv.errors.bad_template`) for a header row
/// that does not read, which RFC 4180 mode shows as its status.
const BAD_TEMPLATE: &str = "Malformed columns template.";

/// The red dot RFC 4180 mode shows as it fails, with Node-RED's text.
fn failed(text: &'static str) -> NodeStatus<'static> {
    NodeStatus::new("red", "dot").with_text(text)
}

/// Reports a status, for a node that status nodes watch.
fn report_status<const N: usize, O: Outputs<N>>(status: NodeStatus<'_>, out: &mut O) {
    if out.reports_status() {
        out.status(&status);
    }
}

/// Why a message went no further.
enum Failure {
    /// `lib/csv`'s error, whose message Node-RED reports.
    Csv(CsvError),
    Kind(ErrorKind),
    /// An error of Node-RED's own, as its `toString()` shows it.
    NodeRed(&'static str),
    /// An error of the device's own.
    Text(&'static str),
    /// A `TypeError` V8 throws inside Node-RED's node.
    TypeError(TypeError),
}

/// The `TypeError`s V8 throws inside Node-RED's csv node.
#[derive(Clone, Copy, Debug)]
enum TypeError {
    /// `Object.keys(null)` (or of `undefined`).
    NullToObject,
    /// A method read of `null`.
    NullMethod(&'static str),
    /// The column numbered so, read of a `null` row.
    NullColumn(usize),
    /// A method read of `undefined`.
    UndefinedMethod(&'static str),
}

impl<const COLUMN_BYTES: usize, const GATHER_BYTES: usize> Csv<COLUMN_BYTES, GATHER_BYTES> {
    /// A `TypeError`'s `toString()`, as Node.js 20 words it.
    fn write_type_error(&self, out: &mut impl Write, error: TypeError) -> fmt::Result {
        out.write_str("TypeError: ")?;
        match error {
            TypeError::NullToObject => out.write_str("Cannot convert undefined or null to object"),
            TypeError::NullMethod(name) => {
                write!(out, "Cannot read properties of null (reading '{name}')")
            }
            TypeError::NullColumn(index) => {
                let columns = self.columns();
                let name = columns.get(index).flatten().unwrap_or_default();
                write!(out, "Cannot read properties of null (reading '{name}')")
            }
            TypeError::UndefinedMethod(name) => {
                write!(
                    out,
                    "Cannot read properties of undefined (reading '{name}')"
                )
            }
        }
    }
}

impl From<ErrorKind> for Failure {
    fn from(kind: ErrorKind) -> Self {
        Failure::Kind(kind)
    }
}

impl From<fmt::Error> for Failure {
    fn from(_: fmt::Error) -> Self {
        Failure::Kind(ErrorKind::Oversize)
    }
}

impl<const COLUMN_BYTES: usize, const GATHER_BYTES: usize> Csv<COLUMN_BYTES, GATHER_BYTES> {
    pub fn input<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        self.input_done(device, msg, out);
    }

    /// As [`Csv::input`]; returns whether Node-RED's node calls `done()`
    /// with no error for this message: on every path but an error and, in
    /// RFC 4180 mode, text that is all lines skipped (the node returns
    /// without calling it).
    pub fn input_done<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) -> bool {
        // RFC 4180 mode clears its status as each message comes.
        if !self.settings.legacy {
            report_status(NodeStatus::CLEAR, out);
        }
        let reset = msg.property("reset").is_some();
        if reset {
            self.header_sent = false;
        }
        let result = match msg.payload() {
            None => {
                if !reset {
                    out.send(0, msg);
                }
                return true;
            }
            Some(ValueRef::Str(_)) => self.read_csv(device, msg, out),
            // `null` is an object to Node-RED, a row of its own.
            Some(ValueRef::Array(_) | ValueRef::Object(_) | ValueRef::Null) => {
                self.write_csv(device, msg, out).map(|()| true)
            }
            Some(ValueRef::Bytes(_)) => Err(Failure::Text(
                "a Buffer payload is not turned into CSV on a device",
            )),
            // The legacy node only warns.
            Some(_) if self.settings.legacy => {
                self.info.log(
                    device,
                    format_args!("This node only handles CSV strings or js objects."),
                );
                return true;
            }
            Some(_) => {
                report_status(failed(NOT_CSV), out);
                Err(Failure::NodeRed(
                    "Error: This node only handles CSV strings or js objects.",
                ))
            }
        };
        let failure = match result {
            Ok(done) => return done,
            Err(failure) => failure,
        };
        match failure {
            Failure::Csv(error) => {
                self.fail_as(device, ErrorKind::BadValue, error.shown());
            }
            Failure::NodeRed(text) => self.fail_as(device, ErrorKind::BadValue, text),
            Failure::Text(text) => self.fail(device, ErrorKind::BadValue, text),
            Failure::TypeError(error) => {
                let mut text = ErrorText::new();
                // An `ErrorText` never fails a write; it cuts instead.
                let _ = self.write_type_error(&mut text, error);
                self.info
                    .log(device, format_args!("{}", error_text(text.as_str())));
                device.report_error_text(ErrorKind::BadValue, text);
            }
            Failure::Kind(kind) => {
                let what = match kind {
                    ErrorKind::Oversize => {
                        "the result does not fit the message or the columns do not fit their room"
                    }
                    _ => "a message part could not be handled on a device",
                };
                self.fail(device, kind, what);
            }
        }
        false
    }

    /// CSV text to objects; `false` when every line is skipped.
    fn read_csv<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) -> Result<bool, Failure> {
        let original = msg.clone();
        let Some(ValueRef::Str(text)) = original.payload() else {
            return Ok(true);
        };
        let settings = self.settings;
        let parts = original.property("parts");
        let has_parts = parts.is_some();
        let member = |name: &str| match parts {
            Some(ValueRef::Object(members)) => members.get(name),
            _ => None,
        };
        let index = match member("index") {
            Some(ValueRef::Number(index)) => Some(index),
            _ => None,
        };
        let count = match member("count") {
            Some(ValueRef::Number(count)) => Some(count),
            _ => None,
        };
        let mut line_count = index.unwrap_or(0.0);
        let mut first_line = !index.is_some_and(|index| index > settings.skip as f64);
        let last = index
            .zip(count)
            .is_some_and(|(index, count)| index + 1.0 >= count);
        let mut at = 0;
        // The legacy parser skips lines and reads its header as it reads.
        if !settings.legacy && settings.skip > 0 && line_count < settings.skip as f64 {
            for char in text.chars() {
                if !(first_line && line_count < settings.skip as f64) {
                    break;
                }
                if char == '\r' || char == '\n' {
                    line_count += 1.0;
                }
                at += char.len_utf8();
            }
            if at >= text.len() {
                return Ok(false);
            }
        }
        let rest = text.get(at..).unwrap_or_default();
        let line_breaks = rest
            .chars()
            .filter(|char| *char == '\r' || *char == '\n')
            .count();
        if has_parts && settings.all_rows && line_breaks > 1 {
            first_line = true;
        }
        let mut scratch = [0; N];
        if !settings.legacy && first_line && settings.header_in {
            let mut rows = Rows {
                text,
                at,
                separator: settings.separator,
                strict: true,
            };
            self.columns.clear();
            self.stored = true;
            let mut result = Ok(());
            let columns = &mut self.columns;
            rows.line(&mut scratch, |_, name| {
                if result.is_ok() {
                    result = columns.push(name);
                }
            })
            .map_err(|error| {
                report_status(failed(BAD_TEMPLATE), out);
                Failure::Csv(error)
            })?;
            result?;
            at = rows.at;
        }
        let mut reading = Reading {
            text,
            at,
            first: first_line,
            line_count,
            learning: settings.legacy,
        };
        if reading.learning {
            self.legacy_learn::<N>(device, &reading)?;
            reading.learning = false;
        }
        self.send_rows(
            msg,
            out,
            &original,
            &reading,
            (index, count),
            line_breaks,
            last,
        )
        .map(|()| true)
    }

    /// Sends the rows of a message read: all in one message, gathered
    /// over a sequence, or a message each with `msg.parts`.
    #[allow(clippy::too_many_arguments)]
    fn send_rows<const N: usize, O: Outputs<N>>(
        &mut self,
        msg: &mut Msg<N>,
        out: &mut O,
        original: &Msg<N>,
        reading: &Reading<'_>,
        (index, count): (Option<f64>, Option<f64>),
        line_breaks: usize,
        last: bool,
    ) -> Result<(), Failure> {
        let settings = self.settings;
        let has_parts = original.property("parts").is_some();
        let mut scratch = [0; N];
        let mut row = [0; N];
        if settings.all_rows {
            if has_parts && line_breaks <= 1 {
                return self.gather(msg, out, reading, index, count);
            }
            let mut json = [0; N];
            let mut writer = SliceWriter::new(&mut json);
            writer.write_char('[')?;
            self.write_rows(reading, &mut writer, &mut scratch, &mut row, None)?;
            writer.write_char(']')?;
            self.set_rows(msg, writer.written(), reading)?;
            out.send(0, msg);
            return Ok(());
        }
        let (count, _) = self.count_rows(reading, &mut scratch, &mut row)?;
        for row_index in 0..count {
            let mut json = [0; N];
            let mut writer = SliceWriter::new(&mut json);
            self.write_rows(
                reading,
                &mut writer,
                &mut scratch,
                &mut row,
                Some(row_index),
            )?;
            let mut message = original.clone();
            self.set_rows(&mut message, writer.written(), reading)?;
            if !has_parts {
                let mut parts = [0; 96];
                let mut writer = SliceWriter::new(&mut parts);
                writer.write_char('{')?;
                if let Some(id) = original.property("_msgid") {
                    writer.write_str("\"id\":")?;
                    id.write_json(&mut writer)?;
                    writer.write_char(',')?;
                }
                write!(writer, "\"index\":{row_index},\"count\":{count}}}")?;
                message
                    .set_property_json("parts", writer.written())
                    .map_err(|_| ErrorKind::Oversize)?;
            } else {
                let shift = settings.skip as f64 + if settings.header_in { 1.0 } else { 0.0 };
                for name in ["index", "count"] {
                    let path = [
                        crate::PathSegment::Key("parts"),
                        crate::PathSegment::Key(name),
                    ];
                    if let Some(ValueRef::Number(value)) = message.get(&path) {
                        message
                            .set(&path, &(value - shift))
                            .map_err(|_| ErrorKind::Oversize)?;
                    }
                }
            }
            if last {
                message
                    .set_property("complete", &true)
                    .map_err(|_| ErrorKind::Oversize)?;
            }
            out.send(0, &mut message);
        }
        if has_parts && last && count == 0 {
            let mut message = Msg::<N>::new();
            message
                .set_property("complete", &true)
                .map_err(|_| ErrorKind::Oversize)?;
            out.send(0, &mut message);
        }
        Ok(())
    }

    /// The legacy parser's first reading of a message: its header line's
    /// names are stored, its `colN` names counted, and an open quote
    /// warned about, as Node-RED warns.
    fn legacy_learn<const N: usize>(
        &mut self,
        device: &Device,
        reading: &Reading<'_>,
    ) -> Result<(), Failure> {
        let mut cell = [0; N];
        let (_, learned) = self.legacy_rows(
            reading,
            &mut crate::text::Counter(0),
            &mut cell,
            &mut [],
            None,
        )?;
        if let Some((start, end)) = learned.header {
            let header = reading.text.get(start..end).unwrap_or_default();
            self.store_clean(header, self.settings.separator)?;
            self.legacy_generated = learned.generated;
        } else {
            self.legacy_generated = self.legacy_generated.max(learned.generated);
        }
        if learned.unbalanced {
            self.info.log(
                device,
                format_args!("Malformed CSV data - output probably corrupt."),
            );
        }
        Ok(())
    }

    /// Keeps a message's rows until the last message of its sequence
    /// (`parts.index + 1 === parts.count`), which takes them all, as
    /// Node-RED's `store` does.
    fn gather<const N: usize, O: Outputs<N>>(
        &mut self,
        msg: &mut Msg<N>,
        out: &mut O,
        reading: &Reading<'_>,
        index: Option<f64>,
        count: Option<f64>,
    ) -> Result<(), Failure> {
        let mut scratch = [0; N];
        let mut row = [0; N];
        let mut json = [0; N];
        let mut writer = SliceWriter::new(&mut json);
        self.write_rows(reading, &mut writer, &mut scratch, &mut row, None)?;
        let rows = writer.written();
        // The legacy parser keeps only the row after the message's last
        // line break (its `o`), none when the text ends with one; RFC mode
        // keeps them all.
        let mut last_row = [0; N];
        let mut last_writer = SliceWriter::new(&mut last_row);
        let kept = if self.settings.legacy {
            let (count, trailing_row) = self.count_rows(reading, &mut scratch, &mut row)?;
            if trailing_row {
                self.legacy_rows(
                    reading,
                    &mut last_writer,
                    &mut scratch,
                    &mut row,
                    Some(count.saturating_sub(1)),
                )?;
            }
            last_writer.written()
        } else {
            rows
        };
        if !kept.is_empty() {
            let comma = usize::from(self.gathered_len > 0);
            let end = self.gathered_len + comma + kept.len();
            match self.gathered.get_mut(self.gathered_len..end) {
                Some(slot) => {
                    let (head, tail) = slot.split_at_mut(comma);
                    head.fill(b',');
                    tail.copy_from_slice(kept);
                    self.gathered_len = end;
                }
                None => self.gather_overflow = true,
            }
        }
        if index
            .zip(count)
            .is_none_or(|(index, count)| index + 1.0 != count)
        {
            // The legacy parser puts the line's rows in the payload of the
            // message it sends nothing for (`msg.payload = a`), which is
            // what it has finished with; RFC mode leaves the message be.
            if self.settings.legacy {
                let mut line = SliceWriter::new(&mut scratch);
                line.write_char('[')?;
                line.write_str(core::str::from_utf8(rows).unwrap_or_default())?;
                line.write_char(']')?;
                let value = value_from_json_text(line.written(), &mut row)
                    .map_err(|_| ErrorKind::Oversize)?;
                msg.set_property("payload", &value)
                    .map_err(|_| ErrorKind::Oversize)?;
            }
            return Ok(());
        }
        let overflow = core::mem::take(&mut self.gather_overflow);
        let len = core::mem::take(&mut self.gathered_len);
        if overflow {
            return Err(Failure::Kind(ErrorKind::Oversize));
        }
        let mut writer = SliceWriter::new(&mut json);
        writer.write_char('[')?;
        writer.write_str(
            self.gathered
                .get(..len)
                .and_then(|rows| core::str::from_utf8(rows).ok())
                .unwrap_or_default(),
        )?;
        writer.write_char(']')?;
        self.set_rows(msg, writer.written(), reading)?;
        msg.remove(&[crate::PathSegment::Key("parts")]);
        out.send(0, msg);
        Ok(())
    }

    /// Puts rows (as JSON text) in the payload and the columns in
    /// `msg.columns`.
    fn set_rows<const N: usize>(
        &self,
        msg: &mut Msg<N>,
        json: &[u8],
        reading: &Reading<'_>,
    ) -> Result<(), Failure> {
        let mut value = [0; N];
        let rows = value_from_json_text(json, &mut value).map_err(|_| ErrorKind::Oversize)?;
        msg.set_property("payload", &rows)
            .map_err(|_| ErrorKind::Oversize)?;
        let mut columns = [0; N];
        let mut writer = SliceWriter::new(&mut columns);
        let mut scratch = [0; N];
        self.write_header_names(reading, &mut writer, &mut scratch)?;
        let text = core::str::from_utf8(writer.written()).unwrap_or_default();
        msg.set_property("columns", &crate::encoding::Str(text))
            .map_err(|_| ErrorKind::Oversize)?;
        Ok(())
    }

    /// The columns of the data rows: the template when there is one, else
    /// `col1`, `col2`... for the cells of the first row.
    fn generated_columns(
        &self,
        reading: &Reading<'_>,
        scratch: &mut [u8],
    ) -> Result<Option<usize>, Failure> {
        if self.columns().any() {
            return Ok(None);
        }
        let mut rows = self.rows(reading);
        while let Some(cells) = rows.line(scratch, |_, _| {}).map_err(Failure::Csv)? {
            if cells > 0 {
                return Ok(Some(cells));
            }
        }
        Ok(Some(0))
    }

    fn rows<'t>(&self, reading: &Reading<'t>) -> Rows<'t> {
        Rows {
            text: reading.text,
            at: reading.at,
            separator: self.settings.separator,
            strict: false,
        }
    }

    fn write_header_names<W: Write>(
        &self,
        reading: &Reading<'_>,
        out: &mut W,
        scratch: &mut [u8],
    ) -> Result<(), Failure> {
        if self.settings.legacy {
            return Ok(self.write_legacy_column_string(out)?);
        }
        match self.generated_columns(reading, scratch)? {
            None => self.columns().write_column_string(out)?,
            Some(count) => {
                for index in 0..count {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    write!(out, "col{}", index + 1)?;
                }
            }
        }
        Ok(())
    }

    /// How many data rows a reading has, and (for the legacy parser)
    /// whether the last has no line break after it.
    fn count_rows(
        &self,
        reading: &Reading<'_>,
        scratch: &mut [u8],
        row: &mut [u8],
    ) -> Result<(usize, bool), Failure> {
        let mut nothing = crate::text::Counter(0);
        if self.settings.legacy {
            let (count, learned) =
                self.legacy_rows(reading, &mut nothing, scratch, row, Some(usize::MAX))?;
            return Ok((count, learned.trailing_row));
        }
        let count = self.write_rows(reading, &mut nothing, scratch, row, Some(usize::MAX))?;
        Ok((count, false))
    }

    /// Writes the data rows as JSON objects, separated by commas (all of
    /// them, or only the one numbered `only`); returns how many there are.
    fn write_rows<W: Write>(
        &self,
        reading: &Reading<'_>,
        out: &mut W,
        scratch: &mut [u8],
        row: &mut [u8],
        only: Option<usize>,
    ) -> Result<usize, Failure> {
        if self.settings.legacy {
            return Ok(self.legacy_rows(reading, out, scratch, row, only)?.0);
        }
        let generated = self.generated_columns(reading, scratch)?;
        let columns = self.columns();
        let n_columns = generated.unwrap_or_else(|| columns.len());
        let mut rows = self.rows(reading);
        let mut count = 0;
        let mut start = rows.at;
        loop {
            // A row is an object only if some cell is kept: read it once to
            // know, and again to write it. Columns past a row's last cell
            // are `null` cells.
            let generated = generated.is_some();
            let mut kept = false;
            let Some(cells) = rows
                .line(scratch, |index, cell| {
                    kept |= index < n_columns && self.keeps(generated, &columns, index, cell);
                })
                .map_err(Failure::Csv)?
            else {
                break;
            };
            let missing = if cells > 0 { cells..n_columns } else { 0..0 };
            kept |= missing
                .clone()
                .any(|index| self.keeps(generated, &columns, index, None));
            let end = rows.at;
            if kept {
                if only.is_none_or(|only| only == count) {
                    if only.is_none() && count > 0 {
                        out.write_char(',')?;
                    }
                    rows.at = start;
                    let mut first = true;
                    out.write_char('{')?;
                    let mut result = Ok(());
                    let mut member = |index: usize, cell: Option<&str>| {
                        if index < n_columns
                            && self.keeps(generated, &columns, index, cell)
                            && result.is_ok()
                        {
                            result = self
                                .write_member(out, &mut first, generated, &columns, index, cell);
                        }
                    };
                    rows.line(scratch, &mut member).map_err(Failure::Csv)?;
                    for index in missing {
                        member(index, None);
                    }
                    result?;
                    out.write_char('}')?;
                    rows.at = end;
                }
                count += 1;
            }
            start = end;
        }
        Ok(count)
    }

    /// Writes one member of a row's object: its column's name, and the
    /// cell as a number, text or `null`.
    fn write_member<W: Write>(
        &self,
        out: &mut W,
        first: &mut bool,
        generated: bool,
        columns: &Columns<'_, COLUMN_BYTES>,
        index: usize,
        cell: Option<&str>,
    ) -> fmt::Result {
        if !core::mem::take(first) {
            out.write_char(',')?;
        }
        match columns.get(index).flatten().filter(|_| !generated) {
            Some(name) => ValueRef::Str(name).write_json(out)?,
            None => write!(out, "\"col{}\"", index + 1)?,
        }
        out.write_char(':')?;
        match cell {
            None => out.write_str("null"),
            Some(text) => match self.number(text) {
                Some(number) => ValueRef::Number(number).write_json(out),
                None => ValueRef::Str(text).write_json(out),
            },
        }
    }

    /// Whether the cell at `index` is a member of its row's object.
    fn keeps(
        &self,
        generated: bool,
        columns: &Columns<'_, COLUMN_BYTES>,
        index: usize,
        cell: Option<&str>,
    ) -> bool {
        if !generated && !columns.names_column(index) {
            return false;
        }
        match cell {
            None => self.settings.include_null_values,
            Some("") => self.settings.include_empty_strings,
            Some(_) => true,
        }
    }

    /// A cell as a number, when the node parses numbers and `+cell` is one
    /// (cells starting with `+` or a leading zero stay text).
    fn number(&self, text: &str) -> Option<f64> {
        if !self.settings.parse_numbers || text.is_empty() {
            return None;
        }
        let digits = text.trim_start_matches(' ');
        let mut chars = digits.chars();
        let skipped = match (chars.next(), chars.next(), chars.next()) {
            (Some('+'), _, _) => true,
            (Some('0'), Some(digit), _) if digit.is_ascii_digit() => true,
            (Some('-'), Some('0'), Some(digit)) if digit.is_ascii_digit() => true,
            _ => false,
        };
        let number = number_from_str(text);
        (!skipped && !number.is_nan()).then_some(number)
    }

    /// Objects or arrays to CSV text.
    fn write_csv<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) -> Result<(), Failure> {
        let original = msg.clone();
        let Some(payload) = original.payload() else {
            return Ok(());
        };
        let settings = self.settings;
        let part_index = match original.get(&[
            crate::PathSegment::Key("parts"),
            crate::PathSegment::Key("index"),
        ]) {
            Some(ValueRef::Number(index)) => index,
            _ => 0.0,
        };
        let keeps_columns = settings.template.is_empty()
            && original.property("parts").is_some()
            && part_index > 0.0;
        if !keeps_columns {
            self.stored = false;
            self.legacy_generated = 0;
        }
        if settings.legacy {
            return self.legacy_write_csv(device, msg, out, &original, payload);
        }
        // The rows, and whether they are arrays of cells.
        let single = [payload];
        let (rows, arrays): (PayloadRows<'_>, bool) = match payload {
            ValueRef::Array(items) => match items.iter().next() {
                Some(ValueRef::Array(_)) => (PayloadRows::Items(items), true),
                Some(ValueRef::Object(_) | ValueRef::Null | ValueRef::Bytes(_)) => {
                    (PayloadRows::Items(items), false)
                }
                Some(_) => (PayloadRows::One(&single), true),
                None => (PayloadRows::Items(items), false),
            },
            _ => (PayloadRows::One(&single), false),
        };
        let first = rows.iter().next();
        let mut text = [0; N];
        let mut writer = SliceWriter::new(&mut text);
        let mut scratch = [0; N];
        let separator = settings.separator;
        let mut line = line_starts(settings.line_end);
        if settings.header_out != CsvHeader::Never && !self.header_sent {
            if !self.columns().any() {
                match original.property("columns") {
                    Some(columns) => self.store_msg_columns::<N>(columns)?,
                    None => match first {
                        Some(ValueRef::Object(members)) => self.store_keys(&members)?,
                        Some(ValueRef::Array(items)) => self.store_indices(items.len())?,
                        _ => return Err(Failure::TypeError(TypeError::NullToObject)),
                    },
                }
            }
            line(&mut writer)?;
            let mut first_name = true;
            for name in self.columns().names() {
                if !first_name {
                    writer.write_char(separator)?;
                }
                first_name = false;
                write_quoted(&mut writer, name.unwrap_or_default(), separator)?;
            }
            if settings.header_out == CsvHeader::Once {
                self.header_sent = true;
            }
        }
        for row in rows.iter() {
            line(&mut writer)?;
            if arrays {
                let has_template = self.columns().any();
                let cells = match row {
                    ValueRef::Array(items) => Some(items),
                    _ => None,
                };
                let len = if has_template {
                    self.columns().len()
                } else {
                    cells.map_or(0, |items| items.len())
                };
                for index in 0..len {
                    if index > 0 {
                        writer.write_char(separator)?;
                    }
                    if has_template && !self.columns().names_column(index) {
                        continue;
                    }
                    let cell = cells.and_then(|items| items.get(index));
                    write_cell(&mut writer, separator, &mut scratch, cell)?;
                }
                continue;
            }
            let members = match row {
                ValueRef::Object(members) => Some(members),
                _ => None,
            };
            if !self.columns().any() {
                if let Some(columns) = original.property("columns") {
                    self.store_msg_columns::<N>(columns)?;
                }
            }
            if !self.columns().any() {
                let Some(members) = members else {
                    return Err(Failure::TypeError(TypeError::NullToObject));
                };
                if !self.warned {
                    self.warned = true;
                    self.info.log(
                        device,
                        format_args!("No columns template specified for object -> CSV."),
                    );
                }
                self.store_keys(&members)?;
                let mut first_cell = true;
                let Some(ValueRef::Object(first_members)) = first else {
                    continue;
                };
                for (_, cell) in cells_by_keys(first_members, members) {
                    if !first_cell {
                        writer.write_char(separator)?;
                    }
                    first_cell = false;
                    quoted_text(&mut writer, separator, &mut scratch, |out| {
                        cell.write_js_text(out)
                    })?;
                }
            } else {
                let columns = self.columns();
                for (index, name) in columns.names().enumerate() {
                    if index > 0 {
                        writer.write_char(separator)?;
                    }
                    let Some(name) = name.filter(|name| !name.is_empty()) else {
                        continue;
                    };
                    if row == ValueRef::Null {
                        return Err(Failure::TypeError(TypeError::NullColumn(index)));
                    }
                    let cell = members.and_then(|members| members.get(name));
                    write_cell(&mut writer, separator, &mut scratch, cell)?;
                }
            }
        }
        writer.write_str(settings.line_end)?;
        let csv = core::str::from_utf8(writer.written()).unwrap_or_default();
        msg.set_property("payload", &crate::encoding::Str(csv))
            .map_err(|_| ErrorKind::Oversize)?;
        let mut columns = [0; N];
        let mut column_writer = SliceWriter::new(&mut columns);
        self.columns().write_column_string(&mut column_writer)?;
        let column_text = core::str::from_utf8(column_writer.written()).unwrap_or_default();
        msg.set_property("columns", &crate::encoding::Str(column_text))
            .map_err(|_| ErrorKind::Oversize)?;
        out.send(0, msg);
        Ok(())
    }
}

/// The cells of an object row when no template names its columns, as
/// Node-RED takes them: for each key of the first row, the row's value of
/// that key, if it has one that is not an object (nor `null`, an array, a
/// buffer).
fn cells_by_keys<'a>(
    first: Members<'a>,
    row: Members<'a>,
) -> impl Iterator<Item = (&'a str, ValueRef<'a>)> + 'a {
    first.iter().filter_map(move |(key, _)| {
        let cell = row.get(key)?;
        let object = matches!(
            cell,
            ValueRef::Null | ValueRef::Array(_) | ValueRef::Object(_) | ValueRef::Bytes(_)
        );
        (!object).then_some((key, cell))
    })
}

/// The rows of an object or array payload.
enum PayloadRows<'a> {
    Items(crate::value::Items<'a>),
    One(&'a [ValueRef<'a>; 1]),
}

impl<'a> PayloadRows<'a> {
    fn iter(&self) -> impl Iterator<Item = ValueRef<'a>> + 'a {
        let (items, one) = match self {
            PayloadRows::Items(items) => (Some(items.iter()), None),
            PayloadRows::One(one) => (None, Some(one.iter().copied())),
        };
        items.into_iter().flatten().chain(one.into_iter().flatten())
    }
}

impl<const N: usize, const COLUMN_BYTES: usize, const GATHER_BYTES: usize> Node<N>
    for Csv<COLUMN_BYTES, GATHER_BYTES>
{
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Csv::input(self, device, msg, out);
    }
}
