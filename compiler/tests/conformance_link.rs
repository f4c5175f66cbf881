//! Node-RED's link call, held to the five cases of
//! `test/nodes/core/common/60-link_spec.js` (Node-RED 4.x) that name
//! their link in by `msg.target` or wait for an answer that never comes,
//! and to cases of our own for what `60-link.js` does beyond them. Each
//! case is a flow read by psosc; a message is then walked through the
//! nodes it lowered: link calls and returns run by the runtime
//! (`DynamicLinkCall`, `LinkCall`, `TimedLinkCall`, `LinkReturn`) on the
//! tables psosc made, along the wires psosc made, on a clock the walk
//! sets for the calls that may time out, and an error goes to the catch
//! nodes psosc chose for the call. The other nodes of these flows (change
//! and debug nodes, which stand for the spec's `helper` nodes) only pass
//! the message on: what is held here is where a message goes, and what
//! comes back.
//!
//! "should not raise error after deploying a name change to a duplicate
//! link-in node" is the flow as it is after the change (a device is
//! built from a flow, and built again when it changes).

mod psosc_to_runtime;

use std::collections::HashMap;

use psos::nodes::{
    catch_error, DynamicLinkCall, LinkCall, LinkReturn, LinkTarget, TimedLinkCall, UnlinkedCall,
};
use psos::{Device, Msg, NodeInfo, Outputs};
use psosc::ir::{Flow, NodeKind};
use psosc_to_runtime::{check, leak, leak_str};

const CAPACITY: usize = 512;

/// A dynamic call's table, as generated code holds it.
fn targets(targets: &[psosc::ir::LinkTarget]) -> &'static [LinkTarget] {
    leak(
        targets
            .iter()
            .map(|target| LinkTarget {
                id: target.id.as_deref().map(leak_str),
                name: leak_str(&target.name),
                near: target.near,
                on_tab: target.on_tab,
            })
            .collect(),
    )
}

/// The most calls that may wait at once in a call psosc gives a table.
const MOST_WAITING: usize = psosc::nodes::link::MAX_WAITING;

/// A call that may time out, as generated code holds it, with room for
/// the most waiting calls psosc gives one and their messages.
type Timed = TimedLinkCall<CAPACITY, MOST_WAITING, MOST_WAITING>;

/// What happens to a message after `input` is given to `entry`.
enum Then {
    /// Nothing more.
    Nothing,
    /// The calls' timers run at this time (in ms from the input).
    TickAt(u64),
}

/// Lowers `flow`, gives `input` to the node `entry`, and writes what
/// happens, one line a step: each node the message reaches (`id`), each
/// error (`id failed: TEXT, to [catch ids]`), and what a debug node
/// receives (`id <- MSG`).
fn check_walk(flow: &str, entry: &str, input: &str, expect: &[&str]) {
    check_walk_then(flow, entry, input, Then::Nothing, expect);
}

fn check_walk_then(flow: &str, entry: &str, input: &str, then: Then, expect: &[&str]) {
    let (lowered, errors) = check("link.json", flow.to_string(), &|_| None);
    assert!(errors.is_empty(), "{errors:#?}");
    let flow = lowered.expect("a flow without errors lowers");
    let device = Device::new("link", "conformance");
    let entry = flow
        .nodes
        .iter()
        .position(|node| node.id == entry)
        .expect("the entry node runs");
    let timed: HashMap<usize, Timed> = flow
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(index, node)| match &node.kind {
            NodeKind::LinkCall(call) => {
                let timeout = call.timeout.as_ref()?;
                assert!(timeout.waiting <= MOST_WAITING);
                let targets = call.dynamic.as_deref().map(targets);
                let call = Timed::new(info(node), call.caller, targets, timeout.ms);
                Some((index, call))
            }
            _ => None,
        })
        .collect();
    let mut walk = Walk {
        flow: &flow,
        device: &device,
        timed: &timed,
        now_ms: 0,
        trace: Vec::new(),
    };
    let mut msg = Msg::<CAPACITY>::from_json(input.as_bytes()).expect("the input reads");
    walk.node(entry, &mut msg, 0);
    if let Then::TickAt(at) = then {
        walk.now_ms = at;
        walk.tick();
    }
    assert_eq!(walk.trace, expect);
}

fn info(node: &psosc::ir::Node) -> NodeInfo {
    NodeInfo::new(leak_str(&node.id), "", leak_str(&node.type_name))
}

/// A message walked through a lowered flow, on one device.
struct Walk<'a> {
    flow: &'a Flow,
    device: &'a Device,
    timed: &'a HashMap<usize, Timed>,
    now_ms: u64,
    trace: Vec<String>,
}

impl Walk<'_> {
    fn node(&mut self, index: usize, msg: &mut Msg<CAPACITY>, depth: usize) {
        assert!(depth < 32, "the walk loops: {:#?}", self.trace);
        let flow = self.flow;
        let node = &flow.nodes[index];
        let info = info(node);
        let mut sent: Vec<(usize, Msg<CAPACITY>)> = Vec::new();
        let mut out = |port: usize, msg: &mut Msg<CAPACITY>| sent.push((port, msg.clone()));
        match &node.kind {
            NodeKind::Debug(_) => {
                self.trace.push(format!("{} <- {msg:?}", node.id));
                return;
            }
            NodeKind::LinkCall(call) => match (self.timed.get(&index), &call.dynamic) {
                (Some(timed), _) => timed.input_at(self.now_ms, self.device, msg, &mut out),
                (None, Some(table)) => DynamicLinkCall::new(info, call.caller, targets(table))
                    .input(self.device, msg, &mut out),
                (None, None) => LinkCall::new(info, call.caller).input(self.device, msg, &mut out),
            },
            NodeKind::UnlinkedCall(target) => {
                UnlinkedCall::new(info, leak_str(target)).input(self.device, msg, &mut out);
            }
            NodeKind::LinkReturn(link_return) => LinkReturn::new(
                info,
                leak(link_return.callers.clone()),
            )
            .input(self.device, msg, &mut out),
            _ => out.send(0, msg),
        }
        self.trace.push(node.id.clone());
        self.failed(index);
        self.send(index, sent, depth);
    }

    /// Writes the error `index` reported, if any, with the catch nodes
    /// that take it.
    fn failed(&mut self, index: usize) {
        let flow = self.flow;
        if let Some(error) = self.device.take_error() {
            let catches: Vec<&str> = flow
                .caught_by
                .get(&index)
                .into_iter()
                .flatten()
                .map(|catch| flow.nodes[*catch].id.as_str())
                .collect();
            self.trace.push(format!(
                "{} failed: {}, to {catches:?}",
                flow.nodes[index].id,
                error.message.as_str()
            ));
        }
    }

    fn send(&mut self, index: usize, sent: Vec<(usize, Msg<CAPACITY>)>, depth: usize) {
        for (port, msg) in sent {
            for wire in self
                .flow
                .wires
                .iter()
                .filter(|wire| wire.from == index && wire.port == port)
            {
                self.node(wire.to, &mut msg.clone(), depth + 1);
            }
        }
    }

    /// Runs the timer of each call that may time out, and walks on what
    /// its catch nodes get.
    fn tick(&mut self) {
        let mut indices: Vec<usize> = self.timed.keys().copied().collect();
        indices.sort_unstable();
        for index in indices {
            let Some(call) = self.timed.get(&index) else {
                continue;
            };
            // As generated code does, the catch nodes are told of each
            // call that times out as the timer hands it over.
            let node = &self.flow.nodes[index];
            let mut out = TimedOut {
                device: self.device,
                source: info(node),
                caught: Vec::new(),
            };
            call.tick_at(self.now_ms, self.device, &mut out);
            let catches: Vec<usize> = self.flow.caught_by.get(&index).cloned().unwrap_or_default();
            for msg in out.caught {
                self.trace.push(format!("{} timed out", node.id));
                for catch in &catches {
                    self.node(*catch, &mut msg.clone(), 1);
                }
            }
        }
    }
}

/// The outputs of a call's timer, as generated code makes them for a call
/// catch nodes watch: the message catch nodes get for each error it
/// reports with a message.
struct TimedOut<'a> {
    device: &'a Device,
    source: NodeInfo,
    caught: Vec<Msg<CAPACITY>>,
}

impl Outputs<CAPACITY> for TimedOut<'_> {
    fn send(&mut self, _port: usize, _msg: &mut Msg<CAPACITY>) {}

    fn error_with(&mut self, msg: &Msg<CAPACITY>) {
        catch_error(self.device, &self.source, msg, |msg| {
            self.caught.push(msg.clone())
        });
    }
}

// "should timeout waiting for link return": the subroutine's link out is
// not in return mode, so no answer comes; half a second after the call,
// its catch node gets the message as it was sent with
// `msg.error.message` "timeout" and the call as its source.
#[test]
fn a_call_whose_subroutine_never_returns_times_out_to_its_catch_node() {
    check_walk_then(
        r#"[{"id": "tab-flow-1", "type": "tab", "label": "Flow 1"},
            {"id": "link-in-1", "z": "tab-flow-1", "type": "link in", "name": "double payload", "wires": [["func"]]},
            {"id": "func", "z": "tab-flow-1", "type": "change", "rules": [], "wires": [["link-out-1"]]},
            {"id": "link-out-1", "z": "tab-flow-1", "type": "link out", "mode": ""},
            {"id": "link-call", "z": "tab-flow-1", "type": "link call", "linkType": "static", "timeout": "0.5", "links": ["link-in-1"], "wires": [["n4"]]},
            {"id": "catch-all", "z": "tab-flow-1", "type": "catch", "scope": ["link-call"], "uncaught": true, "wires": [["n4"]]},
            {"id": "n4", "z": "tab-flow-1", "type": "debug"}]"#,
        "link-call",
        r#"{"payload":"hello","target":"double payload"}"#,
        Then::TickAt(500),
        &[
            "link-call",
            "func",
            "link-call timed out",
            "catch-all",
            r#"n4 <- {"payload":"hello","target":"double payload","_linkSource":[],"error":{"message":"timeout","source":{"id":"link-call","type":"link call","count":1}}}"#,
        ],
    );
}

// "should call link-in node by name and get response": the link in of
// that name on the call's tab is called, though another tab has one of
// the same name, and its return answers the call.
#[test]
fn a_call_by_name_finds_the_link_in_on_its_tab() {
    check_walk(
        r#"[{"id": "tab-flow-1", "type": "tab", "label": "Flow 1"},
            {"id": "tab-flow-2", "type": "tab", "label": "Flow 2"},
            {"id": "link-in-1", "z": "tab-flow-1", "type": "link in", "name": "double payload", "wires": [["func"]]},
            {"id": "link-in-2", "z": "tab-flow-2", "type": "link in", "name": "double payload", "wires": [["func"]]},
            {"id": "func", "z": "tab-flow-1", "type": "change", "rules": [], "wires": [["link-out-1"]]},
            {"id": "link-out-1", "z": "tab-flow-1", "type": "link out", "mode": "return"},
            {"id": "link-call", "z": "tab-flow-1", "type": "link call", "linkType": "dynamic", "links": [], "wires": [["n4"]]},
            {"id": "n4", "z": "tab-flow-1", "type": "debug"}]"#,
        "link-call",
        r#"{"payload":5,"target":"double payload"}"#,
        &[
            "link-call",
            "func",
            "link-out-1",
            r#"n4 <- {"payload":5,"target":"double payload"}"#,
        ],
    );
}

/// The flow of "should raise error due to multiple targets ...": two link
/// in nodes named "double payload", on `tab_1` and `tab_2`, and a call on
/// `tab-flow-1` whose errors a catch node sends to `n4`.
fn two_of_a_name(tab_1: &str, tab_2: &str) -> String {
    format!(
        r#"[{{"id": "tab-flow-1", "type": "tab", "label": "Flow 1"}},
            {{"id": "tab-flow-2", "type": "tab", "label": "Flow 2"}},
            {{"id": "tab-flow-3", "type": "tab", "label": "Flow 3"}},
            {{"id": "link-in-1", "z": "{tab_1}", "type": "link in", "name": "double payload", "wires": [["func"]]}},
            {{"id": "link-in-2", "z": "{tab_2}", "type": "link in", "name": "double payload", "wires": [["func"]]}},
            {{"id": "func", "z": "tab-flow-1", "type": "change", "rules": [], "wires": [["link-out-1"]]}},
            {{"id": "link-out-1", "z": "tab-flow-1", "type": "link out", "mode": "return"}},
            {{"id": "link-call", "z": "tab-flow-1", "type": "link call", "linkType": "dynamic", "links": [], "wires": [["n4"]]}},
            {{"id": "catch-all", "z": "tab-flow-1", "type": "catch", "scope": ["link-call"], "uncaught": true, "wires": [["n4"]]}},
            {{"id": "n4", "z": "tab-flow-1", "type": "debug"}}]"#
    )
}

/// Walks "should raise error due to multiple targets ..." with its two
/// link in nodes on `tab_1` and `tab_2`: the catch node is given Node-RED's
/// error, and the message goes nowhere.
fn check_two_of_a_name(tab_1: &str, tab_2: &str) {
    check_walk(
        &two_of_a_name(tab_1, tab_2),
        "link-call",
        r#"{"payload":"hello","target":"double payload"}"#,
        &[
            "link-call",
            "link-call failed: Error: Multiple link-in nodes named 'double payload' found, to [\"catch-all\"]",
        ],
    );
}

// "should raise error due to multiple targets on same tab".
#[test]
fn two_link_ins_of_the_name_on_the_calls_tab_are_an_error() {
    check_two_of_a_name("tab-flow-1", "tab-flow-1");
}

// "should raise error due to multiple targets on different tabs": neither
// is on the call's tab, and the name is looked up across tabs.
#[test]
fn two_link_ins_of_the_name_on_other_tabs_are_an_error() {
    check_two_of_a_name("tab-flow-2", "tab-flow-3");
}

// "should not raise error after deploying a name change to a duplicate
// link-in node": once renamed, the link in is found by its new name.
#[test]
fn a_renamed_link_in_is_found_by_its_new_name() {
    check_walk(
        r#"[{"id": "tab-flow-1", "type": "tab", "label": "Flow 1"},
            {"id": "link-in-1", "z": "tab-flow-1", "type": "link in", "name": "duplicate", "wires": [["link-out-1"]]},
            {"id": "link-in-2", "z": "tab-flow-1", "type": "link in", "name": "add", "wires": [["link-out-1"]]},
            {"id": "link-out-1", "z": "tab-flow-1", "type": "link out", "mode": "return"},
            {"id": "link-call", "z": "tab-flow-1", "type": "link call", "linkType": "dynamic", "links": [], "wires": [["n4"]]},
            {"id": "n4", "z": "tab-flow-1", "type": "debug"}]"#,
        "link-call",
        r#"{"payload":"hello","target":"add"}"#,
        &[
            "link-call",
            "link-out-1",
            r#"n4 <- {"payload":"hello","target":"add"}"#,
        ],
    );
}

/// A flow of our own: link in nodes by id, by name, unnamed, on another
/// tab, in a subflow instance (`inst`, of subflow `sf`, which holds a
/// link in named "inner" and a dynamic call), each leading to a debug
/// node of its own, and a call `call` on tab `t1` whose errors go to
/// `c`'s debug node.
const OWN: &str = r#"[{"id": "t1", "type": "tab"}, {"id": "t2", "type": "tab"},
    {"id": "call", "z": "t1", "type": "link call", "linkType": "dynamic", "links": ["named"], "wires": [["back"]]},
    {"id": "c", "z": "t1", "type": "catch", "scope": ["call"], "wires": [["caught"]]},
    {"id": "named", "z": "t1", "type": "link in", "name": "alpha", "wires": [["to-named"]]},
    {"id": "plain", "z": "t1", "type": "link in", "wires": [["to-plain"]]},
    {"id": "12", "z": "t1", "type": "link in", "name": "twelve", "wires": [["to-12"]]},
    {"id": "far", "z": "t2", "type": "link in", "name": "beta", "wires": [["to-far"]]},
    {"id": "alpha", "z": "t2", "type": "link in", "name": "gamma", "wires": [["to-alpha"]]},
    {"id": "sf", "type": "subflow", "name": "S", "in": [{"wires": [{"id": "sf-call"}]}], "out": [{"wires": [{"id": "sf-call", "port": 0}]}]},
    {"id": "sf-in", "z": "sf", "type": "link in", "name": "inner", "wires": [["sf-to"]]},
    {"id": "sf-to", "z": "sf", "type": "change", "rules": [], "wires": [["sf-back"]]},
    {"id": "sf-back", "z": "sf", "type": "link out", "mode": "return"},
    {"id": "sf-call", "z": "sf", "type": "link call", "linkType": "dynamic", "links": [], "wires": [[]]},
    {"id": "inst", "z": "t1", "type": "subflow:sf", "wires": [["from-inst"]]},
    {"id": "enter", "z": "t1", "type": "change", "rules": [], "wires": [["inst"]]},
    {"id": "from-inst", "z": "t1", "type": "debug"},
    {"id": "to-named", "z": "t1", "type": "debug"}, {"id": "to-plain", "z": "t1", "type": "debug"},
    {"id": "to-12", "z": "t1", "type": "debug"}, {"id": "to-far", "z": "t2", "type": "debug"},
    {"id": "to-alpha", "z": "t2", "type": "debug"}, {"id": "back", "z": "t1", "type": "debug"},
    {"id": "caught", "z": "t1", "type": "debug"}]"#;

#[test]
fn a_target_is_an_id_before_it_is_a_name() {
    // "alpha" is one link in's id and another's name: the id wins, on
    // another tab too; ids and names of link in nodes elsewhere reach
    // them; an unnamed link in is named by its id.
    let cases = [
        ("alpha", "to-alpha"),
        ("named", "to-named"),
        ("beta", "to-far"),
        ("far", "to-far"),
        ("plain", "to-plain"),
        ("gamma", "to-alpha"),
    ];
    for (target, reached) in cases {
        let input = format!(r#"{{"target":"{target}"}}"#);
        // The call may time out (its link in nodes lead to debug nodes,
        // which never answer): its record carries its first ticket.
        let received = format!(r#"{reached} <- {{"target":"{target}","_linkSource":[65536]}}"#);
        check_walk(OWN, "call", &input, &["call", &received]);
    }
}

#[test]
fn a_target_that_is_not_text_is_looked_up_as_its_text() {
    // `String(12)` is "12", a link in's id; `[1,2]` is "1,2"; a falsy
    // target names nothing, and the error shows it empty.
    check_walk(
        OWN,
        "call",
        r#"{"target":12}"#,
        &["call", r#"to-12 <- {"target":12,"_linkSource":[65536]}"#],
    );
    check_walk(
        OWN,
        "call",
        r#"{"target":[1,2]}"#,
        &[
            "call",
            r#"call failed: Error: target link-in node '1,2' not found, to ["c"]"#,
        ],
    );
    for target in ["0", "false", "null", "\"\""] {
        check_walk(
            OWN,
            "call",
            &format!(r#"{{"target":{target}}}"#),
            &[
                "call",
                r#"call failed: Error: target link-in node '' not found, to ["c"]"#,
            ],
        );
    }
    check_walk(
        OWN,
        "call",
        r#"{"payload":1}"#,
        &[
            "call",
            r#"call failed: Error: target link-in node '' not found, to ["c"]"#,
        ],
    );
}

#[test]
fn an_unknown_target_is_an_error_and_the_message_goes_nowhere() {
    check_walk(
        OWN,
        "call",
        r#"{"target":"nowhere","payload":{"a":1}}"#,
        &[
            "call",
            r#"call failed: Error: target link-in node 'nowhere' not found, to ["c"]"#,
        ],
    );
}

// A static call whose `links` are empty, or name a disabled link in
// first (Node-RED calls the first only), finds no link in: `60-link.js`
// throws `target link-in node '${target || ""}' not found` for each
// message, which `node.error(error, msg)` gives its catch nodes, and
// sends nothing on.
#[test]
fn a_static_call_that_names_no_link_in_is_an_error_and_the_message_goes_nowhere() {
    for (links, target) in [("[]", ""), (r#"["off", "on"]"#, "off")] {
        let flow = format!(
            r#"[{{"id": "enter", "type": "change", "rules": [], "wires": [["call"]]}},
            {{"id": "call", "type": "link call", "links": {links}, "wires": [["shown"]]}},
            {{"id": "c", "type": "catch", "scope": ["call"], "wires": []}},
            {{"id": "off", "type": "link in", "d": true, "wires": [["back"]]}},
            {{"id": "on", "type": "link in", "wires": [["back"]]}},
            {{"id": "back", "type": "link out", "mode": "return"}},
            {{"id": "shown", "type": "debug"}}]"#
        );
        let error =
            format!(r#"call failed: Error: target link-in node '{target}' not found, to ["c"]"#);
        check_walk(
            &flow,
            "enter",
            r#"{"payload":1}"#,
            &["enter", "call", &error],
        );
    }
}

#[test]
fn a_call_in_a_subflow_instance_finds_the_instances_link_in_by_name_only() {
    // Its own link in by name, and its answer comes back through the call
    // (which may time out, as it may call a tab's link in) and out of the
    // instance; the link in of the subflow is not found by its id in the
    // subflow (Node-RED gives copies ids made at random), nor from a tab.
    check_walk(
        OWN,
        "enter",
        r#"{"target":"inner"}"#,
        &[
            "enter",
            "inst-sf-call",
            "inst-sf-to",
            "inst-sf-back",
            "inst-sf-call",
            r#"from-inst <- {"target":"inner"}"#,
        ],
    );
    check_walk(
        OWN,
        "enter",
        r#"{"target":"sf-in"}"#,
        &[
            "enter",
            "inst-sf-call",
            r#"inst-sf-call failed: Error: target link-in node 'sf-in' not found, to []"#,
        ],
    );
    check_walk(
        OWN,
        "call",
        r#"{"target":"inner"}"#,
        &[
            "call",
            r#"call failed: Error: target link-in node 'inner' not found, to ["c"]"#,
        ],
    );
    // From the instance, tabs' link in nodes by id and by name.
    check_walk(
        OWN,
        "enter",
        r#"{"target":"beta"}"#,
        &[
            "enter",
            "inst-sf-call",
            r#"to-far <- {"target":"beta","_linkSource":[65537]}"#,
        ],
    );
}

#[test]
fn a_watched_dynamic_call_is_answered_where_its_answer_comes_back() {
    // A complete node watches the call: the return's port for it leads to
    // the call's `LinkAnswer` (which has the call's id), which sends the
    // answer on.
    check_walk(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "a", "z": "t1", "type": "inject", "repeat": "1", "wires": [["c1"]]},
            {"id": "c1", "z": "t1", "type": "link call", "linkType": "dynamic", "links": [], "wires": [["x"]]},
            {"id": "both", "z": "t1", "type": "link in", "name": "both", "wires": [["back"]]},
            {"id": "back", "z": "t1", "type": "link out", "mode": "return"},
            {"id": "x", "z": "t1", "type": "debug", "wires": []},
            {"id": "y", "z": "t1", "type": "debug", "wires": []},
            {"id": "cn", "z": "t1", "type": "complete", "scope": ["c1"], "wires": [["y"]]}]"#,
        "a",
        r#"{"target":"both"}"#,
        &["a", "c1", "back", "c1", r#"x <- {"target":"both"}"#],
    );
}
