//! The BLE transport seen from the radio (18-ble.md): the framing handshake, malformed frames
//! and the error frame, the window and acknowledgements, keep-alive, close, exchanges and
//! adverts. The suite writes frames by hand ([`crate::adversarial::ble`]); every case is
//! NOT-APPLICABLE on a target that is not reached over BLE.

mod adverts;
mod exchanges;
mod framing;

use crate::adversarial::ble::{unreachable, Negotiated, RawLink};
use crate::case::{Case, Failure, Group};
use crate::context::Ctx;

/// The ble cases.
pub(crate) const CASES: &[Case] = &[
    Group::Ble.must(
        "ble.handshake",
        "The device answers the framing handshake with version 1, a segment size from both \
         sides' ATT MTU and a window of 1 to 32",
        &["BLE-11", "BLE-12"],
        framing::handshake,
    ),
    Group::Ble.must(
        "ble.malformed-frames",
        "A frame with a reserved bit, B and C, an empty segment, a sequence gap or an SDU \
         length above the limit gets the error frame with its code, then a disconnect",
        &["BLE-9", "BLE-10", "BLE-31"],
        framing::malformed_frames,
    ),
    Group::Ble.must(
        "ble.window-of-one",
        "With the suite's window of 1 full, the device acknowledges in an ack-only frame, \
         sends no second data frame, and sends it once the suite acknowledges",
        &["BLE-5", "BLE-7", "BLE-8", "BLE-18"],
        framing::window_of_one,
    ),
    Group::Ble.must(
        "ble.keep-alive",
        "An ack-only frame that acknowledges nothing new is answered with an ack-only frame",
        &["BLE-38"],
        framing::keep_alive,
    ),
    Group::Ble.must(
        "ble.close",
        "On close the device sends the SDU it had queued, then close-ack",
        &["BLE-14"],
        framing::close,
    ),
    Group::Ble.must(
        "ble.unknown-kind",
        "An SDU of an unknown kind gets RESET unknown-kind on its exchange; the link and other \
         exchanges go on",
        &["BLE-18"],
        exchanges::unknown_kind,
    ),
    Group::Ble.must(
        "ble.sdu-checks",
        "An SDU with a reserved flag bit, with an empty payload, or opening a device-side \
         exchange ID is answered with RESET malformed-frame; the link goes on",
        &["BLE-15", "BLE-17", "BLE-19"],
        exchanges::sdu_checks,
    ),
    Group::Ble.must(
        "ble.ninth-exchange",
        "The first SDU of a 9th open exchange gets RESET limit-exceeded",
        &["BLE-16"],
        exchanges::ninth_exchange,
    ),
    Group::Ble.must(
        "ble.no-session-deadline",
        "A link on which no session is established is disconnected by the device within the \
         unauthenticated deadline (10 s)",
        &["BLE-37"],
        framing::no_session_deadline,
    ),
    Group::Ble.must(
        "ble.advert",
        "The device of the suite's home advertises the operational form, whose tag the home \
         recognises and another home does not (or, while its window is open, the \
         commissionable form with the commissioning flag)",
        &["BLE-20", "BLE-21"],
        adverts::advert,
    ),
];

/// A raw connection to the device, or NOT-APPLICABLE off BLE.
async fn raw(ctx: &Ctx) -> Result<RawLink, Failure> {
    let Some(target) = ctx.transport().ble() else {
        return Err(Failure::NotApplicable(
            "the target is not reached over BLE (give --target ble:DISCRIMINATOR or \
             ble://PERIPHERAL)"
                .into(),
        ));
    };
    RawLink::connect(target, ctx.evidence().clone())
        .await
        .map_err(unreachable)
}

/// A raw connection whose framing handshake completed with the suite's `window`.
async fn opened(ctx: &Ctx, window: u8) -> Result<(RawLink, Negotiated), Failure> {
    let mut link = raw(ctx).await?;
    let mtu = link.att_mtu();
    match link.handshake(mtu, window, ctx.answer_timeout()).await? {
        Ok(n) => Ok((link, n)),
        // ble.handshake judges the handshake itself.
        Err(what) => Err(Failure::Inconclusive(format!(
            "the framing handshake got {what} instead of a response (see ble.handshake)"
        ))),
    }
}
