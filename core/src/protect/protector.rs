//! One session's message protection: sealing with the send key, opening with the receive key
//! under the replay window, and key updates in both directions.

use super::header::{Header, SessionId, HEADER_LEN, KEY_PHASE_MASK, OVERHEAD};
use super::keys::GenerationKeys;
use super::replay::ReplayWindow;
use super::state::{ProtectorState, RecvState, SendState, SessionKeys};
use super::ProtectError;

/// The most messages a sender may seal under one key generation `[MSG-15]`.
pub const MAX_MESSAGES_PER_KEY: u64 = 1 << 32;
/// After how many messages a sender updates its key unless configured otherwise `[MSG-15]`.
pub const DEFAULT_KEY_UPDATE_AFTER: u64 = 1 << 24;

/// Tunables of a [`Protector`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct ProtectConfig {
    /// Messages sealed under one send key before the next message starts a new key generation
    /// `[MSG-15]`. Values are clamped to `1..=MAX_MESSAGES_PER_KEY`.
    pub key_update_after: u64,
}

impl Default for ProtectConfig {
    fn default() -> Self {
        Self {
            key_update_after: DEFAULT_KEY_UPDATE_AFTER,
        }
    }
}

impl ProtectConfig {
    /// The default configuration with another key-update threshold.
    pub fn with_key_update_after(mut self, messages: u64) -> Self {
        self.key_update_after = messages;
        self
    }

    fn threshold(&self) -> u64 {
        // [MSG-15] never more than 2^32 messages under one key, and at least one.
        self.key_update_after.clamp(1, MAX_MESSAGES_PER_KEY)
    }
}

/// What [`Protector::seal`] appended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SealInfo {
    /// The message's counter.
    pub counter: u64,
    /// The send key generation used.
    pub generation: u64,
    /// Bytes appended to the output buffer: payload length + [`OVERHEAD`].
    pub len: usize,
}

/// A message [`Protector::open`] accepted.
#[derive(PartialEq, Eq, Debug)]
pub struct Opened<'a> {
    /// The plaintext, decrypted in place inside the caller's buffer.
    pub payload: &'a [u8],
    /// The message's counter.
    pub counter: u64,
    /// The receive key generation that authenticated it.
    pub generation: u64,
}

/// Sending direction.
#[derive(Debug)]
struct Sender {
    keys: GenerationKeys,
    generation: u64,
    next_counter: Option<u64>,
    sent_in_generation: u64,
    update_requested: bool,
}

/// Receiving direction.
#[derive(Debug)]
struct Receiver {
    current: GenerationKeys,
    generation: u64,
    start: u64,
    previous: Option<GenerationKeys>,
    window: ReplayWindow,
}

/// The key a received message selects `[MSG-16]`.
enum Selected {
    Current,
    Previous,
    /// A later generation, derived tentatively and installed only if the message
    /// authenticates `[MSG-13]`, `[MSG-16]`. Boxed: expanded keys are large, and this case
    /// only occurs at key updates.
    Ahead(Box<Candidate>),
}

/// Keys of a later receive generation, derived but not yet installed.
struct Candidate {
    generation: u64,
    keys: GenerationKeys,
    /// The generation just before `keys`, when that is not the current one.
    before: Option<GenerationKeys>,
}

/// Message protection of one session: seals outgoing messages and opens incoming ones.
///
/// The protector belongs to the session, not to a transport: feed it messages from any
/// transport, in any order `[MSG-3]`. It holds no buffers; the caller owns every byte.
#[derive(Debug)]
pub struct Protector {
    local_id: SessionId,
    peer_id: SessionId,
    config: ProtectConfig,
    send: Sender,
    recv: Receiver,
    /// Checks this protector skips (conformance tests only).
    #[cfg(feature = "conformance-faults")]
    faults: crate::faults::Faults,
}

impl Protector {
    /// A protector for a freshly established session: generation 0 in both directions, first
    /// counter 0, empty replay window `[MSG-4]`, `[MSG-8]`.
    pub fn new(keys: SessionKeys, config: ProtectConfig) -> Result<Self, ProtectError> {
        let state = ProtectorState {
            local_session_id: keys.local_session_id,
            peer_session_id: keys.peer_session_id,
            send: SendState {
                secret: keys.send_secret,
                generation: 0,
                next_counter: Some(0),
                sent_in_generation: 0,
                update_requested: false,
            },
            recv: RecvState {
                secret: keys.recv_secret,
                generation: 0,
                generation_start: 0,
                previous_secret: None,
                window: ReplayWindow::new(),
            },
        };
        Self::from_state(state, config)
    }

    /// A protector continuing from exported state `[MSG-19]`.
    pub fn from_state(state: ProtectorState, config: ProtectConfig) -> Result<Self, ProtectError> {
        let keys = |s| GenerationKeys::new(s).map_err(ProtectError::KeySetup);
        Ok(Self {
            local_id: state.local_session_id,
            peer_id: state.peer_session_id,
            config,
            send: Sender {
                keys: keys(state.send.secret)?,
                generation: state.send.generation,
                next_counter: state.send.next_counter,
                sent_in_generation: state.send.sent_in_generation,
                update_requested: state.send.update_requested,
            },
            recv: Receiver {
                current: keys(state.recv.secret)?,
                generation: state.recv.generation,
                start: state.recv.generation_start,
                previous: state.recv.previous_secret.map(keys).transpose()?,
                window: state.recv.window,
            },
            #[cfg(feature = "conformance-faults")]
            faults: crate::faults::Faults::NONE,
        })
    }

    /// Turns on the fault switches `faults` (conformance tests only, see [`crate::faults`]).
    #[cfg(feature = "conformance-faults")]
    pub fn set_faults(&mut self, faults: crate::faults::Faults) {
        self.faults = faults;
    }

    /// Ends this protector and returns its state, to continue elsewhere with
    /// [`Protector::from_state`]. Consuming `self` makes it impossible to keep sealing with
    /// the same counters here `[MSG-19]`.
    pub fn into_state(self) -> ProtectorState {
        ProtectorState {
            local_session_id: self.local_id,
            peer_session_id: self.peer_id,
            send: SendState {
                secret: self.send.keys.secret.clone(),
                generation: self.send.generation,
                next_counter: self.send.next_counter,
                sent_in_generation: self.send.sent_in_generation,
                update_requested: self.send.update_requested,
            },
            recv: RecvState {
                secret: self.recv.current.secret.clone(),
                generation: self.recv.generation,
                generation_start: self.recv.start,
                previous_secret: self.recv.previous.as_ref().map(|k| k.secret.clone()),
                window: self.recv.window,
            },
        }
    }

    /// The identifier this node receives on.
    pub fn local_session_id(&self) -> SessionId {
        self.local_id
    }

    /// The identifier the peer receives on (written into every sealed header).
    pub fn peer_session_id(&self) -> SessionId {
        self.peer_id
    }

    /// The counter the next sealed message will carry, or `None` when exhausted `[MSG-8]`.
    pub fn next_send_counter(&self) -> Option<u64> {
        self.send.next_counter
    }

    /// The current send key generation.
    pub fn send_generation(&self) -> u64 {
        self.send.generation
    }

    /// The current receive key generation.
    pub fn recv_generation(&self) -> u64 {
        self.recv.generation
    }

    /// The highest counter received so far.
    pub fn highest_received(&self) -> Option<u64> {
        self.recv.window.highest()
    }

    /// Asks for a key update before the threshold, for example on a time-based policy. It
    /// happens on the next [`Protector::seal`] once at least one message was sealed under the
    /// current key `[MSG-15]`.
    pub fn request_key_update(&mut self) {
        self.send.update_requested = true;
    }

    /// Seals `payload` and appends `header ‖ ciphertext ‖ tag` (payload length + [`OVERHEAD`]
    /// bytes) to `out` `[MSG-6]`, `[MSG-9]`, `[MSG-10]`. On error nothing is appended and no
    /// counter is used.
    pub fn seal(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<SealInfo, ProtectError> {
        // [MSG-8] a counter is never reused: once the last one is used, only a new handshake
        // helps.
        let counter = self.send.next_counter.ok_or(ProtectError::RekeyRequired)?;
        self.send.update_if_due(self.config.threshold())?;
        let header = Header {
            key_phase: key_phase(self.send.generation),
            session_id: self.peer_id,
            counter,
        }
        .to_bytes();
        let nonce = self.send.keys.nonce(counter);

        let start = out.len();
        out.reserve(payload.len() + OVERHEAD);
        out.extend_from_slice(&header);
        out.extend_from_slice(payload);
        let sealed = match out.get_mut(start + HEADER_LEN..) {
            // [MSG-10] the header is the associated data.
            Some(body) => self
                .send
                .keys
                .key
                .seal_in_place_separate_tag(&nonce, &header, body)
                .map_err(|_| ProtectError::PayloadTooLarge { len: payload.len() }),
            None => Err(ProtectError::PayloadTooLarge { len: payload.len() }),
        };
        let tag = match sealed {
            Ok(tag) => tag,
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        };
        out.extend_from_slice(&tag);

        self.send.next_counter = counter.checked_add(1);
        self.send.sent_in_generation = self.send.sent_in_generation.saturating_add(1);
        Ok(SealInfo {
            counter,
            generation: self.send.generation,
            len: out.len() - start,
        })
    }

    /// Authenticates and decrypts one protected message in place and returns its plaintext,
    /// borrowed from `datagram` `[MSG-11]`.
    ///
    /// On error the message must be dropped and the session goes on: no error changes the
    /// protector's state `[MSG-13]`, `[MSG-18]`. After a failed authentication the contents
    /// of `datagram` are unspecified.
    pub fn open<'a>(&mut self, datagram: &'a mut [u8]) -> Result<Opened<'a>, ProtectError> {
        let header = Header::parse(datagram)?;
        // [MSG-3] the identifier must be the one this node receives on.
        if header.session_id != self.local_id {
            return Err(ProtectError::WrongSession {
                expected: self.local_id,
                found: header.session_id,
            });
        }
        let counter = header.counter;
        // [MSG-12] cheap rejection of replays before any cryptography.
        if !fault!(self.faults, AcceptReplays) {
            self.recv.window.check(counter)?;
        }
        let selected = self.recv.select(header.key_phase, counter)?;
        let keys = match &selected {
            Selected::Current => &self.recv.current,
            Selected::Previous => {
                self.recv
                    .previous
                    .as_ref()
                    .ok_or(ProtectError::KeyDiscarded {
                        counter,
                        key_phase: header.key_phase,
                    })?
            }
            Selected::Ahead(candidate) => &candidate.keys,
        };
        let nonce = keys.nonce(counter);
        let len = datagram.len();
        let (aad, body) = datagram
            .split_at_mut_checked(HEADER_LEN)
            .ok_or(ProtectError::Truncated { len })?;
        let payload = keys
            .key
            .open_in_place(&nonce, aad, body)
            .map_err(|_| ProtectError::DecryptFailed)?;
        // [MSG-13] state changes only from here on, after authentication.
        let generation = self.recv.commit(selected, counter);
        Ok(Opened {
            payload,
            counter,
            generation,
        })
    }
}

/// The key phase of a generation: its two low bits `[MSG-14]`.
fn key_phase(generation: u64) -> u8 {
    // Truncation to the two low bits is the point.
    (generation & u64::from(KEY_PHASE_MASK)) as u8
}

impl Sender {
    /// `[MSG-15]` starts the next key generation when the threshold is reached, or when an
    /// update was requested and the current key has sealed at least one message.
    fn update_if_due(&mut self, threshold: u64) -> Result<(), ProtectError> {
        let due = self.sent_in_generation >= threshold
            || (self.update_requested && self.sent_in_generation > 0);
        if !due {
            return Ok(());
        }
        let generation = self
            .generation
            .checked_add(1)
            .ok_or(ProtectError::RekeyRequired)?;
        // [MSG-5] the old send key is dropped at once: nothing sent later needs it.
        self.keys = self.keys.next().map_err(ProtectError::KeySetup)?;
        self.generation = generation;
        self.sent_in_generation = 0;
        self.update_requested = false;
        Ok(())
    }
}

impl Receiver {
    /// `[MSG-16]` which key generation a message with `phase` and `counter` belongs to.
    fn select(&self, phase: u8, counter: u64) -> Result<Selected, ProtectError> {
        let ahead = phase.wrapping_sub(key_phase(self.generation)) & KEY_PHASE_MASK;
        if ahead == 0 {
            return Ok(Selected::Current);
        }
        if counter < self.start {
            // Counters below the current generation's first one belong to earlier
            // generations; only the one just before is still kept [MSG-17].
            return if ahead == KEY_PHASE_MASK && self.previous.is_some() {
                Ok(Selected::Previous)
            } else {
                Err(ProtectError::KeyDiscarded {
                    counter,
                    key_phase: phase,
                })
            };
        }
        let generation = self
            .generation
            .checked_add(u64::from(ahead))
            .ok_or(ProtectError::DecryptFailed)?;
        let mut before = None;
        let mut keys = self.current.next().map_err(ProtectError::KeySetup)?;
        for _ in 1..ahead {
            let next = keys.next().map_err(ProtectError::KeySetup)?;
            before = Some(keys);
            keys = next;
        }
        Ok(Selected::Ahead(Box::new(Candidate {
            generation,
            keys,
            before,
        })))
    }

    /// Records an authenticated message `[MSG-12]`, `[MSG-16]`, `[MSG-17]` and returns the
    /// generation that authenticated it.
    fn commit(&mut self, selected: Selected, counter: u64) -> u64 {
        let generation = match selected {
            Selected::Current => {
                self.start = self.start.min(counter);
                self.generation
            }
            Selected::Previous => self.generation.saturating_sub(1),
            Selected::Ahead(candidate) => {
                let Candidate {
                    generation,
                    keys,
                    before,
                } = *candidate;
                let old = std::mem::replace(&mut self.current, keys);
                self.previous = Some(before.unwrap_or(old));
                self.generation = generation;
                self.start = counter;
                generation
            }
        };
        self.window.accept(counter);
        // [MSG-17] once every counter below this generation's start is too old, the previous
        // key can never be used again and is erased.
        if self.previous.is_some() && self.window.lowest_acceptable() >= self.start {
            self.previous = None;
        }
        generation
    }
}
