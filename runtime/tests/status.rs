//! Node status: the message a status node gets (`Flow.handleStatus`), and
//! the status trigger, delay, debug and csv nodes report, as
//! `89-trigger.js`, `89-delay.js` (Node-RED 5.0's, for `burst`), `21-debug.js` and `70-CSV.js` call
//! `node.status`, and the session status of mqtt nodes (`10-mqtt.js`).
//! Node-RED's own specs check no status of these nodes but csv's (one
//! case, here too); the cases here follow each call in their sources.

use psos::nodes::{
    Burst, Csv, CsvHeader, CsvSettings, Debug, DebugCounter, DebugStatus, DebugTarget, Delay,
    DelayMode, DelayStatus, DepthReport, Finishing, Now, RandomCounts, Trigger, TriggerConfig,
    TriggerValue,
};
use psos::{
    status_message, ConstValue, CountText, Device, Msg, NodeInfo, NodeStatus, PathSegment,
    Reporting,
};

const CAPACITY: usize = 512;

/// The messages a status node gets for what a node reports, as JSON.
fn status_json(source: &NodeInfo, status: &NodeStatus<'_>) -> String {
    let device = Device::new("status", "conformance");
    let mut made = String::new();
    status_message::<CAPACITY>(&device, source, status, |msg| made = format!("{msg:?}"));
    made
}

#[test]
fn a_status_message_has_the_keys_the_node_set_and_the_source() {
    let source = NodeInfo::new("n1", "fred", "trigger");
    assert_eq!(
        status_json(&source, &NodeStatus::new("blue", "dot").with_text("2")),
        r#"{"status":{"fill":"blue","shape":"dot","text":"2","source":{"id":"n1","type":"trigger","name":"fred"}}}"#
    );
    // `node.status({})` clears the status: only the source is left.
    assert_eq!(
        status_json(&source, &NodeStatus::CLEAR),
        r#"{"status":{"source":{"id":"n1","type":"trigger","name":"fred"}}}"#
    );
    // `node.status({text: "reset"})`: a text alone.
    let text_only = NodeStatus {
        text: Some("reset"),
        ..NodeStatus::CLEAR
    };
    assert_eq!(
        status_json(&source, &text_only),
        r#"{"status":{"text":"reset","source":{"id":"n1","type":"trigger","name":"fred"}}}"#
    );
}

#[test]
fn a_nameless_node_s_status_source_has_no_name() {
    // Node-RED sets `node.name` only from a non-empty `name` (`Node.js`:
    // `if (n.name)`), so `source.name` is undefined and JSON leaves it out,
    // for a flow's `"name": ""` as for no `name` at all.
    let source = NodeInfo::new("n1", "", "trigger");
    assert_eq!(
        status_json(&source, &NodeStatus::new("blue", "dot").with_text("2")),
        r#"{"status":{"fill":"blue","shape":"dot","text":"2","source":{"id":"n1","type":"trigger"}}}"#
    );
    // A delay node copies its flow's `name` as it is (`this.name =
    // n.name`): `"name": ""` stays "".
    let source = NodeInfo::named("n1", "", "delay");
    assert_eq!(
        status_json(&source, &NodeStatus::new("blue", "dot").with_text("2")),
        r#"{"status":{"fill":"blue","shape":"dot","text":"2","source":{"id":"n1","type":"delay","name":""}}}"#
    );
}

#[test]
fn a_status_message_that_does_not_fit_is_counted_and_not_sent() {
    let device = Device::new("status", "conformance");
    let long = "x".repeat(100);
    let source = NodeInfo::new("n1", "", "debug");
    let mut sent = false;
    status_message::<64>(
        &device,
        &source,
        &NodeStatus::new("grey", "dot").with_text(&long),
        |_| sent = true,
    );
    assert!(!sent);
    assert_eq!(device.error_count(psos::ErrorKind::Oversize), 1);
}

/// `25-status_spec.js` "should output a message when called": a status
/// node sends on what it is given, unchanged (its flow, an empty scope
/// that watches no node, is read by psosc in `compiler/tests/lowering.rs`,
/// `the_status_spec_node_with_an_empty_scope_watches_nothing`).
#[test]
fn should_output_a_message_when_called() {
    use psos::nodes::Status;
    let device = Device::new("status_sends_on", "conformance");
    let node = Status::new(NodeInfo::new("n1", "status", "status"));
    assert_eq!(node.info().label(), "status");
    let given = r#"{"text":"Oh dear","source":{"id":"12345","type":"testnode","name":"fred"}}"#;
    let mut msg = Msg::<CAPACITY>::from_json(given.as_bytes()).expect("a message");
    let mut sent = Vec::new();
    node.input(
        &device,
        &mut msg,
        &mut |port: usize, msg: &mut Msg<CAPACITY>| {
            sent.push((port, format!("{msg:?}")));
        },
    );
    assert_eq!(sent, [(0, given.to_string())]);
}

#[test]
fn counts_are_written_as_javascript_writes_them() {
    assert_eq!(CountText::new(0).as_str(), "0");
    assert_eq!(CountText::new(7).as_str(), "7");
    assert_eq!(CountText::new(1234567).as_str(), "1234567");
    assert_eq!(CountText::new(usize::MAX).as_str(), usize::MAX.to_string());
}

/// Each message a node sent, and each status it reported, in order.
#[derive(Debug, PartialEq)]
enum Event {
    Sent(u64, String),
    Status(u64, Option<String>, Option<String>, Option<String>),
}

/// Outputs that record, at `now`, each message sent and status reported.
fn recorder(
    events: &std::cell::RefCell<Vec<Event>>,
    now: u64,
) -> impl psos::Outputs<CAPACITY> + '_ {
    Reporting {
        outputs: move |_: usize, msg: &mut Msg<CAPACITY>| {
            events
                .borrow_mut()
                .push(Event::Sent(now, format!("{msg:?}")))
        },
        status: move |status: &NodeStatus<'_>| {
            let part = |part: Option<&str>| part.map(str::to_string);
            events.borrow_mut().push(Event::Status(
                now,
                part(status.fill),
                part(status.shape),
                part(status.text),
            ))
        },
    }
}

const TOPIC: &[PathSegment<'static>] = &[PathSegment::Key("topic")];

/// A trigger node by topic, `1` then `0` after 100 ms, stepped a
/// millisecond at a time to `until`; each input arrives at its time.
fn trigger_events(config: TriggerConfig, inputs: &[(u64, &str)], until: u64) -> Vec<Event> {
    let device = Device::new("status", "conformance");
    let mut node = Trigger::<CAPACITY, 4>::new(NodeInfo::new("t", "", "trigger"), config);
    let events = std::cell::RefCell::new(Vec::new());
    for uptime_ms in 0..=until {
        let now = Now {
            uptime_ms,
            date_ms: uptime_ms,
        };
        let mut out = recorder(&events, uptime_ms);
        for (_, text) in inputs.iter().filter(|(at, _)| *at == uptime_ms) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).unwrap();
            node.input_at(now, &device, &mut msg, &mut out);
        }
        node.tick_at(now, &device, &mut out);
    }
    events.into_inner()
}

fn dot(at: u64, count: Option<&str>) -> Event {
    Event::Status(
        at,
        Some("blue".into()),
        Some("dot".into()),
        count.map(str::to_string),
    )
}

fn clear(at: u64) -> Event {
    Event::Status(at, None, None, None)
}

fn sent(at: u64, json: &str) -> Event {
    Event::Sent(at, json.to_string())
}

const BY_TOPIC: TriggerConfig = TriggerConfig {
    first: TriggerValue::Set(psos::nodes::InjectValue::Const(ConstValue::Number(1.0))),
    second: TriggerValue::Set(psos::nodes::InjectValue::Const(ConstValue::Number(0.0))),
    duration_ms: 100.0,
    repeat: false,
    extend: false,
    override_delay: false,
    reset: None,
    by_topic: Some(TOPIC),
    second_output: false,
};

#[test]
fn a_trigger_shows_a_blue_dot_while_it_waits_with_the_number_of_topics_past_one() {
    // `stat()` before the first message leaves, and after each topic's
    // time is up, before its second message leaves; a message while its
    // topic waits changes nothing.
    assert_eq!(
        trigger_events(
            BY_TOPIC,
            &[
                (0, r#"{"topic":"a"}"#),
                (10, r#"{"topic":"b"}"#),
                (20, r#"{"topic":"a"}"#),
            ],
            200
        ),
        [
            dot(0, None),
            sent(0, r#"{"topic":"a","payload":1}"#),
            dot(10, Some("2")),
            sent(10, r#"{"topic":"b","payload":1}"#),
            dot(100, None),
            sent(100, r#"{"topic":"a","payload":0}"#),
            clear(110),
            sent(110, r#"{"topic":"b","payload":0}"#),
        ]
    );
}

#[test]
fn a_trigger_reset_reports_its_status_even_when_nothing_waits() {
    assert_eq!(
        trigger_events(
            BY_TOPIC,
            &[
                (0, r#"{"topic":"a"}"#),
                (10, r#"{"topic":"a","reset":true}"#),
                (20, r#"{"topic":"b","reset":true}"#),
            ],
            200
        ),
        [
            dot(0, None),
            sent(0, r#"{"topic":"a","payload":1}"#),
            clear(10),
            clear(20),
        ]
    );
}

#[test]
fn a_trigger_whose_second_message_is_nothing_still_clears_its_status() {
    let config = TriggerConfig {
        second: TriggerValue::Nothing,
        ..BY_TOPIC
    };
    assert_eq!(
        trigger_events(config, &[(0, r#"{"topic":"a"}"#)], 200),
        [
            dot(0, None),
            sent(0, r#"{"topic":"a","payload":1}"#),
            clear(100)
        ]
    );
}

/// The statuses a debug node reports for each message, as
/// `(fill, shape, text)`.
fn debug_statuses(node: &Debug, messages: &[&str]) -> Vec<(String, String, String)> {
    let device = Device::new("status", "conformance");
    let statuses = std::cell::RefCell::new(Vec::new());
    for text in messages {
        let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).unwrap();
        let mut out = Reporting {
            outputs: psos::Discard,
            status: |status: &NodeStatus<'_>| {
                let part = |part: Option<&str>| part.unwrap_or("-").to_string();
                statuses.borrow_mut().push((
                    part(status.fill),
                    part(status.shape),
                    part(status.text),
                ))
            },
        };
        node.input(&device, &mut msg, &mut out);
    }
    statuses.into_inner()
}

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// A debug node with id `d` that status nodes watch.
fn watched_debug(target: DebugTarget, status: DebugStatus) -> Debug {
    Debug::new(NodeInfo::new("d", "", "debug"), target).with_status(status)
}

fn grey(text: &str) -> (String, String, String) {
    ("grey".into(), "dot".into(), text.into())
}

#[test]
fn a_debug_node_shows_what_it_shows_cut_at_32_characters() {
    let node = watched_debug(DebugTarget::Property(PAYLOAD), DebugStatus::Auto);
    assert_eq!(
        debug_statuses(
            &node,
            &[
                r#"{"payload":"hello"}"#,
                r#"{"payload":42}"#,
                r#"{"payload":true}"#,
                r#"{"payload":null}"#,
                r#"{"topic":"no payload"}"#,
                r#"{"payload":"0123456789012345678901234567890123456789"}"#,
                r#"{"payload":"01234567890123456789012345678901"}"#,
            ]
        ),
        [
            grey("hello"),
            grey("42"),
            grey("true"),
            grey("null"),
            grey("undefined"),
            grey("01234567890123456789012345678901..."),
            grey("01234567890123456789012345678901"),
        ]
    );
}

#[test]
fn a_debug_node_reports_a_status_only_when_it_changes() {
    let node = watched_debug(DebugTarget::Property(PAYLOAD), DebugStatus::Auto);
    assert_eq!(
        debug_statuses(
            &node,
            &[
                r#"{"payload":"a"}"#,
                r#"{"payload":"a"}"#,
                r#"{"payload":"b"}"#,
                r#"{"payload":"a"}"#,
            ]
        ),
        [grey("a"), grey("b"), grey("a")]
    );
}

#[test]
fn a_debug_node_on_auto_shows_an_error_or_a_status_in_the_message() {
    let node = Debug::new(NodeInfo::new("d", "", "debug"), DebugTarget::WholeMessage)
        .with_status(DebugStatus::Auto);
    assert_eq!(
        debug_statuses(
            &node,
            &[
                // The whole message: its payload is shown.
                r#"{"payload":"p"}"#,
                r#"{"payload":"p","error":{"message":"it broke"}}"#,
                r#"{"status":{"fill":"green","shape":"ring","text":"ok","source":{"id":"x"}}}"#,
                r#"{"status":{"text":"text only"}}"#,
                r#"{"status":{}}"#,
                // A value that is itself a status object.
                r#"{"payload":{"fill":"yellow","shape":"ring","text":"own"}}"#,
            ]
        ),
        [
            grey("p"),
            ("red".into(), "dot".into(), "it broke".into()),
            ("green".into(), "ring".into(), "ok".into()),
            ("grey".into(), "ring".into(), "text only".into()),
            ("grey".into(), "ring".into(), "".into()),
            ("yellow".into(), "ring".into(), "own".into()),
        ]
    );
}

#[test]
fn a_debug_node_on_a_property_shows_it_and_not_the_error() {
    const TOPIC_PATH: &[PathSegment<'static>] = &[PathSegment::Key("topic")];
    let node = watched_debug(
        DebugTarget::Property(PAYLOAD),
        DebugStatus::Property(TOPIC_PATH),
    );
    assert_eq!(
        debug_statuses(
            &node,
            &[r#"{"payload":1,"topic":"t","error":{"message":"no"}}"#]
        ),
        [grey("t")]
    );
}

#[test]
fn a_debug_node_ignores_its_own_status() {
    let node = watched_debug(DebugTarget::Property(PAYLOAD), DebugStatus::Auto);
    assert_eq!(
        debug_statuses(
            &node,
            &[
                r#"{"payload":"x","status":{"text":"mine","source":{"id":"d"}}}"#,
                r#"{"payload":"x","status":{"text":"theirs","source":{"id":"e"}}}"#,
            ]
        ),
        [("grey".into(), "ring".into(), "theirs".into())]
    );
}

/// A delay node stepped a millisecond at a time to `until`; each input
/// arrives at its time.
fn delay_events(mode: DelayMode, inputs: &[(u64, &str)], until: u64) -> Vec<Event> {
    delay_events_keeping::<()>(mode, inputs, until)
}

/// As [`delay_events`], for a node that keeps `S` for its status, as psosc
/// gives a watched node in the modes that report on timers.
fn delay_events_keeping<S: DelayStatus>(
    mode: DelayMode,
    inputs: &[(u64, &str)],
    until: u64,
) -> Vec<Event> {
    let mut node = Delay::<CAPACITY, 8, S>::new(NodeInfo::new("h", "", "delay"), mode, false);
    step_events(&mut node, inputs, until)
}

/// A delay node (of any mode) stepped a millisecond at a time to `until`;
/// each input arrives at its time.
fn step_events(
    node: &mut impl Finishing<CAPACITY>,
    inputs: &[(u64, &str)],
    until: u64,
) -> Vec<Event> {
    let device = Device::new("status", "conformance");
    let events = std::cell::RefCell::new(Vec::new());
    for now in 0..=until {
        let mut out = recorder(&events, now);
        for (_, text) in inputs.iter().filter(|(at, _)| *at == now) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).unwrap();
            node.input_at(now, &device, &mut msg, &mut out);
        }
        node.tick_at(now, &device, &mut out);
    }
    events.into_inner()
}

fn ring(at: u64, count: &str) -> Event {
    Event::Status(
        at,
        Some("blue".into()),
        Some("ring".into()),
        Some(count.into()),
    )
}

#[test]
fn a_delay_of_a_second_or_less_reports_only_a_flush_or_reset() {
    let mode = DelayMode::Fixed {
        ms: 100.0,
        variable: false,
    };
    assert_eq!(
        delay_events(
            mode,
            &[
                (0, r#"{"payload":1}"#),
                (10, r#"{"payload":2}"#),
                (20, r#"{"flush":1}"#),
                (30, r#"{"payload":3}"#),
                (40, r#"{"reset":true}"#),
            ],
            300
        ),
        [
            sent(20, r#"{"payload":1}"#),
            dot(20, Some("1")),
            ring(40, "0"),
        ]
    );
}

#[test]
fn a_delay_of_more_than_a_second_reports_how_many_wait() {
    let mode = DelayMode::Fixed {
        ms: 1500.0,
        variable: false,
    };
    assert_eq!(
        delay_events(
            mode,
            &[(0, r#"{"payload":1}"#), (10, r#"{"payload":2}"#)],
            1600
        ),
        [
            dot(0, Some("1")),
            dot(10, Some("2")),
            dot(1500, Some("1")),
            sent(1500, r#"{"payload":1}"#),
            dot(1510, Some("0")),
            sent(1510, r#"{"payload":2}"#),
        ]
    );
}

#[test]
fn a_variable_delay_reports_how_many_wait_and_clears_before_the_last_leaves() {
    let mode = DelayMode::Fixed {
        ms: 100.0,
        variable: true,
    };
    assert_eq!(
        delay_events(
            mode,
            &[
                (0, r#"{"payload":1}"#),
                (10, r#"{"payload":2,"delay":20}"#),
                (200, r#"{"payload":3}"#),
                (210, r#"{"reset":true,"flush":true}"#),
            ],
            400
        ),
        [
            dot(0, Some("1")),
            dot(10, Some("2")),
            sent(30, r#"{"payload":2,"delay":20}"#),
            dot(30, Some("1")),
            clear(100),
            sent(100, r#"{"payload":1}"#),
            dot(100, Some("0")),
            dot(200, Some("1")),
            // A reset with a flush: Node-RED clears, then flushes nothing.
            ring(210, "0"),
            dot(210, Some("0")),
            dot(210, Some("0")),
        ]
    );
}

fn status_text(at: u64, text: &str) -> Event {
    Event::Status(at, None, None, Some(text.into()))
}

const RATE: DelayMode = DelayMode::Rate {
    interval_ms: 400.0,
    drop: false,
    allow_rate: false,
};

/// What `rate` reports: its queue's depth half a second after the first
/// change since the last report (`reportDepth`), also once the interval
/// has found the queue empty; a flush reports at once, and so does a
/// reset (a blue ring), which leaves a pending report pending.
const RATE_INPUTS: &[(u64, &str)] = &[
    (0, r#"{"payload":1}"#),
    (10, r#"{"payload":2}"#),
    (20, r#"{"payload":3}"#),
    (1500, r#"{"payload":4}"#),
    (1600, r#"{"flush":true}"#),
    (1700, r#"{"reset":true}"#),
];

#[test]
fn a_rate_limit_reports_its_depth_half_a_second_after_it_changes() {
    assert_eq!(
        delay_events_keeping::<DepthReport>(RATE, RATE_INPUTS, 3000),
        [
            sent(0, r#"{"payload":1}"#),
            sent(400, r#"{"payload":2}"#),
            dot(500, Some("1")),
            sent(800, r#"{"payload":3}"#),
            // The interval finds the queue empty at 1200 and stops.
            dot(1300, Some("0")),
            sent(1500, r#"{"payload":4}"#),
            dot(1600, Some("0")),
            ring(1700, "0"),
            dot(2000, Some("0")),
        ]
    );
}

#[test]
fn an_unwatched_rate_limit_keeps_no_depth_report() {
    // A node that keeps no depth report reports only what Node-RED
    // reports at once.
    assert_eq!(
        delay_events(RATE, RATE_INPUTS, 3000)
            .into_iter()
            .filter(|event| matches!(event, Event::Status(..)))
            .collect::<Vec<_>>(),
        [dot(1600, Some("0")), ring(1700, "0")]
    );
    // And pays nothing for it; nor does a random delay that counts.
    use std::mem::size_of;
    assert!(size_of::<Delay<CAPACITY, 8>>() < size_of::<Delay<CAPACITY, 8, DepthReport>>());
    assert_eq!(
        size_of::<Delay<CAPACITY, 8>>(),
        size_of::<Delay<CAPACITY, 8, RandomCounts>>()
    );
}

#[test]
fn a_rate_limit_that_drops_reports_only_a_reset() {
    let mode = DelayMode::Rate {
        interval_ms: 400.0,
        drop: true,
        allow_rate: false,
    };
    assert_eq!(
        delay_events(
            mode,
            &[
                (0, r#"{"payload":1}"#),
                (10, r#"{"payload":2}"#),
                (20, r#"{"reset":true}"#)
            ],
            1000
        ),
        [sent(0, r#"{"payload":1}"#), ring(20, "0")]
    );
}

#[test]
fn a_topic_queue_reports_its_depth_after_each_tick_for_as_long_as_it_runs() {
    // The interval runs from the start and calls `reportDepth` at every
    // tick, so the depth is reported every tick and a half second, idle
    // or not.
    let mode = DelayMode::Queue {
        interval_ms: 300.0,
        allow_rate: false,
    };
    assert_eq!(
        delay_events_keeping::<DepthReport>(
            mode,
            &[
                (0, r#"{"topic":"a","payload":1}"#),
                (10, r#"{"topic":"b","payload":2}"#),
                (20, r#"{"topic":"a","payload":3}"#),
            ],
            1800
        ),
        [
            sent(300, r#"{"topic":"a","payload":3}"#),
            dot(500, Some("1")),
            sent(600, r#"{"topic":"b","payload":2}"#),
            dot(1100, Some("0")),
            dot(1700, Some("0")),
        ]
    );
}

#[test]
fn a_timed_queue_clears_its_status_on_a_flush_and_says_reset_on_a_reset() {
    let mode = DelayMode::Timed {
        interval_ms: 1000.0,
        allow_rate: false,
    };
    assert_eq!(
        delay_events_keeping::<DepthReport>(
            mode,
            &[
                (0, r#"{"topic":"a","payload":1}"#),
                (50, r#"{"flush":true}"#),
                (100, r#"{"reset":true}"#),
            ],
            1600
        ),
        [
            sent(50, r#"{"topic":"a","payload":1}"#),
            clear(50),
            status_text(100, "reset"),
            dot(500, Some("0")),
            dot(1500, Some("0")),
        ]
    );
}

const RANDOM: DelayMode = DelayMode::Random {
    first_ms: 100.0,
    last_ms: 100.0,
};

#[test]
fn a_random_delay_with_a_timeout_of_a_second_reports_how_many_wait() {
    assert_eq!(
        delay_events_keeping::<RandomCounts>(
            RANDOM,
            &[(0, r#"{"payload":1}"#), (10, r#"{"payload":2}"#)],
            300
        ),
        [
            dot(0, Some("1")),
            dot(10, Some("2")),
            sent(100, r#"{"payload":1}"#),
            dot(100, Some("1")),
            sent(110, r#"{"payload":2}"#),
            dot(110, Some("0")),
        ]
    );
}

#[test]
fn a_random_delay_with_a_shorter_timeout_reports_only_a_flush_or_reset() {
    assert_eq!(
        delay_events(
            RANDOM,
            &[
                (0, r#"{"payload":1}"#),
                (10, r#"{"flush":true}"#),
                (20, r#"{"payload":2}"#),
                (30, r#"{"reset":true,"flush":true}"#),
            ],
            300
        ),
        [
            sent(10, r#"{"payload":1}"#),
            dot(10, Some("0")),
            ring(30, "0"),
            dot(30, Some("0")),
        ]
    );
}

/// A counting debug node that status nodes watch, stepped a millisecond
/// at a time to `until` (its timer looking every millisecond); each input
/// arrives at its time.
fn counter_events(inputs: &[(u64, &str)], until: u64) -> Vec<Event> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NOW: AtomicU64 = AtomicU64::new(0);
    static COUNTER: DebugCounter = DebugCounter::new(|| NOW.load(Ordering::Relaxed));
    let node = watched_debug(
        DebugTarget::Property(PAYLOAD),
        DebugStatus::Counter(&COUNTER),
    );
    let device = Device::new("status", "conformance");
    let events = std::cell::RefCell::new(Vec::new());
    for now in 0..=until {
        NOW.store(now, Ordering::Relaxed);
        let mut out = recorder(&events, now);
        for (_, text) in inputs.iter().filter(|(at, _)| *at == now) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).unwrap();
            node.input(&device, &mut msg, &mut out);
        }
        COUNTER.tick(|status| psos::Outputs::<CAPACITY>::status(&mut out, status));
    }
    events.into_inner()
}

#[test]
fn a_counting_debug_node_reports_its_count_at_once_or_200_ms_after_a_burst() {
    // `21-debug.js`: a message more than 100 ms after the one before (the
    // first, after the node started) is counted at once; a closer one
    // (re)starts a 200 ms wait, after which the count then is reported.
    // A count reported at once leaves a running wait as it is, so the
    // count is reported again when it ends. The node's own status is not
    // counted.
    assert_eq!(
        counter_events(
            &[
                (150, r#"{"payload":1}"#),
                (160, r#"{"payload":2}"#),
                (250, r#"{"payload":3}"#),
                (300, r#"{"payload":4}"#),
                (600, r#"{"payload":5}"#),
                (700, r#"{"payload":6}"#),
                (750, r#"{"status":{"source":{"id":"d"}}}"#),
                (1000, r#"{"payload":7}"#),
                (1050, r#"{"payload":8}"#),
                (1200, r#"{"payload":9}"#),
            ],
            1400
        ),
        [
            ring(150, "1"),
            ring(500, "4"),
            ring(600, "5"),
            // 700 is 100 ms after 600: not more than 100, so held back.
            ring(900, "6"),
            ring(1000, "7"),
            ring(1200, "9"),
            // The wait 1050 started was left running.
            ring(1250, "9"),
        ]
    );
}

/// A csv node in RFC 4180 mode, with the columns `a,b` (and `hdrin`
/// when `header_in`), that status nodes watch; the statuses it reports
/// for each message, as `(fill, shape, text)`.
fn csv_statuses(legacy: bool, header_in: bool, messages: &[&str]) -> Vec<Event> {
    let settings = CsvSettings {
        legacy,
        separator: ',',
        line_end: "\n",
        template: &[Some("a"), Some("b")],
        all_rows: false,
        header_in,
        header_out: CsvHeader::Never,
        skip: 0,
        parse_numbers: true,
        include_empty_strings: false,
        include_null_values: false,
    };
    let mut node = Csv::<256, 512>::new(NodeInfo::new("v", "", "csv"), settings);
    let device = Device::new("status", "conformance");
    let events = std::cell::RefCell::new(Vec::new());
    for text in messages {
        let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).unwrap();
        node.input(&device, &mut msg, &mut recorder(&events, 0));
    }
    events
        .into_inner()
        .into_iter()
        .filter(|event| matches!(event, Event::Status(..)))
        .collect()
}

fn red(text: &str) -> Event {
    Event::Status(0, Some("red".into()), Some("dot".into()), Some(text.into()))
}

/// Node-RED's "should not call done or pass the bad msg through when
/// input causes an error - should throw error and set status"
/// (`70-CSV_spec.js`): a payload that is neither text nor an object gives
/// a red dot with `csv.errors.csv_js`, which a Node-RED with its messages
/// (not the test helper's keys) shows in English.
#[test]
fn a_csv_node_shows_a_red_dot_for_a_payload_it_cannot_handle() {
    assert_eq!(
        csv_statuses(false, false, &[r#"{"payload":1}"#]),
        [
            clear(0),
            red("This node only handles CSV strings or js objects.")
        ]
    );
}

#[test]
fn a_csv_node_clears_its_status_at_each_message_and_shows_a_bad_header_row() {
    assert_eq!(
        csv_statuses(
            false,
            true,
            &[
                r#"{"payload":"x,y\n1,2"}"#,
                r#"{"topic":"no payload"}"#,
                r#"{"payload":"\"a\"b,c\n1,2"}"#,
                r#"{"payload":{"a":1,"b":2}}"#,
            ]
        ),
        [
            clear(0),
            clear(0),
            clear(0),
            red("Malformed columns template."),
            clear(0),
        ]
    );
}

#[test]
fn a_legacy_csv_node_reports_nothing_once_it_runs() {
    assert_eq!(
        csv_statuses(true, false, &[r#"{"payload":"1,2"}"#, r#"{"payload":1}"#]),
        []
    );
}

/// `10-mqtt.js`: each `mqtt in` and `mqtt out` node of a broker reports
/// where the broker's session stands, with Node-RED's i18n key as its text
/// (the editor translates it; a status node gets the key).
#[test]
fn an_mqtt_node_reports_its_session_with_node_reds_i18n_keys() {
    use psos::mqtt::SessionState;
    let source = NodeInfo::new("in1", "sensor", "mqtt in");
    let expected = [
        (
            SessionState::Connecting,
            r#"{"status":{"fill":"yellow","shape":"ring","text":"node-red:common.status.connecting","source":{"id":"in1","type":"mqtt in","name":"sensor"}}}"#,
        ),
        (
            SessionState::Connected,
            r#"{"status":{"fill":"green","shape":"dot","text":"node-red:common.status.connected","source":{"id":"in1","type":"mqtt in","name":"sensor"}}}"#,
        ),
        (
            SessionState::Disconnected,
            r#"{"status":{"fill":"red","shape":"ring","text":"node-red:common.status.disconnected","source":{"id":"in1","type":"mqtt in","name":"sensor"}}}"#,
        ),
    ];
    for (state, message) in expected {
        assert_eq!(status_json(&source, &state.status()), message, "{state:?}");
    }
}

/// What a subflow instance's status port (instance `2` of `sf1`, as in
/// Node-RED's `Subflow_spec.js`) sends the status nodes around the
/// instance for a message, as JSON (`None`: nothing), and how many bad
/// values it counted.
fn subflow_status(info: NodeInfo, message: &str) -> (Option<String>, u32) {
    let device = Device::new("status", "conformance");
    let port = psos::nodes::SubflowStatus::new(info);
    let mut msg = Msg::<CAPACITY>::from_json(message.as_bytes()).unwrap();
    let mut sent = None;
    port.input(
        &device,
        &mut msg,
        &mut |port: usize, msg: &mut Msg<CAPACITY>| {
            assert_eq!(port, 0);
            assert!(sent.replace(format!("{msg:?}")).is_none(), "one message");
        },
    );
    (sent, device.error_count(psos::ErrorKind::BadValue))
}

fn instance_status(text_and_keys: &str) -> (Option<String>, u32) {
    (
        Some(format!(
            r#"{{"status":{{{text_and_keys}"source":{{"id":"2","type":"subflow:sf1"}}}}}}"#
        )),
        0,
    )
}

const INSTANCE: NodeInfo = NodeInfo::new("2", "", "subflow:sf1");

#[test]
fn emits_a_status_event_when_a_message_is_passed_to_a_subflow_status_node() {
    // The three cases of `Subflow_spec.js`: `msg.payload` as a string, as
    // a status object, and `msg.status`.
    assert_eq!(
        subflow_status(INSTANCE, r#"{"payload":"test-payload"}"#),
        instance_status(r#""text":"test-payload","#)
    );
    assert_eq!(
        subflow_status(INSTANCE, r#"{"payload":{"text":"payload-obj"}}"#),
        instance_status(r#""text":"payload-obj","#)
    );
    assert_eq!(
        subflow_status(INSTANCE, r#"{"status":{"text":"status-obj"}}"#),
        instance_status(r#""text":"status-obj","#)
    );
}

#[test]
fn a_status_port_reads_the_message_as_subflow_js_does() {
    // A status object is the status whole, any other keys too, and its
    // text becomes a string; `{}` clears the status.
    assert_eq!(
        subflow_status(
            INSTANCE,
            r#"{"payload":{"fill":"red","shape":"dot","text":7,"extra":[1]}}"#
        ),
        instance_status(r#""fill":"red","shape":"dot","text":"7","extra":[1],"#)
    );
    assert_eq!(
        subflow_status(INSTANCE, r#"{"payload":{"shape":"ring"}}"#),
        instance_status(r#""shape":"ring","#)
    );
    assert_eq!(
        subflow_status(INSTANCE, r#"{"payload":{}}"#),
        instance_status("")
    );
    // A `source` the payload has keeps its place and becomes the instance.
    assert_eq!(
        subflow_status(INSTANCE, r#"{"payload":{"source":1,"text":"a"}}"#),
        (
            Some(r#"{"status":{"source":{"id":"2","type":"subflow:sf1"},"text":"a"}}"#.to_string()),
            0
        )
    );
    // Other payloads as `util.inspect` shows them.
    for (payload, text) in [
        ("5", "5"),
        ("-0", "-0"),
        ("1e21", "1e+21"),
        ("0.1", "0.1"),
        ("true", "true"),
        ("null", "null"),
    ] {
        assert_eq!(
            subflow_status(INSTANCE, &format!(r#"{{"payload":{payload}}}"#)),
            instance_status(&format!(r#""text":"{text}","#)),
            "{payload}"
        );
    }
    // A payload wins over `msg.status`.
    assert_eq!(
        subflow_status(INSTANCE, r#"{"payload":"p","status":{"text":"s"}}"#),
        instance_status(r#""text":"p","#)
    );
    // `msg.status` whole; a text that starts with `common.` is Node-RED's
    // catalogue key.
    assert_eq!(
        subflow_status(
            INSTANCE,
            r#"{"status":{"fill":"green","shape":"dot","text":"common.status.connected","source":{"id":"x","type":"debug"}}}"#
        ),
        instance_status(
            r#""fill":"green","shape":"dot","text":"node-red:common.status.connected","#
        )
    );
    assert_eq!(
        subflow_status(INSTANCE, r#"{"status":{"text":["common.","b"]}}"#),
        instance_status(r#""text":"node-red:common.,b","#)
    );
    assert_eq!(
        subflow_status(INSTANCE, r#"{"status":{"text":["a",2]}}"#),
        instance_status(r#""text":"a,2","#)
    );
    // An array in `msg.status` is the status as it is: Node-RED's
    // `source` is a property of the array, which its JSON leaves out.
    assert_eq!(
        subflow_status(INSTANCE, r#"{"status":[1,"a"]}"#),
        (Some(r#"{"status":[1,"a"]}"#.to_string()), 0)
    );
    // Neither: no status.
    assert_eq!(subflow_status(INSTANCE, r#"{"topic":"t"}"#), (None, 0));
    // A named instance is its status's source by name.
    assert_eq!(
        subflow_status(
            NodeInfo::new("2", "fred", "subflow:sf1"),
            r#"{"payload":"x"}"#
        ),
        (
            Some(
                r#"{"status":{"text":"x","source":{"id":"2","type":"subflow:sf1","name":"fred"}}}"#
                    .to_string()
            ),
            0
        )
    );
}

/// The text `Subflow.js` makes of each payload: `util.inspect`, cut at
/// 32 UTF-16 units with `...` after, as Node.js writes it.
fn node_inspect(payloads: &[&str]) -> Vec<String> {
    use std::io::Write;
    const SCRIPT: &str = r#"
        const util = require("util");
        const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(l => l);
        for (const line of lines) {
            let text = util.inspect(JSON.parse(line));
            if (text.length > 32) { text = text.substr(0, 32) + "..."; }
            console.log(JSON.stringify(text));
        }"#;
    let mut child = std::process::Command::new("node")
        .args(["-e", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node starts (the test command installs it)");
    let mut stdin = child.stdin.take().unwrap();
    for payload in payloads {
        writeln!(stdin, "{payload}").unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_status_port_shows_other_payloads_as_util_inspect_does() {
    let payloads = [
        "5",
        "-0",
        "1e21",
        "-1.5e-7",
        "true",
        "null",
        "[]",
        "[1]",
        "[1,2,3,4,5,6]",
        r#"[null,true,"a"]"#,
        r#"{"a":1}"#,
        r#"{"a":1,"b":"two","c":null}"#,
        r#"{"a-b":1,"_c9":2,"9x":3,"":4}"#,
        r#"["it's","say \"hi\"","both ' and \"","all ' \" `","tpl ' \" ${"]"#,
        r#"["tab\tnew\nline\r\b\f","\u0001\u001f\u007f\u0085\u009f","back\\slash"]"#,
        r#"["é","😀","𝄞𝄞"]"#,
        r#"{"k":"0123456789012345678901234567890123456789012345678901234567890123456789"}"#,
        r#"{"a":"0123456789012345678901234567890123456789012345678901234567890123"}"#,
        r#"{"a":"01234567890123456789012345678901234567890123456789012345678901"}"#,
        r#"{"one":1,"two":2,"three":3,"four":4,"five":5,"six":6,"seven":7,"eight":8}"#,
        r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"s":19,"t":20,"u":21,"v":22,"w":23}"#,
        r#"[123456789012,123456789012,123456789012,123456789012,123456789012,123456789012]"#,
        r#"["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]"#,
    ];
    let expected = node_inspect(&payloads);
    assert_eq!(expected.len(), payloads.len());
    for (payload, text) in payloads.iter().zip(expected) {
        assert_eq!(
            subflow_status(INSTANCE, &format!(r#"{{"payload":{payload}}}"#)),
            instance_status(&format!(r#""text":{text},"#)),
            "{payload}"
        );
    }
}

#[test]
fn what_node_red_shows_by_util_inspect_or_throws_on_is_counted() {
    // Node-RED writes these payloads with `util.inspect` in ways a device
    // does not (nested, more than six items that it sets in columns, a
    // long string it splits, keys it orders as numbers), or throws a
    // `TypeError` (`null.toString()`, `(5).indexOf`, a property on a
    // string): no status, a bad value.
    for message in [
        r#"{"payload":[1,2,3,4,5,6,7]}"#,
        r#"{"payload":[[1]]}"#,
        r#"{"payload":{"a":{"b":1}}}"#,
        r#"{"payload":{"2":1,"a":2}}"#,
        r#"{"payload":["012345678901234567890123456789012345678901234567890123456789012345678901234"]}"#,
        r#"{"payload":{"text":null}}"#,
        r#"{"status":{"text":5}}"#,
        r#"{"status":{"text":null}}"#,
        r#"{"status":"text"}"#,
    ] {
        assert_eq!(subflow_status(INSTANCE, message), (None, 1), "{message}");
    }
}

/// A delay node in `burst` mode of `rate` places held a second each,
/// stepped a millisecond at a time to `until`.
fn burst_events(rate: f64, inputs: &[(u64, &str)], until: u64) -> Vec<Event> {
    let mut node = Burst::<CAPACITY, 8>::new(NodeInfo::new("b", "", "delay"), rate, 1000.0, false);
    step_events(&mut node, inputs, until)
}

fn burst_status(at: u64, fill: &str, shape: &str) -> Event {
    Event::Status(
        at,
        Some(fill.into()),
        Some(shape.into()),
        Some(String::new()),
    )
}

/// What `burst` reports: a red dot for each message it drops, a green ring
/// when a place's time is up while every place was taken (Node-RED
/// compares its count with `rate` before it counts the place free), and
/// a green ring after a reset. The green ring it sets as it starts is set
/// while the node is built, which no status node hears.
#[test]
fn a_burst_reports_a_red_dot_when_full_and_a_green_ring_when_a_place_frees() {
    let inputs = [
        (0, r#"{"payload":1}"#),
        (10, r#"{"payload":2}"#),
        (20, r#"{"payload":3}"#),
        (30, r#"{"payload":4}"#),
        (1100, r#"{"payload":5}"#),
        (1200, r#"{"reset":true}"#),
    ];
    assert_eq!(
        burst_events(2.0, &inputs, 2500),
        [
            sent(0, r#"{"payload":1}"#),
            sent(10, r#"{"payload":2}"#),
            burst_status(20, "red", "dot"),
            burst_status(30, "red", "dot"),
            // The first place frees while both were taken; the second
            // finds one free already.
            burst_status(1000, "green", "ring"),
            sent(1100, r#"{"payload":5}"#),
            burst_status(1200, "green", "ring"),
        ]
    );
    // With a rate of 2.5 the count (whole) never equals it: no green ring
    // as places free, only after a reset.
    let events = burst_events(2.5, &inputs, 2500);
    assert_eq!(
        events
            .iter()
            .filter(|event| matches!(event, Event::Status(..)))
            .collect::<Vec<_>>(),
        [
            &burst_status(30, "red", "dot"),
            &burst_status(1200, "green", "ring")
        ]
    );
}
