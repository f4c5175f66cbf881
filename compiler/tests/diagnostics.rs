//! Golden tests of rendered diagnostics: each `diagnostics/NAME.json` is a
//! minimal bad flow, and `diagnostics/NAME.txt` what psosc reports for it
//! (no colour, fixed width), followed by the same as JSON lines.
//!
//! To accept new output: `PSOS_BLESS=1 cargo test -p psosc --test diagnostics`.

use std::path::{Path, PathBuf};

use psosc::diagnostic::{render_human, render_json, Style};
use psosc::SourceFile;

fn environment(name: &str) -> Option<String> {
    (name == "GREETING").then(|| "hello".to_string())
}

fn check(flow_path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(flow_path).map_err(|error| error.to_string())?;
    let name = flow_path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = SourceFile::new(name, text).in_dir(flow_path.parent().unwrap_or(Path::new(".")));
    let (flow, diagnostics) = psosc::check(&source, &environment);
    if diagnostics.is_empty() {
        return Err(format!("{}: no diagnostics at all", flow_path.display()));
    }
    let has_errors = diagnostics.iter().any(|d| d.is_error());
    if flow.is_some() == has_errors {
        return Err(format!(
            "{}: a flow came back despite errors, or none without",
            flow_path.display()
        ));
    }
    let actual = format!(
        "{}\n{}",
        render_human(&diagnostics, &source, Style::Plain { width: 100 }),
        render_json(&diagnostics, &source)
    );
    let expect_path = flow_path.with_extension("txt");
    if std::env::var_os("PSOS_BLESS").is_some() {
        std::fs::write(&expect_path, &actual).map_err(|error| error.to_string())?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
    if expected != actual {
        return Err(format!(
            "{} differs from what psosc reports now:\n{actual}\n(to accept it: PSOS_BLESS=1 cargo test -p psosc --test diagnostics)",
            expect_path.display()
        ));
    }
    Ok(())
}

#[test]
fn every_bad_flow_reports_as_its_golden_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("diagnostics");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the diagnostics folder exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "expected the diagnostic cases, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases.iter().filter_map(|case| check(case).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
