//! Values of Node-RED's types as its `evaluateNodeProperty` makes them,
//! read when psosc builds the flow: what an inject node sets and a
//! trigger node sends, and the `date` formats a change node sets too.
//! What a value can be is made now; a `date` or a context value is made
//! on the device.

use super::Reader;
use crate::ir::{InjectValue, Literal};
use crate::json::{Json, JsonValue, Span};

/// A value of one of Node-RED's types, as `evaluateNodeProperty` makes it
/// when the node fires; what can be is made now.
pub fn value(
    reader: &mut Reader<'_, '_>,
    key: &str,
    value: Option<&Json>,
    value_type: &str,
    span: Span,
) -> Option<InjectValue> {
    match value_type {
        "date" => date(reader, key, value, span).map(|date| match date {
            Date::Milliseconds => InjectValue::Timestamp,
            Date::Iso => InjectValue::IsoDate,
        }),
        "bin" => bytes(reader, key, value, span).map(InjectValue::Bytes),
        "env" => {
            let name = match value.map(|value| &value.value) {
                Some(JsonValue::String(text)) => text.clone(),
                Some(JsonValue::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            let text = reader.env_text(key, &name, span);
            Some(InjectValue::Literal(Literal::String(text)))
        }
        "flow" | "global" => {
            let name = value.and_then(Json::as_str).unwrap_or("");
            super::change::property(reader, key, value_type, name, span).map(InjectValue::Context)
        }
        "jsonata" => {
            let expression = value.and_then(Json::as_str).unwrap_or("");
            reader.refuse_jsonata(
                key,
                span,
                expression,
                "use a constant (str, num, bool, json, bin), a date, or an env value",
            );
            None
        }
        // A type `evaluateNodeProperty` does not know (older editors wrote
        // "string" for a topic) leaves the value as written, `""` when
        // there is none.
        other if !EVALUATED_TYPES.contains(&other) => Some(InjectValue::Literal(
            value.map_or(Literal::String(String::new()), super::literal_from_json),
        )),
        _ => reader
            .literal(key, value, value_type, span)
            .map(InjectValue::Literal),
    }
}

/// The value types Node-RED's `evaluateNodeProperty` turns into a value;
/// it passes any other value through as written.
const EVALUATED_TYPES: &[&str] = &[
    "str", "num", "json", "re", "date", "bin", "msg", "flow", "global", "bool", "jsonata", "env",
];

/// A `bin` value: `Buffer.from(JSON.parse(value))` of an array of numbers
/// (each taken as a byte, modulo 256) or of a string (its UTF-8 bytes), as
/// inject, trigger and change nodes make it.
pub fn bytes(
    reader: &mut Reader<'_, '_>,
    key: &str,
    value: Option<&Json>,
    span: Span,
) -> Option<Vec<u8>> {
    let text = match value.map(|value| &value.value) {
        Some(JsonValue::String(text)) => text.as_str(),
        _ => "",
    };
    let help =
        Some("write a JSON array of bytes, such as [1, 2, 255], or a JSON string".to_string());
    let parsed = match crate::json::parse(text) {
        Ok(parsed) => parsed,
        Err(error) => {
            reader.malformed(
                key,
                span,
                format!("{text:?} is not valid JSON: {}", error.message),
                help,
            );
            return None;
        }
    };
    match &parsed.value {
        JsonValue::String(text) => Some(text.as_bytes().to_vec()),
        JsonValue::Array(items) => {
            let bytes: Option<Vec<u8>> = items.iter().map(byte).collect();
            if bytes.is_none() {
                reader.malformed(
                    key,
                    span,
                    format!("{text:?} holds an item that is not a number, text, boolean or null"),
                    help,
                );
            }
            bytes
        }
        _ => {
            reader.malformed(
                key,
                span,
                format!("{text:?} is neither an array nor a string, as a Buffer needs"),
                help,
            );
            None
        }
    }
}

/// An array item as `Buffer.from` takes it: `Number(item)` cut to a byte.
fn byte(item: &Json) -> Option<u8> {
    let number = match &item.value {
        JsonValue::Number(n) => *n,
        JsonValue::String(text) => psos::number_from_str(text),
        JsonValue::Bool(b) => f64::from(u8::from(*b)),
        JsonValue::Null => 0.0,
        _ => return None,
    };
    if !number.is_finite() {
        return Some(0);
    }
    Some(number.trunc().rem_euclid(256.0) as u8)
}

/// What a `date` value is on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Date {
    /// No format: `Date.now()`, milliseconds since 1970.
    Milliseconds,
    /// `iso`: `new Date().toISOString()`, the time as text in UTC.
    Iso,
}

/// A `date` value's format, as `evaluateNodeProperty` reads it: none
/// (`!value`) is milliseconds, `iso` the ISO text; `object` (a JavaScript
/// `Date`) and moment.js formats are refused.
pub fn date(
    reader: &mut Reader<'_, '_>,
    key: &str,
    format: Option<&Json>,
    span: Span,
) -> Option<Date> {
    let Some(format) = format.filter(|format| format.is_truthy()) else {
        return Some(Date::Milliseconds);
    };
    match format.as_str() {
        Some("iso") => Some(Date::Iso),
        Some("object") => {
            reader.unsupported(
                key,
                span,
                "a date as `object` is a JavaScript Date, which a message on a device cannot hold (JSON makes it the `iso` text only when it leaves Node-RED)".to_string(),
                "use the format `iso` for the time as text in UTC, or no format for milliseconds since 1970",
            );
            None
        }
        _ => {
            reader.unsupported(
                key,
                span,
                format!(
                    "the date format {}: moment.js writes it in the time zone of Node-RED's server, which a device does not have",
                    super::shown(format)
                ),
                "use the format `iso` for the time as text in UTC, or no format for milliseconds since 1970",
            );
            None
        }
    }
}
