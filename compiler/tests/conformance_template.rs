//! Node-RED's `template` node, held to Node-RED's own tests: every case of
//! `test/nodes/core/function/80-template_spec.js` (Node-RED 4.x) as data,
//! and cases of our own for what mustache.js (which `80-template.js`
//! renders with) does beyond them. Each case is a node as the flow writes
//! it, read by psosc and run by the runtime on messages.
//!
//! Of the 25 cases there: 8 run here as in Node-RED (a bad template is
//! refused when the flow is checked, with mustache.js's words); 14 read or
//! write flow or global context and run here on stores the test fills,
//! with the stores compared after (`node_red_context_cases`; a store name,
//! `memory1` or `memory2`, is a store of its own beside the default one,
//! as in Node-RED with those stores in its settings); 3 render
//! `msg.template`, which a device refuses at run time
//! (`a_template_from_the_message_is_refused`). None is skipped; none needs
//! JSONata or JavaScript.

#[path = "../../runtime/tests/node_support/mod.rs"]
mod node_support;
mod psosc_to_runtime;

use node_support::{run, sent_only, Outcome};
use psos::nodes::{Name, Template, TemplateBody, Token};
use psos::{ErrorKind, NodeInfo};
use psosc::ir::{NodeKind, TemplateName, TemplateToken};
use psosc_to_runtime::{const_value, leak, leak_str, property, CaseStores};

/// The bytes each context store has in these cases.
const STORE: usize = 512;

/// A mustache name as generated code holds it, built from the IR.
fn name(name: &TemplateName) -> Name {
    Name {
        parts: leak(name.parts.iter().map(|part| leak_str(part)).collect()),
        fallback: name.fallback.as_deref().map(leak_str),
        context: name.context.as_ref().map(property),
    }
}

/// The environment psosc runs in for these cases.
fn environment(name: &str) -> Option<String> {
    (name == "TEST").then(|| "xyzzy".to_string())
}

/// psosc's diagnostics for a flow of one node, and the node if it lowers.
fn check_node(node: &str) -> (Option<NodeKind>, Vec<String>) {
    let (flow, errors) =
        psosc_to_runtime::check("template.json", format!("[{node}]"), &environment);
    let kind = flow.and_then(|flow| flow.nodes.into_iter().next().map(|node| node.kind));
    (kind, errors)
}

/// The runtime's node for a template node as the flow writes it, with
/// empty stores.
fn template(case: &'static str, node: &str) -> Template<STORE> {
    template_with_stores(case, node, &mut CaseStores::new(&[]))
}

/// The runtime's node for a template node as the flow writes it, given
/// its stores from `stores`.
fn template_with_stores(
    case: &'static str,
    node: &str,
    stores: &mut CaseStores<STORE>,
) -> Template<STORE> {
    let (kind, errors) = check_node(node);
    let Some(NodeKind::Template(template)) = kind else {
        panic!("{case}: the node does not lower: {errors:#?}");
    };
    let body = match &template.body {
        psosc::ir::TemplateBody::Mustache { tokens, json } => TemplateBody::Mustache {
            tokens: leak(
                tokens
                    .iter()
                    .map(|token| match token {
                        TemplateToken::Text(text) => Token::Text(leak_str(text)),
                        TemplateToken::Value { name: n, escape } => Token::Value {
                            name: name(n),
                            escape: *escape,
                        },
                        TemplateToken::Section {
                            name: n,
                            inverted,
                            end,
                        } => Token::Section {
                            name: name(n),
                            inverted: *inverted,
                            end: *end,
                        },
                    })
                    .collect(),
            ),
            json: *json,
        },
        psosc::ir::TemplateBody::Plain(value) => TemplateBody::Plain(const_value(value)),
    };
    Template::with_context(
        NodeInfo::new(case, "", "template"),
        property(&template.field),
        body,
        template.empty,
        stores.for_node(&template.scopes()),
    )
}

/// A template node's properties, written as the flow's JSON members.
fn node(properties: &str) -> String {
    format!(r#"{{"id": "n1", "type": "template", {properties}, "wires": [[]]}}"#)
}

fn check(case: &'static str, properties: &str, messages: &[&str], expect: Outcome) {
    let outcome = run(case, &mut template(case, &node(properties)), messages);
    assert_eq!(outcome, expect, "{case}");
}

/// `it(...)` title, the node's properties, the message in, the message out.
type Case = (&'static str, &'static str, &'static str, &'static str);

/// The spec's cases that a device runs as Node-RED does.
#[rustfmt::skip]
const NODE_RED: &[Case] = &[
    ("should modify payload using node-configured template",
        r#""field": "payload", "template": "payload={{payload}}""#,
        r#"{"payload":"foo","topic":"bar","template":"this should be ignored as the node has its own template {{payload}}"}"#,
        r#"{"payload":"payload=foo","topic":"bar","template":"this should be ignored as the node has its own template {{payload}}"}"#),
    ("should modify payload from env variable",
        r#""field": "payload", "template": "payload={{env.TEST}}""#,
        r#"{"payload":"foo","topic":"bar"}"#,
        r#"{"payload":"payload=xyzzy","topic":"bar"}"#),
    ("should handle escape characters in Mustache format and JSON output mode",
        r#""field": "payload", "syntax": "mustache", "template": "{\"data\":\"{{payload}}\"}", "output": "json""#,
        r#"{"payload":"line\t1\nline\\2\r\nline\b3\f"}"#,
        r#"{"payload":{"data":"line\t1\nline\\2\r\nline\b3\f"}}"#),
    ("should modify payload in plain text mode",
        r#""field": "payload", "syntax": "plain", "template": "payload={{payload}}""#,
        r#"{"payload":"foo","topic":"bar"}"#,
        r#"{"payload":"payload={{payload}}","topic":"bar"}"#),
    ("should handle if the field isn't set",
        r#""template": "payload={{payload}}""#,
        r#"{"payload":"foo","topic":"bar"}"#,
        r#"{"payload":"payload=foo","topic":"bar"}"#),
    ("should handle deeper objects",
        r#""field": "topic.foo.bar", "template": "payload={{payload.doh.rei.me}}""#,
        r#"{"payload":{"doh":{"rei":{"me":"foo"}}}}"#,
        r#"{"payload":{"doh":{"rei":{"me":"foo"}}},"topic":{"foo":{"bar":"payload=foo"}}}"#),
    ("should handle block contexts objects",
        r#""template": "A{{#payload.A}}{{payload.A}}{{.}}{{/payload.A}}B""#,
        r#"{"payload":{"A":"abc"}}"#,
        r#"{"payload":"AabcabcB"}"#),
];

#[test]
fn node_red_spec_cases() {
    for (case, properties, input, output) in NODE_RED {
        check(case, properties, &[*input], sent_only(&[*output]));
    }
}

/// "should raise error if passed bad template": Node-RED logs mustache.js's
/// error for every message; psosc refuses the flow, with the same words.
#[test]
fn a_bad_template_is_refused_with_mustache_js_words() {
    let (kind, errors) = check_node(&node(
        r#""field": "payload", "template": "payload={{payload""#,
    ));
    assert_eq!(kind, None);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("Unclosed tag at 17 (line 1, column 18 of the template)"),
        "{errors:#?}"
    );
}

/// One of the spec's cases of flow and global context: the node's
/// properties, the stores before (each by the label `CaseStores` gives
/// it: `flow`, `global`, `flow memory1`, ...; a store not named is empty),
/// the message in, the message out, and the stores after.
type ContextCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The spec's cases of flow and global context, as the template reads it
/// or as the node's result goes to it (`fieldType`), on the tab `t1`. A
/// store name (`flow[memory1]`, `#:(memory1)::`) is a store of its own
/// beside the default one, as in Node-RED with `memory1` in its settings.
#[rustfmt::skip]
const CONTEXT: &[ContextCase] = &[
    ("should modify payload from flow context",
        r#""field": "payload", "template": "payload={{flow.value}}""#,
        &[("flow", r#"{"value":"foo"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo","topic":"bar"}"#,
        &[("flow", r#"{"value":"foo"}"#)]),
    ("should modify payload from persistable flow context",
        r#""field": "payload", "template": "payload={{flow[memory1].value}}""#,
        &[("flow memory1", r#"{"value":"foo"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo","topic":"bar"}"#,
        &[("flow memory1", r#"{"value":"foo"}"#)]),
    ("should handle nested context tags - property not set",
        r#""field": "payload", "template": "{{#flow.time}}time={{flow.time}}{{/flow.time}}{{^flow.time}}!time{{/flow.time}}{{#flow.random}}random={{flow.random}}randomtime={{flow.randomtime}}{{/flow.random}}{{^flow.random}}!random{{/flow.random}}""#,
        &[],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"!time!random","topic":"bar"}"#,
        &[]),
    ("should handle nested context tags - property set",
        r#""field": "payload", "template": "{{#flow.time}}time={{flow.time}}{{/flow.time}}{{^flow.time}}!time{{/flow.time}}{{#flow.random}}random={{flow.random}}randomtime={{flow.randomtime}}{{/flow.random}}{{^flow.random}}!random{{/flow.random}}""#,
        &[("flow", r#"{"time":"123","random":"456","randomtime":"789"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"time=123random=456randomtime=789","topic":"bar"}"#,
        &[("flow", r#"{"time":"123","random":"456","randomtime":"789"}"#)]),
    ("should modify payload from two persistable flow context",
        r#""field": "payload", "template": "payload={{flow[memory1].value}}/{{flow[memory2].value}}""#,
        &[("flow memory1", r#"{"value":"foo"}"#), ("flow memory2", r#"{"value":"bar"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo/bar","topic":"bar"}"#,
        &[("flow memory1", r#"{"value":"foo"}"#), ("flow memory2", r#"{"value":"bar"}"#)]),
    ("should modify payload from global context",
        r#""field": "payload", "template": "payload={{global.value}}""#,
        &[("global", r#"{"value":"foo"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo","topic":"bar"}"#,
        &[("global", r#"{"value":"foo"}"#)]),
    ("should modify payload from persistable global context",
        r#""field": "payload", "template": "payload={{global[memory1].value}}""#,
        &[("global memory1", r#"{"value":"foo"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo","topic":"bar"}"#,
        &[("global memory1", r#"{"value":"foo"}"#)]),
    ("should modify payload from two persistable global context",
        r#""field": "payload", "template": "payload={{global[memory1].value}}/{{global[memory2].value}}""#,
        &[("global memory1", r#"{"value":"foo"}"#), ("global memory2", r#"{"value":"bar"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo/bar","topic":"bar"}"#,
        &[("global memory1", r#"{"value":"foo"}"#), ("global memory2", r#"{"value":"bar"}"#)]),
    ("should modify payload from persistable flow & global context",
        r#""field": "payload", "template": "payload={{flow[memory1].value}}/{{global[memory1].value}}""#,
        &[("flow memory1", r#"{"value":"foo"}"#), ("global memory1", r#"{"value":"bar"}"#)],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=foo/bar","topic":"bar"}"#,
        &[("flow memory1", r#"{"value":"foo"}"#), ("global memory1", r#"{"value":"bar"}"#)]),
    ("should handle missing node context",
        r#""field": "payload", "template": "payload={{flow.value}},{{global.value}}""#,
        &[],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"payload=,","topic":"bar"}"#,
        &[]),
    ("should modify flow context",
        r#""field": "payload", "fieldType": "flow", "template": "payload={{payload}}""#,
        &[],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"foo","topic":"bar"}"#,
        &[("flow", r#"{"payload":"payload=foo"}"#)]),
    ("should modify persistable flow context",
        r##""field": "#:(memory1)::payload", "fieldType": "flow", "template": "payload={{payload}}""##,
        &[],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"foo","topic":"bar"}"#,
        &[("flow memory1", r#"{"payload":"payload=foo"}"#)]),
    ("should modify global context",
        r#""field": "payload", "fieldType": "global", "template": "payload={{payload}}""#,
        &[],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"foo","topic":"bar"}"#,
        &[("global", r#"{"payload":"payload=foo"}"#)]),
    ("should modify persistable global context",
        r##""field": "#:(memory1)::payload", "fieldType": "global", "template": "payload={{payload}}""##,
        &[],
        r#"{"payload":"foo","topic":"bar"}"#, r#"{"payload":"foo","topic":"bar"}"#,
        &[("global memory1", r#"{"payload":"payload=foo"}"#)]),
];

/// Runs a template node on the tab `t1` with flow and global context
/// holding `before`, and compares what leaves and what the stores hold
/// after.
fn check_with_context(
    case: &'static str,
    properties: &str,
    before: [&str; 2],
    messages: &[&str],
    expect: Outcome,
    after: [&str; 2],
) {
    check_with_stores(
        case,
        properties,
        &[("flow", before[0]), ("global", before[1])],
        messages,
        expect,
        &[("flow", after[0]), ("global", after[1])],
    );
}

/// Runs a template node on the tab `t1` with its stores holding `before`
/// (by label), and compares what leaves and what the stores hold after.
fn check_with_stores(
    case: &'static str,
    properties: &str,
    before: &[(&str, &str)],
    messages: &[&str],
    expect: Outcome,
    after: &[(&str, &str)],
) {
    let mut stores = CaseStores::new(before);
    let node = format!(
        r#"{{"id": "t1", "type": "tab"}}, {{"id": "n1", "z": "t1", "type": "template", {properties}, "wires": [[]]}}"#
    );
    let mut template = template_with_stores(case, &node, &mut stores);
    let outcome = run(case, &mut template, messages);
    assert_eq!(outcome, expect, "{case}");
    stores.check(case, after);
}

#[test]
fn node_red_context_cases() {
    for (case, properties, before, input, output, after) in CONTEXT {
        check_with_stores(
            case,
            properties,
            before,
            &[*input],
            sent_only(&[*output]),
            after,
        );
    }
    assert_eq!(CONTEXT.len(), 14);
}

/// As Node-RED looks names up: the message first (a message with a
/// `flow` property hides flow context), then context, also inside a
/// section whose context is an item; a key beneath a key (`flow.a.b`);
/// with JSON output, context strings are not escaped as the message's are.
#[test]
fn context_names_are_looked_up_after_the_message() {
    check_with_context(
        "message first",
        r#""template": "{{flow.x}}/{{#payload}}{{flow.x}}{{.}};{{/payload}}{{flow.a.b}}""#,
        [r#"{"x":"F","a":{"b":2}}"#, "{}"],
        &[r#"{"payload":[1,2]}"#, r#"{"payload":[],"flow":{"x":"M"}}"#],
        sent_only(&[
            r#"{"payload":"F/F1;F2;2"}"#,
            r#"{"payload":"M/2","flow":{"x":"M"}}"#,
        ]),
        [r#"{"x":"F","a":{"b":2}}"#, "{}"],
    );
    check_with_context(
        "json output",
        r#""template": "{\"m\":\"{{payload}}\",\"c\":\"{{global.t}}\"}", "output": "json""#,
        ["{}", r#"{"t":"a\\u0041"}"#],
        // A backslash in both: escaped in the message's text only.
        &[r#"{"payload":"a\\u0041"}"#],
        sent_only(&[r#"{"payload":{"m":"a\\u0041","c":"aA"}}"#]),
        ["{}", r#"{"t":"a\\u0041"}"#],
    );
}

/// A result for a context key is parsed as JSON when the output says so,
/// beneath a key (`a.b`), and a `plain` template's value goes there too;
/// the message goes on as it came.
#[test]
fn results_for_context_keys_are_values() {
    check_with_context(
        "json into flow context",
        r#""field": "a.b", "fieldType": "flow", "template": "{\"n\": {{payload}}}", "output": "json""#,
        [r#"{"a":{"c":1}}"#, "{}"],
        &[r#"{"payload":5}"#],
        sent_only(&[r#"{"payload":5}"#]),
        [r#"{"a":{"c":1,"b":{"n":5}}}"#, "{}"],
    );
    check_with_context(
        "plain into global context",
        r#""field": "t", "fieldType": "global", "syntax": "plain", "template": "{{x}}""#,
        ["{}", "{}"],
        &[r#"{"payload":5}"#],
        sent_only(&[r#"{"payload":5}"#]),
        ["{}", r#"{"t":"{{x}}"}"#],
    );
}

/// A key that cannot be read is refused when the flow is checked.
#[test]
fn context_keys_that_cannot_be_read_are_refused() {
    let (kind, errors) = check_node(&node(r#""template": "{{flow.a..b}}""#));
    assert_eq!(kind, None);
    assert!(
        errors.iter().any(|error| error.contains("\"a..b\"")),
        "{errors:#?}"
    );
}

/// "should modify the configured property using msg.template", "should be
/// able to overwrite msg.template using the template from msg.template",
/// "should modify payload from msg.template": a node without a template
/// renders `msg.template` in Node-RED. A device does not parse templates,
/// so it refuses those messages: it logs, counts a bad value, sends nothing.
#[test]
fn a_template_from_the_message_is_refused() {
    let refused = |count: u32| Outcome {
        sent: Vec::new(),
        logged: vec![
            "msg.template: a template from the message is not supported on a device"
                .to_string();
            count as usize
        ],
        errors: vec![(ErrorKind::BadValue, count)],
    };
    check(
        "msg.template, randomProperty",
        r#""field": "randomProperty", "template": """#,
        &[r#"{"payload":"foo","topic":"bar","template":"payload={{payload}}"}"#],
        refused(1),
    );
    check(
        "msg.template, three messages",
        r#""field": "payload", "template": """#,
        &[
            r#"{"payload":"foo","topic":"bar","template":"topic={{topic}}"}"#,
            r#"{"payload":"foo","topic":"another bar","template":"topic={{topic}}"}"#,
            r#"{"payload":"foo","topic":"bar","template":"payload={{payload}}"}"#,
        ],
        refused(3),
    );
    // Without msg.template, an empty template renders as empty text.
    check(
        "empty template, no msg.template",
        r#""template": """#,
        &[r#"{"payload":"foo"}"#],
        sent_only(&[r#"{"payload":""}"#]),
    );
}

/// Cases of our own: the template, the message in, the payload out (as
/// JSON), each what mustache.js renders in Node-RED.
#[rustfmt::skip]
const MUSTACHE: &[(&str, &str, &str)] = &[
    // Values print as JavaScript's String() prints them.
    ("{{payload}}", r#"{"payload":1e21}"#, r#""1e+21""#),
    ("{{payload}}", r#"{"payload":[1,"a",null,[2,3],{"b":1}]}"#, r#""1,a,,2,3,[object Object]""#),
    ("{{payload}}|{{{payload}}}", r#"{"payload":{"a":1}}"#, r#""[object Object]|[object Object]""#),
    ("{{payload}}", r#"{"payload":true}"#, r#""true""#),
    ("[{{payload}}][{{missing}}][{{payload.x.y}}]", r#"{"payload":null}"#, r#""[][][]""#),
    ("{{.}}", r#"{"payload":1}"#, r#""[object Object]""#),
    // HTML escaping, and the two ways of not escaping.
    ("{{payload}} {{{payload}}} {{& payload}}", r#"{"payload":"<a href=\"/x\">'&'`</a>"}"#,
        r#""&lt;a href&#x3D;&quot;&#x2F;x&quot;&gt;&#39;&amp;&#39;&#x60;&lt;&#x2F;a&gt; <a href=\"/x\">'&'`</a> <a href=\"/x\">'&'`</a>""#),
    // Sections: arrays iterate, objects and strings become the context,
    // true renders once, false values and empty arrays skip.
    ("{{#payload}}<{{.}}>{{/payload}}", r#"{"payload":[1,2,3]}"#, r#""<1><2><3>""#),
    ("{{#payload}}{{name}}={{topic}};{{/payload}}", r#"{"payload":[{"name":"a"},{"name":"b","topic":"own"}],"topic":"t"}"#, r#""a=t;b=own;""#),
    ("{{#payload.on}}yes{{/payload.on}}{{^payload.on}}no{{/payload.on}}", r#"{"payload":{"on":false}}"#, r#""no""#),
    ("{{#payload.on}}yes{{/payload.on}}{{^payload.on}}no{{/payload.on}}", r#"{"payload":{"on":true}}"#, r#""yes""#),
    ("{{#payload}}x{{/payload}}{{^payload}}empty{{/payload}}", r#"{"payload":[]}"#, r#""empty""#),
    ("{{#payload}}x{{/payload}}{{^payload}}none{{/payload}}", r#"{"payload":0}"#, r#""none""#),
    ("{{#payload}}{{#b}}{{c}}{{/b}}{{/payload}}", r#"{"payload":{"b":{"c":"deep"}}}"#, r#""deep""#),
    ("{{#payload}}{{a.b}}{{/payload}}", r#"{"payload":{"a":{}},"a":{"b":"outer"}}"#, r#""outer""#),
    ("{{#payload}}[{{a}}]{{/payload}}", r#"{"payload":{"a":null},"a":"outer"}"#, r#""[]""#),
    // What mustache.js reads off strings, arrays and buffers.
    ("{{payload.length}} {{payload.1}} {{topic.length}} {{topic.0}}", r#"{"payload":["x","y"],"topic":"héllo"}"#, r#""2 y 5 h""#),
    ("{{payload.01}}", r#"{"payload":["x","y"]}"#, r#""""#),
    // Comments, set delimiters, standalone lines.
    ("a{{! not shown }}b", r#"{"payload":1}"#, r#""ab""#),
    ("{{=<% %>=}}<% payload %> {{payload}} <%={{ }}=%>{{payload}}", r#"{"payload":1}"#, r#""1 {{payload}} 1""#),
    ("<ul>\n  {{#payload}}\n  <li>{{.}}</li>\n  {{/payload}}\n</ul>", r#"{"payload":["a","b"]}"#, r#""<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>""#),
    // An environment variable psosc does not know is empty; the message
    // comes first.
    ("[{{env.UNSET}}][{{env.TEST}}]", r#"{"env":{"TEST":"msg"}}"#, r#""[][msg]""#),
];

#[test]
fn mustache_renders_as_mustache_js_does() {
    for (source, input, payload) in MUSTACHE {
        let properties = format!(r#""template": {}"#, serde_json::to_string(source).unwrap());
        let outcome = run(
            "mustache",
            &mut template("mustache", &node(&properties)),
            &[*input],
        );
        let sent = outcome
            .sent
            .first()
            .map(|(_, msg)| msg.clone())
            .unwrap_or_default();
        let got: serde_json::Value = serde_json::from_str(&sent).unwrap_or_default();
        let want: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(got["payload"], want, "{source} on {input} (sent {sent})");
        assert!(outcome.errors.is_empty(), "{source}: {outcome:?}");
    }
}

#[test]
fn buffers_print_as_their_text() {
    // A buffer arrives as mqtt in's `buffer` datatype makes it; here it is
    // written as the wire form of a message.
    let outcome = run(
        "buffer",
        &mut template(
            "buffer",
            &node(r#""template": "{{payload}} {{payload.length}} {{payload.0}}""#),
        ),
        &[r#"{"payload":{"type":"Buffer","data":[104,105,255]}}"#],
    );
    assert_eq!(outcome, sent_only(&["{\"payload\":\"hi\u{fffd} 3 104\"}"]));
}

#[test]
fn json_output_that_does_not_parse_is_an_error() {
    let outcome = run(
        "not json",
        &mut template(
            "not json",
            &node(r#""template": "{{payload}}", "output": "json""#),
        ),
        &[r#"{"payload":"{oops"}"#],
    );
    assert!(outcome.sent.is_empty(), "{outcome:?}");
    // Node-RED's `done(err.message)`: V8's words for `JSON.parse`'s error.
    assert_eq!(
        outcome.logged,
        ["Expected property name or '}' in JSON at position 1"],
        "{outcome:?}"
    );
    assert_eq!(outcome.errors, [(ErrorKind::BadValue, 1)]);
    // Only the outermost context's strings are escaped for JSON, as in
    // Node-RED: inside a section, a backslash stays as it is, and the text
    // is no longer JSON.
    let message = r#"{"payload":{"b":"x\\y"}}"#;
    check(
        "json outermost",
        r#""template": "\"{{payload.b}}\"", "output": "json""#,
        &[message],
        sent_only(&[r#"{"payload":"x\\y"}"#]),
    );
    let inner = run(
        "json inner",
        &mut template(
            "json inner",
            &node(r#""template": "{{#payload}}\"{{b}}\"{{/payload}}", "output": "json""#),
        ),
        &[message],
    );
    assert_eq!(inner.errors, [(ErrorKind::BadValue, 1)], "{inner:?}");
}

#[test]
fn plain_json_is_parsed_once_when_the_flow_is_built() {
    check(
        "plain json",
        r#""syntax": "plain", "template": "{\"a\": [1, \"{{b}}\"]}", "output": "json""#,
        &[r#"{"payload":"x"}"#],
        sent_only(&[r#"{"payload":{"a":[1,"{{b}}"]}}"#]),
    );
}

#[test]
fn a_result_that_does_not_fit_is_an_error() {
    let outcome = run(
        "oversize",
        &mut template(
            "oversize",
            &node(r#""template": "{{payload}}{{payload}}{{payload}}""#),
        ),
        &[&format!(r#"{{"payload":"{}"}}"#, "x".repeat(200))],
    );
    assert_eq!(
        outcome,
        Outcome {
            errors: vec![(ErrorKind::Oversize, 1)],
            ..Outcome::default()
        }
    );
}
