//! What a node is to the runtime, and the cell that holds one as a `static`.

use crate::{Device, ErrorKind, Msg};

/// Who a node is in the flow, for debug output and error events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub type_name: &'static str,
}

impl NodeInfo {
    pub const fn new(id: &'static str, name: &'static str, type_name: &'static str) -> Self {
        Self {
            id,
            name,
            type_name,
        }
    }

    /// The label Node-RED logs a node by: its name, or its id when unnamed.
    pub fn label(&self) -> &'static str {
        if self.name.is_empty() {
            self.id
        } else {
            self.name
        }
    }
}

/// Where a node sends what it produces. The compiler implements it for each
/// node with a function that calls the receivers of each port directly, so a
/// send is a static call, never a lookup.
pub trait Outputs {
    fn send(&mut self, port: usize, msg: Msg);
}

impl<F: FnMut(usize, Msg)> Outputs for F {
    fn send(&mut self, port: usize, msg: Msg) {
        self(port, msg)
    }
}

/// The outputs of a node whose ports lead nowhere.
pub struct Discard;

impl Outputs for Discard {
    fn send(&mut self, _port: usize, _msg: Msg) {}
}

/// A node: state plus what it does with each message that arrives.
pub trait Node {
    fn input<O: Outputs>(&mut self, device: &Device, msg: Msg, out: &mut O);
}

/// The Node-RED type name a `#[psos::node]` type stands for.
pub trait NodeType {
    const TYPE_NAME: &'static str;
}

/// A node held in a `static`. A message that arrives while the node is still
/// busy with an earlier one (a wiring cycle the compiler did not break, or a
/// second thread) is dropped and counted, never a panic.
pub struct NodeCell<N> {
    node: spin::Mutex<N>,
}

impl<N> NodeCell<N> {
    pub const fn new(node: N) -> Self {
        Self {
            node: spin::Mutex::new(node),
        }
    }

    /// Runs `f` on the node unless it is busy, in which case the device
    /// counts a re-entry error and `f` does not run.
    pub fn with<R>(&self, device: &Device, f: impl FnOnce(&mut N) -> R) -> Option<R> {
        match self.node.try_lock() {
            Some(mut node) => Some(f(&mut node)),
            None => {
                device.report(ErrorKind::Reentered);
                None
            }
        }
    }
}

impl<N: Node> NodeCell<N> {
    /// Delivers one message to the node.
    pub fn input<O: Outputs>(&self, device: &Device, msg: Msg, out: &mut O) {
        self.with(device, |node| node.input(device, msg, out));
    }
}
