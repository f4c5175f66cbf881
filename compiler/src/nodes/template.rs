//! `template`: the property it sets (of the message, or a flow or global
//! key), the template parsed now (mustache) or taken as it is (plain), and
//! whether the result is parsed as JSON. Names of flow and global context
//! are read on the device, where the message has nothing by that name.

use super::mustache::{self, Parsed};
use super::Reader;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{
    Literal, NodeKind, Property, Store, Template, TemplateBody, TemplateName, TemplateToken,
};

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
            tokens: tokens(reader, "template", template, Lookup::NodeRed)?,
            json,
        },
        Syntax::Plain if json => TemplateBody::Plain(plain_json(reader, template)?),
        Syntax::Plain => TemplateBody::Plain(Literal::String(template.to_string())),
    };
    Some(NodeKind::Template(Template {
        field: path?,
        body,
        empty: template.is_empty(),
    }))
}

/// The property the result goes to: `field` of `msg` (`payload` when
/// empty), or a key of flow or global context (`#:(store)::key` naming
/// a store).
fn field(reader: &mut Reader<'_, '_>) -> Option<Property> {
    let kind = reader
        .string("fieldType")
        .filter(|kind| !kind.is_empty())
        .unwrap_or("msg");
    let name = reader
        .string("field")
        .filter(|name| !name.is_empty())
        .unwrap_or("payload");
    if let scope @ ("flow" | "global") = kind {
        let span = reader.node.value_span("field");
        return super::change::property(reader, "field", scope, name, span);
    }
    if kind != "msg" {
        let span = reader.node.value_span("fieldType");
        reader.msg_property("fieldType", name, Some(kind), span);
        return None;
    }
    let span = reader.node.value_span("field");
    reader
        .msg_property("field", name, None, span)
        .map(|path| Property {
            scope: Store::Msg,
            path,
        })
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

/// Where a template's names are looked up.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// As the template node's own context does: in the message, then
    /// `env.NAME`, `flow.KEY` and `global.KEY`.
    NodeRed,
    /// In the message only, as `mustache.render(text, msg)` does (the
    /// trigger node's payloads).
    Message,
}

/// The template (the node's property `key`) parsed as mustache.js parses
/// it, each name read as the device looks it up.
pub fn tokens(
    reader: &mut Reader<'_, '_>,
    key: &str,
    template: &str,
    lookup: Lookup,
) -> Option<Vec<TemplateToken>> {
    let parsed = match mustache::parse(template, psos::nodes::MAX_SECTION_DEPTH) {
        Ok(parsed) => parsed,
        Err(error) => {
            let (line, column) = line_and_column(template, error.at);
            let span = reader.node.value_span(key);
            reader.malformed(
                key,
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
                name: template_name(reader, key, &name, lookup).unwrap_or_else(|| {
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
                name: template_name(reader, key, &name, lookup).unwrap_or_else(|| {
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
        context: None,
    }
}

/// A name as mustache.js splits it (on dots, unless it starts with one),
/// with the value of `env.NAME` resolved now, and the context key of
/// `flow.KEY` and `global.KEY` read as Node-RED reads it (`KEY` a property
/// path of the store). Names of what objects inherit are refused.
fn template_name(
    reader: &mut Reader<'_, '_>,
    key: &str,
    name: &str,
    lookup: Lookup,
) -> Option<TemplateName> {
    let parts: Vec<String> = match name {
        "." => Vec::new(),
        name if name.find('.').is_some_and(|at| at > 0) => {
            name.split('.').map(str::to_string).collect()
        }
        name => vec![name.to_string()],
    };
    let span = reader.node.value_span(key);
    let context_key = context_key(name).filter(|_| lookup == Lookup::NodeRed);
    let context = match context_key {
        Some((scope, store, context_key)) => {
            // The store's name goes through `#:(store)::key`, which change
            // nodes read: the same store for the same name.
            let expression = match store {
                Some(store) => format!("#:({store})::{context_key}"),
                None => context_key.to_string(),
            };
            Some(super::change::property(
                reader,
                key,
                scope,
                &expression,
                span,
            )?)
        }
        None => None,
    };
    if let Some(inherited) = parts
        .iter()
        .find(|part| psos::nodes::OBJECT_PROTOTYPE_MEMBERS.contains(&part.as_str()))
    {
        reader.diagnostics.push(
            Diagnostic::error(
                Code::UnsupportedValue,
                format!("the template reads {{{{{name}}}}}: `{inherited}` is what every JavaScript object inherits, which a device's values do not have"),
            )
            .node(reader.node.node_ref())
            .property(key)
            .label(span, "not supported on a device")
            .help("name members of the message only"),
        );
        return None;
    }
    let fallback = name
        .strip_prefix("env.")
        .filter(|_| lookup == Lookup::NodeRed)
        .filter(|variable| !variable.is_empty())
        .and_then(|variable| reader.env_var(variable));
    Some(TemplateName {
        parts,
        fallback,
        context,
    })
}

/// The scope (`flow` or `global`), store name and key of a name Node-RED
/// reads from context (`flow.x`, `global[store].a.b`), as its
/// `/^(flow|global)(\[(\w+)\])?\.(.+)/` matches it.
fn context_key(name: &str) -> Option<(&'static str, Option<&str>, &str)> {
    ["flow", "global"].into_iter().find_map(|scope| {
        let rest = name.strip_prefix(scope)?;
        let (store, rest) = match rest.strip_prefix('[') {
            Some(inner) => {
                let (word, rest) = inner.split_once(']')?;
                let word_chars = word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if word.is_empty() || !word_chars {
                    return None;
                }
                (Some(word), rest)
            }
            None => (None, rest),
        };
        let key = rest.strip_prefix('.').filter(|key| !key.is_empty())?;
        Some((scope, store, key))
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
        for (name, key) in [
            ("flow.x", Some(("flow", None, "x"))),
            ("global.a.b", Some(("global", None, "a.b"))),
            (
                "flow[memory1].value",
                Some(("flow", Some("memory1"), "value")),
            ),
            ("global[m_2].v", Some(("global", Some("m_2"), "v"))),
            ("flow", None),
            ("flow.", None),
            ("flow[].x", None),
            ("flow[a-b].x", None),
            ("flowers.x", None),
            ("payload.flow.x", None),
        ] {
            assert_eq!(context_key(name), key, "{name}");
        }
    }

    #[test]
    fn places_in_the_template_count_from_one() {
        assert_eq!(line_and_column("ab\ncdé{{", 7), (2, 4));
        assert_eq!(line_and_column("x", 0), (1, 1));
    }
}
