//! `#[psos::node]`: marks a Rust type as a PSOS node type.
//!
//! `#[psos::node(type = "moving-average")]` on a struct declares which flow
//! node type it implements. Errors are spanned on the offending tokens, and
//! the item is emitted beside them so IDEs keep working.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Item, LitStr};

#[proc_macro_attribute]
pub fn node(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = parse_macro_input!(item as Item);
    let mut type_name: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("type") {
            type_name = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument: expected `type = \"node-type\"`"))
        }
    });
    let mut errors = Vec::new();
    if let Err(error) = syn::parse::Parser::parse(parser, attr) {
        errors.push(error);
    }
    let Item::Struct(item_struct) = &item else {
        let error = syn::Error::new_spanned(&item, "#[psos::node] applies to a struct");
        let compile_error = error.to_compile_error();
        return quote!(#item #compile_error).into();
    };
    let ident = &item_struct.ident;
    let implementation = match &type_name {
        Some(name) => quote! {
            impl ::psos::__private::NodeType for #ident {
                const TYPE_NAME: &'static str = #name;
            }
        },
        None => {
            errors.push(syn::Error::new_spanned(
                ident,
                "#[psos::node] needs the flow node type: #[psos::node(type = \"my-node\")]",
            ));
            quote!()
        }
    };
    let compile_errors = errors.iter().map(syn::Error::to_compile_error);
    quote!(#item #implementation #(#compile_errors)*).into()
}
