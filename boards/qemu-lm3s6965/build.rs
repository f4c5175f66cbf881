//! Puts the chip's `memory.x` where the linker looks, so that every firmware
//! for this board links with cortex-m-rt's `link.x` without a copy of its own.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(error) = std::fs::write(out.join("memory.x"), include_bytes!("memory.x")) {
        println!("cargo::error=cannot write memory.x to OUT_DIR: {error}");
        return;
    }
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rerun-if-changed=memory.x");
    println!("cargo::rerun-if-changed=build.rs");
}
