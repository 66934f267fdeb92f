//! What the simulated link is like: MTU, connection interval, packets per event, delays and
//! disconnects.

use std::fmt;
use std::time::Duration;

/// The smallest ATT MTU (the BLE default).
pub const MIN_ATT_MTU: u16 = 23;
/// The largest ATT MTU: a 512-byte attribute value plus the 5-byte header of a prepared
/// write (opcode, handle, offset).
pub const MAX_ATT_MTU: u16 = 517;
/// The shortest connection interval BLE allows.
pub const MIN_CONNECTION_INTERVAL: Duration = Duration::from_micros(7_500);
/// The longest connection interval BLE allows.
pub const MAX_CONNECTION_INTERVAL: Duration = Duration::from_secs(4);
/// Bytes of ATT header in a notification or write: an ATT value is at most the MTU less this.
pub const ATT_HEADER_LEN: u16 = 3;

/// The simulated link's parameters. [`Default`]: MTU 247, 30 ms interval, 4 packets per
/// event and direction, no extra delay, no disconnect.
#[derive(Clone, Debug, PartialEq)]
pub struct SimParams {
    /// The ATT MTU both sides agreed on, 23..=517; a value is at most 3 bytes less.
    pub att_mtu: u16,
    /// The time between connection events, 7.5 ms..=4 s.
    pub connection_interval: Duration,
    /// The most values delivered per connection event in each direction (at least 1): the
    /// link's throughput, set by the stacks' buffers and the event length.
    pub packets_per_event: u16,
    /// Time a value spends in the sender's stack before the radio can send it.
    pub extra_delay: Duration,
    /// A further delay per value, uniform in `0..=delay_jitter` from the seed; values stay
    /// in order.
    pub delay_jitter: Duration,
    /// The link drops at this time (supervision timeout): what is not delivered is lost.
    pub disconnect_at: Option<Duration>,
    /// The chance that the link drops at each connection event, 0.0..=1.0, from the seed.
    pub disconnect_probability: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            att_mtu: 247,
            connection_interval: Duration::from_millis(30),
            packets_per_event: 4,
            extra_delay: Duration::ZERO,
            delay_jitter: Duration::ZERO,
            disconnect_at: None,
            disconnect_probability: 0.0,
        }
    }
}

impl SimParams {
    /// Checks that each parameter is in its range.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(MIN_ATT_MTU..=MAX_ATT_MTU).contains(&self.att_mtu) {
            return Err(SimError::AttMtu(self.att_mtu));
        }
        if !(MIN_CONNECTION_INTERVAL..=MAX_CONNECTION_INTERVAL).contains(&self.connection_interval)
        {
            return Err(SimError::ConnectionInterval(self.connection_interval));
        }
        if self.packets_per_event == 0 {
            return Err(SimError::PacketsPerEvent);
        }
        if !(0.0..=1.0).contains(&self.disconnect_probability) {
            return Err(SimError::DisconnectProbability);
        }
        Ok(())
    }

    /// The largest ATT value a side may write: the MTU less the ATT header.
    pub fn max_value_len(&self) -> usize {
        usize::from(self.att_mtu.saturating_sub(ATT_HEADER_LEN))
    }

    /// Bytes of ATT value the link carries per second in one direction: packets per event
    /// times (MTU - 3), per connection interval. What framing above it can reach at best.
    pub fn payload_capacity_per_second(&self) -> f64 {
        let per_event = f64::from(self.packets_per_event) * self.max_value_len() as f64;
        per_event / self.connection_interval.as_secs_f64()
    }

    /// Bytes of ATT value per connection event in one direction.
    pub fn payload_capacity_per_event(&self) -> usize {
        usize::from(self.packets_per_event) * self.max_value_len()
    }
}

/// Why a simulated link could not be made.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SimError {
    /// The ATT MTU is outside 23..=517.
    AttMtu(u16),
    /// The connection interval is outside 7.5 ms..=4 s.
    ConnectionInterval(Duration),
    /// Zero packets per event would carry nothing.
    PacketsPerEvent,
    /// The disconnect probability is not in 0.0..=1.0.
    DisconnectProbability,
    /// The time scale is not a number in 1e-6..=1e6.
    TimeScale(f64),
    /// The real-time pair was asked for outside a tokio runtime.
    NoRuntime,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AttMtu(m) => {
                write!(f, "ATT MTU {m} is outside {MIN_ATT_MTU}..={MAX_ATT_MTU}")
            }
            Self::ConnectionInterval(i) => {
                write!(f, "connection interval {i:?} is outside 7.5 ms..=4 s")
            }
            Self::PacketsPerEvent => f.write_str("a link needs at least 1 packet per event"),
            Self::DisconnectProbability => {
                f.write_str("the disconnect probability is not in 0.0..=1.0")
            }
            Self::TimeScale(s) => write!(f, "time scale {s} is not in 1e-6..=1e6"),
            Self::NoRuntime => f.write_str("the simulated radio pair needs a tokio runtime"),
        }
    }
}

impl std::error::Error for SimError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_bounds() {
        let ok = SimParams::default();
        assert_eq!(ok.validate(), Ok(()));
        for mtu in [22, 518] {
            let p = SimParams {
                att_mtu: mtu,
                ..ok.clone()
            };
            assert_eq!(p.validate(), Err(SimError::AttMtu(mtu)));
        }
        for mtu in [23, 517] {
            assert_eq!(
                SimParams {
                    att_mtu: mtu,
                    ..ok.clone()
                }
                .validate(),
                Ok(())
            );
        }
        for i in [Duration::from_millis(7), Duration::from_millis(4001)] {
            let p = SimParams {
                connection_interval: i,
                ..ok.clone()
            };
            assert_eq!(p.validate(), Err(SimError::ConnectionInterval(i)));
        }
        let p = SimParams {
            packets_per_event: 0,
            ..ok.clone()
        };
        assert_eq!(p.validate(), Err(SimError::PacketsPerEvent));
        for prob in [-0.1, 1.1, f64::NAN] {
            let p = SimParams {
                disconnect_probability: prob,
                ..ok.clone()
            };
            assert_eq!(p.validate(), Err(SimError::DisconnectProbability));
        }
    }

    #[test]
    fn capacity_is_packets_times_value_per_interval() {
        let p = SimParams {
            att_mtu: 247,
            connection_interval: Duration::from_millis(30),
            packets_per_event: 4,
            ..SimParams::default()
        };
        assert_eq!(p.max_value_len(), 244);
        assert_eq!(p.payload_capacity_per_event(), 976);
        let c = p.payload_capacity_per_second();
        assert!((c - 976.0 / 0.030).abs() < 1e-6, "{c}");
    }
}
