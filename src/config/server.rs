//! The `server:` section: where `crier run` listens.

use serde::Deserialize;

/// The daemon's HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Address and port, e.g. `127.0.0.1:27437`.
    pub bind: std::net::SocketAddr,
}

/// `server:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    /// Address and port; `127.0.0.1:27437` by default.
    #[serde(default = "default_bind")]
    bind: String,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            bind: default_bind(),
        }
    }
}

/// 27437 spells C-R-I-E-R on a phone keypad, and no common tool uses it (4000 is
/// `jekyll serve`'s, 1313 Hugo's, 3000/5000/8000/8080 everyone's).
pub const DEFAULT_PORT: u16 = 27437;

fn default_bind() -> String {
    format!("127.0.0.1:{DEFAULT_PORT}")
}

/// Validates `server:`.
pub(super) fn validate(
    raw: RawServer,
    problem: &mut impl FnMut(&[&str], String),
) -> ServerSettings {
    let bind = raw.bind.parse().unwrap_or_else(|_| {
        problem(
            &["server", "bind"],
            format!(
                "field `server.bind`: expected an address and port such as `127.0.0.1:27437`, found `{}`",
                raw.bind
            ),
        );
        std::net::SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT))
    });
    ServerSettings { bind }
}
