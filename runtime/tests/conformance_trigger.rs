//! Node-RED's `trigger` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/function/89-trigger_spec.js` (Node-RED 4.x) as data, on
//! a clock the test steps one millisecond at a time, so each case says
//! exactly when each message leaves.
//!
//! Of the 53 cases there, 49 are here (with the 2 `bin`, 2 `env` and 2
//! `date` `iso` cases of `basicTest`, and the mustache template case) and
//! 4 ("should be loaded with correct defaults", "... delay in seconds",
//! "... in minutes", "... in hours") check how the flow is read and live
//! with the compiler's lowering tests. The 5 flow and global context
//! cases run here on stores the test fills
//! (`returns_things_from_flow_and_global_context`; the 4 that name stores,
//! `memory1` and `memory2`, on stores of their own beside the default
//! ones, as Node-RED has them with those stores in its settings). The 2 "messaging API" cases watch the node with a `complete`
//! node, run here as psosc wraps a watched node. "should be able to
//! extend the delay" reads its payloads from a stubbed context, which
//! returns the names themselves: here they are text.

use psos::nodes::{
    completed, Done, InjectValue, Mustache, Name, Now, Property, Scope, Token, Trigger,
    TriggerConfig, TriggerValue, Watched,
};
use psos::{
    ConstValue, Context, Device, ErrorKind, Msg, NamedStore, NodeInfo, PathSegment, Stores,
};

/// The wall clock when the test's clock starts (14 November 2023), which
/// `date` payloads carry.
const EPOCH_MS: u64 = 1_700_000_000_000;

/// Messages in these tests are small.
const CAPACITY: usize = 256;

/// One message that left the node: when (ms), on which port, as JSON.
type Sent = (u64, usize, String);

/// What a run did: what was sent, and the errors counted.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    sent: Vec<Sent>,
    errors: Vec<(ErrorKind, u32)>,
}

/// A case of a table: its name, the node, the messages that arrive and
/// those that leave on port 0, each with when (ms).
type Case = (
    &'static str,
    TriggerConfig,
    Vec<(u64, &'static str)>,
    Vec<(u64, &'static str)>,
);

/// Node-RED's defaults: `"1"`, then `"0"` 250 ms later, for all topics.
const DEFAULTS: TriggerConfig = TriggerConfig {
    first: text("1"),
    second: text("0"),
    duration_ms: 250.0,
    repeat: false,
    extend: false,
    override_delay: false,
    reset: None,
    by_topic: None,
    second_output: false,
};

const TOPIC: &[PathSegment<'static>] = &[PathSegment::Key("topic")];
const FOO: &[PathSegment<'static>] = &[PathSegment::Key("foo")];

const fn constant(value: ConstValue) -> TriggerValue {
    TriggerValue::Set(InjectValue::Const(value))
}

const fn text(value: &'static str) -> TriggerValue {
    constant(ConstValue::Str(value))
}

/// Steps a node with room for `T` topics from 0 to `until` ms; at each
/// millisecond, the messages of `inputs` due then arrive in order, then the
/// clock ticks.
fn run<const T: usize>(
    case: &'static str,
    config: TriggerConfig,
    inputs: &[(u64, &str)],
    until: u64,
) -> Outcome {
    let node = Trigger::<CAPACITY, T>::new(NodeInfo::new(case, "", "trigger"), config);
    run_node(case, node, inputs, until, &mut |_, _| {})
}

/// `run` for a node built by the caller; `before` runs at each millisecond
/// before the messages due then (a test changes context with it).
fn run_node<const T: usize, const C: usize>(
    case: &'static str,
    mut node: Trigger<CAPACITY, T, C>,
    inputs: &[(u64, &str)],
    until: u64,
    before: &mut dyn FnMut(u64, &Device),
) -> Outcome {
    let device = Device::new(case, "conformance");
    let mut outcome = Outcome::default();
    let mut pending = inputs.iter().peekable();
    for uptime_ms in 0..=until {
        let now = Now {
            uptime_ms,
            date_ms: EPOCH_MS + uptime_ms,
        };
        before(uptime_ms, &device);
        let mut record = |port: usize, msg: &mut Msg<CAPACITY>| {
            outcome.sent.push((uptime_ms, port, format!("{msg:?}")))
        };
        while let Some((_, text)) = pending.next_if(|(at, _)| *at == uptime_ms) {
            let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes())
                .unwrap_or_else(|error| panic!("{case}: {text} does not read: {error}"));
            node.input_at(now, &device, &mut msg, &mut record);
        }
        node.tick_at(now, &device, &mut record);
    }
    assert!(pending.next().is_none(), "{case}: inputs out of order");
    outcome.errors = ErrorKind::ALL
        .iter()
        .map(|kind| (*kind, device.error_count(*kind)))
        .filter(|(_, count)| *count > 0)
        .collect();
    outcome
}

/// Messages sent on port 0, with when they left.
fn sent(list: &[(u64, &str)]) -> Outcome {
    Outcome {
        sent: list
            .iter()
            .map(|(at, msg)| (*at, 0, msg.to_string()))
            .collect(),
        errors: Vec::new(),
    }
}

/// What a node with these payloads and time does with `{"payload":null}`
/// at 0 ms, in 100 ms.
fn pulse(
    case: &'static str,
    first: TriggerValue,
    second: TriggerValue,
    duration_ms: f64,
) -> Outcome {
    let config = TriggerConfig {
        first,
        second,
        duration_ms,
        ..DEFAULTS
    };
    run::<1>(case, config, &[(0, r#"{"payload":null}"#)], 100)
}

/// `basicTest`: the value of each type Node-RED reads as a constant, as the
/// first payload and as the second (20 ms later).
#[test]
fn sends_each_type_of_value_first_and_second() {
    let json = ConstValue::Object(&[
        ("x", ConstValue::Str("vx")),
        ("y", ConstValue::Str("vy")),
        ("z", ConstValue::Str("vz")),
    ]);
    // `bin` "[1,2,3,4,5]" is a Buffer; `env` "NR-TEST" is the variable's
    // text, "env-val", which psosc looks up when it reads the flow
    // (`lowering.rs`: `trigger_bin_env_and_iso_values_are_read_as_node_red_reads_them`).
    #[rustfmt::skip]
    let cases: [(&str, InjectValue, &str); 6] = [
        ("num",  InjectValue::Const(ConstValue::Number(10.0)), "10"),
        ("str",  InjectValue::Const(ConstValue::Str("10")),    r#""10""#),
        ("bool", InjectValue::Const(ConstValue::Bool(true)),   "true"),
        ("json", InjectValue::Const(json),                     r#"{"x":"vx","y":"vy","z":"vz"}"#),
        ("bin",  InjectValue::Bytes(&[1, 2, 3, 4, 5]),         r#"{"type":"Buffer","data":[1,2,3,4,5]}"#),
        ("env",  InjectValue::Const(ConstValue::Str("env-val")), r#""env-val""#),
    ];
    for (case, value, shown) in cases {
        let value = TriggerValue::Set(value);
        let outcome = pulse(case, value, TriggerValue::Nothing, 20.0);
        let expected = format!(r#"{{"payload":{shown}}}"#);
        assert_eq!(outcome, sent(&[(0, &expected)]), "first {case}");
        let outcome = pulse(case, text("foo"), value, 20.0);
        assert_eq!(
            outcome,
            sent(&[(0, r#"{"payload":"foo"}"#), (20, &expected)]),
            "second {case}"
        );
    }
}

/// `basicTest("date", "1")`: the time now, as the first and second payload.
#[test]
fn sends_the_time_first_and_second() {
    let date = TriggerValue::Set(InjectValue::Timestamp);
    let outcome = pulse("date first", date, TriggerValue::Nothing, 20.0);
    let first = format!(r#"{{"payload":{EPOCH_MS}}}"#);
    assert_eq!(outcome, sent(&[(0, &first)]));
    let outcome = pulse("date second", text("foo"), date, 20.0);
    let second = format!(r#"{{"payload":{}}}"#, EPOCH_MS + 20);
    assert_eq!(outcome, sent(&[(0, r#"{"payload":"foo"}"#), (20, &second)]));
}

/// `basicTest("date", "iso")`: the time as `toISOString` writes it, as the
/// first and second payload. Node-RED's case compares the first 11
/// characters (the day); here the whole text is known.
#[test]
fn sends_the_iso_time_first_and_second() {
    let date = TriggerValue::Set(InjectValue::IsoDate(psos::IsoText::UTC));
    let outcome = pulse("iso first", date, TriggerValue::Nothing, 20.0);
    assert_eq!(
        outcome,
        sent(&[(0, r#"{"payload":"2023-11-14T22:13:20.000Z"}"#)])
    );
    let outcome = pulse("iso second", text("foo"), date, 20.0);
    assert_eq!(
        outcome,
        sent(&[
            (0, r#"{"payload":"foo"}"#),
            (20, r#"{"payload":"2023-11-14T22:13:20.020Z"}"#)
        ])
    );
}

/// A first message that repeats with an `iso` date: Node-RED's interval
/// sets `Date.now()`, so the repeats carry milliseconds.
#[test]
fn repeats_of_an_iso_time_carry_milliseconds() {
    let config = TriggerConfig {
        first: TriggerValue::Set(InjectValue::IsoDate(psos::IsoText::UTC)),
        second: TriggerValue::Nothing,
        duration_ms: 10.0,
        repeat: true,
        ..DEFAULTS
    };
    let outcome = run::<1>("iso repeat", config, &[(0, r#"{"payload":null}"#)], 25);
    let at = |ms: u64| format!(r#"{{"payload":{}}}"#, EPOCH_MS + ms);
    assert_eq!(
        outcome,
        sent(&[
            (0, r#"{"payload":"2023-11-14T22:13:20.000Z"}"#),
            (10, &at(10)),
            (20, &at(20))
        ])
    );
}

#[test]
fn sends_1_then_0_by_default() {
    let outcome = pulse("default", DEFAULTS.first, DEFAULTS.second, 20.0);
    assert_eq!(
        outcome,
        sent(&[(0, r#"{"payload":"1"}"#), (20, r#"{"payload":"0"}"#)])
    );
}

#[test]
fn ignores_other_messages_while_triggered_unless_extended() {
    let config = TriggerConfig {
        duration_ms: 50.0,
        ..DEFAULTS
    };
    let inputs = [
        (0, r#"{"payload":null}"#),
        (10, r#"{"payload":null}"#),
        (30, r#"{"payload":null}"#),
    ];
    let outcome = run::<1>("ignores", config, &inputs, 100);
    assert_eq!(
        outcome,
        sent(&[(0, r#"{"payload":"1"}"#), (50, r#"{"payload":"0"}"#)])
    );
}

/// `msg.delay` is the time only where `overrideDelay` says so.
#[test]
fn uses_msg_delay_only_when_told() {
    for (case, override_delay, at) in [
        ("ignores msg.delay", false, 50),
        ("uses msg.delay", true, 300),
    ] {
        let config = TriggerConfig {
            duration_ms: 50.0,
            override_delay,
            ..DEFAULTS
        };
        let outcome = run::<1>(case, config, &[(0, r#"{"payload":null,"delay":300}"#)], 400);
        assert_eq!(
            outcome,
            sent(&[
                (0, r#"{"payload":"1","delay":300}"#),
                (at, r#"{"payload":"0","delay":300}"#)
            ]),
            "{case}"
        );
    }
}

/// "should handle true and false as strings": the old `val` type, which
/// the compiler reads as booleans.
#[test]
fn sends_booleans() {
    let (yes, no) = (ConstValue::Bool(true), ConstValue::Bool(false));
    let outcome = pulse("booleans", constant(yes), constant(no), 30.0);
    assert_eq!(
        outcome,
        sent(&[(0, r#"{"payload":true}"#), (30, r#"{"payload":false}"#)])
    );
}

const NUMBERS: TriggerConfig = TriggerConfig {
    first: constant(ConstValue::Number(1.0)),
    second: constant(ConstValue::Number(0.0)),
    duration_ms: 30.0,
    ..DEFAULTS
};

/// Messages of payload `n` whose property `key` is a topic, with when they
/// arrive or leave: `(at, n, topic)`.
fn by_key(key: &str, list: &[(u64, u8, &str)]) -> Vec<(u64, String)> {
    list.iter()
        .map(|(at, n, topic)| (*at, format!(r#"{{"payload":{n},"{key}":"{topic}"}}"#)))
        .collect()
}

/// Runs `NUMBERS` on payloads 1, 2, 3 of topics A, B, C in property `key`
/// at 0 ms, and whatever `more` adds.
fn abc<const T: usize>(
    case: &'static str,
    config: TriggerConfig,
    key: &str,
    more: &[(u64, u8, &str)],
) -> Outcome {
    let mut inputs = by_key(key, &[(0, 1, "A"), (0, 2, "B"), (0, 3, "C")]);
    inputs.extend(by_key(key, more));
    let inputs: Vec<(u64, &str)> = inputs.iter().map(|(at, msg)| (*at, msg.as_str())).collect();
    run::<T>(case, config, &inputs, 100)
}

/// What left, as `by_key` writes it.
fn left(key: &str, list: &[(u64, u8, &str)]) -> Vec<Sent> {
    by_key(key, list)
        .into_iter()
        .map(|(at, msg)| (at, 0, msg))
        .collect()
}

#[test]
fn takes_all_topics_as_one_unless_told() {
    let outcome = abc::<1>("all topics", NUMBERS, "topic", &[]);
    assert_eq!(outcome.sent, left("topic", &[(0, 1, "A"), (30, 0, "A")]));
}

/// Topics in `topic`, or in another property.
#[test]
fn handles_topics_one_by_one() {
    for (key, path) in [("topic", TOPIC), ("foo", FOO)] {
        let config = TriggerConfig {
            by_topic: Some(path),
            ..NUMBERS
        };
        let outcome = abc::<3>("by topic", config, key, &[]);
        let expected = left(
            key,
            &[
                (0, 1, "A"),
                (0, 1, "B"),
                (0, 1, "C"),
                (30, 0, "A"),
                (30, 0, "B"),
                (30, 0, "C"),
            ],
        );
        assert_eq!(
            outcome,
            Outcome {
                sent: expected,
                errors: Vec::new()
            },
            "{key}"
        );
    }
}

#[test]
fn extends_one_topic() {
    let config = TriggerConfig {
        by_topic: Some(TOPIC),
        extend: true,
        ..NUMBERS
    };
    let outcome = abc::<3>("extends one topic", config, "topic", &[(20, 2, "B")]);
    let expected = [
        (0, 1, "A"),
        (0, 1, "B"),
        (0, 1, "C"),
        (30, 0, "A"),
        (30, 0, "C"),
        (50, 0, "B"),
    ];
    assert_eq!(outcome.sent, left("topic", &expected));
}

/// Beyond Node-RED: a device keeps `T` topics, and a message of one more
/// is dropped and counted.
#[test]
fn counts_a_topic_that_finds_no_room() {
    let config = TriggerConfig {
        by_topic: Some(TOPIC),
        ..NUMBERS
    };
    let outcome = abc::<2>("no room", config, "topic", &[]);
    let expected = [(0, 1, "A"), (0, 1, "B"), (30, 0, "A"), (30, 0, "B")];
    assert_eq!(outcome.sent, left("topic", &expected));
    assert_eq!(outcome.errors, vec![(ErrorKind::QueueFull, 1)]);
}

#[test]
fn sends_nothing_first_or_second_when_told() {
    let (yes, no) = (ConstValue::Bool(true), ConstValue::Bool(false));
    let outcome = pulse("nothing first", TriggerValue::Nothing, constant(no), 30.0);
    assert_eq!(outcome, sent(&[(30, r#"{"payload":false}"#)]));
    let outcome = pulse("nothing second", constant(yes), TriggerValue::Nothing, 30.0);
    assert_eq!(outcome, sent(&[(0, r#"{"payload":true}"#)]));
}

/// "should be able to reset correctly having not output anything on second
/// edge": the time runs out silently, and the next message triggers again.
#[test]
fn triggers_again_after_a_silent_second() {
    let config = TriggerConfig {
        first: constant(ConstValue::Bool(true)),
        second: TriggerValue::Nothing,
        duration_ms: 100.0,
        ..DEFAULTS
    };
    let inputs = [
        (0, r#"{"payload":1,"topic":"pass"}"#),
        (50, r#"{"payload":2,"topic":"should-block"}"#),
        (200, r#"{"payload":3,"topic":"pass"}"#),
        (250, r#"{"payload":2,"topic":"should-block"}"#),
    ];
    let outcome = run::<1>("silent second", config, &inputs, 350);
    assert_eq!(
        outcome,
        sent(&[
            (0, r#"{"payload":true,"topic":"pass"}"#),
            (200, r#"{"payload":true,"topic":"pass"}"#)
        ])
    );
}

/// A `{{mustache}}` tag naming a message property, HTML-escaped as
/// mustache.js escapes `{{name}}`.
const fn tag(parts: &'static [&'static str]) -> Token {
    Token::Value {
        name: Name {
            parts,
            fallback: None,
            context: None,
        },
        escape: true,
    }
}

/// "should be able to apply mustache templates to payloads": `{{payload}}`
/// first and `{{topic}}` second, rendered from the message that triggers
/// the node (psosc reads the spec's flow into these tokens:
/// `lowering.rs`, `trigger_mustache_payloads_are_parsed_as_mustache_js_parses_them`).
#[test]
fn applies_mustache_templates_to_payloads() {
    const FIRST: &[Token] = &[tag(&["payload"])];
    const SECOND: &[Token] = &[tag(&["topic"])];
    let config = TriggerConfig {
        first: TriggerValue::Template(Mustache::new(FIRST)),
        second: TriggerValue::Template(Mustache::new(SECOND)),
        duration_ms: 50.0,
        ..DEFAULTS
    };
    let outcome = run::<1>(
        "mustache",
        config,
        &[(0, r#"{"payload":"Hello","topic":"World"}"#)],
        100,
    );
    assert_eq!(
        outcome,
        sent(&[
            (0, r#"{"payload":"Hello","topic":"World"}"#),
            (50, r#"{"payload":"World","topic":"World"}"#)
        ])
    );
}

/// The second payload is rendered when the node is triggered, from the
/// message as it came (before the first payload replaced its own): an
/// extending message keeps that text and gives the rest of the message,
/// as Node-RED's `m2` does. Values are escaped as mustache.js escapes
/// them.
#[test]
fn mustache_payloads_are_rendered_when_triggered() {
    const FIRST: &[Token] = &[tag(&["payload"]), Token::Text("!")];
    const SECOND: &[Token] = &[Token::Text("was "), tag(&["payload"]), tag(&["n"])];
    let config = TriggerConfig {
        first: TriggerValue::Template(Mustache::new(FIRST)),
        second: TriggerValue::Template(Mustache::new(SECOND)),
        duration_ms: 50.0,
        extend: true,
        ..DEFAULTS
    };
    let outcome = run::<1>(
        "mustache extended",
        config,
        &[
            (0, r#"{"payload":"<a&b>","n":1}"#),
            (30, r#"{"payload":"late","n":2}"#),
        ],
        200,
    );
    assert_eq!(
        outcome,
        sent(&[
            (0, r#"{"payload":"&lt;a&amp;b&gt;!","n":1}"#),
            (80, r#"{"payload":"was &lt;a&amp;b&gt;1","n":2}"#)
        ])
    );
}

/// A `date` second payload is read when the node is triggered (Node-RED's
/// `m2`) and again when its time ends, but an extended time ends with the
/// one read when the node was triggered: Node-RED's extending timeout reads
/// only `flow` and `global` payloads again.
#[test]
fn an_extended_date_is_the_time_the_node_was_triggered() {
    let iso = TriggerValue::Set(InjectValue::IsoDate(psos::IsoText::UTC));
    let milliseconds = TriggerValue::Set(InjectValue::Timestamp);
    let config = |second, extend| TriggerConfig {
        first: TriggerValue::Nothing,
        second,
        duration_ms: 50.0,
        extend,
        ..DEFAULTS
    };
    let inputs = [(10, r#"{"payload":1}"#), (30, r#"{"payload":2,"n":2}"#)];
    let first_time = format!(r#"{{"payload":{},"n":2}}"#, EPOCH_MS + 10);
    #[rustfmt::skip]
    let cases = [
        ("extended iso", config(iso, true), vec![(80, r#"{"payload":"2023-11-14T22:13:20.010Z","n":2}"#)]),
        ("extended date", config(milliseconds, true), vec![(80, first_time.as_str())]),
        // Not extended, the time is read as it ends.
        ("iso", config(iso, false), vec![(60, r#"{"payload":"2023-11-14T22:13:20.060Z"}"#)]),
    ];
    for (case, config, expected) in cases {
        let outcome = run::<1>(case, config, &inputs, 200);
        assert_eq!(outcome, sent(&expected), "{case}");
    }
}

/// `extend`: a message while triggered starts the time again; the second
/// message is made of it (or, with `payl`, is it).
#[test]
fn extends_the_delay() {
    let extended = |first, second, duration_ms| TriggerConfig {
        first,
        second,
        duration_ms,
        extend: true,
        ..DEFAULTS
    };
    let (nothing, latest) = (TriggerValue::Nothing, TriggerValue::LatestPayload);
    #[rustfmt::skip]
    let cases: [Case; 3] = [
        ("extends", extended(text("foo"), text("bar"), 100.0), vec![
            (0, r#"{"payload":"Hello"}"#),
            (50, r#"{"payload":null}"#),
        ], vec![
            (0, r#"{"payload":"foo"}"#),
            (150, r#"{"payload":"bar"}"#),
        ]),
        ("extends silently", extended(TriggerValue::Payload, nothing, 200.0), vec![
            (0, r#"{"payload":"Hello"}"#),
            (50, r#"{"payload":"Error"}"#),
            (100, r#"{"payload":"Error"}"#),
            (330, r#"{"payload":"World"}"#),
        ], vec![
            (0, r#"{"payload":"Hello"}"#),
            (330, r#"{"payload":"World"}"#),
        ]),
        ("extends latest", extended(nothing, latest, 60.0), vec![
            (0, r#"{"payload":"Hello"}"#),
            (40, r#"{"payload":"Goodbye"}"#),
            (80, r#"{"payload":"World"}"#),
        ], vec![
            (140, r#"{"payload":"World"}"#),
        ]),
    ];
    for (case, config, inputs, expected) in cases {
        let outcome = run::<1>(case, config, &inputs, 400);
        assert_eq!(outcome, sent(&expected), "{case}");
    }
}

const LATEST: TriggerConfig = TriggerConfig {
    first: TriggerValue::Nothing,
    second: TriggerValue::LatestPayload,
    ..DEFAULTS
};

/// `payl`: the latest message (of its topic) leaves second, as it came.
#[test]
fn sends_the_latest_message_second() {
    let all = TriggerConfig {
        duration_ms: 50.0,
        ..LATEST
    };
    let by_topic = TriggerConfig {
        duration_ms: 80.0,
        by_topic: Some(TOPIC),
        ..LATEST
    };
    #[rustfmt::skip]
    let cases: [Case; 2] = [
        ("latest", all, vec![
            (0, r#"{"payload":"Hello","topic":"test1"}"#),
            (20, r#"{"payload":"Goodbye","topic":"test2"}"#),
            (80, r#"{"payload":"World","topic":"test3"}"#),
        ], vec![
            (50, r#"{"payload":"Goodbye","topic":"test2"}"#),
            (130, r#"{"payload":"World","topic":"test3"}"#),
        ]),
        ("latest by topic", by_topic, vec![
            (0, r#"{"payload":"Hello1","topic":"test1"}"#),
            (20, r#"{"payload":"Hello2","topic":"test2"}"#),
            (20, r#"{"payload":"Goodbye2","topic":"test2"}"#),
            (20, r#"{"payload":"Goodbye1","topic":"test1"}"#),
        ], vec![
            (80, r#"{"payload":"Goodbye1","topic":"test1"}"#),
            (100, r#"{"payload":"Goodbye2","topic":"test2"}"#),
        ]),
    ];
    for (case, config, inputs, expected) in cases {
        let outcome = run::<2>(case, config, &inputs, 300);
        assert_eq!(outcome, sent(&expected), "{case}");
    }
}

#[test]
fn sends_the_second_message_on_the_second_output() {
    let config = TriggerConfig {
        first: text("hello"),
        second: text("world"),
        duration_ms: 50.0,
        second_output: true,
        ..DEFAULTS
    };
    let outcome = run::<1>(
        "second output",
        config,
        &[(0, r#"{"payload":"go","topic":"test"}"#)],
        100,
    );
    assert_eq!(
        outcome.sent,
        vec![
            (0, 0, r#"{"payload":"hello","topic":"test"}"#.to_string()),
            (50, 1, r#"{"payload":"world","topic":"test"}"#.to_string())
        ]
    );
}

/// The old `val` type reads `"null"` as null; `pay` sends the payload the
/// node was triggered with.
#[test]
fn sends_null_and_the_original_payload() {
    let null = constant(ConstValue::Null);
    for (case, second, input, expected) in [
        (
            "null then original",
            TriggerValue::Payload,
            r#""World""#,
            r#""World""#,
        ),
        ("null then null", null, r#""null""#, "null"),
    ] {
        let config = TriggerConfig {
            first: null,
            second,
            duration_ms: 40.0,
            ..DEFAULTS
        };
        let input = format!(r#"{{"payload":{input}}}"#);
        let outcome = run::<1>(case, config, &[(0, &input)], 100);
        let expected = format!(r#"{{"payload":{expected}}}"#);
        assert_eq!(
            outcome,
            sent(&[(0, r#"{"payload":null}"#), (40, &expected)]),
            "{case}"
        );
    }
}

/// A time of 0 waits for a reset: `msg.reset`, or a payload that reads as
/// the `reset` text.
#[test]
fn waits_for_a_reset() {
    let cases: [(&str, Option<&'static str>, &str, &str); 4] = [
        (
            "msg.reset",
            None,
            r#"{"payload":"foo"}"#,
            r#"{"reset":true}"#,
        ),
        (
            "boo",
            Some("boo"),
            r#"{"payload":"foo"}"#,
            r#"{"payload":"boo"}"#,
        ),
        (
            "true",
            Some("true"),
            r#"{"payload":false}"#,
            r#"{"payload":true}"#,
        ),
        (
            "false",
            Some("false"),
            r#"{"payload":"foo"}"#,
            r#"{"payload":false}"#,
        ),
    ];
    for (case, reset, keeps, resets) in cases {
        let config = TriggerConfig {
            duration_ms: 0.0,
            reset,
            ..DEFAULTS
        };
        let inputs = [
            (0, r#"{"payload":null}"#),
            (0, r#"{"payload":null}"#),
            (0, r#"{"payload":null}"#),
            (0, keeps),
            (0, resets),
            (0, r#"{"payload":null}"#),
        ];
        let outcome = run::<1>(case, config, &inputs, 50);
        assert_eq!(
            outcome,
            sent(&[(0, r#"{"payload":"1"}"#), (0, r#"{"payload":"1"}"#)]),
            "{case}"
        );
    }
}

/// A negative time repeats the first message until a reset.
#[test]
fn repeats_until_reset() {
    let config = TriggerConfig {
        first: TriggerValue::Payload,
        duration_ms: 25.0,
        repeat: true,
        reset: Some("boo"),
        ..DEFAULTS
    };
    let inputs = [
        (0, r#"{"payload":"foo"}"#),
        (0, r#"{"payload":"foo"}"#),
        (90, r#"{"reset":true}"#),
    ];
    let outcome = run::<1>("repeats", config, &inputs, 180);
    let foo = r#"{"payload":"foo"}"#;
    assert_eq!(
        outcome,
        sent(&[(0, foo), (0, foo), (25, foo), (50, foo), (75, foo)])
    );
}

/// A flow or global value, as psosc reads `op1`/`op2` of that type.
const fn context(scope: Scope, key: &'static [PathSegment<'static>]) -> TriggerValue {
    TriggerValue::Set(InjectValue::Context(Property { scope, path: key }))
}

const BAR: &[PathSegment<'static>] = &[PathSegment::Key("bar")];

const VAL: &[PathSegment<'static>] = &[PathSegment::Key("val")];

/// The numbers psosc gives the store names `memory1` and `memory2` of a
/// flow that names them in that order.
const MEMORY1: u16 = 0;
const MEMORY2: u16 = 1;

/// The spec's five cases of flow and global context: the first payload
/// from the store of `op1`, the second, 20 ms later, from that of `op2`.
/// "should be able to return things from flow and global context
/// variables" reads the default stores (its stub gives each key's name as
/// its value: here the stores hold them); the other four read stores its
/// settings configure (`memory1`, `memory2`), as psosc reads
/// `#:(memory1)::foo` of type `flow`: the key `foo` of the flow store
/// `memory1`, a store of its own beside the default one. Every store the
/// node has holds the key, the others with other values, which must not
/// be read.
#[test]
fn returns_things_from_flow_and_global_context() {
    type Op = (Scope, &'static [PathSegment<'static>]);
    #[rustfmt::skip]
    let cases: [(&str, Op, Op); 5] = [
        ("should be able to return things from flow and global context variables",
            (Scope::Flow, FOO), (Scope::Global, BAR)),
        ("should be able to return things from persistable flow and global context variables",
            (Scope::FlowStore(MEMORY1), FOO), (Scope::GlobalStore(MEMORY1), BAR)),
        ("should be able to return things from multiple persistable global context variables",
            (Scope::GlobalStore(MEMORY1), VAL), (Scope::GlobalStore(MEMORY2), VAL)),
        ("should be able to return things from multiple persistable flow context variables",
            (Scope::FlowStore(MEMORY1), VAL), (Scope::FlowStore(MEMORY2), VAL)),
        ("should be able to return things from multiple persistable flow & global context variables",
            (Scope::FlowStore(MEMORY1), VAL), (Scope::GlobalStore(MEMORY2), VAL)),
    ];
    let setup = Device::new("trigger context setup", "conformance");
    let store = |scope: Scope, (first_scope, first_key): Op, (second_scope, second_key): Op| {
        let context: &'static Context<64> = Box::leak(Box::new(Context::new()));
        let filled = context.with(&setup, |store| {
            let ops = [
                (first_key, "foo", first_scope),
                (second_key, "bar", second_scope),
            ];
            for (key, _, _) in ops {
                store.set(key, &psos::encoding::Str("other"))?;
            }
            for (key, value, wanted) in ops {
                if scope == wanted {
                    store.set(key, &psos::encoding::Str(value))?;
                }
            }
            Ok::<(), psos::MsgError>(())
        });
        assert!(matches!(filled, Some(Ok(()))));
        context
    };
    for (case, first, second) in cases {
        let named: Vec<NamedStore<64>> = [first.0, second.0]
            .into_iter()
            .filter(|scope| matches!(scope, Scope::FlowStore(_) | Scope::GlobalStore(_)))
            .map(|scope| NamedStore {
                scope,
                context: store(scope, first, second),
            })
            .collect();
        let stores = Stores::new(
            Some(store(Scope::Flow, first, second)),
            Some(store(Scope::Global, first, second)),
        )
        .with_named(Box::leak(named.into_boxed_slice()));
        let config = TriggerConfig {
            first: context(first.0, first.1),
            second: context(second.0, second.1),
            duration_ms: 20.0,
            ..DEFAULTS
        };
        let node = Trigger::<CAPACITY, 1, 64>::with_context(
            NodeInfo::new(case, "", "trigger"),
            config,
            stores,
        );
        let outcome = run_node(
            case,
            node,
            &[(0, r#"{"payload":null}"#)],
            100,
            &mut |_, _| {},
        );
        assert_eq!(
            outcome,
            sent(&[(0, r#"{"payload":"foo"}"#), (20, r#"{"payload":"bar"}"#)]),
            "{case}"
        );
    }
}

/// As Node-RED reads them, the first payload is the value when the node is
/// triggered and the second the value when it is due: a change in between
/// is seen by the second only. A key not set leaves the message without a
/// payload (`msg.payload = undefined`).
#[test]
fn context_payloads_are_read_when_they_leave() {
    static FLOW: Context<64> = Context::new();
    let config = TriggerConfig {
        first: context(Scope::Flow, FOO),
        second: context(Scope::Flow, FOO),
        duration_ms: 20.0,
        ..DEFAULTS
    };
    let case = "context payloads are read when they leave";
    let node = Trigger::<CAPACITY, 1, 64>::with_context(
        NodeInfo::new(case, "", "trigger"),
        config,
        Stores::new(Some(&FLOW), None),
    );
    let mut set_foo = |uptime_ms: u64, device: &Device| {
        let value = match uptime_ms {
            5 => 1.0,
            10 => 2.0,
            _ => return,
        };
        FLOW.with(device, |store| store.set_property("foo", &value));
    };
    let outcome = run_node(
        case,
        node,
        &[
            (0, r#"{"payload":"a","topic":"t"}"#),
            (10, r#"{"payload":"b"}"#),
            (40, r#"{"payload":"c"}"#),
        ],
        100,
        &mut set_foo,
    );
    assert_eq!(
        outcome,
        sent(&[
            // foo not set yet: no payload.
            (0, r#"{"topic":"t"}"#),
            // Set to 1, then 2 at 10 ms (a message then is ignored, the
            // node being triggered).
            (20, r#"{"payload":2,"topic":"t"}"#),
            (40, r#"{"payload":2}"#),
            (60, r#"{"payload":2}"#),
        ]),
        "{case}"
    );
}

/// Gives each message to a node that waits a second, at the clock's start,
/// as psosc runs a node a complete node watches (`Watched` outputs, then
/// `completed`; Node-RED's trigger calls `done()` once for each message it
/// handles): what it sends on port 0, and what the complete node is given
/// on port 1.
fn run_watched(case: &'static str, inputs: &[&str]) -> Vec<(usize, String)> {
    let source = NodeInfo::new("triggerNode1", "", "trigger");
    let config = TriggerConfig {
        duration_ms: 1000.0,
        ..DEFAULTS
    };
    let mut node = Trigger::<CAPACITY, 4>::new(source, config);
    let device = Device::new(case, "conformance");
    let start = Now {
        uptime_ms: 0,
        date_ms: EPOCH_MS,
    };
    let mut sent = Vec::new();
    for text in inputs {
        let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes())
            .unwrap_or_else(|error| panic!("{case}: {text} does not read: {error}"));
        let mut watched = Watched::new(|port: usize, msg: &mut Msg<CAPACITY>| {
            sent.push((port, format!("{msg:?}")));
        });
        node.input_at(start, &device, &mut msg, &mut watched);
        let done = watched.done(Done::Always);
        if done {
            completed(&device, &source, &msg, |message| {
                sent.push((1, format!("{message:?}")));
            });
        }
    }
    sent
}

/// What a complete node watching `triggerNode1` adds to a message.
const FROM_TRIGGER: &str = r#""complete":{"source":{"id":"triggerNode1","type":"trigger"}}"#;

#[test]
fn should_call_done_when_first_message_has_been_processed() {
    // Done with as the node left it, with its first payload; a message it
    // blocks (within the second) is done with as it came.
    assert_eq!(
        run_watched(
            "trigger_done_first",
            &[r#"{"seq":0,"payload":"A"}"#, r#"{"payload":"B"}"#]
        ),
        [
            (0, r#"{"seq":0,"payload":"1"}"#.to_string()),
            (1, format!(r#"{{"seq":0,"payload":"1",{FROM_TRIGGER}}}"#)),
            (1, format!(r#"{{"payload":"B",{FROM_TRIGGER}}}"#)),
        ]
    );
}

#[test]
fn should_call_done_when_it_receives_reset_message() {
    assert_eq!(
        run_watched(
            "trigger_done_reset",
            &[r#"{"seq":0,"payload":"A","reset":true}"#]
        ),
        [(
            1,
            format!(r#"{{"seq":0,"payload":"A","reset":true,{FROM_TRIGGER}}}"#)
        )]
    );
}
