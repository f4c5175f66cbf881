//! A `new` that generated firmware cannot call in a `static`'s initialiser:
//! private, not `const`, taking `self`, with a pattern for a property, and
//! returning something else than the node.

use psos::{Device, Msg, Outputs};

pub struct Gate;

#[psos::node(type = "gate", outputs = 1)]
impl Gate {
    fn new(&self, (_low, _high): (u8, u8)) -> Option<Self> {
        None
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
