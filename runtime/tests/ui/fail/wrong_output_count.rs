//! Sending on a port the node does not declare: ports are `0..outputs`.

use psos::{Device, Msg, Outputs};

pub struct Splitter;

#[psos::node(type = "splitter", outputs = 2)]
impl Splitter {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(
        &mut self,
        _: &Device,
        msg: &mut Msg<N>,
        out: &mut impl Outputs<N>,
    ) {
        out.send(0, msg);
        out.send(2, msg);
    }
}

fn main() {}
