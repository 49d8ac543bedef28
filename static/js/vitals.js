/* Vital signs at the bedside (progressive enhancement: the form works without this file).
 *
 * - A number outside its plausible range (data-min / data-max, the ranges the server validates)
 *   is flagged as it is typed: too high at once, too low as soon as no further digit could make
 *   it plausible, and on leaving the field. The server still decides.
 * - "Measured now" sets the time to the clinic's clock: the page's time plus the time since. */
(function () {
  "use strict";

  function check(input, leaving) {
    var out = document.getElementById(input.id + "_range");
    if (!out) return;
    var min = Number(input.dataset.min);
    var max = Number(input.dataset.max);
    var typed = input.value.trim();
    var value = Number(typed);
    var wrong = false;
    if (typed !== "" || (input.validity && input.validity.badInput)) {
      wrong = isNaN(value) || typed === "" || value > max ||
        (value < min && (leaving || value * 10 > max));
    }
    input.classList.toggle("is-out-of-range", wrong);
    out.textContent = wrong ? "Outside the plausible range " + min + "–" + max + ": check it." : "";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clinicNow(button, loaded) {
    // data-clinic-now is the clinic's wall clock when the page was made; read it as if UTC so
    // the device's own time zone plays no part.
    var at = new Date(Date.parse(button.dataset.clinicNow + ":00Z") + (Date.now() - loaded));
    return at.getUTCFullYear() + "-" + pad(at.getUTCMonth() + 1) + "-" + pad(at.getUTCDate()) +
      "T" + pad(at.getUTCHours()) + ":" + pad(at.getUTCMinutes());
  }

  document.addEventListener("DOMContentLoaded", function () {
    var loaded = Date.now();
    document.querySelectorAll("input[data-min][data-max]").forEach(function (input) {
      input.addEventListener("input", function () { check(input, false); });
      input.addEventListener("change", function () { check(input, true); });
      if (input.value) check(input, true);
    });
    document.querySelectorAll("button[data-set-now]").forEach(function (button) {
      var field = document.getElementById(button.dataset.setNow);
      if (!field) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        field.value = clinicNow(button, loaded);
        field.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  });
})();
