//! `POST /subscribe`: the form's answer, the bot checks and the client's address; the
//! sign-ups go to one worker, which records them and sends confirmations through the
//! sign-up service.
//!
//! Privacy: the answer to a form post is the same page whatever the address's state (new,
//! pending, confirmed, suppressed, a bot, rate-limited), and it is given before any e-mail
//! is sent, so neither content nor timing tells who is subscribed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Timelike, Utc};

use super::AppState;
use crate::config::{AudienceSettings, NewsletterSettings};
use crate::service::signups::Signups;
use crate::service::subscriptions::SignUpRequest;
use crate::subscribers::store::SignUp;
use crate::subscribers::{clean_text, Address};

/// Everything the sign-up endpoints need besides [`AppState`]; absent when the site has no
/// newsletter.
pub struct SignupDesk {
    /// The newsletter (From, page URLs).
    pub settings: NewsletterSettings,
    /// Lists and limits.
    pub audience: AudienceSettings,
    /// Records sign-ups and mails their confirmations.
    pub signups: Arc<Signups>,
    /// Form posts per client address in the current hour.
    pub per_ip: Mutex<IpWindow>,
    /// Sign-ups waiting for the one worker (see [`signup_worker`]).
    pub queue: tokio::sync::mpsc::Sender<SignUpJob>,
}

/// One accepted form post, for the worker.
#[derive(Debug)]
pub struct SignUpJob {
    request: SignUpRequest,
}

/// How many sign-ups may wait for the worker; beyond that, posts are dropped (logged) with
/// the same answer: a flood of posts is never a flood of writes or mail.
pub const QUEUE: usize = 1024;

/// Counts form posts per client address over a fixed hour window. Bounded: when the map holds
/// too many addresses it starts a new window (an attacker with that many addresses gets no
/// further than the hourly cap on e-mails).
#[derive(Debug, Default)]
pub struct IpWindow {
    started: Option<DateTime<Utc>>,
    counts: HashMap<IpAddr, u32>,
}

const MAX_TRACKED_IPS: usize = 100_000;

impl IpWindow {
    /// Counts one post from `ip`; false when it is over `limit` this hour.
    pub fn allow(&mut self, ip: IpAddr, now: DateTime<Utc>, limit: u32) -> bool {
        let expired = self.started.is_none_or(|s| now - s >= Duration::hours(1));
        if expired || self.counts.len() >= MAX_TRACKED_IPS {
            self.started = Some(now);
            self.counts.clear();
        }
        // One IPv6 host usually has a whole /64: count the network, not each address. An
        // IPv4 address seen through a dual-stack socket is first made IPv4 again, or every
        // IPv4 client would share the network `::ffff:0:0/64`.
        let ip = match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        };
        let count = self.counts.entry(ip).or_default();
        *count += 1;
        *count <= limit
    }
}

/// The peer address of a connection, put on each request by the server loop.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// The form's fields.
#[derive(Debug, Default)]
struct Form {
    email: String,
    name: Option<String>,
    lists: Vec<String>,
    honeypot: bool,
    ts: Option<String>,
}

fn parse_form(body: &str) -> Form {
    let mut form = Form::default();
    for (key, value) in url::form_urlencoded::parse(body.as_bytes()) {
        match &*key {
            "email" => form.email = value.trim().to_owned(),
            "name" => {
                let name: String = clean_text(&value)
                    .chars()
                    .take(crate::subscribers::MAX_FIELD_BYTES / 4)
                    .collect();
                form.name = Some(name).filter(|n| !n.is_empty());
            }
            "list" => form.lists.push(value.into_owned()),
            "website" => form.honeypot |= !value.trim().is_empty(),
            "ts" => form.ts = Some(value.into_owned()),
            _ => {}
        }
    }
    form
}

/// `POST /subscribe`.
pub async fn subscribe(
    State(state): State<Arc<AppState>>,
    peer: Option<axum::Extension<Peer>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(desk) = state.signup.as_ref() else {
        return state.pages.message(
            StatusCode::NOT_FOUND,
            "No newsletter here",
            &["This site has no mailing list."],
            None,
        );
    };
    let form = parse_form(&body);
    if let Err(why) = Address::parse(&form.email) {
        if !form.honeypot {
            let msg = format!(
                "“{}” does not look like an e-mail address ({why}). Please go back and check it.",
                form.email.chars().take(100).collect::<String>()
            );
            return state.pages.message(
                StatusCode::BAD_REQUEST,
                "Please check your address",
                &[&msg],
                None,
            );
        }
    }
    let now = state.clock.now_utc();
    let ip = client_ip(peer.map(|p| p.0 .0), &headers, desk.audience.behind_proxy);
    let human = is_human(&state, desk, &form, Utc::now());
    let allowed = ip.is_none_or(|ip| {
        desk.per_ip
            .lock()
            .map(|mut w| w.allow(ip, now, desk.audience.per_ip_per_hour))
            .unwrap_or(true)
    });
    if human && allowed {
        let at = now.with_nanosecond(0).unwrap_or(now);
        let request = sign_up_request(desk, &form, &headers, ip, at);
        if let Some(request) = request {
            if desk.queue.try_send(SignUpJob { request }).is_err() {
                tracing::warn!("sign-up queue full: a form post was dropped");
            }
        }
    } else {
        tracing::debug!(human, allowed, "form post dropped");
    }
    check_your_inbox(&state, desk)
}

/// The sign-up a form post asks for, with what its consent record keeps (the page and the
/// client's address); `None` for an honeypot post whose address did not parse.
fn sign_up_request(
    desk: &SignupDesk,
    form: &Form,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    at: DateTime<Utc>,
) -> Option<SignUpRequest> {
    // crier's own page sends no Referer (its policy is no-referrer), but its form says where
    // it came from with the signed timestamp.
    let page = match form.ts {
        Some(_) => Some(format!("{}/", desk.settings.pages_base)),
        None => headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(|r| r.chars().take(500).collect()),
    };
    Some(SignUpRequest {
        address: Address::parse(&form.email).ok()?,
        name: form.name.clone(),
        lists: form.lists.clone(),
        page,
        ip: ip.map(|ip| ip.to_string()),
        at,
    })
}

/// Whether a form post passes the bot checks: the honeypot is empty and, when the form came
/// from crier's own page, it was not filled in faster than a person can (measured in real
/// time, `now`, whatever clock the daemon is given).
fn is_human(state: &AppState, desk: &SignupDesk, form: &Form, now: DateTime<Utc>) -> bool {
    if form.honeypot {
        return false;
    }
    match form.ts.as_deref() {
        None => true,
        Some(ts) => state.key.verify_form(ts).is_some_and(|served| {
            let age = now.timestamp() - served;
            age >= i64::from(desk.audience.form_min_seconds) && age <= 24 * 3600
        }),
    }
}

/// The client's address, for the per-IP limit and the consent record.
///
/// Without `behind_proxy`, the socket's address: `X-Forwarded-For` is anyone's to write. With
/// it, the last address of the last `X-Forwarded-For` field: the one the proxy in front
/// appended (everything left of it came from the client, and is ignored). Even then, only a
/// connection from a loopback, private or link-local address (where one's own proxy sits) is
/// believed: a daemon that is also reachable from the internet is not fooled by a forged
/// header, and counts that connection under its own address. An IPv4 client of a dual-stack
/// socket (`::ffff:192.0.2.1`) is the IPv4 address it is.
fn client_ip(
    peer: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
    behind_proxy: bool,
) -> Option<IpAddr> {
    let peer = peer.map(|p| p.ip().to_canonical());
    if behind_proxy {
        match peer {
            Some(ip) if is_proxy_address(ip) => {
                if let Some(forwarded) = forwarded_for(headers) {
                    return Some(forwarded);
                }
            }
            Some(ip) if headers.contains_key("x-forwarded-for") => untrusted_proxy(ip),
            _ => {}
        }
    }
    peer
}

/// The rightmost address of `X-Forwarded-For` (all its fields read as one list, as HTTP
/// says they are), with or without a port; `None` when it is missing or not an address.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let entry = last.to_str().ok()?.rsplit(',').next()?.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

/// Where a reverse proxy of one's own connects from: this host, a private network (a
/// container bridge, a cloud VPC), a link.
fn is_proxy_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// Says once that `X-Forwarded-For` came from a public address and was not believed: a
/// proxy there would make every visitor count as the proxy.
fn untrusted_proxy(ip: IpAddr) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            %ip,
            "X-Forwarded-For from a public address is ignored although `audience.behind_proxy` is set: crier believes it only from loopback, private and link-local addresses"
        );
    }
}

/// The one worker that records sign-ups and sends confirmation e-mails, in order: the form's
/// answer never waits for (so never reveals) either, and a burst of posts becomes at most a
/// steady trickle of mail. Between sign-ups it retries confirmations a server outage
/// deferred.
pub async fn signup_worker(
    state: Arc<AppState>,
    mut queue: tokio::sync::mpsc::Receiver<SignUpJob>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let Some(desk) = state.signup.as_ref() else {
        return;
    };
    let mut retry = tokio::time::interval(state.config.delivery.retry_unfinished);
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            job = queue.recv() => match job {
                Some(job) => handle(&state, desk, job.request, &shutdown).await,
                None => return,
            },
            _ = retry.tick() => retry_deferred(desk, &shutdown).await,
        }
    }
}

async fn handle(
    state: &AppState,
    desk: &SignupDesk,
    request: SignUpRequest,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) {
    let (signups, stop) = (Arc::clone(&desk.signups), shutdown.clone());
    let who = state.key.pseudonym(&request.address);
    let runtime = tokio::runtime::Handle::current();
    let outcome =
        tokio::task::spawn_blocking(move || signups.handle(&request, &runtime, stop)).await;
    match outcome {
        Ok(Ok(SignUp::Confirm(lists))) => {
            tracing::info!(%who, ?lists, "sign-up: confirmation e-mail sent")
        }
        Ok(Ok(SignUp::CapReached)) => tracing::warn!(
            %who,
            cap = desk.audience.confirmations_per_hour,
            "hourly cap on confirmation e-mails reached: a sign-up was recorded as pending without an e-mail (raise `audience.confirmations_per_hour` if this is real demand)"
        ),
        Ok(Ok(other)) => tracing::info!(%who, ?other, "sign-up: no confirmation e-mail needed"),
        Ok(Err(err)) => tracing::error!(%who, %err, "sign-up not completed"),
        Err(err) => tracing::error!(%err, "sign-up task failed"),
    }
}

async fn retry_deferred(desk: &SignupDesk, shutdown: &tokio::sync::watch::Receiver<bool>) {
    let (signups, stop) = (Arc::clone(&desk.signups), shutdown.clone());
    let runtime = tokio::runtime::Handle::current();
    let retried = tokio::task::spawn_blocking(move || signups.retry(&runtime, stop)).await;
    if let Ok(Err(err)) = retried {
        tracing::warn!(%err, "cannot retry deferred confirmation e-mails");
    }
}

fn check_your_inbox(state: &AppState, desk: &SignupDesk) -> Response {
    if let Some(url) = &desk.audience.thanks_url {
        return Redirect::to(url).into_response();
    }
    state.pages.message(
        StatusCode::OK,
        "Check your inbox",
        &[
            "If that address can subscribe, we have sent it an e-mail with a link to confirm. Nothing is sent until you confirm.",
            "No e-mail after a few minutes? Look in your spam folder, or try again tomorrow.",
        ],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_proxy_and_only_its_own_entry() {
        let local = Some("127.0.0.1:5000".parse().unwrap());
        let spoofed = forwarded(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(client_ip(local, &spoofed, false), Some(ip("127.0.0.1")));
        assert_eq!(client_ip(local, &spoofed, true), Some(ip("203.0.113.7")));
        // A client's own field first, the proxy's appended as a second one.
        let two = forwarded(&["203.0.113.9", "6.6.6.6, 203.0.113.8"]);
        assert_eq!(client_ip(local, &two, true), Some(ip("203.0.113.8")));
        let two = forwarded(&["6.6.6.6, 1.1.1.1", "203.0.113.8"]);
        assert_eq!(client_ip(local, &two, true), Some(ip("203.0.113.8")));
        for (value, expected) in [
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("203.0.113.5:8080", "203.0.113.5"),
            ("::ffff:203.0.113.6", "203.0.113.6"),
            ("unknown", "127.0.0.1"),
            ("", "127.0.0.1"),
        ] {
            let got = client_ip(local, &forwarded(&[value]), true);
            assert_eq!(got, Some(ip(expected)), "{value}");
        }
        let bridge = Some("172.17.0.2:5000".parse().unwrap());
        assert_eq!(client_ip(bridge, &spoofed, true), Some(ip("203.0.113.7")));
    }

    #[test]
    fn forwarded_for_from_a_public_address_is_not_believed() {
        let public = Some("198.51.100.20:5000".parse().unwrap());
        let spoofed = forwarded(&["6.6.6.6"]);
        assert_eq!(client_ip(public, &spoofed, true), Some(ip("198.51.100.20")));
        let mapped = Some("[::ffff:198.51.100.20]:5000".parse().unwrap());
        assert_eq!(client_ip(mapped, &spoofed, true), Some(ip("198.51.100.20")));
    }

    #[test]
    fn ipv4_clients_of_a_dual_stack_socket_are_counted_one_by_one() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .to_utc();
        let mut window = IpWindow::default();
        assert!(window.allow(ip("::ffff:192.0.2.1"), now, 1));
        assert!(
            window.allow(ip("::ffff:192.0.2.2"), now, 1),
            "another IPv4 client is not in the same /64"
        );
        assert!(!window.allow(ip("192.0.2.1"), now, 1), "the same client");
        assert!(window.allow(ip("2001:db8:0:1::1"), now, 1));
        assert!(!window.allow(ip("2001:db8:0:1::2"), now, 1), "the same /64");
    }
}
