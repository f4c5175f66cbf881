//! `filter` (type `rbe`): its mode, the gap of the band modes and where
//! narrowband starts, what numbers are compared with, the property watched,
//! whether and by which property topics are kept apart, and the room a
//! device gives its memory of topics.

use super::{shown, Reader};
use crate::ir::{Filter, FilterMode, Gap, NodeKind};
use crate::json::JsonValue;

/// Topics a filter remembers unless its `psosTopics` says otherwise.
pub const DEFAULT_TOPICS: u64 = 8;
/// Bytes for each topic's name and value unless `psosTopicSize` says
/// otherwise.
pub const DEFAULT_TOPIC_SIZE: u64 = 128;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let mode = reader.choice(
        "func",
        &[
            ("rbe", FilterMode::Rbe),
            ("rbei", FilterMode::Rbei),
            ("deadband", FilterMode::Deadband),
            ("deadbandEq", FilterMode::DeadbandEq),
            ("narrowband", FilterMode::Narrowband),
            ("narrowbandEq", FilterMode::NarrowbandEq),
        ],
    );
    let gap = gap(reader);
    // Only the narrowband modes read where they start.
    let start = match mode {
        Some(FilterMode::Narrowband | FilterMode::NarrowbandEq) => start(reader),
        _ => Some(None),
    };
    let compare_input = reader.choice("inout", &[("out", false), ("in", true)]);
    let path = reader.target_property();
    let separate = separate_topics(reader);
    let topic = reader.msg_property_or("topi", "topic");
    let topics = reader.whole_number("psosTopics", DEFAULT_TOPICS, 1..=1024);
    let topic_size = reader.whole_number("psosTopicSize", DEFAULT_TOPIC_SIZE, 16..=65535);
    let separate = separate?;
    Some(NodeKind::Filter(Filter {
        mode: mode?,
        gap: gap?,
        start: start?,
        compare_input: compare_input?,
        path: path?,
        topic: if separate { Some(topic?) } else { None },
        // One value for all topics needs room for one.
        topics: if separate { topics? as usize } else { 1 },
        topic_size: topic_size? as usize,
    }))
}

/// `gap`, as `n.gap || "0"`: a number, or text that is one, optionally
/// ending in `%` for a percentage of the value compared with. Node-RED's
/// editor accepts digits and a point; its runtime reads the text with
/// `Number()` (`parseFloat()` before a `%`).
fn gap(reader: &mut Reader<'_, '_>) -> Option<Gap> {
    let Some(value) = reader.get("gap") else {
        return Some(Gap::Fixed(0.0));
    };
    let gap = match &value.value {
        JsonValue::Null | JsonValue::Bool(false) => Some(Gap::Fixed(0.0)),
        JsonValue::String(text) if text.is_empty() => Some(Gap::Fixed(0.0)),
        JsonValue::Number(number) => Some(Gap::Fixed(*number)),
        JsonValue::String(text) => match text.strip_suffix('%') {
            Some(percent) => number(percent).map(Gap::Percent),
            None => number(text).map(Gap::Fixed),
        },
        _ => None,
    };
    match gap {
        Some(Gap::Fixed(amount) | Gap::Percent(amount)) if amount.is_finite() && amount >= 0.0 => {
            gap
        }
        _ => {
            reader.malformed(
                "gap",
                value.span,
                format!("{} is not a gap", shown(value)),
                Some(
                    "write a number 0 or more, as text such as \"gap\": \"10\", or a percentage of the last value such as \"gap\": \"10%\""
                        .to_string(),
                ),
            );
            None
        }
    }
}

/// Text that reads as a number, blank excepted.
fn number(text: &str) -> Option<f64> {
    (!text.trim().is_empty()).then(|| psos::number_from_str(text))
}

/// `start`, as `n.start || ''`: none, or the number Node-RED's arithmetic
/// makes of the text.
fn start(reader: &mut Reader<'_, '_>) -> Option<Option<f64>> {
    match reader.get("start").map(|value| &value.value) {
        None | Some(JsonValue::Null) => Some(None),
        Some(JsonValue::String(text)) if text.is_empty() => Some(None),
        Some(JsonValue::Number(number)) if *number == 0.0 => Some(None),
        Some(_) => reader.required_number("start", "0").map(Some),
    }
}

/// `septopics`: topics are kept apart unless it is `false` itself.
fn separate_topics(reader: &mut Reader<'_, '_>) -> Option<bool> {
    let Some(value) = reader.get("septopics") else {
        return Some(true);
    };
    match value.value {
        JsonValue::Bool(separate) => Some(separate),
        _ => {
            reader.malformed(
                "septopics",
                value.span,
                format!("expected true or false, found {}", shown(value)),
                Some(
                    "write \"septopics\": true or false (Node-RED takes anything but false as true)"
                        .to_string(),
                ),
            );
            None
        }
    }
}
