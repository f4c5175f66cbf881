//! Node-RED's `json` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/parsers/70-JSON_spec.js` (Node-RED 4.x) as data, and
//! cases of our own for what `70-JSON.js` does beyond them.
//!
//! Of the 26 cases there, 15 are here. The other 11 validate the value
//! against a JSON schema in `msg.schema`, which needs a JSON-schema
//! validator (Node-RED uses Ajv); a device has none, and refuses a message
//! that carries a schema instead (`a_schema_is_refused` below).

mod node_support;

use node_support::{run, sent_only, Outcome};
use psos::nodes::{Json, JsonAction, PRETTY_INDENT};
use psos::{ErrorKind, NodeInfo, PathSegment};

use JsonAction::{AlwaysObject, AlwaysString, Convert};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];
const ONE_TWO: &[PathSegment<'static>] = &[PathSegment::Key("one"), PathSegment::Key("two")];

/// The employees of Node-RED's tests, as an object and as text.
const EMPLOYEES: &str = r#"{"employees":[{"firstName":"John","lastName":"Smith"}]}"#;
const EMPLOYEES_TEXT: &str = r#"{"employees":[{"firstName":"John", "lastName":"Smith"}]}"#;

/// Sends each message (as JSON) through a json node.
fn check(
    case: &'static str,
    (action, path, pretty): (JsonAction, &'static [PathSegment<'static>], bool),
    messages: &[&str],
    expect: Outcome,
) {
    let mut node = Json::new(NodeInfo::new(case, "", "json"), path, action, pretty);
    assert_eq!(run(case, &mut node, messages), expect, "{case}");
}

/// A message property holding `value` as JSON text, escaped.
fn as_string(value: &str) -> String {
    let mut quoted = String::new();
    psos::ValueRef::Str(value)
        .write_json(&mut quoted)
        .expect("writes");
    quoted
}

/// A buffer holding `text` in UTF-8, as a message's JSON writes it.
fn as_buffer(text: &str) -> String {
    format!(r#"{{"type":"Buffer","data":{:?}}}"#, text.as_bytes())
}

/// The error a JSON text that does not parse leaves: a log line and a bad
/// value counted, and no message.
fn parse_error(logged: &str) -> Outcome {
    Outcome {
        logged: vec![logged.to_string()],
        errors: vec![(ErrorKind::BadValue, 1)],
        ..Outcome::default()
    }
}

#[test]
fn node_red_spec_cases() {
    let text = format!(" {EMPLOYEES_TEXT}\r\n ");
    let parsed = format!(r#"{{"payload":{EMPLOYEES},"topic":"bar"}}"#);
    check(
        "should convert a valid json string to a javascript object",
        (Convert, PAYLOAD, false),
        &[&format!(
            r#"{{"payload":{},"topic":"bar"}}"#,
            as_string(&text)
        )],
        sent_only(&[&parsed]),
    );
    check(
        "should convert a buffer of a valid json string to a javascript object",
        (AlwaysObject, PAYLOAD, false),
        &[&format!(
            r#"{{"payload":{},"topic":"bar"}}"#,
            as_buffer(&text)
        )],
        sent_only(&[&parsed]),
    );
    check(
        "should convert a javascript object to a json string",
        (Convert, PAYLOAD, false),
        &[&format!(r#"{{"payload":{EMPLOYEES}}}"#)],
        sent_only(&[&format!(r#"{{"payload":{}}}"#, as_string(EMPLOYEES))]),
    );
    for (case, input, output) in [
        (
            "should convert a array to a json string",
            "[1,2,3]",
            r#""[1,2,3]""#,
        ),
        (
            "should convert a boolean to a json string",
            "true",
            r#""true""#,
        ),
        (
            "should convert a json string to a boolean",
            r#""true""#,
            "true",
        ),
        (
            "should convert a number to a json string",
            "2019",
            r#""2019""#,
        ),
        (
            "should convert a json string to a number",
            r#""1962""#,
            "1962",
        ),
    ] {
        check(
            case,
            (Convert, PAYLOAD, false),
            &[&format!(r#"{{"payload":{input}}}"#)],
            sent_only(&[&format!(r#"{{"payload":{output}}}"#)]),
        );
    }
    // Node-RED logs V8's words at error level (its spec matches
    // `/^Unexpected token (o|'o')/`); a device logs the same words, and
    // counts a bad value.
    check(
        "should log an error if asked to parse an invalid json string",
        (Convert, PAYLOAD, false),
        &[r#"{"payload":"foo","topic":"bar"}"#],
        parse_error(r#"Unexpected token 'o', "foo" is not valid JSON"#),
    );
    check(
        "should log an error if asked to parse an invalid json string in a buffer",
        (AlwaysObject, PAYLOAD, false),
        &[&format!(
            r#"{{"payload":{},"topic":"bar"}}"#,
            as_buffer(r#"{"name":foo}"#)
        )],
        parse_error(r#"Unexpected token 'o', "{"name":foo}" is not valid JSON"#),
    );
    check(
        "should pass straight through if no payload set",
        (Convert, PAYLOAD, false),
        &[r#"{"topic":"bar"}"#],
        sent_only(&[r#"{"topic":"bar"}"#]),
    );
    let as_text = format!(r#"{{"payload":{},"topic":"bar"}}"#, as_string(EMPLOYEES));
    let as_object = format!(r#"{{"payload":{EMPLOYEES},"topic":"bar"}}"#);
    check(
        "should ensure the result is a json string",
        (AlwaysString, PAYLOAD, false),
        &[&as_object, &as_text],
        sent_only(&[&as_text, &as_text]),
    );
    check(
        "should ensure the result is a JS Object",
        (AlwaysObject, PAYLOAD, false),
        &[&as_object, &as_text],
        sent_only(&[&as_object, &as_object]),
    );
    check(
        "should handle any msg property - receive existing string",
        (Convert, ONE_TWO, false),
        &[&format!(
            r#"{{"payload":"","one":{{"two":{}}},"topic":"bar"}}"#,
            as_string(EMPLOYEES_TEXT)
        )],
        sent_only(&[&format!(
            r#"{{"payload":"","one":{{"two":{EMPLOYEES}}},"topic":"bar"}}"#
        )]),
    );
    check(
        "should handle any msg property - receive existing obj",
        (Convert, ONE_TWO, false),
        &[&format!(
            r#"{{"payload":"","one":{{"two":{EMPLOYEES}}},"topic":"bar"}}"#
        )],
        sent_only(&[&format!(
            r#"{{"payload":"","one":{{"two":{}}},"topic":"bar"}}"#,
            as_string(EMPLOYEES)
        )]),
    );
}

/// Node-RED validates against `msg.schema` when it is set (truthy); a
/// device cannot, so it logs, counts a bad value and sends nothing. A
/// schema that is not set (null, false, "") changes nothing.
#[test]
fn a_schema_is_refused() {
    let refused = Outcome {
        logged: vec![
            "msg.schema: validation against a JSON schema is not supported on a device".to_string(),
        ],
        errors: vec![(ErrorKind::BadValue, 1)],
        ..Outcome::default()
    };
    check(
        "a schema",
        (Convert, PAYLOAD, false),
        &[r#"{"payload":"{\"number\":3}","schema":{"type":"object"}}"#],
        refused,
    );
    check(
        "no schema",
        (Convert, PAYLOAD, false),
        &[r#"{"payload":"3","schema":""}"#],
        sent_only(&[r#"{"payload":3,"schema":""}"#]),
    );
}

/// Beyond the spec, what `70-JSON.js` does with each kind of value.
#[test]
fn every_kind_of_value_either_way() {
    for (case, action, input, output) in [
        // null is an object to JavaScript: written as text, kept by "obj".
        ("null to text", Convert, "null", r#""null""#),
        ("null kept", AlwaysObject, "null", "null"),
        // Text that holds a JSON string becomes that string.
        ("text of a string", Convert, r#""\"hi\"""#, r#""hi""#),
        // Text passes through "str" as it is, JSON or not.
        ("text kept", AlwaysString, r#""not json""#, r#""not json""#),
        // A buffer passes through "str" as it is too.
        (
            "buffer kept",
            AlwaysString,
            r#"{"type":"Buffer","data":[1]}"#,
            r#"{"type":"Buffer","data":[1]}"#,
        ),
        // JSON.parse makes no Buffer of what looks like one.
        (
            "no buffer from text",
            Convert,
            r#""{\"type\":\"Buffer\",\"data\":[1]}""#,
            r#"{"type":"Buffer","data":[1]}"#,
        ),
        // Numbers are written as JavaScript writes them.
        (
            "numbers",
            Convert,
            "[1e21,0.1,-0,1e-7]",
            r#""[1e+21,0.1,0,1e-7]""#,
        ),
        ("text of a number", Convert, r#"" 1e3 ""#, "1000"),
    ] {
        check(
            case,
            (action, PAYLOAD, false),
            &[&format!(r#"{{"payload":{input}}}"#)],
            sent_only(&[&format!(r#"{{"payload":{output}}}"#)]),
        );
    }
    // What only looks like a Buffer is an object after parsing: written
    // back, it is text again, where a Buffer would have been parsed.
    check(
        "no buffer from text, round trip",
        (Convert, PAYLOAD, false),
        &[r#"{"payload":"{\"type\":\"Buffer\",\"data\":[1]}"}"#],
        sent_only(&[r#"{"payload":{"type":"Buffer","data":[1]}}"#]),
    );
}

/// `pretty` writes as `JSON.stringify(value, null, 4)`.
#[test]
fn pretty_text_is_indented_by_four() {
    assert_eq!(PRETTY_INDENT, 4);
    let value = r#"{"a":[1,{"b":null},[]],"c":{},"d":"x","e":{"type":"Buffer","data":[7,8]}}"#;
    let pretty = [
        "{",
        r#"    "a": ["#,
        "        1,",
        "        {",
        r#"            "b": null"#,
        "        },",
        "        []",
        "    ],",
        r#"    "c": {},"#,
        r#"    "d": "x","#,
        r#"    "e": {"#,
        r#"        "type": "Buffer","#,
        r#"        "data": ["#,
        "            7,",
        "            8",
        "        ]",
        "    }",
        "}",
    ]
    .join("\n");
    check(
        "pretty",
        (Convert, PAYLOAD, true),
        &[&format!(r#"{{"payload":{value}}}"#)],
        sent_only(&[&format!(r#"{{"payload":{}}}"#, as_string(&pretty))]),
    );
    check(
        "pretty, not an object",
        (AlwaysString, PAYLOAD, true),
        &[r#"{"payload":[]}"#, r#"{"payload":5}"#],
        sent_only(&[r#"{"payload":"[]"}"#, r#"{"payload":"5"}"#]),
    );
}

#[test]
fn what_does_not_fit_is_an_error() {
    let case = "no room";
    // The text of a number takes more room than the number.
    let filler = "x".repeat(node_support::CAPACITY - 30);
    let mut node = Json::new(NodeInfo::new(case, "", "json"), PAYLOAD, Convert, false);
    let input = format!(r#"{{"payload":123456789012345678,"f":"{filler}"}}"#);
    assert_eq!(
        run(case, &mut node, &[&input]),
        Outcome {
            errors: vec![(ErrorKind::Oversize, 1)],
            ..Outcome::default()
        }
    );
}
