use super::*;

/// Feeds lines until an entry completes; the entries in order.
fn entries(lines: &[&str]) -> Vec<String> {
    let mut p = Pending::default();
    let mut out: Vec<String> = lines.iter().filter_map(|l| p.feed(l)).collect();
    out.extend(p.finish());
    out
}

#[test]
fn a_plain_line_is_an_entry() {
    assert_eq!(entries(&["hello", "world"]), ["hello", "world"]);
}

#[test]
fn a_trailing_backslash_continues_the_entry() {
    assert_eq!(
        entries(&["first \\", "second\\", "third", "next"]),
        ["first \nsecond\nthird", "next"]
    );
    let mut p = Pending::default();
    assert!(p.is_empty());
    assert_eq!(p.feed("a\\"), None);
    assert!(!p.is_empty(), "the continuation prompt shows");
}

#[test]
fn a_fenced_block_keeps_its_lines_whatever_they_end_with() {
    assert_eq!(
        entries(&[
            "\"\"\"",
            "fn main() {\\",
            "",
            "  /quit",
            "}",
            "\"\"\"",
            "after"
        ]),
        ["fn main() {\\\n\n  /quit\n}", "after"]
    );
    assert_eq!(
        entries(&["\"\"\"one", "two\"\"\"", "\"\"\"inline\"\"\""]),
        ["one\ntwo", "inline"]
    );
}

#[test]
fn input_ending_inside_an_entry_still_sends_it() {
    assert_eq!(entries(&["\"\"\"", "left open"]), ["left open"]);
    assert_eq!(entries(&["cut \\"]), ["cut "]);
    assert!(entries(&[]).is_empty());
}

#[test]
fn a_whole_edit_is_complete_only_when_closed() {
    assert_eq!(assemble("hello"), Some("hello".into()));
    assert_eq!(assemble("first\\"), None);
    assert_eq!(assemble("first\\\nsecond"), Some("first\nsecond".into()));
    assert_eq!(assemble("\"\"\"\nbody"), None);
    assert_eq!(assemble("\"\"\"\nbody\\\n\"\"\""), Some("body\\".into()));
    // A pasted pair of lines is sent together.
    assert_eq!(assemble("one\ntwo"), Some("one\ntwo".into()));
}
