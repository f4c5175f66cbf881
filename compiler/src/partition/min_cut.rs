//! Maximum flow by Dinic's algorithm on undirected networks with integer
//! weights, and the minimum cuts that a maximum flow proves.
//!
//! petgraph has a Dinic too, but it scans every node for each augmenting
//! path; flows of 100k nodes need the current-arc form below, and an
//! iterative search, because a chain of nodes would overflow the stack of a
//! recursive one.

/// A network whose every undirected wire is a pair of opposite arcs, each
/// with the wire's weight as capacity, each the other's reverse.
pub(super) struct Network {
    offsets: Vec<usize>,
    heads: Vec<usize>,
    reverse: Vec<usize>,
    capacity: Vec<u64>,
    residual: Vec<u64>,
}

const UNREACHED: usize = usize::MAX;

impl Network {
    /// Builds a network of `n_nodes` nodes from `(a, b, weight)` wires whose
    /// ends are below `n_nodes`.
    pub(super) fn new(n_nodes: usize, wires: &[(usize, usize, u64)]) -> Network {
        let mut degrees = vec![0usize; n_nodes];
        for &(a, b, _) in wires {
            degrees[a] += 1;
            degrees[b] += 1;
        }
        let mut offsets = Vec::with_capacity(n_nodes + 1);
        let mut total = 0;
        for degree in degrees {
            offsets.push(total);
            total += degree;
        }
        offsets.push(total);
        let mut heads = vec![0; total];
        let mut reverse = vec![0; total];
        let mut capacity = vec![0; total];
        let mut next = offsets.clone();
        for &(a, b, weight) in wires {
            let forward = next[a];
            next[a] += 1;
            let backward = next[b];
            next[b] += 1;
            heads[forward] = b;
            heads[backward] = a;
            reverse[forward] = backward;
            reverse[backward] = forward;
            capacity[forward] = weight;
            capacity[backward] = weight;
        }
        let residual = capacity.clone();
        Network {
            offsets,
            heads,
            reverse,
            capacity,
            residual,
        }
    }

    fn n_nodes(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Pushes as much flow as the network carries from `source` to the nodes
    /// marked in `sinks`, starting from no flow at all. The value returned is
    /// also the weight of a minimum cut between them.
    pub(super) fn max_flow(&mut self, source: usize, sinks: &[bool]) -> u64 {
        self.residual.copy_from_slice(&self.capacity);
        let n_nodes = self.n_nodes();
        let mut level = vec![UNREACHED; n_nodes];
        let mut current = vec![0; n_nodes];
        let mut queue = Vec::with_capacity(n_nodes);
        let mut path: Vec<usize> = Vec::new();
        let mut total: u64 = 0;
        if sinks[source] {
            return 0;
        }
        loop {
            level.fill(UNREACHED);
            level[source] = 0;
            queue.clear();
            queue.push(source);
            let mut cursor = 0;
            let mut reached_sink = false;
            while cursor < queue.len() {
                let node = queue[cursor];
                cursor += 1;
                // Flow that reaches a sink stays there, so the search does
                // not continue through it.
                if sinks[node] {
                    reached_sink = true;
                    continue;
                }
                for arc in self.offsets[node]..self.offsets[node + 1] {
                    let head = self.heads[arc];
                    if self.residual[arc] > 0 && level[head] == UNREACHED {
                        level[head] = level[node] + 1;
                        queue.push(head);
                    }
                }
            }
            if !reached_sink {
                return total;
            }
            current.copy_from_slice(&self.offsets[..n_nodes]);
            path.clear();
            let mut node = source;
            loop {
                if sinks[node] {
                    let bottleneck = path
                        .iter()
                        .map(|&arc| self.residual[arc])
                        .min()
                        .unwrap_or(0);
                    for &arc in &path {
                        self.residual[arc] -= bottleneck;
                        self.residual[self.reverse[arc]] += bottleneck;
                    }
                    total = total.saturating_add(bottleneck);
                    // Resuming from the tail of the first arc that is now
                    // full keeps the part of the path that can still carry
                    // flow.
                    let first_full = path
                        .iter()
                        .position(|&arc| self.residual[arc] == 0)
                        .unwrap_or(0);
                    path.truncate(first_full);
                    node = match path.last() {
                        Some(&arc) => self.heads[arc],
                        None => source,
                    };
                    continue;
                }
                let end = self.offsets[node + 1];
                while current[node] < end {
                    let arc = current[node];
                    let head = self.heads[arc];
                    if self.residual[arc] > 0
                        && level[head] != UNREACHED
                        && level[head] == level[node] + 1
                    {
                        break;
                    }
                    current[node] += 1;
                }
                if current[node] < end {
                    let arc = current[node];
                    path.push(arc);
                    node = self.heads[arc];
                } else {
                    // A dead end: no later path of this phase can use it.
                    level[node] = UNREACHED;
                    match path.pop() {
                        None => break,
                        Some(arc) => {
                            node = self.heads[self.reverse[arc]];
                            current[node] += 1;
                        }
                    }
                }
            }
        }
    }

    /// The smallest source side of a minimum cut, after [`Network::max_flow`]:
    /// the nodes the source still reaches through arcs with room left.
    pub(super) fn smallest_source_side(&self, source: usize) -> Vec<bool> {
        let mut side = vec![false; self.n_nodes()];
        side[source] = true;
        let mut queue = vec![source];
        while let Some(node) = queue.pop() {
            for arc in self.offsets[node]..self.offsets[node + 1] {
                let head = self.heads[arc];
                if self.residual[arc] > 0 && !side[head] {
                    side[head] = true;
                    queue.push(head);
                }
            }
        }
        side
    }

    /// The largest source side of a minimum cut, after [`Network::max_flow`]:
    /// every node that cannot reach a sink through arcs with room left.
    pub(super) fn largest_source_side(&self, sinks: &[bool]) -> Vec<bool> {
        let mut reaches_sink = sinks.to_vec();
        let mut queue: Vec<usize> = (0..self.n_nodes()).filter(|&node| sinks[node]).collect();
        while let Some(node) = queue.pop() {
            for arc in self.offsets[node]..self.offsets[node + 1] {
                let tail = self.heads[arc];
                if self.residual[self.reverse[arc]] > 0 && !reaches_sink[tail] {
                    reaches_sink[tail] = true;
                    queue.push(tail);
                }
            }
        }
        reaches_sink.iter().map(|&reaches| !reaches).collect()
    }
}

use super::graph::Part;

/// The network of a part: its nodes keep their local indices and each device
/// the part is anchored to becomes one more node, after them, in the order of
/// `part.devices`.
fn part_network(part: &Part) -> Network {
    let n_nodes = part.len();
    let mut wires = part.wires.clone();
    for &(node, device, weight) in &part.anchors {
        // The anchors name devices of `part.devices`, so the search succeeds.
        let terminal = part.devices.binary_search(&device).unwrap_or(0);
        wires.push((node, n_nodes + terminal, weight));
    }
    Network::new(n_nodes + part.devices.len(), &wires)
}

/// The exact best split of a part anchored to exactly two devices, `first`
/// and `second` (those of `part.devices`, in order), ignoring budgets: a
/// minimum cut between them. Both the smallest and the largest first side are
/// optimal, and `prefer` picks between them (it gets both assignments by
/// local index and returns true for the second).
pub(super) fn two_way_cut(
    part: &Part,
    first: usize,
    second: usize,
    prefer: impl FnOnce(&[usize], &[usize]) -> bool,
) -> (Vec<usize>, u64) {
    let n_nodes = part.len();
    let mut network = part_network(part);
    let mut sinks = vec![false; n_nodes + 2];
    sinks[n_nodes + 1] = true;
    let value = network.max_flow(n_nodes, &sinks);
    let to_assignment = |side: Vec<bool>| -> Vec<usize> {
        side[..n_nodes]
            .iter()
            .map(|&on_first| if on_first { first } else { second })
            .collect()
    };
    let smallest = to_assignment(network.smallest_source_side(n_nodes));
    let largest = to_assignment(network.largest_source_side(&sinks));
    if smallest != largest && prefer(&smallest, &largest) {
        (largest, value)
    } else {
        (smallest, value)
    }
}

/// A split of a part anchored to three devices or more, ignoring budgets, by
/// isolating cuts: for each device, the minimum cut between its pinned nodes
/// and those of all the others. Each node on the smallest side of such a cut
/// goes to that device (these sides do not overlap), and the rest to the
/// device whose cut is heaviest, as in the classic 2 - 2/k approximation.
/// Also returns a lower bound on the optimum: every split pays at least half
/// the sum of the isolating cuts, because each part's boundary is one of them
/// and each cut wire is on two boundaries.
pub(super) fn isolating_cuts(part: &Part) -> (Vec<usize>, u64) {
    let n_nodes = part.len();
    let n_terminals = part.devices.len();
    let mut network = part_network(part);
    let mut assignment = vec![usize::MAX; n_nodes];
    let mut values = Vec::with_capacity(n_terminals);
    let mut sinks = vec![false; n_nodes + n_terminals];
    for terminal in 0..n_terminals {
        for other in 0..n_terminals {
            sinks[n_nodes + other] = other != terminal;
        }
        let source = n_nodes + terminal;
        values.push(network.max_flow(source, &sinks));
        let side = network.smallest_source_side(source);
        for (slot, &on_side) in assignment.iter_mut().zip(&side[..n_nodes]) {
            if on_side && *slot == usize::MAX {
                *slot = part.devices[terminal];
            }
        }
    }
    let heaviest = (0..n_terminals)
        .max_by_key(|&terminal| (values[terminal], std::cmp::Reverse(terminal)))
        .map_or(0, |terminal| part.devices[terminal]);
    for slot in &mut assignment {
        if *slot == usize::MAX {
            *slot = heaviest;
        }
    }
    let sum: u64 = values
        .iter()
        .fold(0, |sum, &value| sum.saturating_add(value));
    (assignment, sum.div_ceil(2))
}
