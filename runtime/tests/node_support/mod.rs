//! Runs one node on messages written as JSON and records what it does:
//! what it sends, what it logs to the console, and the errors its device
//! counts. Shared by the conformance suites, which hold Node-RED's own test
//! cases for a node as data.

use std::sync::Mutex;

use psos::console::{set_console, Console};
use psos::{Device, ErrorKind, Msg, Node};

/// Messages in these tests are small; a test of room picks its own size.
pub const CAPACITY: usize = 512;

/// Every console line of the test binary; each case picks out its own by
/// its device's name, as cases run in parallel.
struct Capture(Mutex<Vec<String>>);

impl Console for Capture {
    fn write_line(&self, line: std::fmt::Arguments<'_>) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(line.to_string());
        }
    }
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

/// What a node did with the messages of one case.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Each message it sent, with its port, as compact JSON.
    pub sent: Vec<(usize, String)>,
    /// What it logged, without the device and node prefix.
    pub logged: Vec<String>,
    /// The errors the device counted, by kind, where any.
    pub errors: Vec<(ErrorKind, u32)>,
}

/// Gives each message, written as JSON, to the node on a device of its own
/// named `case`, and records what happens.
pub fn run<T: Node<CAPACITY>>(case: &'static str, node: &mut T, messages: &[&str]) -> Outcome {
    set_console(&CAPTURE);
    let device = Device::new(case, "conformance");
    let mut sent = Vec::new();
    for text in messages {
        let mut msg = Msg::<CAPACITY>::from_json(text.as_bytes())
            .unwrap_or_else(|error| panic!("{case}: the input {text} does not read: {error}"));
        node.input(
            &device,
            &mut msg,
            &mut |port: usize, msg: &mut Msg<CAPACITY>| sent.push((port, format!("{msg:?}"))),
        );
    }
    let prefix = format!("[{case}] ");
    let logged = CAPTURE
        .0
        .lock()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|line| line.strip_prefix(&prefix))
                // Past the node's `[type:label] `.
                .filter_map(|line| line.split_once("] ").map(|(_, text)| text.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let errors = device.errors_seen().collect();
    Outcome {
        sent,
        logged,
        errors,
    }
}

/// What a node sends on port 0 and nothing else: each message as JSON.
pub fn sent_only(messages: &[&str]) -> Outcome {
    Outcome {
        sent: messages.iter().map(|msg| (0, msg.to_string())).collect(),
        ..Outcome::default()
    }
}
