//! The `blink` flow on this board: `generated/blink/host/src/main.rs` with
//! the board's entry instead of the host's, as psosc will generate it for a
//! `qemu-lm3s6965` device (`cargo run --release --example blink`).
#![no_std]
#![no_main]
// TEMPORARY: `forbid` again once the runtime stops allocating; the
// allocator module is the only unsafe code and goes with it.
#![deny(unsafe_code)]
#![allow(clippy::approx_constant)]

use psos::nodes::{Change, ChangeRule, Debug, DebugTarget, Inject, InjectProp, InjectValue};
use psos::{ConstValue, Device, Discard, Msg, NodeCell, NodeInfo, Timer};

static DEVICE: Device = Device::new("host", "blink.json");

static INJECT_1: NodeCell<Inject> = NodeCell::new(Inject::new(
    NodeInfo::new("1a2b3c4d00000001", "every second", "inject"),
    &[
        InjectProp {
            property: "payload",
            value: InjectValue::Timestamp,
        },
        InjectProp {
            property: "topic",
            value: InjectValue::Const(ConstValue::Str("blink")),
        },
    ],
));

fn inject_1(msg: Msg) {
    INJECT_1.input(&DEVICE, msg, &mut inject_1_out);
}

fn inject_1_out(port: usize, msg: Msg) {
    if port == 0 {
        change_2(msg);
    }
}

static CHANGE_2: NodeCell<Change> = NodeCell::new(Change::new(
    NodeInfo::new("1a2b3c4d00000002", "led on", "change"),
    &[
        ChangeRule::Set {
            property: "payload",
            value: ConstValue::Str("on"),
        },
        ChangeRule::Set {
            property: "led",
            value: ConstValue::Number(13.0),
        },
    ],
));

fn change_2(msg: Msg) {
    CHANGE_2.input(&DEVICE, msg, &mut change_2_out);
}

fn change_2_out(port: usize, msg: Msg) {
    if port == 0 {
        debug_3(msg);
    }
}

static DEBUG_3: NodeCell<Debug> = NodeCell::new(Debug::new(
    NodeInfo::new("1a2b3c4d00000003", "led", "debug"),
    DebugTarget::Payload,
));

fn debug_3(msg: Msg) {
    DEBUG_3.input(&DEVICE, msg, &mut Discard);
}

static TIMERS: [Timer; 1] = [Timer {
    first_ms: Some(100),
    every_ms: Some(1000),
    fire: || inject_1(Msg::new()),
}];

#[psos_board_qemu_lm3s6965::entry]
fn main() -> ! {
    psos_board_qemu_lm3s6965::run(&DEVICE, &TIMERS)
}

// TEMPORARY: a global allocator until the runtime stops using `alloc`.
#[path = "common/temporary_allocator.rs"]
mod temporary_allocator;
