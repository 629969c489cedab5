//! The templates crier ships with (the example site's own `templates/` folder, compiled in):
//! a site without a `templates/` folder, or without one of the files, uses these.

/// One built-in template: its path under the templates folder and its text.
#[derive(Debug, Clone, Copy)]
pub struct BuiltIn {
    /// Path relative to the templates folder (`digest.html.hbs`, `partials/head.html.hbs`).
    pub path: &'static str,
    /// The template's text.
    pub text: &'static str,
}

macro_rules! built_in {
    ($($path:literal),+ $(,)?) => {
        &[$(BuiltIn { path: $path, text: include_str!(concat!("../../templates/", $path)) }),+]
    };
}

/// The e-mail templates, their partials and stylesheet.
pub const EMAIL: &[BuiltIn] = built_in!(
    "digest.html.hbs",
    "digest.txt.hbs",
    "post.html.hbs",
    "post.txt.hbs",
    "reminder.html.hbs",
    "reminder.txt.hbs",
    "confirm.html.hbs",
    "confirm.txt.hbs",
    "partials/button.html.hbs",
    "partials/event.html.hbs",
    "partials/event.txt.hbs",
    "partials/footer.html.hbs",
    "partials/footer.txt.hbs",
    "partials/frame-close.html.hbs",
    "partials/frame-open.html.hbs",
    "partials/head.html.hbs",
    "partials/header.html.hbs",
    "partials/preheader.html.hbs",
    "partials/recap.html.hbs",
    "partials/recap.txt.hbs",
    "style.css",
);

/// The daemon's pages.
pub const PAGES: &[BuiltIn] = built_in!(
    "pages/layout.html.hbs",
    "pages/index.html.hbs",
    "pages/message.html.hbs",
    "pages/preferences.html.hbs",
    "pages/style.css",
);

/// The archive of sent digests.
pub const ARCHIVE: &[BuiltIn] = built_in!(
    "archive/page.html.hbs",
    "archive/index.html.hbs",
    "archive/style.html.hbs",
);

/// The built-in text at `path`, if crier ships one.
pub fn text(path: &str) -> Option<&'static str> {
    EMAIL
        .iter()
        .chain(PAGES)
        .chain(ARCHIVE)
        .find(|b| b.path == path)
        .map(|b| b.text)
}
