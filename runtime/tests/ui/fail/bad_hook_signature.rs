//! Hooks the runtime cannot call: `input` without the outputs, an `async`
//! `start`, and a `tick` that takes `self` by value.

use psos::{Device, Msg, Outputs};

pub struct Gate;

#[psos::node(type = "gate", outputs = 1, tick_ms = 100)]
impl Gate {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _device: &Device, _msg: &mut Msg<N>) {}

    pub async fn start<const N: usize>(&mut self, _: &Device, _: &mut impl Outputs<N>) {}

    pub fn tick<const N: usize>(self, _: &Device, _: &mut impl Outputs<N>) {}
}

fn main() {}
