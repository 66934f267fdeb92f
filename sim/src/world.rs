//! The run: builds the homes, controllers and devices a seed describes, then advances the
//! virtual clock from one due thing to the next (a message arriving, a timer, a workload
//! action, a restart, a partition, a replay), checking the invariants after every step.

use crate::controller::{Request, SimController};
use crate::device::{tracked, SimDevice};
use crate::dice::Dice;
use crate::env::Env;
use crate::fault::Fault;
use crate::net::{Addr, LinkConfig, Network, Packet};
use crate::store::{AckBeforePersist, DeviceStore, KeepSpentTickets, LoseEventCounter, MemStore};
use crate::trace::Trace;
use crate::{Options, Outcome};
use orbit_core::device::DEFAULT_EVENT_BUFFER;
use orbit_core::interaction::CommandPath;
use orbit_core::model::std_caps::{door_lock, on_off};
use orbit_core::model::{Data, EndpointId};
use orbit_core::protect::ProtectConfig;
use orbit_devices::Kind as DeviceKind;
use std::time::Duration;

/// The most steps a run may take.
pub(crate) const STEP_LIMIT: u64 = 3_000_000;
/// The most steps at one instant before the run counts as a livelock (time stops moving).
pub(crate) const SAME_INSTANT_LIMIT: u64 = 20_000;
/// How long the run goes on after the workload stops, for every operation to end.
pub(crate) const DRAIN: Duration = Duration::from_secs(300);

struct World {
    env: Env,
    dice: Dice,
    net: Network,
    devices: Vec<SimDevice>,
    controllers: Vec<SimController>,
    next_action: Vec<Duration>,
    next_restart: Vec<Duration>,
    down_until: Vec<Option<Duration>>,
    window_hint: Vec<Duration>,
    /// When each device and controller was last ticked: a timer that is still due right
    /// after its tick (the core expires strictly after a deadline) is looked at again 1 ms
    /// later, not at the same instant forever.
    device_ticked: Vec<Option<Duration>>,
    controller_ticked: Vec<Option<Duration>>,
    next_partition: Duration,
    next_replay: Duration,
    next_move: Duration,
    end: Duration,
}

fn store_for(fault: Fault) -> Box<dyn DeviceStore> {
    match fault {
        Fault::AckBeforePersist => Box::new(AckBeforePersist::default()),
        Fault::LoseEventCounter => Box::new(LoseEventCounter::default()),
        Fault::KeepSpentTickets => Box::new(KeepSpentTickets::default()),
        _ => Box::new(MemStore::default()),
    }
}

/// Runs seed `seed`.
pub(crate) fn run(seed: u64, options: &Options) -> Outcome {
    let mut dice = Dice::new(seed);
    let protect = match dice.below(3) {
        0 => ProtectConfig::default(),
        1 => ProtectConfig::default().with_key_update_after(64),
        _ => ProtectConfig::default().with_key_update_after(8),
    };
    let mut env = Env::new(seed, options.fault, Trace::new(options.trace, 60), protect);
    let config = LinkConfig::draw(&mut dice);
    env.delay_spread = config.max_delay.saturating_sub(config.min_delay);
    let n_devices = dice.range(2, 4) as usize;
    let n_controllers = dice.range(2, 3) as usize;
    let end = options
        .duration
        .unwrap_or_else(|| Duration::from_secs(dice.range(240, 600)));
    env.log(|| {
        format!(
            "seed {seed}: {n_devices} devices, {n_controllers} homes, links {config:?}, \
             {protect:?}, workload {end:?}, fault {}",
            options.fault.name()
        )
    });
    let devices: Vec<SimDevice> = (0..n_devices)
        .map(|i| {
            let kind = match i {
                0 => DeviceKind::Lamp,
                1 => DeviceKind::Lock,
                _ if dice.chance(500) => DeviceKind::Lamp,
                _ => DeviceKind::Lock,
            };
            SimDevice::new(&mut env, i, kind, store_for(options.fault))
        })
        .collect();
    let controllers: Vec<SimController> = (0..n_controllers)
        .map(|i| SimController::new(&mut env, i))
        .collect();
    let next_action = (0..n_controllers).map(|_| dice.millis(100, 2000)).collect();
    let next_restart = (0..n_devices)
        .map(|_| Duration::from_secs(dice.range(20, 120)))
        .collect();
    let mut w = World {
        env,
        net: Network::new(config),
        devices,
        controllers,
        next_action,
        next_restart,
        down_until: vec![None; n_devices],
        window_hint: vec![Duration::ZERO; n_devices],
        device_ticked: vec![None; n_devices],
        controller_ticked: vec![None; n_controllers],
        next_partition: Duration::from_secs(dice.range(10, 60)),
        next_replay: dice.millis(500, 3000),
        next_move: Duration::from_secs(dice.range(5, 30)),
        end,
        dice,
    };
    let steps = w.run_loop();
    let stats = w.env.oracle.stats.clone();
    Outcome {
        seed,
        violation: w.env.oracle.violation().map(str::to_owned),
        trace: w.env.trace.lines().to_vec(),
        stats,
        steps,
        virtual_time: w.env.now,
    }
}

impl World {
    fn run_loop(&mut self) -> u64 {
        let mut steps = 0u64;
        let mut same = 0u64;
        let stop = self.end + DRAIN;
        loop {
            steps += 1;
            if steps > STEP_LIMIT {
                self.env
                    .oracle
                    .violate(format!("step limit: more than {STEP_LIMIT} steps"));
                break;
            }
            let Some(t) = self.next_time() else { break };
            if t > stop {
                break;
            }
            let t = t.max(self.env.now);
            if t == self.env.now {
                same += 1;
                if same > SAME_INSTANT_LIMIT {
                    self.env.oracle.violate(format!(
                        "livelock: {SAME_INSTANT_LIMIT} steps without time moving"
                    ));
                    break;
                }
            } else {
                same = 0;
            }
            self.env.now = t;
            self.step();
            self.env.oracle.check_liveness(self.env.now);
            if self.env.oracle.violation().is_some() {
                return steps;
            }
        }
        self.env.now = self.env.now.max(stop);
        for d in &self.devices {
            if d.is_up() {
                self.env
                    .oracle
                    .subs_ended(d.index, None, self.env.now, DEFAULT_EVENT_BUFFER);
            }
        }
        if self.env.oracle.open_ops() > 0 {
            self.env.oracle.check_liveness(self.env.now + DRAIN);
        }
        steps
    }

    fn workload_on(&self) -> bool {
        self.env.now < self.end
    }

    fn next_time(&self) -> Option<Duration> {
        let env = &self.env;
        let mut t: Vec<Duration> = Vec::new();
        t.extend(self.net.next_arrival());
        let after = |at: Duration, ticked: Option<Duration>| match ticked {
            Some(last) if at <= last => last + Duration::from_millis(1),
            _ => at,
        };
        for (d, ticked) in self.devices.iter().zip(&self.device_ticked) {
            t.extend(
                d.poll_timeout(env.fault)
                    .map(|i| after(env.since(i), *ticked)),
            );
        }
        for (c, ticked) in self.controllers.iter().zip(&self.controller_ticked) {
            t.extend(
                c.poll_timeout(env.fault)
                    .map(|i| after(env.since(i), *ticked)),
            );
        }
        t.extend(self.down_until.iter().flatten().copied());
        if self.workload_on() {
            t.extend(self.next_action.iter().copied());
            t.extend(self.next_restart.iter().copied());
            t.push(self.next_partition);
            t.push(self.next_replay);
            t.push(self.next_move);
        }
        t.into_iter().min()
    }

    fn flush(&mut self) {
        let now = self.env.now;
        for p in std::mem::take(&mut self.env.outbox) {
            let desc = describe(&p);
            match self.net.send(now, &mut self.dice, p.clone()) {
                Some(drop) => {
                    self.disrupt(p.from, p.to);
                    self.env.log(|| format!("{desc} -- {drop:?}"));
                }
                None => self.env.log(|| desc),
            }
        }
    }

    /// Something on the link between `a` and `b` was lost, cut or restarted.
    fn disrupt(&mut self, a: Addr, b: Addr) {
        let now = self.env.now;
        if let (Addr::Controller(c), Addr::Device(d)) | (Addr::Device(d), Addr::Controller(c)) =
            (a, b)
        {
            if let Some(c) = self.controllers.get_mut(c) {
                c.link(d).disrupted_at = now;
            }
        }
    }

    fn disrupt_device(&mut self, d: usize) {
        let now = self.env.now;
        for c in &mut self.controllers {
            c.link(d).disrupted_at = now;
        }
    }

    fn step(&mut self) {
        let now = self.env.now;
        while let Some(p) = self.net.deliver(now) {
            self.route(p);
            self.flush();
        }
        for i in 0..self.devices.len() {
            if self
                .down_until
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|t| t <= now)
            {
                if let Some(slot) = self.down_until.get_mut(i) {
                    *slot = None;
                }
                if let Some(d) = self.devices.get_mut(i) {
                    d.boot(&mut self.env);
                }
                self.flush();
            }
            let due = self
                .devices
                .get(i)
                .and_then(|d| d.poll_timeout(self.env.fault))
                .is_some_and(|t| self.env.since(t) <= now);
            let fresh = self.device_ticked.get(i).copied().flatten() != Some(now);
            if due && fresh {
                if let Some(slot) = self.device_ticked.get_mut(i) {
                    *slot = Some(now);
                }
                if let Some(d) = self.devices.get_mut(i) {
                    d.tick(&mut self.env);
                }
                self.flush();
            }
        }
        for i in 0..self.controllers.len() {
            let due = self
                .controllers
                .get(i)
                .and_then(|c| c.poll_timeout(self.env.fault))
                .is_some_and(|t| self.env.since(t) <= now);
            let fresh = self.controller_ticked.get(i).copied().flatten() != Some(now);
            if due && fresh {
                if let Some(slot) = self.controller_ticked.get_mut(i) {
                    *slot = Some(now);
                }
                if let Some(c) = self.controllers.get_mut(i) {
                    c.tick(&mut self.env);
                }
                self.flush();
            }
        }
        if !self.workload_on() {
            return;
        }
        for i in 0..self.controllers.len() {
            if self.next_action.get(i).is_some_and(|t| *t <= now) {
                let next = now + self.dice.millis(300, 4000);
                if let Some(slot) = self.next_action.get_mut(i) {
                    *slot = next;
                }
                self.act(i);
                self.flush();
            }
        }
        for i in 0..self.devices.len() {
            if self.next_restart.get(i).is_some_and(|t| *t <= now) {
                let next = now + Duration::from_secs(self.dice.range(30, 180));
                let down = self.dice.millis(50, 5000);
                if let Some(slot) = self.next_restart.get_mut(i) {
                    *slot = next;
                }
                if let Some(d) = self.devices.get_mut(i) {
                    if d.is_up() {
                        d.crash(&mut self.env);
                        if let Some(slot) = self.down_until.get_mut(i) {
                            *slot = Some(now + down);
                        }
                    }
                }
                self.disrupt_device(i);
            }
        }
        if self.next_partition <= now {
            self.next_partition = now + Duration::from_secs(self.dice.range(10, 60));
            let c = self.dice.pick(self.controllers.len()).unwrap_or(0);
            let d = self.dice.pick(self.devices.len()).unwrap_or(0);
            let until = now + self.dice.millis(500, 30_000);
            self.net.partition(c, d, until);
            self.disrupt(Addr::Controller(c), Addr::Device(d));
            self.env.log(|| {
                format!(
                    "partition c{c} | d{d} until {}",
                    crate::trace::fmt_time(until)
                )
            });
        }
        if self.next_replay <= now {
            self.next_replay = now + self.dice.millis(200, 3000);
            if let Some(p) = self.net.inject_replay(now, &mut self.dice) {
                self.env.oracle.stats.replays_injected += 1;
                self.env
                    .log(|| format!("adversary replays {}", describe(&p)));
            }
        }
        if self.next_move <= now {
            self.next_move = now + Duration::from_secs(self.dice.range(5, 30));
            let d = self.dice.pick(self.devices.len()).unwrap_or(0);
            let pick = self.dice.u64();
            if let Some(dev) = self.devices.get_mut(d) {
                dev.move_session(&mut self.env, pick);
            }
            let c = self.dice.pick(self.controllers.len()).unwrap_or(0);
            let d = self.dice.pick(self.devices.len()).unwrap_or(0);
            if let Some(ctl) = self.controllers.get_mut(c) {
                ctl.move_session(&mut self.env, d);
            }
        }
    }

    fn route(&mut self, p: Packet) {
        let Packet {
            from,
            to,
            kind,
            bytes,
            meta,
        } = p;
        match (from, to) {
            (_, Addr::Device(d)) => match self.devices.get_mut(d) {
                Some(dev) if dev.is_up() => dev.receive(&mut self.env, from, kind, bytes, &meta),
                _ => self.disrupt(from, to),
            },
            (Addr::Device(d), Addr::Controller(c)) => {
                if let Some(ctl) = self.controllers.get_mut(c) {
                    ctl.receive(&mut self.env, d, kind, bytes, &meta);
                }
            }
            _ => {}
        }
    }

    /// One workload action of controller `c`.
    fn act(&mut self, c: usize) {
        let Some(d) = self.dice.pick(self.devices.len()) else {
            return;
        };
        let now = self.env.now;
        let Some(dev) = self.devices.get(d) else {
            return;
        };
        let (up, kind, passcode, homes) = (dev.is_up(), dev.kind, dev.passcode, dev.homes());
        let Some(ctl) = self.controllers.get_mut(c) else {
            return;
        };
        let link = ctl.link(d);
        if link.busy() {
            return;
        }
        let (paired, session, in_flight, probe, subs) = (
            link.paired(),
            link.has_session(),
            link.in_flight(),
            link.can_probe(),
            link.subscriptions(),
        );
        let hint = self.window_hint.get(d).is_some_and(|t| *t > now);
        let others_unpaired = self
            .controllers
            .iter()
            .any(|o| o.index != c && !o.links.get(&d).is_some_and(|l| l.paired()));
        let Some(ctl) = self.controllers.get_mut(c) else {
            return;
        };
        if !paired {
            if probe && self.dice.chance(400) {
                ctl.connect(&mut self.env, d, true, None);
            } else if up && (homes.is_empty() || hint || self.dice.chance(10)) {
                ctl.pair(&mut self.env, d, passcode);
            }
            return;
        }
        if !session {
            ctl.connect(&mut self.env, d, false, None);
            return;
        }
        if in_flight >= 3 {
            return;
        }
        let roll = self.dice.below(100);
        let request = match roll {
            0..=14 => Request::Read,
            15..=44 if kind == DeviceKind::Lamp => {
                let attrs = tracked(kind);
                let pick = self.dice.pick(attrs.len()).unwrap_or(0);
                let Some((attr, _)) = attrs.get(pick).cloned() else {
                    return;
                };
                if self.env.oracle.attr_busy(d, attr) {
                    Request::Read
                } else if attr.capability == on_off::ID && self.dice.chance(500) {
                    let on = self.dice.chance(500);
                    let cmd = if on {
                        on_off::commands::ON
                    } else {
                        on_off::commands::OFF
                    };
                    Request::Invoke(
                        CommandPath::new(EndpointId(1), on_off::ID, cmd),
                        Data::Struct(vec![]),
                        Some((attr, Data::Bool(on))),
                    )
                } else if attr.capability == on_off::ID {
                    Request::Write(
                        attr,
                        Data::Bool(self.dice.chance(500)),
                        self.dice.chance(200),
                    )
                } else {
                    Request::Write(
                        attr,
                        Data::Uint(self.dice.range(1, 254)),
                        self.dice.chance(200),
                    )
                }
            }
            15..=44 => {
                let cmd = if self.dice.chance(500) {
                    door_lock::commands::LOCK_DOOR
                } else {
                    door_lock::commands::UNLOCK_DOOR
                };
                Request::Timed(
                    CommandPath::new(EndpointId(1), door_lock::ID, cmd),
                    Data::Struct(vec![]),
                )
            }
            45..=59 if subs < 2 => {
                let min_s = self.dice.range(0, 3) as u32;
                Request::Subscribe {
                    min_s,
                    max_s: min_s + self.dice.range(2, 30) as u32,
                }
            }
            60..=63 if subs > 0 => Request::Unsubscribe,
            64..=67 => Request::Describe,
            68..=71 => {
                ctl.drop_session(&mut self.env, d);
                return;
            }
            72..=77 if others_unpaired => {
                if let Some(h) = self.window_hint.get_mut(d) {
                    *h = now + Duration::from_secs(170);
                }
                Request::OpenWindow
            }
            78 => Request::Unpair,
            _ => Request::Read,
        };
        ctl.request(&mut self.env, d, request);
    }
}

fn describe(p: &Packet) -> String {
    let what = if p.meta.what.is_empty() {
        format!("{:?}", p.kind).to_lowercase()
    } else {
        p.meta.what.clone()
    };
    format!(
        "{} -> {} {what} #{}{} ({} bytes)",
        p.from,
        p.to,
        p.meta.uid,
        if p.meta.replay { " REPLAY" } else { "" },
        p.bytes.len()
    )
}
