//! `link call` and `link out` in return mode for a subroutine with several
//! callers: the call records itself in `msg._linkSource`, the return takes
//! the last record off and sends on the port of that call, as Node-RED's
//! `60-link.js` does with its records; and the error text of a dynamic
//! call (`compiler/tests/conformance_link.rs` holds where its messages
//! go).

mod node_support;

use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{completed, Done, LinkAnswer, LinkCall, LinkReturn, Watched};
use psos::{ConstValue, Device, Msg, NodeInfo};

const CALL_INFO: NodeInfo = NodeInfo::new("call", "", "link call");
const RETURN_INFO: NodeInfo = NodeInfo::new("back", "", "link out");

fn check_call(case: &'static str, caller: u16, input: &str, expect: &str) {
    let outcome = run(case, &mut LinkCall::new(CALL_INFO, caller), &[input]);
    assert_eq!(outcome, sent_only(&[expect]), "{case}");
}

fn check_return(case: &'static str, input: &str, expect: &[(usize, &str)]) {
    let outcome = run(case, &mut LinkReturn::new(RETURN_INFO, &[4, 7]), &[input]);
    let sent: Vec<(usize, String)> = expect
        .iter()
        .map(|(port, msg)| (*port, msg.to_string()))
        .collect();
    assert_eq!(
        outcome,
        Outcome {
            sent,
            ..Outcome::default()
        },
        "{case}"
    );
}

#[test]
fn a_call_records_itself_last() {
    check_call(
        "call-first",
        7,
        r#"{"payload":1}"#,
        r#"{"payload":1,"_linkSource":[7]}"#,
    );
    check_call(
        "call-nested",
        4,
        r#"{"payload":1,"_linkSource":[7]}"#,
        r#"{"payload":1,"_linkSource":[7,4]}"#,
    );
}

#[test]
fn a_return_goes_to_the_call_recorded_last() {
    check_return(
        "return-last",
        r#"{"payload":1,"_linkSource":[4,7]}"#,
        &[(1, r#"{"payload":1,"_linkSource":[4]}"#)],
    );
    // The list goes once it is empty, as Node-RED deletes it.
    check_return(
        "return-only",
        r#"{"payload":1,"_linkSource":[4]}"#,
        &[(0, r#"{"payload":1}"#)],
    );
}

#[test]
fn a_return_without_a_record_of_its_callers_sends_nothing() {
    check_return("return-none", r#"{"payload":1}"#, &[]);
    check_return("return-empty", r#"{"payload":1,"_linkSource":[]}"#, &[]);
    check_return("return-stranger", r#"{"payload":1,"_linkSource":[9]}"#, &[]);
}

/// Two calls of one subroutine, the first (numbered 0) watched by a
/// complete node, run as psosc wires them: each call records itself, the
/// subroutine sets `payload.tag`, the return's port 0 leads to the first
/// call's `LinkAnswer`, run as psosc runs a node a complete node watches
/// (copies sent on, then `completed`), and its port 1 to the second call's
/// wires, whose receiver sets `payload.tag` too. Each message is given to
/// the call numbered `call`; what leaves is written `wires: MSG` or
/// `complete: MSG`.
fn through_shared_subroutine(call: usize, input: &str) -> Vec<String> {
    let device = Device::new("link shared", "link");
    let calls = [
        LinkCall::new(CALL_INFO, 0),
        LinkCall::new(NodeInfo::new("other", "", "link call"), 1),
    ];
    let link_return = LinkReturn::new(RETURN_INFO, &[0, 1]);
    let answer = LinkAnswer::new(CALL_INFO);
    let mut events = Vec::new();
    let mut msg = Msg::<CAPACITY>::from_json(input.as_bytes()).expect("an input that reads");
    let mut subroutine = Vec::new();
    calls[call].input(
        &device,
        &mut msg,
        &mut |_: usize, msg: &mut Msg<CAPACITY>| {
            let _ = msg.set(
                &[
                    psos::PathSegment::Key("payload"),
                    psos::PathSegment::Key("tag"),
                ],
                &ConstValue::Str("sub"),
            );
            subroutine.push(msg.clone());
        },
    );
    for mut answered in subroutine {
        let mut returned = Vec::new();
        link_return.input(
            &device,
            &mut answered,
            &mut |port: usize, msg: &mut Msg<CAPACITY>| returned.push((port, msg.clone())),
        );
        for (port, mut msg) in returned {
            let mut wires = |_: usize, msg: &mut Msg<CAPACITY>| {
                events.push(format!("wires: {msg:?}"));
                let _ = msg.set_property("downstream", &true);
            };
            if port == 0 {
                let mut watched = Watched::new(&mut wires);
                answer.input(&device, &mut msg, &mut watched);
                if watched.done(Done::Always) {
                    completed(&device, &CALL_INFO, &msg, |message| {
                        events.push(format!("complete: {message:?}"));
                    });
                }
            } else {
                wires(port, &mut msg);
            }
        }
    }
    events
}

#[test]
fn a_watched_call_of_a_shared_subroutine_is_done_when_its_answer_comes_back() {
    assert_eq!(
        through_shared_subroutine(0, r#"{"payload":{"n":1}}"#),
        [
            r#"wires: {"payload":{"n":1,"tag":"sub"}}"#,
            r#"complete: {"payload":{"n":1,"tag":"sub"},"complete":{"source":{"id":"call","type":"link call"}}}"#,
        ]
    );
    // The other call's answers tell no complete node.
    assert_eq!(
        through_shared_subroutine(1, r#"{"payload":{"n":2}}"#),
        [r#"wires: {"payload":{"n":2,"tag":"sub"}}"#]
    );
    // A message that comes into the subroutine with a record of the other
    // call left from outside is answered to that call only.
    assert_eq!(
        through_shared_subroutine(0, r#"{"payload":{"n":3},"_linkSource":[1]}"#),
        [
            r#"wires: {"payload":{"n":3,"tag":"sub"},"_linkSource":[1]}"#,
            r#"complete: {"payload":{"n":3,"tag":"sub"},"_linkSource":[1],"complete":{"source":{"id":"call","type":"link call"}}}"#,
        ]
    );
}

/// A dynamic call's error names the target as `String(target)` writes
/// it, in a device's error text of 128 bytes: a longer one is cut there.
#[test]
fn a_dynamic_calls_error_text_is_cut_at_the_error_texts_capacity() {
    use psos::nodes::{DynamicLinkCall, LinkTarget};
    use psos::ERROR_TEXT_CAPACITY;
    const TARGETS: &[LinkTarget] = &[LinkTarget {
        id: Some("sub"),
        name: "subroutine",
        near: true,
        on_tab: true,
    }];
    let call = DynamicLinkCall::new(CALL_INFO, 3, TARGETS);
    let device = Device::new("dynamic", "link");
    let long = "x".repeat(200);
    let mut sent = Vec::new();
    for target in [
        format!("\"{long}\""),
        "{\"a\":1}".to_string(),
        "\"subroutine\"".to_string(),
    ] {
        let text = format!("{{\"target\":{target}}}");
        let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes()).expect("the input reads");
        call.input(
            &device,
            &mut msg,
            &mut |port: usize, msg: &mut Msg<CAPACITY>| sent.push((port, format!("{msg:?}"))),
        );
        let error = device
            .take_error()
            .map(|error| error.message.as_str().to_string());
        match target.as_str() {
            "{\"a\":1}" => assert_eq!(
                error.as_deref(),
                Some("Error: target link-in node '[object Object]' not found")
            ),
            "\"subroutine\"" => assert_eq!(error, None),
            _ => {
                let error = error.expect("an error");
                assert_eq!(error.len(), ERROR_TEXT_CAPACITY);
                assert!(
                    error.starts_with("Error: target link-in node 'xxx"),
                    "{error}"
                );
            }
        }
    }
    assert_eq!(
        sent,
        [(
            0,
            r#"{"target":"subroutine","_linkSource":[3]}"#.to_string()
        )]
    );
}
