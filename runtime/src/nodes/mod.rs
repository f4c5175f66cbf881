//! The built-in nodes: Node-RED's core nodes as PSOS runs them.

mod change;
mod csv;
mod debug;
mod delay;
mod filter;
mod inject;
mod json;
mod mqtt;
mod range;
mod switch;
mod template;
mod trigger;

pub use change::{Change, ChangeRule};
pub use csv::{
    clean_names, is_good_legacy_template, read_columns, Csv, CsvError, CsvHeader, CsvSettings,
    QUOTE,
};
pub use debug::{Debug, DebugTarget};
pub use delay::{timer_ms, Delay, DelayMode, TIMEOUT_MAX_MS};
pub use filter::{Filter, FilterMode, FilterSettings, Gap};
pub use inject::{Inject, InjectProp, InjectValue};
pub use json::{Json, JsonAction, PRETTY_INDENT};
pub use mqtt::{topic_matches, Datatype, MqttIn, MqttOut};
pub use range::{Interval, Range, RangeAction};
pub use switch::{JsType, Switch, SwitchOp, SwitchOperand, SwitchRule};
pub use template::{Name, Template, TemplateBody, Token, MAX_SECTION_DEPTH};
pub use trigger::{Now, Trigger, TriggerConfig, TriggerValue};
