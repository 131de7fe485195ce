//! Edges between points: durable like points (reopen, crash, optimize),
//! removed with their points, checked against a label schema; traversals
//! (BFS, DFS, shortest paths) equal to a reference written here over the
//! same edges; graph + vector search.

use crate::common::util::{assert_err, copy_dir, Rng, TempDir};
use crate::common::wordnet::{load, sample_dir};
use quiver::{
    Collection, CollectionConfig, Database, Direction, Edge, Filter, GraphSchema, Metric, Order,
    PathQuery, Point, SearchParams, Traversal, Visit,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// The edges a collection should hold, by id.
type Model = BTreeMap<u64, Edge>;

/// The reference's neighbours of `p`: (edge id, other end, label), by
/// ascending edge id, a loop once.
fn neighbours(m: &Model, p: u64, dir: Direction) -> Vec<(u64, u64, String, f32)> {
    m.values()
        .filter_map(|e| {
            let out = dir != Direction::In && e.source == p;
            let inn = dir != Direction::Out && e.target == p;
            if out {
                Some((e.id, e.target, e.label.clone(), e.weight))
            } else if inn {
                Some((e.id, e.source, e.label.clone(), e.weight))
            } else {
                None
            }
        })
        .collect()
}

fn hop_ok(t: &Traversal, hop: usize, label: &str) -> bool {
    let set = match t.hop_labels.get(hop - 1) {
        Some(l) if !l.is_empty() => l,
        _ => &t.labels,
    };
    set.is_empty() || set.iter().any(|l| l == label)
}

/// The reference traversal: (id, depth, origin, path).
fn reference(
    m: &Model,
    starts: &[u64],
    t: &Traversal,
    ok: &dyn Fn(u64) -> bool,
) -> Vec<(u64, u32, u64, Vec<u64>)> {
    let mut seen: HashMap<u64, (u32, u64, Vec<u64>)> = HashMap::new();
    let mut rejected = BTreeSet::new();
    let mut out = Vec::new();
    let push = |out: &mut Vec<_>, p: u64, d: u32, o: u64, path: &Vec<u64>| {
        if d as usize >= t.min_depth && out.len() < t.limit {
            out.push((p, d, o, path.clone()));
        }
    };
    match t.order {
        Order::BreadthFirst => {
            let mut q = VecDeque::new();
            for &s in starts {
                if seen.contains_key(&s) {
                    continue;
                }
                seen.insert(s, (0, s, vec![]));
                push(&mut out, s, 0, s, &vec![]);
                q.push_back(s);
            }
            while let Some(p) = q.pop_front() {
                let (d, o, path) = seen[&p].clone();
                if d as usize >= t.max_depth {
                    continue;
                }
                for (e, n, l, _) in neighbours(m, p, t.direction) {
                    if !hop_ok(t, d as usize + 1, &l)
                        || seen.contains_key(&n)
                        || rejected.contains(&n)
                    {
                        continue;
                    }
                    if !ok(n) {
                        rejected.insert(n);
                        continue;
                    }
                    let mut np = path.clone();
                    np.push(e);
                    push(&mut out, n, d + 1, o, &np);
                    seen.insert(n, (d + 1, o, np));
                    q.push_back(n);
                }
            }
        }
        Order::DepthFirst => {
            #[allow(clippy::too_many_arguments)]
            fn dfs(
                m: &Model,
                t: &Traversal,
                ok: &dyn Fn(u64) -> bool,
                p: u64,
                d: u32,
                o: u64,
                path: &mut Vec<u64>,
                seen: &mut HashMap<u64, (u32, u64, Vec<u64>)>,
                rejected: &mut BTreeSet<u64>,
                out: &mut Vec<(u64, u32, u64, Vec<u64>)>,
            ) {
                if d as usize >= t.max_depth {
                    return;
                }
                for (e, n, l, _) in neighbours(m, p, t.direction) {
                    if out.len() >= t.limit {
                        return;
                    }
                    if !hop_ok(t, d as usize + 1, &l)
                        || seen.contains_key(&n)
                        || rejected.contains(&n)
                    {
                        continue;
                    }
                    if !ok(n) {
                        rejected.insert(n);
                        continue;
                    }
                    path.push(e);
                    seen.insert(n, (d + 1, o, path.clone()));
                    if d as usize + 1 >= t.min_depth {
                        out.push((n, d + 1, o, path.clone()));
                    }
                    dfs(m, t, ok, n, d + 1, o, path, seen, rejected, out);
                    path.pop();
                }
            }
            for &s in starts {
                if seen.contains_key(&s) {
                    continue;
                }
                if out.len() >= t.limit {
                    break;
                }
                seen.insert(s, (0, s, vec![]));
                push(&mut out, s, 0, s, &vec![]);
                dfs(
                    m,
                    t,
                    ok,
                    s,
                    0,
                    s,
                    &mut vec![],
                    &mut seen,
                    &mut rejected,
                    &mut out,
                );
            }
        }
    }
    out
}

fn got(v: &[Visit]) -> Vec<(u64, u32, u64, Vec<u64>)> {
    v.iter()
        .map(|x| (x.id, x.depth, x.origin, x.path.clone()))
        .collect()
}

/// Reference shortest distance (hops, or weight) from `a` to `b`.
fn reference_distance(m: &Model, a: u64, b: u64, q: &PathQuery) -> Option<f64> {
    let mut best: BTreeMap<u64, f64> = BTreeMap::from([(a, 0.0)]);
    let mut done = BTreeSet::new();
    loop {
        // The unfinished point with the least distance (hops count 1 each).
        let (&p, &d) = best
            .iter()
            .filter(|(p, _)| !done.contains(*p))
            .min_by(|x, y| x.1.total_cmp(y.1))?;
        if p == b {
            return Some(d);
        }
        done.insert(p);
        for (_, n, l, w) in neighbours(m, p, q.direction) {
            if !q.labels.is_empty() && !q.labels.contains(&l) {
                continue;
            }
            let nd = d + if q.weighted { f64::from(w) } else { 1.0 };
            if best.get(&n).is_none_or(|&x| nd < x) {
                best.insert(n, nd);
            }
        }
    }
}

/// Checks a path the engine found: it starts and ends right, each edge
/// joins its two points in an allowed direction with an allowed label,
/// and its cost is what the reference says is least.
fn check_path(c: &Collection, m: &Model, a: u64, b: u64, q: &PathQuery, what: &str) {
    let want = reference_distance(m, a, b, q);
    let got = c.shortest_path(a, b, q).unwrap();
    match (want, got) {
        (None, None) => {}
        (Some(w), Some(p)) => {
            assert_eq!(p.points.first(), Some(&a), "{what}");
            assert_eq!(p.points.last(), Some(&b), "{what}");
            assert_eq!(p.edges.len() + 1, p.points.len(), "{what}");
            let mut cost = 0.0f64;
            for (i, e) in p.edges.iter().enumerate() {
                let e = &m[e];
                let (x, y) = (p.points[i], p.points[i + 1]);
                let fwd = e.source == x && e.target == y && q.direction != Direction::In;
                let back = e.target == x && e.source == y && q.direction != Direction::Out;
                assert!(
                    fwd || back,
                    "{what}: edge {} does not join {x} and {y}",
                    e.id
                );
                assert!(q.labels.is_empty() || q.labels.contains(&e.label), "{what}");
                cost += if q.weighted { f64::from(e.weight) } else { 1.0 };
            }
            assert!(
                (cost - p.cost).abs() < 1e-9,
                "{what}: cost {} vs edges {cost}",
                p.cost
            );
            assert!(
                (w - p.cost).abs() < 1e-9,
                "{what}: cost {} vs least {w}",
                p.cost
            );
        }
        (w, g) => panic!("{what}: reference {w:?}, engine {g:?}"),
    }
}

fn open(dir: &std::path::Path) -> Database {
    Database::open(dir).unwrap()
}

/// A collection of `n` points (dim 4, payload `{"g": id % 3}`).
fn points_collection(db: &Database, name: &str, n: u64, seed: u64) -> Arc<Collection> {
    let c = db
        .create_collection(name, CollectionConfig::new(4, Metric::Cosine))
        .unwrap();
    let mut rng = Rng::new(seed);
    let pts: Vec<Point> = (0..n)
        .map(|i| {
            Point::new(i, (0..4).map(|_| rng.f32() + 0.01).collect())
                .with_payload(json!({"g": i % 3}))
        })
        .collect();
    c.upsert(&pts).unwrap();
    c
}

fn random_edges(rng: &mut Rng, n_points: u64, n: u64, first_id: u64) -> Vec<Edge> {
    let labels = ["a", "b", "c"];
    (0..n)
        .map(|i| {
            let s = rng.below(n_points);
            let t = if rng.below(20) == 0 {
                s
            } else {
                rng.below(n_points)
            };
            let mut e = Edge::new(
                first_id + i * 3 + rng.below(3),
                s,
                t,
                labels[rng.below(3) as usize],
            )
            .with_weight((1 + rng.below(9)) as f32 / 4.0);
            if rng.below(4) == 0 {
                e = e.with_properties(&format!("{{\"n\": {i}, \"s\": \"x\\u00e9\"}}"));
            }
            e
        })
        .collect()
}

fn traversals() -> Vec<Traversal> {
    let mut v = Vec::new();
    for order in [Order::BreadthFirst, Order::DepthFirst] {
        for dir in [Direction::Out, Direction::In, Direction::Both] {
            for (min, max) in [(1, 1), (0, 3), (2, 4)] {
                v.push(Traversal {
                    order,
                    direction: dir,
                    min_depth: min,
                    max_depth: max,
                    ..Traversal::default()
                });
            }
            v.push(Traversal {
                order,
                direction: dir,
                max_depth: 5,
                labels: vec!["a".into(), "c".into()],
                limit: 7,
                ..Traversal::default()
            });
            v.push(Traversal {
                order,
                direction: dir,
                max_depth: 3,
                hop_labels: vec![vec!["b".into()], vec![], vec!["a".into()]],
                labels: vec!["c".into()],
                filter: Some(Filter::ne("g", 2)),
                ..Traversal::default()
            });
        }
    }
    v
}

/// Every traversal, path and read against the model.
fn check_all(c: &Collection, m: &Model, n_points: u64, seed: u64, what: &str) {
    assert_eq!(c.edge_count().unwrap(), m.len(), "{what}");
    let all: Vec<Edge> = c.find_edges(None, None, None).unwrap();
    assert_eq!(
        all,
        m.values().cloned().collect::<Vec<_>>(),
        "{what}: every edge"
    );
    let mut rng = Rng::new(seed);
    let ids: Vec<u64> = (0..n_points).collect();
    let live: Vec<u64> = c
        .get(&ids)
        .unwrap()
        .into_iter()
        .flatten()
        .map(|p| p.id)
        .collect();
    let pick = |rng: &mut Rng| live[rng.below(live.len() as u64) as usize];
    let g_of = |p: u64| {
        c.get(&[p]).unwrap()[0]
            .as_ref()
            .unwrap()
            .payload
            .as_ref()
            .unwrap()["g"]
            .as_u64()
            .unwrap()
    };
    for (ti, t) in traversals().iter().enumerate() {
        for k in 0..4 {
            let starts: Vec<u64> = (0..1 + k % 3).map(|_| pick(&mut rng)).collect();
            let ok = |p: u64| t.filter.is_none() || g_of(p) != 2;
            let want = reference(m, &starts, t, &ok);
            let have = c.traverse(&starts, t).unwrap();
            assert_eq!(
                got(&have),
                want,
                "{what}: traversal {ti} {t:?} from {starts:?}"
            );
        }
    }
    for k in 0..40 {
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        for q in [
            PathQuery::default(),
            PathQuery {
                direction: Direction::Both,
                labels: vec!["a".into(), "b".into()],
                ..PathQuery::default()
            },
            PathQuery {
                weighted: true,
                ..PathQuery::default()
            },
            PathQuery {
                weighted: true,
                direction: Direction::Both,
                ..PathQuery::default()
            },
        ] {
            check_path(
                c,
                m,
                a,
                b,
                &q,
                &format!("{what}: path {k} {a} -> {b} {q:?}"),
            );
        }
    }
    for p in 0..n_points {
        let (i, o) = c.degree(p, None).unwrap();
        let wi = m.values().filter(|e| e.target == p).count();
        let wo = m.values().filter(|e| e.source == p).count();
        assert_eq!((i, o), (wi, wo), "{what}: degree of {p}");
        let out: Vec<Edge> = m
            .values()
            .filter(|e| e.source == p && e.label == "a")
            .cloned()
            .collect();
        assert_eq!(
            c.find_edges(Some(p), None, Some("a")).unwrap(),
            out,
            "{what}"
        );
        let inn: Vec<Edge> = m.values().filter(|e| e.target == p).cloned().collect();
        assert_eq!(c.find_edges(None, Some(p), None).unwrap(), inn, "{what}");
    }
}

#[test]
fn random_graph_equals_the_reference_through_reopen_and_optimize() {
    let dir = TempDir::new("graph-random");
    let n_points = 60;
    let mut m = Model::new();
    let mut rng = Rng::new(7);
    {
        let db = open(dir.path());
        let c = points_collection(&db, "g", n_points, 1);
        // Half the edges before a checkpoint (in the snapshot), half after
        // (in the log only).
        let first = random_edges(&mut rng, n_points, 150, 0);
        c.add_edges(&first).unwrap();
        for e in first {
            m.insert(e.id, e);
        }
        c.checkpoint().unwrap();
        let second = random_edges(&mut rng, n_points, 150, 1000);
        c.add_edges(&second).unwrap();
        for e in second {
            m.insert(e.id, e);
        }
        // Replace some edges (same ids, new ends), remove others.
        let replaced: Vec<Edge> = m
            .keys()
            .step_by(9)
            .map(|&id| Edge::new(id, rng.below(n_points), rng.below(n_points), "b"))
            .collect();
        c.add_edges(&replaced).unwrap();
        for e in replaced {
            m.insert(e.id, e);
        }
        let gone: Vec<u64> = m.keys().copied().skip(3).step_by(7).collect();
        assert_eq!(c.remove_edges(&gone).unwrap(), gone.len());
        assert_eq!(c.remove_edges(&gone).unwrap(), 0);
        for id in gone {
            m.remove(&id);
        }
        check_all(&c, &m, n_points, 11, "before reopen");
        // Properties come back byte for byte.
        let with_props: Vec<u64> = m
            .values()
            .filter(|e| e.properties.is_some())
            .map(|e| e.id)
            .collect();
        assert!(!with_props.is_empty());
        let read = c.get_edges(&with_props).unwrap();
        for (id, e) in with_props.iter().zip(read) {
            assert_eq!(e.as_ref(), Some(&m[id]));
        }
        assert_eq!(c.get_edges(&[999_999]).unwrap(), vec![None]);
    }
    let db = open(dir.path());
    let c = db.collection("g").unwrap();
    check_all(&c, &m, n_points, 12, "after reopen (snapshot + log)");
    c.checkpoint().unwrap();
    c.optimize().unwrap();
    c.wait_optimized().unwrap();
    let stats = c.stats().unwrap();
    let edges = stats.components.iter().find(|x| x.name == "edges").unwrap();
    assert!(edges.disk_bytes > 0 && edges.ram_bytes > 0, "{edges:?}");
    assert_eq!(stats.edges, m.len() as u64);
    drop(c);
    drop(db);
    let db = open(dir.path());
    let c = db.collection("g").unwrap();
    check_all(&c, &m, n_points, 13, "after checkpoint and reopen");
    // The snapshot shrinks when edges go (the space is reclaimed).
    let before = edges.disk_bytes;
    let half: Vec<u64> = m.keys().copied().step_by(2).collect();
    c.remove_edges(&half).unwrap();
    for id in half {
        m.remove(&id);
    }
    c.checkpoint().unwrap();
    let after = c.stats().unwrap();
    let after = after.components.iter().find(|x| x.name == "edges").unwrap();
    assert!(after.disk_bytes < before * 3 / 4, "{before} -> {after:?}");
    check_all(&c, &m, n_points, 14, "after removing half");
}

#[test]
fn deleting_a_point_removes_its_edges_durably() {
    let dir = TempDir::new("graph-delete");
    let n_points = 40;
    let mut m = Model::new();
    let mut rng = Rng::new(3);
    let copy = dir.join("crashed");
    {
        let db = open(&dir.join("db"));
        let c = points_collection(&db, "g", n_points, 2);
        for e in random_edges(&mut rng, n_points, 200, 0) {
            m.insert(e.id, e.clone());
            c.add_edges(&[e]).unwrap();
        }
        c.checkpoint().unwrap();
        // Deleted before and after the next snapshot; a point deleted,
        // upserted again and given new edges keeps only the new ones.
        for p in [3u64, 17, 29] {
            assert_eq!(c.delete(&[p]).unwrap(), 1);
            m.retain(|_, e| e.source != p && e.target != p);
            assert_eq!(c.degree(p, None).unwrap(), (0, 0));
        }
        c.checkpoint().unwrap();
        for p in [5u64, 8] {
            c.delete(&[p]).unwrap();
            m.retain(|_, e| e.source != p && e.target != p);
        }
        c.upsert(&[Point::new(5, vec![1.0, 0.0, 0.0, 0.0]).with_payload(json!({"g": 2}))])
            .unwrap();
        let again = Edge::new(77_777, 5, 6, "a");
        c.add_edges(std::slice::from_ref(&again)).unwrap();
        m.insert(again.id, again);
        // An upsert keeps a point's edges.
        c.upsert(&[Point::new(6, vec![0.0, 1.0, 0.0, 0.0]).with_payload(json!({"g": 0}))])
            .unwrap();
        // Edges to a deleted point are refused.
        assert_err(
            c.add_edges(&[Edge::new(1, 8, 9, "a")]),
            "NotFound",
            "to a deleted point",
        );
        check_all(&c, &m, n_points, 5, "live");
        // A crash: the files as they are now, without a close.
        copy_dir(&dir.join("db"), &copy);
    }
    for d in [copy, dir.join("db")] {
        let db = open(&d);
        let c = db.collection("g").unwrap();
        check_all(&c, &m, n_points, 6, &format!("reopened {}", d.display()));
    }
}

#[test]
fn schema_is_enforced_and_bad_edges_change_nothing() {
    let dir = TempDir::new("graph-schema");
    let db = open(dir.path());
    let c = points_collection(&db, "g", 12, 4);
    c.add_edges(&[Edge::new(1, 0, 1, "a"), Edge::new(2, 3, 4, "b")])
        .unwrap();
    let before = c.find_edges(None, None, None).unwrap();
    // Bad edges: nothing of the batch is written.
    let good = Edge::new(10, 1, 2, "a");
    for (bad, want) in [
        (Edge::new(11, 1, 99, "a"), "NotFound"),
        (Edge::new(11, 99, 1, "a"), "NotFound"),
        (Edge::new(11, 1, 2, ""), "InvalidArgument"),
        (Edge::new(11, 1, 2, "a\u{7}"), "InvalidArgument"),
        (
            Edge::new(11, 1, 2, "a").with_weight(-0.5),
            "InvalidArgument",
        ),
        (
            Edge::new(11, 1, 2, "a").with_weight(f32::INFINITY),
            "InvalidArgument",
        ),
        (
            Edge::new(11, 1, 2, "a").with_properties("[1, 2]"),
            "InvalidArgument",
        ),
        (
            Edge::new(11, 1, 2, "a").with_properties("{\"x\":"),
            "InvalidArgument",
        ),
    ] {
        assert_err(
            c.add_edges(&[good.clone(), bad.clone()]),
            want,
            &format!("{bad:?}"),
        );
        assert_eq!(c.find_edges(None, None, None).unwrap(), before);
    }
    let e = c.add_edges(&[Edge::new(5, 1, 500, "a")]).unwrap_err();
    assert!(
        e.to_string()
            .contains("edges[0] (id 5): its target point 500"),
        "{e}"
    );
    // The last edge with an id in a batch wins.
    c.add_edges(&[Edge::new(20, 1, 2, "a"), Edge::new(20, 2, 3, "c")])
        .unwrap();
    assert_eq!(c.get_edges(&[20]).unwrap()[0].as_ref().unwrap().source, 2);
    // ... but an edge it replaces is checked too: a missing point refuses
    // the batch (the kill -9 torture found the engine accepting it).
    let before = c.find_edges(None, None, None).unwrap();
    let e = c
        .add_edges(&[Edge::new(21, 1, 99, "a"), Edge::new(21, 1, 2, "a")])
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("edges[0] (id 21): its target point 99"),
        "{e}"
    );
    assert_eq!(c.find_edges(None, None, None).unwrap(), before);
    // Schema: "a" from g=0 points only; "c" anywhere; nothing else.
    let schema =
        GraphSchema::parse(r#"{"labels": {"a": {"source": {"field": "g", "eq": 0}}, "c": {}}}"#)
            .unwrap();
    // Edge 2 has label "b": the schema is refused and not set.
    let e = c.set_graph_schema(Some(schema.clone())).unwrap_err();
    assert!(e.to_string().contains("existing edge 2"), "{e}");
    assert_eq!(c.graph_schema().unwrap(), None);
    c.remove_edges(&[2]).unwrap();
    c.set_graph_schema(Some(schema.clone())).unwrap();
    let now = c.find_edges(None, None, None).unwrap();
    for (bad, msg) in [
        (Edge::new(30, 0, 1, "b"), "is not in the graph schema"),
        (
            Edge::new(30, 1, 2, "a"),
            "does not match the schema's source filter",
        ),
    ] {
        let e = c.add_edges(&[Edge::new(31, 3, 4, "c"), bad]).unwrap_err();
        assert!(e.to_string().contains(msg), "{e}");
        assert_eq!(c.find_edges(None, None, None).unwrap(), now);
    }
    c.add_edges(&[Edge::new(30, 3, 4, "a"), Edge::new(31, 5, 7, "c")])
        .unwrap();
    assert!(GraphSchema::parse(r#"{"labels": {"a": {"sorce": {}}}}"#).is_err());
    assert!(GraphSchema::parse(r#"{"label": {}}"#).is_err());
    assert!(
        GraphSchema::parse(r#"{"labels": {"a": {"source": {"field": "g", "zz": 1}}}}"#).is_err()
    );
    // The schema is durable.
    drop(c);
    drop(db);
    let db = open(dir.path());
    let c = db.collection("g").unwrap();
    assert_eq!(c.graph_schema().unwrap(), Some(schema));
    assert_err(
        c.add_edges(&[Edge::new(40, 1, 2, "a")]),
        "InvalidArgument",
        "after reopen",
    );
    c.set_graph_schema(None).unwrap();
    c.add_edges(&[Edge::new(40, 1, 2, "b")]).unwrap();
    // Bad traversal settings.
    for t in [
        Traversal::bfs(0),
        Traversal::bfs(1001),
        Traversal {
            min_depth: 3,
            ..Traversal::bfs(2)
        },
        Traversal {
            limit: 0,
            ..Traversal::bfs(2)
        },
        Traversal::bfs(2).along(""),
        Traversal {
            hop_labels: vec![vec![], vec![], vec![]],
            ..Traversal::bfs(2)
        },
    ] {
        assert_err(c.traverse(&[1], &t), "InvalidArgument", &format!("{t:?}"));
    }
    assert_err(
        c.traverse(&[1, 500], &Traversal::bfs(1)),
        "NotFound",
        "a missing start",
    );
    let weighted_bounded = PathQuery {
        weighted: true,
        max_depth: 3,
        ..PathQuery::default()
    };
    assert_err(
        c.shortest_path(1, 2, &weighted_bounded),
        "InvalidArgument",
        "bound",
    );
    assert_err(
        c.shortest_path(1, 500, &PathQuery::default()),
        "NotFound",
        "missing end",
    );
}

#[test]
fn wordnet_hypernym_chains() {
    let data = load(&sample_dir(), true).unwrap();
    let dir = TempDir::new("graph-wordnet");
    let db = open(dir.path());
    let c = db
        .create_collection("w", CollectionConfig::new(data.dim, Metric::Cosine))
        .unwrap();
    let pts: Vec<Point> = (0..data.n)
        .map(|i| {
            Point::new(i as u64, data.base_vec(i).to_vec()).with_payload(data.payloads[i].clone())
        })
        .collect();
    c.upsert(&pts).unwrap();
    let text = std::fs::read_to_string(sample_dir().join("edges.tsv")).unwrap();
    let mut m = Model::new();
    let edges: Vec<Edge> = text
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            Edge::new(i as u64, f[0].parse().unwrap(), f[1].parse().unwrap(), f[2])
                .with_weight(1.0 + (i % 5) as f32)
        })
        .collect();
    assert_eq!(edges.len(), 251);
    c.add_edges(&edges).unwrap();
    for e in edges {
        m.insert(e.id, e);
    }
    let hyper = Traversal::bfs(3).along("hypernym");
    let up_down = Traversal {
        direction: Direction::Both,
        min_depth: 0,
        ..Traversal::dfs(4)
    };
    let nouns = Traversal {
        filter: Some(Filter::eq("pos", "n")),
        ..Traversal::bfs(3)
    };
    let pos: Vec<String> = data
        .payloads
        .iter()
        .map(|p| p["pos"].as_str().unwrap_or("").to_owned())
        .collect();
    let starts: Vec<u64> = m
        .values()
        .map(|e| e.source)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let check = |c: &Collection, what: &str| {
        for t in [&hyper, &up_down, &nouns] {
            let ok = |p: u64| t.filter.is_none() || pos[p as usize] == "n";
            for &s in &starts {
                assert_eq!(
                    got(&c.traverse(&[s], t).unwrap()),
                    reference(&m, &[s], t, &ok),
                    "{what}: from {s} {t:?}"
                );
            }
            let many = &starts[..starts.len().min(25)];
            assert_eq!(
                got(&c.traverse(many, t).unwrap()),
                reference(&m, many, t, &ok),
                "{what}: from many"
            );
        }
        for (k, &a) in starts.iter().enumerate().take(40) {
            let b = starts[(k * 7 + 3) % starts.len()];
            for q in [
                PathQuery {
                    direction: Direction::Both,
                    ..PathQuery::default()
                },
                PathQuery {
                    direction: Direction::Both,
                    weighted: true,
                    ..PathQuery::default()
                },
            ] {
                check_path(c, &m, a, b, &q, &format!("{what}: {a} -> {b}"));
            }
        }
    };
    check(&c, "fresh");
    // Some chains are long enough to matter.
    let deep = starts
        .iter()
        .map(|&s| {
            c.traverse(&[s], &hyper)
                .unwrap()
                .iter()
                .map(|v| v.depth)
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap();
    assert!(deep >= 2, "the sample's hypernym chains: depth {deep}");
    c.checkpoint().unwrap();
    drop(c);
    drop(db);
    let db = open(dir.path());
    let c = db.collection("w").unwrap();
    check(&c, "reopened");

    // Graph + vector: expand the hits of a search; rank a traversal.
    let q = data.query(0).to_vec();
    let params = SearchParams {
        exact: true,
        ..SearchParams::new(20)
    };
    let hits = c.search(&q, &params).unwrap();
    let t = Traversal {
        min_depth: 0,
        direction: Direction::Both,
        ..Traversal::bfs(2)
    };
    let expanded = c.search_expand(&q, &params, &t).unwrap();
    let hit_ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
    assert_eq!(got(&expanded), reference(&m, &hit_ids, &t, &|_| true));
    for v in &expanded {
        let h = hits.iter().find(|h| h.id == v.origin).unwrap();
        assert_eq!(v.score, Some(h.score));
    }
    let walk = Traversal {
        direction: Direction::Both,
        ..Traversal::bfs(6)
    };
    let s = *starts
        .iter()
        .max_by_key(|&&s| reference(&m, &[s], &walk, &|_| true).len())
        .unwrap();
    let reached = reference(&m, &[s], &walk, &|_| true);
    assert!(reached.len() >= 3);
    let ranked = c.rank_traversal(&[s], &walk, &q, 5).unwrap();
    let unit = |v: &[f32]| {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect::<Vec<f32>>()
    };
    let uq = unit(&q);
    let mut want: Vec<(u64, f32)> = reached
        .iter()
        .map(|r| {
            let v = unit(data.base_vec(r.0 as usize));
            (r.0, uq.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>())
        })
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(5);
    assert_eq!(
        ranked.iter().map(|v| v.id).collect::<Vec<_>>(),
        want.iter().map(|w| w.0).collect::<Vec<_>>()
    );
    for (v, w) in ranked.iter().zip(&want) {
        assert!((v.score.unwrap() - w.1).abs() < 1e-5, "{v:?} {w:?}");
    }
}
