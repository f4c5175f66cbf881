//! `csv`: which of Node-RED's two parsers (`spec`: RFC 4180, or the
//! legacy one of flows made before 4.0), the separator, line end and column template, how rows are
//! sent, the header lines in and out, lines skipped, what cells become,
//! and the room a device gives the columns it learns.

use super::Reader;
use crate::ir::{Csv, CsvHeader, NodeKind};
use crate::json::JsonValue;

/// Bytes for the column names a csv node learns at run time unless its
/// `psosColumnBytes` says otherwise.
pub const DEFAULT_COLUMN_BYTES: u64 = 256;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let legacy = !is_rfc(reader);
    let separator = separator(reader);
    // `(n.ret || "\r\n")` (legacy: `"\n"`) with `\n` and `\r` written out.
    let default_line_end = if legacy { "\n" } else { "\r\n" };
    let line_end = unescape(
        reader
            .string("ret")
            .filter(|ret| !ret.is_empty())
            .unwrap_or(default_line_end),
    );
    let template = if legacy {
        Some(legacy_template(reader))
    } else {
        template(reader)
    };
    // `n.multi || "one"`, and any word but "one" sends all rows at once
    // (the editor writes "mult"; Node-RED's own tests "yes").
    let all_rows = reader
        .string("multi")
        .is_some_and(|multi| !multi.is_empty() && multi != "one");
    let header_in = reader.flag("hdrin", false);
    let header_out = header_out(reader);
    let skip = reader.whole_number("skip", 0, 0..=65535);
    let parse_numbers = reader.flag("strings", true);
    let include_empty_strings = reader.flag("include_empty_strings", false);
    let include_null_values = reader.flag("include_null_values", false);
    let column_bytes = reader.whole_number("psosColumnBytes", DEFAULT_COLUMN_BYTES, 16..=65535);
    Some(NodeKind::Csv(Csv {
        legacy,
        separator: separator?,
        line_end,
        template: template?,
        all_rows,
        header_in,
        header_out: header_out?,
        skip: skip? as usize,
        parse_numbers,
        include_empty_strings,
        include_null_values,
        column_bytes: column_bytes? as usize,
    }))
}

/// `spec`: Node-RED 4's editor writes `"rfc"` for new nodes; anything else
/// (a node from before 4.0 has none) selects the legacy parser.
fn is_rfc(reader: &mut Reader<'_, '_>) -> bool {
    reader
        .get("spec")
        .is_some_and(|value| matches!(&value.value, JsonValue::String(spec) if spec == "rfc"))
}

/// `temp` as the legacy parser reads it (`clean`): split at commas outside
/// quotes, quotes removed, names trimmed; one empty name is none.
fn legacy_template(reader: &mut Reader<'_, '_>) -> Vec<Option<String>> {
    let text = reader.string("temp").unwrap_or_default();
    if !psos::nodes::is_good_legacy_template(text, ',') {
        return Vec::new();
    }
    psos::nodes::clean_names(text, ',')
        .map(|name| Some(name.to_string()))
        .collect()
}

/// `\t`, `\n` and `\r` written out, as Node-RED reads `sep` and `ret`.
fn unescape(text: &str) -> String {
    text.replace("\\t", "\t")
        .replace("\\n", "\n")
        .replace("\\r", "\r")
}

/// `sep`: one character (both of Node-RED's parsers compare it with one
/// character at a time, so a longer separator never matches).
fn separator(reader: &mut Reader<'_, '_>) -> Option<char> {
    let text = unescape(
        reader
            .string("sep")
            .filter(|sep| !sep.is_empty())
            .unwrap_or(","),
    );
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(separator), None) if separator.len_utf16() == 1 => Some(separator),
        _ => {
            let span = reader.node.value_span("sep");
            reader.unsupported(
                "sep",
                span,
                format!("{text:?} is not one character: Node-RED's CSV parsers compare one character at a time and never find it"),
                "write one character, such as \"sep\": \",\", \";\" or \"\\t\"",
            );
            None
        }
    }
}

/// `temp`, read as Node-RED reads it: strictly, as one CSV row; text that
/// is not one row names no columns.
fn template(reader: &mut Reader<'_, '_>) -> Option<Vec<Option<String>>> {
    let text = reader.string("temp").unwrap_or_default();
    let mut names = Vec::new();
    let mut scratch = vec![0; text.len()];
    match psos::nodes::read_columns(text, ',', &mut scratch, |name| {
        names.push(name.map(str::to_string))
    }) {
        Ok(true) if !matches!(names.as_slice(), [Some(name)] if name.is_empty()) => Some(names),
        Ok(_) => Some(Vec::new()),
        Err(error) => {
            let span = reader.node.value_span("temp");
            reader.malformed(
                "temp",
                span,
                format!("the columns {text:?} are not one row of CSV: {error}"),
                Some(
                    "write the names as one CSV row, a name with a comma, a quote or a space at its ends in double quotes, such as \"temp\": \"a,b,\\\"c,d\\\"\""
                        .to_string(),
                ),
            );
            None
        }
    }
}

/// `hdrout`: a word, or `false`/`true` from older flows.
fn header_out(reader: &mut Reader<'_, '_>) -> Option<CsvHeader> {
    match reader.get("hdrout").map(|value| &value.value) {
        Some(JsonValue::Bool(false)) => Some(CsvHeader::Never),
        Some(JsonValue::Bool(true)) => Some(CsvHeader::Always),
        _ => reader.choice(
            "hdrout",
            &[
                ("none", CsvHeader::Never),
                ("all", CsvHeader::Always),
                ("once", CsvHeader::Once),
            ],
        ),
    }
}
