//! What `#[psos::node]` reads: its arguments and the node type's impl block,
//! checked into a [`NodeDefinition`], with every problem kept as an error
//! spanned on the tokens at fault.
//!
//! This is an ordinary module over `proc_macro2` and `syn`, with nothing that
//! needs a compiler session, so plain unit tests exercise it.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::visit::Visit;
use syn::{
    Expr, ExprMethodCall, FnArg, GenericParam, Ident, ImplItem, ImplItemFn, Item, ItemImpl, Lit,
    LitInt, LitStr, Pat, Path, ReceiverKind, ReturnType, Signature, Token, Type, Visibility,
    WherePredicate,
};

/// The problems found so far. The macro reports all of them at once, so a
/// user fixes a node in one round rather than one error per build.
#[derive(Default)]
pub(crate) struct Errors(Vec<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.0.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn push_error(&mut self, error: syn::Error) {
        self.0.push(error);
    }

    /// The errors combined into one, as `compile_error!` invocations.
    pub(crate) fn into_compile_error(self) -> TokenStream {
        let mut errors = self.0.into_iter();
        let Some(mut combined) = errors.next() else {
            return TokenStream::new();
        };
        for error in errors {
            combined.combine(error);
        }
        combined.into_compile_error()
    }

    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// The arguments of `#[psos::node(type = "...", outputs = N, tick_ms = N)]`.
/// A field is `None` when the argument is missing or invalid; either way an
/// error has been recorded.
#[derive(Default)]
pub(crate) struct Arguments {
    /// The node's type name in the flow, as written, so that errors about it
    /// can point at it.
    pub(crate) type_name: Option<LitStr>,
    pub(crate) outputs: Option<usize>,
    /// How often `tick` runs, with the `tick_ms` key that errors about the
    /// tick point at.
    pub(crate) tick_ms: Option<(Path, u64)>,
    /// The keys that were given, valid or not, so that an invalid argument is
    /// not also reported as missing.
    given: Vec<String>,
}

impl Arguments {
    fn is_given(&self, key: &str) -> bool {
        self.given.iter().any(|given| given == key)
    }
}

const TYPE_EXAMPLE: &str = "`type = \"my-node\"`";
const OUTPUTS_EXAMPLE: &str = "`outputs = 1`";
const TICK_MS_EXAMPLE: &str = "`tick_ms = 1000`";

/// Reads the attribute's arguments, recording what is wrong with them.
pub(crate) fn parse_arguments(tokens: TokenStream, errors: &mut Errors) -> Arguments {
    let mut arguments = Arguments::default();
    let parser = syn::meta::parser(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(|ident| ident.unraw().to_string())
            .unwrap_or_default();
        // The value is read whatever the key, so that one bad argument does
        // not hide the ones after it.
        let value = if meta.input.peek(Token![=]) {
            Some(meta.value()?.parse::<Expr>()?)
        } else {
            if meta.input.peek(syn::token::Paren) {
                meta.input.parse::<TokenTree>()?;
            }
            None
        };
        let example = match key.as_str() {
            "type" => TYPE_EXAMPLE,
            "outputs" => OUTPUTS_EXAMPLE,
            "tick_ms" => TICK_MS_EXAMPLE,
            _ => {
                errors.push(
                    &meta.path,
                    format!(
                        "unknown argument `{}`: #[psos::node] takes `type`, `outputs` and `tick_ms`",
                        meta.path.to_token_stream()
                    ),
                );
                return Ok(());
            }
        };
        if arguments.is_given(&key) {
            errors.push(&meta.path, format!("`{key}` is given twice"));
            return Ok(());
        }
        arguments.given.push(key.clone());
        let Some(value) = value else {
            errors.push(&meta.path, format!("`{key}` needs a value: {example}"));
            return Ok(());
        };
        match key.as_str() {
            "type" => arguments.type_name = type_name(&value, errors),
            "outputs" => {
                arguments.outputs = integer(&value).or_else(|| {
                    errors.push(
                        &value,
                        format!(
                            "`outputs` is the node's number of output ports, a whole number: {OUTPUTS_EXAMPLE}"
                        ),
                    );
                    None
                });
            }
            _ => {
                arguments.tick_ms = integer(&value)
                    .filter(|tick_ms| *tick_ms > 0)
                    .map(|tick_ms| (meta.path.clone(), tick_ms))
                    .or_else(|| {
                        errors.push(
                            &value,
                            format!(
                                "`tick_ms` is how often `tick` runs, in milliseconds, at least 1: {TICK_MS_EXAMPLE}"
                            ),
                        );
                        None
                    });
            }
        }
        Ok(())
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, tokens) {
        errors.push_error(error);
    }
    // A missing argument has no tokens of its own: the error points at the
    // whole attribute.
    if !arguments.is_given("type") {
        errors.push_error(syn::Error::new(
            Span::call_site(),
            format!("#[psos::node] needs the node's type name in the flow: {TYPE_EXAMPLE}"),
        ));
    }
    if !arguments.is_given("outputs") {
        errors.push_error(syn::Error::new(
            Span::call_site(),
            format!("#[psos::node] needs the node's number of output ports: {OUTPUTS_EXAMPLE}"),
        ));
    }
    arguments
}

fn type_name(value: &Expr, errors: &mut Errors) -> Option<LitStr> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(name),
            ..
        }) if !name.value().is_empty() => Some(name.clone()),
        _ => {
            errors.push(
                value,
                format!("`type` is the node's type name in the flow, a non-empty string: {TYPE_EXAMPLE}"),
            );
            None
        }
    }
}

fn integer<T>(value: &Expr) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: Display,
{
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(number),
            ..
        }) => number.base10_parse().ok(),
        _ => None,
    }
}

/// The types a node's property can have: those a value in the flow's JSON
/// becomes as a constant in generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PropertyType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    /// `&'static str`.
    Str,
}

const PROPERTY_TYPES: &str = "bool, u8, u16, u32, u64, i8, i16, i32, i64, f32, f64 or &'static str";

impl PropertyType {
    /// The type as Rust spells it.
    pub(crate) fn rust_name(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::U8 => "u8",
            Self::U16 => "u16",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::F32 => "f32",
            Self::F64 => "f64",
            Self::Str => "&'static str",
        }
    }

    pub(crate) fn of(ty: &Type) -> Option<Self> {
        match ty {
            Type::Group(group) => Self::of(&group.elem),
            Type::Paren(paren) => Self::of(&paren.elem),
            Type::Reference(reference) => {
                let is_static = reference
                    .lifetime
                    .as_ref()
                    .is_some_and(|lifetime| lifetime.ident == "static");
                let is_str = matches!(plain_ident(&reference.elem), Some(name) if name == "str");
                (is_static && is_str && reference.mutability.is_none()).then_some(Self::Str)
            }
            _ => match plain_ident(ty)?.to_string().as_str() {
                "bool" => Some(Self::Bool),
                "u8" => Some(Self::U8),
                "u16" => Some(Self::U16),
                "u32" => Some(Self::U32),
                "u64" => Some(Self::U64),
                "i8" => Some(Self::I8),
                "i16" => Some(Self::I16),
                "i32" => Some(Self::I32),
                "i64" => Some(Self::I64),
                "f32" => Some(Self::F32),
                "f64" => Some(Self::F64),
                _ => None,
            },
        }
    }
}

/// The name of a type written as one plain identifier, like `u8`.
fn plain_ident(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            let ident = path.path.get_ident()?;
            Some(ident)
        }
        _ => None,
    }
}

/// One property of the node: a parameter of `new`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Property {
    /// The name in the flow, which is the parameter's name.
    pub(crate) name: String,
    pub(crate) ty: PropertyType,
}

/// A node type as its impl block declares it. The hooks are `Some` only when
/// present and well formed, so that what is emitted from them compiles.
pub(crate) struct NodeDefinition<'a> {
    pub(crate) item: &'a ItemImpl,
    pub(crate) properties: Vec<Property>,
    pub(crate) input: Option<&'a ImplItemFn>,
    pub(crate) start: Option<&'a ImplItemFn>,
    pub(crate) tick: Option<&'a ImplItemFn>,
}

/// A method the runtime calls, found by its name.
struct Hook {
    name: &'static str,
    /// What it takes besides `self`, in words.
    takes: &'static str,
    n_params: usize,
    signature: &'static str,
}

const INPUT: Hook = Hook {
    name: "input",
    takes: "the device, the message and the outputs",
    n_params: 3,
    signature: "pub fn input<const N: usize>(&mut self, device: &psos::Device, msg: &mut psos::Msg<N>, out: &mut impl psos::Outputs<N>)",
};

const START: Hook = Hook {
    name: "start",
    takes: "the device and the outputs",
    n_params: 2,
    signature: "pub fn start<const N: usize>(&mut self, device: &psos::Device, out: &mut impl psos::Outputs<N>)",
};

const TICK: Hook = Hook {
    name: "tick",
    takes: "the device and the outputs",
    n_params: 2,
    signature: "pub fn tick<const N: usize>(&mut self, device: &psos::Device, out: &mut impl psos::Outputs<N>)",
};

/// Reads the item the attribute is on. Anything but an inherent impl block
/// is an error, and there is then nothing to define.
pub(crate) fn read_item<'a>(
    item: &'a Item,
    arguments: &Arguments,
    errors: &mut Errors,
) -> Option<NodeDefinition<'a>> {
    let (tokens, what) = match item {
        Item::Impl(item) => match &item.trait_ {
            None => return Some(read_impl(item, arguments, errors)),
            Some((path, _)) => (path.to_token_stream(), "an impl of a trait"),
        },
        Item::Struct(item) => {
            let (keyword, name) = (&item.struct_token, &item.ident);
            (quote!(#keyword #name), "a struct")
        }
        Item::Enum(item) => {
            let (keyword, name) = (&item.enum_token, &item.ident);
            (quote!(#keyword #name), "an enum")
        }
        Item::Fn(item) => (item.sig.to_token_stream(), "a function"),
        _ => (item.to_token_stream(), "this item"),
    };
    errors.push(
        tokens,
        format!(
            "#[psos::node] goes on the impl block of a node type, `impl MyNode {{ ... }}` with `new` and `input` in it, not on {what}"
        ),
    );
    None
}

fn read_impl<'a>(
    item: &'a ItemImpl,
    arguments: &Arguments,
    errors: &mut Errors,
) -> NodeDefinition<'a> {
    let type_label = match &*item.self_ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |segment| segment.ident.to_string()),
        other => other.to_token_stream().to_string(),
    };
    let find = |name: &str| {
        item.items.iter().find_map(|member| match member {
            ImplItem::Fn(function) if function.sig.ident == name => Some(function),
            _ => None,
        })
    };
    let properties = match find("new") {
        Some(new) => read_new(new, &item.self_ty, errors),
        None => {
            errors.push(
                &item.self_ty,
                format!(
                    "node type `{type_label}` has no `new` function: add `pub const fn new(...) -> Self` to this impl block; its parameters are the node's properties in the flow"
                ),
            );
            Vec::new()
        }
    };
    let input = find(INPUT.name);
    if input.is_none() {
        errors.push(
            &item.self_ty,
            format!(
                "node type `{type_label}` has no `input` method: add `{}` to this impl block",
                INPUT.signature
            ),
        );
    }
    let input = input.filter(|input| check_hook(input, &INPUT, errors));
    let start = find(START.name).filter(|start| check_hook(start, &START, errors));
    let tick = find(TICK.name);
    match (tick, &arguments.tick_ms) {
        (Some(tick), None) if !arguments.is_given("tick_ms") => errors.push(
            &tick.sig.ident,
            format!("`tick` needs to know how often to run: add {TICK_MS_EXAMPLE} to #[psos::node(...)]"),
        ),
        (None, Some((key, _))) => errors.push(
            key,
            format!(
                "`tick_ms` says how often `tick` runs, but there is no `tick` method: add `{}` or remove `tick_ms`",
                TICK.signature
            ),
        ),
        _ => {}
    }
    let tick = tick.filter(|tick| check_hook(tick, &TICK, errors));
    if let Some(outputs) = arguments.outputs {
        check_ports(item, outputs, errors);
    }
    NodeDefinition {
        item,
        properties,
        input,
        start,
        tick,
    }
}

/// Checks that a hook is a method the runtime can call.
fn check_hook(function: &ImplItemFn, hook: &Hook, errors: &mut Errors) -> bool {
    let sig = &function.sig;
    let by_reference = matches!(
        sig.receiver().map(|receiver| &receiver.kind),
        Some(ReceiverKind::Reference(..))
    );
    let n_params = sig
        .inputs
        .iter()
        .filter(|param| matches!(param, FnArg::Typed(_)))
        .count();
    let plain = sig.asyncness.is_none() && sig.variadic.is_none();
    if by_reference && plain && n_params == hook.n_params {
        return true;
    }
    errors.push(
        sig,
        format!(
            "`{}` must be a plain method that takes `&mut self`, then {}: `{}`",
            hook.name, hook.takes, hook.signature
        ),
    );
    false
}

/// Reads the properties from `new`'s parameters, checking that generated
/// code can call it in a `static`'s initialiser.
fn read_new(new: &ImplItemFn, self_ty: &Type, errors: &mut Errors) -> Vec<Property> {
    let sig = &new.sig;
    if !matches!(new.vis, Visibility::Public(_)) {
        errors.push(
            &sig.ident,
            "`new` must be `pub`: the generated firmware calls it from its own crate",
        );
    }
    if sig.constness.is_none() {
        errors.push(
            &sig.ident,
            "`new` must be a `const fn`: the generated firmware builds each node in a `static`",
        );
    }
    let returns_self = match &sig.output {
        ReturnType::Type(_, ty) => {
            matches!(plain_ident(ty), Some(name) if name == "Self")
                || ty.to_token_stream().to_string() == self_ty.to_token_stream().to_string()
        }
        ReturnType::Default => false,
    };
    if !returns_self {
        errors.push(sig_end(sig), "`new` must return `Self`");
    }
    let mut properties = Vec::new();
    for param in &sig.inputs {
        match param {
            FnArg::Receiver(receiver) => {
                errors.push(receiver, "`new` takes the node's properties, not `self`")
            }
            FnArg::Typed(param) => {
                let name = match &*param.pat {
                    Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                        Some(pat.ident.unraw().to_string())
                    }
                    other => {
                        errors.push(
                            other,
                            "a parameter of `new` must be a plain name: it is the name of the node's property in the flow",
                        );
                        None
                    }
                };
                let ty = PropertyType::of(&param.ty);
                if ty.is_none() {
                    let property = match &name {
                        Some(name) => format!("property `{name}`"),
                        None => "this property".to_string(),
                    };
                    errors.push(
                        &param.ty,
                        format!(
                            "{property} cannot have this type: a node's properties come from the flow as {PROPERTY_TYPES}"
                        ),
                    );
                }
                if let (Some(name), Some(ty)) = (name, ty) {
                    properties.push(Property { name, ty });
                }
            }
        }
    }
    properties
}

/// Where an error about what a function returns points: at the return type,
/// or at the parameters when there is none.
fn sig_end(sig: &Signature) -> TokenStream {
    match &sig.output {
        ReturnType::Type(arrow, ty) => quote!(#arrow #ty),
        ReturnType::Default => {
            let ident = &sig.ident;
            let mut tokens = quote!(#ident);
            sig.paren_token
                .surround(&mut tokens, |tokens| sig.inputs.to_tokens(tokens));
            tokens
        }
    }
}

/// Reports each `out.send(K, ...)` in the impl block whose literal port `K`
/// is not one of the node's ports.
fn check_ports(item: &ItemImpl, outputs: usize, errors: &mut Errors) {
    for member in &item.items {
        let ImplItem::Fn(function) = member else {
            continue;
        };
        let mut sends = LiteralSends {
            outputs_params: outputs_params(&function.sig),
            ports: Vec::new(),
        };
        if sends.outputs_params.is_empty() {
            continue;
        }
        sends.visit_block(&function.block);
        for (literal, port) in sends.ports {
            if port < outputs {
                continue;
            }
            let ports = match outputs {
                0 => "so it has no port to send to".to_string(),
                1 => "so its only port is 0".to_string(),
                _ => format!("so its ports are 0 to {}", outputs - 1),
            };
            errors.push(
                literal,
                format!(
                    "port {port} does not exist: the node declares `outputs = {outputs}`, {ports}"
                ),
            );
        }
    }
}

/// The names of a method's parameters that are a node's outputs: those whose
/// type names `Outputs`, directly (`&mut impl Outputs<N>`) or through a type
/// parameter bounded by it (`out: &mut O` with `O: Outputs<N>`).
fn outputs_params(sig: &Signature) -> Vec<Ident> {
    let mut outputs_types = vec![Ident::new("Outputs", Span::call_site())];
    for param in &sig.generics.params {
        if let GenericParam::Type(param) = param {
            if mentions(param.bounds.to_token_stream(), &outputs_types[..1]) {
                outputs_types.push(param.ident.clone());
            }
        }
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        for predicate in &where_clause.predicates {
            if let WherePredicate::Type(predicate) = predicate {
                if let Some(ident) = plain_ident(&predicate.bounded_ty) {
                    if mentions(predicate.bounds.to_token_stream(), &outputs_types[..1]) {
                        outputs_types.push(ident.clone());
                    }
                }
            }
        }
    }
    sig.inputs
        .iter()
        .filter_map(|param| match param {
            FnArg::Typed(param) => match &*param.pat {
                Pat::Ident(pat) if mentions(param.ty.to_token_stream(), &outputs_types) => {
                    Some(pat.ident.clone())
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn mentions(tokens: TokenStream, names: &[Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => names.contains(&ident),
        TokenTree::Group(group) => mentions(group.stream(), names),
        _ => false,
    })
}

/// Finds `out.send(K, ...)` calls with a literal port, where `out` is one of
/// the method's outputs parameters.
struct LiteralSends {
    outputs_params: Vec<Ident>,
    ports: Vec<(LitInt, usize)>,
}

impl<'ast> Visit<'ast> for LiteralSends {
    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        let on_outputs = match &*call.receiver {
            Expr::Path(path) => path
                .path
                .get_ident()
                .is_some_and(|ident| self.outputs_params.contains(ident)),
            _ => false,
        };
        if on_outputs && call.method == "send" && call.args.len() == 2 {
            if let Some(Expr::Lit(syn::ExprLit {
                lit: Lit::Int(literal),
                ..
            })) = call.args.first()
            {
                if let Ok(port) = literal.base10_parse::<usize>() {
                    self.ports.push((literal.clone(), port));
                }
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads an attribute and an item; returns the properties it found and
    /// the error messages.
    fn check(
        attribute: &str,
        item: &str,
        expect_properties: &[(&str, PropertyType)],
        expect_errors: &[&str],
    ) {
        let mut errors = Errors::default();
        let arguments = parse_arguments(attribute.parse().unwrap(), &mut errors);
        let item: Item = syn::parse_str(item).unwrap();
        let properties = read_item(&item, &arguments, &mut errors)
            .map(|definition| definition.properties)
            .unwrap_or_default();
        let properties: Vec<(&str, PropertyType)> = properties
            .iter()
            .map(|property| (property.name.as_str(), property.ty))
            .collect();
        assert_eq!(properties, expect_properties);
        let messages = errors.messages();
        assert_eq!(messages.len(), expect_errors.len(), "{messages:#?}");
        for (message, expect) in messages.iter().zip(expect_errors) {
            assert!(
                message.contains(expect),
                "{message:?} should contain {expect:?}"
            );
        }
    }

    const NODE: &str = r#"
        impl Gate {
            pub const fn new(open: bool, limit: f64, r#type: &'static str) -> Self { todo!() }
            pub fn input<const N: usize>(&mut self, device: &psos::Device, msg: &mut psos::Msg<N>, out: &mut impl psos::Outputs<N>) {
                out.send(1, msg);
            }
        }
    "#;

    #[test]
    fn a_well_formed_node_has_its_properties_in_order() {
        check(
            r#"type = "gate", outputs = 2"#,
            NODE,
            &[
                ("open", PropertyType::Bool),
                ("limit", PropertyType::F64),
                ("type", PropertyType::Str),
            ],
            &[],
        );
    }

    #[test]
    fn every_problem_with_the_arguments_is_reported() {
        check(
            r#"type = "", outputs = "2", colour = red, tick_ms = 0"#,
            NODE,
            &[
                ("open", PropertyType::Bool),
                ("limit", PropertyType::F64),
                ("type", PropertyType::Str),
            ],
            &[
                "non-empty string",
                "whole number",
                "unknown argument `colour`",
                "at least 1",
            ],
        );
        check(
            "",
            NODE,
            &[
                ("open", PropertyType::Bool),
                ("limit", PropertyType::F64),
                ("type", PropertyType::Str),
            ],
            &["type name", "output ports"],
        );
        check(
            r#"type = "a", type = "b", outputs"#,
            NODE,
            &[
                ("open", PropertyType::Bool),
                ("limit", PropertyType::F64),
                ("type", PropertyType::Str),
            ],
            &["`type` is given twice", "`outputs` needs a value"],
        );
    }

    #[test]
    fn properties_are_the_types_a_flow_can_give() {
        check(
            r#"type = "t", outputs = 1"#,
            r#"impl T {
                pub const fn new(a: u8, b: String, c: &str, d: &'static mut str, (e, f): (u8, u8), g: core::primitive::u8) -> Self { todo!() }
                fn input(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {}
            }"#,
            &[("a", PropertyType::U8)],
            &[
                "property `b`",
                "property `c`",
                "property `d`",
                "plain name",
                "this property",
                "property `g`",
            ],
        );
    }

    #[test]
    fn new_must_be_callable_in_a_static() {
        check(
            r#"type = "t", outputs = 1"#,
            r#"impl T {
                fn new(&self) {}
                fn input(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {}
            }"#,
            &[],
            &[
                "must be `pub`",
                "must be a `const fn`",
                "must return `Self`",
                "not `self`",
            ],
        );
    }

    #[test]
    fn hooks_need_their_parameters() {
        check(
            r#"type = "t", outputs = 1, tick_ms = 10"#,
            r#"impl T {
                pub const fn new() -> T { T }
                fn input(&mut self, msg: &mut Msg<N>) {}
                async fn start(&mut self, device: &Device, out: &mut O) {}
                fn tick(self, device: &Device, out: &mut O) {}
            }"#,
            &[],
            &["`input` must be", "`start` must be", "`tick` must be"],
        );
        check(
            r#"type = "t", outputs = 1"#,
            "impl T { pub const fn new() -> Self { T } }",
            &[],
            &["no `input` method"],
        );
    }

    #[test]
    fn tick_and_tick_ms_come_together() {
        let node = |tick: &str| {
            format!(
                "impl T {{ pub const fn new() -> Self {{ T }} fn input(&mut self, d: &D, m: &mut M, o: &mut O) {{}} {tick} }}"
            )
        };
        check(
            r#"type = "t", outputs = 1, tick_ms = 5"#,
            &node(""),
            &[],
            &["no `tick` method"],
        );
        check(
            r#"type = "t", outputs = 1"#,
            &node("fn tick(&mut self, d: &D, o: &mut O) {}"),
            &[],
            &["`tick` needs"],
        );
        check(
            r#"type = "t", outputs = 1, tick_ms = 5"#,
            &node("fn tick(&mut self, d: &D, o: &mut O) {}"),
            &[],
            &[],
        );
    }

    #[test]
    fn literal_ports_are_checked_on_outputs_parameters_only() {
        let node = r#"impl T {
            pub const fn new() -> Self { T }
            fn input<O: Outputs<N>>(&mut self, d: &D, m: &mut M, out: &mut O) {
                out.send(0, m);
                if true { out.send(2, m); }
                other.send(5, m);
                out.send(self.port, m);
            }
            fn tick<P>(&mut self, d: &D, emit: &mut P) where P: Outputs<N> { emit.send(3usize, m); }
            fn start(&mut self, d: &D, o: &mut impl psos::Outputs<N>) { o.send(1, m); }
        }"#;
        check(
            r#"type = "t", outputs = 2, tick_ms = 1"#,
            node,
            &[],
            &[
                "port 2 does not exist: the node declares `outputs = 2`, so its ports are 0 to 1",
                "port 3 does not exist",
            ],
        );
        check(
            r#"type = "t", outputs = 0, tick_ms = 1"#,
            node,
            &[],
            &[
                "so it has no port",
                "port 2",
                "port 3",
                "port 1 does not exist",
            ],
        );
    }

    #[test]
    fn only_an_inherent_impl_block_is_a_node() {
        check(
            r#"type = "t", outputs = 1"#,
            "struct T;",
            &[],
            &["not on a struct"],
        );
        check(
            r#"type = "t", outputs = 1"#,
            "impl Clone for T {}",
            &[],
            &["not on an impl of a trait"],
        );
    }
}
