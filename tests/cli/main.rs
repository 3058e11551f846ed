//! Integration tests for the `http` / `https` binaries.
//!
//! Everything lives in one test binary (`cargo test --test cli`) so the
//! harness and its dependencies are compiled and linked once.

mod config;
mod cookiejar;
mod download;
mod errors;
mod faults;
mod foundation;
mod generated;
mod h2_harness_selftest;
mod harness;
mod harness_selftest;
mod http2;
mod latency;
mod network;
mod output;
mod property;
mod proxies;
mod reqfile;
mod retries;
mod routing;
mod scripting;
mod sessions;
mod sigv4;
mod tls;
