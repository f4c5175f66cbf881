//! Node-RED's `complete` node and the message its flow makes for it, held
//! to Node-RED's own test (the one case of
//! `test/nodes/core/common/24-complete_spec.js`) and to when Node-RED's
//! nodes call `done()`: a node is run here as psosc wraps a node that
//! complete nodes watch (`Watched` outputs, then `completed`), with a
//! receiver that changes what it is sent, as a receiver on a device may.
//! A delay node tells what it has finished with itself, on a clock the
//! test drives: the 16 "calls done when ..." cases of `89-delay_spec.js`,
//! in all its modes. Which complete
//! nodes watch which nodes is decided by psosc
//! (`compiler/tests/lowering.rs`).

mod node_support;

use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{
    completed, Complete, Csv, CsvHeader, CsvSettings, Delay, DelayMode, Done, Finishing, Interval,
    Json, JsonAction, MqttOut, Range, RangeAction, Watched,
};
use psos::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, PathSegment};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// A node wrapped as psosc wraps one that a complete node watches: what it
/// sends leaves on port 0 (and its receiver then sets `msg.downstream`),
/// what the complete node is given on port 1.
struct Wrapped<T> {
    node: T,
    done: Done,
    source: NodeInfo,
}

impl<T: Node<CAPACITY>> Node<CAPACITY> for Wrapped<T> {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        let mut watched = Watched::new(|port: usize, sent: &mut Msg<CAPACITY>| {
            out.send(port, sent);
            let _ = sent.set_property("downstream", &true);
        });
        self.node.input(device, msg, &mut watched);
        if watched.done(self.done) {
            completed(device, &self.source, msg, |message| out.send(1, message));
        }
    }
}

fn json_node() -> Wrapped<Json> {
    let source = NodeInfo::new("j1", "parse", "json");
    Wrapped {
        node: Json::new(source, PAYLOAD, JsonAction::Convert, false),
        done: Done::IfSent,
        source,
    }
}

fn range_node(action: RangeAction) -> Wrapped<Range> {
    let source = NodeInfo::new("r1", "", "range");
    Wrapped {
        node: Range::new(
            source,
            PAYLOAD,
            action,
            false,
            Interval {
                min: 0.0,
                max: 10.0,
            },
            Interval {
                min: 0.0,
                max: 100.0,
            },
        ),
        done: Done::Always,
        source,
    }
}

#[test]
fn should_output_a_message_when_called() {
    let message = r#"{"text":"Oh dear","source":{"id":"12345","type":"testnode","name":"fred"}}"#;
    let mut node = Complete::new(NodeInfo::new("n1", "status", "complete"));
    assert_eq!(
        run("complete_sends_on", &mut node, &[message]),
        sent_only(&[message])
    );
}

#[test]
fn a_node_that_sends_and_calls_done_gives_the_message_as_it_left_it() {
    // The receiver's change (`downstream`) is not seen: Node-RED delivers
    // the message only after the node has called `done()`. An earlier
    // `msg.complete` is replaced.
    assert_eq!(
        run(
            "complete_after_send",
            &mut json_node(),
            &[r#"{"payload":"[1]","complete":true}"#]
        ),
        Outcome {
            sent: vec![
                (0, r#"{"payload":[1],"complete":true}"#.to_string()),
                (
                    1,
                    r#"{"payload":[1],"complete":{"source":{"id":"j1","type":"json","name":"parse"}}}"#
                        .to_string()
                ),
            ],
            ..Outcome::default()
        }
    );
}

#[test]
fn a_node_that_calls_done_with_an_error_gives_nothing() {
    // A json node given text that is not JSON calls `done(error)`: no
    // complete node hears of it.
    assert_eq!(
        run(
            "complete_not_on_error",
            &mut json_node(),
            &[r#"{"payload":"{"}"#]
        ),
        Outcome {
            sent: vec![],
            logged: vec!["Expected property name or '}' in JSON at position 1".to_string()],
            errors: vec![(ErrorKind::BadValue, 1)],
        }
    );
}

#[test]
fn a_node_that_calls_done_on_every_path_gives_what_it_dropped_too() {
    // A range node that drops a value outside its interval still calls
    // `done()`, as does one given no number (which it only logs).
    assert_eq!(
        run(
            "complete_after_drop",
            &mut range_node(RangeAction::Drop),
            &[
                r#"{"payload":11}"#,
                r#"{"payload":"x"}"#,
                r#"{"payload":5}"#
            ]
        ),
        Outcome {
            sent: vec![
                (
                    1,
                    r#"{"payload":11,"complete":{"source":{"id":"r1","type":"range"}}}"#
                        .to_string()
                ),
                (
                    1,
                    r#"{"payload":"x","complete":{"source":{"id":"r1","type":"range"}}}"#
                        .to_string()
                ),
                (0, r#"{"payload":50}"#.to_string()),
                (
                    1,
                    r#"{"payload":50,"complete":{"source":{"id":"r1","type":"range"}}}"#
                        .to_string()
                ),
            ],
            logged: vec!["Not a number: x".to_string()],
            errors: vec![],
        }
    );
}

/// Runs a delay node from 0 to `until` ms on a clock the test drives, given
/// `inputs` (when, message as JSON), as psosc wraps a watched delay node:
/// what it sends (`sent`) and what it has finished with (`done`), each
/// with the millisecond and the payload, in order.
fn run_delay(
    case: &'static str,
    mode: DelayMode,
    inputs: &[(u64, &str)],
    until: u64,
) -> Vec<(u64, &'static str, String)> {
    run_delay_showing(case, mode, inputs, until, |msg| {
        format!("{:?}", msg.property("payload"))
    })
}

/// As [`run_delay`], each message shown by `show`.
fn run_delay_showing(
    case: &'static str,
    mode: DelayMode,
    inputs: &[(u64, &str)],
    until: u64,
    show: impl Fn(&Msg<CAPACITY>) -> String,
) -> Vec<(u64, &'static str, String)> {
    let device = Device::new(case, "conformance");
    let mut node = Delay::<CAPACITY, 8>::new(NodeInfo::new("delayNode1", "", "delay"), mode, false);
    let events = core::cell::RefCell::new(Vec::new());
    let payload = &show;
    for now in 0..=until {
        let mut watched = Watched::new(|_: usize, msg: &mut Msg<CAPACITY>| {
            events.borrow_mut().push((now, "sent", payload(msg)));
            // A receiver that changes its message does not change what the
            // complete node is given.
            let _ = msg.set_property("payload", &-1.0);
        });
        let mut finished =
            |msg: &Msg<CAPACITY>| events.borrow_mut().push((now, "done", payload(msg)));
        for (_, text) in inputs.iter().filter(|(at, _)| *at == now) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).expect("a message");
            node.input_finishing(now, &device, &mut msg, &mut watched, &mut finished);
        }
        node.tick_finishing(now, &device, &mut watched, &mut finished);
    }
    events.into_inner()
}

const DELAY: DelayMode = DelayMode::Fixed {
    ms: 1000.0,
    variable: false,
};
const DELAYV: DelayMode = DelayMode::Fixed {
    ms: 1000.0,
    variable: true,
};
const RANDOM: DelayMode = DelayMode::Random {
    first_ms: 950.0,
    last_ms: 1050.0,
};

fn event(at: u64, what: &'static str, payload: &str) -> (u64, &'static str, String) {
    (at, what, format!("Some(Number({payload}.0))"))
}

#[test]
fn calls_done_when_queued_message_is_emitted() {
    for (case, mode, input) in [
        ("delay_done_emitted_delay", DELAY, r#"{"payload":1}"#),
        (
            "delay_done_emitted_delayv",
            DELAYV,
            r#"{"payload":1,"delay":1000}"#,
        ),
    ] {
        assert_eq!(
            run_delay(case, mode, &[(0, input)], 1100),
            [event(1000, "sent", "1"), event(1000, "done", "1")],
            "{case}"
        );
    }
    // Node-RED's third case, named "(type: delay)" too, is `random`: the
    // message leaves within its interval, and is done with then.
    let events = run_delay(
        "delay_done_emitted_random",
        RANDOM,
        &[(0, r#"{"payload":1}"#)],
        1100,
    );
    let [(sent_at, "sent", _), (done_at, "done", done)] = events.as_slice() else {
        panic!("one message sent and done: {events:?}");
    };
    assert!((950..=1050).contains(sent_at) && sent_at == done_at);
    assert_eq!(done, "Some(Number(1.0))");
}

/// In each of the three modes, a message waits and a second one, `second`,
/// arrives at once: what happens, named `case` and the mode.
fn check_second_in_each_mode(case: &str, second: &str, expect: &[(u64, &'static str, String)]) {
    for (name, mode, first) in [
        ("delay", DELAY, r#"{"payload":1}"#),
        ("delayv", DELAYV, r#"{"payload":1,"delay":1000}"#),
        ("random", RANDOM, r#"{"payload":1}"#),
    ] {
        let case: &'static str = format!("{case}_{name}").leak();
        let events = run_delay(case, mode, &[(0, first), (0, second)], 1100);
        assert_eq!(events, expect, "{case}");
    }
}

#[test]
fn calls_done_when_queued_message_is_cleared() {
    // `msg.reset` drops what waits, the resetting message too: each done.
    check_second_in_each_mode(
        "delay_done_cleared",
        r#"{"payload":2,"reset":true}"#,
        &[event(0, "done", "1"), event(0, "done", "2")],
    );
}

#[test]
fn calls_done_when_queued_message_is_flushed() {
    // `msg.flush` sends what waits, the flushing message too, each done as
    // it leaves; then the flushing message is done once more, as Node-RED
    // calls `done()` after the flush (its test looks at the first two).
    check_second_in_each_mode(
        "delay_done_flushed",
        r#"{"payload":2,"flush":true}"#,
        &[
            event(0, "sent", "1"),
            event(0, "done", "1"),
            event(0, "sent", "2"),
            event(0, "done", "2"),
            event(0, "done", "2"),
        ],
    );
}

#[test]
fn a_message_of_nothing_but_flush_is_done_before_and_after_the_flush() {
    // Node-RED clears the timer it made for it (`done()`), flushes, and
    // calls `done()` again.
    let events = run_delay(
        "delay_done_flush_only",
        DELAY,
        &[(0, r#"{"payload":1}"#), (5, r#"{"flush":true}"#)],
        1100,
    );
    let none = "None".to_string();
    assert_eq!(
        events,
        [
            (5, "done", none.clone()),
            event(5, "sent", "1"),
            event(5, "done", "1"),
            (5, "done", none),
        ]
    );
}

const RATE: DelayMode = DelayMode::Rate {
    interval_ms: 1000.0,
    drop: false,
    allow_rate: false,
};
const RATE_DROP: DelayMode = DelayMode::Rate {
    interval_ms: 1000.0,
    drop: true,
    allow_rate: false,
};
const QUEUE: DelayMode = DelayMode::Queue {
    interval_ms: 1000.0,
    allow_rate: false,
};
const TIMED: DelayMode = DelayMode::Timed {
    interval_ms: 1000.0,
    allow_rate: false,
};

/// A message as the table below shows it: its payload, and `flush` when
/// it has one.
fn payload_and_flush(msg: &Msg<CAPACITY>) -> String {
    let payload = match msg.property("payload") {
        Some(payload) => format!("{payload}"),
        None => "-".to_string(),
    };
    let flush = if msg.property("flush").is_some() {
        " flush"
    } else {
        ""
    };
    format!("{payload}{flush}")
}

/// A case of the rate and queue modes: its name, the mode, the messages
/// that arrive (ms, JSON), when the run ends, and what happens in order
/// (ms, `sent` or `done`, the message as [`payload_and_flush`] shows it).
type QueueCase = (
    &'static str,
    DelayMode,
    &'static [(u64, &'static str)],
    u64,
    &'static [(u64, &'static str, &'static str)],
);

/// The 7 "calls done when ..." cases of `89-delay_spec.js` for `rate`,
/// `queue` and `timed` (Node-RED's test looks at the first of what each
/// does, by payload and time), and ours for what those leave out.
const QUEUE_CASES: &[QueueCase] = &[
    (
        "calls done when rated message is emitted (drop: false)",
        RATE,
        &[(0, r#"{"payload":1}"#), (0, r#"{"payload":2}"#)],
        1100,
        &[
            (0, "sent", "1"),
            (0, "done", "1"),
            (1000, "sent", "2"),
            (1000, "done", "2"),
        ],
    ),
    (
        // The second is dropped, and done with at once too.
        "calls done when rated message is emitted (drop: true)",
        RATE_DROP,
        &[(0, r#"{"payload":1}"#), (0, r#"{"payload":2}"#)],
        1100,
        &[(0, "sent", "1"), (0, "done", "1"), (0, "done", "2")],
    ),
    (
        // The flushing message has more than `flush`, so it queues too:
        // the flush sends it without `flush`, and Node-RED is done with it
        // as it came, then once more after the flush.
        "calls done when rated message is flushed",
        RATE,
        &[
            (0, r#"{"payload":1}"#),
            (0, r#"{"payload":2}"#),
            (0, r#"{"payload":3,"flush":true}"#),
        ],
        1100,
        &[
            (0, "sent", "1"),
            (0, "done", "1"),
            (0, "sent", "2"),
            (0, "done", "2"),
            (0, "sent", "3"),
            (0, "done", "3 flush"),
            (0, "done", "3 flush"),
        ],
    ),
    (
        // Node-RED empties its queue without `done()` for what it held;
        // the resetting message, which has a payload, queues behind them,
        // is dropped with them, and is done with once, for the reset.
        "a rate reset is done with the resetting message only",
        RATE,
        &[
            (0, r#"{"payload":1}"#),
            (0, r#"{"payload":2}"#),
            (5, r#"{"payload":3,"reset":true}"#),
        ],
        2100,
        &[(0, "sent", "1"), (0, "done", "1"), (5, "done", "3")],
    ),
    (
        // One topic each interval.
        "calls done when queued messages are sent (queue)",
        QUEUE,
        &[
            (0, r#"{"payload":1,"topic":"A"}"#),
            (0, r#"{"payload":2,"topic":"B"}"#),
        ],
        2100,
        &[
            (1000, "sent", "1"),
            (1000, "done", "1"),
            (2000, "sent", "2"),
            (2000, "done", "2"),
        ],
    ),
    (
        // All topics each interval.
        "calls done when queued messages are sent (timed)",
        TIMED,
        &[
            (0, r#"{"payload":1,"topic":"a"}"#),
            (0, r#"{"payload":2,"topic":"b"}"#),
        ],
        1100,
        &[
            (1000, "sent", "1"),
            (1000, "done", "1"),
            (1000, "sent", "2"),
            (1000, "done", "2"),
        ],
    ),
    (
        // The resetting message waits (topic `_none_`) before the reset
        // drops it with the rest, and is done with once more for the reset.
        "calls done when queue is reset (queue/timed)",
        TIMED,
        &[
            (0, r#"{"payload":1,"topic":"a"}"#),
            (0, r#"{"payload":2,"reset":true}"#),
        ],
        1100,
        &[(0, "done", "1"), (0, "done", "2"), (0, "done", "2")],
    ),
    (
        // The flush sends the flushing message too, without `flush`, and
        // as Node-RED's queue holds the message itself, it is done with
        // without it both times.
        "calls done when queue is flushed (queue/timed)",
        TIMED,
        &[
            (0, r#"{"payload":1,"topic":"a"}"#),
            (0, r#"{"payload":2,"flush":true}"#),
        ],
        1100,
        &[
            (0, "sent", "1"),
            (0, "done", "1"),
            (0, "sent", "2"),
            (0, "done", "2"),
            (0, "done", "2"),
        ],
    ),
    (
        "a queued message replaced by its topic is done with",
        QUEUE,
        &[
            (0, r#"{"payload":1,"topic":"a"}"#),
            (5, r#"{"payload":2,"topic":"a"}"#),
        ],
        1100,
        &[(5, "done", "1"), (1000, "sent", "2"), (1000, "done", "2")],
    ),
];

#[test]
fn calls_done_in_rate_queue_and_timed_modes() {
    for (index, (name, mode, inputs, until, expect)) in QUEUE_CASES.iter().enumerate() {
        let case: &'static str = format!("delay_done_queue_{index}").leak();
        let events = run_delay_showing(case, *mode, inputs, *until, payload_and_flush);
        let expect: Vec<(u64, &str, String)> = expect
            .iter()
            .map(|(at, what, shown)| (*at, *what, shown.to_string()))
            .collect();
        assert_eq!(events, expect, "{name}");
    }
}

/// A csv node wrapped as psosc wraps one that a complete node watches: it
/// tells whether it called `done()` with no error (`Csv::input_done`).
struct WatchedCsv {
    node: Csv<256, 512>,
    source: NodeInfo,
}

impl Node<CAPACITY> for WatchedCsv {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        let mut watched = Watched::new(|port: usize, sent: &mut Msg<CAPACITY>| {
            out.send(port, sent);
            let _ = sent.set_property("downstream", &true);
        });
        if self.node.input_done(device, msg, &mut watched) {
            completed(device, &self.source, msg, |message| out.send(1, message));
        }
    }
}

/// A csv node with the columns `a,b,c,d` (the spec's), in either mode.
fn csv_node(legacy: bool, all_rows: bool, skip: usize) -> WatchedCsv {
    const COLUMNS: &[Option<&str>] = &[Some("a"), Some("b"), Some("c"), Some("d")];
    let source = NodeInfo::new("n1", "", "csv");
    WatchedCsv {
        node: Csv::new(
            source,
            CsvSettings {
                legacy,
                separator: ',',
                line_end: if legacy { "\n" } else { "\r\n" },
                template: COLUMNS,
                all_rows,
                header_in: false,
                header_out: CsvHeader::Never,
                skip,
                parse_numbers: true,
                include_empty_strings: false,
                include_null_values: false,
            },
        ),
        source,
    }
}

const CSV_SOURCE: &str = r#""complete":{"source":{"id":"n1","type":"csv"}}"#;

#[test]
fn csv_should_call_done_when_message_processing_is_completed() {
    // `70-CSV_spec.js`, both modes: a row each sends clones, so the
    // message finished with is the one given.
    for legacy in [false, true] {
        let outcome = run(
            "csv_done_when_completed",
            &mut csv_node(legacy, false, 0),
            &[r#"{"payload":"1,2,3,4"}"#],
        );
        assert_eq!(
            outcome.sent.last(),
            Some(&(1, format!(r#"{{"payload":"1,2,3,4",{CSV_SOURCE}}}"#))),
            "legacy: {legacy}"
        );
        assert_eq!(outcome.sent.len(), 2, "legacy: {legacy}");
    }
}

#[test]
fn csv_legacy_calls_done_when_input_is_neither_object_nor_string() {
    // `70-CSV_spec.js` (legacy): "should call done when input causes an
    // error": the legacy node only warns, and calls `done()`.
    assert_eq!(
        run(
            "csv_legacy_done_on_number",
            &mut csv_node(true, false, 0),
            &[r#"{"payload":1}"#]
        ),
        Outcome {
            sent: vec![(1, format!(r#"{{"payload":1,{CSV_SOURCE}}}"#))],
            logged: vec!["This node only handles CSV strings or js objects.".to_string()],
            errors: vec![],
        }
    );
}

#[test]
fn csv_rfc_does_not_call_done_when_input_is_neither_object_nor_string() {
    // `70-CSV_spec.js` (RFC): "should not call done or pass the bad msg
    // through when input causes an error".
    let outcome = run(
        "csv_rfc_no_done_on_number",
        &mut csv_node(false, false, 0),
        &[r#"{"payload":1}"#],
    );
    assert_eq!(outcome.sent, vec![]);
    assert_eq!(outcome.errors, vec![(ErrorKind::BadValue, 1)]);
}

#[test]
fn csv_all_rows_gives_the_message_with_its_rows_and_columns() {
    // All rows at once: Node-RED sets `payload` and `columns` on the
    // message it was given and sends it; the receiver's change is not seen.
    for legacy in [false, true] {
        let outcome = run(
            "csv_done_all_rows",
            &mut csv_node(legacy, true, 0),
            &[r#"{"payload":"1,2,3,4\n5,6,7,8"}"#],
        );
        let rows = r#""payload":[{"a":1,"b":2,"c":3,"d":4},{"a":5,"b":6,"c":7,"d":8}],"columns":"a,b,c,d""#;
        assert_eq!(
            outcome.sent,
            vec![
                (0, format!("{{{rows}}}")),
                (1, format!("{{{rows},{CSV_SOURCE}}}")),
            ],
            "legacy: {legacy}"
        );
    }
}

#[test]
fn csv_objects_to_text_gives_the_message_as_text() {
    let text = r#""payload":"1,2,3,4\r\n","columns":"a,b,c,d""#;
    assert_eq!(
        run(
            "csv_done_to_text",
            &mut csv_node(false, false, 0),
            &[r#"{"payload":{"a":1,"b":2,"c":3,"d":4}}"#]
        ),
        Outcome {
            sent: vec![
                (0, format!("{{{text}}}")),
                (1, format!("{{{text},{CSV_SOURCE}}}")),
            ],
            ..Outcome::default()
        }
    );
}

#[test]
fn csv_rfc_text_of_only_skipped_lines_is_not_done() {
    // RFC mode returns without calling `done()` when every line is
    // skipped; the legacy parser calls it, having sent nothing.
    let skipped = r#"{"payload":"x\ny\n"}"#;
    assert_eq!(
        run(
            "csv_rfc_skipped",
            &mut csv_node(false, false, 2),
            &[skipped]
        ),
        Outcome::default()
    );
    assert_eq!(
        run(
            "csv_legacy_skipped",
            &mut csv_node(true, false, 2),
            &[skipped]
        ),
        Outcome {
            sent: vec![(1, format!(r#"{{"payload":"x\ny\n",{CSV_SOURCE}}}"#))],
            ..Outcome::default()
        }
    );
}

#[test]
fn csv_gathering_all_rows_gives_each_message_as_the_parser_left_it() {
    // All rows at once over a sequence of one line a message: the legacy
    // parser puts each gathered line's rows in its message's payload
    // (`msg.payload = a`) and sends nothing for it; RFC mode leaves that
    // message as it came. The last message gets all the rows and loses
    // `parts`, in both.
    let first = r#"{"payload":"1,2,3,4","parts":{"id":"p","index":0,"count":2}}"#;
    let last = r#"{"payload":"5,6,7,8","parts":{"id":"p","index":1,"count":2}}"#;
    let all =
        r#""payload":[{"a":1,"b":2,"c":3,"d":4},{"a":5,"b":6,"c":7,"d":8}],"columns":"a,b,c,d""#;
    let parts = |index: u8| format!(r#""parts":{{"id":"p","index":{index},"count":2}}"#);
    let legacy = run(
        "csv_done_gathered_legacy",
        &mut csv_node(true, true, 0),
        &[first, last],
    );
    assert_eq!(
        legacy.sent,
        vec![
            (
                1,
                format!(
                    r#"{{"payload":[{{"a":1,"b":2,"c":3,"d":4}}],{},{CSV_SOURCE}}}"#,
                    parts(0)
                )
            ),
            (0, format!("{{{all}}}")),
            (1, format!("{{{all},{CSV_SOURCE}}}")),
        ]
    );
    let rfc = run(
        "csv_done_gathered_rfc",
        &mut csv_node(false, true, 0),
        &[first, last],
    );
    assert_eq!(
        rfc.sent,
        vec![
            (
                1,
                format!(r#"{{"payload":"1,2,3,4",{},{CSV_SOURCE}}}"#, parts(0))
            ),
            (0, format!("{{{all}}}")),
            (1, format!("{{{all},{CSV_SOURCE}}}")),
        ]
    );
}

/// An mqtt out node wrapped as psosc wraps one that a complete node
/// watches: what it hands over (to the outbox and the device's `mqtt in`
/// nodes) leaves on port 0, what the complete node is given on port 1.
struct WatchedMqttOut {
    node: MqttOut,
}

impl Node<CAPACITY> for WatchedMqttOut {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        let mut watched = Watched::new(|port: usize, sent: &mut Msg<CAPACITY>| {
            out.send(port, sent);
        });
        if self.node.input_done(device, msg, &mut watched) {
            completed(device, &self.node.info, msg, |message| out.send(1, message));
        }
    }
}

const MQTT_SOURCE: &str = r#""complete":{"source":{"id":"m1","type":"mqtt out"}}"#;

#[test]
fn mqtt_out_gives_the_message_as_it_publishes_it() {
    // `10-mqtt.js`: `doPublish` sets `msg.topic` from the node's topic,
    // `msg.qos` and `msg.retain`, and `publish` turns a payload that is
    // not a buffer into the text it sends; `done()` follows the handing
    // over. A message with no payload is done with at once, with those
    // set; one with no valid topic only warns and is never done.
    let node = |topic| WatchedMqttOut {
        node: MqttOut::new(NodeInfo::new("m1", "", "mqtt out"), topic, Some(1), None),
    };
    let published = run(
        "mqtt_out_done_published",
        &mut node(Some("t/x")),
        &[r#"{"payload":{"a":[1,true]},"topic":"other","qos":0,"retain":"yes","n":5}"#],
    );
    assert_eq!(
        published.sent,
        vec![
            (
                0,
                r#"{"topic":"t/x","payload":{"type":"Buffer","data":[123,34,97,34,58,91,49,44,116,114,117,101,93,125]},"qos":1,"retain":false}"#
                    .to_string()
            ),
            (
                1,
                format!(
                    r#"{{"payload":"{{\"a\":[1,true]}}","topic":"t/x","qos":1,"retain":false,"n":5,{MQTT_SOURCE}}}"#
                )
            ),
        ]
    );
    let numbers = run(
        "mqtt_out_done_number",
        &mut node(None),
        &[r#"{"payload":12.5,"topic":"a/b"}"#, r#"{"topic":"a/b"}"#],
    );
    assert_eq!(
        numbers
            .sent
            .iter()
            .filter(|(port, _)| *port == 1)
            .cloned()
            .collect::<Vec<_>>(),
        vec![
            (
                1,
                format!(
                    r#"{{"payload":"12.5","topic":"a/b","qos":1,"retain":false,{MQTT_SOURCE}}}"#
                )
            ),
            (
                1,
                format!(r#"{{"topic":"a/b","qos":1,"retain":false,{MQTT_SOURCE}}}"#)
            ),
        ]
    );
    let invalid = run(
        "mqtt_out_done_invalid_topic",
        &mut node(None),
        &[r#"{"payload":1,"topic":"a/#"}"#],
    );
    assert_eq!(invalid.sent, vec![]);
    assert_eq!(invalid.logged, vec!["Invalid topic specified".to_string()]);
}
