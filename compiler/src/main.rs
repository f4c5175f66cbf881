//! The `psosc` command line: a thin layer over the psosc library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use psosc::diagnostic::{render_human, render_json, Style};
use psosc::SourceFile;

/// The PSOS compiler: turns a Node-RED flow into one firmware crate per device.
///
/// A flow is the JSON that Node-RED exports. Declare devices with config
/// nodes {"type": "psos-device", "id": "...", "name": "sensor", "board": "host"}
/// and pin nodes to them with a "device" property (or PSOS_DEVICE in the env
/// of their tab or group). A flow without devices runs on one host device.
#[derive(Parser)]
#[command(name = "psosc", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a flow and report every problem, without writing anything.
    ///
    /// Exit status: 0 when the flow can be built (warnings allowed), 1 when
    /// it has errors, 2 when the file cannot be read or the command is wrong.
    Check {
        /// The flow file (a Node-RED export).
        flow: PathBuf,
        #[command(flatten)]
        report: ReportOptions,
    },
    /// Check a flow and write one Cargo crate per device, plus plan.json.
    ///
    /// Then build a device with `cargo build` (or start it with `cargo run`)
    /// in OUT_DIR/<device>. The crates of one flow form a workspace and share
    /// its target directory.
    Build {
        /// The flow file (a Node-RED export).
        flow: PathBuf,
        /// Where to write the crates [default: generated/<flow file stem>].
        #[arg(short, long, value_name = "OUT_DIR")]
        out_dir: Option<PathBuf>,
        /// The psos runtime crate the generated crates depend on
        /// [default: the runtime psosc was built with].
        #[arg(long, value_name = "DIR", env = "PSOS_RUNTIME")]
        runtime: Option<PathBuf>,
        #[command(flatten)]
        report: ReportOptions,
    },
}

#[derive(clap::Args)]
struct ReportOptions {
    /// How to print diagnostics: for people, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

const EXIT_FLOW_ERRORS: u8 = 1;
const EXIT_USAGE_OR_IO: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("psosc: {message}");
            ExitCode::from(EXIT_USAGE_OR_IO)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let (flow_path, report) = match &cli.command {
        Command::Check { flow, report } | Command::Build { flow, report, .. } => (flow, report),
    };
    let text = std::fs::read_to_string(flow_path)
        .map_err(|error| format!("cannot read {}: {error}", flow_path.display()))?;
    let file_name = flow_path.file_name().map_or_else(
        || flow_path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let dir = flow_path
        .parent()
        .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
    let source = SourceFile::new(file_name, text).in_dir(dir);
    let environment = |name: &str| std::env::var(name).ok();
    let (flow, diagnostics) = psosc::check(&source, &environment);
    let rendered = match report.message_format {
        MessageFormat::Human => render_human(&diagnostics, &source, Style::Terminal),
        MessageFormat::Json => render_json(&diagnostics, &source),
    };
    eprint!("{rendered}");
    let Some(flow) = flow else {
        return Ok(ExitCode::from(EXIT_FLOW_ERRORS));
    };
    if let Command::Build {
        out_dir, runtime, ..
    } = &cli.command
    {
        let out_dir = out_dir
            .clone()
            .unwrap_or_else(|| default_out_dir(flow_path));
        let runtime = runtime.clone().unwrap_or_else(default_runtime);
        write_crates(&flow, &out_dir, &runtime)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn default_out_dir(flow_path: &Path) -> PathBuf {
    let stem = flow_path
        .file_stem()
        .map_or_else(|| "flow".into(), |stem| stem.to_os_string());
    Path::new("generated").join(stem)
}

fn default_runtime() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("runtime")
}

fn write_crates(flow: &psosc::ir::Flow, out_dir: &Path, runtime: &Path) -> Result<(), String> {
    let written =
        psosc::output::write_crates(flow, out_dir, runtime).map_err(|error| error.to_string())?;
    let names: Vec<&str> = flow
        .devices
        .iter()
        .map(|device| device.name.as_str())
        .collect();
    eprintln!(
        "psosc: wrote {} ({} device{}: {}; {} file{} changed)",
        out_dir.display(),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        written,
        if written == 1 { "" } else { "s" },
    );
    Ok(())
}
