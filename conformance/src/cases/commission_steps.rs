//! Commissioning one message at a time inside a PASE session `[COMM-*]`, for cases that stop
//! after attestation, send a message twice or end commissioning on purpose.

use crate::case::Failure;
use crate::context::Ctx;
use crate::controller::{Conn, PaseError};
use crate::transport::MessageKind;
use orbit_core::codec::CborMessage;
use orbit_core::commission::CommissioningComplete;
use orbit_core::pairing::PairingKeys;
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

/// PASE with the device's setup code on `conn`, as set-up for a case about what follows: a
/// failure is INCONCLUSIVE here (`pairing.correct-code` judges PASE itself). A `busy` or
/// `pairing-window-closed` refusal while an earlier pairing of the case is still being
/// rolled back is waited out for at most 2 s.
pub(crate) async fn pase_channel(
    ctx: &mut Ctx,
    conn: &Conn,
) -> Result<(PairingKeys, Protector), Failure> {
    let passcode = ctx.facts().setup.passcode();
    let give_up = Instant::now() + Duration::from_secs(2);
    let keys = loop {
        match ctx.pase(conn, passcode).await {
            Ok(keys) => break keys,
            Err(PaseError::Status { status, .. })
                if (status == Status::BUSY || status == Status::PAIRING_WINDOW_CLOSED)
                    && Instant::now() < give_up =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(PaseError::Transport { error, .. }) => return Err(error.into()),
            Err(e) => {
                return Err(Failure::Inconclusive(format!(
                    "PASE with the setup code, to reach commissioning: {e}"
                )))
            }
        }
    };
    let protector = Protector::new(keys.session_keys(), ProtectConfig::default())
        .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    Ok((keys, protector))
}

/// Seals `plain` in the PASE session, sends it as one commissioning step on a new exchange
/// (finished with it, `[QUIC-23]`) and opens the device's answer.
pub(crate) async fn sealed_exchange(
    conn: &Conn,
    protector: &mut Protector,
    label: &str,
    plain: &[u8],
) -> Result<Vec<u8>, String> {
    crate::controller::sealed_round_trip(conn, protector, label, plain).await
}

/// Ends commissioning from the controller's side with `commissioning-complete` carrying
/// `failure` `[COMM-15]` (never answered: the device finishes its half without a frame,
/// `[QUIC-23]`), so the device rolls back at once `[COMM-28]`. Returns what the device sent
/// on that exchange, if anything (it must send nothing).
pub(crate) async fn end_commissioning(conn: &Conn, protector: &mut Protector) -> Option<String> {
    let plain = CommissioningComplete {
        status: Status::FAILURE,
    }
    .to_bytes();
    conn.evidence()
        .sent("plaintext commissioning-complete (failure)", &plain);
    let mut sealed = Vec::new();
    protector.seal(&plain, &mut sealed).ok()?;
    let mut ex = conn.open().await.ok()?;
    ex.send(MessageKind::Protected, "commissioning-complete", &sealed)
        .await
        .ok()?;
    ex.finish();
    let answer = match ex.recv_within(Duration::from_secs(2)).await {
        Ok(Some(m)) => Some(format!("a {} message answering it", m.kind)),
        _ => None,
    };
    ex.drain().await;
    answer
}
