//! Pins: the device a node must run on, from its own `device` property or
//! `PSOS_DEVICE` in the `env` of its groups (the innermost that sets it)
//! or its tab; and the problems with them, each reported once.

use std::collections::BTreeSet;

use crate::diagnostic::{Code, Diagnostic};
use crate::flow::{Environment, RawFlow, RawNode};
use crate::ir::{Device, DeviceIndex, Placement, Scope};
use crate::json::{Json, JsonValue, Span};

/// The environment variable that pins the nodes of a tab or group.
pub const ENV_VARIABLE: &str = "PSOS_DEVICE";

/// A node's pin, or why it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pin {
    Pinned(DeviceIndex, Placement),
    Free,
    /// The pin names no device, which has been reported.
    Broken,
}

/// One place that names a device for a node.
struct Source<'a> {
    wanted: String,
    span: Span,
    /// The tab or group whose env names it; `None` for the node's property.
    scope: Option<&'a RawNode>,
}

/// Resolves pins, remembering which scopes were reported so that a bad
/// `PSOS_DEVICE` of a group is reported once, not once per node in it.
pub struct Pins<'a> {
    raw: &'a RawFlow,
    environment: Environment<'a>,
    devices: &'a [Device],
    reported_scopes: BTreeSet<String>,
}

impl<'a> Pins<'a> {
    pub fn new(raw: &'a RawFlow, environment: Environment<'a>, devices: &'a [Device]) -> Self {
        Pins {
            raw,
            environment,
            devices,
            reported_scopes: BTreeSet::new(),
        }
    }

    /// Where `node` is pinned. Problems go to `diagnostics`: a `device`
    /// that is not a name, a device that is not declared, and a node whose
    /// own `device` disagrees with its group's or tab's `PSOS_DEVICE`.
    pub fn pin(&mut self, node: &'a RawNode, diagnostics: &mut Vec<Diagnostic>) -> Pin {
        let property = self.property_source(node, diagnostics);
        let scope = self.scope_source(node);
        let property_device = property
            .as_ref()
            .map(|source| self.resolve(node, source, diagnostics));
        let scope_device = scope
            .as_ref()
            .map(|source| self.resolve(node, source, diagnostics));
        if let (Some(property), Some(Some(by_property)), Some(scope), Some(Some(by_scope))) =
            (&property, property_device, &scope, scope_device)
        {
            if by_property != by_scope {
                diagnostics.push(self.conflict(node, property, scope, by_property, by_scope));
                return Pin::Broken;
            }
        }
        match (property_device, scope_device) {
            (Some(Some(device)), _) => Pin::Pinned(device, Placement::PinnedByProperty),
            (Some(None), _) | (None, Some(None)) => Pin::Broken,
            (None, Some(Some(device))) => match scope.and_then(|source| source.scope) {
                Some(scope) => Pin::Pinned(device, Placement::PinnedByEnv(scope_of(scope))),
                None => Pin::Broken,
            },
            (None, None) => Pin::Free,
        }
    }

    /// The node's own `device`, when it names one.
    fn property_source(
        &self,
        node: &'a RawNode,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Source<'a>> {
        let value = node.get("device")?;
        match &value.value {
            JsonValue::String(name) if !name.is_empty() => Some(Source {
                wanted: name.clone(),
                span: value.span,
                scope: None,
            }),
            // The editor writes an empty string for "no device".
            JsonValue::String(_) | JsonValue::Null => None,
            _ => {
                diagnostics.push(
                    node.error(
                        Code::MalformedProperty,
                        "device",
                        format!("expected the name of a device, found {}", value.kind_name()),
                        "here",
                    )
                    .help(format!(
                        "write \"device\": \"NAME\" with one of: {}",
                        self.device_names()
                    )),
                );
                None
            }
        }
    }

    /// `PSOS_DEVICE` of the innermost scope that sets it: a group, a subflow
    /// instance or its subflow, the tab.
    fn scope_source(&self, node: &'a RawNode) -> Option<Source<'a>> {
        self.raw.scopes(node).into_iter().find_map(|(scope, _)| {
            let wanted = crate::flow::scope_env(scope, ENV_VARIABLE, self.environment)
                .filter(|name| !name.is_empty())?;
            Some(Source {
                wanted,
                span: env_entry_span(scope),
                scope: Some(scope),
            })
        })
    }

    /// The device a source names, or `None` after reporting that it names
    /// none.
    fn resolve(
        &mut self,
        node: &RawNode,
        source: &Source<'a>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<DeviceIndex> {
        let found = self.devices.iter().position(|device| {
            device.name == source.wanted || device.id.as_deref() == Some(source.wanted.as_str())
        });
        if found.is_some() || self.declared_but_refused(&source.wanted) {
            return found;
        }
        let names: Vec<&str> = self
            .devices
            .iter()
            .map(|device| device.name.as_str())
            .collect();
        let help = match crate::nodes::suggest(&source.wanted, names.iter().copied()) {
            Some(near) => format!(
                "Did you mean {near:?}? The devices are: {}",
                names.join(", ")
            ),
            None if names.is_empty() => "declare it with a psos-device config node".to_string(),
            None => format!(
                "the devices are: {}; or declare it with a psos-device config node",
                names.join(", ")
            ),
        };
        let diagnostic = match source.scope {
            None => Diagnostic::error(
                Code::UndeclaredDevice,
                format!(
                    "the node is pinned to {:?}, which is not a declared device",
                    source.wanted
                ),
            )
            .node(node.node_ref())
            .property("device")
            .label(source.span, "pinned here"),
            Some(scope) => {
                if !self.reported_scopes.insert(scope.id.clone()) {
                    return None;
                }
                Diagnostic::error(
                    Code::UndeclaredDevice,
                    format!(
                        "{ENV_VARIABLE} pins the {}'s nodes to {:?}, which is not a declared device",
                        scope.type_name, source.wanted
                    ),
                )
                .node(scope.node_ref())
                .property("env")
                .label(source.span, "pinned here")
            }
        };
        diagnostics.push(diagnostic.help(help));
        None
    }

    /// A `psos-device` with this name or id that was refused (its own
    /// problem is reported already, and pins to it are not a second one).
    fn declared_but_refused(&self, wanted: &str) -> bool {
        self.raw.nodes.iter().any(|node| {
            node.type_name == "psos-device"
                && (node.id == wanted || node.name() == wanted)
                && self.raw.is_enabled(node)
        })
    }

    fn conflict(
        &self,
        node: &RawNode,
        property: &Source<'_>,
        scope: &Source<'_>,
        by_property: DeviceIndex,
        by_scope: DeviceIndex,
    ) -> Diagnostic {
        let name = |device: DeviceIndex| {
            self.devices
                .get(device)
                .map_or("?", |device| device.name.as_str())
        };
        let (scope_kind, scope_label) = scope.scope.map_or(("scope", String::new()), |scope| {
            (scope.type_name.as_str(), scope_display(scope))
        });
        Diagnostic::error(
            Code::ConflictingPins,
            format!(
                "the node's own device is {:?}, but {ENV_VARIABLE} of its {scope_kind}{scope_label} is {:?}",
                name(by_property),
                name(by_scope)
            ),
        )
        .node(node.node_ref())
        .property("device")
        .label(property.span, format!("pins it to {:?}", name(by_property)))
        .label(
            scope.span,
            format!("the {scope_kind} pins its nodes to {:?}", name(by_scope)),
        )
        .help(format!(
            "make them agree, remove the node's \"device\", or move the node out of the {scope_kind}"
        ))
    }

    fn device_names(&self) -> String {
        self.devices
            .iter()
            .map(|device| device.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A tab or group as the IR records it.
fn scope_of(node: &RawNode) -> Scope {
    let name = match node.type_name.as_str() {
        "tab" => node.get("label").and_then(Json::as_str).unwrap_or(""),
        _ => node.name(),
    };
    Scope {
        id: node.id.clone(),
        type_name: node.type_name.clone(),
        name: name.to_string(),
    }
}

/// ` "Sensor" (id)` or ` (id)` when the scope has no name.
fn scope_display(node: &RawNode) -> String {
    let scope = scope_of(node);
    if scope.name.is_empty() {
        format!(" ({})", scope.id)
    } else {
        format!(" {:?} ({})", scope.name, scope.id)
    }
}

/// The `env` entry that sets `PSOS_DEVICE`, or the whole `env` list.
fn env_entry_span(scope: &RawNode) -> Span {
    let Some(env) = scope.get("env") else {
        return scope.span();
    };
    env.as_array()
        .and_then(|entries| {
            entries
                .iter()
                .rev()
                .find(|entry| entry.get("name").and_then(Json::as_str) == Some(ENV_VARIABLE))
        })
        .map_or(env.span, |entry| entry.span)
}
