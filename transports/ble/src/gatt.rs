//! The Orbit GATT service's UUIDs ([BLE-1]): one primary service holding a characteristic the
//! central writes (W) and one the peripheral notifies (N). They are `u128` so that every
//! Bluetooth stack's own UUID type can be built from them (`Uuid::from_u128`), without this
//! module depending on any of them (it builds without `std`).

/// The Orbit primary service, `b4ad8bd0-d52f-4bba-ba71-2fdd873d7565` ([BLE-1]). Adverts carry
/// it as the UUID of their service data ([BLE-20], [BLE-21]).
pub const SERVICE_UUID: u128 = 0xb4ad8bd0_d52f_4bba_ba71_2fdd873d7565;

/// Characteristic W, `da3e1f56-4081-4e52-9df3-c0ab4ed3de74`: the central writes frames to it
/// with Write Without Response (a peripheral also accepts Write Request) ([BLE-1], [BLE-2]).
pub const WRITE_CHARACTERISTIC_UUID: u128 = 0xda3e1f56_4081_4e52_9df3_c0ab4ed3de74;

/// Characteristic N, `da248285-4827-4833-8705-43bd1042345c`: the peripheral sends frames as
/// its notifications ([BLE-1], [BLE-2]).
pub const NOTIFY_CHARACTERISTIC_UUID: u128 = 0xda248285_4827_4833_8705_43bd1042345c;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    /// The canonical 8-4-4-4-12 text form of a UUID.
    fn text(uuid: u128) -> String {
        let hex = format!("{uuid:032x}");
        let (a, rest) = hex.split_at(8);
        let (b, rest) = rest.split_at(4);
        let (c, rest) = rest.split_at(4);
        let (d, e) = rest.split_at(4);
        format!("{a}-{b}-{c}-{d}-{e}")
    }

    /// [BLE-1]: the constants are the UUIDs the spec assigns, digit for digit.
    #[test]
    fn uuids_are_the_ones_ble_1_assigns() {
        assert_eq!(text(SERVICE_UUID), "b4ad8bd0-d52f-4bba-ba71-2fdd873d7565");
        assert_eq!(
            text(WRITE_CHARACTERISTIC_UUID),
            "da3e1f56-4081-4e52-9df3-c0ab4ed3de74"
        );
        assert_eq!(
            text(NOTIFY_CHARACTERISTIC_UUID),
            "da248285-4827-4833-8705-43bd1042345c"
        );
    }
}
