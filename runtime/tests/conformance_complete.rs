//! Node-RED's `complete` node and the message its flow makes for it, held
//! to Node-RED's own test (the one case of
//! `test/nodes/core/common/24-complete_spec.js`) and to when Node-RED's
//! nodes call `done()`: a node is run here as psosc wraps a node that
//! complete nodes watch (`Watched` outputs, then `completed`), with a
//! receiver that changes what it is sent, as a receiver on a device may.
//! Which complete nodes watch which nodes is decided by psosc
//! (`compiler/tests/lowering.rs`).

mod node_support;

use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{
    completed, Complete, Done, Interval, Json, JsonAction, Range, RangeAction, Watched,
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
            logged: vec!["the JSON text ends in the middle of a value".to_string()],
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
                    r#"{"payload":11,"complete":{"source":{"id":"r1","type":"range","name":""}}}"#
                        .to_string()
                ),
                (
                    1,
                    r#"{"payload":"x","complete":{"source":{"id":"r1","type":"range","name":""}}}"#
                        .to_string()
                ),
                (0, r#"{"payload":50}"#.to_string()),
                (
                    1,
                    r#"{"payload":50,"complete":{"source":{"id":"r1","type":"range","name":""}}}"#
                        .to_string()
                ),
            ],
            logged: vec!["Not a number: x".to_string()],
            errors: vec![],
        }
    );
}
