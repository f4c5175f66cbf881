//! Node-RED's `catch` node and the message its flow makes for it, held to
//! Node-RED's own tests: the one case of
//! `test/nodes/core/common/25-catch_spec.js`, and the message cases of
//! `Flow_spec.js` "#handleError" ("moves any existing error object
//! sideways", and "prevents an error looping more than 10 times", whose
//! body Node-RED leaves empty, as `Flow.js` does it). Which catch nodes get
//! an error is decided by psosc (`compiler/tests/lowering.rs`).
//!
//! On a device `msg.error.message` is Node-RED's text where its node
//! reports a fixed one, and V8's words where Node-RED's node reports V8's
//! (a json node's `JSON.parse` error). Where Node-RED's node only warns,
//! the device counts the error and the catch node gets nothing.

mod catch_support;
mod node_support;

use catch_support::{caught, Watched};
use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{
    Batch, BatchMode, Catch, Change, ChangeRule, ChangeValue, Datatype, Finishing, Json,
    JsonAction, MqttIn, MqttOut, Pattern, Property, Scope,
};
use psos::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs, PathSegment};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// A node that reads a clock, run at time 0 (a test has no time driver).
struct AtZero<T>(T);

impl Node<CAPACITY> for AtZero<Change> {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        self.0.input_at(device, msg, out, 0);
    }
}

impl Node<CAPACITY> for AtZero<Batch<CAPACITY, 1>> {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        self.0.input_at(0, device, msg, out);
    }
}

/// A json node named "a" with id "1", watched.
fn check(case: &'static str, messages: &[&str], expect: Outcome) {
    let info = NodeInfo::new("1", "a", "json");
    let mut node = Watched(info, Json::new(info, PAYLOAD, JsonAction::Convert, false));
    assert_eq!(run(case, &mut node, messages), expect, "{case}");
}

/// Any node, watched, with the id "1" and no name.
fn check_node<T: Node<CAPACITY>>(
    case: &'static str,
    type_name: &'static str,
    node: T,
    messages: &[&str],
    expect: Outcome,
) {
    let mut node = Watched(NodeInfo::new("1", "", type_name), node);
    assert_eq!(run(case, &mut node, messages), expect, "{case}");
}

/// V8's words for why `JSON.parse("{")` fails, which Node-RED's json node
/// logs and gives catch nodes.
const NOT_JSON: &str = "Expected property name or '}' in JSON at position 1";

/// What a json node does with text that is not JSON, and what it gives
/// the catch node.
fn bad_json(caught: &str) -> Outcome {
    Outcome {
        sent: vec![(1, caught.to_string())],
        logged: vec![NOT_JSON.to_string()],
        errors: vec![(ErrorKind::BadValue, 1)],
    }
}

#[test]
fn should_output_a_message_when_called() {
    let message = r#"{"payload":"big error","topic":"t"}"#;
    let mut node = Catch::new(NodeInfo::new("n1", "catch", "catch"));
    assert_eq!(
        run("catch_sends_on", &mut node, &[message]),
        sent_only(&[message])
    );
}

#[test]
fn passes_an_error_event_to_the_catch_node() {
    check(
        "catch_passes_error",
        &[r#"{"a":"foo","payload":"{"}"#],
        bad_json(
            r#"{"a":"foo","payload":"{","error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","type":"json","name":"a","count":1}}}"#,
        ),
    );
}

#[test]
fn moves_any_existing_error_object_sideways() {
    check(
        "catch_moves_error",
        &[r#"{"a":"foo","error":"existing","payload":"{"}"#],
        bad_json(
            r#"{"a":"foo","error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","type":"json","name":"a","count":1}},"payload":"{","_error":"existing"}"#,
        ),
    );
}

#[test]
fn counts_the_catches_of_a_message_by_the_same_node() {
    check(
        "catch_counts_again",
        &[
            r#"{"payload":"{","error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","count":3}}}"#,
        ],
        bad_json(
            r#"{"payload":"{","error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","type":"json","name":"a","count":4}},"_error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","count":3}}}"#,
        ),
    );
    // An error caught from another node starts the count again.
    check(
        "catch_counts_afresh",
        &[r#"{"payload":"{","error":{"source":{"id":"2","count":3}}}"#],
        bad_json(
            r#"{"payload":"{","error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","type":"json","name":"a","count":1}},"_error":{"source":{"id":"2","count":3}}}"#,
        ),
    );
}

#[test]
fn prevents_an_error_looping_more_than_10_times() {
    // The ninth catch is made; the tenth is dropped with Node-RED's warning.
    check(
        "catch_ninth",
        &[r#"{"payload":"{","error":{"source":{"id":"1","count":8}}}"#],
        bad_json(
            r#"{"payload":"{","error":{"message":"Expected property name or '}' in JSON at position 1","source":{"id":"1","type":"json","name":"a","count":9}},"_error":{"source":{"id":"1","count":8}}}"#,
        ),
    );
    check(
        "catch_tenth",
        &[r#"{"payload":"{","error":{"source":{"id":"1","count":9}}}"#],
        Outcome {
            sent: vec![],
            logged: vec![
                NOT_JSON.to_string(),
                "Message exceeded maximum number of catches".to_string(),
            ],
            errors: vec![(ErrorKind::BadValue, 1)],
        },
    );
}

#[test]
fn a_node_without_an_error_gives_the_catch_node_nothing() {
    check(
        "catch_nothing",
        &[r#"{"payload":"[1]"}"#],
        sent_only(&[r#"{"payload":[1]}"#]),
    );
}

// Node-RED's choice of `node.warn` or `node.error(text, msg)`, node by
// node (docs/conformance.md, catch): a warning reaches no catch node, an
// error does, with Node-RED's text where it is fixed.

#[test]
fn a_change_node_that_only_warns_gives_the_catch_node_nothing() {
    // "Cannot set property of non-object type": Node-RED warns and sends
    // the message on as it is; the device counts a bad value.
    const RULES: &[ChangeRule] = &[ChangeRule::Set {
        path: &[PathSegment::Key("payload"), PathSegment::Key("n")],
        value: ConstValue::Number(1.0),
    }];
    let node: Change = Change::new(NodeInfo::new("1", "", "change"), RULES);
    check_node(
        "catch_change_warns",
        "change",
        AtZero(node),
        &[r#"{"payload":"text"}"#],
        Outcome {
            sent: vec![(0, r#"{"payload":"text"}"#.to_string())],
            logged: vec![],
            errors: vec![(ErrorKind::BadValue, 1)],
        },
    );
}

#[test]
fn a_change_node_gives_node_reds_text_for_a_from_value_it_cannot_use() {
    const RULES: &[ChangeRule] = &[ChangeRule::Change {
        target: Property {
            scope: Scope::Msg,
            path: PAYLOAD,
        },
        from: Pattern::Property(Property {
            scope: Scope::Msg,
            path: &[PathSegment::Key("from")],
        }),
        value: ChangeValue::Const(ConstValue::Str("x")),
    }];
    let node: Change = Change::new(NodeInfo::new("1", "", "change"), RULES);
    // Node-RED gives catch nodes the `Error`'s `toString()`.
    let text = "Invalid 'from' property: unsupported type: object";
    let message = r#"{"payload":"abc","from":[1]}"#;
    check_node(
        "catch_change_from",
        "change",
        AtZero(node),
        &[message],
        Outcome {
            sent: vec![
                caught(message, "change", &format!("Error: {text}")),
                (0, message.to_string()),
            ],
            logged: vec![text.to_string()],
            errors: vec![(ErrorKind::BadValue, 1)],
        },
    );
}

#[test]
fn an_mqtt_out_node_without_a_valid_topic_only_warns() {
    let node = MqttOut::new(NodeInfo::new("1", "", "mqtt out"), None, None, None);
    check_node(
        "catch_mqtt_out_topic",
        "mqtt out",
        node,
        &[r#"{"topic":"a/#","payload":1}"#, r#"{"payload":1}"#],
        Outcome {
            sent: vec![],
            logged: vec!["Invalid topic specified".to_string(); 2],
            errors: vec![(ErrorKind::BadValue, 2)],
        },
    );
}

#[test]
fn an_mqtt_in_node_gives_the_catch_node_what_mqtt_carried_when_json_does_not_parse() {
    // Node-RED's `node.error(text, {payload, topic, qos, retain})`, the
    // payload still the bytes that came; not UTF-8 is another text.
    let node = MqttIn::new(NodeInfo::new("1", "", "mqtt in"), Datatype::Json);
    let not_json =
        r#"{"topic":"a/b","payload":{"type":"Buffer","data":[123]},"qos":1,"retain":false}"#;
    let not_utf8 =
        r#"{"topic":"a/b","payload":{"type":"Buffer","data":[255]},"qos":0,"retain":true}"#;
    check_node(
        "catch_mqtt_in_json",
        "mqtt in",
        node,
        &[not_json, not_utf8],
        Outcome {
            sent: vec![
                caught(not_json, "mqtt in", "Failed to parse JSON string"),
                caught(not_utf8, "mqtt in", "Invalid JSON string"),
            ],
            logged: vec![
                "Failed to parse JSON string".to_string(),
                "Invalid JSON string".to_string(),
            ],
            errors: vec![(ErrorKind::BadValue, 2)],
        },
    );
}

#[test]
fn a_batch_node_gives_node_reds_texts() {
    // A `concat` batch given a message of its topics without `msg.parts`,
    // then a full queue (Node-RED's `nodeMessageBufferMaxLength`), past
    // which the message held and the one at hand, neither with a `msg.id`,
    // each get the error, as Node-RED compares their `msg.id`.
    let node: Batch<CAPACITY, 1> = Batch::new(
        NodeInfo::new("1", "", "batch"),
        BatchMode::Concat { topics: &["a"] },
    );
    let no_parts = r#"{"topic":"a","payload":1}"#;
    let first = r#"{"topic":"a","payload":1,"parts":{"id":"x","index":0,"count":3}}"#;
    let second = r#"{"topic":"a","payload":2,"parts":{"id":"x","index":1,"count":3}}"#;
    check_node(
        "catch_batch_texts",
        "batch",
        AtZero(node),
        &[no_parts, first, second],
        Outcome {
            sent: vec![
                caught(no_parts, "batch", "no parts property in message"),
                caught(first, "batch", "too many pending messages in batch node"),
                caught(second, "batch", "too many pending messages in batch node"),
            ],
            logged: vec!["no parts property in message".to_string()],
            errors: vec![(ErrorKind::BadValue, 1), (ErrorKind::QueueFull, 2)],
        },
    );
}
