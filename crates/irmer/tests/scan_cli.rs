//! `irmer scan`, run as the real binary: findings with line and column,
//! exit 1 when something is found, 0 when nothing is, 2 when it cannot
//! read the text or a rule.

use std::io::Write;
use std::process::{Command, Stdio};

fn scan(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irmer"))
        .arg("scan")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("irmer runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn findings_exit_one_clean_text_exits_zero_bad_input_two() {
    let text = "CT2, 0.5 mSv, code 2.2, discovered 2026-03-02.\n\
                Referred by Dr A. Khan; NHS 943 476 5919.\n\
                Patient SMITH, Jane, hospital number rxh1234567.\n";
    let (code, out, err) = scan(
        &["--hospital-number", "RXH#######", "--name", "Jane Smith"],
        text,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "2:13 titled-name Dr A. Khan\n\
         2:29 nhs-number 943 476 5919\n\
         3:9 recorded-name SMITH, Jane\n\
         3:38 hospital-number rxh1234567\n"
    );
    assert!(err.contains("4 identifiers found"), "{err}");

    let (code, out, err) = scan(
        &["-"],
        "66 Gy to the PTV on Linac 4; code 4.2b; 3 March 2026.\n",
    );
    assert_eq!((code, out.as_str()), (0, ""), "{err}");

    let (code, _, err) = scan(&["/no/such/file"], "");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /no/such/file"), "{err}");
    let (code, _, err) = scan(&["--hospital-number", "R#"], "text");
    assert_eq!(code, 2);
    assert!(err.contains("--hospital-number[0]"), "{err}");
}
