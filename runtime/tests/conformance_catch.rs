//! Node-RED's `catch` node and the message its flow makes for it, held to
//! Node-RED's own tests: the one case of
//! `test/nodes/core/common/25-catch_spec.js`, and the message cases of
//! `Flow_spec.js` "#handleError" ("moves any existing error object
//! sideways", and "prevents an error looping more than 10 times", whose
//! body Node-RED leaves empty, as `Flow.js` does it). Which catch nodes get
//! an error is decided by psosc (`compiler/tests/lowering.rs`).
//!
//! On a device `msg.error.message` is the kind of error the device counted
//! (`bad value`), not Node-RED's text for it.

mod node_support;

use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{catch_error, Catch, Json, JsonAction};
use psos::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, PathSegment};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// A json node named "a" with id "1", wrapped as psosc wraps a node whose
/// errors a catch node takes: what it sends leaves on port 0, what the
/// catch node is given on port 1.
struct Watched(Json);

impl Node<CAPACITY> for Watched {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        const SOURCE: NodeInfo = NodeInfo::new("1", "a", "json");
        device.forget_error();
        self.0
            .input(device, msg, &mut |port: usize, sent: &mut Msg<CAPACITY>| {
                catch_error(device, &SOURCE, sent, |caught| out.send(1, caught));
                out.send(port, sent);
                device.forget_error();
            });
        catch_error(device, &SOURCE, msg, |caught| out.send(1, caught));
    }
}

fn check(case: &'static str, messages: &[&str], expect: Outcome) {
    let mut node = Watched(Json::new(
        NodeInfo::new("1", "a", "json"),
        PAYLOAD,
        JsonAction::Convert,
        false,
    ));
    assert_eq!(run(case, &mut node, messages), expect, "{case}");
}

/// What a json node does with text that is not JSON, and what it gives
/// the catch node.
fn bad_json(caught: &str) -> Outcome {
    Outcome {
        sent: vec![(1, caught.to_string())],
        logged: vec!["the JSON text ends in the middle of a value".to_string()],
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
            r#"{"a":"foo","payload":"{","error":{"message":"bad value","source":{"id":"1","type":"json","name":"a","count":1}}}"#,
        ),
    );
}

#[test]
fn moves_any_existing_error_object_sideways() {
    check(
        "catch_moves_error",
        &[r#"{"a":"foo","error":"existing","payload":"{"}"#],
        bad_json(
            r#"{"a":"foo","error":{"message":"bad value","source":{"id":"1","type":"json","name":"a","count":1}},"payload":"{","_error":"existing"}"#,
        ),
    );
}

#[test]
fn counts_the_catches_of_a_message_by_the_same_node() {
    check(
        "catch_counts_again",
        &[r#"{"payload":"{","error":{"message":"bad value","source":{"id":"1","count":3}}}"#],
        bad_json(
            r#"{"payload":"{","error":{"message":"bad value","source":{"id":"1","type":"json","name":"a","count":4}},"_error":{"message":"bad value","source":{"id":"1","count":3}}}"#,
        ),
    );
    // An error caught from another node starts the count again.
    check(
        "catch_counts_afresh",
        &[r#"{"payload":"{","error":{"source":{"id":"2","count":3}}}"#],
        bad_json(
            r#"{"payload":"{","error":{"message":"bad value","source":{"id":"1","type":"json","name":"a","count":1}},"_error":{"source":{"id":"2","count":3}}}"#,
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
            r#"{"payload":"{","error":{"message":"bad value","source":{"id":"1","type":"json","name":"a","count":9}},"_error":{"source":{"id":"1","count":8}}}"#,
        ),
    );
    check(
        "catch_tenth",
        &[r#"{"payload":"{","error":{"source":{"id":"1","count":9}}}"#],
        Outcome {
            sent: vec![],
            logged: vec![
                "the JSON text ends in the middle of a value".to_string(),
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
