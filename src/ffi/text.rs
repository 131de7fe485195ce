//! Full-text indexes and BM25 search: `qv_collection_create_text_index`,
//! `qv_collection_drop_text_index`, `qv_collection_text_search`.

use super::points::filter_arg;
use super::{
    check_reserved, flag, guard, handle, invalid, object_out, option_struct, qv_collection,
    qv_error, qv_results, slice, utf8, FfiResult,
};
use crate::collection::TextQuery;
use crate::filter::TextMode;
use crate::index::text::TextConfig;
use std::mem::MaybeUninit;

/// Text search match mode: points holding any term of the query.
pub const QV_TEXT_ANY: u32 = 1;
/// Text search match mode: points where one field holds every term.
pub const QV_TEXT_ALL: u32 = 2;
/// Text search match mode: points where one field holds the query's terms
/// in order, adjacent, within one string.
pub const QV_TEXT_PHRASE: u32 = 3;

/// How a text index analyzes text and scores it. Initialise with
/// `qv_text_index_options_init`, then change what you need.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_text_index_options {
    /// `sizeof(qv_text_index_options)`, set by the init function.
    pub struct_size: u32,
    /// 1 = fold letters with diacritics to ASCII (`café` matches `cafe`),
    /// 0 = not (default).
    pub ascii_folding: u32,
    /// 1 = drop the English stop words (`the`, `of`, ...), 0 = not (default).
    pub stop_words: u32,
    /// 1 = reduce words to their English (Porter 2) stem, 0 = not (default).
    pub stemming: u32,
    /// BM25 term-frequency saturation, 0 to 1000. Default 1.2.
    pub k1: f32,
    /// BM25 length normalisation, 0 to 1. Default 0.75.
    pub b: f32,
    /// Reserved: must be 0.
    pub reserved: u32,
}

/// Fills `*options` with the defaults (words lowercased, no folding, no
/// stop words, no stemming, k1 1.2, b 0.75) and its `struct_size`. Does
/// nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*options`).
#[no_mangle]
pub unsafe extern "C" fn qv_text_index_options_init(
    options: Option<&mut MaybeUninit<qv_text_index_options>>,
) {
    if let Some(o) = options {
        let d = TextConfig::default();
        o.write(qv_text_index_options {
            struct_size: std::mem::size_of::<qv_text_index_options>() as u32,
            ascii_folding: 0,
            stop_words: 0,
            stemming: 0,
            k1: d.k1,
            b: d.b,
            reserved: 0,
        });
    }
}

/// Creates a full-text index on the payload field `field` (`field_len`
/// bytes of UTF-8, a dotted path; its value is a string or an array whose
/// string elements are indexed) with the analyzer and BM25 parameters of
/// `*options` (NULL: the defaults of `qv_text_index_options_init`), and
/// builds it over every point before returning, as
/// `qv_collection_create_field_index` does (searches and writes go on
/// meanwhile). Durable when it returns. It serves
/// `qv_collection_text_search` and the filter conditions `text`,
/// `text_any` and `phrase` on the field. A field may have one text index
/// besides one value index.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad UTF-8 or
/// path, a flag other than 0 or 1, k1 or b out of range, bad options
/// struct), QV_ERR_ALREADY_EXISTS (the field has a text index),
/// QV_ERR_CLOSED, QV_ERR_READ_ONLY, QV_ERR_IO, QV_ERR_CORRUPT. On failure
/// nothing is created.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_create_text_index(
    coll: Option<&qv_collection>,
    field: *const u8,
    field_len: usize,
    options: *const qv_text_index_options,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: `field` holds `field_len` bytes and `options` is NULL or
        // an initialised struct (the caller's promise).
        let field = unsafe { utf8(field, field_len, "field", "field_len") }?;
        let o = unsafe { option_struct(options, "options", "qv_text_index_options") }?;
        let config = match o {
            None => TextConfig::default(),
            Some(o) => {
                check_reserved(o.reserved, "options.reserved")?;
                TextConfig {
                    ascii_folding: flag(o.ascii_folding, "options.ascii_folding")?,
                    stop_words: flag(o.stop_words, "options.stop_words")?,
                    stemming: flag(o.stemming, "options.stemming")?,
                    k1: o.k1,
                    b: o.b,
                }
            }
        };
        config.validate().map_err(|e| match e {
            crate::Error::InvalidArgument(m) => invalid(format!("options.{m}")),
            e => e.into(),
        })?;
        handle(coll, "coll")?.with(|c| Ok(c.create_text_index(field, config)?))
    })
}

/// Drops the text index on the payload field `field` (`field_len` bytes of
/// UTF-8) and removes its files. Durable when it returns.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad UTF-8 or
/// path), QV_ERR_NOT_FOUND (no text index on that field), QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_drop_text_index(
    coll: Option<&qv_collection>,
    field: *const u8,
    field_len: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: `field` holds `field_len` bytes (the caller's promise).
        let field = unsafe { utf8(field, field_len, "field", "field_len") }?;
        handle(coll, "coll")?.with(|c| Ok(c.drop_text_index(field)?))
    })
}

/// One field of a text search and its boost.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_text_field {
    /// The payload field (a dotted path with a text index), `name_len`
    /// bytes of UTF-8.
    pub name: *const u8,
    /// Bytes in `name`.
    pub name_len: u64,
    /// Its weight in the score: finite, >= 0 (1 = as is).
    pub boost: f32,
    /// Reserved: must be 0.
    pub reserved: u32,
}

/// Per-call text search parameters. Initialise with
/// `qv_text_search_params_init`, then set at least `fields` and
/// `nfields`.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_text_search_params {
    /// `sizeof(qv_text_search_params)`, set by the init function.
    pub struct_size: u32,
    /// Results, 1 to 100000. Default 10.
    pub k: u32,
    /// `QV_TEXT_ANY` (default), `QV_TEXT_ALL` or `QV_TEXT_PHRASE`.
    pub mode: u32,
    /// 1 = include payloads, 0 = not (default).
    pub with_payload: u32,
    /// The fields to search (`nfields` entries, at least one).
    pub fields: *const qv_text_field,
    /// Entries in `fields`.
    pub nfields: u64,
    /// Optional payload filter as UTF-8 JSON text (`filter_len` bytes);
    /// NULL or length 0 = no filter.
    pub filter_json: *const u8,
    /// Bytes in `filter_json`.
    pub filter_len: u64,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// Reserved: must be 0.
    pub reserved2: u32,
}

/// Fills `*params` with the defaults (k 10, any term, no payloads, no
/// fields, no filter) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_text_search_params_init(
    params: Option<&mut MaybeUninit<qv_text_search_params>>,
) {
    if let Some(p) = params {
        p.write(qv_text_search_params {
            struct_size: std::mem::size_of::<qv_text_search_params>() as u32,
            k: 10,
            mode: QV_TEXT_ANY,
            with_payload: 0,
            fields: std::ptr::null(),
            nfields: 0,
            filter_json: std::ptr::null(),
            filter_len: 0,
            reserved: 0,
            reserved2: 0,
        });
    }
}

/// The engine's query from the caller's text and struct.
///
/// # Safety
/// `query` holds `query_len` bytes; `params` is NULL or an initialised
/// struct whose pointers hold their documented lengths.
pub(crate) unsafe fn text_query(
    query: *const u8,
    query_len: usize,
    params: *const qv_text_search_params,
) -> FfiResult<TextQuery> {
    // SAFETY (all): the caller's promise.
    let text = unsafe { utf8(query, query_len, "query", "query_len") }?;
    let p = unsafe { option_struct(params, "params", "qv_text_search_params") }?
        .ok_or_else(|| invalid("params is NULL"))?;
    check_reserved(p.reserved, "params.reserved")?;
    check_reserved(p.reserved2, "params.reserved2")?;
    let mode = match p.mode {
        QV_TEXT_ANY => TextMode::Any,
        QV_TEXT_ALL => TextMode::All,
        QV_TEXT_PHRASE => TextMode::Phrase,
        m => {
            return Err(invalid(format!(
            "params.mode is {m}; it must be QV_TEXT_ANY (1), QV_TEXT_ALL (2) or QV_TEXT_PHRASE (3)"
        )))
        }
    };
    let n = usize::try_from(p.nfields)
        .map_err(|_| invalid(format!("params.nfields is {}: too many", p.nfields)))?;
    if n == 0 {
        return Err(invalid(
            "params.nfields is 0; name at least one field with a text index",
        ));
    }
    let fields = unsafe { slice(p.fields, n, "params.fields", "params.nfields") }?;
    let mut named = Vec::with_capacity(n);
    for (i, f) in fields.iter().enumerate() {
        check_reserved(f.reserved, &format!("params.fields[{i}].reserved"))?;
        let len = usize::try_from(f.name_len)
            .map_err(|_| invalid(format!("params.fields[{i}].name_len is too large")))?;
        let name = unsafe {
            utf8(
                f.name,
                len,
                &format!("params.fields[{i}].name"),
                &format!("params.fields[{i}].name_len"),
            )
        }?;
        named.push((name.to_owned(), f.boost));
    }
    let filter_len = usize::try_from(p.filter_len)
        .map_err(|_| invalid(format!("params.filter_len is {}: too large", p.filter_len)))?;
    Ok(TextQuery {
        query: text.to_owned(),
        fields: named,
        mode,
        k: p.k as usize,
        filter: unsafe {
            filter_arg(
                p.filter_json,
                filter_len,
                "params.filter_json",
                "params.filter_len",
            )
        }?,
        with_payload: flag(p.with_payload, "params.with_payload")?,
    })
}

/// BM25 full-text search of `query` (`query_len` bytes of UTF-8, analyzed
/// as each field's text index analyzes its text) over `params->fields`
/// (each with a text index; a point's score is the sum over the fields of
/// boost × BM25, with statistics over the collection's live points),
/// returning the best `params->k` points matching `params->mode` and
/// `params->filter_json`, best first (equal scores by ascending id), as
/// one query of a new `qv_results` in `*out`, owned by the caller (free
/// with `qv_results_free`; on failure `*out` is NULL). Scores are BM25
/// (higher is better). With `params->with_payload` 1 each hit carries its
/// payload, byte for byte as written. A query without terms finds
/// nothing (QV_OK, no hits).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad UTF-8, k
/// out of range, no field, a field without a text index or named twice,
/// a boost that is negative or not finite, bad mode, bad filter, bad
/// params struct), QV_ERR_CLOSED, QV_ERR_IO, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any other call on the
/// same collection, including writes.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_text_search(
    coll: Option<&qv_collection>,
    query: *const u8,
    query_len: usize,
    params: *const qv_text_search_params,
    out: Option<&mut MaybeUninit<*mut qv_results>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise (see `text_query`).
        let q = unsafe { text_query(query, query_len, params) }?;
        let hits = h.with(|c| Ok(c.text_search_raw(&q)?))?;
        out.write(Box::into_raw(Box::new(qv_results::one_query(hits)?)));
        Ok(())
    })
}
