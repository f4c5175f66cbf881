//! Arguments with values the macro cannot use, each reported: a type name
//! that is not a string, an empty one, outputs that are not a whole number,
//! a tick of zero milliseconds, an argument given twice, one without value.

use psos::{Device, Msg, Outputs};

pub struct Gate;

#[psos::node(type = gate, outputs = "two")]
impl Gate {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

pub struct Valve;

#[psos::node(type = "", outputs = 1, outputs = 2, tick_ms = 0)]
impl Valve {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}

    pub fn tick<const N: usize>(&mut self, _: &Device, _: &mut impl Outputs<N>) {}
}

pub struct Pump;

#[psos::node(type, outputs = 1)]
impl Pump {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
