//! The json node's check of a value against the JSON schema in
//! `msg.schema`, a documented subset of what Node-RED's Ajv 8 checks
//! (draft-07, `allErrors`), with Ajv's error objects in Ajv's order.
//!
//! A device checks `type` (a type or a list of them, `integer` among
//! them), `properties`, `required`, `additionalProperties` (a boolean or a
//! schema), `items` (one schema for every item), `enum`, `const`,
//! `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
//! `minLength` and `maxLength` (in code points, as Ajv counts),
//! `minItems` and `maxItems`, and boolean schemas; it reads and ignores
//! what Ajv ignores (`title`, `description`, `$comment`, `$schema`, `$id`,
//! `default`, `examples`, `readOnly`, `writeOnly`, `deprecated`,
//! `contentMediaType`, `contentEncoding`). A schema Ajv would not compile
//! is [`SchemaProblem::NotASchema`]; one that uses a keyword Ajv checks and
//! a device does not is [`SchemaProblem::NotChecked`], naming it: never a
//! value passed unchecked. (`format` Ajv refuses as it is: Node-RED adds
//! no formats to it.)
//!
//! Ajv compiles a schema into code that runs its keywords group by group
//! (those for any value, then numbers, strings, arrays, objects), each
//! group in the order of Ajv's own rules, whatever the schema's order; a
//! schema of one type whose group it uses checks the type where that group
//! runs, any other schema first of all. [`validate`] walks the schema the
//! same way, recursing once for each schema nested in another, no deeper
//! than [`MAX_SCHEMA_DEPTH`], which bounds its stack.
//! The errors are written as they are found straight into a buffer, in a
//! message's encoding, as the array that becomes `msg.schemaError`.

use core::fmt::{self, Write};

use crate::device::ErrorText;
use crate::encoding::{Encode, LENGTH, OBJECT, STRING};
use crate::nodes::filter::compare_objects;
use crate::nodes::range::floor;
use crate::text::SliceWriter;
use crate::value::{write_number, Members, ValueRef};

/// Ajv's keywords (draft-07, as Node-RED's Ajv knows them) that a device
/// does not check: a schema that uses one is refused.
const NOT_CHECKED: [&str; 24] = [
    "$ref",
    "$defs",
    "definitions",
    "$async",
    "$vocabulary",
    "multipleOf",
    "pattern",
    "maxProperties",
    "minProperties",
    "propertyNames",
    "patternProperties",
    "dependencies",
    "uniqueItems",
    "contains",
    "additionalItems",
    "nullable",
    "not",
    "anyOf",
    "oneOf",
    "allOf",
    "if",
    "then",
    "else",
    "contentSchema",
];

/// The JSON Schema types.
const TYPES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// The meta-schemas Node-RED's Ajv holds, which a `$schema` may name;
/// Ajv refuses to compile a schema that names any other.
const META_SCHEMAS: [&str; 6] = [
    "http://json-schema.org/draft-07/schema",
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-06/schema#",
    "http://json-schema.org/schema",
    "http://json-schema.org/schema#",
];

/// How many schemas a schema may nest in each other (each `properties`
/// member, `additionalProperties` and `items` one more), so that the check,
/// which recurses once a level, needs a small stack that psosc reserves;
/// deeper is refused as [`SchemaProblem::TooDeep`].
pub const MAX_SCHEMA_DEPTH: usize = 8;

/// Why a schema is not checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaProblem {
    /// Ajv would not compile it (Node-RED's `schema-error-compile`): not
    /// an object or a boolean, a keyword Ajv does not know, a keyword's
    /// value that draft-07 does not allow, a `$schema` Ajv does not hold.
    NotASchema,
    /// It uses a keyword Ajv checks and a device does not.
    NotChecked(&'static str),
    /// Schemas nested deeper than a device follows ([`MAX_SCHEMA_DEPTH`]).
    TooDeep,
    /// The value holds a buffer, which a device does not check.
    Buffer,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(COMPILE_ERROR)?;
        match self {
            SchemaProblem::NotASchema => Ok(()),
            SchemaProblem::NotChecked(keyword) => {
                write!(f, ": a device does not check \"{keyword}\"")
            }
            SchemaProblem::TooDeep => {
                write!(f, ": schemas nested deeper than {MAX_SCHEMA_DEPTH}")
            }
            SchemaProblem::Buffer => f.write_str(": a device does not check a buffer"),
        }
    }
}

/// Node-RED's text when Ajv does not compile a schema
/// (`json.errors.schema-error-compile`).
pub const COMPILE_ERROR: &str = "JSON Schema error: failed to compile schema";

/// How Node-RED's text for a value the schema refuses starts
/// (`json.errors.schema-error`).
pub const SCHEMA_ERROR: &str = "JSON Schema error";

/// Whether `schema` is one a device checks: what Ajv would not compile
/// wins over a keyword a device does not check, as Ajv refuses the first
/// before it looks at keywords.
pub fn check_schema(schema: ValueRef<'_>) -> Result<(), SchemaProblem> {
    let mut not_checked = None;
    read_schema(schema, 0, &mut not_checked)?;
    match not_checked {
        Some(keyword) => Err(SchemaProblem::NotChecked(keyword)),
        None => Ok(()),
    }
}

/// Reads one schema and those inside it; a keyword a device does not check
/// is kept in `not_checked` (the first) while the rest is read on.
fn read_schema(
    schema: ValueRef<'_>,
    depth: usize,
    not_checked: &mut Option<&'static str>,
) -> Result<(), SchemaProblem> {
    if depth >= MAX_SCHEMA_DEPTH {
        return Err(SchemaProblem::TooDeep);
    }
    let members = match schema {
        ValueRef::Bool(_) => return Ok(()),
        ValueRef::Object(members) => members,
        _ => return Err(SchemaProblem::NotASchema),
    };
    for (keyword, value) in members.iter() {
        if let Some(known) = NOT_CHECKED.iter().find(|known| **known == keyword) {
            not_checked.get_or_insert(known);
            continue;
        }
        let allowed = match keyword {
            "type" => match value {
                ValueRef::Str(name) => TYPES.contains(&name),
                ValueRef::Array(items) => {
                    !items.is_empty()
                        && items.iter().all(
                            |item| matches!(item, ValueRef::Str(name) if TYPES.contains(&name)),
                        )
                        && all_different(value)
                }
                _ => false,
            },
            "properties" => match value {
                ValueRef::Object(properties) => {
                    for (_, property) in properties.iter() {
                        read_schema(property, depth + 1, not_checked)?;
                    }
                    true
                }
                _ => false,
            },
            "additionalProperties" => {
                read_schema(value, depth + 1, not_checked)?;
                true
            }
            "items" => {
                if let ValueRef::Array(_) = value {
                    // A list of schemas, one for each position.
                    not_checked.get_or_insert("items");
                } else {
                    read_schema(value, depth + 1, not_checked)?;
                }
                true
            }
            "required" => match value {
                ValueRef::Array(items) => {
                    items.iter().all(|item| matches!(item, ValueRef::Str(_)))
                        && all_different(value)
                }
                _ => false,
            },
            "enum" => {
                matches!(value, ValueRef::Array(items) if !items.is_empty()) && all_different(value)
            }
            "const" | "default" | "deprecated" => true,
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                matches!(value, ValueRef::Number(limit) if limit.is_finite())
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" => {
                matches!(value, ValueRef::Number(limit) if limit.is_finite() && limit >= 0.0 && is_whole(limit))
            }
            "title" | "description" | "$comment" | "$id" | "contentMediaType"
            | "contentEncoding" => matches!(value, ValueRef::Str(_)),
            // Ajv looks up the meta-schema only at the root.
            "$schema" => match value {
                ValueRef::Str(uri) => depth > 0 || META_SCHEMAS.contains(&uri),
                _ => false,
            },
            "examples" => matches!(value, ValueRef::Array(_)),
            "readOnly" | "writeOnly" => matches!(value, ValueRef::Bool(_)),
            // A keyword Ajv does not know, which its strict mode refuses,
            // and `format`: Node-RED's Ajv knows no format, and refuses
            // every one it is asked for.
            _ => false,
        };
        if !allowed {
            return Err(SchemaProblem::NotASchema);
        }
    }
    Ok(())
}

/// Whether the items of an array differ from each other, compared as
/// draft-07's `uniqueItems` compares them.
fn all_different(list: ValueRef<'_>) -> bool {
    let ValueRef::Array(items) = list else {
        return true;
    };
    items.iter().enumerate().all(|(index, item)| {
        items
            .iter()
            .skip(index + 1)
            .all(|other| !compare_objects(item, other))
    })
}

/// The outcome of a check against a schema that [`check_schema`] accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    Valid,
    /// Ajv's errors are in the buffer, `len` bytes, as an array.
    Invalid {
        len: usize,
    },
    /// The value does not satisfy the schema, and its errors do not all fit
    /// the buffer: those that do are in it, `len` bytes.
    InvalidCut {
        len: usize,
    },
}

/// Checks `data` (`None` is JavaScript's `undefined`, which Node-RED
/// checks in some paths) against `schema`, writing Ajv's errors into
/// `errors` as an encoded array. The schema must have passed
/// [`check_schema`].
pub fn validate(
    schema: ValueRef<'_>,
    data: Option<ValueRef<'_>>,
    errors: &mut [u8],
) -> Result<Checked, SchemaProblem> {
    let mut list = ErrorList {
        out: errors,
        len: 1 + LENGTH,
        cut: false,
    };
    let root = Place::ROOT;
    let valid = check(schema, data, &root, &mut list, 0)?;
    let len = list.finish();
    Ok(match (valid, list.cut) {
        (true, _) => Checked::Valid,
        (false, false) => Checked::Invalid { len },
        (false, true) => Checked::InvalidCut { len },
    })
}

/// Writes Ajv's `errorsText` of the errors `validate` wrote (those of an
/// encoded array): each `data` and its instance path, a space and its
/// message, separated by commas.
pub fn write_errors_text<W: Write>(errors: ValueRef<'_>, out: &mut W) -> fmt::Result {
    let ValueRef::Array(items) = errors else {
        return Ok(());
    };
    for (index, error) in items.iter().enumerate() {
        let ValueRef::Object(members) = error else {
            continue;
        };
        if index > 0 {
            out.write_str(", ")?;
        }
        let text = |key| match members.get(key) {
            Some(ValueRef::Str(text)) => text,
            _ => "",
        };
        write!(out, "data{} {}", text("instancePath"), text("message"))?;
    }
    Ok(())
}

/// The text Node-RED reports for a value a schema refuses:
/// `JSON Schema error: ` and Ajv's `errorsText`, cut where it does not fit.
pub fn error_text(errors: ValueRef<'_>, cut: bool) -> ErrorText {
    let mut text = ErrorText::new();
    // An `ErrorText` never fails a write; it cuts instead.
    let _ = text.write_str(SCHEMA_ERROR);
    if cut {
        let _ = text.write_str(" (msg.schemaError does not fit the message)");
    }
    let _ = text.write_str(": ");
    let _ = write_errors_text(errors, &mut text);
    text
}

/// Where a schema applies: the steps that lead to it from the root, in the
/// value (the instance path) and in the schema, each frame one schema
/// deeper, so that the frames of the recursion are the paths.
struct Place<'a> {
    parent: Option<&'a Place<'a>>,
    /// The step into the value, if any.
    instance: Option<Step<'a>>,
    /// The keyword that led here, and the property under it if any.
    keyword: &'static str,
    property: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Place<'_> {
    const ROOT: Place<'static> = Place {
        parent: None,
        instance: None,
        keyword: "",
        property: None,
    };

    /// The instance path, a JSON pointer: `/` and each step, with `~` and
    /// `/` escaped.
    fn write_instance_path<W: Write>(&self, out: &mut W) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.write_instance_path(out)?;
        }
        match self.instance {
            Some(Step::Key(key)) => {
                out.write_char('/')?;
                write_pointer_escaped(key, out, false)
            }
            Some(Step::Index(index)) => write!(out, "/{index}"),
            None => Ok(()),
        }
    }

    /// The schema path after `#`: each keyword, and each property name as
    /// a URI fragment escapes it.
    fn write_schema_path<W: Write>(&self, out: &mut W) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.write_schema_path(out)?;
            write!(out, "/{}", self.keyword)?;
        }
        if let Some(property) = self.property {
            out.write_char('/')?;
            write_pointer_escaped(property, out, true)?;
        }
        Ok(())
    }
}

/// A JSON pointer's escapes (`~0`, `~1`), and for a URI fragment then
/// `encodeURIComponent`'s.
fn write_pointer_escaped<W: Write>(text: &str, out: &mut W, fragment: bool) -> fmt::Result {
    for c in text.chars() {
        match c {
            '~' => out.write_str("~0")?,
            '/' => out.write_str("~1")?,
            c if !fragment || c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) => {
                out.write_char(c)?
            }
            c => {
                let mut bytes = [0; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    write!(out, "%{byte:02X}")?;
                }
            }
        }
    }
    Ok(())
}

/// One failure of a keyword: Ajv's `keyword`, `params` and `message`.
enum Failure<'a> {
    /// `type`, with the schema's value.
    Type(ValueRef<'a>),
    /// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`.
    Number(&'static str, f64),
    /// `minLength`, `maxLength`, `minItems`, `maxItems`.
    Count(&'static str, f64),
    Required(&'a str),
    Additional(&'a str),
    Enum(ValueRef<'a>),
    Const(ValueRef<'a>),
    /// The schema `false`.
    FalseSchema,
}

impl Failure<'_> {
    fn keyword(&self) -> &'static str {
        match self {
            Failure::Type(_) => "type",
            Failure::Number(keyword, _) | Failure::Count(keyword, _) => keyword,
            Failure::Required(_) => "required",
            Failure::Additional(_) => "additionalProperties",
            Failure::Enum(_) => "enum",
            Failure::Const(_) => "const",
            Failure::FalseSchema => "false schema",
        }
    }

    fn write_message<W: Write>(&self, out: &mut W) -> fmt::Result {
        match self {
            Failure::Type(ValueRef::Array(types)) => {
                out.write_str("must be ")?;
                for (index, name) in types.iter().enumerate() {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    name.write_js_text(out)?;
                }
                Ok(())
            }
            Failure::Type(name) => {
                out.write_str("must be ")?;
                name.write_js_text(out)
            }
            Failure::Number(keyword, limit) => {
                write!(out, "must be {} ", comparison(keyword))?;
                write_number(*limit, out)
            }
            Failure::Count(keyword, limit) => {
                let (side, unit) = match *keyword {
                    "minLength" => ("fewer", "characters"),
                    "maxLength" => ("more", "characters"),
                    "minItems" => ("fewer", "items"),
                    _ => ("more", "items"),
                };
                write!(out, "must NOT have {side} than ")?;
                write_number(*limit, out)?;
                write!(out, " {unit}")
            }
            Failure::Required(name) => write!(out, "must have required property '{name}'"),
            Failure::Additional(_) => out.write_str("must NOT have additional properties"),
            Failure::Enum(_) => out.write_str("must be equal to one of the allowed values"),
            Failure::Const(_) => out.write_str("must be equal to constant"),
            Failure::FalseSchema => out.write_str("boolean schema is false"),
        }
    }
}

/// Ajv's `params.comparison` of a number's limit.
fn comparison(keyword: &str) -> &'static str {
    match keyword {
        "maximum" => "<=",
        "minimum" => ">=",
        "exclusiveMaximum" => "<",
        _ => ">",
    }
}

/// The errors found so far, written into a buffer as the items of an
/// array whose tag and length `finish` writes.
struct ErrorList<'b> {
    out: &'b mut [u8],
    len: usize,
    /// Some error did not fit.
    cut: bool,
}

impl ErrorList<'_> {
    fn push(&mut self, place: &Place<'_>, failure: &Failure<'_>) {
        let start = self.len;
        if self.write_error(place, failure).is_none() {
            // Only whole errors stay.
            self.len = start;
            self.cut = true;
        }
    }

    /// Writes `[ARRAY, length]` before the errors; the array's length.
    fn finish(&mut self) -> usize {
        let body = self.len - 1 - LENGTH;
        let header = [crate::encoding::ARRAY];
        if self
            .out
            .get_mut(..1)
            .map(|tag| tag.copy_from_slice(&header))
            .and_then(|()| crate::encoding::write_u16(self.out, 1, body))
            .is_none()
        {
            self.cut = true;
            self.len = 1 + LENGTH;
            let _ = crate::encoding::write_u16(self.out, 1, 0);
        }
        self.len
    }

    fn write_error(&mut self, place: &Place<'_>, failure: &Failure<'_>) -> Option<()> {
        let object = self.open(OBJECT)?;
        self.key("instancePath")?;
        self.text(|out| place.write_instance_path(out))?;
        self.key("schemaPath")?;
        self.text(|out| {
            out.write_char('#')?;
            place.write_schema_path(out)?;
            write!(out, "/{}", failure.keyword())
        })?;
        self.key("keyword")?;
        self.text(|out| out.write_str(failure.keyword()))?;
        self.key("params")?;
        let params = self.open(OBJECT)?;
        match failure {
            Failure::Type(types) => {
                self.key("type")?;
                self.value(types)?;
            }
            Failure::Number(keyword, limit) => {
                self.key("comparison")?;
                self.text(|out| out.write_str(comparison(keyword)))?;
                self.key("limit")?;
                self.value(limit)?;
            }
            Failure::Count(_, limit) => {
                self.key("limit")?;
                self.value(limit)?;
            }
            Failure::Required(name) => {
                self.key("missingProperty")?;
                self.text(|out| out.write_str(name))?;
            }
            Failure::Additional(name) => {
                self.key("additionalProperty")?;
                self.text(|out| out.write_str(name))?;
            }
            Failure::Enum(allowed) => {
                self.key("allowedValues")?;
                self.value(allowed)?;
            }
            Failure::Const(allowed) => {
                self.key("allowedValue")?;
                self.value(allowed)?;
            }
            Failure::FalseSchema => {}
        }
        self.close(params)?;
        self.key("message")?;
        self.text(|out| failure.write_message(out))?;
        self.close(object)
    }

    fn rest(&mut self) -> Option<&mut [u8]> {
        self.out.get_mut(self.len..)
    }

    /// Starts a container; where it starts, for `close`.
    fn open(&mut self, tag: u8) -> Option<usize> {
        let start = self.len;
        *self.rest()?.first_mut()? = tag;
        self.len += 1 + LENGTH;
        (self.len <= self.out.len()).then_some(start)
    }

    fn close(&mut self, start: usize) -> Option<()> {
        crate::encoding::write_u16(self.out, start + 1, self.len - start - 1 - LENGTH)
    }

    fn key(&mut self, key: &str) -> Option<()> {
        let at = self.len;
        crate::encoding::write_u16(self.out, at, key.len())?;
        self.out
            .get_mut(at + LENGTH..at + LENGTH + key.len())?
            .copy_from_slice(key.as_bytes());
        self.len += LENGTH + key.len();
        Some(())
    }

    fn value<E: Encode>(&mut self, value: &E) -> Option<()> {
        let len = value.encode(self.rest()?)?;
        self.len += len;
        Some(())
    }

    /// A string written by `write`, its length filled in after.
    fn text(&mut self, write: impl FnOnce(&mut SliceWriter<'_>) -> fmt::Result) -> Option<()> {
        let start = self.open(STRING)?;
        let mut writer = SliceWriter::new(self.rest()?);
        write(&mut writer).ok()?;
        self.len += writer.written().len();
        self.close(start)
    }
}

/// The keywords of each of Ajv's groups that a device checks, in Ajv's
/// order, and the type each group is for.
const NUMBER_KEYWORDS: [&str; 4] = ["maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"];
const STRING_KEYWORDS: [&str; 2] = ["maxLength", "minLength"];
const ARRAY_KEYWORDS: [&str; 3] = ["maxItems", "minItems", "items"];
const OBJECT_KEYWORDS: [&str; 3] = ["required", "additionalProperties", "properties"];

/// The members every object inherits from JavaScript's `Object.prototype`:
/// Ajv finds a property by `data[name] !== undefined`, so `required` finds
/// these in any object, and `properties` checks those an object lacks
/// (and psosc refuses mustache names that use them).
pub const OBJECT_PROTOTYPE_MEMBERS: [&str; 12] = [
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    PROTO,
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// The one property name Ajv's `properties` leaves out
/// (`allSchemaProperties`).
const PROTO: &str = "__proto__";

/// How many properties `additionalProperties` compares a key with one by
/// one; past that Ajv asks the `properties` object whether it has the key.
const PROPERTIES_COMPARED: usize = 8;

/// Whether `additionalProperties` takes `key` as one of `properties`, as
/// Ajv does: by the names other than `__proto__`, which counts only when
/// Ajv asks the object itself, past [`PROPERTIES_COMPARED`] of them.
fn declares(properties: Members<'_>, key: &str) -> bool {
    if key != PROTO {
        return properties.get(key).is_some();
    }
    let others = properties.iter().filter(|(name, _)| *name != PROTO).count();
    others > PROPERTIES_COMPARED && properties.get(key).is_some()
}

/// Whether `data` is of the JSON Schema type `name`, as Ajv tells.
fn is_type(data: Option<ValueRef<'_>>, name: &str) -> bool {
    match (name, data) {
        ("null", Some(ValueRef::Null)) => true,
        ("boolean", Some(ValueRef::Bool(_))) => true,
        ("number", Some(ValueRef::Number(n))) => n.is_finite(),
        ("integer", Some(ValueRef::Number(n))) => n.is_finite() && is_whole(n),
        ("string", Some(ValueRef::Str(_))) => true,
        ("array", Some(ValueRef::Array(_))) => true,
        ("object", Some(ValueRef::Object(_))) => true,
        _ => false,
    }
}

/// The failures of a number (a value, a length, a count) against the
/// limits among `keywords` that the schema sets, in that order.
fn limits<'s, const K: usize>(
    members: Members<'s>,
    keywords: [&'static str; K],
    value: f64,
    failure: fn(&'static str, f64) -> Failure<'s>,
) -> impl Iterator<Item = Failure<'s>> {
    keywords
        .into_iter()
        .filter_map(move |keyword| match members.get(keyword) {
            Some(ValueRef::Number(limit)) if !holds(keyword, value, limit) => {
                Some(failure(keyword, limit))
            }
            _ => None,
        })
}

/// Whether `value` is within a keyword's `limit`.
fn holds(keyword: &str, value: f64, limit: f64) -> bool {
    match keyword {
        "maximum" | "maxLength" | "maxItems" => value <= limit,
        "minimum" | "minLength" | "minItems" => value >= limit,
        "exclusiveMaximum" => value < limit,
        _ => value > limit,
    }
}

/// Whether a finite number is whole (Ajv's `!(data % 1)`).
fn is_whole(number: f64) -> bool {
    floor(number) == number
}

/// Checks `data` against one schema at `place`, recording each failure;
/// whether it holds.
fn check(
    schema: ValueRef<'_>,
    data: Option<ValueRef<'_>>,
    place: &Place<'_>,
    errors: &mut ErrorList<'_>,
    depth: usize,
) -> Result<bool, SchemaProblem> {
    if depth >= MAX_SCHEMA_DEPTH {
        return Err(SchemaProblem::TooDeep);
    }
    if let Some(ValueRef::Bytes(_)) = data {
        return Err(SchemaProblem::Buffer);
    }
    let members = match schema {
        ValueRef::Bool(true) => return Ok(true),
        ValueRef::Object(members) => members,
        _ => {
            errors.push(place, &Failure::FalseSchema);
            return Ok(false);
        }
    };
    let mut valid = true;
    macro_rules! fail {
        ($failure:expr) => {{
            valid = false;
            errors.push(place, &$failure);
        }};
    }
    let types = members.get("type");
    let uses = |keywords: &[&str]| {
        keywords
            .iter()
            .any(|keyword| members.get(keyword).is_some())
    };
    // A single type (alone, or the one item of a list) whose group the
    // schema uses is checked with that group.
    let single = match types {
        Some(ValueRef::Str(name)) => Some(name),
        Some(ValueRef::Array(list)) if list.len() == 1 => match list.get(0) {
            Some(ValueRef::Str(name)) => Some(name),
            _ => None,
        },
        _ => None,
    };
    let type_in_group = match single {
        Some(name @ "number") if uses(&NUMBER_KEYWORDS) => Some(name),
        Some(name @ "string") if uses(&STRING_KEYWORDS) => Some(name),
        Some(name @ "array") if uses(&ARRAY_KEYWORDS) => Some(name),
        Some(name @ "object") if uses(&OBJECT_KEYWORDS) => Some(name),
        _ => None,
    };
    if let (Some(types), None) = (types, type_in_group) {
        let matches = match types {
            ValueRef::Array(list) => list.iter().any(|item| match item {
                ValueRef::Str(name) => is_type(data, name),
                _ => false,
            }),
            ValueRef::Str(name) => is_type(data, name),
            _ => false,
        };
        if !matches {
            fail!(Failure::Type(types));
        }
    }
    // Keywords for any value.
    if let Some(allowed) = members.get("const") {
        if !data.is_some_and(|data| compare_objects(data, allowed)) {
            fail!(Failure::Const(allowed));
        }
    }
    if let Some(allowed @ ValueRef::Array(list)) = members.get("enum") {
        if !data.is_some_and(|data| list.iter().any(|item| compare_objects(data, item))) {
            fail!(Failure::Enum(allowed));
        }
    }
    // The groups of each type, each only for a value of that type; a type
    // checked with its group fails there.
    let group_type_error = |name: &str| type_in_group == Some(name);
    let schema_types = types.unwrap_or(ValueRef::Null);
    if uses(&NUMBER_KEYWORDS) {
        match data {
            Some(ValueRef::Number(number)) if number.is_finite() => {
                for failure in limits(members, NUMBER_KEYWORDS, number, Failure::Number) {
                    fail!(failure);
                }
            }
            _ if group_type_error("number") => fail!(Failure::Type(schema_types)),
            _ => {}
        }
    }
    if uses(&STRING_KEYWORDS) {
        match data {
            Some(ValueRef::Str(text)) => {
                // Code points, as Ajv's `ucs2length` counts.
                let length = text.chars().count() as f64;
                for failure in limits(members, STRING_KEYWORDS, length, Failure::Count) {
                    fail!(failure);
                }
            }
            _ if group_type_error("string") => fail!(Failure::Type(schema_types)),
            _ => {}
        }
    }
    if uses(&ARRAY_KEYWORDS) {
        match data {
            Some(ValueRef::Array(items)) => {
                let count = items.len() as f64;
                for failure in limits(members, ["maxItems", "minItems"], count, Failure::Count) {
                    fail!(failure);
                }
                if let Some(item_schema) = members.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        let inner = Place {
                            parent: Some(place),
                            instance: Some(Step::Index(index)),
                            keyword: "items",
                            property: None,
                        };
                        if !check(item_schema, Some(item), &inner, errors, depth + 1)? {
                            valid = false;
                        }
                    }
                }
            }
            _ if group_type_error("array") => fail!(Failure::Type(schema_types)),
            _ => {}
        }
    }
    if uses(&OBJECT_KEYWORDS) {
        match data {
            Some(ValueRef::Object(object)) => {
                let properties = match members.get("properties") {
                    Some(ValueRef::Object(properties)) => Some(properties),
                    _ => None,
                };
                if let Some(ValueRef::Array(required)) = members.get("required") {
                    for name in required.iter() {
                        if let ValueRef::Str(name) = name {
                            if object.get(name).is_none()
                                && !OBJECT_PROTOTYPE_MEMBERS.contains(&name)
                            {
                                fail!(Failure::Required(name));
                            }
                        }
                    }
                }
                if let Some(additional) = members.get("additionalProperties") {
                    for (key, value) in object.iter() {
                        if properties.is_some_and(|properties| declares(properties, key)) {
                            continue;
                        }
                        if additional == ValueRef::Bool(false) {
                            fail!(Failure::Additional(key));
                            continue;
                        }
                        let inner = Place {
                            parent: Some(place),
                            instance: Some(Step::Key(key)),
                            keyword: "additionalProperties",
                            property: None,
                        };
                        if !check(additional, Some(value), &inner, errors, depth + 1)? {
                            valid = false;
                        }
                    }
                }
                for (name, property_schema) in properties.iter().flat_map(|p| p.iter()) {
                    // A member the object inherits is a function, which
                    // every keyword takes as it takes no value at all.
                    let value = match object.get(name) {
                        _ if name == PROTO => continue,
                        Some(value) => Some(value),
                        None if OBJECT_PROTOTYPE_MEMBERS.contains(&name) => None,
                        None => continue,
                    };
                    let inner = Place {
                        parent: Some(place),
                        instance: Some(Step::Key(name)),
                        keyword: "properties",
                        property: Some(name),
                    };
                    if !check(property_schema, value, &inner, errors, depth + 1)? {
                        valid = false;
                    }
                }
            }
            _ if group_type_error("object") => fail!(Failure::Type(schema_types)),
            _ => {}
        }
    }
    Ok(valid)
}
