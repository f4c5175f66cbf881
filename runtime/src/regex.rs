//! Regular expressions a device matches without a regex compiler and
//! without allocating: psosc translates each of the flow's JavaScript
//! patterns and builds it into a DFA (`regex-automata`'s dense DFA) at build
//! time, and the generated code holds its bytes as a static. Here they are
//! read in place (`DFA::from_bytes`, zero-copy) and run over the text.
//!
//! The one home of matching for every node that tests a pattern: `switch`'s
//! `regex` rule, and `change`'s regex replace, which also needs where each
//! match starts ([`Finder`]) and, for `$1` or `$<name>` in its replacement,
//! where its groups are ([`Captures`]: a Pike VM over a small program psosc
//! builds, in memory the caller gives, of a size fixed at build time).

use regex_automata::dfa::{dense::DFA, Automaton};
use regex_automata::{Anchored, Input};

/// A serialized DFA's bytes with the alignment `DFA::from_bytes` needs (its
/// transition table is read as `u32`s in place). The compiler emits each
/// pattern as a `static DFA: Aligned<L> = Aligned(*b"...")` and hands
/// `&DFA.0` to [`Regex::new`].
#[repr(C, align(4))]
pub struct Aligned<const L: usize>(pub [u8; L]);

/// The code a pattern is run with, held beside its bytes: the constructor
/// names it, so a device links a search engine only where its flow builds a
/// pattern that needs it, not in every node that could run one (a node
/// matches on its rule's kind at run time, which the linker cannot see
/// through). There is one engine for each kind of pattern, so any two are
/// equal.
#[derive(Clone, Copy)]
struct Engine<F>(F);

impl<F> PartialEq for Engine<F> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<F> Eq for Engine<F> {}

impl<F> core::fmt::Debug for Engine<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Engine")
    }
}

/// A compiled pattern: the bytes of an unanchored dense DFA, serialized
/// little-endian, as psosc writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regex {
    dfa: &'static [u8],
    engine: Engine<IsMatch>,
}

/// [`Regex::is_match`]'s engine.
type IsMatch = fn(&'static [u8], &[u8]) -> Result<bool, RegexError>;

/// Why a pattern could not be run: its bytes are not a DFA this runtime
/// reads (a big-endian device, or bytes not made by a matching psosc), or
/// the search gave up (a dense DFA without look-around never does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegexError;

impl Regex {
    /// `dfa` is 4-byte aligned: take it from an [`Aligned`].
    pub const fn new(dfa: &'static [u8]) -> Self {
        Self {
            dfa,
            engine: Engine(dfa_is_match),
        }
    }

    /// Whether the pattern matches anywhere in `haystack`, as JavaScript's
    /// `text.match(pattern)` is truthy.
    pub fn is_match(&self, haystack: &[u8]) -> Result<bool, RegexError> {
        (self.engine.0)(self.dfa, haystack)
    }

    /// The serialized DFA, for checking its size.
    pub fn len(&self) -> usize {
        self.dfa.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dfa.is_empty()
    }
}

/// [`Regex::is_match`]. Each call checks the bytes again (`from_bytes`
/// validates in time linear in their size), since no checked form can be
/// kept in a static without unsafe code.
fn dfa_is_match(dfa: &'static [u8], haystack: &[u8]) -> Result<bool, RegexError> {
    let (dfa, _) = DFA::from_bytes(dfa).map_err(|_| RegexError)?;
    let input = Input::new(haystack).earliest(true);
    dfa.try_search_fwd(&input)
        .map(|found| found.is_some())
        .map_err(|_| RegexError)
}

/// A compiled pattern that finds where its matches are: the forward DFA
/// gives where the leftmost-first match ends (what JavaScript's
/// backtracking finds), a reverse DFA run back from there, anchored, where
/// it starts. Capture groups are not tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finder {
    forward: &'static [u8],
    reverse: &'static [u8],
    engine: Engine<FindAt>,
}

/// [`Finder::find_at`]'s engine.
type FindAt = fn(&Finder, &[u8], usize) -> Result<Option<(usize, usize)>, RegexError>;

impl Finder {
    /// Both are 4-byte aligned: take them from [`Aligned`]s.
    pub const fn new(forward: &'static [u8], reverse: &'static [u8]) -> Self {
        Self {
            forward,
            reverse,
            engine: Engine(Self::dfa_find_at),
        }
    }

    /// The first match in `haystack` that starts at or after `from` (a
    /// character boundary), as `(start, end)`; look-behind such as `\b` and
    /// `^` sees the text before `from`, as JavaScript's `lastIndex` does.
    pub fn find_at(
        &self,
        haystack: &[u8],
        from: usize,
    ) -> Result<Option<(usize, usize)>, RegexError> {
        (self.engine.0)(self, haystack, from)
    }

    fn dfa_find_at(
        &self,
        haystack: &[u8],
        from: usize,
    ) -> Result<Option<(usize, usize)>, RegexError> {
        let (forward, _) = DFA::from_bytes(self.forward).map_err(|_| RegexError)?;
        let (reverse, _) = DFA::from_bytes(self.reverse).map_err(|_| RegexError)?;
        if from > haystack.len() {
            return Ok(None);
        }
        let input = Input::new(haystack).span(from..haystack.len());
        let Some(end) = forward.try_search_fwd(&input).map_err(|_| RegexError)? else {
            return Ok(None);
        };
        let back = Input::new(haystack)
            .span(from..end.offset())
            .anchored(Anchored::Yes);
        let start = reverse
            .try_search_rev(&back)
            .map_err(|_| RegexError)?
            .ok_or(RegexError)?;
        Ok(Some((start.offset(), end.offset())))
    }

    /// The serialized DFAs, for checking their size.
    pub fn len(&self) -> usize {
        self.forward.len() + self.reverse.len()
    }

    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }
}

/// A pattern's program for finding where its capturing groups are in a
/// match, as JavaScript's backtracking finds them: psosc compiles the
/// pattern into a few instructions over characters (`u32` words, a static
/// of the generated code), and [`Captures::find`] runs them as a Pike VM,
/// every thread in step, in the priority order JavaScript would try them,
/// so the work is at most the program's length for each character of the
/// match. The memory it needs is [`Captures::memory_words`] words, which
/// psosc knows when it builds the flow; the caller gives them (a change
/// node as a fixed array on its stack).
///
/// Two rules are JavaScript's own and not those of other regex engines:
/// the groups inside a repeated group are forgotten at the start of each
/// repetition (`/(?:(a)|b)+/` on `"ab"` leaves group 1 unmatched), and a
/// repetition past its minimum that matches nothing fails (`/(a?)?/` on
/// `"b"` leaves group 1 unmatched).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Captures {
    program: &'static [u32],
    names: &'static [&'static str],
    engine: Engine<Find>,
}

/// [`Captures::find`]'s engine.
type Find = fn(&Captures, &str, usize, usize, &mut [u32]) -> Result<Option<usize>, RegexError>;

/// The instructions of a [`Captures`] program, each three words: the
/// operation and two operands. Every instruction but [`op::SPLIT`] and
/// [`op::JUMP`] goes on to the next one. The compiler writes them; they are
/// public so that it has one place to take them from.
pub mod op {
    /// A match: the thread is done.
    pub const MATCH: u32 = 0;
    /// One character in a class: operands are the class's first range in
    /// the range table and how many ranges it has (sorted, inclusive).
    pub const CLASS: u32 = 1;
    /// Either operand, the first preferred.
    pub const SPLIT: u32 = 2;
    /// To the first operand.
    pub const JUMP: u32 = 3;
    /// The current position into slot `x`.
    pub const SAVE: u32 = 4;
    /// Slots `x` up to `y` (not included) unset: a repeated group's groups.
    pub const CLEAR: u32 = 5;
    /// An assertion ([`look`]) at the current position, `x`.
    pub const LOOK: u32 = 6;
    /// The position a repetition starts at into slot `x`.
    pub const SET_PROGRESS: u32 = 7;
    /// The thread dies if it is still where slot `x` says the repetition
    /// started.
    pub const CHECK_PROGRESS: u32 = 8;
}

/// The assertions of [`op::LOOK`]: JavaScript's `^`, `$` (without the `m`
/// flag) and its ASCII `\b`, `\B`.
pub mod look {
    pub const START: u32 = 0;
    pub const END: u32 = 1;
    pub const WORD_BOUNDARY: u32 = 2;
    pub const NOT_WORD_BOUNDARY: u32 = 3;
}

/// The first word of a program.
pub const CAPTURES_MAGIC: u32 = 0x5053_4301;
/// Words before the instructions: the magic, the number of instructions,
/// of slots, of stack frames, and of slots that belong to groups.
pub const CAPTURES_HEADER: usize = 5;
const UNSET: u32 = u32::MAX;

/// A program's shape, read from its header.
#[derive(Clone, Copy)]
struct Shape {
    instructions: usize,
    slots: usize,
    frames: usize,
    group_slots: usize,
}

impl Shape {
    fn words(self) -> usize {
        Captures::memory_words_for(self.instructions, self.slots, self.frames)
    }
}

impl Captures {
    /// `program` as psosc writes it; `names` gives each group's name, or
    /// `""`, from group 1 on.
    pub const fn new(program: &'static [u32], names: &'static [&'static str]) -> Self {
        Self {
            program,
            names,
            engine: Engine(Self::run),
        }
    }

    /// The words of memory [`Captures::find`] needs for a program of
    /// `instructions`, `slots` and `frames`: the best match's slots, the
    /// slots being built, the stack of the search through instructions
    /// that read nothing, and two lists of threads (a sparse set of
    /// instructions, each one's slots, and the instructions visited at one
    /// position).
    pub const fn memory_words_for(instructions: usize, slots: usize, frames: usize) -> usize {
        2 * slots + 2 * frames + 2 * (3 * instructions + instructions * slots)
    }

    fn shape(&self) -> Result<Shape, RegexError> {
        let word = |at: usize| {
            self.program
                .get(at)
                .map(|word| *word as usize)
                .ok_or(RegexError)
        };
        if word(0)? != CAPTURES_MAGIC as usize {
            return Err(RegexError);
        }
        Ok(Shape {
            instructions: word(1)?,
            slots: word(2)?,
            frames: word(3)?,
            group_slots: word(4)?,
        })
    }

    /// The words of memory [`Captures::find`] needs.
    pub fn memory_words(&self) -> usize {
        self.shape().map_or(usize::MAX, Shape::words)
    }

    /// How many capturing groups the pattern has.
    pub fn groups(&self) -> usize {
        self.shape()
            .map_or(0, |shape| (shape.group_slots / 2).saturating_sub(1))
    }

    /// The group named `name`, numbered from 1.
    pub fn named(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|candidate| !candidate.is_empty() && *candidate == name)
            .map(|index| index + 1)
    }

    /// The serialized program, for checking its size.
    pub fn len(&self) -> usize {
        self.program.len()
    }

    pub fn is_empty(&self) -> bool {
        self.program.is_empty()
    }

    /// The match that starts at `start` (a character boundary) and ends at
    /// or before `limit`, as JavaScript's backtracking finds it: where it
    /// ends, with the groups' spans left in `memory` for
    /// [`Captures::group`]. Text before `start` and after `limit` is seen
    /// by `^`, `$`, `\b` and `\B`. A `memory` shorter than
    /// [`Captures::memory_words`] is an error.
    pub fn find(
        &self,
        text: &str,
        start: usize,
        limit: usize,
        memory: &mut [u32],
    ) -> Result<Option<usize>, RegexError> {
        (self.engine.0)(self, text, start, limit, memory)
    }

    /// [`Captures::find`]: the Pike VM.
    fn run(
        &self,
        text: &str,
        start: usize,
        limit: usize,
        memory: &mut [u32],
    ) -> Result<Option<usize>, RegexError> {
        let shape = self.shape()?;
        let program = Program {
            words: self.program,
            shape,
        };
        let memory = memory.get_mut(..shape.words()).ok_or(RegexError)?;
        let (best, rest) = memory.split_at_mut_checked(shape.slots).ok_or(RegexError)?;
        let (current, rest) = rest.split_at_mut_checked(shape.slots).ok_or(RegexError)?;
        let (stack, rest) = rest
            .split_at_mut_checked(2 * shape.frames)
            .ok_or(RegexError)?;
        let list_words = 3 * shape.instructions + shape.instructions * shape.slots;
        let (list_a, list_b) = rest.split_at_mut_checked(list_words).ok_or(RegexError)?;
        let mut threads = Threads::new(list_a, shape)?;
        let mut next = Threads::new(list_b, shape)?;
        if shape.slots - shape.group_slots.min(shape.slots) > MAX_PROGRESS_SLOTS {
            return Err(RegexError);
        }
        best.fill(UNSET);
        current.fill(UNSET);
        if !text.is_char_boundary(start) || limit > text.len() || start > limit {
            return Err(RegexError);
        }
        let mut search = Search {
            program,
            stack,
            text: text.as_bytes(),
        };
        let mut matched = None;
        let mut at = start;
        search.closure(&mut threads, current, 0, at)?;
        while threads.len > 0 {
            let character = text.get(at..limit).and_then(|rest| rest.chars().next());
            next.clear();
            for index in 0..threads.len {
                let pc = threads.dense(index)?;
                let (operation, x, y) = program.instruction(pc)?;
                match operation {
                    op::MATCH => {
                        best.copy_from_slice(threads.slots(pc)?);
                        matched = Some(at);
                        // Threads after this one are less preferred.
                        break;
                    }
                    op::CLASS => {
                        if let Some(character) = character {
                            if program.class_contains(x, y, character)? {
                                current.copy_from_slice(threads.slots(pc)?);
                                let after = at + character.len_utf8();
                                search.closure(&mut next, current, pc + 1, after)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            let Some(character) = character else {
                break;
            };
            at += character.len_utf8();
            core::mem::swap(&mut threads, &mut next);
        }
        Ok(matched)
    }

    /// Group `index`'s span (0 the whole match) after [`Captures::find`]
    /// found a match with `memory`; `None` for a group that took no part.
    pub fn group(&self, memory: &[u32], index: usize) -> Option<(usize, usize)> {
        let start = *memory.get(2 * index)?;
        let end = *memory.get(2 * index + 1)?;
        (start != UNSET && end != UNSET && index <= self.groups())
            .then_some((start as usize, end as usize))
    }
}

#[derive(Clone, Copy)]
struct Program {
    words: &'static [u32],
    shape: Shape,
}

impl Program {
    fn instruction(&self, pc: usize) -> Result<(u32, usize, usize), RegexError> {
        if pc >= self.shape.instructions {
            return Err(RegexError);
        }
        let at = CAPTURES_HEADER + 3 * pc;
        match self.words.get(at..at + 3) {
            Some([operation, x, y]) => Ok((*operation, *x as usize, *y as usize)),
            _ => Err(RegexError),
        }
    }

    /// Whether `character` is in the class of `count` ranges from `first`,
    /// by a binary search of its sorted ranges.
    fn class_contains(
        &self,
        first: usize,
        count: usize,
        character: char,
    ) -> Result<bool, RegexError> {
        let table = CAPTURES_HEADER + 3 * self.shape.instructions;
        let ranges = self
            .words
            .get(table + 2 * first..table + 2 * (first + count))
            .ok_or(RegexError)?;
        let code = u32::from(character);
        let (mut low, mut high) = (0, count);
        while low < high {
            let middle = low + (high - low) / 2;
            let (Some(from), Some(to)) = (ranges.get(2 * middle), ranges.get(2 * middle + 1))
            else {
                return Err(RegexError);
            };
            if code < *from {
                high = middle;
            } else if code > *to {
                low = middle + 1;
            } else {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The most repetitions that may match nothing a program may have: which
/// of them started at the current position is part of what a thread is
/// (a set of up to 2^5 in one word per instruction).
pub const MAX_PROGRESS_SLOTS: usize = 5;

/// One list of threads: a sparse set of the instructions that read a
/// character (or match), in the order they were reached, each with its
/// slots; and the instructions visited at this position.
struct Threads<'m> {
    dense: &'m mut [u32],
    sparse: &'m mut [u32],
    /// For each instruction, a bit for each set of repetitions that
    /// started here with which a thread visited it. Two threads that visit
    /// an instruction with the same set have the same future (JavaScript's
    /// test of an empty iteration looks only at whether the iteration
    /// started here), so the later, less preferred one is dropped.
    visited: &'m mut [u32],
    slots: &'m mut [u32],
    len: usize,
    width: usize,
}

impl<'m> Threads<'m> {
    fn new(words: &'m mut [u32], shape: Shape) -> Result<Self, RegexError> {
        let (dense, rest) = words
            .split_at_mut_checked(shape.instructions)
            .ok_or(RegexError)?;
        let (sparse, rest) = rest
            .split_at_mut_checked(shape.instructions)
            .ok_or(RegexError)?;
        let (visited, slots) = rest
            .split_at_mut_checked(shape.instructions)
            .ok_or(RegexError)?;
        visited.fill(0);
        Ok(Self {
            dense,
            sparse,
            visited,
            slots,
            len: 0,
            width: shape.slots,
        })
    }

    fn clear(&mut self) {
        self.len = 0;
        self.visited.fill(0);
    }

    /// Marks `pc` visited with `started`; false if it was already.
    fn visit(&mut self, pc: usize, started: u32) -> Result<bool, RegexError> {
        let visited = self.visited.get_mut(pc).ok_or(RegexError)?;
        let bit = 1u32.checked_shl(started).ok_or(RegexError)?;
        let first = *visited & bit == 0;
        *visited |= bit;
        Ok(first)
    }

    fn dense(&self, index: usize) -> Result<usize, RegexError> {
        self.dense
            .get(index)
            .map(|pc| *pc as usize)
            .ok_or(RegexError)
    }

    fn contains(&self, pc: usize) -> bool {
        self.sparse
            .get(pc)
            .map(|index| *index as usize)
            .filter(|index| *index < self.len)
            .and_then(|index| self.dense.get(index))
            .is_some_and(|found| *found as usize == pc)
    }

    fn insert(&mut self, pc: usize) -> Result<(), RegexError> {
        *self.dense.get_mut(self.len).ok_or(RegexError)? = pc as u32;
        *self.sparse.get_mut(pc).ok_or(RegexError)? = self.len as u32;
        self.len += 1;
        Ok(())
    }

    fn slots(&self, pc: usize) -> Result<&[u32], RegexError> {
        self.slots
            .get(pc * self.width..(pc + 1) * self.width)
            .ok_or(RegexError)
    }

    fn slots_mut(&mut self, pc: usize) -> Result<&mut [u32], RegexError> {
        self.slots
            .get_mut(pc * self.width..(pc + 1) * self.width)
            .ok_or(RegexError)
    }
}

/// The walk through the instructions that read nothing, from one thread.
struct Search<'m> {
    program: Program,
    /// Frames of two words: `0, pc` to explore an instruction, `slot + 1,
    /// value` to put a slot back as it was.
    stack: &'m mut [u32],
    text: &'m [u8],
}

impl Search<'_> {
    /// Adds to `threads` every instruction that reads a character (or
    /// matches) that the thread at `start` with `slots` reaches at `at`
    /// without reading one, in priority order, each with its slots; an
    /// instruction reached before by a preferred thread is left to it.
    fn closure(
        &mut self,
        threads: &mut Threads<'_>,
        slots: &mut [u32],
        start: usize,
        at: usize,
    ) -> Result<(), RegexError> {
        let position = u32::try_from(at).map_err(|_| RegexError)?;
        let mut top = 0;
        self.push(&mut top, 0, start as u32)?;
        while top > 0 {
            top -= 1;
            let (Some(tag), Some(value)) = (self.stack.get(2 * top), self.stack.get(2 * top + 1))
            else {
                return Err(RegexError);
            };
            let (tag, value) = (*tag as usize, *value);
            if tag > 0 {
                *slots.get_mut(tag - 1).ok_or(RegexError)? = value;
                continue;
            }
            let mut pc = value as usize;
            while threads.visit(pc, self.started(slots, position))? {
                let (operation, x, y) = self.program.instruction(pc)?;
                match operation {
                    op::MATCH | op::CLASS => {
                        if !threads.contains(pc) {
                            threads.insert(pc)?;
                            threads.slots_mut(pc)?.copy_from_slice(slots);
                        }
                        break;
                    }
                    op::JUMP => pc = x,
                    op::SPLIT => {
                        self.push(&mut top, 0, y as u32)?;
                        pc = x;
                    }
                    op::SAVE | op::SET_PROGRESS => {
                        let slot = slots.get_mut(x).ok_or(RegexError)?;
                        let old = *slot;
                        *slot = position;
                        self.push(&mut top, x + 1, old)?;
                        pc += 1;
                    }
                    op::CLEAR => {
                        for index in x..y {
                            let slot = slots.get_mut(index).ok_or(RegexError)?;
                            let old = *slot;
                            *slot = UNSET;
                            self.push(&mut top, index + 1, old)?;
                        }
                        pc += 1;
                    }
                    op::LOOK if self.holds(x, at) => pc += 1,
                    op::CHECK_PROGRESS if slots.get(x) != Some(&position) => pc += 1,
                    op::LOOK | op::CHECK_PROGRESS => break,
                    _ => return Err(RegexError),
                }
            }
        }
        Ok(())
    }

    /// The set of repetitions (by their progress slots) whose current
    /// iteration started at `position`, as a number.
    fn started(&self, slots: &[u32], position: u32) -> u32 {
        let shape = self.program.shape;
        slots
            .get(shape.group_slots..shape.slots)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, start)| **start == position)
            .fold(0, |set, (index, _)| set | 1 << index)
    }

    fn push(&mut self, top: &mut usize, tag: usize, value: u32) -> Result<(), RegexError> {
        let frame = self
            .stack
            .get_mut(2 * *top..2 * *top + 2)
            .ok_or(RegexError)?;
        if let [first, second] = frame {
            *first = tag as u32;
            *second = value;
        }
        *top += 1;
        Ok(())
    }

    fn holds(&self, assertion: usize, at: usize) -> bool {
        let word =
            |byte: Option<&u8>| byte.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let before = at.checked_sub(1).and_then(|before| self.text.get(before));
        let boundary = word(before) != word(self.text.get(at));
        match assertion as u32 {
            look::START => at == 0,
            look::END => at == self.text.len(),
            look::WORD_BOUNDARY => boundary,
            look::NOT_WORD_BOUNDARY => !boundary,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;
    use std::vec::Vec;

    use super::*;

    /// `(a)`, as psosc compiles it: save 0, save 2, `a`, save 3, save 1,
    /// match; one range.
    const PROGRAM: &[u32] = &[
        CAPTURES_MAGIC,
        6,
        4,
        5,
        4,
        op::SAVE,
        0,
        0,
        op::SAVE,
        2,
        0,
        op::CLASS,
        0,
        1,
        op::SAVE,
        3,
        0,
        op::SAVE,
        1,
        0,
        op::MATCH,
        0,
        0,
        0x61,
        0x61,
    ];

    #[test]
    fn a_program_finds_its_groups() {
        let captures = Captures::new(PROGRAM, &[]);
        let mut memory = [0u32; 128];
        assert!(captures.memory_words() <= memory.len());
        assert_eq!(captures.find("xa", 1, 2, &mut memory), Ok(Some(2)));
        assert_eq!(captures.group(&memory, 1), Some((1, 2)));
        assert_eq!(captures.group(&memory, 2), None);
        assert_eq!(captures.find("xa", 0, 2, &mut memory), Ok(None));
    }

    /// Runs a program that lives as long as the test.
    fn run(program: Vec<u32>, text: &str) -> Result<Option<usize>, RegexError> {
        let program: &'static [u32] = Box::leak(program.into_boxed_slice());
        let mut memory = [0u32; 128];
        Captures::new(program, &[]).find(text, 0, text.len(), &mut memory)
    }

    /// Too little memory, a start that is not a character boundary, and
    /// programs that are not psosc's are errors, never a panic.
    #[test]
    fn what_cannot_run_is_an_error() {
        let captures = Captures::new(PROGRAM, &[]);
        let mut small = [0u32; 8];
        assert_eq!(captures.find("a", 0, 1, &mut small), Err(RegexError));
        let mut memory = [0u32; 128];
        assert_eq!(captures.find("é", 1, 2, &mut memory), Err(RegexError));
        assert_eq!(captures.find("a", 0, 2, &mut memory), Err(RegexError));
        // Not the magic word, a jump past the end, an unknown instruction,
        // a class beyond the table, a slot beyond the slots, a header that
        // says more instructions than there are.
        for changes in [
            &[(0, 0)][..],
            &[(5, op::JUMP), (6, 99)],
            &[(5, 42)],
            &[(12, 7)],
            &[(9, 9)],
            &[(1, 60)],
        ] {
            let mut program = PROGRAM.to_vec();
            for (at, word) in changes {
                program[*at] = *word;
            }
            assert_eq!(run(program, "a"), Err(RegexError), "{changes:?}");
        }
    }
}
