//! `quiver-bench churn`: disk, memory, recall and QPS of one collection
//! while its points are overwritten and deleted (see the usage text).

use crate::common::{self, BoxError, DataOpts, Measured, BATCH};
use quiver::{Collection, HnswConfig};
use std::time::Instant;

pub const USAGE: &str = "\
usage: quiver-bench churn [options]

Builds a cosine collection from a WordNet-format data directory (payload
text from base.jsonl, upsert_json in batches of 10,000), re-upserts every
point --rounds times (same vectors and payloads), then deletes every other
id (0, 2, 4, ...). After each phase, once the optimizer is idle
(wait_optimized()), it prints one line:
  engine=quiver phase=fresh ef=32 disk_mb=181.2 rss_mb=402.7 recall@10=0.9701 qps=6120.4
with phase = fresh, reupsert-1 ... reupsert-R, half-deleted. disk_mb: bytes
of all files under the database directory, MiB; rss_mb: VmRSS, MiB (it
includes the benchmark's own copy of the data: vectors as f32 and payload
text); recall@K against the exact neighbours (gt100.u32, or brute force for
--n; after the deletes brute force among the remaining points); qps: all
queries, one per call on one thread. stderr gets each phase's time and what
stats() says (segments, deleted points, optimizer).

options:
  --data DIR     data directory (base.f16, base.jsonl, queries.f16, gt100.u32)
                 [default: ../shared/data/wordnet next to the crate]
  --rounds R     re-upserts of every point [default: 3]
  --n N          use only the first N base vectors [default: all]
  --ef EF        search ef [default: 32]
  --k K          neighbours per query for recall@K [default: 10]
  --dir DIR      database directory, kept afterwards [default: a temporary
                 directory, removed at the end]
  -h, --help     this message";

pub struct ChurnArgs {
    data: DataOpts,
    rounds: usize,
    ef: usize,
}

/// Parses the options of `churn`; `Ok(None)` when help was asked for.
pub fn parse(args: &[String]) -> Result<Option<ChurnArgs>, String> {
    let mut a = ChurnArgs {
        data: DataOpts::default(),
        rounds: 3,
        ef: 32,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--rounds" => a.rounds = common::positive(&name, &v)?,
            "--ef" => a.ef = common::positive(&name, &v)?,
            _ if a.data.set(&name, &v)? => {}
            _ => return Err(common::unknown(&name)),
        }
    }
    Ok(Some(a))
}

pub fn run(a: &ChurnArgs) -> Result<(), BoxError> {
    let k = a.data.k;
    let common::Data { w, payloads } = common::load(&a.data, true, true)?;
    if w.n / 2 < k {
        return Err(format!(
            "{} points leave fewer than --k {} after the deletes",
            w.n, k
        )
        .into());
    }
    let dir = a.data.db_dir("churn");
    let (db, coll) = common::create(&dir.path, w.dim, HnswConfig::default())?;
    let report = |phase: &str, t: Instant, gt: &[u32], gt_k: usize| -> Result<(), BoxError> {
        let written_s = t.elapsed().as_secs_f64();
        coll.wait_optimized()?;
        let settled_s = t.elapsed().as_secs_f64();
        eprintln!("{phase}: writes {written_s:.1} s, optimizer idle after {settled_s:.1} s");
        eprintln!("{}", common::stats_line(phase, &coll.stats()?));
        let Measured { recall, qps } = common::search_recall(&coll, &w, w.nq, k, a.ef, gt, gt_k)?;
        println!(
            "engine=quiver phase={phase} ef={} disk_mb={:.1} rss_mb={:.1} recall@{}={recall:.4} qps={qps:.1}",
            a.ef,
            common::disk_mb(&dir.path)?,
            common::rss_mb(),
            k
        );
        Ok(())
    };

    let t = Instant::now();
    common::upsert_all(&coll, &w, &payloads)?;
    report("fresh", t, &w.gt, w.gt_k)?;
    for round in 1..=a.rounds {
        let t = Instant::now();
        common::upsert_all(&coll, &w, &payloads)?;
        report(&format!("reupsert-{round}"), t, &w.gt, w.gt_k)?;
    }

    // Exact neighbours among the points that stay (odd ids), computed
    // before the deletes so that the phase's timing is the engine's only.
    let t = Instant::now();
    let gt = common::exact_truth(&w, k, |id| id % 2 == 1);
    eprintln!(
        "exact ground truth among the odd ids ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    delete_even_ids(&coll, w.n)?;
    report("half-deleted", t, &gt, k)?;

    drop(coll);
    db.close().map_err(|e| format!("close: {e}"))?;
    if dir.kept() {
        eprintln!("database kept in {}", dir.path.display());
    }
    Ok(())
}

/// Deletes ids 0, 2, 4, ... below `n`, [`BATCH`] ids per call.
fn delete_even_ids(coll: &Collection, n: usize) -> Result<(), BoxError> {
    let ids: Vec<u64> = (0..n as u64).step_by(2).collect();
    for chunk in ids.chunks(BATCH) {
        let deleted = coll.delete(chunk)?;
        if deleted != chunk.len() {
            return Err(format!("deleted {deleted} of {} ids", chunk.len()).into());
        }
    }
    Ok(())
}
