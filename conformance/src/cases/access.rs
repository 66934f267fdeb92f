//! Access control (15-access-control): each privilege against each operation, edits of the
//! access control list, and a second home's controller limited to its own home. The suite's
//! administrator grants extra members of its home privileges by writing `acl` `[ACL-7]`, and
//! puts the list back afterwards.

use super::data_model::acl::{acl_path, entry, read_acl, target, write_acl};
use super::data_model::reads::{read, read_one};
use super::data_model::schema::{
    declared_attributes, instances, out_of_range, sample_fields, wrong_shape,
};
use super::data_model::subscriptions;
use super::data_model::wire;
use super::data_model::writes::write;
use crate::case::{check, Case, Failure, Group, Outcome};
use crate::context::Ctx;
use crate::controller::{commission, PaseError, Session, SuiteHome};
use crate::transport::BoxFuture;
use orbit_core::cert::HomeMembership;
use orbit_core::crypto::SeededRandom;
use orbit_core::interaction::{
    AttributePath, ClientEvent, CommandPath, ConcreteAttribute, EventPath, Message, ReadRequest,
    SubscribeRequest, WriteRequest,
};
use orbit_core::model::{std_caps, Data, EndpointId, Privilege};
use orbit_core::status::Status;

/// The access cases.
pub(crate) const CASES: &[Case] = &[
    Group::Access.must(
        "access.privileges",
        "each privilege allows exactly the reads, writes and invokes it covers; others answer access-denied; targets limit an entry",
        &["ACL-3", "ACL-4", "ACL-5", "IM-70", "IM-21", "IM-30"],
        privileges,
    ),
    Group::Access.must(
        "access.acl-edits",
        "acl writes with another home's entry, empty targets, an empty target, no whole-device administrator or too many entries are refused; a valid edit reads back in order",
        &["ACL-7", "IM-24", "DM-17"],
        acl_edits,
    ),
    Group::Access.must(
        "access.second-home",
        "a home commissioned through the administrator's pairing window gets one administrator, sees and edits only its own entries, and can be removed",
        &["ACL-10", "ACL-11", "ACL-6", "ACL-7", "ACL-8", "ACL-13", "ACL-14", "ACL-9", "IM-53", "IM-60", "IM-66"],
        second_home,
    ),
];

/// A random source for what a case makes outside its context's (homes, members), seeded
/// from the case's seed so a run replays.
fn side_rng(ctx: &Ctx) -> SeededRandom {
    SeededRandom::new(ctx.seed() ^ 0xacc3_55ed)
}

/// A new member of the suite's home, without any ACL entry yet.
async fn new_member(ctx: &Ctx) -> Result<HomeMembership, Failure> {
    let mut rng = side_rng(ctx);
    let mut home = ctx.home().await;
    home.issue_member(&mut rng)
        .map_err(|e| Failure::Inconclusive(format!("issuing a member: {e}")))
}

/// A session as `who` on a new connection; failing to get one is INCONCLUSIVE here (the
/// sessions group judges session setup).
async fn session_as(ctx: &mut Ctx, who: &HomeMembership) -> Result<Session, Failure> {
    let conn = ctx.connect().await?;
    ctx.session_as(&conn, who)
        .await
        .map_err(|e| Failure::Inconclusive(format!("a session as node {:#x}: {e}", who.node_id())))
}

/// Writes `entries` as the acl and requires the answer `status` `[ACL-7]` (`what` says what
/// is expected).
async fn expect_acl_write(
    s: &mut Session,
    entries: Vec<Data>,
    status: Status,
    what: &str,
) -> Outcome {
    let st = write_acl(s, entries, "ACL-7").await?;
    check(st == status, "ACL-7", what, || st.to_string())
}

/// Writes the ACL as the administrator and requires success.
async fn set_acl(admin: &mut Session, entries: Vec<Data>) -> Outcome {
    let st = write_acl(admin, entries.clone(), "ACL-7").await?;
    check(
        st == Status::SUCCESS,
        "ACL-7",
        "the administrator's acl write succeeds",
        || format!("{st} for {entries:?}"),
    )
}

/// A probe of one operation: what it is, the privilege it needs, and how to run it.
enum Probe {
    /// Write the attribute's current value (no change when allowed).
    Write {
        path: ConcreteAttribute,
        value: Data,
        timed: bool,
        needs: Privilege,
        name: String,
    },
    /// Invoke with arguments the argument check refuses (nothing runs when allowed): the
    /// status it then gives.
    Invoke {
        path: CommandPath,
        args: Data,
        timed: bool,
        needs: Privilege,
        allowed: Status,
        name: String,
    },
}

impl Probe {
    fn describe(&self) -> String {
        match self {
            Probe::Write { name, needs, .. } => format!("write {name} ({})", needs.name()),
            Probe::Invoke { name, needs, .. } => format!("invoke {name} ({})", needs.name()),
        }
    }
}

/// One writable attribute per write privilege and one command per privilege that takes
/// arguments, from the descriptor and schemas.
async fn probes(ctx: &Ctx, admin: &mut Session) -> Result<Vec<Probe>, Failure> {
    let mut out = Vec::new();
    let mut seen_w = Vec::new();
    for d in declared_attributes(ctx.facts()) {
        let Some(a) = d.schema else { continue };
        if !a.access.write || !a.access.read || seen_w.contains(&a.write_privilege) {
            continue;
        }
        let value = read_one(admin, d.path, "ACL-4").await?;
        seen_w.push(a.write_privilege);
        out.push(Probe::Write {
            path: d.path,
            value,
            timed: a.timed,
            needs: a.write_privilege,
            name: a.name,
        });
    }
    let mut seen_c = Vec::new();
    for (ep, inst, schema) in instances(ctx.facts()) {
        let Some(schema) = schema else { continue };
        for c in inst.commands.iter().filter_map(|c| schema.command(*c)) {
            if seen_c.contains(&c.privilege) || c.args.is_empty() {
                continue;
            }
            let Some(Data::Struct(valid)) = sample_fields(&c.args) else {
                continue;
            };
            let mut fields: Vec<_> = c.args.iter().collect();
            fields.sort_by_key(|f| f.id.0);
            let Some(first) = fields.first() else {
                continue;
            };
            let (bad, allowed) = match out_of_range(&first.ty) {
                Some(v) => (v, Status::CONSTRAINT_ERROR),
                None => (wrong_shape(&first.ty), Status::INVALID_DATA_TYPE),
            };
            let mut f: Vec<(u8, Data)> = valid
                .into_iter()
                .filter(|(k, _)| *k != first.id.0)
                .collect();
            f.push((first.id.0, bad));
            seen_c.push(c.privilege);
            out.push(Probe::Invoke {
                path: CommandPath::new(ep, inst.id, c.id),
                args: Data::structure(f),
                timed: c.timed,
                needs: c.privilege,
                allowed,
                name: c.name.clone(),
            });
        }
    }
    Ok(out)
}

/// Runs each probe as `member`, who holds `held`, and checks allowed or `access-denied`.
async fn run_probes(member: &mut Session, held: Privilege, probes: &[Probe]) -> Outcome {
    for p in probes {
        match p {
            Probe::Write {
                path,
                value,
                timed,
                needs,
                name,
            } => {
                let st = write(member, vec![(*path, value.clone())], *timed, "IM-21").await?;
                let want = if held >= *needs {
                    Status::SUCCESS
                } else {
                    Status::ACCESS_DENIED
                };
                check(
                    st == [want],
                    "ACL-4",
                    format!(
                        "writing {name} (needs {}) with {}: {want}",
                        needs.name(),
                        held.name()
                    ),
                    || format!("{st:?}"),
                )?;
            }
            Probe::Invoke {
                path,
                args,
                timed,
                needs,
                allowed,
                name,
            } => {
                let r = member.invoke(*path, args.clone(), *timed).await;
                let want = if held >= *needs {
                    *allowed
                } else {
                    Status::ACCESS_DENIED
                };
                check(
                    matches!(&r, Ok(ClientEvent::Invoked { result: Err(st), .. }) if *st == want),
                    "ACL-4",
                    format!(
                        "invoking {name} (needs {}) with {}: {want}",
                        needs.name(),
                        held.name()
                    ),
                    || format!("{r:?}"),
                )?;
            }
        }
    }
    Ok(())
}

fn privileges(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let home = ctx.home().await.home_id();
        let member = new_member(ctx).await?;
        let node = member.node_id();
        let mut admin = ctx.admin_session().await?;
        let original = read_acl(&mut admin, "ACL-7").await?;
        let probes = probes(ctx, &mut admin).await?;
        ctx.note(format!(
            "operations probed: {}",
            probes
                .iter()
                .map(Probe::describe)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let outcome = async {
            let mut m = session_as(ctx, &member).await?;
            let label = ConcreteAttribute::new(
                EndpointId::ROOT,
                std_caps::basic_information::ID,
                std_caps::basic_information::attributes::NODE_LABEL,
            );
            // Without an entry: no describe, no read [IM-70], [ACL-3].
            let (exchange, described) =
                wire::request(&mut m, "describe-request", Message::DescribeRequest).await?;
            check(
                described.status_response() == Some((exchange, Status::ACCESS_DENIED)),
                "IM-70",
                "status-response access-denied to describe without any entry",
                || described.describe(),
            )?;
            let got = read(&mut m, vec![label.path()], "ACL-3").await?;
            check(
                got.first().map(|r| r.result.clone()) == Some(Err(Status::ACCESS_DENIED)),
                "ACL-3",
                "access-denied for a read without any entry",
                || format!("{got:?}"),
            )?;
            for held in [Privilege::View, Privilege::Operate, Privilege::Manage] {
                let mut acl = original.clone();
                acl.push(entry(home, node, held, None));
                set_acl(&mut admin, acl).await?;
                ctx.note(format!("node {node:#x} holds {}", held.name()));
                m.describe().await.map_err(|e| {
                    Failure::fail("ACL-4", format!("describe with {}", held.name()), e)
                })?;
                let got = read(&mut m, vec![label.path()], "ACL-4").await?;
                check(
                    got.first().is_some_and(|r| r.result.is_ok()),
                    "ACL-4",
                    format!("a read with {}", held.name()),
                    || format!("{got:?}"),
                )?;
                run_probes(&mut m, held, &probes).await?;
            }
            // An entry limited to one endpoint: wildcards skip the rest, concrete paths
            // elsewhere are denied, describe is still allowed [ACL-3], [ACL-5], [ACL-4].
            let other = ctx
                .facts()
                .descriptor
                .endpoints
                .iter()
                .map(|e| e.id)
                .find(|e| *e != EndpointId::ROOT);
            if let Some(ep) = other {
                let mut acl = original.clone();
                acl.push(entry(
                    home,
                    node,
                    Privilege::Operate,
                    Some(vec![target(Some(ep.0), None)]),
                ));
                set_acl(&mut admin, acl).await?;
                let all = read(&mut m, vec![AttributePath::ALL], "ACL-5").await?;
                check(
                    !all.is_empty()
                        && all
                            .iter()
                            .all(|r| r.path.endpoint == ep && r.result.is_ok()),
                    "ACL-5",
                    format!(
                        "a wildcard read reports only endpoint {}, without statuses",
                        ep.0
                    ),
                    || format!("{all:?}"),
                )?;
                let got = read(&mut m, vec![label.path()], "ACL-5").await?;
                check(
                    got.first().map(|r| r.result.clone()) == Some(Err(Status::ACCESS_DENIED)),
                    "ACL-5",
                    "access-denied for a concrete path outside the entry's targets",
                    || format!("{got:?}"),
                )?;
                m.describe().await.map_err(|e| {
                    Failure::fail("ACL-4", "describe with an entry limited by targets", e)
                })?;
            }
            m.conn().close();
            Outcome::Ok(())
        }
        .await;
        let restored = write_acl(&mut admin, original.clone(), "ACL-7").await;
        admin.conn().close();
        outcome?;
        check(
            matches!(restored, Ok(Status::SUCCESS)),
            "ACL-7",
            "the acl restored",
            || format!("{restored:?}"),
        )
    })
}

fn acl_edits(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let home = ctx.home().await.home_id();
        let admin_node = ctx.admin().await.node_id();
        let mut admin = ctx.admin_session().await?;
        let original = read_acl(&mut admin, "ACL-7").await?;
        let subject = 0x7e57_1000u64;
        let with = |extra: Data| {
            let mut l = original.clone();
            l.push(extra);
            l
        };
        let refused: Vec<(Vec<Data>, &str)> = vec![
            (
                with(entry(home.wrapping_add(1), subject, Privilege::View, None)),
                "an entry of another home",
            ),
            (
                with(entry(home, subject, Privilege::View, Some(Vec::new()))),
                "an empty targets list",
            ),
            (
                with(entry(
                    home,
                    subject,
                    Privilege::View,
                    Some(vec![target(None, None)]),
                )),
                "a target with neither endpoint nor capability",
            ),
            // Administer limited to endpoint 0 (so a device that wrongly took it still
            // leaves the suite able to put the list back).
            (
                vec![entry(
                    home,
                    admin_node,
                    Privilege::Administer,
                    Some(vec![target(Some(0), None)]),
                )],
                "no administer entry without targets",
            ),
            (
                (0..33)
                    .map(|i| entry(home, subject + i, Privilege::View, None))
                    .chain([entry(home, admin_node, Privilege::Administer, None)])
                    .collect(),
                "34 entries (more than 32)",
            ),
        ];
        let mut outcome = Ok(());
        for (list, what) in refused {
            let st = write_acl(&mut admin, list, "ACL-7").await?;
            let now = read_acl(&mut admin, "ACL-7").await?;
            if now != original {
                let _ = write_acl(&mut admin, original.clone(), "ACL-7").await;
            }
            if outcome.is_ok() {
                outcome = check(
                    st == Status::CONSTRAINT_ERROR && now == original,
                    "ACL-7",
                    format!("constraint-error and no change for {what}"),
                    || format!("{st}, acl now {now:?}"),
                );
            }
        }
        // [IM-24] acl cannot be written atomically.
        if outcome.is_ok() {
            let r = admin
                .write(WriteRequest::new(vec![(acl_path(), Data::List(original.clone()))]).atomic())
                .await;
            outcome = check(
                matches!(&r, Ok(ClientEvent::Written { statuses, .. }) if statuses.iter().map(|p| p.status).eq([Status::UNSUPPORTED_ACCESS])),
                "IM-24",
                "unsupported-access for an atomic write of acl",
                || format!("{r:?}"),
            );
        }
        // [DM-17] a field the entry's schema does not define is ignored and not stored.
        if outcome.is_ok() {
            let plain = entry(home, subject, Privilege::View, None);
            let fields = vec![
                (0, Data::Uint(home)),
                (1, Data::Uint(subject)),
                (2, Data::Uint(Privilege::View.code())),
                (9, Data::Text("unknown".into())),
            ];
            let st = write_acl(&mut admin, with(Data::Struct(fields)), "DM-17").await?;
            let now = read_acl(&mut admin, "DM-17").await?;
            outcome = check(
                st == Status::SUCCESS && now == with(plain),
                "DM-17",
                "an entry with an unknown field 9 is stored without it",
                || format!("{st}, {now:?}"),
            );
        }
        // A valid edit reads back as written, in order.
        if outcome.is_ok() {
            let cap = ctx
                .facts()
                .descriptor
                .endpoints
                .iter()
                .flat_map(|e| e.capabilities.iter().map(|c| c.id.0))
                .last()
                .unwrap_or(1);
            let edited = with(entry(
                home,
                subject,
                Privilege::Operate,
                Some(vec![target(Some(0), Some(cap)), target(None, Some(cap))]),
            ));
            let st = write_acl(&mut admin, edited.clone(), "ACL-7").await?;
            let now = read_acl(&mut admin, "ACL-7").await?;
            outcome = check(
                st == Status::SUCCESS && now == edited,
                "ACL-7",
                "a valid acl write succeeds and reads back as written, in order",
                || format!("{st}, {now:?}"),
            );
        }
        let restored = write_acl(&mut admin, original.clone(), "ACL-7").await;
        admin.conn().close();
        outcome?;
        check(
            matches!(restored, Ok(Status::SUCCESS)),
            "ACL-7",
            "the acl restored",
            || format!("{restored:?}"),
        )
    })
}

/// The `homes` attribute as a list of home IDs.
async fn homes(s: &mut Session, rule: &'static str) -> Result<Vec<u64>, Failure> {
    use std_caps::administration::{attributes::HOMES, ID};
    match read_one(s, ConcreteAttribute::new(EndpointId::ROOT, ID, HOMES), rule).await? {
        Data::List(items) => Ok(items
            .iter()
            .filter_map(|h| h.field(0).and_then(Data::as_u64))
            .collect()),
        other => Err(Failure::fail(rule, "homes as a list", format!("{other:?}"))),
    }
}

async fn remove_home(s: &mut Session, home: u64) -> Result<Result<Data, Status>, Failure> {
    use std_caps::administration::{commands::REMOVE_HOME, ID};
    let r = s
        .invoke(
            CommandPath::new(EndpointId::ROOT, ID, REMOVE_HOME),
            Data::Struct(vec![(0, Data::Uint(home))]),
            false,
        )
        .await;
    match r {
        Ok(ClientEvent::Invoked { result, .. }) => Ok(result),
        other => Err(Failure::fail(
            "ACL-9",
            "an invoke-response to remove-home",
            format!("{other:?}"),
        )),
    }
}

fn second_home(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let home1 = ctx.home().await.home_id();
        let mut admin = ctx.admin_session().await?;
        // Open the window (a window another case left open will do: busy), then a second
        // opening while it is open is busy [ACL-10], [ACL-11].
        use std_caps::administration::{commands::OPEN_PAIRING_WINDOW, ID as ADMIN};
        let open = CommandPath::new(EndpointId::ROOT, ADMIN, OPEN_PAIRING_WINDOW);
        let args = Data::Struct(vec![(0, Data::Uint(180))]);
        let first = admin.invoke(open, args.clone(), true).await;
        let opened = match &first {
            Ok(ClientEvent::Invoked { result: Ok(_), .. }) => true,
            Ok(ClientEvent::Invoked {
                result: Err(st), ..
            }) if *st == Status::BUSY => false,
            other => {
                admin.conn().close();
                return Err(Failure::fail(
                    "ACL-11",
                    "success (or busy when already open) for open-pairing-window",
                    format!("{other:?}"),
                ));
            }
        };
        ctx.note(if opened {
            "the administrator opened the pairing window"
        } else {
            "the pairing window was already open"
        });
        let again = admin.invoke(open, args, true).await;
        let busy = check(
            matches!(&again, Ok(ClientEvent::Invoked { result: Err(st), .. }) if *st == Status::BUSY),
            "ACL-11",
            "busy for open-pairing-window while the window is open",
            || format!("{again:?}"),
        );
        let acl1 = read_acl(&mut admin, "ACL-7").await?;
        let mut rng = side_rng(ctx);
        let conn = ctx.connect().await?;
        // A back-off another case's failed attempt left running ends by itself: wait it out
        // once [PAIR-35]; a transport failure is the harness's.
        let passcode = ctx.facts().setup.passcode();
        let mut attempt = ctx.pase(&conn, passcode).await;
        if let Err(PaseError::Status {
            status,
            retry_after: Some(secs),
            ..
        }) = &attempt
        {
            if *status == Status::PAIRING_BACKOFF && *secs <= 30 {
                ctx.note(format!(
                    "pairing back-off of {secs} s from an earlier attempt: waiting it out"
                ));
                tokio::time::sleep(std::time::Duration::from_secs(u64::from(*secs) + 1)).await;
                attempt = ctx.pase(&conn, passcode).await;
            }
        }
        let keys = match attempt {
            Ok(k) => k,
            Err(PaseError::Transport { error, .. }) => {
                admin.conn().close();
                return Err(Failure::from(error));
            }
            Err(e) => {
                admin.conn().close();
                return Err(Failure::fail(
                    "ACL-10",
                    "PASE with the setup code while the administrator's window is open",
                    e.to_string(),
                ));
            }
        };
        let mut home2 =
            SuiteHome::create(&mut rng).map_err(|e| Failure::Inconclusive(e.to_string()))?;
        let vp = ctx.facts().setup.vendor_product();
        let commissioned = commission(&conn, &keys, ctx.trust(), vp, &mut home2, &mut rng).await;
        let node2 = match commissioned {
            Ok(c) => c.device.node_id,
            Err(e) => {
                conn.close();
                admin.conn().close();
                return Err(Failure::fail(
                    "ACL-10",
                    "a second home commissions through the administrator's window",
                    e,
                ));
            }
        };
        let id2 = home2.home_id();
        let admin2 = home2.admin().clone();
        let outcome = async {
            busy?;
            let mut s2 = Session::open(&conn, &admin2, node2, None, &mut rng)
                .await
                .map_err(|e| {
                    Failure::fail(
                        "ACL-6",
                        "a session as the second home's administrator",
                        e.to_string(),
                    )
                })?;
            let acl2 = read_acl(&mut s2, "ACL-7").await?;
            let admin_entry = entry(id2, admin2.node_id(), Privilege::Administer, None);
            check(
                acl2 == [admin_entry.clone()],
                "ACL-6",
                "the second home sees exactly its one administer entry",
                || format!("{acl2:?}"),
            )?;
            let other_home = entry(home1, 0x7e57_2000, Privilege::View, None);
            expect_acl_write(
                &mut s2,
                vec![admin_entry.clone(), other_home],
                Status::CONSTRAINT_ERROR,
                "constraint-error for an entry of another home",
            )
            .await?;
            // The first home watches its acl while the second edits its own [ACL-14].
            let watch = subscriptions::granted_for(
                &mut admin,
                Message::SubscribeRequest(SubscribeRequest {
                    attributes: vec![acl_path().path()],
                    // Only access-control's events: a device's other events may come at any time.
                    events: vec![EventPath {
                        endpoint: Some(EndpointId::ROOT),
                        capability: Some(std_caps::access_control::ID),
                        event: None,
                    }],
                    event_min: None,
                    min_interval_s: 0,
                    max_interval_s: 60,
                }),
                0,
            )
            .await?;
            let own_home = entry(id2, 0x7e57_2001, Privilege::View, None);
            expect_acl_write(
                &mut s2,
                vec![admin_entry.clone(), own_home],
                Status::SUCCESS,
                "the second home edits its own entries",
            )
            .await?;
            let seen = admin.conn().recv_unsolicited(std::time::Duration::from_secs(1)).await;
            let _ = subscriptions::unsubscribe(&mut admin, watch.id).await;
            check(
                matches!(seen, Ok(None)),
                "ACL-14",
                "no report to the first home of the second home's acl change or its access-changed event",
                || format!("{seen:?}"),
            )?;
            // [IM-53] access-changed events reach only members of the home they name.
            let events = match s2
                .read(ReadRequest {
                    attributes: Vec::new(),
                    events: vec![EventPath::ALL],
                    event_min: None,
                })
                .await
            {
                Ok(ClientEvent::ReadDone { events, .. }) => events,
                other => {
                    return Err(Failure::fail(
                        "IM-53",
                        "the events the second home may read",
                        format!("{other:?}"),
                    ))
                }
            };
            use std_caps::access_control::{events::ACCESS_CHANGED, ID as AC};
            let foreign: Vec<_> = events
                .iter()
                .filter(|e| {
                    e.capability == AC
                        && e.event == ACCESS_CHANGED
                        && e.fields.field(0) != Some(&Data::Uint(id2))
                })
                .collect();
            check(
                foreign.is_empty(),
                "IM-53",
                "no access-changed event of another home",
                || format!("{foreign:?}"),
            )?;
            check(
                events
                    .iter()
                    .any(|e| e.capability == AC && e.event == ACCESS_CHANGED),
                "ACL-8",
                "the second home reads the access-changed event of its own acl write",
                || format!("{events:?}"),
            )?;
            let now1 = read_acl(&mut admin, "ACL-7").await?;
            check(
                now1 == acl1,
                "ACL-7",
                "the first home's acl unchanged by the second home's write",
                || format!("{now1:?}"),
            )?;
            let both = homes(&mut admin, "ACL-13").await?;
            check(
                both.contains(&home1) && both.contains(&id2),
                "ACL-13",
                "an administrator reads every home",
                || format!("{both:?}"),
            )?;
            // A member of the first home that does not administer sees only its home.
            let member = new_member(ctx).await?;
            let mut acl = acl1.clone();
            acl.push(entry(home1, member.node_id(), Privilege::View, None));
            set_acl(&mut admin, acl).await?;
            let mut m = session_as(ctx, &member).await?;
            let seen = homes(&mut m, "ACL-13").await?;
            let seen_acl = read_acl(&mut m, "ACL-7").await?;
            m.conn().close();
            set_acl(&mut admin, acl1.clone()).await?;
            check(
                seen == [home1],
                "ACL-13",
                "a requester without administer reads only its own home",
                || format!("{seen:?}"),
            )?;
            check(
                seen_acl
                    .iter()
                    .all(|e| e.field(0) == Some(&Data::Uint(home1))),
                "ACL-7",
                "a read of acl returns only the reader's home's entries",
                || format!("{seen_acl:?}"),
            )?;
            // [ACL-9] an unknown home is constraint-error; the second home removes itself.
            let unknown = (1u64..)
                .map(|k| id2 ^ (k << 8))
                .find(|h| !both.contains(h))
                .unwrap_or(1);
            let r = remove_home(&mut admin, unknown).await?;
            check(
                r == Err(Status::CONSTRAINT_ERROR),
                "ACL-9",
                "constraint-error for remove-home of a home the device is not in",
                || format!("{r:?}"),
            )?;
            // A subscription of the second home, which its removal ends [IM-66].
            let sub = subscriptions::granted(&mut s2, 0, 60).await?;
            let r = remove_home(&mut s2, id2).await?;
            check(r.is_ok(), "ACL-9", "the second home removes itself", || {
                format!("{r:?}")
            })?;
            let left = homes(&mut admin, "ACL-9").await?;
            check(
                !left.contains(&id2) && left.contains(&home1),
                "ACL-9",
                "the removed home is gone, the first stays",
                || format!("{left:?}"),
            )?;
            // A change the ended subscription would have reported at once (minimum
            // interval 0) must not reach it.
            let label = subscriptions::node_label();
            let before = read_one(&mut admin, label, "IM-66").await?;
            let other = Data::Text(
                if before == Data::Text("oc-gone".into()) {
                    "oc-gone-2"
                } else {
                    "oc-gone"
                }
                .into(),
            );
            write(&mut admin, vec![(label, other)], false, "IM-66").await?;
            let late = s2
                .conn()
                .recv_unsolicited(std::time::Duration::from_millis(1500))
                .await;
            write(&mut admin, vec![(label, before)], false, "IM-66").await?;
            check(
                !matches!(late, Ok(Some(_))),
                "IM-66",
                format!(
                    "no report for subscription {} after its home was removed",
                    sub.id
                ),
                || format!("{late:?}"),
            )?;
            Outcome::Ok(())
        }
        .await;
        // Leave no second home behind, whatever happened.
        if homes(&mut admin, "ACL-9")
            .await
            .is_ok_and(|h| h.contains(&id2))
        {
            let _ = remove_home(&mut admin, id2).await;
        }
        // Close the window this case opened, if commissioning left it open.
        use std_caps::administration::{
            attributes::PAIRING_WINDOW_OPEN, commands::CLOSE_PAIRING_WINDOW,
        };
        let still_open = read_one(
            &mut admin,
            ConcreteAttribute::new(EndpointId::ROOT, ADMIN, PAIRING_WINDOW_OPEN),
            "ACL-10",
        )
        .await;
        if opened && matches!(still_open, Ok(Data::Bool(true))) {
            let _ = admin
                .invoke(
                    CommandPath::new(EndpointId::ROOT, ADMIN, CLOSE_PAIRING_WINDOW),
                    Data::Struct(Vec::new()),
                    true,
                )
                .await;
        }
        conn.close();
        admin.conn().close();
        outcome
    })
}
