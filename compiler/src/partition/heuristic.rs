//! The placement heuristics for instances too large to solve exactly: starts
//! (growing devices outwards from their pinned nodes, packing by size, moving
//! nodes off devices that are over budget), Fiduccia–Mattheyses refinement,
//! and perturbation rounds around it. Each pass costs about one walk over the
//! wires, times a logarithm for its priority queues.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::graph::Graph;
use super::Resources;

pub(super) const UNASSIGNED: usize = usize::MAX;

/// After this many moves without a better cut, a refinement pass stops
/// exploring and returns to its best point. Enough to carry a chain of
/// nodes across to the device at its other end, small enough to keep a
/// pass near linear.
const FRUITLESS_MOVES: usize = 200;

/// Refinement stops after this many passes even if each still gains.
const MAX_PASSES: usize = 12;

/// How many members of a device over budget a pass considers moving off it,
/// beyond the nodes its moves have touched.
const MEMBERS_SCANNED: usize = 256;

/// The same two limits for the refinement around one perturbation, which
/// only has to settle a neighbourhood.
const LOCAL_FRUITLESS_MOVES: usize = 10;
const LOCAL_PASSES: usize = 4;

/// An assignment being built or improved, with what its moves need at hand:
/// each node's connection to each device and each device's load.
#[derive(Clone)]
pub(super) struct State<'a> {
    graph: &'a Graph,
    sizes: &'a [Resources],
    budgets: &'a [Resources],
    n_devices: usize,
    pub(super) device_of: Vec<usize>,
    /// `connection[node * n_devices + device]`: the weight of the wires from
    /// a node to the nodes assigned to that device.
    connection: Vec<u64>,
    pub(super) load: Vec<Resources>,
}

impl<'a> State<'a> {
    /// A state in which no node has a device yet.
    pub(super) fn new(graph: &'a Graph, sizes: &'a [Resources], budgets: &'a [Resources]) -> Self {
        let n_devices = budgets.len();
        State {
            graph,
            sizes,
            budgets,
            n_devices,
            device_of: vec![UNASSIGNED; graph.n_nodes()],
            connection: vec![0; graph.n_nodes() * n_devices],
            load: vec![Resources::ZERO; n_devices],
        }
    }

    /// A state holding `device_of`, where `UNASSIGNED` leaves a node without
    /// a device.
    pub(super) fn with_assignment(
        graph: &'a Graph,
        sizes: &'a [Resources],
        budgets: &'a [Resources],
        device_of: &[usize],
    ) -> Self {
        let mut state = State::new(graph, sizes, budgets);
        for (node, &device) in device_of.iter().enumerate() {
            if device != UNASSIGNED {
                state.assign(node, device);
            }
        }
        state
    }

    pub(super) fn budget(&self, device: usize) -> Resources {
        self.budgets[device]
    }

    pub(super) fn size(&self, node: usize) -> Resources {
        self.sizes[node]
    }

    pub(super) fn connection(&self, node: usize, device: usize) -> u64 {
        self.connection[node * self.n_devices + device]
    }

    pub(super) fn assign(&mut self, node: usize, device: usize) {
        self.device_of[node] = device;
        self.load[device] = self.load[device].saturating_add(self.sizes[node]);
        for (other, weight) in self.graph.neighbours(node) {
            self.connection[other * self.n_devices + device] += weight;
        }
    }

    pub(super) fn relocate(&mut self, node: usize, device: usize) {
        let from = self.device_of[node];
        if from == device {
            return;
        }
        self.device_of[node] = device;
        self.load[from] = self.load[from].saturating_sub(self.sizes[node]);
        self.load[device] = self.load[device].saturating_add(self.sizes[node]);
        for (other, weight) in self.graph.neighbours(node) {
            self.connection[other * self.n_devices + from] -= weight;
            self.connection[other * self.n_devices + device] += weight;
        }
    }

    /// Whether `node` fits on `device` next to what is there already.
    pub(super) fn fits(&self, node: usize, device: usize) -> bool {
        self.load[device]
            .saturating_add(self.sizes[node])
            .fits_within(self.budgets[device])
    }

    pub(super) fn overloaded(&self, device: usize) -> bool {
        !self.load[device].fits_within(self.budgets[device])
    }

    pub(super) fn within_budgets(&self) -> bool {
        (0..self.n_devices).all(|device| !self.overloaded(device))
    }

    /// The weight of the wires whose ends are both assigned, to different
    /// devices.
    pub(super) fn cost(&self) -> u64 {
        self.graph
            .wires()
            .filter(|&(a, b, _)| {
                let (device_a, device_b) = (self.device_of[a], self.device_of[b]);
                device_a != UNASSIGNED && device_b != UNASSIGNED && device_a != device_b
            })
            .map(|(_, _, weight)| weight)
            .sum()
    }

    /// How much of its budget a device would have left with `node` on it, as
    /// the smaller fraction of the two resources. Used to spread nodes that
    /// have no neighbour to follow.
    fn room_after(&self, node: usize, device: usize) -> f64 {
        let after = self.load[device].saturating_add(self.sizes[node]);
        let budget = self.budgets[device];
        let fraction = |used: u64, total: u64| {
            if total == 0 {
                1.0
            } else {
                total.saturating_sub(used) as f64 / total as f64
            }
        };
        fraction(after.flash, budget.flash).min(fraction(after.ram, budget.ram))
    }

    /// The first device over its budget, if any.
    pub(super) fn first_overloaded(&self) -> Option<usize> {
        (0..self.n_devices).find(|&device| self.overloaded(device))
    }

    fn allows(&self, node: usize, device: usize, rule: MoveRule) -> bool {
        match rule {
            MoveRule::Anywhere => true,
            MoveRule::Within => self.fits(node, device),
            MoveRule::Beyond(slack) => self.load[device]
                .saturating_add(self.sizes[node])
                .fits_within(self.budgets[device].saturating_add(slack)),
        }
    }

    /// The best device to move `node` to, with the gain in cut weight. Only
    /// devices the node is wired to count, except under `Within` for a node
    /// on a device over budget, which may go anywhere to make room. Ties go
    /// to the device `preferred` names, then to the lower index. `None` when
    /// no device qualifies.
    fn best_move(
        &self,
        node: usize,
        rule: MoveRule,
        preferred: Option<usize>,
    ) -> Option<(i128, usize)> {
        let from = self.device_of[node];
        let anywhere = rule == MoveRule::Within && self.overloaded(from);
        let staying = i128::from(self.connection(node, from));
        (0..self.n_devices)
            .filter(|&device| {
                device != from
                    && (anywhere || self.connection(node, device) > 0)
                    && self.allows(node, device, rule)
            })
            .map(|device| {
                let gain = i128::from(self.connection(node, device)) - staying;
                (gain, preferred == Some(device), Reverse(device))
            })
            .max()
            .map(|(gain, _, Reverse(device))| (gain, device))
    }
}

/// Which devices a refinement move may fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MoveRule {
    /// Budgets are ignored.
    Anywhere,
    /// No device may go over its budget.
    Within,
    /// A device may go over its budget by at most this much for a moment, so
    /// that two nodes can trade places between full devices.
    Beyond(Resources),
}

/// Gives a device to every free node in `nodes` that has none, within the
/// budgets. Devices grow outwards from what is already assigned, always
/// taking next the node most strongly wired to a device that has room for it;
/// when nothing is left to grow, the lowest unassigned node starts a new
/// region on the device it is most wired to, or else on the roomiest one.
/// Returns the nodes that fit nowhere, which stay unassigned.
pub(super) fn grow(state: &mut State<'_>, nodes: &[usize], pins: &[Option<usize>]) -> Vec<usize> {
    let n_devices = state.n_devices;
    let mut queue: BinaryHeap<(u64, Reverse<usize>, Reverse<usize>)> = BinaryHeap::new();
    for &node in nodes {
        if state.device_of[node] == UNASSIGNED {
            for device in 0..n_devices {
                let weight = state.connection(node, device);
                if weight > 0 {
                    queue.push((weight, Reverse(node), Reverse(device)));
                }
            }
        }
    }
    let mut unplaced = Vec::new();
    let mut seeds = nodes.iter().copied();
    loop {
        while let Some((weight, Reverse(node), Reverse(device))) = queue.pop() {
            if state.device_of[node] != UNASSIGNED
                || state.connection(node, device) != weight
                || !state.fits(node, device)
            {
                continue;
            }
            place_and_spread(state, node, device, pins, &mut queue);
        }
        let Some(seed) = seeds.find(|&node| state.device_of[node] == UNASSIGNED) else {
            break;
        };
        let choice = (0..n_devices)
            .filter(|&device| state.fits(seed, device))
            .max_by(|&a, &b| {
                state
                    .connection(seed, a)
                    .cmp(&state.connection(seed, b))
                    .then(
                        state
                            .room_after(seed, a)
                            .total_cmp(&state.room_after(seed, b)),
                    )
                    .then(b.cmp(&a))
            });
        match choice {
            Some(device) => place_and_spread(state, seed, device, pins, &mut queue),
            None => unplaced.push(seed),
        }
    }
    unplaced
}

/// Assigns `node` and offers its unassigned neighbours to the same device.
fn place_and_spread(
    state: &mut State<'_>,
    node: usize,
    device: usize,
    pins: &[Option<usize>],
    queue: &mut BinaryHeap<(u64, Reverse<usize>, Reverse<usize>)>,
) {
    state.assign(node, device);
    for (other, _) in state.graph.neighbours(node) {
        if pins[other].is_none() && state.device_of[other] == UNASSIGNED {
            queue.push((
                state.connection(other, device),
                Reverse(other),
                Reverse(device),
            ));
        }
    }
}

/// Moves free nodes off every device that is over budget, each time the one
/// whose move costs least, to a device with room. Returns false when some
/// device stays over budget because nothing on it can go anywhere.
pub(super) fn repair(state: &mut State<'_>, pins: &[Option<usize>]) -> bool {
    let n_devices = state.n_devices;
    for device in 0..n_devices {
        if !state.overloaded(device) {
            continue;
        }
        let best_exit = |state: &State<'_>, node: usize| -> Option<(i128, usize)> {
            let staying = i128::from(state.connection(node, device));
            (0..n_devices)
                .filter(|&target| target != device && state.fits(node, target))
                .map(|target| {
                    (
                        i128::from(state.connection(node, target)) - staying,
                        Reverse(target),
                    )
                })
                .max()
                .map(|(gain, Reverse(target))| (gain, target))
        };
        // Only nodes that use a resource the device is short of can help.
        let helps = |state: &State<'_>, node: usize| {
            let over = state.load[device].saturating_sub(state.budgets[device]);
            (over.flash > 0 && state.sizes[node].flash > 0)
                || (over.ram > 0 && state.sizes[node].ram > 0)
        };
        let mut queue: BinaryHeap<(i128, Reverse<usize>)> = BinaryHeap::new();
        for (node, pin) in pins.iter().enumerate() {
            if pin.is_none() && state.device_of[node] == device && helps(state, node) {
                if let Some((gain, _)) = best_exit(state, node) {
                    queue.push((gain, Reverse(node)));
                }
            }
        }
        while state.overloaded(device) {
            let Some((gain, Reverse(node))) = queue.pop() else {
                return false;
            };
            if state.device_of[node] != device || !helps(state, node) {
                continue;
            }
            let Some((current_gain, target)) = best_exit(state, node) else {
                continue;
            };
            if current_gain != gain {
                queue.push((current_gain, Reverse(node)));
                continue;
            }
            state.relocate(node, target);
            for (other, _) in state.graph.neighbours(node) {
                if pins[other].is_none() && state.device_of[other] == device {
                    if let Some((gain, _)) = best_exit(state, other) {
                        queue.push((gain, Reverse(other)));
                    }
                }
            }
        }
    }
    state.within_budgets()
}

/// How [`pack`] chooses among the devices with room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fit {
    /// The device the node is most wired to, then the one left with the most
    /// room: keeps wires together while it can.
    Wired,
    /// The device left with the least room: classic best-fit packing, which
    /// fits more when the budgets are nearly exhausted.
    Tightest,
}

/// Puts every unassigned free node in `nodes` on a device, largest first. A
/// start that cares about fitting more than about wires, for when growing
/// devices from their pins runs out of room. Returns the nodes that fit
/// nowhere.
pub(super) fn pack(state: &mut State<'_>, nodes: &[usize], fit: Fit) -> Vec<usize> {
    let n_devices = state.n_devices;
    let total = state
        .budgets
        .iter()
        .fold(Resources::ZERO, |total, &budget| {
            total.saturating_add(budget)
        });
    let mut order: Vec<(f64, usize)> = nodes
        .iter()
        .filter(|&&node| state.device_of[node] == UNASSIGNED)
        .map(|&node| (share(state.sizes[node], total), node))
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut unplaced = Vec::new();
    for (_, node) in order {
        let choice = (0..n_devices)
            .filter(|&device| state.fits(node, device))
            .max_by(|&a, &b| {
                let room = state
                    .room_after(node, a)
                    .total_cmp(&state.room_after(node, b));
                match fit {
                    Fit::Wired => state
                        .connection(node, a)
                        .cmp(&state.connection(node, b))
                        .then(room),
                    Fit::Tightest => room.reverse(),
                }
                .then(b.cmp(&a))
            });
        match choice {
            Some(device) => state.assign(node, device),
            None => unplaced.push(node),
        }
    }
    unplaced.sort_unstable();
    unplaced
}

/// Fiduccia–Mattheyses refinement, with the scratch space it reuses between
/// calls.
///
/// A pass moves nodes one at a time, always the move with the best gain even
/// when it loses, locks each node it moves, and at the end returns to the best
/// point it reached; passes repeat while they gain. Losing moves let a pass
/// carry a group of nodes across when no single node gains by moving alone.
/// Under budgets a move may overfill a device by up to the largest free node,
/// after which the pass must first move something off that device: this is
/// how two nodes trade places between full devices. Only points within every
/// budget count as the best point.
pub(super) struct Refiner<'a> {
    movable: Vec<bool>,
    previous: &'a [Option<usize>],
    rule: MoveRule,
    /// Moves without a better point before a pass gives up.
    patience: usize,
    locked: Vec<u32>,
    stamp: u32,
    queues: Vec<BinaryHeap<(i128, Reverse<usize>)>>,
    moves: Vec<(usize, usize)>,
    touched: Vec<usize>,
    /// The movable nodes of each device, so that a pass that has overfilled
    /// a device can also move nodes no move has touched, such as nodes
    /// without wires. Entries go stale when a node leaves; scans drop them.
    members: Vec<Vec<usize>>,
    /// The pass in which each device's members were last put in its queue.
    scanned: Vec<u32>,
    /// The scan in which each node was last seen, to drop duplicates.
    seen: Vec<u32>,
    scan_stamp: u32,
}

impl<'a> Refiner<'a> {
    /// A refiner that moves only the nodes in `movable` (free nodes), within
    /// the budgets or ignoring them.
    pub(super) fn new(
        state: &State<'_>,
        movable: &[usize],
        respect_budgets: bool,
        previous: &'a [Option<usize>],
    ) -> Self {
        let n_nodes = state.device_of.len();
        let mut mask = vec![false; n_nodes];
        let mut slack = Resources::ZERO;
        for &node in movable {
            mask[node] = true;
            let size = state.sizes[node];
            slack = Resources {
                flash: slack.flash.max(size.flash),
                ram: slack.ram.max(size.ram),
            };
        }
        let mut members = vec![Vec::new(); state.n_devices];
        for &node in movable {
            if state.device_of[node] != UNASSIGNED {
                members[state.device_of[node]].push(node);
            }
        }
        Refiner {
            members,
            scanned: vec![0; state.n_devices],
            seen: vec![0; n_nodes],
            scan_stamp: 0,
            movable: mask,
            previous,
            rule: if respect_budgets {
                MoveRule::Beyond(slack)
            } else {
                MoveRule::Anywhere
            },
            patience: FRUITLESS_MOVES,
            locked: vec![0; n_nodes],
            stamp: 0,
            queues: vec![BinaryHeap::new(); state.n_devices],
            moves: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// Refines from the nodes in `seeds`: every pass starts from all of
    /// them, or with `local`, only the first pass does and later passes start
    /// from the nodes the previous one moved and their neighbours. Appends
    /// the moves it keeps to `journal` and returns the weight it took off the
    /// cut. A state within the budgets stays within them.
    pub(super) fn refine(
        &mut self,
        state: &mut State<'_>,
        seeds: &[usize],
        local: bool,
        journal: &mut Vec<(usize, usize)>,
    ) -> i128 {
        let mut total_gain = 0;
        let mut pass_seeds = seeds.to_vec();
        let (passes, patience) = if local {
            (LOCAL_PASSES, LOCAL_FRUITLESS_MOVES)
        } else {
            (MAX_PASSES, FRUITLESS_MOVES)
        };
        self.patience = patience;
        for _ in 0..passes {
            let started_within = self.rule == MoveRule::Anywhere || state.within_budgets();
            let gained = self.pass(state, &pass_seeds);
            journal.extend_from_slice(&self.moves);
            total_gain += gained;
            // A pass that started over budget and came back within it may
            // have lost weight to get there; the next pass can still gain.
            let restored = !started_within && state.within_budgets();
            if gained <= 0 && !restored {
                break;
            }
            if local {
                self.touched.clear();
                for &(node, _) in &self.moves {
                    self.touched.push(node);
                    self.touched
                        .extend(state.graph.neighbours(node).map(|(other, _)| other));
                }
                self.touched.sort_unstable();
                self.touched.dedup();
                std::mem::swap(&mut pass_seeds, &mut self.touched);
            }
        }
        total_gain
    }

    fn key(&self, state: &State<'_>, node: usize) -> Option<i128> {
        state
            .best_move(node, self.rule, self.previous[node])
            .map(|(gain, _)| gain)
    }

    /// Moves `node` and keeps the member lists current.
    fn shift(&mut self, state: &mut State<'_>, node: usize, device: usize) {
        state.relocate(node, device);
        self.members[device].push(node);
    }

    /// Puts up to `MEMBERS_SCANNED` unlocked members of `device` in its
    /// queue, keyed by their best move within the budgets, and drops the
    /// stale and duplicate entries it passes.
    fn scan_members(&mut self, state: &State<'_>, device: usize) {
        self.scan_stamp = self.scan_stamp.wrapping_add(1);
        if self.scan_stamp == 0 {
            self.seen.fill(0);
            self.scan_stamp = 1;
        }
        let mut list = std::mem::take(&mut self.members[device]);
        let mut index = 0;
        let mut pushed = 0;
        while index < list.len() && pushed < MEMBERS_SCANNED {
            let node = list[index];
            if state.device_of[node] != device || self.seen[node] == self.scan_stamp {
                list.swap_remove(index);
                continue;
            }
            self.seen[node] = self.scan_stamp;
            index += 1;
            if self.locked[node] != self.stamp {
                if let Some((gain, _)) =
                    state.best_move(node, MoveRule::Within, self.previous[node])
                {
                    self.queues[device].push((gain, Reverse(node)));
                    pushed += 1;
                }
            }
        }
        self.members[device] = list;
    }

    /// One pass; leaves the moves it kept in `self.moves` and returns their
    /// gain.
    fn pass(&mut self, state: &mut State<'_>, seeds: &[usize]) -> i128 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.locked.fill(0);
            self.scanned.fill(0);
            self.stamp = 1;
        }
        for queue in &mut self.queues {
            queue.clear();
        }
        for &node in seeds {
            if self.movable[node] {
                if let Some(gain) = self.key(state, node) {
                    self.queues[state.device_of[node]].push((gain, Reverse(node)));
                }
            }
        }
        let respect_budgets = self.rule != MoveRule::Anywhere;
        self.moves.clear();
        // From a point over budget, the first point within budget is better
        // than the start, whatever its weight.
        let start_within = !respect_budgets || state.within_budgets();
        let mut best_gained = if start_within { 0 } else { i128::MIN };
        let (mut gained, mut best_length) = (0i128, 0usize);
        loop {
            let overloaded = if respect_budgets {
                state.first_overloaded()
            } else {
                None
            };
            let source = match overloaded {
                Some(device) => {
                    if self.scanned[device] != self.stamp {
                        self.scanned[device] = self.stamp;
                        self.scan_members(state, device);
                    }
                    device
                }
                None => {
                    let best_queue = (0..self.queues.len())
                        .filter_map(|device| {
                            self.queues[device]
                                .peek()
                                .map(|&(gain, Reverse(node))| (gain, Reverse(node), device))
                        })
                        .max();
                    match best_queue {
                        Some((_, _, device)) => device,
                        None => break,
                    }
                }
            };
            let Some((key, Reverse(node))) = self.queues[source].pop() else {
                break;
            };
            if self.locked[node] == self.stamp || state.device_of[node] != source {
                continue;
            }
            let rule = if overloaded.is_some() {
                MoveRule::Within
            } else {
                self.rule
            };
            let Some((gain, target)) = state.best_move(node, rule, self.previous[node]) else {
                continue;
            };
            if gain != key {
                self.queues[source].push((gain, Reverse(node)));
                continue;
            }
            self.moves.push((node, source));
            self.shift(state, node, target);
            self.locked[node] = self.stamp;
            gained += gain;
            if gained > best_gained && (!respect_budgets || state.within_budgets()) {
                best_gained = gained;
                best_length = self.moves.len();
            } else if self.moves.len() - best_length > self.patience {
                break;
            }
            for (other, _) in state.graph.neighbours(node) {
                if self.movable[other] && self.locked[other] != self.stamp {
                    if let Some(gain) = self.key(state, other) {
                        self.queues[state.device_of[other]].push((gain, Reverse(other)));
                    }
                }
            }
        }
        for index in (best_length..self.moves.len()).rev() {
            let (node, from) = self.moves[index];
            self.shift(state, node, from);
        }
        self.moves.truncate(best_length);
        if best_gained == i128::MIN {
            0
        } else {
            best_gained
        }
    }
}

/// A small deterministic generator (SplitMix64) for the perturbations, so
/// that the same input always takes the same path.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (mix(self.0) % below.max(1) as u64) as usize
    }
}

/// The larger of the shares of `total` that `size` takes in each resource: how
/// hard a node or a part is to fit.
pub(super) fn share(size: Resources, total: Resources) -> f64 {
    let fraction = |part: u64, whole: u64| {
        if whole == 0 {
            part as f64
        } else {
            part as f64 / whole as f64
        }
    };
    fraction(size.flash, total.flash).max(fraction(size.ram, total.ram))
}

/// SplitMix64's finaliser: spreads the bits of `value` over the whole word.
pub(super) fn mix(value: u64) -> u64 {
    let mut mixed = value;
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    mixed ^ (mixed >> 31)
}

/// Iterated local search: each round moves a small connected group of nodes
/// across a boundary, refines around it, and keeps the result only when the
/// cut got lighter. This escapes the local optima that refinement alone
/// stops in, at a cost per round that depends on the group, not on the size
/// of the flow. The group may overfill its new device as far as a refinement
/// move may; the result is kept only if the refinement brought every device
/// back within budget. With a previous placement, a round is also undone if
/// it leaves more nodes away from their previous device: the search improves
/// the cut, but does not drift from what is already flashed. The state must
/// be within the budgets and stays so.
pub(super) fn perturb(
    state: &mut State<'_>,
    refiner: &mut Refiner<'_>,
    movable: &[usize],
    rounds: usize,
) {
    if movable.is_empty() {
        return;
    }
    let mut sequence = Sequence(0x5053_4f53);
    let mut journal: Vec<(usize, usize)> = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    let mut seeds: Vec<usize> = Vec::new();
    for _ in 0..rounds {
        // A node on a boundary, and a device across it.
        let mut start = None;
        for _ in 0..8 {
            let node = movable[sequence.next(movable.len())];
            let from = state.device_of[node];
            let across: Vec<usize> = (0..state.n_devices)
                .filter(|&device| device != from && state.connection(node, device) > 0)
                .collect();
            if !across.is_empty() {
                start = Some((node, across[sequence.next(across.len())]));
                break;
            }
        }
        let Some((node, target)) = start else {
            continue;
        };
        let from = state.device_of[node];
        let group_size = 1 + sequence.next(8);
        group.clear();
        group.push(node);
        let mut cursor = 0;
        while cursor < group.len() && group.len() < group_size {
            let current = group[cursor];
            cursor += 1;
            for (other, _) in state.graph.neighbours(current) {
                if group.len() < group_size
                    && refiner.movable[other]
                    && state.device_of[other] == from
                    && !group.contains(&other)
                {
                    group.push(other);
                }
            }
        }
        journal.clear();
        let mut gain: i128 = 0;
        for &member in &group {
            if state.allows(member, target, refiner.rule) {
                gain += i128::from(state.connection(member, target))
                    - i128::from(state.connection(member, from));
                journal.push((member, from));
                refiner.shift(state, member, target);
            }
        }
        if journal.is_empty() {
            continue;
        }
        seeds.clear();
        for &(member, _) in &journal {
            seeds.push(member);
            seeds.extend(state.graph.neighbours(member).map(|(other, _)| other));
        }
        seeds.sort_unstable();
        seeds.dedup();
        gain += refiner.refine(state, &seeds, true, &mut journal);
        if gain <= 0 || !state.within_budgets() || drifts(state, refiner.previous, &journal) {
            for &(member, before) in journal.iter().rev() {
                refiner.shift(state, member, before);
            }
        }
    }
}

/// The most pairs [`make_room`] looks at, so that it stays quick on large
/// flows, where it would look at every node for every unplaced one.
const MAKE_ROOM_WORK: usize = 50_000_000;

/// Tries to give each node of `unplaced` a device by first moving one free
/// node out of the way: a node `other` leaves some device for another with
/// room, and the unplaced node takes the room it left. Of all such pairs the
/// one that cuts the least weight wins. Returns the nodes still unplaced.
pub(super) fn make_room(
    state: &mut State<'_>,
    unplaced: &[usize],
    pins: &[Option<usize>],
) -> Vec<usize> {
    let n_devices = state.n_devices;
    let n_nodes = state.device_of.len();
    if unplaced
        .len()
        .saturating_mul(n_nodes)
        .saturating_mul(n_devices)
        > MAKE_ROOM_WORK
    {
        return unplaced.to_vec();
    }
    let mut still_unplaced = Vec::new();
    for &node in unplaced {
        if let Some(device) = (0..n_devices).find(|&device| state.fits(node, device)) {
            state.assign(node, device);
            continue;
        }
        // (cost of the pair, the node moved away, where it goes, where the
        // unplaced node goes)
        let mut best: Option<(i128, usize, usize, usize)> = None;
        for (other, pin) in pins.iter().enumerate() {
            let from = state.device_of[other];
            if pin.is_some() || from == UNASSIGNED {
                continue;
            }
            let room_left = state.budgets[from]
                .saturating_sub(state.load[from])
                .saturating_add(state.sizes[other]);
            if !state.sizes[node].fits_within(room_left) {
                continue;
            }
            for target in (0..n_devices).filter(|&target| target != from) {
                if !state.fits(other, target) {
                    continue;
                }
                let cost = i128::from(state.connection(other, from))
                    - i128::from(state.connection(other, target))
                    - i128::from(state.connection(node, from));
                if best.is_none_or(|(best_cost, ..)| cost < best_cost) {
                    best = Some((cost, other, target, from));
                }
            }
        }
        match best {
            Some((_, other, target, device)) => {
                state.relocate(other, target);
                state.assign(node, device);
            }
            None => still_unplaced.push(node),
        }
    }
    still_unplaced
}

/// Whether the moves in `journal` leave more nodes away from their previous
/// device than before them. Each node's first entry holds where it started.
fn drifts(state: &State<'_>, previous: &[Option<usize>], journal: &[(usize, usize)]) -> bool {
    let mut first_entries: Vec<(usize, usize, usize)> = journal
        .iter()
        .enumerate()
        .map(|(index, &(node, from))| (node, index, from))
        .collect();
    first_entries.sort_unstable();
    first_entries.dedup_by_key(|&mut (node, _, _)| node);
    let mut change: isize = 0;
    for (node, _, from) in first_entries {
        if let Some(before) = previous[node] {
            let now = state.device_of[node];
            change += isize::from(now != before) - isize::from(from != before);
        }
    }
    change > 0
}
