//! What a node is to the runtime, and the cell that holds one as a `static`.

use crate::msg::PathSegment;
use crate::{ConstValue, Device, ErrorKind, Msg, MsgError, NodeStatus, ValueRef};

/// Who a node is in the flow, for debug output and error events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub type_name: &'static str,
    /// Whether Node-RED defines the node's `name`, which its errors,
    /// statuses and completions then name as their source's.
    pub has_name: bool,
}

impl NodeInfo {
    /// A node as Node-RED makes it from its flow's `name`: named only when
    /// `name` is not empty (`Node.js`: `if (n.name)`).
    pub const fn new(id: &'static str, name: &'static str, type_name: &'static str) -> Self {
        Self {
            id,
            name,
            type_name,
            has_name: !name.is_empty(),
        }
    }

    /// A node of a type that copies its flow's `name` as it is, empty too
    /// (`this.name = n.name`): named even when `name` is "".
    pub const fn named(id: &'static str, name: &'static str, type_name: &'static str) -> Self {
        Self {
            id,
            name,
            type_name,
            has_name: true,
        }
    }

    /// Writes the node as Node-RED's flow names the source of a caught
    /// error, a status or a completion: `msg.<outer>.source = {id, type,
    /// name}`, `name` only when Node-RED defines it ([`NodeInfo::new`],
    /// [`NodeInfo::named`]): JSON leaves an undefined `name` out.
    pub fn set_source<const N: usize>(
        &self,
        msg: &mut Msg<N>,
        outer: &str,
    ) -> Result<(), MsgError> {
        let path = |key| {
            [
                PathSegment::Key(outer),
                PathSegment::Key("source"),
                PathSegment::Key(key),
            ]
        };
        msg.set(
            &[PathSegment::Key(outer), PathSegment::Key("source")],
            &ConstValue::Object(&[]),
        )?;
        msg.set(&path("id"), &ValueRef::Str(self.id))?;
        msg.set(&path("type"), &ValueRef::Str(self.type_name))?;
        if !self.has_name {
            return Ok(());
        }
        msg.set(&path("name"), &ValueRef::Str(self.name))
    }

    /// The label Node-RED logs a node by: its name, or its id when unnamed.
    pub fn label(&self) -> &'static str {
        if self.name.is_empty() {
            self.id
        } else {
            self.name
        }
    }

    /// Writes a line to the console as Node-RED logs on a node's behalf
    /// (`node.log`, `node.warn`, `node.error`): the device, then the node's
    /// type and label, then the text.
    pub fn log(&self, device: &Device, text: core::fmt::Arguments<'_>) {
        crate::platform::debug_line(format_args!(
            "[{}] [{}:{}] {text}",
            device.name,
            self.type_name,
            self.label()
        ));
    }
}

/// Where a node sends what it produces. The compiler implements it for each
/// node with a function that calls the receivers of each port directly, so a
/// send is a static call, never a lookup. The message is lent, not moved: a
/// receiver that wants to keep it copies it.
pub trait Outputs<const N: usize> {
    fn send(&mut self, port: usize, msg: &mut Msg<N>);

    /// The node's status changed (`node.status`). Only the outputs of a
    /// node that status nodes watch do anything with it
    /// ([`crate::Reporting`]); for every other node this is nothing, and
    /// the optimiser leaves no trace of the call.
    fn status(&mut self, _status: &NodeStatus<'_>) {}

    /// Whether a status reported here goes anywhere, so that a node spends
    /// nothing making a status no one watches.
    fn reports_status(&self) -> bool {
        false
    }

    /// The node reported an error (through the device) while handling
    /// `msg`, a message other than the one it was given, such as one it
    /// held: catch nodes get the error now, with `msg`, as Node-RED's
    /// `node.error(text, msg)` hands it on. Only the outputs of a node
    /// that catch nodes watch ([`crate::nodes::Catching`]) act on it; for
    /// every other node the error has been counted, and that is all.
    fn error_with(&mut self, _msg: &Msg<N>) {}
}

impl<const N: usize, F: FnMut(usize, &mut Msg<N>)> Outputs<N> for F {
    fn send(&mut self, port: usize, msg: &mut Msg<N>) {
        self(port, msg)
    }
}

/// The outputs of a node whose ports lead nowhere.
pub struct Discard;

impl<const N: usize> Outputs<N> for Discard {
    fn send(&mut self, _port: usize, _msg: &mut Msg<N>) {}
}

/// A node: state plus what it does with each message that arrives. `N` is
/// the device's message capacity, which the compiler chooses.
pub trait Node<const N: usize> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O);

    /// Runs once at start-up, before any message arrives. Most nodes have
    /// nothing to do then, so doing nothing is the default.
    fn start<O: Outputs<N>>(&mut self, _device: &Device, _out: &mut O) {}

    /// Runs every [`NodeType::TICK_MS`] milliseconds, for nodes that act on
    /// time rather than on messages. The compiler only calls it for nodes
    /// that declare a tick.
    fn tick<O: Outputs<N>>(&mut self, _device: &Device, _out: &mut O) {}
}

/// What `#[psos::node]` declares about a node type: the facts about it that
/// do not depend on the message capacity.
pub trait NodeType {
    /// The type name the node has in the flow, as Node-RED writes it.
    const TYPE_NAME: &'static str;
    /// How many output ports the node has; it sends on ports `0..OUTPUTS`.
    const OUTPUTS: usize;
    /// How often [`Node::tick`] runs, in milliseconds, if the node has one.
    const TICK_MS: Option<u64> = None;
    /// The node's properties in the flow, in the order its `new` takes them:
    /// each a name and the Rust type its value becomes (`"f64"`,
    /// `"&'static str"`).
    const PROPERTIES: &'static [(&'static str, &'static str)] = &[];
}

/// A node held in a `static`. A message that arrives while the node is still
/// busy with an earlier one (a wiring cycle the compiler did not break, or a
/// second thread) is dropped and counted, never a panic.
pub struct NodeCell<T> {
    node: spin::Mutex<T>,
}

impl<T> NodeCell<T> {
    pub const fn new(node: T) -> Self {
        Self {
            node: spin::Mutex::new(node),
        }
    }

    /// Runs `f` on the node unless it is busy, in which case the device
    /// counts a re-entry error and `f` does not run.
    pub fn with<R>(&self, device: &Device, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        match self.node.try_lock() {
            Some(mut node) => Some(f(&mut node)),
            None => {
                device.report(ErrorKind::Reentered);
                None
            }
        }
    }

    /// Delivers one message to the node.
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) where
        T: Node<N>,
    {
        self.with(device, |node| node.input(device, msg, out));
    }

    /// Runs the node's start-up hook.
    pub fn start<const N: usize, O: Outputs<N>>(&self, device: &Device, out: &mut O)
    where
        T: Node<N>,
    {
        self.with(device, |node| node.start(device, out));
    }

    /// Runs the node's timer hook once.
    pub fn tick<const N: usize, O: Outputs<N>>(&self, device: &Device, out: &mut O)
    where
        T: Node<N>,
    {
        self.with(device, |node| node.tick(device, out));
    }
}
