//! Every case of the suite, one module per group.

mod access;
mod ble;
mod commission_steps;
mod commissioning;
mod data_model;
mod pairing;
mod pase_steps;
mod protection;
mod robustness;
mod sessions;
mod transport;
mod window;

use crate::case::Case;

/// Every case, in no particular order (the runner sorts them by group).
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend_from_slice(pairing::CASES);
    cases.extend_from_slice(commissioning::CASES);
    cases.extend_from_slice(transport::CASES);
    cases.extend_from_slice(sessions::CASES);
    cases.extend_from_slice(data_model::CASES);
    cases.extend_from_slice(access::CASES);
    cases.extend_from_slice(protection::CASES);
    cases.extend_from_slice(robustness::CASES);
    cases.extend_from_slice(ble::CASES);
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn case_ids_are_unique_and_named_after_their_group() {
        let mut seen = BTreeSet::new();
        for c in all() {
            assert!(seen.insert(c.info.id), "{} twice", c.info.id);
            let prefix = format!("{}.", c.info.group.name());
            assert!(
                c.info.id.starts_with(&prefix),
                "{} not in {}",
                c.info.id,
                prefix
            );
            assert!(!c.info.spec_ids.is_empty(), "{} cites no rule", c.info.id);
        }
    }
}
