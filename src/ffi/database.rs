//! `qv_database`: opening and closing a database directory, and managing
//! its collections by name.

use super::{
    closed, free_boxed, guard, handle, invalid, object_out, option_struct, qv_collection, qv_error,
    qv_strings, slice, utf8, FfiResult,
};
use crate::collection::SyncPolicy;
use crate::database::{Database, DatabaseOptions};
use parking_lot::RwLock;
use std::ffi::OsStr;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

/// `qv_database_options.sync`: fsync every write batch before it returns (default).
pub const QV_SYNC_EVERY_BATCH: u32 = 0;
/// `qv_database_options.sync`: fsync only at checkpoints (survives a process
/// crash, not a power loss).
pub const QV_SYNC_NEVER: u32 = 1;

/// Options for `qv_database_open`. Initialise with `qv_database_options_init`,
/// then change fields.
///
/// Versioning: `struct_size` must be `sizeof(qv_database_options)` of this
/// library's version. A caller built against a newer quiver.h, whose struct
/// is larger, gets QV_ERR_INVALID_ARGUMENT from an older library (saying
/// both sizes) rather than options it cannot honour.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_database_options {
    /// `sizeof(qv_database_options)`, set by the init function.
    pub struct_size: u32,
    /// `QV_SYNC_EVERY_BATCH` or `QV_SYNC_NEVER`.
    pub sync: u32,
}

/// An open database: a directory of collections.
pub struct qv_database {
    pub(crate) db: RwLock<Option<Arc<Database>>>,
}

impl qv_database {
    /// Runs `f` with the database, holding this handle's lock so that a
    /// concurrent close waits for it.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&Arc<Database>) -> FfiResult<R>) -> FfiResult<R> {
        let g = self.db.read();
        let db = g.as_ref().ok_or_else(|| closed("database"))?;
        f(db)
    }
}

/// Fills `*opts` with the defaults (sync every batch) and its `struct_size`.
/// Does nothing when `opts` is NULL.
///
/// Thread safety: safe from any thread (it writes only `*opts`).
#[no_mangle]
pub unsafe extern "C" fn qv_database_options_init(
    opts: Option<&mut MaybeUninit<qv_database_options>>,
) {
    if let Some(o) = opts {
        o.write(qv_database_options {
            struct_size: std::mem::size_of::<qv_database_options>() as u32,
            sync: QV_SYNC_EVERY_BATCH,
        });
    }
}

/// Opens the database in directory `path` (`path_len` bytes, no NUL needed),
/// creating the directory if it does not exist. `opts` may be NULL for the
/// defaults; it is not retained.
///
/// On success `*out` receives a new handle that the caller owns: close it
/// with `qv_database_close` and release it with `qv_database_free`. On
/// failure `*out` is NULL.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `path` or `out`, empty
/// path, path containing NUL, bad options: wrong struct_size, unknown sync
/// value), QV_ERR_LOCKED (the directory is open already, in this process or
/// another), QV_ERR_INCOMPATIBLE_FORMAT (not a quiver database),
/// QV_ERR_CORRUPT, QV_ERR_IO.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn qv_database_open(
    path: *const u8,
    path_len: usize,
    opts: *const qv_database_options,
    out: Option<&mut MaybeUninit<*mut qv_database>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        // SAFETY: `path` holds `path_len` bytes (the caller's promise).
        let bytes = unsafe { slice(path, path_len, "path", "path_len") }?;
        if bytes.is_empty() || bytes.contains(&0) {
            return Err(invalid("path must be a non-empty path without NUL bytes"));
        }
        let mut options = DatabaseOptions::default();
        // SAFETY: NULL or an options struct (the caller's promise).
        if let Some(o) = unsafe { option_struct(opts, "opts", "qv_database_options") }? {
            options.sync = match o.sync {
                QV_SYNC_EVERY_BATCH => SyncPolicy::EveryBatch,
                QV_SYNC_NEVER => SyncPolicy::Never,
                s => {
                    return Err(invalid(format!(
                        "opts.sync is {s}; it must be QV_SYNC_EVERY_BATCH (0) or QV_SYNC_NEVER (1)"
                    )))
                }
            };
        }
        let db = Database::open_with(OsStr::from_bytes(bytes), options)?;
        let h = Box::new(qv_database {
            db: RwLock::new(Some(Arc::new(db))),
        });
        out.write(Box::into_raw(h));
        Ok(())
    })
}

/// Closes the database: waits for calls in flight on this handle, checkpoints
/// and closes every collection (calls through their handles then return
/// QV_ERR_CLOSED) and releases the directory lock. Later calls with `db`
/// return QV_ERR_CLOSED; the handle itself stays valid until
/// `qv_database_free`. Closing twice, or closing NULL, returns QV_OK.
///
/// Returns QV_OK, or QV_ERR_IO when the final checkpoint fails (the database
/// is closed regardless).
///
/// Thread safety: safe to call while other threads use the handle.
#[no_mangle]
pub unsafe extern "C" fn qv_database_close(
    db: Option<&qv_database>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let Some(h) = db else { return Ok(()) };
        let taken = h.db.write().take();
        if let Some(d) = taken {
            d.close()?;
        }
        Ok(())
    })
}

/// Releases the handle. If the database was not closed it stays open until
/// every collection handle obtained from it is released too (children keep
/// their parent alive), then closes. `qv_database_free(NULL)` does nothing.
///
/// Thread safety: the handle must not be used after this call, nor
/// concurrently with it.
#[no_mangle]
pub unsafe extern "C" fn qv_database_free(db: Option<Box<qv_database>>) {
    free_boxed(db);
}

/// Opens the existing collection `name` (`name_len` bytes of UTF-8).
/// On success `*out` receives a new handle owned by the caller (release it
/// with `qv_collection_free`); on failure it is NULL. Several handles to one
/// collection may be open.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, invalid UTF-8,
/// bad name), QV_ERR_NOT_FOUND, QV_ERR_CLOSED, QV_ERR_CORRUPT,
/// QV_ERR_INCOMPATIBLE_FORMAT, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on `db`.
#[no_mangle]
pub unsafe extern "C" fn qv_database_open_collection(
    db: Option<&qv_database>,
    name: *const u8,
    name_len: usize,
    out: Option<&mut MaybeUninit<*mut qv_collection>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        // SAFETY: `name` holds `name_len` bytes (the caller's promise).
        let name = unsafe { utf8(name, name_len, "name", "name_len") }?;
        handle(db, "db")?.with(|d| {
            let c = d.collection(name)?;
            out.write(qv_collection::new_raw(c, Arc::clone(d)));
            Ok(())
        })
    })
}

/// Lists the collection names, sorted. On success `*out` receives a
/// `qv_strings` owned by the caller (free with `qv_strings_free`); on
/// failure it is NULL.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED,
/// QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on `db`.
#[no_mangle]
pub unsafe extern "C" fn qv_database_list_collections(
    db: Option<&qv_database>,
    out: Option<&mut MaybeUninit<*mut qv_strings>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        handle(db, "db")?.with(|d| {
            let names = d.list_collections()?;
            out.write(qv_strings::new_raw(names));
            Ok(())
        })
    })
}

/// Deletes collection `name` and its files. Open handles to it return
/// QV_ERR_CLOSED afterwards.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT, QV_ERR_NOT_FOUND,
/// QV_ERR_CLOSED, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call on `db`; calls in
/// flight on the collection finish first.
#[no_mangle]
pub unsafe extern "C" fn qv_database_drop_collection(
    db: Option<&qv_database>,
    name: *const u8,
    name_len: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        // SAFETY: `name` holds `name_len` bytes (the caller's promise).
        let name = unsafe { utf8(name, name_len, "name", "name_len") }?;
        handle(db, "db")?.with(|d| Ok(d.drop_collection(name)?))
    })
}
