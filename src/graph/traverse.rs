//! Traversals over a [`Graph`]: breadth-first and depth-first walks from
//! one or many start points, and shortest paths (fewest hops, or least
//! total weight).
//!
//! Every walk visits the neighbours of a point by ascending edge id, so
//! its result depends on the edges only, not on the order they were
//! written in.

use super::{check_label, Direction, Graph, Step};
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
    let mut reached: HashMap<u64, Reached> = HashMap::new();
    let mut rejected: HashSet<u64> = HashSet::new();
    let mut order: Vec<u64> = Vec::new();
    // Whether the point a step reaches is new and accepted; records it.
    let mut reach = |p: u64,
                     from: u64,
                     edge: Option<u64>,
                     depth: u32,
                     origin: u64,
                     reached: &mut HashMap<u64, Reached>,
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
/// weight), or `None` when `to` cannot be reached. Ties go to the path
/// found first, visiting neighbours by ascending edge id.
pub fn shortest_path(g: &Graph, from: u64, to: u64, q: &PathQuery) -> Option<GraphPath> {
    let allowed = resolve(g, &q.labels);
    let mut prev: HashMap<u64, (u64, u64)> = HashMap::new();
    let unroll = |prev: &HashMap<u64, (u64, u64)>, cost: f64| {
        let mut points = vec![to];
        let mut edges = Vec::new();
        let mut at = to;
        while at != from {
            let (p, e) = prev[&at];
            edges.push(e);
            points.push(p);
            at = p;
        }
        points.reverse();
        edges.reverse();
        GraphPath {
            points,
            edges,
            cost,
        }
    };
    if from == to {
        return Some(unroll(&prev, 0.0));
    }
    if !q.weighted {
        let mut depth: HashMap<u64, usize> = HashMap::from([(from, 0)]);
        let mut queue = VecDeque::from([from]);
        while let Some(p) = queue.pop_front() {
            let d = depth[&p];
            if q.max_depth != 0 && d >= q.max_depth {
                continue;
            }
            for s in steps_of(g, p, q.direction, &allowed) {
                if depth.contains_key(&s.point) {
                    continue;
                }
                depth.insert(s.point, d + 1);
                prev.insert(s.point, (p, s.edge));
                if s.point == to {
                    return Some(unroll(&prev, (d + 1) as f64));
                }
                queue.push_back(s.point);
            }
        }
        return None;
    }
    // Dijkstra: the heap pops the least cost first, then the least id.
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
    let mut best: HashMap<u64, f64> = HashMap::from([(from, 0.0)]);
    let mut done: HashSet<u64> = HashSet::new();
    let mut heap = BinaryHeap::from([Item(0.0, from)]);
    while let Some(Item(c, p)) = heap.pop() {
        if !done.insert(p) {
            continue;
        }
        if p == to {
            return Some(unroll(&prev, c));
        }
        for s in steps_of(g, p, q.direction, &allowed) {
            let nc = c + f64::from(s.weight);
            if done.contains(&s.point) {
                continue;
            }
            if best.get(&s.point).is_none_or(|&b| nc < b) {
                best.insert(s.point, nc);
                prev.insert(s.point, (p, s.edge));
                heap.push(Item(nc, s.point));
            }
        }
    }
    None
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
}
