//! A [`Radio`] for stacks whose writes are `async` (btleplug's `write`, bluer's notification
//! socket): [`Radio::write`] is synchronous, so it queues the value for the one task that owns
//! the stack's connection and writes values out in order, one at a time ([BLE-2]: values are
//! delivered in the order written). The same task turns the stack's events into
//! [`RadioEvent`]s.

use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

use crate::radio::{Radio, RadioError, RadioEvent};

/// Values the link may queue before the stack has written them. The framing bounds this: at
/// most a window (<= 32, [BLE-7]) of unacknowledged data frames, plus acknowledgements of the
/// peer's window and a few control frames, are outstanding at any time; a full queue means the
/// stack has stopped writing, which fails the link instead of buffering without bound.
const WRITE_QUEUE: usize = 128;

/// Events the stack task may deliver before the link reads them; when full, the task waits
/// (the link reads its events continuously).
const EVENT_QUEUE: usize = 64;

/// The smallest and largest ATT MTU Bluetooth allows (Core spec Vol 3 Part F 3.2.8-9).
pub(crate) const ATT_MTU_RANGE: (u16, u16) = (23, 517);

/// The link-facing half: what [`Radio`] calls turn into.
struct QueuedRadio {
    values: mpsc::Sender<Vec<u8>>,
    hang_up: Arc<Notify>,
    att_mtu: u16,
}

impl Radio for QueuedRadio {
    fn write(&self, value: &[u8]) -> Result<(), RadioError> {
        if value.len() > usize::from(self.att_mtu.saturating_sub(3)) {
            return Err(RadioError::Stack(format!(
                "a {}-byte value does not fit the ATT MTU of {}",
                value.len(),
                self.att_mtu
            )));
        }
        self.values
            .try_send(value.to_vec())
            .map_err(|error| match error {
                mpsc::error::TrySendError::Closed(_) => RadioError::Disconnected,
                mpsc::error::TrySendError::Full(_) => RadioError::Stack(format!(
                    "{WRITE_QUEUE} values wait for the stack to write them"
                )),
            })
    }

    fn att_mtu(&self) -> u16 {
        self.att_mtu
    }

    fn disconnect(&self) {
        // A stored permit: the task sees it even if it is busy writing right now.
        self.hang_up.notify_one();
    }
}

/// The stack-facing half, owned by the task that drives one connection.
pub(crate) struct RadioTask {
    /// Values to write, in order. `None` from `recv` means every radio handle is gone: the
    /// link ended, so the task disconnects.
    pub(crate) values: mpsc::Receiver<Vec<u8>>,
    /// Notified when the link calls [`Radio::disconnect`].
    pub(crate) hang_up: Arc<Notify>,
    /// Where the task delivers what happens on the connection.
    pub(crate) events: mpsc::Sender<RadioEvent>,
}

/// A radio for one connection whose ATT MTU is `att_mtu` (clamped to 23..=517), the receiver
/// of its events for the link, and the half the connection's task keeps.
pub(crate) fn queued_radio(
    att_mtu: u16,
) -> (Arc<dyn Radio>, mpsc::Receiver<RadioEvent>, RadioTask) {
    let (values_tx, values_rx) = mpsc::channel(WRITE_QUEUE);
    let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
    let hang_up = Arc::new(Notify::new());
    let radio = QueuedRadio {
        values: values_tx,
        hang_up: Arc::clone(&hang_up),
        att_mtu: att_mtu.clamp(ATT_MTU_RANGE.0, ATT_MTU_RANGE.1),
    };
    let task = RadioTask {
        values: values_rx,
        hang_up,
        events: events_tx,
    };
    (Arc::new(radio), events_rx, task)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    /// [BLE-2]: values reach the stack task in the order the link wrote them, and an oversized
    /// value is refused instead of being cut by the stack.
    #[test]
    fn writes_are_queued_in_order_and_bounded_by_the_mtu() {
        let (radio, _events, mut task) = queued_radio(23);
        assert_eq!(radio.att_mtu(), 23);
        radio.write(&[1; 20]).unwrap();
        radio.write(&[2]).unwrap();
        assert!(matches!(radio.write(&[3; 21]), Err(RadioError::Stack(_))));
        assert_eq!(task.values.try_recv().unwrap(), vec![1; 20]);
        assert_eq!(task.values.try_recv().unwrap(), vec![2]);
        assert!(task.values.try_recv().is_err());
    }

    /// A stack that stops writing fails the link once the queue is full; a task that ended
    /// makes every later write `Disconnected`.
    #[test]
    fn a_full_queue_and_a_gone_task_are_errors() {
        let (radio, _events, task) = queued_radio(517);
        for _ in 0..WRITE_QUEUE {
            radio.write(&[0]).unwrap();
        }
        assert!(matches!(radio.write(&[0]), Err(RadioError::Stack(_))));
        drop(task);
        assert_eq!(radio.write(&[0]), Err(RadioError::Disconnected));
    }

    /// The ATT MTU a stack reports is clamped to what Bluetooth allows, and a disconnect
    /// request reaches the task even when it was made before the task looked.
    #[tokio::test(flavor = "current_thread")]
    async fn mtu_is_clamped_and_hang_up_is_remembered() {
        assert_eq!(queued_radio(0).0.att_mtu(), 23);
        assert_eq!(queued_radio(9000).0.att_mtu(), 517);
        let (radio, _events, task) = queued_radio(247);
        radio.disconnect();
        task.hang_up.notified().await;
    }
}
