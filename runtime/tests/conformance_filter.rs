//! Node-RED's `filter` node (type `rbe`), held to Node-RED's own tests:
//! every case of `test/nodes/core/function/rbe_spec.js` (Node-RED 4.x) as
//! data, and cases of our own for what `rbe.js` does beyond them and for
//! the bounds of a device's memory of topics.
//!
//! Of the 15 cases there, 14 are here; the 15th, "should be loaded with
//! correct defaults", checks how the flow is read, and lives with the
//! compiler's lowering tests. None is skipped.

mod node_support;

use node_support::{run, sent_only, Outcome};
use psos::nodes::{Filter, FilterMode, FilterSettings, Gap};
use psos::{ErrorKind, NodeInfo, PathSegment};

use FilterMode::{Deadband, DeadbandEq, Narrowband, NarrowbandEq, Rbe, Rbei};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];
const TOPIC: &[PathSegment<'static>] = &[PathSegment::Key("topic")];

/// A filter node as Node-RED's defaults make it: `gap` "0", compared with
/// the last output, `payload` watched, topics kept apart by `topic`.
fn settings(mode: FilterMode) -> FilterSettings {
    FilterSettings {
        mode,
        gap: Gap::Fixed(0.0),
        start: None,
        compare_input: false,
        path: PAYLOAD,
        topic: Some(TOPIC),
    }
}

/// A band mode with a fixed gap, otherwise as Node-RED's defaults.
fn band(mode: FilterMode, gap: f64) -> FilterSettings {
    FilterSettings {
        gap: Gap::Fixed(gap),
        ..settings(mode)
    }
}

/// Sends each message (as JSON) through a filter node of `settings` that
/// remembers 8 topics of 128 bytes.
fn check(case: &'static str, settings: FilterSettings, messages: &[&str], expect: Outcome) {
    let mut node = Filter::<8, 128>::new(NodeInfo::new(case, "", "rbe"), settings);
    assert_eq!(run(case, &mut node, messages), expect, "{case}");
}

/// Messages written one after another, as compact JSON objects separated
/// by white space.
fn messages(text: &str) -> Vec<&str> {
    let (mut found, mut depth, mut start) = (Vec::new(), 0, 0);
    let (mut in_string, mut escaped) = (false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => {
                if depth == 0 {
                    start = at;
                }
                depth += 1;
            }
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    found.push(&text[start..=at]);
                }
            }
            _ => {}
        }
    }
    found
}

/// As [`check`], the messages in and those expected out written as for
/// [`messages`].
fn check_messages(case: &'static str, settings: FilterSettings, inputs: &str, sent: &str) {
    check(
        case,
        settings,
        &messages(inputs),
        sent_only(&messages(sent)),
    );
}

/// Each payload as a message of its own.
fn payloads(payloads: &[&str]) -> Vec<String> {
    payloads
        .iter()
        .map(|payload| format!(r#"{{"payload":{payload}}}"#))
        .collect()
}

fn check_payloads(case: &'static str, settings: FilterSettings, inputs: &[&str], sent: &[&str]) {
    let (inputs, sent) = (payloads(inputs), payloads(sent));
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
    check(case, settings, &inputs, sent_only(&sent));
}

#[test]
fn should_only_send_output_if_payload_changes_with_multiple_topics() {
    check_messages(
        "should only send output if payload changes - with multiple topics (rbe)",
        settings(Rbe),
        r#"
            {"payload":"a"} {"payload":"a"} {"payload":"a"} {"payload":2}
            {"payload":2} {"payload":{"b":1,"c":2}} {"payload":{"c":2,"b":1}}
            {"payload":{"c":2,"b":1}} {"payload":true} {"payload":false}
            {"payload":false} {"payload":true} {"topic":"a","payload":1}
            {"topic":"b","payload":1} {"topic":"b","payload":1}
            {"topic":"a","payload":1} {"topic":"c","payload":1}
            "#,
        r#"
            {"payload":"a"} {"payload":2} {"payload":{"b":1,"c":2}} {"payload":true}
            {"payload":false} {"payload":true} {"topic":"a","payload":1}
            {"topic":"b","payload":1} {"topic":"c","payload":1}
            "#,
    );
}

#[test]
fn should_ignore_multiple_topics_if_told_to() {
    check(
        "should ignore multiple topics if told to (rbe)",
        FilterSettings {
            topic: None,
            ..settings(Rbe)
        },
        &messages(
            r#"
            {"topic":"a","payload":"a"} {"topic":"b","payload":"a"}
            {"topic":"c","payload":"a"} {"topic":"a","payload":2}
            {"topic":"b","payload":2} {"payload":{"b":1,"c":2}}
            {"payload":{"c":2,"b":1}} {"payload":{"c":2,"b":1}}
            {"topic":"a","payload":true} {"topic":"b","payload":false}
            {"topic":"c","payload":false} {"topic":"d","payload":true}
            {"topic":"a","payload":1} {"topic":"b","payload":1}
            {"topic":"c","payload":1} {"topic":"d","payload":1}
            {"topic":"a","payload":2}
            "#,
        ),
        sent_only(&messages(
            r#"
            {"topic":"a","payload":"a"} {"topic":"a","payload":2}
            {"payload":{"b":1,"c":2}} {"topic":"a","payload":true}
            {"topic":"b","payload":false} {"topic":"d","payload":true}
            {"topic":"a","payload":1} {"topic":"a","payload":2}
            "#,
        )),
    );
}

#[test]
fn should_only_send_output_if_another_chosen_property_changes() {
    const FOO: &[PathSegment<'static>] = &[PathSegment::Key("foo")];
    check(
        "should only send output if another chosen property changes - foo (rbe)",
        FilterSettings {
            path: FOO,
            ..settings(Rbe)
        },
        &messages(
            r#"
            {"foo":"a"} {"payload":"a"} {"foo":"a"} {"payload":"a"} {"foo":"a"}
            {"foo":"b"} {"foo":{"b":1,"c":2}} {"foo":{"c":2,"b":1}}
            {"payload":{"c":2,"b":1}}
            "#,
        ),
        sent_only(&[
            r#"{"foo":"a"}"#,
            r#"{"foo":"b"}"#,
            r#"{"foo":{"b":1,"c":2}}"#,
        ]),
    );
}

#[test]
fn should_only_send_output_if_payload_changes_ignoring_first_value() {
    check_messages(
        "should only send output if payload changes - ignoring first value (rbei)",
        settings(Rbei),
        r#"
            {"payload":"a","topic":"a"} {"payload":"a","topic":"b"}
            {"payload":"a","topic":"a"} {"payload":"b","topic":"a"}
            {"payload":"b","topic":"b"} {"payload":"c","topic":"a"}
            {"payload":"c","topic":"b"}
            "#,
        r#"
            {"payload":"b","topic":"a"} {"payload":"b","topic":"b"}
            {"payload":"c","topic":"a"} {"payload":"c","topic":"b"}
            "#,
    );
}

#[test]
fn should_send_output_if_queue_is_reset() {
    check_messages(
        "should send output if queue is reset (rbe)",
        settings(Rbe),
        r#"
            {"topic":"a","payload":"a"} {"topic":"a","payload":"a"}
            {"topic":"b","payload":"b"} {"reset":true} {"topic":"a","payload":"a"}
            {"topic":"b","payload":"b"} {"topic":"b","payload":"b"}
            {"topic":"b","reset":""} {"topic":"b","payload":"b"}
            {"topic":"a","payload":"a"} {"reset":""} {"topic":"b","payload":"b"}
            {"topic":"a","payload":"a"} {"topic":"c"} {"topic":"b","payload":"b"}
            {"topic":"a","payload":"a"} {"topic":"c","payload":"c"}
            "#,
        r#"
            {"topic":"a","payload":"a"} {"topic":"b","payload":"b"}
            {"topic":"a","payload":"a"} {"topic":"b","payload":"b"}
            {"topic":"b","payload":"b"} {"topic":"b","payload":"b"}
            {"topic":"a","payload":"a"} {"topic":"c","payload":"c"}
            "#,
    );
}

#[test]
fn should_only_send_output_if_x_away_from_original_value_deadband_eq() {
    check_payloads(
        "should only send output if x away from original value (deadbandEq)",
        band(DeadbandEq, 10.0),
        &["0", "2", "4", "6", "8", "10", "15", "20"],
        &["0", "10", "20"],
    );
}

#[test]
fn should_only_send_output_if_more_than_x_away_from_original_value_deadband() {
    check_payloads(
        "should only send output if more than x away from original value (deadband)",
        band(Deadband, 10.0),
        &["0", "2", "4", r#""6 deg""#, "8", "20", "15", r#""5 deg""#],
        &["0", "20", r#""5 deg""#],
    );
}

#[test]
fn should_only_send_output_if_more_than_x_percent_away_from_original_value() {
    check_payloads(
        "should only send output if more than x% away from original value (deadband)",
        FilterSettings {
            gap: Gap::Percent(10.0),
            ..settings(Deadband)
        },
        &["100", "95", "105", "111", "120", "135"],
        &["100", "111", "135"],
    );
}

#[test]
fn should_warn_if_no_number_found_in_deadband_mode() {
    check(
        "should warn if no number found in deadband mode",
        band(Deadband, 10.0),
        &[r#"{"payload":"banana"}"#],
        // A warning, not an error a catch node or the device's counters see.
        Outcome {
            logged: vec!["no number found in payload".to_string()],
            ..Outcome::default()
        },
    );
}

#[test]
fn should_not_send_output_if_x_away_or_greater_from_original_value_narrowband_eq() {
    check_payloads(
        "should not send output if x away or greater from original value (narrowbandEq)",
        FilterSettings {
            gap: Gap::Fixed(10.0),
            start: Some(1.0),
            ..settings(NarrowbandEq)
        },
        &["100", "0", "10", "5", "15", "10", "20", "25"],
        &["0", "5", "10"],
    );
}

#[test]
fn should_not_send_output_if_more_than_x_away_from_original_value_narrowband() {
    check_payloads(
        "should not send output if more than x away from original value (narrowband)",
        band(Narrowband, 10.0),
        &[
            "0",
            "20",
            "40",
            r#""6 deg""#,
            "18",
            "20",
            "50",
            r#""5 deg""#,
        ],
        &["0", r#""6 deg""#, r#""5 deg""#],
    );
}

#[test]
fn should_send_output_if_gap_is_0_and_input_doesnt_change() {
    // The spec checks the first and fifth messages sent; all five are here.
    check_payloads(
        "should send output if gap is 0 and input doesnt change (narrowband)",
        settings(Narrowband),
        &["1", "1", "1", "1", "0", "1"],
        &["1", "1", "1", "1", "1"],
    );
}

#[test]
fn should_not_send_output_if_more_than_x_away_from_original_value_in_step_mode() {
    check_payloads(
        "should not send output if more than x away from original value (narrowband in step mode)",
        FilterSettings {
            gap: Gap::Fixed(10.0),
            start: Some(500.0),
            compare_input: true,
            ..settings(Narrowband)
        },
        &["50", "55", "200", "205"],
        &["55", "205"],
    );
}

/// The spec's fourteen runtime cases are above. Beyond them, what `rbe.js`
/// does that they do not show.
#[test]
fn numbers_are_read_as_javascripts_parse_float_reads_them() {
    let deadband = || band(Deadband, 0.5);
    check_payloads(
        "numbers from text, arrays and buffers",
        deadband(),
        &[
            r#"" 1e1x""#,
            "[11,0]",
            r#""0x10""#,
            r#"{"type":"Buffer","data":[51]}"#,
            r#"".5""#,
            r#""-Infinity""#,
        ],
        &[
            r#"" 1e1x""#,
            "[11,0]",
            r#""0x10""#,
            r#"{"type":"Buffer","data":[51]}"#,
            r#"".5""#,
            r#""-Infinity""#,
        ],
    );
    for (case, payload) in [
        ("null", "null"),
        ("true", "true"),
        ("an object", r#"{"a":1}"#),
        ("an empty array", "[]"),
        ("an array of null first", "[null,1]"),
        ("a point alone", r#"".""#),
    ] {
        let input = format!(r#"{{"payload":{payload}}}"#);
        let expect = Outcome {
            logged: vec!["no number found in payload".to_string()],
            ..Outcome::default()
        };
        check(case, deadband(), &[&input], expect);
    }
}

#[test]
fn compare_with_the_last_input_or_the_last_output() {
    // A slow drift: compared with the last output, it passes once it adds
    // up; compared with the last input, never.
    let drift = ["0", "4", "8", "12", "16"];
    check_payloads(
        "deadband against the last output",
        band(Deadband, 10.0),
        &drift,
        &["0", "12"],
    );
    check_payloads(
        "deadband against the last input",
        FilterSettings {
            gap: Gap::Fixed(10.0),
            compare_input: true,
            ..settings(Deadband)
        },
        &drift,
        &["0"],
    );
}

#[test]
fn objects_compare_as_node_reds_compare_objects() {
    check_payloads(
        "arrays, buffers, null and a first empty object",
        settings(Rbe),
        &[
            // Compared with an empty object where nothing is remembered.
            "{}",
            "[1,[2]]",
            "[1,[2]]",
            "[1,[3]]",
            r#"{"type":"Buffer","data":[1]}"#,
            r#"{"type":"Buffer","data":[1]}"#,
            "null",
            "null",
            r#"{"a":1}"#,
            r#"{"a":1,"b":2}"#,
            "1",
            r#""1""#,
            r#""1""#,
        ],
        &[
            "[1,[2]]",
            "[1,[3]]",
            r#"{"type":"Buffer","data":[1]}"#,
            "null",
            r#"{"a":1}"#,
            r#"{"a":1,"b":2}"#,
            "1",
            r#""1""#,
        ],
    );
}

#[test]
fn topics_are_named_as_javascripts_string_names_them() {
    // A number and its text are one topic; a falsy topic is no topic.
    check(
        "topics that are not text",
        settings(Rbe),
        &messages(
            r#"
            {"topic":5,"payload":1} {"topic":"5","payload":1}
            {"topic":0,"payload":1} {"payload":1} {"topic":"_no_topic","payload":1}
            "#,
        ),
        sent_only(&[r#"{"topic":5,"payload":1}"#, r#"{"topic":0,"payload":1}"#]),
    );
}

#[test]
fn a_full_memory_forgets_the_topic_used_least_recently() {
    let case = "a full memory of topics";
    let mut node = Filter::<2, 64>::new(NodeInfo::new(case, "", "rbe"), settings(Rbe));
    let outcome = run(
        case,
        &mut node,
        &[
            r#"{"topic":"a","payload":1}"#,
            r#"{"topic":"b","payload":1}"#,
            r#"{"topic":"a","payload":1}"#,
            // Takes b's place.
            r#"{"topic":"c","payload":1}"#,
            r#"{"topic":"a","payload":1}"#,
            r#"{"topic":"b","payload":1}"#,
        ],
    );
    let expect = Outcome {
        errors: vec![(ErrorKind::StateFull, 2)],
        ..sent_only(&messages(
            r#"
            {"topic":"a","payload":1} {"topic":"b","payload":1}
            {"topic":"c","payload":1} {"topic":"b","payload":1}
            "#,
        ))
    };
    assert_eq!(outcome, expect);
}

#[test]
fn a_value_too_large_to_remember_is_counted_and_passes_each_time() {
    let case = "a value larger than a topic's room";
    let mut node = Filter::<2, 32>::new(NodeInfo::new(case, "", "rbe"), settings(Rbe));
    let long = r#"{"payload":"a text of more than thirty-two bytes"}"#;
    let outcome = run(
        case,
        &mut node,
        &[long, long, r#"{"payload":1}"#, r#"{"payload":1}"#],
    );
    let expect = Outcome {
        errors: vec![(ErrorKind::Oversize, 2)],
        ..sent_only(&[long, long, r#"{"payload":1}"#])
    };
    assert_eq!(outcome, expect);
}
