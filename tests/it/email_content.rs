//! What the e-mails say and how they are laid out, read back from the composed messages with
//! an independent parser (mail-parser): the next meetup before the recaps in both parts,
//! subjects without the site's name, images that fit the screen, one `h1`, dark mode.

use mail_parser::MessageParser;

use crate::common::TempSite;

const AT: &str = "2026-11-25T09:00:00Z";
const SITE: &str = "Riverside Cloud Native";
const RSVP: &str = "https://events.example.org/riverside-cloud-native/2026-12";
const NOVEMBER: &str =
    "https://meetup.example.com/2026/11/12/riverside-cloud-native-november-2026/";

/// One composed message, parsed back.
struct Mail {
    subject: String,
    html: String,
    text: String,
}

/// `crier send --dry-run --at AT <extra>` on `site`, and the first message it composed.
fn first_mail(site: &TempSite, extra: &[&str]) -> Mail {
    mail_at(site, AT, extra)
}

/// The same, composed as if sent at `at`.
fn mail_at(site: &TempSite, at: &str, extra: &[&str]) -> Mail {
    let mut args = vec!["send", "--dry-run", "--at", at, "--sample", "1"];
    args.extend_from_slice(extra);
    let out = site.crier(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = site.path().join("preview/eml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let bytes = std::fs::read(&files[0]).unwrap();
    let message = MessageParser::default().parse(&bytes[..]).expect("parses");
    Mail {
        subject: message.subject().unwrap_or_default().to_owned(),
        html: message.body_html(0).unwrap().into_owned(),
        text: message.body_text(0).unwrap().into_owned(),
    }
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` missing from:\n{haystack}"))
}

/// Every `<img ...>` tag in `html`.
fn img_tags(html: &str) -> Vec<&str> {
    html.match_indices("<img")
        .map(|(i, _)| &html[i..i + html[i..].find('>').unwrap() + 1])
        .collect()
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

#[test]
fn the_next_meetup_comes_before_the_recaps() {
    let site = TempSite::example();
    let mail = first_mail(&site, &["--since", "2026-09-01"]);
    // HTML: the event's heading, date and RSVP button come before the first recap.
    let first_recap = position(&mail.html, NOVEMBER);
    for before in [
        "<h1",
        "Riverside Cloud Native December",
        "Wednesday 9 December 2026",
        RSVP,
    ] {
        assert!(
            position(&mail.html, before) < first_recap,
            "`{before}` is not before the recaps"
        );
    }
    // The RSVP link is a table-cell button, with a VML shape for Outlook for Windows.
    let cell = position(&mail.html, "<td class=\"button-cell\" bgcolor=");
    assert!(mail.html[cell..].starts_with(&format!(
        "<td class=\"button-cell\" bgcolor=\"#0b5cad\" style=\"background-color: #0b5cad;border-radius: 6px;\"><a class=\"button\" href=\"{RSVP}\""
    )));
    let vml = position(&mail.html, "<v:roundrect");
    assert!(
        mail.html[vml..].contains(&format!("href=\"{RSVP}\"")),
        "no VML button"
    );
    // The recaps follow, each with its own link text.
    for month in ["November", "October", "September"] {
        assert!(
            mail.html.contains(&format!(
                "Read the Riverside Cloud Native, {month} 2026 recap</a>"
            )),
            "{month}"
        );
    }
    assert!(!mail.html.contains(">Read the recap<"));
}

#[test]
fn the_text_part_carries_the_event_first() {
    let site = TempSite::example();
    for since in ["2026-09-01", "2026-11-20"] {
        let mail = first_mail(&site, &["--since", since]);
        let event = position(&mail.text, "NEXT MEETUP: Riverside Cloud Native December");
        for line in [
            "Wednesday 9 December 2026, 18:30",
            &format!("RSVP on the event page: {RSVP}"),
            "next-meetup.ics",
        ] {
            assert!(position(&mail.text, line) > event, "{line}");
        }
        if let Some(recap) = mail.text.find(NOVEMBER) {
            assert!(recap > position(&mail.text, RSVP), "{}", mail.text);
        }
    }
}

#[test]
fn subjects_do_not_repeat_the_site_name() {
    let site = TempSite::example();
    site.post(
        "2026-11-21-riverside-cloud-native-venue-news.md",
        "title: \"Riverside Cloud Native: a new home by the river\"\n",
        "We are moving.\n",
    );
    // A digest with news and an event; a reminder without new recaps; a digest after the
    // last announced meetup; a post.
    let digest = first_mail(&site, &["--since", "2026-09-01"]);
    assert!(
        digest.subject.starts_with("Next: Wed 9 December")
            && digest.subject.ends_with(" · 3 recaps"),
        "{}",
        digest.subject
    );
    let reminder = first_mail(&site, &["--since", "2026-11-20"]);
    assert!(
        reminder.subject.starts_with("Next meetup: Wed 9 December"),
        "{}",
        reminder.subject
    );
    for part in [&reminder.html, &reminder.text] {
        assert!(part.contains("a reminder of when we meet next"), "{part}");
        assert!(
            !part.contains("what&rsquo;s new")
                && !part.contains("what’s new")
                && !part.contains("what's new"),
            "{part}"
        );
    }
    let after = mail_at(&site, "2026-12-10T09:00:00Z", &["--since", "2026-11-01"]).subject;
    assert_eq!(after, "November 2026: AI inference on Kubernetes");
    let post = first_mail(&site, &["--post", "call-for-speakers-2026"]);
    let title = site.read("posts/2026-02-02-call-for-speakers-2026.md");
    let title = title
        .lines()
        .find_map(|l| l.strip_prefix("title: "))
        .unwrap()
        .trim_matches('"');
    assert_eq!(post.subject, title);
    let venue = first_mail(&site, &["--post", "riverside-cloud-native-venue-news"]);
    assert_eq!(venue.subject, "A new home by the river");
    for subject in [
        &digest.subject,
        &reminder.subject,
        &after,
        &post.subject,
        &venue.subject,
    ] {
        assert!(!subject.contains(SITE), "{subject}");
    }
}

#[test]
fn images_in_a_post_body_fit_the_screen() {
    let site = TempSite::example();
    site.post(
        "2026-11-22-wide-photos.md",
        "title: Wide photos\nimage: /images/wide-header.jpg\n",
        "# A heading in the body\n\nA photo as Markdown:\n\n![The room from the back](/images/wide.jpg)\n\n\
         And as HTML, with its size:\n\n<img src=\"/images/wide-2.jpg\" width=\"1600\" height=\"1067\" alt=\"The stage\">\n\n\
         <object data=\"https://files.example.com/slides.pdf\" type=\"application/pdf\" width=\"100%\" height=\"700px\">\n\
         <a href=\"https://files.example.com/slides.pdf\">Download the slides</a>\n</object>\n",
    );
    let mail = first_mail(&site, &["--post", "wide-photos"]);
    let tags = img_tags(&mail.html);
    assert_eq!(tags.len(), 3, "{}", mail.html);
    for tag in &tags {
        let style = attr(tag, "style").unwrap_or("").replace(' ', "");
        // Body images get `max-width:100%`; the header photo is the column's full width.
        assert!(
            style.contains("max-width:100%") || style.contains(";width:100%;max-width:552px"),
            "unconstrained: {tag}"
        );
        assert!(style.contains("height:auto"), "{tag}");
        if let Some(width) = attr(tag, "width") {
            assert!(width.parse::<u32>().unwrap() <= 552, "{tag}");
        }
    }
    let sized = tags.iter().find(|t| t.contains("wide-2.jpg")).unwrap();
    assert_eq!(
        (attr(sized, "width"), attr(sized, "height")),
        (Some("552"), Some("368"))
    );
    // The e-mail's title stays its one h1.
    assert_eq!(mail.html.matches("<h1").count(), 1, "{}", mail.html);
    // Embedded objects give way to their fallback link.
    assert!(!mail.html.contains("<object"), "{}", mail.html);
    assert!(mail.html.contains("Download the slides</a>"));
    // The header image is described, not titled.
    let header = tags.iter().find(|t| t.contains("wide-header.jpg")).unwrap();
    assert_ne!(attr(header, "alt"), Some("Wide photos"));
}

#[test]
fn layout_has_one_h1_dark_mode_outlook_tables_and_readable_text() {
    let site = TempSite::example();
    let digest = first_mail(&site, &["--since", "2026-09-01"]);
    let post = first_mail(&site, &["--post", "call-for-speakers-2026"]);
    for (name, html) in [("digest", &digest.html), ("post", &post.html)] {
        assert_eq!(html.matches("<h1").count(), 1, "{name}: exactly one h1");
        let style = &html[position(html, "<style>")..position(html, "</style>")];
        assert!(
            style.contains("@media (prefers-color-scheme: dark)"),
            "{name}"
        );
        assert!(
            style.contains("a, .brand"),
            "{name}: links get a dark-mode colour"
        );
        assert!(
            html.contains("<!--[if mso]><table role=\"presentation\" width=\"600\""),
            "{name}"
        );
        // No text under 14 px.
        for (i, _) in html.match_indices("font-size: ") {
            let size = &html[i + 11..];
            let px: String = size.chars().take_while(char::is_ascii_digit).collect();
            if size[px.len()..].starts_with("px") {
                assert!(px.parse::<u32>().unwrap() >= 14, "{name}: {}", &size[..10]);
            }
        }
        // The preheader is hidden the usual way, not as low-contrast text.
        let pre = position(html, "class=\"preheader\"");
        let tag = &html[pre..pre + html[pre..].find('>').unwrap()];
        assert!(
            tag.contains("display: none") && tag.contains("mso-hide: all"),
            "{tag}"
        );
        assert!(!tag.contains("color:"), "{tag}");
    }
    // Decorative symbols are hidden from screen readers; alt texts describe.
    for (i, _) in digest.html.match_indices('▶') {
        assert!(
            digest.html[..i].ends_with("<span aria-hidden=\"true\">"),
            "bare ▶"
        );
    }
    for tag in img_tags(&digest.html) {
        let alt = attr(tag, "alt").unwrap();
        assert!(
            alt.starts_with("Photo from ") || alt.starts_with("Video thumbnail: "),
            "{alt}"
        );
    }
    assert!(digest.html.contains(
        "alt=\"Photo from Riverside Cloud Native, November 2026: AI inference on Kubernetes\""
    ));
}
