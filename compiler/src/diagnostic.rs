//! Problems found in a flow: what each one is, where it is, and how to show
//! it to a person (miette) or to a tool (one JSON object a line).

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::json::Span;

/// Every kind of problem psosc reports, each with a stable, namespaced code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    MalformedJson,
    NotAFlow,
    NotAnObject,
    MissingId,
    DuplicateId,
    WireToMissingNode,
    WireToConfigNode,
    PortOutOfRange,
    UnsupportedNodeType,
    MissingProperty,
    MalformedProperty,
    UnsupportedValue,
    UnknownProperty,
    NodeCrate,
    MissingConfigNode,
    DuplicateDevice,
    InvalidDeviceName,
    UnknownBoard,
    UndeclaredDevice,
    UnpinnedNode,
    ImplicitDevice,
    UnsetEnvironmentVariable,
    SecondBroker,
    ConflictingPins,
    DeviceOverflow,
    NoRoom,
    PlacementFailed,
    NeverFires,
    UnknownSubflow,
    RecursiveSubflow,
    ContextStore,
    ContextAcrossDevices,
    CatchAcrossDevices,
    StatusAcrossDevices,
    StatusUnreported,
    CompleteAcrossDevices,
    CompleteUnwatchable,
    LinkAnswerAcrossDevices,
    LinkCallWithoutLinkIn,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedJson => "psosc::json::malformed",
            Code::NotAFlow => "psosc::flow::not_a_flow",
            Code::NotAnObject => "psosc::flow::not_an_object",
            Code::MissingId => "psosc::flow::missing_id",
            Code::DuplicateId => "psosc::flow::duplicate_id",
            Code::WireToMissingNode => "psosc::wire::missing_node",
            Code::WireToConfigNode => "psosc::wire::config_node",
            Code::PortOutOfRange => "psosc::wire::port_out_of_range",
            Code::UnsupportedNodeType => "psosc::node::unsupported_type",
            Code::MissingProperty => "psosc::node::missing_property",
            Code::MalformedProperty => "psosc::node::malformed_property",
            Code::UnsupportedValue => "psosc::node::unsupported_value",
            Code::UnknownProperty => "psosc::node::unknown_property",
            Code::NodeCrate => "psosc::nodes::unreadable_crate",
            Code::MissingConfigNode => "psosc::node::missing_config_node",
            Code::DuplicateDevice => "psosc::device::duplicate",
            Code::InvalidDeviceName => "psosc::device::invalid_name",
            Code::UnknownBoard => "psosc::device::unknown_board",
            Code::UndeclaredDevice => "psosc::device::undeclared",
            Code::UnpinnedNode => "psosc::device::unpinned_node",
            Code::ImplicitDevice => "psosc::device::implicit_host",
            Code::UnsetEnvironmentVariable => "psosc::flow::unset_env",
            Code::SecondBroker => "psosc::mqtt::second_broker",
            Code::ConflictingPins => "psosc::device::conflicting_pins",
            Code::DeviceOverflow => "psosc::device::over_budget",
            Code::NoRoom => "psosc::device::no_room",
            Code::PlacementFailed => "psosc::device::placement_failed",
            Code::NeverFires => "psosc::inject::never_fires",
            Code::UnknownSubflow => "psosc::subflow::unknown",
            Code::RecursiveSubflow => "psosc::subflow::recursive",
            Code::ContextStore => "psosc::context::store_name",
            Code::ContextAcrossDevices => "psosc::context::across_devices",
            Code::CatchAcrossDevices => "psosc::catch::across_devices",
            Code::StatusAcrossDevices => "psosc::status::across_devices",
            Code::StatusUnreported => "psosc::status::unreported",
            Code::CompleteAcrossDevices => "psosc::complete::across_devices",
            Code::CompleteUnwatchable => "psosc::complete::unwatchable_node",
            Code::LinkAnswerAcrossDevices => "psosc::link::answer_across_devices",
            Code::LinkCallWithoutLinkIn => "psosc::link::no_link_in",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The node a diagnostic is about, as the Node-RED editor shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeRef {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

impl NodeRef {
    /// The node of the IR, as the editor shows it.
    pub fn of(node: &crate::ir::Node) -> NodeRef {
        NodeRef {
            id: node.id.clone(),
            name: node.name.clone(),
            type_name: node.type_name.clone(),
        }
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "{} node {:?}", self.type_name, self.id)
        } else {
            write!(f, "{} node {:?} ({:?})", self.type_name, self.name, self.id)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub node: Option<NodeRef>,
    pub property: Option<String>,
    /// The first label is the primary place.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message.into())
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message.into())
    }

    fn new(code: Code, severity: Severity, message: String) -> Self {
        Self {
            code,
            severity,
            message,
            node: None,
            property: None,
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn node(mut self, node: NodeRef) -> Self {
        self.node = Some(node);
        self
    }

    pub fn property(mut self, property: impl Into<String>) -> Self {
        self.property = Some(property.into());
        self
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The one-line statement: the node, the property, then the problem.
    pub fn headline(&self) -> String {
        match (&self.node, &self.property) {
            (Some(node), Some(property)) => {
                format!("{node}, property `{property}`: {}", self.message)
            }
            (Some(node), None) => format!("{node}: {}", self.message),
            (None, _) => self.message.clone(),
        }
    }
}

/// A flow file's text under the name diagnostics show for it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// The directory the file is in, which paths in the flow are relative to.
    pub dir: Option<std::path::PathBuf>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            dir: None,
        }
    }

    /// The same file, with the directory its relative paths start from.
    pub fn in_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before
            .get(line_start..)
            .map_or(0, |text| text.chars().count())
            + 1;
        (line, column)
    }
}

/// A diagnostic together with its file, in the form miette renders.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a SourceFile,
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic.fmt(f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.headline())
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.diagnostic.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.diagnostic.labels.iter().enumerate().map(
            |(index, label)| {
                let text = Some(label.text.clone()).filter(|text| !text.is_empty());
                if index == 0 {
                    LabeledSpan::new_primary_with_span(text, label.span)
                } else {
                    LabeledSpan::new_with_span(text, label.span)
                }
            },
        )))
    }
}

/// How diagnostics are drawn for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Colours and Unicode where the terminal has them.
    Terminal,
    /// No colour, fixed width: what tests compare against.
    Plain { width: usize },
}

/// Renders diagnostics as miette reports, then a count.
pub fn render_human(diagnostics: &[Diagnostic], source: &SourceFile, style: Style) -> String {
    let handler = match style {
        Style::Terminal => GraphicalReportHandler::new(),
        Style::Plain { width } => {
            GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                .with_width(width)
                .with_links(false)
        }
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report { diagnostic, source };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&diagnostic.headline());
            out.push('\n');
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        out.push_str(&format!(
            "{}: {} in {}\n",
            if errors > 0 { "error" } else { "warning" },
            count_phrase(errors, warnings),
            source.name
        ));
    }
    out
}

fn count_phrase(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'static str,
    message: String,
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    node: Option<&'a NodeRef>,
    property: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

/// Renders each diagnostic as one JSON object on a line of its own.
pub fn render_json(diagnostics: &[Diagnostic], source: &SourceFile) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let labels: Vec<JsonLabel<'_>> = diagnostic
            .labels
            .iter()
            .map(|label| {
                let (line, column) = source.line_column(label.span.start);
                JsonLabel {
                    line,
                    column,
                    offset: label.span.start,
                    length: label.span.len(),
                    text: &label.text,
                }
            })
            .collect();
        let record = JsonDiagnostic {
            severity: diagnostic.severity,
            code: diagnostic.code.as_str(),
            message: diagnostic.headline(),
            file: &source.name,
            line: labels.first().map(|label| label.line),
            column: labels.first().map(|label| label.column),
            node: diagnostic.node.as_ref(),
            property: diagnostic.property.as_deref(),
            labels,
            help: diagnostic.help.as_deref(),
        };
        // Serialising plain strings and numbers into a String cannot fail.
        if let Ok(line) = serde_json::to_string(&record) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let source = SourceFile::new("f.json", "[\n  \"é\", x");
        assert_eq!(source.line_column(0), (1, 1));
        assert_eq!(source.line_column(4), (2, 3));
        assert_eq!(source.line_column(source.text.len() - 1), (2, 8));
    }
}
