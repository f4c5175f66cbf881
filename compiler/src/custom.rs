//! Custom node types: read from the Rust sources of the node crates a flow
//! names, so a flow that uses one is checked at build time like a flow of
//! built-in nodes. A node type is an impl block marked `#[psos::node(...)]`;
//! its properties are the parameters of its `const fn new`.

use std::path::{Path, PathBuf};

/// A crate of custom node types.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeCrate {
    /// The package name, as a dependency names it.
    pub package: String,
    /// The crate's directory, resolved.
    pub dir: PathBuf,
    pub types: Vec<CustomType>,
}

/// One custom node type, as its `#[psos::node]` impl block declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomType {
    /// The type name in the flow.
    pub type_name: String,
    /// The Rust path of the type: the crate's name, modules, the type.
    pub rust_path: Vec<String>,
    pub outputs: usize,
    pub tick_ms: Option<u64>,
    pub has_start: bool,
    /// The parameters of `new`: each a property of the node in the flow.
    pub properties: Vec<(String, PropertyType)>,
}

/// The Rust types a property can have (what the macro accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyType {
    Bool,
    Integer { signed: bool, bits: u32 },
    Float,
    Str,
}

impl PropertyType {
    fn from_type(ty: &syn::Type) -> Option<Self> {
        match ty {
            syn::Type::Reference(reference) => match &*reference.elem {
                syn::Type::Path(path) if path.path.is_ident("str") => Some(PropertyType::Str),
                _ => None,
            },
            syn::Type::Path(path) => {
                let ident = path.path.get_ident()?.to_string();
                match ident.as_str() {
                    "bool" => Some(PropertyType::Bool),
                    "f32" | "f64" => Some(PropertyType::Float),
                    name => {
                        let signed = name.starts_with('i');
                        let bits: u32 = name.get(1..)?.parse().ok()?;
                        (matches!(name.as_bytes().first(), Some(b'i' | b'u'))
                            && matches!(bits, 8 | 16 | 32 | 64))
                        .then_some(PropertyType::Integer { signed, bits })
                    }
                }
            }
            _ => None,
        }
    }

    /// What a user would write for a value of this type.
    pub fn describe(self) -> String {
        match self {
            PropertyType::Bool => "true or false".to_string(),
            PropertyType::Integer {
                signed: false,
                bits,
            } => format!("a whole number from 0 to {}", u64::MAX >> (64 - bits)),
            PropertyType::Integer { signed: true, bits } => {
                format!(
                    "a whole number from {} to {}",
                    i64::MIN >> (64 - bits),
                    i64::MAX >> (64 - bits)
                )
            }
            PropertyType::Float => "a number".to_string(),
            PropertyType::Str => "a string".to_string(),
        }
    }
}

/// Reads a node crate: its package name from `Cargo.toml`, its node types
/// from every `.rs` file under `src/`. Messages name files by `shown`, the
/// path as the flow writes it, never by where they are on this machine.
pub fn load(dir: &Path, shown: &str) -> Result<NodeCrate, String> {
    let dir = dir
        .canonicalize()
        .map_err(|error| format!("cannot find the crate {shown:?}: {error}"))?;
    let manifest_path = dir.join("Cargo.toml");
    let manifest_shown = format!("{shown}/Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|error| format!("cannot read {manifest_shown}: {error}"))?;
    let manifest: toml::Table = manifest
        .parse()
        .map_err(|error| format!("{manifest_shown} is not valid TOML: {error}"))?;
    let package = manifest
        .get("package")
        .and_then(|package| package.get("name"))
        .and_then(toml::Value::as_str)
        .ok_or_else(|| format!("{manifest_shown} names no package"))?
        .to_string();
    // The name becomes a key in generated manifests and a path in code.
    let valid = package.starts_with(|c: char| c.is_ascii_alphabetic())
        && package
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "{package:?} in {} is not a package name",
            manifest_path.display()
        ));
    }
    let crate_ident = package.replace('-', "_");
    let src = dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut types = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
        let parsed = syn::parse_file(&text)
            .map_err(|error| format!("{} does not parse: {error}", file.display()))?;
        let mut module = vec![crate_ident.clone()];
        module.extend(module_path(&src, &file));
        collect(&parsed.items, &module, &mut types);
    }
    Ok(NodeCrate {
        package,
        dir,
        types,
    })
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The module a source file is, by Rust's file layout: `src/lib.rs` is the
/// crate root, `src/a.rs` and `src/a/mod.rs` are `a`, `src/a/b.rs` is `a::b`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let Ok(relative) = file.strip_prefix(src) else {
        return Vec::new();
    };
    let mut parts: Vec<String> = relative
        .components()
        .map(|component| {
            component
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("lib" | "main" | "mod")
    ) {
        parts.pop();
    }
    parts
}

fn collect(items: &[syn::Item], module: &[String], types: &mut Vec<CustomType>) {
    for item in items {
        match item {
            syn::Item::Impl(block) => {
                if let Some(found) = node_type(block, module) {
                    types.push(found);
                }
            }
            syn::Item::Mod(inner) => {
                if let Some((_, items)) = &inner.content {
                    let mut path = module.to_vec();
                    path.push(inner.ident.to_string());
                    collect(items, &path, types);
                }
            }
            _ => {}
        }
    }
}

/// The node type an impl block declares, if it is marked `#[psos::node]`
/// (or `#[node]`). The macro has checked the block when the crate builds;
/// here a block that does not fit is simply not a node type.
fn node_type(block: &syn::ItemImpl, module: &[String]) -> Option<CustomType> {
    let attribute = block.attrs.iter().find(|attr| {
        let segments: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        matches!(segments.as_slice(), [only] if only == "node") || segments == ["psos", "node"]
    })?;
    let (mut type_name, mut outputs, mut tick_ms) = (None, None, None);
    attribute
        .parse_nested_meta(|meta| {
            let value = meta.value()?;
            if meta.path.is_ident("type") {
                type_name = Some(value.parse::<syn::LitStr>()?.value());
            } else if meta.path.is_ident("outputs") {
                outputs = Some(value.parse::<syn::LitInt>()?.base10_parse::<usize>()?);
            } else if meta.path.is_ident("tick_ms") {
                tick_ms = Some(value.parse::<syn::LitInt>()?.base10_parse::<u64>()?);
            } else {
                return Err(meta.error("unknown argument"));
            }
            Ok(())
        })
        .ok()?;
    let syn::Type::Path(self_type) = &*block.self_ty else {
        return None;
    };
    let type_ident = self_type.path.segments.last()?.ident.to_string();
    let methods: Vec<&syn::ImplItemFn> = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(method) => Some(method),
            _ => None,
        })
        .collect();
    let new = methods.iter().find(|method| method.sig.ident == "new")?;
    let mut properties = Vec::new();
    for input in &new.sig.inputs {
        let syn::FnArg::Typed(typed) = input else {
            return None;
        };
        let syn::Pat::Ident(name) = &*typed.pat else {
            return None;
        };
        properties.push((name.ident.to_string(), PropertyType::from_type(&typed.ty)?));
    }
    let mut rust_path = module.to_vec();
    rust_path.push(type_ident);
    Some(CustomType {
        type_name: type_name?,
        rust_path,
        outputs: outputs?,
        tick_ms,
        has_start: methods.iter().any(|method| method.sig.ident == "start"),
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_crates_declare_their_node_types() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("examples");
        let thermostat = load(&examples.join("thermostat"), "thermostat").unwrap();
        assert_eq!(thermostat.package, "psos-thermostat");
        let hysteresis = &thermostat.types[0];
        assert_eq!(hysteresis.type_name, "hysteresis");
        assert_eq!(hysteresis.rust_path, ["psos_thermostat", "Hysteresis"]);
        assert_eq!(hysteresis.outputs, 1);
        assert_eq!(
            hysteresis.properties,
            [
                ("setpoint".to_string(), PropertyType::Float),
                ("band".to_string(), PropertyType::Float)
            ]
        );
        let average = load(&examples.join("moving-average"), "moving-average").unwrap();
        assert_eq!(average.types[0].type_name, "moving-average");
        let missing = load(&examples.join("nowhere"), "../nowhere").unwrap_err();
        assert!(
            missing.starts_with("cannot find the crate \"../nowhere\""),
            "{missing}"
        );
    }
}
