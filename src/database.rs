//! A database: a directory of named collections.
//!
//! Layout: `<dir>/quiver.db` (a JSON marker with magic and format version),
//! `<dir>/LOCK` (held with `flock` while open, so a second open of the same
//! directory, from this process or another, fails with [`Error::Locked`]),
//! and `<dir>/collections/<name>/` per collection.

use crate::collection::config::CollectionConfig;
use crate::collection::Pool;
use crate::collection::{Collection, OptimizerHandle, SegmentLimits, SyncPolicy};
use crate::error::{Error, Result};
use crate::storage::{read_optional, sync_dir, write_atomic};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const MARKER: &str = "quiver.db";
const MARKER_MAGIC: &str = "quiver-database";
const MARKER_VERSION: u64 = 1;
/// Longest collection name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// Options for opening a database.
#[derive(Clone, Copy, Debug)]
pub struct DatabaseOptions {
    /// When writes are fsynced. Default: every batch.
    pub sync: SyncPolicy,
    /// How segments are sized, merged and vacuumed.
    pub limits: SegmentLimits,
    /// Background optimizer threads (collections optimized at once).
    /// Default 1.
    pub optimizer_threads: usize,
    /// Threads a background graph build uses; 0 (the default) means half
    /// the cores, at least one. Optimizer and build threads run at a lower
    /// CPU priority (nice 10) than the caller's threads. An explicit
    /// `optimize()` builds on the caller's rayon pool (every core).
    pub build_threads: usize,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            sync: SyncPolicy::default(),
            limits: SegmentLimits::default(),
            optimizer_threads: 1,
            build_threads: 0,
        }
    }
}

/// An open database directory. Dropping it closes it (checkpointing every
/// open collection and releasing the directory lock).
pub struct Database {
    dir: PathBuf,
    options: DatabaseOptions,
    collections: Mutex<HashMap<String, Arc<Collection>>>,
    /// The locked `LOCK` file; dropped (unlocked) on close.
    lock: Mutex<Option<File>>,
    closed: AtomicBool,
    pool: Arc<Pool>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// Checks a collection name: 1 to 64 bytes of ASCII letters, digits, `_`,
/// `-` and `.`, not starting with `.`.
pub fn validate_name(name: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::invalid(format!(
            "collection name must be 1 to {MAX_NAME_LEN} bytes long, got {} bytes",
            name.len()
        )));
    }
    if let Some(c) = name.chars().find(|&c| !ok_char(c)) {
        return Err(Error::invalid(format!(
            "collection name {name:?} contains {c:?}; allowed are ASCII letters, digits, '_', '-' and '.'"
        )));
    }
    if name.starts_with('.') {
        return Err(Error::invalid(format!(
            "collection name {name:?} must not start with '.'"
        )));
    }
    Ok(())
}

impl Database {
    /// Opens (creating if needed) the database in `dir` with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Database> {
        Self::open_with(dir, DatabaseOptions::default())
    }

    /// Opens (creating if needed) the database in `dir`.
    ///
    /// Fails with [`Error::Locked`] if the directory is open already, and
    /// with [`Error::IncompatibleFormat`] if it is a non-empty directory that
    /// is not a quiver database.
    pub fn open_with(dir: impl AsRef<Path>, options: DatabaseOptions) -> Result<Database> {
        let dir = dir.as_ref().to_owned();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
        let marker = dir.join(MARKER);
        match read_optional(&marker)? {
            Some(bytes) => check_marker(&bytes, &marker)?,
            None => {
                // A directory holding nothing but what an interrupted
                // creation leaves (the lock file, a temporary marker, an
                // empty collections directory) is created again.
                for entry in
                    std::fs::read_dir(&dir).map_err(|e| Error::io("read directory", &dir, e))?
                {
                    let entry = entry.map_err(|e| Error::io("read directory", &dir, e))?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let leftover = match name.as_str() {
                        "LOCK" => true,
                        "quiver.tmp" | "quiver.db.tmp" => true,
                        "collections" => std::fs::read_dir(entry.path())
                            .map(|mut d| d.next().is_none())
                            .unwrap_or(false),
                        _ => false,
                    };
                    if !leftover {
                        return Err(Error::IncompatibleFormat(format!(
                            "{}: directory is not empty and holds no {MARKER}; not a quiver database",
                            dir.display()
                        )));
                    }
                }
            }
        }
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Error::io("open", &lock_path, e))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                Error::Locked(format!(
                    "{} is open already, in this process or another",
                    dir.display()
                ))
            } else {
                Error::io("lock", &lock_path, e)
            });
        }
        if !marker.exists() {
            let doc = serde_json::json!({"magic": MARKER_MAGIC, "format_version": MARKER_VERSION});
            write_atomic(&marker, doc.to_string().as_bytes())?;
        }
        let cdir = dir.join("collections");
        std::fs::create_dir_all(&cdir).map_err(|e| Error::io("create directory", &cdir, e))?;
        // Leftovers of a create or drop that a crash interrupted.
        for entry in std::fs::read_dir(&cdir).map_err(|e| Error::io("read directory", &cdir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", &cdir, e))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                let p = entry.path();
                std::fs::remove_dir_all(&p).map_err(|e| Error::io("remove", &p, e))?;
            }
        }
        sync_dir(&dir)?;
        let (pool, threads) = Pool::start(options.optimizer_threads, options.build_threads, &dir)?;
        Ok(Database {
            dir,
            options,
            collections: Mutex::new(HashMap::new()),
            lock: Mutex::new(Some(lock)),
            closed: AtomicBool::new(false),
            pool,
            threads: Mutex::new(threads),
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::Closed(format!(
                "database {} was closed",
                self.dir.display()
            )))
        } else {
            Ok(())
        }
    }

    fn collection_dir(&self, name: &str) -> PathBuf {
        self.dir.join("collections").join(name)
    }

    /// Creates a collection. Fails with [`Error::AlreadyExists`] if the name
    /// is taken and [`Error::InvalidArgument`] for a bad name or config.
    pub fn create_collection(
        &self,
        name: &str,
        config: CollectionConfig,
    ) -> Result<Arc<Collection>> {
        validate_name(name)?;
        config.validate()?;
        let mut open = self.collections.lock();
        self.check_open()?;
        let dir = self.collection_dir(name);
        if open.contains_key(name) || dir.exists() {
            return Err(Error::AlreadyExists(format!("collection \"{name}\"")));
        }
        let tmp = self.dir.join("collections").join(format!(".create-{name}"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io("remove", &tmp, e))?;
        }
        if let Err(e) = Collection::create_files(&tmp, &config) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &dir).map_err(|e| Error::io("rename to", &dir, e))?;
        sync_dir(&self.dir.join("collections"))?;
        let c = self.open_collection_dir(&dir, name)?;
        open.insert(name.to_owned(), Arc::clone(&c));
        Ok(c)
    }

    /// The collection called `name`, opening it on first use. Fails with
    /// [`Error::NotFound`] if there is none.
    pub fn collection(&self, name: &str) -> Result<Arc<Collection>> {
        validate_name(name)?;
        let mut open = self.collections.lock();
        self.check_open()?;
        if let Some(c) = open.get(name) {
            return Ok(Arc::clone(c));
        }
        let dir = self.collection_dir(name);
        if !dir.is_dir() {
            return Err(Error::NotFound(format!("collection \"{name}\"")));
        }
        let c = self.open_collection_dir(&dir, name)?;
        open.insert(name.to_owned(), Arc::clone(&c));
        Ok(c)
    }

    fn open_collection_dir(&self, dir: &Path, name: &str) -> Result<Arc<Collection>> {
        let c = Arc::new(Collection::open(
            dir,
            name,
            self.options.sync,
            self.options.limits,
            OptimizerHandle::new(&self.pool),
            Vec::new(),
        )?);
        self.pool.register(&c);
        Ok(c)
    }

    /// Names of all collections, sorted.
    pub fn list_collections(&self) -> Result<Vec<String>> {
        let _open = self.collections.lock();
        self.check_open()?;
        let cdir = self.dir.join("collections");
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&cdir).map_err(|e| Error::io("read directory", &cdir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", &cdir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if validate_name(&name).is_ok() && entry.path().is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Deletes a collection and its files. Handles to it that callers still
    /// hold fail with [`Error::Closed`] from then on.
    pub fn drop_collection(&self, name: &str) -> Result<()> {
        validate_name(name)?;
        let mut open = self.collections.lock();
        self.check_open()?;
        let dir = self.collection_dir(name);
        if !dir.is_dir() {
            return Err(Error::NotFound(format!("collection \"{name}\"")));
        }
        if let Some(c) = open.remove(name) {
            c.close_for_drop();
        }
        let doomed = self.dir.join("collections").join(format!(".drop-{name}"));
        std::fs::rename(&dir, &doomed).map_err(|e| Error::io("rename", &dir, e))?;
        sync_dir(&self.dir.join("collections"))?;
        std::fs::remove_dir_all(&doomed).map_err(|e| Error::io("remove", &doomed, e))?;
        Ok(())
    }

    /// Stops the optimizer, closes every collection, then releases the directory
    /// lock. Later calls on the database, and on collections obtained from
    /// it, fail with [`Error::Closed`]. Closing twice is a no-op. Returns the
    /// first error met (every collection is closed regardless).
    pub fn close(&self) -> Result<()> {
        let mut open = self.collections.lock();
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // Closing first makes a running optimization stop at its next step.
        for c in open.values() {
            c.mark_closing();
        }
        self.pool.stop();
        for t in self.threads.lock().drain(..) {
            let _ = t.join();
        }
        let mut first = Ok(());
        for (_, c) in open.drain() {
            let r = c.close();
            if first.is_ok() {
                first = r;
            }
        }
        if let Some(lock) = self.lock.lock().take() {
            // Unlock explicitly: a child process forked at this moment holds
            // a copy of the descriptor until it execs, and closing ours alone
            // would leave the lock held through that copy.
            // SAFETY: flock on a descriptor we own.
            unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_UN) };
        }
        first
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn check_marker(bytes: &[u8], path: &Path) -> Result<()> {
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::corrupt(format!("{}: not valid JSON: {e}", path.display())))?;
    if doc.get("magic").and_then(|m| m.as_str()) != Some(MARKER_MAGIC) {
        return Err(Error::IncompatibleFormat(format!(
            "{}: not a quiver database marker",
            path.display()
        )));
    }
    let v = doc.get("format_version").and_then(|v| v.as_u64());
    if v != Some(MARKER_VERSION) {
        return Err(Error::IncompatibleFormat(format!(
            "{}: database format version {v:?}, this build reads {MARKER_VERSION}",
            path.display()
        )));
    }
    Ok(())
}
