//! Regular expressions a device matches without a regex compiler and
//! without allocating: psosc translates each of the flow's JavaScript
//! patterns and builds it into a DFA (`regex-automata`'s dense DFA) at build
//! time, and the generated code holds its bytes as a static. Here they are
//! read in place (`DFA::from_bytes`, zero-copy) and run over the text.
//!
//! The one home of matching for every node that tests a pattern: `switch`'s
//! `regex` rule, and `change`'s regex replace, which also needs where each
//! match starts ([`Finder`]).

use regex_automata::dfa::{dense::DFA, Automaton};
use regex_automata::{Anchored, Input};

/// A serialized DFA's bytes with the alignment `DFA::from_bytes` needs (its
/// transition table is read as `u32`s in place). The compiler emits each
/// pattern as a `static DFA: Aligned<L> = Aligned(*b"...")` and hands
/// `&DFA.0` to [`Regex::new`].
#[repr(C, align(4))]
pub struct Aligned<const L: usize>(pub [u8; L]);

/// A compiled pattern: the bytes of an unanchored dense DFA, serialized
/// little-endian, as psosc writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regex {
    dfa: &'static [u8],
}

/// Why a pattern could not be run: its bytes are not a DFA this runtime
/// reads (a big-endian device, or bytes not made by a matching psosc), or
/// the search gave up (a dense DFA without look-around never does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegexError;

impl Regex {
    /// `dfa` is 4-byte aligned: take it from an [`Aligned`].
    pub const fn new(dfa: &'static [u8]) -> Self {
        Self { dfa }
    }

    /// Whether the pattern matches anywhere in `haystack`, as JavaScript's
    /// `text.match(pattern)` is truthy. Each call checks the bytes again
    /// (`from_bytes` validates in time linear in their size), since no
    /// checked form can be kept in a static without unsafe code.
    pub fn is_match(&self, haystack: &[u8]) -> Result<bool, RegexError> {
        let (dfa, _) = DFA::from_bytes(self.dfa).map_err(|_| RegexError)?;
        let input = Input::new(haystack).earliest(true);
        dfa.try_search_fwd(&input)
            .map(|found| found.is_some())
            .map_err(|_| RegexError)
    }

    /// The serialized DFA, for checking its size.
    pub fn len(&self) -> usize {
        self.dfa.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dfa.is_empty()
    }
}

/// A compiled pattern that finds where its matches are: the forward DFA
/// gives where the leftmost-first match ends (what JavaScript's
/// backtracking finds), a reverse DFA run back from there, anchored, where
/// it starts. Capture groups are not tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finder {
    forward: &'static [u8],
    reverse: &'static [u8],
}

impl Finder {
    /// Both are 4-byte aligned: take them from [`Aligned`]s.
    pub const fn new(forward: &'static [u8], reverse: &'static [u8]) -> Self {
        Self { forward, reverse }
    }

    /// The first match in `haystack` that starts at or after `from` (a
    /// character boundary), as `(start, end)`; look-behind such as `\b` and
    /// `^` sees the text before `from`, as JavaScript's `lastIndex` does.
    pub fn find_at(
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
