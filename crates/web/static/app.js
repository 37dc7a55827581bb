// Chengguo's own script: small progressive enhancements; every page works without it.
(function () {
  "use strict";
  // Ask before leaving a form with unsaved edits.
  document.querySelectorAll("form.form").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (e) {
      if (dirty) { e.preventDefault(); }
    });
  });
  // Filter selects submit their form on change.
  document.querySelectorAll("form.filters select").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
})();
