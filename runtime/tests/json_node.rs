//! The JSON a device writes and reads, held against Node.js itself: what
//! `JSON.parse` accepts, what it makes of a text (as `JSON.stringify` shows
//! it), the texts `JSON.stringify` produces for values of every kind, and
//! the words of `JSON.parse`'s errors.
//!
//! Needs `node` on the PATH; the test command installs it (`cargo xtask
//! test`, `DEBIAN_PACKAGES`).

mod json_support;

use std::io::Write;
use std::process::{Command, Stdio};

use json_support::{
    build_msg, mutate, random_members, random_message_text, random_text, Rng, TextOptions,
};
use psos::encoding::MAX_DEPTH;
use psos::json::v8_parse_error;
use psos::{value_from_json, JsonError, Msg};

type Big = Msg<8192>;

/// Reads one text a line, as `>` and base64, and answers, a line each, `ok` and
/// `JSON.stringify(JSON.parse(text))`, or `error`.
const PARSE_SCRIPT: &str = r#"
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l.length > 0);
const out = lines.map(line => {
  const text = Buffer.from(line.slice(1), 'base64').toString('utf8');
  try { return 'ok ' + JSON.stringify(JSON.parse(text)); } catch (e) { return 'error'; }
});
process.stdout.write(out.join('\n') + '\n');
"#;

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn run_node(script: &str, input: &str) -> String {
    let mut child = Command::new("node")
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts (the test command installs it)");
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("node runs");
    writer.join().expect("writes").expect("writes");
    assert!(output.status.success(), "node failed");
    String::from_utf8(output.stdout).expect("node writes UTF-8")
}

/// What Node.js makes of each text: `Some(JSON.stringify(JSON.parse(text)))`
/// or `None` when it throws.
fn node_parse(texts: &[Vec<u8>]) -> Vec<Option<String>> {
    let input: String = texts
        .iter()
        .map(|text| format!(">{}\n", base64(text)))
        .collect();
    let output = run_node(PARSE_SCRIPT, &input);
    let answers: Vec<Option<String>> = output
        .lines()
        .map(|line| line.strip_prefix("ok ").map(str::to_string))
        .collect();
    assert_eq!(answers.len(), texts.len());
    answers
}

/// What we make of a text, written back as JSON.
fn our_parse(text: &[u8]) -> Result<String, JsonError> {
    let mut scratch = vec![0; 8192];
    let value = value_from_json(text, &mut scratch)?;
    let mut out = String::new();
    value.write_json(&mut out).expect("writes");
    Ok(out)
}

/// Errors a text may give here and not in JavaScript: what a message
/// cannot hold.
fn javascript_accepts(error: JsonError) -> bool {
    matches!(
        error,
        JsonError::LoneSurrogate { .. } | JsonError::TooDeep { .. } | JsonError::TooBig
    )
}

#[test]
fn node_reads_back_what_write_json_writes() {
    let mut rng = Rng::new(11);
    let mut texts = Vec::new();
    let mut msgs = Vec::new();
    while texts.len() < 3_000 {
        let members = random_members(&mut rng, 1, 6);
        if let Some(msg) = build_msg::<8192>(&members) {
            let mut text = String::new();
            msg.write_json(&mut text).unwrap();
            texts.push(text.into_bytes());
            msgs.push(msg);
        }
    }
    let answers = node_parse(&texts);
    for ((text, answer), msg) in texts.iter().zip(&answers).zip(&msgs) {
        let text = std::str::from_utf8(text).unwrap();
        // JSON.stringify writes the parsed message back byte for byte...
        assert_eq!(answer.as_deref(), Some(text));
        // ... and what it writes is the same message here.
        assert_eq!(&Big::from_json(text.as_bytes()).unwrap(), msg);
    }
}

#[test]
fn texts_are_read_as_json_parse_reads_them() {
    let mut rng = Rng::new(12);
    let options = TextOptions {
        max_depth: MAX_DEPTH + 2,
        lone_surrogates: true,
    };
    let mut texts: Vec<Vec<u8>> = Vec::new();
    while texts.len() < 20_000 {
        let mut text = if rng.percent(30) {
            random_message_text(&mut rng, options)
        } else {
            let mut text = String::new();
            random_text(&mut rng, options, 0, &mut text);
            text
        }
        .into_bytes();
        for _ in 0..rng.below(3) {
            text = mutate(&mut rng, &text);
        }
        // Node.js reads a text as UTF-8 with replacement characters; only
        // UTF-8 texts compare.
        if std::str::from_utf8(&text).is_ok() {
            texts.push(text);
        }
    }
    let answers = node_parse(&texts);
    let (mut agreed, mut accepted, mut beyond_a_message) = (0, 0, 0);
    for (text, answer) in texts.iter().zip(&answers) {
        let shown = String::from_utf8_lossy(text);
        match (our_parse(text), answer) {
            (Ok(ours), Some(theirs)) => {
                assert_eq!(&ours, theirs, "{shown}");
                accepted += 1;
            }
            (Err(error), Some(_)) if javascript_accepts(error) => beyond_a_message += 1,
            (Err(_), None) => {}
            (ours, theirs) => panic!("{shown}: here {ours:?}, in Node.js {theirs:?}"),
        }
        agreed += 1;
        // A whole message reads as the object would, top-level rules too.
        if let (Ok(msg), Some(theirs)) = (Big::from_json(text), answer) {
            let mut ours = String::new();
            msg.write_json(&mut ours).unwrap();
            assert_eq!(&ours, theirs, "{shown}");
        }
    }
    println!(
        "{agreed} texts agree with Node.js: {accepted} read alike, {beyond_a_message} valid \
         in JavaScript but beyond what a message holds, the rest refused by both"
    );
    assert!(accepted > 8_000, "{accepted}");
}

/// Node.js builds values, `JSON.stringify` writes them, and each text must
/// read here as the expected value (shown as compact JSON).
#[test]
fn what_json_stringify_writes_reads_as_expected() {
    let cases: &[(&str, &str)] = &[
        (
            "({topic: 'a/b', payload: 21.5, qos: 1, retain: false, _msgid: 'abc'})",
            r#"{"topic":"a/b","payload":21.5,"qos":1,"retain":false,"_msgid":"abc"}"#,
        ),
        (
            "({payload: Buffer.from([0, 1, 254, 255])})",
            r#"{"payload":{"type":"Buffer","data":[0,1,254,255]}}"#,
        ),
        (
            "({payload: Buffer.from('héllo')})",
            r#"{"payload":{"type":"Buffer","data":[104,195,169,108,108,111]}}"#,
        ),
        // JSON.stringify drops undefined and functions, and writes
        // NaN, Infinity and -0 as null, null and 0.
        (
            "({a: undefined, b: () => 1, c: NaN, d: -Infinity, e: -0, f: [undefined]})",
            r#"{"c":null,"d":null,"e":0,"f":[null]}"#,
        ),
        (
            "({n: [0.1 + 0.2, 1e21, 1e-7, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, -1.5e-300]})",
            r#"{"n":[0.30000000000000004,1e+21,1e-7,9007199254740994,1.7976931348623157e+308,5e-324,-1.5e-300]}"#,
        ),
        (
            r#"({s: 'quote " backslash \\ slash / tab \t nl \n nul \0 del \x7f ls \u2028 é 😀'})"#,
            "{\"s\":\"quote \\\" backslash \\\\ slash / tab \\t nl \\n nul \\u0000 del \u{7f} ls \u{2028} é 😀\"}",
        ),
        (
            "({when: new Date(0), re: /x/, map: new Map([[1, 2]]), set: new Set([1])})",
            r#"{"when":"1970-01-01T00:00:00.000Z","re":{},"map":{},"set":{}}"#,
        ),
        (
            "({b: 1, 2: 'two', a: 3, 1: 'one', '01': 4})",
            r#"{"1":"one","2":"two","b":1,"a":3,"01":4}"#,
        ),
        (
            "({deep: [[[[{x: [[]]}]]]], empty: {}, arr: [], str: ''})",
            r#"{"deep":[[[[{"x":[[]]}]]]],"empty":{},"arr":[],"str":""}"#,
        ),
        (
            "({big: 12345678901234567890, neg: -9007199254740993})",
            r#"{"big":12345678901234567000,"neg":-9007199254740992}"#,
        ),
        (
            "({nested: {payload: Buffer.alloc(0), list: [Buffer.from([7])]}})",
            r#"{"nested":{"payload":{"type":"Buffer","data":[]},"list":[{"type":"Buffer","data":[7]}]}}"#,
        ),
        (
            "({toJSON() { return {made: 'by toJSON'}; }})",
            r#"{"made":"by toJSON"}"#,
        ),
    ];
    let script = format!(
        "const values = [{}];\nprocess.stdout.write(values.map(v => JSON.stringify(v)).join('\\n') + '\\n');",
        cases
            .iter()
            .map(|(expression, _)| *expression)
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let output = run_node(&script, "");
    let texts: Vec<&str> = output.lines().collect();
    assert_eq!(texts.len(), cases.len());
    for ((expression, expect), text) in cases.iter().zip(texts) {
        let msg = Big::from_json(text.as_bytes())
            .unwrap_or_else(|error| panic!("{expression} -> {text}: {error}"));
        let mut ours = String::new();
        msg.write_json(&mut ours).unwrap();
        assert_eq!(&ours, expect, "{expression} -> {text}");
    }
    // The Buffers are bytes here, not objects.
    let msg = Big::from_json(br#"{"payload":{"type":"Buffer","data":[0,1,254,255]}}"#).unwrap();
    assert_eq!(
        msg.payload(),
        Some(psos::ValueRef::Bytes(&[0, 1, 254, 255]))
    );
}

/// Reads one compact JSON text a line and answers, a line each,
/// `JSON.stringify(JSON.stringify(JSON.parse(text), null, 4))`: the
/// indented text, as one line.
const PRETTY_SCRIPT: &str = r#"
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l.length > 0);
const out = lines.map(line => JSON.stringify(JSON.stringify(JSON.parse(line), null, 4)));
process.stdout.write(out.join('\n') + '\n');
"#;

#[test]
fn indented_text_is_what_json_stringify_writes() {
    let mut rng = Rng::new(13);
    let mut msgs = Vec::new();
    while msgs.len() < 2_000 {
        let members = random_members(&mut rng, 1, 6);
        if let Some(msg) = build_msg::<8192>(&members) {
            msgs.push(msg);
        }
    }
    let input: String = msgs.iter().map(|msg| format!("{msg:?}\n")).collect();
    let output = run_node(PRETTY_SCRIPT, &input);
    let answers: Vec<&str> = output.lines().collect();
    assert_eq!(answers.len(), msgs.len());
    let mut scratch = vec![0; 65_536];
    for (msg, answer) in msgs.iter().zip(answers) {
        let theirs = match value_from_json(answer.as_bytes(), &mut scratch) {
            Ok(psos::ValueRef::Str(text)) => text.to_string(),
            other => panic!("node answered {answer}: {other:?}"),
        };
        // The message as one object value, written indented.
        let compact = format!("{msg:?}");
        let mut value_scratch = vec![0; 16_384];
        let value = value_from_json(compact.as_bytes(), &mut value_scratch).unwrap();
        let mut ours = String::new();
        value
            .write_json_indented(&mut ours, psos::nodes::PRETTY_INDENT)
            .unwrap();
        assert_eq!(ours, theirs, "{compact}");
    }
}

/// Reads one text a line, as `>` and base64, and answers, a line each,
/// `JSON.parse`'s message for the text read as a Buffer (as Node-RED's json
/// node hands it one), as a JSON string, or `null` when it parses. Half a
/// surrogate pair in a message becomes U+FFFD, as a device writes it.
const ERROR_SCRIPT: &str = r#"
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(l => l.length > 0);
const out = lines.map(line => {
  try { JSON.parse(Buffer.from(line.slice(1), 'base64')); return 'null'; }
  catch (e) { return JSON.stringify(e.message.toWellFormed()); }
});
process.stdout.write(out.join('\n') + '\n');
"#;

/// The forms of V8's `JSON.parse` messages: each must come up.
const V8_FORMS: &[&str] = &[
    "Unexpected end of JSON input",
    "Unexpected number in JSON at position",
    "Unexpected string in JSON at position",
    "Unexpected token '?', \"",
    "Unexpected token '?', ...\"",
    "\"",
    "Expected property name or '}' in JSON at position",
    "Expected double-quoted property name in JSON at position",
    "Expected ':' after property name in JSON at position",
    "Expected ',' or '}' after property value in JSON at position",
    "Expected ',' or ']' after array element in JSON at position",
    "Unterminated string in JSON at position",
    "Bad control character in string literal in JSON at position",
    "Bad escaped character in JSON at position",
    "Bad Unicode escape in JSON at position",
    "No number after minus sign in JSON at position",
    "Unterminated fractional number in JSON at position",
    "Exponent part is missing a number in JSON at position",
    "Unexpected non-whitespace character after JSON at position",
];

/// A message's form: its words up to the position, the token shown as `?`,
/// quoted text left out.
fn v8_form(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("Unexpected token '") {
        let quote = rest.find("', ").map_or("", |at| &rest[at + 3..]);
        let opening = if quote.starts_with("...") {
            "...\""
        } else {
            "\""
        };
        return format!("Unexpected token '?', {opening}");
    }
    match message.find(" at position ") {
        Some(at) => message[..at].to_string() + " at position",
        None if message.starts_with('"') => "\"".to_string(),
        None => message.to_string(),
    }
}

#[test]
fn parse_errors_are_worded_as_v8_words_them() {
    let mut rng = Rng::new(14);
    let options = TextOptions {
        max_depth: 4,
        lone_surrogates: true,
    };
    let mut texts: Vec<Vec<u8>> = vec![
        b"undefined".to_vec(),
        b"NaN".to_vec(),
        b"Infinity".to_vec(),
        b"[object Object]".to_vec(),
    ];
    while texts.len() < 30_000 {
        let mut text = String::new();
        random_text(&mut rng, options, 0, &mut text);
        let mut text = text.into_bytes();
        for _ in 0..=rng.below(2) {
            text = mutate(&mut rng, &text);
        }
        texts.push(text);
    }
    let input: String = texts
        .iter()
        .map(|text| format!(">{}\n", base64(text)))
        .collect();
    let output = run_node(ERROR_SCRIPT, &input);
    let answers: Vec<&str> = output.lines().collect();
    assert_eq!(answers.len(), texts.len());
    let mut scratch = vec![0; 4096];
    let mut forms = std::collections::BTreeSet::new();
    let mut refused = 0;
    for (text, answer) in texts.iter().zip(answers) {
        let theirs = match value_from_json(answer.as_bytes(), &mut scratch) {
            Ok(psos::ValueRef::Str(message)) => Some(message.to_string()),
            Ok(psos::ValueRef::Null) => None,
            other => panic!("node answered {answer}: {other:?}"),
        };
        let ours = v8_parse_error(text);
        let ours = ours.as_ref().map(|message| message.as_str());
        assert_eq!(ours, theirs.as_deref(), "{}", String::from_utf8_lossy(text));
        if let Some(message) = theirs {
            refused += 1;
            forms.insert(v8_form(&message));
        }
    }
    println!(
        "{} texts, {refused} refused by JSON.parse and worded alike, in {} forms",
        texts.len(),
        forms.len()
    );
    for form in V8_FORMS {
        assert!(forms.contains(*form), "no text gave {form:?}: {forms:?}");
    }
}
