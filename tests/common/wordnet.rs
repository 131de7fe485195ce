//! Loader for the WordNet / MiniLM data format (see
//! `tests/data/wordnet-sample/README.md`): `base.f16`, `queries.f16`,
//! `gt100.u32` and optionally `base.jsonl`.
//!
//! Shared by the integration tests (`tests/common/mod.rs`) and the benchmark
//! binary (`#[path = "../tests/common/wordnet.rs"] mod wordnet;`), so it uses
//! only std and serde_json.

#![allow(dead_code)]

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Dimension of every vector in the format (all-MiniLM-L6-v2).
pub const DIM: usize = 384;

/// A data set in memory, vectors widened to f32.
pub struct Wordnet {
    /// Floats per vector (always [`DIM`]).
    pub dim: usize,
    /// Number of base vectors.
    pub n: usize,
    /// Number of queries.
    pub nq: usize,
    /// `n * dim` floats, row-major; row i is the point with id i.
    pub base: Vec<f32>,
    /// `nq * dim` floats, row-major.
    pub queries: Vec<f32>,
    /// `nq * gt_k` base ids, row i = exact neighbours of query i, best first.
    pub gt: Vec<u32>,
    /// Ground-truth ids per query (100 in the shipped files).
    pub gt_k: usize,
    /// One JSON payload per base vector (empty unless loaded with payloads).
    pub payloads: Vec<serde_json::Value>,
}

impl Wordnet {
    /// Base vector `i` (= the point with id `i`).
    pub fn base_vec(&self, i: usize) -> &[f32] {
        &self.base[i * self.dim..(i + 1) * self.dim]
    }

    /// Query vector `i`.
    pub fn query(&self, i: usize) -> &[f32] {
        &self.queries[i * self.dim..(i + 1) * self.dim]
    }

    /// Exact neighbours of query `i`, best first (`gt_k` ids).
    pub fn gt_row(&self, i: usize) -> &[u32] {
        &self.gt[i * self.gt_k..(i + 1) * self.gt_k]
    }

    /// Exact top-`k` base ids for `query` by dot product among the points for
    /// which `keep(id)` holds, best first, equal scores in ascending id order.
    /// Brute force over all `n` points: use it for filtered ground truth or
    /// for the ground truth of a truncated base.
    pub fn exact_top_k(&self, query: &[f32], k: usize, keep: impl Fn(usize) -> bool) -> Vec<u32> {
        assert_eq!(query.len(), self.dim, "query dimension");
        let mut scored: Vec<(f32, u32)> = (0..self.n)
            .filter(|&i| keep(i))
            .map(|i| (dot(query, self.base_vec(i)), i as u32))
            .collect();
        let better = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, better);
            scored.truncate(k);
        }
        scored.sort_unstable_by(better);
        scored.into_iter().map(|(_, id)| id).collect()
    }

    /// Keeps only the first `n` base points (and their payloads) and
    /// recomputes the ground truth over them exactly (single thread; about
    /// 5 ms per query on 100,000 points).
    pub fn truncate(&mut self, n: usize) {
        if n >= self.n {
            return;
        }
        self.n = n;
        self.base.truncate(n * self.dim);
        self.payloads.truncate(n);
        let k = self.gt_k.min(n);
        let gt: Vec<u32> = (0..self.nq)
            .flat_map(|q| self.exact_top_k(self.query(q), k, |_| true))
            .collect();
        self.gt = gt;
        self.gt_k = k;
    }
}

/// Dot product, eight independent f32 lanes (vectorises; rounding close to a BLAS).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// The directory of the committed sample (5,000 base points, 100 queries).
pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wordnet-sample")
}

fn err(path: &Path, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(buf)
}

/// Reads a file of little-endian half floats, `DIM` per row; returns (rows, floats).
fn read_f16_rows(path: &Path) -> io::Result<(usize, Vec<f32>)> {
    let bytes = read_file(path)?;
    let row = DIM * 2;
    if !bytes.len().is_multiple_of(row) {
        return Err(err(
            path,
            format!(
                "size {} is not a multiple of {row} bytes ({DIM} half floats)",
                bytes.len()
            ),
        ));
    }
    let table = f16_table();
    let floats = bytes
        .chunks_exact(2)
        .map(|c| table[u16::from_le_bytes([c[0], c[1]]) as usize])
        .collect();
    Ok((bytes.len() / row, floats))
}

/// All 65,536 half floats widened (faster than converting 38 M values one by one).
fn f16_table() -> Vec<f32> {
    (0..=u16::MAX).map(f16_to_f32).collect()
}

/// Loads a directory in the WordNet format. `n` and `nq` come from the file
/// sizes; `gt100.u32` must hold `nq` rows (100 ids each in the shipped
/// files). With `with_payloads`, `base.jsonl` must have exactly `n` lines.
pub fn load(dir: &Path, with_payloads: bool) -> io::Result<Wordnet> {
    let (n, base) = read_f16_rows(&dir.join("base.f16"))?;
    let (nq, queries) = read_f16_rows(&dir.join("queries.f16"))?;
    if n == 0 {
        return Err(err(&dir.join("base.f16"), "no vectors"));
    }

    let gt_path = dir.join("gt100.u32");
    let bytes = read_file(&gt_path)?;
    if !bytes.len().is_multiple_of(4) {
        return Err(err(
            &gt_path,
            format!("size {} is not a multiple of 4 bytes", bytes.len()),
        ));
    }
    let gt: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let gt_k = gt.len().checked_div(nq).unwrap_or(0);
    if (nq == 0 && !gt.is_empty()) || (nq > 0 && (gt_k == 0 || !gt.len().is_multiple_of(nq))) {
        return Err(err(
            &gt_path,
            format!("{} ids do not make {nq} rows (one per query)", gt.len()),
        ));
    }
    if let Some(pos) = gt.iter().position(|&id| id as usize >= n) {
        return Err(err(
            &gt_path,
            format!(
                "id {} (row {}) is out of range for {n} base vectors",
                gt[pos],
                pos / gt_k
            ),
        ));
    }

    let mut payloads = Vec::new();
    if with_payloads {
        let path = dir.join("base.jsonl");
        payloads = payload_lines(dir, n)?
            .into_iter()
            .map(|(line_no, line)| {
                serde_json::from_str(&line).map_err(|e| err(&path, format!("line {line_no}: {e}")))
            })
            .collect::<io::Result<_>>()?;
    }

    Ok(Wordnet {
        dim: DIM,
        n,
        nq,
        base,
        queries,
        gt,
        gt_k,
        payloads,
    })
}

/// The payloads of `dir/base.jsonl` as JSON text, exactly as in the file
/// (line i = point i; blank lines skipped, not parsed); there must be `n`.
pub fn load_payload_text(dir: &Path, n: usize) -> io::Result<Vec<String>> {
    Ok(payload_lines(dir, n)?
        .into_iter()
        .map(|(_, line)| line)
        .collect())
}

/// The non-blank lines of `dir/base.jsonl` with their 1-based line numbers;
/// an error unless there are exactly `n`.
fn payload_lines(dir: &Path, n: usize) -> io::Result<Vec<(usize, String)>> {
    let path = dir.join("base.jsonl");
    let f = File::open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut lines = Vec::with_capacity(n);
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| {
            io::Error::new(e.kind(), format!("{}: line {}: {e}", path.display(), i + 1))
        })?;
        if !line.trim().is_empty() {
            lines.push((i + 1, line));
        }
    }
    if lines.len() != n {
        return Err(err(
            &path,
            format!("{} payload lines for {n} base vectors", lines.len()),
        ));
    }
    Ok(lines)
}

/// Widens an IEEE 754 half float (binary16) to f32, exactly: zeros,
/// subnormals, infinities and NaN (payload kept) included.
pub fn f16_to_f32(bits: u16) -> f32 {
    let sign = ((bits & 0x8000) as u32) << 16;
    let exp = ((bits >> 10) & 0x1f) as u32;
    let mant = (bits & 0x3ff) as u32;
    let out = match (exp, mant) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: value = mant * 2^-24; normalise it into an f32.
            let mut e = 127 - 14;
            let mut m = mant;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (mant << 13), // inf (mant 0) or NaN
        _ => sign | ((exp + 127 - 15) << 23) | (mant << 13),
    };
    f32::from_bits(out)
}

/// Recall@k of one query: |found[..k] ∩ gt[..k]| / k. `found` may be shorter
/// than `k` (missing results count as misses).
pub fn recall_at(found: &[u64], gt: &[u32], k: usize) -> f64 {
    assert!(
        k > 0 && gt.len() >= k,
        "recall_at: k = {k} with {} ground-truth ids",
        gt.len()
    );
    let truth = &gt[..k];
    let hits = found
        .iter()
        .take(k)
        .filter(|&&id| truth.iter().any(|&t| t as u64 == id))
        .count();
    hits as f64 / k as f64
}

#[cfg(test)]
mod wordnet_tests {
    use super::*;

    #[test]
    fn f16_special_values() {
        assert_eq!(f16_to_f32(0x0000).to_bits(), 0.0f32.to_bits());
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xbc00), -1.0);
        assert_eq!(f16_to_f32(0x4000), 2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95); // nearest half to 1/3
        assert_eq!(f16_to_f32(0x7bff), 65504.0); // largest finite
        assert_eq!(f16_to_f32(0x0400), 6.103_515_6e-5); // smallest normal 2^-14
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24)); // smallest subnormal
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24)); // largest subnormal
        assert_eq!(f16_to_f32(0x0200), 2f32.powi(-15));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert!(f16_to_f32(0xfc01).is_nan());
        assert!(f16_to_f32(0x7c01).is_nan());
    }

    #[test]
    fn f16_every_finite_value_matches_definition() {
        for bits in 0..=u16::MAX {
            let exp = (bits >> 10) & 0x1f;
            if exp == 0x1f {
                continue;
            }
            let mant = (bits & 0x3ff) as f64;
            let mag = if exp == 0 {
                mant * 2f64.powi(-24)
            } else {
                (1.0 + mant / 1024.0) * 2f64.powi(exp as i32 - 15)
            };
            let want = if bits & 0x8000 != 0 { -mag } else { mag };
            assert_eq!(f16_to_f32(bits) as f64, want, "bits {bits:#06x}");
        }
    }

    #[test]
    fn recall() {
        assert_eq!(recall_at(&[1, 2, 3], &[3, 2, 1, 9], 3), 1.0);
        assert_eq!(recall_at(&[1, 5], &[1, 2], 2), 0.5);
        assert_eq!(recall_at(&[7], &[1, 7, 3], 2), 0.5); // short result list
        assert_eq!(recall_at(&[3, 1, 2], &[1, 2, 4], 2), 0.5); // only the first k found count
    }

    #[test]
    fn sample_loads_and_ground_truth_is_exact() {
        let w = load(&sample_dir(), true).expect("load the committed sample");
        assert_eq!((w.dim, w.n, w.nq, w.gt_k), (384, 5000, 100, 100));
        assert_eq!(w.payloads.len(), 5000);
        assert_eq!(w.payloads[17]["id"], 17);
        let norm: f32 = w.base_vec(4999).iter().map(|x| x * x).sum();
        assert!(
            (norm - 1.0).abs() < 1e-3,
            "vectors are unit length, got {norm}"
        );
        for q in [0, 42, 99] {
            let exact = w.exact_top_k(w.query(q), 10, |_| true);
            assert_eq!(
                recall_at(
                    &exact.iter().map(|&i| i as u64).collect::<Vec<_>>(),
                    w.gt_row(q),
                    10
                ),
                1.0
            );
        }
    }

    #[test]
    fn payload_text_is_the_file_lines() {
        let dir = sample_dir();
        let text = load_payload_text(&dir, 5000).unwrap();
        let parsed = load(&dir, true).unwrap().payloads;
        assert_eq!(text.len(), 5000);
        for i in [0, 17, 4999] {
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text[i]).unwrap(),
                parsed[i]
            );
        }
        let e = load_payload_text(&dir, 4999).err().unwrap().to_string();
        assert!(e.contains("5000 payload lines for 4999"), "{e}");
    }

    #[test]
    fn truncate_recomputes_ground_truth() {
        let mut w = load(&sample_dir(), false).unwrap();
        w.truncate(1000);
        assert_eq!(
            (w.n, w.base.len(), w.gt.len()),
            (1000, 1000 * 384, 100 * 100)
        );
        assert!(w.gt.iter().all(|&id| id < 1000));
        let row = w.gt_row(3);
        let s: Vec<f32> = row
            .iter()
            .map(|&i| dot(w.query(3), w.base_vec(i as usize)))
            .collect();
        assert!(s.windows(2).all(|p| p[0] >= p[1]), "best first");
    }

    #[test]
    fn errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("quiver-wordnet-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = load(&dir, false).err().unwrap().to_string();
        assert!(e.contains("base.f16"), "{e}");
        std::fs::write(dir.join("base.f16"), vec![0u8; 768 * 2 + 1]).unwrap();
        let e = load(&dir, false).err().unwrap().to_string();
        assert!(e.contains("base.f16") && e.contains("multiple"), "{e}");
        std::fs::write(dir.join("base.f16"), vec![0u8; 768 * 2]).unwrap();
        std::fs::write(dir.join("queries.f16"), vec![0u8; 768 * 3]).unwrap();
        std::fs::write(dir.join("gt100.u32"), vec![0u8; 4 * 4]).unwrap();
        let e = load(&dir, false).err().unwrap().to_string();
        assert!(e.contains("gt100.u32"), "{e}");
        std::fs::write(
            dir.join("gt100.u32"),
            [0u32, 1, 2, 1, 0, 2]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let e = load(&dir, false).err().unwrap().to_string();
        assert!(e.contains("out of range"), "{e}");
        std::fs::write(
            dir.join("gt100.u32"),
            [0u32, 1, 1, 0, 0, 1]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let w = load(&dir, false).unwrap();
        assert_eq!((w.n, w.nq, w.gt_k), (2, 3, 2));
        let e = load(&dir, true).err().unwrap().to_string();
        assert!(e.contains("base.jsonl"), "{e}");
        std::fs::write(dir.join("base.jsonl"), "{\"id\": 0}\n").unwrap();
        let e = load(&dir, true).err().unwrap().to_string();
        assert!(
            e.contains("base.jsonl") && e.contains("1 payload lines for 2"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
