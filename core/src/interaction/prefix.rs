//! Reading the exchange number of a request that failed to decode `[IM-100]`.
//!
//! A device answers an undecodable request on the request's exchange when it can, so that the
//! controller learns which request failed `[IM-5]`. What "can" means must not depend on how
//! far an implementation's decoder gets before it gives up, so the rule looks only at the
//! message's first bytes: a definite-length map head, optionally key 0 with an unsigned
//! integer, then key 1 with an unsigned integer that fits 32 bits, each head in shortest form
//! ([CBOR-3], [CBOR-4]). Whatever follows (a profile break, a limit breach, the size of the whole
//! message) does not matter; a prefix of any other form gives exchange 0.

/// CBOR major type of unsigned integers.
const MAJOR_UINT: u8 = 0;
/// CBOR major type of maps.
const MAJOR_MAP: u8 = 5;

/// The exchange number the prefix of `bytes` names, or 0 when the prefix does not have the
/// form `[IM-100]` defines.
pub fn exchange_of_prefix(bytes: &[u8]) -> u32 {
    read_prefix(bytes).unwrap_or(0)
}

fn read_prefix(bytes: &[u8]) -> Option<u32> {
    let mut at = 0usize;
    let (major, count) = head(bytes, &mut at)?;
    if major != MAJOR_MAP || count == 0 {
        return None;
    }
    let (major, mut key) = head(bytes, &mut at)?;
    if major != MAJOR_UINT {
        return None;
    }
    if key == 0 {
        // Key 0, the type: its value must be an unsigned integer; the next key must be 1.
        let (major, _type) = head(bytes, &mut at)?;
        if major != MAJOR_UINT || count < 2 {
            return None;
        }
        let (major, next) = head(bytes, &mut at)?;
        if major != MAJOR_UINT {
            return None;
        }
        key = next;
    }
    if key != 1 {
        return None;
    }
    let (major, exchange) = head(bytes, &mut at)?;
    if major != MAJOR_UINT {
        return None;
    }
    u32::try_from(exchange).ok()
}

/// One CBOR head at `*at`: its major type and argument, only in shortest form with a
/// definite length; `None` for anything else or for too few bytes.
fn head(bytes: &[u8], at: &mut usize) -> Option<(u8, u64)> {
    let initial = *bytes.get(*at)?;
    let info = initial & 0x1f;
    let len = match info {
        0..=23 => 0,
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return None,
    };
    let body = bytes.get(*at + 1..*at + 1 + len)?;
    let arg = if len == 0 {
        u64::from(info)
    } else {
        body.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    };
    // Shortest form: a longer head than the value needs breaks the profile in the prefix.
    let shortest = match len {
        0 => true,
        1 => arg >= 24,
        2 => arg > 0xff,
        4 => arg > 0xffff,
        _ => arg > 0xffff_ffff,
    };
    if !shortest {
        return None;
    }
    *at += 1 + len;
    Some((initial >> 5, arg))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::exchange_of_prefix;

    // [IM-100] the prefix's forms, each against the exchange it yields.
    #[test]
    fn prefix_forms() {
        // {0: 3, 1: 7, ...} with the rest missing: the prefix is all that counts.
        assert_eq!(exchange_of_prefix(&[0xa3, 0x00, 0x03, 0x01, 0x07]), 7);
        // Key 1 first (no type).
        assert_eq!(exchange_of_prefix(&[0xa1, 0x01, 0x19, 0x01, 0x00]), 256);
        // Followed by a float, which the profile forbids.
        assert_eq!(
            exchange_of_prefix(&[0xa3, 0x00, 0x03, 0x01, 0x07, 0x02, 0xf9, 0x3c, 0x00]),
            7
        );
        // Largest exchange.
        assert_eq!(
            exchange_of_prefix(&[0xa2, 0x00, 0x03, 0x01, 0x1a, 0xff, 0xff, 0xff, 0xff]),
            u32::MAX
        );
        // Too large for 32 bits.
        assert_eq!(
            exchange_of_prefix(&[0xa2, 0x00, 0x03, 0x01, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0]),
            0
        );
        // Not shortest form (7 in one extra byte).
        assert_eq!(exchange_of_prefix(&[0xa2, 0x00, 0x03, 0x01, 0x18, 0x07]), 0);
        // Indefinite-length map.
        assert_eq!(exchange_of_prefix(&[0xbf, 0x00, 0x03, 0x01, 0x07, 0xff]), 0);
        // Not a map.
        assert_eq!(exchange_of_prefix(&[0x82, 0x00, 0x07]), 0);
        // Key 2 where key 1 belongs.
        assert_eq!(exchange_of_prefix(&[0xa2, 0x00, 0x03, 0x02, 0x07]), 0);
        // A text type.
        assert_eq!(exchange_of_prefix(&[0xa2, 0x00, 0x61, 0x61, 0x01, 0x07]), 0);
        // A one-entry map cannot hold both keys.
        assert_eq!(exchange_of_prefix(&[0xa1, 0x00, 0x03, 0x01, 0x07]), 0);
        // Truncated.
        assert_eq!(exchange_of_prefix(&[0xa2, 0x00, 0x03, 0x01]), 0);
        assert_eq!(exchange_of_prefix(&[]), 0);
    }
}
