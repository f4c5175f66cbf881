//! Node-RED's `batch` node, held to Node-RED's own tests: the `count` and
//! `interval` cases of `test/nodes/core/sequence/19-batch_spec.js`
//! (Node-RED 4.x) as data, on a clock the test steps a millisecond at a
//! time. Messages are compared whole as JSON without `msg.parts.id`, which
//! is Node-RED's first `_msgid` of the sequence; each case also checks
//! that the messages of a sequence share one id and sequences differ.
//!
//! The spec's count, and which cases are here, is in docs/conformance.md.

mod finishing_support;

use finishing_support::{caught, event, Events};
use psos::nodes::{Batch, BatchMode, Finishing};
use psos::{Device, ErrorKind, Msg, NodeInfo, PathSegment};

const CAPACITY: usize = 256;

const ID: &[PathSegment<'static>] = &[PathSegment::Key("parts"), PathSegment::Key("id")];

/// What a node did: each message it sent with when (ms), the errors its
/// device counted.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    sent: Vec<(u64, String)>,
    errors: Vec<(ErrorKind, u32)>,
}

/// Steps a node with a queue of `Q` messages from 0 to `until` ms; the
/// messages of `inputs` arrive at their times, then the clock ticks. The
/// ids of the sequences sent are checked: one per `sizes` entry, in order.
fn run<const Q: usize>(
    case: &'static str,
    mode: BatchMode,
    inputs: &[(u64, &str)],
    until: u64,
    sizes: &[usize],
) -> Outcome {
    let device = Device::new(case, "conformance");
    let mut node = Batch::<CAPACITY, Q>::new(NodeInfo::new(case, "", "batch"), mode);
    let mut outcome = Outcome::default();
    let mut ids = Vec::new();
    let mut pending = inputs.iter().peekable();
    for now in 0..=until {
        let mut record = |_port: usize, msg: &mut Msg<CAPACITY>| {
            ids.push(format!("{:?}", msg.get(ID)));
            let mut shown = msg.clone();
            shown.remove(ID);
            outcome.sent.push((now, format!("{shown:?}")));
        };
        while let Some((_, text)) = pending.next_if(|(at, _)| *at == now) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes())
                .unwrap_or_else(|error| panic!("{case}: {text} does not read: {error}"));
            node.input_at(now, &device, &mut msg, &mut record);
        }
        node.tick_at(now, &device, &mut record);
    }
    assert!(pending.next().is_none(), "{case}: inputs out of order");
    // One id for the messages of a sequence, another for the next.
    let mut at = 0;
    let mut seen: Vec<&String> = Vec::new();
    for size in sizes {
        let sequence = ids
            .get(at..at + size)
            .unwrap_or_else(|| panic!("{case}: ids {ids:?}"));
        assert!(
            sequence.iter().all(|id| *id == sequence[0]),
            "{case}: {ids:?}"
        );
        assert!(!seen.contains(&&sequence[0]), "{case}: {ids:?}");
        seen.push(&sequence[0]);
        at += size;
    }
    assert_eq!(at, ids.len(), "{case}: {ids:?}");
    outcome.errors = device.errors_seen().collect();
    outcome
}

fn sent(list: &[(u64, &str)]) -> Outcome {
    Outcome {
        sent: list
            .iter()
            .map(|(at, msg)| (*at, msg.to_string()))
            .collect(),
        errors: Vec::new(),
    }
}

/// `check_count`'s input: six messages, parts of a sequence of 6.
const SIX: [(u64, &str); 6] = [
    (0, r#"{"payload":0,"parts":{"count":6,"index":0}}"#),
    (0, r#"{"payload":1,"parts":{"count":6,"index":1}}"#),
    (0, r#"{"payload":2,"parts":{"count":6,"index":2}}"#),
    (0, r#"{"payload":3,"parts":{"count":6,"index":3}}"#),
    (0, r#"{"payload":4,"parts":{"count":6,"index":4}}"#),
    (0, r#"{"payload":5,"parts":{"count":6,"index":5}}"#),
];

const fn count(count: usize, overlap: usize, honour_parts: bool) -> BatchMode {
    limited(count, overlap, honour_parts, 0)
}

/// `count` mode with a `psosQueue`, Node-RED's `nodeMessageBufferMaxLength`.
const fn limited(count: usize, overlap: usize, honour_parts: bool, limit: usize) -> BatchMode {
    BatchMode::Count {
        count,
        overlap,
        honour_parts,
        limit,
    }
}

#[test]
fn should_create_seq_with_count() {
    let expected = [
        r#"{"payload":0,"parts":{"count":2,"index":0}}"#,
        r#"{"payload":1,"parts":{"count":2,"index":1}}"#,
        r#"{"payload":2,"parts":{"count":2,"index":0}}"#,
        r#"{"payload":3,"parts":{"count":2,"index":1}}"#,
        r#"{"payload":4,"parts":{"count":2,"index":0}}"#,
        r#"{"payload":5,"parts":{"count":2,"index":1}}"#,
    ];
    let expected: Vec<(u64, &str)> = expected.iter().map(|msg| (0, *msg)).collect();
    assert_eq!(
        run::<2>("count", count(2, 0, false), &SIX, 0, &[2, 2, 2]),
        sent(&expected)
    );
}

#[test]
fn should_create_seq_with_count_more_sent_than_count() {
    let outcome = run::<4>("more", count(4, 0, false), &SIX, 0, &[4]);
    let expected: Vec<(u64, String)> = (0..4)
        .map(|i| {
            (
                0,
                format!(r#"{{"payload":{i},"parts":{{"count":4,"index":{i}}}}}"#),
            )
        })
        .collect();
    assert_eq!(outcome.sent, expected);
}

#[test]
fn should_create_seq_with_count_and_terminate_early_if_parts_honoured() {
    let outcome = run::<4>("honoured", count(4, 0, true), &SIX, 0, &[4, 2]);
    let payloads: Vec<&str> = outcome.sent.iter().map(|(_, msg)| msg.as_str()).collect();
    assert_eq!(
        payloads[4..],
        [
            r#"{"payload":4,"parts":{"count":2,"index":0}}"#,
            r#"{"payload":5,"parts":{"count":2,"index":1}}"#,
        ]
    );
    assert_eq!(payloads.len(), 6);
}

#[test]
fn should_create_seq_with_count_and_overlap() {
    let outcome = run::<3>("overlap", count(3, 2, false), &SIX, 0, &[3, 3, 3, 3]);
    let payloads: Vec<String> = outcome
        .sent
        .iter()
        .map(|(_, msg)| {
            let msg = Msg::<CAPACITY>::from_json(msg.as_bytes()).expect("JSON");
            format!(
                "{} {}",
                msg.payload().expect("a payload"),
                msg.get(&[PathSegment::Key("parts"), PathSegment::Key("index")])
                    .expect("an index")
            )
        })
        .collect();
    assert_eq!(
        payloads,
        ["0 0", "1 1", "2 2", "1 0", "2 1", "3 2", "2 0", "3 1", "4 2", "3 0", "4 1", "5 2"]
    );
}

#[test]
fn should_handle_reset_in_count_mode() {
    let inputs = [
        (0, r#"{"payload":0}"#),
        (0, r#"{"payload":1}"#),
        (0, r#"{"payload":2}"#),
        (0, r#"{"payload":3,"reset":true}"#),
        (0, r#"{"payload":4}"#),
        (0, r#"{"payload":5}"#),
    ];
    assert_eq!(
        run::<2>("reset", count(2, 0, false), &inputs, 0, &[2, 2]),
        sent(&[
            (0, r#"{"payload":0,"parts":{"index":0,"count":2}}"#),
            (0, r#"{"payload":1,"parts":{"index":1,"count":2}}"#),
            (0, r#"{"payload":4,"parts":{"index":0,"count":2}}"#),
            (0, r#"{"payload":5,"parts":{"index":1,"count":2}}"#),
        ])
    );
}

const fn interval(interval_ms: f64, allow_empty: bool) -> BatchMode {
    BatchMode::Interval {
        interval_ms,
        allow_empty,
    }
}

/// `delayed_send`: payloads 0, 1, 2, 3, one every `every` ms.
fn every(every: u64) -> Vec<(u64, String)> {
    (0..4)
        .map(|i| ((i + 1) * every, format!(r#"{{"payload":{i}}}"#)))
        .collect()
}

fn borrowed(inputs: &[(u64, String)]) -> Vec<(u64, &str)> {
    inputs.iter().map(|(at, msg)| (*at, msg.as_str())).collect()
}

#[test]
fn should_create_seq_with_interval() {
    for (case, interval_ms, gap) in [("interval", 1000.0, 450), ("float", 500.0, 225)] {
        let inputs = every(gap);
        let outcome = run::<8>(
            case,
            interval(interval_ms, false),
            &borrowed(&inputs),
            2100,
            &[2, 2],
        );
        let first = interval_ms as u64;
        assert_eq!(
            outcome,
            sent(&[
                (first, r#"{"payload":0,"parts":{"index":0,"count":2}}"#),
                (first, r#"{"payload":1,"parts":{"index":1,"count":2}}"#),
                (2 * first, r#"{"payload":2,"parts":{"index":0,"count":2}}"#),
                (2 * first, r#"{"payload":3,"parts":{"index":1,"count":2}}"#),
            ]),
            "{case}"
        );
    }
}

/// "should create seq. with interval & not send empty seq" and "... &
/// send empty seq": payloads every 1300 ms, sequences every 1000 ms.
#[test]
fn should_create_seq_with_interval_and_send_empty_seq_or_not() {
    let inputs = every(1300);
    let one = |payload: &str| format!(r#"{{"payload":{payload},"parts":{{"index":0,"count":1}}}}"#);
    for allow_empty in [false, true] {
        let expected: Vec<(u64, String)> = [
            (1000, "null"),
            (2000, "0"),
            (3000, "1"),
            (4000, "2"),
            (5000, "null"),
            (6000, "3"),
        ]
        .into_iter()
        .filter(|(_, payload)| allow_empty || *payload != "null")
        .map(|(at, payload)| (at, one(payload)))
        .collect();
        let outcome = run::<8>(
            "empty",
            interval(1000.0, allow_empty),
            &borrowed(&inputs),
            6000,
            &vec![1; expected.len()],
        );
        assert_eq!(
            outcome,
            Outcome {
                sent: expected,
                errors: Vec::new()
            },
            "{allow_empty}"
        );
    }
}

#[test]
fn should_handle_reset_in_interval_mode() {
    // Payloads 0, 1, 2 every 400 ms; 10 ms later a reset, then 4, 5, 6
    // every 400 ms: the reset drops 2 and starts the interval again.
    let inputs = [
        (400, r#"{"payload":0}"#),
        (800, r#"{"payload":1}"#),
        (1200, r#"{"payload":2}"#),
        (1210, r#"{"payload":"3","reset":true}"#),
        (1610, r#"{"payload":4}"#),
        (2010, r#"{"payload":5}"#),
        (2410, r#"{"payload":6}"#),
    ];
    assert_eq!(
        run::<8>(
            "interval reset",
            interval(1000.0, false),
            &inputs,
            2500,
            &[2, 2]
        ),
        sent(&[
            (1000, r#"{"payload":0,"parts":{"index":0,"count":2}}"#),
            (1000, r#"{"payload":1,"parts":{"index":1,"count":2}}"#),
            (2210, r#"{"payload":4,"parts":{"index":0,"count":2}}"#),
            (2210, r#"{"payload":5,"parts":{"index":1,"count":2}}"#),
        ])
    );
}

/// "should handle too many pending messages" (in each mode) limits what
/// Node-RED holds with its `nodeMessageBufferMaxLength` of 2; a device's
/// limit is its `psosQueue` of 2 (in `count` mode a limit of 2, with a
/// queue of 3, psosc's for a count of 5), and past it the message at hand
/// is counted, the messages waiting dropped.
#[test]
fn a_full_queue_is_counted() {
    let inputs = [
        (0, r#"{"payload":0}"#),
        (0, r#"{"payload":1}"#),
        (0, r#"{"payload":2}"#),
    ];
    // Past its limit Node-RED drops the waiting messages too: the interval
    // sends nothing.
    let outcome = run::<2>("full", interval(1000.0, false), &inputs, 1000, &[]);
    assert_eq!(outcome.errors, vec![(ErrorKind::QueueFull, 1)]);
    assert_eq!(outcome.sent, Vec::new());
    let outcome = run::<3>("full count", limited(5, 0, false, 2), &inputs, 1000, &[]);
    assert_eq!(outcome.errors, vec![(ErrorKind::QueueFull, 1)]);
    assert_eq!(outcome.sent, Vec::new());
    // Three parts each of TA and TB, in turn: the third and the sixth
    // message pass the limit, and the three messages held then are each
    // an error (none has a `msg.id`, which Node-RED compares).
    let mut parts = Vec::new();
    for index in 0..3 {
        for topic in ["TA", "TB"] {
            parts.push((topic, index, index as usize, 3));
        }
    }
    let outcome = run::<2>(
        "full concat",
        BatchMode::Concat {
            topics: &["TA", "TB"],
        },
        &borrowed(&parts_of(&parts)),
        0,
        &[],
    );
    assert_eq!(outcome.errors, vec![(ErrorKind::QueueFull, 6)]);
    assert_eq!(outcome.sent, Vec::new());
}

/// Steps a batch node with a queue of `Q` from 0 to `until` ms, run as
/// psosc runs one that a catch node and a complete node watch.
fn watched_and_caught<const Q: usize>(
    case: &'static str,
    mode: BatchMode,
    inputs: &[(u64, &str)],
    until: u64,
) -> Events {
    let mut node = Batch::<CAPACITY, Q>::new(NodeInfo::new(case, "", "batch"), mode);
    finishing_support::watch(case, &mut node, inputs, until)
}

/// The error Node-RED's batch hands catch nodes past its limit, with the
/// message it ends with it.
fn too_many(at: u64, msg: &str) -> (u64, &'static str, String) {
    caught(at, msg, "too many pending messages in batch node")
}

/// "should call done() regardless of buffer overflow" in `count` and
/// `interval` modes, with the device's limit of 2 (`psosQueue`) as the
/// spec's `nodeMessageBufferMaxLength` of 2: the third message is an error
/// for catch nodes and the two waiting are done with, all at 500 ms (in
/// `count` mode long before a sequence of 10, in `interval` mode before
/// the interval ends, which then sends nothing). Node-RED hands the error
/// on first (`lastMInfo.done(error)` before the others' `done()`), and so
/// does a device, through its outputs' `error_with`, as the input runs.
#[test]
fn calls_done_regardless_of_buffer_overflow_in_count_and_interval_modes() {
    let inputs = [
        (0, r#"{"payload":0}"#),
        (100, r#"{"payload":1}"#),
        (500, r#"{"payload":2}"#),
    ];
    let expected = [
        too_many(500, r#"{"payload":2}"#),
        event(500, "done", r#"{"payload":0}"#),
        event(500, "done", r#"{"payload":1}"#),
    ];
    assert_eq!(
        watched_and_caught::<3>(
            "should call done() regardless of buffer overflow (mode: count)",
            limited(10, 0, false, 2),
            &inputs,
            2500
        ),
        expected
    );
    assert_eq!(
        watched_and_caught::<2>(
            "should call done() regardless of buffer overflow (mode: interval)",
            interval(2000.0, false),
            &inputs,
            2500
        ),
        expected
    );
}

/// Not in the spec: Node-RED's limit in `count` mode counts the messages
/// since the last sequence left, not those an overlap keeps, which it is
/// done with only when the limit is passed. A count of 3 overlapping by 1
/// with a limit of 1, its first sequence ended early by a last part, goes
/// on as without a limit; a count of 4 passes the limit at the second
/// message after the first sequence, and the message it kept is done with.
#[test]
fn a_count_limit_leaves_out_what_an_overlap_keeps() {
    let last = r#"{"payload":0,"parts":{"index":0,"count":1}}"#;
    let inputs = [(0, last), (1, r#"{"payload":1}"#), (2, r#"{"payload":2}"#)];
    let sent = |at, payload: &str, index, count| {
        event(
            at,
            "sent",
            &format!(r#"{{"payload":{payload},"parts":{{"index":{index},"count":{count}}}}}"#),
        )
    };
    assert_eq!(
        watched_and_caught::<3>("limit after an overlap", limited(3, 1, true, 1), &inputs, 2),
        [
            sent(0, "0", 0, 1),
            sent(2, "0", 0, 3),
            sent(2, "1", 1, 3),
            sent(2, "2", 2, 3),
            event(2, "done", last),
            event(2, "done", r#"{"payload":1}"#),
        ]
    );
    assert_eq!(
        watched_and_caught::<3>(
            "limit passed after an overlap",
            limited(4, 1, true, 1),
            &inputs,
            2
        ),
        [
            sent(0, "0", 0, 1),
            too_many(2, r#"{"payload":2}"#),
            event(2, "done", last),
            event(2, "done", r#"{"payload":1}"#),
        ]
    );
}

/// "should call done() regardless of buffer overflow (mode: concat)", with
/// the device's queue of 2 as the spec's `nodeMessageBufferMaxLength` of
/// 2: the third part of TA passes the limit at 1000 ms. Node-RED then
/// ends every message it holds whose `msg.id` is the one at hand's with
/// the error (none has one, so all three, the one at hand last), forgets
/// them, and yet sends the sequence the third part completes and is done
/// with each of its messages again: the spec's complete and catch nodes
/// hear of each message twice, all at 1000 ms, and so do a device's.
#[test]
fn calls_done_regardless_of_buffer_overflow_in_concat_mode() {
    let part = |index| {
        format!(r#"{{"topic":"TA","payload":0,"parts":{{"id":"TA","index":{index},"count":3}}}}"#)
    };
    let (first, second, third) = (part(0), part(1), part(2));
    let sent =
        |index| format!(r#"{{"topic":"TA","payload":0,"parts":{{"index":{index},"count":3}}}}"#);
    assert_eq!(
        watched_and_caught::<2>(
            "should call done() regardless of buffer overflow (mode: concat)",
            BatchMode::Concat { topics: &["TA"] },
            &[(0, &first), (500, &second), (1000, &third)],
            1100
        ),
        [
            too_many(1000, &first),
            too_many(1000, &second),
            too_many(1000, &third),
            event(1000, "sent", &sent(0)),
            event(1000, "sent", &sent(1)),
            event(1000, "sent", &sent(2)),
            event(1000, "done", &first),
            event(1000, "done", &second),
            event(1000, "done", &third),
        ]
    );
}

/// Past the limit in `concat` mode, Node-RED gives the error to the held
/// messages whose `msg.id` is `===` the one at hand's and is done with
/// the others, in its order (by topic, then by sequence); the message at
/// hand, which it holds by then, is always one of the first. Here the
/// limit is passed by a message that completes no concatenation: nothing
/// is sent, and the node starts again empty.
#[test]
fn concat_past_its_limit_gives_the_error_to_messages_of_the_same_msg_id() {
    let msg = |topic: &str, id: &str, index: usize| {
        format!(
            r#"{{"topic":"{topic}","id":{id},"parts":{{"id":"{topic}","index":{index},"count":3}}}}"#
        )
    };
    let inputs = [
        msg("TA", "1", 0),
        msg("TB", r#""1""#, 0),
        msg("TA", "2", 1),
        msg("TB", "1", 1),
    ];
    let timed: Vec<(u64, &str)> = inputs.iter().map(|msg| (0, msg.as_str())).collect();
    assert_eq!(
        watched_and_caught::<3>(
            "concat past its limit",
            BatchMode::Concat {
                topics: &["TA", "TB"]
            },
            &timed,
            0
        ),
        [
            too_many(0, &inputs[0]),
            event(0, "done", &inputs[2]),
            event(0, "done", &inputs[1]),
            too_many(0, &inputs[3]),
        ]
    );
    // Objects are `===` only to themselves: of two messages with equal
    // `{}` ids, only the one at hand gets the error.
    let object_id = |topic: &str, index: usize| {
        format!(
            r#"{{"topic":"{topic}","id":{{}},"parts":{{"id":"{topic}","index":{index},"count":3}}}}"#
        )
    };
    let (held, at_hand) = (object_id("TA", 0), object_id("TA", 1));
    assert_eq!(
        watched_and_caught::<1>(
            "concat past its limit, object ids",
            BatchMode::Concat { topics: &["TA"] },
            &[(0, &held), (0, &at_hand)],
            0
        ),
        [event(0, "done", &held), too_many(0, &at_hand)]
    );
}

/// `check_concat`'s messages: topic, payload, index and count, each the
/// part of a sequence whose id is its topic.
fn parts_of(inputs: &[(&str, i32, usize, usize)]) -> Vec<(u64, String)> {
    inputs
        .iter()
        .map(|(topic, payload, index, count)| {
            (
                0,
                format!(
                    r#"{{"topic":"{topic}","payload":{payload},"parts":{{"id":"{topic}","index":{index},"count":{count}}}}}"#
                ),
            )
        })
        .collect()
}

/// What leaves: one sequence of these topics and payloads.
fn concatenated(sequence: &[(&str, i32)]) -> Outcome {
    Outcome {
        sent: sequence
            .iter()
            .enumerate()
            .map(|(index, (topic, payload))| {
                (
                    0,
                    format!(
                        r#"{{"topic":"{topic}","payload":{payload},"parts":{{"index":{index},"count":{}}}}}"#,
                        sequence.len()
                    ),
                )
            })
            .collect(),
        errors: Vec::new(),
    }
}

/// A `concat` case: its name, the topics, the messages that arrive (as
/// `parts_of` takes them), the sequence that leaves.
type ConcatCase = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, i32, usize, usize)],
    &'static [(&'static str, i32)],
);

#[test]
fn should_concat_sequences() {
    const AB: &[&str] = &["TA", "TB"];
    let cases: &[ConcatCase] = &[
        (
            "should concat two seq. (series)",
            AB,
            &[
                ("TB", 0, 0, 2),
                ("TB", 1, 1, 2),
                ("TA", 2, 0, 2),
                ("TA", 3, 1, 2),
            ],
            &[("TA", 2), ("TA", 3), ("TB", 0), ("TB", 1)],
        ),
        (
            "should concat two seq. (mixed)",
            AB,
            &[
                ("TA", 2, 0, 2),
                ("TB", 0, 0, 2),
                ("TA", 3, 1, 2),
                ("TB", 1, 1, 2),
            ],
            &[("TA", 2), ("TA", 3), ("TB", 0), ("TB", 1)],
        ),
        (
            "should concat three seq.",
            &["TA", "TB", "TC"],
            &[
                ("TC", 4, 0, 1),
                ("TB", 0, 0, 2),
                ("TB", 1, 1, 2),
                ("TA", 2, 0, 2),
                ("TA", 3, 1, 2),
            ],
            &[("TA", 2), ("TA", 3), ("TB", 0), ("TB", 1), ("TC", 4)],
        ),
        (
            "should concat same seq.",
            &["TA", "TA"],
            &[("TA", 9, 0, 2), ("TA", 8, 1, 2)],
            &[("TA", 9), ("TA", 8), ("TA", 9), ("TA", 8)],
        ),
    ];
    for (case, topics, inputs, expected) in cases {
        let inputs = parts_of(inputs);
        let outcome = run::<8>(
            case,
            BatchMode::Concat { topics },
            &borrowed(&inputs),
            0,
            &[expected.len()],
        );
        assert_eq!(outcome, concatenated(expected), "{case}");
    }
}

#[test]
fn should_handle_reset_in_concat_mode() {
    let mut inputs = parts_of(&[("TB", 0, 0, 2), ("TA", 1, 0, 2)]);
    inputs.push((0, r#"{"reset":true}"#.to_string()));
    inputs.extend(parts_of(&[
        ("TB", 0, 0, 2),
        ("TB", 1, 1, 2),
        ("TA", 2, 0, 2),
        ("TA", 3, 1, 2),
    ]));
    assert_eq!(
        run::<8>(
            "concat reset",
            BatchMode::Concat {
                topics: &["TA", "TB"]
            },
            &borrowed(&inputs),
            0,
            &[4]
        ),
        concatenated(&[("TA", 2), ("TA", 3), ("TB", 0), ("TB", 1)])
    );
}

/// Not in the spec: a listed topic without complete parts is an error
/// Node-RED logs; a topic not listed is ignored.
#[test]
fn concat_needs_parts_of_listed_topics() {
    let inputs = [
        (
            0,
            r#"{"topic":"TA","payload":1,"parts":{"id":"a","index":0}}"#,
        ),
        (
            0,
            r#"{"topic":"TC","payload":2,"parts":{"id":"c","index":0,"count":1}}"#,
        ),
    ];
    let outcome = run::<8>(
        "no parts",
        BatchMode::Concat { topics: &["TA"] },
        &inputs,
        0,
        &[],
    );
    assert_eq!(outcome.sent, Vec::new());
    assert_eq!(outcome.errors, vec![(ErrorKind::BadValue, 1)]);
}

/// Steps a batch node (of a queue of 4) that a complete node watches, as
/// psosc runs it (`Watched` outputs, `input_finishing`,
/// `tick_finishing`), from 0 to `until` ms: what it sends and what it
/// finishes with, each with the millisecond, without `msg.parts.id`.
fn watched(case: &'static str, mode: BatchMode, inputs: &[(u64, &str)], until: u64) -> Events {
    use psos::nodes::Watched;
    let device = Device::new(case, "conformance");
    let mut node = Batch::<CAPACITY, 4>::new(NodeInfo::new(case, "", "batch"), mode);
    let events = core::cell::RefCell::new(Vec::new());
    let shown = |msg: &Msg<CAPACITY>| {
        let mut msg = msg.clone();
        msg.remove(ID);
        format!("{msg:?}")
    };
    let mut pending = inputs.iter().peekable();
    for now in 0..=until {
        let mut out = Watched::new(|_: usize, msg: &mut Msg<CAPACITY>| {
            events.borrow_mut().push((now, "sent", shown(msg)));
            let _ = msg.set_property("payload", &-1.0);
        });
        let mut finished =
            |msg: &Msg<CAPACITY>| events.borrow_mut().push((now, "done", shown(msg)));
        while let Some((_, text)) = pending.next_if(|(at, _)| *at == now) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).expect("a message");
            node.input_finishing(now, &device, &mut msg, &mut out, &mut finished);
        }
        node.tick_finishing(now, &device, &mut out, &mut finished);
    }
    assert_eq!(device.errors_seen().count(), 0, "{case}");
    events.into_inner()
}

/// The 6 "messaging API" cases of the spec that a device's queue can
/// hold: the complete node hears of the messages of a sequence once it
/// has left (in `count` and `interval` modes as they left, with their
/// parts; in `concat` mode, which sends copies, as they came), and of
/// those a reset drops, then of the resetting message. The 3
/// "regardless of buffer overflow" cases, which set Node-RED's
/// `nodeMessageBufferMaxLength`, are
/// `calls_done_regardless_of_buffer_overflow_in_count_and_interval_modes`
/// and `calls_done_regardless_of_buffer_overflow_in_concat_mode`.
#[test]
fn calls_done_when_message_is_sent_or_reset() {
    let count_of_two = count(2, 0, false);
    assert_eq!(
        watched(
            "should call done() when message is sent (mode: count)",
            count_of_two,
            &[(0, r#"{"payload":0}"#), (0, r#"{"payload":1}"#)],
            100
        ),
        [
            event(0, "sent", r#"{"payload":0,"parts":{"index":0,"count":2}}"#),
            event(0, "sent", r#"{"payload":1,"parts":{"index":1,"count":2}}"#),
            event(0, "done", r#"{"payload":0,"parts":{"index":0,"count":2}}"#),
            event(0, "done", r#"{"payload":1,"parts":{"index":1,"count":2}}"#),
        ]
    );
    let reset = [
        (0, r#"{"payload":0}"#),
        (200, r#"{"payload":1,"reset":true}"#),
    ];
    for (case, mode) in [
        ("should call done() when reset (mode: count)", count_of_two),
        (
            "should call done() when reset (mode: interval)",
            interval(2000.0, false),
        ),
    ] {
        assert_eq!(
            watched(case, mode, &reset, 300),
            [
                event(200, "done", r#"{"payload":0}"#),
                event(200, "done", r#"{"payload":1,"reset":true}"#),
            ],
            "{case}"
        );
    }
    assert_eq!(
        watched(
            "should call done() when message is sent (mode: interval)",
            interval(2000.0, false),
            &[(0, r#"{"payload":0}"#), (500, r#"{"payload":1}"#)],
            2100
        ),
        [
            event(
                2000,
                "sent",
                r#"{"payload":0,"parts":{"index":0,"count":2}}"#
            ),
            event(
                2000,
                "sent",
                r#"{"payload":1,"parts":{"index":1,"count":2}}"#
            ),
            event(
                2000,
                "done",
                r#"{"payload":0,"parts":{"index":0,"count":2}}"#
            ),
            event(
                2000,
                "done",
                r#"{"payload":1,"parts":{"index":1,"count":2}}"#
            ),
        ]
    );
    const TA: BatchMode = BatchMode::Concat { topics: &["TA"] };
    let first = r#"{"topic":"TA","payload":0,"parts":{"id":"TA","index":0,"count":2}}"#;
    let second = r#"{"topic":"TA","payload":1,"parts":{"id":"TA","index":1,"count":2}}"#;
    assert_eq!(
        watched(
            "should call done() when message is sent (mode: concat)",
            TA,
            &[(0, first), (1000, second)],
            1100
        ),
        [
            event(
                1000,
                "sent",
                r#"{"topic":"TA","payload":0,"parts":{"index":0,"count":2}}"#
            ),
            event(
                1000,
                "sent",
                r#"{"topic":"TA","payload":1,"parts":{"index":1,"count":2}}"#
            ),
            event(
                1000,
                "done",
                r#"{"topic":"TA","payload":0,"parts":{"index":0,"count":2}}"#
            ),
            event(
                1000,
                "done",
                r#"{"topic":"TA","payload":1,"parts":{"index":1,"count":2}}"#
            ),
        ]
    );
    assert_eq!(
        watched(
            "should call done() when reset (mode: concat)",
            TA,
            &[(0, first), (1000, r#"{"payload":1,"reset":true}"#)],
            1100
        ),
        [
            event(
                1000,
                "done",
                r#"{"topic":"TA","payload":0,"parts":{"index":0,"count":2}}"#
            ),
            event(1000, "done", r#"{"payload":1,"reset":true}"#),
        ]
    );
}

/// What else Node-RED finishes with: with overlap, the messages that leave
/// the last sequence they are in, as they came (the sequences are sent as
/// copies); on a reset in `concat` mode, by topic, then by sequence, in
/// the order first seen; a message of a topic `concat` does not list,
/// never.
#[test]
fn finishes_with_overlapped_and_concatenated_messages_as_node_red_keeps_them() {
    let done = |events: Events| -> Vec<String> {
        events
            .into_iter()
            .filter(|(_, what, _)| *what == "done")
            .map(|(_, _, msg)| msg)
            .collect()
    };
    assert_eq!(
        done(watched(
            "overlap",
            count(2, 1, false),
            &[
                (0, r#"{"payload":0}"#),
                (1, r#"{"payload":1}"#),
                (2, r#"{"payload":2}"#)
            ],
            2
        )),
        [r#"{"payload":0}"#, r#"{"payload":1}"#]
    );
    const AB: BatchMode = BatchMode::Concat {
        topics: &["A", "B"],
    };
    assert_eq!(
        done(watched(
            "concat reset order",
            AB,
            &[
                (
                    0,
                    r#"{"topic":"A","payload":1,"parts":{"id":"x","index":0,"count":2}}"#
                ),
                (
                    0,
                    r#"{"topic":"B","payload":2,"parts":{"id":"y","index":0,"count":2}}"#
                ),
                (
                    0,
                    r#"{"topic":"A","payload":3,"parts":{"id":"z","index":0,"count":2}}"#
                ),
                (
                    0,
                    r#"{"topic":"A","payload":4,"parts":{"id":"x","index":1,"count":2}}"#
                ),
                (0, r#"{"topic":"C","payload":5}"#),
                (1, r#"{"reset":true}"#),
            ],
            1
        ))
        .iter()
        .map(|msg| msg.split(",\"parts\"").next().unwrap_or("").to_string())
        .collect::<Vec<_>>(),
        [
            r#"{"topic":"A","payload":1"#,
            r#"{"topic":"A","payload":4"#,
            r#"{"topic":"A","payload":3"#,
            r#"{"topic":"B","payload":2"#,
            r#"{"reset":true}"#,
        ]
    );
}
