//! `smooth` (the `node-red-node-smooth` package): its action, the window or
//! the filters' divisor (`count`), rounding, one window for all messages or
//! one per topic (`mult`), `reduce`, the property, and how many topics a
//! device keeps apart (`psosTopics`, PSOS's own).

use super::{shown, Reader};
use crate::ir::{NodeKind, Smooth};
use crate::json::JsonValue;
use psos::nodes::SmoothAction;

/// Topics a smooth node keeps apart unless its `psosTopics` says otherwise.
pub const DEFAULT_TOPICS: u64 = 8;
/// The longest window a device keeps, in numbers.
pub const MAX_WINDOW: u64 = 256;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let action = action(reader);
    let count = reader.required_number("count", "10");
    let round = round(reader);
    // Node-RED keeps topics apart unless `mult` is "single" (its default).
    let by_topic = Some(
        reader
            .string("mult")
            .is_some_and(|mult| !mult.is_empty() && mult != "single"),
    );
    let reduce = reader.flag("reduce", false);
    let path = reader.target_property();
    let topics = reader.whole_number("psosTopics", DEFAULT_TOPICS, 1..=64);
    let (action, count, by_topic) = (action?, count?, by_topic?);
    let filter = matches!(action, SmoothAction::Low | SmoothAction::High);
    let window = if filter && count.is_finite() && count > 0.0 {
        1
    } else if !filter && count.fract() == 0.0 && (1.0..=MAX_WINDOW as f64).contains(&count) {
        count as usize
    } else {
        let message = if filter {
            format!("the filter divides by `count`, {count}, which must be a number above 0")
        } else {
            format!(
                "a window of {count} numbers: a device keeps a whole number from 1 to {MAX_WINDOW}"
            )
        };
        let span = reader.node.value_span("count");
        reader.malformed(
            "count",
            span,
            message,
            Some("write \"count\": \"10\"".to_string()),
        );
        return None;
    };
    Some(NodeKind::Smooth(Smooth {
        action,
        count,
        round: round?,
        reduce,
        by_topic,
        path: path?,
        topics: if by_topic { topics? as usize } else { 1 },
        window,
    }))
}

/// `action`, which Node-RED's editor always writes; without one Node-RED
/// sends the numbers on unchanged, which is refused here.
fn action(reader: &mut Reader<'_, '_>) -> Option<SmoothAction> {
    let span = reader.node.value_span("action");
    let action = match reader.string("action") {
        Some("mean") => SmoothAction::Mean,
        Some("sd") => SmoothAction::Sd,
        Some("max") => SmoothAction::Max,
        Some("min") => SmoothAction::Min,
        Some("low") => SmoothAction::Low,
        Some("high") => SmoothAction::High,
        other => {
            let found = match other {
                Some(word) => format!("{word:?} is not an action of smooth"),
                None => "the node has no action (Node-RED would send its numbers on unchanged)"
                    .to_string(),
            };
            reader.malformed(
                "action",
                span,
                found,
                Some("write one of: mean, sd, max, min, low, high".to_string()),
            );
            return None;
        }
    };
    Some(action)
}

/// `round`, as `n.round || false` with `"true"` meaning 0 places: the
/// scale `10^places` (the boolean `true` is 1 place, as `Math.pow(10,
/// true)` is 10), or none.
fn round(reader: &mut Reader<'_, '_>) -> Option<Option<f64>> {
    let Some(value) = reader.get("round") else {
        return Some(None);
    };
    let places = match &value.value {
        JsonValue::Null | JsonValue::Bool(false) => return Some(None),
        JsonValue::String(text) if text.is_empty() => return Some(None),
        JsonValue::String(text) if text == "true" => 0.0,
        JsonValue::Bool(true) => 1.0,
        JsonValue::Number(number) => *number,
        JsonValue::String(text) => psos::number_from_str(text),
        _ => f64::NAN,
    };
    if places.fract() == 0.0 && (0.0..=15.0).contains(&places) {
        return Some(Some(10f64.powi(places as i32)));
    }
    reader.malformed(
        "round",
        value.span,
        format!("{} is not a number of decimal places", shown(value)),
        Some("write \"round\": \"2\" for two places, \"true\" for whole numbers, or \"\" not to round".to_string()),
    );
    None
}
