//! Reads by id: get, count, scroll.

use super::fields::Tri;
use super::ops::{parse_stored, parse_stored_keys};
use super::state::{Loc, Seg, SegView, State};
use super::Collection;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::sparse::{self, SparseVector};
use crate::point::{Cursor, OrderBy, Point, PointsPage, RawPoint, ScrollPage, ScrollRequest};
use crate::segment::field_index::FieldKind;
use serde_json::Value;

/// Reserves room for `n` values or reports the request as too large.
pub(crate) fn reserve<T>(n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::OutOfMemory(format!(
            "cannot reserve {n} entries of {} bytes for {what}",
            std::mem::size_of::<T>()
        ))
    })?;
    Ok(v)
}

impl Collection {
    /// The points with these ids, in the same order; `None` where an id does
    /// not exist.
    pub fn get(&self, ids: &[u64]) -> Result<Vec<Option<Point>>> {
        let mut out = reserve(ids.len(), "the points asked for")?;
        let st = self.state.read();
        self.check_open()?;
        for &id in ids {
            out.push(match st.find(id) {
                Some(loc) => Some(Point {
                    id,
                    vector: st.vector_at(loc).to_vec(),
                    payload: st
                        .payload_at(loc)?
                        .as_deref()
                        .map(parse_stored)
                        .transpose()?,
                    sparse: match st.sparse_at(loc)? {
                        Some(b) => sparse::to_named(&b, &|| format!("point {id}"))?,
                        None => Vec::new(),
                    },
                }),
                None => None,
            });
        }
        Ok(out)
    }

    /// The sparse vectors called `name` of the points `ids`, in the same
    /// order: `None` where the point does not exist or has no vector of
    /// that name.
    pub fn get_sparse(&self, ids: &[u64], name: &str) -> Result<Vec<Option<SparseVector>>> {
        sparse::check_name(name, &|| "get_sparse".to_owned())?;
        let mut out = reserve(ids.len(), "the sparse vectors asked for")?;
        let st = self.state.read();
        self.check_open()?;
        for &id in ids {
            let blob = match st.find(id) {
                Some(loc) => st.sparse_at(loc)?,
                None => None,
            };
            out.push(match blob {
                Some(b) => {
                    sparse::find(&b, name, &|| format!("point {id}"))?.map(|v| v.to_vector())
                }
                None => None,
            });
        }
        Ok(out)
    }

    /// Like [`Collection::get`], with each payload as the exact bytes it was
    /// written with.
    pub fn get_raw(&self, ids: &[u64]) -> Result<Vec<Option<RawPoint>>> {
        let mut out = reserve(ids.len(), "the points asked for")?;
        let st = self.state.read();
        self.check_open()?;
        for &id in ids {
            out.push(match st.find(id) {
                Some(loc) => Some(RawPoint {
                    id,
                    vector: st.vector_at(loc).to_vec(),
                    payload: st.payload_at(loc)?,
                }),
                None => None,
            });
        }
        Ok(out)
    }

    /// Number of points.
    pub fn count(&self) -> Result<usize> {
        let st = self.state.read();
        self.check_open()?;
        Ok(st.live())
    }

    /// Number of points matching `filter` (all points when `None`), exactly.
    /// Conditions on indexed fields are answered by the field indexes; the
    /// others are evaluated on the payloads the indexes leave open.
    pub fn count_where(&self, filter: Option<&Filter>) -> Result<usize> {
        let st = self.state.read();
        self.check_open()?;
        let Some(f) = filter else {
            return Ok(st.live());
        };
        let mut n = 0;
        for seg in st.segments() {
            let m = self.matcher(&st, seg, Some(f));
            n += m.count(self, &st)?;
        }
        Ok(n)
    }

    /// Up to `limit` ids, ascending, starting at `from` (inclusive; `None`
    /// starts at the smallest), of the points matching `filter` (all points
    /// when `None`). Pass the returned `next` as `from` to get the next page.
    pub fn scroll(
        &self,
        from: Option<u64>,
        limit: usize,
        filter: Option<&Filter>,
    ) -> Result<ScrollPage> {
        let req = ScrollRequest {
            filter: filter.cloned(),
            limit,
            cursor: from.map(Cursor::Id),
            order_by: None,
            with_vectors: false,
            with_payload: false,
        };
        let page = self.scroll_points(&req)?;
        Ok(ScrollPage {
            ids: page.points.into_iter().map(|p| p.id).collect(),
            next: match page.next {
                Some(Cursor::Id(id)) => Some(id),
                _ => None,
            },
        })
    }

    /// One page of the points matching `req.filter`, in ascending id order
    /// or, with `req.order_by`, by the values of an indexed integer, float
    /// or datetime field (ties by ascending id), starting at `req.cursor`
    /// (`None`: the first page). Pass the returned `next` back, with the
    /// same request otherwise, for the next page; it is `None` after the
    /// last one. Each page is read at once from the collection as it is
    /// then: a point that exists and keeps its sort value throughout a
    /// scroll is returned exactly once, whatever is written meanwhile.
    ///
    /// With `order_by`, a point is ordered by its smallest value of the
    /// index's kind (the largest when descending); points without such a
    /// value are not returned. Fails with `InvalidArgument` if `limit` is
    /// 0 or the field has no integer, float or datetime index, or the
    /// cursor does not belong to this kind of scroll.
    pub fn scroll_points(&self, req: &ScrollRequest) -> Result<PointsPage> {
        if req.limit == 0 {
            return Err(Error::invalid("scroll limit must be at least 1"));
        }
        if let Some(f) = &req.filter {
            f.validate()?;
        }
        let st = self.state.read();
        self.check_open()?;
        let filter = req.filter.as_ref();
        let picked: Vec<Loc>;
        let next: Option<Cursor>;
        match &req.order_by {
            None => {
                let from = match req.cursor {
                    None => 0,
                    Some(Cursor::Id(id)) => id,
                    Some(Cursor::Ordered { .. }) => {
                        return Err(Error::invalid(
                            "cursor: an ordered scroll's cursor was given to a scroll by id",
                        ))
                    }
                };
                let (locs, more) = self.scroll_by_id(&st, from, req.limit, filter)?;
                next = more.map(Cursor::Id);
                picked = locs;
            }
            Some(order) => {
                let after =
                    match &req.cursor {
                        None => None,
                        Some(Cursor::Ordered { order: o, key, id }) if o == order => {
                            Some((*key, *id))
                        }
                        Some(Cursor::Ordered { order: o, .. }) => {
                            return Err(Error::invalid(format!(
                            "cursor: it continues a scroll ordered by \"{}\" {}, not by \"{}\" {}",
                            o.field,
                            if o.descending { "descending" } else { "ascending" },
                            order.field,
                            if order.descending { "descending" } else { "ascending" }
                        )))
                        }
                        Some(Cursor::Id(_)) => {
                            return Err(Error::invalid(
                                "cursor: a scroll by id's cursor was given to an ordered scroll",
                            ))
                        }
                    };
                (picked, next) = self.scroll_ordered(&st, order, after, req.limit, filter)?;
            }
        }
        let mut points = reserve(picked.len(), "the points of a scroll page")?;
        for loc in picked {
            points.push(RawPoint {
                id: st.id_at(loc),
                vector: if req.with_vectors {
                    st.vector_at(loc).to_vec()
                } else {
                    Vec::new()
                },
                payload: if req.with_payload {
                    st.payload_at(loc)?
                } else {
                    None
                },
            });
        }
        Ok(PointsPage { points, next })
    }

    /// The first `limit` matching points with ids `>= from`, ascending, and
    /// the id to continue from.
    fn scroll_by_id(
        &self,
        st: &State,
        from: u64,
        limit: usize,
        filter: Option<&Filter>,
    ) -> Result<(Vec<Loc>, Option<u64>)> {
        // Each segment's live ids >= from, ascending, merged.
        let mut iters: Vec<(IdRun<'_>, Matcher<'_>, Seg)> = Vec::new();
        for seg in st.segments() {
            let which = seg.seg;
            let m = self.matcher(st, seg, filter);
            let it: IdRun<'_> = match which {
                Seg::Sealed(i) => {
                    let s = &st.sealed[i].seg;
                    Box::new(s.offsets_from(from).map(move |o| (s.id(o), o)))
                }
                Seg::Frozen(_) | Seg::Active => {
                    let entries: Box<dyn Iterator<Item = (u64, u32)>> = match which {
                        Seg::Frozen(i) => Box::new(st.frozen[i].seg.entries()),
                        _ => Box::new(st.active.entries()),
                    };
                    let mut v: Vec<(u64, u32)> = entries.filter(|&(id, _)| id >= from).collect();
                    v.sort_unstable();
                    Box::new(v.into_iter())
                }
            };
            iters.push((it, m, which));
        }
        let mut heads: Vec<Option<(u64, u32)>> = iters.iter_mut().map(|it| it.0.next()).collect();
        let mut out = Vec::with_capacity(limit.min(1024));
        while let Some((k, id)) = heads
            .iter()
            .enumerate()
            .filter_map(|(k, h)| h.map(|h| (k, h.0)))
            .min_by_key(|&(_, id)| id)
        {
            let (_, o) = heads[k].expect("chosen head exists");
            heads[k] = iters[k].0.next();
            let loc = iters[k].2.at(o);
            if !iters[k].1.test(self, st, o)? {
                continue;
            }
            if out.len() == limit {
                return Ok((out, Some(id)));
            }
            out.push(loc);
        }
        Ok((out, None))
    }

    /// The first `limit` matching points after `after` in the order of
    /// `order`, with their keys, and the cursor past the last of them.
    fn scroll_ordered(
        &self,
        st: &State,
        order: &OrderBy,
        after: Option<(u64, u64)>,
        limit: usize,
        filter: Option<&Filter>,
    ) -> Result<(Vec<Loc>, Option<Cursor>)> {
        let path = crate::filter::FieldPath::parse(&order.field)
            .map_err(|e| Error::invalid(format!("order_by: {e}")))?;
        let def = st
            .field_defs
            .iter()
            .find(|d| {
                d.path == path
                    && matches!(
                        d.kind,
                        FieldKind::Integer | FieldKind::Float | FieldKind::Datetime
                    )
            })
            .ok_or_else(|| {
                Error::invalid(format!(
                    "order_by: field \"{}\" has no integer, float or datetime index; create one to order by it",
                    order.field
                ))
            })?;
        // (key, id, loc) of every matching point past the cursor.
        let mut all: Vec<(u64, u64, Loc)> = Vec::new();
        for seg in st.segments() {
            // Every segment has every declared index (a new one is declared
            // once all segments have it; new segments are indexed first).
            let Some(ix) = seg.fields.iter().find(|(d, _)| *d == def.id).map(|f| f.1) else {
                return Err(Error::corrupt(format!(
                    "order_by: a segment has no index on \"{}\" although the collection declares one",
                    order.field
                )));
            };
            let m = self.matcher(st, seg, filter);
            let keys = ix.sort_keys(order.descending);
            for (o, key) in keys {
                let loc = m.seg.seg.at(o);
                let id = st.id_at(loc);
                if after.is_some_and(|a| (key, id) <= a) {
                    continue;
                }
                if m.test(self, st, o)? {
                    all.push((key, id, loc));
                }
            }
        }
        let more = all.len() > limit;
        if more {
            all.select_nth_unstable_by_key(limit, |e| (e.0, e.1));
            all.truncate(limit);
        }
        all.sort_unstable_by_key(|e| (e.0, e.1));
        let next = more
            .then(|| {
                all.last().map(|&(key, id, _)| Cursor::Ordered {
                    order: order.clone(),
                    key,
                    id,
                })
            })
            .flatten();
        Ok((all.into_iter().map(|e| e.2).collect(), next))
    }

    /// Whether the point at `loc` matches `filter` (always, without one).
    pub(super) fn matches(&self, st: &State, loc: Loc, filter: Option<&Filter>) -> Result<bool> {
        let Some(f) = filter else { return Ok(true) };
        // Only the fields the filter reads are built from the payload.
        let keys = f.top_keys();
        let parse = |b: &[u8]| match &keys {
            Some(k) if k.is_empty() => Ok(Value::Object(Default::default())),
            Some(k) => parse_stored_keys(b, k),
            None => parse_stored(b),
        };
        let value = match loc {
            Loc::Sealed(i, o) => st.sealed[i].seg.payload(o).map(parse).transpose()?,
            _ => st.payload_at(loc)?.map(|b| parse(&b)).transpose()?,
        };
        let analyzers = |p: &crate::filter::FieldPath| {
            st.field_defs
                .iter()
                .find(|d| d.is_text() && &d.path == p)
                .and_then(|d| d.text.as_deref())
        };
        Ok(f.matches_point_with(st.id_at(loc), value.as_ref(), &analyzers))
    }

    /// How to test the points of `seg` against `filter`: by its field
    /// indexes where they answer, by the payload otherwise.
    pub(super) fn matcher<'a>(
        &self,
        st: &'a State,
        seg: SegView<'a>,
        filter: Option<&'a Filter>,
    ) -> Matcher<'a> {
        let tri =
            filter.and_then(|f| self.candidates(st, f, &seg.fields, seg.len, seg.deleted, seg.seg));
        Matcher { seg, filter, tri }
    }

    /// Every live point matching `filter`, segment by segment.
    pub(super) fn matching_locs(&self, st: &State, filter: &Filter) -> Result<Vec<Loc>> {
        let mut out = Vec::new();
        for seg in st.segments() {
            let m = self.matcher(st, seg, Some(filter));
            for o in 0..m.seg.len as u32 {
                let loc = m.seg.seg.at(o);
                if m.test(self, st, o)? {
                    out.push(loc);
                }
            }
        }
        Ok(out)
    }
}

/// A segment's `(id, offset)` pairs in ascending id order.
type IdRun<'a> = Box<dyn Iterator<Item = (u64, u32)> + 'a>;

/// A filter prepared for the points of one segment.
pub(super) struct Matcher<'a> {
    seg: SegView<'a>,
    filter: Option<&'a Filter>,
    tri: Option<Tri>,
}

impl Matcher<'_> {
    /// Whether the point at offset `o` is live and matches.
    pub(super) fn test(&self, coll: &Collection, st: &State, o: u32) -> Result<bool> {
        if self.seg.deleted.get(o) {
            return Ok(false);
        }
        let loc = self.seg.seg.at(o);
        match (&self.tri, self.filter) {
            (_, None) => Ok(true),
            // The candidates have the deleted points removed already.
            (Some(t), Some(f)) => {
                Ok(t.yes.get(o) || (t.maybe.get(o) && coll.matches(st, loc, Some(f))?))
            }
            (None, Some(f)) => coll.matches(st, loc, Some(f)),
        }
    }

    /// Number of live matching points.
    fn count(&self, coll: &Collection, st: &State) -> Result<usize> {
        match &self.tri {
            _ if self.filter.is_none() => Ok(self.seg.len - self.seg.deleted.count()),
            // Sure matches are counted, only the others are checked.
            Some(t) => {
                let mut n = t.yes.count();
                for o in t.maybe.iter() {
                    n += usize::from(self.test(coll, st, o)?);
                }
                Ok(n)
            }
            None => {
                let mut n = 0;
                for o in 0..self.seg.len as u32 {
                    n += usize::from(self.test(coll, st, o)?);
                }
                Ok(n)
            }
        }
    }
}
