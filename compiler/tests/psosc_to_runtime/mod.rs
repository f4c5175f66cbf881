//! From a flow to a device's node in a test: the flow checked by psosc,
//! and what generated code holds as constants (values, property paths)
//! built from psosc's IR at run time. Shared by the conformance suites that
//! go from a node as the flow writes it to the runtime running it.

// Each suite uses what it needs of this module.
#![allow(dead_code)]

use psos::nodes::{Property, Scope};
use psos::{ConstValue, Context, Device, Msg, NamedStore, PathSegment};
use psosc::ir::{Flow, Literal};
use psosc::SourceFile;

/// psosc's IR of a flow (when it has no error) and the headlines of its
/// errors, with `environment` as the process environment.
pub fn check(
    file_name: &str,
    text: String,
    environment: &dyn Fn(&str) -> Option<String>,
) -> (Option<Flow>, Vec<String>) {
    let source = SourceFile::new(file_name, text);
    let (flow, diagnostics) = psosc::check(&source, environment);
    let errors = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.headline())
        .collect();
    (flow, errors)
}

pub fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

pub fn leak_str(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

pub fn const_value(value: &Literal) -> ConstValue {
    match value {
        Literal::Null => ConstValue::Null,
        Literal::Bool(b) => ConstValue::Bool(*b),
        Literal::Number(n) => ConstValue::Number(*n),
        Literal::String(s) => ConstValue::Str(leak_str(s)),
        Literal::Array(items) => ConstValue::Array(leak(items.iter().map(const_value).collect())),
        Literal::Object(members) => ConstValue::Object(leak(
            members
                .iter()
                .map(|(key, value)| (leak_str(key), const_value(value)))
                .collect(),
        )),
    }
}

pub fn path(path: &[psosc::ir::PathSegment]) -> &'static [PathSegment<'static>] {
    leak(
        path.iter()
            .map(|segment| match segment {
                psosc::ir::PathSegment::Key(key) => PathSegment::Key(leak_str(key)),
                psosc::ir::PathSegment::Index(index) => PathSegment::Index(*index),
            })
            .collect(),
    )
}

/// Where a property lives, as a node's property names it.
pub fn scope(store: &psosc::ir::Store) -> Scope {
    match store {
        psosc::ir::Store::Msg => Scope::Msg,
        psosc::ir::Store::Flow(_) => Scope::Flow,
        psosc::ir::Store::Global => Scope::Global,
        psosc::ir::Store::FlowStore(_, store) => Scope::FlowStore(store.number),
        psosc::ir::Store::GlobalStore(store) => Scope::GlobalStore(store.number),
    }
}

/// A property of a message or of a context store, as a node reads it.
pub fn property(property: &psosc::ir::Property) -> Property {
    Property {
        scope: scope(&property.scope),
        path: path(&property.path),
    }
}

/// The name a case gives a context store: `flow` and `global` for the
/// default stores, `flow NAME` and `global NAME` for a store the flow
/// names (`#:(NAME)::key`).
pub fn store_label(store: &psosc::ir::Store) -> String {
    let scope = if store.is_global() { "global" } else { "flow" };
    match store.name() {
        Some(name) => format!("{scope} {name}"),
        None => scope.to_string(),
    }
}

/// A device's context stores in a case, by the names `store_label` gives
/// them, each filled from JSON: the default stores of both scopes, and the
/// named stores the case fills or its node uses.
pub struct CaseStores<const C: usize> {
    device: Device,
    stores: Vec<(String, &'static Context<C>)>,
}

impl<const C: usize> CaseStores<C> {
    /// Stores holding what `before` gives each (by label), the others empty.
    pub fn new(before: &[(&str, &str)]) -> Self {
        let mut stores = Self {
            device: Device::new("setup", "conformance"),
            stores: Vec::new(),
        };
        for label in ["flow", "global"] {
            stores.store(label);
        }
        for (label, json) in before {
            let context = context_store(&stores.device, json);
            stores.stores.retain(|(known, _)| known != label);
            stores.stores.push((label.to_string(), context));
        }
        stores
    }

    /// The store of `label`, empty when the case fills none.
    pub fn store(&mut self, label: &str) -> &'static Context<C> {
        if let Some((_, context)) = self.stores.iter().find(|(known, _)| known == label) {
            return context;
        }
        let context = context_store(&self.device, "{}");
        self.stores.push((label.to_string(), context));
        context
    }

    /// The stores a node whose properties use `scopes` is given, as
    /// generated code gives them: both default stores, and the named
    /// stores among `scopes`.
    pub fn for_node(&mut self, scopes: &[&psosc::ir::Store]) -> psos::Stores<C> {
        let named: Vec<NamedStore<C>> = scopes
            .iter()
            .filter(|store| store.name().is_some())
            .map(|store| NamedStore {
                scope: scope(store),
                context: self.store(&store_label(store)),
            })
            .collect();
        psos::Stores::new(Some(self.store("flow")), Some(self.store("global")))
            .with_named(leak(named))
    }

    /// Checks that each store holds what `after` gives it (by label), and
    /// the others nothing.
    pub fn check(&self, case: &str, after: &[(&str, &str)]) {
        for (label, context) in &self.stores {
            let expect = after
                .iter()
                .find(|(known, _)| known == label)
                .map_or("{}", |(_, json)| json);
            assert_eq!(
                context_contents(&self.device, context),
                expect,
                "{case}: {label}"
            );
        }
        for (label, _) in after {
            assert!(
                self.stores.iter().any(|(known, _)| known == label),
                "{case}: no store {label}"
            );
        }
    }
}

/// A context store holding `json`, as a device's static holds one, for
/// the length of the test.
pub fn context_store<const C: usize>(device: &Device, json: &str) -> &'static Context<C> {
    let context: &'static Context<C> = Box::leak(Box::new(Context::new()));
    let values = Msg::<C>::from_json(json.as_bytes()).expect("context reads");
    context.with(device, |store| *store = values);
    context
}

/// What a context store holds, as JSON.
pub fn context_contents<const C: usize>(device: &Device, context: &Context<C>) -> String {
    context
        .with(device, |store| format!("{store:?}"))
        .expect("not busy")
}
