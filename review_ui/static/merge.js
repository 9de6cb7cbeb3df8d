// Merge preview: keyboard only. Focus starts on the first conflict (arrows pick the
// value to keep), Enter merges, Esc goes back to the record without merging.
(function () {
  "use strict";
  var form = document.getElementById("merge-confirm");
  if (!form) return;
  var first = form.querySelector('input[type="radio"]:checked');
  (first || document.getElementById("merge-submit")).focus();
  document.addEventListener("keydown", function (e) {
    if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "Escape") {
      e.preventDefault();
      location.href = form.action.replace(/\/merge$/, "");
    } else if (e.key === "Enter" && e.target && e.target.type === "radio") {
      e.preventDefault();
      form.requestSubmit();
    }
  });
})();
