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

  // Questions asked only in some cases (the server's ASKED_IF in
  // form.rs, the same rules): pregnancy where the patient could be
  // pregnant, equipment not yet in clinical use for an equipment fault or
  // a person who is not a patient. A hidden question is disabled, so that
  // nothing in it is sent; one with an answer stays shown.
  function holds(rule) {
    if (rule === "could-be-pregnant") {
      var age = form.querySelector("[name='patient.age']");
      var text = age ? age.value.trim() : "";
      if (!/^[0-9]+$/.test(text)) { return true; }
      var n = parseInt(text, 10);
      return n >= 12 && n <= 55;
    }
    if (rule === "equipment") {
      var fault = form.querySelector("[name='errors'][value='equipment']");
      var person = form.querySelector("[name='person']:checked");
      return (fault !== null && fault.checked) || (person !== null && person.value !== "patient");
    }
    return true;
  }
  function answered(el) {
    return Array.prototype.some.call(el.querySelectorAll("input, textarea"), function (i) {
      return (i.type === "radio" || i.type === "checkbox") ? i.checked : i.value.trim() !== "";
    });
  }
  function reveal() {
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var shown = holds(el.getAttribute("data-show-if")) || answered(el);
      el.hidden = !shown;
      el.querySelectorAll("input, textarea, select").forEach(function (i) { i.disabled = !shown; });
    });
  }
  if (form) {
    reveal();
    form.addEventListener("input", reveal);
    form.addEventListener("change", reveal);
  }
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
