//! `sort` (Node-RED's `18-sort.js`): what it sorts (`targetType`, `target`:
//! an array property, or the messages of a sequence), the key
//! (`msgKeyType` `elem`, `seqKey`), `order`, `as_num`, and the queue a
//! device gives sequences (`psosQueue`). Keys from JSONata are refused.

use super::delay::DEFAULT_QUEUE;
use super::Reader;
use crate::ir::{NodeKind, Sort};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    // Node-RED sorts a property only for `targetType` `msg`; anything else,
    // a missing one too, sorts sequences.
    let on_property = reader.string("targetType") == Some("msg");
    let key_type = if on_property {
        "msgKeyType"
    } else {
        "seqKeyType"
    };
    if reader.string(key_type) == Some("jsonata") {
        let span = reader.node.value_span(key_type);
        let key_name = if on_property { "msgKey" } else { "seqKey" };
        let expression = reader.string(key_name).unwrap_or("").to_string();
        reader.refuse_jsonata(
            key_type,
            span,
            &expression,
            if on_property {
                "sort by the elements themselves (`elem`)"
            } else {
                "sort by a message property (`msg`)"
            },
        );
        return None;
    }
    let target = if on_property {
        Some(reader.msg_property_or("target", "payload"))
    } else {
        None
    };
    let key = reader.msg_property_or("seqKey", "payload");
    let descending = reader
        .string("order")
        .is_some_and(|order| order != "ascending");
    let as_number = reader.flag("as_num", false);
    let queue = reader.whole_number("psosQueue", DEFAULT_QUEUE as u64, 1..=256);
    Some(NodeKind::Sort(Sort {
        target: match target {
            Some(target) => Some(target?),
            None => None,
        },
        key: key?,
        descending,
        as_number,
        queue: usize::try_from(queue?).ok()?,
    }))
}
