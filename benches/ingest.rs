//! `quiver-bench ingest`: upserts per second with the default sync policy
//! (an fsync per batch), from several threads at once (see the usage text).

use crate::common::{self, BoxError, DbDir};
use quiver::{Collection, HnswConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const USAGE: &str = "\
usage: quiver-bench ingest [options]

For each thread count T, a fresh database with the default options (sync
every batch: one fsync per upsert call) and a cosine collection; T threads
each call upsert_flat with BATCH random points (no payloads, ids distinct
across threads, from 0 up) until SECONDS have passed or POINTS points are
written, and it prints:
  engine=quiver mode=ingest threads=8 batch=1 upserts_per_s=1520.3 points_per_s=1520.3
(counts of completed calls over the wall time from the start to the last
thread's end). Each database lives in DIR/ingest-threads-T and is removed
afterwards; stderr gets the optimizer's catch-up time and stats().

options:
  --threads LIST comma-separated thread counts [default: 1,8]
  --batch B      points per upsert call [default: 1]
  --points N     stop once N points are written in all (without --seconds:
                 no time limit) [default: no limit]
  --seconds S    stop after S seconds [default: 5, unless --points is given]
  --dim D        vector dimension [default: 384]
  --dir DIR      where the databases are made (on the disk to measure)
                 [default: a temporary directory under the system's temp
                 directory, removed at the end]
  -h, --help     this message";

pub struct IngestArgs {
    threads: Vec<usize>,
    batch: usize,
    points: Option<u64>,
    seconds: Option<f64>,
    dim: usize,
    dir: Option<PathBuf>,
}

/// Parses the options of `ingest`; `Ok(None)` when help was asked for.
pub fn parse(args: &[String]) -> Result<Option<IngestArgs>, String> {
    let mut a = IngestArgs {
        threads: vec![1, 8],
        batch: 1,
        points: None,
        seconds: None,
        dim: 384,
        dir: None,
    };
    let Some(opts) = common::options(args)? else {
        return Ok(None);
    };
    for (name, v) in opts {
        match name.as_str() {
            "--threads" => a.threads = common::positive_list(&name, &v)?,
            "--batch" => a.batch = common::positive(&name, &v)?,
            "--points" => a.points = Some(common::positive(&name, &v)? as u64),
            "--seconds" => a.seconds = Some(common::seconds(&name, &v)?),
            "--dim" => a.dim = common::positive(&name, &v)?,
            "--dir" => a.dir = Some(PathBuf::from(v)),
            _ => return Err(common::unknown(&name)),
        }
    }
    if a.points.is_none() && a.seconds.is_none() {
        a.seconds = Some(5.0);
    }
    Ok(Some(a))
}

/// When the writers stop.
struct Limit {
    points: Option<u64>,
    deadline: Option<Instant>,
}

/// What the writer threads did.
#[derive(Default)]
struct Done {
    upserts: u64,
    points: u64,
}

pub fn run(a: &IngestArgs) -> Result<(), BoxError> {
    let parent = DbDir::new(a.dir.as_deref(), "ingest");
    std::fs::create_dir_all(&parent.path)
        .map_err(|e| format!("create {}: {e}", parent.path.display()))?;
    for &threads in &a.threads {
        let dir = parent.path.join(format!("ingest-threads-{threads}"));
        if dir.exists() {
            return Err(format!("{} exists already: remove it first", dir.display()).into());
        }
        let dir = DbDir::scratch(dir);
        let (db, coll) = common::create(&dir.path, a.dim, HnswConfig::default())?;

        let start = Instant::now();
        let limit = Limit {
            points: a.points,
            deadline: a.seconds.map(|s| start + Duration::from_secs_f64(s)),
        };
        let done = write(&coll, threads, a.batch, a.dim, &limit)?;
        let dt = start.elapsed().as_secs_f64();
        println!(
            "engine=quiver mode=ingest threads={threads} batch={} upserts_per_s={:.1} points_per_s={:.1}",
            a.batch,
            done.upserts as f64 / dt,
            done.points as f64 / dt
        );

        let t = Instant::now();
        coll.wait_optimized()?;
        eprintln!(
            "threads {threads}: {} upserts, {} points in {dt:.1} s; optimizer idle {:.1} s later",
            done.upserts,
            done.points,
            t.elapsed().as_secs_f64()
        );
        eprintln!(
            "{}",
            common::stats_line(&format!("threads {threads}"), &coll.stats()?)
        );
        drop(coll);
        db.close().map_err(|e| format!("close: {e}"))?;
    }
    Ok(())
}

/// Runs `threads` writers until `limit`; each takes the next `batch` ids
/// from a shared counter and upserts that many random points.
fn write(
    coll: &Collection,
    threads: usize,
    batch: usize,
    dim: usize,
    limit: &Limit,
) -> Result<Done, BoxError> {
    let next_id = AtomicU64::new(0);
    let writer = |seed: u64| -> Result<Done, String> {
        let mut rng = XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut done = Done::default();
        let mut ids = Vec::with_capacity(batch);
        let mut vectors = vec![0f32; batch * dim];
        loop {
            if limit.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let first = next_id.fetch_add(batch as u64, Ordering::Relaxed);
            let end = match limit.points {
                Some(n) if first >= n => break,
                Some(n) => (first + batch as u64).min(n),
                None => first + batch as u64,
            };
            ids.clear();
            ids.extend(first..end);
            let vectors = &mut vectors[..ids.len() * dim];
            vectors.iter_mut().for_each(|x| *x = rng.next_f32());
            coll.upsert_flat(&ids, vectors, None)
                .map_err(|e| format!("upsert of ids {first}..{end}: {e}"))?;
            done.upserts += 1;
            done.points += ids.len() as u64;
        }
        Ok(done)
    };
    let writer = &writer;
    let results: Vec<Result<Done, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| s.spawn(move || writer(t + 1)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a writer panicked".into())))
            .collect()
    });
    let mut total = Done::default();
    for r in results {
        let d = r?;
        total.upserts += d.upserts;
        total.points += d.points;
    }
    Ok(total)
}

/// xorshift64*: random floats for the vectors, cheap next to an fsync.
struct XorShift(u64);

impl XorShift {
    /// Uniform in [-1, 1).
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40; // 24 bits
        bits as f32 / (1u32 << 23) as f32 - 1.0
    }
}
