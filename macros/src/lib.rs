//! `#[psos::node]`: makes a Rust type a PSOS node type, re-exported by `psos`.
//!
//! The entry point is thin: `definition` reads and checks the attribute and
//! the impl block, `expand` writes what the runtime needs. Both are ordinary
//! modules with unit tests; `psos`'s `tests/macro_ui.rs` checks the errors as
//! a user sees them.

mod definition;
mod expand;

use proc_macro::TokenStream;

/// Declares a node type: goes on the inherent impl block of the type.
///
/// ```text
/// #[psos::node(type = "hysteresis", outputs = 1)]   // optional: tick_ms = 1000
/// impl Hysteresis {
///     /// Each parameter is a property of the node in the flow, by the same
///     /// name: bool, u8..u64, i8..i64, f32, f64 or &'static str.
///     pub const fn new(setpoint: f64, band: f64) -> Self { ... }
///     pub fn input<const N: usize>(&mut self, device: &psos::Device,
///         msg: &mut psos::Msg<N>, out: &mut impl psos::Outputs<N>) { ... }
///     // Optional hooks, found by name:
///     pub fn start<const N: usize>(&mut self, device: &psos::Device,
///         out: &mut impl psos::Outputs<N>) { ... }   // once at start-up
///     pub fn tick<const N: usize>(&mut self, device: &psos::Device,
///         out: &mut impl psos::Outputs<N>) { ... }   // every tick_ms
/// }
/// ```
///
/// Arguments: `type`, the node's type name in the flow; `outputs`, its number
/// of output ports; `tick_ms`, how often `tick` runs (given exactly when there
/// is a `tick`).
///
/// The impl block is emitted unchanged, with `psos::Node<N>` (for every `N`)
/// forwarding to its methods, `psos::__private::NodeType` with the type name,
/// the number of outputs and the tick period, and a hidden exported macro named
/// after the type name, so that two node types with one type name in a crate
/// do not compile. A literal port `K` in `out.send(K, msg)` must be below
/// `outputs`. See `psos`'s crate documentation for a runnable example.
#[proc_macro_attribute]
pub fn node(arguments: TokenStream, item: TokenStream) -> TokenStream {
    expand::node(arguments.into(), item.into()).into()
}
