//! Properties whose types a value in the flow cannot become: a `char`, a
//! borrowed string that is not `'static`, a `usize`, a slice.

use psos::{Device, Msg, Outputs};

pub struct Label {
    count: usize,
}

#[psos::node(type = "label", outputs = 1)]
impl Label {
    pub const fn new(_symbol: char, _unit: &str, count: usize, _levels: &'static [u8]) -> Self {
        Self { count }
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

fn main() {}
