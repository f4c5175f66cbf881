//! What `#[psos::node]` emits: the impl block unchanged, the runtime's traits
//! implemented by forwarding to it, a guard against two node types with one
//! type name in a crate, and every error found.
//!
//! Whatever can be emitted is, even beside errors, so that one mistake does
//! not bring a cascade of others and IDEs keep seeing the node's methods.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_quote, Item, LitStr};

use crate::definition::{parse_arguments, read_item, Arguments, Errors, NodeDefinition};

pub(crate) fn node(arguments: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let arguments = parse_arguments(arguments, &mut errors);
    let emitted = match syn::parse2::<Item>(item.clone()) {
        Ok(parsed) => match read_item(&parsed, &arguments, &mut errors) {
            Some(definition) => implementations(&definition, &arguments),
            None => TokenStream::new(),
        },
        Err(error) => {
            errors.push_error(error);
            TokenStream::new()
        }
    };
    let errors = errors.into_compile_error();
    quote! {
        #item
        #emitted
        #errors
    }
}

fn implementations(definition: &NodeDefinition<'_>, arguments: &Arguments) -> TokenStream {
    let node = node_impl(definition);
    let node_type = node_type_impl(definition, arguments);
    let guard = arguments.type_name.as_ref().map(guard);
    quote! {
        #node
        #node_type
        #guard
    }
}

/// `Node<N>` for every message capacity `N`, each method calling the inherent
/// one of the same name. The calls carry the span of the user's method, so a
/// parameter of the wrong type is reported there.
fn node_impl(definition: &NodeDefinition<'_>) -> Option<TokenStream> {
    let input = definition.input?;
    let self_ty = &definition.item.self_ty;
    let mut generics = definition.item.generics.clone();
    generics
        .params
        .push(parse_quote!(const PSOS_CAPACITY: usize));
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let input_call = quote_spanned!(input.sig.span()=> <#self_ty>::input(self, device, msg, out));
    let hook = |name: &str, function: Option<&syn::ImplItemFn>| {
        let function = function?;
        let method = format_ident!("{name}");
        let call = quote_spanned!(function.sig.span()=> <#self_ty>::#method(self, device, out));
        Some(quote! {
            fn #method<PsosOutputs: ::psos::__private::Outputs<PSOS_CAPACITY>>(
                &mut self,
                device: &::psos::__private::Device,
                out: &mut PsosOutputs,
            ) {
                #call
            }
        })
    };
    let start = hook("start", definition.start);
    let tick = hook("tick", definition.tick);
    Some(quote! {
        impl #impl_generics ::psos::__private::Node<PSOS_CAPACITY> for #self_ty #where_clause {
            fn input<PsosOutputs: ::psos::__private::Outputs<PSOS_CAPACITY>>(
                &mut self,
                device: &::psos::__private::Device,
                msg: &mut ::psos::__private::Msg<PSOS_CAPACITY>,
                out: &mut PsosOutputs,
            ) {
                #input_call
            }
            #start
            #tick
        }
    })
}

/// `NodeType`: what the compiler and the runtime need to know of the node
/// type, whatever the message capacity.
fn node_type_impl(definition: &NodeDefinition<'_>, arguments: &Arguments) -> Option<TokenStream> {
    let type_name = arguments.type_name.as_ref()?;
    let outputs = proc_macro2::Literal::usize_unsuffixed(arguments.outputs?);
    let tick_ms = match &arguments.tick_ms {
        Some((_, tick_ms)) => {
            let tick_ms = proc_macro2::Literal::u64_unsuffixed(*tick_ms);
            quote!(::core::option::Option::Some(#tick_ms))
        }
        None => quote!(::core::option::Option::None),
    };
    let properties = definition.properties.iter().map(|property| {
        let (name, ty) = (&property.name, property.ty.rust_name());
        quote!((#name, #ty))
    });
    let self_ty = &definition.item.self_ty;
    let (impl_generics, _, where_clause) = definition.item.generics.split_for_impl();
    Some(quote! {
        impl #impl_generics ::psos::__private::NodeType for #self_ty #where_clause {
            const TYPE_NAME: &'static str = #type_name;
            const OUTPUTS: usize = #outputs;
            const TICK_MS: ::core::option::Option<u64> = #tick_ms;
            const PROPERTIES: &'static [(&'static str, &'static str)] = &[#(#properties),*];
        }
    })
}

/// A macro exported at the crate root and named after the type name, so a
/// second node type with the same name in the crate fails to compile with
/// "the name ... is defined multiple times", pointing at both type names.
fn guard(type_name: &LitStr) -> TokenStream {
    let name = format_ident!(
        "__psos_node_type_{}",
        encode(&type_name.value()),
        span = type_name.span()
    );
    // The whole item carries the type name's span, so that the error points
    // at the two type names rather than at the two attributes.
    quote_spanned! {type_name.span()=>
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #name {
            () => {};
        }
    }
}

/// A type name as the tail of an identifier, one to one: ASCII letters and
/// digits stay, every other byte becomes `_` and two hex digits. Node-RED
/// type names have dashes and spaces (`moving-average`, `mqtt in`).
fn encode(type_name: &str) -> String {
    let mut encoded = String::with_capacity(type_name.len());
    for byte in type_name.bytes() {
        if byte.is_ascii_alphanumeric() {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("_{byte:02x}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_encode(type_name: &str, expect: &str) {
        assert_eq!(encode(type_name), expect);
    }

    #[test]
    fn type_names_encode_one_to_one() {
        check_encode("hysteresis", "hysteresis");
        check_encode("moving-average", "moving_2daverage");
        check_encode("moving_average", "moving_5faverage");
        check_encode("mqtt in", "mqtt_20in");
        check_encode("é", "_c3_a9");
    }

    #[test]
    fn errors_come_with_the_item_unchanged() {
        let item = quote!(
            struct Gate;
        );
        let emitted = node(quote!(type = "gate", outputs = 1), item.clone()).to_string();
        assert!(emitted.starts_with(&item.to_string()), "{emitted}");
        assert!(emitted.contains("compile_error"), "{emitted}");
    }

    #[test]
    fn a_node_gets_both_traits_and_a_guard() {
        let emitted = node(
            quote!(type = "gate", outputs = 2, tick_ms = 50),
            quote!(impl Gate {
                pub const fn new() -> Self { Gate }
                pub fn input(&mut self, device: &D, msg: &mut M, out: &mut O) {}
                pub fn tick(&mut self, device: &D, out: &mut O) {}
            }),
        )
        .to_string();
        for expect in [
            ":: psos :: __private :: Node < PSOS_CAPACITY > for Gate",
            "fn tick",
            ":: psos :: __private :: NodeType for Gate",
            "const OUTPUTS : usize = 2",
            "Option :: Some (50)",
            "macro_rules ! __psos_node_type_gate",
        ] {
            assert!(emitted.contains(expect), "{expect:?} in {emitted}");
        }
        assert!(!emitted.contains("compile_error"), "{emitted}");
        assert!(!emitted.contains("fn start"), "{emitted}");
    }
}
