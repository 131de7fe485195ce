//! Field indexes of a collection: declaring them (with an online backfill),
//! the per-segment files, and the three-valued evaluation of a filter over
//! them that the search planner starts from.
//!
//! Creating an index builds it for every segment while searches and writes
//! go on: sealed and frozen segments are immutable and are indexed without
//! any lock but the optimizer's (no optimization runs meanwhile); then,
//! under the write lock, the appendable segment (at most the segment
//! limits' points) and any segment frozen meanwhile. Writes wait for that
//! last part only. The definition becomes
//! durable with a new manifest generation, and is used from then on.

use super::manifest::Manifest;
use super::state::{Fields, State};
use super::Collection;
use crate::error::{Error, Result};
use crate::filter::{FieldPath, Filter};
use crate::index::text::TextConfig;
use crate::segment::bits::Bits;
use crate::segment::component::PointSource;
use crate::segment::field_index::{FieldIndex, FieldIndexDef, FieldKind};
use crate::segment::sealed::Sealed;
use crate::storage::sealed_file::{write_sealed, FileKind, Identity, SealedFile};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// Name of the file of field index `id` in a segment directory.
pub(super) fn file_name(id: u64) -> String {
    format!("field-{id}.qv")
}

/// Parses [`file_name`] back.
pub(super) fn parse_file_name(name: &str) -> Option<u64> {
    name.strip_prefix("field-")?
        .strip_suffix(".qv")?
        .parse()
        .ok()
}

fn identity(owner: u64, segment: u64, id: u64) -> Identity {
    Identity {
        kind: FileKind::FieldIndex,
        owner,
        segment,
        generation: id,
    }
}

fn file_path(seg: &Sealed, id: u64) -> PathBuf {
    seg.dir.join(file_name(id))
}

/// Builds the index `def` over the points of `src` from `from` on, into
/// `ix`.
fn fill(
    ix: &mut FieldIndex,
    def: &FieldIndexDef,
    src: &dyn PointSource,
    from: u32,
    what: &dyn Fn(u32) -> String,
) -> Result<()> {
    for o in from..src.len() as u32 {
        let value =
            match src.payload_bytes(o)? {
                Some(b) => Some(serde_json::from_slice::<Value>(&b).map_err(|e| {
                    Error::corrupt(format!("{}: payload is not JSON: {e}", what(o)))
                })?),
                None => None,
            };
        ix.add(o, &def.path, value.as_ref());
    }
    ix.extend_to(src.len() as u32);
    Ok(())
}

/// Builds, seals and saves index `def` of sealed segment `seg`.
fn build_one(seg: &Sealed, def: &FieldIndexDef, owner: u64) -> Result<Arc<FieldIndex>> {
    let mut ix = FieldIndex::for_def(def);
    fill(&mut ix, def, seg, 0, &|o| {
        format!("segment {} offset {o}", seg.id)
    })?;
    let ix = ix.seal();
    write_sealed(
        &file_path(seg, def.id),
        identity(owner, seg.id, def.id),
        &ix.encode(),
    )?;
    Ok(Arc::new(ix))
}

/// Builds and saves every index of `defs` for a newly written segment.
pub(super) fn build_sealed(seg: &Sealed, defs: &[FieldIndexDef], owner: u64) -> Result<Fields> {
    let fields = defs
        .iter()
        .map(|d| Ok((d.id, build_one(seg, d, owner)?)))
        .collect::<Result<Fields>>()?;
    if !defs.is_empty() {
        crate::storage::sync_dir(&seg.dir)?;
    }
    Ok(fields)
}

/// Opens every index of `defs` of segment `seg`; one whose file is missing
/// or damaged is rebuilt from the payloads (and saved), and `rebuilt` says
/// so.
pub(super) fn open_sealed(
    seg: &Sealed,
    defs: &[FieldIndexDef],
    owner: u64,
    rebuilt: &mut Vec<String>,
) -> Result<Fields> {
    let mut out = Vec::with_capacity(defs.len());
    for d in defs {
        let p = file_path(seg, d.id);
        let opened = SealedFile::open(&p, identity(owner, seg.id, d.id)).and_then(|f| {
            f.verify()?;
            FieldIndex::decode(f.data(), d, seg.len() as u32, &p.display().to_string())
        });
        let ix = match opened {
            Ok(ix) => Arc::new(ix),
            Err(why) => {
                rebuilt.push(format!(
                    "segment {}: field index on \"{}\" rebuilt from the payloads ({why})",
                    seg.id, d.path
                ));
                let ix = build_one(seg, d, owner)?;
                crate::storage::sync_dir(&seg.dir)?;
                ix
            }
        };
        out.push((d.id, ix));
    }
    Ok(out)
}

/// A declared field index, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldIndexInfo {
    /// The payload field (dotted path).
    pub field: String,
    /// Its kind.
    pub kind: FieldKind,
    /// Bytes of heap its segments' indexes hold.
    pub ram_bytes: u64,
    /// Bytes of its files.
    pub disk_bytes: u64,
}

impl Collection {
    /// Creates an index of kind `kind` on the payload field `field` (a
    /// dotted path) and builds it over every point: searches and writes go
    /// on meanwhile (writes wait while the appendable segment is indexed,
    /// at the end); the background optimizer waits. Durable when it
    /// returns. Fails with `AlreadyExists` if `field` has an index.
    ///
    /// A field may have one value index (keyword, integer, float, bool or
    /// datetime) and one text index; `FieldKind::Text` here makes a text
    /// index with the default [`TextConfig`] (see
    /// [`Collection::create_text_index`]).
    pub fn create_field_index(&self, field: &str, kind: FieldKind) -> Result<()> {
        let text = (kind == FieldKind::Text).then(TextConfig::default);
        self.create_index(field, kind, text)
    }

    /// Creates a full-text index on the payload field `field` (its string,
    /// or the strings of an array), analyzing and scoring as `config`
    /// says, and builds it over every point, as
    /// [`Collection::create_field_index`]. It serves
    /// [`Collection::text_search`] and the filter's `text` conditions.
    /// Fails with `AlreadyExists` if `field` has a text index.
    pub fn create_text_index(&self, field: &str, config: TextConfig) -> Result<()> {
        config.validate()?;
        self.create_index(field, FieldKind::Text, Some(config))
    }

    fn create_index(&self, field: &str, kind: FieldKind, text: Option<TextConfig>) -> Result<()> {
        let path = FieldPath::parse(field).map_err(|e| Error::invalid(format!("field: {e}")))?;
        self.check_writable()?;
        let _one = self.optimizing.lock();
        let (def, sealed, frozen) = {
            let st = self.state.read();
            let is_text = kind == FieldKind::Text;
            if st
                .field_defs
                .iter()
                .any(|d| d.path == path && d.is_text() == is_text)
            {
                return Err(Error::AlreadyExists(format!(
                    "a {} index on \"{field}\" in collection \"{}\"",
                    if is_text { "text" } else { "field" },
                    self.name
                )));
            }
            let def = match text {
                Some(c) => FieldIndexDef::text(st.next_field_id, path, c),
                None => FieldIndexDef::value(st.next_field_id, path, kind),
            };
            let sealed: Vec<Arc<Sealed>> = st.sealed.iter().map(|s| Arc::clone(&s.seg)).collect();
            let frozen: Vec<_> = st.frozen.iter().map(|f| Arc::clone(&f.seg)).collect();
            (def, sealed, frozen)
        };
        let mut written = Vec::new();
        let built = (|| -> Result<_> {
            let mut s_fields = Vec::new();
            for seg in &sealed {
                written.push(file_path(seg, def.id));
                s_fields.push((seg.id, build_one(seg, &def, self.uid)?));
                crate::storage::sync_dir(&seg.dir)?;
            }
            let mut f_fields = Vec::new();
            for seg in &frozen {
                let mut ix = FieldIndex::for_def(&def);
                fill(&mut ix, &def, &**seg, 0, &|o| {
                    format!("frozen segment {} offset {o}", seg.id)
                })?;
                f_fields.push((seg.id, Arc::new(ix)));
            }
            Ok((s_fields, f_fields))
        })();
        let remove_written = || {
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
        };
        let (s_fields, f_fields) = built.inspect_err(|_| remove_written())?;
        // Under the write lock: the appendable segment (at most the
        // segment limits' points), and segments frozen meanwhile. Nothing
        // in the state changes until every segment has its index.
        let _turn = self.turn.lock();
        let mut st = self.state.write();
        let mut late_files = Vec::new();
        let mut complete = || -> Result<_> {
            let mut frozen_ix = Vec::new();
            for f in &st.frozen {
                frozen_ix.push(match f_fields.iter().find(|(id, _)| *id == f.seg.id) {
                    Some((_, ix)) => Arc::clone(ix),
                    None => {
                        let mut ix = FieldIndex::for_def(&def);
                        fill(&mut ix, &def, &*f.seg, 0, &|o| {
                            format!("frozen segment {} offset {o}", f.seg.id)
                        })?;
                        Arc::new(ix)
                    }
                });
            }
            let mut sealed_ix = Vec::new();
            for s in &st.sealed {
                // Every sealed segment was indexed above (only the
                // optimizer, which waits, adds sealed segments).
                sealed_ix.push(match s_fields.iter().find(|(id, _)| *id == s.seg.id) {
                    Some((_, ix)) => Arc::clone(ix),
                    None => {
                        late_files.push(file_path(&s.seg, def.id));
                        build_one(&s.seg, &def, self.uid)?
                    }
                });
            }
            let mut active_ix = FieldIndex::for_def(&def);
            fill(&mut active_ix, &def, &st.active, 0, &|o| {
                format!("appendable segment offset {o}")
            })?;
            Ok((frozen_ix, sealed_ix, active_ix))
        };
        let completed = complete();
        let undo_files = || {
            remove_written();
            for p in &late_files {
                let _ = std::fs::remove_file(p);
            }
        };
        let (frozen_ix, sealed_ix, active_ix) = completed.inspect_err(|_| undo_files())?;
        for (f, ix) in st.frozen.iter_mut().zip(frozen_ix) {
            f.fields.push((def.id, ix));
        }
        for (s, ix) in st.sealed.iter_mut().zip(sealed_ix) {
            s.fields.push((def.id, ix));
        }
        st.active_fields.push((def.id, active_ix));
        let id = def.id;
        st.field_defs.push(def);
        // Ids are never reused, even when this fails: a manifest that did
        // reach the disk may name it.
        st.next_field_id += 1;
        if let Err(e) = self.write_manifest(&mut st) {
            // Not durable: take it back.
            st.field_defs.pop();
            forget(&mut st, Some(id));
            drop(st);
            undo_files();
            return Err(e);
        }
        Ok(())
    }

    /// Drops the value index (keyword, integer, float, bool or datetime)
    /// on `field`. Durable when it returns. Fails with `NotFound` if there
    /// is none.
    pub fn drop_field_index(&self, field: &str) -> Result<()> {
        self.drop_index(field, false)
    }

    /// Drops the text index on `field`. Durable when it returns. Fails
    /// with `NotFound` if there is none.
    pub fn drop_text_index(&self, field: &str) -> Result<()> {
        self.drop_index(field, true)
    }

    fn drop_index(&self, field: &str, text: bool) -> Result<()> {
        let path = FieldPath::parse(field).map_err(|e| Error::invalid(format!("field: {e}")))?;
        self.check_writable()?;
        let _one = self.optimizing.lock();
        let _turn = self.turn.lock();
        let mut st = self.state.write();
        let Some(pos) = st
            .field_defs
            .iter()
            .position(|d| d.path == path && d.is_text() == text)
        else {
            return Err(Error::NotFound(format!(
                "a {} index on \"{field}\" in collection \"{}\"",
                if text { "text" } else { "field" },
                self.name
            )));
        };
        let def = st.field_defs.remove(pos);
        if let Err(e) = self.write_manifest(&mut st) {
            st.field_defs.insert(pos, def);
            return Err(e);
        }
        forget(&mut st, Some(def.id));
        let dirs: Vec<PathBuf> = st.sealed.iter().map(|s| s.seg.dir.clone()).collect();
        drop(st);
        for d in dirs {
            let _ = std::fs::remove_file(d.join(file_name(def.id)));
        }
        Ok(())
    }

    /// The collection's field indexes, in creation order.
    pub fn field_indexes(&self) -> Result<Vec<FieldIndexInfo>> {
        let st = self.state.read();
        self.check_open()?;
        Ok(st
            .field_defs
            .iter()
            .map(|d| {
                let ram = |f: &Fields| {
                    f.iter()
                        .filter(|(id, _)| *id == d.id)
                        .map(|(_, ix)| ix.ram_bytes())
                        .sum::<u64>()
                };
                let disk = st
                    .sealed
                    .iter()
                    .map(|s| {
                        std::fs::metadata(s.seg.dir.join(file_name(d.id))).map_or(0, |m| m.len())
                    })
                    .sum();
                FieldIndexInfo {
                    field: d.path.as_str().to_owned(),
                    kind: d.kind,
                    ram_bytes: st.sealed.iter().map(|s| ram(&s.fields)).sum::<u64>()
                        + st.frozen.iter().map(|f| ram(&f.fields)).sum::<u64>()
                        + st.active_fields
                            .iter()
                            .filter(|(id, _)| *id == d.id)
                            .map(|(_, ix)| ix.ram_bytes())
                            .sum::<u64>(),
                    disk_bytes: disk,
                }
            })
            .collect())
    }

    /// Writes the next manifest generation with the state's segments as
    /// they are saved (same applied sequence, same deleted sets) and its
    /// field index definitions.
    pub(super) fn write_manifest(&self, st: &mut State) -> Result<()> {
        let generation = st.generation + 1;
        let m = Manifest {
            generation,
            applied_seq: st.applied_seq,
            log_start: st.log_start,
            next_segment_id: st.next_segment_id,
            segments: st
                .sealed
                .iter()
                .map(|s| super::manifest::SegmentEntry {
                    id: s.seg.id,
                    points: s.seg.len() as u64,
                    deleted_generation: s.saved_gen,
                })
                .collect(),
            field_indexes: st.field_defs.clone(),
            next_field_id: st.next_field_id,
            edges: st.graph_saved,
            graph_schema: st.graph_schema.as_ref().map(|s| s.to_json()),
        };
        m.write(&self.dir, self.uid)?;
        if let Err(e) = crate::storage::sync_dir(&self.dir) {
            self.set_read_only(e.to_string());
            return Err(e);
        }
        st.generation = generation;
        Ok(())
    }
}

/// Removes index `id` from every segment of the state.
fn forget(st: &mut State, id: Option<u64>) {
    let Some(id) = id else { return };
    st.active_fields.retain(|(d, _)| *d != id);
    for f in &mut st.frozen {
        f.fields.retain(|(d, _)| *d != id);
    }
    for s in &mut st.sealed {
        s.fields.retain(|(d, _)| *d != id);
    }
}

/// A filter evaluated over a segment's field indexes: the offsets that
/// match for sure and those to check against their payload.
pub(super) struct Tri {
    pub yes: Bits,
    pub maybe: Bits,
}

/// Whether `f` has a `has_id` condition (which a segment answers from its
/// id map, without any field index).
pub(super) fn names_ids(f: &Filter) -> bool {
    matches!(f, Filter::HasId(_)) || f.children().iter().any(names_ids)
}

/// Evaluates `f` over the indexes `fields` of a segment of `len` offsets
/// (Kleene logic: a condition without an index is "maybe" everywhere);
/// `has_id` is answered with `lookup` (id to offset in the segment).
/// `used` is set when an index answered a condition.
pub(super) fn tri(
    f: &Filter,
    defs: &[FieldIndexDef],
    fields: &[(u64, &FieldIndex)],
    len: usize,
    lookup: &dyn Fn(u64) -> Option<u32>,
    used: &mut bool,
) -> Tri {
    match f {
        Filter::And(fs) => {
            let mut yes = Bits::ones(len);
            let mut any = Bits::ones(len);
            for c in fs {
                let t = tri(c, defs, fields, len, lookup, used);
                let mut any_c = t.yes.clone();
                any_c.or(&t.maybe);
                yes.and(&t.yes);
                any.and(&any_c);
            }
            any.and_not(&yes);
            Tri { yes, maybe: any }
        }
        Filter::Or(fs) => {
            let mut yes = Bits::zeros(len);
            let mut maybe = Bits::zeros(len);
            for c in fs {
                let t = tri(c, defs, fields, len, lookup, used);
                yes.or(&t.yes);
                maybe.or(&t.maybe);
            }
            maybe.and_not(&yes);
            Tri { yes, maybe }
        }
        Filter::Not(c) => negate(tri(c, defs, fields, len, lookup, used)),
        Filter::Ne(p, v) => negate(tri(
            &Filter::Eq(p.clone(), v.clone()),
            defs,
            fields,
            len,
            lookup,
            used,
        )),
        Filter::HasId(ids) => {
            *used = true;
            let mut yes = Bits::zeros(len);
            for &id in ids {
                if let Some(o) = lookup(id).filter(|&o| (o as usize) < len) {
                    yes.set(o);
                }
            }
            Tri {
                yes,
                maybe: Bits::zeros(len),
            }
        }
        leaf => {
            let text = matches!(leaf, Filter::Text(..));
            let answered = leaf.field().and_then(|p| {
                let d = defs.iter().find(|d| &d.path == p && d.is_text() == text)?;
                let (_, ix) = fields.iter().find(|(id, _)| *id == d.id)?;
                ix.lookup(leaf, len)
            });
            match answered {
                Some((yes, maybe)) => {
                    *used = true;
                    Tri { yes, maybe }
                }
                None => Tri {
                    yes: Bits::zeros(len),
                    maybe: Bits::ones(len),
                },
            }
        }
    }
}

fn negate(t: Tri) -> Tri {
    let mut yes = t.yes;
    yes.or(&t.maybe);
    yes.invert();
    Tri {
        yes,
        maybe: t.maybe,
    }
}
