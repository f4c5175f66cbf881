//! A node type without an input handler.

pub struct Gate {
    open: bool,
}

#[psos::node(type = "gate", outputs = 1)]
impl Gate {
    pub const fn new(open: bool) -> Self {
        Self { open }
    }
}

fn main() {}
