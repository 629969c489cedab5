//! A note shown above a message, for the organisers: the preview of a scheduled send carries
//! one saying what crier read, any doubt, when it goes out and how to correct it. Below the
//! note, the message is exactly what a member gets.

use serde::{Deserialize, Serialize};

use crate::util::escape_html;

/// The note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Goes before the message's subject ("[Preview] ").
    pub subject_prefix: String,
    /// The note's lines, first line first (an unsure reading says so there).
    pub lines: Vec<String>,
}

/// Marks the start of the note in the HTML part.
pub const HTML_START: &str = "<!-- crier:note -->";
/// Marks its end.
pub const HTML_END: &str = "<!-- /crier:note -->";
/// Ends the note in the text part.
pub const TEXT_END: &str = "---- end of the note; the message follows as members get it ----";

impl Note {
    /// `html` with the note right after its `<body>` tag (at the start without one).
    pub fn into_html(&self, html: &str) -> String {
        let mut block = String::from(HTML_START);
        block.push_str(
            "<div style=\"margin:0 auto;max-width:600px;padding:12px 16px;border:2px solid #b45309;background:#fffbeb;color:#1f2937;font-family:sans-serif;font-size:15px;line-height:1.45\">",
        );
        for (i, line) in self.lines.iter().enumerate() {
            let text = escape_html(line);
            if i == 0 {
                block.push_str(&format!(
                    "<p style=\"margin:0 0 8px\"><strong>{text}</strong></p>"
                ));
            } else {
                block.push_str(&format!("<p style=\"margin:0 0 6px\">{text}</p>"));
            }
        }
        block.push_str("</div>");
        block.push_str(HTML_END);
        let at = html
            .find("<body")
            .and_then(|b| html[b..].find('>').map(|e| b + e + 1))
            .unwrap_or(0);
        let mut out = String::with_capacity(html.len() + block.len());
        out.push_str(&html[..at]);
        out.push_str(&block);
        out.push_str(&html[at..]);
        out
    }

    /// `text` with the note before it.
    pub fn into_text(&self, text: &str) -> String {
        let mut out = self.lines.join("\n");
        out.push_str("\n\n");
        out.push_str(TEXT_END);
        out.push_str("\n\n");
        out.push_str(text);
        out
    }
}

/// The message below a note, as members get it: the HTML and text with the note taken out.
pub fn without_note(html: &str, text: &str) -> (String, String) {
    let html = match (html.find(HTML_START), html.find(HTML_END)) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &html[..a], &html[b + HTML_END.len()..]),
        _ => html.to_owned(),
    };
    let text = match text.find(TEXT_END) {
        Some(at) => text[at + TEXT_END.len()..]
            .trim_start_matches(['\r', '\n'])
            .to_owned(),
        None => text.to_owned(),
    };
    (html, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_goes_on_top_and_comes_off_whole() {
        let note = Note {
            subject_prefix: "[Preview] ".into(),
            lines: vec!["First <line>".into(), "Second".into()],
        };
        let html = "<html><body class=\"x\"><p>Hi</p></body></html>";
        let with = note.into_html(html);
        assert!(with.starts_with("<html><body class=\"x\"><!-- crier:note -->"));
        assert!(with.contains("First &lt;line&gt;"));
        let text = "Hi\n";
        let (h, t) = without_note(&with, &note.into_text(text));
        assert_eq!((h.as_str(), t.as_str()), (html, text));
    }
}
