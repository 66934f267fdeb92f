//! Instance names: 64 bits written as 16 lower-case hex digits `[DISC-4]`, random per
//! pairing window for commissionable instances `[DISC-6]`, derived per home for operational
//! ones `[DISC-11]`.

use std::fmt;
use std::str::FromStr;

use orbit_core::cert::{HomeId, NodeId};
use orbit_core::crypto::{CryptoError, Random};
use ring::hmac;

use crate::records::RecordError;

/// The domain string of the operational instance ID `[DISC-11]`.
pub const OPERATIONAL_DOMAIN: &[u8] = b"orbit discovery v1 operational";

/// A 64-bit instance name `[DISC-4]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId([u8; 8]);

impl InstanceId {
    /// Number of hex digits in an instance name.
    pub const HEX_LEN: usize = 16;

    /// The instance ID with these bytes.
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// The 8 bytes.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    /// A fresh commissionable instance name, from a cryptographically secure generator
    /// `[DISC-6]`. Draw one each time a pairing window opens.
    pub fn random(rng: &mut dyn Random) -> Result<Self, CryptoError> {
        let mut bytes = [0u8; 8];
        rng.fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Parses 16 hex digits (either case, as DNS names are case-insensitive) `[DISC-4]`.
    pub fn parse(name: &str) -> Result<Self, RecordError> {
        if name.len() != Self::HEX_LEN {
            return Err(RecordError::BadInstanceName);
        }
        let mut out = [0u8; 8];
        let mut digits = name.chars().map(|c| c.to_digit(16));
        for byte in &mut out {
            let (Some(Some(hi)), Some(Some(lo))) = (digits.next(), digits.next()) else {
                return Err(RecordError::BadInstanceName);
            };
            // Two hex digits are at most 0xff.
            *byte = u8::try_from(hi * 16 + lo).map_err(|_| RecordError::BadInstanceName)?;
        }
        Ok(Self(out))
    }

    /// The target host name of this instance, `o<hex>.local.`: one per instance, so host
    /// names do not link instances `[DISC-4]`.
    pub fn host_name(&self) -> String {
        format!("o{self}.local.")
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstanceId({self})")
    }
}

impl FromStr for InstanceId {
    type Err = RecordError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The operational instance ID of node `node_id` in the home with root public key
/// `home_root_public_key` and ID `home_id` `[DISC-11]`: the first 8 bytes of
/// HMAC-SHA256 keyed with the root public key over the domain string, `home_id` and `node_id`
/// (big-endian). A controller of the home computes it to find the device again `[DISC-12]`;
/// without the root key, which only members receive, nobody can link it to the home.
pub fn operational_instance_id(
    home_root_public_key: &[u8; 32],
    home_id: HomeId,
    node_id: NodeId,
) -> InstanceId {
    let key = hmac::Key::new(hmac::HMAC_SHA256, home_root_public_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(OPERATIONAL_DOMAIN);
    ctx.update(&home_id.to_be_bytes());
    ctx.update(&node_id.to_be_bytes());
    let tag = ctx.sign();
    let mut out = [0u8; 8];
    for (o, t) in out.iter_mut().zip(tag.as_ref()) {
        *o = *t;
    }
    InstanceId(out)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use orbit_core::crypto::SeededRandom;
    use proptest::prelude::*;

    // [DISC-11] the identifier is stable and differs across homes, home keys and nodes.
    #[test]
    fn operational_id_stable_and_distinct() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        let a = operational_instance_id(&k1, 10, 20);
        assert_eq!(a, operational_instance_id(&k1, 10, 20));
        assert_ne!(a, operational_instance_id(&k2, 10, 20));
        assert_ne!(a, operational_instance_id(&k1, 11, 20));
        assert_ne!(a, operational_instance_id(&k1, 10, 21));
        // Node and home IDs are not interchangeable.
        assert_ne!(a, operational_instance_id(&k1, 20, 10));
    }

    // [DISC-11] a fixed vector: HMAC-SHA256 computed independently of this function.
    #[test]
    fn operational_id_vector() {
        let key = [0x42u8; 32];
        let mut msg = OPERATIONAL_DOMAIN.to_vec();
        msg.extend_from_slice(&0x0123_4567_89ab_cdefu64.to_be_bytes());
        msg.extend_from_slice(&4097u64.to_be_bytes());
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), &msg);
        let want: [u8; 8] = tag.as_ref()[..8].try_into().unwrap();
        assert_eq!(
            operational_instance_id(&key, 0x0123_4567_89ab_cdef, 4097).to_bytes(),
            want
        );
    }

    // [DISC-6] fresh random names per window.
    #[test]
    fn random_names_differ() {
        let mut rng = SeededRandom::new(7);
        let a = InstanceId::random(&mut rng).unwrap();
        let b = InstanceId::random(&mut rng).unwrap();
        assert_ne!(a, b);
    }

    // [DISC-4] 16 lower-case hex digits; host name per instance.
    #[test]
    fn names() {
        let id = InstanceId::from_bytes([0x3f, 0x9a, 0x0c, 0x2e, 0x71, 0xb4, 0xd5, 0x80]);
        assert_eq!(id.to_string(), "3f9a0c2e71b4d580");
        assert_eq!(id.host_name(), "o3f9a0c2e71b4d580.local.");
        assert_eq!(InstanceId::parse("3F9A0C2E71B4D580").unwrap(), id);
        for bad in [
            "",
            "3f9a0c2e71b4d58",
            "3f9a0c2e71b4d5800",
            "3f9a0c2e71b4d58g",
            "3f9a0c2e71b4d5é",
        ] {
            assert_eq!(
                InstanceId::parse(bad),
                Err(RecordError::BadInstanceName),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn parse_total(s in "\\PC{0,20}") {
            let _ = InstanceId::parse(&s);
        }

        #[test]
        fn round_trip(b in any::<[u8; 8]>()) {
            let id = InstanceId::from_bytes(b);
            prop_assert_eq!(InstanceId::parse(&id.to_string()).unwrap(), id);
        }
    }
}
