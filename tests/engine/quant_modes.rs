//! The f16, bf16, binary and PQ storage modes (SQ8 has `quantized.rs`):
//! recall with exact scores on the WordNet sample, estimates without
//! rescoring, durable codes, every metric, the checks of the config, and
//! explicit training (`train_quantizer`: new parameters, progress,
//! cancellation, persistence).

use crate::common::util::{collection_dir, ids, random_vectors, wordnet_db, TempDir};
use crate::common::wordnet::recall_at;
use quiver::quant::{QuantizerConfig, StorageMode};
use quiver::{CollectionConfig, Database, Error, Metric, Point, SearchParams};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const NAME: &str = "q";

/// The modes this file covers, with the recall@10 each must reach at the
/// default search parameters, rescored.
const MODES: [(StorageMode, f64); 4] = [
    (StorageMode::F16, 0.95),
    (StorageMode::Bf16, 0.95),
    (StorageMode::Binary, 0.95),
    (StorageMode::Pq, 0.95),
];

/// The WordNet sample in a cosine collection `name` of `mode`, optimized
/// into one sealed segment.
pub(crate) fn wordnet_in(
    tmp: &TempDir,
    name: &str,
    mode: StorageMode,
    qc: QuantizerConfig,
) -> Database {
    let w = wordnet_db();
    let db = Database::open(tmp.path()).unwrap();
    let config = CollectionConfig::new(w.data.dim, Metric::Cosine)
        .with_storage(mode)
        .with_quantizer(qc);
    let c = db.create_collection(name, config).unwrap();
    let points: Vec<Point> = (0..w.data.n)
        .map(|i| Point::new(i as u64, w.data.base_vec(i).to_vec()))
        .collect();
    for chunk in points.chunks(1000) {
        c.upsert(chunk).unwrap();
    }
    c.optimize().unwrap();
    db
}

/// Mean recall@k over the sample's queries, and the largest difference
/// between a returned score and the exact cosine.
fn recall(c: &quiver::Collection, p: &SearchParams) -> (f64, f32) {
    let w = wordnet_db();
    let n = w.data.n;
    let (mut sum, mut worst) = (0.0, 0.0f32);
    for q in 0..w.data.nq {
        let r = c.search(w.raw_query(q), p).unwrap();
        assert_eq!(r.len(), p.k, "query {q}");
        for (i, h) in r.iter().enumerate() {
            worst = worst.max((h.score - w.scores[q * n + h.id as usize]).abs());
            if i > 0 {
                assert!(r[i - 1].score >= h.score, "query {q}: out of order");
            }
        }
        sum += recall_at(&ids(&r), w.data.gt_row(q), p.k);
    }
    (sum / w.data.nq as f64, worst)
}

fn codes_bytes(tmp: &TempDir) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(collection_dir(tmp.path(), NAME))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for d in dirs {
        let p = d.join("codes.qv");
        if p.exists() {
            out.push(std::fs::read(p).unwrap());
        }
    }
    out
}

#[test]
fn every_mode_reaches_its_recall_with_exact_scores_and_survives_reopen() {
    for (mode, floor) in MODES {
        let tmp = TempDir::new(&format!("mode-{}", mode.as_str()));
        let db = wordnet_in(&tmp, NAME, mode, QuantizerConfig::default());
        let c = db.collection(NAME).unwrap();
        let (mean, worst) = recall(&c, &SearchParams::new(10));
        eprintln!("{} WordNet recall@10, rescored: {mean:.4}", mode.as_str());
        assert!(mean >= floor, "{}: recall@10 {mean:.4}", mode.as_str());
        assert!(
            worst < 1e-4,
            "{}: scores not exact ({worst})",
            mode.as_str()
        );
        // Without rescoring: estimates (far off for the 1-bit codes), and
        // still a usable ranking for the finer ones.
        let (approx, err) = recall(&c, &SearchParams::new(10).rescore(false));
        eprintln!(
            "{} recall@10 without rescoring: {approx:.4} (score error up to {err:.4})",
            mode.as_str()
        );
        assert!(
            err > 0.0,
            "{}: unrescored scores are estimates",
            mode.as_str()
        );
        if matches!(mode, StorageMode::F16 | StorageMode::Bf16) {
            assert!(
                approx >= 0.95 && err < 0.01,
                "{}: {approx} {err}",
                mode.as_str()
            );
        }
        // The codes are resident and reported.
        let s = c.stats().unwrap();
        let codes = s.components.iter().find(|x| x.name == "codes").unwrap();
        assert!(
            codes.disk_bytes > 0 && s.resident_bytes > 0,
            "{}",
            mode.as_str()
        );
        let before = codes_bytes(&tmp);
        assert_eq!(before.len(), 1, "one sealed segment, one codes file");
        drop(c);
        db.close().unwrap();

        // Reopen: same mode, codes loaded (not rebuilt), same results.
        let db = Database::open(tmp.path()).unwrap();
        let c = db.collection(NAME).unwrap();
        assert_eq!(c.config().storage, mode);
        assert!(c.stats().unwrap().rebuilt_on_open.is_empty());
        assert_eq!(codes_bytes(&tmp), before);
        let (again, _) = recall(&c, &SearchParams::new(10));
        assert_eq!(again, mean, "{}: recall after reopen", mode.as_str());
        drop(c);
        db.close().unwrap();

        // Damaged codes are rebuilt on open and reported.
        let seg = std::fs::read_dir(collection_dir(tmp.path(), NAME))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.join("codes.qv").exists())
            .unwrap();
        let path = seg.join("codes.qv");
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
        let db = Database::open(tmp.path()).unwrap();
        let c = db.collection(NAME).unwrap();
        let rebuilt = c.stats().unwrap().rebuilt_on_open;
        assert!(
            rebuilt.iter().any(|r| r.contains("codes rebuilt")),
            "{}: {rebuilt:?}",
            mode.as_str()
        );
        let (fixed, _) = recall(&c, &SearchParams::new(10));
        assert!(
            fixed >= floor,
            "{}: recall after rebuild {fixed}",
            mode.as_str()
        );
        drop(c);
        db.close().unwrap();
    }
}

#[test]
fn dot_and_euclidean_rescore_to_the_exact_neighbours_in_every_mode() {
    let (n, dim) = (3000, 24);
    let data = random_vectors(n, dim, 42);
    let queries = random_vectors(20, dim, 7);
    for (mode, _) in MODES {
        for metric in [Metric::Dot, Metric::Euclidean] {
            let tmp = TempDir::new("mode-metrics");
            let db = Database::open(tmp.path()).unwrap();
            let c = db
                .create_collection(
                    NAME,
                    CollectionConfig::new(dim, metric)
                        .with_storage(mode)
                        .with_quantizer(QuantizerConfig {
                            pq_subspaces: 12,
                            ..QuantizerConfig::default()
                        }),
                )
                .unwrap();
            let points: Vec<Point> = (0..n)
                .map(|i| Point::new(i as u64, data[i * dim..(i + 1) * dim].to_vec()))
                .collect();
            c.upsert(&points).unwrap();
            c.optimize().unwrap();
            let dist = metric.distance_fn();
            let mut found = 0;
            for q in queries.chunks_exact(dim) {
                let mut truth: Vec<(f32, u64)> = (0..n)
                    .map(|i| (dist(q, &data[i * dim..(i + 1) * dim]), i as u64))
                    .collect();
                truth.sort_by(|a, b| a.0.total_cmp(&b.0));
                let want: Vec<u64> = truth[..10].iter().map(|t| t.1).collect();
                let r = c
                    .search(q, &SearchParams::new(10).ef(200).oversampling(20.0))
                    .unwrap();
                for h in &r {
                    let exact = metric.score(dist(q, &data[h.id as usize * dim..][..dim]));
                    assert!(
                        (h.score - exact).abs() <= 1e-3 * exact.abs().max(1.0),
                        "{} {metric:?}: score {} vs exact {exact}",
                        mode.as_str(),
                        h.score
                    );
                }
                found += r.iter().filter(|h| want.contains(&h.id)).count();
            }
            let rec = found as f64 / (10 * queries.len() / dim) as f64;
            assert!(rec >= 0.95, "{} {metric:?}: recall {rec}", mode.as_str());
            drop(c);
            db.close().unwrap();
        }
    }
}

#[test]
fn quantizer_config_is_checked() {
    let tmp = TempDir::new("mode-config");
    let db = Database::open(tmp.path()).unwrap();
    let bad = |config: CollectionConfig, want: &str| {
        let Err(e) = db.create_collection("bad", config) else {
            panic!("{want}: created");
        };
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        assert!(e.to_string().contains(want), "{e} (wanted {want})");
        assert!(db.list_collections().unwrap().is_empty());
    };
    let pq = |qc: QuantizerConfig| {
        CollectionConfig::new(12, Metric::Cosine)
            .with_storage(StorageMode::Pq)
            .with_quantizer(qc)
    };
    let d = QuantizerConfig::default();
    bad(
        pq(QuantizerConfig {
            pq_subspaces: 5,
            ..d
        }),
        "config.pq_subspaces is 5; it must divide the dimension 12",
    );
    bad(
        pq(QuantizerConfig {
            pq_subspaces: 24,
            ..d
        }),
        "config.pq_subspaces is 24",
    );
    bad(
        pq(QuantizerConfig {
            pq_centroids: 257,
            ..d
        }),
        "config.pq_centroids is 257; it must be between 2 and 256",
    );
    bad(
        pq(QuantizerConfig {
            pq_centroids: 1,
            ..d
        }),
        "config.pq_centroids is 1",
    );
    for mode in [StorageMode::F16, StorageMode::Binary, StorageMode::Pq] {
        bad(
            CollectionConfig::new(8, Metric::Hamming).with_storage(mode),
            "cosine, dot and euclidean",
        );
    }
    // The default subspaces: the largest divisor of the dimension not
    // above dimension / 8.
    assert_eq!(d.subspaces(384), 48);
    assert_eq!(d.subspaces(100), 10);
    assert_eq!(d.subspaces(7), 1);
    assert_eq!(d.subspaces(3), 1);
    assert_eq!(StorageMode::parse("BF16"), Some(StorageMode::Bf16));
    assert_eq!(StorageMode::parse("pq"), Some(StorageMode::Pq));
    assert_eq!(StorageMode::parse("pq48"), None);
}

#[test]
fn train_quantizer_changes_the_codes_reports_progress_and_cancels_cleanly() {
    let tmp = TempDir::new("mode-train");
    let db = wordnet_in(
        &tmp,
        NAME,
        StorageMode::Pq,
        QuantizerConfig {
            pq_subspaces: 16,
            ..QuantizerConfig::default()
        },
    );
    let c = db.collection(NAME).unwrap();
    let before = codes_bytes(&tmp);
    let (r16, _) = recall(&c, &SearchParams::new(10).oversampling(3.0));

    // Cancel halfway: an error, nothing changed (codes, config, results).
    let calls = AtomicU64::new(0);
    let e = c
        .train_quantizer(
            QuantizerConfig {
                pq_subspaces: 96,
                ..QuantizerConfig::default()
            },
            &mut |done, total| {
                calls.fetch_add(1, Ordering::Relaxed);
                done < total / 2
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::Cancelled(_)), "{e}");
    assert_eq!(
        calls.load(Ordering::Relaxed),
        48,
        "not called after it cancelled"
    );
    assert_eq!(
        codes_bytes(&tmp),
        before,
        "a cancelled training writes nothing"
    );
    assert_eq!(c.config().quantizer.pq_subspaces, 16);

    // Bad parameters: named, nothing changed.
    let e = c
        .train_quantizer(
            QuantizerConfig {
                pq_subspaces: 7,
                ..QuantizerConfig::default()
            },
            &mut |_, _| true,
        )
        .unwrap_err();
    assert!(e.to_string().contains("params.pq_subspaces is 7"), "{e}");

    // Train with 96 subspaces: progress climbs to its total, the codes
    // grow to 96 bytes per point, recall at the same oversampling rises.
    let seen = Mutex::new(Vec::new());
    let caller = std::thread::current().id();
    c.train_quantizer(
        QuantizerConfig {
            pq_subspaces: 96,
            ..QuantizerConfig::default()
        },
        &mut |done, total| {
            assert_eq!(
                std::thread::current().id(),
                caller,
                "on the caller's thread"
            );
            seen.lock().unwrap().push((done, total));
            true
        },
    )
    .unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 96, "one step per subspace of the one segment");
    assert!(seen
        .iter()
        .enumerate()
        .all(|(i, &(d, t))| d == i as u64 + 1 && t == 96));
    let after = codes_bytes(&tmp);
    assert_ne!(after, before);
    let n = wordnet_db().data.n;
    assert!(after[0].len() > before[0].len() + n * 70, "96-byte codes");
    assert_eq!(c.config().quantizer.pq_subspaces, 96);
    let (r96, worst) = recall(&c, &SearchParams::new(10).oversampling(3.0));
    eprintln!("PQ16 recall@10 {r16:.4}, PQ96 {r96:.4} (oversampling 3)");
    assert!(r96 > r16, "finer codes: {r96} vs {r16}");
    assert!(worst < 1e-4);

    // Later seals use the new parameters too, and they persist.
    let w = wordnet_db();
    c.upsert(&[Point::new(1_000_000, w.data.base_vec(0).to_vec())])
        .unwrap();
    c.optimize().unwrap();
    drop(c);
    db.close().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    let c = db.collection(NAME).unwrap();
    assert_eq!(c.config().quantizer.pq_subspaces, 96);
    assert!(c.stats().unwrap().rebuilt_on_open.is_empty());
    let (again, _) = recall(&c, &SearchParams::new(10).oversampling(3.0));
    assert!(again >= r96 - 0.01, "{again} vs {r96}");

    // Modes without k-means train too (one step per segment); f32 has
    // nothing to train.
    drop(c);
    db.close().unwrap();
    let tmp2 = TempDir::new("mode-train-sq8");
    let db = wordnet_in(&tmp2, NAME, StorageMode::Sq8, QuantizerConfig::default());
    let c = db.collection(NAME).unwrap();
    // Cancelling the last (here the only) step is a cancel too.
    let sq8_before = codes_bytes(&tmp2);
    let e = c
        .train_quantizer(
            QuantizerConfig {
                pq_centroids: 16,
                ..QuantizerConfig::default()
            },
            &mut |_, _| false,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Cancelled(_)), "{e}");
    assert_eq!(codes_bytes(&tmp2), sq8_before);
    assert_eq!(c.config().quantizer, QuantizerConfig::default());
    let steps = AtomicU64::new(0);
    c.train_quantizer(QuantizerConfig::default(), &mut |d, t| {
        assert_eq!(t, 1);
        steps.store(d, Ordering::Relaxed);
        true
    })
    .unwrap();
    assert_eq!(steps.load(Ordering::Relaxed), 1);
    let f = db
        .create_collection("plain", CollectionConfig::new(4, Metric::Cosine))
        .unwrap();
    let e = f
        .train_quantizer(QuantizerConfig::default(), &mut |_, _| true)
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e}");
}
