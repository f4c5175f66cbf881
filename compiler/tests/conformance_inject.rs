//! Node-RED's `inject` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/common/20-inject_spec.js` (Node-RED 4.x) as data. Each
//! case is the spec's flow (without its `helper` node), read by psosc and
//! run by the runtime: what the node sends when it fires, and when its
//! timer fires it (the runtime's `Timer`, on clocks the test sets).
//!
//! Of the 42 cases there: 28 run here as in Node-RED (the five value
//! types, the fifteen `env` values and `${...}` substitutions, the seven
//! `once`/`repeat`/`crontab` timings, the older payload and topic fields);
//! 8 read flow or global context from the device's stores
//! (`context_values_are_read_from_the_devices_stores`, where the spec's
//! two alike cases are one; a store name,
//! `memory0` or `memory1`, is a store of its own beside the default one,
//! as in Node-RED with those stores in its settings); 4 press the
//! editor's button through the admin API (`POST /inject/:id`, with or
//! without `__user_inject_props__`), and run in
//! `runtime/tests/conformance_control.rs` as requests on a device's
//! control topic; 2 are skipped: they need JSONata ("should inject
//! multiple properties" computes `x+2`, "should report invalid JSONata
//! expression"; psosc refuses JSONata values, shown by
//! `jsonata_values_are_refused`).

#[path = "../../runtime/tests/node_support/mod.rs"]
mod node_support;
mod psosc_to_runtime;

use node_support::{run, sent_only};
use psos::nodes::{Inject, InjectProp, InjectValue};
use psos::{Clocks, NodeInfo, Timer};
use psosc::ir::NodeKind;
use psosc_to_runtime::{const_value, leak, CaseStores};

/// The environment psosc runs in for these cases: `NR_TEST`, as the spec
/// sets it in `process.env`.
fn environment(name: &str) -> Option<String> {
    (name == "NR_TEST").then(|| "foo".to_string())
}

/// psosc's errors for a flow, and the inject node `n1` if it lowers.
fn check_flow(flow: &str) -> (Option<psosc::ir::Inject>, Vec<String>) {
    let (flow, errors) = psosc_to_runtime::check("inject.json", flow.to_string(), &environment);
    let inject = flow.and_then(|flow| {
        flow.nodes.into_iter().find_map(|node| match node.kind {
            NodeKind::Inject(inject) if node.id == "n1" => Some(inject),
            _ => None,
        })
    });
    (inject, errors)
}

fn lowered(case: &str, flow: &str) -> psosc::ir::Inject {
    let (inject, errors) = check_flow(flow);
    inject.unwrap_or_else(|| panic!("{case}: the node does not lower: {errors:#?}"))
}

/// The runtime's node for the inject node `n1` of a flow.
fn inject(case: &'static str, flow: &str) -> Inject {
    let props = lowered(case, flow)
        .props
        .iter()
        .map(|prop| InjectProp {
            path: psosc_to_runtime::path(&prop.path),
            value: runtime_value(&prop.value),
        })
        .collect();
    Inject::new(NodeInfo::new(case, "", "inject"), leak(props))
}

/// A property's value as generated code holds it.
fn runtime_value(value: &psosc::ir::InjectValue) -> InjectValue {
    match value {
        psosc::ir::InjectValue::Literal(value) => InjectValue::Const(const_value(value)),
        psosc::ir::InjectValue::Timestamp => InjectValue::Timestamp,
        psosc::ir::InjectValue::IsoDate => InjectValue::IsoDate(psos::IsoText::UTC),
        psosc::ir::InjectValue::Bytes(bytes) => InjectValue::Bytes(leak(bytes.clone())),
        psosc::ir::InjectValue::Context(property) => {
            InjectValue::Context(psosc_to_runtime::property(property))
        }
    }
}

/// What the node `n1` of a flow sends when it fires (Node-RED's tests fire
/// it with `n1.receive({})`).
fn fire(case: &'static str, flow: &str) -> String {
    let outcome = run(case, &mut inject(case, flow), &["{}"]);
    let [(0, sent)] = outcome.sent.as_slice() else {
        panic!("{case}: {outcome:?}");
    };
    assert_eq!(outcome.errors, [], "{case}");
    sent.clone()
}

/// An inject node `n1` with the spec's properties, on the tab `flow`.
fn node(properties: &str) -> String {
    format!(r#"{{"id": "n1", "type": "inject", {properties}, "wires": [[]], "z": "flow"}}"#)
}

/// `it(...)` title, the flow, the message the node sends.
type Case = (&'static str, &'static str, &'static str);

/// `basicTest(type, val, rval)`: a payload of each type, and the topic.
#[rustfmt::skip]
const VALUES: &[Case] = &[
    ("inject value (num)", r#""topic": "t1", "payload": 10, "payloadType": "num""#, r#"{"payload":10,"topic":"t1"}"#),
    ("inject value (str)", r#""topic": "t1", "payload": "10", "payloadType": "str""#, r#"{"payload":"10","topic":"t1"}"#),
    ("inject value (bool)", r#""topic": "t1", "payload": true, "payloadType": "bool""#, r#"{"payload":true,"topic":"t1"}"#),
    ("inject value (json)", r#""topic": "t1", "payload": "{ \"x\":\"vx\", \"y\":\"vy\", \"z\":\"vz\" }", "payloadType": "json""#,
        r#"{"payload":{"x":"vx","y":"vy","z":"vz"},"topic":"t1"}"#),
    ("inject value (bin)", r#""topic": "t1", "payload": "[1,2,3,4,5]", "payloadType": "bin""#,
        r#"{"payload":{"type":"Buffer","data":[1,2,3,4,5]},"topic":"t1"}"#),
];

#[test]
fn inject_values_of_each_type() {
    for (case, properties, expect) in VALUES {
        let flow = format!(r#"[{{"id": "flow", "type": "tab"}}, {}]"#, node(properties));
        assert_eq!(fire(case, &flow), *expect, "{case}");
    }
}

/// The `env` cases, as a payload of type `env` and as `${...}` in a `str`
/// payload: the spec's flows, with the tab and group some of them declare.
#[rustfmt::skip]
const ENV: &[(&str, &str, &str, &str)] = &[
    // (title, payload, the flow's other objects, the payload sent)
    ("inject value of environment variable ", "NR_TEST", "", "foo"),
    ("inject name of node as environment variable ", "NR_NODE_NAME", "", "NAME"),
    ("inject id of node as environment variable ", "NR_NODE_ID", "", "n1"),
    ("inject path of node as environment variable ", "NR_NODE_PATH", "", "flow/n1"),
    ("inject name of flow as environment variable ", "NR_FLOW_NAME", r#", {"id": "flow", "type": "tab", "label": "FLOW"}"#, "FLOW"),
    ("inject id of flow as environment variable ", "NR_FLOW_ID", r#", {"id": "flow", "type": "tab", "name": "FLOW"}"#, "flow"),
    ("inject name of group as environment variable ", "NR_GROUP_NAME", r#", {"id": "flow", "type": "tab"}, {"id": "g0", "type": "group", "name": "GROUP", "z": "flow"}"#, "GROUP"),
    ("inject id of group as environment variable ", "NR_GROUP_ID", r#", {"id": "flow", "type": "tab"}, {"id": "g0", "type": "group", "name": "GROUP", "z": "flow"}"#, "g0"),
];

#[test]
fn inject_values_of_environment_variables() {
    for (case, name, others, expect) in ENV {
        let in_group = if others.contains("g0") {
            r#", "g": "g0""#
        } else {
            ""
        };
        let properties = format!(
            r#""name": "NAME", "topic": "t1", "payload": "{name}", "payloadType": "env"{in_group}"#
        );
        let flow = format!("[{}{others}]", node(&properties));
        let expect = format!(r#"{{"payload":"{expect}","topic":"t1"}}"#);
        assert_eq!(fire(case, &flow), expect, "{case}");
    }
}

#[test]
fn inject_environment_variables_by_substitution() {
    // Every case of ENV but the first, as `${NAME}` in a string.
    #[rustfmt::skip]
    let titles = [
        "inject name of node as environment variable by substitution ",
        "inject id of node as environment variable by substitution ",
        "inject path of node as environment variable by substitution ",
        "inject name of flow as environment variable by substitution ",
        "inject id of flow as environment variable ",
        "inject name of group as environment variable by substitution ",
        "inject id of group as environment variable by substitution ",
    ];
    for (case, (_, name, others, expect)) in titles.into_iter().zip(ENV.iter().skip(1)) {
        let in_group = if others.contains("g0") {
            r#", "g": "g0""#
        } else {
            ""
        };
        let properties = format!(
            r#""name": "NAME", "topic": "t1", "payload": "${{{name}}}", "payloadType": "str"{in_group}"#
        );
        let flow = format!("[{}{others}]", node(&properties));
        let expect = format!(r#"{{"payload":"{expect}","topic":"t1"}}"#);
        assert_eq!(fire(case, &flow), expect, "{case}");
    }
}

/// What psosc makes of `env` text beyond the spec: `${A}` inside text is
/// replaced, an unset variable is empty text, as `evaluateEnvProperty` does.
/// A value that is exactly `${A}` was already replaced when the flow was
/// read, as Node-RED replaces it when it loads the flow, and then names a
/// variable of its own (here unset).
#[test]
fn env_text_is_read_as_node_red_reads_it() {
    let cases = [
        ("${NR_TEST}", ""),
        ("x-${NR_TEST}-${NR_NODE_ID}", "x-foo-n1"),
        ("UNSET", ""),
        ("a ${UNSET} b", "a  b"),
        ("${ NR_TEST}", ""),
    ];
    for (text, expect) in cases {
        let properties = format!(r#""props": [{{"p": "payload", "v": "{text}", "vt": "env"}}]"#);
        let flow = format!("[{}]", node(&properties));
        let expect = format!(r#"{{"payload":"{expect}"}}"#);
        assert_eq!(fire("env text", &flow), expect, "{text}");
    }
}

/// `bin` values beyond the spec, as `Buffer.from(JSON.parse(v))` makes them.
#[test]
fn bin_values_are_buffers_as_node_makes_them() {
    let cases = [
        (
            r#"[0, 255, 256, -1, 1.9, \"7\", true, null]"#,
            "[0,255,0,255,1,7,1,0]",
        ),
        (r#"\"hé\""#, "[104,195,169]"),
        ("[]", "[]"),
    ];
    for (text, bytes) in cases {
        let properties = format!(r#""props": [{{"p": "payload", "v": "{text}", "vt": "bin"}}]"#);
        let flow = format!("[{}]", node(&properties));
        let expect = format!(r#"{{"payload":{{"type":"Buffer","data":{bytes}}}}}"#);
        assert_eq!(fire("bin values", &flow), expect, "{text}");
    }
}

/// One of the spec's cases of flow and global context: the properties of
/// its inject nodes (`n0`, `n1`, ... on the tab `flow`), the stores as the
/// spec fills them (by the label `CaseStores` gives each: `flow`,
/// `global memory1`, ...), and what each node sends when it fires.
type ContextCase = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

/// The spec's cases of flow and global context. A store name (`memory0`,
/// `memory1`) is a store of its own beside the default one, as in
/// Node-RED with those stores in its settings. The spec has "sets the
/// value of two persistable global context property" twice, the same
/// case under one title: it is here once and counts for both.
#[rustfmt::skip]
const CONTEXT: &[ContextCase] = &[
    ("sets the value of flow context property",
        &[r##""topic": "t1", "payload": "flowValue", "payloadType": "flow""##],
        &[("flow", r#"{"flowValue":"changeMe"}"#)],
        &[r#"{"payload":"changeMe","topic":"t1"}"#]),
    ("sets the value of persistable flow context property",
        &[r##""topic": "t1", "payload": "#:(memory0)::flowValue", "payloadType": "flow""##],
        &[("flow memory0", r#"{"flowValue":"changeMe"}"#)],
        &[r#"{"payload":"changeMe","topic":"t1"}"#]),
    ("sets the value of two persistable flow context property",
        &[r##""topic": "t0", "payload": "#:(memory0)::val", "payloadType": "flow""##,
          r##""topic": "t1", "payload": "#:(memory1)::val", "payloadType": "flow""##],
        &[("flow memory0", r#"{"val":"foo"}"#), ("flow memory1", r#"{"val":"bar"}"#)],
        &[r#"{"payload":"foo","topic":"t0"}"#, r#"{"payload":"bar","topic":"t1"}"#]),
    ("sets the value of global context property",
        &[r##""topic": "t1", "payload": "globalValue", "payloadType": "global""##],
        &[("global", r#"{"globalValue":"changeMe"}"#)],
        &[r#"{"payload":"changeMe","topic":"t1"}"#]),
    ("sets the value of persistable global context property",
        &[r##""topic": "t1", "payload": "#:(memory1)::val", "payloadType": "global""##],
        &[("global memory1", r#"{"val":"foo"}"#)],
        &[r#"{"payload":"foo","topic":"t1"}"#]),
    ("sets the value of two persistable global context property",
        &[r##""topic": "t0", "payload": "#:(memory0)::val", "payloadType": "global""##,
          r##""topic": "t1", "payload": "#:(memory1)::val", "payloadType": "global""##],
        &[("global memory0", r#"{"val":"foo"}"#), ("global memory1", r#"{"val":"bar"}"#)],
        &[r#"{"payload":"foo","topic":"t0"}"#, r#"{"payload":"bar","topic":"t1"}"#]),
    ("sets the value of persistable flow & global context property",
        &[r##""topic": "t0", "payload": "#:(memory0)::val", "payloadType": "flow""##,
          r##""topic": "t1", "payload": "#:(memory1)::val", "payloadType": "global""##],
        &[("flow memory0", r#"{"val":"foo"}"#), ("global memory1", r#"{"val":"bar"}"#)],
        &[r#"{"payload":"foo","topic":"t0"}"#, r#"{"payload":"bar","topic":"t1"}"#]),
];

#[test]
fn context_values_are_read_from_the_devices_stores() {
    for (case, nodes, before, expect) in CONTEXT {
        let flow = nodes
            .iter()
            .enumerate()
            .map(|(index, properties)| {
                format!(r#"{{"id": "n{index}", "type": "inject", {properties}, "wires": [[]], "z": "flow"}}"#)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let (flow, errors) = psosc_to_runtime::check(
            "inject.json",
            format!(r#"[{{"id": "flow", "type": "tab"}}, {flow}]"#),
            &environment,
        );
        let Some(flow) = flow else {
            panic!("{case}: the flow does not lower: {errors:#?}");
        };
        let mut stores = CaseStores::<512>::new(before);
        let mut sent = Vec::new();
        for index in 0..nodes.len() {
            let id = format!("n{index}");
            let Some(NodeKind::Inject(lowered)) = flow
                .nodes
                .iter()
                .find(|node| node.id == id)
                .map(|node| &node.kind)
            else {
                panic!("{case}: no inject {id}");
            };
            let props: Vec<InjectProp> = lowered
                .props
                .iter()
                .map(|prop| InjectProp {
                    path: psosc_to_runtime::path(&prop.path),
                    value: runtime_value(&prop.value),
                })
                .collect();
            let given = stores.for_node(&lowered.scopes());
            let mut inject = Inject::with_context(
                NodeInfo::new(case, "", "inject"),
                leak(props),
                given.flow,
                given.global,
            )
            .with_named(given.named);
            let outcome = run(case, &mut inject, &["{}"]);
            assert_eq!(outcome.errors, [], "{case}");
            sent.extend(outcome.sent.into_iter().map(|(port, message)| {
                assert_eq!(port, 0, "{case}");
                message
            }));
        }
        assert_eq!(sent, *expect, "{case}");
        stores.check(case, before);
    }
    assert_eq!(CONTEXT.len(), 7);
}

#[test]
fn jsonata_values_are_refused() {
    // "should inject multiple properties" and "should report invalid
    // JSONata expression": both are skipped; psosc refuses their flows.
    for props in [
        r#"[{"p":"topic","v":"t1","vt":"str"},{"p":"payload","v":"foo","vt":"str"},{"p":"x","v":10,"vt":"num"},{"p":"y","v":"x+2","vt":"jsonata"}]"#,
        r#"[{"p":"topic","v":"t1","vt":"str"},{"p":"payload","v":"@","vt":"jsonata"}]"#,
    ] {
        let (inject, errors) = check_flow(&format!("[{}]", node(&format!(r#""props": {props}"#))));
        assert!(inject.is_none());
        assert!(
            errors.len() == 1 && errors[0].contains("it has no JSONata evaluator"),
            "{errors:#?}"
        );
    }
}

#[test]
fn values_of_a_type_node_red_does_not_evaluate_are_sent_as_written() {
    // `evaluateNodeProperty` passes a value of a type it does not know
    // through unchanged: the example flow "Output payload value" has a
    // topic of type "string"; a missing value is `""`.
    let props = r#"[{"p":"payload","v":"Hello, World!","vt":"str"},{"p":"topic","v":"","vt":"string"},{"p":"n","v":5,"vt":"number"},{"p":"s","vt":"string"}]"#;
    let flow = format!("[{}]", node(&format!(r#""props": {props}"#)));
    assert_eq!(
        fire("unknown value types", &flow),
        r#"{"payload":"Hello, World!","topic":"","n":5,"s":""}"#
    );
    // The types it does evaluate but a device cannot are still refused.
    for (value_type, value) in [("msg", "payload"), ("re", "a+")] {
        let props = format!(r#"[{{"p":"payload","v":"{value}","vt":"{value_type}"}}]"#);
        let (inject, errors) = check_flow(&format!("[{}]", node(&format!(r#""props": {props}"#))));
        assert!(inject.is_none(), "{value_type}");
        assert_eq!(
            errors,
            [format!(
                r#"inject node "n1", property `props`: the value type "{value_type}" is not supported"#
            )],
            "{value_type}"
        );
    }
}

#[test]
fn should_inject_multiple_properties_using_legacy_props_if_needed() {
    let flow = format!(
        "[{}]",
        node(
            r#""payload": "123", "payloadType": "num", "topic": "foo", "props": [{"p": "topic", "vt": "str"}, {"p": "payload"}]"#
        )
    );
    assert_eq!(
        run("legacy props", &mut inject("legacy props", &flow), &["{}"]),
        sent_only(&[r#"{"topic":"foo","payload":123}"#])
    );
}

/// A wall clock for the timing cases: Thursday 2026-11-19 00:00:00.250 UTC.
const WALL_MS: u64 = 1_795_046_400_250;

/// The times (after start-up, in ms) the node's timer fires first, when
/// each firing happens `late_ms` after its deadline and the wall clock
/// keeps pace with start-up time.
fn firings(case: &str, flow: &str, count: usize, late_ms: u64) -> Vec<u64> {
    let lowered = lowered(case, flow);
    let timer = Timer {
        first_ms: lowered.once_delay_ms,
        every_ms: lowered.repeat_ms,
        schedule: lowered
            .schedule
            .map(|schedule| &*Box::leak(Box::new(schedule))),
        fire: || {},
    };
    let at = |elapsed_ms: u64| Clocks {
        elapsed_ms,
        wall_ms: WALL_MS + elapsed_ms,
    };
    let mut times = Vec::new();
    let mut next = timer.first_deadline(at(0));
    while let Some(deadline) = next.filter(|_| times.len() < count) {
        times.push(deadline);
        next = timer.next_deadline(deadline, times.len() == 1, at(deadline + late_ms));
    }
    times
}

/// How long after its second a crontab fires on a device: its deadline is
/// computed from two clocks read in whole milliseconds, and one more keeps
/// it from falling before the second (`Timer::scheduled_after`).
const AFTER_THE_SECOND: u64 = 1;

/// The spec's cases of `once`, `onceDelay`, `repeat` and `crontab`: Node-RED
/// checks the delay or that messages come; here each says when.
#[rustfmt::skip]
const TIMINGS: &[(&str, &str, &[u64])] = &[
    ("should inject once with default delay property",
        r#""topic": "t1", "payload": "", "payloadType": "date", "once": true"#, &[100]),
    ("should inject once with default delay",
        r#""topic": "t1", "payload": "", "payloadType": "date", "once": true"#, &[100]),
    ("should inject once with 500 msec. delay",
        r#""topic": "t1", "payload": "", "payloadType": "date", "once": true, "onceDelay": 0.5"#, &[500]),
    ("should inject once with delay of two seconds",
        r#""topic": "t1", "payload": "", "payloadType": "date", "once": true, "onceDelay": 2"#, &[2000]),
    ("should inject repeatedly",
        r#""payload": "payload", "topic": "t2", "repeat": 0.2"#, &[200, 400, 600, 800]),
    ("should inject once with delay of two seconds and repeatedly",
        r#""topic": "t1", "payload": "", "payloadType": "date", "repeat": 0.2, "once": true, "onceDelay": 1.2"#, &[1200, 1400, 1600, 1800]),
    // Every second, on the second of the wall clock (the clocks' start is
    // 250 ms before one), and a millisecond on: see `AFTER_THE_SECOND`.
    ("should inject with cron",
        r#""payloadType": "date", "topic": "t3", "crontab": "* * * * * *""#, &[751, 1751, 2751, 3751]),
];

#[test]
fn fires_when_node_red_does() {
    for (case, properties, expect) in TIMINGS {
        let flow = format!("[{}]", node(properties));
        for late_ms in [0, 3, 180] {
            assert_eq!(
                firings(case, &flow, expect.len(), late_ms),
                *expect,
                "{case}, {late_ms} ms late"
            );
        }
    }
}

/// What the timed cases send: the topic, and a payload as the spec wants
/// it (the time now for `date`, which the spec compares with a clock).
#[test]
fn timed_cases_send_what_node_red_sends() {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    for (case, properties, _) in TIMINGS {
        let flow = format!("[{}]", node(properties));
        let before = now();
        let sent: serde_json::Value = serde_json::from_str(&fire(case, &flow)).unwrap();
        // The time it fired: between the two clock readings (the spec
        // bounds it by a second after the first, which only a quiet
        // machine keeps to).
        let after = now();
        let topic = if case.contains("repeatedly") && !case.contains("once") {
            "t2"
        } else if case.contains("cron") {
            "t3"
        } else {
            "t1"
        };
        assert_eq!(sent["topic"], topic, "{case}");
        if properties.contains("date") {
            let payload = sent["payload"]
                .as_u64()
                .unwrap_or_else(|| panic!("{case}: {sent}"));
            assert!((before..=after).contains(&payload), "{case}: {payload}");
        } else {
            assert_eq!(sent["payload"], "payload", "{case}");
        }
    }
}

/// Beyond the spec: a `date` in the `iso` format is the time now as
/// `toISOString` writes it (texts of one length sort as their times do).
#[test]
fn iso_dates_are_the_time_as_text() {
    let now = || {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        psos::IsoDate(ms as u64).to_string()
    };
    let flow = format!(
        "[{}]",
        node(r#""props": [{"p": "payload", "v": "iso", "vt": "date"}], "once": true"#)
    );
    let before = now();
    let sent: serde_json::Value = serde_json::from_str(&fire("iso", &flow)).unwrap();
    let after = now();
    let payload = sent["payload"].as_str().unwrap_or_else(|| panic!("{sent}"));
    assert!(
        before.as_str() <= payload && payload <= after.as_str(),
        "{before} <= {payload} <= {after}"
    );
}

/// Crontabs as Node-RED's editor writes them, beyond the spec: at a time on
/// some days, and every few minutes between two hours.
#[test]
fn crontabs_fire_at_the_times_they_name() {
    // WALL_MS is a Thursday, 00:00:00.250.
    let hour = 3_600_000;
    let cases: [(&str, &[u64]); 3] = [
        // Thursday, Friday, then Monday and Tuesday.
        (
            "30 12 * * 1,2,3,4,5",
            &[
                12 * hour + 1_800_000 - 250 + AFTER_THE_SECOND,
                36 * hour + 1_800_000 - 250 + AFTER_THE_SECOND,
                108 * hour + 1_800_000 - 250 + AFTER_THE_SECOND,
                132 * hour + 1_800_000 - 250 + AFTER_THE_SECOND,
            ],
        ),
        (
            "*/20 9-10 * * *",
            &[
                9 * hour - 250 + AFTER_THE_SECOND,
                9 * hour + 1_200_000 - 250 + AFTER_THE_SECOND,
                9 * hour + 2_400_000 - 250 + AFTER_THE_SECOND,
                10 * hour - 250 + AFTER_THE_SECOND,
                10 * hour + 1_200_000 - 250 + AFTER_THE_SECOND,
                10 * hour + 2_400_000 - 250 + AFTER_THE_SECOND,
                33 * hour - 250 + AFTER_THE_SECOND,
            ],
        ),
        (
            "0 0 * * 0",
            &[
                72 * hour - 250 + AFTER_THE_SECOND,
                240 * hour - 250 + AFTER_THE_SECOND,
            ],
        ),
    ];
    for (crontab, expect) in cases {
        let flow = format!("[{}]", node(&format!(r#""crontab": "{crontab}""#)));
        assert_eq!(
            firings(crontab, &flow, expect.len(), 5),
            expect,
            "{crontab}"
        );
    }
}

/// Node-RED runs a crontab only when there is no `repeat`; with `once`, it
/// starts the crontab once the first message is sent.
#[test]
fn an_interval_wins_over_a_crontab_and_once_comes_first() {
    let flow = format!("[{}]", node(r#""repeat": "2", "crontab": "* * * * * *""#));
    assert_eq!(
        firings("repeat and crontab", &flow, 3, 0),
        [2000, 4000, 6000]
    );
    let flow = format!(
        "[{}]",
        node(r#""once": true, "onceDelay": 0.1, "crontab": "* * * * * *""#)
    );
    assert_eq!(firings("once and crontab", &flow, 3, 0), [100, 751, 1751]);
}
