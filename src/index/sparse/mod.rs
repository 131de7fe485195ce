//! Named sparse vectors: the value type, its checks, the byte encoding a
//! point's sparse vectors are stored in (log records and the `sparse.qv`
//! file of a sealed segment), and the inverted index searched by dot
//! product ([`lists`]).
//!
//! A point carries any number of sparse vectors, each under a name (like
//! `"splade"` or `"bm25"`). A sparse vector is a list of `(index, value)`
//! pairs: `u32` indices (a vocabulary id, a hashed feature), finite `f32`
//! values. Given in any order, it is stored sorted by index; an index given
//! twice is an error. An empty vector is the same as none.
//!
//! The encoding of a point's sparse vectors (little-endian): `count: u32`,
//! then per vector, in ascending name order: `name_len: u16`, the name
//! (UTF-8), `nnz: u32`, `nnz` indices (`u32`, strictly ascending), `nnz`
//! values (`f32`). [`decode`] checks all of it: a stored blob that breaks a
//! rule is corruption.

pub mod lists;

use crate::error::{Error, Result};

/// At most this many bytes in a sparse vector's name.
const MAX_NAME_BYTES: usize = 256;
/// At most this many sparse vectors per point.
const MAX_VECTORS_PER_POINT: usize = 64;
/// At most this many non-zero entries per sparse vector.
const MAX_NNZ: usize = 1 << 20;

/// A sparse vector: indices strictly ascending, values finite, one value
/// per index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseVector {
    /// The indices, strictly ascending once checked.
    pub indices: Vec<u32>,
    /// One value per index.
    pub values: Vec<f32>,
}

impl SparseVector {
    /// A sparse vector of `(index, value)` pairs, in any order (checked on
    /// write or search).
    pub fn new(indices: Vec<u32>, values: Vec<f32>) -> SparseVector {
        SparseVector { indices, values }
    }

    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True when it has no entry.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Checks the vector and sorts it by index. `what` names it in errors
    /// ("the sparse vector \"splade\" of point 7 (batch index 2)").
    pub fn checked(mut self, what: &dyn Fn() -> String) -> Result<SparseVector> {
        if self.indices.len() != self.values.len() {
            return Err(Error::invalid(format!(
                "{}: {} indices and {} values; give one value per index",
                what(),
                self.indices.len(),
                self.values.len()
            )));
        }
        if self.indices.len() > MAX_NNZ {
            return Err(Error::invalid(format!(
                "{}: {} entries; a sparse vector has at most {MAX_NNZ}",
                what(),
                self.indices.len()
            )));
        }
        if let Some(i) = self.values.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(format!(
                "{}: the value {} (of index {}) is not finite",
                what(),
                self.values[i],
                self.indices[i]
            )));
        }
        let sorted = self.indices.windows(2).all(|w| w[0] < w[1]);
        if !sorted {
            let mut pairs: Vec<(u32, f32)> = self
                .indices
                .iter()
                .copied()
                .zip(self.values.iter().copied())
                .collect();
            pairs.sort_by_key(|p| p.0);
            if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(Error::invalid(format!(
                    "{}: index {} is given twice; each index takes one value",
                    what(),
                    w[0].0
                )));
            }
            self.indices = pairs.iter().map(|p| p.0).collect();
            self.values = pairs.iter().map(|p| p.1).collect();
        }
        // As for dense vectors: a finite squared norm keeps every dot
        // product of two stored vectors finite.
        let sq: f32 = self.values.iter().map(|v| v * v).sum();
        if !sq.is_finite() {
            return Err(Error::invalid(format!(
                "{}: the sum of the squared values is not finite in 32-bit floats; scale the vector down",
                what()
            )));
        }
        Ok(self)
    }

    /// The dot product with `other`, both sorted: the products of the
    /// shared indices summed in ascending index order (the order every
    /// search of the engine sums in, so that equal inputs give equal bits).
    pub fn dot(&self, other: &SparseVector) -> f32 {
        let (mut i, mut j, mut s) = (0, 0, 0.0f32);
        while i < self.indices.len() && j < other.indices.len() {
            match self.indices[i].cmp(&other.indices[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    s += self.values[i] * other.values[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        s
    }
}

/// Checks a sparse vector's name.
pub fn check_name(name: &str, what: &dyn Fn() -> String) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(Error::invalid(format!(
            "{}: the sparse vector name \"{name}\" has {} bytes; a name has 1 to {MAX_NAME_BYTES}",
            what(),
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{}: the sparse vector name {name:?} holds a control character",
            what()
        )));
    }
    Ok(())
}

/// A point's sparse vectors, checked: names unique and sorted, vectors
/// sorted, empty ones dropped. `what` names the point in errors.
pub fn check_named(
    vectors: Vec<(String, SparseVector)>,
    what: &dyn Fn() -> String,
) -> Result<Vec<(String, SparseVector)>> {
    if vectors.len() > MAX_VECTORS_PER_POINT {
        return Err(Error::invalid(format!(
            "{}: {} sparse vectors; a point has at most {MAX_VECTORS_PER_POINT}",
            what(),
            vectors.len()
        )));
    }
    let mut out = Vec::with_capacity(vectors.len());
    for (name, v) in vectors {
        check_name(&name, what)?;
        let v = v.checked(&|| format!("the sparse vector \"{name}\" of {}", what()))?;
        if !v.is_empty() {
            out.push((name, v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = out.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::invalid(format!(
            "{}: the sparse vector \"{}\" is given twice",
            what(),
            w[0].0
        )));
    }
    Ok(out)
}

/// Encodes checked sparse vectors ([`check_named`]); `None` when there are
/// none.
pub fn encode(vectors: &[(String, SparseVector)]) -> Option<Vec<u8>> {
    if vectors.is_empty() {
        return None;
    }
    let size: usize = 4 + vectors
        .iter()
        .map(|(n, v)| 6 + n.len() + v.len() * 8)
        .sum::<usize>();
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&(vectors.len() as u32).to_le_bytes());
    for (name, v) in vectors {
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&(v.len() as u32).to_le_bytes());
        for i in &v.indices {
            b.extend_from_slice(&i.to_le_bytes());
        }
        for x in &v.values {
            b.extend_from_slice(&x.to_le_bytes());
        }
    }
    Some(b)
}

/// One vector of an encoded blob, borrowed: its name and raw entries.
#[derive(Clone, Copy, Debug)]
pub struct RawSparse<'a> {
    /// The name.
    pub name: &'a str,
    indices: &'a [u8],
    values: &'a [u8],
}

impl<'a> RawSparse<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.indices.len() / 4
    }

    /// True when it has no entry (never, for a checked blob).
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Entry `i`: `(index, value)`.
    #[inline]
    pub fn get(&self, i: usize) -> (u32, f32) {
        let a = &self.indices[i * 4..i * 4 + 4];
        let b = &self.values[i * 4..i * 4 + 4];
        (
            u32::from_le_bytes([a[0], a[1], a[2], a[3]]),
            f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        )
    }

    /// The entries, ascending by index.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + 'a {
        let me = *self;
        (0..me.len()).map(move |i| me.get(i))
    }

    /// As an owned vector.
    pub fn to_vector(&self) -> SparseVector {
        let (indices, values) = self.iter().unzip();
        SparseVector { indices, values }
    }
}

/// Decodes and checks an encoded blob; `what` names where it was read
/// (file and point) in the corruption error.
pub fn decode<'a>(b: &'a [u8], what: &dyn Fn() -> String) -> Result<Vec<RawSparse<'a>>> {
    let bad = |why: &str| Error::corrupt(format!("sparse vectors of {}: {why}", what()));
    let mut r = crate::storage::format::Reader::new(b, "sparse vectors");
    let count = r.u32().map_err(|_| bad("truncated"))? as usize;
    if count == 0 || count > MAX_VECTORS_PER_POINT {
        return Err(bad(&format!("{count} vectors")));
    }
    let mut out: Vec<RawSparse<'a>> = Vec::with_capacity(count);
    for _ in 0..count {
        let nl = u16_of(r.take(2).map_err(|_| bad("truncated"))?) as usize;
        let name = std::str::from_utf8(r.take(nl).map_err(|_| bad("truncated"))?)
            .map_err(|_| bad("a name is not UTF-8"))?;
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(bad("a name has a bad length"));
        }
        if out.last().is_some_and(|p| p.name >= name) {
            return Err(bad("names out of order"));
        }
        let nnz = r.u32().map_err(|_| bad("truncated"))? as usize;
        if nnz == 0 || nnz > MAX_NNZ {
            return Err(bad(&format!("vector \"{name}\" has {nnz} entries")));
        }
        let indices = r.take(nnz * 4).map_err(|_| bad("truncated"))?;
        let values = r.take(nnz * 4).map_err(|_| bad("truncated"))?;
        let v = RawSparse {
            name,
            indices,
            values,
        };
        let mut prev: Option<u32> = None;
        for (i, x) in v.iter() {
            if prev.is_some_and(|p| p >= i) {
                return Err(bad(&format!("vector \"{name}\" has indices out of order")));
            }
            if !x.is_finite() {
                return Err(bad(&format!(
                    "vector \"{name}\" has a value that is not finite"
                )));
            }
            prev = Some(i);
        }
        out.push(v);
    }
    if r.remaining() != 0 {
        return Err(bad("trailing bytes"));
    }
    Ok(out)
}

/// The vector `name` of an encoded blob (`None` when the point has none
/// of that name); a blob that breaks the format is corruption, named by
/// `what`.
pub fn find<'a>(
    b: &'a [u8],
    name: &str,
    what: &dyn Fn() -> String,
) -> Result<Option<RawSparse<'a>>> {
    Ok(decode(b, what)?.into_iter().find(|v| v.name == name))
}

/// Every vector of a checked blob, owned.
pub fn to_named(b: &[u8], what: &dyn Fn() -> String) -> Result<Vec<(String, SparseVector)>> {
    Ok(decode(b, what)?
        .into_iter()
        .map(|v| (v.name.to_owned(), v.to_vector()))
        .collect())
}

/// One name's sparse vectors for a batch of points, in compressed sparse
/// row form: the vector of point `i` is `indices[indptr[i]..indptr[i+1]]`
/// with `values` alike (an empty row: no vector of that name).
#[derive(Clone, Copy, Debug)]
pub struct SparseColumn<'a> {
    /// The vectors' name.
    pub name: &'a str,
    /// `n + 1` non-decreasing row starts, the first 0 and the last
    /// `indices.len()`.
    pub indptr: &'a [u64],
    /// Every row's indices, one after the other.
    pub indices: &'a [u32],
    /// Their values.
    pub values: &'a [f32],
}

/// Checks a column for a batch of `n` points; `label` names it in errors
/// (`columns[2]`, `column`).
fn check_column(col: &SparseColumn<'_>, label: &str, n: usize) -> Result<()> {
    let what = || format!("{label} (\"{}\")", col.name);
    check_name(col.name, &what)?;
    if col.indptr.len() != n + 1 {
        return Err(Error::invalid(format!(
            "{}: indptr has {} entries; a batch of {n} points needs {}",
            what(),
            col.indptr.len(),
            n + 1
        )));
    }
    if col.indices.len() != col.values.len() {
        return Err(Error::invalid(format!(
            "{}: {} indices and {} values; give one value per index",
            what(),
            col.indices.len(),
            col.values.len()
        )));
    }
    if col.indptr[0] != 0 || col.indptr[n] != col.indices.len() as u64 {
        return Err(Error::invalid(format!(
            "{}: indptr runs from {} to {}; it must run from 0 to the {} indices given",
            what(),
            col.indptr[0],
            col.indptr[n],
            col.indices.len()
        )));
    }
    if let Some(i) = col.indptr.windows(2).position(|w| w[0] > w[1]) {
        return Err(Error::invalid(format!(
            "{}: indptr[{}] = {} is past indptr[{}] = {}; the row starts must not decrease",
            what(),
            i,
            col.indptr[i],
            i + 1,
            col.indptr[i + 1]
        )));
    }
    Ok(())
}

/// Row `i` of a checked column (`None` for an empty row).
fn row(col: &SparseColumn<'_>, i: usize) -> Option<SparseVector> {
    let (a, b) = (col.indptr[i] as usize, col.indptr[i + 1] as usize);
    (a < b).then(|| SparseVector::new(col.indices[a..b].to_vec(), col.values[a..b].to_vec()))
}

/// The `n` rows of a column (`label` names it in errors), unchecked as
/// vectors.
pub fn column_rows(
    col: &SparseColumn<'_>,
    label: &str,
    n: usize,
) -> Result<Vec<Option<SparseVector>>> {
    check_column(col, label, n)?;
    Ok((0..n).map(|i| row(col, i)).collect())
}

/// The encoded sparse vectors of each of the points `ids` from `columns`
/// (empty when there are no columns); errors name the column (by position
/// and name) or the point.
pub fn rows_of_columns(columns: &[SparseColumn<'_>], ids: &[u64]) -> Result<Vec<Option<Vec<u8>>>> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let n = ids.len();
    for (c, col) in columns.iter().enumerate() {
        check_column(col, &format!("columns[{c}]"), n)?;
        if columns[..c].iter().any(|o| o.name == col.name) {
            return Err(Error::invalid(format!(
                "columns[{c}] (\"{}\"): the name is given twice in one batch",
                col.name
            )));
        }
    }
    let mut out = Vec::with_capacity(n);
    for (i, id) in ids.iter().enumerate() {
        let named = columns
            .iter()
            .filter_map(|col| row(col, i).map(|v| (col.name.to_owned(), v)))
            .collect();
        let what = || format!("point {id} (batch index {i})");
        out.push(encode(&check_named(named, &what)?));
    }
    Ok(out)
}

fn u16_of(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what() -> String {
        "point 1".to_owned()
    }

    #[test]
    fn sorts_and_rejects_duplicates_and_bad_values() {
        let v = SparseVector::new(vec![9, 2, 5], vec![0.9, 0.2, 0.5])
            .checked(&what)
            .unwrap();
        assert_eq!(v.indices, vec![2, 5, 9]);
        assert_eq!(v.values, vec![0.2, 0.5, 0.9]);
        let e = SparseVector::new(vec![3, 1, 3], vec![1.0, 1.0, 2.0])
            .checked(&what)
            .unwrap_err()
            .to_string();
        assert!(e.contains("index 3 is given twice"), "{e}");
        let e = SparseVector::new(vec![1, 2], vec![1.0])
            .checked(&what)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 indices and 1 values"), "{e}");
        let e = SparseVector::new(vec![1], vec![f32::NAN])
            .checked(&what)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not finite"), "{e}");
        let e = SparseVector::new(vec![1, 2], vec![3e19, 3e19])
            .checked(&what)
            .unwrap_err()
            .to_string();
        assert!(e.contains("squared values"), "{e}");
    }

    #[test]
    fn named_vectors_round_trip_and_drop_empty_ones() {
        let named = check_named(
            vec![
                ("b".into(), SparseVector::new(vec![4, 1], vec![4.0, 1.0])),
                ("empty".into(), SparseVector::default()),
                ("a".into(), SparseVector::new(vec![7], vec![-7.5])),
            ],
            &what,
        )
        .unwrap();
        assert_eq!(named.len(), 2);
        assert_eq!(named[0].0, "a");
        let blob = encode(&named).unwrap();
        let back = to_named(&blob, &what).unwrap();
        assert_eq!(back, named);
        assert_eq!(
            find(&blob, "b", &what)
                .unwrap()
                .unwrap()
                .to_vector()
                .indices,
            vec![1, 4]
        );
        assert!(find(&blob, "c", &what).unwrap().is_none());
        assert!(find(&blob[..blob.len() - 1], "b", &what).is_err());
        assert!(encode(&[]).is_none());
        let e = check_named(
            vec![
                ("a".into(), SparseVector::new(vec![1], vec![1.0])),
                ("a".into(), SparseVector::new(vec![2], vec![1.0])),
            ],
            &what,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("\"a\" is given twice"), "{e}");
        let e = check_named(vec![(String::new(), SparseVector::default())], &what)
            .unwrap_err()
            .to_string();
        assert!(e.contains("1 to 256"), "{e}");
    }

    #[test]
    fn decode_refuses_every_broken_blob() {
        let named = check_named(
            vec![("a".into(), SparseVector::new(vec![1, 2], vec![1.0, 2.0]))],
            &what,
        )
        .unwrap();
        let blob = encode(&named).unwrap();
        for cut in 0..blob.len() {
            assert!(decode(&blob[..cut], &what).is_err(), "cut at {cut}");
        }
        let mut extra = blob.clone();
        extra.push(0);
        assert!(decode(&extra, &what).is_err());
        // Indices out of order: swap the two indices.
        let mut swapped = blob.clone();
        let at = 4 + 2 + 1 + 4;
        swapped[at..at + 4].copy_from_slice(&2u32.to_le_bytes());
        swapped[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
        let e = decode(&swapped, &what).unwrap_err().to_string();
        assert!(e.contains("out of order"), "{e}");
        // A NaN value.
        let mut nan = blob.clone();
        let v = at + 8;
        nan[v..v + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(decode(&nan, &what).is_err());
    }

    #[test]
    fn dot_sums_shared_indices() {
        let a = SparseVector::new(vec![1, 3, 5], vec![1.0, 2.0, 3.0]);
        let b = SparseVector::new(vec![0, 3, 5, 9], vec![9.0, 4.0, 0.5, 1.0]);
        assert_eq!(a.dot(&b), 2.0 * 4.0 + 3.0 * 0.5);
        assert_eq!(a.dot(&SparseVector::default()), 0.0);
    }
}
