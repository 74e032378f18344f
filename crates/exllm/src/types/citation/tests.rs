use super::*;

#[test]
fn one_entry_per_url_first_title_wins() {
    let mut list = Vec::new();
    Citation::add_to(&mut list, Citation::new("https://a", None));
    Citation::add_to(&mut list, Citation::new("https://b", Some(String::new())));
    Citation::add_to(&mut list, Citation::new("https://a", Some("A".into())));
    Citation::add_to(&mut list, Citation::new("https://a", Some("A2".into())));
    Citation::add_to(&mut list, Citation::new("https://b", Some("B".into())));
    Citation::add_to(&mut list, Citation::new("", Some("none".into())));
    assert_eq!(
        list,
        vec![
            Citation::new("https://a", Some("A".into())),
            Citation::new("https://b", Some(String::new())),
        ]
    );
}
