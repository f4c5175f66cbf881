//! The `psosc` command line: a thin layer over the psosc library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use psosc::diagnostic::{render_human, render_json, Style};
use psosc::SourceFile;

/// The PSOS compiler: turns a Node-RED flow into one firmware crate per device.
///
/// A flow is the JSON that Node-RED exports. Declare devices with config
/// nodes {"type": "psos-device", "id": "...", "name": "sensor", "board": "host"}
/// and pin nodes to them with a "device" property (or PSOS_DEVICE in the env
/// of their tab or group); psosc places the other nodes where the wires
/// between devices carry least. A flow without devices runs on one host
/// device.
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
        placement: PlacementOptions,
        #[command(flatten)]
        report: ReportOptions,
    },
    /// Show which node runs on which device and why, and the wires between
    /// devices with their MQTT topics, without writing anything.
    ///
    /// The plan is what `psosc build` with the same OUT_DIR would write as
    /// plan.json. Exit status as for check.
    Plan {
        /// The flow file (a Node-RED export).
        flow: PathBuf,
        /// text for a terminal, json (plan.json), dot (Graphviz), svg (a
        /// picture), html (the picture and tables).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        #[command(flatten)]
        placement: PlacementOptions,
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
        #[command(flatten)]
        placement: PlacementOptions,
        /// The psos runtime crate the generated crates depend on
        /// [default: the runtime psosc was built with].
        #[arg(long, value_name = "DIR", env = "PSOS_RUNTIME")]
        runtime: Option<PathBuf>,
        #[command(flatten)]
        report: ReportOptions,
    },
    /// Build every device of a flow and run them all on this computer,
    /// with an MQTT broker, until Ctrl-C or for a set time.
    ///
    /// `host` devices run as processes, `qemu-lm3s6965` devices under
    /// qemu-system-arm with UART0 connected to the broker. Each line a
    /// device prints is shown behind its name. Unless --broker is given,
    /// psosc starts its own broker on free loopback ports and prints them
    /// (`psosc: broker listening on 127.0.0.1:PORT (MQTT 5)`, and another
    /// port for MQTT 3.1.1).
    ///
    /// Exit status: 0 when the run ends by Ctrl-C, by --for, or with every
    /// device ending well; 1 when the flow has errors; 2 when a build, the
    /// broker or a device fails, or the command is wrong.
    Run {
        /// The flow file (a Node-RED export).
        flow: PathBuf,
        /// Use this broker instead of starting one: mqtt://HOST[:PORT], or
        /// mqtts://HOST[:PORT] for TLS (the broker's certificate checked
        /// against PSOS_MQTT_CA, or else the public roots).
        #[arg(long, value_name = "URL", value_parser = parse_broker_url)]
        broker: Option<psosc::run::BrokerUrl>,
        /// Give the devices the broker's user, password and CA file from
        /// this file: lines PSOS_MQTT_USERNAME=…, PSOS_MQTT_PASSWORD=…,
        /// PSOS_MQTT_CA=… (the same variables are also taken from psosc's
        /// environment). Never printed.
        #[arg(long, value_name = "FILE")]
        secrets: Option<PathBuf>,
        /// Stop after this long (`500ms`, `4s`, `2m`) instead of at Ctrl-C.
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        run_for: Option<Duration>,
        /// Where to generate and build the crates
        /// [default: target/psos-run/<flow file stem>].
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

fn parse_broker_url(text: &str) -> Result<psosc::run::BrokerUrl, psosc::run::BrokerUrlError> {
    text.parse()
}

#[derive(clap::Args)]
struct PlacementOptions {
    /// Where the crates go [default: generated/<flow file stem>]. The
    /// plan.json of an earlier build there is the previous placement: among
    /// placements that cost the same, psosc keeps nodes where it had them.
    #[arg(short, long, value_name = "OUT_DIR")]
    out_dir: Option<PathBuf>,
    /// Place every node afresh, ignoring OUT_DIR/plan.json.
    #[arg(long)]
    fresh: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
    Dot,
    Svg,
    Html,
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
    let (flow_path, placement, report) = match &cli.command {
        Command::Check {
            flow,
            placement,
            report,
        }
        | Command::Plan {
            flow,
            placement,
            report,
            ..
        }
        | Command::Build {
            flow,
            placement,
            report,
            ..
        } => (flow, Some(placement), report),
        Command::Run { flow, report, .. } => (flow, None, report),
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
    let out_dir = match &cli.command {
        Command::Run { out_dir, .. } => out_dir.clone().unwrap_or_else(|| {
            Path::new("target")
                .join("psos-run")
                .join(flow_stem(flow_path))
        }),
        _ => placement
            .and_then(|placement| placement.out_dir.clone())
            .unwrap_or_else(|| Path::new("generated").join(flow_stem(flow_path))),
    };
    // A plan.json that is missing or unreadable only means no hint.
    let fresh = placement.is_some_and(|placement| placement.fresh);
    let previous = (!fresh)
        .then(|| std::fs::read_to_string(out_dir.join("plan.json")).ok())
        .flatten()
        .and_then(|text| psosc::plan::read_previous(&text));
    let options = psosc::Options {
        previous: previous.as_ref(),
    };
    let (flow, diagnostics) = psosc::check_with(&source, &environment, &options);
    let rendered = match report.message_format {
        MessageFormat::Human => render_human(&diagnostics, &source, Style::Terminal),
        MessageFormat::Json => render_json(&diagnostics, &source),
    };
    eprint!("{rendered}");
    let Some(flow) = flow else {
        return Ok(ExitCode::from(EXIT_FLOW_ERRORS));
    };
    match cli.command {
        Command::Check { .. } => {}
        Command::Plan { format, .. } => {
            let shown = match format {
                PlanFormat::Text => psosc::plan::text(&flow),
                PlanFormat::Json => psosc::plan::json(&flow),
                PlanFormat::Dot => psosc::plan::dot(&flow),
                PlanFormat::Svg => psosc::plan::svg(&flow),
                PlanFormat::Html => psosc::plan::html(&flow),
            };
            std::io::stdout()
                .write_all(shown.as_bytes())
                .map_err(|error| format!("cannot write the plan: {error}"))?;
        }
        Command::Build { runtime, .. } => {
            let runtime = runtime.unwrap_or_else(default_runtime);
            write_crates(&flow, &out_dir, &runtime)?;
        }
        Command::Run {
            broker,
            run_for,
            runtime,
            secrets,
            ..
        } => {
            let secrets = match secrets {
                Some(path) => {
                    psosc::run::Secrets::read(&path).map_err(|error| error.to_string())?
                }
                None => psosc::run::Secrets::default(),
            };
            let options = psosc::run::Options {
                out_dir,
                runtime: runtime.unwrap_or_else(default_runtime),
                broker,
                run_for,
                secrets,
            };
            psosc::run::run(&flow, &options).map_err(|error| error.to_string())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn flow_stem(flow_path: &Path) -> std::ffi::OsString {
    flow_path
        .file_stem()
        .map_or_else(|| "flow".into(), |stem| stem.to_os_string())
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
