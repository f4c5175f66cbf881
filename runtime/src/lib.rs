//! The PSOS runtime: Node-RED messages and nodes, wired statically by `psosc`.
//!
//! A device crate that `psosc` generates declares each of its nodes as a
//! `static` [`NodeCell`], connects output ports to inputs with plain function
//! calls, and hands its timers to the board's run loop (see [`host`]). Nothing
//! in the message path looks up a topic or dispatches dynamically.
//!
//! ```
//! use psos::nodes::{Change, ChangeRule, Debug, DebugTarget};
//! use psos::{ConstValue, Device, Discard, NodeCell, NodeInfo, PathSegment};
//!
//! /// Each device picks its message capacity, in bytes.
//! type Msg = psos::Msg<256>;
//! const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];
//!
//! static DEVICE: Device = Device::new("doc", "example.json");
//! static SET: NodeCell<Change> = NodeCell::new(Change::new(
//!     NodeInfo::new("c1", "greet", "change"),
//!     &[ChangeRule::Set { path: PAYLOAD, value: ConstValue::Str("hello") }],
//! ));
//! static SHOW: NodeCell<Debug> = NodeCell::new(Debug::new(
//!     NodeInfo::new("d1", "show", "debug"),
//!     DebugTarget::Property(PAYLOAD),
//! ));
//!
//! // The wire from SET to SHOW is a direct call.
//! fn set_out(_port: usize, msg: &mut Msg) {
//!     SHOW.input(&DEVICE, msg, &mut Discard);
//! }
//! SET.input(&DEVICE, &mut Msg::new(), &mut set_out);
//! ```
//!
//! # Custom nodes
//!
//! A node type of your own is a Rust type whose impl block carries
//! [`#[psos::node]`](node). The parameters of `new` are the node's properties
//! in the flow, by the same names; the compiler builds the node in a `static`
//! from them. `start` (once at start-up) and `tick` (every `tick_ms`) are
//! optional.
//!
//! ```
//! use psos::encoding::Str;
//! use psos::{Device, Msg, NodeCell, Outputs};
//!
//! /// Counts messages and sends the count on, under a configured topic.
//! pub struct Counter {
//!     topic: &'static str,
//!     count: u32,
//! }
//!
//! #[psos::node(type = "counter", outputs = 1)]
//! impl Counter {
//!     pub const fn new(topic: &'static str) -> Self {
//!         Self { topic, count: 0 }
//!     }
//!
//!     pub fn input<const N: usize>(
//!         &mut self,
//!         device: &Device,
//!         msg: &mut Msg<N>,
//!         out: &mut impl Outputs<N>,
//!     ) {
//!         self.count += 1;
//!         let result = msg
//!             .set_property("topic", &Str(self.topic))
//!             .and_then(|()| msg.set_property("payload", &f64::from(self.count)));
//!         if device.check(result, psos::ErrorKind::Oversize).is_some() {
//!             out.send(0, msg);
//!         }
//!     }
//! }
//!
//! static DEVICE: Device = Device::new("doc", "example.json");
//! static COUNTER: NodeCell<Counter> = NodeCell::new(Counter::new("visits"));
//!
//! let mut shown = Vec::new();
//! let mut record = |_port: usize, msg: &mut psos::Msg<64>| shown.push(format!("{msg:?}"));
//! COUNTER.input(&DEVICE, &mut Msg::new(), &mut record);
//! assert_eq!(shown, [r#"{"topic":"visits","payload":1}"#]);
//! ```
#![no_std]
// Data must never panic the firmware; tests may unwrap what they set up.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(feature = "std")]
extern crate std;

mod calendar;
pub mod console;
pub mod context;
pub mod control;
pub mod cron;
mod device;
pub mod encoding;
#[cfg(feature = "std")]
pub mod host;
pub mod json;
mod loopback;
pub mod mqtt;
mod msg;
mod node;
pub mod nodes;
mod platform;
pub mod regex;
pub mod status;
mod text;
pub mod timers;
pub mod topic;
mod value;

pub use calendar::{IsoBuffer, IsoDate, IsoText};
pub use console::Console;
pub use context::{Context, NamedStore, Stores};
pub use cron::Schedule;
pub use device::{
    Clocks, Device, ErrorKind, ErrorMessage, ErrorText, Reported, StopReport, Timer,
    ERROR_TEXT_CAPACITY,
};
pub use json::{value_from_json, value_from_json_text, JsonError};
pub use loopback::{Loopback, LOOPBACK_BUDGET};
pub use msg::{Msg, MsgError, PathSegment};
pub use node::{Discard, Node, NodeCell, NodeInfo, Outputs};
pub use psos_macros::node;
pub use status::{status_message, CountText, NodeStatus, Reporting, StatusText};
pub use value::{
    is_js_white_space, number_from_str, parse_float, ConstValue, Items, Members, Primitive,
    ValueRef,
};

/// What the code that `#[psos::node]` and `psosc` emit refers to. Not a public
/// API: its contents change with the compiler.
#[doc(hidden)]
pub mod __private {
    pub use crate::node::NodeType;
    pub use crate::{Device, Msg, Node, Outputs};
}
