//! Node-RED's `delay` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/function/89-delay_spec.js` as data, on a clock the
//! test drives one millisecond at a time, so each case says exactly when
//! each message leaves rather than within a tolerance.
//!
//! Of the 56 cases there, 37 are here: 35 of Node-RED 4.x and the 2 of the
//! `burst` mode, which Node-RED 5.0 added ("can handle a burst in burst
//! mode", "can reset a burst in burst mode"), with cases of our own that
//! pin its edges. 3 ("should be loaded", "should be able to set rate to
//! hour", "... to minute") check how the flow is read and live with the
//! compiler's lowering tests, and the 16 "calls done when ..." cases,
//! which watch the node with a `complete` node, are in
//! `conformance_complete.rs`.

use psos::nodes::{burst_timers, Burst, Delay, DelayMode, Finishing};
use psos::{Device, ErrorKind, Msg, NodeInfo};

/// Messages in these tests are small.
const CAPACITY: usize = 256;

/// The queue of the cases that do not test its size.
const QUEUE: usize = 32;

/// Messages and when they arrive or leave (ms), as JSON.
type Timeline = Vec<(u64, &'static str)>;

/// Five messages by topic, each with when it leaves.
type Leaving = [(&'static str, u64); 5];

/// One message that left the node: when (ms), on which port, as JSON.
type Sent = (u64, usize, String);

/// What a node did in a run: what it sent, and the errors counted.
#[derive(Debug, Default)]
struct Outcome {
    sent: Vec<Sent>,
    errors: Vec<(ErrorKind, u32)>,
}

impl Outcome {
    /// The payloads sent on port 0, in order.
    fn payloads(&self) -> Vec<String> {
        self.sent
            .iter()
            .filter(|(_, port, _)| *port == 0)
            .map(|(_, _, msg)| payload_of(msg))
            .collect()
    }

    fn on_port(&self, port: usize) -> usize {
        self.sent.iter().filter(|(_, p, _)| *p == port).count()
    }
}

fn payload_of(msg: &str) -> String {
    let start = msg.find("\"payload\":").map_or(0, |at| at + 10);
    msg[start..]
        .split([',', '}'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Runs the node from 0 to `until` ms: at each millisecond, the messages
/// `inputs` schedule then (in their order), then a tick.
fn run(
    case: &'static str,
    node: &mut impl Finishing<CAPACITY>,
    inputs: &[(u64, &str)],
    until: u64,
) -> Outcome {
    let device = Device::new(case, "conformance");
    let mut sent = Vec::new();
    for now in 0..=until {
        let mut record = |port: usize, msg: &mut Msg<CAPACITY>| {
            sent.push((now, port, format!("{msg:?}")));
        };
        for (_, text) in inputs.iter().filter(|(at, _)| *at == now) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes())
                .unwrap_or_else(|error| panic!("{case}: {text} does not read: {error}"));
            node.input_at(now, &device, &mut msg, &mut record);
        }
        node.tick_at(now, &device, &mut record);
    }
    let errors = ErrorKind::ALL
        .iter()
        .map(|kind| (*kind, device.error_count(*kind)))
        .filter(|(_, count)| *count > 0)
        .collect();
    Outcome { sent, errors }
}

fn node<const Q: usize>(case: &'static str, mode: DelayMode) -> Delay<CAPACITY, Q> {
    Delay::new(NodeInfo::new(case, "", "delay"), mode, false)
}

fn fixed(ms: f64) -> DelayMode {
    DelayMode::Fixed {
        ms,
        variable: false,
    }
}

fn rate(interval_ms: f64, drop: bool) -> DelayMode {
    DelayMode::Rate {
        interval_ms,
        drop,
        allow_rate: false,
    }
}

fn sent(list: &[(u64, &str)]) -> Vec<Sent> {
    list.iter()
        .map(|(at, msg)| (*at, 0, msg.to_string()))
        .collect()
}

/// `genericDelayTest`: the title and the wait as `89-delay.js` computes it
/// from `timeout` and `timeoutUnits` (the compiler's lowering tests show
/// that computation); the message leaves after the whole milliseconds of
/// it, as Node.js's `setTimeout` waits.
#[test]
fn delays_the_message_in_each_unit() {
    #[rustfmt::skip]
    let cases: [(&str, f64, u64); 5] = [
        ("delays the message in seconds",      0.5 * 1000.0,               500),
        ("delays the message in milliseconds", 500.0,                      500),
        ("delays the message in minutes",      0.00833 * 60_000.0,         499),
        ("delays the message in hours",        0.0001388 * 3_600_000.0,    499),
        ("delays the message in days",         0.000005787 * 86_400_000.0, 499),
    ];
    for (case, ms, at) in cases {
        let outcome = run(
            case,
            &mut node::<QUEUE>(case, fixed(ms)),
            &[(0, r#"{"payload":"delayMe"}"#)],
            1000,
        );
        assert_eq!(
            outcome.sent,
            sent(&[(at, r#"{"payload":"delayMe"}"#)]),
            "{case}"
        );
    }
}

/// `genericRateLimitSECONDSTest`: `aLimit` messages per `nbUnit` seconds;
/// all messages arrive at once, and the test stops after `runtime` ms. At
/// most `aLimit * runtime / 1000 + aLimit` leave, in order, an interval
/// apart; the queue holds `Q`.
fn rate_limit<const Q: usize>(
    case: &'static str,
    limit: f64,
    units: f64,
    runtime: u64,
    msg_rate: Option<u64>,
) -> Outcome {
    let interval = 1000.0 / limit * units;
    let possible_max = (limit * runtime as f64 / 1000.0 + limit).ceil() as usize;
    let texts: Vec<String> = (0..=possible_max)
        .map(|i| match msg_rate {
            Some(rate) => format!(r#"{{"payload":{i},"rate":{rate}}}"#),
            None => format!(r#"{{"payload":{i}}}"#),
        })
        .collect();
    let inputs: Vec<(u64, &str)> = texts.iter().map(|text| (0, text.as_str())).collect();
    let outcome = run(
        case,
        &mut node::<Q>(case, rate(interval, false)),
        &inputs,
        runtime,
    );
    assert!(outcome.sent.len() < possible_max, "{case}: too many sent");
    let expected: Vec<String> = (0..outcome.sent.len()).map(|i| i.to_string()).collect();
    assert_eq!(outcome.payloads(), expected, "{case}: in order");
    for pair in outcome.sent.windows(2) {
        assert!(
            (pair[1].0 - pair[0].0) as f64 > interval * 0.9,
            "{case}: {pair:?} too close"
        );
    }
    outcome
}

#[test]
fn limits_the_message_rate() {
    let outcome = rate_limit::<QUEUE>(
        "limits the message rate to 1 per second",
        1.0,
        1.0,
        1500,
        None,
    );
    assert_eq!(outcome.sent.len(), 2);
    let outcome = rate_limit::<QUEUE>(
        "limits the message rate to 1 per 2 seconds",
        1.0,
        2.0,
        3000,
        None,
    );
    assert_eq!(outcome.sent.len(), 2);
    let outcome = rate_limit::<QUEUE>(
        "limits the message rate to 2 per seconds, 2 seconds",
        2.0,
        1.0,
        2100,
        None,
    );
    assert_eq!(outcome.sent.len(), 5);
}

/// The spec sets `nodeMessageBufferMaxLength` to 3 and sends `msg.rate`,
/// which this node (without `allowrate`) ignores. A device's queue of 3
/// counts each message it cannot hold, where Node-RED empties its buffer.
#[test]
fn limits_the_message_rate_using_msg_rate() {
    let outcome = rate_limit::<3>(
        "limits the message rate using msg.rate",
        1.0,
        1.0,
        1500,
        Some(2000),
    );
    assert_eq!(outcome.payloads(), ["0", "1"]);
    // Of 4 messages, 1 left at once, 3 waited, 0 were turned away.
    assert_eq!(outcome.errors, []);
    let outcome = rate_limit::<2>(
        "a full rate queue counts what it turns away",
        1.0,
        1.0,
        1500,
        None,
    );
    assert_eq!(outcome.payloads(), ["0", "1"]);
    assert_eq!(outcome.errors, [(ErrorKind::QueueFull, 1)]);
}

/// `dropRateLimitSECONDSTest`: message 0 at once, the others spread over
/// two intervals, one more 300 ms before the end; some are dropped, the
/// first and the last go, and the second output gets the dropped ones only
/// when the node has it.
fn drop_rate_limit(case: &'static str, limit: f64, units: f64, runtime: u64, second: bool) {
    let interval = 1000.0 / limit * units;
    let grace_rate = 1000.0 / limit + 10.0;
    let possible_max = (limit * runtime as f64 / 1000.0 + limit).ceil() as u64;
    let mut texts = vec![(0, r#"{"payload":0}"#.to_string())];
    for i in 1..=possible_max {
        // The spec's closures all see the loop's final `i`.
        let at = (2.0 * (grace_rate * i as f64) / possible_max as f64) as u64;
        texts.push((at, format!(r#"{{"payload":{}}}"#, possible_max + 1)));
    }
    texts.push((
        runtime - 300,
        format!(r#"{{"payload":{}}}"#, possible_max + 2),
    ));
    let inputs: Vec<(u64, &str)> = texts
        .iter()
        .map(|(at, text)| (*at, text.as_str()))
        .collect();
    let mut delay: Delay<CAPACITY, 0> = Delay::new(
        NodeInfo::new(case, "", "delay"),
        rate(interval, true),
        second,
    );
    let outcome = run(case, &mut delay, &inputs, runtime);
    let payloads = outcome.payloads();
    assert!(payloads.len() < possible_max as usize + 1, "{case}");
    assert!(payloads.len() >= 2, "{case}: {payloads:?}");
    assert_eq!(payloads.first().map(String::as_str), Some("0"), "{case}");
    assert_eq!(
        payloads.last(),
        Some(&(possible_max + 2).to_string()),
        "{case}: the last goes"
    );
    let dropped = inputs.len() - payloads.len();
    assert!(dropped > 0, "{case}: some are dropped");
    assert_eq!(
        outcome.on_port(1),
        if second { dropped } else { 0 },
        "{case}"
    );
}

#[test]
fn limits_the_message_rate_with_drop() {
    drop_rate_limit(
        "limits the message rate to 1 per second, 4 seconds, with drop",
        1.0,
        1.0,
        4000,
        false,
    );
    drop_rate_limit(
        "limits the message rate to 1 per 2 seconds, 4 seconds, with drop",
        1.0,
        2.0,
        4500,
        false,
    );
    drop_rate_limit(
        "limits the message rate to 2 per second, 5 seconds, with drop",
        2.0,
        1.0,
        5000,
        false,
    );
    drop_rate_limit(
        "limits the message rate to 2 per second, 5 seconds, with drop, 2nd output",
        2.0,
        1.0,
        5000,
        true,
    );
    // The spec's msg.rate goes to a node without `allowrate`: ignored.
    drop_rate_limit(
        "limits the message rate with drop using msg.rate",
        2.0,
        1.0,
        5000,
        false,
    );
}

/// `msg.rate` where `allowrate` lets it: it sets the interval of `rate`
/// with `drop`, until a `msg.reset` puts the configured one back.
#[test]
fn msg_rate_changes_the_interval_where_allowed() {
    let case = "msg.rate changes the interval";
    let mode = DelayMode::Rate {
        interval_ms: 1000.0,
        drop: true,
        allow_rate: true,
    };
    let outcome = run(
        case,
        &mut node::<0>(case, mode),
        &[
            (0, r#"{"payload":1,"rate":100}"#),
            (50, r#"{"payload":2}"#),
            (101, r#"{"payload":3}"#),
            (102, r#"{"reset":true}"#),
            (103, r#"{"payload":4}"#),
            (500, r#"{"payload":5}"#),
        ],
        1000,
    );
    assert_eq!(outcome.payloads(), ["1", "3", "4"]);
}

/// `variableDelayTest`: `msg.delay` in ms overrides the 500 ms timeout;
/// none, zero and negative delays as Node-RED reads them.
#[test]
fn variable_delay() {
    #[rustfmt::skip]
    let cases: [(&str, &str, u64); 5] = [
        ("variable delay set by msg.delay the message in milliseconds", "250",   250),
        ("variable delay is the default if msg.delay not specified",    "null",  500),
        ("variable delay is zero if msg.delay is zero",                 "0",     1),
        ("variable delay is zero if msg.delay is negative",             "-250",  1),
        // Read with `parseFloat`, as Node-RED reads it.
        ("msg.delay as text with a unit",                               "\"120ms\"", 120),
    ];
    for (case, delay, at) in cases {
        let mode = DelayMode::Fixed {
            ms: 500.0,
            variable: true,
        };
        let text = format!(r#"{{"payload":"delayMe","delay":{delay}}}"#);
        let outcome = run(case, &mut node::<QUEUE>(case, mode), &[(0, &text)], 1000);
        assert_eq!(outcome.sent, sent(&[(at, &text)]), "{case}");
    }
}

/// `randomDelayTest`: each message waits between `randomFirst` and
/// `randomLast`; twenty messages, to see the waits vary.
#[test]
fn randomly_delays_the_message() {
    #[rustfmt::skip]
    let cases: [(&str, f64, f64); 5] = [
        ("randomly delays the message in seconds",      0.4 * 1000.0,            0.8 * 1000.0),
        ("randomly delays the message in milliseconds", 400.0,                   800.0),
        ("randomly delays the message in minutes",      0.0066 * 60_000.0,       0.0133 * 60_000.0),
        ("delays the message in hours",                 0.000111111 * 3_600_000.0, 0.000222222 * 3_600_000.0),
        ("delays the message in days",                  0.0000046296 * 86_400_000.0, 0.0000092593 * 86_400_000.0),
    ];
    for (case, first_ms, last_ms) in cases {
        let inputs: Vec<(u64, &str)> = (0..20).map(|_| (0, r#"{"payload":"delayMe"}"#)).collect();
        let outcome = run(
            case,
            &mut node::<QUEUE>(case, DelayMode::Random { first_ms, last_ms }),
            &inputs,
            1000,
        );
        assert_eq!(outcome.sent.len(), 20, "{case}");
        let times: Vec<u64> = outcome.sent.iter().map(|(at, ..)| *at).collect();
        for at in &times {
            assert!(
                (first_ms.floor() as u64..=last_ms as u64).contains(at),
                "{case}: {at}"
            );
        }
        assert!(
            times.windows(2).any(|pair| pair[0] != pair[1]),
            "{case}: all alike"
        );
    }
}

/// The seven messages of "handles delay queue" and "handles timed queue".
const TOPIC_MESSAGES: [&str; 7] = [
    r#"{"payload":1}"#,
    r#"{"payload":1,"topic":"A"}"#,
    r#"{"payload":1,"topic":"B"}"#,
    r#"{"payload":2,"topic":"A"}"#,
    r#"{"payload":3,"topic":"A"}"#,
    r#"{"payload":2}"#,
    r#"{"payload":4,"topic":"A"}"#,
];

/// "handles delay queue": 4 a second, the messages a tick after start; one
/// topic, its newest message, leaves each tick. "handles timed queue": 2 a
/// second, the messages at once; every topic's newest leaves on the tick.
#[test]
fn handles_delay_and_timed_queues() {
    let queue = DelayMode::Queue {
        interval_ms: 250.0,
        allow_rate: false,
    };
    let timed = DelayMode::Timed {
        interval_ms: 500.0,
        allow_rate: false,
    };
    #[rustfmt::skip]
    let cases: [(&str, DelayMode, u64, [u64; 3]); 2] = [
        ("handles delay queue", queue, 275, [500, 750, 1000]),
        ("handles timed queue", timed, 0, [500, 500, 500]),
    ];
    for (case, mode, arrive, [none, a, b]) in cases {
        let inputs: Vec<(u64, &str)> = TOPIC_MESSAGES.iter().map(|msg| (arrive, *msg)).collect();
        let outcome = run(case, &mut node::<QUEUE>(case, mode), &inputs, 1200);
        assert_eq!(
            outcome.sent,
            sent(&[
                (none, r#"{"payload":2,"topic":"_none_"}"#),
                (a, r#"{"payload":4,"topic":"A"}"#),
                (b, r#"{"payload":1,"topic":"B"}"#),
            ]),
            "{case}"
        );
    }
}

/// With two outputs, a message that a newer one of its topic replaces
/// leaves on the second.
#[test]
fn replaced_messages_leave_on_the_second_output() {
    let case = "replaced messages on the second output";
    let mode = DelayMode::Queue {
        interval_ms: 250.0,
        allow_rate: false,
    };
    let mut delay: Delay<CAPACITY, QUEUE> =
        Delay::new(NodeInfo::new(case, "", "delay"), mode, true);
    let inputs: Vec<(u64, &str)> = TOPIC_MESSAGES.iter().map(|msg| (275, *msg)).collect();
    let outcome = run(case, &mut delay, &inputs, 1200);
    let replaced: Vec<&str> = outcome
        .sent
        .iter()
        .filter(|(_, port, _)| *port == 1)
        .map(|(_, _, msg)| msg.as_str())
        .collect();
    assert_eq!(
        replaced,
        [
            r#"{"payload":1,"topic":"A"}"#,
            r#"{"payload":2,"topic":"A"}"#,
            r#"{"payload":1,"topic":"_none_"}"#,
            r#"{"payload":3,"topic":"A"}"#,
        ]
    );
}

/// The messages of the flush and reset cases: one `foo`, four `bar`, all
/// at once, then the control message.
fn foo_and_bars(control: &'static str) -> Timeline {
    let mut inputs = vec![(0, r#"{"payload":1,"topic":"foo"}"#)];
    inputs.extend([(0, r#"{"payload":1,"topic":"bar"}"#); 4]);
    inputs.push((0, control));
    inputs
}

/// "can flush delay queue", "can flush rate limit queue": `msg.flush`
/// sends everything at once; "can reset delay queue", "can reset rate
/// limit queue": `msg.reset` drops it (rate had sent `foo` already).
#[test]
fn can_flush_and_reset_the_queues() {
    let delay = fixed(1000.0);
    let rate = rate(500.0, false);
    let all_now: Vec<(u64, &str)> = std::iter::once((0, r#"{"payload":1,"topic":"foo"}"#))
        .chain([(0, r#"{"payload":1,"topic":"bar"}"#); 4])
        .collect();
    #[rustfmt::skip]
    let cases: [(&str, DelayMode, &str, Timeline); 4] = [
        ("can flush delay queue",      delay, r#"{"flush":true}"#, all_now.clone()),
        ("can flush rate limit queue", rate,  r#"{"flush":true}"#, all_now.clone()),
        ("can reset delay queue",      delay, r#"{"reset":true}"#, vec![]),
        ("can reset rate limit queue", rate,  r#"{"reset":true}"#, all_now[..1].to_vec()),
    ];
    for (case, mode, control, expect) in cases {
        let outcome = run(
            case,
            &mut node::<QUEUE>(case, mode),
            &foo_and_bars(control),
            2000,
        );
        assert_eq!(outcome.sent, sent(&expect), "{case}");
    }
}

/// "can part flush delay queue": `flush: 2` sends the two oldest, `1` the
/// next, `4` the rest. "can part flush rate limit queue": the same, after
/// the first went at once.
#[test]
fn can_part_flush_the_queues() {
    let flushes = [
        (0, r#"{"flush":2}"#),
        (200, r#"{"flush":1}"#),
        (400, r#"{"flush":4}"#),
    ];
    // Each message's topic, and when it leaves.
    #[rustfmt::skip]
    let cases: [(&str, DelayMode, Leaving); 2] = [
        ("can part flush delay queue", fixed(1000.0),
         [("foo", 0), ("foo", 0), ("bar", 200), ("boo", 400), ("boo", 400)]),
        ("can part flush rate limit queue", rate(500.0, false),
         [("foo", 0), ("foo", 0), ("foo", 0), ("bar", 200), ("boo", 400)]),
    ];
    for (case, mode, messages) in cases {
        let texts: Vec<(String, u64)> = messages
            .iter()
            .map(|(topic, at)| (format!(r#"{{"payload":1,"topic":"{topic}"}}"#), *at))
            .collect();
        let mut inputs: Vec<(u64, &str)> =
            texts.iter().map(|(text, _)| (0, text.as_str())).collect();
        inputs.extend(flushes);
        let outcome = run(case, &mut node::<QUEUE>(case, mode), &inputs, 450);
        let expect: Vec<(u64, &str)> = texts
            .iter()
            .map(|(text, at)| (*at, text.as_str()))
            .collect();
        assert_eq!(outcome.sent, sent(&expect), "{case}");
    }
}

/// "can part flush and reset rate limit queue" and "can full flush and
/// reset rate limit queue": `flush` with `reset` sends, then empties the
/// queue, and the interval keeps running.
#[test]
fn can_flush_and_reset_rate_limit_queue() {
    let early = [
        (0, r#"{"payload":1,"topic":"foo"}"#),
        (10, r#"{"payload":2,"topic":"far"}"#),
        (20, r#"{"payload":3,"topic":"boo"}"#),
        (30, r#"{"payload":4,"topic":"bar"}"#),
    ];
    let part = [
        (200, r#"{"flush":2,"reset":true}"#),
        (300, r#"{"payload":5,"topic":"fob"}"#),
        (400, r#"{"flush":1,"reset":true}"#),
    ];
    let full = [
        (
            200,
            r#"{"payload":5,"topic":"last","flush":true,"reset":true}"#,
        ),
        (300, r#"{"payload":6,"topic":"fob"}"#),
        (400, r#"{"flush":1,"reset":true}"#),
    ];
    let cases: [(&str, _, Timeline); 2] = [
        (
            "can part flush and reset rate limit queue",
            part,
            vec![
                (0, r#"{"payload":1,"topic":"foo"}"#),
                (200, r#"{"payload":2,"topic":"far"}"#),
                (200, r#"{"payload":3,"topic":"boo"}"#),
                (400, r#"{"payload":5,"topic":"fob"}"#),
            ],
        ),
        (
            "can full flush and reset rate limit queue",
            full,
            vec![
                (0, r#"{"payload":1,"topic":"foo"}"#),
                (200, r#"{"payload":2,"topic":"far"}"#),
                (200, r#"{"payload":3,"topic":"boo"}"#),
                (200, r#"{"payload":4,"topic":"bar"}"#),
                (200, r#"{"payload":5,"topic":"last"}"#),
                (400, r#"{"payload":6,"topic":"fob"}"#),
            ],
        ),
    ];
    for (case, controls, expect) in cases {
        let inputs: Timeline = early.iter().chain(&controls).copied().collect();
        let mut delay = node::<QUEUE>(case, rate(1000.0, false));
        let outcome = run(case, &mut delay, &inputs, 900);
        assert_eq!(outcome.sent, sent(&expect), "{case}");
    }
}

/// "can part push to front of rate limit queue": `msg.toFront` queues at
/// the front, and a message with `flush` joins the queue before it flushes.
#[test]
fn can_part_push_to_front_of_rate_limit_queue() {
    let case = "can part push to front of rate limit queue";
    let outcome = run(
        case,
        &mut node::<QUEUE>(case, rate(1000.0, false)),
        &[
            (0, r#"{"payload":1,"topic":"aoo"}"#),
            (0, r#"{"payload":1,"topic":"boo"}"#),
            (0, r#"{"payload":1,"topic":"coo","toFront":true}"#),
            (0, r#"{"payload":1,"topic":"doo","toFront":true,"flush":1}"#),
            (0, r#"{"payload":1,"topic":"eoo","toFront":true}"#),
            (0, r#"{"flush":1}"#),
            (200, r#"{"flush":1}"#),
            (400, r#"{"flush":4}"#),
        ],
        900,
    );
    assert_eq!(
        outcome.sent,
        sent(&[
            (0, r#"{"payload":1,"topic":"aoo"}"#),
            (0, r#"{"payload":1,"topic":"doo","toFront":true}"#),
            (0, r#"{"payload":1,"topic":"eoo","toFront":true}"#),
            (200, r#"{"payload":1,"topic":"coo","toFront":true}"#),
            (400, r#"{"payload":1,"topic":"boo"}"#),
        ])
    );
}

/// "sending a msg with reset to empty queue doesnt send anything".
#[test]
fn a_reset_to_an_empty_queue_sends_nothing() {
    let case = "sending a msg with reset to empty queue doesnt send anything";
    let outcome = run(
        case,
        &mut node::<QUEUE>(case, rate(500.0, false)),
        &[(0, r#"{"payload":1,"topic":"foo","reset":true}"#)],
        1000,
    );
    assert_eq!(outcome.sent, []);
}

/// What does not fit the queue is counted, never a panic, and the rest
/// still leaves on time.
#[test]
fn a_full_delay_queue_counts_what_it_turns_away() {
    let case = "a full delay queue";
    let inputs: Vec<(u64, &str)> = (0..5).map(|_| (0, r#"{"payload":1}"#)).collect();
    let outcome = run(case, &mut node::<3>(case, fixed(100.0)), &inputs, 200);
    assert_eq!(outcome.sent.len(), 3);
    assert!(outcome.sent.iter().all(|(at, ..)| *at == 100));
    assert_eq!(outcome.errors, [(ErrorKind::QueueFull, 2)]);
}

/// A `burst` node of `rate` places, each held `period_ms`, with room for
/// the timers psosc gives it.
fn burst(case: &'static str, rate: f64, period_ms: f64, second: bool) -> Burst<CAPACITY, 8> {
    assert!(burst_timers(rate.ceil() as usize) <= 8);
    Burst::new(NodeInfo::new(case, "", "delay"), rate, period_ms, second)
}

/// The spec's burst: five messages at once (`setImmediate` apart).
fn five_at_once() -> Timeline {
    [
        r#"{"payload":1}"#,
        r#"{"payload":2}"#,
        r#"{"payload":3}"#,
        r#"{"payload":4}"#,
        r#"{"payload":5}"#,
    ]
    .into_iter()
    .map(|msg| (0, msg))
    .collect()
}

/// "can handle a burst in burst mode": of five messages at once, the
/// first three pass (3 a second) and the others are dropped; the spec
/// waits 700 ms. Each place is free again a second after it was taken.
#[test]
fn can_handle_a_burst_in_burst_mode() {
    let case = "can handle a burst in burst mode";
    let mut inputs = five_at_once();
    let outcome = run(case, &mut burst(case, 3.0, 1000.0, false), &inputs, 700);
    assert_eq!(outcome.payloads(), ["1", "2", "3"]);
    assert!(outcome.sent.iter().all(|(at, ..)| *at == 0));
    assert_eq!(outcome.errors, []);
    inputs.push((1000, r#"{"payload":6}"#));
    let outcome = run(case, &mut burst(case, 3.0, 1000.0, false), &inputs, 1000);
    assert_eq!(outcome.payloads(), ["1", "2", "3", "6"]);
}

/// "can reset a burst in burst mode": after three pass and two are
/// dropped, a reset frees every place, so the sixth passes.
#[test]
fn can_reset_a_burst_in_burst_mode() {
    let case = "can reset a burst in burst mode";
    let mut inputs = five_at_once();
    inputs.push((0, r#"{"reset":true}"#));
    inputs.push((0, r#"{"payload":6}"#));
    let outcome = run(case, &mut burst(case, 3.0, 1000.0, false), &inputs, 700);
    // The reset itself is not sent on.
    assert_eq!(outcome.payloads(), ["1", "2", "3", "6"]);
    assert_eq!(outcome.sent.len(), 4);
}

/// A place is taken for exactly one period: a message a millisecond
/// before it ends is dropped, one as it ends passes.
#[test]
fn a_burst_place_is_free_again_exactly_one_period_after() {
    let case = "a place is free again after one period";
    let inputs: Timeline = vec![
        (0, r#"{"payload":1}"#),
        (999, r#"{"payload":2}"#),
        (1000, r#"{"payload":3}"#),
        (1500, r#"{"payload":4}"#),
        (2000, r#"{"payload":5}"#),
    ];
    let outcome = run(case, &mut burst(case, 1.0, 1000.0, false), &inputs, 2500);
    assert_eq!(
        outcome.sent,
        sent(&[
            (0, r#"{"payload":1}"#),
            (1000, r#"{"payload":3}"#),
            (2000, r#"{"payload":5}"#)
        ])
    );
}

/// What finds no place is dropped with one output, and sent on the second
/// with two; a reset goes to neither.
#[test]
fn what_finds_no_burst_place_leaves_on_the_second_output() {
    let case = "burst to the second output";
    let inputs: Timeline = vec![
        (0, r#"{"payload":1}"#),
        (10, r#"{"payload":2}"#),
        (20, r#"{"payload":3}"#),
        (30, r#"{"reset":true}"#),
        (40, r#"{"payload":4}"#),
        (50, r#"{"payload":5}"#),
    ];
    let dropped = run(case, &mut burst(case, 2.0, 1000.0, false), &inputs, 100);
    assert_eq!(dropped.payloads(), ["1", "2", "4", "5"]);
    assert_eq!(dropped.on_port(1), 0);
    let second = run(case, &mut burst(case, 2.0, 1000.0, true), &inputs, 100);
    assert_eq!(second.payloads(), ["1", "2", "4", "5"]);
    assert_eq!(
        second
            .sent
            .iter()
            .filter(|(_, port, _)| *port == 1)
            .collect::<Vec<_>>(),
        [&(20, 1, r#"{"payload":3}"#.to_string())]
    );
}

/// Node-RED lets a message through while its count is below `rate`, so a
/// rate of 2.5 has three places; the period is any whole number of
/// milliseconds (psosc turns `nbRateUnits` and `rateUnits` into it).
#[test]
fn a_burst_rate_that_is_not_whole_has_a_place_more() {
    let case = "a burst of 2.5";
    let inputs: Timeline = (0..5).map(|_| (0, r#"{"payload":1}"#)).collect();
    let outcome = run(case, &mut burst(case, 2.5, 120_000.0, false), &inputs, 10);
    assert_eq!(outcome.sent.len(), 3);
}

/// Node-RED keeps each place's timer at the index its count had
/// (`node.timers[inflight - 1]`), and a reset clears only the timers it
/// still holds there. Here the second message's timer loses its index to
/// the third (the first place was freed in between), so the reset does not
/// clear it: it runs out at 1500 and frees a place no message took, and
/// the node lets three messages through where it had two places.
#[test]
fn a_reset_leaves_running_the_timers_node_red_lost() {
    let case = "lost timers";
    let inputs: Timeline = vec![
        (0, r#"{"payload":"a"}"#),
        (500, r#"{"payload":"b"}"#),
        (1100, r#"{"payload":"c"}"#),
        (1200, r#"{"reset":true}"#),
        (1600, r#"{"payload":"d"}"#),
        (1600, r#"{"payload":"e"}"#),
        (1600, r#"{"payload":"f"}"#),
        (1600, r#"{"payload":"g"}"#),
    ];
    let outcome = run(case, &mut burst(case, 2.0, 1000.0, false), &inputs, 1700);
    assert_eq!(
        outcome.payloads(),
        ["\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\"", "\"f\""]
    );
    // A reset with no lost timer running frees exactly the node's places.
    let inputs: Timeline = vec![
        (0, r#"{"payload":"a"}"#),
        (500, r#"{"payload":"b"}"#),
        (600, r#"{"reset":true}"#),
        (700, r#"{"payload":"c"}"#),
        (700, r#"{"payload":"d"}"#),
        (700, r#"{"payload":"e"}"#),
        (1600, r#"{"payload":"f"}"#),
    ];
    let outcome = run(case, &mut burst(case, 2.0, 1000.0, false), &inputs, 1700);
    assert_eq!(outcome.payloads(), ["\"a\"", "\"b\"", "\"c\"", "\"d\""]);
}

/// A node with room for fewer timers than Node-RED would run forgets the
/// oldest lost one and counts it: its place then stays taken until the
/// next reset, where Node-RED would free it.
#[test]
fn a_burst_node_out_of_room_for_timers_counts_it() {
    let case = "burst timers full";
    let mut node = Burst::<CAPACITY, 2>::new(NodeInfo::new(case, "", "delay"), 2.0, 1000.0, false);
    let inputs: Timeline = vec![
        (0, r#"{"payload":"a"}"#),
        (500, r#"{"payload":"b"}"#),
        (1100, r#"{"payload":"c"}"#),
        (1200, r#"{"reset":true}"#),
        (1300, r#"{"payload":"d"}"#),
        (1310, r#"{"payload":"e"}"#),
        (1600, r#"{"payload":"f"}"#),
    ];
    let outcome = run(case, &mut node, &inputs, 1700);
    assert_eq!(
        outcome.payloads(),
        ["\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""]
    );
    assert_eq!(outcome.errors, [(ErrorKind::QueueFull, 1)]);
    assert_eq!(node.running(), 2);
}

/// Node-RED calls `done()` for every message as its input returns: one
/// that passes (after it is sent), one dropped, and a reset.
#[test]
fn a_burst_node_is_done_with_every_message_at_once() {
    let case = "burst done";
    let device = Device::new(case, "conformance");
    let mut node = burst(case, 1.0, 1000.0, true);
    let mut events = Vec::new();
    for text in [r#"{"payload":1}"#, r#"{"payload":2}"#, r#"{"reset":true}"#] {
        let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).unwrap();
        let sent = std::cell::RefCell::new(Vec::new());
        let mut out = |port: usize, msg: &mut Msg<CAPACITY>| {
            sent.borrow_mut().push(format!("{port} {msg:?}"));
        };
        node.input_finishing(0, &device, &mut msg, &mut out, &mut |done: &Msg<
            CAPACITY,
        >| {
            sent.borrow_mut().push(format!("done {done:?}"));
        });
        events.extend(sent.into_inner());
    }
    assert_eq!(
        events,
        [
            r#"0 {"payload":1}"#,
            r#"done {"payload":1}"#,
            r#"1 {"payload":2}"#,
            r#"done {"payload":2}"#,
            r#"done {"reset":true}"#,
        ]
    );
}

/// psosc builds a `Burst` for the `burst` mode; a `Delay` given the mode
/// has room for no place, so every message finds them all taken, as a
/// `Burst` whose places are all taken would treat it.
#[test]
fn a_delay_given_the_burst_mode_has_no_places() {
    let case = "a delay in burst mode";
    let mode = DelayMode::Burst {
        rate: 2.0,
        period_ms: 1000.0,
    };
    let inputs: Timeline = vec![
        (0, r#"{"payload":1}"#),
        (10, r#"{"reset":true}"#),
        (20, r#"{"payload":2}"#),
    ];
    let mut node: Delay<CAPACITY, 0> = Delay::new(NodeInfo::new(case, "", "delay"), mode, true);
    let outcome = run(case, &mut node, &inputs, 100);
    assert_eq!(outcome.on_port(0), 0);
    assert_eq!(
        outcome.sent,
        [
            (0, 1, r#"{"payload":1}"#.to_string()),
            (20, 1, r#"{"payload":2}"#.to_string())
        ]
    );
}
