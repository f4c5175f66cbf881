//! Node-RED's `change` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/function/15-change_spec.js` (Node-RED 4.x) as data.
//! Each case is the node as the spec writes it, read by psosc and run by
//! the runtime on a message, with the flow and global context the spec
//! sets before and checks after.
//!
//! Of the 93 cases there: 78 run here as in Node-RED (77 in
//! `node_red_spec_cases`, the two "supports regex groups" among them, the
//! timestamp in its own test; "deep copies the property if selected" as a
//! copy that leaves its source as it was, every copy on a device being
//! deep; the "persistable" cases on the stores `memory0` and `memory1`,
//! each a store of its own beside the default one, as Node-RED has them
//! when its settings configure them); 1 ("should load node with defaults")
//! is a lowering check; 2 ("should load defaults if set to
//! replace/change") have no property, which psosc refuses where Node-RED's
//! rule does nothing; 1 ("reports invalid regex") is refused when the flow
//! is checked, as Node-RED refuses to start the node; 5 read or write a
//! property whose key another property chooses (`lookup[msg.topic]`),
//! which psosc refuses. Skipped: the 6 JSONata cases (psosc refuses
//! JSONata, shown here once).

#[path = "../../runtime/tests/node_support/mod.rs"]
mod node_support;
mod psosc_to_runtime;

use node_support::{run, sent_only, Outcome, CAPACITY};
use psos::nodes::{Change, ChangeRule, ChangeValue, Pattern, Property, Scope, TextKind};
use psos::regex::{Captures, Finder};
use psos::{ConstValue, ErrorKind, Msg, NodeInfo, PathSegment};
use psosc::ir::{self, NodeKind};
use psosc_to_runtime::{const_value, leak, leak_str, property, CaseStores};

/// The bytes each context store has in these cases.
const STORE: usize = 512;

/// The words of memory for finding groups the nodes here are given: the
/// most psosc lets a pattern need (a device's node gets what its patterns
/// need).
const MEMORY: usize = psosc::regex::MAX_CAPTURE_WORDS;

/// `bytes` at a 4-byte aligned place that lives as long as the test, as a
/// device's static holds a DFA.
fn aligned(bytes: &[u8]) -> &'static [u8] {
    let mut room = vec![0u8; bytes.len() + 3];
    let start = room.as_ptr().align_offset(4).min(3);
    room[start..start + bytes.len()].copy_from_slice(bytes);
    &Box::leak(room.into_boxed_slice())[start..start + bytes.len()]
}

fn value(value: &ir::ChangeValue) -> ChangeValue {
    match value {
        ir::ChangeValue::Literal(literal) => ChangeValue::Const(const_value(literal)),
        ir::ChangeValue::Bytes(bytes) => ChangeValue::Bytes(leak(bytes.clone())),
        ir::ChangeValue::Timestamp => ChangeValue::Timestamp,
        ir::ChangeValue::IsoDate => ChangeValue::IsoDate(psos::IsoText::UTC),
        ir::ChangeValue::Property(from) => ChangeValue::Property(property(from)),
    }
}

fn pattern(pattern: &ir::ChangePattern) -> Pattern {
    match pattern {
        ir::ChangePattern::Text { text, kind } => Pattern::Text {
            text: leak_str(text),
            kind: match kind {
                ir::TextKind::Str => TextKind::Str,
                ir::TextKind::Num => TextKind::Num,
                ir::TextKind::Bool => TextKind::Bool,
            },
        },
        ir::ChangePattern::Regex(finder) => Pattern::Regex {
            finder: Finder::new(aligned(&finder.forward), aligned(&finder.reverse)),
            groups: finder.groups,
            named: finder.named,
            captures: finder.captures.as_ref().map(|captures| {
                Captures::new(
                    leak(captures.words.clone()),
                    leak(
                        captures
                            .names
                            .iter()
                            .map(|name| leak_str(name))
                            .collect::<Vec<_>>(),
                    ),
                )
            }),
        },
        ir::ChangePattern::Property(from) => Pattern::Property(property(from)),
    }
}

/// A rule in the general form; `psosc`'s codegen writes constants set on
/// the message in the short form, which `the_short_forms_agree` holds to
/// the same results.
fn rule(rule: &ir::ChangeRule) -> ChangeRule {
    match rule {
        ir::ChangeRule::Set { target, value: v } => ChangeRule::SetValue {
            target: property(target),
            value: value(v),
        },
        ir::ChangeRule::Change {
            target,
            from,
            value: v,
        } => ChangeRule::Change {
            target: property(target),
            from: pattern(from),
            value: value(v),
        },
        ir::ChangeRule::Delete { target } => ChangeRule::DeleteProperty {
            target: property(target),
        },
        ir::ChangeRule::Move {
            from,
            to,
            set_first,
        } => ChangeRule::Move {
            from: property(from),
            to: property(to),
            set_first: *set_first,
        },
    }
}

/// The environment psosc runs in for these cases, as the spec's `before`
/// sets it.
fn environment(name: &str) -> Option<String> {
    (name == "NR_TEST_A").then(|| "foo".to_string())
}

/// psosc's diagnostics for a flow, as headlines, and its change node's IR
/// if the flow lowers.
fn check_flow(flow: &str) -> (Option<ir::Change>, Vec<String>) {
    let (flow, errors) = psosc_to_runtime::check("change.json", flow.to_string(), &environment);
    let change = flow.and_then(|flow| {
        flow.nodes.into_iter().find_map(|node| match node.kind {
            NodeKind::Change(change) => Some(change),
            _ => None,
        })
    });
    (change, errors)
}

/// One of Node-RED's cases: a flow (the change node, and the tab or groups
/// it names), context before, a message; what leaves, and context after.
struct Case {
    name: &'static str,
    flow: String,
    input: &'static str,
    sent: Vec<&'static str>,
    flow_context: (&'static str, &'static str),
    global_context: (&'static str, &'static str),
    /// The named stores (`flow memory1`, `global memory0`) before and after.
    named: Vec<(&'static str, &'static str, &'static str)>,
    logged: Vec<&'static str>,
    errors: Vec<(ErrorKind, u32)>,
}

/// A case with a change node (its properties without `id` and `type`) on
/// the tab `flow`, with empty context that stays empty.
fn case(name: &'static str, node: &str, input: &'static str, sent: &[&'static str]) -> Case {
    Case {
        name,
        flow: format!(
            r##"[{{"id":"flow","type":"tab"}},{{"id":"changeNode1","type":"change","z":"flow",{node}}}]"##
        ),
        input,
        sent: sent.to_vec(),
        flow_context: ("{}", "{}"),
        global_context: ("{}", "{}"),
        named: Vec::new(),
        logged: Vec::new(),
        errors: Vec::new(),
    }
}

impl Case {
    fn flow_context(self, before: &'static str, after: &'static str) -> Self {
        Case {
            flow_context: (before, after),
            ..self
        }
    }

    fn global_context(self, before: &'static str, after: &'static str) -> Self {
        Case {
            global_context: (before, after),
            ..self
        }
    }

    /// A store the flow names (labelled as `CaseStores` labels it), with
    /// what it holds before and after.
    fn store(mut self, label: &'static str, before: &'static str, after: &'static str) -> Self {
        self.named.push((label, before, after));
        self
    }

    fn whole_flow(self, flow: &str) -> Self {
        Case {
            flow: flow.to_string(),
            ..self
        }
    }

    fn logs(self, logged: &[&'static str], errors: &[(ErrorKind, u32)]) -> Self {
        Case {
            logged: logged.to_vec(),
            errors: errors.to_vec(),
            ..self
        }
    }
}

fn check(case: Case) {
    let name = leak_str(case.name);
    let (change, errors) = check_flow(&case.flow);
    let Some(change) = change else {
        panic!("{name}: the node does not lower: {errors:#?}");
    };
    let labelled = |pick: fn((&'static str, &'static str)) -> &'static str| {
        [
            ("flow", pick(case.flow_context)),
            ("global", pick(case.global_context)),
        ]
        .into_iter()
        .chain(
            case.named
                .iter()
                .map(|(label, before, after)| (*label, pick((before, after)))),
        )
        .collect::<Vec<_>>()
    };
    let (before, after) = (labelled(|(before, _)| before), labelled(|(_, after)| after));
    let mut stores = CaseStores::<STORE>::new(&before);
    let given = stores.for_node(&change.scopes());
    let rules = leak(change.rules.iter().map(rule).collect());
    let mut node = Change::with_context(
        NodeInfo::new("changeNode1", "", "change"),
        rules,
        given.flow,
        given.global,
    )
    .with_named(given.named)
    .with_captures::<MEMORY>();
    let outcome = run(name, &mut node, &[case.input]);
    let expect = Outcome {
        logged: case.logged.iter().map(|line| line.to_string()).collect(),
        errors: case.errors,
        ..sent_only(&case.sent)
    };
    assert_eq!(outcome, expect, "{name}");
    stores.check(name, &after);
}

#[test]
fn node_red_spec_cases() {
    let cases = vec![
        case(
            "should no-op if there are no rules",
            r##""rules":[],"action":"","property":"","from":"","to":"","reg":false,"name":"changeNode""##,
            r##"{"payload":"leaveMeAlong"}"##,
            &[r##"{"payload":"leaveMeAlong"}"##],
        ),
        // #set
        case(
            "sets the value of the message property",
            r##""action":"replace","property":"payload","from":"","to":"changed","reg":false"##,
            r##"{"payload":"changeMe"}"##,
            &[r##"{"payload":"changed"}"##],
        ),
        case(
            "sets the value of global context property",
            r##""rules":[{"t":"set","p":"globalValue","pt":"global","to":"changed","tot":"str"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .global_context(r##"{"globalValue":"changeMe"}"##, r##"{"globalValue":"changed"}"##),
        case(
            "sets the value of persistable global context property",
            r##""rules":[{"t":"set","p":"#:(memory1)::globalValue","pt":"global","to":"changed","tot":"str"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("global memory1", r##"{"globalValue":"changeMe"}"##, r##"{"globalValue":"changed"}"##),
        case(
            "sets the value and type of the message property",
            r##""rules":[{"t":"set","p":"payload","pt":"msg","to":"12345","tot":"num"}],"reg":false"##,
            r##"{"payload":"changeMe"}"##,
            &[r##"{"payload":12345}"##],
        ),
        case(
            "sets the value of an already set multi-level message property",
            r##""action":"replace","property":"foo.bar","from":"","to":"bar","reg":false"##,
            r##"{"foo":{"bar":"foo"}}"##,
            &[r##"{"foo":{"bar":"bar"}}"##],
        ),
        case(
            "sets the value of an empty multi-level message property",
            r##""action":"replace","property":"foo.bar","from":"","to":"bar","reg":false"##,
            r##"{}"##,
            &[r##"{"foo":{"bar":"bar"}}"##],
        ),
        case(
            "sets the value of a message property to another message property",
            r##""action":"replace","property":"foo","from":"","to":"msg.fred","reg":false"##,
            r##"{"fred":"bar"}"##,
            &[r##"{"fred":"bar","foo":"bar"}"##],
        ),
        case(
            "sets the value of a multi-level message property to another multi-level message property",
            r##""action":"replace","property":"foo.bar","from":"","to":"msg.fred.red","reg":false"##,
            r##"{"fred":{"red":"bar"}}"##,
            &[r##"{"fred":{"red":"bar"},"foo":{"bar":"bar"}}"##],
        ),
        case(
            "doesn't set the value of a message property when the 'to' message property does not exist",
            r##""action":"replace","property":"foo.bar","from":"","to":"msg.fred.red","reg":false"##,
            r##"{}"##,
            &[r##"{}"##],
        ),
        case(
            "overrides the value of a message property when the 'to' message property does not exist",
            r##""action":"replace","property":"payload","from":"","to":"msg.foo","reg":false"##,
            r##"{"payload":"Hello"}"##,
            &[r##"{}"##],
        ),
        case(
            "sets the message property to null when the 'to' message property equals null",
            r##""action":"replace","property":"payload","from":"","to":"msg.foo","reg":false"##,
            r##"{"payload":"Hello","foo":null}"##,
            &[r##"{"payload":null,"foo":null}"##],
        ),
        case(
            "does not set other properties using = inside to property",
            r##""action":"replace","property":"payload","from":"","to":"msg.otherProp=10","reg":false"##,
            r##"{"payload":"changeMe"}"##,
            &[r##"{}"##],
        ),
        case(
            "splits dot delimited properties into objects",
            r##""action":"replace","property":"pay.load","from":"","to":"10","reg":false"##,
            r##"{"pay":{"load":"changeMe"}}"##,
            &[r##"{"pay":{"load":"10"}}"##],
        ),
        case(
            "changes the value to flow context property",
            r##""rules":[{"t":"set","p":"payload","to":"flowValue","tot":"flow"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"Hello World!"}"##],
        )
        .flow_context(r##"{"flowValue":"Hello World!"}"##, r##"{"flowValue":"Hello World!"}"##),
        case(
            "changes the value to persistable flow context property",
            r##""rules":[{"t":"set","p":"payload","to":"#:(memory1)::flowValue","tot":"flow"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"Hello World!"}"##],
        )
        .store("flow memory1", r##"{"flowValue":"Hello World!"}"##, r##"{"flowValue":"Hello World!"}"##),
        case(
            "changes the value to global context property",
            r##""rules":[{"t":"set","p":"payload","to":"globalValue","tot":"global"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"Hello World!"}"##],
        )
        .global_context(r##"{"globalValue":"Hello World!"}"##, r##"{"globalValue":"Hello World!"}"##),
        case(
            "changes the value to persistable global context property",
            r##""rules":[{"t":"set","p":"payload","to":"#:(memory1)::globalValue","tot":"global"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"Hello World!"}"##],
        )
        .store("global memory1", r##"{"globalValue":"Hello World!"}"##, r##"{"globalValue":"Hello World!"}"##),
        case(
            "changes the value to a number",
            r##""rules":[{"t":"set","p":"payload","to":"123","tot":"num"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":123}"##],
        ),
        case(
            "changes the value to a boolean value",
            r##""rules":[{"t":"set","p":"payload","to":"true","tot":"bool"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":true}"##],
        ),
        case(
            "changes the value to a js object",
            r##""rules":[{"t":"set","p":"payload","to":"{\"a\":123}","tot":"json"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":{"a":123}}"##],
        ),
        case(
            "changes the value to a buffer object",
            r##""rules":[{"t":"set","p":"payload","to":"[72,101,108,108,111,32,87,111,114,108,100]","tot":"bin"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":{"type":"Buffer","data":[72,101,108,108,111,32,87,111,114,108,100]}}"##],
        ),
        case(
            "sets the value using env property",
            r##""rules":[{"t":"set","p":"payload","pt":"msg","to":"NR_TEST_A","tot":"env"}]"##,
            r##"{"payload":"123","topic":"ABC"}"##,
            &[r##"{"payload":"foo","topic":"ABC"}"##],
        ),
        case(
            "sets the value using env property from tab",
            "",
            r##"{"payload":"123","topic":"ABC"}"##,
            &[r##"{"payload":"bar","topic":"ABC"}"##],
        )
        .whole_flow(r##"[{"id":"tab1","type":"tab","env":[{"name":"NR_TEST_A","value":"bar","type":"str"}]},
            {"id":"changeNode1","type":"change","z":"tab1","rules":[{"t":"set","p":"payload","pt":"msg","to":"NR_TEST_A","tot":"env"}]}]"##),
        case(
            "sets the value using env property from group",
            "",
            r##"{"payload":"123","topic":"ABC"}"##,
            &[r##"{"payload":"bar","topic":"ABC"}"##],
        )
        .whole_flow(r##"[{"id":"flow","type":"tab"},
            {"id":"group1","type":"group","env":[{"name":"NR_TEST_A","value":"bar","type":"str"}],"z":"flow"},
            {"id":"changeNode1","type":"change","g":"group1","z":"flow","rules":[{"t":"set","p":"payload","pt":"msg","to":"NR_TEST_A","tot":"env"}]}]"##),
        case(
            "sets the value using env property from nested group",
            "",
            r##"{"payload":"123","topic":"ABC"}"##,
            &[r##"{"payload":"bar","topic":"ABC"}"##],
        )
        .whole_flow(r##"[{"id":"flow","type":"tab"},
            {"id":"group1","type":"group","env":[{"name":"NR_TEST_A","value":"bar","type":"str"}],"z":"flow"},
            {"id":"group2","type":"group","g":"group1","env":[],"z":"flow"},
            {"id":"changeNode1","type":"change","g":"group2","z":"flow","rules":[{"t":"set","p":"payload","pt":"msg","to":"NR_TEST_A","tot":"env"}]}]"##),
        // Every copy on a device is deep: the copy is the source's value,
        // and the source stays as it was.
        case(
            "deep copies the property if selected",
            r##""rules":[{"t":"set","p":"payload","pt":"msg","to":"source","tot":"msg","dc":true}]"##,
            r##"{"source":{"a":{"b":2}}}"##,
            &[r##"{"source":{"a":{"b":2}},"payload":{"a":{"b":2}}}"##],
        ),
        // #change
        case(
            "changes the value of the message property",
            r##""action":"change","property":"payload","from":"Hello","to":"Goodbye","reg":false"##,
            r##"{"payload":"Hello World!"}"##,
            &[r##"{"payload":"Goodbye World!"}"##],
        ),
        case(
            "changes the value and doesnt change type of the message property for partial match",
            r##""rules":[{"t":"change","p":"payload","pt":"msg","from":"123","fromt":"str","to":"456","tot":"num"}],"reg":false"##,
            r##"{"payload":"Change123Me"}"##,
            &[r##"{"payload":"Change456Me"}"##],
        ),
        case(
            "changes the value and type of the message property if a complete match - number",
            r##""rules":[{"t":"change","p":"payload","pt":"msg","from":"123","fromt":"str","to":"456","tot":"num"}],"reg":false"##,
            r##"{"payload":"123"}"##,
            &[r##"{"payload":456}"##],
        ),
        case(
            "changes the value and type of the message property if a complete match - boolean",
            r##""rules":[{"t":"change","p":"payload.a","pt":"msg","from":"123","fromt":"str","to":"true","tot":"bool"},{"t":"change","p":"payload.b","pt":"msg","from":"456","fromt":"str","to":"false","tot":"bool"}],"reg":false"##,
            r##"{"payload":{"a":"123","b":"456"}}"##,
            &[r##"{"payload":{"a":true,"b":false}}"##],
        ),
        case(
            "changes the value of a multi-level message property",
            r##""action":"change","property":"foo.bar","from":"Hello","to":"Goodbye","reg":false"##,
            r##"{"foo":{"bar":"Hello World!"}}"##,
            &[r##"{"foo":{"bar":"Goodbye World!"}}"##],
        ),
        case(
            "sends unaltered message if the changed message property does not exist",
            r##""action":"change","property":"foo","from":"Hello","to":"Goodbye","reg":false"##,
            r##"{"payload":"Hello World!"}"##,
            &[r##"{"payload":"Hello World!"}"##],
        ),
        case(
            "sends unaltered message if a changed multi-level message property does not exist",
            r##""action":"change","property":"foo.bar","from":"Hello","to":"Goodbye","reg":false"##,
            r##"{"payload":"Hello World!"}"##,
            &[r##"{"payload":"Hello World!"}"##],
        ),
        case(
            "changes the value of the message property based on a regex",
            r##""rules":[{"t":"change","p":"payload.a","pt":"msg","from":"\\d+","fromt":"re","to":"NUMBER","tot":"str"},
                {"t":"change","p":"payload.b","pt":"msg","from":"on","fromt":"re","to":"true","tot":"bool"},
                {"t":"change","p":"payload.c","pt":"msg","from":"off","fromt":"re","to":"false","tot":"bool"}],"reg":false"##,
            r##"{"payload":{"a":"Replace all numbers 12 and 14","b":"on","c":"off"}}"##,
            &[r##"{"payload":{"a":"Replace all numbers NUMBER and NUMBER","b":true,"c":false}}"##],
        ),
        case(
            "supports regex groups",
            r##""action":"change","property":"payload","from":"(Hello)","to":"$1-$1-$1","reg":true"##,
            r##"{"payload":"Hello World"}"##,
            &[r##"{"payload":"Hello-Hello-Hello World"}"##],
        ),
        case(
            "supports regex groups - new rule format",
            r##""rules":[{"t":"change","p":"payload","from":"(Hello)","to":"$1-$1-$1","fromt":"re","tot":"str"}]"##,
            r##"{"payload":"Hello World"}"##,
            &[r##"{"payload":"Hello-Hello-Hello World"}"##],
        ),
        case(
            "changes the value - new rule format",
            r##""rules":[{"t":"change","p":"payload","from":"ABC","to":"123","fromt":"str","tot":"str"}]"##,
            r##"{"payload":"abcABCabc"}"##,
            &[r##"{"payload":"abc123abc"}"##],
        ),
        case(
            "changes the value using msg property",
            r##""rules":[{"t":"change","p":"payload","from":"topic","to":"123","fromt":"msg","tot":"str"}]"##,
            r##"{"payload":"abcABCabc","topic":"ABC"}"##,
            &[r##"{"payload":"abc123abc","topic":"ABC"}"##],
        ),
        case(
            "changes the value using flow context property",
            r##""rules":[{"t":"change","p":"payload","from":"topic","to":"123","fromt":"flow","tot":"str"}]"##,
            r##"{"payload":"abcABCabc"}"##,
            &[r##"{"payload":"abc123abc"}"##],
        )
        .flow_context(r##"{"topic":"ABC"}"##, r##"{"topic":"ABC"}"##),
        case(
            "changes the value using persistable flow context property",
            r##""rules":[{"t":"change","p":"payload","from":"#:(memory1)::topic","to":"123","fromt":"flow","tot":"str"}]"##,
            r##"{"payload":"abcABCabc"}"##,
            &[r##"{"payload":"abc123abc"}"##],
        )
        .store("flow memory1", r##"{"topic":"ABC"}"##, r##"{"topic":"ABC"}"##),
        case(
            "changes the value using global context property",
            r##""rules":[{"t":"change","p":"payload","from":"topic","to":"123","fromt":"global","tot":"str"}]"##,
            r##"{"payload":"abcABCabc"}"##,
            &[r##"{"payload":"abc123abc"}"##],
        )
        .global_context(r##"{"topic":"ABC"}"##, r##"{"topic":"ABC"}"##),
        case(
            "changes the value using persistable global context property",
            r##""rules":[{"t":"change","p":"payload","from":"#:(memory1)::topic","to":"123","fromt":"global","tot":"str"}]"##,
            r##"{"payload":"abcABCabc"}"##,
            &[r##"{"payload":"abc123abc"}"##],
        )
        .store("global memory1", r##"{"topic":"ABC"}"##, r##"{"topic":"ABC"}"##),
        case(
            "changes the number using global context property",
            r##""rules":[{"t":"change","p":"payload","from":"topic","to":"ABC","fromt":"global","tot":"str"}]"##,
            r##"{"payload":123}"##,
            &[r##"{"payload":"ABC"}"##],
        )
        .global_context(r##"{"topic":123}"##, r##"{"topic":123}"##),
        case(
            "changes the number using persistable global context property",
            r##""rules":[{"t":"change","p":"payload","from":"#:(memory1)::topic","to":"ABC","fromt":"global","tot":"str"}]"##,
            r##"{"payload":123}"##,
            &[r##"{"payload":"ABC"}"##],
        )
        .store("global memory1", r##"{"topic":123}"##, r##"{"topic":123}"##),
        case(
            "changes the value using number - string payload",
            r##""rules":[{"t":"change","p":"payload","from":"123","to":"456","fromt":"num","tot":"str"}]"##,
            r##"{"payload":"123"}"##,
            &[r##"{"payload":"456"}"##],
        ),
        case(
            "changes the value using number - number payload",
            r##""rules":[{"t":"change","p":"payload","from":"123","to":"abc","fromt":"num","tot":"str"}]"##,
            r##"{"payload":123}"##,
            &[r##"{"payload":"abc"}"##],
        ),
        case(
            "changes the value using boolean - string payload",
            r##""rules":[{"t":"change","p":"payload","from":"true","to":"xxx","fromt":"bool","tot":"str"}]"##,
            r##"{"payload":"true"}"##,
            &[r##"{"payload":"xxx"}"##],
        ),
        case(
            "changes the value using boolean - boolean payload",
            r##""rules":[{"t":"change","p":"payload","from":"true","to":"xxx","fromt":"bool","tot":"str"}]"##,
            r##"{"payload":true}"##,
            &[r##"{"payload":"xxx"}"##],
        ),
        case(
            "changes the value of the global context",
            r##""rules":[{"t":"change","p":"payload","pt":"global","from":"Hello","fromt":"str","to":"Goodbye","tot":"str"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .global_context(r##"{"payload":"Hello World!"}"##, r##"{"payload":"Goodbye World!"}"##),
        case(
            "changes the value of the persistable global context",
            r##""rules":[{"t":"change","p":"#:(memory1)::payload","pt":"global","from":"Hello","fromt":"str","to":"Goodbye","tot":"str"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("global memory1", r##"{"payload":"Hello World!"}"##, r##"{"payload":"Goodbye World!"}"##),
        case(
            "changes the value and doesnt change type of the flow context for partial match",
            r##""rules":[{"t":"change","p":"payload","pt":"flow","from":"123","fromt":"str","to":"456","tot":"num"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .flow_context(r##"{"payload":"Change123Me"}"##, r##"{"payload":"Change456Me"}"##),
        case(
            "changes the value and doesnt change type of the persistable flow context for partial match",
            r##""rules":[{"t":"change","p":"#:(memory1)::payload","pt":"flow","from":"123","fromt":"str","to":"456","tot":"num"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("flow memory1", r##"{"payload":"Change123Me"}"##, r##"{"payload":"Change456Me"}"##),
        case(
            "changes the value and type of the flow context if a complete match",
            r##""rules":[{"t":"change","p":"payload","pt":"flow","from":"123","fromt":"str","to":"456","tot":"num"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .flow_context(r##"{"payload":"123"}"##, r##"{"payload":456}"##),
        case(
            "changes the value and type of the persistable flow context if a complete match",
            r##""rules":[{"t":"change","p":"#:(memory1)::payload","pt":"flow","from":"123","fromt":"str","to":"456","tot":"num"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("flow memory1", r##"{"payload":"123"}"##, r##"{"payload":456}"##),
        case(
            "changes the value using number - number flow context",
            r##""rules":[{"t":"change","p":"payload","pt":"flow","from":"123","fromt":"num","to":"abc","tot":"str"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .flow_context(r##"{"payload":123}"##, r##"{"payload":"abc"}"##),
        case(
            "changes the value using number - number persistable flow context",
            r##""rules":[{"t":"change","p":"#:(memory1)::payload","pt":"flow","from":"123","fromt":"num","to":"abc","tot":"str"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("flow memory1", r##"{"payload":123}"##, r##"{"payload":"abc"}"##),
        case(
            "changes the value using boolean - boolean flow context",
            r##""rules":[{"t":"change","p":"payload","pt":"flow","from":"true","fromt":"bool","to":"abc","tot":"str"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .flow_context(r##"{"payload":true}"##, r##"{"payload":"abc"}"##),
        case(
            "changes the value using boolean - boolean persistable flow context",
            r##""rules":[{"t":"change","p":"#:(memory1)::payload","pt":"flow","from":"true","fromt":"bool","to":"abc","tot":"str"}],"reg":false"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("flow memory1", r##"{"payload":true}"##, r##"{"payload":"abc"}"##),
        // Node-RED logs an error and, its callback called twice, still
        // sends the message on.
        case(
            "reports invalid fromValue",
            r##""rules":[{"t":"change","p":"payload","from":"null","fromt":"msg","to":"abc","tot":"str"}]"##,
            r##"{"payload":"","null":null}"##,
            &[r##"{"payload":"","null":null}"##],
        )
        .logs(&["Invalid 'from' property: unsupported type: object"], &[(ErrorKind::BadValue, 1)]),
        case(
            "changes the value using env property",
            r##""rules":[{"t":"change","p":"payload","from":"topic","to":"NR_TEST_A","fromt":"msg","tot":"env"}]"##,
            r##"{"payload":"abcABCabc","topic":"ABC"}"##,
            &[r##"{"payload":"abcfooabc","topic":"ABC"}"##],
        ),
        // #delete
        case(
            "deletes the value of the message property",
            r##""action":"delete","property":"payload","from":"","to":"","reg":false"##,
            r##"{"payload":"This won't get through!"}"##,
            &[r##"{}"##],
        ),
        case(
            "deletes the value of global context property",
            r##""rules":[{"t":"delete","p":"globalValue","pt":"global"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .global_context(r##"{"globalValue":"Hello World!"}"##, "{}"),
        case(
            "deletes the value of persistable global context property",
            r##""rules":[{"t":"delete","p":"#:(memory1)::globalValue","pt":"global"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":""}"##],
        )
        .store("global memory1", r##"{"globalValue":"Hello World!"}"##, "{}"),
        case(
            "deletes the value of a multi-level message property",
            r##""action":"delete","property":"foo.bar","from":"","to":"","reg":false"##,
            r##"{"payload":"This won't get through!","foo":{"bar":"This will be deleted!"}}"##,
            &[r##"{"payload":"This won't get through!","foo":{}}"##],
        ),
        case(
            "sends unaltered message if the deleted message property does not exist",
            r##""action":"delete","property":"foo","from":"","to":"","reg":false"##,
            r##"{"payload":"payload"}"##,
            &[r##"{"payload":"payload"}"##],
        ),
        case(
            "sends unaltered message if a deleted multi-level message property does not exist",
            r##""action":"delete","property":"foo.bar","from":"","to":"","reg":false"##,
            r##"{"payload":"payload"}"##,
            &[r##"{"payload":"payload"}"##],
        ),
        // #move
        case(
            "moves the value of the message property",
            r##""rules":[{"t":"move","p":"topic","pt":"msg","to":"payload","tot":"msg"}]"##,
            r##"{"topic":"You've got to move it move it.","payload":{"foo":"bar"}}"##,
            &[r##"{"payload":"You've got to move it move it."}"##],
        ),
        case(
            "moves the value of a message property object",
            r##""rules":[{"t":"move","p":"topic","pt":"msg","to":"payload","tot":"msg"}]"##,
            r##"{"topic":{"foo":{"bar":1}},"payload":"String"}"##,
            &[r##"{"payload":{"foo":{"bar":1}}}"##],
        ),
        case(
            "moves the value of a message property object to itself",
            r##""rules":[{"t":"move","p":"payload","pt":"msg","to":"payload","tot":"msg"}]"##,
            r##"{"payload":"bar"}"##,
            &[r##"{"payload":"bar"}"##],
        ),
        case(
            "moves the value of a message property object to a sub-property",
            r##""rules":[{"t":"move","p":"payload","pt":"msg","to":"payload.foo","tot":"msg"}]"##,
            r##"{"payload":"bar"}"##,
            &[r##"{"payload":{"foo":"bar"}}"##],
        ),
        case(
            "moves the value of a message sub-property object to a property",
            r##""rules":[{"t":"move","p":"payload.foo","pt":"msg","to":"payload","tot":"msg"}]"##,
            r##"{"payload":{"foo":"bar"}}"##,
            &[r##"{"payload":"bar"}"##],
        ),
        // - multiple rules
        case(
            "handles multiple rules",
            r##""rules":[{"t":"set","p":"payload","to":"newValue"},{"t":"change","p":"changeProperty","from":"this","to":"that"},{"t":"delete","p":"deleteProperty"}]"##,
            r##"{"payload":"changeMe","changeProperty":"change this value","deleteProperty":"delete this value"}"##,
            &[r##"{"payload":"newValue","changeProperty":"change that value"}"##],
        ),
        case(
            "applies multiple rules in order",
            r##""rules":[{"t":"set","p":"payload","to":"a this (hi)"},{"t":"change","p":"payload","from":"this","to":"that"},{"t":"change","p":"payload","from":"\\(.*\\)","to":"[new]","re":true}]"##,
            r##"{"payload":"changeMe"}"##,
            &[r##"{"payload":"a that [new]"}"##],
        ),
        case(
            "can access persistable global & flow context property",
            r##""rules":[{"t":"set","p":"val0","to":"#:(memory0)::val","tot":"flow"},{"t":"set","p":"val1","to":"#:(memory1)::val","tot":"global"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"","val0":"foo","val1":"bar"}"##],
        )
        .store("flow memory0", r##"{"val":"foo"}"##, r##"{"val":"foo"}"##)
        .store("global memory1", r##"{"val":"bar"}"##, r##"{"val":"bar"}"##),
        case(
            "can access two persistable flow context property",
            r##""rules":[{"t":"set","p":"val0","to":"#:(memory0)::val","tot":"flow"},{"t":"set","p":"val1","to":"#:(memory1)::val","tot":"flow"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"","val0":"foo","val1":"bar"}"##],
        )
        .store("flow memory0", r##"{"val":"foo"}"##, r##"{"val":"foo"}"##)
        .store("flow memory1", r##"{"val":"bar"}"##, r##"{"val":"bar"}"##),
        case(
            "can access two persistable global context property",
            r##""rules":[{"t":"set","p":"val0","to":"#:(memory0)::val","tot":"global"},{"t":"set","p":"val1","to":"#:(memory1)::val","tot":"global"}]"##,
            r##"{"payload":""}"##,
            &[r##"{"payload":"","val0":"foo","val1":"bar"}"##],
        )
        .store("global memory0", r##"{"val":"foo"}"##, r##"{"val":"foo"}"##)
        .store("global memory1", r##"{"val":"bar"}"##, r##"{"val":"bar"}"##),
    ];
    assert_eq!(cases.len(), 77);
    for case in cases {
        check(case);
    }
}

/// "sets the value of the message property to the current timestamp": the
/// time is the device's clock, within the time the test takes.
#[test]
fn sets_the_current_timestamp() {
    let (change, errors) = check_flow(
        r##"[{"id":"changeNode1","type":"change","rules":[{"t":"set","p":"ts","pt":"msg","to":"","tot":"date"}]}]"##,
    );
    let change = change.unwrap_or_else(|| panic!("does not lower: {errors:#?}"));
    let rules = leak(change.rules.iter().map(rule).collect());
    let mut node = Change::new(NodeInfo::new("changeNode1", "", "change"), rules);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |time| time.as_millis())
    };
    let before = now();
    let outcome = run("timestamp", &mut node, &[r##"{"payload":1}"##]);
    let after = now();
    let [(0, sent)] = outcome.sent.as_slice() else {
        panic!("{outcome:?}");
    };
    let msg = Msg::<CAPACITY>::from_json(sent.as_bytes()).expect("reads");
    let Some(psos::ValueRef::Number(ts)) = msg.property("ts") else {
        panic!("{sent}");
    };
    assert!(
        (before as f64..=after as f64).contains(&ts),
        "{before} <= {ts} <= {after}"
    );
}

/// Beyond the spec: a `date` in the `iso` format sets the time now as
/// `toISOString` writes it (texts of one length sort as their times do).
#[test]
fn sets_the_current_time_as_iso_text() {
    let (change, errors) = check_flow(
        r##"[{"id":"changeNode1","type":"change","rules":[{"t":"set","p":"ts","pt":"msg","to":"iso","tot":"date"}]}]"##,
    );
    let change = change.unwrap_or_else(|| panic!("does not lower: {errors:#?}"));
    let rules = leak(change.rules.iter().map(rule).collect());
    let mut node = Change::new(NodeInfo::new("changeNode1", "", "change"), rules);
    let now = || {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |time| time.as_millis());
        psos::IsoDate(ms as u64).to_string()
    };
    let before = now();
    let outcome = run("iso", &mut node, &[r##"{"payload":1}"##]);
    let after = now();
    let [(0, sent)] = outcome.sent.as_slice() else {
        panic!("{outcome:?}");
    };
    let msg = Msg::<CAPACITY>::from_json(sent.as_bytes()).expect("reads");
    let Some(psos::ValueRef::Str(ts)) = msg.property("ts") else {
        panic!("{sent}");
    };
    assert!(
        before.as_str() <= ts && ts <= after.as_str(),
        "{before} <= {ts} <= {after}"
    );
}

/// "should load node with defaults": a node without rules or an action
/// passes messages on as they are.
#[test]
fn a_node_without_rules_passes_messages_on() {
    let (change, errors) = check_flow(r##"[{"id":"c1","type":"change","name":"change1"}]"##);
    assert_eq!(change, Some(ir::Change { rules: Vec::new() }), "{errors:?}");
}

/// Node-RED's cases that psosc refuses when it checks the flow, with the
/// error it gives.
#[test]
fn refused_where_node_red_runs() {
    let refused: &[(&str, &str, &str)] = &[
        (
            "should load defaults if set to replace",
            r##""action":"replace""##,
            "each rule needs the property it changes",
        ),
        (
            "should load defaults if set to change",
            r##""action":"change""##,
            "each rule needs the property it changes",
        ),
        (
            "reports invalid regex",
            r##""action":"change","property":"payload","from":"\\+**+","to":"NUMBER","reg":true"##,
            "nothing to repeat",
        ),
        (
            "sets the value of a message property using a nested property",
            r##""rules":[{"t":"set","p":"payload","pt":"msg","to":"lookup[msg.topic]","tot":"msg"}]"##,
            "a property chosen by another property",
        ),
        (
            "sets the value of a nested message property using a message property",
            r##""rules":[{"t":"set","p":"lookup[msg.topic]","pt":"msg","to":"payload","tot":"msg"}]"##,
            "a property chosen by another property",
        ),
        (
            "sets the value of a message property using a nested property in flow context",
            r##""rules":[{"t":"set","p":"payload","pt":"msg","to":"lookup[msg.topic]","tot":"flow"}]"##,
            "lookup[msg.topic]",
        ),
        (
            "sets the value of a message property using a nested property in flow context (the second)",
            r##""rules":[{"t":"set","p":"payload","pt":"msg","to":"lookup[msg.topic]","tot":"flow"}]"##,
            "lookup[msg.topic]",
        ),
        (
            "sets the value of a nested flow context property using a message property",
            r##""rules":[{"t":"set","p":"lookup[msg.topic]","pt":"flow","to":"payload","tot":"msg"}]"##,
            "lookup[msg.topic]",
        ),
        (
            "changes the value using jsonata (one of the 6 JSONata cases, skipped)",
            r##""rules":[{"t":"set","p":"payload","to":"$length(payload)","tot":"jsonata"}]"##,
            "the JSONata expression \"$length(payload)\" does not run on a device",
        ),
    ];
    for (name, node, expect) in refused {
        let flow = format!(r##"[{{"id":"changeNode1","type":"change",{node}}}]"##);
        let (change, errors) = check_flow(&flow);
        assert!(change.is_none(), "{name}: lowers");
        assert!(
            errors.iter().any(|error| error.contains(expect)),
            "{name}: {errors:#?}"
        );
    }
}

/// The rules codegen writes for a constant set on or deleted from the
/// message (`Set`, `Delete`) do what the general forms do.
#[test]
fn the_short_forms_agree() {
    let general = [
        ChangeRule::SetValue {
            target: Property {
                scope: Scope::Msg,
                path: &[PathSegment::Key("payload"), PathSegment::Key("a")],
            },
            value: ChangeValue::Const(ConstValue::Number(1.0)),
        },
        ChangeRule::DeleteProperty {
            target: Property {
                scope: Scope::Msg,
                path: &[PathSegment::Key("topic")],
            },
        },
    ];
    let short = [
        ChangeRule::Set {
            path: &[PathSegment::Key("payload"), PathSegment::Key("a")],
            value: ConstValue::Number(1.0),
        },
        ChangeRule::Delete {
            path: &[PathSegment::Key("topic")],
        },
    ];
    for input in [
        r##"{"payload":{"b":2},"topic":"t"}"##,
        r##"{"payload":"text"}"##,
        r##"{}"##,
    ] {
        let mut one = Change::new(NodeInfo::new("a", "", "change"), leak(general.to_vec()));
        let mut other = Change::new(NodeInfo::new("b", "", "change"), leak(short.to_vec()));
        assert_eq!(
            run("general", &mut one, &[input]),
            run("short", &mut other, &[input]),
            "{input}"
        );
    }
}

/// Beyond Node-RED's cases: its `change` rule on a context value that is
/// neither text nor the number or boolean it looks for never calls back,
/// so the message goes no further, and nothing is logged or counted; on a
/// message property the message goes on.
#[test]
fn a_context_value_left_alone_stops_the_message() {
    for (context, sent) in [
        (r#"{"v":2}"#, vec![]),
        (r#"{"v":5}"#, vec![r#"{"payload":1}"#]),
        (r#"{}"#, vec![]),
        (r#"{"v":"5 and 5"}"#, vec![r#"{"payload":1}"#]),
    ] {
        check(
            case(
                "a context value left alone stops the message",
                r##""rules":[{"t":"change","p":"v","pt":"flow","from":"5","fromt":"num","to":"x","tot":"str"}]"##,
                r#"{"payload":1}"#,
                &sent,
            )
            .flow_context(
                context,
                match context {
                    r#"{"v":5}"# => r#"{"v":"x"}"#,
                    r#"{"v":"5 and 5"}"# => r#"{"v":"x and x"}"#,
                    other => other,
                },
            ),
        );
    }
    check(case(
        "a message property left alone does not",
        r##""rules":[{"t":"change","p":"v","pt":"msg","from":"5","fromt":"num","to":"x","tot":"str"}]"##,
        r#"{"v":2}"#,
        &[r#"{"v":2}"#],
    ));
}

/// Beyond Node-RED's cases: a pattern that repeats what may match nothing
/// ends its matches where JavaScript does (which refuses such an
/// iteration), though the replacement names no group.
#[test]
fn an_iteration_that_matches_nothing_ends_where_javascripts_does() {
    check(case(
        "an iteration that matches nothing",
        r##""rules":[{"t":"change","p":"payload","from":"(?:|a){1,2}","fromt":"re","to":"[$&]","tot":"str"}]"##,
        r#"{"payload":"a"}"#,
        &[r#"{"payload":"[a][]"}"#],
    ));
}

/// Beyond Node-RED's cases: a replacement read from the message may name
/// a group of the pattern; psosc gives the node the pattern's program
/// since it cannot know, and the groups are found as JavaScript finds
/// them. A pattern without groups leaves `$1` as it is.
#[test]
fn a_replacement_from_the_message_may_name_a_group() {
    let node = r##""rules":[{"t":"change","p":"payload","from":"(a)b|(?<n>c)","fromt":"re","to":"r","tot":"msg"}]"##;
    check(case(
        "a replacement naming groups",
        node,
        r#"{"payload":"xabc","r":"[$1|$2|$<n>|$&|$3]"}"#,
        &[r#"{"payload":"x[a|||ab|$3][|c|c|c|$3]","r":"[$1|$2|$<n>|$&|$3]"}"#],
    ));
    check(case(
        "a pattern without groups",
        r##""rules":[{"t":"change","p":"payload","from":"ab","fromt":"re","to":"r","tot":"msg"}]"##,
        r#"{"payload":"xab","r":"[$1$<n>]"}"#,
        &[r#"{"payload":"x[$1$<n>]","r":"[$1$<n>]"}"#],
    ));
}
