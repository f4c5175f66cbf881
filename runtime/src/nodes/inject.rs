//! `inject`: starts a message, with the properties the flow configures, each
//! time its timer fires.

use super::change::Property;
use crate::context::{Context, NamedStore, Stores};
use crate::control::USER_INJECT_PROPS;
use crate::encoding::Bytes;
use crate::msg::PathSegment;
use crate::MsgError;
use crate::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// The value an inject node gives one property.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InjectValue {
    Const(ConstValue),
    /// Node-RED's `date`: milliseconds since the Unix epoch where the board
    /// has a wall clock, since start-up otherwise.
    Timestamp,
    /// Node-RED's `date` in the `iso` format: that time as JavaScript's
    /// `toISOString` writes it.
    IsoDate(crate::IsoText),
    /// Node-RED's `flow` and `global`: a copy of a context value when the
    /// node fires; a missing one leaves the property out.
    Context(Property),
    /// Node-RED's `bin`: a Buffer.
    Bytes(&'static [u8]),
}

impl InjectValue {
    /// Sets the property at `path` to this value; `date_ms` is the time a
    /// `date` value gives, in milliseconds or as text.
    pub fn set<const N: usize>(
        &self,
        msg: &mut Msg<N>,
        path: &[PathSegment<'_>],
        date_ms: u64,
    ) -> Result<(), MsgError> {
        match self {
            InjectValue::Const(value) => msg.set(path, value),
            InjectValue::Timestamp => msg.set(path, &(date_ms as f64)),
            InjectValue::IsoDate(text) => text.set(date_ms, msg, path),
            InjectValue::Bytes(bytes) => msg.set(path, &Bytes(bytes)),
            // Read from the node's stores by the node that has them (an
            // inject); psosc gives no other node a context value.
            InjectValue::Context(_) => Ok(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InjectProp {
    pub path: &'static [PathSegment<'static>],
    pub value: InjectValue,
}

/// The node. `C` is the size of the context stores its properties read;
/// a node that reads none has `C` 0 and no stores.
pub struct Inject<const C: usize = 0> {
    pub info: NodeInfo,
    props: &'static [InjectProp],
    stores: Stores<C>,
}

impl Inject<0> {
    pub const fn new(info: NodeInfo, props: &'static [InjectProp]) -> Self {
        Self {
            info,
            props,
            stores: Stores::NONE,
        }
    }
}

impl<const C: usize> Inject<C> {
    /// A node whose properties read its tab's flow context or the device's
    /// global context.
    pub const fn with_context(
        info: NodeInfo,
        props: &'static [InjectProp],
        flow: Option<&'static Context<C>>,
        global: Option<&'static Context<C>>,
    ) -> Self {
        Self {
            info,
            props,
            stores: Stores::new(flow, global),
        }
    }

    /// The node with the stores the flow names that its properties read.
    pub const fn with_named(self, named: &'static [NamedStore<C>]) -> Self {
        Self {
            info: self.info,
            props: self.props,
            stores: self.stores.with_named(named),
        }
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl<const C: usize> Inject<C> {
    /// Whatever arrives (the timer sends an empty message), the node sends a
    /// fresh message built from its properties.
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        _msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let mut msg = Msg::new();
        if self.set_props(device, &mut msg) {
            out.send(0, &mut msg);
        }
    }

    /// Node-RED's input handler for a message that may be a press of the
    /// editor's button (`control.rs`): the properties `__user_inject_props__`
    /// lists, when it is a list, else the node's own, set on the message
    /// given, which loses that key. psosc has a device whose inject nodes
    /// can be pressed call this for its timers too, which give an empty
    /// message, as Node-RED's timers do.
    pub fn press<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let key = [PathSegment::Key(USER_INJECT_PROPS)];
        let done = if matches!(msg.get(&key), Some(ValueRef::Array(_))) {
            set_user_props(device, msg)
        } else {
            msg.remove(&key);
            self.set_props(device, msg)
        };
        if done {
            out.send(0, msg);
        }
    }

    /// Sets the node's properties on `msg`; false (the failure counted)
    /// when one does not fit.
    fn set_props<const N: usize>(&self, device: &Device, msg: &mut Msg<N>) -> bool {
        let now_ms = crate::platform::now_ms();
        for prop in self.props {
            let result = match &prop.value {
                InjectValue::Context(property) => {
                    // A busy store is counted by `with`; the property is
                    // left out then, as a missing value is.
                    self.stores
                        .store(property.scope)
                        .and_then(|store| {
                            store.with(device, |store| match store.get(property.path) {
                                Some(value) => msg.set(prop.path, &value),
                                None => Ok(()),
                            })
                        })
                        .unwrap_or(Ok(()))
                }
                value => value.set(msg, prop.path, now_ms),
            };
            if device.check(result, ErrorKind::Oversize).is_none() {
                return false;
            }
        }
        true
    }
}

/// Sets the properties a press lists in `__user_inject_props__` (entries
/// `{p, v, vt}`, as the editor sends them) on the message, which loses
/// that key; false when one fails, as Node-RED's node then sends nothing
/// and reports the error. Kept out of line: the copy of the request it
/// reads from takes room on the stack only while a press runs.
#[inline(never)]
fn set_user_props<const N: usize>(device: &Device, msg: &mut Msg<N>) -> bool {
    let request = msg.clone();
    let key = [PathSegment::Key(USER_INJECT_PROPS)];
    msg.remove(&key);
    let Some(ValueRef::Array(entries)) = request.get(&key) else {
        return true;
    };
    let now_ms = crate::platform::now_ms();
    for entry in entries.iter() {
        match set_user_prop(msg, entry, now_ms) {
            Ok(()) => {}
            Err(UserPropError::Full) => {
                device.report(ErrorKind::Oversize);
                return false;
            }
            Err(UserPropError::Unsupported) => {
                device.report_error(ErrorKind::BadValue, UNSUPPORTED_PROP);
                return false;
            }
        }
    }
    true
}

/// What a device says of a pressed property it cannot evaluate: a
/// property path or value type it does not read at run time (`jsonata`,
/// `env`, `flow`, `global`, `bin`, `msg`, `re`, a `date` format), or a
/// `json` or `num` value that is not one.
pub const UNSUPPORTED_PROP: &str = "inject: a pressed property a device cannot evaluate";

/// The value types `RED.util.evaluateNodeProperty` evaluates.
const EVALUATED_TYPES: [&str; 12] = [
    "str", "num", "json", "re", "date", "bin", "msg", "flow", "global", "bool", "jsonata", "env",
];

enum UserPropError {
    Full,
    Unsupported,
}

impl From<MsgError> for UserPropError {
    fn from(error: MsgError) -> Self {
        match error {
            MsgError::Full => Self::Full,
            MsgError::NotAContainer | MsgError::BadPath => Self::Unsupported,
        }
    }
}

/// One entry of `__user_inject_props__`, evaluated as
/// `RED.util.evaluateNodeProperty` evaluates the types a device can
/// evaluate at run time; an entry without `p` is passed over, a missing
/// `v` is empty text and a missing `vt` is `str`.
fn set_user_prop<const N: usize>(
    msg: &mut Msg<N>,
    entry: ValueRef<'_>,
    now_ms: u64,
) -> Result<(), UserPropError> {
    let ValueRef::Object(entry) = entry else {
        return Ok(());
    };
    let property = match entry.get("p") {
        Some(ValueRef::Str(property)) if !property.is_empty() => property,
        Some(property) if property.is_truthy() => return Err(UserPropError::Unsupported),
        _ => return Ok(()),
    };
    let path = crate::msg::parse_path(property).ok_or(UserPropError::Unsupported)?;
    let value = entry.get("v").unwrap_or(ValueRef::Str(""));
    let kind = match entry.get("vt") {
        Some(ValueRef::Str(kind)) => kind,
        _ => "str",
    };
    match (kind, value) {
        ("str", ValueRef::Str(_)) => msg.set(&path, &value)?,
        ("str", ValueRef::Number(_) | ValueRef::Bool(_)) => {
            let mut text = heapless::String::<32>::new();
            core::fmt::Write::write_fmt(&mut text, format_args!("{value}"))
                .map_err(|_| UserPropError::Unsupported)?;
            msg.set(&path, &crate::encoding::Str(&text))?
        }
        ("num", ValueRef::Str(text)) => msg.set(&path, &crate::number_from_str(text))?,
        ("num", ValueRef::Number(_)) => msg.set(&path, &value)?,
        ("bool", ValueRef::Str(text)) => msg.set(&path, &text.eq_ignore_ascii_case("true"))?,
        ("bool", ValueRef::Bool(_)) => msg.set(&path, &value)?,
        ("bool", _) => msg.set(&path, &false)?,
        ("json", ValueRef::Str(text)) => {
            let mut scratch = [0u8; N];
            let parsed = crate::value_from_json(text.as_bytes(), &mut scratch).map_err(
                |error| match error {
                    crate::JsonError::TooBig => UserPropError::Full,
                    _ => UserPropError::Unsupported,
                },
            )?;
            msg.set(&path, &parsed)?
        }
        ("json", ValueRef::Number(_) | ValueRef::Bool(_) | ValueRef::Null) => {
            msg.set(&path, &value)?
        }
        ("date", ValueRef::Str("")) => msg.set(&path, &(now_ms as f64))?,
        // `evaluateNodeProperty` passes a type it does not know through.
        (kind, _) if !EVALUATED_TYPES.contains(&kind) => msg.set(&path, &value)?,
        _ => return Err(UserPropError::Unsupported),
    }
    Ok(())
}

impl<const N: usize, const C: usize> Node<N> for Inject<C> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Inject::input(self, device, msg, out);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::msg::PathSegment::Key;
    use crate::nodes::Scope;

    static FLOW: Context<64> = Context::new();

    /// Node-RED's `flow` and `global` values: a copy of the context value
    /// each time the node fires, a missing one left out.
    #[test]
    fn context_values_are_read_when_the_node_fires() {
        const PROPS: &[InjectProp] = &[
            InjectProp {
                path: &[Key("payload")],
                value: InjectValue::Context(Property {
                    scope: Scope::Flow,
                    path: &[Key("count")],
                }),
            },
            InjectProp {
                path: &[Key("topic")],
                value: InjectValue::Const(ConstValue::Str("t")),
            },
        ];
        let device = Device::new("inject", "inject.rs");
        let node = Inject::with_context(NodeInfo::new("i", "", "inject"), PROPS, Some(&FLOW), None);
        let mut sent: Vec<String> = Vec::new();
        let fire = |sent: &mut Vec<String>| {
            node.input(
                &device,
                &mut Msg::<64>::new(),
                &mut |_: usize, msg: &mut Msg<64>| sent.push(format!("{msg:?}")),
            )
        };
        fire(&mut sent);
        FLOW.with(&device, |store| store.set(&[Key("count")], &3.0));
        fire(&mut sent);
        FLOW.with(&device, |store| {
            store.set(&[Key("count")], &crate::encoding::Str("x"))
        });
        fire(&mut sent);
        assert_eq!(
            sent,
            [
                r#"{"topic":"t"}"#,
                r#"{"payload":3,"topic":"t"}"#,
                r#"{"payload":"x","topic":"t"}"#
            ]
        );
    }
}
