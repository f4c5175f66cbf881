//! Node-RED's flow and global context on a device: a store of named values
//! that outlives messages. Each is a static of a size fixed at build time
//! (the device's `contextCapacity`): psosc gives each tab whose nodes use
//! flow context a store of its own and the device one global store.
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

/// The stores a node reads values from: its tab's flow context and the
/// device's global context, each only where the node uses it.
#[derive(Clone, Copy)]
pub struct Stores<const C: usize> {
    pub flow: Option<&'static Context<C>>,
    pub global: Option<&'static Context<C>>,
}

impl<const C: usize> Stores<C> {
    /// A node that reads no context.
    pub const NONE: Self = Self {
        flow: None,
        global: None,
    };

    pub const fn new(
        flow: Option<&'static Context<C>>,
        global: Option<&'static Context<C>>,
    ) -> Self {
        Self { flow, global }
    }

    /// Runs `f` with the node's stores held for reading, so that every
    /// value it reads comes from one moment; `None` (the re-entry counted)
    /// when one is busy. As with `Context::with`, a node holds them only
    /// while it reads, never while it sends.
    pub fn read<R>(&self, device: &Device, f: impl FnOnce(StoreView<'_, C>) -> R) -> Option<R> {
        let with_global = |flow: Option<&Msg<C>>| match self.global {
            Some(global) => global.with(device, |global| {
                f(StoreView {
                    flow,
                    global: Some(global),
                })
            }),
            None => Some(f(StoreView { flow, global: None })),
        };
        match self.flow {
            Some(flow) => flow.with(device, |flow| with_global(Some(flow))).flatten(),
            None => with_global(None),
        }
    }
}

/// The values of a node's stores while it holds them.
#[derive(Clone, Copy)]
pub struct StoreView<'a, const C: usize> {
    flow: Option<&'a Msg<C>>,
    global: Option<&'a Msg<C>>,
}

impl<'a, const C: usize> StoreView<'a, C> {
    /// The value at `path` of the flow (`global` false) or global store;
    /// `None`, JavaScript's `undefined`, for a key not set or a store the
    /// node does not have.
    pub fn get(&self, global: bool, path: &[PathSegment<'_>]) -> Option<ValueRef<'a>> {
        let store = if global { self.global } else { self.flow };
        store.and_then(|store| store.get(path))
    }
}
