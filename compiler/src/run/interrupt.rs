//! Ctrl-C (and SIGTERM, SIGHUP) as a flag that the run polls, so psosc
//! outlives the signal long enough to stop every device it started.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use super::RunError;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The handler can be set once per process; a second run in the same
/// process (a test, say) reuses it.
static HANDLER: OnceLock<Result<(), String>> = OnceLock::new();

/// Catches the signals from now on and clears an earlier interruption.
pub fn install() -> Result<(), RunError> {
    let installed = HANDLER.get_or_init(|| {
        ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
            .map_err(|error| error.to_string())
    });
    INTERRUPTED.store(false, Ordering::SeqCst);
    installed.clone().map_err(RunError::Interrupt)
}

/// Whether a signal asked psosc to stop since [`install`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
