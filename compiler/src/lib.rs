//! psosc: reads a Node-RED flow, checks it, places its nodes on devices and
//! writes one firmware crate per device.
//!
//! The pipeline: [`flow::read`] (JSON with spans, top-level forms, ids,
//! `${ENV}`) → [`lower::lower`] (typed IR, wires resolved, then
//! [`place`]ment on devices) → [`codegen::generate`] (files in memory).
//! Each stage returns what it could make together with every problem it
//! found; none stops at the first.

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
pub mod place;
pub mod plan;
pub mod regex;
pub mod run;
pub mod subflow;

pub use diagnostic::{Diagnostic, SourceFile};

/// How [`check_with`] and [`plan`] go about a flow.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// Where the last build put each node (read from its `plan.json` with
    /// [`plan::read_previous`]): among placements of equal cost, the one
    /// that moves the fewest nodes from there wins.
    pub previous: Option<&'a place::Previous>,
}

/// Checks a flow and lowers it to the IR, ready to build. The flow is
/// `None` when any error was found; the diagnostics hold all of them, and
/// the warnings.
pub fn check(
    source: &SourceFile,
    environment: flow::Environment<'_>,
) -> (Option<ir::Flow>, Vec<Diagnostic>) {
    check_with(source, environment, &Options::default())
}

/// [`check`], with a previous placement to stay close to.
pub fn check_with(
    source: &SourceFile,
    environment: flow::Environment<'_>,
    options: &Options<'_>,
) -> (Option<ir::Flow>, Vec<Diagnostic>) {
    let (flow, diagnostics) = front_end(source, environment, options);
    finish(flow, diagnostics)
}

/// What `psosc plan` shows: the checked, placed flow, as [`check_with`]
/// makes it.
pub fn plan(
    source: &SourceFile,
    environment: flow::Environment<'_>,
    options: &Options<'_>,
) -> (Option<ir::Flow>, Vec<Diagnostic>) {
    check_with(source, environment, options)
}

fn front_end(
    source: &SourceFile,
    environment: flow::Environment<'_>,
    options: &Options<'_>,
) -> (Option<ir::Flow>, Vec<Diagnostic>) {
    let no_previous = place::Previous::default();
    let previous = options.previous.unwrap_or(&no_previous);
    let mut diagnostics = Vec::new();
    let flow = flow::read(source, environment, &mut diagnostics).and_then(|raw| {
        let flow = lower::lower(
            &raw,
            &source.name,
            source.dir.as_deref(),
            environment,
            previous,
            &mut diagnostics,
        );
        subflow::locate(&raw, &mut diagnostics);
        flow
    });
    (flow, diagnostics)
}

fn finish(
    flow: Option<ir::Flow>,
    mut diagnostics: Vec<Diagnostic>,
) -> (Option<ir::Flow>, Vec<Diagnostic>) {
    // In file order, so a reader can walk down the file; problems with no
    // place in it (about the flow as a whole) come first.
    diagnostics.sort_by_key(|diagnostic| diagnostic.labels.first().map(|label| label.span.start));
    let flow = flow.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
    (flow, diagnostics)
}
