//! What psosc reads of a `link call` beyond its links: its `timeout`, as
//! `60-link.js` reads it, and what a call that may time out keeps (how
//! many calls wait at once, how often its timer looks). Which calls may
//! time out is decided where links are resolved (`lower.rs`), from the
//! facts about node kinds here.

use super::Reader;
use crate::diagnostic::Diagnostic;
use crate::flow::RawNode;
use crate::ir::{LinkTimeout, NodeKind};
use crate::json::{Json, JsonValue};

/// The seconds a call waits when its `timeout` is missing, empty, 0 or
/// not a number.
const DEFAULT_SECONDS: f64 = 30.0;

/// The fewest calls a call that may time out lets wait at once.
pub const MIN_WAITING: usize = 8;

/// The most: each waiting call holds a message where catch nodes watch
/// the call, so the table is bounded as other queues are.
pub const MAX_WAITING: usize = 32;

/// A call's `timeout` in milliseconds as `60-link.js` reads it,
/// `parseFloat(n.timeout || "30") * 1000` (30000 when that is not a
/// number), then as Node.js's `setTimeout` takes it: whole milliseconds,
/// and 1 for anything below 1 (0 and negative times) or beyond 2³¹ − 1.
/// A list or an object is refused: `parseFloat` of its text is not worth
/// guessing at.
pub fn timeout_ms(node: &RawNode, diagnostics: &mut Vec<Diagnostic>) -> Option<u64> {
    let value = node.get("timeout");
    let seconds = match value.map(|value| &value.value) {
        None | Some(JsonValue::Null | JsonValue::Bool(false)) => DEFAULT_SECONDS,
        Some(JsonValue::String(text)) if text.is_empty() => DEFAULT_SECONDS,
        Some(JsonValue::String(text)) => psos::parse_float(text),
        // `0 || "30"` is "30".
        Some(JsonValue::Number(n)) if *n == 0.0 => DEFAULT_SECONDS,
        Some(JsonValue::Number(n)) => *n,
        // `parseFloat("true")` is not a number.
        Some(JsonValue::Bool(true)) => f64::NAN,
        Some(_) => {
            let span = node.value_span("timeout");
            Reader::new(node, diagnostics).unsupported(
                "timeout",
                span,
                format!(
                    "a link call's timeout is a number of seconds, and this is {}",
                    value.map_or("nothing", Json::kind_name)
                ),
                "write the seconds as a number or a text, such as \"30\"",
            );
            return None;
        }
    };
    let ms = seconds * 1000.0;
    let ms = if ms.is_nan() {
        DEFAULT_SECONDS * 1000.0
    } else {
        ms
    };
    Some(psos::nodes::timer_ms(ms))
}

/// Whether a node of this kind always sends what it is given on its
/// first port before its input returns, so that a subroutine through it
/// answers within the call: a change node (a message that outgrows the
/// device's capacity aside, which is counted). Every other node may hold
/// the message, drop it, fail on it, or send it elsewhere.
pub fn always_sends_at_once(kind: &NodeKind) -> bool {
    matches!(kind, NodeKind::Change(_))
}

/// How many messages a node of this kind may hold at once: its queue's
/// or table's places.
pub fn held_messages(kind: &NodeKind) -> usize {
    match kind {
        NodeKind::Delay(delay) => delay.queue,
        NodeKind::Trigger(trigger) => trigger.topics,
        NodeKind::Join(join) => join.groups,
        NodeKind::Batch(batch) => batch.queue,
        NodeKind::Sort(sort) => sort.queue,
        _ => 0,
    }
}

/// How many calls a call that may time out lets wait at once, where
/// `held` is what the nodes of its subroutine may hold at once: room for
/// them and one call more (a message dropped meanwhile), within
/// [`MIN_WAITING`] and [`MAX_WAITING`].
pub fn waiting_capacity(held: usize) -> usize {
    held.saturating_add(1).clamp(MIN_WAITING, MAX_WAITING)
}

/// How a call that may time out waits `ms` for subroutines whose nodes
/// may hold `held` messages at once.
pub fn timeout(ms: u64, held: usize) -> LinkTimeout {
    LinkTimeout {
        ms,
        waiting: waiting_capacity(held),
        keeps_messages: false,
        tick_ms: super::delay::tick_for(ms as f64),
    }
}
