//! Reading a flow file: the top-level forms Node-RED produces, the objects in
//! it, their ids, what is disabled, and `${ENV}` substitution. What comes out
//! is still untyped; `lower` turns it into the IR.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic, NodeRef, SourceFile};
use crate::json::{self, Json, JsonValue, Span};

/// Looks up an environment variable (the process environment, or a fixed map
/// in tests).
pub type Environment<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One object of the flow file, with a string `id` and `type`.
#[derive(Clone, Debug)]
pub struct RawNode {
    pub id: String,
    pub type_name: String,
    /// The whole object, with `${ENV}` references substituted.
    pub json: Json,
    /// The tab or subflow the node is on (`z`).
    pub z: Option<String>,
    /// The group the node is in (`g`).
    pub g: Option<String>,
    /// `d: true` on the node.
    pub disabled: bool,
    /// For a copy made for a subflow instance, the id of the node in the
    /// subflow it was copied from (Node-RED's `_alias`).
    pub alias: Option<String>,
}

impl RawNode {
    pub fn name(&self) -> &str {
        self.json.get("name").and_then(Json::as_str).unwrap_or("")
    }

    /// Whether Node-RED's `node.name` is defined for this node, so that the
    /// source of its errors, statuses and completions has a `name`: its
    /// `name` is not empty (`Node.js`: `if (n.name)`), or its type's
    /// constructor copies `name` as the flow gives it, empty too
    /// (`this.name = n.name` in debug, delay, function, template, tcp out).
    pub fn name_defined(&self) -> bool {
        !self.name().is_empty()
            || (self.copies_name() && self.json.get("name").and_then(Json::as_str).is_some())
    }

    /// Whether the node's type copies `name` as the flow gives it
    /// (`this.name = n.name`), whatever it is, rather than only when it is
    /// truthy as `Node.js` does.
    pub fn copies_name(&self) -> bool {
        const COPY_NAME: &[&str] = &["debug", "delay", "function", "template", "tcp out"];
        COPY_NAME.contains(&self.type_name.as_str())
    }

    pub fn node_ref(&self) -> NodeRef {
        NodeRef {
            id: self.id.clone(),
            name: self.name().to_string(),
            type_name: self.type_name.clone(),
        }
    }

    pub fn span(&self) -> Span {
        self.json.span
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.json.get(key)
    }

    /// Where a property's value stands, or the node itself when it has none.
    pub fn value_span(&self, key: &str) -> Span {
        self.get(key).map_or(self.span(), |value| value.span)
    }

    /// An error about this node, pointing at one of its properties (or at
    /// the whole node when the property is absent).
    pub fn error(
        &self,
        code: Code,
        property: &str,
        message: impl Into<String>,
        label: &str,
    ) -> Diagnostic {
        Diagnostic::error(code, message)
            .node(self.node_ref())
            .property(property)
            .label(self.value_span(property), label)
    }
}

/// The objects of a flow file in file order, found by id.
#[derive(Debug, Default)]
pub struct RawFlow {
    pub nodes: Vec<RawNode>,
    by_id: HashMap<String, usize>,
}

impl RawFlow {
    pub fn find(&self, id: &str) -> Option<&RawNode> {
        self.by_id.get(id).and_then(|index| self.nodes.get(*index))
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Whether a node takes part in the running flow: not disabled itself,
    /// not on a disabled tab.
    pub fn is_enabled(&self, node: &RawNode) -> bool {
        if node.disabled {
            return false;
        }
        match node.z.as_deref().and_then(|z| self.find(z)) {
            Some(tab) if tab.type_name == "tab" => {
                !tab.get("disabled").is_some_and(Json::is_truthy)
            }
            _ => true,
        }
    }

    /// The groups that hold a node, innermost first.
    pub fn groups_of<'a>(&'a self, node: &'a RawNode) -> impl Iterator<Item = &'a RawNode> + 'a {
        let mut next = node.g.as_deref();
        let mut seen = 0;
        std::iter::from_fn(move || {
            // A group chain that loops back on itself is bounded by the
            // number of objects in the file.
            seen += 1;
            if seen > self.nodes.len() {
                return None;
            }
            let group = self
                .find(next?)
                .filter(|group| group.type_name == "group")?;
            next = group.g.as_deref();
            Some(group)
        })
    }

    /// Adds a node made by psosc (a copy of a subflow's node); returns its
    /// index.
    pub fn push(&mut self, node: RawNode) -> usize {
        let index = self.nodes.len();
        self.by_id.insert(node.id.clone(), index);
        self.nodes.push(node);
        index
    }

    /// The subflow instance a copied node was made for.
    pub fn instance_of(&self, node: &RawNode) -> Option<&RawNode> {
        node.z
            .as_deref()
            .and_then(|z| self.find(z))
            .filter(|parent| crate::subflow::is_instance(&parent.type_name))
    }

    /// Node-RED's `_path` of a node (its `NR_NODE_PATH`): the path of the
    /// flow it runs in, then its id in the flow file (`_alias` for a copy).
    /// A tab's path is its id; a subflow instance's flow's path is the
    /// instance's own path: `tab/instance/node`, deeper for instances
    /// inside instances.
    pub fn node_path(&self, node: &RawNode) -> String {
        let mut path = Vec::new();
        let mut current = node;
        // Instances inside instances are bounded by the number of objects.
        for _ in 0..=self.nodes.len() {
            path.push(current.alias.as_deref().unwrap_or(&current.id));
            match self.instance_of(current) {
                Some(instance) => current = instance,
                None => {
                    path.extend(current.z.as_deref());
                    break;
                }
            }
        }
        path.reverse();
        path.join("/")
    }

    /// The objects whose `env` lists a node sees, innermost first, each
    /// with the level it belongs to: the node's groups; then, for a node
    /// copied from a subflow, the instance and the subflow (one level: the
    /// instance's entries override the subflow's) followed by the
    /// instance's own scopes; else its tab.
    pub fn scopes<'a>(&'a self, node: &'a RawNode) -> Vec<(&'a RawNode, usize)> {
        let mut scopes = Vec::new();
        let mut level = 0;
        let mut current = node;
        // Instances inside instances are bounded by the number of objects.
        for _ in 0..=self.nodes.len() {
            for group in self.groups_of(current) {
                scopes.push((group, level));
                level += 1;
            }
            let Some(instance) = self.instance_of(current) else {
                let tab = current.z.as_deref().and_then(|z| self.find(z));
                scopes.extend(tab.map(|tab| (tab, level)));
                break;
            };
            scopes.push((instance, level));
            let subflow = instance
                .type_name
                .strip_prefix("subflow:")
                .and_then(|id| self.find(id));
            scopes.extend(subflow.map(|subflow| (subflow, level)));
            level += 1;
            current = instance;
        }
        scopes
    }

    /// Node-RED's `env` lookup for a node: its scopes (see [`Self::scopes`]),
    /// the flow's `global-config` node, then the process environment.
    pub fn env_var(
        &self,
        node: &RawNode,
        name: &str,
        environment: Environment<'_>,
    ) -> Option<String> {
        let tab = node.z.as_deref().and_then(|z| self.find(z));
        if let Some(value) = self.built_in_env_var(node, tab, name) {
            return value;
        }
        let mut scopes = self.scopes(node);
        let global = self
            .nodes
            .iter()
            .find(|node| node.type_name == "global-config");
        let global_level = scopes.last().map_or(0, |(_, level)| level + 1);
        scopes.extend(global.map(|global| (global, global_level)));
        lookup(self, &scopes, 0, name, environment, 0)
    }

    /// The variables Node-RED sets itself: `NR_NODE_NAME`, `NR_NODE_ID` and
    /// `NR_NODE_PATH` of the node, `NR_GROUP_NAME` and `NR_GROUP_ID` of its
    /// innermost group, `NR_FLOW_NAME` and `NR_FLOW_ID` of its tab. `None`
    /// for any other name; `Some(None)` where Node-RED's value is
    /// `undefined` (a node without a name).
    fn built_in_env_var(
        &self,
        node: &RawNode,
        tab: Option<&RawNode>,
        name: &str,
    ) -> Option<Option<String>> {
        let text =
            |scope: &RawNode, key: &str| scope.get(key).and_then(Json::as_str).map(str::to_string);
        match name {
            "NR_NODE_NAME" => Some(text(node, "name")),
            "NR_NODE_ID" => Some(Some(node.id.clone())),
            "NR_NODE_PATH" => Some(Some(self.node_path(node))),
            "NR_GROUP_NAME" | "NR_GROUP_ID" => {
                let group = self.groups_of(node).next()?;
                Some(if name == "NR_GROUP_ID" {
                    Some(group.id.clone())
                } else {
                    text(group, "name")
                })
            }
            "NR_FLOW_NAME" | "NR_FLOW_ID" => {
                let tab = tab?;
                Some(if name == "NR_FLOW_ID" {
                    Some(tab.id.clone())
                } else {
                    text(tab, "label")
                })
            }
            _ => None,
        }
    }
}

/// How many `env` entries of type `env` a lookup follows before giving up
/// on a chain that names itself in a circle.
const MAX_ENV_INDIRECTION: usize = 16;

/// Looks a variable up in `scopes` from the first scope of `level` on, as
/// Node-RED evaluates `env` entries: an entry of type `env` names another
/// variable, looked up from its own level, or, when it names itself, from
/// the level above.
fn lookup(
    flow: &RawFlow,
    scopes: &[(&RawNode, usize)],
    level: usize,
    name: &str,
    environment: Environment<'_>,
    depth: usize,
) -> Option<String> {
    if depth > MAX_ENV_INDIRECTION {
        return None;
    }
    for (scope, scope_level) in scopes.iter().filter(|(_, l)| *l >= level) {
        if crate::subflow::is_instance(&scope.type_name) {
            // Node-RED answers these for the instance itself.
            match name {
                "NR_SUBFLOW_NAME" => {
                    return Some(scope.name().to_string()).filter(|n| !n.is_empty())
                }
                "NR_SUBFLOW_ID" => return Some(scope.id.clone()),
                "NR_SUBFLOW_PATH" => return Some(flow.node_path(scope)),
                _ => {}
            }
            // `$parent.NAME` passes over the subflow's own variables.
            if let Some(parent_name) = name.strip_prefix("$parent.") {
                return lookup(
                    flow,
                    scopes,
                    scope_level + 1,
                    parent_name,
                    environment,
                    depth + 1,
                );
            }
        }
        let Some((kind, text)) = env_entry(scope, name) else {
            continue;
        };
        return match kind {
            "env" if text == name => {
                lookup(flow, scopes, scope_level + 1, name, environment, depth + 1)
            }
            "env" => lookup(flow, scopes, *scope_level, &text, environment, depth + 1),
            _ => Some(text),
        };
    }
    environment(name)
}

/// The last entry of a scope's `env` list that sets `name`: its type and
/// its value as text (`num` as JavaScript prints the number, `bool` as
/// `true` or `false`, `json` as it is written).
fn env_entry<'a>(scope: &'a RawNode, name: &str) -> Option<(&'a str, String)> {
    let entries = scope.get("env")?.as_array()?;
    let entry = entries
        .iter()
        .rev()
        .find(|entry| entry.get("name").and_then(Json::as_str) == Some(name))?;
    let value = entry.get("value")?;
    let kind = entry.get("type").and_then(Json::as_str).unwrap_or("str");
    let text = match &value.value {
        JsonValue::String(s) => s.clone(),
        JsonValue::Number(n) => crate::nodes::js_number_text(*n),
        JsonValue::Bool(b) => b.to_string(),
        _ => return None,
    };
    let text = match kind {
        "num" => crate::nodes::js_number_text(psos::number_from_str(&text)),
        "bool" => (text == "true").to_string(),
        _ => text,
    };
    Some((kind, text))
}

/// A variable set in one scope's `env` list; an entry of type `env` names
/// a variable of the process environment.
pub fn scope_env(scope: &RawNode, name: &str, environment: Environment<'_>) -> Option<String> {
    match env_entry(scope, name)? {
        ("env", text) => environment(&text),
        (_, text) => Some(text),
    }
}

/// Reads the flow file into its objects. Returns `None` only when the file is
/// not a flow at all; problems with single objects become diagnostics and the
/// rest of the file is still read.
pub fn read(
    source: &SourceFile,
    environment: Environment<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RawFlow> {
    let document = match json::parse(&source.text) {
        Ok(document) => document,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    Code::MalformedJson,
                    format!("the file is not valid JSON: {}", error.message),
                )
                .label(error.span, "the JSON breaks here")
                .help("a flow file is what Node-RED exports: Menu → Export → Download"),
            );
            return None;
        }
    };
    let items = match top_level_items(&document) {
        Some(items) => items,
        None => {
            diagnostics.push(
                Diagnostic::error(
                    Code::NotAFlow,
                    format!("the file holds {}, not a flow", document.kind_name()),
                )
                .label(document.span, "expected a flow here")
                .help("a flow is a JSON array of node objects, or {\"flows\": [...], \"rev\": \"...\"}"),
            );
            return None;
        }
    };

    let mut flow = RawFlow::default();
    let mut first_span: HashMap<String, Span> = HashMap::new();
    for item in items {
        let Some(node) = raw_node(item, diagnostics) else {
            continue;
        };
        if let Some(first) = first_span.get(&node.id) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateId,
                    format!("the id {:?} is used twice", node.id),
                )
                .node(node.node_ref())
                .property("id")
                .label(node.value_span("id"), "second use")
                .label(*first, "first use")
                .help(
                    "every object in a flow needs its own id; Node-RED gives fresh ids on import",
                ),
            );
            continue;
        }
        first_span.insert(node.id.clone(), node.value_span("id"));
        flow.by_id.insert(node.id.clone(), flow.nodes.len());
        flow.nodes.push(node);
    }
    crate::subflow::expand(&mut flow, diagnostics);
    substitute_environment(&mut flow, environment, diagnostics);
    Some(flow)
}

fn top_level_items(document: &Json) -> Option<&[Json]> {
    match &document.value {
        JsonValue::Array(items) => Some(items),
        JsonValue::Object(_) => document.get("flows")?.as_array(),
        _ => None,
    }
}

fn raw_node(item: &Json, diagnostics: &mut Vec<Diagnostic>) -> Option<RawNode> {
    if !matches!(item.value, JsonValue::Object(_)) {
        diagnostics.push(
            Diagnostic::error(
                Code::NotAnObject,
                format!("a flow holds node objects, not {}", item.kind_name()),
            )
            .label(item.span, "not a node")
            .help("each element of the flow array is an object with at least \"id\" and \"type\""),
        );
        return None;
    }
    let id = item.get("id").and_then(Json::as_str);
    let type_name = item.get("type").and_then(Json::as_str);
    let (Some(id), Some(type_name)) = (id, type_name) else {
        let missing = if id.is_none() { "id" } else { "type" };
        let span = item.get(missing).map_or(item.span, |value| value.span);
        diagnostics.push(
            Diagnostic::error(
                Code::MissingId,
                format!("this object has no string `{missing}`"),
            )
            .property(missing)
            .label(span, format!("`{missing}` must be a string"))
            .help("each node object needs a string \"id\" and a string \"type\""),
        );
        return None;
    };
    let string_member = |key: &str| item.get(key).and_then(Json::as_str).map(str::to_string);
    Some(RawNode {
        id: id.to_string(),
        type_name: type_name.to_string(),
        z: string_member("z"),
        g: string_member("g"),
        disabled: item.get("d").is_some_and(Json::is_truthy),
        json: item.clone(),
        alias: None,
    })
}

/// Replaces every string property of a node that is exactly `${NAME}` (or the
/// older `$(NAME)`) with the variable's value, as Node-RED does when it
/// starts a flow. A variable that is not set leaves the string as it is.
fn substitute_environment(
    flow: &mut RawFlow,
    environment: Environment<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut replacements = Vec::new();
    for (index, node) in flow.nodes.iter().enumerate() {
        if matches!(node.type_name.as_str(), "tab" | "group" | "subflow") {
            continue;
        }
        // A subflow's own nodes are templates: their copies, which see the
        // instance's `env`, are substituted instead.
        let in_definition = node
            .z
            .as_deref()
            .and_then(|z| flow.find(z))
            .is_some_and(|parent| parent.type_name == "subflow");
        if in_definition {
            continue;
        }
        let mut found = Vec::new();
        collect_env_references(&node.json, &mut found);
        for (span, name) in found {
            match flow.env_var(node, &name, environment) {
                Some(value) if !value.is_empty() => replacements.push((index, span, value)),
                _ => diagnostics.push(
                    Diagnostic::warning(
                        Code::UnsetEnvironmentVariable,
                        format!("the environment variable {name:?} is not set; the text stays as it is"),
                    )
                    .node(node.node_ref())
                    .label(span, "refers to it")
                    .help("set it in the environment of psosc, or in the `env` of the node's tab, group or subflow"),
                ),
            }
        }
    }
    for (index, span, value) in replacements {
        if let Some(node) = flow.nodes.get_mut(index) {
            replace_string_at(&mut node.json, span, &value);
        }
    }
}

fn env_reference(text: &str) -> Option<&str> {
    let name = text
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .or_else(|| {
            text.strip_prefix("$(")
                .and_then(|rest| rest.strip_suffix(')'))
        })?;
    (!name.is_empty() && !name.chars().any(char::is_whitespace)).then_some(name)
}

fn collect_env_references(json: &Json, found: &mut Vec<(Span, String)>) {
    match &json.value {
        JsonValue::String(text) => {
            if let Some(name) = env_reference(text) {
                found.push((json.span, name.to_string()));
            }
        }
        JsonValue::Array(items) => items
            .iter()
            .for_each(|item| collect_env_references(item, found)),
        JsonValue::Object(members) => members
            .iter()
            .filter(|member| !matches!(member.key.as_str(), "id" | "type" | "z" | "g" | "wires"))
            .for_each(|member| collect_env_references(&member.value, found)),
        _ => {}
    }
}

fn replace_string_at(json: &mut Json, span: Span, value: &str) {
    if json.span == span {
        if let JsonValue::String(text) = &mut json.value {
            *text = value.to_string();
            return;
        }
    }
    match &mut json.value {
        JsonValue::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_string_at(item, span, value)),
        JsonValue::Object(members) => members
            .iter_mut()
            .for_each(|member| replace_string_at(&mut member.value, span, value)),
        _ => {}
    }
}
