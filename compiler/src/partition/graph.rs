//! The wires of a placement problem as an undirected graph, and its free
//! parts: the groups of free nodes that wires join without passing through a
//! pinned node.

use super::Edge;

/// An undirected graph in compressed adjacency form. Parallel wires are merged
/// into one with the summed weight, and wires from a node to itself and wires
/// of weight zero are dropped, because neither can ever be cut.
pub(super) struct Graph {
    offsets: Vec<usize>,
    targets: Vec<usize>,
    weights: Vec<u64>,
}

impl Graph {
    /// Builds the graph of `n_nodes` nodes. Every edge must name nodes below
    /// `n_nodes` and the weights must not overflow when summed; the caller has
    /// checked both.
    pub(super) fn new(n_nodes: usize, edges: &[Edge]) -> Graph {
        let mut pairs: Vec<(usize, usize, u64)> = edges
            .iter()
            .filter(|edge| edge.from != edge.to && edge.weight > 0)
            .map(|edge| (edge.from.min(edge.to), edge.from.max(edge.to), edge.weight))
            .collect();
        pairs.sort_unstable_by_key(|&(low, high, _)| (low, high));
        let mut merged: Vec<(usize, usize, u64)> = Vec::with_capacity(pairs.len());
        for (low, high, weight) in pairs {
            match merged.last_mut() {
                Some(last) if last.0 == low && last.1 == high => last.2 += weight,
                _ => merged.push((low, high, weight)),
            }
        }

        let mut degrees = vec![0usize; n_nodes + 1];
        for &(low, high, _) in &merged {
            degrees[low] += 1;
            degrees[high] += 1;
        }
        let mut offsets = Vec::with_capacity(n_nodes + 1);
        let mut total = 0;
        for degree in &degrees[..n_nodes] {
            offsets.push(total);
            total += degree;
        }
        offsets.push(total);

        // The pairs are sorted by (low, high), so each node first receives its
        // lower neighbours in increasing order and then its higher ones: every
        // adjacency list comes out sorted, and every walk is deterministic.
        let mut targets = vec![0; total];
        let mut weights = vec![0; total];
        let mut next = offsets.clone();
        for &(low, high, weight) in &merged {
            targets[next[low]] = high;
            weights[next[low]] = weight;
            next[low] += 1;
            targets[next[high]] = low;
            weights[next[high]] = weight;
            next[high] += 1;
        }
        Graph {
            offsets,
            targets,
            weights,
        }
    }

    pub(super) fn n_nodes(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The neighbours of `node` with the weight of the wire to each, by
    /// increasing neighbour index.
    pub(super) fn neighbours(&self, node: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
        let range = self.offsets[node]..self.offsets[node + 1];
        self.targets[range.clone()]
            .iter()
            .copied()
            .zip(self.weights[range].iter().copied())
    }

    /// Every wire once, as `(low, high, weight)` with `low < high`.
    pub(super) fn wires(&self) -> impl Iterator<Item = (usize, usize, u64)> + '_ {
        (0..self.n_nodes()).flat_map(move |node| {
            self.neighbours(node)
                .filter(move |&(other, _)| other > node)
                .map(move |(other, weight)| (node, other, weight))
        })
    }
}

/// A set of free nodes with the wires among them renumbered from zero, and
/// the weight that ties each of them to the pinned nodes of each device.
pub(super) struct Part {
    /// The problem's index of each node, increasing.
    pub(super) nodes: Vec<usize>,
    /// Wires between two nodes of the part, as `(low, high, weight)` in local
    /// indices.
    pub(super) wires: Vec<(usize, usize, u64)>,
    /// `(local node, device, weight)`: the summed weight of the wires from a
    /// node of the part to nodes pinned on that device, sorted.
    pub(super) anchors: Vec<(usize, usize, u64)>,
    /// The devices that appear in `anchors`, increasing.
    pub(super) devices: Vec<usize>,
}

impl Part {
    /// Builds the part made of `nodes` (free, increasing). Wires to free
    /// nodes outside the set are left out; `local_index` is scratch space as
    /// long as the graph, filled with `usize::MAX`, and left that way.
    pub(super) fn new(
        graph: &Graph,
        pins: &[Option<usize>],
        nodes: Vec<usize>,
        local_index: &mut [usize],
    ) -> Part {
        for (local, &node) in nodes.iter().enumerate() {
            local_index[node] = local;
        }
        let mut wires = Vec::new();
        let mut anchors = Vec::new();
        let mut by_device: Vec<(usize, u64)> = Vec::new();
        for (local, &node) in nodes.iter().enumerate() {
            by_device.clear();
            for (other, weight) in graph.neighbours(node) {
                match pins[other] {
                    Some(device) => by_device.push((device, weight)),
                    None => {
                        let other_local = local_index[other];
                        if other_local != usize::MAX && other_local > local {
                            wires.push((local, other_local, weight));
                        }
                    }
                }
            }
            by_device.sort_unstable_by_key(|&(device, _)| device);
            let mut pending: Option<(usize, u64)> = None;
            for &(device, weight) in &by_device {
                pending = match pending {
                    Some((current, total)) if current == device => Some((current, total + weight)),
                    Some((current, total)) => {
                        anchors.push((local, current, total));
                        Some((device, weight))
                    }
                    None => Some((device, weight)),
                };
            }
            if let Some((device, total)) = pending {
                anchors.push((local, device, total));
            }
        }
        for &node in &nodes {
            local_index[node] = usize::MAX;
        }
        let mut devices: Vec<usize> = anchors.iter().map(|&(_, device, _)| device).collect();
        devices.sort_unstable();
        devices.dedup();
        Part {
            nodes,
            wires,
            anchors,
            devices,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }
}

/// Splits the free nodes into parts: two free nodes share a part when a path
/// of wires joins them without passing through a pinned node. Without
/// budgets the parts could be placed one by one, which is what makes exact
/// answers affordable on real flows. Parts come out ordered by their lowest
/// node.
pub(super) fn free_parts(graph: &Graph, pins: &[Option<usize>]) -> Vec<Part> {
    let n_nodes = graph.n_nodes();
    let mut seen = vec![false; n_nodes];
    let mut local_index = vec![usize::MAX; n_nodes];
    let mut parts = Vec::new();
    let mut queue = Vec::new();
    for start in 0..n_nodes {
        if seen[start] || pins[start].is_some() {
            continue;
        }
        seen[start] = true;
        queue.clear();
        queue.push(start);
        let mut cursor = 0;
        while cursor < queue.len() {
            let node = queue[cursor];
            cursor += 1;
            for (other, _) in graph.neighbours(node) {
                if !seen[other] && pins[other].is_none() {
                    seen[other] = true;
                    queue.push(other);
                }
            }
        }
        let mut nodes = queue.clone();
        nodes.sort_unstable();
        parts.push(Part::new(graph, pins, nodes, &mut local_index));
    }
    parts
}
