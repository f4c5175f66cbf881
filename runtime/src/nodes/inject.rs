//! `inject`: starts a message, with the properties the flow configures, each
//! time its timer fires.

use super::change::Property;
use crate::context::{Context, NamedStore, Stores};
use crate::encoding::Bytes;
use crate::msg::PathSegment;
use crate::MsgError;
use crate::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

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
                value => value.set(&mut msg, prop.path, now_ms),
            };
            if device.check(result, ErrorKind::Oversize).is_none() {
                return;
            }
        }
        out.send(0, &mut msg);
    }
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
