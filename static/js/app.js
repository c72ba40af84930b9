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
  // Top-bar menus are <details>: one open at a time, and a click elsewhere closes them.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.navmenu") || !menu.open) { return; }
    document.querySelectorAll("details.navmenu[open]").forEach(function (other) {
      if (other !== menu) { other.open = false; }
    });
  }, true);
  document.addEventListener("click", function (event) {
    if (event.target.closest("details.navmenu > summary")) { return; }
    document.querySelectorAll("details.navmenu[open]").forEach(function (menu) { menu.open = false; });
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
