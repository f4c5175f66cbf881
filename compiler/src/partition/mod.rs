//! Placement of nodes on devices: which device runs each node, so that the
//! wires between devices carry as little weight as the pins and the budgets
//! allow.
//!
//! The problem is a multiway cut with capacities, which is NP-hard in general,
//! so [`place`] answers exactly where the instance allows and says so in
//! [`Placement::exact`]:
//!
//! 1. The free nodes fall into parts that only pinned nodes separate. Without
//!    budgets each part can be solved alone: a part wired to one device goes
//!    there; a part wired to two devices is split by a minimum cut (max-flow);
//!    a part wired to more gets isolating cuts and Fiduccia–Mattheyses
//!    refinement, then branch and bound when it is small; a part wired to no
//!    device goes whole to one device, chosen by rendezvous hashing so that
//!    it does not depend on the other parts. When the result fits the
//!    budgets, it is the answer, and it is optimal when every part was solved
//!    exactly.
//! 2. Otherwise the budgets bind, and several starts are refined under them
//!    by Fiduccia–Mattheyses: the budget-free answer with single nodes moved
//!    off the devices that overflow; the same answer with those devices
//!    regrown from their pins, which sheds whole branches; devices grown from
//!    their pins alone; packing by size when nothing else fits; and the
//!    previous placement when one is given. The cheapest start then gets
//!    rounds of perturbation (move a small group across a boundary, refine
//!    around it, keep it if the cut got lighter).
//! 3. When few nodes are free, branch and bound under the budgets, seeded with
//!    that answer, proves it optimal or finds a better one, within a budget of
//!    search steps ([`Options::search_limit`]) so that the exact part switches
//!    off by itself on large instances.
//!
//! Every pass of the heuristics is near linear in the number of wires, and
//! the perturbation rounds are capped, so 100k nodes place in well under a
//! second. Everything is deterministic: ties go to the previous device of a
//! node, then to lower indices; the perturbations come from a fixed seed; and
//! nothing depends on hash maps or on the clock.

mod graph;
mod heuristic;
mod min_cut;
mod search;
mod solve;

use std::fmt;

/// An amount of each resource a device has and a node needs, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    pub flash: u64,
    pub ram: u64,
}

impl Resources {
    pub const ZERO: Resources = Resources { flash: 0, ram: 0 };

    /// Whether this amount fits in `budget`, resource by resource.
    pub fn fits_within(self, budget: Resources) -> bool {
        self.flash <= budget.flash && self.ram <= budget.ram
    }

    pub fn saturating_add(self, other: Resources) -> Resources {
        Resources {
            flash: self.flash.saturating_add(other.flash),
            ram: self.ram.saturating_add(other.ram),
        }
    }

    /// What is left of this amount after taking `other`, never below zero in
    /// either resource. Taking a budget from a load gives the overflow.
    pub fn saturating_sub(self, other: Resources) -> Resources {
        Resources {
            flash: self.flash.saturating_sub(other.flash),
            ram: self.ram.saturating_sub(other.ram),
        }
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{} bytes of flash and {} bytes of RAM",
            self.flash, self.ram
        )
    }
}

/// What to place: devices with budgets, nodes with costs and pins, and the
/// wires between nodes. Node `i` is index `i` of `node_costs` and `pins`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problem {
    pub n_devices: usize,
    /// The resources of each device.
    pub budgets: Vec<Resources>,
    /// The resources each node needs on whichever device runs it.
    pub node_costs: Vec<Resources>,
    /// `Some(device)` for a node that must run on that device.
    pub pins: Vec<Option<usize>>,
    /// Wires between nodes. A wire is cut when its ends run on different
    /// devices, whichever way it points.
    pub edges: Vec<Edge>,
}

/// A wire from node `from` to node `to`, with the traffic it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub weight: u64,
}

/// Where each node runs, and what that costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The device of each node.
    pub device_of: Vec<usize>,
    /// The total weight of the wires between devices.
    pub cost: u64,
    /// True only when no placement within the pins and budgets costs less.
    pub exact: bool,
    /// A proven lower bound on the cost of any placement: equal to `cost`
    /// when `exact`, and otherwise a measure of how far from optimal the
    /// answer can be (often loose when the budgets bind).
    pub lower_bound: u64,
}

/// How [`place_with`] goes about it.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// The device each node had in an earlier placement, `None` for a node
    /// that is new. Among placements of equal cost the one that moves the
    /// fewest of these nodes wins, the heuristic also starts from it, and
    /// its perturbation rounds never leave more nodes away from it, so that
    /// a small edit to a flow moves few nodes. A strictly cheaper placement
    /// still wins, however many nodes it moves. It is only a hint: devices
    /// out of range and entries beyond the last node are ignored.
    pub previous: Option<&'a [Option<usize>]>,
    /// The most branch-and-bound steps the whole placement may take. When the
    /// search runs out, the best placement found so far stands and is not
    /// reported exact. Zero turns the search off; minimum cuts stay exact.
    pub search_limit: u64,
}

/// Enough steps to settle 16 free nodes on 4 devices in the worst cases the
/// tests meet, and about half a second of work at most.
pub const DEFAULT_SEARCH_LIMIT: u64 = 2_000_000;

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            previous: None,
            search_limit: DEFAULT_SEARCH_LIMIT,
        }
    }
}

/// The placer keeps, for each node, its wire weight to each device; this caps
/// that table at half a gigabyte (100k nodes on 32 devices use 3.2 million).
pub const MAX_NODES_TIMES_DEVICES: usize = 1 << 26;

/// Why no placement came out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("there are {n_nodes} nodes but no device to place them on")]
    NoDevices { n_nodes: usize },
    #[error("there are {n_devices} devices but {n_budgets} budgets; each device needs one")]
    BudgetCount { n_devices: usize, n_budgets: usize },
    #[error(
        "there are {n_nodes} nodes but {n_pins} pins; each node needs one, `None` when it is free"
    )]
    PinCount { n_nodes: usize, n_pins: usize },
    #[error(
        "node {node} is pinned to device {device}, but the devices are numbered below {n_devices}"
    )]
    PinOutOfRange {
        node: usize,
        device: usize,
        n_devices: usize,
    },
    #[error("edge {edge} names node {node}, but the nodes are numbered below {n_nodes}")]
    EdgeOutOfRange {
        edge: usize,
        node: usize,
        n_nodes: usize,
    },
    /// A sum that would not fit in 64 bits, or an instance too large to hold.
    #[error("the {what} is too large to place")]
    TooLarge { what: &'static str },
    /// The nodes pinned to `device` alone need more than its budget, by
    /// `over` (zero in a resource that fits).
    #[error("the nodes pinned to device {device} exceed its budget by {over}")]
    Overflow {
        device: usize,
        over: Resources,
        pinned: Vec<usize>,
    },
    /// The pins fit, but the free nodes could not all be given a device.
    #[error(
        "{} free nodes found no device with room (all nodes together need {shortfall} more than all budgets); {}",
        unplaced.len(),
        if *proven { "no placement fits" } else { "a placement may exist that the placer did not find" }
    )]
    NoRoom {
        /// The free nodes left without a device by the attempt that placed
        /// the most, in increasing order.
        unplaced: Vec<usize>,
        /// How much more all nodes together need than all budgets together,
        /// zero in a resource where the total would fit and only the split
        /// into devices fails.
        shortfall: Resources,
        /// The room each device had left when that attempt stopped.
        room_left: Vec<Resources>,
        /// True when no placement can exist: the totals do not fit, a node
        /// fits on no device even alone, or the exact search found none.
        proven: bool,
    },
}

/// Places every node on a device, as cheaply as [`place_with`] can with the
/// default options.
pub fn place(problem: &Problem) -> Result<Placement, PlaceError> {
    place_with(problem, &Options::default())
}

/// Places every node on a device: pins are kept, no device's budget is
/// exceeded, and the weight of the wires between devices is as small as the
/// placer can make it. When the problem is malformed or pins overflow a
/// device, the error is the first of [`check`]'s.
pub fn place_with(problem: &Problem, options: &Options<'_>) -> Result<Placement, PlaceError> {
    if let Some(error) = check(problem).into_iter().next() {
        return Err(error);
    }
    solve::solve(problem, options)
}

/// Every problem that can be seen before placing anything: malformed input,
/// and each device whose pinned nodes alone exceed its budget. Empty when the
/// problem can go to [`place`].
pub fn check(problem: &Problem) -> Vec<PlaceError> {
    let n_nodes = problem.node_costs.len();
    let n_devices = problem.n_devices;
    let mut errors = Vec::new();
    if n_devices == 0 && n_nodes > 0 {
        errors.push(PlaceError::NoDevices { n_nodes });
    }
    if problem.budgets.len() != n_devices {
        errors.push(PlaceError::BudgetCount {
            n_devices,
            n_budgets: problem.budgets.len(),
        });
    }
    if problem.pins.len() != n_nodes {
        errors.push(PlaceError::PinCount {
            n_nodes,
            n_pins: problem.pins.len(),
        });
    }
    for (node, pin) in problem.pins.iter().enumerate() {
        if let Some(device) = *pin {
            if device >= n_devices {
                errors.push(PlaceError::PinOutOfRange {
                    node,
                    device,
                    n_devices,
                });
            }
        }
    }
    for (index, edge) in problem.edges.iter().enumerate() {
        for node in [edge.from, edge.to] {
            if node >= n_nodes {
                errors.push(PlaceError::EdgeOutOfRange {
                    edge: index,
                    node,
                    n_nodes,
                });
                break;
            }
        }
    }
    if checked_sum(problem.edges.iter().map(|edge| edge.weight)).is_none() {
        errors.push(PlaceError::TooLarge {
            what: "sum of the wire weights",
        });
    }
    if checked_sum(problem.node_costs.iter().map(|cost| cost.flash)).is_none() {
        errors.push(PlaceError::TooLarge {
            what: "sum of the flash costs",
        });
    }
    if checked_sum(problem.node_costs.iter().map(|cost| cost.ram)).is_none() {
        errors.push(PlaceError::TooLarge {
            what: "sum of the RAM costs",
        });
    }
    if n_nodes.saturating_mul(n_devices) > MAX_NODES_TIMES_DEVICES {
        errors.push(PlaceError::TooLarge {
            what: "number of nodes times devices",
        });
    }
    if !errors.is_empty() {
        return errors;
    }
    let mut pinned: Vec<Vec<usize>> = vec![Vec::new(); n_devices];
    let mut load = vec![Resources::ZERO; n_devices];
    for (node, pin) in problem.pins.iter().enumerate() {
        if let Some(device) = *pin {
            pinned[device].push(node);
            load[device] = load[device].saturating_add(problem.node_costs[node]);
        }
    }
    for (device, nodes) in pinned.into_iter().enumerate() {
        let budget = problem.budgets[device];
        if !load[device].fits_within(budget) {
            errors.push(PlaceError::Overflow {
                device,
                over: load[device].saturating_sub(budget),
                pinned: nodes,
            });
        }
    }
    errors
}

/// The sum of `values`, or `None` when it does not fit in 64 bits. Sums that
/// fit are what lets the placer add weights and loads without checking.
fn checked_sum(mut values: impl Iterator<Item = u64>) -> Option<u64> {
    values.try_fold(0u64, |total, value| total.checked_add(value))
}

/// The total weight of the wires whose ends are on different devices in
/// `device_of`. Wires that name a node beyond `device_of` are left out, so
/// this never fails.
pub fn cut_cost(problem: &Problem, device_of: &[usize]) -> u64 {
    problem
        .edges
        .iter()
        .filter(
            |edge| match (device_of.get(edge.from), device_of.get(edge.to)) {
                (Some(from), Some(to)) => from != to,
                _ => false,
            },
        )
        .fold(0u64, |total, edge| total.saturating_add(edge.weight))
}
