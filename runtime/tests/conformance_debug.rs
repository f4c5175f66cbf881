//! Node-RED's `debug` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/common/21-debug_spec.js` (Node-RED 4.x) that read what
//! the node hands the editor's debug sidebar, as data. A device mirrors that
//! message to its debug topic; here each case is a message given to the
//! node and the sidebar message's JSON that it publishes, in the order the
//! device writes the members (Node-RED's tests compare them in any order).
//!
//! Of the 35 cases there: 23 run here; "should be loaded" is in
//! `compiler/tests/lowering.rs` (`debug_defaults_are_node_reds`); the 6
//! that drive the editor's admin API (`/debug/:id/enable`,
//! `/debug/:id/disable`, bulk disable, their answers) run in
//! `conformance_control.rs`, as requests on a device's control topics; 5
//! are skipped: 3 give values a message on a device cannot hold (an
//! `Error`, `NaN`, an object with circular references), 1 needs JSONata
//! ("should publish complete message with edit"), and "should return the
//! view.html" serves the editor's sidebar page, which a device has none of.

use psos::nodes::{Debug, DebugTarget, Sidebar};
use psos::{Device, Msg, NodeInfo, PathSegment, ValueRef};

/// Large enough for the cases with a thousand items.
type Big = Msg<32768>;

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// The sidebar message a debug node `n1` outside any tab publishes for a
/// message written as JSON, as text.
fn sidebar(
    name: Option<&'static str>,
    target: DebugTarget,
    property: Option<&'static str>,
    input: &str,
) -> String {
    let node = Debug::new(NodeInfo::new("n1", name.unwrap_or(""), "debug"), target).with_sidebar(
        Sidebar {
            topic: "psos/spec/device/debug",
            z: None,
            path: "global",
            name,
            property,
        },
    );
    let device = Device::new("conformance-debug", "conformance");
    let mut msg =
        Big::from_json(input.as_bytes()).unwrap_or_else(|error| panic!("{input}: {error}"));
    let mut published = Vec::new();
    node.input(&device, &mut msg, &mut |port: usize, carried: &mut Big| {
        let (Some(ValueRef::Str(topic)), Some(ValueRef::Bytes(payload))) =
            (carried.topic(), carried.payload())
        else {
            panic!("not a carried message: {carried:?}");
        };
        assert_eq!((port, topic), (0, "psos/spec/device/debug"));
        published.push(String::from_utf8(payload.to_vec()).unwrap());
    });
    let [one] = published.as_slice() else {
        panic!("{input}: {published:?}");
    };
    one.clone()
}

/// `it(...)` title, the message in, the sidebar's `msg` and `format`.
type Case = (&'static str, &'static str, &'static str, &'static str);

/// The cases of a node on `payload` without a name (`{id: "n1", type: "debug"}`).
#[rustfmt::skip]
const PAYLOAD_CASES: &[Case] = &[
    ("should publish to console", r#"{"payload":"test"}"#, "test", "string[4]"),
    ("should publish a boolean", r#"{"payload":true}"#, "true", "boolean"),
    ("should publish a number", r#"{"payload":7}"#, "7", "number"),
    ("should publish with no payload", r#"{}"#, "(undefined)", "undefined"),
    ("should publish a null", r#"{"payload":null}"#, "(undefined)", "null"),
    ("should publish an object", r#"{"payload":{"type":"foo"}}"#, r#"{\"type\":\"foo\"}"#, "Object"),
    ("should publish an object with no-prototype-builtins", r#"{"payload":{"type":"foo"}}"#, r#"{\"type\":\"foo\"}"#, "Object"),
    ("should publish an object with overriden hasOwnProperty", r#"{"payload":{"type":"foo","hasOwnProperty":null}}"#,
        r#"{\"type\":\"foo\",\"hasOwnProperty\":null}"#, "Object"),
    ("should publish an array", r#"{"payload":[0,1,2,3]}"#, "[0,1,2,3]", "array[4]"),
    ("should publish an object to console", r#"{"payload":{"type":"foo"}}"#, r#"{\"type\":\"foo\"}"#, "Object"),
    ("should publish a string after a newline to console if the string contains \\n", r#"{"payload":"test\ntest"}"#,
        r#"test\ntest"#, "string[9]"),
    ("should convert Buffer to hex", r#"{"payload":{"type":"Buffer","data":[72,69,76,76,79]}}"#, "48454c4c4f", "buffer[5]"),
];

fn expect(name: Option<&str>, property: Option<&str>, msg: &str, format: &str) -> String {
    let name = name.map_or(String::new(), |name| format!(r#","name":"{name}""#));
    let property = property.map_or(String::new(), |property| {
        format!(r#","property":"{property}""#)
    });
    format!(r#"{{"id":"n1","path":"global"{name}{property},"msg":"{msg}","format":"{format}"}}"#)
}

#[test]
fn the_sidebar_gets_each_kind_of_value_as_node_red_encodes_it() {
    for (case, input, msg, format) in PAYLOAD_CASES {
        assert_eq!(
            sidebar(None, DebugTarget::Property(PAYLOAD), Some("payload"), input),
            expect(None, Some("payload"), msg, format),
            "{case}"
        );
    }
}

#[test]
fn should_publish_on_input() {
    assert_eq!(
        sidebar(
            Some("Debug"),
            DebugTarget::Property(PAYLOAD),
            Some("payload"),
            r#"{"payload":"test"}"#
        ),
        expect(Some("Debug"), Some("payload"), "test", "string[4]")
    );
}

#[test]
fn should_publish_complete_message_and_to_console() {
    // "should publish complete message" and "... to console".
    for _ in 0..2 {
        assert_eq!(
            sidebar(
                None,
                DebugTarget::WholeMessage,
                None,
                r#"{"payload":"test"}"#
            ),
            expect(None, None, r#"{\"payload\":\"test\"}"#, "Object")
        );
    }
}

#[test]
fn should_publish_other_and_multi_level_properties() {
    const FOO: &[PathSegment<'static>] = &[PathSegment::Key("foo")];
    const FOO_BAR: &[PathSegment<'static>] = &[PathSegment::Key("foo"), PathSegment::Key("bar")];
    assert_eq!(
        sidebar(
            None,
            DebugTarget::Property(FOO),
            Some("foo"),
            r#"{"payload":"test","foo":"bar"}"#
        ),
        expect(None, Some("foo"), "bar", "string[3]")
    );
    assert_eq!(
        sidebar(
            None,
            DebugTarget::Property(FOO_BAR),
            Some("foo.bar"),
            r#"{"payload":"test","foo":{"bar":"bar"}}"#
        ),
        expect(None, Some("foo.bar"), "bar", "string[3]")
    );
}

/// JSON text of `count` copies of `item`, joined by commas.
fn repeated(item: &str, count: usize) -> String {
    vec![item; count].join(",")
}

#[test]
fn long_values_are_cut_as_node_red_cuts_them() {
    let x1000 = "X".repeat(1000);
    let cases = [
        (
            "should truncate a long message",
            format!(r#"{{"payload":"{x1000}X"}}"#),
            format!("{x1000}..."),
            "string[1001]",
        ),
        (
            "should truncate a long string in the object",
            format!(r#"{{"payload":{{"foo":"{x1000}X"}}}}"#),
            format!(r#"{{\"foo\":\"{x1000}...\"}}"#),
            "Object",
        ),
        (
            "should truncate a large array",
            format!(r#"{{"payload":[{}]}}"#, repeated(r#""X""#, 1001)),
            format!(
                r#"{{\"__enc__\":true,\"type\":\"array\",\"data\":[{}],\"length\":1001}}"#,
                repeated(r#"\"X\""#, 1000)
            ),
            "array[1001]",
        ),
        (
            "should truncate a large array in the object",
            format!(r#"{{"payload":{{"foo":[{}]}}}}"#, repeated(r#""X""#, 1001)),
            format!(
                r#"{{\"foo\":{{\"__enc__\":true,\"type\":\"array\",\"data\":[{}],\"length\":1001}}}}"#,
                repeated(r#"\"X\""#, 1000)
            ),
            "Object",
        ),
        (
            "should truncate a large buffer",
            format!(
                r#"{{"payload":{{"type":"Buffer","data":[{}]}}}}"#,
                repeated("34", 501)
            ),
            "2".repeat(1000),
            "buffer[501]",
        ),
        (
            "should truncate a large buffer in the object",
            format!(
                r#"{{"payload":{{"foo":{{"type":"Buffer","data":[{}]}}}}}}"#,
                repeated("88", 1001)
            ),
            format!(
                r#"{{\"foo\":{{\"type\":\"Buffer\",\"data\":[{}],\"__enc__\":true,\"length\":1001}}}}"#,
                repeated("88", 1000)
            ),
            "Object",
        ),
    ];
    for (case, input, msg, format) in cases {
        assert_eq!(
            sidebar(
                None,
                DebugTarget::Property(PAYLOAD),
                Some("payload"),
                &input
            ),
            expect(None, Some("payload"), &msg, format),
            "{case}"
        );
    }
}
