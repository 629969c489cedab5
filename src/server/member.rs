//! The pages behind a member's own links: confirming a subscription (`GET/POST /confirm`)
//! and the preferences page (`GET/POST /preferences`). `GET` never changes anything: link
//! scanners fetch every URL in a message.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use serde_json::json;

use super::AppState;
use crate::service::members::Members;
use crate::service::subscriptions::{Choice, Confirmed, Preferences};
use crate::subscribers::Address;

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
        Ok::<_, Unavailable>(Members::new(&st.config).confirm(&who, &lists, issued, now)?)
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
        let address = Address::unchecked(&address);
        Ok::<_, Unavailable>(Members::new(&st.config).preferences(&address)?)
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
        let now = st.clock.now_utc();
        Ok::<_, Unavailable>(Members::new(&st.config).save_choices(&who, &choice, now)?)
    })
    .await;
    match outcome {
        Ok(Ok((_, Some((saved, prefs))))) => {
            tracing::info!(who = %state.key.pseudonym(&address), saved = ?saved, "preferences changed");
            preferences_response(&state, &token, prefs, Some(saved.sentence()))
        }
        Ok(Ok((_, None))) => {
            // Durable in the journal, not yet in the ledger: the page cannot show the new
            // state yet, so it says what happens.
            tracing::info!(who = %state.key.pseudonym(&address), "preferences change kept in the journal");
            let links = member_links(&state, &address);
            state.pages.message_with_links(
                StatusCode::OK,
                "Your choices are saved",
                &["They take effect within a minute; this page shows them once they have."],
                &links,
            )
        }
        _ => try_again(&state),
    }
}

/// A request that could not be served (logged; the person is asked to retry).
#[derive(Debug)]
struct Unavailable;

impl From<crate::service::members::MembersError> for Unavailable {
    fn from(err: crate::service::members::MembersError) -> Self {
        tracing::error!(%err, "subscriber request");
        Unavailable
    }
}
