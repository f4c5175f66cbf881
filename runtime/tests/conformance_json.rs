//! Node-RED's `json` node, held to Node-RED's own tests: the cases of
//! `test/nodes/core/parsers/70-JSON_spec.js` (Node-RED 4.x) as data, and
//! cases of our own for what `70-JSON.js` does beyond them.
//!
//! All 26 cases there are here: the 11 that check the value against the
//! JSON schema in `msg.schema` in `node_red_schema_spec_cases`
//! (`json_schema_ajv.rs` holds the checks against Ajv itself).

mod node_support;

use node_support::{run, sent_only, Outcome};
use psos::nodes::{Json, JsonAction, PRETTY_INDENT};
use psos::{Device, ErrorKind, Msg, NodeInfo, PathSegment};

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

/// The spec's schema, and values that hold and do not hold to it.
const SCHEMA: &str = r#"{"title":"testSchema","type":"object","properties":{"number":{"type":"number"},"string":{"type":"string"}}}"#;
const VALID: &str = r#"{"number":3,"string":"allo"}"#;
const INVALID: &str = r#"{"number":"foo","string":3}"#;
const INVALID_TEXT: &str = r#"{"number":"Hello","string":3}"#;

/// The spec's error for its invalid values: `json.errors.schema-error`
/// and Ajv's `errorsText`.
const INVALID_ERROR: &str =
    "JSON Schema error: data/number must be number, data/string must be string";

/// A schema's error: logged, and a bad value counted, nothing sent.
fn schema_error(logged: &str) -> Outcome {
    Outcome {
        logged: vec![logged.to_string()],
        errors: vec![(ErrorKind::BadValue, 1)],
        ..Outcome::default()
    }
}

/// The 11 cases of the spec that check against `msg.schema`.
#[test]
fn node_red_schema_spec_cases() {
    let spaced = as_string(r#"{"number": 3, "string": "allo"}"#);
    let valid_text = as_string(VALID);
    let invalid_text = as_string(INVALID_TEXT);
    let passes = |payload: &str| sent_only(&[&format!(r#"{{"payload":{payload}}}"#)]);
    // Each: the case, the node's action, `msg.payload`, what happens.
    let cases = [
        ("should pass an object if provided a valid JSON string and schema", Convert, spaced.as_str(), passes(VALID)),
        ("should pass an object if provided a valid object and schema and action is object", AlwaysObject, VALID, passes(VALID)),
        ("should pass a string if provided a valid object and schema", Convert, VALID, passes(&valid_text)),
        ("should pass a string if provided a valid JSON string and schema and action is string", AlwaysString, &valid_text, passes(&valid_text)),
        ("should log an error if passed an invalid object and valid schema", Convert, INVALID, schema_error(INVALID_ERROR)),
        ("should log an error if passed an invalid object and valid schema and action is object", AlwaysObject, INVALID, schema_error(INVALID_ERROR)),
        ("should log an error if passed an invalid JSON string and valid schema", Convert, &invalid_text, schema_error(INVALID_ERROR)),
        ("should log an error if passed an invalid JSON string and valid schema and action is string", AlwaysString, &invalid_text, schema_error(INVALID_ERROR)),
        // The next two look only at `msg.schema`; the whole message is here.
        ("msg.schema property should be deleted before sending to next node (string input)", AlwaysString, &valid_text, passes(&valid_text)),
        ("msg.schema property should be deleted before sending to next node (object input)", AlwaysString, VALID, passes(&valid_text)),
    ];
    for (case, action, payload, expect) in cases {
        check(
            case,
            (action, PAYLOAD, false),
            &[&format!(r#"{{"payload":{payload},"schema":{SCHEMA}}}"#)],
            expect,
        );
    }
    check(
        "should log an error if passed a valid object and invalid schema",
        (Convert, PAYLOAD, false),
        &[&format!(r#"{{"payload":{INVALID},"schema":"garbage"}}"#)],
        schema_error("JSON Schema error: failed to compile schema"),
    );
}

/// What Node-RED's catch node would be given: the message as the node
/// left it (`None` when it sent it on), and the error's text.
fn caught<const N: usize>(
    (action, path): (JsonAction, &'static [PathSegment<'static>]),
    input: &str,
) -> (Option<String>, Option<String>, Vec<(ErrorKind, u32)>) {
    let node = Json::new(NodeInfo::new("caught", "", "json"), path, action, false);
    let device = Device::new("caught", "conformance");
    let mut msg = Msg::<N>::from_json(input.as_bytes()).expect("reads");
    let mut sent = false;
    node.input(&device, &mut msg, &mut |_: usize, _: &mut Msg<N>| {
        sent = true
    });
    let left = (!sent).then(|| format!("{msg:?}"));
    let error = device
        .take_error()
        .map(|reported| reported.message.as_str().to_string());
    (left, error, device.errors_seen().collect())
}

/// A value the schema refuses: the message keeps `msg.schema` and gets
/// Ajv's errors in `msg.schemaError`, the property as the node had made
/// it (parsed, or not yet written as text), and catch nodes Node-RED's
/// text; nothing is sent.
#[test]
fn schema_errors_are_ajvs_in_msg_schema_error() {
    let errors = r##"[{"instancePath":"/number","schemaPath":"#/properties/number/type","keyword":"type","params":{"type":"number"},"message":"must be number"},{"instancePath":"/string","schemaPath":"#/properties/string/type","keyword":"type","params":{"type":"string"},"message":"must be string"}]"##;
    for (action, payload, left) in [
        (Convert, as_string(INVALID), INVALID.to_string()),
        (AlwaysObject, as_string(INVALID), INVALID.to_string()),
        (AlwaysString, as_string(INVALID), as_string(INVALID)),
        (Convert, INVALID.to_string(), INVALID.to_string()),
        (AlwaysObject, INVALID.to_string(), INVALID.to_string()),
    ] {
        let input = format!(r#"{{"payload":{payload},"schema":{SCHEMA}}}"#);
        assert_eq!(
            caught::<1024>((action, PAYLOAD), &input),
            (
                Some(format!(
                    r#"{{"payload":{left},"schema":{SCHEMA},"schemaError":{errors}}}"#
                )),
                Some(INVALID_ERROR.to_string()),
                vec![(ErrorKind::BadValue, 1)],
            ),
            "{action:?} {payload}"
        );
    }
}

/// A schema that is not set (null, false, "", 0) checks nothing and stays;
/// one that is set is compiled first, even for a message without the
/// property, which then passes on with its schema.
#[test]
fn a_schema_is_checked_only_when_set() {
    check(
        "no schema",
        (Convert, PAYLOAD, false),
        &[
            r#"{"payload":"3","schema":""}"#,
            r#"{"payload":"3","schema":null}"#,
            r#"{"payload":"3","schema":false}"#,
            r#"{"payload":"3","schema":0}"#,
        ],
        sent_only(&[
            r#"{"payload":3,"schema":""}"#,
            r#"{"payload":3,"schema":null}"#,
            r#"{"payload":3,"schema":false}"#,
            r#"{"payload":3,"schema":0}"#,
        ]),
    );
    check(
        "no property",
        (Convert, PAYLOAD, false),
        &[
            r#"{"topic":"t","schema":{"type":"string"}}"#,
            r#"{"topic":"t","schema":{"foo":1}}"#,
        ],
        Outcome {
            sent: vec![(0, r#"{"topic":"t","schema":{"type":"string"}}"#.to_string())],
            logged: vec!["JSON Schema error: failed to compile schema".to_string()],
            errors: vec![(ErrorKind::BadValue, 1)],
        },
    );
    check(
        "schema true",
        (Convert, PAYLOAD, false),
        &[r#"{"payload":"[1]","schema":true}"#],
        sent_only(&[r#"{"payload":[1]}"#]),
    );
}

/// Node-RED checks `msg[property]` after parsing, and parses
/// `msg[property]` with action "str": for a property below the top of the
/// message that is `undefined`, which no type holds, and which
/// `JSON.parse` throws on (as it throws on text that is not JSON),
/// reported as the error's `toString()`.
#[test]
fn what_node_red_checks_for_a_property_below_the_top() {
    let schema = r#"{"type":"object","required":["a"]}"#;
    let input = format!(r#"{{"one":{{"two":"{{\"a\":1}}"}},"schema":{schema}}}"#);
    let undefined = r##"[{"instancePath":"","schemaPath":"#/type","keyword":"type","params":{"type":"object"},"message":"must be object"}]"##;
    assert_eq!(
        caught::<512>((Convert, ONE_TWO), &input),
        (
            Some(format!(
                r#"{{"one":{{"two":{{"a":1}}}},"schema":{schema},"schemaError":{undefined}}}"#
            )),
            Some("JSON Schema error: data must be object".to_string()),
            vec![(ErrorKind::BadValue, 1)],
        )
    );
    assert_eq!(
        caught::<512>((AlwaysString, ONE_TWO), &input).1.as_deref(),
        Some(r#"SyntaxError: "undefined" is not valid JSON"#)
    );
    let not_json = format!(r#"{{"payload":"foo","schema":{schema}}}"#);
    assert_eq!(
        caught::<512>((AlwaysString, PAYLOAD), &not_json)
            .1
            .as_deref(),
        Some(r#"SyntaxError: Unexpected token 'o', "foo" is not valid JSON"#)
    );
}

/// What a device does not check is refused with Node-RED's compile error
/// and the keyword: never passed unchecked.
#[test]
fn keywords_a_device_does_not_check_are_named() {
    for (schema, keyword) in [
        (r#"{"pattern":"^a"}"#, "pattern"),
        (r##"{"$ref":"#"}"##, "$ref"),
        (r#"{"properties":{"a":{"oneOf":[{}]}}}"#, "oneOf"),
        (r#"{"items":[{}]}"#, "items"),
    ] {
        let input = format!(r#"{{"payload":"\"a\"","schema":{schema}}}"#);
        assert_eq!(
            caught::<512>((Convert, PAYLOAD), &input),
            (
                Some(input.clone()),
                Some(format!(
                    r#"JSON Schema error: failed to compile schema: a device does not check "{keyword}""#
                )),
                vec![(ErrorKind::BadValue, 1)],
            ),
        );
    }
}

/// Hostile schemas: nested as deep as a device checks and deeper, limits at the ends
/// of `f64`, values that are not schemas.
#[test]
fn hostile_schemas() {
    // As many schemas nested as a device checks, `items` in `items`, and
    // values as deep; one more is refused.
    let depth = psos::nodes::MAX_SCHEMA_DEPTH;
    let nested = |depth: usize| {
        format!(
            "{}{{\"type\":\"string\"}}{}",
            "{\"items\":".repeat(depth - 1),
            "}".repeat(depth - 1)
        )
    };
    let value = |leaf: &str| format!("{}{leaf}{}", "[".repeat(depth - 1), "]".repeat(depth - 1));
    let input = format!(
        r#"{{"payload":{},"schema":{}}}"#,
        value("\"x\""),
        nested(depth)
    );
    assert_eq!(caught::<1024>((AlwaysObject, PAYLOAD), &input).0, None);
    let input = format!(r#"{{"payload":{},"schema":{}}}"#, value("1"), nested(depth));
    let (left, error, _) = caught::<1024>((AlwaysObject, PAYLOAD), &input);
    assert!(left.is_some_and(|left| left.contains(r#""instancePath":"/0/0/0/0/0/0/0""#)));
    assert_eq!(
        error.as_deref(),
        Some("JSON Schema error: data/0/0/0/0/0/0/0 must be string")
    );
    let input = format!(
        r#"{{"payload":{},"schema":{}}}"#,
        value("1"),
        nested(depth + 1)
    );
    assert_eq!(
        caught::<1024>((AlwaysObject, PAYLOAD), &input).1.as_deref(),
        Some("JSON Schema error: failed to compile schema: schemas nested deeper than 8")
    );
    let deep_additional = format!(
        "{}{{}}{}",
        r#"{"additionalProperties":"#.repeat(depth),
        "}".repeat(depth)
    );
    let input = format!(r#"{{"payload":1,"schema":{deep_additional}}}"#);
    assert_eq!(
        caught::<1024>((AlwaysObject, PAYLOAD), &input).1.as_deref(),
        Some("JSON Schema error: failed to compile schema: schemas nested deeper than 8")
    );
    // Limits at the ends of f64, printed as JavaScript prints them.
    let input = r#"{"payload":1.7976931348623157e308,"schema":{"exclusiveMaximum":1.7976931348623157e308,"minimum":5e-324}}"#;
    assert_eq!(
        caught::<1024>((AlwaysObject, PAYLOAD), input).1.as_deref(),
        Some("JSON Schema error: data must be < 1.7976931348623157e+308")
    );
    let input = r#"{"payload":0,"schema":{"minimum":5e-324,"maxLength":1e300}}"#;
    assert_eq!(
        caught::<1024>((AlwaysObject, PAYLOAD), input).1.as_deref(),
        Some("JSON Schema error: data must be >= 5e-324")
    );
    // Not schemas.
    for schema in [
        r#""garbage""#,
        "5",
        "[1]",
        "[]",
        r#"{"type":"foo"}"#,
        r#"{"minLength":-1}"#,
    ] {
        let input = format!(r#"{{"payload":1,"schema":{schema}}}"#);
        assert_eq!(
            caught::<512>((AlwaysObject, PAYLOAD), &input).1.as_deref(),
            Some("JSON Schema error: failed to compile schema"),
            "{schema}"
        );
    }
}

/// Errors that do not fit the message leave `msg.schemaError` unset, and
/// the error says so; an oversize is counted besides.
#[test]
fn errors_that_do_not_fit_are_said_not_to() {
    let input = r#"{"payload":[1,2,3,4,5,6,7,8,9,10],"schema":{"items":{"type":"string"}}}"#;
    let (left, error, errors) = caught::<256>((AlwaysObject, PAYLOAD), input);
    assert_eq!(left.as_deref(), Some(input));
    let error = error.expect("an error");
    assert!(
        error.starts_with(
            "JSON Schema error (msg.schemaError does not fit the message): data/0 must be string, "
        ),
        "{error}"
    );
    assert_eq!(
        errors,
        vec![(ErrorKind::BadValue, 1), (ErrorKind::Oversize, 1)]
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

/// A node built without the check (psosc found nothing in its flow that
/// sets `msg.schema`) converts as the checking node does, and refuses a
/// message that comes with a schema anyway rather than pass it unchecked.
#[test]
fn a_node_without_the_check_refuses_a_schema_it_is_given() {
    let node = Json::without_schema_check(
        NodeInfo::new("unchecked", "", "json"),
        PAYLOAD,
        Convert,
        false,
    );
    for (input, expect_sent, expect_error) in [
        (r#"{"payload":"{\"a\":1}"}"#, Some(r#"{"payload":{"a":1}}"#), None),
        (r#"{"payload":"3","schema":false}"#, Some(r#"{"payload":3,"schema":false}"#), None),
        (
            &*format!(r#"{{"payload":{},"schema":{SCHEMA}}}"#, as_string(INVALID)),
            None,
            Some("JSON Schema error: this json node was built without the check against msg.schema, as no node whose messages reach it sets msg.schema"),
        ),
    ] {
        let device = Device::new("unchecked", "conformance");
        let mut msg = Msg::<1024>::from_json(input.as_bytes()).expect("reads");
        let mut sent = None;
        node.input(&device, &mut msg, &mut |_: usize, msg: &mut Msg<1024>| {
            sent = Some(format!("{msg:?}"))
        });
        let error = device
            .take_error()
            .map(|reported| reported.message.as_str().to_string());
        assert_eq!(sent.as_deref(), expect_sent, "{input}");
        assert_eq!(error.as_deref(), expect_error, "{input}");
    }
}
