//! Every word list the recap reader uses, in one place: the words organisers write for dates,
//! for announcing (or not announcing) a meetup, for places, links, talks and the parts of a
//! recap. Lists are lowercase unless they say otherwise; a change here changes what every
//! reader understands, so each list says who reads it.

use chrono::Weekday;

// ---------------------------------------------------------------------------------------------
// Dates and times (prose_date.rs, zone.rs)

/// Month names, January first.
pub const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Weekday names with their weekday.
pub const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

/// Words that, after a month name, make it the month of a meetup ("our May meetup").
pub const MONTH_CONTEXT: [&str; 9] = [
    "meetup",
    "meet-up",
    "meet",
    "event",
    "session",
    "edition",
    "social",
    "night",
    "gathering",
];

/// Words before a month name that make it the month of a bare "the 10th" in the same sentence
/// ("in September on the 10th", "this October on the 3rd").
pub const MONTH_INTRODUCERS: [&str; 4] = ["in", "this", "during", "for"];

/// Festive words that name December as the month of a bare "the 10th" ("our Xmas edition on
/// the 10th").
pub const DECEMBER_WORDS: [&str; 3] = ["xmas", "christmas", "christmas-themed"];

/// Words that may follow a bare "the 14th" when it is a date (not "the 2nd floor").
pub const AFTER_BARE_DAY: [&str; 12] = [
    "at", "from", "with", "for", "when", "and", "to", "so", "as", "in", "where", "of",
];

/// Words between two dates that make them one range ("6 to 8 October", "6th - 8th").
pub const RANGE_JOINERS: [&str; 8] = ["to", "-", "–", "—", "until", "till", "through", "thru"];

/// Language tags whose numeric dates put the month first (`9/16` is 16 September). Other
/// `en-*` regions and other languages put the day first; a bare `en` says neither.
pub const MONTH_FIRST_LANGUAGES: [&str; 3] = ["en-us", "en-ph", "es-us"];

/// Time-zone words after a time ("7pm ET", "11:59 PM (PT)") and the zone they name.
/// `None`: the word is a zone, but an ambiguous one (IST is India, Ireland or Israel).
pub const ZONES: [(&str, Option<&str>); 40] = [
    ("pt", Some("America/Los_Angeles")),
    ("pst", Some("America/Los_Angeles")),
    ("pdt", Some("America/Los_Angeles")),
    ("pacific", Some("America/Los_Angeles")),
    ("mt", Some("America/Denver")),
    ("mst", Some("America/Denver")),
    ("mdt", Some("America/Denver")),
    ("mountain", Some("America/Denver")),
    ("ct", Some("America/Chicago")),
    ("cdt", Some("America/Chicago")),
    ("central", Some("America/Chicago")),
    ("et", Some("America/New_York")),
    ("est", Some("America/New_York")),
    ("edt", Some("America/New_York")),
    ("eastern", Some("America/New_York")),
    ("gmt", Some("Europe/London")),
    ("bst", Some("Europe/London")),
    ("uk", Some("Europe/London")),
    ("london", Some("Europe/London")),
    ("british", Some("Europe/London")),
    ("wet", Some("Europe/Lisbon")),
    ("west", Some("Europe/Lisbon")),
    ("cet", Some("Europe/Paris")),
    ("cest", Some("Europe/Paris")),
    ("eet", Some("Europe/Athens")),
    ("eest", Some("Europe/Athens")),
    ("utc", Some("UTC")),
    ("aest", Some("Australia/Sydney")),
    ("aedt", Some("Australia/Sydney")),
    ("jst", Some("Asia/Tokyo")),
    ("kst", Some("Asia/Seoul")),
    ("sgt", Some("Asia/Singapore")),
    ("hkt", Some("Asia/Hong_Kong")),
    ("nzst", Some("Pacific/Auckland")),
    ("nzdt", Some("Pacific/Auckland")),
    ("msk", Some("Europe/Moscow")),
    ("ist", None),
    ("cst", None),
    ("ast", None),
    ("sast", Some("Africa/Johannesburg")),
];

/// Abbreviations that name one half of a zone's year (standard or summer time): written for
/// a date in the other half, they contradict it ("7pm GMT" in July, when London is on BST).
pub const SEASONAL_ZONES: [&str; 19] = [
    "pst", "pdt", "mst", "mdt", "cdt", "est", "edt", "gmt", "bst", "wet", "west", "cet", "cest",
    "eet", "eest", "aest", "aedt", "nzst", "nzdt",
];

/// Words that may follow a region word to make it a zone ("UK time", "Pacific time").
pub const ZONE_SUFFIXES: [&str; 2] = ["time", "timezone"];

/// Region words that are zones only with a suffix ("Central time", not "central London").
pub const ZONE_NEEDS_SUFFIX: [&str; 7] = [
    "pacific", "mountain", "central", "eastern", "uk", "london", "british",
];

// ---------------------------------------------------------------------------------------------
// Is this date our next meetup? (evidence.rs)

/// Words that name the next meetup in so many words. Strongest support.
pub const NEXT_MEETUP: [&str; 10] = [
    "next meetup",
    "next meet-up",
    "next event",
    "next session",
    "next one",
    "next edition",
    "next time",
    "our next",
    "next gathering",
    "next get-together",
];

/// Words that name the next meetup itself: a paragraph with them belongs to the closing part
/// wherever it is, and without a date it is worth a warning.
pub const NAMES_NEXT: [&str; 6] = [
    "next meetup",
    "next meet-up",
    "next event",
    "next session",
    "next gathering",
    "next edition",
];

/// First-person invitations to a coming meetup.
pub const INVITATIONS: [&str; 29] = [
    "save the date",
    "see you",
    "see y'all",
    "join us",
    "we'll be back",
    "we will be back",
    "we're back",
    "we are back",
    "back on",
    "back again",
    "meet again",
    "hope to see",
    "looking forward to seeing",
    "catch you",
    "don't miss",
    "mark your calendar",
    "mark your calendars",
    "mark your diary",
    "mark your diaries",
    "in your diary",
    "come along",
    "come join",
    "we'll see you",
    "we're meeting",
    "we are meeting",
    "we meet",
    "we'll meet",
    "we will meet",
    "we'll gather",
];

/// Words that say something is coming, without saying whose.
pub const UPCOMING: [&str; 4] = ["upcoming", "coming up", "next up", "next month"];

/// Words that schedule something, anyone's.
pub const SCHEDULED: [&str; 20] = [
    "returns on",
    "returns",
    "is back",
    "will return",
    "will be",
    "'ll be",
    "will take place",
    "takes place",
    "is on",
    "is happening",
    "happens on",
    "we're at",
    "we are at",
    "is scheduled",
    "meetup is",
    "meetup on",
    "event is",
    "event on",
    "meet on",
    "is set for",
];

/// Words that invite people to book, anyone's event.
pub const BOOKING: [&str; 7] = [
    "rsvp",
    "sign up",
    "register",
    "tickets",
    "book your",
    "book a",
    "grab a",
];

/// Words after a date that schedule it ("9 April is our next meetup").
pub const AFTER_NEXT: [&str; 3] = ["is our next", "is the next", "is the date"];
pub const AFTER_SCHEDULED: [&str; 5] = ["we will", "we'll", "we are", "we're", "will be"];

/// Words that look back at a meetup that happened: such a date is not announced.
pub const LOOKING_BACK: [&str; 27] = [
    "we had",
    "we were",
    "was",
    "were",
    "came",
    "joined us",
    "thanks to everyone",
    "thank you to everyone",
    "thanks for coming",
    "thank you for coming",
    "thanks to all who",
    "attended",
    "took place",
    "last",
    "happened",
    "held",
    "recorded",
    "ago",
    "enjoyed",
    "gave",
    "spoke",
    "talked",
    "presented",
    "hosted us",
    "met",
    "went",
    "previous",
];
/// The same, after the date ("On 3 March we had...").
pub const AFTER_LOOKING_BACK: [&str; 6] =
    ["we had", "we were", "was", "were", "took place", "happened"];

/// Someone else's event ("our friends at X are running a meetup on...").
pub const THEIRS: [&str; 18] = [
    "are running",
    "is running",
    "are hosting",
    "is hosting",
    "are organising",
    "is organising",
    "are organizing",
    "is organizing",
    "are putting on",
    "their",
    "our friends at",
    "our friends from",
    "our partners at",
    "friends at",
    "another group",
    "other group",
    "sister meetup",
    "partner event",
];
/// Words after a "hosting" phrase that make it ours after all ("Acme are hosting us").
pub const HOSTING_US: [&str; 2] = ["us", "our"];

/// A date that is a deadline, not a meetup ("register by", "the call for papers closes").
pub const DEADLINES: [&str; 21] = [
    "register by",
    "registration closes",
    "registrations close",
    "registration ends",
    "deadline",
    "closes",
    "close on",
    "closing",
    "until",
    "due",
    "submissions",
    "submit by",
    "apply by",
    "book by",
    "call for",
    "cfp",
    "early bird",
    "early-bird",
    "ends on",
    "last day",
    "by midnight",
];

/// An offer or discount ("20% off with the code").
pub const DISCOUNTS: [&str; 13] = [
    "discount",
    "% off",
    "percent off",
    "promo",
    "the code",
    "with code",
    "use code",
    "voucher",
    "coupon",
    "free ticket",
    "free pass",
    "offer",
    "special price",
];

/// Events that are not a meetup of ours: conferences and the like.
pub const CONFERENCES: [&str; 11] = [
    "conference",
    "summit",
    "kubecon",
    "cloudnativecon",
    "festival",
    "expo",
    "convention",
    "devopsdays",
    "hackathon",
    "bootcamp",
    "trade show",
];

/// Headings of sections about other people's things: sponsors, offers, other events.
pub const ELSEWHERE_HEADINGS: [&str; 18] = [
    "sponsor",
    "offer",
    "discount",
    "deal",
    "partner",
    "perk",
    "other events",
    "community events",
    "around the community",
    "elsewhere",
    "friends",
    "job",
    "hiring",
    "conference",
    "cfp",
    "call for",
    "news from",
    "in other news",
];

/// Headings that announce the next meetup.
pub const NEXT_HEADINGS: [&str; 9] = [
    "next",
    "upcoming",
    "coming up",
    "save the date",
    "join us",
    "see you",
    "what's on",
    "whats on",
    "our next",
];

/// Words for a meetup: "our May meetup", "our festive special".
pub const MEETUP_WORDS: [&str; 12] = [
    "meetup",
    "meet-up",
    "event",
    "session",
    "edition",
    "special",
    "social",
    "night",
    "gathering",
    "evening",
    "party",
    "anniversary",
];

/// The words that make a heading a part of the recap rather than the next meetup's or a
/// talk's title (the event reader and the talk reader share them).
pub const GENERIC_HEADINGS: [&str; 22] = [
    "overview",
    "the talks",
    "talks",
    "thanks",
    "thank you",
    "photos",
    "videos",
    "video",
    "slides",
    "sponsors",
    "summary",
    "recap",
    "intro",
    "introduction",
    "takeaways",
    "links",
    "resources",
    "agenda",
    "schedule",
    "next steps",
    "next time",
    "next up",
];

/// Words of a post title that are not the name of its meetup series ("Riverside Cloud Native
/// November 2026 recap" names "Riverside Cloud Native").
pub const NOT_SERIES: [&str; 6] = [
    "recap", "roundup", "round-up", "write-up", "writeup", "review",
];

/// Named editions of a meetup: "our 6th anniversary", "the Xmas edition".
pub const EDITION_NOUNS: [&str; 6] = [
    "edition",
    "special",
    "anniversary",
    "party",
    "social",
    "meetup",
];

// ---------------------------------------------------------------------------------------------
// What the announcement says (announcement.rs)

/// Labels of a "When: / Where: / RSVP:" list or table, and what each gives.
pub const WHEN_LABELS: [&str; 4] = ["when", "date", "date and time", "date & time"];
pub const TIME_LABELS: [&str; 3] = ["time", "doors", "starts"];
pub const WHERE_LABELS: [&str; 5] = ["where", "venue", "location", "place", "address"];
pub const RSVP_LABELS_FIELD: [&str; 6] = ["rsvp", "tickets", "register", "sign up", "book", "link"];
pub const WHAT_LABELS: [&str; 6] = ["what", "talks", "topic", "topics", "speakers", "agenda"];

/// Phrases after which a sentence says what the meetup is about, and whether the phrase itself
/// belongs to the about text ("talks on eBPF" keeps "talks"; "joined by speakers" drops
/// "joined by").
pub const ABOUT_MARKERS: [(&str, bool); 16] = [
    ("joined by ", false),
    ("hear from ", false),
    ("hear about ", false),
    ("hear all about ", false),
    ("featuring ", false),
    ("talks from ", true),
    ("talks on ", true),
    ("talks about ", true),
    ("speakers from ", true),
    ("speakers on ", true),
    ("a talk on ", true),
    ("with ", false),
    ("for ", false),
    ("about ", false),
    (": ", false),
    (" — ", false),
];
/// Where an about text ends: the RSVP call and links are not part of it.
pub const ABOUT_STOPS: [&str; 9] = [
    "http",
    " rsvp",
    "rsvp ",
    " register",
    " sign up",
    " tickets",
    " see you",
    " [",
    " (rsvp",
];
/// First words of a clause about arrangements rather than content.
pub const LOGISTICS: [&str; 12] = [
    "we", "we're", "we'll", "we've", "it", "it's", "this", "that", "there", "doors", "details",
    "rsvp",
];
/// Openings that make a "with"/"for" phrase something other than content ("with us").
pub const NOT_ABOUT: [&str; 9] = [
    "us", "you", "more", "details", "free", "the date", "the next", "another", "all",
];

/// Words that say the meetup is online.
pub const ONLINE: [&str; 18] = [
    "online",
    "on zoom",
    "via zoom",
    "on teams",
    "google meet",
    "virtual meetup",
    "virtual event",
    "virtually",
    "livestream",
    "live stream",
    "live-stream",
    "streamed live",
    "streaming live",
    "webinar",
    "remote event",
    "on youtube",
    "on twitch",
    "hybrid",
];
/// Words that negate an online word before it ("no livestream this time").
pub const NEGATIONS: [&str; 4] = ["no ", "not ", "without ", "non-"];
/// Words before a topic ("talks on online safety").
pub const TOPIC_WORDS: [&str; 6] = ["on", "about", "of", "into", "around", "for"];

/// Words that make the sentence after an announcement say where the meetup will be ("We'll
/// be back at Example Works", "This time we're hosted by Sample Bank"), rather than where the
/// last one was.
pub const VENUE_FOLLOW: [&str; 10] = [
    "back at",
    "hosted by",
    "will be at",
    "'ll be at",
    "we're at",
    "we are at",
    "venue",
    "this time",
    "held at",
    "will host",
];
/// Words that end a venue's name: a venue is "Example Hall", not "Example Hall on Tuesday".
pub const PLACE_NOUNS: [&str; 14] = [
    "offices", "office", "hq", "space", "building", "campus", "hall", "studios", "rooms", "room",
    "pub", "bar", "café", "cafe",
];
/// Lowercase words inside a venue's name ("Bank of Example").
pub const NAME_JOINERS: [&str; 5] = ["of", "&", "and", "de", "la"];
/// Capitalised words after "at" that are not places.
pub const NOT_PLACES: [&str; 9] = [
    "rsvp",
    "meetup",
    "zoom",
    "youtube",
    "twitch",
    "teams",
    "google",
    "linkedin",
    "eventbrite",
];

// ---------------------------------------------------------------------------------------------
// Links (announcement.rs, evidence.rs)

/// Link texts that say "RSVP here".
pub const RSVP_LABELS: [&str; 10] = [
    "rsvp",
    "register",
    "sign up",
    "signup",
    "ticket",
    "book",
    "save the date",
    "attend",
    "meetup",
    "event",
];
/// Link addresses of event pages.
pub const RSVP_URLS: [&str; 13] = [
    "meetup.com/",
    "eventbrite.",
    "lu.ma/",
    "luma.com/",
    "ti.to/",
    "tito.io/",
    "tickettailor.com/",
    "/events/",
    "/event/",
    "rsvp",
    "ticket",
    "register",
    "signup",
];
/// Hosts whose first path segment names the group that runs the event page.
pub const GROUP_HOSTS: [&str; 2] = ["meetup.com", "www.meetup.com"];

// ---------------------------------------------------------------------------------------------
// Sentences (blocks.rs)

/// Abbreviations whose full stop does not end a sentence.
pub const ABBREVIATIONS: [&str; 10] = [
    "st", "dr", "mr", "mrs", "ms", "vs", "e.g", "i.e", "no", "approx",
];

// ---------------------------------------------------------------------------------------------
// Talks (talks.rs)

/// Phrases after which prose names the talk ("Ada from Example discussing <title>"); the flag
/// says whether the phrase is part of the title ("Introducing Kudo").
pub const TALK_MARKERS: [(&str, bool); 28] = [
    ("discussing whether ", false),
    ("discussing ", false),
    ("talked about ", false),
    ("talking about ", false),
    ("tell us about ", false),
    ("told us about ", false),
    ("telling us about ", false),
    ("a talk on ", false),
    ("a talk about ", false),
    ("a talk called ", false),
    ("a talk titled ", false),
    ("a talk entitled ", false),
    ("a live demo of ", false),
    ("a demo of ", false),
    ("a discussion on ", false),
    ("presenting ", false),
    ("presented ", false),
    ("explaining ", false),
    ("explained ", false),
    ("asking ", false),
    ("asked ", false),
    ("introducing ", true),
    ("introduced ", true),
    ("speaking on ", false),
    ("spoke about ", false),
    ("an advanced analysis of ", false),
    ("an analysis of ", false),
    ("an introduction to ", false),
];
/// Link texts that name the video, not the talk.
pub const VIDEO_WORDS: [&str; 10] = [
    "video",
    "youtube",
    "watch",
    "recording",
    "here",
    "link",
    "slides",
    "the video",
    "watch the video",
    "watch it",
];
/// Lowercase name particles ("Josh van Leeuwen").
pub const PARTICLES: [&str; 10] = [
    "van", "von", "de", "der", "den", "da", "di", "du", "del", "le",
];
/// Capitalised words that start sentences, not names ("Then Ada Lovelace from..."). As
/// written (capitalised).
pub const NOT_NAMES: [&str; 26] = [
    "Thanks",
    "Thank",
    "Speakers",
    "Talks",
    "Next",
    "First",
    "Finally",
    "Photos",
    "Slides",
    "Video",
    "Greetings",
    "Hello",
    "Love",
    "Our",
    "Then",
    "And",
    "So",
    "But",
    "Also",
    "After",
    "Later",
    "Lastly",
    "Plus",
    "With",
    "Following",
    "Kicking",
];
/// Openings of a time stamp in brackets: "(starting at 30:37)".
pub const TIMESTAMP_OPENINGS: [&str; 5] = [
    "starting at ",
    "starting from ",
    "starting ",
    "from ",
    "at ",
];
/// Lines under a talk's heading that name its speakers ("Speaker: Ada Lovelace").
pub const SPEAKER_PREFIXES: [&str; 5] = [
    "by ",
    "speaker: ",
    "speakers: ",
    "presented by ",
    "presenter: ",
];
/// Table columns: a talk's title, its speakers, its video.
pub const TITLE_COLUMNS: [&str; 4] = ["talk", "title", "session", "topic"];
pub const SPEAKER_COLUMNS: [&str; 5] = ["speaker", "speakers", "presenter", "who", "by"];
pub const VIDEO_COLUMNS: [&str; 5] = ["video", "recording", "watch", "youtube", "link"];
