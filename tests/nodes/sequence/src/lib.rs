//! A custom PSOS node for tests: `sequence` sets `msg.payload` to 1, 2, 3…
//! in the order messages pass, so that a test can tell exactly which
//! messages arrived at the other end of a wire, and which did not.
#![no_std]

use psos::{Device, ErrorKind, Msg, Outputs};

/// The number the next message gets.
pub struct Sequence {
    next: u64,
}

#[psos::node(type = "sequence", outputs = 1)]
impl Sequence {
    pub const fn new() -> Self {
        Self { next: 1 }
    }

    pub fn input<const N: usize>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut impl Outputs<N>,
    ) {
        let number = self.next as f64;
        self.next += 1;
        if device
            .check(msg.set_property("payload", &number), ErrorKind::Oversize)
            .is_some()
        {
            out.send(0, msg);
        }
    }
}

impl Default for Sequence {
    fn default() -> Self {
        Self::new()
    }
}
