//! `irmer user …` and `irmer token …`: administration from the command
//! line, as self-hosted services do. Whoever can run these can read the
//! database anyway; each is written to the audit log with `--actor`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use irmer_store::accounts::{AccountStore, Accounts, Role};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user with a one-time password (printed once; they choose their
    /// own at first sign-in).
    Add {
        /// The sign-in name: lower-case letters, digits, dots, hyphens.
        name: String,
        /// reporter, investigator, adviser, administrator or auditor.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The department (its id or its name); without it, the whole
        /// organisation.
        #[arg(long)]
        department: Option<String>,
        /// The full name shown in the application.
        #[arg(long = "display-name")]
        display_name: Option<String>,
        /// Where reminders are sent (tasks due soon and overdue; to
        /// administrators, ARSAC licences due for renewal).
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a user's e-mail address for reminders, or take it away (no
    /// ADDRESS).
    Email {
        name: String,
        address: Option<String>,
    },
    /// Every user, with role, scope and state.
    List,
    /// Lift every sign-in lock on a username (from one address or all).
    Unlock { name: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a personal API token for a user and print it once.
    Create {
        /// The user the token acts as.
        name: String,
        /// What the token is for (shown in the audit log).
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// The tokens of one user, or of everyone: id, user, label, created,
    /// state (never the token itself, which is not kept).
    List {
        /// Only this user's tokens.
        name: Option<String>,
    },
    /// Revoke a token, by the id `irmer token list` shows.
    Revoke { id: i64 },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {text:?}; known: {}", known.join(", "))
    })
}

async fn department_id<A: AccountStore>(store: &A, text: &str) -> anyhow::Result<i64> {
    let departments = store.departments().await?;
    if let Ok(id) = text.parse::<i64>() {
        if departments.iter().any(|d| d.id == id) {
            return Ok(id);
        }
    }
    let named: Vec<_> = departments.iter().filter(|d| d.name == text).collect();
    match named.as_slice() {
        [one] => Ok(one.id),
        [] => {
            let known: Vec<String> = departments
                .iter()
                .map(|d| format!("{} ({})", d.id, d.name))
                .collect();
            bail!(
                "--department: no department {text:?}; known: {}",
                if known.is_empty() {
                    "none yet (add them in the web application's Administration page)".to_owned()
                } else {
                    known.join(", ")
                }
            )
        }
        _ => bail!("--department: several departments are called {text:?}; give its id"),
    }
}

pub async fn user<A: AccountStore>(
    store: A,
    command: UserCommand,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let accounts = Accounts::new(store.clone());
    let now = time::OffsetDateTime::now_utc();
    match command {
        UserCommand::Add {
            name,
            role,
            department,
            display_name,
            email,
        } => {
            let department = match department {
                Some(d) => Some(department_id(&store, &d).await?),
                None => None,
            };
            let (user, password) = accounts
                .add_user(
                    actor,
                    now,
                    irmer_store::accounts::Newcomer {
                        username: &name,
                        display_name: display_name.as_deref().unwrap_or_default(),
                        role,
                        department_id: department,
                        email: email.as_deref().unwrap_or_default(),
                    },
                )
                .await
                .context("cannot add the user")?;
            println!(
                "added {} as {}; one-time password (shown only now): {password}",
                user.username,
                user.role.as_str()
            );
        }
        UserCommand::Email { name, address } => {
            let Some(mut user) = store.user_by_name(&name).await? else {
                bail!("no user {name:?} (see `irmer user list`)");
            };
            user.email = irmer_store::accounts::check_email(address.as_deref().unwrap_or_default())
                .context("cannot set the e-mail address")?;
            store.update_user(&user).await?;
            accounts
                .audit(
                    now,
                    actor,
                    "user-email",
                    &format!(
                        "{} ({})",
                        user.username,
                        if user.email.is_some() {
                            "with an e-mail address"
                        } else {
                            "no e-mail address"
                        }
                    ),
                )
                .await?;
            println!(
                "{}: {}",
                user.username,
                user.email.as_deref().unwrap_or("no e-mail address")
            );
        }
        UserCommand::Unlock { name } => {
            let n = accounts
                .unlock(actor, &name, now)
                .await
                .context("cannot unlock")?;
            println!("{name}: {n} live locks lifted");
        }
        UserCommand::List => {
            let departments = store.departments().await?;
            let locks = store.locks(now).await?;
            println!(
                "{:<20} {:<14} {:<24} {:<18} E-MAIL",
                "USERNAME", "ROLE", "DEPARTMENT", "STATE"
            );
            for u in store.users().await? {
                let dept = u.department_id.map_or_else(
                    || "(organisation)".to_owned(),
                    |id| {
                        departments
                            .iter()
                            .find(|d| d.id == id)
                            .map_or(id.to_string(), |d| d.name.clone())
                    },
                );
                let state = if u.disabled {
                    "disabled"
                } else if locks.iter().any(|l| l.username == u.username) {
                    "locked"
                } else if u.must_change_password {
                    "one-time password"
                } else {
                    "active"
                };
                println!(
                    "{:<20} {:<14} {:<24} {state:<18} {}",
                    u.username,
                    u.role.as_str(),
                    dept,
                    u.email.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token<A: AccountStore>(
    store: A,
    command: TokenCommand,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let accounts = Accounts::new(store.clone());
    let (name, label) = match command {
        TokenCommand::Create { name, label } => (name, label),
        TokenCommand::List { name } => return list_tokens(&store, name.as_deref()).await,
        TokenCommand::Revoke { id } => {
            let tokens = store.tokens(None).await?;
            let Some(token) = tokens.iter().find(|t| t.id == id) else {
                bail!("no token with id {id} (see `irmer token list`)");
            };
            if !accounts
                .revoke_token(actor, token, time::OffsetDateTime::now_utc())
                .await
                .context("cannot revoke the token")?
            {
                bail!("token {id} ({}) was already revoked", token.name);
            }
            println!("revoked token {id} ({})", token.name);
            return Ok(ExitCode::SUCCESS);
        }
    };
    let Some(user) = store.user_by_name(&name).await? else {
        bail!("no user {name:?} (see `irmer user list`)");
    };
    let token = accounts
        .create_token(actor, &user, &label, time::OffsetDateTime::now_utc())
        .await
        .context("cannot create the token")?;
    // The token alone on standard output, so that a script can read it.
    println!("{token}");
    eprintln!(
        "irmer: a token for {} ({}); it is shown only now. Send it as `Authorization: Bearer …`.",
        user.username,
        user.role.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

async fn list_tokens<A: AccountStore>(store: &A, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let users = store.users().await?;
    let user_id = match name {
        Some(name) => match users.iter().find(|u| u.username == name) {
            Some(u) => Some(u.id),
            None => bail!("no user {name:?} (see `irmer user list`)"),
        },
        None => None,
    };
    println!(
        "{:<6} {:<20} {:<24} {:<20} STATE",
        "ID", "USER", "LABEL", "CREATED (UTC)"
    );
    for t in store.tokens(user_id).await? {
        let holder = users
            .iter()
            .find(|u| u.id == t.user_id)
            .map_or_else(|| t.user_id.to_string(), |u| u.username.clone());
        println!(
            "{:<6} {:<20} {:<24} {:<20} {}",
            t.id,
            holder,
            t.name,
            format!(
                "{} {:02}:{:02}",
                t.created_at.date(),
                t.created_at.hour(),
                t.created_at.minute()
            ),
            if t.revoked { "revoked" } else { "live" }
        );
    }
    Ok(ExitCode::SUCCESS)
}
