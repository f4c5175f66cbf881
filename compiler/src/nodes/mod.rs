//! The node types psosc supports, and how each one's configuration is read
//! and checked. One module per node type; this one holds what they share.

mod batch;
pub mod catch;
mod change;
pub mod complete;
pub mod crontab;
mod csv;
pub mod custom;
mod debug;
pub(crate) mod delay;
mod filter;
mod inject;
pub(crate) mod json;
pub mod link;
pub mod mqtt;
mod mustache;
pub mod path;
mod range;
pub mod refused;
mod smooth;
mod sort;
mod split;
pub mod status;
mod switch;
mod template;
mod trigger;
mod value;

pub use change::check_context_across_devices;

use crate::diagnostic::{Code, Diagnostic};
use crate::flow::{Environment, RawFlow, RawNode};
use crate::ir::{Literal, NodeKind, Path};
use crate::json::{Json, JsonValue, Span};

/// A node type that runs on a device.
pub struct NodeType {
    pub type_name: &'static str,
    /// Reads and checks the node's configuration; `None` after reporting
    /// why it cannot be used.
    pub lower: fn(&mut Reader<'_, '_>) -> Option<NodeKind>,
}

/// Every node type that becomes code on a device.
pub const NODE_TYPES: &[NodeType] = &[
    NodeType {
        type_name: "inject",
        lower: inject::lower,
    },
    NodeType {
        type_name: "change",
        lower: change::lower,
    },
    NodeType {
        type_name: "switch",
        lower: switch::lower,
    },
    NodeType {
        type_name: "debug",
        lower: debug::lower,
    },
    NodeType {
        type_name: "mqtt in",
        lower: mqtt::lower_in,
    },
    NodeType {
        type_name: "mqtt out",
        lower: mqtt::lower_out,
    },
    NodeType {
        type_name: "range",
        lower: range::lower,
    },
    NodeType {
        type_name: "json",
        lower: json::lower,
    },
    NodeType {
        type_name: "delay",
        lower: delay::lower,
    },
    NodeType {
        type_name: "template",
        lower: template::lower,
    },
    NodeType {
        type_name: "rbe",
        lower: filter::lower,
    },
    NodeType {
        type_name: "trigger",
        lower: trigger::lower,
    },
    NodeType {
        type_name: "split",
        lower: split::lower_split,
    },
    NodeType {
        type_name: "join",
        lower: split::lower_join,
    },
    NodeType {
        type_name: "batch",
        lower: batch::lower,
    },
    NodeType {
        type_name: "sort",
        lower: sort::lower,
    },
    NodeType {
        type_name: "smooth",
        lower: smooth::lower,
    },
    NodeType {
        type_name: "csv",
        lower: csv::lower,
    },
    NodeType {
        type_name: "catch",
        lower: catch::lower,
    },
    NodeType {
        type_name: "status",
        lower: status::lower,
    },
    NodeType {
        type_name: crate::subflow::STATUS_PORT_TYPE,
        lower: status::lower_port,
    },
    NodeType {
        type_name: "complete",
        lower: complete::lower,
    },
];

pub fn find(type_name: &str) -> Option<&'static NodeType> {
    NODE_TYPES
        .iter()
        .find(|node_type| node_type.type_name == type_name)
}

/// Reads one node's properties, reporting each problem as a diagnostic that
/// names the node, the property and its place in the file.
pub struct Reader<'a, 'd> {
    pub node: &'a RawNode,
    pub diagnostics: &'d mut Vec<Diagnostic>,
    /// The flow and the environment, for nodes that look up `env` names.
    env: Option<(&'a RawFlow, Environment<'a>)>,
    /// The names of the context stores the flow names, in the order they
    /// first come: each name's number (`ir::StoreName`).
    store_names: Option<&'d mut Vec<String>>,
}

impl<'a, 'd> Reader<'a, 'd> {
    pub fn new(node: &'a RawNode, diagnostics: &'d mut Vec<Diagnostic>) -> Self {
        Self {
            node,
            diagnostics,
            env: None,
            store_names: None,
        }
    }

    /// Lets the node number the context stores it names among the flow's.
    pub fn with_store_names(self, store_names: &'d mut Vec<String>) -> Self {
        Self {
            store_names: Some(store_names),
            ..self
        }
    }

    /// The number of the context store `name` among those the flow names,
    /// numbered in the order they first come; `None` past `u16::MAX`
    /// names, or for a node read without the flow's names.
    pub fn store_number(&mut self, name: &str) -> Option<u16> {
        let names = self.store_names.as_mut()?;
        let position = match names.iter().position(|known| known == name) {
            Some(position) => position,
            None => {
                names.push(name.to_string());
                names.len() - 1
            }
        };
        u16::try_from(position).ok()
    }

    /// Lets the node look up environment variables as Node-RED would for it.
    pub fn with_env(self, flow: &'a RawFlow, environment: Environment<'a>) -> Self {
        Self {
            env: Some((flow, environment)),
            ..self
        }
    }

    /// Node-RED's `env.get(name)` for this node (its groups, its tab, the
    /// flow's global settings, then the environment psosc runs in);
    /// `None` when it is not set or no environment was given.
    pub fn env_var(&self, name: &str) -> Option<String> {
        let (flow, environment) = self.env?;
        flow.env_var(self.node, name, environment)
    }

    /// A value of type `env`, as Node-RED's `evaluateEnvProperty` reads it
    /// when the node starts: `NAME` or `${NAME}` is the variable's text,
    /// and text with `${NAME}` inside has each replaced by its variable's.
    /// What is not set is empty text there, and here, with a warning.
    pub fn env_text(&mut self, key: &str, value: &str, span: Span) -> String {
        let mut unset = Vec::new();
        let mut lookup = |name: &str| {
            self.env_var(name).unwrap_or_else(|| {
                unset.push(name.to_string());
                String::new()
            })
        };
        let whole = value
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .filter(|name| !name.is_empty() && !name.contains('}'));
        let text = if let Some(name) = whole {
            lookup(name)
        } else if !has_env_reference(value) {
            lookup(value)
        } else {
            let mut text = String::new();
            let mut rest = value;
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                match after.find('}').filter(|end| *end > 0) {
                    Some(end) => {
                        text.push_str(&rest[..start]);
                        text.push_str(&lookup(&after[..end]));
                        rest = &after[end + 1..];
                    }
                    None => {
                        text.push_str(&rest[..start + 2]);
                        rest = after;
                    }
                }
            }
            text.push_str(rest);
            text
        };
        for name in unset {
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::UnsetEnvironmentVariable,
                    format!("the environment variable {name:?} is not set; the value is empty text, as in Node-RED"),
                )
                .node(self.node.node_ref())
                .property(key)
                .label(span, "refers to it")
                .help("set it in the environment of psosc, or in the `env` of the node's tab or group"),
            );
        }
        text
    }

    pub fn get(&self, key: &str) -> Option<&'a Json> {
        self.node.get(key)
    }

    /// An optional string property; a value of another kind is reported.
    pub fn string(&mut self, key: &str) -> Option<&'a str> {
        let value = self.get(key)?;
        match &value.value {
            JsonValue::String(text) => Some(text),
            _ => {
                self.malformed(
                    key,
                    value.span,
                    format!("expected a string, found {}", value.kind_name()),
                    None,
                );
                None
            }
        }
    }

    /// A string property the node cannot do without.
    pub fn required_string(&mut self, key: &str, accepted: &str) -> Option<&'a str> {
        if self.get(key).is_none() {
            self.missing(key, accepted);
            return None;
        }
        self.string(key)
    }

    /// A list property the node cannot do without.
    pub fn required_array(&mut self, key: &str, accepted: &str) -> Option<&'a [Json]> {
        let Some(value) = self.get(key) else {
            self.missing(key, accepted);
            return None;
        };
        match &value.value {
            JsonValue::Array(items) => Some(items),
            _ => {
                self.malformed(
                    key,
                    value.span,
                    format!("expected a list, found {}", value.kind_name()),
                    Some(format!("write \"{key}\": {accepted}")),
                );
                None
            }
        }
    }

    /// A number the node cannot do without, which Node-RED reads with
    /// `Number(...)`: a JSON number, or text that is one (`"10"`, `"0x1f"`,
    /// `" 2.5 "`). Blank text, which `Number` reads as 0, is refused, as
    /// the editor refuses it; so is anything that is not a finite number.
    pub fn required_number(&mut self, key: &str, example: &str) -> Option<f64> {
        let Some(value) = self.get(key) else {
            self.missing(key, &format!("\"{example}\""));
            return None;
        };
        let number = match &value.value {
            JsonValue::Number(number) => Some(*number),
            JsonValue::String(text) if !text.trim().is_empty() => Some(psos::number_from_str(text)),
            _ => None,
        };
        if let Some(number) = number.filter(|number| number.is_finite()) {
            return Some(number);
        }
        self.malformed(
            key,
            value.span,
            format!("{} is not a number", shown(value)),
            Some(format!(
                "write a finite number, as a number or as text, such as \"{key}\": \"{example}\""
            )),
        );
        None
    }

    /// One of a few words, each standing for a setting; the first is what
    /// a missing or empty property means, as Node-RED takes it then.
    pub fn choice<T: Copy>(&mut self, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let (_, default) = choices.first()?;
        // A value that is not text at all is reported by `string`.
        let word = match self.get(key) {
            None => "",
            Some(_) => self.string(key)?,
        };
        if word.is_empty() {
            return Some(*default);
        }
        if let Some((_, setting)) = choices.iter().find(|(name, _)| *name == word) {
            return Some(*setting);
        }
        let names = || choices.iter().map(|(name, _)| *name);
        let accepted = names()
            .map(|name| format!("{name:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match suggest(word, names()) {
            Some(near) => format!("did you mean {near:?}? Node-RED knows {accepted}"),
            None => format!("Node-RED knows {accepted}"),
        };
        let span = self.node.value_span(key);
        self.malformed(
            key,
            span,
            format!("{word:?} is not a value Node-RED knows here"),
            Some(help),
        );
        None
    }

    /// The message property a node works on, as Node-RED reads
    /// `n.property || "payload"`.
    pub fn target_property(&mut self) -> Option<Path> {
        self.msg_property_or("property", "payload")
    }

    /// A message property a node names in `key`, as Node-RED reads
    /// `n[key] || default`.
    pub fn msg_property_or(&mut self, key: &str, default: &str) -> Option<Path> {
        let name = self
            .string(key)
            .filter(|name| !name.is_empty())
            .unwrap_or(default);
        let span = self.node.value_span(key);
        self.msg_property(key, name, None, span)
    }

    /// Reports a property the node cannot do without.
    fn missing(&mut self, key: &str, accepted: &str) {
        self.diagnostics.push(
            self.node
                .error(
                    Code::MissingProperty,
                    key,
                    format!("the property `{key}` is missing"),
                    "in this node",
                )
                .help(format!("add \"{key}\": {accepted}")),
        );
    }

    /// A flag as Node-RED stores it: `true`/`false` or `"true"`/`"false"`.
    pub fn flag(&mut self, key: &str, default: bool) -> bool {
        let Some(value) = self.get(key) else {
            return default;
        };
        match &value.value {
            JsonValue::Bool(b) => *b,
            JsonValue::String(s) if s == "true" => true,
            JsonValue::String(s) if s == "false" || s.is_empty() => false,
            _ => {
                self.malformed(
                    key,
                    value.span,
                    format!("expected true or false, found {}", shown(value)),
                    Some(format!("write \"{key}\": true or \"{key}\": false")),
                );
                default
            }
        }
    }

    /// A whole number property in a range, or the default when absent or empty.
    pub fn whole_number(
        &mut self,
        key: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let Some(value) = self.get(key) else {
            return Some(default);
        };
        let number = match &value.value {
            JsonValue::Number(n) => *n,
            JsonValue::String(s) if s.trim().is_empty() => return Some(default),
            JsonValue::String(s) => psos::number_from_str(s),
            _ => f64::NAN,
        };
        if number.fract() == 0.0 && number >= *range.start() as f64 && number <= *range.end() as f64
        {
            Some(number as u64)
        } else {
            self.malformed(
                key,
                value.span,
                format!(
                    "expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
                None,
            );
            None
        }
    }

    pub fn malformed(&mut self, key: &str, span: Span, message: String, help: Option<String>) {
        let mut diagnostic = crate::diagnostic::Diagnostic::error(Code::MalformedProperty, message)
            .node(self.node.node_ref())
            .property(key)
            .label(span, "here");
        if let Some(help) = help {
            diagnostic = diagnostic.help(help);
        }
        self.diagnostics.push(diagnostic);
    }

    /// Refuses a `name` that is not text where Node-RED would keep it as
    /// the node's name (`if (n.name) this.name = n.name`, or a type that
    /// copies it whatever it is): its errors, statuses and completions
    /// would name their source by that value, where a device names nodes
    /// by text. A falsy name Node-RED leaves out is no name, as on a device.
    pub fn text_name(&mut self) {
        let Some(name) = self.get("name") else {
            return;
        };
        if name.as_str().is_some() || !(name.is_truthy() || self.node.copies_name()) {
            return;
        }
        let what = match &name.value {
            JsonValue::Number(_) | JsonValue::Bool(_) => {
                format!("{} ({})", name.kind_name(), shown(name))
            }
            _ => name.kind_name().to_string(),
        };
        let message = format!(
            "its name is {what}, not text: Node-RED names the node by that value (`msg.error.source.name`, `msg.complete.source.name`, `NR_NODE_NAME`), and a device names nodes by text"
        );
        let span = name.span;
        self.unsupported(
            "name",
            span,
            message,
            "write the name as text (in quotes), or leave it empty",
        );
    }

    /// A value psosc understands but cannot put on a device (yet).
    pub fn unsupported(&mut self, key: &str, span: Span, message: String, help: impl Into<String>) {
        self.diagnostics.push(
            Diagnostic::error(Code::UnsupportedValue, message)
                .node(self.node.node_ref())
                .property(key)
                .label(span, "not supported on a device")
                .help(help),
        );
    }

    /// A value Node-RED evaluates as the JSONata `expression`, which a
    /// device cannot: refused, naming the expression. The one wording of
    /// every node's JSONata refusal; `help` says what the node can do
    /// instead.
    pub fn refuse_jsonata(
        &mut self,
        key: &str,
        span: Span,
        expression: &str,
        help: impl Into<String>,
    ) {
        self.unsupported(
            key,
            span,
            format!(
                "the JSONata expression {expression:?} does not run on a device: it has no JSONata evaluator"
            ),
            help,
        );
    }

    /// A warning about a property: the flow builds, but not quite as it
    /// reads.
    pub fn warn(&mut self, code: Code, key: &str, message: &str, label: &str, help: &str) {
        let span = self.node.value_span(key);
        self.diagnostics.push(
            Diagnostic::warning(code, message)
                .node(self.node.node_ref())
                .property(key)
                .label(span, label)
                .help(help),
        );
    }

    /// A message property named by a node (`p`, `property`): a property
    /// expression of `msg`, such as `payload` or `payload.a[0]`.
    pub fn msg_property(
        &mut self,
        key: &str,
        expression: &str,
        kind: Option<&str>,
        span: Span,
    ) -> Option<Path> {
        let instead = "use a property of msg, such as payload or topic";
        match kind {
            Some("jsonata") => {
                self.refuse_jsonata(key, span, expression, instead);
                return None;
            }
            Some(kind) if kind != "msg" => {
                self.unsupported(
                    key,
                    span,
                    format!(
                        "the {kind} property {expression:?} is not supported, only msg properties"
                    ),
                    instead,
                );
                return None;
            }
            _ => {}
        }
        match path::parse(expression) {
            Ok(path) if path.len() <= psos::encoding::MAX_DEPTH => Some(path),
            Ok(path) => {
                self.malformed(
                    key,
                    span,
                    format!("the property {expression:?} is {} levels deep", path.len()),
                    Some(format!(
                        "a device follows at most {} levels",
                        psos::encoding::MAX_DEPTH
                    )),
                );
                None
            }
            Err(problem) => {
                self.malformed(
                    key,
                    span,
                    format!("the property {expression:?} cannot be read: {problem}"),
                    Some(
                        "write a property of msg such as payload, payload.a or payload[\"b c\"][0]"
                            .to_string(),
                    ),
                );
                None
            }
        }
    }

    /// A value written in the node with its Node-RED type (`str`, `num`,
    /// `bool`, `json`), checked and converted now so the device does no
    /// parsing.
    pub fn literal(
        &mut self,
        key: &str,
        value: Option<&Json>,
        value_type: &str,
        span: Span,
    ) -> Option<Literal> {
        let text = match value.map(|value| &value.value) {
            None | Some(JsonValue::Null) => String::new(),
            Some(JsonValue::String(text)) => text.clone(),
            Some(JsonValue::Number(n)) => js_number_text(*n),
            Some(JsonValue::Bool(b)) => b.to_string(),
            // A structured value where Node-RED expects text is passed as is
            // for json, and refused otherwise.
            Some(JsonValue::Array(_) | JsonValue::Object(_)) if value_type == "json" => {
                return value.map(literal_from_json);
            }
            Some(_) => {
                self.malformed(
                    key,
                    span,
                    format!("expected a {value_type} value written as text"),
                    None,
                );
                return None;
            }
        };
        match value_type {
            "str" => Some(Literal::String(text)),
            "num" => {
                let number = psos::number_from_str(&text);
                if number.is_nan() {
                    self.malformed(
                        key,
                        span,
                        format!("{text:?} is not a number"),
                        Some("write a number such as 42, -1.5 or 1e3".to_string()),
                    );
                    return None;
                }
                Some(Literal::Number(number))
            }
            "bool" => match text.as_str() {
                "true" => Some(Literal::Bool(true)),
                "false" => Some(Literal::Bool(false)),
                _ => {
                    self.malformed(
                        key,
                        span,
                        format!("{text:?} is not a boolean"),
                        Some("write true or false".to_string()),
                    );
                    None
                }
            },
            "json" => match crate::json::parse(&text) {
                Ok(json) => Some(literal_from_json(&json)),
                Err(error) => {
                    self.malformed(
                        key,
                        span,
                        format!("{text:?} is not valid JSON: {}", error.message),
                        Some("write a JSON value, such as {\"a\": 1} or [1, 2]".to_string()),
                    );
                    None
                }
            },
            other => {
                self.unsupported(
                    key,
                    span,
                    format!("the value type {other:?} is not supported"),
                    "use one of: str, num, bool, json",
                );
                None
            }
        }
    }
}

/// Whether text holds `${NAME}` with a name of no white space, as
/// Node-RED's `/\${\S+}/` finds.
fn has_env_reference(text: &str) -> bool {
    text.match_indices("${").any(|(start, _)| {
        let after = &text[start + 2..];
        let name_len = after.find(char::is_whitespace).unwrap_or(after.len());
        after[..name_len]
            .get(1..)
            .is_some_and(|rest| rest.contains('}'))
    })
}

pub fn literal_from_json(json: &Json) -> Literal {
    match &json.value {
        JsonValue::Null => Literal::Null,
        JsonValue::Bool(b) => Literal::Bool(*b),
        JsonValue::Number(n) => Literal::Number(*n),
        JsonValue::String(s) => Literal::String(s.clone()),
        JsonValue::Array(items) => Literal::Array(items.iter().map(literal_from_json).collect()),
        JsonValue::Object(members) => {
            // JSON.parse keeps the last of repeated keys, in the place of the first.
            let mut props: Vec<(String, Literal)> = Vec::new();
            for member in members {
                let value = literal_from_json(&member.value);
                match props.iter_mut().find(|(key, _)| *key == member.key) {
                    Some((_, slot)) => *slot = value,
                    None => props.push((member.key.clone(), value)),
                }
            }
            Literal::Object(props)
        }
    }
}

/// A value as a diagnostic quotes it: text and numbers as they are, the
/// kind of anything larger.
pub fn shown(value: &Json) -> String {
    match &value.value {
        JsonValue::String(text) => format!("{text:?}"),
        JsonValue::Number(number) => js_number_text(*number),
        JsonValue::Bool(b) => b.to_string(),
        _ => value.kind_name().to_string(),
    }
}

/// A number as JavaScript's `String(n)` writes it.
pub fn js_number_text(n: f64) -> String {
    ryu_js::Buffer::new().format(n).to_string()
}

/// The nearest of `candidates` to `name`, if one is near enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}
