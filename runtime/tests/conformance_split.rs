//! Node-RED's `split` and `join` nodes, held to Node-RED's own tests: the
//! cases of `test/nodes/core/sequence/17-split_spec.js` (Node-RED 4.x) as
//! data. Each case gives the messages that arrive, when (ms), and the
//! messages that leave, compared whole as JSON without `msg.parts.id`
//! (random in Node-RED; `split_ids_tell_groups_apart` checks the device's).
//!
//! The spec's count, and which cases are here, is in docs/conformance.md.

use psos::nodes::{
    CustomJoin, Finishing, Join, JoinBuild, JoinMode, Joiner, Kept, Split, SplitAt, SplitConfig,
    Watched,
};
use psos::{ConstValue, Device, ErrorKind, ErrorMessage, Msg, Node, NodeInfo, PathSegment};

const CAPACITY: usize = 512;

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];
const TOPIC: &[PathSegment<'static>] = &[PathSegment::Key("topic")];
const FOO: &[PathSegment<'static>] = &[PathSegment::Key("foo")];
const FOO_BAR: &[PathSegment<'static>] = &[PathSegment::Key("foo"), PathSegment::Key("bar")];

/// What a node did: each message it sent (without `msg.parts.id`), the
/// errors its device counted.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    sent: Vec<String>,
    errors: Vec<(ErrorKind, u32)>,
}

fn outcome(sent: &[&str]) -> Outcome {
    Outcome {
        sent: sent.iter().map(|msg| msg.to_string()).collect(),
        errors: Vec::new(),
    }
}

fn without_ids(mut msg: Msg<CAPACITY>) -> String {
    msg.remove(&[PathSegment::Key("parts"), PathSegment::Key("id")]);
    msg.remove(&[
        PathSegment::Key("parts"),
        PathSegment::Key("parts"),
        PathSegment::Key("id"),
    ]);
    format!("{msg:?}")
}

fn read(case: &str, text: &str) -> Msg<CAPACITY> {
    Msg::<CAPACITY>::from_json(text.as_bytes())
        .unwrap_or_else(|error| panic!("{case}: the input {text} does not read: {error}"))
}

fn errors(device: &Device) -> Vec<(ErrorKind, u32)> {
    device.errors_seen().collect()
}

/// Node-RED's split defaults: text at new lines, arrays item by item.
const SPLIT: SplitConfig = SplitConfig {
    at: SplitAt::Text("\n"),
    array_length: 1,
    stream: false,
    key_to: None,
    path: PAYLOAD,
    property: None,
};

/// Gives each message to a split node and records what it sends.
fn split(case: &'static str, config: SplitConfig, inputs: &[&str]) -> Outcome {
    let device = Device::new(case, "conformance");
    let mut node = Split::<CAPACITY, CAPACITY>::new(NodeInfo::new(case, "", "split"), config);
    let mut sent = Vec::new();
    for text in inputs {
        let mut msg = read(case, text);
        node.input(
            &device,
            &mut msg,
            &mut |_port: usize, msg: &mut Msg<CAPACITY>| sent.push(without_ids(msg.clone())),
        );
    }
    Outcome {
        sent,
        errors: errors(&device),
    }
}

#[test]
fn split_cases() {
    let cases: &[(&str, SplitConfig, &[&str], &[&str])] = &[
        (
            "should split an array into multiple messages",
            SPLIT,
            &[r#"{"payload":[1,2,3,4]}"#],
            &[
                r#"{"payload":1,"parts":{"type":"array","count":4,"len":1,"index":0}}"#,
                r#"{"payload":2,"parts":{"type":"array","count":4,"len":1,"index":1}}"#,
                r#"{"payload":3,"parts":{"type":"array","count":4,"len":1,"index":2}}"#,
                r#"{"payload":4,"parts":{"type":"array","count":4,"len":1,"index":3}}"#,
            ],
        ),
        (
            "should split an array on a sub-property into multiple messages",
            SplitConfig {
                path: FOO,
                property: Some("foo"),
                ..SPLIT
            },
            &[r#"{"foo":[1,2]}"#],
            &[
                r#"{"foo":1,"parts":{"property":"foo","type":"array","count":2,"len":1,"index":0}}"#,
                r#"{"foo":2,"parts":{"property":"foo","type":"array","count":2,"len":1,"index":1}}"#,
            ],
        ),
        (
            "should split an array into multiple messages of a specified size",
            SplitConfig {
                array_length: 3,
                ..SPLIT
            },
            &[r#"{"payload":[1,2,3,4]}"#],
            &[
                r#"{"payload":[1,2,3],"parts":{"type":"array","count":2,"len":3,"index":0}}"#,
                r#"{"payload":[4],"parts":{"type":"array","count":2,"len":3,"index":1}}"#,
            ],
        ),
        (
            "should split an object into pieces",
            SPLIT,
            &[r#"{"topic":"foo","payload":{"a":1,"b":"2","c":true}}"#],
            &[
                r#"{"topic":"foo","payload":1,"parts":{"type":"object","key":"a","index":0,"count":3}}"#,
                r#"{"topic":"foo","payload":"2","parts":{"type":"object","key":"b","index":1,"count":3}}"#,
                r#"{"topic":"foo","payload":true,"parts":{"type":"object","key":"c","index":2,"count":3}}"#,
            ],
        ),
        (
            "should split an object sub property into pieces",
            SplitConfig {
                path: FOO_BAR,
                property: Some("foo.bar"),
                ..SPLIT
            },
            &[r#"{"topic":"foo","foo":{"bar":{"a":1,"b":"2"}}}"#],
            &[
                r#"{"topic":"foo","foo":{"bar":1},"parts":{"property":"foo.bar","type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"topic":"foo","foo":{"bar":"2"},"parts":{"property":"foo.bar","type":"object","key":"b","index":1,"count":2}}"#,
            ],
        ),
        (
            "should split an object into pieces and overwrite their topics",
            SplitConfig {
                key_to: Some(TOPIC),
                ..SPLIT
            },
            &[r#"{"topic":"foo","payload":{"a":1,"b":"2"}}"#],
            &[
                r#"{"topic":"a","payload":1,"parts":{"type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"topic":"b","payload":"2","parts":{"type":"object","key":"b","index":1,"count":2}}"#,
            ],
        ),
        (
            "should split a string into new-lines",
            SPLIT,
            &[r#"{"payload":"Da\nve\n \nCJ"}"#],
            &[
                r#"{"payload":"Da","parts":{"type":"string","ch":"\n","index":0,"count":4}}"#,
                r#"{"payload":"ve","parts":{"type":"string","ch":"\n","index":1,"count":4}}"#,
                r#"{"payload":" ","parts":{"type":"string","ch":"\n","index":2,"count":4}}"#,
                r#"{"payload":"CJ","parts":{"type":"string","ch":"\n","index":3,"count":4}}"#,
            ],
        ),
        (
            "should split a string on a specified char",
            SplitConfig {
                at: SplitAt::Text("\n"),
                ..SPLIT
            },
            &[r#"{"payload":"1\n2\n3"}"#],
            &[
                r#"{"payload":"1","parts":{"type":"string","ch":"\n","index":0,"count":3}}"#,
                r#"{"payload":"2","parts":{"type":"string","ch":"\n","index":1,"count":3}}"#,
                r#"{"payload":"3","parts":{"type":"string","ch":"\n","index":2,"count":3}}"#,
            ],
        ),
        (
            "should ceil count value when msg.payload type is Buffer",
            SplitConfig {
                at: SplitAt::Length(2),
                ..SPLIT
            },
            &[r#"{"payload":{"type":"Buffer","data":[49,50,51]}}"#],
            &[
                r#"{"payload":{"type":"Buffer","data":[49,50]},"parts":{"type":"buffer","count":2,"len":2,"index":0}}"#,
                r#"{"payload":{"type":"Buffer","data":[51]},"parts":{"type":"buffer","count":2,"len":2,"index":1}}"#,
            ],
        ),
        (
            "should split a string into lengths",
            SplitConfig {
                at: SplitAt::Length(2),
                ..SPLIT
            },
            &[r#"{"payload":"123456"}"#],
            &[
                r#"{"payload":"12","parts":{"type":"string","ch":"","len":2,"count":3,"index":0}}"#,
                r#"{"payload":"34","parts":{"type":"string","ch":"","len":2,"count":3,"index":1}}"#,
                r#"{"payload":"56","parts":{"type":"string","ch":"","len":2,"count":3,"index":2}}"#,
            ],
        ),
        (
            "should split a string on a specified char in stream mode",
            SplitConfig {
                stream: true,
                ..SPLIT
            },
            &[r#"{"payload":"1\n2\n3"}"#, r#"{"payload":"4\n5\n"}"#],
            &[
                r#"{"payload":"1","parts":{"type":"string","ch":"\n","index":0}}"#,
                r#"{"payload":"2","parts":{"type":"string","ch":"\n","index":1}}"#,
                r#"{"payload":"34","parts":{"type":"string","ch":"\n","index":2}}"#,
                r#"{"payload":"5","parts":{"type":"string","ch":"\n","index":3}}"#,
            ],
        ),
        (
            "should split a buffer into lengths",
            SplitConfig {
                at: SplitAt::Length(2),
                ..SPLIT
            },
            &[r#"{"payload":{"type":"Buffer","data":[49,50,51,52]}}"#],
            &[
                r#"{"payload":{"type":"Buffer","data":[49,50]},"parts":{"type":"buffer","count":2,"len":2,"index":0}}"#,
                r#"{"payload":{"type":"Buffer","data":[51,52]},"parts":{"type":"buffer","count":2,"len":2,"index":1}}"#,
            ],
        ),
        (
            "should split a buffer on another buffer (streaming)",
            SplitConfig {
                at: SplitAt::Bytes {
                    bytes: b"4",
                    text: "4",
                    array: ConstValue::Array(&[ConstValue::Number(52.0)]),
                },
                stream: true,
                ..SPLIT
            },
            &[
                r#"{"payload":{"type":"Buffer","data":[49,50,51,52,49,50]}}"#,
                r#"{"payload":{"type":"Buffer","data":[51,52,49]}}"#,
            ],
            &[
                r#"{"payload":{"type":"Buffer","data":[49,50,51]},"parts":{"type":"buffer","ch":[52],"index":0}}"#,
                r#"{"payload":{"type":"Buffer","data":[49,50,51]},"parts":{"type":"buffer","ch":[52],"index":1}}"#,
            ],
        ),
        (
            "should ceil count value when msg.payload type is string",
            SplitConfig {
                at: SplitAt::Length(2),
                ..SPLIT
            },
            &[r#"{"payload":"123"}"#],
            &[
                r#"{"payload":"12","parts":{"type":"string","ch":"","len":2,"count":2,"index":0}}"#,
                r#"{"payload":"3","parts":{"type":"string","ch":"","len":2,"count":2,"index":1}}"#,
            ],
        ),
        (
            "should handle spltBufferString value of undefined",
            SplitConfig {
                at: SplitAt::Bytes {
                    bytes: b"4",
                    text: "4",
                    array: ConstValue::Array(&[ConstValue::Number(52.0)]),
                },
                ..SPLIT
            },
            &[r#"{"payload":"123"}"#],
            &[r#"{"payload":"123","parts":{"type":"string","ch":[52],"index":0,"count":1}}"#],
        ),
        (
            "should set msg.parts.ch when node.spltType is str",
            SplitConfig {
                at: SplitAt::Text("2"),
                ..SPLIT
            },
            &[r#"{"payload":{"type":"Buffer","data":[49,50,51]}}"#],
            &[
                r#"{"payload":{"type":"Buffer","data":[49]},"parts":{"type":"buffer","ch":"2","count":2,"index":0}}"#,
                r#"{"payload":{"type":"Buffer","data":[51]},"parts":{"type":"buffer","ch":"2","count":2,"index":1}}"#,
            ],
        ),
        (
            // Not in the spec: a message's own parts are pushed down.
            "existing parts are kept below the new ones",
            SPLIT,
            &[r#"{"payload":"a\nb","parts":{"id":"x","index":1}}"#],
            &[
                r#"{"payload":"a","parts":{"parts":{"index":1},"type":"string","ch":"\n","index":0,"count":2}}"#,
                r#"{"payload":"b","parts":{"parts":{"index":1},"type":"string","ch":"\n","index":1,"count":2}}"#,
            ],
        ),
        (
            // Not in the spec: what is neither text, buffer, array nor
            // object, and a missing property, are dropped.
            "other values are dropped",
            SPLIT,
            &[
                r#"{"payload":1}"#,
                r#"{"payload":null}"#,
                r#"{"topic":"t"}"#,
            ],
            &[],
        ),
    ];
    for (case, config, inputs, expected) in cases {
        assert_eq!(split(case, *config, inputs), outcome(expected), "{case}");
    }
}

/// The pieces of one message share an id; the next message's differ.
#[test]
fn split_ids_tell_groups_apart() {
    let device = Device::new("ids", "conformance");
    let mut node = Split::<CAPACITY, 0>::new(NodeInfo::new("ids", "", "split"), SPLIT);
    let mut ids = Vec::new();
    for text in [r#"{"payload":"a\nb"}"#, r#"{"payload":"c\nd"}"#] {
        let mut msg = read("ids", text);
        node.input(
            &device,
            &mut msg,
            &mut |_: usize, msg: &mut Msg<CAPACITY>| {
                let id = msg.get(&[PathSegment::Key("parts"), PathSegment::Key("id")]);
                ids.push(format!("{:?}", id));
            },
        );
    }
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[2], ids[3]);
    assert_ne!(ids[0], ids[2]);
    assert_eq!(
        ids[0].len(),
        r#"Some(Str("0123456789abcdef"))"#.len(),
        "{}",
        ids[0]
    );
}

/// A join in `custom` mode with Node-RED's defaults: an array of
/// payloads, no count, no time.
const CUSTOM: CustomJoin = CustomJoin {
    build: JoinBuild::Array,
    path: Some(PAYLOAD),
    key: TOPIC,
    key_name: "topic",
    joiner: Joiner::Text("\n"),
    count: 0,
    count_from_parts: false,
    timeout_ms: 0.0,
    accumulate: false,
    use_parts: true,
};

/// Gives each message to a join node at its time, ticking the clock each
/// millisecond up to the last input plus `after` ms.
fn join(case: &'static str, mode: JoinMode, inputs: &[(u64, &str)], after: u64) -> Outcome {
    let device = Device::new(case, "conformance");
    let mut node = Join::<CAPACITY, 4, 512>::new(NodeInfo::new(case, "", "join"), mode);
    let mut sent = Vec::new();
    let until = inputs.last().map_or(0, |(at, _)| *at) + after;
    let mut pending = inputs.iter().peekable();
    for now in 0..=until {
        let mut record =
            |_port: usize, msg: &mut Msg<CAPACITY>| sent.push(without_ids(msg.clone()));
        while let Some((_, text)) = pending.next_if(|(at, _)| *at == now) {
            let mut msg = read(case, text);
            node.input_at(now, &device, &mut msg, &mut record);
        }
        node.tick_at(now, &device, &mut record);
    }
    Outcome {
        sent,
        errors: errors(&device),
    }
}

/// A join case: its name, the node's mode, the messages that arrive and
/// when (ms), the messages that leave.
type JoinCase = (
    &'static str,
    JoinMode,
    Vec<(u64, &'static str)>,
    &'static [&'static str],
);

/// Messages that all arrive at 0 ms.
fn at_once<'a>(inputs: &[&'a str]) -> Vec<(u64, &'a str)> {
    inputs.iter().map(|text| (0, *text)).collect()
}

#[test]
fn join_cases() {
    let auto = JoinMode::Auto;
    let custom = |custom: CustomJoin| JoinMode::Custom(custom);
    let cases: Vec<JoinCase> = vec![
        (
            "should join bits of string back together automatically",
            auto,
            at_once(&[
                r#"{"payload":"A","parts":{"id":1,"type":"string","ch":",","index":0,"count":3}}"#,
                r#"{"payload":"B","parts":{"id":1,"type":"string","ch":",","index":1,"count":3}}"#,
                r#"{"payload":"C","parts":{"id":1,"type":"string","ch":",","index":2,"count":3}}"#,
            ]),
            &[r#"{"payload":"A,B,C"}"#],
        ),
        (
            "should join bits of buffer back together automatically",
            auto,
            at_once(&[
                r#"{"payload":{"type":"Buffer","data":[65]},"parts":{"id":1,"type":"buffer","ch":{"type":"Buffer","data":[45]},"index":0,"count":2}}"#,
                r#"{"payload":{"type":"Buffer","data":[66]},"parts":{"id":1,"type":"buffer","ch":{"type":"Buffer","data":[45]},"index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":{"type":"Buffer","data":[65,45,66]}}"#],
        ),
        (
            "should join things into an array after a count",
            custom(CustomJoin { count: 3, ..CUSTOM }),
            at_once(&[r#"{"payload":1}"#, r#"{"payload":true}"#, r#"{"payload":{"a":1}}"#]),
            &[r#"{"payload":[1,true,{"a":1}]}"#],
        ),
        (
            "should join things into an array ignoring msg.parts.index in manual mode",
            custom(CustomJoin { count: 3, ..CUSTOM }),
            at_once(&[
                r#"{"payload":1,"parts":{"index":3}}"#,
                r#"{"payload":true,"parts":{"index":0}}"#,
                r#"{"payload":{"a":1},"parts":{"index":9}}"#,
            ]),
            &[r#"{"payload":[1,true,{"a":1}]}"#],
        ),
        (
            "should join things into an array on a sub property in auto mode",
            auto,
            at_once(&[
                r#"{"foo":{"bar":"A"},"parts":{"id":1,"type":"array","len":1,"index":0,"count":2,"property":"foo.bar"}}"#,
                r#"{"foo":{"bar":"B"},"parts":{"id":1,"type":"array","len":1,"index":1,"count":2,"property":"foo.bar"}}"#,
            ]),
            &[r#"{"foo":{"bar":["A","B"]}}"#],
        ),
        (
            "should join strings into a buffer after a count",
            custom(CustomJoin {
                count: 2,
                build: JoinBuild::Buffer,
                joiner: Joiner::Bytes(b""),
                ..CUSTOM
            }),
            at_once(&[r#"{"payload":"hello"}"#, r#"{"payload":"world"}"#]),
            &[r#"{"payload":{"type":"Buffer","data":[104,101,108,108,111,119,111,114,108,100]}}"#],
        ),
        (
            "should join things into an object after a count",
            custom(CustomJoin {
                count: 4,
                build: JoinBuild::Object,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":1,"topic":"a"}"#,
                r#"{"payload":"2","topic":"b"}"#,
                r#"{"payload":{"e":5},"topic":"d"}"#,
                r#"{"payload":{"e":7},"topic":"d"}"#,
                r#"{"payload":true,"topic":"c"}"#,
            ]),
            &[r#"{"payload":{"a":1,"b":"2","d":{"e":7},"c":true},"topic":"c"}"#],
        ),
        (
            "should merge objects",
            custom(CustomJoin {
                count: 3,
                build: JoinBuild::Merged,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":{"a":1}}"#,
                r#"{"payload":{"b":2}}"#,
                r#"{"payload":{"a":3,"c":4}}"#,
            ]),
            &[r#"{"payload":{"a":3,"b":2,"c":4}}"#],
        ),
        (
            // As the spec's "should accumulate a merged object", shorter.
            "accumulates a merged object",
            custom(CustomJoin {
                count: 2,
                build: JoinBuild::Merged,
                accumulate: true,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":{"a":1}}"#,
                r#"{"payload":{"b":2}}"#,
                r#"{"payload":{"c":3}}"#,
            ]),
            &[
                r#"{"payload":{"a":1,"b":2}}"#,
                r#"{"payload":{"a":1,"b":2,"c":3}}"#,
            ],
        ),
        (
            // As the spec's "should be able to reset an accumulation",
            // with `msg.complete` ending the first group.
            "reset ends an accumulation",
            custom(CustomJoin {
                build: JoinBuild::Merged,
                accumulate: true,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":{"a":1}}"#,
                r#"{"payload":{"b":2},"complete":true}"#,
                r#"{"payload":{"c":3}}"#,
                r#"{"reset":true}"#,
                r#"{"payload":{"d":4},"complete":true}"#,
            ]),
            &[
                r#"{"payload":{"a":1,"b":2}}"#,
                r#"{"payload":{"d":4}}"#,
            ],
        ),
        (
            "should join strings with a specifed character after a timeout",
            custom(CustomJoin {
                build: JoinBuild::String,
                joiner: Joiner::Text(","),
                timeout_ms: 50.0,
                ..CUSTOM
            }),
            vec![(0, r#"{"payload":"a"}"#), (10, r#"{"payload":"b"}"#), (20, r#"{"payload":"c"}"#)],
            &[r#"{"payload":"a,b,c"}"#],
        ),
        (
            "should allow the timeout to be restarted",
            custom(CustomJoin {
                build: JoinBuild::String,
                joiner: Joiner::Text(","),
                timeout_ms: 50.0,
                ..CUSTOM
            }),
            vec![
                (0, r#"{"payload":"a"}"#),
                (40, r#"{"payload":"b","restartTimeout":true}"#),
                (80, r#"{"payload":"c"}"#),
            ],
            &[r#"{"payload":"a,b,c","restartTimeout":true}"#],
        ),
        (
            "should join strings with a specifed character and complete when told to",
            custom(CustomJoin {
                build: JoinBuild::String,
                joiner: Joiner::Text("\n"),
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":"Hello"}"#,
                r#"{"payload":"World","complete":true}"#,
            ]),
            &[r#"{"payload":"Hello\nWorld"}"#],
        ),
        (
            "should join split things back into an array",
            auto,
            at_once(&[
                r#"{"payload":3,"parts":{"id":"x","type":"array","count":3,"len":1,"index":2}}"#,
                r#"{"payload":1,"parts":{"id":"x","type":"array","count":3,"len":1,"index":0}}"#,
                r#"{"payload":2,"parts":{"id":"x","type":"array","count":3,"len":1,"index":1}}"#,
            ]),
            &[r#"{"payload":[1,2,3]}"#],
        ),
        (
            "should join split things back into an object",
            auto,
            at_once(&[
                r#"{"payload":1,"parts":{"id":"x","type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"payload":2,"parts":{"id":"x","type":"object","key":"b","index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":{"a":1,"b":2}}"#],
        ),
        (
            "should join split things, send when told complete",
            auto,
            at_once(&[
                r#"{"payload":1,"parts":{"id":"x","type":"array","count":3,"len":1,"index":0}}"#,
                r#"{"payload":2,"parts":{"id":"x","type":"array","count":3,"len":1,"index":1},"complete":true}"#,
            ]),
            &[r#"{"payload":[1,2]}"#],
        ),
        (
            "should concat payload when group.type is array",
            auto,
            at_once(&[
                r#"{"payload":"ab","parts":{"id":1,"type":"array","ch":",","index":0,"count":2,"len":2}}"#,
                r#"{"payload":"cd","parts":{"id":1,"type":"array","ch":",","index":1,"count":2,"len":2}}"#,
            ]),
            &[r#"{"payload":["ab","cd"]}"#],
        ),
        (
            "should concat payload when group.type is buffer and group.joinChar is undefined",
            auto,
            at_once(&[
                r#"{"payload":{"type":"Buffer","data":[65]},"parts":{"id":1,"type":"buffer","index":0,"count":2}}"#,
                r#"{"payload":{"type":"Buffer","data":[66]},"parts":{"id":1,"type":"buffer","index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":{"type":"Buffer","data":[65,66]}}"#],
        ),
        (
            "should concat payload when group.type is string and group.joinChar is not string",
            auto,
            at_once(&[
                r#"{"payload":{"type":"Buffer","data":[65]},"parts":{"id":1,"type":"string","ch":{"type":"Buffer","data":[48]},"index":0,"count":2}}"#,
                r#"{"payload":{"type":"Buffer","data":[66]},"parts":{"id":1,"type":"string","ch":{"type":"Buffer","data":[48]},"index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":"A0B"}"#],
        ),
        (
            "should handle join an array when mode is auto and duplicate indexed parts arrive",
            auto,
            at_once(&[
                r#"{"payload":"A","parts":{"id":1,"type":"array","ch":",","index":0,"count":2}}"#,
                r#"{"payload":"B","parts":{"id":1,"type":"array","ch":",","index":0,"count":2}}"#,
                r#"{"payload":"C","parts":{"id":1,"type":"array","ch":",","index":0,"count":2}}"#,
                r#"{"payload":"D","parts":{"id":1,"type":"array","ch":",","index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":["C","D"]}"#],
        ),
        (
            "should handle msg.parts even if messages are out of order in auto mode if exactly one message has count set",
            auto,
            at_once(&[
                r#"{"payload":"b","parts":{"id":1,"type":"string","ch":"","index":1}}"#,
                r#"{"payload":"a","parts":{"id":1,"type":"string","ch":"","index":0,"count":3}}"#,
                r#"{"payload":"c","parts":{"id":1,"type":"string","ch":"","index":2}}"#,
            ]),
            &[r#"{"payload":"abc"}"#],
        ),
        (
            "should join bits of string back together automatically with a buffer joiner",
            auto,
            at_once(&[
                r#"{"payload":"A","parts":{"id":1,"type":"string","ch":",","index":0,"count":2}}"#,
                r#"{"payload":"B","parts":{"id":1,"type":"string","ch":",","index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":"A,B"}"#],
        ),
        (
            "should join things into an array after a count with a buffer join set",
            custom(CustomJoin {
                count: 3,
                joiner: Joiner::Bytes(b""),
                ..CUSTOM
            }),
            at_once(&[r#"{"payload":1}"#, r#"{"payload":true}"#, r#"{"payload":{"a":1}}"#]),
            &[r#"{"payload":[1,true,{"a":1}]}"#],
        ),
        (
            "should merge sub property objects",
            custom(CustomJoin {
                count: 5,
                build: JoinBuild::Merged,
                path: Some(FOO_BAR),
                ..CUSTOM
            }),
            at_once(&[
                r#"{"foo":{"bar":{"a":9},"topic":"f"}}"#,
                r#"{"foo":{"bar":{"a":1},"topic":"a"}}"#,
                r#"{"foo":{"bar":{"b":9},"topic":"b"}}"#,
                r#"{"foo":{"bar":{"b":2},"topic":"b"}}"#,
                r#"{"foo":{"bar":{"c":3},"topic":"c"}}"#,
                r#"{"foo":{"bar":{"d":4},"topic":"d"}}"#,
                r#"{"foo":{"bar":{"e":5},"topic":"e"}}"#,
            ]),
            &[r#"{"foo":{"bar":{"a":1,"b":2,"c":3,"d":4,"e":5},"topic":"e"}}"#],
        ),
        (
            "should merge full msg objects",
            custom(CustomJoin {
                count: 6,
                build: JoinBuild::Merged,
                path: None,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":1,"topic":"f"}"#,
                r#"{"payload":2,"topic":"a"}"#,
                r#"{"payload":3,"foo":"b"}"#,
                r#"{"payload":4,"bar":"b"}"#,
                r#"{"payload":5,"aha":"c"}"#,
                r#"{"payload":6,"foo":"d"}"#,
                r#"{"payload":7,"bingo":"e"}"#,
            ]),
            &[
                r#"{"payload":{"payload":7,"topic":"a","foo":"d","bar":"b","aha":"c","bingo":"e"},"topic":"a","foo":"d","bar":"b","aha":"c","bingo":"e"}"#,
            ],
        ),
        (
            "should accumulate a key/value object",
            custom(CustomJoin {
                count: 4,
                build: JoinBuild::Object,
                key: FOO,
                key_name: "foo",
                accumulate: true,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":2,"foo":"b"}"#,
                r#"{"payload":3,"foo":"c"}"#,
                r#"{"reset":true}"#,
                r#"{"payload":1,"foo":"a"}"#,
                r#"{"payload":2,"foo":"b"}"#,
                r#"{"payload":3,"foo":"c"}"#,
                r#"{"payload":4,"foo":"d"}"#,
            ]),
            &[r#"{"payload":{"a":1,"b":2,"c":3,"d":4},"foo":"d"}"#],
        ),
        (
            "should join complete message objects into an array after a count",
            custom(CustomJoin {
                count: 3,
                path: None,
                ..CUSTOM
            }),
            at_once(&[r#"{"payload":"a"}"#, r#"{"payload":"b"}"#, r#"{"payload":"c"}"#]),
            &[r#"{"payload":[{"payload":"a"},{"payload":"b"},{"payload":"c"}]}"#],
        ),
        (
            "should manually join things into an array, send when told complete",
            custom(CustomJoin {
                timeout_ms: 1000.0,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":1,"topic":"A"}"#,
                r#"{"payload":2,"topic":"B"}"#,
                r#"{"payload":3,"topic":"C"}"#,
                r#"{"complete":true}"#,
            ]),
            &[r#"{"payload":[1,2,3],"topic":"C"}"#],
        ),
        (
            "should manually join things into an object, send when told complete",
            custom(CustomJoin {
                timeout_ms: 1000.0,
                build: JoinBuild::Object,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":1,"topic":"A"}"#,
                r#"{"payload":2,"topic":"B"}"#,
                r#"{"payload":3,"topic":"C"}"#,
                r#"{"complete":true}"#,
            ]),
            &[r#"{"payload":{"A":1,"B":2,"C":3},"topic":"C"}"#],
        ),
        (
            "should join split strings back into a word",
            auto,
            at_once(&[
                r#"{"payload":"a","parts":{"type":"string","index":0,"count":4,"ch":"","id":555}}"#,
                r#"{"payload":"d","parts":{"type":"string","index":3,"count":4,"ch":"","id":555}}"#,
                r#"{"payload":"c","parts":{"type":"string","index":2,"count":4,"ch":"","id":555}}"#,
                r#"{"payload":"b","parts":{"type":"string","index":1,"count":4,"ch":"","id":555}}"#,
            ]),
            &[r#"{"payload":"abcd"}"#],
        ),
        (
            "should handle msg.parts property when mode is auto and parts or id are missing",
            auto,
            at_once(&[
                r#"{"payload":"A","parts":{"type":"string","ch":",","index":0,"count":2}}"#,
                r#"{"payload":"B","parts":{"type":"string","ch":",","index":1,"count":2}}"#,
            ]),
            &[],
        ),
        (
            "should handle join an array when using msg.parts and duplicate indexed parts arrive and being reset halfway",
            auto,
            at_once(&[
                r#"{"payload":"A","parts":{"id":1,"type":"array","ch":",","index":0,"count":2}}"#,
                r#"{"payload":"B","parts":{"id":1,"type":"array","ch":",","index":0,"count":2}}"#,
                r#"{"reset":true}"#,
                r#"{"payload":"C","parts":{"id":1,"type":"array","ch":",","index":1,"count":2}}"#,
                r#"{"payload":"D","parts":{"id":1,"type":"array","ch":",","index":0,"count":2}}"#,
            ]),
            &[r#"{"payload":["D","C"]}"#],
        ),
        (
            // Not in the spec: without `useparts`, a message's parts are
            // not its own; the parts beneath them come back up.
            "parts not used",
            custom(CustomJoin {
                count: 2,
                use_parts: false,
                ..CUSTOM
            }),
            at_once(&[
                r#"{"payload":1,"parts":{"id":"x","index":1,"count":5,"parts":{"id":"o","index":3}}}"#,
                r#"{"payload":2,"parts":{"id":"x","index":0,"count":5}}"#,
            ]),
            &[r#"{"payload":[1,2],"parts":{"index":3}}"#],
        ),
        (
            // Not in the spec: with them, the last message's parts decide.
            "parts used",
            custom(CustomJoin { count: 2, ..CUSTOM }),
            at_once(&[
                r#"{"payload":1,"parts":{"id":"x","index":1,"count":5,"parts":{"id":"o","index":3}}}"#,
                r#"{"payload":2,"parts":{"id":"x","index":0,"count":5}}"#,
            ]),
            &[r#"{"payload":[1,2]}"#],
        ),
        (
            // Not in the spec: the parts a split pushed down come back.
            "parts below come back up",
            auto,
            at_once(&[
                r#"{"payload":"a","parts":{"parts":{"id":"outer","index":4},"id":"x","type":"string","ch":"-","index":0,"count":2}}"#,
                r#"{"payload":"b","parts":{"parts":{"id":"outer","index":4},"id":"x","type":"string","ch":"-","index":1,"count":2}}"#,
            ]),
            &[r#"{"payload":"a-b","parts":{"index":4}}"#],
        ),
    ];
    for (case, mode, inputs, expected) in cases {
        assert_eq!(join(case, mode, &inputs, 100), outcome(expected), "{case}");
    }
}

/// Split then join give back what was split, for each kind of value.
#[test]
fn auto_join_reverses_a_split() {
    let device = Device::new("round trip", "conformance");
    for (config, text) in [
        (SPLIT, r#"{"payload":"a\nbc\n\nd","topic":"t"}"#),
        (SPLIT, r#"{"payload":[1,"2",[3],{"4":4}],"topic":"t"}"#),
        (SPLIT, r#"{"payload":{"a":1,"b":[2]},"topic":"t"}"#),
        (
            SplitConfig {
                at: SplitAt::Length(3),
                ..SPLIT
            },
            r#"{"payload":{"type":"Buffer","data":[1,2,3,4,5,6,7]},"topic":"t"}"#,
        ),
        (
            SplitConfig {
                array_length: 2,
                ..SPLIT
            },
            r#"{"payload":[1,2,3,4,5],"topic":"t"}"#,
        ),
    ] {
        let mut splitter = Split::<CAPACITY, 0>::new(NodeInfo::new("s", "", "split"), config);
        let mut joiner =
            Join::<CAPACITY, 1, 256>::new(NodeInfo::new("j", "", "join"), JoinMode::Auto);
        let mut pieces = Vec::new();
        let mut msg = read("round trip", text);
        splitter.input(
            &device,
            &mut msg,
            &mut |_: usize, msg: &mut Msg<CAPACITY>| pieces.push(msg.clone()),
        );
        let mut joined = Vec::new();
        for mut piece in pieces {
            joiner.input_at(
                0,
                &device,
                &mut piece,
                &mut |_: usize, msg: &mut Msg<CAPACITY>| joined.push(format!("{msg:?}")),
            );
        }
        assert_eq!(joined, vec![text.to_string()], "{text}");
    }
    assert_eq!(errors(&device), Vec::new());
}

/// Beyond the spec: in `auto` mode Node-RED decides how each message joins
/// by its own `msg.parts.type`, whatever the type of the message that
/// made its group (which decides what the group holds, an object or an
/// array, and what it makes when sent).
#[test]
fn auto_join_reads_each_messages_own_type() {
    // Each case: its name, two messages, what leaves, and the errors.
    type MixedCase = (
        &'static str,
        [&'static str; 2],
        &'static [&'static str],
        Vec<(ErrorKind, u32)>,
    );
    let cases: &[MixedCase] = &[
        (
            "a merged message in an object's group merges",
            [
                r#"{"payload":1,"parts":{"id":"g","type":"object","key":"a","index":0,"count":3}}"#,
                r#"{"payload":{"b":2,"c":3},"parts":{"id":"g","type":"merged","index":1,"count":3}}"#,
            ],
            &[r#"{"payload":{"a":1,"b":2,"c":3}}"#],
            vec![],
        ),
        (
            "a buffer message of a number in a string's group is an error",
            [
                r#"{"payload":"A","parts":{"id":"s","type":"string","ch":",","index":0,"count":2}}"#,
                r#"{"payload":5,"parts":{"id":"s","type":"buffer","index":1,"count":2}}"#,
            ],
            &[],
            vec![(ErrorKind::BadValue, 1)],
        ),
        (
            // JavaScript would put the key "1" first; a device keeps keys
            // in the order they came (docs/conformance.md).
            "an array message in an object's group sets the member its index names",
            [
                r#"{"payload":1,"parts":{"id":"o","type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"payload":2,"parts":{"id":"o","type":"array","index":1,"count":2}}"#,
            ],
            &[r#"{"payload":{"a":1,"1":2}}"#],
            vec![],
        ),
        (
            "a message without an index in an object's group throws",
            [
                r#"{"payload":1,"parts":{"id":"p","type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"payload":2,"parts":{"id":"p","type":"array","count":2}}"#,
            ],
            &[],
            vec![(ErrorKind::BadValue, 1)],
        ),
        (
            "an object message in an array's group sets the item its key names",
            [
                r#"{"payload":"x","parts":{"id":"q","type":"array","index":0,"count":2}}"#,
                r#"{"payload":"y","parts":{"id":"q","type":"object","key":"2","count":2}}"#,
            ],
            &[r#"{"payload":["x",null,"y"]}"#],
            vec![],
        ),
        (
            // `!isNaN(propertyIndex)`: an index that is a number, though
            // no array index, names a member by its JavaScript text.
            "an array message with a fractional index in an object's group sets that member",
            [
                r#"{"payload":1,"parts":{"id":"r","type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"payload":2,"parts":{"id":"r","type":"array","index":1.5,"count":2}}"#,
            ],
            &[r#"{"payload":{"a":1,"1.5":2}}"#],
            vec![],
        ),
        (
            "an array message with a negative index in an object's group sets that member",
            [
                r#"{"payload":1,"parts":{"id":"n","type":"object","key":"a","index":0,"count":2}}"#,
                r#"{"payload":2,"parts":{"id":"n","type":"array","index":-1,"count":2}}"#,
            ],
            &[r#"{"payload":{"a":1,"-1":2}}"#],
            vec![],
        ),
    ];
    for (case, inputs, sent, errors) in cases {
        assert_eq!(
            join(case, JoinMode::Auto, &at_once(inputs), 0),
            Outcome {
                sent: sent.iter().map(|msg| msg.to_string()).collect(),
                errors: errors.clone(),
            },
            "{case}"
        );
    }
}

/// A device's room: a group too large for its bytes, and more groups than
/// it keeps, are counted errors, never a panic.
#[test]
fn join_overflow_is_counted() {
    let device = Device::new("room", "conformance");
    let mut node = Join::<CAPACITY, 1, 32>::new(NodeInfo::new("room", "", "join"), JoinMode::Auto);
    let mut sent = 0;
    for text in [
        r#"{"payload":"0123456789012345678901234567890123456789","parts":{"id":1,"type":"string","ch":"","index":0,"count":2}}"#,
        r#"{"payload":"x","parts":{"id":2,"type":"string","ch":"","index":0,"count":2}}"#,
    ] {
        let mut msg = read("room", text);
        node.input_at(
            0,
            &device,
            &mut msg,
            &mut |_: usize, _: &mut Msg<CAPACITY>| sent += 1,
        );
    }
    assert_eq!(sent, 0);
    assert_eq!(
        errors(&device),
        vec![(ErrorKind::Oversize, 1), (ErrorKind::QueueFull, 1)]
    );
}

/// "should allow chained split-split-join-join sequences": two splits and
/// two auto joins in a row give back the array of arrays and text.
#[test]
fn chained_split_split_join_join() {
    let device = Device::new("chained", "conformance");
    let info = |id| NodeInfo::new(id, "", "split");
    let mut first = Split::<CAPACITY, 0>::new(info("s1"), SPLIT);
    let mut second = Split::<CAPACITY, 0>::new(info("s2"), SPLIT);
    let mut inner = Join::<CAPACITY, 4, 256>::new(info("j1"), JoinMode::Auto);
    let mut outer = Join::<CAPACITY, 4, 256>::new(info("j2"), JoinMode::Auto);
    let mut out = Vec::new();
    let mut msg = read("chained", r#"{"payload":[[1,2,3],"a\nb\nc",[7,8,9]]}"#);
    first.input(
        &device,
        &mut msg,
        &mut |_: usize, msg: &mut Msg<CAPACITY>| {
            second.input(&device, msg, &mut |_: usize, msg: &mut Msg<CAPACITY>| {
                inner.input_at(0, &device, msg, &mut |_: usize, msg: &mut Msg<CAPACITY>| {
                    outer.input_at(0, &device, msg, &mut |_: usize, msg: &mut Msg<CAPACITY>| {
                        out.push(format!("{msg:?}"))
                    })
                })
            })
        },
    );
    assert_eq!(out, vec![r#"{"payload":[[1,2,3],"a\nb\nc",[7,8,9]]}"#]);
    assert_eq!(errors(&device), Vec::new());
}

/// What a node that a complete node watches did, in order: each message it
/// sent (`sent`) and each it finished with (`done`), with the millisecond
/// and the message without `msg.parts.id`.
type Events = Vec<(u64, &'static str, String)>;

/// Gives each message to a split node at its time (ms), run as psosc runs
/// one that a complete node watches (`Watched` outputs, `input_now`), and
/// records what it sends and what it finishes with.
fn watched_split(case: &'static str, config: SplitConfig, inputs: &[(u64, &str)]) -> Events {
    let device = Device::new(case, "conformance");
    let mut node = Split::<CAPACITY, CAPACITY, Kept<CAPACITY, 8>>::new(
        NodeInfo::new(case, "", "split"),
        config,
    );
    let events = core::cell::RefCell::new(Vec::new());
    for (at, text) in inputs {
        let mut msg = read(case, text);
        let mut watched = Watched::new(|_: usize, msg: &mut Msg<CAPACITY>| {
            events
                .borrow_mut()
                .push((*at, "sent", without_ids(msg.clone())));
            // A receiver that changes its message changes nothing the
            // complete node is given.
            let _ = msg.set_property("payload", &-1.0);
        });
        node.input_now(&device, &mut msg, &mut watched, &mut |msg: &Msg<
            CAPACITY,
        >| {
            events
                .borrow_mut()
                .push((*at, "done", without_ids(msg.clone())));
        });
    }
    assert_eq!(errors(&device), Vec::new(), "{case}");
    events.into_inner()
}

fn event(at: u64, what: &'static str, msg: &str) -> (u64, &'static str, String) {
    (at, what, msg.to_string())
}

/// The 7 split cases of the spec's "messaging API": the complete node
/// hears of each message when the split calls `done()`, as the split left
/// it: at once when it sends the message's last piece (its parts and last
/// piece; an array's message keeps its array), and in `stream` mode when a
/// length's (or a buffer's separator's) last piece waits, once a later
/// message sends it (all three at 500 ms, before the third's own piece).
#[test]
fn split_calls_done_when_its_messages_are_sent() {
    let length = |length| SplitConfig {
        at: SplitAt::Length(length),
        ..SPLIT
    };
    assert_eq!(
        watched_split(
            "should call done() when message is sent (string)",
            length(2),
            &[(0, r#"{"seq":0,"payload":"12345"}"#)]
        ),
        [
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":"12","parts":{"type":"string","ch":"","len":2,"count":3,"index":0}}"#
            ),
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":"34","parts":{"type":"string","ch":"","len":2,"count":3,"index":1}}"#
            ),
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":"5","parts":{"type":"string","ch":"","len":2,"count":3,"index":2}}"#
            ),
            event(
                0,
                "done",
                r#"{"seq":0,"payload":"5","parts":{"type":"string","ch":"","len":2,"count":3,"index":2}}"#
            ),
        ]
    );
    assert_eq!(
        watched_split(
            "should call done() when message is sent (array)",
            length(2),
            &[(0, r#"{"seq":0,"payload":[0,1,2]}"#)]
        ),
        [
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":0,"parts":{"type":"array","count":3,"len":1,"index":0}}"#
            ),
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":1,"parts":{"type":"array","count":3,"len":1,"index":1}}"#
            ),
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":2,"parts":{"type":"array","count":3,"len":1,"index":2}}"#
            ),
            event(
                0,
                "done",
                r#"{"seq":0,"payload":[0,1,2],"parts":{"type":"array","count":3,"len":1}}"#
            ),
        ]
    );
    assert_eq!(
        watched_split(
            "should call done() when message is sent (object)",
            length(2),
            &[(0, r#"{"seq":0,"payload":{"a":1,"b":2}}"#)]
        ),
        [
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":1,"parts":{"type":"object","key":"a","index":0,"count":2}}"#
            ),
            event(
                0,
                "sent",
                r#"{"seq":0,"payload":2,"parts":{"type":"object","key":"b","index":1,"count":2}}"#
            ),
            event(
                0,
                "done",
                r#"{"seq":0,"payload":2,"parts":{"type":"object","key":"b","index":1,"count":2}}"#
            ),
        ]
    );
    let stream = |at| SplitConfig {
        at,
        stream: true,
        ..SPLIT
    };
    let text = [
        (0, r#"{"seq":0,"payload":"12"}"#),
        (200, r#"{"seq":1,"payload":"34"}"#),
        (500, r#"{"seq":2,"payload":"5"}"#),
    ];
    assert_eq!(
        watched_split(
            "should call done() when consolidated message is emitted (string, len)",
            stream(SplitAt::Length(5)),
            &text
        ),
        [
            event(
                500,
                "sent",
                r#"{"seq":2,"payload":"12345","parts":{"type":"string","ch":"","len":5,"index":0}}"#
            ),
            event(
                500,
                "done",
                r#"{"seq":0,"payload":"12","parts":{"type":"string","ch":"","len":5}}"#
            ),
            event(
                500,
                "done",
                r#"{"seq":1,"payload":"34","parts":{"type":"string","ch":"","len":5}}"#
            ),
            event(
                500,
                "done",
                r#"{"seq":2,"payload":"12345","parts":{"type":"string","ch":"","len":5,"index":0}}"#
            ),
        ]
    );
    let buffers = [
        (0, r#"{"seq":0,"payload":{"type":"Buffer","data":[49,50]}}"#),
        (
            200,
            r#"{"seq":1,"payload":{"type":"Buffer","data":[51,52]}}"#,
        ),
        (500, r#"{"seq":2,"payload":{"type":"Buffer","data":[53]}}"#),
    ];
    assert_eq!(
        watched_split(
            "should call done() when consolidated message is emitted (Buffer, len)",
            stream(SplitAt::Length(5)),
            &buffers
        ),
        [
            event(
                500,
                "sent",
                r#"{"seq":2,"payload":{"type":"Buffer","data":[49,50,51,52,53]},"parts":{"type":"buffer","len":5,"index":0}}"#
            ),
            event(
                500,
                "done",
                r#"{"seq":0,"payload":{"type":"Buffer","data":[49,50]},"parts":{"type":"buffer","len":5}}"#
            ),
            event(
                500,
                "done",
                r#"{"seq":1,"payload":{"type":"Buffer","data":[51,52]},"parts":{"type":"buffer","len":5}}"#
            ),
            event(
                500,
                "done",
                r#"{"seq":2,"payload":{"type":"Buffer","data":[49,50,51,52,53]},"parts":{"type":"buffer","len":5,"index":0}}"#
            ),
        ]
    );
    // At the separator "5" (`str`) or the byte 53 (`bin`): the piece
    // before it leaves, and an empty rest waits for nothing.
    for (case, at, ch) in [
        (
            "should call done() when consolidated message is emitted (Buffer, str)",
            SplitAt::Text("5"),
            r#""5""#,
        ),
        (
            "should call done() when consolidated message is emitted (Buffer, bin)",
            SplitAt::Bytes {
                bytes: &[53],
                text: "5",
                array: ConstValue::Array(&[ConstValue::Number(53.0)]),
            },
            "[53]",
        ),
    ] {
        let parts = format!(r#"{{"type":"buffer","ch":{ch}}}"#);
        assert_eq!(
            watched_split(case, stream(at), &buffers),
            [
                event(
                    500,
                    "sent",
                    &format!(
                        r#"{{"seq":2,"payload":{{"type":"Buffer","data":[49,50,51,52]}},"parts":{{"type":"buffer","ch":{ch},"index":0}}}}"#
                    )
                ),
                event(
                    500,
                    "done",
                    &format!(
                        r#"{{"seq":0,"payload":{{"type":"Buffer","data":[49,50]}},"parts":{parts}}}"#
                    )
                ),
                event(
                    500,
                    "done",
                    &format!(
                        r#"{{"seq":1,"payload":{{"type":"Buffer","data":[51,52]}},"parts":{parts}}}"#
                    )
                ),
                event(
                    500,
                    "done",
                    &format!(
                        r#"{{"seq":2,"payload":{{"type":"Buffer","data":[49,50,51,52]}},"parts":{{"type":"buffer","ch":{ch},"index":0}}}}"#
                    )
                ),
            ],
            "{case}"
        );
    }
}

/// Gives each message to a join node at its time, ticking the clock each
/// millisecond up to the last input plus `after` ms, run as psosc runs one
/// that a complete node watches, and records what it sends and what it
/// finishes with.
fn watched_join(case: &'static str, mode: JoinMode, inputs: &[(u64, &str)], after: u64) -> Events {
    let device = Device::new(case, "conformance");
    let mut node =
        Join::<CAPACITY, 4, 512, Kept<CAPACITY, 8>>::new(NodeInfo::new(case, "", "join"), mode);
    let events = core::cell::RefCell::new(Vec::new());
    let until = inputs.last().map_or(0, |(at, _)| *at) + after;
    let mut pending = inputs.iter().peekable();
    for now in 0..=until {
        let mut watched = Watched::new(|_: usize, msg: &mut Msg<CAPACITY>| {
            events
                .borrow_mut()
                .push((now, "sent", without_ids(msg.clone())));
            let _ = msg.set_property("payload", &-1.0);
        });
        let mut finished = |msg: &Msg<CAPACITY>| {
            events
                .borrow_mut()
                .push((now, "done", without_ids(msg.clone())));
        };
        while let Some((_, text)) = pending.next_if(|(at, _)| *at == now) {
            let mut msg = read(case, text);
            node.input_finishing(now, &device, &mut msg, &mut watched, &mut finished);
        }
        node.tick_finishing(now, &device, &mut watched, &mut finished);
    }
    assert_eq!(errors(&device), Vec::new(), "{case}");
    events.into_inner()
}

/// The 3 join cases of the spec's "messaging API" that need no JSONata:
/// the complete node hears of the messages of a group, as they arrived,
/// when the group is sent (by its count or its time) or reset (then of
/// the reset message last), all at 500 ms.
#[test]
fn join_calls_done_when_its_group_is_sent_or_reset() {
    let auto = [
        (
            0,
            r#"{"seq":0,"payload":"A","parts":{"id":1,"type":"string","ch":",","index":0,"count":3}}"#,
        ),
        (
            200,
            r#"{"seq":1,"payload":"B","parts":{"id":1,"type":"string","ch":",","index":1,"count":3}}"#,
        ),
    ];
    let last = (
        500,
        r#"{"seq":2,"payload":"C","parts":{"id":1,"type":"string","ch":",","index":2,"count":3}}"#,
    );
    let (first, second) = (
        without_ids(read("", auto[0].1)),
        without_ids(read("", auto[1].1)),
    );
    assert_eq!(
        watched_join(
            "should call done() when all messages are joined",
            JoinMode::Auto,
            &[auto[0], auto[1], last],
            600
        ),
        [
            event(500, "sent", r#"{"seq":2,"payload":"A,B,C"}"#),
            event(500, "done", &first),
            event(500, "done", &second),
            event(500, "done", &without_ids(read("", last.1))),
        ]
    );
    let reset = (
        500,
        r#"{"seq":2,"payload":"dummy","reset":true,"parts":{"id":1}}"#,
    );
    assert_eq!(
        watched_join(
            "should call done() when the node is reset",
            JoinMode::Auto,
            &[auto[0], auto[1], reset],
            600
        ),
        [
            event(500, "done", &first),
            event(500, "done", &second),
            event(500, "done", &without_ids(read("", reset.1))),
        ]
    );
    assert_eq!(
        watched_join(
            "should call done() when timed out",
            JoinMode::Custom(CustomJoin {
                build: JoinBuild::String,
                joiner: Joiner::Text(","),
                timeout_ms: 500.0,
                ..CUSTOM
            }),
            &[
                (0, r#"{"seq":0,"payload":"A"}"#),
                (200, r#"{"seq":1,"payload":"B"}"#)
            ],
            600
        ),
        [
            event(500, "sent", r#"{"seq":1,"payload":"A,B"}"#),
            event(500, "done", r#"{"seq":0,"payload":"A"}"#),
            event(500, "done", r#"{"seq":1,"payload":"B"}"#),
        ]
    );
}

/// Node-RED's other ways out of a group: an `accumulate` group's messages
/// are done each time it is sent; a blank `msg.reset` in `auto` mode drops
/// every group, whose messages Node-RED never finishes with (only the
/// reset message itself); a message `auto` cannot join is done at once. A
/// message the device cannot keep is counted, and never heard of.
#[test]
fn join_finishes_with_accumulated_dropped_and_unjoinable_messages() {
    let accumulate = JoinMode::Custom(CustomJoin {
        count: 2,
        accumulate: true,
        ..CUSTOM
    });
    assert_eq!(
        watched_join(
            "accumulate",
            accumulate,
            &[
                (0, r#"{"payload":1}"#),
                (1, r#"{"payload":2}"#),
                (2, r#"{"payload":3}"#)
            ],
            0
        ),
        [
            event(1, "sent", r#"{"payload":[1,2]}"#),
            event(1, "done", r#"{"payload":1}"#),
            event(1, "done", r#"{"payload":2}"#),
            event(2, "sent", r#"{"payload":[1,2,3]}"#),
            event(2, "done", r#"{"payload":3}"#),
        ]
    );
    assert_eq!(
        watched_join(
            "blank reset",
            JoinMode::Auto,
            &[
                (
                    0,
                    r#"{"payload":"A","parts":{"id":1,"type":"string","ch":",","index":0,"count":2}}"#
                ),
                (1, r#"{"reset":true}"#),
                (2, r#"{"payload":"x"}"#),
                (
                    3,
                    r#"{"payload":"B","parts":{"id":1,"type":"string","ch":",","index":1,"count":2}}"#
                ),
            ],
            0
        ),
        [
            event(1, "done", r#"{"reset":true}"#),
            event(2, "done", r#"{"payload":"x"}"#),
        ]
    );
    // Two groups: the second's messages keep their group when the first
    // is sent and leaves the node (shown without their parts).
    assert_eq!(
        watched_join(
            "two groups",
            JoinMode::Auto,
            &[
                (0, r#"{"payload":"a","parts":{"id":1,"type":"string","ch":"","index":0,"count":2}}"#),
                (0, r#"{"payload":"x","parts":{"id":2,"type":"string","ch":"","index":0,"count":2}}"#),
                (1, r#"{"payload":"b","parts":{"id":1,"type":"string","ch":"","index":1,"count":2}}"#),
                (2, r#"{"payload":"y","parts":{"id":2,"type":"string","ch":"","index":1,"count":2}}"#),
            ],
            0
        )
        .into_iter()
        .map(|(at, what, msg)| (at, what, msg.split(",\"parts\"").next().unwrap_or("").to_string()))
        .collect::<Vec<_>>(),
        [
            event(1, "sent", r#"{"payload":"ab"}"#),
            event(1, "done", r#"{"payload":"a""#),
            event(1, "done", r#"{"payload":"b""#),
            event(2, "sent", r#"{"payload":"xy"}"#),
            event(2, "done", r#"{"payload":"x""#),
            event(2, "done", r#"{"payload":"y""#),
        ]
    );
    let device = Device::new("kept full", "conformance");
    let mut node = Join::<CAPACITY, 1, 64, Kept<CAPACITY, 1>>::new(
        NodeInfo::new("kept full", "", "join"),
        JoinMode::Custom(CustomJoin { count: 2, ..CUSTOM }),
    );
    let mut done = Vec::new();
    for text in [r#"{"payload":1}"#, r#"{"payload":2}"#] {
        node.input_finishing(
            0,
            &device,
            &mut read("kept full", text),
            &mut |_: usize, _: &mut Msg<CAPACITY>| {},
            &mut |msg: &Msg<CAPACITY>| done.push(format!("{msg:?}")),
        );
    }
    assert_eq!(done, [r#"{"payload":1}"#]);
    assert_eq!(errors(&device), [(ErrorKind::QueueFull, 1)]);
}

/// `17-split.js`: a value that cannot go into a buffer is an error for
/// catch nodes (`done(error)`, in Node-RED's words with the value's
/// `typeof`), and, since the node has put that `done` among the group's
/// before it looks at the value, the message is also finished with when
/// its group is sent (or reset), in the order it came.
#[test]
fn join_finishes_with_a_value_it_cannot_put_in_a_buffer_when_its_group_goes() {
    let buffer = CustomJoin {
        build: JoinBuild::Buffer,
        joiner: Joiner::Bytes(&[]),
        count: 2,
        ..CUSTOM
    };
    for (value, text) in [
        ("5", "Cannot join number to buffer"),
        ("true", "Cannot join boolean to buffer"),
        ("null", "Cannot join object to buffer"),
        (r#"{"a":1}"#, "Cannot join object to buffer"),
    ] {
        let device = Device::new("join buffer error", "conformance");
        let mut node = Join::<CAPACITY, 4, 512, Kept<CAPACITY, 8>>::new(
            NodeInfo::new("join buffer error", "", "join"),
            JoinMode::Custom(buffer),
        );
        let mut events = Vec::new();
        let inputs = [
            r#"{"payload":"a"}"#.to_string(),
            format!(r#"{{"payload":{value}}}"#),
            r#"{"payload":"b"}"#.to_string(),
        ];
        for input in &inputs {
            let mut sent = Vec::new();
            let mut done = Vec::new();
            node.input_finishing(
                0,
                &device,
                &mut read("join buffer error", input),
                &mut |_: usize, msg: &mut Msg<CAPACITY>| sent.push(format!("{msg:?}")),
                &mut |msg: &Msg<CAPACITY>| done.push(format!("{msg:?}")),
            );
            let caught = device.take_error().map(|reported| reported.message);
            events.push((sent, done, caught));
        }
        assert_eq!(
            events,
            [
                (Vec::new(), Vec::new(), None),
                (Vec::new(), Vec::new(), Some(ErrorMessage::Fixed(text))),
                (
                    vec![r#"{"payload":{"type":"Buffer","data":[97,98]}}"#.to_string()],
                    inputs.to_vec(),
                    None
                ),
            ],
            "{value}"
        );
        assert_eq!(errors(&device), [(ErrorKind::BadValue, 1)], "{value}");
    }
}
