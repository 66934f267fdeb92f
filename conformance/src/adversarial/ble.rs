//! A central that speaks the BLE framing by hand (18-ble.md §18.2): the `ble` group writes
//! frames an honest central's engine never writes (reserved bits, `B|C`, sequence gaps,
//! oversized SDUs), withholds acknowledgements, and reads every frame the device notifies as
//! it comes, so that each rule is judged from the radio.

use crate::case::Failure;
use crate::evidence::Evidence;
use crate::transport::{BleTarget, TransportError};
use orbit_ble::frame::{Control, DataFrame, Frame, FLAG_ACK, VERSION_1};
use orbit_ble::radio::{Radio, RadioEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the radio delivered next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// One ATT value the device notified.
    Frame(Vec<u8>),
    /// The Bluetooth connection ended.
    Disconnected,
    /// Nothing within the wait.
    Nothing,
}

/// The handshake response's values ([BLE-12]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The version the device chose.
    pub version: u8,
    /// The segment size.
    pub segment_size: u16,
    /// The device's receive window.
    pub window: u8,
}

/// One raw Bluetooth connection to the device, its frames recorded as evidence.
pub struct RawLink {
    radio: Arc<dyn Radio>,
    events: mpsc::Receiver<RadioEvent>,
    evidence: Evidence,
    /// The suite's next data frame sequence number ([BLE-6]).
    next_seq: u8,
}

impl RawLink {
    /// Connects (MTU exchanged, notifications on, [BLE-3]); no framing handshake yet.
    pub async fn connect(target: &BleTarget, evidence: Evidence) -> Result<Self, TransportError> {
        let (radio, events) = target.connect_radio().await?;
        Ok(Self {
            radio,
            events,
            evidence,
            next_seq: 0,
        })
    }

    /// The connection's ATT MTU.
    pub fn att_mtu(&self) -> u16 {
        self.radio.att_mtu()
    }

    /// Writes one ATT value as it is.
    pub fn write(&self, label: &str, value: &[u8]) -> Result<(), TransportError> {
        self.evidence.sent(label, value);
        self.radio
            .write(value)
            .map_err(|e| TransportError::Closed(e.to_string()))
    }

    /// The next thing the radio delivers within `within`.
    pub async fn next(&mut self, within: Duration) -> Heard {
        match tokio::time::timeout(within, self.events.recv()).await {
            Err(_) => Heard::Nothing,
            Ok(None) | Ok(Some(RadioEvent::Disconnected)) => {
                self.evidence.note("the Bluetooth connection ended");
                Heard::Disconnected
            }
            Ok(Some(RadioEvent::Received(v))) => {
                self.evidence.received(describe(&v), &v);
                Heard::Frame(v)
            }
        }
    }

    /// Sends the handshake request and reads the response; `Err` names what came instead.
    pub async fn handshake(
        &mut self,
        att_mtu: u16,
        window: u8,
        within: Duration,
    ) -> Result<Result<Negotiated, String>, TransportError> {
        let request = Control::HandshakeRequest {
            versions: VERSION_1,
            att_mtu,
            window,
        };
        self.write("handshake request", &Frame::Control(request).encode())?;
        Ok(match self.next(within).await {
            Heard::Frame(v) => match Frame::decode(&v) {
                Ok(Frame::Control(Control::HandshakeResponse {
                    version,
                    segment_size,
                    window,
                })) => Ok(Negotiated {
                    version,
                    segment_size,
                    window,
                }),
                _ => Err(format!("the frame {}", hex::encode(&v))),
            },
            Heard::Disconnected => Err("a disconnect".to_owned()),
            Heard::Nothing => Err(format!("nothing within {within:?}")),
        })
    }

    /// Sends `sdu` whole in one `B|E` data frame with the next sequence number (the SDU must
    /// fit one frame); `ack` piggybacks an acknowledgement.
    pub fn send_sdu(
        &mut self,
        label: &str,
        sdu: &[u8],
        ack: Option<u8>,
    ) -> Result<(), TransportError> {
        let len = u16::try_from(sdu.len())
            .map_err(|_| TransportError::Other("an SDU too long for one frame".to_owned()))?;
        let frame = Frame::Data(DataFrame {
            ack,
            seq: self.next_seq,
            sdu_len: Some(len),
            end: true,
            segment: sdu,
        });
        self.next_seq = self.next_seq.wrapping_add(1);
        self.write(label, &frame.encode())
    }

    /// Sends an ack-only frame ([BLE-5]).
    pub fn send_ack(&self, label: &str, ack: u8) -> Result<(), TransportError> {
        self.write(label, &[FLAG_ACK, ack])
    }

    /// Ends the connection.
    pub fn disconnect(&self) {
        self.radio.disconnect();
    }
}

impl Drop for RawLink {
    fn drop(&mut self) {
        self.radio.disconnect();
    }
}

/// A label for a frame the device sent, from its decoding.
pub fn describe(value: &[u8]) -> String {
    match Frame::decode(value) {
        Ok(Frame::Data(d)) => format!(
            "data frame seq {}{}{}{}",
            d.seq,
            d.ack.map_or(String::new(), |a| format!(", ack {a}")),
            d.sdu_len
                .map_or(String::new(), |l| format!(", begins an SDU of {l} bytes")),
            if d.end { ", ends it" } else { "" }
        ),
        Ok(Frame::AckOnly { ack }) => format!("ack-only frame, ack {ack}"),
        Ok(Frame::Control(c)) => format!("control frame {c:?}"),
        Err(e) => format!("a frame that does not decode ({e})"),
    }
}

/// An SDU ([BLE-15]): `exchange ‖ flags ‖ kind ‖ payload`.
pub fn sdu(exchange: u16, flags: u8, kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = exchange.to_be_bytes().to_vec();
    out.extend_from_slice(&[flags, kind]);
    out.extend_from_slice(payload);
    out
}

/// The SDU a data frame carries whole (`B|E`), or `None`.
pub fn whole_sdu(value: &[u8]) -> Option<Vec<u8>> {
    match Frame::decode(value) {
        Ok(Frame::Data(d)) if d.end && d.sdu_len.map(usize::from) == Some(d.segment.len()) => {
            Some(d.segment.to_vec())
        }
        _ => None,
    }
}

/// The RESET an SDU carries: `(exchange, code)` ([BLE-15]).
pub fn reset_of(sdu: &[u8]) -> Option<(u16, u8)> {
    match sdu {
        [hi, lo, flags, 0, code] if flags & 0x02 != 0 => {
            Some((u16::from_be_bytes([*hi, *lo]), *code))
        }
        _ => None,
    }
}

/// The connection or scan failing where the device should have answered is the harness's
/// or the radio's problem: INCONCLUSIVE.
pub fn unreachable(e: TransportError) -> Failure {
    Failure::Inconclusive(e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn a_reset_sdu_is_read_back_and_a_message_is_not() {
        let reset = orbit_ble::sdu::reset(0x0007, orbit_ble::sdu::ResetCode::UNKNOWN_KIND);
        assert_eq!(reset_of(&reset), Some((7, 3)));
        assert_eq!(reset_of(&sdu(7, 0x01, 3, &[1, 2])), None);
        assert_eq!(sdu(0x0102, 1, 9, &[0xaa]), vec![1, 2, 1, 9, 0xaa]);
    }
}
