//! `batch` (Node-RED's `19-batch.js`): its mode, `count` and `overlap`,
//! `honourParts`, `interval` and `allowEmptySequence`, the `topics` of
//! `concat`, and the queue a device gives the messages of an interval or
//! of the sequences to concatenate (`psosQueue`), which in `count` mode
//! limits the messages since the last sequence left; each stands for
//! Node-RED's `nodeMessageBufferMaxLength`.

use super::delay::{tick_for, DEFAULT_QUEUE};
use super::{shown, Reader};
use crate::ir::{Batch, BatchMode, NodeKind};
use crate::json::JsonValue;

/// The most messages a `count` sequence holds on a device, each a message
/// of the device's capacity in RAM.
const MOST: u64 = 256;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let mode = reader.choice("mode", &[("count", 0), ("interval", 1), ("concat", 2)]);
    match mode? {
        0 => {
            // `Number(n.count || 1)`: 0 is 1.
            let count = reader
                .whole_number("count", 1, 0..=MOST)
                .map(|count| count.max(1));
            let overlap = reader.whole_number("overlap", 0, 0..=MOST);
            let honour_parts = reader.flag("honourParts", false);
            // Node-RED's `nodeMessageBufferMaxLength`, for this node: none
            // unless asked, as Node-RED's setting is 0 unless set.
            let limit = reader.whole_number("psosQueue", 0, 1..=MOST);
            let (count, overlap, limit) = (count?, overlap?, limit?);
            if count <= overlap {
                let span = reader.node.value_span("overlap");
                reader.malformed(
                    "overlap",
                    span,
                    format!("an overlap of {overlap} is not less than the count, {count}"),
                    Some("write an overlap smaller than the count (Node-RED would not start the node)".to_string()),
                );
                return None;
            }
            let (count, overlap, limit) = (
                usize::try_from(count).ok()?,
                usize::try_from(overlap).ok()?,
                usize::try_from(limit).ok()?,
            );
            // The most a sequence holds: what an overlap keeps, the
            // messages up to the limit and the one that ends it.
            let queue = match limit {
                0 => count,
                limit => count.min(overlap + limit + 1),
            };
            Some(NodeKind::Batch(Batch {
                mode: BatchMode::Count {
                    count,
                    overlap,
                    honour_parts,
                    limit,
                },
                queue,
                tick_ms: None,
            }))
        }
        1 => {
            let interval = match reader.get("interval") {
                None => Some(0.0),
                Some(_) => reader.required_number("interval", "1"),
            };
            let allow_empty = reader.flag("allowEmptySequence", false);
            let queue = reader.whole_number("psosQueue", DEFAULT_QUEUE as u64, 1..=MOST);
            let interval_ms = super::delay::wait_ms(reader, "interval", interval?, Some(1000.0))?;
            Some(NodeKind::Batch(Batch {
                mode: BatchMode::Interval {
                    interval_ms,
                    allow_empty,
                },
                queue: usize::try_from(queue?).ok()?,
                tick_ms: (interval_ms > 0.0).then(|| tick_for(interval_ms)),
            }))
        }
        _ => {
            let topics = topics(reader);
            let queue = reader.whole_number("psosQueue", DEFAULT_QUEUE as u64, 1..=MOST);
            Some(NodeKind::Batch(Batch {
                mode: BatchMode::Concat { topics: topics? },
                queue: usize::try_from(queue?).ok()?,
                tick_ms: None,
            }))
        }
    }
}

/// `concat`'s topics, as `(n.topics || []).map(x => x.topic)`: a list of
/// objects each naming a topic as text.
fn topics(reader: &mut Reader<'_, '_>) -> Option<Vec<String>> {
    let Some(value) = reader.get("topics") else {
        return Some(Vec::new());
    };
    let topics = match &value.value {
        JsonValue::Array(items) => items
            .iter()
            .map(|item| match item.get("topic").map(|topic| &topic.value) {
                Some(JsonValue::String(topic)) => Some(topic.clone()),
                _ => None,
            })
            .collect::<Option<Vec<String>>>(),
        _ => None,
    };
    if topics.is_none() {
        reader.malformed(
            "topics",
            value.span,
            format!(
                "{} is not a list of {{\"topic\": ...}} objects",
                shown(value)
            ),
            Some("write the topics as [{\"topic\": \"a\"}, {\"topic\": \"b\"}]".to_string()),
        );
    }
    topics
}
