// The signature island: signature_pad on a canvas sized for the screen's pixel density, strokes
// kept across resizes and rotations, cleared on demand, and sent with the form as PNG + strokes.
(function () {
  "use strict";

  function fit(canvas, pad) {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();          // resizing wipes the canvas; redraw what was signed
    pad.fromData(data);
  }

  function setUp(root) {
    (root || document).querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
      if (canvas.signaturePad) { return; }
      var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });
      canvas.signaturePad = pad;
      fit(canvas, pad);
      window.addEventListener("resize", function () { fit(canvas, pad); });
      var form = canvas.closest("form");
      var clear = form.querySelector("[data-signature-clear]");
      if (clear) { clear.addEventListener("click", function () { pad.clear(); }); }
      form.addEventListener("submit", function (event) {
        var seal = form.querySelector("input[type=file]");
        var error = form.querySelector("#signature-error");
        var hasSeal = seal && seal.files && seal.files.length > 0;
        if (pad.isEmpty() && !hasSeal) {
          event.preventDefault();
          error.textContent = error.getAttribute("data-empty-message");
          error.hidden = false;
          return;
        }
        if (!pad.isEmpty()) {
          form.querySelector("#signature-data").value = pad.toDataURL("image/png");
          form.querySelector("#signature-strokes").value = JSON.stringify(pad.toData());
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
