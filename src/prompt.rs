//! Asking the person at the terminal for a secret (password, key passphrase) without echo.
//! Reads the controlling terminal (/dev/tty), never stdin, so a piped body stays intact.

use anyhow::Result;

use crate::error::usage;

/// Prompt `http: password for USER: ` on the terminal.
pub fn password(user: &str) -> Result<String> {
    secret(
        &format!("http: password for {user}: "),
        &format!("no password for '{user}' was given"),
        &format!("use --auth {user}:PASSWORD"),
    )
}

/// Prompt for the passphrase of an encrypted client key.
pub fn passphrase(key: &std::path::Path) -> Result<String> {
    secret(
        &format!("http: passphrase for {}: ", key.display()),
        &format!("the key in '{}' is encrypted", key.display()),
        "give its passphrase with --cert-key-pass",
    )
}

fn secret(prompt: &str, what: &str, instead: &str) -> Result<String> {
    rpassword::prompt_password(prompt).map_err(|e| {
        usage(format!(
            "{what} and there is no terminal to ask on ({}): {instead}",
            crate::error::plain_io(&e)
        ))
    })
}
