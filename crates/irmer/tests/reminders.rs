//! The real `irmer serve` (SQLite) sending task reminders to a real SMTP
//! server (the sink) on loopback: a user's address set from the command
//! line, an incident whose duties are overdue, each reminder received
//! once, and none again when the server starts again.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use irmer_mail::sink::Sink;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn irmer(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db])
        .args(args)
        .env_remove("IRMER_DATABASE_URL")
        .env_remove("IRMER_SMTP_URL")
        .output()
        .expect("irmer runs")
}

fn serve(db: &str, sink: &Sink) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(["--database", db, "serve", "--bind", "127.0.0.1:0"])
        .args([
            "--smtp",
            &sink.url(),
            "--mail-from",
            "IR(ME)R <irmer@trust.example>",
        ])
        .args(["--base-url", "https://irmer.trust.example"])
        .env_remove("IRMER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    common::listening(&mut child);
    Running(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_tasks_are_mailed_to_their_owner_once() {
    let sink = Sink::start().await.expect("sink");
    let dir = std::env::temp_dir().join(format!("irmer-reminders-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("r.db").to_string_lossy().into_owned();
    let ok = |args: &[&str]| {
        let out = irmer(&db, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(&[
        "user",
        "add",
        "ines",
        "--role",
        "investigator",
        "--email",
        "ines@trust.example",
    ]);
    ok(&["user", "add", "ivan", "--role", "investigator"]);
    // An address that is not one: refused, nothing changed.
    let bad = irmer(&db, &["user", "email", "ivan", "ivan at trust"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected an e-mail address"));
    assert!(ok(&["user", "list"]).contains("ines@trust.example"));
    // Discovered in January: the four duties of a clinically significant
    // exposure were due 14 days later, long past.
    let file = dir.join("i.jsonl");
    std::fs::write(
        &file,
        r#"{"reference":"REM-1","nation":"england","discovered":"2026-01-10","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"clinically_significant":true,"dose":{"unit":"mSv","intended":0.5,"received":6},"description":"Head CT repeated: the wrong protocol was chosen."}"#,
    )
    .expect("write");
    ok(&["import", &file.to_string_lossy()]);

    let running = serve(&db, &sink);
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.received().len() < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = sink.received();
    assert_eq!(got.len(), 4, "one reminder a task");
    for m in &got {
        assert_eq!(m.to, ["ines@trust.example"]);
        assert!(
            m.text()
                .contains("is overdue: it was due on 24 January 2026"),
            "{}",
            m.text()
        );
        assert!(
            m.text()
                .contains("https://irmer.trust.example/incidents/REM-1#task-")
        );
        assert!(
            !m.text().contains("wrong protocol"),
            "nothing typed about the patient"
        );
        let subject = m.unfolded("Subject").expect("subject");
        assert!(
            subject.starts_with("Overdue: ") && subject.contains("REM-1"),
            "{subject}"
        );
    }
    let subjects: Vec<String> = got
        .iter()
        .map(|m| m.unfolded("Subject").unwrap_or_default())
        .collect();
    for kind in [
        "Inform the referrer",
        "Inform the practitioner",
        "Inform the patient",
        "Apply the duty of candour",
    ] {
        assert!(
            subjects.iter().any(|s| s.contains(kind)),
            "{kind}: {subjects:?}"
        );
    }

    // Started again: the sweep runs at once and finds each sent.
    drop(running);
    let _running = serve(&db, &sink);
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(sink.received().len(), 4, "no reminder twice");
    let _ = std::fs::remove_dir_all(&dir);
}
