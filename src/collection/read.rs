//! Reads by id: get, count, scroll.

use super::Collection;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::point::{Point, ScrollPage};

impl Collection {
    /// The points with these ids, in the same order; `None` where an id does
    /// not exist.
    pub fn get(&self, ids: &[u64]) -> Result<Vec<Option<Point>>> {
        let st = self.state.read();
        self.check_open()?;
        Ok(ids
            .iter()
            .map(|id| {
                st.id_map.get(id).map(|&slot| Point {
                    id: *id,
                    vector: st.vector_of(slot).to_vec(),
                    payload: st.payload_of(slot).cloned(),
                })
            })
            .collect())
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
        let st = self.state.read();
        self.check_open()?;
        let matches = |slot: u32| filter.is_none_or(|f| f.matches(st.payload_of(slot)));
        let mut ids = Vec::with_capacity(limit.min(st.live()));
        let mut next = None;
        for (&id, &slot) in st.id_map.range(from.unwrap_or(0)..) {
            if !matches(slot) {
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
}
