//! `switch`: the property it tests and its rules, read as Node-RED's
//! `10-switch.js` reads them: each rule's operator (`t`), its values (`v`,
//! `v2`) with their types (`vt`, `v2t`, guessed from the value when
//! missing), the case flag of `regex`, `checkall` and `repair`. The
//! property and the values may be flow or global context, read on the
//! device when a message arrives. A switch that repairs sequences, or has
//! a `tail` rule, holds the messages of a sequence until it is complete,
//! up to `psosQueue` of them.

use super::delay::DEFAULT_QUEUE;
use super::Reader;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    JsType, Literal, NodeKind, Property, Store, Switch, SwitchOp, SwitchOperand, SwitchRule,
};
use crate::json::{Json, JsonValue};

/// The operators a device runs, by Node-RED's name.
const OPERATORS: &[(&str, SwitchOp)] = &[
    ("eq", SwitchOp::Eq),
    ("neq", SwitchOp::Neq),
    ("lt", SwitchOp::Lt),
    ("lte", SwitchOp::Lte),
    ("gt", SwitchOp::Gt),
    ("gte", SwitchOp::Gte),
    ("btwn", SwitchOp::Btwn),
    ("cont", SwitchOp::Cont),
    ("true", SwitchOp::True),
    ("false", SwitchOp::False),
    ("null", SwitchOp::Null),
    ("nnull", SwitchOp::NotNull),
    ("empty", SwitchOp::Empty),
    ("nempty", SwitchOp::NotEmpty),
    ("head", SwitchOp::Head),
    ("tail", SwitchOp::Tail),
    ("index", SwitchOp::Index),
    ("hask", SwitchOp::HasKey),
    ("else", SwitchOp::Else),
];

/// The types `istype` names, as its `v` holds them.
const TYPES: &[(&str, JsType)] = &[
    ("string", JsType::String),
    ("number", JsType::Number),
    ("boolean", JsType::Boolean),
    ("array", JsType::Array),
    ("buffer", JsType::Buffer),
    ("object", JsType::Object),
    ("json", JsType::Json),
    ("undefined", JsType::Undefined),
    ("null", JsType::Null),
];

const RULE_EXAMPLE: &str = "[{\"t\": \"eq\", \"v\": \"on\", \"vt\": \"str\"}, {\"t\": \"else\"}]";

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let name = reader.string("property").unwrap_or("payload");
    let kind = reader.string("propertyType");
    let span = reader.node.value_span("property");
    let path = property(reader, name, kind, span);
    // Node-RED reads a missing list as no rules.
    let items = match reader.get("rules") {
        None => &[][..],
        Some(_) => reader.required_array("rules", RULE_EXAMPLE)?,
    };
    let mut rules = Vec::new();
    let mut ok = true;
    for item in items {
        match rule(reader, item) {
            Some(rule) => rules.push(rule),
            None => ok = false,
        }
    }
    let check_all = check_all(reader);
    // Node-RED tests `n.repair` as JavaScript does: any truthy value.
    let repair = reader.get("repair").is_some_and(Json::is_truthy);
    // The messages of sequences it holds back, as a sort node holds them.
    let queue = reader.whole_number("psosQueue", DEFAULT_QUEUE as u64, 1..=256);
    if !ok {
        return None;
    }
    let switch = Switch {
        property: path?,
        rules,
        check_all,
        repair,
        queue: usize::try_from(queue?).ok()?,
    };
    // A device remembers a message's ports in bits, as many as these
    // limits, where it holds the message or the context.
    let limits = [
        (
            switch.repair,
            psos::nodes::MAX_REPAIR_RULES,
            "repairs sequences",
            format!(
                "remembers the ports of at most {} for each message it holds",
                psos::nodes::MAX_REPAIR_RULES
            ),
        ),
        (
            !switch.context_read().is_empty(),
            psos::nodes::MAX_CONTEXT_RULES,
            "reads flow or global context",
            format!(
                "decides at most {} while it holds the context",
                psos::nodes::MAX_CONTEXT_RULES
            ),
        ),
    ];
    for (applies, limit, what, why) in limits {
        if applies && switch.rules.len() > limit {
            let span = reader.node.value_span("rules");
            reader.unsupported(
                "rules",
                span,
                format!(
                    "a switch that {what} has {} rules; a device {why}",
                    switch.rules.len()
                ),
                "split the rules over two switch nodes",
            );
            return None;
        }
    }
    Some(NodeKind::Switch(switch))
}

/// Warns of something the device does as Node-RED does, which the flow's
/// author may not expect.
fn warn(
    reader: &mut Reader<'_, '_>,
    code: Code,
    key: &str,
    span: crate::json::Span,
    label: &str,
    message: impl Into<String>,
    help: &str,
) {
    reader.diagnostics.push(
        Diagnostic::warning(code, message)
            .node(reader.node.node_ref())
            .property(key)
            .label(span, label)
            .help(help),
    );
}

/// `checkall`: Node-RED stops at the first match only when it is the text
/// `"false"` (`n.checkall || "true"`, then `== "false"`), which is what its
/// editor writes; the boolean `false` checks every rule there, and so here,
/// with a warning.
fn check_all(reader: &mut Reader<'_, '_>) -> bool {
    if let Some(JsonValue::Bool(false)) = reader.get("checkall").map(|value| &value.value) {
        let span = reader.node.value_span("checkall");
        warn(
            reader,
            Code::UnsupportedValue,
            "checkall",
            span,
            "the boolean false",
            "Node-RED reads \"checkall\": false (not the text \"false\") as true: every matching rule sends; so does the device",
            "write \"checkall\": \"false\" to stop at the first match",
        );
        return true;
    }
    reader.flag("checkall", true)
}

/// The property tested: a `msg` property, or a flow or global value, as
/// `propertyType` says.
fn property(
    reader: &mut Reader<'_, '_>,
    name: &str,
    kind: Option<&str>,
    span: crate::json::Span,
) -> Option<Property> {
    if let Some(scope @ ("flow" | "global")) = kind {
        return super::change::property(reader, "property", scope, name, span);
    }
    match kind {
        Some("jsonata") => {
            reader.refuse_jsonata("propertyType", span, name, WITHOUT_JSONATA);
            return None;
        }
        // Fixed when psosc builds the flow, so every message would go the
        // same way.
        Some("env") => {
            reader.unsupported(
                "propertyType",
                span,
                "a switch on a property of type \"env\" is not supported".to_string(),
                "switch on a msg property; a rule can compare it with an env value",
            );
            return None;
        }
        _ => {}
    }
    reader
        .msg_property("property", name, kind, span)
        .map(|path| Property {
            scope: Store::Msg,
            path,
        })
}

/// What to do instead of a property or value that is a JSONata
/// expression.
const WITHOUT_JSONATA: &str =
    "use the switch's operators on msg properties, with str, num, bool or prev values";

fn rule(reader: &mut Reader<'_, '_>, item: &Json) -> Option<SwitchRule> {
    let op_span = item.get("t").map_or(item.span, |t| t.span);
    let name = match item.get("t").map(|t| &t.value) {
        Some(JsonValue::String(name)) => name.as_str(),
        // `singularSwitchTest(true, ...)` in Node-RED's tests: the
        // operator `true` written as a boolean.
        Some(JsonValue::Bool(true)) => "true",
        Some(JsonValue::Bool(false)) => "false",
        _ => "",
    };
    let op = match name {
        "regex" => regex(reader, item)?,
        "istype" => {
            let span = item.get("v").map_or(item.span, |v| v.span);
            let word = item.get("v").and_then(Json::as_str).unwrap_or("");
            SwitchOp::IsType(known_word(
                reader,
                span,
                word,
                TYPES,
                "a type istype knows",
                "",
            )?)
        }
        "jsonata_exp" => {
            let expression = item.get("v").and_then(Json::as_str).unwrap_or("");
            reader.refuse_jsonata(
                "rules",
                op_span,
                expression,
                "use the switch's other operators, on msg properties",
            );
            return None;
        }
        other => known_word(
            reader,
            op_span,
            other,
            OPERATORS,
            "a switch rule Node-RED knows",
            ", regex, istype",
        )?,
    };
    let (value, value2) = match op {
        SwitchOp::Eq
        | SwitchOp::Neq
        | SwitchOp::Lt
        | SwitchOp::Lte
        | SwitchOp::Gt
        | SwitchOp::Gte
        | SwitchOp::Cont
        | SwitchOp::Head
        | SwitchOp::Tail
        | SwitchOp::HasKey => (
            operand(reader, item, "v", "vt", true)?,
            SwitchOperand::Undefined,
        ),
        SwitchOp::Btwn | SwitchOp::Index => {
            let value = operand(reader, item, "v", "vt", true);
            let value2 = operand(reader, item, "v2", "v2t", false);
            (value?, value2?)
        }
        _ => (SwitchOperand::Undefined, SwitchOperand::Undefined),
    };
    Some(SwitchRule { op, value, value2 })
}

/// The setting `word` names among `choices`, or a diagnostic listing them
/// (and `more`, names read elsewhere).
fn known_word<T: Clone>(
    reader: &mut Reader<'_, '_>,
    span: crate::json::Span,
    word: &str,
    choices: &[(&str, T)],
    what: &str,
    more: &str,
) -> Option<T> {
    if let Some((_, setting)) = choices.iter().find(|(name, _)| *name == word) {
        return Some(setting.clone());
    }
    let known: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
    reader.malformed(
        "rules",
        span,
        format!("{word:?} is not {what}"),
        Some(format!("use one of: {}{more}", known.join(", "))),
    );
    None
}

/// A `regex` rule: its pattern, compiled now for the device.
fn regex(reader: &mut Reader<'_, '_>, item: &Json) -> Option<SwitchOp> {
    let span = item.get("v").map_or(item.span, |v| v.span);
    let value_type = item.get("vt").and_then(Json::as_str).unwrap_or("str");
    if value_type != "str" {
        reader.unsupported(
            "rules",
            item.get("vt").map_or(span, |vt| vt.span),
            format!("a regex rule with a pattern of type {value_type:?} is not supported: patterns are compiled when the flow is built"),
            "write the pattern as text (\"vt\": \"str\")",
        );
        return None;
    }
    let pattern = match item.get("v").map(|v| &v.value) {
        Some(JsonValue::String(text)) => text.clone(),
        Some(JsonValue::Number(n)) => super::js_number_text(*n),
        _ => String::new(),
    };
    let ignore_case = match item.get("case").map(|c| &c.value) {
        None | Some(JsonValue::Null) => false,
        Some(JsonValue::Bool(b)) => *b,
        Some(_) => {
            let span = item.get("case").map_or(span, |c| c.span);
            reader.malformed(
                "rules",
                span,
                "the regex rule's \"case\" is not true or false".to_string(),
                Some("write \"case\": true to ignore case, or leave it out".to_string()),
            );
            return None;
        }
    };
    match crate::regex::compile(&pattern, ignore_case) {
        Ok(bytes) => Some(SwitchOp::Regex(bytes)),
        Err(problem) => {
            reader.unsupported("rules", span, problem.message, problem.help);
            None
        }
    }
}

/// A rule's value and its type, read as `10-switch.js` reads them.
fn operand(
    reader: &mut Reader<'_, '_>,
    item: &Json,
    key: &str,
    type_key: &str,
    first: bool,
) -> Option<SwitchOperand> {
    let value = item.get(key);
    let span = value.map_or(item.span, |v| v.span);
    let type_span = item.get(type_key).map_or(span, |t| t.span);
    let declared = item
        .get(type_key)
        .and_then(Json::as_str)
        .filter(|t| !t.is_empty());
    // Without a type, Node-RED takes a value that `Number()` reads as a
    // number, and anything else as text.
    let value_type = match (declared, value.map(|v| &v.value)) {
        (Some(declared), _) => declared,
        (None, None) => return Some(SwitchOperand::Undefined),
        (None, Some(JsonValue::Number(_))) => "num",
        (None, Some(JsonValue::String(text))) if !psos::number_from_str(text).is_nan() => "num",
        (None, Some(_)) => "str",
    };
    if value_type == "jsonata" {
        let expression = value.and_then(Json::as_str).unwrap_or("");
        reader.refuse_jsonata("rules", type_span, expression, WITHOUT_JSONATA);
        return None;
    }
    match value_type {
        "prev" => Some(SwitchOperand::Previous),
        // Node-RED reads a second value only where the rule has one.
        "flow" | "global" if !first && value.is_none() => Some(SwitchOperand::Undefined),
        "flow" | "global" => {
            let name = value.and_then(Json::as_str).unwrap_or("");
            super::change::property(reader, "rules", value_type, name, span)
                .map(SwitchOperand::Context)
        }
        "env" => Some(env_value(reader, value, span)),
        "msg" => {
            let name = value.and_then(Json::as_str).unwrap_or("");
            reader
                .msg_property("rules", name, None, span)
                .map(SwitchOperand::Msg)
        }
        // Node-RED 4 compares the first value of type json with the text
        // "json", not with the value written (`getV1` in 10-switch.js).
        "json" if first => {
            warn(
                reader,
                Code::UnsupportedValue,
                "rules",
                type_span,
                "type json",
                "Node-RED's switch compares a rule value of type json with the text \"json\", not with the JSON written; so does the device",
                "write the value as str, num or bool to compare with it",
            );
            Some(SwitchOperand::Literal(Literal::String("json".to_string())))
        }
        "str" | "num" | "bool" | "json" => {
            // `Number()` of a value that is not a number leaves it as text.
            let literal = reader.literal("rules", value, value_type, span)?;
            Some(SwitchOperand::Literal(literal))
        }
        other => {
            reader.unsupported(
                "rules",
                type_span,
                format!("a switch rule value of type {other:?} is not supported"),
                "use one of: str, num, bool, json, msg, flow, global, prev, env",
            );
            None
        }
    }
}

/// A value of type `env`, as Node-RED's `evaluateEnvProperty` reads it for
/// each message: `NAME`, `${NAME}` or text with `${NAME}` inside, looked
/// up now; what is not set is empty text there, and here, with a warning.
fn env_value(
    reader: &mut Reader<'_, '_>,
    value: Option<&Json>,
    span: crate::json::Span,
) -> SwitchOperand {
    let name = value.and_then(Json::as_str).unwrap_or("");
    SwitchOperand::Literal(Literal::String(reader.env_text("rules", name, span)))
}
