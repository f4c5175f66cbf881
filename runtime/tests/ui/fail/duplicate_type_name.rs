//! Two node types in one crate with the same type name: the flow could not
//! say which one a node is.

use psos::{Device, Msg, Outputs};

pub struct Average;

#[psos::node(type = "moving-average", outputs = 1)]
impl Average {
    pub const fn new() -> Self {
        Self
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

mod smoothing {
    use psos::{Device, Msg, Outputs};

    pub struct Smooth;

    #[psos::node(type = "moving-average", outputs = 1)]
    impl Smooth {
        pub const fn new() -> Self {
            Self
        }

        pub fn input<const N: usize>(
            &mut self,
            _: &Device,
            _: &mut Msg<N>,
            _: &mut impl Outputs<N>,
        ) {
        }
    }
}

fn main() {}
