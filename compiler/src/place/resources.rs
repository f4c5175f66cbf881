//! What nodes need and devices have: the one table of per-node-type
//! estimates (flash, RAM, whether the type touches hardware), what the
//! nodes of a device share once (the board, shared code, each type's code,
//! context stores, the MQTT session, the stack: [`Shared`]), and a
//! device's `flash` and `ram`. Every figure is measured on `qemu-lm3s6965`
//! (thumbv7m, opt-level s, LTO) and held to the built image by
//! `tests/node_sizes.rs`, and the stack to the depth a painted stack
//! shows by `tests/stack.rs`; a host binary is larger, but a host's budget is
//! as good as unlimited, so one estimate serves all boards.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Board, Device, NodeKind, Resources, Store, Wire};
use crate::json::JsonValue;
use crate::nodes::Reader;

/// What psosc knows about a node type when it places nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeFacts {
    pub type_name: &'static str,
    /// The flash and RAM one node of this type adds to a device.
    pub resources: Resources,
    /// A node of this type drives a pin, a bus or a radio of the board it
    /// runs on, so it must be pinned to a device: the placer may not move
    /// it. No such type exists yet; GPIO, I²C and the like will set this.
    pub hardware: bool,
}

/// The flash of one node of a type whose static is a constant: its wiring
/// and its static. Measured on `qemu-lm3s6965` (thumbv7m, opt-level s,
/// LTO): a second inject → switch → change → debug chain adds 2212 bytes of
/// flash to the first (`tests/flows/device_sizes.json`).
const STATELESS_FLASH: u64 = 576;

/// Per node type, what one more node adds to a device: its wiring and its
/// static in flash, its static in RAM (none for a static that is a
/// constant), as `tests/node_sizes.rs` measures with `nm` on
/// `qemu-lm3s6965`. The code of the node types themselves is shared by all
/// their nodes and counted once per device ([`type_code`]).
pub const NODE_TYPES: &[TypeFacts] = &[
    TypeFacts {
        type_name: "inject",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // The context stores change and inject nodes use are counted once per
    // device and scope ([`Shared`]).
    TypeFacts {
        type_name: "change",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "switch",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "debug",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 112,
        },
        hardware: false,
    },
    // Counted as the other stateless nodes: its code in `type_code`.
    TypeFacts {
        type_name: "range",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // A catch node only sends on; the nodes it watches each get a check
    // after they run and a copy of the message to send: measured with one
    // watched node.
    TypeFacts {
        type_name: "catch",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // A status node only sends on; the nodes it watches each get a
    // function that makes the status message: measured with one.
    TypeFacts {
        type_name: "status",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // A subflow instance's status port: a constant, and its message to
    // the status nodes that receive the instance's status.
    TypeFacts {
        type_name: crate::subflow::STATUS_PORT_TYPE,
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // A complete node only sends on; the nodes it watches each send
    // copies and make one more for it: measured with one, 608 bytes.
    TypeFacts {
        type_name: "complete",
        resources: Resources {
            flash: STATELESS_FLASH + 64,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "json",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // Flash (here and for the other types that hold messages, topics or
    // text): what a second node of the type adds, less its static, which
    // `node_resources` adds as its RAM (`buffered_ram`) and as its image in
    // flash. Much of each node's handling is inlined into its own wiring.
    TypeFacts {
        type_name: "csv",
        resources: Resources {
            flash: 12288,
            ram: 256 + 64,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "delay",
        resources: Resources {
            flash: 5632,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
    // A delay node in `burst` mode is another runtime node (`Burst`),
    // counted apart ([`BURST`]).
    TypeFacts {
        type_name: BURST,
        resources: Resources {
            flash: 1024,
            ram: 0,
        },
        hardware: false,
    },
    // A stateless node whose static also holds its template's tokens,
    // text and names: measured with a short template.
    TypeFacts {
        type_name: "template",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "rbe",
        resources: Resources {
            flash: 928,
            ram: 1280,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "smooth",
        resources: Resources {
            flash: 1600,
            ram: 8 * (10 * 8 + 64 + 64),
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "trigger",
        resources: Resources {
            flash: 2880,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
    // The session they share is counted once per device
    // ([`session_resources`]).
    TypeFacts {
        type_name: "mqtt in",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "mqtt out",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    // A path into the message and a small splice: measured with two calls
    // of one subroutine.
    TypeFacts {
        type_name: "link call",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "link out",
        resources: Resources {
            flash: STATELESS_FLASH,
            ram: 0,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "split",
        resources: Resources {
            flash: 5632,
            ram: 2 * 512 + 32,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "join",
        resources: Resources {
            flash: 5056,
            ram: 2 * (1024 + 512 + 3 * 64 + 32),
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "batch",
        resources: Resources {
            flash: 4352,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "sort",
        resources: Resources {
            flash: 3200,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
];

/// A node type the table does not list (a custom node): psosc reads a
/// custom type's properties from its crate's sources, but what the type
/// compiles to, its code and the size of its static, is known only once
/// the device is built, so each such node is counted as a small node type
/// of its own, code and all. `tests/node_sizes.rs` holds the figures to
/// the repository's examples on `qemu-lm3s6965`: a `moving-average` node
/// adds 2076 bytes of flash (a second 672) and its static takes 288
/// bytes of RAM (32 numbers of history); a `hysteresis` node 1312 bytes
/// of flash (a second 380), its static 32. A custom type with more code
/// or state is counted short by as much.
pub const OTHER_NODE_TYPE: Resources = Resources {
    flash: 2176,
    ram: 320,
};

/// The facts of a node type; `None` for a type the table does not list.
pub fn type_facts(type_name: &str) -> Option<&'static TypeFacts> {
    NODE_TYPES.iter().find(|facts| facts.type_name == type_name)
}

/// What one node of a type needs on a device whose messages take
/// `message_capacity` bytes: the table's flash, and the RAM of the node's
/// static, which for nodes that hold messages, topics or text follows the
/// room the node was given (`buffered_ram`); the table's RAM otherwise.
/// Such a static starts with non-zero values, so its image is also in
/// flash, copied to RAM at start-up: its size is added to the flash.
pub fn node_resources(type_name: &str, kind: &NodeKind, message_capacity: usize) -> Resources {
    let counted_as = code_type(type_name, kind);
    let mut resources = type_facts(counted_as).map_or(OTHER_NODE_TYPE, |facts| facts.resources);
    resources.flash = resources
        .flash
        .saturating_add(link_table_flash(kind))
        .saturating_add(timed_link_call_flash(kind));
    match buffered_ram(kind, message_capacity) {
        Some(ram) => Resources {
            flash: resources.flash.saturating_add(ram),
            ram,
        },
        None => resources,
    }
}

/// The flash a dynamic link call adds to a call's for its table of link
/// in nodes (`psos::nodes::LinkTarget`, 20 bytes each on a 32-bit target,
/// and the texts of their ids and names), the direct call of each port,
/// and its lookup of `msg.target`, which writes the target's text and
/// the errors' ([`DYNAMIC_LINK_CALL_CODE`]).
pub fn link_table_flash(kind: &NodeKind) -> u64 {
    let NodeKind::LinkCall(crate::ir::LinkCall {
        dynamic: Some(targets),
        ..
    }) = kind
    else {
        return 0;
    };
    let table: u64 = targets
        .iter()
        .map(|target| {
            let texts = target.id.as_ref().map_or(0, String::len) + target.name.len();
            20 + 32 + texts as u64
        })
        .sum();
    DYNAMIC_LINK_CALL_CODE + table
}

/// The code a link call that may time out adds to a call's
/// ([`TIMED_LINK_CALL_CODE`]); nothing for any other node.
pub fn timed_link_call_flash(kind: &NodeKind) -> u64 {
    match kind {
        NodeKind::LinkCall(crate::ir::LinkCall {
            timeout: Some(_), ..
        }) => TIMED_LINK_CALL_CODE,
        _ => 0,
    }
}

/// A link call that may time out: its table of waiting calls, the
/// answers it takes back, its timer, and the copy and hand-over of the
/// message of a call that times out, counted with each such call
/// (`tests/node_sizes.rs`, `timed_link_sizes.json`: such a call with its
/// subroutine, catch node and loop queue adds 12592 bytes of flash to
/// the reference chain, 12736 counted).
pub const TIMED_LINK_CALL_CODE: u64 = 3200;

/// The lookup of a dynamic link call, counted with each such call:
/// measured on `qemu-lm3s6965` (`tests/node_sizes.rs`,
/// `dynamic_link_sizes.json`), a dynamic call of two link in nodes, each
/// a change node and a return, adds 5732 bytes of flash to the reference
/// chain (5836 counted), of which the call's own flash, the returns' and
/// the change nodes' are 2880, the code records share (the type code of
/// `link call`) 1280 and the table 140.
pub const DYNAMIC_LINK_CALL_CODE: u64 = 1536;

/// The RAM a node that complete nodes watch adds to its static for the
/// messages it finishes with later (`psos::nodes::Kept`): a split that
/// streams and a join, each message with its group (a word) in a list
/// with its length, counted as `buffered_ram` counts (a message is its
/// length word and its capacity rounded up to 8).
pub fn kept_ram(kind: &NodeKind, message_capacity: usize) -> u64 {
    let message = message_capacity.next_multiple_of(8) as u64;
    let pending = match kind {
        NodeKind::Split(split) if split.stream => split.pending,
        NodeKind::Join(join) => join.pending,
        _ => return 0,
    };
    8 + pending as u64 * (message + 8)
}

/// The RAM of the static of a node that holds messages, topics or text,
/// from the capacities it was given, measured on `qemu-lm3s6965`
/// (thumbv7m, 32-bit pointers, release): `nm --print-size` of the node
/// statics of `tests/flows/node_sizes.json`, each type at three
/// capacities, by `tests/node_sizes.rs`, which holds every estimate to at
/// least the measured size and at most 8 bytes more (the static's
/// alignment), for a message capacity that is a multiple of 8. A capacity
/// is counted rounded up to 8, as its buffers are laid out. `None` for the
/// other node types: their statics are constants in flash, or a few bytes
/// of state.
pub fn buffered_ram(kind: &NodeKind, message_capacity: usize) -> Option<u64> {
    let message = message_capacity.next_multiple_of(8) as u64;
    let bytes = match kind {
        // Its timers ([`BURST_TIMER_RAM`] each), twice its places: 112
        // bytes for 1 place, 2128 for 64.
        NodeKind::Delay(crate::ir::Delay {
            mode: crate::ir::DelayMode::Burst { rate, .. },
            ..
        }) => {
            let timers = psos::nodes::burst_timers(crate::nodes::delay::burst_places(*rate));
            80 + timers as u64 * BURST_TIMER_RAM
        }
        NodeKind::Delay(delay) => 120 + delay.queue as u64 * (message + 16),
        NodeKind::Trigger(trigger) => 128 + trigger.topics as u64 * (message + 32),
        // Its queue is aligned to 8 bytes.
        NodeKind::Batch(batch) => (84 + batch.queue as u64 * (message + 4)).next_multiple_of(8),
        NodeKind::Sort(sort) => 56 + sort.queue as u64 * (message + 4),
        // A switch that holds sequences: each message with the ports its
        // rules chose (16 bytes, aligned to 8), and the previous value
        // where a rule compares with it.
        NodeKind::Switch(switch) if switch.holds_sequences() => {
            let previous = if switch.uses_previous() { message } else { 0 };
            104 + previous + switch.queue as u64 * (message + 24)
        }
        // Each group: its joined value, its message, and its id, joiner
        // and property names.
        NodeKind::Join(join) => 104 + join.groups as u64 * (join.group_size as u64 + message + 256),
        // A stream's rest, for text and for buffers.
        NodeKind::Split(split) => 120 + if split.stream { 2 * message } else { 0 },
        // Each topic: a window of numbers and the topic's name.
        NodeKind::Smooth(smooth) => 80 + smooth.topics as u64 * (8 * smooth.window as u64 + 128),
        // The columns it learns, and the rows a node that sends them all
        // at once gathers.
        NodeKind::Csv(csv) => 80 + csv.column_bytes as u64 + if csv.all_rows { message } else { 0 },
        // A link call that may time out: each waiting call's ticket and
        // deadline (24 bytes with its tag), and its message where catch
        // nodes watch the call; its lock, ticket count, node and table
        // of link in nodes beside.
        NodeKind::LinkCall(crate::ir::LinkCall {
            timeout: Some(timeout),
            ..
        }) => {
            let kept = if timeout.keeps_messages {
                message + 8
            } else {
                0
            };
            64 + timeout.waiting as u64 * (24 + kept)
        }
        // Each topic: its name and value, and a stamp.
        NodeKind::Filter(filter) => 104 + filter.topics as u64 * (filter.topic_size as u64 + 16),
        _ => return None,
    };
    Some(bytes)
}

/// The RAM a node that status nodes watch needs beyond what it needs
/// unwatched: a delay node whose mode reports its depth on a timer of its
/// own (`rate` without `drop`, `queue`, `timed`) keeps when that report is
/// due in its static (16 bytes, measured by `tests/node_sizes.rs`); a
/// counting debug node keeps its count, when the last message came and
/// when a count held back is due, in a static of its own (40 bytes, from
/// its layout: three 64-bit numbers, one optional, and a lock). Other nodes
/// need nothing more.
pub fn watched_status_ram(kind: &NodeKind) -> u64 {
    match kind {
        NodeKind::Delay(crate::ir::Delay {
            mode:
                crate::ir::DelayMode::Rate { drop: false, .. }
                | crate::ir::DelayMode::Queue { .. }
                | crate::ir::DelayMode::Timed { .. },
            ..
        }) => 16,
        NodeKind::Debug(crate::ir::Debug {
            status: Some(crate::ir::DebugStatus::Counter),
            ..
        }) => 40,
        _ => 0,
    }
}

/// Whether nodes of a type must be pinned.
pub fn is_hardware(type_name: &str) -> bool {
    type_facts(type_name).is_some_and(|facts| facts.hardware)
}

/// A `qemu-lm3s6965` device with no nodes (`cargo xtask bench sizes`'s
/// baseline): the runtime's fixed part, the executor, the board's drivers
/// (with the stack's paint and the scan for its high-water mark).
/// Measured: 10508 bytes of flash and 1496 of static RAM (of which 128
/// hold the text of an error for catch nodes).
pub const BOARD: Resources = Resources {
    flash: 10 * 1024 + 512,
    ram: 1536,
};

/// What the first node of a device brings that every later node shares:
/// the message, its JSON, number formatting, the timers' task, and the
/// code of inject, switch, change and debug. Measured: the reference
/// chain inject → switch → change → debug takes 53940 bytes of flash and
/// 1608 of static RAM; less [`BOARD`] and its four nodes (each as
/// [`NODE_TYPES`] counts it), 40.2 KiB of flash, counted as 42 KiB, and
/// no RAM. (It took 90280 while every switch and change linked the regex
/// engines and the JSON parser, panics linked their messages' formatting
/// and JSON was written by a copy of its code for each kind of writer.)
pub const SHARED_CODE: Resources = Resources {
    flash: 42 * 1024,
    ram: 0,
};

/// The code of a node type, counted once on each device that holds a
/// node of it, as measured on `qemu-lm3s6965`: a device with the reference
/// chain and one node of the type, less the chain and the node's own
/// flash. The types of the reference chain are in [`SHARED_CODE`]; for
/// status, complete, link out and the mqtt nodes what one node adds is
/// within its own flash (a link call's, with its subroutine, 88 bytes
/// beyond); a type the table does not list counts
/// its code per node ([`OTHER_NODE_TYPE`]).
pub fn type_code(type_name: &str) -> u64 {
    // Each: the difference measured, less the node's flash.
    let measured = match type_name {
        "delay" => 3368,
        "trigger" => 3104,
        "batch" => 4864,
        "sort" => 3712,
        "join" => 10640,
        "split" => 2684,
        "smooth" => 4380,
        "csv" => 25520,
        "rbe" => 4876,
        // With one watched node.
        "catch" => 1188,
        // With one status node that receives the instance's status; most
        // of it writes payloads as `util.inspect` does.
        crate::subflow::STATUS_PORT_TYPE => 7096,
        "json" => 12600,
        // What a json node's check against `msg.schema` adds (20848
        // measured with it), in a flow that may set it.
        SCHEMA_CHECK => 13928,
        // The three engines together, which every switch and change node
        // linked before a pattern named its own: the reference chain took
        // 17740 bytes more.
        REGEX_SEARCH => 17740,
        // The parser, which every switch linked before: the reference
        // chain took 5544 bytes more.
        SWITCH_JSON_TEST => 5544,
        // A burst node adds 2112 bytes to the reference chain.
        BURST => 968,
        "template" => 5736,
        "range" => 1360,
        // What calls that record themselves and their returns share:
        // writing, reading and marking the records, which carry the
        // tickets of calls that wait (dls-dynamic measured 664 bytes more
        // once they did).
        "link call" => 800,
        _ => return 0,
    };
    code_from(measured)
}

/// Code counted for `measured` bytes: rounded up to 256 bytes, and 256
/// more for the way LTO inlines differently from one build to the next.
const fn code_from(measured: u64) -> u64 {
    measured.next_multiple_of(256) + 256
}

/// The code that reads and writes context stores, counted once on a
/// device whose nodes use any: measured on `qemu-lm3s6965`, a change node
/// that sets a flow and a global key adds 2820 bytes of flash to the
/// reference chain.
pub const CONTEXT_CODE: u64 = code_from(2820);

/// The RAM of one flow or global context store of `capacity` bytes
/// (`contextCapacity`), which the nodes of a device that use the same
/// scope share: a message of that capacity behind a lock. Measured with
/// `nm` on `qemu-lm3s6965` (1032 bytes for 1024, 308 for 300);
/// zero-initialised, so no flash.
pub fn context_store_ram(capacity: usize) -> u64 {
    8 + capacity.next_multiple_of(8) as u64
}

/// The MQTT session of a device that has mqtt nodes, wires to other
/// devices, or names a broker: the client (minimq) and its task with a
/// 2 KiB receive and a 4 KiB send buffer and two messages, and the outbox
/// of `outbox` messages of `message_capacity` bytes. Measured on
/// `qemu-lm3s6965`, the reference chain with an `mqtt in` and an
/// `mqtt out` against the chain alone: 43468 bytes of flash (the JSON
/// parser the session reads messages with among them), and RAM
/// 7872 + 2 × the message capacity for the task, 32 + `outbox` × (the
/// message capacity + 16) for the outbox (17392 bytes with the defaults,
/// 512 and 16; 9520 with 256 and 4).
pub fn session_resources(message_capacity: usize, outbox: usize) -> Resources {
    let message = message_capacity.next_multiple_of(8) as u64;
    Resources {
        flash: 43 * 1024,
        ram: 8 * 1024 + 2 * message + outbox as u64 * (message + 16),
    }
}

/// What every device's stack holds beneath its nodes' calls: the
/// executor, the task that runs (the timers', or the MQTT client's), an
/// interrupt's frame, and the deepest frames a node's code reaches, such
/// as number parsing (2404 bytes on thumbv7m). Measured on `qemu-lm3s6965`
/// with `tests/stack.rs`, as the rest of the stack's figures.
pub const STACK_BASE: u64 = 3584;

/// A node's call beyond the message buffers it holds: its frame, and the
/// calls of its output function.
const CALL_FRAME: u64 = 160;

/// What a change node's replace with groups takes on the stack besides
/// their memory: the frames of the search for them and of the replace
/// that reads them (stk-groups uses 976 bytes more than its five buffers
/// and the memory).
pub const GROUPS_FRAMES: u64 = 2048;

/// The stack one call of a node takes: what it holds while the nodes
/// after it run, a frame with a message's buffer, and more for the node
/// types whose calls hold more messages, as their largest frames on
/// `qemu-lm3s6965` show (a sort's release 4812 bytes with 512-byte
/// messages, nine messages; a join's completion three; a split's piece, a
/// batch's concatenation, a delay's release and a trigger's first message
/// (the copy it keeps and the slot that holds it) two; a json or template
/// node the text it writes, and a trigger node each `{{mustache}}`
/// payload's (not measured: counted as a template's);
/// a switch with `checkall` the copy a port before the last gets; a switch
/// that holds sequences four, among them the copy each member leaves as
/// and the one its rules decide on, and the positions of the members, 8
/// bytes each at most, and, when it repairs, two words a rule counting
/// each port's messages); and what
/// it takes before it sends, and gives back: a change node with a
/// `change` rule five message-sized buffers while the rule runs, and the
/// memory its patterns find groups in (`$1` in a replacement), 4 bytes a
/// word of [`ir::Change::capture_words`](crate::ir::Change::capture_words).
/// An `mqtt in` holds no more than a call: what a message from the broker
/// holds beneath it is the MQTT task's ([`from_broker`]). A catch, status
/// or complete node holds nothing: it sends on the message made for it,
/// which [`deepest_calls`] counts under the node it watches, and its call
/// is a jump (stk-catchloop's nine rounds show no frame for it). A change
/// node that replaces with groups also takes [`GROUPS_FRAMES`]; a json
/// node its check against `msg.schema` ([`schema_check`]).
pub fn call_stack(kind: &NodeKind, message_capacity: usize) -> CallStack {
    let message = message_capacity.next_multiple_of(8) as u64;
    if matches!(
        kind,
        NodeKind::Catch(_) | NodeKind::Status(_) | NodeKind::Complete(_)
    ) {
        return CallStack {
            held: 0,
            before_sending: 0,
        };
    }
    let (messages, frames) = match kind {
        NodeKind::Sort(_) => (9, 0),
        NodeKind::Join(_) => (3, 0),
        NodeKind::Split(_) | NodeKind::Batch(_) | NodeKind::Delay(_) => (2, 0),
        // The message of a call that timed out, on its timer's stack while
        // its catch nodes run, and the copy it keeps of what it sends.
        NodeKind::LinkCall(crate::ir::LinkCall {
            timeout: Some(_), ..
        }) => (1, 0),
        // A subflow's status port: the status message it sends.
        NodeKind::Json(_) | NodeKind::Template(_) | NodeKind::SubflowStatus(_) => (1, 0),
        // The copy of the message it keeps for its topic and the slot it
        // is moved into, both on the stack while the first message goes
        // (stk-trigger), and the text each `{{mustache}}` payload
        // renders, as a template's.
        NodeKind::Trigger(trigger) => {
            let templates = [&trigger.first, &trigger.second]
                .into_iter()
                .filter(|op| matches!(op, crate::ir::TriggerOp::Template(_)))
                .count();
            (2 + templates as u64, 0)
        }
        NodeKind::Switch(switch) => {
            // A `regex` rule's text buffer, which its search inlined into
            // the node's call keeps on the stack while it sends
            // (stk-regex).
            let copies = u64::from(switch.check_all) + u64::from(switch.has_regex());
            if switch.holds_sequences() {
                let counters = if switch.repair {
                    8 * switch.rules.len() as u64
                } else {
                    0
                };
                (copies + 4, 8 * switch.queue as u64 + counters)
            } else {
                (copies, 0)
            }
        }
        _ => (0, 0),
    };
    let before_sending = match kind {
        // Its rules decide before it sends: a `regex` rule reads its DFA
        // and searches ([`REGEX_FRAMES`]).
        NodeKind::Switch(switch) if switch.has_regex() => REGEX_FRAMES,
        NodeKind::Change(change)
            if change
                .rules
                .iter()
                .any(|rule| matches!(rule, crate::ir::ChangeRule::Change { .. })) =>
        {
            let words = change.capture_words() as u64;
            let groups = if words > 0 {
                4 * words + GROUPS_FRAMES
            } else {
                0
            };
            5 * message + groups
        }
        // The text it makes of a `text` that is not a string.
        NodeKind::SubflowStatus(_) => message,
        NodeKind::Json(json) if json.checks_schema => schema_check(json.action, message),
        _ => 0,
    };
    CallStack {
        held: CALL_FRAME + frames + (1 + messages) * message,
        before_sending,
    }
}

/// The frames of a switch's `regex` rule: `regex-automata` reading the
/// pattern's DFA in place and searching the text (stk-regex, a chain of
/// switches each matching a pattern, shows them at the chain's end).
pub const REGEX_FRAMES: u64 = 3584;

/// A frame of a json node's check against `msg.schema`, one for each
/// schema nested in another: stk-schema, whose check goes as deep as a
/// device allows with action "str", uses 8636 bytes of stack where psosc
/// reserves 10048 (14 schemas deep, before the limit, it used 11492).
const SCHEMA_FRAME: u64 = 352;

/// The frames beneath the deepest schema that write an error: its paths,
/// one small frame a level, and the formatting of its message.
const SCHEMA_ERROR_WRITE: u64 = 768;

/// What a json node's check against `msg.schema` takes before the node
/// sends (or instead, when the value does not hold), which every json node
/// may make, as the schema comes with the message: a buffer of the
/// message's size for Ajv's errors, one more for the text it parses with
/// action "str", and a frame for each schema nested in another, no deeper
/// than a device checks ([`psos::nodes::MAX_SCHEMA_DEPTH`]). Measured with
/// `tests/stack.rs` (stk-schema).
fn schema_check(action: crate::ir::JsonAction, message: u64) -> u64 {
    let buffers = if action == crate::ir::JsonAction::AlwaysString {
        2
    } else {
        1
    };
    buffers * message + psos::nodes::MAX_SCHEMA_DEPTH as u64 * SCHEMA_FRAME + SCHEMA_ERROR_WRITE
}

/// What a message from the broker (an `mqtt in`'s, or one a wire from
/// another device carries) holds beneath the node it enters at: the
/// message the MQTT task reads and the one it parses into, and the MQTT
/// client's frames, 4 KiB.
pub fn from_broker(message_capacity: usize) -> u64 {
    2 * message_capacity.next_multiple_of(8) as u64 + 4096
}

/// The code of a device's controls (`psos::control`), which a device with
/// a session (and so a broker) and inject or debug nodes has: the table's
/// search, reading a request's body, answering it, and the
/// `__user_inject_props__` an inject node evaluates. Measured on
/// `qemu-lm3s6965` by `tests/node_sizes.rs`: the session and mqtt nodes
/// of `est-mqtt`, whose chain's inject and debug nodes then have
/// controls, add 44664 bytes of flash to the chain (35676 before devices
/// had controls).
pub const CONTROL_CODE: u64 = 8 * 1024;

/// What a press of an inject node's button over MQTT (`psos::control`)
/// holds beneath the node, on top of [`from_broker`]: the request's body
/// read into a message, and, while `__user_inject_props__` are set, a
/// copy of it and a value's scratch buffer.
pub fn pressed(message_capacity: usize) -> u64 {
    3 * message_capacity.next_multiple_of(8) as u64
}

/// A node's call on the stack ([`call_stack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallStack {
    /// Held while the nodes it sends to run.
    pub held: u64,
    /// Taken on top of that before it sends, and given back.
    pub before_sending: u64,
}

/// The deepest stack the calls of a device's nodes take: wires on the
/// device are direct calls, so a message that enters at a node (an
/// inject's, a timer's, one from the broker or the loop queue) is handled
/// by nested calls down to the last node it reaches. Each call holds its
/// [`call_stack`] under the deeper of what its receivers take and what it
/// takes before sending; a port with several receivers on the device gives the
/// first the message and copies to the others, all made before the first
/// is called, so the copies stay on the stack while its receivers run; a
/// receiver behind a topic filter (an `mqtt in` that an `mqtt out` whose
/// topic is known only at run time reaches) gets a copy of its own.
/// `on_device` says which nodes are on the device (before placement, every
/// node that may come to be, which bounds what placement leaves); a wire
/// that closes a loop goes through the loop queue, where calls start
/// anew under the message the queue is drained into. A node that a wire
/// from another device may reach (`from_elsewhere`), and an `mqtt in`,
/// runs in the MQTT task under what [`from_broker`] counts; so does an
/// inject node that can be pressed over MQTT (`pressable`), under what
/// [`pressed`] adds.
///
/// `watches` are the catch nodes a node's errors go to, the status nodes
/// its status goes to, the complete nodes its finished messages go to.
/// The generated code calls each watcher nested in the node's call (when
/// it sends or has returned, before its receivers or after), with a
/// message made for it, so a watcher's chain counts as a port of the
/// node's with a buffer of its own; but a watcher whose chain leads back
/// to the node, and the watchers after it ([`queued_watches`]), get their
/// message through the loop queue, so their chains start anew under the
/// message the queue is drained into, as a wire's that closes a loop
/// (with the copies [`QUEUED_REPORT_MESSAGES`] counts on both sides).
/// Without a node, nothing. Also whether the device has a loop queue: a
/// wire or a watcher's message goes through it.
pub fn deepest_calls(
    kinds: &[&NodeKind],
    wires: &[Wire],
    watches: &[Watch],
    on_device: impl Fn(usize) -> bool,
    from_elsewhere: impl Fn(&Wire) -> bool,
    pressable: impl Fn(usize) -> bool,
    message_capacity: usize,
) -> Calls {
    let message = message_capacity.next_multiple_of(8) as u64;
    let n_nodes = kinds.len();
    let on_device_wire =
        |wire: &&Wire| on_device(wire.from) && on_device(wire.to) && wire.to < n_nodes;
    let closing = closing_wires(n_nodes, wires.iter().filter(on_device_wire));
    let direct: Vec<&Wire> = wires
        .iter()
        .filter(on_device_wire)
        .filter(|wire| !wire.queued && !closing.contains(&(wire.from, wire.to)))
        .collect();
    let watches: Vec<Watch> = watches
        .iter()
        .filter(|watch| on_device(watch.node) && on_device(watch.watcher))
        .filter(|watch| watch.watcher < n_nodes)
        .copied()
        .collect();
    let queued = queued_watches(n_nodes, direct.iter().copied(), &watches);
    let loop_queue = loop_queue_capacity(
        wires
            .iter()
            .filter(on_device_wire)
            .filter(|wire| wire.queued || closing.contains(&(wire.from, wire.to)))
            .map(|wire| wire.from)
            .chain(queued.iter().map(|(node, _)| *node)),
    );
    let mut edges: Vec<CallEdge> = direct
        .iter()
        .map(|wire| CallEdge {
            from: wire.from,
            to: wire.to,
            way: Way::Port(wire.port, wire.topic_filter.is_some()),
        })
        .collect();
    edges.extend(watches.iter().map(|watch| CallEdge {
        from: watch.node,
        to: watch.watcher,
        way: if queued.contains(&(watch.node, watch.watcher)) {
            Way::Queued(watch.report)
        } else {
            Way::Watcher(watch.report)
        },
    }));
    // Receivers first: a node's stack is known once all its receivers'
    // are (Kahn's order on the reversed edges, which hold no loop).
    let mut waiting_for = vec![0usize; n_nodes];
    let mut senders: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
    let mut outgoing: Vec<Vec<&CallEdge>> = vec![Vec::new(); n_nodes];
    for edge in &edges {
        if let Some(out) = outgoing.get_mut(edge.from) {
            out.push(edge);
        }
        if matches!(edge.way, Way::Queued(_)) {
            continue;
        }
        if let (Some(count), Some(list)) =
            (waiting_for.get_mut(edge.from), senders.get_mut(edge.to))
        {
            *count += 1;
            list.push(edge.from);
        }
    }
    let mut ready: Vec<usize> = (0..n_nodes)
        .filter(|index| waiting_for.get(*index) == Some(&0))
        .collect();
    // What a node that messages enter at holds beneath it: from the
    // broker, or from the loop queue.
    let mut beneath: Vec<u64> = kinds
        .iter()
        .enumerate()
        .map(|(index, kind)| match kind {
            NodeKind::MqttIn(_) => from_broker(message_capacity),
            NodeKind::Inject(_) if pressable(index) => {
                from_broker(message_capacity).saturating_add(pressed(message_capacity))
            }
            _ => 0,
        })
        .collect();
    for wire in wires {
        let entered = if on_device(wire.to) && from_elsewhere(wire) {
            from_broker(message_capacity)
        } else if on_device_wire(&wire) && (wire.queued || closing.contains(&(wire.from, wire.to)))
        {
            message
        } else {
            0
        };
        if let Some(slot) = beneath.get_mut(wire.to) {
            *slot = (*slot).max(entered);
        }
    }
    for (_, watcher) in &queued {
        if let Some(slot) = beneath.get_mut(*watcher) {
            *slot = (*slot).max(QUEUED_REPORT_MESSAGES.saturating_mul(message));
        }
    }
    let mut stack = vec![0u64; n_nodes];
    let mut deepest = 0;
    while let Some(index) = ready.pop() {
        let Some(kind) = kinds.get(index) else {
            continue;
        };
        // Per port: the copies its receivers get before the first is
        // called, the deepest of them, and the deepest of those that get
        // a copy each as they are called. A watcher's chain is a port of
        // its own under the message made for it.
        let mut ports: BTreeMap<usize, (u64, u64, u64)> = BTreeMap::new();
        // Per report, as a port: the watchers called at once (each after
        // the first gets a copy before the first is called; a queued one
        // is given the message itself) and the deepest of their chains
        // under the message made for them, or of what queuing takes.
        let mut reports: BTreeMap<Report, (u64, u64)> = BTreeMap::new();
        for edge in outgoing.get(index).into_iter().flatten() {
            let below = stack.get(edge.to).copied().unwrap_or(0);
            match edge.way {
                Way::Queued(report) => {
                    let entry = reports.entry(report).or_insert((0, 0));
                    entry.1 = entry.1.max(QUEUED_REPORT_MESSAGES.saturating_mul(message));
                }
                Way::Port(port, own_copy) => {
                    let entry = ports.entry(port).or_insert((0, 0, 0));
                    if own_copy {
                        entry.2 = entry.2.max(message.saturating_add(below));
                    } else {
                        entry.0 += 1;
                        entry.1 = entry.1.max(below);
                    }
                }
                Way::Watcher(report) => {
                    let entry = reports.entry(report).or_insert((0, 0));
                    entry.0 += 1;
                    entry.1 = entry.1.max(message.saturating_add(below));
                }
            }
        }
        let watched = reports
            .values()
            .map(|(watchers, deepest)| {
                watchers
                    .saturating_sub(1)
                    .saturating_mul(message)
                    .saturating_add(*deepest)
            })
            .max()
            .unwrap_or(0);
        let after = ports
            .values()
            .map(|(receivers, deepest, own_copies)| {
                receivers
                    .saturating_sub(1)
                    .saturating_mul(message)
                    .saturating_add((*deepest).max(*own_copies))
            })
            .max()
            .unwrap_or(0)
            .max(watched);
        let call = call_stack(kind, message_capacity);
        let own = call.held.saturating_add(after.max(call.before_sending));
        if let Some(slot) = stack.get_mut(index) {
            *slot = own;
        }
        if on_device(index) {
            let entered = beneath.get(index).copied().unwrap_or(0);
            deepest = deepest.max(own.saturating_add(entered));
        }
        for sender in senders.get(index).into_iter().flatten() {
            if let Some(count) = waiting_for.get_mut(*sender) {
                *count -= 1;
                if *count == 0 {
                    ready.push(*sender);
                }
            }
        }
    }
    Calls {
        stack: deepest,
        loop_queue,
    }
}

/// What [`deepest_calls`] finds of a device's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    /// The deepest stack they take.
    pub stack: u64,
    /// How many messages the device's loop queue holds
    /// ([`loop_queue_capacity`]); 0 when no message goes through it.
    pub loop_queue: usize,
}

/// The fewest messages a device's loop queue holds, when it has one.
pub const LOOP_QUEUE_MIN: usize = 4;

/// How many messages a device's loop queue holds (the capacity of the
/// `psos::Loopback` the generated code declares), from the sender of each
/// message that may go through it: one for each loop-closing wire out of a
/// node and one for each watcher queued for a node's report. One event of a
/// node queues at most its count of them at once, all of which must find
/// room beside the few still waiting from before (`LOOP_QUEUE_MIN - 1`): a
/// report to six queued watchers needs nine places, where four would drop
/// the last two. 0 when nothing goes through the queue.
pub fn loop_queue_capacity(senders: impl IntoIterator<Item = usize>) -> usize {
    let mut counts = BTreeMap::<usize, usize>::new();
    for sender in senders {
        *counts.entry(sender).or_default() += 1;
    }
    counts
        .values()
        .max()
        .map_or(0, |most| (most + LOOP_QUEUE_MIN - 1).max(LOOP_QUEUE_MIN))
}

/// The RAM of a device's loop queue of `capacity` messages: each place a
/// message and the index of the node it goes to, and the queue's own words
/// (a firmware's `LOOPBACK` static: 2096 bytes for 4 messages of 512
/// bytes).
pub fn loop_queue_ram(message_capacity: usize, capacity: usize) -> u64 {
    let message = message_capacity.next_multiple_of(8) as u64;
    capacity as u64 * (message + 8) + 16
}

/// A node whose errors, status or finished messages a catch, status or
/// complete node (`watcher`) takes ([`deepest_calls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watch {
    pub node: usize,
    pub watcher: usize,
    /// What the node tells the watcher.
    pub report: Report,
}

/// What a node tells the nodes that watch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Report {
    /// An error, to catch nodes.
    Error,
    /// Its status, to status nodes.
    Status,
    /// A message it has finished with, to complete nodes.
    Finished,
}

/// Each node's watchers as [`Watch`]es: the catch nodes that take its
/// errors, the status nodes that receive its status and the complete nodes
/// that take its finished messages, each in the order they are told.
pub fn watches(
    caught_by: &BTreeMap<usize, Vec<usize>>,
    status_watched_by: &BTreeMap<usize, Vec<usize>>,
    completed_by: &BTreeMap<usize, Vec<usize>>,
) -> Vec<Watch> {
    [
        (caught_by, Report::Error),
        (status_watched_by, Report::Status),
        (completed_by, Report::Finished),
    ]
    .into_iter()
    .flat_map(|(watched_by, report)| {
        watched_by.iter().flat_map(move |(node, watchers)| {
            watchers.iter().map(move |watcher| Watch {
                node: *node,
                watcher: *watcher,
                report,
            })
        })
    })
    .collect()
}

/// The watches (as `(node, watcher)`) whose messages go through the loop
/// queue: those whose watcher, by the `direct` wires (which hold no loop)
/// and the other watches, leads back to the node it watches, so that a
/// flow that keeps reporting (a status node's chain that makes the node
/// show a status again, two nodes that fail in turn on what a catch node
/// sends back) runs a round at a time, never nested, as Node-RED queues
/// what a watcher sends. Without them no loop is left. The watchers told
/// of the same report after a queued one are queued too, so that their
/// chains run in the order Node-RED's do (it calls the watchers in order
/// and queues what each sends). `watches` lists a node's watchers of one
/// report in the order they are told, as [`watches`] does.
pub fn queued_watches<'a>(
    n_nodes: usize,
    direct: impl Iterator<Item = &'a Wire>,
    watches: &[Watch],
) -> BTreeSet<(usize, usize)> {
    let mut graph = petgraph::graph::DiGraph::<(), ()>::with_capacity(n_nodes, watches.len());
    let indices: Vec<_> = (0..n_nodes).map(|_| graph.add_node(())).collect();
    let mut add = |from: usize, to: usize| {
        if let (Some(from), Some(to)) = (indices.get(from), indices.get(to)) {
            graph.add_edge(*from, *to, ());
        }
    };
    for wire in direct {
        add(wire.from, wire.to);
    }
    for watch in watches {
        add(watch.node, watch.watcher);
    }
    // A watch is on a loop when its two ends are in one strongly connected
    // component (Kosaraju's walks keep their own stacks).
    let mut component = vec![usize::MAX; n_nodes];
    for (number, nodes) in petgraph::algo::kosaraju_scc(&graph).iter().enumerate() {
        for node in nodes {
            if let Some(slot) = component.get_mut(node.index()) {
                *slot = number;
            }
        }
    }
    let on_a_loop = |watch: &Watch| {
        let ends = (component.get(watch.node), component.get(watch.watcher));
        matches!(ends, (Some(a), Some(b)) if a == b && *a != usize::MAX)
    };
    let mut queued = BTreeSet::new();
    let mut queuing: Option<(usize, Report)> = None;
    for watch in watches {
        let report = (watch.node, watch.report);
        if queuing != Some(report) {
            queuing = None;
        }
        if queuing.is_some() || on_a_loop(watch) {
            queuing = Some(report);
            queued.insert((watch.node, watch.watcher));
        }
    }
    queued
}

/// A call one node's code makes of another's ([`deepest_calls`]).
struct CallEdge {
    from: usize,
    to: usize,
    way: Way,
}

#[derive(Clone, Copy)]
enum Way {
    /// A wire from this port; whether its receiver gets a copy of its own.
    Port(usize, bool),
    /// A watcher's call, with what it is told.
    Watcher(Report),
    /// A watcher's message put in the loop queue, with what it is told.
    Queued(Report),
}

/// The messages a report to a watcher through the loop queue holds on the
/// stack, where it is made and queued (the message made for the watcher,
/// the copy the queue takes and the entry it moves in) and where it is
/// drained (the entry taken out, the message the watcher is called with):
/// stk-statusloop and stk-catchturns use 656 and 1168 bytes more than one
/// message each side, and 72 and 336 more than two.
const QUEUED_REPORT_MESSAGES: u64 = 3;

/// The wires (as `(from, to)`) that close a loop of direct calls: a
/// depth-first walk in file order finds those leading back to a node on
/// the walk's path. Lowering sends each through its device's queue once
/// nodes are placed ([`deepest_calls`] finds them before), so a message's
/// calls end there.
pub fn closing_wires<'a>(
    n_nodes: usize,
    wires: impl Iterator<Item = &'a Wire>,
) -> BTreeSet<(usize, usize)> {
    // The walk is petgraph's `depth_first_search` (its back edges, in its
    // order: starts in index order, a node's wires newest first), kept on
    // a stack of our own: petgraph's recurses once a node, which a chain
    // of some tens of thousands of nodes takes past the thread's stack.
    let mut wires_from = vec![Vec::new(); n_nodes];
    for wire in wires {
        if wire.to < n_nodes {
            if let Some(from) = wires_from.get_mut(wire.from) {
                from.push(wire.to);
            }
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        Not,
        OnPath,
        Done,
    }
    let mut seen = vec![Seen::Not; n_nodes];
    let mut closing = BTreeSet::new();
    // The walk's path: each node with how many of its wires it has taken.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for start in 0..n_nodes {
        if seen.get(start) != Some(&Seen::Not) {
            continue;
        }
        if let Some(mark) = seen.get_mut(start) {
            *mark = Seen::OnPath;
        }
        path.push((start, 0));
        while let Some((node, taken)) = path.last_mut() {
            let node = *node;
            let from = wires_from.get(node).map_or(&[][..], Vec::as_slice);
            let Some(&to) = from.len().checked_sub(*taken + 1).and_then(|i| from.get(i)) else {
                if let Some(mark) = seen.get_mut(node) {
                    *mark = Seen::Done;
                }
                path.pop();
                continue;
            };
            *taken += 1;
            match seen.get(to) {
                Some(Seen::Not) => {
                    if let Some(mark) = seen.get_mut(to) {
                        *mark = Seen::OnPath;
                    }
                    path.push((to, 0));
                }
                Some(Seen::OnPath) => {
                    closing.insert((node, to));
                }
                Some(Seen::Done) | None => {}
            }
        }
    }
    closing
}

/// The code of a json node's check against `msg.schema`, counted as a
/// type of its own, once on a device whose json nodes check
/// ([`crate::ir::JsonNode::checks_schema`]).
pub const SCHEMA_CHECK: &str = "json: msg.schema";

/// The code that runs regular expressions (the DFA reader and search, and
/// the groups' Pike VM), counted as a type of its own, once on a device
/// whose switch or change nodes hold a pattern: a pattern names its engine,
/// so a device without one does not link it.
pub const REGEX_SEARCH: &str = "regex";

/// The JSON parser a switch's `istype` json rule runs, counted as a type
/// of its own, once on a device whose switches have such a rule (a json
/// node, csv or an MQTT session may link it as well: counted twice then).
pub const SWITCH_JSON_TEST: &str = "switch: istype json";

/// The code of a delay node in `burst` mode, a runtime node of its own
/// (`psos::nodes::Burst`), counted as a type of its own: a device whose
/// delay nodes all run in `burst` mode does not link the other modes'.
pub const BURST: &str = "delay: burst";

/// The RAM of one of a `burst` node's timers: when it runs out, and the
/// index Node-RED keeps it at (`PlaceTimer`, 16 bytes on thumbv7m).
pub const BURST_TIMER_RAM: u64 = 16;

/// The RAM of one of a `burst` node's places: two timers, as
/// `psos::nodes::burst_timers` gives a node twice its places.
pub const BURST_PLACE_RAM: u64 = 2 * BURST_TIMER_RAM;

/// The type a node's code is counted as: its own, or [`BURST`] for a
/// delay node in `burst` mode.
pub fn code_type<'a>(type_name: &'a str, kind: &NodeKind) -> &'a str {
    match kind {
        NodeKind::Delay(crate::ir::Delay {
            mode: crate::ir::DelayMode::Burst { .. },
            ..
        }) => BURST,
        _ => type_name,
    }
}

/// What the nodes of one device share, each counted once however many
/// nodes use it: the code of their types, their context stores, and the
/// MQTT session.
#[derive(Clone, Debug, Default)]
pub struct Shared<'a> {
    has_nodes: bool,
    types: BTreeSet<&'a str>,
    stores: BTreeSet<&'a Store>,
    session: bool,
    /// Its nodes' calls ([`deepest_calls`]).
    calls: Calls,
}

impl<'a> Shared<'a> {
    /// A node of `type_name` on the device.
    pub fn add(&mut self, type_name: &'a str, kind: &'a NodeKind) {
        self.has_nodes = true;
        self.types.insert(code_type(type_name, kind));
        match kind {
            NodeKind::Json(json) if json.checks_schema => {
                self.types.insert(SCHEMA_CHECK);
            }
            NodeKind::Switch(switch) => {
                if switch.has_regex() {
                    self.types.insert(REGEX_SEARCH);
                }
                if switch.tests_json() {
                    self.types.insert(SWITCH_JSON_TEST);
                }
            }
            NodeKind::Change(change) if change.has_regex() => {
                self.types.insert(REGEX_SEARCH);
            }
            _ => {}
        }
        self.stores.extend(
            kind.context_scopes()
                .into_iter()
                .filter(|store| **store != Store::Msg),
        );
        if matches!(kind, NodeKind::MqttIn(_) | NodeKind::MqttOut(_)) {
            self.session = true;
        }
    }

    /// The device keeps an MQTT session (it names a broker, or exchanges
    /// messages with other devices).
    pub fn add_session(&mut self) {
        self.session = true;
    }

    /// Whether the device keeps an MQTT session, and so has a broker.
    pub fn has_session(&self) -> bool {
        self.session
    }

    /// The device's nodes' calls: the deepest stack they take, and
    /// whether a loop queue carries some.
    pub fn set_calls(&mut self, calls: Calls) {
        self.calls = calls;
    }

    /// The stack the device reserves: [`STACK_BASE`] and its nodes' calls.
    pub fn stack(&self) -> u64 {
        STACK_BASE.saturating_add(self.calls.stack)
    }

    /// What a device with these shares needs besides its nodes' own: the
    /// board, the shared code, the types' code, the context stores and
    /// their code, the session, the loop queue, and the stack.
    pub fn resources(&self, device: &Device) -> Resources {
        let mut total = BOARD;
        if self.has_nodes {
            total = total.saturating_add(SHARED_CODE);
        }
        for type_name in &self.types {
            total.flash = total.flash.saturating_add(type_code(type_name));
        }
        if !self.stores.is_empty() {
            total.flash = total.flash.saturating_add(CONTEXT_CODE);
        }
        total.ram = total
            .ram
            .saturating_add(self.stores.len() as u64 * context_store_ram(device.context_capacity));
        if self.session {
            total = total.saturating_add(session_resources(device.message_capacity, device.outbox));
            if self.types.contains("inject") || self.types.contains("debug") {
                total.flash = total.flash.saturating_add(CONTROL_CODE);
            }
        }
        if self.calls.loop_queue > 0 {
            total.ram = total.ram.saturating_add(loop_queue_ram(
                device.message_capacity,
                self.calls.loop_queue,
            ));
        }
        total.ram = total.ram.saturating_add(self.stack());
        total
    }
}

/// The largest budget psosc accepts: a terabyte keeps every sum of budgets
/// and loads far from 64 bits.
const MAX_BUDGET: u64 = 1 << 40;

/// What `flash` and `ram` accept, for help texts.
pub const BUDGET_FORMS: &str =
    "a whole number of bytes (65536), or with a suffix k or K (×1024) or M (×1024×1024), as memory.x writes them (\"256K\", \"1M\")";

/// A device's budget: its board's, with `flash` and `ram` where the
/// `psos-device` sets them. `None` after reporting a bad value.
pub fn device_budget(reader: &mut Reader<'_, '_>, board: Board) -> Option<Resources> {
    let default = board.budget();
    let flash = budget_property(reader, "flash", default.flash);
    let ram = budget_property(reader, "ram", default.ram);
    Some(Resources {
        flash: flash?,
        ram: ram?,
    })
}

fn budget_property(reader: &mut Reader<'_, '_>, key: &str, default: u64) -> Option<u64> {
    let Some(value) = reader.get(key) else {
        return Some(default);
    };
    let parsed = match &value.value {
        JsonValue::Number(number) => whole_bytes(*number),
        JsonValue::String(text) => parse_bytes(text),
        _ => None,
    };
    match parsed.filter(|bytes| (1..=MAX_BUDGET).contains(bytes)) {
        Some(bytes) => Some(bytes),
        None => {
            let shown = crate::nodes::shown(value);
            reader.malformed(
                key,
                value.span,
                format!("{shown} is not an amount of {}", resource_name(key)),
                Some(format!(
                    "give {BUDGET_FORMS}, from 1 byte to 1 TiB; without `{key}` the board's {default} bytes count"
                )),
            );
            None
        }
    }
}

fn resource_name(key: &str) -> &str {
    match key {
        "ram" => "RAM",
        other => other,
    }
}

fn whole_bytes(number: f64) -> Option<u64> {
    (number.fract() == 0.0 && number >= 0.0 && number <= MAX_BUDGET as f64).then_some(number as u64)
}

/// `65536`, `64k`, `64K`, `1M`: bytes, KiB or MiB, as linker scripts write
/// them. Spaces around the number are allowed; fractions are not.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (at, 'k' | 'K') => (text.get(..at)?, 1024),
        (at, 'm' | 'M') => (text.get(..at)?, 1024 * 1024),
        _ => (text, 1),
    };
    let digits = digits.trim_end();
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The back edges of petgraph's own (recursive) depth-first search.
    fn petgraphs_closing(n_nodes: usize, wires: &[Wire]) -> BTreeSet<(usize, usize)> {
        let mut graph = petgraph::graph::DiGraph::<(), ()>::new();
        let indices: Vec<_> = (0..n_nodes).map(|_| graph.add_node(())).collect();
        for wire in wires {
            graph.add_edge(indices[wire.from], indices[wire.to], ());
        }
        let mut closing = BTreeSet::new();
        petgraph::visit::depth_first_search(&graph, indices.iter().copied(), |event| {
            if let petgraph::visit::DfsEvent::BackEdge(from, to) = event {
                closing.insert((from.index(), to.index()));
            }
        });
        closing
    }

    fn wire(from: usize, to: usize) -> Wire {
        Wire {
            from,
            port: 0,
            to,
            queued: false,
            topic_filter: None,
            weight: 0,
        }
    }

    #[test]
    fn the_wires_closing_loops_are_petgraphs_back_edges() {
        // A small deterministic generator: graphs of 1 to 12 nodes with
        // up to 30 wires, self-loops and repeats included.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % below as u64).unwrap()
        };
        for _ in 0..5000 {
            let n_nodes = 1 + next(12);
            let wires: Vec<Wire> = (0..next(31))
                .map(|_| wire(next(n_nodes), next(n_nodes)))
                .collect();
            assert_eq!(
                closing_wires(n_nodes, wires.iter()),
                petgraphs_closing(n_nodes, &wires),
                "{n_nodes} nodes, wires {:?}",
                wires.iter().map(|w| (w.from, w.to)).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_chain_of_a_million_nodes_is_walked_without_recursion() {
        let n_nodes = 1_000_000;
        let mut wires: Vec<Wire> = (1..n_nodes).map(|to| wire(to - 1, to)).collect();
        wires.push(wire(n_nodes - 1, 0));
        let closing = closing_wires(n_nodes, wires.iter());
        assert_eq!(closing, BTreeSet::from([(n_nodes - 1, 0)]));
    }

    fn check(text: &str, expect: Option<u64>) {
        assert_eq!(parse_bytes(text), expect, "{text:?}");
    }

    #[test]
    fn bytes_as_linker_scripts_write_them() {
        check("65536", Some(65536));
        check("64k", Some(65536));
        check(" 256K ", Some(262_144));
        check("1M", Some(1_048_576));
        check("1 M", Some(1_048_576));
        check("1.5M", None);
        check("-1", None);
        check("K", None);
        check("12kb", None);
        check("", None);
        check("99999999999999999999K", None);
    }
}
