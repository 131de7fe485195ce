//! `quiver-bench graph`: WordNet relations as edges of the 100k
//! collection: load speed, neighbour lookups, BFS, shortest paths and
//! graph + vector search, each checked against a reference computed here.

use crate::common::{self, BoxError, DataOpts};
use quiver::{Direction, Edge, PathQuery, SearchParams, Traversal};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench graph [options]

Builds the WordNet collection (vectors and payloads of base.jsonl, then
optimize()), loads edges.tsv (one edge per line: source, target, label
= the relation; edge id = line number, weight 1 + line % 4) with
add_edges in batches, and prints one line per measurement:
  engine=quiver graph=wordnet edges=103207 op=load batch=1000 edges_per_s=... load_s=...
  engine=quiver graph=wordnet edges=103207 op=memory ram_mb=... disk_mb=... ram_bytes_per_edge=... checkpoint_s=...
  engine=quiver graph=wordnet edges=103207 op=reopen reopen_s=...
  engine=quiver graph=wordnet edges=103207 op=neighbours lookups=10000 exact=10000/10000 p50_us=... p99_us=...
  engine=quiver graph=wordnet edges=103207 op=bfs depth=3 label=hypernym direction=out|both starts=1000 exact=1000/1000 qps=... visited=...
  engine=quiver graph=wordnet edges=103207 op=shortest_path weighted=0|1 direction=both pairs=1000 connected=... exact=1000/1000 qps=...
  engine=quiver graph=wordnet edges=103207 op=search_expand k=10 depth=2 direction=both queries=1000 qps=... visited=...
  engine=quiver graph=wordnet edges=103207 op=rank_traversal depth=3 direction=both k=10 starts=1000 qps=... returned=...
(memory: the edges component of stats() after a checkpoint, whose time
it gives; neighbours: find_edges by source of points with edges; visited
and returned: points per call). `exact` counts the answers equal to a
reference traversal (the same rules: neighbours by ascending edge id,
each point once at its least depth) or, for paths, of the least cost.
One call at a time on one thread.

options:
  --data DIR    data directory (base.f16, base.jsonl, queries.f16, edges.tsv)
                [default: ../shared/data/wordnet next to the crate]
  --n N         use only the first N base points (edges between them)
  --starts N    start points of the BFS runs and pairs of the path runs
                [default: 1000]
  --batch N     edges per add_edges call [default: 1000]
  --dir DIR     database directory, kept afterwards [default: a temporary
                directory, removed at the end]
  --synthetic N instead of WordNet: a metadata-only collection of N points
                and N * degree random edges (each point the source of
                `degree` edges to uniformly random targets, labels a/b/c,
                weights 1 + id % 4), to measure the store at scale; prints
                the same lines with graph=synthetic (the BFS of depth 2
                along every label, out; 10 of the path pairs checked
                against the reference, whose Dijkstra is slow at this size)
  --degree D    edges per point of --synthetic [default: 10]
  -h, --help    this message";

pub struct GraphArgs {
    data: DataOpts,
    starts: usize,
    batch: usize,
    synthetic: Option<usize>,
    degree: usize,
}

pub fn parse(args: &[String]) -> Result<Option<GraphArgs>, String> {
    let mut a = GraphArgs {
        data: DataOpts::default(),
        starts: 1000,
        batch: 1000,
        synthetic: None,
        degree: 10,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        if a.data.set(&name, &v)? {
            continue;
        }
        match name.as_str() {
            "--starts" => a.starts = common::positive(&name, &v)?,
            "--batch" => a.batch = common::positive(&name, &v)?,
            "--synthetic" => a.synthetic = Some(common::positive(&name, &v)?),
            "--degree" => a.degree = common::positive(&name, &v)?,
            _ => return Err(common::unknown(&name)),
        }
    }
    Ok(Some(a))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The reference: every edge by id, and the adjacency lists by point.
struct Reference {
    edges: BTreeMap<u64, Edge>,
    out: HashMap<u64, Vec<u64>>,
    inn: HashMap<u64, Vec<u64>>,
}

impl Reference {
    fn new(edges: &[Edge]) -> Reference {
        let mut r = Reference {
            edges: BTreeMap::new(),
            out: HashMap::new(),
            inn: HashMap::new(),
        };
        for e in edges {
            r.edges.insert(e.id, e.clone());
        }
        for e in r.edges.values() {
            r.out.entry(e.source).or_default().push(e.id);
            r.inn.entry(e.target).or_default().push(e.id);
        }
        r
    }

    /// (edge id, other end, label) from `p` along `dir`, by edge id.
    fn steps(&self, p: u64, dir: Direction) -> Vec<(u64, u64, &str, f32)> {
        let mut v: Vec<(u64, u64, &str, f32)> = Vec::new();
        if dir != Direction::In {
            for id in self.out.get(&p).into_iter().flatten() {
                let e = &self.edges[id];
                v.push((e.id, e.target, &e.label, e.weight));
            }
        }
        if dir != Direction::Out {
            for id in self.inn.get(&p).into_iter().flatten() {
                let e = &self.edges[id];
                if e.source != e.target || dir == Direction::In {
                    v.push((e.id, e.source, &e.label, e.weight));
                }
            }
        }
        v.sort_by_key(|s| s.0);
        v
    }

    /// BFS from `s` along `label` (any when `None`): (point, depth) in
    /// visit order, depth 1..=max.
    fn bfs(&self, s: u64, max: u32, label: Option<&str>, dir: Direction) -> Vec<(u64, u32)> {
        let mut seen: HashMap<u64, u32> = HashMap::from([(s, 0)]);
        let mut q = VecDeque::from([s]);
        let mut out = Vec::new();
        while let Some(p) = q.pop_front() {
            let d = seen[&p];
            if d >= max {
                continue;
            }
            for (_, n, l, _) in self.steps(p, dir) {
                if label.is_none_or(|x| x == l) && !seen.contains_key(&n) {
                    seen.insert(n, d + 1);
                    out.push((n, d + 1));
                    q.push_back(n);
                }
            }
        }
        out
    }

    /// Least cost from `a` to `b` (hops, or weights) along both
    /// directions, by a plain Dijkstra over a sorted map.
    fn distance(&self, a: u64, b: u64, weighted: bool) -> Option<f64> {
        let mut best: HashMap<u64, f64> = HashMap::from([(a, 0.0)]);
        let mut heap = std::collections::BTreeSet::new();
        heap.insert((0u64, a));
        while let Some(&(c, p)) = heap.iter().next() {
            heap.remove(&(c, p));
            let c = f64::from_bits(c);
            if p == b {
                return Some(c);
            }
            if best.get(&p).is_some_and(|&x| x < c) {
                continue;
            }
            for (_, n, _, w) in self.steps(p, Direction::Both) {
                let nc = c + if weighted { f64::from(w) } else { 1.0 };
                if best.get(&n).is_none_or(|&x| nc < x) {
                    best.insert(n, nc);
                    // Non-negative f64 bits order as the numbers do.
                    heap.insert((nc.to_bits(), n));
                }
            }
        }
        None
    }
}

/// Shortest paths (hops, then weights; both directions) between `pairs`,
/// timed, the first `checked` compared with the reference's least cost:
/// the `op=shortest_path` line of each, after the graph's fields.
fn shortest_paths(
    c: &quiver::Collection,
    r: &Reference,
    pairs: &[(u64, u64)],
    checked: usize,
) -> Result<Vec<String>, BoxError> {
    let mut lines = Vec::new();
    for weighted in [false, true] {
        let q = PathQuery {
            direction: Direction::Both,
            weighted,
            ..PathQuery::default()
        };
        let t = Instant::now();
        let mut got = Vec::with_capacity(pairs.len());
        for &(x, y) in pairs {
            got.push(c.shortest_path(x, y, &q)?.map(|p| p.cost));
        }
        let qps = pairs.len() as f64 / t.elapsed().as_secs_f64();
        let checked = checked.min(pairs.len());
        let mut exact = 0;
        for (&(x, y), g) in pairs.iter().zip(&got).take(checked) {
            exact += usize::from(match (r.distance(x, y, weighted), g) {
                (None, None) => true,
                (Some(w), Some(g)) => (w - g).abs() < 1e-9,
                _ => false,
            });
        }
        let found = got.iter().filter(|g| g.is_some()).count();
        lines.push(format!(
            "op=shortest_path weighted={} direction=both pairs={} connected={found} exact={exact}/{checked} qps={qps:.0}",
            u8::from(weighted),
            pairs.len()
        ));
    }
    Ok(lines)
}

fn line(edges: usize, rest: &str) {
    println!("engine=quiver graph=wordnet edges={edges} {rest}");
}

fn synthetic_line(points: usize, edges: usize, rest: &str) {
    println!("engine=quiver graph=synthetic points={points} edges={edges} {rest}");
}

/// xorshift64: the benchmark's own deterministic choices.
struct Pick(u64);

impl Pick {
    fn below(&mut self, m: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % m as u64) as usize
    }
}

/// `--synthetic`: the store at scale, on a metadata-only collection.
fn run_synthetic(a: &GraphArgs, n: usize) -> Result<(), BoxError> {
    let dir = a.data.db_dir("graph-synthetic");
    let (db, c) = common::create_stored(&dir.path, quiver::CollectionConfig::metadata_only(), 0)?;
    let t = Instant::now();
    for chunk in (0..n as u64).collect::<Vec<_>>().chunks(10_000) {
        let pts: Vec<quiver::Point> = chunk
            .iter()
            .map(|&id| quiver::Point::new(id, Vec::new()))
            .collect();
        c.upsert(&pts)?;
    }
    eprintln!("{n} points upserted ({:.1} s)", t.elapsed().as_secs_f64());
    let mut pick = Pick(0x2545_f491_4f6c_dd1d);
    let labels = ["a", "b", "c"];
    let ne = n * a.degree;
    let mut edges = Vec::with_capacity(ne);
    for i in 0..ne {
        let (s, t) = ((i / a.degree) as u64, pick.below(n) as u64);
        edges.push(Edge::new(i as u64, s, t, labels[i % 3]).with_weight(1.0 + (i % 4) as f32));
    }
    let t = Instant::now();
    for chunk in edges.chunks(a.batch) {
        c.add_edges(chunk)?;
    }
    let load_s = t.elapsed().as_secs_f64();
    let out = |rest: &str| synthetic_line(n, ne, rest);
    out(&format!(
        "op=load batch={} edges_per_s={:.0} load_s={load_s:.2}",
        a.batch,
        ne as f64 / load_s
    ));
    let t = Instant::now();
    c.checkpoint()?;
    c.optimize()?;
    let checkpoint_s = t.elapsed().as_secs_f64();
    let st = c.stats()?;
    let comp = st
        .components
        .iter()
        .find(|x| x.name == "edges")
        .ok_or("stats have no edges component")?;
    out(&format!(
        "op=memory ram_mb={:.1} disk_mb={:.1} ram_bytes_per_edge={:.0} disk_bytes_per_edge={:.1} checkpoint_and_optimize_s={checkpoint_s:.2}",
        comp.ram_bytes as f64 / 1048576.0,
        comp.disk_bytes as f64 / 1048576.0,
        comp.ram_bytes as f64 / ne.max(1) as f64,
        comp.disk_bytes as f64 / ne.max(1) as f64
    ));
    drop(c);
    db.close()?;
    let t = Instant::now();
    let db = quiver::Database::open(&dir.path)?;
    let c = db.collection(common::COLLECTION)?;
    out(&format!(
        "op=reopen reopen_s={:.3}",
        t.elapsed().as_secs_f64()
    ));
    if c.edge_count()? != ne {
        return Err(format!("{} edges after reopen, {ne} loaded", c.edge_count()?).into());
    }
    let r = Reference::new(&edges);
    drop(edges);

    let picks: Vec<u64> = (0..10_000).map(|_| pick.below(n) as u64).collect();
    let mut lat = Vec::with_capacity(picks.len());
    let mut exact = 0;
    for &p in &picks {
        let s = Instant::now();
        let got = c.find_edges(Some(p), None, None)?;
        lat.push(s.elapsed().as_secs_f64() * 1e6);
        let want = r.out.get(&p).map_or(&[][..], Vec::as_slice);
        exact += usize::from(got.iter().map(|e| e.id).eq(want.iter().copied()));
    }
    lat.sort_by(f64::total_cmp);
    out(&format!(
        "op=neighbours lookups={} exact={exact}/{} p50_us={:.1} p99_us={:.1}",
        picks.len(),
        picks.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    ));

    let starts: Vec<u64> = (0..a.starts).map(|_| pick.below(n) as u64).collect();
    let bfs = Traversal {
        limit: 10_000_000,
        ..Traversal::bfs(2)
    };
    let t = Instant::now();
    let mut got = Vec::with_capacity(starts.len());
    for &s in &starts {
        got.push(c.traverse(&[s], &bfs)?);
    }
    let qps = starts.len() as f64 / t.elapsed().as_secs_f64();
    let mut exact = 0;
    for (g, &s) in got.iter().zip(&starts) {
        exact += usize::from(g.iter().map(|v| (v.id, v.depth)).eq(r.bfs(
            s,
            2,
            None,
            Direction::Out,
        )));
    }
    let visited: usize = got.iter().map(Vec::len).sum();
    out(&format!(
        "op=bfs depth=2 label=any direction=out starts={} exact={exact}/{} qps={qps:.0} visited={:.1}",
        starts.len(),
        starts.len(),
        visited as f64 / starts.len() as f64
    ));

    let pairs: Vec<(u64, u64)> = (0..a.starts)
        .map(|_| (pick.below(n) as u64, pick.below(n) as u64))
        .collect();
    for rest in shortest_paths(&c, &r, &pairs, 10)? {
        out(&rest);
    }
    Ok(())
}

pub fn run(a: &GraphArgs) -> Result<(), BoxError> {
    if let Some(n) = a.synthetic {
        return run_synthetic(a, n);
    }
    let data = common::load(&a.data, true, false)?;
    let w = &data.w;
    let text = std::fs::read_to_string(a.data.data.join("edges.tsv"))
        .map_err(|e| format!("{}: {e}", a.data.data.join("edges.tsv").display()))?;
    let n = w.n as u64;
    let mut edges = Vec::new();
    for (i, l) in text.lines().skip(1).enumerate() {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() != 3 {
            return Err(format!("edges.tsv line {}: not 3 fields", i + 2).into());
        }
        let (s, t): (u64, u64) = (f[0].parse()?, f[1].parse()?);
        if s < n && t < n {
            edges.push(Edge::new(i as u64, s, t, f[2]).with_weight(1.0 + (i % 4) as f32));
        }
    }
    let ne = edges.len();
    let dir = a.data.db_dir("graph");
    let (db, c) = common::create(&dir.path, w.dim, Default::default())?;
    let t = Instant::now();
    common::upsert_all(&c, w, &data.payloads)?;
    c.optimize()?;
    eprintln!(
        "{} points upserted and optimized ({:.1} s)",
        w.n,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for chunk in edges.chunks(a.batch) {
        c.add_edges(chunk)?;
    }
    let load_s = t.elapsed().as_secs_f64();
    line(
        ne,
        &format!(
            "op=load batch={} edges_per_s={:.0} load_s={load_s:.2}",
            a.batch,
            ne as f64 / load_s
        ),
    );
    let t = Instant::now();
    c.checkpoint()?;
    let checkpoint_s = t.elapsed().as_secs_f64();
    let st = c.stats()?;
    let comp = st
        .components
        .iter()
        .find(|x| x.name == "edges")
        .ok_or("stats have no edges component")?;
    line(
        ne,
        &format!(
            "op=memory ram_mb={:.1} disk_mb={:.1} ram_bytes_per_edge={:.0} checkpoint_s={checkpoint_s:.2}",
            comp.ram_bytes as f64 / 1048576.0,
            comp.disk_bytes as f64 / 1048576.0,
            comp.ram_bytes as f64 / ne.max(1) as f64
        ),
    );
    drop(c);
    db.close()?;
    let t = Instant::now();
    let db = quiver::Database::open(&dir.path)?;
    let c = db.collection(common::COLLECTION)?;
    line(
        ne,
        &format!("op=reopen reopen_s={:.3}", t.elapsed().as_secs_f64()),
    );
    if c.edge_count()? != ne {
        return Err(format!("{} edges after reopen, {ne} loaded", c.edge_count()?).into());
    }
    let r = Reference::new(&edges);

    // Neighbour lookups: the out edges of points that have edges.
    let mut points: Vec<u64> = r.out.keys().copied().collect();
    points.sort_unstable();
    let mut pick = Pick(0x9e37_79b9_7f4a_7c15);
    let mut next = move |m: usize| pick.below(m);
    let picks: Vec<u64> = (0..10_000).map(|_| points[next(points.len())]).collect();
    let mut lat = Vec::with_capacity(picks.len());
    let mut exact = 0;
    for &p in &picks {
        let s = Instant::now();
        let got = c.find_edges(Some(p), None, None)?;
        lat.push(s.elapsed().as_secs_f64() * 1e6);
        let want = &r.out[&p];
        exact += usize::from(got.iter().map(|e| e.id).eq(want.iter().copied()));
    }
    lat.sort_by(f64::total_cmp);
    line(
        ne,
        &format!(
            "op=neighbours lookups={} exact={exact}/{} p50_us={:.1} p99_us={:.1}",
            picks.len(),
            picks.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        ),
    );

    // BFS depth 3 along hypernym from hyponyms.
    let hypo: Vec<u64> = {
        let mut v: Vec<u64> = edges
            .iter()
            .filter(|e| e.label == "hypernym")
            .map(|e| e.source)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    if hypo.is_empty() {
        return Err("no hypernym edges".into());
    }
    let starts: Vec<u64> = (0..a.starts).map(|_| hypo[next(hypo.len())]).collect();
    for dir in [Direction::Out, Direction::Both] {
        let t_ = Traversal {
            direction: dir,
            limit: 10_000_000,
            ..Traversal::bfs(3).along("hypernym")
        };
        let want: Vec<Vec<(u64, u32)>> = starts
            .iter()
            .map(|&s| r.bfs(s, 3, Some("hypernym"), dir))
            .collect();
        let t = Instant::now();
        let mut got = Vec::with_capacity(starts.len());
        for &s in &starts {
            got.push(c.traverse(&[s], &t_)?);
        }
        let qps = starts.len() as f64 / t.elapsed().as_secs_f64();
        let exact = got
            .iter()
            .zip(&want)
            .filter(|(g, w)| g.iter().map(|v| (v.id, v.depth)).eq(w.iter().copied()))
            .count();
        let visited: usize = got.iter().map(Vec::len).sum();
        line(
            ne,
            &format!(
                "op=bfs depth=3 label=hypernym direction={} starts={} exact={exact}/{} qps={qps:.0} visited={:.1}",
                dir.as_str(),
                starts.len(),
                starts.len(),
                visited as f64 / starts.len() as f64
            ),
        );
    }

    // Shortest paths between points with edges, both directions.
    let pairs: Vec<(u64, u64)> = (0..a.starts)
        .map(|_| (points[next(points.len())], points[next(points.len())]))
        .collect();
    for rest in shortest_paths(&c, &r, &pairs, pairs.len())? {
        line(ne, &rest);
    }

    // Graph + vector: expand the top 10 hits two hops; rank a traversal.
    let nq = w.nq.min(1000);
    let expand = Traversal {
        min_depth: 0,
        direction: Direction::Both,
        ..Traversal::bfs(2)
    };
    let params = SearchParams::new(10);
    let t = Instant::now();
    let mut visited = 0;
    for q in 0..nq {
        visited += c.search_expand(w.query(q), &params, &expand)?.len();
    }
    line(
        ne,
        &format!(
            "op=search_expand k=10 depth=2 direction=both queries={nq} qps={:.0} visited={:.1}",
            nq as f64 / t.elapsed().as_secs_f64(),
            visited as f64 / nq as f64
        ),
    );
    let rank = Traversal {
        direction: Direction::Both,
        limit: 10_000_000,
        ..Traversal::bfs(3)
    };
    let t = Instant::now();
    let mut ranked = 0;
    for (i, &s) in starts.iter().enumerate().take(nq) {
        ranked += c.rank_traversal(&[s], &rank, w.query(i % w.nq), 10)?.len();
    }
    let m = starts.len().min(nq);
    line(
        ne,
        &format!(
            "op=rank_traversal depth=3 direction=both k=10 starts={m} qps={:.0} returned={:.1}",
            m as f64 / t.elapsed().as_secs_f64(),
            ranked as f64 / m.max(1) as f64
        ),
    );
    Ok(())
}
