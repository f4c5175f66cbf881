//! A `tick` without `tick_ms`, and a `tick_ms` without `tick`.

use psos::{Device, Msg, Outputs};

pub struct Blinker;

#[psos::node(type = "blinker", outputs = 1)]
impl Blinker {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}

    pub fn tick<const N: usize>(&mut self, _: &Device, _: &mut impl Outputs<N>) {}
}

pub struct Sleeper;

#[psos::node(type = "sleeper", outputs = 1, tick_ms = 1000)]
impl Sleeper {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
