//! Writing generated crates to disk: the one place psosc touches the file
//! system besides reading the flow.

use std::io;
use std::path::{Path, PathBuf};

use crate::codegen::{self, GeneratedFile};
use crate::ir::Flow;

/// Why the crates could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot find the psos runtime at {path}: {source}; pass --runtime DIR")]
    Runtime { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The runtime's path as a device crate in `out_dir` sees it: relative, so
/// the same output is written on every machine.
pub fn runtime_path(out_dir: &Path, runtime: &Path) -> Result<String, OutputError> {
    let write_error = |source| OutputError::Write {
        path: out_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(write_error)?;
    let out_abs = out_dir.canonicalize().map_err(write_error)?;
    let runtime_abs = runtime
        .canonicalize()
        .map_err(|source| OutputError::Runtime {
            path: runtime.to_path_buf(),
            source,
        })?;
    // Every device crate sits one level below the output directory.
    let relative =
        pathdiff::diff_paths(&runtime_abs, out_abs.join("device")).unwrap_or(runtime_abs);
    Ok(relative.to_string_lossy().replace('\\', "/"))
}

/// The options for generating `flow` into `out_dir` against a runtime: the
/// board support crates live in `boards/` beside the runtime, as in the
/// repository; node crates are where the flow says.
pub fn options(
    flow: &Flow,
    out_dir: &Path,
    runtime: &Path,
) -> Result<codegen::Options, OutputError> {
    let runtime_path = runtime_path(out_dir, runtime)?;
    let boards_path = match runtime_path.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/boards"),
        None => "boards".to_string(),
    };
    let device_dir = out_dir
        .canonicalize()
        .map_err(|source| OutputError::Write {
            path: out_dir.to_path_buf(),
            source,
        })?
        .join("device");
    let node_crate_paths = flow
        .node_crates
        .iter()
        .map(|node_crate| {
            pathdiff::diff_paths(&node_crate.dir, &device_dir)
                .unwrap_or_else(|| node_crate.dir.clone())
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    Ok(codegen::Options {
        runtime_path,
        boards_path,
        node_crate_paths,
    })
}

/// Generates the flow's crates into `out_dir`. Files whose contents did not
/// change are left alone, so cargo does not rebuild them. Returns how many
/// files were written.
pub fn write_crates(flow: &Flow, out_dir: &Path, runtime: &Path) -> Result<usize, OutputError> {
    let files = codegen::generate(flow, &options(flow, out_dir, runtime)?);
    write_files(out_dir, &files)
}

pub fn write_files(out_dir: &Path, files: &[GeneratedFile]) -> Result<usize, OutputError> {
    let mut written = 0;
    for file in files {
        let path = out_dir.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        let write_error = |source| OutputError::Write {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        std::fs::write(&path, &file.contents).map_err(write_error)?;
        written += 1;
    }
    Ok(written)
}
