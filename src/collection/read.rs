//! Reads by id: get, count, scroll.

use super::ops::parse_stored;
use super::state::{Loc, State};
use super::Collection;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::point::{Point, RawPoint, ScrollPage};

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
        self.get_raw(ids)?
            .into_iter()
            .map(|p| {
                p.map(|p| {
                    Ok(Point {
                        id: p.id,
                        vector: p.vector,
                        payload: p.payload.as_deref().map(parse_stored).transpose()?,
                    })
                })
                .transpose()
            })
            .collect()
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

    /// Up to `limit` ids, ascending, starting at `from` (inclusive; `None`
    /// starts at the smallest), of the points matching `filter` (all points
    /// when `None`). Pass the returned `next` as `from` to get the next page.
    pub fn scroll(
        &self,
        from: Option<u64>,
        limit: usize,
        filter: Option<&Filter>,
    ) -> Result<ScrollPage> {
        if limit == 0 {
            return Err(Error::invalid("scroll limit must be at least 1"));
        }
        let from = from.unwrap_or(0);
        let st = self.state.read();
        self.check_open()?;
        // Each segment's live ids >= from, ascending, merged.
        let mut runs: Vec<Vec<(u64, Loc)>> = Vec::new();
        let mut small: Vec<(u64, Loc)> = st
            .active
            .entries()
            .filter(|&(id, o)| id >= from && !st.active_deleted.get(o))
            .map(|(id, o)| (id, Loc::Active(o)))
            .collect();
        for (i, f) in st.frozen.iter().enumerate() {
            small.extend(
                f.seg
                    .entries()
                    .filter(|&(id, o)| id >= from && !f.deleted.get(o))
                    .map(|(id, o)| (id, Loc::Frozen(i, o))),
            );
        }
        small.sort_unstable_by_key(|e| e.0);
        runs.push(small);
        let mut ids = Vec::with_capacity(limit.min(1024));
        let mut next = None;
        let mut iters: Vec<Box<dyn Iterator<Item = (u64, Loc)> + '_>> = Vec::new();
        for run in runs {
            iters.push(Box::new(run.into_iter()));
        }
        for (i, s) in st.sealed.iter().enumerate() {
            iters.push(Box::new(
                s.seg
                    .offsets_from(from)
                    .filter(move |&o| !s.deleted.get(o))
                    .map(move |o| (s.seg.id(o), Loc::Sealed(i, o))),
            ));
        }
        let mut heads: Vec<Option<(u64, Loc)>> = iters.iter_mut().map(|it| it.next()).collect();
        while let Some((k, _)) = heads
            .iter()
            .enumerate()
            .filter_map(|(k, h)| h.map(|h| (k, h.0)))
            .min_by_key(|&(_, id)| id)
        {
            let (id, loc) = heads[k].expect("chosen head exists");
            heads[k] = iters[k].next();
            if !self.matches(&st, loc, filter)? {
                continue;
            }
            if ids.len() == limit {
                next = Some(id);
                break;
            }
            ids.push(id);
        }
        Ok(ScrollPage { ids, next })
    }

    /// Whether the point at `loc` matches `filter` (always, without one).
    pub(super) fn matches(&self, st: &State, loc: Loc, filter: Option<&Filter>) -> Result<bool> {
        let Some(f) = filter else { return Ok(true) };
        let value = match st.payload_at(loc)? {
            Some(b) => Some(parse_stored(&b)?),
            None => None,
        };
        Ok(f.matches_point(st.id_at(loc), value.as_ref()))
    }
}
