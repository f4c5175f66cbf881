//! `change`: Node-RED's `15-change.js`. Rules run in order, each on a
//! property of the message or of flow or global context (`context.rs`):
//! `set` it to a value, `change` text in it (or the whole value), `delete`
//! it, `move` it elsewhere.
//!
//! A value taken from a property (`msg`, `flow`, `global`), or a value a
//! rule computes, is first copied into a scratch message of the message's
//! size on the stack, so that a rule may read and write one message or
//! store without holding both at once; every copy is deep, as Node-RED's
//! `dc` asks. A value a property does not have is JavaScript's `undefined`:
//! setting it deletes the target, as Node-RED's `setMessageProperty` does.

use core::fmt::{self, Write};

use super::catch::error_text;
use crate::context::{Context, NamedStore, Stores};
use crate::encoding::Bytes;
use crate::msg::PathSegment;
use crate::regex::{Captures, Finder};
use crate::text::SliceWriter;
use crate::value::write_number;
use crate::{number_from_str, ConstValue, Device, ErrorKind, Msg, MsgError, Node, NodeInfo};
use crate::{Outputs, ValueRef};

/// Where a property lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Msg,
    /// The flow context of the node's tab.
    Flow,
    /// The device's global context.
    Global,
    /// A flow context store the flow names (`#:(name)::key`) other than
    /// the default one, by the number psosc gives its name (the names of
    /// a flow numbered in the order they first come), which keeps a
    /// property as small as without names.
    FlowStore(u16),
    /// A global context store the flow names, other than the default one.
    GlobalStore(u16),
}

/// A property of the message or of a context store (Node-RED's `pt`,
/// `tot`, `fromt` with `p`, `to`, `from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property {
    pub scope: Scope,
    pub path: &'static [PathSegment<'static>],
}

impl Property {
    /// The message's property at `path`.
    pub const fn msg(path: &'static [PathSegment<'static>]) -> Self {
        Self {
            scope: Scope::Msg,
            path,
        }
    }
}

/// The value a rule sets (Node-RED's `to` and `tot`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChangeValue {
    /// `str`, `num`, `bool`, `json`, and `env` (looked up by psosc).
    Const(ConstValue),
    /// `bin`: a buffer.
    Bytes(&'static [u8]),
    /// `date`: milliseconds since the Unix epoch where the board has a wall
    /// clock, since start-up otherwise.
    Timestamp,
    /// `date` in the `iso` format: that time as `toISOString` writes it.
    IsoDate(crate::IsoText),
    /// `msg`, `flow`, `global`: a copy of another property's value.
    Property(Property),
}

/// What Node-RED's `fromt` says the `from` text is, for a property whose
/// value is not text: a number matches the number `from` reads as, a
/// boolean the word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Str,
    Num,
    Bool,
}

/// What a `change` rule looks for (Node-RED's `from` and `fromt`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pattern {
    /// `str`, `num`, `bool`: text that equals the whole value replaces it
    /// with the value; otherwise every occurrence in text is replaced.
    Text { text: &'static str, kind: TextKind },
    /// `re`: a JavaScript regular expression, every match replaced.
    /// `groups` counts its capturing groups and `named` says whether any
    /// has a name: `$1`, `$<name>` in the replacement refer to them, and
    /// `captures` finds where they are (psosc gives it when the
    /// replacement may name a group).
    Regex {
        finder: Finder,
        groups: u8,
        named: bool,
        captures: Option<Captures>,
    },
    /// `msg`, `flow`, `global`: the text is another property's value.
    Property(Property),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChangeRule {
    /// Sets a message property to a constant: the common rule, done in
    /// place when the size allows.
    Set {
        path: &'static [PathSegment<'static>],
        value: ConstValue,
    },
    /// Deletes a message property.
    Delete {
        path: &'static [PathSegment<'static>],
    },
    /// Sets any property to any value.
    SetValue {
        target: Property,
        value: ChangeValue,
    },
    /// Deletes any property.
    DeleteProperty { target: Property },
    /// Node-RED's `change`.
    Change {
        target: Property,
        from: Pattern,
        value: ChangeValue,
    },
    /// Node-RED's `move`: the value goes to `to` and leaves `from`.
    /// `set_first` says Node-RED sets `to` before it deletes `from` (the
    /// scopes differ, or `from`'s text holds `to`'s: a child moved up);
    /// otherwise it deletes first, so a value moved beneath itself
    /// (`payload` to `payload.foo`) lands in a fresh object.
    Move {
        from: Property,
        to: Property,
        set_first: bool,
    },
}

/// The node. `C` is the size of the context stores it uses; a node that
/// uses none has `C` 0 and no stores. `V` is the words of memory its
/// patterns need to find groups (the most any of its [`Captures`] needs),
/// taken on the stack while a rule replaces; 0 for a node that finds none.
pub struct Change<const C: usize = 0, const V: usize = 0> {
    pub info: NodeInfo,
    rules: &'static [ChangeRule],
    stores: Stores<C>,
}

impl Change<0> {
    /// A node whose rules touch only the message.
    pub const fn new(info: NodeInfo, rules: &'static [ChangeRule]) -> Self {
        Self {
            info,
            rules,
            stores: Stores::NONE,
        }
    }
}

impl<const C: usize> Change<C> {
    /// A node whose rules use its tab's flow context or the device's global
    /// context.
    pub const fn with_context(
        info: NodeInfo,
        rules: &'static [ChangeRule],
        flow: Option<&'static Context<C>>,
        global: Option<&'static Context<C>>,
    ) -> Self {
        Self {
            info,
            rules,
            stores: Stores::new(flow, global),
        }
    }

    /// The node with the stores the flow names that its rules use.
    pub const fn with_named(self, named: &'static [NamedStore<C>]) -> Self {
        Self {
            info: self.info,
            rules: self.rules,
            stores: self.stores.with_named(named),
        }
    }

    /// The node with `W` words of memory for finding the groups of its
    /// patterns ([`Captures::memory_words`] of each, at most).
    pub const fn with_captures<const W: usize>(self) -> Change<C, W> {
        Change {
            info: self.info,
            rules: self.rules,
            stores: self.stores,
        }
    }
}

/// Why a rule stops the message: the error event to count, or none for a
/// message Node-RED drops without a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fault(Option<ErrorKind>);

impl Fault {
    const fn of(kind: ErrorKind) -> Self {
        Fault(Some(kind))
    }
}

impl From<MsgError> for Fault {
    fn from(error: MsgError) -> Self {
        match error {
            MsgError::Full => Fault::of(ErrorKind::Oversize),
            MsgError::NotAContainer | MsgError::BadPath => Fault::of(ErrorKind::BadValue),
        }
    }
}

/// The one key of a scratch message.
const SCRATCH: &[PathSegment<'static>] = &[PathSegment::Key("v")];

/// Why a replacement text cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplaceError {
    /// It refers to a capturing group (`$1`, `$<name>`) and the groups are
    /// not known: the pattern came without [`Captures`].
    Group,
    /// The result does not fit.
    Full,
    /// The pattern's program could not be run (not one this runtime reads,
    /// or given too little memory).
    Pattern,
}

impl From<fmt::Error> for ReplaceError {
    fn from(_: fmt::Error) -> Self {
        ReplaceError::Full
    }
}

/// One match, for `$&`, `` $` ``, `$'` and the groups.
pub struct Match<'a> {
    pub matched: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    /// Where the pattern's groups are in this match, when they are known.
    pub groups: Option<Groups<'a>>,
}

/// The groups of one match: spans in `text` that [`Captures::find`] left
/// in `memory`.
pub struct Groups<'a> {
    pub text: &'a str,
    pub captures: &'a Captures,
    pub memory: &'a [u32],
}

impl Groups<'_> {
    /// Group `index`'s text; `""` for a group that took no part, as
    /// JavaScript's replace writes `undefined` groups.
    fn text(&self, index: usize) -> &str {
        self.captures
            .group(self.memory, index)
            .and_then(|(start, end)| self.text.get(start..end))
            .unwrap_or_default()
    }
}

/// Writes `replacement` for one match as JavaScript's
/// `String.prototype.replace` does (`GetSubstitution`): `$$` is `$`, `$&`
/// the match, `` $` `` the text before it, `$'` the text after it; `$nn`
/// names group nn when the pattern has that many (`groups`), else `$n`
/// group n followed by a digit; `$<name>` the group of that name when the
/// pattern has named groups (`named`; a name it lacks, or a group that took
/// no part, is empty); anything else is itself. A group named when
/// `found` has no [`Groups`] is [`ReplaceError::Group`]: psosc runs this on
/// a flow's replacement text, without groups, to learn whether it names one.
pub fn substitute<W: Write>(
    replacement: &str,
    found: &Match<'_>,
    groups: u8,
    named: bool,
    out: &mut W,
) -> Result<(), ReplaceError> {
    let bytes = replacement.as_bytes();
    let digit = |at: usize| {
        bytes
            .get(at)
            .filter(|byte| byte.is_ascii_digit())
            .map(|byte| byte - b'0')
    };
    let group = |index: usize, out: &mut W| match &found.groups {
        Some(groups) => Ok(out.write_str(groups.text(index))?),
        None => Err(ReplaceError::Group),
    };
    let mut at = 0;
    let mut plain = 0;
    while let Some(offset) = replacement.get(at..).and_then(|rest| rest.find('$')) {
        let dollar = at + offset;
        out.write_str(replacement.get(plain..dollar).unwrap_or_default())?;
        let next = bytes.get(dollar + 1).copied();
        let (text, used): (Option<&str>, usize) = match next {
            Some(b'$') => (Some("$"), 2),
            Some(b'&') => (Some(found.matched), 2),
            Some(b'`') => (Some(found.before), 2),
            Some(b'\'') => (Some(found.after), 2),
            Some(b'0'..=b'9') => {
                let one = digit(dollar + 1).unwrap_or(0);
                let two = digit(dollar + 2).map(|second| one * 10 + second);
                let names_group = |n: u8| n >= 1 && n <= groups;
                match two.filter(|two| names_group(*two)) {
                    Some(two) => {
                        group(usize::from(two), out)?;
                        (Some(""), 3)
                    }
                    None if names_group(one) => {
                        group(usize::from(one), out)?;
                        (Some(""), 2)
                    }
                    None => (None, 1),
                }
            }
            Some(b'<') if named => {
                let name_end = replacement
                    .get(dollar + 2..)
                    .and_then(|rest| rest.find('>'))
                    .map(|offset| dollar + 2 + offset);
                match name_end {
                    Some(name_end) => {
                        let name = replacement.get(dollar + 2..name_end).unwrap_or_default();
                        match &found.groups {
                            Some(groups) => {
                                if let Some(index) = groups.captures.named(name) {
                                    out.write_str(groups.text(index))?;
                                }
                            }
                            None => return Err(ReplaceError::Group),
                        }
                        (Some(""), name_end + 1 - dollar)
                    }
                    None => (None, 1),
                }
            }
            _ => (None, 1),
        };
        match text {
            Some(text) => out.write_str(text)?,
            None => out.write_char('$')?,
        }
        at = dollar + used;
        plain = at;
    }
    out.write_str(replacement.get(plain..).unwrap_or_default())?;
    Ok(())
}

/// JavaScript's `String(value)`, and `undefined` for a missing value.
fn write_text<W: Write>(value: Option<ValueRef<'_>>, out: &mut W) -> fmt::Result {
    match value {
        None => out.write_str("undefined"),
        Some(ValueRef::Number(n)) => write_number(n, out),
        Some(value) => value.write_js_text(out),
    }
}

/// Replaces every match in `text`, found by `find` (the first match at or
/// after an offset), with `replacement`, as a global `replace` does: after
/// an empty match the search goes on one character later, and an empty
/// match right after another match counts. With `captures` (a pattern's
/// program and the memory it runs in), each match's groups are found from
/// where it starts, as JavaScript's backtracking finds them.
fn replace_all<W: Write>(
    text: &str,
    replacement: &str,
    groups: u8,
    named: bool,
    mut find: impl FnMut(usize) -> Result<Option<(usize, usize)>, ReplaceError>,
    mut captures: Option<(&Captures, &mut [u32])>,
    out: &mut W,
) -> Result<(), ReplaceError> {
    let mut from = 0;
    let mut copied = 0;
    while from <= text.len() {
        let Some((start, end)) = find(from)? else {
            break;
        };
        // The groups' program finds the match's end as well: the DFA's
        // differs from JavaScript's where an iteration that matches nothing
        // would be taken (`(|a){1,2}` on "a"), which JavaScript never takes.
        let end = match &mut captures {
            Some((program, memory)) => program
                .find(text, start, text.len(), memory)
                .map_err(|_| ReplaceError::Pattern)?
                .ok_or(ReplaceError::Pattern)?,
            None => end,
        };
        let (Some(matched), Some(before), Some(after), Some(between)) = (
            text.get(start..end),
            text.get(..start),
            text.get(end..),
            text.get(copied..start),
        ) else {
            return Err(ReplaceError::Full);
        };
        out.write_str(between)?;
        let found = Match {
            matched,
            before,
            after,
            groups: captures.as_ref().map(|(captures, memory)| Groups {
                text,
                captures,
                memory,
            }),
        };
        substitute(replacement, &found, groups, named, out)?;
        copied = end;
        from = if end == start {
            end + after.chars().next().map_or(1, char::len_utf8)
        } else {
            end
        };
    }
    out.write_str(text.get(copied..).unwrap_or_default())?;
    Ok(())
}

/// Where plain text occurs at or after `from`; empty text is everywhere.
fn find_text(text: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let offset = text.get(from..)?.find(needle)?;
    Some((from + offset, from + offset + needle.len()))
}

impl ChangeRule {
    /// Whether the rule sets a `date` value, which needs the time.
    fn reads_clock(&self) -> bool {
        match self {
            Self::SetValue { value, .. } | Self::Change { value, .. } => {
                matches!(value, ChangeValue::Timestamp | ChangeValue::IsoDate(_))
            }
            _ => false,
        }
    }
}

impl<const C: usize, const V: usize> Change<C, V> {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // The wall clock is read only for rules that set the time: on the
        // host board it is a system call's worth, for every message.
        let now_ms = if self.rules.iter().any(ChangeRule::reads_clock) {
            crate::platform::now_ms()
        } else {
            0
        };
        self.input_at(device, msg, out, now_ms);
    }

    /// As [`Change::input`], with the time a `date` value takes.
    pub fn input_at<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        now_ms: u64,
    ) {
        for rule in self.rules {
            if let Err(Fault(kind)) = self.apply(rule, device, msg, now_ms) {
                if let Some(kind) = kind {
                    device.report(kind);
                }
                return;
            }
        }
        out.send(0, msg);
    }

    fn apply<const N: usize>(
        &self,
        rule: &ChangeRule,
        device: &Device,
        msg: &mut Msg<N>,
        now_ms: u64,
    ) -> Result<(), Fault> {
        match rule {
            ChangeRule::Set { path, value } => match msg.set(path, value) {
                // A property beneath a value that holds none (`payload.n`
                // of a string): Node-RED warns ("no-override") and goes on
                // with the message as it is; no catch node hears of it.
                Err(MsgError::NotAContainer) => device.report_uncaught(ErrorKind::BadValue),
                result => result?,
            },
            ChangeRule::Delete { path } => {
                msg.remove(path);
            }
            ChangeRule::SetValue { target, value } => {
                let mut scratch = Msg::<N>::new();
                self.resolve(value, device, msg, now_ms, &mut scratch)?;
                self.write(device, msg, target, scratch.get(SCRATCH))?;
            }
            ChangeRule::DeleteProperty { target } => {
                self.write(device, msg, target, None)?;
            }
            ChangeRule::Change {
                target,
                from,
                value,
            } => self.change(device, msg, now_ms, target, from, value)?,
            ChangeRule::Move {
                from,
                to,
                set_first,
            } => {
                let mut scratch = Msg::<N>::new();
                self.fetch(device, msg, from, &mut scratch)?;
                let value = scratch.get(SCRATCH);
                if *set_first {
                    self.write(device, msg, to, value)?;
                    self.write(device, msg, from, None)?;
                } else {
                    self.write(device, msg, from, None)?;
                    self.write(device, msg, to, value)?;
                }
            }
        }
        Ok(())
    }

    fn store(&self, scope: Scope) -> Result<&'static Context<C>, Fault> {
        self.stores
            .store(scope)
            .ok_or(Fault::of(ErrorKind::BadValue))
    }

    /// Copies a property's value into `scratch`, which stays empty when the
    /// property is missing.
    fn fetch<const N: usize>(
        &self,
        device: &Device,
        msg: &Msg<N>,
        property: &Property,
        scratch: &mut Msg<N>,
    ) -> Result<(), Fault> {
        if property.scope == Scope::Msg {
            if let Some(value) = msg.get(property.path) {
                scratch.set(SCRATCH, &value)?;
            }
            return Ok(());
        }
        let store = self.store(property.scope)?;
        store
            .with(device, |store| match store.get(property.path) {
                Some(value) => scratch.set(SCRATCH, &value),
                None => Ok(()),
            })
            .ok_or(Fault::of(ErrorKind::Reentered))??;
        Ok(())
    }

    /// Sets a property to a value, or deletes it for `None`. Setting beneath
    /// a value that holds none changes nothing and counts a bad value, the
    /// message going on, as Node-RED warns and goes on.
    fn write<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        target: &Property,
        value: Option<ValueRef<'_>>,
    ) -> Result<(), Fault> {
        let put = |place: &mut dyn FnMut() -> Result<(), MsgError>| match place() {
            Err(MsgError::NotAContainer) => {
                device.report_uncaught(ErrorKind::BadValue);
                Ok(())
            }
            result => result,
        };
        if target.scope == Scope::Msg {
            put(&mut || match value {
                Some(value) => msg.set(target.path, &value),
                None => {
                    msg.remove(target.path);
                    Ok(())
                }
            })?;
            return Ok(());
        }
        let store = self.store(target.scope)?;
        store
            .with(device, |store| {
                put(&mut || match value {
                    Some(value) => store.set(target.path, &value),
                    None => {
                        store.remove(target.path);
                        Ok(())
                    }
                })
            })
            .ok_or(Fault::of(ErrorKind::Reentered))??;
        Ok(())
    }

    /// Puts the value a rule sets into `scratch`.
    fn resolve<const N: usize>(
        &self,
        value: &ChangeValue,
        device: &Device,
        msg: &Msg<N>,
        now_ms: u64,
        scratch: &mut Msg<N>,
    ) -> Result<(), Fault> {
        match value {
            ChangeValue::Const(value) => scratch.set(SCRATCH, value)?,
            ChangeValue::Bytes(bytes) => scratch.set(SCRATCH, &Bytes(bytes))?,
            ChangeValue::Timestamp => scratch.set(SCRATCH, &(now_ms as f64))?,
            ChangeValue::IsoDate(text) => text.set(now_ms, scratch, SCRATCH)?,
            ChangeValue::Property(property) => self.fetch(device, msg, property, scratch)?,
        }
        Ok(())
    }

    /// Node-RED's `change` rule on one property.
    fn change<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        now_ms: u64,
        target: &Property,
        from: &Pattern,
        value: &ChangeValue,
    ) -> Result<(), Fault> {
        let mut to = Msg::<N>::new();
        self.resolve(value, device, msg, now_ms, &mut to)?;
        let to = to.get(SCRATCH);
        // A `from` taken from a property is read first, as Node-RED reads
        // it: a value that is not text, a number or a boolean is an error,
        // and the rule does nothing.
        let mut dynamic = Msg::<N>::new();
        if let Pattern::Property(property) = from {
            self.fetch(device, msg, property, &mut dynamic)?;
            // Node-RED's `node.error` with an `Error` that names the
            // value's `typeof`.
            let error = match dynamic.get(SCRATCH) {
                Some(ValueRef::Str(_) | ValueRef::Number(_) | ValueRef::Bool(_)) => None,
                None => Some("Error: Invalid 'from' property: unsupported type: undefined"),
                Some(_) => Some("Error: Invalid 'from' property: unsupported type: object"),
            };
            if let Some(error) = error {
                self.info.log(device, format_args!("{}", error_text(error)));
                device.report_error(ErrorKind::BadValue, error);
                return Ok(());
            }
        }
        let pattern = match from {
            Pattern::Property(_) => match dynamic.get(SCRATCH) {
                Some(ValueRef::Str(text)) => Dynamic::Text(text, TextKind::Str),
                Some(ValueRef::Number(n)) => Dynamic::Number(n),
                // A boolean read from a property never equals `true` or
                // `false` in Node-RED, which compares it with their text.
                _ => Dynamic::Nothing,
            },
            Pattern::Text { text, kind } => Dynamic::Text(text, *kind),
            Pattern::Regex {
                finder,
                groups,
                named,
                captures,
            } => Dynamic::Regex(finder, *groups, *named, captures.as_ref()),
        };
        let mut current = Msg::<N>::new();
        self.fetch(device, msg, target, &mut current)?;
        let whole = match (current.get(SCRATCH), pattern) {
            (Some(ValueRef::Str(text)), Dynamic::Text(needle, _)) if text == needle => true,
            (Some(ValueRef::Str(text)), pattern) => {
                return self.replace(device, msg, target, text, pattern, to);
            }
            (Some(ValueRef::Number(n)), Dynamic::Text(text, TextKind::Num)) => {
                n == number_from_str(text)
            }
            (Some(ValueRef::Number(n)), Dynamic::Number(m)) => n == m,
            (Some(ValueRef::Bool(b)), Dynamic::Text(text, TextKind::Bool)) => {
                text == if b { "true" } else { "false" }
            }
            _ => false,
        };
        if whole {
            self.write(device, msg, target, to)?;
        } else if target.scope != Scope::Msg {
            // Node-RED goes on only from a context value it changed or that
            // is text: with any other (a number or boolean that differs, a
            // missing key) its rule never calls back, and the message is
            // dropped without a word.
            return Err(Fault(None));
        }
        Ok(())
    }

    /// Replaces what `pattern` finds in the text `current` with `to`'s text.
    fn replace<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        target: &Property,
        current: &str,
        pattern: Dynamic<'_>,
        to: Option<ValueRef<'_>>,
    ) -> Result<(), Fault> {
        let mut replacement_room = [0u8; N];
        let mut replacement = SliceWriter::new(&mut replacement_room);
        write_text(to, &mut replacement).map_err(|_| Fault::of(ErrorKind::Oversize))?;
        let replacement = core::str::from_utf8(replacement.written()).unwrap_or_default();
        let mut room = [0u8; N];
        let mut result = SliceWriter::new(&mut room);
        let replaced = match pattern {
            Dynamic::Text(needle, _) => replace_all(
                current,
                replacement,
                0,
                false,
                |from| Ok(find_text(current, needle, from)),
                None,
                &mut result,
            ),
            Dynamic::Regex(finder, groups, named, captures) => {
                // The groups' memory, sized when the flow was built.
                let mut memory = [0u32; V];
                replace_all(
                    current,
                    replacement,
                    groups,
                    named,
                    |from| {
                        finder
                            .find_at(current.as_bytes(), from)
                            .map_err(|_| ReplaceError::Pattern)
                    },
                    captures.map(|captures| (captures, &mut memory[..])),
                    &mut result,
                )
            }
            // A number read from a property: Node-RED's `replace` is given
            // no pattern, and looks for the text "undefined".
            Dynamic::Number(_) | Dynamic::Nothing => {
                let found = find_text(current, "undefined", 0);
                replace_all(
                    current,
                    replacement,
                    0,
                    false,
                    |from| Ok(found.filter(|_| from == 0)),
                    None,
                    &mut result,
                )
            }
        };
        match replaced {
            Ok(()) => {}
            Err(ReplaceError::Full) => return Err(Fault::of(ErrorKind::Oversize)),
            // psosc gives a pattern with groups its program whenever the
            // replacement may name one; a node built without it (by hand)
            // refuses such a replacement.
            Err(ReplaceError::Group) => {
                self.info.log(
                    device,
                    format_args!("A replacement that names a group ($1) needs the pattern's groups, which this node was built without"),
                );
                return Err(Fault::of(ErrorKind::BadValue));
            }
            Err(ReplaceError::Pattern) => return Err(Fault::of(ErrorKind::BadValue)),
        }
        let text = core::str::from_utf8(result.written()).unwrap_or_default();
        // A boolean value whose text the result is becomes that boolean.
        match to {
            Some(ValueRef::Bool(b)) if text == if b { "true" } else { "false" } => {
                self.write(device, msg, target, to)
            }
            _ => self.write(device, msg, target, Some(ValueRef::Str(text))),
        }
    }
}

/// A rule's pattern once a `from` property is read.
#[derive(Clone, Copy)]
enum Dynamic<'a> {
    Text(&'a str, TextKind),
    Regex(&'a Finder, u8, bool, Option<&'a Captures>),
    Number(f64),
    Nothing,
}

impl<const N: usize, const C: usize, const V: usize> Node<N> for Change<C, V> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Change::input(self, device, msg, out);
    }
}

/// Differences `tests/differential.rs` found against Node-RED, kept here.
#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::msg::PathSegment::{Index, Key};

    /// Runs a change node with `rules` on a message written as JSON; what
    /// it sends, as JSON, and the device's count of bad values.
    fn check(rules: &'static [ChangeRule], input: &str) -> (Vec<String>, u32) {
        let device = Device::new("change", "change.rs");
        let node = Change::new(NodeInfo::new("c", "", "change"), rules);
        let mut msg = Msg::<256>::from_json(input.as_bytes()).unwrap();
        let mut sent = Vec::new();
        node.input(&device, &mut msg, &mut |_: usize, msg: &mut Msg<256>| {
            sent.push(format!("{msg:?}"))
        });
        (sent, device.error_count(ErrorKind::BadValue))
    }

    /// Only a rule that sets a `date` reads the clock, and `input` gives it
    /// the wall clock's time.
    #[test]
    fn a_date_rule_gets_the_time_and_others_read_no_clock() {
        const DATE: &[ChangeRule] = &[ChangeRule::SetValue {
            target: Property::msg(&[Key("payload")]),
            value: ChangeValue::Timestamp,
        }];
        const CONSTANT: &[ChangeRule] = &[ChangeRule::Set {
            path: &[Key("topic")],
            value: ConstValue::Str("t"),
        }];
        assert!(DATE.iter().any(ChangeRule::reads_clock));
        assert!(!CONSTANT.iter().any(ChangeRule::reads_clock));
        let before = crate::platform::now_ms();
        let (sent, _) = check(DATE, r#"{"payload":0}"#);
        let after = crate::platform::now_ms();
        let time: u64 = sent[0]
            .trim_start_matches(r#"{"payload":"#)
            .trim_end_matches('}')
            .parse()
            .expect("a number of milliseconds");
        assert!((before..=after).contains(&time), "{before} {time} {after}");
    }

    /// Node-RED's `setObjectProperty` cannot set a property beneath a
    /// string, a number or null; the change node warns and the message goes
    /// on as it is, through the rules after it.
    #[test]
    fn setting_beneath_a_value_that_holds_none_passes_the_message_on() {
        const RULES: &[ChangeRule] = &[
            ChangeRule::Set {
                path: &[Key("payload"), Key("n")],
                value: ConstValue::Number(5.0),
            },
            ChangeRule::Set {
                path: &[Key("topic")],
                value: ConstValue::Str("after"),
            },
        ];
        for payload in [r#""text""#, "7", "null", "true"] {
            let (sent, bad) = check(RULES, &format!(r#"{{"payload":{payload}}}"#));
            assert_eq!(
                sent,
                [format!(r#"{{"payload":{payload},"topic":"after"}}"#)]
            );
            assert_eq!(bad, 1);
        }
    }

    /// Node-RED deletes an array item with `splice`: the later items move up.
    #[test]
    fn deleting_an_array_item_takes_it_out() {
        const RULES: &[ChangeRule] = &[ChangeRule::Delete {
            path: &[Key("payload"), Key("list"), Index(0)],
        }];
        let (sent, _) = check(RULES, r#"{"payload":{"list":[1,2,3]}}"#);
        assert_eq!(sent, [r#"{"payload":{"list":[2,3]}}"#]);
        let (sent, _) = check(RULES, r#"{"payload":{"list":[]}}"#);
        assert_eq!(sent, [r#"{"payload":{"list":[]}}"#]);
    }

    /// What `"text".replace(/needle/g, replacement)` gives, with plain text
    /// as the pattern.
    fn replaced(text: &str, needle: &str, replacement: &str) -> String {
        let mut out = String::new();
        replace_all(
            text,
            replacement,
            0,
            false,
            |from| Ok(find_text(text, needle, from)),
            None,
            &mut out,
        )
        .unwrap();
        out
    }

    /// JavaScript's `$` patterns, and its empty matches: one at every
    /// position, and one at the end.
    #[test]
    fn replacement_patterns_are_javascripts() {
        assert_eq!(replaced("a-b-c", "-", "+"), "a+b+c");
        assert_eq!(replaced("abc", "b", "[$&]"), "a[b]c");
        assert_eq!(replaced("abc", "b", "[$`|$']"), "a[a|c]c");
        assert_eq!(replaced("abc", "b", "$$"), "a$c");
        assert_eq!(replaced("abc", "b", "$1$0$x$"), "a$1$0$x$c");
        assert_eq!(replaced("abc", "", "-"), "-a-b-c-");
        assert_eq!(replaced("é", "", "-"), "-é-");
        assert_eq!(replaced("", "", "-"), "-");
        let mut out = String::new();
        let found = Match {
            matched: "m",
            before: "",
            after: "",
            groups: None,
        };
        assert_eq!(
            substitute("$1", &found, 1, false, &mut out),
            Err(ReplaceError::Group)
        );
        assert_eq!(
            substitute("$10", &found, 1, false, &mut out),
            Err(ReplaceError::Group)
        );
        assert_eq!(substitute("$2", &found, 1, false, &mut out), Ok(()));
        assert_eq!(
            substitute("$<a>", &found, 1, true, &mut out),
            Err(ReplaceError::Group)
        );
        assert_eq!(substitute("$<a>", &found, 1, false, &mut out), Ok(()));
    }
}
