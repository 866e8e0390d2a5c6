// irmer: a little progressive enhancement. Every page works without it.
(function () {
  "use strict";
  // A form sent back with errors: focus moves to the summary of them, so
  // that a screen reader reads it first and the keyboard starts there.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }

  // Copy buttons on the notification summary.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.innerText).then(function () { button.textContent = "Copied"; });
      }
    });
  });

  // On the report and edit forms, the assessment beside the form follows
  // the facts as they are entered: the form is posted to the preview
  // address and the panel replaced (announced politely to screen readers).
  var form = document.querySelector("form[data-preview]");
  var panel = document.getElementById("assessment");
  if (!form || !panel || !window.fetch || !window.URLSearchParams) { return; }
  var timer = null;
  var sent = 0;
  function refresh() {
    var mine = ++sent;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && mine === sent) { panel.innerHTML = html; } })
      .catch(function () {});
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 100); });
}());
