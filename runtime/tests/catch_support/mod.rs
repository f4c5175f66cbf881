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
        self.1.input(
            device,
            msg,
            &mut Catching {
                device,
                source,
                out,
            },
        );
        catch_error(device, source, msg, |caught| out.send(1, caught));
    }
}

/// The outputs psosc gives a node that catch nodes watch: an error the
/// node reported before it sends a message is caught with that message,
/// errors its receivers leave are not its own, and an error it reports
/// with another message (`error_with`) is caught with that one.
struct Catching<'a, O> {
    device: &'a Device,
    source: &'a NodeInfo,
    out: &'a mut O,
}

impl<O: Outputs<CAPACITY>> Outputs<CAPACITY> for Catching<'_, O> {
    fn send(&mut self, port: usize, sent: &mut Msg<CAPACITY>) {
        let out = &mut *self.out;
        catch_error(self.device, self.source, sent, |caught| out.send(1, caught));
        out.send(port, sent);
        self.device.forget_error();
    }

    fn error_with(&mut self, msg: &Msg<CAPACITY>) {
        let out = &mut *self.out;
        catch_error(self.device, self.source, msg, |caught| out.send(1, caught));
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
