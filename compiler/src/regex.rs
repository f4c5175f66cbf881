//! JavaScript regular expressions compiled at build time for a device: a
//! pattern is translated from JavaScript's syntax to `regex-automata`'s,
//! built into an unanchored dense DFA, and serialized little-endian; the
//! generated code holds the bytes as a static and `psos::regex` reads them
//! in place, so a device carries no regex compiler and never allocates.
//!
//! The one home of pattern compilation for every node that tests one
//! (`switch`'s `regex` rule, `change`'s regex replace). A replace whose
//! replacement names a group also gets a program ([`compile_captures`])
//! that `psos::regex::Captures` runs as a Pike VM to find the groups of
//! each match.
//!
//! Patterns are read as `new RegExp(text, flags)` reads them without the
//! `u` flag (Node-RED passes only `i`). What has the same meaning in both
//! syntaxes passes through; what JavaScript means differently is written
//! out (`\d`, `\w` and `\b` are ASCII there, `\s` has its own set, `.` stops
//! at four line terminators, `{` and `]` may stand for themselves); what a
//! DFA cannot do (backreferences, lookaround) is refused.

use psos::regex::{look, op, CAPTURES_HEADER, CAPTURES_MAGIC, MAX_PROGRESS_SLOTS};
use regex_automata::dfa::dense;
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// The largest DFA a device is given, in bytes of flash: a few times what
/// ordinary patterns take (a word, a class, a few alternatives take well
/// under 4 KiB), small enough that a handful fit a microcontroller.
pub const MAX_DFA_BYTES: usize = 16 * 1024;

/// Why a pattern cannot go on a device, said for a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexProblem {
    pub message: String,
    pub help: String,
}

fn problem(message: impl Into<String>, help: impl Into<String>) -> RegexProblem {
    RegexProblem {
        message: message.into(),
        help: help.into(),
    }
}

/// JavaScript's `\s`: its white space and line terminators.
const JS_SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Compiles `pattern` (with the `i` flag when `ignore_case`) into the bytes
/// of a DFA that finds it anywhere in a text.
pub fn compile(pattern: &str, ignore_case: bool) -> Result<Vec<u8>, RegexProblem> {
    let translated = translate(pattern)?;
    build(pattern, &translated, ignore_case, false)
}

/// A pattern compiled to find where its matches are (`psos::regex::Finder`),
/// for a global replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finder {
    /// The unanchored forward DFA: where the leftmost-first match ends.
    pub forward: Vec<u8>,
    /// The anchored reverse DFA: where that match starts.
    pub reverse: Vec<u8>,
    /// How many capturing groups the pattern has.
    pub groups: u8,
    /// Whether any of them has a name.
    pub named: bool,
    /// The program that finds where the groups are, when the replacement
    /// may name one (`change.rs` decides, [`compile_captures`] builds).
    pub captures: Option<CaptureProgram>,
}

/// Compiles `pattern` as `new RegExp(pattern, "g")` reads it, into the two
/// DFAs a device finds matches with, and counts its groups.
pub fn compile_finder(pattern: &str) -> Result<Finder, RegexProblem> {
    let translated = translate(pattern)?;
    let forward = build(pattern, &translated, false, false)?;
    let reverse = build(pattern, &translated, false, true)?;
    let nfa = thompson::Compiler::new()
        .syntax(syntax_config(false))
        .build(&translated)
        .map_err(|error| not_runnable(pattern, &error.to_string()))?;
    let info = nfa.group_info();
    let pattern_id = regex_automata::PatternID::ZERO;
    let groups = info.group_len(pattern_id).saturating_sub(1);
    let named = info.pattern_names(pattern_id).any(|name| name.is_some());
    Ok(Finder {
        forward,
        reverse,
        groups: u8::try_from(groups).unwrap_or(u8::MAX),
        named,
        captures: None,
    })
}

/// The most memory a device is given to find a pattern's groups, in
/// `u32` words (16 KiB), taken on the stack of the change node that
/// replaces: the program's instructions times its slots, twice, and a
/// little more (`psos::regex::Captures::memory_words_for`).
pub const MAX_CAPTURE_WORDS: usize = 4 * 1024;

/// The most instructions a program may have, so that one that repeats a
/// group many times (`(a{100}){100}`) is refused before it is built.
const MAX_INSTRUCTIONS: usize = 4 * 1024;

/// A pattern compiled for `psos::regex::Captures`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureProgram {
    /// The program's words, as the device reads them.
    pub words: Vec<u32>,
    /// Each group's name, or `""`, from group 1 on; empty when none has
    /// a name.
    pub names: Vec<String>,
    /// The words of memory the device needs to run it.
    pub memory_words: usize,
    /// Whether the pattern repeats, past its minimum, something that may
    /// match nothing: JavaScript refuses such an iteration, the DFAs take
    /// it, and their matches may end elsewhere.
    pub empty_iterations: bool,
}

/// Compiles `pattern` (with the `i` flag when `ignore_case`) into the
/// program a device finds the groups of a match with, as JavaScript's
/// backtracking finds them (see `psos::regex::Captures`), or says why a
/// device cannot: too large for [`MAX_CAPTURE_WORDS`].
pub fn compile_captures(pattern: &str, ignore_case: bool) -> Result<CaptureProgram, RegexProblem> {
    let translated = translate(pattern)?;
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(ignore_case)
        .unicode(true)
        .utf8(true)
        .build()
        .parse(&translated)
        .map_err(|error| not_runnable(pattern, &error.to_string()))?;
    let mut names = Vec::new();
    let groups = group_count(&hir, &mut names);
    let mut builder = ProgramBuilder {
        instructions: Vec::new(),
        ranges: Vec::new(),
        slots: 2 * (groups + 1),
        pattern,
    };
    builder.push(op::SAVE, 0, 0)?;
    builder.emit(&hir)?;
    builder.push(op::SAVE, 1, 0)?;
    builder.push(op::MATCH, 0, 0)?;
    let progress_slots = builder.slots - 2 * (groups + 1);
    if progress_slots > MAX_PROGRESS_SLOTS {
        return Err(problem(
            format!("finding the groups of {pattern:?} takes more than {MAX_PROGRESS_SLOTS} repetitions of something that may match nothing (such as (a*)* or (a|)+), which a device does not follow"),
            "repeat only what matches at least one character, or use $& for the whole match",
        ));
    }
    // Each instruction is visited at most once a position for each set of
    // such repetitions that started there.
    let frames = 1
        + (1 << progress_slots)
            * builder
                .instructions
                .iter()
                .map(|[operation, x, y]| match *operation {
                    op::SPLIT | op::SAVE | op::SET_PROGRESS => 1,
                    op::CLEAR => (y - x) as usize,
                    _ => 0,
                })
                .sum::<usize>();
    let count = builder.instructions.len();
    let memory_words = psos::regex::Captures::memory_words_for(count, builder.slots, frames);
    if memory_words > MAX_CAPTURE_WORDS {
        return Err(captures_too_large(pattern, Some(memory_words)));
    }
    let header = [
        CAPTURES_MAGIC,
        word(count),
        word(builder.slots),
        word(frames),
        word(2 * (groups + 1)),
    ];
    debug_assert_eq!(header.len(), CAPTURES_HEADER);
    let mut words = header.to_vec();
    words.extend(builder.instructions.iter().flatten());
    words.extend(builder.ranges.iter().flat_map(|(from, to)| [*from, *to]));
    // Names only for a pattern that has named groups: `$<name>` means
    // nothing without them.
    if names.iter().any(|name| !name.is_empty()) {
        names.resize(groups, String::new());
    }
    Ok(CaptureProgram {
        words,
        names,
        memory_words,
        empty_iterations: progress_slots > 0,
    })
}

/// A count that fits a word: every count here is bounded far below.
fn word(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

fn captures_too_large(pattern: &str, words: Option<usize>) -> RegexProblem {
    let size = words.map_or_else(String::new, |words| format!(" {} bytes of", words * 4));
    problem(
        format!(
            "finding the groups of {pattern:?} needs{size} memory beyond the {} bytes a device is given",
            MAX_CAPTURE_WORDS * 4
        ),
        "use fewer groups, shorter repetition counts ({n,m}) and smaller alternations; or $& for the whole match",
    )
}

/// The number of capturing groups in `hir`, with each one's name put at
/// its place in `names` (group 1 first).
fn group_count(hir: &Hir, names: &mut Vec<String>) -> usize {
    let mut most = 0;
    let mut stack = vec![hir];
    while let Some(hir) = stack.pop() {
        match hir.kind() {
            HirKind::Capture(capture) => {
                let index = capture.index as usize;
                most = most.max(index);
                if let Some(name) = &capture.name {
                    if names.len() < index {
                        names.resize(index, String::new());
                    }
                    if let Some(slot) = names.get_mut(index - 1) {
                        *slot = name.to_string();
                    }
                }
                stack.push(&capture.sub);
            }
            HirKind::Repetition(repetition) => stack.push(&repetition.sub),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => stack.extend(subs),
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
        }
    }
    most
}

/// The lowest and highest group inside `hir`, if any.
fn groups_inside(hir: &Hir) -> Option<(usize, usize)> {
    let mut found: Option<(usize, usize)> = None;
    let mut stack = vec![hir];
    while let Some(hir) = stack.pop() {
        match hir.kind() {
            HirKind::Capture(capture) => {
                let index = capture.index as usize;
                found = Some(found.map_or((index, index), |(low, high)| {
                    (low.min(index), high.max(index))
                }));
                stack.push(&capture.sub);
            }
            HirKind::Repetition(repetition) => stack.push(&repetition.sub),
            HirKind::Concat(subs) | HirKind::Alternation(subs) => stack.extend(subs),
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
        }
    }
    found
}

/// Builds a program: instructions of three words, classes as ranges.
struct ProgramBuilder<'p> {
    instructions: Vec<[u32; 3]>,
    ranges: Vec<(u32, u32)>,
    /// The slots: two per group and the whole match, then one per
    /// repetition that may match nothing (where it started).
    slots: usize,
    pattern: &'p str,
}

impl ProgramBuilder<'_> {
    fn push(&mut self, operation: u32, x: usize, y: usize) -> Result<usize, RegexProblem> {
        if self.instructions.len() >= MAX_INSTRUCTIONS {
            return Err(captures_too_large(self.pattern, None));
        }
        self.instructions.push([operation, word(x), word(y)]);
        Ok(self.instructions.len() - 1)
    }

    fn patch(&mut self, at: usize, x: usize, y: usize) {
        if let Some(instruction) = self.instructions.get_mut(at) {
            instruction[1] = word(x);
            instruction[2] = word(y);
        }
    }

    fn next(&self) -> usize {
        self.instructions.len()
    }

    /// One character of the class `ranges` (sorted, inclusive).
    fn class(&mut self, ranges: impl IntoIterator<Item = (u32, u32)>) -> Result<(), RegexProblem> {
        let first = self.ranges.len();
        self.ranges.extend(ranges);
        let count = self.ranges.len() - first;
        self.push(op::CLASS, first, count)?;
        Ok(())
    }

    fn emit(&mut self, hir: &Hir) -> Result<(), RegexProblem> {
        match hir.kind() {
            HirKind::Empty => {}
            HirKind::Literal(literal) => {
                let text = std::str::from_utf8(&literal.0)
                    .map_err(|_| not_runnable(self.pattern, "a literal that is not UTF-8"))?;
                for character in text.chars() {
                    let code = u32::from(character);
                    self.class([(code, code)])?;
                }
            }
            HirKind::Class(Class::Unicode(class)) => self.class(
                class
                    .ranges()
                    .iter()
                    .map(|range| (u32::from(range.start()), u32::from(range.end()))),
            )?,
            HirKind::Class(Class::Bytes(class)) => {
                if class.ranges().iter().any(|range| range.end() > 0x7F) {
                    return Err(not_runnable(self.pattern, "a class of bytes beyond ASCII"));
                }
                self.class(
                    class
                        .ranges()
                        .iter()
                        .map(|range| (u32::from(range.start()), u32::from(range.end()))),
                )?;
            }
            HirKind::Look(assertion) => {
                let kind = match assertion {
                    Look::Start => look::START,
                    Look::End => look::END,
                    Look::WordAscii => look::WORD_BOUNDARY,
                    Look::WordAsciiNegate => look::NOT_WORD_BOUNDARY,
                    other => {
                        return Err(not_runnable(
                            self.pattern,
                            &format!("the assertion {other:?} is not JavaScript's"),
                        ))
                    }
                };
                self.push(op::LOOK, kind as usize, 0)?;
            }
            HirKind::Capture(capture) => {
                let index = capture.index as usize;
                self.push(op::SAVE, 2 * index, 0)?;
                self.emit(&capture.sub)?;
                self.push(op::SAVE, 2 * index + 1, 0)?;
            }
            HirKind::Concat(subs) => {
                for sub in subs {
                    self.emit(sub)?;
                }
            }
            HirKind::Alternation(subs) => {
                let mut jumps = Vec::new();
                for (index, sub) in subs.iter().enumerate() {
                    if index + 1 < subs.len() {
                        let split = self.push(op::SPLIT, 0, 0)?;
                        self.emit(sub)?;
                        jumps.push(self.push(op::JUMP, 0, 0)?);
                        let next = self.next();
                        self.patch(split, split + 1, next);
                    } else {
                        self.emit(sub)?;
                    }
                }
                let end = self.next();
                for jump in jumps {
                    self.patch(jump, end, 0);
                }
            }
            HirKind::Repetition(repetition) => self.repetition(repetition)?,
        }
        Ok(())
    }

    /// A repetition as JavaScript's `RepeatMatcher` runs it: the groups
    /// inside are unset at the start of each iteration, and an iteration
    /// past the minimum that matches nothing fails.
    fn repetition(
        &mut self,
        repetition: &regex_syntax::hir::Repetition,
    ) -> Result<(), RegexProblem> {
        let sub = &repetition.sub;
        let clear = groups_inside(sub).map(|(low, high)| (2 * low, 2 * high + 2));
        let may_be_empty = sub.properties().minimum_len() == Some(0);
        let optional = repetition.max != Some(repetition.min);
        let progress = (may_be_empty && optional).then(|| {
            self.slots += 1;
            self.slots - 1
        });
        let iteration = |builder: &mut Self, mandatory: bool| -> Result<(), RegexProblem> {
            let progress = progress.filter(|_| !mandatory);
            if let Some(slot) = progress {
                builder.push(op::SET_PROGRESS, slot, 0)?;
            }
            if let Some((low, high)) = clear {
                builder.push(op::CLEAR, low, high)?;
            }
            builder.emit(sub)?;
            if let Some(slot) = progress {
                builder.push(op::CHECK_PROGRESS, slot, 0)?;
            }
            Ok(())
        };
        for _ in 0..repetition.min {
            iteration(self, true)?;
        }
        let greedy = repetition.greedy;
        let order = |body: usize, exit: usize| if greedy { (body, exit) } else { (exit, body) };
        match repetition.max {
            None => {
                let split = self.push(op::SPLIT, 0, 0)?;
                iteration(self, false)?;
                self.push(op::JUMP, split, 0)?;
                let exit = self.next();
                let (x, y) = order(split + 1, exit);
                self.patch(split, x, y);
            }
            Some(max) => {
                let mut splits = Vec::new();
                for _ in repetition.min..max {
                    splits.push(self.push(op::SPLIT, 0, 0)?);
                    iteration(self, false)?;
                }
                let exit = self.next();
                for split in splits {
                    let (x, y) = order(split + 1, exit);
                    self.patch(split, x, y);
                }
            }
        }
        Ok(())
    }
}

fn syntax_config(ignore_case: bool) -> syntax::Config {
    syntax::Config::new()
        .case_insensitive(ignore_case)
        .unicode(true)
        .utf8(true)
}

fn not_runnable(pattern: &str, error: &str) -> RegexProblem {
    problem(
        format!("{pattern:?} is not a regular expression a device can run: {error}"),
        "write a JavaScript regular expression without backreferences or lookaround",
    )
}

/// Builds the translated pattern into a serialized DFA: the unanchored
/// forward one, or (`reverse`) the anchored reverse one that finds where a
/// match starts, built as `regex-automata`'s own `dfa::regex` builds it.
fn build(
    pattern: &str,
    translated: &str,
    ignore_case: bool,
    reverse: bool,
) -> Result<Vec<u8>, RegexProblem> {
    let mut config = dense::Config::new()
        .minimize(true)
        .dfa_size_limit(Some(MAX_DFA_BYTES * 8))
        .determinize_size_limit(Some(MAX_DFA_BYTES * 64));
    if reverse {
        config = config
            .prefilter(None)
            .specialize_start_states(false)
            .start_kind(regex_automata::dfa::StartKind::Anchored)
            .match_kind(regex_automata::MatchKind::All);
    }
    let dfa = dense::Builder::new()
        .syntax(syntax_config(ignore_case))
        .thompson(thompson::Config::new().shrink(true).reverse(reverse))
        .configure(config)
        .build(translated)
        .map_err(|error| {
            if error.to_string().contains("limit") {
                too_large(pattern, None)
            } else {
                not_runnable(pattern, &error.to_string())
            }
        })?;
    let (bytes, padding) = dfa.to_bytes_little_endian();
    let bytes = bytes.get(padding..).unwrap_or_default().to_vec();
    if bytes.len() > MAX_DFA_BYTES {
        return Err(too_large(pattern, Some(bytes.len())));
    }
    Ok(bytes)
}

fn too_large(pattern: &str, size: Option<usize>) -> RegexProblem {
    let size = size.map_or_else(String::new, |size| format!(" ({size} bytes)"));
    problem(
        format!(
            "the pattern {pattern:?} compiles to an automaton{size} larger than the {MAX_DFA_BYTES} bytes a device is given"
        ),
        "simplify the pattern: fewer repetition counts ({n,m}) and smaller classes of non-ASCII characters",
    )
}

/// Rewrites a JavaScript pattern in `regex-syntax`'s terms, or says what
/// it uses that a DFA cannot do.
pub fn translate(pattern: &str) -> Result<String, RegexProblem> {
    let chars: Vec<char> = pattern.chars().collect();
    check_repetitions(pattern, &chars)?;
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '\\' => {
                let Some(&escaped) = chars.get(i) else {
                    return Err(problem(
                        format!("{pattern:?} ends with a lone backslash"),
                        "write \\\\ for a backslash",
                    ));
                };
                i += 1;
                i = escape(pattern, &chars, i, escaped, in_class, &mut out)?;
            }
            '[' if in_class => out.push_str(r"\["),
            '[' => {
                in_class = true;
                // `[]` matches nothing and `[^]` anything in JavaScript.
                if chars.get(i..i + 1) == Some(&[']']) {
                    out.push_str(r"[^\x00-\x{10FFFF}]");
                    i += 1;
                    in_class = false;
                } else if chars.get(i..i + 2) == Some(&['^', ']']) {
                    out.push_str(r"[\x00-\x{10FFFF}]");
                    i += 2;
                    in_class = false;
                } else {
                    out.push('[');
                    if chars.get(i) == Some(&'^') {
                        out.push('^');
                        i += 1;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            ']' => out.push_str(r"\]"),
            // Set operators in `regex-syntax` classes, plain characters in
            // JavaScript's.
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && chars.get(i) == Some(&'-') => out.push_str(r"\-"),
            '.' if !in_class => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '(' if !in_class && chars.get(i) == Some(&'?') => {
                i = group(pattern, &chars, i + 1, &mut out)?;
            }
            '{' if !in_class => {
                // A `{` that does not start `{n}`, `{n,}` or `{n,m}` is a
                // plain character in JavaScript (Annex B).
                let end = quantifier_end(&chars, i);
                match end {
                    Some(end) => {
                        out.extend(chars.get(i - 1..end).into_iter().flatten());
                        i = end;
                    }
                    None => out.push_str(r"\{"),
                }
            }
            '}' if !in_class => out.push_str(r"\}"),
            // Whitespace and `#` only mean something under `x`, which is off.
            c => out.push(c),
        }
    }
    if in_class {
        return Err(problem(
            format!("{pattern:?} has a `[` without its `]`"),
            "close the character class with ]",
        ));
    }
    Ok(out)
}

/// What a quantifier would apply to, for [`check_repetitions`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    /// Nothing: the start, `(`, `|`, or an assertion (`^`, `$`).
    Nothing,
    Atom,
    Quantifier,
    /// A quantifier made lazy by `?`.
    Lazy,
}

/// Refuses what `new RegExp` refuses as "Nothing to repeat": a quantifier
/// at the start, after `(` or `|`, after `^` or `$`, or after another
/// quantifier (`a**`; `a*?` is a lazy quantifier). `regex-syntax` would
/// take some of these.
fn check_repetitions(pattern: &str, chars: &[char]) -> Result<(), RegexProblem> {
    let nothing_to_repeat = |at: usize| {
        Err(problem(
            format!("{pattern:?} is not a regular expression: nothing to repeat at position {at}"),
            "put the quantifier (*, +, ?, {n}) after the character or group it repeats",
        ))
    };
    let mut before = Before::Nothing;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        before = match c {
            '\\' => {
                i += 1;
                Before::Atom
            }
            '[' => {
                // To the class's end: `]` right after `[` or `[^` is a
                // character in JavaScript only when it is `[]` or `[^]`.
                while let Some(&inside) = chars.get(i) {
                    i += 1;
                    match inside {
                        '\\' => i += 1,
                        ']' => break,
                        _ => {}
                    }
                }
                Before::Atom
            }
            '(' => {
                if chars.get(i) == Some(&'?') {
                    // `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`.
                    i += 1;
                    match chars.get(i) {
                        Some('<') if !matches!(chars.get(i + 1), Some('=' | '!')) => {
                            while chars.get(i).is_some_and(|c| *c != '>') {
                                i += 1;
                            }
                            i += 1;
                        }
                        Some('<') => i += 2,
                        _ => i += 1,
                    }
                }
                Before::Nothing
            }
            '|' | '^' | '$' => Before::Nothing,
            '*' | '+' | '?' | '{' => {
                let is_quantifier = c != '{' || quantifier_end(chars, i).is_some();
                if !is_quantifier {
                    Before::Atom
                } else {
                    if c == '{' {
                        i = quantifier_end(chars, i).unwrap_or(i);
                    }
                    match before {
                        Before::Atom => Before::Quantifier,
                        Before::Quantifier if c == '?' => Before::Lazy,
                        _ => return nothing_to_repeat(i),
                    }
                }
            }
            _ => Before::Atom,
        };
    }
    Ok(())
}

/// Where a `{n}`, `{n,}` or `{n,m}` that opens before `at` ends.
fn quantifier_end(chars: &[char], at: usize) -> Option<usize> {
    let mut i = at;
    let digits = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if chars.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1)
}

/// A `(?` group: non-capturing and named groups pass, lookaround does not.
fn group(
    pattern: &str,
    chars: &[char],
    at: usize,
    out: &mut String,
) -> Result<usize, RegexProblem> {
    let lookaround = || {
        Err(problem(
            format!("{pattern:?} uses lookaround ((?=, (?!, (?<=, (?<!), which a device's automaton cannot do"),
            "match the text around it as part of the pattern instead",
        ))
    };
    match (chars.get(at), chars.get(at + 1)) {
        (Some(':'), _) => {
            out.push_str("(?:");
            Ok(at + 1)
        }
        (Some('=' | '!'), _) | (Some('<'), Some('=' | '!')) => lookaround(),
        (Some('<'), _) => {
            out.push_str("(?P<");
            Ok(at + 1)
        }
        _ => Err(problem(
            format!("{pattern:?} has a group `(?` that JavaScript does not know"),
            "write (?:...) for a group, (?<name>...) for a named one",
        )),
    }
}

/// Translates the escape `\escaped`, whose next character is at `at`;
/// returns where the pattern goes on.
fn escape(
    pattern: &str,
    chars: &[char],
    at: usize,
    escaped: char,
    in_class: bool,
    out: &mut String,
) -> Result<usize, RegexProblem> {
    let mut at = at;
    match escaped {
        // JavaScript's classes are ASCII, and nest in a class.
        'd' => out.push_str("[0-9]"),
        'D' => out.push_str("[^0-9]"),
        'w' => out.push_str("[0-9A-Za-z_]"),
        'W' => out.push_str("[^0-9A-Za-z_]"),
        's' => out.push_str(&format!("[{JS_SPACE}]")),
        'S' => out.push_str(&format!("[^{JS_SPACE}]")),
        'b' if in_class => out.push_str(r"\x08"),
        'b' => out.push_str(r"(?-u:\b)"),
        'B' if !in_class => out.push_str(r"(?-u:\B)"),
        'n' => out.push_str(r"\n"),
        'r' => out.push_str(r"\r"),
        't' => out.push_str(r"\t"),
        'v' => out.push_str(r"\x0B"),
        'f' => out.push_str(r"\x0C"),
        '0' if !chars.get(at).is_some_and(char::is_ascii_digit) => out.push_str(r"\x00"),
        '1'..='9' | '0' => {
            return Err(problem(
                format!("{pattern:?} uses a backreference (\\{escaped}), which a device's automaton cannot do"),
                "repeat the group's pattern instead of referring back to it",
            ))
        }
        'k' if chars.get(at) == Some(&'<') => {
            return Err(problem(
                format!("{pattern:?} uses a named backreference (\\k<...>), which a device's automaton cannot do"),
                "repeat the group's pattern instead of referring back to it",
            ))
        }
        'x' | 'u' => {
            let len = if escaped == 'x' { 2 } else { 4 };
            let digits: String = chars.get(at..at + len).into_iter().flatten().collect();
            match u32::from_str_radix(&digits, 16).ok().filter(|_| digits.len() == len) {
                Some(code) if (0xD800..0xE000).contains(&code) => {
                    return Err(problem(
                        format!("{pattern:?} names a lone surrogate (\\u{digits}), which text on a device never holds"),
                        "write the character itself, or a \\u escape of a character that is not a surrogate",
                    ))
                }
                Some(code) => {
                    out.push_str(&format!(r"\x{{{code:X}}}"));
                    at += len;
                }
                // Without the `u` flag an incomplete escape is the letter.
                None => out.push(escaped),
            }
        }
        'c' => match chars.get(at).filter(|c| c.is_ascii_alphabetic()) {
            Some(letter) => {
                out.push_str(&format!(r"\x{:02X}", u32::from(*letter) % 32));
                at += 1;
            }
            None => out.push_str(r"\\c"),
        },
        // Any other escaped character stands for itself (JavaScript's
        // identity escapes); `regex-syntax` takes punctuation escaped, but
        // not letters, digits, `<`, `>` or anything beyond ASCII.
        other => {
            if other.is_ascii_punctuation() && !matches!(other, '<' | '>') {
                out.push('\\');
            }
            out.push(other);
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` copied to a 4-byte aligned place that lives as long as the
    /// program, as a device's static holds them.
    fn aligned(bytes: &[u8]) -> &'static [u8] {
        let mut room = vec![0u8; bytes.len() + 3];
        let start = room.as_ptr().align_offset(4).min(3);
        room[start..start + bytes.len()].copy_from_slice(bytes);
        &Box::leak(room.into_boxed_slice())[start..start + bytes.len()]
    }

    /// Whether the compiled pattern finds a match in `text`, as a device
    /// runs it.
    fn matches(pattern: &str, ignore_case: bool, text: &str) -> bool {
        let bytes = compile(pattern, ignore_case).expect("compiles");
        psos::regex::Regex::new(aligned(&bytes))
            .is_match(text.as_bytes())
            .expect("runs")
    }

    /// The patterns of Node-RED's switch tests, compiled for
    /// `runtime/tests/conformance_switch.rs`, which runs them as a device
    /// does; `PSOS_BLESS=1` writes them again.
    const CONFORMANCE_PATTERNS: &[(&str, &str, bool)] = &[
        ("abc", "[abc]+", false),
        ("onetwothree", "onetwothree", false),
        ("onetwothree_i", "onetwothree", true),
        ("digits", r"\d+", false),
    ];

    #[test]
    fn the_runtime_tests_patterns_are_what_psosc_compiles() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../runtime/tests/switch_patterns");
        for (name, pattern, ignore_case) in CONFORMANCE_PATTERNS {
            let bytes = compile(pattern, *ignore_case).expect("compiles");
            let file = dir.join(format!("{name}.dfa"));
            if std::env::var_os("PSOS_BLESS").is_some() {
                std::fs::create_dir_all(&dir).expect("creates the directory");
                std::fs::write(&file, &bytes).expect("writes");
            }
            let stored = std::fs::read(&file).expect("reads; PSOS_BLESS=1 writes it");
            assert!(
                stored == bytes,
                "{name}.dfa is not what {pattern:?} compiles to"
            );
        }
    }

    #[test]
    fn javascript_classes_are_ascii() {
        assert!(matches(r"^\d+$", false, "123"));
        assert!(!matches(r"^\d+$", false, "١٢٣"));
        assert!(matches(r"^\w+$", false, "abc_1"));
        assert!(!matches(r"^\w+$", false, "é"));
    }

    #[test]
    fn patterns_match_as_javascripts_do() {
        let cases: &[(&str, bool, &str, bool)] = &[
            (r"[abc]+", false, "abbabac", true),
            (r"onetwothree", true, "oneTWOthree", true),
            (r"onetwothree", false, "oneTWOthree", false),
            (r"a.c", false, "a\nc", false),
            (r"a.c", false, "a\u{e9}c", true),
            (r"x{", false, "x{", true),
            (r"a{2}", false, "caab", true),
            (r"a]", false, "a]", true),
            (r"[]", false, "anything", false),
            (r"[^]", false, "x", true),
            (r"\bis\b", false, "this is", true),
            (r"\bis\b", false, "this", false),
            (r"\s", false, "a\u{feff}b", true),
            (r"\s", false, "a\u{85}b", false),
            (r"\x41\u0042", false, "AB", true),
            (r"\cJ", false, "\n", true),
            (r"(?<year>\d{4})-(?:\d\d)", false, "on 2024-05", true),
            (r"[a&&b]", false, "&", true),
            (r"\/path", false, "/path", true),
            (r"\a\%\<\é", false, "a%<é", true),
            (r"^$", false, "", true),
        ];
        for (pattern, ignore_case, text, expect) in cases {
            assert_eq!(
                matches(pattern, *ignore_case, text),
                *expect,
                "{pattern} on {text:?}"
            );
        }
    }

    #[test]
    fn what_a_dfa_cannot_do_is_refused() {
        for pattern in [
            r"(a)\1",
            r"(?<x>a)\k<x>",
            r"a(?=b)",
            r"a(?!b)",
            r"(?<=a)b",
            r"(?<!a)b",
            r"\ud800",
            "[a",
            "a\\",
        ] {
            assert!(compile(pattern, false).is_err(), "{pattern}");
        }
        let problem = compile(r"\w{1000}[\u0100-\uffff]{50}", false).expect_err("too large");
        assert!(
            problem.message.contains("a device is given"),
            "{}",
            problem.message
        );
    }

    /// `new RegExp` refuses a quantifier with nothing to repeat; a lazy
    /// quantifier and a `{` that starts none are fine.
    #[test]
    fn nothing_to_repeat_is_refused() {
        for pattern in [r"\+**+", "*a", "a|*", "^*", "a**", "a{2}*", "(*)", "a*??"] {
            assert!(compile(pattern, false).is_err(), "{pattern}");
        }
        for pattern in [
            "a*?", "a+?b", "x{", "a{2}?", "(?:a)*", "(?<n>a)+", r"\**", "[*]+",
        ] {
            assert!(compile(pattern, false).is_ok(), "{pattern}");
        }
    }

    /// Where a device's finder puts each match of a global replace, as
    /// `text.matchAll(/pattern/g)` gives them: leftmost-first, as
    /// JavaScript's backtracking chooses.
    fn spans(pattern: &str, text: &str) -> Vec<(usize, usize)> {
        let finder = compile_finder(pattern).expect("compiles");
        let finder = psos::regex::Finder::new(aligned(&finder.forward), aligned(&finder.reverse));
        let mut found = Vec::new();
        let mut from = 0;
        while let Some((start, end)) = finder.find_at(text.as_bytes(), from).expect("runs") {
            found.push((start, end));
            from = if end == start { end + 1 } else { end };
            if from > text.len() {
                break;
            }
        }
        found
    }

    #[test]
    fn finders_find_what_javascript_finds() {
        assert_eq!(spans(r"\d+", "a 12 b 345"), [(2, 4), (7, 10)]);
        assert_eq!(spans("a|ab", "ab"), [(0, 1)]);
        assert_eq!(spans("a*", "baa"), [(0, 0), (1, 3), (3, 3)]);
        assert_eq!(spans(r"\bis\b", "this is it"), [(5, 7)]);
        assert_eq!(spans("^a", "aaa"), [(0, 1)]);
        assert_eq!(spans(r"\(.*\)", "a (b) (c)"), [(2, 9)]);
        assert_eq!(spans(r"\(.*?\)", "a (b) (c)"), [(2, 5), (6, 9)]);
        let finder = compile_finder(r"(a)(?<name>b)(?:c)").expect("compiles");
        assert_eq!((finder.groups, finder.named), (2, true));
        let finder = compile_finder(r"a(?:b)").expect("compiles");
        assert_eq!((finder.groups, finder.named), (0, false));
    }

    /// Where the DFAs' leftmost-first match and JavaScript's part:
    /// JavaScript refuses an iteration past the minimum that matches
    /// nothing, so `/(?:|a){1,2}/g` on "a" finds "a" and then "" there, and
    /// the DFAs "" twice. A change node given such a pattern takes its
    /// matches' ends from the groups program, which agrees with JavaScript
    /// (`regex_captures_node.rs`, `conformance_change.rs`).
    #[test]
    fn a_bounded_repetition_of_nothing_ends_where_javascript_would_not() {
        assert_eq!(spans("(?:|a){1,2}", "a"), [(0, 0), (1, 1)]);
        let captures = compile_captures("(?:|a){1,2}", false).expect("compiles");
        assert!(captures.empty_iterations);
        assert!(
            !compile_captures("(a+)*b", false)
                .expect("compiles")
                .empty_iterations
        );
    }

    /// A program's size is bounded before it is built: a repeated
    /// repetition is refused without unrolling it, as is a pattern whose
    /// groups need more memory than a device is given.
    #[test]
    fn programs_too_large_for_a_device_are_refused() {
        for pattern in ["(a{100}){100}", "(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)(x)"] {
            let problem = compile_captures(pattern, false).expect_err("too large");
            assert!(problem.message.contains("a device is given"), "{}", problem.message);
        }
        let captures = compile_captures(r"(\d+)-(?<b>\d+)", false).expect("compiles");
        assert!(captures.memory_words <= MAX_CAPTURE_WORDS);
        assert_eq!(captures.names, ["", "b"]);
        let captures = compile_captures(r"(\d+)", false).expect("compiles");
        assert!(captures.names.is_empty());
    }
}
