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

use crate::{Device, ErrorKind, Msg};

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
