//! Figures for the placer: (a) quality against a brute-force optimum and two
//! naive baselines, (a') how far the exact search reaches, (b) time on
//! synthetic flows of 1k to 100k nodes, and (c) stability, the nodes moved by
//! a single-node edit.
//!
//! Run with `cargo bench -p psosc --bench partition`.

use std::time::{Duration, Instant};

use psosc::partition::{cut_cost, place, place_with, Edge, Options, Problem, Resources};

fn main() {
    quality();
    exact_reach();
    scale();
    stability();
}

fn resources(flash: u64, ram: u64) -> Resources {
    Resources { flash, ram }
}

// ---------------------------------------------------------------------------
// (a) Quality.

/// A random small instance as the tests make them: `n_free` free nodes, a
/// few pinned ones, about two wires per node, and budgets that bind in half
/// of the instances.
fn small_problem(rng: &mut fastrand::Rng, n_devices: usize, n_free: usize, tight: bool) -> Problem {
    let n_pinned = rng.usize(1..=6);
    let n_nodes = n_pinned + n_free;
    let mut pins: Vec<Option<usize>> = (0..n_nodes)
        .map(|node| (node < n_pinned).then(|| rng.usize(0..n_devices)))
        .collect();
    rng.shuffle(&mut pins);
    let node_costs: Vec<Resources> = (0..n_nodes)
        .map(|_| resources(rng.u64(1..100), rng.u64(1..40)))
        .collect();
    let edges: Vec<Edge> = (0..rng.usize(n_nodes..=3 * n_nodes))
        .map(|_| Edge {
            from: rng.usize(0..n_nodes),
            to: rng.usize(0..n_nodes),
            weight: rng.u64(1..=12),
        })
        .collect();
    let budgets = if tight {
        let mut pinned = vec![Resources::ZERO; n_devices];
        let mut free = Resources::ZERO;
        for (node, pin) in pins.iter().enumerate() {
            match pin {
                Some(device) => pinned[*device] = pinned[*device].saturating_add(node_costs[node]),
                None => free = free.saturating_add(node_costs[node]),
            }
        }
        let slack = 1.0 + rng.f64() * 0.6;
        let share = |total: u64| (total as f64 * slack / n_devices as f64) as u64;
        pinned
            .iter()
            .map(|pinned| {
                resources(
                    pinned.flash + share(free.flash),
                    pinned.ram + share(free.ram),
                )
            })
            .collect()
    } else {
        vec![resources(100 * n_nodes as u64, 40 * n_nodes as u64); n_devices]
    };
    Problem {
        n_devices,
        budgets,
        node_costs,
        pins,
        edges,
    }
}

fn fits(problem: &Problem, device_of: &[usize]) -> bool {
    let mut load = vec![Resources::ZERO; problem.n_devices];
    for (node, &device) in device_of.iter().enumerate() {
        load[device] = load[device].saturating_add(problem.node_costs[node]);
    }
    load.iter()
        .zip(&problem.budgets)
        .all(|(load, budget)| load.fits_within(*budget))
}

/// The optimum by trying every assignment of the free nodes.
fn brute_force(problem: &Problem) -> Option<u64> {
    let free: Vec<usize> = (0..problem.pins.len())
        .filter(|&node| problem.pins[node].is_none())
        .collect();
    let mut device_of: Vec<usize> = problem.pins.iter().map(|pin| pin.unwrap_or(0)).collect();
    let mut best: Option<u64> = None;
    loop {
        if fits(problem, &device_of) {
            let cost = cut_cost(problem, &device_of);
            best = Some(best.map_or(cost, |best| best.min(cost)));
        }
        let mut position = 0;
        loop {
            let Some(&node) = free.get(position) else {
                return best;
            };
            device_of[node] += 1;
            if device_of[node] < problem.n_devices {
                break;
            }
            device_of[node] = 0;
            position += 1;
        }
    }
}

/// Undirected adjacency lists, in the order the wires are listed.
fn adjacency(problem: &Problem) -> Vec<Vec<(usize, u64)>> {
    let mut lists = vec![Vec::new(); problem.pins.len()];
    for edge in &problem.edges {
        if edge.from != edge.to {
            lists[edge.from].push((edge.to, edge.weight));
            lists[edge.to].push((edge.from, edge.weight));
        }
    }
    lists
}

/// Free nodes in breadth-first order from the pinned nodes, then the ones no
/// pinned node reaches, by index.
fn breadth_first_from_pins(problem: &Problem, lists: &[Vec<(usize, u64)>]) -> Vec<usize> {
    let n_nodes = problem.pins.len();
    let mut seen: Vec<bool> = problem.pins.iter().map(Option::is_some).collect();
    let mut queue: Vec<usize> = (0..n_nodes).filter(|&node| seen[node]).collect();
    let mut order = Vec::new();
    let mut cursor = 0;
    loop {
        while cursor < queue.len() {
            let node = queue[cursor];
            cursor += 1;
            for &(other, _) in &lists[node] {
                if !seen[other] {
                    seen[other] = true;
                    queue.push(other);
                    order.push(other);
                }
            }
        }
        match (0..n_nodes).find(|&node| !seen[node]) {
            Some(node) => {
                seen[node] = true;
                queue.push(node);
                order.push(node);
            }
            None => return order,
        }
    }
}

/// Places free nodes one by one in `order`, each on the device `choose`
/// names if it has room, else on the first device with room. `None` when a
/// node fits nowhere.
fn place_in_order(
    problem: &Problem,
    order: &[usize],
    mut choose: impl FnMut(usize, &[Option<usize>]) -> Option<usize>,
) -> Option<Vec<usize>> {
    let mut device_of: Vec<Option<usize>> = problem.pins.clone();
    let mut load = vec![Resources::ZERO; problem.n_devices];
    for (node, pin) in problem.pins.iter().enumerate() {
        if let Some(device) = pin {
            load[*device] = load[*device].saturating_add(problem.node_costs[node]);
        }
    }
    for &node in order {
        let cost = problem.node_costs[node];
        let room = |device: usize, load: &[Resources]| {
            load[device]
                .saturating_add(cost)
                .fits_within(problem.budgets[device])
        };
        let wanted = choose(node, &device_of).filter(|&device| room(device, &load));
        let device =
            wanted.or_else(|| (0..problem.n_devices).find(|&device| room(device, &load)))?;
        load[device] = load[device].saturating_add(cost);
        device_of[node] = Some(device);
    }
    device_of.into_iter().collect()
}

/// Baseline: each free node joins the device of its first placed neighbour
/// (pinned neighbours first placed), as a user placing by hand might.
fn first_pinned_neighbour(problem: &Problem) -> Option<Vec<usize>> {
    let lists = adjacency(problem);
    let order = breadth_first_from_pins(problem, &lists);
    place_in_order(problem, &order, |node, device_of| {
        lists[node].iter().find_map(|&(other, _)| device_of[other])
    })
}

/// Baseline: each free node joins the device it has the most wire weight to
/// among its placed neighbours.
fn neighbour_majority(problem: &Problem) -> Option<Vec<usize>> {
    let lists = adjacency(problem);
    let order = breadth_first_from_pins(problem, &lists);
    place_in_order(problem, &order, |node, device_of| {
        let mut weight = vec![0u64; problem.n_devices];
        for &(other, edge_weight) in &lists[node] {
            if let Some(device) = device_of[other] {
                weight[device] += edge_weight;
            }
        }
        (0..problem.n_devices)
            .filter(|&device| weight[device] > 0)
            .max_by_key(|&device| (weight[device], std::cmp::Reverse(device)))
    })
}

#[derive(Default)]
struct Ratios {
    sum: f64,
    worst: f64,
    optimal: usize,
    failed: usize,
    count: usize,
}

impl Ratios {
    fn add(&mut self, cost: Option<u64>, optimum: u64) {
        self.count += 1;
        match cost {
            None => self.failed += 1,
            Some(cost) => {
                let ratio = cost as f64 / optimum as f64;
                self.sum += ratio;
                self.worst = self.worst.max(ratio);
                self.optimal += usize::from(cost == optimum);
            }
        }
    }

    fn row(&self, name: &str) {
        let placed = self.count - self.failed;
        println!(
            "  {name:<36} {:>6.3} {:>6.3} {:>8} {:>7}",
            self.sum / placed.max(1) as f64,
            self.worst,
            format!("{}/{}", self.optimal, self.count),
            self.failed
        );
    }
}

fn quality() {
    println!("(a) quality: cost / brute-force optimum on 200 random small instances");
    println!("    (2 devices ≤ 16 free nodes, 3 ≤ 10, 4 ≤ 8; budgets binding in half;");
    println!("    only instances with a placement and an optimum above zero)");
    let mut rng = fastrand::Rng::with_seed(2024);
    let mut placer = Ratios::default();
    let mut heuristic = Ratios::default();
    let mut first = Ratios::default();
    let mut majority = Ratios::default();
    let mut instance = 0;
    while placer.count < 200 {
        instance += 1;
        let (n_devices, most_free) = [(2, 16), (3, 10), (4, 8)][instance % 3];
        let n_free = rng.usize(4..=most_free);
        let problem = small_problem(&mut rng, n_devices, n_free, instance % 2 == 0);
        let Some(optimum) = brute_force(&problem).filter(|&optimum| optimum > 0) else {
            continue;
        };
        let without_search = Options {
            previous: None,
            search_limit: 0,
        };
        placer.add(
            place(&problem).ok().map(|placement| placement.cost),
            optimum,
        );
        heuristic.add(
            place_with(&problem, &without_search)
                .ok()
                .map(|placement| placement.cost),
            optimum,
        );
        first.add(
            first_pinned_neighbour(&problem).map(|device_of| cut_cost(&problem, &device_of)),
            optimum,
        );
        majority.add(
            neighbour_majority(&problem).map(|device_of| cut_cost(&problem, &device_of)),
            optimum,
        );
    }
    println!(
        "  {:<36} {:>6} {:>6} {:>8} {:>7}",
        "", "mean", "worst", "optimal", "failed"
    );
    placer.row("placer");
    heuristic.row("placer, branch and bound off");
    first.row("baseline: first pinned neighbour");
    majority.row("baseline: neighbour majority");
    println!("  (failed: found no placement within the budgets although one exists)");
    println!();
}

/// How far the exact search reaches: the share of random instances with
/// binding budgets that come out proven optimal, by number of free nodes.
fn exact_reach() {
    println!("(a') exact reach: instances proven optimal, budgets binding (10 per cell)");
    println!(
        "  {:>10} {:>8} {:>8} {:>12} {:>12}",
        "free nodes", "devices", "exact", "mean time", "worst time"
    );
    let mut rng = fastrand::Rng::with_seed(31);
    for n_free in [16, 24, 32, 40] {
        for n_devices in [2, 4] {
            let (mut exact, mut total, mut worst) = (0, Duration::ZERO, Duration::ZERO);
            for _ in 0..10 {
                let problem = small_problem(&mut rng, n_devices, n_free, true);
                let started = Instant::now();
                let result = place(&problem);
                let elapsed = started.elapsed();
                total += elapsed;
                worst = worst.max(elapsed);
                exact += usize::from(result.is_ok_and(|placement| placement.exact));
            }
            println!(
                "  {n_free:>10} {n_devices:>8} {:>8} {:>12} {:>12}",
                format!("{exact}/10"),
                show(total / 10),
                show(worst)
            );
        }
    }
    println!("  (an instance with no placement at all counts as not exact)");
    println!();
}

// ---------------------------------------------------------------------------
// (b) Scale.

/// A synthetic flow: tabs of 10 to 60 nodes, each a chain that forks (every
/// node wired to one of the five before it, sometimes to two), a few nodes
/// pinned per tab as hardware is, link wires between tabs for one node in a
/// hundred, and budgets of `slack` times an even share of the total (but at
/// least twice what is pinned to the device).
fn flow_problem(rng: &mut fastrand::Rng, n_nodes: usize, n_devices: usize, slack: f64) -> Problem {
    let mut pins = vec![None; n_nodes];
    let mut edges = Vec::new();
    let mut tab_of = Vec::with_capacity(n_nodes);
    let mut tab_starts = Vec::new();
    let mut start = 0;
    while start < n_nodes {
        let end = (start + rng.usize(10..=60)).min(n_nodes);
        tab_starts.push(start);
        for node in start..end {
            tab_of.push(tab_starts.len() - 1);
            if node > start {
                let parent = rng.usize(start.max(node.saturating_sub(5))..node);
                edges.push(Edge {
                    from: parent,
                    to: node,
                    weight: rng.u64(1..=10),
                });
                if rng.u8(0..10) == 0 {
                    let other = rng.usize(start..node);
                    edges.push(Edge {
                        from: other,
                        to: node,
                        weight: rng.u64(1..=3),
                    });
                }
            }
        }
        // Sensors and actuators: pinned, most tabs have some, on one or two
        // devices.
        if rng.u8(0..4) != 0 {
            let home = rng.usize(0..n_devices);
            for _ in 0..rng.usize(1..=3) {
                let node = rng.usize(start..end);
                pins[node] = Some(if rng.u8(0..4) == 0 {
                    rng.usize(0..n_devices)
                } else {
                    home
                });
            }
        }
        start = end;
    }
    for node in 0..n_nodes {
        if rng.u8(0..100) == 0 {
            let other = rng.usize(0..n_nodes);
            if tab_of[other] != tab_of[node] {
                edges.push(Edge {
                    from: node,
                    to: other,
                    weight: rng.u64(1..=5),
                });
            }
        }
    }
    let node_costs: Vec<Resources> = (0..n_nodes)
        .map(|_| resources(rng.u64(500..8000), rng.u64(50..2000)))
        .collect();
    let mut pinned = vec![Resources::ZERO; n_devices];
    let mut total = Resources::ZERO;
    for (node, cost) in node_costs.iter().enumerate() {
        total = total.saturating_add(*cost);
        if let Some(device) = pins[node] {
            pinned[device] = pinned[device].saturating_add(*cost);
        }
    }
    let share = |amount: u64| (amount as f64 * slack / n_devices as f64) as u64;
    let budgets = pinned
        .iter()
        .map(|pinned| {
            resources(
                share(total.flash).max(pinned.flash * 2),
                share(total.ram).max(pinned.ram * 2),
            )
        })
        .collect();
    Problem {
        n_devices,
        budgets,
        node_costs,
        pins,
        edges,
    }
}

fn scale() {
    println!("(b) scale: time to place synthetic flows (release build, one run each)");
    println!(
        "  {:>7} {:>7} {:>6} {:>10} {:>8} {:>8} {:>6} {:>12}",
        "nodes", "devices", "slack", "time", "cost", "bound", "exact", "all wires"
    );
    let mut rng = fastrand::Rng::with_seed(7);
    for n_nodes in [1_000, 10_000, 100_000] {
        for n_devices in [2, 8, 32] {
            for slack in [1.25, 1.05] {
                let problem = flow_problem(&mut rng, n_nodes, n_devices, slack);
                let started = Instant::now();
                let result = place(&problem);
                let elapsed = started.elapsed();
                let total_weight: u64 = problem.edges.iter().map(|edge| edge.weight).sum();
                match result {
                    Ok(placement) => println!(
                        "  {n_nodes:>7} {n_devices:>7} {slack:>6} {:>10} {:>8} {:>8} {:>6} {:>12}",
                        show(elapsed),
                        placement.cost,
                        placement.lower_bound,
                        placement.exact,
                        total_weight
                    ),
                    Err(error) => println!(
                        "  {n_nodes:>7} {n_devices:>7} {slack:>6} {:>10} {error}",
                        show(elapsed)
                    ),
                }
            }
        }
    }
    println!("  (slack: budgets as a multiple of an even share of all nodes; cost: weight of");
    println!("  the wires cut; bound: proven lower bound on the cost of any placement)");
    println!();
}

fn show(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

// ---------------------------------------------------------------------------
// (c) Stability.

/// A random single-node edit that keeps the other nodes' indices: a node
/// added and wired to one to three others, a wire moved to another node, or
/// a node removed (its wires dropped and its cost zeroed).
fn edit(rng: &mut fastrand::Rng, problem: &Problem) -> Problem {
    let mut edited = problem.clone();
    let n_nodes = problem.node_costs.len();
    match rng.u8(0..3) {
        0 => {
            let cost = problem.node_costs[rng.usize(0..n_nodes)];
            edited.node_costs.push(cost);
            edited.pins.push(None);
            let anchor = rng.usize(0..n_nodes);
            for _ in 0..rng.usize(1..=3) {
                let other = rng.usize(anchor.saturating_sub(5)..(anchor + 5).min(n_nodes));
                edited.edges.push(Edge {
                    from: other,
                    to: n_nodes,
                    weight: rng.u64(1..=10),
                });
            }
        }
        1 => {
            let index = rng.usize(0..edited.edges.len());
            let to = edited.edges[index].to;
            edited.edges[index].to = rng.usize(to.saturating_sub(5)..(to + 5).min(n_nodes));
        }
        _ => {
            let node = rng.usize(0..n_nodes);
            edited
                .edges
                .retain(|edge| edge.from != node && edge.to != node);
            edited.node_costs[node] = Resources::ZERO;
        }
    }
    edited
}

fn stability() {
    println!("(c) stability: nodes moved per random single-node edit (50 edits each)");
    println!(
        "  {:<26} {:>22} {:>22} {:>13}",
        "flow", "from scratch", "with previous", "cut change"
    );
    println!(
        "  {:<26} {:>22} {:>22}",
        "", "mean / median / worst", "mean / median / worst"
    );
    let mut rng = fastrand::Rng::with_seed(99);
    for (n_nodes, n_devices) in [(200, 3), (1_000, 4), (10_000, 8)] {
        let problem = flow_problem(&mut rng, n_nodes, n_devices, 1.25);
        let Ok(before) = place(&problem) else {
            println!("  {n_nodes} nodes: no placement");
            continue;
        };
        let previous: Vec<Option<usize>> = before.device_of.iter().copied().map(Some).collect();
        let (mut fresh_moved, mut kept_moved) = (Vec::new(), Vec::new());
        let (mut fresh_cost, mut kept_cost) = (0i64, 0i64);
        for _ in 0..50 {
            let edited = edit(&mut rng, &problem);
            let hinted = Options {
                previous: Some(&previous),
                ..Options::default()
            };
            let (Ok(fresh), Ok(kept)) = (place(&edited), place_with(&edited, &hinted)) else {
                continue;
            };
            let moved = |after: &[usize]| {
                before
                    .device_of
                    .iter()
                    .zip(after)
                    .filter(|(before, after)| before != after)
                    .count()
            };
            fresh_moved.push(moved(&fresh.device_of));
            kept_moved.push(moved(&kept.device_of));
            fresh_cost += fresh.cost as i64 - before.cost as i64;
            kept_cost += kept.cost as i64 - before.cost as i64;
        }
        let edits = fresh_moved.len().max(1) as f64;
        println!(
            "  {:<26} {:>22} {:>22} {:>13}",
            format!("{n_nodes} nodes, {n_devices} devices"),
            summary(&mut fresh_moved),
            summary(&mut kept_moved),
            format!(
                "{:+.1} / {:+.1}",
                fresh_cost as f64 / edits,
                kept_cost as f64 / edits
            )
        );
    }
    println!(
        "  (cut change: mean change of the cut weight per edit, from scratch / with previous)"
    );
}

/// Mean, median and worst of a list of counts.
fn summary(counts: &mut [usize]) -> String {
    counts.sort_unstable();
    let mean = counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64;
    let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
    let worst = counts.last().copied().unwrap_or(0);
    format!("{mean:.2} / {median} / {worst}")
}
