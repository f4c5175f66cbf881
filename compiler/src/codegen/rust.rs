//! `src/main.rs` of a device: its nodes as statics, each output port a
//! function that calls its receivers directly, and the timers that start
//! messages. Built as tokens with `quote` and printed with `prettyplease`.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{
    ChangeRule, DebugTarget, Flow, InjectValue, Literal as Value, Node, NodeIndex, NodeKind,
    SwitchOp,
};

/// The names generated code uses for one node. They are made from the node
/// type and its position on the device, never from strings in the flow.
struct Names {
    /// The static holding the node.
    cell: Ident,
    /// The function a message enters the node by.
    input: Ident,
    /// The function the node's outputs leave by.
    output: Ident,
}

pub fn main_rs(flow: &Flow, device_index: usize) -> String {
    let Some(device) = flow.devices.get(device_index) else {
        return String::new();
    };
    let on_device: Vec<(NodeIndex, &Node)> = flow
        .nodes_on(device_index)
        .filter(|(_, node)| has_code(node))
        .collect();
    let names = |node_index: NodeIndex| -> Option<Names> {
        let position = on_device
            .iter()
            .position(|(index, _)| *index == node_index)?;
        let (_, node) = on_device.get(position)?;
        let base = format!("{}_{}", type_slug(&node.kind), position + 1);
        Some(Names {
            cell: format_ident!("{}", base.to_uppercase()),
            input: format_ident!("{}", base),
            output: format_ident!("{}_out", base),
        })
    };

    let mut items = Vec::new();
    let mut timers = Vec::new();
    for (node_index, node) in &on_device {
        let Some(node_names) = names(*node_index) else {
            continue;
        };
        let Names { cell, input, .. } = &node_names;
        let (node_type, constructor) = constructor(node);
        let (output_fn, outputs) = output_function(flow, *node_index, node, &node_names, &names);
        items.push(quote! {
            static #cell: ::psos::NodeCell<#node_type> = ::psos::NodeCell::new(#constructor);

            fn #input(msg: ::psos::Msg) {
                #cell.input(&DEVICE, msg, #outputs);
            }

            #output_fn
        });
        if let NodeKind::Inject(inject) = &node.kind {
            if inject.once_delay_ms.is_some() || inject.repeat_ms.is_some() {
                let first = option_u64(inject.once_delay_ms);
                let every = option_u64(inject.repeat_ms);
                timers.push(quote! {
                    ::psos::Timer {
                        first_ms: #first,
                        every_ms: #every,
                        fire: || #input(::psos::Msg::new()),
                    }
                });
            }
        }
    }

    let device_name = Literal::string(&device.name);
    let flow_name = Literal::string(&flow.file_name);
    let n_timers = Literal::usize_unsuffixed(timers.len());
    let file = quote! {
        //! Firmware for one device of a PSOS flow: its nodes as statics,
        //! wired to each other by direct calls.
        #![forbid(unsafe_code)]
        // Numbers in the flow are the user's; one may look like a constant.
        #![allow(clippy::approx_constant)]

        static DEVICE: ::psos::Device = ::psos::Device::new(#device_name, #flow_name);

        #(#items)*

        static TIMERS: [::psos::Timer; #n_timers] = [#(#timers),*];

        fn main() {
            ::psos::host::run(&DEVICE, &TIMERS)
        }
    };
    match syn::parse2::<syn::File>(file) {
        Ok(parsed) => separate_items(&prettyplease::unparse(&parsed)),
        // The tokens come from quote with escaped literals only, so they
        // always parse; should that ever break, the raw tokens still compile
        // as well as they can and show the problem.
        Err(error) => format!("compile_error!({:?});\n", error.to_string()),
    }
}

/// Puts a blank line between top-level items, as rustfmt'd code has.
fn separate_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut previous = "";
    for line in code.lines() {
        let starts_item = line.starts_with("static ") || line.starts_with("fn ");
        let after_item = previous.starts_with('}')
            || previous.starts_with(')')
            || previous.ends_with(';')
            || previous.starts_with("#![");
        if starts_item && after_item {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

/// An inactive debug node does nothing on a device, so it gets no code.
fn has_code(node: &Node) -> bool {
    !matches!(&node.kind, NodeKind::Debug(debug) if !debug.active)
}

fn type_slug(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Inject(_) => "inject",
        NodeKind::Change(_) => "change",
        NodeKind::Switch(_) => "switch",
        NodeKind::Debug(_) => "debug",
    }
}

/// The output function of a node, and the expression passed as its outputs.
fn output_function(
    flow: &Flow,
    node_index: NodeIndex,
    node: &Node,
    names: &Names,
    names_of: &dyn Fn(NodeIndex) -> Option<Names>,
) -> (TokenStream, TokenStream) {
    let mut arms = Vec::new();
    for port in 0..node.kind.outputs() {
        let receivers: Vec<Ident> = flow
            .wires_from(node_index, port)
            .filter(|wire| flow.nodes.get(wire.to).is_some_and(has_code))
            .filter_map(|wire| names_of(wire.to))
            .map(|receiver| receiver.input)
            .collect();
        if receivers.is_empty() {
            continue;
        }
        arms.push((port, fan_out(&receivers)));
    }
    let output = &names.output;
    let body = match arms.as_slice() {
        [] => return (quote!(), quote!(&mut ::psos::Discard)),
        [(port, call)] => {
            let port_literal = Literal::usize_unsuffixed(*port);
            quote! {
            if port == #port_literal {
                #call
            }
            }
        }
        _ => {
            let arms = arms.iter().map(|(port, call)| {
                let port = Literal::usize_unsuffixed(*port);
                quote!(#port => { #call })
            });
            quote! {
                match port {
                    #(#arms)*
                    _ => {}
                }
            }
        }
    };
    (
        quote! {
            fn #output(port: usize, msg: ::psos::Msg) {
                #body
            }
        },
        quote!(&mut #output),
    )
}

/// Delivers one message to several receivers: the first gets the original,
/// the others copies made before anyone can change it, as Node-RED does.
fn fan_out(receivers: &[Ident]) -> TokenStream {
    let Some((first, rest)) = receivers.split_first() else {
        return quote!();
    };
    let copies: Vec<Ident> = (1..=rest.len())
        .map(|n| format_ident!("copy_{}", n))
        .collect();
    quote! {
        #(let #copies = msg.clone();)*
        #first(msg);
        #(#rest(#copies);)*
    }
}

/// The runtime type of a node and the constant expression that builds it.
fn constructor(node: &Node) -> (TokenStream, TokenStream) {
    let info = {
        let id = Literal::string(&node.id);
        let name = Literal::string(&node.name);
        let type_name = Literal::string(&node.type_name);
        quote!(::psos::NodeInfo::new(#id, #name, #type_name))
    };
    match &node.kind {
        NodeKind::Inject(inject) => {
            let props = inject.props.iter().map(|prop| {
                let property = Literal::string(&prop.property);
                let value = match &prop.value {
                    InjectValue::Literal(value) => {
                        let value = const_value(value);
                        quote!(::psos::nodes::InjectValue::Const(#value))
                    }
                    InjectValue::Timestamp => quote!(::psos::nodes::InjectValue::Timestamp),
                };
                quote!(::psos::nodes::InjectProp { property: #property, value: #value })
            });
            (
                quote!(::psos::nodes::Inject),
                quote!(::psos::nodes::Inject::new(#info, &[#(#props),*])),
            )
        }
        NodeKind::Change(change) => {
            let rules = change.rules.iter().map(|rule| match rule {
                ChangeRule::Set { property, value } => {
                    let property = Literal::string(property);
                    let value = const_value(value);
                    quote!(::psos::nodes::ChangeRule::Set { property: #property, value: #value })
                }
                ChangeRule::Delete { property } => {
                    let property = Literal::string(property);
                    quote!(::psos::nodes::ChangeRule::Delete { property: #property })
                }
            });
            (
                quote!(::psos::nodes::Change),
                quote!(::psos::nodes::Change::new(#info, &[#(#rules),*])),
            )
        }
        NodeKind::Switch(switch) => {
            let property = Literal::string(&switch.property);
            let check_all = switch.check_all;
            let rules = switch.rules.iter().map(|rule| {
                let op = format_ident!(
                    "{}",
                    match rule.op {
                        SwitchOp::Eq => "Eq",
                        SwitchOp::Neq => "Neq",
                        SwitchOp::Lt => "Lt",
                        SwitchOp::Lte => "Lte",
                        SwitchOp::Gt => "Gt",
                        SwitchOp::Gte => "Gte",
                        SwitchOp::Else => "Else",
                    }
                );
                let value = const_value(&rule.value);
                quote!(::psos::nodes::SwitchRule { op: ::psos::nodes::SwitchOp::#op, value: #value })
            });
            (
                quote!(::psos::nodes::Switch),
                quote!(::psos::nodes::Switch::new(#info, #property, &[#(#rules),*], #check_all)),
            )
        }
        NodeKind::Debug(debug) => {
            let target = match &debug.target {
                DebugTarget::Payload => quote!(::psos::nodes::DebugTarget::Payload),
                DebugTarget::WholeMessage => quote!(::psos::nodes::DebugTarget::WholeMessage),
                DebugTarget::Property(name) => {
                    let name = Literal::string(name);
                    quote!(::psos::nodes::DebugTarget::Property(#name))
                }
            };
            (
                quote!(::psos::nodes::Debug),
                quote!(::psos::nodes::Debug::new(#info, #target)),
            )
        }
    }
}

/// A flow literal as a `psos::ConstValue` constant expression.
fn const_value(value: &Value) -> TokenStream {
    match value {
        Value::Null => quote!(::psos::ConstValue::Null),
        Value::Bool(b) => quote!(::psos::ConstValue::Bool(#b)),
        Value::Number(n) => {
            let number = float(*n);
            quote!(::psos::ConstValue::Number(#number))
        }
        Value::String(s) => {
            let s = Literal::string(s);
            quote!(::psos::ConstValue::Str(#s))
        }
        Value::Array(items) => {
            let items = items.iter().map(const_value);
            quote!(::psos::ConstValue::Array(&[#(#items),*]))
        }
        Value::Object(props) => {
            let props = props.iter().map(|(key, value)| {
                let key = Literal::string(key);
                let value = const_value(value);
                quote!((#key, #value))
            });
            quote!(::psos::ConstValue::Object(&[#(#props),*]))
        }
    }
}

/// An `f64` as Rust source that reads back as the same value.
fn float(n: f64) -> TokenStream {
    if n.is_nan() {
        return quote!(f64::NAN);
    }
    let magnitude = if n.is_infinite() {
        quote!(f64::INFINITY)
    } else {
        let literal = Literal::f64_unsuffixed(n.abs());
        quote!(#literal)
    };
    if n.is_sign_negative() {
        quote!(-#magnitude)
    } else {
        magnitude
    }
}

fn option_u64(value: Option<u64>) -> TokenStream {
    match value {
        Some(value) => {
            let value = Literal::u64_unsuffixed(value);
            quote!(Some(#value))
        }
        None => quote!(None),
    }
}
