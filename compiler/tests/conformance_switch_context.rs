//! Node-RED's `switch` node on flow and global context, held to Node-RED's
//! own tests: the cases of `test/nodes/core/function/10-switch_spec.js`
//! (Node-RED 4.x) whose property or values are context, each read by
//! psosc from the node as the spec writes it and run by the runtime with
//! the stores the spec fills; and cases of our own for what `10-switch.js`
//! does beyond them (a key not set is `undefined`, `v2t` of context, `prev`
//! of a context property). The switch's other cases are in
//! `runtime/tests/conformance_switch.rs`.
//!
//! Of the spec's 5 context cases, 4 run here as in Node-RED ("should
//! handle flow context", "... global context" and their "persistable"
//! forms, whose store `memory1` is a store of its own beside the default
//! one, as in Node-RED with it in its settings), and "should take
//! head of message sequence (w. context)" with its `repair`, run as psosc
//! runs a switch that holds sequences (`SequenceSwitch`). The 2 cases of
//! context read by JSONata (`$flowContext`) need JSONata and are skipped.

#[path = "../../runtime/tests/node_support/mod.rs"]
mod node_support;
mod psosc_to_runtime;

use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{SequenceSwitch, Switch, SwitchOp, SwitchOperand, SwitchRule, MAX_REPAIR_RULES};
use psos::{Msg, NodeInfo, PathSegment};
use psosc::ir::{self, NodeKind};
use psosc_to_runtime::{const_value, leak, path, property, CaseStores};

/// The bytes each context store has in these cases.
const STORE: usize = 512;

fn operand(operand: &ir::SwitchOperand) -> SwitchOperand {
    match operand {
        ir::SwitchOperand::Literal(literal) => SwitchOperand::Const(const_value(literal)),
        ir::SwitchOperand::Msg(target) => SwitchOperand::Msg(path(target)),
        ir::SwitchOperand::Context(value) => SwitchOperand::Context(property(value)),
        ir::SwitchOperand::Previous => SwitchOperand::Prev,
        ir::SwitchOperand::Undefined => SwitchOperand::Undefined,
    }
}

/// The operators these cases use (a `regex` rule's pattern is shown in
/// the runtime's own suite).
fn op(op: &ir::SwitchOp) -> SwitchOp {
    match op {
        ir::SwitchOp::Eq => SwitchOp::Eq,
        ir::SwitchOp::Neq => SwitchOp::Neq,
        ir::SwitchOp::Lt => SwitchOp::Lt,
        ir::SwitchOp::Gt => SwitchOp::Gt,
        ir::SwitchOp::Btwn => SwitchOp::Btwn,
        ir::SwitchOp::Null => SwitchOp::Null,
        ir::SwitchOp::Head => SwitchOp::Head,
        ir::SwitchOp::Else => SwitchOp::Else,
        other => panic!("no case here uses {other:?}"),
    }
}

/// psosc's switch node of a flow: the switch on the tab `flow`, with the
/// node's properties as the spec writes them (without `id` and `type`).
fn lower(node: &str) -> ir::Switch {
    let flow = format!(
        r##"[{{"id":"flow","type":"tab"}},{{"id":"switchNode1","type":"switch","z":"flow",{node}}}]"##
    );
    let (flow, errors) = psosc_to_runtime::check("switch.json", flow, &|_| None);
    flow.and_then(|flow| {
        flow.nodes.into_iter().find_map(|node| match node.kind {
            NodeKind::Switch(switch) => Some(switch),
            _ => None,
        })
    })
    .unwrap_or_else(|| panic!("the switch does not lower: {errors:#?}"))
}

/// Runs the node `node` with flow and global context holding `flow` and
/// `global` (JSON) on `messages`; what it sends on which port.
fn check(
    name: &'static str,
    node: &str,
    (flow, global): (&str, &str),
    messages: &[&str],
    expect: &[(usize, &str)],
) {
    check_stores(
        name,
        node,
        &[("flow", flow), ("global", global)],
        messages,
        expect,
    );
}

/// Runs the node `node` with its stores holding `before` (JSON, by the
/// label `CaseStores` gives each store: `flow`, `global memory1`, ...) on
/// `messages`; what it sends on which port. The stores hold the same after.
fn check_stores(
    name: &'static str,
    node: &str,
    before: &[(&str, &str)],
    messages: &[&str],
    expect: &[(usize, &str)],
) {
    let switch = lower(node);
    let mut case_stores = CaseStores::<STORE>::new(before);
    let rules: &'static [SwitchRule] = leak(
        switch
            .rules
            .iter()
            .map(|rule| SwitchRule {
                op: op(&rule.op),
                value: operand(&rule.value),
                value2: operand(&rule.value2),
            })
            .collect(),
    );
    let stores = case_stores.for_node(&switch.scopes());
    let node = Switch::<CAPACITY, STORE>::with_context(
        NodeInfo::new("switchNode1", "", "switch"),
        property(&switch.property),
        rules,
        switch.check_all,
        stores,
    );
    let mut outcome = if switch.holds_sequences() {
        let mut holding = SequenceSwitch::<CAPACITY, 8, MAX_REPAIR_RULES, CAPACITY, STORE>::new(
            node,
            switch.repair,
        );
        run(name, &mut holding, messages)
    } else {
        run(name, &mut { node }, messages)
    };
    if switch.repair {
        // A repaired sequence's id is the device's own: one for the port,
        // not the one the messages came with.
        let id_path = [PathSegment::Key("parts"), PathSegment::Key("id")];
        let mut ids = Vec::new();
        for (_, sent) in &mut outcome.sent {
            let mut msg = Msg::<CAPACITY>::from_json(sent.as_bytes()).expect("reads");
            ids.push(msg.get(&id_path).map(|id| id.to_string()));
            msg.remove(&id_path);
            *sent = format!("{msg:?}");
        }
        assert!(
            ids.iter().all(|id| id
                .as_ref()
                .is_some_and(|id| id.len() == 16 && Some(id) == ids[0].as_ref())),
            "{name}: one new id, {ids:?}"
        );
    }
    let expect = Outcome {
        sent: expect
            .iter()
            .map(|(port, msg)| (*port, msg.to_string()))
            .collect(),
        // Nothing logged, no error counted.
        ..sent_only(&[])
    };
    assert_eq!(outcome, expect, "{name}");
    case_stores.check(name, before);
}

#[test]
fn node_red_spec_cases() {
    check(
        "should handle flow context",
        r##""property":"foo","propertyType":"flow","rules":[{"t":"eq","v":"bar","vt":"flow"}],"checkall":"true","outputs":"1""##,
        (r#"{"foo":"flowValue","bar":"flowValue"}"#, "{}"),
        &[r#"{"payload":"value"}"#],
        &[(0, r#"{"payload":"value"}"#)],
    );
    check_stores(
        "should handle persistable flow context",
        r##""property":"#:(memory1)::foo","propertyType":"flow","rules":[{"t":"eq","v":"#:(memory1)::bar","vt":"flow"}],"checkall":"true","outputs":"1""##,
        &[("flow memory1", r#"{"foo":"flowValue","bar":"flowValue"}"#)],
        &[r#"{"payload":"value"}"#],
        &[(0, r#"{"payload":"value"}"#)],
    );
    check(
        "should handle global context",
        r##""property":"foo","propertyType":"global","rules":[{"t":"eq","v":"bar","vt":"global"}],"checkall":"true","outputs":"1""##,
        ("{}", r#"{"foo":"globalValue","bar":"globalValue"}"#),
        &[r#"{"payload":"value"}"#],
        &[(0, r#"{"payload":"value"}"#)],
    );
    check_stores(
        "should handle persistable global context",
        r##""property":"#:(memory1)::foo","propertyType":"global","rules":[{"t":"eq","v":"#:(memory1)::bar","vt":"global"}],"checkall":"true","outputs":"1""##,
        &[(
            "global memory1",
            r#"{"foo":"globalValue","bar":"globalValue"}"#,
        )],
        &[r#"{"payload":"foo"}"#],
        &[(0, r#"{"payload":"foo"}"#)],
    );
    let sequence: Vec<String> = (0..5)
        .map(|i| {
            format!(r#"{{"payload":{i},"xindex":{i},"parts":{{"index":{i},"count":5,"id":222}}}}"#)
        })
        .collect();
    let sequence: Vec<&str> = sequence.iter().map(String::as_str).collect();
    let repaired: Vec<String> = (0..3)
        .map(|i| format!(r#"{{"payload":{i},"xindex":{i},"parts":{{"index":{i},"count":3}}}}"#))
        .collect();
    check(
        "should take head of message sequence (w. context)",
        r##""name":"switchNode","property":"payload","rules":[{"t":"head","v":"count","vt":"global"}],"checkall":false,"repair":true,"outputs":1"##,
        ("{}", r#"{"count":3}"#),
        &sequence,
        &[(0, &repaired[0]), (0, &repaired[1]), (0, &repaired[2])],
    );
}

/// `evaluateNodeProperty` of a key that is not set gives `undefined`: it
/// is `null` to the `null` rule, and equal to nothing but `null` and
/// `undefined`.
#[test]
fn a_key_not_set_is_undefined() {
    check(
        "a key not set is undefined",
        r##""property":"missing","propertyType":"flow","rules":[{"t":"null"},{"t":"eq","v":"x","vt":"str"},{"t":"eq","v":"other","vt":"global"},{"t":"else"}],"checkall":"true","outputs":4"##,
        ("{}", "{}"),
        &[r#"{"payload":1}"#],
        &[(0, r#"{"payload":1}"#), (2, r#"{"payload":1}"#)],
    );
}

/// `btwn` reads both ends where the flow says, here one from flow and one
/// from global context, and a value beneath a key (`limits.high`).
#[test]
fn both_ends_of_between_may_be_context() {
    let node = r##""property":"payload","rules":[{"t":"btwn","v":"low","vt":"flow","v2":"limits.high","v2t":"global"},{"t":"else"}],"checkall":"true","outputs":2"##;
    let context = (r#"{"low":10}"#, r#"{"limits":{"high":20}}"#);
    check(
        "between context values",
        node,
        context,
        &[
            r#"{"payload":15}"#,
            r#"{"payload":25}"#,
            r#"{"payload":"10"}"#,
        ],
        &[
            (0, r#"{"payload":15}"#),
            (1, r#"{"payload":25}"#),
            (0, r#"{"payload":"10"}"#),
        ],
    );
}

/// A switch on a context property compares it with its value when the
/// message before came (`prev`): the store's value each time, not the
/// message's.
#[test]
fn previous_value_of_a_context_property() {
    check(
        "prev of a context property",
        r##""property":"level","propertyType":"global","rules":[{"t":"eq","v":"","vt":"prev"},{"t":"else"}],"checkall":"false","outputs":2"##,
        ("{}", r#"{"level":3}"#),
        // The first compares 3 with null, the second 3 with 3.
        &[r#"{"payload":"a"}"#, r#"{"payload":"b"}"#],
        &[(1, r#"{"payload":"a"}"#), (0, r#"{"payload":"b"}"#)],
    );
}
