//! The PSOS runtime: Node-RED messages and nodes, wired statically by `psosc`.
//!
//! A device crate that `psosc` generates declares each of its nodes as a
//! `static` [`NodeCell`], connects output ports to inputs with plain function
//! calls, and hands its timers to the board's run loop (see [`host`]). Nothing
//! in the message path looks up a topic or dispatches dynamically.
//!
//! ```
//! use psos::nodes::{Debug, DebugTarget};
//! use psos::{Device, Discard, Msg, NodeCell, NodeInfo, Value};
//!
//! static DEVICE: Device = Device::new("doc", "example.json");
//! static DEBUG: NodeCell<Debug> = NodeCell::new(Debug::new(
//!     NodeInfo::new("d1", "show", "debug"),
//!     DebugTarget::Payload,
//! ));
//!
//! let mut msg = Msg::new();
//! msg.set_payload(Value::from("hello"));
//! DEBUG.input(&DEVICE, msg, &mut Discard);
//! ```
#![no_std]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod console;
mod device;
#[cfg(feature = "std")]
pub mod host;
mod msg;
mod node;
pub mod nodes;
mod platform;
pub mod timers;
mod value;

pub use console::Console;
pub use device::{Device, ErrorKind, Timer};
pub use msg::Msg;
pub use node::{Discard, Node, NodeCell, NodeInfo, Outputs};
pub use psos_macros::node;
pub use value::{ConstValue, Value};

/// What the code that `#[psos::node]` and `psosc` emit refers to. Not a public
/// API: its contents change with the compiler.
#[doc(hidden)]
pub mod __private {
    pub use crate::node::NodeType;
}
