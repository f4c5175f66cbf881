//! A node type without `new`, which generated firmware builds it with.

use psos::{Device, Msg, Outputs};

pub struct Gate;

#[psos::node(type = "gate", outputs = 1)]
impl Gate {
    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
