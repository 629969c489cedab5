//! The daemon's SMTP door for bounce reports (`bounces.listen`): a Postfix relay or the bounce
//! domain's MX forwards reports here, and each one goes to the bounce service, which matches
//! and acts on it before the message is acknowledged (so a report is never lost: on a ledger
//! failure the sender is told to try again later).
//!
//! Only recipients of the bounce domain are accepted. Messages over `bounces.max_message_kb`,
//! sessions over [`MAX_SESSIONS`] at once, slow clients and long sessions are cut off. The
//! session runs on a blocking thread with socket timeouts, since acting on a report uses the
//! (synchronous) ledger. The protocol itself is
//! [`super::smtp_session`], with no I/O.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};

use super::smtp_session::{Session, Step};
use crate::config::Config;
use crate::email::TokenKey;
use crate::ledger::Ledger;
use crate::service::bounces::{report_id, Bounces};

/// Sessions served at once; more get `421` and are closed.
pub const MAX_SESSIONS: usize = 8;
/// Longest command or message line read.
const MAX_LINE: u64 = 64 * 1024;
/// Time allowed for each read and write.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest session.
const MAX_SESSION: Duration = Duration::from_secs(600);
/// Messages per session.
const MAX_MESSAGES: usize = 100;

/// What sessions need.
pub struct BounceDesk {
    /// The site's config (bounce domain, limits, the ledger).
    pub config: Config,
    /// Checks VERP tokens.
    pub key: TokenKey,
}

/// Serves SMTP on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    desk: Arc<BounceDesk>,
    mut shutdown: watch::Receiver<bool>,
) {
    let sessions = Arc::new(Semaphore::new(MAX_SESSIONS));
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "bounce listener: cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = crate::util::shutdown::stopped(&mut shutdown) => return,
        };
        let Ok(std) = stream.into_std() else {
            continue;
        };
        let Ok(permit) = Arc::clone(&sessions).try_acquire_owned() else {
            let _ = refuse_busy(std);
            continue;
        };
        let desk = Arc::clone(&desk);
        tokio::task::spawn_blocking(move || {
            if let Err(err) = session(std, peer.ip(), &desk) {
                tracing::debug!(%err, "bounce listener: session ended");
            }
            drop(permit);
        });
    }
}

fn refuse_busy(mut stream: std::net::TcpStream) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"421 4.3.2 too many connections, try again later\r\n")
}

/// One SMTP session.
fn session(stream: TcpStream, _peer: IpAddr, desk: &BounceDesk) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut smtp = Session::new("crier-bounces", desk.config.bounces.max_message_bytes);
    writer.write_all(smtp.greeting().as_bytes())?;
    let accept = |to: &str| ours(desk, to);
    let (started, mut messages) = (Instant::now(), 0usize);
    let mut line = Vec::with_capacity(1024);
    loop {
        if started.elapsed() > MAX_SESSION {
            return writer.write_all(b"421 4.4.2 session too long, closing\r\n");
        }
        line.clear();
        if (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            return writer.write_all(b"500 5.5.2 line too long, closing\r\n");
        }
        match smtp.line(&line, &accept) {
            Step::Continue => {}
            Step::Reply(reply) => writer.write_all(reply.as_bytes())?,
            Step::Close(reply) => return writer.write_all(reply.as_bytes()),
            Step::Message { recipients, data } => {
                messages += 1;
                let reply = match data {
                    None => "552 5.3.4 Message too big\r\n",
                    Some(data) => take(desk, &recipients, &data),
                };
                writer.write_all(reply.as_bytes())?;
                if messages >= MAX_MESSAGES {
                    return writer.write_all(b"421 4.7.0 enough for one session\r\n");
                }
            }
        }
    }
}

/// Whether `to` is an address of the bounce domain.
fn ours(desk: &BounceDesk, to: &str) -> bool {
    let domain = to.rsplit_once('@').map(|(_, d)| d);
    match (&desk.config.bounces.domain, domain) {
        (Some(bounce), Some(d)) => d.eq_ignore_ascii_case(bounce),
        _ => false,
    }
}

/// Takes one report; the reply says whether it was recorded.
fn take(desk: &BounceDesk, recipients: &[String], bytes: &[u8]) -> &'static str {
    let mut report = match crate::bounce::parse(bytes) {
        Ok(report) => report,
        Err(err) => {
            // Not a report at all: taken (so the sender does not retry forever) and dropped.
            tracing::info!(%err, "bounce listener: a message that is not a report was dropped");
            return "250 2.0.0 OK\r\n";
        }
    };
    report.envelope_to.extend(recipients.iter().cloned());
    let id = report_id(&report, bytes);
    let config = &desk.config;
    let bounces = Bounces::new(config, &desk.key);
    let now = chrono::Utc::now();
    let done = Ledger::open(&crate::ledger::Place::of(config)).and_then(|mut ledger| {
        let decisions = bounces.decide(&ledger, &report, &id, "smtp", now)?;
        bounces.apply(&mut ledger, &decisions, now)
    });
    match done {
        Ok(applied) => {
            for d in &applied {
                let who = d
                    .recipient
                    .as_deref()
                    .map(|r| {
                        desk.key
                            .pseudonym(&crate::subscribers::Address::unchecked(r))
                    })
                    .unwrap_or_default();
                tracing::info!(%who, kind = d.kind, reason = d.reason, action = d.action.as_str(), "bounce report taken over SMTP");
            }
            "250 2.0.0 OK\r\n"
        }
        Err(err) => {
            tracing::error!(%err, "bounce listener: cannot record a report; the sender will retry");
            "451 4.3.0 cannot record the report now, try again later\r\n"
        }
    }
}
