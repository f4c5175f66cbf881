//! Branch and bound over the devices of a few free nodes: the exact answer
//! when the instance is small enough, within a budget of search steps.

use super::graph::Part;
use super::Resources;

/// What the search is asked to solve.
pub(super) struct SearchInput<'a> {
    pub(super) part: &'a Part,
    pub(super) n_devices: usize,
    /// The devices the part's nodes may take, increasing.
    pub(super) devices: &'a [usize],
    /// The size of each node of the part, by local index.
    pub(super) sizes: Vec<Resources>,
    /// The room each device has for the part, by device; `None` when budgets
    /// are ignored.
    pub(super) room: Option<Vec<Resources>>,
    /// Whether each device has no pinned node. Two such devices with the same
    /// room are interchangeable until a node goes to one of them, so the
    /// search tries only the first.
    pub(super) pinless: Vec<bool>,
    /// The device each node had in the previous placement, by local index.
    /// Among placements of equal cost, the search prefers the one that moves
    /// the fewest of these nodes.
    pub(super) previous: Vec<Option<usize>>,
    /// A known solution by local index, which the search then only has to
    /// beat. It must respect `room`.
    pub(super) incumbent: Option<Vec<usize>>,
    pub(super) step_limit: u64,
}

pub(super) struct SearchOutcome {
    /// The best assignment found by local index, and its cost (the wires it
    /// cuts inside the part and towards pinned nodes).
    pub(super) best: Option<(Vec<usize>, u64)>,
    /// True when the search ran to its end, so `best` is optimal, or no
    /// assignment fits when `best` is `None`.
    pub(super) finished: bool,
    pub(super) steps: u64,
}

const UNASSIGNED: usize = usize::MAX;

struct Searcher<'a> {
    n_devices: usize,
    devices: &'a [usize],
    /// The nodes in the order they are decided.
    order: Vec<usize>,
    adjacency: Vec<Vec<(usize, u64)>>,
    /// `connection[node * n_devices + device]`: the weight from a node to
    /// pinned nodes and already assigned nodes on that device.
    connection: Vec<u64>,
    /// The sum of a node's connections over all devices.
    connected: Vec<u64>,
    assigned: Vec<usize>,
    count: Vec<usize>,
    sizes: Vec<Resources>,
    room: Option<Vec<Resources>>,
    pinless: Vec<bool>,
    break_symmetry: bool,
    previous: Vec<Option<usize>>,
    best: Option<Vec<usize>>,
    best_cost: u64,
    best_moved: usize,
    steps: u64,
    step_limit: u64,
    aborted: bool,
}

/// Runs the branch and bound.
pub(super) fn search(input: SearchInput<'_>) -> SearchOutcome {
    let part = input.part;
    let n_nodes = part.len();
    let n_devices = input.n_devices;
    let mut adjacency = vec![Vec::new(); n_nodes];
    for &(a, b, weight) in &part.wires {
        adjacency[a].push((b, weight));
        adjacency[b].push((a, weight));
    }
    let mut connection = vec![0u64; n_nodes * n_devices];
    let mut connected = vec![0u64; n_nodes];
    for &(node, device, weight) in &part.anchors {
        connection[node * n_devices + device] += weight;
        connected[node] += weight;
    }
    let order = branching_order(&adjacency, &connected);
    let break_symmetry = input.previous.iter().all(Option::is_none);
    let mut searcher = Searcher {
        n_devices,
        devices: input.devices,
        order,
        adjacency,
        connection,
        connected,
        assigned: vec![UNASSIGNED; n_nodes],
        count: vec![0; n_devices],
        sizes: input.sizes,
        room: input.room,
        pinless: input.pinless,
        break_symmetry,
        previous: input.previous,
        best: None,
        best_cost: u64::MAX,
        best_moved: usize::MAX,
        steps: 0,
        step_limit: input.step_limit,
        aborted: false,
    };
    if let Some(incumbent) = input.incumbent {
        if let Some((cost, moved)) = searcher.evaluate(&incumbent) {
            searcher.best_cost = cost;
            searcher.best_moved = moved;
            searcher.best = Some(incumbent);
        }
    }
    if searcher.remaining_bound(0).is_some() {
        searcher.descend(0, 0, 0);
    }
    let best_cost = searcher.best_cost;
    SearchOutcome {
        best: searcher.best.map(|assignment| (assignment, best_cost)),
        finished: !searcher.aborted,
        steps: searcher.steps,
    }
}

/// Orders the nodes so that each is the one most strongly tied to the pinned
/// nodes and to the nodes before it: deciding tightly bound nodes first makes
/// costs, and so the bounds, grow early.
fn branching_order(adjacency: &[Vec<(usize, u64)>], anchored: &[u64]) -> Vec<usize> {
    let n_nodes = adjacency.len();
    let mut pull: Vec<u64> = anchored.to_vec();
    let degree: Vec<u64> = adjacency
        .iter()
        .map(|list| list.iter().map(|&(_, weight)| weight).sum())
        .collect();
    let mut placed = vec![false; n_nodes];
    let mut order = Vec::with_capacity(n_nodes);
    for _ in 0..n_nodes {
        let next = (0..n_nodes)
            .filter(|&node| !placed[node])
            .max_by_key(|&node| (pull[node], degree[node], std::cmp::Reverse(node)));
        let Some(next) = next else { break };
        placed[next] = true;
        order.push(next);
        for &(other, weight) in &adjacency[next] {
            pull[other] += weight;
        }
    }
    order
}

impl Searcher<'_> {
    fn fits(&self, node: usize, device: usize) -> bool {
        match &self.room {
            None => true,
            Some(room) => self.sizes[node].fits_within(room[device]),
        }
    }

    /// The cost and moved count of a full assignment, or `None` when it does
    /// not fit the room or names a device the search may not use.
    fn evaluate(&self, assignment: &[usize]) -> Option<(u64, usize)> {
        if assignment.len() != self.assigned.len() {
            return None;
        }
        let mut used = vec![Resources::ZERO; self.n_devices];
        for (node, &device) in assignment.iter().enumerate() {
            if self.devices.binary_search(&device).is_err() {
                return None;
            }
            used[device] = used[device].saturating_add(self.sizes[node]);
        }
        if let Some(room) = &self.room {
            if used
                .iter()
                .zip(room)
                .any(|(&used, &room)| !used.fits_within(room))
            {
                return None;
            }
        }
        let mut cost: u64 = 0;
        for (node, &device) in assignment.iter().enumerate() {
            // Only anchors are in `connection` before the search starts.
            cost += self.connected[node] - self.connection[node * self.n_devices + device];
            for &(other, weight) in &self.adjacency[node] {
                if other > node && assignment[other] != device {
                    cost += weight;
                }
            }
        }
        let moved = assignment
            .iter()
            .zip(&self.previous)
            .filter(|(&device, previous)| previous.is_some_and(|before| before != device))
            .count();
        Some((cost, moved))
    }

    /// A lower bound on the cost still to come for the nodes from `depth` on
    /// in the branching order: each must at least cut its wires to decided
    /// nodes on other devices, even on its cheapest device with room. `None`
    /// when some node has no device with room left.
    fn remaining_bound(&self, depth: usize) -> Option<u64> {
        let mut bound: u64 = 0;
        for &node in &self.order[depth..] {
            let row = &self.connection[node * self.n_devices..(node + 1) * self.n_devices];
            let cheapest = self
                .devices
                .iter()
                .filter(|&&device| self.fits(node, device))
                .map(|&device| self.connected[node] - row[device])
                .min()?;
            bound += cheapest;
        }
        Some(bound)
    }

    fn is_blank(&self, device: usize) -> bool {
        self.pinless[device] && self.count[device] == 0
    }

    fn set(&mut self, node: usize, device: usize) {
        self.assigned[node] = device;
        self.count[device] += 1;
        if let Some(room) = &mut self.room {
            room[device] = room[device].saturating_sub(self.sizes[node]);
        }
        for index in 0..self.adjacency[node].len() {
            let (other, weight) = self.adjacency[node][index];
            if self.assigned[other] == UNASSIGNED {
                self.connection[other * self.n_devices + device] += weight;
                self.connected[other] += weight;
            }
        }
    }

    fn unset(&mut self, node: usize, device: usize) {
        self.assigned[node] = UNASSIGNED;
        self.count[device] -= 1;
        if let Some(room) = &mut self.room {
            room[device] = room[device].saturating_add(self.sizes[node]);
        }
        for index in 0..self.adjacency[node].len() {
            let (other, weight) = self.adjacency[node][index];
            if self.assigned[other] == UNASSIGNED {
                self.connection[other * self.n_devices + device] -= weight;
                self.connected[other] -= weight;
            }
        }
    }

    fn descend(&mut self, depth: usize, cost: u64, moved: usize) {
        if depth == self.order.len() {
            if (cost, moved) < (self.best_cost, self.best_moved) {
                self.best_cost = cost;
                self.best_moved = moved;
                self.best = Some(self.assigned.clone());
            }
            return;
        }
        let node = self.order[depth];
        let previous = self.previous[node];
        let mut choices: Vec<(u64, bool, usize)> = self
            .devices
            .iter()
            .filter(|&&device| self.fits(node, device))
            .map(|&device| {
                let added = self.connected[node] - self.connection[node * self.n_devices + device];
                (added, previous != Some(device), device)
            })
            .collect();
        choices.sort_unstable();
        let mut tried_blank: Vec<usize> = Vec::new();
        for (added, _, device) in choices {
            if self.break_symmetry && self.is_blank(device) {
                let twin = tried_blank.iter().any(|&other| match &self.room {
                    None => true,
                    Some(room) => room[other] == room[device],
                });
                if twin {
                    continue;
                }
                tried_blank.push(device);
            }
            self.steps += 1;
            if self.steps > self.step_limit {
                self.aborted = true;
                return;
            }
            let cost_here = cost + added;
            let moved_here = moved + usize::from(previous.is_some_and(|before| before != device));
            if (cost_here, moved_here) >= (self.best_cost, self.best_moved) {
                continue;
            }
            self.set(node, device);
            if let Some(rest) = self.remaining_bound(depth + 1) {
                if (cost_here + rest, moved_here) < (self.best_cost, self.best_moved) {
                    self.descend(depth + 1, cost_here, moved_here);
                }
            }
            self.unset(node, device);
            if self.aborted {
                return;
            }
        }
    }
}
