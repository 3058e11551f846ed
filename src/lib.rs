//! `http`: a command-line HTTP client with HTTPie's grammar.
//!
//! The binary is a thin wrapper around [`app::main`]; the modules below are the pipeline
//! stages described in ARCHITECTURE.md, public so that tests can exercise the pure ones.
pub mod app;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod cookiejar;
pub mod decode;
pub mod download;
pub mod env;
pub mod error;
pub mod interrupt;
pub mod message;
pub mod netrc;
pub mod output;
pub mod prepare;
pub mod prompt;
pub mod reqfile;
pub mod session;
pub mod sigv4;
pub mod spec;
pub mod spool;
