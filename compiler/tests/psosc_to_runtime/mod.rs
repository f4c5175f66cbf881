//! From a flow to a device's node in a test: the flow checked by psosc,
//! and what generated code holds as constants (values, property paths)
//! built from psosc's IR at run time. Shared by the conformance suites that
//! go from a node as the flow writes it to the runtime running it.

// Each suite uses what it needs of this module.
#![allow(dead_code)]

use psos::nodes::{Property, Scope};
use psos::{ConstValue, Context, Device, Msg, PathSegment};
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

/// A property of a message or of a context store, as a node reads it.
pub fn property(property: &psosc::ir::Property) -> Property {
    Property {
        scope: match property.scope {
            psosc::ir::Store::Msg => Scope::Msg,
            psosc::ir::Store::Flow(_) => Scope::Flow,
            psosc::ir::Store::Global => Scope::Global,
        },
        path: path(&property.path),
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
