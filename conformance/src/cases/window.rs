//! The administrator's pairing-window commands as the pairing and commissioning cases use
//! them `[ACL-10]`, `[PAIR-31]`: a case that needs the window opens it deliberately (which
//! also resets the failed-attempt count and any back-off, so cases do not depend on each
//! other's order) and closes it again at the end, leaving the window as the probe left it:
//! closed, after the suite's own pairing `[PAIR-29]`.

use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use orbit_core::interaction::{ClientEvent, CommandPath};
use orbit_core::model::{std_caps, CommandId, Data, EndpointId};
use orbit_core::status::Status;

/// The window duration cases ask for: the smallest [ACL-10] allows.
pub(crate) const WINDOW_SECS: u64 = 180;

/// Invokes `administration` commands in order in one session as the suite's administrator
/// and returns the device's answers (each command's result or status).
pub(crate) async fn admin_commands(
    ctx: &mut Ctx,
    commands: &[(CommandId, Data, bool)],
) -> Result<Vec<Result<Data, Status>>, Failure> {
    let mut s = ctx.admin_session().await?;
    let mut answers = Vec::new();
    for (command, args, timed) in commands {
        let path = CommandPath::new(EndpointId::ROOT, std_caps::administration::ID, *command);
        match s.invoke(path, args.clone(), *timed).await {
            Ok(ClientEvent::Invoked { result, .. }) => answers.push(result),
            Ok(other) => {
                s.conn().close();
                return Err(Failure::Inconclusive(format!(
                    "{other:?} instead of the answer to an administration command"
                )));
            }
            Err(e) => {
                s.conn().close();
                return Err(Failure::Inconclusive(format!(
                    "the administration command went unanswered: {e}"
                )));
            }
        }
    }
    s.conn().close();
    Ok(answers)
}

/// Invokes one `administration` command as the suite's administrator.
pub(crate) async fn admin_command(
    ctx: &mut Ctx,
    command: CommandId,
    args: Data,
    timed: bool,
) -> Result<Result<Data, Status>, Failure> {
    admin_commands(ctx, &[(command, args, timed)])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::Inconclusive("no answer to the administration command".into()))
}

/// `close-pairing-window` as administrator; INCONCLUSIVE unless it succeeds.
pub(crate) async fn close(ctx: &mut Ctx) -> Result<(), Failure> {
    all_succeed(ctx, &[close_command()]).await
}

/// `open-pairing-window` for `secs` as administrator: the device's answer.
pub(crate) async fn open(ctx: &mut Ctx, secs: u64) -> Result<Result<Data, Status>, Failure> {
    let (command, args, timed) = open_command(secs);
    admin_command(ctx, command, args, timed).await
}

fn close_command() -> (CommandId, Data, bool) {
    use std_caps::administration::commands::CLOSE_PAIRING_WINDOW;
    (CLOSE_PAIRING_WINDOW, Data::Struct(Vec::new()), true)
}

fn open_command(secs: u64) -> (CommandId, Data, bool) {
    use std_caps::administration::commands::OPEN_PAIRING_WINDOW;
    (
        OPEN_PAIRING_WINDOW,
        Data::Struct(vec![(0, Data::Uint(secs))]),
        true,
    )
}

/// Runs `commands` and requires every one to succeed (INCONCLUSIVE otherwise: the case's
/// set-up failed, not the rule it observes).
async fn all_succeed(ctx: &mut Ctx, commands: &[(CommandId, Data, bool)]) -> Result<(), Failure> {
    for (i, answer) in admin_commands(ctx, commands).await?.into_iter().enumerate() {
        if let Err(s) = answer {
            return Err(Failure::Inconclusive(format!(
                "pairing-window command {} of {} as administrator answered {s}",
                i + 1,
                commands.len()
            )));
        }
    }
    Ok(())
}

/// Closes the window and opens it again for [`WINDOW_SECS`]: a deliberate opening, which
/// leaves no back-off and a failed-attempt count of 0 `[PAIR-27]`, `[PAIR-31]`.
pub(crate) async fn fresh(ctx: &mut Ctx) -> Result<(), Failure> {
    ctx.note("administrator: close-pairing-window, open-pairing-window (a deliberate opening)");
    all_succeed(ctx, &[close_command(), open_command(WINDOW_SECS)]).await
}

/// After a case's body: closes the window whatever happened, so the device is left as the
/// case found it. The body's verdict wins; a failure to close is reported only when the
/// body passed.
pub(crate) async fn closing_after(ctx: &mut Ctx, outcome: Outcome) -> Outcome {
    let closed = close(ctx).await;
    outcome.and(closed)
}

/// After a case's body that counted failed attempts: a deliberate opening (which clears
/// them and any back-off, `[PAIR-27]`) and then a close, in one administrator session.
pub(crate) async fn clearing_after(ctx: &mut Ctx, outcome: Outcome) -> Outcome {
    ctx.note("administrator: clear the failed attempts (close, open) and close the window");
    let cleared = all_succeed(
        ctx,
        &[close_command(), open_command(WINDOW_SECS), close_command()],
    )
    .await;
    outcome.and(cleared)
}
