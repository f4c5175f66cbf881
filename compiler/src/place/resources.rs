//! What nodes need and devices have: the one table of per-node-type
//! estimates (flash, RAM, whether the type touches hardware), what the
//! runtime itself takes on a device, and a device's `flash` and `ram`.

use crate::ir::{Board, NodeKind, Resources};
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

/// Per node type, what one more node adds to a device: its wiring and its
/// static in flash, its state in RAM. Measured on `qemu-lm3s6965`
/// (thumbv7m, opt-level s, LTO): a second inject → switch → change → debug
/// chain adds 720 bytes of flash and no static RAM to the first, so each
/// node is counted at about 200 bytes of flash, rounded up, and the few
/// bytes of state a `NodeCell` or a timer holds. The code of the node types
/// themselves is shared by all their nodes and counted once per device in
/// [`runtime_resources`].
pub const NODE_TYPES: &[TypeFacts] = &[
    TypeFacts {
        type_name: "inject",
        resources: Resources {
            flash: 256,
            ram: 32,
        },
        hardware: false,
    },
    // The context stores change and inject nodes use (`contextCapacity`
    // bytes per tab and per device, shared by the nodes that use them) are
    // not counted yet: a per-node table cannot share them.
    TypeFacts {
        type_name: "change",
        resources: Resources {
            flash: 256,
            ram: 16,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "switch",
        resources: Resources {
            flash: 256,
            ram: 16,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "debug",
        resources: Resources {
            flash: 256,
            ram: 16,
        },
        hardware: false,
    },
    // Not measured yet: counted as the other stateless nodes, whose wiring
    // and static they share in form.
    TypeFacts {
        type_name: "range",
        resources: Resources {
            flash: 256,
            ram: 16,
        },
        hardware: false,
    },
    // Not measured yet: a catch node only sends on; the nodes it watches
    // each get a check after they run and a copy of the message to send.
    TypeFacts {
        type_name: "catch",
        resources: Resources {
            flash: 128,
            ram: 16,
        },
        hardware: false,
    },
    // Not measured yet: a status node only sends on; the nodes it watches
    // each get a function that makes the status message.
    TypeFacts {
        type_name: "status",
        resources: Resources {
            flash: 128,
            ram: 16,
        },
        hardware: false,
    },
    // Not measured yet: a complete node only sends on; the nodes it
    // watches each send copies and make one more for it.
    TypeFacts {
        type_name: "complete",
        resources: Resources {
            flash: 128,
            ram: 16,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "json",
        resources: Resources {
            flash: 256,
            ram: 16,
        },
        hardware: false,
    },
    // Flash not measured yet: its CSV reader and writer. RAM: see
    // `buffered_ram`.
    TypeFacts {
        type_name: "csv",
        resources: Resources {
            flash: 4096,
            ram: 256 + 64,
        },
        hardware: false,
    },
    // Flash not measured yet: its wiring and timer as an inject's. RAM: see
    // `buffered_ram`.
    TypeFacts {
        type_name: "delay",
        resources: Resources {
            flash: 512,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
    // Not measured yet: a stateless node whose static also holds its
    // template's tokens, text and names, so more flash than the others.
    TypeFacts {
        type_name: "template",
        resources: Resources {
            flash: 512,
            ram: 16,
        },
        hardware: false,
    },
    // Flash not measured yet. RAM: see `buffered_ram`.
    TypeFacts {
        type_name: "rbe",
        resources: Resources {
            flash: 256,
            ram: 1280,
        },
        hardware: false,
    },
    // Flash not measured yet. RAM (smooth and trigger): see
    // `buffered_ram`.
    TypeFacts {
        type_name: "smooth",
        resources: Resources {
            flash: 1024,
            ram: 8 * (10 * 8 + 64 + 64),
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "trigger",
        resources: Resources {
            flash: 512,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
    // Not measured yet: a path into the message and a small splice.
    TypeFacts {
        type_name: "link call",
        resources: Resources { flash: 256, ram: 8 },
        hardware: false,
    },
    TypeFacts {
        type_name: "link out",
        resources: Resources { flash: 256, ram: 8 },
        hardware: false,
    },
    // Flash not measured yet. RAM (split, join, batch, sort): see
    // `buffered_ram`.
    TypeFacts {
        type_name: "split",
        resources: Resources {
            flash: 512,
            ram: 2 * 512 + 32,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "join",
        resources: Resources {
            flash: 1024,
            ram: 2 * (1024 + 512 + 3 * 64 + 32),
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "batch",
        resources: Resources {
            flash: 512,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
    TypeFacts {
        type_name: "sort",
        resources: Resources {
            flash: 512,
            ram: 4 * 1024 + 64,
        },
        hardware: false,
    },
];

/// A node type the table does not list (a custom node, say): its code is
/// unknown, so it is counted as a small node type of its own, code and all.
pub const OTHER_NODE_TYPE: Resources = Resources {
    flash: 2048,
    ram: 64,
};

/// The facts of a node type; `None` for a type the table does not list.
pub fn type_facts(type_name: &str) -> Option<&'static TypeFacts> {
    NODE_TYPES.iter().find(|facts| facts.type_name == type_name)
}

/// What one node of a type needs on a device whose messages take
/// `message_capacity` bytes: the table's flash, and the RAM of the node's
/// static, which for nodes that hold messages, topics or text follows the
/// room the node was given (`buffered_ram`); the table's RAM otherwise.
pub fn node_resources(type_name: &str, kind: &NodeKind, message_capacity: usize) -> Resources {
    let resources = type_facts(type_name).map_or(OTHER_NODE_TYPE, |facts| facts.resources);
    match buffered_ram(kind, message_capacity) {
        Some(ram) => Resources { ram, ..resources },
        None => resources,
    }
}

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
/// is counted rounded up to 8, as its buffers are laid out. The statics
/// have non-zero initial values, so each is also copied from flash at
/// start-up, which the flash figures do not count yet. `None` for the
/// other node types: their statics are constants in flash, or a few bytes
/// of state.
pub fn buffered_ram(kind: &NodeKind, message_capacity: usize) -> Option<u64> {
    let message = message_capacity.next_multiple_of(8) as u64;
    let bytes = match kind {
        NodeKind::Delay(delay) => 120 + delay.queue as u64 * (message + 16),
        NodeKind::Trigger(trigger) => 120 + trigger.topics as u64 * (message + 32),
        // Its queue is aligned to 8 bytes.
        NodeKind::Batch(batch) => (84 + batch.queue as u64 * (message + 4)).next_multiple_of(8),
        NodeKind::Sort(sort) => 56 + sort.queue as u64 * (message + 4),
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

/// What a device needs before its nodes. Measured on `qemu-lm3s6965`: the
/// board's baseline (runtime, executor, drivers) is 8.4 KiB of flash and
/// 1.3 KiB of static RAM, and the first inject → switch → change → debug
/// chain adds 29.4 KiB of code that every later node shares (the message
/// encoding, number formatting, the node types), so 40 KiB of flash. RAM:
/// the statics, the stacks, and a message in flight plus a copy for
/// fan-out, each `message_capacity` bytes. A host binary is larger, but a
/// host's budget is as good as unlimited, so one estimate serves all boards.
pub fn runtime_resources(message_capacity: usize) -> Resources {
    Resources {
        flash: 40 * 1024,
        ram: 4 * 1024 + 2 * message_capacity as u64,
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
            let shown = match &value.value {
                JsonValue::Number(number) => crate::nodes::js_number_text(*number),
                JsonValue::String(text) => format!("{text:?}"),
                _ => value.kind_name().to_string(),
            };
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
