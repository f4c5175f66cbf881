//! The order in which a placement is attempted: exact answers without budgets
//! first, then heuristics under the budgets, then an exact search under the
//! budgets when few nodes are free.

use super::graph::{free_parts, Graph, Part};
use super::heuristic::{
    grow, make_room, mix, pack, perturb, repair, share, Fit, Refiner, State, UNASSIGNED,
};
use super::min_cut::{isolating_cuts, two_way_cut};
use super::search::{search, SearchInput};
use super::{Options, PlaceError, Placement, Problem, Resources};

/// Parts wired to three devices or more get branch and bound without budgets
/// up to this many nodes.
const PART_SEARCH_NODES: usize = 40;

/// Branch and bound under the budgets is tried up to this many free nodes.
const BUDGET_SEARCH_NODES: usize = 40;

/// Perturbation rounds per free node, up to a ceiling: enough to settle
/// flows of a few hundred nodes, a bounded cost on large ones.
const PERTURB_ROUNDS_PER_NODE: usize = 8;
const MAX_PERTURB_ROUNDS: usize = 4000;

/// A complete placement within the budgets, as one of the starts produced it.
struct Candidate {
    device_of: Vec<usize>,
    cost: u64,
    moved: usize,
}

impl Candidate {
    fn key(&self) -> (u64, usize) {
        (self.cost, self.moved)
    }
}

/// The free nodes an attempt could not place, and the room it left on each
/// device.
struct Unplaced {
    nodes: Vec<usize>,
    room_left: Vec<Resources>,
}

/// What every stage reads: the problem as a graph, and the free nodes.
struct Context<'a> {
    problem: &'a Problem,
    graph: Graph,
    n_devices: usize,
    pins: &'a [Option<usize>],
    sizes: &'a [Resources],
    budgets: &'a [Resources],
    /// The previous device of each free node, where the hint gives a valid
    /// one.
    previous: Vec<Option<usize>>,
    free_nodes: Vec<usize>,
    /// Pinned nodes on their devices, free nodes `UNASSIGNED`.
    pinned_only: Vec<usize>,
}

impl Context<'_> {
    fn state(&self, device_of: &[usize]) -> State<'_> {
        State::with_assignment(&self.graph, self.sizes, self.budgets, device_of)
    }

    fn candidate(&self, state: &State<'_>) -> Candidate {
        Candidate {
            device_of: state.device_of.clone(),
            cost: state.cost(),
            moved: moved(&state.device_of, &self.previous),
        }
    }

    /// Fiduccia–Mattheyses refinement of every free node within the budgets.
    fn polish(&self, state: &mut State<'_>) {
        Refiner::new(state, &self.free_nodes, true, &self.previous).refine(
            state,
            &self.free_nodes,
            false,
            &mut Vec::new(),
        );
    }
}

/// Places the nodes of a problem that [`super::check`] accepts.
pub(super) fn solve(problem: &Problem, options: &Options<'_>) -> Result<Placement, PlaceError> {
    let n_nodes = problem.node_costs.len();
    let pins = &problem.pins[..];
    let context = Context {
        problem,
        graph: Graph::new(n_nodes, &problem.edges),
        n_devices: problem.n_devices,
        pins,
        sizes: &problem.node_costs,
        budgets: &problem.budgets,
        previous: previous_devices(options.previous, pins, problem.n_devices),
        free_nodes: (0..n_nodes).filter(|&node| pins[node].is_none()).collect(),
        pinned_only: pins.iter().map(|pin| pin.unwrap_or(UNASSIGNED)).collect(),
    };
    let mut steps_left = options.search_limit;

    let (relaxed, lower_bound) = solve_without_budgets(&context, &mut steps_left);
    let (candidates, unplaced_attempt) = starts_within_budgets(&context, relaxed);
    let mut best = candidates.into_iter().min_by_key(Candidate::key);

    // Perturbation rounds on the best start, unless it is already optimal.
    if let Some(chosen) = best.as_mut().filter(|best| best.cost > lower_bound) {
        let mut state = context.state(&chosen.device_of);
        let free_nodes = &context.free_nodes;
        let mut refiner = Refiner::new(&state, free_nodes, true, &context.previous);
        let rounds = (free_nodes.len() * PERTURB_ROUNDS_PER_NODE).min(MAX_PERTURB_ROUNDS);
        perturb(&mut state, &mut refiner, free_nodes, rounds);
        *chosen = context.candidate(&state);
    }

    let mut proven = false;
    let already_optimal = best.as_ref().is_some_and(|best| best.cost <= lower_bound);
    if !already_optimal && context.free_nodes.len() <= BUDGET_SEARCH_NODES && steps_left > 0 {
        let (found, finished) = search_within_budgets(&context, best.as_ref(), steps_left);
        proven = finished;
        if let Some(found) = found {
            if best.as_ref().is_none_or(|best| found.key() < best.key()) {
                best = Some(found);
            }
        }
    }

    match best {
        Some(best) => {
            let exact = proven || best.cost <= lower_bound;
            Ok(Placement {
                lower_bound: if exact { best.cost } else { lower_bound },
                cost: best.cost,
                exact,
                device_of: best.device_of,
            })
        }
        None => Err(no_room(problem, unplaced_attempt, proven)),
    }
}

/// Places every free node as if budgets did not exist, part by part, and
/// returns that placement with a lower bound on the cost of any placement.
/// Parts wired to no device are left unassigned.
fn solve_without_budgets(context: &Context<'_>, steps_left: &mut u64) -> (Vec<usize>, u64) {
    let Context {
        graph,
        pins,
        previous,
        ..
    } = context;
    let fixed_cost: u64 = graph
        .wires()
        .filter(|&(a, b, _)| matches!((pins[a], pins[b]), (Some(x), Some(y)) if x != y))
        .map(|(_, _, weight)| weight)
        .sum();
    let parts = free_parts(graph, pins);
    let mut relaxed = context.pinned_only.clone();
    let mut lower_bound = fixed_cost;
    let mut approximate: Vec<(usize, u64)> = Vec::new();
    let mut floating = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        match *part.devices.as_slice() {
            [] => floating.push(index),
            [only] => {
                for &node in &part.nodes {
                    relaxed[node] = only;
                }
            }
            [first, second] => {
                let (assignment, value) = two_way_cut(part, first, second, |one, other| {
                    moved_in_part(part, other, previous) < moved_in_part(part, one, previous)
                });
                write_part(&mut relaxed, part, &assignment);
                lower_bound += value;
            }
            _ => {
                let (assignment, bound) = isolating_cuts(part);
                write_part(&mut relaxed, part, &assignment);
                approximate.push((index, bound));
            }
        }
    }
    if !approximate.is_empty() {
        let mut movable: Vec<usize> = approximate
            .iter()
            .flat_map(|&(index, _)| parts[index].nodes.iter().copied())
            .collect();
        movable.sort_unstable();
        let mut state = context.state(&relaxed);
        Refiner::new(&state, &movable, false, previous).refine(
            &mut state,
            &movable,
            false,
            &mut Vec::new(),
        );
        relaxed = state.device_of;

        // Small parts first, so that one large part cannot use up the steps
        // that would settle many small ones.
        approximate.sort_by_key(|&(index, _)| (parts[index].len(), index));
        for (index, bound) in approximate {
            let part = &parts[index];
            let mut solved = false;
            if part.len() <= PART_SEARCH_NODES && *steps_left > 0 {
                let outcome = search(SearchInput {
                    part,
                    n_devices: context.n_devices,
                    devices: &part.devices,
                    sizes: part.nodes.iter().map(|&node| context.sizes[node]).collect(),
                    room: None,
                    pinless: vec![false; context.n_devices],
                    previous: part.nodes.iter().map(|&node| previous[node]).collect(),
                    incumbent: Some(part.nodes.iter().map(|&node| relaxed[node]).collect()),
                    step_limit: *steps_left,
                });
                *steps_left = steps_left.saturating_sub(outcome.steps);
                if let Some((assignment, cost)) = outcome.best {
                    write_part(&mut relaxed, part, &assignment);
                    if outcome.finished {
                        lower_bound += cost;
                        solved = true;
                    }
                }
            }
            if !solved {
                lower_bound += bound;
            }
        }
    }
    let mut state = context.state(&relaxed);
    place_floating_parts(&mut state, &parts, &floating, previous);
    (state.device_of, lower_bound)
}

/// The starts for the budgets, each refined within them: the budget-free
/// placement if it fits, and otherwise that placement repaired and regrown,
/// devices grown from their pins, and as a last resort packing by size;
/// plus the previous placement when there is one. When growing from the
/// pins leaves nodes out, also returns them with the room that was left, for
/// the error if no start fits at all.
fn starts_within_budgets(
    context: &Context<'_>,
    relaxed: Vec<usize>,
) -> (Vec<Candidate>, Option<Unplaced>) {
    let Context {
        pins, free_nodes, ..
    } = context;
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut unplaced_attempt = None;
    let state = context.state(&relaxed);
    if state.within_budgets() {
        candidates.push(context.candidate(&state));
    } else {
        let mut repaired = state.clone();
        if repair(&mut repaired, pins) {
            context.polish(&mut repaired);
            candidates.push(context.candidate(&repaired));
        }
        drop(repaired);

        // Growing again, from the pins and from the budget-free placement on
        // the devices that fit, sheds whole branches from the devices that
        // overflow instead of single nodes.
        let mut start = relaxed;
        for &node in free_nodes {
            if state.overloaded(start[node]) {
                start[node] = UNASSIGNED;
            }
        }
        let mut regrown = context.state(&start);
        let unplaced = grow(&mut regrown, free_nodes, pins);
        if make_room(&mut regrown, &unplaced, pins).is_empty() {
            context.polish(&mut regrown);
            candidates.push(context.candidate(&regrown));
        }
        drop(regrown);

        let mut grown = context.state(&context.pinned_only);
        let unplaced = grow(&mut grown, free_nodes, pins);
        let unplaced = make_room(&mut grown, &unplaced, pins);
        if unplaced.is_empty() {
            context.polish(&mut grown);
            candidates.push(context.candidate(&grown));
        } else {
            let room_left = (0..context.n_devices)
                .map(|device| context.budgets[device].saturating_sub(grown.load[device]))
                .collect();
            unplaced_attempt = Some(Unplaced {
                nodes: unplaced,
                room_left,
            });
        }
        drop(grown);

        for fit in [Fit::Wired, Fit::Tightest] {
            if candidates.is_empty() {
                let mut packed = context.state(&context.pinned_only);
                let unplaced = pack(&mut packed, free_nodes, fit);
                if make_room(&mut packed, &unplaced, pins).is_empty() {
                    context.polish(&mut packed);
                    candidates.push(context.candidate(&packed));
                }
            }
        }
    }
    drop(state);

    if context.previous.iter().any(Option::is_some) {
        let mut start = context.pinned_only.clone();
        for &node in free_nodes {
            if let Some(device) = context.previous[node] {
                start[node] = device;
            }
        }
        let mut kept = context.state(&start);
        if grow(&mut kept, free_nodes, pins).is_empty() && repair(&mut kept, pins) {
            context.polish(&mut kept);
            candidates.push(context.candidate(&kept));
        }
    }
    (candidates, unplaced_attempt)
}

/// Branch and bound over all free nodes within the budgets, seeded with
/// `best`. Returns the best placement it knows and whether the search
/// finished, which proves that placement optimal, or when there is none,
/// that nothing fits.
fn search_within_budgets(
    context: &Context<'_>,
    best: Option<&Candidate>,
    step_limit: u64,
) -> (Option<Candidate>, bool) {
    let Context {
        graph,
        n_devices,
        pins,
        sizes,
        budgets,
        previous,
        ..
    } = context;
    let mut local_index = vec![usize::MAX; pins.len()];
    let part = Part::new(graph, pins, context.free_nodes.clone(), &mut local_index);
    let all_devices: Vec<usize> = (0..*n_devices).collect();
    let mut room = budgets.to_vec();
    let mut pinless = vec![true; *n_devices];
    for (node, pin) in pins.iter().enumerate() {
        if let Some(device) = *pin {
            room[device] = room[device].saturating_sub(sizes[node]);
            pinless[device] = false;
        }
    }
    let outcome = search(SearchInput {
        part: &part,
        n_devices: *n_devices,
        devices: &all_devices,
        sizes: part.nodes.iter().map(|&node| sizes[node]).collect(),
        room: Some(room),
        pinless,
        previous: part.nodes.iter().map(|&node| previous[node]).collect(),
        incumbent: best.map(|best| {
            part.nodes
                .iter()
                .map(|&node| best.device_of[node])
                .collect()
        }),
        step_limit,
    });
    let found = outcome.best.map(|(assignment, _)| {
        let mut device_of = context.pinned_only.clone();
        write_part(&mut device_of, &part, &assignment);
        Candidate {
            cost: super::cut_cost(context.problem, &device_of),
            moved: moved(&device_of, previous),
            device_of,
        }
    });
    (found, outcome.finished)
}

/// The previous device of each free node, where the hint names one that
/// exists.
fn previous_devices(
    hint: Option<&[Option<usize>]>,
    pins: &[Option<usize>],
    n_devices: usize,
) -> Vec<Option<usize>> {
    (0..pins.len())
        .map(|node| {
            let before = hint.and_then(|hint| hint.get(node).copied().flatten());
            before.filter(|&device| pins[node].is_none() && device < n_devices)
        })
        .collect()
}

fn moved(device_of: &[usize], previous: &[Option<usize>]) -> usize {
    device_of
        .iter()
        .zip(previous)
        .filter(|(&device, before)| before.is_some_and(|before| before != device))
        .count()
}

fn moved_in_part(part: &Part, assignment: &[usize], previous: &[Option<usize>]) -> usize {
    part.nodes
        .iter()
        .zip(assignment)
        .filter(|(&node, &device)| previous[node].is_some_and(|before| before != device))
        .count()
}

fn write_part(device_of: &mut [usize], part: &Part, assignment: &[usize]) {
    for (&node, &device) in part.nodes.iter().zip(assignment) {
        device_of[node] = device;
    }
}

/// Puts each part that is wired to no pinned node whole on one device: the
/// device most of its nodes had before, if it has room. Otherwise each part
/// ranks the devices by a hash of its lowest node and the device (rendezvous
/// hashing) and takes the first with room: parts spread over the devices, and
/// a part's choice does not depend on the other parts, so an edit to one part
/// moves no other. Larger parts choose first; a part that fits nowhere goes
/// where the most room is left, for the budget stage to sort out.
fn place_floating_parts(
    state: &mut State<'_>,
    parts: &[Part],
    floating: &[usize],
    previous: &[Option<usize>],
) {
    let n_devices = state.load.len();
    let budgets: Vec<Resources> = (0..n_devices).map(|device| state.budget(device)).collect();
    let total_budget = budgets.iter().fold(Resources::ZERO, |total, &budget| {
        total.saturating_add(budget)
    });
    let part_size = |part: &Part| {
        part.nodes.iter().fold(Resources::ZERO, |total, &node| {
            total.saturating_add(state.size(node))
        })
    };
    let mut order: Vec<(f64, usize, Resources)> = floating
        .iter()
        .map(|&index| {
            let size = part_size(&parts[index]);
            (share(size, total_budget), index, size)
        })
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index, size) in order {
        let part = &parts[index];
        let room_after = |device: usize| -> f64 {
            let after = state.load[device].saturating_add(size);
            let fraction = |used: u64, total: u64| {
                if total == 0 {
                    if used == 0 {
                        1.0
                    } else {
                        -(used as f64)
                    }
                } else {
                    (total as f64 - used as f64) / total as f64
                }
            };
            fraction(after.flash, budgets[device].flash)
                .min(fraction(after.ram, budgets[device].ram))
        };
        let fits = |device: usize| {
            state.load[device]
                .saturating_add(size)
                .fits_within(budgets[device])
        };
        let mut votes = vec![0usize; n_devices];
        for &node in &part.nodes {
            if let Some(device) = previous[node] {
                votes[device] += 1;
            }
        }
        let hinted = (0..n_devices)
            .filter(|&device| votes[device] > 0)
            .max_by_key(|&device| (votes[device], std::cmp::Reverse(device)));
        let roomiest = || {
            (0..n_devices).max_by(|&a, &b| room_after(a).total_cmp(&room_after(b)).then(b.cmp(&a)))
        };
        let key = part.nodes.first().map_or(0, |&node| node as u64);
        let ranked = (0..n_devices)
            .filter(|&device| fits(device))
            .max_by_key(|&device| mix(key.wrapping_mul(0x100_0000_01b3) ^ device as u64));
        let device = hinted
            .filter(|&device| fits(device))
            .or(ranked)
            .or_else(roomiest);
        if let Some(device) = device {
            for &node in &part.nodes {
                state.assign(node, device);
            }
        }
    }
}

/// The error for pins that fit but free nodes that do not.
fn no_room(problem: &Problem, attempt: Option<Unplaced>, search_proved: bool) -> PlaceError {
    let demand = problem
        .node_costs
        .iter()
        .fold(Resources::ZERO, |total, &cost| total.saturating_add(cost));
    let supply = problem
        .budgets
        .iter()
        .fold(Resources::ZERO, |total, &budget| {
            total.saturating_add(budget)
        });
    let shortfall = demand.saturating_sub(supply);
    let mut room_after_pins = problem.budgets.clone();
    for (node, pin) in problem.pins.iter().enumerate() {
        if let Some(device) = *pin {
            room_after_pins[device] =
                room_after_pins[device].saturating_sub(problem.node_costs[node]);
        }
    }
    let too_big_alone = problem.pins.iter().enumerate().any(|(node, pin)| {
        pin.is_none()
            && !room_after_pins
                .iter()
                .any(|&room| problem.node_costs[node].fits_within(room))
    });
    let attempt = attempt.unwrap_or(Unplaced {
        nodes: Vec::new(),
        room_left: room_after_pins,
    });
    PlaceError::NoRoom {
        unplaced: attempt.nodes,
        shortfall,
        room_left: attempt.room_left,
        proven: search_proved || shortfall != Resources::ZERO || too_big_alone,
    }
}
