//! `generated/` holds psosc's output for every flow in `flows/`; this fails
//! when it is stale. To regenerate: `PSOS_BLESS=1 cargo test -p psos-tests --test generated`
//! (or `psosc build flows/NAME.json` for each flow).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::{check_flow, example_flows, repo_root};

/// Every file under `dir`, relative to it, except build products.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == "target" || name == "Cargo.lock" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                found.insert(relative.to_path_buf());
            }
        }
    }
    found
}

#[test]
fn generated_files_match_the_flows() {
    let bless = std::env::var_os("PSOS_BLESS").is_some();
    let flows = example_flows();
    assert!(
        flows.len() >= 2,
        "expected the example flows, found {flows:?}"
    );
    let mut stale = Vec::new();
    for flow_path in &flows {
        let flow = check_flow(flow_path);
        let stem = flow_path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let out_dir = repo_root().join("generated").join(&stem);
        if bless {
            psosc::output::write_crates(&flow, &out_dir, &repo_root().join("runtime"))
                .expect("generated/ is writable");
            continue;
        }
        let options = psosc::output::options(&flow, &out_dir, &repo_root().join("runtime"))
            .expect("the runtime exists");
        assert_eq!(options.runtime_path, "../../../runtime");
        let files = psosc::codegen::generate(&flow, &options);
        let mut expected = BTreeSet::new();
        for file in &files {
            expected.insert(file.path.clone());
            let on_disk = std::fs::read_to_string(out_dir.join(&file.path)).unwrap_or_default();
            if on_disk != file.contents {
                stale.push(format!("generated/{stem}/{} is stale", file.path.display()));
            }
        }
        for extra in files_under(&out_dir).difference(&expected) {
            stale.push(format!(
                "generated/{stem}/{} is not generated any more",
                extra.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nTo regenerate: PSOS_BLESS=1 cargo test -p psos-tests --test generated",
        stale.join("\n")
    );
}
