//! The built-in nodes: Node-RED's core nodes as PSOS runs them.

mod change;
mod debug;
mod inject;
mod switch;

pub use change::{Change, ChangeRule};
pub use debug::{Debug, DebugTarget};
pub use inject::{Inject, InjectProp, InjectValue};
pub use switch::{Switch, SwitchOp, SwitchRule};
