//! The built-in nodes: Node-RED's core nodes as PSOS runs them.

mod batch;
mod catch;
mod change;
mod complete;
mod csv;
mod debug;
mod delay;
mod filter;
mod inject;
mod join;
mod json;
mod link;
mod mqtt;
mod range;
mod smooth;
mod sort;
mod split;
mod status;
mod switch;
mod switch_sequences;
mod template;
mod trigger;

pub use batch::{Batch, BatchMode};
pub use catch::{catch_error, error_message, error_text, Catch, Catching, CATCH_LIMIT};
pub use change::{
    substitute, Change, ChangeRule, ChangeValue, Groups, Match, Pattern, Property, ReplaceError,
    Scope, TextKind,
};
pub use complete::{
    complete_message, completed, Complete, Done, Finishing, Kept, Pending, Unwatched, Watched,
};
pub use csv::{
    clean_names, is_good_legacy_template, read_columns, Csv, CsvError, CsvHeader, CsvSettings,
    QUOTE,
};
pub use debug::{
    Debug, DebugCounter, DebugStatus, DebugTarget, Sidebar, COUNTER_QUIET_MS, COUNTER_WAIT_MS,
    STATUS_LENGTH,
};
pub use delay::{
    burst_timers, timer_ms, Burst, Delay, DelayMode, DelayStatus, DepthReport, RandomCounts,
    BURST_FULL, BURST_OPEN, DEPTH_REPORT_MS, TIMEOUT_MAX_MS,
};
pub use filter::{Filter, FilterMode, FilterSettings, Gap};
pub use inject::{Inject, InjectProp, InjectValue, UNSUPPORTED_PROP};
pub use join::{CustomJoin, Join, JoinBuild, JoinMode, Joiner};
pub use json::{Json, JsonAction, MAX_SCHEMA_DEPTH, OBJECT_PROTOTYPE_MEMBERS, PRETTY_INDENT};
pub use link::{
    find_target, DynamicLinkCall, LinkAnswer, LinkCall, LinkReturn, LinkTarget, LookupError,
    TimedLinkCall, UnlinkedCall, LINK_SOURCE,
};
pub use mqtt::{topic_matches, Datatype, MqttIn, MqttOut};
pub use range::{Interval, Range, RangeAction};
pub use smooth::{sqrt, Smooth, SmoothAction, SmoothSettings, SMOOTH_TOPIC_BYTES};
pub use sort::{Sort, SortConfig, MAX_ITEMS};
pub use split::{Split, SplitAt, SplitConfig};
pub use status::{Status, SubflowStatus};
pub use switch::{JsType, Switch, SwitchOp, SwitchOperand, SwitchRule, MAX_CONTEXT_RULES};
pub use switch_sequences::{SequenceSwitch, MAX_REPAIR_RULES, TOO_MANY_PENDING};
pub use template::{Mustache, Name, Template, TemplateBody, Token, MAX_SECTION_DEPTH};
pub use trigger::{Now, Trigger, TriggerConfig, TriggerValue};
