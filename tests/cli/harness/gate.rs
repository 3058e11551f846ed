//! A one-shot latch that lets a test and a server thread hand control to
//! each other without sleeping.
//!
//! `let (gate, opener) = gate();` — threads blocked in `gate.wait()` resume
//! once `opener.open()` is called *or the opener is dropped*. Opening on drop
//! matters: when a test panics, unwinding drops its openers, so server
//! threads parked on a gate are released instead of leaking forever.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Shared state: `true` once opened.
type Latch = Arc<(Mutex<bool>, Condvar)>;

/// Waiting side of a latch. Cheap to clone; every clone sees the same latch.
#[derive(Clone, Debug)]
pub struct Gate {
    latch: Latch,
}

/// Opening side of a latch. Opens the gate when dropped, so a forgotten or
/// unwound opener never leaves a waiter stuck.
#[derive(Debug)]
pub struct Opener {
    latch: Latch,
}

/// Creates a closed gate and the opener that opens it.
pub fn gate() -> (Gate, Opener) {
    let latch: Latch = Arc::new((Mutex::new(false), Condvar::new()));
    (
        Gate {
            latch: latch.clone(),
        },
        Opener { latch },
    )
}

impl Gate {
    /// Blocks until the gate is opened (or its opener dropped).
    pub fn wait(&self) {
        let (lock, cv) = &*self.latch;
        let mut open = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Blocks until the gate opens or `limit` elapses; returns whether it
    /// opened. Use for safety limits only, never as a synchronisation delay.
    pub fn wait_timeout(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let (lock, cv) = &*self.latch;
        let mut open = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            open = cv
                .wait_timeout(open, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Whether the gate has been opened already.
    pub fn is_open(&self) -> bool {
        *self.latch.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Opener {
    /// Opens the gate, releasing all current and future waiters. Idempotent.
    pub fn open(&self) {
        let (lock, cv) = &*self.latch;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
}

impl Drop for Opener {
    fn drop(&mut self) {
        self.open();
    }
}
