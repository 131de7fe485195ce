//! Graph tests on clustered synthetic data (uniform random vectors are a
//! poor test: every HNSW loses recall on them), against exact search.

use super::{Hnsw, Params, Vectors};
use crate::distance::Metric;

struct Mem {
    dim: usize,
    data: Vec<f32>,
}

impl Vectors for Mem {
    fn vector(&self, id: u32) -> &[f32] {
        &self.data[id as usize * self.dim..(id as usize + 1) * self.dim]
    }
}

fn rng(state: &mut u64) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
}

/// `n` points around 50 centres in `dim` dimensions, L2-normalised.
fn clustered(n: usize, dim: usize, seed: u64) -> Mem {
    let mut s = seed;
    let centres: Vec<f32> = (0..50 * dim).map(|_| rng(&mut s)).collect();
    let mut data = Vec::with_capacity(n * dim);
    for i in 0..n {
        let c = &centres[(i % 50) * dim..(i % 50 + 1) * dim];
        let mut v: Vec<f32> = c.iter().map(|x| x + 0.35 * rng(&mut s)).collect();
        crate::distance::normalize(&mut v);
        data.extend_from_slice(&v);
    }
    Mem { dim, data }
}

fn exact(vs: &Mem, q: &[f32], k: usize, n: usize) -> Vec<u32> {
    let f = Metric::Cosine.distance_fn();
    let mut all: Vec<(f32, u32)> = (0..n as u32).map(|i| (f(q, vs.vector(i)), i)).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.into_iter().take(k).map(|x| x.1).collect()
}

fn recall(g: &Hnsw, vs: &Mem, queries: &Mem, n: usize, ef: usize) -> f64 {
    let nq = queries.data.len() / queries.dim;
    let mut hit = 0;
    for qi in 0..nq as u32 {
        let q = queries.vector(qi);
        let truth = exact(vs, q, 10, n);
        let got = g.search(vs, q, 10, ef, |_| true);
        hit += got.iter().filter(|x| truth.contains(&x.id)).count();
    }
    hit as f64 / (nq * 10) as f64
}

#[test]
fn parallel_build_reaches_high_recall_and_survives_a_round_trip() {
    let (n, dim) = (4000, 32);
    let vs = clustered(n, dim, 7);
    let queries = clustered(100, dim, 99);
    let params = Params {
        m: 12,
        ef_construction: 100,
    };
    let g = Hnsw::new(params, Metric::Cosine.distance_fn(), n);
    let ids: Vec<u32> = (0..n as u32).collect();
    g.insert_many(&vs, &ids);
    let r = recall(&g, &vs, &queries, n, 64);
    assert!(r >= 0.95, "recall@10 = {r}");

    let bytes = g.encode(n);
    let p = std::path::Path::new("graph.bin");
    let (back, kept) = Hnsw::decode(&bytes, p, params, Metric::Cosine.distance_fn(), n, n).unwrap();
    assert_eq!(kept, n);
    assert_eq!(back.entry(), g.entry());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for node in 0..n as u32 {
        assert_eq!(back.level(node), g.level(node));
        for level in 0..=g.level(node) {
            g.neighbours(node, level, &mut a);
            back.neighbours(node, level, &mut b);
            assert!(a == b, "node {node} level {level}: {a:?} != {b:?}");
        }
    }

    // Cut to the first half: no link may point past it, and search works.
    let half = n / 2;
    let (cut, kept) =
        Hnsw::decode(&bytes, p, params, Metric::Cosine.distance_fn(), n, half).unwrap();
    assert_eq!(kept, half);
    let mut nb = Vec::new();
    for node in 0..half as u32 {
        for level in 0..=cut.level(node) {
            cut.neighbours(node, level, &mut nb);
            assert!(nb.iter().all(|&x| (x as usize) < half));
        }
    }
    let got = cut.search(&vs, queries.vector(0), 10, 64, |_| true);
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|x| (x.id as usize) < half));
}

#[test]
fn rejected_nodes_are_walked_through_but_not_returned() {
    let (n, dim) = (2000, 16);
    let vs = clustered(n, dim, 3);
    let g = Hnsw::new(
        Params {
            m: 8,
            ef_construction: 64,
        },
        Metric::Cosine.distance_fn(),
        n,
    );
    g.insert_many(&vs, &(0..n as u32).collect::<Vec<_>>());
    let q = vs.vector(10).to_vec();
    let got = g.search(&vs, &q, 10, 50, |id| id % 2 == 1);
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|x| x.id % 2 == 1));
    assert!(got.windows(2).all(|w| w[0].dist <= w[1].dist));
}

#[test]
fn corrupt_graph_is_reported() {
    let vs = clustered(300, 8, 5);
    let params = Params {
        m: 4,
        ef_construction: 32,
    };
    let g = Hnsw::new(params, Metric::Cosine.distance_fn(), 300);
    g.insert_many(&vs, &(0..300u32).collect::<Vec<_>>());
    let mut bytes = g.encode(300);
    let p = std::path::Path::new("graph.bin");
    bytes[40] ^= 0x55;
    let r = Hnsw::decode(&bytes, p, params, Metric::Cosine.distance_fn(), 300, 300);
    assert!(matches!(r, Err(crate::Error::Corrupt(_))));
    let other = Params {
        m: 5,
        ef_construction: 32,
    };
    let r = Hnsw::decode(
        &g.encode(300),
        p,
        other,
        Metric::Cosine.distance_fn(),
        300,
        300,
    );
    assert!(matches!(r, Err(crate::Error::Corrupt(_))));
}
