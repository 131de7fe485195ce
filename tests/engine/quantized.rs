//! Quantized storage (SQ8): the graph walks one-byte codes, the best
//! candidates are rescored on the original vectors, so scores are exact;
//! the codes are durable, rebuilt when damaged, and reported in stats.

use crate::common::util::{collection_dir, ids, random_vectors, wordnet_db, TempDir};
use crate::common::wordnet::recall_at;
use quiver::quant::{QuantizerConfig, StorageMode};
use quiver::{CollectionConfig, Database, Metric, Point, SearchParams};
use std::path::{Path, PathBuf};

const NAME: &str = "sq8";

/// A database holding the WordNet sample in an SQ8 cosine collection,
/// optimized into one sealed segment.
fn sq8_wordnet(tag: &str) -> TempDir {
    let tmp = TempDir::new(tag);
    let db =
        super::quant_modes::wordnet_in(&tmp, NAME, StorageMode::Sq8, QuantizerConfig::default());
    db.close().unwrap();
    tmp
}

/// Mean recall@k over the sample's queries; every hit's score is checked
/// against the exact cosine when `exact_scores`.
fn recall(c: &quiver::Collection, p: &SearchParams, exact_scores: bool) -> (f64, usize) {
    let w = wordnet_db();
    let n = w.data.n;
    let (mut sum, mut low) = (0.0, 0);
    for q in 0..w.data.nq {
        let r = c.search(w.raw_query(q), p).unwrap();
        assert_eq!(r.len(), p.k, "query {q}");
        for (i, h) in r.iter().enumerate() {
            let truth = w.scores[q * n + h.id as usize];
            if exact_scores {
                assert!(
                    (h.score - truth).abs() < 1e-4,
                    "query {q} hit {i}: score {} vs exact {truth}",
                    h.score
                );
            } else {
                assert!(
                    (h.score - truth).abs() < 0.05,
                    "query {q} hit {i}: estimate {} far from exact {truth}",
                    h.score
                );
            }
            if i > 0 {
                assert!(r[i - 1].score >= h.score, "query {q}: out of order");
            }
        }
        let rec = recall_at(&ids(&r), w.data.gt_row(q), p.k);
        sum += rec;
        low += usize::from(rec < 0.8);
    }
    (sum / w.data.nq as f64, low)
}

fn codes_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(collection_dir(dir, NAME)).unwrap() {
        let p = e.unwrap().path().join("codes.qv");
        if p.exists() {
            out.push(p);
        }
    }
    out
}

#[test]
fn sq8_recall_with_exact_scores_and_stats() {
    let tmp = sq8_wordnet("sq8-recall");
    let db = Database::open(tmp.path()).unwrap();
    let c = db.collection(NAME).unwrap();
    assert_eq!(
        c.config().storage,
        StorageMode::Sq8,
        "storage survives reopen"
    );
    let (mean, low) = recall(&c, &SearchParams::new(10), true);
    eprintln!("SQ8 WordNet recall@10 at the default ef, rescored: {mean:.4}");
    assert!(mean >= 0.95, "SQ8 recall@10 {mean:.4}");
    assert!(low <= 3, "{low} queries below 0.8");
    let (high, _) = recall(&c, &SearchParams::new(10).ef(128).oversampling(4.0), true);
    assert!(high >= 0.99, "SQ8 recall@10 at ef 128: {high:.4}");
    // k = 1 and k = 50.
    let (r1, _) = recall(&c, &SearchParams::new(1).ef(64), true);
    assert!(r1 >= 0.95, "recall@1 {r1:.4}");
    let (r50, _) = recall(&c, &SearchParams::new(50), true);
    assert!(r50 >= 0.9, "recall@50 {r50:.4}");

    // Without rescoring: estimated scores, close to the exact ones.
    let (approx, _) = recall(&c, &SearchParams::new(10).rescore(false), false);
    eprintln!("SQ8 recall@10 without rescoring: {approx:.4}");
    assert!(approx >= 0.9, "unrescored recall {approx:.4}");
    let w = wordnet_db();
    let est = c
        .search(w.raw_query(0), &SearchParams::new(10).rescore(false))
        .unwrap();
    let n = w.data.n;
    assert!(
        est.iter()
            .any(|h| (h.score - w.scores[h.id as usize]).abs() > 1e-6),
        "scores without rescoring should be estimates, not exact: {est:?} (n {n})"
    );

    // Stats: the codes file on disk, the codes resident once the
    // optimizer's step ran (optimize() makes them resident itself).
    c.optimize().unwrap();
    let s = c.stats().unwrap();
    let codes = s
        .components
        .iter()
        .find(|x| x.name == "codes")
        .expect("codes component");
    assert!(codes.disk_bytes >= (n * w.data.dim) as u64, "{codes:?}");
    assert!(codes.ram_bytes >= (n * w.data.dim) as u64, "{codes:?}");
    assert_eq!(s.resident_bytes, codes.ram_bytes);
    let vectors = s.components.iter().find(|x| x.name == "vectors").unwrap();
    assert!(
        vectors.ram_bytes < (n * w.data.dim) as u64,
        "the originals stay on disk: {vectors:?}"
    );
    assert!(s.to_json_value()["resident_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn damaged_or_missing_codes_are_rebuilt_on_open() {
    let w = wordnet_db();
    let tmp = sq8_wordnet("sq8-damage");
    let probe = |db: &Database| -> Vec<Vec<u64>> {
        let c = db.collection(NAME).unwrap();
        (0..10)
            .map(|q| ids(&c.search(w.raw_query(q), &SearchParams::new(10)).unwrap()))
            .collect()
    };
    let before = {
        let db = Database::open(tmp.path()).unwrap();
        let r = probe(&db);
        assert!(db
            .collection(NAME)
            .unwrap()
            .stats()
            .unwrap()
            .rebuilt_on_open
            .is_empty());
        db.close().unwrap();
        r
    };
    let files = codes_files(tmp.path());
    assert_eq!(files.len(), 1, "one sealed segment with codes: {files:?}");

    // Damage the file with `damage`, reopen: the codes are rebuilt (the
    // message holds `why`), the results stay; the next open repairs nothing.
    let check = |damage: &dyn Fn(&Path), why: &str| {
        damage(&files[0]);
        let db = Database::open(tmp.path()).unwrap();
        let s = db.collection(NAME).unwrap().stats().unwrap();
        assert!(
            s.rebuilt_on_open
                .iter()
                .any(|m| m.contains("codes rebuilt") && m.contains(why)),
            "{why}: {:?}",
            s.rebuilt_on_open
        );
        assert_eq!(
            probe(&db),
            before,
            "{why}: rebuilt codes give the same results"
        );
        db.close().unwrap();
        let db = Database::open(tmp.path()).unwrap();
        let again = db
            .collection(NAME)
            .unwrap()
            .stats()
            .unwrap()
            .rebuilt_on_open;
        assert!(again.is_empty(), "{why}: repaired for good, yet {again:?}");
        db.close().unwrap();
    };
    let flip = |at: fn(usize) -> usize, mask: u8| {
        move |p: &Path| {
            let mut bytes = std::fs::read(p).unwrap();
            let i = at(bytes.len());
            bytes[i] ^= mask;
            std::fs::write(p, &bytes).unwrap();
        }
    };
    // A flipped byte in the quantizer's header, then one among the codes
    // themselves (caught by the block checksums, verified on open), then
    // no file at all.
    check(&flip(|_| 70, 0xff), "");
    check(&flip(|len| len / 2, 0x5a), "");
    check(&|p: &Path| std::fs::remove_file(p).unwrap(), "missing");
}

#[test]
fn sq8_dot_and_euclidean_rescore_to_exact_results() {
    let (n, dim, nq) = (3000, 48, 20);
    let base = random_vectors(n, dim, 5);
    let queries = random_vectors(nq, dim, 6);
    for metric in [Metric::Dot, Metric::Euclidean] {
        let tmp = TempDir::new("sq8-metrics");
        let db = Database::open(tmp.path()).unwrap();
        let c = db
            .create_collection(
                NAME,
                CollectionConfig::new(dim, metric).with_storage(StorageMode::Sq8),
            )
            .unwrap();
        let points: Vec<Point> = (0..n)
            .map(|i| Point::new(i as u64, base[i * dim..(i + 1) * dim].to_vec()))
            .collect();
        c.upsert(&points).unwrap();
        c.optimize().unwrap();
        let mut sum = 0.0;
        for q in 0..nq {
            let qv = &queries[q * dim..(q + 1) * dim];
            let exact = c.search(qv, &SearchParams::new(10).exact(true)).unwrap();
            let got = c.search(qv, &SearchParams::new(10).ef(64)).unwrap();
            for h in &got {
                let x = &base[h.id as usize * dim..(h.id as usize + 1) * dim];
                let want = match metric {
                    Metric::Dot => x.iter().zip(qv).map(|(a, b)| a * b).sum::<f32>(),
                    _ => x
                        .iter()
                        .zip(qv)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f32>()
                        .sqrt(),
                };
                assert!(
                    (h.score - want).abs() < 1e-3,
                    "{metric:?}: {} vs {want}",
                    h.score
                );
            }
            let e: Vec<u64> = exact.iter().map(|h| h.id).collect();
            sum += got.iter().filter(|h| e.contains(&h.id)).count() as f64 / 10.0;
        }
        let rec = sum / nq as f64;
        eprintln!("SQ8 {metric:?} recall@10 at ef 64 on random data: {rec:.3}");
        assert!(rec >= 0.9, "{metric:?}: recall {rec:.3}");
    }
}

#[test]
fn sq8_config_and_params_are_checked() {
    let tmp = TempDir::new("sq8-config");
    let db = Database::open(tmp.path()).unwrap();
    for metric in [Metric::Hamming, Metric::Jaccard] {
        let e = db
            .create_collection(
                "bad",
                CollectionConfig::new(8, metric).with_storage(StorageMode::Sq8),
            )
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.contains("config.storage is sq8") && e.contains("cosine, dot and euclidean"),
            "{e}"
        );
    }
    let e = db
        .create_collection(
            "meta",
            CollectionConfig::metadata_only().with_storage(StorageMode::Sq8),
        )
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("metadata-only"), "{e}");
    assert!(
        db.list_collections().unwrap().is_empty(),
        "nothing was created"
    );

    let c = db
        .create_collection(
            NAME,
            CollectionConfig::new(4, Metric::Cosine).with_storage(StorageMode::Sq8),
        )
        .unwrap();
    c.upsert(&[Point::new(1, vec![1.0, 0.0, 0.0, 0.0])])
        .unwrap();
    for bad in [0.5f32, 0.0, 101.0, f32::NAN, f32::INFINITY] {
        let e = c
            .search(
                &[1.0, 0.0, 0.0, 0.0],
                &SearchParams::new(1).oversampling(bad),
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("params.oversampling is") && e.contains("between 1 and 100"),
            "{bad}: {e}"
        );
    }
    // The appendable segment is searched exactly: rescoring makes no difference.
    let r = c
        .search(&[1.0, 0.0, 0.0, 0.0], &SearchParams::new(1).rescore(false))
        .unwrap();
    assert_eq!(r[0].id, 1);
    assert!((r[0].score - 1.0).abs() < 1e-6);
}
