//! The `psosc` command as a user runs it: exit codes, output formats, and
//! byte-identical builds from separate processes (each with its own hash seed).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn psosc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_psosc"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("psosc starts")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the temporary file is writable");
    path
}

#[test]
fn exit_codes_follow_the_spec() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write(
        dir.path(),
        "good.json",
        r#"[{"id": "a", "type": "debug", "wires": []}]"#,
    );
    write(
        dir.path(),
        "bad.json",
        r#"[{"id": "a", "type": "debug", "wires": [["b"]]}]"#,
    );
    assert_eq!(
        psosc(&["check", "good.json"], dir.path()).status.code(),
        Some(0)
    );
    assert_eq!(
        psosc(&["check", "bad.json"], dir.path()).status.code(),
        Some(1)
    );
    assert_eq!(
        psosc(&["check", "missing.json"], dir.path()).status.code(),
        Some(2)
    );
    assert_eq!(psosc(&["frobnicate"], dir.path()).status.code(), Some(2));
    let help = psosc(&["build", "--help"], dir.path());
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--out-dir"));
}

#[test]
fn json_diagnostics_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write(
        dir.path(),
        "bad.json",
        "[\n{\"id\": \"a\", \"type\": \"inject\", \"wires\": [[\"gone\"]]},\n{\"id\": \"b\", \"type\": \"swich\"}\n]",
    );
    let output = psosc(
        &["check", "bad.json", "--message-format", "json"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let records: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("{line:?} is not JSON: {error}"))
        })
        .collect();
    let codes: Vec<&str> = records
        .iter()
        .filter_map(|record| record["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "psosc::device::implicit_host",
            "psosc::inject::never_fires",
            "psosc::wire::missing_node",
            "psosc::node::unsupported_type"
        ]
    );
    assert_eq!(records[1]["line"], 2);
    assert_eq!(records[2]["line"], 2);
    assert_eq!(records[2]["node"]["id"], "a");
    assert_eq!(records[3]["line"], 3);
}

#[test]
fn builds_are_byte_identical_across_processes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = repo_root().join("runtime");
    let runtime = runtime.to_str().expect("a UTF-8 path");
    let flow = repo_root().join("flows").join("blink.json");
    let flow = flow.to_str().expect("a UTF-8 path");
    for out in ["one", "two"] {
        let output = psosc(
            &["build", flow, "-o", out, "--runtime", runtime],
            dir.path(),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let files = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut found = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = std::fs::read(&path).expect("readable");
                    found.push((
                        path.strip_prefix(root).expect("inside").to_path_buf(),
                        bytes,
                    ));
                }
            }
        }
        found.sort();
        found
    };
    let one = files(&dir.path().join("one"));
    assert!(
        one.len() >= 5,
        "expected the generated crate, found {one:?}"
    );
    assert_eq!(one, files(&dir.path().join("two")));
}
