//! Sealed segments: immutable mapped files written once by the optimizer.
//!
//! A sealed segment is a directory `seg-<id>/` with one file per component:
//!
//! - `ids.qv` (id tracker): `n: u64`, `flags: u64` (bit 0: the segment has
//!   a `sparse.qv`; other bits 0), then `n` entries
//!   `(id: u64, version: u64)` by offset, then `n` offsets (`u32`) sorted by
//!   id (binary search from id to offset). Checked whole on open (16 to 20
//!   bytes per point).
//! - `vectors.qv` (vector storage): `n * dim` `f32`, by offset; checked
//!   block by block by `verify`.
//! - `payloads.qv` (payload storage): `n + 1` `u64` offsets into the bytes
//!   that follow; the payload of offset `i` is bytes `[off[i], off[i+1])`,
//!   exactly as the caller wrote them (an empty range: no payload).
//! - `sparse.qv` (sparse vector storage, only when a point has sparse
//!   vectors): laid out as `payloads.qv`, each point's sparse vectors in
//!   the encoding of [`crate::index::sparse`] (an empty range: none). The
//!   inverted lists searched are built from it when the segment opens.
//! - `graph.qv` (vector index, derived): the HNSW graph; rebuilt from the
//!   vectors when it is missing or damaged, and reported in stats.
//!
//! Deleted points are not part of the segment (it is immutable): the
//! collection keeps a bitset per segment and saves it beside the segment
//! at each manifest generation (`deleted-<gen>.qv`).

use super::component::{Component, IndexKind, PointIndex, PointSource};
use crate::collection::config::CollectionConfig;
use crate::error::{Error, Result};
use crate::index::hnsw::{Hnsw, Params, Vectors};
use crate::index::sparse::lists::SealedIndex;
use crate::quant::{CodeScorer, Quantizer};
use crate::storage::resident::Resident;
use crate::storage::sealed_file::{FileKind, Identity, SealedFile, SealedWriter};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Name of the directory of segment `id`.
pub fn segment_dir_name(id: u64) -> String {
    format!("seg-{id:08}")
}

/// Parses [`segment_dir_name`] back.
pub fn parse_segment_dir_name(name: &str) -> Option<u64> {
    name.strip_prefix("seg-")?.parse().ok()
}

const IDS: &str = "ids.qv";
const VECTORS: &str = "vectors.qv";
const PAYLOADS: &str = "payloads.qv";
const GRAPH: &str = "graph.qv";
const CODES: &str = "codes.qv";
const SPARSE: &str = "sparse.qv";
/// `ids.qv` flag: the segment has a `sparse.qv`.
const HAS_SPARSE: u64 = 1;

/// Vectors laid out flat, `dim` floats per offset: what the graph and the
/// exact scan read.
pub struct Flat<'a> {
    /// All vectors.
    pub data: &'a [f32],
    /// Floats per vector.
    pub dim: usize,
}

impl Vectors for Flat<'_> {
    #[inline]
    fn vector(&self, id: u32) -> &[f32] {
        let o = id as usize * self.dim;
        &self.data[o..o + self.dim]
    }

    #[inline]
    fn prefetch(&self, id: u32) {
        let p = self.data.as_ptr().wrapping_add(id as usize * self.dim);
        crate::index::hnsw::prefetch_bytes(p.cast(), self.dim * 4);
    }
}

/// An open sealed segment.
pub struct Sealed {
    /// Segment id.
    pub id: u64,
    /// Its directory.
    pub dir: PathBuf,
    n: usize,
    dim: usize,
    ids: SealedFile,
    vectors: Option<SealedFile>,
    payloads: SealedFile,
    /// The sparse vectors, when a point has some, and their lists.
    sparse: Option<(SealedFile, SealedIndex)>,
    graph_file: Option<SealedFile>,
    /// The quantized codes (quantized storage modes only) and their
    /// quantizer.
    codes_file: Option<(SealedFile, Quantizer)>,
    /// What the graph walks (the codes when there are, else the vectors)
    /// copied into huge-page memory, once [`Sealed::make_resident`] has run
    /// (until then, and if it fails, the walk reads the mapped file).
    resident: OnceLock<Resident>,
    /// Set once [`Sealed::make_resident`] tried (it is not tried again).
    resident_refused: std::sync::atomic::AtomicBool,
    /// The graph, in memory (`None` for metadata-only collections).
    pub graph: Option<Hnsw>,
    /// The point indexes of the collection's index kinds.
    pub indexes: Vec<Box<dyn PointIndex>>,
}

/// The vector bytes of a vectors file (or of a resident copy of them) as
/// floats.
fn floats(b: &[u8]) -> &[f32] {
    assert!(
        (b.as_ptr() as usize).is_multiple_of(4),
        "vector data must be 4-byte aligned"
    );
    // SAFETY: the data starts 64-byte aligned in a page-aligned mapping (or
    // 2 MiB aligned in a resident copy of it; the alignment is asserted
    // above) and holds `n * dim` little-endian f32 (checked on open); every
    // bit pattern is a valid f32.
    unsafe { std::slice::from_raw_parts(b.as_ptr() as *const f32, b.len() / 4) }
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

fn identity(kind: FileKind, owner: u64, segment: u64) -> Identity {
    Identity {
        kind,
        owner,
        segment,
        generation: 0,
    }
}

/// Graph parameters of a collection.
pub fn graph_params(config: &CollectionConfig) -> Params {
    Params {
        m: config.hnsw.m,
        ef_construction: config.hnsw.ef_construction,
    }
}

impl Sealed {
    /// Opens segment `id` of collection `owner` in `dir`. A missing or
    /// damaged graph or point index is rebuilt (and saved); the second value
    /// says what was rebuilt and why.
    pub fn open(
        dir: &Path,
        owner: u64,
        id: u64,
        config: &CollectionConfig,
        kinds: &[Arc<dyn IndexKind>],
    ) -> Result<(Sealed, Vec<String>)> {
        let ids = SealedFile::open(&dir.join(IDS), identity(FileKind::Ids, owner, id))?;
        ids.verify()?;
        let d = ids.data();
        let name = dir.join(IDS).display().to_string();
        if d.len() < 16 {
            return Err(Error::corrupt(format!("{name}: too short")));
        }
        let n = u64_at(d, 0) as usize;
        if n > u32::MAX as usize || d.len() != 16 + n * 20 {
            return Err(Error::corrupt(format!(
                "{name}: {} data bytes do not hold {n} points",
                d.len()
            )));
        }
        let dim = config.dimension;
        let vectors = if dim > 0 {
            let v = SealedFile::open(&dir.join(VECTORS), identity(FileKind::Vectors, owner, id))?;
            if v.data().len() != n * dim * 4 {
                return Err(Error::corrupt(format!(
                    "{}: {} bytes of vectors, expected {n} x {dim} floats",
                    v.path().display(),
                    v.data().len()
                )));
            }
            Some(v)
        } else {
            None
        };
        let payloads =
            SealedFile::open(&dir.join(PAYLOADS), identity(FileKind::Payloads, owner, id))?;
        check_blob_offsets(&payloads, n, "payload")?;
        let flags = u64_at(d, 8);
        if flags & !HAS_SPARSE != 0 {
            return Err(Error::corrupt(format!("{name}: unknown flags {flags:#x}")));
        }
        let sparse = if flags & HAS_SPARSE != 0 {
            let f = SealedFile::open(&dir.join(SPARSE), identity(FileKind::Sparse, owner, id))?;
            // Read whole to build the lists anyway: checked whole first.
            f.verify()?;
            check_blob_offsets(&f, n, "sparse vector")?;
            let path = f.path().display().to_string();
            let ix = SealedIndex::build(n, &|o| blob_at(f.data(), n, o), &|o| {
                format!("offset {o} of {path}")
            })?;
            Some((f, ix))
        } else {
            None
        };
        let mut seg = Sealed {
            id,
            dir: dir.to_owned(),
            n,
            dim,
            ids,
            vectors,
            payloads,
            sparse,
            graph_file: None,
            codes_file: None,
            resident: OnceLock::new(),
            resident_refused: std::sync::atomic::AtomicBool::new(false),
            graph: None,
            indexes: Vec::new(),
        };
        let mut rebuilt = Vec::new();
        if seg.vectors.is_some() {
            match seg.load_graph(owner, config) {
                Ok(()) => {}
                Err(why) => {
                    rebuilt.push(format!(
                        "segment {id}: graph rebuilt from the vectors ({why})"
                    ));
                    seg.build_graph(config, None, &|| false)?;
                    seg.save_graph(owner)?;
                }
            }
            if config.storage.quantized() {
                if let Err(why) = seg.load_codes(owner, config) {
                    rebuilt.push(format!(
                        "segment {id}: codes rebuilt from the vectors ({why})"
                    ));
                    seg.build_codes(owner, config)?;
                }
            }
        }
        rebuilt.extend(seg.open_indexes(kinds)?);
        Ok((seg, rebuilt))
    }

    /// Opens (or builds) the point index of every kind.
    fn open_indexes(&mut self, kinds: &[Arc<dyn IndexKind>]) -> Result<Vec<String>> {
        let mut rebuilt = Vec::new();
        let mut indexes = Vec::with_capacity(kinds.len());
        for k in kinds {
            let (ix, why) = k.open_or_build(&self.dir, &*self)?;
            if let Some(why) = why {
                rebuilt.push(format!(
                    "segment {}: {} index rebuilt ({why})",
                    self.id,
                    k.name()
                ));
            }
            indexes.push(ix);
        }
        self.indexes = indexes;
        Ok(rebuilt)
    }

    fn load_graph(&mut self, owner: u64, config: &CollectionConfig) -> Result<()> {
        let path = self.dir.join(GRAPH);
        if !path.exists() {
            return Err(Error::corrupt(format!("{} is missing", path.display())));
        }
        let f = SealedFile::open(&path, identity(FileKind::Graph, owner, self.id))?;
        let (g, nodes) = Hnsw::decode(
            f.data(),
            &path,
            graph_params(config),
            config.metric.distance_fn(),
            self.n,
            self.n,
        )?;
        if nodes != self.n {
            return Err(Error::corrupt(format!(
                "{}: graph holds {nodes} nodes, segment has {}",
                path.display(),
                self.n
            )));
        }
        self.graph = Some(g);
        self.graph_file = Some(f);
        Ok(())
    }

    /// Builds the graph over every offset; with `base`, the first nodes come
    /// from that graph (the offsets of a base segment copied first) and only
    /// the rest are inserted.
    fn build_graph(
        &mut self,
        config: &CollectionConfig,
        base: Option<&Hnsw>,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<()> {
        let params = graph_params(config);
        let dist = config.metric.distance_fn();
        let (g, start) = match base {
            Some(b) => {
                let bytes = b.encode(b.capacity().min(self.n));
                let (g, kept) = Hnsw::decode(&bytes, &self.dir, params, dist, self.n, self.n)?;
                (g, kept)
            }
            None => (Hnsw::new(params, dist, self.n), 0),
        };
        let missing: Vec<u32> = (start as u32..self.n as u32).collect();
        // The build walks the vectors at random, as searches do: from a
        // huge-page copy (see `crate::storage::resident`) when the memory
        // can be had. In f32 mode the copy then stays as the resident one;
        // quantized modes walk codes, so it is dropped after the build
        // (walking the mapped file instead made their builds a third
        // slower).
        let copy = match (&self.vectors, self.resident.get()) {
            (Some(v), None) if !missing.is_empty() => Resident::copy_of(v.data()).ok(),
            _ => None,
        };
        {
            let flat = match &copy {
                Some(r) => Flat {
                    data: floats(r.bytes()),
                    dim: self.dim,
                },
                None => self.flat(),
            };
            // In chunks, so that closing the database need not wait for a
            // whole graph to be built.
            for chunk in missing.chunks(4096) {
                if cancelled() {
                    return Err(Error::Closed("the optimizer was stopped".to_owned()));
                }
                g.insert_many(&flat, chunk);
            }
        }
        if let (Some(r), Some(v)) = (copy, &self.vectors) {
            if config.storage.quantized() {
                drop(r);
                v.release_pages();
            } else {
                self.adopt(r, v);
            }
        }
        self.graph = Some(g);
        Ok(())
    }

    /// Opens and checks the codes file.
    fn load_codes(&mut self, owner: u64, config: &CollectionConfig) -> Result<()> {
        let path = self.dir.join(CODES);
        if !path.exists() {
            return Err(Error::corrupt(format!("{} is missing", path.display())));
        }
        let f = SealedFile::open(&path, identity(FileKind::Codes, owner, self.id))?;
        // One sequential read (the resident copy reads it all right after):
        // damaged codes are rebuilt rather than walked.
        f.verify()?;
        let q = Quantizer::parse(
            config.storage,
            f.data(),
            self.dim,
            self.n,
            &path.display().to_string(),
        )?;
        self.codes_file = Some((f, q));
        Ok(())
    }

    /// Trains the quantizer on this segment's vectors, writes the codes
    /// file and opens it.
    fn build_codes(&mut self, owner: u64, config: &CollectionConfig) -> Result<()> {
        let q = self.train_quantizer(config, &|_, _| true)?;
        self.install_codes(owner, config, &q)
    }

    /// Trains the quantizer of `config` on this segment's vectors
    /// (`Error::Cancelled` when `progress` asked to stop).
    pub fn train_quantizer(
        &self,
        config: &CollectionConfig,
        progress: crate::quant::Progress<'_>,
    ) -> Result<Quantizer> {
        let flat = self.flat();
        let row = |i: usize| flat.vector(i as u32);
        Quantizer::train(
            config.storage,
            &config.quantizer,
            self.dim,
            self.n,
            &row,
            progress,
        )
        .ok_or_else(|| Error::Cancelled(format!("training the codes of segment {}", self.id)))
    }

    /// Encodes this segment's vectors with `q` into its codes file
    /// (replacing any, by rename) and opens it.
    fn install_codes(
        &mut self,
        owner: u64,
        config: &CollectionConfig,
        q: &Quantizer,
    ) -> Result<()> {
        self.write_codes(owner, q)?;
        self.load_codes(owner, config)
    }

    /// Encodes this segment's vectors with `q` and writes them as its
    /// codes file (replacing any, by rename).
    fn write_codes(&self, owner: u64, q: &Quantizer) -> Result<()> {
        let flat = self.flat();
        let bytes = q.write(self.n, &|i: usize| flat.vector(i as u32));
        let path = self.dir.join(CODES);
        let id = identity(FileKind::Codes, owner, self.id);
        crate::storage::sealed_file::write_sealed(&path, id, &bytes)?;
        crate::storage::sync_dir(&self.dir)
    }

    /// Writes this segment's codes encoded with `q` (replacing its codes
    /// file by rename) and opens the segment again with them: the segment
    /// to swap in for this one.
    pub fn recoded(
        &self,
        owner: u64,
        config: &CollectionConfig,
        q: &Quantizer,
        kinds: &[Arc<dyn IndexKind>],
    ) -> Result<Sealed> {
        self.write_codes(owner, q)?;
        let (seg, _) = Sealed::open(&self.dir, owner, self.id, config, kinds)?;
        Ok(seg)
    }

    /// The scorer on this segment's codes for query `q` in a quantized
    /// storage mode (walking the resident copy once
    /// [`Sealed::make_resident`] ran), or `None` in f32 mode.
    #[inline]
    pub fn code_scorer(
        &self,
        q: &[f32],
        metric: crate::distance::Metric,
    ) -> Option<CodeScorer<'_>> {
        let (f, quant) = self.codes_file.as_ref()?;
        let bytes = match self.resident.get() {
            Some(r) => r.bytes(),
            None => f.data(),
        };
        Some(quant.scorer(bytes, self.n, q, metric))
    }

    /// The quantizer of this segment's codes (quantized modes).
    pub fn quantizer(&self) -> Option<&Quantizer> {
        self.codes_file.as_ref().map(|(_, q)| q)
    }

    fn save_graph(&mut self, owner: u64) -> Result<()> {
        let Some(g) = &self.graph else { return Ok(()) };
        let path = self.dir.join(GRAPH);
        let id = identity(FileKind::Graph, owner, self.id);
        crate::storage::sealed_file::write_sealed(&path, id, &g.encode(self.n))?;
        crate::storage::sync_dir(&self.dir)?;
        self.graph_file = Some(SealedFile::open(&path, id)?);
        Ok(())
    }

    /// Number of offsets.
    #[inline]
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when it holds no point.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    #[inline]
    fn entry(&self, offset: u32) -> (u64, u64) {
        let d = self.ids.data();
        let o = 16 + offset as usize * 16;
        (u64_at(d, o), u64_at(d, o + 8))
    }

    /// The id at `offset`.
    #[inline]
    pub fn id(&self, offset: u32) -> u64 {
        self.entry(offset).0
    }

    /// The version at `offset`.
    #[inline]
    pub fn version(&self, offset: u32) -> u64 {
        self.entry(offset).1
    }

    #[inline]
    fn sorted(&self, i: usize) -> u32 {
        let d = self.ids.data();
        let o = 16 + self.n * 16 + i * 4;
        u32::from_le_bytes(d[o..o + 4].try_into().expect("4 bytes"))
    }

    /// The offset holding `id`, if any (deleted or not).
    pub fn lookup(&self, id: u64) -> Option<u32> {
        let i = self.lower_bound(id);
        (i < self.n && self.id(self.sorted(i)) == id).then(|| self.sorted(i))
    }

    /// Index in id order of the first id >= `id`.
    fn lower_bound(&self, id: u64) -> usize {
        let (mut lo, mut hi) = (0, self.n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.id(self.sorted(mid)) < id {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Offsets in ascending id order, from the first id >= `from`.
    pub fn offsets_from(&self, from: u64) -> impl Iterator<Item = u32> + '_ {
        (self.lower_bound(from)..self.n).map(move |i| self.sorted(i))
    }

    /// Every vector, flat.
    #[inline]
    pub fn flat(&self) -> Flat<'_> {
        let data = match &self.vectors {
            Some(v) => match (self.resident.get(), &self.codes_file) {
                (Some(r), None) => floats(r.bytes()),
                _ => floats(v.data()),
            },
            None => &[],
        };
        Flat {
            data,
            dim: self.dim,
        }
    }

    /// Copies what the graph walks (the codes in a quantized storage mode,
    /// else the vectors) into resident huge-page memory (see
    /// [`crate::storage::resident`]), once; a no-op when done or when there
    /// is nothing to walk.
    /// When the memory cannot be had, searches go on reading the mapped
    /// file; the refusal is returned once and not tried again.
    pub fn make_resident(&self) -> std::io::Result<()> {
        let walked = match (&self.codes_file, &self.vectors) {
            (Some((f, _)), _) => f,
            (None, Some(v)) => v,
            (None, None) => return Ok(()),
        };
        if self.resident.get().is_some()
            || walked.data().is_empty()
            || self
                .resident_refused
                .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            return Ok(());
        }
        self.adopt(Resident::copy_of(walked.data())?, walked);
        Ok(())
    }

    /// Takes `copy` of `walked`'s data as the resident copy (unless one was
    /// set meanwhile) and lets go of the file's mapped pages.
    fn adopt(&self, copy: Resident, walked: &SealedFile) {
        if self.resident.set(copy).is_ok() {
            walked.release_pages();
        }
    }

    /// Bytes of the resident copy of what the graph walks (0 before
    /// [`Sealed::make_resident`]), and the component it belongs to
    /// (`"codes"` or `"vectors"`).
    pub fn resident_bytes(&self) -> (u64, &'static str) {
        let kind = if self.codes_file.is_some() {
            "codes"
        } else {
            "vectors"
        };
        (self.resident.get().map_or(0, Resident::ram_bytes), kind)
    }

    /// The vector at `offset`.
    #[inline]
    pub fn vector(&self, offset: u32) -> &[f32] {
        let o = offset as usize * self.dim;
        &self.flat().data[o..o + self.dim]
    }

    /// The payload bytes at `offset`, borrowed from the mapping.
    pub fn payload(&self, offset: u32) -> Option<&[u8]> {
        blob_at(self.payloads.data(), self.n, offset)
    }

    /// The encoded sparse vectors at `offset`, borrowed from the mapping.
    pub fn sparse(&self, offset: u32) -> Option<&[u8]> {
        self.sparse
            .as_ref()
            .and_then(|(f, _)| blob_at(f.data(), self.n, offset))
    }

    /// The inverted lists of its sparse vectors (`None`: no point has
    /// any).
    pub fn sparse_index(&self) -> Option<&SealedIndex> {
        self.sparse.as_ref().map(|(_, ix)| ix)
    }

    /// The components, for stats and verify.
    pub fn components(&self) -> Vec<(&'static str, &SealedFile)> {
        let mut c = vec![("ids", &self.ids), ("payloads", &self.payloads)];
        if let Some((f, _)) = &self.sparse {
            c.push(("sparse", f));
        }
        if let Some(v) = &self.vectors {
            c.push(("vectors", v));
        }
        if let Some(g) = &self.graph_file {
            c.push(("graph", g));
        }
        if let Some((f, _)) = &self.codes_file {
            c.push(("codes", f));
        }
        c
    }

    /// Heap bytes of the in-memory graph.
    pub fn graph_ram_bytes(&self) -> u64 {
        self.graph.as_ref().map_or(0, |g| g.ram_bytes())
    }

    /// Heap bytes of the sparse vectors' inverted lists.
    pub fn sparse_ram_bytes(&self) -> u64 {
        self.sparse.as_ref().map_or(0, |(_, ix)| ix.ram_bytes())
    }

    /// Checks every block of every file.
    pub fn verify(&self) -> Result<()> {
        for c in self.components() {
            c.verify()?;
        }
        for ix in &self.indexes {
            ix.verify()?;
        }
        Ok(())
    }
}

impl PointSource for Sealed {
    fn len(&self) -> usize {
        self.n
    }
    fn payload_bytes(&self, offset: u32) -> Result<Option<Vec<u8>>> {
        Ok(self.payload(offset).map(<[u8]>::to_vec))
    }
}

/// One point to write into a new segment.
pub trait BuildSource {
    /// Number of points.
    fn count(&self) -> usize;
    /// Id and version of point `i`.
    fn entry(&self, i: usize) -> (u64, u64);
    /// Vector of point `i`.
    fn vector(&self, i: usize) -> &[f32];
    /// Payload length of point `i` (`None` = no payload).
    fn payload_len(&self, i: usize) -> Option<u32>;
    /// Payload bytes of point `i`.
    fn payload(&self, i: usize) -> Result<Option<Vec<u8>>>;
    /// Length of the encoded sparse vectors of point `i` (`None` = none).
    fn sparse_len(&self, i: usize) -> Option<u32>;
    /// The encoded sparse vectors of point `i`.
    fn sparse(&self, i: usize) -> Result<Option<Vec<u8>>>;
}

/// Checks the `n + 1` offsets at the start of a payload-like file.
fn check_blob_offsets(f: &SealedFile, n: usize, what: &str) -> Result<()> {
    let pd = f.data();
    let pname = f.path().display().to_string();
    if pd.len() < (n + 1) * 8 {
        return Err(Error::corrupt(format!("{pname}: too short for {n} points")));
    }
    let body = (pd.len() - (n + 1) * 8) as u64;
    let mut prev = 0;
    for i in 0..=n {
        let o = u64_at(pd, i * 8);
        if o < prev || o > body {
            return Err(Error::corrupt(format!(
                "{pname}: {what} offset {i} ({o}) is out of order or past the {body} {what} bytes"
            )));
        }
        prev = o;
    }
    Ok(())
}

/// The bytes of offset `o` in a payload-like file of `n` points (checked
/// by [`check_blob_offsets`]); `None` for an empty range.
fn blob_at(d: &[u8], n: usize, o: u32) -> Option<&[u8]> {
    let i = o as usize;
    let base = (n + 1) * 8;
    let (a, b) = (u64_at(d, i * 8) as usize, u64_at(d, i * 8 + 8) as usize);
    (a < b).then(|| &d[base + a..base + b])
}

/// Writes a payload-like file of `lens.len()` points: the offsets, then
/// each point's bytes from `bytes(i)`.
fn write_blobs(
    path: &Path,
    fid: Identity,
    lens: &[u64],
    bytes: &dyn Fn(usize) -> Result<Option<Vec<u8>>>,
    what: &dyn Fn(usize) -> String,
) -> Result<()> {
    let n = lens.len();
    let total: u64 = lens.iter().sum();
    let mut w = SealedWriter::create(path, fid, (n as u64 + 1) * 8 + total)?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut at = 0u64;
    w.write(&at.to_le_bytes())?;
    for l in lens {
        at += l;
        buf.extend_from_slice(&at.to_le_bytes());
        if buf.len() >= 1 << 16 {
            w.write(&buf)?;
            buf.clear();
        }
    }
    w.write(&buf)?;
    for (i, &l) in lens.iter().enumerate() {
        if l > 0 {
            let b = bytes(i)?
                .ok_or_else(|| Error::corrupt(format!("{} vanished while sealing", what(i))))?;
            if b.len() as u64 != l {
                return Err(Error::corrupt(format!(
                    "{} changed length while sealing",
                    what(i)
                )));
            }
            w.write(&b)?;
        }
    }
    w.finish(fid)
}

/// Writes a new sealed segment `id` into `dir` (created here) from `src`,
/// builds its graph (the first `base_len` points reuse `base`'s graph),
/// and opens it.
#[allow(clippy::too_many_arguments)]
pub fn write_segment(
    dir: &Path,
    owner: u64,
    id: u64,
    config: &CollectionConfig,
    src: &dyn BuildSource,
    base: Option<&Hnsw>,
    kinds: &[Arc<dyn IndexKind>],
    cancelled: &dyn Fn() -> bool,
) -> Result<Sealed> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let n = src.count();
    let dim = config.dimension;

    let ids_id = identity(FileKind::Ids, owner, id);
    let mut w = SealedWriter::create(&dir.join(IDS), ids_id, 16 + n as u64 * 20)?;
    let has_sparse = (0..n).any(|i| src.sparse_len(i).is_some());
    w.write(&(n as u64).to_le_bytes())?;
    w.write(&(if has_sparse { HAS_SPARSE } else { 0 }).to_le_bytes())?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut by_id: Vec<(u64, u32)> = Vec::with_capacity(n);
    for i in 0..n {
        let (pid, version) = src.entry(i);
        by_id.push((pid, i as u32));
        buf.extend_from_slice(&pid.to_le_bytes());
        buf.extend_from_slice(&version.to_le_bytes());
        if buf.len() >= 1 << 16 {
            w.write(&buf)?;
            buf.clear();
        }
    }
    by_id.sort_unstable();
    for (_, o) in &by_id {
        buf.extend_from_slice(&o.to_le_bytes());
        if buf.len() >= 1 << 16 {
            w.write(&buf)?;
            buf.clear();
        }
    }
    w.write(&buf)?;
    buf.clear();
    w.finish(ids_id)?;
    drop(by_id);

    if dim > 0 {
        let vid = identity(FileKind::Vectors, owner, id);
        let mut w = SealedWriter::create(&dir.join(VECTORS), vid, (n * dim * 4) as u64)?;
        for i in 0..n {
            for x in src.vector(i) {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            if buf.len() >= 1 << 16 {
                w.write(&buf)?;
                buf.clear();
            }
        }
        w.write(&buf)?;
        buf.clear();
        w.finish(vid)?;
    }

    let lens: Vec<u64> = (0..n)
        .map(|i| src.payload_len(i).map_or(0, u64::from))
        .collect();
    write_blobs(
        &dir.join(PAYLOADS),
        identity(FileKind::Payloads, owner, id),
        &lens,
        &|i| src.payload(i),
        &|i| format!("payload of point {}", src.entry(i).0),
    )?;
    if has_sparse {
        let lens: Vec<u64> = (0..n)
            .map(|i| src.sparse_len(i).map_or(0, u64::from))
            .collect();
        write_blobs(
            &dir.join(SPARSE),
            identity(FileKind::Sparse, owner, id),
            &lens,
            &|i| src.sparse(i),
            &|i| format!("sparse vectors of point {}", src.entry(i).0),
        )?;
    }
    crate::storage::sync_dir(dir)?;

    let (mut seg, _) = open_without_graph(dir, owner, id, config)?;
    if seg.vectors.is_some() {
        seg.build_graph(config, base, cancelled)?;
        seg.save_graph(owner)?;
        if config.storage.quantized() {
            seg.build_codes(owner, config)?;
        }
    }
    // A new segment has no index files: each kind builds and saves its own.
    seg.open_indexes(kinds)?;
    Ok(seg)
}

/// Opens a freshly written segment whose graph does not exist yet.
fn open_without_graph(
    dir: &Path,
    owner: u64,
    id: u64,
    config: &CollectionConfig,
) -> Result<(Sealed, ())> {
    let graph = dir.join(GRAPH);
    let _ = std::fs::remove_file(&graph);
    let mut probe = config.clone();
    // Open the primary files only: a metadata-only config skips the graph
    // step; the vector file is opened separately below.
    let dim = probe.dimension;
    probe.dimension = 0;
    probe.kind = crate::collection::config::CollectionKind::MetadataOnly;
    let (mut seg, _) = Sealed::open(dir, owner, id, &probe, &[])?;
    if dim > 0 {
        let v = SealedFile::open(&dir.join(VECTORS), identity(FileKind::Vectors, owner, id))?;
        if v.data().len() != seg.n * dim * 4 {
            return Err(Error::corrupt(format!(
                "{}: wrote {} bytes of vectors, expected {}",
                v.path().display(),
                v.data().len(),
                seg.n * dim * 4
            )));
        }
        seg.vectors = Some(v);
        seg.dim = dim;
    }
    Ok((seg, ()))
}
