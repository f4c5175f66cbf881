//! An argument the macro does not know, here a misspelled `outputs`.

use psos::{Device, Msg, Outputs};

pub struct Gate;

#[psos::node(type = "gate", outputs = 1, output = 2)]
impl Gate {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
