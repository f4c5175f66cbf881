//! `#[psos::node]` goes on the node type's impl block, not on the struct
//! (as an earlier version of the macro had it) nor on a trait impl.

#[psos::node(type = "gate", outputs = 1)]
pub struct Gate {
    open: bool,
}

pub struct Valve;

#[psos::node(type = "valve", outputs = 1)]
impl Clone for Valve {
    fn clone(&self) -> Self {
        Valve
    }
}

fn main() {}
