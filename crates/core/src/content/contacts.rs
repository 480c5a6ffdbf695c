//! `contacts` messages, both ways: an array of contact cards. Only `name.formatted_name` is
//! required; `birthday` is `YYYY-MM-DD`; `phones`, `emails`, `urls` and `addresses` are
//! arrays of objects and `org` an object.
//!
//! Lenient inputs: the array may come as a JSON string holding it (whatsapp-api-js sends
//! that), and `null`s and empty arrays or objects are dropped at any depth (pywa sends them
//! for every unset field).

use serde_json::Value;

use super::fields::{Fields, check_count, children, prune, wrong_type};
use super::limits::CONTACT_CARDS;
use crate::error::ValidationError;

const FIELD: &str = "contacts";

pub(super) fn parse(v: Value) -> Result<Value, ValidationError> {
    let mut v = unstring(v)?;
    let Value::Array(cards) = &mut v else {
        return Err(wrong_type(FIELD, "an array of contact cards", &v));
    };
    // Inside each card only: a card that prunes to nothing still reports its missing name.
    cards.iter_mut().for_each(prune);
    check_count(FIELD, cards.len(), 1, CONTACT_CARDS)?;
    for card in children(FIELD, cards)? {
        check_card(&card)?;
    }
    Ok(v)
}

/// The cards, when they were sent as a JSON string.
fn unstring(v: Value) -> Result<Value, ValidationError> {
    match v {
        Value::String(s) => serde_json::from_str(&s).map_err(|_| {
            ValidationError::new(
                FIELD,
                "must be an array of contact cards (or a JSON string holding one)",
            )
        }),
        v => Ok(v),
    }
}

fn check_card(card: &Fields<'_>) -> Result<(), ValidationError> {
    let name = card.req_child("name")?;
    name.req_str("formatted_name", usize::MAX)?;
    for key in ["first_name", "last_name", "middle_name", "prefix", "suffix"] {
        name.opt_str(key)?;
    }
    if let Some(birthday) = card.opt_str("birthday")? {
        check_birthday(&card.path("birthday"), birthday)?;
    }
    for key in ["phones", "emails", "urls", "addresses"] {
        card.opt_children(key, usize::MAX)?;
    }
    card.child("org")?;
    Ok(())
}

/// `YYYY-MM-DD`, a real date.
fn check_birthday(field: &str, s: &str) -> Result<(), ValidationError> {
    let bad = || ValidationError::out_of_range(field, "must be a date like 1990-01-31");
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(bad());
    }
    let (year, month, day) = (s[..4].parse(), s[5..7].parse(), s[8..].parse());
    match (year, month, day) {
        (Ok(y), Ok(m), Ok(d)) if jiff::civil::Date::new(y, m, d).is_ok() => Ok(()),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;
    use crate::error::ValidationKind;
    use serde_json::json;

    fn send(contacts: Value) -> Result<Content, ValidationError> {
        Content::outbound(&json!({"type": "contacts", "contacts": contacts}))
    }

    fn err(contacts: Value) -> (String, ValidationKind) {
        let e = send(contacts).unwrap_err();
        (e.field, e.kind)
    }

    fn jane() -> Value {
        json!({
            "name": {"formatted_name": "Jane Doe", "first_name": "Jane", "last_name": "Doe"},
            "phones": [{"phone": "+16505551234", "type": "CELL", "wa_id": "16505551234"}],
            "emails": [{"email": "j@x.com", "type": "WORK"}],
            "urls": [{"url": "https://x", "type": "WORK"}],
            "addresses": [{"street": "1 Main", "city": "Menlo Park", "country_code": "us"}],
            "org": {"company": "X", "title": "CEO"},
            "birthday": "1990-01-31"
        })
    }

    #[test]
    fn full_card_is_kept() {
        let c = send(json!([jane()])).unwrap();
        assert_eq!(c.body(), &json!([jane()]));
        assert_eq!(c.preview().as_deref(), Some("👤 Jane Doe"));
    }

    #[test]
    fn cards_as_a_json_string() {
        let c = send(Value::String(json!([jane(), jane()]).to_string())).unwrap();
        assert_eq!(c.body(), &json!([jane(), jane()]));
        assert_eq!(c.preview().as_deref(), Some("👤 Jane Doe +1 more"));
        assert_eq!(
            err(json!("[not json")),
            ("contacts".into(), ValidationKind::Invalid)
        );
    }

    #[test]
    fn nulls_and_empties_are_dropped() {
        let pywa = json!([{
            "name": {"formatted_name": "Jane", "first_name": null, "last_name": null},
            "birthday": null, "phones": [], "emails": null, "urls": [],
            "addresses": [{"street": null}], "org": {"company": null}
        }]);
        let c = send(pywa).unwrap();
        assert_eq!(c.body(), &json!([{"name": {"formatted_name": "Jane"}}]));
    }

    #[test]
    fn rejections() {
        let missing = ValidationKind::Missing;
        let range = ValidationKind::OutOfRange;
        assert_eq!(err(json!([])), ("contacts".into(), missing));
        assert_eq!(
            err(json!([{"name": {}}])),
            ("contacts[0].name".into(), missing)
        );
        assert_eq!(
            err(json!([jane(), {"name": {"first_name": "X"}}])),
            ("contacts[1].name.formatted_name".into(), missing)
        );
        let too_many: Vec<Value> = (0..101).map(|_| jane()).collect();
        assert_eq!(err(Value::Array(too_many)), ("contacts".into(), range));
        for bad in ["1990-02-30", "31-01-1990", "1990-1-31", "1990-13-01"] {
            let mut card = jane();
            card["birthday"] = json!(bad);
            assert_eq!(
                err(json!([card])),
                ("contacts[0].birthday".into(), range),
                "{bad}"
            );
        }
        let mut card = jane();
        card["phones"] = json!(["+16505551234"]);
        assert_eq!(
            err(json!([card])),
            ("contacts[0].phones[0]".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"name": {}})),
            ("contacts".into(), ValidationKind::Invalid)
        );
    }
}
