//! The real server under hostile connections: idle and slow connections
//! beyond the process's open-file limit must not stop it answering a
//! normal request, and an idle connection is closed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use irmer_web::testclient::request;

/// The open-file limit the server is started under.
const FILES: usize = 256;

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `irmer serve` under `ulimit -n FILES`, with a header timeout of
/// `header_timeout` seconds.
fn start(name: &str, header_timeout: &str) -> Server {
    let dir = std::env::temp_dir().join(format!("irmer-conn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("irmer.db").to_string_lossy().into_owned();
    let mut child = Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -n {FILES} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_irmer"),
            "--database",
            &db,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--header-timeout",
            header_timeout,
        ])
        .env_remove("IRMER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let addr = common::listening(&mut child);
    Server { child, addr }
}

#[test]
fn a_normal_request_is_answered_past_the_file_limit_of_idle_connections() {
    // A header timeout longer than the test: only closing the connections
    // idle longest can make room.
    let server = start("flood", "60");
    // Our own open-file limit must hold the connections the test opens.
    let many = (FILES * 3).min(irmer_web::server::open_file_limit().saturating_sub(64));
    assert!(
        many > FILES,
        "this test needs more than {FILES} files of its own"
    );
    // Idle connections (nothing sent) and slow ones (headers never
    // finished), more than the server may hold files for.
    let mut held = Vec::new();
    for n in 0..many {
        let Ok(mut stream) = TcpStream::connect_timeout(&server.addr, Duration::from_secs(5))
        else {
            continue;
        };
        if n % 2 == 0 {
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
        }
        held.push(stream);
    }
    assert!(held.len() > FILES, "only {} connections opened", held.len());
    let started = Instant::now();
    let r = request(server.addr, "GET", "/healthz", &[], "").expect("answered");
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    // Answered at once (the connections idle longest make room), not
    // after the idle ones time out.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        started.elapsed()
    );
    // And a page through the whole stack, with its headers.
    let r = request(server.addr, "GET", "/sign-in", &[], "").expect("answered");
    assert_eq!(r.status, 200);
    drop(held);
}

#[test]
fn idle_and_slow_connections_are_closed() {
    let server = start("idle", "2");
    let closed_within = |stream: &mut TcpStream| {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        // Read until the server closes (0) or the 10 s run out (error).
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    };
    // Nothing sent.
    let mut idle = TcpStream::connect(server.addr).expect("connect");
    let after = closed_within(&mut idle).expect("an idle connection is closed");
    assert!(after < Duration::from_secs(5), "closed after {after:?}");
    // Headers started and never finished (slowloris).
    let mut slow = TcpStream::connect(server.addr).expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ")
        .expect("write");
    assert!(
        closed_within(&mut slow).is_some(),
        "a slow connection is closed"
    );
    // Kept alive after a response, then idle.
    let mut kept = TcpStream::connect(server.addr).expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    assert!(
        closed_within(&mut kept).is_some(),
        "an idle keep-alive connection is closed"
    );
}
