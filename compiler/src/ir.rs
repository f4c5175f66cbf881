//! The typed intermediate representation: devices, nodes with validated
//! configuration, and resolved wires. Every stage after the front end works
//! on this and never looks at raw JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::json::Span;
pub use crate::partition::Resources;
/// And which header line a `csv` node writes.
pub use psos::nodes::CsvHeader;
pub use psos::nodes::DelayMode;
/// And what a `join` builds.
pub use psos::nodes::JoinBuild;
/// So are the `filter` node's modes and gap.
pub use psos::nodes::{FilterMode, Gap};
/// The settings of `range` and `json` nodes are the runtime's own types:
/// psosc chooses among them and the device acts on them.
pub use psos::nodes::{JsonAction, RangeAction};

pub type NodeIndex = usize;
pub type DeviceIndex = usize;

/// A whole flow, ready for placement and code generation.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    /// The flow file's name (no directories), as generated headers show it.
    pub file_name: String,
    pub devices: Vec<Device>,
    /// In file order.
    pub nodes: Vec<Node>,
    /// Every wire between two runtime nodes, with junctions and links
    /// resolved away, grouped by source node and port, in delivery order.
    pub wires: Vec<Wire>,
    /// The crates of custom node types the flow names (`psos-nodes`).
    pub node_crates: Vec<NodeCrateRef>,
    /// The total weight of the wires between devices.
    pub cost: u64,
    /// Whether the placement is proven to cut the least weight that the
    /// pins and budgets allow.
    pub optimal: bool,
    /// For each node whose errors catch nodes take, those catch nodes in
    /// the order Node-RED gives them the error.
    pub caught_by: BTreeMap<NodeIndex, Vec<NodeIndex>>,
    /// For each node whose status status nodes receive, those status nodes
    /// in the order Node-RED gives them the status.
    pub status_watched_by: BTreeMap<NodeIndex, Vec<NodeIndex>>,
    /// For each node that complete nodes watch, those complete nodes in
    /// the order Node-RED gives them the message the node finished with.
    pub completed_by: BTreeMap<NodeIndex, Vec<NodeIndex>>,
    /// The watchers (as `(node, watcher)`, from `caught_by`,
    /// `status_watched_by` and `completed_by`) whose messages go through
    /// the device's loop queue, as a wire's that closes a loop does:
    /// `place::resources::queued_watches`.
    pub queued_watches: BTreeSet<(NodeIndex, NodeIndex)>,
}

/// A crate of custom node types, as a device crate depends on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCrateRef {
    pub package: String,
    /// The crate's directory, resolved; generated files only ever hold a
    /// path relative to the output.
    pub dir: std::path::PathBuf,
}

impl Flow {
    /// The wires leaving a node's port, in the order Node-RED delivers them.
    pub fn wires_from(&self, node: NodeIndex, port: usize) -> impl Iterator<Item = &Wire> + '_ {
        self.wires
            .iter()
            .filter(move |wire| wire.from == node && wire.port == port)
    }

    /// The nodes placed on a device, in file order.
    pub fn nodes_on(&self, device: DeviceIndex) -> impl Iterator<Item = (NodeIndex, &Node)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, node)| node.device == device)
    }

    /// The wires whose ends run on different devices, in wire order.
    pub fn cut_wires(&self) -> impl Iterator<Item = &Wire> + '_ {
        self.wires
            .iter()
            .filter(move |wire| !self.same_device(wire))
    }

    /// Whether both ends of a wire run on one device.
    pub fn same_device(&self, wire: &Wire) -> bool {
        let device = |node: NodeIndex| self.nodes.get(node).map(|node| node.device);
        device(wire.from) == device(wire.to)
    }

    /// The flow's name in MQTT topics and pictures.
    pub fn name(&self) -> &str {
        flow_name(&self.file_name)
    }
}

/// A flow's name: its file name without `.json`.
pub fn flow_name(file_name: &str) -> &str {
    file_name
        .strip_suffix(".json")
        .filter(|stem| !stem.is_empty())
        .unwrap_or(file_name)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The `psos-device` node's id; `None` for the implicit host device.
    pub id: Option<String>,
    /// The crate name.
    pub name: String,
    pub board: Board,
    /// The bytes a message may take on this device (`messageCapacity`).
    pub message_capacity: usize,
    /// The bytes each of its flow and global context stores holds
    /// (`contextCapacity`).
    pub context_capacity: usize,
    /// How many messages wait for the broker at most (`outbox`).
    pub outbox: usize,
    /// What the device has: its board's, or its own `flash` and `ram`.
    pub budget: Resources,
    /// What psosc estimates the device needs: the runtime and its nodes.
    pub load: Resources,
    /// The stack psosc reserves for it, part of `load`'s RAM.
    pub stack: u64,
    pub span: Option<Span>,
    /// The broker the device keeps a session with, when it uses MQTT.
    pub broker: Option<Broker>,
}

/// An `mqtt-broker` config node, as a device connects to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    /// The config node's id.
    pub id: String,
    pub host: String,
    pub port: u16,
    /// The device's client id at the broker, unique per device.
    pub client_id: String,
    pub keepalive_s: u16,
    /// Where the device retains its `online` / `offline` status.
    pub status_topic: String,
    /// Where the device's debug nodes mirror their sidebar messages.
    pub debug_topic: String,
    /// How the session outlives its connections, and what the device
    /// announces.
    pub session: Session,
    /// TLS (`usetls`), with the `tls-config` node's CA file if it names one.
    pub tls: Option<Tls>,
}

/// TLS to the broker, the server's certificate verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    /// A PEM file of the CA certificates to trust; Mozilla's roots when
    /// `None`.
    pub ca_file: Option<String>,
}

/// The `mqtt-broker` node's session settings, as a device applies them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Seconds the broker keeps the session after a connection drops.
    pub expiry_s: u32,
    /// Whether each connection starts a fresh session (`cleansession`);
    /// otherwise it resumes what the broker kept, also after a restart.
    pub clean_start: bool,
    pub birth: Option<Announcement>,
    pub close: Option<Announcement>,
    pub will: Option<Announcement>,
}

/// A birth, close or will message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
}

/// The boards psosc can generate firmware for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Board {
    #[serde(rename = "host")]
    Host,
    #[serde(rename = "qemu-lm3s6965")]
    QemuLm3s6965,
}

impl Board {
    pub const ALL: &'static [Board] = &[Board::Host, Board::QemuLm3s6965];

    pub fn name(self) -> &'static str {
        match self {
            Board::Host => "host",
            Board::QemuLm3s6965 => "qemu-lm3s6965",
        }
    }

    /// Whether the board has a wall clock (the time of day, in UTC), which
    /// an inject node's `crontab` runs on. A board without one counts time
    /// from start-up only.
    pub fn has_wall_clock(self) -> bool {
        match self {
            Board::Host => true,
            Board::QemuLm3s6965 => false,
        }
    }

    /// Whether the device runs as a process on the build machine.
    pub fn is_host(self) -> bool {
        self == Board::Host
    }

    /// The board support crate a device on this board depends on, under the
    /// repository's `boards/` directory; `None` for the host, whose support
    /// is the runtime's `std` feature.
    pub fn support_crate(self) -> Option<(&'static str, &'static str)> {
        match self {
            Board::Host => None,
            Board::QemuLm3s6965 => Some(("psos-board-qemu-lm3s6965", "qemu-lm3s6965")),
        }
    }

    /// The flash and RAM a device on this board has unless its `flash` and
    /// `ram` say otherwise. A host device is a process on a computer: its
    /// budget is as good as unlimited, yet small enough that sums of many
    /// budgets and loads stay far from overflowing.
    pub fn budget(self) -> Resources {
        const GIB: u64 = 1 << 30;
        match self {
            Board::Host => Resources {
                flash: GIB,
                ram: GIB,
            },
            // The LM3S6965 as QEMU models it (the board's memory.x).
            Board::QemuLm3s6965 => Resources {
                flash: 256 * 1024,
                ram: 64 * 1024,
            },
        }
    }

    pub fn from_name(name: &str) -> Option<Board> {
        Board::ALL
            .iter()
            .copied()
            .find(|board| board.name() == name)
    }
}

/// How a node came to be on its device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// By its own `device` property.
    PinnedByProperty,
    /// By `PSOS_DEVICE` in the `env` of a tab or group.
    PinnedByEnv(Scope),
    /// The flow has only this device.
    OnlyDevice,
    /// The partitioner chose the device.
    Placed,
}

/// A tab or group, as the editor shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub id: String,
    /// `tab` or `group`.
    pub type_name: String,
    /// The tab's label or the group's name; may be empty.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub name: String,
    /// Whether Node-RED defines `node.name` (`RawNode::name_defined`).
    pub name_defined: bool,
    pub type_name: String,
    pub span: Span,
    pub device: DeviceIndex,
    pub placement: Placement,
    /// What psosc estimates the node needs on a device.
    pub resources: Resources,
    pub kind: NodeKind,
    /// The QoS of the node's wires to other devices (`psosQos`, 1 unless
    /// the flow says 0).
    pub wire_qos: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wire {
    pub from: NodeIndex,
    pub port: usize,
    pub to: NodeIndex,
    /// The wire closes a loop of local wires, so its messages go through
    /// the device's bounded queue rather than a direct call.
    pub queued: bool,
    /// For a wire from an `mqtt out` whose topic is only known at run time
    /// to an `mqtt in` of its device: the `mqtt in`'s filter, which
    /// `msg.topic` must match for the message to go this way.
    pub topic_filter: Option<String>,
    /// The traffic the wire carries, in bytes a minute as psosc estimates
    /// it; what cutting it costs the placement.
    pub weight: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Inject(Inject),
    Change(Change),
    Switch(Switch),
    Debug(Debug),
    Custom(Custom),
    MqttIn(MqttIn),
    MqttOut(MqttOut),
    Range(Range),
    Json(JsonNode),
    Delay(Delay),
    Template(Template),
    Filter(Filter),
    Trigger(Trigger),
    LinkCall(LinkCall),
    LinkReturn(LinkReturn),
    /// A link call that a complete node watches, run where the answer of
    /// its subroutine comes back (see `LinkAnswer` in the runtime).
    LinkAnswer,
    /// A static link call that names no enabled link in: the id its
    /// `links` name first, empty for none. It reports Node-RED's error
    /// for each message and sends nothing (`UnlinkedCall` in the runtime).
    UnlinkedCall(String),
    Split(Split),
    Join(Join),
    Batch(Batch),
    Sort(Sort),
    Smooth(Smooth),
    Csv(Csv),
    Catch(Catch),
    Status(StatusNode),
    /// A subflow instance's status port (`subflow-status`), which psosc
    /// makes when it expands the instance.
    SubflowStatus(SubflowStatusPort),
    Complete(Complete),
}

impl NodeKind {
    /// The output ports the flow's `wires` may use.
    pub fn outputs(&self) -> usize {
        match self {
            NodeKind::Inject(_)
            | NodeKind::Change(_)
            | NodeKind::MqttIn(_)
            | NodeKind::Range(_)
            | NodeKind::Json(_)
            | NodeKind::Template(_)
            | NodeKind::Filter(_)
            | NodeKind::Split(_)
            | NodeKind::Join(_)
            | NodeKind::Batch(_)
            | NodeKind::Sort(_)
            | NodeKind::Csv(_)
            | NodeKind::Catch(_)
            | NodeKind::Status(_)
            | NodeKind::Complete(_) => 1,
            NodeKind::Switch(switch) => switch.rules.len(),
            NodeKind::Debug(_) | NodeKind::MqttOut(_) | NodeKind::SubflowStatus(_) => 0,
            NodeKind::Custom(custom) => custom.outputs,
            NodeKind::Delay(delay) => 1 + usize::from(delay.second_output),
            NodeKind::Trigger(trigger) => 1 + usize::from(trigger.second_output),
            NodeKind::LinkCall(call) => {
                call.link_ports()
                    + usize::from(call.timeout.is_some())
                    + usize::from(call.late_port)
            }
            NodeKind::LinkAnswer => 1,
            NodeKind::UnlinkedCall(_) => 0,
            NodeKind::LinkReturn(link_return) => link_return.callers.len(),
            NodeKind::Smooth(_) => 1,
        }
    }

    /// The output ports the device has for the node: the flow's, and for an
    /// `mqtt out` one port on which it delivers to the `mqtt in` nodes of
    /// its own device that subscribe to its topic.
    pub fn runtime_outputs(&self) -> usize {
        match self {
            NodeKind::MqttOut(_) => 1,
            // It sends the instance's status to the status nodes that
            // receive it.
            NodeKind::SubflowStatus(_) => 1,
            other => other.outputs(),
        }
    }

    /// The context stores a node uses: a change node's, an inject's, and
    /// those a switch, trigger or template reads (or a template writes).
    pub fn context_scopes(&self) -> Vec<&Store> {
        match self {
            NodeKind::Change(change) => change.scopes(),
            NodeKind::Inject(inject) => inject.scopes(),
            NodeKind::Switch(switch) => switch.scopes(),
            NodeKind::Trigger(trigger) => trigger.scopes(),
            NodeKind::Template(template) => template.scopes(),
            _ => Vec::new(),
        }
    }
}

/// A `link call` that records itself in the message (`msg._linkSource`),
/// because a subroutine it calls returns to several calls, or because it
/// is dynamic. A static call's one port leads to the `link in` it calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkCall {
    /// The call's number among the flow's link calls.
    pub caller: u16,
    /// For a dynamic call (`linkType` `dynamic`), the link in nodes
    /// `msg.target` may name, port `k` leading to the `k`th; `None` for a
    /// static call.
    pub dynamic: Option<Vec<LinkTarget>>,
    /// For a call whose subroutine may answer after the call has
    /// returned, how long it waits; its answers come back to it and
    /// leave by one more port, after its link in nodes'. `None` for a
    /// call whose subroutine always answers within the call, which
    /// cannot time out and keeps nothing.
    pub timeout: Option<LinkTimeout>,
    /// For a call that may time out that complete nodes watch: one more
    /// port, after the answer port (which leads to its `LinkAnswer`), for
    /// the answers that find no wait (late, or a second answer), which
    /// lead straight to what the call is wired to, as Node-RED sends them
    /// on without calling `done()`.
    pub late_port: bool,
}

impl LinkCall {
    /// The ports that lead to link in nodes: one for a static call, one
    /// per link in for a dynamic one.
    pub fn link_ports(&self) -> usize {
        self.dynamic.as_ref().map_or(1, Vec::len)
    }
}

/// How a link call that may time out waits (`psos::nodes::TimedLinkCall`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTimeout {
    /// The wait, as Node.js's `setTimeout` takes `timeout` seconds: whole
    /// milliseconds, 1 for anything below 1 or beyond 2³¹ − 1.
    pub ms: u64,
    /// How many calls may wait at once (see `nodes::link::waiting_capacity`).
    pub waiting: usize,
    /// Whether it keeps a copy of each message it sends, for the catch
    /// nodes that watch it, which Node-RED gives the message as sent.
    pub keeps_messages: bool,
    /// How often its timer looks for calls past their deadline.
    pub tick_ms: u64,
}

/// A link in a dynamic link call may reach, as Node-RED registers it
/// (`psos::nodes::LinkTarget`, which says how `msg.target` names it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    /// Its id, where a message may name it by id: not for a copy made for
    /// a subflow instance, whose id Node-RED makes at random.
    pub id: Option<String>,
    /// Its name, or its id when it has none.
    pub name: String,
    /// On the call's tab or in the call's subflow instance.
    pub near: bool,
    /// On a tab, not in a subflow instance.
    pub on_tab: bool,
}

/// A `link out` in return mode whose subroutine several link calls call:
/// port `k` leads to the outputs of the call numbered `callers[k]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkReturn {
    pub callers: Vec<u16>,
}

/// An `mqtt in` node: what it subscribes to and how it reads payloads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttIn {
    /// The topic filter, `+` and `#` wildcards included.
    pub topic: String,
    pub qos: u8,
    pub datatype: Datatype,
    /// The `mqtt-broker` config node's id.
    pub broker: String,
}

/// How an `mqtt in` node turns a payload into `msg.payload` (Node-RED's
/// `datatype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datatype {
    /// Parsed JSON if it parses, else a string if it is UTF-8, else bytes.
    AutoDetect,
    /// A string if it is UTF-8, else bytes (Node-RED's older "auto").
    Auto,
    Utf8,
    Json,
    Buffer,
    Base64,
}

/// An `mqtt out` node: where it publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttOut {
    /// The topic; `None` publishes to `msg.topic`.
    pub topic: Option<String>,
    /// The QoS; `None` takes `msg.qos` (0 when absent).
    pub qos: Option<u8>,
    /// Whether to retain; `None` takes `msg.retain`.
    pub retain: Option<bool>,
    pub broker: String,
}

/// A node of a custom type (`#[psos::node]`), with its properties checked
/// against the type's `new`.
#[derive(Clone, Debug, PartialEq)]
pub struct Custom {
    /// Which of [`Flow::node_crates`] holds the type.
    pub crate_index: usize,
    /// The type's Rust path, crate name first.
    pub rust_path: Vec<String>,
    pub outputs: usize,
    pub tick_ms: Option<u64>,
    pub has_start: bool,
    /// The arguments of `new`, in its order.
    pub args: Vec<Arg>,
}

/// A property value of a custom node, typed as `new` takes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Bool(bool),
    Integer(i128),
    Float(f64),
    Str(String),
}

/// A value written in the flow, fixed at build time.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Literal>),
    Object(Vec<(String, Literal)>),
}

/// One step of a property path: `payload.a[0]` is `Key("payload")`,
/// `Key("a")`, `Index(0)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

pub type Path = Vec<PathSegment>;

/// A path of one top-level property.
pub fn top_level(name: &str) -> Path {
    vec![PathSegment::Key(name.to_string())]
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inject {
    pub props: Vec<InjectProp>,
    /// `repeat`: the interval between messages.
    pub repeat_ms: Option<u64>,
    /// `once` + `onceDelay`: a first message this long after start-up.
    pub once_delay_ms: Option<u64>,
    /// `crontab` (when there is no `repeat`): messages at the times it
    /// matches on the device's wall clock, in UTC.
    pub schedule: Option<psos::cron::Schedule>,
}

impl Inject {
    /// Whether anything but Node-RED's button fires the node.
    pub fn fires(&self) -> bool {
        self.once_delay_ms.is_some() || self.repeat_ms.is_some() || self.schedule.is_some()
    }

    /// The context stores the node's properties read, each once.
    pub fn scopes(&self) -> Vec<&Store> {
        distinct_stores(self.props.iter().filter_map(|prop| match &prop.value {
            InjectValue::Context(property) => Some(property),
            _ => None,
        }))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct InjectProp {
    pub path: Path,
    pub value: InjectValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InjectValue {
    Literal(Literal),
    /// `date`: milliseconds since 1970 when the value is made.
    Timestamp,
    /// `date` in the `iso` format: that time as `toISOString` writes it.
    IsoDate,
    /// `flow`, `global`: a context value, read when the inject fires.
    Context(Property),
    /// `bin`: a Buffer.
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub rules: Vec<ChangeRule>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChangeRule {
    Set {
        target: Property,
        value: ChangeValue,
    },
    Change {
        target: Property,
        from: ChangePattern,
        value: ChangeValue,
    },
    Delete {
        target: Property,
    },
    /// `set_first`: Node-RED sets `to` before deleting `from` (see
    /// `psos::nodes::ChangeRule::Move`).
    Move {
        from: Property,
        to: Property,
        set_first: bool,
    },
}

/// Where a property lives: the message, or a context store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Store {
    Msg,
    /// The flow context of the tab with this id (`""` for a node on no tab).
    Flow(String),
    Global,
    /// A flow context store the flow names (`#:(name)::key`) other than
    /// the default one: the tab's id (as for `Flow`) and the name.
    FlowStore(String, StoreName),
    /// A global context store the flow names, other than the default one.
    GlobalStore(StoreName),
}

/// The name of a context store a flow names, and its number: the flow's
/// store names numbered from 0 in the order they first come, which a
/// device's properties carry instead of the name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreName {
    pub name: String,
    pub number: u16,
}

impl Store {
    /// Whether the store is global context (the default store or a named one).
    pub fn is_global(&self) -> bool {
        matches!(self, Store::Global | Store::GlobalStore(_))
    }

    /// The name of a store the flow names, `None` for the default stores
    /// and the message.
    pub fn name(&self) -> Option<&str> {
        match self {
            Store::FlowStore(_, store) | Store::GlobalStore(store) => Some(&store.name),
            _ => None,
        }
    }
}

/// A property of the message or of a context store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub scope: Store,
    pub path: Path,
}

/// The value a change rule sets.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeValue {
    Literal(Literal),
    /// `bin`.
    Bytes(Vec<u8>),
    /// `date`.
    Timestamp,
    /// `date` in the `iso` format.
    IsoDate,
    /// `msg`, `flow`, `global`.
    Property(Property),
}

/// What a change rule looks for.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangePattern {
    /// `str`, `num`, `bool`.
    Text { text: String, kind: TextKind },
    /// `re`, compiled (`crate::regex::compile_finder`).
    Regex(crate::regex::Finder),
    /// `msg`, `flow`, `global`.
    Property(Property),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Str,
    Num,
    Bool,
}

impl Change {
    /// The context stores the node's rules touch, each once.
    pub fn scopes(&self) -> Vec<&Store> {
        distinct_stores(self.rules.iter().flat_map(|rule| rule.properties()))
    }

    /// The words of memory the node's patterns need to find groups, the
    /// most any of them needs (0 when none replaces with groups): the
    /// runtime node's `V`, an array on the stack while a rule replaces.
    pub fn capture_words(&self) -> usize {
        self.rules
            .iter()
            .filter_map(|rule| match rule {
                ChangeRule::Change {
                    from: ChangePattern::Regex(finder),
                    ..
                } => finder
                    .captures
                    .as_ref()
                    .map(|captures| captures.memory_words),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Whether a rule replaces what a regular expression matches.
    pub fn has_regex(&self) -> bool {
        self.rules.iter().any(|rule| {
            matches!(
                rule,
                ChangeRule::Change {
                    from: ChangePattern::Regex(_),
                    ..
                }
            )
        })
    }
}

/// The context stores of `properties` (not the message), each once, in
/// the order they first come.
fn distinct_stores<'a>(properties: impl IntoIterator<Item = &'a Property>) -> Vec<&'a Store> {
    let mut stores: Vec<&Store> = Vec::new();
    for property in properties {
        if property.scope != Store::Msg && !stores.contains(&&property.scope) {
            stores.push(&property.scope);
        }
    }
    stores
}

fn value_property(value: &ChangeValue) -> Option<&Property> {
    match value {
        ChangeValue::Property(property) => Some(property),
        _ => None,
    }
}

impl ChangeRule {
    /// Every property the rule reads or writes.
    pub fn properties(&self) -> Vec<&Property> {
        match self {
            ChangeRule::Set { target, value } => [Some(target), value_property(value)]
                .into_iter()
                .flatten()
                .collect(),
            ChangeRule::Change {
                target,
                from,
                value,
            } => {
                let from = match from {
                    ChangePattern::Property(property) => Some(property),
                    _ => None,
                };
                [Some(target), from, value_property(value)]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            ChangeRule::Delete { target } => vec![target],
            ChangeRule::Move { from, to, .. } => vec![from, to],
        }
    }

    /// The properties the rule writes.
    pub fn written(&self) -> Vec<&Property> {
        match self {
            ChangeRule::Set { target, .. }
            | ChangeRule::Change { target, .. }
            | ChangeRule::Delete { target } => vec![target],
            ChangeRule::Move { from, to, .. } => vec![from, to],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Switch {
    /// The property tested: of the message, or flow or global context
    /// (`propertyType`).
    pub property: Property,
    pub rules: Vec<SwitchRule>,
    pub check_all: bool,
    /// Node-RED's `repair`: each port's messages of a sequence leave as a
    /// sequence of their own.
    pub repair: bool,
    /// How many messages of sequences the node holds at most
    /// (`psosQueue`), when it holds them (`holds_sequences`).
    pub queue: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SwitchRule {
    pub op: SwitchOp,
    /// Node-RED's `v`, and `v2` for the rules with two (`btwn`, `index`).
    pub value: SwitchOperand,
    pub value2: SwitchOperand,
}

impl Switch {
    /// Whether a rule matches a regular expression.
    pub fn has_regex(&self) -> bool {
        self.rules
            .iter()
            .any(|rule| matches!(rule.op, SwitchOp::Regex(_)))
    }

    /// Whether a rule tests whether the property is JSON text.
    pub fn tests_json(&self) -> bool {
        self.rules
            .iter()
            .any(|rule| matches!(rule.op, SwitchOp::IsType(JsType::Json)))
    }

    /// Whether the node holds the messages of a sequence until it is
    /// complete, as Node-RED's does when it repairs sequences or a `tail`
    /// rule needs their count.
    pub fn holds_sequences(&self) -> bool {
        self.repair || self.rules.iter().any(|rule| rule.op == SwitchOp::Tail)
    }

    /// Whether a rule compares with the previous message's value, which
    /// makes the node keep state.
    pub fn uses_previous(&self) -> bool {
        self.rules.iter().any(|rule| {
            rule.value == SwitchOperand::Previous || rule.value2 == SwitchOperand::Previous
        })
    }

    /// The flow and global values the node reads: its property's and its
    /// rules'.
    pub fn context_read(&self) -> Vec<&Property> {
        let values = self
            .rules
            .iter()
            .flat_map(|rule| [&rule.value, &rule.value2]);
        std::iter::once(&self.property)
            .chain(values.filter_map(|value| match value {
                SwitchOperand::Context(property) => Some(property),
                _ => None,
            }))
            .filter(|property| property.scope != Store::Msg)
            .collect()
    }

    /// The context stores the node reads, each once.
    pub fn scopes(&self) -> Vec<&Store> {
        distinct_stores(self.context_read())
    }
}

/// What a switch rule compares with (`vt`, `v2t`).
#[derive(Clone, Debug, PartialEq)]
pub enum SwitchOperand {
    Literal(Literal),
    /// Another property of the message (`msg`).
    Msg(Path),
    /// A flow or global context value (`flow`, `global`).
    Context(Property),
    /// The property's value in the message before (`prev`).
    Previous,
    /// JavaScript's `undefined`: no value given.
    Undefined,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwitchOp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Btwn,
    Cont,
    /// The pattern's DFA, serialized (`crate::regex`).
    Regex(Vec<u8>),
    True,
    False,
    Null,
    NotNull,
    Empty,
    NotEmpty,
    IsType(JsType),
    Head,
    Tail,
    Index,
    HasKey,
    Else,
}

/// The types a switch's `istype` tells apart: the runtime's own list.
pub use psos::nodes::JsType;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debug {
    pub target: DebugTarget,
    /// `active: false` silences the node, as the toggle in the editor does.
    pub active: bool,
    /// `tosidebar`: mirror Node-RED's sidebar message to the device's debug
    /// topic (on a device with a broker).
    pub to_sidebar: bool,
    /// The property as the sidebar message names it (`property`): the
    /// node's `complete`, `payload` by default; none for the whole message.
    pub property_name: Option<String>,
    /// The node's tab, the sidebar message's `z` and `path` (`global`
    /// outside a tab).
    pub z: Option<String>,
    /// The node's `name` as the flow gives it, the sidebar message's `name`.
    pub name: Option<String>,
    /// `tostatus`: what the node shows as its status, when it shows one.
    pub status: Option<DebugStatus>,
}

/// What a debug node with `tostatus` shows as its status (`statusType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugStatus {
    /// `auto`: what the node shows (the payload, for the whole message),
    /// or `msg.error.message` or `msg.status` where the message has them.
    Auto,
    /// `msg`: a message property (`statusVal`).
    Property(Path),
    /// `counter`: how many messages came.
    Counter,
    /// `jsonata`: an expression.
    Jsonata,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugTarget {
    WholeMessage,
    Property(Path),
}

/// A `range` node, its numbers as the flow writes them: the runtime settles
/// them (a backwards input interval, rounding) as Node-RED does at start.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub path: Path,
    pub action: RangeAction,
    pub round: bool,
    pub min_in: f64,
    pub max_in: f64,
    pub min_out: f64,
    pub max_out: f64,
}

/// A `json` node. (Named apart from [`crate::json::Json`], the JSON tree.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonNode {
    pub path: Path,
    pub action: JsonAction,
    /// Text is written with four spaces a level (`pretty`).
    pub pretty: bool,
    /// Messages are checked against `msg.schema`: some node of the flow
    /// may set it ([`crate::nodes::json::may_set_schema`]).
    pub checks_schema: bool,
}

/// A `delay` node: how it holds messages back, its times already in
/// milliseconds, and how many messages it keeps at most.
#[derive(Clone, Debug, PartialEq)]
pub struct Delay {
    pub mode: DelayMode,
    /// Node-RED's `outputs` is 2: dropped and replaced messages leave on a
    /// second port.
    pub second_output: bool,
    /// How many messages wait at most (`psosQueue`).
    pub queue: usize,
    /// How often the device's timer task lets the node release what is due;
    /// `None` for a mode that releases nothing later.
    pub tick_ms: Option<u64>,
    /// `random` reports how many wait around each message, as Node-RED's
    /// does while the node's `timeout` (the `delay` mode's) is at least a
    /// second.
    pub random_counts: bool,
}

/// A `template` node: the property it sets and what it sets it to.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Where the result goes: a message property, or a flow or global
    /// key (`field`, `fieldType`).
    pub field: Property,
    pub body: TemplateBody,
    /// The node's template is empty: Node-RED would use `msg.template`.
    pub empty: bool,
}

impl Template {
    /// The flow and global keys the template's names read.
    pub fn context_read(&self) -> Vec<&Property> {
        let TemplateBody::Mustache { tokens, .. } = &self.body else {
            return Vec::new();
        };
        tokens
            .iter()
            .filter_map(|token| match token {
                TemplateToken::Value { name, .. } | TemplateToken::Section { name, .. } => {
                    name.context.as_ref()
                }
                TemplateToken::Text(_) => None,
            })
            .collect()
    }

    /// The context stores the node reads or writes, each once.
    pub fn scopes(&self) -> Vec<&Store> {
        distinct_stores(self.context_read().into_iter().chain([&self.field]))
    }
}

/// What a `template` node makes of its template.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplateBody {
    /// Mustache, parsed; with `json`, the text is parsed as JSON.
    Mustache {
        tokens: Vec<TemplateToken>,
        json: bool,
    },
    /// `plain`: the template as text, or the value its JSON holds.
    Plain(Literal),
}

/// One piece of a parsed mustache template (the runtime's `Token`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateToken {
    Text(String),
    Value {
        name: TemplateName,
        escape: bool,
    },
    /// Its body is the tokens after it, up to the index `end`.
    Section {
        name: TemplateName,
        inverted: bool,
        end: usize,
    },
}

/// A name a tag looks up: its parts (none for `.`), and the value of
/// `env.NAME` when it is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateName {
    pub parts: Vec<String>,
    pub fallback: Option<String>,
    /// The flow or global key of `flow.KEY`, `global.KEY`, looked up
    /// where the message has nothing by the name.
    pub context: Option<Property>,
}

/// A `filter` node (Node-RED's type `rbe`), with the room a device gives
/// its memory of topics.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub mode: FilterMode,
    pub gap: Gap,
    /// The first number narrowband modes compare with; `None` takes the
    /// first number received.
    pub start: Option<f64>,
    /// Compare with the last number received (`inout` "in"), not sent.
    pub compare_input: bool,
    /// The property watched.
    pub path: Path,
    /// The property naming topics; `None` when topics are not kept apart.
    pub topic: Option<Path>,
    /// How many topics the device remembers (`psosTopics`).
    pub topics: usize,
    /// The bytes each remembered topic has for its name and value
    /// (`psosTopicSize`).
    pub topic_size: usize,
}

/// A `trigger` node: what it sends first and second, its time already in
/// milliseconds, and how many topics it keeps at most.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// The first message's payload (`op1`, `op1type`).
    pub first: TriggerOp,
    /// The second message's payload (`op2`, `op2type`).
    pub second: TriggerOp,
    /// `duration` in `units`, in milliseconds, made positive.
    pub duration_ms: f64,
    /// `duration` was negative: the first message repeats until reset.
    pub repeat: bool,
    pub extend: bool,
    pub override_delay: bool,
    /// A payload that resets, as its text (`reset`); `None` when empty.
    pub reset: Option<String>,
    /// The property that tells topics apart, when `bytopic` is `topic`.
    pub by_topic: Option<Path>,
    pub second_output: bool,
    /// How many topics are triggered at once at most (`psosTopics`).
    pub topics: usize,
    /// How often the device's timer task lets the node send what is due;
    /// `None` when nothing is ever due (it waits for a reset).
    pub tick_ms: Option<u64>,
}

impl Trigger {
    /// The flow and global values the node sends as payloads.
    pub fn context_read(&self) -> Vec<&Property> {
        [&self.first, &self.second]
            .into_iter()
            .filter_map(|op| match op {
                TriggerOp::Value(InjectValue::Context(property)) => Some(property),
                _ => None,
            })
            .collect()
    }

    /// The context stores the node reads, each once.
    pub fn scopes(&self) -> Vec<&Store> {
        distinct_stores(self.context_read())
    }
}

/// A payload a trigger node sends.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerOp {
    /// A constant, or `date`.
    Value(InjectValue),
    /// `pay`: the triggering message's payload.
    Payload,
    /// `payl`: the latest message of the topic.
    LatestPayload,
    /// `nul`: nothing is sent.
    Nothing,
    /// `str` text with `{{mustache}}` fields, rendered as mustache.js
    /// renders it against the message that triggers the node.
    Template(Vec<TemplateToken>),
}

/// A `split` node.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub at: SplitAt,
    /// Items in each piece of an array (`arraySplt`).
    pub array_length: usize,
    pub stream: bool,
    /// Where an object's key goes (`addname`).
    pub key_to: Option<Path>,
    /// The property split.
    pub path: Path,
    /// The property's name when it is not `payload`, for `msg.parts`.
    pub property: Option<String>,
    /// Messages whose piece waits in a stream that the node keeps when
    /// complete nodes watch it (`psosQueue`).
    pub pending: usize,
}

/// Where a split cuts text and buffers.
#[derive(Clone, Debug, PartialEq)]
pub enum SplitAt {
    /// At this text, escapes read.
    Text(String),
    /// At these bytes.
    Bytes(Vec<u8>),
    /// Into pieces this long.
    Length(usize),
}

/// A `join` node, with the room a device gives its groups.
#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    pub mode: JoinMode,
    /// Groups collected at once (`psosGroups`).
    pub groups: usize,
    /// Bytes of values each group holds (`psosJoinSize`).
    pub group_size: usize,
    /// Messages of its groups that the node keeps when complete nodes
    /// watch it (`psosQueue`).
    pub pending: usize,
    /// How often the timer task lets the node send groups whose time is
    /// up; `None` without a timeout.
    pub tick_ms: Option<u64>,
}

/// How a join collects.
#[derive(Clone, Debug, PartialEq)]
pub enum JoinMode {
    Auto,
    Custom(CustomJoin),
}

/// A `custom` join's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomJoin {
    pub build: JoinBuild,
    /// The property collected; `None` for whole messages.
    pub path: Option<Path>,
    pub key: Path,
    pub key_name: String,
    pub joiner: Joiner,
    pub count: usize,
    pub count_from_parts: bool,
    pub timeout_ms: f64,
    pub accumulate: bool,
    pub use_parts: bool,
}

/// What a join puts between strings or buffers.
#[derive(Clone, Debug, PartialEq)]
pub enum Joiner {
    Text(String),
    Bytes(Vec<u8>),
}

/// A `batch` node, with the queue a device gives its sequences.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub mode: BatchMode,
    /// Messages held at once: `count` (fewer when a limit leaves a
    /// sequence no room to grow to it), or `psosQueue` for the other modes.
    pub queue: usize,
    /// How often the timer task lets an interval end; `None` for `count`.
    pub tick_ms: Option<u64>,
}

/// How a `batch` makes sequences (the runtime's `BatchMode`).
#[derive(Clone, Debug, PartialEq)]
pub enum BatchMode {
    Count {
        count: usize,
        overlap: usize,
        honour_parts: bool,
        /// `psosQueue`, as Node-RED's `nodeMessageBufferMaxLength`: the
        /// messages since the last sequence left; 0 is none.
        limit: usize,
    },
    Interval {
        interval_ms: f64,
        allow_empty: bool,
    },
    Concat {
        topics: Vec<String>,
    },
}

/// A `sort` node.
#[derive(Clone, Debug, PartialEq)]
pub struct Sort {
    /// The array property sorted; `None` sorts the messages of sequences.
    pub target: Option<Path>,
    /// What messages of a sequence are sorted by (`seqKey`).
    pub key: Path,
    pub descending: bool,
    pub as_number: bool,
    /// Messages of sequences held at once (`psosQueue`).
    pub queue: usize,
}

/// A `smooth` node (`node-red-node-smooth`).
#[derive(Clone, Debug, PartialEq)]
pub struct Smooth {
    pub action: psos::nodes::SmoothAction,
    /// The window, or the filters' divisor.
    pub count: f64,
    /// The rounding scale, `10^places`.
    pub round: Option<f64>,
    pub reduce: bool,
    /// One window per `msg.topic` (`mult` `multi`).
    pub by_topic: bool,
    pub path: Path,
    /// How many topics the device keeps apart (1 without `by_topic`).
    pub topics: usize,
    /// The numbers each topic keeps (1 for the filters).
    pub window: usize,
}

/// A `csv` node (`spec` "rfc"): its settings as `psos::nodes::CsvSettings`
/// holds them, and the room for the columns it learns at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csv {
    /// Node-RED's legacy parser (`spec` not `"rfc"`).
    pub legacy: bool,
    pub separator: char,
    pub line_end: String,
    /// The template's names (`None` for an empty cell); empty for none.
    pub template: Vec<Option<String>>,
    pub all_rows: bool,
    pub header_in: bool,
    pub header_out: CsvHeader,
    pub skip: usize,
    pub parse_numbers: bool,
    pub include_empty_strings: bool,
    pub include_null_values: bool,
    pub column_bytes: usize,
}

/// A `catch` node: whose errors it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catch {
    pub scope: CatchScope,
    /// Only errors no other catch node took (`uncaught`).
    pub uncaught: bool,
}

/// The nodes of its tab a catch node watches (`scope`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatchScope {
    /// Every node (`null`).
    All,
    /// The nodes of its group and the groups inside it (`"group"`).
    Group,
    /// The nodes with these ids.
    Nodes(Vec<String>),
}

/// A subflow instance's status port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubflowStatusPort {
    /// The instance whose status the port sets, as its status's source
    /// names it: its id and type (`subflow:ID`); its name is the node's.
    pub instance_id: String,
    pub instance_type: String,
}

/// A `status` node: whose status it receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusNode {
    /// The nodes of its tab it watches, as a catch node's scope names
    /// them; a list without the nodes the status node is wired to, which
    /// Node-RED leaves out against a loop.
    pub scope: CatchScope,
}

/// A `complete` node: the nodes whose finished messages it takes (`scope`,
/// less the nodes it is wired to, as Node-RED leaves them out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complete {
    pub scope: Vec<String>,
}
