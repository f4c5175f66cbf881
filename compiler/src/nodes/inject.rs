//! `inject`: its properties (or the older payload/topic fields) and timing.

use super::Reader;
use crate::diagnostic::Code;
use crate::ir::{top_level, Inject, InjectProp, InjectValue, NodeKind};
use crate::json::{Json, JsonValue};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let props = props(reader)?;
    if let Some(crontab) = reader
        .string("crontab")
        .filter(|crontab| !crontab.is_empty())
    {
        let span = reader.node.value_span("crontab");
        reader.unsupported(
            "crontab",
            span,
            format!("a crontab schedule ({crontab:?}) is not supported yet"),
            "use an interval (`repeat`, in seconds) instead",
        );
        return None;
    }
    let repeat_ms = seconds(reader, "repeat")?;
    let once = reader.flag("once", false);
    let once_delay_ms = if once {
        // Node-RED waits 0.1 s by default before a once-injection.
        Some(seconds(reader, "onceDelay")?.unwrap_or(100))
    } else {
        None
    };
    if repeat_ms.is_none() && once_delay_ms.is_none() {
        reader.warn(
            Code::NeverFires,
            "repeat",
            "this inject never fires on a device: it has no `repeat` and no `once`, so only Node-RED's button would fire it",
            "no schedule",
            "set `once` (with `onceDelay`) or `repeat`; the nodes only it feeds get no code",
        );
    }
    Some(NodeKind::Inject(Inject {
        props,
        repeat_ms,
        once_delay_ms,
    }))
}

fn props(reader: &mut Reader<'_, '_>) -> Option<Vec<InjectProp>> {
    let Some(list) = reader.get("props") else {
        // Before Node-RED 1.1 an inject node had only payload and topic.
        let mut props = vec![payload_prop(reader)?];
        if let Some(topic) = reader.string("topic").filter(|topic| !topic.is_empty()) {
            props.push(InjectProp {
                path: top_level("topic"),
                value: InjectValue::Literal(crate::ir::Literal::String(topic.to_string())),
            });
        }
        return Some(props);
    };
    let Some(items) = list.as_array() else {
        reader.malformed(
            "props",
            list.span,
            format!("expected a list, found {}", list.kind_name()),
            Some(
                "write \"props\": [{\"p\": \"payload\"}, {\"p\": \"topic\", \"vt\": \"str\"}]"
                    .to_string(),
            ),
        );
        return None;
    };
    let mut props = Vec::new();
    let mut ok = true;
    for item in items {
        match prop(reader, item) {
            Some(prop) => props.push(prop),
            None => ok = false,
        }
    }
    ok.then_some(props)
}

fn prop(reader: &mut Reader<'_, '_>, item: &Json) -> Option<InjectProp> {
    let Some(name) = item.get("p").and_then(Json::as_str) else {
        reader.malformed(
            "props",
            item.span,
            "each entry needs a property name `p`".to_string(),
            Some("write {\"p\": \"payload\"}".to_string()),
        );
        return None;
    };
    match name {
        "payload" => payload_prop(reader),
        "topic" => {
            let topic = reader.string("topic").unwrap_or("");
            Some(InjectProp {
                path: top_level("topic"),
                value: InjectValue::Literal(crate::ir::Literal::String(topic.to_string())),
            })
        }
        _ => {
            let path = reader.msg_property("props", name, None, item.span)?;
            let value_type = item.get("vt").and_then(Json::as_str).unwrap_or("str");
            value(reader, "props", item.get("v"), value_type, item.span)
                .map(|value| InjectProp { path, value })
        }
    }
}

fn payload_prop(reader: &mut Reader<'_, '_>) -> Option<InjectProp> {
    // Node-RED's default payload is a timestamp.
    let value_type = reader.string("payloadType").unwrap_or("date");
    let span = reader.node.value_span("payload");
    let payload = reader.get("payload");
    let value = value(reader, "payload", payload, value_type, span)?;
    Some(InjectProp {
        path: top_level("payload"),
        value,
    })
}

fn value(
    reader: &mut Reader<'_, '_>,
    key: &str,
    value: Option<&Json>,
    value_type: &str,
    span: crate::json::Span,
) -> Option<InjectValue> {
    match value_type {
        "date" => Some(InjectValue::Timestamp),
        "flow" | "global" => {
            let name = value.and_then(Json::as_str).unwrap_or("");
            super::change::property(reader, key, value_type, name, span).map(InjectValue::Context)
        }
        _ => reader
            .literal(key, value, value_type, span)
            .map(InjectValue::Literal),
    }
}

/// A duration in seconds, written as a number or as text; empty means none.
fn seconds(reader: &mut Reader<'_, '_>, key: &str) -> Option<Option<u64>> {
    let Some(value) = reader.get(key) else {
        return Some(None);
    };
    let seconds = match &value.value {
        JsonValue::Number(n) => *n,
        JsonValue::String(s) if s.trim().is_empty() => return Some(None),
        JsonValue::String(s) => psos::number_from_str(s),
        _ => f64::NAN,
    };
    // Node-RED refuses intervals beyond 2^31 - 1 milliseconds (about 24 days).
    if !(0.0..=2_147_483.0).contains(&seconds) {
        reader.malformed(
            key,
            value.span,
            "expected a number of seconds between 0 and 2147483".to_string(),
            Some(format!("write \"{key}\": \"1\" for one second")),
        );
        return None;
    }
    let millis = (seconds * 1000.0).round() as u64;
    Some((millis > 0).then_some(millis))
}
