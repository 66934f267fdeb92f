//! The Orbit GATT service's UUIDs ([BLE-1]): one primary service holding a characteristic the
//! central writes (W) and one the peripheral notifies (N). They are `u128` so that every
//! Bluetooth stack's own UUID type can be built from them (`Uuid::from_u128`), without this
//! module depending on any of them (it builds without `std`). Each is also given as its 16
//! bytes in the order the canonical string reads, and as that string (what btleplug, bluer
//! and the phone stacks take); on the air BLE sends a 128-bit UUID little-endian, the reverse
//! ([`uuid_on_air`]).

/// The Orbit primary service, `b4ad8bd0-d52f-4bba-ba71-2fdd873d7565` ([BLE-1]). Adverts carry
/// it as the UUID of their service data ([BLE-20], [BLE-21]).
pub const SERVICE_UUID: u128 = 0xb4ad8bd0_d52f_4bba_ba71_2fdd873d7565;

/// Characteristic W, `da3e1f56-4081-4e52-9df3-c0ab4ed3de74`: the central writes frames to it
/// with Write Without Response (a peripheral also accepts Write Request) ([BLE-1], [BLE-2]).
pub const WRITE_CHARACTERISTIC_UUID: u128 = 0xda3e1f56_4081_4e52_9df3_c0ab4ed3de74;

/// Characteristic N, `da248285-4827-4833-8705-43bd1042345c`: the peripheral sends frames as
/// its notifications ([BLE-1], [BLE-2]).
pub const NOTIFY_CHARACTERISTIC_UUID: u128 = 0xda248285_4827_4833_8705_43bd1042345c;

/// [`SERVICE_UUID`]'s bytes, in the order its canonical string reads.
pub const SERVICE_UUID_BYTES: [u8; 16] = SERVICE_UUID.to_be_bytes();
/// [`SERVICE_UUID`] as its canonical string.
pub const SERVICE_UUID_STR: &str = "b4ad8bd0-d52f-4bba-ba71-2fdd873d7565";

/// [`WRITE_CHARACTERISTIC_UUID`]'s bytes, in the order its canonical string reads.
pub const WRITE_CHARACTERISTIC_UUID_BYTES: [u8; 16] = WRITE_CHARACTERISTIC_UUID.to_be_bytes();
/// [`WRITE_CHARACTERISTIC_UUID`] as its canonical string.
pub const WRITE_CHARACTERISTIC_UUID_STR: &str = "da3e1f56-4081-4e52-9df3-c0ab4ed3de74";

/// [`NOTIFY_CHARACTERISTIC_UUID`]'s bytes, in the order its canonical string reads.
pub const NOTIFY_CHARACTERISTIC_UUID_BYTES: [u8; 16] = NOTIFY_CHARACTERISTIC_UUID.to_be_bytes();
/// [`NOTIFY_CHARACTERISTIC_UUID`] as its canonical string.
pub const NOTIFY_CHARACTERISTIC_UUID_STR: &str = "da248285-4827-4833-8705-43bd1042345c";

/// A UUID's bytes in the order BLE sends them: little-endian, the last byte of the canonical
/// string first (as in an advert's service data, [BLE-20]).
pub const fn uuid_on_air(uuid: u128) -> [u8; 16] {
    uuid.to_le_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
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

    /// [BLE-1]: the string and byte forms name the same UUIDs.
    #[test]
    fn string_and_byte_forms_agree() {
        assert_eq!(text(SERVICE_UUID), SERVICE_UUID_STR);
        assert_eq!(
            text(WRITE_CHARACTERISTIC_UUID),
            WRITE_CHARACTERISTIC_UUID_STR
        );
        assert_eq!(
            text(NOTIFY_CHARACTERISTIC_UUID),
            NOTIFY_CHARACTERISTIC_UUID_STR
        );
        let bytes = SERVICE_UUID_BYTES;
        assert_eq!(bytes[..4], [0xb4, 0xad, 0x8b, 0xd0]);
        assert_eq!(WRITE_CHARACTERISTIC_UUID_BYTES[15], 0x74);
        assert_eq!(NOTIFY_CHARACTERISTIC_UUID_BYTES[0], 0xda);
        let mut reversed = bytes;
        reversed.reverse();
        assert_eq!(uuid_on_air(SERVICE_UUID), reversed);
        assert_eq!(uuid_on_air(SERVICE_UUID)[0], 0x65);
    }
}
