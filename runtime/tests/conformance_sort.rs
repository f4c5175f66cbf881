//! Node-RED's `sort` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/sequence/18-sort_spec.js` (Node-RED 4.x) that need no
//! JSONata, as data. Each sorts four texts as they are or as numbers,
//! ascending or descending, as an array property or as a sequence of
//! messages.
//!
//! The spec's count, and which cases are here, is in docs/conformance.md.

mod catch_support;
mod node_support;

use catch_support::{caught, Watched};
use node_support::{run, sent_only, Outcome};
use psos::nodes::{Finishing, Sort, SortConfig};
use psos::{ErrorKind, NodeInfo, PathSegment};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];
const DATA: &[PathSegment<'static>] = &[PathSegment::Key("data")];

const IN: [&str; 4] = ["200", "4", "30", "1000"];

/// The four orders of the spec: (descending, as numbers) and the result.
const ORDERS: [(bool, bool, [&str; 4]); 4] = [
    (false, false, ["1000", "200", "30", "4"]),
    (true, false, ["4", "30", "200", "1000"]),
    (false, true, ["4", "30", "200", "1000"]),
    (true, true, ["1000", "200", "30", "4"]),
];

fn sort(case: &'static str, config: SortConfig, messages: &[&str]) -> Outcome {
    let mut node =
        Sort::<{ node_support::CAPACITY }, 8>::new(NodeInfo::new(case, "", "sort"), config);
    run(case, &mut node, messages)
}

fn quoted(texts: &[&str]) -> String {
    texts
        .iter()
        .map(|text| format!("{text:?}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// "should sort payload (elem, ...)" and "should sort msg prop (elem, ...)"
/// in each order.
#[test]
fn should_sort_an_array_property() {
    for (descending, as_number, out) in ORDERS {
        for (name, path) in [("payload", PAYLOAD), ("data", DATA)] {
            let config = SortConfig {
                target: Some(path),
                key: PAYLOAD,
                descending,
                as_number,
            };
            let input = format!(r#"{{"{name}":[{}]}}"#, quoted(&IN));
            let expected = format!(r#"{{"{name}":[{}]}}"#, quoted(&out));
            assert_eq!(
                sort("property", config, &[&input]),
                sent_only(&[&expected]),
                "{name} descending {descending} as number {as_number}"
            );
        }
    }
}

/// "should sort message group/payload" and "should sort message
/// group/prop" in each order: the messages leave sorted, each with its new
/// index.
#[test]
fn should_sort_a_message_group() {
    for (descending, as_number, out) in ORDERS {
        for (name, path) in [("payload", PAYLOAD), ("data", DATA)] {
            let config = SortConfig {
                target: None,
                key: path,
                descending,
                as_number,
            };
            // The sequence's messages, each with its place as its index.
            let sequence = |values: &[&str]| -> Vec<String> {
                values
                    .iter()
                    .enumerate()
                    .map(|(index, value)| {
                        format!(
                            r#"{{"parts":{{"id":"X","index":{index},"count":4}},"{name}":"{value}"}}"#
                        )
                    })
                    .collect()
            };
            let (inputs, expected) = (sequence(&IN), sequence(&out));
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            assert_eq!(
                sort("group", config, &inputs),
                sent_only(&expected),
                "{name} descending {descending} as number {as_number}"
            );
        }
    }
}

/// Not in the spec: equal keys keep their order (the sort is stable, as
/// V8's), sequences are told apart by id, a message without parts is not
/// sent, nor is a property that is not an array.
#[test]
fn sequences_apart_equal_keys_in_order() {
    let config = SortConfig {
        target: None,
        key: PAYLOAD,
        descending: false,
        as_number: true,
    };
    assert_eq!(
        sort(
            "stable",
            config,
            &[
                r#"{"payload":2,"topic":"a","parts":{"id":1,"index":0,"count":3}}"#,
                r#"{"payload":9,"parts":{"id":2,"index":0,"count":1}}"#,
                r#"{"payload":1,"parts":{"id":1,"index":1,"count":3}}"#,
                r#"{"payload":"2","topic":"b","parts":{"id":"1","index":2,"count":3}}"#,
                r#"{"payload":0}"#,
            ],
        ),
        sent_only(&[
            r#"{"payload":9,"parts":{"id":2,"index":0,"count":1}}"#,
            r#"{"payload":1,"parts":{"id":1,"index":0,"count":3}}"#,
            r#"{"payload":2,"topic":"a","parts":{"id":1,"index":1,"count":3}}"#,
            r#"{"payload":"2","topic":"b","parts":{"id":"1","index":2,"count":3}}"#,
        ])
    );
    let property = SortConfig {
        target: Some(PAYLOAD),
        ..config
    };
    assert_eq!(
        sort("not an array", property, &[r#"{"payload":"321"}"#]),
        sent_only(&[])
    );
}

/// "should handle too many pending messages" limits what Node-RED holds
/// with its `nodeMessageBufferMaxLength`; a device's limit is its queue,
/// and a message beyond it is dropped and counted, and given to catch
/// nodes with Node-RED's text.
#[test]
fn a_full_queue_is_counted() {
    let config = SortConfig {
        target: None,
        key: PAYLOAD,
        descending: false,
        as_number: false,
    };
    let info = NodeInfo::new("1", "", "sort");
    let mut node = Watched(
        info,
        Sort::<{ node_support::CAPACITY }, 2>::new(info, config),
    );
    let third = r#"{"payload":2,"parts":{"id":"A","index":2,"count":3}}"#;
    let outcome = run(
        "full",
        &mut node,
        &[
            r#"{"payload":0,"parts":{"id":"A","index":0,"count":3}}"#,
            r#"{"payload":1,"parts":{"id":"A","index":1,"count":3}}"#,
            third,
        ],
    );
    assert_eq!(
        outcome.sent,
        vec![caught(
            third,
            "sort",
            "Too many pending messages in sort node"
        )]
    );
    assert_eq!(outcome.errors, vec![(ErrorKind::QueueFull, 1)]);
}

/// What a sort node that a complete node watches did, in order: each
/// message it sent (`sent`) and each it finished with (`done`), with the
/// millisecond.
type Events = Vec<(u64, &'static str, String)>;

/// Gives each message to a sort node (of a queue of 8) at its time, run as
/// psosc runs one that a complete node watches (`Watched` outputs from
/// `psos::nodes`, `input_now`), with a receiver that changes what it is
/// sent.
fn watched_sort(case: &'static str, config: SortConfig, inputs: &[(u64, &str)]) -> Events {
    use psos::nodes::Watched;
    use psos::{Device, Msg};
    const N: usize = node_support::CAPACITY;
    let device = Device::new(case, "conformance");
    let mut node = Sort::<N, 8>::new(NodeInfo::new(case, "", "sort"), config);
    let events = core::cell::RefCell::new(Vec::new());
    for (at, text) in inputs {
        let mut msg = Msg::<N>::from_json(text.as_bytes()).expect("a message");
        let mut watched = Watched::new(|_: usize, msg: &mut Msg<N>| {
            events.borrow_mut().push((*at, "sent", format!("{msg:?}")));
            let _ = msg.set_property("payload", &-1.0);
        });
        node.input_now(&device, &mut msg, &mut watched, &mut |msg: &Msg<N>| {
            events.borrow_mut().push((*at, "done", format!("{msg:?}")));
        });
    }
    assert_eq!(device.errors_seen().count(), 0, "{case}");
    events.into_inner()
}

/// The 2 "messaging API" cases of the spec that a device's queue can
/// hold: the complete node hears of a message with its array sorted as
/// the input returns, and of each message of a sequence right after it
/// leaves sorted, with its new index (both at 500 ms). The other two
/// ("regardless of buffer overflow") rely on Node-RED's
/// `nodeMessageBufferMaxLength`, past which it still completes the
/// sequence at hand or drops the oldest one; a device's limit is its
/// queue, and a message that finds it full is dropped and counted
/// (`a_full_queue_is_counted`).
#[test]
fn calls_done_when_message_is_sent() {
    let seq_key = |target| SortConfig {
        target,
        key: PAYLOAD,
        descending: false,
        as_number: false,
    };
    assert_eq!(
        watched_sort(
            "should call done() when message is sent (payload)",
            seq_key(Some(PAYLOAD)),
            &[(0, r#"{"seq":0,"payload":[1,3,2]}"#)]
        ),
        [
            (0, "sent", r#"{"seq":0,"payload":[1,2,3]}"#.to_string()),
            (0, "done", r#"{"seq":0,"payload":[1,2,3]}"#.to_string()),
        ]
    );
    assert_eq!(
        watched_sort(
            "should call done() when message is sent (sequence)",
            seq_key(None),
            &[
                (
                    0,
                    r#"{"seq":0,"payload":3,"parts":{"id":"A","index":0,"count":2}}"#
                ),
                (
                    500,
                    r#"{"seq":1,"payload":2,"parts":{"id":"A","index":1,"count":2}}"#
                ),
            ]
        ),
        [
            (
                500,
                "sent",
                r#"{"seq":1,"payload":2,"parts":{"id":"A","index":0,"count":2}}"#.to_string()
            ),
            (
                500,
                "done",
                r#"{"seq":1,"payload":2,"parts":{"id":"A","index":0,"count":2}}"#.to_string()
            ),
            (
                500,
                "sent",
                r#"{"seq":0,"payload":3,"parts":{"id":"A","index":1,"count":2}}"#.to_string()
            ),
            (
                500,
                "done",
                r#"{"seq":0,"payload":3,"parts":{"id":"A","index":1,"count":2}}"#.to_string()
            ),
        ]
    );
    // A message of no sequence is finished with as it came, unsent.
    assert_eq!(
        watched_sort("no sequence", seq_key(None), &[(0, r#"{"payload":1}"#)]),
        [(0, "done", r#"{"payload":1}"#.to_string())]
    );
}
