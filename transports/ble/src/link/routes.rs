//! Which exchanges are open on the link, and where each received SDU goes ([BLE-15]..[BLE-19]).

use std::collections::{HashMap, VecDeque};

use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::driver::Driver;
use super::sdu_codec::{self, code, Body, Refusal, FLAG_END, FLAG_RESET, PERIPHERAL_BIT};
use super::{BleError, Exchange, Incoming, Message, Role, MAX_CENTRAL_EXCHANGES};

/// Messages buffered per exchange while its owner does not read; beyond that the peer is
/// flooding it and the exchange is reset with `limit-exceeded`, not buffered without bound.
const EXCHANGE_BUFFER: usize = 16;
/// Slots for the END and the reset that may follow the buffered messages.
const TERMINAL_SLOTS: usize = 2;
/// How many refused or reset peer-opened IDs are remembered, so that SDUs the peer sent
/// before it saw the RESET do not open a phantom exchange.
const RECENTLY_RESET: usize = 32;

/// One open exchange.
#[derive(Debug)]
struct Route {
    tx: mpsc::Sender<Incoming>,
    we_ended: bool,
    peer_ended: bool,
    /// A central exchange holds one of the 8 slots until both sides ended ([BLE-16]).
    _permit: Option<OwnedSemaphorePermit>,
}

/// The link's open exchanges by ID.
#[derive(Debug)]
pub(super) struct Routes {
    role: Role,
    open: HashMap<u16, Route>,
    /// The next central ID to try: IDs go round-robin so an ID is reused as late as possible.
    next_central: u16,
    next_peripheral: u16,
    recently_reset: VecDeque<u16>,
}

impl Routes {
    pub(super) fn new(role: Role) -> Self {
        Self {
            role,
            open: HashMap::new(),
            next_central: 0,
            next_peripheral: PERIPHERAL_BIT,
            recently_reset: VecDeque::new(),
        }
    }

    fn insert(
        &mut self,
        id: u16,
        permit: Option<OwnedSemaphorePermit>,
    ) -> mpsc::Receiver<Incoming> {
        let (tx, rx) = mpsc::channel(EXCHANGE_BUFFER + TERMINAL_SLOTS);
        self.open.insert(
            id,
            Route {
                tx,
                we_ended: false,
                peer_ended: false,
                _permit: permit,
            },
        );
        rx
    }

    /// A new central exchange under an ID not open ([BLE-15], [BLE-16]).
    pub(super) fn open_central(
        &mut self,
        permit: OwnedSemaphorePermit,
    ) -> (u16, mpsc::Receiver<Incoming>) {
        // At most 8 are open, so one of the next 9 IDs is free.
        let mut id = self.next_central;
        while self.open.contains_key(&id) {
            id = id.wrapping_add(1) & !PERIPHERAL_BIT;
        }
        self.next_central = id.wrapping_add(1) & !PERIPHERAL_BIT;
        (id, self.insert(id, Some(permit)))
    }

    /// The ID of the next device-initiated message ([BLE-17]): bit 15 set, round-robin.
    pub(super) fn next_peripheral(&mut self) -> u16 {
        let id = self.next_peripheral;
        self.next_peripheral = id.wrapping_add(1) | PERIPHERAL_BIT;
        id
    }

    pub(super) fn is_open(&self, id: u16) -> bool {
        self.open.contains_key(&id)
    }

    pub(super) fn remove(&mut self, id: u16) {
        self.open.remove(&id);
    }

    pub(super) fn clear(&mut self) {
        self.open.clear();
    }

    /// Central exchanges open, as the peripheral counts them ([BLE-16]).
    fn central_open(&self) -> usize {
        self.open
            .keys()
            .filter(|id| *id & PERIPHERAL_BIT == 0)
            .count()
    }

    /// Whether `id` was opened by this side.
    fn ours(&self, id: u16) -> bool {
        (id & PERIPHERAL_BIT != 0) == (self.role == Role::Peripheral)
    }

    /// This side sent an SDU with `flags` on an open exchange.
    pub(super) fn sent(&mut self, id: u16, flags: u8) {
        if flags & FLAG_RESET != 0 {
            self.open.remove(&id);
            if !self.ours(id) {
                self.remember_reset(id);
            }
            return;
        }
        if flags & FLAG_END != 0 {
            if let Some(route) = self.open.get_mut(&id) {
                route.we_ended = true;
            }
            self.remove_if_done(id);
        }
    }

    /// [BLE-16]: an ID may be reused once both sides ended.
    fn remove_if_done(&mut self, id: u16) {
        if self
            .open
            .get(&id)
            .is_some_and(|route| route.we_ended && route.peer_ended)
        {
            self.open.remove(&id);
        }
    }

    pub(super) fn remember_reset(&mut self, id: u16) {
        if !self.recently_reset.contains(&id) {
            if self.recently_reset.len() == RECENTLY_RESET {
                self.recently_reset.pop_front();
            }
            self.recently_reset.push_back(id);
        }
    }

    fn forget_reset(&mut self, id: u16) {
        self.recently_reset.retain(|r| *r != id);
    }
}

impl Driver {
    /// Routes one whole SDU received from the peer.
    pub(super) fn route(&mut self, sdu: &[u8]) {
        // Too short to name an exchange: there is nothing to reset; the link goes on.
        let Some(decoded) = sdu_codec::decode(sdu) else {
            return;
        };
        let id = decoded.exchange;
        let body = decoded.body;
        if self.routes.is_open(id) {
            self.deliver(id, body);
            return;
        }
        if let Ok(Body::Reset(_)) = body {
            // A RESET of an exchange not open is never answered (no reset loops).
            self.routes.forget_reset(id);
            return;
        }
        if self.routes.ours(id) {
            // An ID of our half that is not open: the peer may not open it ([BLE-17]), and
            // anything but an END-only SDU on it is refused ([BLE-36]); a RESET was handled
            // above and is never answered.
            if !matches!(body, Ok(Body::End)) {
                self.refuse(id, code::MALFORMED_FRAME);
            }
            return;
        }
        if self.routes.recently_reset.contains(&id) {
            // SDUs the peer sent before it saw our RESET; its END closes the matter.
            if matches!(body, Ok(Body::End) | Ok(Body::Message { end: true, .. })) {
                self.routes.forget_reset(id);
            }
            return;
        }
        match (self.shared.role, body) {
            (_, Err(refusal)) => self.refuse(id, refusal.code()),
            (Role::Peripheral, Ok(body)) => self.accept(id, body),
            // [BLE-17] a device-initiated message is one SDU with END.
            (
                Role::Central,
                Ok(Body::Message {
                    kind,
                    payload,
                    end: true,
                }),
            ) => {
                let message = Message {
                    kind,
                    payload: payload.to_vec(),
                };
                let refused = match &self.unsolicited {
                    Some(tx) => matches!(
                        tx.try_send(message),
                        Err(mpsc::error::TrySendError::Full(_))
                    ),
                    None => false,
                };
                if refused {
                    self.refuse(id, code::LIMIT_EXCEEDED);
                }
            }
            (Role::Central, Ok(Body::Message { end: false, .. })) => {
                self.refuse(id, code::MALFORMED_FRAME);
            }
            (Role::Central, Ok(Body::End | Body::Reset(_))) => {}
        }
    }

    /// A central exchange starts with its first SDU on an ID not open ([BLE-16]).
    fn accept(&mut self, id: u16, body: Body<'_>) {
        // [BLE-16] at most 8 central exchanges open; the 9th is refused.
        if self.routes.central_open() >= MAX_CENTRAL_EXCHANGES {
            self.refuse(id, code::LIMIT_EXCEEDED);
            return;
        }
        let (Some(commands), Some(exchanges)) = (self.commands.upgrade(), self.exchanges.clone())
        else {
            // Nobody accepts exchanges any more: the link is closing.
            self.refuse(id, code::NO_ERROR);
            return;
        };
        let incoming = self.routes.insert(id, None);
        self.deliver(id, Ok(body));
        let exchange = Exchange::new(id, true, commands, self.shared.clone(), incoming);
        // Full cannot happen (8 open at most); closed means nobody listens: the exchange's
        // drop resets it.
        let _ = exchanges.try_send(exchange);
    }

    /// Hands an SDU to its open exchange.
    fn deliver(&mut self, id: u16, body: Result<Body<'_>, Refusal>) {
        let Some(route) = self.routes.open.get_mut(&id) else {
            return;
        };
        match body {
            Err(refusal) => {
                let error = match refusal {
                    Refusal::UnknownKind(kind) => BleError::UnknownKind(kind), // [BLE-18]
                    Refusal::Malformed => BleError::Malformed,                 // [BLE-19]
                };
                self.fail(id, error, Some(refusal.code()));
            }
            Ok(Body::Reset(code)) => self.fail(id, BleError::Reset(code), None),
            // Nothing may follow the peer's END.
            Ok(_) if route.peer_ended => {
                self.fail(id, BleError::Malformed, Some(code::MALFORMED_FRAME));
            }
            Ok(Body::End) => {
                route.peer_ended = true;
                let _ = route.tx.try_send(Incoming::End);
                self.routes.remove_if_done(id);
            }
            Ok(Body::Message { kind, payload, end }) => {
                if !route.tx.is_closed() {
                    if route.tx.capacity() <= TERMINAL_SLOTS {
                        self.fail(id, BleError::Flooded, Some(code::LIMIT_EXCEEDED));
                        return;
                    }
                    let _ = route.tx.try_send(Incoming::Message(Message {
                        kind,
                        payload: payload.to_vec(),
                    }));
                }
                if end {
                    route.peer_ended = true;
                    let _ = route.tx.try_send(Incoming::End);
                    self.routes.remove_if_done(id);
                }
            }
        }
    }

    /// Ends an exchange with `error` for its owner, and RESET `code` to the peer if given.
    fn fail(&mut self, id: u16, error: BleError, code: Option<u8>) {
        if let Some(route) = self.routes.open.remove(&id) {
            let _ = route.tx.try_send(Incoming::Failed(error));
        }
        if let Some(code) = code {
            self.refuse(id, code);
        }
    }
}
