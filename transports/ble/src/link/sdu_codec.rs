//! The exchange SDU inside the framing ([BLE-15]): `exchange (2) ‖ flags (1) ‖ kind (1) ‖
//! payload`. Private to the link until the crate's shared SDU codec lands (`crate::sdu`).

/// END: the sender's last SDU on this exchange ([BLE-15], [BLE-16]).
pub(crate) const FLAG_END: u8 = 0x01;
/// RESET: abort the exchange; kind 0, payload = a 1-byte [QUIC-13] code ([BLE-15]).
pub(crate) const FLAG_RESET: u8 = 0x02;
/// Bit 15 of the exchange ID: set on IDs the peripheral opens ([BLE-15], [BLE-17]).
pub(crate) const PERIPHERAL_BIT: u16 = 0x8000;
/// The largest payload ([BLE-15]).
pub(crate) const MAX_PAYLOAD: usize = 16384;
/// The header: exchange, flags, kind.
pub(crate) const HEADER_LEN: usize = 4;

/// [QUIC-13] codes the link sends in RESET.
pub(crate) mod code {
    /// The exchange is no longer needed.
    pub(crate) const NO_ERROR: u8 = 0;
    /// A malformed SDU ([BLE-15], [BLE-19]).
    pub(crate) const MALFORMED_FRAME: u8 = 2;
    /// A kind the receiver does not know ([BLE-18]).
    pub(crate) const UNKNOWN_KIND: u8 = 3;
    /// A limit is reached: the 9th central exchange ([BLE-16]), or a flooded exchange.
    pub(crate) const LIMIT_EXCEEDED: u8 = 4;
}

/// Whether `kind` is one [QUIC-9] defines (1 pairing, 2 session, 3 protected).
pub(crate) fn is_known_kind(kind: u8) -> bool {
    (1..=3).contains(&kind)
}

/// What one SDU says, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Body<'a> {
    /// A message (kind 1..=3, payload 1..=16384), `end` when it is the sender's last.
    Message {
        kind: u8,
        payload: &'a [u8],
        end: bool,
    },
    /// END with no message (kind 0, empty payload).
    End,
    /// RESET with its code.
    Reset(u8),
}

/// Why an SDU was refused; the exchange it names is RESET with the matching code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// [BLE-18] an unknown kind: RESET `unknown-kind`.
    UnknownKind(u8),
    /// [BLE-15] [BLE-19] reserved flags, a bad kind 0 or RESET, an empty or too long
    /// payload: RESET `malformed-frame`.
    Malformed,
}

impl Refusal {
    pub(crate) fn code(self) -> u8 {
        match self {
            Refusal::UnknownKind(_) => code::UNKNOWN_KIND,
            Refusal::Malformed => code::MALFORMED_FRAME,
        }
    }
}

/// An SDU's exchange ID and what it carries, or why it is refused.
pub(crate) struct Decoded<'a> {
    pub(crate) exchange: u16,
    pub(crate) body: Result<Body<'a>, Refusal>,
}

/// Decodes one SDU; `None` when it is too short to name an exchange (nothing to reset).
pub(crate) fn decode(sdu: &[u8]) -> Option<Decoded<'_>> {
    let (header, payload) = sdu.split_first_chunk::<HEADER_LEN>()?;
    let [id_hi, id_lo, flags, kind] = *header;
    let exchange = u16::from_be_bytes([id_hi, id_lo]);
    Some(Decoded {
        exchange,
        body: body(flags, kind, payload),
    })
}

fn body(flags: u8, kind: u8, payload: &[u8]) -> Result<Body<'_>, Refusal> {
    // [BLE-15] other flag bits are reserved.
    if flags & !(FLAG_END | FLAG_RESET) != 0 {
        return Err(Refusal::Malformed);
    }
    if flags & FLAG_RESET != 0 {
        return match (kind, payload) {
            (0, [code]) => Ok(Body::Reset(*code)),
            _ => Err(Refusal::Malformed),
        };
    }
    let end = flags & FLAG_END != 0;
    if kind == 0 {
        // [BLE-15] kind 0 only with END and an empty payload.
        return if end && payload.is_empty() {
            Ok(Body::End)
        } else {
            Err(Refusal::Malformed)
        };
    }
    if !is_known_kind(kind) {
        return Err(Refusal::UnknownKind(kind)); // [BLE-18]
    }
    // [BLE-19] empty or oversized payloads.
    if payload.is_empty() || payload.len() > MAX_PAYLOAD {
        return Err(Refusal::Malformed);
    }
    Ok(Body::Message { kind, payload, end })
}

/// Encodes one SDU ([BLE-15]).
pub(crate) fn encode(exchange: u16, flags: u8, kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut sdu = Vec::with_capacity(HEADER_LEN + payload.len());
    sdu.extend_from_slice(&exchange.to_be_bytes());
    sdu.push(flags);
    sdu.push(kind);
    sdu.extend_from_slice(payload);
    sdu
}

/// A RESET SDU for `exchange` with `code`.
pub(crate) fn reset(exchange: u16, code: u8) -> Vec<u8> {
    encode(exchange, FLAG_RESET, 0, &[code])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages_ends_and_resets_round_trip() {
        let sdu = encode(0x8001, FLAG_END, 3, b"hi");
        assert_eq!(sdu, [0x80, 0x01, 0x01, 0x03, b'h', b'i']);
        let decoded = decode(&sdu).unwrap();
        assert_eq!(decoded.exchange, 0x8001);
        assert_eq!(
            decoded.body,
            Ok(Body::Message {
                kind: 3,
                payload: b"hi",
                end: true
            })
        );
        assert_eq!(
            decode(&encode(5, FLAG_END, 0, &[])).unwrap().body,
            Ok(Body::End)
        );
        assert_eq!(decode(&reset(5, 4)).unwrap().body, Ok(Body::Reset(4)));
    }

    /// [BLE-15] [BLE-18] [BLE-19]
    #[test]
    fn refusals() {
        assert!(decode(&[0, 1, 0]).is_none());
        let refused = |flags, kind, payload: &[u8]| {
            decode(&encode(1, flags, kind, payload))
                .unwrap()
                .body
                .map(|_| ())
        };
        assert_eq!(refused(0x04, 1, b"x"), Err(Refusal::Malformed));
        assert_eq!(refused(0, 9, b"x"), Err(Refusal::UnknownKind(9)));
        assert_eq!(refused(0, 1, b""), Err(Refusal::Malformed));
        assert_eq!(refused(0, 0, b""), Err(Refusal::Malformed));
        assert_eq!(refused(FLAG_END, 0, b"x"), Err(Refusal::Malformed));
        assert_eq!(refused(FLAG_RESET, 1, b"\x00"), Err(Refusal::Malformed));
        assert_eq!(refused(FLAG_RESET, 0, b""), Err(Refusal::Malformed));
        assert_eq!(
            refused(0, 2, &[0; MAX_PAYLOAD + 1]),
            Err(Refusal::Malformed)
        );
        assert!(refused(0, 2, &[0; MAX_PAYLOAD]).is_ok());
    }
}
