//! `inject`: its properties (or the older payload/topic fields), read as
//! Node-RED evaluates them when the node fires, and its timing: `once`,
//! `repeat`, or a `crontab` (`crontab.rs`).

use super::crontab::{self, CrontabError};
use super::value::value;
use super::Reader;
use crate::diagnostic::Code;
use crate::ir::{top_level, Inject, InjectProp, NodeKind};
use crate::json::{Json, JsonValue};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let props = props(reader);
    let repeat_ms = seconds(reader, "repeat");
    let once = reader.flag("once", false);
    let once_delay_ms = if once {
        // Node-RED waits 0.1 s by default before a once-injection.
        seconds(reader, "onceDelay").map(|delay| Some(delay.unwrap_or(100)))
    } else {
        Some(None)
    };
    // Node-RED runs a crontab only when there is no interval.
    let schedule = match repeat_ms {
        Some(None) => schedule(reader),
        _ => Some(None),
    };
    let (props, repeat_ms, once_delay_ms, schedule) =
        (props?, repeat_ms?, once_delay_ms?, schedule?);
    let inject = Inject {
        props,
        repeat_ms,
        once_delay_ms,
        schedule,
    };
    if !inject.fires() {
        reader.warn(
            Code::NeverFires,
            "repeat",
            "this inject fires only when its button is pressed: it has no `repeat` and no `once`, and a device serves Node-RED's button only when it has a broker (on `psos/<flow>/<device>/inject/<node id>`)",
            "no schedule",
            "set `once` (with `onceDelay`) or `repeat`, or give its device a broker; on a device without one, the nodes only it feeds get no code",
        );
    }
    Some(NodeKind::Inject(inject))
}

/// `crontab`, read as cronosjs reads it; empty or missing is none.
fn schedule(reader: &mut Reader<'_, '_>) -> Option<Option<psos::cron::Schedule>> {
    let Some(crontab) = reader
        .string("crontab")
        .filter(|text| !text.trim().is_empty())
    else {
        return Some(None);
    };
    let span = reader.node.value_span("crontab");
    match crontab::parse(crontab) {
        Ok(schedule) => Some(Some(schedule)),
        Err(CrontabError::Invalid(why)) => {
            reader.malformed(
                "crontab",
                span,
                format!("the crontab {crontab:?} cannot be read: {why}"),
                Some("write five fields, minute hour day month weekday, such as \"30 12 * * 1,2,3,4,5\" or \"*/5 9-17 * * *\"".to_string()),
            );
            None
        }
        Err(CrontabError::Unsupported(why)) => {
            reader.unsupported(
                "crontab",
                span,
                format!("the crontab {crontab:?} cannot run on a device: {why}"),
                "use numbers, ranges, steps and lists in each field, as Node-RED's editor writes them",
            );
            None
        }
    }
}

/// The properties the node sets, as Node-RED's inject node lists them: the
/// `props` list, or before Node-RED 1.1 `payload` and `topic`.
fn props(reader: &mut Reader<'_, '_>) -> Option<Vec<InjectProp>> {
    let Some(list) = reader.get("props") else {
        let payload_type = reader.get("payloadType");
        let payload_type = payload_type.and_then(Json::as_str).unwrap_or("str");
        let (payload, topic) = (reader.get("payload"), reader.get("topic"));
        let span = reader.node.value_span("payload");
        let payload = value(reader, "payload", payload, payload_type, span);
        let span = reader.node.value_span("topic");
        let topic = value(reader, "topic", topic, "str", span);
        return Some(vec![
            InjectProp {
                path: top_level("payload"),
                value: payload?,
            },
            InjectProp {
                path: top_level("topic"),
                value: topic?,
            },
        ]);
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
            Some(Some(prop)) => props.push(prop),
            Some(None) => {}
            None => ok = false,
        }
    }
    ok.then_some(props)
}

/// One entry of `props`; `Some(None)` for one without a property name,
/// which Node-RED passes over.
fn prop(reader: &mut Reader<'_, '_>, item: &Json) -> Option<Option<InjectProp>> {
    let Some(name) = item.get("p").and_then(Json::as_str) else {
        if item.get("p").is_none_or(|p| !p.is_truthy()) {
            return Some(None);
        }
        reader.malformed(
            "props",
            item.span,
            "each entry needs a property name `p`".to_string(),
            Some("write {\"p\": \"payload\"}".to_string()),
        );
        return None;
    };
    if name.is_empty() {
        return Some(None);
    }
    let item_type = item.get("vt").and_then(Json::as_str);
    // An entry for payload or topic without a value of its own takes the
    // node's `payload`/`payloadType` or `topic`, as Node-RED does.
    let (key, written, value_type) = match name {
        "payload" if item.get("v").is_none() => (
            "payload",
            reader.get("payload"),
            reader.get("payloadType").and_then(Json::as_str),
        ),
        "topic" if item.get("v").is_none() && item_type == Some("str") => {
            ("topic", reader.get("topic"), Some("str"))
        }
        _ => ("props", item.get("v"), item_type),
    };
    let span = match key {
        "props" => item.span,
        _ => reader.node.value_span(key),
    };
    let path = reader.msg_property("props", name, None, item.span)?;
    let value = value(reader, key, written, value_type.unwrap_or("str"), span)?;
    Some(Some(InjectProp { path, value }))
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
