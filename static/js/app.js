// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // One-click copy of rollback steps (and anything else marked data-copy-target).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Times arrive in UTC ("2026-12-01 20:46 UTC", UTC also on hover); show them in the viewer's zone.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localize(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.textContent = at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" + pad(at.getDate()) +
        " " + pad(at.getHours()) + ":" + pad(at.getMinutes());
      el.removeAttribute("data-local");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSettle", function (event) { localize(event.target); });

  // A region waiting for an htmx answer says so to assistive technology (the CSS dims it meanwhile).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target) event.detail.target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id) {
      var region = document.getElementById(target.id);
      if (region) region.removeAttribute("aria-busy");
    }
  });

  // The override reason is required only when the policy denies and the owner still approves.
  function syncOverride(form) {
    var field = form.querySelector("[data-override-field]");
    if (!field) return;
    var decision = form.querySelector("input[name=decision]:checked");
    var needed = form.getAttribute("data-policy") === "deny" && decision && decision.value === "approve";
    field.classList.toggle("emphasis", needed);
    var input = field.querySelector("textarea");
    if (input) input.required = needed;
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-policy]");
    if (form) syncOverride(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-policy]").forEach(syncOverride);
    // A form that came back with errors: move focus to its summary so they are read out and seen.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
