//! Placement of nodes on devices (being written).
