//! A transport that keeps messages in memory, with scripted replies and a way to simulate a
//! crash at any message. The sending state machine is tested against it without a network;
//! the real SMTP server tests cover the wire.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Outbound, SendError, SendFuture, Transport};

/// A message the transport took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// Envelope recipient.
    pub to: String,
    /// The message.
    pub bytes: Vec<u8>,
}

/// Where a simulated crash happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// The n-th hand-over (counting from 0) never returns, and the message is not taken: the
    /// process died before the server had it.
    Before(usize),
    /// The n-th hand-over takes the message and never returns: the server had it, but the
    /// process died before the reply was recorded.
    After(usize),
    /// The n-th hand-over panics (a bug in a transport) without taking the message.
    Panic(usize),
}

#[derive(Debug, Default)]
struct State {
    taken: Vec<Taken>,
    calls: usize,
    script: HashMap<String, VecDeque<Result<String, SendError>>>,
}

/// Keeps every message it takes. Clones share the same store.
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    state: Arc<Mutex<State>>,
    crash: Option<Crash>,
}

impl MemoryTransport {
    /// A transport that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same store, crashing as `crash` says.
    pub fn crashing(&self, crash: Crash) -> Self {
        MemoryTransport {
            state: Arc::clone(&self.state),
            crash: Some(crash),
        }
    }

    /// Replies for `address`, used in order before the default "250 ok".
    pub fn script(&self, address: &str, replies: Vec<Result<String, SendError>>) {
        self.lock()
            .script
            .entry(address.to_lowercase())
            .or_default()
            .extend(replies);
    }

    /// Every message taken so far, in order.
    pub fn taken(&self) -> Vec<Taken> {
        self.lock().taken.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Transport for MemoryTransport {
    fn send<'a>(&'a self, message: Outbound<'a>) -> SendFuture<'a> {
        let mut state = self.lock();
        let call = state.calls;
        state.calls += 1;
        if self.crash == Some(Crash::Before(call)) {
            return Box::pin(std::future::pending());
        }
        if self.crash == Some(Crash::Panic(call)) {
            return Box::pin(async move { panic!("transport bug at message {call}") });
        }
        let reply = state
            .script
            .get_mut(&message.to.to_lowercase())
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| Ok("250 2.0.0 ok".to_owned()));
        if reply.is_ok() {
            state.taken.push(Taken {
                to: message.to.to_owned(),
                bytes: message.bytes.to_vec(),
            });
        }
        if self.crash == Some(Crash::After(call)) {
            return Box::pin(std::future::pending());
        }
        Box::pin(std::future::ready(reply))
    }
}
