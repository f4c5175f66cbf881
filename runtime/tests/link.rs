//! `link call` and `link out` in return mode for a subroutine with several
//! callers: the call records itself in `msg._linkSource`, the return takes
//! the last record off and sends on the port of that call, as Node-RED's
//! `60-link.js` does with its records.

mod node_support;

use node_support::{run, sent_only, Outcome};
use psos::nodes::{LinkCall, LinkReturn};
use psos::NodeInfo;

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
