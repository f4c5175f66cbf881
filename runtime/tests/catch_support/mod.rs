//! A node wrapped as psosc wraps a node whose errors catch nodes take, and
//! the message a catch node gets, for the suites that show which errors
//! reach a catch node and with which text.

use psos::nodes::catch_error;
use psos::{Device, Msg, Node, NodeInfo, Outputs};

use crate::node_support::CAPACITY;

/// A node (its identity, then the node): what it sends leaves on its own
/// port (port 0 for the nodes here), what the catch node is given on
/// port 1.
pub struct Watched<T>(pub NodeInfo, pub T);

impl<T: Node<CAPACITY>> Node<CAPACITY> for Watched<T> {
    fn input<O: Outputs<CAPACITY>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<CAPACITY>,
        out: &mut O,
    ) {
        let source = &self.0;
        device.forget_error();
        self.1
            .input(device, msg, &mut |port: usize, sent: &mut Msg<CAPACITY>| {
                catch_error(device, source, sent, |caught| out.send(1, caught));
                out.send(port, sent);
                device.forget_error();
            });
        catch_error(device, source, msg, |caught| out.send(1, caught));
    }
}

/// What the catch node is sent for the first error of a node with id "1",
/// no name and type `type_name`, reported with `text` while it handled
/// `msg` (compact JSON): `msg` with `error` added last.
pub fn caught(msg: &str, type_name: &str, text: &str) -> (usize, String) {
    let open = msg.strip_suffix('}').unwrap_or(msg);
    (
        1,
        format!(
            r#"{open},"error":{{"message":"{text}","source":{{"id":"1","type":"{type_name}","count":1}}}}}}"#
        ),
    )
}
