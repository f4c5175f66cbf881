//! `switch`: routes a message to the outputs whose rules it matches, as
//! Node-RED's `10-switch.js` does, rule by rule and operator by operator.
//!
//! Values keep JavaScript's meaning: a missing property is `undefined`,
//! comparisons are `==` and `<`, and text tests (`cont`, `regex`, `hask`,
//! `istype` json) look at `String(value)`. Patterns arrive compiled
//! (`crate::regex`). A rule that throws in Node-RED (a sequence rule on a
//! message without `msg.parts`) makes the whole message an error there, so
//! it is one here: logged, counted, nothing sent.
//!
//! The property and the values may be flow or global context (Node-RED's
//! `propertyType` and `vt` of `flow`/`global`): they are read from the
//! node's stores (`crate::context`), held for the moment the rules run, so
//! every rule sees one state of them, as Node-RED reads them all before it
//! sends; a key that is not set is `undefined`.

use super::catch::error_text;
use super::change::{Property, Scope};
use crate::context::{StoreView, Stores};
use crate::encoding::{decode, Encode};
use crate::json::{value_from_json_text, JsonError};
use crate::msg::PathSegment;
use crate::regex::Regex;
use crate::text::SliceWriter;
use crate::value::Primitive;
use crate::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// What a rule compares the property with: Node-RED's `vt`/`v2t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SwitchOperand {
    /// A value fixed in the flow (`str`, `num`, `bool`; `env` and `json`
    /// as the compiler resolves them).
    Const(ConstValue),
    /// Another property of the same message (`msg`).
    Msg(&'static [PathSegment<'static>]),
    /// A flow or global context value (`flow`, `global`), read when the
    /// message arrives.
    Context(Property),
    /// The property's value in the message before (`prev`); `null` before
    /// the first.
    Prev,
    /// No value: JavaScript's `undefined`, as a rule without `v2` has.
    Undefined,
}

/// The types `istype` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsType {
    String,
    Number,
    Boolean,
    Array,
    Buffer,
    Object,
    /// Text (or a value whose `String()` is text) that `JSON.parse` reads.
    Json,
    Undefined,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SwitchOp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    /// Between the two values, in either order, ends included.
    Btwn,
    /// `String(property)` contains `String(value)`.
    Cont,
    /// `String(property)` matches the pattern (its case flag built in).
    Regex(Regex),
    True,
    False,
    /// `null` or missing.
    Null,
    NotNull,
    Empty,
    NotEmpty,
    IsType(JsType),
    /// `msg.parts.index` is below the value.
    Head,
    /// `msg.parts.index` is among the last `value` of `msg.parts.count`.
    Tail,
    /// `msg.parts.index` is between the two values, ends included.
    Index,
    /// The property has an own property named `String(value)`.
    HasKey,
    /// Matches when no rule matched since the start or the last `else`.
    Else,
}

/// One rule; rule `i` sends to output `i`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwitchRule {
    pub op: SwitchOp,
    pub value: SwitchOperand,
    pub value2: SwitchOperand,
}

impl SwitchRule {
    /// A rule with one value (or none: `value` is then unused).
    pub const fn new(op: SwitchOp, value: SwitchOperand) -> Self {
        Self {
            op,
            value,
            value2: SwitchOperand::Undefined,
        }
    }
}

/// The previous property value, for `prev` rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Previous {
    Null,
    Undefined,
    /// Encoded in the first `len` bytes of the node's buffer.
    Stored(usize),
}

/// How many rules a switch that reads context may have: it decides every
/// port while it holds its stores and remembers them in one `u128`, so
/// that what it sends cannot change what later rules see. psosc refuses a
/// switch with more.
pub const MAX_CONTEXT_RULES: usize = 128;

/// A switch node. `P` is room for the previous value: 0 for a node without
/// `prev` rules, which keeps no state and lives in an immutable static; the
/// message capacity for one with them, which lives in a `NodeCell`. `C` is
/// the size of the context stores it reads, 0 for a node that reads none.
pub struct Switch<const P: usize = 0, const C: usize = 0> {
    pub info: NodeInfo,
    /// The property tested: of the message, or a context value.
    property: Property,
    stores: Stores<C>,
    rules: &'static [SwitchRule],
    /// Node-RED's `checkall`: every matching rule sends, not just the first.
    check_all: bool,
    /// Whether text is JSON, for `istype` json: [`Switch::with_context`]
    /// names the parser only when a rule needs it, so a device links the
    /// JSON reader only where a switch of its flow tests for JSON.
    json: JsonTest,
    previous: Previous,
    buffer: [u8; P],
}

/// Reads text as JSON into the scratch space given, as `JSON.parse` would.
type JsonTest = fn(&[u8], &mut [u8]) -> Result<(), JsonError>;

fn parses_as_json(text: &[u8], scratch: &mut [u8]) -> Result<(), JsonError> {
    value_from_json_text(text, scratch).map(|_| ())
}

/// The test of a switch none of whose rules is `istype` json: never called.
fn no_json_rule(_: &[u8], _: &mut [u8]) -> Result<(), JsonError> {
    Err(JsonError::Truncated)
}

/// The JSON test `rules` need.
const fn json_test(rules: &[SwitchRule]) -> JsonTest {
    let mut rest = rules;
    while let Some((rule, after)) = rest.split_first() {
        if matches!(rule.op, SwitchOp::IsType(JsType::Json)) {
            return parses_as_json;
        }
        rest = after;
    }
    no_json_rule
}

/// A value a rule looks at, with JavaScript's `undefined`.
#[derive(Clone, Copy, Debug)]
enum Arg<'a> {
    Undefined,
    Value(ValueRef<'a>),
    Const(&'a ConstValue),
    /// A number worked out from others (`msg.parts.count - value`).
    Number(f64),
}

impl<'a> Arg<'a> {
    fn from_value(value: Option<ValueRef<'a>>) -> Self {
        value.map_or(Arg::Undefined, Arg::Value)
    }

    fn primitive(self) -> Option<Primitive<'a>> {
        match self {
            Arg::Undefined => None,
            Arg::Value(value) => Some(Primitive::from(value)),
            Arg::Const(value) => Some(Primitive::from(value)),
            Arg::Number(n) => Some(Primitive::Number(n)),
        }
    }

    /// JavaScript's `Number(value)`.
    fn to_number(self) -> f64 {
        match self {
            Arg::Undefined => f64::NAN,
            Arg::Value(value) => value.to_number(),
            Arg::Const(value) => Primitive::from(value).to_number(),
            Arg::Number(n) => n,
        }
    }

    fn is_nullish(self) -> bool {
        matches!(self.primitive(), None | Some(Primitive::Null))
    }

    /// JavaScript's `String(value)` into `out`.
    fn write_text(self, out: &mut SliceWriter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        match self {
            Arg::Undefined => out.write_str("undefined"),
            Arg::Value(value) => value.write_js_text(out),
            other => other
                .primitive()
                .map_or(Ok(()), |value| value.write_js_text(out)),
        }
    }
}

/// Why a message could not be routed: Node-RED's rule threw, or the
/// device could not decide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RuleError {
    kind: ErrorKind,
    text: &'static str,
    /// Whether `text` is what Node-RED gives catch nodes (the `TypeError`'s
    /// `toString()`, V8's words), rather than the device's own.
    node_reds: bool,
}

const fn type_error(text: &'static str) -> RuleError {
    RuleError {
        kind: ErrorKind::BadValue,
        text,
        node_reds: true,
    }
}

const fn device_error(kind: ErrorKind, text: &'static str) -> RuleError {
    RuleError {
        kind,
        text,
        node_reds: false,
    }
}

/// A sequence rule reads `msg.parts.index` or `msg.parts.count` of a
/// message without `msg.parts` (or with `null`).
const NO_PARTS_INDEX: RuleError =
    type_error("TypeError: Cannot read properties of undefined (reading 'index')");
const NO_PARTS_COUNT: RuleError =
    type_error("TypeError: Cannot read properties of undefined (reading 'count')");
const NULL_PARTS_INDEX: RuleError =
    type_error("TypeError: Cannot read properties of null (reading 'index')");
const NULL_PARTS_COUNT: RuleError =
    type_error("TypeError: Cannot read properties of null (reading 'count')");
/// JavaScript's `ToPrimitive` of an object whose own `toString` hides
/// its prototype's (or of an array holding one).
const NO_PRIMITIVE: RuleError = type_error("TypeError: Cannot convert object to primitive value");
/// `hask` on an object whose own `hasOwnProperty` hides its prototype's.
const HAS_OWN_PROPERTY_HIDDEN: RuleError =
    type_error("TypeError: a.hasOwnProperty is not a function");
const TOO_LONG: RuleError = device_error(
    ErrorKind::Oversize,
    "the value written as text is longer than a message",
);
const TOO_MANY_RULES: RuleError = device_error(
    ErrorKind::BadValue,
    "a switch that reads context decides at most 128 rules",
);
const BAD_PATTERN: RuleError = device_error(
    ErrorKind::BadValue,
    "the compiled pattern cannot be read on this device",
);

/// Whether JavaScript's `ToPrimitive` throws for a value: an object with
/// its own `toString`, which (not being a function) it cannot call, and
/// whose inherited `valueOf` gives the object back; an array joins its
/// items' texts, so one such item anywhere in it throws too.
fn has_no_primitive(arg: Arg<'_>) -> bool {
    fn in_message(found: ValueRef<'_>) -> bool {
        match found {
            ValueRef::Object(members) => members.iter().any(|(name, _)| name == "toString"),
            ValueRef::Array(items) => items.iter().any(in_message),
            _ => false,
        }
    }
    fn in_constant(found: &ConstValue) -> bool {
        match found {
            ConstValue::Object(members) => members.iter().any(|(name, _)| *name == "toString"),
            ConstValue::Array(items) => items.iter().any(in_constant),
            _ => false,
        }
    }
    match arg {
        Arg::Value(found) => in_message(found),
        Arg::Const(found) => in_constant(found),
        Arg::Undefined | Arg::Number(_) => false,
    }
}

/// JavaScript's `Number(value)`, which throws where `ToPrimitive` does.
fn number_of(arg: Arg<'_>) -> Result<f64, RuleError> {
    if has_no_primitive(arg) {
        return Err(NO_PRIMITIVE);
    }
    Ok(arg.to_number())
}

/// Runs `f` on `String(arg)`'s UTF-8: text in place, anything else written
/// into `N` bytes on the stack.
fn with_text<const N: usize, R>(arg: Arg<'_>, f: impl FnOnce(&[u8]) -> R) -> Result<R, RuleError> {
    if has_no_primitive(arg) {
        return Err(NO_PRIMITIVE);
    }
    match arg {
        Arg::Value(ValueRef::Str(text)) | Arg::Const(&ConstValue::Str(text)) => {
            Ok(f(text.as_bytes()))
        }
        other => {
            let mut buffer = [0u8; N];
            let mut writer = SliceWriter::new(&mut buffer);
            other.write_text(&mut writer).map_err(|_| TOO_LONG)?;
            Ok(f(writer.written()))
        }
    }
}

/// JavaScript's `ToPrimitive` as `==` and `<` apply it: an array, object
/// or buffer becomes its text (`[5]` is "5", `[]` is "", an object is
/// "[object Object]"), written into `N` bytes on the stack; `None` is
/// `undefined`, or a text longer than a message. `Err` where
/// `ToPrimitive` throws.
fn with_primitive<const N: usize, R>(
    arg: Arg<'_>,
    f: impl FnOnce(Option<Primitive<'_>>) -> R,
) -> Result<R, RuleError> {
    if !matches!(arg.primitive(), Some(Primitive::Reference)) {
        return Ok(f(arg.primitive()));
    }
    if has_no_primitive(arg) {
        return Err(NO_PRIMITIVE);
    }
    let mut buffer = [0u8; N];
    let mut writer = SliceWriter::new(&mut buffer);
    Ok(match arg.write_text(&mut writer) {
        Ok(()) => f(core::str::from_utf8(writer.written())
            .ok()
            .map(Primitive::Str)),
        Err(_) => f(None),
    })
}

/// `a == b`.
fn loose_eq<const N: usize>(a: Arg<'_>, b: Arg<'_>) -> Result<bool, RuleError> {
    use Primitive::{Null, Reference};
    match (a.primitive(), b.primitive()) {
        // `undefined == null`, and `undefined == undefined`.
        (None | Some(Null), None | Some(Null)) => Ok(true),
        // Two values of one message are never the same object, and an
        // object is never `null`.
        (Some(Reference), Some(Reference) | Some(Null) | None)
        | (Some(Null) | None, Some(Reference)) => Ok(false),
        _ => with_primitive::<N, _>(a, |a| {
            with_primitive::<N, _>(b, |b| matches!((a, b), (Some(a), Some(b)) if a.loose_eq(b)))
        })?,
    }
}

/// `a < b`; `undefined` is NaN, never ordered.
fn loose_lt<const N: usize>(a: Arg<'_>, b: Arg<'_>) -> Result<bool, RuleError> {
    with_primitive::<N, _>(a, |a| {
        with_primitive::<N, _>(b, |b| matches!((a, b), (Some(a), Some(b)) if a.loose_lt(b)))
    })?
}

/// `a <= b`.
fn loose_le<const N: usize>(a: Arg<'_>, b: Arg<'_>) -> Result<bool, RuleError> {
    with_primitive::<N, _>(a, |a| {
        with_primitive::<N, _>(b, |b| matches!((a, b), (Some(a), Some(b)) if a.loose_le(b)))
    })?
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Node-RED's `empty`: text, arrays and buffers of length 0 and objects
/// without keys; `Some(false)`'s opposite for `nempty`; neither for other
/// values.
fn emptiness(value: Arg<'_>) -> Option<bool> {
    match value {
        Arg::Value(ValueRef::Str(text)) => Some(text.is_empty()),
        Arg::Value(ValueRef::Bytes(bytes)) => Some(bytes.is_empty()),
        Arg::Value(ValueRef::Array(items)) => Some(items.is_empty()),
        Arg::Value(ValueRef::Object(members)) => Some(members.is_empty()),
        Arg::Const(&ConstValue::Str(text)) => Some(text.is_empty()),
        _ => None,
    }
}

/// A key that is an array index: a `u32` written without leading zeros.
fn array_index(key: &[u8]) -> Option<usize> {
    if key.len() > 1 && key.first() == Some(&b'0') {
        return None;
    }
    core::str::from_utf8(key)
        .ok()?
        .parse::<u32>()
        .ok()
        .map(|i| i as usize)
}

/// `value.hasOwnProperty(key)` for a value that is neither null nor
/// undefined.
/// Whether an object has its own `hasOwnProperty`, which, not being a
/// function, JavaScript cannot call.
fn hides_has_own_property(value: Arg<'_>) -> bool {
    match value {
        Arg::Value(ValueRef::Object(members)) => {
            members.iter().any(|(name, _)| name == "hasOwnProperty")
        }
        _ => false,
    }
}

fn has_own_property(value: Arg<'_>, key: &[u8]) -> bool {
    let index = array_index(key);
    match value {
        Arg::Value(ValueRef::Object(members)) => {
            members.iter().any(|(name, _)| name.as_bytes() == key)
        }
        Arg::Value(ValueRef::Array(items)) => {
            key == b"length" || index.is_some_and(|index| index < items.len())
        }
        // A Buffer's length is its prototype's, not its own.
        Arg::Value(ValueRef::Bytes(bytes)) => index.is_some_and(|index| index < bytes.len()),
        Arg::Value(ValueRef::Str(text)) | Arg::Const(&ConstValue::Str(text)) => {
            key == b"length" || index.is_some_and(|index| index < text.encode_utf16().count())
        }
        _ => false,
    }
}

fn is_type<const N: usize>(value: Arg<'_>, ty: JsType, json: JsonTest) -> Result<bool, RuleError> {
    let value_ref = match value {
        Arg::Value(value) => Some(value),
        _ => None,
    };
    Ok(match ty {
        JsType::Json => {
            // `JSON.parse(a)` in a `try`: a value it cannot make text of
            // is not JSON either.
            let parsed = match with_text::<N, _>(value, |text| {
                let mut scratch = [0u8; N];
                json(text, &mut scratch)
            }) {
                Err(NO_PRIMITIVE) => return Ok(false),
                parsed => parsed?,
            };
            match parsed {
                Ok(()) => true,
                Err(JsonError::TooBig) => return Err(TOO_LONG),
                Err(_) => false,
            }
        }
        JsType::Undefined => matches!(value, Arg::Undefined),
        JsType::Number => {
            matches!(value.primitive(), Some(Primitive::Number(n)) if !n.is_nan())
        }
        JsType::String => matches!(value.primitive(), Some(Primitive::Str(_))),
        JsType::Boolean => matches!(value.primitive(), Some(Primitive::Bool(_))),
        JsType::Null => matches!(value.primitive(), Some(Primitive::Null)),
        JsType::Array => matches!(value_ref, Some(ValueRef::Array(_))),
        JsType::Buffer => matches!(value_ref, Some(ValueRef::Bytes(_))),
        JsType::Object => matches!(value_ref, Some(ValueRef::Object(_))),
    })
}

/// What a rule sees besides its values: the message's `msg.parts`.
#[derive(Clone, Copy)]
struct Parts<'a> {
    parts: Option<ValueRef<'a>>,
}

impl<'a> Parts<'a> {
    /// `msg.parts[name]` (`index` or `count`), or the error Node-RED
    /// throws reading a property of `undefined` or `null`.
    fn part(self, name: &str) -> Result<Arg<'a>, RuleError> {
        let counting = name == "count";
        match self.parts {
            None if counting => Err(NO_PARTS_COUNT),
            None => Err(NO_PARTS_INDEX),
            Some(ValueRef::Null) if counting => Err(NULL_PARTS_COUNT),
            Some(ValueRef::Null) => Err(NULL_PARTS_INDEX),
            Some(ValueRef::Object(members)) => Ok(Arg::from_value(members.get(name))),
            Some(_) => Ok(Arg::Undefined),
        }
    }
}

/// Whether `op` holds for `a` (the property) with values `b` and `c`.
fn holds<const N: usize>(
    op: SwitchOp,
    a: Arg<'_>,
    b: Arg<'_>,
    c: Arg<'_>,
    context: Parts<'_>,
    json: JsonTest,
) -> Result<bool, RuleError> {
    let number = Arg::Number;
    Ok(match op {
        SwitchOp::Eq => loose_eq::<N>(a, b)?,
        SwitchOp::Neq => !loose_eq::<N>(a, b)?,
        SwitchOp::Lt => loose_lt::<N>(a, b)?,
        SwitchOp::Lte => loose_le::<N>(a, b)?,
        SwitchOp::Gt => loose_lt::<N>(b, a)?,
        SwitchOp::Gte => loose_le::<N>(b, a)?,
        // JavaScript's order, which decides whether `c` is read at all.
        SwitchOp::Btwn => {
            (loose_le::<N>(b, a)? && loose_le::<N>(a, c)?)
                || (loose_le::<N>(a, b)? && loose_le::<N>(c, a)?)
        }
        SwitchOp::Cont => with_text::<N, _>(a, |haystack| {
            with_text::<N, _>(b, |needle| contains(haystack, needle))
        })??,
        SwitchOp::Regex(regex) => {
            with_text::<N, _>(a, |text| regex.is_match(text))?.map_err(|_| BAD_PATTERN)?
        }
        SwitchOp::True => matches!(a.primitive(), Some(Primitive::Bool(true))),
        SwitchOp::False => matches!(a.primitive(), Some(Primitive::Bool(false))),
        SwitchOp::Null => a.is_nullish(),
        SwitchOp::NotNull => !a.is_nullish(),
        SwitchOp::Empty => emptiness(a) == Some(true),
        SwitchOp::NotEmpty => emptiness(a) == Some(false),
        SwitchOp::IsType(ty) => is_type::<N>(a, ty, json)?,
        // Node-RED reads the rule's numbers before `msg.parts`.
        SwitchOp::Head => {
            let count = number_of(b)?;
            loose_lt::<N>(context.part("index")?, number(count))?
        }
        SwitchOp::Tail => {
            let count = number_of(b)?;
            let total = number_of(context.part("count")?)?;
            loose_le::<N>(number(total - count), context.part("index")?)?
        }
        SwitchOp::Index => {
            let (min, max) = (number_of(b)?, number_of(c)?);
            let index = context.part("index")?;
            loose_le::<N>(number(min), index)? && loose_le::<N>(index, number(max))?
        }
        // `typeof b !== "object"`: null, arrays and objects name no key.
        SwitchOp::HasKey => {
            let names_key = !matches!(
                b,
                Arg::Value(ValueRef::Null | ValueRef::Array(_) | ValueRef::Object(_))
                    | Arg::Const(
                        &(ConstValue::Null | ConstValue::Array(_) | ConstValue::Object(_))
                    )
            );
            if a.is_nullish() || !names_key {
                false
            } else if hides_has_own_property(a) {
                return Err(HAS_OWN_PROPERTY_HIDDEN);
            } else {
                with_text::<N, _>(b, |key| has_own_property(a, key))?
            }
        }
        // Decided by the caller, which knows what matched before.
        SwitchOp::Else => false,
    })
}

impl<const P: usize> Switch<P> {
    /// A switch on a message property, with no context value anywhere.
    pub const fn new(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        rules: &'static [SwitchRule],
        check_all: bool,
    ) -> Self {
        Self::with_context(info, Property::msg(path), rules, check_all, Stores::NONE)
    }
}

impl<const P: usize, const C: usize> Switch<P, C> {
    /// A switch whose property or values may be flow or global context,
    /// read from `stores`.
    pub const fn with_context(
        info: NodeInfo,
        property: Property,
        rules: &'static [SwitchRule],
        check_all: bool,
        stores: Stores<C>,
    ) -> Self {
        Self {
            info,
            property,
            stores,
            rules,
            check_all,
            json: json_test(rules),
            previous: Previous::Null,
            buffer: [0; P],
        }
    }

    fn reads_context(&self) -> bool {
        self.stores.any()
    }

    fn previous(&self) -> Arg<'_> {
        match self.previous {
            Previous::Null => Arg::Value(ValueRef::Null),
            Previous::Undefined => Arg::Undefined,
            Previous::Stored(len) => Arg::from_value(
                self.buffer
                    .get(..len)
                    .and_then(decode)
                    .map(|(value, _)| value),
            ),
        }
    }

    /// The ports the message goes to, in rule order, as Node-RED decides
    /// them: each rule in turn, `else` matching when nothing matched since
    /// the start or the last `else`, stopping at the first match unless
    /// `checkall`.
    fn matching_ports<'a, const N: usize>(
        &'a self,
        msg: &'a Msg<N>,
        previous: Arg<'a>,
        stores: Option<StoreView<'a, C>>,
    ) -> impl Iterator<Item = Result<usize, RuleError>> + 'a {
        let value_of = move |property: &Property| match property.scope {
            Scope::Msg => msg.get(property.path),
            scope => stores.and_then(|stores| stores.get(scope, property.path)),
        };
        let subject = Arg::from_value(value_of(&self.property));
        let context = Parts {
            parts: msg.property("parts"),
        };
        let operand = move |operand: &'a SwitchOperand| match operand {
            SwitchOperand::Const(value) => Arg::Const(value),
            SwitchOperand::Msg(path) => Arg::from_value(msg.get(path)),
            SwitchOperand::Context(property) => Arg::from_value(value_of(property)),
            SwitchOperand::Prev => previous,
            SwitchOperand::Undefined => Arg::Undefined,
        };
        let mut nothing_matched = true;
        let mut stopped = false;
        self.rules
            .iter()
            .enumerate()
            .filter_map(move |(port, rule)| {
                if stopped {
                    return None;
                }
                let matched = if rule.op == SwitchOp::Else {
                    core::mem::replace(&mut nothing_matched, true)
                } else {
                    let (b, c) = (operand(&rule.value), operand(&rule.value2));
                    match holds::<N>(rule.op, subject, b, c, context, self.json) {
                        Ok(matched) => matched,
                        Err(error) => {
                            stopped = true;
                            return Some(Err(error));
                        }
                    }
                };
                if !matched {
                    return None;
                }
                nothing_matched = false;
                stopped = !self.check_all;
                Some(Ok(port))
            })
    }

    /// Decides the ports and sends a copy to each but the last, which it
    /// returns; Node-RED decides every port before sending anything, so
    /// receivers cannot change what later rules see. `Err` when a rule
    /// failed: the error is logged and counted, and nothing is sent. A
    /// switch on a context value keeps that value, for its next `prev`,
    /// in `seen` (`P` bytes), as it was when the rules ran.
    fn send_copies<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &Msg<N>,
        out: &mut O,
        seen: &mut [u8; P],
    ) -> Result<(Option<usize>, Previous), ()> {
        let previous = self.previous();
        if self.reads_context() {
            return self.send_copies_reading_context(device, msg, out, previous, seen);
        }
        let mut last = None;
        for port in self.matching_ports(msg, previous, None) {
            match port {
                Ok(port) => last = Some(port),
                Err(error) => {
                    self.report(device, error);
                    return Err(());
                }
            }
        }
        let Some(last) = last else {
            return Ok((None, Previous::Undefined));
        };
        // The ports before the last are found again while copies go out:
        // the copies leave the message itself untouched, so the rules see
        // what they saw the first time.
        for port in self
            .matching_ports(msg, previous, None)
            .map_while(Result::ok)
            .take_while(|port| *port != last)
        {
            let mut copy = msg.clone();
            out.send(port, &mut copy);
        }
        Ok((Some(last), Previous::Undefined))
    }

    /// `send_copies` for a switch that reads context: the ports are decided
    /// while the stores are held and remembered as bits, since a receiver
    /// may change the stores before the copies have all gone.
    fn send_copies_reading_context<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &Msg<N>,
        out: &mut O,
        previous: Arg<'_>,
        seen: &mut [u8; P],
    ) -> Result<(Option<usize>, Previous), ()> {
        let decided = self.stores.read(device, |stores| {
            let mut ports = 0u128;
            for port in self.matching_ports(msg, previous, Some(stores)) {
                let bit = port.and_then(|port| {
                    u32::try_from(port)
                        .ok()
                        .and_then(|port| 1u128.checked_shl(port))
                        .ok_or(TOO_MANY_RULES)
                })?;
                ports |= bit;
            }
            // A node without room has no `prev` rules to need it.
            let remembered = match self.property.scope {
                Scope::Msg => Previous::Undefined,
                _ if P == 0 => Previous::Undefined,
                scope => remember(stores.get(scope, self.property.path), seen, device),
            };
            Ok((ports, remembered))
        });
        let (mut ports, remembered) = match decided {
            Some(Ok(decided)) => decided,
            Some(Err(error)) => {
                self.report(device, error);
                return Err(());
            }
            // A busy store, counted by `read`.
            None => return Err(()),
        };
        if ports == 0 {
            return Ok((None, remembered));
        }
        let last = 127 - ports.leading_zeros() as usize;
        while ports != 0 {
            let port = ports.trailing_zeros() as usize;
            ports &= ports - 1;
            if port != last {
                let mut copy = msg.clone();
                out.send(port, &mut copy);
            }
        }
        Ok((Some(last), remembered))
    }

    fn report(&self, device: &Device, error: RuleError) {
        if error.node_reds {
            // Node-RED gives catch nodes the error's `toString()` and logs
            // its message.
            self.info
                .log(device, format_args!("{}", error_text(error.text)));
            device.report_error(error.kind, error.text);
        } else {
            self.info.log(device, format_args!("{}", error.text));
            device.report(error.kind);
        }
    }
}

/// Encodes a value for the next `prev` into `buffer`; too large a value is
/// counted and remembered as `undefined`.
fn remember<const P: usize>(
    value: Option<ValueRef<'_>>,
    buffer: &mut [u8; P],
    device: &Device,
) -> Previous {
    match value {
        None => Previous::Undefined,
        Some(value) => match value.encode(buffer) {
            Some(len) => Previous::Stored(len),
            None => {
                device.report(ErrorKind::Oversize);
                Previous::Undefined
            }
        },
    }
}

/// A switch without `prev` rules keeps no state: its configuration is a
/// constant the compiler emits, so a device holds it in an immutable
/// static and the optimiser sees through it.
impl<const C: usize> Switch<0, C> {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        if let Ok((Some(last), _)) = self.send_copies(device, msg, out, &mut []) {
            out.send(last, msg);
        }
    }
}

impl<const P: usize, const C: usize> Switch<P, C> {
    /// Routes a message as [`Node::input`] does; `Err` when a rule failed
    /// (logged and counted, nothing sent), as a sequence being repaired
    /// needs to know.
    pub(super) fn route<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) -> Result<(), ()> {
        let mut seen = [0u8; P];
        let (last, remembered) = self.send_copies(device, msg, out, &mut seen)?;
        // Node-RED keeps the property's value once the rules have run; a
        // node without room has no `prev` rules to need it.
        if P == 0 {
            if let Some(last) = last {
                out.send(last, msg);
            }
            return Ok(());
        }
        self.previous = match self.property.scope {
            Scope::Msg => remember(msg.get(self.property.path), &mut self.buffer, device),
            _ => {
                self.buffer = seen;
                remembered
            }
        };
        if let Some(last) = last {
            out.send(last, msg);
        }
        Ok(())
    }

    /// How many rules the switch has, one a port.
    pub(super) fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Logs and counts an error Node-RED's switch reports with `text`.
    pub(super) fn report_node_reds(&self, device: &Device, kind: ErrorKind, text: &'static str) {
        self.report(
            device,
            RuleError {
                kind,
                text,
                node_reds: true,
            },
        );
    }
}

impl<const N: usize, const P: usize, const C: usize> Node<N> for Switch<P, C> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        let _ = self.route(device, msg, out);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::encoding::Str;

    static DEVICE: Device = Device::new("test", "switch.rs");
    const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

    /// The ports a message with `payload` goes to.
    fn check(rules: &'static [SwitchRule], check_all: bool, payload: &str, expect: &[usize]) {
        let switch = Switch::new(NodeInfo::new("s", "", "switch"), PAYLOAD, rules, check_all);
        let mut msg = Msg::<64>::new();
        msg.set_property("payload", &Str(payload)).unwrap();
        let mut ports = Vec::new();
        switch.input(&DEVICE, &mut msg, &mut |port: usize, _: &mut Msg<64>| {
            ports.push(port)
        });
        assert_eq!(ports, expect);
    }

    const fn rule(op: SwitchOp, value: &'static str) -> SwitchRule {
        SwitchRule::new(op, SwitchOperand::Const(ConstValue::Str(value)))
    }

    #[test]
    fn check_all_sends_to_every_matching_port_in_order() {
        const RULES: &[SwitchRule] = &[
            rule(SwitchOp::Eq, "on"),
            rule(SwitchOp::Neq, "off"),
            rule(SwitchOp::Eq, "off"),
            rule(SwitchOp::Else, ""),
        ];
        check(RULES, true, "on", &[0, 1]);
        check(RULES, false, "on", &[0]);
        check(RULES, true, "off", &[2]);
        check(RULES, true, "dim", &[1]);
    }

    /// A switch on a flow value without `prev` rules keeps nothing, and
    /// counts no error for having no room to keep it.
    #[test]
    fn a_switch_on_context_without_prev_counts_no_error() {
        static FLOW: crate::Context<64> = crate::Context::new();
        const LEVEL: Property = Property {
            scope: Scope::Flow,
            path: &[PathSegment::Key("level")],
        };
        const RULES: &[SwitchRule] = &[
            SwitchRule::new(SwitchOp::Gt, SwitchOperand::Const(ConstValue::Number(5.0))),
            SwitchRule::new(SwitchOp::Else, SwitchOperand::Undefined),
        ];
        let device = Device::new("context", "switch.rs");
        let switch: Switch<0, 64> = Switch::with_context(
            NodeInfo::new("s", "", "switch"),
            LEVEL,
            RULES,
            true,
            Stores::new(Some(&FLOW), None),
        );
        let mut ports = Vec::new();
        for level in [7.0, 3.0] {
            FLOW.with(&device, |store| store.set_property("level", &level));
            let mut msg = Msg::<64>::new();
            switch.input(&device, &mut msg, &mut |port: usize, _: &mut Msg<64>| {
                ports.push(port)
            });
        }
        assert_eq!(ports, [0, 1]);
        assert_eq!(device.errors_seen().count(), 0);
    }

    #[test]
    fn any_number_of_rules_can_match() {
        const RULES: &[SwitchRule] = &[rule(SwitchOp::Eq, "x"); 40];
        let all: Vec<usize> = (0..40).collect();
        check(RULES, true, "x", &all);
    }
}
