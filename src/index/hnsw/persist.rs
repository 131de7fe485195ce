//! Saving and loading the graph.
//!
//! `graph.bin`: the 16-byte header, then `m: u32`, `node_count: u64`,
//! `entry: u32`, `top: u32` (`u32::MAX` for both when empty); layer 0 as
//! `node_count * (1 + 2m)` `u32`s; one level byte per node; for each node
//! with level > 0, in id order, `level * (1 + m)` `u32`s; a CRC-32 of all
//! bytes after the header. Loading checks every count and neighbour id, so a
//! damaged file is reported, never followed.

use super::{Hnsw, Params, MAX_LEVEL};
use crate::distance::DistanceFn;
use crate::error::{Error, Result};
use crate::storage::checksum::crc32;
use crate::storage::format::{check_header, header, Reader, GRAPH_MAGIC, HEADER_LEN};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

impl Hnsw {
    /// Serialises nodes `0..nodes` (all of them must be inserted, and no
    /// insert may run concurrently).
    pub fn encode(&self, nodes: usize) -> Vec<u8> {
        let w0 = self.m0 + 1;
        let mut b = Vec::with_capacity(HEADER_LEN + 24 + nodes * (w0 * 4 + 1) + 4);
        b.extend_from_slice(&header(GRAPH_MAGIC));
        b.extend_from_slice(&(self.params.m as u32).to_le_bytes());
        b.extend_from_slice(&(nodes as u64).to_le_bytes());
        let (entry, top) = match self.entry() {
            Some((e, t)) if (e as usize) < nodes => (e, t as u32),
            _ => (u32::MAX, u32::MAX),
        };
        b.extend_from_slice(&entry.to_le_bytes());
        b.extend_from_slice(&top.to_le_bytes());
        for a in &self.level0[..nodes * w0] {
            b.extend_from_slice(&a.load(Ordering::Relaxed).to_le_bytes());
        }
        for n in 0..nodes {
            b.push(self.level(n as u32) as u8);
        }
        let w = self.params.m + 1;
        for n in 0..nodes {
            let level = self.level(n as u32);
            if level == 0 {
                continue;
            }
            match self.upper[n].get() {
                Some(u) => {
                    for a in u.iter() {
                        b.extend_from_slice(&a.load(Ordering::Relaxed).to_le_bytes());
                    }
                }
                None => b.extend(std::iter::repeat_n(0u8, level * w * 4)),
            }
        }
        let crc = crc32(&b[HEADER_LEN..]);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Loads a graph saved by [`Hnsw::encode`], sized for `capacity` nodes.
    /// Nodes at or past `keep` (inserted after the last checkpoint, whose
    /// data the log replays) are cut off together with every link to them.
    /// Returns the graph and how many nodes it holds.
    pub fn decode(
        bytes: &[u8],
        path: &Path,
        params: Params,
        dist: DistanceFn,
        capacity: usize,
        keep: usize,
    ) -> Result<(Hnsw, usize)> {
        check_header(bytes, GRAPH_MAGIC, path)?;
        let name = path.display().to_string();
        let bad = |msg: String| Error::corrupt(format!("{name}: {msg}"));
        if bytes.len() < HEADER_LEN + 4 {
            return Err(bad("truncated graph".into()));
        }
        let body = &bytes[HEADER_LEN..bytes.len() - 4];
        let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().expect("4 bytes"));
        if crc32(body) != stored {
            return Err(bad("graph fails its checksum".into()));
        }
        let mut r = Reader::new(body, &name);
        let m = r.u32()? as usize;
        if m != params.m {
            return Err(bad(format!(
                "graph has m = {m}, collection has m = {}",
                params.m
            )));
        }
        let nodes = r.u64()?;
        let entry = r.u32()?;
        let top = r.u32()?;
        let w0 = 2 * m + 1;
        if nodes > u32::MAX as u64 || (nodes as usize).saturating_mul(w0 * 4) > r.remaining() {
            return Err(bad(format!(
                "graph claims {nodes} nodes, more than the file holds"
            )));
        }
        let nodes = nodes as usize;
        let kept = nodes.min(keep);
        let g = Hnsw::new(params, dist, capacity.max(kept));
        let l0 = r.take(nodes * w0 * 4)?;
        let levels = r.take(nodes)?;
        let w = m + 1;
        for (n, &level) in levels.iter().enumerate() {
            let level = level as usize;
            if level > MAX_LEVEL {
                return Err(bad(format!("node {n} has level {level}")));
            }
            let upper = r.take(level * w * 4)?;
            if n >= kept {
                continue;
            }
            g.levels[n].store(level as u8, Ordering::Relaxed);
            copy_links(
                &l0[n * w0 * 4..(n + 1) * w0 * 4],
                &g.level0[n * w0..(n + 1) * w0],
                nodes,
                kept,
            )
            .map_err(|e| bad(format!("node {n} layer 0: {e}")))?;
            if level > 0 {
                let u: Box<[AtomicU32]> = (0..level * w).map(|_| AtomicU32::new(0)).collect();
                for l in 0..level {
                    copy_links(
                        &upper[l * w * 4..(l + 1) * w * 4],
                        &u[l * w..(l + 1) * w],
                        nodes,
                        kept,
                    )
                    .map_err(|e| bad(format!("node {n} layer {}: {e}", l + 1)))?;
                }
                let _ = g.upper[n].set(u);
            }
        }
        if r.remaining() != 0 {
            return Err(bad(format!(
                "{} unexpected bytes after the graph",
                r.remaining()
            )));
        }
        if nodes > 0 {
            if entry as usize >= nodes || top as usize != levels[entry as usize] as usize {
                return Err(bad(format!(
                    "entry point {entry} at level {top} is not a node of that level"
                )));
            }
            if (entry as usize) < kept {
                g.set_entry(entry, top as usize);
            } else if kept > 0 {
                // The entry point was cut off: the highest remaining node takes over.
                let (best, level) = (0..kept)
                    .map(|n| (n as u32, levels[n] as usize))
                    .max_by_key(|&(n, l)| (l, std::cmp::Reverse(n)))
                    .expect("kept > 0");
                g.set_entry(best, level);
            }
        }
        Ok((g, kept))
    }
}

/// Copies one serialised link list into `dst`, checking it and dropping
/// links to nodes at or past `kept`.
fn copy_links(
    src: &[u8],
    dst: &[AtomicU32],
    nodes: usize,
    kept: usize,
) -> std::result::Result<(), String> {
    let word = |i: usize| u32::from_le_bytes(src[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    let count = word(0) as usize;
    if count > dst.len() - 1 {
        return Err(format!("{count} links, at most {} allowed", dst.len() - 1));
    }
    let mut n = 0;
    for i in 1..=count {
        let id = word(i);
        if id as usize >= nodes {
            return Err(format!("link to node {id}, graph has {nodes}"));
        }
        if (id as usize) < kept {
            n += 1;
            dst[n].store(id, Ordering::Relaxed);
        }
    }
    dst[0].store(n as u32, Ordering::Relaxed);
    Ok(())
}
