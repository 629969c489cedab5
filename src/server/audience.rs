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
use crate::config::{AudienceSettings, NewsletterSettings, PublicList, SiteInfo, REMINDERS};
use crate::delivery::transport::{Outbound, Transport};
use crate::email::confirm::{self, ConfirmTemplates};
use crate::ledger::{Ledger, SuppressionReason};
use crate::subscribers::store::{Consent, MemberStatus, Record, SignUp, SignUpLimits, Store};
use crate::subscribers::{clean_text, Address};

/// Everything the sign-up endpoints need besides [`AppState`]; absent when the site has no
/// newsletter.
pub struct SignupDesk {
    /// The newsletter (From, page URLs).
    pub settings: NewsletterSettings,
    /// The site (for the confirmation e-mail).
    pub site: SiteInfo,
    /// Lists and limits.
    pub audience: AudienceSettings,
    /// Where confirmation e-mails go.
    pub transport: Arc<dyn Transport>,
    /// The confirmation e-mail's templates.
    pub templates: ConfirmTemplates,
    /// Form posts per client address in the current hour.
    pub per_ip: Mutex<IpWindow>,
    /// Sign-ups waiting for the one worker that records them and sends confirmations (see
    /// [`signup_worker`]).
    pub queue: tokio::sync::mpsc::Sender<SignUpJob>,
    /// DKIM signing for confirmation e-mails, as for every other message.
    pub dkim: Option<lettre::message::DkimConfig>,
}

/// One accepted form post, for the worker.
#[derive(Debug)]
pub struct SignUpJob {
    record: Record,
    lists: Vec<String>,
    at: DateTime<Utc>,
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
        let job = SignUpJob {
            record: sign_up_record(desk, &form, &headers, ip, now),
            lists: chosen_lists(&desk.audience, &form.lists),
            at: now.with_nanosecond(0).unwrap_or(now),
        };
        if desk.queue.try_send(job).is_err() {
            tracing::warn!("sign-up queue full: a form post was dropped");
        }
    } else {
        tracing::debug!(human, allowed, "form post dropped");
    }
    check_your_inbox(&state, desk)
}

/// The pending person a form post asks for, with the record of their consent.
fn sign_up_record(
    desk: &SignupDesk,
    form: &Form,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Record {
    // crier's own page sends no Referer (its policy is no-referrer), but its form says where
    // it came from with the signed timestamp.
    let page = match form.ts {
        Some(_) => Some(format!("{}/", desk.settings.pages_base)),
        None => headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(|r| r.chars().take(500).collect()),
    };
    Record {
        address: form.email.clone(),
        name: form.name.clone(),
        attrs: Default::default(),
        status: MemberStatus::Pending,
        consent: Consent {
            source: "form".into(),
            opted_in_at: Some(now),
            page,
            ip: ip.map(|ip| ip.to_string()),
            confirmed_at: None,
        },
        address_wide: false,
    }
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

fn chosen_lists(audience: &AudienceSettings, asked: &[String]) -> Vec<String> {
    let mut lists: Vec<String> = audience
        .lists
        .iter()
        .filter(|l| asked.contains(&l.name))
        .map(|l| l.name.clone())
        .collect();
    if lists.is_empty() {
        lists.extend(audience.lists.first().map(|l| l.name.clone()));
    }
    lists
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
/// steady trickle of mail.
pub async fn signup_worker(
    state: Arc<AppState>,
    mut queue: tokio::sync::mpsc::Receiver<SignUpJob>,
) {
    while let Some(job) = queue.recv().await {
        let Some(desk) = state.signup.as_ref() else {
            return;
        };
        let now = job.at;
        let limits = SignUpLimits {
            resend_after: now - Duration::days(1),
            hour_ago: now - Duration::hours(1),
            per_hour: desk.audience.confirmations_per_hour as usize,
            forget_before: now - Duration::days(i64::from(desk.audience.confirm_days)),
        };
        let path = state.ledger_path.clone();
        let address = job.record.address.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            Ledger::open(&path).and_then(|mut l| l.sign_up(&job.record, &job.lists, now, limits))
        })
        .await;
        match outcome {
            Ok(Ok(SignUp::Confirm(lists))) => send_confirmation(&state, &address, &lists, now).await,
            Ok(Ok(SignUp::CapReached)) => tracing::warn!(
                cap = desk.audience.confirmations_per_hour,
                "hourly cap on confirmation e-mails reached: a sign-up was recorded as pending without an e-mail (raise `audience.confirmations_per_hour` if this is real demand)"
            ),
            Ok(Ok(other)) => tracing::debug!(?other, "no confirmation e-mail needed"),
            Ok(Err(err)) => tracing::error!(%err, "cannot record a sign-up"),
            Err(err) => tracing::error!(%err, "sign-up task failed"),
        }
    }
}

async fn send_confirmation(state: &AppState, address: &str, lists: &[String], now: DateTime<Utc>) {
    let Some(desk) = state.signup.as_ref() else {
        return;
    };
    let token = state
        .key
        .confirm_token(&Address::unchecked(address), lists, now.timestamp());
    let url = desk.settings.page_url("confirm", &token);
    let titles: Vec<&PublicList> = lists.iter().filter_map(|l| desk.audience.list(l)).collect();
    let at = now.with_timezone(&desk.site.timezone).fixed_offset();
    let result = match confirm::compose(
        &desk.templates,
        &desk.settings,
        &desk.site,
        address,
        &titles,
        &url,
        desk.audience.confirm_days,
        at,
        desk.dkim.as_ref(),
    ) {
        Ok(bytes) => {
            let stem = format!(
                "confirm/{}-{}",
                now.format("%Y%m%dT%H%M%S"),
                crate::output::address_file_name(address)
            );
            let from = desk.settings.from.email.to_string();
            let message = Outbound {
                from: &from,
                to: address,
                bytes: &bytes,
                file_stem: &stem,
            };
            match tokio::time::timeout(
                std::time::Duration::from_secs(120),
                desk.transport.send(message),
            )
            .await
            {
                Ok(Ok(_)) => "sent".to_owned(),
                Ok(Err(err)) => format!("failed: {err}"),
                Err(_) => "failed: timed out".to_owned(),
            }
        }
        Err(err) => format!("failed: {err}"),
    };
    if result != "sent" {
        tracing::warn!(%result, "confirmation e-mail not sent");
    }
    let path = state.ledger_path.clone();
    let address = address.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        Ledger::open(&path).and_then(|l| l.confirmation_result(&address, now, &result))
    })
    .await;
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
    let st = Arc::clone(&state);
    let done = tokio::task::spawn_blocking(move || {
        let desk = st.signup.as_ref().ok_or(Unavailable)?;
        let now = st.clock.now_utc();
        let mut ledger = Ledger::open(&st.ledger_path)?;
        keep_other_lists_off(&mut ledger, desk, &address, &lists, now)?;
        ledger
            .confirm(&address, &lists, issued, now)
            .map_err(Unavailable::from)
    })
    .await;
    match done {
        Ok(Ok(_)) => {
            state.pages.message(StatusCode::OK, "You are subscribed", &["Thank you: your subscription is confirmed. Every e-mail has a link to change what you get, or to leave with one click."], None)
        }
        _ => try_again(&state),
    }
}

pub(super) fn try_again(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, that did not work",
        &["Please try again in a minute."],
        None,
    )
}

/// Before an unsubscribe is lifted by confirming some lists, every other list the person is
/// on (the organiser's CSV lists included) is marked left: re-joining one list must not bring
/// back the rest.
fn keep_other_lists_off(
    ledger: &mut Ledger,
    desk: &SignupDesk,
    address: &str,
    lists: &[String],
    now: DateTime<Utc>,
) -> Result<(), Unavailable> {
    if ledger.suppressed(address)?.is_none() {
        return Ok(());
    }
    let mut others = csv_lists_of(&desk.settings.subscribers_dir, address);
    if let Some(person) = ledger.person(address)? {
        others.extend(person.memberships.iter().map(|m| m.list.clone()));
    }
    others.retain(|l| !lists.contains(l) && l != REMINDERS);
    others.sort();
    others.dedup();
    let changes: Vec<(String, MemberStatus)> = others
        .into_iter()
        .map(|l| (l, MemberStatus::Unsubscribed))
        .collect();
    ledger.set_status(address, &changes, "unsubscribe", now)?;
    Ok(())
}

/// What the preferences page shows for one person.
fn preferences_data(
    ledger: &Ledger,
    desk: &SignupDesk,
    csv_lists: &[String],
    address: &str,
    token: &str,
    saved: Option<&str>,
) -> Result<serde_json::Value, crate::ledger::LedgerError> {
    let person = ledger.person(address)?;
    let suppressed = ledger.suppressed(address)?.is_some();
    let status = |list: &str| person.as_ref().and_then(|p| p.on(list)).map(|m| m.status);
    let on = |list: &str| on_list(status(list), csv_lists, list);
    let mut lists: Vec<serde_json::Value> = desk
        .audience
        .lists
        .iter()
        .map(|l| json!({"name": l.name, "title": l.title, "description": l.description, "on": !suppressed && on(&l.name)}))
        .collect();
    for list in csv_lists.iter().filter(|l| desk.audience.list(l).is_none()) {
        lists.push(json!({"name": list, "title": list, "on": !suppressed && on(list)}));
    }
    let reminders = desk.audience.reminders.then(
        || json!({"on": !suppressed && status(REMINDERS) != Some(MemberStatus::Unsubscribed)}),
    );
    Ok(json!({
        "heading": "Your e-mail preferences",
        "address": address,
        "token": token,
        "action": "preferences",
        "lists": lists,
        "reminders": reminders,
        "suppressed": suppressed,
        "saved": saved,
    }))
}

/// Whether someone gets `list`: confirmed in the store, or on its CSV file and not opted
/// out in the store (a pending sign-up does not hide a CSV row).
fn on_list(stored: Option<MemberStatus>, csv: &[String], list: &str) -> bool {
    match stored {
        Some(MemberStatus::Confirmed) => true,
        Some(s) if s.opts_out() => false,
        _ => csv.iter().any(|l| l == list),
    }
}

/// The organiser's CSV lists `address` is on (read from the files: they are the truth).
fn csv_lists_of(dir: &std::path::Path, address: &str) -> Vec<String> {
    let (files, _) = crate::subscribers::list_files(dir, &[], &[]);
    files
        .into_iter()
        .filter(|f| {
            let mut found = false;
            let _ = crate::subscribers::read_list(&f.path, &f.name, |s| {
                found |= s.email.is(address);
                Ok::<(), ()>(())
            });
            found
        })
        .map(|f| f.name)
        .collect()
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
    let data = tokio::task::spawn_blocking(move || {
        let desk = st.signup.as_ref().ok_or(Unavailable)?;
        let ledger = Ledger::open(&st.ledger_path)?;
        let csv = csv_lists_of(&desk.settings.subscribers_dir, &address);
        preferences_data(&ledger, desk, &csv, &address, &token, None).map_err(Unavailable::from)
    })
    .await;
    match data {
        Ok(Ok(data)) => state.pages.respond(StatusCode::OK, "preferences", data),
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
    let mut chosen = Vec::new();
    let mut reminders = false;
    let mut leave = false;
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        match (&*k, &*v) {
            ("list", list) => chosen.push(list.to_owned()),
            ("reminders", _) => reminders = true,
            ("action", "leave") => leave = true,
            _ => {}
        }
    }
    let st = Arc::clone(&state);
    let outcome = tokio::task::spawn_blocking(move || {
        let desk = st.signup.as_ref().ok_or(Unavailable)?;
        // One database connection and one read of the CSV lists serve the save and the page.
        let mut ledger = Ledger::open(&st.ledger_path)?;
        let csv = csv_lists_of(&desk.settings.subscribers_dir, &address);
        let choice = Choice {
            lists: &chosen,
            reminders,
            leave,
        };
        let now = st.clock.now_utc();
        let saved = save_choices(&mut ledger, desk, &csv, &address, &choice, now)?;
        preferences_data(&ledger, desk, &csv, &address, &token, Some(saved))
            .map_err(Unavailable::from)
    })
    .await;
    match outcome {
        Ok(Ok(data)) => state.pages.respond(StatusCode::OK, "preferences", data),
        _ => try_again(&state),
    }
}

/// What a person chose on their preferences page.
struct Choice<'a> {
    /// The lists ticked.
    lists: &'a [String],
    /// Reminders ticked.
    reminders: bool,
    /// "Unsubscribe from everything" pressed.
    leave: bool,
}

fn save_choices(
    ledger: &mut Ledger,
    desk: &SignupDesk,
    csv: &[String],
    address: &str,
    choice: &Choice<'_>,
    now: DateTime<Utc>,
) -> Result<&'static str, crate::ledger::LedgerError> {
    let Choice {
        lists: chosen,
        reminders,
        leave,
    } = *choice;
    let person = ledger.person(address)?;
    let stored = |list: &str| person.as_ref().and_then(|p| p.on(list)).map(|m| m.status);
    // On a list now: confirmed in the store, or on its CSV file and not opted out.
    let on_now = |list: &str| on_list(stored(list), csv, list);
    let mut shown: Vec<String> = desk.audience.lists.iter().map(|l| l.name.clone()).collect();
    shown.extend(csv.iter().cloned());
    shown.sort();
    shown.dedup();
    let wanted: Vec<(String, bool)> = shown
        .iter()
        .map(|l| (l.clone(), chosen.contains(l) && !leave))
        .collect();
    // Only what changed is written: an unchanged CSV membership stays the organiser's row,
    // not a store record that would outlive its removal from the file.
    let mut changes: Vec<(String, MemberStatus)> = wanted
        .iter()
        .filter(|(l, want)| *want != on_now(l))
        .map(|(l, want)| {
            let status = if *want {
                MemberStatus::Confirmed
            } else {
                MemberStatus::Unsubscribed
            };
            (l.clone(), status)
        })
        .collect();
    let reminders_now = stored(REMINDERS) != Some(MemberStatus::Unsubscribed);
    if desk.audience.reminders && (reminders && !leave) != reminders_now {
        let status = if reminders && !leave {
            MemberStatus::Confirmed
        } else {
            MemberStatus::Unsubscribed
        };
        changes.push((REMINDERS.to_owned(), status));
    }
    ledger.set_status(address, &changes, "preferences", now)?;
    if leave || !wanted.iter().any(|(_, want)| *want) {
        ledger.suppress(
            address,
            SuppressionReason::Unsubscribed,
            "left every list on the preferences page",
            now,
        )?;
        return Ok("You will get no more e-mails from us.");
    }
    // Choosing a list again from one's own mailbox lifts an earlier unsubscribe.
    ledger.unsuppress_unsubscribed(address)?;
    Ok("Your choices are saved.")
}

/// A preferences request that could not be served (logged; the person is asked to retry).
#[derive(Debug)]
struct Unavailable;

impl From<crate::ledger::LedgerError> for Unavailable {
    fn from(err: crate::ledger::LedgerError) -> Self {
        tracing::error!(%err, "preferences page");
        Unavailable
    }
}
