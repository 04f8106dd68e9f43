/* rumorcases staff UI: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // A drop zone: <div class="dropzone" data-input="ID"> fills the file input ID from a drag
  // and drop; the form is still submitted normally.
  function initDropzones(root) {
    root.querySelectorAll(".dropzone[data-input]").forEach(function (zone) {
      if (zone.dataset.ready) return;
      zone.dataset.ready = "1";
      var input = document.getElementById(zone.dataset.input);
      if (!input) return;
      var label = zone.querySelector("[data-filename]");
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragover"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("dragover"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      input.addEventListener("change", function () {
        if (label) label.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initDropzones(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initDropzones(event.target); });
})();
