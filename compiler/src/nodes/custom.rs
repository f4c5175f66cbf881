//! Custom node types: each property checked against the type's `new`, and
//! any other property (a typo, most likely) reported with the names the
//! type accepts.

use super::{suggest, Reader};
use crate::custom::{CustomType, PropertyType};
use crate::diagnostic::Code;
use crate::ir::{Arg, Custom, NodeKind};
use crate::json::JsonValue;

/// The properties every node may have besides its own: what Node-RED's
/// editor writes, and PSOS's placement.
const COMMON_PROPERTIES: &[&str] = &[
    "id", "type", "z", "g", "name", "x", "y", "w", "h", "wires", "d", "info", "l", "inputs",
    "outputs", "icon", "device", "_def",
];

pub fn lower(
    reader: &mut Reader<'_, '_>,
    custom_type: &CustomType,
    crate_index: usize,
) -> Option<NodeKind> {
    let accepted: Vec<&str> = custom_type
        .properties
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    let mut ok = true;
    if let JsonValue::Object(members) = &reader.node.json.value {
        for member in members {
            if COMMON_PROPERTIES.contains(&member.key.as_str())
                || accepted.contains(&member.key.as_str())
            {
                continue;
            }
            ok = false;
            let hint = match suggest(&member.key, accepted.iter().copied()) {
                Some(near) => format!("did you mean {near:?}? "),
                None => String::new(),
            };
            reader.diagnostics.push(
                crate::diagnostic::Diagnostic::error(
                    Code::UnknownProperty,
                    format!(
                        "a {} node has no property `{}`",
                        custom_type.type_name, member.key
                    ),
                )
                .node(reader.node.node_ref())
                .property(member.key.clone())
                .label(member.key_span, "unknown property")
                .help(format!("{hint}its properties are: {}", accepted.join(", "))),
            );
        }
    }
    let mut args = Vec::new();
    for (name, property_type) in &custom_type.properties {
        match arg(reader, name, *property_type) {
            Some(arg) => args.push(arg),
            None => ok = false,
        }
    }
    ok.then(|| {
        NodeKind::Custom(Custom {
            crate_index,
            rust_path: custom_type.rust_path.clone(),
            outputs: custom_type.outputs,
            tick_ms: custom_type.tick_ms,
            has_start: custom_type.has_start,
            args,
        })
    })
}

/// One property as `new` takes it. Numbers and flags may be written as
/// text, as Node-RED's editor stores them.
fn arg(reader: &mut Reader<'_, '_>, name: &str, property_type: PropertyType) -> Option<Arg> {
    let Some(value) = reader.get(name) else {
        reader.required_string(name, &property_type.describe());
        return None;
    };
    let number = match &value.value {
        JsonValue::Number(n) => Some(*n),
        JsonValue::String(s) if !s.trim().is_empty() => {
            Some(psos::number_from_str(s)).filter(|n| !n.is_nan())
        }
        _ => None,
    };
    let arg = match (property_type, &value.value) {
        (PropertyType::Str, JsonValue::String(s)) => Some(Arg::Str(s.clone())),
        (PropertyType::Bool, JsonValue::Bool(b)) => Some(Arg::Bool(*b)),
        (PropertyType::Bool, JsonValue::String(s)) if s == "true" || s == "false" => {
            Some(Arg::Bool(s == "true"))
        }
        (PropertyType::Float, _) => number.map(Arg::Float),
        (PropertyType::Integer { signed, bits }, _) => number
            .filter(|n| n.fract() == 0.0)
            .map(|n| n as i128)
            .filter(|n| {
                let (min, max) = if signed {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                } else {
                    (0, (1i128 << bits) - 1)
                };
                (min..=max).contains(n)
            })
            .map(Arg::Integer),
        _ => None,
    };
    if arg.is_none() {
        reader.malformed(
            name,
            value.span,
            format!(
                "expected {}, found {}",
                property_type.describe(),
                value.kind_name()
            ),
            Some(format!("write \"{name}\": {}", property_type.describe())),
        );
    }
    arg
}
