//! psosc: reads a Node-RED flow, checks it, places its nodes on devices and
//! writes one firmware crate per device.
//!
//! The pipeline: [`flow::read`] (JSON with spans, top-level forms, ids,
//! `${ENV}`) → [`lower::lower`] (typed IR, wires resolved, placement) →
//! [`codegen::generate`] (files in memory). Each stage returns what it could
//! make together with every problem it found; none stops at the first.

pub mod codegen;
pub mod custom;
pub mod diagnostic;
pub mod flow;
pub mod ir;
pub mod json;
pub mod lower;
pub mod nodes;
pub mod output;
pub mod partition;
pub mod run;

pub use diagnostic::{Diagnostic, SourceFile};

/// Checks a flow and lowers it to the IR. The flow is `None` when any error
/// was found; the diagnostics hold all of them, and the warnings.
pub fn check(
    source: &SourceFile,
    environment: flow::Environment<'_>,
) -> (Option<ir::Flow>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let flow = flow::read(source, environment, &mut diagnostics).and_then(|raw| {
        lower::lower(
            &raw,
            &source.name,
            source.dir.as_deref(),
            environment,
            &mut diagnostics,
        )
    });
    // In file order, so a reader can walk down the file; problems with no
    // place in it (about the flow as a whole) come first.
    diagnostics.sort_by_key(|diagnostic| diagnostic.labels.first().map(|label| label.span.start));
    let flow = flow.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
    (flow, diagnostics)
}
