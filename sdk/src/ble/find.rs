//! Choosing a device among the adverts a scan heard: the one a setup code names
//! ([BLE-24]), or a device of the home by its blinded operational tag ([BLE-21]).

use super::central::{BleCentral, Sighting};
use crate::controller::{Cause, ControllerError, Phase, SetupCode};
use orbit_ble::advert::{Advert, DiscriminatorQuery};
use orbit_core::cert::{HomeId, NodeId};
use std::time::Duration;

/// The discriminator query of a setup code: 12 bits from a QR code, the upper 4 from a
/// manual code ([SETUP-4], [BLE-24]).
pub fn commissionable_query(code: &SetupCode) -> Result<DiscriminatorQuery, ControllerError> {
    let query = match code {
        SetupCode::Qr(p) => DiscriminatorQuery::full(p.discriminator.value()),
        SetupCode::Manual(m) => DiscriminatorQuery::short(m.short_discriminator.value()),
    };
    query.map_err(|e| ControllerError::new(Phase::Discovery, Cause::NotFound(e.to_string())))
}

fn is_commissionable_match(s: &Sighting, query: DiscriminatorQuery) -> bool {
    // [BLE-23] adverts that do not parse are skipped, never an error.
    matches!(Advert::parse(&s.service_data), Ok(Advert::Commissionable(a)) if a.window_open && a.matches(query))
}

/// Strongest first: the nearest device is the likeliest one the user holds.
fn nearest(mut found: Vec<Sighting>) -> Option<Sighting> {
    found.sort_by_key(|s| std::cmp::Reverse(s.rssi.unwrap_or(i16::MIN)));
    found.into_iter().next()
}

fn not_found(what: String) -> ControllerError {
    ControllerError::new(Phase::Discovery, Cause::NotFound(what))
}

/// Scans for the device in pairing mode whose discriminator the setup code names ([BLE-20],
/// [BLE-24]); the first match ends the scan.
pub async fn find_commissionable(
    central: &dyn BleCentral,
    code: &SetupCode,
    timeout: Duration,
) -> Result<Sighting, ControllerError> {
    let query = commissionable_query(code)?;
    let enough = move |s: &Sighting| is_commissionable_match(s, query);
    let heard = central
        .scan(timeout, &enough)
        .await
        .map_err(|e| not_found(format!("Bluetooth scan failed: {e}")))?;
    nearest(heard.into_iter().filter(|s| enough(s)).collect()).ok_or_else(|| {
        not_found(format!(
            "no device in pairing mode with this setup code's discriminator was heard over Bluetooth within {timeout:?}; is its pairing window open and is it in range?"
        ))
    })
}

/// Scans for a device of the home by its operational advert ([BLE-21]): only a controller
/// that knows the home's root key, the home ID and the node ID recognises it.
pub async fn find_operational(
    central: &dyn BleCentral,
    root_public_key: &[u8; 32],
    home: HomeId,
    node: NodeId,
    timeout: Duration,
) -> Result<Sighting, ControllerError> {
    let root = *root_public_key;
    let enough = move |s: &Sighting| matches!(Advert::parse(&s.service_data), Ok(Advert::Operational(a)) if a.is_device(&root, home, node));
    let heard = central
        .scan(timeout, &enough)
        .await
        .map_err(|e| not_found(format!("Bluetooth scan failed: {e}")))?;
    nearest(heard.into_iter().filter(|s| enough(s)).collect()).ok_or_else(|| {
        not_found(format!(
            "the device (node {node:x}) was not heard over Bluetooth within {timeout:?}"
        ))
    })
}
