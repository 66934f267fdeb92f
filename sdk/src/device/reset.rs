//! Factory reset of a stored device `[PAIR-32]`: a local user action on a device that is not
//! running (the store's lock keeps a running device's state from changing under it).

use super::persist::{DeviceState, DEVICE_RECORD};
use super::DeviceError;
use orbit_store::{RecordKey, Store};

/// What a factory reset removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FactoryReset {
    /// Homes the device belonged to.
    pub homes_removed: usize,
    /// Failed pairing attempts counted before the reset `[PAIR-27]`.
    pub failed_attempts: u32,
    /// Whether pairing was locked out before the reset.
    pub was_locked_out: bool,
}

/// Returns the device kept in `store` to factory-new `[PAIR-32]`: it keeps its attestation
/// identity, setup code and verifier, and forgets its homes, access control, resumption
/// tickets, persistent attribute values, failed-attempt count and lock-out. The reset state
/// is saved before this returns. `Ok(None)` when the store holds no device yet (it is
/// factory-new already).
pub fn factory_reset(store: &dyn Store) -> Result<Option<FactoryReset>, DeviceError> {
    let key = RecordKey::new(DEVICE_RECORD).map_err(orbit_store::StoreError::from)?;
    let Some(state) = orbit_store::load_doc::<DeviceState>(store, &key)? else {
        return Ok(None);
    };
    let (failed_attempts, was_locked_out) = state.pairing_failures();
    let report = FactoryReset {
        homes_removed: state.home_count(),
        failed_attempts,
        was_locked_out,
    };
    orbit_store::save_doc(store, &key, &state.factory_reset())?;
    Ok(Some(report))
}
