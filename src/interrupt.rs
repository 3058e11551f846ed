//! Ctrl-C. By default the run ends at once with exit 130 after a newline on stderr, as in
//! HTTPie; while a download copies, the event goes to it instead, so it can say how to
//! resume. A second Ctrl-C always ends the run.

use std::sync::{Mutex, Once};

type Hook = Box<dyn Fn() + Send>;

static HOOK: Mutex<Option<Hook>> = Mutex::new(None);
static INSTALL: Once = Once::new();

/// Install the handler (once; costs a thread, so only when a request is about to be sent).
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            let hook = HOOK.lock().unwrap_or_else(|e| e.into_inner()).take();
            match hook {
                Some(h) => h(),
                None => {
                    use std::io::Write;
                    let _ = std::io::stderr().write_all(b"\n");
                    // Not `process::exit`: it would flush stdout, whose lock the main
                    // thread may hold in the middle of a write.
                    // SAFETY: _exit ends the process at once; it touches no Rust state.
                    unsafe { libc::_exit(crate::error::Outcome::Interrupted.code()) };
                }
            }
        });
    });
}

/// Route the next Ctrl-C to `hook` instead of ending the run.
pub fn on_next(hook: impl Fn() + Send + 'static) {
    install();
    *HOOK.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(hook));
}
