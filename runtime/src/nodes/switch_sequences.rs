//! A `switch` that holds the messages of a sequence until the sequence is
//! complete, as Node-RED's `10-switch.js` does when it "recreates message
//! sequences" (`repair`) or has a `tail` rule (which needs the count).
//!
//! A message with `msg.parts.id` and `msg.parts.index` waits in a store of
//! `Q` messages fixed at build time (`psosQueue`), by its sequence (the
//! text of `msg.parts.id`). Once a sequence's count (`msg.parts.count` of
//! the latest of its messages that has one) equals the messages held, each
//! of them, in the order they came, gets that count in `msg.parts.count`
//! and goes through the rules. Without `repair` each then leaves as a plain
//! switch sends it; with `repair` the sequence leaves once every message is
//! decided, each port's messages as a sequence of their own: a new
//! `msg.parts.id` per port, `index` counting the messages of that port and
//! `count` their number, the rest of `msg.parts` as it was. A message whose
//! rules fail is an error, as in a plain switch, which catch nodes get with
//! that message as soon as its rules have failed ([`Outputs::error_with`]),
//! before the next message of the sequence goes through them; with
//! `repair`, its sequence never leaves (Node-RED waits for it forever).
//! Messages outside a sequence are routed at once.
//!
//! A message that finds the store full is what Node-RED's
//! `nodeMessageBufferMaxLength` makes of one more than it allows: an error
//! with Node-RED's text, given to catch nodes with that message, every held
//! message forgotten, and the message itself kept only if it completes its
//! sequence, which then leaves.

use super::batch::{part_of, same_key, set_parts};
use super::split::group_id;
use super::switch::Switch;
use crate::msg::PathSegment;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// Node-RED's text when more messages wait than it allows.
pub const TOO_MANY_PENDING: &str = "too many pending messages in switch node";

/// The most rules a repairing switch has: it remembers each held
/// message's ports in one `u128`. psosc refuses a switch with more.
pub const MAX_REPAIR_RULES: usize = 128;

/// A switch (`Switch<P, C>`) that holds sequences in a store of `Q`
/// messages of `N` bytes; `repair` rewrites each port's `msg.parts`,
/// counting each of its `R` ports' messages (`R` is the number of rules
/// when it repairs, and may be 0 when it does not).
pub struct SequenceSwitch<
    const N: usize,
    const Q: usize,
    const R: usize,
    const P: usize = 0,
    const C: usize = 0,
> {
    switch: Switch<P, C>,
    repair: bool,
    /// The held messages in the order they came, each with the ports its
    /// rules chose once its sequence is complete.
    held: heapless::Vec<(Msg<N>, u128), Q>,
    /// How many sequence ids the node has made, for the next.
    ids: u32,
}

/// Where the messages of a complete sequence are: held, and perhaps the
/// message at hand, which found the store full.
struct Members<'a, const N: usize, const Q: usize> {
    positions: heapless::Vec<usize, Q>,
    extra: Option<(&'a mut Msg<N>, u128)>,
}

impl<const N: usize, const Q: usize> Members<'_, N, Q> {
    fn len(&self) -> usize {
        self.positions.len() + usize::from(self.extra.is_some())
    }

    /// The ports the rules chose for the `k`th message.
    fn ports(&self, held: &heapless::Vec<(Msg<N>, u128), Q>, k: usize) -> u128 {
        match self.positions.get(k) {
            Some(at) => held.get(*at).map_or(0, |(_, ports)| *ports),
            None => self.extra.as_ref().map_or(0, |(_, ports)| *ports),
        }
    }

    /// The `k`th message of the sequence.
    fn msg<'h>(
        &'h self,
        held: &'h heapless::Vec<(Msg<N>, u128), Q>,
        k: usize,
    ) -> Option<&'h Msg<N>> {
        match self.positions.get(k) {
            Some(at) => held.get(*at).map(|(msg, _)| msg),
            None if k == self.positions.len() => self.extra.as_ref().map(|(msg, _)| &**msg),
            None => None,
        }
    }

    /// The `k`th message of the sequence and its ports, to change.
    fn get<'h>(
        &'h mut self,
        held: &'h mut heapless::Vec<(Msg<N>, u128), Q>,
        k: usize,
    ) -> Option<(&'h mut Msg<N>, &'h mut u128)> {
        match self.positions.get(k) {
            Some(at) => held.get_mut(*at).map(|(msg, ports)| (msg, ports)),
            None if k == self.positions.len() => {
                self.extra.as_mut().map(|(msg, ports)| (&mut **msg, ports))
            }
            None => None,
        }
    }
}

impl<const N: usize, const Q: usize, const R: usize, const P: usize, const C: usize>
    SequenceSwitch<N, Q, R, P, C>
{
    pub const fn new(switch: Switch<P, C>, repair: bool) -> Self {
        Self {
            switch,
            repair,
            held: heapless::Vec::new(),
            ids: 0,
        }
    }

    pub fn info(&self) -> &NodeInfo {
        &self.switch.info
    }

    /// How many messages wait for the rest of their sequence.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    pub fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        // Node-RED holds a message whose `msg.parts` has its own `id` and
        // `index`, whatever their values.
        let Some(id) = part_of(msg, "id").filter(|_| part_of(msg, "index").is_some()) else {
            let _ = self.switch.route(device, msg, out);
            return;
        };
        let mut members = Members::<N, Q> {
            positions: heapless::Vec::new(),
            extra: None,
        };
        let mut count = None;
        for (at, (held, _)) in self.held.iter().enumerate() {
            if part_of(held, "id").is_some_and(|other| same_key(other, id)) {
                // `positions` has room for every held message.
                let _ = members.positions.push(at);
                if let Some(held_count) = part_of(held, "count") {
                    count = Some(number(held_count));
                }
            }
        }
        if let Some(own_count) = part_of(msg, "count") {
            count = Some(number(own_count));
        }
        let total = members.positions.len() + 1;
        let complete = count.flatten() == Some(total as f64);
        if self.held.push((msg.clone(), 0)).is_ok() {
            if let (true, Some(last)) = (complete, self.held.len().checked_sub(1)) {
                let _ = members.positions.push(last);
                self.send_sequence(device, &mut members, total, out);
                self.forget(&members.positions);
            }
            return;
        }
        // One more than the store holds: Node-RED reports the error with
        // the message and forgets every waiting message, but the sequence
        // the message completes still leaves, after the error.
        self.switch
            .report_node_reds(device, ErrorKind::QueueFull, TOO_MANY_PENDING);
        out.error_with(msg);
        if complete {
            members.extra = Some((msg, 0));
            self.send_sequence(device, &mut members, total, out);
        }
        self.held.clear();
    }

    /// Forgets the held messages at `positions` (ascending).
    fn forget(&mut self, positions: &[usize]) {
        for at in positions.iter().rev() {
            if *at < self.held.len() {
                self.held.remove(*at);
            }
        }
    }

    /// Sends a complete sequence of `count` messages: each with its count,
    /// through the rules in the order they came.
    fn send_sequence<O: Outputs<N>>(
        &mut self,
        device: &Device,
        members: &mut Members<'_, N, Q>,
        count: usize,
        out: &mut O,
    ) {
        let count_path = [PathSegment::Key("parts"), PathSegment::Key("count")];
        // Whether every message was decided; the rules still run on the
        // rest, as Node-RED's do (a `prev` rule sees them).
        let mut decided_all = true;
        for k in 0..members.len() {
            let Some((msg, ports)) = members.get(&mut self.held, k) else {
                continue;
            };
            let counted = device
                .check(msg.set(&count_path, &(count as f64)), ErrorKind::Oversize)
                .is_some();
            if !counted {
                decided_all = false;
            } else if !self.repair {
                let _ = self.switch.route(device, msg, out);
            } else {
                // The rules decide on a copy, so the message stays as it
                // came.
                let mut decided = 0u128;
                let mut copy = msg.clone();
                let routed =
                    self.switch
                        .route(device, &mut copy, &mut |port: usize, _: &mut Msg<N>| {
                            decided |= u32::try_from(port)
                                .ok()
                                .and_then(|port| 1u128.checked_shl(port))
                                .unwrap_or(0);
                        });
                decided_all &= routed.is_ok();
                *ports = decided;
            }
            // An error this message met (its rules threw, it outgrew its
            // room) reaches catch nodes with it, before the next message
            // goes through the rules, as Node-RED's `node.error(err, msg)`
            // in the middle of draining the sequence. What a send took
            // with it is gone already.
            out.error_with(msg);
        }
        if self.repair && decided_all {
            self.send_repaired(device, members, out);
        }
    }

    /// Sends each decided message to its ports, each port's messages as a
    /// sequence of their own.
    fn send_repaired<O: Outputs<N>>(
        &mut self,
        device: &Device,
        members: &Members<'_, N, Q>,
        out: &mut O,
    ) {
        let ports = self.switch.rule_count().min(MAX_REPAIR_RULES);
        let first_id = self.ids;
        self.ids = self.ids.wrapping_add(ports as u32);
        let held = &self.held;
        let total = members.len();
        // Each port's messages: how many have left, and how many there
        // are, counted in one pass before the messages leave in another.
        let mut counters = [PortCount::default(); R];
        for k in 0..total {
            for port in chosen_ports(members.ports(held, k)) {
                if let Some(counter) = counters.get_mut(port) {
                    counter.count += 1;
                }
            }
        }
        for k in 0..total {
            for port in chosen_ports(members.ports(held, k)) {
                let Some(counter) = counters.get_mut(port) else {
                    continue;
                };
                let (index, port_count) = (counter.sent, counter.count);
                counter.sent += 1;
                let Some(mut copy) = members.msg(held, k).cloned() else {
                    continue;
                };
                let mut id = [0u8; 16];
                group_id(
                    self.switch.info.id,
                    first_id.wrapping_add(port as u32),
                    &mut id,
                );
                let set = set_parts(&mut copy, &id, index, port_count);
                if device.check(set, ErrorKind::Oversize).is_some() {
                    out.send(port, &mut copy);
                }
            }
        }
    }
}

/// A port's messages in a repaired sequence: how many have left so far,
/// and how many there are. A sequence has at most one message more than
/// the store holds.
#[derive(Clone, Copy, Default)]
struct PortCount {
    sent: usize,
    count: usize,
}

/// The ports in `chosen`, one bit a port, in ascending order.
fn chosen_ports(mut chosen: u128) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        (chosen != 0).then(|| {
            let port = chosen.trailing_zeros() as usize;
            chosen &= chosen - 1;
            port
        })
    })
}

/// A count as Node-RED compares it with `===`: a number, or none.
fn number(value: ValueRef<'_>) -> Option<f64> {
    match value {
        ValueRef::Number(n) => Some(n),
        _ => None,
    }
}

impl<const N: usize, const Q: usize, const R: usize, const P: usize, const C: usize> Node<N>
    for SequenceSwitch<N, Q, R, P, C>
{
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        SequenceSwitch::input(self, device, msg, out);
    }
}
