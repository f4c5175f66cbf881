//! Node-RED's `sort` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/sequence/18-sort_spec.js` (Node-RED 4.x) that need no
//! JSONata, as data. Each sorts four texts as they are or as numbers,
//! ascending or descending, as an array property or as a sequence of
//! messages.
//!
//! The spec's count, and which cases are here, is in docs/conformance.md.

mod catch_support;
mod finishing_support;
mod node_support;

use catch_support::{caught, Watched};
use finishing_support::event;
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

/// "should handle too many pending messages": Node-RED's
/// `nodeMessageBufferMaxLength` of 2 is a device's queue of 2. The third
/// of four messages of one sequence passes it: the oldest sequence, its
/// own, is dropped, the message at hand (its last) given to catch nodes
/// with Node-RED's text; the fourth then waits alone.
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
    let part = |index| {
        format!(r#"{{"payload":"V{index}","parts":{{"id":"X","index":{index},"count":4}}}}"#)
    };
    let parts = [part(0), part(1), part(2), part(3)];
    let outcome = run(
        "full",
        &mut node,
        &parts.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(
        outcome.sent,
        vec![caught(
            &parts[2],
            "sort",
            "Too many pending messages in sort node"
        )]
    );
    assert_eq!(outcome.errors, vec![(ErrorKind::QueueFull, 1)]);
}

/// The 2 "messaging API" cases "should call done() regardless of buffer
/// overflow", with the device's queue of 2 as the spec's
/// `nodeMessageBufferMaxLength` of 2. Same group: the third message
/// completes its sequence, which still leaves sorted, each message
/// finished with as it leaves, at 1000 ms. Different group: the third
/// message, of a third sequence, drops the oldest (A) at 1000 ms, its
/// last message an error for catch nodes; B and C then leave when
/// complete, at 1200 and 1500 ms.
#[test]
fn calls_done_regardless_of_buffer_overflow() {
    let config = SortConfig {
        target: None,
        key: PAYLOAD,
        descending: false,
        as_number: false,
    };
    let watch = |case, inputs: &[(u64, &str)]| {
        let mut node =
            Sort::<{ node_support::CAPACITY }, 2>::new(NodeInfo::new(case, "", "sort"), config);
        finishing_support::watch(case, &mut node, inputs, 2000)
    };
    // A message of the spec (`seq`, payload, sequence, index, count), and
    // the events of its leaving with a new index.
    let msg = |seq, payload, id, index, count| {
        format!(
            r#"{{"seq":{seq},"payload":{payload},"parts":{{"id":"{id}","index":{index},"count":{count}}}}}"#
        )
    };
    let leaves = |at, seq, payload, id, index, count| {
        let done = msg(seq, payload, id, index, count);
        let sent = done.replace(&format!(r#""id":"{id}","#), "");
        [event(at, "sent", &sent), event(at, "done", &done)]
    };
    let same_group = [
        (0, msg(0, 1, "A", 0, 3)),
        (500, msg(1, 3, "A", 1, 3)),
        (1000, msg(2, 2, "A", 2, 3)),
    ];
    assert_eq!(
        watch(
            "should call done() regardless of buffer overflow (same group)",
            &timed(&same_group)
        ),
        [
            leaves(1000, 0, 1, "A", 0, 3),
            leaves(1000, 2, 2, "A", 1, 3),
            leaves(1000, 1, 3, "A", 2, 3),
        ]
        .concat()
    );
    let different_groups = [
        (0, msg(0, 1, "A", 0, 2)),
        (500, msg(1, 3, "B", 0, 2)),
        (1000, msg(2, 5, "C", 0, 2)),
        (1200, msg(3, 2, "B", 1, 2)),
        (1500, msg(4, 4, "C", 1, 2)),
    ];
    assert_eq!(
        watch(
            "should call done() regardless of buffer overflow (different group)",
            &timed(&different_groups)
        ),
        [
            vec![finishing_support::caught(
                1000,
                &different_groups[0].1,
                "Too many pending messages in sort node"
            )],
            leaves(1200, 3, 2, "B", 0, 2).to_vec(),
            leaves(1200, 1, 3, "B", 1, 2).to_vec(),
            leaves(1500, 4, 4, "C", 0, 2).to_vec(),
            leaves(1500, 2, 5, "C", 1, 2).to_vec(),
        ]
        .concat()
    );
}

/// Inputs with their times, borrowed.
fn timed(inputs: &[(u64, String)]) -> Vec<(u64, &str)> {
    inputs.iter().map(|(at, msg)| (*at, msg.as_str())).collect()
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

/// The 2 "messaging API" cases "should call done() when message is
/// sent": the complete node hears of a message with its array sorted as
/// the input returns, and of each message of a sequence right after it
/// leaves sorted, with its new index (both at 500 ms). The other two are
/// `calls_done_regardless_of_buffer_overflow`.
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
