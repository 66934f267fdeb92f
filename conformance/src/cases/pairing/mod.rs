//! Setup payload and PASE (03-setup-payload, 04-pairing): the right and wrong passcodes, the
//! device's policy (window, busy, back-off, deliberate opening), and PASE messages an honest
//! controller never sends. Each case opens the window deliberately as the suite's
//! administrator (`[ACL-10]`, which also clears any back-off) and closes it again at the end.

mod malformed;
mod pase;
mod policy;
mod response;

use crate::case::{Case, Group};
use crate::verdict::Level;

/// The pairing cases.
pub(crate) const CASES: &[Case] = &[
    Group::Pairing.case(
        "pairing.setup-code",
        "The QR setup code the operator gave names the IP transport (over which the device \
         paired) and no reserved transport bit or pairing flow",
        &["SETUP-5", "SETUP-6"],
        Level::Must,
        response::setup_code,
    ),
    Group::Pairing.case(
        "pairing.pbkdf-response",
        "pbkdf-param-response echoes the controller random, carries fresh randomness, PBKDF2 \
         parameters in bounds exactly when asked for, and the highest common version, or \
         no-common-version",
        &["PAIR-5", "PAIR-6", "PAIR-9"],
        Level::Must,
        response::pbkdf_response,
    ),
    Group::Pairing.case(
        "pairing.correct-code",
        "PASE with the setup code completes, the device ends the stream cleanly, and the keys \
         carry a sealed attestation-request that the device answers",
        &["PAIR-1", "PAIR-11", "PAIR-20", "QUIC-21"],
        Level::Must,
        pase::correct_code,
    ),
    Group::Pairing.case(
        "pairing.wrong-code",
        "PASE with a wrong passcode gives no keys; the device answers pake2 and then refuses \
         pake3 with pake-confirmation-failed and nothing more, exactly as for a wrong \
         confirmation under the right passcode",
        &["PAIR-18", "PAIR-19", "PAIR-35", "QUIC-22"],
        Level::Must,
        pase::wrong_code,
    ),
    Group::Pairing.case(
        "pairing.second-attempt",
        "While a successful pairing's commissioning runs, a second pbkdf-param-request is \
         refused with pairing-window-closed",
        &["PAIR-29", "PAIR-23"],
        Level::Must,
        pase::second_attempt,
    ),
    Group::Pairing.case(
        "pairing.backoff",
        "A failed attempt starts a back-off of 1 s, the next one of 2 s; requests meanwhile \
         get pairing-backoff with the seconds left as retry-after",
        &["PAIR-25", "PAIR-26", "PAIR-35"],
        Level::Must,
        policy::backoff,
    ),
    Group::Pairing.case(
        "pairing.deliberate-opening",
        "The administrator's open-pairing-window ends a running back-off: the next request \
         is answered at once",
        &["PAIR-27", "PAIR-31", "ACL-10"],
        Level::Must,
        policy::deliberate_opening,
    ),
    Group::Pairing.case(
        "pairing.window-closed",
        "With the window closed, a pbkdf-param-request gets pairing-window-closed without \
         retry-after",
        &["PAIR-23", "PAIR-35"],
        Level::Must,
        policy::window_closed,
    ),
    Group::Pairing.case(
        "pairing.window-commands",
        "open-pairing-window refuses a duration below 180 s with constraint-error and an \
         already open window with busy; close-pairing-window closes it",
        &["ACL-11", "ACL-10"],
        Level::Must,
        policy::window_commands,
    ),
    Group::Pairing.case(
        "pairing.busy",
        "A request while another handshake holds the device is refused with busy and a \
         retry-after of at most the handshake's 10 s deadline",
        &["PAIR-24", "PAIR-35"],
        Level::Must,
        policy::busy,
    ),
    Group::Pairing.case(
        "pairing.malformed-request",
        "A truncated request gets invalid-message, an oversized one resource-exhausted, and \
         neither counts as a failed attempt",
        &["PAIR-2", "PAIR-3", "PAIR-25", "PAIR-30"],
        Level::Must,
        malformed::malformed_request,
    ),
    Group::Pairing.case(
        "pairing.out-of-order",
        "PASE messages of an unknown type or out of their order get unexpected-message; a \
         pairing-status from the controller is never answered",
        &["PAIR-2", "PAIR-22", "PAIR-25"],
        Level::Must,
        malformed::out_of_order,
    ),
    Group::Pairing.case(
        "pairing.invalid-points",
        "A pake1 whose share is not a valid P-256 point (off the curve, coordinate not below \
         p, wrong prefix, zeros) gets invalid-message and no pake2",
        &["PAIR-14", "PAIR-25"],
        Level::Must,
        malformed::invalid_points,
    ),
];
