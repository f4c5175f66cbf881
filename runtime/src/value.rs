//! Payload values with JavaScript's meaning, and how Node-RED prints them.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

/// A value carried by a message: what a JSON document can hold, plus bytes
/// (Node-RED's `Buffer`).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// Properties in insertion order, as JavaScript keeps them.
    Object(Vec<(String, Value)>),
    Bytes(Vec<u8>),
}

/// A value fixed at build time: how the compiler emits a flow's literals as
/// constants that cost no start-up work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstValue {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'static str),
    Array(&'static [ConstValue]),
    Object(&'static [(&'static str, ConstValue)]),
}

impl From<&ConstValue> for Value {
    fn from(value: &ConstValue) -> Self {
        match *value {
            ConstValue::Null => Value::Null,
            ConstValue::Bool(b) => Value::Bool(b),
            ConstValue::Number(n) => Value::Number(n),
            ConstValue::Str(s) => Value::String(String::from(s)),
            ConstValue::Array(items) => Value::Array(items.iter().map(Value::from).collect()),
            ConstValue::Object(props) => Value::Object(
                props
                    .iter()
                    .map(|(key, value)| (String::from(*key), Value::from(value)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(String::from(s))
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl Value {
    /// JavaScript's `typeof`-level name, as Node-RED's `istype` uses it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Bytes(_) => "buffer",
        }
    }

    /// JavaScript's `Number(value)` for the primitive values; `NaN` otherwise.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => string_to_number(s),
            Value::Array(_) | Value::Object(_) | Value::Bytes(_) => f64::NAN,
        }
    }

    /// JavaScript's loose equality (`==`), which Node-RED's switch `==` uses.
    pub fn loose_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            // Objects compare by identity in JavaScript: two distinct
            // messages never hold the same object.
            (Value::Array(_) | Value::Object(_) | Value::Bytes(_), _)
            | (_, Value::Array(_) | Value::Object(_) | Value::Bytes(_)) => false,
            // The remaining mixes of number, string and boolean compare as numbers.
            (a, b) => a.to_number() == b.to_number(),
        }
    }

    /// JavaScript's `a < b` on primitives: strings compare by UTF-16 code
    /// units when both are strings, everything else as numbers.
    pub fn loose_lt(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::String(a), Value::String(b)) => a.encode_utf16().lt(b.encode_utf16()),
            (a, b) => a.to_number() < b.to_number(),
        }
    }

    /// Writes the value as `JSON.stringify` would, compactly.
    pub fn write_json<W: Write>(&self, out: &mut W) -> fmt::Result {
        match self {
            Value::Null => out.write_str("null"),
            Value::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
            Value::Number(n) if !n.is_finite() => out.write_str("null"),
            Value::Number(n) => write_number(*n, out),
            Value::String(s) => write_json_string(s, out),
            Value::Array(items) => {
                out.write_char('[')?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    item.write_json(out)?;
                }
                out.write_char(']')
            }
            Value::Object(props) => {
                out.write_char('{')?;
                for (index, (key, value)) in props.iter().enumerate() {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    write_json_string(key, out)?;
                    out.write_char(':')?;
                    value.write_json(out)?;
                }
                out.write_char('}')
            }
            // Node.js serialises a Buffer as {"type":"Buffer","data":[...]}.
            Value::Bytes(bytes) => {
                out.write_str("{\"type\":\"Buffer\",\"data\":[")?;
                for (index, byte) in bytes.iter().enumerate() {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    write!(out, "{byte}")?;
                }
                out.write_str("]}")
            }
        }
    }
}

/// Prints the value as Node-RED's debug output does: strings as they are,
/// numbers as JavaScript prints them, everything else as compact JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            Value::Number(n) => write_number(*n, f),
            other => other.write_json(f),
        }
    }
}

/// Writes a number as JavaScript's `Number.prototype.toString` does.
pub(crate) fn write_number<W: Write>(n: f64, out: &mut W) -> fmt::Result {
    let mut buffer = ryu_js::Buffer::new();
    out.write_str(buffer.format(n))
}

fn write_json_string<W: Write>(s: &str, out: &mut W) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{08}' => out.write_str("\\b")?,
            '\u{0c}' => out.write_str("\\f")?,
            c if u32::from(c) < 0x20 => write!(out, "\\u{:04x}", u32::from(c))?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// JavaScript's `Number(string)`: surrounding white space is ignored, the
/// empty string is 0, and anything that is not a whole numeric literal is NaN.
fn string_to_number(s: &str) -> f64 {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return 0.0;
    }
    let (sign, digits, signed) = match (trimmed.strip_prefix('-'), trimmed.strip_prefix('+')) {
        (Some(rest), _) => (-1.0, rest, true),
        (None, Some(rest)) => (1.0, rest, true),
        (None, None) => (1.0, trimmed, false),
    };
    let radix = match digits.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        // JavaScript accepts no sign before a prefixed literal.
        if signed {
            return f64::NAN;
        }
        let body = digits.get(2..).unwrap_or("");
        return match u64::from_str_radix(body, radix) {
            Ok(value) => value as f64,
            Err(_) => f64::NAN,
        };
    }
    if digits == "Infinity" {
        return sign * f64::INFINITY;
    }
    // Rust accepts "inf", "nan" and "infinity", which JavaScript does not.
    if !digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return f64::NAN;
    }
    match digits.parse::<f64>() {
        Ok(value) => sign * value,
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn check_display(value: Value, expect: &str) {
        assert_eq!(value.to_string(), expect);
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        check_display(Value::Number(1.0), "1");
        check_display(Value::Number(-0.5), "-0.5");
        check_display(Value::Number(1e21), "1e+21");
        check_display(Value::Number(1.5e-7), "1.5e-7");
        check_display(Value::Number(123456789012.0), "123456789012");
        check_display(Value::Number(f64::NAN), "NaN");
    }

    #[test]
    fn objects_print_as_compact_json() {
        let value = Value::Object(vec![
            ("a".to_string(), Value::Number(1.0)),
            (
                "b\"".to_string(),
                Value::Array(vec![Value::Null, Value::from("x\ny")]),
            ),
        ]);
        check_display(value, r#"{"a":1,"b\"":[null,"x\ny"]}"#);
        check_display(
            Value::Bytes(vec![1, 2]),
            r#"{"type":"Buffer","data":[1,2]}"#,
        );
    }

    #[test]
    fn strings_print_as_they_are() {
        check_display(Value::from("a \"quoted\" \\ line"), "a \"quoted\" \\ line");
    }

    #[test]
    fn loose_comparison_follows_javascript() {
        assert!(Value::from("5").loose_eq(&Value::Number(5.0)));
        assert!(Value::Bool(true).loose_eq(&Value::Number(1.0)));
        assert!(!Value::Null.loose_eq(&Value::Number(0.0)));
        assert!(Value::from(" 0x10 ").loose_eq(&Value::Number(16.0)));
        assert!(!Value::from("inf").loose_eq(&Value::Number(f64::INFINITY)));
        assert!(Value::from("10").loose_lt(&Value::Number(11.0)));
        assert!(Value::from("10").loose_lt(&Value::from("9")));
        assert!(!Value::from("abc").loose_lt(&Value::Number(1.0)));
    }
}
