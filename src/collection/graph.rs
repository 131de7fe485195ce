//! Edges between points (see [`crate::graph`]): writes, reads, the label
//! schema, traversals and their mix with vector search.
//!
//! Edge writes are ordinary log records, group-committed and applied in
//! log order like upserts; deleting a point removes its edges in the same
//! record. The edges are saved as one snapshot file (`edges-<gen>.qv`)
//! whenever the optimizer commits a generation after they changed; the
//! manifest names the snapshot and the last record it holds, and replay
//! applies the later records only.

use super::ops;
use super::state::State;
use super::write::Job;
use super::Collection;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::graph::traverse::{self, GraphPath, PathQuery, Traversal, Visit};
use crate::graph::{check_label, Edge, Graph};
use crate::point::SearchParams;
use crate::storage::sealed_file::{write_sealed, FileKind, Identity, SealedFile};
use serde_json::{json, Map, Value};
use std::path::Path;

/// File name of the edge snapshot of generation `g`.
pub(super) fn edges_file_name(g: u64) -> String {
    format!("edges-{g:08}.qv")
}

/// Parses [`edges_file_name`] back.
pub(super) fn parse_edges_file_name(name: &str) -> Option<u64> {
    name.strip_prefix("edges-")?
        .strip_suffix(".qv")?
        .parse()
        .ok()
}

fn edges_identity(owner: u64, generation: u64) -> Identity {
    Identity {
        kind: FileKind::Edges,
        owner,
        segment: 0,
        generation,
    }
}

/// Writes the snapshot of `graph` as generation `generation` and makes
/// its directory entry durable.
pub(super) fn save_edges(dir: &Path, owner: u64, generation: u64, graph: &Graph) -> Result<()> {
    write_sealed(
        &dir.join(edges_file_name(generation)),
        edges_identity(owner, generation),
        &graph.encode(),
    )?;
    crate::storage::sync_dir(dir)
}

/// Reads the snapshot of generation `generation` (checksums verified).
pub(super) fn load_edges(dir: &Path, owner: u64, generation: u64) -> Result<Graph> {
    let p = dir.join(edges_file_name(generation));
    let f = SealedFile::open(&p, edges_identity(owner, generation))?;
    f.verify()?;
    Graph::decode(f.data(), &p.display().to_string())
}

/// What the edges of one label must join.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelRule {
    /// The label.
    pub label: String,
    /// The source point's payload must match this filter.
    pub source: Option<Filter>,
    /// The target point's payload must match this filter.
    pub target: Option<Filter>,
}

/// The labels a collection's edges may have and, per label, what their
/// end points must be; enforced on every edge written.
///
/// JSON form: `{"labels": {"hypernym": {"source": {filter},
/// "target": {filter}}, "similar": {}}}` (the filters in the filter
/// language; each is optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphSchema {
    /// The allowed labels, each once.
    pub labels: Vec<LabelRule>,
}

impl GraphSchema {
    /// The rule of `label`, if the schema allows it.
    pub fn rule(&self, label: &str) -> Option<&LabelRule> {
        self.labels.iter().find(|r| r.label == label)
    }

    /// Checks labels (each once) and filters.
    pub fn check(&self) -> Result<()> {
        for (i, r) in self.labels.iter().enumerate() {
            check_label(&r.label, &|| format!("schema labels[{i}]"))?;
            if self.labels[..i].iter().any(|o| o.label == r.label) {
                return Err(Error::invalid(format!(
                    "schema: label \"{}\" is given twice",
                    r.label
                )));
            }
            for f in [&r.source, &r.target].into_iter().flatten() {
                f.validate()
                    .map_err(|e| Error::invalid(format!("schema: label \"{}\": {e}", r.label)))?;
            }
        }
        Ok(())
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let mut labels = Map::new();
        for r in &self.labels {
            let mut o = Map::new();
            if let Some(f) = &r.source {
                o.insert("source".into(), f.to_json());
            }
            if let Some(f) = &r.target {
                o.insert("target".into(), f.to_json());
            }
            labels.insert(r.label.clone(), Value::Object(o));
        }
        json!({ "labels": labels })
    }

    /// Reads the JSON form (checked).
    pub fn from_json(v: &Value) -> Result<GraphSchema> {
        let o = v
            .as_object()
            .ok_or_else(|| Error::invalid("schema: not a JSON object"))?;
        if let Some(k) = o.keys().find(|k| *k != "labels") {
            return Err(Error::invalid(format!(
                "schema: unknown key \"{k}\" (expected \"labels\")"
            )));
        }
        let labels = o
            .get("labels")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::invalid("schema: \"labels\" is missing or not an object"))?;
        let mut s = GraphSchema::default();
        for (label, rule) in labels {
            let r = rule.as_object().ok_or_else(|| {
                Error::invalid(format!("schema: label \"{label}\": not a JSON object"))
            })?;
            if let Some(k) = r.keys().find(|k| *k != "source" && *k != "target") {
                return Err(Error::invalid(format!(
                    "schema: label \"{label}\": unknown key \"{k}\" (expected \"source\" or \"target\")"
                )));
            }
            let filter = |key: &str| -> Result<Option<Filter>> {
                r.get(key)
                    .map(|f| {
                        Filter::from_json(f).map_err(|e| {
                            Error::invalid(format!("schema: label \"{label}\": {key}: {e}"))
                        })
                    })
                    .transpose()
            };
            s.labels.push(LabelRule {
                label: label.clone(),
                source: filter("source")?,
                target: filter("target")?,
            });
        }
        s.check()?;
        Ok(s)
    }

    /// Parses the JSON text form.
    pub fn parse(json: &str) -> Result<GraphSchema> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| Error::invalid(format!("schema: not valid JSON: {e}")))?;
        GraphSchema::from_json(&v)
    }
}

impl Collection {
    /// Adds edges (or replaces the edges with their ids). The batch is
    /// checked whole first: each edge's label, weight and properties, that
    /// its source and target are points of the collection, and the label
    /// schema if one is set; on any error nothing is written. Within a
    /// batch, the last edge with a given id wins. Atomic and durable when
    /// it returns, like an upsert.
    pub fn add_edges(&self, edges: &[Edge]) -> Result<()> {
        self.check_writable()?;
        if edges.is_empty() {
            return Ok(());
        }
        let what = |i: usize| format!("edges[{i}] (id {})", edges[i].id);
        for (i, e) in edges.iter().enumerate() {
            e.check(&|| what(i))?;
        }
        // The last edge with an id wins; the record holds each id once.
        let mut order: Vec<usize> = (0..edges.len()).collect();
        order.sort_by_key(|&i| (edges[i].id, std::cmp::Reverse(i)));
        order.dedup_by_key(|i| edges[*i].id);
        order.sort_unstable();
        let batch: Vec<Edge> = order.iter().map(|&i| edges[i].clone()).collect();
        let body = ops::encode_add_edges(&batch);
        if body.len() > crate::storage::record_log::MAX_BODY {
            return Err(Error::invalid(format!(
                "these {} edges take {} bytes, more than the {} bytes of one write; add fewer per call",
                batch.len(),
                body.len(),
                crate::storage::record_log::MAX_BODY
            )));
        }
        // Exclusive: no write comes between the checks of the end points
        // and the edges' record.
        let _gate = self.write_gate.write();
        {
            let st = self.state.read();
            self.check_open()?;
            // Every edge of the batch, also one a later edge with its id
            // replaces: a batch that names a missing point is refused whole.
            for (i, e) in edges.iter().enumerate() {
                self.check_edge(&st, e, &|| what(i))?;
            }
        }
        self.logged_write(Job::AddEdges { edges: batch, body })
            .map(|_| ())
    }

    /// Checks that `e`'s end points exist and that the schema allows it.
    fn check_edge(&self, st: &State, e: &Edge, what: &dyn Fn() -> String) -> Result<()> {
        let mut locs = [None, None];
        for (k, (end, p)) in [("source", e.source), ("target", e.target)]
            .into_iter()
            .enumerate()
        {
            locs[k] = Some(st.find(p).ok_or_else(|| {
                Error::NotFound(format!(
                    "{}: its {end} point {p} is not in collection \"{}\"",
                    what(),
                    self.name
                ))
            })?);
        }
        let Some(schema) = &st.graph_schema else {
            return Ok(());
        };
        let rule = schema.rule(&e.label).ok_or_else(|| {
            let allowed: Vec<String> = schema
                .labels
                .iter()
                .map(|r| format!("\"{}\"", r.label))
                .collect();
            Error::invalid(format!(
                "{}: label \"{}\" is not in the graph schema of collection \"{}\" (it allows {})",
                what(),
                e.label.escape_debug(),
                self.name,
                if allowed.is_empty() {
                    "no label".to_owned()
                } else {
                    allowed.join(", ")
                }
            ))
        })?;
        for (k, (end, f, p)) in [
            ("source", &rule.source, e.source),
            ("target", &rule.target, e.target),
        ]
        .into_iter()
        .enumerate()
        {
            if let (Some(f), Some(loc)) = (f, locs[k]) {
                if !self.matches(st, loc, Some(f))? {
                    return Err(Error::invalid(format!(
                        "{}: its {end} point {p} does not match the schema's {end} filter for label \"{}\": {}",
                        what(),
                        e.label,
                        f.to_json()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Removes the edges with these ids; returns how many existed. Ids
    /// that do not exist are ignored. Durable when it returns.
    pub fn remove_edges(&self, ids: &[u64]) -> Result<usize> {
        self.check_writable()?;
        let mut present: Vec<u64> = {
            let st = self.state.read();
            ids.iter()
                .copied()
                .filter(|&id| st.graph.contains(id))
                .collect()
        };
        present.sort_unstable();
        present.dedup();
        if present.is_empty() {
            return Ok(0);
        }
        let _gate = self.write_gate.read();
        let body = ops::encode_remove_edges(&present);
        self.logged_write(Job::RemoveEdges { ids: present, body })
    }

    /// The edges with these ids (`None` for an id that has none).
    pub fn get_edges(&self, ids: &[u64]) -> Result<Vec<Option<Edge>>> {
        let st = self.state.read();
        self.check_open()?;
        let mut out = super::read::reserve(ids.len(), "the edges")?;
        out.extend(ids.iter().map(|&id| st.graph.get(id)));
        Ok(out)
    }

    /// The edges leaving `source` and/or reaching `target`, with `label`
    /// if given, by ascending edge id. With neither a source nor a target
    /// every edge (of the label) is returned, reading them all.
    pub fn find_edges(
        &self,
        source: Option<u64>,
        target: Option<u64>,
        label: Option<&str>,
    ) -> Result<Vec<Edge>> {
        if let Some(l) = label {
            crate::graph::check_label(l, &|| "label".to_owned())?;
        }
        let st = self.state.read();
        self.check_open()?;
        Ok(st.graph.find(source, target, label))
    }

    /// The number of edges reaching and leaving `point` (with `label` if
    /// given): `(in, out)`. An edge from the point to itself counts in
    /// both.
    pub fn degree(&self, point: u64, label: Option<&str>) -> Result<(usize, usize)> {
        if let Some(l) = label {
            crate::graph::check_label(l, &|| "label".to_owned())?;
        }
        let st = self.state.read();
        self.check_open()?;
        Ok(st.graph.degree(point, label))
    }

    /// Number of edges.
    pub fn edge_count(&self) -> Result<usize> {
        let st = self.state.read();
        self.check_open()?;
        Ok(st.graph.len())
    }

    /// The label schema, if one is set.
    pub fn graph_schema(&self) -> Result<Option<GraphSchema>> {
        let st = self.state.read();
        self.check_open()?;
        Ok(st.graph_schema.clone())
    }

    /// Sets (or with `None` removes) the label schema edges must follow
    /// from now on. Every existing edge must follow it too, or the call
    /// fails naming one that does not and changes nothing. Durable when it
    /// returns.
    pub fn set_graph_schema(&self, schema: Option<GraphSchema>) -> Result<()> {
        self.check_writable()?;
        if let Some(s) = &schema {
            s.check()?;
        }
        let _gate = self.write_gate.write();
        let _turn = self.turn.lock();
        let mut st = self.state.write();
        self.check_open()?;
        let old = std::mem::replace(&mut st.graph_schema, schema);
        if st.graph_schema.is_some() {
            let mut edges: Vec<u64> = st.graph.endpoints().map(|e| e.3).collect();
            edges.sort_unstable();
            for id in edges {
                let e = st.graph.get(id).expect("listed above");
                if let Err(x) = self.check_edge(&st, &e, &|| format!("existing edge {id}")) {
                    st.graph_schema = old;
                    return Err(x);
                }
            }
        }
        if let Err(e) = self.write_manifest(&mut st) {
            st.graph_schema = old;
            return Err(e);
        }
        Ok(())
    }

    /// Fails unless every id is a point of the collection.
    fn check_points(&self, st: &State, ids: &[u64], what: &str) -> Result<()> {
        for (i, &p) in ids.iter().enumerate() {
            if st.find(p).is_none() {
                return Err(Error::NotFound(format!(
                    "{what}[{i}]: point {p} is not in collection \"{}\"",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// Walks the edges from `starts` (points of the collection) as `t`
    /// says and returns the points reached: in the walk's order, each once,
    /// with its depth, start point and path.
    pub fn traverse(&self, starts: &[u64], t: &Traversal) -> Result<Vec<Visit>> {
        t.check()?;
        let st = self.state.read();
        self.check_open()?;
        self.check_points(&st, starts, "starts")?;
        self.walk(&st, starts, t)
    }

    fn walk(&self, st: &State, starts: &[u64], t: &Traversal) -> Result<Vec<Visit>> {
        let mut accept = |p: u64| match (&t.filter, st.find(p)) {
            (_, None) => Ok(false),
            (None, Some(_)) => Ok(true),
            (Some(f), Some(loc)) => self.matches(st, loc, Some(f)),
        };
        traverse::traverse(&st.graph, starts, t, &mut accept)
    }

    /// The shortest path from `from` to `to` (both points of the
    /// collection) as `q` says, or `None` when there is none.
    pub fn shortest_path(&self, from: u64, to: u64, q: &PathQuery) -> Result<Option<GraphPath>> {
        q.check()?;
        let st = self.state.read();
        self.check_open()?;
        for (what, p) in [("from", from), ("to", to)] {
            if st.find(p).is_none() {
                return Err(Error::NotFound(format!(
                    "{what}: point {p} is not in collection \"{}\"",
                    self.name
                )));
            }
        }
        Ok(traverse::shortest_path(&st.graph, from, to, q))
    }

    /// A vector search whose hits are then walked from, as `t` says: the
    /// hits (depth 0, when `t.min_depth` is 0) and the points reached,
    /// each once, in walk order from the best hit; each carries the score
    /// of the hit it was reached from.
    pub fn search_expand(
        &self,
        query: &[f32],
        params: &SearchParams,
        t: &Traversal,
    ) -> Result<Vec<Visit>> {
        t.check()?;
        let hits = self.search(query, params)?;
        self.expand_hits(&hits, t)
    }

    /// Walks from the given hits (of any search: vector, text, sparse,
    /// hybrid) as `t` says; see [`Collection::search_expand`]. Hits that
    /// were deleted meanwhile are skipped.
    pub fn expand_hits(
        &self,
        hits: &[crate::point::ScoredPoint],
        t: &Traversal,
    ) -> Result<Vec<Visit>> {
        t.check()?;
        let st = self.state.read();
        self.check_open()?;
        let starts: Vec<u64> = hits
            .iter()
            .map(|h| h.id)
            .filter(|&id| st.find(id).is_some())
            .collect();
        let mut visits = self.walk(&st, &starts, t)?;
        // The score of each id's first occurrence.
        let mut score = std::collections::HashMap::with_capacity(hits.len());
        for h in hits.iter().rev() {
            score.insert(h.id, h.score);
        }
        for v in &mut visits {
            v.score = score.get(&v.origin).copied();
        }
        Ok(visits)
    }

    /// The `k` points of a traversal most similar to `query`, best first
    /// (ties by ascending id), each with its score.
    pub fn rank_traversal(
        &self,
        starts: &[u64],
        t: &Traversal,
        query: &[f32],
        k: usize,
    ) -> Result<Vec<Visit>> {
        t.check()?;
        if self.config.kind == crate::collection::config::CollectionKind::MetadataOnly {
            return Err(Error::Unsupported(format!(
                "collection \"{}\" is metadata-only: it has no vectors to rank by",
                self.name
            )));
        }
        if k == 0 || k > super::search::MAX_K {
            return Err(Error::invalid(format!(
                "k is {k}; it must be 1 to {}",
                super::search::MAX_K
            )));
        }
        let mut q = query.to_vec();
        ops::check_vector(&self.config, &mut q, &|| "query".to_owned())?;
        let st = self.state.read();
        self.check_open()?;
        self.check_points(&st, starts, "starts")?;
        let visits = self.walk(&st, starts, t)?;
        let metric = self.config.metric;
        let dist = metric.distance_fn();
        let mut scored: Vec<(f32, Visit)> = visits
            .into_iter()
            .filter_map(|v| st.find(v.id).map(|loc| (dist(&q, st.vector_at(loc)), v)))
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        scored.truncate(k);
        Ok(scored
            .into_iter()
            .map(|(d, mut v)| {
                v.score = Some(metric.score(d));
                v
            })
            .collect())
    }
}
