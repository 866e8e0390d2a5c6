//! Administration: only an administrator; users and their one-time
//! passwords, resets, settings and hospital number patterns.

use crate::helpers::*;

crate::on_both_backends!(administration);

fn administration(server: &Server) {
    let mut inv = signed_in(server, "inv");
    // Administration: only an administrator; a new user gets a one-time password.
    let mut admin = signed_in(server, "admin");
    let r = admin.post(
        "/admin/users",
        &[
            ("username", "newbie"),
            ("display_name", "New Person"),
            ("role", "reporter"),
            ("department", "1"),
        ],
    );
    // Shown once, on a page of its own after a redirect: reloading it
    // neither adds the user again nor shows the password again.
    let (shown_at, page) = follow(&mut admin, &r);
    let password = one_time_password(&page.body);
    assert!(page.body.contains("One-time password for newbie"));
    assert!(!shown_at.contains(&password), "{shown_at}");
    let again = admin.get(&shown_at).body;
    assert!(
        !again.contains(&password) && again.contains("shown already"),
        "{again}"
    );
    let r = admin.post(
        "/admin/users",
        &[("username", "newbie"), ("role", "reporter")],
    );
    assert_eq!(r.status, 422, "a taken username is refused");
    let r = inv.post(
        "/admin/users",
        &[("username", "sneaky"), ("role", "administrator")],
    );
    assert_eq!(r.status, 403);
    // The new user must choose a password first.
    let mut newbie = Browser::new(server.addr);
    let page = newbie.get("/sign-in");
    let csrf = hidden(&page.body, "csrf");
    let r = newbie.send(
        "POST",
        "/sign-in",
        &[
            ("csrf", &csrf),
            ("username", "newbie"),
            ("password", &password),
        ],
    );
    assert_eq!(r.header("location"), Some("/account/password"));
    assert_eq!(
        newbie.get("/").header("location"),
        Some("/account/password")
    );
    let r = newbie.post(
        "/account/password",
        &[
            ("current_password", &password),
            ("new_password", "a long new phrase"),
            ("confirm_password", "a long new phrase"),
        ],
    );
    assert_eq!(r.status, 303);
    assert_eq!(newbie.get("/").status, 200);
    // A reset gives a new one-time password and ends the user's sessions.
    let user_path = |page: &str, name: &str| {
        page.split(&format!("<td data-label=\"Username\">{name}</td>"))
            .nth(1)
            .and_then(|row| row.split("action=\"/admin/users/").nth(1))
            .and_then(|rest| rest.split('"').next())
            .map(|id| format!("/admin/users/{id}"))
            .expect("the user's form")
    };
    let listing = admin.get("/admin/users").body;
    let r = admin.post(&user_path(&listing, "newbie"), &[("action", "reset")]);
    let (_, page) = follow(&mut admin, &r);
    let reset = one_time_password(&page.body);
    assert_ne!(reset, password);
    assert_ne!(newbie.get("/").status, 200, "the session ended");
    assert!(Browser::sign_in(server.addr, "newbie", "a long new phrase").is_err());
    let mut again = Browser::sign_in(server.addr, "newbie", &reset).expect("signed in");
    assert_eq!(again.get("/").header("location"), Some("/account/password"));
    // An administrator cannot disable their own account.
    let r = admin.post(&user_path(&listing, "admin"), &[("action", "disable")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("You cannot disable your own account"));
    assert_eq!(admin.get("/").status, 200);
    // An e-mail address for reminders: a bad one refused by its field,
    // nothing saved; a good one saved and shown; blank takes it away.
    let newbie_form = user_path(&listing, "newbie");
    let id = newbie_form.rsplit('/').next().expect("id").to_owned();
    let save = |email: &str| {
        vec![
            ("action", "save".to_owned()),
            ("role", "reporter".to_owned()),
            ("department", "1".to_owned()),
            ("email", email.to_owned()),
        ]
    };
    let post = |b: &mut Browser, email: &str| {
        let fields = save(email);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post(&newbie_form, &pairs)
    };
    let r = post(&mut admin, "newbie at trust");
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(&format!(
            "<a href=\"#f-email-{id}\">Expected an e-mail address"
        )),
        "{}",
        r.body
    );
    assert!(!admin.get("/admin/users").body.contains("newbie at trust"));
    let r = post(&mut admin, " newbie@trust.example ");
    assert_eq!(r.status, 303);
    assert!(
        admin
            .get("/admin/users")
            .body
            .contains("value=\"newbie@trust.example\"")
    );
    assert!(
        admin
            .get("/admin/audit")
            .body
            .contains("with an e-mail address")
    );
    let r = post(&mut admin, "");
    assert_eq!(r.status, 303);
    assert!(
        !admin
            .get("/admin/users")
            .body
            .contains("newbie@trust.example")
    );
    // The outbox: administrators only.
    assert_eq!(admin.get("/admin/outbox").status, 200);
    assert_eq!(inv.get("/admin/outbox").status, 403);
    // Settings change the next assessment.
    let r = admin.post(
        "/admin/settings",
        &[("child_age_under", "99"), ("default_nation", "wales")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-child-age-under\""), "{}", r.body);
    assert!(r.body.contains("value=\"99\""), "what was typed is kept");
    let r = admin.post(
        "/admin/settings",
        &[
            ("child_age_under", "16"),
            ("default_nation", "wales"),
            ("theme_window_months", "0"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("<a href=\"#f-theme-window-months\">Window for possible themes: enter a whole number of months from 1 to 60"),
        "{}",
        r.body
    );
    let r = admin.post(
        "/admin/settings",
        &[
            ("child_age_under", "16"),
            ("default_nation", "wales"),
            ("theme_window_months", "6"),
        ],
    );
    let (_, page) = follow(&mut admin, &r);
    assert!(page.body.contains("Saved."), "{}", page.body);
    assert!(
        page.body
            .contains("name=\"theme_window_months\" value=\"6\""),
        "{}",
        page.body
    );
    assert!(
        admin
            .get("/report/form?modality=dental")
            .body
            .contains("value=\"wales\" checked")
    );

    // Hospital number patterns: each line checked, the bad one named.
    let r = admin.post("/admin/hospital-numbers", &[("masks", "RXH#######\nR#")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Line 2: &quot;R#&quot;"), "{}", r.body);
    let r = admin.post(
        "/admin/hospital-numbers",
        &[("masks", " RXH#######\n\n@@######\n")],
    );
    let (_, page) = follow(&mut admin, &r);
    assert!(
        page.body.contains("RXH#######\n@@######</textarea>"),
        "{}",
        page.body
    );
    assert_eq!(
        inv.post("/admin/hospital-numbers", &[("masks", "")]).status,
        403
    );
}

/// The one-time password its page shows.
fn one_time_password(page: &str) -> String {
    page.split("id=\"one-time-password\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("a one-time password")
        .to_owned()
}
