//! Helpers shared by the tests that run the real `irmer serve`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Child;

/// Where a started `irmer serve` listens: the address on the first line
/// of its standard output (which must be piped).
pub fn listening(child: &mut Child) -> SocketAddr {
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server says where it listens");
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
}
