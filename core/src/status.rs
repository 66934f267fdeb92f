//! Wire status codes (`spec/v1/09-status-codes.md`).
//!
//! A status code is a newtype over `u16` with named constants, so a code this version does not
//! know survives decoding and re-encoding and is shown as a number rather than rejected
//! `[STATUS-1]`.

/// A protocol status code carried on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Status(pub u16);

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident = $val:expr, $text:expr;)*) => {
        impl Status {
            $($(#[$doc])* pub const $name: Status = Status($val);)*

            /// Every code this version defines, in numeric order.
            pub const ALL: &'static [Status] = &[$(Status::$name),*];

            /// The code's name from the spec, or `None` for a code this version does not know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    /// The operation succeeded.
    SUCCESS = 0x0000, "success";
    /// A generic failure with no more specific code.
    FAILURE = 0x0001, "failure";
    /// A message could not be decoded (malformed CBOR, wrong types, limits exceeded).
    INVALID_MESSAGE = 0x0002, "invalid-message";
    /// A message arrived that the receiver's state does not expect.
    UNEXPECTED_MESSAGE = 0x0003, "unexpected-message";
    /// The peers share no protocol version.
    NO_COMMON_VERSION = 0x0004, "no-common-version";
    /// An item or message exceeded a limit from `spec/v1/10-limits.md`.
    RESOURCE_EXHAUSTED = 0x0005, "resource-exhausted";
    /// The peer is busy (for example, too many concurrent handshakes); try again later.
    BUSY = 0x0006, "busy";
    /// A handshake or window timed out.
    TIMEOUT = 0x0007, "timeout";
    /// Parameters in a message are outside the spec's bounds.
    INVALID_PARAMETER = 0x0008, "invalid-parameter";
    /// The device could not store the change durably; it kept its previous state
    /// `[STATUS-4]`.
    STORAGE_FAILED = 0x000c, "storage-failed";
    /// SPAKE2+ key confirmation failed (wrong passcode or tampering).
    PAKE_CONFIRMATION_FAILED = 0x0101, "pake-confirmation-failed";
    /// The device refuses pairing attempts until the pairing window is opened on purpose, on
    /// the device or by an administrator (failed-attempt limit reached, `[PAIR-31]`).
    PAIRING_LOCKED_OUT = 0x0102, "pairing-locked-out";
    /// The device's pairing window is closed.
    PAIRING_WINDOW_CLOSED = 0x0103, "pairing-window-closed";
    /// The device attestation chain was rejected.
    ATTESTATION_FAILED = 0x0104, "attestation-failed";
    /// A certificate was malformed, expired, or not signed by the expected issuer.
    INVALID_CERTIFICATE = 0x0105, "invalid-certificate";
    /// The peer's certificate belongs to a different home.
    WRONG_HOME = 0x0106, "wrong-home";
    /// A handshake signature or MAC did not verify.
    INVALID_SIGNATURE = 0x0107, "invalid-signature";
    /// A resumption attempt named an unknown or expired ticket; run a full handshake.
    RESUMPTION_REJECTED = 0x0108, "resumption-rejected";
    /// The negotiated version in the transcript differs from the one offered (downgrade).
    DOWNGRADE_DETECTED = 0x0109, "downgrade-detected";
    /// The device already belongs to the maximum number of homes.
    HOMES_FULL = 0x010a, "homes-full";
    /// The device refuses pairing requests until the back-off after a failed attempt ends;
    /// the status gives the seconds left `[PAIR-26]` `[PAIR-35]`.
    PAIRING_BACKOFF = 0x0113, "pairing-backoff";
    /// A protected message failed authentication.
    DECRYPT_FAILED = 0x0201, "decrypt-failed";
    /// A protected message was a replay or too old for the replay window.
    REPLAYED = 0x0202, "replayed";
    /// A protected message named a session the receiver does not have.
    UNKNOWN_SESSION = 0x0203, "unknown-session";
    /// The session must be re-keyed before more messages can be sent.
    REKEY_REQUIRED = 0x0204, "rekey-required";
    /// The request named an endpoint the device does not have.
    UNSUPPORTED_ENDPOINT = 0x0301, "unsupported-endpoint";
    /// The endpoint does not have the capability the request named.
    UNSUPPORTED_CAPABILITY = 0x0302, "unsupported-capability";
    /// The capability instance does not have the attribute the request named.
    UNSUPPORTED_ATTRIBUTE = 0x0303, "unsupported-attribute";
    /// The capability instance does not have the command the request named.
    UNSUPPORTED_COMMAND = 0x0304, "unsupported-command";
    /// The capability instance does not have the event the request named.
    UNSUPPORTED_EVENT = 0x0305, "unsupported-event";
    /// The attribute does not allow this access (a write to a read-only attribute).
    UNSUPPORTED_ACCESS = 0x0306, "unsupported-access";
    /// The value has the right type but is outside its constraints (range, length, enum).
    CONSTRAINT_ERROR = 0x0307, "constraint-error";
    /// The value or an argument has the wrong type, or a required argument is missing.
    INVALID_DATA_TYPE = 0x0308, "invalid-data-type";
    /// The requester's privilege does not allow the operation; nothing was changed.
    ACCESS_DENIED = 0x0309, "access-denied";
    /// The device's current state does not allow the operation.
    INVALID_IN_STATE = 0x030a, "invalid-in-state";
    /// The operation must be part of a timed interaction.
    NEEDS_TIMED_INTERACTION = 0x030b, "needs-timed-interaction";
    /// The timed interaction expired or did not match the request that followed it.
    TIMED_REQUEST_MISMATCH = 0x030c, "timed-request-mismatch";
    /// The subscription named does not exist (any more).
    INVALID_SUBSCRIPTION = 0x030d, "invalid-subscription";
    /// The entry was not applied because another entry of the same atomic write failed.
    ABORTED = 0x030e, "aborted";
}

impl std::fmt::Debug for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:04x})", self.0),
            None => write!(f, "unknown status 0x{:04x}", self.0),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::Status;

    // [STATUS-1]
    #[test]
    fn unknown_codes_survive_and_print_as_numbers() {
        let s = Status(0x7777);
        assert_eq!(s.name(), None);
        assert_eq!(s.to_string(), "unknown status 0x7777");
        assert_eq!(Status::REPLAYED.to_string(), "replayed (0x0202)");
    }

    // [STATUS-2] the spec's table and the code list the same codes with the same names.
    #[test]
    fn spec_table_matches_code() {
        let spec = include_str!("../../spec/v1/09-status-codes.md");
        let mut rows = Vec::new();
        for line in spec.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, code, name, ..] = cells.as_slice() {
                if let Some(hex) = code.strip_prefix("`0x").and_then(|c| c.strip_suffix('`')) {
                    let value = u16::from_str_radix(hex, 16).unwrap();
                    rows.push((Status(value), name.trim_matches('`').to_string()));
                }
            }
        }
        let code: Vec<(Status, String)> = Status::ALL
            .iter()
            .map(|s| (*s, s.name().unwrap().to_string()))
            .collect();
        assert_eq!(rows, code);
    }
}
