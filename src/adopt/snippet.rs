//! `crier snippet`: HTML to paste into a Jekyll layout. The subscribe form posts straight to
//! the daemon's `/subscribe` (a plain cross-origin form post needs no JavaScript and no CORS),
//! and the `<link rel="alternate">` tags let browsers and feed readers find the feeds.

use crate::config::Config;
use crate::urls::feed_links;
use crate::util::escape_html;

/// The subscribe form, or `None` when the site has no newsletter.
pub fn form(config: &Config) -> Option<String> {
    let settings = config.newsletter.as_ref()?;
    let action = format!("{}/subscribe", settings.pages_base);
    let lists = &config.audience.lists;
    let mut out = format!(
        "<!-- crier subscribe form: posts to the crier daemon; restyle freely, keep the field names. -->\n\
         <form class=\"crier-subscribe\" method=\"post\" action=\"{}\">\n\
         \x20 <label for=\"crier-email\">Your e-mail address</label>\n\
         \x20 <input id=\"crier-email\" name=\"email\" type=\"email\" required autocomplete=\"email\" maxlength=\"254\">\n\
         \x20 <label for=\"crier-name\">Your name (optional)</label>\n\
         \x20 <input id=\"crier-name\" name=\"name\" type=\"text\" autocomplete=\"name\" maxlength=\"200\">\n",
        escape_html(&action)
    );
    if lists.len() > 1 {
        out.push_str("  <fieldset>\n    <legend>What would you like?</legend>\n");
        for (i, list) in lists.iter().enumerate() {
            out.push_str(&format!(
                "    <label><input type=\"checkbox\" name=\"list\" value=\"{}\"{}> {}</label>\n",
                escape_html(&list.name),
                if i == 0 { " checked" } else { "" },
                escape_html(&list.title)
            ));
        }
        out.push_str("  </fieldset>\n");
    } else if let Some(list) = lists.first() {
        out.push_str(&format!(
            "  <input type=\"hidden\" name=\"list\" value=\"{}\">\n",
            escape_html(&list.name)
        ));
    }
    out.push_str(
        "  <!-- Leave this field hidden and empty: bots fill it in, people do not see it. -->\n\
         \x20 <div style=\"position:absolute;left:-10000px\" aria-hidden=\"true\"><input name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>\n\
         \x20 <button type=\"submit\">Subscribe</button>\n\
         </form>\n",
    );
    Some(out)
}

/// The `<link rel="alternate">` tags for the site's main feeds, at their published URLs.
pub fn head(config: &Config) -> String {
    feed_links(&config.site.title, &config.feeds.url)
        .iter()
        .map(|l| {
            format!(
                "<link rel=\"alternate\" type=\"{}\" title=\"{}\" href=\"{}\">\n",
                l.media_type,
                escape_html(&l.title),
                escape_html(&l.url)
            )
        })
        .collect()
}
