//! What the page tests share: the test server on each backend, signed-in
//! browsers, and an incident reported through the form.

pub use crate::common::sqlite;
pub use irmer_web::testclient::{self, Browser, Server, request};

/// The value of the first hidden input called `name` (panics without one).
pub fn hidden(html: &str, name: &str) -> String {
    testclient::hidden(html, name).unwrap_or_else(|| panic!("no {name} in the page"))
}

/// Signs `user` of the test organisation in (password `password-USER`).
pub fn signed_in(server: &Server, user: &str) -> Browser {
    Browser::sign_in(server.addr, user, &format!("password-{user}")).expect("signed in")
}

pub const CT: &[(&str, &str)] = &[
    ("modality", "ct"),
    ("action", "confirm"),
    ("discovered", "2026-02-26"),
    ("nation", "england"),
    ("exposure", "unintended"),
    ("errors", "human"),
    ("patient.age", "40"),
    ("dose.unit", "mSv"),
    ("dose.intended", "0.5"),
    ("dose.received", "6"),
    ("description", "CT head repeated: wrong protocol selected."),
];

/// Reports the CT incident through the form, its answers confirmed;
/// returns its reference.
pub fn report(b: &mut Browser) -> String {
    let r = b.post("/report", CT);
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").expect("location").to_owned();
    assert!(location.ends_with("/reported"), "{location}");
    location
        .trim_start_matches("/incidents/")
        .trim_end_matches("/reported")
        .to_owned()
}

/// The incident's current version, from its page's step forms.
pub fn version(b: &mut Browser, reference: &str) -> String {
    hidden(&b.get(&format!("/incidents/{reference}")).body, "version")
}

/// Follows a form's answer, which must be a redirect (post/redirect/get):
/// the page it leads to, and its address.
pub fn follow(b: &mut Browser, r: &testclient::Response) -> (String, testclient::Response) {
    assert_eq!(r.status, 303, "a form answers with a redirect: {}", r.body);
    let to = r.header("location").expect("a location").to_owned();
    let page = b.get(&to);
    (to, page)
}
