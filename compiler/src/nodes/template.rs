//! `template`: the property it sets, the template parsed now (mustache) or
//! taken as it is (plain), and whether the result is parsed as JSON.

use super::mustache::{self, Parsed};
use super::Reader;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Literal, NodeKind, Template, TemplateBody, TemplateName, TemplateToken};

/// What every JavaScript object inherits. mustache.js finds these in any
/// object (`{{payload.toString}}`), where a device's messages have only
/// their own members, so names that use them are refused.
const INHERITED: &[&str] = &[
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

#[derive(Clone, Copy)]
enum Syntax {
    Mustache,
    Plain,
}

#[derive(Clone, Copy)]
enum Output {
    Text,
    Json,
    Yaml,
}

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let path = field(reader);
    let syntax = reader.choice(
        "syntax",
        &[("mustache", Syntax::Mustache), ("plain", Syntax::Plain)],
    );
    let output = reader.choice(
        "output",
        &[
            ("str", Output::Text),
            ("json", Output::Json),
            ("yaml", Output::Yaml),
        ],
    );
    // Without a template (which the editor always writes), Node-RED's
    // mustache.js throws for every message.
    let template = reader.required_string("template", "\"payload={{payload}}\"")?;
    let json = match output? {
        Output::Text => false,
        Output::Json => true,
        Output::Yaml => {
            let span = reader.node.value_span("output");
            reader.unsupported(
                "output",
                span,
                "parsing the result as YAML is not supported on a device".to_string(),
                "write the template as JSON and choose \"output\": \"json\", or \"str\"",
            );
            return None;
        }
    };
    let body = match syntax? {
        Syntax::Mustache => TemplateBody::Mustache {
            tokens: tokens(reader, template)?,
            json,
        },
        Syntax::Plain if json => TemplateBody::Plain(plain_json(reader, template)?),
        Syntax::Plain => TemplateBody::Plain(Literal::String(template.to_string())),
    };
    Some(NodeKind::Template(Template {
        path: path?,
        body,
        empty: template.is_empty(),
    }))
}

/// The property the result goes to: `field` of `msg` (`payload` when
/// empty); flow and global context are refused.
fn field(reader: &mut Reader<'_, '_>) -> Option<crate::ir::Path> {
    let kind = reader
        .string("fieldType")
        .filter(|kind| !kind.is_empty())
        .unwrap_or("msg");
    let name = reader
        .string("field")
        .filter(|name| !name.is_empty())
        .unwrap_or("payload");
    if kind != "msg" {
        let span = reader.node.value_span("fieldType");
        reader.msg_property("fieldType", name, Some(kind), span);
        return None;
    }
    let span = reader.node.value_span("field");
    reader.msg_property("field", name, None, span)
}

/// A plain template with JSON output: Node-RED parses the same text for
/// every message, so it is parsed once, now.
fn plain_json(reader: &mut Reader<'_, '_>, template: &str) -> Option<Literal> {
    match crate::json::parse(template) {
        Ok(json) => Some(super::literal_from_json(&json)),
        Err(error) => {
            let span = reader.node.value_span("template");
            reader.malformed(
                "template",
                span,
                format!(
                    "the template is not JSON ({}), so every message would fail",
                    error.message
                ),
                Some("write JSON text, or choose \"output\": \"str\"".to_string()),
            );
            None
        }
    }
}

/// The template parsed as mustache.js parses it, each name read as the
/// device looks it up.
fn tokens(reader: &mut Reader<'_, '_>, template: &str) -> Option<Vec<TemplateToken>> {
    let parsed = match mustache::parse(template, psos::nodes::MAX_SECTION_DEPTH) {
        Ok(parsed) => parsed,
        Err(error) => {
            let (line, column) = line_and_column(template, error.at);
            let span = reader.node.value_span("template");
            reader.malformed(
                "template",
                span,
                format!(
                    "the template does not parse: {} (line {line}, column {column} of the template)",
                    error.message
                ),
                Some(if error.too_deep {
                    format!(
                        "a device renders sections nested at most {} deep",
                        psos::nodes::MAX_SECTION_DEPTH
                    )
                } else {
                    "close every tag ({{name}}) and section ({{#name}}…{{/name}}), \
                     and give {{=OPEN CLOSE=}} two delimiters"
                        .to_string()
                }),
            );
            return None;
        }
    };
    let mut complete = true;
    let tokens = parsed
        .into_iter()
        .map(|piece| match piece {
            Parsed::Text(text) => TemplateToken::Text(text),
            Parsed::Value { name, escape } => TemplateToken::Value {
                name: template_name(reader, &name).unwrap_or_else(|| {
                    complete = false;
                    empty_name()
                }),
                escape,
            },
            Parsed::Section {
                name,
                inverted,
                end,
            } => TemplateToken::Section {
                name: template_name(reader, &name).unwrap_or_else(|| {
                    complete = false;
                    empty_name()
                }),
                inverted,
                end,
            },
        })
        .collect();
    complete.then_some(tokens)
}

fn empty_name() -> TemplateName {
    TemplateName {
        parts: Vec::new(),
        fallback: None,
    }
}

/// A name as mustache.js splits it (on dots, unless it starts with one),
/// with the value of `env.NAME` resolved now. Names of flow and global
/// context, and names of what objects inherit, are refused.
fn template_name(reader: &mut Reader<'_, '_>, name: &str) -> Option<TemplateName> {
    let parts: Vec<String> = match name {
        "." => Vec::new(),
        name if name.find('.').is_some_and(|at| at > 0) => {
            name.split('.').map(str::to_string).collect()
        }
        name => vec![name.to_string()],
    };
    let span = reader.node.value_span("template");
    if let Some(store) = context_store(name) {
        reader.unsupported(
            "template",
            span,
            format!("the template reads {{{{{name}}}}} from {store} context, which a template on a device does not read"),
            "copy the value into the message with a change node before the template node, and write {{payload.NAME}}",
        );
        return None;
    }
    if let Some(inherited) = parts.iter().find(|part| INHERITED.contains(&part.as_str())) {
        reader.diagnostics.push(
            Diagnostic::error(
                Code::UnsupportedValue,
                format!("the template reads {{{{{name}}}}}: `{inherited}` is what every JavaScript object inherits, which a device's values do not have"),
            )
            .node(reader.node.node_ref())
            .property("template")
            .label(span, "not supported on a device")
            .help("name members of the message only"),
        );
        return None;
    }
    let fallback = name
        .strip_prefix("env.")
        .filter(|variable| !variable.is_empty())
        .and_then(|variable| reader.env_var(variable));
    Some(TemplateName { parts, fallback })
}

/// `flow` or `global` for a name Node-RED reads from context
/// (`flow.x`, `global[store].x`).
fn context_store(name: &str) -> Option<&'static str> {
    ["flow", "global"].into_iter().find(|store| {
        let Some(rest) = name.strip_prefix(store) else {
            return false;
        };
        let rest = match rest.strip_prefix('[') {
            Some(inner) => match inner.split_once(']') {
                Some((word, rest))
                    if !word.is_empty()
                        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    rest
                }
                _ => return false,
            },
            None => rest,
        };
        rest.strip_prefix('.')
            .is_some_and(|field| !field.is_empty())
    })
}

/// Where a byte offset is in the template, counted from 1.
fn line_and_column(template: &str, at: usize) -> (usize, usize) {
    let before = template.get(..at).unwrap_or(template);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_as_node_red_matches_them() {
        for (name, store) in [
            ("flow.x", Some("flow")),
            ("global.a.b", Some("global")),
            ("flow[memory1].value", Some("flow")),
            ("global[m_2].v", Some("global")),
            ("flow", None),
            ("flow.", None),
            ("flow[].x", None),
            ("flow[a-b].x", None),
            ("flowers.x", None),
            ("payload.flow.x", None),
        ] {
            assert_eq!(context_store(name), store, "{name}");
        }
    }

    #[test]
    fn places_in_the_template_count_from_one() {
        assert_eq!(line_and_column("ab\ncdé{{", 7), (2, 4));
        assert_eq!(line_and_column("x", 0), (1, 1));
    }
}
