//! The record log: the one write-ahead log type of the engine, with group
//! commit.
//!
//! A log is a sequence of files `log-<number>.qv` in one directory. Each
//! file starts with a 64-byte header (magic, format version, the owner's
//! identity, the file number, the sequence number of its first record, the
//! final length of the previous file, a CRC of the header) and holds
//! records:
//!
//! ```text
//! [body_len: u32][crc: u32][seq: u64][synced: u64][body: body_len bytes]
//! ```
//!
//! `crc` covers `seq`, `synced` and the body. `seq` grows by one per record
//! across files. `synced` is the length of the file that was known durable
//! when the record was appended: it tells a torn tail from corruption on
//! open. A record that fails its checks is
//!
//! - a **torn tail** when no later intact record proves it durable: it was
//!   written after the last completed fsync, so no caller was told it
//!   succeeded; it and everything after it is cut off;
//! - **corruption** when a later intact record has `synced` past its start:
//!   an fsync covered it, a caller may have been acknowledged, and the open
//!   fails with [`Error::Corrupt`] naming the file and the offset.
//!
//! Group commit: [`RecordLog::append`] queues a record under a short lock
//! (no system call) and returns its position; [`RecordLog::sync_to`] makes
//! it durable. One caller at a time leads: it writes everything queued in
//! one call and fsyncs; others queue meanwhile, and the next leader covers
//! all of them at once, so concurrent writers share fsyncs. Before its
//! fsync a leader waits briefly for the writers counted by
//! [`RecordLog::writer`] that have not queued their record yet (see
//! there). Records over 64 KiB, and every record without the sync option,
//! are written by `append` itself.
//!
//! With the sync option the current file is kept ahead of its records by a
//! zero-filled tail, extended by a quarter of its length at a time (64 KiB
//! to 1 MiB, `PREALLOC_CHUNK`): an
//! fdatasync of data inside the file's length writes the data alone, where
//! a growing file also commits the filesystem's journal. On open, a zero
//! tail is the clean end of the records; rotation and close cut it off.
//!
//! The files form a chain: a file is started (header fsynced, renamed into
//! place) only after the previous one is durable and final, and its header
//! records where the previous one ended (its length and the next sequence
//! number). On open, a file that is missing, cut short or replaced inside
//! the chain is corruption, as is a log that ends before the last record
//! the segments already hold. What no chain can show is the newest file cut
//! back to a record boundary (or replaced by an older copy of itself) past
//! what the segments hold: that looks exactly like a crash before those
//! writes, and telling them apart would take a second durable write per
//! commit.
//!
//! A failed write or fsync truncates the file back to the last durable
//! length and poisons the log: every later append fails with the cause, so
//! that a record whose caller saw an error can never be followed by
//! acknowledged ones (which would make it come back on open).

use crate::error::{Error, Result};
use crate::storage::checksum::{crc32, crc32_update};
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Magic of a log file.
pub const LOG_MAGIC: &[u8; 8] = b"QVLOG\0\0\x02";
/// Format version of log files.
pub const LOG_VERSION: u32 = 3;
/// Bytes of the file header.
pub const LOG_HEADER: u64 = 64;
/// Bytes of a record header.
pub const RECORD_HEADER: usize = 24;
/// Largest record body.
pub const MAX_BODY: usize = 1 << 30;
/// With fsync on, the current file is extended with zeros ahead of its
/// records, in steps of at most this many bytes. Appending inside the file's length
/// changes no metadata, so an fdatasync writes the data alone instead of
/// also committing the filesystem journal for a new size and new blocks
/// (measured on ext4 here: 159 µs instead of 274 µs for a 1.6 KB record).
/// A zero tail reads as the clean end of the log on open, and the file is
/// cut back to its records at rotation and on close.
pub(crate) const PREALLOC_CHUNK: u64 = 1 << 20;
/// The smallest step of the zero tail (a quarter of the file's length,
/// between this and [`PREALLOC_CHUNK`]).
const PREALLOC_MIN: u64 = 64 << 10;
/// Records up to this size are queued for the next fsync's leader to
/// write; larger ones are written at once and do not extend the zero tail
/// (big batches are few fsyncs anyway; zeros would double their writes),
/// nor does a leader's write of more than [`PREALLOC_CHUNK`].
const QUEUE_MAX_RECORD: usize = 64 << 10;
/// The longest an fsync's leader waits for other writers' records.
const MAX_GATHER: Duration = Duration::from_micros(500);

/// Appends the record `[len][crc][seq][synced][body]` to `out`.
fn encode_record(out: &mut Vec<u8>, seq: u64, synced: u64, body: &[u8]) {
    let at = out.len();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&synced.to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32_update(crc32(&out[at + 8..at + RECORD_HEADER]), body);
    out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Writes queued records `buf` at `at` (for an fsync's leader, without the
/// lock, or a rotation), then, when they reach past the zero tail
/// (`allocated`), extends it. Returns the file's new allocated length.
/// Nothing else writes the file meanwhile: appends only queue while an
/// fsync runs, and large ones wait for it.
fn write_queued(file: &LogFile, buf: &[u8], at: u64, allocated: u64) -> Result<u64> {
    if !buf.is_empty() {
        crate::storage::fault::check("log write", &file.path)
            .and_then(|()| file.file.write_all_at(buf, at))
            .map_err(|e| Error::io("append to", &file.path, e))?;
    }
    let end = at + buf.len() as u64;
    if end <= allocated || buf.len() as u64 > PREALLOC_CHUNK {
        return Ok(allocated.max(end));
    }
    // Best effort: when writing zeros fails (a full disk), the records are
    // unaffected and whatever zeros did land are a clean tail all the same.
    // A quarter of the file, 64 KiB to 1 MiB: a collection that is
    // written little keeps a small tail.
    let step = (end / 4).clamp(PREALLOC_MIN, PREALLOC_CHUNK);
    let target = (end + step).next_multiple_of(PREALLOC_MIN);
    let zeros = vec![0u8; (target - end) as usize];
    match crate::storage::fault::check("log preallocate", &file.path)
        .and_then(|()| file.file.write_all_at(&zeros, end))
    {
        Ok(()) => Ok(target),
        Err(_) => {
            // Some zeros may have landed past `end`: cut them, so that the
            // file's length is `end` as its caller now believes (a rotation
            // also cuts to the last record in any case).
            let _ = file.file.set_len(end);
            Ok(end)
        }
    }
}

/// The name of log file `number`.
pub fn log_file_name(number: u64) -> String {
    format!("log-{number:08}.qv")
}

/// Parses a log file name back to its number.
pub fn parse_log_file_name(name: &str) -> Option<u64> {
    name.strip_prefix("log-")?.strip_suffix(".qv")?.parse().ok()
}

/// Where an appended record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordPos {
    /// Its sequence number.
    pub seq: u64,
    /// The log file holding it.
    pub file: u64,
    /// Offset of its body in that file.
    pub body_offset: u64,
    /// Offset just past it.
    pub end: u64,
}

/// One record read back on open.
#[derive(Debug)]
pub struct LogRecord {
    /// Where it is.
    pub pos: RecordPos,
    /// Its body.
    pub body: Vec<u8>,
}

/// A log file that readers may read bodies from (payload bytes of points
/// not yet sealed live in the log).
pub struct LogFile {
    file: File,
    path: PathBuf,
}

impl LogFile {
    /// Reads `len` bytes at `offset`.
    pub fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|e| Error::io("read", &self.path, e))?;
        Ok(buf)
    }
}

struct Inner {
    /// Number of the file appends go to.
    current: u64,
    /// Its handle.
    file: Arc<LogFile>,
    /// Bytes written to it.
    len: u64,
    /// Bytes of it known durable.
    synced: u64,
    /// An fsync is running (its leader will update `synced`).
    syncing: bool,
    /// Sequence number of the next record.
    next_seq: u64,
    /// Set after a failed write or fsync; every later call fails with it.
    failed: Option<String>,
    /// Every open file by number (readers need old files until the
    /// segments referring to them are sealed).
    files: BTreeMap<u64, Arc<LogFile>>,
    /// Bytes appended since the last rotation.
    since_rotation: u64,
    /// Where the zero-filled tail written ahead of the appends ends (see
    /// [`PREALLOC_CHUNK`]); the file's length once the queued records are
    /// written, `len` or more.
    allocated: u64,
    /// With the sync option: records appended but not written yet (the
    /// next fsync's leader writes them in one call, just before its fsync),
    /// the file's bytes from `len - pending.len()` on.
    pending: Vec<u8>,
    /// An empty buffer kept for `pending` (the last one written).
    spare: Vec<u8>,
    /// Records appended since the last fsync took its target.
    unsynced: usize,
    /// An fsync's leader waits for more records (see [`RecordLog::writer`]).
    gathering: bool,
    /// How long the last fsync took.
    last_fsync: Duration,
    /// Large appends waiting for an fsync's leader to finish.
    direct_waiting: usize,
}

/// An open record log (see the module documentation).
pub struct RecordLog {
    dir: PathBuf,
    owner: u64,
    sync: bool,
    inner: Mutex<Inner>,
    synced_cv: Condvar,
    /// Wakes a gathering leader: a record was queued or a writer left.
    gather_cv: Condvar,
    /// Writers between [`RecordLog::writer`] and the drop of its guard.
    writers: AtomicUsize,
}

/// A snapshot of what is durable in a log ([`RecordLog::durability`]).
#[derive(Clone, Copy, Debug)]
pub struct Durability {
    current: u64,
    synced: u64,
}

impl Durability {
    /// Whether the record at `pos` was durable when the snapshot was taken.
    pub fn covers(&self, pos: RecordPos) -> bool {
        pos.file < self.current || self.synced >= pos.end
    }
}

/// Counts a writer in the log's [`RecordLog::writer`] count while it lives.
pub struct WriterGuard<'a>(&'a RecordLog);

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        self.0.writers.fetch_sub(1, Ordering::SeqCst);
        self.0.wake_gatherer(&self.0.inner.lock());
    }
}

/// Where a log file starts in the chain (from its header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Start {
    /// Sequence number of the file's first record (the next one when it was
    /// started).
    first_seq: u64,
    /// Final length of the previous file (0 for a log's first file).
    prev_len: u64,
}

fn header_bytes(owner: u64, number: u64, start: Start) -> [u8; LOG_HEADER as usize] {
    let mut h = [0u8; LOG_HEADER as usize];
    h[..8].copy_from_slice(LOG_MAGIC);
    h[8..12].copy_from_slice(&LOG_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&owner.to_le_bytes());
    h[24..32].copy_from_slice(&number.to_le_bytes());
    h[32..40].copy_from_slice(&start.first_seq.to_le_bytes());
    h[40..48].copy_from_slice(&start.prev_len.to_le_bytes());
    let crc = crc32(&h[..60]);
    h[60..64].copy_from_slice(&crc.to_le_bytes());
    h
}

fn check_log_header(bytes: &[u8], owner: u64, number: u64, path: &Path) -> Result<Start> {
    let name = path.display();
    if bytes.len() < LOG_HEADER as usize {
        return Err(Error::corrupt(format!(
            "{name}: {} bytes, shorter than the {LOG_HEADER}-byte log header",
            bytes.len()
        )));
    }
    if &bytes[..8] != LOG_MAGIC {
        return Err(Error::IncompatibleFormat(format!(
            "{name}: not a quiver log file (bad magic)"
        )));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != LOG_VERSION {
        return Err(Error::IncompatibleFormat(format!(
            "{name}: log format version {version}, this build reads {LOG_VERSION}"
        )));
    }
    let crc = u32::from_le_bytes(bytes[60..64].try_into().expect("4 bytes"));
    if crc32(&bytes[..60]) != crc {
        return Err(Error::corrupt(format!(
            "{name}: log header fails its checksum"
        )));
    }
    let got_owner = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let got_number = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
    if got_owner != owner || got_number != number {
        return Err(Error::corrupt(format!(
            "{name}: log file belongs to collection {got_owner:016x} as file {got_number}, expected collection {owner:016x} file {number}"
        )));
    }
    let first_seq = u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes"));
    let prev_len = u64::from_le_bytes(bytes[40..48].try_into().expect("8 bytes"));
    if first_seq == 0 {
        return Err(Error::corrupt(format!(
            "{name}: log header names record 0 as the file's first (sequence numbers start at 1)"
        )));
    }
    Ok(Start {
        first_seq,
        prev_len,
    })
}

fn create_file(dir: &Path, owner: u64, number: u64, start: Start) -> Result<LogFile> {
    let path = dir.join(log_file_name(number));
    // Written under a temporary name and renamed into place: a crash or a
    // full disk never leaves a log file without its whole header (which
    // open refuses as damaged). The collection removes `*.tmp` on open.
    let tmp = path.with_extension("tmp");
    let created = (|| -> Result<File> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        file.write_all(&header_bytes(owner, number, start))
            .map_err(|e| Error::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename to", &path, e))?;
        Ok(file)
    })();
    let file = created.inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    crate::storage::sync_dir(dir)?;
    Ok(LogFile { file, path })
}

/// The result of scanning one file's records.
struct Scan {
    records: Vec<LogRecord>,
    /// End of the last intact record.
    valid_len: u64,
}

/// Parses one record header + body at `pos`; `None` if it is not intact.
fn record_at(bytes: &[u8], pos: usize) -> Option<(u64, u64, usize)> {
    if bytes.len() - pos < RECORD_HEADER {
        return None;
    }
    let h = &bytes[pos..pos + RECORD_HEADER];
    let len = u32::from_le_bytes(h[0..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(h[4..8].try_into().expect("4 bytes"));
    if len > MAX_BODY || bytes.len() - pos - RECORD_HEADER < len {
        return None;
    }
    let end = pos + RECORD_HEADER + len;
    if crc32(&bytes[pos + 8..end]) != crc {
        return None;
    }
    let seq = u64::from_le_bytes(h[8..16].try_into().expect("8 bytes"));
    let synced = u64::from_le_bytes(h[16..24].try_into().expect("8 bytes"));
    Some((seq, synced, end))
}

fn scan(bytes: &[u8], number: u64, path: &Path, expect_seq: &mut Option<u64>) -> Result<Scan> {
    let mut records = Vec::new();
    let mut pos = LOG_HEADER as usize;
    while pos < bytes.len() {
        match record_at(bytes, pos) {
            Some((seq, _, _)) if expect_seq.is_some_and(|e| seq != e) => {
                // An intact record out of sequence is not a torn write: the
                // file was replaced or spliced.
                return Err(Error::corrupt(format!(
                    "{}: record at offset {pos} has sequence {seq}, expected {}",
                    path.display(),
                    expect_seq.expect("checked")
                )));
            }
            Some((seq, _, end)) => {
                records.push(LogRecord {
                    pos: RecordPos {
                        seq,
                        file: number,
                        body_offset: (pos + RECORD_HEADER) as u64,
                        end: end as u64,
                    },
                    body: bytes[pos + RECORD_HEADER..end].to_vec(),
                });
                *expect_seq = Some(seq + 1);
                pos = end;
            }
            _ => {
                // Not intact (or out of sequence). Corruption if a later
                // intact record says the file was durable past this point.
                let bad = pos as u64;
                // A zero tail (written ahead of the appends) holds no record.
                let rest = if bytes[pos..].iter().all(|&b| b == 0) {
                    pos
                } else {
                    bytes.len().saturating_sub(RECORD_HEADER - 1)
                };
                for p in pos + 1..rest {
                    if let Some((seq, synced, _)) = record_at(bytes, p) {
                        if synced > bad && expect_seq.is_none_or(|e| seq > e) {
                            return Err(Error::corrupt(format!(
                                "{}: record at offset {bad} is damaged, but the record at offset {p} (sequence {seq}) was written after it was made durable",
                                path.display()
                            )));
                        }
                    }
                }
                return Ok(Scan {
                    records,
                    valid_len: bad,
                });
            }
        }
    }
    Ok(Scan {
        records,
        valid_len: pos as u64,
    })
}

impl RecordLog {
    /// Creates a new log (file `first`) in `dir` for the owner `owner`.
    pub fn create(dir: &Path, owner: u64, first: u64, sync: bool) -> Result<RecordLog> {
        let start = Start {
            first_seq: 1,
            prev_len: 0,
        };
        let file = Arc::new(create_file(dir, owner, first, start)?);
        Ok(Self::with_file(
            dir, owner, first, file, LOG_HEADER, 1, sync,
        ))
    }

    fn with_file(
        dir: &Path,
        owner: u64,
        current: u64,
        file: Arc<LogFile>,
        len: u64,
        next_seq: u64,
        sync: bool,
    ) -> RecordLog {
        let mut files = BTreeMap::new();
        files.insert(current, Arc::clone(&file));
        RecordLog {
            dir: dir.to_owned(),
            owner,
            sync,
            inner: Mutex::new(Inner {
                current,
                file,
                len,
                synced: len,
                syncing: false,
                next_seq,
                failed: None,
                files,
                since_rotation: 0,
                allocated: len,
                pending: Vec::new(),
                spare: Vec::new(),
                unsynced: 0,
                gathering: false,
                last_fsync: Duration::ZERO,
                direct_waiting: 0,
            }),
            synced_cv: Condvar::new(),
            gather_cv: Condvar::new(),
            writers: AtomicUsize::new(0),
        }
    }

    /// Opens the log files numbered `first` and up in `dir`, returns every
    /// intact record in order, and cuts off a torn tail of the last file.
    /// `min_next_seq` is one past the last record already applied to
    /// durable files (the segments): the log must reach at least that far
    /// back and that far forward, or it was damaged.
    pub fn open(
        dir: &Path,
        owner: u64,
        first: u64,
        min_next_seq: u64,
        sync: bool,
    ) -> Result<(RecordLog, Vec<LogRecord>)> {
        let mut numbers = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))? {
            let entry = entry.map_err(|e| Error::io("read directory", dir, e))?;
            if let Some(n) = parse_log_file_name(&entry.file_name().to_string_lossy()) {
                if n >= first {
                    numbers.push(n);
                }
            }
        }
        numbers.sort_unstable();
        if numbers.is_empty() {
            // A collection is created with its first log file, and a file is
            // removed only once a later one exists.
            return Err(Error::corrupt(format!(
                "{}: missing; it is the log file the manifest names first, and no later one exists",
                dir.join(log_file_name(first)).display()
            )));
        }
        if numbers[0] != first || numbers.windows(2).any(|w| w[1] != w[0] + 1) {
            return Err(Error::corrupt(format!(
                "{}: log files {numbers:?} are not the consecutive run starting at {first} that the manifest names",
                dir.display()
            )));
        }
        let min_next_seq = min_next_seq.max(1);
        let mut records = Vec::new();
        let mut files = BTreeMap::new();
        let mut expect: Option<u64> = None;
        // The previous file's path and length.
        let mut prev: Option<(PathBuf, u64)> = None;
        let last = *numbers.last().expect("not empty");
        let mut last_len = LOG_HEADER;
        for &n in &numbers {
            let path = dir.join(log_file_name(n));
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io("open", &path, e))?;
            let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
            if let (true, Some((_, prev_len))) =
                (n == last && bytes.len() < LOG_HEADER as usize, &prev)
            {
                // A rotation cut short before its header was durable: the
                // file holds no record; write its header again.
                drop(file);
                let start = Start {
                    first_seq: expect.unwrap_or(min_next_seq),
                    prev_len: *prev_len,
                };
                create_file(dir, owner, n, start)?;
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path)
                    .map_err(|e| Error::io("open", &path, e))?;
                files.insert(n, Arc::new(LogFile { file, path }));
                last_len = LOG_HEADER;
                continue;
            }
            let start = check_log_header(&bytes, owner, n, &path)?;
            if let (Some((prev_path, prev_len)), Some(e)) = (&prev, expect) {
                if start.first_seq != e || start.prev_len != *prev_len {
                    return Err(Error::corrupt(format!(
                        "{}: started after record {} when {} had {} bytes, but that file ends with record {} at {prev_len} bytes: a log file was cut short or replaced",
                        path.display(),
                        start.first_seq - 1,
                        prev_path.display(),
                        start.prev_len,
                        e - 1
                    )));
                }
            } else if start.first_seq > min_next_seq {
                return Err(Error::corrupt(format!(
                    "{}: its first record is {}, but the segments hold records only up to {}: records {} to {} are missing",
                    path.display(),
                    start.first_seq,
                    min_next_seq - 1,
                    min_next_seq,
                    start.first_seq - 1
                )));
            }
            expect = Some(start.first_seq);
            let s = scan(&bytes, n, &path, &mut expect)?;
            if s.valid_len < bytes.len() as u64 {
                if n != last {
                    return Err(Error::corrupt(format!(
                        "{}: damaged record at offset {} in a log file that later files follow",
                        path.display(),
                        s.valid_len
                    )));
                }
                file.set_len(s.valid_len)
                    .map_err(|e| Error::io("truncate torn tail of", &path, e))?;
                file.sync_all().map_err(|e| Error::io("fsync", &path, e))?;
            }
            if n == last {
                last_len = s.valid_len;
            }
            records.extend(s.records);
            prev = Some((path.clone(), bytes.len() as u64));
            files.insert(n, Arc::new(LogFile { file, path }));
        }
        let next_seq = expect.unwrap_or(min_next_seq);
        if next_seq < min_next_seq {
            // Every record up to the last one applied to the segments was
            // durable in the log before it was applied, and the files
            // holding them are still here.
            return Err(Error::corrupt(format!(
                "{}: the log ends with record {}, but the segments already hold records up to {}: the log file was cut short or replaced",
                dir.join(log_file_name(last)).display(),
                next_seq - 1,
                min_next_seq - 1
            )));
        }
        let current = Arc::clone(&files[&last]);
        let log = Self::with_file(dir, owner, last, current, last_len, next_seq, sync);
        log.inner.lock().files = files;
        Ok((log, records))
    }

    /// Appends a record (not yet durable: see [`RecordLog::sync_to`]).
    /// With the sync option, a small record is only queued here, under the
    /// lock and without a system call; the leader of the next fsync writes
    /// everything queued at once.
    pub fn append(&self, body: &[u8]) -> Result<RecordPos> {
        if body.len() > MAX_BODY {
            return Err(Error::invalid(format!(
                "a write batch encodes to {} bytes, more than the {MAX_BODY} bytes of one log record; split it",
                body.len()
            )));
        }
        let rec_len = RECORD_HEADER + body.len();
        // Large records (and every record without fsync) are written at
        // once; the others are queued.
        let direct = !self.sync || rec_len > QUEUE_MAX_RECORD;
        let mut g = self.inner.lock();
        // Not while an fsync's leader writes the file outside the lock: it
        // may be extending the zero tail over these offsets.
        if direct && g.syncing {
            // Not counted as a writer the leader waits for meanwhile.
            g.direct_waiting += 1;
            self.wake_gatherer(&g);
            while g.syncing {
                self.synced_cv.wait(&mut g);
            }
            g.direct_waiting -= 1;
        }
        if let Some(cause) = &g.failed {
            return Err(Error::ReadOnly(cause.clone()));
        }
        let seq = g.next_seq;
        let synced = g.synced;
        let start = g.len;
        if direct {
            // Queued records go first, to keep the file contiguous.
            let mut rec = std::mem::take(&mut g.pending);
            let at = start - rec.len() as u64;
            encode_record(&mut rec, seq, synced, body);
            if let Err(e) = crate::storage::fault::check("log write", &g.file.path)
                .and_then(|()| g.file.file.write_all_at(&rec, at))
            {
                let e = Error::io("append to", &g.file.path, e);
                self.fail_locked(&mut g, &e);
                return Err(e);
            }
            g.allocated = g.allocated.max(start + rec_len as u64);
        } else {
            if g.pending.is_empty() && g.spare.capacity() > 0 {
                g.pending = std::mem::take(&mut g.spare);
            }
            encode_record(&mut g.pending, seq, synced, body);
        }
        g.unsynced += 1;
        self.wake_gatherer(&g);
        g.len += rec_len as u64;
        g.since_rotation += rec_len as u64;
        g.next_seq += 1;
        if !self.sync {
            // Without fsync a record is acknowledged once written: later
            // records must tell a damaged one from a torn tail all the same.
            g.synced = g.len;
        }
        Ok(RecordPos {
            seq,
            file: g.current,
            body_offset: start + RECORD_HEADER as u64,
            end: g.len,
        })
    }

    /// Poisons the log after a failed write or fsync: cuts the current
    /// file back to its durable length and fails every later call.
    fn fail_locked(&self, g: &mut Inner, e: &Error) {
        let _ = g.file.file.set_len(g.synced);
        let _ = g.file.file.sync_all();
        g.len = g.synced;
        g.allocated = g.synced;
        g.pending.clear();
        g.unsynced = 0;
        g.failed = Some(e.to_string());
        self.synced_cv.notify_all();
    }

    /// Returns once the record at `pos` is durable (with the sync option;
    /// without it, at once). Concurrent callers share one fsync.
    pub fn sync_to(&self, pos: RecordPos) -> Result<()> {
        if !self.sync {
            return Ok(());
        }
        let mut g = self.inner.lock();
        loop {
            // Durable first: a record an earlier fsync covered stays in the
            // file when a later fsync fails (the failure cuts the file back
            // to the durable length), so its caller must not see an error.
            if pos.file < g.current || g.synced >= pos.end {
                return Ok(());
            }
            if let Some(cause) = &g.failed {
                return Err(Error::ReadOnly(cause.clone()));
            }
            if g.syncing {
                self.synced_cv.wait(&mut g);
                continue;
            }
            // Lead an fsync covering everything appended so far.
            g.syncing = true;
            self.gather(&mut g);
            let target = g.len;
            let file = Arc::clone(&g.file);
            let spare = std::mem::take(&mut g.spare);
            let mut buf = std::mem::replace(&mut g.pending, spare);
            g.unsynced = 0;
            let at = target - buf.len() as u64;
            let allocated = g.allocated;
            drop(g);
            let t0 = Instant::now();
            let r = write_queued(&file, &buf, at, allocated).and_then(|alloc| {
                crate::storage::fault::check("log fsync", &file.path)
                    .and_then(|()| file.file.sync_data())
                    .map_err(|e| Error::io("fsync", &file.path, e))?;
                Ok(alloc)
            });
            let took = t0.elapsed();
            g = self.inner.lock();
            g.syncing = false;
            g.last_fsync = took;
            buf.clear();
            if g.spare.capacity() < buf.capacity() {
                g.spare = buf;
            }
            match r {
                Ok(alloc) => {
                    if g.current == pos.file && g.failed.is_none() {
                        g.allocated = g.allocated.max(alloc);
                    }
                    if g.failed.is_none() && g.current == pos.file {
                        g.synced = g.synced.max(target);
                    }
                    self.synced_cv.notify_all();
                }
                Err(e) => {
                    self.fail_locked(&mut g, &e);
                    return Err(e);
                }
            }
        }
    }

    /// Starts a new log file; later appends go there. The current file is
    /// made durable first. Returns the new file's number and the sequence
    /// number of its first record (every lower one is in older files).
    pub fn rotate(&self) -> Result<(u64, u64)> {
        let mut g = self.inner.lock();
        while g.syncing {
            self.synced_cv.wait(&mut g);
        }
        if let Some(cause) = &g.failed {
            return Err(Error::ReadOnly(cause.clone()));
        }
        // The queued records, and no zero tail (it is cut off below).
        let queued = std::mem::take(&mut g.pending);
        g.unsynced = 0;
        let at = g.len - queued.len() as u64;
        let written = write_queued(&g.file, &queued, at, u64::MAX).and_then(|_| {
            g.file
                .file
                .sync_data()
                .map_err(|e| Error::io("fsync", &g.file.path, e))
        });
        if let Err(e) = written {
            self.fail_locked(&mut g, &e);
            return Err(e);
        }
        g.synced = g.len;
        // The file ends with its last record before the next one starts
        // (open checks each older file's length against its successor):
        // cut the zero tail, and whatever a failed zero write left.
        let cut = g.file.file.metadata().map(|m| m.len()).and_then(|on_disk| {
            if on_disk != g.len {
                g.file.file.set_len(g.len)?;
                g.file.file.sync_all()?;
            }
            Ok(())
        });
        if let Err(e) = cut {
            let e = Error::io("cut the zero tail of", &g.file.path, e);
            self.fail_locked(&mut g, &e);
            return Err(e);
        }
        g.allocated = g.len;
        let number = g.current + 1;
        let start = Start {
            first_seq: g.next_seq,
            prev_len: g.len,
        };
        let file = match create_file(&self.dir, self.owner, number, start) {
            Ok(f) => Arc::new(f),
            Err(e) => {
                g.failed = Some(e.to_string());
                return Err(e);
            }
        };
        g.files.insert(number, Arc::clone(&file));
        g.current = number;
        g.file = file;
        g.len = LOG_HEADER;
        g.synced = LOG_HEADER;
        g.allocated = LOG_HEADER;
        g.since_rotation = 0;
        self.synced_cv.notify_all();
        Ok((number, g.next_seq))
    }

    /// Deletes the log files numbered below `first` (their records are in
    /// durable files now).
    pub fn remove_before(&self, first: u64) -> Result<()> {
        let doomed: Vec<u64> = {
            let mut g = self.inner.lock();
            let cur = g.current;
            let keep = g.files.split_off(&first.min(cur));
            std::mem::replace(&mut g.files, keep).into_keys().collect()
        };
        for n in doomed {
            let p = self.dir.join(log_file_name(n));
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove", &p, e)),
            }
        }
        Ok(())
    }

    /// The open file `number`, for reading bodies.
    pub fn file(&self, number: u64) -> Option<Arc<LogFile>> {
        self.inner.lock().files.get(&number).cloned()
    }

    /// Number of the file appends go to.
    pub fn current_file(&self) -> u64 {
        self.inner.lock().current
    }

    /// Sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.inner.lock().next_seq
    }

    /// Whether the record at `pos` is durable (always, without the sync
    /// option, once appended).
    pub fn is_durable(&self, pos: RecordPos) -> bool {
        self.durability().covers(pos)
    }

    /// What is durable now (it only grows).
    pub fn durability(&self) -> Durability {
        let g = self.inner.lock();
        Durability {
            current: g.current,
            synced: g.synced,
        }
    }

    /// Counts the caller as a writer until the guard drops: from before
    /// its [`RecordLog::append`] to after it has its outcome. An fsync's
    /// leader waits (briefly) for every counted writer's record, so that
    /// concurrent writers share one fsync instead of alternating between
    /// two half groups: the writers served by one fsync come back while
    /// the next runs, and would otherwise always miss it.
    pub fn writer(&self) -> WriterGuard<'_> {
        self.writers.fetch_add(1, Ordering::SeqCst);
        WriterGuard(self)
    }

    /// Before an fsync: while some counted writer has not queued its record
    /// yet, waits for it, up to half the last fsync's time (at most
    /// [`MAX_GATHER`]): a longer wait would cost more than a second fsync.
    fn gather(&self, g: &mut parking_lot::MutexGuard<'_, Inner>) {
        let limit = (g.last_fsync / 2).min(MAX_GATHER);
        let deadline = Instant::now() + limit;
        while g.failed.is_none() && !self.gathered(g) {
            g.gathering = true;
            let timed_out = self.gather_cv.wait_until(g, deadline).timed_out();
            g.gathering = false;
            if timed_out {
                break;
            }
        }
    }

    /// Whether every counted writer has appended (or waits for the leader
    /// with a large record): the end of [`RecordLog::gather`]'s wait.
    fn gathered(&self, g: &Inner) -> bool {
        self.writers.load(Ordering::SeqCst) <= g.unsynced + g.direct_waiting
    }

    /// Wakes a gathering leader once its wait is over.
    fn wake_gatherer(&self, g: &Inner) {
        if g.gathering && self.gathered(g) {
            self.gather_cv.notify_one();
        }
    }

    /// Bytes appended since the last rotation.
    pub fn bytes_since_rotation(&self) -> u64 {
        self.inner.lock().since_rotation
    }

    /// Bytes of every open log file.
    pub fn disk_bytes(&self) -> u64 {
        let g = self.inner.lock();
        g.files
            .values()
            .map(|f| f.file.metadata().map_or(0, |m| m.len()))
            .sum()
    }

    /// The cause, if a write or fsync failed.
    pub fn failure(&self) -> Option<String> {
        self.inner.lock().failed.clone()
    }
}

impl Drop for RecordLog {
    /// Cuts the zero tail off the current file (open would do it too).
    fn drop(&mut self) {
        let g = self.inner.get_mut();
        if g.allocated > g.len && g.failed.is_none() {
            let _ = g.file.file.set_len(g.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("qv-log-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write_three(d: &Path) -> Vec<RecordPos> {
        let log = RecordLog::create(d, 7, 1, true).unwrap();
        let mut out = Vec::new();
        for body in [&b"first"[..], &[9u8; 300][..], b"third"] {
            let p = log.append(body).unwrap();
            log.sync_to(p).unwrap();
            out.push(p);
        }
        out
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_cut() {
        let d = tmpdir("torn");
        let pos = write_three(&d);
        let path = d.join(log_file_name(1));
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        let (log, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].body, b"first");
        assert_eq!(recs[1].pos, pos[1]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), pos[2].end);
        assert_eq!(log.next_seq(), 4);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_damaged_durable_record_is_corruption_not_a_tail() {
        let d = tmpdir("mid");
        let pos = write_three(&d);
        let path = d.join(log_file_name(1));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[pos[1].body_offset as usize + 10] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        match RecordLog::open(&d, 7, 1, 1, true) {
            Err(Error::Corrupt(m)) => {
                assert!(m.contains(&format!("offset {}", pos[0].end)), "{m}");
                assert!(m.contains("log-00000001.qv"), "{m}");
            }
            other => panic!("expected corruption, got {:?}", other.map(|(_, r)| r.len())),
        }
        // The file is left as it was: nothing was cut.
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_damaged_last_record_is_a_torn_tail() {
        let d = tmpdir("last");
        let pos = write_three(&d);
        let path = d.join(log_file_name(1));
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (_, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), pos[1].end);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_file_of_another_owner_is_refused() {
        let d = tmpdir("owner");
        write_three(&d);
        assert!(matches!(
            RecordLog::open(&d, 8, 1, 1, true),
            Err(Error::Corrupt(_))
        ));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn rotation_keeps_sequence_and_old_files_are_removed() {
        let d = tmpdir("rotate");
        let log = RecordLog::create(&d, 7, 1, true).unwrap();
        let a = log.append(b"a").unwrap();
        log.sync_to(a).unwrap();
        assert_eq!(log.rotate().unwrap(), (2, 2));
        let b = log.append(b"b").unwrap();
        log.sync_to(b).unwrap();
        assert_eq!((a.seq, b.seq, b.file), (1, 2, 2));
        drop(log);
        let (log, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 2);
        log.remove_before(2).unwrap();
        assert!(!d.join(log_file_name(1)).exists());
        drop(log);
        let (_, recs) = RecordLog::open(&d, 7, 2, 2, true).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].body, b"b");
        std::fs::remove_dir_all(&d).unwrap();
    }

    fn corrupt_message(r: Result<(RecordLog, Vec<LogRecord>)>) -> String {
        match r {
            Err(Error::Corrupt(m)) => m,
            Err(e) => panic!("want Corrupt, got {e}"),
            Ok((_, recs)) => panic!("want Corrupt, opened with {} records", recs.len()),
        }
    }

    /// Two files: records 1 and 2 in file 1, record 3 in file 2.
    fn two_files(d: &Path) -> u64 {
        let log = RecordLog::create(d, 7, 1, true).unwrap();
        let mut len1 = 0;
        for body in [b"a", b"b"] {
            let p = log.append(body).unwrap();
            log.sync_to(p).unwrap();
            len1 = p.end;
        }
        log.rotate().unwrap();
        // The rotation cut the zero tail off.
        assert_eq!(
            std::fs::metadata(d.join(log_file_name(1))).unwrap().len(),
            len1
        );
        let p = log.append(b"c").unwrap();
        log.sync_to(p).unwrap();
        len1
    }

    #[test]
    fn missing_or_replaced_log_files_are_corruption() {
        let d = tmpdir("chain");
        let len1 = two_files(&d);
        let (_, recs) = RecordLog::open(&d, 7, 1, 4, true).unwrap();
        assert_eq!(recs.len(), 3);
        let f1 = std::fs::read(d.join(log_file_name(1))).unwrap();
        let f2 = std::fs::read(d.join(log_file_name(2))).unwrap();
        let restore = || {
            std::fs::write(d.join(log_file_name(1)), &f1).unwrap();
            std::fs::write(d.join(log_file_name(2)), &f2).unwrap();
        };

        // Every file gone.
        std::fs::remove_file(d.join(log_file_name(1))).unwrap();
        std::fs::remove_file(d.join(log_file_name(2))).unwrap();
        let m = corrupt_message(RecordLog::open(&d, 7, 1, 1, true));
        assert!(m.contains("log-00000001.qv: missing"), "{m}");
        restore();

        // File 1 cut back to its first record: file 2 says where it ended.
        std::fs::write(
            d.join(log_file_name(1)),
            &f1[..(len1 as usize - RECORD_HEADER - 1)],
        )
        .unwrap();
        let m = corrupt_message(RecordLog::open(&d, 7, 1, 1, true));
        assert!(m.contains("log-00000002.qv: started after record 2"), "{m}");
        assert!(m.contains(&format!("had {len1} bytes")), "{m}");
        restore();

        // A copy of file 1 renumbered as file 2.
        let mut copy = f1.clone();
        copy[24..32].copy_from_slice(&2u64.to_le_bytes());
        let crc = crc32(&copy[..60]);
        copy[60..64].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(d.join(log_file_name(2)), &copy).unwrap();
        corrupt_message(RecordLog::open(&d, 7, 1, 1, true));
        restore();

        // The segments hold record 3, but the last file lost it.
        std::fs::write(d.join(log_file_name(2)), &f2[..LOG_HEADER as usize]).unwrap();
        let m = corrupt_message(RecordLog::open(&d, 7, 1, 4, true));
        assert!(
            m.contains("ends with record 2, but the segments already hold records up to 3"),
            "{m}"
        );
        // Without that knowledge it is a crash before record 3.
        let (log, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!((recs.len(), log.next_seq()), (2, 3));
        drop(log);
        restore();

        // File 1 gone, file 2 left: records 1 and 2 are missing unless the
        // segments hold them.
        std::fs::remove_file(d.join(log_file_name(1))).unwrap();
        let m = corrupt_message(RecordLog::open(&d, 7, 2, 1, true));
        assert!(m.contains("records 1 to 2 are missing"), "{m}");
        let (_, recs) = RecordLog::open(&d, 7, 2, 3, true).unwrap();
        assert_eq!(recs.len(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_rotation_cut_short_before_its_header_is_resumed() {
        let d = tmpdir("short");
        let log = RecordLog::create(&d, 7, 1, true).unwrap();
        let a = log.append(b"a").unwrap();
        log.sync_to(a).unwrap();
        drop(log);
        std::fs::write(d.join(log_file_name(2)), [1u8, 2, 3]).unwrap();
        let (log, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(log.current_file(), 2);
        let b = log.append(b"b").unwrap();
        log.sync_to(b).unwrap();
        drop(log);
        let (_, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 2);
        // Anywhere but at the end, a short file is corruption.
        std::fs::write(d.join(log_file_name(3)), b"").unwrap();
        std::fs::write(d.join(log_file_name(2)), [1u8]).unwrap();
        assert!(matches!(
            RecordLog::open(&d, 7, 1, 1, true),
            Err(Error::Corrupt(_))
        ));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn concurrent_writers_share_fsyncs_and_all_records_survive() {
        let d = tmpdir("group");
        let log = Arc::new(RecordLog::create(&d, 7, 1, true).unwrap());
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let log = Arc::clone(&log);
                s.spawn(move || {
                    for i in 0..50u8 {
                        let p = log.append(&[t, i]).unwrap();
                        log.sync_to(p).unwrap();
                    }
                });
            }
        });
        drop(log);
        let (_, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 200);
        assert!(recs.windows(2).all(|w| w[1].pos.seq == w[0].pos.seq + 1));
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Records queued for a leader and records written at once (over the
    /// queue limit), from writers counted by `writer()` as the collection
    /// does, interleave and all come back byte for byte, in order, across
    /// a crash that leaves the zero tail and across a rotation.
    #[test]
    fn queued_and_direct_records_survive_a_crash_with_the_zero_tail() {
        let d = tmpdir("mixed");
        let log = RecordLog::create(&d, 7, 1, true).unwrap();
        let body = |t: u8, i: u8| -> Vec<u8> {
            let n = if i % 7 == 3 {
                QUEUE_MAX_RECORD + 100
            } else {
                40 + i as usize
            };
            (0..n).map(|k| t ^ i ^ (k as u8)).collect()
        };
        let acked = parking_lot::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..6u8 {
                let (log, acked) = (&log, &acked);
                s.spawn(move || {
                    for i in 0..40u8 {
                        let _w = log.writer();
                        let b = body(t, i);
                        let p = log.append(&b).unwrap();
                        log.sync_to(p).unwrap();
                        acked.lock().push((p.seq, b));
                        if t == 0 && i == 20 {
                            log.rotate().unwrap();
                        }
                    }
                });
            }
        });
        let path = d.join(log_file_name(2));
        let on_disk = std::fs::metadata(&path).unwrap().len();
        let last_end = log.inner.lock().len;
        assert!(
            on_disk > last_end,
            "the open file has its zero tail ({on_disk} > {last_end})"
        );
        // A crash: no close, the tail stays.
        std::mem::forget(log);
        let (log, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        let mut want = acked.into_inner();
        want.sort_by_key(|(seq, _)| *seq);
        assert_eq!(recs.len(), want.len());
        for (r, (seq, b)) in recs.iter().zip(&want) {
            assert_eq!((r.pos.seq, &r.body), (*seq, b));
        }
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            last_end,
            "open cut the zero tail"
        );
        // Appends go on after the recovered tail.
        let p = log.append(b"after").unwrap();
        log.sync_to(p).unwrap();
        drop(log);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            p.end,
            "close cut the zero tail"
        );
        let (_, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.last().unwrap().body, b"after");
        assert_eq!(recs.len(), want.len() + 1);
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A failed fsync fails every record it did not make durable, and no
    /// such record is in the file on open; the durable ones are.
    #[test]
    fn a_failed_leader_write_loses_no_durable_record_and_keeps_no_failed_one() {
        let d = tmpdir("fail");
        let log = RecordLog::create(&d, 7, 1, true).unwrap();
        let a = log.append(b"durable").unwrap();
        log.sync_to(a).unwrap();
        let b = log.append(b"queued 1").unwrap();
        let c = log.append(b"queued 2").unwrap();
        crate::storage::fault::arm(&d, "log write", 1);
        let e = log.sync_to(b).unwrap_err();
        crate::storage::fault::disarm(&d);
        assert!(e.to_string().contains("injected fault: log write"), "{e}");
        assert!(matches!(log.sync_to(c), Err(Error::ReadOnly(_))));
        assert!(log.is_durable(a) && !log.is_durable(b) && !log.is_durable(c));
        assert!(matches!(log.append(b"later"), Err(Error::ReadOnly(_))));
        drop(log);
        let (_, recs) = RecordLog::open(&d, 7, 1, 1, true).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].body, b"durable");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
