//! The node's type name and number of outputs are required.

use psos::{Device, Msg, Outputs};

pub struct Gate;

#[psos::node]
impl Gate {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
