#!/usr/bin/env python3
"""Generates a synthetic meetup blog of N recap-shaped posts for benchmarks.

Writes the same Markdown files twice: as a crier site (crier.yaml + posts/) and as a Hugo site
(hugo.toml + content/posts/), so both tools build feeds from identical input.

usage: gen_site.py N OUT_DIR
"""
import os
import random
import sys
from datetime import date, timedelta

TAGS = ["Meetup", "Video", "Photos", "Security", "Observability", "Platform", "Wasm", "Storage"]
PEOPLE = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan", "Radia"]
TOPICS = ["operators", "service meshes", "eBPF", "supply chains", "GitOps", "autoscaling",
          "observability", "multi-tenancy", "edge computing", "cost control"]


def post(i, day, rng):
    tags = ["Meetup"] + rng.sample(TAGS[1:], 2) + [str(day.year)]
    speakers = rng.sample(PEOPLE, 3)
    topic = rng.choice(TOPICS)
    next_day = day + timedelta(days=28)
    talks = []
    for n, who in enumerate(speakers):
        talks.append(f"""**{who} Example** spoke about *{topic}, part {n + 1}* (starting at [{10 + n * 30}:00](https://youtu.be/bench{i:06d}?t={600 + n * 1800})). Takeaways:

* Start small with {topic} and measure before you scale.
* Automate the boring parts; review the risky ones.
* Share what failed, not only what worked.

![{who} on stage](/images/{day.isoformat()}-talk-{n + 1}.jpg)
""")
    front = f"""---
layout: post
title: "Bench Meetup #{i}: {topic} with {', '.join(speakers)}"
description: "Recap of meetup {i} about {topic}."
location: London, UK
image: /images/{day.isoformat()}-meetup {i}.jpg
video: https://www.youtube.com/embed/bench{i:06d}
tags:
""" + "".join(f"  - \"{t}\"\n" for t in tags) + "---\n"
    body = f"""
We had three great speakers at meetup {i}, joining us in person and on the livestream.

Thanks to our sponsors [Acme](https://acme.example.com/) and [Bytewise](https://bytewise.example.net/) for their support.

### Overview

{"".join(talks)}
| Talk | Speaker |
|------|---------|
""" + "".join(f"| {topic} {n + 1} | {s} |\n" for n, s in enumerate(speakers)) + f"""
## Next meetup

Our next meetup will be on {next_day.strftime('%A %d %B')}, when we'll be joined by more speakers. [RSVP and save the date now!](https://events.example.org/bench/{i + 1})
"""
    return front + body


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(42)
    crier_posts = os.path.join(out, "crier", "posts")
    hugo_posts = os.path.join(out, "hugo", "content", "posts")
    os.makedirs(crier_posts, exist_ok=True)
    os.makedirs(hugo_posts, exist_ok=True)
    start = date(2026, 11, 1)
    for i in range(n):
        day = start - timedelta(days=i)
        name = f"{day.isoformat()}-bench-meetup-{i}.md"
        text = post(i, day, rng)
        for d in (crier_posts, hugo_posts):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
    with open(os.path.join(out, "crier", "crier.yaml"), "w") as f:
        f.write("""site:
  title: Bench Meetup
  description: Synthetic benchmark site
  url: https://bench.example.com
  author: Bench Organisers
  language: en-GB
  timezone: Europe/London
feeds:
  limit: 20
""")
    with open(os.path.join(out, "hugo", "hugo.toml"), "w") as f:
        f.write("""baseURL = "https://bench.example.com/"
title = "Bench Meetup"
languageCode = "en-gb"
disableKinds = ["sitemap", "robotsTXT", "404"]
[outputs]
  home = ["rss"]
  section = ["rss"]
  taxonomy = ["rss"]
  term = ["rss"]
  page = []
[frontmatter]
  date = [":filename", ":default"]
[services.rss]
  limit = 20
[taxonomies]
  tag = "tags"
""")


if __name__ == "__main__":
    main()
