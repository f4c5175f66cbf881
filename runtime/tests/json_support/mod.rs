//! Seeded generators for the JSON tests: random messages built through the
//! message API (so a parser bug cannot hide in both sides), random JSON
//! texts in every form the grammar allows, and mutations of texts.

#![allow(dead_code)]

use psos::encoding::{Bytes, Str, MAX_DEPTH};
use psos::{ConstValue, Msg, MsgError, PathSegment};

/// SplitMix64: small, seeded, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn percent(&mut self, chance: usize) -> bool {
        self.below(100) < chance
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A value as the tests see it.
#[derive(Clone, Debug)]
pub enum Tree {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    Bytes(Vec<u8>),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

/// Characters that JSON writing and reading must get right, and plain
/// letters so that most strings look ordinary.
const CHARACTERS: &[char] = &[
    'a',
    'b',
    'c',
    'x',
    'y',
    'z',
    ' ',
    '"',
    '\\',
    '/',
    '\n',
    '\r',
    '\t',
    '\u{0}',
    '\u{8}',
    '\u{c}',
    '\u{1f}',
    '\u{7f}',
    'é',
    '€',
    '\u{2028}',
    '\u{2029}',
    '\u{fffd}',
    '\u{feff}',
    '\u{ffff}',
    '😀',
    '\u{10ffff}',
];

pub fn random_char(rng: &mut Rng) -> char {
    if rng.percent(10) {
        // Anywhere in Unicode but the surrogates, which `char` excludes.
        loop {
            if let Some(c) = char::from_u32((rng.next() % 0x11_0000) as u32) {
                return c;
            }
        }
    }
    *rng.pick(CHARACTERS)
}

pub fn random_string(rng: &mut Rng, max_len: usize) -> String {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| random_char(rng)).collect()
}

/// A key that JavaScript keeps where it is put: not an array index, whose
/// place JavaScript decides, and not `type`, which could make an object
/// look like a Buffer.
pub fn random_key(rng: &mut Rng) -> String {
    let key = if rng.percent(50) {
        (*rng.pick(&["topic", "payload", "a", "b", "_msgid", "x y", "", "é"])).to_string()
    } else {
        random_string(rng, 6)
    };
    if key == "type" || (!key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())) {
        format!("k{key}")
    } else {
        key
    }
}

/// A finite number that JSON writes without losing anything: not -0,
/// which JSON.stringify writes as 0.
pub fn random_number(rng: &mut Rng) -> f64 {
    let number = match rng.below(6) {
        0 => rng.below(2001) as f64 - 1000.0,
        // Integers beyond 2^53, which round.
        1 => (rng.next() >> rng.below(12)) as f64,
        2 => f64::from_bits(rng.next()),
        3 => (rng.below(1_000_000) as f64) / 10f64.powi(rng.below(8) as i32),
        4 => (rng.next() as f64 / u64::MAX as f64) * 10f64.powi(rng.below(600) as i32 - 300),
        _ => *rng.pick(&[
            0.1,
            0.3,
            1e21,
            1e-7,
            123e-20,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            9007199254740993.0,
            -1.5,
        ]),
    };
    if !number.is_finite() || number == 0.0 {
        0.0
    } else {
        number
    }
}

/// A value whose containers sit `depth` levels down a message.
pub fn random_tree(rng: &mut Rng, depth: usize) -> Tree {
    let containers = depth < MAX_DEPTH && rng.percent(60 - 3 * depth.min(20));
    match rng.below(if containers { 8 } else { 6 }) {
        0 => Tree::Null,
        1 => Tree::Bool(rng.percent(50)),
        2 => Tree::Number(random_number(rng)),
        3 | 4 => Tree::Str(random_string(rng, 12)),
        5 => Tree::Bytes((0..rng.below(12)).map(|_| rng.next() as u8).collect()),
        6 => Tree::Array(
            (0..rng.below(5))
                .map(|_| random_tree(rng, depth + 1))
                .collect(),
        ),
        _ => Tree::Object(random_members(rng, depth + 1, 4)),
    }
}

/// Members with distinct keys.
pub fn random_members(rng: &mut Rng, depth: usize, max: usize) -> Vec<(String, Tree)> {
    let mut members: Vec<(String, Tree)> = Vec::new();
    for _ in 0..rng.below(max + 1) {
        let key = random_key(rng);
        if members.iter().all(|(other, _)| *other != key) {
            let value = random_tree(rng, depth);
            members.push((key, value));
        }
    }
    members
}

/// Builds a message with the message API alone; `None` if it does not fit.
pub fn build_msg<const N: usize>(members: &[(String, Tree)]) -> Option<Msg<N>> {
    let mut msg = Msg::new();
    let mut path = Vec::new();
    for (key, value) in members {
        path.push(PathSegment::Key(key));
        let result = set_tree(&mut msg, &mut path, value);
        path.pop();
        match result {
            Ok(()) => {}
            Err(MsgError::Full) => return None,
            Err(error) => panic!("building {members:?}: {error:?}"),
        }
    }
    Some(msg)
}

fn set_tree<'t, const N: usize>(
    msg: &mut Msg<N>,
    path: &mut Vec<PathSegment<'t>>,
    tree: &'t Tree,
) -> Result<(), MsgError> {
    match tree {
        Tree::Null => msg.set(path, &ConstValue::Null),
        Tree::Bool(b) => msg.set(path, b),
        Tree::Number(n) => msg.set(path, n),
        Tree::Str(s) => msg.set(path, &Str(s)),
        Tree::Bytes(b) => msg.set(path, &Bytes(b)),
        Tree::Array(items) if items.is_empty() => msg.set(path, &ConstValue::Array(&[])),
        Tree::Object(members) if members.is_empty() => msg.set(path, &ConstValue::Object(&[])),
        Tree::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(PathSegment::Index(index));
                let result = set_tree(msg, path, item);
                path.pop();
                result?;
            }
            Ok(())
        }
        Tree::Object(members) => {
            for (key, value) in members {
                path.push(PathSegment::Key(key));
                let result = set_tree(msg, path, value);
                path.pop();
                result?;
            }
            Ok(())
        }
    }
}

/// What varies in generated JSON texts.
#[derive(Clone, Copy)]
pub struct TextOptions {
    /// The deepest nesting to generate (beyond `MAX_DEPTH` to test the limit).
    pub max_depth: usize,
    /// Whether escapes of lone surrogates may appear, which JavaScript
    /// accepts and a message cannot hold.
    pub lone_surrogates: bool,
}

/// Keys that exercise JavaScript's rules: repeats, array indices (and
/// strings that only look like them), and a Buffer's members.
const TEXT_KEYS: &[&str] = &[
    "a",
    "b",
    "payload",
    "topic",
    "0",
    "1",
    "7",
    "10",
    "01",
    "-1",
    "1.5",
    "4294967294",
    "4294967295",
    "type",
    "data",
    "",
    "é",
    "😀",
];

/// Writes a random JSON value, every choice of spelling the grammar allows
/// included (white space, escapes, number forms, repeated keys).
pub fn random_text(rng: &mut Rng, options: TextOptions, depth: usize, out: &mut String) {
    let containers = depth < options.max_depth && rng.percent(55);
    match rng.below(if containers { 9 } else { 6 }) {
        0 => out.push_str("null"),
        1 => out.push_str(if rng.percent(50) { "true" } else { "false" }),
        2 | 3 => text_number(rng, out),
        4 | 5 => {
            let s = random_string(rng, 8);
            text_string(rng, options, &s, out);
        }
        6 => {
            out.push('[');
            for index in 0..rng.below(5) {
                if index > 0 {
                    out.push(',');
                }
                whitespace(rng, out);
                random_text(rng, options, depth + 1, out);
                whitespace(rng, out);
            }
            out.push(']');
        }
        7 if rng.percent(30) => text_buffer(rng, out),
        _ => {
            out.push('{');
            for index in 0..rng.below(6) {
                if index > 0 {
                    out.push(',');
                }
                whitespace(rng, out);
                let key = if rng.percent(70) {
                    rng.pick(TEXT_KEYS).to_string()
                } else {
                    random_string(rng, 5)
                };
                text_string(rng, options, &key, out);
                whitespace(rng, out);
                out.push(':');
                whitespace(rng, out);
                random_text(rng, options, depth + 1, out);
                whitespace(rng, out);
            }
            out.push('}');
        }
    }
}

/// A random message text: an object of random members.
pub fn random_message_text(rng: &mut Rng, options: TextOptions) -> String {
    let mut out = String::new();
    whitespace(rng, &mut out);
    out.push('{');
    for index in 0..rng.below(5) {
        if index > 0 {
            out.push(',');
        }
        let key = rng.pick(TEXT_KEYS).to_string();
        text_string(rng, options, &key, &mut out);
        out.push(':');
        random_text(rng, options, 1, &mut out);
    }
    out.push('}');
    whitespace(rng, &mut out);
    out
}

/// `{"type":"Buffer","data":[...]}`, usually with bytes as data, sometimes
/// with numbers that are not bytes.
fn text_buffer(rng: &mut Rng, out: &mut String) {
    out.push_str(r#"{"type":"Buffer","data":["#);
    for index in 0..rng.below(8) {
        if index > 0 {
            out.push(',');
        }
        let item = match rng.below(12) {
            0 => "256".to_string(),
            1 => "-1".to_string(),
            2 => "1.5".to_string(),
            3 => "2.0".to_string(),
            4 => "1e2".to_string(),
            _ => rng.below(256).to_string(),
        };
        out.push_str(&item);
    }
    out.push_str("]}");
}

fn whitespace(rng: &mut Rng, out: &mut String) {
    if rng.percent(20) {
        for _ in 0..rng.below(3) + 1 {
            out.push(*rng.pick(&[' ', '\t', '\n', '\r']));
        }
    }
}

fn text_number(rng: &mut Rng, out: &mut String) {
    if rng.percent(40) {
        out.push_str(&format!("{}", random_number(rng)));
        return;
    }
    if rng.percent(30) {
        out.push('-');
    }
    if rng.percent(20) {
        out.push('0');
    } else {
        out.push(char::from(b'1' + rng.below(9) as u8));
        let digits = if rng.percent(10) { 40 } else { 6 };
        for _ in 0..rng.below(digits) {
            out.push(char::from(b'0' + rng.below(10) as u8));
        }
    }
    if rng.percent(40) {
        out.push('.');
        for _ in 0..rng.below(20) + 1 {
            out.push(char::from(b'0' + rng.below(10) as u8));
        }
    }
    if rng.percent(30) {
        out.push(*rng.pick(&['e', 'E']));
        match rng.below(3) {
            0 => out.push('+'),
            1 => out.push('-'),
            _ => {}
        }
        let exponent = if rng.percent(10) {
            rng.below(1000)
        } else {
            rng.below(30)
        };
        out.push_str(&exponent.to_string());
    }
}

/// Writes a string with a random choice of escape for each character.
fn text_string(rng: &mut Rng, options: TextOptions, s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let must_escape = c == '"' || c == '\\' || u32::from(c) < 0x20;
        match rng.below(10) {
            0 | 1 => unicode_escape(rng, c, out),
            2 if must_escape => {
                let short = match c {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\n' => "\\n",
                    '\r' => "\\r",
                    '\t' => "\\t",
                    '\u{8}' => "\\b",
                    '\u{c}' => "\\f",
                    _ => "",
                };
                if short.is_empty() {
                    unicode_escape(rng, c, out);
                } else {
                    out.push_str(short);
                }
            }
            _ if must_escape => unicode_escape(rng, c, out),
            _ if c == '/' && rng.percent(50) => out.push_str("\\/"),
            _ => out.push(c),
        }
    }
    if options.lone_surrogates && rng.percent(5) {
        const LONE: &[&str] = &["\\ud800", "\\udfff", "\\udc00\\ud800", "\\uDBFF x"];
        let lone = LONE[rng.below(LONE.len())];
        out.push_str(lone);
    }
    out.push('"');
}

fn unicode_escape(rng: &mut Rng, c: char, out: &mut String) {
    let mut units = [0; 2];
    for unit in c.encode_utf16(&mut units) {
        if rng.percent(50) {
            out.push_str(&format!("\\u{unit:04x}"));
        } else {
            out.push_str(&format!("\\u{unit:04X}"));
        }
    }
}

/// One random change to a text: cut, flipped bit, byte inserted, removed,
/// or repeated, or a span copied elsewhere.
pub fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    let at = rng.below(bytes.len() + 1);
    match rng.below(6) {
        0 => bytes.truncate(at),
        1 if !bytes.is_empty() => {
            let at = at.min(bytes.len() - 1);
            bytes[at] ^= 1 << rng.below(8);
        }
        2 => bytes.insert(
            at,
            *rng.pick(b"{}[]\",:\\0123456789.eE+-tfnu \x00\x7f\xff\xc3"),
        ),
        3 if at < bytes.len() => {
            bytes.remove(at);
        }
        4 => {
            let end = (at + rng.below(8)).min(bytes.len());
            let span = bytes[at..end].to_vec();
            let to = rng.below(bytes.len() + 1);
            bytes.splice(to..to, span);
        }
        _ => bytes.insert(at, rng.next() as u8),
    }
    bytes
}
