//! Node-RED's flow and global context on a device: a store of named values
//! that outlives messages. Each is a static of a size fixed at build time
//! (the device's `contextCapacity`): psosc gives each tab whose nodes use
//! flow context a store of its own and the device one global store, and
//! one more of each scope for each store the flow names (`#:(name)::key`).
//!
//! A store holds its values as a message holds its properties (an encoded
//! object, keys in the order they were first set), so a key is a property
//! path (`count`, `lookup.a`, `rooms[2]`) read and written as a message's
//! are, and a value is copied in and out with one splice, never allocated.
//! A value that does not fit is an error event, as an oversize message is.
//!
//! Stores live in RAM: they start empty when the device starts, as
//! Node-RED's default memory store does, and a device's stores are its own,
//! never shared with another device.

use crate::msg::PathSegment;
use crate::nodes::Scope;
use crate::{Device, ErrorKind, Msg, ValueRef};

/// One context store with room for `C` bytes of encoded values.
pub struct Context<const C: usize> {
    store: spin::Mutex<Msg<C>>,
}

impl<const C: usize> Default for Context<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const C: usize> Context<C> {
    /// An empty store, as a device starts with.
    pub const fn new() -> Self {
        Self {
            store: spin::Mutex::new(Msg::new()),
        }
    }

    /// Runs `f` on the store's values. A node holds a store only while it
    /// copies a value in or out, never while it sends a message, so the
    /// store is busy only if an interrupt-driven caller reaches it inside
    /// another's access: the device then counts a re-entry and `f` does
    /// not run.
    pub fn with<R>(&self, device: &Device, f: impl FnOnce(&mut Msg<C>) -> R) -> Option<R> {
        match self.store.try_lock() {
            Some(mut store) => Some(f(&mut store)),
            None => {
                device.report(ErrorKind::Reentered);
                None
            }
        }
    }
}

/// A store the flow names (`#:(name)::key`) that a node uses: its scope
/// ([`Scope::FlowStore`] or [`Scope::GlobalStore`], with the name's
/// number) and the static that holds it.
#[derive(Clone, Copy)]
pub struct NamedStore<const C: usize> {
    pub scope: Scope,
    pub context: &'static Context<C>,
}

/// The stores a node reads values from: its tab's flow context and the
/// device's global context, each only where the node uses it, and the
/// stores the flow names that it uses.
#[derive(Clone, Copy)]
pub struct Stores<const C: usize> {
    pub flow: Option<&'static Context<C>>,
    pub global: Option<&'static Context<C>>,
    pub named: &'static [NamedStore<C>],
}

impl<const C: usize> Stores<C> {
    /// A node that reads no context.
    pub const NONE: Self = Self {
        flow: None,
        global: None,
        named: &[],
    };

    pub const fn new(
        flow: Option<&'static Context<C>>,
        global: Option<&'static Context<C>>,
    ) -> Self {
        Self {
            flow,
            global,
            named: &[],
        }
    }

    /// The stores, and the named stores `named` beside them.
    pub const fn with_named(self, named: &'static [NamedStore<C>]) -> Self {
        Self {
            flow: self.flow,
            global: self.global,
            named,
        }
    }

    /// Whether the node has any store.
    #[inline(always)]
    pub fn any(&self) -> bool {
        self.flow.is_some() || self.global.is_some() || !self.named.is_empty()
    }

    /// The store a property of `scope` lives in; `None` for the message or
    /// a store the node does not have. Always inlined, so that where a
    /// node's stores are a constant (a node that names no store) the
    /// optimiser sees that there is none and leaves out the code that
    /// would use it.
    #[inline(always)]
    pub fn store(&self, scope: Scope) -> Option<&'static Context<C>> {
        match scope {
            Scope::Msg => None,
            Scope::Flow => self.flow,
            Scope::Global => self.global,
            Scope::FlowStore(_) | Scope::GlobalStore(_) => self
                .named
                .iter()
                .find(|named| named.scope == scope)
                .map(|named| named.context),
        }
    }

    /// Runs `f` with the node's stores held for reading, so that every
    /// value it reads comes from one moment; `None` (the re-entry counted)
    /// when one is busy. As with `Context::with`, a node holds them only
    /// while it reads, never while it sends.
    pub fn read<R>(&self, device: &Device, f: impl FnOnce(StoreView<'_, C>) -> R) -> Option<R> {
        let with_global = |flow: Option<&Msg<C>>| match self.global {
            Some(global) => global.with(device, |global| {
                hold_named(device, self.named, flow, Some(global), None, f)
            }),
            None => Some(hold_named(device, self.named, flow, None, None, f)),
        };
        match self.flow {
            Some(flow) => flow
                .with(device, |flow| with_global(Some(flow)))
                .flatten()
                .flatten(),
            None => with_global(None).flatten(),
        }
    }
}

/// Holds each of `named` in turn (one frame a store, as many as the node
/// has), then runs `f` with all of them and `flow` and `global` held.
fn hold_named<'a, R, const C: usize>(
    device: &Device,
    named: &'static [NamedStore<C>],
    flow: Option<&'a Msg<C>>,
    global: Option<&'a Msg<C>>,
    held: Option<&'a Held<'a, C>>,
    f: impl FnOnce(StoreView<'_, C>) -> R,
) -> Option<R> {
    match named.split_first() {
        None => Some(f(StoreView {
            flow,
            global,
            named: held,
        })),
        Some((first, rest)) => first
            .context
            .with(device, |values| {
                let here = Held {
                    scope: first.scope,
                    values,
                    before: held,
                };
                hold_named(device, rest, flow, global, Some(&here), f)
            })
            .flatten(),
    }
}

/// A named store held for reading, and those held before it.
struct Held<'a, const C: usize> {
    scope: Scope,
    values: &'a Msg<C>,
    before: Option<&'a Held<'a, C>>,
}

/// The values of a node's stores while it holds them.
#[derive(Clone, Copy)]
pub struct StoreView<'a, const C: usize> {
    flow: Option<&'a Msg<C>>,
    global: Option<&'a Msg<C>>,
    named: Option<&'a Held<'a, C>>,
}

impl<'a, const C: usize> StoreView<'a, C> {
    /// The value at `path` of the store of `scope`; `None`, JavaScript's
    /// `undefined`, for a key not set or a store the node does not have.
    pub fn get(&self, scope: Scope, path: &[PathSegment<'_>]) -> Option<ValueRef<'a>> {
        let store = match scope {
            Scope::Msg => None,
            Scope::Flow => self.flow,
            Scope::Global => self.global,
            Scope::FlowStore(_) | Scope::GlobalStore(_) => {
                let mut held = self.named;
                loop {
                    match held {
                        Some(store) if store.scope == scope => break Some(store.values),
                        Some(store) => held = store.before,
                        None => break None,
                    }
                }
            }
        };
        store.and_then(|store| store.get(path))
    }
}
