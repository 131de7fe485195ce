//! `quiver-bench filtered`: filtered search on a WordNet-format data set,
//! without any field index and with indexes on `category` and `id`, in the
//! line format of `shared/bench/filtered_peers.py`.

use crate::common::{self, BoxError, DataOpts};
use quiver::{
    Collection, FieldKind, Filter, OrderBy, PayloadChange, ScrollRequest, SearchParams, Selection,
};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench filtered [options]

Builds a cosine collection from a WordNet-format data directory (payload
text from base.jsonl, upsert_json in batches of 10,000, then optimize()),
and searches the first --nq queries with each filter of
shared/bench/filtered_peers.py: category == c for 7 categories (12% down to
0.04% of the points) and id < 10000, id < 1000 on the payload's numeric id.
First without any field index (lines carry index=none), then with a keyword
index on category and an integer index on id. One line per filter and ef:
  engine=quiver-filter index=none filter=category:noun.animal selectivity=0.0625 ef=64 recall@10=0.9930 short=0 qps=1234.5 plan=graph-filtered
  engine=quiver-filter index=category,id filter=... plan=scan-candidates
plus the unfiltered search at each ef (filter=none) in each phase, the
index build time and the indexes' heap per point:
  engine=quiver-filter index_build_s=0.42 index_ram_per_point=12.3
recall@K is against the exact top K among the matching points; short counts
queries that returned fewer than min(K, matches) hits; qps is one query per
call on one thread; plan is what the largest sealed segment chose for the
first query (search_explained).

options:
  --data DIR     data directory (base.f16, base.jsonl, queries.f16)
                 [default: ../shared/data/wordnet next to the crate]
  --ef LIST      comma-separated search ef values [default: 64,256]
  --nq N         queries per filter [default: 200]
  --n N          use only the first N base vectors [default: all]
  --k K          neighbours per query [default: 10]
  --indexed-only skip the phase without field indexes
  --dir DIR      database directory, kept afterwards [default: a temporary
                 directory, removed at the end]
  -h, --help     this message";

const CATEGORIES: [&str; 7] = [
    "adj.all",
    "noun.artifact",
    "noun.animal",
    "verb.motion",
    "noun.food",
    "verb.weather",
    "noun.motive",
];

pub struct FilteredArgs {
    data: DataOpts,
    efs: Vec<usize>,
    nq: usize,
    indexed_only: bool,
}

pub fn parse(args: &[String]) -> Result<Option<FilteredArgs>, String> {
    let mut a = FilteredArgs {
        data: DataOpts::default(),
        efs: vec![64, 256],
        nq: 200,
        indexed_only: false,
    };
    let args: Vec<String> = args
        .iter()
        .filter(|x| {
            let flag = x.as_str() == "--indexed-only";
            a.indexed_only |= flag;
            !flag
        })
        .cloned()
        .collect();
    let Some(opts) = common::options(&args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--ef" => a.efs = common::positive_list(&name, &v)?,
            "--nq" => a.nq = common::positive(&name, &v)?,
            _ => {
                if !a.data.set(&name, &v)? {
                    return Err(common::unknown(&name));
                }
            }
        }
    }
    Ok(Some(a))
}

/// One filter of the benchmark: its name, the engine's filter, and which
/// base points match.
struct Case {
    name: String,
    filter: Option<Filter>,
    matching: Vec<bool>,
}

pub fn run(a: &FilteredArgs) -> Result<(), BoxError> {
    let k = a.data.k;
    let common::Data { w, payloads } = common::load(&a.data, true, false)?;
    let nq = a.nq.min(w.nq);
    let parsed: Vec<Value> = payloads
        .iter()
        .map(|p| serde_json::from_str(p))
        .collect::<Result<_, _>>()?;
    let category = |i: usize| parsed[i].get("category").and_then(Value::as_str);
    let pid = |i: usize| parsed[i].get("id").and_then(Value::as_i64);
    let mut cases = vec![Case {
        name: "none".into(),
        filter: None,
        matching: vec![true; w.n],
    }];
    for c in CATEGORIES {
        cases.push(Case {
            name: format!("category:{c}"),
            filter: Some(Filter::eq("category", json!(c))),
            matching: (0..w.n).map(|i| category(i) == Some(c)).collect(),
        });
    }
    for lim in [10_000i64, 1_000] {
        cases.push(Case {
            name: format!("id<{lim}"),
            filter: Some(Filter::lt("id", json!(lim))),
            matching: (0..w.n).map(|i| pid(i).is_some_and(|x| x < lim)).collect(),
        });
    }
    // Exact top k among the matching points, per case and query.
    let t = Instant::now();
    let truth: Vec<Vec<Vec<u32>>> = cases
        .iter()
        .map(|c| {
            (0..nq)
                .into_par_iter()
                .map(|q| w.exact_top_k(w.query(q), k, |i| c.matching[i]))
                .collect()
        })
        .collect();
    eprintln!(
        "exact filtered ground truth: {} filters x {nq} queries ({:.1} s)",
        cases.len(),
        t.elapsed().as_secs_f64()
    );

    let dir = a.data.db_dir("filtered");
    let (db, coll) = common::create(&dir.path, w.dim, quiver::HnswConfig::default())?;
    let t = Instant::now();
    common::upsert_all(&coll, &w, &payloads)?;
    coll.optimize()?;
    coll.wait_optimized()?;
    eprintln!("built and optimized in {:.1} s", t.elapsed().as_secs_f64());

    let phase = |label: &str| -> Result<(), BoxError> {
        for (c, truth) in cases.iter().zip(&truth) {
            let sel = c.matching.iter().filter(|&&m| m).count() as f64 / w.n as f64;
            for &ef in &a.efs {
                measure(&coll, &w, c, truth, nq, k, ef, sel, label)?;
            }
            count_and_scroll(&coll, c, sel, label)?;
        }
        Ok(())
    };
    if !a.indexed_only {
        phase("none")?;
    }

    let t = Instant::now();
    coll.create_field_index("category", FieldKind::Keyword)?;
    coll.create_field_index("id", FieldKind::Integer)?;
    let build_s = t.elapsed().as_secs_f64();
    let ram: u64 = coll.field_indexes()?.iter().map(|i| i.ram_bytes).sum();
    println!(
        "engine=quiver-filter index_build_s={build_s:.2} index_ram_per_point={:.1}",
        ram as f64 / w.n as f64
    );
    phase("category,id")?;
    // A payload update by filter (a read-modify-write of every matching
    // point), then its undo.
    for c in cases.iter().filter(|c| c.filter.is_some()).take(3) {
        let f = c.filter.clone().expect("filtered case");
        let t = Instant::now();
        let n = coll.update_payload(
            &Selection::Filter(f.clone()),
            PayloadChange::Set(&json!({"bench_seen": true})),
        )?;
        let set_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        coll.update_payload(
            &Selection::Filter(f),
            PayloadChange::DeleteKeys(&["bench_seen"]),
        )?;
        println!(
            "engine=quiver-payload op=set-by-filter filter={} points={n} set_ms={:.1} delete_keys_ms={:.1}",
            c.name,
            set_s * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    drop(coll);
    db.close()?;
    Ok(())
}

/// Exact count with the case's filter (checked against the truth), and a
/// full scroll of its points in pages of 100, by id and, with the index,
/// ordered by the payload's `id` field.
fn count_and_scroll(coll: &Collection, c: &Case, sel: f64, index: &str) -> Result<(), BoxError> {
    let want = c.matching.iter().filter(|&&m| m).count();
    let reps = 20;
    let t = Instant::now();
    for _ in 0..reps {
        let n = coll.count_where(c.filter.as_ref())?;
        if n != want {
            return Err(format!("count_where({}) = {n}, expected {want}", c.name).into());
        }
    }
    let count_qps = reps as f64 / t.elapsed().as_secs_f64();
    let mut orders = vec![None];
    if index != "none" {
        orders.push(Some("id"));
    }
    for order in orders {
        let mut req = ScrollRequest {
            filter: c.filter.clone(),
            limit: 100,
            order_by: order.map(|f| OrderBy {
                field: f.into(),
                descending: false,
            }),
            with_payload: true,
            ..Default::default()
        };
        let t = Instant::now();
        let (mut points, mut pages) = (0usize, 0usize);
        loop {
            let page = coll.scroll_points(&req)?;
            points += page.points.len();
            pages += 1;
            match page.next {
                Some(n) => req.cursor = Some(n),
                None => break,
            }
        }
        let dt = t.elapsed().as_secs_f64();
        if points != want {
            return Err(
                format!("scroll of {} gave {points} points, expected {want}", c.name).into(),
            );
        }
        println!(
            "engine=quiver-scroll index={index} filter={} selectivity={sel:.4} order={} points={points} pages={pages} points_per_s={:.0} count_qps={count_qps:.1}",
            c.name,
            order.unwrap_or("point-id"),
            points as f64 / dt
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn measure(
    coll: &Collection,
    w: &crate::wordnet::Wordnet,
    c: &Case,
    truth: &[Vec<u32>],
    nq: usize,
    k: usize,
    ef: usize,
    sel: f64,
    index: &str,
) -> Result<(), BoxError> {
    let mut params = SearchParams::new(k).ef(ef);
    if let Some(f) = &c.filter {
        params = params.filter(f.clone());
    }
    let (_, plans) = coll.search_explained(w.query(0), &params)?;
    let plan = plans
        .iter()
        .filter(|p| p.kind == "sealed")
        .max_by_key(|p| p.live)
        .map_or("-", |p| p.plan);
    let mut found = Vec::with_capacity(nq);
    let t = Instant::now();
    for q in 0..nq {
        found.push(coll.search(w.query(q), &params)?);
    }
    let dt = t.elapsed().as_secs_f64();
    let (mut hit, mut total, mut short) = (0usize, 0usize, 0usize);
    for (q, hits) in found.iter().enumerate() {
        let want = &truth[q];
        short += usize::from(hits.len() < want.len());
        total += want.len();
        hit += hits
            .iter()
            .filter(|h| want.contains(&(h.id as u32)))
            .count();
    }
    println!(
        "engine=quiver-filter index={index} filter={} selectivity={sel:.4} ef={ef} recall@{k}={:.4} short={short} qps={:.1} plan={plan}",
        c.name,
        hit as f64 / total.max(1) as f64,
        nq as f64 / dt
    );
    Ok(())
}
