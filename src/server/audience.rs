//! Joining and leaving over HTTP: the home page with the subscribe form, `POST /subscribe`
//! (double opt-in), `GET/POST /confirm` and `GET/POST /preferences`.
//!
//! Privacy rules every handler keeps: the answer to a form post is the same page whatever the
//! address's state (new, pending, confirmed, suppressed, a bot, rate-limited), and it is
//! given before any e-mail is sent, so neither content nor timing tells who is subscribed.
//! `GET` never changes anything: link scanners fetch every URL in a message.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::json;

use super::pages::private;
use super::AppState;
use crate::config::{AudienceSettings, NewsletterSettings, PublicList};
use crate::email::views::{ConfirmationView, EmailView, ListView, SiteView};
use crate::ledger::Ledger;
use crate::service::mailing::{OneMessage, Postman};
use crate::service::subscriptions::{Choice, Confirmed, Preferences, SignUpRequest, Subscriptions};
use crate::subscribers::store::SignUp;
use crate::subscribers::{clean_text, Address};

/// Everything the sign-up endpoints need besides [`AppState`]; absent when the site has no
/// newsletter.
pub struct SignupDesk {
    /// The newsletter (From, page URLs).
    pub settings: NewsletterSettings,
    /// Lists and limits.
    pub audience: AudienceSettings,
    /// Sends confirmation e-mails through the same sender as every other message.
    pub postman: Arc<Postman>,
    /// Form posts per client address in the current hour.
    pub per_ip: Mutex<IpWindow>,
    /// Sign-ups waiting for the one worker that records them and sends confirmations (see
    /// [`signup_worker`]).
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
        // One IPv6 host usually has a whole /64: count the network, not each address.
        let ip = match ip {
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

/// `GET /`: the site's public page.
pub async fn index(State(state): State<Arc<AppState>>) -> Response {
    let form = state.signup.as_ref().map(|desk| {
        let lists: Vec<_> = desk.audience.lists.iter().map(list_json).collect();
        json!({
            "action": "subscribe",
            "choose": lists.len() > 1,
            "lists": lists,
            // Real time, not the injected clock: the fill time is a person's real seconds.
            "ts": state.key.form_token(Utc::now().timestamp()),
        })
    });
    let tags = tag_feeds(&state.public_dir, &state.feeds_path, &state.site_title).await;
    let archive = tokio::fs::try_exists(state.public_dir.join("archive/index.html"))
        .await
        .unwrap_or(false)
        .then(|| format!("{}archive/", state.feeds_path));
    let data = json!({"index": true, "form": form, "tags": tags, "archive": archive});
    state.pages.respond(StatusCode::OK, "index", data)
}

fn list_json(list: &PublicList) -> serde_json::Value {
    json!({"name": list.name, "title": list.title, "description": list.description})
}

/// The per-tag feeds in the output folder, by name: the Atom one to link, and all three
/// for `<link rel="alternate">`.
async fn tag_feeds(public: &std::path::Path, base: &str, site: &str) -> Vec<serde_json::Value> {
    let mut tags = Vec::new();
    if let Ok(mut dir) = tokio::fs::read_dir(public.join("tags")).await {
        while let Ok(Some(entry)) = dir.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().join("atom.xml").exists() {
                tags.push(name);
            }
        }
    }
    tags.sort();
    tags.into_iter()
        .map(|t| {
            let alternates =
                crate::urls::feed_links(&format!("{site}: {t}"), &format!("{base}tags/{t}/"));
            json!({"name": t, "url": format!("{base}tags/{t}/atom.xml"), "alternates": alternates})
        })
        .collect()
}

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

fn client_ip(
    peer: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
    behind_proxy: bool,
) -> Option<IpAddr> {
    if behind_proxy {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
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
                Some(job) => handle_sign_up(&state, desk, job.request, &shutdown).await,
                None => return,
            },
            _ = retry.tick() => retry_confirmations(desk, &shutdown).await,
        }
    }
}

async fn handle_sign_up(
    state: &Arc<AppState>,
    desk: &SignupDesk,
    request: SignUpRequest,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) {
    let st = Arc::clone(state);
    let asked = request.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        st.signup.as_ref().ok_or(Unavailable)?;
        let mut ledger = Ledger::open(&st.ledger_path)?;
        Ok::<_, Unavailable>(Subscriptions::new(&mut ledger, &st.config).sign_up(&asked)?)
    })
    .await;
    match outcome {
        Ok(Ok(SignUp::Confirm(lists))) => {
            let one = confirmation(state, desk, &request, &lists);
            deliver_one(desk, one, shutdown).await;
        }
        Ok(Ok(SignUp::CapReached)) => tracing::warn!(
            cap = desk.audience.confirmations_per_hour,
            "hourly cap on confirmation e-mails reached: a sign-up was recorded as pending without an e-mail (raise `audience.confirmations_per_hour` if this is real demand)"
        ),
        Ok(Ok(other)) => tracing::debug!(?other, "no confirmation e-mail needed"),
        Ok(Err(Unavailable)) => tracing::error!("cannot record a sign-up"),
        Err(err) => tracing::error!(%err, "sign-up task failed"),
    }
}

/// The confirmation e-mail of a sign-up to `lists`.
fn confirmation(
    state: &AppState,
    desk: &SignupDesk,
    request: &SignUpRequest,
    lists: &[String],
) -> OneMessage {
    let view = ConfirmationView {
        site: SiteView::of(&state.config.site),
        lists: lists
            .iter()
            .filter_map(|l| desk.audience.list(l))
            .map(|l| ListView {
                name: l.name.clone(),
                title: l.title.clone(),
            })
            .collect(),
        confirm_days: desk.audience.confirm_days,
        issued: request.at.timestamp(),
        notice: None,
    };
    OneMessage {
        to: request.address.clone(),
        list: lists.first().cloned().unwrap_or_default(),
        view: EmailView::Confirmation(Box::new(view)),
        at: request.at,
    }
}

/// Sends one message through the postman, on a blocking-pool thread (the ledger it holds
/// across the SMTP exchange is not `Send`).
async fn deliver_one(
    desk: &SignupDesk,
    one: OneMessage,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) {
    let postman = Arc::clone(&desk.postman);
    let stop = shutdown.clone();
    let runtime = tokio::runtime::Handle::current();
    let sent =
        tokio::task::spawn_blocking(move || runtime.block_on(postman.send_one(one, stop))).await;
    match sent {
        Ok(Ok(outcome)) if outcome.deferred > 0 => {
            tracing::warn!("confirmation e-mail deferred (mail server unavailable); retried later")
        }
        Ok(Ok(_)) => {}
        Ok(Err(err)) => tracing::error!(%err, "confirmation e-mail not sent"),
        Err(err) => tracing::error!(%err, "confirmation task failed"),
    }
}

async fn retry_confirmations(desk: &SignupDesk, shutdown: &tokio::sync::watch::Receiver<bool>) {
    let postman = Arc::clone(&desk.postman);
    let stop = shutdown.clone();
    let runtime = tokio::runtime::Handle::current();
    let retried =
        tokio::task::spawn_blocking(move || runtime.block_on(postman.retry_unfinished(stop))).await;
    if let Ok(Err(err)) = retried {
        tracing::warn!(%err, "cannot retry deferred confirmation e-mails");
    }
}

fn check_your_inbox(state: &AppState, desk: &SignupDesk) -> Response {
    if let Some(url) = &desk.audience.thanks_url {
        return private(Redirect::to(url).into_response());
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

/// A `?token=` query.
#[derive(serde::Deserialize)]
pub struct TokenQuery {
    /// The token.
    pub token: Option<String>,
}

/// The token from the query string or, for a form post, the body.
fn token_of(query: Option<String>, body: &str) -> Option<String> {
    query.or_else(|| {
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    })
}

fn confirm_claims(state: &AppState, token: Option<&str>) -> Option<(String, Vec<String>, i64)> {
    let desk = state.signup.as_ref()?;
    let max_age = i64::from(desk.audience.confirm_days) * 24 * 3600;
    state
        .key
        .verify_confirm(token?, state.clock.now_utc().timestamp(), max_age)
}

fn bad_link(state: &AppState, what: &str) -> Response {
    let msg = format!("This {what} link has expired or is not valid. Please use the link from your most recent e-mail, or subscribe again on the home page.");
    state.pages.message(
        StatusCode::BAD_REQUEST,
        "This link does not work",
        &[&msg],
        None,
    )
}

/// `GET /confirm`: a page with a button; nothing is confirmed yet.
pub async fn confirm_page(
    State(state): State<Arc<AppState>>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let Some(_) = confirm_claims(&state, q.token.as_deref()) else {
        return bad_link(&state, "confirmation");
    };
    let form = json!({"action": "confirm", "button": "Yes, subscribe me", "hidden": [{"name": "token", "value": q.token}]});
    state.pages.message(
        StatusCode::OK,
        "Confirm your subscription",
        &["One last step: press the button to start getting our e-mails."],
        Some(form),
    )
}

/// `POST /confirm`.
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    Query(q): Query<TokenQuery>,
    body: String,
) -> Response {
    let token = token_of(q.token, &body);
    let Some((address, lists, issued)) = confirm_claims(&state, token.as_deref()) else {
        return bad_link(&state, "confirmation");
    };
    let Some(issued) = DateTime::from_timestamp(issued, 0) else {
        return bad_link(&state, "confirmation");
    };
    let address = Address::unchecked(&address);
    let (st, who) = (Arc::clone(&state), address.clone());
    let done = tokio::task::spawn_blocking(move || {
        st.signup.as_ref().ok_or(Unavailable)?;
        let now = st.clock.now_utc();
        let mut ledger = Ledger::open(&st.ledger_path)?;
        Ok::<_, Unavailable>(
            Subscriptions::new(&mut ledger, &st.config).confirm(&who, &lists, issued, now)?,
        )
    })
    .await;
    let links = member_links(&state, &address);
    let (heading, text) = match done {
        Ok(Ok(Confirmed::Joined | Confirmed::Already)) => {
            tracing::info!(who = %state.key.pseudonym(&address), "subscription confirmed");
            ("You are subscribed", "Thank you: your subscription is confirmed. Every e-mail has a link to change what you get, or to leave with one click.")
        }
        Ok(Ok(Confirmed::LeftSince)) => ("Nothing changed", "You chose to stop getting these e-mails after this link was sent, so it no longer subscribes you. Your preferences page shows what you get now."),
        Ok(Ok(Confirmed::Refused)) => ("Nothing changed", "This address cannot be subscribed with this link any more. Your preferences page shows what you get now."),
        _ => return try_again(&state),
    };
    state
        .pages
        .message_with_links(StatusCode::OK, heading, &[text], &links)
}

/// The links every page a member meets carries: their preferences and leaving.
fn member_links(state: &AppState, address: &Address) -> Vec<(String, &'static str)> {
    let Some(desk) = state.signup.as_ref() else {
        return Vec::new();
    };
    let preferences = desk
        .settings
        .page_url("preferences", &state.key.preferences_token(address));
    let list = desk
        .audience
        .lists
        .first()
        .map_or("members", |l| l.name.as_str());
    let sep = if desk.settings.unsubscribe_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let unsubscribe = format!(
        "{}{sep}token={}",
        desk.settings.unsubscribe_url,
        state.key.token(list, address)
    );
    vec![
        (preferences, "Change what you get"),
        (unsubscribe, "Unsubscribe from everything"),
    ]
}

pub(super) fn try_again(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, that did not work",
        &["Please try again in a minute."],
        None,
    )
}

/// The preferences page's data: the person's choices and the form's fields.
#[derive(serde::Serialize)]
struct PreferencesPage<'a> {
    heading: &'a str,
    token: &'a str,
    action: &'a str,
    saved: Option<&'a str>,
    #[serde(flatten)]
    preferences: Preferences,
}

fn preferences_response(
    state: &AppState,
    token: &str,
    preferences: Preferences,
    saved: Option<&str>,
) -> Response {
    let page = PreferencesPage {
        heading: "Your e-mail preferences",
        token,
        action: "preferences",
        saved,
        preferences,
    };
    state
        .pages
        .respond(StatusCode::OK, "preferences", json!(page))
}

/// `GET /preferences`.
pub async fn preferences_page(
    State(state): State<Arc<AppState>>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let (Some(_), Some(address)) = (state.signup.as_ref(), state.key.verify_preferences(&token))
    else {
        return bad_link(&state, "preferences");
    };
    let st = Arc::clone(&state);
    let prefs = tokio::task::spawn_blocking(move || {
        st.signup.as_ref().ok_or(Unavailable)?;
        let mut ledger = Ledger::open(&st.ledger_path)?;
        let address = Address::unchecked(&address);
        Ok::<_, Unavailable>(Subscriptions::new(&mut ledger, &st.config).preferences(&address)?)
    })
    .await;
    match prefs {
        Ok(Ok(prefs)) => preferences_response(&state, &token, prefs, None),
        _ => try_again(&state),
    }
}

/// `POST /preferences`: save the choices, or leave everything.
pub async fn preferences(State(state): State<Arc<AppState>>, body: String) -> Response {
    let token = token_of(None, &body).unwrap_or_default();
    let (Some(_), Some(address)) = (state.signup.as_ref(), state.key.verify_preferences(&token))
    else {
        return bad_link(&state, "preferences");
    };
    let mut choice = Choice::default();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        match (&*k, &*v) {
            ("list", list) => choice.lists.push(list.to_owned()),
            ("reminders", _) => choice.reminders = true,
            ("action", "leave") => choice.leave = true,
            _ => {}
        }
    }
    let st = Arc::clone(&state);
    let address = Address::unchecked(&address);
    let who = address.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        st.signup.as_ref().ok_or(Unavailable)?;
        let mut ledger = Ledger::open(&st.ledger_path)?;
        let now = st.clock.now_utc();
        let service = &mut Subscriptions::new(&mut ledger, &st.config);
        Ok::<_, Unavailable>(service.save_choices(&who, &choice, now)?)
    })
    .await;
    match outcome {
        Ok(Ok((saved, prefs))) => {
            tracing::info!(who = %state.key.pseudonym(&address), saved = ?saved, "preferences changed");
            preferences_response(&state, &token, prefs, Some(saved.sentence()))
        }
        _ => try_again(&state),
    }
}

/// A request that could not be served (logged; the person is asked to retry).
#[derive(Debug)]
struct Unavailable;

impl From<crate::ledger::LedgerError> for Unavailable {
    fn from(err: crate::ledger::LedgerError) -> Self {
        tracing::error!(%err, "subscriber request");
        Unavailable
    }
}
