//! Asking the person at the terminal for a secret (password, key passphrase) without echo.
//! Reads the controlling terminal (/dev/tty), never stdin, so a piped body stays intact.

use anyhow::Result;

use crate::error::usage;

/// Prompt `http: password for USER: ` on the terminal.
pub fn password(user: &str) -> Result<String> {
    secret(&format!("http: password for {user}: "), "a password")
}

fn secret(prompt: &str, what: &str) -> Result<String> {
    rpassword::prompt_password(prompt).map_err(|e| {
        usage(format!(
            "{what} is needed but there is no terminal to ask on ({e}); give it on the \
             command line, e.g. --auth user:pass"
        ))
    })
}
