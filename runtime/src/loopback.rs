//! The bounded queue that carries messages around a loop of local wires.
//!
//! A loop of direct calls would call a node again while it is still busy
//! with the message that started the loop. The compiler breaks each loop at
//! the wires that close it: a message sent on such a wire is copied into
//! this queue, and the device delivers it once the call that sent it has
//! returned. So is the message made for a catch, status or complete node
//! whose chain leads back to a node it watches: a flow that keeps
//! reporting runs a round at a time, never nested, as Node-RED queues
//! what such a node sends. A full queue drops the message and counts
//! [`ErrorKind::QueueFull`](crate::ErrorKind::QueueFull).

use crate::{Device, ErrorKind, Msg};

/// How many queued messages a device delivers after one event before it
/// lets the rest wait for the next: a loop that never ends must not starve
/// every other task.
pub const LOOPBACK_BUDGET: usize = 1024;

/// Room for `CAP` messages of `N` bytes, each with the index of the node it
/// goes to (numbered by the compiler).
pub struct Loopback<const N: usize, const CAP: usize> {
    queue: spin::Mutex<heapless::Deque<(u16, Msg<N>), CAP>>,
}

impl<const N: usize, const CAP: usize> Default for Loopback<N, CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const CAP: usize> Loopback<N, CAP> {
    pub const fn new() -> Self {
        Self {
            queue: spin::Mutex::new(heapless::Deque::new()),
        }
    }

    /// Queues a copy of the message for a node.
    pub fn push(&self, device: &Device, target: u16, msg: &Msg<N>) {
        let pushed = self
            .queue
            .try_lock()
            .map(|mut queue| queue.push_back((target, msg.clone())).is_ok());
        if pushed != Some(true) {
            device.report(ErrorKind::QueueFull);
        }
    }

    /// The oldest queued message and the node it goes to.
    pub fn pop(&self) -> Option<(u16, Msg<N>)> {
        self.queue.try_lock()?.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::Str;

    #[test]
    fn messages_come_out_in_order_and_a_full_queue_counts() {
        static DEVICE: Device = Device::new("test", "loopback.rs");
        let queue = Loopback::<64, 2>::new();
        let mut msg = Msg::<64>::new();
        for (target, text) in [(0, "a"), (1, "b"), (2, "c")] {
            msg.set_property("payload", &Str(text)).unwrap();
            queue.push(&DEVICE, target, &msg);
        }
        assert_eq!(DEVICE.error_count(ErrorKind::QueueFull), 1);
        let (target, first) = queue.pop().unwrap();
        assert_eq!(
            (
                target,
                first.payload().map(|v| v == crate::ValueRef::Str("a"))
            ),
            (0, Some(true))
        );
        assert_eq!(queue.pop().map(|(target, _)| target), Some(1));
        assert!(queue.pop().is_none());
    }
}
