//! The controller's side of the interaction model: builds requests, matches answers to them,
//! reassembles split reports, and watches subscriptions `[IM-3]`, `[IM-16]`, `[IM-64]`.

use super::message::{
    Envelope, InvokeRequest, Message, ReadRequest, Report, SubscribeRequest, WriteRequest,
};
use super::path::CommandPath;
use super::report::{AttributeReport, EventRecord, PathStatus};
use crate::codec::{CborMessage, CodecError};
use crate::model::Data;
use crate::status::Status;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};
use thiserror::Error;

/// How long the client waits for an answer before giving up on a request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How much later than its keep-alive interval a subscription report may be before the
/// subscription is declared lost `[IM-64]`.
pub const SUBSCRIPTION_GRACE: Duration = Duration::from_secs(10);

/// The timed-interaction window the client asks for before a timed write or invoke `[IM-40]`.
pub const TIMED_WINDOW_MS: u32 = 5_000;

/// Something the client learned.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The signed descriptor arrived (verify it with [`crate::model::Descriptor::verify`]).
    Described {
        /// The request's exchange.
        exchange: u32,
        /// The descriptor's encoding.
        descriptor: Vec<u8>,
        /// The device's signature over it.
        signature: Vec<u8>,
    },
    /// A read finished (all chunks of its report arrived).
    ReadDone {
        /// The request's exchange.
        exchange: u32,
        /// Attribute values and statuses.
        attributes: Vec<AttributeReport>,
        /// Events.
        events: Vec<EventRecord>,
    },
    /// A write was answered with one status per entry.
    Written {
        /// The request's exchange.
        exchange: u32,
        /// Statuses, in request order.
        statuses: Vec<PathStatus>,
    },
    /// A command was answered.
    Invoked {
        /// The request's exchange.
        exchange: u32,
        /// Its result or status.
        result: Result<Data, Status>,
    },
    /// A subscription was established, with its initial report.
    Subscribed {
        /// The request's exchange.
        exchange: u32,
        /// Its identifier.
        subscription: u32,
        /// The keep-alive interval the device granted.
        max_interval_s: u32,
        /// The initial attribute values.
        attributes: Vec<AttributeReport>,
        /// The initial events.
        events: Vec<EventRecord>,
    },
    /// A subscription report (changes, new events, or an empty keep-alive).
    Report {
        /// The subscription.
        subscription: u32,
        /// Changed attributes.
        attributes: Vec<AttributeReport>,
        /// New events.
        events: Vec<EventRecord>,
    },
    /// An unsubscribe was accepted: the subscription is over at the device `[IM-65]`.
    Unsubscribed {
        /// The request's exchange.
        exchange: u32,
    },
    /// A request failed as a whole with a status.
    Failed {
        /// The request's exchange.
        exchange: u32,
        /// The device's status.
        status: Status,
    },
    /// No answer arrived in time.
    TimedOut {
        /// The request's exchange.
        exchange: u32,
    },
    /// No report arrived within the keep-alive interval plus grace `[IM-64]`; call
    /// [`Client::resubscribe`].
    SubscriptionLost {
        /// The lost subscription.
        subscription: u32,
    },
}

/// Why an incoming message was not accepted. The client's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The message could not be decoded.
    #[error("undecodable interaction message: {0}")]
    Codec(#[from] CodecError),
    /// An answer to an exchange the client has no request for (late, duplicated or forged).
    #[error("answer for unknown exchange {0}")]
    UnknownExchange(u32),
    /// A report for a subscription the client does not have.
    #[error("report for unknown subscription {0}")]
    UnknownSubscription(u32),
    /// A message a device never sends to a controller, or the wrong answer type.
    #[error("unexpected message for this exchange")]
    Unexpected,
}

#[derive(Debug)]
enum Kind {
    Describe,
    Read,
    Write,
    Invoke,
    Subscribe(SubscribeRequest),
    /// A timed request whose follow-up is sent once the device accepts the window.
    Timed(Box<Message>),
    Unsubscribe,
}

#[derive(Debug)]
struct Pending {
    kind: Kind,
    deadline: Instant,
    attributes: Vec<AttributeReport>,
    events: Vec<EventRecord>,
}

impl Pending {
    fn new(kind: Kind, now: Instant) -> Self {
        Pending {
            kind,
            deadline: now + REQUEST_TIMEOUT,
            attributes: Vec::new(),
            events: Vec::new(),
        }
    }
}

#[derive(Debug)]
struct Watched {
    request: SubscribeRequest,
    max_interval: Duration,
    last_seen: Instant,
    lost: bool,
}

/// The controller's interaction state for one session. Sans-IO: every call that sends returns
/// the bytes to seal and send; [`Client::poll_transmit`] yields follow-ups (the write or
/// invoke after a timed request's window opened).
#[derive(Debug, Default)]
pub struct Client {
    next_exchange: u32,
    pending: BTreeMap<u32, Pending>,
    subscriptions: BTreeMap<u32, Watched>,
    transmit: VecDeque<Vec<u8>>,
}

impl Client {
    /// A client with no requests in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh, non-zero exchange number not in use `[IM-3]`; every request gets its own, so a
    /// retried invoke is a new invocation, never a duplicate the device could confuse `[IM-31]`.
    fn exchange(&mut self) -> u32 {
        loop {
            self.next_exchange = self.next_exchange.wrapping_add(1).max(1);
            if !self.pending.contains_key(&self.next_exchange) {
                return self.next_exchange;
            }
        }
    }

    fn start(&mut self, now: Instant, kind: Kind, message: Message) -> (u32, Vec<u8>) {
        let exchange = self.exchange();
        self.pending.insert(exchange, Pending::new(kind, now));
        (exchange, Envelope { exchange, message }.to_bytes())
    }

    /// Asks for the signed descriptor `[IM-70]`.
    pub fn describe(&mut self, now: Instant) -> (u32, Vec<u8>) {
        self.start(now, Kind::Describe, Message::DescribeRequest)
    }

    /// Reads attributes and events `[IM-20]`.
    pub fn read(&mut self, now: Instant, request: ReadRequest) -> (u32, Vec<u8>) {
        self.start(now, Kind::Read, Message::ReadRequest(request))
    }

    /// Writes attributes `[IM-21]`. For a timed write, a timed request goes first and the
    /// write follows from [`Client::poll_transmit`] once the device opened the window
    /// `[IM-40]`.
    pub fn write(&mut self, now: Instant, request: WriteRequest) -> (u32, Vec<u8>) {
        let timed = request.timed;
        let message = Message::WriteRequest(request);
        if timed {
            self.start(
                now,
                Kind::Timed(Box::new(message)),
                Message::TimedRequest {
                    timeout_ms: TIMED_WINDOW_MS,
                },
            )
        } else {
            self.start(now, Kind::Write, message)
        }
    }

    /// Invokes a command `[IM-30]`, timed as for [`Client::write`].
    pub fn invoke(
        &mut self,
        now: Instant,
        path: CommandPath,
        args: Data,
        timed: bool,
    ) -> (u32, Vec<u8>) {
        let message = Message::InvokeRequest(InvokeRequest { path, args, timed });
        if timed {
            self.start(
                now,
                Kind::Timed(Box::new(message)),
                Message::TimedRequest {
                    timeout_ms: TIMED_WINDOW_MS,
                },
            )
        } else {
            self.start(now, Kind::Invoke, message)
        }
    }

    /// Subscribes `[IM-60]`.
    pub fn subscribe(&mut self, now: Instant, request: SubscribeRequest) -> (u32, Vec<u8>) {
        self.start(
            now,
            Kind::Subscribe(request.clone()),
            Message::SubscribeRequest(request),
        )
    }

    /// Subscribes again with the request of a lost (or live) subscription `[IM-64]`; the old
    /// one is forgotten.
    pub fn resubscribe(&mut self, now: Instant, subscription: u32) -> Option<(u32, Vec<u8>)> {
        let watched = self.subscriptions.remove(&subscription)?;
        Some(self.subscribe(now, watched.request))
    }

    /// Ends a subscription `[IM-65]`.
    pub fn unsubscribe(&mut self, now: Instant, subscription: u32) -> (u32, Vec<u8>) {
        self.subscriptions.remove(&subscription);
        self.start(
            now,
            Kind::Unsubscribe,
            Message::Unsubscribe { subscription },
        )
    }

    /// Identifiers of the live subscriptions.
    pub fn subscriptions(&self) -> impl Iterator<Item = u32> + '_ {
        self.subscriptions.keys().copied()
    }

    /// How many requests await an answer.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// The next follow-up message to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The earliest request deadline or subscription liveness deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let requests = self.pending.values().map(|p| p.deadline);
        let subs = self
            .subscriptions
            .values()
            .filter(|w| !w.lost)
            .map(|w| w.last_seen + w.max_interval + SUBSCRIPTION_GRACE);
        requests.chain(subs).min()
    }

    /// Expires requests and declares silent subscriptions lost `[IM-64]`.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        let expired: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, p)| now > p.deadline)
            .map(|(e, _)| *e)
            .collect();
        for exchange in expired {
            self.pending.remove(&exchange);
            events.push(ClientEvent::TimedOut { exchange });
        }
        for (id, w) in &mut self.subscriptions {
            if !w.lost && now > w.last_seen + w.max_interval + SUBSCRIPTION_GRACE {
                w.lost = true;
                events.push(ClientEvent::SubscriptionLost { subscription: *id });
            }
        }
        events
    }

    /// Handles one message from the device.
    pub fn handle(
        &mut self,
        now: Instant,
        bytes: &[u8],
    ) -> Result<Option<ClientEvent>, ClientError> {
        let env = Envelope::decode(bytes)?;
        let exchange = env.exchange;
        if let Message::Report(r) = &env.message {
            if exchange == 0 {
                return self.subscription_report(now, r.clone()).map(Some);
            }
        }
        let pending = self
            .pending
            .get_mut(&exchange)
            .ok_or(ClientError::UnknownExchange(exchange))?;
        let event = match (&mut pending.kind, env.message) {
            (
                Kind::Describe,
                Message::DescribeResponse {
                    descriptor,
                    signature,
                },
            ) => ClientEvent::Described {
                exchange,
                descriptor,
                signature,
            },
            (Kind::Read | Kind::Subscribe(_), Message::Report(r)) => {
                // The first (usually only) chunk is taken as it is, without copying.
                if pending.attributes.is_empty() {
                    pending.attributes = r.attributes;
                } else {
                    pending.attributes.extend(r.attributes);
                }
                if pending.events.is_empty() {
                    pending.events = r.events;
                } else {
                    pending.events.extend(r.events);
                }
                if r.more || matches!(pending.kind, Kind::Subscribe(_)) {
                    // More chunks, or a subscription's initial report awaiting its response.
                    return Ok(None);
                }
                let p = self
                    .pending
                    .remove(&exchange)
                    .ok_or(ClientError::Unexpected)?;
                return Ok(Some(ClientEvent::ReadDone {
                    exchange,
                    attributes: p.attributes,
                    events: p.events,
                }));
            }
            (Kind::Subscribe(_), Message::SubscribeResponse(s)) => {
                let Some(Pending {
                    kind: Kind::Subscribe(request),
                    attributes,
                    events,
                    ..
                }) = self.pending.remove(&exchange)
                else {
                    return Err(ClientError::Unexpected);
                };
                self.subscriptions.insert(
                    s.subscription,
                    Watched {
                        request,
                        max_interval: Duration::from_secs(s.max_interval_s.into()),
                        last_seen: now,
                        lost: false,
                    },
                );
                return Ok(Some(ClientEvent::Subscribed {
                    exchange,
                    subscription: s.subscription,
                    max_interval_s: s.max_interval_s,
                    attributes,
                    events,
                }));
            }
            (Kind::Write, Message::WriteResponse(statuses)) => {
                ClientEvent::Written { exchange, statuses }
            }
            (Kind::Invoke, Message::InvokeResponse(result)) => {
                ClientEvent::Invoked { exchange, result }
            }
            (Kind::Timed(_), Message::StatusResponse(s)) if s == Status::SUCCESS => {
                // The window is open: send the write or invoke on the same exchange.
                let Some(Pending {
                    kind: Kind::Timed(follow),
                    ..
                }) = self.pending.remove(&exchange)
                else {
                    return Err(ClientError::Unexpected);
                };
                let kind = match *follow {
                    Message::WriteRequest(_) => Kind::Write,
                    _ => Kind::Invoke,
                };
                self.pending.insert(exchange, Pending::new(kind, now));
                self.transmit.push_back(
                    Envelope {
                        exchange,
                        message: *follow,
                    }
                    .to_bytes(),
                );
                return Ok(None);
            }
            // [IM-65] the answer ends the exchange, so the caller learns that it was
            // accepted (and stops waiting for more frames on it).
            (Kind::Unsubscribe, Message::StatusResponse(s)) if s == Status::SUCCESS => {
                ClientEvent::Unsubscribed { exchange }
            }
            (_, Message::StatusResponse(status)) => ClientEvent::Failed { exchange, status },
            _ => return Err(ClientError::Unexpected),
        };
        self.pending.remove(&exchange);
        Ok(Some(event))
    }

    fn subscription_report(&mut self, now: Instant, r: Report) -> Result<ClientEvent, ClientError> {
        let id = r.subscription.ok_or(ClientError::Unexpected)?;
        let w = self
            .subscriptions
            .get_mut(&id)
            .ok_or(ClientError::UnknownSubscription(id))?;
        w.last_seen = now;
        w.lost = false;
        Ok(ClientEvent::Report {
            subscription: id,
            attributes: r.attributes,
            events: r.events,
        })
    }
}
