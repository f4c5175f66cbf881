//! `split` and `join` (Node-RED's `17-split.js`): where a split cuts
//! (`splt` and `spltType`, `arraySplt`), whether it streams, the property
//! it splits and where an object's keys go (`addname`); how a join
//! collects (`mode`, `build`, `count`, `timeout`, `joiner`, `accumulate`,
//! `useparts`, `propertyType`, `property`, `key`) and the room a device
//! gives its groups (`psosGroups`, `psosJoinSize`), and the messages each
//! keeps until it has finished with them when complete nodes watch it
//! (`psosQueue`). `reduce` is refused: it evaluates JSONata.

use super::delay::{tick_for, DEFAULT_QUEUE};
use super::{shown, Reader};
use crate::ir::{CustomJoin, Join, JoinBuild, JoinMode, Joiner, NodeKind, Split, SplitAt};
use crate::json::JsonValue;

/// Groups a join collects at once unless its `psosGroups` says otherwise.
pub const DEFAULT_GROUPS: u64 = 2;
/// Bytes each group has for the values it collects unless `psosJoinSize`
/// says otherwise.
pub const DEFAULT_JOIN_SIZE: u64 = 1024;

pub fn lower_split(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let kind = reader.choice("spltType", &[("str", 0), ("bin", 1), ("len", 2)]);
    let at = match kind? {
        0 => {
            let text = reader
                .string("splt")
                .filter(|text| !text.is_empty())
                .unwrap_or("\\n");
            Some(SplitAt::Text(unescape(text)))
        }
        1 => byte_array(reader, "splt", false).map(SplitAt::Bytes),
        _ => positive_integer(reader, "splt", "2").map(SplitAt::Length),
    };
    let array_length = match reader.get("arraySplt") {
        None => Some(1),
        Some(_) => positive_integer(reader, "arraySplt", "1"),
    };
    let stream = only_true(reader, "stream");
    let key_to = match reader.string("addname").filter(|name| !name.is_empty()) {
        Some(name) => {
            let span = reader.node.value_span("addname");
            Some(reader.msg_property("addname", name, None, span)?)
        }
        None => None,
    };
    let path = reader.target_property();
    let pending = pending(reader);
    let property = reader
        .string("property")
        .filter(|name| !name.is_empty() && *name != "payload")
        .map(str::to_string);
    Some(NodeKind::Split(Split {
        at: at?,
        array_length: array_length?,
        stream,
        key_to,
        path: path?,
        property,
        pending: pending?,
    }))
}

pub fn lower_join(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let mode = reader.choice("mode", &[("auto", 0), ("custom", 1), ("reduce", 2)]);
    let groups = reader.whole_number("psosGroups", DEFAULT_GROUPS, 1..=64);
    let group_size = reader.whole_number("psosJoinSize", DEFAULT_JOIN_SIZE, 16..=65535);
    let pending = pending(reader);
    let (mode, tick_ms) = match mode? {
        0 => (JoinMode::Auto, None),
        1 => {
            let custom = custom_join(reader)?;
            let tick_ms = (custom.timeout_ms > 0.0).then(|| tick_for(custom.timeout_ms));
            (JoinMode::Custom(custom), tick_ms)
        }
        _ => {
            let span = reader.node.value_span("mode");
            reader.unsupported(
                "mode",
                span,
                "a join in \"reduce\" mode evaluates JSONata expressions, which a device cannot"
                    .to_string(),
                "use \"auto\" or \"custom\" mode and reduce the joined array with a custom node, or keep the reduction in Node-RED",
            );
            return None;
        }
    };
    Some(NodeKind::Join(Join {
        mode,
        groups: usize::try_from(groups?).ok()?,
        group_size: usize::try_from(group_size?).ok()?,
        pending: pending?,
        tick_ms,
    }))
}

/// The messages a split or join that complete nodes watch keeps until it
/// has finished with them (`psosQueue`).
fn pending(reader: &mut Reader<'_, '_>) -> Option<usize> {
    let pending = reader.whole_number("psosQueue", DEFAULT_QUEUE as u64, 1..=256)?;
    usize::try_from(pending).ok()
}

/// The settings of a `custom` join, read as `JoinNode` reads them.
fn custom_join(reader: &mut Reader<'_, '_>) -> Option<CustomJoin> {
    let build = reader.choice(
        "build",
        &[
            ("array", JoinBuild::Array),
            ("string", JoinBuild::String),
            ("buffer", JoinBuild::Buffer),
            ("object", JoinBuild::Object),
            ("merged", JoinBuild::Merged),
        ],
    );
    let whole = reader.choice("propertyType", &[("msg", false), ("full", true)]);
    let path = reader.target_property();
    let key_name = reader
        .string("key")
        .filter(|name| !name.is_empty())
        .unwrap_or("topic")
        .to_string();
    let key = reader.msg_property_or("key", "topic");
    let joiner_type = reader.choice("joinerType", &[("str", false), ("bin", true)]);
    let joiner = match joiner_type? {
        false => Some(Joiner::Text(unescape(
            reader.string("joiner").unwrap_or(""),
        ))),
        true => byte_array(reader, "joiner", true).map(Joiner::Bytes),
    };
    let count_from_parts = matches!(
        reader.get("count").map(|count| &count.value),
        Some(JsonValue::String(text)) if text.is_empty()
    );
    let count = number_or_zero(reader, "count", "3")?;
    let timeout_ms = number_or_zero(reader, "timeout", "1")? * 1000.0;
    let accumulate = only_true(reader, "accumulate");
    let use_parts = match reader.get("useparts").map(|value| &value.value) {
        None => true,
        Some(JsonValue::Bool(flag)) => *flag,
        Some(_) => reader.flag("useparts", true),
    };
    let count = if count > 0.0 {
        // A group is sent once it holds `count` values or more.
        count.ceil() as usize
    } else {
        0
    };
    Some(CustomJoin {
        build: build?,
        path: if whole? { None } else { Some(path?) },
        key: key?,
        key_name,
        joiner: joiner?,
        count,
        count_from_parts,
        timeout_ms,
        accumulate,
        use_parts,
    })
}

/// Node-RED's escapes in a separator or joiner, replaced one after the
/// other as `17-split.js` does: `\n`, `\r`, `\t`, `\e` (an `e`), `\f`, `\0`.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
        .replace("\\e", "e")
        .replace("\\f", "\u{c}")
        .replace("\\0", "\0")
}

/// A flag Node-RED compares with `=== true`: only JSON `true` is set.
fn only_true(reader: &mut Reader<'_, '_>, key: &str) -> bool {
    matches!(
        reader.get(key).map(|value| &value.value),
        Some(JsonValue::Bool(true))
    )
}

/// `Number(n[key] || 0)`: absent, empty or zero is 0; a negative number
/// means none, as Node-RED never reaches it.
fn number_or_zero(reader: &mut Reader<'_, '_>, key: &str, example: &str) -> Option<f64> {
    match reader.get(key).map(|value| &value.value) {
        None | Some(JsonValue::Null | JsonValue::Bool(false)) => Some(0.0),
        Some(JsonValue::String(text)) if text.is_empty() => Some(0.0),
        Some(_) => reader
            .required_number(key, example)
            .map(|number| number.max(0.0)),
    }
}

/// `parseInt(n[key])` of at least 1, as a split's lengths must be.
fn positive_integer(reader: &mut Reader<'_, '_>, key: &str, example: &str) -> Option<usize> {
    let value = reader.get(key);
    let parsed = match value.map(|value| &value.value) {
        Some(JsonValue::Number(n)) if n.is_finite() => Some(n.trunc()),
        Some(JsonValue::String(text)) => parse_int(text),
        _ => None,
    };
    match parsed {
        Some(n) if n >= 1.0 && n <= f64::from(u32::MAX) => Some(n as usize),
        _ => {
            let span = value.map_or_else(|| reader.node.span(), |value| value.span);
            let found = value.map_or_else(|| "nothing".to_string(), shown);
            reader.malformed(
                key,
                span,
                format!("{found} is not a length of 1 or more"),
                Some(format!(
                    "write a whole number such as \"{key}\": \"{example}\""
                )),
            );
            None
        }
    }
}

/// JavaScript's `parseInt(text)`: the whole number its first digits write.
fn parse_int(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let n: f64 = digits.parse().ok()?;
    Some(if negative { -n } else { n })
}

/// `JSON.parse(n[key])` as the bytes of a buffer: a JSON array of whole
/// numbers from 0 to 255. A split's separator may not be empty (Node-RED
/// would look for it forever); a joiner may (`allow_empty`, and `""` is
/// `[]`).
fn byte_array(reader: &mut Reader<'_, '_>, key: &str, allow_empty: bool) -> Option<Vec<u8>> {
    let value = reader.get(key);
    let text = match value.map(|value| &value.value) {
        Some(JsonValue::String(text)) if !(allow_empty && text.is_empty()) => text.as_str(),
        Some(JsonValue::String(_)) | None if allow_empty => "[]",
        _ => "",
    };
    let bytes = serde_json::from_str::<Vec<serde_json::Value>>(text)
        .ok()
        .and_then(|items| {
            items
                .iter()
                .map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok()))
                .collect::<Option<Vec<u8>>>()
        })
        .filter(|bytes| allow_empty || !bytes.is_empty());
    if bytes.is_none() {
        let span = value.map_or_else(|| reader.node.span(), |value| value.span);
        let found = value.map_or_else(|| "nothing".to_string(), shown);
        reader.malformed(
            key,
            span,
            format!("{found} is not a list of bytes"),
            Some(format!(
                "write the bytes as a JSON array in text, such as \"{key}\": \"[13,10]\"{}",
                if allow_empty { "" } else { " (at least one)" }
            )),
        );
    }
    bytes
}
