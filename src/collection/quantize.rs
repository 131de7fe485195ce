//! Explicit quantizer training (`TRAIN QUANTIZER ON c WITH (m=…, k=…)`).
//!
//! Codes are trained automatically when the optimizer seals a segment; this
//! retrains every sealed segment now, with new parameters if given, which
//! later seals use too. It runs in two phases, holding the optimizer's turn
//! so that no segment is rewritten meanwhile:
//!
//! 1. training: one quantizer per sealed segment (PQ's k-means, on rayon),
//!    reporting progress on the caller's thread; the callback may cancel,
//!    and a cancelled or failed training changes nothing;
//! 2. installing: the new parameters are persisted (`collection.json`,
//!    atomically), then each segment's codes file is replaced (by rename)
//!    and the segment, reopened with it, swapped in under the exclusive
//!    lock for an instant. Searches go on throughout; writes go on too
//!    (they land in the appendable segment, which is searched exactly).
//!
//! A crash during phase 2 leaves every segment with a valid codes file,
//! old or new; each file records the quantizer it was encoded with, so the
//! collection opens with whatever each holds. An I/O error in phase 2 is
//! returned the same way: parameters kept, some segments recoded, every
//! segment searchable; calling again completes it.

use super::open::CONFIG;
use super::Collection;
use crate::collection::config::CollectionConfig;
use crate::error::{Error, Result};
use crate::quant::{Quantizer, QuantizerConfig, StorageMode};
use crate::segment::sealed::Sealed;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

impl Collection {
    /// Retrains the quantizer of every sealed segment with `params` (which
    /// become the collection's, for later seals too) and re-encodes their
    /// codes. `progress(done, total)` is called as training steps finish
    /// (one per PQ subspace per segment, one per segment in the other
    /// modes), on the caller's thread, with `done` rising by one; returning
    /// `false` cancels ([`Error::Cancelled`], nothing changed) and it is
    /// not called again. After the last step the
    /// codes are written and the callback is not called again.
    ///
    /// Errors: [`Error::Unsupported`] in f32 storage,
    /// [`Error::InvalidArgument`] for parameters out of range, and what
    /// writes can fail with.
    pub fn train_quantizer(
        &self,
        params: QuantizerConfig,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<()> {
        self.check_writable()?;
        if !self.config.storage.quantized() {
            return Err(Error::Unsupported(format!(
                "collection \"{}\" stores f32 vectors; train_quantizer applies to the quantized storage modes (sq8, f16, bf16, binary, pq)",
                self.name
            )));
        }
        params.validate(self.config.dimension, "params")?;
        let _one = self.optimizing.lock();
        self.check_writable()?;
        let config = CollectionConfig {
            quantizer: params,
            ..self.config.clone()
        };
        let segs: Vec<Arc<Sealed>> = {
            let st = self.state.read();
            st.sealed.iter().map(|s| Arc::clone(&s.seg)).collect()
        };

        // Phase 1: train (cancellable, changes nothing). The training runs
        // on a scoped thread (its k-means on the rayon pool); each finished
        // step is sent here, and `progress` runs on the caller's thread:
        // one call at a time, in order, never after it cancelled, and never
        // on a thread the caller's runtime does not know (a managed
        // runtime may wait at exit for every thread that ran its code).
        let steps = Quantizer::train_steps(config.storage, &params, config.dimension);
        let total = steps * segs.len() as u64;
        let cancelled = AtomicBool::new(false);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let trained = std::thread::scope(|scope| {
            let worker = scope.spawn(|| -> Result<Vec<Quantizer>> {
                let tx = tx;
                let step = |_: u64, _: u64| {
                    let _ = tx.send(());
                    !cancelled.load(Ordering::Acquire)
                };
                let mut trained = Vec::with_capacity(segs.len());
                for seg in &segs {
                    let q = seg.train_quantizer(&config, &step)?;
                    // Modes without k-means report their one step here.
                    if config.storage != StorageMode::Pq && !step(1, 1) {
                        return Err(Error::Cancelled(String::new()));
                    }
                    self.check_writable()?;
                    trained.push(q);
                }
                Ok(trained)
            });
            // A panic in `progress` cancels the worker before it unwinds.
            struct CancelOnUnwind<'a>(&'a AtomicBool);
            impl Drop for CancelOnUnwind<'_> {
                fn drop(&mut self) {
                    if std::thread::panicking() {
                        self.0.store(true, Ordering::Release);
                    }
                }
            }
            let _guard = CancelOnUnwind(&cancelled);
            let mut done = 0u64;
            // Ends when the worker is done (it drops the sender).
            for () in rx {
                if !cancelled.load(Ordering::Relaxed) {
                    done += 1;
                    if !progress(done, total) {
                        cancelled.store(true, Ordering::Release);
                    }
                }
            }
            let r = match worker.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            // The worker may have finished before the last step's answer
            // came: a cancel is a cancel, whatever it returned.
            if cancelled.load(Ordering::Acquire) {
                Err(Error::Cancelled(String::new()))
            } else {
                r
            }
        });
        let trained = match trained {
            Err(Error::Cancelled(_)) => {
                return Err(Error::Cancelled(format!(
                    "training the quantizer of collection \"{}\"",
                    self.name
                )))
            }
            r => r?,
        };

        // Phase 2: persist the parameters, then recode and swap each segment.
        crate::storage::write_atomic(
            &self.dir.join(CONFIG),
            &crate::storage::config_file::encode(&config, self.uid),
        )?;
        *self.quantizer.lock() = params;
        for (seg, q) in segs.iter().zip(&trained) {
            let new = Arc::new(seg.recoded(self.uid, &config, q, &self.index_kinds)?);
            let _ = new.make_resident();
            let mut st = self.state.write();
            if let Some(slot) = st.sealed.iter_mut().find(|s| s.seg.id == seg.id) {
                slot.seg = new;
            }
        }
        Ok(())
    }
}
