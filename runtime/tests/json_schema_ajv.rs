//! The json node's check against `msg.schema`, held against the Ajv that
//! Node-RED 4.1.8 ships, set up as `70-JSON.js` sets it up (`allErrors`,
//! the draft-06 meta-schema added): for chosen and random schemas of the
//! subset a device checks, some of them not schemas at all, and random
//! values, whether Ajv compiles the schema, whether the value holds, and
//! the errors (`msg.schemaError`, byte for byte as `JSON.stringify` writes
//! Ajv's) and their text (Node-RED's error, `ajv.errorsText`).
//!
//! Needs `node` on the PATH and Node-RED's packages in
//! `tests/node-red/node_modules`; the test command installs both.

mod json_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use json_support::Rng;
use psos::nodes::{Json, JsonAction};
use psos::{Device, Msg, NodeInfo, PathSegment, ERROR_TEXT_CAPACITY};

/// Room for any of these values with its errors.
const CAPACITY: usize = 16384;

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// Node-RED's text when Ajv does not compile a schema.
const COMPILE_ERROR: &str = "JSON Schema error: failed to compile schema";

/// Reads `[schema, value]` a line and answers, a line each, `compile`
/// when Ajv does not compile the schema, `valid`, or `invalid `, the
/// errors as JSON, ` | ` and `errorsText`.
const AJV_SCRIPT: &str = r#"
const Ajv = require(process.argv[1] + '/ajv');
const ajv = new Ajv({allErrors: true});
ajv.addMetaSchema(require(process.argv[1] + '/ajv/lib/refs/json-schema-draft-06.json'));
console.warn = () => {};
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l.length > 0);
const out = lines.map(line => {
  const [schema, value] = JSON.parse(line);
  let validate;
  try { validate = ajv.compile(schema); } catch (e) { return 'compile'; }
  if (validate(value)) return 'valid';
  return 'invalid ' + JSON.stringify(validate.errors) + ' | ' + ajv.errorsText(validate.errors);
});
process.stdout.write(out.join('\n') + '\n');
"#;

fn ajv(cases: &[(String, String)]) -> Vec<String> {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/node-red/node_modules");
    assert!(
        modules.join("ajv").exists(),
        "run `npm ci` in tests/node-red first"
    );
    let mut child = Command::new("node")
        .arg("-e")
        .arg(AJV_SCRIPT)
        .arg(modules)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts (the test command installs it)");
    let input: String = cases
        .iter()
        .map(|(schema, value)| format!("[{schema},{value}]\n"))
        .collect();
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("node runs");
    writer.join().expect("writes").expect("writes");
    assert!(output.status.success(), "node failed");
    let answers: Vec<String> = String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), cases.len());
    answers
}

/// What a device makes of the value against the schema, in the script's
/// words: a json node with action "obj" given the value as JSON text in
/// `msg.payload` and the schema in `msg.schema`; `None`
/// when it refuses a keyword it does not check.
fn device(case: &(String, String)) -> Option<String> {
    let (schema, value) = case;
    // The value as text, which the node parses and then checks.
    let text = format!(r#"{{"payload":{},"schema":{schema}}}"#, quoted(value));
    let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes())
        .unwrap_or_else(|error| panic!("{text} does not read: {error}"));
    let node = Json::new(
        NodeInfo::new("schema", "", "json"),
        PAYLOAD,
        JsonAction::AlwaysObject,
        false,
    );
    let device = Device::new("json-schema-ajv", "tests");
    let mut sent = false;
    node.input(&device, &mut msg, &mut |_: usize, _: &mut Msg<CAPACITY>| {
        sent = true
    });
    if sent {
        return Some("valid".to_string());
    }
    let reported = device.take_error().expect("an error when nothing is sent");
    let message = reported.message.as_str();
    if message == COMPILE_ERROR {
        return Some("compile".to_string());
    }
    if message.starts_with(COMPILE_ERROR) {
        assert!(
            message.contains("a device does not check"),
            "{case:?}: {message}"
        );
        return None;
    }
    let errors = msg
        .property("schemaError")
        .unwrap_or_else(|| panic!("{case:?}: {message}, and no msg.schemaError"))
        .to_string();
    Some(format!("invalid {errors} | {message}"))
}

/// Ajv's answer as the device words it: the error's text is cut to what
/// an error text holds.
fn as_reported(answer: &str) -> String {
    let Some((errors, text)) = answer.split_once(" | ") else {
        return answer.to_string();
    };
    let mut reported = format!("JSON Schema error: {text}");
    while reported.len() > ERROR_TEXT_CAPACITY {
        reported.pop();
    }
    format!("{errors} | {reported}")
}

/// How many cases came to each end.
#[derive(Debug, Default)]
struct Tally {
    valid: usize,
    invalid: usize,
    compile: usize,
    not_checked: usize,
}

fn check_all(cases: &[(String, String)]) -> Tally {
    let answers = ajv(cases);
    let mut tally = Tally::default();
    for (case, answer) in cases.iter().zip(answers) {
        match device(case) {
            Some(ours) => {
                assert_eq!(ours, as_reported(&answer), "{case:?}");
                match answer.split(' ').next() {
                    Some("valid") => tally.valid += 1,
                    Some("invalid") => tally.invalid += 1,
                    _ => tally.compile += 1,
                }
            }
            None => {
                assert_ne!(answer, "compile", "{case:?}: Ajv refuses it too");
                tally.not_checked += 1;
            }
        }
    }
    tally
}

fn case(schema: &str, value: &str) -> (String, String) {
    (schema.to_string(), value.to_string())
}

#[test]
fn chosen_schemas_check_as_ajv_checks() {
    let cases = [
        // Node-RED's spec schema.
        case(
            r#"{"title":"testSchema","type":"object","properties":{"number":{"type":"number"},"string":{"type":"string"}}}"#,
            r#"{"number":"foo","string":3}"#,
        ),
        // A type checked with its group, after `enum`.
        case(r#"{"type":"object","required":["a"],"enum":[1]}"#, "5"),
        case(r#"{"type":"number","enum":[1]}"#, r#""x""#),
        case(r#"{"type":"number","minimum":1,"enum":[1]}"#, r#""x""#),
        case(
            r#"{"type":["string","number"],"minimum":3,"maxLength":2}"#,
            r#""abcd""#,
        ),
        case(r#"{"type":["string","number"]}"#, "null"),
        case(
            r#"{"type":"integer","minimum":3,"maximum":1,"exclusiveMinimum":4,"exclusiveMaximum":0}"#,
            "2",
        ),
        case(r#"{"type":"integer","minimum":3}"#, "2.5"),
        case(r#"{"type":"integer"}"#, "1e300"),
        case(
            r#"{"type":"array","items":{"type":"integer"},"maxItems":1,"minItems":3}"#,
            r#"[1.5,"x"]"#,
        ),
        case(
            r#"{"type":"object","required":["a","b"],"properties":{"c":{"type":"integer"}},"additionalProperties":false}"#,
            r#"{"c":1.5,"d":1,"e":2}"#,
        ),
        case(
            r#"{"additionalProperties":{"type":"string"},"properties":{"a b":{"const":2},"x/y~":{"type":"null"},"é%":{"maxLength":0}}}"#,
            r#"{"x/y~":1,"a b":3,"z":4,"é%":"é"}"#,
        ),
        // Code points, not UTF-16 units or bytes.
        case(r#"{"minLength":2,"maxLength":1}"#, r#""😀""#),
        case(r#"{"maxLength":1}"#, r#""😀""#),
        case(r#"{"properties":{"a":false},"items":false}"#, r#"{"a":1}"#),
        case(r#"{"items":false}"#, "[1,2]"),
        case(
            r#"{"items":true,"additionalProperties":true}"#,
            r#"[1,{"a":1}]"#,
        ),
        case(r#"{"enum":[{"a":1,"b":[1,2]}]}"#, r#"{"b":[1,2],"a":1}"#),
        case(r#"{"const":{"a":1}}"#, r#"{"a":1,"b":2}"#),
        case(r#"{"const":0}"#, "-0"),
        case(r#"{"maximum":1e21,"minimum":-1e-7}"#, "1e22"),
        case(r#"{"maximum":0.1}"#, "0.30000000000000004"),
        case(
            r#"{"exclusiveMaximum":1.7976931348623157e308,"minimum":5e-324}"#,
            "1.7976931348623157e308",
        ),
        case(r#"{"minimum":5e-324,"maxLength":1e300}"#, "0"),
        case(
            r#"{"properties":{"a":{"properties":{"b":{"type":"string"}}}},"required":["a"]}"#,
            r#"{"a":{"b":2}}"#,
        ),
        case(r#"{"required":["a"],"properties":{"a":{}}}"#, "[]"),
        case(r#"{"minItems":1}"#, "{}"),
        case(
            r#"{"title":"t","description":"d","$comment":"c","$id":"x","default":{},"examples":[1],"readOnly":true,"writeOnly":false,"deprecated":5,"contentMediaType":"x","contentEncoding":"y"}"#,
            "1",
        ),
        case(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"string"}"#,
            "1",
        ),
        case(
            r#"{"$schema":"http://json-schema.org/draft-06/schema"}"#,
            "1",
        ),
        case(r#"{"$schema":"http://json-schema.org/schema#"}"#, "1"),
        // Many errors: a text longer than an error's text holds.
        case(
            r#"{"items":{"type":"string","enum":["a"]}}"#,
            "[1,2,3,4,5,6,7,8,9,10,11,12]",
        ),
        case("true", "1"),
        case("{}", "null"),
        // Not schemas, to Ajv.
        case(r#""garbage""#, "1"),
        case("5", "1"),
        case("[1]", "1"),
        case(r#"{"type":"foo"}"#, "1"),
        case(r#"{"type":[]}"#, "1"),
        case(r#"{"type":["string","string"]}"#, "1"),
        case(r#"{"enum":[]}"#, "1"),
        case(r#"{"enum":[1,1]}"#, "1"),
        case(r#"{"enum":[{"a":1,"b":2},{"b":2,"a":1}]}"#, "1"),
        case(r#"{"required":["a","a"]}"#, "{}"),
        case(r#"{"required":"a"}"#, "{}"),
        case(r#"{"minLength":-1}"#, "1"),
        case(r#"{"minLength":1.5}"#, "1"),
        case(r#"{"minLength":2.0}"#, r#""a""#),
        case(r#"{"maximum":"1"}"#, "1"),
        case(r#"{"title":5}"#, "1"),
        case(r#"{"examples":1}"#, "1"),
        case(r#"{"$id":5}"#, "1"),
        case(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#"}"#,
            "1",
        ),
        case(
            r#"{"$schema":"https://json-schema.org/draft-07/schema#"}"#,
            "1",
        ),
        case(r#"{"foo":1}"#, "1"),
        case(r#"{"id":"x"}"#, "1"),
        case(r#"{"properties":{"a":{"foo":1}}}"#, "{}"),
        case(r#"{"properties":{"a":5}}"#, "{}"),
        case(r#"{"additionalProperties":"no"}"#, "{}"),
        case(r#"{"items":null}"#, "[]"),
        // Ajv refuses what is not a schema before it looks at keywords.
        case(r#"{"pattern":"a","type":"foo"}"#, "1"),
        // Node-RED's Ajv knows no formats.
        case(r#"{"format":"date"}"#, "1"),
        // A `$schema` below the root is not looked up.
        case(r#"{"items":{"$schema":"x"}}"#, "[1]"),
        case(r#"{"items":{"$schema":5}}"#, "[1]"),
    ];
    let tally = check_all(&cases);
    assert_eq!(tally.not_checked, 0);
    assert!(tally.valid > 0 && tally.invalid > 0 && tally.compile > 0);
}

/// Ajv looks a property up as JavaScript does (`data.name !== undefined`),
/// so the members every object inherits from `Object.prototype` are there
/// for `required`, and `properties` checks them (as functions) where the
/// value does not have them; `properties` leaves `__proto__` out.
#[test]
fn inherited_members_check_as_ajv_checks() {
    let cases = [
        case(r#"{"required":["toString","a","valueOf"]}"#, "{}"),
        case(r#"{"required":["__proto__","constructor"]}"#, r#"{"a":1}"#),
        case(r#"{"properties":{"constructor":{"type":"string"}}}"#, "{}"),
        case(
            r#"{"properties":{"hasOwnProperty":{"type":"object","required":["x"]},"isPrototypeOf":{"const":1},"toLocaleString":{"enum":[1]},"a":{"type":"string"}}}"#,
            r#"{"a":2}"#,
        ),
        case(
            r#"{"properties":{"__lookupGetter__":{"minimum":1,"maxLength":1,"items":false,"required":["y"]},"__defineSetter__":false,"propertyIsEnumerable":true}}"#,
            "{}",
        ),
        case(
            r#"{"properties":{"valueOf":{"properties":{"a":{"type":"string"}}}}}"#,
            "{}",
        ),
        case(
            r#"{"properties":{"toString":{"type":"number"}}}"#,
            r#"{"toString":1}"#,
        ),
        case(r#"{"properties":{"__proto__":{"type":"string"}}}"#, "{}"),
        case(
            r#"{"properties":{"__proto__":{"type":"string"}}}"#,
            r#"{"__proto__":5}"#,
        ),
        case(
            r#"{"properties":{"__proto__":{}},"additionalProperties":false}"#,
            r#"{"__proto__":5,"a":1}"#,
        ),
        case(
            r#"{"properties":{"__proto__":{},"a":{},"b":{},"c":{},"d":{},"e":{},"f":{},"g":{},"h":{}},"additionalProperties":false}"#,
            r#"{"__proto__":5,"i":1}"#,
        ),
        case(
            r#"{"properties":{"__proto__":{},"a":{},"b":{},"c":{},"d":{},"e":{},"f":{},"g":{},"h":{},"i":{}},"additionalProperties":false}"#,
            r#"{"__proto__":5,"j":1}"#,
        ),
        case(r#"{"properties":{"Constructor":{"type":"string"}}}"#, "{}"),
    ];
    let tally = check_all(&cases);
    assert_eq!(tally.not_checked, 0);
}

/// Keywords Ajv checks and a device does not are refused, never passed
/// unchecked, wherever in the schema they are.
#[test]
fn keywords_a_device_does_not_check_are_refused() {
    let cases: Vec<(String, String)> = [
        r#"{"pattern":"^a"}"#,
        r#"{"minProperties":1}"#,
        r##"{"$ref":"#/definitions/a","definitions":{"a":{}}}"##,
        r#"{"oneOf":[{"type":"string"}]}"#,
        r#"{"properties":{"a":{"anyOf":[true]}}}"#,
        r#"{"items":[{"type":"string"}]}"#,
        r#"{"items":{"multipleOf":2}}"#,
        r#"{"additionalProperties":{"not":{}}}"#,
        r#"{"definitions":{"a":{}}}"#,
        r#"{"uniqueItems":true}"#,
        r#"{"patternProperties":{"a":{}}}"#,
    ]
    .iter()
    .map(|schema| case(schema, r#"{"a":"b"}"#))
    .collect();
    assert_eq!(check_all(&cases).not_checked, cases.len());
}

const KEYS: &[&str] = &["a", "b", "c", "x y", "é/~", ""];
const TYPE_NAMES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];
const NUMBERS: &[&str] = &["-2", "0", "1", "2.5", "3", "1e21", "0.1", "-1e-7"];
const COUNTS: &[&str] = &["0", "1", "2", "3"];

fn quoted(text: impl AsRef<str>) -> String {
    let mut out = String::new();
    psos::ValueRef::Str(text.as_ref())
        .write_json(&mut out)
        .expect("writes");
    out
}

/// Up to `count` keys, each once.
fn distinct_keys(rng: &mut Rng, count: usize) -> Vec<&'static str> {
    let mut keys: Vec<&str> = Vec::new();
    for _ in 0..count {
        let key = *rng.pick(KEYS);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// A small value, of the kinds a schema's keywords look at.
fn random_value(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth < 3 { 9 } else { 6 }) {
        0 => "null".to_string(),
        1 => rng.pick(&["true", "false"]).to_string(),
        2 | 3 => rng.pick(NUMBERS).to_string(),
        4 => quoted(rng.pick(&["", "a", "ab", "abc", "😀", "é😀x", "a b"])),
        5 => quoted(rng.pick(KEYS)),
        6 => {
            let items: Vec<String> = (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let count = rng.below(4);
            let members: Vec<String> = distinct_keys(rng, count)
                .iter()
                .map(|key| format!("{}:{}", quoted(key), random_value(rng, depth + 1)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

/// A schema of the subset, now and then with a value a keyword does not
/// allow or a keyword Ajv does not know.
fn random_schema(rng: &mut Rng, depth: usize) -> String {
    if rng.percent(8) {
        return rng.pick(&["true", "false"]).to_string();
    }
    let mut members: Vec<String> = Vec::new();
    let mut add = |keyword: &&str, value: String| {
        if !members
            .iter()
            .any(|member| member.starts_with(&quoted(*keyword)))
        {
            members.push(format!("{}:{value}", quoted(*keyword)));
        }
    };
    for _ in 0..rng.below(5) {
        match rng.below(18) {
            0 | 1 => {
                let value = if rng.percent(60) {
                    quoted(rng.pick(TYPE_NAMES))
                } else {
                    let names: Vec<String> = (0..1 + rng.below(3))
                        .map(|_| quoted(rng.pick(TYPE_NAMES)))
                        .collect();
                    format!("[{}]", names.join(","))
                };
                add(&"type", value);
            }
            2 if depth < 3 => {
                let count = 1 + rng.below(3);
                let properties: Vec<String> = distinct_keys(rng, count)
                    .iter()
                    .map(|name| format!("{}:{}", quoted(name), random_schema(rng, depth + 1)))
                    .collect();
                add(&"properties", format!("{{{}}}", properties.join(",")));
            }
            3 => {
                let names: Vec<String> =
                    (0..rng.below(3)).map(|_| quoted(rng.pick(KEYS))).collect();
                add(&"required", format!("[{}]", names.join(",")));
            }
            4 if depth < 3 => add(&"additionalProperties", random_schema(rng, depth + 1)),
            5 if depth < 3 => add(&"items", random_schema(rng, depth + 1)),
            6 => {
                let values: Vec<String> = (0..rng.below(4)).map(|_| random_value(rng, 2)).collect();
                add(&"enum", format!("[{}]", values.join(",")));
            }
            7 => add(&"const", random_value(rng, 2)),
            8 | 9 => add(
                rng.pick(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
                rng.pick(NUMBERS).to_string(),
            ),
            10 | 11 => add(
                rng.pick(&["minLength", "maxLength", "minItems", "maxItems"]),
                rng.pick(COUNTS).to_string(),
            ),
            12 => add(rng.pick(&["title", "description", "$comment"]), quoted("t")),
            13 => add(&"default", random_value(rng, 2)),
            // What Ajv refuses.
            14 if rng.percent(30) => add(
                rng.pick(&["minLength", "maxItems", "minimum", "title"]),
                rng.pick(&["-1", "1.5", "\"1\"", "null"]).to_string(),
            ),
            15 if rng.percent(30) => add(rng.pick(&["foo", "id", "$schema"]), quoted("x")),
            _ => {}
        }
    }
    format!("{{{}}}", members.join(","))
}

#[test]
fn random_schemas_check_as_ajv_checks() {
    let mut rng = Rng::new(0x005c_4e3a);
    let cases: Vec<(String, String)> = (0..4000)
        .map(|_| {
            let mut schema = random_schema(&mut rng, 0);
            if schema == "false" {
                // Not set, to Node-RED: no check at all.
                schema = "true".to_string();
            }
            (schema, random_value(&mut rng, 0))
        })
        .collect();
    let tally = check_all(&cases);
    // Every end is reached often, not by a few cases.
    assert_eq!(tally.not_checked, 0);
    assert!(
        tally.valid > 400 && tally.invalid > 400 && tally.compile > 400,
        "{tally:?}"
    );
}
