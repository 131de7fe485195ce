//! Fault injection for tests: make the next I/O steps of one kind fail for
//! files under one directory, as a failing disk would. Costs one relaxed
//! atomic load per checked step when nothing is armed.

use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

struct Armed {
    dir: PathBuf,
    step: String,
    remaining: u32,
}

static ANY: AtomicBool = AtomicBool::new(false);
static ARMED: Mutex<Vec<Armed>> = Mutex::new(Vec::new());

/// Makes the next `count` steps named `step` (`"log write"`, `"log fsync"`,
/// `"log preallocate"`, `"segment write"`, `"apply panic"`) on files under
/// `dir` fail. For tests.
#[doc(hidden)]
pub fn arm(dir: &Path, step: &str, count: u32) {
    ARMED.lock().push(Armed {
        dir: dir.to_owned(),
        step: step.to_owned(),
        remaining: count,
    });
    ANY.store(true, Ordering::Release);
}

/// Removes every armed fault under `dir`. For tests.
#[doc(hidden)]
pub fn disarm(dir: &Path) {
    let mut a = ARMED.lock();
    a.retain(|f| !f.dir.starts_with(dir));
    ANY.store(!a.is_empty(), Ordering::Release);
}

/// Fails with an injected I/O error if a fault is armed for `step` on `path`.
pub fn check(step: &str, path: &Path) -> std::io::Result<()> {
    if fires(step, path) {
        Err(std::io::Error::other(format!("injected fault: {step}")))
    } else {
        Ok(())
    }
}

/// Whether an armed fault for `step` on `path` fires now (and consumes it).
pub fn fires(step: &str, path: &Path) -> bool {
    if !ANY.load(Ordering::Relaxed) {
        return false;
    }
    let mut a = ARMED.lock();
    let Some(f) = a
        .iter_mut()
        .find(|f| f.step == step && path.starts_with(&f.dir) && f.remaining > 0)
    else {
        return false;
    };
    f.remaining -= 1;
    a.retain(|f| f.remaining > 0);
    ANY.store(!a.is_empty(), Ordering::Release);
    true
}
