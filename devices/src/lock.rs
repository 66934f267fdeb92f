//! A door lock: endpoint 1 with the door-lock capability.
//!
//! Rules implemented from the registry:
//!
//! - `lock-door`, `unlock-door` and `set-pin` are timed commands; the SDK refuses them outside
//!   a timed interaction with needs-timed-interaction.
//! - `set-pin` stores a PIN (ASCII digits, 4 to 8 of them; anything else is a
//!   constraint-error) in one of eight slots of the behaviour; any slot's PIN is accepted.
//! - A PIN is required by `lock-door` and `unlock-door` when `require-pin-for-remote` is true
//!   and checked whenever one is given. A missing or wrong PIN fails with access-denied, emits
//!   `lock-operation-error` (invalid-pin) and counts toward `max-pin-attempts`; a correct PIN
//!   resets the count. The failure that reaches `max-pin-attempts` starts a lockout of
//!   [`LOCKOUT`] (measured with [`Context::now`]) during which both commands fail with busy
//!   and emit `lock-operation-error` (locked-out); the count starts again from zero after it.
//! - A successful command sets `lock-state` and emits `lock-operation` with source remote and
//!   the invoker's node and home IDs.
//! - After an unlock, when `auto-relock-time` is above 0, the lock locks itself that many
//!   seconds later (through [`Behavior::poll_timeout`] and [`Behavior::handle_timeout`]) and
//!   emits `lock-operation` with source auto. A lock-door cancels a pending relock; a change of
//!   `auto-relock-time` applies from the next unlock.
//! - When `actuator-enabled` is false the bolt cannot move: the commands fail with
//!   invalid-in-state (after the PIN check).

use crate::{device_info, empty};
use orbit_core::device::{Behavior, BuildError, Context, DeviceBuilder, DeviceNode, Endpoint};
use orbit_core::interaction::{CommandPath, ConcreteAttribute};
use orbit_core::model::std_caps::door_lock::{
    self, attributes as la,
    attributes::{lock_state_values as lock_state, lock_type_values},
    commands,
    events::{self, lock_operation_error_fields as err_fields, lock_operation_fields as op_fields},
};
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::fmt;
use std::time::{Duration, Instant};

/// The lock's product ID.
pub const PRODUCT_ID: u16 = 0x8003;

/// The lock's endpoint.
pub const ENDPOINT: u16 = 1;

/// How long the lock refuses PIN operations after `max-pin-attempts` failures in a row
/// `[DM-55]`.
pub const LOCKOUT: Duration = Duration::from_secs(60);

/// The number of PIN slots (`set-pin`'s `user-index` is 0..=7).
pub const PIN_SLOTS: usize = 8;

/// Builds the lock with serial number `serial` and no PIN; `now` is its start time. It starts
/// locked, with the actuator enabled and no PIN required.
pub fn build(now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
    build_node(now, serial, DoorLockBehavior::default(), false)
}

/// Builds the lock with `pin` in slot 0 and `require-pin-for-remote` set. A PIN that
/// `set-pin` would refuse (not 4 to 8 ASCII digits) is rejected with
/// [`BuildError::InvalidInitialValue`] naming `require-pin-for-remote`.
pub fn build_with_pin(now: Instant, serial: &str, pin: &[u8]) -> Result<DeviceNode, BuildError> {
    let mut behavior = DoorLockBehavior::default();
    if behavior.set_pin(0, pin).is_err() {
        return Err(BuildError::InvalidInitialValue(ConcreteAttribute::new(
            EndpointId(ENDPOINT),
            door_lock::ID,
            la::REQUIRE_PIN_FOR_REMOTE,
        )));
    }
    build_node(now, serial, behavior, true)
}

fn build_node(
    now: Instant,
    serial: &str,
    behavior: DoorLockBehavior,
    require_pin: bool,
) -> Result<DeviceNode, BuildError> {
    let endpoint = Endpoint::new(ENDPOINT, "front door", behavior)
        .with(door_lock::ID)
        .set(door_lock::ID, la::LOCK_STATE, lock_state::LOCKED)
        .set(door_lock::ID, la::LOCK_TYPE, lock_type_values::DEADBOLT)
        .set(door_lock::ID, la::ACTUATOR_ENABLED, true)
        .set(door_lock::ID, la::REQUIRE_PIN_FOR_REMOTE, require_pin);
    DeviceBuilder::new(device_info(PRODUCT_ID, "Reference door lock", serial))
        .endpoint(endpoint)
        .build(now)
}

/// The lock's behaviour: PIN slots, the failure count and lockout, and the relock timer.
#[derive(Default)]
pub struct DoorLockBehavior {
    pins: [Option<Vec<u8>>; PIN_SLOTS],
    failures: u64,
    locked_out_until: Option<Instant>,
    relock_at: Option<Instant>,
}

impl fmt::Debug for DoorLockBehavior {
    // PINs are secrets: show only which slots hold one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots: Vec<bool> = self.pins.iter().map(Option::is_some).collect();
        f.debug_struct("DoorLockBehavior")
            .field("pins_set", &slots)
            .field("failures", &self.failures)
            .field("locked_out_until", &self.locked_out_until)
            .field("relock_at", &self.relock_at)
            .finish()
    }
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl DoorLockBehavior {
    /// Stores `pin` in `slot`, replacing any PIN it held.
    fn set_pin(&mut self, slot: u64, pin: &[u8]) -> Result<(), Status> {
        if !(4..=8).contains(&pin.len()) || !pin.iter().all(u8::is_ascii_digit) {
            return Err(Status::CONSTRAINT_ERROR);
        }
        let slot = usize::try_from(slot)
            .ok()
            .and_then(|s| self.pins.get_mut(s))
            .ok_or(Status::CONSTRAINT_ERROR)?;
        *slot = Some(pin.to_vec());
        Ok(())
    }

    /// Whether `pin` matches any slot (every slot is compared).
    fn pin_matches(&self, pin: &[u8]) -> bool {
        self.pins
            .iter()
            .flatten()
            .fold(false, |found, p| constant_time_eq(p, pin) | found)
    }

    fn emit_error(ctx: &mut Context<'_>, operation: u8, error: u8) -> Result<(), Status> {
        ctx.emit(
            door_lock::ID,
            events::LOCK_OPERATION_ERROR,
            Data::structure(vec![
                (err_fields::OPERATION.0, Data::from(operation)),
                (err_fields::ERROR.0, Data::from(error)),
            ]),
        )
        .map(|_| ())
    }

    fn emit_operation(ctx: &mut Context<'_>, operation: u8, source: u8) -> Result<(), Status> {
        let mut fields = vec![
            (op_fields::OPERATION.0, Data::from(operation)),
            (op_fields::SOURCE.0, Data::from(source)),
        ];
        if let Some((home, node)) = ctx.invoker() {
            fields.push((op_fields::NODE_ID.0, Data::Uint(node)));
            fields.push((op_fields::HOME_ID.0, Data::Uint(home)));
        }
        ctx.emit(
            door_lock::ID,
            events::LOCK_OPERATION,
            Data::structure(fields),
        )
        .map(|_| ())
    }

    /// Applies the lockout and the PIN rules to a lock-door or unlock-door.
    fn check_pin(
        &mut self,
        ctx: &mut Context<'_>,
        operation: u8,
        pin: Option<&[u8]>,
    ) -> Result<(), Status> {
        let now = ctx.now();
        if let Some(until) = self.locked_out_until {
            if now < until {
                Self::emit_error(ctx, operation, err_fields::error_values::LOCKED_OUT)?;
                return Err(Status::BUSY);
            }
            self.locked_out_until = None;
            self.failures = 0;
        }
        let required = ctx
            .get_bool(door_lock::ID, la::REQUIRE_PIN_FOR_REMOTE)
            .unwrap_or(false);
        let ok = match pin {
            Some(pin) => self.pin_matches(pin),
            None => !required,
        };
        if ok {
            if pin.is_some() {
                self.failures = 0;
            }
            return Ok(());
        }
        self.failures += 1;
        let max = ctx
            .get_u64(door_lock::ID, la::MAX_PIN_ATTEMPTS)
            .unwrap_or(1)
            .max(1);
        if self.failures >= max {
            self.locked_out_until = Some(now + LOCKOUT);
            self.failures = 0;
        }
        Self::emit_error(ctx, operation, err_fields::error_values::INVALID_PIN)?;
        Err(Status::ACCESS_DENIED)
    }

    fn lock_or_unlock(
        &mut self,
        ctx: &mut Context<'_>,
        unlock: bool,
        args: &Data,
    ) -> Result<Data, Status> {
        let operation = if unlock {
            op_fields::operation_values::UNLOCK
        } else {
            op_fields::operation_values::LOCK
        };
        // lock-door and unlock-door both have the PIN as field 0.
        let pin = args
            .field(commands::unlock_door_args::PIN.0)
            .and_then(Data::as_bytes);
        self.check_pin(ctx, operation, pin)?;
        if !ctx
            .get_bool(door_lock::ID, la::ACTUATOR_ENABLED)
            .unwrap_or(false)
        {
            return Err(Status::INVALID_IN_STATE);
        }
        let state = if unlock {
            lock_state::UNLOCKED
        } else {
            lock_state::LOCKED
        };
        ctx.set(door_lock::ID, la::LOCK_STATE, state)?;
        self.relock_at = None;
        if unlock {
            let secs = ctx
                .get_u64(door_lock::ID, la::AUTO_RELOCK_TIME)
                .unwrap_or(0);
            if secs > 0 {
                self.relock_at = Some(ctx.now() + Duration::from_secs(secs));
            }
        }
        Self::emit_operation(ctx, operation, op_fields::source_values::REMOTE)?;
        Ok(empty())
    }
}

impl Behavior for DoorLockBehavior {
    fn write(
        &mut self,
        _ctx: &mut Context<'_>,
        _attr: ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        // auto-relock-time and require-pin-for-remote are taken as written (the SDK checked
        // type, range and privilege); they are read when a command runs.
        Ok(value.clone())
    }

    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        command: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        if command.capability != door_lock::ID {
            return Err(Status::UNSUPPORTED_COMMAND);
        }
        match command.command {
            commands::LOCK_DOOR => self.lock_or_unlock(ctx, false, args),
            commands::UNLOCK_DOOR => self.lock_or_unlock(ctx, true, args),
            commands::SET_PIN => {
                use commands::set_pin_args as a;
                let slot = crate::arg_u64(args, a::USER_INDEX).ok_or(Status::INVALID_DATA_TYPE)?;
                let pin = args
                    .field(a::PIN.0)
                    .and_then(Data::as_bytes)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                self.set_pin(slot, pin)?;
                Ok(empty())
            }
            _ => Err(Status::UNSUPPORTED_COMMAND),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.relock_at
    }

    fn handle_timeout(&mut self, ctx: &mut Context<'_>) {
        if self.relock_at.is_some_and(|t| t <= ctx.now()) {
            self.relock_at = None;
            // Setting a valid enum value and emitting a schema-conforming event cannot fail;
            // there is no caller to report to if it did.
            if ctx
                .set(door_lock::ID, la::LOCK_STATE, lock_state::LOCKED)
                .is_ok()
            {
                let _ = Self::emit_operation(
                    ctx,
                    op_fields::operation_values::LOCK,
                    op_fields::source_values::AUTO,
                );
            }
        }
    }
}
