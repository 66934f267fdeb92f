//! The destination identifier: how Sigma1 names the home and node it wants without saying
//! either in clear `[SESS-14]`, `[SESS-15]`.

use crate::cert::{HomeId, HomeMembership, HomeTable, NodeId};
use crate::crypto::hash::{hmac_sha256, hmac_sha256_verify, HASH_LEN};
use crate::crypto::sign::PublicKey;

/// `[SESS-14]` HMAC-SHA256(key = root public key,
/// initiator_random ‖ root public key ‖ home_id (8 bytes BE) ‖ node_id (8 bytes BE)).
pub fn destination_id(
    initiator_random: &[u8; 32],
    root_public_key: &PublicKey,
    home_id: HomeId,
    node_id: NodeId,
) -> [u8; HASH_LEN] {
    hmac_sha256(
        &root_public_key.0,
        &[
            initiator_random,
            &root_public_key.0,
            &home_id.to_be_bytes(),
            &node_id.to_be_bytes(),
        ],
    )
}

/// `[SESS-15]` the membership of `homes` whose own identity the destination identifier
/// names, comparing in constant time `[SEC-3]`. Every home is tried, also after a match, so
/// the time taken does not reveal which home matched.
pub fn find_destination<'a>(
    homes: &'a HomeTable,
    initiator_random: &[u8; 32],
    destination: &[u8; HASH_LEN],
) -> Option<&'a HomeMembership> {
    let mut found = None;
    for m in homes.iter() {
        let root = m.root.public_key();
        let mut data = [0u8; 32 + 32 + 8 + 8];
        let parts: [&[u8]; 4] = [
            initiator_random,
            &root.0,
            &m.home_id().to_be_bytes(),
            &m.node_id().to_be_bytes(),
        ];
        let mut at = 0;
        for p in parts {
            if let Some(dst) = data.get_mut(at..at + p.len()) {
                dst.copy_from_slice(p);
            }
            at += p.len();
        }
        if hmac_sha256_verify(&root.0, &data, destination) && found.is_none() {
            found = Some(m);
        }
    }
    found
}
