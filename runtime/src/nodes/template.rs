//! `template`: sets a property to text rendered from a mustache template,
//! as Node-RED's node does with mustache.js. psosc parses the template when
//! it builds the firmware into a list of [`Token`]s, so a device only walks
//! that list, looks names up in the message, and writes the text straight
//! into the message, without allocating.
//!
//! Names of flow and global context (`{{flow.NAME}}`, `{{global.a.b}}`) are
//! looked up, as Node-RED's node does, where the message has nothing by
//! that name: in the node's stores (`crate::context`), held while the node
//! renders. The result may go to a context key (`fieldType`) instead of
//! the message: it is rendered beside the message and copied into the
//! store once the stores are no longer held for reading.

use core::fmt::{self, Write};

use super::change::{Property, Scope};
use super::json::parse_property;
use crate::context::{StoreView, Stores};
use crate::encoding::{decode, Encode, LENGTH, STRING};
use crate::msg::{MsgError, PathSegment};
use crate::text::{encode_written, Counter};
use crate::value::{write_number, ConstValue, Members, ValueRef};
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

/// The deepest nesting of sections a template may have; psosc refuses
/// deeper ones, so that rendering needs a fixed, small stack.
pub const MAX_SECTION_DEPTH: usize = 16;

/// A name a tag looks up, as mustache.js reads it: `payload.a.b` as its
/// parts, one part for a name without a dot, none for `.` (the current
/// context).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    pub parts: &'static [&'static str],
    /// What the name means when the message has nothing there: the value
    /// of `env.NAME`, which psosc looks up when it builds the firmware.
    pub fallback: Option<&'static str>,
    /// Where else the name is looked up when the message has nothing
    /// there: the flow or global context key of `flow.KEY`, `global.KEY`.
    pub context: Option<Property>,
}

/// One piece of a parsed template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Text(&'static str),
    /// `{{name}}` (HTML-escaped), or `{{{name}}}` and `{{& name}}` (raw).
    Value {
        name: Name,
        escape: bool,
    },
    /// `{{#name}}` or, inverted, `{{^name}}`: the tokens after it, up to
    /// the index `end`, are its body.
    Section {
        name: Name,
        inverted: bool,
        end: usize,
    },
}

/// What the node puts in its property (Node-RED's `syntax` and `output`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TemplateBody {
    /// A mustache template; with `json`, the text is parsed as JSON.
    Mustache {
        tokens: &'static [Token],
        json: bool,
    },
    /// The `plain` template as it is: text, or the value its JSON holds,
    /// which psosc parses once.
    Plain(ConstValue),
}

/// A template node; `C` is the size of the context stores it reads or
/// writes, 0 for a node that uses none.
pub struct Template<const C: usize = 0> {
    pub info: NodeInfo,
    /// Where the result goes (`field`, `fieldType`).
    field: Property,
    body: TemplateBody,
    /// The node's template is empty, so Node-RED would use `msg.template`.
    empty: bool,
    stores: Stores<C>,
}

/// Where a result for a context key is rendered, in a message of its own.
const RESULT: &[PathSegment<'static>] = &[PathSegment::Key("result")];

impl Template {
    pub const fn new(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        body: TemplateBody,
        empty: bool,
    ) -> Self {
        Self::with_context(info, Property::msg(path), body, empty, Stores::NONE)
    }
}

impl<const C: usize> Template<C> {
    /// A node whose template names flow or global context, or whose result
    /// goes to a context key (`field` in the scope `fieldType` names).
    pub const fn with_context(
        info: NodeInfo,
        field: Property,
        body: TemplateBody,
        empty: bool,
        stores: Stores<C>,
    ) -> Self {
        Self {
            info,
            field,
            body,
            empty,
            stores,
        }
    }

    /// Renders the template from the message into the node's property:
    /// into the message itself (from a copy, which the names are looked up
    /// in while the message changes), or into a context key.
    fn render<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        tokens: &'static [Token],
        json: bool,
    ) -> Option<()> {
        if self.field.scope == Scope::Msg {
            let copy = msg.clone();
            return self.render_holding_stores(device, &copy, msg, self.field.path, tokens, json);
        }
        let mut result = Msg::<N>::new();
        self.render_holding_stores(device, msg, &mut result, RESULT, tokens, json)?;
        self.put_in_context(device, &result)
    }

    /// Renders while the node's stores (if any) are held for reading; a
    /// busy store is counted by `read`, and nothing is rendered.
    fn render_holding_stores<const N: usize>(
        &self,
        device: &Device,
        source: &Msg<N>,
        target: &mut Msg<N>,
        path: &'static [PathSegment<'static>],
        tokens: &'static [Token],
        json: bool,
    ) -> Option<()> {
        if !self.stores.any() {
            return self.render_into(device, source, None, target, path, tokens, json);
        }
        self.stores
            .read(device, |stores| {
                self.render_into(device, source, Some(stores), target, path, tokens, json)
            })
            .flatten()
    }

    /// Copies the result rendered beside the message into the node's
    /// context key, as Node-RED's node sets it before it sends the message
    /// on unchanged.
    fn put_in_context<const N: usize>(&self, device: &Device, result: &Msg<N>) -> Option<()> {
        let value = result.get(RESULT)?;
        let store = self.stores.store(self.field.scope)?;
        let set = store.with(device, |store| store.set(self.field.path, &value))?;
        put(device, set)
    }

    /// Renders the template from `source`, looking names up in it and then
    /// in `stores`, into `path` of `target`.
    #[allow(clippy::too_many_arguments)]
    fn render_into<'m, const N: usize>(
        &self,
        device: &Device,
        source: &'m Msg<N>,
        stores: Option<StoreView<'m, C>>,
        target: &mut Msg<N>,
        path: &'static [PathSegment<'static>],
        tokens: &'static [Token],
        json: bool,
    ) -> Option<()> {
        match render(tokens, source, stores, json, target, path) {
            Ok(()) => {}
            Err(RenderError::TooDeep) => {
                self.info.log(
                    device,
                    format_args!("sections nested deeper than {MAX_SECTION_DEPTH}"),
                );
                device.report(ErrorKind::BadValue);
                return None;
            }
            Err(RenderError::Msg(error)) => return put(device, Err(error)),
        }
        if json {
            parse_property(&self.info, device, target, path)
        } else {
            Some(())
        }
    }

    /// Sets the node's property to a value the flow fixed (a `plain`
    /// template).
    fn set_plain<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        value: &ConstValue,
    ) -> Option<()> {
        if self.field.scope == Scope::Msg {
            return put(device, msg.set(self.field.path, value));
        }
        let mut result = Msg::<N>::new();
        put(device, result.set(RESULT, value))?;
        self.put_in_context(device, &result)
    }
}

/// Why a template was not rendered into a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenderError {
    /// Sections nest deeper than [`MAX_SECTION_DEPTH`] (psosc refuses
    /// such templates).
    TooDeep,
    /// The text did not fit, or the path goes through a value that is not
    /// an object.
    Msg(MsgError),
}

/// Renders `tokens` from `source`, looking names up in it and then in
/// `stores`, straight into `path` of `target`: the one renderer of the
/// template node and of a trigger node's `{{mustache}}` payloads.
pub(crate) fn render<'m, const N: usize, const C: usize>(
    tokens: &'static [Token],
    source: &'m Msg<N>,
    stores: Option<StoreView<'m, C>>,
    json: bool,
    target: &mut Msg<N>,
    path: &[PathSegment<'_>],
) -> Result<(), RenderError> {
    let rendered = Rendered {
        tokens,
        root: source.properties(),
        json,
        stores,
    };
    let mut counter = Counter(0);
    if rendered.write(&mut counter).is_err() {
        return Err(RenderError::TooDeep);
    }
    let text = RenderedText {
        rendered,
        len: counter.0,
    };
    target.set(path, &text).map_err(RenderError::Msg)
}

/// A `{{mustache}}` text that a node other than a template renders
/// against the message alone (a trigger node's payloads, as
/// `mustache.render(text, msg)` renders them): its tokens, and the
/// renderer, which only the constant psosc emits for such a text names,
/// so a device without one links none of it.
#[derive(Clone, Copy, Debug)]
pub struct Mustache {
    tokens: &'static [Token],
    write: WriteTokens,
}

/// Writes tokens rendered against a message's properties.
type WriteTokens = fn(&'static [Token], Members<'_>, &mut dyn Write) -> fmt::Result;

impl PartialEq for Mustache {
    fn eq(&self, other: &Self) -> bool {
        self.tokens == other.tokens
    }
}

impl Mustache {
    pub const fn new(tokens: &'static [Token]) -> Self {
        Self {
            tokens,
            write: write_against_message,
        }
    }

    /// Renders the text from `source` straight into `path` of `target`.
    pub(crate) fn render<const N: usize>(
        &self,
        source: &Msg<N>,
        target: &mut Msg<N>,
        path: &[PathSegment<'_>],
    ) -> Result<(), RenderError> {
        let root = source.properties();
        let mut counter = Counter(0);
        if (self.write)(self.tokens, root, &mut counter).is_err() {
            return Err(RenderError::TooDeep);
        }
        let text = MustacheText {
            mustache: self,
            root,
            len: counter.0,
        };
        target.set(path, &text).map_err(RenderError::Msg)
    }
}

/// The tokens rendered against a message, names looked up in it alone.
fn write_against_message(
    tokens: &'static [Token],
    root: Members<'_>,
    out: &mut dyn Write,
) -> fmt::Result {
    let rendered = Rendered::<0> {
        tokens,
        root,
        json: false,
        stores: None,
    };
    // `&mut dyn Write` is itself a writer of a known size.
    let mut out = out;
    rendered.write(&mut out)
}

/// A `Mustache` text as a message's string, written in place.
struct MustacheText<'m> {
    mustache: &'m Mustache,
    root: Members<'m>,
    len: usize,
}

impl Encode for MustacheText<'_> {
    fn encoded_len(&self) -> usize {
        1 + LENGTH + self.len
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_written(STRING, out, |writer| {
            (self.mustache.write)(self.mustache.tokens, self.root, writer)
        })
    }
}

/// What setting the node's property came to, counting what stops it: a
/// message or store out of room, or a path through a value that is not an
/// object.
fn put(device: &Device, result: Result<(), MsgError>) -> Option<()> {
    match result {
        Ok(()) => Some(()),
        Err(MsgError::Full) => {
            device.report(ErrorKind::Oversize);
            None
        }
        Err(MsgError::NotAContainer | MsgError::BadPath) => {
            device.report(ErrorKind::BadValue);
            None
        }
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl<const C: usize> Template<C> {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // Node-RED renders `msg.template` when the node has no template of
        // its own. A device parses templates only when it is built, so it
        // refuses such a message rather than render something else.
        if self.empty && msg.property("template").is_some() {
            self.info.log(
                device,
                format_args!(
                    "msg.template: a template from the message is not supported on a device"
                ),
            );
            device.report(ErrorKind::BadValue);
            return;
        }
        let done = match self.body {
            TemplateBody::Plain(value) => self.set_plain(device, msg, &value),
            TemplateBody::Mustache { tokens, json } => self.render(device, msg, tokens, json),
        };
        if done.is_some() {
            out.send(0, msg);
        }
    }
}

impl<const N: usize, const C: usize> Node<N> for Template<C> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Template::input(self, device, msg, out);
    }
}

/// A template with the message it is rendered from.
struct Rendered<'m, const C: usize> {
    tokens: &'static [Token],
    /// The message's properties: the outermost context.
    root: Members<'m>,
    /// Strings the message gives the outermost context are escaped for
    /// JSON text, as Node-RED does when the output is parsed as JSON.
    json: bool,
    /// The node's flow and global context, held while it renders.
    stores: Option<StoreView<'m, C>>,
}

/// A section being rendered.
#[derive(Clone, Copy)]
struct Frame<'m> {
    /// The first token of its body, and the index after it.
    start: usize,
    end: usize,
    /// The encoded items of the array it iterates that are still to come.
    rest: Option<&'m [u8]>,
    /// Whether it pushed a context (a boolean `true` does not).
    pushed: bool,
}

impl<'m, const C: usize> Rendered<'m, C> {
    /// Writes the text, as mustache.js renders the tokens: without
    /// recursion, with a stack of the sections open and the contexts they
    /// pushed. Fails only when sections nest deeper than psosc allows.
    fn write<W: Write>(&self, out: &mut W) -> fmt::Result {
        let mut contexts: heapless::Vec<ValueRef<'m>, { MAX_SECTION_DEPTH + 1 }> =
            heapless::Vec::new();
        contexts
            .push(ValueRef::Object(self.root))
            .map_err(|_| fmt::Error)?;
        let mut frames: heapless::Vec<Frame<'m>, MAX_SECTION_DEPTH> = heapless::Vec::new();
        let mut at = 0;
        loop {
            if let Some(frame) = frames.last_mut() {
                if at >= frame.end {
                    match frame.rest.and_then(|rest| Some((decode(rest)?, rest))) {
                        // The next item of an array, as the context of
                        // another round of the body.
                        Some(((item, len), rest)) => {
                            frame.rest = rest.get(len..);
                            if let Some(context) = contexts.last_mut() {
                                *context = item;
                            }
                            at = frame.start;
                        }
                        None => {
                            if frame.pushed {
                                contexts.pop();
                            }
                            frames.pop();
                        }
                    }
                    continue;
                }
            }
            let Some(token) = self.tokens.get(at) else {
                return Ok(());
            };
            at += 1;
            match *token {
                Token::Text(text) => out.write_str(text)?,
                Token::Value { name, escape } => {
                    let outermost = contexts.len() == 1;
                    match lookup(&contexts, name, self.stores) {
                        Some(Found::Msg(value)) => {
                            let json = self.json && outermost && matches!(value, ValueRef::Str(_));
                            write_string(
                                value,
                                &mut Escaped {
                                    out,
                                    html: escape,
                                    json,
                                },
                            )?;
                        }
                        Some(Found::Env(text)) => Escaped {
                            out,
                            html: escape,
                            json: false,
                        }
                        .write_str(text)?,
                        // Node-RED escapes only the message's strings for
                        // JSON, not context values.
                        Some(Found::Context(value)) => write_string(
                            value,
                            &mut Escaped {
                                out,
                                html: escape,
                                json: false,
                            },
                        )?,
                        None => {}
                    }
                }
                Token::Section {
                    name,
                    inverted,
                    end,
                } => {
                    let value = match lookup(&contexts, name, self.stores) {
                        Some(Found::Msg(value) | Found::Context(value)) => value,
                        Some(Found::Env(text)) => ValueRef::Str(text),
                        None => ValueRef::Null,
                    };
                    let mut frame = Frame {
                        start: at,
                        end,
                        rest: None,
                        pushed: false,
                    };
                    let enter = match (inverted, value) {
                        (true, ValueRef::Array(items)) => items.is_empty(),
                        (true, value) => !value.is_truthy(),
                        (false, value) if !value.is_truthy() => false,
                        (false, ValueRef::Bool(_)) => true,
                        // Each item in turn, as the context.
                        (false, ValueRef::Array(items)) => match decode(items.body()) {
                            Some((first, len)) => {
                                frame.rest = items.body().get(len..);
                                frame.pushed = true;
                                contexts.push(first).map_err(|_| fmt::Error)?;
                                true
                            }
                            None => false,
                        },
                        (false, value) => {
                            frame.pushed = true;
                            contexts.push(value).map_err(|_| fmt::Error)?;
                            true
                        }
                    };
                    if enter {
                        frames.push(frame).map_err(|_| fmt::Error)?;
                    } else {
                        at = end;
                    }
                }
            }
        }
    }
}

/// What a name finds.
enum Found<'m> {
    /// A value in the message (or one mustache.js reads off it, such as a
    /// string's `length`).
    Msg(ValueRef<'m>),
    /// The environment variable the name stands for.
    Env(&'static str),
    /// The flow or global context value the name stands for.
    Context(ValueRef<'m>),
}

/// Looks a name up as mustache.js's `Context.lookup` does, innermost
/// context first, then as Node-RED's node does after it: `env.NAME`, and
/// `flow.KEY` or `global.KEY` in the node's stores.
fn lookup<'m, const C: usize>(
    contexts: &[ValueRef<'m>],
    name: Name,
    stores: Option<StoreView<'m, C>>,
) -> Option<Found<'m>> {
    let found = match name.parts {
        [] => contexts.last().copied(),
        // `hasProperty`: only objects (arrays and buffers too) have names.
        [key] => contexts.iter().rev().find_map(|view| match view {
            ValueRef::Object(_) | ValueRef::Array(_) | ValueRef::Bytes(_) => property(*view, key),
            _ => None,
        }),
        parts => contexts.iter().rev().find_map(|view| {
            parts.iter().try_fold(*view, |value, part| match value {
                ValueRef::Null => None,
                value => property(value, part),
            })
        }),
    };
    found
        .map(Found::Msg)
        .or_else(|| name.fallback.map(Found::Env))
        .or_else(|| {
            let property = name.context?;
            let value = stores?.get(property.scope, property.path)?;
            Some(Found::Context(value))
        })
}

/// JavaScript's `value[key]` for what a message holds: object members,
/// array and buffer items and lengths, a string's UTF-16 units and length.
/// What objects inherit (`toString`, array methods) is not there: psosc
/// refuses those names.
fn property<'m>(value: ValueRef<'m>, key: &str) -> Option<ValueRef<'m>> {
    let length = |len: usize| Some(ValueRef::Number(len as f64));
    match value {
        ValueRef::Object(members) => members.get(key),
        ValueRef::Array(items) if key == "length" => length(items.len()),
        ValueRef::Array(items) => items.get(array_index(key)?),
        ValueRef::Bytes(bytes) if key == "length" => length(bytes.len()),
        ValueRef::Bytes(bytes) => bytes
            .get(array_index(key)?)
            .map(|byte| ValueRef::Number(f64::from(*byte))),
        ValueRef::Str(text) if key == "length" => length(text.encode_utf16().count()),
        ValueRef::Str(text) => utf16_unit(text, array_index(key)?),
        ValueRef::Null | ValueRef::Bool(_) | ValueRef::Number(_) => None,
    }
}

/// The index a key names, written as JavaScript writes indices: digits
/// without a leading zero.
fn array_index(key: &str) -> Option<usize> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    if canonical && key.bytes().all(|b| b.is_ascii_digit()) {
        key.parse().ok()
    } else {
        None
    }
}

/// `text[index]`: the UTF-16 unit there, as a string of its own. Half of a
/// surrogate pair cannot stand alone in UTF-8: it becomes U+FFFD, as it
/// would when Node-RED sends the message on.
fn utf16_unit(text: &str, index: usize) -> Option<ValueRef<'_>> {
    let mut units = 0;
    for (offset, c) in text.char_indices() {
        if index < units + c.len_utf16() {
            return Some(ValueRef::Str(if c.len_utf16() == 1 {
                text.get(offset..offset + c.len_utf8())?
            } else {
                "\u{fffd}"
            }));
        }
        units += c.len_utf16();
    }
    None
}

/// JavaScript's `String(value)`, which mustache.js renders: `null` as
/// nothing, arrays as their items joined by commas, objects as
/// `[object Object]`, buffers as their UTF-8 text.
fn write_string<W: Write>(value: ValueRef<'_>, out: &mut W) -> fmt::Result {
    match value {
        ValueRef::Null => Ok(()),
        ValueRef::Bool(b) => out.write_str(if b { "true" } else { "false" }),
        ValueRef::Number(n) => write_number(n, out),
        ValueRef::Str(text) => out.write_str(text),
        ValueRef::Bytes(bytes) => {
            for chunk in bytes.utf8_chunks() {
                out.write_str(chunk.valid())?;
                if !chunk.invalid().is_empty() {
                    out.write_char('\u{fffd}')?;
                }
            }
            Ok(())
        }
        // Nested no deeper than a message may be.
        ValueRef::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.write_char(',')?;
                }
                write_string(item, out)?;
            }
            Ok(())
        }
        ValueRef::Object(_) => out.write_str("[object Object]"),
    }
}

/// Escapes what is written through it: for HTML as mustache.js's
/// `escapeHtml` does, and before that, for JSON, the control characters and
/// backslashes Node-RED escapes in strings when the output is JSON.
struct Escaped<'w, W> {
    out: &'w mut W,
    html: bool,
    json: bool,
}

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some((at, replacement)) = rest.char_indices().find_map(|(at, c)| {
            let json = match c {
                '\\' => Some("\\\\"),
                '\n' => Some("\\n"),
                '\t' => Some("\\t"),
                '\r' => Some("\\r"),
                '\u{0c}' => Some("\\f"),
                '\u{08}' => Some("\\b"),
                _ => None,
            };
            let html = match c {
                '&' => Some("&amp;"),
                '<' => Some("&lt;"),
                '>' => Some("&gt;"),
                '"' => Some("&quot;"),
                '\'' => Some("&#39;"),
                '/' => Some("&#x2F;"),
                '`' => Some("&#x60;"),
                '=' => Some("&#x3D;"),
                _ => None,
            };
            json.filter(|_| self.json)
                .or(html.filter(|_| self.html))
                .map(|replacement| (at, replacement))
        }) {
            let (before, after) = rest.split_at(at);
            self.out.write_str(before)?;
            self.out.write_str(replacement)?;
            // Every character replaced is one byte long.
            rest = after.get(1..).unwrap_or_default();
        }
        self.out.write_str(rest)
    }
}

/// The rendered text, measured, as a string value to set.
struct RenderedText<'m, const C: usize> {
    rendered: Rendered<'m, C>,
    len: usize,
}

impl<const C: usize> Encode for RenderedText<'_, C> {
    fn encoded_len(&self) -> usize {
        1 + LENGTH + self.len
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_written(STRING, out, |writer| self.rendered.write(writer))
    }
}
