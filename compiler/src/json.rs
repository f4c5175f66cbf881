//! JSON with byte spans: the flow file as a tree that remembers, for every
//! value and key, where in the file it stands, so diagnostics can point there.

use jsonc_parser::ast;

/// A byte range in the flow file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start, span.len()).into()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Json {
    pub span: Span,
    pub value: JsonValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<Member>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: Json,
}

/// Why the text is not JSON, and where it stops being JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// Parses strict JSON (no comments, no trailing commas), as Node-RED writes it.
pub fn parse(text: &str) -> Result<Json, SyntaxError> {
    let strict = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &Default::default(), &strict).map_err(|error| {
            let range = error.range();
            SyntaxError {
                span: Span::new(range.start, range.end.max(range.start)),
                message: error.kind().to_string(),
            }
        })?;
    match parsed.value {
        Some(value) => Ok(convert(value)),
        None => Err(SyntaxError {
            span: Span::new(text.len(), text.len()),
            message: "the file holds no JSON value".to_string(),
        }),
    }
}

fn span_of(range: jsonc_parser::common::Range) -> Span {
    Span::new(range.start, range.end)
}

fn convert(value: ast::Value<'_>) -> Json {
    match value {
        ast::Value::StringLit(lit) => Json {
            span: span_of(lit.range),
            value: JsonValue::String(lit.value.into_owned()),
        },
        ast::Value::NumberLit(lit) => Json {
            span: span_of(lit.range),
            // The parser has checked the literal's grammar; f64 parsing of a
            // JSON number cannot fail, only round.
            value: JsonValue::Number(lit.value.parse().unwrap_or(f64::NAN)),
        },
        ast::Value::BooleanLit(lit) => Json {
            span: span_of(lit.range),
            value: JsonValue::Bool(lit.value),
        },
        ast::Value::NullKeyword(null) => Json {
            span: span_of(null.range),
            value: JsonValue::Null,
        },
        ast::Value::Array(array) => Json {
            span: span_of(array.range),
            value: JsonValue::Array(array.elements.into_iter().map(convert).collect()),
        },
        ast::Value::Object(object) => Json {
            span: span_of(object.range),
            value: JsonValue::Object(
                object
                    .properties
                    .into_iter()
                    .map(|prop| {
                        let key_span = match &prop.name {
                            ast::ObjectPropName::String(lit) => span_of(lit.range),
                            ast::ObjectPropName::Word(word) => span_of(word.range),
                        };
                        Member {
                            key: prop.name.into_string(),
                            key_span,
                            value: convert(prop.value),
                        }
                    })
                    .collect(),
            ),
        },
    }
}

impl Json {
    /// The member of an object, as JavaScript reads it: the last one wins
    /// when a key repeats.
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.value {
            JsonValue::Object(members) => members.iter().rev().find(|member| member.key == key),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.member(key).map(|member| &member.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match &self.value {
            JsonValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// What a user would call this kind of value in a message.
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }

    /// JavaScript truthiness, which Node-RED applies to flags such as `d`.
    pub fn is_truthy(&self) -> bool {
        match &self.value {
            JsonValue::Null => false,
            JsonValue::Bool(b) => *b,
            JsonValue::Number(n) => *n != 0.0 && !n.is_nan(),
            JsonValue::String(s) => !s.is_empty(),
            JsonValue::Array(_) | JsonValue::Object(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_error(text: &str, expect_start: usize) {
        let error = parse(text).unwrap_err();
        assert_eq!(error.span.start, expect_start, "{error:?}");
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = r#"[{"id": "a", "n": 1.5}]"#;
        let json = parse(text).unwrap();
        let node = &json.as_array().unwrap()[0];
        let id = node.member("id").unwrap();
        assert_eq!(&text[id.key_span.start..id.key_span.end], "\"id\"");
        assert_eq!(&text[id.value.span.start..id.value.span.end], "\"a\"");
        assert_eq!(node.get("n").unwrap().value, JsonValue::Number(1.5));
    }

    #[test]
    fn errors_point_where_the_json_breaks() {
        check_error("[1, 2,]", 5);
        check_error("[{\"a\" 1}]", 6);
        check_error("[1] // no", 4);
    }
}
