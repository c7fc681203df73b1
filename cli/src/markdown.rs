//! Lesson Markdown to HTML with pulldown-cmark. Lessons are data from
//! anyone, so nothing in them may run in the page: raw HTML is shown as
//! text, links only keep `http(s)`, `mailto` and in-page targets, and
//! images become their alt text.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn safe_url(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    match u.find(':') {
        // Relative and in-page links have no scheme (a colon after a
        // slash, ? or # is part of the path).
        Some(i) if !u[..i].contains(['/', '?', '#']) => {
            u.starts_with("http:") || u.starts_with("https:") || u.starts_with("mailto:")
        }
        _ => true,
    }
}

/// Whether `c` is written without spaces around it (CJK ideographs, kana,
/// hangul, and CJK or full-width punctuation).
fn wide(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF)
}

/// The last character an event shows, if it shows text.
fn last_char(e: &Event<'_>) -> Option<char> {
    match e {
        Event::Text(t) | Event::Code(t) => t.chars().last(),
        _ => None,
    }
}

/// The first character an event shows, if it shows text.
fn first_char(e: &Event<'_>) -> Option<char> {
    match e {
        Event::Text(t) | Event::Code(t) => t.chars().next(),
        _ => None,
    }
}

/// Renders `markdown` to HTML that is safe to put into the page.
pub fn to_html(markdown: &str) -> String {
    let all: Vec<Event<'_>> =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).collect();
    // A line break in the source between two Chinese characters is not a
    // space: the browser would show one ("先投自己一票， 然后").
    let text_before = |i: usize| all[..i].iter().rev().find_map(last_char);
    let text_after = |i: usize| all[i + 1..].iter().find_map(first_char);
    let joined: Vec<Event<'_>> = all
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            !(matches!(e, Event::SoftBreak) && text_before(*i).is_some_and(wide) && text_after(*i).is_some_and(wide))
        })
        .map(|(_, e)| e.clone())
        .collect();
    let events = joined.into_iter().filter_map(|e| match e {
        // Raw HTML is shown, never interpreted.
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let dest_url = if safe_url(&dest_url) { dest_url } else { CowStr::Borrowed("#") };
            Some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
        }
        // An image keeps only its alt text (the text events inside it).
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_renders() {
        let h = to_html("**Raft** has `terms`.\n\n- one\n- two");
        assert!(h.contains("<strong>Raft</strong>") && h.contains("<code>terms</code>") && h.contains("<li>one</li>"));
    }

    #[test]
    fn a_line_break_between_chinese_characters_is_no_space() {
        assert_eq!(to_html("先投自己一票，\n然后发送"), "<p>先投自己一票，然后发送</p>\n");
        assert_eq!(
            to_html("**候选者**（candidate）：它把任期加到 1，\n先投自己一票"),
            "<p><strong>候选者</strong>（candidate）：它把任期加到 1，先投自己一票</p>\n"
        );
        // Between Latin words a line break stays a space.
        assert_eq!(to_html("two\nwords"), "<p>two\nwords</p>\n");
        assert_eq!(to_html("中文\nEnglish"), "<p>中文\nEnglish</p>\n");
    }

    #[test]
    fn nothing_in_a_lesson_can_run_script() {
        for attack in [
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
            "hello <b onmouseover=alert(1)>x</b>",
            "[click](javascript:alert(1))",
            "[click]( JavaScript:alert(1))",
            "![x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">a</a>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
        ] {
            let h = to_html(attack).to_ascii_lowercase();
            assert!(!h.contains("<script") && !h.contains("<img") && !h.contains("<b "), "{attack} -> {h}");
            // Escaped text may mention javascript:, but no real link points there.
            assert!(!h.contains("<a href=\"javascript") && !h.contains("<a href=\" javascript"), "{attack} -> {h}");
            assert!(!h.contains("<a href=\"data:"), "{attack} -> {h}");
        }
        assert!(to_html("[DistLab](https://example.org/a:b)").contains("href=\"https://example.org/a:b\""));
        assert!(to_html("[next](#step-2)").contains("href=\"#step-2\""));
    }
}
