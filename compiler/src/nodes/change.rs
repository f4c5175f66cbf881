//! `change`: its rules, read as Node-RED's `15-change.js` reads them
//! (the form before rules, `action`/`property`/`from`/`to`/`reg`, too),
//! with each value that does not depend on the message fixed now: numbers,
//! JSON, buffers, `env` variables, and `re` patterns compiled to DFAs.

use super::value::Date;
use super::Reader;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    ChangePattern, ChangeRule, ChangeValue, Flow, Literal, NodeKind, Property, Store, TextKind,
};
use crate::json::{Json, JsonValue, Span};

const RULES_EXAMPLE: &str =
    "[{\"t\": \"set\", \"p\": \"payload\", \"to\": \"on\", \"tot\": \"str\"}]";

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    // Without `rules`, Node-RED makes one rule of the node's own `action`,
    // `property`, `from`, `to` and `reg`.
    if reader.get("rules").is_none() {
        let node = reader.node;
        // A rule without an action does nothing in Node-RED.
        if node
            .get("action")
            .and_then(Json::as_str)
            .unwrap_or("")
            .is_empty()
        {
            return Some(NodeKind::Change(crate::ir::Change { rules: Vec::new() }));
        }
        let legacy = Legacy {
            action: node.get("action").and_then(Json::as_str).unwrap_or(""),
            property: node.get("property"),
            from: node.get("from"),
            to: node.get("to"),
            regex: node.get("reg").is_some_and(|reg| match &reg.value {
                JsonValue::Null => true,
                other => truthy(other),
            }),
            span: node.value_span("action"),
        };
        return legacy
            .rule(reader)
            .map(|rule| NodeKind::Change(crate::ir::Change { rules: vec![rule] }));
    }
    let items = reader.required_array("rules", RULES_EXAMPLE)?;
    let mut rules = Vec::new();
    let mut ok = true;
    for (index, item) in items.iter().enumerate() {
        let fields = Fields {
            action: item.get("t").and_then(Json::as_str).unwrap_or(""),
            property: item.get("p"),
            property_type: item.get("pt"),
            from: item.get("from"),
            from_type: item.get("fromt"),
            to: item.get("to"),
            to_type: item.get("tot"),
            regex: item.get("re").is_some_and(|re| truthy(&re.value)),
            index,
            span: item.span,
            action_span: item.get("t").map_or(item.span, |t| t.span),
        };
        match fields.rule(reader) {
            Some(rule) => rules.push(rule),
            None => ok = false,
        }
    }
    ok.then_some(NodeKind::Change(crate::ir::Change { rules }))
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: &JsonValue) -> bool {
    match value {
        JsonValue::Null => false,
        JsonValue::Bool(b) => *b,
        JsonValue::Number(n) => *n != 0.0 && !n.is_nan(),
        JsonValue::String(s) => !s.is_empty(),
        JsonValue::Array(_) | JsonValue::Object(_) => true,
    }
}

/// A node's one rule in the form before rules.
struct Legacy<'a> {
    action: &'a str,
    property: Option<&'a Json>,
    from: Option<&'a Json>,
    to: Option<&'a Json>,
    regex: bool,
    span: Span,
}

impl Legacy<'_> {
    fn rule(&self, reader: &mut Reader<'_, '_>) -> Option<ChangeRule> {
        let action = if self.action == "replace" {
            "set"
        } else {
            self.action
        };
        let fields = Fields {
            action,
            property: self.property,
            property_type: None,
            from: self.from,
            from_type: None,
            to: self.to,
            to_type: None,
            regex: action == "change" && self.regex,
            index: 0,
            span: self.span,
            action_span: self.span,
        };
        fields.rule(reader)
    }
}

/// One rule's fields as the flow writes them.
struct Fields<'a> {
    action: &'a str,
    property: Option<&'a Json>,
    property_type: Option<&'a Json>,
    from: Option<&'a Json>,
    from_type: Option<&'a Json>,
    to: Option<&'a Json>,
    to_type: Option<&'a Json>,
    /// The old `re` flag: `from` is a regular expression.
    regex: bool,
    /// Where the rule is in the node's list, from 0.
    index: usize,
    span: Span,
    action_span: Span,
}

/// A field as text, as Node-RED's string operations see it.
fn text(value: Option<&Json>) -> String {
    match value.map(|value| &value.value) {
        Some(JsonValue::String(text)) => text.clone(),
        Some(JsonValue::Number(n)) => super::js_number_text(*n),
        Some(JsonValue::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

impl Fields<'_> {
    fn rule(&self, reader: &mut Reader<'_, '_>) -> Option<ChangeRule> {
        let Some(name) = self.property.and_then(Json::as_str) else {
            reader.malformed(
                "rules",
                self.span,
                "each rule needs the property it changes, `p`".to_string(),
                Some("write {\"t\": \"set\", \"p\": \"payload\", ...}".to_string()),
            );
            return None;
        };
        let property_span = self.property.map_or(self.span, |p| p.span);
        let scope_word = self.property_type.and_then(Json::as_str).unwrap_or("msg");
        let scope_word = if scope_word.is_empty() {
            "msg"
        } else {
            scope_word
        };
        let target = property(reader, "rules", scope_word, name, property_span);
        let mut to = text(self.to);
        let mut to_type = self
            .to_type
            .and_then(Json::as_str)
            .filter(|word| !word.is_empty());
        // Node-RED's migration: a `set` without a type whose value starts
        // with `msg.` copies that message property.
        if self.action == "set" && to_type.is_none() {
            if let Some(rest) = to.strip_prefix("msg.") {
                to = rest.to_string();
                to_type = Some("msg");
            }
        }
        let to_type = to_type.unwrap_or("str");
        let to_span = self.to.map_or(self.span, |to| to.span);
        match self.action {
            "set" => {
                let value = value(reader, self.to, &to, to_type, to_span);
                Some(ChangeRule::Set {
                    target: target?,
                    value: value?,
                })
            }
            "change" => {
                let value = value(reader, self.to, &to, to_type, to_span);
                let from = self.pattern(reader, value.as_ref());
                Some(ChangeRule::Change {
                    target: target?,
                    from: from?,
                    value: value?,
                })
            }
            "delete" => Some(ChangeRule::Delete { target: target? }),
            "move" => {
                let to_property = property(reader, "rules", to_type, &to, to_span);
                let (from, to_property) = (target?, to_property?);
                // Node-RED's test, on the texts as written.
                let set_first = scope_word != to_type || (name.contains(to.as_str()) && name != to);
                Some(ChangeRule::Move {
                    from,
                    to: to_property,
                    set_first,
                })
            }
            other => {
                reader.unsupported(
                    "rules",
                    self.action_span,
                    format!("{other:?} is not a change rule Node-RED knows"),
                    "use \"set\", \"change\", \"delete\" or \"move\"",
                );
                None
            }
        }
    }

    /// What a `change` rule looks for (`from`, `fromt`).
    fn pattern(
        &self,
        reader: &mut Reader<'_, '_>,
        value: Option<&ChangeValue>,
    ) -> Option<ChangePattern> {
        let from = text(self.from);
        let span = self.from.map_or(self.span, |from| from.span);
        let from_type = if self.regex {
            "re"
        } else {
            self.from_type
                .and_then(Json::as_str)
                .filter(|word| !word.is_empty())
                .unwrap_or("str")
        };
        let kind = match from_type {
            "str" => TextKind::Str,
            "num" => TextKind::Num,
            "bool" => TextKind::Bool,
            "re" => {
                let mut finder = match crate::regex::compile_finder(&from) {
                    Ok(finder) => finder,
                    Err(problem) => {
                        reader.unsupported("rules", span, problem.message, problem.help);
                        return None;
                    }
                };
                let names_a_group = value.is_some_and(|value| names_group(value, &finder));
                // Change nodes pass JavaScript's `g` flag only. The groups
                // program is kept when the replacement names a group, and
                // when the pattern repeats what may match nothing, where
                // JavaScript's matches end elsewhere than the DFA's.
                match crate::regex::compile_captures(&from, false) {
                    Ok(captures) if names_a_group || captures.empty_iterations => {
                        finder.captures = Some(captures);
                    }
                    Ok(_) => {}
                    Err(problem) if names_a_group => {
                        reader.unsupported(
                            "rules",
                            span,
                            format!("rule {}: {}", self.index + 1, problem.message),
                            problem.help,
                        );
                        return None;
                    }
                    // Too large: the DFA's matches, as docs/conformance.md
                    // says.
                    Err(_) => {}
                }
                return Some(ChangePattern::Regex(finder));
            }
            "msg" | "flow" | "global" => {
                return property(reader, "rules", from_type, &from, span)
                    .map(ChangePattern::Property);
            }
            other => {
                reader.unsupported(
                    "rules",
                    self.from_type.map_or(span, |t| t.span),
                    format!("a `from` of type {other:?} is not supported"),
                    "use str, num, bool, re, msg, flow or global",
                );
                return None;
            }
        };
        Some(ChangePattern::Text { text: from, kind })
    }
}

/// Whether the replacement may name one of the pattern's groups (`$1`,
/// `$<name>`): a text that does, or a value read when the message comes.
/// Only then does the device get the program that finds them.
fn names_group(value: &ChangeValue, finder: &crate::regex::Finder) -> bool {
    if finder.groups == 0 {
        return false;
    }
    let replacement = match value {
        ChangeValue::Literal(Literal::String(text)) => text,
        // An array's text is its items' (`String(["$1"])` is `$1`), a
        // buffer's its UTF-8.
        ChangeValue::Literal(Literal::Array(_))
        | ChangeValue::Bytes(_)
        | ChangeValue::Property(_) => return true,
        _ => return false,
    };
    let found = psos::nodes::Match {
        matched: "",
        before: "",
        after: "",
        groups: None,
    };
    let mut sink = String::new();
    psos::nodes::substitute(replacement, &found, finder.groups, finder.named, &mut sink)
        == Err(psos::nodes::ReplaceError::Group)
}

/// A property in a scope (`pt`, `tot`, `fromt` of msg, flow or global;
/// an inject's `vt` of flow or global), reported under `key`.
pub(super) fn property(
    reader: &mut Reader<'_, '_>,
    key: &str,
    scope_word: &str,
    expression: &str,
    span: Span,
) -> Option<Property> {
    let scope = match scope_word {
        "msg" => {
            let path = reader.msg_property(key, expression, None, span)?;
            return Some(Property {
                scope: Store::Msg,
                path,
            });
        }
        "flow" => Store::Flow(reader.node.z.clone().unwrap_or_default()),
        "global" => Store::Global,
        other => {
            reader.unsupported(
                key,
                span,
                format!("{other:?} is not where a property lives: Node-RED would never send the message on"),
                "say msg, flow or global (`pt`, or `tot` for a move's target)",
            );
            return None;
        }
    };
    // `#:(store)::key` names a context store.
    let (scope, name) = match context_store(expression) {
        Some((store, key_name)) => (named_store(reader, key, span, scope, store), key_name),
        None => (scope, expression),
    };
    match super::path::parse(name) {
        Ok(path) if !path.is_empty() && path.len() <= psos::encoding::MAX_DEPTH => {
            Some(Property { scope, path })
        }
        Ok(_) => {
            reader.malformed(
                key,
                span,
                format!("the {scope_word} key {name:?} is empty or too deep"),
                Some(format!(
                    "write a key such as count or lookup.a, at most {} levels deep",
                    psos::encoding::MAX_DEPTH
                )),
            );
            None
        }
        Err(problem) => {
            reader.malformed(
                key,
                span,
                format!("the {scope_word} key {name:?} cannot be read: {problem}"),
                Some("write a key such as count, lookup.a or rooms[\"b c\"][0]; a key chosen by the message (lookup[msg.topic]) does not run on a device".to_string()),
            );
            None
        }
    }
}

/// Node-RED's `parseContextStore`: `#:(store)::key`, as its
/// `/^#:\((\S+?)\)::(.*)$/` matches it (a name without spaces, up to the
/// first `)::`, and a key of one line).
fn context_store(expression: &str) -> Option<(&str, &str)> {
    let rest = expression.strip_prefix("#:(")?;
    let (store, key) = rest.split_once(")::")?;
    let one_word = !store.is_empty() && !store.chars().any(char::is_whitespace);
    let one_line = !key.contains(['\n', '\r', '\u{2028}', '\u{2029}']);
    (one_word && one_line).then_some((store, key))
}

/// The names of a device's default store of each scope: Node-RED's
/// `default` and `_`, and `memory`, the name Node-RED gives its store when
/// its settings configure none and the usual name of the first store they
/// configure, which it then makes the default.
const DEFAULT_STORE_NAMES: [&str; 3] = ["default", "_", "memory"];

/// The store of `scope` that `#:(name)::key` picks, as Node-RED resolves the
/// name when its `contextStorage` settings configure each name the flow
/// uses (a device makes each an in-memory store of its own, one per tab for
/// flow context and one for the device's global context). A name Node-RED's
/// settings cannot configure (not letters, digits and `_`) is the default
/// store, as Node-RED falls back to it, with a warning.
fn named_store(
    reader: &mut Reader<'_, '_>,
    key: &str,
    span: Span,
    scope: Store,
    name: &str,
) -> Store {
    if DEFAULT_STORE_NAMES.contains(&name) {
        return scope;
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        reader.diagnostics.push(
            Diagnostic::warning(
                Code::ContextStore,
                format!("{name:?} is not a name Node-RED's settings can give a context store; the device uses its default store, as Node-RED falls back to it"),
            )
            .node(reader.node.node_ref())
            .property(key)
            .label(span, "this store")
            .help("name a store with letters, digits and _ only (such as memory1), or drop the store name for the default store"),
        );
        return scope;
    }
    let Some(number) = reader.store_number(name) else {
        reader.unsupported(
            key,
            span,
            format!(
                "the store {name:?} is one name too many: a flow names at most {} stores",
                u16::MAX
            ),
            "name fewer context stores",
        );
        return scope;
    };
    let store = crate::ir::StoreName {
        name: name.to_string(),
        number,
    };
    match scope {
        Store::Flow(tab) => Store::FlowStore(tab, store),
        Store::Global => Store::GlobalStore(store),
        other => other,
    }
}

/// The value a rule sets (`to`, `tot`).
fn value(
    reader: &mut Reader<'_, '_>,
    raw: Option<&Json>,
    to: &str,
    to_type: &str,
    span: Span,
) -> Option<ChangeValue> {
    match to_type {
        "str" | "num" | "bool" => {
            let text = Json {
                value: JsonValue::String(to.to_string()),
                span,
            };
            reader
                .literal("rules", Some(&text), to_type, span)
                .map(ChangeValue::Literal)
        }
        "json" => reader
            .literal("rules", raw, "json", span)
            .map(ChangeValue::Literal),
        "bin" => super::value::bytes(reader, "rules", raw, span).map(ChangeValue::Bytes),
        "date" => super::value::date(reader, "rules", raw, span).map(|date| match date {
            Date::Milliseconds => ChangeValue::Timestamp,
            Date::Iso => ChangeValue::IsoDate,
        }),
        // Node-RED's `evaluateEnvProperty`, as inject reads it: `NAME`,
        // `${NAME}` or text with `${NAME}` inside; what is not set is
        // empty text.
        "env" => Some(ChangeValue::Literal(Literal::String(
            reader.env_text("rules", to, span),
        ))),
        "msg" | "flow" | "global" => {
            property(reader, "rules", to_type, to, span).map(ChangeValue::Property)
        }
        "jsonata" => {
            reader.refuse_jsonata(
                "rules",
                span,
                to,
                "compute the value with change rules (set, change, move from msg, flow or global), a switch, a range or template node, or a custom node in Rust",
            );
            None
        }
        other => {
            reader.unsupported(
                "rules",
                span,
                format!("the value type {other:?} is not supported"),
                "use one of: str, num, bool, json, bin, date, env, msg, flow, global",
            );
            None
        }
    }
}

/// Warns of a flow or global key written by a change node on one device
/// (or a template's result) and used by a change, inject, switch, trigger
/// or template node on another: each device has its own
/// stores, so the reader never sees what the writer wrote.
pub fn check_context_across_devices(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    // (scope, first key) → the devices that write it.
    let mut writers: Vec<(&Store, &crate::ir::PathSegment, usize, &str)> = Vec::new();
    for node in &flow.nodes {
        let written: Vec<&crate::ir::Property> = match &node.kind {
            NodeKind::Change(change) => change.rules.iter().flat_map(ChangeRule::written).collect(),
            NodeKind::Template(template) => vec![&template.field],
            _ => continue,
        };
        {
            for property in written {
                let first = property.path.first();
                if let Some(first) = first.filter(|_| property.scope != Store::Msg) {
                    writers.push((&property.scope, first, node.device, &node.id));
                }
            }
        }
    }
    let mut warned = Vec::new();
    for node in &flow.nodes {
        let used: Vec<&crate::ir::Property> = match &node.kind {
            NodeKind::Change(change) => change
                .rules
                .iter()
                .flat_map(ChangeRule::properties)
                .collect(),
            NodeKind::Inject(inject) => inject
                .props
                .iter()
                .filter_map(|prop| match &prop.value {
                    crate::ir::InjectValue::Context(property) => Some(property),
                    _ => None,
                })
                .collect(),
            NodeKind::Switch(switch) => switch.context_read(),
            NodeKind::Trigger(trigger) => trigger.context_read(),
            NodeKind::Template(template) => template.context_read(),
            _ => continue,
        };
        {
            for property in used {
                let Some(first) = property.path.first() else {
                    continue;
                };
                let elsewhere = writers.iter().find(|(scope, key, device, _)| {
                    **scope == property.scope && *key == first && *device != node.device
                });
                let Some((_, _, device, writer)) = elsewhere else {
                    continue;
                };
                if warned.contains(&(node.id.as_str(), *writer)) {
                    continue;
                }
                warned.push((node.id.as_str(), *writer));
                let device_name = |index: usize| {
                    flow.devices
                        .get(index)
                        .map_or("?", |device| device.name.as_str())
                };
                let key = match first {
                    crate::ir::PathSegment::Key(key) => key.clone(),
                    crate::ir::PathSegment::Index(index) => index.to_string(),
                };
                let scope = if property.scope.is_global() {
                    "global"
                } else {
                    "flow"
                };
                diagnostics.push(
                    Diagnostic::warning(
                        Code::ContextAcrossDevices,
                        format!(
                            "the {scope} key {key:?} is written on device {:?} (node {writer}) and used here on device {:?}, which does not see it",
                            device_name(*device),
                            device_name(node.device),
                        ),
                    )
                    .node(crate::diagnostic::NodeRef {
                        id: node.id.clone(),
                        name: node.name.clone(),
                        type_name: node.type_name.clone(),
                    })
                    .property("rules")
                    .label(node.span, "this node")
                    .help("each device has its own flow and global context: pin both nodes to one device (`device`), or carry the value in the message"),
                );
            }
        }
    }
}
