// Site-wide behaviour that htmx attributes cannot express. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) { button.parentElement.remove(); }
    // Removing a repeated form row (e.g. a contact); blank rows are ignored by the server anyway.
    var remover = event.target.closest("[data-remove-row]");
    if (remover) {
      var row = document.querySelector(remover.getAttribute("data-remove-row"));
      if (row) { row.remove(); }
    }
  });
  // Enter in a look-up field inside a form searches; it must not submit the form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-no-submit]")) {
      event.preventDefault();
    }
  });
  // Success messages fade after a while; errors stay until dismissed.
  function fadeFlashes(root) {
    (root || document).querySelectorAll(".flash-success, .flash-info").forEach(function (el) {
      setTimeout(function () { el.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fadeFlashes(); });
  document.addEventListener("htmx:afterSettle", function (event) { fadeFlashes(event.target); });
})();
