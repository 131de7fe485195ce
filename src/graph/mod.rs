//! Edges between the points of a collection: the store, its log record
//! and snapshot formats, and the traversals over it ([`traverse`]).
//!
//! An edge is directed, from `source` to `target` (point ids of the same
//! collection), has a caller-chosen `u64` id, a label, a weight and
//! optional JSON properties. Edges are keyed by point ids, not by segment
//! offsets, so rewriting a segment never touches them (DESIGN.md,
//! "Collection anatomy").
//!
//! The store is columnar: one slot per edge (id, source, target, label
//! number, weight, properties), a free list that reuses the slots of
//! removed edges, a map from edge id to slot, and the adjacency of each
//! point in both directions as slot lists sorted by edge id (so every
//! traversal visits neighbours in one order, whatever the history). About
//! 70 bytes of heap per edge and 100 per point with edges.

pub mod traverse;

use crate::error::{Error, Result};
use crate::storage::format::Reader;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a `u64` point or edge id with the splitmix64 finaliser: a few
/// multiplies instead of SipHash's rounds (the maps of the graph and its
/// walks are keyed by ids only; every bit of the id reaches the low bits
/// hashbrown indexes by, so patterned ids such as multiples of 2^32 spread
/// too).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by u64 keys; kept correct for any other key.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = self.0.wrapping_add(v);
    }
}

/// Builds [`IdHasher`]s.
pub(crate) type IdBuild = BuildHasherDefault<IdHasher>;

/// Longest label, in bytes.
const MAX_LABEL_BYTES: usize = 256;
/// Largest properties document of one edge, in bytes.
const MAX_PROPERTIES_BYTES: usize = 1 << 20;
const NO_PROPS: u32 = u32::MAX;
const FREE: u32 = u32::MAX;
const SNAPSHOT_MAGIC: &[u8; 4] = b"QVED";
const SNAPSHOT_VERSION: u32 = 1;

/// An edge as the public API takes and returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The caller's id for the edge; adding an edge whose id exists
    /// replaces that edge.
    pub id: u64,
    /// The point it leaves.
    pub source: u64,
    /// The point it reaches.
    pub target: u64,
    /// Its label (1 to 256 bytes, no control characters).
    pub label: String,
    /// Its weight: finite and not negative (default 1), the cost of the
    /// edge for weighted shortest paths.
    pub weight: f32,
    /// Optional JSON object text, kept byte for byte.
    pub properties: Option<String>,
}

impl Edge {
    /// An edge of weight 1 without properties.
    pub fn new(id: u64, source: u64, target: u64, label: &str) -> Edge {
        Edge {
            id,
            source,
            target,
            label: label.to_owned(),
            weight: 1.0,
            properties: None,
        }
    }

    /// Sets the weight.
    pub fn with_weight(mut self, weight: f32) -> Edge {
        self.weight = weight;
        self
    }

    /// Sets the properties (a JSON object's text).
    pub fn with_properties(mut self, json: &str) -> Edge {
        self.properties = Some(json.to_owned());
        self
    }

    /// Checks label, weight and properties; `what` names the edge in errors.
    pub fn check(&self, what: &dyn Fn() -> String) -> Result<()> {
        check_label(&self.label, &|| format!("{}: label", what()))?;
        if !self.weight.is_finite() || self.weight < 0.0 {
            return Err(Error::invalid(format!(
                "{}: weight {} is not a finite number >= 0",
                what(),
                self.weight
            )));
        }
        if let Some(p) = &self.properties {
            if p.len() > MAX_PROPERTIES_BYTES {
                return Err(Error::invalid(format!(
                    "{}: properties take {} bytes, more than the {MAX_PROPERTIES_BYTES} allowed",
                    what(),
                    p.len()
                )));
            }
            match serde_json::from_str::<serde_json::Value>(p) {
                Ok(serde_json::Value::Object(_)) => {}
                Ok(_) => {
                    return Err(Error::invalid(format!(
                        "{}: properties must be a JSON object",
                        what()
                    )))
                }
                Err(e) => {
                    return Err(Error::invalid(format!(
                        "{}: properties are not valid JSON: {e}",
                        what()
                    )))
                }
            }
        }
        Ok(())
    }
}

/// Checks a label: 1 to 256 bytes, no control characters.
pub fn check_label(label: &str, what: &dyn Fn() -> String) -> Result<()> {
    if label.is_empty() || label.len() > MAX_LABEL_BYTES {
        return Err(Error::invalid(format!(
            "{} is {} bytes long; a label has 1 to {MAX_LABEL_BYTES} bytes",
            what(),
            label.len()
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{} \"{}\" holds a control character",
            what(),
            label.escape_debug()
        )));
    }
    Ok(())
}

/// Which edges of a point a step follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// Edges leaving the point (to their targets).
    #[default]
    Out,
    /// Edges reaching the point (to their sources).
    In,
    /// Both.
    Both,
}

impl Direction {
    /// `"out"`, `"in"` or `"both"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Out => "out",
            Direction::In => "in",
            Direction::Both => "both",
        }
    }
}

/// The edges of a collection.
#[derive(Default)]
pub struct Graph {
    labels: Vec<String>,
    label_ids: HashMap<String, u32>,
    id: Vec<u64>,
    src: Vec<u64>,
    dst: Vec<u64>,
    /// Label number, or [`FREE`] for a free slot.
    label: Vec<u32>,
    weight: Vec<f32>,
    props: Vec<Option<Box<[u8]>>>,
    free: Vec<u32>,
    by_id: HashMap<u64, u32, IdBuild>,
    out: HashMap<u64, Vec<u32>, IdBuild>,
    inn: HashMap<u64, Vec<u32>, IdBuild>,
    props_bytes: usize,
    /// Changed since it was last saved.
    pub dirty: bool,
}

/// One neighbour of a point: the edge's slot and the point at its other
/// end.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The edge's id.
    pub edge: u64,
    /// The point at the other end.
    pub point: u64,
    /// The edge's label number.
    pub label: u32,
    /// The edge's weight.
    pub weight: f32,
}

impl Graph {
    /// Number of edges.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when there is no edge.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The number of a label, if some edge ever had it.
    pub fn label_id(&self, label: &str) -> Option<u32> {
        self.label_ids.get(label).copied()
    }

    fn intern(&mut self, label: &str) -> u32 {
        // Few labels (the common case): a scan beats hashing the text.
        if self.labels.len() <= 8 {
            if let Some(l) = self.labels.iter().position(|x| x == label) {
                return l as u32;
            }
        } else if let Some(&l) = self.label_ids.get(label) {
            return l;
        }
        let l = self.labels.len() as u32;
        self.labels.push(label.to_owned());
        self.label_ids.insert(label.to_owned(), l);
        l
    }

    /// Whether an edge with this id exists.
    pub fn contains(&self, id: u64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Adds `e` (checked), replacing an edge with its id.
    pub fn insert(&mut self, e: &Edge) {
        self.remove(e.id);
        let label = self.intern(&e.label);
        let props = e
            .properties
            .as_ref()
            .map(|p| p.as_bytes().to_vec().into_boxed_slice());
        self.props_bytes += props.as_ref().map_or(0, |p| p.len());
        let slot = match self.free.pop() {
            Some(s) => {
                let i = s as usize;
                self.id[i] = e.id;
                self.src[i] = e.source;
                self.dst[i] = e.target;
                self.label[i] = label;
                self.weight[i] = e.weight;
                self.props[i] = props;
                s
            }
            None => {
                self.id.push(e.id);
                self.src.push(e.source);
                self.dst.push(e.target);
                self.label.push(label);
                self.weight.push(e.weight);
                self.props.push(props);
                (self.id.len() - 1) as u32
            }
        };
        self.by_id.insert(e.id, slot);
        let ids = &self.id;
        for (map, p) in [(&mut self.out, e.source), (&mut self.inn, e.target)] {
            let list = map.entry(p).or_default();
            let at = list.partition_point(|&s| ids[s as usize] < e.id);
            list.insert(at, slot);
        }
        self.dirty = true;
    }

    /// Removes the edge with id `id`; returns whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(slot) = self.by_id.remove(&id) else {
            return false;
        };
        let i = slot as usize;
        for (map, p) in [(&mut self.out, self.src[i]), (&mut self.inn, self.dst[i])] {
            if let Some(list) = map.get_mut(&p) {
                list.retain(|&s| s != slot);
                if list.is_empty() {
                    map.remove(&p);
                }
            }
        }
        self.props_bytes -= self.props[i].as_ref().map_or(0, |p| p.len());
        self.props[i] = None;
        self.label[i] = FREE;
        self.free.push(slot);
        self.dirty = true;
        true
    }

    /// Removes every edge leaving or reaching `point`; returns how many.
    pub fn remove_point(&mut self, point: u64) -> usize {
        let mut slots: Vec<u32> = Vec::new();
        if let Some(l) = self.out.get(&point) {
            slots.extend(l);
        }
        if let Some(l) = self.inn.get(&point) {
            slots.extend(l);
        }
        slots.sort_unstable();
        slots.dedup();
        let ids: Vec<u64> = slots.iter().map(|&s| self.id[s as usize]).collect();
        for id in &ids {
            self.remove(*id);
        }
        ids.len()
    }

    /// The edge with id `id`.
    pub fn get(&self, id: u64) -> Option<Edge> {
        self.by_id.get(&id).map(|&s| self.edge_at(s))
    }

    /// The weight of the edge with id `id`.
    pub fn weight_of(&self, id: u64) -> Option<f32> {
        self.by_id.get(&id).map(|&s| self.weight[s as usize])
    }

    fn edge_at(&self, slot: u32) -> Edge {
        let i = slot as usize;
        Edge {
            id: self.id[i],
            source: self.src[i],
            target: self.dst[i],
            label: self.labels[self.label[i] as usize].clone(),
            weight: self.weight[i],
            properties: self.props[i]
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
        }
    }

    /// The properties bytes of the edge in `slot`.
    fn props_of(&self, slot: u32) -> Option<&[u8]> {
        self.props[slot as usize].as_deref()
    }

    /// Edges matching the query, by ascending edge id. Without a source
    /// or a target, every edge is read (O(edges)).
    pub fn find(&self, source: Option<u64>, target: Option<u64>, label: Option<&str>) -> Vec<Edge> {
        let label = match label {
            Some(l) => match self.label_id(l) {
                Some(l) => Some(l),
                None => return Vec::new(),
            },
            None => None,
        };
        let keep = |s: u32| {
            let i = s as usize;
            self.label[i] != FREE
                && label.is_none_or(|l| self.label[i] == l)
                && source.is_none_or(|p| self.src[i] == p)
                && target.is_none_or(|p| self.dst[i] == p)
        };
        let slots: Vec<u32> = match (source, target) {
            (Some(s), _) => self.out.get(&s).cloned().unwrap_or_default(),
            (None, Some(t)) => self.inn.get(&t).cloned().unwrap_or_default(),
            (None, None) => {
                let mut v: Vec<u32> = self.by_id.values().copied().collect();
                v.sort_unstable_by_key(|&s| self.id[s as usize]);
                v
            }
        };
        slots
            .into_iter()
            .filter(|&s| keep(s))
            .map(|s| self.edge_at(s))
            .collect()
    }

    /// Edges of `point` in `dir` (with `label`, if given): (in, out).
    pub fn degree(&self, point: u64, label: Option<&str>) -> (usize, usize) {
        let label = match label {
            Some(l) => match self.label_id(l) {
                Some(l) => Some(l),
                None => return (0, 0),
            },
            None => None,
        };
        let count = |m: &HashMap<u64, Vec<u32>, IdBuild>| {
            m.get(&point).map_or(0, |l| {
                l.iter()
                    .filter(|&&s| label.is_none_or(|x| self.label[s as usize] == x))
                    .count()
            })
        };
        (count(&self.inn), count(&self.out))
    }

    /// The steps from `point` along `dir`, by ascending edge id (an edge
    /// from the point to itself once), passed to `f`.
    pub fn steps(&self, point: u64, dir: Direction, mut f: impl FnMut(Step)) {
        let step = |s: u32, out: bool| {
            let i = s as usize;
            Step {
                edge: self.id[i],
                point: if out { self.dst[i] } else { self.src[i] },
                label: self.label[i],
                weight: self.weight[i],
            }
        };
        let empty: &[u32] = &[];
        let outs = if dir != Direction::In {
            self.out.get(&point).map_or(empty, Vec::as_slice)
        } else {
            empty
        };
        let ins = if dir != Direction::Out {
            self.inn.get(&point).map_or(empty, Vec::as_slice)
        } else {
            empty
        };
        let (mut a, mut b) = (0, 0);
        while a < outs.len() || b < ins.len() {
            let ida = outs.get(a).map(|&s| self.id[s as usize]);
            let idb = ins.get(b).map(|&s| self.id[s as usize]);
            match (ida, idb) {
                (Some(x), Some(y)) if x == y => {
                    // A loop: once.
                    f(step(outs[a], true));
                    a += 1;
                    b += 1;
                }
                (Some(x), Some(y)) if x < y => {
                    f(step(outs[a], true));
                    a += 1;
                }
                (Some(_), None) => {
                    f(step(outs[a], true));
                    a += 1;
                }
                _ => {
                    f(step(ins[b], false));
                    b += 1;
                }
            }
        }
    }

    /// Bytes of heap it holds (estimated from its lengths and capacities).
    pub fn ram_bytes(&self) -> u64 {
        let slots = self.id.capacity() * 8
            + self.src.capacity() * 8
            + self.dst.capacity() * 8
            + self.label.capacity() * 4
            + self.weight.capacity() * 4
            + self.props.capacity() * 16
            + self.free.capacity() * 4;
        // A hash map entry costs its key and value plus about one control
        // byte, at a load of about 7/8.
        let map = |entries: usize, entry: usize| entries * (entry + 1) * 8 / 7;
        let adj: usize = self
            .out
            .values()
            .chain(self.inn.values())
            .map(|l| l.capacity() * 4)
            .sum();
        let labels: usize = self.labels.iter().map(|l| 2 * (l.len() + 24)).sum();
        (slots
            + self.props_bytes
            + map(self.by_id.capacity(), 12)
            + map(self.out.capacity() + self.inn.capacity(), 32)
            + adj
            + labels) as u64
    }

    /// The properties of edge `id`, as stored.
    pub fn properties(&self, id: u64) -> Option<&[u8]> {
        self.by_id.get(&id).and_then(|&s| self.props_of(s))
    }

    /// The label with number `l`.
    pub fn label_name(&self, l: u32) -> &str {
        &self.labels[l as usize]
    }

    /// The source and target of each edge, in no particular order.
    pub fn endpoints(&self) -> impl Iterator<Item = (u64, u64, u32, u64)> + '_ {
        self.by_id.values().map(move |&s| {
            let i = s as usize;
            (self.src[i], self.dst[i], self.label[i], self.id[i])
        })
    }

    /// The snapshot of every edge: magic, version, count, then per edge
    /// (by ascending id) id, source, target, weight bits, label length
    /// and bytes, properties length ([`NO_PROPS`] for none) and bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut slots: Vec<u32> = self.by_id.values().copied().collect();
        slots.sort_unstable_by_key(|&s| self.id[s as usize]);
        let mut b = Vec::with_capacity(16 + slots.len() * 48 + self.props_bytes);
        b.extend_from_slice(SNAPSHOT_MAGIC);
        b.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        b.extend_from_slice(&(slots.len() as u64).to_le_bytes());
        for s in slots {
            let i = s as usize;
            put_edge(
                &mut b,
                self.id[i],
                self.src[i],
                self.dst[i],
                self.weight[i],
                &self.labels[self.label[i] as usize],
                self.props[i].as_deref(),
            );
        }
        b
    }

    /// Reads [`Graph::encode`]'s bytes; `what` names the file in errors.
    pub fn decode(bytes: &[u8], what: &str) -> Result<Graph> {
        let mut r = Reader::new(bytes, what);
        if r.take(4)? != SNAPSHOT_MAGIC {
            return Err(Error::corrupt(format!("{what}: not an edge snapshot")));
        }
        let v = r.u32()?;
        if v != SNAPSHOT_VERSION {
            return Err(Error::corrupt(format!(
                "{what}: edge snapshot version {v}, this build reads {SNAPSHOT_VERSION}"
            )));
        }
        let n = r.u64()?;
        // Each edge takes at least 32 bytes: a corrupt count cannot make
        // it reserve more than the file holds.
        let cap = (n as usize).min(r.remaining() / 32);
        let mut g = Graph {
            id: Vec::with_capacity(cap),
            src: Vec::with_capacity(cap),
            dst: Vec::with_capacity(cap),
            label: Vec::with_capacity(cap),
            weight: Vec::with_capacity(cap),
            props: Vec::with_capacity(cap),
            ..Graph::default()
        };
        g.by_id.reserve(cap);
        // The snapshot lists the edges by ascending id (as `encode` writes
        // them), so each adjacency list is built sorted by appending. The
        // file is sealed and checksummed and its edges were checked when
        // written: the cheap checks run again, the JSON of the properties
        // is not parsed again.
        let mut last: Option<u64> = None;
        let mut last_label: (&[u8], u32) = (&[], FREE);
        for _ in 0..n {
            let id = r.u64()?;
            if last.is_some_and(|l| l >= id) {
                return Err(Error::corrupt(format!(
                    "{what}: edge {id} after edge {}, not by ascending id",
                    last.unwrap_or_default()
                )));
            }
            last = Some(id);
            let source = r.u64()?;
            let target = r.u64()?;
            let weight = f32::from_bits(r.u32()?);
            if !weight.is_finite() || weight < 0.0 {
                return Err(Error::corrupt(format!(
                    "{what}: edge {id} has weight {weight}"
                )));
            }
            let len = r.u32()? as usize;
            let lb = r.take(len)?;
            let label = if lb == last_label.0 {
                last_label.1
            } else {
                let l = std::str::from_utf8(lb).map_err(|_| {
                    Error::corrupt(format!("{what}: edge {id}: label is not UTF-8"))
                })?;
                check_label(l, &|| format!("{what}: edge {id}: label"))
                    .map_err(|x| Error::corrupt(x.to_string()))?;
                let n = g.intern(l);
                last_label = (lb, n);
                n
            };
            let plen = r.u32()?;
            let props = if plen == NO_PROPS {
                None
            } else {
                let p = r.take(plen as usize)?;
                if std::str::from_utf8(p).is_err() {
                    return Err(Error::corrupt(format!(
                        "{what}: edge {id}: properties are not UTF-8"
                    )));
                }
                g.props_bytes += p.len();
                Some(p.to_vec().into_boxed_slice())
            };
            let slot = g.id.len() as u32;
            g.id.push(id);
            g.src.push(source);
            g.dst.push(target);
            g.label.push(label);
            g.weight.push(weight);
            g.props.push(props);
            g.by_id.insert(id, slot);
        }
        // The adjacency by sorting (point, slot) pairs rather than
        // growing a list per point edge by edge: at millions of edges the
        // random appends cost several times more. Slots ascend with edge
        // ids, so each list comes out sorted by edge id.
        g.out = adjacency(&g.src);
        g.inn = adjacency(&g.dst);
        if r.remaining() != 0 {
            return Err(Error::corrupt(format!(
                "{what}: {} bytes after the last edge",
                r.remaining()
            )));
        }
        g.dirty = false;
        Ok(g)
    }
}

/// The slot lists of `ends` (the source or target of each slot) by
/// point, each ascending, each allocated to its size.
fn adjacency(ends: &[u64]) -> HashMap<u64, Vec<u32>, IdBuild> {
    let mut pairs: Vec<(u64, u32)> = ends
        .iter()
        .enumerate()
        .map(|(slot, &p)| (p, slot as u32))
        .collect();
    pairs.sort_unstable();
    let points = pairs.chunk_by(|a, b| a.0 == b.0).count();
    let mut map = HashMap::with_capacity_and_hasher(points, IdBuild::default());
    for run in pairs.chunk_by(|a, b| a.0 == b.0) {
        map.insert(run[0].0, run.iter().map(|&(_, s)| s).collect());
    }
    map
}

fn put_edge(
    b: &mut Vec<u8>,
    id: u64,
    source: u64,
    target: u64,
    weight: f32,
    label: &str,
    props: Option<&[u8]>,
) {
    b.extend_from_slice(&id.to_le_bytes());
    b.extend_from_slice(&source.to_le_bytes());
    b.extend_from_slice(&target.to_le_bytes());
    b.extend_from_slice(&weight.to_bits().to_le_bytes());
    b.extend_from_slice(&(label.len() as u32).to_le_bytes());
    b.extend_from_slice(label.as_bytes());
    match props {
        Some(p) => {
            b.extend_from_slice(&(p.len() as u32).to_le_bytes());
            b.extend_from_slice(p);
        }
        None => b.extend_from_slice(&NO_PROPS.to_le_bytes()),
    }
}

fn take_edge(r: &mut Reader<'_>) -> Result<Edge> {
    let id = r.u64()?;
    let source = r.u64()?;
    let target = r.u64()?;
    let weight = f32::from_bits(r.u32()?);
    let len = r.u32()? as usize;
    let label = std::str::from_utf8(r.take(len)?)
        .map_err(|_| Error::corrupt(format!("edge {id}: label is not UTF-8")))?
        .to_owned();
    let plen = r.u32()?;
    let properties = if plen == NO_PROPS {
        None
    } else {
        Some(
            std::str::from_utf8(r.take(plen as usize)?)
                .map_err(|_| Error::corrupt(format!("edge {id}: properties are not UTF-8")))?
                .to_owned(),
        )
    };
    let e = Edge {
        id,
        source,
        target,
        label,
        weight,
        properties,
    };
    e.check(&|| format!("edge {id}"))
        .map_err(|x| Error::corrupt(x.to_string()))?;
    Ok(e)
}

/// Appends the edges of an add-edges log record (after its tag).
pub fn encode_edges(b: &mut Vec<u8>, edges: &[Edge]) {
    b.extend_from_slice(&(edges.len() as u32).to_le_bytes());
    for e in edges {
        put_edge(
            b,
            e.id,
            e.source,
            e.target,
            e.weight,
            &e.label,
            e.properties.as_deref().map(str::as_bytes),
        );
    }
}

/// Reads what [`encode_edges`] wrote.
pub fn decode_edges(r: &mut Reader<'_>) -> Result<Vec<Edge>> {
    let n = r.u32()? as usize;
    let mut v = Vec::with_capacity(n.min(r.remaining() / 36));
    for _ in 0..n {
        v.push(take_edge(r)?);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replace_remove_and_snapshot() {
        let mut g = Graph::default();
        g.insert(&Edge::new(5, 1, 2, "a"));
        g.insert(&Edge::new(3, 1, 3, "b").with_properties("{\"x\": 1}"));
        g.insert(&Edge::new(9, 2, 1, "a").with_weight(2.5));
        g.insert(&Edge::new(7, 1, 1, "a"));
        assert_eq!(g.len(), 4);
        let ids = |v: Vec<Edge>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(g.find(Some(1), None, None)), vec![3, 5, 7]);
        assert_eq!(ids(g.find(None, Some(1), None)), vec![7, 9]);
        assert_eq!(ids(g.find(Some(1), None, Some("a"))), vec![5, 7]);
        assert_eq!(ids(g.find(None, None, Some("a"))), vec![5, 7, 9]);
        assert_eq!(g.degree(1, None), (2, 3));
        let mut steps = Vec::new();
        g.steps(1, Direction::Both, |s| steps.push((s.edge, s.point)));
        assert_eq!(steps, vec![(3, 3), (5, 2), (7, 1), (9, 2)]);
        // Replace: edge 5 now goes 2 -> 3.
        g.insert(&Edge::new(5, 2, 3, "c"));
        assert_eq!(ids(g.find(Some(1), None, None)), vec![3, 7]);
        assert_eq!(g.get(5).unwrap().label, "c");
        let bytes = g.encode();
        let h = Graph::decode(&bytes, "t").unwrap();
        assert_eq!(h.encode(), bytes);
        assert_eq!(h.get(3).unwrap().properties.as_deref(), Some("{\"x\": 1}"));
        assert_eq!(h.get(9).unwrap().weight, 2.5);
        assert!(!h.dirty);
        assert_eq!(g.remove_point(1), 3);
        assert_eq!(ids(g.find(None, None, None)), vec![5]);
        // Slots are reused.
        g.insert(&Edge::new(11, 4, 5, "a"));
        assert_eq!(g.id.len(), 4);
        for cut in [0, 3, 9, bytes.len() - 1] {
            assert!(Graph::decode(&bytes[..cut], "t").is_err());
        }
        // Many labels (interned by hash past the first eight), a round
        // trip through the snapshot; edges out of id order are corrupt.
        let mut g = Graph::default();
        for id in 0..200u64 {
            g.insert(&Edge::new(id, id % 17, id % 5, &format!("l{}", id % 13)));
        }
        let h = Graph::decode(&g.encode(), "t").unwrap();
        assert_eq!(h.find(None, None, None), g.find(None, None, None));
        assert_eq!(
            h.find(Some(3), None, Some("l3")),
            g.find(Some(3), None, Some("l3"))
        );
        assert_eq!(h.degree(4, Some("l9")), g.degree(4, Some("l9")));
        let mut two = Graph::default();
        two.insert(&Edge::new(1, 0, 1, "a"));
        two.insert(&Edge::new(2, 0, 1, "a"));
        let mut b = two.encode();
        // Swap the two ids: 2 then 1.
        let at = |k: usize| 16 + k * (8 + 8 + 8 + 4 + 4 + 1 + 4);
        b[at(0)] = 2;
        b[at(1)] = 1;
        let e = Graph::decode(&b, "t").err().unwrap().to_string();
        assert!(e.contains("not by ascending id"), "{e}");
    }

    #[test]
    fn bad_edges_are_refused() {
        let what = || "edges[0]".to_owned();
        assert!(Edge::new(1, 1, 2, "").check(&what).is_err());
        assert!(Edge::new(1, 1, 2, "a\n").check(&what).is_err());
        assert!(Edge::new(1, 1, 2, &"x".repeat(257)).check(&what).is_err());
        assert!(Edge::new(1, 1, 2, "a")
            .with_weight(-1.0)
            .check(&what)
            .is_err());
        assert!(Edge::new(1, 1, 2, "a")
            .with_weight(f32::NAN)
            .check(&what)
            .is_err());
        assert!(Edge::new(1, 1, 2, "a")
            .with_properties("[1]")
            .check(&what)
            .is_err());
        assert!(Edge::new(1, 1, 2, "a")
            .with_properties("{")
            .check(&what)
            .is_err());
        assert!(Edge::new(1, 1, 2, "a")
            .with_properties("{}")
            .check(&what)
            .is_ok());
    }
}
