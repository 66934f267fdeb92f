//! Goodput of the framing over a simulated link, in virtual time ([BLE-7], [BLE-8]).
//!
//! The measure splits in two factors, so a shortfall names its cause:
//!
//! - `slot_use`: data frames sent per packet slot the link offered (packets per event x
//!   events). Below 1 the sender sat idle with data queued: the window or the acknowledgement
//!   policy stalled it.
//! - `frame_efficiency`: SDU bytes per byte of ATT value the data frames could carry (MTU - 3
//!   each). Below 1 by the frame headers ([BLE-4]) and by each SDU's last frame, which is
//!   only partly filled because a frame never carries two SDUs.
//!
//! `ratio` (goodput / payload capacity) is their product.

use std::time::Duration;

use super::engines::{EnginePair, PairError};
use super::link::Side;
use super::params::SimParams;
use crate::engine::FramingConfig;
use crate::sdu::{Sdu, KIND_PROTECTED};

/// What one goodput run measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GoodputReport {
    /// Bytes of SDU delivered.
    pub sdu_bytes: u64,
    /// Connection events from the first send to the last delivery.
    pub events: u64,
    /// Data frames the sender sent.
    pub data_frames: u64,
    /// Goodput as a fraction of the link's payload capacity in that direction.
    pub ratio: f64,
    /// Data frames per packet slot the link offered: 1 when the window never stalls.
    pub slot_use: f64,
    /// SDU bytes per byte the data frames could carry: the framing's own overhead.
    pub frame_efficiency: f64,
}

/// Runs a transfer of `total` bytes of protected-message SDUs, each with a `payload_len`-byte
/// payload (1..=16384), from the central to the peripheral once the handshake is done, and
/// measures it. Both engines use `config`; the link's ATT MTU is `params.att_mtu`.
pub fn measure_goodput(
    params: &SimParams,
    config: FramingConfig,
    payload_len: usize,
    total: usize,
    seed: u64,
) -> Result<GoodputReport, PairError> {
    let mut pair = EnginePair::new(params.clone(), seed, config, config)
        .map_err(|e| PairError::Setup(e.to_string()))?;
    pair.open(Duration::from_secs(60))?;
    let count = total.div_ceil(payload_len.max(1));
    let sdus = (0..count)
        .map(|i| {
            let payload: Vec<u8> = (0..payload_len).map(|j| (i ^ j) as u8).collect();
            Sdu::message(1, KIND_PROTECTED, &payload, false)
                .to_vec()
                .map_err(|e| PairError::Setup(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sdu_bytes: usize = sdus.iter().map(Vec::len).sum();
    let start = pair.now();
    let frames_before = pair.engine(Side::Central).stats().data_frames_sent;
    let limit = start.saturating_add(Duration::from_secs(7 * 24 * 3600));
    let received = pair.transfer(Side::Central, sdus.clone(), limit)?;
    if received != sdus {
        return Err(PairError::Setup("the SDUs arrived changed".into()));
    }
    let events = u64::try_from(
        (pair.now() - start).as_nanos() / params.connection_interval.as_nanos().max(1),
    )
    .unwrap_or(u64::MAX);
    let data_frames = pair.engine(Side::Central).stats().data_frames_sent - frames_before;
    let value = params.max_value_len() as f64;
    let slots = events as f64 * f64::from(params.packets_per_event);
    Ok(GoodputReport {
        sdu_bytes: sdu_bytes as u64,
        events,
        data_frames,
        ratio: sdu_bytes as f64 / (slots * value),
        slot_use: data_frames as f64 / slots,
        frame_efficiency: sdu_bytes as f64 / (data_frames as f64 * value),
    })
}
