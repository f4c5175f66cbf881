//! A change node's regex replace with groups (`$1`, `$<name>`) held against
//! JavaScript itself: each pattern, text and replacement is replaced by
//! Node.js's `text.replace(new RegExp(pattern, "g"), replacement)`, as
//! Node-RED's change node calls it, and by the runtime's change node with
//! the DFAs and the groups program psosc compiles. Hand-picked cases for
//! JavaScript's own rules, then patterns drawn at random from a small
//! grammar (a fixed seed) over short texts. The node allocates nothing
//! while it replaces (the runtime's counting allocator watches each case).
//!
//! Needs `node` on the PATH (the test command installs it for Node-RED).

// The counting allocator is the one place with `unsafe`.
#![allow(unsafe_code)]

#[path = "../../runtime/tests/counting/mod.rs"]
mod counting;

use std::io::Write as _;
use std::process::{Command, Stdio};

use psos::nodes::{Change, ChangeRule, ChangeValue, Pattern, Property, Scope};
use psos::regex::{Captures, Finder};
use psos::{ConstValue, Device, Msg, NodeInfo, PathSegment};

/// What psosc lets a pattern need, which the node here is given.
const MEMORY: usize = psosc::regex::MAX_CAPTURE_WORDS;

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// Cases for the rules of JavaScript's `replace` and of its backtracking
/// that other engines do not share: pattern, text, replacement.
const CASES: &[(&str, &str, &str)] = &[
    ("(Hello)", "Hello World", "$1-$1-$1"),
    // Nested groups, and a group inside an unmatched alternative.
    ("((a)(b))c", "xabcx", "[$1|$2|$3]"),
    ("(a)|b", "ab", "[$1]"),
    ("(a)|(b)", "ba", "[$1|$2]"),
    // An optional group that takes no part is empty.
    ("x(y)?z", "xz xyz", "[$1]"),
    // Alternation is tried in order: the first that matches wins.
    ("(a|ab)(c|bcd)", "abcd", "[$1|$2]"),
    ("(a+)(a*)", "aaaa", "[$1|$2]"),
    ("(a+?)(a*)", "aaaa", "[$1|$2]"),
    // A repeated group keeps its last iteration; groups inside it are
    // unset at each iteration.
    ("(\\w)+", "abc", "[$1]"),
    ("(?:(a)|b)+", "ab", "[$1]"),
    ("(?:(a)|(b))+", "ab", "[$1|$2]"),
    ("(?:(a)|b){2}", "ab", "[$1]"),
    // An iteration past the minimum that matches nothing fails.
    ("(a?)?", "b", "[$1]"),
    ("(a*)*", "b", "[$1]"),
    ("(a*)+", "b", "[$1]"),
    ("(a|)*b", "aab", "[$1]"),
    ("(?:a|())*b", "ab", "[$1]"),
    ("(){2,3}x", "x", "[$1]"),
    ("(?:(?:[^a]|((\\w)))*?)*", "bcécb é", "<$&|$1|$2>"),
    ("((?:[ab])*?){2,}", "écaabécbba", "<$&|$1>"),
    // Where the match ends depends on that rule too.
    ("(|(\\b)[ab]|){1,3}", "céba ", "<$&|$1|$2>"),
    // Empty matches.
    ("(x?)", "ab", "[$1]"),
    ("()", "", "[$1]"),
    ("(\\b)", "a b", "[$1]"),
    // `$nn` and `$n` followed by a digit.
    ("(a)", "a", "$10|$01|$00|$0|$1$2|$$1|$&"),
    (
        "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)",
        "abcdefghijk",
        "$11|$10|$1|$12|$011",
    ),
    // `$<name>`: only when the pattern has named groups; a name it does
    // not have is empty.
    (
        "(?<year>\\d{4})-(?<month>\\d\\d)",
        "on 2024-05.",
        "$<month>/$<year>",
    ),
    ("(?<n>a)|b", "ab", "[$<n>|$<m>|$<n|$<>]"),
    ("(a)", "a", "[$<n>]"),
    ("(?<n>a)", "a", "[$<n>$<n>]"),
    // Assertions seen from inside the text.
    ("^(a)|(b)$", "aab", "[$1|$2]"),
    ("\\b(\\w+)\\b", "one two", "<$1>"),
    ("(\\B.)", "abc d", "[$1]"),
    // Text beyond ASCII.
    ("(é+)(.)", "aééü", "[$1|$2]"),
    ("([^a])", "aéü", "[$1]"),
    // `$&`, `` $` ``, `$'` beside groups.
    ("(b)", "abc", "[$`|$&|$'|$1]"),
    // Change nodes pass no `i` flag: case matters.
    ("(hello)", "Hello hello", "[$1]"),
    // A group in a class is not a group.
    ("[(]a(b)", "(ab", "[$1]"),
    ("(a)|(?:b)", "b", "[$1]"),
    ("(a)\\/(b)", "a/b", "$2/$1"),
];

/// JavaScript's result for each case, or `None` where `new RegExp` throws.
fn javascript(cases: &[(String, String, String)]) -> Vec<Option<String>> {
    const SCRIPT: &str = r#"
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([pattern, text, replacement]) => {
  try {
    return text.replace(new RegExp(pattern, 'g'), replacement);
  } catch (error) {
    return null;
  }
});
process.stdout.write(JSON.stringify(out));
"#;
    node(SCRIPT, cases)
}

/// What `script` writes, as JSON, given `input` as JSON on its stdin.
fn node<I: serde::Serialize + ?Sized, O: serde::de::DeserializeOwned>(
    script: &str,
    input: &I,
) -> O {
    let input = serde_json::to_string(input).expect("serializes");
    let mut child = Command::new("node")
        .arg("-e")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (it is installed for the Node-RED tests)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    let output = child.wait_with_output().expect("node ends");
    assert!(output.status.success(), "node failed");
    serde_json::from_slice(&output.stdout).expect("node's answer is JSON")
}

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

/// `bytes` at a 4-byte aligned place, as a device's static holds a DFA.
fn aligned(bytes: &[u8]) -> &'static [u8] {
    let mut room = vec![0u8; bytes.len() + 3];
    let start = room.as_ptr().align_offset(4).min(3);
    room[start..start + bytes.len()].copy_from_slice(bytes);
    &Box::leak(room.into_boxed_slice())[start..start + bytes.len()]
}

/// psosc's program as the runtime reads it, living as long as the test,
/// as a device's static does.
fn program(captures: &psosc::regex::CaptureProgram) -> Captures {
    let names = captures
        .names
        .iter()
        .map(|name| &*Box::leak(name.clone().into_boxed_str()))
        .collect();
    Captures::new(leak(captures.words.clone()), leak(names))
}

/// What a device's change node makes of the text, or why psosc refuses
/// the pattern.
fn device(pattern: &str, text: &str, replacement: &str) -> Result<String, String> {
    let finder = psosc::regex::compile_finder(pattern).map_err(|problem| problem.message)?;
    let captures = psosc::regex::compile_captures(pattern, false).map_err(|p| p.message)?;
    assert!(captures.memory_words <= MEMORY, "{pattern}");
    let rule = ChangeRule::Change {
        target: Property {
            scope: Scope::Msg,
            path: PAYLOAD,
        },
        from: Pattern::Regex {
            finder: Finder::new(aligned(&finder.forward), aligned(&finder.reverse)),
            groups: finder.groups,
            named: finder.named,
            captures: Some(program(&captures)),
        },
        value: ChangeValue::Const(ConstValue::Str(Box::leak(
            replacement.to_string().into_boxed_str(),
        ))),
    };
    let node =
        Change::new(NodeInfo::new("c", "", "change"), leak(vec![rule])).with_captures::<MEMORY>();
    let device = Device::new("captures-node", "captures");
    let mut msg = Msg::<1024>::new();
    msg.set(
        PAYLOAD,
        &ConstValue::Str(Box::leak(text.to_string().into_boxed_str())),
    )
    .expect("fits");
    // Room for what the node sends, so that keeping it allocates nothing.
    let mut sent = String::with_capacity(1024);
    let mut got_text = false;
    let allocations = counting::allocations_in(|| {
        node.input(
            &device,
            &mut msg,
            &mut |_port: usize, msg: &mut Msg<1024>| {
                if let Some(psos::ValueRef::Str(text)) = msg.get(PAYLOAD) {
                    sent.push_str(text);
                    got_text = true;
                }
            },
        );
    });
    assert_eq!(allocations, 0, "/{pattern}/ on {text:?} allocated");
    got_text
        .then_some(sent)
        .ok_or_else(|| "the node sent no text".to_string())
}

/// Every case against Node.js; all the differences reported at once.
fn compare(cases: &[(String, String, String)]) -> usize {
    let expected = javascript(cases);
    let mut differences = Vec::new();
    let mut compared = 0;
    for ((pattern, text, replacement), expected) in cases.iter().zip(expected) {
        let ours = device(pattern, text, replacement);
        match (&expected, &ours) {
            (Some(expected), Ok(ours)) if expected == ours => compared += 1,
            // Both refuse it (JavaScript's syntax error).
            (None, Err(_)) => {}
            // Too large for a device: refused when the flow is checked.
            (Some(_), Err(refused)) if refused.contains("a device") => {}
            _ => differences.push(format!(
                "/{pattern}/g on {text:?} with {replacement:?}: JavaScript {expected:?}, device {ours:?}"
            )),
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
    compared
}

#[test]
fn javascripts_rules_for_groups() {
    let cases: Vec<(String, String, String)> = CASES
        .iter()
        .map(|(p, t, r)| (p.to_string(), t.to_string(), r.to_string()))
        .collect();
    assert_eq!(compare(&cases), CASES.len());
}

/// A pattern from a small grammar: characters, classes, groups (plain,
/// named, non-capturing), alternation, every kind of quantifier, greedy and
/// lazy, and assertions; with the number of its capturing groups and their
/// names.
struct Generator {
    rng: fastrand::Rng,
    groups: usize,
    names: Vec<String>,
}

impl Generator {
    fn pattern(&mut self, depth: u32) -> String {
        let choice = if depth == 0 {
            self.rng.u32(0..4)
        } else {
            self.rng.u32(0..12)
        };
        match choice {
            0 => ["a", "b", "c"][self.rng.usize(0..3)].to_string(),
            1 => ["[ab]", "[^a]", ".", "\\w"][self.rng.usize(0..4)].to_string(),
            2 => ["^", "$", "\\b", "\\B"][self.rng.usize(0..4)].to_string(),
            3 => String::new(),
            4 | 5 => {
                self.groups += 1;
                format!("({})", self.pattern(depth - 1))
            }
            6 => {
                self.groups += 1;
                let name = format!("n{}", self.names.len());
                self.names.push(name.clone());
                format!("(?<{name}>{})", self.pattern(depth - 1))
            }
            7 => format!("(?:{})", self.pattern(depth - 1)),
            8 | 9 => format!("{}{}", self.pattern(depth - 1), self.pattern(depth - 1)),
            10 => format!("{}|{}", self.pattern(depth - 1), self.pattern(depth - 1)),
            _ => {
                // A quantifier on a group, so that it has something to
                // repeat.
                let inner = self.pattern(depth - 1);
                let quantifier =
                    ["*", "+", "?", "{2}", "{0,2}", "{1,3}", "{2,}"][self.rng.usize(0..7)];
                let lazy = if self.rng.bool() { "?" } else { "" };
                if self.rng.bool() {
                    self.groups += 1;
                    format!("({inner}){quantifier}{lazy}")
                } else {
                    format!("(?:{inner}){quantifier}{lazy}")
                }
            }
        }
    }
}

#[test]
fn random_patterns_agree_with_javascript() {
    let mut rng = fastrand::Rng::with_seed(0x5053_4f53);
    let mut cases = Vec::new();
    for _ in 0..1500 {
        let mut generator = Generator {
            rng: rng.clone(),
            groups: 0,
            names: Vec::new(),
        };
        let pattern = generator.pattern(4);
        rng = generator.rng.clone();
        let mut replacement = String::from("<$&");
        for group in 1..=generator.groups {
            replacement.push_str(&format!("|${group}"));
        }
        for name in &generator.names {
            replacement.push_str(&format!("|$<{name}>"));
        }
        replacement.push('>');
        let length = rng.usize(0..8);
        let text: String = (0..length)
            .map(|_| ['a', 'b', 'c', ' ', 'é'][rng.usize(0..5)])
            .collect();
        cases.push((pattern, text, replacement));
    }
    let compared = compare(&cases);
    assert!(compared > 1000, "only {compared} cases compared");
}

/// The `i` flag, which a change node never passes (Node-RED's `new
/// RegExp(from, "g")`) but a groups program can be built with: where
/// JavaScript's `exec` finds a match, the program run from there finds the
/// same end and groups. (Folding differs from JavaScript's for a few
/// letters beyond ASCII, such as the Kelvin sign K, which `/k/i` matches
/// on a device and not in JavaScript: see docs/conformance.md.)
#[test]
fn case_insensitive_groups_agree_with_javascript() {
    const CASES: &[(&str, &str)] = &[
        ("(hello) (W)orld", "say HELLO world"),
        ("([a-c]+)(X)?", "xxABCx"),
        ("(?<k>é+)(É)", "aÉéÉ"),
    ];
    const SCRIPT: &str = r#"
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([pattern, text]) => {
  const found = new RegExp(pattern, 'i').exec(text);
  if (!found) return null;
  const start = Buffer.byteLength(text.slice(0, found.index));
  return found.map(group => group === undefined ? null : group).concat([start]);
});
process.stdout.write(JSON.stringify(out));
"#;
    let expected: Vec<Option<Vec<serde_json::Value>>> = node(SCRIPT, CASES);
    for ((pattern, text), expected) in CASES.iter().zip(expected) {
        let captures = psosc::regex::compile_captures(pattern, true).expect("compiles");
        let program = program(&captures);
        let mut memory = vec![0u32; captures.memory_words];
        let ours = (0..=text.len())
            .filter(|start| text.is_char_boundary(*start))
            .find_map(|start| {
                let end = program.find(text, start, text.len(), &mut memory).ok()??;
                let mut groups: Vec<serde_json::Value> = (0..=program.groups())
                    .map(|index| match program.group(&memory, index) {
                        Some((from, to)) => text[from..to].into(),
                        None => serde_json::Value::Null,
                    })
                    .collect();
                assert_eq!(program.group(&memory, 0), Some((start, end)));
                groups.push(start.into());
                Some(groups)
            });
        assert_eq!(ours, expected, "/{pattern}/i on {text:?}");
    }
}
