//! E-mail: templates, tokens, the calendar attachment, and composing MIME messages. Nothing
//! here sends anything.

pub mod body;
pub mod compose;
pub mod dkim;
pub mod encode;
pub mod ics;
pub mod kit;
pub mod note;
pub mod templates;
pub mod tokens;
pub mod views;

pub use compose::{Composed, Composer, Outgoing};
pub use kit::{Kit, KitError};
pub use templates::{Kind, Templates};
pub use tokens::{KeySource, TokenKey};

use crate::diagnostics::Diagnostic;
