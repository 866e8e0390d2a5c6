//! Nothing acknowledged is lost: the real server takes a stream of writes,
//! is killed with SIGKILL in the middle of it, and is started again on the
//! same SQLite file; every write that got a success response must be there,
//! intact, with a consistent history.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use irmer_web::testclient::request;
use serde_json::json;

fn start(db: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db, "serve", "--bind", "127.0.0.1:0"])
        .env_remove("IRMER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server starts");
    let addr = common::listening(&mut child);
    (child, addr)
}

/// An investigator's API token, made with the command line.
fn token(db: &str) -> String {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_irmer"))
            .args(["--database", db])
            .args(args)
            .env_remove("IRMER_DATABASE_URL")
            .output()
            .expect("irmer runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("text")
    };
    run(&["user", "add", "writer", "--role", "investigator"]);
    format!("Bearer {}", run(&["token", "create", "writer"]).trim())
}

fn incident(n: u32) -> serde_json::Value {
    json!({"reference": format!("K-{n:05}"), "nation": "england", "discovered": "2026-02-20", "modality": "ct",
        "exposure": "unintended", "patient": {"age_group": "adult"}, "errors": ["human"],
        "dose": {"unit": "mSv", "intended": 0.5, "received": format!("{}.{}", 5 + n % 7, n % 10).parse::<f64>().unwrap_or(6.0)},
        "description": format!("Write number {n} of the durability test.")})
}

#[test]
fn a_killed_server_loses_no_acknowledged_write() {
    let dir = std::env::temp_dir().join(format!("irmer-durability-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("irmer.db").to_string_lossy().into_owned();
    let bearer = token(&db);
    let (mut server, addr) = start(&db);

    // Acknowledged writes: (reference, version it reached, facts sent last).
    let acked: Arc<Mutex<Vec<(String, i64, serde_json::Value)>>> = Arc::default();
    // The write in flight when the server died, if any: it may or may not
    // have been committed (it was never acknowledged).
    let in_flight: Arc<Mutex<Option<(String, i64, serde_json::Value)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let acked = Arc::clone(&acked);
        let in_flight = Arc::clone(&in_flight);
        let stop = Arc::clone(&stop);
        let bearer = bearer.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                let body = incident(n);
                *in_flight.lock().expect("lock") =
                    Some((format!("K-{n:05}"), 1, body["dose"].clone()));
                match request(
                    addr,
                    "POST",
                    "/api/v1/incidents",
                    &[("Authorization", bearer.as_str())],
                    &body.to_string(),
                ) {
                    Ok(r) if r.status == 201 => acked.lock().expect("lock").push((
                        format!("K-{n:05}"),
                        1,
                        body["dose"].clone(),
                    )),
                    Ok(r) => panic!("unexpected answer {}: {}", r.status, r.body),
                    Err(_) => break, // the server is gone
                }
                // Every third write also changes an incident already acknowledged.
                if n % 3 == 2 {
                    let (reference, version) = {
                        let list = acked.lock().expect("lock");
                        let (r, v, _) = &list[(n as usize * 7) % list.len()];
                        (r.clone(), *v)
                    };
                    let dose = json!({"unit": "mSv", "intended": 0.5, "received": 10 + n});
                    let patch = json!({"version": version, "reason": format!("re-estimate {n}"), "patch": {"dose": dose}});
                    *in_flight.lock().expect("lock") =
                        Some((reference.clone(), version + 1, dose.clone()));
                    match request(
                        addr,
                        "PATCH",
                        &format!("/api/v1/incidents/{reference}"),
                        &[("Authorization", bearer.as_str())],
                        &patch.to_string(),
                    ) {
                        Ok(r) if r.status == 200 => {
                            let mut list = acked.lock().expect("lock");
                            if let Some(entry) = list.iter_mut().find(|(r, _, _)| *r == reference) {
                                *entry = (reference, version + 1, dose);
                            }
                        }
                        Ok(r) => panic!("unexpected answer {}: {}", r.status, r.body),
                        Err(_) => break,
                    }
                }
                *in_flight.lock().expect("lock") = None;
                n += 1;
            }
        })
    };

    // Kill it with SIGKILL once a good number of writes were acknowledged.
    let started = Instant::now();
    while acked.lock().expect("lock").len() < 150 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("writer");
    let acked = acked.lock().expect("lock").clone();
    let in_flight = in_flight.lock().expect("lock").clone();
    assert!(
        acked.len() >= 150,
        "only {} writes acknowledged before the kill",
        acked.len()
    );

    let (mut server, addr) = start(&db);
    for (reference, version, dose) in &acked {
        let r = request(
            addr,
            "GET",
            &format!("/api/v1/incidents/{reference}"),
            &[("Authorization", bearer.as_str())],
            "",
        )
        .expect("request");
        assert_eq!(
            r.status, 200,
            "{reference} was acknowledged but is missing: {}",
            r.body
        );
        let record = r.json();
        let found = (
            record["version"].as_i64().expect("version"),
            &record["incident"]["dose"],
        );
        // Exactly as acknowledged, or with the one unacknowledged change
        // that was in flight when the server died, exactly as it was sent.
        let committed_in_flight = in_flight
            .as_ref()
            .is_some_and(|(r, v, d)| r == reference && *v == version + 1 && found == (*v, d));
        assert!(
            found == (*version, dose) || committed_in_flight,
            "{reference}: acknowledged at version {version} with dose {dose}, found {found:?}"
        );
        let version = &found.0;
        let history = request(
            addr,
            "GET",
            &format!("/api/v1/incidents/{reference}/history"),
            &[("Authorization", bearer.as_str())],
            "",
        )
        .expect("request")
        .json();
        let versions: Vec<i64> = history["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["version"].as_i64().expect("v"))
            .collect();
        assert_eq!(
            versions,
            (1..=*version).collect::<Vec<_>>(),
            "{reference}: the history chain is whole"
        );
    }
    server.kill().expect("stop");
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The authority too: a stream of notifications, SIGKILL in the middle;
/// every acknowledged notification is in its register with its
/// acknowledgement in the outbox (no SMTP here: queued), and the numbers
/// run without a gap.
#[test]
fn a_killed_authority_loses_no_acknowledged_notification_or_mail() {
    use irmer_store::authority::AuthorityStore;
    use irmer_store::mail::MailStore;

    let dir =
        std::env::temp_dir().join(format!("irmer-durability-authority-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("cqc.db").to_string_lossy().into_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args([
            "--database",
            &db,
            "authority",
            "token",
            "create",
            "--organisation",
            "Northshire",
        ])
        .env_remove("IRMER_DATABASE_URL")
        .output()
        .expect("irmer runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bearer = format!("Bearer {}", String::from_utf8_lossy(&out.stdout).trim());
    let mut server = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args([
            "--database",
            &db,
            "authority",
            "serve",
            "--authority",
            "cqc",
            "--bind",
            "127.0.0.1:0",
        ])
        .env_remove("IRMER_DATABASE_URL")
        .env_remove("IRMER_SMTP_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the authority starts");
    let addr = common::listening(&mut server);
    let body = json!({
        "organisation": {"name": "Northshire"},
        "contact": {"email": "rpa@northshire.example.org"},
        "incident": {"nation": "england", "discovered": "2026-02-20", "modality": "ct", "exposure": "unintended",
            "patient": {"age_group": "adult"}, "errors": ["human"], "dose": {"unit": "mSv", "intended": 0.5, "received": 6}},
        "summary": "CT head repeated with the wrong protocol."
    })
    .to_string();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (acked, stop, bearer, body) = (
                Arc::clone(&acked),
                Arc::clone(&stop),
                bearer.clone(),
                body.clone(),
            );
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match request(
                        addr,
                        "POST",
                        "/api/v1/notifications",
                        &[("Authorization", bearer.as_str())],
                        &body,
                    ) {
                        Ok(r) if r.status == 201 => {
                            let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
                            acked
                                .lock()
                                .expect("lock")
                                .push(v["reference"].as_str().expect("reference").to_owned());
                        }
                        Ok(r) => panic!("unexpected answer {}: {}", r.status, r.body),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acked.lock().expect("lock").len() < 150 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().expect("writer");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 150, "only {} acknowledged", acked.len());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = irmer_store_sqlite::SqliteStore::open(std::path::Path::new(&db))
            .await
            .expect("reopened");
        let kept = store
            .notifications(&irmer_store::case::CaseFilter::default(), 10_000, 0)
            .await
            .expect("notifications");
        let outbox = store.outbox(10_000, 0).await.expect("outbox");
        for reference in &acked {
            assert!(
                kept.iter().any(|n| &n.reference == reference),
                "{reference} lost"
            );
            assert!(
                outbox
                    .iter()
                    .any(|q| q.mail.subject.contains(reference.as_str())),
                "the acknowledgement of {reference} lost"
            );
        }
        // One acknowledgement a notification (the chaser may have queued
        // reminders too: these incidents' reports are overdue), and the
        // numbers without a gap.
        let acknowledgements = outbox
            .iter()
            .filter(|q| q.mail.subject.ends_with(" received"))
            .count();
        assert_eq!(acknowledgements, kept.len());
        let mut numbers: Vec<u32> = kept
            .iter()
            .map(|n| {
                n.reference
                    .rsplit('-')
                    .next()
                    .and_then(|d| d.parse().ok())
                    .expect("number")
            })
            .collect();
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            (1..=u32::try_from(kept.len()).expect("count")).collect::<Vec<_>>()
        );
    });
}
