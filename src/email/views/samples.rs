//! Sample data of every kind of e-mail, with every optional field filled in ([`full`]) and
//! with every one empty ([`bare`]): `crier check` renders every template against both in
//! strict mode, so a misspelt variable is an error before anything is sent, and the tests
//! render crier's own templates from them.

use chrono::{DateTime, FixedOffset};

use super::{
    ConfirmationView, DigestMeta, DigestView, EmailView, EventCard, ListView, Notice, NoticeKind,
    Picture, PostCard, PostView, RecapView, ReminderMeta, ReminderView, SiteView,
};
use crate::digest::{Event, EventView, Recap, Talk, Video};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_default()
}

fn site(full: bool) -> SiteView {
    SiteView {
        title: "Sample Meetup".into(),
        description: if full {
            "A sample meetup.".into()
        } else {
            String::new()
        },
        url: "https://meetup.example.com/".into(),
        author: "Sample organisers".into(),
        language: "en-GB".into(),
    }
}

fn event(full: bool) -> EventCard {
    let start = at("2027-01-13T18:30:00+00:00");
    let event = Event {
        title: "Sample Meetup January".into(),
        start,
        end: start + chrono::Duration::hours(3),
        location: full.then(|| "Example Hall, London".into()),
        rsvp: full.then(|| "https://events.example.org/sample/january".into()),
        uid: "next-meetup-sample@meetup.example.com".into(),
        sentence: "Our next meetup is on Wednesday 13 January.".into(),
        announced: at("2026-12-10T19:00:00+00:00"),
        about: full.then(|| "talks on sample systems".into()),
        online: false,
        time_stated: full,
        cancelled: false,
    };
    EventCard {
        view: EventView {
            event,
            date_display: "Wednesday 13 January 2027".into(),
            time_display: "18:30 GMT".into(),
            weekday: "Wednesday".into(),
            date_short: "Wed 13 January".into(),
            place: full.then(|| "Example Hall, London".into()),
            google_calendar_url: if full {
                "https://calendar.google.com/calendar/render?action=TEMPLATE".into()
            } else {
                String::new()
            },
            outlook_calendar_url: String::new(),
        },
        about_sentence: full.then(|| "Talks on sample systems.".into()),
    }
}

fn recap(full: bool) -> RecapView {
    let recap = Recap {
        title: "Sample Meetup, December 2026: samples at scale".into(),
        date: "2026-12-10T19:00:00+00:00".into(),
        date_display: "Thursday 10 December 2026".into(),
        url: "https://meetup.example.com/2026/12/10/december/".into(),
        image: full.then(|| "https://meetup.example.com/images/december.jpg".into()),
        image_alt: "Photo from the December meetup".into(),
        summary: "Two talks and a lot of pizza.".into(),
        location: full.then(|| "Example Hall, London".into()),
        video: full.then(|| Video {
            url: "https://www.youtube.com/watch?v=abcdefghijk".into(),
            thumbnail: Some("https://img.youtube.com/vi/abcdefghijk/hqdefault.jpg".into()),
        }),
        tags: if full {
            vec!["Meetup".into()]
        } else {
            Vec::new()
        },
        talks: if full {
            vec![Talk {
                title: "Sampling at scale".into(),
                speakers: Some("Ada Example (Example Ltd)".into()),
                video: Some("https://www.youtube.com/watch?v=abcdefghijk&t=250".into()),
                video_at: Some("04:10".into()),
            }]
        } else {
            Vec::new()
        },
    };
    RecapView {
        picture: full.then(|| Picture {
            src: "https://meetup.example.com/images/december.jpg".into(),
            alt: "Photo from the December meetup".into(),
            href: recap.url.clone(),
            width: 552,
            height: None,
            video: false,
        }),
        short_title: "Sample Meetup, December 2026".into(),
        recap,
    }
}

fn notice(full: bool, kind: NoticeKind) -> Option<Notice> {
    full.then(|| Notice {
        kind,
        lines: vec!["New time: 19:00 (was 18:30)".into()],
        subject: None,
        subject_prefix: Some("Updated: ".into()),
    })
}

/// A digest.
pub fn digest(full: bool) -> DigestView {
    DigestView {
        site: site(full),
        recaps: if full { vec![recap(true)] } else { Vec::new() },
        event: full.then(|| event(true)),
        subject: "Next: Wed 13 January · December recap".into(),
        preheader: "Two talks and a lot of pizza.".into(),
        digest: DigestMeta {
            id: "digest-sample".into(),
            at: "2026-12-14T09:00:00+00:00".into(),
        },
        notice: notice(full, NoticeKind::Update),
        archive_url: full.then(|| "https://meetup.example.com/archive/2026-12-14/".into()),
    }
}

/// Every kind of e-mail, with every optional field filled in (`full`) or empty.
pub fn all(full: bool) -> Vec<EmailView> {
    vec![
        EmailView::Digest(Box::new(digest(full))),
        EmailView::Post(Box::new(PostView {
            site: site(full),
            subject: "Call for speakers".into(),
            preheader: "Tell us about your talk.".into(),
            post: PostCard {
                title: "Call for speakers".into(),
                url: "https://meetup.example.com/2027/01/02/call-for-speakers/".into(),
                date: "2027-01-02T10:00:00+00:00".into(),
                date_display: "Saturday 2 January 2027".into(),
                image: full.then(|| "https://meetup.example.com/images/cfp.jpg".into()),
                image_alt: "Picture for Call for speakers".into(),
                description: full.then(|| "Tell us about your talk.".into()),
                summary: "Tell us about your talk.".into(),
                content_html: "<p>Tell us about your talk.</p>".into(),
                location: full.then(|| "London".into()),
                tags: vec!["News".into()],
            },
            notice: None,
            archive_url: Some("https://meetup.example.com/2027/01/02/call-for-speakers/".into()),
        })),
        EmailView::Reminder(Box::new(ReminderView {
            site: site(full),
            event: Some(event(full)),
            subject: "Tomorrow: Sample Meetup January".into(),
            preheader: "Wednesday 13 January 2027, 18:30 GMT".into(),
            notice: Some(Notice {
                kind: NoticeKind::Reminder,
                lines: Vec::new(),
                subject: Some("Tomorrow: Sample Meetup January".into()),
                subject_prefix: None,
            }),
            reminder: ReminderMeta {
                when: "Tomorrow".into(),
                when_lower: "tomorrow".into(),
                time_zone: "GMT".into(),
            },
            archive_url: None,
        })),
        EmailView::Confirmation(Box::new(ConfirmationView {
            site: site(full),
            lists: vec![ListView {
                name: "members".into(),
                title: "The monthly digest".into(),
            }],
            confirm_days: 7,
            issued: 1_796_000_000,
            notice: None,
        })),
    ]
}

/// Every kind with every optional field filled in.
pub fn full() -> Vec<EmailView> {
    all(true)
}

/// Every kind with every optional field empty.
pub fn bare() -> Vec<EmailView> {
    all(false)
}
