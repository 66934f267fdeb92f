//! Setup payload and PASE (03-setup-payload, 04-pairing).

use crate::case::{always, Case, CaseInfo, Failure, Group, Outcome};
use crate::context::Ctx;
use crate::controller::PaseError;
use crate::transport::BoxFuture;
use crate::verdict::Level;
use orbit_core::status::Status;

/// The pairing cases.
pub(crate) const CASES: &[Case] = &[Case {
    info: CaseInfo {
        id: "pairing.wrong-code",
        title:
            "PASE with a wrong passcode fails with a status that leaks nothing, and gives no keys",
        group: Group::Pairing,
        spec_ids: &["PAIR-17", "PAIR-30"],
        level: Level::Must,
    },
    applies: always,
    run: wrong_code,
    check_state_after: false,
}];

fn wrong_code(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        ctx.open_pairing_window(180).await?;
        let right = ctx.facts().setup.passcode();
        // Another valid passcode: the next one up, wrapping inside the valid range.
        let wrong = if right >= 99_999_997 {
            20_000_001
        } else {
            right + 1
        };
        let conn = ctx.connect().await?;
        let outcome = ctx.pase(&conn, wrong).await;
        conn.close();
        match outcome {
            Ok(_) => Err(Failure::fail(
                "PAIR-17",
                "PASE with a wrong passcode fails",
                "the device completed PASE with a wrong passcode",
            )),
            // The suite detects the mismatch at pake2 (the device's confirmation cannot match)
            // and reports it [PAIR-30]; or the device refused pake3 with a status.
            Err(PaseError::Rejected { at: "pake2", .. }) => Ok(()),
            Err(PaseError::Status { status, .. }) if status == Status::PAKE_CONFIRMATION_FAILED => {
                Ok(())
            }
            Err(PaseError::Transport { error, .. }) => Err(Failure::from(error)),
            Err(other) => Err(Failure::fail(
                "PAIR-17",
                "the confirmation fails at pake2 (or the device refuses pake3 with a status)",
                other.to_string(),
            )),
        }
    })
}
