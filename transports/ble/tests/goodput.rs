//! Goodput of the framing over the simulated link, in virtual time (no clock is read): the
//! window and the acknowledgement policy keep the link busy ([BLE-7], [BLE-8]), and the data
//! frames are as few as the frame layout allows ([BLE-4]).
#![cfg(feature = "std")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use orbit_ble::sim::{measure_goodput, GoodputReport, SimParams};
use orbit_ble::FramingConfig;

const KIB: usize = 1024;

fn measure(att_mtu: u16, packets_per_event: u16, window: u8, payload: usize) -> GoodputReport {
    let params = SimParams {
        att_mtu,
        packets_per_event,
        ..SimParams::default()
    };
    let config = FramingConfig {
        att_mtu,
        window,
        ..FramingConfig::default()
    };
    measure_goodput(&params, config, payload, 64 * KIB, 7).unwrap()
}

/// Data frames one SDU of `len` bytes needs by [BLE-4]: the first frame carries flags, seq and
/// the 2-byte SDU length, the others flags and seq (no ack byte: the receiver sends nothing
/// to acknowledge in a one-way transfer).
fn frames_for(len: usize, segment: usize) -> usize {
    let first = segment - 4;
    1 + len.saturating_sub(first).div_ceil(segment - 2)
}

/// [BLE-7], [BLE-8]: at MTU 247 with the full window (32) the framing carries at least 0.95
/// of the link's payload capacity with the largest SDUs, and with the largest protected
/// messages it uses every packet slot the link offers.
#[test]
fn full_window_at_mtu_247_reaches_the_target() {
    let largest = measure(247, 4, 32, 16384);
    assert!(largest.ratio >= 0.95, "{largest:?}");
    let messages = measure(247, 4, 32, 4096 + 29);
    assert!(messages.slot_use >= 0.95, "{messages:?}");
    let product = messages.slot_use * messages.frame_efficiency;
    assert!((messages.ratio - product).abs() < 1e-9, "{messages:?}");
}

/// [BLE-4]: the sender's data frames are exactly as many as the frame layout requires, for
/// each MTU: no frame is sent partly empty except each SDU's last.
#[test]
fn data_frames_are_as_few_as_the_layout_allows() {
    for att_mtu in [23u16, 185, 247, 517] {
        let payload = 4096 + 29;
        let report = measure(att_mtu, 4, 32, payload);
        let sdus = (64 * KIB).div_ceil(payload);
        let segment = usize::from(att_mtu) - 3;
        let expected = sdus * frames_for(payload + 4, segment);
        assert_eq!(
            report.data_frames, expected as u64,
            "MTU {att_mtu}: {report:?}"
        );
    }
}

/// [BLE-8]: acknowledging at once at half the window keeps the sender busy whenever the window
/// covers the two connection events an acknowledgement takes to come back (window >= 2 x
/// packets per event); a window below that stalls the sender in proportion.
#[test]
fn a_window_of_two_events_keeps_the_link_busy() {
    for packets in [2u16, 4, 8, 16] {
        let window = u8::try_from(2 * packets).unwrap();
        let full = measure(247, packets, window, 4096 + 29);
        assert!(
            full.slot_use >= 0.95,
            "{packets} packets, window {window}: {full:?}"
        );
        let half = measure(247, packets, window / 2, 4096 + 29);
        assert!(
            half.slot_use <= 0.55,
            "{packets} packets, window {}: {half:?}",
            window / 2
        );
    }
}
