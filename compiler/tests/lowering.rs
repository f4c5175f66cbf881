//! What the front end makes of valid flows: which nodes run where, and which
//! wires connect them once junctions, links and disabled nodes are resolved.

use psosc::ir::{
    Csv, CsvHeader, Filter, FilterMode, Flow, Gap, InjectValue, JsType, JsonAction, JsonNode,
    LinkCall, LinkReturn, LinkTimeout, Literal, NodeKind, PathSegment, Property, Range,
    RangeAction, Store, StoreName, Switch, SwitchOp, SwitchOperand, SwitchRule,
};
use psosc::SourceFile;

fn lower(json: &str) -> Flow {
    let source = SourceFile::new("test.json", json);
    let environment = |name: &str| (name == "FROM_PROCESS").then(|| "process".to_string());
    let (flow, diagnostics) = psosc::check(&source, &environment);
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.headline())
        .collect();
    assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
    flow.expect("a flow without errors lowers")
}

/// Lowers a flow and compares its wires, written `from:port->to` with node
/// ids, in delivery order.
fn check_wires(json: &str, expect: &[&str]) {
    let flow = lower(json);
    let wires: Vec<String> = flow
        .wires
        .iter()
        .map(|wire| {
            format!(
                "{}:{}->{}",
                flow.nodes[wire.from].id, wire.port, flow.nodes[wire.to].id
            )
        })
        .collect();
    assert_eq!(wires, expect);
}

const DEBUG_X: &str = r#"{"id": "x", "type": "debug", "wires": []}"#;
const DEBUG_Y: &str = r#"{"id": "y", "type": "debug", "wires": []}"#;

#[test]
fn junctions_become_direct_wires() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["j1"]]}},
                {{"id": "j1", "type": "junction", "wires": [["x", "j2"]]}},
                {{"id": "j2", "type": "junction", "wires": [["y"]]}},
                {DEBUG_X}, {DEBUG_Y}]"#
        ),
        &["a:0->x", "a:0->y"],
    );
}

#[test]
fn link_out_reaches_every_named_link_in() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["out"]]}},
                {{"id": "out", "type": "link out", "mode": "link", "links": ["in1", "in2"]}},
                {{"id": "in1", "type": "link in", "wires": [["x"]]}},
                {{"id": "in2", "type": "link in", "wires": [["y"]]}},
                {DEBUG_X}, {DEBUG_Y}]"#
        ),
        &["a:0->x", "a:0->y"],
    );
}

#[test]
fn a_link_out_passes_over_a_link_to_a_node_not_in_the_flow() {
    // Node-RED's example "Link across tabs" names a link in that is not in
    // its export: the editor drops the link, the runtime sends nothing on it.
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["out"]]}},
                {{"id": "out", "type": "link out", "links": ["elsewhere", "in1"]}},
                {{"id": "in1", "type": "link in", "wires": [["x"]]}},
                {DEBUG_X}]"#
        ),
        &["a:0->x"],
    );
}

#[test]
fn link_call_returns_to_its_caller() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["call"]]}},
                {{"id": "call", "type": "link call", "links": ["sub"], "wires": [["y"]]}},
                {{"id": "sub", "type": "link in", "wires": [["work"]]}},
                {{"id": "work", "type": "change", "rules": [], "wires": [["ret"]]}},
                {{"id": "ret", "type": "link out", "mode": "return"}},
                {DEBUG_Y}]"#
        ),
        &["a:0->work", "work:0->y"],
    );
}

// A subroutine of nodes that always send at once answers within the
// call, which cannot time out: the call and its return stay wires, with
// no table and no timer, whatever the call's `timeout`.
#[test]
fn a_call_whose_subroutine_answers_at_once_keeps_nothing() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["call"]]}},
                {{"id": "call", "type": "link call", "timeout": "0.5", "links": ["sub"], "wires": [["y"]]}},
                {{"id": "sub", "type": "link in", "wires": [["j"]]}},
                {{"id": "j", "type": "junction", "wires": [["work", "y"]]}},
                {{"id": "work", "type": "change", "rules": [], "wires": [["inner"]]}},
                {{"id": "inner", "type": "link call", "links": ["sub2"], "wires": [["ret"]]}},
                {{"id": "sub2", "type": "link in", "wires": [["ret2"]]}},
                {{"id": "ret2", "type": "link out", "mode": "return"}},
                {{"id": "ret", "type": "link out", "mode": "return"}},
                {DEBUG_Y}]"#
        ),
        &["a:0->work", "a:0->y", "work:0->y"],
    );
}

/// The `LinkTimeout` of each link call of `json` that may time out, by id.
fn timeouts(json: &str) -> Vec<(String, LinkTimeout)> {
    lower(json)
        .nodes
        .into_iter()
        .filter_map(|node| match node.kind {
            NodeKind::LinkCall(LinkCall {
                timeout: Some(timeout),
                ..
            }) => Some((node.id, timeout)),
            _ => None,
        })
        .collect()
}

// `60-link.js` reads `timeout` as `parseFloat(timeout || "30")` seconds
// (30 when not a number) and `setTimeout` takes what is below 1 ms as 1:
// a call whose subroutine holds the message waits that long, with room
// for what the subroutine holds and one more (at least 8, at most 32),
// and keeps the messages it sends only where a catch node watches it.
// A static call whose link in is missing or disabled sends its messages
// nowhere: no answer can come late, so it keeps no table and no timer.
#[test]
fn a_static_call_that_names_no_link_in_waits_for_nothing() {
    for links in [r#""links": [],"#, "", r#""links": ["off"],"#] {
        let flow = format!(
            r#"[{{"id": "tick", "type": "inject", "repeat": "1", "wires": [["call"]]}},
            {{"id": "call", "type": "link call", "linkType": "static", "timeout": "1", {links} "wires": [["shown"]]}},
            {{"id": "off", "type": "link in", "d": true, "wires": [["back"]]}},
            {{"id": "back", "type": "link out", "mode": "return"}},
            {{"id": "shown", "type": "debug", "wires": []}}]"#
        );
        assert_eq!(timeouts(&flow), [], "{links}");
    }
}

#[test]
fn a_call_whose_subroutine_may_answer_later_waits_as_node_red_reads_its_timeout() {
    let call = |id: &str, timeout: &str| {
        format!(
            r#"{{"id": "{id}", "type": "link call", "timeout": {timeout}, "links": ["sub"], "wires": [["y"]]}}"#
        )
    };
    let calls = [
        call("half", r#""0.5""#),
        call("empty", r#""""#),
        call("zero", r#""0""#),
        call("number-zero", "0"),
        call("negative", r#""-1""#),
        call("words", r#""soon""#),
        call("minute", "60"),
        call("huge", r#""3e6""#),
    ]
    .join(",");
    let json = format!(
        r#"[{{"id": "a", "type": "inject", "wires": [["half"]]}},
            {calls},
            {{"id": "sub", "type": "link in", "wires": [["hold"]]}},
            {{"id": "hold", "type": "delay", "pauseType": "delay", "timeout": "1", "timeoutUnits": "seconds", "psosQueue": 20, "wires": [["ret"]]}},
            {{"id": "ret", "type": "link out", "mode": "return"}},
            {{"id": "c", "type": "catch", "scope": ["minute"], "wires": [["y"]]}},
            {DEBUG_Y}]"#
    );
    let expect = |id: &str, ms: u64, tick_ms: u64, keeps_messages: bool| {
        (
            id.to_string(),
            LinkTimeout {
                ms,
                waiting: 21,
                keeps_messages,
                tick_ms,
            },
        )
    };
    let mut found = timeouts(&json);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        expect("half", 500, 5, false),
        expect("empty", 30_000, 10, false),
        expect("zero", 1, 1, false),
        expect("number-zero", 30_000, 10, false),
        expect("negative", 1, 1, false),
        expect("words", 30_000, 10, false),
        expect("minute", 60_000, 10, true),
        // Beyond 2³¹ − 1 ms, Node.js's timer fires after 1 ms.
        expect("huge", 1, 1, false),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(found, expected);
}

// A subroutine that may drop the message (a switch), or never reaches a
// return, holds nothing: its call waits with the fewest places; a
// dynamic call waits when any of its link in nodes may answer later.
#[test]
fn a_call_whose_subroutine_may_drop_the_message_waits_with_the_fewest_places() {
    let json = r#"[{"id": "a", "type": "inject", "wires": [["drops", "dynamic"]]},
        {"id": "drops", "type": "link call", "links": ["sub"], "wires": [["y"]]},
        {"id": "dynamic", "type": "link call", "linkType": "dynamic", "links": [], "wires": [["y"]]},
        {"id": "sub", "type": "link in", "name": "sub", "wires": [["pick"]]},
        {"id": "pick", "type": "switch", "property": "payload", "rules": [{"t": "eq", "v": "1", "vt": "num"}], "wires": [["ret"]]},
        {"id": "ret", "type": "link out", "mode": "return"},
        {"id": "quick", "type": "link in", "name": "quick", "wires": [["ret"]]},
        {"id": "y", "type": "debug", "wires": []}]"#;
    let places = |id: &str| {
        (
            id.to_string(),
            LinkTimeout {
                ms: 30_000,
                waiting: psosc::nodes::link::MIN_WAITING,
                keeps_messages: false,
                tick_ms: 10,
            },
        )
    };
    assert_eq!(timeouts(json), [places("drops"), places("dynamic")]);
}

// Whether a subroutine answers within its call, and where its messages
// go, is found once per node, not once per path: 40 junction diamonds
// that lead nowhere, 2⁴⁰ paths, lower at once (the call waits, as its
// subroutine never answers).
#[test]
fn a_subroutine_of_many_diamonds_lowers_at_once() {
    let mut nodes = vec![
        r#"{"id": "a", "type": "inject", "wires": [["call"]]}"#.to_string(),
        r#"{"id": "call", "type": "link call", "timeout": "1", "links": ["sub"], "wires": [["y"]]}"#
            .to_string(),
        r#"{"id": "sub", "type": "link in", "wires": [["j0"]]}"#.to_string(),
        DEBUG_Y.to_string(),
    ];
    const DIAMONDS: usize = 40;
    for i in 0..DIAMONDS {
        let next = i + 1;
        nodes.push(format!(
            r#"{{"id": "j{i}", "type": "junction", "wires": [["l{i}", "r{i}"]]}}"#
        ));
        for side in ["l", "r"] {
            nodes.push(format!(
                r#"{{"id": "{side}{i}", "type": "junction", "wires": [["j{next}"]]}}"#
            ));
        }
    }
    nodes.push(format!(
        r#"{{"id": "j{DIAMONDS}", "type": "junction", "wires": []}}"#
    ));
    let json = format!("[{}]", nodes.join(","));
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let waiting: Vec<String> = timeouts(&json).into_iter().map(|(id, _)| id).collect();
        // The receiver is gone only if the test already failed.
        let _ = done.send(waiting);
    });
    let waiting = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("lowers within a minute");
    assert_eq!(waiting, ["call"]);
}

#[test]
fn disabled_nodes_and_tabs_drop_out_with_their_wires() {
    let flow = r#"[{"id": "off", "type": "tab", "disabled": true},
        {"id": "a", "type": "inject", "wires": [["x", "y", "z"]]},
        {"id": "x", "type": "debug", "d": true, "wires": []},
        {"id": "y", "type": "debug", "z": "off", "wires": []},
        {"id": "z", "type": "function", "d": true, "wires": []}]"#;
    check_wires(flow, &[]);
    assert_eq!(lower(flow).nodes.len(), 1);
}

#[test]
fn fan_out_keeps_the_order_of_the_wires() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["y", "x"]]}}, {DEBUG_X}, {DEBUG_Y}]"#
        ),
        &["a:0->y", "a:0->x"],
    );
}

/// The values an inject node sets, a timestamp as null.
fn inject_values(flow: &Flow, index: usize) -> Vec<Literal> {
    let NodeKind::Inject(inject) = &flow.nodes[index].kind else {
        panic!("an inject")
    };
    inject
        .props
        .iter()
        .map(|prop| match &prop.value {
            InjectValue::Literal(literal) => literal.clone(),
            InjectValue::Timestamp | InjectValue::Context(_) => Literal::Null,
            other => panic!("a literal, not {other:?}"),
        })
        .collect()
}

#[test]
fn environment_comes_from_group_then_tab_then_process() {
    let flow = lower(
        r#"[{"id": "t", "type": "tab", "env": [{"name": "WHO", "value": "tab", "type": "str"}, {"name": "TAB_ONLY", "value": "t", "type": "str"}]},
            {"id": "g", "type": "group", "z": "t", "env": [{"name": "WHO", "value": "group", "type": "str"}]},
            {"id": "a", "type": "inject", "z": "t", "g": "g", "topic": "${WHO}", "payload": "$(FROM_PROCESS)", "payloadType": "str", "wires": []},
            {"id": "b", "type": "inject", "z": "t", "topic": "${WHO}", "payload": "${TAB_ONLY}", "payloadType": "str", "wires": []}]"#,
    );
    let values = |index: usize| inject_values(&flow, index);
    let text = |s: &str| Literal::String(s.to_string());
    assert_eq!(values(0), vec![text("process"), text("group")]);
    assert_eq!(values(1), vec![text("t"), text("tab")]);
}

#[test]
fn nodes_are_pinned_by_property_or_by_group_env() {
    let flow = lower(
        r#"[{"id": "d1", "type": "psos-device", "name": "sensor", "board": "host"},
            {"id": "d2", "type": "psos-device", "name": "actuator", "board": "host"},
            {"id": "outer", "type": "group", "env": [{"name": "PSOS_DEVICE", "value": "sensor", "type": "str"}]},
            {"id": "inner", "type": "group", "g": "outer", "env": [{"name": "PSOS_DEVICE", "value": "actuator", "type": "str"}]},
            {"id": "a", "type": "debug", "g": "inner", "wires": []},
            {"id": "b", "type": "debug", "g": "outer", "wires": []},
            {"id": "c", "type": "debug", "device": "d2", "wires": []}]"#,
    );
    let devices: Vec<&str> = flow
        .nodes
        .iter()
        .map(|node| flow.devices[node.device].name.as_str())
        .collect();
    assert_eq!(devices, ["actuator", "sensor", "actuator"]);
}

#[test]
fn admin_api_form_and_legacy_inject_are_read() {
    let flow = lower(
        r#"{"flows": [{"id": "a", "type": "inject", "payload": "42", "payloadType": "num", "topic": "t", "repeat": 2.5, "wires": []}], "rev": "x"}"#,
    );
    let NodeKind::Inject(inject) = &flow.nodes[0].kind else {
        panic!("an inject")
    };
    assert_eq!(inject.repeat_ms, Some(2500));
    assert_eq!(inject.once_delay_ms, None);
    assert_eq!(
        inject.props[0].value,
        InjectValue::Literal(Literal::Number(42.0))
    );
    assert_eq!(
        inject.props[1].value,
        InjectValue::Literal(Literal::String("t".into()))
    );
}

/// The one node a flow of one node lowers to.
fn only_node(node: &str) -> NodeKind {
    let flow = lower(&format!("[{node}]"));
    flow.nodes[0].kind.clone()
}

fn key(name: &str) -> PathSegment {
    PathSegment::Key(name.to_string())
}

/// Node-RED's 16-range_spec.js, "should load some defaults": a range node
/// keeps its name and does not round unless told. Its numbers are required
/// here, as in the editor, so the case gives them.
#[test]
fn range_defaults_are_node_reds() {
    let flow = lower(
        r#"[{"id": "rangeNode1", "type": "range", "name": "rangeNode", "minin": "0", "maxin": "10", "minout": 0, "maxout": 100, "wires": []}]"#,
    );
    assert_eq!(flow.nodes[0].name, "rangeNode");
    assert_eq!(
        flow.nodes[0].kind,
        NodeKind::Range(Range {
            path: vec![key("payload")],
            action: RangeAction::Scale,
            round: false,
            min_in: 0.0,
            max_in: 10.0,
            min_out: 0.0,
            max_out: 100.0,
        })
    );
}

#[test]
fn range_properties_are_read_as_node_red_reads_them() {
    let kind = only_node(
        r#"{"id": "r", "type": "range", "property": "reading.raw", "action": "roll", "round": true,
            "minin": " 0x10 ", "maxin": "1e3", "minout": "-2.5", "maxout": 5, "wires": []}"#,
    );
    assert_eq!(
        kind,
        NodeKind::Range(Range {
            path: vec![key("reading"), key("raw")],
            action: RangeAction::Roll,
            round: true,
            min_in: 16.0,
            max_in: 1000.0,
            min_out: -2.5,
            max_out: 5.0,
        })
    );
    for (action, expect) in [
        ("scale", RangeAction::Scale),
        ("clamp", RangeAction::Clamp),
        ("drop", RangeAction::Drop),
        ("", RangeAction::Scale),
    ] {
        let NodeKind::Range(range) = only_node(&format!(
            r#"{{"id": "r", "type": "range", "property": "", "action": "{action}", "minin": 0, "maxin": 1, "minout": 0, "maxout": 1, "wires": []}}"#
        )) else {
            panic!("a range node")
        };
        assert_eq!((range.action, range.path), (expect, vec![key("payload")]));
    }
}

/// Node-RED's rbe_spec.js, "should be loaded with correct defaults": a
/// filter keeps its name, reports by exception (`rbe`) with a gap of 0, and
/// (from `rbe.js`) compares with its last output, watches `payload` and
/// keeps topics apart by `topic`; a device remembers 8 topics of 128 bytes.
#[test]
fn filter_defaults_are_node_reds() {
    let flow = lower(r#"[{"id": "n1", "type": "rbe", "name": "rbe1", "wires": [[]]}]"#);
    assert_eq!(flow.nodes[0].name, "rbe1");
    assert_eq!(
        flow.nodes[0].kind,
        NodeKind::Filter(Filter {
            mode: FilterMode::Rbe,
            gap: Gap::Fixed(0.0),
            start: None,
            compare_input: false,
            path: vec![key("payload")],
            topic: Some(vec![key("topic")]),
            topics: 8,
            topic_size: 128,
        })
    );
}

#[test]
fn filter_properties_are_read_as_node_red_reads_them() {
    let kind = only_node(
        r#"{"id": "f", "type": "rbe", "func": "narrowbandEq", "gap": "12.5%", "start": " 0x10 ",
            "inout": "in", "property": "reading.raw", "septopics": true, "topi": "sensor",
            "psosTopics": "3", "psosTopicSize": 64, "wires": [[]]}"#,
    );
    assert_eq!(
        kind,
        NodeKind::Filter(Filter {
            mode: FilterMode::NarrowbandEq,
            gap: Gap::Percent(12.5),
            start: Some(16.0),
            compare_input: true,
            path: vec![key("reading"), key("raw")],
            topic: Some(vec![key("sensor")]),
            topics: 3,
            topic_size: 64,
        })
    );
    for (properties, expect) in [
        (
            r#""func": "deadband", "gap": "10""#,
            (FilterMode::Deadband, Gap::Fixed(10.0), None, 8),
        ),
        (
            r#""func": "deadbandEq", "gap": 2.5"#,
            (FilterMode::DeadbandEq, Gap::Fixed(2.5), None, 8),
        ),
        // `start` is read by the narrowband modes only; 0 and "" are none.
        (
            r#""func": "deadband", "start": "x""#,
            (FilterMode::Deadband, Gap::Fixed(0.0), None, 8),
        ),
        (
            r#""func": "narrowband", "start": 0"#,
            (FilterMode::Narrowband, Gap::Fixed(0.0), None, 8),
        ),
        (
            r#""func": "narrowband", "start": "0""#,
            (FilterMode::Narrowband, Gap::Fixed(0.0), Some(0.0), 8),
        ),
        (
            r#""func": "rbei", "gap": """#,
            (FilterMode::Rbei, Gap::Fixed(0.0), None, 8),
        ),
        (
            r#""func": "", "gap": "0%""#,
            (FilterMode::Rbe, Gap::Percent(0.0), None, 8),
        ),
        // One value for all topics needs room for one.
        (
            r#""septopics": false, "psosTopics": 50"#,
            (FilterMode::Rbe, Gap::Fixed(0.0), None, 1),
        ),
    ] {
        let NodeKind::Filter(filter) = only_node(&format!(
            r#"{{"id": "f", "type": "rbe", {properties}, "wires": [[]]}}"#
        )) else {
            panic!("a filter node")
        };
        assert_eq!(
            (filter.mode, filter.gap, filter.start, filter.topics),
            expect,
            "{properties}"
        );
        assert_eq!(filter.topic.is_some(), expect.3 != 1, "{properties}");
    }
}

#[test]
fn json_properties_are_read_as_node_red_reads_them() {
    for (properties, expect) in [
        (
            "",
            JsonNode {
                path: vec![key("payload")],
                action: JsonAction::Convert,
                pretty: false,
                checks_schema: false,
            },
        ),
        (
            r#""action": "", "property": "", "pretty": false,"#,
            JsonNode {
                path: vec![key("payload")],
                action: JsonAction::Convert,
                pretty: false,
                checks_schema: false,
            },
        ),
        (
            r#""action": "str", "property": "one.two", "pretty": true,"#,
            JsonNode {
                path: vec![key("one"), key("two")],
                action: JsonAction::AlwaysString,
                pretty: true,
                checks_schema: false,
            },
        ),
        (
            r#""action": "obj","#,
            JsonNode {
                path: vec![key("payload")],
                action: JsonAction::AlwaysObject,
                pretty: false,
                checks_schema: false,
            },
        ),
    ] {
        let kind = only_node(&format!(
            r#"{{"id": "j", "type": "json", {properties} "wires": []}}"#
        ));
        assert_eq!(kind, NodeKind::Json(expect), "{properties}");
    }
}

/// A json node checks messages against `msg.schema` only where a message
/// from a node that may set it can reach it: one that names `schema` in
/// its configuration (a change rule, an inject property, a subflow
/// instance's value that a node inside takes as its property), on the
/// wires before it (through link nodes and across devices) or before a
/// catch node wired to it.
#[test]
fn json_nodes_check_msg_schema_only_where_a_message_may_bring_it() {
    let json = r#"{"id": "j", "type": "json", "wires": []}"#;
    for (others, expect) in [
        ("", false),
        (
            r#"{"id": "c", "type": "change", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "x", "tot": "str"}], "wires": [["j"]]},
               {"id": "n", "type": "comment", "name": "about the schema"},"#,
            false,
        ),
        (
            r#"{"id": "c", "type": "change", "rules": [{"t": "set", "p": "schema", "pt": "msg", "to": "{}", "tot": "json"}], "wires": [["j"]]},"#,
            true,
        ),
        (
            r#"{"id": "i", "type": "inject", "props": [{"p": "schema", "v": "{}", "vt": "json"}], "wires": [["j"]]},"#,
            true,
        ),
        (
            r#"{"id": "s", "type": "subflow", "name": "S", "in": [], "out": [{"x": 0, "y": 0, "wires": [{"id": "sc"}]}],
                "env": [{"name": "TO", "type": "str", "value": "payload"}]},
               {"id": "sc", "type": "change", "z": "s", "rules": [{"t": "set", "p": "${TO}", "pt": "msg", "to": "{}", "tot": "json"}], "wires": [[]]},
               {"id": "si", "type": "subflow:s", "env": [{"name": "TO", "type": "str", "value": "schema"}], "wires": [["j"]]},"#,
            true,
        ),
        // A setter whose messages do not reach the json node.
        (
            r#"{"id": "i", "type": "inject", "props": [{"p": "schema", "v": "{}", "vt": "json"}], "wires": [["d"]]},
               {"id": "d", "type": "debug", "wires": []},"#,
            false,
        ),
        // Through a node between, a link out and its link in, and a
        // wire across devices.
        (
            r#"{"id": "d1", "type": "psos-device", "name": "schema-path-a", "board": "host"},
               {"id": "d2", "type": "psos-device", "name": "schema-path-b", "board": "host"},
               {"id": "i", "type": "inject", "device": "schema-path-a", "props": [{"p": "schema", "v": "{}", "vt": "json"}], "wires": [["lo"]]},
               {"id": "lo", "type": "link out", "mode": "link", "links": ["li"], "wires": []},
               {"id": "li", "type": "link in", "links": ["lo"], "wires": [["c"]]},
               {"id": "c", "type": "change", "device": "schema-path-b", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "x", "tot": "str"}], "wires": [["j"]]},"#,
            true,
        ),
        // A catch node gets the message of the node that failed, schema
        // and all.
        (
            r#"{"id": "i", "type": "inject", "props": [{"p": "schema", "v": "{}", "vt": "json"}], "wires": [["r"]]},
               {"id": "r", "type": "range", "minin": "0", "maxin": "1", "minout": "0", "maxout": "1", "action": "scale", "round": false, "property": "payload", "wires": [[]]},
               {"id": "k", "type": "catch", "scope": ["r"], "uncaught": false, "wires": [["j"]]},"#,
            true,
        ),
    ] {
        let flow = lower(&format!("[{others} {json}]"));
        let checks: Vec<bool> = flow
            .nodes
            .iter()
            .filter_map(|node| match &node.kind {
                NodeKind::Json(json) => Some(json.checks_schema),
                _ => None,
            })
            .collect();
        assert_eq!(checks, [expect], "{others}");
    }
}

/// Node-RED's 89-delay_spec.js, "should be loaded", "should be able to set
/// rate to hour" and "... to minute": one message a day, an hour, a minute
/// is an interval of that many milliseconds (in a `rate` node here, where
/// psosc reads the rate; the spec's node is in `delay` mode).
#[test]
fn delay_rates_are_read_as_node_red_reads_them() {
    use psosc::ir::{Delay, DelayMode};
    for (unit, interval_ms) in [
        ("day", 86_400_000.0),
        ("hour", 3_600_000.0),
        ("minute", 60_000.0),
    ] {
        let flow = lower(&format!(
            r#"[{{"id":"delayNode1","type":"delay", "nbRateUnits":"1", "name":"delayNode","pauseType":"rate","timeout":"5","timeoutUnits":"seconds","rate":"1","rateUnits":"{unit}","randomFirst":"1","randomLast":"5","randomUnits":"seconds","drop":false,"wires":[[]]}}]"#
        ));
        assert_eq!(flow.nodes[0].name, "delayNode");
        assert_eq!(
            flow.nodes[0].kind,
            NodeKind::Delay(Delay {
                mode: DelayMode::Rate {
                    interval_ms,
                    drop: false,
                    allow_rate: false,
                },
                second_output: false,
                queue: 8,
                tick_ms: Some(10),
                random_counts: false,
            }),
            "{unit}"
        );
    }
}

/// Each mode reads its own properties, times in their units become
/// milliseconds as `89-delay.js` computes them, `psosQueue` sizes the
/// queue, and the timer ticks at a hundredth of the shortest time.
#[test]
fn delay_modes_are_read_as_node_red_reads_them() {
    use psosc::ir::{Delay, DelayMode};
    let read = |props: &str| {
        let NodeKind::Delay(delay) = only_node(&format!(
            r#"{{"id": "d", "type": "delay", {props}, "wires": [[], []]}}"#
        )) else {
            panic!("a delay node")
        };
        delay
    };
    assert_eq!(
        read(r#""pauseType": "delay", "timeout": "0.5", "timeoutUnits": "seconds""#),
        Delay {
            mode: DelayMode::Fixed {
                ms: 500.0,
                variable: false
            },
            second_output: false,
            queue: 8,
            tick_ms: Some(5),
            random_counts: false,
        }
    );
    assert_eq!(
        read(r#""pauseType": "delayv", "timeout": 2, "timeoutUnits": "minutes", "psosQueue": 3"#),
        Delay {
            mode: DelayMode::Fixed {
                ms: 120_000.0,
                variable: true
            },
            second_output: false,
            queue: 3,
            tick_ms: Some(10),
            random_counts: false,
        }
    );
    assert_eq!(
        read(
            r#""pauseType": "random", "randomFirst": "100", "randomLast": 300, "randomUnits": "milliseconds""#
        )
        .mode,
        DelayMode::Random {
            first_ms: 100.0,
            last_ms: 300.0
        }
    );
    // A random delay reports how many wait while its `timeout`, read as
    // Node-RED reads it in every mode (unknown units are seconds), is at
    // least a second.
    for (timeout, counts) in [
        (r#""timeout": "5", "timeoutUnits": "seconds""#, true),
        (r#""timeout": 1"#, true),
        (r#""timeout": "999", "timeoutUnits": "milliseconds""#, false),
        (r#""timeout": 1000, "timeoutUnits": "milliseconds""#, true),
        (r#""timeout": "", "timeoutUnits": "minutes""#, false),
        (r#""timeout": "soon""#, false),
        (r#""timeout": 2, "timeoutUnits": "fortnights""#, true),
        (r#""timeout": 0.5, "timeoutUnits": "fortnights""#, false),
        (r#""timeoutUnits": "days""#, false),
    ] {
        let random = read(&format!(
            r#""pauseType": "random", "randomFirst": 1, "randomLast": 2, {timeout}"#
        ));
        assert_eq!(random.random_counts, counts, "{timeout}");
    }
    // Two a second, twice: one message every second; what `rate` with
    // `drop` drops is never kept, and needs no timer.
    assert_eq!(
        read(
            r#""pauseType": "rate", "rate": 2, "nbRateUnits": 2, "rateUnits": "second", "drop": true, "allowrate": true, "outputs": 2"#
        ),
        Delay {
            mode: DelayMode::Rate {
                interval_ms: 1000.0,
                drop: true,
                allow_rate: true
            },
            second_output: true,
            queue: 0,
            tick_ms: None,
            random_counts: false,
        }
    );
    assert_eq!(
        read(r#""pauseType": "queue", "rate": "4", "nbRateUnits": "0", "rateUnits": "second""#)
            .mode,
        DelayMode::Queue {
            interval_ms: 250.0,
            allow_rate: false
        }
    );
    assert_eq!(
        read(r#""pauseType": "timed", "rate": 1, "rateUnits": "minute""#).mode,
        DelayMode::Timed {
            interval_ms: 60_000.0,
            allow_rate: false
        }
    );
}

/// Node-RED 5.0's `burst` mode: `rate` places, each held `nbRateUnits`
/// `rateUnits` as they are (`node.timer`; 0 is Node.js's 1 ms, where the
/// other modes take it as 1), the second output, no queue, and a timer
/// that ticks at a hundredth of the period. `drop`, `allowrate` and
/// `psosQueue` mean nothing in this mode.
#[test]
fn burst_is_read_as_node_red_reads_it() {
    use psosc::ir::{Delay, DelayMode};
    let read = |props: &str| {
        let NodeKind::Delay(delay) = only_node(&format!(
            r#"{{"id": "d", "type": "delay", "pauseType": "burst", {props}, "wires": [[], []]}}"#
        )) else {
            panic!("a delay node")
        };
        delay
    };
    assert_eq!(
        read(
            r#""rate": "3", "nbRateUnits": "2", "rateUnits": "minute", "drop": true, "allowrate": true, "psosQueue": 4, "outputs": 2"#
        ),
        Delay {
            mode: DelayMode::Burst {
                rate: 3.0,
                period_ms: 120_000.0
            },
            second_output: true,
            queue: 0,
            tick_ms: Some(10),
            random_counts: false,
        }
    );
    let rates = [
        (r#""rate": 1, "nbRateUnits": 1"#, 1.0, 1000.0),
        (
            r#""rate": 2.5, "nbRateUnits": 0.5, "rateUnits": "second""#,
            2.5,
            500.0,
        ),
        (
            r#""rate": 1, "nbRateUnits": 1, "rateUnits": "hour""#,
            1.0,
            3_600_000.0,
        ),
        (
            r#""rate": 1, "nbRateUnits": 2, "rateUnits": "day""#,
            1.0,
            172_800_000.0,
        ),
        (r#""rate": 1, "nbRateUnits": 0"#, 1.0, 0.0),
    ];
    for (props, rate, period_ms) in rates {
        assert_eq!(
            read(props).mode,
            DelayMode::Burst { rate, period_ms },
            "{props}"
        );
    }
    assert_eq!(read(r#""rate": 1, "nbRateUnits": 0.05"#).tick_ms, Some(1));
}

/// Node-RED's "should be loaded with some defaults" (`10-switch_spec.js`):
/// `checkall` true and no rules when the flow gives neither.
#[test]
fn switch_defaults_are_node_reds() {
    let flow = lower(r#"[{"id": "switchNode1", "type": "switch", "name": "switchNode"}]"#);
    assert_eq!(flow.nodes[0].name, "switchNode");
    assert_eq!(
        flow.nodes[0].kind,
        NodeKind::Switch(Switch {
            property: Property {
                scope: Store::Msg,
                path: vec![key("payload")],
            },
            rules: vec![],
            check_all: true,
            repair: false,
            queue: 8,
        })
    );
}

#[test]
fn switch_rules_are_read_as_node_red_reads_them() {
    let kind = only_node(
        r#"{"id": "s", "type": "switch", "property": "reading", "checkall": "false", "repair": false,
            "rules": [{"t": "eq", "v": "3"}, {"t": "eq", "v": "on"}, {"t": "btwn", "v": "1", "vt": "num", "v2": "", "v2t": "prev"},
                      {"t": "lt", "v": "limit", "vt": "msg"}, {"t": "istype", "v": "buffer", "vt": "buffer"}, {"t": "true"},
                      {"t": "index", "v": 1, "v2": 3}, {"t": "hask", "v": "a"}, {"t": "eq", "v": "true", "vt": "bool"}, {"t": "else"}],
            "wires": [[], [], [], [], [], [], [], [], [], []]}"#,
    );
    let literal = |literal: Literal| SwitchOperand::Literal(literal);
    let rule = |op: SwitchOp, value: SwitchOperand, value2: SwitchOperand| SwitchRule {
        op,
        value,
        value2,
    };
    use SwitchOperand::Undefined;
    assert_eq!(
        kind,
        NodeKind::Switch(Switch {
            property: Property {
                scope: Store::Msg,
                path: vec![key("reading")],
            },
            rules: vec![
                // Without `vt`, a value `Number()` reads is a number.
                rule(SwitchOp::Eq, literal(Literal::Number(3.0)), Undefined),
                rule(
                    SwitchOp::Eq,
                    literal(Literal::String("on".into())),
                    Undefined
                ),
                rule(
                    SwitchOp::Btwn,
                    literal(Literal::Number(1.0)),
                    SwitchOperand::Previous
                ),
                rule(
                    SwitchOp::Lt,
                    SwitchOperand::Msg(vec![key("limit")]),
                    Undefined
                ),
                rule(SwitchOp::IsType(JsType::Buffer), Undefined, Undefined),
                rule(SwitchOp::True, Undefined, Undefined),
                rule(
                    SwitchOp::Index,
                    literal(Literal::Number(1.0)),
                    literal(Literal::Number(3.0))
                ),
                rule(
                    SwitchOp::HasKey,
                    literal(Literal::String("a".into())),
                    Undefined
                ),
                rule(SwitchOp::Eq, literal(Literal::Bool(true)), Undefined),
                rule(SwitchOp::Else, Undefined, Undefined),
            ],
            check_all: false,
            repair: false,
            queue: 8,
        })
    );
}

/// `repair` is on when Node-RED's `n.repair` is truthy (the text "false"
/// too); a switch that repairs, or has a `tail` rule, holds sequences in
/// `psosQueue` messages (8 by default); complete nodes never hear of a
/// switch, whose input handler takes no `done`.
#[test]
fn switch_repair_is_read_as_node_red_reads_it() {
    let read = |extra: &str| {
        let kind = only_node(&format!(
            r#"{{"id": "s", "type": "switch", "property": "payload", "rules": [{{"t": "head", "v": 2}}], {extra} "wires": [[]]}}"#
        ));
        let NodeKind::Switch(switch) = kind else {
            panic!("a switch, not {kind:?}");
        };
        (switch.repair, switch.holds_sequences(), switch.queue)
    };
    assert_eq!(read(""), (false, false, 8));
    assert_eq!(read(r#""repair": true,"#), (true, true, 8));
    assert_eq!(
        read(r#""repair": "false", "psosQueue": 3,"#),
        (true, true, 3)
    );
    assert_eq!(read(r#""repair": 0,"#), (false, false, 8));
    let tail = only_node(
        r#"{"id": "s", "type": "switch", "property": "payload", "rules": [{"t": "tail", "v": 2}], "repair": false, "wires": [[]]}"#,
    );
    assert!(
        matches!(&tail, NodeKind::Switch(switch) if switch.holds_sequences() && !switch.repair)
    );
    assert_eq!(
        psosc::nodes::complete::finish(&tail),
        psosc::nodes::complete::Finish::Never
    );
}

/// A rule value of type `env` is looked up as Node-RED looks it up (the
/// node's group, its tab, then the process), when psosc builds the flow.
#[test]
fn switch_env_values_come_from_the_flow_then_the_process() {
    let flow = lower(
        r#"[{"id": "t", "type": "tab", "env": [{"name": "LIMIT", "value": "40", "type": "str"}]},
            {"id": "s", "type": "switch", "z": "t", "property": "payload",
             "rules": [{"t": "gt", "v": "LIMIT", "vt": "env"}, {"t": "eq", "v": "FROM_PROCESS", "vt": "env"}],
             "wires": [[], []]}]"#,
    );
    let NodeKind::Switch(switch) = &flow.nodes[0].kind else {
        panic!("a switch")
    };
    let values: Vec<&SwitchOperand> = switch.rules.iter().map(|rule| &rule.value).collect();
    assert_eq!(
        values,
        [
            &SwitchOperand::Literal(Literal::String("40".into())),
            &SwitchOperand::Literal(Literal::String("process".into())),
        ]
    );
}

/// Node-RED's 89-trigger_spec.js, "should be loaded with correct defaults"
/// and "should be able to set delay in seconds / minutes / hours": `"1"`
/// then `"0"` 250 ms later, for all topics; `duration` in `units`.
#[test]
fn trigger_defaults_and_units_are_node_reds() {
    use psosc::ir::{Trigger, TriggerOp};
    let read = |props: &str| {
        let flow = lower(&format!(
            r#"[{{"id": "n1", "type": "trigger", "name": "triggerNode", {props} "wires": [[]]}}]"#
        ));
        assert_eq!(flow.nodes[0].name, "triggerNode");
        let NodeKind::Trigger(trigger) = flow.nodes[0].kind.clone() else {
            panic!("a trigger node")
        };
        trigger
    };
    let text = |text: &str| TriggerOp::Value(InjectValue::Literal(Literal::String(text.into())));
    assert_eq!(
        read(""),
        Trigger {
            first: text("1"),
            second: text("0"),
            duration_ms: 250.0,
            repeat: false,
            extend: false,
            override_delay: false,
            reset: None,
            by_topic: None,
            second_output: false,
            topics: 1,
            tick_ms: Some(2),
        }
    );
    for (units, ms) in [("s", 1000.0), ("min", 60_000.0), ("hr", 3_600_000.0)] {
        let props = format!(r#""units": "{units}", "duration": "1","#);
        assert_eq!(read(&props).duration_ms, ms, "{units}");
    }
}

/// What else a trigger node reads: `val`, `date`, `pay`, `payl` and `nul`
/// payloads, a negative time that repeats (and never extends), per-topic
/// state on another property with its room (`psosTopics`), the reset text,
/// a second output, and a time of 0 that needs no timer.
#[test]
fn trigger_properties_are_read_as_node_red_reads_them() {
    use psosc::ir::{Trigger, TriggerOp};
    let read = |props: &str| {
        let NodeKind::Trigger(trigger) = only_node(&format!(
            r#"{{"id": "t", "type": "trigger", {props}, "wires": [[], []]}}"#
        )) else {
            panic!("a trigger node")
        };
        trigger
    };
    let value = |literal: Literal| TriggerOp::Value(InjectValue::Literal(literal));
    assert_eq!(
        read(
            r#""op1": "null", "op1type": "val", "op2": "", "op2type": "date", "duration": "-2", "units": "s", "extend": true, "bytopic": "topic", "topic": "foo.bar", "psosTopics": 3, "reset": "stop", "outputs": 2"#
        ),
        Trigger {
            first: value(Literal::Null),
            second: TriggerOp::Value(InjectValue::Timestamp),
            duration_ms: 2000.0,
            repeat: true,
            extend: false,
            override_delay: false,
            reset: Some("stop".into()),
            by_topic: Some(vec![key("foo"), key("bar")]),
            second_output: true,
            topics: 3,
            tick_ms: Some(10),
        }
    );
    let trigger = read(
        r#""op1": "x", "op1type": "pay", "op2type": "payl", "duration": 0, "extend": "true", "overrideDelay": false, "bytopic": "topic""#,
    );
    assert_eq!(
        (trigger.first, trigger.second, trigger.extend),
        (TriggerOp::Payload, TriggerOp::LatestPayload, true)
    );
    assert_eq!((trigger.topics, trigger.tick_ms), (8, None));
    let trigger = read(r#""op1type": "num", "op1": "5", "op2type": "nul", "op2": "true""#);
    assert_eq!(
        (trigger.first, trigger.second),
        (value(Literal::Number(5.0)), TriggerOp::Nothing)
    );
    let trigger =
        read(r#""op1type": "json", "op1": "{\"a\":[1]}", "op2type": "bool", "op2": "true""#);
    assert_eq!(trigger.second, value(Literal::Bool(true)));
    assert_eq!(
        trigger.first,
        value(Literal::Object(vec![(
            "a".into(),
            Literal::Array(vec![Literal::Number(1.0)])
        )]))
    );
    // A flow or global key, read on the device; an empty one is the
    // default's (`n.op1 || "1"`), a store name a store of its own.
    let trigger =
        read(r##""op1type": "flow", "op1": "", "op2type": "global", "op2": "#:(file)::a.b""##);
    let context = |scope: Store, path: Vec<PathSegment>| {
        TriggerOp::Value(InjectValue::Context(Property { scope, path }))
    };
    assert_eq!(
        (trigger.first, trigger.second),
        (
            context(Store::Flow(String::new()), vec![key("1")]),
            context(
                Store::GlobalStore(StoreName {
                    name: "file".into(),
                    number: 0
                }),
                vec![key("a"), key("b")]
            )
        )
    );
}

/// `basicTest`'s `bin`, `env` and `date` `iso` flows of Node-RED's
/// 89-trigger_spec.js, as first and as second payload: a Buffer, the
/// variable's text (`NR-TEST`, here set on the tab), and the time as
/// `toISOString` writes it, made on the device (the runtime's
/// `conformance_trigger.rs` runs them).
#[test]
fn trigger_bin_env_and_iso_values_are_read_as_node_red_reads_them() {
    use psosc::ir::TriggerOp;
    let read = |op: &str, op_type: &str| {
        let flow = lower(&format!(
            r#"[{{"id": "t", "type": "tab", "env": [{{"name": "NR-TEST", "value": "env-val", "type": "str"}}]}},
                {{"id": "n1", "type": "trigger", "z": "t", "op1": {op}, "op1type": "{op_type}", "op2": "", "op2type": "nul", "duration": "20", "wires": [[]]}},
                {{"id": "n2", "type": "trigger", "z": "t", "op1": "foo", "op1type": "str", "op2": {op}, "op2type": "{op_type}", "duration": "20", "wires": [[]]}}]"#
        ));
        let ops: Vec<_> = flow
            .nodes
            .iter()
            .map(|node| match &node.kind {
                NodeKind::Trigger(trigger) if node.id == "n1" => trigger.first.clone(),
                NodeKind::Trigger(trigger) => trigger.second.clone(),
                other => panic!("a trigger node, not {other:?}"),
            })
            .collect();
        assert_eq!(ops.len(), 2, "{op_type}");
        assert_eq!(ops[0], ops[1], "{op_type}: first and second");
        ops[0].clone()
    };
    assert_eq!(
        read(r#""[1,2,3,4,5]""#, "bin"),
        TriggerOp::Value(InjectValue::Bytes(vec![1, 2, 3, 4, 5]))
    );
    assert_eq!(
        read(r#""NR-TEST""#, "env"),
        TriggerOp::Value(InjectValue::Literal(Literal::String("env-val".into())))
    );
    assert_eq!(
        read(r#""iso""#, "date"),
        TriggerOp::Value(InjectValue::IsoDate)
    );
}

/// "should be able to apply mustache templates to payloads" of Node-RED's
/// 89-trigger_spec.js: `val` text with `{{mustache}}` fields is a template
/// whose names are the message's only (`mustache.render(op, msg)`, no
/// `env.`, `flow.` or `global.` as the template node has), and one that
/// does not parse is refused.
#[test]
fn trigger_mustache_payloads_are_parsed_as_mustache_js_parses_them() {
    use psosc::ir::{TemplateName, TemplateToken, TriggerOp};
    let NodeKind::Trigger(trigger) = only_node(
        r#"{"id": "n1", "type": "trigger", "name": "triggerNode", "op1type": "val", "op2type": "val", "op1": "{{payload}}", "op2": "{{{flow.x}}} {{env.HOME}}", "duration": "50", "wires": [[]]}"#,
    ) else {
        panic!("a trigger node")
    };
    let name = |parts: &[&str]| TemplateName {
        parts: parts.iter().map(|part| part.to_string()).collect(),
        fallback: None,
        context: None,
    };
    assert_eq!(
        trigger.first,
        TriggerOp::Template(vec![TemplateToken::Value {
            name: name(&["payload"]),
            escape: true
        }])
    );
    assert_eq!(
        trigger.second,
        TriggerOp::Template(vec![
            TemplateToken::Value {
                name: name(&["flow", "x"]),
                escape: false
            },
            TemplateToken::Text(" ".into()),
            TemplateToken::Value {
                name: name(&["env", "HOME"]),
                escape: true
            },
        ])
    );
}

/// A subflow with one input and two outputs: the input goes through a
/// change node to the first output, and straight to the second.
const SUBFLOW_S: &str = r#"{"id": "s", "type": "subflow", "name": "S",
        "in": [{"x": 0, "y": 0, "wires": [{"id": "c"}]}],
        "out": [{"x": 0, "y": 0, "wires": [{"id": "c", "port": 0}]},
                {"x": 0, "y": 0, "wires": [{"id": "s", "port": 0}]}]},
    {"id": "c", "type": "change", "z": "s", "rules": [], "wires": [[]]}"#;

#[test]
fn subflow_instances_become_copies_wired_through_their_ports() {
    check_wires(
        &format!(
            r#"[{SUBFLOW_S},
                {{"id": "t", "type": "tab"}},
                {{"id": "a", "type": "inject", "z": "t", "wires": [["i1"]]}},
                {{"id": "b", "type": "inject", "z": "t", "wires": [["i2", "x"]]}},
                {{"id": "i1", "type": "subflow:s", "z": "t", "wires": [["x"], ["y"]]}},
                {{"id": "i2", "type": "subflow:s", "z": "t", "wires": [["y"], []]}},
                {DEBUG_X}, {DEBUG_Y}]"#
        ),
        &[
            "a:0->i1-c",
            "a:0->y",
            "b:0->i2-c",
            "b:0->x",
            "i1-c:0->x",
            "i2-c:0->y",
        ],
    );
}

#[test]
fn subflows_inside_subflows_expand_and_disabled_instances_drop_out() {
    let flow = format!(
        r#"[{SUBFLOW_S},
            {{"id": "outer", "type": "subflow", "name": "Outer",
              "in": [{{"x": 0, "y": 0, "wires": [{{"id": "inner"}}]}}],
              "out": [{{"x": 0, "y": 0, "wires": [{{"id": "inner", "port": 0}}]}}]}},
            {{"id": "inner", "type": "subflow:s", "z": "outer", "wires": [[], []]}},
            {{"id": "a", "type": "inject", "wires": [["o1", "o2"]]}},
            {{"id": "o1", "type": "subflow:outer", "wires": [["x"]]}},
            {{"id": "o2", "type": "subflow:outer", "d": true, "wires": [["y"]]}},
            {DEBUG_X}, {DEBUG_Y}]"#
    );
    check_wires(&flow, &["a:0->o1-inner-c", "o1-inner-c:0->x"]);
    let lowered = lower(&flow);
    let ids: Vec<&str> = lowered.nodes.iter().map(|node| node.id.as_str()).collect();
    assert_eq!(ids, ["a", "x", "y", "o1-inner-c"]);
}

/// Inside a subflow, `env` is the instance's, then the subflow's, then the
/// scopes around the instance (Node-RED's `Subflow.getSetting`).
#[test]
fn subflow_env_comes_from_the_instance_then_the_subflow_then_the_parent() {
    let flow = lower(
        r#"[{"id": "t", "type": "tab", "env": [{"name": "TAB_ONLY", "value": "tab", "type": "str"}]},
            {"id": "s", "type": "subflow", "name": "S", "in": [], "out": [],
             "env": [{"name": "WHO", "value": "template", "type": "str"},
                     {"name": "COUNT", "value": "007", "type": "num"},
                     {"name": "FROM", "value": "FROM_PROCESS", "type": "env"},
                     {"name": "TAB_ONLY", "value": "TAB_ONLY", "type": "env"}]},
            {"id": "n", "type": "inject", "z": "s", "topic": "${WHO}", "payload": "${COUNT}", "payloadType": "str",
             "props": [{"p": "topic", "vt": "str"}, {"p": "payload"}, {"p": "from", "v": "${FROM}", "vt": "str"},
                       {"p": "tab", "v": "${TAB_ONLY}", "vt": "str"}, {"p": "name", "v": "${NR_SUBFLOW_NAME}", "vt": "str"}],
             "wires": []},
            {"id": "i1", "type": "subflow:s", "z": "t", "name": "first",
             "env": [{"name": "WHO", "value": "instance", "type": "str"}, {"name": "COUNT", "value": "1e3", "type": "num"}], "wires": []},
            {"id": "i2", "type": "subflow:s", "z": "t", "name": "second", "wires": []}]"#,
    );
    let values = |index: usize| inject_values(&flow, index);
    let text = |s: &str| Literal::String(s.to_string());
    assert_eq!(flow.nodes[0].id, "i1-n");
    assert_eq!(
        values(0),
        [
            text("instance"),
            text("1000"),
            text("process"),
            text("tab"),
            text("first")
        ]
    );
    assert_eq!(
        values(1),
        [
            text("template"),
            text("7"),
            text("process"),
            text("tab"),
            text("second")
        ]
    );
}

#[test]
fn subflow_copies_are_pinned_by_the_instance_env() {
    let flow = lower(
        r#"[{"id": "d1", "type": "psos-device", "name": "sensor", "board": "host"},
            {"id": "d2", "type": "psos-device", "name": "actuator", "board": "host"},
            {"id": "t", "type": "tab", "env": [{"name": "PSOS_DEVICE", "value": "sensor", "type": "str"}]},
            {"id": "s", "type": "subflow", "in": [], "out": []},
            {"id": "n", "type": "debug", "z": "s", "wires": []},
            {"id": "i1", "type": "subflow:s", "z": "t", "env": [{"name": "PSOS_DEVICE", "value": "actuator", "type": "str"}], "wires": []},
            {"id": "i2", "type": "subflow:s", "z": "t", "wires": []}]"#,
    );
    let placed: Vec<(&str, &str)> = flow
        .nodes
        .iter()
        .map(|node| (node.id.as_str(), flow.devices[node.device].name.as_str()))
        .collect();
    assert_eq!(placed, [("i1-n", "actuator"), ("i2-n", "sensor")]);
}

// Node-RED's `60-link_spec.js`: "should be linked", "should be linked to
// multiple nodes", "should be linked from multiple nodes".
#[test]
fn link_out_nodes_reach_their_link_in_nodes() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["n1"]]}},
                {{"id": "b", "type": "inject", "wires": [["n5"]]}},
                {{"id": "n1", "type": "link out", "name": "link-out0", "links": ["n2", "n3"]}},
                {{"id": "n5", "type": "link out", "name": "link-out1", "links": ["n3"]}},
                {{"id": "n2", "type": "link in", "name": "link-in0", "wires": [["x"]]}},
                {{"id": "n3", "type": "link in", "name": "link-in1", "wires": [["x"]]}},
                {DEBUG_X}]"#
        ),
        &["a:0->x", "a:0->x", "b:0->x"],
    );
}

// `60-link_spec.js`: "should allow nested link-call flows": a subroutine
// that calls two others returns to its own caller.
#[test]
fn nested_link_calls_return_to_their_callers() {
    check_wires(
        &format!(
            r#"[{{"id": "li1", "type": "link in", "wires": [["m2"]]}},
                {{"id": "m2", "type": "change", "rules": [], "wires": [["lo1"]]}},
                {{"id": "lo1", "type": "link out", "mode": "return"}},
                {{"id": "li2", "type": "link in", "wires": [["m3"]]}},
                {{"id": "m3", "type": "change", "rules": [], "wires": [["lo2"]]}},
                {{"id": "lo2", "type": "link out", "mode": "return"}},
                {{"id": "li3", "type": "link in", "wires": [["link-call-1"]]}},
                {{"id": "link-call-1", "type": "link call", "links": ["li1"], "wires": [["link-call-2"]]}},
                {{"id": "link-call-2", "type": "link call", "links": ["li2"], "wires": [["lo3"]]}},
                {{"id": "lo3", "type": "link out", "mode": "return"}},
                {{"id": "a", "type": "inject", "wires": [["link-call"]]}},
                {{"id": "link-call", "type": "link call", "links": ["li3"], "wires": [["x"]]}},
                {DEBUG_X}]"#
        ),
        &["m2:0->m3", "m3:0->x", "a:0->m2"],
    );
}

#[test]
fn link_call_calls_its_first_link_only() {
    check_wires(
        &format!(
            r#"[{{"id": "a", "type": "inject", "wires": [["call"]]}},
                {{"id": "call", "type": "link call", "linkType": "static", "links": ["one", "two"], "wires": [[]]}},
                {{"id": "one", "type": "link in", "wires": [["x"]]}},
                {{"id": "two", "type": "link in", "wires": [["y"]]}},
                {DEBUG_X}, {DEBUG_Y}]"#
        ),
        // Its subroutine never answers, so the call waits, and times out.
        &["a:0->call", "call:0->x"],
    );
}

// `60-link_spec.js`: "should be loaded (link in)", "(link out)": both
// take part in no code.
#[test]
fn link_nodes_and_comments_become_no_nodes() {
    let flow = lower(
        r#"[{"id": "n1", "type": "link in", "name": "link-in", "wires": []},
            {"id": "n2", "type": "link out", "name": "link-out", "links": []},
            {"id": "n3", "type": "comment", "name": "a note", "info": "text"},
            {"id": "n4", "type": "junction", "wires": [[]]}]"#,
    );
    assert!(flow.nodes.is_empty());
}

/// The texts an inject node copied from a subflow sets, one per `${NAME}`
/// in `names`: the subflow `s` holds the inject, and `rest` holds the
/// subflow's `env`, the instances and their scopes.
fn env_in_subflow(subflow_env: &str, rest: &str, names: &[&str]) -> Vec<Literal> {
    let props: Vec<String> = names
        .iter()
        .map(|name| format!(r#"{{"p": "v{name}", "v": "${{{name}}}", "vt": "str"}}"#))
        .collect();
    let flow = lower(&format!(
        r#"[{{"id": "t0", "type": "tab"}},
            {{"id": "s", "type": "subflow", "name": "Subflow", "in": [], "out": [], "env": {subflow_env}}},
            {{"id": "s-n", "type": "inject", "z": "s", "props": [{}], "wires": []}},
            {rest}]"#,
        props.join(", ")
    ));
    inject_values(&flow, 0)
}

fn texts(values: &[&str]) -> Vec<Literal> {
    values
        .iter()
        .map(|v| Literal::String(v.to_string()))
        .collect()
}

// Node-RED's `test/nodes/subflow/subflow_spec.js`, the `env` cases, with
// `${K}` in an inject node where Node-RED's use `env.get('K')` in a
// function node; and `Subflow_spec.js`'s "#env var" cases.
#[test]
fn subflow_env_cases_of_node_red() {
    // "should access env var of subflow template"
    let template = r#"[{"name": "K", "type": "str", "value": "V"}]"#;
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "wires": []}"#;
    assert_eq!(env_in_subflow(template, instance, &["K"]), texts(&["V"]));
    // "should access env var of subflow instance"
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "env": [{"name": "K", "type": "str", "value": "V"}], "wires": []}"#;
    assert_eq!(env_in_subflow("[]", instance, &["K"]), texts(&["V"]));
    // "should access last env var with same name"
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "env": [
        {"name": "K", "type": "str", "value": "V0"}, {"name": "X", "type": "str", "value": "VX"},
        {"name": "K", "type": "str", "value": "V1"}], "wires": []}"#;
    assert_eq!(env_in_subflow("[]", instance, &["K"]), texts(&["V1"]));
    // "should access typed value of env var" (the `bin` and `jsonata`
    // entries are refused: `diagnostics/subflow.json`)
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "env": [
        {"name": "KN", "type": "num", "value": "100"}, {"name": "KB", "type": "bool", "value": "true"},
        {"name": "KJ", "type": "json", "value": "[1,2,3]"}, {"name": "Ke", "type": "env", "value": "KS"}], "wires": []}"#;
    let template = r#"[{"name": "KS", "type": "str", "value": "STR"}]"#;
    assert_eq!(
        env_in_subflow(template, instance, &["KS", "KN", "KB", "KJ", "Ke"]),
        texts(&["STR", "100", "true", "[1,2,3]", "STR"])
    );
    // "should overwrite env var of subflow template by env var of subflow
    // instance"
    let template = r#"[{"name": "K", "type": "str", "value": "V"}]"#;
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "env": [{"name": "K", "type": "str", "value": "V2"}], "wires": []}"#;
    assert_eq!(env_in_subflow(template, instance, &["K"]), texts(&["V2"]));
    // "should access env var of parent subflow template", "... of parent
    // subflow instance": `s` inside `p`, `p` on the tab.
    for (parent_env, instance_env) in [
        (r#"[{"name": "K", "type": "str", "value": "V"}]"#, "[]"),
        ("[]", r#"[{"name": "K", "type": "str", "value": "V"}]"#),
    ] {
        let rest = format!(
            r#"{{"id": "p", "type": "subflow", "in": [], "out": [], "env": {parent_env}}},
               {{"id": "p-n1", "type": "subflow:s", "z": "p", "wires": []}},
               {{"id": "n1", "type": "subflow:p", "z": "t0", "env": {instance_env}, "wires": []}}"#
        );
        assert_eq!(env_in_subflow("[]", &rest, &["K"]), texts(&["V"]));
    }
    // "should access env var of tab", "... of group", "... of nested group"
    let rest = r#"{"id": "t1", "type": "tab", "env": [{"name": "K", "type": "str", "value": "tab"}]},
        {"id": "g1", "type": "group", "z": "t1", "env": [{"name": "G", "type": "str", "value": "group"}]},
        {"id": "g2", "type": "group", "z": "t1", "g": "g1", "env": []},
        {"id": "n1", "type": "subflow:s", "z": "t1", "g": "g2", "wires": []}"#;
    assert_eq!(
        env_in_subflow("[]", rest, &["K", "G"]),
        texts(&["tab", "group"])
    );
    // `Subflow_spec.js`: "can access process env var", "can access name of
    // subflow as env var", "can access id of subflow as env var"
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "name": "name1", "wires": []}"#;
    assert_eq!(
        env_in_subflow(
            "[]",
            instance,
            &["FROM_PROCESS", "NR_SUBFLOW_NAME", "NR_SUBFLOW_ID"]
        ),
        texts(&["process", "name1", "n1"])
    );
    // "should access NR_NODE_PATH env var within subflow instance": the
    // instance's path, then the node's id in the subflow; two instances
    // deep, the inner instance's id in the outer subflow comes between.
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "wires": []}"#;
    assert_eq!(
        env_in_subflow("[]", instance, &["NR_NODE_PATH"]),
        texts(&["t0/n1/s-n"])
    );
    let rest = r#"{"id": "p", "type": "subflow", "in": [], "out": []},
        {"id": "p-n1", "type": "subflow:s", "z": "p", "wires": []},
        {"id": "n1", "type": "subflow:p", "z": "t0", "wires": []}"#;
    assert_eq!(
        env_in_subflow("[]", rest, &["NR_NODE_PATH"]),
        texts(&["t0/n1/p-n1/s-n"])
    );
    // `Subflow.js` answers `NR_SUBFLOW_PATH` with the instance's `_path`:
    // the innermost instance's, and with `$parent.` the one around it.
    assert_eq!(
        env_in_subflow("[]", rest, &["NR_SUBFLOW_PATH", "$parent.NR_SUBFLOW_PATH"]),
        texts(&["t0/n1/p-n1", "t0/n1"])
    );
    let instance = r#"{"id": "n1", "type": "subflow:s", "z": "t0", "wires": []}"#;
    assert_eq!(
        env_in_subflow("[]", instance, &["NR_SUBFLOW_PATH"]),
        texts(&["t0/n1"])
    );
}

/// A subroutine that two link calls call returns to the one that called:
/// each call records its number in the message and the return sends it
/// on the port of the number recorded last.
#[test]
fn a_subroutine_with_several_callers_returns_through_the_message() {
    let json = format!(
        r#"[{{"id": "a", "type": "inject", "wires": [["call1"]]}},
            {{"id": "b", "type": "inject", "wires": [["call2"]]}},
            {{"id": "call1", "type": "link call", "links": ["sub"], "wires": [["x"]]}},
            {{"id": "call2", "type": "link call", "links": ["sub"], "wires": [["y"]]}},
            {{"id": "sub", "type": "link in", "wires": [["work"]]}},
            {{"id": "work", "type": "change", "rules": [], "wires": [["back"]]}},
            {{"id": "back", "type": "link out", "mode": "return"}},
            {DEBUG_X}, {DEBUG_Y}]"#
    );
    check_wires(
        &json,
        &[
            "a:0->call1",
            "b:0->call2",
            "work:0->back",
            "call1:0->work",
            "call2:0->work",
            "back:0->x",
            "back:1->y",
        ],
    );
    let flow = lower(&json);
    let kinds: Vec<(&str, &NodeKind)> = flow
        .nodes
        .iter()
        .map(|node| (node.id.as_str(), &node.kind))
        .filter(|(_, kind)| matches!(kind, NodeKind::LinkCall(_) | NodeKind::LinkReturn(_)))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "call1",
                &NodeKind::LinkCall(LinkCall {
                    caller: 0,
                    dynamic: None,
                    timeout: None,
                    late_port: false
                })
            ),
            (
                "call2",
                &NodeKind::LinkCall(LinkCall {
                    caller: 1,
                    dynamic: None,
                    timeout: None,
                    late_port: false
                })
            ),
            (
                "back",
                &NodeKind::LinkReturn(LinkReturn {
                    callers: vec![0, 1]
                })
            ),
        ]
    );
}

/// `$parent.NAME` inside a subflow passes over the subflow's own `env`.
#[test]
fn parent_prefix_skips_the_subflow_env() {
    let template = r#"[{"name": "K", "type": "str", "value": "inner"}]"#;
    let rest = r#"{"id": "t1", "type": "tab", "env": [{"name": "K", "type": "str", "value": "outer"}]},
        {"id": "n1", "type": "subflow:s", "z": "t1", "env": [{"name": "K", "type": "str", "value": "instance"}], "wires": []}"#;
    assert_eq!(
        env_in_subflow(template, rest, &["K", "$parent.K"]),
        texts(&["instance", "outer"])
    );
}

/// A device's context stores take its `contextCapacity` bytes each, 1024
/// unless it says otherwise.
#[test]
fn context_capacity_is_read_from_the_device() {
    let flow = lower(
        r#"[{"id": "d1", "type": "psos-device", "name": "lowering-context-a", "board": "host", "contextCapacity": 2048},
            {"id": "d2", "type": "psos-device", "name": "lowering-context-b", "board": "host"}]"#,
    );
    let capacities: Vec<usize> = flow
        .devices
        .iter()
        .map(|device| device.context_capacity)
        .collect();
    assert_eq!(capacities, [2048, 1024]);
    for bad in ["10", "70000", "\"many\""] {
        let source = SourceFile::new(
            "test.json",
            format!(
                r#"[{{"id": "d1", "type": "psos-device", "name": "lowering-context-c", "board": "host", "contextCapacity": {bad}}}]"#
            ),
        );
        let (flow, diagnostics) = psosc::check(&source, &|_: &str| None);
        assert!(flow.is_none(), "{bad}");
        assert!(
            diagnostics
                .iter()
                .any(|d| d.headline().contains("contextCapacity")),
            "{bad}"
        );
    }
}

/// An inject's `flow` and `global` values name a context key, read when
/// it fires; a store name is a store of its own, the default store's
/// names (`default`, `_`, `memory`) the default store.
#[test]
fn inject_context_values_are_read_as_node_red_reads_them() {
    let NodeKind::Inject(inject) = only_node(
        r##"{"id": "i", "type": "inject", "z": "tab", "repeat": "1",
            "payload": "count", "payloadType": "flow", "props": [
            {"p": "payload"},
            {"p": "room", "v": "#:(memory1)::rooms.kitchen", "vt": "global"},
            {"p": "a", "v": "#:(default)::a", "vt": "flow"},
            {"p": "b", "v": "#:(_)::b", "vt": "global"},
            {"p": "c", "v": "#:(memory)::c", "vt": "flow"},
            {"p": "d", "v": "#:(a b)::d", "vt": "flow"}]}"##,
    ) else {
        panic!("not an inject");
    };
    let values: Vec<InjectValue> = inject.props.into_iter().map(|prop| prop.value).collect();
    assert_eq!(
        values,
        [
            InjectValue::Context(Property {
                scope: Store::Flow("tab".to_string()),
                path: vec![key("count")],
            }),
            InjectValue::Context(Property {
                scope: Store::GlobalStore(StoreName {
                    name: "memory1".to_string(),
                    number: 0,
                }),
                path: vec![key("rooms"), key("kitchen")],
            }),
            InjectValue::Context(Property {
                scope: Store::Flow("tab".to_string()),
                path: vec![key("a")],
            }),
            InjectValue::Context(Property {
                scope: Store::Global,
                path: vec![key("b")],
            }),
            InjectValue::Context(Property {
                scope: Store::Flow("tab".to_string()),
                path: vec![key("c")],
            }),
            // A name with a space is no store name to `parseContextStore`:
            // the whole text is the key.
            InjectValue::Context(Property {
                scope: Store::Flow("tab".to_string()),
                path: vec![key("#:(a b)::d")],
            }),
        ]
    );
}

/// Node-RED's "should be loaded" cases of `17-split_spec.js`: a split and a
/// join with nothing set read as `SplitNode` and `JoinNode` read them (a
/// join's count 0, no time, an array).
#[test]
fn split_and_join_defaults_are_node_reds() {
    use psosc::ir::{Join, JoinMode, Split, SplitAt};
    let flow = lower(
        r#"[{"id": "s", "type": "split", "name": "splitNode", "wires": [[]]},
            {"id": "j", "type": "join", "name": "joinNode", "wires": [[]]}]"#,
    );
    assert_eq!(flow.nodes[0].name, "splitNode");
    assert_eq!(
        flow.nodes[0].kind,
        NodeKind::Split(Split {
            at: SplitAt::Text("\n".into()),
            array_length: 1,
            stream: false,
            key_to: None,
            path: vec![key("payload")],
            property: None,
            pending: 8,
        })
    );
    assert_eq!(flow.nodes[1].name, "joinNode");
    assert_eq!(
        flow.nodes[1].kind,
        NodeKind::Join(Join {
            mode: JoinMode::Auto,
            groups: 2,
            group_size: 1024,
            pending: 8,
            tick_ms: None,
        })
    );
}

/// What else they read: escapes in a separator and a joiner, bytes, lengths
/// as `parseInt` reads them, flags only when `true`, a count left empty,
/// a timeout in seconds with the tick it needs, and the room of groups.
#[test]
fn split_and_join_properties_are_read_as_node_red_reads_them() {
    use psosc::ir::{CustomJoin, Join, JoinBuild, JoinMode, Joiner, SplitAt};
    let split = |props: &str| {
        let NodeKind::Split(split) = only_node(&format!(
            r#"{{"id": "s", "type": "split", {props}, "wires": [[]]}}"#
        )) else {
            panic!("a split node")
        };
        split
    };
    assert_eq!(
        split(r#""splt": "\\t;\\e""#).at,
        SplitAt::Text("\t;e".into())
    );
    assert_eq!(
        split(r#""spltType": "bin", "splt": "[13, 10]""#).at,
        SplitAt::Bytes(vec![13, 10])
    );
    assert_eq!(
        split(r#""spltType": "len", "splt": "3 apples""#).at,
        SplitAt::Length(3)
    );
    assert_eq!(split(r#""arraySplt": 4"#).array_length, 4);
    assert!(!split(r#""stream": "true""#).stream);
    assert!(split(r#""stream": true"#).stream);
    let named = split(r#""property": "a.b", "addname": "topic""#);
    assert_eq!(named.path, vec![key("a"), key("b")]);
    assert_eq!(named.property.as_deref(), Some("a.b"));
    assert_eq!(named.key_to, Some(vec![key("topic")]));

    let NodeKind::Join(join) = only_node(
        r#"{"id": "j", "type": "join", "mode": "custom", "build": "string", "joiner": "\\n",
            "count": "", "timeout": "0.5", "accumulate": "true", "useparts": false,
            "psosGroups": 3, "psosJoinSize": "64", "wires": [[]]}"#,
    ) else {
        panic!("a join node")
    };
    assert_eq!(
        join,
        Join {
            mode: JoinMode::Custom(CustomJoin {
                build: JoinBuild::String,
                path: Some(vec![key("payload")]),
                key: vec![key("topic")],
                key_name: "topic".into(),
                joiner: Joiner::Text("\n".into()),
                count: 0,
                count_from_parts: true,
                timeout_ms: 500.0,
                accumulate: false,
                use_parts: false,
            }),
            groups: 3,
            group_size: 64,
            pending: 8,
            tick_ms: Some(5),
        }
    );
    let NodeKind::Join(whole) = only_node(
        r#"{"id": "j", "type": "join", "mode": "custom", "build": "buffer", "propertyType": "full",
            "joinerType": "bin", "joiner": "", "count": 2.5, "key": "k", "wires": [[]]}"#,
    ) else {
        panic!("a join node")
    };
    let JoinMode::Custom(whole) = whole.mode else {
        panic!("a custom join")
    };
    assert_eq!(whole.path, None);
    assert_eq!(whole.joiner, Joiner::Bytes(Vec::new()));
    assert_eq!(whole.count, 3);
    assert_eq!(whole.key, vec![key("k")]);
}

/// Node-RED's "should be loaded with defaults" of `19-batch_spec.js`, and
/// what else a batch reads: a count of 0 as 1, an overlap, honoured parts,
/// a limit in `count` mode, an interval in seconds with its queue (`psosQueue`) and tick, the
/// topics of `concat`.
#[test]
fn batch_properties_are_read_as_node_red_reads_them() {
    use psosc::ir::{Batch, BatchMode};
    let flow = lower(r#"[{"id": "n1", "type": "batch", "name": "BatchNode", "wires": [[]]}]"#);
    assert_eq!(flow.nodes[0].name, "BatchNode");
    let read = |props: &str| {
        let NodeKind::Batch(batch) = only_node(&format!(
            r#"{{"id": "b", "type": "batch", {props} "wires": [[]]}}"#
        )) else {
            panic!("a batch node")
        };
        batch
    };
    let count = |count, overlap, honour_parts| Batch {
        mode: BatchMode::Count {
            count,
            overlap,
            honour_parts,
            limit: 0,
        },
        queue: count,
        tick_ms: None,
    };
    assert_eq!(read(""), count(1, 0, false));
    assert_eq!(read(r#""count": 0,"#), count(1, 0, false));
    assert_eq!(
        read(r#""mode": "count", "count": "3", "overlap": 2, "honourParts": true,"#),
        count(3, 2, true)
    );
    // A `psosQueue` in `count` mode is Node-RED's
    // `nodeMessageBufferMaxLength`: the messages since the last sequence
    // left. The queue holds what an overlap keeps, those and the one that
    // ends the sequence, at most `count`.
    let limited = |count, overlap, limit, queue| Batch {
        mode: BatchMode::Count {
            count,
            overlap,
            honour_parts: false,
            limit,
        },
        queue,
        tick_ms: None,
    };
    assert_eq!(
        read(r#""count": 10, "psosQueue": 2,"#),
        limited(10, 0, 2, 3)
    );
    assert_eq!(
        read(r#""count": 10, "overlap": 4, "psosQueue": 2,"#),
        limited(10, 4, 2, 7)
    );
    assert_eq!(
        read(r#""count": 3, "overlap": 1, "psosQueue": 8,"#),
        limited(3, 1, 8, 3)
    );
    assert_eq!(
        read(r#""mode": "interval", "interval": 0.5, "allowEmptySequence": true, "psosQueue": 4,"#),
        Batch {
            mode: BatchMode::Interval {
                interval_ms: 500.0,
                allow_empty: true,
            },
            queue: 4,
            tick_ms: Some(5),
        }
    );
    assert_eq!(
        read(r#""mode": "concat", "topics": [{"topic": "TA"}, {"topic": "TB"}],"#),
        Batch {
            mode: BatchMode::Concat {
                topics: vec!["TA".into(), "TB".into()],
            },
            queue: 8,
            tick_ms: None,
        }
    );
}

/// Node-RED's "should be loaded" of `18-sort_spec.js`, and what else a sort
/// reads: an array property (`targetType` `msg`) or sequences (anything
/// else, missing too), the key of sequences, any order but `ascending` as
/// descending, numbers, and the queue (`psosQueue`).
#[test]
fn sort_properties_are_read_as_node_red_reads_them() {
    use psosc::ir::Sort;
    let flow = lower(
        r#"[{"id": "n1", "type": "sort", "order": "ascending", "as_num": false, "name": "SortNode", "wires": [[]]}]"#,
    );
    assert_eq!(flow.nodes[0].name, "SortNode");
    assert_eq!(
        flow.nodes[0].kind,
        NodeKind::Sort(Sort {
            target: None,
            key: vec![key("payload")],
            descending: false,
            as_number: false,
            queue: 8,
        })
    );
    let NodeKind::Sort(sort) = only_node(
        r#"{"id": "o", "type": "sort", "targetType": "msg", "target": "data", "msgKeyType": "elem",
            "order": "descending", "as_num": true, "psosQueue": 3, "wires": [[]]}"#,
    ) else {
        panic!("a sort node")
    };
    assert_eq!(
        sort,
        Sort {
            target: Some(vec![key("data")]),
            key: vec![key("payload")],
            descending: true,
            as_number: true,
            queue: 3,
        }
    );
    let NodeKind::Sort(sort) = only_node(
        r#"{"id": "o", "type": "sort", "targetType": "seq", "seqKey": "reading.value", "seqKeyType": "msg", "wires": [[]]}"#,
    ) else {
        panic!("a sort node")
    };
    assert_eq!(sort.key, vec![key("reading"), key("value")]);
}

/// Node-RED's "should be loaded" (21-debug_spec.js): a debug node with
/// `complete: "false"` shows `payload`, and the sidebar names it so.
#[test]
fn debug_defaults_are_node_reds() {
    let NodeKind::Debug(debug) =
        only_node(r#"{"id": "n1", "type": "debug", "name": "Debug", "complete": "false"}"#)
    else {
        panic!("a debug node")
    };
    assert_eq!(
        debug,
        psosc::ir::Debug {
            target: psosc::ir::DebugTarget::Property(vec![psosc::ir::PathSegment::Key(
                "payload".to_string()
            )]),
            active: true,
            to_sidebar: true,
            property_name: Some("payload".to_string()),
            z: None,
            name: Some("Debug".to_string()),
            status: None,
        }
    );
}

#[test]
fn a_debug_node_with_tostatus_reads_statustype_and_statusval_as_node_red_does() {
    let status = |json: &str| {
        let NodeKind::Debug(debug) = only_node(json) else {
            panic!("a debug node")
        };
        debug.status
    };
    let payload = vec![psosc::ir::PathSegment::Key("payload".to_string())];
    let topic = vec![psosc::ir::PathSegment::Key("topic".to_string())];
    assert_eq!(
        status(r#"{"id": "n1", "type": "debug", "tostatus": true}"#),
        Some(psosc::ir::DebugStatus::Auto)
    );
    assert_eq!(
        status(r#"{"id": "n1", "type": "debug", "tostatus": false, "statusType": "msg"}"#),
        None
    );
    // `statusVal` is the node's `complete` when not given.
    assert_eq!(
        status(
            r#"{"id": "n1", "type": "debug", "tostatus": true, "complete": "topic", "statusType": "msg", "statusVal": ""}"#
        ),
        Some(psosc::ir::DebugStatus::Property(topic.clone()))
    );
    assert_eq!(
        status(
            r#"{"id": "n1", "type": "debug", "tostatus": true, "complete": "false", "statusType": "msg"}"#
        ),
        Some(psosc::ir::DebugStatus::Property(payload))
    );
    assert_eq!(
        status(
            r#"{"id": "n1", "type": "debug", "tostatus": true, "statusType": "msg", "statusVal": "topic"}"#
        ),
        Some(psosc::ir::DebugStatus::Property(topic))
    );
    assert_eq!(
        status(r#"{"id": "n1", "type": "debug", "tostatus": true, "statusType": "counter"}"#),
        Some(psosc::ir::DebugStatus::Counter)
    );
}

/// The smooth node's editor defaults read as the node reads them; the
/// spec's "should be loaded with correct defaults" node, with neither
/// `action` nor `count` (Node-RED would send its numbers on unchanged), is
/// refused, naming both.
#[test]
fn smooth_defaults_are_the_editors() {
    let NodeKind::Smooth(smooth) = only_node(
        r#"{"id": "n1", "type": "smooth", "name": "", "property": "payload", "action": "mean", "count": "10", "round": "", "mult": "single", "reduce": false, "wires": [[]]}"#,
    ) else {
        panic!("a smooth node")
    };
    assert_eq!(
        smooth,
        psosc::ir::Smooth {
            action: psos::nodes::SmoothAction::Mean,
            count: 10.0,
            round: None,
            reduce: false,
            by_topic: false,
            path: vec![psosc::ir::PathSegment::Key("payload".to_string())],
            topics: 1,
            window: 10,
        }
    );
    let source = SourceFile::new(
        "smooth.json",
        r#"[{"id": "n1", "type": "smooth", "name": "smooth1", "wires": [[]]}]"#,
    );
    let (flow, diagnostics) = psosc::check(&source, &|_| None);
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.headline())
        .collect();
    assert!(flow.is_none());
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains("`action`") && errors[1].contains("`count`"),
        "{errors:#?}"
    );
}

/// Node-RED's 70-CSV_spec.js (RFC mode), "should be loaded with defaults":
/// `,` between cells, `\r\n` after lines, one message a row, no header
/// line read; and the rest of `70-CSV.js`'s defaults.
#[test]
fn csv_defaults_are_node_reds() {
    let flow =
        lower(r#"[{"id": "n1", "type": "csv", "spec": "rfc", "name": "csvNode", "wires": [[]]}]"#);
    assert_eq!(flow.nodes[0].name, "csvNode");
    assert_eq!(
        flow.nodes[0].kind,
        NodeKind::Csv(Csv {
            legacy: false,
            separator: ',',
            line_end: "\r\n".to_string(),
            template: vec![],
            all_rows: false,
            header_in: false,
            header_out: CsvHeader::Never,
            skip: 0,
            parse_numbers: true,
            include_empty_strings: false,
            include_null_values: false,
            column_bytes: 256,
        })
    );
}

#[test]
fn csv_properties_are_read_as_node_red_reads_them() {
    let kind = only_node(
        r#"{"id": "c", "type": "csv", "spec": "rfc", "sep": "\\t", "ret": "\\n", "temp": "a,,\"b,c\", d ",
            "multi": "yes", "hdrin": true, "hdrout": true, "skip": "2", "strings": false,
            "include_empty_strings": true, "include_null_values": true, "psosColumnBytes": 64, "wires": [[]]}"#,
    );
    assert_eq!(
        kind,
        NodeKind::Csv(Csv {
            legacy: false,
            separator: '\t',
            line_end: "\n".to_string(),
            template: vec![
                Some("a".into()),
                None,
                Some("b,c".into()),
                Some(" d ".into())
            ],
            all_rows: true,
            header_in: true,
            header_out: CsvHeader::Always,
            skip: 2,
            parse_numbers: false,
            include_empty_strings: true,
            include_null_values: true,
            column_bytes: 64,
        })
    );
    for (hdrout, expect) in [
        (r#"false"#, CsvHeader::Never),
        (r#""none""#, CsvHeader::Never),
        (r#""once""#, CsvHeader::Once),
        (r#""all""#, CsvHeader::Always),
    ] {
        let NodeKind::Csv(csv) = only_node(&format!(
            r#"{{"id": "c", "type": "csv", "spec": "rfc", "hdrout": {hdrout}, "multi": "one", "wires": [[]]}}"#
        )) else {
            panic!("a csv node")
        };
        assert_eq!((csv.header_out, csv.all_rows), (expect, false));
    }
}

/// Node-RED's 70-CSV_spec.js (legacy mode), "should be loaded with
/// defaults": a node without `spec` has the legacy parser, `\n` after
/// lines, and its template read by the legacy `clean` (quotes removed,
/// names trimmed).
#[test]
fn csv_legacy_defaults_are_node_reds() {
    let NodeKind::Csv(csv) = only_node(
        r#"{"id": "n1", "type": "csv", "temp": "\"a\",  \"b\" , \" c \",,d", "wires": [[]]}"#,
    ) else {
        panic!("a csv node")
    };
    assert!(csv.legacy);
    assert_eq!(csv.line_end, "\n");
    assert_eq!(
        csv.template,
        vec![
            Some("a".into()),
            Some("b".into()),
            Some("c".into()),
            Some("".into()),
            Some("d".into())
        ]
    );
    let NodeKind::Csv(csv) =
        only_node(r#"{"id": "n1", "type": "csv", "spec": "", "temp": " ", "wires": [[]]}"#)
    else {
        panic!("a csv node")
    };
    assert!(csv.legacy);
    assert_eq!(csv.template, vec![]);
}

/// Lowers a flow and compares, for each node whose errors catch nodes
/// take, those catch nodes in the order they get the error, written
/// `node->catch,catch` with node ids.
fn check_caught(json: &str, expect: &[&str]) {
    let flow = lower(json);
    let caught: Vec<String> = flow
        .caught_by
        .iter()
        .map(|(source, catches)| {
            let catches: Vec<&str> = catches
                .iter()
                .map(|catch| flow.nodes[*catch].id.as_str())
                .collect();
            format!("{}->{}", flow.nodes[*source].id, catches.join(","))
        })
        .collect();
    assert_eq!(caught, expect);
}

#[test]
fn a_catch_node_without_a_scope_takes_the_errors_of_its_tab_only() {
    check_caught(
        r#"[{"id": "t1", "type": "tab"}, {"id": "t2", "type": "tab"},
            {"id": "a", "type": "inject", "z": "t1", "wires": [["b"]]},
            {"id": "b", "type": "json", "z": "t1", "wires": [[]]},
            {"id": "c", "type": "catch", "z": "t1", "scope": null, "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "wires": []},
            {"id": "e", "type": "inject", "z": "t2", "wires": [["f"]]},
            {"id": "f", "type": "json", "z": "t2", "wires": [[]]}]"#,
        &["a->c", "b->c", "d->c"],
    );
}

#[test]
fn a_catch_node_with_a_list_takes_the_errors_of_those_nodes() {
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "a", "type": "inject", "z": "t1", "wires": [["b"]]},
            {"id": "b", "type": "json", "z": "t1", "wires": [[]]},
            {"id": "c", "type": "catch", "z": "t1", "scope": ["b", "elsewhere"], "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "wires": []}]"#,
        &["b->c"],
    );
}

#[test]
fn an_uncaught_catch_node_takes_only_what_no_other_catch_node_took() {
    // As Node-RED sorts them: scoped catch nodes first, `uncaught` ones
    // last; every `uncaught` one takes an error none took before.
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "u1", "type": "catch", "z": "t1", "scope": null, "uncaught": true, "wires": [["d"]]},
            {"id": "a", "type": "inject", "z": "t1", "wires": [["b"]]},
            {"id": "b", "type": "json", "z": "t1", "wires": [[]]},
            {"id": "s", "type": "catch", "z": "t1", "scope": ["b"], "wires": [["d"]]},
            {"id": "u2", "type": "catch", "z": "t1", "scope": null, "uncaught": true, "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "wires": []}]"#,
        &["a->u1,u2", "b->s", "d->u1,u2"],
    );
}

#[test]
fn a_group_catch_node_takes_its_groups_errors_nearest_group_first() {
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "g1", "type": "group", "z": "t1", "nodes": ["inner", "g2", "cg", "ca1"]},
            {"id": "g2", "type": "group", "z": "t1", "g": "g1", "nodes": ["deep"]},
            {"id": "out", "type": "inject", "z": "t1", "wires": [["inner"]]},
            {"id": "inner", "type": "json", "z": "t1", "g": "g1", "wires": [["deep"]]},
            {"id": "deep", "type": "range", "z": "t1", "g": "g2", "minin": "0", "maxin": "1", "minout": "0", "maxout": "1", "action": "scale", "round": false, "property": "payload", "wires": [[]]},
            {"id": "ca0", "type": "catch", "z": "t1", "scope": null, "wires": [[]]},
            {"id": "cg", "type": "catch", "z": "t1", "g": "g1", "scope": "group", "wires": [[]]},
            {"id": "ca1", "type": "catch", "z": "t1", "g": "g1", "scope": null, "wires": [[]]}]"#,
        // `cg` skips a node in no group; for the others it comes first for
        // being scoped, then by distance: `ca1` is in the node's group (or
        // the group around it), `ca0` in none.
        &["out->ca0,ca1", "inner->cg,ca1,ca0", "deep->cg,ca1,ca0"],
    );
}

// Node-RED's `Flow_spec.js` "#handleError" cases, its "test" nodes as json
// nodes: which catch nodes the error of each node reaches.

#[test]
fn handle_error_passes_an_error_event_to_the_adjacent_catch_node() {
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "1", "z": "t1", "type": "json", "name": "a", "wires": [["2"]]},
            {"id": "2", "z": "t1", "type": "json", "wires": [["3"]]},
            {"id": "3", "z": "t1", "type": "json", "wires": []},
            {"id": "sn", "z": "t1", "type": "catch", "wires": []},
            {"id": "sn2", "z": "t1", "type": "catch", "wires": []},
            {"id": "sn3", "z": "t1", "type": "catch", "uncaught": true, "wires": []}]"#,
        &["1->sn,sn2", "2->sn,sn2", "3->sn,sn2"],
    );
}

#[test]
fn handle_error_passes_an_error_event_to_the_adjacent_scoped_catch_node() {
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "1", "z": "t1", "type": "json", "name": "a", "wires": [["2"]]},
            {"id": "2", "z": "t1", "type": "json", "wires": [["3"]]},
            {"id": "3", "z": "t1", "type": "json", "wires": []},
            {"id": "sn", "z": "t1", "type": "catch", "scope": ["2"], "wires": []},
            {"id": "sn2", "z": "t1", "type": "catch", "scope": ["1"], "wires": []},
            {"id": "sn3", "z": "t1", "type": "catch", "uncaught": true, "wires": []},
            {"id": "sn4", "z": "t1", "type": "catch", "uncaught": true, "wires": []}]"#,
        &["1->sn2", "2->sn", "3->sn3,sn4"],
    );
}

#[test]
fn handle_error_passes_an_error_event_to_the_group_scoped_catch_node() {
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "g1", "type": "group", "g": "g3", "z": "t1"},
            {"id": "g2", "type": "group", "z": "t1"},
            {"id": "g3", "type": "group", "z": "t1"},
            {"id": "1", "z": "t1", "g": "g1", "type": "json", "name": "a", "wires": []},
            {"id": "sn", "z": "t1", "g": "g1", "type": "catch", "scope": "group", "wires": []},
            {"id": "sn2", "z": "t1", "g": "g2", "type": "catch", "scope": "group", "wires": []},
            {"id": "sn3", "z": "t1", "g": "g3", "type": "catch", "scope": "group", "wires": []},
            {"id": "sn4", "z": "t1", "g": "g2", "type": "catch", "wires": []}]"#,
        // `sn4` is in another group but has no scope: it takes the error,
        // two groups up from the node.
        &["1->sn,sn3,sn4"],
    );
}

// Node-RED's `Subflow_spec.js` "#handleError" cases, its "test" nodes as
// json nodes: an error no catch node inside a subflow instance takes goes
// to the catch nodes around the instance, picked as if the instance had
// reported it; the source stays the node inside (`sf1-1` copied as
// `2-sf1-1`).

const SUBFLOW_WITH_ERROR: &str = r#"{"id": "t1", "type": "tab"},
    {"id": "1", "z": "t1", "type": "json", "name": "a", "wires": [["2"]]},
    {"id": "2", "z": "t1", "type": "subflow:sf1", "wires": [["3"]]},
    {"id": "3", "z": "t1", "type": "json", "wires": []},
    {"id": "sf1", "type": "subflow", "name": "Subflow 2",
     "in": [{"wires": [{"id": "sf1-1"}]}], "out": [{"wires": [{"id": "sf1-1", "port": 0}]}]},
    {"id": "sf1-1", "z": "sf1", "type": "json", "name": "test-error-node", "wires": [[]]}"#;

#[test]
fn handle_error_passes_an_error_event_to_the_subflows_parent_tab_catch_node_all_scope() {
    check_caught(
        &format!(
            r#"[{SUBFLOW_WITH_ERROR},
                {{"id": "sn", "z": "t1", "type": "catch", "wires": []}}]"#
        ),
        &["1->sn", "3->sn", "2-sf1-1->sn"],
    );
}

#[test]
fn handle_error_passes_an_error_event_to_the_subflows_parent_tab_catch_node_targetted_scope() {
    check_caught(
        &format!(
            r#"[{SUBFLOW_WITH_ERROR},
                {{"id": "sn", "z": "t1", "type": "catch", "scope": ["2"], "wires": []}}]"#
        ),
        &["2-sf1-1->sn"],
    );
}

#[test]
fn an_error_caught_inside_a_subflow_instance_stays_there() {
    // A catch node inside the subflow takes its nodes' errors, and those
    // go no further; an `uncaught` one inside takes what the scoped one
    // leaves, so nothing passes out of the instance.
    check_caught(
        &format!(
            r#"[{SUBFLOW_WITH_ERROR},
                {{"id": "sf1-2", "z": "sf1", "type": "json", "wires": [[]]}},
                {{"id": "sf1-c", "z": "sf1", "type": "catch", "scope": ["sf1-1"], "wires": []}},
                {{"id": "sn", "z": "t1", "type": "catch", "wires": []}}]"#
        ),
        &["1->sn", "3->sn", "2-sf1-1->2-sf1-c", "2-sf1-2->sn"],
    );
}

#[test]
fn an_error_passes_out_of_nested_instances_to_the_first_that_catches_it() {
    // `outer` holds an instance of `sf1`; on the tab, `g` groups the
    // instance of `outer`. The group catch node takes the error of the
    // node two instances deep, as the outer instance is in its group.
    check_caught(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "g", "type": "group", "z": "t1"},
            {"id": "o", "z": "t1", "g": "g", "type": "subflow:outer", "wires": [[]]},
            {"id": "outer", "type": "subflow", "in": [{"wires": [{"id": "i"}]}], "out": []},
            {"id": "i", "z": "outer", "type": "subflow:sf1", "wires": [[]]},
            {"id": "sf1", "type": "subflow", "in": [{"wires": [{"id": "n"}]}], "out": []},
            {"id": "n", "z": "sf1", "type": "json", "wires": [[]]},
            {"id": "cg", "z": "t1", "g": "g", "type": "catch", "scope": "group", "wires": []},
            {"id": "free", "z": "t1", "type": "json", "wires": []}]"#,
        &["o-i-n->cg"],
    );
}

#[test]
fn a_catch_node_is_placed_with_the_nodes_it_watches() {
    // The watched nodes are pinned to the second device, the catch node's
    // debug node to the first; the catch node goes with what it watches,
    // and its wire to the debug node crosses to the first device.
    let flow = lower(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "first", "type": "psos-device", "name": "catch-place-a", "board": "host"},
            {"id": "second", "type": "psos-device", "name": "catch-place-b", "board": "host"},
            {"id": "a", "type": "inject", "z": "t1", "device": "catch-place-b", "wires": [["b"]]},
            {"id": "b", "type": "json", "z": "t1", "device": "catch-place-b", "wires": [[]]},
            {"id": "c", "type": "catch", "z": "t1", "scope": ["b"], "psosRate": 60, "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "device": "catch-place-a", "wires": []}]"#,
    );
    let device_of = |id: &str| {
        let node = flow.nodes.iter().find(|node| node.id == id).unwrap();
        flow.devices[node.device].name.as_str()
    };
    assert_eq!(
        ["a", "b", "c", "d"].map(device_of),
        [
            "catch-place-b",
            "catch-place-b",
            "catch-place-b",
            "catch-place-a"
        ]
    );
}

/// Lowers a flow and compares, for each node whose status status nodes
/// receive, those status nodes in the order they get it, written
/// `node->status,status` with node ids.
fn check_watched(json: &str, expect: &[&str]) {
    let flow = lower(json);
    let watched: Vec<String> = flow
        .status_watched_by
        .iter()
        .map(|(source, watchers)| {
            let watchers: Vec<&str> = watchers
                .iter()
                .map(|watcher| flow.nodes[*watcher].id.as_str())
                .collect();
            format!("{}->{}", flow.nodes[*source].id, watchers.join(","))
        })
        .collect();
    assert_eq!(watched, expect);
}

/// A trigger node, which reports a status, with the id, group and wires
/// given.
fn trigger(id: &str, group: Option<&str>, wires: &str) -> String {
    let group = group.map_or(String::new(), |g| format!(r#""g": "{g}", "#));
    format!(
        r#"{{"id": "{id}", "type": "trigger", "z": "t1", {group}"op1": "1", "op2": "0", "op1type": "num", "op2type": "num", "duration": "250", "units": "ms", "wires": [{wires}]}}"#
    )
}

#[test]
fn a_status_node_receives_only_the_status_of_nodes_that_report_one_on_its_tab() {
    check_watched(
        &format!(
            r#"[{{"id": "t1", "type": "tab"}}, {{"id": "t2", "type": "tab"}},
                {{"id": "a", "type": "inject", "z": "t1", "wires": [["b", "q"]]}},
                {b},
                {{"id": "q", "type": "debug", "z": "t1", "tostatus": true, "wires": []}},
                {{"id": "quiet", "type": "debug", "z": "t1", "wires": []}},
                {{"id": "s", "type": "status", "z": "t1", "scope": null, "wires": [["quiet"]]}},
                {{"id": "other", "type": "trigger", "z": "t2", "op1": "1", "op2": "0", "op1type": "num", "op2type": "num", "duration": "250", "units": "ms", "wires": [[]]}}]"#,
            b = trigger("b", None, "[]"),
        ),
        &["b->s", "q->s"],
    );
}

/// Every delay mode and a csv node in RFC 4180 mode report a status once
/// the flow runs; a legacy csv node only as it starts, so a status node
/// does not watch it (and nothing is refused).
#[test]
fn a_status_node_watches_delay_nodes_in_every_mode_and_csv_nodes_in_rfc_mode() {
    check_watched(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "rate", "type": "delay", "z": "t1", "pauseType": "rate", "rate": "1", "wires": [[]]},
            {"id": "drop", "type": "delay", "z": "t1", "pauseType": "rate", "rate": "1", "drop": true, "wires": [[]]},
            {"id": "queue", "type": "delay", "z": "t1", "pauseType": "queue", "rate": "1", "wires": [[]]},
            {"id": "timed", "type": "delay", "z": "t1", "pauseType": "timed", "rate": "1", "wires": [[]]},
            {"id": "random", "type": "delay", "z": "t1", "pauseType": "random", "randomFirst": "1", "randomLast": "5", "wires": [[]]},
            {"id": "burst", "type": "delay", "z": "t1", "pauseType": "burst", "rate": "2", "nbRateUnits": "1", "wires": [[]]},
            {"id": "rfc", "type": "csv", "z": "t1", "spec": "rfc", "wires": [[]]},
            {"id": "legacy", "type": "csv", "z": "t1", "wires": [[]]},
            {"id": "s", "type": "status", "z": "t1", "scope": null, "wires": [[]]}]"#,
        &[
            "rate->s",
            "drop->s",
            "queue->s",
            "timed->s",
            "random->s",
            "burst->s",
            "rfc->s",
        ],
    );
}

#[test]
fn a_status_node_leaves_out_of_its_list_the_nodes_it_is_wired_to_as_node_red_does() {
    // `25-status.js` removes them while walking the list by position, so
    // the id after a removed one stays: "x" goes, "y" stays, "z" goes.
    check_watched(
        &format!(
            r#"[{{"id": "t1", "type": "tab"}},
                {x}, {y}, {z}, {w},
                {{"id": "s", "type": "status", "z": "t1", "scope": ["x", "y", "z", "w"], "wires": [["x", "y", "z"]]}}]"#,
            x = trigger("x", None, "[]"),
            y = trigger("y", None, "[]"),
            z = trigger("z", None, "[]"),
            w = trigger("w", None, "[]"),
        ),
        &["y->s", "w->s"],
    );
}

/// `25-status_spec.js` "should output a message when called": its status
/// node, named, with an empty scope, receives no node's status (a trigger
/// beside it reports one); what it sends is in `runtime/tests/status.rs`.
#[test]
fn the_status_spec_node_with_an_empty_scope_watches_nothing() {
    let flow = format!(
        r#"[{{"id": "t1", "type": "tab"}}, {t},
            {{"id": "n1", "type": "status", "z": "t1", "name": "status", "wires": [["n2"]], "scope": []}},
            {{"id": "n2", "type": "debug", "z": "t1", "wires": []}}]"#,
        t = trigger("t", None, "[]"),
    );
    check_watched(&flow, &[]);
    let lowered = lower(&flow);
    let status = lowered
        .nodes
        .iter()
        .find(|node| node.id == "n1")
        .expect("the status node");
    assert_eq!(status.name, "status");
}

// Node-RED's `Flow_spec.js` "#handleStatus" cases, its "test" nodes as
// trigger nodes: which status nodes the status of node "1" reaches.

#[test]
fn handle_status_passes_a_status_event_to_the_adjacent_status_node() {
    check_watched(
        &format!(
            r#"[{{"id": "t1", "type": "tab"}}, {n1}, {n2}, {n3},
                {{"id": "sn", "z": "t1", "type": "status", "wires": []}},
                {{"id": "sn2", "z": "t1", "type": "status", "wires": []}}]"#,
            n1 = trigger("1", None, r#"["2"]"#),
            n2 = trigger("2", None, r#"["3"]"#),
            n3 = trigger("3", None, "[]"),
        ),
        &["1->sn,sn2", "2->sn,sn2", "3->sn,sn2"],
    );
}

#[test]
fn handle_status_passes_a_status_event_to_the_adjacent_scoped_status_node() {
    check_watched(
        &format!(
            r#"[{{"id": "t1", "type": "tab"}}, {n1}, {n2}, {n3},
                {{"id": "sn", "z": "t1", "type": "status", "scope": ["2"], "wires": []}},
                {{"id": "sn2", "z": "t1", "type": "status", "scope": ["1"], "wires": []}}]"#,
            n1 = trigger("1", None, r#"["2"]"#),
            n2 = trigger("2", None, r#"["3"]"#),
            n3 = trigger("3", None, "[]"),
        ),
        &["1->sn2", "2->sn"],
    );
}

#[test]
fn handle_status_passes_a_status_event_to_the_group_scoped_status_node() {
    check_watched(
        &format!(
            r#"[{{"id": "t1", "type": "tab"}},
                {{"id": "g1", "type": "group", "g": "g3", "z": "t1"}},
                {{"id": "g2", "type": "group", "z": "t1"}},
                {{"id": "g3", "type": "group", "z": "t1"}},
                {n1},
                {{"id": "sn", "z": "t1", "g": "g1", "type": "status", "scope": "group", "wires": []}},
                {{"id": "sn2", "z": "t1", "g": "g2", "type": "status", "scope": "group", "wires": []}},
                {{"id": "sn3", "z": "t1", "g": "g3", "type": "status", "scope": "group", "wires": []}},
                {{"id": "sn4", "z": "t1", "g": "g2", "type": "status", "wires": []}}]"#,
            n1 = trigger("1", Some("g1"), "[]"),
        ),
        // sn (its group) and sn3 (the group around it) get it, sn2 (another
        // group's) does not; sn4, scoped to all, gets it last, its group
        // being none of the node's.
        &["1->sn,sn3,sn4"],
    );
}

// Node-RED's `Subflow_spec.js` status cases: its "test" nodes as change
// nodes without rules (which pass messages on), its "testStatus" node as
// a trigger node (which reports a status).

/// The flow of `Subflow_spec.js`'s status cases; `status` is the subflow's
/// status port (`None`: it has none) and `inner` the type of `sf1-1`.
fn subflow_status_flow(status: Option<&str>, inner: &str, status_node: &str) -> String {
    let status = status.map_or(String::new(), |port| format!(r#", "status": {port}"#));
    let inner = match inner {
        "testStatus" => trigger("sf1-1", None, "[]")
            .replace(r#""z": "t1""#, r#""z": "sf1", "name": "test-status-node""#),
        _ => r#"{"id": "sf1-1", "type": "change", "z": "sf1", "name": "test", "rules": [], "wires": [[]]}"#
            .to_string(),
    };
    format!(
        r#"[{{"id": "t1", "type": "tab"}},
            {{"id": "1", "z": "t1", "type": "change", "name": "a", "rules": [], "wires": [["2"]]}},
            {{"id": "2", "z": "t1", "type": "subflow:sf1", "wires": [["3"]]}},
            {{"id": "3", "z": "t1", "type": "change", "rules": [], "wires": []}},
            {{"id": "sf1", "type": "subflow", "name": "Subflow 2",
              "in": [{{"wires": [{{"id": "sf1-1"}}]}}],
              "out": [{{"wires": [{{"id": "sf1-1", "port": 0}}]}}]{status}}},
            {inner},
            {status_node}]"#
    )
}

#[test]
fn handle_status_passes_a_status_event_to_the_subflows_parent_tab_status_node_all_scope() {
    let json = subflow_status_flow(
        None,
        "testStatus",
        r#"{"id": "sn", "z": "t1", "type": "status", "wires": []}"#,
    );
    check_watched(&json, &["2-sf1-1->sn"]);
    // The status's source is the node that reported it, not the instance.
    let flow = lower(&json);
    let source = flow.nodes.iter().find(|node| node.id == "2-sf1-1").unwrap();
    assert_eq!(
        (source.type_name.as_str(), source.name.as_str()),
        ("trigger", "test-status-node")
    );
}

#[test]
fn handle_status_passes_a_status_event_to_the_subflows_parent_tab_status_node_targetted_scope() {
    check_watched(
        &subflow_status_flow(
            None,
            "testStatus",
            r#"{"id": "sn", "z": "t1", "type": "status", "scope": ["2"], "wires": []}"#,
        ),
        &["2-sf1-1->sn"],
    );
}

/// The three "emits a status event when a message is passed to a
/// subflow-status node" cases share their flow (they differ in the
/// message, which `runtime/tests/status.rs` sends): what `sf1-1` sends
/// goes on to the instance's output and to its status port, whose status
/// the status node of the tab receives.
#[test]
fn a_subflows_status_port_reports_the_instances_status_to_the_status_nodes_around_it() {
    let json = subflow_status_flow(
        Some(r#"{"wires": [{"id": "sf1-1", "port": 0}]}"#),
        "test",
        r#"{"id": "sn", "z": "t1", "type": "status", "wires": []}"#,
    );
    check_wires(
        &json,
        &["1:0->2-sf1-1", "2-sf1-1:0->3", "2-sf1-1:0->2:status"],
    );
    check_watched(&json, &["2:status->sn"]);
    let flow = lower(&json);
    let port = flow
        .nodes
        .iter()
        .find(|node| node.id == "2:status")
        .unwrap();
    assert_eq!(port.type_name, "subflow-status");
    assert_eq!(
        port.kind,
        NodeKind::SubflowStatus(psosc::ir::SubflowStatusPort {
            instance_id: "2".to_string(),
            instance_type: "subflow:sf1".to_string(),
        })
    );
}

#[test]
fn does_not_emit_a_regular_status_event_if_it_contains_a_subflow_status_node() {
    // The trigger's status stays inside the instance; the status port is
    // wired to nothing, so the status node hears nothing.
    let json = subflow_status_flow(
        Some(r#"{"wires": []}"#),
        "testStatus",
        r#"{"id": "sn", "z": "t1", "type": "status", "wires": []}"#,
    );
    check_watched(&json, &["2:status->sn"]);
    check_wires(&json, &["1:0->2-sf1-1", "2-sf1-1:0->3"]);
}

#[test]
fn statuses_pass_out_of_nested_instances_until_a_status_node_or_a_status_port_takes_them() {
    // `outer` holds an instance `i` of `sf1`, whose trigger `n` reports
    // a status. Without status ports it passes out of both instances to
    // the tab's status node; a status node inside `outer` that lists `i`
    // takes it there; a status port on `outer` keeps it in `outer`.
    let flow = |outer_status: &str, inside: &str| {
        format!(
            r#"[{{"id": "t1", "type": "tab"}},
                {{"id": "o", "z": "t1", "type": "subflow:outer", "wires": [[]]}},
                {{"id": "outer", "type": "subflow", "in": [{{"wires": [{{"id": "i"}}]}}], "out": []{outer_status}}},
                {{"id": "i", "z": "outer", "type": "subflow:sf1", "wires": [[]]}}{inside},
                {{"id": "sf1", "type": "subflow", "in": [{{"wires": [{{"id": "n"}}]}}], "out": []}},
                {n},
                {{"id": "sn", "z": "t1", "type": "status", "scope": ["o"], "wires": []}}]"#,
            n = trigger("n", None, "[]").replace(r#""z": "t1""#, r#""z": "sf1""#),
        )
    };
    check_watched(&flow("", ""), &["o-i-n->sn"]);
    check_watched(
        &flow(
            "",
            r#", {"id": "si", "z": "outer", "type": "status", "scope": ["i"], "wires": []}"#,
        ),
        &["o-i-n->o-si"],
    );
    check_watched(&flow(r#", "status": {"wires": []}"#, ""), &["o:status->sn"]);
}

#[test]
fn a_status_port_inside_a_subflow_reports_to_the_status_nodes_around_its_instance() {
    // `i`'s status port, in `outer`, which has none: its status passes
    // out of `o` to the tab's status node, with `i`'s own source.
    let json = r#"[{"id": "t1", "type": "tab"},
        {"id": "o", "z": "t1", "type": "subflow:outer", "wires": [[]]},
        {"id": "outer", "type": "subflow", "in": [{"wires": [{"id": "i"}]}], "out": []},
        {"id": "i", "z": "outer", "type": "subflow:sf1", "name": "inner", "wires": [[]]},
        {"id": "sf1", "type": "subflow", "in": [{"wires": []}], "out": [],
         "status": {"wires": [{"id": "sf1", "port": 0}]}},
        {"id": "a", "z": "t1", "type": "change", "rules": [], "wires": [["o"]]},
        {"id": "sn", "z": "t1", "type": "status", "wires": []}]"#;
    check_watched(json, &["o-i:status->sn"]);
    // The subflow's input wired straight to its status port.
    check_wires(json, &["a:0->o-i:status"]);
    let flow = lower(json);
    let port = flow
        .nodes
        .iter()
        .find(|node| node.id == "o-i:status")
        .unwrap();
    assert_eq!(port.name, "inner");
}

#[test]
fn a_status_node_is_placed_with_the_nodes_it_watches() {
    // As a catch node: the watched trigger is pinned to the second device,
    // the status node's debug node to the first; the status node goes with
    // what it watches, and its wire to the debug node crosses.
    let flow = lower(&format!(
        r#"[{{"id": "t1", "type": "tab"}},
            {{"id": "first", "type": "psos-device", "name": "status-place-a", "board": "host"}},
            {{"id": "second", "type": "psos-device", "name": "status-place-b", "board": "host"}},
            {{"id": "a", "type": "inject", "z": "t1", "device": "status-place-b", "wires": [["b"]]}},
            {b},
            {{"id": "s", "type": "status", "z": "t1", "scope": ["b"], "psosRate": 60, "wires": [["d"]]}},
            {{"id": "d", "type": "debug", "z": "t1", "device": "status-place-a", "wires": []}}]"#,
        b = trigger("b", None, "[]").replace(
            r#""z": "t1", "#,
            r#""z": "t1", "device": "status-place-b", "#
        ),
    ));
    let device_of = |id: &str| {
        let node = flow.nodes.iter().find(|node| node.id == id).unwrap();
        flow.devices[node.device].name.as_str()
    };
    assert_eq!(
        ["a", "b", "s", "d"].map(device_of),
        [
            "status-place-b",
            "status-place-b",
            "status-place-b",
            "status-place-a"
        ]
    );
}

/// Lowers a flow and compares, for each node whose finished messages
/// complete nodes take, those complete nodes in the order they get them,
/// written `node->complete,complete` with node ids.
fn check_completed(json: &str, expect: &[&str]) {
    let flow = lower(json);
    let completed: Vec<String> = flow
        .completed_by
        .iter()
        .map(|(source, completes)| {
            let completes: Vec<&str> = completes
                .iter()
                .map(|complete| flow.nodes[*complete].id.as_str())
                .collect();
            format!("{}->{}", flow.nodes[*source].id, completes.join(","))
        })
        .collect();
    assert_eq!(completed, expect);
}

// Node-RED's `Flow_spec.js`, "#handleComplete": "passes a complete event to
// the adjacent Complete node". Its `testDone` nodes call `done()` once they
// have sent, as a change node does; its `test` node is a range node here,
// outside the scope.
#[test]
fn handle_complete_passes_a_complete_event_to_the_adjacent_complete_node() {
    check_completed(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "1", "z": "t1", "type": "change", "name": "a", "rules": [], "wires": [["2"]]},
            {"id": "2", "z": "t1", "type": "range", "minin": 0, "maxin": 1, "minout": 0, "maxout": 1, "wires": [["3"]]},
            {"id": "3", "z": "t1", "type": "change", "rules": [], "wires": []},
            {"id": "cn", "z": "t1", "type": "complete", "scope": ["1", "3"], "wires": []}]"#,
        &["1->cn", "3->cn"],
    );
}

// `60-link.js`: a link call calls `done()` right after it sends its
// subroutine's answer on. A watched call runs where the answer comes back:
// the message that goes to the call still goes to its link in, and the
// return reaches the call, which sends on to its own wires.
#[test]
fn a_complete_node_watching_a_link_call_hears_when_its_subroutine_answers() {
    let flow = r#"[{"id": "t1", "type": "tab"},
        {"id": "a", "z": "t1", "type": "inject", "wires": [["call"]]},
        {"id": "call", "z": "t1", "type": "link call", "links": ["sub"], "wires": [["y"]]},
        {"id": "sub", "z": "t1", "type": "link in", "wires": [["work"]]},
        {"id": "work", "z": "t1", "type": "change", "rules": [], "wires": [["ret"]]},
        {"id": "ret", "z": "t1", "type": "link out", "mode": "return"},
        {"id": "y", "z": "t1", "type": "debug", "wires": []},
        {"id": "cn", "z": "t1", "type": "complete", "scope": ["call"], "wires": [["y"]]}]"#;
    check_wires(flow, &["a:0->work", "work:0->call", "cn:0->y", "call:0->y"]);
    check_completed(flow, &["call->cn"]);
    // A call whose subroutine never answers times out and is never done,
    // as in Node-RED: it waits (its port 0 leads to its link in's chain),
    // and its answer port leads to its `LinkAnswer`, which tells the
    // complete node of the answers that come, and none comes. Its port
    // after that, for answers that find no wait (late, or a second
    // answer), leads straight to its wires: Node-RED sends those on
    // without calling `done()`.
    let silent = r#"[{"id": "t1", "type": "tab"},
        {"id": "a", "z": "t1", "type": "inject", "wires": [["call"]]},
        {"id": "call", "z": "t1", "type": "link call", "links": ["sub"], "wires": [["y"]]},
        {"id": "sub", "z": "t1", "type": "link in", "wires": [["y"]]},
        {"id": "y", "z": "t1", "type": "debug", "wires": []},
        {"id": "cn", "z": "t1", "type": "complete", "scope": ["call"], "wires": [["y"]]}]"#;
    check_wires(
        silent,
        &[
            "a:0->call",
            "cn:0->y",
            "call:0->y",
            "call:1->call",
            "call:2->y",
            "call:0->y",
        ],
    );
    check_completed(silent, &["call->cn"]);
    // Where another subroutine answers two calls, those record themselves
    // and answer through the message; the watched call, whose subroutine
    // answers it alone, is still answered directly.
    let shared = r#"[{"id": "t1", "type": "tab"},
        {"id": "a", "z": "t1", "type": "inject", "wires": [["call", "c1", "c2"]]},
        {"id": "call", "z": "t1", "type": "link call", "links": ["sub"], "wires": [["y"]]},
        {"id": "sub", "z": "t1", "type": "link in", "wires": [["ret"]]},
        {"id": "ret", "z": "t1", "type": "link out", "mode": "return"},
        {"id": "c1", "z": "t1", "type": "link call", "links": ["both"], "wires": [["y"]]},
        {"id": "c2", "z": "t1", "type": "link call", "links": ["both"], "wires": [["y"]]},
        {"id": "both", "z": "t1", "type": "link in", "wires": [["back"]]},
        {"id": "back", "z": "t1", "type": "link out", "mode": "return"},
        {"id": "y", "z": "t1", "type": "debug", "wires": []},
        {"id": "cn", "z": "t1", "type": "complete", "scope": ["call"], "wires": [["y"]]}]"#;
    check_wires(
        shared,
        &[
            "a:0->call",
            "a:0->c1",
            "a:0->c2",
            "cn:0->y",
            "call:0->y",
            "c1:0->back",
            "c2:0->back",
            "back:0->y",
            "back:1->y",
        ],
    );
    check_completed(shared, &["call->cn"]);
    let lowered = lower(shared);
    let kinds: Vec<(&str, bool)> = lowered
        .nodes
        .iter()
        .map(|node| (node.id.as_str(), matches!(node.kind, NodeKind::LinkCall(_))))
        .collect();
    assert!(kinds.contains(&("c1", true)) && kinds.contains(&("call", false)));
}

// `60-link.js`: a call whose subroutine answers several calls is done
// with a message when the answer recorded for it comes back to it. On a
// device the watched call records itself as the others do, and the
// return's port for it leads to its answer, which tells the complete
// nodes; the call that is not watched is answered straight to its wires.
#[test]
fn a_complete_node_watching_a_link_call_of_a_shared_subroutine_hears_its_answers() {
    let flow = r#"[{"id": "t1", "type": "tab"},
        {"id": "a", "z": "t1", "type": "inject", "wires": [["c1", "c2"]]},
        {"id": "c1", "z": "t1", "type": "link call", "links": ["both"], "wires": [["x"]]},
        {"id": "c2", "z": "t1", "type": "link call", "links": ["both"], "wires": [["y"]]},
        {"id": "both", "z": "t1", "type": "link in", "wires": [["back"]]},
        {"id": "back", "z": "t1", "type": "link out", "mode": "return"},
        {"id": "x", "z": "t1", "type": "debug", "wires": []},
        {"id": "y", "z": "t1", "type": "debug", "wires": []},
        {"id": "cn", "z": "t1", "type": "complete", "scope": ["c1"], "wires": [["y"]]}]"#;
    let lowered = lower(flow);
    let name = |index: usize| {
        let node = &lowered.nodes[index];
        match &node.kind {
            NodeKind::LinkCall(LinkCall { caller, .. }) => format!("{}(records {caller})", node.id),
            NodeKind::LinkAnswer => format!("{}(answer)", node.id),
            NodeKind::LinkReturn(LinkReturn { callers }) => format!("{}{callers:?}", node.id),
            _ => node.id.clone(),
        }
    };
    let wires: Vec<String> = lowered
        .wires
        .iter()
        .map(|wire| format!("{}:{}->{}", name(wire.from), wire.port, name(wire.to)))
        .collect();
    assert_eq!(
        wires,
        [
            "a:0->c1(records 0)",
            "a:0->c2(records 1)",
            "cn:0->y",
            "c1(records 0):0->back[0, 1]",
            "c1(answer):0->x",
            "c2(records 1):0->back[0, 1]",
            "back[0, 1]:0->c1(answer)",
            "back[0, 1]:1->y",
        ]
    );
    let completed: Vec<(String, String)> = lowered
        .completed_by
        .iter()
        .flat_map(|(source, completes)| {
            completes
                .iter()
                .map(|complete| (name(*source), name(*complete)))
        })
        .collect();
    assert_eq!(completed, [("c1(answer)".to_string(), "cn".to_string())]);
}

#[test]
fn a_complete_node_watches_delay_nodes_in_every_mode_and_trigger_nodes() {
    check_completed(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "r", "z": "t1", "type": "delay", "pauseType": "rate", "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "drop": true, "wires": [[]]},
            {"id": "q", "z": "t1", "type": "delay", "pauseType": "queue", "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "wires": [[]]},
            {"id": "m", "z": "t1", "type": "delay", "pauseType": "timed", "rate": "1", "nbRateUnits": "1", "rateUnits": "second", "wires": [[]]},
            {"id": "g", "z": "t1", "type": "trigger", "op1": "1", "op2": "0", "op1type": "str", "op2type": "str", "duration": "1", "units": "s", "wires": [[]]},
            {"id": "b", "z": "t1", "type": "delay", "pauseType": "burst", "rate": "2", "nbRateUnits": "1", "rateUnits": "second", "wires": [[]]},
            {"id": "cn", "z": "t1", "type": "complete", "scope": ["r", "q", "m", "g", "b"], "wires": []}]"#,
        &["r->cn", "q->cn", "m->cn", "g->cn", "b->cn"],
    );
}

#[test]
fn a_complete_node_takes_the_messages_of_its_scope_on_its_tab_in_file_order() {
    // Two complete nodes watch `b`: each gets it, in the file's order. A
    // node of another tab that the scope names is not heard of, as
    // Node-RED keeps one map of complete nodes per tab.
    check_completed(
        r#"[{"id": "t1", "type": "tab"}, {"id": "t2", "type": "tab"},
            {"id": "a", "type": "inject", "z": "t1", "wires": [["b"]]},
            {"id": "b", "type": "json", "z": "t1", "wires": [["d"]]},
            {"id": "k2", "type": "complete", "z": "t1", "scope": ["b", "f"], "wires": [["d"]]},
            {"id": "k1", "type": "complete", "z": "t1", "scope": ["a", "b"], "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "wires": []},
            {"id": "f", "type": "range", "z": "t2", "minin": 0, "maxin": 1, "minout": 0, "maxout": 1, "wires": [[]]}]"#,
        &["a->k1", "b->k2,k1"],
    );
}

#[test]
fn a_complete_node_leaves_out_the_nodes_it_is_wired_to_as_node_red_does() {
    // `24-complete.js` removes each id the node is wired to while walking
    // the scope forwards, so it steps over the id after each it removes:
    // of `d1, d2, r`, `d1` goes, `d2` is stepped over and stays.
    check_completed(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "k", "type": "complete", "z": "t1", "scope": ["d1", "d2", "r"], "wires": [["d1", "d2"]]},
            {"id": "d1", "type": "debug", "z": "t1", "wires": []},
            {"id": "d2", "type": "debug", "z": "t1", "wires": []},
            {"id": "r", "type": "range", "z": "t1", "minin": 0, "maxin": 1, "minout": 0, "maxout": 1, "wires": [[]]}]"#,
        &["d2->k", "r->k"],
    );
}

#[test]
fn nodes_that_never_call_done_are_never_heard_of() {
    // Node-RED's switch, rbe and smooth input handlers take no `done`, and
    // an mqtt in node has no input: a complete node never hears of them,
    // and the device gives them no code for it.
    check_completed(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "s", "type": "switch", "z": "t1", "property": "payload", "rules": [{"t": "nnull"}], "wires": [["f"]]},
            {"id": "f", "type": "rbe", "z": "t1", "func": "rbe", "wires": [["d"]]},
            {"id": "k", "type": "complete", "z": "t1", "scope": ["s", "f"], "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "wires": []}]"#,
        &[],
    );
}

#[test]
fn a_complete_node_is_placed_with_the_nodes_it_watches() {
    // As a catch node is: the watched nodes are pinned to the second
    // device, the complete node's debug node to the first.
    let flow = lower(
        r#"[{"id": "t1", "type": "tab"},
            {"id": "first", "type": "psos-device", "name": "complete-place-a", "board": "host"},
            {"id": "second", "type": "psos-device", "name": "complete-place-b", "board": "host"},
            {"id": "a", "type": "inject", "z": "t1", "device": "complete-place-b", "wires": [["b"]]},
            {"id": "b", "type": "json", "z": "t1", "device": "complete-place-b", "wires": [[]]},
            {"id": "k", "type": "complete", "z": "t1", "scope": ["b"], "psosRate": 60, "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t1", "device": "complete-place-a", "wires": []}]"#,
    );
    let device_of = |id: &str| {
        let node = flow.nodes.iter().find(|node| node.id == id).unwrap();
        flow.devices[node.device].name.as_str()
    };
    assert_eq!(
        ["a", "b", "k", "d"].map(device_of),
        [
            "complete-place-b",
            "complete-place-b",
            "complete-place-b",
            "complete-place-a"
        ]
    );
}

#[test]
fn a_complete_node_in_a_subflow_watches_the_copies_of_its_instance() {
    // As Node-RED's `Subflow.js` maps a complete node's scope to the ids
    // of the instance's own copies.
    check_completed(
        r#"[{"id": "t", "type": "tab"},
            {"id": "sf", "type": "subflow", "name": "S", "in": [{"wires": [{"id": "c"}]}], "out": [{"wires": [{"id": "c", "port": 0}]}]},
            {"id": "c", "type": "change", "z": "sf", "rules": [], "wires": [[]]},
            {"id": "k", "type": "complete", "z": "sf", "scope": ["c"], "wires": [[]]},
            {"id": "i", "type": "inject", "z": "t", "wires": [["one", "two"]]},
            {"id": "one", "type": "subflow:sf", "z": "t", "wires": [["d"]]},
            {"id": "two", "type": "subflow:sf", "z": "t", "wires": [["d"]]},
            {"id": "d", "type": "debug", "z": "t", "wires": []}]"#,
        &["one-c->one-k", "two-c->two-k"],
    );
}

/// The session a device keeps with an `mqtt-broker` node of these
/// settings, as (expiry in seconds, clean start); `None` for a flow whose
/// device names no broker node but talks to another device.
fn check_session(settings: Option<&str>, expect: (u32, bool)) {
    let flow = match settings {
        Some(settings) => lower(&format!(
            r#"[{{"id": "b", "type": "mqtt-broker", "broker": "localhost", "port": "1883"{settings}}},
                {{"id": "d", "type": "psos-device", "name": "d", "board": "host", "broker": "b"}},
                {{"id": "o", "type": "mqtt out", "topic": "t", "broker": "b"}}]"#
        )),
        None => lower(
            r#"[{"id": "d", "type": "psos-device", "name": "d", "board": "host"},
                {"id": "e", "type": "psos-device", "name": "e", "board": "host"},
                {"id": "i", "type": "inject", "device": "d", "wires": [["x"]]},
                {"id": "x", "type": "debug", "device": "e", "wires": []}]"#,
        ),
    };
    let session = &flow.devices[0]
        .broker
        .as_ref()
        .expect("the device has a broker")
        .session;
    assert_eq!(
        (session.expiry_s, session.clean_start),
        expect,
        "{settings:?}"
    );
}

#[test]
fn sessions_start_clean_or_resume_as_node_reds_broker_node_says() {
    // Node-RED's defaults: a clean session, ended with its connection.
    check_session(Some(""), (0, true));
    check_session(
        Some(r#", "cleansession": true, "sessionExpiry": "60""#),
        (60, true),
    );
    // A kept session is resumed by every connection, also after a restart.
    check_session(
        Some(r#", "protocolVersion": "5", "cleansession": false, "sessionExpiry": "600""#),
        (600, false),
    );
    // MQTT 5 without an expiry ends the session with its connection.
    check_session(
        Some(r#", "protocolVersion": "5", "cleansession": false"#),
        (0, false),
    );
    // MQTT 3.1.1 keeps it for ever.
    check_session(
        Some(r#", "protocolVersion": "4", "cleansession": false"#),
        (u32::MAX, false),
    );
    // Devices that only talk to each other keep theirs for an hour.
    check_session(None, (3600, false));
}

/// A split that streams and a join keep the messages they finish with
/// later when a complete node watches them: placement counts that room
/// (`psosQueue` messages) on top of the node's own; a split that does not
/// stream keeps none, and unwatched nodes count only their own.
#[test]
fn watched_split_and_join_count_the_messages_they_keep() {
    let nodes = r#"{"id": "s", "type": "split", "stream": true, "wires": [[]]},
        {"id": "p", "type": "split", "wires": [[]]},
        {"id": "j", "type": "join", "psosQueue": 3, "wires": [[]]}"#;
    let unwatched = lower(&format!("[{nodes}]"));
    let watched = lower(&format!(
        r#"[{nodes}, {{"id": "k", "type": "complete", "scope": ["s", "p", "j"], "wires": [[]]}}]"#
    ));
    let capacity = watched.devices[0].message_capacity;
    for index in 0..3 {
        let (before, after) = (&unwatched.nodes[index], &watched.nodes[index]);
        let kept = psosc::place::resources::kept_ram(&after.kind, capacity);
        assert_eq!(
            after.resources.ram,
            before.resources.ram + kept,
            "{}",
            after.id
        );
    }
    let message = capacity.next_multiple_of(8) as u64;
    assert_eq!(
        psosc::place::resources::kept_ram(&watched.nodes[0].kind, capacity),
        8 + 8 * (message + 8)
    );
    assert_eq!(
        psosc::place::resources::kept_ram(&watched.nodes[1].kind, capacity),
        0
    );
    assert_eq!(
        psosc::place::resources::kept_ram(&watched.nodes[2].kind, capacity),
        8 + 3 * (message + 8)
    );
}

/// A device's load: what its nodes share once (the board, the code its
/// first node brings, each type's code, each context store and their code,
/// a session when a wire between devices ends on it, the stack) and each
/// node's own. The figures themselves are measured by `node_sizes`.
#[test]
fn a_device_counts_what_its_nodes_share_once() {
    use psosc::ir::Resources;
    use psosc::place::resources::{
        context_store_ram, from_broker, session_resources, type_code, BOARD, CONTEXT_CODE,
        SHARED_CODE, STACK_BASE,
    };
    let flow = |wire_between: bool| {
        let across = if wire_between { r#", "show-a""# } else { "" };
        lower(&format!(
            r#"[
            {{"id": "da", "type": "psos-device", "name": "share-a", "board": "qemu-lm3s6965"}},
            {{"id": "db", "type": "psos-device", "name": "share-b", "board": "qemu-lm3s6965", "contextCapacity": 300}},
            {{"id": "tick-a", "type": "inject", "device": "share-a", "repeat": "1", "wires": [["count", "hold"]]}},
            {{"id": "count", "type": "change", "device": "share-a", "rules": [{{"t": "set", "p": "n", "pt": "flow", "to": "payload", "tot": "msg"}}], "wires": [["again"]]}},
            {{"id": "again", "type": "change", "device": "share-a", "rules": [{{"t": "set", "p": "m", "pt": "flow", "to": "payload", "tot": "msg"}}], "wires": [["show-a"]]}},
            {{"id": "hold", "type": "delay", "device": "share-a", "pauseType": "delay", "timeout": "1", "timeoutUnits": "seconds", "wires": [["hold-2"]]}},
            {{"id": "hold-2", "type": "delay", "device": "share-a", "pauseType": "delay", "timeout": "1", "timeoutUnits": "seconds", "wires": [["show-a"]]}},
            {{"id": "show-a", "type": "debug", "device": "share-a", "wires": []}},
            {{"id": "tick-b", "type": "inject", "device": "share-b", "repeat": "1", "wires": [["show-b", "parse"{across}]]}},
            {{"id": "parse", "type": "json", "wires": [["show-b"]]}},
            {{"id": "show-b", "type": "debug", "device": "share-b", "wires": []}}
            ]"#
        ))
    };
    let own = |flow: &Flow, device: usize| {
        flow.nodes
            .iter()
            .filter(|node| node.device == device)
            .fold(Resources::ZERO, |sum, node| {
                sum.saturating_add(node.resources)
            })
    };
    let base = |flow: &Flow, device: usize| {
        let mut base = BOARD.saturating_add(SHARED_CODE);
        base.ram += flow.devices[device].stack;
        base
    };
    for wire_between in [false, true] {
        let flow = flow(wire_between);
        let session = |device: usize| {
            let device = &flow.devices[device];
            // With a session, a device's inject and debug nodes have
            // controls (`psos::control`).
            if wire_between {
                let mut session = session_resources(device.message_capacity, device.outbox);
                session.flash += psosc::place::resources::CONTROL_CODE;
                session
            } else {
                Resources::ZERO
            }
        };
        // Two delays, one delay's code; two changes on one flow context,
        // one store.
        let mut a = base(&flow, 0)
            .saturating_add(own(&flow, 0))
            .saturating_add(session(0));
        a.flash += type_code("delay") + CONTEXT_CODE;
        a.ram += context_store_ram(flow.devices[0].context_capacity);
        assert_eq!(flow.devices[0].load, a, "wire between: {wire_between}");
        // The free json node lands beside its wires, on b: its code counts
        // there only, and a session only where a wire between devices ends,
        // though either device might have held it before placement.
        let parse = flow.nodes.iter().find(|node| node.id == "parse");
        assert_eq!(parse.map(|node| node.device), Some(1));
        let mut b = base(&flow, 1)
            .saturating_add(own(&flow, 1))
            .saturating_add(session(1));
        b.flash += type_code("json");
        assert_eq!(flow.devices[1].load, b, "wire between: {wire_between}");
        // The stacks: on a, the inject's call, a copy for its second
        // receiver, and the deeper of its two paths, two delays (each
        // holding two messages more) and a debug; on b, the inject's, a
        // copy, the json node's (one more) and the debug after it.
        // 512-byte messages.
        // A wire from b makes a's debug run in the MQTT task, under what a
        // message from the broker holds, which is deeper.
        // With a session, each inject node can be pressed over MQTT, and
        // its chain then runs in the MQTT task under the request.
        let call = 160 + 512;
        let pressed = if wire_between {
            from_broker(512) + psosc::place::resources::pressed(512)
        } else {
            0
        };
        let local = STACK_BASE + call + 512 + 2 * (call + 2 * 512) + call + pressed;
        let from_b = STACK_BASE + from_broker(512) + call;
        assert_eq!(
            flow.devices[0].stack,
            if wire_between {
                local.max(from_b)
            } else {
                local
            }
        );
        // No node of the flow sets `msg.schema`, so the json node is built
        // without the check against it, and the debug after it is deepest.
        assert_eq!(
            flow.devices[1].stack,
            STACK_BASE + call + 512 + (call + 512) + call + pressed
        );
    }
}

/// Each store a flow names is a store of its own, counted once per device
/// like the default ones: here the tab's default flow store (also named
/// `default` and `memory`), its `memory1` store (used by both change
/// nodes) and the global store `file`, three stores of `contextCapacity`.
#[test]
fn each_named_store_is_counted_once() {
    use psosc::place::resources::{context_store_ram, BOARD, CONTEXT_CODE, SHARED_CODE};
    let flow = lower(
        r##"[
        {"id": "tab", "type": "tab"},
        {"id": "d", "type": "psos-device", "name": "named-stores", "board": "qemu-lm3s6965", "contextCapacity": 300},
        {"id": "tick", "type": "inject", "z": "tab", "device": "named-stores", "repeat": "1", "wires": [["one"]]},
        {"id": "one", "type": "change", "z": "tab", "device": "named-stores", "rules": [
            {"t": "set", "p": "k", "pt": "flow", "to": "payload", "tot": "msg"},
            {"t": "set", "p": "#:(default)::k", "pt": "flow", "to": "payload", "tot": "msg"},
            {"t": "set", "p": "#:(memory)::k", "pt": "flow", "to": "payload", "tot": "msg"},
            {"t": "set", "p": "#:(memory1)::k", "pt": "flow", "to": "payload", "tot": "msg"}
          ], "wires": [["two"]]},
        {"id": "two", "type": "change", "z": "tab", "device": "named-stores", "rules": [
            {"t": "set", "p": "#:(memory1)::j", "pt": "flow", "to": "payload", "tot": "msg"},
            {"t": "set", "p": "#:(file)::j", "pt": "global", "to": "payload", "tot": "msg"}
          ], "wires": [["show"]]},
        {"id": "show", "type": "debug", "z": "tab", "device": "named-stores", "wires": []}
        ]"##,
    );
    let device = &flow.devices[0];
    let mut expect = flow
        .nodes
        .iter()
        .fold(BOARD.saturating_add(SHARED_CODE), |sum, node| {
            sum.saturating_add(node.resources)
        });
    expect.ram += device.stack + 3 * context_store_ram(300);
    expect.flash += CONTEXT_CODE;
    assert_eq!(device.load, expect);
}

/// A loop of local wires goes through the device's queue at the wire that
/// closes it, so its stack is the chain from where a message enters to
/// that wire, not a chain without end; a change node with a `change` rule
/// takes five message-sized buffers before it sends.
#[test]
fn a_loop_counts_the_stack_of_one_round() {
    use psosc::place::resources::STACK_BASE;
    let flow = lower(
        r#"[
        {"id": "dl", "type": "psos-device", "name": "loop-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["first"]]},
        {"id": "first", "type": "change", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "a", "tot": "str"}], "wires": [["second"]]},
        {"id": "second", "type": "change", "rules": [{"t": "change", "p": "payload", "pt": "msg", "from": "a", "fromt": "str", "to": "b", "tot": "str"}], "wires": [["first"]]}
        ]"#,
    );
    assert_eq!(flow.wires.iter().filter(|wire| wire.queued).count(), 1);
    let call = 160 + 512;
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + call + call + call + 5 * 512
    );
}

/// A catch node's chain runs nested in the call of the node whose error
/// it takes, under the message made for it: here under the json node that
/// fails, deeper than the json node's own receiver.
#[test]
fn a_catch_nodes_chain_counts_under_the_node_it_watches() {
    use psosc::place::resources::STACK_BASE;
    let flow = lower(
        r#"[
        {"id": "dc", "type": "psos-device", "name": "catch-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["parse"]]},
        {"id": "parse", "type": "json", "property": "payload", "action": "", "wires": [["show"]]},
        {"id": "show", "type": "debug", "wires": []},
        {"id": "errors", "type": "catch", "scope": ["parse"], "wires": [["tag"]]},
        {"id": "tag", "type": "change", "rules": [{"t": "set", "p": "tagged", "pt": "msg", "to": "a", "tot": "str"}], "wires": [["caught"]]},
        {"id": "caught", "type": "debug", "wires": []}
        ]"#,
    );
    let call = 160 + 512;
    // The inject's call, the json node's (one message more), and the
    // caught message, which the catch node sends on to the change and
    // the debug.
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + call + (call + 512) + 512 + call + call
    );
}

/// A status node's chain runs nested in the call of the node whose status
/// it receives, under the status message made for it.
#[test]
fn a_status_nodes_chain_counts_under_the_node_it_watches() {
    use psosc::place::resources::STACK_BASE;
    let flow = lower(
        r#"[
        {"id": "ds", "type": "psos-device", "name": "status-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["shown"]]},
        {"id": "shown", "type": "debug", "active": true, "console": false, "tostatus": true, "statusType": "auto", "complete": "payload", "targetType": "msg", "wires": []},
        {"id": "watch", "type": "status", "scope": ["shown"], "wires": [["tag"]]},
        {"id": "tag", "type": "change", "rules": [{"t": "set", "p": "tagged", "pt": "msg", "to": "a", "tot": "str"}], "wires": [["seen"]]},
        {"id": "seen", "type": "debug", "wires": []}
        ]"#,
    );
    let call = 160 + 512;
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + call + call + 512 + call + call
    );
}

/// The `(node, watcher)` pairs of ids whose messages go through the loop
/// queue.
fn queued_watches(flow: &psosc::ir::Flow) -> Vec<(&str, &str)> {
    flow.queued_watches
        .iter()
        .map(|(node, watcher)| {
            (
                flow.nodes[*node].id.as_str(),
                flow.nodes[*watcher].id.as_str(),
            )
        })
        .collect()
}

/// A complete node whose chain leads back to the node it watches: the
/// messages it is given go through the loop queue, as a catch node's in a
/// loop do, and no wire is queued for it.
#[test]
fn a_complete_loop_goes_through_the_loop_queue() {
    let flow = lower(
        r#"[
        {"id": "d", "type": "psos-device", "name": "complete-loop-queue", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["step"]]},
        {"id": "step", "type": "change", "rules": [{"t": "set", "p": "seen", "pt": "msg", "to": "1", "tot": "num"}], "wires": [[]]},
        {"id": "done", "type": "complete", "scope": ["step"], "wires": [["again"]]},
        {"id": "again", "type": "switch", "property": "payload", "rules": [{"t": "lt", "v": "3", "vt": "num"}], "checkall": "false", "wires": [["step"]]}
        ]"#,
    );
    assert!(flow.wires.iter().all(|wire| !wire.queued));
    assert_eq!(queued_watches(&flow), [("step", "done")]);
}

/// A device whose messages go through the loop queue holds it in RAM: a
/// wire that closes a loop, or a watcher's call that does, adds the
/// queue's static to the device's load beside its stack.
#[test]
fn a_loop_queue_counts_in_the_ram_of_its_device() {
    use psosc::place::resources::{loop_queue_ram, LOOP_QUEUE_MIN};
    // The same nodes and watches; `step` and `done` send to `tail` or
    // back to `gate`.
    let flow = |step_to: &str, done_to: &str| {
        lower(&format!(
            r#"[
            {{"id": "d", "type": "psos-device", "name": "loop-queue-ram", "board": "qemu-lm3s6965"}},
            {{"id": "tick", "type": "inject", "repeat": "1", "wires": [["gate"]]}},
            {{"id": "gate", "type": "switch", "property": "payload", "rules": [{{"t": "lt", "v": "3", "vt": "num"}}], "checkall": "false", "wires": [["step"]]}},
            {{"id": "step", "type": "change", "rules": [{{"t": "set", "p": "payload", "pt": "msg", "to": "5", "tot": "num"}}], "wires": [["{step_to}"]]}},
            {{"id": "done", "type": "complete", "scope": ["step"], "wires": [["{done_to}"]]}},
            {{"id": "tail", "type": "change", "rules": [{{"t": "set", "p": "seen", "pt": "msg", "to": "1", "tot": "num"}}], "wires": [[]]}}
            ]"#
        ))
    };
    let statics = |flow: &Flow| flow.devices[0].load.ram - flow.devices[0].stack;
    let without = flow("tail", "tail");
    assert!(without.wires.iter().all(|wire| !wire.queued));
    assert!(queued_watches(&without).is_empty());
    let wire_loop = flow("gate", "tail");
    assert!(wire_loop.wires.iter().any(|wire| wire.queued));
    let watcher_loop = flow("tail", "gate");
    assert_eq!(queued_watches(&watcher_loop), [("step", "done")]);
    for (case, with) in [("wire", wire_loop), ("watcher", watcher_loop)] {
        assert_eq!(
            statics(&with),
            statics(&without) + loop_queue_ram(with.devices[0].message_capacity, LOOP_QUEUE_MIN),
            "a {case} through the loop queue"
        );
    }
}

/// A catch node wired back to the node whose errors it takes closes a
/// loop with its call, which no wire closes: its messages go through the
/// loop queue, so a message that fails each time runs a round at a time,
/// each from the queue, and the stack is the deeper of the inject's chain
/// and one round.
#[test]
fn a_catch_loop_goes_through_the_loop_queue() {
    use psosc::place::resources::STACK_BASE;
    let flow = lower(
        r#"[
        {"id": "dc", "type": "psos-device", "name": "catch-loop-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["parse"]]},
        {"id": "parse", "type": "json", "property": "payload", "action": "", "wires": [[]]},
        {"id": "errors", "type": "catch", "scope": ["parse"], "wires": [["parse"]]}
        ]"#,
    );
    assert!(flow.wires.iter().all(|wire| !wire.queued));
    assert_eq!(queued_watches(&flow), [("parse", "errors")]);
    let call = 160 + 512;
    // A round from the queue: the three messages of the drain, the json
    // node's call (one message more), and the three of the caught
    // message made and queued.
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + 1536 + (call + 512) + 1536
    );
}

/// Two nodes that fail in turn on what their catch nodes send each to the
/// other: the count of catches starts again at each, so nothing stops the
/// loop; one catch node's call closes it and goes through the queue.
#[test]
fn an_alternating_catch_loop_goes_through_the_loop_queue() {
    let flow = lower(
        r#"[
        {"id": "da", "type": "psos-device", "name": "alternating-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["first"]]},
        {"id": "first", "type": "json", "property": "payload", "action": "", "wires": [[]]},
        {"id": "second", "type": "json", "property": "payload", "action": "", "wires": [[]]},
        {"id": "first-errors", "type": "catch", "scope": ["first"], "wires": [["second"]]},
        {"id": "second-errors", "type": "catch", "scope": ["second"], "wires": [["first"]]}
        ]"#,
    );
    assert_eq!(
        queued_watches(&flow),
        [("first", "first-errors"), ("second", "second-errors")]
    );
}

/// Two catch nodes told of one node's error: the second gets a copy of
/// the caught message before the first's chain runs, one message more on
/// the stack than with one catch node.
#[test]
fn every_catch_node_after_the_first_holds_a_copy() {
    let stack = |catches: &str| {
        lower(&format!(
            r#"[
            {{"id": "d", "type": "psos-device", "name": "two-catches-stack", "board": "qemu-lm3s6965"}},
            {{"id": "tick", "type": "inject", "repeat": "1", "wires": [["parse"]]}},
            {{"id": "parse", "type": "json", "property": "payload", "action": "", "wires": [[]]}},
            {catches}
            {{"id": "shown", "type": "debug", "wires": []}}
            ]"#
        ))
        .devices[0]
            .stack
    };
    let one =
        stack(r#"{"id": "scoped", "type": "catch", "scope": ["parse"], "wires": [["shown"]]},"#);
    let two = stack(
        r#"{"id": "scoped", "type": "catch", "scope": ["parse"], "wires": [["shown"]]},
           {"id": "also", "type": "catch", "scope": ["parse"], "wires": [["shown"]]},"#,
    );
    assert_eq!(two, one + 512);
}

/// A status node whose chain leads back to the debug node it watches,
/// which shows a status again: the status node's messages go through the
/// queue, and a watcher told after it too (so that its chain still runs
/// after the first's, as in Node-RED), while one told before it, which
/// leads nowhere back, is still called at once.
#[test]
fn a_status_loop_goes_through_the_loop_queue_with_the_watchers_after_it() {
    use psosc::place::resources::STACK_BASE;
    let flow = lower(
        r#"[
        {"id": "ds", "type": "psos-device", "name": "status-loop-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["shown"]]},
        {"id": "shown", "type": "debug", "active": true, "console": false, "tostatus": true, "statusType": "auto", "complete": "payload", "targetType": "msg", "wires": []},
        {"id": "before", "type": "status", "scope": ["shown"], "wires": [["seen"]]},
        {"id": "watch", "type": "status", "scope": ["shown"], "wires": [["tag"]]},
        {"id": "after", "type": "status", "scope": ["shown"], "wires": [["seen"]]},
        {"id": "tag", "type": "change", "rules": [{"t": "move", "p": "status.text", "pt": "msg", "to": "payload", "tot": "msg"}], "wires": [["shown"]]},
        {"id": "seen", "type": "debug", "wires": []}
        ]"#,
    );
    assert!(flow.wires.iter().all(|wire| !wire.queued));
    assert_eq!(
        queued_watches(&flow),
        [("shown", "watch"), ("shown", "after")]
    );
    let call = 160 + 512;
    // A round from the queue: the three messages of the drain, the
    // change node's call, the debug node's, and the three messages of the
    // status message made and queued (deeper than the status message made
    // for the status node called at once, which holds nothing, and the
    // call of its debug node). The inject's chain is the same less the
    // drain's messages.
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + 1536 + call + call + 1536
    );
}

/// An `mqtt out` calls the `mqtt in` nodes of its device that subscribe
/// to its topic; one whose topic is known only at run time gives each a
/// copy. That chain is deeper here than the one from the broker.
#[test]
fn an_mqtt_out_counts_the_mqtt_in_of_its_device() {
    use psosc::place::resources::{from_broker, STACK_BASE};
    let steps: Vec<String> = (1..=8)
        .map(|step| {
            let next = if step < 8 { format!("step{}", step + 1) } else { "out".to_string() };
            format!(
                r#"{{"id": "step{step}", "type": "change", "rules": [{{"t": "set", "p": "s", "pt": "msg", "to": "a", "tot": "str"}}], "wires": [["{next}"]]}},"#
            )
        })
        .collect();
    let flow = lower(&format!(
        r#"[
        {{"id": "b", "type": "mqtt-broker", "broker": "localhost", "port": "1883"}},
        {{"id": "dm", "type": "psos-device", "name": "local-stack", "board": "qemu-lm3s6965", "broker": "b"}},
        {{"id": "tick", "type": "inject", "repeat": "1", "wires": [["step1"]]}},
        {}
        {{"id": "out", "type": "mqtt out", "broker": "b"}},
        {{"id": "in", "type": "mqtt in", "topic": "a/+", "broker": "b", "wires": [["show"]]}},
        {{"id": "show", "type": "debug", "wires": []}}
        ]"#,
        steps.join("\n")
    ));
    let call = 160 + 512;
    // The inject's call, eight changes, the mqtt out's, the copy the
    // mqtt in gets, its call and the debug's; under them, as the inject
    // node can be pressed over MQTT, what the MQTT task holds and the
    // request the press reads.
    let pressed = from_broker(512) + psosc::place::resources::pressed(512);
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + 12 * call + 512 + pressed
    );
}

/// A change node that replaces with groups (`$1`) finds them in memory on
/// its stack, 4 bytes a word, besides its five message-sized buffers.
#[test]
fn a_change_node_counts_the_memory_for_its_groups() {
    use psosc::ir::NodeKind;
    use psosc::place::resources::{GROUPS_FRAMES, STACK_BASE};
    let flow = lower(
        r#"[
        {"id": "dg", "type": "psos-device", "name": "groups-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["swap"]]},
        {"id": "swap", "type": "change", "rules": [{"t": "change", "p": "payload", "pt": "msg", "from": "(\\w+)-(\\w+)", "fromt": "re", "to": "$2-$1", "tot": "str"}], "wires": [["show"]]},
        {"id": "show", "type": "debug", "wires": []}
        ]"#,
    );
    let words = flow
        .nodes
        .iter()
        .find_map(|node| match &node.kind {
            NodeKind::Change(change) => Some(change.capture_words()),
            _ => None,
        })
        .expect("the change node");
    assert!(words > 0);
    let call = 160 + 512;
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + call + call + 5 * 512 + 4 * words as u64 + GROUPS_FRAMES
    );
}

/// A complete node wired to an inactive debug node (which has no code on
/// its device) sends nowhere: the wire is not taken for one to another
/// device, which would publish on a device without an MQTT session.
#[test]
fn a_wire_to_a_node_without_code_on_its_own_device_publishes_nothing() {
    let flow = lower(
        r#"[
        {"id":"tab","type":"tab","label":"t"},
        {"id":"dev","type":"psos-device","name":"quiet-debug","board":"host"},
        {"id":"inj","type":"inject","z":"tab","props":[{"p":"payload"}],"payload":"1","payloadType":"num","repeat":"","once":true,"onceDelay":0.1,"wires":[["chg"]]},
        {"id":"chg","type":"change","z":"tab","rules":[{"t":"set","p":"topic","pt":"msg","to":"x","tot":"str"}],"wires":[[]]},
        {"id":"cmp","type":"complete","z":"tab","scope":["chg"],"uncaught":false,"wires":[["dbg"]]},
        {"id":"dbg","type":"debug","z":"tab","active":false,"tosidebar":true,"console":false,"complete":"false","wires":[]}
    ]"#,
    );
    let options = psosc::codegen::Options {
        runtime_path: "runtime".to_string(),
        boards_path: "boards".to_string(),
        node_crate_paths: Vec::new(),
    };
    let files = psosc::codegen::generate(&flow, &options);
    let main = files
        .iter()
        .find(|file| file.path.ends_with("src/main.rs"))
        .expect("a main.rs");
    assert!(
        !main.contents.contains("OUTBOX") && !main.contents.contains("psos/"),
        "{}",
        main.contents
    );
}

/// A dynamic link call has a port for each link in its `msg.target` may
/// name, each a direct call of that link in's chain, so the device's
/// stack is counted down the deepest of them: here the one through a json
/// node (one message more) and a change, deeper than the other's debug.
#[test]
fn a_dynamic_link_call_counts_its_deepest_target() {
    use psosc::place::resources::STACK_BASE;
    let json = r#"[
        {"id": "dd", "type": "psos-device", "name": "dynamic-link-stack", "board": "qemu-lm3s6965"},
        {"id": "tick", "type": "inject", "repeat": "1", "wires": [["call"]]},
        {"id": "call", "type": "link call", "linkType": "dynamic", "links": [], "wires": [["after"]]},
        {"id": "short", "type": "link in", "name": "short", "wires": [["shown"]]},
        {"id": "shown", "type": "debug", "wires": []},
        {"id": "deep", "type": "link in", "name": "deep", "wires": [["parse"]]},
        {"id": "parse", "type": "json", "property": "payload", "action": "", "wires": [["tag"]]},
        {"id": "tag", "type": "change", "rules": [{"t": "set", "p": "tagged", "pt": "msg", "to": "a", "tot": "str"}], "wires": [["back"]]},
        {"id": "back", "type": "link out", "mode": "return"},
        {"id": "after", "type": "debug", "wires": []}
        ]"#;
    check_wires(
        json,
        &[
            "tick:0->call",
            "parse:0->tag",
            "tag:0->back",
            "call:0->shown",
            "call:1->parse",
            "call:2->after",
            "back:0->call",
        ],
    );
    let flow = lower(json);
    let call = 160 + 512;
    // The inject's call, the link call's (which may time out, as a json
    // node may fail: with the copy of the message it keeps), the json
    // node's, the change's and the return's: the answer goes back to the
    // call through the loop queue, as the wire closes a loop, and the call
    // sends it on to the debug node once the inject's event is over.
    assert_eq!(
        flow.devices[0].stack,
        STACK_BASE + call + (call + 512) + (call + 512) + call + call
    );
}

/// A report to several watchers through the loop queue queues a message
/// for each at once: the queue has room for them all beside the few
/// waiting from before, in the generated code and in the device's RAM,
/// where a queue of four dropped the fifth and later.
#[test]
fn the_loop_queue_has_room_for_every_watcher_queued_for_one_report() {
    use psosc::place::resources::{loop_queue_ram, LOOP_QUEUE_MIN};
    let flow = |watchers: usize| {
        let ids: Vec<String> = (0..watchers).map(|n| format!("w{n}")).collect();
        let nodes: Vec<String> = ids
            .iter()
            .map(|id| {
                format!(
                    r#"{{"id": "{id}", "type": "status", "scope": ["shown"], "wires": [["tag"]]}},"#
                )
            })
            .collect();
        lower(&format!(
            r#"[
            {{"id": "dq", "type": "psos-device", "name": "queue-room", "board": "qemu-lm3s6965"}},
            {{"id": "tick", "type": "inject", "repeat": "1", "wires": [["shown"]]}},
            {{"id": "shown", "type": "debug", "active": true, "console": false, "tostatus": true, "statusType": "auto", "complete": "payload", "targetType": "msg", "wires": []}},
            {}
            {{"id": "tag", "type": "change", "rules": [{{"t": "move", "p": "status.text", "pt": "msg", "to": "payload", "tot": "msg"}}], "wires": [["shown"]]}}
            ]"#,
            nodes.concat()
        ))
    };
    let options = psosc::codegen::Options {
        runtime_path: "runtime".to_string(),
        boards_path: "boards".to_string(),
        node_crate_paths: Vec::new(),
    };
    let statics = |flow: &Flow| flow.devices[0].load.ram - flow.devices[0].stack;
    let one = flow(1);
    let six = flow(6);
    assert_eq!(queued_watches(&six).len(), 6);
    let main = |flow: &Flow| {
        psosc::codegen::generate(flow, &options)
            .into_iter()
            .find(|file| file.path.ends_with("src/main.rs"))
            .map(|file| file.contents)
            .unwrap_or_default()
    };
    assert!(main(&one).contains(&format!(
        "const LOOPBACK_CAPACITY: usize = {LOOP_QUEUE_MIN};"
    )));
    assert!(
        main(&six).contains("const LOOPBACK_CAPACITY: usize = 9;"),
        "{}",
        main(&six)
    );
    // A status node holds no static: five more of them add only the
    // queue's five places.
    let capacity = six.devices[0].message_capacity;
    assert_eq!(
        statics(&six) - statics(&one),
        loop_queue_ram(capacity, 9) - loop_queue_ram(capacity, LOOP_QUEUE_MIN),
    );
}

/// Each node a message reaches through the loop queue has a number there,
/// and a device may have more of them than a byte counts: here 300 status
/// nodes, each queued, each reached by its own number.
#[test]
fn every_node_behind_the_loop_queue_is_reached_past_the_256th() {
    let watchers: Vec<String> = (0..300)
        .map(|n| {
            format!(
                r#"{{"id": "w{n}", "type": "status", "scope": ["shown"], "wires": [["tag"]]}},"#
            )
        })
        .collect();
    let flow = lower(&format!(
        r#"[
        {{"id": "dw", "type": "psos-device", "name": "many-queued", "board": "host"}},
        {{"id": "tick", "type": "inject", "repeat": "1", "wires": [["shown"]]}},
        {{"id": "shown", "type": "debug", "active": true, "console": false, "tostatus": true, "statusType": "auto", "complete": "payload", "targetType": "msg", "wires": []}},
        {}
        {{"id": "tag", "type": "change", "rules": [{{"t": "move", "p": "status.text", "pt": "msg", "to": "payload", "tot": "msg"}}], "wires": [["shown"]]}}
        ]"#,
        watchers.concat()
    ));
    assert_eq!(queued_watches(&flow).len(), 300);
    let options = psosc::codegen::Options {
        runtime_path: "runtime".to_string(),
        boards_path: "boards".to_string(),
        node_crate_paths: Vec::new(),
    };
    let main = psosc::codegen::generate(&flow, &options)
        .into_iter()
        .find(|file| file.path.ends_with("src/main.rs"))
        .map(|file| file.contents)
        .unwrap_or_default();
    let pushes = (0..300)
        .filter(|index| main.contains(&format!("LOOPBACK.push(&DEVICE, {index}, msg)")))
        .count();
    let arms = (0..300)
        .filter(|index| main.contains(&format!("{index} => ")))
        .count();
    assert_eq!((pushes, arms), (300, 300), "{main}");
}
