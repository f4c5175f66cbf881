//! Why `JSON.parse` refuses a text, in V8's words as Node.js 20 gives them
//! (`e.message`), which Node-RED's json node hands catch nodes as
//! `msg.error.message`.
//!
//! The text is scanned again the way V8's JSON parser scans it, only to
//! find where and why it stops: V8's messages name the first thing its
//! parser did not expect, at a position counted in UTF-16 code units, and
//! some quote the text. Nothing is built and nothing is allocated; the open
//! containers are bits in a fixed array. The forms, with what V8 fills in:
//!
//! | form | where |
//! |---|---|
//! | `Unexpected end of JSON input` | the text ends where a value, an escape or a literal's next letter should be |
//! | `Unexpected number in JSON at position N` | a digit after a leading `0`; a digit or `-` inside `true`, `false`, `null` |
//! | `Unexpected string in JSON at position N` | a `"` inside `true`, `false`, `null` |
//! | `Unexpected token 'C', "TEXT" is not valid JSON` | any other character where a value should be (or inside a literal), in a text of fewer than 21 code units |
//! | `Unexpected token 'C', "TEXT"... is not valid JSON` | the same in a longer text, C among its first 10 code units: TEXT runs from the start to 10 code units after C |
//! | `Unexpected token 'C', ..."TEXT"... is not valid JSON` | C further in: the 10 code units before C and the 10 from C on |
//! | `Unexpected token 'C', ..."TEXT" is not valid JSON` | C among the last 10 code units: from 10 before C to the end |
//! | `"TEXT" is not valid JSON` | the whole text is `undefined`, `NaN`, `Infinity` or `[object Object]` |
//! | `Expected property name or '}' in JSON at position N` | after `{` |
//! | `Expected double-quoted property name in JSON at position N` | after a `,` in an object |
//! | `Expected ':' after property name in JSON at position N` | after a key |
//! | `Expected ',' or '}' after property value in JSON at position N` | after a value in an object |
//! | `Expected ',' or ']' after array element in JSON at position N` | after a value in an array |
//! | `Unterminated string in JSON at position N` | the text ends inside a string |
//! | `Bad control character in string literal in JSON at position N` | a character below U+0020 inside a string |
//! | `Bad escaped character in JSON at position N` | `\` followed by a Latin-1 character other than `"\/bfnrtu` (a later character is an unexpected token) |
//! | `Bad Unicode escape in JSON at position N` | `\u` not followed by four hex digits |
//! | `No number after minus sign in JSON at position N` | `-` not followed by a digit |
//! | `Unterminated fractional number in JSON at position N` | `.` not followed by a digit |
//! | `Exponent part is missing a number in JSON at position N` | `e`, `e+`, `e-` not followed by a digit |
//! | `Unexpected non-whitespace character after JSON at position N` | anything but whitespace after the value |
//!
//! Where V8 would put half of a surrogate pair in the message (C is a
//! character beyond U+FFFF, or an excerpt's edge splits one), the text has
//! U+FFFD instead: UTF-8 cannot hold half a pair. Bytes are read as
//! Node.js's `Buffer.toString()` reads them, each invalid sequence U+FFFD.
//! The longest message is well within [`ERROR_TEXT_CAPACITY`], so none is
//! cut.

use core::fmt::{self, Write};

use crate::device::{ErrorText, ERROR_TEXT_CAPACITY};

/// Deeper than this many open containers the scan gives up (V8 has no
/// such limit, but the device's parser refuses far shallower texts).
const MAX_OPEN: usize = 1024;

/// Below this many code units V8 quotes the whole text, from it on an
/// excerpt of [`CONTEXT`] code units either side of the unexpected one.
const MIN_LENGTH_FOR_CONTEXT: u32 = 2 * CONTEXT + 1;
const CONTEXT: u32 = 10;

/// What `JSON.parse(text)` throws as its message in Node.js 20, or `None`
/// when it accepts the text (or nests containers deeper than 1024).
pub fn v8_parse_error(text: &[u8]) -> Option<ErrorText> {
    let failure = Scan::new(text).json().err()??;
    let mut message = ErrorText::new();
    // An `ErrorText` never fails a write; it cuts instead.
    let _ = write!(message, "{}", Shown { text, failure });
    debug_assert!(message.as_str().len() < ERROR_TEXT_CAPACITY);
    Some(message)
}

/// V8's classes of the character a token starts with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    End,
    String,
    Number,
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Colon,
    Comma,
    True,
    False,
    Null,
    Whitespace,
    Illegal,
}

fn token(character: Option<char>) -> Token {
    match character {
        None => Token::End,
        Some('"') => Token::String,
        Some('-' | '0'..='9') => Token::Number,
        Some('{') => Token::ObjectStart,
        Some('}') => Token::ObjectEnd,
        Some('[') => Token::ArrayStart,
        Some(']') => Token::ArrayEnd,
        Some(':') => Token::Colon,
        Some(',') => Token::Comma,
        Some('t') => Token::True,
        Some('f') => Token::False,
        Some('n') => Token::Null,
        Some(' ' | '\t' | '\n' | '\r') => Token::Whitespace,
        Some(_) => Token::Illegal,
    }
}

/// The messages that name a position.
#[derive(Clone, Copy)]
enum Expected {
    PropertyNameOrObjectEnd,
    DoubleQuotedPropertyName,
    ColonAfterPropertyName,
    CommaOrObjectEnd,
    CommaOrArrayEnd,
    UnterminatedString,
    BadControlCharacter,
    BadEscapedCharacter,
    BadUnicodeEscape,
    NoNumberAfterMinusSign,
    UnterminatedFractionalNumber,
    ExponentPartMissingNumber,
    NonWhitespaceAfterJson,
}

impl Expected {
    fn words(self) -> &'static str {
        match self {
            Expected::PropertyNameOrObjectEnd => "Expected property name or '}' in JSON",
            Expected::DoubleQuotedPropertyName => "Expected double-quoted property name in JSON",
            Expected::ColonAfterPropertyName => "Expected ':' after property name in JSON",
            Expected::CommaOrObjectEnd => "Expected ',' or '}' after property value in JSON",
            Expected::CommaOrArrayEnd => "Expected ',' or ']' after array element in JSON",
            Expected::UnterminatedString => "Unterminated string in JSON",
            Expected::BadControlCharacter => "Bad control character in string literal in JSON",
            Expected::BadEscapedCharacter => "Bad escaped character in JSON",
            Expected::BadUnicodeEscape => "Bad Unicode escape in JSON",
            Expected::NoNumberAfterMinusSign => "No number after minus sign in JSON",
            Expected::UnterminatedFractionalNumber => "Unterminated fractional number in JSON",
            Expected::ExponentPartMissingNumber => "Exponent part is missing a number in JSON",
            Expected::NonWhitespaceAfterJson => "Unexpected non-whitespace character after JSON",
        }
    }
}

/// Where and why the scan stopped: `at` in UTF-16 code units, `byte` the
/// offset of the character there.
#[derive(Clone, Copy)]
enum Failure {
    Unexpected { token: Token, at: u32, byte: usize },
    Expected { expected: Expected, at: u32 },
}

/// The next character of bytes read as UTF-8, an invalid sequence (its
/// longest start of a valid one, or one byte) as U+FFFD, and its length.
fn decode(bytes: &[u8]) -> Option<(char, usize)> {
    let window = bytes.get(..bytes.len().min(4))?;
    match core::str::from_utf8(window) {
        Ok(text) => first_char(text),
        Err(error) if error.valid_up_to() > 0 => {
            first_char(core::str::from_utf8(window.get(..error.valid_up_to())?).ok()?)
        }
        Err(error) => Some((
            char::REPLACEMENT_CHARACTER,
            error.error_len().unwrap_or(window.len()),
        )),
    }
}

fn first_char(text: &str) -> Option<(char, usize)> {
    let character = text.chars().next()?;
    Some((character, character.len_utf8()))
}

/// The characters of bytes as [`decode`] reads them, each with its
/// offset in UTF-16 code units.
struct Characters<'t> {
    bytes: &'t [u8],
    byte: usize,
    unit: u32,
}

impl Iterator for Characters<'_> {
    type Item = (char, u32);

    fn next(&mut self) -> Option<(char, u32)> {
        let (character, len) = decode(self.bytes.get(self.byte..)?)?;
        let unit = self.unit;
        self.byte += len;
        self.unit += character.len_utf16() as u32;
        Some((character, unit))
    }
}

fn characters(bytes: &[u8]) -> Characters<'_> {
    Characters {
        bytes,
        byte: 0,
        unit: 0,
    }
}

struct Scan<'t> {
    text: &'t [u8],
    /// The byte offset and UTF-16 offset of the next character.
    byte: usize,
    at: u32,
    /// One bit per open container, set for an object.
    open: [u64; MAX_OPEN / 64],
    n_open: usize,
}

type Scanned = Result<(), Failure>;

impl<'t> Scan<'t> {
    fn new(text: &'t [u8]) -> Self {
        Self {
            text,
            byte: 0,
            at: 0,
            open: [0; MAX_OPEN / 64],
            n_open: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        decode(self.text.get(self.byte..)?).map(|(character, _)| character)
    }

    fn advance(&mut self) {
        if let Some((character, len)) = self.text.get(self.byte..).and_then(decode) {
            self.byte += len;
            self.at += character.len_utf16() as u32;
        }
    }

    fn unexpected(&self) -> Failure {
        Failure::Unexpected {
            token: token(self.peek()),
            at: self.at,
            byte: self.byte,
        }
    }

    fn expected(&self, expected: Expected) -> Failure {
        Failure::Expected {
            expected,
            at: self.at,
        }
    }

    fn skip_whitespace(&mut self) {
        while token(self.peek()) == Token::Whitespace {
            self.advance();
        }
    }

    /// Skips whitespace and takes `wanted` if it is next (V8's `Check`).
    fn check(&mut self, wanted: Token) -> bool {
        self.skip_whitespace();
        let found = token(self.peek()) == wanted;
        if found {
            self.advance();
        }
        found
    }

    /// Skips whitespace and takes `wanted`, or fails with `otherwise`.
    fn expect(&mut self, wanted: Token, otherwise: Expected) -> Scanned {
        if self.check(wanted) {
            Ok(())
        } else {
            Err(self.expected(otherwise))
        }
    }

    fn push(&mut self, object: bool) -> Result<(), Option<Failure>> {
        let word = self.open.get_mut(self.n_open / 64).ok_or(None)?;
        let bit = 1 << (self.n_open % 64);
        if object {
            *word |= bit;
        } else {
            *word &= !bit;
        }
        self.n_open += 1;
        Ok(())
    }

    /// Whether the innermost open container is an object, if one is open.
    fn innermost(&self) -> Option<bool> {
        let index = self.n_open.checked_sub(1)?;
        let word = self.open.get(index / 64)?;
        Some(word & (1 << (index % 64)) != 0)
    }

    /// The whole text, as `JSON.parse` reads it: `Err(None)` when it
    /// nests deeper than the scan follows.
    fn json(&mut self) -> Result<(), Option<Failure>> {
        loop {
            // A value.
            loop {
                self.skip_whitespace();
                match token(self.peek()) {
                    Token::String => {
                        self.advance();
                        self.string()?;
                    }
                    Token::Number => self.number()?,
                    Token::ObjectStart => {
                        self.advance();
                        if self.check(Token::ObjectEnd) {
                            break;
                        }
                        self.push(true)?;
                        self.key(Expected::PropertyNameOrObjectEnd, true)?;
                        continue;
                    }
                    Token::ArrayStart => {
                        self.advance();
                        if self.check(Token::ArrayEnd) {
                            break;
                        }
                        self.push(false)?;
                        continue;
                    }
                    Token::True => self.literal("true")?,
                    Token::False => self.literal("false")?,
                    Token::Null => self.literal("null")?,
                    _ => return Err(Some(self.unexpected())),
                }
                break;
            }
            // What follows a value.
            loop {
                let Some(object) = self.innermost() else {
                    self.skip_whitespace();
                    return match self.peek() {
                        None => Ok(()),
                        Some(_) => Err(Some(self.expected(Expected::NonWhitespaceAfterJson))),
                    };
                };
                if self.check(Token::Comma) {
                    if object {
                        self.key(Expected::DoubleQuotedPropertyName, false)?;
                    }
                    break;
                }
                if object {
                    self.expect(Token::ObjectEnd, Expected::CommaOrObjectEnd)?;
                } else {
                    self.expect(Token::ArrayEnd, Expected::CommaOrArrayEnd)?;
                }
                self.n_open -= 1;
            }
        }
    }

    /// A key and its colon, `otherwise` when no key is there. V8 names
    /// the missing colon only after an object's first key; after a later
    /// one it calls whatever is there unexpected.
    fn key(&mut self, otherwise: Expected, first: bool) -> Scanned {
        self.expect(Token::String, otherwise)?;
        self.string()?;
        if first {
            self.expect(Token::Colon, Expected::ColonAfterPropertyName)
        } else if self.check(Token::Colon) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// The rest of a string after its opening quote.
    fn string(&mut self) -> Scanned {
        loop {
            match self.peek() {
                None => return Err(self.expected(Expected::UnterminatedString)),
                Some('"') => {
                    self.advance();
                    return Ok(());
                }
                Some('\\') => {
                    self.advance();
                    match self.peek() {
                        None => return Err(self.unexpected()),
                        Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => self.advance(),
                        Some('u') => {
                            self.advance();
                            for _ in 0..4 {
                                if !self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                                    return Err(self.expected(Expected::BadUnicodeEscape));
                                }
                                self.advance();
                            }
                        }
                        // V8 looks up only Latin-1 characters in its
                        // table of escapes; any other is unexpected.
                        Some(character) if character > '\u{ff}' => return Err(self.unexpected()),
                        Some(_) => return Err(self.expected(Expected::BadEscapedCharacter)),
                    }
                }
                Some(character) if character < ' ' => {
                    return Err(self.expected(Expected::BadControlCharacter))
                }
                Some(_) => self.advance(),
            }
        }
    }

    fn is_digit(&self) -> bool {
        self.peek().is_some_and(|c| c.is_ascii_digit())
    }

    fn digits(&mut self) {
        while self.is_digit() {
            self.advance();
        }
    }

    fn number(&mut self) -> Scanned {
        if self.peek() == Some('-') {
            self.advance();
        }
        if self.peek() == Some('0') {
            self.advance();
            if self.is_digit() {
                return Err(self.unexpected());
            }
        } else if self.is_digit() {
            self.digits();
        } else {
            return Err(self.expected(Expected::NoNumberAfterMinusSign));
        }
        if self.peek() == Some('.') {
            self.advance();
            if !self.is_digit() {
                return Err(self.expected(Expected::UnterminatedFractionalNumber));
            }
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.advance();
            if matches!(self.peek(), Some('+' | '-')) {
                self.advance();
            }
            if !self.is_digit() {
                return Err(self.expected(Expected::ExponentPartMissingNumber));
            }
            self.digits();
        }
        Ok(())
    }

    /// `true`, `false` or `null`, whose first letter is next.
    fn literal(&mut self, word: &str) -> Scanned {
        for letter in word.chars() {
            if self.peek() != Some(letter) {
                return Err(self.unexpected());
            }
            self.advance();
        }
        Ok(())
    }
}

/// A failure in V8's words.
struct Shown<'t> {
    text: &'t [u8],
    failure: Failure,
}

/// The whole texts V8 names rather than quotes a character of.
const SPECIAL: [&[u8]; 4] = [b"[object Object]", b"undefined", b"Infinity", b"NaN"];

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (token, at, byte) = match self.failure {
            Failure::Expected { expected, at } => {
                return write!(f, "{} at position {at}", expected.words())
            }
            Failure::Unexpected { token, at, byte } => (token, at, byte),
        };
        match token {
            Token::End => return f.write_str("Unexpected end of JSON input"),
            Token::Number => return write!(f, "Unexpected number in JSON at position {at}"),
            Token::String => return write!(f, "Unexpected string in JSON at position {at}"),
            _ => {}
        }
        if SPECIAL.contains(&self.text) {
            return write!(f, "\"{}\" is not valid JSON", Excerpt::all(self.text));
        }
        let shown = self.text.get(byte..).and_then(decode).map_or(
            char::REPLACEMENT_CHARACTER,
            |(character, _)| {
                // V8 shows one UTF-16 code unit: half of a pair cannot be
                // written.
                if character.len_utf16() == 1 {
                    character
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            },
        );
        write!(f, "Unexpected token '{shown}', ")?;
        let length = characters(self.text).fold(0, |_, (character, unit)| {
            unit + character.len_utf16() as u32
        });
        if length < MIN_LENGTH_FOR_CONTEXT {
            write!(f, "\"{}\"", Excerpt::all(self.text))?;
        } else if at < CONTEXT {
            write!(f, "\"{}\"...", Excerpt::new(self.text, 0, at + CONTEXT))?;
        } else if at < length - CONTEXT {
            let excerpt = Excerpt::new(self.text, at - CONTEXT, at + CONTEXT);
            write!(f, "...\"{excerpt}\"...")?;
        } else {
            write!(
                f,
                "...\"{}\"",
                Excerpt::new(self.text, at - CONTEXT, length)
            )?;
        }
        f.write_str(" is not valid JSON")
    }
}

/// The code units `start..end` of a text, a pair split at an edge U+FFFD.
struct Excerpt<'t> {
    text: &'t [u8],
    start: u32,
    end: u32,
}

impl<'t> Excerpt<'t> {
    fn new(text: &'t [u8], start: u32, end: u32) -> Self {
        Self { text, start, end }
    }

    fn all(text: &'t [u8]) -> Self {
        Self::new(text, 0, u32::MAX)
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (character, unit) in characters(self.text) {
            let last = unit + character.len_utf16() as u32;
            if last <= self.start || unit >= self.end {
                continue;
            }
            if unit >= self.start && last <= self.end {
                f.write_char(character)?;
            } else {
                f.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::{v8_parse_error, ERROR_TEXT_CAPACITY};

    fn check(text: impl AsRef<[u8]> + core::fmt::Debug, expect: Option<&str>) {
        let message = v8_parse_error(text.as_ref());
        assert_eq!(
            message.as_ref().map(|message| message.as_str()),
            expect,
            "{text:?}"
        );
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for text in [
            "0",
            " [1, -0.5e+3, \"a\\u00e9\\n\", {\"k\": [true, false, null]}] ",
            "{}",
            "[]",
            "\"\\ud800\"",
        ] {
            check(text, None);
        }
    }

    // Each expectation is what `node -e` (Node.js 20) printed for
    // `JSON.parse(text)`'s message.
    #[test]
    fn words_each_failure_as_v8_does() {
        for (text, expect) in [
            ("", "Unexpected end of JSON input"),
            ("{", "Expected property name or '}' in JSON at position 1"),
            (
                "{\"a\"",
                "Expected ':' after property name in JSON at position 4",
            ),
            (
                "{\"a\":1",
                "Expected ',' or '}' after property value in JSON at position 6",
            ),
            (
                "[1 2]",
                "Expected ',' or ']' after array element in JSON at position 3",
            ),
            ("[1,", "Unexpected end of JSON input"),
            ("\"abc", "Unterminated string in JSON at position 4"),
            ("tru", "Unexpected end of JSON input"),
            ("x", "Unexpected token 'x', \"x\" is not valid JSON"),
            ("undefined", "\"undefined\" is not valid JSON"),
            ("[object Object]", "\"[object Object]\" is not valid JSON"),
            (
                "1 2",
                "Unexpected non-whitespace character after JSON at position 2",
            ),
            ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
            (
                "{\"a\":1,}",
                "Expected double-quoted property name in JSON at position 7",
            ),
            ("-x", "No number after minus sign in JSON at position 1"),
            (
                "1.x",
                "Unterminated fractional number in JSON at position 2",
            ),
            (
                "1e+",
                "Exponent part is missing a number in JSON at position 3",
            ),
            ("-01", "Unexpected number in JSON at position 2"),
            ("\"\\x\"", "Bad escaped character in JSON at position 2"),
            ("\"\\u12g4\"", "Bad Unicode escape in JSON at position 5"),
            (
                "\"a\tb\"",
                "Bad control character in string literal in JSON at position 2",
            ),
            ("\"\\", "Unexpected end of JSON input"),
            (
                "{\"a\":tru}",
                "Unexpected token '}', \"{\"a\":tru}\" is not valid JSON",
            ),
            ("[é]", "Unexpected token 'é', \"[é]\" is not valid JSON"),
            (
                "[😀]",
                "Unexpected token '\u{fffd}', \"[😀]\" is not valid JSON",
            ),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "Unexpected token 'a', \"abcdefghij\"... is not valid JSON",
            ),
            (
                "{\"key\": \"value\", \"k2\": bad, \"k3\": 1234567890}",
                "Unexpected token 'b', ...\"e\", \"k2\": bad, \"k3\":\"... is not valid JSON",
            ),
        ] {
            check(text, Some(expect));
        }
    }

    // The longest messages: an excerpt of 20 code units each three bytes
    // long in UTF-8 (a pair of surrogates is two units in four bytes).
    #[test]
    fn the_longest_messages_fit_uncut() {
        let text = std::format!("[\"{}\",{}]", "中".repeat(12), "中".repeat(20));
        let message = v8_parse_error(text.as_bytes()).expect("not JSON");
        assert_eq!(
            message.as_str(),
            "Unexpected token '中', ...\"中中中中中中中中\",中中中中中中中中中中\"... is not valid JSON"
        );
        assert!(!message.is_cut());
        assert!(message.as_str().len() + 16 < ERROR_TEXT_CAPACITY);
        let text = std::format!("\"{}\u{1}", "中".repeat(3_000_000));
        let message = v8_parse_error(text.as_bytes()).expect("not JSON");
        assert_eq!(
            message.as_str(),
            "Bad control character in string literal in JSON at position 3000001"
        );
    }

    // A Buffer's text, as `JSON.parse(buffer)` reads it in Node.js 20.
    #[test]
    fn reads_bytes_as_buffer_to_string_does() {
        for (text, expect) in [
            (
                &b"\xff"[..],
                "Unexpected token '\u{fffd}', \"\u{fffd}\" is not valid JSON",
            ),
            (
                b"[\xe2\x82]",
                "Unexpected token '\u{fffd}', \"[\u{fffd}]\" is not valid JSON",
            ),
            (
                b"\"\xf0\x9f\x98",
                "Unterminated string in JSON at position 2",
            ),
        ] {
            check(text, Some(expect));
        }
    }
}
