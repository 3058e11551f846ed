//! The net stage: how the transport behaves, from the flags and the config prefix's settings
//! (already merged in `prefix::effective`).

use super::prefix::Effective;
use super::{NetSpec, Route};
use crate::cli::route::Family;
use crate::cli::Cli;

pub fn resolve(cli: &Cli, eff: Effective, warnings: &mut Vec<String>) -> NetSpec {
    if !eff.retry_status.0.is_empty() && eff.retries.0 == 0 {
        warnings.push("--retry-status has no effect without --retries N".into());
    }
    NetSpec {
        timeout: eff.timeout.0,
        max_time: cli.max_time.filter(|s| *s > 0.0),
        follow: eff.follow.0,
        max_redirects: cli.max_redirects.unwrap_or(30),
        max_headers: cli.max_headers,
        retries: eff.retries.0,
        retry_status: eff.retry_status.0,
        retry_backoff: cli.retry_backoff.unwrap_or(0.5),
        retry_max_wait: cli.retry_max_wait.unwrap_or(30.0),
        verify: eff.verify.0,
        ssl: cli.ssl.clone(),
        cert: cli.cert.clone(),
        cert_key: cli.cert_key.clone(),
        cert_key_pass: cli.cert_key_pass.clone(),
        proxies: eff.proxies.0,
        http_version: cli.http_version.unwrap_or_default(),
        bulk: cli.download,
        route: Route {
            resolve: cli.resolve.clone(),
            connect_to: cli.connect_to.clone(),
            family: match (cli.ipv4, cli.ipv6) {
                (true, _) => Family::V4,
                (_, true) => Family::V6,
                _ => Family::Any,
            },
            interface: cli.interface.clone(),
            unix_socket: cli.unix_socket.clone(),
        },
    }
}
