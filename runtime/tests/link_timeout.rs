//! A link call that may time out (`TimedLinkCall`), on a clock the test
//! drives: what `60-link.js` does with a call its subroutine answers in
//! time, late or never, and what a device does where Node-RED has no
//! limit, a full table of waiting calls. Each case is a script of
//! events; the subroutine is the test, which keeps what the call sends to
//! its link in and answers it through a `LinkReturn` when told to.

mod node_support;

use node_support::{sent_only, Outcome, CAPACITY};
use psos::nodes::{LinkReturn, LinkTarget, TimedLinkCall};
use psos::{Device, ErrorKind, Msg, NodeInfo, Outputs};

const CALL_INFO: NodeInfo = NodeInfo::new("call", "", "link call");
const RETURN_INFO: NodeInfo = NodeInfo::new("back", "", "link out");
const CALLER: u16 = 2;

/// What happens in a case, in order.
enum Event {
    /// A message for the call at a time.
    Call(u64, &'static str),
    /// The subroutine answers the `n`th message it got, at a time.
    Answer(u64, usize),
    /// The call's timer, at a time.
    Tick(u64),
}

/// Where the call's messages go: to its link in (kept for the
/// subroutine), to its outputs (the answer port), by its port for answers
/// that find no wait when it has one, and the messages of the errors it
/// reports to catch nodes.
struct Trace<'a> {
    answer_port: usize,
    late_port: usize,
    subroutine: &'a mut Vec<Msg<CAPACITY>>,
    lines: &'a mut Vec<String>,
    device: &'a Device,
}

impl Outputs<CAPACITY> for Trace<'_> {
    fn send(&mut self, port: usize, msg: &mut Msg<CAPACITY>) {
        if port == self.answer_port {
            self.lines.push(format!("answer {msg:?}"));
        } else if port == self.late_port {
            self.lines.push(format!("late answer {msg:?}"));
        } else {
            self.lines.push(format!("link in {port} {msg:?}"));
            self.subroutine.push(msg.clone());
        }
    }

    fn error_with(&mut self, msg: &Msg<CAPACITY>) {
        let text = self
            .device
            .take_error()
            .map(|error| error.message.as_str().to_string())
            .unwrap_or_default();
        self.lines.push(format!("error {text:?} with {msg:?}"));
    }
}

/// Runs `events` through a call that waits `timeout_ms` with `K` places
/// (keeping messages for catch nodes when `H` is `K`), and compares what
/// happens, and the errors the device counted, with `expect`.
fn check<const K: usize, const H: usize>(
    call: &TimedLinkCall<CAPACITY, K, H>,
    events: &[Event],
    expect: &[&str],
) {
    let device = Device::new("link timeout", "link");
    let link_return = LinkReturn::new(RETURN_INFO, &[CALLER]);
    let mut subroutine = Vec::new();
    let mut lines = Vec::new();
    for event in events {
        let mut trace = Trace {
            answer_port: call.answer_port(),
            late_port: call.late_port(),
            subroutine: &mut subroutine,
            lines: &mut lines,
            device: &device,
        };
        match event {
            Event::Call(at, json) => {
                let mut msg = Msg::<CAPACITY>::from_json(json.as_bytes()).expect("the input reads");
                call.input_at(*at, &device, &mut msg, &mut trace);
            }
            Event::Answer(at, n) => {
                let mut msg = trace
                    .subroutine
                    .get(*n)
                    .expect("a message to answer")
                    .clone();
                let mut back = Vec::new();
                link_return.input(
                    &device,
                    &mut msg,
                    &mut |port: usize, msg: &mut Msg<CAPACITY>| {
                        back.push((port, msg.clone()));
                    },
                );
                for (port, mut msg) in back {
                    assert_eq!(port, 0, "the return answers its one caller");
                    call.input_at(*at, &device, &mut msg, &mut trace);
                }
            }
            Event::Tick(at) => call.tick_at(*at, &device, &mut trace),
        }
    }
    lines.extend(
        device
            .errors_seen()
            .map(|(kind, count)| format!("counted {} {count}", kind.name())),
    );
    assert_eq!(lines, expect);
}

fn static_call<const K: usize, const H: usize>(timeout_ms: u64) -> TimedLinkCall<CAPACITY, K, H> {
    TimedLinkCall::new(CALL_INFO, CALLER, None, timeout_ms)
}

// A call's record carries its ticket (`2 + 65536 * 1`); the return marks
// it answered (`-65539`) and the call takes it off, with the list once
// empty, and sends the answer on. A tick after that finds nothing due.
#[test]
fn an_answer_just_in_time_is_sent_on_and_cancels_the_wait() {
    check(
        &static_call::<8, 8>(500),
        &[
            Event::Call(0, r#"{"payload":"hello"}"#),
            Event::Tick(499),
            Event::Answer(500, 0),
            Event::Tick(500),
            Event::Tick(10_000),
        ],
        &[
            r#"link in 0 {"payload":"hello","_linkSource":[65538]}"#,
            r#"answer {"payload":"hello"}"#,
        ],
    );
}

// "should timeout waiting for link return": the subroutine never answers;
// at the deadline the call reports `timeout` with the message as it was
// sent (its record list started, Node-RED's copy taken before its own
// record is pushed), once, and counts it.
#[test]
fn a_call_not_answered_in_time_reports_timeout_with_the_message_it_sent() {
    check(
        &static_call::<8, 8>(500),
        &[
            Event::Call(0, r#"{"payload":"hello","target":"double payload"}"#),
            Event::Tick(499),
            Event::Tick(500),
            Event::Tick(501),
        ],
        &[
            r#"link in 0 {"payload":"hello","target":"double payload","_linkSource":[65538]}"#,
            r#"error "timeout" with {"payload":"hello","target":"double payload","_linkSource":[]}"#,
            "counted timeout 1",
        ],
    );
}

// `returnLinkMessage` sends on what it finds no wait for: an answer that
// comes after its call timed out is sent on all the same.
#[test]
fn a_late_answer_is_sent_on_after_the_timeout() {
    check(
        &static_call::<8, 8>(500),
        &[
            Event::Call(0, r#"{"payload":1}"#),
            Event::Tick(600),
            Event::Answer(700, 0),
        ],
        &[
            r#"link in 0 {"payload":1,"_linkSource":[65538]}"#,
            r#"error "timeout" with {"payload":1,"_linkSource":[]}"#,
            r#"answer {"payload":1}"#,
            "counted timeout 1",
        ],
    );
}

// Calls time out earliest deadline first, and a call no catch node
// watches keeps no message: its timeout is counted, and told to none.
#[test]
fn calls_time_out_in_the_order_of_their_deadlines() {
    check(
        &static_call::<8, 8>(100),
        &[
            Event::Call(20, r#"{"payload":"second"}"#),
            Event::Call(10, r#"{"payload":"first"}"#),
            Event::Answer(50, 1),
            Event::Call(60, r#"{"payload":"third"}"#),
            Event::Tick(500),
        ],
        &[
            r#"link in 0 {"payload":"second","_linkSource":[65538]}"#,
            r#"link in 0 {"payload":"first","_linkSource":[131074]}"#,
            r#"answer {"payload":"first"}"#,
            r#"link in 0 {"payload":"third","_linkSource":[196610]}"#,
            r#"error "timeout" with {"payload":"second","_linkSource":[]}"#,
            r#"error "timeout" with {"payload":"third","_linkSource":[]}"#,
            "counted timeout 2",
        ],
    );
    check(
        &static_call::<8, 0>(100),
        &[Event::Call(0, r#"{"payload":1}"#), Event::Tick(100)],
        &[
            r#"link in 0 {"payload":1,"_linkSource":[65538]}"#,
            "counted timeout 1",
        ],
    );
}

// Node-RED keeps every call waiting; a device has `K` places. A call that
// finds them taken still goes to its link in, and its answer is sent on,
// but it cannot time out: the device counts `queue full` and logs why.
#[test]
fn a_call_that_finds_the_table_full_goes_on_without_a_deadline() {
    check(
        &static_call::<2, 2>(100),
        &[
            Event::Call(0, r#"{"payload":1}"#),
            Event::Call(0, r#"{"payload":2}"#),
            Event::Call(0, r#"{"payload":3}"#),
            Event::Answer(10, 2),
            Event::Tick(100),
        ],
        &[
            r#"link in 0 {"payload":1,"_linkSource":[65538]}"#,
            r#"link in 0 {"payload":2,"_linkSource":[131074]}"#,
            // Its ticket, 3, carries the bit of a call that waits for
            // nothing (2³¹).
            r#"link in 0 {"payload":3,"_linkSource":[140737488551938]}"#,
            r#"answer {"payload":3}"#,
            r#"error "timeout" with {"payload":1,"_linkSource":[]}"#,
            r#"error "timeout" with {"payload":2,"_linkSource":[]}"#,
            "counted queue full 1",
            "counted timeout 2",
        ],
    );
    // What it logs, on the device's console, through the node's hooks.
    let outcome = node_support::run(
        "link-full",
        &mut static_call::<1, 0>(100),
        &[r#"{"payload":1}"#, r#"{"payload":2}"#],
    );
    assert_eq!(
        outcome,
        Outcome {
            logged: vec![
                "1 calls already wait for their answers: this one cannot time out".to_string()
            ],
            errors: vec![(ErrorKind::QueueFull, 1)],
            ..sent_only(&[
                r#"{"payload":1,"_linkSource":[65538]}"#,
                r#"{"payload":2,"_linkSource":[140737488486402]}"#,
            ])
        }
    );
}

// Node-RED's `returnLinkMessage` calls `done()` after sending on an answer
// it finds a wait for, and sends on one it finds none for (late, or a
// second answer) without it. A call complete nodes watch sends the first
// by its answer port (to its `LinkAnswer`, which tells them) and the
// others by the port after it (straight to its outputs). A call that found
// the table full waits for nothing, but in Node-RED it would have: its
// answer goes by the answer port.
#[test]
fn a_watched_calls_answers_that_find_no_wait_leave_by_a_port_of_their_own() {
    check(
        &static_call::<1, 1>(500).with_late_port(),
        &[
            Event::Call(0, r#"{"payload":1}"#),
            Event::Call(0, r#"{"payload":2}"#),
            Event::Answer(100, 0),
            Event::Answer(100, 0),
            Event::Answer(200, 1),
            Event::Call(300, r#"{"payload":3}"#),
            Event::Tick(800),
            Event::Answer(900, 2),
        ],
        &[
            r#"link in 0 {"payload":1,"_linkSource":[65538]}"#,
            r#"link in 0 {"payload":2,"_linkSource":[140737488486402]}"#,
            r#"answer {"payload":1}"#,
            r#"late answer {"payload":1}"#,
            r#"answer {"payload":2}"#,
            r#"link in 0 {"payload":3,"_linkSource":[196610]}"#,
            r#"error "timeout" with {"payload":3,"_linkSource":[]}"#,
            r#"late answer {"payload":3}"#,
            "counted queue full 1",
            "counted timeout 1",
        ],
    );
}

// A message with room for its record list but not for the record is
// dropped as oversize: it never reaches the subroutine, so no timeout is
// reported for it later, and its place is free for the next call.
#[test]
fn a_call_dropped_for_want_of_room_for_its_record_owes_no_timeout() {
    // `{"payload":"x..x","_linkSource":[]}` fills the message exactly.
    let filler = "x".repeat(CAPACITY - r#"{"payload":"","_linkSource":[]}"#.len());
    let full = format!(r#"{{"payload":"{filler}"}}"#);
    let full: &'static str = Box::leak(full.into_boxed_str());
    check(
        &static_call::<1, 1>(100),
        &[
            Event::Call(0, full),
            Event::Call(10, r#"{"payload":2}"#),
            Event::Tick(100),
            Event::Tick(200),
        ],
        &[
            r#"link in 0 {"payload":2,"_linkSource":[131074]}"#,
            r#"error "timeout" with {"payload":2,"_linkSource":[]}"#,
            "counted oversize 1",
            "counted timeout 1",
        ],
    );
}

// Nested calls: a message already inside another call's subroutine keeps
// the outer record; the inner call's answer takes its own off only, and
// the outer call's copy for its error holds the outer record.
#[test]
fn a_nested_call_answers_with_the_outer_record_kept() {
    check(
        &static_call::<8, 8>(100),
        &[
            Event::Call(0, r#"{"payload":1,"_linkSource":[7]}"#),
            Event::Answer(5, 0),
            Event::Call(5, r#"{"payload":2,"_linkSource":[7]}"#),
            Event::Tick(200),
        ],
        &[
            r#"link in 0 {"payload":1,"_linkSource":[7,65538]}"#,
            r#"answer {"payload":1,"_linkSource":[7]}"#,
            r#"link in 0 {"payload":2,"_linkSource":[7,131074]}"#,
            r#"error "timeout" with {"payload":2,"_linkSource":[7]}"#,
            "counted timeout 1",
        ],
    );
}

// A dynamic call that may time out sends to the link in `msg.target`
// names, answers on the port after them, and reports a target it cannot
// find as a dynamic call does, keeping no wait for it.
#[test]
fn a_dynamic_call_waits_for_the_link_in_it_found() {
    const TARGETS: &[LinkTarget] = &[
        LinkTarget {
            id: Some("a"),
            name: "first",
            near: true,
            on_tab: true,
        },
        LinkTarget {
            id: Some("b"),
            name: "second",
            near: true,
            on_tab: true,
        },
    ];
    let call = TimedLinkCall::<CAPACITY, 8, 8>::new(CALL_INFO, CALLER, Some(TARGETS), 100);
    assert_eq!(call.answer_port(), 2);
    check(
        &call,
        &[
            Event::Call(0, r#"{"target":"second"}"#),
            Event::Call(0, r#"{"target":"third"}"#),
            Event::Answer(50, 0),
            Event::Tick(1000),
        ],
        &[
            r#"link in 1 {"target":"second","_linkSource":[65538]}"#,
            r#"answer {"target":"second"}"#,
            "counted bad value 1",
        ],
    );
    assert_eq!(call.waiting(), 0);
}

// A return that reaches a waiting call's record of another caller, or a
// record no call wrote, sends nothing, as for a call that waits for none.
#[test]
fn a_return_sends_nothing_for_a_record_of_no_caller_of_its() {
    let link_return = LinkReturn::new(RETURN_INFO, &[CALLER]);
    let device = Device::new("link records", "link");
    for input in [
        r#"{"_linkSource":[65539]}"#,
        r#"{"_linkSource":[-65539]}"#,
        r#"{"_linkSource":[2.5]}"#,
        r#"{"_linkSource":[281474976710656]}"#,
    ] {
        let mut msg = Msg::<CAPACITY>::from_json(input.as_bytes()).expect("the input reads");
        let mut sent = 0;
        link_return.input(&device, &mut msg, &mut |_: usize, _: &mut Msg<CAPACITY>| {
            sent += 1
        });
        assert_eq!(sent, 0, "{input}");
    }
    assert_eq!(device.error_count(ErrorKind::Oversize), 0);
}
