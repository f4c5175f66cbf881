//! `status`: the node that receives the status of other nodes of its tab,
//! as Node-RED's `25-status.js` does. Which status nodes watch which node
//! is decided at build time; the generated code gives a watched node
//! outputs that report its status ([`crate::Reporting`]) and makes the
//! message with [`crate::status_message`].

/// A status node: like a catch node, it sends on what it is given.
pub type Status = super::catch::Catch;
