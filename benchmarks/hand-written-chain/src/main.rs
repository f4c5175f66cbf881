//! The per-hop benchmark's baseline: what a chain of N change nodes that
//! each set `msg.payload` does, written as one plain function over the same
//! message type, with no nodes and no wiring. `cargo xtask bench` counts its
//! instructions with callgrind against the generated chain's.

use std::hint::black_box;

use psos::{ConstValue, PathSegment};

const TOPIC: &[PathSegment<'static>] = &[PathSegment::Key("topic")];
const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// One message through the chain: made as the inject node makes it, then
/// its payload set once per hop.
#[inline(never)]
fn run_chain(hops: usize) {
    let mut msg = psos::Msg::<512>::new();
    let _ = msg.set(PAYLOAD, &ConstValue::Number(0.0));
    let _ = msg.set(TOPIC, &ConstValue::Str("bench"));
    for hop in 0..hops {
        if msg.set(PAYLOAD, &ConstValue::Number((hop + 1) as f64)).is_err() {
            return;
        }
    }
    black_box(&msg);
}

fn main() {
    let hops = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1);
    run_chain(black_box(hops));
}
