//! Traversals over a [`Graph`]: breadth-first and depth-first walks from
//! one or many start points, and shortest paths (fewest hops, or least
//! total weight).
//!
//! Every walk visits the neighbours of a point by ascending edge id, so
//! its result depends on the edges only, not on the order they were
//! written in.

use super::{check_label, Direction, Graph, IdBuild, Step};
use crate::error::{Error, Result};
use crate::filter::Filter;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

/// Deepest walk a traversal accepts.
const MAX_DEPTH: usize = 1000;
/// Most points one traversal returns.
const MAX_LIMIT: usize = 10_000_000;

/// Breadth first or depth first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Level by level: each point at its least depth from a start.
    #[default]
    BreadthFirst,
    /// Each branch to its end first: each point at the depth the walk
    /// first reached it.
    DepthFirst,
}

/// What a traversal follows and returns.
#[derive(Clone, Debug)]
pub struct Traversal {
    /// Breadth first (default) or depth first.
    pub order: Order,
    /// Points reached in fewer hops are walked through but not returned
    /// (0 returns the start points too). Default 1.
    pub min_depth: usize,
    /// Hops from a start point, 1 to 1,000. Default 1.
    pub max_depth: usize,
    /// Which edges a hop follows. Default out.
    pub direction: Direction,
    /// Labels every hop may follow (empty: any label).
    pub labels: Vec<String>,
    /// Labels per hop: hop `i` (from 1) follows `hop_labels[i - 1]` when
    /// it is given and not empty, else `labels`.
    pub hop_labels: Vec<Vec<String>>,
    /// A point reached by a hop must match this filter to be returned or
    /// walked through (start points are not tested).
    pub filter: Option<Filter>,
    /// Most points returned, 1 to 10,000,000; the walk stops there.
    /// Default 1,000.
    pub limit: usize,
}

impl Default for Traversal {
    fn default() -> Self {
        Traversal {
            order: Order::BreadthFirst,
            min_depth: 1,
            max_depth: 1,
            direction: Direction::Out,
            labels: Vec::new(),
            hop_labels: Vec::new(),
            filter: None,
            limit: 1000,
        }
    }
}

impl Traversal {
    /// A breadth-first walk of up to `max_depth` hops.
    pub fn bfs(max_depth: usize) -> Traversal {
        Traversal {
            max_depth,
            ..Traversal::default()
        }
    }

    /// A depth-first walk of up to `max_depth` hops.
    pub fn dfs(max_depth: usize) -> Traversal {
        Traversal {
            order: Order::DepthFirst,
            max_depth,
            ..Traversal::default()
        }
    }

    /// Follows only edges labelled `label` (on every hop).
    pub fn along(mut self, label: &str) -> Traversal {
        self.labels.push(label.to_owned());
        self
    }

    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        if self.max_depth == 0 || self.max_depth > MAX_DEPTH {
            return Err(Error::invalid(format!(
                "max_depth is {}; it must be 1 to {MAX_DEPTH}",
                self.max_depth
            )));
        }
        if self.min_depth > self.max_depth {
            return Err(Error::invalid(format!(
                "min_depth {} is greater than max_depth {}",
                self.min_depth, self.max_depth
            )));
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(Error::invalid(format!(
                "limit is {}; it must be 1 to {MAX_LIMIT}",
                self.limit
            )));
        }
        if self.hop_labels.len() > self.max_depth {
            return Err(Error::invalid(format!(
                "hop_labels names {} hops, more than max_depth {}",
                self.hop_labels.len(),
                self.max_depth
            )));
        }
        for (i, l) in self.labels.iter().enumerate() {
            check_label(l, &|| format!("labels[{i}]"))?;
        }
        for (h, ls) in self.hop_labels.iter().enumerate() {
            for (i, l) in ls.iter().enumerate() {
                check_label(l, &|| format!("hop_labels[{h}][{i}]"))?;
            }
        }
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        Ok(())
    }
}

/// A point a traversal reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Visit {
    /// The point's id.
    pub id: u64,
    /// Hops from its start point.
    pub depth: u32,
    /// The start point it was reached from.
    pub origin: u64,
    /// The edge ids walked from `origin` to it, in order.
    pub path: Vec<u64>,
    /// Its score: the similarity to the query of a ranked traversal, or
    /// the score of the hit it was reached from in an expanded search;
    /// `None` for a plain traversal.
    pub score: Option<f32>,
}

/// What a shortest path may follow.
#[derive(Clone, Debug, Default)]
pub struct PathQuery {
    /// Which edges a hop follows. Default out.
    pub direction: Direction,
    /// Labels it may follow (empty: any).
    pub labels: Vec<String>,
    /// Least total weight instead of fewest hops (edge weights are never
    /// negative).
    pub weighted: bool,
    /// Most hops of an unweighted path (0: no bound). Must be 0 with
    /// `weighted`.
    pub max_depth: usize,
}

impl PathQuery {
    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        if self.weighted && self.max_depth != 0 {
            return Err(Error::invalid(format!(
                "max_depth is {}; a weighted shortest path takes no hop bound (pass 0)",
                self.max_depth
            )));
        }
        for (i, l) in self.labels.iter().enumerate() {
            check_label(l, &|| format!("labels[{i}]"))?;
        }
        Ok(())
    }
}

/// A path between two points.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphPath {
    /// The points from the first to the last.
    pub points: Vec<u64>,
    /// The edge ids between them (one fewer).
    pub edges: Vec<u64>,
    /// Hops, or the sum of the edges' weights (added from the first edge).
    pub cost: f64,
}

/// Label numbers a hop may follow (`None`: any).
type Allowed = Option<Vec<u32>>;

fn resolve(g: &Graph, names: &[String]) -> Allowed {
    if names.is_empty() {
        return None;
    }
    let mut v: Vec<u32> = names.iter().filter_map(|n| g.label_id(n)).collect();
    v.sort_unstable();
    v.dedup();
    Some(v)
}

fn allows(a: &Allowed, label: u32) -> bool {
    a.as_ref().is_none_or(|v| v.binary_search(&label).is_ok())
}

fn steps_of(g: &Graph, p: u64, dir: Direction, allowed: &Allowed) -> Vec<Step> {
    let mut v = Vec::new();
    g.steps(p, dir, |s| {
        if allows(allowed, s.label) {
            v.push(s);
        }
    });
    v
}

/// How a point was reached: from `prev` by `edge` (`None` for a start).
struct Reached {
    prev: u64,
    edge: Option<u64>,
    depth: u32,
    origin: u64,
}

/// Walks `g` from `starts` as `t` says; `accept` decides whether a point
/// reached by a hop is returned and walked through.
pub fn traverse(
    g: &Graph,
    starts: &[u64],
    t: &Traversal,
    accept: &mut dyn FnMut(u64) -> Result<bool>,
) -> Result<Vec<Visit>> {
    let hops: Vec<Allowed> = (1..=t.max_depth)
        .map(|h| match t.hop_labels.get(h - 1) {
            Some(ls) if !ls.is_empty() => resolve(g, ls),
            _ => resolve(g, &t.labels),
        })
        .collect();
    let mut reached: HashMap<u64, Reached, IdBuild> = HashMap::default();
    let mut rejected: HashSet<u64, IdBuild> = HashSet::default();
    let mut order: Vec<u64> = Vec::new();
    // Whether the point a step reaches is new and accepted; records it.
    let mut reach = |p: u64,
                     from: u64,
                     edge: Option<u64>,
                     depth: u32,
                     origin: u64,
                     reached: &mut HashMap<u64, Reached, IdBuild>,
                     order: &mut Vec<u64>|
     -> Result<bool> {
        // A start is walked from even when a hop rejected it before.
        if reached.contains_key(&p) || (edge.is_some() && rejected.contains(&p)) {
            return Ok(false);
        }
        if edge.is_some() && !accept(p)? {
            rejected.insert(p);
            return Ok(false);
        }
        reached.insert(
            p,
            Reached {
                prev: from,
                edge,
                depth,
                origin,
            },
        );
        if depth as usize >= t.min_depth {
            order.push(p);
        }
        Ok(true)
    };
    match t.order {
        Order::BreadthFirst => {
            let mut queue = VecDeque::new();
            for &s in starts {
                if reach(s, s, None, 0, s, &mut reached, &mut order)? {
                    queue.push_back(s);
                }
            }
            'walk: while let Some(p) = queue.pop_front() {
                if order.len() >= t.limit {
                    break;
                }
                let (d, origin) = {
                    let r = &reached[&p];
                    (r.depth, r.origin)
                };
                if d as usize >= t.max_depth {
                    continue;
                }
                for s in steps_of(g, p, t.direction, &hops[d as usize]) {
                    if reach(
                        s.point,
                        p,
                        Some(s.edge),
                        d + 1,
                        origin,
                        &mut reached,
                        &mut order,
                    )? {
                        if order.len() >= t.limit {
                            break 'walk;
                        }
                        queue.push_back(s.point);
                    }
                }
            }
        }
        Order::DepthFirst => {
            struct Frame {
                point: u64,
                depth: u32,
                origin: u64,
                steps: Vec<Step>,
                next: usize,
            }
            let frame = |p: u64, depth: u32, origin: u64| Frame {
                point: p,
                depth,
                origin,
                steps: if (depth as usize) < t.max_depth {
                    steps_of(g, p, t.direction, &hops[depth as usize])
                } else {
                    Vec::new()
                },
                next: 0,
            };
            'starts: for &s in starts {
                if !reach(s, s, None, 0, s, &mut reached, &mut order)? {
                    continue;
                }
                let mut stack = vec![frame(s, 0, s)];
                while let Some(top) = stack.last_mut() {
                    if order.len() >= t.limit {
                        break 'starts;
                    }
                    let Some(&st) = top.steps.get(top.next) else {
                        stack.pop();
                        continue;
                    };
                    top.next += 1;
                    let (from, d, origin) = (top.point, top.depth + 1, top.origin);
                    if reach(
                        st.point,
                        from,
                        Some(st.edge),
                        d,
                        origin,
                        &mut reached,
                        &mut order,
                    )? {
                        stack.push(frame(st.point, d, origin));
                    }
                }
            }
        }
    }
    order.truncate(t.limit);
    let mut out = Vec::with_capacity(order.len());
    for p in order {
        let r = &reached[&p];
        let mut path = Vec::with_capacity(r.depth as usize);
        let mut at = p;
        while let Some(r) = reached.get(&at) {
            match r.edge {
                Some(e) => {
                    path.push(e);
                    at = r.prev;
                }
                None => break,
            }
        }
        path.reverse();
        out.push(Visit {
            id: p,
            depth: r.depth,
            origin: r.origin,
            path,
            score: None,
        });
    }
    Ok(out)
}

/// The shortest path from `from` to `to` (fewest hops, or least total
/// weight), or `None` when `to` cannot be reached. Both are searched from
/// the two ends at once (the forward walk along `q.direction` from
/// `from`, the backward walk against it from `to`), each step expanding
/// the smaller side, so a path across a large graph visits about the
/// square root of what a one-sided search would. Among paths of equal
/// length or cost the one returned depends on the edges only (neighbours
/// by ascending edge id), not on the order they were written in.
pub fn shortest_path(g: &Graph, from: u64, to: u64, q: &PathQuery) -> Option<GraphPath> {
    if from == to {
        return Some(GraphPath {
            points: vec![from],
            edges: Vec::new(),
            cost: 0.0,
        });
    }
    let allowed = resolve(g, &q.labels);
    let back = match q.direction {
        Direction::Out => Direction::In,
        Direction::In => Direction::Out,
        Direction::Both => Direction::Both,
    };
    let dirs = [q.direction, back];
    // Per side: point -> (the point it was reached from, the edge).
    let mut links: [HashMap<u64, (u64, u64), IdBuild>; 2] =
        [HashMap::default(), HashMap::default()];
    links[0].insert(from, (from, u64::MAX));
    links[1].insert(to, (to, u64::MAX));
    let meet = if q.weighted {
        dijkstra_both(g, [from, to], dirs, &allowed, &mut links)
    } else {
        bfs_both(g, [from, to], dirs, &allowed, q.max_depth, &mut links)
    }?;
    // from .. meet along the forward links, meet .. to along the backward.
    let mut points = vec![meet];
    let mut edges = Vec::new();
    let mut at = meet;
    while at != from {
        let (p, e) = links[0][&at];
        points.push(p);
        edges.push(e);
        at = p;
    }
    points.reverse();
    edges.reverse();
    at = meet;
    while at != to {
        let (p, e) = links[1][&at];
        points.push(p);
        edges.push(e);
        at = p;
    }
    let cost = if q.weighted {
        edges
            .iter()
            .map(|&e| f64::from(g.weight_of(e).unwrap_or(0.0)))
            .sum()
    } else {
        edges.len() as f64
    };
    Some(GraphPath {
        points,
        edges,
        cost,
    })
}

/// Fewest hops: breadth first from both ends, one whole level of the
/// side with the smaller frontier at a time. The first point a level
/// reaches that the other side holds is on a shortest path (the levels
/// before met nowhere, so every meeting in this level has the same
/// length). `max_depth` (0: none) bounds the hops.
fn bfs_both(
    g: &Graph,
    ends: [u64; 2],
    dirs: [Direction; 2],
    allowed: &Allowed,
    max_depth: usize,
    links: &mut [HashMap<u64, (u64, u64), IdBuild>; 2],
) -> Option<u64> {
    let mut frontier = [vec![ends[0]], vec![ends[1]]];
    let mut hops = 0usize;
    while !frontier[0].is_empty() && !frontier[1].is_empty() {
        if max_depth != 0 && hops >= max_depth {
            return None;
        }
        let side = usize::from(frontier[1].len() < frontier[0].len());
        let [fwd, bwd] = &mut *links;
        let (this, other) = if side == 0 {
            (fwd, &*bwd)
        } else {
            (bwd, &*fwd)
        };
        let mut next = Vec::new();
        let mut met = None;
        for &p in &frontier[side] {
            g.steps(p, dirs[side], |s| {
                if met.is_some() || !allows(allowed, s.label) || this.contains_key(&s.point) {
                    return;
                }
                this.insert(s.point, (p, s.edge));
                if other.contains_key(&s.point) {
                    met = Some(s.point);
                }
                next.push(s.point);
            });
            if met.is_some() {
                return met;
            }
        }
        frontier[side] = next;
        hops += 1;
    }
    None
}

/// Least total weight: Dijkstra from both ends, popping from the side
/// with fewer open points; it stops when the two nearest unsettled points
/// together are no nearer than the best path seen, which is then a least
/// one (weights are never negative).
fn dijkstra_both(
    g: &Graph,
    ends: [u64; 2],
    dirs: [Direction; 2],
    allowed: &Allowed,
    links: &mut [HashMap<u64, (u64, u64), IdBuild>; 2],
) -> Option<u64> {
    // The heap pops the least cost first, then the least id.
    #[derive(PartialEq)]
    struct Item(f64, u64);
    impl Eq for Item {}
    impl PartialOrd for Item {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Item {
        fn cmp(&self, o: &Self) -> Ordering {
            o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
        }
    }
    let mut best: [HashMap<u64, f64, IdBuild>; 2] = [HashMap::default(), HashMap::default()];
    let mut done: [HashSet<u64, IdBuild>; 2] = [HashSet::default(), HashSet::default()];
    let mut heap = [BinaryHeap::new(), BinaryHeap::new()];
    for side in 0..2 {
        best[side].insert(ends[side], 0.0);
        heap[side].push(Item(0.0, ends[side]));
    }
    // The least path cost seen, through which point.
    let mut mu = f64::INFINITY;
    let mut meet = None;
    loop {
        let top = |h: &BinaryHeap<Item>| h.peek().map_or(f64::INFINITY, |i| i.0);
        let (t0, t1) = (top(&heap[0]), top(&heap[1]));
        if t0 == f64::INFINITY || t1 == f64::INFINITY || t0 + t1 >= mu {
            return meet;
        }
        // Any alternation keeps the stop rule right; the side with fewer
        // open points keeps the work small (and ends a search between two
        // components as soon as the smaller is exhausted).
        let side = usize::from(heap[1].len() < heap[0].len());
        let Some(Item(c, p)) = heap[side].pop() else {
            return meet;
        };
        if !done[side].insert(p) {
            continue;
        }
        let [fwd, bwd] = &mut best;
        let (this, other) = if side == 0 {
            (fwd, &*bwd)
        } else {
            (bwd, &*fwd)
        };
        let links = &mut links[side];
        let done = &done[side];
        let heap = &mut heap[side];
        g.steps(p, dirs[side], |s| {
            if !allows(allowed, s.label) || done.contains(&s.point) {
                return;
            }
            let nc = c + f64::from(s.weight);
            if this.get(&s.point).is_none_or(|&b| nc < b) {
                this.insert(s.point, nc);
                links.insert(s.point, (p, s.edge));
                heap.push(Item(nc, s.point));
                if let Some(&o) = other.get(&s.point) {
                    if nc + o < mu {
                        mu = nc + o;
                        meet = Some(s.point);
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;

    fn chain() -> Graph {
        // 1 -a-> 2 -a-> 3 -a-> 4, 1 -b-> 3, 4 -a-> 1, 2 -a-> 5
        let mut g = Graph::default();
        for (id, s, t, l) in [
            (10, 1, 2, "a"),
            (11, 2, 3, "a"),
            (12, 3, 4, "a"),
            (13, 1, 3, "b"),
            (14, 4, 1, "a"),
            (15, 2, 5, "a"),
        ] {
            g.insert(&Edge::new(id, s, t, l));
        }
        g
    }

    fn ids(v: &[Visit]) -> Vec<(u64, u32)> {
        v.iter().map(|x| (x.id, x.depth)).collect()
    }

    #[test]
    fn bfs_dfs_and_labels() {
        let g = chain();
        let mut yes = |_: u64| Ok(true);
        let v = traverse(&g, &[1], &Traversal::bfs(3), &mut yes).unwrap();
        assert_eq!(ids(&v), vec![(2, 1), (3, 1), (5, 2), (4, 2)]);
        assert_eq!(v[3].path, vec![13, 12]);
        let v = traverse(&g, &[1], &Traversal::bfs(3).along("a"), &mut yes).unwrap();
        assert_eq!(ids(&v), vec![(2, 1), (3, 2), (5, 2), (4, 3)]);
        let v = traverse(&g, &[1], &Traversal::dfs(3), &mut yes).unwrap();
        assert_eq!(ids(&v), vec![(2, 1), (3, 2), (4, 3), (5, 2)]);
        let t = Traversal {
            min_depth: 0,
            direction: Direction::In,
            ..Traversal::bfs(2)
        };
        let v = traverse(&g, &[1], &t, &mut yes).unwrap();
        assert_eq!(ids(&v), vec![(1, 0), (4, 1), (3, 2)]);
        let t = Traversal {
            hop_labels: vec![vec!["b".into()]],
            ..Traversal::bfs(2).along("a")
        };
        let v = traverse(&g, &[1], &t, &mut yes).unwrap();
        assert_eq!(ids(&v), vec![(3, 1), (4, 2)]);
        let t = Traversal {
            limit: 2,
            ..Traversal::bfs(3)
        };
        assert_eq!(traverse(&g, &[1], &t, &mut yes).unwrap().len(), 2);
        // Rejected points are neither returned nor walked through.
        let mut no3 = |p: u64| Ok(p != 3);
        let v = traverse(&g, &[1], &Traversal::bfs(3), &mut no3).unwrap();
        assert_eq!(ids(&v), vec![(2, 1), (5, 2)]);
    }

    #[test]
    fn shortest_paths() {
        let mut g = chain();
        let q = PathQuery::default();
        let p = shortest_path(&g, 1, 4, &q).unwrap();
        assert_eq!(
            (p.points, p.edges, p.cost),
            (vec![1, 3, 4], vec![13, 12], 2.0)
        );
        assert!(shortest_path(&g, 5, 1, &q).is_none());
        let q2 = PathQuery {
            max_depth: 1,
            ..PathQuery::default()
        };
        assert!(shortest_path(&g, 1, 4, &q2).is_none());
        g.insert(&Edge::new(13, 1, 3, "b").with_weight(5.0));
        let w = PathQuery {
            weighted: true,
            ..PathQuery::default()
        };
        let p = shortest_path(&g, 1, 4, &w).unwrap();
        assert_eq!((p.points, p.cost), (vec![1, 2, 3, 4], 3.0));
        assert_eq!(shortest_path(&g, 2, 2, &w).unwrap().points, vec![2]);
    }

    /// One-sided references: the least hops (within `max`, 0 = any) and
    /// the least weight from `a` to `b`.
    fn reference(
        g: &Graph,
        a: u64,
        b: u64,
        dir: Direction,
        max: usize,
    ) -> (Option<usize>, Option<f64>) {
        let mut hops: HashMap<u64, usize, IdBuild> = HashMap::default();
        hops.insert(a, 0);
        let mut queue = VecDeque::from([a]);
        while let Some(p) = queue.pop_front() {
            let d = hops[&p];
            if max != 0 && d >= max {
                continue;
            }
            g.steps(p, dir, |s| {
                if let std::collections::hash_map::Entry::Vacant(v) = hops.entry(s.point) {
                    v.insert(d + 1);
                    queue.push_back(s.point);
                }
            });
        }
        // Dijkstra by scanning for the least open point.
        let mut cost: HashMap<u64, f64, IdBuild> = HashMap::default();
        let mut done: HashSet<u64, IdBuild> = HashSet::default();
        cost.insert(a, 0.0);
        while let Some((&p, &c)) = cost
            .iter()
            .filter(|(p, _)| !done.contains(*p))
            .min_by(|x, y| x.1.total_cmp(y.1))
        {
            done.insert(p);
            g.steps(p, dir, |s| {
                let nc = c + f64::from(s.weight);
                if cost.get(&s.point).is_none_or(|&x| nc < x) {
                    cost.insert(s.point, nc);
                }
            });
        }
        (hops.get(&b).copied(), cost.get(&b).copied())
    }

    #[test]
    fn two_sided_searches_equal_one_sided_references() {
        let mut r = 0x1234_5678_9abc_def1u64;
        let mut next = |m: u64| {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            r % m
        };
        for round in 0..40u64 {
            let n = 5 + next(40);
            let mut g = Graph::default();
            for id in 0..next(3 * n) {
                let w = [0.0, 0.5, 1.0, 2.0, 7.0][next(5) as usize];
                g.insert(&Edge::new(id, next(n), next(n), "a").with_weight(w));
            }
            for dir in [Direction::Out, Direction::In, Direction::Both] {
                for _ in 0..20 {
                    let (a, b) = (next(n), next(n));
                    for max in [0, 1, 2, 3] {
                        let q = PathQuery {
                            direction: dir,
                            max_depth: max,
                            ..PathQuery::default()
                        };
                        let (hops, _) = reference(&g, a, b, dir, max);
                        let got = shortest_path(&g, a, b, &q);
                        assert_eq!(
                            got.as_ref().map(|p| p.edges.len()),
                            hops,
                            "round {round} {dir:?} {a} -> {b} within {max}"
                        );
                        if let Some(p) = got {
                            assert_eq!((p.points[0], *p.points.last().unwrap()), (a, b));
                            assert_eq!(p.cost, hops.unwrap_or(0) as f64);
                        }
                    }
                    let q = PathQuery {
                        direction: dir,
                        weighted: true,
                        ..PathQuery::default()
                    };
                    let (_, cost) = reference(&g, a, b, dir, 0);
                    let got = shortest_path(&g, a, b, &q);
                    match (got, cost) {
                        (None, None) => {}
                        (Some(p), Some(c)) => {
                            assert!(
                                (p.cost - c).abs() < 1e-9,
                                "round {round} {dir:?} {a} -> {b}: {} vs {c}",
                                p.cost
                            );
                            // The path is one: consecutive points joined by its edges.
                            for (i, &e) in p.edges.iter().enumerate() {
                                let e = g.get(e).unwrap();
                                let (x, y) = (p.points[i], p.points[i + 1]);
                                let fwd = e.source == x && e.target == y && dir != Direction::In;
                                let back = e.target == x && e.source == y && dir != Direction::Out;
                                assert!(
                                    fwd || back,
                                    "round {round}: edge {} between {x} and {y}",
                                    e.id
                                );
                            }
                        }
                        (p, c) => panic!("round {round} {dir:?} {a} -> {b}: {p:?} vs {c:?}"),
                    }
                }
            }
        }
    }
}
