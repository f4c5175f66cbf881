//! `trigger`: the two payloads it sends (`op1`, `op2` and their types),
//! its time (`duration` in `units`, negative to repeat), how it resets,
//! whether it keeps topics apart, and how many topics it keeps on a device
//! (`psosTopics`). A `flow` or `global` payload is read on the device when
//! its message leaves; text with `{{mustache}}` fields is parsed now, as
//! the template node's is, and rendered against the message on the device.

use super::delay::{tick_for, wait_ms};
use super::template::Lookup;
use super::Reader;
use crate::ir::{InjectValue, Literal, NodeKind, Trigger, TriggerOp};

/// How many topics a trigger node with `bytopic` `topic` keeps triggered at
/// once unless its `psosTopics` says otherwise.
pub const DEFAULT_TOPICS: usize = 8;

/// The range of `psosTopics`: at least one topic, and not more than a
/// small device could hold.
const TOPICS_RANGE: std::ops::RangeInclusive<u64> = 1..=256;

/// The milliseconds in one of `units`.
const UNITS: &[(&str, f64)] = &[
    ("ms", 1.0),
    ("s", 1000.0),
    ("min", 60_000.0),
    ("hr", 3_600_000.0),
];

/// Whether `bytopic` keeps topics apart.
const BY_TOPIC: &[(&str, bool)] = &[("all", false), ("topic", true)];

/// Node-RED's `duration` when it is missing or not a number.
const DEFAULT_DURATION: f64 = 250.0;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let first = op(reader, "op1", "1", false);
    let second = op(reader, "op2", "0", true);
    let unit = reader.choice("units", UNITS);
    let duration = match reader.get("duration") {
        None => Some(DEFAULT_DURATION),
        Some(_) => reader.required_number("duration", "250"),
    };
    let extend = reader.flag("extend", false);
    let override_delay = reader.flag("overrideDelay", false);
    let reset = reader.string("reset").filter(|reset| !reset.is_empty());
    let by_topic = reader.choice("bytopic", BY_TOPIC);
    let topic = match by_topic {
        Some(true) => {
            let name = reader
                .string("topic")
                .filter(|name| !name.is_empty())
                .unwrap_or("topic");
            let span = reader.node.value_span("topic");
            reader.msg_property("topic", name, None, span).map(Some)
        }
        _ => Some(None),
    };
    let outputs = reader.whole_number("outputs", 1, 1..=2);
    let topics = reader.whole_number("psosTopics", DEFAULT_TOPICS as u64, TOPICS_RANGE);
    let duration = duration?;
    // Node-RED's "resend every": a negative time repeats the first message,
    // and then never extends.
    let repeat = duration < 0.0;
    let duration_ms = wait_ms(reader, "duration", duration.abs(), unit)?;
    let by_topic = topic?;
    let topics = match by_topic {
        Some(_) => usize::try_from(topics?).ok()?,
        None => 1,
    };
    let waits_for_reset = duration_ms == 0.0 && !override_delay;
    Some(NodeKind::Trigger(Trigger {
        first: first?,
        second: second?,
        duration_ms,
        repeat,
        extend: extend && !repeat,
        override_delay,
        reset: reset.map(str::to_string),
        by_topic,
        second_output: outputs? == 2,
        topics,
        tick_ms: (!waits_for_reset).then(|| tick_for(duration_ms)),
    }))
}

/// One of the payloads (`op1` or `op2`, with the type in `…type`), as
/// `89-trigger.js` reads them: an empty value is its default (`"1"` and
/// `"0"`), and the old `val` type is a boolean, `null` or text.
fn op(reader: &mut Reader<'_, '_>, key: &str, default: &str, second: bool) -> Option<TriggerOp> {
    let type_key = format!("{key}type");
    let op_type = reader
        .string(&type_key)
        .filter(|op_type| !op_type.is_empty())
        .unwrap_or("str");
    let value = reader.get(key);
    let text = match value.map(|value| &value.value) {
        Some(crate::json::JsonValue::String(text)) if !text.is_empty() => Some(text.as_str()),
        Some(crate::json::JsonValue::String(_)) | None => Some(default),
        Some(_) => None,
    };
    let span = reader.node.value_span(key);
    let type_span = reader.node.value_span(&type_key);
    let unsupported = |reader: &mut Reader<'_, '_>, message: String, help: &str| {
        reader.unsupported(&type_key, type_span, message, help);
        None
    };
    // The old `val` type is a boolean, `null`, or else text.
    let op_type = match (op_type, text.unwrap_or(default)) {
        ("val", "true" | "false") => "bool",
        ("val", "null") => return Some(TriggerOp::Value(InjectValue::Literal(Literal::Null))),
        ("val", _) => "str",
        (op_type, _) => op_type,
    };
    match op_type {
        "pay" => Some(TriggerOp::Payload),
        "payl" if second => Some(TriggerOp::LatestPayload),
        "nul" => Some(TriggerOp::Nothing),
        // `op1Templated`: rendered with mustache against the message.
        "str" if text.is_some_and(|text| text.contains("{{")) => {
            let template = text.unwrap_or_default();
            super::template::tokens(reader, key, template, Lookup::Message).map(TriggerOp::Template)
        }
        // Evaluated as inject's values are. Node-RED reads the defaults
        // (and an empty value) of a `date` as no format: the time in
        // milliseconds.
        "str" | "num" | "bool" | "json" | "bin" | "env" | "date" => {
            let given = text.map(|text| crate::json::Json {
                value: crate::json::JsonValue::String(text.to_string()),
                span,
            });
            let value = match op_type {
                "date" if text == Some(default) => None,
                _ => given.as_ref().or(value),
            };
            super::value::value(reader, key, value, op_type, span).map(TriggerOp::Value)
        }
        // `n.op1 || "1"`: an empty key is the default's.
        "flow" | "global" => {
            let name = match value.map(|value| &value.value) {
                Some(crate::json::JsonValue::Number(n)) => super::js_number_text(*n),
                _ => text.unwrap_or(default).to_string(),
            };
            super::change::property(reader, key, op_type, &name, span)
                .map(|property| TriggerOp::Value(InjectValue::Context(property)))
        }
        other => unsupported(
            reader,
            format!("the value type {other:?} is not supported here"),
            if second {
                "use one of: str, num, bool, json, bin, date, env, flow, global, pay, payl, nul"
            } else {
                "use one of: str, num, bool, json, bin, date, env, flow, global, pay, nul"
            },
        ),
    }
}
