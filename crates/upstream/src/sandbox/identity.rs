//! Who a virtual user is: their business-scoped user id and profile name, derived from their
//! number so they are the same on every run.

use sha2::{Digest, Sha256};
use wagate_core::ids::WabaId;
use wagate_core::message::Bsuid;
use wagate_core::phone::PhoneE164;

/// ISO country of a few calling codes; others map to `ZZ`.
fn country(wa_id: &PhoneE164) -> &'static str {
    let d = wa_id.digits();
    const CODES: &[(&str, &str)] = &[
        ("1", "US"),
        ("7", "RU"),
        ("20", "EG"),
        ("27", "ZA"),
        ("31", "NL"),
        ("33", "FR"),
        ("34", "ES"),
        ("39", "IT"),
        ("44", "GB"),
        ("49", "DE"),
        ("52", "MX"),
        ("54", "AR"),
        ("55", "BR"),
        ("57", "CO"),
        ("62", "ID"),
        ("63", "PH"),
        ("65", "SG"),
        ("81", "JP"),
        ("90", "TR"),
        ("91", "IN"),
        ("234", "NG"),
        ("254", "KE"),
        ("971", "AE"),
    ];
    CODES
        .iter()
        .filter(|(code, _)| d.starts_with(code))
        .max_by_key(|(code, _)| code.len())
        .map_or("ZZ", |(_, cc)| cc)
}

/// The user's BSUID for one business (WABA): stable, and different per business.
pub fn bsuid_for(waba: &WabaId, wa_id: &PhoneE164) -> Bsuid {
    let hash = Sha256::digest(format!("bsuid|{waba}|{}", wa_id.digits()).as_bytes());
    let mut n = [0u8; 8];
    n.copy_from_slice(&hash[..8]);
    let digits = format!("{:020}", u64::from_be_bytes(n));
    Bsuid::parse_field("bsuid", &format!("{}.{digits}", country(wa_id))).expect("valid BSUID")
}

/// The profile name a virtual user shows unless configured.
pub fn default_name(wa_id: &PhoneE164) -> String {
    let d = wa_id.digits();
    format!("Sandbox User {}", &d[d.len().saturating_sub(4)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsuids_are_stable_and_business_scoped() {
        let user = PhoneE164::parse("+4915112345678").unwrap();
        let a = WabaId::parse("100000000000001").unwrap();
        let b = WabaId::parse("100000000000002").unwrap();
        assert_eq!(bsuid_for(&a, &user), bsuid_for(&a, &user));
        assert_ne!(bsuid_for(&a, &user), bsuid_for(&b, &user));
        assert!(bsuid_for(&a, &user).as_str().starts_with("DE."));
        let us = PhoneE164::parse("+16505551234").unwrap();
        assert!(bsuid_for(&a, &us).as_str().starts_with("US."));
        assert_eq!(default_name(&us), "Sandbox User 1234");
    }
}
