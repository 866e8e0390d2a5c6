//! `irmer taxonomy` and the taxonomy's check at start, run as the real
//! binary: the shipped codes listed, a local file's added, a broken one
//! refused with its file, line and reason (exit 2), and the server not
//! started on it.

use std::process::Command;

fn irmer(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .args(args)
        .output()
        .expect("irmer runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("irmer-taxonomy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn the_shipped_taxonomy_is_listed_and_a_local_file_adds_to_it() {
    let (code, out, err) = irmer(&["taxonomy"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Cause taxonomy cqc-2023-24.1 ("), "{out}");
    assert!(
        out.contains("    referrer.incorrect-referral.wrong-patient  Wrong patient [cqc]"),
        "{out}"
    );
    let local = file(
        "local.toml",
        "[[tier3]]\ncode = \"operator.contrast.extravasation\"\nparent = \"operator.contrast\"\nname = \"Contrast extravasation\"\n",
    );
    let (code, out, err) = irmer(&["--taxonomy", &local, "taxonomy", "--json"]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let entries = json["entries"].as_array().expect("entries");
    let added = entries
        .iter()
        .find(|e| e["code"] == "operator.contrast.extravasation")
        .expect("the local code");
    assert_eq!(added["source"], "local");
    assert_eq!(added["tier"], 3);
}

#[test]
fn a_broken_taxonomy_is_refused_and_the_server_does_not_start() {
    let orphan = file(
        "orphan.toml",
        "# a local code\n[[tier3]]\ncode = \"nobody.nothing.x\"\nparent = \"nobody.nothing\"\nname = \"X\"\n",
    );
    let (code, _, err) = irmer(&["--taxonomy", &orphan, "taxonomy"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "{orphan}, line 4: nobody.nothing.x: its parent nobody.nothing is not a tier-2 code of the taxonomy (an orphan)"
        )),
        "{err}"
    );
    let db = file("serve.db", "");
    let (code, out, err) = irmer(&[
        "--taxonomy",
        &orphan,
        "--database",
        &db,
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 2, "the server must not start: {out}");
    assert!(err.contains("the cause taxonomy"), "{err}");
    assert!(!out.contains("listening"), "{out}");
    let (code, _, err) = irmer(&["--taxonomy", "/nonexistent/local.toml", "taxonomy"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/local.toml: cannot be read"),
        "{err}"
    );
}
